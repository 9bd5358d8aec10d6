//! Scenario comparison: several scenarios simulated on one seed, their arms side by side.
//!
//! A scenario analysis asks how the decision moves when the model does (another horizon, a
//! pessimistic survival curve, a commercial payer). Each scenario is simulated in full, with
//! the same seed — so differences between scenarios are not noise from different random
//! numbers wherever the scenarios share structure — and every arm's cost, QALYs, ICER and NMB
//! go into one long table, at one set of thresholds for all.

use crate::analysis::cea::ArmSummary;
use crate::output::folder::{FolderError, Staging};
use crate::output::plots::{Chart, Plot, write};
use crate::output::tables::{contract_name, number};
use crate::run::{RunError, RunOptions, Simulation, simulate};
use crate::scenario::Scenario;
use serde::Serialize;
use std::path::PathBuf;

/// One scenario of a comparison and its results.
pub struct Compared {
    /// How the scenario is named in the table: its `scenario.name`, or its file where two
    /// scenarios share a name.
    pub label: String,
    pub scenario: Scenario,
    pub sim: Simulation,
}

/// The scenarios' results at common thresholds.
pub struct Comparison {
    pub entries: Vec<Compared>,
    pub thresholds: Vec<f64>,
    pub seed: u64,
}

/// Labels for the table: scenario names where they are unique, file names otherwise.
pub fn labels(scenarios: &[Scenario]) -> Vec<String> {
    let names: Vec<&str> = scenarios.iter().map(|s| s.model.meta.name.as_str()).collect();
    let files: Vec<&str> = scenarios.iter().map(|s| s.source.name.as_str()).collect();
    names
        .iter()
        .zip(&files)
        .enumerate()
        .map(|(i, (n, f))| {
            let shared = names.iter().filter(|m| *m == n).count() > 1;
            let file_shared = files.iter().filter(|g| *g == f).count() > 1;
            match (shared, file_shared) {
                (false, _) => n.to_string(),
                (true, false) => f.to_string(),
                (true, true) => format!("{f} #{}", i + 1),
            }
        })
        .collect()
}

