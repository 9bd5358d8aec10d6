//! Parameter uncertainty: distributions, and the draws of a PSA sample.
pub mod dist;
pub mod draw;

pub use dist::{ParamDist, Support};
