//! Combination partners: each drug's share of a combination's spend and of the value the
//! strategy creates (docs, Model → Combination partners).
//!
//! Why two measures: value cannot be split between partners by the data of one trial. The
//! proportional share allocates the value-based spend of the combination in proportion to list
//! spend (one common discount or premium for every partner); the marginal threshold price is
//! what the payer could pay for one partner with every other drug at list — each partner alone
//! could claim the whole headroom, which is the combination pricing problem in one number.

use crate::analysis::cea::{ArmSummary, list_arm};
use crate::analysis::contracts::ThresholdPrice;
use crate::model::CategoryIndex;
use crate::model::{Arm, Model};

/// One partner of a strategy's combination regimens at one threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct PartnerRow {
    pub strategy: usize,
    /// Index into `Model::drugs`.
    pub drug: usize,
    pub threshold: f64,
    /// Discounted spend per patient on the drug in the strategy (list prices).
    pub spend: f64,
    /// Its share of the spend on every partner of the strategy's combinations.
    pub spend_share: f64,
    /// Incremental NMB of the strategy at list against the comparator at `threshold`.
    pub inc_nmb: f64,
    /// spend_share × (combination spend + inc_nmb), at least 0: the partner's part of the most
    /// the payer could spend on the combination at `threshold`.
    pub value_based_spend: f64,
    /// The partner's list price per cycle (one price in every regimen), if it has one.
    pub list_price: Option<f64>,
    /// Its price per cycle at which the strategy's incremental NMB is zero with every other drug
    /// at list (`None`: several list prices, its cost does not rise with its price, or not
    /// cost-effective even free).
    pub threshold_price: Option<f64>,
}

/// The drug's single list price across regimens, or `None` if regimens differ.
fn single_price(model: &Model, drug: usize) -> Option<f64> {
    let mut prices =
        model.regimens.iter().flat_map(|r| &r.drugs).filter(|d| d.drug == drug).map(|d| d.price);
    let first = model.value(prices.next()?);
    prices.all(|p| model.value(p) == first).then_some(first)
}

/// The price per cycle of a drug at list price `price`, spending `spend` per patient in a
/// strategy and `comparator` in the comparator, at which the strategy's incremental NMB
/// (`inc_nmb` at the current price) is zero. At list terms cost is linear in the price: the
/// slope is the strategy's units minus the comparator's, units = spend / price.
pub fn marginal_price(price: f64, (spend, comparator): (f64, f64), inc_nmb: f64) -> ThresholdPrice {
    let slope = if price > 0.0 { (spend - comparator) / price } else { 0.0 };
    if !(slope > 0.0) {
        return ThresholdPrice::CostDoesNotRise;
    }
    let at = price + inc_nmb / slope;
    if at >= 0.0 { ThresholdPrice::At(at) } else { ThresholdPrice::NotEvenFree }
}

/// A drug's threshold price in one strategy, with every other drug at list: what `vbpsim price`
/// prints for a scenario without contracts.
#[derive(Clone, Debug, PartialEq)]
pub struct DrugPrice {
    pub strategy: usize,
    /// Index into `Model::drugs`.
    pub drug: usize,
    /// Its list price per cycle (`None`: several, one per regimen).
    pub list_price: Option<f64>,
    /// Per threshold (empty without a single list price).
    pub at: Vec<ThresholdPrice>,
}

/// The threshold price of every drug each strategy other than the comparator gives, from the
/// base case's list arms: its price in every regimen moved together, the others at list.
pub fn drug_prices(model: &Model, arms: &[Arm], summary: &[ArmSummary]) -> Vec<DrugPrice> {
    let list_arm = |s: usize| list_arm(arms, s);
    let comparator = &summary[list_arm(model.meta.comparator)];
    let index = CategoryIndex { drugs: model.drugs.len(), contracts: model.contracts.len() };
    let mut out = Vec::new();
    for s in (0..model.strategies.len()).filter(|&s| s != model.meta.comparator) {
        let arm = &summary[list_arm(s)];
        for d in (0..model.drugs.len()).filter(|&d| arm.categories[index.drug(d)] > 0.0) {
            let list_price = single_price(model, d);
            let spend = (arm.categories[index.drug(d)], comparator.categories[index.drug(d)]);
            let at = list_price.map_or(Vec::new(), |p| {
                (arm.inc_nmb.iter()).map(|nmb| marginal_price(p, spend, nmb.mean)).collect()
            });
            out.push(DrugPrice { strategy: s, drug: d, list_price, at });
        }
    }
    out
}

/// Partner rows of every strategy that can give a regimen of two or more drugs, from the base
/// case's list arms.
pub fn partner_rows(model: &Model, arms: &[Arm], summary: &[ArmSummary]) -> Vec<PartnerRow> {
    let list_arm = |s: usize| list_arm(arms, s);
    let comparator = &summary[list_arm(model.meta.comparator)];
    let index = CategoryIndex { drugs: model.drugs.len(), contracts: model.contracts.len() };
    let cat = |d: usize| index.drug(d);
    let mut rows = Vec::new();
    for (s, strategy) in model.strategies.iter().enumerate() {
        let mut partners: Vec<usize> = model
            .regimens_of(strategy)
            .into_iter()
            .filter(|&r| model.regimens[r].drugs.len() > 1)
            .flat_map(|r| model.regimens[r].drugs.iter().map(|d| d.drug))
            .collect();
        partners.sort_unstable();
        partners.dedup();
        if partners.is_empty() {
            continue;
        }
        let arm = &summary[list_arm(s)];
        let total: f64 = partners.iter().map(|&d| arm.categories[cat(d)]).sum();
        for (k, &threshold) in model.meta.thresholds.iter().enumerate() {
            let inc_nmb = arm.inc_nmb[k].mean;
            for &d in &partners {
                let spend = arm.categories[cat(d)];
                let spend_share = if total > 0.0 { spend / total } else { 0.0 };
                let list_price = single_price(model, d);
                // Cost is linear in the partner's price at list terms: slope = units in the
                // strategy minus units in the comparator, units = spend / price.
                let threshold_price = list_price.and_then(|p| {
                    marginal_price(p, (spend, comparator.categories[cat(d)]), inc_nmb).price()
                });
                rows.push(PartnerRow {
                    strategy: s,
                    drug: d,
                    threshold,
                    spend,
                    spend_share,
                    inc_nmb,
                    value_based_spend: (spend_share * (total + inc_nmb)).max(0.0),
                    list_price,
                    threshold_price,
                });
            }
        }
    }
    rows
}
