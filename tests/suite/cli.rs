//! The command line end to end (docs, "Commands" and "Outputs (data dictionary)"): `check`,
//! `init`, `run`, `bench`; the output files and their headers; determinism across thread
//! counts; seeds; atomic output folders that never replace what vbpsim did not write.

use crate::support::{expect, listing, text_of, vbpsim};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

const SCENARIO: &str = "scenarios/nsclc_egfr.toml";
const BUNDLED: &str = include_str!("../../scenarios/nsclc_egfr.toml");
const STRATEGIES: [&str; 2] = ["chemo_for_all", "test_and_treat"];
const COMPARATOR: &str = "chemo_for_all";
const THRESHOLDS: [&str; 2] = ["100000", "150000"];

/// `vbpsim run <scenario> --out <out> --quiet <extra…>`, which must succeed.
fn run(scenario: &Path, out: &Path, extra: &[&str]) -> Output {
    let out = expect(
        vbpsim().arg("run").arg(scenario).arg("--out").arg(out).arg("--quiet").args(extra),
        0,
    );
    assert!(out.stderr.is_empty(), "--quiet prints nothing on stderr:\n{}", text_of(&out.stderr));
    out
}

fn bundled_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIO)
}

fn assert_no_partial_folders(dir: &Path) {
    for name in listing(dir) {
        assert!(
            !name.contains(".partial") && !name.ends_with(".old") && !name.starts_with('.'),
            "leftover temporary entry {name:?} in {dir:?}"
        );
    }
}

/// A CSV file: header and rows, every cell a string.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &Path) -> Csv {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(path)
            .unwrap_or_else(|e| panic!("cannot read {path:?}: {e}"));
        let mut records = r.records().map(|rec| {
            rec.unwrap_or_else(|e| panic!("{path:?}: {e}"))
                .iter()
                .map(str::to_string)
                .collect::<Vec<String>>()
        });
        let header = records.next().expect("a header row");
        let rows: Vec<Vec<String>> = records.collect();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(
                row.len(),
                header.len(),
                "{path:?} row {i} has {} cells, the header {}",
                row.len(),
                header.len()
            );
        }
        Csv { header, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.header))
    }

    fn get<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        &row[self.col(name)]
    }

    fn num(&self, row: &[String], name: &str) -> f64 {
        let s = self.get(row, name);
        let x: f64 = s.parse().unwrap_or_else(|_| panic!("{name} = {s:?} is not a number"));
        assert!(x.is_finite(), "{name} = {s} is not finite");
        x
    }
}

/// Every numeric-looking cell is finite and written as the shortest decimal that reads back to
/// the same double (docs: "numbers at full precision"); no NaN or inf anywhere.
fn assert_numbers_clean(name: &str, csv: &Csv, text_columns: &[&str]) {
    for (i, row) in csv.rows.iter().enumerate() {
        for (h, cell) in csv.header.iter().zip(row) {
            let lower = cell.to_lowercase();
            assert!(
                !lower.contains("nan") && !lower.contains("inf"),
                "{name} row {i} column {h}: non-finite {cell:?}"
            );
            if text_columns.contains(&h.as_str()) || cell.is_empty() {
                continue;
            }
            let x: f64 = cell
                .parse()
                .unwrap_or_else(|_| panic!("{name} row {i} column {h}: {cell:?} is not a number"));
            assert!(x.is_finite(), "{name} row {i} column {h}: {cell}");
            let shortest = if x == 0.0 { "0".to_string() } else { format!("{x}") };
            assert_eq!(
                cell, &shortest,
                "{name} row {i} column {h}: not the shortest round-trip form"
            );
        }
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?} is not JSON: {e}\n{text}"))
}

// ---------------------------------------------------------------------------------------------
// check

