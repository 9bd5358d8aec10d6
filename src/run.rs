//! The library's top-level job: simulate a scenario and write its output folder.

use crate::analysis::budget::{BudgetRow, budget_rows};
use crate::analysis::cea::{ArmSummary, summarise};
use crate::analysis::cohort::{CohortRow, cohort_rows};
use crate::analysis::contracts::{ContractRow, ThresholdPrice, contract_rows};
use crate::model::Arm;
use crate::output::folder::{FolderError, Staging};
use crate::output::{psa_tables, tables};
use crate::scenario::Scenario;
use crate::sim::accumulator::SampleSums;
use crate::sim::draw::{DrawError, sample_values};
use crate::sim::prepared::PrepareError;
use crate::sim::{Prepared, SampleSpec, simulate_sample};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// Overrides from the command line; `None` keeps the scenario's value.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub patients: Option<u64>,
    /// PSA samples (overrides `scenario.samples`).
    pub samples: Option<u64>,
    pub seed: Option<u64>,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Skip the re-simulations that find threshold prices of non-linear contracts and those of
    /// selection sweeps, and the budget impact's yearly accounting (benchmarks time the
    /// simulation alone).
    pub simulation_only: bool,
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
    #[error("{0}")]
    Draw(#[from] DrawError),
    #[error("{0}")]
    Plot(#[from] crate::output::plots::PlotError),
    #[error("PSA sample {sample}: {source}")]
    Sample { sample: u64, source: PrepareError },
    #[error("one-way sensitivity, parameter `{parameter}`: {source}")]
    Sensitivity { parameter: String, source: PrepareError },
    #[error(
        "contract `{contract}`: {patients} patients per strategy make {populations} populations of {size} (population × years), {cells} population-years to keep in memory (at most {MAX_POPULATION_YEARS}); simulate fewer patients or settle a larger population"
    )]
    Populations { contract: String, patients: u64, populations: u64, size: u64, cells: u64 },
}

/// Most population-years of one cohort-level contract arm kept in memory (about 40 bytes each).
pub const MAX_POPULATION_YEARS: u64 = 4_000_000;

/// What a simulation produced, before anything is written.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub sums: SampleSums,
    pub arms: Vec<Arm>,
    pub summary: Vec<ArmSummary>,
    pub contracts: Vec<ContractRow>,
    /// Cohort-level contracts' settlements per calendar year (empty without them).
    pub cohort: Vec<CohortRow>,
    /// PSA samples 1…S in order (empty without PSA).
    pub psa: Vec<PsaSample>,
    /// The base case re-simulated at each cutoff of each selection test's sweep.
    pub selection: Vec<SelectionPoint>,
    /// Combination partners' shares of spend and value (empty without combinations).
    pub partners: Vec<crate::analysis::partners::PartnerRow>,
    /// Budget impact rows of the base case (empty without `[budget_impact]`).
    pub budget: Vec<BudgetRow>,
    /// Warnings about the results (printed and recorded in run.json).
    pub warnings: Vec<String>,
    pub patients: u64,
    pub seed: u64,
    pub threads: usize,
    /// Wall-clock and CPU time of the simulation of the base case and the PSA samples.
    pub wall_seconds: f64,
    pub cpu_seconds: Option<f64>,
    /// Patient-strategy trajectories simulated in that time (merged shards' samples excluded).
    pub trajectories: u64,
}

/// One PSA sample: its uncertain parameters' values (in `Model::parameters` order, uncertain
/// ones only) and its arms' results. Serialised by shards (`run --shard`) for `merge`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PsaSample {
    pub sample: u64,
    pub values: Vec<f64>,
    pub arms: Vec<ArmSummary>,
    /// Budget impact totals (spend with, net) per contract column and year, in the order of
    /// the base case's total rows (empty without `[budget_impact]`).
    pub budget: Vec<(f64, f64)>,
}

