//! The run's plots, assembled from its result tables: survival, the cost-effectiveness plane,
//! CEAC, CEAF, EVPI and contract spend.

use super::plots::{Chart, Panel, Plot, PlotError, Series, write};
use super::psa_tables::{set_name, sets};
use super::tables::contract_name;
use crate::analysis::psa::acceptability;
use crate::model::Model;
use crate::run::Simulation;
use crate::sim::accumulator::SurvivalCounts;
use std::path::Path;

/// Plot stems written by a run: always `survival` and `ce_plane`; `contracts` with contracts;
/// `ceac`, `ceaf`, `evpi` with PSA; `selection_nmb` (and `selection_price` with contract arms)
/// with a selection sweep. Each as .png and .svg.
pub const PLOTS: &[&str] = &[
    "survival",
    "ce_plane",
    "contracts",
    "ceac",
    "ceaf",
    "evpi",
    "selection_nmb",
    "selection_price",
    "budget_impact",
];

/// Whether strategy `s` runs test `test` (first, or as a reflex test).
fn runs_test(model: &Model, s: usize, test: usize) -> bool {
    let mut next = model.strategies[s].test;
    let mut steps = 0;
    while let Some(t) = next {
        if t == test {
            return true;
        }
        next = model.tests[t].on_failure;
        steps += 1;
        if steps > model.tests.len() {
            break;
        }
    }
    false
}

