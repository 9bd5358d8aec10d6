//! Writers: CSV tables, plots, run.json, report.html, and the output folders that hold them.
//! They format results; they compute no statistics (every number comes from
//! [`crate::analysis`]).
pub mod comparison;
mod csv_cell;
mod figures;
pub mod folder;
pub mod manifest;
mod plots;
pub mod psa_tables;
mod report;
pub mod run_folder;
pub mod sensitivity;
pub mod tables;
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