/// Simulate the base case of a scenario, then its PSA samples. `progress` receives (patients
/// done, total) over all samples.
pub fn simulate(
    scenario: &Scenario,
    options: &RunOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Simulation, RunError> {
    simulate_resuming(scenario, options, Vec::new(), &|_| {}, progress)
}

/// [`simulate`], with PSA samples already done by an interrupted run (`done`, any order; they
/// are not simulated again) and `on_sample` called with each sample as it completes (to
/// checkpoint it). Samples depend only on the seed and their number, so the result is the
/// same as an uninterrupted run's.
pub fn simulate_resuming(
    scenario: &Scenario,
    options: &RunOptions,
    done: Vec<PsaSample>,
    on_sample: &(dyn Fn(&PsaSample) + Sync),
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Simulation, RunError> {
    let model = &scenario.model;
    let patients = options.patients.unwrap_or(model.meta.patients);
    let seed = options.seed.unwrap_or(model.meta.seed);
    check_populations(model, patients)?;
    let mut prep = Prepared::new(model, &model.values)?;
    if options.simulation_only {
        prep.budget = None;
    }
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = options.threads {
        builder = builder.num_threads(t);
    }
    let threads_wanted = options.threads.unwrap_or(0);
    let pool =
        builder.build().map_err(|source| RunError::Threads { threads: threads_wanted, source })?;
    let started = Instant::now();
    let cpu_started = crate::resources::cpu_seconds();
    let spec = SampleSpec { seed, sample: 0, patients, comparator: model.meta.comparator };
    let samples = options.samples.unwrap_or(model.meta.samples);
    let mut per_sample = 0;
    let sums = pool.install(|| {
        simulate_sample(&prep, spec, &mut |done, total| {
            per_sample = total;
            progress(done, total * (samples + 1));
        })
    });
    let mut have = vec![false; samples as usize];
    let mut psa: Vec<PsaSample> = Vec::with_capacity(samples as usize);
    for s in done {
        if let Some(slot) = s.sample.checked_sub(1).and_then(|i| have.get_mut(i as usize))
            && !*slot
        {
            *slot = true;
            psa.push(s);
        }
    }
    let resumed = psa.len() as u64;
    let missing: Vec<u64> = (1..=samples).filter(|k| !have[(k - 1) as usize]).collect();
    let fresh = pool.install(|| {
        psa_block(model, spec, missing, on_sample, &mut |done| {
            progress(per_sample * (1 + resumed + done), per_sample * (samples + 1))
        })
    })?;
    psa.extend(fresh);
    psa.sort_by_key(|s| s.sample);
    let wall_seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = crate::resources::cpu_seconds().zip(cpu_started).map(|(b, a)| b - a);
    // What this process simulated: the base case and the samples not resumed.
    let trajectories = patients
        .saturating_mul(model.strategies.len() as u64)
        .saturating_mul(1 + samples - resumed);
    let (summary, contracts) =
        pool.install(|| summarise_base_case(model, &model.values, &prep, &sums, spec, options))?;
    let selection = if options.simulation_only {
        Vec::new()
    } else {
        pool.install(|| selection_sweep(model, spec, options))?
    };
    let warnings = psa_warnings(model, &psa);
    Ok(Simulation {
        warnings,
        arms: prep.arms.clone(),
        cohort: cohort_rows(&prep, &prep.arms, &sums, patients),
        contracts,
        selection,
        partners: crate::analysis::partners::partner_rows(model, &prep.arms, &summary),
        budget: budget_rows(model, &prep, &sums),
        psa,
        sums,
        summary,
        patients,
        seed,
        threads: pool.current_num_threads(),
        wall_seconds,
        cpu_seconds,
        trajectories,
    })
}

/// Refuse a run whose cohort-level contracts would keep too many population-years in memory.
fn check_populations(model: &crate::model::Model, patients: u64) -> Result<(), RunError> {
    for c in &model.contracts {
        let Some(years) = c.kind.cohort_years() else { continue };
        let size = model.meta.population.unwrap_or(1).saturating_mul(years).max(1);
        let populations = (patients / size).max(1);
        let cells = populations.saturating_mul(years);
        if cells > MAX_POPULATION_YEARS {
            return Err(RunError::Populations {
                contract: c.name.clone(),
                patients,
                populations,
                size,
                cells,
            });
        }
    }
    Ok(())
}

/// PSA samples `samples` (numbers from 1) in the given order; `on_sample` sees each as it
/// completes, `progress` receives the count done.
fn psa_block(
    model: &crate::model::Model,
    spec: SampleSpec,
    samples: impl IntoParallelIterator<Item = u64>,
    on_sample: &(dyn Fn(&PsaSample) + Sync),
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Vec<PsaSample>, RunError> {
    let progress = Mutex::new((progress, 0u64));
    samples
        .into_par_iter()
        .map(|sample| {
            let result = simulate_psa_sample(model, SampleSpec { sample, ..spec });
            if let Ok(s) = &result {
                on_sample(s);
            }
            if let Ok(mut guard) = progress.lock() {
                let (report, done) = &mut *guard;
                *done += 1;
                report(*done);
            }
            result
        })
        .collect::<Vec<Result<PsaSample, RunError>>>()
        .into_iter()
        // The lowest failing sample, whatever the thread count.
        .collect()
}

/// The PSA samples of shard `k` of `n`: a contiguous block of 1…S, the blocks' sizes
/// differing by at most one (samples ⌊(k−1)S/n⌋+1 … ⌊kS/n⌋).
pub fn shard_samples(samples: u64, k: u64, n: u64) -> std::ops::Range<u64> {
    let edge = |j: u64| (u128::from(j) * u128::from(samples) / u128::from(n)) as u64;
    edge(k - 1) + 1..edge(k) + 1
}

/// The PSA samples of one shard (no base case): what `run --shard K/N` computes.
pub fn simulate_shard(
    scenario: &Scenario,
    options: &RunOptions,
    (k, n): (u64, u64),
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<(Vec<PsaSample>, usize, f64), RunError> {
    let model = &scenario.model;
    let patients = options.patients.unwrap_or(model.meta.patients);
    let seed = options.seed.unwrap_or(model.meta.seed);
    let samples = options.samples.unwrap_or(model.meta.samples);
    check_populations(model, patients)?;
    let block = shard_samples(samples, k, n);
    let total = block.end - block.start;
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = options.threads {
        builder = builder.num_threads(t);
    }
    let pool = builder
        .build()
        .map_err(|source| RunError::Threads { threads: options.threads.unwrap_or(0), source })?;
    let started = Instant::now();
    let spec = SampleSpec { seed, sample: 0, patients, comparator: model.meta.comparator };
    let psa = pool.install(|| {
        psa_block(model, spec, block, &|_| {}, &mut |done| {
            progress(done * patients, total * patients)
        })
    })?;
    Ok((psa, pool.current_num_threads(), started.elapsed().as_secs_f64()))
}

/// A base-case simulation completed with PSA samples computed elsewhere (by shards): the
/// same result as one run that simulated them itself.
pub fn with_psa(
    model: &crate::model::Model,
    mut sim: Simulation,
    psa: Vec<PsaSample>,
) -> Simulation {
    sim.warnings = psa_warnings(model, &psa);
    sim.psa = psa;
    sim
}

/// Arm summaries and contract rows of a base-case simulation at `values` (`prep` built from
/// them), with threshold prices: exact for linear terms, found by re-simulating the same
/// patients for capped ones.
fn summarise_base_case(
    model: &crate::model::Model,
    values: &[f64],
    prep: &Prepared,
    sums: &SampleSums,
    spec: SampleSpec,
    options: &RunOptions,
) -> Result<(Vec<ArmSummary>, Vec<ContractRow>), RunError> {
    let summary = summarise(sums, &prep.arms, model.meta.comparator, &model.meta.thresholds);
    let prices: Vec<f64> = prep.contracts.iter().map(|c| prep.list_price(c.drug)).collect();
    let linear: Vec<bool> = model.contracts.iter().map(|c| c.kind.is_linear()).collect();
    let mut contracts =
        contract_rows(sums, &prep.arms, &summary, &prices, &linear, &model.meta.thresholds);
    if !options.simulation_only {
        for row in contracts.iter_mut().filter(|r| !linear[r.contract]) {
            for (k, &lambda) in model.meta.thresholds.iter().enumerate() {
                let drug = model.contracts[row.contract].drug;
                row.threshold_price[k] =
                    bisect_threshold_price(model, values, spec, row.arm, drug, lambda)?;
            }
        }
    }
    Ok((summary, contracts))
}

/// One cutoff of a selection test's sweep: the base case re-simulated on the same patients
/// with the test read at `cutoff`.
#[derive(Clone, Debug)]
pub struct SelectionPoint {
    /// Index into `Model::tests`.
    pub test: usize,
    pub cutoff: f64,
    pub sensitivity: f64,
    pub specificity: f64,
    pub summary: Vec<ArmSummary>,
    pub contracts: Vec<ContractRow>,
}

/// Every selection test's sweep, in test order then cutoff order (base-case values, the
/// run's seed and patients).
fn selection_sweep(
    model: &crate::model::Model,
    spec: SampleSpec,
    options: &RunOptions,
) -> Result<Vec<SelectionPoint>, RunError> {
    let mut points = Vec::new();
    for (test, t) in model.tests.iter().enumerate() {
        let Some(sel) = &t.selection else { continue };
        for &cutoff in &sel.sweep {
            let mut values = model.values.clone();
            values[sel.cutoff.0 as usize] = cutoff;
            let mut prep = Prepared::new(model, &values)?;
            prep.budget = None;
            let sums = simulate_sample(&prep, spec, &mut |_, _| {});
            let (summary, contracts) =
                summarise_base_case(model, &values, &prep, &sums, spec, options)?;
            let (sensitivity, false_positive) =
                crate::model::binormal_rates(model.value(sel.auc), cutoff);
            points.push(SelectionPoint {
                test,
                cutoff,
                sensitivity,
                specificity: 1.0 - false_positive,
                summary,
                contracts,
            });
        }
    }
    Ok(points)
}

/// Warn when patient-level noise is a large share of the PSA spread of an arm's incremental
/// NMB (above 10 % of its variance at some threshold).
fn psa_warnings(model: &crate::model::Model, psa: &[PsaSample]) -> Vec<String> {
    let mut out = Vec::new();
    let Some(first) = psa.first() else { return out };
    for (i, arm) in first.arms.iter().enumerate() {
        if arm.strategy == model.meta.comparator && arm.contract.is_none() {
            continue;
        }
        for (k, l) in model.meta.thresholds.iter().enumerate() {
            let values: Vec<f64> = psa.iter().map(|s| s.arms[i].inc_nmb[k].mean).collect();
            let ses: Vec<f64> =
                psa.iter().map(|s| s.arms[i].inc_nmb[k].mcse.unwrap_or(0.0)).collect();
            if let Some(share) = crate::analysis::psa::noise_share(&values, &ses)
                && share > 0.1
            {
                let contract = arm.contract.map_or("list", |c| model.contracts[c].name.as_str());
                out.push(format!(
                    "patient-level noise is {:.0} % of the PSA variance of {}/{contract}'s incremental NMB at {l}: the CEAC and EVPI mix it with parameter uncertainty; simulate more patients per sample",
                    100.0 * share,
                    model.strategies[arm.strategy].name
                ));
                break;
            }
        }
    }
    out
}

/// One PSA sample: draw the parameters, simulate, summarise.
fn simulate_psa_sample(
    model: &crate::model::Model,
    spec: SampleSpec,
) -> Result<PsaSample, RunError> {
    let values = sample_values(model, spec.seed, spec.sample)?;
    let prep = Prepared::new(model, &values)
        .map_err(|source| RunError::Sample { sample: spec.sample, source })?;
    let sums = simulate_sample(&prep, spec, &mut |_, _| {});
    let arms = summarise(&sums, &prep.arms, model.meta.comparator, &model.meta.thresholds);
    let drawn = model.parameters.iter().filter(|p| p.is_uncertain());
    let budget = budget_rows(model, &prep, &sums)
        .iter()
        .filter(|r| r.category.is_none())
        .map(|r| (r.with, r.net()))
        .collect();
    Ok(PsaSample {
        sample: spec.sample,
        values: drawn.map(|p| values[p.slot.0 as usize]).collect(),
        arms,
        budget,
    })
}

/// Refuse to write a result with a NaN or infinity in it (never reached with validated
/// scenarios, whose magnitudes are bounded; kept as the last line of defence).
fn check_finite(scenario: &Scenario, sim: &Simulation) -> Result<(), RunError> {
    for (i, r) in sim.summary.iter().enumerate() {
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
        for c in sim.cohort.iter().filter(|c| c.arm == i) {
            values.extend([
                ("cohort drug spend", c.drug_spend),
                ("cohort refund", c.refund),
                ("cohort patients", c.patients_treated),
            ]);
        }
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
        if i == 0 {
            values.extend(
                sim.budget
                    .iter()
                    .flat_map(|b| [("budget spend", b.with), ("budget spend", b.without)]),
            );
        }
        if let Some((what, _)) = values.iter().find(|(_, x)| !x.is_finite()) {
            return Err(RunError::NonFinite { arm: arm(), what });
        }
    }
    Ok(())
}

/// Incremental net monetary benefit of `arm` against the comparator at list, with every
/// price of `drug` set to `price`, on the same patients.
fn inc_nmb_at_price(
    model: &crate::model::Model,
    values: &[f64],
    spec: SampleSpec,
    arm: usize,
    drug: usize,
    price: f64,
    lambda: f64,
) -> Result<f64, RunError> {
    // Only the drug's price moves: a parameter it shares with other fields keeps their values.
    let mut prep = Prepared::new(model, values)?;
    prep.budget = None;
    for d in prep.regimens.iter_mut().flat_map(|r| r.drugs.iter_mut()).filter(|d| d.drug == drug) {
        d.price = price;
    }
    let sums = simulate_sample(&prep, spec, &mut |_, _| {});
    let rows = summarise(&sums, &prep.arms, model.meta.comparator, &[lambda]);
    Ok(rows[arm].inc_nmb[0].mean)
}

/// The list price at which the arm's incremental NMB at λ is zero. Cost rises with the price,
/// so incremental NMB falls, piecewise linearly (caps bind patient by patient): a bracket is
/// found by growing the price, then the Illinois variant of regula falsi converges in a few
/// re-simulations of the same patients; or why there is no such price.
fn bisect_threshold_price(
    model: &crate::model::Model,
    values: &[f64],
    spec: SampleSpec,
    arm: usize,
    drug: usize,
    lambda: f64,
) -> Result<ThresholdPrice, RunError> {
    let f = |price: f64| inc_nmb_at_price(model, values, spec, arm, drug, price, lambda);
    let (mut lo, mut f_lo) = (0.0, f(0.0)?);
    if f_lo < 0.0 {
        return Ok(ThresholdPrice::NotEvenFree);
    }
    let current = model
        .regimens
        .iter()
        .flat_map(|r| &r.drugs)
        .find(|d| d.drug == drug)
        .map_or(1.0, |d| values[d.price.0 as usize].max(1.0));
    let (mut hi, mut f_hi) = (current, f(current)?);
    while f_hi >= 0.0 {
        (lo, f_lo) = (hi, f_hi);
        hi *= 4.0;
        if hi > 1e12 {
            return Ok(ThresholdPrice::AnyPrice);
        }
        f_hi = f(hi)?;
    }
    // Stop when the NMB is zero to 1e-9 of the price's effect, or the bracket is that narrow.
    let tolerance = 1e-9 * (f_lo - f_hi);
    let x = crate::analysis::roots::illinois(f, (lo, f_lo), (hi, f_hi), tolerance)?;
    Ok(ThresholdPrice::At(x))
}

/// The run manifest, run.json.
#[derive(Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    version: &'static str,
    scenario: &'a str,
    scenario_file: &'a str,
    scenario_sha256: String,
    /// The files and `--set`s the scenario is made of (only when it is more than one file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scenario_layers: Vec<String>,
    seed: u64,
    patients: u64,
    samples: usize,
    strategies: Vec<&'a str>,
    arms: usize,
    threads: usize,
    wall_seconds: f64,
    cpu_seconds: Option<f64>,
    trajectories: u64,
    trajectories_per_second: Option<f64>,
    peak_memory_mib: Option<f64>,
    warnings: &'a [String],
}

/// run.json fields about the process that wrote it rather than the result: the machine and
/// thread count, timings and memory, and what it simulated itself (a merge simulates the base
/// case only). The report leaves them out, so that it is identical for any thread count and
/// for a merge of shards.
pub const PROCESS_FIELDS: &[&str] = &[
    "threads",
    "wall_seconds",
    "cpu_seconds",
    "trajectories",
    "trajectories_per_second",
    "peak_memory_mib",
];

/// The SHA-256 of a scenario's text (all its layers joined), as lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Write the output folder of a simulation, atomically.
pub fn write_outputs(
    scenario: &Scenario,
    sim: &Simulation,
    target: &crate::output::folder::Target,
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
    tables::write_summary(f, model, &sim.summary, &sim.psa)
        .map_err(|source| RunError::Csv { path: shown, source })?;
    let (f, shown) = csv_file("frontier.csv")?;
    psa_tables::write_frontier(f, model, &sim.arms, &sim.summary, &sim.psa)
        .map_err(|source| RunError::Csv { path: shown, source })?;
    if !sim.psa.is_empty() {
        let (f, shown) = csv_file("psa.csv")?;
        psa_tables::write_psa(f, model, &sim.psa)
            .map_err(|source| RunError::Csv { path: shown, source })?;
        let (f, shown) = csv_file("parameters.csv")?;
        psa_tables::write_parameters(f, model, &sim.psa)
            .map_err(|source| RunError::Csv { path: shown, source })?;
        let (f, shown) = csv_file("psa_summary.csv")?;
        psa_tables::write_psa_summary(f, model, &sim.summary, &sim.psa)
            .map_err(|source| RunError::Csv { path: shown, source })?;
        let (ceac, shown) = csv_file("ceac.csv")?;
        let (ceaf, _) = csv_file("ceaf.csv")?;
        let (evpi, _) = csv_file("evpi.csv")?;
        psa_tables::write_acceptability(ceac, ceaf, evpi, model, &sim.arms, &sim.psa)
            .map_err(|source| RunError::Csv { path: shown, source })?;
        let (f, shown) = csv_file("evppi.csv")?;
        psa_tables::write_evppi(f, model, &sim.arms, &sim.psa)
            .map_err(|source| RunError::Csv { path: shown, source })?;
    }
    let (f, shown) = csv_file("costs.csv")?;
    tables::write_costs(f, model, &sim.summary)
        .map_err(|source| RunError::Csv { path: shown, source })?;
    if !model.contracts.is_empty() {
        let (f, shown) = csv_file("contracts.csv")?;
        tables::write_contracts(f, model, &sim.summary, &sim.contracts)
            .map_err(|source| RunError::Csv { path: shown, source })?;
    }
    if model.contracts.iter().any(|c| c.kind.cohort_years().is_some()) {
        let (f, shown) = csv_file("cohort.csv")?;
        tables::write_cohort(f, model, &sim.summary, &sim.cohort)
            .map_err(|source| RunError::Csv { path: shown, source })?;
    }
    let (f, shown) = csv_file("survival.csv")?;
    tables::write_survival(f, model, &sim.sums)
        .map_err(|source| RunError::Csv { path: shown, source })?;
    if !sim.partners.is_empty() {
        let (f, shown) = csv_file("partners.csv")?;
        tables::write_partners(f, model, &sim.partners)
            .map_err(|source| RunError::Csv { path: shown, source })?;
    }
    if !sim.budget.is_empty() {
        let (f, shown) = csv_file("budget_impact.csv")?;
        tables::write_budget(f, model, &sim.budget)
            .map_err(|source| RunError::Csv { path: shown, source })?;
        if !sim.psa.is_empty() {
            let (f, shown) = csv_file("budget_impact_psa.csv")?;
            psa_tables::write_budget_psa(f, model, &sim.budget, &sim.psa)
                .map_err(|source| RunError::Csv { path: shown, source })?;
        }
    }
    if !sim.selection.is_empty() {
        let (f, shown) = csv_file("selection.csv")?;
        tables::write_selection(f, model, &sim.selection)
            .map_err(|source| RunError::Csv { path: shown, source })?;
    }
    let manifest = Manifest {
        tool: "vbpsim",
        version: env!("CARGO_PKG_VERSION"),
        scenario: &model.meta.name,
        scenario_file: &scenario.source.name,
        scenario_sha256: sha256_hex(&scenario.source.text),
        scenario_layers: scenario.source.describe_layers(),
        seed: sim.seed,
        patients: sim.patients,
        strategies: model.strategies.iter().map(|s| s.name.as_str()).collect(),
        arms: sim.summary.len(),
        threads: sim.threads,
        wall_seconds: sim.wall_seconds,
        cpu_seconds: sim.cpu_seconds,
        trajectories: sim.trajectories,
        trajectories_per_second: (sim.wall_seconds > 0.0)
            .then(|| sim.trajectories as f64 / sim.wall_seconds),
        peak_memory_mib: crate::resources::peak_memory_mib(),
        samples: sim.psa.len(),
        warnings: &sim.warnings,
    };
    crate::output::figures::write_all(&staging.dir, model, sim)?;
    let json = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    let path = staging.file("run.json");
    std::fs::write(&path, &json).map_err(|source| {
        RunError::Folder(FolderError::Write {
            path: target.join("run.json").display().to_string(),
            source,
        })
    })?;
    crate::output::report::write(&staging.dir, model, sim, &json).map_err(|source| {
        RunError::Folder(FolderError::Write {
            path: target.join("report.html").display().to_string(),
            source,
        })
    })?;
    Ok(staging.commit()?)
}
