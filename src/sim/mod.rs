//! Simulation: concrete models, patients, and the parallel engine loop.
pub mod accumulator;
pub mod background;
pub(crate) mod budget;
mod cohort_courses;
mod deferred;
pub mod design;
pub mod draw;
pub mod engine;
mod exposure;
pub mod ledger;
pub mod pathway;
pub mod patient;
pub mod prepared;
pub mod subgroups;

pub use engine::{SampleSpec, simulate_sample};
pub use prepared::Prepared;
