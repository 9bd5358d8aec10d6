//! `[states]`: the cost per time and utility of each health state, and the one-off cost at
//! death.

use super::reader::{Check, Reader, Value, join};
use crate::model::*;
use crate::units::Dimension;

pub(super) fn read_states(r: &mut Reader, v: &Value<'_>) -> Option<States> {
    let t = r.table(v, "states")?;
    r.check_keys(t, "states", &["progression_free", "progressed", "death"]);
    let read_state = |r: &mut Reader, key: &str| -> (Option<Slot>, Option<Slot>) {
        let p = join("states", key);
        let Some(sv) = r.require(
            t,
            &v.span(),
            "states",
            key,
            "a table { cost = \"… per month\", utility = … }",
        ) else {
            return (None, None);
        };
        let Some(st) = r.table(sv, &p) else {
            return (None, None);
        };
        r.check_keys(st, &p, &["cost", "utility"]);
        let cost = r.quantity_or(st, &p, "cost", Dimension::PerTime, Check::NonNegative, 0.0);
        let utility = r
            .require(st, &sv.span(), &p, "utility", "a utility weight (1 = full health)")
            .and_then(|u| r.quantity(u, &join(&p, "utility"), Dimension::Number, Check::AtMostOne));
        (cost, utility)
    };
    let (pf_cost, pf_u) = read_state(r, "progression_free");
    let (pd_cost, pd_u) = read_state(r, "progressed");
    let death_cost = match t.get("death") {
        Some(dv) => r.table(dv, "states.death").and_then(|dt| {
            r.check_keys(dt, "states.death", &["cost"]);
            r.quantity_or(dt, "states.death", "cost", Dimension::Number, Check::NonNegative, 0.0)
        }),
        None => Some(r.constant(0.0)),
    };
    Some(States {
        progression_free_cost: pf_cost?,
        progression_free_utility: pf_u?,
        progressed_cost: pd_cost?,
        progressed_utility: pd_u?,
        death_cost: death_cost?,
    })
}
