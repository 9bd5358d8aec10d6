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
    /// The drug's list price the row's sums are at, when it is not the scenario's point value:
    /// on a probabilistic row whose price is drawn, the mean of the samples' prices.
    pub list_price: Option<f64>,
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

impl ContractRow {
    /// Every number of the row, for finiteness checks.
    pub fn numbers(&self) -> impl Iterator<Item = f64> + '_ {
        let fixed = [
            self.treated_share,
            self.list_spend,
            self.paid,
            self.refunds,
            self.contract_spend,
            self.admin,
            self.manufacturer_net_revenue,
        ];
        let optional = [
            self.effective_discount,
            self.triggered_share,
            self.spend_per_treated,
            self.spend_per_treated_sd,
            self.spend_per_treated_p95,
        ];
        fixed
            .into_iter()
            .chain(optional.into_iter().flatten())
            .chain(self.threshold_price.iter().filter_map(|p| p.price()))
            .chain(self.list_price)
    }
}

impl ThresholdPrice {
    pub fn price(self) -> Option<f64> {
        match self {
            ThresholdPrice::At(p) => Some(p),
            _ => None,
        }
    }

    /// The `threshold_status` column of threshold_prices.csv.
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

/// ∂(arm's cost − its reference's)/∂A per patient, A the list price of contract `c`'s drug:
/// the arm's units less the reference's (under the same contract where it gives the drug,
/// else at list). Linear terms make the incremental cost Δc(A) = Δc(A₀) + (A − A₀)·slope.
fn price_slope(
    (n, contracts, comparator_units): (f64, &[ContractSums], &[f64]),
    summary: &[ArmSummary],
    (arm, slot, c): (usize, usize, usize),
) -> f64 {
    let reference = summary[arm].reference;
    let under_contract = summary[reference].contract.is_some();
    contracts[slot].units / n
        - reference_units(contracts, comparator_units, reference, c, under_contract) / n
}

/// One contract row's results in one PSA sample (per patient of the strategy): what the
/// probabilistic row of contracts.csv averages over the samples.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SampleContract {
    pub treated_share: f64,
    pub list_spend: f64,
    pub paid: f64,
    pub refunds: f64,
    pub admin: f64,
    /// Patients who triggered the contract, per patient of the strategy.
    pub triggered: f64,
    /// Net drug spend of the treated patients, per patient of the strategy.
    pub net: f64,
    pub manufacturer_net_revenue: f64,
    /// ∂(incremental cost)/∂(list price) per patient ([`price_slope`]).
    pub slope: f64,
    /// The drug's list price per cycle in the sample (a PSA parameter may move it).
    pub list_price: f64,
}

impl SampleContract {
    /// Its numbers in the order samples.jsonl stores them.
    pub fn numbers(&self) -> [f64; 10] {
        [
            self.treated_share,
            self.list_spend,
            self.paid,
            self.refunds,
            self.admin,
            self.triggered,
            self.net,
            self.manufacturer_net_revenue,
            self.slope,
            self.list_price,
        ]
    }

    /// The inverse of [`SampleContract::numbers`].
    pub fn from_numbers(x: [f64; 10]) -> SampleContract {
        let [
            treated_share,
            list_spend,
            paid,
            refunds,
            admin,
            triggered,
            net,
            manufacturer_net_revenue,
            slope,
            list_price,
        ] = x;
        SampleContract {
            treated_share,
            list_spend,
            paid,
            refunds,
            admin,
            triggered,
            net,
            manufacturer_net_revenue,
            slope,
            list_price,
        }
    }
}

