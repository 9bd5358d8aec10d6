//! Analyses that read result tables (sums per arm), never the engine.
pub mod budget;
pub mod cea;
pub mod cohort;
pub mod contracts;
pub mod evppi;
pub mod frontier;
pub mod partners;
pub mod psa;
pub mod roots;
