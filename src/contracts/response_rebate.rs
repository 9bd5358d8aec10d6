//! Response rebate: at `assess_at`, `refund` × the payments made so far is refunded for every
//! documented failure (not read as a responder, progression detected, or dead by then) — AIFA
//! "risk sharing" at 50 %, "payment by result" at 100 %.
use super::{Exposure, Settlement};
use crate::accounting::discount::Steps;
use crate::accounting::discount::count_f64;

#[derive(Clone, Debug, PartialEq)]
pub struct Terms<V> {
    pub assess_at: V,
    pub refund: V,
    /// d(assess_at) at the payer's and the manufacturer's rates, set when the terms are
    /// prepared ([`super::Kind::rediscount`]); (1, 1) before.
    pub at: Steps,
}

impl<V> Terms<V> {
    pub fn map<W>(&self, f: &impl Fn(&V) -> W) -> Terms<W> {
        Terms { assess_at: f(&self.assess_at), refund: f(&self.refund), at: self.at }
    }
}

pub fn settle(t: &Terms<f64>, x: &Exposure<'_>) -> Settlement {
    let (assess_at, refund, steps) = (t.assess_at, t.refund, t.at);
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
