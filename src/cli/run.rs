//! `run`, `run --shard K/N` and `merge`: a simulation and its output folder, with the PSA
//! checkpointed for `--resume`, split into shards, or joined from them.

use super::args::{Sizes, Writing};
use super::common::{
    SAMPLING, SIMULATING, check_space, guard, note_displaced, simulate_with_progress, sizes_of,
};
use super::failure::{Failure, check_target, run_failure};
use super::progress::{Progress, Unit};
use std::path::{Path, PathBuf};
use vbpsim::analysis::psa::PsaSample;
use vbpsim::output::folder::{Kind, Target};
use vbpsim::scenario::Scenario;
use vbpsim::workflow::checkpoint::{self, Checkpoint, CheckpointError};
use vbpsim::workflow::disk::Writes;
use vbpsim::workflow::guard::Workload;
use vbpsim::workflow::run::{simulate_resuming, simulate_shard, with_psa, write_outputs};
use vbpsim::workflow::shard::{self, ShardRun};
use vbpsim::workflow::{RunError, RunOptions, Simulation};

/// `vbpsim run`: simulate the base case and the PSA (resuming an interrupted run with
/// `resume`) and write the output folder.
pub fn run(
    loaded: Result<Scenario, Failure>,
    out: Option<PathBuf>,
    sizes: &Sizes,
    (resume, psa_csv): (bool, bool),
    writing: &Writing,
) -> Result<(), Failure> {
    let (force, quiet) = (writing.force, writing.quiet);
    let s = loaded?;
    let options = sizes.options();
    let out = out.unwrap_or_else(|| Path::new("output").join(&s.model.meta.name));
    let target = Target::new(out, force, Kind::Run);
    let (patients, samples) = sizes_of(&s, &options);
    let work = Workload::new(&s.model, patients, 1 + samples, samples);
    guard(&s, "this run", work, options.threads, sizes.allow_large)?;
    // Held until the folder is written and the checkpoint removed.
    let _lock = check_target(&target)?;
    // The folder, and the checkpoint kept beside it until the folder is in place.
    check_space(
        &s,
        "this run",
        &target,
        Writes { samples, psa_csv, checkpoint: samples, ..Writes::default() },
    )?;
    if !quiet {
        note_populations(&s, patients);
    }
    let checkpoint_dir = checkpoint::folder(&target);
    let (checkpoint, done) = open_checkpoint(&s, &options, &target, resume, quiet)?;
    let resumed = !done.is_empty();
    let mut progress = if samples > 0 {
        Progress::counting(quiet, SAMPLING, Unit::Samples { samples, base_case: true })
    } else {
        Progress::new(quiet, SIMULATING)
    };
    // Ctrl-C says how many samples are kept and how to continue.
    if let Some(c) = &checkpoint {
        super::interrupt::kept(c.held());
        super::interrupt::on_interrupt_keep(&checkpoint_dir);
    }
    let record = |x: &PsaSample| {
        if let Some(c) = &checkpoint {
            c.record(x);
            super::interrupt::kept(c.held());
        }
    };
    let simulated =
        simulate_resuming(&s, &options, done, &record, &mut |d, t| progress.update(d, t));
    progress.finish();
    // Whether the outputs could not be written (the samples simulated are then worth keeping).
    let unwritten = std::cell::Cell::new(false);
    let written = simulated.map_err(run_failure).and_then(|mut sim| {
        if psa_csv {
            sim.results.keep_psa_table();
        }
        // Warnings are also recorded in run.json, so --quiet may silence them here.
        for w in sim.warnings.iter().filter(|_| !quiet) {
            say!("warning: {w}");
        }
        let displaced = target.displaces().then(|| target.aside());
        let dir = write_outputs(&s, &sim, &target).map_err(|e| match e {
            // Finite samples whose means overflow can only come from a checkpoint edited by
            // hand: resuming from it again would fail again.
            RunError::NonFinite(_) if resumed => Failure::other(format!(
                "error: {e}\n  = help: the checkpoint in {} holds samples whose numbers overflow (edited by hand?); run without --resume to start over",
                checkpoint_dir.display()
            )),
            RunError::NonFinite(_) => run_failure(e),
            e => {
                unwritten.set(true);
                run_failure(e)
            }
        })?;
        Ok((sim, dir, displaced))
    });
    let (sim, dir, displaced) = match written {
        Ok(written) => written,
        Err(f) => {
            // A checkpoint without a complete sample is no use to --resume: it goes.
            let kept = checkpoint.map_or(0, Checkpoint::abandon);
            if kept > 0 && unwritten.get() {
                let message = format!(
                    "{}\n  = note: the {kept} PSA samples done are kept in {}: `--resume` continues from them",
                    f.message,
                    checkpoint_dir.display()
                );
                return Err(Failure { message, ..f });
            }
            return Err(f);
        }
    };
    if let Some(c) = checkpoint {
        // The checkpoint goes: Ctrl-C has nothing left to say about it.
        super::interrupt::restore();
        c.finish();
    }
    // Said even with --quiet: it is about the user's own folder.
    note_displaced(&target, displaced);
    if !quiet {
        print_summary(&s, &sim, &dir);
    }
    Ok(())
}

