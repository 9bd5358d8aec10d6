//! The engine against the expectations: the built binary run on the scenario, its summary.csv,
//! costs.csv and survival.csv compared within 4 Monte Carlo standard errors.

use super::expectations::{Expected, expected};
use super::model::{
    CATEGORY_NAMES, COMPARATOR, Moments, N_CATEGORIES, PATIENTS, SCENARIO, TEST_AND_TREAT,
    THRESHOLDS,
};
use std::collections::HashMap;
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// Reading the engine's output.

struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn read_table(path: &Path) -> Table {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let headers = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    Table { headers, rows }
}

impl Table {
    fn col(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }
    /// The single row where every (column, value) pair matches.
    fn row(&self, keys: &[(&str, &str)]) -> Option<&Vec<String>> {
        let idx: Vec<(usize, &str)> =
            keys.iter().map(|(c, v)| (self.col(c).unwrap_or(usize::MAX), *v)).collect();
        let mut matching =
            self.rows.iter().filter(|r| idx.iter().all(|(i, v)| r.get(*i).is_some_and(|x| x == v)));
        let first = matching.next();
        assert!(matching.next().is_none(), "more than one row for {keys:?}");
        first
    }
    fn num(&self, row: &[String], name: &str) -> Result<f64, String> {
        let i = self.col(name).ok_or_else(|| format!("missing column `{name}`"))?;
        row[i].parse::<f64>().map_err(|e| format!("column `{name}`: {:?}: {e}", row[i]))
    }
}

/// Collects comparisons, prints them as a table and fails at the end if any is out of bounds.
#[derive(Default)]
struct Report {
    lines: Vec<String>,
    failures: Vec<String>,
}

impl Report {
    /// |got − expected| ≤ tol.
    fn check(&mut self, what: &str, expected: f64, got: f64, se: f64, tol: f64) {
        let ok = (got - expected).abs() <= tol;
        let z = if se > 0.0 { (got - expected) / se } else { f64::NAN };
        let line = format!(
            "{:<52} {:>16.6} {:>16.6} {:>12.6} {:>7.2} {}",
            what,
            expected,
            got,
            se,
            z,
            if ok { "ok" } else { "FAIL" }
        );
        if !ok {
            self.failures.push(format!("{line}  (tolerance {tol:.3e})"));
        }
        self.lines.push(line);
    }
    fn fail(&mut self, message: String) {
        self.lines.push(format!("FAIL {message}"));
        self.failures.push(message);
    }
}

/// Allowed distance in Monte Carlo standard errors.
const Z: f64 = 4.0;
/// Slack for quadrature error (relative, far below any MCSE here).
const QUAD_REL: f64 = 1e-8;

fn fmt_threshold(l: f64) -> String {
    format!("{}", l as i64)
}

/// A number of a row of the engine's output; a missing or unreadable one is a failure.
fn get(report: &mut Report, table: &Table, row: &[String], col: &str) -> Option<f64> {
    match table.num(row, col) {
        Ok(x) => Some(x),
        Err(e) => {
            report.fail(e);
            None
        }
    }
}

#[test]
fn engine_matches_numerical_integration() {
    engine_against_expectations(&[], Course::BuiltIn);
}

/// The built-in course after progression (one survival curve, the progressed state's costs
/// and the regimen's `after_progression.cost`) is the one-state pathway: the scenario with each
/// regimen's time after progression written as a pathway (a `progressed` state with the
/// progressed utility and both costs, left for death along the same curve, clock reset) meets
/// the same expectations, its progressed state's cost being both categories'.
#[test]
fn the_built_in_course_written_as_a_one_state_pathway_matches_numerical_integration() {
    let state = |name: &str, cost: &str, time: &str| {
        format!(
            r#"{{ name = "{name}", start = "progressed", states = [{{ name = "progressed", utility = 0.5, cost = "{cost}" }}], transitions = [{{ from = "progressed", to = "death", time = {time} }}] }}"#
        )
    };
    let a = state(
        "after_a",
        "5000 per month",
        r#"{ dist = "weibull", shape = 1.2, scale = "10 months" }"#,
    );
    let b = state(
        "after_b",
        "3500 per month",
        r#"{ dist = "gompertz", shape = "-0.3 per year", rate = "0.6 per year" }"#,
    );
    let sets = [
        format!("pathways = [{a}, {b}]"),
        r#"regimens.a.after_progression = { pathway = "after_a" }"#.to_string(),
        r#"regimens.b.after_progression = { pathway = "after_b" }"#.to_string(),
    ];
    engine_against_expectations(&sets, Course::OneStatePathway);
}

/// How the scenario writes the time after progression.
#[derive(Clone, Copy, PartialEq)]
enum Course {
    BuiltIn,
    /// Its cost categories `state:progressed` and `post_progression` are then one: the
    /// pathway state's.
    OneStatePathway,
}

