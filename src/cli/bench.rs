//! `bench`: the engine's speed on a scenario, without writing anything.

use super::common::{guard, simulate_with_progress};
use super::failure::Failure;
use vbpsim::scenario::Scenario;
use vbpsim::workflow::RunOptions;
use vbpsim::workflow::guard::Workload;

/// `vbpsim bench`: simulate without writing outputs; print trajectories per second and peak
/// memory.
pub fn bench(
    loaded: Result<Scenario, Failure>,
    patients: u64,
    threads: Option<u64>,
    allow_large: bool,
) -> Result<(), Failure> {
    let s = loaded?;
    let options = RunOptions {
        patients: Some(patients),
        samples: Some(0),
        seed: None,
        threads: threads.map(|t| t as usize),
        simulation_only: true,
        keep_budget_impact: false,
    };
    let work = Workload::new(&s.model, patients, 1, 0);
    guard(&s, "this benchmark", work, options.threads, allow_large)?;
    let sim = simulate_with_progress(&s, &options, true)?;
    let trajectories = sim.patients * s.model.strategies.len() as u64;
    outln!("scenario: {}", s.model.meta.name)?;
    outln!("threads: {}", sim.threads)?;
    outln!("patients: {}", sim.patients)?;
    outln!("trajectories: {trajectories} (patients × strategies)")?;
    outln!("wall_seconds: {:.3}", sim.wall_seconds)?;
    outln!("trajectories_per_second: {:.0}", trajectories as f64 / sim.wall_seconds)?;
    if let Some(c) = sim.cpu_seconds {
        outln!("cpu_seconds: {c:.3}")?;
    }
    match vbpsim::resources::peak_memory_mib() {
        Some(m) => outln!("peak_memory_mib: {m:.1}"),
        None => outln!("peak_memory_mib: unknown"),
    }
}
