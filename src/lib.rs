#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x > 0.0)` deliberately rejects NaN too.
//! vbpsim: value-based pricing and reimbursement simulation for precision oncology.
//!
//! Data flow: [`scenario`] (TOML → validated [`model::Model`]) → [`sim`] (patients simulated
//! under every strategy, accounted by [`accounting`] into per-arm sums) → [`analysis`]
//! (cost-effectiveness tables) → [`output`] (CSV and run manifest). No stage looks back up.
pub mod accounting;
pub mod analysis;
pub mod checkpoint;
pub mod compare;
pub mod contracts;
pub mod describe;
pub mod guard;
pub mod model;
pub mod output;
pub mod params;
pub mod resources;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod sensitivity;
pub mod shard;
pub mod sim;
pub mod survival;
pub mod units;
