//! A run: simulate the base case of a scenario and its PSA samples (all of them, the ones an
//! interrupted run left, or one shard's block), analyse them, and write the output folder.

use super::{MAX_POPULATION_YEARS, thread_pool};
pub use super::{RunError, RunOptions};

use crate::analysis::budget::budget_rows;
use crate::analysis::cea::{ArmSummary, summarise, summarise_arms};
use crate::analysis::cohort::cohort_rows;
use crate::analysis::contracts::{ContractRow, contract_rows, sample_contracts};
use crate::analysis::psa::{PsaSample, SampleArm};
use crate::analysis::results::{BaseCase, Results, SelectionPoint, survival_curves};
use crate::output::folder::Target;
use crate::output::manifest::{Process, Provenance};
use crate::output::run_folder;
use crate::scenario::Scenario;
use crate::sim::accumulator::SampleSums;
use crate::sim::draw::sample_values;
use crate::sim::{Prepared, SampleSpec, simulate_sample};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// What a simulation produced, before anything is written: its results, the sums they came
/// from, and the process's figures. It reads as its results (`sim.summary` is
/// `sim.results.summary`).
#[derive(Clone, Debug)]
pub struct Simulation {
    pub results: Results,
    /// The base case's sums.
    pub sums: SampleSums,
    pub threads: usize,
    /// Wall-clock and CPU time of the simulation of the base case and the PSA samples.
    pub wall_seconds: f64,
    pub cpu_seconds: Option<f64>,
    /// Patient-strategy trajectories simulated in that time (merged shards' samples excluded).
    pub trajectories: u64,
    /// The PSA samples' share of the above: (wall seconds, CPU seconds, trajectories) of the
    /// samples simulated by this process (`bench --samples` reports their speed).
    pub psa_timing: (f64, Option<f64>, u64),
}

impl std::ops::Deref for Simulation {
    type Target = Results;
    fn deref(&self) -> &Results {
        &self.results
    }
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
    if options.simulation_only && !options.keep_budget_impact {
        prep.budget = None;
    }
    prep.base_case = true;
    prep.count_subgroups = true;
    let pool = thread_pool(options.threads)?;
    let started = Instant::now();
    let cpu_started = crate::resources::cpu_seconds();
    let spec = SampleSpec { seed, sample: 0, patients };
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
    let (psa_started, psa_cpu_started) = (Instant::now(), crate::resources::cpu_seconds());
    let fresh = pool.install(|| {
        psa_block(model, spec, missing, on_sample, &mut |done| {
            progress(per_sample * (1 + resumed + done), per_sample * (samples + 1))
        })
    })?;
    psa.extend(fresh);
    psa.sort_by_key(|s| s.sample);
    let wall_seconds = started.elapsed().as_secs_f64();
    let cpu_now = crate::resources::cpu_seconds();
    let cpu_seconds = cpu_now.zip(cpu_started).map(|(b, a)| b - a);
    let psa_timing = (
        psa_started.elapsed().as_secs_f64(),
        cpu_now.zip(psa_cpu_started).map(|(b, a)| b - a),
        patients.saturating_mul(model.strategies.len() as u64).saturating_mul(samples - resumed),
    );
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
    let base = BaseCase {
        cohort: cohort_rows(&prep, &prep.arms, &sums, patients),
        partners: crate::analysis::partners::partner_rows(model, &prep.arms, &summary),
        budget: budget_rows(model, &prep, &sums),
        budget_events: crate::analysis::budget::budget_events(model, &prep, &sums),
        survival: survival_curves(&sums),
        general_population: crate::analysis::results::general_population_curve(&sums),
        lines: crate::analysis::lines::line_rows(model, &sums),
        subgroups: pool.install(|| subgroup_results(model, &prep, &sums, spec, options))?,
        warnings: transition_limit_warnings(model, &prep)
            .into_iter()
            .chain(crate::analysis::results::background_warnings(model, &sums))
            .collect(),
        arms: prep.arms.clone(),
        summary,
        contracts,
    };
    Ok(Simulation {
        results: Results::new(model, base, selection, psa, (patients, seed)),
        sums,
        threads: pool.current_num_threads(),
        wall_seconds,
        cpu_seconds,
        trajectories,
        psa_timing,
    })
}

