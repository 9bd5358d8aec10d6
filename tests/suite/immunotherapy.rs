//! Immunotherapy response patterns (docs, "Immunotherapy"): delayed response, pseudo-
//! progression at the first scan, and treatment beyond progression until a confirmation scan;
//! their effect on an early response assessment, against closed forms and per-patient rules.

use crate::support::{fixture_text, load, run};
use vbpsim::rng::SampleKey;
use vbpsim::scenario;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, simulate as simulate_patient, tumour,
};
use vbpsim::workflow::run::RunOptions;

const WEEK: f64 = 7.0 / 365.25;
const MONTH: f64 = 1.0 / 12.0;

/// Two copies of a PD-1 regimen (delayed response, pseudo-progression at the first 9-weekly
/// scan), the second treating beyond progression; a response rebate at the first scan.
const IO: &str = "immunotherapy/io.toml";

/// Per patient: pseudo-progression shows only in responders truly progression-free at the
/// first scan; without the rule treatment stops there, with it the sign is dropped unless
/// progression is real by the confirmation scan, and every recorded progression is a
/// confirmation 6 weeks after a sign.
#[test]
fn pseudo_progression_and_confirmation_follow_the_rules() {
    let s = load(IO, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(4, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let (scan, confirm) = (9.0 * WEEK, 6.0 * WEEK);
    let (mut eligible, mut pseudo, mut seen) = (0u32, 0u32, 0u32);
    let mut responders = 0u32;
    for i in 0..200_000 {
        let pk = key.patient(i);
        let line = LineDraws::new(pk, &lines);
        let t = tumour(&prep, pk);
        let plain = simulate_patient(&prep, pk, &t, &line, 0);
        let conf = simulate_patient(&prep, pk, &t, &line, 1);
        let (p, d) = (plain.progression, plain.death);
        assert_eq!((p, d), (conf.progression, conf.death), "same course");
        // The first scan at or after progression, if before death.
        let pd = if p.is_finite() {
            let at = (p / scan - 1e-9).ceil().max(1.0) * scan;
            if at < d { at } else { f64::INFINITY }
        } else {
            f64::INFINITY
        };
        let is_pseudo = plain.detected_progression < pd;
        if is_pseudo {
            assert!(plain.responder && (plain.detected_progression - scan).abs() < 1e-12);
            assert!(p.min(d) > scan);
        } else {
            assert_eq!(plain.detected_progression, pd);
        }
        assert_eq!(plain.treatment_end, plain.detected_progression.min(d));
        if plain.responder {
            responders += 1;
            seen += u32::from(plain.response_seen <= 12.0 * WEEK);
            if p.min(d) > scan {
                eligible += 1;
                pseudo += u32::from(is_pseudo);
            }
        } else {
            assert!(!is_pseudo);
        }
        let confirmed = |sign: f64| if sign + confirm < d { sign + confirm } else { f64::INFINITY };
        let want = if is_pseudo && p > scan + confirm {
            if pd.is_finite() { confirmed(pd) } else { f64::INFINITY }
        } else if is_pseudo {
            confirmed(scan)
        } else if pd.is_finite() {
            confirmed(pd)
        } else {
            f64::INFINITY
        };
        assert_eq!(conf.detected_progression, want, "{conf:?}");
        assert_eq!(conf.treatment_end, want.min(d));
    }
    let share = f64::from(pseudo) / f64::from(eligible);
    let se = (0.1f64 * 0.9 / f64::from(eligible)).sqrt();
    assert!((share - 0.1).abs() < 4.0 * se, "pseudo-progression share {share}");
    // Exponential time to response, median 2 months: visible by 12 weeks with 1 − 2^(−τ/m).
    let want = 1.0 - 0.5f64.powf(12.0 * WEEK / (2.0 * MONTH));
    let share = f64::from(seen) / f64::from(responders);
    let se = (want * (1.0 - want) / f64::from(responders)).sqrt();
    assert!((share - want).abs() < 4.0 * se, "response seen by 12 weeks {share} vs {want}");
}

/// A response rebate assessed at the first scan (τ = 9 weeks) refunds every treated patient
/// but the visible responders without a recorded progression who are alive then. Without the
/// rule: 1 − p·F_r(τ)·e^{−(a_r+b)τ}·(1 − q) (a pseudo-progression at that scan counts as
/// progression). With it no progression is recorded before its confirmation 6 weeks after the
/// scan, so only death fails a visible responder: 1 − p·F_r(τ)·P(D > τ), with
/// P(D > τ) = e^{−(a+b)τ} + a·e^{−sτ}(1 − e^{−(a+b−s)τ})/(a + b − s).
#[test]
fn early_assessment_refunds_delayed_and_pseudo_responders() {
    let sim = run(&load(IO, &[]), &RunOptions::default());
    let tau = 9.0 * WEEK;
    let seen = 1.0 - 0.5f64.powf(tau / (2.0 * MONTH));
    let progression_free = (-(0.03 + 0.02) * 12.0 * tau).exp();
    let (a, b, sv) = (0.03 * 12.0, 0.02 * 12.0, 0.15 * 12.0);
    let alive = progression_free
        + a * (-sv * tau).exp() * (1.0 - (-(a + b - sv) * tau).exp()) / (a + b - sv);
    let plain = 1.0 - 0.4 * seen * progression_free * 0.9;
    let confirm = 1.0 - 0.4 * seen * alive;
    for (strategy, want) in [(0, plain), (1, confirm)] {
        let row = sim.contracts.iter().find(|r| sim.arms[r.arm].strategy == strategy).unwrap();
        let got = row.triggered_share.unwrap();
        let se = (want * (1.0 - want) / 200_000.0).sqrt();
        assert!((got - want).abs() < 4.0 * se, "strategy {strategy}: {got} vs {want}");
    }
}

#[test]
fn pseudo_progression_needs_a_scan_schedule() {
    // The text itself is edited: layers can add and change keys, not remove one.
    let text = fixture_text(IO).replacen("assessment = \"9 weeks\"\n", "", 1);
    let err = scenario::parse("io.toml", &text).unwrap_err().to_string();
    assert!(err.contains("regimens[0].pseudo_progression") && err.contains("assessment"), "{err}");
}
