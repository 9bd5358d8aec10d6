//! Resource guards: what a run will ask of the machine, estimated before it starts.
//!
//! A scenario edited under deadline can ask for 10^11 patients × 10^6 samples. vbpsim counts
//! the trajectories (patients × strategies × simulations) and the memory that grows with the
//! run (one result row per arm and PSA sample) before simulating, refuses a run that would
//! take more than a day or need more memory than the machine has free, and names the flag
//! that overrides (`--allow-large`). Counts are kept in `u128`, so no size overflows while
//! being estimated; a count beyond the `u64` counters of the engine is an error.
//!
//! The verdict on time must be the same for the same command: a run refused once and accepted
//! the next time (a day of computing either way) is no guard. So the verdict comes from a model
//! of the run's effort at a stated reference speed per thread, with no measurement in it; a
//! pilot of the scenario on this machine runs only for a refused run, to tighten the estimate
//! the message gives.

use crate::analysis::cea::Estimate;
use crate::analysis::psa::{PsaSample, SampleArm};
use crate::model::Model;
use crate::scenario::Scenario;
use crate::workflow::run::{RunOptions, simulate};
use crate::workflow::{TooManyThreads, check_threads};

/// A run's size, before it starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Workload {
    /// Patient-strategy trajectories simulated (at least: re-simulations that find threshold
    /// prices are not counted).
    pub trajectories: u128,
    /// Simulations (base case, PSA samples, sensitivity points): each has a fixed cost
    /// (preparing its parameters, settling its cohort contracts, summarising its arms).
    pub simulations: u128,
    /// Bytes of result rows kept in memory (PSA samples), an upper estimate.
    pub memory_bytes: u128,
}

impl Workload {
    /// `simulations` simulations of `patients` patients under every strategy of `model`, of
    /// which `samples` are PSA samples whose result rows are kept.
    pub fn new(model: &Model, patients: u64, simulations: u64, samples: u64) -> Self {
        let strategies = model.strategies.len() as u128;
        Workload {
            trajectories: patients as u128 * strategies * simulations as u128,
            simulations: simulations as u128,
            memory_bytes: samples as u128 * sample_bytes(model) as u128,
        }
    }

    /// Two workloads run one after the other (keeping both results).
    pub fn and(self, other: Workload) -> Workload {
        Workload {
            trajectories: self.trajectories + other.trajectories,
            simulations: self.simulations + other.simulations,
            memory_bytes: self.memory_bytes + other.memory_bytes,
        }
    }

    /// The work in trajectories, each simulation's fixed cost counted as
    /// [`SIMULATION_COST`] trajectories.
    pub fn effort(&self) -> u128 {
        self.trajectories + self.simulations * SIMULATION_COST
    }
}

/// A simulation's fixed cost in trajectories: 10^6 PSA samples of 10 patients of the default
/// scenario took 212 s on a 2-core VM that simulates about 4.5 M trajectories a second (about
/// 950 trajectories per sample); twice that leaves a margin.
pub const SIMULATION_COST: u128 = 2_000;

/// Bytes one PSA sample keeps: its parameter values, one result per arm (its cost categories
/// and per-threshold incremental NMB included) and the budget rows, doubled for the
/// allocator's slack and the tables built from them.
fn sample_bytes(model: &Model) -> usize {
    let f = std::mem::size_of::<f64>();
    let thresholds = model.meta.thresholds.len();
    let categories = model.categories().len();
    let arm = std::mem::size_of::<SampleArm>()
        + categories * f
        + thresholds * std::mem::size_of::<Estimate>();
    let arms = model.arms().len();
    let budget = model.budget.as_ref().map_or(0, |b| b.years * (arms + 1) * 2 * f);
    2 * (std::mem::size_of::<PsaSample>() + model.parameters.len() * f + arms * arm + budget)
}

/// Longest run accepted without `--allow-large`: a day.
pub const MOST_SECONDS: f64 = 86_400.0;

