//! A parameter's distribution as a scenario writes it (`{ dist = "beta", mean = 0.15,
//! se = 0.02 }`, `{ dist = "lognormal", median = "24 months", ci95 = […] }`, …): its fields
//! read with their dimensions, and the distribution built from them, each family from its own
//! parameterisations. A distribution that cannot exist is an error at the field that makes it
//! impossible.

use super::diagnostic::did_you_mean;
use super::diagnostic::number;
use super::reader::{Reader, Value, describe, join};
use crate::model::limits::MAX_MAGNITUDE;
use crate::params::ParamDist;
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

/// One field of a parameter: its value on the internal scale, dimension and location.
#[derive(Clone)]
pub(super) struct Field {
    pub(super) x: f64,
    pub(super) dim: Dimension,
    pub(super) span: Range<usize>,
}

/// A number, or a quantity string like "6 months".
pub(super) fn read_field(r: &mut Reader, v: &Value<'_>, path: &str) -> Option<Field> {
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
        r.error(
            v.span(),
            path,
            format!("expected a magnitude of at most 1e12, found {}", number(x)),
        );
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

/// A parameter's table as its distribution's builder sees it.
struct Entry<'a> {
    dist: &'a str,
    path: &'a str,
    span: &'a Range<usize>,
}

impl Entry<'_> {
    /// A field whose value makes the distribution impossible.
    fn bad(&self, r: &mut Reader, field: &Field, key: &str, message: String) {
        r.error(field.span.clone(), &join(self.path, key), message);
    }

    /// A distribution given too few of its fields.
    fn missing(&self, r: &mut Reader, what: &str) {
        r.error(self.span.clone(), self.path, format!("a {} parameter needs {what}", self.dist));
    }
}

/// The fields of a parameter's table, read and of one dimension (shape fields are numbers).
struct Fields {
    fields: HashMap<&'static str, Field>,
    ci95: Option<(Field, Field)>,
    dimension: Option<(Dimension, &'static str)>,
}

impl Fields {
    fn get(&self, key: &str) -> Option<Field> {
        self.fields.get(key).cloned()
    }
}

/// Read the fields a distribution accepts (`keys`, of which `numbers` are plain numbers): the
/// others share the dimension of the first of them. `None` after an error.
fn read_fields(
    r: &mut Reader,
    pt: &DeTable<'_>,
    path: &str,
    (keys, numbers): (&'static [&'static str], &'static [&'static str]),
) -> Option<Fields> {
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
    ok.then_some(Fields { fields: f, ci95, dimension })
}

