//! `[[evppi_groups]]`: groups of uncertain parameters whose EVPPI is estimated jointly.

use super::reader::{Reader, Value, join};
use crate::model::{EvppiGroup, Parameter};

/// Fewest and most parameters of a group (the Gaussian-process regression's range).
const GROUP_SIZE: std::ops::RangeInclusive<usize> = 2..=5;

/// `[[evppi_groups]]`: `name` (unique, not a parameter's), `parameters = [names]` (2–5
/// distinct uncertain parameters).
pub(super) fn read_evppi_groups(
    r: &mut Reader,
    v: &Value<'_>,
    parameters: &[Parameter],
) -> Option<Vec<EvppiGroup>> {
    let items = r.array(v, "evppi_groups")?;
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let p = format!("evppi_groups[{i}]");
        let Some(t) = r.table(item, &p) else {
            ok = false;
            continue;
        };
        r.check_keys(t, &p, &["name", "parameters"]);
        let name = r
            .require(t, &item.span(), &p, "name", "the group's name, like \"efficacy\"")
            .and_then(|x| {
                let name = r.name(x, &join(&p, "name"))?;
                let clash = if parameters.iter().any(|q| q.name == name) {
                    Some("a parameter's name")
                } else if out.iter().any(|g: &EvppiGroup| g.name == name) {
                    Some("another group's name")
                } else {
                    None
                };
                if let Some(clash) = clash {
                    let message = format!("expected a name of its own, found `{name}`, {clash}");
                    r.error(x.span(), &join(&p, "name"), message);
                    return None;
                }
                Some(name)
            });
        let names = r
            .require(t, &item.span(), &p, "parameters", "the names of 2 to 5 uncertain parameters")
            .and_then(|x| Some((x, r.array(x, &join(&p, "parameters"))?)));
        let (Some(name), Some((list, names))) = (name, names) else {
            ok = false;
            continue;
        };
        let mut members: Vec<usize> = Vec::new();
        for (k, nv) in names.iter().enumerate() {
            let np = format!("{p}.parameters[{k}]");
            let Some((idx, member)) = super::correlations::parameter_named(r, nv, &np, parameters)
            else {
                ok = false;
                continue;
            };
            let why = if !parameters[idx].is_uncertain() {
                Some("is fixed (no distribution): it has no value of information")
            } else if members.contains(&idx) {
                Some("is already in the group")
            } else {
                None
            };
            if let Some(why) = why {
                r.error(nv.span(), &np, format!("parameter `{member}` {why}"));
                ok = false;
                continue;
            }
            members.push(idx);
        }
        if !GROUP_SIZE.contains(&names.len()) {
            let message = format!(
                "expected {} to {} parameters (one alone has its own EVPPI), found {}",
                GROUP_SIZE.start(),
                GROUP_SIZE.end(),
                names.len()
            );
            r.error(list.span(), &join(&p, "parameters"), message);
            ok = false;
            continue;
        }
        out.push(EvppiGroup { name, parameters: members });
    }
    ok.then_some(out)
}
