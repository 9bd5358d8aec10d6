//! `[parameters]`: named values with an optional PSA distribution.
//!
//! `name = { value = 0.15 }` is fixed; `name = { dist = "beta", mean = 0.15, se = 0.02 }` is
//! uncertain. Durations and rates keep their units (`{ dist = "gamma", mean = "24 months",
//! se = "3 months" }`) and are converted to the internal scale before the distribution is
//! built. A distribution that cannot exist is an error at the field that makes it impossible.

use super::diagnostic::did_you_mean;
use super::reader::{MAX_MAGNITUDE, ParamEntry, Reader, Value, describe, join};
use crate::model::Parameter;
use crate::params::ParamDist;
use crate::rng::{Process, ProcessKind};
use crate::units::{Dimension, parse_quantity};
use std::collections::HashMap;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

pub const PARAM_DISTS: &[&str] = &[
    "fixed",
    "dirichlet",
    "beta",
    "gamma",
    "lognormal",
    "normal",
    "truncated_normal",
    "uniform",
    "triangular",
    "pert",
];

/// Largest beta shape (and Dirichlet concentration) accepted: beyond it the incomplete beta
/// function loses accuracy, and so concentrated a distribution is practically normal.
pub const MAX_BETA_SHAPE: f64 = 1e5;
/// Largest gamma shape accepted (coefficient of variation 0.1 %).
pub const MAX_GAMMA_SHAPE: f64 = 1e6;
/// Smallest gamma shape accepted (coefficient of variation 316 %): below it most draws lie
/// within rounding of zero (at shape 0.001 the median is 10^-301 of the scale) and underflow
/// to exactly 0, which a positive field cannot take.
pub const MIN_GAMMA_SHAPE: f64 = 0.1;
const DISPERSED: &str = ": so dispersed a gamma draws values that round to zero; a lognormal has a heavy tail without that";
const CONCENTRATED: &str =
    ": so concentrated a distribution is practically normal; use a normal or truncated_normal";

/// z with Φ(z) = 0.975: a 95 % interval spans ±z standard deviations.
const Z975: f64 = 1.959_963_984_540_054;

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
        r.parameters.insert(name.clone(), ParamEntry { slot, dimension, dist, range });
        r.parameter_order.push(name);
    }
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
                    format!("expected a concentration greater than 0, found {a}"),
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
        let entry = ParamEntry { slot, dimension: Dimension::Number, dist, range: None };
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

/// One field of a parameter: its value on the internal scale, dimension and location.
#[derive(Clone)]
struct Field {
    x: f64,
    dim: Dimension,
    span: Range<usize>,
}

/// A number, or a quantity string like "6 months".
fn read_field(r: &mut Reader, v: &Value<'_>, path: &str) -> Option<Field> {
    let (x, dim) = match v.get_ref() {
        DeValue::Integer(_) | DeValue::Float(_) => (r.number(v, path)?, Dimension::Number),
        DeValue::String(s) => match parse_quantity(s) {
            Ok(q) => q,
            Err(_) => {
                // Re-read as a duration to get the precise unit message.
                let _ = r.literal_quantity(v, path, Dimension::Duration, super::reader::Check::Any);
                return None;
            }
        },
        other => {
            r.error(
                v.span(),
                path,
                format!(
                    "expected a number or a quantity like \"6 months\", found {}",
                    describe(other)
                ),
            );
            return None;
        }
    };
    if !(x.abs() <= MAX_MAGNITUDE) {
        r.error(v.span(), path, format!("expected a magnitude of at most 1e12, found {x}"));
        return None;
    }
    Some(Field { x, dim, span: v.span() })
}

/// Keys each distribution accepts, and which of them are pure numbers whatever the
/// parameter's dimension (shape parameters); the others share the parameter's dimension.
fn keys_of(dist: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match dist {
        "fixed" => (&["value"], &[]),
        "beta" => {
            (&["value", "alpha", "beta", "mean", "se"], &["value", "alpha", "beta", "mean", "se"])
        }
        "gamma" => (&["value", "shape", "scale", "mean", "se"], &["shape"]),
        "lognormal" => (&["value", "meanlog", "sdlog", "median", "ci95"], &["meanlog", "sdlog"]),
        "normal" => (&["value", "mean", "sd"], &[]),
        "truncated_normal" => (&["value", "mean", "sd", "lower", "upper"], &[]),
        "uniform" => (&["value", "lower", "upper"], &[]),
        "triangular" | "pert" => (&["value", "lower", "mode", "upper"], &[]),
        _ => return None,
    })
}

