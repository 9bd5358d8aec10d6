//! Prognostic hazard ratios by biomarker against closed forms (docs, Model → Prognosis): for
//! M-positive patients each transition's cumulative hazard is multiplied by its ratio.
//!
//! Clinical course: progression Weibull(k, λ), death before progression exponential(b), death
//! after progression exponential(s); with ratios (h_p, h_d, h_s) the progression-free survival
//! is exp(−h_p·(t/λ)^k − h_d·b·t), and the mean time alive is ∫ PFS + P(progression)/(h_s·s),
//! P(progression) = ∫ h_p·k/λ·(t/λ)^(k−1)·PFS(t) dt — integrated here by Simpson's rule,
//! independently of the library. Partitioned survival: S_pfs^h and S_os^h on one uniform, so
//! the progression-free share is min(S_pfs^h_pfs, S_os^h_os). Tolerances are 4 standard errors.

use crate::support::{load, try_load};
use vbpsim::rng::SampleKey;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, simulate as simulate_patient, tumour,
};

const PROGNOSIS: &str = "prognosis/prognosis.toml";
const MONTH: f64 = 1.0 / 12.0;

/// Clinical: Weibull shape and scale (years), death rates before and after progression (per
/// year), and M-positive ratios on the three transitions.
const K: f64 = 1.5;
const LAMBDA: f64 = 12.0 * MONTH;
const B: f64 = 0.02 * 12.0;
const S: f64 = 0.1 * 12.0;
const HR_CLINICAL: (f64, f64, f64) = (0.6, 0.8, 0.5);
/// Partitioned: PFS and OS Weibull (shape, scale in years) and M-positive ratios.
const PFS: (f64, f64) = (1.3, 10.0 * MONTH);
const OS: (f64, f64) = (1.1, 25.0 * MONTH);
const HR_PARTITIONED: (f64, f64) = (0.7, 0.75);

fn weibull_h(t: f64, (k, lambda): (f64, f64)) -> f64 {
    (t / lambda).powf(k)
}

/// Simpson's rule on [0, upper] with n (even) intervals.
fn simpson(f: impl Fn(f64) -> f64, upper: f64, n: usize) -> f64 {
    let h = upper / n as f64;
    let inner: f64 = (1..n).map(|i| f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 }).sum();
    (f(0.0) + inner + f(upper)) * h / 3.0
}

/// The clinical course's ratios for a status (1 without M).
fn clinical_ratios(m: bool) -> (f64, f64, f64) {
    if m { HR_CLINICAL } else { (1.0, 1.0, 1.0) }
}

fn clinical_pfs(t: f64, m: bool) -> f64 {
    let (hp, hd, _) = clinical_ratios(m);
    (-hp * weibull_h(t, (K, LAMBDA)) - hd * B * t).exp()
}

/// (mean progression-free time, P(progression), mean time alive) in years.
fn clinical_expected(m: bool) -> (f64, f64, f64) {
    let (hp, _, hs) = clinical_ratios(m);
    let pf = simpson(|t| clinical_pfs(t, m), 60.0, 600_000);
    let density = |t: f64| {
        if t == 0.0 {
            return 0.0;
        }
        hp * K / LAMBDA * (t / LAMBDA).powf(K - 1.0) * clinical_pfs(t, m)
    };
    let progress = simpson(density, 60.0, 600_000);
    (pf, progress, pf + progress / (hs * S))
}

fn close(got: f64, want: f64, se: f64, what: &str) {
    assert!(se > 0.0, "{what}: a standard error of 0");
    assert!((got - want).abs() < 4.0 * se, "{what}: {got} vs {want} (se {se})");
}

