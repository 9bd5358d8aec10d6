#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(t < limit)` also rejects NaN, as in the library.
//! Contracts: every kind settled on fixed patient records against a hand computation written
//! from the README's rule table (explicit loops over cycles and (1+r)^−t factors), outcome
//! observation by scans, invariants over many random scenario variants, Monte Carlo closed forms
//! on an exponential model, and the threshold (value-based) price.

use crate::support::{layered_text, load, simulate, try_load};
use vbpsim::accounting::discount::cycles_before;
use vbpsim::accounting::record::PatientRecord;
use vbpsim::contracts::{Exposure, cash, settle};
use vbpsim::rng::SampleKey;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, Tumour, biomarker_status, simulate as simulate_patient,
};
use vbpsim::workflow::run::{RunOptions, Simulation};

const DAY: f64 = 1.0 / 365.25;
const WEEK: f64 = 7.0 * DAY;
const MONTH: f64 = 1.0 / 12.0;
const INF: f64 = f64::INFINITY;
/// README: "a cycle start within 1e-9 cycle lengths of such a limit counts as at the limit".
const TOL: f64 = 1e-9;

/// d(t) = (1+r)^(−t).
fn d(r: f64, t: f64) -> f64 {
    (1.0 + r).powf(-t)
}

// ---------------------------------------------------------------------------------------------
// 1. Hand computations on fixed records
// ---------------------------------------------------------------------------------------------

/// Every contract kind on the targeted drug x and on the one-off CAR-T k.
const HAND: &str = "contracts/hand.toml";

const H: f64 = 10.0;
const RC: f64 = 0.035;
const RM: f64 = 0.08;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fail {
    Progression,
    Death,
    Either,
}

/// The contract terms as the README states them (durations in years from treatment start).
#[derive(Clone, Copy, Debug)]
enum Terms {
    List,
    Discount { fraction: f64, from: f64, until: f64 },
    MoneyBack { failure: Fail, window: f64, refund: f64, cap: f64 },
    PaymentAtResult { assess_at: f64 },
    ResponseRebate { assess_at: f64, refund: f64 },
    DurationCap { max_paid: f64, max_cycles: u64 },
    Instalments { count: u64, interval: f64, progression_free: bool },
}

struct HandContract {
    name: &'static str,
    /// Regimen of the contracted drug in the HAND fixture (1 = targeted/x, 2 = cart/k).
    regimen: usize,
    terms: Terms,
    per_patient: f64,
    per_assessment: f64,
}

fn hand_contracts() -> Vec<HandContract> {
    let c = |name, regimen, terms, per_patient, per_assessment| HandContract {
        name,
        regimen,
        terms,
        per_patient,
        per_assessment,
    };
    use Terms::*;
    vec![
        c("list_admin", 1, List, 500.0, 120.0),
        c("disc_all", 1, Discount { fraction: 0.2, from: 0.0, until: INF }, 0.0, 0.0),
        c(
            "disc_window",
            1,
            Discount { fraction: 0.5, from: 63.0 * DAY, until: 6.0 * MONTH },
            0.0,
            40.0,
        ),
        c(
            "mb_prog",
            1,
            MoneyBack { failure: Fail::Progression, window: 6.0 * MONTH, refund: 1.0, cap: INF },
            0.0,
            0.0,
        ),
        c(
            "mb_death",
            1,
            MoneyBack { failure: Fail::Death, window: 1.0, refund: 0.8, cap: INF },
            0.0,
            0.0,
        ),
        c(
            "mb_either",
            1,
            MoneyBack { failure: Fail::Either, window: 9.0 * MONTH, refund: 1.0, cap: INF },
            200.0,
            100.0,
        ),
        c(
            "mb_cap_binds",
            1,
            MoneyBack { failure: Fail::Either, window: 1.0, refund: 1.0, cap: 20000.0 },
            0.0,
            0.0,
        ),
        c(
            "mb_cap_loose",
            1,
            MoneyBack { failure: Fail::Either, window: 1.0, refund: 1.0, cap: 1e7 },
            0.0,
            0.0,
        ),
        c("par_x", 1, PaymentAtResult { assess_at: 3.0 * MONTH }, 0.0, 80.0),
        c("rr", 1, ResponseRebate { assess_at: 12.0 * WEEK, refund: 0.5 }, 0.0, 60.0),
        c("cap_time", 1, DurationCap { max_paid: 6.0 * MONTH, max_cycles: u64::MAX }, 0.0, 0.0),
        c("cap_cycles", 1, DurationCap { max_paid: INF, max_cycles: 4 }, 0.0, 30.0),
        c(
            "inst_x",
            1,
            Instalments { count: 3, interval: 6.0 * MONTH, progression_free: true },
            0.0,
            0.0,
        ),
        c("par_k", 2, PaymentAtResult { assess_at: MONTH }, 0.0, 0.0),
        c(
            "inst_k",
            2,
            Instalments { count: 5, interval: 1.0, progression_free: false },
            1000.0,
            50.0,
        ),
        c(
            "inst_k_pf",
            2,
            Instalments { count: 3, interval: 6.0 * MONTH, progression_free: true },
            0.0,
            0.0,
        ),
    ]
}

/// The drugs of the HAND fixture by regimen: (price, cycle, max_cycles, scan interval).
fn hand_drug(regimen: usize) -> (f64, f64, u64, f64) {
    match regimen {
        1 => (9000.0, 21.0 * DAY, u64::MAX, 8.0 * WEEK),
        2 => (350000.0, 28.0 * DAY, 1, MONTH),
        _ => unreachable!(),
    }
}

/// Detected progression by the README: P_d = t0 + ⌈(P − t0)/s⌉·s, never if death comes first.
fn detect(t0: f64, p: f64, s: f64, death: f64) -> f64 {
    if !p.is_finite() {
        return INF;
    }
    let pd = t0 + ((p - t0) / s).ceil().max(1.0) * s;
    if pd < death { pd } else { INF }
}

/// A treated patient's record with every time absolute (years from diagnosis).
fn record(regimen: usize, t0: f64, p: f64, death: f64, stop: f64, observed: bool) -> PatientRecord {
    let s = hand_drug(regimen).3;
    let pd = detect(t0, p, s, death);
    PatientRecord {
        regimen,
        tests: [0; 16],
        test_starts: [0.0; 16],
        n_tests: 0,
        bridging: None,
        start: t0,
        treated: true,
        detected_progression: pd,
        observed_responder: observed,
        response_seen: t0,
        responder: observed,
        progression: p,
        death,
        treatment_end: pd.min(death).min(stop),
        adverse_events: 0,
        coverage_end: H,
    }
}

