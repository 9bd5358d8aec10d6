//! Tumour heterogeneity and testing pathways against closed forms (the docs\' "Tumour
//! heterogeneity" and "Pathway of a strategy").
//!
//! Heterogeneity: lesion counts, discordant lesions (loss with the discordance, gain at the
//! rate g = π·d/(1 − π) that keeps every lesion's prevalence at π), a random biopsy, ctDNA that
//! sees every carrying lesion of a shedding tumour, response p_o + f·(p_M − p_o) and a
//! responder's progression hazard f·h_r + (1 − f)·h_n with f the share of carrying lesions.
//! Pathways: uptake below 1, a tissue test with a concurrent plasma test, and a bridging
//! regimen while waiting. Every expectation is enumerated or summed by hand here; tolerances
//! are 4 standard errors.

use crate::support::{load, run, try_load};
use vbpsim::rng::SampleKey;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, simulate as simulate_patient, tumour,
};
use vbpsim::workflow::run::RunOptions;

/// One to three lesions, a discordant biomarker, a random biopsy and a plasma test.
const HETEROGENEITY: &str = "heterogeneity/heterogeneity.toml";

const LESIONS: [f64; 3] = [0.5, 0.3, 0.2];
const PI: f64 = 0.4;
const D: f64 = 0.2;

fn gain() -> f64 {
    PI * D / (1.0 - PI)
}

fn choose(n: u32, k: u32) -> f64 {
    (1..=k).map(|i| f64::from(n - k + i) / f64::from(i)).product()
}

fn binomial(n: u32, k: u32, p: f64) -> f64 {
    choose(n, k) * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32)
}

/// Every (probability, lesions L, carrying lesions K, primary carries M) of a patient.
fn tumours() -> Vec<(f64, u32, u32, bool)> {
    let mut out = Vec::new();
    for (i, &pl) in LESIONS.iter().enumerate() {
        let l = i as u32 + 1;
        for k in 0..l {
            // Primary positive: K = 1 + Bin(L − 1, 1 − d); negative: K = Bin(L − 1, g).
            out.push((pl * PI * binomial(l - 1, k, 1.0 - D), l, k + 1, true));
            out.push((pl * (1.0 - PI) * binomial(l - 1, k, gain()), l, k, false));
        }
    }
    out
}

fn close(got: f64, want: f64, n: f64, what: &str) {
    let se = (want * (1.0 - want) / n).sqrt();
    assert!((got - want).abs() < 4.0 * se, "{what}: {got} vs {want} (se {se})");
}

#[test]
fn lesions_biopsy_and_ctdna_match_closed_forms() {
    let s = load(HETEROGENEITY, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(9, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let n = 200_000u64;
    let (mut count, mut primary_pos) = ([0u32; 3], 0u32);
    let (mut tissue_pos_given_pos, mut tissue_pos_given_neg, mut plasma_pos) = (0u32, 0u32, 0u32);
    for i in 0..n {
        let pk = key.patient(i);
        let t = tumour(&prep, pk);
        let line = LineDraws::new(pk, &lines);
        count[t.lesions as usize - 1] += 1;
        let tissue = simulate_patient(&prep, pk, &t, &line, 1).regimen == 0;
        let plasma = simulate_patient(&prep, pk, &t, &line, 2).regimen == 0;
        if t.primary & 1 != 0 {
            primary_pos += 1;
            tissue_pos_given_pos += u32::from(tissue);
        } else {
            tissue_pos_given_neg += u32::from(tissue);
        }
        plasma_pos += u32::from(plasma);
        assert!(t.carrying(0) <= t.lesions);
    }
    let nf = n as f64;
    for (k, &p) in LESIONS.iter().enumerate() {
        close(f64::from(count[k]) / nf, p, nf, &format!("P({} lesions)", k + 1));
    }
    close(f64::from(primary_pos) / nf, PI, nf, "primary prevalence");
    // Tissue reads one lesion at random: the primary with probability 1/L.
    let pos: f64 = LESIONS
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let l = i as f64 + 1.0;
            p * (1.0 / l + (l - 1.0) / l * (1.0 - D))
        })
        .sum();
    let neg: f64 = LESIONS
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let l = i as f64 + 1.0;
            p * (l - 1.0) / l * gain()
        })
        .sum();
    let npos = f64::from(primary_pos);
    close(f64::from(tissue_pos_given_pos) / npos, pos, npos, "tissue positive | primary M+");
    close(f64::from(tissue_pos_given_neg) / (nf - npos), neg, nf - npos, "tissue positive | M−");
    // Plasma: shedding × (1 − (1 − σ)^K), summed over the tumours.
    let sigma: f64 = 0.6;
    let plasma: f64 =
        tumours().iter().map(|&(p, _, k, _)| p * 0.7 * (1.0 - (1.0 - sigma).powi(k as i32))).sum();
    close(f64::from(plasma_pos) / nf, plasma, nf, "plasma positive");
}