/// Notes on cohort-level contracts whose populations the simulated patients do not fill
/// exactly.
fn note_populations(s: &Scenario, patients: u64) {
    for (name, size) in s.model.cohort_sizes() {
        if patients < size {
            say!(
                "note: contract `{name}` settles populations of {size} patients (population × years), more than the {patients} simulated: the one population is the simulated patients scaled up, with more noise than the real one; use --patients {size} or more"
            );
        } else if !patients.is_multiple_of(size) {
            let last = size + patients % size;
            say!(
                "note: contract `{name}` settles populations of {size} patients (population × years); {patients} is not a multiple, so the last of {} populations has {last} patients, scaled down (less noise than a real one); a multiple of {size} avoids it",
                patients / size
            );
        }
    }
}

/// The closing summary of a run: its size and time, and each arm's cost, QALYs, LYs and ICER.
fn print_summary(s: &Scenario, sim: &Simulation, dir: &Path) {
    let m = &s.model;
    let psa = match sim.psa.len() {
        0 => String::new(),
        n => format!(", base case and {n} PSA samples,"),
    };
    say!(
        "simulated {} patients × {} strategies{psa} in {:.2} s; wrote {}",
        sim.patients,
        m.strategies.len(),
        sim.wall_seconds,
        dir.display()
    );
    for r in &sim.summary {
        let icer = r.icer.map_or(r.icer_status.as_str().to_string(), |x| {
            format!("ICER {x:.0} {}/QALY", m.meta.currency)
        });
        let arm = m.arm_name(r.strategy, r.contract);
        say!(
            "  {:<36} cost {:>12.0}  QALY {:>7.4}  LY {:>7.4}  {}",
            arm,
            r.cost.mean,
            r.qaly.mean,
            r.ly.mean,
            icer
        );
    }
    for line in vbpsim::output::headline::lines(m, &sim.results) {
        say!("{line}");
    }
}

/// With PSA samples, the checkpoint that records each finished sample (so that --resume can
/// continue an interrupted run), and the samples of the run it resumes.
fn open_checkpoint(
    s: &Scenario,
    options: &RunOptions,
    target: &Path,
    resume: bool,
    quiet: bool,
) -> Result<(Option<Checkpoint>, Vec<PsaSample>), Failure> {
    let samples = options.samples.unwrap_or(s.model.meta.samples);
    let run = ShardRun {
        scenario: s,
        seed: options.seed.unwrap_or(s.model.meta.seed),
        patients: options.patients.unwrap_or(s.model.meta.patients),
        samples,
        shard: (1, 1),
    };
    let opened = if samples > 0 {
        match Checkpoint::open(target, &run, resume) {
            Ok(o) => Some(o),
            // Without --resume a checkpoint is a convenience: the run goes on without one.
            Err(e @ (CheckpointError::Foreign { .. } | CheckpointError::Write { .. }))
                if !resume =>
            {
                say!(
                    "warning: this run keeps no checkpoint (no --resume if it is interrupted): {e}"
                );
                None
            }
            Err(e @ CheckpointError::Write { .. }) => {
                let why = match &e {
                    CheckpointError::Write { source, .. } => vbpsim::output::refusal(source.kind()),
                    _ => None,
                };
                let why = why.unwrap_or("the checkpoint's folder cannot be written");
                return Err(Failure::other(format!(
                    "error: {e}\n  = help: {why}; --resume continues once the checkpoint can be written again (its samples are kept)"
                )));
            }
            Err(e) => return Err(Failure::input(format!("error: {e}"))),
        }
    } else {
        None
    };
    let checkpoint_dir = checkpoint::folder(target);
    Ok(match opened {
        Some(o) => {
            // Said even with --quiet: part of the interrupted run is simulated again.
            if let Some(dropped) = &o.dropped {
                say!("warning: {dropped}");
            }
            if !quiet {
                match (resume, o.found) {
                    (true, true) => say!(
                        "resuming: {} of {samples} PSA samples done by the interrupted run",
                        o.done.len()
                    ),
                    (true, false) => say!(
                        "note: no interrupted run to resume ({} does not exist); running from the start",
                        checkpoint_dir.display()
                    ),
                    (false, true) => say!(
                        "note: replaced the checkpoint of an interrupted run in {} (--resume continues one)",
                        checkpoint_dir.display()
                    ),
                    (false, false) => {}
                }
            }
            (Some(o.checkpoint), o.done)
        }
        None => {
            if resume && samples == 0 && !quiet {
                say!("note: nothing to resume: the run has no PSA samples");
            }
            (None, Vec::new())
        }
    })
}

