//! The run's plots, assembled from its result tables: survival, the cost-effectiveness plane,
//! CEAC, CEAF, EVPI and contract spend.

use super::plots::{Chart, Panel, Plot, PlotError, Series, write};
use super::psa_tables::set_name;
use crate::analysis::psa::Acceptability;
use crate::analysis::results::Results;
use crate::model::Model;
use std::path::Path;

/// Plot stems written by a run: always `survival` and `ce_plane`; `states` with pathways after
/// progression; `contracts` with contracts;
/// `ceac`, `ceaf`, `evpi` with PSA; `selection_nmb` (and `selection_price` with contract arms)
/// with a selection sweep. Each as .png and .svg.
pub const PLOTS: &[&str] = &[
    "survival",
    "states",
    "ce_plane",
    "contracts",
    "ceac",
    "ceaf",
    "evpi",
    "evppi",
    "selection_nmb",
    "selection_price",
    "budget_impact",
];

/// Incremental NMB and threshold price against the cutoff of each selection test, one line
/// per arm of a strategy that runs the test and per threshold.
fn write_selection(dir: &Path, model: &Model, results: &Results) -> Result<(), PlotError> {
    let currency = &model.meta.currency;
    let mut nmb = Vec::new();
    let mut price = Vec::new();
    // Lines drawn so far (one colour each, the same in both plots).
    let mut drawn = 0;
    for (test, t) in model.tests.iter().enumerate() {
        if t.selection.is_none() {
            continue;
        }
        let points: Vec<_> = results.selection.iter().filter(|p| p.test == test).collect();
        for listing in model.listings() {
            let (i, strategy) = (listing.arm, results.arms[listing.arm].strategy);
            if !model.runs_test(strategy, test) {
                continue;
            }
            for (k, l) in model.meta.thresholds.iter().enumerate() {
                let name =
                    format!("{}: {} at {l}", t.name, model.arm_name(strategy, listing.contract));
                let colour = drawn;
                drawn += 1;
                // A `list` contract's NMB is its list arm's line: drawn once.
                if listing.slot.is_none_or(|slot| slot == i) {
                    nmb.push(Series {
                        name: name.clone(),
                        points: points
                            .iter()
                            .map(|p| (p.cutoff, p.summary[i].inc_nmb[k].mean))
                            .collect(),
                        dashed: false,
                        colour,
                    });
                }
                let prices: Vec<(f64, f64)> = points
                    .iter()
                    .filter_map(|p| {
                        let row = p.contracts.iter().find(|r| Some(r.slot) == listing.slot)?;
                        Some((p.cutoff, row.threshold_price[k].price()?))
                    })
                    .collect();
                if !prices.is_empty() {
                    price.push(Series { name, points: prices, dashed: false, colour });
                }
            }
        }
    }
    write(
        dir,
        "selection_nmb",
        &Plot {
            title: format!(
                "Incremental NMB vs {} by selection cutoff",
                model.strategies[model.meta.comparator].name
            ),
            x_label: "cutoff (SD of non-responders' scores)".into(),
            y_label: format!("incremental NMB ({currency} per patient)"),
            chart: Chart::Lines { series: nmb, y_range: None },
        },
    )?;
    if price.is_empty() {
        return Ok(());
    }
    write(
        dir,
        "selection_price",
        &Plot {
            title: "Threshold (value-based) list price by selection cutoff".into(),
            x_label: "cutoff (SD of non-responders' scores)".into(),
            y_label: format!("price per cycle ({currency})"),
            chart: Chart::Lines { series: price, y_range: None },
        },
    )
}

/// The cost categories grouped for a legend of a few entries.
fn category_group(name: &str) -> usize {
    if name.starts_with("drug:") {
        0
    } else if name == "testing" {
        1
    } else if name.starts_with("rebate:") {
        3
    } else if name == "contract_admin" {
        4
    } else {
        2
    }
}

const CATEGORY_GROUPS: [&str; 5] =
    ["drugs", "testing", "care and adverse events", "rebates", "contract administration"];