/// Mean undiscounted life-years of treating everybody with the targeted regimen: responders
/// (probability p_o + f·(p_M − p_o)) progress at f·a_r + (1 − f)·a_n (at a_r when no lesion
/// carries M: they respond through `otherwise`), non-responders at a_n;
/// LY = 1/(λ + b) + λ/(λ + b)·1/s for exponential clocks (the 100-year horizon cuts e^{−36}).
#[test]
fn clonal_fraction_sets_response_and_progression() {
    let sim = run(&load(HETEROGENEITY, &[]), &RunOptions::default());
    let (a_r, a_n, b, sv) = (0.24, 2.4, 0.12, 1.2);
    let ly = |lambda: f64| 1.0 / (lambda + b) + lambda / (lambda + b) / sv;
    let want: f64 = tumours()
        .iter()
        .map(|&(p, l, k, _)| {
            let f = f64::from(k) / f64::from(l);
            let respond = 0.1 + f * (0.8 - 0.1);
            // A responder through `otherwise` (no lesion carries M) responds as a whole.
            let g = if k == 0 { 1.0 } else { f };
            p * (respond * ly(g * a_r + (1.0 - g) * a_n) + (1.0 - respond) * ly(a_n))
        })
        .sum();
    let a = &sim.summary[0];
    let se = a.ly_undiscounted.mcse.unwrap();
    assert!(
        (a.ly_undiscounted.mean - want).abs() < 4.0 * se,
        "{} vs {want} ({se})",
        a.ly_undiscounted.mean
    );
    // Without heterogeneity the same prevalence would give a different answer: the test can
    // tell the mixture from a yes/no status.
    let single =
        PI * (0.8 * ly(a_r) + 0.2 * ly(a_n)) + (1.0 - PI) * (0.1 * ly(a_r) + 0.9 * ly(a_n));
    assert!((single - want).abs() > 10.0 * se, "{single} vs {want}");
}

/// Uptake below 1, a tissue test with a concurrent plasma test, bridging chemotherapy.
const PATHWAY: &str = "heterogeneity/pathway.toml";

/// Expected cost of `test`: 70 % tested (tissue and plasma together at t = 0, results at 14
/// days, M+ read if either test reads it), chemotherapy bridging at days 0 and 7 while
/// progression-free, then weekly chemotherapy or 4-weekly targeted drug from day 14; the
/// untested 30 % start chemotherapy at once. S(t) = e^{−0.72t} on both regimens.
#[test]
fn uptake_concurrent_testing_and_bridging_match_closed_forms() {
    let sim = run(&load(PATHWAY, &[]), &RunOptions::default());
    let day = 1.0 / 365.25;
    let d = |t: f64| 1.03f64.powf(-t);
    let surv = |t: f64| (-0.72 * t).exp();
    let stream = |t0: f64, cycle: f64| {
        let mut total = 0.0;
        let mut k = 0.0;
        while t0 + k * cycle < 30.0 {
            total += d(t0 + k * cycle) * surv(t0 + k * cycle);
            k += 1.0;
        }
        total
    };
    let selected = 0.3 * (1.0 - (1.0 - 0.7 * 0.9) * (1.0 - 0.9 * 0.6 * 0.8));
    let t0 = 14.0 * day;
    let tested = 0.7
        * (4000.0
            + 2000.0 * (1.0 + d(7.0 * day) * surv(7.0 * day))
            + selected * 9000.0 * stream(t0, 28.0 * day)
            + (1.0 - selected) * 2000.0 * stream(t0, 7.0 * day));
    let untested = 0.3 * 2000.0 * stream(0.0, 7.0 * day);
    let a = sim.summary.iter().find(|a| a.strategy == 1).unwrap();
    let se = a.cost.mcse.unwrap();
    let want = tested + untested;
    assert!((a.cost.mean - want).abs() < 4.0 * se, "cost {} vs {want} ({se})", a.cost.mean);
    // Testing alone: both tests paid at diagnosis by the 70 % who are tested.
    assert!((a.categories[0] - 0.7 * 4000.0).abs() < 4.0 * 4000.0 * (0.21 / 200_000f64).sqrt());
}

/// Plasma `shedding` belongs to plasma tests, and a concurrent test may not pair with itself.
#[test]
fn specimen_and_concurrency_errors_are_refused() {
    let refused = |fixture: &str, set: &str| match try_load(fixture, &[set.to_string()]) {
        Ok(_) => panic!("{set} must be refused"),
        Err(e) => e.to_string(),
    };
    let err = refused(PATHWAY, "tests.tissue.shedding = 0.5");
    assert!(err.contains("tests[0].shedding") && err.contains("only in a plasma test"), "{err}");
    let err = refused(PATHWAY, "tests.tissue.concurrent = \"tissue\"");
    assert!(err.contains("tests[0].concurrent") && err.contains("another test"), "{err}");
    // Discordance in a scenario without [heterogeneity].
    let err = refused(PATHWAY, "biomarkers.M.discordance = 2");
    assert!(err.contains("biomarkers[0].discordance"), "{err}");
    let err = refused(HETEROGENEITY, "heterogeneity.lesions = [0.5, 0.3]");
    assert!(err.contains("heterogeneity.lesions") && err.contains("summing to 0.8"), "{err}");
}
