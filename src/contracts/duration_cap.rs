//! Duration cap: only cycles starting before `max_paid` from treatment start (or the first
//! `max_cycles`) are paid; the manufacturer supplies the rest free.
use super::{Exposure, Settlement};

pub fn settle(max_paid: f64, max_cycles: u64, x: &Exposure<'_>) -> Settlement {
    let by_time = if max_paid.is_finite() { x.paid_within(max_paid) } else { x.n };
    let paid = by_time.min(max_cycles).min(x.n);
    Settlement {
        paid: x.stream(0, paid),
        triggered: paid < x.n,
        tracked_until: x.rec.treatment_end,
        ..Settlement::default()
    }
}
