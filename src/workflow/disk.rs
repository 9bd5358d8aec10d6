//! The disk guard: the space a command's outputs will take, estimated before it simulates and
//! compared with the space free where they go, so that a run does not spend hours to fail on
//! a full disk (or leave a checkpoint cut short).
//!
//! What grows with a run is its PSA: per sample, the rows of psa.csv (one per arm) and
//! parameters.csv, a point per arm on the CE plane (in ce_plane.svg and again in report.html,
//! which embeds it), and the sample's line in the checkpoint or shard file samples.jsonl. These
//! are measured by writing one sample shaped like the model's (its arms, cost categories,
//! thresholds, uncertain parameters and budget years) with the writers themselves, every
//! number [`TYPICAL`]. Everything else (the other tables, the plots, run.json and the rest of
//! the report) is at most [`FIXED_BYTES`]. The estimate is then taken with a margin:
//! [`MARGIN`] times the measured bytes, plus [`FIXED_BYTES`].
//!
//! The free space is what `statvfs` reports available to this user on the file system that
//! will hold the output folder (that of its nearest existing ancestor), on any file system:
//! tmpfs, network and quota'd disks included.

use crate::analysis::cea::{ArmSummary, Estimate, IcerStatus};
use crate::analysis::psa::PsaSample;
use crate::model::Model;
use crate::output::psa_tables;
use crate::workflow::guard::bytes;
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

/// A table's writer, to memory.
type Writer<'m> = dyn Fn(&mut Vec<u8>, &[PsaSample]) -> csv::Result<()> + 'm;

/// The bytes one PSA sample adds to each file that grows with the PSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleBytes {
    /// psa.csv, parameters.csv and the CE plane's points in ce_plane.svg and report.html.
    pub folder: u64,
    /// Its line in samples.jsonl (a checkpoint or a shard).
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
        let psa = grows(&|w, s| psa_tables::write_psa(w, model, s));
        let parameters = grows(&|w, s| psa_tables::write_parameters(w, model, s));
        let points = 2 * CE_POINT_BYTES * sample.arms.len() as u64;
        let line = serde_json::to_string(&sample).map_or(0, |l| l.len() as u64 + 1);
        SampleBytes { folder: psa + parameters + points, line }
    }
}

/// What a command will write, in bytes, with the margin: its output folder of `samples` PSA
/// samples, and `lines` lines of samples.jsonl (a checkpoint kept beside the folder until it is
/// in place, or a shard's file).
pub fn estimate(per_sample: SampleBytes, samples: u64, lines: u64) -> u128 {
    let grows =
        per_sample.folder as u128 * samples as u128 + per_sample.line as u128 * lines as u128;
    (grows as f64 * MARGIN).ceil() as u128 + FIXED_BYTES as u128
}

/// One PSA sample of `model`'s shape, every number [`TYPICAL`].
fn typical_sample(model: &Model) -> PsaSample {
    let estimate = Estimate { mean: TYPICAL, mcse: Some(TYPICAL) };
    let thresholds = model.meta.thresholds.len();
    let arms: Vec<ArmSummary> = model
        .arms()
        .iter()
        .map(|a| ArmSummary {
            strategy: a.strategy,
            contract: a.contract,
            categories: vec![TYPICAL; model.categories().len()],
            cost: estimate,
            qaly: estimate,
            ly: estimate,
            ly_undiscounted: estimate,
            inc_cost: estimate,
            inc_qaly: estimate,
            inc_ly: estimate,
            icer: Some(TYPICAL),
            icer_status: IcerStatus::Ratio,
            nmb: vec![estimate; thresholds],
            inc_nmb: vec![estimate; thresholds],
        })
        .collect();
    let uncertain = model.parameters.iter().filter(|p| p.is_uncertain()).count();
    let budget = model.budget.as_ref().map_or(0, |b| b.years * (arms.len() + 1));
    PsaSample {
        sample: u64::from(u32::MAX),
        values: vec![TYPICAL; uncertain],
        arms,
        budget: vec![(TYPICAL, TYPICAL); budget],
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
        assert!(bytes.folder > arms * (row + 2 * CE_POINT_BYTES), "{bytes:?}");
        assert!(bytes.folder < arms * (2 * row + 2 * CE_POINT_BYTES) + 1000, "{bytes:?}");
        // The JSON line names every field of every arm.
        assert!(bytes.line > arms * 20 * 30, "{bytes:?}");
        assert_eq!(estimate(bytes, 0, 0), FIXED_BYTES as u128);
        let need = estimate(bytes, 1000, 1000);
        let grows = 1000 * (bytes.folder + bytes.line) as u128;
        assert_eq!(need, grows * 3 / 2 + FIXED_BYTES as u128);
    }
}
