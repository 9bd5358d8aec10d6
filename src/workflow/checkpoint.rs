//! Checkpoints of a PSA in progress, so that an interrupted run resumes where it stopped
//! (`vbpsim run --resume`).
//!
//! While a run with PSA samples works, every finished sample is recorded in a hidden folder
//! beside the output folder, `.<name>.resume/`: run.json says which run it is and marks the
//! folder as vbpsim's checkpoint (`"tool": "vbpsim"`, `"kind": "psa_checkpoint"`), and
//! samples.jsonl.gz holds one line per sample in the format of [`super::sample_lines`]
//! (compact, tagged with the run), compressed as one gzip stream that is flushed after every
//! line (at its fastest level): about 7 times smaller than the lines themselves, since a
//! sample's arms repeat each other's numbers, and 13 times smaller than the checkpoints of
//! earlier versions (488 against 6,559 bytes per sample of the default scenario with one
//! patient; see the Performance chapter). Each line is handed to the operating system as it
//! is written (not synced to disk: a killed process loses nothing, a machine that loses power
//! may lose the last lines). A run killed at any moment leaves a stream cut short; its last,
//! incomplete line is dropped on reading.
//!
//! The resumed run checks that the checkpoint is of the same run (vbpsim version, scenario
//! text, seed, patients, samples; otherwise it refuses), and then each line: one whose tag
//! does not match (copied from another run, or edited), that does not read, or that has
//! another shape or a number that is not finite is never used; its sample is simulated again
//! and the run says so (a damaged line costs time, not a wrong result). It simulates only the
//! missing samples and the base case, and writes what the uninterrupted run would have
//! written; the checkpoint is removed once the output folder is in place.
//!
//! A folder at that path is a checkpoint only if its run.json carries the marker and it holds
//! nothing but a checkpoint's files, or if it holds nothing but the temporary files a
//! checkpoint is made from (a run killed while creating one). Anything else is the user's:
//! never written into, never removed. The marker is written before the samples, so that a run
//! killed while creating a checkpoint never leaves a folder the next run takes for foreign.

use super::sample_lines::{self, LineError, RunIdentity, Shape};
use crate::analysis::psa::PsaSample;
use crate::workflow::shard::{Manifest, ShardRun};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const KIND: &str = "psa_checkpoint";
const MANIFEST: &str = "run.json";
const SAMPLES_FILE: &str = "samples.jsonl.gz";
/// A checkpoint's files: its own, and the plain samples file of earlier versions of vbpsim.
const FILES: &[&str] = &[MANIFEST, SAMPLES_FILE, "samples.jsonl"];
/// Files written whole under these names, then renamed into place.
const TEMPORARY: &[&str] = &["run.json.tmp", "samples.jsonl.gz.tmp", "samples.jsonl.tmp"];

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
        "{path} is in the way of the run's checkpoint: it is not a checkpoint vbpsim wrote (no run.json marking it as one, or files vbpsim did not write)\n  = help: move it away, or choose another --out"
    )]
    Foreign { path: String },
}

/// What is at a checkpoint's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    Absent,
    /// An empty folder: used, but kept when the checkpoint is removed (it may be the user's).
    Empty,
    /// A folder holding only a checkpoint's temporary files.
    Unmarked,
    /// A checkpoint: run.json with the marker, and only a checkpoint's files.
    Marked,
    /// Anything else: the user's.
    Foreign,
}

/// What is at `dir` (never following a symbolic link).
fn inspect(dir: &Path) -> Found {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Found::Absent,
        Err(_) => return Found::Foreign,
    };
    let Ok(entries) = std::fs::read_dir(dir).map_err(|_| ()).and_then(|entries| {
        entries
            .map(|e| {
                let e = e.map_err(|_| ())?;
                let name = e.file_name().to_string_lossy().into_owned();
                Ok((name, e.file_type().is_ok_and(|t| t.is_file())))
            })
            .collect::<Result<Vec<_>, ()>>()
    }) else {
        return Found::Foreign;
    };
    if !meta.is_dir() {
        return Found::Foreign;
    }
    let known = |n: &str| FILES.contains(&n) || TEMPORARY.contains(&n);
    if entries.iter().any(|(name, file)| !file || !known(name)) {
        return Found::Foreign;
    }
    if entries.is_empty() {
        return Found::Empty;
    }
    if !entries.iter().any(|(name, _)| name == MANIFEST) {
        return if entries.iter().all(|(name, _)| TEMPORARY.contains(&name.as_str())) {
            Found::Unmarked
        } else {
            Found::Foreign
        };
    }
    let text = std::fs::read_to_string(dir.join(MANIFEST)).unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let field = |key: &str| value.get(key).and_then(|v| v.as_str());
    if field("tool") == Some("vbpsim") && field("kind") == Some(KIND) {
        Found::Marked
    } else {
        Found::Foreign
    }
}

