//! Sharded PSA runs: `run --shard K/N` simulates one block of the PSA samples and writes a
//! partial folder; `merge` checks that the partial folders belong together, simulates the
//! base case, and writes the same output folder as one run on one machine.
//!
//! Every PSA sample is simulated from its own random-number streams (seeded by sample number),
//! so where a sample runs does not change it. A partial folder carries what the merge needs
//! to redo the rest without the user's files: the scenario's text (every layer), the run's
//! sizes and seed (run.json), and each sample's results, one line of samples.jsonl per sample
//! in the format of [`super::sample_lines`]: compact, its numbers exact, and tagged with the
//! run it belongs to, so that a line copied from another run or edited is refused.

use super::sample_lines::{self, RunIdentity, Shape};
use crate::analysis::psa::PsaSample;
use crate::scenario::{LoadError, Scenario, Source};
use crate::workflow::run::shard_samples;
use serde::{Deserialize, Serialize};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Most shards a run may be split into (a guard on hand-edited partial folders too).
pub const MAX_SHARDS: u64 = 100_000;

/// Marks a partial folder's run.json.
const KIND: &str = crate::output::folder::Kind::SHARD;
const SAMPLES_FILE: &str = "samples.jsonl";

/// Why partial folders cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not a shard folder of vbpsim (written by `vbpsim run --shard K/N`)")]
    NotShard { path: String },
    #[error("{path}: {message}")]
    Malformed { path: String, message: String },
    #[error("line {line} of {path}: {problem}")]
    Line { path: String, line: usize, problem: String },
    #[error(
        "{a} and {b} do not belong to one run: {field} is {a_value} in the first and {b_value} in the second"
    )]
    Mismatch { field: &'static str, a: String, a_value: String, b: String, b_value: String },
    #[error("missing shard{} {} of {n}: merge needs every shard 1…{n}", if missing.len() == 1 { "" } else { "s" }, list(missing))]
    Missing { missing: Vec<u64>, n: u64 },
    #[error("shard {k} of {n} is given twice: {first} and {second}")]
    Duplicate { k: u64, n: u64, first: String, second: String },
    #[error("the scenario stored in {path} no longer compiles with this vbpsim:\n{source}")]
    Scenario { path: String, source: LoadError },
    #[error("nothing to merge: give the shard folders")]
    Empty,
    #[error("--out {path} is one of the shard folders being merged")]
    OutIsShard { path: String },
}

impl MergeError {
    /// What the user can do about it, where the message does not say.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            MergeError::OutIsShard { .. } => Some("choose another output folder"),
            MergeError::Line { .. } => Some(
                "merge takes shard folders as `vbpsim run --shard K/N` wrote them; run that shard again",
            ),
            _ => None,
        }
    }
}

/// A shard of a run without PSA samples (exit code 2).
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("--shard {k}/{n} splits the PSA samples, but {file} has none (samples = 0)")]
pub struct NoSamples {
    pub k: u64,
    pub n: u64,
    pub file: String,
}

impl NoSamples {
    pub const HELP: &'static str = "give --samples S, or run without --shard";
}

/// The PSA samples of shard `k` of `n` of a run of `samples` samples of `scenario`.
pub fn block(
    scenario: &Scenario,
    samples: u64,
    (k, n): (u64, u64),
) -> Result<std::ops::Range<u64>, NoSamples> {
    if samples == 0 {
        return Err(NoSamples { k, n, file: scenario.source.name.clone() });
    }
    Ok(shard_samples(samples, k, n))
}

/// Refuse to merge into one of the shard folders being merged.
pub fn check_out(dirs: &[PathBuf], out: &Path) -> Result<(), MergeError> {
    if let Ok(t) = std::fs::canonicalize(out)
        && dirs.iter().any(|d| std::fs::canonicalize(d).is_ok_and(|d| d == t))
    {
        return Err(MergeError::OutIsShard { path: out.display().to_string() });
    }
    Ok(())
}

