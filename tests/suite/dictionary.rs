//! The documentation against the program. The data dictionary (`docs/src/outputs.md`) lists
//! exactly the columns, in order, of every CSV file that `run`, `sensitivity` and `compare`
//! write, and only files they write; the book's `SUMMARY.md` lists every chapter file and only
//! files that exist; links between the chapters and from the README into them resolve to a
//! file and heading; the README's command table is the Guide's.
//!
//! The dictionary's format (stated at the top of outputs.md): a section `## <file>.csv` per
//! file, holding one `| column | meaning |` table whose first cells name the columns in order,
//! each in backticks, several adjacent columns separated by commas. A column that depends on
//! the scenario is a pattern with one placeholder — `<λ>` (each threshold of the scenario, in
//! its order), `<category>` (each cost category of costs.csv, `:` written `_`) or `<parameter>`
//! (each uncertain parameter, in file order) — and a row of patterns stands for its columns
//! repeated for each value in turn. The placeholders are expanded from the scenario run.

use crate::support::{expect, text_of, vbpsim};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const OUTPUTS: &str = "docs/src/outputs.md";

fn root() -> PathBuf {
    PathBuf::from(ROOT)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path:?}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The dictionary

/// What a placeholder of the dictionary stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Placeholder {
    /// `<λ>`: each willingness-to-pay threshold of the scenario, in its order.
    Threshold,
    /// `<category>`: each cost category of costs.csv, in its order, `:` written `_`.
    Category,
    /// `<parameter>`: each uncertain parameter, in the scenario file's order.
    Parameter,
    /// `<arm>`: each arm `strategy/contract`, in summary.csv's order.
    Arm,
}

const PLACEHOLDERS: [(&str, Placeholder); 4] = [
    ("<λ>", Placeholder::Threshold),
    ("<category>", Placeholder::Category),
    ("<parameter>", Placeholder::Parameter),
    ("<arm>", Placeholder::Arm),
];

impl Placeholder {
    fn text(self) -> &'static str {
        PLACEHOLDERS.iter().find(|(_, p)| *p == self).unwrap().0
    }
}

/// One row of a column table: the columns named in its first cell, in order, and the
/// placeholder they share (none for fixed columns).
#[derive(Debug, PartialEq)]
struct Group {
    names: Vec<String>,
    placeholder: Option<Placeholder>,
}

/// The values of the placeholders for one run.
#[derive(Debug, Default)]
struct Values {
    thresholds: Vec<String>,
    categories: Vec<String>,
    parameters: Vec<String>,
    arms: Vec<String>,
}

impl Values {
    fn of(&self, p: Placeholder) -> &[String] {
        match p {
            Placeholder::Threshold => &self.thresholds,
            Placeholder::Category => &self.categories,
            Placeholder::Parameter => &self.parameters,
            Placeholder::Arm => &self.arms,
        }
    }
}

/// The header a file's groups stand for: fixed columns as they are, a group of patterns once
/// per value of its placeholder (none without values, e.g. a scenario without uncertain
/// parameters), all of its columns for each value in turn.
fn expand(groups: &[Group], values: &Values) -> Vec<String> {
    let mut header = Vec::new();
    for g in groups {
        match g.placeholder {
            None => header.extend(g.names.iter().cloned()),
            Some(p) => {
                for v in values.of(p) {
                    header.extend(g.names.iter().map(|n| n.replace(p.text(), v)));
                }
            }
        }
    }
    header
}

