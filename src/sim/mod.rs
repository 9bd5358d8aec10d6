//! Simulation: concrete models, patients, and the parallel engine loop.
pub mod accumulator;
pub mod budget;
pub mod deferred;
pub mod draw;
pub mod engine;
pub mod exposure;
pub mod ledger;
pub mod patient;
pub mod prepared;

pub use engine::{SampleSpec, simulate_sample};
pub use prepared::Prepared;
