//! Output folders written whole or not at all, never in place of something vbpsim may not
//! replace.
//!
//! Files go to a hidden temporary folder beside the target, which is renamed into place only
//! when every file is complete. What stands at the target is judged without following links
//! ([`std::fs::symlink_metadata`]): a symbolic link, a device, a pipe, a socket or a mount
//! point is never replaced nor moved, with or without `--force`. An existing folder is
//! replaced only if vbpsim wrote it (its run.json says so), it holds nothing but vbpsim's
//! files, and it is of the kind the command writes ([`Kind`]: a run does not replace a
//! sensitivity analysis, and a shard is replaced only by itself); a run never deletes files it
//! did not write. With `--force` a regular folder or file that may not be replaced is moved
//! aside (renamed, never deleted) when the new one is complete. [`check_target`] also locks
//! the target ([`Lock`]), so that a second vbpsim writing it is refused at once.

mod kind;
mod lock;
mod place;

pub use kind::{Kind, ShardOf};
pub use lock::Lock;
use place::{Found, inspect, owned};

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Where an output folder goes, what it will hold, and whether a folder there that vbpsim may
/// not replace is moved aside (`--force`) instead of refusing. It dereferences to the folder's
/// path.
#[derive(Clone, Debug)]
pub struct Target {
    pub path: PathBuf,
    pub force: bool,
    pub kind: Kind,
}

impl Target {
    /// A target at `path` (trailing slashes and `.` components dropped, so that a link named
    /// `out/` is judged as the link, not the folder it points to).
    pub fn new(path: impl Into<PathBuf>, force: bool, kind: Kind) -> Self {
        let path: PathBuf = path.into();
        Target { path: path.components().collect(), force, kind }
    }

    /// True when committing will move an existing folder aside: vbpsim may not replace what
    /// stands there, it is a regular folder or file, and `--force` was given.
    pub fn displaces(&self) -> bool {
        matches!(judge(self), Ok(Verdict::MoveAside))
    }

    /// Where `--force` moves a folder vbpsim may not replace: `<name>.before-vbpsim-<pid>`
    /// beside it (unique per running process; a long name shortened as in [`hidden`]).
    pub fn aside(&self) -> PathBuf {
        aside_of(&self.path, &std::process::id().to_string())
    }
}

/// `<name>.before-vbpsim-<pid>` beside `path`.
fn aside_of(path: &Path, pid: &str) -> PathBuf {
    path.with_file_name(format!("{}.before-vbpsim-{pid}", short_name(path)))
}

impl AsRef<Path> for Target {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl std::ops::Deref for Target {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

/// Whether vbpsim writes a file of this name: one of [`OUTPUT_FILES`], or one named after the
/// data `fit` reads (`fit_…` plots and scenario snippets, one per group and family).
pub fn is_output_file(name: &str) -> bool {
    OUTPUT_FILES.contains(&name)
        || (name.starts_with("fit_")
            && [".png", ".svg", ".toml"].iter().any(|e| name.ends_with(e))
            && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)))
}

/// The marker in run.json that identifies a folder written by vbpsim.
pub const MARKER: &str = "\"tool\": \"vbpsim\"";

