//! `bench`: the engine's speed on a scenario, without writing anything.

use super::common::{guard, simulate_with_progress};
use super::failure::Failure;
use vbpsim::scenario::Scenario;
use vbpsim::workflow::RunOptions;
use vbpsim::workflow::guard::Workload;

/// `vbpsim bench`: simulate without writing outputs; print trajectories per second and peak
/// memory, and with PSA samples their own speed (the base case is simulated first, without
/// its budget impact and threshold-price searches; each sample as `run` simulates it).
pub fn bench(
    loaded: Result<Scenario, Failure>,
    (patients, samples): (u64, u64),
    threads: Option<u64>,
    allow_large: bool,
) -> Result<(), Failure> {
    let s = loaded?;
    let options = RunOptions {
        patients: Some(patients),
        samples: Some(samples),
        seed: None,
        threads: threads.map(|t| t as usize),
        simulation_only: true,
        keep_budget_impact: false,
    };
    let work = Workload::new(&s.model, patients, 1 + samples, samples);
    guard(&s, "this benchmark", work, options.threads, allow_large)?;
    let sim = simulate_with_progress(&s, &options, true)?;
    let trajectories = sim.patients * s.model.strategies.len() as u64;
    let (psa_wall, psa_cpu, psa_trajectories) = sim.psa_timing;
    let base_wall = sim.wall_seconds - psa_wall;
    outln!("scenario: {}", s.model.meta.name)?;
    outln!("threads: {}", sim.threads)?;
    outln!("patients: {}", sim.patients)?;
    outln!("trajectories: {trajectories} (patients × strategies)")?;
    outln!("wall_seconds: {base_wall:.3}")?;
    outln!("trajectories_per_second: {:.0}", trajectories as f64 / base_wall)?;
    if let Some(c) = sim.cpu_seconds.zip(psa_cpu).map(|(all, psa)| all - psa) {
        outln!("cpu_seconds: {c:.3}")?;
    }
    if samples > 0 {
        outln!("psa_samples: {samples}")?;
        outln!("psa_trajectories: {psa_trajectories}")?;
        outln!("psa_wall_seconds: {psa_wall:.3}")?;
        outln!("psa_trajectories_per_second: {:.0}", psa_trajectories as f64 / psa_wall)?;
        if let Some(c) = psa_cpu {
            outln!("psa_cpu_seconds: {c:.3}")?;
            outln!("psa_cpu_ns_per_trajectory: {:.1}", 1e9 * c / psa_trajectories as f64)?;
        }
    }
    match vbpsim::resources::peak_memory_mib() {
        Some(m) => outln!("peak_memory_mib: {m:.1}"),
        None => outln!("peak_memory_mib: unknown"),
    }
}
