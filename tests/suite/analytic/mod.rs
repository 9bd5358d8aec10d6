//! Independent check of the engine's numbers against numerical integration.
//!
//! Nothing here uses vbpsim's library code. The expected per-patient costs (total and by
//! category), QALYs and life-years of each strategy of `tests/scenarios/analytic_two_arm.toml`
//! are computed from the docs' Model chapter alone: the discrete branches (true biomarker
//! status × test outcome × response) are enumerated with their probabilities, and within a
//! branch the expectations over the continuous event times are integrals over the densities and
//! survival functions, evaluated with adaptive Gauss–Kronrod quadrature to ~1e-10. Adverse
//! events are independent of everything else and enter only linearly (their mean and, for the
//! variance, their second moment), so their branches are summed in closed form instead of being
//! enumerated. The built binary is then run on the same scenario and its `summary.csv`,
//! `costs.csv` and `survival.csv` are compared with the expectations, allowing 4 Monte Carlo
//! standard errors (a few MCSEs, never loosened to pass).
//!
//! The scenario's parameter values are hard-coded in `model` (they come from the TOML file, not
//! from the code under test): change both together. `numerics` holds the distributions,
//! quadrature and discounting, `expectations` the integrals and the discrete tree, `engine` the
//! comparison with the binary's outputs and `self_checks` the machinery's own tests.

mod engine;
mod expectations;
mod model;
mod numerics;
mod self_checks;
