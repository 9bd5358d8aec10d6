//! Writers: CSV tables, the run manifest, and the output folder. They format results; they
//! compute no statistics.
pub mod csv_cell;
pub mod figures;
pub mod folder;
pub mod plots;
pub mod psa_tables;
pub mod report;
pub mod tables;
pub mod tornado;