/// Run the binary on the scenario with `sets` and compare its outputs with the expectations.
fn engine_against_expectations(sets: &[String], course: Course) {
    let expected_all: Vec<(&str, Expected)> =
        [COMPARATOR, TEST_AND_TREAT].iter().map(|s| (*s, expected(s))).collect();

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut command = assert_cmd::Command::cargo_bin("vbpsim").unwrap();
    command.current_dir(env!("CARGO_MANIFEST_DIR")).args(["run", SCENARIO, "--out"]).arg(&out);
    for set in sets {
        command.args(["--set", set]);
    }
    command.arg("--quiet").assert().success();

    let mut summary = read_table(&out.join("summary.csv"));
    let nmb = read_table(&out.join("nmb.csv"));
    crate::support::widen(
        (&mut summary.headers, &mut summary.rows),
        (&nmb.headers, &nmb.rows),
        &["strategy", "contract"],
    );
    let costs = read_table(&out.join("costs.csv"));
    let survival_table = out.join("survival.csv");
    let mut report = Report::default();

    let mut sim_rows = HashMap::new();
    for (strategy, exp) in &expected_all {
        let e = &exp.moments;
        let Some(row) = summary.row(&[("strategy", strategy), ("contract", "list")]).cloned()
        else {
            report.fail(format!("summary.csv has no row for {strategy} / list"));
            continue;
        };
        sim_rows.insert(*strategy, row.clone());
        let sim_cost = check_totals(&mut report, &summary, &row, strategy, e);
        check_categories(&mut report, &costs, (strategy, course), e, sim_cost);
    }
    check_increments(&mut report, &summary, &expected_all, &sim_rows);
    check_survival(&mut report, &survival_table, &expected_all);

    println!("{:<52} {:>16} {:>16} {:>12} {:>7}", "quantity", "expected", "simulated", "mcse", "z");
    for line in &report.lines {
        println!("{line}");
    }
    assert!(
        report.failures.is_empty(),
        "{} comparison(s) out of bounds:\n{}",
        report.failures.len(),
        report.failures.join("\n")
    );
}

/// A strategy's totals against the engine's own MCSE, and its net monetary benefits; returns
/// the simulated cost.
fn check_totals(
    report: &mut Report,
    summary: &Table,
    row: &[String],
    strategy: &str,
    e: &Moments,
) -> Option<f64> {
    // Totals against the engine's own MCSE.
    let totals = [
        ("cost", e.total_cost()),
        ("qaly", e.qaly),
        ("ly", e.ly),
        ("ly_undiscounted", e.ly_undiscounted),
    ];
    let mut sim_cost = None;
    for (col, want) in totals {
        let (Some(got), Some(se)) =
            (get(report, summary, row, col), get(report, summary, row, &format!("{col}_mcse")))
        else {
            continue;
        };
        if col == "cost" {
            sim_cost = Some(got);
        }
        report.check(&format!("{strategy} {col}"), want, got, se, Z * se + QUAD_REL * want.abs());
    }
    // Net monetary benefit λ·qaly − cost, with its MCSE.
    for l in THRESHOLDS {
        let col = format!("nmb_{}", fmt_threshold(l));
        let want = l * e.qaly - e.total_cost();
        if let (Some(got), Some(se)) =
            (get(report, summary, row, &col), get(report, summary, row, &format!("{col}_mcse")))
        {
            report.check(
                &format!("{strategy} {col}"),
                want,
                got,
                se,
                Z * se + QUAD_REL * (l * e.qaly).abs(),
            );
        }
    }
    sim_cost
}

/// A strategy's cost categories, their number, and their sum against the simulated cost.
fn check_categories(
    report: &mut Report,
    costs: &Table,
    (strategy, course): (&str, Course),
    e: &Moments,
    sim_cost: Option<f64>,
) {
    // Categories: no MCSE is reported per category, so the standard error is derived from
    // the exact second moment of each category's per-patient cost (E[X²] − E[X]² under the
    // model, computed alongside the mean), SE = SD/√N, and the same 4·SE is allowed.
    // (Testing is a constant per arm: SE 0, only rounding slack.)
    let mut cat_sum = 0.0;
    for (k, name) in CATEGORY_NAMES.iter().enumerate() {
        let Some(crow) =
            costs.row(&[("strategy", strategy), ("contract", "list"), ("category", name)]).cloned()
        else {
            report.fail(format!("costs.csv has no row for {strategy} / list / {name}"));
            continue;
        };
        let Some(got) = get(report, costs, &crow, "cost") else {
            continue;
        };
        cat_sum += got;
        let (want, sd) = match (course, *name) {
            // One state's cost: the sum of both categories, whose standard deviation is at most
            // the sum of theirs.
            (Course::OneStatePathway, "state:progressed") => {
                (e.cost[k] + e.cost[k + 1], e.category_sd(k) + e.category_sd(k + 1))
            }
            (Course::OneStatePathway, "post_progression") => (0.0, 0.0),
            _ => (e.cost[k], e.category_sd(k)),
        };
        let se = sd / PATIENTS.sqrt();
        report.check(
            &format!("{strategy} cost[{name}]"),
            want,
            got,
            se,
            Z * se + QUAD_REL * want.abs() + 1e-9,
        );
    }
    let n_listed = costs
        .rows
        .iter()
        .filter(|r| {
            r[costs.col("strategy").unwrap()] == strategy
                && r[costs.col("contract").unwrap()] == "list"
        })
        .count();
    if n_listed != N_CATEGORIES {
        report.fail(format!(
            "costs.csv lists {n_listed} categories for {strategy}, expected {N_CATEGORIES}"
        ));
    }
    if let Some(c) = sim_cost
        && (cat_sum - c).abs() > 1e-9 * c.abs()
    {
        report.fail(format!(
            "{strategy}: costs.csv categories sum to {cat_sum}, summary.csv cost is {c}"
        ));
    }
}

