//! `[budget_impact]`: the incident population, its growth and the new strategy's uptake year by
//! year, for the budget impact analysis (ISPOR 2014 good practice).

use super::diagnostic::number;
use super::reader::{Reader, Value};
use crate::model::BudgetImpact;
use crate::model::limits::MAX_BUDGET_YEARS;
use crate::model::limits::MAX_MAGNITUDE;
use toml::de::DeValue;

const KEYS: &[&str] =
    &["strategy", "years", "incident", "growth", "prevalent", "uptake", "members", "current"];

pub(super) fn read_budget_impact(
    r: &mut Reader,
    v: &Value<'_>,
    strategies: &[String],
    meta: Option<(usize, f64)>,
) -> Option<BudgetImpact> {
    let comparator = meta.map(|m| m.0);
    let horizon = meta.map_or(f64::INFINITY, |m| m.1);
    let p = "budget_impact";
    let t = r.table(v, p)?;
    r.check_keys(t, p, KEYS);
    let span = v.span();
    let strategy = r
        .require(t, &span, p, "strategy", "the name of the new strategy being adopted")
        .and_then(|x| {
            let s = r.resolve(x, "budget_impact.strategy", "strategy", strategies)?;
            if Some(s) == comparator {
                r.error(
                    x.span(),
                    "budget_impact.strategy",
                    format!(
                        "expected a strategy other than the comparator `{}`: the world without \
                         the new strategy gives everybody the comparator",
                        strategies[s]
                    ),
                );
                return None;
            }
            Some(s)
        });
    let years = r
        .require(t, &span, p, "years", "the budget horizon in whole years, 1 to 10")
        .and_then(|x| {
            let n = r.integer(x, "budget_impact.years", 1)?;
            if n > MAX_BUDGET_YEARS {
                r.error(
                    x.span(),
                    "budget_impact.years",
                    format!("expected at most {MAX_BUDGET_YEARS} years, found {n}"),
                );
                return None;
            }
            // The last entrants are followed to the end of the budget: the model must reach it.
            if n as f64 > horizon {
                r.error(
                    x.span(),
                    "budget_impact.years",
                    format!(
                        "expected a budget horizon within the model's horizon ({horizon} years), found {n} years"
                    ),
                );
                return None;
            }
            Some(n as usize)
        });
    let incident = r
        .require(t, &span, p, "incident", "eligible patients diagnosed in year 1, like 1200")
        .and_then(|x| count(r, x, "budget_impact.incident", false));
    let growth = match t.get("growth") {
        Some(x) => r.number(x, "budget_impact.growth").and_then(|g| {
            if g > -1.0 && g <= 10.0 {
                Some(g)
            } else {
                r.error(
                    x.span(),
                    "budget_impact.growth",
                    format!(
                        "expected an annual growth rate above −1 (−100 %) and at most 10, found {}",
                        number(g)
                    ),
                );
                None
            }
        }),
        None => Some(0.0),
    };
    let prevalent = match t.get("prevalent") {
        Some(x) => count(r, x, "budget_impact.prevalent", true),
        None => Some(0.0),
    };
    // The plan's members (everybody insured, not only the eligible patients).
    let members = match t.get("members") {
        Some(x) => count(r, x, "budget_impact.members", false).map(Some),
        None => Some(None),
    };
    let uptake = r
        .require(
            t,
            &span,
            p,
            "uptake",
            "the new strategy's share of each year's patients, like [0.2, 0.4, 0.6]",
        )
        .and_then(|x| read_uptake(r, x, years?));
    let current = match t.get("current") {
        Some(x) => read_current(r, x, strategies, strategy),
        None => comparator.map(|c| vec![(c, 1.0)]),
    };
    Some(BudgetImpact {
        current: current?,
        strategy: strategy?,
        years: years?,
        incident: incident?,
        growth: growth?,
        prevalent: prevalent?,
        uptake: uptake?,
        members: members?,
    })
}

/// `current = { STRATEGY = share, … }`: today's treatment mix, strategies other than the new
/// one, shares in [0, 1] summing to 1 (within 1e-9).
fn read_current(
    r: &mut Reader,
    x: &Value<'_>,
    strategies: &[String],
    new: Option<usize>,
) -> Option<Vec<(usize, f64)>> {
    let path = "budget_impact.current";
    let t = r.table(x, path)?;
    let mut out = Vec::new();
    let mut ok = true;
    for (key, v) in t.iter() {
        let name = key.get_ref();
        let p = format!("{path}.{name}");
        let Some(s) = strategies.iter().position(|n| n == name.as_ref()) else {
            let help = Some(super::reader::defined_help(
                name,
                "strategy",
                strategies.iter().map(String::as_str),
            ));
            r.error_help(key.span(), &p, format!("undefined strategy `{name}`"), help);
            ok = false;
            continue;
        };
        if Some(s) == new {
            let message = format!(
                "expected a strategy of today's mix, found the new strategy `{name}`: it takes its \
                 share through `uptake`"
            );
            r.error(key.span(), &p, message);
            ok = false;
            continue;
        }
        let Some(share) = r.number(v, &p) else {
            ok = false;
            continue;
        };
        if !(0.0..=1.0).contains(&share) {
            r.error(v.span(), &p, format!("expected a share in [0, 1], found {}", number(share)));
            ok = false;
            continue;
        }
        out.push((s, share));
    }
    if !ok {
        return None;
    }
    let total: f64 = out.iter().map(|(_, s)| s).sum();
    if out.is_empty() || (total - 1.0).abs() > 1e-9 {
        let message = format!(
            "expected the shares of today's treatments, summing to 1, found a sum of {}",
            number((total * 1e9).round() / 1e9)
        );
        r.error(x.span(), path, message);
        return None;
    }
    Some(out)
}

/// A number of patients: finite, positive (or zero if `zero` is allowed), not absurd.
fn count(r: &mut Reader, x: &Value<'_>, path: &str, zero: bool) -> Option<f64> {
    let n = r.number(x, path)?;
    let low_ok = if zero { n >= 0.0 } else { n > 0.0 };
    if low_ok && n <= MAX_MAGNITUDE {
        Some(n)
    } else {
        let bound = if zero { "at least 0" } else { "above 0" };
        r.error(
            x.span(),
            path,
            format!(
                "expected a number of patients {bound} and at most {MAX_MAGNITUDE:e}, found {}",
                number(n)
            ),
        );
        None
    }
}

/// One share for every year, or one per year.
fn read_uptake(r: &mut Reader, x: &Value<'_>, years: usize) -> Option<Vec<f64>> {
    let path = "budget_impact.uptake";
    let share = |r: &mut Reader, v: &Value<'_>, path: &str| -> Option<f64> {
        let s = r.number(v, path)?;
        if (0.0..=1.0).contains(&s) {
            Some(s)
        } else {
            r.error(v.span(), path, format!("expected a share in [0, 1], found {}", number(s)));
            None
        }
    };
    match x.get_ref() {
        DeValue::Array(items) => {
            if items.len() != years {
                r.error(
                    x.span(),
                    path,
                    format!("expected one share per budget year ({years}), found {}", items.len()),
                );
                return None;
            }
            let shares: Vec<Option<f64>> = items
                .iter()
                .enumerate()
                .map(|(i, v)| share(r, v, &format!("{path}[{i}]")))
                .collect();
            shares.into_iter().collect()
        }
        _ => share(r, x, path).map(|s| vec![s; years]),
    }
}
