//! Money-back guarantee: if failure (detected progression, death, or either) happens before
//! `window` from treatment start, `refund` × the payments made for the patient until the failure
//! is refunded at the failure time (capped in money by the caller).
use super::{Exposure, Failure, Settlement};
use crate::accounting::discount::count_f64;

#[derive(Clone, Debug, PartialEq)]
pub struct Terms<V> {
    pub failure: Failure,
    pub window: V,
    pub refund: V,
    /// Most refunded per patient, in money (no cap when not given).
    pub cap: Option<V>,
}

impl<V> Terms<V> {
    pub fn map<W>(&self, f: &impl Fn(&V) -> W) -> Terms<W> {
        Terms {
            failure: self.failure,
            window: f(&self.window),
            refund: f(&self.refund),
            cap: self.cap.as_ref().map(f),
        }
    }
}

pub fn settle(t: &Terms<f64>, x: &Exposure<'_>) -> Settlement {
    let (window, refund) = (t.window, t.refund);
    let rec = x.rec;
    let at = t.failure.at(rec);
    let mut s =
        Settlement { paid: x.list(), tracked_until: rec.start + window, ..Settlement::default() };
    if x.before(at, rec.start + window)
        && x.documented
        && let Some(factors) = x.refund_lump(at)
    {
        s.refund = refund * count_f64(x.paid_before(at));
        s.refund_at = factors;
        s.triggered = true;
    }
    s
}
