//! Payment at result: cycles starting before `assess_at` are not paid when given; at
//! `assess_at` their list price is paid in one sum if the patient is then a success (read as a
//! responder, no detected progression, alive) or a failure that was not documented. Later
//! cycles are paid as list.
use super::{Exposure, Settlement};
use crate::accounting::discount::Steps;
use crate::accounting::discount::count_f64;

pub fn settle(assess_at: f64, steps: Steps, x: &Exposure<'_>) -> Settlement {
    let at = x.rec.start + assess_at;
    let deferred = x.paid_within(assess_at);
    let later = x.stream(deferred, x.n);
    let success = x.success_at(at) || !x.documented;
    let mut s = Settlement {
        paid: later,
        triggered: !success && deferred > 0,
        tracked_until: at,
        ..Settlement::default()
    };
    if success {
        let (p, m) = x.lump_after(assess_at, steps);
        let parts = count_f64(deferred);
        s.paid.0 += parts * p;
        s.paid.1 += parts * m;
    }
    s
}
