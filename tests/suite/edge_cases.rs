//! Numeric edge cases (README "Robustness"): scenario files are written by hand and edited
//! under deadline, so every value at the edge of what the README accepts must either run and
//! write only finite numbers, or be refused as invalid input (exit code 2) at the value.
//!
//! Covered, each through `vbpsim run` without PSA and with a few PSA samples: discount rates of
//! 0 (and just below 1, and 1, which is refused); a horizon shorter than a drug cycle, shorter
//! than a test's turnaround, of a few seconds and of 200 years; Weibull shapes of 0.05 and 50
//! with scales of a day and of a century (the other families' shapes too, and shapes and
//! scales of 1e-12 and 1e12); PSA beta and gamma shapes near 0 and at their largest;
//! probabilities of exactly 0 and 1 (prevalence, sensitivity, specificity, test failure,
//! response, adverse events, uptake, utilities, payer turnover, and the other bundled
//! scenarios' discordance, shedding, monitoring, second-line and pseudo-progression
//! probabilities); zero prices; every patient dying within days; no biomarker-positive
//! patients; identical strategies; contracts that never trigger and contracts that always do;
//! one patient, one or two PSA samples. A property test then combines such values at random (a
//! fixed ChaCha stream, so CI sees the same cases every time).
//!
//! Every run must exit 0 without a panic and leave only its output folder; every CSV must have
//! one header and rows of its width, and no NaN or infinity in any cell; run.json, report.html,
//! the SVG plots and the console output must not print one either. summary.csv's
//! `icer_status` must be the README's quadrant of `inc_cost` and `inc_qaly`, with `icer` given
//! (finite, = inc_cost / inc_qaly) exactly for `ratio` and `ratio_sw`. Where a closed form is
//! cheap and exact it is checked too (zero drug prices give zero drug spend, discount rate 0
//! gives discounted = undiscounted life-years, …). The scenarios are the bundled default,
//! `tests/scenarios/edge_base.toml` (every contract kind, no budget impact, so that its horizon
//! can be shorter than a drug cycle) and, for their own mechanisms, the other bundled ones.

use crate::support::{listing, text_of, vbpsim};
use proptest::sample::select;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The bundled default: two strategies, five contracts on osimertinib, a five-year budget impact.
const DEFAULT: &str = "scenarios/nsclc_egfr.toml";
/// Every contract kind on `drug_a`, no budget impact (tests/scenarios/edge_base.toml).
const EDGE: &str = "tests/scenarios/edge_base.toml";
/// The other bundled scenarios, for the mechanisms the two above do not have.
const CTDNA: &str = "scenarios/nsclc_egfr_ctdna.toml";
const ALK: &str = "scenarios/nsclc_alk.toml";
const KRAS: &str = "scenarios/nsclc_kras_g12c.toml";
const MELANOMA: &str = "scenarios/melanoma_braf.toml";
const CAR_T: &str = "scenarios/car_t_lymphoma.toml";
/// Patients per strategy of the table's runs; PSA samples of their PSA runs; their seed.
const PATIENTS: u64 = 300;
const PSA_SAMPLES: u32 = 3;
const SEED: u64 = 1;

/// Two sides of an identity that add the same amounts in another order, or in pieces (a
/// life-year as progression-free plus progressed time), agree to floating-point rounding: for
/// sums of n ≤ 300 non-negative terms, within (n + 1)·2.2e-16 ≈ 7e-14 of the larger side. The
/// bound used, 1e-12, is that with room for chunked summation, and far below any model effect.
const ROUNDING: f64 = 1e-12;

// ---------------------------------------------------------------------------------------------
// Running vbpsim

/// Shell quoting for the reproduction command printed with every failure.
fn quoted(arg: &str) -> String {
    if arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=#:".contains(c)) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// One `vbpsim run` (not `--quiet`, so that its console summary and warnings are checked too)
/// into `out` inside a fresh temporary folder.
struct Run {
    _tmp: tempfile::TempDir,
    parent: PathBuf,
    out: PathBuf,
    /// The command, to reproduce a failure from the crate's folder (with another `--out`).
    cmd: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
    patients: u64,
    samples: u32,
}

fn run(scenario: &str, sets: &[String], patients: u64, samples: u32, seed: u64) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().to_path_buf();
    let out = parent.join("out");
    let mut args: Vec<String> = vec!["run".into(), scenario.into(), "--out".into()];
    args.push(out.to_string_lossy().into_owned());
    for (flag, value) in [
        ("--patients", patients.to_string()),
        ("--samples", samples.to_string()),
        ("--seed", seed.to_string()),
    ] {
        args.push(flag.into());
        args.push(value);
    }
    for set in sets {
        args.push("--set".into());
        args.push(set.clone());
    }
    let output = vbpsim().args(&args).output().unwrap();
    // The temporary folder is gone when a failure is read: the command names another.
    let mut shown: Vec<String> = args.iter().map(|a| quoted(a)).collect();
    shown[3] = "/tmp/vbpsim-edge-case".into();
    Run {
        _tmp: tmp,
        parent,
        out,
        cmd: format!("vbpsim {}", shown.join(" ")),
        code: output.status.code(),
        stdout: text_of(&output.stdout),
        stderr: text_of(&output.stderr),
        patients,
        samples,
    }
}

/// The words `nan`, `inf` and `infinity` (any case; a word is a run of ASCII letters): how a
/// non-finite number prints in Rust, in JSON writers, in SVG coordinates and on the console.
fn non_finite_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| matches!(w.to_ascii_lowercase().as_str(), "nan" | "inf" | "infinity"))
        .collect()
}

impl Run {
    fn context(&self) -> String {
        format!("reproduce: {}\nstdout:\n{}\nstderr:\n{}", self.cmd, self.stdout, self.stderr)
    }

    fn assert_no_panic(&self) {
        assert!(!self.stderr.contains("panicked"), "vbpsim panicked\n{}", self.context());
    }

    /// Exit code 0 and clean outputs (see the file's doc comment); the folder's tables.
    fn clean(&self) -> Folder {
        self.assert_no_panic();
        assert_eq!(self.code, Some(0), "exit code\n{}", self.context());
        for (what, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let words = non_finite_words(text);
            assert!(words.is_empty(), "{what} prints {words:?}\n{}", self.context());
        }
        assert_eq!(
            listing(&self.parent),
            ["out"],
            "the run leaves its output folder and nothing else beside it\n{}",
            self.context()
        );
        let mut folder = Folder {
            cmd: self.cmd.clone(),
            patients: self.patients,
            samples: self.samples,
            tables: Vec::new(),
        };
        for name in listing(&self.out) {
            let path = self.out.join(&name);
            if name.ends_with(".csv") {
                let csv = Csv::read(&path, &self.cmd);
                csv.assert_finite(&name, &self.cmd);
                folder.tables.push((name, csv));
            } else if name.ends_with(".json") || name.ends_with(".html") || name.ends_with(".svg") {
                let text = std::fs::read_to_string(&path).unwrap();
                let words = non_finite_words(&text);
                assert!(words.is_empty(), "{name} prints {words:?}\nreproduce: {}", self.cmd);
            }
        }
        for name in ["summary.csv", "costs.csv", "survival.csv"] {
            folder.csv(name);
        }
        if self.samples > 0 {
            for name in ["psa.csv", "psa_summary.csv", "ceac.csv", "ceaf.csv", "evpi.csv"] {
                folder.csv(name);
            }
        }
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(self.out.join("run.json")).unwrap())
                .unwrap_or_else(|e| panic!("run.json is not JSON: {e}\nreproduce: {}", self.cmd));
        assert_eq!(manifest["patients"], self.patients, "run.json patients\n{}", self.cmd);
        assert_eq!(manifest["samples"], self.samples, "run.json samples\n{}", self.cmd);
        folder.check_summary();
        folder.check_costs_add_up();
        folder.check_contracts();
        folder.check_survival();
        folder.check_budget();
        folder
    }

    /// Exit code 2 with the README's location of a `--set` value (`error: --set #k:1:col:
    /// field: message`), and nothing written.
    fn refused(&self, set: usize, field: &str, says: &str) {
        self.assert_no_panic();
        assert_eq!(self.code, Some(2), "exit code\n{}", self.context());
        let at = format!("error: --set #{set}:1:");
        let line = self
            .stderr
            .lines()
            .find(|l| l.starts_with(&at))
            .unwrap_or_else(|| panic!("no error located at --set #{set}\n{}", self.context()));
        assert!(
            line.contains(&format!(": {field}: {says}")),
            "the error names {field} and says {says:?}\n{}",
            self.context()
        );
        assert!(
            listing(&self.parent).is_empty(),
            "a refused run writes nothing\n{}",
            self.context()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Output tables

/// A CSV file: header and rows, every cell a string.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    /// Reads a file and requires one header of distinct non-empty names and rows of its width.
    fn read(path: &Path, cmd: &str) -> Csv {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(path)
            .unwrap_or_else(|e| panic!("cannot read {path:?}: {e}\nreproduce: {cmd}"));
        let mut records = reader.records().map(|rec| {
            rec.unwrap_or_else(|e| panic!("{path:?}: {e}\nreproduce: {cmd}"))
                .iter()
                .map(str::to_string)
                .collect::<Vec<String>>()
        });
        let header = records.next().unwrap_or_else(|| panic!("{path:?} has no header\n{cmd}"));
        for (i, name) in header.iter().enumerate() {
            assert!(!name.is_empty(), "{path:?}: header column {i} has no name\n{cmd}");
            assert!(
                !header[..i].contains(name),
                "{path:?}: header column {name} twice\nreproduce: {cmd}"
            );
        }
        let rows: Vec<Vec<String>> = records.collect();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(
                row.len(),
                header.len(),
                "{path:?} row {i} has {} cells, the header {}\nreproduce: {cmd}",
                row.len(),
                header.len()
            );
        }
        Csv { header, rows }
    }

    /// No cell is NaN or an infinity, in any spelling (a text cell's anti-formula apostrophe
    /// set aside).
    fn assert_finite(&self, name: &str, cmd: &str) {
        for (i, row) in self.rows.iter().enumerate() {
            for (h, cell) in self.header.iter().zip(row) {
                let value = cell.trim().trim_start_matches('\'');
                let parsed_non_finite = value.parse::<f64>().is_ok_and(|x| !x.is_finite());
                assert!(
                    !parsed_non_finite && non_finite_words(value).is_empty(),
                    "{name} row {i} column {h}: {cell:?}\nreproduce: {cmd}"
                );
            }
        }
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
        s.parse().unwrap_or_else(|_| panic!("{name} = {s:?} is not a number"))
    }

    /// The rows whose `strategy` (and `contract`, when given) match.
    fn rows_of<'a>(
        &'a self,
        strategy: &'a str,
        contract: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Vec<String>> + 'a {
        self.rows.iter().filter(move |r| {
            self.get(r, "strategy") == strategy
                && contract.is_none_or(|c| self.get(r, "contract") == c)
        })
    }
}