/// The first numbers of a list, and how many more.
fn list(numbers: &[u64]) -> String {
    const SHOWN: usize = 20;
    let head: Vec<String> = numbers.iter().take(SHOWN).map(u64::to_string).collect();
    match numbers.len().saturating_sub(SHOWN) {
        0 => head.join(", "),
        more => format!("{}, … ({more} more)", head.join(", ")),
    }
}

/// One layer of the scenario's text, as stored in a shard.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct Layer {
    name: String,
    text: String,
}

/// run.json of a partial folder.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) tool: String,
    pub(crate) version: String,
    pub(crate) kind: String,
    pub(crate) scenario: String,
    pub(crate) scenario_file: String,
    pub(crate) scenario_sha256: String,
    /// Index of the layer the user named (earlier ones are bases, later ones `--set`s).
    pub(crate) main_layer: usize,
    pub(crate) layers: Vec<Layer>,
    pub(crate) seed: u64,
    pub(crate) patients: u64,
    pub(crate) samples: u64,
    pub(crate) shard: u64,
    pub(crate) shards: u64,
    pub(crate) first_sample: u64,
    pub(crate) last_sample: u64,
    pub(crate) threads: usize,
    pub(crate) wall_seconds: f64,
}

impl Manifest {
    /// The manifest of `run` (a shard, or with `kind` a checkpoint of a whole run).
    pub(crate) fn new(run: &ShardRun<'_>, kind: &str, threads: usize, wall_seconds: f64) -> Self {
        let source = &run.scenario.source;
        let block = shard_samples(run.samples, run.shard.0, run.shard.1);
        Manifest {
            tool: "vbpsim".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            kind: kind.into(),
            scenario: run.scenario.model.meta.name.clone(),
            scenario_file: source.name.clone(),
            scenario_sha256: run.scenario.sha256(),
            main_layer: source.main_index(),
            layers: source
                .layers()
                .map(|(name, range)| Layer {
                    name: name.to_string(),
                    text: source.text[range].to_string(),
                })
                .collect(),
            seed: run.seed,
            patients: run.patients,
            samples: run.samples,
            shard: run.shard.0,
            shards: run.shard.1,
            first_sample: block.start,
            last_sample: block.end.saturating_sub(1),
            threads,
            wall_seconds,
        }
    }
}

impl Manifest {
    /// The run its samples belong to.
    pub(crate) fn identity(&self) -> RunIdentity {
        RunIdentity {
            version: self.version.clone(),
            scenario_sha256: self.scenario_sha256.clone(),
            seed: self.seed,
            patients: self.patients,
            samples: self.samples,
        }
    }
}

/// The run a shard belongs to, from the user's command line.
pub struct ShardRun<'a> {
    pub scenario: &'a Scenario,
    pub seed: u64,
    pub patients: u64,
    pub samples: u64,
    pub shard: (u64, u64),
}

impl ShardRun<'_> {
    /// The kind of this shard's folder: the run it belongs to and its place in it, which make
    /// its samples (the same shard of the same run may replace its own folder).
    pub fn folder_kind(&self) -> crate::output::folder::Kind {
        crate::output::folder::Kind::Shard(crate::output::folder::ShardOf {
            scenario_sha256: self.scenario.sha256(),
            seed: self.seed,
            patients: self.patients,
            samples: self.samples,
            shard: self.shard.0,
            shards: self.shard.1,
        })
    }

    /// The run its samples belong to (whatever the shard).
    pub fn identity(&self) -> RunIdentity {
        RunIdentity {
            version: env!("CARGO_PKG_VERSION").into(),
            scenario_sha256: self.scenario.sha256(),
            seed: self.seed,
            patients: self.patients,
            samples: self.samples,
        }
    }
}

