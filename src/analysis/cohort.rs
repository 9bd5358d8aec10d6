//! The cohort table: each cohort-level contract arm's expected yearly statement for one
//! population of the payer (what the contract's annual statement shows, on average over the
//! simulated populations, and how often each year's refund is due).

use crate::contracts::Kind;
use crate::contracts::cohort::{self, CohortRule};
use crate::model::Arm;
use crate::sim::Prepared;
use crate::sim::accumulator::SampleSums;

/// One row of cohort.csv: one calendar year of one population, undiscounted, averaged over the
/// R simulated populations, each weighted by its number of simulated patients (so that, with
/// zero discount rates, the mean refund per patient in summary.csv is this refund summed over
/// years divided by N·Y).
#[derive(Clone, Debug, PartialEq)]
pub struct CohortRow {
    pub arm: usize,
    pub contract: usize,
    /// Calendar year of the term, from 1.
    pub year: usize,
    /// Simulated populations R.
    pub populations: u64,
    /// Patients with at least one paid cycle of the drug in the year.
    pub patients_treated: f64,
    /// Patients whose treatment started in the year.
    pub patients_started: f64,
    /// Share of the year's starters without a recorded failure at the window, all populations
    /// pooled (population outcome only).
    pub success_rate: Option<f64>,
    /// The payer's spend on the drug in the year at list price.
    pub drug_spend: f64,
    /// refund / drug_spend.
    pub refund_fraction: f64,
    /// Share of the R populations whose refund for the year is due (unweighted: the chance a
    /// payer with this population faces).
    pub refund_probability: f64,
    /// g·spend, due at `settled_at` (years from the start of the term).
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
        let Kind::Cohort(terms) = &contract.kind else { continue };
        let calendar = &sums.contracts[i].calendar;
        let price = prep.list_price(c);
        let fractions = cohort::fractions(terms, calendar, patients, price);
        let pops = terms.populations(patients);
        let years = terms.years as usize;
        // Σ_r (m_r/n)·(M/m_r)·x_r = (M/n)·Σ_r x_r for counts scaled to the population.
        let scale = terms.size() as f64 / patients as f64;
        for y in 0..years {
            let (mut cycles, mut treated, mut started, mut succeeded) = (0u64, 0u64, 0u64, 0u64);
            let (mut refunded_cycles, mut due) = (0.0, 0u64);
            for r in 0..pops as usize {
                let cell = calendar.get(r, y);
                let g = fractions[r * years + y];
                cycles += cell.cycles;
                treated += cell.treated;
                started += cell.started;
                succeeded += cell.succeeded;
                refunded_cycles += g * cell.cycles as f64;
                if g > 0.0 {
                    due += 1;
                }
            }
            let drug_spend = scale * price * cycles as f64;
            let refund = scale * price * refunded_cycles;
            rows.push(CohortRow {
                arm: i,
                contract: c,
                year: y + 1,
                populations: pops,
                patients_treated: scale * treated as f64,
                patients_started: scale * started as f64,
                success_rate: match terms.rule {
                    CohortRule::PopulationOutcome { .. } if started > 0 => {
                        Some(succeeded as f64 / started as f64)
                    }
                    _ => None,
                },
                drug_spend,
                refund_fraction: if drug_spend > 0.0 { refund / drug_spend } else { 0.0 },
                refund_probability: due as f64 / pops as f64,
                refund,
                settled_at: terms.settled_at(y),
            });
        }
    }
    rows
}
