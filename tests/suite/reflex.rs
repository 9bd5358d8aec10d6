//! Reflex testing on a negative reading against closed forms (docs, Model → Pathway of a
//! strategy): a plasma test whose failure or negative reading sends the patient to tissue,
//! beside the same plasma test with a tissue reflex on failure only and tissue alone. The
//! share read positive, the share that reaches tissue and the wait until treatment are
//! enumerated by hand here for each true status; tolerances are 4 standard errors.

use crate::support::{expect, load, text_of, vbpsim};
use vbpsim::rng::SampleKey;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, simulate as simulate_patient, tumour,
};

const REFLEX: &str = "reflex/reflex.toml";

const PI: f64 = 0.3;
/// Plasma: failure, shedding, sensitivity, specificity, turnaround (days).
const PLASMA: (f64, f64, f64, f64, f64) = (0.1, 0.8, 0.7, 0.98, 10.0);
/// Tissue: failure, sensitivity, specificity, turnaround (days).
const TISSUE: (f64, f64, f64, f64) = (0.15, 0.95, 0.99, 20.0);

/// P(plasma reads M positive | M present or not): it must not fail; a shedding tumour is seen
/// with the sensitivity, one that does not shed (or has no M) reads a false positive at
/// 1 − specificity.
fn plasma_positive(m: bool) -> f64 {
    let (fail, shed, sens, spec, _) = PLASMA;
    let p = if m { shed * sens + (1.0 - shed) * (1.0 - spec) } else { 1.0 - spec };
    (1.0 - fail) * p
}

fn tissue_positive(m: bool) -> f64 {
    let (fail, sens, spec, _) = TISSUE;
    (1.0 - fail) * if m { sens } else { 1.0 - spec }
}

/// (P(read positive), P(tissue is run)) for a status under each strategy (1: plasma, tissue
/// on failure or negative; 2: plasma, tissue on failure; 3: tissue alone).
fn expected(strategy: usize, m: bool) -> (f64, f64) {
    let plasma_fail = PLASMA.0;
    match strategy {
        1 => {
            let reaches = 1.0 - plasma_positive(m);
            (plasma_positive(m) + reaches * tissue_positive(m), reaches)
        }
        2 => (plasma_positive(m) + plasma_fail * tissue_positive(m), plasma_fail),
        _ => (tissue_positive(m), 1.0),
    }
}

fn close(got: f64, want: f64, se: f64, what: &str) {
    assert!(se > 0.0, "{what}: a standard error of 0");
    assert!((got - want).abs() < 4.0 * se, "{what}: {got} vs {want} (se {se})");
}

#[test]
fn tissue_after_a_negative_or_failed_plasma_test_matches_the_closed_form() {
    let s = load(REFLEX, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(31, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let n = 200_000u64;
    // Per strategy and status: patients, read positive (treated with `targeted`, regimen 0),
    // tissue run, and the sum of waits in days.
    let mut counts = [[(0u64, 0u64, 0u64, 0f64); 2]; 4];
    for i in 0..n {
        let pk = key.patient(i);
        let t = tumour(&prep, pk);
        let line = LineDraws::new(pk, &lines);
        let m = t.primary & 1 != 0;
        for (strategy, count) in counts.iter_mut().enumerate().skip(1) {
            let rec = simulate_patient(&prep, pk, &t, &line, strategy);
            let tissue = rec.tests[..rec.n_tests].contains(&2);
            let c = &mut count[usize::from(m)];
            c.0 += 1;
            c.1 += u64::from(rec.regimen == 0);
            c.2 += u64::from(tissue);
            c.3 += rec.start * 365.25;
        }
    }
    for (strategy, count) in counts.iter().enumerate().skip(1) {
        for (status, &(patients, positive, tissue, wait)) in count.iter().enumerate() {
            let m = status == 1;
            let nf = patients as f64;
            let (want_positive, want_tissue) = expected(strategy, m);
            let what = |x: &str| format!("strategy {strategy}, M {m}: {x}");
            let binomial = |p: f64| (p * (1.0 - p) / nf).sqrt();
            close(positive as f64 / nf, want_positive, binomial(want_positive), &what("positive"));
            if want_tissue == 1.0 {
                assert_eq!(tissue, patients, "{}", what("tissue run"));
            } else {
                close(tissue as f64 / nf, want_tissue, binomial(want_tissue), &what("tissue run"));
            }
            // The wait: plasma's turnaround, plus tissue's when it runs (tissue alone: its own).
            let (first, tissue_days) =
                if strategy == 3 { (0.0, TISSUE.3) } else { (PLASMA.4, TISSUE.3) };
            let want_wait = first + want_tissue * tissue_days;
            let se = tissue_days * binomial(want_tissue);
            if strategy == 3 {
                assert!((wait / nf - want_wait).abs() < 1e-6, "{}", what("wait"));
            } else {
                close(wait / nf, want_wait, se, &what("mean wait in days"));
            }
        }
    }
    // The prevalence itself, so that a wrong status split cannot hide behind it.
    let m_patients = counts[1][1].0 as f64;
    close(m_patients / n as f64, PI, (PI * (1.0 - PI) / n as f64).sqrt(), "prevalence");
}

#[test]
fn check_shows_the_reflex_on_a_negative_reading() {
    let out = expect(vbpsim().arg("check").arg("tests/fixtures/reflex/reflex.toml"), 0);
    let text = text_of(&out.stdout);
    assert!(text.contains("           read negative → tissue"), "{text}");
    assert_eq!(text.matches("read negative →").count(), 1, "{text}");
}

#[test]
fn a_reflex_to_a_concurrent_partner_is_refused() {
    // Tissue as plasma's partner and as its reflex would run twice on the same draws.
    let sets = [
        "tests.plasma_failure_only.concurrent = \"tissue\"".to_string(),
        "tests.plasma_failure_only.on_negative = \"tissue\"".to_string(),
    ];
    let err = crate::support::try_load(REFLEX, &sets).unwrap_err().to_string();
    assert!(err.contains("tests[1].on_"), "{err}");
    assert!(err.contains("a concurrent partner on that path would run twice"), "{err}");
}