#[test]
fn check_bundled_scenario_prints_the_summary() {
    let out = expect(vbpsim().args(["check", SCENARIO]), 0);
    let stdout = text_of(&out.stdout);
    assert!(out.stderr.is_empty(), "{}", text_of(&out.stderr));
    assert!(
        stdout.starts_with(&format!("{SCENARIO}: ok\n")),
        "check says the file is ok:\n{stdout}"
    );
    assert!(stdout.contains("nsclc_egfr"), "{stdout}");
    for s in STRATEGIES {
        assert!(
            stdout.lines().any(|l| l.starts_with("strategy") && l.contains(s)),
            "strategy {s} is listed:\n{stdout}"
        );
    }
    let comparator_line = stdout
        .lines()
        .find(|l| l.contains("(comparator)"))
        .unwrap_or_else(|| panic!("the comparator is marked:\n{stdout}"));
    assert!(comparator_line.contains(COMPARATOR), "{comparator_line}");
    assert!(!comparator_line.contains("test_and_treat"), "{comparator_line}");
    for name in ["tissue_ngs", "osimertinib", "platinum_pemetrexed", "EGFR"] {
        assert!(stdout.contains(name), "{name} appears in the summary:\n{stdout}");
    }
    // What a reviewer checks too: the health states, adverse events, the budget impact, and
    // each uncertain parameter's distribution with its 95 % interval (here the beta of mean
    // 0.15 and standard error 0.015: α + β = m(1 − m)/se² − 1, quantiles from statrs).
    for line in [
        "states     progression-free: cost 1000 a month, utility 0.653; progressed: cost 2500 a month, utility 0.473; death: cost 10800 once",
        "adverse event chemo_febrile_neutropenia: probability 0.02, cost 20000, QALY loss 0.0035",
        "budget     test_and_treat over 5 years: 1000 incident patients in year 1",
        // Each contract's terms, in words, below it.
        "contract   discount_20: discount on osimertinib in osimertinib (1 arm)\n             20 % off list\n",
        // A list contract adds no arm.
        "contract   list_price: list on osimertinib in osimertinib (settled on the list arm of 1 strategy)",
        "100 % of what was paid refunded on detected progression or death within 6.000 months of the start",
        "the payer pays at most 26 cycles of treatment; the manufacturer the rest",
    ] {
        assert!(stdout.contains(line), "{line}\nis not in:\n{stdout}");
    }
    use statrs::distribution::ContinuousCDF;
    let total = 0.15 * 0.85 / (0.015f64 * 0.015) - 1.0;
    let beta = statrs::distribution::Beta::new(0.15 * total, 0.85 * total).unwrap();
    let (lo, hi) = (beta.inverse_cdf(0.025), beta.inverse_cdf(0.975));
    let said = format!("egfr_prevalence = 0.15 (beta; 95 % {lo:.4} to {hi:.4})");
    assert!(stdout.contains(&said), "{said}\nis not in:\n{stdout}");
}

// ---------------------------------------------------------------------------------------------
// init

#[test]
fn init_writes_a_template_that_checks_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.toml");
    expect(vbpsim().arg("init").arg(&file), 0);
    assert!(file.is_file(), "init wrote {file:?}");
    let template = std::fs::read_to_string(&file).unwrap();
    assert!(template.lines().any(|l| l.trim_start().starts_with('#')), "the template is commented");
    let out = expect(vbpsim().arg("check").arg(&file), 0);
    assert!(text_of(&out.stdout).contains(": ok"));
    let o = dir.path().join("o");
    run(&file, &o, &["--patients", "2000"]);
    assert!(o.join("summary.csv").is_file());
    assert_eq!(listing(dir.path()), ["o", "x.toml"]);
}

/// `init` writes a short skeleton named after its file (not the default scenario under the
/// default's name, which would overwrite that output folder); `--example NAME` a bundled
/// scenario, renamed the same way; an unknown example is refused with the nearest name.
#[test]
fn init_writes_a_skeleton_of_its_own_name_or_a_named_example() {
    let dir = tempfile::tempdir().unwrap();
    let skeleton = dir.path().join("her2 gastric.toml");
    expect(vbpsim().arg("init").arg(&skeleton), 0);
    let text = std::fs::read_to_string(&skeleton).unwrap();
    assert!(text.contains("name = \"her2_gastric\""), "named after the file");
    assert!(text.lines().count() < 120, "short: {} lines", text.lines().count());
    assert!(text.contains("placeholder"), "says what to replace");
    let example = dir.path().join("mine.toml");
    expect(vbpsim().args(["init", "--example", "nsclc_alk"]).arg(&example), 0);
    let text = std::fs::read_to_string(&example).unwrap();
    let bundled = include_str!("../../scenarios/nsclc_alk.toml");
    assert_eq!(text, bundled.replacen("name = \"nsclc_alk\"", "name = \"mine\"", 1));
    let out = expect(vbpsim().arg("check").arg(&example), 0);
    assert!(text_of(&out.stdout).contains(": ok"));
    let out = expect(
        vbpsim().args(["init", "--example", "nsclc_alkk"]).arg(dir.path().join("n.toml")),
        2,
    );
    let said = text_of(&out.stderr);
    assert!(
        said.contains("no bundled example `nsclc_alkk`")
            && said.contains("did you mean `nsclc_alk`?"),
        "{said}"
    );
    assert!(!dir.path().join("n.toml").exists());
}

#[test]
fn init_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    std::fs::write(&file, "my own notes\n").unwrap();
    let out = expect(vbpsim().arg("init").arg(&file), 2);
    let stderr = text_of(&out.stderr);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains("exists"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "my own notes\n");

    // The same after a successful init: a second init of the same path is refused.
    let fresh = dir.path().join("fresh.toml");
    expect(vbpsim().arg("init").arg(&fresh), 0);
    let first = std::fs::read(&fresh).unwrap();
    expect(vbpsim().arg("init").arg(&fresh), 2);
    assert_eq!(std::fs::read(&fresh).unwrap(), first);
}

