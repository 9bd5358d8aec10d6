//! `[scenario]` and `[payer]`: the run's settings, the decision problem's framing (comparator,
//! thresholds, willingness-to-pay grid) and the payer's perspective.

use super::diagnostic::number;
use super::reader::read_grid;
use super::reader::{Check, Reader, Value, describe, join};
use crate::model::limits::*;
use crate::model::*;
use crate::units::Dimension;
use std::ops::Range;
use toml::de::DeTable;

const SCENARIO_KEYS: &[&str] = &[
    "name",
    "title",
    "currency",
    "horizon",
    "discount",
    "patients",
    "samples",
    "seed",
    "comparator",
    "comparator_contract",
    "thresholds",
    "wtp_grid",
    "decision_years",
];

/// Most points of a willingness-to-pay grid.
const MAX_WTP_POINTS: usize = 10_000;

pub(super) fn read_meta(r: &mut Reader, v: &Value<'_>, strategies: &[String]) -> Option<Meta> {
    let p = "scenario";
    let t = r.table(v, p)?;
    let span = v.span();
    r.check_keys(t, p, SCENARIO_KEYS);
    let name = r.require(t, &span, p, "name", "the scenario's name").and_then(|v| {
        let name = r.name(v, "scenario.name")?;
        if name.len() > MAX_SCENARIO_NAME {
            let found = name.len();
            let message = format!(
                "expected a name of at most {MAX_SCENARIO_NAME} characters (it names the output folder), found {found}"
            );
            r.error(v.span(), "scenario.name", message);
            return None;
        }
        Some(name)
    });
    let title = match t.get("title") {
        Some(v) => r.string(v, "scenario.title").map(str::to_string),
        None => Some(String::new()),
    };
    let currency = match t.get("currency") {
        Some(v) => r.string(v, "scenario.currency").map(str::to_string),
        None => Some("USD".to_string()),
    };
    let horizon = read_horizon(r, t, &span);
    let (dc, doutc, dm) = read_discount(r, t, &span);
    let (patients, samples) = read_sizes(r, t, &span);
    let seed = match t.get("seed") {
        Some(v) => r.integer(v, "scenario.seed", 0),
        None => Some(0),
    };
    let comparator = r
        .require(t, &span, p, "comparator", "the name of the comparator strategy")
        .and_then(|v| r.resolve(v, "scenario.comparator", "strategy", strategies));
    let comparator_contract = match t.get("comparator_contract") {
        Some(v) => r.string(v, "scenario.comparator_contract").and_then(|k| match k {
            "same" => Some(ComparatorContract::Same),
            "list" => Some(ComparatorContract::List),
            other => {
                let message = format!("expected \"same\" or \"list\", found \"{other}\"");
                r.error(v.span(), "scenario.comparator_contract", message);
                None
            }
        }),
        None => Some(ComparatorContract::Same),
    };
    let thresholds = read_thresholds(r, t);
    let wtp_grid = match t.get("wtp_grid") {
        Some(v) => read_grid(r, v, "scenario.wtp_grid", Check::NonNegative, MAX_WTP_POINTS),
        None => Some(Vec::new()),
    };
    let decision_years = match t.get("decision_years") {
        Some(v) => r.integer(v, "scenario.decision_years", 1).and_then(|n| {
            if n > 100 {
                r.error(
                    v.span(),
                    "scenario.decision_years",
                    format!("expected at most 100 years, found {n}"),
                );
                None
            } else {
                Some(n)
            }
        }),
        None => Some(10),
    };
    Some(Meta {
        name: name?,
        title: title?,
        currency: currency?,
        horizon: horizon?,
        discount_costs: dc?,
        discount_outcomes: doutc?,
        discount_manufacturer: dm?.unwrap_or(dc?),
        patients: patients?,
        samples: samples?,
        seed: seed?,
        comparator: comparator?,
        comparator_contract: comparator_contract?,
        wtp_grid: {
            // Default grid: 0 to twice the largest threshold in 40 steps; every threshold on
            // it, so that the CEAC, CEAF and EVPI have a row at each (a step of 7,500 skips
            // 100,000).
            let grid: Vec<f64> = wtp_grid?;
            let thresholds: &Vec<f64> = thresholds.as_ref()?;
            let mut grid = if grid.is_empty() {
                let top = 2.0 * thresholds.iter().copied().fold(0.0, f64::max).max(1.0);
                (0..=40).map(|k| top * k as f64 / 40.0).collect()
            } else {
                grid
            };
            grid.extend(thresholds);
            grid.sort_by(f64::total_cmp);
            grid.dedup();
            grid
        },
        decision_years: decision_years?,
        thresholds: thresholds?,
        perspective: Perspective::National,
        population: None,
    })
}

