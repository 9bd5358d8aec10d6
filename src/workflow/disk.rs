//! The disk guard: the space a command's outputs will take, estimated before it simulates and
//! compared with the space free where they go, so that a run does not spend hours to fail on
//! a full disk (or leave a checkpoint cut short).
//!
//! What grows with a run is its PSA: per sample, the rows of psa.csv (one per arm; written up
//! to [`PSA_TABLE_MOST_SAMPLES`] samples or when asked for) and parameters.csv, a point per arm
//! on the CE plane (in ce_plane.svg and again in report.html, which embeds it; at most
//! [`CE_PLANE_MOST_SAMPLES`] samples are drawn), and the sample's line in a shard's
//! samples.jsonl or a checkpoint's samples.jsonl.gz. These are measured by writing one sample
//! shaped like the model's (its arms, cost categories, thresholds, uncertain parameters and
//! budget years) with the writers themselves, every number [`TYPICAL`]; a checkpoint's line is
//! counted at a [`CHECKPOINT_COMPRESSION`]th of its plain size. Everything else (the other
//! tables, the plots, run.json and the rest of the report) is at most [`FIXED_BYTES`]. The
//! estimate is then taken with a margin: [`MARGIN`] times the measured bytes, plus
//! [`FIXED_BYTES`].
//!
//! The free space is what `statvfs` reports available to this user on the file system that
//! will hold the output folder (that of its nearest existing ancestor), on any file system:
//! tmpfs, network and quota'd disks included.

use crate::analysis::cea::Estimate;
use crate::analysis::psa::{PsaSample, SampleArm};
use crate::analysis::results::PSA_TABLE_MOST_SAMPLES;
use crate::model::Model;
use crate::output::CE_PLANE_MOST_SAMPLES;
use crate::output::psa_tables;
use crate::workflow::guard::bytes;
use crate::workflow::sample_lines::{self, RunIdentity};
use std::path::{Path, PathBuf};

/// A number as the outputs print most of them: 17 significant digits (the shortest form that
/// reads back as the same double, for most values) with a sign and six whole digits.
pub const TYPICAL: f64 = -123_456.789_012_345_67;

/// Bytes of one point on the CE plane's SVG: plotters writes
/// `<circle cx="527" cy="247" r="2" opacity="0.6" fill="#0072B2" stroke="none" stroke-width="1"/>`
/// and a line break (96 bytes), with room for wider coordinates.
pub const CE_POINT_BYTES: u64 = 100;

/// Everything that does not grow with the PSA: the other tables, the plots (a PNG of 900 × 560
/// pixels compresses to about 200 KB), run.json and report.html without the CE plane's points.
/// The largest such folder of the bundled scenarios takes 1.4 MB; this is six times that.
pub const FIXED_BYTES: u64 = 8 << 20;

/// The measured bytes are multiplied by this: numbers wider than [`TYPICAL`] (a value below
/// 10^-4 prints every leading zero), a scenario's long names, the file system's blocks.
pub const MARGIN: f64 = 1.5;

/// A checkpoint's lines are gzip compressed: about 7 times smaller than the plain lines (488
/// against 3,388 bytes a sample of the default scenario; see the Performance chapter), which
/// share many numbers between arms; counted, with room to spare, as this many times smaller.
pub const CHECKPOINT_COMPRESSION: u64 = 4;

/// A table's writer, to memory.
type Writer<'m> = dyn Fn(&mut Vec<u8>, &[PsaSample]) -> csv::Result<()> + 'm;

/// The bytes one PSA sample adds to each file that grows with the PSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleBytes {
    /// Its rows of psa.csv.
    pub psa_rows: u64,
    /// Its row of parameters.csv.
    pub parameters: u64,
    /// Its points on the CE plane, in ce_plane.svg and in report.html.
    pub points: u64,
    /// Its plain line in samples.jsonl.
    pub line: u64,
}

impl SampleBytes {
    /// Measured with the writers on one sample shaped like `model`'s.
    pub fn of(model: &Model) -> Self {
        let sample = typical_sample(model);
        let one = std::slice::from_ref(&sample);
        let grows = |write: &Writer| {
            let (mut with, mut without) = (Vec::new(), Vec::new());
            let measured = write(&mut with, one).and_then(|()| write(&mut without, &[]));
            // Writing to memory cannot fail; if it did, count the sample as the whole file.
            measured.map_or(with.len(), |()| with.len().saturating_sub(without.len())) as u64
        };
        let arms = model.arms();
        let psa_rows = grows(&|w, s| psa_tables::write_psa(w, model, &arms, s));
        let parameters = grows(&|w, s| psa_tables::write_parameters(w, model, s));
        let points = 2 * CE_POINT_BYTES * sample.arms.len() as u64;
        let run = RunIdentity {
            version: env!("CARGO_PKG_VERSION").into(),
            scenario_sha256: "0".repeat(64),
            seed: u64::MAX,
            patients: u64::MAX,
            samples: u64::MAX,
        };
        let line = sample_lines::encode(&run, &sample).len() as u64;
        SampleBytes { psa_rows, parameters, points, line }
    }
}