/// Incremental NMB and threshold price against the cutoff of each selection test, one line
/// per arm of a strategy that runs the test and per threshold.
fn write_selection(dir: &Path, model: &Model, sim: &Simulation) -> Result<(), PlotError> {
    let currency = &model.meta.currency;
    let mut nmb = Vec::new();
    let mut price = Vec::new();
    for (test, t) in model.tests.iter().enumerate() {
        if t.selection.is_none() {
            continue;
        }
        let points: Vec<_> = sim.selection.iter().filter(|p| p.test == test).collect();
        for (i, arm) in sim.arms.iter().enumerate() {
            if !runs_test(model, arm.strategy, test) {
                continue;
            }
            for (k, l) in model.meta.thresholds.iter().enumerate() {
                let name =
                    format!("{}: {} at {l}", t.name, arm_label(model, arm.strategy, arm.contract));
                let colour = nmb.len();
                nmb.push(Series {
                    name: name.clone(),
                    points: points
                        .iter()
                        .map(|p| (p.cutoff, p.summary[i].inc_nmb[k].mean))
                        .collect(),
                    dashed: false,
                    colour,
                });
                let prices: Vec<(f64, f64)> = points
                    .iter()
                    .filter_map(|p| {
                        let row = p.contracts.iter().find(|r| r.arm == i)?;
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
/// and the net budget impact as a line.
fn write_budget(dir: &Path, model: &Model, sim: &Simulation) -> Result<(), PlotError> {
    let Some(b) = &model.budget else { return Ok(()) };
    let categories = model.categories();
    let mut contracts: Vec<Option<usize>> = Vec::new();
    for r in &sim.budget {
        if !contracts.contains(&r.contract) {
            contracts.push(r.contract);
        }
    }
    // Money in thousands or millions when large, so tick labels stay readable.
    let largest = sim.budget.iter().map(|r| r.with.abs().max(r.net().abs())).fold(0.0, f64::max);
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
            let rows = || sim.budget.iter().filter(move |r| r.contract == contract);
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
            Panel {
                title: contract_name(model, contract).to_string(),
                stacks,
                line: ("net budget impact".to_string(), net),
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

fn arm_label(model: &Model, strategy: usize, contract: Option<usize>) -> String {
    format!("{}/{}", model.strategies[strategy].name, contract_name(model, contract))
}

pub fn write_all(dir: &Path, model: &Model, sim: &Simulation) -> Result<(), PlotError> {
    let currency = &model.meta.currency;
    // Survival: OS solid, PFS dashed, per strategy.
    let mut series = Vec::new();
    for (s, counts) in sim.sums.survival.iter().enumerate() {
        let name = &model.strategies[s].name;
        for (label, data, dashed) in [("OS", &counts.os(), false), ("PFS", &counts.pfs(), true)] {
            let curve = SurvivalCounts::curve(data, sim.sums.patients);
            let points = std::iter::once((0.0, 1.0))
                .chain(curve.iter().enumerate().map(|(m, &y)| (m as f64 / 12.0, y)))
                .collect();
            series.push(Series { name: format!("{name} {label}"), points, dashed, colour: s });
        }
    }
    write(
        dir,
        "survival",
        &Plot {
            title: "Survival from diagnosis".into(),
            x_label: "years".into(),
            y_label: "share of patients".into(),
            chart: Chart::Lines { series, y_range: Some((0.0, 1.02)) },
        },
    )?;
    // Cost-effectiveness plane: every arm but the comparator, against the comparator at list.
    let comparator =
        |a: &crate::model::Arm| a.strategy == model.meta.comparator && a.contract.is_none();
    let series: Vec<Series> = sim
        .arms
        .iter()
        .enumerate()
        .filter(|(_, a)| !comparator(a))
        .enumerate()
        .map(|(k, (i, a))| {
            let points = if sim.psa.is_empty() {
                vec![(sim.summary[i].inc_qaly.mean, sim.summary[i].inc_cost.mean)]
            } else {
                sim.psa.iter().map(|s| (s.arms[i].inc_qaly.mean, s.arms[i].inc_cost.mean)).collect()
            };
            Series {
                name: arm_label(model, a.strategy, a.contract),
                points,
                dashed: false,
                colour: k,
            }
        })
        .collect();
    let slopes =
        model.meta.thresholds.iter().map(|l| (format!("{l} {currency}/QALY"), *l)).collect();
    let basis = if sim.psa.is_empty() { "base case" } else { "PSA samples" };
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
            chart: Chart::Scatter { series, slopes },
        },
    )?;
    if !sim.contracts.is_empty() {
        // Contract names alone when one strategy holds every contract arm.
        let one_strategy = sim
            .contracts
            .iter()
            .all(|r| sim.arms[r.arm].strategy == sim.arms[sim.contracts[0].arm].strategy);
        let groups = sim
            .contracts
            .iter()
            .map(|r| {
                let a = sim.arms[r.arm];
                (
                    if one_strategy {
                        contract_name(model, a.contract).to_string()
                    } else {
                        arm_label(model, a.strategy, a.contract)
                    },
                    vec![
                        ("list spend".to_string(), r.list_spend),
                        ("contract spend".to_string(), r.contract_spend),
                        ("refunds".to_string(), r.refunds),
                        ("administration".to_string(), r.admin),
                    ],
                )
            })
            .collect();
        write(
            dir,
            "contracts",
            &Plot {
                title: "Payer drug spend per patient by contract (discounted)".into(),
                x_label: "arm".into(),
                y_label: currency.clone(),
                chart: Chart::Bars { groups },
            },
        )?;
    }
    if !sim.selection.is_empty() {
        write_selection(dir, model, sim)?;
    }
    if !sim.budget.is_empty() {
        write_budget(dir, model, sim)?;
    }
    if sim.psa.is_empty() {
        return Ok(());
    }
    let grid = &model.meta.wtp_grid;
    let decision_sets = sets(model, &sim.arms);
    let analyses: Vec<_> = decision_sets
        .iter()
        .map(|set| {
            let table = sim
                .psa
                .iter()
                .map(|s| {
                    set.arms.iter().map(|&a| (s.arms[a].cost.mean, s.arms[a].qaly.mean)).collect()
                })
                .collect();
            acceptability(&table, grid)
        })
        .collect();
    // CEAC of the list decision set: one line per strategy.
    let list = &decision_sets[0];
    let series = list
        .arms
        .iter()
        .enumerate()
        .map(|(j, &arm)| Series {
            name: arm_label(model, sim.arms[arm].strategy, sim.arms[arm].contract),
            points: analyses[0].iter().map(|a| (a.wtp, a.probability[j])).collect(),
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
    let per_set = |value: &dyn Fn(&crate::analysis::psa::Acceptability) -> f64| -> Vec<Series> {
        decision_sets
            .iter()
            .zip(&analyses)
            .enumerate()
            .map(|(k, (set, a))| Series {
                name: set_name(model, set),
                points: a.iter().map(|x| (x.wtp, value(x))).collect(),
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
                series: per_set(&|x| x.probability[x.optimal]),
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
    )
}
