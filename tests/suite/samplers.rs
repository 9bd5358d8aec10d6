//! The engine's samplers against rand_distr's, drawing from the same addressed random streams:
//! vbpsim draws every time to event and every PSA parameter by inverting one uniform (for
//! common random numbers, copulas and quantile ranges), rand_distr by its own algorithms
//! (ziggurat, Marsaglia–Tsang, rejection). Two independent implementations of each
//! distribution must give the same distribution: a two-sample Kolmogorov–Smirnov test on
//! 50,000 draws each.
//!
//! The critical value at α = 0.001 is c·√((n + m)/(n·m)) with c = √(−ln(α/2)/2) ≈ 1.9495
//! (asymptotic Kolmogorov distribution); seeds are fixed, so a case passes or fails every
//! time, and a failure means the two samplers disagree, not bad luck.

use rand_distr::{Beta, Distribution, Exp, Gamma, LogNormal, Normal, Pert, Triangular, Weibull};
use vbpsim::params::ParamDist;
use vbpsim::rng::{Process, ProcessKind, SampleKey, Stream};
use vbpsim::survival::TimeToEvent;

const N: u64 = 50_000;

/// c(α) of the two-sample KS test at α = 0.001.
const C_ALPHA: f64 = 1.9495;

/// vbpsim's draws by inversion: `quantile` of one uniform per patient.
fn inverted(quantile: impl Fn(f64) -> f64, seed: u64) -> Vec<f64> {
    let key = SampleKey::new(seed, 0);
    let p = Process::new(ProcessKind::Progression, 0);
    (0..N).map(|i| quantile(key.patient(i).uniform(p, 0))).collect()
}

/// A rand_distr sampler, boxed (rand's `Distribution` is generic in the generator).
type Sampler = Box<dyn Fn(&mut Stream) -> f64>;

fn boxed(d: impl Distribution<f64> + 'static) -> Sampler {
    Box::new(move |s| d.sample(s))
}

/// rand_distr's draws from one addressed stream of another process.
fn sampled(d: &Sampler, seed: u64) -> Vec<f64> {
    let mut stream = SampleKey::new(seed, 0).stream(Process::new(ProcessKind::Parameter, 1));
    (0..N).map(|_| d(&mut stream)).collect()
}

/// The two-sample KS statistic sup |F_a(x) − F_b(x)|.
fn ks(mut a: Vec<f64>, mut b: Vec<f64>) -> f64 {
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    d
}

fn critical() -> f64 {
    let n = N as f64;
    C_ALPHA * ((n + n) / (n * n)).sqrt()
}

#[test]
fn times_to_event_by_inversion_match_rand_distr() {
    let cases: Vec<(&str, TimeToEvent, Sampler)> = vec![
        ("exponential", TimeToEvent::exponential(0.35).unwrap(), boxed(Exp::new(0.35).unwrap())),
        (
            "weibull shape 1.3",
            TimeToEvent::weibull(1.3, 2.0).unwrap(),
            boxed(Weibull::new(2.0, 1.3).unwrap()),
        ),
        (
            "weibull shape 0.6",
            TimeToEvent::weibull(0.6, 0.5).unwrap(),
            boxed(Weibull::new(0.5, 0.6).unwrap()),
        ),
        (
            "lognormal",
            TimeToEvent::lognormal(0.4, 0.9).unwrap(),
            boxed(LogNormal::new(0.4, 0.9).unwrap()),
        ),
    ];
    for (k, (name, ours, theirs)) in cases.into_iter().enumerate() {
        let seed = 100 + k as u64;
        let d = ks(inverted(|u| ours.sample(u), seed), sampled(&theirs, seed));
        assert!(d < critical(), "{name}: KS {d} ≥ {}", critical());
    }
}

#[test]
fn psa_draws_by_inversion_match_rand_distr() {
    let pert = Pert::new(2.0, 10.0).with_mode(3.0).unwrap();
    let cases: Vec<(&str, ParamDist, Sampler)> = vec![
        ("beta", ParamDist::Beta { alpha: 2.5, beta: 14.0 }, boxed(Beta::new(2.5, 14.0).unwrap())),
        (
            "beta below one",
            ParamDist::Beta { alpha: 0.6, beta: 0.8 },
            boxed(Beta::new(0.6, 0.8).unwrap()),
        ),
        (
            "gamma",
            ParamDist::Gamma { shape: 4.0, scale: 900.0 },
            boxed(Gamma::new(4.0, 900.0).unwrap()),
        ),
        (
            "gamma below one",
            ParamDist::Gamma { shape: 0.4, scale: 3.0 },
            boxed(Gamma::new(0.4, 3.0).unwrap()),
        ),
        (
            "normal",
            ParamDist::Normal { mean: -1.0, sd: 0.3 },
            boxed(Normal::new(-1.0, 0.3).unwrap()),
        ),
        (
            "lognormal",
            ParamDist::LogNormal { meanlog: 2.0, sdlog: 0.25 },
            boxed(LogNormal::new(2.0, 0.25).unwrap()),
        ),
        (
            "triangular",
            ParamDist::Triangular { lower: 1.0, mode: 1.5, upper: 4.0 },
            boxed(Triangular::new(1.0, 4.0, 1.5).unwrap()),
        ),
        ("pert", ParamDist::Pert { lower: 2.0, mode: 3.0, upper: 10.0 }, boxed(pert)),
    ];
    for (k, (name, ours, theirs)) in cases.into_iter().enumerate() {
        let seed = 200 + k as u64;
        let d = ks(inverted(|u| ours.quantile(u, 0.0), seed), sampled(&theirs, seed));
        assert!(d < critical(), "{name}: KS {d} ≥ {}", critical());
    }
}

#[test]
fn the_statistic_tells_different_distributions_apart() {
    // The test has power at this size: a 5 % change of a gamma's scale is caught.
    let ours = ParamDist::Gamma { shape: 4.0, scale: 900.0 };
    let theirs = boxed(Gamma::new(4.0, 945.0).unwrap());
    let d = ks(inverted(|u| ours.quantile(u, 0.0), 7), sampled(&theirs, 7));
    assert!(d > critical(), "KS {d} should exceed {}", critical());
}