#[test]
fn init_without_a_path_writes_scenario_toml() {
    let dir = tempfile::tempdir().unwrap();
    expect(vbpsim().arg("init").current_dir(dir.path()), 0);
    assert_eq!(listing(dir.path()), ["scenario.toml"]);
    expect(vbpsim().args(["check", "scenario.toml"]).current_dir(dir.path()), 0);
}

// ---------------------------------------------------------------------------------------------
// run: the output folder and the data dictionary

fn summary_header() -> Vec<String> {
    let mut h: Vec<String> = [
        "strategy",
        "contract",
        "cost",
        "qaly",
        "ly",
        "ly_undiscounted",
        "inc_cost",
        "inc_qaly",
        "inc_ly",
        "icer",
        "icer_status",
        // The arm the increments are against (the default scenario's comparator gives no
        // contracted drug: the comparator at list).
        "reference",
    ]
    .map(String::from)
    .to_vec();
    for x in ["cost", "qaly", "ly", "ly_undiscounted", "inc_cost", "inc_qaly", "inc_ly"] {
        h.push(format!("{x}_mcse"));
    }
    // deterministic, then with a PSA probabilistic rows.
    h.push("basis".into());
    h
}

/// The categories of costs.csv for the bundled scenario, in the docs' order (drugs in the
/// order they first appear in the file).
const CATEGORIES: [&str; 16] = [
    "testing",
    "drug:pemetrexed",
    "drug:carboplatin",
    "drug:osimertinib",
    "administration",
    "adverse_events",
    "state:progression_free",
    "state:progressed",
    "post_progression",
    "terminal_care",
    "rebate:list_price",
    "rebate:discount_20",
    "rebate:money_back_6m",
    "rebate:risk_sharing_50",
    "rebate:cap_26_cycles",
    "contract_admin",
];

/// Arms of the bundled scenario: every strategy at list, then test_and_treat under each
/// contract on osimertinib (chemo_for_all never gives osimertinib); its `list_price` contract
/// is settled on the list arm and adds none.
const ARMS: [(&str, &str); 6] = [
    ("chemo_for_all", "list"),
    ("test_and_treat", "list"),
    ("test_and_treat", "discount_20"),
    ("test_and_treat", "money_back_6m"),
    ("test_and_treat", "risk_sharing_50"),
    ("test_and_treat", "cap_26_cycles"),
];

#[test]
fn run_writes_the_documented_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().join("o");
    let scenario = bundled_path();
    let out = run(&scenario, &o, &["--patients", "5000"]);
    assert!(out.stdout.is_empty(), "{}", text_of(&out.stdout));
    assert_eq!(listing(dir.path()), ["o"], "only the output folder is created");
    let files: BTreeSet<String> = listing(&o).into_iter().collect();
    for f in ["summary.csv", "costs.csv", "survival.csv", "contracts.csv", "run.json"] {
        assert!(files.contains(f), "{f} is written: {files:?}");
    }

    let summary = summary_csv_is_documented(&o);
    costs_csv_is_documented(&o, &summary);
    survival_csv_is_documented(&o);
    run_json_is_documented(&o, &scenario);
}