/// Start times of the cycles paid at list: t0 + k·c < min(E, H), k < max_cycles.
fn list_times(rec: &PatientRecord, cycle: f64, max_cycles: u64) -> Vec<f64> {
    let end = rec.treatment_end.min(H);
    let mut times = Vec::new();
    let mut k = 0u64;
    while k < max_cycles {
        let t = rec.start + k as f64 * cycle;
        if !(t < end - TOL * cycle) {
            break;
        }
        times.push(t);
        k += 1;
    }
    times
}

#[derive(Debug, Default)]
struct Hand {
    n: u64,
    paid: f64,
    refunded: f64,
    admin: f64,
    manufacturer: f64,
    units: f64,
    triggered: bool,
    /// Undiscounted refund per unit of price, before the cap.
    refund_units: f64,
    tracked_until: f64,
}

/// The README's rule table, by hand.
fn hand(c: &HandContract, rec: &PatientRecord, documented: bool) -> Hand {
    let (price, cycle, max_cycles, scan) = hand_drug(c.regimen);
    let t0 = rec.start;
    let times = list_times(rec, cycle, max_cycles);
    let n = times.len();
    // m(x): list-paid cycles with k·c < x.
    let m = |x: f64| (0..n).filter(|&k| (k as f64) * cycle < x - TOL * cycle).count();
    let success = |t: f64| rec.observed_responder && rec.detected_progression > t && rec.death > t;
    // Payments as (date, multiple of the list price A); a refund as (date, multiple of A).
    let mut pay: Vec<(f64, f64)> = Vec::new();
    let mut refund: Option<(f64, f64)> = None;
    let mut cap = INF;
    let mut triggered = false;
    let tracked_until;
    match c.terms {
        Terms::List => {
            pay.extend(times.iter().map(|&t| (t, 1.0)));
            tracked_until = rec.treatment_end;
        }
        Terms::Discount { fraction, from, until } => {
            for (k, &t) in times.iter().enumerate() {
                let kc = k as f64 * cycle;
                let inside = !(kc < from - TOL * cycle) && kc < until - TOL * cycle;
                pay.push((t, if inside { 1.0 - fraction } else { 1.0 }));
                triggered |= inside && fraction > 0.0;
            }
            tracked_until = rec.treatment_end;
        }
        Terms::MoneyBack { failure, window, refund: share, cap: limit } => {
            pay.extend(times.iter().map(|&t| (t, 1.0)));
            let f = match failure {
                Fail::Progression => rec.detected_progression,
                Fail::Death => rec.death,
                Fail::Either => rec.detected_progression.min(rec.death),
            };
            if f < t0 + window && f < H && documented {
                let before = times.iter().filter(|&&t| t < f - TOL * cycle).count();
                refund = Some((f, share * before as f64));
                triggered = true;
            }
            cap = limit;
            tracked_until = t0 + window;
        }
        Terms::PaymentAtResult { assess_at } => {
            let at = t0 + assess_at;
            let deferred = m(assess_at);
            pay.extend(times[deferred..].iter().map(|&t| (t, 1.0)));
            let paid_as_success = success(at) || !documented;
            if paid_as_success {
                pay.push((at, deferred as f64));
            }
            triggered = !paid_as_success && deferred > 0;
            tracked_until = at;
        }
        Terms::ResponseRebate { assess_at, refund: share } => {
            pay.extend(times.iter().map(|&t| (t, 1.0)));
            let at = t0 + assess_at;
            if !success(at) && documented && at < H && m(assess_at) > 0 {
                refund = Some((at, share * m(assess_at) as f64));
                triggered = true;
            }
            tracked_until = at;
        }
        Terms::DurationCap { max_paid, max_cycles } => {
            let by_time = if max_paid.is_finite() { m(max_paid) } else { n };
            let paid = by_time.min(n).min(max_cycles.min(n as u64) as usize);
            pay.extend(times[..paid].iter().map(|&t| (t, 1.0)));
            triggered = paid < n;
            tracked_until = rec.treatment_end;
        }
        Terms::Instalments { count, interval, progression_free } => {
            // README: an undocumented failure is paid as a success, so every part is paid.
            for &tk in &times {
                for i in 0..count {
                    let t = tk + i as f64 * interval;
                    if t >= H {
                        continue; // at or after the horizon: counts nothing
                    }
                    let holds = !documented
                        || (rec.death > t && (!progression_free || rec.detected_progression > t));
                    if holds {
                        pay.push((t, 1.0 / count as f64));
                    } else {
                        triggered = true;
                    }
                }
            }
            // README: tracking ends at the last instalment date.
            tracked_until = times.last().map_or(t0, |&t| t + (count - 1) as f64 * interval);
        }
    }
    let pv = |r: f64| -> f64 {
        let mut s = 0.0;
        for &(t, units) in &pay {
            if t < H {
                s += units * price * d(r, t);
            }
        }
        s
    };
    let paid = pv(RC);
    let paid_m = pv(RM);
    let mut refunded = 0.0;
    let mut refunded_m = 0.0;
    let mut units = paid / price;
    let mut refund_units = 0.0;
    if let Some((t, u)) = refund {
        refund_units = u;
        let nominal = (u * price).min(cap);
        refunded = nominal * d(RC, t);
        refunded_m = nominal * d(RM, t);
        if u * price < cap {
            units -= u * d(RC, t);
        }
    }
    // Administration: per patient at t0; per assessment at t0 + j·s ≤ end of tracking, before
    // death and the horizon.
    let mut admin = c.per_patient * d(RC, t0);
    let mut j = 1.0;
    loop {
        let t = t0 + j * scan;
        if t > tracked_until + TOL * scan || !(t < rec.death - TOL * scan) || !(t < H - TOL * scan)
        {
            break;
        }
        admin += c.per_assessment * d(RC, t);
        j += 1.0;
    }
    Hand {
        n: n as u64,
        paid,
        refunded,
        admin,
        manufacturer: paid_m - refunded_m,
        units,
        triggered,
        refund_units,
        tracked_until,
    }
}

fn close(got: f64, want: f64, scale: f64, what: &str) {
    let tol = 1e-12 * scale.abs().max(want.abs()).max(1e-300);
    assert!((got - want).abs() <= tol, "{what}: code {got} vs hand {want} (diff {})", got - want);
}

struct HandCase {
    name: &'static str,
    rec: PatientRecord,
    documented: bool,
    /// Contracts expected to trigger (checks that the case exercises what it is meant to).
    triggers: &'static [&'static str],
}

