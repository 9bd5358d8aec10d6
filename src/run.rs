//! The library's top-level job: simulate a scenario and write its output folder.

use crate::analysis::cea::{ArmSummary, summarise};
use crate::analysis::contracts::{ContractRow, contract_rows};
use crate::model::Arm;
use crate::output::folder::{FolderError, Staging};
use crate::output::tables;
use crate::scenario::Scenario;
use crate::sim::accumulator::SampleSums;
use crate::sim::prepared::PrepareError;
use crate::sim::{Prepared, SampleSpec, simulate_sample};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Overrides from the command line; `None` keeps the scenario's value.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub patients: Option<u64>,
    pub seed: Option<u64>,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Prepare(#[from] PrepareError),
    #[error("{0}")]
    Folder(#[from] FolderError),
    #[error("cannot write {path}: {source}")]
    Csv { path: String, source: csv::Error },
    #[error(
        "the simulation produced a non-finite {what} for arm `{arm}`; check the scenario's magnitudes"
    )]
    NonFinite { arm: String, what: &'static str },
    #[error("cannot start {threads} worker threads: {source}")]
    Threads { threads: usize, source: rayon::ThreadPoolBuildError },
}

/// What a simulation produced, before anything is written.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub sums: SampleSums,
    pub arms: Vec<Arm>,
    pub summary: Vec<ArmSummary>,
    pub contracts: Vec<ContractRow>,
    pub patients: u64,
    pub seed: u64,
    pub threads: usize,
    pub wall_seconds: f64,
}

/// Simulate the base case of a scenario. `progress` receives (patients done, total).
pub fn simulate(
    scenario: &Scenario,
    options: &RunOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Simulation, RunError> {
    let model = &scenario.model;
    let patients = options.patients.unwrap_or(model.meta.patients);
    let seed = options.seed.unwrap_or(model.meta.seed);
    let prep = Prepared::new(model, &model.values)?;
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = options.threads {
        builder = builder.num_threads(t);
    }
    let threads_wanted = options.threads.unwrap_or(0);
    let pool =
        builder.build().map_err(|source| RunError::Threads { threads: threads_wanted, source })?;
    let started = Instant::now();
    let spec = SampleSpec { seed, sample: 0, patients, comparator: model.meta.comparator };
    let sums = pool.install(|| simulate_sample(&prep, spec, progress));
    let wall_seconds = started.elapsed().as_secs_f64();
    let summary = summarise(&sums, &prep.arms, model.meta.comparator, &model.meta.thresholds);
    let prices: Vec<f64> = prep
        .contracts
        .iter()
        .map(|c| {
            prep.regimens
                .iter()
                .flat_map(|r| &r.drugs)
                .find(|d| d.drug == c.drug)
                .map_or(0.0, |d| d.price)
        })
        .collect();
    let linear: Vec<bool> = model.contracts.iter().map(|c| c.kind.is_linear()).collect();
    let contracts =
        contract_rows(&sums, &prep.arms, &summary, &prices, &linear, &model.meta.thresholds);
    Ok(Simulation {
        arms: prep.arms.clone(),
        contracts,
        sums,
        summary,
        patients,
        seed,
        threads: pool.current_num_threads(),
        wall_seconds,
    })
}

/// Refuse to write a result with a NaN or infinity in it (never reached with validated
/// scenarios, whose magnitudes are bounded; kept as the last line of defence).
fn check_finite(scenario: &Scenario, sim: &Simulation) -> Result<(), RunError> {
    for r in &sim.summary {
        let arm = || scenario.model.strategies[r.strategy].name.clone();
        let mut values = vec![
            ("cost", r.cost.mean),
            ("qaly", r.qaly.mean),
            ("ly", r.ly.mean),
            ("ly_undiscounted", r.ly_undiscounted.mean),
            ("inc_cost", r.inc_cost.mean),
            ("inc_qaly", r.inc_qaly.mean),
            ("inc_ly", r.inc_ly.mean),
        ];
        values.extend(r.categories.iter().map(|c| ("category cost", *c)));
        values.extend(r.nmb.iter().chain(&r.inc_nmb).map(|e| ("nmb", e.mean)));
        values.extend(
            [&r.cost, &r.qaly, &r.ly, &r.ly_undiscounted, &r.inc_cost, &r.inc_qaly, &r.inc_ly]
                .into_iter()
                .chain(&r.nmb)
                .chain(&r.inc_nmb)
                .filter_map(|e| e.mcse)
                .map(|m| ("standard error", m)),
        );
        if let Some(x) = r.icer {
            values.push(("icer", x));
        }
        if let Some((what, _)) = values.iter().find(|(_, x)| !x.is_finite()) {
            return Err(RunError::NonFinite { arm: arm(), what });
        }
    }
    Ok(())
}

/// The run manifest, run.json.
#[derive(Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    version: &'static str,
    scenario: &'a str,
    scenario_file: &'a str,
    scenario_sha256: String,
    seed: u64,
    patients: u64,
    strategies: Vec<&'a str>,
    arms: usize,
    threads: usize,
    wall_seconds: f64,
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Write the output folder of a simulation, atomically.
pub fn write_outputs(
    scenario: &Scenario,
    sim: &Simulation,
    target: &Path,
) -> Result<PathBuf, RunError> {
    let model = &scenario.model;
    check_finite(scenario, sim)?;
    let staging = Staging::new(target)?;
    let csv_file = |name: &str| -> Result<(std::fs::File, String), RunError> {
        let path = staging.file(name);
        let shown = target.join(name).display().to_string();
        let f = std::fs::File::create(&path)
            .map_err(|e| RunError::Folder(FolderError::Write { path: shown.clone(), source: e }))?;
        Ok((f, shown))
    };
    let (f, shown) = csv_file("summary.csv")?;
    tables::write_summary(f, model, &sim.summary)
        .map_err(|source| RunError::Csv { path: shown, source })?;
    let (f, shown) = csv_file("costs.csv")?;
    tables::write_costs(f, model, &sim.summary)
        .map_err(|source| RunError::Csv { path: shown, source })?;
    if !model.contracts.is_empty() {
        let (f, shown) = csv_file("contracts.csv")?;
        tables::write_contracts(f, model, &sim.summary, &sim.contracts)
            .map_err(|source| RunError::Csv { path: shown, source })?;
    }
    let (f, shown) = csv_file("survival.csv")?;
    tables::write_survival(f, model, &sim.sums)
        .map_err(|source| RunError::Csv { path: shown, source })?;
    let manifest = Manifest {
        tool: "vbpsim",
        version: env!("CARGO_PKG_VERSION"),
        scenario: &model.meta.name,
        scenario_file: &scenario.source.name,
        scenario_sha256: sha256_hex(&scenario.source.text),
        seed: sim.seed,
        patients: sim.patients,
        strategies: model.strategies.iter().map(|s| s.name.as_str()).collect(),
        arms: sim.summary.len(),
        threads: sim.threads,
        wall_seconds: sim.wall_seconds,
    };
    let json = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    let path = staging.file("run.json");
    std::fs::write(&path, json).map_err(|source| {
        RunError::Folder(FolderError::Write {
            path: target.join("run.json").display().to_string(),
            source,
        })
    })?;
    Ok(staging.commit()?)
}