/// The increments of the test strategy over the comparator, and of the comparator over itself.
fn check_increments(
    report: &mut Report,
    summary: &Table,
    expected_all: &[(&str, Expected)],
    sim_rows: &HashMap<&str, Vec<String>>,
) {
    // Increments of the test strategy over the comparator (paired MCSE from the engine).
    let (e_cmp, e_tt) = (&expected_all[0].1.moments, &expected_all[1].1.moments);
    if let Some(row) = sim_rows.get(TEST_AND_TREAT).cloned() {
        let incs = [
            ("inc_cost", e_tt.total_cost() - e_cmp.total_cost()),
            ("inc_qaly", e_tt.qaly - e_cmp.qaly),
        ];
        for (col, want) in incs {
            if let (Some(got), Some(se)) = (
                get(report, summary, &row, col),
                get(report, summary, &row, &format!("{col}_mcse")),
            ) {
                let scale = if col == "inc_cost" { e_tt.total_cost() } else { 1.0 };
                report.check(
                    &format!("{TEST_AND_TREAT} {col}"),
                    want,
                    got,
                    se,
                    Z * se + QUAD_REL * scale,
                );
            }
        }
        for l in THRESHOLDS {
            let col = format!("inc_nmb_{}", fmt_threshold(l));
            let want = l * (e_tt.qaly - e_cmp.qaly) - (e_tt.total_cost() - e_cmp.total_cost());
            if let (Some(got), Some(se)) = (
                get(report, summary, &row, &col),
                get(report, summary, &row, &format!("{col}_mcse")),
            ) {
                report.check(
                    &format!("{TEST_AND_TREAT} {col}"),
                    want,
                    got,
                    se,
                    Z * se + QUAD_REL * l * e_tt.qaly,
                );
            }
        }
    }
    // The comparator against itself: exactly zero.
    if let Some(row) = sim_rows.get(COMPARATOR).cloned() {
        for col in ["inc_cost", "inc_qaly", "inc_ly"] {
            if let Some(got) = get(report, summary, &row, col) {
                report.check(&format!("{COMPARATOR} {col}"), 0.0, got, 0.0, 0.0);
            }
        }
    }
}

/// survival.csv against each strategy's overall and progression-free survival.
fn check_survival(report: &mut Report, survival_table: &Path, expected_all: &[(&str, Expected)]) {
    // survival.csv: shares of patients, binomial SE √(p(1−p)/N). The normal approximation behind
    // "4 SE" needs enough patients on both sides: a share with fewer than 1000 expected patients
    // (pfs at 5 and 10 years, ~8–300 patients) is skipped, as its Poisson tail at +4 SE is
    // far heavier than the normal one.
    if survival_table.exists() {
        let surv = read_table(survival_table);
        for (strategy, exp) in expected_all {
            for &(month, os, pfs) in &exp.survival {
                let Some(row) =
                    surv.row(&[("strategy", strategy), ("month", &month.to_string())]).cloned()
                else {
                    report.fail(format!("survival.csv has no row for {strategy} month {month}"));
                    continue;
                };
                for (col, want) in [("os", os), ("pfs", pfs)] {
                    if want.min(1.0 - want) * PATIENTS < 1000.0 {
                        continue;
                    }
                    if let Some(got) = get(report, &surv, &row, col) {
                        let se = (want * (1.0 - want) / PATIENTS).sqrt();
                        report.check(
                            &format!("{strategy} {col} month {month}"),
                            want,
                            got,
                            se,
                            Z * se + 1e-9,
                        );
                    }
                }
            }
        }
    } else {
        report.fail("survival.csv was not written".to_string());
    }
}
