//! Payment at result: cycles starting before `assess_at` are not paid when given; at
//! `assess_at` their list price is paid in one sum if the patient is then a success (read as a
//! responder, no detected progression, alive) or a failure that was not documented. Later
//! cycles are paid as list.
use super::{Exposure, Settlement};
use crate::accounting::discount::Steps;
use crate::accounting::discount::count_f64;

#[derive(Clone, Debug, PartialEq)]
pub struct Terms<V> {
    pub assess_at: V,
    /// d(assess_at) at the payer's and the manufacturer's rates, set when the terms are
    /// prepared ([`super::Kind::rediscount`]); (1, 1) before.
    pub at: Steps,
}

impl<V> Terms<V> {
    pub fn map<W>(&self, f: &impl Fn(&V) -> W) -> Terms<W> {
        Terms { assess_at: f(&self.assess_at), at: self.at }
    }
}

pub fn settle(t: &Terms<f64>, x: &Exposure<'_>) -> Settlement {
    let (assess_at, steps) = (t.assess_at, t.at);
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
