//! Sampling of every time-to-event distribution, checked against its closed-form survival
//! function with a Kolmogorov–Smirnov test on draws from the engine's own random streams.
//!
//! With n = 100,000 draws the 1 % critical value of the KS statistic is 1.628/√n ≈ 0.00515
//! (asymptotic Kolmogorov distribution). Seeds are fixed, so each case either always passes
//! or always fails; a failure means the sampler and S(t) disagree, not bad luck at 1 %.

use vbpsim::rng::{Process, ProcessKind, SampleKey};
use vbpsim::survival::TimeToEvent;
use vbpsim::workflow::run::{RunError, RunOptions};

const N: usize = 100_000;
const KS_CRITICAL_1PCT: f64 = 1.628;

fn draws(d: &TimeToEvent, seed: u64) -> Vec<f64> {
    let key = SampleKey::new(seed, 0);
    let p = Process::new(ProcessKind::Progression, 0);
    let mut xs: Vec<f64> = (0..N as u64).map(|i| d.sample(key.patient(i).uniform(p, 0))).collect();
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs
}

/// KS statistic sup |F_n(t) − (1 − S(t))| over the sorted sample; infinite draws (a cure
/// fraction) sit above every finite t.
fn ks(xs: &[f64], d: &TimeToEvent) -> f64 {
    let n = xs.len() as f64;
    let mut dmax: f64 = 0.0;
    for (i, &x) in xs.iter().enumerate() {
        if !x.is_finite() {
            // Remaining mass must equal the cured fraction S(∞).
            let tail = 1.0 - i as f64 / n;
            let cured = d.survival(1e300);
            dmax = dmax.max((tail - cured).abs());
            break;
        }
        let f = 1.0 - d.survival(x);
        dmax = dmax.max((f - i as f64 / n).abs()).max(((i + 1) as f64 / n - f).abs());
    }
    dmax
}

#[test]
fn every_distribution_samples_its_survival_function() {
    let cases = [
        ("exponential", TimeToEvent::exponential(0.8).unwrap()),
        ("exponential by median", TimeToEvent::exponential_median(4.4 / 12.0).unwrap()),
        ("weibull", TimeToEvent::weibull(1.5, 2.6).unwrap()),
        ("weibull shape < 1", TimeToEvent::weibull(0.6, 0.5).unwrap()),
        ("weibull by median", TimeToEvent::weibull_median(1.3, 1.575).unwrap()),
        ("gompertz", TimeToEvent::gompertz(0.3, 0.2).unwrap()),
        ("gompertz with cure fraction", TimeToEvent::gompertz(-0.5, 0.4).unwrap()),
        ("loglogistic", TimeToEvent::loglogistic(2.2, 1.1).unwrap()),
        ("lognormal", TimeToEvent::lognormal(0.2, 0.9).unwrap()),
        ("piecewise", TimeToEvent::piecewise(vec![0.0, 0.5, 1.5], vec![1.2, 0.4, 0.1]).unwrap()),
        (
            "piecewise with zero tail",
            TimeToEvent::piecewise(vec![0.0, 1.0], vec![0.7, 0.0]).unwrap(),
        ),
    ];
    let critical = KS_CRITICAL_1PCT / (N as f64).sqrt();
    for (seed, (name, d)) in cases.iter().enumerate() {
        let xs = draws(d, 100 + seed as u64);
        let stat = ks(&xs, d);
        assert!(stat < critical, "{name}: KS statistic {stat} ≥ {critical}");
    }
}

#[test]
fn sample_medians_match_closed_forms() {
    // The sample median of n draws has standard error 1/(2 f(m) √n); check within 4 of them.
    let cases = [
        TimeToEvent::weibull(1.5, 2.6).unwrap(),
        TimeToEvent::loglogistic(2.2, 1.1).unwrap(),
        TimeToEvent::lognormal(0.2, 0.9).unwrap(),
        TimeToEvent::gompertz(0.3, 0.2).unwrap(),
    ];
    for (seed, d) in cases.iter().enumerate() {
        let xs = draws(d, 500 + seed as u64);
        let m = d.median();
        // Density at the median by a central difference of S.
        let eps = 1e-6 * m;
        let f = (d.survival(m - eps) - d.survival(m + eps)) / (2.0 * eps);
        let se = 1.0 / (2.0 * f * (N as f64).sqrt());
        let sample_median = xs[N / 2];
        assert!((sample_median - m).abs() < 4.0 * se, "{d:?}: {sample_median} vs {m} (se {se})");
    }
}

