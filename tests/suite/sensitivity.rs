//! One-way sensitivity against closed forms: a test cost paid by every patient of one strategy
//! at diagnosis moves the incremental cost by exactly its change (same patients), and a
//! distribution's range is its 2.5 % and 97.5 % quantiles; the command's folder, plots and
//! errors.

use crate::support::{fixture, load, try_load, vbpsim};
use vbpsim::analysis::sensitivity::{RangeSource, ranges};
use vbpsim::workflow::run::RunOptions;
use vbpsim::workflow::sensitivity::{Runner, one_way, switch_value};

/// `bsc` vs `treat` (a test at diagnosis costing `test_cost`, then drug x until progression).
/// Parameters: the test cost with a scenario range, a uniform progression median and a fixed
/// price without a range (not varied).
const ONEWAY: &str = "sensitivity/oneway.toml";

/// --set the test cost's range.
fn test_cost_range(range: &str) -> String {
    format!("parameters.test_cost = {{ value = 300, {range} }}")
}

#[test]
fn a_test_cost_moves_the_increment_by_exactly_its_change() {
    let s = load(ONEWAY, &[]);
    let m = &s.model;
    let r = ranges(m);
    let names: Vec<&str> = r.iter().map(|x| m.parameters[x.parameter].name.as_str()).collect();
    assert_eq!(names, ["test_cost", "pfs_median"], "fixed parameters without a range stay put");
    assert_eq!((r[0].low, r[0].high, r[0].source), (100.0, 900.0, RangeSource::Scenario));
    // Uniform(0.5, 1.5) years: quantiles 0.5 + 0.025 and 1.5 − 0.025.
    assert!((r[1].low - 0.525).abs() < 1e-12 && (r[1].high - 1.475).abs() < 1e-12);
    assert_eq!(r[1].source, RangeSource::Distribution);

    let runner = Runner::new(m, &RunOptions::default()).unwrap();
    let result = one_way(&runner, &mut |_, _| {}).unwrap();
    let arm = result.base.iter().position(|a| a.strategy == 1).unwrap();
    let (low, high) = (&result.rows[0].low[arm], &result.rows[0].high[arm]);
    let base = &result.base[arm];
    // Everybody on `treat` pays the test at t = 0 (undiscounted), on the same patients.
    for (at, cost) in [(low, 100.0), (high, 900.0)] {
        let moved = at.inc_cost.mean - base.inc_cost.mean;
        assert!((moved - (cost - 300.0)).abs() < 1e-9 * 900.0, "moved {moved}");
        assert_eq!(at.inc_qaly.mean, base.inc_qaly.mean, "QALYs do not move");
        for k in 0..2 {
            let nmb = at.inc_nmb[k].mean - base.inc_nmb[k].mean;
            assert!((nmb + (cost - 300.0)).abs() < 1e-9 * 900.0);
        }
    }
    // A longer progression-free time on the drug raises its QALYs.
    let (low, high) = (&result.rows[1].low[arm], &result.rows[1].high[arm]);
    assert!(high.inc_qaly.mean > base.inc_qaly.mean && base.inc_qaly.mean > low.inc_qaly.mean);
}

#[test]
fn the_decision_switches_where_the_closed_form_says() {
    // Incremental NMB falls by exactly one per unit of test cost (everybody on `treat` pays it
    // at diagnosis, same patients): it crosses zero at c* = 300 + NMB(300).
    let s = load(ONEWAY, &[test_cost_range("range = [0, 500000]")]);
    let runner = Runner::new(&s.model, &RunOptions::default()).unwrap();
    let result = one_way(&runner, &mut |_, _| {}).unwrap();
    let arm = result.base.iter().position(|a| a.strategy == 1).unwrap();
    for k in 0..2 {
        let base = result.base[arm].inc_nmb[k].mean;
        let want = 300.0 + base;
        assert!(want > 0.0 && want < 500_000.0, "the switch lies in the range: {want}");
        let got = switch_value(&runner, &result.rows[0], arm, k).unwrap().unwrap();
        assert!((got - want).abs() < 1e-6 * 500_000.0, "threshold {k}: {got} vs {want}");
    }
    // A parameter whose range keeps the sign reports no switch.
    let s = load(ONEWAY, &[test_cost_range("range = [299, 301]")]);
    let runner = Runner::new(&s.model, &RunOptions::default()).unwrap();
    let result = one_way(&runner, &mut |_, _| {}).unwrap();
    let nmb = result.base[arm].inc_nmb[0].mean;
    assert!(nmb.abs() > 1.0, "no switch within one unit of cost");
    assert_eq!(switch_value(&runner, &result.rows[0], arm, 0).unwrap(), None);
}

