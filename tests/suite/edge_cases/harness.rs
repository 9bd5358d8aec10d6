//! The harness: one `vbpsim run` into a temporary folder, its output tables read, and the checks
//! every run that exits 0 must pass (clean outputs, the docs' quadrants, costs that add up),
//! with a test that the checks catch what they look for.

use super::ROUNDING;
use crate::support::{listing, text_of, vbpsim};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

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
pub(super) struct Run {
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

pub(super) fn run(scenario: &str, sets: &[String], patients: u64, samples: u32, seed: u64) -> Run {
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
    /// [`non_finite_words`] of a text, the run's own temporary folder masked: its random name
    /// may hold the letters "inf" (as `/tmp/.tmpZ02inF` once did).
    fn non_finite_words(&self, text: &str) -> Vec<String> {
        let masked = text.replace(&self.parent.display().to_string(), "<temporary folder>");
        non_finite_words(&masked).into_iter().map(str::to_string).collect()
    }

    fn context(&self) -> String {
        format!("reproduce: {}\nstdout:\n{}\nstderr:\n{}", self.cmd, self.stdout, self.stderr)
    }

    fn assert_no_panic(&self) {
        assert!(!self.stderr.contains("panicked"), "vbpsim panicked\n{}", self.context());
    }

    /// Exit code 0 and clean outputs (see the file's doc comment); the folder's tables.
    pub(super) fn clean(&self) -> Folder {
        self.assert_no_panic();
        assert_eq!(self.code, Some(0), "exit code\n{}", self.context());
        for (what, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let words = self.non_finite_words(text);
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
                let words = self.non_finite_words(&text);
                assert!(words.is_empty(), "{name} prints {words:?}\nreproduce: {}", self.cmd);
            }
        }
        // The checks read a threshold's values as the columns `x_<λ>` of the arm's row: each
        // table gains its long companion's values (support::widen).
        for (wide, long, keys) in [
            ("summary.csv", "nmb.csv", &["strategy", "contract", "reference"][..]),
            ("contracts.csv", "threshold_prices.csv", &["strategy", "contract", "arm_contract"]),
        ] {
            let Some(l) = folder.tables.iter().position(|(n, _)| n == long) else { continue };
            let (lh, lr) = (folder.tables[l].1.header.clone(), folder.tables[l].1.rows.clone());
            let w = folder.tables.iter().position(|(n, _)| n == wide).expect(wide);
            let t = &mut folder.tables[w].1;
            let width = t.header.len();
            crate::support::widen((&mut t.header, &mut t.rows), (&lh, &lr), keys);
            assert!(lr.is_empty() || t.header.len() > width, "{wide} widened by {long}");
        }
        for name in ["summary.csv", "costs.csv", "survival.csv", "nmb.csv"] {
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

    /// Exit code 2 with the docs' location of a `--set` value (`error: --set #k:1:col:
    /// field: message`), and nothing written.
    pub(super) fn refused(&self, set: usize, field: &str, says: &str) {
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
pub(super) struct Csv {
    pub(super) header: Vec<String>,
    pub(super) rows: Vec<Vec<String>>,
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

    pub(super) fn get<'a>(&self, row: &'a [String], name: &str) -> &'a str {
        &row[self.col(name)]
    }

    pub(super) fn num(&self, row: &[String], name: &str) -> f64 {
        let s = self.get(row, name);
        s.parse().unwrap_or_else(|_| panic!("{name} = {s:?} is not a number"))
    }

    /// The rows whose `strategy` (and `contract`, when given) match.
    pub(super) fn rows_of<'a>(
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

/// The docs' `icer_status` of an arm other than the comparator, from its increments.
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

/// Whether a contract of this kind may have a payer cost that is not linear in the list price
/// (a money-back guarantee with a cap, a cohort expenditure cap; see contracts::Kind::is_linear).
pub(super) fn maybe_not_linear(kind: &str) -> bool {
    matches!(kind, "money_back" | "expenditure_cap")
}

pub(super) fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= ROUNDING * scale
}

/// The tables of a run that exited 0.
pub(super) struct Folder {
    pub(super) cmd: String,
    patients: u64,
    samples: u32,
    tables: Vec<(String, Csv)>,
}

impl Folder {
    pub(super) fn csv(&self, name: &str) -> &Csv {
        self.tables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
            .unwrap_or_else(|| panic!("no {name} in the output\nreproduce: {}", self.cmd))
    }

    pub(super) fn maybe(&self, name: &str) -> Option<&Csv> {
        self.tables.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// costs.csv: an arm's cost in one category in the base case.
    pub(super) fn cost(&self, strategy: &str, contract: &str, category: &str) -> f64 {
        let c = self.csv("costs.csv");
        let row = c
            .rows_of(strategy, Some(contract))
            .find(|r| c.get(r, "category") == category && c.get(r, "basis") == "deterministic")
            .unwrap_or_else(|| panic!("no {strategy}/{contract} {category} in costs.csv"));
        c.num(row, "cost")
    }

    /// summary.csv: the comparator once at list (and under contracts that settle it), with zero
    /// increments and no ICER; every row's increments against its reference; every other
    /// arm in the docs' quadrant of its increments, with an ICER exactly for `ratio` and
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
            // The reference is a comparator row (the comparator at list, or under the arm's
            // contract), and the increments are the difference of the means.
            let reference = s.get(row, "reference");
            let basis = s.get(row, "basis");
            let of = s.rows.iter().find(|r| {
                format!("{}/{}", s.get(r, "strategy"), s.get(r, "contract")) == reference
                    && s.get(r, "basis") == basis
            });
            let of = of.unwrap_or_else(|| panic!("{arm}: no reference {reference}\n{cmd}"));
            assert_eq!(s.get(of, "icer_status"), "comparator", "{arm}: reference\n{cmd}");
            for (inc, x) in [("inc_cost", "cost"), ("inc_qaly", "qaly")] {
                let want = s.num(row, x) - s.num(of, x);
                let scale = s.num(row, x).abs().max(s.num(of, x).abs()).max(1.0);
                assert!(
                    (s.num(row, inc) - want).abs() <= 1e-9 * scale,
                    "{arm}: {inc} {} is {x} minus the reference's, {want}\n{cmd}",
                    s.num(row, inc)
                );
            }
            if status == "comparator" {
                assert_eq!(reference, arm, "{arm}: the comparator is its own reference\n{cmd}");
                comparators += usize::from(s.get(row, "contract") == "list");
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
            // Standard errors over patients (deterministic) or over samples (probabilistic).
            let single =
                if basis == "probabilistic" { self.samples == 1 } else { self.patients == 1 };
            for (h, cell) in s.header.iter().zip(row) {
                if h.ends_with("_mcse") {
                    assert_eq!(
                        cell.is_empty(),
                        single,
                        "{arm} {h} = {cell:?} ({basis}) with {} patients, {} samples\nreproduce: {cmd}",
                        self.patients,
                        self.samples
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
        // One comparator row at list per basis: the deterministic, and with PSA samples the
        // probabilistic.
        let bases = if self.samples > 0 { 2 } else { 1 };
        assert_eq!(comparators, bases, "the comparator at list per basis\nreproduce: {cmd}");
    }

    /// costs.csv: each arm's categories add up (in file order) to its cost in summary.csv, on
    /// each basis.
    fn check_costs_add_up(&self) {
        let (s, c) = (self.csv("summary.csv"), self.csv("costs.csv"));
        for row in &s.rows {
            let (strategy, contract) = (s.get(row, "strategy"), s.get(row, "contract"));
            let basis = s.get(row, "basis");
            let of_basis =
                c.rows_of(strategy, Some(contract)).filter(|r| c.get(r, "basis") == basis);
            let sum: f64 = of_basis.map(|r| c.num(r, "cost")).sum();
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
            // The arm the row reports: its own, or the list arm for a `list` contract.
            let reported = k.get(row, "arm_contract");
            let own = reported == contract || (reported == "list" && k.get(row, "kind") == "list");
            assert!(own, "{arm}: arm_contract {reported}\nreproduce: {cmd}");
            // On the same basis: the base case's, or the means over the PSA samples.
            let basis = k.get(row, "basis");
            let srow = s.rows_of(strategy, Some(reported)).find(|r| s.get(r, "basis") == basis);
            let srow = srow.unwrap_or_else(|| panic!("{arm}: no {basis} row\nreproduce: {cmd}"));
            for col in ["inc_cost", "icer", "icer_status", "reference"] {
                assert_eq!(k.get(row, col), s.get(srow, col), "{arm} {col}\nreproduce: {cmd}");
            }
            let treated = k.num(row, "treated_share");
            assert!((0.0..=1.0).contains(&treated), "{arm} treated_share {treated}\n{cmd}");
            // Settled patients of the base case; a standard deviation needs two of them. The
            // probabilistic row pools every sample's patients and leaves the spread across
            // patients (sd, p95) to the base case's row.
            let settled = (treated * self.patients as f64).round();
            for (col, needs, spread) in [
                ("triggered_share", 1.0, false),
                ("spend_per_treated", 1.0, false),
                ("spend_per_treated_sd", 2.0, true),
                ("spend_per_treated_p95", 1.0, true),
            ] {
                let empty = if basis == "probabilistic" {
                    spread || treated == 0.0
                } else {
                    settled < needs
                };
                assert_eq!(
                    k.get(row, col).is_empty(),
                    empty,
                    "{arm} {col} = {:?} ({basis}) with {settled} settled patients\nreproduce: {cmd}",
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
                // A search per sample is not run: terms not linear in the price have no
                // probabilistic threshold price.
                let searched =
                    k.get(row, "basis") == "deterministic" || !maybe_not_linear(k.get(row, "kind"));
                let known =
                    THRESHOLD_STATUSES.contains(&status) || (!searched && status == "not_computed");
                assert!(known, "{arm} {h} = {status} ({basis})\n{cmd}");
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
    // the docs, summary.csv `icer_status`.
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
