//! Time-to-event distributions as a scenario writes them: `{ dist = "weibull", shape = 1.3,
//! scale = "24 months" }` and the other families and parameterisations (flexsurv's).

use super::reader::{Check, Reader, Value, join};
use crate::model::*;
use crate::units::Dimension;
use std::ops::Range;
use toml::de::DeTable;

const DISTS: &[&str] = &[
    "exponential",
    "weibull",
    "gompertz",
    "loglogistic",
    "lognormal",
    "piecewise",
    "gamma",
    "gengamma",
    "spline",
];

/// The number of knots a spline may have: the two boundary knots and up to three between.
const SPLINE_KNOTS: std::ops::RangeInclusive<usize> = 2..=5;

/// A time-to-event distribution: `{ dist = "weibull", shape = 1.3, scale = "24 months" }`.
pub(super) fn read_tte(r: &mut Reader, v: &Value<'_>, p: &str) -> Option<TteSpec> {
    let t = r.table(v, p)?;
    let span = v.span();
    let dv = r.require(t, &span, p, "dist", &format!("one of {}", DISTS.join(", ")))?;
    let dist = r.string(dv, &join(p, "dist"))?;
    // Which keys a form takes, and which alternatives are mutually exclusive.
    let (form, keys): (TteForm, Vec<(&str, Dimension, Check)>) = match dist {
        "exponential" => {
            let choice = exactly_one(r, t, &span, p, &["rate", "median", "mean"])?;
            match choice {
                "rate" => {
                    (TteForm::ExponentialRate, vec![("rate", Dimension::PerTime, Check::Positive)])
                }
                "median" => (
                    TteForm::ExponentialMedian,
                    vec![("median", Dimension::Duration, Check::Positive)],
                ),
                _ => {
                    (TteForm::ExponentialMean, vec![("mean", Dimension::Duration, Check::Positive)])
                }
            }
        }
        "weibull" | "loglogistic" => {
            let choice = exactly_one(r, t, &span, p, &["scale", "median"])?;
            let form = match (dist, choice) {
                ("weibull", "scale") => TteForm::Weibull,
                ("weibull", _) => TteForm::WeibullMedian,
                _ => TteForm::LogLogistic,
            };
            (
                form,
                vec![
                    ("shape", Dimension::Number, Check::Positive),
                    (choice, Dimension::Duration, Check::Positive),
                ],
            )
        }
        "gompertz" => (
            TteForm::Gompertz,
            vec![
                ("shape", Dimension::PerTime, Check::Any),
                ("rate", Dimension::PerTime, Check::Positive),
            ],
        ),
        "lognormal" => {
            let choice = exactly_one(r, t, &span, p, &["median", "meanlog"])?;
            if choice == "median" {
                (
                    TteForm::LogNormalMedian,
                    vec![
                        ("median", Dimension::Duration, Check::Positive),
                        ("sdlog", Dimension::Number, Check::Positive),
                    ],
                )
            } else {
                let unit_years = read_unit(r, t, &span, p)?;
                (
                    TteForm::LogNormal { unit_years },
                    vec![
                        ("meanlog", Dimension::Number, Check::Any),
                        ("sdlog", Dimension::Number, Check::Positive),
                    ],
                )
            }
        }
        "gamma" => (
            TteForm::Gamma,
            vec![
                ("shape", Dimension::Number, Check::Positive),
                ("rate", Dimension::PerTime, Check::Positive),
            ],
        ),
        "gengamma" => {
            let unit_years = read_unit(r, t, &span, p)?;
            (
                TteForm::GenGamma { unit_years },
                vec![
                    ("mu", Dimension::Number, Check::Any),
                    ("sigma", Dimension::Number, Check::Positive),
                    ("Q", Dimension::Number, Check::Any),
                ],
            )
        }
        "piecewise" => return read_piecewise(r, t, &span, p),
        "spline" => return read_spline(r, t, &span, p),
        other => {
            let help = super::diagnostic::did_you_mean(other, DISTS.iter().copied())
                .map(|s| format!("did you mean `{s}`?"));
            r.error_help(
                dv.span(),
                &join(p, "dist"),
                format!("expected one of {}, found \"{other}\"", DISTS.join(", ")),
                help,
            );
            return None;
        }
    };
    let mut allowed = vec!["dist"];
    allowed.extend(keys.iter().map(|(k, _, _)| *k));
    if matches!(form, TteForm::LogNormal { .. } | TteForm::GenGamma { .. }) {
        allowed.push("unit");
    }
    r.check_keys(t, p, &allowed);
    let slots: Vec<Option<Slot>> = keys
        .iter()
        .map(|(k, dim, check)| {
            r.require(t, &span, p, k, dim.describe())
                .and_then(|x| r.quantity(x, &join(p, k), *dim, *check))
        })
        .collect();
    let spec = TteSpec { form, slots: slots.into_iter().collect::<Option<Vec<_>>>()? };
    // Cross-parameter validity (e.g. a Gompertz with rate ≤ 0) at the point values.
    if let Err(e) = spec.build(&r.values) {
        r.error(span, p, format!("not a valid {dist} distribution: {e}"));
        return None;
    }
    Some(spec)
}