#[test]
fn a_two_way_grid_is_linear_in_the_test_cost_at_every_progression_median() {
    use vbpsim::workflow::sensitivity::two_way;
    let s = load(ONEWAY, &[]);
    let m = &s.model;
    let runner =
        Runner::new(m, &RunOptions { patients: Some(5000), ..RunOptions::default() }).unwrap();
    let r = ranges(m);
    let grid = two_way(&runner, (r[0], r[1]), 3, &mut |_, _| {}).unwrap();
    assert_eq!((grid.xs.len(), grid.ys.len(), grid.cells.len()), (3, 3, 9));
    assert_eq!((grid.xs[0], grid.xs[2]), (100.0, 900.0));
    let arm = grid.cells[0].iter().position(|a| a.strategy == 1).unwrap();
    for j in 0..3 {
        let row = &grid.cells[j * 3..(j + 1) * 3];
        for k in 0..2 {
            let step = row[2][arm].inc_nmb[k].mean - row[0][arm].inc_nmb[k].mean;
            assert!((step + 800.0).abs() < 1e-6, "y {}: {step}", grid.ys[j]);
        }
        // The same progression median gives the same QALYs whatever the test cost.
        assert_eq!(row[0][arm].inc_qaly.mean, row[2][arm].inc_qaly.mean);
    }
    // Longer progression-free time on the drug: more QALYs.
    assert!(grid.cells[6][arm].inc_qaly.mean > grid.cells[0][arm].inc_qaly.mean);
}

#[test]
fn the_command_writes_its_folder_and_refuses_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(ONEWAY);
    let out = dir.path().join("o");
    let run = vbpsim()
        .args(["sensitivity", "--patients", "3000", "--threshold", "100000"])
        .args(["--two-way", "test_cost,pfs_median", "--steps", "3", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{said}");
    // The closing lines: what was varied, every simulation counted, what was not varied.
    assert!(
        said.contains("varied 2 parameters one way and two of them over a 3 × 3 grid (14 simulations of 3000 patients"),
        "{said}"
    );
    assert!(said.contains("not varied (no range and no distribution): price"), "{said}");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "report.html",
            "run.json",
            "threshold.csv",
            "tornado.csv",
            "tornado.png",
            "tornado.svg",
            "tornado_icer.png",
            "tornado_icer.svg",
            "tornado_nmb.csv",
            "twoway.csv",
            "twoway.png",
            "twoway.svg"
        ]
    );
    // Its report: the drawn arm's tornado and switches at the drawn threshold, the plots.
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    for part in [
        "<h2>Tornado (incremental NMB per patient at 100,000 USD/QALY)</h2>",
        "<h2>Where the decision switches</h2>",
        "<th>Swing (USD)</th>",
        "<figure id=\"tornado\">",
        "<figure id=\"twoway\">",
    ] {
        assert!(page.contains(part), "report.html lacks {part}");
    }
    let switches = std::fs::read_to_string(out.join("threshold.csv")).unwrap();
    assert!(switches.starts_with("parameter,strategy,contract,wtp,"));
    assert_eq!(switches.lines().count(), 1 + 2 * 2, "two parameters × two thresholds");
    let grid = std::fs::read_to_string(out.join("twoway.csv")).unwrap();
    assert!(grid.starts_with(
        "parameter_x,value_x,parameter_y,value_y,strategy,contract,wtp,inc_nmb,preferred\n"
    ));
    assert_eq!(grid.lines().count(), 1 + 9 * 2, "3 × 3 cells × one arm × two thresholds");
    let heatmap = std::fs::read_to_string(out.join("twoway.svg")).unwrap();
    assert!(heatmap.contains("Two-way sensitivity") && heatmap.contains("pfs_median"));
    let table = std::fs::read_to_string(out.join("tornado.csv")).unwrap();
    let header: Vec<&str> = table.lines().next().unwrap().split(',').collect();
    assert_eq!(&header[..3], ["parameter", "range_source", "value_base"]);
    assert!(!header.iter().any(|h| h.contains("nmb")), "tornado.csv has no threshold: {header:?}");
    // Two parameters × one arm (treat at list; no contracts).
    assert_eq!(table.lines().count(), 3);
    let long = std::fs::read_to_string(out.join("tornado_nmb.csv")).unwrap();
    assert!(long.starts_with(
        "parameter,strategy,contract,wtp,value_base,value_low,value_high,inc_nmb_base,\
         inc_nmb_low,inc_nmb_high,swing\n"
    ));
    assert_eq!(long.lines().count(), 1 + 2 * 2, "two parameters × one arm × two thresholds");
    let svg = std::fs::read_to_string(out.join("tornado.svg")).unwrap();
    for w in ["One-way sensitivity", "test_cost [100 – 900]", "pfs_median", "decision changes"] {
        assert!(svg.contains(w), "tornado.svg shows {w:?}");
    }
    // Re-running replaces the folder it wrote.
    let again = vbpsim()
        .args(["sensitivity", "--quiet", "--patients", "500", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .unwrap();
    assert!(again.status.success());

    for (args, code, words) in [
        (vec!["--threshold", "123"], 2, "not one of the scenario's thresholds"),
        (vec!["--arm", "nope"], 2, "no such arm"),
        (vec!["--arm", "bsc"], 2, "the comparator's arm is the reference"),
        (vec!["--two-way", "test_cost,price"], 2, "not a parameter with a range"),
        (vec!["--two-way", "test_cost"], 2, "expected two different parameter names"),
    ] {
        let o = vbpsim()
            .args(["sensitivity", "--quiet", "--patients", "500", "--out"])
            .arg(dir.path().join("p"))
            .args(&args)
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(code), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains(words), "{args:?}");
    }
    let none = ["--set", "scenario.thresholds = []"];
    let o = vbpsim().args(["sensitivity", "--quiet"]).args(none).arg(&file).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("thresholds = []"));
    let fixed = [
        "--set",
        "parameters.test_cost = { value = 300 }",
        "--set",
        r#"parameters.pfs_median = { value = "12 months" }"#,
    ];
    let o = vbpsim().args(["sensitivity", "--quiet"]).args(fixed).arg(&file).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no parameter to vary"));
}

