//! Workflows: the jobs the command line runs, each from a scenario to results and an output
//! folder: a run (with its PSA, resumed from a checkpoint or split into shards), threshold
//! prices, sensitivity analyses, scenario comparisons, and the guards that refuse runs too
//! large for the machine.
//!
//! The errors here word a request the way the command line takes it (`--threads`, `--out`,
//! `--samples`): the command line is the library's main caller, and a message naming the flag
//! tells its user what to change. Other callers read the typed variants.
pub mod checkpoint;
pub mod compare;
pub mod guard;
pub mod price;
pub mod run;
pub mod sample_lines;
pub mod sensitivity;
pub mod shard;

pub use run::{Simulation, simulate};

use crate::analysis::results::NonFinite;
use crate::output::OutputError;
use crate::output::folder::FolderError;
use crate::sim::draw::DrawError;
use crate::sim::prepared::PrepareError;

/// Most population-years of one cohort-level contract arm kept in memory (about 40 bytes each).
pub const MAX_POPULATION_YEARS: u64 = 4_000_000;

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
    Output(#[from] OutputError),
    #[error("{0}")]
    NonFinite(#[from] NonFinite),
    #[error("cannot start {threads} worker threads: {source}")]
    Threads { threads: usize, source: rayon::ThreadPoolBuildError },
    #[error("{0}")]
    Draw(#[from] DrawError),
    #[error("PSA sample {sample}: {source}")]
    Sample { sample: u64, source: PrepareError },
    #[error("one-way sensitivity, parameter `{parameter}`: {source}")]
    Sensitivity { parameter: String, source: PrepareError },
    #[error(
        "contract `{contract}`: {patients} patients per strategy make {populations} populations of {size} (population × years), {cells} population-years to keep in memory (at most {MAX_POPULATION_YEARS}); simulate fewer patients or settle a larger population"
    )]
    Populations { contract: String, patients: u64, populations: u64, size: u64, cells: u64 },
}

impl From<FolderError> for RunError {
    fn from(e: FolderError) -> Self {
        RunError::Output(OutputError::Folder(e))
    }
}

/// A pool of `threads` worker threads (`None`: one per core).
pub(crate) fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, RunError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        builder = builder.num_threads(t);
    }
    builder.build().map_err(|source| RunError::Threads { threads: threads.unwrap_or(0), source })
}
