//! The cohort table: each cohort-level contract arm's settlement per calendar year, for the
//! payer's whole incident population (what the contract's annual statement would show).

use crate::contracts::cohort::{self, CohortRule};
use crate::model::Arm;
use crate::sim::Prepared;
use crate::sim::accumulator::SampleSums;
use crate::sim::prepared::PreparedKind;

/// One row of cohort.csv: population-level, undiscounted amounts of one calendar year.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortRow {
    pub arm: usize,
    pub contract: usize,
    /// Calendar year of the term, from 1.
    pub year: usize,
    /// Patients with at least one paid cycle of the drug in the year.
    pub patients_treated: f64,
    /// Patients whose treatment started in the year.
    pub patients_started: f64,
    /// Share of the year's starters without a recorded failure at the window (population
    /// outcome only).
    pub success_rate: Option<f64>,
    /// The payer's spend on the drug in the year at list price.
    pub drug_spend: f64,
    pub refund_fraction: f64,
    /// refund_fraction × drug_spend, due at `settled_at` (years from the start of the term).
    pub refund: f64,
    pub settled_at: f64,
}

/// The cohort rows of a run of `patients` patients per strategy (prepared with the run's
/// prices; the refund fractions are recomputed from the same calendar sums the run used).
pub fn cohort_rows(
    prep: &Prepared,
    arms: &[Arm],
    sums: &SampleSums,
    patients: u64,
) -> Vec<CohortRow> {
    let mut rows = Vec::new();
    for (i, arm) in arms.iter().enumerate() {
        let Some(c) = arm.contract else { continue };
        let contract = &prep.contracts[c];
        let PreparedKind::Cohort(terms) = &contract.kind else { continue };
        let calendar = &sums.contracts[i].calendar;
        let weight = prep.population * terms.years as f64 / patients as f64;
        let price = prep.list_price(contract.drug);
        let fractions = cohort::fractions(terms, calendar, weight, price);
        for (y, (year, g)) in calendar.iter().zip(fractions).enumerate() {
            let drug_spend = weight * price * year.cycles as f64;
            rows.push(CohortRow {
                arm: i,
                contract: c,
                year: y + 1,
                patients_treated: weight * year.treated as f64,
                patients_started: weight * year.started as f64,
                success_rate: match terms.rule {
                    CohortRule::PopulationOutcome { .. } if year.started > 0 => {
                        Some(year.succeeded as f64 / year.started as f64)
                    }
                    _ => None,
                },
                drug_spend,
                refund_fraction: g,
                refund: g * drug_spend,
                settled_at: terms.settled_at(y),
            });
        }
    }
    rows
}
