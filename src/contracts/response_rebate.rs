//! Response rebate: at `assess_at`, `refund` × the payments made so far is refunded for every
//! documented failure (not read as a responder, progression detected, or dead by then) — AIFA
//! "risk sharing" at 50 %, "payment by result" at 100 %.
use super::{Exposure, Settlement};
use crate::accounting::discount::Steps;
use crate::accounting::discount::count_f64;

pub fn settle(assess_at: f64, refund: f64, steps: Steps, x: &Exposure<'_>) -> Settlement {
    let at = x.rec.start + assess_at;
    let mut s = Settlement { paid: x.list(), tracked_until: at, ..Settlement::default() };
    if !x.success_at(at)
        && x.documented
        && let Some(factors) = x.refund_lump_after(assess_at, steps)
    {
        let made = x.paid_within(assess_at);
        if made > 0 {
            s.refund = refund * count_f64(made);
            s.refund_at = factors;
            s.triggered = true;
        }
    }
    s
}