/// The `unit` of a log time (a lognormal's `meanlog`, a generalised gamma's `mu`, a spline's
/// knots), in years.
fn read_unit(r: &mut Reader, t: &DeTable<'_>, span: &Range<usize>, p: &str) -> Option<f64> {
    let uv = r.require(t, span, p, "unit", "the time unit of log t, like \"months\"")?;
    let us = r.string(uv, &join(p, "unit"))?;
    match crate::units::time_unit(us) {
        Ok(u) => Some(u),
        Err(_) => {
            r.error_help(
                uv.span(),
                &join(p, "unit"),
                format!("unknown unit `{us}`"),
                Some("units are day(s), week(s), month(s), year(s)".into()),
            );
            None
        }
    }
}

/// A Royston–Parmar spline: `{ dist = "spline", knots = [k_min, …, k_max], gamma = [γ₀, …],
/// unit = "months" }`, the knots literal logs of times in `unit` (2 to 5, increasing), one
/// coefficient per knot (numbers or parameters).
fn read_spline(r: &mut Reader, t: &DeTable<'_>, span: &Range<usize>, p: &str) -> Option<TteSpec> {
    r.check_keys(t, p, &["dist", "knots", "gamma", "unit"]);
    let unit_years = read_unit(r, t, span, p);
    let knots = r.require(t, span, p, "knots", "a list of 2 to 5 log times, increasing")?;
    let gamma = r.require(t, span, p, "gamma", "a list of coefficients, one per knot")?;
    let ks = r.array(knots, &join(p, "knots"))?;
    let gs = r.array(gamma, &join(p, "gamma"));
    if !SPLINE_KNOTS.contains(&ks.len()) {
        r.error(
            knots.span(),
            &join(p, "knots"),
            format!(
                "expected {} to {} knots (the boundary knots and up to {} between), found {}",
                SPLINE_KNOTS.start(),
                SPLINE_KNOTS.end(),
                SPLINE_KNOTS.end() - 2,
                ks.len()
            ),
        );
        return None;
    }
    let values: Vec<Option<f64>> =
        ks.iter().enumerate().map(|(i, k)| r.number(k, &format!("{p}.knots[{i}]"))).collect();
    let values: Vec<f64> = values.into_iter().collect::<Option<_>>()?;
    if let Some(i) = values.windows(2).position(|w| !(w[0] < w[1])) {
        r.error(
            ks[i + 1].span(),
            &format!("{p}.knots[{}]", i + 1),
            format!(
                "expected knots that increase strictly, found {} after {}",
                values[i + 1],
                values[i]
            ),
        );
        return None;
    }
    let gs = gs?;
    if gs.len() != ks.len() {
        r.error(
            gamma.span(),
            &join(p, "gamma"),
            format!("expected one coefficient per knot ({}), found {}", ks.len(), gs.len()),
        );
        return None;
    }
    let mut slots: Vec<Option<Slot>> = values.iter().map(|&k| Some(r.constant(k))).collect();
    for (i, g) in gs.iter().enumerate() {
        slots.push(r.quantity(g, &format!("{p}.gamma[{i}]"), Dimension::Number, Check::Any));
    }
    let spec = TteSpec {
        form: TteForm::Spline { unit_years: unit_years? },
        slots: slots.into_iter().collect::<Option<Vec<_>>>()?,
    };
    if let Err(e) = spec.build(&r.values) {
        r.error(span.clone(), p, format!("not a valid spline distribution: {e}"));
        return None;
    }
    Some(spec)
}

fn exactly_one<'k>(
    r: &mut Reader,
    t: &DeTable<'_>,
    span: &Range<usize>,
    p: &str,
    keys: &[&'k str],
) -> Option<&'k str> {
    let present: Vec<&str> = keys.iter().copied().filter(|k| t.contains_key(*k)).collect();
    match present.as_slice() {
        [one] => Some(one),
        [] => {
            r.error(
                span.clone(),
                p,
                format!(
                    "missing parameter: expected one of {}",
                    keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                ),
            );
            None
        }
        many => {
            r.error(
                span.clone(),
                p,
                format!("give only one of {}, found {}", keys.join(", "), many.join(" and ")),
            );
            None
        }
    }
}

fn read_piecewise(
    r: &mut Reader,
    t: &DeTable<'_>,
    span: &Range<usize>,
    p: &str,
) -> Option<TteSpec> {
    r.check_keys(t, p, &["dist", "breaks", "rates"]);
    let breaks = r.require(t, span, p, "breaks", "a list of times starting at \"0 months\"")?;
    let rates = r.require(t, span, p, "rates", "a list of rates, one per break")?;
    let bs = r.array(breaks, &join(p, "breaks"))?;
    let rs = r.array(rates, &join(p, "rates"))?;
    if bs.len() != rs.len() || bs.is_empty() {
        r.error(
            rates.span(),
            &join(p, "rates"),
            format!("expected one rate per break ({}), found {}", bs.len(), rs.len()),
        );
        return None;
    }
    let mut slots = Vec::new();
    for (i, b) in bs.iter().enumerate() {
        slots.push(r.quantity(
            b,
            &format!("{p}.breaks[{i}]"),
            Dimension::Duration,
            Check::NonNegative,
        ));
    }
    for (i, x) in rs.iter().enumerate() {
        slots.push(r.quantity(
            x,
            &format!("{p}.rates[{i}]"),
            Dimension::PerTime,
            Check::NonNegative,
        ));
    }
    let spec =
        TteSpec { form: TteForm::Piecewise, slots: slots.into_iter().collect::<Option<Vec<_>>>()? };
    if let Err(e) = spec.build(&r.values) {
        r.error(
            breaks.span(),
            &join(p, "breaks"),
            format!("not a valid piecewise distribution: {e}"),
        );
        return None;
    }
    Some(spec)
}