/// Every file a run writes. A previous output folder is replaced only if it holds nothing else,
/// so a run never deletes a file it did not write.
pub const OUTPUT_FILES: &[&str] = &[
    "summary.csv",
    "nmb.csv",
    "costs.csv",
    "survival.csv",
    "general_population.csv",
    "states.csv",
    "lines.csv",
    "subgroups.csv",
    "subgroup_nmb.csv",
    "subgroup_contracts.csv",
    "subgroup_threshold_prices.csv",
    "subgroup_ceac.csv",
    "subgroup_evpi.csv",
    "contracts.csv",
    "threshold_prices.csv",
    "cohort.csv",
    "frontier.csv",
    "psa.csv",
    "parameters.csv",
    "psa_costs.csv",
    "psa_qalys.csv",
    "psa_summary.csv",
    "ceac.csv",
    "ceaf.csv",
    "evpi.csv",
    "evppi.csv",
    "evsi.csv",
    "renegotiation.csv",
    "selection.csv",
    "partners.csv",
    "budget_impact.csv",
    "budget_impact_total.csv",
    "budget_impact_events.csv",
    "budget_impact_psa.csv",
    "run.json",
    "report.html",
    "survival.png",
    "survival.svg",
    "states.png",
    "states.svg",
    "ce_plane.png",
    "ce_plane.svg",
    "contracts.png",
    "contracts.svg",
    "ceac.png",
    "ceac.svg",
    "ceaf.png",
    "ceaf.svg",
    "evpi.png",
    "evpi.svg",
    "evppi.png",
    "evppi.svg",
    "selection_nmb.png",
    "selection_nmb.svg",
    "selection_price.png",
    "selection_price.svg",
    "budget_impact.png",
    "budget_impact.svg",
    "tornado.csv",
    "tornado_nmb.csv",
    "tornado.png",
    "tornado.svg",
    "tornado_icer.png",
    "tornado_icer.svg",
    "threshold.csv",
    "twoway.csv",
    "twoway.png",
    "twoway.svg",
    "comparison.csv",
    "comparison_budget.csv",
    "comparison.png",
    "comparison.svg",
    "samples.jsonl",
    "fits.csv",
    "fit_parameters.csv",
    "fit_covariance.csv",
    "fit_times.csv",
    "kaplan_meier.csv",
    "design.csv",
    "design_frontier.png",
    "design_frontier.svg",
];

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("cannot create output folder {path}: {source}")]
    Create { path: String, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error(
        "refusing to replace {path}: it exists and was not written by vbpsim (no vbpsim run.json)"
    )]
    Foreign { path: String },
    #[error("refusing to replace {path}: it holds files vbpsim did not write ({files})")]
    ForeignFiles { path: String, files: String },
    #[error("refusing to replace {path}: it holds {found}, and this command writes {wanted}")]
    OtherKind { path: String, found: String, wanted: String, shard: bool },
    #[error(
        "refusing to write {path}: it is a symbolic link (to {points_to}); vbpsim neither writes through a link nor replaces one"
    )]
    Link { path: String, points_to: String, resolved: String },
    #[error("refusing to write {path}: it is {what}, not a folder vbpsim writes")]
    Special { path: String, what: &'static str },
    #[error("refusing to replace {path}: it is a mount point")]
    MountPoint { path: String },
    #[error("refusing to write {path}: it is {place}, where the operating system keeps its files")]
    SystemPath { path: String, place: String },
    #[error("refusing to move {path} aside (--force): it belongs to another user (uid {owner})")]
    NotOwned { path: String, owner: u32 },
    #[error("refusing to replace {path}: it belongs to another user (uid {owner})")]
    NotYours { path: String, owner: u32 },
    #[error("refusing to write {path}: it does not end in a folder name")]
    NoName { path: String },
    #[error(
        "refusing to write {path}: its name is {bytes} bytes, more than the {most} its file system takes"
    )]
    NameTooLong { path: String, bytes: usize, most: usize },
    #[error("another vbpsim is writing {path}{holder}")]
    Busy { path: String, holder: String },
    #[error("{lock} is in the way of the lock on {path}: it is not a lock file of vbpsim")]
    LockInTheWay { path: String, lock: String },
    #[error("cannot move the finished output into {path}: {source}")]
    Rename { path: String, source: std::io::Error },
    #[error("cannot move {path} aside to {aside} (--force): {source}")]
    Aside { path: String, aside: String, source: std::io::Error },
}