/// Budget impact: per contract, the world-with spend of each year stacked by category group,
/// and the net budget impact as a line, with its 95 % interval across PSA samples.
fn write_budget(dir: &Path, model: &Model, results: &Results) -> Result<(), PlotError> {
    let Some(b) = &model.budget else { return Ok(()) };
    let categories = model.categories();
    let mut contracts: Vec<Option<usize>> = Vec::new();
    for r in &results.budget {
        if !contracts.contains(&r.contract) {
            contracts.push(r.contract);
        }
    }
    // Money in thousands or millions when large, so tick labels stay readable.
    let largest =
        results.budget.iter().map(|r| r.with.abs().max(r.net().abs())).fold(0.0, f64::max);
    let (scale, unit) = if largest >= 1e6 {
        (1e6, " million")
    } else if largest >= 1e4 {
        (1e3, " thousand")
    } else {
        (1.0, "")
    };
    let panels = contracts
        .iter()
        .map(|&contract| {
            let rows = || results.budget.iter().filter(move |r| r.contract == contract);
            let mut stacks: Vec<(String, Vec<f64>)> =
                CATEGORY_GROUPS.iter().map(|g| (g.to_string(), vec![0.0; b.years])).collect();
            let mut net = vec![0.0; b.years];
            for r in rows() {
                match r.category {
                    Some(c) => {
                        stacks[category_group(&categories[c])].1[r.year - 1] += r.with / scale
                    }
                    None => net[r.year - 1] = r.net() / scale,
                }
            }
            // The net impact's 95 % interval across PSA samples, year by year.
            let mut band: Vec<(usize, (f64, f64))> = (results.budget_bands.iter())
                .filter(|x| x.contract == contract)
                .map(|x| (x.year, (x.net.low / scale, x.net.high / scale)))
                .collect();
            band.sort_by_key(|x| x.0);
            Panel {
                title: model.contract_name(contract).to_string(),
                stacks,
                line: ("net budget impact".to_string(), net),
                band: band.into_iter().map(|x| x.1).collect(),
            }
        })
        .collect();
    write(
        dir,
        "budget_impact",
        &Plot {
            title: format!(
                "Budget impact of {} (undiscounted): spend with it, and net of the world without",
                model.strategies[b.strategy].name
            ),
            x_label: "budget year".into(),
            y_label: format!("{}{unit} per year", model.meta.currency),
            chart: Chart::StackedPanels { panels },
        },
    )
}

/// Every plot of a run's folder, from its results.
pub fn write_all(dir: &Path, model: &Model, results: &Results) -> Result<(), PlotError> {
    write_survival(dir, model, results)?;
    if !model.pathways.is_empty() {
        write_states(dir, model, results)?;
    }
    write_ce_plane(dir, model, results)?;
    if !results.contracts.is_empty() {
        write_contracts(dir, model, results)?;
    }
    if !results.selection.is_empty() {
        write_selection(dir, model, results)?;
    }
    if !results.budget.is_empty() {
        write_budget(dir, model, results)?;
    }
    if results.psa.is_empty() {
        return Ok(());
    }
    write_acceptability(dir, model, results)
}

/// Most years the state-occupancy plot shows (one bar per year).
const STATE_YEARS: usize = 20;

/// State occupancy (with pathways after progression): per strategy a panel of stacked bars,
/// the share in each state at the end of each year (every panel lists every state, in
/// states.csv's order), and the share alive as a line.
fn write_states(dir: &Path, model: &Model, results: &Results) -> Result<(), PlotError> {
    let years = ((model.meta.horizon + 1e-9).floor() as usize).clamp(1, STATE_YEARS);
    let at = |curve: &[f64], y: usize| curve.get(12 * y).copied().unwrap_or(0.0);
    // Every pathway state by its slot; named by state, with its pathway when names repeat.
    let mut names = Vec::new();
    for p in &model.pathways {
        for st in &p.states {
            let repeated = model
                .pathways
                .iter()
                .flat_map(|q| &q.states)
                .filter(|other| other.name == st.name)
                .count()
                > 1;
            names.push(if repeated { format!("{}: {}", p.name, st.name) } else { st.name.clone() });
        }
    }
    let panels = results
        .survival
        .iter()
        .enumerate()
        .map(|(s, c)| {
            let yearly = |curve: &[f64]| (1..=years).map(|y| at(curve, y)).collect::<Vec<f64>>();
            let mut stacks = vec![
                ("progression-free".to_string(), yearly(&c.pfs)),
                ("progressed".to_string(), yearly(&c.progressed)),
            ];
            for (slot, name) in names.iter().enumerate() {
                stacks.push((name.clone(), yearly(&c.states[slot])));
            }
            stacks.push(("dead".to_string(), yearly(&c.dead)));
            Panel {
                title: model.strategies[s].name.clone(),
                stacks,
                line: ("alive".to_string(), yearly(&c.os)),
                band: Vec::new(),
            }
        })
        .collect();
    write(
        dir,
        "states",
        &Plot {
            title: format!("Where patients are at the end of each year (first {years} years)"),
            x_label: "years after diagnosis".into(),
            y_label: "share of patients".into(),
            chart: Chart::StackedPanels { panels },
        },
    )
}