/// The guard's reference speed, in trajectories per second per thread: the slowest bundled
/// scenario's `run` on one core of a 2-core cloud VM (CAR-T and melanoma simulate about 1.6 M
/// trajectories a second in `bench`, and a run's budget-impact accounting and threshold prices
/// slow the default scenario's base case 2.8 times), rounded down. A run is refused when its
/// effort at this speed on its threads exceeds [`MOST_SECONDS`]: a simpler scenario or a
/// faster machine may finish such a run sooner (the pilot's figure in the message says how
/// much), and `--allow-large` runs it anyway.
pub const REFERENCE_RATE: f64 = 1_000_000.0;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GuardError {
    #[error(
        "{what} would simulate {trajectories} trajectories, more than the 64-bit counters of the engine hold"
    )]
    Overflow { what: String, trajectories: u128 },
    #[error(
        "{what} would simulate {trajectories:.3e} trajectories in {simulations} simulation{}: about {} at the guard's reference speed ({} per second on each of {threads} thread{}), more than a day{}",
        if *simulations == 1 { "" } else { "s" },
        duration(*seconds),
        rate_text(REFERENCE_RATE),
        if *threads == 1 { "" } else { "s" },
        pilot_text(*pilot, *effort)
    )]
    TooLong {
        what: String,
        trajectories: f64,
        simulations: u128,
        /// Work in trajectories ([`Workload::effort`]).
        effort: f64,
        threads: usize,
        seconds: f64,
        /// This scenario's speed measured on this machine (all threads), when the pilot ran.
        pilot: Option<f64>,
    },
    #[error(
        "{what} would keep about {} of PSA results in memory, more than the {} this machine has free",
        bytes(*need),
        bytes(*free)
    )]
    TooBig { what: String, need: u128, free: u128 },
    #[error("{0}")]
    Threads(#[from] TooManyThreads),
}

/// Check a workload: its counts fit the engine's counters, its result rows fit the free
/// memory (`free_bytes`, when known), and its duration at [`REFERENCE_RATE`] on `threads`
/// threads is at most a day. The verdict depends on these numbers alone; `pilot` (this
/// scenario's trajectories per second on this machine) runs only for a run refused as too
/// long, and only adds its estimate to the message.
pub fn check(
    what: &str,
    work: Workload,
    free_bytes: Option<u128>,
    threads: usize,
    pilot: impl FnOnce() -> Option<f64>,
) -> Result<(), GuardError> {
    fits_counters(what, work)?;
    let what = what.to_string();
    if let Some(free) = free_bytes
        && work.memory_bytes > free
    {
        return Err(GuardError::TooBig { what, need: work.memory_bytes, free });
    }
    let threads = threads.max(1);
    let effort = work.effort() as f64;
    let seconds = effort / (REFERENCE_RATE * threads as f64);
    if seconds > MOST_SECONDS {
        let (trajectories, simulations) = (work.trajectories as f64, work.simulations);
        let pilot = pilot().filter(|r| r.is_finite() && *r > 0.0);
        return Err(GuardError::TooLong {
            what,
            trajectories,
            simulations,
            effort,
            threads,
            seconds,
            pilot,
        });
    }
    Ok(())
}

/// Refuse counts beyond the engine's 64-bit counters (even with `--allow-large`).
fn fits_counters(what: &str, work: Workload) -> Result<(), GuardError> {
    if work.trajectories > u64::MAX as u128 {
        let what = what.to_string();
        return Err(GuardError::Overflow { what, trajectories: work.trajectories });
    }
    Ok(())
}

/// A speed in trajectories per second, in words.
fn rate_text(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{} M trajectories", fmt_sig(rate / 1e6))
    } else {
        format!("{rate:.0} trajectories")
    }
}

/// A number with at most two decimals, trailing zeros dropped.
fn fmt_sig(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The pilot's estimate for the message.
fn pilot_text(pilot: Option<f64>, effort: f64) -> String {
    match pilot {
        Some(rate) => format!(
            "; a pilot of this scenario measured {:.2e} trajectories per second on this machine: about {} here",
            rate,
            duration(effort / rate)
        ),
        None => String::new(),
    }
}

impl GuardError {
    /// What the user can do about it.
    pub fn help(&self) -> &'static str {
        match self {
            GuardError::Overflow { .. } => "lower --patients or --samples",
            GuardError::TooLong { .. } => {
                "lower --patients or --samples, split the PSA over machines with `run --shard K/N` (deploy/slurm), or add --allow-large to run it anyway"
            }
            GuardError::TooBig { .. } => {
                "lower --samples, split the PSA with `run --shard K/N`, or add --allow-large to run it anyway"
            }
            GuardError::Threads(_) => TooManyThreads::HELP,
        }
    }
}