/// summary.csv: the data dictionary's header, one row per arm, the comparator's zeros, and
/// increments, net monetary benefits and the ICER as the docs define them.
fn summary_csv_is_documented(o: &Path) -> Csv {
    let summary = Csv::read(&o.join("summary.csv"));
    assert!(
        std::fs::read_to_string(o.join("summary.csv"))
            .unwrap()
            .starts_with("strategy,contract,cost,qaly,ly,ly_undiscounted,")
    );
    assert_eq!(summary.header, summary_header());
    assert_numbers_clean(
        "summary.csv",
        &summary,
        &["strategy", "contract", "icer_status", "reference", "basis"],
    );
    // nmb.csv: one row per arm and threshold (long), read here beside summary.csv's row.
    let nmb = Csv::read(&o.join("nmb.csv"));
    let nmb_header = [
        "strategy",
        "contract",
        "reference",
        "wtp",
        "nmb",
        "inc_nmb",
        "nmb_mcse",
        "inc_nmb_mcse",
        "prob_ce",
        "basis",
    ];
    assert_eq!(nmb.header, nmb_header);
    assert_numbers_clean("nmb.csv", &nmb, &["strategy", "contract", "reference", "basis"]);
    assert_eq!(nmb.rows.len(), summary.rows.len() * THRESHOLDS.len());
    let wtps: Vec<&str> = nmb.rows.iter().take(THRESHOLDS.len()).map(|r| r[3].as_str()).collect();
    assert_eq!(wtps, THRESHOLDS, "the thresholds in the scenario's order");
    let summary = {
        let Csv { mut header, mut rows } = summary;
        crate::support::widen(
            (&mut header, &mut rows),
            (&nmb.header, &nmb.rows),
            &["strategy", "contract", "reference"],
        );
        Csv { header, rows }
    };
    let arms: Vec<(&str, &str)> =
        summary.rows.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    assert_eq!(arms, ARMS, "one row per arm: strategies in file order, list first");
    let comp = &summary.rows[0];
    assert_eq!(summary.get(comp, "strategy"), COMPARATOR);
    assert_eq!(summary.get(comp, "icer_status"), "comparator");
    assert_eq!(summary.get(comp, "icer"), "", "no ICER for the comparator");
    for x in ["inc_cost", "inc_qaly", "inc_ly", "inc_cost_mcse", "inc_qaly_mcse"] {
        assert_eq!(summary.num(comp, x), 0.0, "comparator {x}");
    }
    for row in &summary.rows {
        let s = summary.get(row, "strategy");
        assert_eq!(summary.get(row, "reference"), format!("{COMPARATOR}/list"), "{s}");
        let (cost, qaly, ly, lyu) = (
            summary.num(row, "cost"),
            summary.num(row, "qaly"),
            summary.num(row, "ly"),
            summary.num(row, "ly_undiscounted"),
        );
        assert!(cost > 0.0 && qaly > 0.0, "{s}");
        assert!(qaly < ly && ly < lyu && lyu <= 20.0, "{s}: qaly < ly < ly_undiscounted ≤ H");
        // Increments against the comparator (paired differences: equal to the difference of
        // means up to rounding).
        for (inc, x) in [("inc_cost", "cost"), ("inc_qaly", "qaly"), ("inc_ly", "ly")] {
            let want = summary.num(row, x) - summary.num(comp, x);
            assert!(
                close(summary.num(row, inc), want, 1e-9),
                "{s}: {inc} = {} vs {want}",
                summary.num(row, inc)
            );
        }
        for l in THRESHOLDS {
            let lambda: f64 = l.parse().unwrap();
            let nmb = summary.num(row, &format!("nmb_{l}"));
            assert!(close(nmb, lambda * qaly - cost, 1e-12), "{s}: nmb_{l}");
            let inc = summary.num(row, &format!("inc_nmb_{l}"));
            let comp_nmb = summary.num(comp, &format!("nmb_{l}"));
            assert!(close(inc, nmb - comp_nmb, 1e-9), "{s}: inc_nmb_{l}");
        }
        for h in &summary.header {
            if h.ends_with("_mcse") {
                assert!(summary.num(row, h) >= 0.0, "{s}: {h}");
            }
        }
    }
    // test_and_treat costs more and gains QALYs: a ratio.
    let tt = &summary.rows[1];
    assert_eq!(summary.get(tt, "icer_status"), "ratio");
    let icer = summary.num(tt, "icer");
    assert!(close(icer, summary.num(tt, "inc_cost") / summary.num(tt, "inc_qaly"), 1e-12));
    summary
}

/// costs.csv: every category of every arm, adding up to summary.csv's cost.
fn costs_csv_is_documented(o: &Path, summary: &Csv) {
    let costs = Csv::read(&o.join("costs.csv"));
    assert_eq!(costs.header, ["strategy", "contract", "category", "cost", "basis"]);
    assert_numbers_clean("costs.csv", &costs, &["strategy", "contract", "category", "basis"]);
    assert!(costs.rows.iter().all(|r| r[4] == "deterministic"), "without PSA");
    assert_eq!(costs.rows.len(), ARMS.len() * CATEGORIES.len());
    for (k, (s, contract)) in ARMS.iter().enumerate() {
        let rows = &costs.rows[k * CATEGORIES.len()..(k + 1) * CATEGORIES.len()];
        let cats: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
        assert_eq!(cats, CATEGORIES, "{s}: every category, zeros included");
        let mut total = 0.0;
        for r in rows {
            assert_eq!(r[0], *s);
            assert_eq!(r[1], *contract);
            let c = costs.num(r, "cost");
            if r[2].starts_with("rebate:") {
                assert!(c <= 0.0, "{s}/{contract} {}: refunds are negative, {c}", r[2]);
                if r[2] != format!("rebate:{contract}") {
                    assert_eq!(c, 0.0, "{s}/{contract}: only its own contract refunds");
                }
            } else {
                assert!(c >= 0.0, "{s}/{contract} {}: {c}", r[2]);
            }
            total += c;
        }
        let summary_cost = summary.num(&summary.rows[k], "cost");
        assert!(
            close(total, summary_cost, 1e-12),
            "{s}: categories sum to {total}, summary cost {summary_cost}"
        );
    }
    let cat = |s: &str, c: &str| -> f64 {
        let r = costs.rows.iter().find(|r| r[0] == s && r[1] == "list" && r[2] == c).unwrap();
        costs.num(r, "cost")
    };
    // chemo_for_all tests only at progression (a share of 0.6 of its patients at most, later,
    // discounted) and gives osimertinib only to those found positive then; in test_and_treat
    // everybody pays the test at t = 0, and nobody is re-tested.
    let retest = cat("chemo_for_all", "testing");
    assert!(retest > 0.0 && retest < 0.6 * 3500.0, "{retest}");
    assert!(cat("chemo_for_all", "drug:osimertinib") > 0.0);
    assert_eq!(cat("test_and_treat", "testing"), 3500.0);
    assert!(cat("test_and_treat", "drug:osimertinib") > 0.0);
}