/// Refuse a run whose cohort-level contracts would keep too many population-years in memory.
fn check_populations(model: &crate::model::Model, patients: u64) -> Result<(), RunError> {
    for c in &model.contracts {
        let Some(terms) = c.kind.cohort() else { continue };
        let (years, size) = (terms.years, terms.size());
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
    let pool = thread_pool(options.threads)?;
    let started = Instant::now();
    let spec = SampleSpec { seed, sample: 0, patients };
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
    sim.results.set_psa(model, psa);
    sim
}

/// A warning per pathway in which some patient of the base case made the most transitions a
/// walk allows before the horizon (they stay in the state reached: their later course is
/// lost).
fn transition_limit_warnings(model: &crate::model::Model, prep: &Prepared) -> Vec<String> {
    let limit = crate::model::pathway::MAX_TRANSITIONS;
    (model.pathways.iter().zip(&prep.pathways))
        .filter(|(_, p)| p.reached_the_transition_limit())
        .map(|(m, _)| {
            format!(
                "pathway `{}`: some patients made {limit} transitions, the most a walk allows, before the horizon; each stays in the state reached until the horizon, so their later course is not modelled: a cycle of states that turns this fast (a re-biopsy loop, say) needs a faster way out",
                m.name
            )
        })
        .collect()
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
    let summary = summarise(sums, &prep.arms, &prep.references, &model.meta.thresholds);
    let prices: Vec<f64> = (0..prep.contracts.len()).map(|c| prep.list_price(c)).collect();
    let linear: Vec<bool> = model.contracts.iter().map(|c| c.kind.is_linear()).collect();
    let mut contracts =
        contract_rows(sums, &prep.settlements, &summary, &prices, &linear, &model.meta.thresholds);
    if !options.simulation_only {
        for row in contracts.iter_mut().filter(|r| !linear[r.contract]) {
            for (k, &lambda) in model.meta.thresholds.iter().enumerate() {
                row.threshold_price[k] = super::price::bisect_threshold_price(
                    model,
                    values,
                    spec,
                    (row.slot, row.contract, None),
                    lambda,
                )?;
            }
        }
    }
    Ok((summary, contracts))
}

/// The base case by subgroup, with the threshold prices of contracts whose cost is not linear
/// in the price searched among each level's patients (unless `simulation_only`).
fn subgroup_results(
    model: &crate::model::Model,
    prep: &Prepared,
    sums: &SampleSums,
    spec: SampleSpec,
    options: &RunOptions,
) -> Result<Vec<crate::analysis::subgroups::SubgroupResult>, RunError> {
    let prices: Vec<f64> = (0..prep.contracts.len()).map(|c| prep.list_price(c)).collect();
    let mut levels =
        crate::analysis::subgroups::subgroup_results(model, (&prep.arms, &prices), sums);
    if options.simulation_only {
        return Ok(levels);
    }
    for (g, level) in levels.iter_mut().enumerate() {
        for row in
            level.contracts.iter_mut().filter(|r| !model.contracts[r.contract].kind.is_linear())
        {
            for (k, &lambda) in model.meta.thresholds.iter().enumerate() {
                row.threshold_price[k] = super::price::bisect_threshold_price(
                    model,
                    &model.values,
                    spec,
                    (row.slot, row.contract, Some(g)),
                    lambda,
                )?;
            }
        }
    }
    Ok(levels)
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

/// One PSA sample: draw the parameters, simulate, summarise.
fn simulate_psa_sample(
    model: &crate::model::Model,
    spec: SampleSpec,
) -> Result<PsaSample, RunError> {
    let values = sample_values(model, spec.seed, spec.sample)?;
    let mut prep = Prepared::new(model, &values)
        .map_err(|source| RunError::Sample { sample: spec.sample, source })?;
    prep.count_subgroups = true;
    let sums = simulate_sample(&prep, spec, &mut |_, _| {});
    let (references, thresholds) = (&prep.references, &model.meta.thresholds);
    let arms = summarise(&sums, &prep.arms, references, thresholds);
    let subgroups = sums.subgroups.iter().map(|g| {
        (g.patients > 0).then(|| {
            let level = summarise_arms((&g.arms, g.patients), &prep.arms, references, thresholds);
            level.iter().map(|a| (a.cost.mean, a.qaly.mean)).collect()
        })
    });
    let prices: Vec<f64> = (0..prep.contracts.len()).map(|c| prep.list_price(c)).collect();
    let contracts = sample_contracts(&sums, &prep.settlements, &arms, &prices);
    let drawn = model.parameters.iter().filter(|p| p.is_uncertain());
    let budget = crate::analysis::budget::budget_totals(model, &prep, &sums);
    Ok(PsaSample {
        sample: spec.sample,
        values: drawn.map(|p| values[p.slot.0 as usize]).collect(),
        arms: arms.iter().map(SampleArm::from).collect(),
        budget,
        subgroups: subgroups.collect(),
        contracts,
    })
}

/// Write the output folder of a simulation, atomically; a result with a NaN or an infinity in
/// it is refused.
pub fn write_outputs(
    scenario: &Scenario,
    sim: &Simulation,
    target: &Target,
) -> Result<PathBuf, RunError> {
    let model = &scenario.model;
    sim.results.check_finite(model)?;
    let process = Process {
        threads: sim.threads,
        wall_seconds: sim.wall_seconds,
        cpu_seconds: sim.cpu_seconds,
        trajectories: sim.trajectories,
    };
    Ok(run_folder::write(target, model, &sim.results, (&provenance(scenario), &process))?)
}

/// Where a result came from, for its run.json.
pub fn provenance(scenario: &Scenario) -> Provenance {
    let source = &scenario.source;
    Provenance {
        file: source.name.clone(),
        sha256: scenario.sha256(),
        layers: source.describe_layers(),
    }
}
