//! Outcome observation: progression detected at the first scan at or after it, and drugs paid
//! until detection.

use super::{DAY, INF, WEEK};
use crate::support::{load, simulate};
use vbpsim::rng::SampleKey;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, Tumour, biomarker_status, simulate as simulate_patient,
};
use vbpsim::workflow::run::RunOptions;

/// Targeted drug x under a money-back contract; the regimen's scans are given by each test.
const DETECTION: &str = "contracts/detection.toml";

#[test]
fn progression_is_detected_at_the_first_scan_at_or_after_it() {
    let s = load(DETECTION, &["regimens.targeted.assessment = \"8 weeks\"".into()]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let every = 8.0 * WEEK;
    let key = SampleKey::new(21, 0);
    let line_processes = LineProcesses::new(FIRST_LINE);
    let (mut detected, mut undetected, mut death_first) = (0, 0, 0);
    for i in 0..20_000 {
        let pk = key.patient(i);
        let status = biomarker_status(&prep, pk);
        let line = LineDraws::new(pk, &line_processes);
        for strategy in 0..2 {
            let rec = simulate_patient(&prep, pk, &Tumour::single(status), &line, strategy);
            if !rec.treated || rec.regimen != 1 {
                continue;
            }
            let t0 = rec.start;
            assert!(t0 == 0.0 || (t0 - 17.0 * DAY).abs() < 1e-15);
            assert_eq!(rec.observed_responder, rec.responder, "no misclassification configured");
            let (p, pd, death) = (rec.progression, rec.detected_progression, rec.death);
            if !p.is_finite() {
                death_first += 1;
                assert_eq!(pd, INF);
            } else if pd.is_finite() {
                detected += 1;
                let scans = (pd - t0) / every;
                assert!((scans - scans.round()).abs() < 1e-9 && scans.round() >= 1.0, "{rec:?}");
                assert!(pd >= p - 1e-12, "detected before progression: {rec:?}");
                assert!(
                    pd - every < p + 1e-12,
                    "a scan between progression and detection: {rec:?}"
                );
                assert!(pd < death, "{rec:?}");
            } else {
                undetected += 1;
                // The scan that would have detected it comes at or after death.
                let first = t0 + ((p - t0) / every).ceil().max(1.0) * every;
                assert!(first >= death - 1e-9, "undetected though alive at the scan: {rec:?}");
            }
            assert_eq!(rec.treatment_end, pd.min(death), "paid until detection or death");
        }
    }
    assert!(
        detected > 1000 && undetected > 100 && death_first > 100,
        "{detected} {undetected} {death_first}"
    );
}

#[test]
fn drugs_are_paid_until_detection() {
    let scans = ["regimens.targeted.assessment = \"8 weeks\"".into()];
    let (s, with) = simulate(DETECTION, &scans, &RunOptions::default());
    let (_, without) = simulate(DETECTION, &[], &RunOptions::default());
    let drug = s.model.categories().iter().position(|c| c == "drug:x").unwrap();
    for arm in 0..with.summary.len() {
        let (a, b) = (&with.summary[arm], &without.summary[arm]);
        assert!(
            a.categories[drug] > b.categories[drug],
            "arm {arm}: {} vs {}",
            a.categories[drug],
            b.categories[drug]
        );
        // Health states follow the true progression: outcomes do not depend on scans.
        assert_eq!(a.qaly.mean, b.qaly.mean);
        assert_eq!(a.ly.mean, b.ly.mean);
    }
    // Later detection means fewer money-back refunds within the window: detected progression
    // is later than true progression, so the share who trigger can only fall.
    for (a, b) in with.contracts.iter().zip(&without.contracts) {
        assert!(a.triggered_share.unwrap() < b.triggered_share.unwrap());
    }
}