/// Survival: OS solid, PFS dashed, per strategy; with `[population]` the same patients'
/// survival on general-population mortality alone, in a colour of its own, so that a reader
/// sees at once where an OS curve comes near it.
///
/// In months, as oncologists read survival, and only as far as the curves go: to the end of
/// the first year in which every strategy's OS is at most 1 % (the horizon if none is).
fn write_survival(dir: &Path, model: &Model, results: &Results) -> Result<(), PlotError> {
    let mut series = Vec::new();
    let months = results.survival.iter().map(|c| c.os.len()).max().unwrap_or(0);
    let ended = |m: usize| results.survival.iter().all(|c| c.os.get(m).is_none_or(|&y| y <= 0.01));
    let end = (0..months).find(|&m| ended(m)).map_or(months, |m| (m / 12 + 1) * 12);
    let line = |curve: &[f64]| -> Vec<(f64, f64)> {
        std::iter::once((0.0, 1.0))
            .chain(curve.iter().enumerate().take(end + 1).map(|(m, &y)| (m as f64, y)))
            .collect()
    };
    for (s, curves) in results.survival.iter().enumerate() {
        let name = &model.strategies[s].name;
        for (label, curve, dashed) in [("OS", &curves.os, false), ("PFS", &curves.pfs, true)] {
            let points = line(curve);
            series.push(Series { name: format!("{name} {label}"), points, dashed, colour: s });
        }
    }
    if !results.general_population.is_empty() {
        series.push(Series {
            name: "general population (same patients)".into(),
            points: line(&results.general_population),
            dashed: false,
            colour: results.survival.len(),
        });
    }
    write(
        dir,
        "survival",
        &Plot {
            title: "Survival from diagnosis".into(),
            x_label: "months since diagnosis".into(),
            y_label: "share of patients".into(),
            chart: Chart::Lines { series, y_range: Some((0.0, 1.02)) },
        },
    )
}

/// The most PSA samples the cost-effectiveness plane draws (per arm). Above it the plane
/// shows this many, evenly spaced by sample number ([`ce_plane_samples`]), and says so in its
/// title: 2,000 points per arm keep the SVG (and report.html, which embeds it) to about 250
/// kB per arm, where a million samples made it half a gigabyte that no browser opens. The
/// cloud's shape is what the plane shows; the tables use every sample.
pub const CE_PLANE_MOST_SAMPLES: usize = 2_000;

/// The positions (in `results.psa`) of the samples the cost-effectiveness plane draws: every
/// one up to [`CE_PLANE_MOST_SAMPLES`], else that many evenly spaced, the same for every arm.
pub fn ce_plane_samples(samples: usize) -> Vec<usize> {
    crate::analysis::psa::evenly_spaced(samples, CE_PLANE_MOST_SAMPLES)
}

/// How the cost-effectiveness plane's title names what it shows.
pub fn ce_plane_basis(samples: usize) -> String {
    match samples {
        0 => "base case".into(),
        s if s <= CE_PLANE_MOST_SAMPLES => "PSA samples".into(),
        s => format!("{CE_PLANE_MOST_SAMPLES} of {s} PSA samples, evenly spaced"),
    }
}