/// survival.csv: every month of the horizon, pfs ≤ os, both never rising.
fn survival_csv_is_documented(o: &Path) {
    let survival = Csv::read(&o.join("survival.csv"));
    assert_eq!(survival.header, ["strategy", "month", "time", "pfs", "os"]);
    assert_numbers_clean("survival.csv", &survival, &["strategy"]);
    let months = 240; // ⌊12 · 20 years⌋
    assert_eq!(survival.rows.len(), STRATEGIES.len() * (months + 1));
    for (k, s) in STRATEGIES.iter().enumerate() {
        let rows = &survival.rows[k * (months + 1)..(k + 1) * (months + 1)];
        let (mut prev_pfs, mut prev_os) = (1.0, 1.0);
        for (m, r) in rows.iter().enumerate() {
            assert_eq!(r[0], *s);
            assert_eq!(r[1], m.to_string());
            assert_eq!(survival.num(r, "time"), m as f64 / 12.0, "{s} month {m}");
            let (pfs, os) = (survival.num(r, "pfs"), survival.num(r, "os"));
            if m == 0 {
                assert_eq!((pfs, os), (1.0, 1.0), "{s}: everybody alive at month 0");
            }
            assert!((0.0..=1.0).contains(&pfs) && (0.0..=1.0).contains(&os));
            assert!(pfs <= os, "{s} month {m}: pfs {pfs} > os {os}");
            assert!(pfs <= prev_pfs && os <= prev_os, "{s} month {m}: increasing");
            (prev_pfs, prev_os) = (pfs, os);
        }
        assert!(prev_os < 0.05, "{s}: nearly everybody dead at 20 years");
    }
}

