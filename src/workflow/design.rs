//! `vbpsim design`: every candidate of the scenario's contract designs on the same patients,
//! at the base case and (with samples) under the PSA.

use super::{RunError, RunOptions, thread_pool};
use crate::analysis::design::{DesignResult, SampleDesigns, candidates, set_probabilities};
use crate::scenario::Scenario;
use crate::sim::design::{DesignError, prepare_designs};
use crate::sim::draw::sample_values;
use crate::sim::{Prepared, SampleSpec, simulate_sample};
use rayon::prelude::*;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum DesignRunError {
    #[error(
        "the scenario has no [[designs]]: expected at least one, naming a contract and the values of its terms to search"
    )]
    NoDesigns,
    #[error(transparent)]
    Design(#[from] DesignError),
    #[error(transparent)]
    Run(#[from] RunError),
}

impl DesignRunError {
    /// What to do about it, where there is something to say.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            DesignRunError::NoDesigns => Some(
                "add e.g. [[designs]] name = \"terms\", contract = \"money_back_6m\", window = { from = \"3 months\", to = \"12 months\", step = \"1 month\" }",
            ),
            _ => None,
        }
    }
}

/// The base case's designs prepared at `values`.
/// (The budget view is kept in the base case only: `budget`.)
fn prepared(scenario: &Scenario, values: &[f64], budget: bool) -> Result<Prepared, DesignRunError> {
    let model = &scenario.model;
    let mut prep = Prepared::new(model, values).map_err(RunError::from)?;
    if !budget {
        prep.budget = None;
    }
    prep.designs = prepare_designs(model, &prep)?;
    Ok(prep)
}

/// Evaluate every design of the scenario. `progress` receives (patients done, total) over
/// the base case and the samples.
pub fn run_designs(
    scenario: &Scenario,
    options: &RunOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<DesignResult, DesignRunError> {
    let model = &scenario.model;
    if model.designs.is_empty() {
        return Err(DesignRunError::NoDesigns);
    }
    let patients = options.patients.unwrap_or(model.meta.patients);
    let seed = options.seed.unwrap_or(model.meta.seed);
    let samples = options.samples.unwrap_or(model.meta.samples);
    let pool = thread_pool(options.threads)?;
    let started = Instant::now();
    let prep = prepared(scenario, &model.values, true)?;
    let spec = SampleSpec { seed, sample: 0, patients };
    let mut per_sample = 0;
    let sums = pool.install(|| {
        simulate_sample(&prep, spec, &mut |done, total| {
            per_sample = total;
            progress(done, total * (samples + 1));
        })
    });
    let thresholds = &model.meta.thresholds;
    let mut found = candidates(&prep.designs, &sums.designs, sums.patients, thresholds);
    crate::analysis::design::set_budget_impact(model, &prep, &sums, &mut found);
    if samples > 0 {
        let cells = found.len() * thresholds.len();
        let done = Mutex::new((progress, 0u64));
        let counts = pool.install(|| {
            (1..=samples)
                .into_par_iter()
                .map(|sample| -> Result<Vec<u32>, DesignRunError> {
                    let values = sample_values(model, seed, sample).map_err(RunError::from)?;
                    let prep = match prepared(scenario, &values, false) {
                        Err(DesignRunError::Run(RunError::Prepare(source))) => {
                            return Err(RunError::Sample { sample, source }.into());
                        }
                        other => other?,
                    };
                    let sums =
                        simulate_sample(&prep, SampleSpec { sample, ..spec }, &mut |_, _| {});
                    let means = SampleDesigns::new(&prep.designs, &sums.designs, sums.patients);
                    if let Ok(mut guard) = done.lock() {
                        let (report, k) = &mut *guard;
                        *k += 1;
                        report(per_sample * (1 + *k), per_sample * (samples + 1));
                    }
                    Ok(means.cost_effective(&found, thresholds))
                })
                .try_reduce(
                    || vec![0; cells],
                    |mut a, b| {
                        for (x, y) in a.iter_mut().zip(&b) {
                            *x += y;
                        }
                        Ok(a)
                    },
                )
        });
        let counts = match counts {
            Ok(counts) => counts,
            // Which sample's error is met first depends on the threads: report the lowest
            // failing sample's (preparing a sample is quick; only the failure is redone).
            Err(e) => return Err(lowest_failure(scenario, seed, samples).unwrap_or(e)),
        };
        set_probabilities(&mut found, &counts, samples);
    }
    Ok(DesignResult {
        candidates: found,
        patients,
        seed,
        samples,
        threads: pool.current_num_threads(),
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The error of the lowest PSA sample that cannot be prepared, if any.
fn lowest_failure(scenario: &Scenario, seed: u64, samples: u64) -> Option<DesignRunError> {
    (1..=samples).find_map(|sample| {
        let values = match sample_values(&scenario.model, seed, sample) {
            Ok(v) => v,
            Err(e) => return Some(RunError::from(e).into()),
        };
        match prepared(scenario, &values, false) {
            Ok(_) => None,
            Err(DesignRunError::Run(RunError::Prepare(source))) => {
                Some(RunError::Sample { sample, source }.into())
            }
            Err(e) => Some(e),
        }
    })
}