/// Simulate every scenario with the same seed (`options.seed`, else the first scenario's) and
/// the same thresholds (`thresholds`, else the first scenario's). `progress` receives
/// (scenarios done, total).
pub fn run(
    scenarios: Vec<Scenario>,
    thresholds: Option<Vec<f64>>,
    options: &RunOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Comparison, RunError> {
    let Some(first) = scenarios.first() else {
        return Ok(Comparison { entries: Vec::new(), thresholds: Vec::new(), seed: 0 });
    };
    let seed = options.seed.unwrap_or(first.model.meta.seed);
    let thresholds = thresholds.unwrap_or_else(|| first.model.meta.thresholds.clone());
    let options = RunOptions { seed: Some(seed), simulation_only: true, ..options.clone() };
    let labels = labels(&scenarios);
    let total = scenarios.len() as u64;
    let mut entries = Vec::with_capacity(scenarios.len());
    for (i, (mut scenario, label)) in scenarios.into_iter().zip(labels).enumerate() {
        progress(i as u64, total);
        scenario.model.meta.thresholds = thresholds.clone();
        let sim = simulate(&scenario, &options, &mut |_, _| {})?;
        entries.push(Compared { label, scenario, sim });
    }
    progress(total, total);
    Ok(Comparison { entries, thresholds, seed })
}

/// Whether an arm is the comparator at list price (its increments are zero by definition).
fn is_reference(e: &Compared, a: &ArmSummary) -> bool {
    a.strategy == e.scenario.model.meta.comparator && a.contract.is_none()
}

fn arm_name(e: &Compared, a: &ArmSummary) -> String {
    let m = &e.scenario.model;
    format!("{}/{}", m.strategies[a.strategy].name, contract_name(m, a.contract))
}

/// comparison.csv: one row per scenario × arm × threshold.
pub fn write_table<W: std::io::Write>(out: W, c: &Comparison) -> csv::Result<()> {
    let mut w = crate::output::csv_cell::Writer::from_writer(out);
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
        "threshold",
        "nmb",
        "inc_nmb",
        "inc_nmb_mcse",
        "prob_cost_effective",
    ])?;
    for e in &c.entries {
        let m = &e.scenario.model;
        for (i, a) in e.sim.summary.iter().enumerate() {
            for (k, lambda) in c.thresholds.iter().enumerate() {
                let p = if e.sim.psa.is_empty() || is_reference(e, a) {
                    String::new()
                } else {
                    let wins = e.sim.psa.iter().filter(|s| s.arms[i].inc_nmb[k].mean > 0.0).count();
                    number(wins as f64 / e.sim.psa.len() as f64)
                };
                w.write_record([
                    e.label.clone(),
                    e.scenario.source.name.clone(),
                    m.strategies[a.strategy].name.clone(),
                    contract_name(m, a.contract).to_string(),
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
                    p,
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// The arms (strategy/contract) every scenario has, comparator at list excluded, in the first
/// scenario's order.
pub fn common_arms(c: &Comparison) -> Vec<String> {
    let Some(first) = c.entries.first() else { return Vec::new() };
    first
        .sim
        .summary
        .iter()
        .filter(|a| !is_reference(first, a))
        .map(|a| arm_name(first, a))
        .filter(|name| {
            c.entries.iter().all(|e| e.sim.summary.iter().any(|a| arm_name(e, a) == *name))
        })
        .collect()
}

/// The comparison plot: incremental NMB at the first threshold, one group per arm common to
/// every scenario, one bar per scenario. `None` without a common arm or a threshold.
fn plot(c: &Comparison) -> Option<Plot> {
    let lambda = *c.thresholds.first()?;
    let arms = common_arms(c);
    if arms.is_empty() {
        return None;
    }
    let currency = c.entries.first().map_or("", |e| e.scenario.model.meta.currency.as_str());
    let groups = arms
        .iter()
        .map(|name| {
            let bars = c
                .entries
                .iter()
                .filter_map(|e| {
                    let a = e.sim.summary.iter().find(|a| arm_name(e, a) == *name)?;
                    Some((e.label.clone(), a.inc_nmb[0].mean))
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
    scenario_sha256: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scenario_layers: Vec<String>,
    patients: u64,
    samples: usize,
    wall_seconds: f64,
}

#[derive(Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    version: &'static str,
    analysis: &'static str,
    seed: u64,
    thresholds: &'a [f64],
    plot: bool,
    scenarios: Vec<ScenarioEntry<'a>>,
}

/// Write the comparison folder atomically: comparison.csv, the plot (when the scenarios share
/// an arm) and run.json. Returns the folder and whether the plot was drawn.
pub fn write_outputs(
    c: &Comparison,
    target: &crate::output::folder::Target,
) -> Result<(PathBuf, bool), RunError> {
    for e in &c.entries {
        for a in &e.sim.summary {
            let values = [a.cost.mean, a.qaly.mean, a.ly.mean, a.inc_cost.mean, a.inc_qaly.mean];
            let nmb = a.nmb.iter().chain(&a.inc_nmb).map(|x| x.mean);
            if values.into_iter().chain(nmb).any(|x| !x.is_finite()) {
                let arm = format!("{}: {}", e.label, arm_name(e, a));
                return Err(RunError::NonFinite { arm, what: "result" });
            }
        }
    }
    let staging = Staging::new(target)?;
    let shown = |name: &str| target.join(name).display().to_string();
    let file = std::fs::File::create(staging.file("comparison.csv")).map_err(|source| {
        RunError::Folder(FolderError::Write { path: shown("comparison.csv"), source })
    })?;
    write_table(file, c)
        .map_err(|source| RunError::Csv { path: shown("comparison.csv"), source })?;
    let drawn = match plot(c) {
        Some(p) => {
            write(&staging.dir, "comparison", &p)?;
            true
        }
        None => false,
    };
    let manifest = Manifest {
        tool: "vbpsim",
        version: env!("CARGO_PKG_VERSION"),
        analysis: "scenario_comparison",
        seed: c.seed,
        thresholds: &c.thresholds,
        plot: drawn,
        scenarios: c
            .entries
            .iter()
            .map(|e| ScenarioEntry {
                label: &e.label,
                scenario: &e.scenario.model.meta.name,
                scenario_file: &e.scenario.source.name,
                scenario_sha256: crate::run::sha256_hex(&e.scenario.source.text),
                scenario_layers: e.scenario.source.describe_layers(),
                patients: e.sim.patients,
                samples: e.sim.psa.len(),
                wall_seconds: e.sim.wall_seconds,
            })
            .collect(),
    };
    let json = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    std::fs::write(staging.file("run.json"), json).map_err(|source| {
        RunError::Folder(FolderError::Write { path: shown("run.json"), source })
    })?;
    Ok((staging.commit()?, drawn))
}