/// What a command writes that grows with the PSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Writes {
    /// PSA samples in the output folder.
    pub samples: u64,
    /// Whether psa.csv is asked for whatever the samples (`--psa-csv`).
    pub psa_csv: bool,
    /// Lines of a checkpoint kept beside the folder until it is in place.
    pub checkpoint: u64,
    /// Lines of a shard's samples.jsonl.
    pub shard: u64,
    /// Bytes of the scenario's text (every layer), which a shard's run.json records.
    pub scenario_text: u64,
}

impl Writes {
    /// Whether anything written grows with the PSA samples.
    pub fn grows(&self) -> bool {
        self.samples + self.checkpoint + self.shard > 0
    }
}

/// A shard's folder besides its lines: run.json without the scenario's text.
pub const SHARD_FIXED_BYTES: u64 = 64 << 10;

/// What a command will write, in bytes, with the margin.
pub fn estimate(per_sample: SampleBytes, writes: Writes) -> u128 {
    let n = writes.samples as u128;
    let psa_table = writes.psa_csv || writes.samples <= PSA_TABLE_MOST_SAMPLES as u64;
    let drawn = writes.samples.min(CE_PLANE_MOST_SAMPLES as u64) as u128;
    let folder = per_sample.parameters as u128 * n
        + if psa_table { per_sample.psa_rows as u128 * n } else { 0 }
        + per_sample.points as u128 * drawn;
    let line = per_sample.line as u128;
    let lines = line * writes.shard as u128
        + line.div_ceil(CHECKPOINT_COMPRESSION as u128) * writes.checkpoint as u128;
    // A shard's folder holds run.json (with the scenario's text, its characters escaped at
    // most twice as long) and samples.jsonl; any other folder its tables, plots and report.
    let fixed = if writes.shard > 0 {
        SHARD_FIXED_BYTES as u128 + 2 * writes.scenario_text as u128
    } else {
        FIXED_BYTES as u128
    };
    ((folder + lines) as f64 * MARGIN).ceil() as u128 + fixed
}

/// One PSA sample of `model`'s shape, every number [`TYPICAL`].
fn typical_sample(model: &Model) -> PsaSample {
    let estimate = Estimate { mean: TYPICAL, mcse: Some(TYPICAL) };
    let thresholds = model.meta.thresholds.len();
    let arm = SampleArm {
        categories: vec![TYPICAL; model.categories().len()],
        cost: estimate,
        qaly: estimate,
        ly: estimate,
        ly_undiscounted: TYPICAL,
        inc_cost: estimate,
        inc_qaly: estimate,
        inc_nmb: vec![estimate; thresholds],
    };
    let arms = vec![arm; model.arms().len()];
    let uncertain = model.parameters.iter().filter(|p| p.is_uncertain()).count();
    let budget = model.budget.as_ref().map_or(0, |b| b.years * (arms.len() + 1));
    let levels = model.subgroups.iter().map(|s| s.levels.len()).sum();
    PsaSample {
        sample: u64::from(u32::MAX),
        values: vec![TYPICAL; uncertain],
        arms,
        budget: vec![(TYPICAL, TYPICAL); budget],
        subgroups: vec![Some(vec![(TYPICAL, TYPICAL); model.arms().len()]); levels],
        contracts: vec![
            crate::analysis::contracts::SampleContract::from_numbers([TYPICAL; 10]);
            model.settlements().len()
        ],
    }
}

/// The bytes available to this user on the file system of `path`, or of its nearest existing
/// ancestor (the folder a new output folder will be made in), with that ancestor; `None` if
/// the system does not say (a file system of no size: /proc, some FUSE mounts).
pub fn free_space(path: &Path) -> Option<(u128, PathBuf)> {
    let absolute = std::path::absolute(path).ok()?;
    let existing = absolute.ancestors().find(|a| std::fs::symlink_metadata(a).is_ok())?;
    let c = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(existing.as_os_str()))
        .ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a NUL-terminated path and `stat` a buffer of the size statvfs fills.
    let ok = unsafe { libc::statvfs(c.as_ptr(), stat.as_mut_ptr()) } == 0;
    if !ok {
        return None;
    }
    // SAFETY: statvfs succeeded, so it filled `stat`.
    let stat = unsafe { stat.assume_init() };
    if stat.f_blocks == 0 {
        // A file system that reports no size at all (/proc, some FUSE mounts) says nothing.
        return None;
    }
    let free = stat.f_bavail as u128 * stat.f_frsize as u128;
    Some((free, existing.to_path_buf()))
}

/// Outputs that would not fit on their disk.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error(
    "{what} would write about {} (estimated, with a margin), more than the {} free on the disk of {}",
    bytes(*need),
    bytes(*free),
    place.display()
)]
pub struct NoSpace {
    pub what: String,
    pub need: u128,
    pub free: u128,
    /// The existing folder whose disk was asked.
    pub place: PathBuf,
}

impl NoSpace {
    pub const HELP: &'static str = "free space on that disk, choose another --out, or lower --samples (the PSA's rows take most of it)";
    /// For a command whose outputs do not grow with PSA samples.
    pub const HELP_FIXED: &'static str = "free space on that disk, or choose another --out";
}

