//! Output folders written whole or not at all.
//!
//! Files go to a hidden temporary folder beside the target, which is renamed into place only
//! when every file is complete. An existing target is replaced only if vbpsim wrote it (its
//! run.json says so); a run never deletes files it did not write. With `--force` a folder that
//! may not be replaced is moved aside (renamed, never deleted) when the new one is complete.

use std::path::{Path, PathBuf};

/// Where an output folder goes, and whether a folder there that vbpsim may not replace is moved
/// aside (`--force`) instead of refusing. It dereferences to the folder's path.
#[derive(Clone, Debug)]
pub struct Target {
    pub path: PathBuf,
    pub force: bool,
}

impl Target {
    pub fn new(path: impl Into<PathBuf>, force: bool) -> Self {
        Target { path: path.into(), force }
    }

    /// True when committing will move an existing folder aside: it exists, vbpsim may not
    /// replace it, and `--force` was given.
    pub fn displaces(&self) -> bool {
        self.force && self.path.exists() && replaceable(&self.path).is_err()
    }

    /// Where `--force` moves a folder vbpsim may not replace: `<name>.before-vbpsim-<pid>`
    /// beside it (unique per running process).
    pub fn aside(&self) -> PathBuf {
        let name = self
            .path
            .file_name()
            .map_or_else(|| "output".to_string(), |n| n.to_string_lossy().into_owned());
        self.path.with_file_name(format!("{name}.before-vbpsim-{}", std::process::id()))
    }
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

/// The marker in run.json that identifies a folder written by vbpsim.
pub const MARKER: &str = "\"tool\": \"vbpsim\"";

/// Every file a run writes. A previous output folder is replaced only if it holds nothing else,
/// so a run never deletes a file it did not write.
pub const OUTPUT_FILES: &[&str] = &[
    "summary.csv",
    "costs.csv",
    "survival.csv",
    "contracts.csv",
    "cohort.csv",
    "frontier.csv",
    "psa.csv",
    "parameters.csv",
    "psa_summary.csv",
    "ceac.csv",
    "ceaf.csv",
    "evpi.csv",
    "evppi.csv",
    "selection.csv",
    "partners.csv",
    "budget_impact.csv",
    "budget_impact_psa.csv",
    "run.json",
    "report.html",
    "survival.png",
    "survival.svg",
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
    "selection_nmb.png",
    "selection_nmb.svg",
    "selection_price.png",
    "selection_price.svg",
    "budget_impact.png",
    "budget_impact.svg",
    "tornado.csv",
    "tornado.png",
    "tornado.svg",
    "tornado_icer.png",
    "tornado_icer.svg",
    "threshold.csv",
    "twoway.csv",
    "twoway.png",
    "twoway.svg",
    "comparison.csv",
    "comparison.png",
    "comparison.svg",
    "samples.jsonl",
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
    #[error("cannot move the finished output into {path}: {source}")]
    Rename { path: String, source: std::io::Error },
    #[error("cannot move {path} aside to {aside} (--force): {source}")]
    Aside { path: String, aside: String, source: std::io::Error },
}

impl FolderError {
    /// The folder holds something vbpsim may not replace: the user's choice of --out is the
    /// problem (exit 2), not the machine (exit 1).
    pub fn is_refusal(&self) -> bool {
        matches!(self, FolderError::Foreign { .. } | FolderError::ForeignFiles { .. })
    }

