//! What the commands do alike: load a scenario with its overrides, read the run's sizes,
//! refuse a run too large for the machine, simulate with a progress bar, and say where
//! `--force` moved a folder.

use super::args::Overrides;
use super::failure::{Failure, run_failure};
use super::progress::Progress;
use std::path::{Path, PathBuf};
use vbpsim::output::folder::Target;
use vbpsim::scenario::{self, Scenario};
use vbpsim::workflow::disk;
use vbpsim::workflow::guard::Workload;
use vbpsim::workflow::{RunOptions, Simulation, simulate};

pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<Scenario, Failure> {
    Ok(scenario::load_with(path, &overrides.set)?)
}

/// Patients per strategy and PSA samples of a run: the command line's, else the scenario's.
pub fn sizes_of(s: &Scenario, options: &RunOptions) -> (u64, u64) {
    let meta = &s.model.meta;
    (options.patients.unwrap_or(meta.patients), options.samples.unwrap_or(meta.samples))
}

/// Refuse a run too large for this machine (see `vbpsim::workflow::guard::check_run`).
pub fn guard(
    s: &Scenario,
    what: &str,
    work: Workload,
    threads: Option<usize>,
    allow_large: bool,
) -> Result<(), Failure> {
    vbpsim::workflow::guard::check_run(s, what, work, threads, allow_large)
        .map_err(|e| Failure::refused(&e, Some(e.help())))
}

/// Refuse, before simulating, outputs that would not fit on the disk of `target`: what
/// `writes` says grows with the PSA (the folder's samples, a checkpoint's or a shard's lines).
/// A full disk is the machine's problem: exit 1.
pub fn check_space(
    s: &Scenario,
    what: &str,
    target: &Path,
    writes: disk::Writes,
) -> Result<(), Failure> {
    let writes = disk::Writes { scenario_text: s.source.text.len() as u64, ..writes };
    let need = disk::estimate(disk::SampleBytes::of(&s.model), writes);
    let help = if writes.grows() { disk::NoSpace::HELP } else { disk::NoSpace::HELP_FIXED };
    disk::check_target(what, need, target)
        .map_err(|e| Failure::other(format!("error: {e}\n  = help: {help}")))
}

/// Say where --force moved a folder vbpsim could not replace.
pub fn note_displaced(target: &Target, displaced: Option<PathBuf>) {
    if let Some(aside) = displaced {
        say!(
            "note: --force: the previous {} was moved aside to {} (nothing was deleted)",
            target.display(),
            aside.display()
        );
    }
}

/// The progress bar of a simulation of patients.
pub const SIMULATING: &str =
    "{spinner} simulating [{bar:40}] {pos}/{len} patients, {per_sec}, ETA {eta}";

/// The progress bar of a run with PSA samples, counted in samples after the base case.
pub const SAMPLING: &str =
    "{spinner} simulating the {msg} [{bar:40}] {pos}/{len} PSA samples, {per_sec}, ETA {eta}";

/// Simulate with a progress bar that appears once the run has lasted a second.
pub fn simulate_with_progress(
    s: &Scenario,
    options: &RunOptions,
    quiet: bool,
) -> Result<Simulation, Failure> {
    let mut progress = Progress::new(quiet, SIMULATING);
    let sim = simulate(s, options, &mut |d, t| progress.update(d, t)).map_err(run_failure)?;
    progress.finish();
    Ok(sim)
}