/// The hidden checkpoint folder of an output folder, `.<name>.resume` beside it (a long name
/// shortened as the output folder's other hidden names are, see
/// [`crate::output::folder::hidden`]).
pub fn folder(target: &Path) -> PathBuf {
    crate::output::folder::hidden(target, "resume")
}

/// The samples file being appended to: lines are compressed into `gzip` and its output
/// written to `file` after each line (so that a failed write leaves the stream cut, never
/// patched).
struct Samples {
    file: std::fs::File,
    gzip: flate2::write::GzEncoder<Vec<u8>>,
}

impl Samples {
    fn new(file: std::fs::File) -> Self {
        Samples {
            file,
            gzip: flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()),
        }
    }

    /// Compress `lines` and hand them to the operating system.
    fn append(&mut self, lines: &[u8]) -> std::io::Result<()> {
        self.gzip.write_all(lines)?;
        // A sync flush: everything so far can be decompressed from the file alone.
        self.gzip.flush()?;
        let compressed = std::mem::take(self.gzip.get_mut());
        self.file.write_all(&compressed)
    }
}

/// A checkpoint being written.
pub struct Checkpoint {
    dir: PathBuf,
    run: RunIdentity,
    /// `None` after a write failed (the checkpoint then stops growing, so that a cut line is
    /// its last).
    samples: Mutex<Option<Samples>>,
    /// Complete samples it holds (those resumed and those recorded since).
    held: std::sync::atomic::AtomicUsize,
    /// Whether its folder stays when it is removed (an empty folder was there before it).
    keep_folder: bool,
}

/// The lines of a checkpoint that could not be used.
#[derive(Debug, PartialEq)]
pub struct Dropped {
    /// The samples file.
    pub path: String,
    /// How many lines.
    pub lines: usize,
    /// The first one (from 1) and what was wrong with it.
    pub first: usize,
    pub why: LineError,
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, path, first, why) = (self.lines, &self.path, self.first, &self.why);
        let lines = if n == 1 { "1 line".to_string() } else { format!("{n} lines") };
        write!(f, "{lines} of {path} not used, their samples simulated again: line {first}: {why}")
    }
}

/// What opening a checkpoint found.
pub struct Opened {
    pub checkpoint: Checkpoint,
    /// Samples of the interrupted run (empty unless resuming).
    pub done: Vec<PsaSample>,
    /// Lines of the interrupted run that could not be used (`None`: every complete line was).
    pub dropped: Option<Dropped>,
    /// Whether a checkpoint was there (resumed, or replaced without --resume).
    pub found: bool,
}

impl Checkpoint {
    /// Open the checkpoint of `run` for output folder `target`: with `resume`, keep the
    /// samples of the interrupted run if it is the same run (an error otherwise); without,
    /// start a new one. A folder that is not a checkpoint is refused and left as it is.
    pub fn open(
        target: &Path,
        run: &ShardRun<'_>,
        resume: bool,
    ) -> Result<Opened, CheckpointError> {
        let dir = folder(target);
        let shown = dir.display().to_string();
        let seen = inspect(&dir);
        let found = match seen {
            Found::Foreign => return Err(CheckpointError::Foreign { path: shown }),
            Found::Marked => true,
            Found::Absent | Found::Empty | Found::Unmarked => false,
        };
        let existed = dir.exists();
        let opened = Self::create(dir, run, resume, found);
        if let Err(CheckpointError::Write { .. }) = &opened
            && !existed
        {
            // A disk that refused the new checkpoint is left as it was (no stub folder).
            remove(&folder(target), false);
        }
        // An empty folder found there is left in place when the checkpoint goes.
        opened.map(|mut o| {
            o.checkpoint.keep_folder = seen == Found::Empty;
            o
        })
    }