/// The README's `icer_status` of an arm other than the comparator, from its increments.
fn readme_status(inc_cost: f64, inc_qaly: f64) -> &'static str {
    if inc_qaly > 0.0 {
        if inc_cost > 0.0 { "ratio" } else { "dominant" }
    } else if inc_qaly < 0.0 {
        if inc_cost < 0.0 { "ratio_sw" } else { "dominated" }
    } else if inc_cost < 0.0 {
        "dominant"
    } else if inc_cost > 0.0 {
        "dominated"
    } else {
        "equal"
    }
}

const THRESHOLD_STATUSES: [&str; 4] = [
    "price",
    "not_cost_effective_even_free",
    "cost_effective_at_any_price",
    "cost_does_not_rise_with_price",
];

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= ROUNDING * scale
}

/// The tables of a run that exited 0.
struct Folder {
    cmd: String,
    patients: u64,
    samples: u32,
    tables: Vec<(String, Csv)>,
}

impl Folder {
    fn csv(&self, name: &str) -> &Csv {
        self.tables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
            .unwrap_or_else(|| panic!("no {name} in the output\nreproduce: {}", self.cmd))
    }

    fn maybe(&self, name: &str) -> Option<&Csv> {
        self.tables.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// costs.csv: an arm's cost in one category.
    fn cost(&self, strategy: &str, contract: &str, category: &str) -> f64 {
        let c = self.csv("costs.csv");
        let row = c
            .rows_of(strategy, Some(contract))
            .find(|r| c.get(r, "category") == category)
            .unwrap_or_else(|| panic!("no {strategy}/{contract} {category} in costs.csv"));
        c.num(row, "cost")
    }

    /// summary.csv: the comparator once, at list, with zero increments and no ICER; every other
    /// arm in the README's quadrant of its increments, with an ICER exactly for `ratio` and
    /// `ratio_sw`; MCSEs empty with a single patient only; `prob_ce` a share of the samples.
    fn check_summary(&self) {
        let s = self.csv("summary.csv");
        let cmd = &self.cmd;
        let mut comparators = 0;
        for row in &s.rows {
            let arm = format!("{}/{}", s.get(row, "strategy"), s.get(row, "contract"));
            let status = s.get(row, "icer_status");
            let icer = s.get(row, "icer");
            let (dc, dq) = (s.num(row, "inc_cost"), s.num(row, "inc_qaly"));
            if status == "comparator" {
                comparators += 1;
                assert_eq!(
                    s.get(row, "contract"),
                    "list",
                    "{arm}: the comparator is a list arm\n{cmd}"
                );
                assert!(
                    dc == 0.0 && dq == 0.0 && s.num(row, "inc_ly") == 0.0 && icer.is_empty(),
                    "{arm}: the comparator has zero increments and no ICER\nreproduce: {cmd}"
                );
            } else {
                let expected = readme_status(dc, dq);
                assert_eq!(
                    status, expected,
                    "{arm}: inc_cost {dc}, inc_qaly {dq}\nreproduce: {cmd}"
                );
                if matches!(status, "ratio" | "ratio_sw") {
                    let x: f64 = icer.parse().unwrap_or_else(|_| {
                        panic!("{arm}: a {status} needs an ICER, found {icer:?}\nreproduce: {cmd}")
                    });
                    assert!(
                        x.is_finite() && x > 0.0 && x == dc / dq,
                        "{arm}: icer {icer} is not inc_cost / inc_qaly = {dc} / {dq}\nreproduce: {cmd}"
                    );
                } else {
                    assert!(
                        icer.is_empty(),
                        "{arm}: a {status} arm has no ICER, found {icer}\n{cmd}"
                    );
                }
            }
            for (h, cell) in s.header.iter().zip(row) {
                if h.ends_with("_mcse") {
                    assert_eq!(
                        cell.is_empty(),
                        self.patients == 1,
                        "{arm} {h} = {cell:?} with {} patients\nreproduce: {cmd}",
                        self.patients
                    );
                }
                if h.starts_with("prob_ce_") {
                    if self.samples == 0 || status == "comparator" {
                        assert!(cell.is_empty(), "{arm} {h} = {cell:?}\nreproduce: {cmd}");
                    } else {
                        let p: f64 = cell.parse().unwrap();
                        let n = f64::from(self.samples);
                        assert!(
                            p == (p * n).round() / n,
                            "{arm} {h} = {p} is not a share of {n} samples\nreproduce: {cmd}"
                        );
                    }
                }
            }
        }
        assert_eq!(comparators, 1, "one comparator row in summary.csv\nreproduce: {cmd}");
    }

    /// costs.csv: each arm's categories add up (in file order) to its cost in summary.csv.
    fn check_costs_add_up(&self) {
        let (s, c) = (self.csv("summary.csv"), self.csv("costs.csv"));
        for row in &s.rows {
            let (strategy, contract) = (s.get(row, "strategy"), s.get(row, "contract"));
            let sum: f64 = c.rows_of(strategy, Some(contract)).map(|r| c.num(r, "cost")).sum();
            assert_eq!(
                sum,
                s.num(row, "cost"),
                "{strategy}/{contract}: costs.csv adds up to summary.csv's cost\nreproduce: {}",
                self.cmd
            );
        }
    }

    /// contracts.csv: the arm's increments and ICER as in summary.csv; shares in [0, 1]; the
    /// per-settled-patient columns empty exactly when nobody is settled, the effective discount
    /// exactly when there is no list spend; threshold prices with a documented status.
    fn check_contracts(&self) {
        let Some(k) = self.maybe("contracts.csv") else { return };
        let s = self.csv("summary.csv");
        let cmd = &self.cmd;
        for row in &k.rows {
            let (strategy, contract) = (k.get(row, "strategy"), k.get(row, "contract"));
            let arm = format!("{strategy}/{contract}");
            let srow = s.rows_of(strategy, Some(contract)).next().unwrap();
            for col in ["inc_cost", "icer", "icer_status"] {
                assert_eq!(k.get(row, col), s.get(srow, col), "{arm} {col}\nreproduce: {cmd}");
            }
            let treated = k.num(row, "treated_share");
            assert!((0.0..=1.0).contains(&treated), "{arm} treated_share {treated}\n{cmd}");
            // Settled patients of the base case; a standard deviation needs two of them.
            let settled = (treated * self.patients as f64).round();
            for (col, needs) in [
                ("triggered_share", 1.0),
                ("spend_per_treated", 1.0),
                ("spend_per_treated_sd", 2.0),
                ("spend_per_treated_p95", 1.0),
            ] {
                assert_eq!(
                    k.get(row, col).is_empty(),
                    settled < needs,
                    "{arm} {col} = {:?} with {settled} settled patients\nreproduce: {cmd}",
                    k.get(row, col)
                );
            }
            if treated > 0.0 {
                let t = k.num(row, "triggered_share");
                assert!((0.0..=1.0).contains(&t), "{arm} triggered_share {t}\nreproduce: {cmd}");
            }
            assert_eq!(
                k.get(row, "effective_discount").is_empty(),
                k.num(row, "list_spend") == 0.0,
                "{arm} effective_discount {:?}, list_spend {}\nreproduce: {cmd}",
                k.get(row, "effective_discount"),
                k.get(row, "list_spend")
            );
            for h in k.header.iter().filter(|h| h.starts_with("threshold_status_")) {
                let status = k.get(row, h);
                let price = k.get(row, &h.replace("threshold_status_", "threshold_price_"));
                assert!(THRESHOLD_STATUSES.contains(&status), "{arm} {h} = {status}\n{cmd}");
                assert_eq!(
                    price.is_empty(),
                    status != "price",
                    "{arm}: {h} = {status} with price {price:?}\nreproduce: {cmd}"
                );
                if status == "price" {
                    assert!(price.parse::<f64>().unwrap() >= 0.0, "{arm} {h}: {price}\n{cmd}");
                }
            }
        }
    }

    /// survival.csv: 0 ≤ pfs ≤ os ≤ 1, os never rising from month to month.
    fn check_survival(&self) {
        let s = self.csv("survival.csv");
        let mut previous: Option<(&str, f64)> = None;
        for row in &s.rows {
            let (strategy, pfs, os) = (s.get(row, "strategy"), s.num(row, "pfs"), s.num(row, "os"));
            assert!(
                (0.0..=os).contains(&pfs) && os <= 1.0,
                "{strategy} month {}: pfs {pfs}, os {os}\nreproduce: {}",
                s.get(row, "month"),
                self.cmd
            );
            if let Some((p, before)) = previous
                && p == strategy
            {
                assert!(os <= before, "{strategy}: os rises to {os}\nreproduce: {}", self.cmd);
            }
            previous = Some((strategy, os));
        }
    }

    /// budget_impact.csv: the net budget impact is the difference of the two worlds.
    fn check_budget(&self) {
        let Some(b) = self.maybe("budget_impact.csv") else { return };
        for row in &b.rows {
            assert_eq!(
                b.num(row, "net_budget_impact"),
                b.num(row, "spend_with") - b.num(row, "spend_without"),
                "budget_impact.csv row {row:?}\nreproduce: {}",
                self.cmd
            );
        }
    }
}

/// The checks themselves catch what they look for (else every test above would pass vacuously).
#[test]
fn the_checks_catch_non_finite_numbers_and_wrong_quadrants() {
    assert_eq!(
        non_finite_words("x=\"NaN\" y=-inf 1e5 Infinity information dominant nan,INF"),
        ["NaN", "inf", "Infinity", "nan", "INF"]
    );
    let dir = tempfile::tempdir().unwrap();
    for cell in ["NaN", "-inf", "inf", "+Infinity", "'-inf"] {
        let path = dir.path().join("t.csv");
        std::fs::write(&path, format!("strategy,cost\na,{cell}\n")).unwrap();
        let csv = Csv::read(&path, "test");
        let caught = catch_unwind(AssertUnwindSafe(|| csv.assert_finite("t.csv", "test")));
        assert!(caught.is_err(), "{cell} is caught");
    }
    std::fs::write(dir.path().join("t.csv"), "strategy,cost\na,1e-7\nb,-0\n").unwrap();
    Csv::read(&dir.path().join("t.csv"), "test").assert_finite("t.csv", "test");
    std::fs::write(dir.path().join("t.csv"), "strategy,cost\na,1,2\n").unwrap();
    assert!(catch_unwind(|| Csv::read(&dir.path().join("t.csv"), "test")).is_err(), "width");
    // README, summary.csv `icer_status`.
    for (dc, dq, status) in [
        (10.0, 1.0, "ratio"),
        (-10.0, 1.0, "dominant"),
        (0.0, 1.0, "dominant"),
        (10.0, -1.0, "dominated"),
        (0.0, -1.0, "dominated"),
        (-10.0, -1.0, "ratio_sw"),
        (-10.0, 0.0, "dominant"),
        (10.0, 0.0, "dominated"),
        (0.0, 0.0, "equal"),
        (-0.0, 0.0, "equal"),
    ] {
        assert_eq!(readme_status(dc, dq), status, "{dc}, {dq}");
    }
}

// ---------------------------------------------------------------------------------------------
// The table of named cases

/// What the README says must happen to a case.
enum Expect {
    /// Exit 0 with clean outputs, and then this closed form (if any).
    Runs(Option<fn(&Folder)>),
    /// Invalid input: exit 2 at `--set #set`, naming `field` and saying `says`.
    Refused { set: usize, field: &'static str, says: &'static str },
}

struct Case {
    name: &'static str,
    scenario: &'static str,
    sets: &'static [&'static str],
    expect: Expect,
}

