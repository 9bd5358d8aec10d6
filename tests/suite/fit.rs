//! `vbpsim fit` end to end: the folder it writes, a fit's scenario snippet carrying the fit's
//! covariance into a PSA, and bad data refused with its place.

use crate::support::{csv_rows, expect, text_of, vbpsim};
use std::path::Path;

/// 800 Weibull(shape 1.3, scale 12 months) times by inversion of a fixed low-discrepancy
/// sequence, censored uniformly on (0, 36) months by a second one.
fn weibull_data(path: &Path) {
    let mut text = String::from("time,event\n");
    for i in 0..800 {
        let u = ((i as f64 + 0.5) * 0.618_033_988_749_895).fract();
        let v = ((i as f64 + 0.5) * 0.414_213_562_373_095_1).fract();
        let t = 12.0 * (-(1.0 - u).ln()).powf(1.0 / 1.3);
        let c = 36.0 * v;
        text.push_str(&format!("{},{}\n", t.min(c), u8::from(t <= c)));
    }
    std::fs::write(path, text).unwrap();
}

/// A temporary folder holding the Weibull data's fit (`fits/`, every family) and, as
/// `base.toml`, the deterministic PSA fixture a snippet extends.
fn fitted_weibull_data() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("os.csv");
    weibull_data(&data);
    let out = dir.path().join("fits");
    expect(
        vbpsim().arg("fit").arg(&data).args(["--unit", "months", "--quiet", "--out"]).arg(&out),
        0,
    );
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/psa/psa.toml");
    std::fs::copy(base, dir.path().join("base.toml")).unwrap();
    (dir, out)
}

/// The covariance of the Weibull fit on the estimation scale, from fit_covariance.csv.
fn weibull_covariance(out: &Path) -> [[f64; 2]; 2] {
    let rows = csv_rows(&out.join("fit_covariance.csv"));
    let at = |r: &str, c: &str| -> f64 {
        let row = rows
            .iter()
            .find(|x| x["family"] == "weibull" && x["row"] == r && x["column"] == c)
            .unwrap();
        row["covariance"].parse().unwrap()
    };
    [[at("shape", "shape"), at("shape", "scale")], [at("scale", "shape"), at("scale", "scale")]]
}

#[test]
fn the_fit_folder_holds_every_family_and_the_weibull_wins_on_weibull_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("os.csv");
    weibull_data(&data);
    let out = dir.path().join("fits");
    let o = expect(
        vbpsim()
            .arg("fit")
            .arg(&data)
            .args(["--unit", "months", "--at", "12,24", "--out"])
            .arg(&out),
        0,
    );
    let said = text_of(&o.stderr) + &text_of(&o.stdout);
    assert!(said.contains("all (800 observations"), "{said}");
    let fits = csv_rows(&out.join("fits.csv"));
    let families: Vec<&str> = fits.iter().map(|r| r["family"].as_str()).collect();
    assert_eq!(
        families,
        [
            "exponential",
            "weibull",
            "gompertz",
            "loglogistic",
            "lognormal",
            "gamma",
            "gengamma",
            "spline1",
            "spline2",
            "spline3"
        ]
    );
    assert!(fits.iter().all(|r| r["converged"] == "true"), "{fits:?}");
    // AIC: the Weibull, or the generalised gamma that nests it, is within 2 of the best.
    let delta = |f: &str| -> f64 {
        fits.iter().find(|r| r["family"] == f).unwrap()["delta_aic"].parse().unwrap()
    };
    assert!(delta("weibull") < 2.0 && delta("exponential") > 10.0, "{fits:?}");
    // The Weibull's estimates within 4 standard errors of the truth (shape 1.3, scale 12).
    let params = csv_rows(&out.join("fit_parameters.csv"));
    for (name, truth) in [("shape", 1.3_f64), ("scale", 12.0_f64)] {
        let r = params.iter().find(|r| r["family"] == "weibull" && r["parameter"] == name).unwrap();
        let (x, se): (f64, f64) =
            (r["estimation_estimate"].parse().unwrap(), r["estimation_se"].parse().unwrap());
        assert!(((x - truth.ln()) / se).abs() < 4.0, "{name}: {x} ± {se}");
        assert_eq!(r["estimation_scale"], "log");
    }
    // Landmark rows: the Kaplan–Meier estimate and every fit at each time.
    let times = csv_rows(&out.join("fit_times.csv"));
    assert_eq!(times.len(), 2 * 11);
    // A spline's knots: the boundary knots at the smallest and largest log event time.
    let events: Vec<f64> = std::fs::read_to_string(&data)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",1"))
        .map(|l| l.split(',').next().unwrap().parse::<f64>().unwrap().ln())
        .collect();
    let knots: Vec<f64> = csv_rows(&out.join("fit_parameters.csv"))
        .iter()
        .filter(|r| r["family"] == "spline2" && r["estimation_scale"] == "fixed")
        .map(|r| r["estimate"].parse().unwrap())
        .collect();
    assert_eq!(knots.len(), 4);
    let lowest = events.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = events.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!((knots[0] - lowest).abs() < 1e-9 && (knots[3] - highest).abs() < 1e-9, "{knots:?}");
    for name in [
        "kaplan_meier.csv",
        "fit_weibull.toml",
        "fit_survival.png",
        "fit_extrapolation.svg",
        "fit_hazard.png",
        "run.json",
    ] {
        assert!(out.join(name).is_file(), "{name}");
    }
    // A snippet for every family.
    for f in &families {
        assert!(out.join(format!("fit_{f}.toml")).is_file(), "{f}");
    }
    // A second fit replaces the folder (vbpsim's own, of the same kind).
    expect(
        vbpsim().arg("fit").arg(&data).args(["--unit", "months", "--quiet", "--out"]).arg(&out),
        0,
    );
}

