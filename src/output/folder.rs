//! Output folders written whole or not at all.
//!
//! Files go to a hidden temporary folder beside the target, which is renamed into place only
//! when every file is complete. An existing target is replaced only if vbpsim wrote it (its
//! run.json says so); a run never deletes files it did not write.

use std::path::{Path, PathBuf};

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
        "refusing to replace {path}: it exists and was not written by vbpsim (no vbpsim run.json); choose another --out"
    )]
    Foreign { path: String },
    #[error(
        "refusing to replace {path}: it holds files vbpsim did not write ({files}); move them away or choose another --out"
    )]
    ForeignFiles { path: String, files: String },
    #[error("cannot move the finished output into {path}: {source}")]
    Rename { path: String, source: std::io::Error },
}

/// A temporary folder that becomes `target` on [`Staging::commit`] and vanishes otherwise.
pub struct Staging {
    pub dir: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    pub fn new(target: &Path) -> Result<Self, FolderError> {
        if target.exists() {
            replaceable(target)?;
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .map_err(|source| FolderError::Create { path: parent.display().to_string(), source })?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let dir = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if dir.exists() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        std::fs::create_dir(&dir)
            .map_err(|source| FolderError::Create { path: dir.display().to_string(), source })?;
        Ok(Staging { dir, target: target.to_path_buf(), committed: false })
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Move the finished folder into place, replacing a previous vbpsim output.
    pub fn commit(mut self) -> Result<PathBuf, FolderError> {
        let rename_err =
            |source| FolderError::Rename { path: self.target.display().to_string(), source };
        if self.target.exists() {
            replaceable(&self.target)?;
            // Move the old result aside first, so that a failure leaves one of the two intact.
            let old = self.dir.with_extension("old");
            std::fs::rename(&self.target, &old).map_err(rename_err)?;
            std::fs::rename(&self.dir, &self.target).map_err(rename_err)?;
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&self.dir, &self.target).map_err(rename_err)?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Check before a long simulation that `target` could be written, so that a run is not
/// thrown away at the end.
pub fn check_target(target: &Path) -> Result<(), FolderError> {
    if target.exists() { replaceable(target) } else { Ok(()) }
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
    let mut foreign: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !OUTPUT_FILES.contains(&name.as_str()))
        .collect();
    if foreign.is_empty() {
        Ok(())
    } else {
        foreign.sort();
        Err(FolderError::ForeignFiles { path, files: foreign.join(", ") })
    }
}