#[test]
fn a_range_is_checked_like_the_parameter() {
    for (range, field) in [
        ("range = [400, 900]", "parameters.test_cost.range"),
        ("range = [100]", "parameters.test_cost.range"),
        ("range = [\"1 month\", \"2 months\"]", "parameters.test_cost.range"),
    ] {
        let err = try_load(ONEWAY, &[test_cost_range(range)]).expect_err(range);
        let shown = format!("{err}");
        assert!(shown.contains(field), "{range}: {shown}");
    }
    // A probability's range must stay a probability, as its draws must.
    let sets = [
        "parameters.prev = { value = 0.5, range = [0.2, 1.4] }".into(),
        "biomarkers.m.prevalence = \"prev\"".into(),
    ];
    let err = try_load(ONEWAY, &sets).expect_err("probability range");
    assert!(format!("{err}").contains("biomarkers[0].prevalence"), "{err}");
}

/// tornado.csv and threshold.csv give a duration parameter in the unit the scenario writes it
/// in: the default scenario's `osi_responder_median` (`median = "24.5 months"`) at 24.5, its
/// range around it, in months.
#[test]
fn sensitivity_tables_give_parameters_in_the_scenarios_units() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let out_s = out.to_string_lossy().into_owned();
    crate::support::vbpsim()
        .args(["sensitivity", "--patients", "300", "--quiet", "--out", &out_s])
        .assert()
        .success();
    for file in ["tornado.csv", "threshold.csv"] {
        let mut r = csv::Reader::from_path(out.join(file)).unwrap();
        let h = r.headers().unwrap().clone();
        let col = |n: &str| h.iter().position(|x| x == n).unwrap();
        let (p, base, low, high) =
            (col("parameter"), col("value_base"), col("value_low"), col("value_high"));
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        let row = rows.iter().find(|x| &x[p] == "osi_responder_median").expect(file);
        let (b, l, u): (f64, f64, f64) =
            (row[base].parse().unwrap(), row[low].parse().unwrap(), row[high].parse().unwrap());
        assert!((b - 24.5).abs() < 1e-9, "{file}: {b} months");
        assert!(15.0 < l && l < b && b < u && u < 40.0, "{file}: {l} < {b} < {u} months");
    }
}