/// run.json: the tool, the scenario and its hash, the run's size and its speed.
fn run_json_is_documented(o: &Path, scenario: &Path) {
    let j = read_json(&o.join("run.json"));
    assert_eq!(j["tool"], "vbpsim");
    assert_eq!(j["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(j["scenario"], "nsclc_egfr");
    assert_eq!(j["scenario_file"], scenario.display().to_string());
    assert_eq!(j["scenario_sha256"], sha256_hex(&std::fs::read(scenario).unwrap()));
    assert_eq!(j["seed"], 2026, "the scenario's seed");
    assert_eq!(j["patients"], 5000);
    assert_eq!(j["strategies"], serde_json::json!(STRATEGIES));
    assert_eq!(j["arms"], ARMS.len());
    assert_eq!(j["comparator"], COMPARATOR);
    // The units a reader of the CSVs needs (the default scenario's).
    let units = &j["units"];
    assert_eq!(units["currency"], "USD");
    assert_eq!(units["horizon_years"], 20.0);
    for rate in ["discount_costs", "discount_outcomes", "discount_manufacturer"] {
        assert_eq!(units[rate], 0.03, "{rate}");
    }
    assert_eq!(units["thresholds"], serde_json::json!([100000.0, 150000.0]));
    let grid = units["wtp_grid"].as_array().unwrap();
    assert_eq!(
        (grid.len(), &grid[0], &grid[41]),
        (42, &serde_json::json!(0.0), &serde_json::json!(300000.0))
    );
    assert!(j["threads"].as_u64().is_some_and(|t| t >= 1));
    assert!(j["wall_seconds"].as_f64().is_some_and(|w| w >= 0.0));
    assert!(j["cpu_seconds"].as_f64().is_some_and(|c| c >= 0.0));
    assert_eq!(j["trajectories"], 5000 * 2, "patients × strategies, base case only");
    let rate = j["trajectories_per_second"].as_f64().unwrap();
    let expected = 10_000.0 / j["wall_seconds"].as_f64().unwrap();
    assert!((rate - expected).abs() <= 1e-9 * expected, "{rate} vs {expected}");
    assert!(j["peak_memory_mib"].as_f64().is_some_and(|m| m > 1.0));
}

#[test]
fn csv_outputs_are_identical_for_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = bundled_path();
    let (one, two) = (dir.path().join("t1"), dir.path().join("t2"));
    run(&scenario, &one, &["--patients", "20000", "--threads", "1"]);
    run(&scenario, &two, &["--patients", "20000", "--threads", "2"]);
    for f in ["summary.csv", "costs.csv", "survival.csv"] {
        let (a, b) = (std::fs::read(one.join(f)).unwrap(), std::fs::read(two.join(f)).unwrap());
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
    let (mut a, mut b) = (read_json(&one.join("run.json")), read_json(&two.join("run.json")));
    assert_eq!(a["threads"], 1);
    assert_eq!(b["threads"], 2);
    for j in [&mut a, &mut b] {
        let m = j.as_object_mut().unwrap();
        for key in vbpsim::output::manifest::PROCESS_FIELDS {
            assert!(m.remove(*key).is_some(), "{key} in run.json");
        }
    }
    assert_eq!(a, b, "run.json differs only in the process's own fields");
}

/// With a PSA, every table and the SVG plots are byte-identical for 1 and 2 threads.
#[test]
fn psa_outputs_are_identical_for_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = bundled_path();
    let (one, two) = (dir.path().join("t1"), dir.path().join("t2"));
    let args = ["--patients", "3000", "--samples", "24"];
    run(&scenario, &one, &[&args[..], &["--threads", "1"]].concat());
    run(&scenario, &two, &[&args[..], &["--threads", "2"]].concat());
    let mut compared = 0;
    for entry in std::fs::read_dir(&one).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name == "run.json" || name.ends_with(".png") {
            continue;
        }
        let (a, b) =
            (std::fs::read(one.join(&name)).unwrap(), std::fs::read(two.join(&name)).unwrap());
        assert!(a == b, "{name} differs between 1 and 2 threads");
        compared += 1;
    }
    for f in [
        "psa.csv",
        "parameters.csv",
        "ceac.csv",
        "evpi.csv",
        "evppi.csv",
        "frontier.csv",
        "ceac.svg",
    ] {
        assert!(one.join(f).exists(), "{f} is written with a PSA");
    }
    assert!(compared >= 15, "compared {compared} files");

    // Recompute from psa.csv: the CEAC of the list decision set, and prob_ce in summary.csv.
    let psa = Csv::read(&one.join("psa.csv"));
    let num = |r: &Vec<String>, c: &str| psa.get(r, c).parse::<f64>().unwrap();
    let samples: Vec<(f64, f64, f64, f64)> = psa
        .rows
        .chunks(ARMS.len())
        .map(|arms| {
            assert_eq!(psa.get(&arms[0], "strategy"), COMPARATOR);
            assert_eq!(psa.get(&arms[1], "contract"), "list");
            (
                num(&arms[0], "cost"),
                num(&arms[0], "qaly"),
                num(&arms[1], "cost"),
                num(&arms[1], "qaly"),
            )
        })
        .collect();
    assert_eq!(samples.len(), 24);
    let ceac = Csv::read(&one.join("ceac.csv"));
    let mut checked = 0;
    for row in &ceac.rows {
        if ceac.get(row, "decision_set") != "list" || ceac.get(row, "strategy") == COMPARATOR {
            continue;
        }
        let l: f64 = ceac.get(row, "wtp").parse().unwrap();
        // Ties go to the first arm (the comparator).
        let wins = samples.iter().filter(|(c0, q0, c1, q1)| l * q1 - c1 > l * q0 - c0).count();
        let p: f64 = ceac.get(row, "prob_best").parse().unwrap();
        assert_eq!(p, wins as f64 / 24.0, "CEAC at {l}");
        checked += 1;
    }
    assert!(checked > 10);
    let nmb = Csv::read(&one.join("nmb.csv"));
    let at = |strategy: &str| {
        let row = nmb.rows.iter().find(|r| {
            nmb.get(r, "strategy") == strategy
                && nmb.get(r, "wtp") == "100000"
                && nmb.get(r, "basis") == "deterministic"
        });
        row.expect("a row of the arm at 100000").clone()
    };
    let row = &at("test_and_treat");
    let p: f64 = nmb.get(row, "prob_ce").parse().unwrap();
    let wins = samples.iter().filter(|(c0, q0, c1, q1)| 1e5 * (q1 - q0) - (c1 - c0) > 0.0).count();
    // summary's incremental NMB is the mean of paired per-patient differences: equal up to
    // rounding, so a sample within rounding of 0 may count differently.
    assert!((p - wins as f64 / 24.0).abs() <= 1.0 / 24.0 + 1e-12, "prob_ce {p} vs {wins}/24");
    assert_eq!(nmb.get(&at(COMPARATOR), "prob_ce"), "", "the comparator has none");
}

#[test]
fn seed_changes_the_numbers_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = bundled_path();
    let (base, again, seeded) =
        (dir.path().join("base"), dir.path().join("again"), dir.path().join("seeded"));
    run(&scenario, &base, &["--patients", "5000"]);
    run(&scenario, &again, &["--patients", "5000"]);
    run(&scenario, &seeded, &["--patients", "5000", "--seed", "7"]);
    let read = |d: &Path, f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    for f in ["summary.csv", "costs.csv", "survival.csv"] {
        assert_eq!(read(&base, f), read(&again, f), "{f}: same seed, same output");
    }
    let (a, b) = (Csv::read(&base.join("summary.csv")), Csv::read(&seeded.join("summary.csv")));
    for x in ["cost", "qaly", "ly"] {
        for (k, s) in STRATEGIES.iter().enumerate() {
            assert_ne!(
                a.num(&a.rows[k], x),
                b.num(&b.rows[k], x),
                "{x} of {s} does not depend on the seed"
            );
        }
    }
    assert_ne!(read(&base, "survival.csv"), read(&seeded, "survival.csv"));
    assert_eq!(read_json(&seeded.join("run.json"))["seed"], 7);
    assert_eq!(read_json(&base.join("run.json"))["seed"], 2026);
}