/// Runs every case without PSA and with PSA; all of them, then fails naming those that failed
/// (each failure's message, with the command that reproduces it, is printed as it happens).
fn run_cases(cases: &[Case]) {
    let mut failed = Vec::new();
    for case in cases {
        let sets: Vec<String> = case.sets.iter().map(|s| s.to_string()).collect();
        for samples in [0, PSA_SAMPLES] {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let r = run(case.scenario, &sets, PATIENTS, samples, SEED);
                match case.expect {
                    Expect::Runs(check) => {
                        let folder = r.clean();
                        if let Some(check) = check {
                            check(&folder);
                        }
                    }
                    Expect::Refused { set, field, says } => r.refused(set, field, says),
                }
            }));
            if outcome.is_err() {
                failed.push(format!("{} (samples {samples})", case.name));
            }
        }
    }
    assert!(failed.is_empty(), "failing edge cases: {failed:#?}");
}

/// Discounted and undiscounted life-years agree (outcome rate 0): summary.csv and psa.csv.
fn life_years_undiscounted(f: &Folder) {
    for name in ["summary.csv", "psa.csv"] {
        let Some(t) = f.maybe(name) else { continue };
        for row in &t.rows {
            let (ly, lyu) = (t.num(row, "ly"), t.num(row, "ly_undiscounted"));
            assert!(close(ly, lyu, lyu), "{name}: ly {ly} ≠ ly_undiscounted {lyu}\n{}", f.cmd);
        }
    }
}

/// The manufacturer's net revenue is the payer's contract spend (both rates 0).
fn manufacturer_sees_contract_spend(f: &Folder) {
    let k = f.csv("contracts.csv");
    for row in &k.rows {
        let (revenue, spend) =
            (k.num(row, "manufacturer_net_revenue"), k.num(row, "contract_spend"));
        let scale = k.num(row, "paid") + k.num(row, "refunds");
        assert!(
            close(revenue, spend, scale),
            "{}: revenue {revenue} ≠ contract spend {spend}\nreproduce: {}",
            k.get(row, "contract"),
            f.cmd
        );
    }
}

fn all_rates_zero(f: &Folder) {
    life_years_undiscounted(f);
    manufacturer_sees_contract_spend(f);
}

/// Horizon 20 days (edge_base, contract dates 7 days): the comparator's patients start b at
/// t = 0 and pay exactly one 21-day cycle of drug_b (3000) and drug_b2 (500) and their
/// administration (150 + 50), undiscounted at t = 0; drug_a (28-day cycles, started at 14
/// days) is paid once, so a cap of 6 cycles is never reached; survival.csv has month 0 only.
fn one_cycle_within_the_horizon(f: &Folder) {
    for (category, amount) in
        [("drug:drug_b", 3000.0), ("drug:drug_b2", 500.0), ("administration", 200.0)]
    {
        assert_eq!(f.cost("treat_all_b", "list", category), amount, "{category}\n{}", f.cmd);
    }
    let k = f.csv("contracts.csv");
    let cap = k.rows_of("test_and_treat", Some("cap_6_cycles")).next().unwrap();
    assert!(k.num(cap, "treated_share") > 0.0, "somebody is treated with drug_a\n{}", f.cmd);
    assert_eq!(k.num(cap, "paid"), k.num(cap, "list_spend"), "{}", f.cmd);
    assert_eq!(k.num(cap, "triggered_share"), 0.0, "{}", f.cmd);
    let s = f.csv("survival.csv");
    assert_eq!(s.rows.len(), 2, "one row (month 0) per strategy\n{}", f.cmd);
    for row in &s.rows {
        assert_eq!(s.num(row, "os"), 1.0, "{}", f.cmd);
    }
}

