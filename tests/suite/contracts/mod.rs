//! Contracts: every kind settled on fixed patient records against a hand computation written
//! from the docs' rule table (explicit loops over cycles and (1+r)^−t factors), outcome
//! observation by scans, invariants over many random scenario variants, Monte Carlo closed forms
//! on an exponential model, and the threshold (value-based) price.
//!
//! This file holds the units and the discount factor every part uses. `hand` is the hand
//! computation, `fixed_records` checks every kind against it, and the other files each hold one
//! group of tests.

mod both_sides;
mod cohort_courses;
mod course_states;
mod coverage;
mod fixed_records;
mod hand;
mod kinds;
mod monte_carlo;
mod observation;
mod pathway_courses;
mod threshold_price;
mod variants;

const DAY: f64 = 1.0 / 365.25;
const WEEK: f64 = 7.0 * DAY;
const MONTH: f64 = 1.0 / 12.0;
const INF: f64 = f64::INFINITY;

/// d(t) = (1+r)^(−t).
fn d(r: f64, t: f64) -> f64 {
    (1.0 + r).powf(-t)
}