// ---------------------------------------------------------------------------------------------
// run: output folders

#[test]
fn rerun_replaces_a_previous_vbpsim_output() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = bundled_path();
    let o = dir.path().join("o");
    run(&scenario, &o, &["--patients", "2000", "--seed", "1"]);
    let first = std::fs::read_to_string(o.join("summary.csv")).unwrap();
    run(&scenario, &o, &["--patients", "3000", "--seed", "2"]);
    let second = std::fs::read_to_string(o.join("summary.csv")).unwrap();
    assert_ne!(first, second, "the second run's results replaced the first's");
    let j = read_json(&o.join("run.json"));
    assert_eq!(j["seed"], 2);
    assert_eq!(j["patients"], 3000);
    assert_eq!(listing(dir.path()), ["o"], "no temporary folders left beside the output");
    assert_no_partial_folders(dir.path());
    assert_no_partial_folders(&o);
}

#[test]
fn a_folder_not_written_by_vbpsim_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = bundled_path();

    // A folder with the user's notes and no run.json.
    let o = dir.path().join("o");
    std::fs::create_dir(&o).unwrap();
    std::fs::write(o.join("notes.txt"), "precious\n").unwrap();
    let out = expect(
        vbpsim().arg("run").arg(&scenario).arg("--out").arg(&o).args([
            "--patients",
            "2000",
            "--quiet",
        ]),
        2,
    );
    let stderr = text_of(&out.stderr);
    assert!(stderr.contains(&o.display().to_string()), "{stderr}");
    assert_eq!(listing(&o), ["notes.txt"], "nothing added to or removed from {o:?}");
    assert_eq!(std::fs::read_to_string(o.join("notes.txt")).unwrap(), "precious\n");

    // A run.json that some other tool wrote.
    let p = dir.path().join("p");
    std::fs::create_dir(&p).unwrap();
    std::fs::write(p.join("run.json"), "{\"tool\": \"other\"}\n").unwrap();
    expect(
        vbpsim().arg("run").arg(&scenario).arg("--out").arg(&p).args([
            "--patients",
            "2000",
            "--quiet",
        ]),
        2,
    );
    assert_eq!(listing(&p), ["run.json"]);
    assert_eq!(std::fs::read_to_string(p.join("run.json")).unwrap(), "{\"tool\": \"other\"}\n");

    // A regular file in the way.
    let f = dir.path().join("f");
    std::fs::write(&f, "a file\n").unwrap();
    expect(
        vbpsim().arg("run").arg(&scenario).arg("--out").arg(&f).args([
            "--patients",
            "2000",
            "--quiet",
        ]),
        2,
    );
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "a file\n");

    assert_eq!(listing(dir.path()), ["f", "o", "p"], "no temporary folders left");
}

#[test]
fn run_without_arguments_simulates_the_bundled_scenario_into_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = expect(vbpsim().args(["run", "--patients", "2000"]).current_dir(dir.path()), 0);
    let stderr = text_of(&out.stderr);
    // Without --quiet, a closing summary line per strategy.
    for s in STRATEGIES {
        assert!(stderr.contains(s), "closing summary names {s}:\n{stderr}");
    }
    let o = dir.path().join("output").join("nsclc_egfr");
    assert_eq!(listing(dir.path()), ["output"]);
    assert_eq!(listing(&dir.path().join("output")), ["nsclc_egfr"]);
    let j = read_json(&o.join("run.json"));
    assert_eq!(j["scenario"], "nsclc_egfr");
    assert_eq!(j["scenario_sha256"], sha256_hex(BUNDLED.as_bytes()));
    assert_eq!(j["patients"], 2000);
    assert!(o.join("summary.csv").is_file());
}

#[test]
fn bench_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = expect(
        vbpsim()
            .arg("bench")
            .arg(bundled_path())
            .args(["--patients", "5000", "--threads", "1"])
            .current_dir(dir.path()),
        0,
    );
    let stdout = text_of(&out.stdout);
    assert!(stdout.contains("trajectories_per_second:"), "{stdout}");
    assert!(stdout.contains("patients: 5000"), "{stdout}");
    assert!(listing(dir.path()).is_empty(), "bench writes no files");
}

