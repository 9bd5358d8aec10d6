//! Duration cap: only cycles starting before `max_paid` from treatment start (or the first
//! `max_cycles`) are paid; the manufacturer supplies the rest free.
use super::{Exposure, Settlement};

/// One of `max_paid` (a duration from treatment start) or `max_cycles` (validated: exactly one
/// is given).
#[derive(Clone, Debug, PartialEq)]
pub struct Terms<V> {
    pub max_paid: Option<V>,
    pub max_cycles: Option<u64>,
}

impl<V> Terms<V> {
    pub fn map<W>(&self, f: &impl Fn(&V) -> W) -> Terms<W> {
        Terms { max_paid: self.max_paid.as_ref().map(f), max_cycles: self.max_cycles }
    }
}

pub fn settle(t: &Terms<f64>, x: &Exposure<'_>) -> Settlement {
    let (max_paid, max_cycles) =
        (t.max_paid.unwrap_or(f64::INFINITY), t.max_cycles.unwrap_or(u64::MAX));
    let by_time = if max_paid.is_finite() { x.paid_within(max_paid) } else { x.n };
    let paid = by_time.min(max_cycles).min(x.n);
    Settlement {
        paid: x.stream(0, paid),
        triggered: paid < x.n,
        tracked_until: x.rec.treatment_end,
        ..Settlement::default()
    }
}
