//! Workflows: the jobs the command line runs, each from a scenario to results and an output
//! folder: a run (with its PSA, resumed from a checkpoint or split into shards), threshold
//! prices, sensitivity analyses, scenario comparisons, and the guards that refuse runs too
//! large for the machine.
//!
//! The errors here word a request the way the command line takes it (`--threads`, `--out`,
//! `--samples`): the command line is the library's main caller, and a message naming the flag
//! tells its user what to change. Other callers read the typed variants.
#[cfg(test)]
mod budget_checks;
pub mod checkpoint;
pub mod compare;
pub mod design;
pub mod disk;
pub mod explorer;
pub mod fit;
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
    /// With `simulation_only`, keep the budget impact (`compare`'s scenario table needs it).
    pub keep_budget_impact: bool,
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
    TooManyThreads(#[from] TooManyThreads),
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

/// Most worker threads per core: more only slow a run down (each thread's share of patients
/// shrinks while the threads contend for the cores; 4096 threads on 2 cores ran 100–380 times
/// slower), and a count far beyond the cores is a slip.
pub const THREADS_PER_CORE: usize = 8;

/// A thread count beyond [`THREADS_PER_CORE`] times the cores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "--threads {threads} is more than {cap} ({THREADS_PER_CORE} per core on the {cores} cores of this machine)"
)]
pub struct TooManyThreads {
    pub threads: usize,
    pub cap: usize,
    pub cores: usize,
}

impl TooManyThreads {
    pub const HELP: &'static str =
        "give --threads at most the cap, or leave it out to use one thread per core";
}

/// The cores this process may use (at least 1).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Refuse a thread count beyond [`THREADS_PER_CORE`] × the cores (`None`, one per core, is
/// always fine).
pub fn check_threads(threads: Option<usize>) -> Result<(), TooManyThreads> {
    let cores = cores();
    let cap = THREADS_PER_CORE.saturating_mul(cores).max(1);
    match threads {
        Some(threads) if threads > cap => Err(TooManyThreads { threads, cap, cores }),
        _ => Ok(()),
    }
}

/// A pool of `threads` worker threads (`None`: one per core), at most [`THREADS_PER_CORE`]
/// per core.
pub(crate) fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, RunError> {
    check_threads(threads)?;
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        builder = builder.num_threads(t);
    }
    builder.build().map_err(|source| RunError::Threads { threads: threads.unwrap_or(0), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_capped_at_a_multiple_of_the_cores() {
        let cap = THREADS_PER_CORE * cores();
        assert_eq!(check_threads(None), Ok(()));
        assert_eq!(check_threads(Some(1)), Ok(()));
        assert_eq!(check_threads(Some(cap)), Ok(()));
        let e = check_threads(Some(cap + 1)).unwrap_err();
        assert_eq!(e, TooManyThreads { threads: cap + 1, cap, cores: cores() });
        assert!(e.to_string().contains(&format!("more than {cap} (8 per core on the ")), "{e}");
        // Where the pool is made, before any thread starts.
        let refused = thread_pool(Some(usize::MAX)).map(|_| ()).unwrap_err();
        assert!(matches!(refused, RunError::TooManyThreads(_)), "{refused}");
    }
}
