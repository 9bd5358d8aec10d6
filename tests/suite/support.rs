//! What several test modules share: the vbpsim binary as a command, reading its output,
//! folder listings, and the scenario fixtures under `tests/fixtures` loaded and simulated
//! through the library (with their `extends` and `--set` layers, as the command line reads
//! them).

use std::path::{Path, PathBuf};
use std::process::Output;
use vbpsim::scenario::{self, LoadError, Scenario};
use vbpsim::workflow::run::{RunOptions, Simulation};

/// The `vbpsim` binary built with this test suite, run from the package root (so that the
/// bundled scenarios' relative paths resolve).
pub fn vbpsim() -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("vbpsim");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Bytes of a stream as text (lossily: a test must not fail on the decoding of a message).
pub fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Run and require exit code `code` and no panic; returns the output.
pub fn expect(cmd: &mut assert_cmd::Command, code: i32) -> Output {
    let out = cmd.output().unwrap();
    let stderr = text_of(&out.stderr);
    assert!(!stderr.contains("panicked"), "vbpsim panicked:\n{stderr}");
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit code; stdout:\n{}\nstderr:\n{stderr}",
        text_of(&out.stdout)
    );
    out
}

/// Names of the entries of a folder, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Rows of a CSV as maps from column to cell.
pub fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            header.iter().map(String::from).zip(rec.unwrap().iter().map(String::from)).collect()
        })
        .collect()
}

/// A scenario fixture: a path relative to `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A fixture's text, for the tests whose subject is the text itself (they edit it and read
/// the error it makes).
pub fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A fixture read as `vbpsim` reads a scenario: its `extends` chain, then each `--set`
/// (`KEY=VALUE`, a line of TOML) in order.
pub fn try_load(name: &str, sets: &[String]) -> Result<Scenario, LoadError> {
    scenario::load_with(Some(&fixture(name)), sets)
}

/// [`try_load`], which must succeed.
pub fn load(name: &str, sets: &[String]) -> Scenario {
    try_load(name, sets).unwrap_or_else(|e| panic!("{name} {sets:?}: {e}"))
}

/// The text of every layer of a scenario (bases first, then the `--set`s), whether or not it
/// compiled: what a test that checks its variant applied looks at.
pub fn layered_text(loaded: &Result<Scenario, LoadError>) -> &str {
    match loaded {
        Ok(s) => &s.source.text,
        Err(LoadError::Invalid(e)) => &e.source.text,
        Err(e) => panic!("{e}"),
    }
}

/// Simulate a loaded scenario (no progress report).
pub fn run(s: &Scenario, options: &RunOptions) -> Simulation {
    vbpsim::workflow::run::simulate(s, options, &mut |_, _| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// Load a fixture with its `--set`s and simulate it.
pub fn simulate(name: &str, sets: &[String], options: &RunOptions) -> (Scenario, Simulation) {
    let s = load(name, sets);
    let sim = run(&s, options);
    (s, sim)
}

/// The wide view of a long table, for checks written per threshold: each row of `header`/
/// `rows` gains, from the rows of `long` (a header and rows with a `wtp` column) that match it
/// on `keys` (and on `basis` when both have one), every other column `c` of `long` as
/// `c_<wtp>` (`x_mcse` as `x_<wtp>_mcse`). A long row without its wide row, or a cell given
/// twice, fails.
pub fn widen(
    (header, rows): (&mut Vec<String>, &mut [Vec<String>]),
    (long_header, long_rows): (&[String], &[Vec<String>]),
    keys: &[&str],
) {
    let at = |h: &[String], c: &str| h.iter().position(|x| x == c);
    let wtp = at(long_header, "wtp").expect("a long table has a wtp column");
    let mut keys: Vec<&str> = keys.to_vec();
    if at(header, "basis").is_some() && at(long_header, "basis").is_some() {
        keys.push("basis");
    }
    let key_of = |h: &[String], row: &[String]| -> Vec<String> {
        keys.iter()
            .map(|k| row[at(h, k).unwrap_or_else(|| panic!("no column {k}"))].clone())
            .collect()
    };
    let wide_keys: Vec<Vec<String>> = rows.iter().map(|r| key_of(header, r)).collect();
    for row in long_rows {
        let key = key_of(long_header, row);
        let i = wide_keys
            .iter()
            .position(|k| *k == key)
            .unwrap_or_else(|| panic!("the long row {row:?} has no wide row"));
        for (c, name) in long_header.iter().enumerate() {
            if c == wtp || keys.contains(&name.as_str()) {
                continue;
            }
            let l = &row[wtp];
            let wide = match name.strip_suffix("_mcse") {
                Some(stem) => format!("{stem}_{l}_mcse"),
                None => format!("{name}_{l}"),
            };
            let j = match at(header, &wide) {
                Some(j) => j,
                None => {
                    header.push(wide.clone());
                    for r in rows.iter_mut() {
                        r.push(String::new());
                    }
                    header.len() - 1
                }
            };
            assert!(
                rows[i][j].is_empty() || rows[i][j] == row[c],
                "{wide} given twice for {key:?}"
            );
            rows[i][j] = row[c].clone();
        }
    }
}

/// A CSV file's header and rows.
pub fn csv_table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

/// Rows of a CSV file as maps from column to cell, widened by its long companion `long` (see
/// [`widen`]) on `keys`.
pub fn widened_rows(
    path: &Path,
    long: &Path,
    keys: &[&str],
) -> Vec<std::collections::HashMap<String, String>> {
    let (mut header, mut rows) = csv_table(path);
    let (lh, lr) = csv_table(long);
    widen((&mut header, &mut rows), (&lh, &lr), keys);
    rows.into_iter().map(|r| header.iter().cloned().zip(r).collect()).collect()
}

/// Every contract kind (src/scenario/contracts.rs, `KINDS`).
pub const CONTRACT_KINDS: [&str; 10] = [
    "list",
    "discount",
    "money_back",
    "payment_at_result",
    "response_rebate",
    "duration_cap",
    "instalments",
    "expenditure_cap",
    "price_volume",
    "population_outcome",
];
