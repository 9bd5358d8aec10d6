//! Discount: a fraction off every cycle starting in a window [from, until) after treatment
//! start (the whole treatment by default; Italian "cost sharing" discounts the first cycles).
use super::{Exposure, Settlement};

pub fn settle(fraction: f64, from: f64, until: f64, x: &Exposure<'_>) -> Settlement {
    let first = x.paid_within(from);
    let last = if until.is_finite() { x.paid_within(until) } else { x.n };
    let all = x.list();
    let window = x.stream(first, last);
    Settlement {
        paid: (all.0 - fraction * window.0, all.1 - fraction * window.1),
        triggered: last > first && fraction > 0.0,
        tracked_until: x.rec.treatment_end,
        ..Settlement::default()
    }
}
