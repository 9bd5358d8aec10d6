//! Molecular (ctDNA) monitoring on treatment (docs, "Molecular monitoring"): per-patient
//! detection rules, the detectable share against the sensitivity, the monitoring cost against
//! the docs' formula summed over the engine's own patients, and a money-back guarantee
//! triggered by the earlier detection.

use crate::support::{load, run, try_load};
use vbpsim::rng::SampleKey;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, simulate as simulate_patient, tumour,
};
use vbpsim::workflow::run::RunOptions;

const WEEK: f64 = 7.0 / 365.25;
const MONTH: f64 = 1.0 / 12.0;
const PATIENTS: u64 = 50_000;
const SEED: u64 = 43;

/// Two copies of a TKI regimen with 8-weekly scans, the second also monitored by ctDNA every
/// 4 weeks; a money-back guarantee. PATIENTS and SEED are its patients and seed.
const MONITORING: &str = "monitoring/monitoring.toml";

#[test]
fn monitoring_detects_earlier_costs_its_tests_and_triggers_refunds() {
    let s = load(MONITORING, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let sim = run(&s, &RunOptions::default());
    let key = SampleKey::new(SEED, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let (every, lead) = (4.0 * WEEK, 6.0 * WEEK);
    let (mut eligible, mut early, mut testing, mut triggered) = (0u32, 0u32, 0.0, [0u32; 2]);
    for i in 0..PATIENTS {
        let pk = key.patient(i);
        let line = LineDraws::new(pk, &lines);
        let t = tumour(&prep, pk);
        let imaging = simulate_patient(&prep, pk, &t, &line, 0);
        let monitored = simulate_patient(&prep, pk, &t, &line, 1);
        let (p, d) = (imaging.progression, imaging.death);
        // The molecular detection a detectable patient would have.
        let molecular = if p.is_finite() {
            let k = ((p - lead).max(0.0) / every - 1e-9).ceil().max(1.0);
            k * every
        } else {
            f64::INFINITY
        };
        let could = molecular < imaging.detected_progression && molecular < d;
        if could {
            eligible += 1;
            if monitored.detected_progression == molecular {
                early += 1;
            } else {
                assert_eq!(monitored.detected_progression, imaging.detected_progression);
            }
        } else {
            assert_eq!(monitored.detected_progression, imaging.detected_progression);
        }
        assert_eq!(monitored.treatment_end, monitored.detected_progression.min(d));
        // Tests at k·every, k ≥ 1, up to and including the end of treatment.
        let mut k = 1.0;
        while k * every <= monitored.treatment_end * (1.0 + 1e-12) && k * every < 20.0 {
            testing += 300.0 * 1.03f64.powf(-k * every);
            k += 1.0;
        }
        for (j, rec) in [imaging, monitored].iter().enumerate() {
            triggered[j] += u32::from(rec.detected_progression < 6.0 * MONTH);
        }
    }
    let share = f64::from(early) / f64::from(eligible);
    let se = (0.21 / f64::from(eligible)).sqrt();
    assert!((share - 0.7).abs() < 4.0 * se, "detectable share {share}");
    let a = sim.summary.iter().find(|x| x.strategy == 1 && x.contract.is_none()).unwrap();
    let mean = testing / PATIENTS as f64;
    assert!((a.categories[0] - mean).abs() < 1e-9 * mean, "testing {} vs {mean}", a.categories[0]);
    // Everyone is treated at t = 0 (no test), so every patient is a contract patient.
    for (j, n) in triggered.iter().enumerate() {
        let row = sim.contracts.iter().find(|r| sim.arms[r.arm].strategy == j).unwrap();
        let want = f64::from(*n) / PATIENTS as f64;
        assert!((row.triggered_share.unwrap() - want).abs() < 1e-12, "strategy {j}");
    }
    assert!(triggered[1] > triggered[0]);
}

#[test]
fn monitoring_terms_are_checked() {
    let refused = |set: &str| match try_load(MONITORING, &[set.to_string()]) {
        Ok(_) => panic!("{set} must be refused"),
        Err(e) => e.to_string(),
    };
    let err = refused("regimens.tki_monitored.monitoring.sensitivity = 1.7");
    assert!(err.contains("regimens[1].monitoring.sensitivity"), "{err}");
    let err = refused("regimens.tki_monitored.monitoring.every = \"2 hours\"");
    assert!(err.contains("regimens[1].monitoring.every"), "{err}");
}