/// Refuse a run of `scenario` too large for this machine (guide "Robustness"): more than a day
/// at the reference speed on the threads it will use, more memory than is free, or counts
/// beyond the engine's; and more threads than [`check_threads`] allows. `allow_large` skips
/// the first two; the counters' and the threads' limits stay.
pub fn check_run(
    scenario: &Scenario,
    what: &str,
    work: Workload,
    threads: Option<usize>,
    allow_large: bool,
) -> Result<(), GuardError> {
    check_threads(threads)?;
    let pilot = || {
        // A short base case of this scenario on these threads: its speed on this machine.
        let options = RunOptions {
            patients: Some(20_000),
            samples: Some(0),
            seed: None,
            threads,
            simulation_only: true,
            keep_budget_impact: false,
        };
        let sim = simulate(scenario, &options, &mut |_, _| {}).ok()?;
        let strategies = scenario.model.strategies.len() as u64;
        Some((sim.patients * strategies) as f64 / sim.wall_seconds)
    };
    if allow_large {
        return fits_counters(what, work);
    }
    check(what, work, free_memory(), threads_used(threads), pilot)
}

/// The threads a run will compute on: those asked for (every core by default), but no more
/// than the machine's cores, beyond which threads add no speed.
pub fn threads_used(threads: Option<usize>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    threads.unwrap_or(cores).clamp(1, cores)
}

/// The memory the kernel reports as available (MemAvailable), in bytes; `None` off Linux.
pub fn free_memory() -> Option<u128> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A duration in the largest sensible unit.
pub fn duration(seconds: f64) -> String {
    if seconds >= 2.0 * 86_400.0 {
        format!("{:.0} days", seconds / 86_400.0)
    } else if seconds >= 2.0 * 3600.0 {
        format!("{:.0} hours", seconds / 3600.0)
    } else {
        format!("{:.0} minutes", seconds / 60.0)
    }
}