fn read_parameter(
    r: &mut Reader,
    pt: &DeTable<'_>,
    span: &Range<usize>,
    path: &str,
) -> Option<(f64, Dimension, ParamDist)> {
    let dist = match pt.get("dist") {
        Some(d) => r.string(d, &join(path, "dist"))?.to_string(),
        None => "fixed".to_string(),
    };
    let Some((keys, numbers)) = keys_of(&dist) else {
        let d = &pt["dist"];
        let help = did_you_mean(&dist, PARAM_DISTS.iter().copied())
            .map(|s| format!("did you mean `{s}`?"));
        r.error_help(
            d.span(),
            &join(path, "dist"),
            format!("expected one of {}, found \"{dist}\"", PARAM_DISTS.join(", ")),
            help,
        );
        return None;
    };
    let allowed: Vec<&str> = ["dist", "range"].into_iter().chain(keys.iter().copied()).collect();
    r.check_keys(pt, path, &allowed);

    // Read every field present, then check dimensions: shape fields are numbers, the others
    // share the dimension of the first of them.
    let mut f: HashMap<&str, Field> = HashMap::new();
    let mut ok = true;
    let mut dimension: Option<(Dimension, &str)> = None;
    for &key in keys.iter().filter(|k| **k != "ci95") {
        let Some(v) = pt.get(key) else { continue };
        let Some(field) = read_field(r, v, &join(path, key)) else {
            ok = false;
            continue;
        };
        let want = if numbers.contains(&key) {
            Some(Dimension::Number)
        } else {
            dimension.map(|(d, _)| d)
        };
        match want {
            Some(d) if d != field.dim => {
                let why = if numbers.contains(&key) {
                    "a shape parameter is a plain number".to_string()
                } else {
                    format!("as `{}`", dimension.map_or("", |(_, k)| k))
                };
                r.error(
                    field.span.clone(),
                    &join(path, key),
                    format!("expected {} ({why}), found {}", d.describe(), describe(v.get_ref())),
                );
                ok = false;
                continue;
            }
            None => dimension = Some((field.dim, key)),
            _ => {}
        }
        f.insert(key, field);
    }
    let mut ci95: Option<(Field, Field)> = None;
    if let Some(v) = pt.get("ci95") {
        let cp = join(path, "ci95");
        match r.array(v, &cp) {
            Some([lo, hi]) => {
                match (
                    read_field(r, lo, &format!("{cp}[0]")),
                    read_field(r, hi, &format!("{cp}[1]")),
                ) {
                    (Some(a), Some(b)) => {
                        let want = dimension.map(|(d, _)| d).unwrap_or(a.dim);
                        if a.dim != want || b.dim != want {
                            r.error(
                                v.span(),
                                &cp,
                                format!("expected both ends as {}", want.describe()),
                            );
                            ok = false;
                        } else {
                            dimension.get_or_insert((want, "ci95"));
                            ci95 = Some((a, b));
                        }
                    }
                    _ => ok = false,
                }
            }
            Some(_) => {
                r.error(
                    v.span(),
                    &cp,
                    "expected [lower, upper], the two ends of the 95 % interval",
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let dim = dimension.map_or(Dimension::Number, |(d, _)| d);
    let dim = if dist == "beta" { Dimension::Number } else { dim };
    let value = f.get("value").map(|v| v.x);
    let get = |k: &str| f.get(k).cloned();
    let bad = |r: &mut Reader, field: &Field, key: &str, msg: String| {
        r.error(field.span.clone(), &join(path, key), msg);
    };
    let missing = |r: &mut Reader, what: &str| {
        r.error(span.clone(), path, format!("a {dist} parameter needs {what}"));
    };
    // (distribution, default point value)
    let (d, point) = match dist.as_str() {
        "fixed" => match value {
            Some(x) => (ParamDist::Fixed, x),
            None => {
                missing(r, "`value`, its point value");
                return None;
            }
        },
        "beta" => match (get("alpha"), get("beta"), get("mean"), get("se")) {
            (Some(a), Some(b), None, None) => {
                for (fd, k) in [(&a, "alpha"), (&b, "beta")] {
                    if !(fd.x > 0.0 && fd.x <= MAX_BETA_SHAPE) {
                        bad(
                            r,
                            fd,
                            k,
                            format!(
                                "expected a number in (0, {MAX_BETA_SHAPE:e}], found {}{CONCENTRATED}",
                                fd.x
                            ),
                        );
                        return None;
                    }
                }
                (ParamDist::Beta { alpha: a.x, beta: b.x }, a.x / (a.x + b.x))
            }
            (None, None, Some(m), Some(se)) => {
                if !(m.x > 0.0 && m.x < 1.0) {
                    bad(
                        r,
                        &m,
                        "mean",
                        format!("expected a mean strictly between 0 and 1, found {}", m.x),
                    );
                    return None;
                }
                let limit = (m.x * (1.0 - m.x)).sqrt();
                if !(se.x > 0.0 && se.x < limit) {
                    bad(
                        r,
                        &se,
                        "se",
                        format!(
                            "a beta with mean {} cannot have se {}: expected 0 < se < √(mean·(1 − mean)) = {limit}",
                            m.x, se.x
                        ),
                    );
                    return None;
                }
                let k = m.x * (1.0 - m.x) / (se.x * se.x) - 1.0;
                let (alpha, beta) = (m.x * k, (1.0 - m.x) * k);
                if alpha.max(beta) > MAX_BETA_SHAPE {
                    bad(
                        r,
                        &se,
                        "se",
                        format!(
                            "a beta with mean {} and se {} has shapes α = {alpha:.4e}, β = {beta:.4e}, above {MAX_BETA_SHAPE:e}{CONCENTRATED}",
                            m.x, se.x
                        ),
                    );
                    return None;
                }
                (ParamDist::Beta { alpha, beta }, m.x)
            }
            _ => {
                missing(r, "`alpha` and `beta`, or `mean` and `se`");
                return None;
            }
        },
        "gamma" => match (get("shape"), get("scale"), get("mean"), get("se")) {
            (Some(a), Some(b), None, None) => {
                for (fd, k) in [(&a, "shape"), (&b, "scale")] {
                    if !(fd.x > 0.0) {
                        bad(r, fd, k, format!("expected a value greater than 0, found {}", fd.x));
                        return None;
                    }
                }
                if a.x < MIN_GAMMA_SHAPE {
                    let found = a.x;
                    let message = format!(
                        "expected a shape of at least {MIN_GAMMA_SHAPE}, found {found}{DISPERSED}"
                    );
                    bad(r, &a, "shape", message);
                    return None;
                }
                if a.x > MAX_GAMMA_SHAPE {
                    bad(
                        r,
                        &a,
                        "shape",
                        format!(
                            "expected a shape of at most {MAX_GAMMA_SHAPE:e}, found {}{CONCENTRATED}",
                            a.x
                        ),
                    );
                    return None;
                }
                (ParamDist::Gamma { shape: a.x, scale: b.x }, a.x * b.x)
            }
            (None, None, Some(m), Some(se)) => {
                for (fd, k) in [(&m, "mean"), (&se, "se")] {
                    if !(fd.x > 0.0) {
                        bad(r, fd, k, format!("expected a value greater than 0, found {}", fd.x));
                        return None;
                    }
                }
                let shape = (m.x / se.x).powi(2);
                if shape < MIN_GAMMA_SHAPE {
                    let (mean, se_x) = (m.x, se.x);
                    let message = format!(
                        "a gamma with mean {mean} and se {se_x} has shape {shape:.4e}, below {MIN_GAMMA_SHAPE} (se above 3.16 × the mean){DISPERSED}"
                    );
                    bad(r, &se, "se", message);
                    return None;
                }
                if shape > MAX_GAMMA_SHAPE {
                    bad(
                        r,
                        &se,
                        "se",
                        format!(
                            "a gamma with mean {} and se {} has shape {shape:.4e}, above {MAX_GAMMA_SHAPE:e}{CONCENTRATED}",
                            m.x, se.x
                        ),
                    );
                    return None;
                }
                (ParamDist::Gamma { shape, scale: se.x * se.x / m.x }, m.x)
            }
            _ => {
                missing(r, "`shape` and `scale`, or `mean` and `se`");
                return None;
            }
        },
        "lognormal" => match (get("meanlog"), get("sdlog"), get("median"), ci95.clone()) {
            (Some(mu), Some(s), None, None) => {
                if !(s.x > 0.0) {
                    bad(r, &s, "sdlog", format!("expected a number greater than 0, found {}", s.x));
                    return None;
                }
                (ParamDist::LogNormal { meanlog: mu.x, sdlog: s.x }, mu.x.exp())
            }
            (None, s, Some(m), ci) if s.is_some() != ci.is_some() => {
                if !(m.x > 0.0) {
                    bad(r, &m, "median", format!("expected a value greater than 0, found {}", m.x));
                    return None;
                }
                let sdlog = match (s, ci) {
                    (Some(s), None) => {
                        if !(s.x > 0.0) {
                            bad(
                                r,
                                &s,
                                "sdlog",
                                format!("expected a number greater than 0, found {}", s.x),
                            );
                            return None;
                        }
                        s.x
                    }
                    (None, Some((lo, hi))) => {
                        if !(lo.x > 0.0 && lo.x < m.x && m.x < hi.x) {
                            r.error(
                                lo.span.start..hi.span.end,
                                &join(path, "ci95"),
                                format!(
                                    "expected 0 < lower < median < upper, found [{}, {}] around {}",
                                    lo.x, hi.x, m.x
                                ),
                            );
                            return None;
                        }
                        (hi.x / lo.x).ln() / (2.0 * Z975)
                    }
                    _ => unreachable!("guarded: exactly one of sdlog and ci95"),
                };
                (ParamDist::LogNormal { meanlog: m.x.ln(), sdlog }, m.x)
            }
            _ => {
                missing(r, "`meanlog` and `sdlog`, or `median` with `ci95` or `sdlog`");
                return None;
            }
        },
        "normal" | "truncated_normal" => {
            let (Some(m), Some(sd)) = (get("mean"), get("sd")) else {
                missing(r, "`mean` and `sd`");
                return None;
            };
            if !(sd.x > 0.0) {
                bad(r, &sd, "sd", format!("expected a value greater than 0, found {}", sd.x));
                return None;
            }
            if dist == "normal" {
                (ParamDist::Normal { mean: m.x, sd: sd.x }, m.x)
            } else {
                let lower = get("lower").map_or(f64::NEG_INFINITY, |f| f.x);
                let upper = get("upper").map_or(f64::INFINITY, |f| f.x);
                if get("lower").is_none() && get("upper").is_none() {
                    missing(r, "`lower`, `upper` or both (without them it is a normal)");
                    return None;
                }
                if !(lower <= m.x && m.x <= upper && lower < upper) {
                    r.error(
                        span.clone(),
                        path,
                        format!("expected lower ≤ mean ≤ upper with lower < upper, found lower {lower}, mean {}, upper {upper}", m.x),
                    );
                    return None;
                }
                (ParamDist::TruncatedNormal { mean: m.x, sd: sd.x, lower, upper }, m.x)
            }
        }
        "uniform" => {
            let (Some(lo), Some(hi)) = (get("lower"), get("upper")) else {
                missing(r, "`lower` and `upper`");
                return None;
            };
            if !(lo.x < hi.x) {
                bad(
                    r,
                    &hi,
                    "upper",
                    format!("expected upper above lower ({}), found {}", lo.x, hi.x),
                );
                return None;
            }
            (ParamDist::Uniform { lower: lo.x, upper: hi.x }, 0.5 * (lo.x + hi.x))
        }
        _ => {
            // triangular, pert
            let (Some(lo), Some(mo), Some(hi)) = (get("lower"), get("mode"), get("upper")) else {
                missing(r, "`lower`, `mode` and `upper`");
                return None;
            };
            if !(lo.x <= mo.x && mo.x <= hi.x && lo.x < hi.x) {
                bad(
                    r,
                    &mo,
                    "mode",
                    format!(
                        "expected lower ≤ mode ≤ upper with lower < upper, found {}, {}, {}",
                        lo.x, mo.x, hi.x
                    ),
                );
                return None;
            }
            let d = if dist == "pert" {
                ParamDist::Pert { lower: lo.x, mode: mo.x, upper: hi.x }
            } else {
                ParamDist::Triangular { lower: lo.x, mode: mo.x, upper: hi.x }
            };
            (d, mo.x)
        }
    };
    let point = match value {
        Some(x) if d != ParamDist::Fixed => {
            let s = d.support(x);
            let inside = x <= s.upper && (x > s.lower || (x == s.lower && s.lower_attained));
            if !inside {
                let field = &f["value"];
                r.error(
                    field.span.clone(),
                    &join(path, "value"),
                    format!(
                        "expected a point value the {dist} can take, in [{}, {}], found {x}",
                        s.lower, s.upper
                    ),
                );
                return None;
            }
            x
        }
        _ => point,
    };
    Some((point, dim, d))
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