/// Horizon 1 day, shorter than the panel's 14-day turnaround: test_and_treat treats nobody
/// before the horizon (no drug, administration or adverse events; the test paid at t = 0 at
/// its point cost 2000), while the comparator pays b's first cycle at t = 0.
fn nobody_treated_before_the_horizon(f: &Folder) {
    for category in
        ["drug:drug_a", "drug:drug_b", "drug:drug_b2", "administration", "adverse_events"]
    {
        assert_eq!(f.cost("test_and_treat", "list", category), 0.0, "{category}\n{}", f.cmd);
    }
    assert_eq!(f.cost("test_and_treat", "list", "testing"), 2000.0, "{}", f.cmd);
    for (category, amount) in
        [("drug:drug_b", 3000.0), ("drug:drug_b2", 500.0), ("administration", 200.0)]
    {
        assert_eq!(f.cost("treat_all_b", "list", category), amount, "{category}\n{}", f.cmd);
    }
}

/// Horizon 200 years: survival.csv has months 0…2400 for each strategy.
fn two_hundred_years_of_months(f: &Folder) {
    let s = f.csv("survival.csv");
    assert_eq!(s.rows.len(), 2 * 2401, "{}", f.cmd);
}

/// Weibull shape 50, scale 100 years, for every progression and death curve of the default
/// scenario: every event time is at least 100·(1.1e-16)^(1/50) = 47.9 years (the largest
/// uniform below 1 gives the smallest time), beyond the 20-year horizon. So every patient
/// lives the whole horizon progression-free.
fn nobody_has_an_event(f: &Folder) {
    let s = f.csv("summary.csv");
    for row in &s.rows {
        assert_eq!(s.num(row, "ly_undiscounted"), 20.0, "{}", f.cmd);
        assert_eq!(s.num(row, "inc_ly"), 0.0, "{}", f.cmd);
    }
    let v = f.csv("survival.csv");
    for row in &v.rows {
        assert!(v.num(row, "os") == 1.0 && v.num(row, "pfs") == 1.0, "{row:?}\n{}", f.cmd);
    }
}

/// Nobody is given `drug`: no spend on it anywhere (costs, contracts, budget impact, cohort
/// statements), no settled patient, and a threshold price that cannot exist.
fn nobody_gets(f: &Folder, drug: &str) {
    let c = f.csv("costs.csv");
    let category = format!("drug:{drug}");
    for row in c.rows.iter().filter(|r| c.get(r, "category") == category) {
        assert_eq!(c.num(row, "cost"), 0.0, "{row:?}\n{}", f.cmd);
    }
    let k = f.csv("contracts.csv");
    for row in &k.rows {
        for col in ["treated_share", "list_spend", "paid", "refunds"] {
            assert_eq!(k.num(row, col), 0.0, "{col} {row:?}\n{}", f.cmd);
        }
        for h in k.header.iter().filter(|h| h.starts_with("threshold_status_")) {
            let status = k.get(row, h);
            if matches!(k.get(row, "kind"), "expenditure_cap" | "money_back") {
                // Terms that may not be linear in the price: found by re-simulation, the price
                // changes nothing, so the arm is cost-effective at any price or not even free.
                let nmb = k.num(row, &h.replace("threshold_status_", "inc_nmb_"));
                let expected = if nmb > 0.0 {
                    &["cost_effective_at_any_price"][..]
                } else if nmb < 0.0 {
                    &["not_cost_effective_even_free"][..]
                } else {
                    &["cost_effective_at_any_price", "not_cost_effective_even_free"][..]
                };
                assert!(
                    status == "cost_does_not_rise_with_price" || expected.contains(&status),
                    "{h} = {status} with incremental NMB {nmb}\n{}",
                    f.cmd
                );
            } else {
                assert_eq!(status, "cost_does_not_rise_with_price", "{h}\n{}", f.cmd);
            }
        }
    }
    if let Some(b) = f.maybe("budget_impact.csv") {
        for row in b.rows.iter().filter(|r| b.get(r, "category") == category) {
            assert!(
                b.num(row, "spend_with") == 0.0 && b.num(row, "spend_without") == 0.0,
                "{}",
                f.cmd
            );
        }
    }
    if let Some(y) = f.maybe("cohort.csv") {
        for row in &y.rows {
            for col in ["patients_treated", "patients_started", "drug_spend", "refund"] {
                assert_eq!(y.num(row, col), 0.0, "cohort.csv {col}\n{}", f.cmd);
            }
            assert_eq!(y.get(row, "success_rate"), "", "no new patients\n{}", f.cmd);
        }
    }
}

/// Nobody reads positive in the default scenario: no osimertinib; the contract arms, which
/// settle nobody and have no yearly administration, cost what the list arm costs.
fn nobody_gets_osimertinib(f: &Folder) {
    nobody_gets(f, "osimertinib");
    let s = f.csv("summary.csv");
    let list = s.num(s.rows_of("test_and_treat", Some("list")).next().unwrap(), "cost");
    for row in s.rows_of("test_and_treat", None) {
        assert_eq!(s.num(row, "cost"), list, "{}\n{}", s.get(row, "contract"), f.cmd);
    }
}

fn nobody_gets_drug_a(f: &Folder) {
    nobody_gets(f, "drug_a");
}

/// Every drug price 0: every drug category, contract payment and partner spend is 0.
fn no_drug_spend(f: &Folder) {
    let c = f.csv("costs.csv");
    for row in c.rows.iter().filter(|r| c.get(r, "category").starts_with("drug:")) {
        assert_eq!(c.num(row, "cost"), 0.0, "{row:?}\n{}", f.cmd);
    }
    let k = f.csv("contracts.csv");
    for row in &k.rows {
        for col in ["list_spend", "paid", "refunds", "contract_spend"] {
            assert_eq!(k.num(row, col), 0.0, "{col} {row:?}\n{}", f.cmd);
        }
    }
    if let Some(p) = f.maybe("partners.csv") {
        for row in &p.rows {
            assert!(p.num(row, "spend") == 0.0 && p.num(row, "list_price") == 0.0, "{}", f.cmd);
        }
    }
    if let Some(p) = f.maybe("psa.csv") {
        for h in p.header.iter().filter(|h| h.starts_with("cost_drug_")) {
            for row in &p.rows {
                assert_eq!(p.num(row, h), 0.0, "psa.csv {h}\n{}", f.cmd);
            }
        }
    }
    if let Some(b) = f.maybe("budget_impact.csv") {
        for row in b.rows.iter().filter(|r| b.get(r, "category").starts_with("drug:")) {
            assert!(
                b.num(row, "spend_with") == 0.0 && b.num(row, "spend_without") == 0.0,
                "{}",
                f.cmd
            );
        }
    }
}

/// Nothing costs anything: every cost is 0, so no arm has an ICER (dominant, dominated or
/// equal by its QALYs).
fn nothing_costs_anything(f: &Folder) {
    let c = f.csv("costs.csv");
    for row in &c.rows {
        assert_eq!(c.num(row, "cost"), 0.0, "{row:?}\n{}", f.cmd);
    }
    let s = f.csv("summary.csv");
    for row in &s.rows {
        assert!(s.num(row, "cost") == 0.0 && s.get(row, "icer").is_empty(), "{row:?}\n{}", f.cmd);
    }
}

/// Utilities 0 and no QALY loss: every QALY is 0, so no arm has an ICER.
fn no_qalys(f: &Folder) {
    let s = f.csv("summary.csv");
    for row in &s.rows {
        assert!(s.num(row, "qaly") == 0.0 && s.num(row, "inc_qaly") == 0.0, "{row:?}\n{}", f.cmd);
        assert!(s.get(row, "icer").is_empty(), "{row:?}\n{}", f.cmd);
    }
    if let Some(p) = f.maybe("psa.csv") {
        for row in &p.rows {
            assert_eq!(p.num(row, "qaly"), 0.0, "psa.csv\n{}", f.cmd);
        }
    }
}

/// ae_b has probability 0: the comparator (always on b) has no adverse-event cost.
fn no_adverse_events_on_b(f: &Folder) {
    assert_eq!(f.cost("treat_all_b", "list", "adverse_events"), 0.0, "{}", f.cmd);
}

/// The two strategies treat every patient alike: every arm of test_and_treat but those with a
/// yearly contract administration is `equal` to the comparator, with zero increments.
fn strategies_are_equal(f: &Folder, yearly_admin: &[&str]) {
    let s = f.csv("summary.csv");
    for row in s.rows_of("test_and_treat", None) {
        let contract = s.get(row, "contract");
        if yearly_admin.contains(&contract) {
            continue;
        }
        assert_eq!(s.get(row, "icer_status"), "equal", "{contract}\n{}", f.cmd);
        for col in ["inc_cost", "inc_qaly", "inc_ly"] {
            assert_eq!(s.num(row, col), 0.0, "{contract} {col}\n{}", f.cmd);
        }
    }
}

fn default_strategies_are_equal(f: &Folder) {
    strategies_are_equal(f, &[]);
}

