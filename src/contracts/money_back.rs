//! Money-back guarantee: if failure (detected progression, death, or either) happens before
//! `window` from treatment start, `refund` × the payments made for the patient until the failure
//! is refunded at the failure time (capped in money by the caller).
use super::{Exposure, Settlement};
use crate::accounting::discount::count_f64;
use crate::model::Failure;

pub fn settle(failure: Failure, window: f64, refund: f64, x: &Exposure<'_>) -> Settlement {
    let rec = x.rec;
    let at = match failure {
        Failure::Progression => rec.detected_progression,
        Failure::Death => rec.death,
        Failure::ProgressionOrDeath => rec.detected_progression.min(rec.death),
    };
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
