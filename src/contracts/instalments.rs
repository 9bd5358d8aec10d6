//! Instalments: each cycle's price (for a one-off therapy, the one price) is paid in `count`
//! equal parts at its start and every `interval` after, each only if the patient is alive (and,
//! if so agreed, progression-free as detected) on that date. Parts falling at or after the
//! horizon are not counted. The payer is national: it keeps the patient for life.
use super::{Exposure, Settlement};
use crate::model::Condition;

pub fn settle(count: u64, interval: f64, condition: Condition, x: &Exposure<'_>) -> Settlement {
    let rec = x.rec;
    let share = 1.0 / count as f64;
    let mut s = Settlement::default();
    for k in 0..x.n {
        let start = rec.start + k as f64 * x.drug.cycle;
        for i in 0..count {
            let t = start + i as f64 * interval;
            if t >= x.horizon {
                break;
            }
            let holds =
                rec.death > t && (condition == Condition::Alive || rec.detected_progression > t);
            if holds {
                let (p, m) = x.lump(t);
                s.paid.0 += share * p;
                s.paid.1 += share * m;
            } else {
                s.triggered = true;
            }
            s.tracked_until = s.tracked_until.max(t);
        }
    }
    s
}
