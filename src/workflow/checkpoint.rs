//! Checkpoints of a PSA in progress, so that an interrupted run resumes where it stopped
//! (`vbpsim run --resume`).
//!
//! While a run with PSA samples works, every finished sample is appended as one JSON line to
//! a hidden folder beside the output folder (`.<name>.resume/`, in the format of a shard of
//! one: run.json and samples.jsonl) and handed to the operating system (not synced to disk: a
//! killed process loses nothing, a machine that loses power may lose the last lines). A run
//! killed at any moment leaves at most one incomplete last line, which a resumed run drops.
//! The resumed run checks that the checkpoint is of the same run (vbpsim version, scenario
//! text, seed, patients, samples), simulates only the missing samples and the base case, and
//! writes what the uninterrupted run would have written; the checkpoint is removed once the
//! output folder is in place.

use crate::analysis::psa::PsaSample;
use crate::workflow::shard::{Manifest, ShardRun};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const KIND: &str = "psa_checkpoint";
const SAMPLES_FILE: &str = "samples.jsonl";

/// Why a checkpoint cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot write the checkpoint {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error(
        "the interrupted run in {path} was another run: {field} was {found}, now {expected}\n  = help: run without --resume to start over (the checkpoint is then replaced)"
    )]
    Mismatch { path: String, field: &'static str, found: String, expected: String },
    #[error(
        "{path} is not a checkpoint of vbpsim ({message})\n  = help: move it away, or run without --resume"
    )]
    Malformed { path: String, message: String },
    #[error(
        "{path} is in the way of the run's checkpoint: it holds files vbpsim did not write\n  = help: move it away, or choose another --out"
    )]
    Foreign { path: String },
}

/// The files a checkpoint folder holds; any other file makes it someone else's.
const FILES: &[&str] = &["run.json", SAMPLES_FILE, "samples.jsonl.tmp", "run.json.tmp"];