impl FolderError {
    /// The target holds something vbpsim may not replace, or is being written by another
    /// vbpsim: the user's choice of --out is the problem (exit 2), not the machine (exit 1).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            FolderError::Create { .. }
                | FolderError::Write { .. }
                | FolderError::Rename { .. }
                | FolderError::Aside { .. }
        )
    }

    /// What the user can do about a folder that cannot be written, from the system's reason.
    pub fn hint(&self) -> String {
        use std::io::ErrorKind;
        let moved_aside = |path: &str| {
            let aside = aside_of(Path::new(path), "<process id>");
            format!("add --force to move it aside as {} (nothing is deleted)", aside.display())
        };
        let source = match self {
            FolderError::Foreign { path } | FolderError::ForeignFiles { path, .. } => {
                return format!("choose another --out, or {}", moved_aside(path));
            }
            FolderError::OtherKind { path, shard: false, .. } => {
                return format!("choose another --out, or {}", moved_aside(path));
            }
            FolderError::OtherKind { path, shard: true, .. } => {
                return format!(
                    "a shard's samples cost a simulation to redo: choose another --out, or {}",
                    moved_aside(path)
                );
            }
            FolderError::Link { resolved, .. } => {
                return format!("give the folder itself: --out {resolved}");
            }
            FolderError::Special { .. } => {
                return "choose an output folder with --out (--force never replaces a device, a pipe or a socket)".into();
            }
            FolderError::MountPoint { path } => {
                let inside = Path::new(path).join("results");
                return format!(
                    "write into it instead, e.g. --out {} (--force never moves a mount point)",
                    inside.display()
                );
            }
            FolderError::SystemPath { .. } => {
                return "choose an output folder among your own files with --out (--force never writes there)".into();
            }
            FolderError::NotOwned { .. } => {
                return "choose another --out (--force moves aside only what you own)".into();
            }
            FolderError::NotYours { .. } => {
                return "choose another --out (vbpsim replaces only folders you own)".into();
            }
            FolderError::NameTooLong { .. } => {
                return "choose a shorter folder name with --out".into();
            }
            FolderError::NoName { path } => {
                let named = Path::new(path).join("results");
                return format!("name the output folder, e.g. --out {}", named.display());
            }
            FolderError::Busy { .. } => {
                return "wait for it to finish, or choose another --out".into();
            }
            FolderError::LockInTheWay { .. } => {
                return "move it away, or choose another --out".into();
            }
            FolderError::Create { source, .. }
            | FolderError::Write { source, .. }
            | FolderError::Rename { source, .. }
            | FolderError::Aside { source, .. } => source,
        };
        if let FolderError::Aside { .. } = self {
            match source.kind() {
                ErrorKind::ResourceBusy => {
                    return "it is in use: a mount point or a folder another program holds open; choose another --out".into();
                }
                ErrorKind::AlreadyExists | ErrorKind::DirectoryNotEmpty => {
                    return "a folder of the name it is moved to exists; move that away, or choose another --out".into();
                }
                _ => {}
            }
        }
        let why = match source.kind() {
            ErrorKind::PermissionDenied => "you may not write there",
            ErrorKind::ReadOnlyFilesystem => "the disk is read-only",
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => "the disk is full",
            ErrorKind::NotADirectory | ErrorKind::AlreadyExists => {
                "a file stands where a folder is needed"
            }
            _ => "the folder cannot be created there",
        };
        format!("{why}; choose an output folder you can write with --out")
    }
}

/// A temporary folder that becomes `target` on [`Staging::commit`] and vanishes otherwise.
pub struct Staging {
    pub dir: PathBuf,
    target: Target,
    committed: bool,
}

/// The folder a target is in (`.` for a bare name).
fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Most bytes of a target's name kept in the names vbpsim gives the files beside it.
const KEPT_NAME_BYTES: usize = 100;

/// A target's name as the names beside it use it: the name itself when it is UTF-8 of at most
/// 100 bytes; otherwise its first 100 bytes (cut on a character boundary, bytes that are not
/// UTF-8 replaced), `-` and 12 hex digits of the SHA-256 of the whole name. Any name a file
/// system takes (255 bytes) then leaves room for what vbpsim adds, and two names never share
/// their hidden folders.
fn short_name(target: &Path) -> String {
    use sha2::{Digest, Sha256};
    use std::os::unix::ffi::OsStrExt;
    let name = target.file_name().unwrap_or(OsStr::new("output"));
    if let Some(s) = name.to_str()
        && s.len() <= KEPT_NAME_BYTES
    {
        return s.to_string();
    }
    let lossy = name.to_string_lossy();
    let mut cut = KEPT_NAME_BYTES.min(lossy.len());
    while !lossy.is_char_boundary(cut) {
        cut -= 1;
    }
    let hash: String =
        Sha256::digest(name.as_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hash}", &lossy[..cut])
}

