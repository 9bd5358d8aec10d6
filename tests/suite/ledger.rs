//! The per-patient ledger against hand computations on fixed patient records: every cost
//! category, QALYs and life-years, with the payment and discounting conventions of the docs
//! computed the slow way (a loop over cycles, numerical integration of flows).

use crate::support::load;
use vbpsim::accounting::record::PatientRecord;
use vbpsim::sim::Prepared;
use vbpsim::sim::ledger::{Ledger, account};

/// Two drugs, two adverse events, a reflex plasma test and every state cost.
const SCENARIO: &str = "ledger/ledger.toml";

const DAY: f64 = 1.0 / 365.25;
const MONTH: f64 = 1.0 / 12.0;

fn d(r: f64, t: f64) -> f64 {
    (1.0 + r).powf(-t)
}

/// ∫_a^b rate·d(t) dt by composite Simpson with many panels.
fn flow(r: f64, rate: f64, a: f64, b: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    let n = 20_000;
    let h = (b - a) / n as f64;
    let mut s = d(r, a) + d(r, b);
    for i in 1..n {
        s += d(r, a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    rate * s * h / 3.0
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{what}: ledger {a} vs hand {b}");
}

fn record(
    progression: f64,
    death: f64,
    treatment_end: f64,
    start: f64,
    tests: usize,
    aes: u64,
) -> PatientRecord {
    PatientRecord {
        regimen: 0,
        course_regimen: 0,
        tests: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        // The reflex test starts when the first test's 15-day turnaround ends.
        test_starts: [
            0.0,
            15.0 * DAY,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        n_tests: tests,
        bridging: None,
        start,
        treated: true,
        detected_progression: progression,
        observed_responder: true,
        response_seen: start,
        responder: true,
        progression,
        death,
        treatment_end,
        adverse_events: aes,
        coverage_end: 10.0,
        walker: Default::default(),
    }
}

/// Hand ledger: categories in the model's order.
fn hand(rec: &PatientRecord, h: f64) -> (Vec<f64>, f64, f64, f64) {
    let (rc, ro) = (0.035, 0.015);
    let t0 = rec.start;
    let mut testing = 3000.0;
    if rec.n_tests == 2 {
        testing += 1000.0 * d(rc, 15.0 * DAY);
    }
    let end = rec.treatment_end.min(h);
    let mut drug_x = 0.0;
    let mut drug_y = 0.0;
    let mut admin = 0.0;
    for k in 0..6 {
        let t = t0 + k as f64 * 21.0 * DAY;
        if t < end && t < h {
            drug_x += 9000.0 * d(rc, t);
            admin += 350.0 * d(rc, t);
        }
    }
    for k in 0..1000 {
        let t = t0 + k as f64 * 28.0 * DAY;
        if t < end && t < h && (k as f64) * 28.0 * DAY < 1.0 {
            drug_y += 400.0 * d(rc, t);
        }
    }
    let mut ae = 0.0;
    let mut ae_q = 0.0;
    if t0 < h {
        if rec.adverse_events & 1 != 0 {
            ae += 5000.0 * d(rc, t0);
            ae_q += 0.02 * d(ro, t0);
        }
        if rec.adverse_events & 2 != 0 {
            ae += 700.0 * d(rc, t0);
            ae_q += 0.005 * d(ro, t0);
        }
    }
    let death = rec.death.min(h);
    let pf_end = rec.progression.min(death);
    let pf = flow(rc, 800.0 * 12.0, 0.0, pf_end);
    let pd = flow(rc, 2000.0 * 12.0, pf_end, death);
    let post = flow(rc, 4000.0 * 12.0, pf_end, death);
    let terminal = if rec.death < h { 12000.0 * d(rc, rec.death) } else { 0.0 };
    let ly = flow(ro, 1.0, 0.0, death);
    let qaly = 0.8 * flow(ro, 1.0, 0.0, pf_end) + 0.55 * flow(ro, 1.0, pf_end, death) - ae_q;
    (vec![testing, drug_x, drug_y, admin, ae, pf, pd, post, terminal], qaly, ly, death)
}

#[test]
fn ledger_matches_hand_computation_on_fixed_records() {
    let s = load(SCENARIO, &[]);
    assert_eq!(
        s.model.categories(),
        [
            "testing",
            "drug:x",
            "drug:y",
            "administration",
            "adverse_events",
            "state:progression_free",
            "state:progressed",
            "post_progression",
            "terminal_care"
        ]
    );
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let h = 10.0;
    let wait = 24.0 * DAY;
    let cases = [
        // progression then death, both inside the horizon; reflex test; both AEs
        record(wait + 7.3 * MONTH, wait + 19.0 * MONTH, wait + 7.3 * MONTH, wait, 2, 3),
        // toxicity stop before progression; one test; cycles cut by the stop
        record(15.0 * DAY + 2.0, 15.0 * DAY + 3.5, 15.0 * DAY + 0.2, 15.0 * DAY, 1, 1),
        // death before progression, no AE
        record(f64::INFINITY, 15.0 * DAY + 0.9, 15.0 * DAY + 0.9, 15.0 * DAY, 1, 0),
        // still progression-free at the horizon: everything censored at 10 years
        record(f64::INFINITY, 14.0, 14.0, 15.0 * DAY, 1, 2),
        // progression inside, death after the horizon
        record(15.0 * DAY + 8.0, 15.0 * DAY + 12.0, 15.0 * DAY + 8.0, 15.0 * DAY, 1, 0),
    ];
    for (i, rec) in cases.iter().enumerate() {
        let mut costs = vec![0.0; 9];
        let mut ledger = Ledger::new(&mut costs);
        let o = account(&prep, rec, &mut ledger);
        let total = ledger.total;
        close(total, costs.iter().sum(), &format!("case {i} total"));
        let (want, qaly, ly, lyu) = hand(rec, h);
        for (k, (got, want)) in costs.iter().zip(&want).enumerate() {
            close(*got, *want, &format!("case {i} category {}", s.model.categories()[k]));
        }
        close(o.qaly, qaly, &format!("case {i} qaly"));
        close(o.ly, ly, &format!("case {i} ly"));
        close(o.ly_undiscounted, lyu, &format!("case {i} undiscounted ly"));
    }
}
