//! Threshold (value-based) prices that need re-simulation: for contracts whose payer cost is
//! not linear in the list price (absolute caps), the price at which an arm's incremental NMB
//! is zero is searched on the same patients.

use super::RunError;
use crate::analysis::cea::summarise;
use crate::analysis::contracts::ThresholdPrice;
use crate::model::Model;
use crate::scenario::Scenario;
use crate::sim::{Prepared, SampleSpec, simulate_sample};

/// A scenario without contracts has no threshold price to print (exit code 2).
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{file} has no [[contracts]]: the threshold price is computed per contract arm")]
pub struct NoContracts {
    pub file: String,
}

impl NoContracts {
    pub const HELP: &'static str =
        "add a contract of kind \"list\" on the drug to price it at list terms";
}

/// Check that a scenario has a contract arm to price (`vbpsim price`).
pub fn check(scenario: &Scenario) -> Result<(), NoContracts> {
    if scenario.model.contracts.is_empty() {
        return Err(NoContracts { file: scenario.source.name.clone() });
    }
    Ok(())
}

/// Incremental net monetary benefit of `arm` against the comparator at list, with the price
/// of contract `c`'s drug set to `price` in the regimens the contract covers, on the same
/// patients.
fn inc_nmb_at_price(
    model: &Model,
    values: &[f64],
    spec: SampleSpec,
    (arm, c): (usize, usize),
    price: f64,
    lambda: f64,
) -> Result<f64, RunError> {
    // Only the drug's price moves: a parameter it shares with other fields keeps their values,
    // and so does the drug's price in regimens the contract does not cover.
    let mut prep = Prepared::new(model, values)?;
    prep.budget = None;
    let contract = &model.contracts[c];
    for &g in &contract.regimens {
        for d in prep.regimens[g].drugs.iter_mut().filter(|d| d.drug == contract.drug) {
            d.price = price;
        }
    }
    let sums = simulate_sample(&prep, spec, &mut |_, _| {});
    let rows = summarise(&sums, &prep.arms, model.meta.comparator, &[lambda]);
    Ok(rows[arm].inc_nmb[0].mean)
}

/// The list price (of contract `c`'s drug in the regimens it covers) at which the arm's
/// incremental NMB at λ is zero. Cost rises with the price,
/// so incremental NMB falls, piecewise linearly (caps bind patient by patient): a bracket is
/// found by growing the price, then the Illinois variant of regula falsi converges in a few
/// re-simulations of the same patients; or why there is no such price.
pub(super) fn bisect_threshold_price(
    model: &Model,
    values: &[f64],
    spec: SampleSpec,
    arm: usize,
    c: usize,
    lambda: f64,
) -> Result<ThresholdPrice, RunError> {
    let f = |price: f64| inc_nmb_at_price(model, values, spec, (arm, c), price, lambda);
    let (mut lo, mut f_lo) = (0.0, f(0.0)?);
    if f_lo < 0.0 {
        return Ok(ThresholdPrice::NotEvenFree);
    }
    let contract = &model.contracts[c];
    let current = (contract.regimens.iter())
        .flat_map(|&g| &model.regimens[g].drugs)
        .find(|d| d.drug == contract.drug)
        .map_or(1.0, |d| values[d.price.0 as usize].max(1.0));
    let (mut hi, mut f_hi) = (current, f(current)?);
    while f_hi >= 0.0 {
        (lo, f_lo) = (hi, f_hi);
        hi *= 4.0;
        if hi > 1e12 {
            return Ok(ThresholdPrice::AnyPrice);
        }
        f_hi = f(hi)?;
    }
    // Stop when the NMB is zero to 1e-9 of the price's effect, or the bracket is that narrow.
    let tolerance = 1e-9 * (f_lo - f_hi);
    let x = crate::analysis::roots::illinois(f, (lo, f_lo), (hi, f_hi), tolerance)?;
    Ok(ThresholdPrice::At(x))
}