/// A parameter's point value, dimension and distribution (fixed when it has no `dist`).
pub(super) fn read_parameter(
    r: &mut Reader,
    pt: &DeTable<'_>,
    span: &Range<usize>,
    path: &str,
) -> Option<(f64, Dimension, ParamDist)> {
    let dist = match pt.get("dist") {
        Some(d) => r.string(d, &join(path, "dist"))?.to_string(),
        None => "fixed".to_string(),
    };
    let Some(keys) = keys_of(&dist) else {
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
    let allowed: Vec<&str> = ["dist", "range"].into_iter().chain(keys.0.iter().copied()).collect();
    r.check_keys(pt, path, &allowed);
    let f = read_fields(r, pt, path, keys)?;
    let dim = f.dimension.map_or(Dimension::Number, |(d, _)| d);
    let dim = if dist == "beta" { Dimension::Number } else { dim };
    let value = f.fields.get("value").map(|v| v.x);
    let e = Entry { dist: &dist, path, span };
    // (distribution, default point value)
    let (d, point) = match dist.as_str() {
        "fixed" => match value {
            Some(x) => (ParamDist::Fixed, x),
            None => {
                e.missing(r, "`value`, its point value");
                return None;
            }
        },
        "beta" => beta(r, &e, &f)?,
        "gamma" => gamma(r, &e, &f)?,
        "lognormal" => lognormal(r, &e, &f)?,
        "normal" | "truncated_normal" => normal(r, &e, &f)?,
        "uniform" => uniform(r, &e, &f)?,
        _ => triangular(r, &e, &f)?,
    };
    let point = match value {
        Some(x) if d != ParamDist::Fixed => {
            let s = d.support(x);
            let inside = x <= s.upper && (x > s.lower || (x == s.lower && s.lower_attained));
            if !inside {
                let field = &f.fields["value"];
                r.error(
                    field.span.clone(),
                    &join(path, "value"),
                    format!(
                        "expected a point value the {dist} can take, in [{}, {}], found {}",
                        s.lower,
                        s.upper,
                        number(x)
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

/// `alpha` and `beta`, or `mean` and `se`.
fn beta(r: &mut Reader, e: &Entry<'_>, f: &Fields) -> Option<(ParamDist, f64)> {
    Some(match (f.get("alpha"), f.get("beta"), f.get("mean"), f.get("se")) {
        (Some(a), Some(b), None, None) => {
            for (fd, k) in [(&a, "alpha"), (&b, "beta")] {
                if !(fd.x > 0.0 && fd.x <= MAX_BETA_SHAPE) {
                    e.bad(
                        r,
                        fd,
                        k,
                        format!(
                            "expected a number in (0, {MAX_BETA_SHAPE:e}], found {}{CONCENTRATED}",
                            number(fd.x)
                        ),
                    );
                    return None;
                }
            }
            (ParamDist::Beta { alpha: a.x, beta: b.x }, a.x / (a.x + b.x))
        }
        (None, None, Some(m), Some(se)) => {
            if !(m.x > 0.0 && m.x < 1.0) {
                e.bad(
                    r,
                    &m,
                    "mean",
                    format!("expected a mean strictly between 0 and 1, found {}", number(m.x)),
                );
                return None;
            }
            let limit = (m.x * (1.0 - m.x)).sqrt();
            if !(se.x > 0.0 && se.x < limit) {
                e.bad(
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
                e.bad(
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
            e.missing(r, "`alpha` and `beta`, or `mean` and `se`");
            return None;
        }
    })
}

/// `shape` and `scale`, or `mean` and `se`.
fn gamma(r: &mut Reader, e: &Entry<'_>, f: &Fields) -> Option<(ParamDist, f64)> {
    Some(match (f.get("shape"), f.get("scale"), f.get("mean"), f.get("se")) {
        (Some(a), Some(b), None, None) => {
            for (fd, k) in [(&a, "shape"), (&b, "scale")] {
                if !(fd.x > 0.0) {
                    e.bad(
                        r,
                        fd,
                        k,
                        format!("expected a value greater than 0, found {}", number(fd.x)),
                    );
                    return None;
                }
            }
            if a.x < MIN_GAMMA_SHAPE {
                let found = number(a.x);
                let message = format!(
                    "expected a shape of at least {MIN_GAMMA_SHAPE}, found {found}{DISPERSED}"
                );
                e.bad(r, &a, "shape", message);
                return None;
            }
            if a.x > MAX_GAMMA_SHAPE {
                e.bad(
                    r,
                    &a,
                    "shape",
                    format!(
                        "expected a shape of at most {MAX_GAMMA_SHAPE:e}, found {}{CONCENTRATED}",
                        number(a.x)
                    ),
                );
                return None;
            }
            (ParamDist::Gamma { shape: a.x, scale: b.x }, a.x * b.x)
        }
        (None, None, Some(m), Some(se)) => {
            for (fd, k) in [(&m, "mean"), (&se, "se")] {
                if !(fd.x > 0.0) {
                    e.bad(
                        r,
                        fd,
                        k,
                        format!("expected a value greater than 0, found {}", number(fd.x)),
                    );
                    return None;
                }
            }
            let shape = (m.x / se.x).powi(2);
            if shape < MIN_GAMMA_SHAPE {
                let (mean, se_x) = (m.x, se.x);
                let message = format!(
                    "a gamma with mean {mean} and se {se_x} has shape {shape:.4e}, below {MIN_GAMMA_SHAPE} (se above 3.16 × the mean){DISPERSED}"
                );
                e.bad(r, &se, "se", message);
                return None;
            }
            if shape > MAX_GAMMA_SHAPE {
                e.bad(
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
            e.missing(r, "`shape` and `scale`, or `mean` and `se`");
            return None;
        }
    })
}

/// `meanlog` and `sdlog`, or `median` with `ci95` or `sdlog`.
fn lognormal(r: &mut Reader, e: &Entry<'_>, f: &Fields) -> Option<(ParamDist, f64)> {
    Some(match (f.get("meanlog"), f.get("sdlog"), f.get("median"), f.ci95.clone()) {
        (Some(mu), Some(s), None, None) => {
            if !(s.x > 0.0) {
                e.bad(
                    r,
                    &s,
                    "sdlog",
                    format!("expected a number greater than 0, found {}", number(s.x)),
                );
                return None;
            }
            (ParamDist::LogNormal { meanlog: mu.x, sdlog: s.x }, mu.x.exp())
        }
        (None, s, Some(m), ci) if s.is_some() != ci.is_some() => {
            if !(m.x > 0.0) {
                e.bad(
                    r,
                    &m,
                    "median",
                    format!("expected a value greater than 0, found {}", number(m.x)),
                );
                return None;
            }
            let sdlog = match (s, ci) {
                (Some(s), None) => {
                    if !(s.x > 0.0) {
                        e.bad(
                            r,
                            &s,
                            "sdlog",
                            format!("expected a number greater than 0, found {}", number(s.x)),
                        );
                        return None;
                    }
                    s.x
                }
                (None, Some((lo, hi))) => {
                    if !(lo.x > 0.0 && lo.x < m.x && m.x < hi.x) {
                        r.error(
                            lo.span.start..hi.span.end,
                            &join(e.path, "ci95"),
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
            e.missing(r, "`meanlog` and `sdlog`, or `median` with `ci95` or `sdlog`");
            return None;
        }
    })
}

/// `mean` and `sd`, and for a truncated normal `lower`, `upper` or both.
fn normal(r: &mut Reader, e: &Entry<'_>, f: &Fields) -> Option<(ParamDist, f64)> {
    let (Some(m), Some(sd)) = (f.get("mean"), f.get("sd")) else {
        e.missing(r, "`mean` and `sd`");
        return None;
    };
    if !(sd.x > 0.0) {
        e.bad(r, &sd, "sd", format!("expected a value greater than 0, found {}", number(sd.x)));
        return None;
    }
    if e.dist == "normal" {
        Some((ParamDist::Normal { mean: m.x, sd: sd.x }, m.x))
    } else {
        let lower = f.get("lower").map_or(f64::NEG_INFINITY, |f| f.x);
        let upper = f.get("upper").map_or(f64::INFINITY, |f| f.x);
        if f.get("lower").is_none() && f.get("upper").is_none() {
            e.missing(r, "`lower`, `upper` or both (without them it is a normal)");
            return None;
        }
        if !(lower <= m.x && m.x <= upper && lower < upper) {
            r.error(
                e.span.clone(),
                e.path,
                format!("expected lower ≤ mean ≤ upper with lower < upper, found lower {lower}, mean {}, upper {upper}", m.x),
            );
            return None;
        }
        Some((ParamDist::TruncatedNormal { mean: m.x, sd: sd.x, lower, upper }, m.x))
    }
}

/// `lower` and `upper`.
fn uniform(r: &mut Reader, e: &Entry<'_>, f: &Fields) -> Option<(ParamDist, f64)> {
    let (Some(lo), Some(hi)) = (f.get("lower"), f.get("upper")) else {
        e.missing(r, "`lower` and `upper`");
        return None;
    };
    if !(lo.x < hi.x) {
        e.bad(
            r,
            &hi,
            "upper",
            format!("expected upper above lower ({}), found {}", number(lo.x), number(hi.x)),
        );
        return None;
    }
    Some((ParamDist::Uniform { lower: lo.x, upper: hi.x }, 0.5 * (lo.x + hi.x)))
}

/// `lower`, `mode` and `upper` (triangular or PERT).
fn triangular(r: &mut Reader, e: &Entry<'_>, f: &Fields) -> Option<(ParamDist, f64)> {
    let (Some(lo), Some(mo), Some(hi)) = (f.get("lower"), f.get("mode"), f.get("upper")) else {
        e.missing(r, "`lower`, `mode` and `upper`");
        return None;
    };
    if !(lo.x <= mo.x && mo.x <= hi.x && lo.x < hi.x) {
        e.bad(
            r,
            &mo,
            "mode",
            format!(
                "expected lower ≤ mode ≤ upper with lower < upper, found {}, {}, {}",
                number(lo.x),
                number(mo.x),
                number(hi.x)
            ),
        );
        return None;
    }
    let d = if e.dist == "pert" {
        ParamDist::Pert { lower: lo.x, mode: mo.x, upper: hi.x }
    } else {
        ParamDist::Triangular { lower: lo.x, mode: mo.x, upper: hi.x }
    };
    Some((d, mo.x))
}
