#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(t < limit)` also rejects NaN, as in the library.
//! The hand computation: every contract kind's terms as the docs state them, the drugs and
//! patient records of the hand fixture, and the docs' rule table applied by hand to one
//! record (explicit loops over cycles and (1+r)^−t factors).

use super::{DAY, INF, MONTH, WEEK, d};
use vbpsim::accounting::record::PatientRecord;

/// docs: "a cycle start within 1e-9 cycle lengths of such a limit counts as at the limit".
const TOL: f64 = 1e-9;

/// Every contract kind on the targeted drug x and on the one-off CAR-T k.
pub(super) const HAND: &str = "contracts/hand.toml";

const H: f64 = 10.0;
pub(super) const RC: f64 = 0.035;
pub(super) const RM: f64 = 0.08;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fail {
    Progression,
    Death,
    Either,
}

/// The contract terms as the docs state them (durations in years from treatment start).
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

pub(super) struct HandContract {
    pub(super) name: &'static str,
    /// Regimen of the contracted drug in the HAND fixture (1 = targeted/x, 2 = cart/k).
    pub(super) regimen: usize,
    terms: Terms,
    per_patient: f64,
    per_assessment: f64,
}

pub(super) fn hand_contracts() -> Vec<HandContract> {
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
pub(super) fn hand_drug(regimen: usize) -> (f64, f64, u64, f64) {
    match regimen {
        1 => (9000.0, 21.0 * DAY, u64::MAX, 8.0 * WEEK),
        2 => (350000.0, 28.0 * DAY, 1, MONTH),
        _ => unreachable!(),
    }
}

/// Detected progression by the docs: P_d = t0 + ⌈(P − t0)/s⌉·s, never if death comes first.
fn detect(t0: f64, p: f64, s: f64, death: f64) -> f64 {
    if !p.is_finite() {
        return INF;
    }
    let pd = t0 + ((p - t0) / s).ceil().max(1.0) * s;
    if pd < death { pd } else { INF }
}

/// A treated patient's record with every time absolute (years from diagnosis).
pub(super) fn record(
    regimen: usize,
    t0: f64,
    p: f64,
    death: f64,
    stop: f64,
    observed: bool,
) -> PatientRecord {
    let s = hand_drug(regimen).3;
    let pd = detect(t0, p, s, death);
    PatientRecord {
        regimen,
        course_regimen: regimen,
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
        walker: Default::default(),
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
pub(super) struct Hand {
    pub(super) n: u64,
    pub(super) paid: f64,
    pub(super) refunded: f64,
    pub(super) admin: f64,
    pub(super) manufacturer: f64,
    pub(super) units: f64,
    pub(super) triggered: bool,
    /// Undiscounted refund per unit of price, before the cap.
    pub(super) refund_units: f64,
    pub(super) tracked_until: f64,
}

/// The docs' rule table, by hand: one match over the kinds, long but read best whole.
pub(super) fn hand(c: &HandContract, rec: &PatientRecord, documented: bool) -> Hand {
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
            // docs: an undocumented failure is paid as a success, so every part is paid.
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
            // docs: tracking ends at the last instalment date.
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

pub(super) fn close(got: f64, want: f64, scale: f64, what: &str) {
    let tol = 1e-12 * scale.abs().max(want.abs()).max(1e-300);
    assert!((got - want).abs() <= tol, "{what}: code {got} vs hand {want} (diff {})", got - want);
}
