//! The comparison folder of `vbpsim compare`, written atomically: comparison.csv, the
//! comparison plot (when the scenarios share an arm) and run.json.

use super::OutputError;
use super::folder::{FolderError, Kind, Staging, Target};
use super::manifest::{Provenance, json};
use super::plots::{Chart, Plot, write as draw};
use super::tables::number;
use crate::analysis::results::Results;
use crate::model::Model;
use serde::Serialize;
use std::path::PathBuf;

/// One scenario of a comparison, as the writers see it.
pub struct Entry<'a> {
    /// How the scenario is named in the table.
    pub label: &'a str,
    pub model: &'a Model,
    pub results: &'a Results,
    pub provenance: Provenance,
    pub wall_seconds: f64,
}

/// What a comparison shows besides its entries: the thresholds every NMB is at, the seed, and
/// the arms (strategy/contract) every scenario has, comparator at list excluded.
pub struct Shared<'a> {
    pub thresholds: &'a [f64],
    pub seed: u64,
    pub common_arms: &'a [String],
}

/// comparison.csv: one row per scenario × arm × threshold.
pub fn write_table<W: std::io::Write>(
    out: W,
    entries: &[Entry<'_>],
    thresholds: &[f64],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "scenario",
        "scenario_file",
        "strategy",
        "contract",
        "cost",
        "qaly",
        "ly",
        "inc_cost",
        "inc_qaly",
        "icer",
        "icer_status",
        "wtp",
        "nmb",
        "inc_nmb",
        "inc_nmb_mcse",
        "prob_ce",
    ])?;
    for e in entries {
        let m = e.model;
        for (a, prob_ce) in e.results.summary.iter().zip(&e.results.prob_ce) {
            for (k, lambda) in thresholds.iter().enumerate() {
                w.write_record([
                    e.label.to_string(),
                    e.provenance.file.clone(),
                    m.strategies[a.strategy].name.clone(),
                    m.contract_name(a.contract).to_string(),
                    number(a.cost.mean),
                    number(a.qaly.mean),
                    number(a.ly.mean),
                    number(a.inc_cost.mean),
                    number(a.inc_qaly.mean),
                    a.icer.map(number).unwrap_or_default(),
                    a.icer_status.as_str().to_string(),
                    number(*lambda),
                    number(a.nmb[k].mean),
                    number(a.inc_nmb[k].mean),
                    a.inc_nmb[k].mcse.map(number).unwrap_or_default(),
                    prob_ce[k].map(number).unwrap_or_default(),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// The comparison plot: incremental NMB at the first threshold, one group per arm common to
/// every scenario, one bar per scenario. `None` without a common arm or a threshold.
fn plot(entries: &[Entry<'_>], shared: &Shared<'_>) -> Option<Plot> {
    let lambda = *shared.thresholds.first()?;
    if shared.common_arms.is_empty() {
        return None;
    }
    let currency = entries.first().map_or("", |e| e.model.meta.currency.as_str());
    let groups = shared
        .common_arms
        .iter()
        .map(|name| {
            let bars = entries
                .iter()
                .filter_map(|e| {
                    let a = e
                        .results
                        .summary
                        .iter()
                        .find(|a| e.model.arm_name(a.strategy, a.contract) == *name)?;
                    Some((e.label.to_string(), a.inc_nmb[0].mean))
                })
                .collect();
            (name.clone(), bars)
        })
        .collect();
    Some(Plot {
        title: format!("Incremental NMB at {lambda} {currency}/QALY, by scenario"),
        x_label: "arm (strategy/contract)".into(),
        y_label: format!("incremental NMB per patient ({currency})"),
        chart: Chart::Bars { groups },
    })
}

#[derive(Serialize)]
struct ScenarioEntry<'a> {
    label: &'a str,
    scenario: &'a str,
    scenario_file: &'a str,
    scenario_sha256: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    scenario_layers: &'a [String],
    patients: u64,
    samples: usize,
    wall_seconds: f64,
}

#[derive(Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    version: &'static str,
    kind: &'static str,
    analysis: &'static str,
    seed: u64,
    thresholds: &'a [f64],
    plot: bool,
    scenarios: Vec<ScenarioEntry<'a>>,
}

/// comparison_budget.csv: the budget impact's scenario table (ISPOR 2014): one row per
/// scenario with `[budget_impact]` × contract column × budget year, its totals.
fn write_budget_table<W: std::io::Write>(out: W, entries: &[Entry<'_>]) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "scenario",
        "scenario_file",
        "strategy",
        "contract",
        "year",
        "entrants",
        "entrants_new",
        "spend_with",
        "spend_without",
        "net_budget_impact",
        "cumulative_net_budget_impact",
    ])?;
    for e in entries {
        let Some(b) = &e.model.budget else { continue };
        let totals = e.results.budget.iter().filter(|r| r.category.is_none());
        let cumulative = crate::analysis::budget::cumulative_net(&e.results.budget);
        for (r, so_far) in totals.zip(cumulative) {
            w.write_record([
                e.label.to_string(),
                e.provenance.file.clone(),
                e.model.strategies[b.strategy].name.clone(),
                e.model.contract_name(r.contract).to_string(),
                r.year.to_string(),
                number(r.entrants),
                number(r.entrants_new),
                number(r.with),
                number(r.without),
                number(r.net()),
                number(so_far),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Write the comparison folder into `target`. Returns the folder and whether the plot was
/// drawn.
pub fn write(
    target: &Target,
    entries: &[Entry<'_>],
    shared: &Shared<'_>,
) -> Result<(PathBuf, bool), OutputError> {
    let staging = Staging::new(target)?;
    let shown = |name: &str| target.join(name).display().to_string();
    staging.table("comparison.csv", |f| write_table(f, entries, shared.thresholds))?;
    let budgets = entries.iter().any(|e| !e.results.budget.is_empty());
    if budgets {
        staging.table("comparison_budget.csv", |f| write_budget_table(f, entries))?;
    }
    let drawn = match plot(entries, shared) {
        Some(p) => {
            draw(&staging.dir, "comparison", &p).map_err(|e| e.in_folder(target))?;
            true
        }
        None => false,
    };
    let manifest = Manifest {
        tool: "vbpsim",
        version: env!("CARGO_PKG_VERSION"),
        kind: Kind::Comparison.name(),
        analysis: "scenario_comparison",
        seed: shared.seed,
        thresholds: shared.thresholds,
        plot: drawn,
        scenarios: entries
            .iter()
            .map(|e| ScenarioEntry {
                label: e.label,
                scenario: &e.model.meta.name,
                scenario_file: &e.provenance.file,
                scenario_sha256: &e.provenance.sha256,
                scenario_layers: &e.provenance.layers,
                patients: e.results.patients,
                samples: e.results.psa.len(),
                wall_seconds: e.wall_seconds,
            })
            .collect(),
    };
    let manifest = json(&manifest);
    std::fs::write(staging.file("run.json"), &manifest)
        .map_err(|source| FolderError::Write { path: shown("run.json"), source })?;
    let labels: Vec<&str> = entries.iter().map(|e| e.label).collect();
    // Two tables that fit a printed page: the means (the same at every threshold: the first
    // threshold's rows), then the net benefit and probability at each threshold.
    let first = shared.thresholds.first().map(|l| super::tables::number(*l)).unwrap_or_default();
    let at_first = move |h: &[String], r: &[String]| {
        h.iter().position(|c| c == "wtp").and_then(|i| r.get(i)).is_some_and(|t| *t == first)
    };
    let every = |_: &[String], _: &[String]| true;
    let means =
        vec!["scenario", "strategy", "contract", "cost", "qaly", "inc_cost", "inc_qaly", "icer"];
    let per_threshold = vec!["scenario", "strategy", "contract", "wtp", "inc_nmb", "prob_ce"];
    let budget_cols = vec![
        "scenario",
        "contract",
        "year",
        "spend_with",
        "spend_without",
        "net_budget_impact",
        "cumulative_net_budget_impact",
    ];
    let mut tables: Vec<(String, &str, Vec<&str>, super::report::FolderRows<'_>)> = vec![
        ("Means per patient (discounted)".into(), "comparison.csv", means, &at_first),
        ("Net benefit at each threshold".into(), "comparison.csv", per_threshold, &every),
    ];
    if budgets {
        let title = "Budget impact by scenario (totals, undiscounted)".to_string();
        tables.push((title, "comparison_budget.csv", budget_cols, &every));
    }
    let page = super::report::FolderPage {
        title: format!("Scenario comparison: {}", labels.join(", ")),
        intro: vec![format!(
            "Every scenario simulated on seed {} and at the same thresholds; each arm against its reference in its own scenario. comparison.csv holds every column; with budget impacts, comparison_budget.csv is their scenario table.",
            shared.seed
        )],
        currency: entries.first().map_or("", |e| e.model.meta.currency.as_str()),
        tables,
        plots: if drawn {
            vec![("comparison", "Incremental net monetary benefit of each common arm, by scenario")]
        } else {
            Vec::new()
        },
    };
    super::report::write_folder(&staging.dir, &page, &manifest)
        .map_err(|source| FolderError::Write { path: shown("report.html"), source })?;
    Ok((staging.commit()?, drawn))
}