/// Refuse outputs of `need` bytes (an [`estimate`]) where `free` bytes are free (`None`:
/// unknown, not refused).
pub fn check(what: &str, need: u128, free: Option<(u128, PathBuf)>) -> Result<(), NoSpace> {
    match free {
        Some((free, place)) if need > free => {
            Err(NoSpace { what: what.to_string(), need, free, place })
        }
        _ => Ok(()),
    }
}

/// Refuse outputs of `need` bytes for `target` (an output folder) if its disk has less free.
pub fn check_target(what: &str, need: u128, target: &Path) -> Result<(), NoSpace> {
    check(what, need, free_space(target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_larger_than_the_free_space_are_refused() {
        let place = PathBuf::from("/data");
        assert_eq!(check("this run", 10 << 20, Some((11 << 20, place.clone()))), Ok(()));
        assert_eq!(check("this run", 10 << 20, None), Ok(()));
        let e = check("this run", 3 << 30, Some((1 << 30, place.clone()))).unwrap_err();
        assert_eq!(e, NoSpace { what: "this run".into(), need: 3 << 30, free: 1 << 30, place });
        assert_eq!(
            e.to_string(),
            "this run would write about 3.0 GiB (estimated, with a margin), more than the 1.0 GiB free on the disk of /data"
        );
    }

    #[test]
    fn free_space_is_asked_of_the_nearest_existing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (free, place) = free_space(&dir.path().join("not/yet/made")).unwrap();
        assert_eq!(place, std::path::absolute(dir.path()).unwrap());
        assert!(free > 0);
        // A file system without a size (/proc) says nothing: the write itself will fail.
        assert_eq!(free_space(Path::new("/proc/new_folder")), None);
    }

    #[test]
    fn a_sample_measures_as_its_rows_and_line() {
        let s = crate::scenario::default_scenario().unwrap();
        let bytes = SampleBytes::of(&s.model);
        let arms = s.model.arms().len() as u64;
        // A psa.csv row holds 7 fields and the cost categories, most of them TYPICAL (19
        // characters and a comma).
        let row = 20 * (4 + s.model.categories().len() as u64);
        assert!(bytes.psa_rows > arms * row && bytes.psa_rows < arms * 2 * row, "{bytes:?}");
        assert_eq!(bytes.points, arms * 2 * CE_POINT_BYTES);
        // The line holds every arm's categories and estimates, the parameters' values, the
        // budget's pairs and every contract row's ten sums, TYPICAL each (18 characters and a
        // comma), and its tag.
        let m = &s.model;
        let per_arm = m.categories().len() + 5 + 5 + 2 * m.meta.thresholds.len();
        let uncertain = m.parameters.iter().filter(|p| p.is_uncertain()).count();
        let budget = m.budget.as_ref().map_or(0, |b| b.years * (m.arms().len() + 1));
        let contracts = 10 * m.settlements().len();
        let numbers = (arms as usize * per_arm + uncertain + 2 * budget + contracts) as u64;
        assert!(bytes.line > 19 * numbers, "{bytes:?}, {numbers} numbers");
        assert!(bytes.line < 22 * numbers + 200, "{bytes:?}, {numbers} numbers");
        assert_eq!(estimate(bytes, Writes::default()), FIXED_BYTES as u128);
    }

    #[test]
    fn the_estimate_counts_what_is_written_at_each_size() {
        let bytes = SampleBytes { psa_rows: 1000, parameters: 100, points: 10, line: 2000 };
        let with_margin = |b: u128| (b as f64 * MARGIN).ceil() as u128 + FIXED_BYTES as u128;
        let writes = |samples| Writes { samples, ..Writes::default() };
        // Up to the CE plane's cap every sample is drawn.
        assert_eq!(estimate(bytes, writes(1000)), with_margin(1000 * 1110));
        // Above it, 2,000 are drawn.
        assert_eq!(estimate(bytes, writes(50_000)), with_margin(50_000 * 1100 + 2000 * 10));
        // Above 100,000 samples psa.csv is left out, unless asked for.
        let many = 200_000;
        assert_eq!(estimate(bytes, writes(many)), with_margin(many as u128 * 100 + 2000 * 10));
        let asked = Writes { psa_csv: true, ..writes(many) };
        assert_eq!(estimate(bytes, asked), with_margin(many as u128 * 1100 + 2000 * 10));
        // A shard's lines are plain; a checkpoint's compressed.
        let shard = Writes { shard: 10, scenario_text: 1000, ..Writes::default() };
        // Its folder: run.json, with the scenario's text escaped at most twice as long.
        let shard_folder = SHARD_FIXED_BYTES as u128 + 2 * 1000;
        assert_eq!(
            estimate(bytes, shard),
            with_margin(10 * 2000) - FIXED_BYTES as u128 + shard_folder
        );
        let checkpoint = Writes { checkpoint: 10, ..Writes::default() };
        assert_eq!(
            estimate(bytes, checkpoint),
            with_margin(10 * 2000 / CHECKPOINT_COMPRESSION as u128)
        );
    }
}