/// `horizon`: a duration of at most [`MAX_HORIZON_YEARS`].
fn read_horizon(r: &mut Reader, t: &DeTable<'_>, span: &Range<usize>) -> Option<f64> {
    let p = "scenario";
    r.require(t, span, p, "horizon", "a duration like \"20 years\"").and_then(|v| {
        let h = r.literal_quantity(v, "scenario.horizon", Dimension::Duration, Check::Positive)?;
        if h > MAX_HORIZON_YEARS {
            r.error(
                v.span(),
                "scenario.horizon",
                format!(
                    "expected a horizon of at most {MAX_HORIZON_YEARS} years, found {}",
                    describe(v.get_ref())
                ),
            );
            return None;
        }
        Some(h)
    })
}

/// `discount = { costs, outcomes, manufacturer }`: annual rates in [0, 1) (costs, outcomes,
/// and the manufacturer's when given).
fn read_discount(
    r: &mut Reader,
    t: &DeTable<'_>,
    span: &Range<usize>,
) -> (Option<f64>, Option<f64>, Option<Option<f64>>) {
    let p = "scenario";
    let (mut dc, mut doutc) = (Some(0.0), Some(0.0));
    let mut dm: Option<Option<f64>> = Some(None);
    if let Some(d) = r.require(t, span, p, "discount", "a table { costs = 0.03, outcomes = 0.03 }")
        && let Some(dt) = r.table(d, "scenario.discount")
    {
        r.check_keys(dt, "scenario.discount", &["costs", "outcomes", "manufacturer"]);
        if let Some(mv) = dt.get("manufacturer") {
            dm = r.number(mv, "scenario.discount.manufacturer").and_then(|x| {
                if (0.0..1.0).contains(&x) {
                    Some(Some(x))
                } else {
                    r.error(
                        mv.span(),
                        "scenario.discount.manufacturer",
                        format!("expected an annual rate in [0, 1), found {}", number(x)),
                    );
                    None
                }
            });
        }
        for (key, out) in [("costs", &mut dc), ("outcomes", &mut doutc)] {
            *out = r
                .require(dt, &d.span(), "scenario.discount", key, "an annual rate like 0.03")
                .and_then(|v| r.number(v, &format!("scenario.discount.{key}")))
                .and_then(|x| {
                    if (0.0..1.0).contains(&x) {
                        Some(x)
                    } else {
                        let dv = &dt[key];
                        r.error(
                            dv.span(),
                            &format!("scenario.discount.{key}"),
                            format!("expected an annual rate in [0, 1), found {}", number(x)),
                        );
                        None
                    }
                });
        }
    }
    (dc, doutc, dm)
}

/// `patients` (required) and `samples` (default 0), within the engine's limits.
fn read_sizes(r: &mut Reader, t: &DeTable<'_>, span: &Range<usize>) -> (Option<u64>, Option<u64>) {
    let p = "scenario";
    let patients = r
        .require(t, span, p, "patients", "the number of simulated patients per strategy")
        .and_then(|v| {
            let n = r.integer(v, "scenario.patients", 1)?;
            if n > MAX_PATIENTS {
                r.error(
                    v.span(),
                    "scenario.patients",
                    format!("expected at most {MAX_PATIENTS} patients per strategy, found {n}"),
                );
                return None;
            }
            Some(n)
        });
    let samples = match t.get("samples") {
        Some(v) => r.integer(v, "scenario.samples", 0).and_then(|n| {
            if n > MAX_SAMPLES {
                let message = format!("expected at most {MAX_SAMPLES} PSA samples, found {n}");
                r.error(v.span(), "scenario.samples", message);
                return None;
            }
            Some(n)
        }),
        None => Some(0),
    };
    (patients, samples)
}