/// A hidden file or folder beside `target`: `.<name>.<suffix>` (the run's checkpoint
/// `.<name>.resume`, the lock `.<name>.lock`, …), the name shortened when longer than 100
/// bytes (its first 100 bytes, `-` and a hash of the whole name).
pub fn hidden(target: &Path, suffix: &str) -> PathBuf {
    parent_of(target).join(format!(".{}.{suffix}", short_name(target)))
}

/// A hidden temporary folder beside `target` (its parent folders created), unique to this
/// process on this machine: `.<name>.<kind>-<host>.<pid>` (the host name, so that a folder
/// on a disk shared by several machines is never judged by another machine's process ids).
fn beside(target: &Path, kind: &str) -> Result<PathBuf, FolderError> {
    create_parent(target)?;
    Ok(hidden(target, &format!("{kind}-{}.{}", host(), std::process::id())))
}

/// Create the folders `target` is in.
fn create_parent(target: &Path) -> Result<(), FolderError> {
    std::fs::create_dir_all(parent_of(target))
        .map_err(|source| FolderError::Create { path: target.display().to_string(), source })
}

/// This machine's name as the kernel reports it, reduced to letters, digits, `-` and `_`
/// (empty where it cannot be read, and then nothing is ever judged abandoned).
pub fn host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    name.trim().chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect()
}