#[test]
fn sample_means_match_closed_forms() {
    let cases = [
        TimeToEvent::exponential(0.8).unwrap(),
        TimeToEvent::weibull(1.5, 2.6).unwrap(),
        TimeToEvent::loglogistic(4.0, 1.1).unwrap(),
        TimeToEvent::lognormal(0.2, 0.5).unwrap(),
        TimeToEvent::piecewise(vec![0.0, 0.5, 1.5], vec![1.2, 0.4, 0.1]).unwrap(),
    ];
    for (seed, d) in cases.iter().enumerate() {
        let xs = draws(d, 900 + seed as u64);
        let n = N as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let closed = d.mean().unwrap();
        assert!((mean - closed).abs() < 4.0 * sd / n.sqrt(), "{d:?}: {mean} vs {closed}");
    }
}

/// Gompertz has no elementary mean; the sample mean is checked against ∫₀^∞ S(t) dt by
/// composite Simpson on [0, 60] (S(60) < 1e-300 for these parameters).
#[test]
fn gompertz_sample_mean_matches_integrated_survival() {
    let d = TimeToEvent::gompertz(0.3, 0.2).unwrap();
    let n_panels = 60_000;
    let h = 60.0 / n_panels as f64;
    let mut integral = d.survival(0.0) + d.survival(60.0);
    for i in 1..n_panels {
        integral += d.survival(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    integral *= h / 3.0;
    let xs = draws(&d, 1234);
    let n = N as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!((mean - integral).abs() < 4.0 * sd / n.sqrt(), "{mean} vs {integral}");
}

// ---------------------------------------------------------------------------------------------
// The gamma, generalised gamma and Royston–Parmar spline distributions.

#[test]
fn gamma_gengamma_and_spline_sample_their_survival_functions() {
    let cases = [
        ("gamma", TimeToEvent::gamma(2.5, 1.2).unwrap()),
        ("gamma shape < 1", TimeToEvent::gamma(0.4, 0.8).unwrap()),
        ("gamma shape 5e4 (Temme's expansion)", TimeToEvent::gamma(5e4, 2e4).unwrap()),
        ("gengamma Q > 0", TimeToEvent::gengamma(0.3, 0.7, 0.8).unwrap()),
        ("gengamma Q < 0", TimeToEvent::gengamma(0.3, 0.7, -0.6).unwrap()),
        ("gengamma Q near 0", TimeToEvent::gengamma(0.3, 0.7, 0.004).unwrap()),
        (
            "spline",
            TimeToEvent::spline(vec![0.5, 1.7, 2.6, 3.9], vec![-4.1, 1.2, 0.05, -0.12], 1.0 / 12.0)
                .unwrap(),
        ),
    ];
    let critical = KS_CRITICAL_1PCT / (N as f64).sqrt();
    for (seed, (name, d)) in cases.iter().enumerate() {
        let xs = draws(d, 300 + seed as u64);
        let stat = ks(&xs, d);
        assert!(stat < critical, "{name}: KS statistic {stat} ≥ {critical}");
    }
    // The gamma's mean shape/rate.
    let d = TimeToEvent::gamma(2.5, 1.2).unwrap();
    let xs = draws(&d, 77);
    let n = N as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!((mean - 2.5 / 1.2).abs() < 4.0 * sd / n.sqrt(), "{mean}");
}

/// The bundled scenario's text, its path, and the scenario read from an edit of it.
const BUNDLED: &str = include_str!("../../scenarios/nsclc_egfr.toml");
/// platinum_pemetrexed's responder curve in the bundled scenario.
const RESPONDER: &str =
    "progression.responder = { dist = \"weibull\", shape = 1.5, median = \"9.5 months\" }";

fn bundled_with(responder: &str) -> String {
    assert_eq!(BUNDLED.matches(RESPONDER).count(), 1);
    BUNDLED.replacen(RESPONDER, &format!("progression.responder = {responder}"), 1)
}

fn load_text(text: &str) -> (tempfile::TempDir, vbpsim::scenario::Scenario) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).unwrap();
    // The bundled scenario's relative paths (none today) would resolve from its folder.
    let s = vbpsim::scenario::load_with(Some(&path), &[]).unwrap_or_else(|e| panic!("{e}"));
    (dir, s)
}