/// `thresholds`: willingness to pay per QALY, each once (default 100,000).
fn read_thresholds(r: &mut Reader, t: &DeTable<'_>) -> Option<Vec<f64>> {
    match t.get("thresholds") {
        Some(v) => r.array(v, "scenario.thresholds").and_then(|items| {
            let xs: Vec<Option<f64>> = items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    r.literal_quantity(
                        x,
                        &format!("scenario.thresholds[{i}]"),
                        Dimension::Number,
                        Check::NonNegative,
                    )
                })
                .collect();
            // Each threshold is a row of the long tables (nmb.csv's `wtp`): duplicates would clash.
            for (i, x) in xs.iter().enumerate() {
                if let Some(x) = x
                    && xs[..i].iter().flatten().any(|y| y == x)
                {
                    r.error(
                        items[i].span(),
                        &format!("scenario.thresholds[{i}]"),
                        format!("duplicate threshold {x}: expected each threshold once"),
                    );
                }
            }
            xs.into_iter().collect::<Option<Vec<f64>>>()
        }),
        None => Some(vec![100_000.0]),
    }
}

/// `[payer]`: the perspective, and the population (patients entering each strategy per year,
/// a whole number ≥ 1), if given.
pub(super) fn read_payer(r: &mut Reader, v: &Value<'_>) -> Option<(Perspective, Option<u64>)> {
    let t = r.table(v, "payer")?;
    r.check_keys(t, "payer", &["perspective", "turnover", "portable", "population"]);
    let population = match t.get("population") {
        Some(x) => r.integer(x, "payer.population", 1).and_then(|n| {
            if n as f64 > crate::model::limits::MAX_MAGNITUDE {
                r.error(
                    x.span(),
                    "payer.population",
                    format!(
                        "expected at most {:e} patients a year, found {n}",
                        crate::model::limits::MAX_MAGNITUDE
                    ),
                );
                None
            } else {
                Some(Some(n))
            }
        }),
        None => Some(None),
    };
    let perspective = read_perspective(r, t, v);
    Some((perspective?, population?))
}

fn read_perspective(r: &mut Reader, t: &DeTable<'_>, v: &Value<'_>) -> Option<Perspective> {
    let perspective = match t.get("perspective") {
        Some(pv) => r.string(pv, "payer.perspective")?.to_string(),
        None => "national".to_string(),
    };
    match perspective.as_str() {
        "national" => {
            for key in ["turnover", "portable"] {
                if let Some(x) = t.get(key) {
                    r.error(
                        x.span(),
                        &join("payer", key),
                        format!("`{key}` applies to perspective = \"commercial\" only"),
                    );
                }
            }
            Some(Perspective::National)
        }
        "commercial" => {
            let turnover = r
                .require(
                    t,
                    &v.span(),
                    "payer",
                    "turnover",
                    "the annual probability of leaving the plan, like 0.25",
                )
                .and_then(|x| {
                    let p = r.number(x, "payer.turnover")?;
                    if (0.0..1.0).contains(&p) {
                        Some(p)
                    } else {
                        r.error(
                            x.span(),
                            "payer.turnover",
                            format!(
                                "expected an annual probability in [0, 1), found {}",
                                number(p)
                            ),
                        );
                        None
                    }
                });
            let portable = r.flag(t, "payer", "portable");
            Some(Perspective::Commercial { turnover: turnover?, portable: portable? })
        }
        other => {
            let pv = &t["perspective"];
            r.error(
                pv.span(),
                "payer.perspective",
                format!("expected \"national\" or \"commercial\", found \"{other}\""),
            );
            None
        }
    }
}