fn hand_cases() -> Vec<HandCase> {
    let t0 = 15.0 * DAY;
    let case = |name, rec, documented, triggers| HandCase { name, rec, documented, triggers };
    vec![
        // Responder; progression at 150 days, detected at the third scan (168 days = cycle 8
        // exactly: paid until detection, cycle 8 not paid); death at 400 days (outside the
        // death window of 1 year).
        case(
            "c1_detected_progression",
            record(1, t0, t0 + 150.0 * DAY, t0 + 400.0 * DAY, INF, true),
            true,
            &[
                "disc_all",
                "disc_window",
                "mb_prog",
                "mb_either",
                "mb_cap_binds",
                "mb_cap_loose",
                "cap_cycles",
                "inst_x",
            ],
        ),
        // Read as a non-responder, early progression (detected at 56 days), death at 300 days:
        // everything that can fail does; the discount window (from 63 days) is never reached.
        case(
            "c2_non_responder",
            record(1, t0, t0 + 40.0 * DAY, t0 + 300.0 * DAY, INF, false),
            true,
            &[
                "disc_all",
                "mb_prog",
                "mb_death",
                "mb_either",
                "mb_cap_binds",
                "mb_cap_loose",
                "par_x",
                "rr",
                "inst_x",
            ],
        ),
        // The same failure not documented: no refund, paid as a success.
        case(
            "c2_undocumented",
            record(1, t0, t0 + 40.0 * DAY, t0 + 300.0 * DAY, INF, false),
            false,
            &["disc_all"],
        ),
        // Dead at 50 days, before the response assessment (12 weeks), never progressed.
        case(
            "c3_dead_before_assessment",
            record(1, t0, INF, t0 + 50.0 * DAY, INF, true),
            true,
            &[
                "disc_all",
                "mb_death",
                "mb_either",
                "mb_cap_binds",
                "mb_cap_loose",
                "par_x",
                "rr",
                "inst_x",
            ],
        ),
        // Read as a responder but progression detected (56 days) before the assessment.
        case(
            "c4_progression_before_assessment",
            record(1, t0, t0 + 20.0 * DAY, t0 + 5.0, INF, true),
            true,
            &[
                "disc_all",
                "mb_prog",
                "mb_either",
                "mb_cap_binds",
                "mb_cap_loose",
                "par_x",
                "rr",
                "inst_x",
            ],
        ),
        // Long responder from t0 = 0: progression at 3.2 years (outside every window), detected
        // at scan 21 = 1176 days = cycle 56 exactly.
        case(
            "c5_long_responder",
            record(1, 0.0, 3.2, 6.0, INF, true),
            true,
            &["disc_all", "disc_window", "cap_time", "cap_cycles", "inst_x"],
        ),
        // Toxicity stop at 100 days (5 cycles paid), progression at 200 days detected at 224:
        // outside the 6-month progression window, inside the 9-month and 1-year ones; a refund
        // of 5 cycles = 45,000 against a cap of 20,000.
        case(
            "c6_toxicity_stop_cap",
            record(1, t0, t0 + 200.0 * DAY, t0 + 2.0, t0 + 100.0 * DAY, true),
            true,
            &[
                "disc_all",
                "disc_window",
                "mb_either",
                "mb_cap_binds",
                "mb_cap_loose",
                "cap_cycles",
                "inst_x",
            ],
        ),
        // Alive and progression-free beyond the horizon: payments stop at H, instalments at or
        // after H count nothing and are not a trigger.
        case(
            "c7_beyond_horizon",
            record(1, t0, INF, 12.0, INF, true),
            true,
            &["disc_all", "disc_window", "cap_time", "cap_cycles"],
        ),
        // True progression inside the 6-month window (170 days) but detected outside it (224):
        // contracts use detected events.
        case(
            "c8_detected_after_window",
            record(1, t0, t0 + 170.0 * DAY, t0 + 3.0, INF, true),
            true,
            &[
                "disc_all",
                "disc_window",
                "cap_time",
                "mb_either",
                "mb_cap_binds",
                "mb_cap_loose",
                "cap_cycles",
                "inst_x",
            ],
        ),
        // Misread as a non-responder but progression-free for 1.5 years: the response rebate
        // refunds m(12 weeks) = 4 cycles, not the 26 given; payment at result withholds the
        // 5 cycles before 3 months for good and pays the rest at list.
        case(
            "c9_misread_long_treatment",
            record(1, t0, t0 + 1.5, t0 + 4.0, INF, false),
            true,
            &["disc_all", "disc_window", "par_x", "rr", "cap_time", "cap_cycles", "inst_x"],
        ),
        // CAR-T (one payment of 350,000): responder alive 8 years.
        case("k1_success", record(2, 0.0, INF, 8.0, INF, true), true, &[]),
        // Progression at 0.7 years (detected at 9 months), death at 2.5 years: between the
        // third and fourth annual instalments.
        case(
            "k2_death_between_instalments",
            record(2, 0.0, 0.7, 2.5, INF, true),
            true,
            &["inst_k", "inst_k_pf"],
        ),
        // Read as a non-responder, progression detected at the one-month scan.
        case(
            "k3_non_responder",
            record(2, 0.0, 0.03, 0.9, INF, false),
            true,
            &["par_k", "inst_k", "inst_k_pf"],
        ),
        case(
            "k3_undocumented",
            record(2, 0.0, 0.03, 0.9, INF, false),
            false,
            // Undocumented failures are paid as successes: nothing triggers.
            &[],
        ),
        // Dead at 20 days, before the one-month result.
        case(
            "k4_dead_early",
            record(2, 0.0, INF, 20.0 * DAY, INF, true),
            true,
            &["par_k", "inst_k", "inst_k_pf"],
        ),
    ]
}

fn hand_exposure<'a>(
    prep: &'a Prepared,
    rec: &'a PatientRecord,
    n: u64,
    documented: bool,
) -> Exposure<'a> {
    Exposure {
        rec,
        drug: &prep.regimens[rec.regimen].drugs[0],
        n,
        horizon: prep.horizon,
        refund_horizon: prep.horizon,
        payer: &prep.costs,
        manufacturer: &prep.manufacturer,
        payer_start: d(RC, rec.start),
        manufacturer_start: d(RM, rec.start),
        documented,
        placement: Default::default(),
    }
}