/// The cost-effectiveness plane: every arm but the comparator, against the comparator (at list,
/// or under the arm's contract: [`Model::references`]).
fn write_ce_plane(dir: &Path, model: &Model, results: &Results) -> Result<(), PlotError> {
    let currency = &model.meta.currency;
    let references = model.references(&results.arms);
    let shown = ce_plane_samples(results.psa.len());
    let arms = || results.arms.iter().enumerate().filter(|&(i, _)| references[i] != i);
    // Each arm's mean over every PSA sample (drawn or not), or its base case.
    let means: Vec<(f64, f64)> = arms()
        .map(|(i, _)| {
            if results.psa.is_empty() {
                return (results.summary[i].inc_qaly.mean, results.summary[i].inc_cost.mean);
            }
            let n = results.psa.len() as f64;
            let sum = |f: &dyn Fn(&crate::analysis::psa::SampleArm) -> f64| {
                results.psa.iter().map(|s| f(&s.arms[i])).sum::<f64>() / n
            };
            (sum(&|a| a.inc_qaly.mean), sum(&|a| a.inc_cost.mean))
        })
        .collect();
    let series: Vec<Series> = arms()
        .enumerate()
        .map(|(k, (i, a))| {
            let points = if results.psa.is_empty() {
                vec![(results.summary[i].inc_qaly.mean, results.summary[i].inc_cost.mean)]
            } else {
                let arm = |k: &usize| &results.psa[*k].arms[i];
                shown.iter().map(arm).map(|a| (a.inc_qaly.mean, a.inc_cost.mean)).collect()
            };
            Series {
                name: model.arm_name(a.strategy, a.contract),
                points,
                dashed: false,
                colour: k,
            }
        })
        .collect();
    let slopes = model
        .meta
        .thresholds
        .iter()
        .map(|l| (format!("{} {currency}/QALY", super::tables::grouped(*l, 0)), *l))
        .collect();
    let basis = ce_plane_basis(results.psa.len());
    write(
        dir,
        "ce_plane",
        &Plot {
            title: format!(
                "Cost-effectiveness plane vs {} ({basis})",
                model.strategies[model.meta.comparator].name
            ),
            x_label: "incremental QALYs".into(),
            y_label: format!("incremental cost ({currency})"),
            chart: Chart::Scatter { series, slopes, means },
        },
    )
}

/// Per contract and patient: the payer's drug spend (list, under the contract, refunds and
/// administration), the manufacturer's net revenue, and the payer's value (incremental NMB
/// at the first threshold), side by side.
fn write_contracts(dir: &Path, model: &Model, results: &Results) -> Result<(), PlotError> {
    let rows = &results.contracts;
    // Contract names alone when one strategy holds every contract arm.
    let strategy_of = |arm: usize| results.arms[arm].strategy;
    let one_strategy = rows.iter().all(|r| strategy_of(r.arm) == strategy_of(rows[0].arm));
    let groups = rows
        .iter()
        .map(|r| {
            let a = results.arms[r.arm];
            (
                if one_strategy {
                    model.contracts[r.contract].name.clone()
                } else {
                    model.arm_name(a.strategy, Some(r.contract))
                },
                {
                    let mut bars = vec![
                        ("list spend".to_string(), r.list_spend),
                        ("contract spend".to_string(), r.contract_spend),
                        ("refunds".to_string(), r.refunds),
                        ("administration".to_string(), r.admin),
                        ("manufacturer net revenue".to_string(), r.manufacturer_net_revenue),
                    ];
                    // The payer's value: the arm's incremental NMB at the first threshold.
                    if let Some(l) = model.meta.thresholds.first() {
                        let nmb = results.summary[r.arm].inc_nmb[0].mean;
                        let l = super::tables::grouped(*l, 0);
                        bars.push((format!("payer's incremental NMB at {l}"), nmb));
                    }
                    bars
                },
            )
        })
        .collect();
    write(
        dir,
        "contracts",
        &Plot {
            title:
                "Payer spend and value, manufacturer revenue per patient (base case, discounted)"
                    .into(),
            x_label: "arm".into(),
            y_label: model.meta.currency.clone(),
            chart: Chart::Bars { groups },
        },
    )
}

