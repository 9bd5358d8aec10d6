//! Writers: CSV tables, plots, run.json, report.html, and the output folders that hold them.
//! They format results; they compute no statistics (every number comes from
//! [`crate::analysis`], or for survival fits from the functions of [`crate::fit`]).
pub mod comparison;
mod csv_cell;
pub mod design_folder;
mod figures;
pub mod fit_folder;
pub mod folder;
pub mod headline;
mod legend;
pub mod manifest;
mod plots;
mod png_text;
pub mod psa_tables;
mod report;
mod report_table;
pub mod run_folder;
pub mod sensitivity;
pub mod subgroup_tables;
pub mod tables;
pub mod tables_in_memory;
mod tornado;

pub use figures::{CE_PLANE_MOST_SAMPLES, ce_plane_basis, ce_plane_samples};
use folder::FolderError;
pub use plots::PlotError;

/// Why an output folder could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0}")]
    Folder(#[from] FolderError),
    #[error("cannot write {path}: {source}")]
    Csv { path: String, source: csv::Error },
    #[error("{0}")]
    Plot(#[from] PlotError),
}

impl OutputError {
    /// What the user can do about it, from the system's reason where there is one.
    pub fn hint(&self) -> String {
        let source = match self {
            OutputError::Folder(f) => return f.hint(),
            OutputError::Csv { source, .. } => match source.kind() {
                csv::ErrorKind::Io(e) => Some(e),
                _ => None,
            },
            OutputError::Plot(PlotError::Write { source, .. }) => Some(source),
            OutputError::Plot(PlotError::Draw { .. }) => None,
        };
        match source.and_then(|e| refusal(e.kind())) {
            Some(why) => format!("{why}; choose an output folder you can write with --out"),
            None => "nothing was written; choose another output folder with --out".into(),
        }
    }
}

/// Why a disk refused a write, in words, from the system's reason (`None` when the reason says
/// nothing the user can act on): what a hint starts with.
pub fn refusal(kind: std::io::ErrorKind) -> Option<&'static str> {
    use std::io::ErrorKind;
    match kind {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Some("the disk is full"),
        ErrorKind::ReadOnlyFilesystem => Some("the disk is read-only"),
        ErrorKind::PermissionDenied => Some("you may not write there"),
        ErrorKind::FileTooLarge => {
            Some("a file is larger than the file system or the process's limit (ulimit -f) allows")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    #[test]
    fn a_table_or_plot_that_cannot_be_written_says_why() {
        let plot = |kind| {
            let e = PlotError::Write { path: "ce_plane.png".into(), source: Error::from(kind) };
            OutputError::Plot(e.in_folder(std::path::Path::new("out"))).hint()
        };
        assert_eq!(
            plot(ErrorKind::StorageFull),
            "the disk is full; choose an output folder you can write with --out"
        );
        assert!(plot(ErrorKind::ReadOnlyFilesystem).starts_with("the disk is read-only; "));
        assert!(plot(ErrorKind::FileTooLarge).contains("ulimit -f"));
        assert!(plot(ErrorKind::Other).starts_with("nothing was written; "));
        let csv = OutputError::Csv {
            path: "psa.csv".into(),
            source: csv::Error::from(Error::from(ErrorKind::QuotaExceeded)),
        };
        assert!(csv.hint().starts_with("the disk is full; "), "{}", csv.hint());
        // A plot drawn in the staging folder is named in the output folder.
        let moved =
            PlotError::Draw { path: ".out.partial-h.1/ce_plane.svg".into(), message: "x".into() }
                .in_folder(std::path::Path::new("results/out"));
        assert_eq!(moved.to_string(), "cannot draw results/out/ce_plane.svg: x");
    }
}