/// `vbpsim run --shard K/N`: simulate one block of the PSA samples and write a partial folder.
pub fn shard(
    loaded: Result<Scenario, Failure>,
    out: Option<PathBuf>,
    sizes: &Sizes,
    (k, n): (u64, u64),
    writing: &Writing,
) -> Result<(), Failure> {
    let (force, quiet) = (writing.force, writing.quiet);
    let s = loaded?;
    let options = sizes.options();
    let samples = options.samples.unwrap_or(s.model.meta.samples);
    let block = shard::block(&s, samples, (k, n))
        .map_err(|e| Failure::refused(&e, Some(shard::NoSamples::HELP)))?;
    let name = &s.model.meta.name;
    let patients = options.patients.unwrap_or(s.model.meta.patients);
    let run = ShardRun {
        scenario: &s,
        seed: options.seed.unwrap_or(s.model.meta.seed),
        patients,
        samples,
        shard: (k, n),
    };
    let out = out.unwrap_or_else(|| Path::new("output").join(format!("{name}-shard-{k}-of-{n}")));
    let target = Target::new(out, force, run.folder_kind());
    let block_len = block.end - block.start;
    let work = Workload::new(&s.model, patients, block_len, block_len);
    guard(&s, "this shard", work, options.threads, sizes.allow_large)?;
    let _lock = check_target(&target)?;
    check_space(&s, "this shard", &target, Writes { shard: block_len, ..Writes::default() })?;
    let unit = Unit::Samples { samples: block_len, base_case: false };
    let mut progress = Progress::counting(quiet, SAMPLING, unit);
    let (psa, threads, wall) =
        simulate_shard(&s, &options, (k, n), &mut |d, t| progress.update(d, t))
            .map_err(run_failure)?;
    progress.finish();
    let displaced = target.displaces().then(|| target.aside());
    let dir = shard::write_shard(&run, &psa, (threads, wall), &target).map_err(run_failure)?;
    // Said even with --quiet: it is about the user's own folder.
    note_displaced(&target, displaced);
    if !quiet {
        say!(
            "shard {k} of {n}: PSA samples {}–{} of {samples} ({} samples) in {wall:.2} s; wrote {}",
            block.start,
            block.end - 1,
            psa.len(),
            dir.display()
        );
    }
    Ok(())
}

/// `vbpsim merge`: check the partial folders, simulate the base case, and write the output
/// folder the single run would have written.
pub fn merge(
    dirs: &[PathBuf],
    out: Option<PathBuf>,
    (threads, allow_large, psa_csv): (Option<u64>, bool, bool),
    writing: &Writing,
) -> Result<(), Failure> {
    let (force, quiet) = (writing.force, writing.quiet);
    let refused = |e: shard::MergeError| Failure::refused(&e, e.help());
    let merged = shard::read_all(dirs).map_err(refused)?;
    let s = &merged.scenario;
    let out = out.unwrap_or_else(|| Path::new("output").join(&s.model.meta.name));
    // A merged folder is the folder of one run.
    let target = Target::new(out, force, Kind::Run);
    shard::check_out(dirs, &target).map_err(refused)?;
    // The base case is simulated here (the samples' rows are already in memory).
    let work = Workload::new(&s.model, merged.patients, 1, 0);
    guard(s, "this merge", work, threads.map(|t| t as usize), allow_large)?;
    let _lock = check_target(&target)?;
    let samples = merged.psa.len() as u64;
    check_space(s, "this merge", &target, Writes { samples, psa_csv, ..Writes::default() })?;
    // The base case (and the analyses that re-simulate it) is simulated here; the samples
    // come from the shards.
    let options = RunOptions {
        patients: Some(merged.patients),
        samples: Some(0),
        seed: Some(merged.seed),
        threads: threads.map(|t| t as usize),
        simulation_only: false,
        keep_budget_impact: false,
    };
    let base = simulate_with_progress(s, &options, quiet)?;
    let samples = merged.psa.len();
    let mut sim = with_psa(&s.model, base, merged.psa);
    if psa_csv {
        sim.results.keep_psa_table();
    }
    for w in sim.warnings.iter().filter(|_| !quiet) {
        say!("warning: {w}");
    }
    let displaced = target.displaces().then(|| target.aside());
    let dir = write_outputs(s, &sim, &target).map_err(run_failure)?;
    // Said even with --quiet: it is about the user's own folder.
    note_displaced(&target, displaced);
    if !quiet {
        say!(
            "merged {} shards ({samples} PSA samples) with the base case of {} patients; wrote {}",
            dirs.len(),
            sim.patients,
            dir.display()
        );
    }
    Ok(())
}
