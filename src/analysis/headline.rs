//! The decision in a few numbers, for the console's closing summary and the report's first
//! section: at each threshold the best arm at list prices with its probability of being best,
//! the values of λ at which the best arm changes, each contract's value-based (threshold)
//! price against its list price, and the contracts ranked as the payer and the manufacturer
//! would rank them. Every number is one of the run's tables' (frontier.csv or summary.csv,
//! ceac.csv's definition at λ, contracts.csv), gathered, not recomputed differently.

use super::cea::ArmSummary;
use super::contracts::{ContractRow, ThresholdPrice};
use super::decision::{Basis, Decision};
use super::frontier::FrontierStatus;
use super::psa::{PsaSample, acceptability};
use crate::model::Model;

/// The decision at one threshold, among the strategies at list prices.
#[derive(Clone, Debug, PartialEq)]
pub struct AtThreshold {
    pub lambda: f64,
    /// The arm (index into the run's arms) with the highest mean NMB at λ (first of ties).
    pub best: usize,
    /// Its mean NMB per patient at λ, on the decision's basis.
    pub nmb: f64,
    /// The share of PSA samples in which it has the highest NMB (`None` without PSA).
    pub probability: Option<f64>,
    /// Contract rows (indices into contracts.csv's rows) by the payer's preference at λ: the
    /// arm's incremental NMB against its reference (the comparator at list or under the same
    /// contract), highest first (base case).
    pub payer_order: Vec<usize>,
}

/// One contract arm's value-based price at each threshold against the list price it starts
/// from.
#[derive(Clone, Debug, PartialEq)]
pub struct ValuePrice {
    /// Index into contracts.csv's rows.
    pub row: usize,
    /// The contracted drug's list price per cycle (in the regimens the contract covers).
    pub list: f64,
    /// Per threshold: the threshold price and, when there is one, the discount from list it
    /// implies, 1 − price / list (negative: a premium).
    pub at: Vec<(ThresholdPrice, Option<f64>)>,
}

/// The decision of a run, gathered from its results.
#[derive(Clone, Debug, PartialEq)]
pub struct Headline {
    pub basis: Basis,
    pub thresholds: Vec<AtThreshold>,
    /// The arms of the efficiency frontier at list prices, in order of increasing cost, each
    /// with the λ above which it is the best (its ICER against the previous frontier arm; 0 for
    /// the first): where the decision changes.
    pub switches: Vec<(usize, f64)>,
    pub prices: Vec<ValuePrice>,
    /// Contract rows by the manufacturer's net revenue per patient, highest first.
    pub manufacturer_order: Vec<usize>,
}

/// Indices `0..n` ordered by `key`, highest first (ties in input order).
fn ranked(n: usize, key: impl Fn(usize) -> f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)));
    order
}

/// The headline of a run's results.
pub fn headline(
    model: &Model,
    (summary, contracts): (&[ArmSummary], &[ContractRow]),
    decision: &Decision,
    psa: &[PsaSample],
) -> Headline {
    let thresholds = &model.meta.thresholds;
    // The first decision set: every strategy at list prices.
    let list = decision.sets.first();
    let at = thresholds.iter().enumerate().filter_map(|(k, &lambda)| {
        let set = list?;
        let nmb = |&(c, q): &(f64, f64)| lambda * q - c;
        let mut best = 0;
        for (j, p) in set.points.iter().enumerate() {
            if nmb(p) > nmb(&set.points[best]) {
                best = j;
            }
        }
        let probability = (!psa.is_empty()).then(|| {
            let table: Vec<Vec<(f64, f64)>> = psa
                .iter()
                .map(|s| set.set.arms.iter().map(|&a| (s.arms[a].cost.mean, s.arms[a].qaly.mean)))
                .map(Iterator::collect)
                .collect();
            acceptability(&table, &[lambda])[0].probability[best]
        });
        let payer_order = ranked(contracts.len(), |r| summary[contracts[r].arm].inc_nmb[k].mean);
        Some(AtThreshold {
            lambda,
            best: set.set.arms[best],
            nmb: nmb(&set.points[best]),
            probability,
            payer_order,
        })
    });
    let switches = list.map_or(Vec::new(), |set| {
        (set.frontier.iter())
            .filter(|r| r.status == FrontierStatus::Frontier)
            .map(|r| (set.set.arms[r.index], r.icer.unwrap_or(0.0)))
            .collect()
    });
    let prices = contracts
        .iter()
        .enumerate()
        .map(|(row, r)| {
            let list = model.list_price(r.contract, &model.values).unwrap_or(0.0);
            let at = r.threshold_price.iter().map(|&t| {
                let discount = t.price().filter(|_| list > 0.0).map(|p| 1.0 - p / list);
                (t, discount)
            });
            ValuePrice { row, list, at: at.collect() }
        })
        .collect();
    Headline {
        basis: decision.basis,
        thresholds: at.collect(),
        switches,
        prices,
        manufacturer_order: ranked(contracts.len(), |r| contracts[r].manufacturer_net_revenue),
    }
}

#[cfg(test)]
mod tests {
    use super::ranked;

    #[test]
    fn ranking_is_highest_first_and_keeps_ties_in_order() {
        let keys = [3.0, 5.0, 3.0, -1.0];
        assert_eq!(ranked(4, |i| keys[i]), vec![1, 0, 2, 3]);
    }
}