    fn create(
        dir: PathBuf,
        run: &ShardRun<'_>,
        resume: bool,
        found: bool,
    ) -> Result<Opened, CheckpointError> {
        let shown = dir.display().to_string();
        let write_err = |source| CheckpointError::Write { path: shown.clone(), source };
        let (done, dropped) = if resume && found { read(&dir, run)? } else { (Vec::new(), None) };
        std::fs::create_dir_all(&dir).map_err(write_err)?;
        if !(resume && found) {
            // Another run's samples go before this run's marker is written.
            for f in FILES.iter().chain(TEMPORARY).filter(|f| **f != MANIFEST) {
                match std::fs::remove_file(dir.join(f)) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(write_err(e)),
                    _ => {}
                }
            }
        }
        // The marker first: from here on the folder is a checkpoint, whatever happens next.
        let manifest = Manifest::new(run, KIND, 0, 0.0);
        let json = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
        let tmp = dir.join("run.json.tmp");
        std::fs::write(&tmp, json).map_err(write_err)?;
        std::fs::rename(&tmp, dir.join(MANIFEST)).map_err(write_err)?;
        // The samples kept, rewritten whole (without a line a kill cut or a line not used),
        // then appended to.
        let identity = run.identity();
        let tmp = dir.join("samples.jsonl.gz.tmp");
        let mut samples = Samples::new(std::fs::File::create(&tmp).map_err(write_err)?);
        let lines: String = done.iter().map(|s| sample_lines::encode(&identity, s)).collect();
        samples.append(lines.as_bytes()).map_err(write_err)?;
        std::fs::rename(&tmp, dir.join(SAMPLES_FILE)).map_err(write_err)?;
        let held = done.len().into();
        let checkpoint = Checkpoint {
            dir,
            run: identity,
            samples: Mutex::new(Some(samples)),
            held,
            keep_folder: false,
        };
        Ok(Opened { checkpoint, done, dropped, found })
    }

    /// Append a finished sample. A failure to write (a full disk) is not fatal to the run: the
    /// checkpoint stops there, and a resumed run drops the cut line.
    pub fn record(&self, sample: &PsaSample) {
        let line = sample_lines::encode(&self.run, sample);
        if let Ok(mut guard) = self.samples.lock()
            && let Some(samples) = guard.as_mut()
        {
            if samples.append(line.as_bytes()).is_ok() {
                self.held.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            } else {
                *guard = None;
            }
        }
    }

    /// The samples it holds: complete lines, those resumed included.
    pub fn held(&self) -> usize {
        self.held.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The run's outputs are in place: the checkpoint is no longer needed. Only its own files
    /// are removed, then the folder if that left it empty.
    pub fn finish(self) {
        drop(self.samples);
        remove(&self.dir, self.keep_folder);
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

/// Remove a checkpoint's own files, then its folder if that left it empty (unless it is to be
/// kept).
fn remove(dir: &Path, keep_folder: bool) {
    for f in FILES.iter().chain(TEMPORARY) {
        let _ = std::fs::remove_file(dir.join(f));
    }
    if !keep_folder {
        let _ = std::fs::remove_dir(dir);
    }
}

/// The samples of an interrupted run, if it is `run`, and the lines not used.
fn read(
    dir: &Path,
    run: &ShardRun<'_>,
) -> Result<(Vec<PsaSample>, Option<Dropped>), CheckpointError> {
    let shown = dir.display().to_string();
    let malformed = |message: String| CheckpointError::Malformed { path: shown.clone(), message };
    let text = std::fs::read_to_string(dir.join(MANIFEST)).map_err(|e| malformed(e.to_string()))?;
    let old: Manifest = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
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
    let path = dir.join(SAMPLES_FILE);
    let identity = run.identity();
    let shape = Shape::of(&run.scenario.model);
    let (mut done, mut dropped) = (Vec::new(), None::<Dropped>);
    for (i, line) in complete_lines(&path).enumerate() {
        let sample = std::str::from_utf8(&line)
            .map_err(|_| LineError::Unreadable("not UTF-8".into()))
            .and_then(|text| sample_lines::decode(&identity, text))
            .and_then(|s| shape.check(&s).map(|()| s));
        match (sample, &mut dropped) {
            (Ok(s), _) => done.push(s),
            (Err(_), Some(d)) => d.lines += 1,
            (Err(why), None) => {
                let path = path.display().to_string();
                dropped = Some(Dropped { path, lines: 1, first: i + 1, why });
            }
        }
    }
    Ok((done, dropped))
}

/// The complete lines of a samples file, without their newlines. The gzip stream ends, or
/// breaks off where a kill cut it, after the last; a line without its newline is the one a
/// kill cut, and is not among them.
fn complete_lines(path: &Path) -> impl Iterator<Item = Vec<u8>> {
    let mut reader = std::fs::File::open(path).ok().map(|file| {
        let gzip = flate2::bufread::MultiGzDecoder::new(std::io::BufReader::new(file));
        std::io::BufReader::new(gzip)
    });
    std::iter::from_fn(move || {
        let mut line = Vec::new();
        match reader.as_mut()?.read_until(b'\n', &mut line) {
            Ok(_) if line.pop() == Some(b'\n') => Some(line),
            _ => {
                reader = None;
                None
            }
        }
    })
}

/// The complete lines of the samples file of the checkpoint folder `dir` (what a resumed run
/// reads, before it checks them): how far a running or killed run got.
pub fn lines(dir: &Path) -> Vec<String> {
    complete_lines(&dir.join(SAMPLES_FILE))
        .map(|line| String::from_utf8_lossy(&line).into_owned())
        .collect()
}

/// The samples file of the checkpoint folder `dir`.
pub fn samples_file(dir: &Path) -> PathBuf {
    dir.join(SAMPLES_FILE)
}