/// A fit's snippet, extended into a scenario whose death uses it, reproduces the fit's
/// covariance across PSA samples: the log parameters' sample covariance within 4.5 standard
/// errors of the fit's (the standard error of a sample covariance of n normal draws is
/// √((σᵢ²σⱼ² + σᵢⱼ²)/n)).
#[test]
fn a_snippet_carries_the_fits_covariance_into_the_psa() {
    let (dir, out) = fitted_weibull_data();
    let snippet = std::fs::read_to_string(out.join("fit_weibull.toml")).unwrap();
    std::fs::write(dir.path().join("s.toml"), format!("extends = \"base.toml\"\n{snippet}"))
        .unwrap();
    let run = dir.path().join("run");
    let death = "regimens.bsc.death_before_progression = \
                 { dist = \"weibull\", shape = \"os_weibull_shape\", scale = \"os_weibull_scale\" }";
    expect(
        vbpsim()
            .arg("run")
            .arg(dir.path().join("s.toml"))
            .args(["--samples", "4000", "--patients", "1", "--quiet", "--set", death, "--out"])
            .arg(&run),
        0,
    );
    let draws = csv_rows(&run.join("parameters.csv"));
    let n = draws.len() as f64;
    let logs: Vec<[f64; 2]> = draws
        .iter()
        .map(|r| {
            let x = |c: &str| r[c].parse::<f64>().unwrap().ln();
            [x("os_weibull_shape"), x("os_weibull_scale")]
        })
        .collect();
    let mean = [0, 1].map(|k| logs.iter().map(|l| l[k]).sum::<f64>() / n);
    let fit = weibull_covariance(&out);
    for i in 0..2 {
        for j in 0..2 {
            let sample =
                logs.iter().map(|l| (l[i] - mean[i]) * (l[j] - mean[j])).sum::<f64>() / (n - 1.0);
            let se = ((fit[i][i] * fit[j][j] + fit[i][j] * fit[i][j]) / n).sqrt();
            assert!(
                (sample - fit[i][j]).abs() < 4.5 * se,
                "cov[{i}][{j}]: sample {sample}, fit {}, se {se}",
                fit[i][j]
            );
        }
    }
    // parameters.csv's scale is in the snippet's unit (months): its mean log near the fit's.
    let params = csv_rows(&out.join("fit_parameters.csv"));
    let r = params.iter().find(|r| r["family"] == "weibull" && r["parameter"] == "scale").unwrap();
    let est: f64 = r["estimation_estimate"].parse().unwrap();
    assert!((mean[1] - est).abs() < 4.5 * (fit[1][1] / n).sqrt(), "{} vs {est}", mean[1]);
}

