//! `[parameters]`: named values with an optional PSA distribution.
//!
//! `name = { value = 0.15 }` is fixed; `name = { dist = "beta", mean = 0.15, se = 0.02 }` is
//! uncertain. Durations and rates keep their units (`{ dist = "gamma", mean = "24 months",
//! se = "3 months" }`) and are converted to the internal scale before the distribution is
//! built. A distribution that cannot exist is an error at the field that makes it impossible.

use super::diagnostic::number;
use super::distributions::{read_field, read_parameter};
use super::reader::{ParamEntry, Reader, Value, join};
use crate::model::Parameter;
use crate::model::limits::MAX_MAGNITUDE;
use crate::params::ParamDist;
use crate::rng::{Process, ProcessKind};
use crate::units::Dimension;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

pub fn read_parameters(r: &mut Reader, v: &Value<'_>) {
    let Some(table) = r.table(v, "parameters") else {
        return;
    };
    for (key, pv) in table.iter() {
        let name = key.get_ref().to_string();
        let path = join("parameters", &name);
        if !super::reader::is_identifier(&name) {
            r.error(key.span(), &path, "expected a parameter name of letters, digits and `_`");
            continue;
        }
        let Some(pt) = r.table(pv, &path) else {
            r.invalid_parameters.insert(name);
            continue;
        };
        if let Some(d) = pt.get("dist")
            && matches!(d.get_ref(), DeValue::String(s) if s.as_ref() == "dirichlet")
        {
            read_dirichlet(r, pt, &pv.span(), &path);
            continue;
        }
        let Some((point, dimension, dist)) = read_parameter(r, pt, &pv.span(), &path) else {
            r.invalid_parameters.insert(name);
            continue;
        };
        let Some(range) = read_range(r, pt, &path, point, dimension) else {
            r.invalid_parameters.insert(name);
            continue;
        };
        let slot = r.constant(point);
        let written = if dimension == Dimension::Number { None } else { written_unit(pt) };
        r.parameters.insert(name.clone(), ParamEntry { slot, dimension, dist, range, written });
        r.parameter_order.push(name);
    }
}

/// The unit of the first quantity a parameter's table writes (`value`, `median`, `ci95 = [..]`,
/// … in the file's order): the unit its draws are reported in.
fn written_unit(pt: &DeTable<'_>) -> Option<crate::units::Written> {
    pt.iter().find_map(|(_, v)| match v.get_ref() {
        DeValue::String(s) => crate::units::written_unit(s),
        DeValue::Array(items) => items.iter().find_map(|x| match x.get_ref() {
            DeValue::String(s) => crate::units::written_unit(s),
            _ => None,
        }),
        _ => None,
    })
}

/// `group = { dist = "dirichlet", alpha = { a = 15, b = 5, c = 80 } }`: shares a, b, c drawn
/// jointly (summing to 1), each a parameter of its own with point value α_k / Σα.
fn read_dirichlet(r: &mut Reader, pt: &DeTable<'_>, span: &Range<usize>, path: &str) {
    r.check_keys(pt, path, &["dist", "alpha"]);
    let what = "the concentration of each share, like { egfr = 15, other = 85 }";
    let Some(av) = r.require(pt, span, path, "alpha", what) else { return };
    let ap = join(path, "alpha");
    let Some(at) = r.table(av, &ap) else { return };
    let mut parts: Vec<(String, f64, Range<usize>)> = Vec::new();
    let mut ok = true;
    for (key, v) in at.iter() {
        let name = key.get_ref().to_string();
        let kp = join(&ap, &name);
        if !super::reader::is_identifier(&name) {
            r.error(key.span(), &kp, "expected a parameter name of letters, digits and `_`");
            ok = false;
            continue;
        }
        match r.number(v, &kp) {
            Some(a) if a > 0.0 && a <= MAX_MAGNITUDE => parts.push((name, a, key.span())),
            Some(a) => {
                r.error(
                    v.span(),
                    &kp,
                    format!("expected a concentration greater than 0, found {}", number(a)),
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    if parts.len() < 2 && ok {
        r.error(av.span(), &ap, format!("expected at least two shares: {what}"));
        ok = false;
    }
    if !ok {
        for (name, ..) in parts {
            r.invalid_parameters.insert(name);
        }
        return;
    }
    let total: f64 = parts.iter().map(|p| p.1).sum();
    let mut names = Vec::new();
    for (name, alpha, kspan) in parts {
        if r.parameters.contains_key(&name) {
            r.error(kspan, &join(&ap, &name), format!("duplicate parameter `{name}`"));
            continue;
        }
        let slot = r.constant(alpha / total);
        let dist = ParamDist::DirichletShare { alpha, total };
        let entry =
            ParamEntry { slot, dimension: Dimension::Number, dist, range: None, written: None };
        r.parameters.insert(name.clone(), entry);
        r.parameter_order.push(name.clone());
        names.push(name);
    }
    r.dirichlet_groups.push(names);
}

/// `range = [low, high]`: the one-way sensitivity range of a parameter (default: the 2.5 % and
/// 97.5 % quantiles of its distribution; a fixed parameter without one is not varied).
fn read_range(
    r: &mut Reader,
    pt: &DeTable<'_>,
    path: &str,
    point: f64,
    dim: Dimension,
) -> Option<Option<(f64, f64)>> {
    let Some(v) = pt.get("range") else { return Some(None) };
    let rp = join(path, "range");
    let Some([lo, hi]) = r.array(v, &rp) else {
        r.error(v.span(), &rp, "expected [low, high], the one-way sensitivity range");
        return None;
    };
    let (lo, hi) =
        (read_field(r, lo, &format!("{rp}[0]"))?, read_field(r, hi, &format!("{rp}[1]"))?);
    if lo.dim != dim || hi.dim != dim {
        r.error(
            v.span(),
            &rp,
            format!("expected both ends as {}, like the parameter", dim.describe()),
        );
        return None;
    }
    if !(lo.x <= point && point <= hi.x && lo.x < hi.x) {
        r.error(
            v.span(),
            &rp,
            format!(
                "expected low ≤ point value ≤ high with low < high, found [{}, {}] around {point}",
                lo.x, hi.x
            ),
        );
        return None;
    }
    Some(Some((lo.x, hi.x)))
}

/// The parameters read, in slot order (the order of parameters.csv), and the Dirichlet share
/// vectors as indices into them.
pub(super) fn assemble(r: &Reader) -> (Vec<Parameter>, Vec<Vec<usize>>) {
    let mut parameters: Vec<Parameter> = r
        .parameter_order
        .iter()
        .map(|name| {
            let e = &r.parameters[name];
            Parameter {
                name: name.clone(),
                slot: e.slot,
                dimension: e.dimension,
                dist: e.dist,
                range: e.range,
                written: e.written,
                process: Process::named(ProcessKind::Parameter, name),
            }
        })
        .collect();
    parameters.sort_by_key(|p| p.slot.0);
    let index_of = |name: &str| parameters.iter().position(|p| p.name == name);
    let dirichlets: Vec<Vec<usize>> =
        r.dirichlet_groups.iter().map(|g| g.iter().filter_map(|n| index_of(n)).collect()).collect();
    (parameters, dirichlets)
}
