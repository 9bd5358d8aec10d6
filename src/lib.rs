#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x > 0.0)` deliberately rejects NaN too.
//! vbpsim: value-based pricing and reimbursement simulation for precision oncology.
//!
//! Data flow: [`scenario`] (TOML → validated [`model::Model`]) → [`sim`] (patients simulated
//! under every strategy, accounted into per-arm sums) → [`analysis`] (results) → [`output`]
//! (CSV, plots, run manifest, report); [`workflow`] runs the jobs along it.
pub mod accounting;
pub mod analysis;
pub mod contracts;
pub mod model;
pub mod output;
pub mod params;
pub mod resources;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod survival;
pub mod units;
pub mod workflow;