#[test]
fn bad_requests_and_data_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases: [(std::path::PathBuf, &[&str], &str); 10] = [
        (
            file("one_level.csv", "time,event,ecog\n1,1,0\n2,1,0\n"),
            &["--unit", "months"],
            "covariate `ecog` has one level (`0`)",
        ),
        (
            file("terms.csv", "time,event,arm\n1,1,0\n2,1,a b\n3,1,a_b\n"),
            &["--unit", "months"],
            "covariate terms `arm=a b` and `arm=a_b` would share their parameter name",
        ),
        (
            file("absent.csv", "time,event,arm,group\n1,1,a,x\n2,1,b,x\n3,1,a,y\n"),
            &["--unit", "months"],
            "level `b` of covariate `arm` has no rows in group `y`",
        ),
        (
            file("groups.csv", "time,event,group\n1,1,Arm A\n2,1,arm_a\n"),
            &["--unit", "months"],
            "groups `Arm A` and `arm_a` would share their files",
        ),
        (file("empty.csv", "time,event\n"), &["--unit", "months"], "no rows after the header"),
        (file("censored.csv", "time,event\n1,0\n2,0\n"), &["--unit", "months"], "has no events"),
        (
            file("negative.csv", "time,event\n1,1\n-2,0\n"),
            &["--unit", "months"],
            "line 3, column `time`: expected a number above 0, found `-2`",
        ),
        (
            file("status.csv", "time,event\n1,1\n2,yes\n"),
            &["--unit", "months"],
            "line 3, column `event`: expected 1 (an event) or 0 (censored), found `yes`",
        ),
        (file("ok.csv", "time,event\n1,1\n2,0\n"), &["--unit", "fortnights"], "--unit"),
        (
            file("ok2.csv", "time,event\n1,1\n2,0\n"),
            &["--unit", "months", "--families", "weibul"],
            "`weibul` is not a family",
        ),
    ];
    for (data, args, want) in cases {
        let o = expect(vbpsim().arg("fit").arg(&data).args(args).arg("--out").arg(&out), 2);
        let said = text_of(&o.stderr);
        assert!(said.contains(want), "{data:?}: {said}");
        assert!(!out.exists(), "nothing written for {data:?}");
    }
    // Too few events for a spline's knots, or a family that cannot converge: the folder is
    // written, the row says why with the point the search stopped at, and there is no snippet.
    let few = file("few.csv", "time,event\n1,1\n2,1\n2,1\n3,0\n4,0\n");
    expect(
        vbpsim()
            .arg("fit")
            .arg(&few)
            .args(["--unit", "months", "--families", "weibull,gengamma,spline3", "--quiet"])
            .arg("--out")
            .arg(&out),
        0,
    );
    let fits = csv_rows(&out.join("fits.csv"));
    let row = |family: &str| fits.iter().find(|r| r["family"] == family).unwrap();
    let (spline, gengamma) = (row("spline3"), row("gengamma"));
    assert_eq!((spline["converged"].as_str(), spline["snippet"].as_str()), ("false", ""));
    assert!(spline["note"].starts_with("too few events for the knots: 2 distinct event times"));
    assert_eq!(gengamma["converged"], "false");
    assert!(gengamma["note"].contains("; last point mu = "), "{gengamma:?}");
    assert!(!out.join("fit_spline3.toml").exists() && out.join("fit_weibull.toml").exists());
}