    /// What the user can do about a folder that cannot be written, from the system's reason.
    pub fn hint(&self) -> String {
        use std::io::ErrorKind;
        let kind = match self {
            FolderError::Create { source, .. }
            | FolderError::Write { source, .. }
            | FolderError::Rename { source, .. }
            | FolderError::Aside { source, .. } => Some(source.kind()),
            FolderError::Foreign { .. } | FolderError::ForeignFiles { .. } => None,
        };
        if let FolderError::Aside { .. } = self {
            return "a folder of the name it is moved to exists; move that away, or choose another --out".into();
        }
        let why = match (kind, self) {
            (None, FolderError::Foreign { path } | FolderError::ForeignFiles { path, .. }) => {
                return format!(
                    "choose another --out, or add --force to move it aside as {path}.before-vbpsim-<process id> (nothing is deleted)"
                );
            }
            (Some(ErrorKind::PermissionDenied), _) => "you may not write there",
            (Some(ErrorKind::ReadOnlyFilesystem), _) => "the disk is read-only",
            (Some(ErrorKind::StorageFull | ErrorKind::QuotaExceeded), _) => "the disk is full",
            (Some(ErrorKind::NotADirectory | ErrorKind::AlreadyExists), _) => {
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

/// A hidden temporary folder beside `target` (its parent folders created), unique to this
/// process on this machine: `.<name>.<kind>-<host>.<pid>` (the host name, so that a folder
/// on a disk shared by several machines is never judged by another machine's process ids).
fn beside(target: &Path, kind: &str) -> Result<PathBuf, FolderError> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .map_err(|source| FolderError::Create { path: target.display().to_string(), source })?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    Ok(parent.join(format!(".{name}.{kind}-{}.{}", host(), std::process::id())))
}

/// This machine's name as the kernel reports it, reduced to letters, digits, `-` and `_`
/// (empty where it cannot be read, and then nothing is ever judged abandoned).
pub fn host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    name.trim().chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect()
}

impl Staging {
    pub fn new(target: &Target) -> Result<Self, FolderError> {
        if target.exists() && !target.force {
            replaceable(target)?;
        }
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

    /// Move the finished folder into place, replacing a previous vbpsim output (or, with
    /// `--force`, moving any other folder aside to [`Target::aside`]).
    pub fn commit(mut self) -> Result<PathBuf, FolderError> {
        let rename_err =
            |source| FolderError::Rename { path: self.target.display().to_string(), source };
        if self.target.displaces() {
            let aside = self.target.aside();
            if aside.exists() {
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
        } else if self.target.exists() {
            replaceable(&self.target)?;
            if exchange(&self.dir, &self.target).is_ok() {
                // One atomic swap: the staging path now holds the previous result.
                let _ = std::fs::remove_dir_all(&self.dir);
            } else {
                // Without an atomic exchange (another system, some network disks): move the
                // old result aside first, so that a failure leaves one of the two in place.
                let old = beside(&self.target, "old")?;
                std::fs::rename(&*self.target, &old).map_err(rename_err)?;
                if let Err(e) = std::fs::rename(&self.dir, &*self.target) {
                    let _ = std::fs::rename(&old, &*self.target);
                    return Err(rename_err(e));
                }
                let _ = std::fs::remove_dir_all(&old);
            }
        } else {
            std::fs::rename(&self.dir, &*self.target).map_err(rename_err)?;
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
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
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

/// Remove the temporary folders of runs into `target` that were killed (Ctrl-C, SIGKILL, a
/// crash) before they finished: `.<name>.partial-<host>.<pid>` beside it, of this machine,
/// whose process is gone and that hold nothing but vbpsim's output files.
fn remove_abandoned(target: &Path) {
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else { return };
    let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
    let host = host();
    if host.is_empty() {
        return;
    }
    let prefix = format!(".{}.partial-{host}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.filter_map(Result::ok) {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file_name.strip_prefix(&prefix).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if crate::resources::process_alive(pid) {
            continue;
        }
        let dir = entry.path();
        let only_ours = std::fs::read_dir(&dir).is_ok_and(|files| {
            files.filter_map(Result::ok).all(|f| {
                f.file_type().is_ok_and(|t| t.is_file())
                    && OUTPUT_FILES.contains(&f.file_name().to_string_lossy().as_ref())
            })
        });
        if only_ours {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// Check before a long simulation that `target` could be written (it may be replaced, or
/// `--force` was given, and a folder can be created beside it), so that a run is not thrown
/// away at the end. Creates the parent folders, as the run would.
pub fn check_target(target: &Target) -> Result<(), FolderError> {
    if target.exists() && !target.force {
        replaceable(target)?;
    }
    let probe = beside(target, "probe")?;
    let _ = std::fs::remove_dir(&probe);
    std::fs::create_dir(&probe)
        .map_err(|source| FolderError::Create { path: target.display().to_string(), source })?;
    let _ = std::fs::remove_dir(&probe);
    Ok(())
}

/// A folder may be replaced only if vbpsim wrote it and it holds nothing but vbpsim's files.
fn replaceable(dir: &Path) -> Result<(), FolderError> {
    let path = dir.display().to_string();
    // An empty folder holds nothing to lose.
    let empty = dir.is_dir() && std::fs::read_dir(dir).is_ok_and(|mut e| e.next().is_none());
    if empty {
        return Ok(());
    }
    let ours = dir.is_dir()
        && std::fs::read_to_string(dir.join("run.json")).is_ok_and(|s| s.contains(MARKER));
    if !ours {
        return Err(FolderError::Foreign { path });
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|source| FolderError::Create { path: path.clone(), source })?;
    // A file vbpsim writes, by name and kind (a folder named `psa.csv` is the user's).
    let mut foreign: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            !(OUTPUT_FILES.contains(&name.as_str()) && e.file_type().is_ok_and(|t| t.is_file()))
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if foreign.is_empty() {
        Ok(())
    } else {
        foreign.sort();
        Err(FolderError::ForeignFiles { path, files: foreign.join(", ") })
    }
}

#[cfg(test)]
mod tests {
    use super::FolderError;
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
}
