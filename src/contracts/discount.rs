//! Discount: a fraction off every cycle starting in a window [from, until) after treatment
//! start (the whole treatment by default; Italian "cost sharing" discounts the first cycles).
use super::{Exposure, Settlement};

/// `fraction` off every cycle starting in [`from`, `until`) after treatment start (from 0 and
/// without end when not given).
#[derive(Clone, Debug, PartialEq)]
pub struct Terms<V> {
    pub fraction: V,
    pub from: Option<V>,
    pub until: Option<V>,
}

impl<V> Terms<V> {
    pub fn map<W>(&self, f: &impl Fn(&V) -> W) -> Terms<W> {
        Terms {
            fraction: f(&self.fraction),
            from: self.from.as_ref().map(f),
            until: self.until.as_ref().map(f),
        }
    }
}

pub fn settle(t: &Terms<f64>, x: &Exposure<'_>) -> Settlement {
    let (fraction, from, until) =
        (t.fraction, t.from.unwrap_or(0.0), t.until.unwrap_or(f64::INFINITY));
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
