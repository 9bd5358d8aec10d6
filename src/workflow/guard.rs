//! Resource guards: what a run will ask of the machine, estimated before it starts.
//!
//! A scenario edited under deadline can ask for 10^11 patients × 10^6 samples. vbpsim counts
//! the trajectories (patients × strategies × simulations) and the memory that grows with the
//! run (one result row per arm and PSA sample) before simulating, refuses a run that would
//! take this machine more than a day or need more memory than it has free, and names the
//! flag that overrides (`--allow-large`). Counts are kept in `u128`, so no size overflows
//! while being estimated; a count beyond the `u64` counters of the engine is an error.

use crate::analysis::cea::Estimate;
use crate::analysis::psa::{PsaSample, SampleArm};
use crate::model::Model;
use crate::scenario::Scenario;
use crate::workflow::run::{RunOptions, simulate};

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

/// Runs of less effort (in trajectories, [`Workload::effort`]) are accepted without a pilot:
/// at the slowest bundled scenario's speed (about a million trajectories a second on one
/// core) they take minutes, not a day.
pub const PILOT_ABOVE: u128 = 1_000_000_000;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GuardError {
    #[error(
        "{what} would simulate {trajectories} trajectories, more than the 64-bit counters of the engine hold"
    )]
    Overflow { what: String, trajectories: u128 },
    #[error(
        "{what} would simulate {trajectories:.3e} trajectories in {simulations} simulations: about {} on this machine ({rate:.2e} trajectories per second measured on a pilot), more than a day",
        duration(*seconds)
    )]
    TooLong { what: String, trajectories: f64, simulations: u128, rate: f64, seconds: f64 },
    #[error(
        "{what} would keep about {} of PSA results in memory, more than the {} this machine has free",
        bytes(*need),
        bytes(*free)
    )]
    TooBig { what: String, need: u128, free: u128 },
}

/// Check a workload: its counts fit the engine's counters, its result rows fit the free
/// memory (`free_bytes`, when known), and — for runs big enough to matter — its duration at
/// the `rate` measured by `pilot` (trajectories per second) is at most a day. `pilot` runs
/// only when needed.
pub fn check(
    what: &str,
    work: Workload,
    free_bytes: Option<u128>,
    pilot: impl FnOnce() -> Option<f64>,
) -> Result<(), GuardError> {
    let what = what.to_string();
    if work.trajectories > u64::MAX as u128 {
        return Err(GuardError::Overflow { what, trajectories: work.trajectories });
    }
    if let Some(free) = free_bytes
        && work.memory_bytes > free
    {
        return Err(GuardError::TooBig { what, need: work.memory_bytes, free });
    }
    if work.effort() > PILOT_ABOVE
        && let Some(rate) = pilot().filter(|r| r.is_finite() && *r > 0.0)
    {
        let seconds = work.effort() as f64 / rate;
        if seconds > MOST_SECONDS {
            let (trajectories, simulations) = (work.trajectories as f64, work.simulations);
            return Err(GuardError::TooLong { what, trajectories, simulations, rate, seconds });
        }
    }
    Ok(())
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
        }
    }
}

/// Refuse a run of `scenario` too large for this machine (guide "Robustness"): more than a day
/// at the speed a pilot of the scenario measures on `threads`, more memory than is free, or
/// counts beyond the engine's. `allow_large` skips the first two; the counters' limit stays.
pub fn check_run(
    scenario: &Scenario,
    what: &str,
    work: Workload,
    threads: Option<usize>,
    allow_large: bool,
) -> Result<(), GuardError> {
    let pilot = || {
        // A short base case of this scenario on these threads: its speed on this machine.
        let options = RunOptions {
            patients: Some(20_000),
            samples: Some(0),
            seed: None,
            threads,
            simulation_only: true,
        };
        let sim = simulate(scenario, &options, &mut |_, _| {}).ok()?;
        let strategies = scenario.model.strategies.len() as u64;
        Some((sim.patients * strategies) as f64 / sim.wall_seconds)
    };
    if allow_large {
        check(what, work, None, || None)
    } else {
        check(what, work, free_memory(), pilot)
    }
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
    if n >= gib { format!("{:.1} GiB", n / gib) } else { format!("{:.0} MiB", n / 1024.0 / 1024.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(trajectories: u128, memory_bytes: u128) -> Workload {
        Workload { trajectories, simulations: 1, memory_bytes }
    }

    #[test]
    fn small_runs_pass_without_a_pilot() {
        let ran = std::cell::Cell::new(false);
        let pilot = || {
            ran.set(true);
            Some(1.0)
        };
        let limit = PILOT_ABOVE - SIMULATION_COST;
        assert_eq!(check("run", work(limit, 10), Some(100), pilot), Ok(()));
        assert!(!ran.get(), "no pilot below the threshold");
    }

    #[test]
    fn a_run_longer_than_a_day_is_refused_with_its_estimate() {
        // 10^12 trajectories (and one simulation's fixed cost) at 10^6 a second: 11.6 days.
        let e = check("run", work(1_000_000_000_000, 0), None, || Some(1e6)).unwrap_err();
        let GuardError::TooLong { seconds, .. } = e else { panic!("{e:?}") };
        assert_eq!(seconds, (1e12 + SIMULATION_COST as f64) / 1e6);
        assert!(e.to_string().contains("12 days"), "{e}");
        // The same run at 10^8 a second takes 2.8 hours.
        assert_eq!(check("run", work(1_000_000_000_000, 0), None, || Some(1e8)), Ok(()));
        // A pilot that could not measure does not refuse.
        assert_eq!(check("run", work(1_000_000_000_000, 0), None, || None), Ok(()));
    }

    #[test]
    fn many_small_simulations_count_their_fixed_cost() {
        // 10^6 samples of 10 patients × 2 strategies: 2·10^7 trajectories, but 2·10^9 of effort.
        let w = Workload { trajectories: 20_000_000, simulations: 1_000_000, memory_bytes: 0 };
        assert_eq!(w.effort(), 20_000_000 + 1_000_000 * SIMULATION_COST);
        // At 10^4 trajectories a second that is 2.3 days: refused.
        assert!(matches!(check("run", w, None, || Some(1e4)), Err(GuardError::TooLong { .. })));
    }

    #[test]
    fn memory_beyond_the_free_memory_is_refused() {
        let e = check("run", work(10, 3 << 30), Some(1 << 30), || None).unwrap_err();
        assert_eq!(e, GuardError::TooBig { what: "run".into(), need: 3 << 30, free: 1 << 30 });
        assert!(e.to_string().contains("3.0 GiB") && e.to_string().contains("1.0 GiB"), "{e}");
        assert_eq!(check("run", work(10, 3 << 30), None, || None), Ok(()));
    }

    #[test]
    fn counts_beyond_u64_are_errors() {
        let n = u64::MAX as u128 + 1;
        assert!(matches!(
            check("run", work(n, 0), None, || None),
            Err(GuardError::Overflow { trajectories, .. }) if trajectories == n
        ));
    }
}