/// `bench --samples` simulates the PSA samples as `run` does, writes nothing, and reports
/// their trajectories (samples × patients × strategies) apart from the base case's.
#[test]
fn bench_reports_psa_samples_apart() {
    let dir = tempfile::tempdir().unwrap();
    let out = expect(
        vbpsim()
            .arg("bench")
            .arg(bundled_path())
            .args(["--patients", "300", "--samples", "7", "--threads", "1"])
            .current_dir(dir.path()),
        0,
    );
    let stdout = text_of(&out.stdout);
    let field = |name: &str| {
        let line = stdout.lines().find(|l| l.starts_with(&format!("{name}: ")));
        line.unwrap_or_else(|| panic!("no {name} in {stdout}"))[name.len() + 2..].to_string()
    };
    assert_eq!(field("trajectories"), "600 (patients × strategies)");
    assert_eq!(field("psa_samples"), "7");
    assert_eq!(field("psa_trajectories"), "4200");
    let per_trajectory: f64 = field("psa_cpu_ns_per_trajectory").parse().unwrap();
    assert!(per_trajectory > 0.0 && per_trajectory.is_finite(), "{stdout}");
    assert!(listing(dir.path()).is_empty(), "bench writes no files");
    // Without samples, no PSA lines.
    let plain = expect(vbpsim().arg("bench").args(["--patients", "300", "--threads", "1"]), 0);
    assert!(!text_of(&plain.stdout).contains("psa_"), "{}", text_of(&plain.stdout));
}

/// A run never deletes files it did not write: a vbpsim output folder to which the user added
/// a file is not replaced (exit 2: the choice of folder is the input to fix), and the user's
/// file and the old results survive.
#[test]
fn a_vbpsim_folder_with_user_files_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = bundled_path();
    let o = dir.path().join("o");
    run(&scenario, &o, &["--patients", "2000"]);
    let before = std::fs::read_to_string(o.join("summary.csv")).unwrap();
    std::fs::write(o.join("my_notes.txt"), "keep me\n").unwrap();
    let out = expect(
        vbpsim().arg("run").arg(&scenario).arg("--out").arg(&o).args([
            "--quiet",
            "--patients",
            "3000",
        ]),
        2,
    );
    let stderr = text_of(&out.stderr);
    assert!(stderr.contains("my_notes.txt"), "the message names the foreign file:\n{stderr}");
    assert_eq!(std::fs::read_to_string(o.join("my_notes.txt")).unwrap(), "keep me\n");
    assert_eq!(std::fs::read_to_string(o.join("summary.csv")).unwrap(), before);
    assert_no_partial_folders(dir.path());
}

/// Writing to a closed pipe must not panic (e.g. `vbpsim check x.toml 2>&1 | head -1`).
#[test]
fn a_closed_stderr_pipe_does_not_panic() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("empty.toml");
    std::fs::write(&bad, "").unwrap();
    for _ in 0..5 {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("vbpsim"))
            .arg("check")
            .arg(&bad)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take()); // close the read end before vbpsim writes
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(2), "exit code with a closed stderr: {status:?}");
    }
}

/// Byte-identical CSVs across thread counts with several waves and a partial last chunk
/// (300,001 patients = 147 chunks of 2,048 in 3 waves of 64).
#[test]
fn csv_outputs_are_identical_across_waves_and_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = bundled_path();
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let o = dir.path().join(format!("t{threads}"));
        run(&scenario, &o, &["--patients", "300001", "--threads", threads]);
        let files: Vec<Vec<u8>> = ["summary.csv", "costs.csv", "survival.csv"]
            .iter()
            .map(|f| std::fs::read(o.join(f)).unwrap())
            .collect();
        outputs.push(files);
    }
    assert_eq!(outputs[0], outputs[1], "1 vs 2 threads");
    assert_eq!(outputs[0], outputs[2], "1 vs 3 threads");
}

/// Every bundled scenario (scenarios/ and benches/) validates and runs.
#[test]
fn every_bundled_scenario_checks_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for folder in ["scenarios", "benches"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            expect(vbpsim().arg("check").arg(&path), 0);
            let out = dir.path().join(path.file_stem().unwrap());
            run(&path, &out, &["--patients", "3000"]);
            assert!(out.join("summary.csv").exists(), "{path:?}");
            seen += 1;
        }
    }
    assert!(seen >= 4, "bundled scenarios found: {seen}");
}

/// Every subcommand's help gives each default once: clap prints the defaults it knows, so a
/// doc comment must not repeat them.
#[test]
fn help_states_each_default_once() {
    for sub in ["run", "merge", "check", "init", "price", "sensitivity", "compare", "bench"] {
        let out = vbpsim().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "`vbpsim {sub} --help` failed");
        let help = text_of(&out.stdout);
        for line in help.lines() {
            let defaults = line.matches("[default:").count();
            assert!(defaults <= 1, "`vbpsim {sub} --help` repeats a default: {line}");
        }
    }
    let bench = text_of(&vbpsim().args(["bench", "--help"]).output().unwrap().stdout);
    assert_eq!(bench.matches("[default: 1000000]").count(), 1, "{bench}");
}