/// The CEAC of the list decision set (one line per strategy), and the CEAF and EVPI of every
/// decision set.
fn write_acceptability(dir: &Path, model: &Model, results: &Results) -> Result<(), PlotError> {
    let currency = &model.meta.currency;
    let sets = &results.decision.sets;
    let list = &sets[0];
    let series = list
        .set
        .arms
        .iter()
        .enumerate()
        .map(|(j, &arm)| Series {
            name: model.arm_name(results.arms[arm].strategy, results.arms[arm].contract),
            points: list.acceptability.iter().map(|a| (a.wtp, a.probability[j])).collect(),
            dashed: false,
            colour: j,
        })
        .collect();
    write(
        dir,
        "ceac",
        &Plot {
            title: "Cost-effectiveness acceptability curves (list prices)".into(),
            x_label: format!("willingness to pay ({currency} per QALY)"),
            y_label: "probability of highest net benefit".into(),
            chart: Chart::Lines { series, y_range: Some((0.0, 1.02)) },
        },
    )?;
    let per_set = |value: &dyn Fn(&Acceptability) -> f64| -> Vec<Series> {
        sets.iter()
            .enumerate()
            .map(|(k, a)| Series {
                name: set_name(model, &a.set),
                points: a.acceptability.iter().map(|x| (x.wtp, value(x))).collect(),
                dashed: false,
                colour: k,
            })
            .collect()
    };
    write(
        dir,
        "ceaf",
        &Plot {
            title: "Cost-effectiveness acceptability frontier, per decision set".into(),
            x_label: format!("willingness to pay ({currency} per QALY)"),
            y_label: "probability the optimal arm is best".into(),
            chart: Chart::Lines {
                series: frontier_runs(model, results),
                y_range: Some((0.0, 1.02)),
            },
        },
    )?;
    write(
        dir,
        "evpi",
        &Plot {
            title: "Expected value of perfect information per patient".into(),
            x_label: format!("willingness to pay ({currency} per QALY)"),
            y_label: format!("EVPI ({currency} per patient)"),
            chart: Chart::Lines { series: per_set(&|x| x.evpi), y_range: None },
        },
    )?;
    write_evppi(dir, model, results)
}

/// Each decision set's CEAF in runs of one optimal arm: the set's colour, dashed while the
/// comparator is optimal and solid while another strategy is, named `set: strategy optimal`
/// (a set holds one arm per strategy), so that the plot says which arm is optimal where. Each
/// run ends at the next one's first point, so the curve stays joined.
fn frontier_runs(model: &Model, results: &Results) -> Vec<Series> {
    let mut out = Vec::new();
    for (k, a) in results.decision.sets.iter().enumerate() {
        let points = &a.acceptability;
        let mut start = 0;
        while start < points.len() {
            let optimal = points[start].optimal;
            let end = (start..points.len()).find(|&i| points[i].optimal != optimal);
            let last = end.map_or(points.len() - 1, |e| e);
            let strategy = results.arms[a.set.arms[optimal]].strategy;
            out.push(Series {
                name: format!(
                    "{}: {} optimal",
                    set_name(model, &a.set),
                    model.strategies[strategy].name
                ),
                points: points[start..=last]
                    .iter()
                    .map(|x| (x.wtp, x.probability[x.optimal]))
                    .collect(),
                dashed: strategy == model.meta.comparator,
                colour: k,
            });
            start = end.unwrap_or(points.len());
        }
    }
    out
}

/// The EVPPI of each uncertain parameter over the willingness-to-pay grid, for the list
/// decision set, beside its EVPI (dashed, the most any parameter's can be); written when some
/// parameter has an estimate (80 PSA samples or more).
fn write_evppi(dir: &Path, model: &Model, results: &Results) -> Result<(), PlotError> {
    let currency = &model.meta.currency;
    let list = &results.decision.sets[0];
    let grid = &model.meta.wtp_grid;
    let subjects = model.evppi_subjects();
    let mut series: Vec<Series> = subjects
        .iter()
        .zip(&list.evppi)
        .enumerate()
        .filter_map(|(k, (p, values))| {
            let points: Vec<(f64, f64)> =
                grid.iter().zip(values).filter_map(|(&l, v)| Some((l, v.per_patient?))).collect();
            let name = if p.members.len() > 1 {
                format!("{} ({})", p.name, p.members.join(" + "))
            } else {
                p.name.clone()
            };
            (!points.is_empty()).then(|| Series { name, points, dashed: false, colour: k + 1 })
        })
        .collect();
    if series.is_empty() {
        return Ok(());
    }
    series.insert(
        0,
        Series {
            name: "EVPI (all parameters)".into(),
            points: list.acceptability.iter().map(|a| (a.wtp, a.evpi)).collect(),
            dashed: true,
            colour: 0,
        },
    );
    write(
        dir,
        "evppi",
        &Plot {
            title: "Expected value of partial perfect information per patient (list prices)".into(),
            x_label: format!("willingness to pay ({currency} per QALY)"),
            y_label: format!("EVPPI ({currency} per patient)"),
            chart: Chart::Lines { series, y_range: None },
        },
    )
}