/// `reconstruct` end to end: the Kaplan–Meier curve of known data (read from `fit`'s
/// kaplan_meier.csv) and its at-risk numbers every 6 months and at 34 go in, with the total
/// number of events; the rebuilt data's own
/// Kaplan–Meier estimate (from a second `fit`) reproduces the curve within 0.01 at every
/// point (each interval's events are rounded to whole patients: half a step of 1/n at risk,
/// under 0.004 here, with room for the censoring spread within intervals), its numbers at
/// risk exactly, and its Weibull fit lands within one standard error of the original's.
#[test]
fn reconstruct_rebuilds_data_whose_curve_and_at_risk_numbers_match() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("os.csv");
    weibull_data(&data);
    let first = dir.path().join("first");
    expect(
        vbpsim().arg("fit").arg(&data).args(["--unit", "months", "--quiet", "--out"]).arg(&first),
        0,
    );
    let km = csv_rows(&first.join("kaplan_meier.csv"));
    let mut curve = String::from("time,survival\n0,1\n");
    for r in &km {
        curve.push_str(&format!("{},{}\n", r["time"], r["survival"]));
    }
    std::fs::write(dir.path().join("curve.csv"), curve).unwrap();
    // At risk at t: the patients whose time is at least t, every 6 months and near the end
    // (a table that stops early leaves the tail to the paper's censoring rule).
    let times: Vec<f64> = std::fs::read_to_string(&data)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let at_risk = |t: f64| times.iter().filter(|&&x| x >= t).count();
    let mut table = String::from("time,at_risk\n");
    for t in [0.0, 6.0, 12.0, 18.0, 24.0, 30.0, 34.0] {
        table.push_str(&format!("{t},{}\n", at_risk(t)));
    }
    std::fs::write(dir.path().join("risk.csv"), table).unwrap();
    let rebuilt = dir.path().join("rebuilt.csv");
    // The total number of events, as publications report it: it fixes the censorings of the
    // interval after the last at-risk time.
    let events: usize = km.iter().map(|r| r["events"].parse::<f64>().unwrap() as usize).sum();
    let o = expect(
        vbpsim()
            .arg("reconstruct")
            .arg(dir.path().join("curve.csv"))
            .arg("--at-risk")
            .arg(dir.path().join("risk.csv"))
            .args(["--events", &events.to_string()])
            .arg("--out")
            .arg(&rebuilt),
        0,
    );
    assert!(text_of(&o.stderr).contains("rebuilt 800 patients"), "{}", text_of(&o.stderr));
    let second = dir.path().join("second");
    expect(
        vbpsim()
            .arg("fit")
            .arg(&rebuilt)
            .args(["--unit", "months", "--quiet", "--out"])
            .arg(&second),
        0,
    );
    let again = csv_rows(&second.join("kaplan_meier.csv"));
    let survival_at = |rows: &[std::collections::HashMap<String, String>], t: f64| -> f64 {
        rows.iter()
            .take_while(|r| r["time"].parse::<f64>().unwrap() <= t)
            .last()
            .map_or(1.0, |r| r["survival"].parse().unwrap())
    };
    for r in &km {
        let t: f64 = r["time"].parse().unwrap();
        let (a, b) = (survival_at(&km, t), survival_at(&again, t));
        assert!((a - b).abs() <= 0.01, "at {t}: {a} vs {b}");
    }
    let rebuilt_times: Vec<f64> = std::fs::read_to_string(&rebuilt)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    for t in [6.0, 12.0, 18.0, 24.0, 30.0, 34.0] {
        assert_eq!(rebuilt_times.iter().filter(|&&x| x >= t).count(), at_risk(t), "at risk at {t}");
    }
    let weibull = |dir: &Path| {
        let rows = csv_rows(&dir.join("fit_parameters.csv"));
        rows.into_iter()
            .filter(|r| r["family"] == "weibull")
            .map(|r| {
                (
                    r["estimation_estimate"].parse::<f64>().unwrap(),
                    r["estimation_se"].parse::<f64>().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    for ((x, se), (y, _)) in weibull(&first).into_iter().zip(weibull(&second)) {
        assert!((x - y).abs() < se, "{x} vs {y} (se {se})");
    }
    // Refused: an existing file without --force, a curve not starting at (0, 1).
    let o = expect(
        vbpsim()
            .arg("reconstruct")
            .arg(dir.path().join("curve.csv"))
            .arg("--at-risk")
            .arg(dir.path().join("risk.csv"))
            .arg("--out")
            .arg(&rebuilt),
        2,
    );
    assert!(text_of(&o.stderr).contains("exists"), "{}", text_of(&o.stderr));
    std::fs::write(dir.path().join("bad.csv"), "time,survival\n1,0.9\n2,0.8\n").unwrap();
    let o = expect(
        vbpsim()
            .arg("reconstruct")
            .arg(dir.path().join("bad.csv"))
            .arg("--at-risk")
            .arg(dir.path().join("risk.csv"))
            .arg("--out")
            .arg(dir.path().join("x.csv")),
        2,
    );
    assert!(text_of(&o.stderr).contains("bad.csv: digitised point 1"), "{}", text_of(&o.stderr));
}

/// Covariates end to end: two arms, Weibull times with a hazard ratio of 0.6 in arm `b`. The
/// Weibull's `arm=b` row is that hazard ratio (within 4 standard errors), the lognormal's a
/// time ratio; the Weibull's snippet, extended into a scenario whose patients carry the arm as
/// a covariate, runs with the hazard ratio as a regimen's prognosis, and its PSA draws of the
/// ratio are lognormal about the estimate.
#[test]
fn covariates_are_fitted_as_hazard_or_time_ratios_and_reach_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("os.csv");
    let mut text = String::from("time,event,arm\n");
    for i in 0..2000 {
        let u = ((i / 2) as f64 + 0.5) * 0.618_033_988_749_895;
        let v = ((i / 2) as f64 + 0.5) * 0.414_213_562_373_095_1;
        let (arm, hr) = if i % 2 == 0 { ("a", 1.0) } else { ("b", 0.6) };
        // S(t | arm) = exp(−HR·(t/12)^1.3).
        let t = 12.0 * (-(1.0 - u.fract()).ln() / hr).powf(1.0 / 1.3);
        let c = 36.0 * v.fract();
        text.push_str(&format!("{},{},{arm}\n", t.min(c), u8::from(t <= c)));
    }
    std::fs::write(&data, text).unwrap();
    let out = dir.path().join("fits");
    expect(
        vbpsim()
            .arg("fit")
            .arg(&data)
            .args(["--unit", "months", "--families", "weibull,lognormal", "--quiet", "--out"])
            .arg(&out),
        0,
    );
    let params = csv_rows(&out.join("fit_parameters.csv"));
    let row = |family: &str| {
        params.iter().find(|r| r["family"] == family && r["parameter"] == "arm=b").unwrap()
    };
    let w = row("weibull");
    assert_eq!((w["unit"].as_str(), w["estimation_scale"].as_str()), ("hazard ratio", "log"));
    let (beta, se): (f64, f64) =
        (w["estimation_estimate"].parse().unwrap(), w["estimation_se"].parse().unwrap());
    assert!(((beta - 0.6_f64.ln()) / se).abs() < 4.0, "ln HR {beta} ± {se}");
    assert_eq!(row("lognormal")["unit"], "time ratio");
    let snippet = std::fs::read_to_string(out.join("fit_weibull.toml")).unwrap();
    assert!(snippet.contains("os_weibull_hr_arm_b = { dist = \"lognormal\""), "{snippet}");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/psa/psa.toml");
    std::fs::copy(base, dir.path().join("base.toml")).unwrap();
    std::fs::write(dir.path().join("s.toml"), format!("extends = \"base.toml\"\n{snippet}"))
        .unwrap();
    let run = dir.path().join("run");
    let sets = [
        "population = { age = \"60 years\", share_female = 0.5, life_table = \"us_2020\", background_mortality = \"added\", \
         covariates = { arm = { a = 0.5, b = 0.5 } } }",
        "regimens.bsc.death_before_progression = \
         { dist = \"weibull\", shape = \"os_weibull_shape\", scale = \"os_weibull_scale\" }",
        "regimens.bsc.prognosis = { arm = { b = { death_before_progression = \"os_weibull_hr_arm_b\" } } }",
    ];
    let mut cmd = vbpsim();
    cmd.arg("run").arg(dir.path().join("s.toml"));
    cmd.args(["--samples", "2000", "--patients", "1", "--quiet", "--out"]).arg(&run);
    for s in sets {
        cmd.args(["--set", s]);
    }
    expect(&mut cmd, 0);
    let draws = csv_rows(&run.join("parameters.csv"));
    let n = draws.len() as f64;
    let logs: Vec<f64> =
        draws.iter().map(|r| r["os_weibull_hr_arm_b"].parse::<f64>().unwrap().ln()).collect();
    let mean = logs.iter().sum::<f64>() / n;
    let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!((mean - beta).abs() < 4.0 * se / n.sqrt(), "mean ln HR {mean} vs {beta}");
    // The sample sd of n normal draws has standard error ≈ σ/√(2(n − 1)).
    assert!((sd - se).abs() < 4.0 * se / (2.0 * (n - 1.0)).sqrt(), "sd {sd} vs {se}");
}

/// The synthetic control arm behind scenarios/survival: 300 patients whose overall survival is
/// Weibull with shape 1.25 and scale 14 months (by inversion of a golden-ratio Weyl sequence),
/// accrued evenly over 24 months (a √2 Weyl sequence) and analysed at 48 months, so censored
/// at 48 − accrual, between 24 and 48 months. Its Kaplan–Meier figure as it would be
/// digitised (a point at each event time and one at the last follow-up, times to 0.01 month,
/// survival to 0.0001), its at-risk table every 6 months to 42, and its number of events.
fn bundled_figure() -> (String, String, usize) {
    let n = 300;
    let mut data: Vec<(f64, bool)> = (0..n)
        .map(|i| {
            let u = ((i as f64 + 0.5) * 0.618_033_988_749_895).fract();
            let v = ((i as f64 + 0.5) * 0.414_213_562_373_095_1).fract();
            let t = 14.0 * (-(1.0 - u).ln()).powf(1.0 / 1.25);
            let c = 48.0 - 24.0 * v;
            (t.min(c), t <= c)
        })
        .collect();
    data.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut curve = String::from("time,survival\n0,1\n");
    let (mut survival, mut at_risk) = (1.0_f64, n as f64);
    for &(t, event) in &data {
        if event {
            survival *= 1.0 - 1.0 / at_risk;
            curve.push_str(&format!("{t:.2},{survival:.4}\n"));
        }
        at_risk -= 1.0;
    }
    let last = data[data.len() - 1].0;
    curve.push_str(&format!("{last:.2},{survival:.4}\n"));
    let mut table = String::from("time,at_risk\n");
    for k in 0..=7 {
        let t = 6.0 * k as f64;
        table.push_str(&format!("{t},{}\n", data.iter().filter(|o| o.0 >= t).count()));
    }
    let events = data.iter().filter(|o| o.1).count();
    (curve, table, events)
}

/// scenarios/survival holds the figure the recipe above makes (set VBPSIM_BLESS=1 to write it
/// after changing the recipe), and the README's survival workflow runs on it as written: the
/// rebuilt patients' Kaplan–Meier estimate within 0.01 of the figure, the Weibull fit within 4
/// standard errors of the truth, and the scenario that extends the fit's snippet runs its PSA
/// with the fitted parameters drawn.
#[test]
fn the_readme_survival_workflow_runs_on_the_bundled_figure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let folder = root.join("scenarios/survival");
    let (curve, table, events) = bundled_figure();
    if std::env::var_os("VBPSIM_BLESS").is_some() {
        std::fs::write(folder.join("os_curve.csv"), &curve).unwrap();
        std::fs::write(folder.join("os_at_risk.csv"), &table).unwrap();
    }
    assert_eq!(std::fs::read_to_string(folder.join("os_curve.csv")).unwrap(), curve);
    assert_eq!(std::fs::read_to_string(folder.join("os_at_risk.csv")).unwrap(), table);
    // The README's commands, in order, from its workflow block.
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let block = readme
        .split("## Survival evidence, start to finish")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("README: a sh block under `## Survival evidence, start to finish`");
    let commands: Vec<Vec<&str>> = block
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(commands.len(), 3, "{block}");
    assert!(block.contains(&format!("--events {events}")), "the figure has {events} events");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("scenarios/survival")).unwrap();
    for f in ["os_curve.csv", "os_at_risk.csv", "fitted_os.toml"] {
        std::fs::copy(folder.join(f), dir.path().join("scenarios/survival").join(f)).unwrap();
    }
    for c in &commands {
        assert_eq!(c[0], "vbpsim", "{c:?}");
        expect(vbpsim().current_dir(dir.path()).args(&c[1..]).arg("--quiet"), 0);
    }
    let fit = dir.path().join("output/os-fit");
    // The rebuilt patients' Kaplan–Meier estimate against the digitised points.
    let km = csv_rows(&fit.join("kaplan_meier.csv"));
    let steps: Vec<(f64, f64)> =
        km.iter().map(|r| (r["time"].parse().unwrap(), r["survival"].parse().unwrap())).collect();
    for line in curve.lines().skip(1) {
        let (t, s) = line.split_once(',').unwrap();
        let (t, s): (f64, f64) = (t.parse().unwrap(), s.parse().unwrap());
        let rebuilt = steps.iter().take_while(|x| x.0 <= t).last().map_or(1.0, |x| x.1);
        assert!((rebuilt - s).abs() <= 0.01, "at {t}: {rebuilt} vs {s}");
    }
    let params = csv_rows(&fit.join("fit_parameters.csv"));
    for (name, truth) in [("shape", 1.25_f64), ("scale", 14.0_f64)] {
        let r = params.iter().find(|r| r["family"] == "weibull" && r["parameter"] == name).unwrap();
        let (x, se): (f64, f64) =
            (r["estimation_estimate"].parse().unwrap(), r["estimation_se"].parse().unwrap());
        assert!(((x - truth.ln()) / se).abs() < 4.0, "{name}: {x} ± {se}");
    }
    let run = dir.path().join("output/fitted_os");
    let draws = csv_rows(&run.join("parameters.csv"));
    assert!(
        draws.len() >= 100 && draws.iter().all(|r| r["os_weibull_shape"].parse::<f64>().is_ok())
    );
    assert!(run.join("report.html").is_file());
}