/// Every contract row's results in one sample, in the order of `settlements` (contracts.csv's
/// rows); `prices[c]` is contract c's drug's list price in the sample.
pub fn sample_contracts(
    sums: &SampleSums,
    settlements: &[Settlement],
    summary: &[ArmSummary],
    prices: &[f64],
) -> Vec<SampleContract> {
    let n = sums.patients as f64;
    let of = (n, &sums.contracts[..], &sums.comparator_units[..]);
    settlements
        .iter()
        .map(|&Settlement { contract: c, arm, slot, .. }| {
            let k = &sums.contracts[slot];
            SampleContract {
                treated_share: k.treated as f64 / n,
                list_spend: k.list_spend / n,
                paid: k.paid / n,
                refunds: k.refunded / n,
                admin: k.admin / n,
                triggered: k.triggered as f64 / n,
                net: k.net / n,
                manufacturer_net_revenue: k.manufacturer / n,
                slope: price_slope(of, summary, (arm, slot, c)),
                list_price: prices[c],
            }
        })
        .collect()
}

/// The contract rows on the probabilistic basis: each of `base`'s rows (the deterministic
/// ones, for the rows' identities) with the means over the PSA samples of its sums, shares and
/// ratios of those means (the triggered share and the spend per treated patient pool every
/// sample's patients), and the threshold price at which the arm's mean incremental NMB over
/// the samples (`psa_summary`, the probabilistic summary) is zero:
/// A* = (Σ_s gap_s + Σ_s A_s·slope_s) / Σ_s slope_s with gap_s = λ·Δq_s − Δc_s at the sample's
/// list price A_s, exact for terms linear in the price; not computed for the others, whose
/// threshold price is a search per sample. The spread of spend per treated patient is left
/// empty (it is a spread across patients, in the base case's row). Empty without samples.
pub fn probabilistic_contract_rows(
    base: &[ContractRow],
    psa: &[super::psa::PsaSample],
    linear: &[bool],
    thresholds: &[f64],
) -> Vec<ContractRow> {
    let samples = psa.len() as f64;
    if psa.is_empty() {
        return Vec::new();
    }
    base.iter()
        .enumerate()
        .map(|(r, b)| {
            let mean = |f: &dyn Fn(&SampleContract) -> f64| {
                psa.iter().map(|s| f(&s.contracts[r])).sum::<f64>() / samples
            };
            let treated = mean(&|k| k.treated_share);
            let list_spend = mean(&|k| k.list_spend);
            let (paid, refunds) = (mean(&|k| k.paid), mean(&|k| k.refunds));
            let contract_spend = paid - refunds;
            let slope = mean(&|k| k.slope);
            let priced = mean(&|k| k.list_price * k.slope);
            let first = psa[0].contracts[r].list_price;
            let drawn = psa.iter().any(|s| s.contracts[r].list_price != first);
            let list_price = drawn.then(|| mean(&|k| k.list_price));
            let threshold_price = thresholds
                .iter()
                .map(|&l| {
                    if !linear[b.contract] {
                        return ThresholdPrice::NotSearched;
                    }
                    if slope <= 0.0 {
                        return ThresholdPrice::CostDoesNotRise;
                    }
                    let gap = psa
                        .iter()
                        .map(|s| l * s.arms[b.arm].inc_qaly.mean - s.arms[b.arm].inc_cost.mean)
                        .sum::<f64>()
                        / samples;
                    let price = (gap + priced) / slope;
                    if price >= 0.0 {
                        ThresholdPrice::At(price)
                    } else {
                        ThresholdPrice::NotEvenFree
                    }
                })
                .collect();
            ContractRow {
                arm: b.arm,
                contract: b.contract,
                slot: b.slot,
                treated_share: treated,
                list_spend,
                paid,
                refunds,
                contract_spend,
                admin: mean(&|k| k.admin),
                effective_discount: (list_spend > 0.0).then(|| 1.0 - contract_spend / list_spend),
                triggered_share: (treated > 0.0).then(|| mean(&|k| k.triggered) / treated),
                spend_per_treated: (treated > 0.0).then(|| mean(&|k| k.net) / treated),
                spend_per_treated_sd: None,
                spend_per_treated_p95: None,
                manufacturer_net_revenue: mean(&|k| k.manufacturer_net_revenue),
                threshold_price,
                list_price,
            }
        })
        .collect()
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
        let slope = price_slope((n, contracts, comparator_units), summary, (arm, slot, c));
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
            list_price: None,
        });
    }
    rows
}