/// Write a shard's partial folder atomically: run.json (the run and the scenario's layers)
/// and samples.jsonl (one PSA sample per line, in sample order).
pub fn write_shard(
    run: &ShardRun<'_>,
    psa: &[PsaSample],
    (threads, wall_seconds): (usize, f64),
    target: &crate::output::folder::Target,
) -> Result<PathBuf, crate::workflow::run::RunError> {
    use crate::output::folder::{FolderError, Staging};
    let manifest = Manifest::new(run, KIND, threads, wall_seconds);
    let staging = Staging::new(target)?;
    let write = |name: &str, text: String| {
        std::fs::write(staging.file(name), text).map_err(|source| {
            crate::workflow::run::RunError::from(FolderError::Write {
                path: target.join(name).display().to_string(),
                source,
            })
        })
    };
    let identity = run.identity();
    let lines: String = psa.iter().map(|s| sample_lines::encode(&identity, s)).collect();
    write(SAMPLES_FILE, lines)?;
    write("run.json", serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n")?;
    Ok(staging.commit()?)
}

/// A shard folder's run.json read back and checked (its samples are read once the scenario
/// is known).
struct Shard {
    dir: PathBuf,
    shown: String,
    manifest: Manifest,
}

fn read_shard(dir: &Path) -> Result<Shard, MergeError> {
    let shown = dir.display().to_string();
    let json = dir.join("run.json");
    let text = std::fs::read_to_string(&json).map_err(|source| {
        if dir.is_dir() {
            MergeError::NotShard { path: shown.clone() }
        } else {
            MergeError::Read { path: shown.clone(), source }
        }
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| MergeError::NotShard { path: shown.clone() })?;
    if value.get("tool").and_then(|v| v.as_str()) != Some("vbpsim")
        || value.get("kind").and_then(|v| v.as_str()) != Some(KIND)
    {
        return Err(MergeError::NotShard { path: shown });
    }
    let malformed =
        |message: String| MergeError::Malformed { path: json.display().to_string(), message };
    let manifest: Manifest = serde_json::from_value(value).map_err(|e| malformed(e.to_string()))?;
    let (k, n) = (manifest.shard, manifest.shards);
    if !(1..=MAX_SHARDS).contains(&n) || !(1..=n).contains(&k) {
        return Err(malformed(format!("shard {k} of {n}: expected 1 ≤ K ≤ N ≤ {MAX_SHARDS}")));
    }
    if !(1..=crate::model::limits::MAX_PATIENTS).contains(&manifest.patients) {
        return Err(malformed(format!("patients = {}", manifest.patients)));
    }
    // Compared without collecting the block: a hand-edited sample count must not allocate.
    let block = shard_samples(manifest.samples, k, n);
    if manifest.first_sample != block.start
        || manifest.last_sample.checked_add(1) != Some(block.end)
    {
        return Err(malformed(format!(
            "shard {k} of {n} should hold samples {}–{}, its run.json says {}–{}",
            block.start,
            block.end.saturating_sub(1),
            manifest.first_sample,
            manifest.last_sample
        )));
    }
    Ok(Shard { dir: dir.to_path_buf(), shown, manifest })
}

/// A shard's samples: every line of its samples.jsonl tagged for its run, of the scenario's
/// shape, with finite numbers, and the block's samples in order, each once.
fn read_samples(shard: &Shard, shape: &Shape) -> Result<Vec<PsaSample>, MergeError> {
    let m = &shard.manifest;
    let path = shard.dir.join(SAMPLES_FILE);
    let shown = path.display().to_string();
    let read_err = |source| MergeError::Read { path: shown.clone(), source };
    let file = std::fs::File::open(&path).map_err(read_err)?;
    let block = shard_samples(m.samples, m.shard, m.shards);
    let size = block.end - block.start;
    let identity = m.identity();
    let mut samples = Vec::new();
    let wrong_count = |found: usize| MergeError::Malformed {
        path: shown.clone(),
        message: format!(
            "shard {} of {} should hold samples {}–{}, found {found} samples",
            m.shard,
            m.shards,
            block.start,
            block.end.saturating_sub(1)
        ),
    };
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(read_err)?;
        if i as u64 >= size {
            // Counted without reading on: a file of a billion lines must not fill the memory.
            return Err(wrong_count(i + 1));
        }
        let bad = |problem: String| MergeError::Line { path: shown.clone(), line: i + 1, problem };
        let s = sample_lines::decode(&identity, &line).map_err(|e| bad(e.to_string()))?;
        shape.check(&s).map_err(|e| bad(e.to_string()))?;
        let expected = block.start + i as u64;
        if s.sample != expected {
            return Err(bad(format!(
                "sample {}, expected sample {expected} (shard {} of {} holds samples {}–{} in order)",
                s.sample,
                m.shard,
                m.shards,
                block.start,
                block.end - 1
            )));
        }
        samples.push(s);
    }
    if samples.len() as u64 != size {
        return Err(wrong_count(samples.len()));
    }
    Ok(samples)
}

/// A run reassembled from its shards: the scenario, its sizes and seed, and every PSA sample
/// in order.
pub struct Merged {
    pub scenario: Scenario,
    pub seed: u64,
    pub patients: u64,
    pub psa: Vec<PsaSample>,
}

/// Read and check partial folders: one run (version, scenario, seed, sizes, shard count),
/// every shard exactly once, and every sample line tagged for that run, of the scenario's
/// shape, with finite numbers, in its place.
pub fn read_all(dirs: &[PathBuf]) -> Result<Merged, MergeError> {
    let shards = dirs.iter().map(|d| read_shard(d)).collect::<Result<Vec<_>, _>>()?;
    let Some(first) = shards.first() else { return Err(MergeError::Empty) };
    for s in &shards[1..] {
        let (a, b) = (&first.manifest, &s.manifest);
        let checks: [(&'static str, String, String); 6] = [
            ("the vbpsim version", a.version.clone(), b.version.clone()),
            (
                "the scenario (SHA-256 of its text)",
                a.scenario_sha256.clone(),
                b.scenario_sha256.clone(),
            ),
            ("the seed", a.seed.to_string(), b.seed.to_string()),
            ("patients", a.patients.to_string(), b.patients.to_string()),
            ("samples", a.samples.to_string(), b.samples.to_string()),
            ("the number of shards", a.shards.to_string(), b.shards.to_string()),
        ];
        for (field, a_value, b_value) in checks {
            if a_value != b_value {
                return Err(MergeError::Mismatch {
                    field,
                    a: first.shown.clone(),
                    a_value,
                    b: s.shown.clone(),
                    b_value,
                });
            }
        }
    }
    let n = first.manifest.shards;
    let mut by_number: Vec<Option<&Shard>> = vec![None; n as usize];
    for s in &shards {
        let slot = &mut by_number[(s.manifest.shard - 1) as usize];
        if let Some(previous) = slot {
            return Err(MergeError::Duplicate {
                k: s.manifest.shard,
                n,
                first: previous.shown.clone(),
                second: s.shown.clone(),
            });
        }
        *slot = Some(s);
    }
    let missing: Vec<u64> = by_number
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(k, _)| k as u64 + 1)
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing { missing, n });
    }
    if first.manifest.version != env!("CARGO_PKG_VERSION") {
        return Err(MergeError::Mismatch {
            field: "the vbpsim version",
            a: first.shown.clone(),
            a_value: first.manifest.version.clone(),
            b: "this vbpsim".into(),
            b_value: env!("CARGO_PKG_VERSION").into(),
        });
    }
    let m = &first.manifest;
    let layers = m.layers.iter().map(|l| (l.name.clone(), l.text.clone())).collect();
    let source = Source::layered(m.scenario_file.clone(), layers, m.main_layer);
    let scenario = crate::scenario::compile_source(source)
        .map_err(|source| MergeError::Scenario { path: first.shown.clone(), source })?;
    // The stored text (and a life table CSV it reads, read again now) must be the run's.
    if scenario.sha256() != m.scenario_sha256 {
        return Err(MergeError::Malformed {
            path: first.shown.clone(),
            message: "the stored scenario (or a CSV it reads: life table, utility norms, profiles) does not match its SHA-256"
                .into(),
        });
    }
    let (seed, patients) = (m.seed, m.patients);
    let shape = Shape::of(&scenario.model);
    let mut psa = Vec::new();
    for s in by_number.into_iter().flatten() {
        psa.extend(read_samples(s, &shape)?);
    }
    Ok(Merged { scenario, seed, patients, psa })
}