/// A byte count in binary units.
pub fn bytes(n: u128) -> String {
    let n = n as f64;
    let gib = 1024.0 * 1024.0 * 1024.0;
    if n >= gib {
        format!("{:.1} GiB", n / gib)
    } else if n >= 1024.0 * 1024.0 {
        format!("{:.0} MiB", n / 1024.0 / 1024.0)
    } else {
        format!("{:.0} KiB", n / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_the_unit_that_shows_them() {
        assert_eq!(bytes(276 << 10), "276 KiB");
        assert_eq!(bytes(8 << 20), "8 MiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
    }

    fn work(trajectories: u128, memory_bytes: u128) -> Workload {
        Workload { trajectories, simulations: 1, memory_bytes }
    }

    /// The most effort accepted on `threads` threads: a day at the reference speed.
    fn most_effort(threads: usize) -> u128 {
        (MOST_SECONDS * REFERENCE_RATE) as u128 * threads as u128
    }

    #[test]
    fn runs_up_to_a_day_at_the_reference_speed_pass_without_a_pilot() {
        let ran = std::cell::Cell::new(false);
        let pilot = || {
            ran.set(true);
            Some(1.0)
        };
        for threads in [1, 2, 64] {
            let limit = most_effort(threads) - SIMULATION_COST;
            assert_eq!(check("run", work(limit, 10), Some(100), threads, pilot), Ok(()));
            let over = check("run", work(limit + 1, 10), Some(100), threads, || None);
            assert!(matches!(over, Err(GuardError::TooLong { .. })), "{threads}: {over:?}");
        }
        assert!(!ran.get(), "no pilot for a run that passes");
    }

    #[test]
    fn the_verdict_does_not_depend_on_the_pilot() {
        // The same workloads judged with pilots that measure anything from very slow to very
        // fast, or nothing: the same verdicts (only the message's second estimate changes).
        let workloads = [
            work(most_effort(2) / 2, 0),
            work(most_effort(2) - SIMULATION_COST, 0),
            work(most_effort(2), 0),
            work(2 * most_effort(2), 0),
            Workload { trajectories: 20_000_000, simulations: 1_000_000, memory_bytes: 0 },
        ];
        for w in workloads {
            let verdicts: Vec<bool> = [None, Some(1.0), Some(1e3), Some(1e7), Some(1e12)]
                .into_iter()
                .map(|rate| check("run", w, None, 2, || rate).is_ok())
                .collect();
            assert!(verdicts.iter().all(|&v| v == verdicts[0]), "{w:?}: {verdicts:?}");
        }
    }

    #[test]
    fn a_run_longer_than_a_day_is_refused_with_both_estimates() {
        // 10^12 trajectories (and one simulation's fixed cost) on 2 threads at 10^6 a second
        // each: 5.8 days. The pilot measured 10^8 a second: 2.8 hours.
        let e = check("run", work(1_000_000_000_000, 0), None, 2, || Some(1e8)).unwrap_err();
        let GuardError::TooLong { seconds, threads, pilot, .. } = e else { panic!("{e:?}") };
        assert_eq!(seconds, (1e12 + SIMULATION_COST as f64) / 2e6);
        assert_eq!((threads, pilot), (2, Some(1e8)));
        let text = e.to_string();
        assert!(text.contains("about 6 days at the guard's reference speed"), "{text}");
        assert!(text.contains("(1 M trajectories per second on each of 2 threads)"), "{text}");
        assert!(
            text.ends_with(
                "measured 1.00e8 trajectories per second on this machine: about 3 hours here"
            ),
            "{text}"
        );
        // Without a pilot's figure, the message gives the reference estimate alone.
        let e = check("run", work(1_000_000_000_000, 0), None, 1, || None).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("(1 M trajectories per second on each of 1 thread), more than a day"),
            "{e}"
        );
    }

    #[test]
    fn many_small_simulations_count_their_fixed_cost() {
        // 10^8 samples of 10 patients × 2 strategies: 2·10^9 trajectories, but 2.02·10^11 of
        // effort: 2.3 days on one thread at the reference speed.
        let w = Workload { trajectories: 2_000_000_000, simulations: 100_000_000, memory_bytes: 0 };
        assert_eq!(w.effort(), 2_000_000_000 + 100_000_000 * SIMULATION_COST);
        assert!(matches!(check("run", w, None, 1, || None), Err(GuardError::TooLong { .. })));
        assert_eq!(check("run", w, None, 4, || None), Ok(()));
    }

    #[test]
    fn threads_beyond_the_cores_add_no_speed() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(threads_used(Some(cores * 100)), cores);
        assert_eq!(threads_used(None), cores);
        assert_eq!(threads_used(Some(1)), 1);
        assert_eq!(threads_used(Some(0)), 1);
    }

    #[test]
    fn memory_beyond_the_free_memory_is_refused() {
        let e = check("run", work(10, 3 << 30), Some(1 << 30), 1, || None).unwrap_err();
        assert_eq!(e, GuardError::TooBig { what: "run".into(), need: 3 << 30, free: 1 << 30 });
        assert!(e.to_string().contains("3.0 GiB") && e.to_string().contains("1.0 GiB"), "{e}");
        assert_eq!(check("run", work(10, 3 << 30), None, 1, || None), Ok(()));
    }

    #[test]
    fn counts_beyond_u64_are_errors_even_when_large_runs_are_allowed() {
        let n = u64::MAX as u128 + 1;
        assert!(matches!(
            check("run", work(n, 0), None, 1, || None),
            Err(GuardError::Overflow { trajectories, .. }) if trajectories == n
        ));
        assert!(matches!(fits_counters("run", work(n, 0)), Err(GuardError::Overflow { .. })));
        assert_eq!(fits_counters("run", work(n - 1, 0)), Ok(()));
    }
}