/// Why a file's header is not what the dictionary lists, or None when it is.
fn compare_header(file: &str, documented: &[String], actual: &[String]) -> Option<String> {
    if documented == actual {
        return None;
    }
    let documented_set: BTreeSet<&String> = documented.iter().collect();
    let actual_set: BTreeSet<&String> = actual.iter().collect();
    let missing: Vec<&&String> = actual_set.difference(&documented_set).collect();
    let extra: Vec<&&String> = documented_set.difference(&actual_set).collect();
    let first = documented.iter().zip(actual).position(|(d, a)| d != a);
    let mut why = format!("{file}: the header row is not what {OUTPUTS} lists");
    if !missing.is_empty() {
        why += &format!("\n  in the file, not in the dictionary: {missing:?}");
    }
    if !extra.is_empty() {
        why += &format!("\n  in the dictionary, not in the file: {extra:?}");
    }
    if missing.is_empty() && extra.is_empty() {
        why += "\n  same columns, another order";
    }
    if let Some(i) = first {
        why += &format!(
            "\n  first difference at column {}: file {:?}, dictionary {:?}",
            i + 1,
            actual[i],
            documented[i]
        );
    }
    why += &format!("\n  file:       {}\n  dictionary: {}", actual.join(","), documented.join(","));
    Some(why)
}

/// Lines of a Markdown text outside fenced code blocks, with their line numbers (from 1).
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            lines.push((i + 1, line));
        }
    }
    lines
}

/// A heading line's level and text.
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&level) && line[level..].starts_with(' ') {
        Some((level, line[level..].trim()))
    } else {
        None
    }
}

/// The cells of a table row, split at `|` not escaped as `\|`.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().strip_prefix('|').and_then(|r| r.strip_suffix('|'));
    let inner = inner.unwrap_or_else(|| panic!("a table row must start and end with `|`: {row}"));
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                out.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out.iter().map(|c| c.trim().to_string()).collect()
}

/// The columns a first cell names: `` `a` `` or `` `a`, `b`, … `` and nothing else.
fn column_names(cell: &str) -> Result<Group, String> {
    let mut names = Vec::new();
    let mut rest = cell;
    loop {
        let body = rest.strip_prefix('`').ok_or("expected a column name in backticks")?;
        let end = body.find('`').ok_or("unclosed backtick")?;
        let name = &body[..end];
        let plain = PLACEHOLDERS.iter().fold(name.to_string(), |n, (t, _)| n.replace(t, ""));
        if name.is_empty()
            || !plain.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!(
                "{name:?} is not a snake_case column name (placeholders {})",
                PLACEHOLDERS.map(|(t, _)| t).join(", ")
            ));
        }
        names.push(name.to_string());
        rest = &body[end + 1..];
        if rest.is_empty() {
            break;
        }
        rest = rest.strip_prefix(", ").ok_or("columns are separated by \", \"")?;
    }
    let of = |n: &String| PLACEHOLDERS.iter().find(|(t, _)| n.contains(t)).map(|(_, p)| *p);
    let placeholders: BTreeSet<Option<Placeholder>> = names.iter().map(of).collect();
    if placeholders.len() > 1 {
        return Err("a row names either fixed columns or patterns of one placeholder".into());
    }
    for n in &names {
        if PLACEHOLDERS.iter().filter(|(t, _)| n.contains(t)).count() > 1
            || PLACEHOLDERS.iter().any(|(t, _)| n.matches(t).count() > 1)
        {
            return Err(format!("{n:?}: one placeholder, once, per column"));
        }
    }
    Ok(Group { names, placeholder: placeholders.into_iter().next().flatten() })
}

