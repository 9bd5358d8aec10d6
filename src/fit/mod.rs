//! Survival evidence in: a data set of times and events (individual patient data, or rebuilt
//! from a digitised Kaplan–Meier curve), its Kaplan–Meier estimate, and maximum-likelihood
//! fits of the parametric families a scenario's time-to-event distributions use, with their
//! covariance, so that a fit and its uncertainty go into a scenario as jointly normal
//! parameters on the estimation scale.

pub mod data;
pub mod families;
pub mod guyot;
pub mod km;
pub mod mle;
