//! The contract table: what each contract arm costs the payer and earns the manufacturer, how
//! often it triggers, and the threshold (value-based) list price of the drug under it.

use super::cea::ArmSummary;
use crate::model::Settlement;
use crate::sim::accumulator::{ContractSums, SampleSums};

/// One row of contracts.csv (means per patient of the strategy unless said otherwise).
#[derive(Clone, Debug, PartialEq)]
pub struct ContractRow {
    /// The arm whose costs and outcomes the row reports (a `list` contract's: its strategy's
    /// list arm).
    pub arm: usize,
    pub contract: usize,
    /// Where its sums sit ([`crate::model::Settlement::slot`]).
    pub slot: usize,
    /// Share of the strategy's patients treated with the contracted drug.
    pub treated_share: f64,
    pub list_spend: f64,
    pub paid: f64,
    pub refunds: f64,
    pub contract_spend: f64,
    pub admin: f64,
    /// 1 − contract spend / list spend (`None` without list spend).
    pub effective_discount: Option<f64>,
    /// Share of treated patients who triggered the contract.
    pub triggered_share: Option<f64>,
    /// Mean and standard deviation of net drug spend per treated patient.
    pub spend_per_treated: Option<f64>,
    pub spend_per_treated_sd: Option<f64>,
    /// 95th percentile of net drug spend per treated patient (upper edge of a 2 % log bin).
    pub spend_per_treated_p95: Option<f64>,
    pub manufacturer_net_revenue: f64,
    /// Per threshold: the list price at which the arm's ICER against the comparator equals the
    /// threshold, or why there is none.
    pub threshold_price: Vec<ThresholdPrice>,
}

/// The threshold (value-based) price of a contract arm at one threshold λ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ThresholdPrice {
    /// The list price per cycle at which incremental NMB at λ is zero.
    At(f64),
    /// Not cost-effective at λ even with the drug free.
    NotEvenFree,
    /// Still cost-effective at λ at a list price of 1e12: the payer's cost stops rising with
    /// the price (e.g. an expenditure cap binding every year).
    AnyPrice,
    /// The arm's cost does not rise with the price faster than the comparator's (linear terms
    /// with U_arm ≤ U_comparator).
    CostDoesNotRise,
    /// Terms not linear in the price whose search was skipped (`bench`).
    NotSearched,
}

impl ThresholdPrice {
    pub fn price(self) -> Option<f64> {
        match self {
            ThresholdPrice::At(p) => Some(p),
            _ => None,
        }
    }

    /// The `threshold_status_<λ>` column of contracts.csv.
    pub fn status(self) -> &'static str {
        match self {
            ThresholdPrice::At(_) => "price",
            ThresholdPrice::NotEvenFree => "not_cost_effective_even_free",
            ThresholdPrice::AnyPrice => "cost_effective_at_any_price",
            ThresholdPrice::CostDoesNotRise => "cost_does_not_rise_with_price",
            ThresholdPrice::NotSearched => "not_computed",
        }
    }
}

/// The comparator's units of contract `c`'s drug (Σ ∂cost/∂A over the patients): under the
/// same contract, its arm `reference`'s (the contract's terms scale them), else at list.
pub fn reference_units(
    contracts: &[ContractSums],
    comparator_units: &[f64],
    reference: usize,
    c: usize,
    under_contract: bool,
) -> f64 {
    if under_contract { contracts[reference].units } else { comparator_units[c] }
}

/// Build the contract rows of a sample. `prices[c]` is contract c's drug's current list price;
/// `linear[c]` whether the contract's payer cost is linear in it (the threshold price of the
/// others is replaced by a search on the same patients, see `run`).
pub fn contract_rows(
    sums: &SampleSums,
    settlements: &[Settlement],
    summary: &[ArmSummary],
    prices: &[f64],
    linear: &[bool],
    thresholds: &[f64],
) -> Vec<ContractRow> {
    let of = (sums.patients, &sums.contracts[..], &sums.comparator_units[..]);
    contract_rows_of(of, settlements, summary, (prices, linear), thresholds)
}

/// [`contract_rows`] for the sums of any set of patients (`patients` of them, their contract
/// sums per arm and the comparator's units per contract): the whole sample's, or a
/// subgroup's.
pub fn contract_rows_of(
    (patients, contracts, comparator_units): (u64, &[ContractSums], &[f64]),
    settlements: &[Settlement],
    summary: &[ArmSummary],
    (prices, linear): (&[f64], &[bool]),
    thresholds: &[f64],
) -> Vec<ContractRow> {
    let n = patients as f64;
    let mut rows = Vec::new();
    for &Settlement { contract: c, arm, slot, .. } in settlements {
        let k = &contracts[slot];
        let treated = k.treated as f64;
        let contract_spend = (k.paid - k.refunded) / n;
        let list_spend = k.list_spend / n;
        let row_summary = &summary[arm];
        // Cost of the arm minus the comparator's is linear in the price A for linear terms:
        // Δc(A) = Δc(A₀) + (A − A₀)(U_arm − U_comparator), U = ∂cost/∂A per patient.
        let reference = row_summary.reference;
        let under_contract = summary[reference].contract.is_some();
        let slope = k.units / n
            - reference_units(contracts, comparator_units, reference, c, under_contract) / n;
        let threshold_price = thresholds
            .iter()
            .map(|&l| {
                if !linear[c] {
                    ThresholdPrice::NotSearched
                } else if slope > 0.0 {
                    let gap = l * row_summary.inc_qaly.mean - row_summary.inc_cost.mean;
                    let price = prices[c] + gap / slope;
                    if price >= 0.0 {
                        ThresholdPrice::At(price)
                    } else {
                        ThresholdPrice::NotEvenFree
                    }
                } else {
                    ThresholdPrice::CostDoesNotRise
                }
            })
            .collect();
        rows.push(ContractRow {
            arm,
            contract: c,
            slot,
            treated_share: treated / n,
            list_spend,
            paid: k.paid / n,
            refunds: k.refunded / n,
            contract_spend,
            admin: k.admin / n,
            effective_discount: (list_spend > 0.0).then(|| 1.0 - contract_spend / list_spend),
            triggered_share: (k.treated > 0).then(|| k.triggered as f64 / treated),
            spend_per_treated: (k.treated > 0).then(|| k.net / treated),
            spend_per_treated_sd: (k.treated > 1).then(|| {
                let mean = k.net / treated;
                ((k.net2 - k.net * mean) / (treated - 1.0)).max(0.0).sqrt()
            }),
            spend_per_treated_p95: k.spend.quantile(0.95),
            manufacturer_net_revenue: k.manufacturer / n,
            threshold_price,
        });
    }
    rows
}