impl Staging {
    pub fn new(target: &Target) -> Result<Self, FolderError> {
        judge(target)?;
        let dir = beside(target, "partial")?;
        if dir.exists() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        remove_abandoned(target);
        std::fs::create_dir(&dir)
            .map_err(|source| FolderError::Create { path: target.display().to_string(), source })?;
        Ok(Staging { dir, target: target.clone(), committed: false })
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Write the CSV table `name` with `write`, each failure naming the file where it will
    /// stand (the target, not the staging folder).
    pub fn table(
        &self,
        name: &str,
        write: impl FnOnce(std::fs::File) -> csv::Result<()>,
    ) -> Result<(), super::OutputError> {
        let shown = self.target.join(name).display().to_string();
        let file = std::fs::File::create(self.file(name))
            .map_err(|source| FolderError::Write { path: shown.clone(), source })?;
        write(file).map_err(|source| super::OutputError::Csv { path: shown, source })
    }

    /// Move the finished folder into place, replacing a previous vbpsim output of its kind
    /// (or, with `--force`, moving any other regular folder or file aside to
    /// [`Target::aside`]). What stands at the target is judged again here, at the last moment.
    pub fn commit(mut self) -> Result<PathBuf, FolderError> {
        let rename_err =
            |source| FolderError::Rename { path: self.target.display().to_string(), source };
        match judge(&self.target)? {
            Verdict::MoveAside => {
                let aside = self.target.aside();
                if std::fs::symlink_metadata(&aside).is_ok() {
                    let source = std::io::Error::from(std::io::ErrorKind::AlreadyExists);
                    let (path, aside) =
                        (self.target.display().to_string(), aside.display().to_string());
                    return Err(FolderError::Aside { path, aside, source });
                }
                std::fs::rename(&*self.target, &aside).map_err(|source| FolderError::Aside {
                    path: self.target.display().to_string(),
                    aside: aside.display().to_string(),
                    source,
                })?;
                if let Err(e) = std::fs::rename(&self.dir, &*self.target) {
                    // Put the user's folder back where it was.
                    let _ = std::fs::rename(&aside, &*self.target);
                    return Err(rename_err(e));
                }
            }
            Verdict::Replace => {
                if exchange(&self.dir, &self.target).is_ok() {
                    // One atomic swap: the staging path now holds the previous result.
                    let _ = std::fs::remove_dir_all(&self.dir);
                } else {
                    // Without an atomic exchange (another system, some network disks): move
                    // the old result aside first, so that a failure leaves one of the two in
                    // place.
                    let old = beside(&self.target, "old")?;
                    std::fs::rename(&*self.target, &old).map_err(rename_err)?;
                    if let Err(e) = std::fs::rename(&self.dir, &*self.target) {
                        let _ = std::fs::rename(&old, &*self.target);
                        return Err(rename_err(e));
                    }
                    let _ = std::fs::remove_dir_all(&old);
                }
            }
            Verdict::Absent => std::fs::rename(&self.dir, &*self.target).map_err(rename_err)?,
        }
        self.committed = true;
        Ok(self.target.path.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Swap two paths atomically (Linux `renameat2` with `RENAME_EXCHANGE`), so that there is no
/// moment without a complete folder at either path.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let (a, b) = (c_path(a)?, c_path(b)?);
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let done = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if done == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// A path as the C string a system call takes.
#[cfg(target_os = "linux")]
fn c_path(p: &Path) -> std::io::Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(p.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
}

/// What committing a folder to a target does to what stands there.
enum Verdict {
    Absent,
    /// A vbpsim folder of the same kind (or an empty folder): swapped with the new one.
    Replace,
    /// `--force`: a regular folder or file vbpsim may not replace, moved aside whole.
    MoveAside,
}

/// Whether `target` may be written, and how.
fn judge(target: &Target) -> Result<Verdict, FolderError> {
    match inspect(target)? {
        Found::Absent => Ok(Verdict::Absent),
        Found::Folder | Found::File => match replaceable(target, &target.kind) {
            Ok(()) => {
                // Another user's results are theirs to replace, even where this user may.
                owned(target).map_err(|e| match e {
                    FolderError::NotOwned { path, owner } => FolderError::NotYours { path, owner },
                    e => e,
                })?;
                Ok(Verdict::Replace)
            }
            Err(_) if target.force => {
                owned(target)?;
                Ok(Verdict::MoveAside)
            }
            Err(e) => Err(e),
        },
    }
}

/// Remove the temporary folders of runs into `target` that were killed (Ctrl-C, SIGKILL, a
/// crash) before they finished: `.<name>.partial-<host>.<pid>` beside it, of this machine,
/// whose process is gone and that hold nothing but vbpsim's output files.
fn remove_abandoned(target: &Path) {
    let host = host();
    if host.is_empty() || target.file_name().is_none() {
        return;
    }
    let prefix = format!(".{}.partial-{host}.", short_name(target));
    let Ok(entries) = std::fs::read_dir(parent_of(target)) else { return };
    for entry in entries.filter_map(Result::ok) {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file_name.strip_prefix(&prefix).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if crate::resources::process_alive(pid) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let dir = entry.path();
        let only_ours = std::fs::read_dir(&dir).is_ok_and(|files| {
            files.filter_map(Result::ok).all(|f| {
                f.file_type().is_ok_and(|t| t.is_file())
                    && is_output_file(&f.file_name().to_string_lossy())
            })
        });
        if only_ours {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// Check before a long simulation that `target` could be written (what stands there may be
/// replaced, or moved aside with `--force`, and a folder can be created beside it), so that a
/// run is not thrown away at the end; and lock it. Creates the parent folders, as the run
/// would. Hold the returned [`Lock`] until the folder is committed (and a run's checkpoint
/// removed): meanwhile another vbpsim checking the same target is refused
/// ([`FolderError::Busy`]).
pub fn check_target(target: &Target) -> Result<Lock, FolderError> {
    // Refusals about what stands there come first: nothing is created beside a device.
    inspect(target)?;
    create_parent(target)?;
    place::name_fits(target)?;
    let lock = Lock::acquire(&hidden(target, "lock"), &target.display().to_string())?;
    judge(target)?;
    let probe = beside(target, "probe")?;
    let _ = std::fs::remove_dir(&probe);
    std::fs::create_dir(&probe)
        .map_err(|source| FolderError::Create { path: target.display().to_string(), source })?;
    let _ = std::fs::remove_dir(&probe);
    Ok(lock)
}

/// A regular folder may be replaced only if vbpsim wrote it (a regular file `run.json` with
/// its marker), it holds nothing but vbpsim's files, and it is of a kind the new folder may
/// replace ([`kind::may_replace`]). An empty folder holds nothing to lose.
fn replaceable(dir: &Path, kind: &Kind) -> Result<(), FolderError> {
    let path = dir.display().to_string();
    // Not a folder (a file), or one that cannot be read: not known to be vbpsim's.
    let Ok(entries) = std::fs::read_dir(dir) else { return Err(FolderError::Foreign { path }) };
    let entries: Vec<std::fs::DirEntry> = entries.filter_map(Result::ok).collect();
    if entries.is_empty() {
        return Ok(());
    }
    // A file vbpsim writes, by name and kind (a folder named `psa.csv` is the user's; a pipe
    // named `run.json` is not read).
    let is_ours = |e: &std::fs::DirEntry| {
        e.file_type().is_ok_and(|t| t.is_file()) && {
            let name = e.file_name();
            name.to_str().is_some_and(is_output_file)
        }
    };
    let manifest = entries
        .iter()
        .find(|e| e.file_name() == "run.json" && is_ours(e))
        .and_then(|e| std::fs::read_to_string(e.path()).ok())
        .filter(|text| text.contains(MARKER));
    let Some(manifest) = manifest else { return Err(FolderError::Foreign { path }) };
    let mut foreign: Vec<String> = entries
        .iter()
        .filter(|e| !is_ours(e))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if !foreign.is_empty() {
        foreign.sort();
        return Err(FolderError::ForeignFiles { path, files: foreign.join(", ") });
    }
    let manifest = serde_json::from_str(&manifest).unwrap_or(serde_json::Value::Null);
    kind::may_replace(kind, &manifest).map_err(|m| FolderError::OtherKind {
        path,
        found: m.found,
        wanted: m.wanted,
        shard: m.shard,
    })
}

#[cfg(test)]
mod tests {
    use super::{FolderError, Path, hidden, short_name};
    use std::io::{Error, ErrorKind};

    #[test]
    fn hints_name_the_reason_a_disk_refuses() {
        let create = |kind| FolderError::Create { path: "out".into(), source: Error::from(kind) };
        for (kind, reason) in [
            (ErrorKind::ReadOnlyFilesystem, "the disk is read-only"),
            (ErrorKind::PermissionDenied, "you may not write there"),
            (ErrorKind::StorageFull, "the disk is full"),
            (ErrorKind::NotADirectory, "a file stands where a folder is needed"),
            (ErrorKind::NotFound, "the folder cannot be created there"),
        ] {
            let hint = create(kind).hint();
            assert!(hint.starts_with(reason) && hint.ends_with("with --out"), "{kind:?}: {hint}");
            assert!(!create(kind).is_refusal());
        }
        let foreign = FolderError::Foreign { path: "out".into() };
        assert!(foreign.is_refusal() && foreign.hint().contains("--force"));
    }

    #[test]
    fn moving_aside_is_hinted_from_the_real_reason() {
        let aside = |kind| FolderError::Aside {
            path: "out".into(),
            aside: "out.before-vbpsim-1".into(),
            source: Error::from(kind),
        };
        assert!(aside(ErrorKind::ResourceBusy).hint().starts_with("it is in use: a mount point"));
        assert!(aside(ErrorKind::AlreadyExists).hint().starts_with("a folder of the name it is"));
        assert!(aside(ErrorKind::PermissionDenied).hint().starts_with("you may not write there"));
        assert!(!aside(ErrorKind::ResourceBusy).is_refusal());
    }

    #[test]
    fn long_names_are_shortened_beside_the_target_and_stay_apart() {
        assert_eq!(hidden(Path::new("a/out"), "lock"), Path::new("a/.out.lock"));
        assert_eq!(hidden(Path::new("out"), "resume"), Path::new("./.out.resume"));
        let long = |c: &str| format!("{}{c}", "é".repeat(124));
        let (a, b) = (short_name(Path::new(&long("a"))), short_name(Path::new(&long("b"))));
        assert_ne!(a, b, "names that differ past the cut differ by their hash");
        assert!(a.len() <= 100 + 13 && a.starts_with(&"é".repeat(50)), "{a}");
        let partial = hidden(Path::new(&long("a")), "partial-some-host-name.4194304");
        assert!(partial.file_name().unwrap().len() < 255);
    }
}