#[test]
fn every_kind_matches_the_readme_rules_on_fixed_records() {
    let s = load(HAND, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let contracts = hand_contracts();
    assert_eq!(s.model.contracts.len(), contracts.len());
    let mut compared = 0;
    for case in hand_cases() {
        let rec = &case.rec;
        for (ci, c) in contracts.iter().enumerate() {
            assert_eq!(s.model.contracts[ci].name, c.name);
            if c.regimen != rec.regimen {
                continue;
            }
            let what = format!("{} / {}", case.name, c.name);
            let want = hand(c, rec, case.documented);
            let x = hand_exposure(&prep, rec, want.n, case.documented);
            let assessment = prep.regimens[rec.regimen].assessment;
            let got = cash(&prep.contracts[ci], &x, assessment, &[]);
            let settled = settle(&prep.contracts[ci].kind, &x, &[]);
            let scale = want.paid.max(want.refunded);
            close(got.paid, want.paid, scale, &format!("{what}: paid"));
            close(got.refunded, want.refunded, scale, &format!("{what}: refunded"));
            close(got.admin, want.admin, want.admin, &format!("{what}: admin"));
            close(
                got.manufacturer_net,
                want.manufacturer,
                scale,
                &format!("{what}: manufacturer net"),
            );
            close(got.units, want.units, scale / hand_drug(c.regimen).0, &format!("{what}: units"));
            close(
                settled.refund,
                want.refund_units,
                want.refund_units,
                &format!("{what}: refund units"),
            );
            close(
                settled.paid.0 * hand_drug(c.regimen).0,
                want.paid,
                scale,
                &format!("{what}: settle"),
            );
            close(
                settled.tracked_until,
                want.tracked_until,
                want.tracked_until.abs().max(1.0),
                &format!("{what}: tracking"),
            );
            assert_eq!(got.triggered, want.triggered, "{what}: triggered (hand {want:?})");
            assert_eq!(
                want.triggered,
                case.triggers.contains(&c.name),
                "{what}: the case does not exercise what it says (hand {want:?})"
            );
            compared += 1;
        }
    }
    assert!(compared > 100);
}

/// Literal values of the hand computation on a few cases, so that the rule table itself (not
/// only the agreement of two implementations) is pinned.
#[test]
fn hand_computation_pins_key_numbers() {
    let contracts = hand_contracts();
    let cases = hand_cases();
    let get = |case: &str, contract: &str| {
        let c = contracts.iter().find(|c| c.name == contract).unwrap();
        let k = cases.iter().find(|k| k.name == case).unwrap();
        hand(c, &k.rec, k.documented)
    };
    // Detected at 168 days = cycle 8's start: 8 cycles paid, all refunded.
    assert_eq!(get("c1_detected_progression", "list_admin").n, 8);
    assert_eq!(get("c1_detected_progression", "mb_prog").refund_units, 8.0);
    // Dead at 50 days: cycles at 0, 21, 42 days; 80 % of 3 cycles back.
    assert!((get("c3_dead_before_assessment", "mb_death").refund_units - 2.4).abs() < 1e-12);
    // Response rebate: m(12 weeks) = 4 cycles (cycle 4 starts at 84 days = 12 weeks: not
    // counted), but only 3 were given before progression was detected at 56 days.
    assert_eq!(get("c2_non_responder", "rr").refund_units, 1.5);
    assert_eq!(get("c9_misread_long_treatment", "rr").refund_units, 2.0);
    // Scans every 8 weeks; the cycle at 1176 days is cycle 56: 56 cycles paid.
    assert_eq!(get("c5_long_responder", "list_admin").n, 56);
    // Toxicity stop at 100 days: 5 cycles; the cap binds, so the refund is 20,000 at 224 days.
    let h = get("c6_toxicity_stop_cap", "mb_cap_binds");
    assert_eq!(h.refund_units, 5.0);
    assert!((h.refunded - 20000.0 * d(RC, 15.0 * DAY + 224.0 * DAY)).abs() < 1e-9);
    // 15 days + 21 k days < 10 years: k ≤ 173.
    assert_eq!(get("c7_beyond_horizon", "list_admin").n, 174);
    // Death at 2.5 years: instalments at 0, 1, 2 years paid (3 × 70,000).
    let h = get("k2_death_between_instalments", "inst_k");
    let want: f64 = (0..3).map(|i| 70000.0 * d(RC, i as f64)).sum();
    assert!((h.paid - want).abs() < 1e-9);
}

/// README vs code: for instalments, tracking ends at "the last instalment date", and scans are
/// charged "before death and the horizon". When the last instalment falls at or after the
/// horizon the code stops tracking at the last instalment *before* the horizon, so scans between
/// that date and the horizon are not charged. See the report.
#[test]
fn instalment_tracking_runs_to_the_last_instalment_date() {
    let s = load(HAND, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let contracts = hand_contracts();
    let ci = contracts.iter().position(|c| c.name == "inst_k").unwrap();
    // Treated at 7.45 years; instalments at 7.45, 8.45, 9.45 (paid), 10.45, 11.45 (after H).
    let rec = record(2, 7.45, INF, 20.0, INF, true);
    let want = hand(&contracts[ci], &rec, true);
    let x = hand_exposure(&prep, &rec, want.n, true);
    let got = cash(&prep.contracts[ci], &x, prep.regimens[2].assessment, &[]);
    close(got.paid, want.paid, want.paid, "paid");
    close(got.admin, want.admin, want.admin, "admin: scans to the horizon");
}

/// `Exposure::list` (the whole list stream's present value, taken once per drug and patient)
/// is `stream(0, n)` to the bit, for every regimen's drug, from no cycle to past the
/// precomputed table, at a treatment start inside and at the horizon.
#[test]
fn the_list_stream_is_the_stream_from_cycle_zero() {
    let s = load(HAND, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let mut compared = 0;
    // The hand scenario's contracted regimens (1 and 2; 0 is the comparator).
    for regimen in [1, 2] {
        for t0 in [0.0, 15.0 * DAY, 3.7, 9.999] {
            let rec = record(regimen, t0, INF, 20.0, INF, true);
            for n in [0, 1, 2, 7, 130, 5_000, 2_000_000] {
                let x = hand_exposure(&prep, &rec, n, true);
                let (list, stream) = (x.list(), x.stream(0, n));
                assert_eq!(list.0.to_bits(), stream.0.to_bits(), "regimen {regimen} t0 {t0} n {n}");
                assert_eq!(list.1.to_bits(), stream.1.to_bits(), "regimen {regimen} t0 {t0} n {n}");
                compared += 1;
            }
        }
    }
    assert!(compared >= 28);
}

/// README vs code: "Every kind also takes documentation_error (probability that a failure is
/// never recorded: the patient is then paid as a success …)". Instalments ignore it: an
/// undocumented progression still stops `alive_progression_free` instalments. See the report.
#[test]
fn undocumented_failure_keeps_instalments_paid() {
    let s = load(HAND, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let contracts = hand_contracts();
    let ci = contracts.iter().position(|c| c.name == "inst_k_pf").unwrap();
    let rec = record(2, 0.0, 0.03, 0.9, INF, false);
    let x = hand_exposure(&prep, &rec, 1, false);
    let got = cash(&prep.contracts[ci], &x, prep.regimens[2].assessment, &[]);
    // Progression detected at 1 month, death at 0.9 years. Paid as a success, the undocumented
    // progression must not stop the parts at 0 and 6 months (whether the part at 12 months,
    // after death, is due is left open: death is observed at once).
    let want: f64 = (0..2).map(|i| 350000.0 / 3.0 * d(RC, i as f64 * 0.5)).sum();
    assert!(got.paid >= want * (1.0 - 1e-12), "paid {} < {}", got.paid, want);
}

// ---------------------------------------------------------------------------------------------
// 2. Outcome observation
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// 3. Invariants over random scenario variants
// ---------------------------------------------------------------------------------------------

/// SplitMix64, for choosing scenario variants.
struct Pick(u64);

impl Pick {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn of<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Family {
    /// Only ever lowers what the payer pays (money_back, response_rebate, discount, cap).
    RebateOnly,
    /// Payments moved later or withheld (payment_at_result, instalments).
    Deferred,
    ListNoAdmin,
    ListAdmin,
}

/// The scenario variants' common structure; each variant gives its values with --set.
const VARIANT: &str = "contracts/variant.toml";

struct Variant {
    /// The --set arguments over VARIANT: the drawn values, then the contracts.
    sets: Vec<String>,
    families: Vec<Family>,
    /// The contracts (inline tables) and their names, so one can be changed.
    contracts: Vec<String>,
    names: Vec<String>,
    /// The --set arguments of the drawn values alone.
    head: Vec<String>,
}

/// A contract on drug x as an inline table: its fields (`name = …, kind = …`, then optional
/// fragments that each start with ", ").
fn on_x(fields: String) -> String {
    format!("{{ drug = \"x\", {fields} }}")
}

/// The --set arguments of a variant: its drawn values, then its contracts appended by name.
fn with_contracts(head: &[String], contracts: &[String]) -> Vec<String> {
    let mut sets = head.to_vec();
    sets.push(format!("contracts = [{}]", contracts.join(", ")));
    sets
}

fn variant(seed: u64) -> Variant {
    let mut r = Pick(seed.wrapping_mul(0xA24B_AED4_963E_E407) ^ 0x1234_5678);
    let horizon = r.of(&["3 years", "5 years", "10 years", "20 years"]);
    let rc = r.of(&["0", "0.035", "0.06"]);
    let manufacturer = r.of(&["", ", manufacturer = 0.08", ", manufacturer = 0"]);
    let turnaround = r.of(&["10 days", "30 days"]);
    let cycle = r.of(&["7 days", "14 days", "21 days", "28 days"]);
    let limits =
        r.of(&["", ", max_cycles = 6", ", max_cycles = 17", ", max_duration = \"1 year\""]);
    let assessment = r.of(&[
        "",
        "assessment = \"6 weeks\"",
        "assessment = \"8 weeks\"",
        "assessment = \"12 weeks\"",
    ]);
    let error = r.of(&["", "response_error = { false_positive = 0.1, false_negative = 0.15 }"]);
    let stop =
        r.of(&["", "discontinuation = { dist = \"exponential\", rate = \"0.05 per month\" }"]);
    let pr = r.range(0.02, 0.15);
    let pn = r.range(0.1, 0.5);
    let dd = r.range(0.005, 0.05);
    let resp = r.range(0.2, 0.8);
    let mut head = vec![
        format!("scenario.horizon = \"{horizon}\""),
        format!("scenario.discount = {{ costs = {rc}, outcomes = 0.015{manufacturer} }}"),
        format!("scenario.seed = {seed}"),
        format!("tests.ngs.turnaround = \"{turnaround}\""),
        format!("regimens.targeted.drugs = [{{ name = \"x\", cycle = \"{cycle}\"{limits} }}]"),
        format!("regimens.targeted.response = {{ M = {resp}, otherwise = 0.1 }}"),
        format!(
            "regimens.targeted.progression = {{ responder = {{ dist = \"exponential\", rate = \"{pr} per month\" }}, non_responder = {{ dist = \"exponential\", rate = \"{pn} per month\" }} }}"
        ),
        format!(
            "regimens.targeted.death_before_progression = {{ dist = \"exponential\", rate = \"{dd} per month\" }}"
        ),
    ];
    // The regimen's optional lines, when drawn.
    for line in [assessment, error, stop] {
        if !line.is_empty() {
            head.push(format!("regimens.targeted.{line}"));
        }
    }
    let mut contracts = Vec::new();
    let mut families = Vec::new();
    let doc = |r: &mut Pick| {
        if r.unit() < 0.5 {
            format!(", documentation_error = {}", r.range(0.0, 0.5))
        } else {
            String::new()
        }
    };
    let admin = |r: &mut Pick| {
        if r.unit() < 0.5 {
            format!(
                ", admin = {{ per_patient = {}, per_assessment = {} }}",
                r.range(0.0, 900.0),
                r.range(0.0, 90.0)
            )
        } else {
            String::new()
        }
    };
    contracts.push(on_x("name = \"plain\", kind = \"list\"".to_string()));
    families.push(Family::ListNoAdmin);
    contracts.push(on_x(format!(
        "name = \"tracked\", kind = \"list\", admin = {{ per_patient = 700, per_assessment = 45 }}{}",
        doc(&mut r)
    )));
    families.push(Family::ListAdmin);
    let window = |r: &mut Pick| {
        let from = r.of(&["", ", from = \"1 month\"", ", from = \"42 days\""]);
        let until = r.of(&["", ", until = \"6 months\"", ", until = \"1 year\""]);
        format!("{from}{until}")
    };
    contracts.push(on_x(format!(
        "name = \"disc\", kind = \"discount\", discount = {}{}{}",
        r.range(0.0, 0.6),
        window(&mut r),
        admin(&mut r)
    )));
    families.push(Family::RebateOnly);
    for i in 0..2 {
        let failure = r.of(&["progression", "death", "progression_or_death"]);
        let w = r.of(&["3 months", "6 months", "1 year", "2 years"]);
        let cap = if r.unit() < 0.4 {
            format!(", cap = {}", r.range(0.0, 60000.0))
        } else {
            String::new()
        };
        contracts.push(on_x(format!(
            "name = \"mb{i}\", kind = \"money_back\", failure = \"{failure}\", window = \"{w}\", refund = {}{cap}{}{}",
            r.range(0.1, 1.0),
            doc(&mut r),
            admin(&mut r)
        )));
        families.push(Family::RebateOnly);
    }
    let at = r.of(&["1 month", "8 weeks", "12 weeks", "6 months"]);
    contracts.push(on_x(format!(
        "name = \"rr\", kind = \"response_rebate\", assess_at = \"{at}\", refund = {}{}{}",
        r.range(0.1, 1.0),
        doc(&mut r),
        admin(&mut r)
    )));
    families.push(Family::RebateOnly);
    let cap = r.of(&[
        "max_paid = \"4 months\"",
        "max_paid = \"1 year\"",
        "max_cycles = 3",
        "max_cycles = 10",
    ]);
    contracts
        .push(on_x(format!("name = \"dcap\", kind = \"duration_cap\", {cap}{}", admin(&mut r))));
    families.push(Family::RebateOnly);
    let at = r.of(&["1 month", "3 months", "6 months"]);
    contracts.push(on_x(format!(
        "name = \"par\", kind = \"payment_at_result\", assess_at = \"{at}\"{}{}",
        doc(&mut r),
        admin(&mut r)
    )));
    families.push(Family::Deferred);
    let count = 1 + r.next() % 6;
    let interval = r.of(&["1 month", "6 months", "1 year"]);
    let condition = r.of(&["alive", "alive_progression_free"]);
    contracts.push(on_x(format!(
        "name = \"inst\", kind = \"instalments\", instalments = {count}, interval = \"{interval}\", condition = \"{condition}\"{}",
        admin(&mut r)
    )));
    families.push(Family::Deferred);
    let names = ["plain", "tracked", "disc", "mb0", "mb1", "rr", "dcap", "par", "inst"];
    let names = names.map(String::from).to_vec();
    let sets = with_contracts(&head, &contracts);
    Variant { sets, families, contracts, names, head }
}

/// The list-arm index of a strategy.
fn list_arm(sim: &Simulation, strategy: usize) -> usize {
    sim.arms.iter().position(|a| a.strategy == strategy && a.contract.is_none()).unwrap()
}

const VARIANTS: u64 = 40;

#[test]
fn contract_arms_share_outcomes_and_never_cost_more_than_list() {
    for seed in 0..VARIANTS {
        let v = variant(seed);
        let (s, sim) = simulate(VARIANT, &v.sets, &RunOptions::default());
        let admin_cat = s.model.categories().iter().position(|c| c == "contract_admin").unwrap();
        let mut seen = 0;
        for (i, arm) in sim.arms.iter().enumerate() {
            let Some(c) = arm.contract else { continue };
            let what = format!("variant {seed}, arm {i} ({})", s.model.contracts[c].name);
            let (row, list) = (&sim.summary[i], &sim.summary[list_arm(&sim, arm.strategy)]);
            // Same patients, same health: identical QALYs and LYs, to the bit.
            assert_eq!(row.qaly.mean.to_bits(), list.qaly.mean.to_bits(), "{what}");
            assert_eq!(row.ly.mean.to_bits(), list.ly.mean.to_bits(), "{what}");
            assert_eq!(
                row.ly_undiscounted.mean.to_bits(),
                list.ly_undiscounted.mean.to_bits(),
                "{what}"
            );
            assert_eq!(row.inc_qaly.mean.to_bits(), list.inc_qaly.mean.to_bits(), "{what}");
            let k = sim.contracts.iter().find(|k| k.arm == i).unwrap();
            let slack = 1e-9 * k.list_spend.max(1.0);
            match v.families[c] {
                Family::RebateOnly | Family::Deferred => {
                    // Aggregate: never more than list, in drug spend and in total cost net of
                    // the contract's own administration.
                    assert!(k.contract_spend <= k.list_spend + slack, "{what}: {k:?}");
                    assert!(
                        row.cost.mean - row.categories[admin_cat] <= list.cost.mean + slack,
                        "{what}"
                    );
                    assert!(k.refunds <= k.paid + slack, "{what}: {k:?}");
                }
                Family::ListNoAdmin => {
                    assert_eq!(row.cost.mean.to_bits(), list.cost.mean.to_bits(), "{what}");
                    assert_eq!(row.inc_cost.mean.to_bits(), list.inc_cost.mean.to_bits(), "{what}");
                    assert_eq!(
                        format!("{:?}", row.categories),
                        format!("{:?}", list.categories),
                        "{what}"
                    );
                    assert_eq!(format!("{:?}", row.nmb), format!("{:?}", list.nmb), "{what}");
                    assert_eq!(k.paid.to_bits(), k.list_spend.to_bits(), "{what}");
                    assert_eq!(k.refunds, 0.0);
                    assert_eq!(k.admin, 0.0);
                    assert_eq!(k.triggered_share.unwrap_or(0.0), 0.0);
                }
                Family::ListAdmin => {
                    assert_eq!(k.paid.to_bits(), k.list_spend.to_bits(), "{what}");
                    let extra = row.cost.mean - list.cost.mean;
                    assert!(
                        (extra - k.admin).abs() <= 1e-9 * k.admin.max(1.0),
                        "{what}: {extra} vs {}",
                        k.admin
                    );
                }
            }
            seen += 1;
        }
        assert_eq!(seen, 2 * v.families.len(), "variant {seed}: two strategies give x");
    }
}

/// The engine's contract columns are the per-patient settlements (`cash`) summed over the same
/// patients the public patient API produces; and per patient, refunds never exceed payments and
/// a rebate-only contract never costs more than list, documented or not.
#[test]
fn per_patient_settlements_refunds_bounded_and_summed_by_the_engine() {
    for seed in 0..VARIANTS / 2 {
        let v = variant(seed);
        let options = RunOptions { patients: Some(1200), ..RunOptions::default() };
        let (s, sim) = simulate(VARIANT, &v.sets, &options);
        let prep = Prepared::new(&s.model, &s.model.values).unwrap();
        let key = SampleKey::new(s.model.meta.seed, 0);
        let line_processes = LineProcesses::new(FIRST_LINE);
        let arms = sim.arms.len();
        // Per arm: treated, triggered, paid, refunded, admin, manufacturer net.
        let mut totals = vec![(0u64, 0u64, 0.0, 0.0, 0.0, 0.0); arms];
        // Per arm: list spend, Σ net, Σ net² (net = paid − refunded per settled patient).
        let mut spread = vec![(0.0, 0.0, 0.0); arms];
        for i in 0..sim.patients {
            let pk = key.patient(i);
            let status = biomarker_status(&prep, pk);
            let line = LineDraws::new(pk, &line_processes);
            for (a, arm) in sim.arms.iter().enumerate() {
                let Some(ci) = arm.contract else { continue };
                let rec = simulate_patient(&prep, pk, &Tumour::single(status), &line, arm.strategy);
                // A national payer covers the patient to the horizon.
                assert_eq!(rec.coverage_end, prep.horizon);
                let contract = &prep.contracts[ci];
                let reg = &prep.regimens[rec.regimen];
                let Some(drug) = reg.drugs.iter().find(|d| d.drug == contract.drug) else {
                    continue;
                };
                if !rec.treated || rec.start >= prep.horizon {
                    continue;
                }
                let end = rec.treatment_end.min(prep.horizon);
                let n = cycles_before(
                    rec.start,
                    end,
                    drug.schedule,
                    drug.max_cycles,
                    drug.max_duration,
                );
                let ex = |documented| Exposure {
                    rec: &rec,
                    drug,
                    n,
                    horizon: prep.horizon,
                    refund_horizon: prep.horizon,
                    payer: &prep.costs,
                    manufacturer: &prep.manufacturer,
                    payer_start: prep.costs.factor(rec.start),
                    manufacturer_start: prep.manufacturer.factor(rec.start),
                    documented,
                    placement: Default::default(),
                };
                let list_pv = drug.price * ex(true).stream(0, n).0;
                for documented in [true, false] {
                    let x = ex(documented);
                    let got = cash(contract, &x, reg.assessment, &[]);
                    let eps = 1e-9 * list_pv.max(1.0);
                    let what =
                        format!("variant {seed}, patient {i}, arm {a}, documented {documented}");
                    assert!(got.refunded <= got.paid + eps, "{what}: {got:?}");
                    assert!(
                        got.paid - got.refunded <= list_pv + eps,
                        "{what}: {got:?} list {list_pv}"
                    );
                    assert!(got.paid >= -eps && got.refunded >= 0.0 && got.admin >= 0.0, "{what}");
                    assert!(got.manufacturer_net >= -eps, "{what}: {got:?}");
                    let settled = settle(&contract.kind, &x, &[]);
                    assert!(settled.refund <= n as f64 + 1e-9, "{what}: refund beyond paid cycles");
                }
                let documented = contract.documentation_error == 0.0
                    || pk.uniform(contract.process, 0) >= contract.documentation_error;
                let got = cash(contract, &ex(documented), reg.assessment, &[]);
                let t = &mut totals[a];
                t.0 += 1;
                t.1 += u64::from(got.triggered);
                t.2 += got.paid;
                t.3 += got.refunded;
                t.4 += got.admin;
                t.5 += got.manufacturer_net;
                let net = got.paid - got.refunded;
                let sp = &mut spread[a];
                sp.0 += list_pv;
                sp.1 += net;
                sp.2 += net * net;
            }
        }
        let n = sim.patients as f64;
        for k in &sim.contracts {
            let t = totals[k.arm];
            let what = format!("variant {seed}, arm {}", k.arm);
            let rel = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
            assert!(rel(k.treated_share, t.0 as f64 / n), "{what}: treated");
            if t.0 > 0 {
                assert!(
                    rel(k.triggered_share.unwrap(), t.1 as f64 / t.0 as f64),
                    "{what}: triggered"
                );
            }
            assert!(rel(k.paid, t.2 / n), "{what}: paid {} vs {}", k.paid, t.2 / n);
            assert!(rel(k.refunds, t.3 / n), "{what}: refunds");
            assert!(rel(k.admin, t.4 / n), "{what}: admin");
            assert!(rel(k.manufacturer_net_revenue, t.5 / n), "{what}: manufacturer");
            let (list, net, net2) = spread[k.arm];
            assert!(rel(k.list_spend, list / n), "{what}: list spend");
            assert!(rel(k.contract_spend, net / n), "{what}: contract spend");
            if list > 0.0 {
                let e = k.effective_discount.unwrap();
                assert!((e - (1.0 - net / list)).abs() <= 1e-9, "{what}: effective discount");
            }
            if t.0 > 1 {
                let treated = t.0 as f64;
                let mean = net / treated;
                let sd = ((net2 - treated * mean * mean) / (treated - 1.0)).max(0.0).sqrt();
                assert!(rel(k.spend_per_treated.unwrap(), mean), "{what}: spend per treated");
                let got = k.spend_per_treated_sd.unwrap();
                assert!((got - sd).abs() <= 1e-6 * mean.abs().max(1.0), "{what}: sd {got} vs {sd}");
            }
        }
    }
}

#[test]
fn changing_one_contract_moves_no_other_arm() {
    for seed in 0..VARIANTS / 2 {
        let v = variant(seed);
        let (_, before) = simulate(VARIANT, &v.sets, &RunOptions::default());
        let changed = (seed as usize * 7 + 3) % v.contracts.len();
        let mut contracts = v.contracts.clone();
        // Different terms, documentation error and administration for that contract only.
        contracts[changed] = match v.families[changed] {
            Family::ListNoAdmin | Family::ListAdmin => on_x(format!(
                "name = \"{}\", kind = \"discount\", discount = 0.37, documentation_error = 0.3, admin = {{ per_patient = 11 }}",
                if v.families[changed] == Family::ListNoAdmin { "plain" } else { "tracked" }
            )),
            _ => {
                let name = &v.names[changed];
                on_x(format!(
                    "name = \"{name}\", kind = \"money_back\", window = \"5 months\", refund = 0.9, documentation_error = 0.2, admin = {{ per_assessment = 13 }}"
                ))
            }
        };
        let sets = with_contracts(&v.head, &contracts);
        let (_, after) = simulate(VARIANT, &sets, &RunOptions::default());
        assert_eq!(before.arms, after.arms);
        let mut moved = false;
        for (i, arm) in before.arms.iter().enumerate() {
            let (a, b) = (format!("{:?}", before.summary[i]), format!("{:?}", after.summary[i]));
            if arm.contract == Some(changed) {
                moved |= a != b;
                continue;
            }
            // Other arms' rows are bit-identical, apart from the changed contract's own rebate
            // category, which they hold as zeros either way.
            assert_eq!(a, b, "variant {seed}: arm {i} moved when contract {changed} changed");
        }
        assert!(moved, "variant {seed}: the changed contract's arms did not move");
        for (k, l) in before.contracts.iter().zip(&after.contracts) {
            if k.contract != changed {
                assert_eq!(format!("{k:?}"), format!("{l:?}"), "variant {seed}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Monte Carlo against closed forms (exponential model)
// ---------------------------------------------------------------------------------------------

const MC_PATIENTS: u64 = 200_000;

/// One exponential regimen read with errors, under two money-back contracts (one with a
/// documentation error) and a response rebate.
const MC: &str = "contracts/mc.toml";

/// ∫_a^b f by composite Simpson.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, panels: usize) -> f64 {
    let h = (b - a) / panels as f64;
    let mut s = f(a) + f(b);
    for i in 1..panels {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

#[test]
fn money_back_and_response_rebate_match_closed_forms() {
    let (_, sim) = simulate(MC, &[], &RunOptions::default());
    assert_eq!(sim.patients, MC_PATIENTS);
    let (a, c, w, tau, phi) = (5000.0, 21.0 * DAY, 0.5, 12.0 * WEEK, 0.5);
    let rho = 1.035f64.ln();
    let (p, fp, fnr) = (0.4, 0.1, 0.2);
    let ld = 0.03 * 12.0;
    // (weight, rate of F = min(T_p, T_d), probability of being read as a responder)
    let groups = [(p, 0.08 * 12.0 + ld, 1.0 - fnr), (1.0 - p, 0.3 * 12.0 + ld, fp)];
    // Money back: refund A·m(F)·d(F) if F < W, m(F) = ⌈F/c⌉ cycles paid before F.
    let (mut e1, mut e2) = (0.0, 0.0);
    for &(wg, l, _) in &groups {
        let mut j = 1;
        while (j - 1) as f64 * c < w {
            let (lo, hi) = ((j - 1) as f64 * c, (j as f64 * c).min(w));
            let m = j as f64;
            let dens = |f: f64| l * (-l * f).exp();
            e1 += wg * simpson(|f| a * m * (-rho * f).exp() * dens(f), lo, hi, 200);
            e2 += wg * simpson(|f| (a * m).powi(2) * (-2.0 * rho * f).exp() * dens(f), lo, hi, 200);
            // The same piece in closed form.
            let exact =
                wg * a * m * l / (l + rho) * ((-(l + rho) * lo).exp() - (-(l + rho) * hi).exp());
            let num = wg * simpson(|f| a * m * (-rho * f).exp() * dens(f), lo, hi, 200);
            assert!((num - exact).abs() < 1e-9 * exact.abs().max(1e-300));
            j += 1;
        }
    }
    let nf = MC_PATIENTS as f64;
    let check = |name: &str, got: f64, mean: f64, second: f64| {
        let se = ((second - mean * mean) / nf).sqrt();
        let z = (got - mean) / se;
        assert!(z.abs() < 4.0, "{name}: simulated {got} vs expected {mean} (se {se}, z {z:.2})");
        eprintln!("{name}: simulated {got:.4} expected {mean:.4} z {z:.2}");
    };
    let row = |name: &str| {
        let ci = ["mb", "mb_doc", "rr"].iter().position(|n| *n == name).unwrap();
        sim.contracts.iter().find(|k| k.contract == ci).unwrap()
    };
    assert_eq!(row("mb").treated_share, 1.0);
    check("money_back", row("mb").refunds, e1, e2);
    // An undocumented failure (25 %, independent of the outcome) is paid as a success.
    check("money_back with documentation error", row("mb_doc").refunds, 0.75 * e1, 0.75 * e2);
    // Response rebate at τ = 12 weeks: failure unless read as a responder and F > τ; refund
    // φ·A·m·d(τ) with m = min(M, ⌈F/c⌉) cycles given before τ (M = 4: cycle 4 starts at τ).
    let big_m = 4;
    let (mut r1, mut r2) = (0.0, 0.0);
    for &(wg, l, read) in &groups {
        let (mut em, mut em2) = (0.0, 0.0);
        for j in 1..=big_m {
            let lo = (j - 1) as f64 * c;
            let pj = if j < big_m {
                (-l * lo).exp() - (-l * j as f64 * c).exp()
            } else {
                (-l * lo).exp()
            };
            em += j as f64 * pj;
            em2 += (j * j) as f64 * pj;
        }
        let survive = (-l * tau).exp();
        let mf = big_m as f64;
        r1 += wg * (em - read * mf * survive);
        r2 += wg * (em2 - read * mf * mf * survive);
    }
    let unit = phi * a * (-rho * tau).exp();
    check("response_rebate", row("rr").refunds, unit * r1, unit * unit * r2);
    // The share who trigger the response rebate: 1 − P(read as a responder, F > τ).
    let fail: f64 = groups.iter().map(|&(wg, l, read)| wg * (1.0 - read * (-l * tau).exp())).sum();
    let got = row("rr").triggered_share.unwrap();
    let se = (fail * (1.0 - fail) / nf).sqrt();
    assert!(((got - fail) / se).abs() < 4.0, "rr trigger share {got} vs {fail}");
}

// ---------------------------------------------------------------------------------------------
// 5. Threshold price
// ---------------------------------------------------------------------------------------------

/// Three strategies and one contract of every per-patient kind on drug x, 9,000.0 per cycle;
/// `vbp(price, comparator)` gives another price and comparator with --set.
const VBP: &str = "contracts/vbp.toml";

fn vbp(price: f64, comparator: &str) -> Vec<String> {
    vec![
        format!("regimens.targeted.drugs.x.price = {price:?}"),
        format!("scenario.comparator = \"{comparator}\""),
    ]
}

#[test]
fn threshold_price_gives_the_threshold_icer() {
    let thresholds = [50000.0, 150000.0];
    let mut checked = 0;
    for comparator in ["chemo", "test_treat"] {
        let (s, sim) = simulate(VBP, &vbp(9000.0, comparator), &RunOptions::default());
        let comp = s.model.strategies.iter().position(|st| st.name == comparator).unwrap();
        for k in &sim.contracts {
            let name = &s.model.contracts[k.contract].name;
            let arm = sim.arms[k.arm];
            if arm.strategy == comp {
                continue; // against its own list arm: no QALY difference
            }
            for (li, &lambda) in thresholds.iter().enumerate() {
                let price = k.threshold_price[li].price().unwrap_or_else(|| {
                    panic!("{comparator}: {name}: no threshold price at {lambda}")
                });
                assert!(price > 0.0, "{comparator}: {name}: threshold price {price} at {lambda}");
                let (_, again) = simulate(VBP, &vbp(price, comparator), &RunOptions::default());
                assert_eq!(again.arms, sim.arms);
                let row = &again.summary[k.arm];
                let icer =
                    row.icer.unwrap_or_else(|| panic!("{comparator}: {name}: no ICER at {price}"));
                assert!(
                    (icer - lambda).abs() <= 1e-6 * lambda,
                    "{comparator}: {name} at price {price}: ICER {icer} vs λ {lambda}"
                );
                // Same patients: QALYs do not depend on the price.
                assert_eq!(row.inc_qaly.mean, sim.summary[k.arm].inc_qaly.mean);
                checked += 1;
            }
        }
    }
    assert!(checked >= 2 * 2 * 8, "{checked}");
}

/// A contracted drug needs one list price (regression: with two prices the threshold price
/// depended on the order of the regimens). Two prices are refused with the location.
#[test]
fn a_contracted_drug_with_two_prices_is_refused() {
    // Drug x added to the chemotherapy regimen's drugs (appended by name).
    let sets = [
        r#"regimens.chemo.drugs = [{ name = "x", price = 100, cycle = "7 days", max_cycles = 2 }]"#
            .to_string(),
    ];
    let loaded = try_load(VBP, &sets);
    let text = layered_text(&loaded);
    assert!(text.contains(r#"{ name = "x", price = 100"#), "the edit applied");
    let err = match loaded {
        Ok(_) => panic!("a contracted drug with two prices must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("a contracted drug needs one list price"), "{err}");
}

/// A failure found by the scan on the window's last day is not before the window, whatever the
/// rounding of the two dates (regression: "12 weeks" and "84 days" gave different refunds with
/// 4-weekly scans).
#[test]
fn window_ends_are_the_same_however_they_are_written() {
    // Scans every 4 weeks; a money-back window and a response rebate's date of 12 weeks.
    let fixture = "contracts/window_ends.toml";
    let (_, weeks) = simulate(fixture, &[], &RunOptions::default());
    let days = [
        "contracts.mb_w.window = \"84 days\"".to_string(),
        "contracts.rr_w.assess_at = \"84 days\"".to_string(),
    ];
    let (_, days) = simulate(fixture, &days, &RunOptions::default());
    assert!(weeks.contracts.len() >= 2);
    for (a, b) in weeks.contracts.iter().zip(&days.contracts) {
        assert_eq!(a.refunds, b.refunds);
        assert_eq!(a.triggered_share, b.triggered_share);
    }
}