/// Every family's snippet is a valid scenario layer: extended into a scenario with the
/// distribution its comment gives as a time-to-event, the base case's distribution (every
/// parameter at its estimate) has the fit's median (as `check` prints it, to 0.001 month),
/// and a PSA of 300 samples draws the fit's parameters and runs.
#[test]
fn every_familys_snippet_runs_in_a_scenario_with_the_fits_median() {
    let (dir, out) = fitted_weibull_data();
    let fits = csv_rows(&out.join("fits.csv"));
    assert_eq!(fits.len(), 10);
    for row in &fits {
        let family = &row["family"];
        let snippet = std::fs::read_to_string(out.join(&row["snippet"])).unwrap();
        let distribution = snippet
            .lines()
            .skip_while(|l| !l.contains("The distribution, to use"))
            .nth(1)
            .and_then(|l| l.strip_prefix("#   "))
            .unwrap_or_else(|| panic!("{family}: no distribution in {snippet}"));
        let scenario = dir.path().join(format!("{family}.toml"));
        std::fs::write(&scenario, format!("extends = \"base.toml\"\n{snippet}")).unwrap();
        let set = format!("regimens.bsc.death_before_progression = {distribution}");
        let o = expect(vbpsim().arg("check").arg(&scenario).args(["--set", &set]), 0);
        let said = text_of(&o.stdout);
        let median: f64 = row["median"].parse().unwrap();
        let line = said
            .lines()
            .find(|l| l.contains("death before progression"))
            .unwrap_or_else(|| panic!("{family}: {said}"));
        assert!(line.contains(&format!("median {median:.3} months")), "{family}: {line}");
        let run = dir.path().join(format!("run-{family}"));
        expect(
            vbpsim()
                .arg("run")
                .arg(&scenario)
                .args(["--set", &set, "--samples", "300", "--patients", "1", "--quiet", "--out"])
                .arg(&run),
            0,
        );
        let draws = csv_rows(&run.join("parameters.csv"));
        let first = format!("os_{family}_");
        assert!(draws[0].keys().any(|k| k.starts_with(&first)), "{family}: {:?}", draws[0]);
    }
}