/// Mean and standard error of the mean.
fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn hazard_ratios_by_biomarker_match_the_closed_forms() {
    let s = load(PROGNOSIS, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(37, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let n = 200_000u64;
    // Per status: clinical (progression-free time, progressed, death time), partitioned
    // (progression-free at the landmarks, alive at the landmarks).
    let landmarks = [6.0 * MONTH, 12.0 * MONTH, 24.0 * MONTH];
    let mut clinical: [(Vec<f64>, Vec<f64>, Vec<f64>); 2] = Default::default();
    let mut partitioned = [([0u64; 3], [0u64; 3], 0u64); 2];
    for i in 0..n {
        let pk = key.patient(i);
        let t = tumour(&prep, pk);
        let line = LineDraws::new(pk, &lines);
        let m = usize::from(t.primary & 1 != 0);
        let c = simulate_patient(&prep, pk, &t, &line, 0);
        let (pf, progressed) = (c.progression.min(c.death), c.progression.is_finite());
        clinical[m].0.push(pf);
        clinical[m].1.push(f64::from(u8::from(progressed)));
        clinical[m].2.push(c.death);
        let p = simulate_patient(&prep, pk, &t, &line, 1);
        let counts = &mut partitioned[m];
        for (j, &at) in landmarks.iter().enumerate() {
            counts.0[j] += u64::from(p.progression.min(p.death) > at);
            counts.1[j] += u64::from(p.death > at);
        }
        counts.2 += 1;
    }
    for (status, (pf, progressed, death)) in clinical.iter().enumerate() {
        let m = status == 1;
        let (want_pf, want_progress, want_alive) = clinical_expected(m);
        let (got, se) = mean_se(pf);
        close(got, want_pf, se, &format!("M {m}: mean progression-free years"));
        let (got, se) = mean_se(progressed);
        close(got, want_progress, se, &format!("M {m}: P(progression)"));
        let (got, se) = mean_se(death);
        close(got, want_alive, se, &format!("M {m}: mean years alive"));
    }
    for (status, (pf, alive, patients)) in partitioned.iter().enumerate() {
        let m = status == 1;
        let (hp, ho) = if m { HR_PARTITIONED } else { (1.0, 1.0) };
        let nf = *patients as f64;
        for (j, &at) in landmarks.iter().enumerate() {
            let s_os = (-ho * weibull_h(at, OS)).exp();
            let s_pfs = (-hp * weibull_h(at, PFS)).exp().min(s_os);
            let binomial = |p: f64| (p * (1.0 - p) / nf).sqrt();
            let what = format!("M {m}, partitioned at {:.0} months", at / MONTH);
            close(pf[j] as f64 / nf, s_pfs, binomial(s_pfs), &format!("{what}: progression-free"));
            close(alive[j] as f64 / nf, s_os, binomial(s_os), &format!("{what}: alive"));
        }
    }
}

#[test]
fn a_ratio_of_one_changes_nothing_and_a_ratio_is_a_parameter() {
    // The parameter the ratio names is the ratio: set to 1 (with the others), M-positive
    // patients follow the unscaled course, draw for draw.
    let ones = [
        "parameters.hr_progression.value=1".to_string(),
        "regimens.clinical.prognosis.M.death_before_progression=1".to_string(),
        "regimens.clinical.prognosis.M.after_progression=1".to_string(),
    ];
    let with = load(PROGNOSIS, &ones);
    let without = load(PROGNOSIS, &["regimens.clinical.prognosis={}".to_string()]);
    let (a, b) = (
        Prepared::new(&with.model, &with.model.values).unwrap(),
        Prepared::new(&without.model, &without.model.values).unwrap(),
    );
    let key = SampleKey::new(37, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    for i in 0..2_000 {
        let pk = key.patient(i);
        let line = LineDraws::new(pk, &lines);
        let (ra, rb) = (
            simulate_patient(&a, pk, &tumour(&a, pk), &line, 0),
            simulate_patient(&b, pk, &tumour(&b, pk), &line, 0),
        );
        assert_eq!((ra.progression, ra.death), (rb.progression, rb.death), "patient {i}");
    }
}

#[test]
fn a_prognosis_names_the_transitions_of_its_course() {
    // `pfs` belongs to partitioned survival, not to a clinical course; a ratio must be above 0.
    let err = try_load(PROGNOSIS, &["regimens.clinical.prognosis.M.pfs=0.5".to_string()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("regimens[0].prognosis.M") && err.contains("pfs"), "{err}");
    let err = try_load(PROGNOSIS, &["regimens.psm.prognosis.M.os=0".to_string()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("regimens[1].prognosis.M.os") && err.contains("greater than 0"), "{err}");
    let err = try_load(PROGNOSIS, &["regimens.psm.prognosis.K = { os = 0.5 }".to_string()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("undefined biomarker `K`"), "{err}");
    // An acquired marker is absent at diagnosis, where ratios read the tumour: refused.
    let err =
        try_load(PROGNOSIS, &["biomarkers.M.acquired = true".to_string()]).unwrap_err().to_string();
    assert!(
        err.contains("regimens[0].prognosis.M") && err.contains("acquired at progression"),
        "{err}"
    );
}