fn simulate_text(text: &str) -> vbpsim::workflow::run::Simulation {
    let (_dir, s) = load_text(text);
    let options = RunOptions { patients: Some(4000), ..RunOptions::default() };
    crate::support::run(&s, &options)
}

/// Every arm's mean cost, QALYs and life years agree to a relative 1e-9 (the curves differ
/// by the rounding of their own arithmetic only: their inversions agree to about 1e-13).
fn assert_same_results(
    a: &vbpsim::workflow::run::Simulation,
    b: &vbpsim::workflow::run::Simulation,
) {
    assert_eq!(a.summary.len(), b.summary.len());
    for (x, y) in a.summary.iter().zip(&b.summary) {
        for (p, q) in
            [(x.cost.mean, y.cost.mean), (x.qaly.mean, y.qaly.mean), (x.ly.mean, y.ly.mean)]
        {
            assert!((p - q).abs() <= 1e-9 * p.abs().max(1.0), "{p} vs {q}");
        }
    }
}

/// A spline with only its boundary knots is the Weibull H = e^{γ₀}t^{γ₁}: a scenario that
/// writes platinum_pemetrexed's responder curve (Weibull shape 1.5, median 9.5 months) as a
/// spline in months with γ₁ = 1.5 and γ₀ = −1.5·ln(scale) gives the Weibull's results; so do
/// the generalised gamma with Q = 1 (σ = 1/1.5, μ = ln scale) and, against the gamma, with
/// Q = σ.
#[test]
fn scenarios_with_the_new_families_reproduce_their_special_cases() {
    let scale_months = 9.5 / std::f64::consts::LN_2.powf(1.0 / 1.5);
    let weibull = simulate_text(&bundled_with(&format!(
        "{{ dist = \"weibull\", shape = 1.5, scale = \"{scale_months:?} months\" }}"
    )));
    let g0 = -1.5 * scale_months.ln();
    let spline = simulate_text(&bundled_with(&format!(
        "{{ dist = \"spline\", knots = [0.5, 3.0], gamma = [{g0:?}, 1.5], unit = \"months\" }}"
    )));
    assert_same_results(&weibull, &spline);
    let mu = scale_months.ln();
    let sigma = 1.0 / 1.5;
    let gengamma = simulate_text(&bundled_with(&format!(
        "{{ dist = \"gengamma\", mu = {mu:?}, sigma = {sigma:?}, Q = 1, unit = \"months\" }}"
    )));
    assert_same_results(&weibull, &gengamma);
    // Gamma shape 2, rate 0.2 per month: the generalised gamma with σ = Q = 1/√2 and
    // μ = ln(shape/rate) = ln 10 months.
    let gamma =
        simulate_text(&bundled_with("{ dist = \"gamma\", shape = 2, rate = \"0.2 per month\" }"));
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let mu = 10f64.ln();
    let as_gengamma = simulate_text(&bundled_with(&format!(
        "{{ dist = \"gengamma\", mu = {mu:?}, sigma = {s:?}, Q = {s:?}, unit = \"months\" }}"
    )));
    assert_same_results(&gamma, &as_gengamma);
}

/// A spline coefficient drawn in the PSA may make the log cumulative hazard fall: the sample
/// is refused by name, as any draw that makes a distribution impossible (exit 2 from the
/// command line, no output), never a panic.
#[test]
fn a_psa_draw_that_makes_a_spline_fall_is_an_error_naming_the_sample() {
    let text = bundled_with(
        "{ dist = \"spline\", knots = [0.5, 3.0], gamma = [-3.2, \"spline_slope\"], unit = \"months\" }",
    )
    .replacen(
        "[parameters]\n",
        "[parameters]\nspline_slope = { dist = \"normal\", mean = 0.4, sd = 0.5 }\n",
        1,
    );
    let (dir, s) = load_text(&text);
    let options = RunOptions {
        patients: Some(100),
        samples: Some(40),
        threads: Some(1),
        ..RunOptions::default()
    };
    let err = vbpsim::workflow::run::simulate(&s, &options, &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, RunError::Sample { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("PSA sample ")
            && message.contains("regimen `platinum_pemetrexed`")
            && message.contains("the log cumulative hazard must increase with time"),
        "{message}"
    );
    let out = dir.path().join("out");
    let mut cmd = crate::support::vbpsim();
    cmd.arg("run").arg(dir.path().join("scenario.toml")).arg("--out").arg(&out);
    cmd.args(["--samples", "40", "--patients", "100", "--quiet"]);
    let output = crate::support::expect(&mut cmd, 2);
    let stderr = crate::support::text_of(&output.stderr);
    assert!(stderr.contains("log cumulative hazard must increase") && stderr.contains("= help:"));
    assert!(!out.exists(), "no output folder after a failed run");
}

/// 1-based line and column (in characters) of the first `anchor` after the unique `context`.
fn locate(text: &str, context: &str, anchor: &str) -> (usize, usize) {
    assert_eq!(text.matches(context).count(), 1, "{context:?}");
    let offset = text.find(context).unwrap() + context.find(anchor).unwrap();
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[start..offset].chars().count() + 1)
}