/// Whether a heading's text is a CSV file's name, `<snake_case>.csv`.
fn csv_file_name(text: &str) -> Option<&str> {
    let stem = text.strip_suffix(".csv")?;
    (!stem.is_empty()
        && stem.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
    .then_some(text)
}

/// The dictionary: each CSV file's column groups, in order, read from outputs.md. A section
/// `## <file>.csv` holds exactly one `| column | meaning |` table; anything ambiguous is an
/// error naming the line.
fn dictionary(text: &str) -> Result<BTreeMap<String, Vec<Group>>, String> {
    let lines = prose_lines(text);
    let mut files: BTreeMap<String, Vec<Group>> = BTreeMap::new();
    let mut current: Option<(String, Option<Vec<Group>>)> = None;
    let close = |current: &mut Option<(String, Option<Vec<Group>>)>,
                 files: &mut BTreeMap<String, Vec<Group>>|
     -> Result<(), String> {
        if let Some((file, groups)) = current.take() {
            let groups = groups.ok_or(format!("{file}: no `| column | meaning |` table"))?;
            if files.insert(file.clone(), groups).is_some() {
                return Err(format!("{file}: two sections"));
            }
        }
        Ok(())
    };
    let mut i = 0;
    while i < lines.len() {
        let (n, line) = lines[i];
        if let Some((level, title)) = heading(line) {
            close(&mut current, &mut files)?;
            if let Some(file) = csv_file_name(title) {
                if level != 2 {
                    return Err(format!("line {n}: a file's section is `## {file}`"));
                }
                current = Some((file.to_string(), None));
            } else if title.contains(".csv") {
                return Err(format!("line {n}: a heading naming a CSV file is `## <file>.csv`"));
            }
        } else if line.trim().starts_with('|') && cells(line) == ["column", "meaning"] {
            let (file, groups) = current
                .as_mut()
                .ok_or(format!("line {n}: a column table outside a `## <file>.csv` section"))?;
            if groups.is_some() {
                return Err(format!("line {n}: a second column table for {file}"));
            }
            let delimiter = lines.get(i + 1).filter(|(m, l)| *m == n + 1 && l.starts_with('|'));
            let ok = delimiter.is_some_and(|(_, l)| {
                cells(l).iter().all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
            });
            if !ok {
                return Err(format!("line {}: expected the table's `| --- | --- |` line", n + 1));
            }
            let mut rows = Vec::new();
            i += 2;
            while let Some(&(m, row)) = lines.get(i) {
                if !row.trim().starts_with('|') {
                    break;
                }
                let first = cells(row).into_iter().next().unwrap_or_default();
                rows.push(column_names(&first).map_err(|e| format!("line {m}: {e}: {row}"))?);
                i += 1;
            }
            if rows.is_empty() {
                return Err(format!("line {n}: an empty column table for {file}"));
            }
            *groups = Some(rows);
            continue;
        }
        i += 1;
    }
    close(&mut current, &mut files)?;
    Ok(files)
}

// ---------------------------------------------------------------------------------------------
// The runs

/// A scenario file as TOML.
fn scenario(path: &Path) -> toml::Table {
    let table: toml::Table =
        toml::from_str(&read(path)).unwrap_or_else(|e| panic!("{path:?} is not TOML: {e}"));
    assert!(
        !table.contains_key("extends"),
        "{path:?} extends a base: read the base's thresholds and parameters too"
    );
    table
}

/// `scenario.thresholds` as column names write them (default `[100000]`).
fn thresholds(s: &toml::Table) -> Vec<String> {
    let Some(list) = s.get("scenario").and_then(|t| t.get("thresholds")) else {
        return vec!["100000".into()];
    };
    let list = list.as_array().expect("scenario.thresholds is an array");
    list.iter()
        .map(|v| match v {
            toml::Value::Integer(i) => format!("{}", *i as f64),
            toml::Value::Float(x) => format!("{x}"),
            v => panic!("a threshold that is not a number: {v}"),
        })
        .collect()
}

/// The uncertain parameters in file order: each parameter with a `dist`, the shares of a
/// Dirichlet by their own names.
fn uncertain_parameters(s: &toml::Table) -> Vec<String> {
    let Some(params) = s.get("parameters").and_then(|p| p.as_table()) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for (name, p) in params {
        match p.get("dist").and_then(|d| d.as_str()) {
            None => {}
            Some("dirichlet") => {
                let alpha = p.get("alpha").and_then(|a| a.as_table()).expect("dirichlet alpha");
                names.extend(alpha.keys().cloned());
            }
            Some(_) => names.push(name.clone()),
        }
    }
    names
}

/// A CSV file's header row and rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

/// The cost categories of a run's costs.csv as column names write them: the first arm's
/// categories in order, `:` written `_`.
/// The arms of a run folder (`strategy/contract`), summary.csv's deterministic rows in order.
fn arms(folder: &Path) -> Vec<String> {
    let (header, rows) = read_csv(&folder.join("summary.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).expect("summary.csv column");
    let (s, c, b) = (col("strategy"), col("contract"), col("basis"));
    rows.iter().filter(|r| r[b] == "deterministic").map(|r| format!("{}/{}", r[s], r[c])).collect()
}

fn categories(folder: &Path) -> Vec<String> {
    let path = folder.join("costs.csv");
    if !path.exists() {
        return Vec::new();
    }
    let (header, rows) = read_csv(&path);
    let col = |name: &str| header.iter().position(|h| h == name).expect("costs.csv column");
    let (s, c, k) = (col("strategy"), col("contract"), col("category"));
    let first = rows.first().expect("costs.csv has rows");
    rows.iter().take_while(|r| r[s] == first[s] && r[c] == first[c]).map(|r| r[k].clone()).collect()
}

/// Run vbpsim, which must succeed without a word on stderr (`--quiet`).
fn run_vbpsim(args: &[&str]) {
    let out = expect(vbpsim().args(args), 0);
    assert!(out.stderr.is_empty(), "vbpsim {args:?} wrote:\n{}", text_of(&out.stderr));
}

/// Every CSV file of a folder against the dictionary; the files checked are added to `seen`.
fn check_folder(
    folder: &Path,
    values: &Values,
    dict: &BTreeMap<String, Vec<Group>>,
    seen: &mut BTreeSet<String>,
    failures: &mut Vec<String>,
) {
    let mut files: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{folder:?} holds no CSV file");
    let label = folder.file_name().unwrap().to_string_lossy();
    for file in files {
        seen.insert(file.clone());
        let Some(groups) = dict.get(&file) else {
            failures.push(format!("{label}/{file}: written, but {OUTPUTS} has no `## {file}`"));
            continue;
        };
        let (actual, _) = read_csv(&folder.join(&file));
        // Thresholds are values of a `wtp` column, never part of a column's name.
        for column in &actual {
            if let Some(t) = values.thresholds.iter().find(|t| column.ends_with(&format!("_{t}"))) {
                failures.push(format!("{label}/{file}: column `{column}` names the threshold {t}"));
            }
        }
        let documented = expand(groups, values);
        if let Some(why) = compare_header(&format!("{label}/{file}"), &documented, &actual) {
            failures.push(why);
        }
    }
}

/// Every CSV file that `run` (every bundled scenario, with PSA), `sensitivity` (with a two-way
/// grid) and `compare` write has exactly the columns the dictionary lists, in order, and every
/// file the dictionary lists is written by one of them.
#[test]
fn the_data_dictionary_lists_exactly_the_columns_of_every_csv_file() {
    let dict = dictionary(&read(&root().join(OUTPUTS)))
        .unwrap_or_else(|e| panic!("{OUTPUTS} cannot be read as a dictionary: {e}"));
    let tmp = tempfile::tempdir().unwrap();
    let out = |name: &str| tmp.path().join(name).to_string_lossy().into_owned();
    let sizes = ["--patients", "2000", "--samples", "5", "--quiet"];
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();

    // Every bundled scenario, with PSA: between them every table of a run folder (contracts, a
    // cohort-level contract, combination partners, a selection sweep, a budget impact).
    let mut bundled: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    bundled.sort();
    assert!(bundled.len() >= 6, "the bundled scenarios: {bundled:?}");
    for path in &bundled {
        let s = scenario(path);
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let folder = out(&name);
        let file = path.to_string_lossy().into_owned();
        let args = ["run", file.as_str(), "--out", folder.as_str()];
        run_vbpsim(&args.into_iter().chain(sizes).collect::<Vec<_>>());
        let values = Values {
            thresholds: thresholds(&s),
            categories: categories(Path::new(&folder)),
            parameters: uncertain_parameters(&s),
            arms: arms(Path::new(&folder)),
        };
        check_folder(Path::new(&folder), &values, &dict, &mut seen, &mut failures);
    }

    // One-way, threshold and two-way sensitivity of the default scenario, over its first two
    // uncertain parameters.
    let default = root().join("scenarios/nsclc_egfr.toml");
    let s = scenario(&default);
    let params = uncertain_parameters(&s);
    assert!(params.len() >= 2, "the default scenario has two uncertain parameters: {params:?}");
    let two_way = format!("{},{}", params[0], params[1]);
    let folder = out("sensitivity");
    let file = default.to_string_lossy().into_owned();
    run_vbpsim(&[
        "sensitivity",
        &file,
        "--out",
        &folder,
        "--patients",
        "2000",
        "--two-way",
        &two_way,
        "--steps",
        "3",
        "--quiet",
    ]);
    let values = Values { thresholds: thresholds(&s), ..Values::default() };
    check_folder(Path::new(&folder), &values, &dict, &mut seen, &mut failures);

    // Two scenarios compared on one seed, at the first one's thresholds.
    let other = root().join("scenarios/nsclc_egfr_ctdna.toml");
    let folder = out("compare");
    let other_file = other.to_string_lossy().into_owned();
    let args = ["compare", file.as_str(), other_file.as_str(), "--out", folder.as_str()];
    run_vbpsim(&args.into_iter().chain(sizes).collect::<Vec<_>>());
    check_folder(Path::new(&folder), &values, &dict, &mut seen, &mut failures);

    // Survival fits of a small data set with two groups.
    let data = tmp.path().join("os.csv");
    let rows: String = (1..=60)
        .map(|i| {
            format!("{},{},{}\n", 0.5 * i as f64, i % 4 != 0, if i % 2 == 0 { "a" } else { "b" })
        })
        .collect();
    std::fs::write(
        &data,
        format!("time,event,group\n{}", rows.replace("true", "1").replace("false", "0")),
    )
    .unwrap();
    let folder = out("fit");
    let data = data.to_string_lossy().into_owned();
    run_vbpsim(&[
        "fit",
        data.as_str(),
        "--unit",
        "months",
        "--at",
        "6,12",
        "--out",
        folder.as_str(),
        "--quiet",
    ]);
    check_folder(Path::new(&folder), &values, &dict, &mut seen, &mut failures);

    // A contract design with a PSA.
    let folder = out("design");
    let terms = root().join("scenarios/design/nsclc_egfr_terms.toml");
    let terms = terms.to_string_lossy().into_owned();
    run_vbpsim(
        &["design", terms.as_str(), "--out", folder.as_str(), "--patients", "2000"]
            .into_iter()
            .chain(["--samples", "3", "--quiet"])
            .collect::<Vec<_>>(),
    );
    check_folder(Path::new(&folder), &values, &dict, &mut seen, &mut failures);

    // Registries valued by their EVSI.
    let folder = out("registry");
    let registry = root().join("tests/fixtures/design/registry.toml");
    let registry = registry.to_string_lossy().into_owned();
    run_vbpsim(
        &["run", registry.as_str(), "--out", folder.as_str(), "--patients", "300"]
            .into_iter()
            .chain(["--samples", "3", "--quiet"])
            .collect::<Vec<_>>(),
    );
    let values = Values {
        thresholds: vec!["100000".into(), "200000".into()],
        categories: categories(Path::new(&folder)),
        // The uncertain parameters of the layer's base (design/base.toml), then its own.
        parameters: ["x_response", "chemo_response", "x_responder_rate"].map(String::from).to_vec(),
        arms: arms(Path::new(&folder)),
    };
    check_folder(Path::new(&folder), &values, &dict, &mut seen, &mut failures);

    for file in dict.keys().filter(|f| !seen.contains(*f)) {
        failures.push(format!("{OUTPUTS} documents {file}, which no run of this test writes"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The check itself: a column added, removed or moved, a pattern expanded in the wrong order,
/// and an ambiguous dictionary are all caught.
#[test]
fn the_dictionary_check_catches_missing_extra_and_moved_columns() {
    let text = "# Outputs\n\n## a.csv\n\nRows.\n\n| column | meaning |\n| --- | --- |\n\
                | `strategy`, `contract` | the arm |\n| `nmb_<λ>` | NMB |\n\
                | `inc_nmb_<λ>`, `preferred_<λ>` | per λ \\| both |\n\
                | `cost_<category>` | by category |\n\n## Plots\n\n| plot | shows |\n| --- | --- |\n\
                | `survival` | curves |\n";
    let dict = dictionary(text).unwrap();
    assert_eq!(dict.keys().collect::<Vec<_>>(), ["a.csv"]);
    let values = Values {
        thresholds: vec!["100000".into(), "150000".into()],
        categories: vec!["testing".into(), "drug:x".into()],
        parameters: vec![],
        arms: vec![],
    };
    let documented = expand(&dict["a.csv"], &values);
    let header = |s: &str| s.split(',').map(String::from).collect::<Vec<_>>();
    let right = header(
        "strategy,contract,nmb_100000,nmb_150000,inc_nmb_100000,preferred_100000,\
         inc_nmb_150000,preferred_150000,cost_testing,cost_drug:x",
    );
    assert_eq!(documented, right);
    assert!(compare_header("a.csv", &documented, &right).is_none());
    let added = [right.clone(), vec!["new_column".into()]].concat();
    let why = compare_header("a.csv", &documented, &added).unwrap();
    assert!(why.contains("in the file, not in the dictionary: [\"new_column\"]"), "{why}");
    let removed = right[1..].to_vec();
    let why = compare_header("a.csv", &documented, &removed).unwrap();
    assert!(why.contains("in the dictionary, not in the file: [\"strategy\"]"), "{why}");
    let mut moved = right.clone();
    moved.swap(4, 6); // inc_nmb_<λ> grouped, not interleaved with preferred_<λ>
    let why = compare_header("a.csv", &documented, &moved).unwrap();
    assert!(why.contains("same columns, another order"), "{why}");

    for bad in [
        "## a.csv\n\n| column | meaning |\n| --- | --- |\n| strategy | no backticks |\n",
        "## a.csv\n\n| column | meaning |\n| --- | --- |\n| `a` and `b` | prose |\n",
        "## a.csv\n\n| column | meaning |\n| --- | --- |\n| `cost`, `nmb_<λ>` | mixed |\n",
        "## a.csv\n\n| column | meaning |\n| --- | --- |\n| `x_<λ>_<category>` | two |\n",
        "## a.csv\n\n| column | meaning |\n| --- | --- |\n| `Cost` | not snake_case |\n",
        "## a.csv\n\nNo table.\n",
        "## a.csv\n\n| column | meaning |\n| --- | --- |\n| `a` | a |\n\n## a.csv\n\n\
         | column | meaning |\n| --- | --- |\n| `a` | a |\n",
        "### a.csv\n\n| column | meaning |\n| --- | --- |\n| `a` | a |\n",
        "## a.csv — one row per arm\n\n| column | meaning |\n| --- | --- |\n| `a` | a |\n",
    ] {
        assert!(dictionary(bad).is_err(), "accepted:\n{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// The book

/// The chapter files of docs/src, but SUMMARY.md.
fn chapters() -> BTreeSet<String> {
    std::fs::read_dir(root().join("docs/src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && n != "SUMMARY.md")
        .collect()
}

/// Every chapter file is listed in SUMMARY.md once, and every file it lists exists.
#[test]
fn the_book_summary_lists_every_chapter_and_only_chapters_that_exist() {
    let summary = read(&root().join("docs/src/SUMMARY.md"));
    let mut listed = Vec::new();
    for (_, line) in prose_lines(&summary) {
        for (target, _) in links(line) {
            listed.push(target);
        }
    }
    let set: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(set.len(), listed.len(), "a chapter listed twice in SUMMARY.md: {listed:?}");
    for file in &listed {
        assert!(root().join("docs/src").join(file).is_file(), "SUMMARY.md lists {file}, missing");
    }
    assert_eq!(set, chapters(), "chapter files of docs/src against SUMMARY.md");
}

/// The Markdown links of a line outside inline code, as (target, text).
fn links(line: &str) -> Vec<(String, String)> {
    // Inline code spans are not links: drop them, keeping the rest of the line.
    let mut plain = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            plain.push(c);
        }
    }
    let mut found = Vec::new();
    let mut rest = plain.as_str();
    while let Some(i) = rest.find("](") {
        let text_start = rest[..i].rfind('[').map(|s| s + 1).unwrap_or(i);
        let after = &rest[i + 2..];
        let Some(end) = after.find(')') else { break };
        found.push((after[..end].to_string(), rest[text_start..i].to_string()));
        rest = &after[end + 1..];
    }
    found
}

/// A heading's anchor as mdBook (and GitHub) make it: code marks dropped, letters, digits, `_`
/// and `-` kept and lowercased, spaces as `-`, anything else dropped; a repeated anchor gets
/// `-1`, `-2`, ….
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let Some((_, title)) = heading(line) else { continue };
        let id: String = title
            .chars()
            .filter_map(|c| {
                if c.is_alphanumeric() || c == '_' || c == '-' {
                    Some(c.to_lowercase().next().unwrap())
                } else if c.is_whitespace() {
                    Some('-')
                } else {
                    None
                }
            })
            .collect();
        let n = seen.entry(id.clone()).or_insert(0);
        out.insert(if *n == 0 { id } else { format!("{id}-{n}") });
        *n += 1;
    }
    out
}

/// Every relative link of the book's chapters and of the README points at a file that exists,
/// and, with `#anchor` into a Markdown file, at one of its headings.
#[test]
fn links_between_the_chapters_and_from_the_readme_resolve() {
    let mut sources: Vec<PathBuf> =
        chapters().iter().map(|c| root().join("docs/src").join(c)).collect();
    sources.push(root().join("docs/src/SUMMARY.md"));
    sources.push(root().join("README.md"));
    let mut broken = Vec::new();
    let mut count = 0;
    for source in &sources {
        let text = read(source);
        for (n, line) in prose_lines(&text) {
            for (target, _) in links(line) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                count += 1;
                let (file, anchor) = match target.split_once('#') {
                    Some((f, a)) => (f, Some(a)),
                    None => (target.as_str(), None),
                };
                let path = if file.is_empty() {
                    source.clone()
                } else {
                    source.parent().unwrap().join(file)
                };
                let at = format!("{}:{n}: {target}", source.strip_prefix(ROOT).unwrap().display());
                if !path.exists() {
                    broken.push(format!("{at}: no such file"));
                    continue;
                }
                if let Some(anchor) = anchor {
                    let is_markdown = path.extension().is_some_and(|x| x == "md");
                    if !is_markdown || !anchors(&read(&path)).contains(anchor) {
                        broken.push(format!("{at}: no heading with this anchor"));
                    }
                }
            }
        }
    }
    assert!(count > 50, "only {count} links found: is the link reader broken?");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The command table (from its `| command | what it does |` line to the table's end).
fn command_table(path: &Path) -> Vec<String> {
    let text = read(path);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == "| command | what it does |")
        .unwrap_or_else(|| panic!("{path:?} has no command table"));
    lines[start..].iter().take_while(|l| l.starts_with('|')).map(|l| l.to_string()).collect()
}

/// The README's command table and the Guide's are the same, row for row.
#[test]
fn the_readme_and_the_guide_have_the_same_command_table() {
    let readme = command_table(&root().join("README.md"));
    let guide = command_table(&root().join("docs/src/guide.md"));
    assert!(readme.len() > 10, "the command table has a row per command: {readme:?}");
    assert_eq!(readme, guide, "README.md and docs/src/guide.md: change both command tables");
}
