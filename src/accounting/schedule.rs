//! A drug's payment schedule in one prepared model: its price per cycle, the cycle, the limits
//! on cycles, its administration, and the present values of n cycles at the payer's and the
//! manufacturer's rates. The ledger, the contracts and the budget view all pay through it.

use super::discount::{Cycle, CycleSums};

/// One drug of a regimen, ready for the hot loop.
#[derive(Clone, Debug)]
pub struct DrugSchedule {
    pub drug: usize,
    pub price: f64,
    pub cycle: f64,
    /// The cycle length with its reciprocal, for counting cycles.
    pub schedule: Cycle,
    pub max_cycles: u64,
    pub max_duration: f64,
    /// Administration cost per cycle (the drug's own, plus the regimen's for the first drug).
    pub administration: f64,
    /// Discounted cycle counts at the payer's cost discount rate.
    pub cycle_sums: CycleSums,
    /// The same at the manufacturer's discount rate.
    pub manufacturer_cycle_sums: CycleSums,
}
