//! Scenario comparison: several scenarios simulated on one seed, their arms side by side.
//!
//! A scenario analysis asks how the decision moves when the model does (another horizon, a
//! pessimistic survival curve, a commercial payer). Each scenario is simulated in full, with
//! the same seed — so differences between scenarios are not noise from different random
//! numbers wherever the scenarios share structure — and every arm's cost, QALYs, ICER and NMB
//! go into one long table, at one set of thresholds for all.

use crate::analysis::results::NonFinite;
use crate::analysis::results::common_arms;
use crate::output::comparison::{self, Entry, Shared};
use crate::output::folder::Target;
use crate::scenario::Scenario;
use crate::workflow::run::{RunError, RunOptions, Simulation, provenance, simulate};
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

/// A comparison that cannot be made (exit code 2).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CompareError {
    #[error("--threshold {value}: expected a willingness to pay per QALY between 0 and {limit:e}")]
    ThresholdRange { value: f64, limit: f64 },
    #[error("--threshold {value} is given twice: expected each threshold once")]
    ThresholdTwice { value: f64 },
    #[error(
        "{file} is in {currency} but {first} is in {first_currency}: compare needs one currency"
    )]
    Currencies { file: String, currency: String, first: String, first_currency: String },
    #[error(
        "{file} has `thresholds = []`: the comparison reports NMB at a willingness to pay per QALY"
    )]
    NoThresholds { file: String },
}

impl CompareError {
    /// What the user can do about it.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            CompareError::Currencies { .. } => {
                Some("convert the costs, or set `scenario.currency` where it is only a label")
            }
            CompareError::NoThresholds { .. } => {
                Some("give one with --threshold, e.g. --threshold 100000")
            }
            _ => None,
        }
    }
}

/// Check that `scenarios` (at least one) can be compared at `thresholds` (empty: the first
/// scenario's): each threshold once and within the magnitude limit, one currency, and some
/// threshold. Returns the thresholds given, if any.
pub fn check(
    scenarios: &[Scenario],
    thresholds: Vec<f64>,
) -> Result<Option<Vec<f64>>, CompareError> {
    let limit = crate::model::limits::MAX_MAGNITUDE;
    for (i, &value) in thresholds.iter().enumerate() {
        if !(value.is_finite() && (0.0..=limit).contains(&value)) {
            return Err(CompareError::ThresholdRange { value, limit });
        }
        if thresholds[..i].contains(&value) {
            return Err(CompareError::ThresholdTwice { value });
        }
    }
    // NMB and costs in different currencies cannot share a table.
    let Some(first) = scenarios.first() else { return Ok(None) };
    let currency = &first.model.meta.currency;
    if let Some(other) = scenarios.iter().find(|s| &s.model.meta.currency != currency) {
        return Err(CompareError::Currencies {
            file: other.source.name.clone(),
            currency: other.model.meta.currency.clone(),
            first: first.source.name.clone(),
            first_currency: currency.clone(),
        });
    }
    if thresholds.is_empty() {
        if first.model.meta.thresholds.is_empty() {
            return Err(CompareError::NoThresholds { file: first.source.name.clone() });
        }
        return Ok(None);
    }
    Ok(Some(thresholds))
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
    // Each scenario's budget impact too: the budget's scenario table (comparison_budget.csv).
    let options = RunOptions {
        seed: Some(seed),
        simulation_only: true,
        keep_budget_impact: true,
        ..options.clone()
    };
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

/// Write the comparison folder atomically: comparison.csv, the plot (when the scenarios share
/// an arm) and run.json. Returns the folder and whether the plot was drawn.
pub fn write_outputs(c: &Comparison, target: &Target) -> Result<(PathBuf, bool), RunError> {
    for e in &c.entries {
        for a in &e.sim.summary {
            let values = [a.cost.mean, a.qaly.mean, a.ly.mean, a.inc_cost.mean, a.inc_qaly.mean];
            let nmb = a.nmb.iter().chain(&a.inc_nmb).map(|x| x.mean);
            if values.into_iter().chain(nmb).any(|x| !x.is_finite()) {
                let arm =
                    format!("{}: {}", e.label, e.scenario.model.arm_name(a.strategy, a.contract));
                return Err(NonFinite::arm(arm, "result").into());
            }
        }
    }
    let entries: Vec<Entry<'_>> = c
        .entries
        .iter()
        .map(|e| Entry {
            label: &e.label,
            model: &e.scenario.model,
            results: &e.sim.results,
            provenance: provenance(&e.scenario),
            wall_seconds: e.sim.wall_seconds,
        })
        .collect();
    let runs: Vec<_> = c.entries.iter().map(|e| (&e.scenario.model, &e.sim.results)).collect();
    let common = common_arms(&runs);
    let shared = Shared { thresholds: &c.thresholds, seed: c.seed, common_arms: &common };
    Ok(comparison::write(target, &entries, &shared)?)
}
