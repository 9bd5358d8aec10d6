//! Instalments: each cycle's price (for a one-off therapy, the one price) is paid in `count`
//! equal parts at its start and every `interval` after, each only if the patient is alive (and,
//! if so agreed, progression-free as detected) on that date. Parts falling at or after the
//! horizon (or the end of a commercial payer's coverage) are not this payer's. An undocumented
//! failure (documentation error) is paid as a success.
//!
//! In closed form: the i-th part of cycle k falls at t_k + i·interval and is paid iff it falls
//! before the end of the condition (death, or detected progression) and the horizon, i.e. for
//! the first m_i cycles; its value is d(t0 + i·interval)·Σ_{k<m_i} qᵏ.
use super::{Exposure, Settlement};
use crate::accounting::discount::Steps;
use crate::accounting::discount::{count_f64, cycles_before, first_cycle_before};

/// What must hold on an instalment's date for it to be paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    Alive,
    AliveProgressionFree,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Terms<V> {
    /// Parts per price.
    pub count: u64,
    pub interval: V,
    pub condition: Condition,
    /// d(interval) at the payer's and the manufacturer's rates, set when the terms are prepared
    /// ([`super::Kind::rediscount`]; (1, 1) before): the i-th part's factor is
    /// d(t0)·d(interval)^i, the same as d(t0 + i·interval) to a few units in the last place,
    /// without an `exp` per part.
    pub steps: Steps,
}

impl<V> Terms<V> {
    pub fn map<W>(&self, f: &impl Fn(&V) -> W) -> Terms<W> {
        Terms {
            count: self.count,
            interval: f(&self.interval),
            condition: self.condition,
            steps: self.steps,
        }
    }
}

pub fn settle(t: &Terms<f64>, x: &Exposure<'_>) -> Settlement {
    let (count, interval, condition, steps) = (t.count, t.interval, t.condition, t.steps);
    let rec = x.rec;
    let share = 1.0 / count_f64(count);
    // An undocumented failure is paid as a success: every part within coverage is paid.
    let holds_until = match condition {
        _ if !x.documented => f64::INFINITY,
        Condition::Alive => rec.death,
        Condition::AliveProgressionFree => rec.death.min(rec.detected_progression),
    };
    let mut s = Settlement::default();
    let cycle = x.drug.cycle;
    let (mut payer, mut manufacturer) = (x.payer_start, x.manufacturer_start);
    if x.n == 1 {
        // A one-off therapy (one paid cycle): part i is due if it falls before the horizon and
        // paid if also before the condition ends. The general loop below with Σ_{k<1} qᵏ = 1,
        // without its cycle counts (this contract is made for such therapies).
        let schedule = x.drug.schedule;
        let paid_until = holds_until.min(x.horizon);
        for i in 0..count {
            let first = rec.start + count_f64(i) * interval;
            if first >= x.horizon || !first_cycle_before(first, x.horizon, schedule) {
                break;
            }
            if !first_cycle_before(first, paid_until, schedule) {
                s.triggered = true;
                break;
            }
            s.paid.0 += share * payer;
            s.paid.1 += share * manufacturer;
            payer *= steps.0;
            manufacturer *= steps.1;
        }
        s.tracked_until = rec.start + count_f64(count - 1) * interval;
        return s;
    }
    for i in 0..count {
        let first = rec.start + count_f64(i) * interval;
        if first >= x.horizon {
            break;
        }
        // Cycles whose i-th part falls before the horizon, and of those, before the condition
        // ends (capping the count at n inside is the same as after, and cheaper).
        let due = cycles_before(first, x.horizon, x.drug.schedule, x.n, f64::INFINITY);
        let paid =
            cycles_before(first, holds_until.min(x.horizon), x.drug.schedule, due, f64::INFINITY);
        if paid < due {
            s.triggered = true;
        }
        if paid == 0 {
            // Later parts fall later still: none of them is paid, and whether the contract
            // was triggered is already known (a later part due means this one was due).
            break;
        }
        s.paid.0 += share * payer * x.drug.cycle_sums.get(paid);
        s.paid.1 += share * manufacturer * x.drug.manufacturer_cycle_sums.get(paid);
        payer *= steps.0;
        manufacturer *= steps.1;
    }
    // Tracking runs to the last instalment date, even past the horizon (scans are cut there).
    s.tracked_until =
        rec.start + count_f64(x.n.max(1) - 1) * cycle + count_f64(count - 1) * interval;
    s
}