/// Uptake 0 in edge_base: nobody is tested, so test_and_treat is treat_all_b; only the yearly
/// administration of spend_cap (10000 a year over 50 entrants, at t = 0) is extra: dominated.
fn untested_strategy_is_the_comparator(f: &Folder) {
    strategies_are_equal(f, &["spend_cap"]);
    let s = f.csv("summary.csv");
    let cap = s.rows_of("test_and_treat", Some("spend_cap")).next().unwrap();
    assert_eq!(s.num(cap, "inc_cost"), 200.0, "{}", f.cmd);
    assert_eq!(s.get(cap, "icer_status"), "dominated", "{}", f.cmd);
}

/// Death before and after progression Weibull(shape 50, scale 1 day) in both regimens: every
/// death time is at most 1 day·(−ln 2⁻⁶⁴)^(1/50) = 1.08 days after the previous event, so
/// everybody is dead within 2.2 days. Survival is 0 from month 1; the comparator pays exactly
/// one chemotherapy cycle at t = 0 (500 + 40, administration 150 + 70); test_and_treat, whose
/// treatment would start after the 15-day test, treats nobody.
fn everybody_dies_within_days(f: &Folder) {
    let v = f.csv("survival.csv");
    for row in v.rows.iter().filter(|r| v.num(r, "month") >= 1.0) {
        assert!(v.num(row, "os") == 0.0 && v.num(row, "pfs") == 0.0, "{row:?}\n{}", f.cmd);
    }
    let s = f.csv("summary.csv");
    for row in &s.rows {
        let lyu = s.num(row, "ly_undiscounted");
        assert!(lyu < 3.0 / 365.25, "ly_undiscounted {lyu}\n{}", f.cmd);
    }
    for (category, amount) in
        [("drug:pemetrexed", 500.0), ("drug:carboplatin", 40.0), ("administration", 220.0)]
    {
        assert_eq!(f.cost("chemo_for_all", "list", category), amount, "{category}\n{}", f.cmd);
    }
    for category in ["drug:pemetrexed", "drug:carboplatin", "administration", "adverse_events"] {
        assert_eq!(f.cost("test_and_treat", "list", category), 0.0, "{category}\n{}", f.cmd);
    }
    nobody_gets(f, "osimertinib");
}

/// A contract row of test_and_treat in contracts.csv, for a closed form on it.
fn contract_row<'a>(k: &'a Csv, contract: &'a str) -> &'a Vec<String> {
    k.rows_of("test_and_treat", Some(contract)).next().unwrap()
}

/// Contracts whose failures are never recorded (documentation error 1), a cap never reached,
/// a success target of 0 and a volume tier never reached: no refund, no trigger, and (terms
/// that only refund) payments at list.
fn never_triggers(f: &Folder, contracts: &[&str], refund_only: &[&str]) {
    let k = f.csv("contracts.csv");
    for &contract in contracts {
        let row = contract_row(k, contract);
        assert!(k.num(row, "treated_share") > 0.0, "{contract}: somebody is settled\n{}", f.cmd);
        assert_eq!(k.num(row, "refunds"), 0.0, "{contract} refunds\n{}", f.cmd);
        assert_eq!(k.num(row, "triggered_share"), 0.0, "{contract} triggered\n{}", f.cmd);
        if refund_only.contains(&contract) {
            assert_eq!(k.num(row, "paid"), k.num(row, "list_spend"), "{contract}\n{}", f.cmd);
        }
    }
}

fn default_contracts_never_trigger(f: &Folder) {
    never_triggers(f, &["money_back_6m", "risk_sharing_50"], &["money_back_6m", "risk_sharing_50"]);
}

fn edge_contracts_never_trigger(f: &Folder) {
    let refund_only =
        ["money_back_3m", "rebate_12w", "spend_cap", "volume_tiers", "outcome_guarantee"];
    let mut all = refund_only.to_vec();
    all.extend(["pay_at_result_12w", "instalments_4"]);
    never_triggers(f, &all, &refund_only);
}

/// No responders on a, every a patient dead within 2.16 months (Weibull shape 50, scale 2
/// months: at least 29 days, so everybody test-positive and not yet progressed at 14 days is
/// treated), a discount of 100 %, a cap of 1 a year and a success target of 1:
/// - the discount, money-back (failure before 3 months), payment at result and response
///   rebate (nobody a success at 12 weeks) and instalments (nobody alive at the second, 3
///   months on) trigger for every settled patient;
/// - payment at result pays nothing (every cycle falls before the assessment), the free drug
///   costs nothing and its cost does not rise with the price;
/// - the cohort-level cap and outcome guarantee refund something (not necessarily for every
///   patient: cycles after the 3-year term are not covered).
fn contracts_always_trigger(f: &Folder) {
    let k = f.csv("contracts.csv");
    for contract in
        ["discount_30", "money_back_3m", "pay_at_result_12w", "rebate_12w", "instalments_4"]
    {
        let row = contract_row(k, contract);
        assert!(k.num(row, "treated_share") > 0.0, "{contract}: somebody is settled\n{}", f.cmd);
        assert_eq!(k.num(row, "triggered_share"), 1.0, "{contract}\n{}", f.cmd);
    }
    for contract in ["discount_30", "pay_at_result_12w"] {
        let row = contract_row(k, contract);
        assert!(k.num(row, "paid") == 0.0 && k.num(row, "contract_spend") == 0.0, "{}", f.cmd);
        assert_eq!(k.num(row, "effective_discount"), 1.0, "{contract}\n{}", f.cmd);
        for h in k.header.iter().filter(|h| h.starts_with("threshold_status_")) {
            assert_eq!(k.get(row, h), "cost_does_not_rise_with_price", "{contract}\n{}", f.cmd);
        }
    }
    for contract in ["money_back_3m", "rebate_12w", "spend_cap", "outcome_guarantee"] {
        let row = contract_row(k, contract);
        assert!(k.num(row, "refunds") > 0.0, "{contract} refunds\n{}", f.cmd);
        assert!(k.num(row, "triggered_share") > 0.0, "{contract} triggered\n{}", f.cmd);
    }
}