/// Whether `dir` may be used as a checkpoint: absent, or a vbpsim checkpoint holding only its
/// own files.
fn ours(dir: &Path) -> bool {
    if !dir.exists() {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    let only_ours = entries
        .filter_map(Result::ok)
        .all(|e| FILES.contains(&e.file_name().to_string_lossy().as_ref()));
    let manifest = std::fs::read_to_string(dir.join("run.json")).unwrap_or_default();
    only_ours
        && (manifest.is_empty()
            || (manifest.contains("\"tool\": \"vbpsim\"") && manifest.contains(KIND)))
}

/// The hidden checkpoint folder of an output folder, `.<name>.resume` beside it (a long name
/// shortened as the output folder's other hidden names are, see
/// [`crate::output::folder::hidden`]).
pub fn folder(target: &Path) -> PathBuf {
    crate::output::folder::hidden(target, "resume")
}

/// A checkpoint being written.
pub struct Checkpoint {
    dir: PathBuf,
    /// The samples file; `None` after a write failed (the checkpoint then stops growing, so
    /// that a half-written line is its last).
    samples: Mutex<Option<std::fs::File>>,
    /// Complete samples it holds (those resumed and those recorded since).
    held: std::sync::atomic::AtomicUsize,
}

/// What opening a checkpoint found.
pub struct Opened {
    pub checkpoint: Checkpoint,
    /// Samples of the interrupted run (empty unless resuming).
    pub done: Vec<PsaSample>,
    /// Whether a checkpoint was there (resumed, or replaced without --resume).
    pub found: bool,
}

impl Checkpoint {
    /// Open the checkpoint of `run` for output folder `target`: with `resume`, keep the
    /// samples of the interrupted run if it is the same run (an error otherwise); without,
    /// start a new one.
    pub fn open(
        target: &Path,
        run: &ShardRun<'_>,
        resume: bool,
    ) -> Result<Opened, CheckpointError> {
        let dir = folder(target);
        let shown = dir.display().to_string();
        if !ours(&dir) {
            return Err(CheckpointError::Foreign { path: shown });
        }
        let existed = dir.exists();
        let opened = Self::create(dir, run, resume);
        if let Err(CheckpointError::Write { .. }) = &opened
            && !existed
        {
            // A disk that refused the new checkpoint is left as it was (no stub folder).
            remove(&folder(target));
        }
        opened
    }

    fn create(dir: PathBuf, run: &ShardRun<'_>, resume: bool) -> Result<Opened, CheckpointError> {
        let shown = dir.display().to_string();
        let write_err = |source| CheckpointError::Write { path: shown.clone(), source };
        let found = dir.join("run.json").exists();
        let done = if resume && found { read(&dir, run)? } else { Vec::new() };
        std::fs::create_dir_all(&dir).map_err(write_err)?;
        // Rewritten whole (a kill may have cut the last line), then appended to.
        let mut lines = String::new();
        for s in &done {
            lines.push_str(&serde_json::to_string(s).unwrap_or_default());
            lines.push('\n');
        }
        let tmp = dir.join("samples.jsonl.tmp");
        std::fs::write(&tmp, lines).map_err(write_err)?;
        std::fs::rename(&tmp, dir.join(SAMPLES_FILE)).map_err(write_err)?;
        let manifest = Manifest::new(run, KIND, 0, 0.0);
        let json = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
        let tmp = dir.join("run.json.tmp");
        std::fs::write(&tmp, json).map_err(write_err)?;
        std::fs::rename(&tmp, dir.join("run.json")).map_err(write_err)?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join(SAMPLES_FILE))
            .map_err(write_err)?;
        let held = done.len().into();
        let checkpoint = Checkpoint { dir, samples: Mutex::new(Some(file)), held };
        Ok(Opened { checkpoint, done, found })
    }

    /// Append a finished sample. A failure to write (a full disk) is not fatal to the run: the
    /// checkpoint stops there, and a resumed run drops the cut line.
    pub fn record(&self, sample: &PsaSample) {
        let line = serde_json::to_string(sample).unwrap_or_default() + "\n";
        if let Ok(mut guard) = self.samples.lock()
            && let Some(f) = guard.as_mut()
        {
            if f.write_all(line.as_bytes()).and_then(|()| f.flush()).is_ok() {
                self.held.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            } else {
                *guard = None;
            }
        }
    }

    /// The run's outputs are in place: the checkpoint is no longer needed. Only its own files
    /// are removed, then the folder if that left it empty.
    pub fn finish(self) {
        drop(self.samples);
        remove(&self.dir);
    }

    /// The run failed: the checkpoint stays for --resume if it holds a complete sample, and is
    /// removed (as by [`Checkpoint::finish`]) if it holds none. Returns the samples it keeps.
    pub fn abandon(self) -> usize {
        let held = self.held.load(std::sync::atomic::Ordering::Relaxed);
        if held == 0 {
            self.finish();
        }
        held
    }
}

/// Remove a checkpoint's own files, then its folder if that left it empty.
fn remove(dir: &Path) {
    for f in FILES {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let _ = std::fs::remove_dir(dir);
}

/// The samples of an interrupted run, if it is `run`.
fn read(dir: &Path, run: &ShardRun<'_>) -> Result<Vec<PsaSample>, CheckpointError> {
    let shown = dir.display().to_string();
    let malformed = |message: String| CheckpointError::Malformed { path: shown.clone(), message };
    let text =
        std::fs::read_to_string(dir.join("run.json")).map_err(|e| malformed(e.to_string()))?;
    let old: Manifest = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
    if old.tool != "vbpsim" || old.kind != KIND {
        return Err(malformed("its run.json is not a checkpoint's".into()));
    }
    let now = Manifest::new(run, KIND, 0, 0.0);
    let checks: [(&'static str, String, String); 5] = [
        ("the vbpsim version", old.version, now.version),
        ("the scenario (SHA-256 of its text)", old.scenario_sha256, now.scenario_sha256),
        ("the seed", old.seed.to_string(), now.seed.to_string()),
        ("patients", old.patients.to_string(), now.patients.to_string()),
        ("samples", old.samples.to_string(), now.samples.to_string()),
    ];
    for (field, found, expected) in checks {
        if found != expected {
            return Err(CheckpointError::Mismatch { path: shown, field, found, expected });
        }
    }
    let lines = std::fs::read_to_string(dir.join(SAMPLES_FILE)).unwrap_or_default();
    // Stop at the first line that does not read: the one a kill cut short.
    Ok(lines.lines().map_while(|l| serde_json::from_str::<PsaSample>(l).ok()).collect())
}
