//! Sampling of every time-to-event distribution, checked against its closed-form survival
//! function with a Kolmogorov–Smirnov test on draws from the engine's own random streams.
//!
//! With n = 100,000 draws the 1 % critical value of the KS statistic is 1.628/√n ≈ 0.00515
//! (asymptotic Kolmogorov distribution). Seeds are fixed, so each case either always passes
//! or always fails; a failure means the sampler and S(t) disagree, not bad luck at 1 %.

use vbpsim::rng::{Process, ProcessKind, SampleKey};
use vbpsim::survival::TimeToEvent;

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