#[test]
fn discount_rates_of_zero_and_at_the_bounds() {
    run_cases(&[
        Case {
            name: "costs and outcomes undiscounted (default)",
            scenario: DEFAULT,
            sets: &["scenario.discount.costs=0", "scenario.discount.outcomes=0"],
            expect: Expect::Runs(Some(all_rates_zero)),
        },
        Case {
            name: "costs, outcomes and manufacturer undiscounted (edge)",
            scenario: EDGE,
            sets: &[
                "scenario.discount.costs=0",
                "scenario.discount.outcomes=0",
                "scenario.discount.manufacturer=0",
            ],
            expect: Expect::Runs(Some(all_rates_zero)),
        },
        Case {
            name: "outcomes undiscounted, costs discounted",
            scenario: EDGE,
            sets: &["scenario.discount.outcomes=0"],
            expect: Expect::Runs(Some(life_years_undiscounted)),
        },
        Case {
            name: "rates just below 1",
            scenario: DEFAULT,
            sets: &["scenario.discount.costs=0.999999", "scenario.discount.outcomes=0.999999"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a rate of 1 (outside [0, 1))",
            scenario: EDGE,
            sets: &["scenario.discount.outcomes=0", "scenario.discount.costs=1"],
            expect: Expect::Refused {
                set: 2,
                field: "scenario.discount.costs",
                says: "expected an annual rate in [0, 1), found 1",
            },
        },
    ]);
}

#[test]
fn horizons_shorter_than_a_cycle_and_at_the_limit() {
    run_cases(&[
        Case {
            name: "20 days: shorter than every drug cycle",
            scenario: EDGE,
            sets: &[
                "scenario.horizon=\"20 days\"",
                "contracts.money_back_3m.window=\"7 days\"",
                "contracts.pay_at_result_12w.assess_at=\"7 days\"",
                "contracts.rebate_12w.assess_at=\"7 days\"",
                "contracts.outcome_guarantee.window=\"7 days\"",
            ],
            expect: Expect::Runs(Some(one_cycle_within_the_horizon)),
        },
        Case {
            name: "1 day: shorter than the test's turnaround",
            scenario: EDGE,
            sets: &["scenario.horizon=\"1 day\"", "contracts=[]"],
            expect: Expect::Runs(Some(nobody_treated_before_the_horizon)),
        },
        Case {
            name: "1e-9 years (a few seconds)",
            scenario: EDGE,
            sets: &["scenario.horizon=\"1e-9 years\"", "contracts=[]"],
            expect: Expect::Runs(Some(nobody_treated_before_the_horizon)),
        },
        Case {
            name: "200 years (the limit)",
            scenario: DEFAULT,
            sets: &["scenario.horizon=\"200 years\""],
            expect: Expect::Runs(Some(two_hundred_years_of_months)),
        },
        Case {
            name: "200 years with a cured fraction (a last piecewise rate of 0)",
            scenario: EDGE,
            sets: &[
                "scenario.horizon=\"200 years\"",
                "regimens.b.after_progression.survival={ dist = \"piecewise\", breaks = [\"0 years\", \"1 year\"], rates = [\"0.5 per year\", \"0 per year\"] }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a horizon of 0",
            scenario: EDGE,
            sets: &["scenario.horizon=\"0 years\""],
            expect: Expect::Refused {
                set: 1,
                field: "scenario.horizon",
                says: "expected a duration greater than 0, found \"0 years\"",
            },
        },
    ]);
}

#[test]
fn shapes_near_zero_and_large_with_scales_of_a_day_and_a_century() {
    run_cases(&[
        Case {
            name: "Weibull shape 0.05, scale 1 day",
            scenario: DEFAULT,
            sets: &[
                "regimens.osimertinib.progression.responder={ dist = \"weibull\", shape = 0.05, scale = \"1 day\" }",
                "regimens.platinum_pemetrexed.death_before_progression={ dist = \"weibull\", shape = 0.05, scale = \"1 day\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "Weibull shape 0.05, scale 100 years",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"weibull\", shape = 0.05, scale = \"100 years\" }",
                "regimens.b.after_progression.survival={ dist = \"weibull\", shape = 0.05, scale = \"100 years\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "Weibull shape 50, scale 1 day",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.non_responder={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
                "regimens.b.progression.responder={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "Weibull shape 50, scale 100 years, for every event",
            scenario: DEFAULT,
            sets: &[
                "regimens.osimertinib.progression.responder={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.osimertinib.progression.non_responder={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.osimertinib.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.platinum_pemetrexed.progression.responder={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.platinum_pemetrexed.progression.non_responder={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.platinum_pemetrexed.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
            ],
            expect: Expect::Runs(Some(nobody_has_an_event)),
        },
        Case {
            name: "log-logistic shapes 0.05 and 50",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"loglogistic\", shape = 0.05, scale = \"1 day\" }",
                "regimens.b.after_progression.survival={ dist = \"loglogistic\", shape = 50, scale = \"100 years\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "log-normal sdlog 20 and 0.001",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"lognormal\", median = \"1 day\", sdlog = 20 }",
                "regimens.b.after_progression.survival={ dist = \"lognormal\", median = \"100 years\", sdlog = 0.001 }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "Gompertz shapes of ±50 per year",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"gompertz\", shape = \"50 per year\", rate = \"1e-6 per year\" }",
                "regimens.b.after_progression.survival={ dist = \"gompertz\", shape = \"-50 per year\", rate = \"0.001 per year\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "shapes of 1e-12 and 1e12, scales of 1e-12 and 1e12 years",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"loglogistic\", shape = 1e12, scale = \"1 day\" }",
                "regimens.a.death_before_progression={ dist = \"weibull\", shape = 1e-12, scale = \"1e-12 years\" }",
                "regimens.b.death_before_progression={ dist = \"weibull\", shape = 1e12, scale = \"1e12 years\" }",
                "regimens.b.progression.responder={ dist = \"gompertz\", shape = \"1e12 per year\", rate = \"1e-12 per year\" }",
                "regimens.b.after_progression.survival={ dist = \"lognormal\", median = \"1 day\", sdlog = 1e12 }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "PSA beta shapes 0.001 (draws of exactly 0 and 1)",
            scenario: EDGE,
            sets: &["parameters.m_prevalence={ dist = \"beta\", alpha = 0.001, beta = 0.001 }"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "PSA gamma shape 1e6 (the largest accepted)",
            scenario: EDGE,
            sets: &[
                "parameters.a_responder_median={ dist = \"gamma\", shape = 1e6, scale = \"2e-5 months\" }",
            ],
            expect: Expect::Runs(None),
        },
        // README "Parameter uncertainty": a gamma's shape is at least 0.1; below it most draws
        // lie below the smallest double and would round to a median of 0.
        Case {
            name: "PSA gamma shape 0.001 for a median",
            scenario: EDGE,
            sets: &[
                "parameters.a_responder_median={ dist = \"gamma\", shape = 0.001, scale = \"20 months\" }",
            ],
            expect: Expect::Refused {
                set: 1,
                field: "parameters.a_responder_median.shape",
                says: "expected a shape of at least 0.1, found 0.001",
            },
        },
        Case {
            name: "PSA gamma shape 0.1 (the smallest accepted) for a median",
            scenario: EDGE,
            sets: &[
                "parameters.a_responder_median={ dist = \"gamma\", shape = 0.1, scale = \"20 months\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "Weibull shape 0",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"weibull\", shape = 0, scale = \"1 day\" }",
            ],
            expect: Expect::Refused {
                set: 1,
                field: "regimens[0].progression.responder.shape",
                says: "expected a number greater than 0, found 0",
            },
        },
        Case {
            name: "Weibull scale 0",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"weibull\", shape = 1, scale = \"0 days\" }",
            ],
            expect: Expect::Refused {
                set: 1,
                field: "regimens[0].progression.responder.scale",
                says: "expected a duration greater than 0, found \"0 days\"",
            },
        },
    ]);
}

#[test]
fn probabilities_of_exactly_zero_and_one() {
    run_cases(&[
        Case {
            name: "prevalence 1",
            scenario: DEFAULT,
            sets: &["parameters.egfr_prevalence={ value = 1 }"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "perfect test (sensitivity and specificity 1), certain failure 0",
            scenario: EDGE,
            sets: &[
                "tests.panel.sensitivity=1",
                "tests.panel.specificity=1",
                "tests.panel.failure=0",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "sensitivity 0, specificity 1: nobody reads positive",
            scenario: EDGE,
            sets: &["tests.panel.sensitivity=0", "tests.panel.specificity=1"],
            expect: Expect::Runs(Some(nobody_gets_drug_a)),
        },
        Case {
            name: "specificity 0: everybody without M reads positive",
            scenario: EDGE,
            sets: &["tests.panel.specificity=0"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "the test always fails",
            scenario: EDGE,
            sets: &["tests.panel.failure=1"],
            expect: Expect::Runs(Some(nobody_gets_drug_a)),
        },
        Case {
            name: "response 1 on every regimen",
            scenario: EDGE,
            sets: &["regimens.a.response=1", "regimens.b.response=1"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "response 0 on every regimen",
            scenario: DEFAULT,
            sets: &["regimens.osimertinib.response=0", "regimens.platinum_pemetrexed.response=0"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "an adverse event certain, another impossible",
            scenario: EDGE,
            sets: &[
                "regimens.a.adverse_events.ae_a.probability=1",
                "regimens.b.adverse_events.ae_b.probability=0",
            ],
            expect: Expect::Runs(Some(no_adverse_events_on_b)),
        },
        Case {
            name: "utilities 0, no QALY loss",
            scenario: EDGE,
            sets: &[
                "states.progression_free.utility=0",
                "states.progressed.utility=0",
                "regimens.a.adverse_events.ae_a.qaly_loss=0",
                "regimens.b.adverse_events.ae_b.qaly_loss=0",
            ],
            expect: Expect::Runs(Some(no_qalys)),
        },
        Case {
            name: "utilities 1",
            scenario: DEFAULT,
            sets: &["states.progression_free.utility=1", "states.progressed.utility=1"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "test uptake 0",
            scenario: EDGE,
            sets: &["strategies.test_and_treat.uptake=0"],
            expect: Expect::Runs(Some(untested_strategy_is_the_comparator)),
        },
        Case {
            name: "test uptake 1",
            scenario: EDGE,
            sets: &["strategies.test_and_treat.uptake=1"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a commercial payer with turnover 0",
            scenario: EDGE,
            sets: &["payer.perspective=\"commercial\"", "payer.turnover=0", "payer.portable=true"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a commercial payer with turnover 1 (everybody leaves at once)",
            scenario: EDGE,
            sets: &["payer.perspective=\"commercial\"", "payer.turnover=1"],
            expect: Expect::Refused {
                set: 2,
                field: "payer.turnover",
                says: "expected an annual probability in [0, 1), found 1",
            },
        },
    ]);
}

#[test]
fn zero_prices() {
    run_cases(&[
        Case {
            name: "every drug free (default)",
            scenario: DEFAULT,
            sets: &[
                "parameters.osi_price={ value = 0 }",
                "regimens.platinum_pemetrexed.drugs.pemetrexed.price=0",
                "regimens.platinum_pemetrexed.drugs.carboplatin.price=0",
            ],
            expect: Expect::Runs(Some(no_drug_spend)),
        },
        Case {
            name: "every drug free (edge: cohort contracts, partners)",
            scenario: EDGE,
            sets: &[
                "parameters.a_price={ value = 0 }",
                "regimens.b.drugs.drug_b.price=0",
                "regimens.b.drugs.drug_b2.price=0",
            ],
            expect: Expect::Runs(Some(no_drug_spend)),
        },
        Case {
            name: "only the targeted drug free",
            scenario: DEFAULT,
            sets: &["parameters.osi_price={ value = 0 }"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "nothing costs anything",
            scenario: EDGE,
            sets: &[
                "parameters.a_price={ value = 0 }",
                "parameters.panel_cost={ value = 0 }",
                "regimens.a.drugs.drug_a.administration=0",
                "regimens.a.administration=0",
                "regimens.a.after_progression.cost=\"0 per month\"",
                "regimens.a.adverse_events.ae_a.cost=0",
                "regimens.b.drugs.drug_b.price=0",
                "regimens.b.drugs.drug_b2.price=0",
                "regimens.b.drugs.drug_b2.administration=0",
                "regimens.b.administration=0",
                "regimens.b.after_progression.cost=\"0 per month\"",
                "regimens.b.adverse_events.ae_b.cost=0",
                "states.progression_free.cost=\"0 per month\"",
                "states.progressed.cost=\"0 per month\"",
                "states.death.cost=0",
                "contracts=[]",
            ],
            expect: Expect::Runs(Some(nothing_costs_anything)),
        },
    ]);
}

#[test]
fn all_patients_dying_at_once() {
    run_cases(&[
        Case {
            name: "every death within days (Weibull shape 50, scale 1 day)",
            scenario: DEFAULT,
            sets: &[
                "regimens.osimertinib.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
                "regimens.osimertinib.after_progression.survival={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
                "regimens.platinum_pemetrexed.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
                "regimens.platinum_pemetrexed.after_progression.survival={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
            ],
            expect: Expect::Runs(Some(everybody_dies_within_days)),
        },
        Case {
            name: "a death hazard of 1e12 per year",
            scenario: EDGE,
            sets: &[
                "regimens.a.death_before_progression={ dist = \"exponential\", rate = \"1e12 per year\" }",
                "regimens.b.death_before_progression={ dist = \"exponential\", rate = \"1e12 per year\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a death hazard of 0",
            scenario: EDGE,
            sets: &[
                "regimens.a.death_before_progression={ dist = \"exponential\", rate = \"0 per year\" }",
            ],
            expect: Expect::Refused {
                set: 1,
                field: "regimens[0].death_before_progression.rate",
                says: "expected a rate greater than 0, found \"0 per year\"",
            },
        },
    ]);
}

#[test]
fn no_biomarker_positive_patients() {
    run_cases(&[
        Case {
            name: "prevalence 0 (false positives remain)",
            scenario: DEFAULT,
            sets: &["parameters.egfr_prevalence={ value = 0 }"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "prevalence 0, specificity 1 (default)",
            scenario: DEFAULT,
            sets: &["parameters.egfr_prevalence={ value = 0 }", "tests.tissue_ngs.specificity=1"],
            expect: Expect::Runs(Some(nobody_gets_osimertinib)),
        },
        Case {
            name: "prevalence 0, specificity 1 (edge: cohort contracts)",
            scenario: EDGE,
            sets: &["parameters.m_prevalence={ value = 0 }", "tests.panel.specificity=1"],
            expect: Expect::Runs(Some(nobody_gets_drug_a)),
        },
        Case {
            name: "the strategies identical (nobody positive, a free and instant test)",
            scenario: DEFAULT,
            sets: &[
                "parameters.egfr_prevalence={ value = 0 }",
                "tests.tissue_ngs.specificity=1",
                "parameters.ngs_cost={ value = 0 }",
                "tests.tissue_ngs.turnaround=\"0 days\"",
            ],
            expect: Expect::Runs(Some(default_strategies_are_equal)),
        },
    ]);
}

#[test]
fn contracts_that_never_and_always_trigger() {
    run_cases(&[
        Case {
            name: "failures never recorded (default)",
            scenario: DEFAULT,
            sets: &[
                "contracts.money_back_6m.documentation_error=1",
                "contracts.risk_sharing_50.documentation_error=1",
            ],
            expect: Expect::Runs(Some(default_contracts_never_trigger)),
        },
        Case {
            name: "failures never recorded, caps, targets and tiers never reached (edge)",
            scenario: EDGE,
            sets: &[
                "contracts.money_back_3m.documentation_error=1",
                "contracts.pay_at_result_12w.documentation_error=1",
                "contracts.rebate_12w.documentation_error=1",
                "contracts.instalments_4.documentation_error=1",
                "contracts.spend_cap.cap=1e12",
                "contracts.volume_tiers.tiers=[{ above = 1e9, pay = 0.5 }]",
                "contracts.outcome_guarantee.target=0",
            ],
            expect: Expect::Runs(Some(edge_contracts_never_trigger)),
        },
        Case {
            name: "every settled patient fails, a 100 % discount, a cap of 1, a target of 1",
            scenario: EDGE,
            sets: &[
                "regimens.a.response=0",
                "regimens.a.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"2 months\" }",
                "contracts.discount_30.discount=1",
                "contracts.spend_cap.cap=1",
                "contracts.outcome_guarantee.target=1",
            ],
            expect: Expect::Runs(Some(contracts_always_trigger)),
        },
        Case {
            name: "refunds and rebates of 0, a tier at list from the first patient",
            scenario: EDGE,
            sets: &[
                "contracts.discount_30.discount=0",
                "contracts.money_back_3m.refund=0",
                "contracts.rebate_12w.refund=0",
                "contracts.outcome_guarantee.rebate=0",
                "contracts.volume_tiers.tiers=[{ above = 0, pay = 1 }]",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a capped money-back guarantee on a free drug (price found by re-simulation)",
            scenario: DEFAULT,
            sets: &["parameters.osi_price={ value = 0 }", "contracts.money_back_6m.cap=1000"],
            expect: Expect::Runs(None),
        },
    ]);
}

/// A single patient per strategy has no standard errors (empty MCSE columns, checked with
/// every run's summary), and one or two PSA samples are enough for every PSA table: in every
/// bundled scenario and the edge scenario.
#[test]
fn a_single_patient_and_a_single_sample() {
    for (patients, samples) in [(1, 0), (1, 1), (2, 1), (1, 2)] {
        for scenario in [DEFAULT, EDGE, CTDNA, ALK, KRAS, MELANOMA, CAR_T] {
            run(scenario, &[], patients, samples, SEED).clean();
        }
    }
}

/// Every bundled scenario (heterogeneity, partitioned survival, second lines, immunotherapy,
/// cohort-level contracts) undiscounted, and with its mechanisms' probabilities at 0 and 1.
#[test]
fn other_bundled_scenarios_at_the_edges() {
    let mut cases: Vec<Case> = [CTDNA, ALK, KRAS, MELANOMA, CAR_T]
        .into_iter()
        .map(|scenario| Case {
            name: "costs and outcomes undiscounted",
            scenario,
            sets: &["scenario.discount.costs=0", "scenario.discount.outcomes=0"],
            expect: Expect::Runs(Some(all_rates_zero)),
        })
        .collect();
    cases.extend([
        Case {
            name: "no discordance, no shedding, monitoring that never detects, no uptake",
            scenario: CTDNA,
            sets: &[
                "biomarkers.EGFR.discordance=0",
                "tests.plasma_ngs.shedding=0",
                "regimens.osimertinib_monitored.monitoring.sensitivity=0",
                "strategies.tissue_real_world.uptake=0",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "every metastasis discordant, certain shedding and detection, three lesions",
            scenario: CTDNA,
            sets: &[
                "biomarkers.EGFR.discordance=1",
                "tests.plasma_ngs.shedding=1",
                "regimens.osimertinib_monitored.monitoring.sensitivity=1",
                "heterogeneity.lesions=[0, 0, 1]",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "partitioned survival with a horizon shorter than a cycle",
            scenario: ALK,
            sets: &["scenario.horizon=\"10 days\"", "contracts=[]"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "nobody fit for a second line",
            scenario: KRAS,
            sets: &[
                "regimens.pcp_then_docetaxel.second_line.share=0",
                "regimens.pcp_then_sotorasib.second_line.share=0",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "everybody fit for a second line",
            scenario: KRAS,
            sets: &[
                "regimens.pcp_then_docetaxel.second_line.share=1",
                "regimens.pcp_then_sotorasib.second_line.share=1",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "pseudo-progression never",
            scenario: MELANOMA,
            sets: &["parameters.io_pseudo_progression={ value = 0 }"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "pseudo-progression in every responder",
            scenario: MELANOMA,
            sets: &["parameters.io_pseudo_progression={ value = 1 }"],
            expect: Expect::Runs(None),
        },
    ]);
    run_cases(&cases);
}

// ---------------------------------------------------------------------------------------------
// Edge values combined at random

/// The keys of one scenario that the property tests set.
struct Target {
    file: &'static str,
    horizons: &'static [&'static str],
    /// Contract dates moved inside a horizon under 12 weeks (the README refuses dates beyond it).
    short_horizon: &'static [&'static str],
    responder: &'static str,
    death: &'static str,
    prevalence: &'static str,
    test: &'static str,
    targeted_regimen: &'static str,
    targeted_drug: &'static str,
    targeted_price: &'static str,
    /// A large price of the targeted drug per cycle.
    large_price: f64,
    /// The other drugs' price keys.
    other_prices: &'static [&'static str],
    /// Settings under which the contracts `never_trigger` can neither refund nor trigger:
    /// failures never recorded; caps, targets and tiers out of reach.
    never: &'static [&'static str],
    never_trigger: &'static [&'static str],
}

const DEFAULT_TARGET: Target = Target {
    file: DEFAULT,
    horizons: &["5 years", "20 years", "200 years"],
    short_horizon: &[],
    responder: "regimens.osimertinib.progression.responder",
    death: "regimens.platinum_pemetrexed.death_before_progression",
    prevalence: "parameters.egfr_prevalence",
    test: "tests.tissue_ngs",
    targeted_regimen: "regimens.osimertinib",
    targeted_drug: "osimertinib",
    targeted_price: "parameters.osi_price",
    large_price: 1e9,
    other_prices: &[
        "regimens.platinum_pemetrexed.drugs.pemetrexed.price",
        "regimens.platinum_pemetrexed.drugs.carboplatin.price",
    ],
    never: &[
        "contracts.money_back_6m.documentation_error=1",
        "contracts.risk_sharing_50.documentation_error=1",
    ],
    never_trigger: &["money_back_6m", "risk_sharing_50"],
};

const EDGE_TARGET: Target = Target {
    file: EDGE,
    horizons: &["1 day", "20 days", "10 years", "200 years"],
    short_horizon: &[
        "contracts.money_back_3m.window=\"0.5 days\"",
        "contracts.pay_at_result_12w.assess_at=\"0.5 days\"",
        "contracts.rebate_12w.assess_at=\"0.5 days\"",
        "contracts.outcome_guarantee.window=\"0.5 days\"",
    ],
    responder: "regimens.a.progression.responder",
    death: "regimens.b.death_before_progression",
    prevalence: "parameters.m_prevalence",
    test: "tests.panel",
    targeted_regimen: "regimens.a",
    targeted_drug: "drug_a",
    targeted_price: "parameters.a_price",
    // Below the never-reached cap of 1e12 a year even for a whole population of 150 on
    // 28-day cycles all year (simulated patients are scaled up to a population).
    large_price: 1e6,
    other_prices: &["regimens.b.drugs.drug_b.price", "regimens.b.drugs.drug_b2.price"],
    never: &[
        "contracts.money_back_3m.documentation_error=1",
        "contracts.pay_at_result_12w.documentation_error=1",
        "contracts.rebate_12w.documentation_error=1",
        "contracts.instalments_4.documentation_error=1",
        "contracts.spend_cap.cap=1e12",
        "contracts.volume_tiers.tiers=[{ above = 1e9, pay = 0.5 }]",
        "contracts.outcome_guarantee.target=0",
    ],
    never_trigger: &[
        "money_back_3m",
        "pay_at_result_12w",
        "rebate_12w",
        "instalments_4",
        "spend_cap",
        "volume_tiers",
        "outcome_guarantee",
    ],
};

/// The targeted drug's price: the scenario's own, 0, or the target's large price.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Price {
    Own,
    Free,
    Large,
}

/// One combination of edge values; `None` keeps the scenario's own value.
#[derive(Clone, Debug)]
struct Combo {
    horizon: usize,
    discount_costs: f64,
    discount_outcomes: f64,
    /// A Weibull (shape, scale) for the targeted regimen's responders and for the comparator
    /// regimen's death before progression.
    responder: (f64, &'static str),
    death: (f64, &'static str),
    prevalence: Option<f64>,
    sensitivity: Option<f64>,
    specificity: Option<f64>,
    failure: Option<f64>,
    response: Option<f64>,
    targeted_price: Price,
    other_prices_zero: bool,
    never_trigger: bool,
    patients: u64,
    samples: u32,
    seed: u64,
}

fn combos(horizons: usize) -> impl Strategy<Value = Combo> {
    let rates = || select(vec![0.0, 0.03, 0.999]);
    let curve =
        || (select(vec![0.05, 1.0, 1.5, 50.0]), select(vec!["1 day", "2 years", "100 years"]));
    let probability = || select(vec![None, Some(0.0), Some(1.0)]);
    (
        (0..horizons, rates(), rates(), curve(), curve()),
        (probability(), probability(), probability(), probability(), probability()),
        (
            select(vec![Price::Own, Price::Free, Price::Large]),
            proptest::bool::ANY,
            proptest::bool::ANY,
            select(vec![1u64, 2, 300]),
            select(vec![0u32, 1, 3]),
            0u64..1000,
        ),
    )
        .prop_map(
            |(
                (horizon, discount_costs, discount_outcomes, responder, death),
                (prevalence, sensitivity, specificity, failure, response),
                (targeted_price, other_prices_zero, never_trigger, patients, samples, seed),
            )| Combo {
                horizon,
                discount_costs,
                discount_outcomes,
                responder,
                death,
                prevalence,
                sensitivity,
                specificity,
                failure,
                response,
                targeted_price,
                other_prices_zero,
                never_trigger,
                patients,
                samples,
                seed,
            },
        )
}

impl Combo {
    fn sets(&self, t: &Target) -> Vec<String> {
        let horizon = t.horizons[self.horizon];
        let mut sets = vec![
            format!("scenario.horizon=\"{horizon}\""),
            format!("scenario.discount.costs={}", self.discount_costs),
            format!("scenario.discount.outcomes={}", self.discount_outcomes),
        ];
        if horizon.ends_with("day") || horizon.ends_with("days") {
            sets.extend(t.short_horizon.iter().map(|s| s.to_string()));
        }
        for (key, (shape, scale)) in [(t.responder, self.responder), (t.death, self.death)] {
            sets.push(format!(
                "{key}={{ dist = \"weibull\", shape = {shape}, scale = \"{scale}\" }}"
            ));
        }
        if let Some(p) = self.prevalence {
            sets.push(format!("{}={{ value = {p} }}", t.prevalence));
        }
        for (key, value) in [
            ("sensitivity", self.sensitivity),
            ("specificity", self.specificity),
            ("failure", self.failure),
        ] {
            if let Some(p) = value {
                sets.push(format!("{}.{key}={p}", t.test));
            }
        }
        if let Some(p) = self.response {
            sets.push(format!("{}.response={p}", t.targeted_regimen));
        }
        let price = match self.targeted_price {
            Price::Own => None,
            Price::Free => Some(0.0),
            Price::Large => Some(t.large_price),
        };
        if let Some(price) = price {
            sets.push(format!("{}={{ value = {price} }}", t.targeted_price));
        }
        if self.other_prices_zero {
            sets.extend(t.other_prices.iter().map(|k| format!("{k}=0")));
        }
        if self.never_trigger {
            sets.extend(t.never.iter().map(|s| s.to_string()));
        }
        sets
    }

    /// Whether no test reads the biomarker positive: a test that always fails (read negative),
    /// or nobody who carries it read positive and nobody who does not.
    fn nobody_positive(&self) -> bool {
        let prevalence_is = |p: f64| self.prevalence == Some(p);
        self.failure == Some(1.0)
            || ((prevalence_is(0.0) || self.sensitivity == Some(0.0))
                && (prevalence_is(1.0) || self.specificity == Some(1.0)))
    }

    /// The run, its clean-output checks, and the closed forms that this combination implies.
    fn check(&self, t: &Target) {
        let r = run(t.file, &self.sets(t), self.patients, self.samples, self.seed);
        let f = r.clean();
        if self.discount_outcomes == 0.0 {
            life_years_undiscounted(&f);
        }
        if self.discount_costs == 0.0 && f.maybe("contracts.csv").is_some() {
            manufacturer_sees_contract_spend(&f);
        }
        if self.nobody_positive() {
            nobody_gets(&f, t.targeted_drug);
        }
        if self.targeted_price == Price::Free && self.other_prices_zero {
            no_drug_spend(&f);
        }
        if self.never_trigger && !self.nobody_positive() {
            let k = f.csv("contracts.csv");
            for &contract in t.never_trigger {
                let row = contract_row(k, contract);
                assert_eq!(k.num(row, "refunds"), 0.0, "{contract} refunds\n{}", f.cmd);
                if k.num(row, "treated_share") > 0.0 {
                    assert_eq!(k.num(row, "triggered_share"), 0.0, "{contract}\n{}", f.cmd);
                }
            }
        }
    }
}

/// A deterministic runner: the same cases on every machine and run, nothing persisted.
fn runner(cases: u32) -> TestRunner {
    let config =
        Config { cases, failure_persistence: None, max_shrink_iters: 64, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

fn combined_edge_values(target: &Target, cases: u32) {
    let result = runner(cases).run(&combos(target.horizons.len()), |combo| {
        combo.check(target);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{}: {e}", target.file);
    }
}

#[test]
fn edge_values_combined_in_the_edge_scenario() {
    combined_edge_values(&EDGE_TARGET, 128);
}

#[test]
fn edge_values_combined_in_the_default_scenario() {
    combined_edge_values(&DEFAULT_TARGET, 96);
}