/// Bad spline, gamma and generalised gamma input: `vbpsim check` exits 2 with each error at
/// its place in the file, the field named.
#[test]
fn bad_new_distributions_are_refused_where_they_are() {
    let field = "regimens[0].progression.responder";
    let cases: [(&str, &str, &str, String, &str); 8] = [
        (
            "{ dist = \"spline\", knots = [0.0, 2.0, 4.0], gamma = [-4.0, -1.5, 0.01], unit = \"months\" }",
            "{ dist = \"spline\"",
            "{",
            field.to_string(),
            "not a valid spline distribution: the log cumulative hazard must increase with time",
        ),
        (
            "{ dist = \"spline\", knots = [0.0, 2.0, 1.0], gamma = [-4.0, 1.5, 0.01], unit = \"months\" }",
            "2.0, 1.0]",
            "1.0]",
            format!("{field}.knots[2]"),
            "expected knots that increase strictly, found 1 after 2",
        ),
        (
            "{ dist = \"spline\", knots = [0.0, 2.0, 4.0], gamma = [-4.0, 1.5], unit = \"months\" }",
            "gamma = [-4.0, 1.5]",
            "[",
            format!("{field}.gamma"),
            "expected one coefficient per knot (3), found 2",
        ),
        (
            "{ dist = \"spline\", knots = [0, 1, 2, 3, 4, 5], gamma = [0, 1, 0, 0, 0, 0], unit = \"months\" }",
            "[0, 1, 2, 3, 4, 5]",
            "[",
            format!("{field}.knots"),
            "expected 2 to 5 knots (the boundary knots and up to 3 between), found 6",
        ),
        (
            "{ dist = \"spline\", knots = [0.0, \"2 months\"], gamma = [-4.0, 1.5], unit = \"months\" }",
            "\"2 months\"]",
            "\"",
            format!("{field}.knots[1]"),
            "expected a finite number, found \"2 months\"",
        ),
        (
            "{ dist = \"gengamma\", mu = 2.3, sigma = 0.6, q = 0.4, unit = \"months\" }",
            "q = 0.4",
            "q",
            format!("{field}.q"),
            "unknown key `q`",
        ),
        (
            "{ dist = \"gengamma\", mu = 2.3, sigma = 0, Q = 0.4, unit = \"months\" }",
            "sigma = 0,",
            "0",
            format!("{field}.sigma"),
            "expected",
        ),
        (
            "{ dist = \"gamma\", shape = 2, rate = \"5 months\" }",
            "\"5 months\" }",
            "\"",
            format!("{field}.rate"),
            "expected",
        ),
    ];
    for (dist, context, anchor, field, says) in cases {
        let text = bundled_with(dist);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scenario.toml");
        std::fs::write(&path, &text).unwrap();
        let mut cmd = crate::support::vbpsim();
        let output = crate::support::expect(cmd.arg("check").arg(&path), 2);
        let stderr = crate::support::text_of(&output.stderr);
        let (line, col) = locate(&text, context, anchor);
        let header = format!("error: {}:{line}:{col}: {field}: ", path.display());
        let found = stderr.lines().find(|l| l.starts_with(&header));
        assert!(
            found.is_some_and(|l| l.contains(says)),
            "{dist}: expected {header:?} saying {says:?} in\n{stderr}"
        );
    }
}
