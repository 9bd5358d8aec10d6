//! A two-stage decision on a contract's registry (coverage with evidence development; Walker
//! et al., Value Health 2012): adopt now under the contract, review after a stated number of
//! years on the registry's data, then keep the contract, reprice to the value-based price given
//! the data, or withdraw, with the payer's irrecoverable cost of withdrawing; against adopting at
//! list, adopting under the contract and rejecting, under the PSA.
//!
//! Per PSA sample s, with INB_s the contract arm's incremental NMB against the comparator at λ,
//! U_s the slope of its incremental cost in the list price P_s, and T_s the registry's data at
//! the review ([`super::evsi::statistics`]): the regression of the incremental cost and QALYs
//! and of U on T (the EVPPI's smoother) gives ĝ(T) = E[INB | T] and û(T) = E[U | T]. The
//! options for the patients after the review are worth, given T: keep ĝ; reprice to
//! P̂ = max(0, P + ĝ/û) (where û > 0; else no repricing) ĝ − (P̂ − P)·û, which is 0 unless even
//! a free drug is not cost-effective; withdraw −W/((1 − w)·N). The payer takes the best, ties
//! in that order (at a tie of repricing and withdrawing without cost the patients keep the
//! drug). A share w of the decision's
//! discounted population N is treated before the review. Each policy's value per patient of N:
//!
//! - reject: 0; adopt at list: mean INB of the strategy's list arm; adopt under the contract:
//!   mean INB_s;
//! - always keep, always reprice, always withdraw: mean_s [w·INB_s + (1 − w)·option_s] − F/N;
//! - two-stage: mean_s [w·INB_s + (1 − w)·max over the options given T_s] − F/N,
//!
//! F the registry's cost beyond what the contract's administration already charges in INB: its
//! fixed cost, plus (c − a)⁺ per registry patient at the review (c its cost per patient, a the
//! contract's administration per patient). The two-stage value is at least the best of its three fixed policies (a
//! mean of maxima against a maximum of means of the same fitted values); with w = 0 and no
//! costs its gain over the better of keeping and withdrawing is the registry's EVSI.

use super::decision::Decision;
use super::evppi::{MIN_SAMPLES, regression};
use super::psa::PsaSample;
use crate::model::registry::Review;
use crate::model::{Arm, Model};
use crate::rng::SampleKey;

/// A policy of the two-stage analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Reject,
    AdoptAtList,
    AdoptUnderContract,
    AlwaysKeep,
    AlwaysReprice,
    AlwaysWithdraw,
    TwoStage,
}

impl Policy {
    pub const ALL: [Policy; 7] = [
        Policy::Reject,
        Policy::AdoptAtList,
        Policy::AdoptUnderContract,
        Policy::AlwaysKeep,
        Policy::AlwaysReprice,
        Policy::AlwaysWithdraw,
        Policy::TwoStage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Reject => "reject",
            Policy::AdoptAtList => "adopt_at_list",
            Policy::AdoptUnderContract => "adopt_under_contract",
            Policy::AlwaysKeep => "review_always_keep",
            Policy::AlwaysReprice => "review_always_reprice",
            Policy::AlwaysWithdraw => "review_always_withdraw",
            Policy::TwoStage => "two_stage",
        }
    }
}

/// One policy's value at one threshold, for one registry and strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyRow {
    pub registry: usize,
    pub strategy: usize,
    pub wtp: f64,
    pub policy: Policy,
    /// Expected incremental NMB per patient of the decision population, and its standard
    /// error over the samples.
    pub value: (f64, f64),
    /// Of the population.
    pub population: f64,
    /// The two-stage policy's shares of samples choosing keep, reprice and withdraw at the
    /// review (`None` for the other policies).
    pub choices: Option<[f64; 3]>,
}

/// Mean and its standard error.
fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, (var / n).sqrt())
}

/// The share of the decision's discounted population treated before the review.
fn review_share(model: &Model, review: &Review) -> Option<f64> {
    let cohorts = super::psa::decision_cohorts(model)?;
    let total: f64 = cohorts.iter().sum();
    let before: f64 = cohorts.iter().take(review.after_years as usize).sum();
    Some(before / total)
}

/// Every registry with a review: each policy's value per strategy under its contract and
/// threshold (empty without PSA samples, or below [`MIN_SAMPLES`]).
pub fn policy_rows(
    model: &Model,
    (arms, rows): (&[Arm], &[super::contracts::ContractRow]),
    decision: &Decision,
    psa: &[PsaSample],
    seed: u64,
) -> Vec<PolicyRow> {
    let mut out = Vec::new();
    if psa.len() < MIN_SAMPLES {
        return out;
    }
    let Some(population) = super::psa::decision_population(model) else { return out };
    let comparator = model.meta.comparator;
    for (ri, registry) in model.registries.iter().enumerate() {
        let Some(review) = &registry.review else { continue };
        let Some((analysis, thetas)) = super::evsi::informed(model, registry, decision, psa) else {
            continue;
        };
        let Some(w) = review_share(model, review) else { continue };
        let keys: Vec<SampleKey> = psa.iter().map(|s| SampleKey::new(seed, s.sample)).collect();
        let data = super::evsi::statistics(registry, review.patients, (&thetas, &keys));
        let columns: Vec<&[f64]> = data.iter().map(Vec::as_slice).collect();
        let regression = regression(&columns);
        let fit = |y: &[f64]| match &regression {
            Some(r) => r.fit(y),
            None => vec![y.iter().sum::<f64>() / y.len() as f64; y.len()],
        };
        let set = &analysis.set;
        let base = set.arms[comparator];
        for (strategy, &arm) in set.arms.iter().enumerate() {
            if strategy == comparator {
                continue;
            }
            let Some(row) = rows.iter().position(|r| r.arm == arm) else { continue };
            let list = arms.iter().position(|a| a.strategy == strategy && a.contract.is_none());
            let Some(list) = list else { continue };
            let inc = |a: usize, s: &PsaSample| {
                (
                    s.arms[a].cost.mean - s.arms[base].cost.mean,
                    s.arms[a].qaly.mean - s.arms[base].qaly.mean,
                )
            };
            let dc: Vec<f64> = psa.iter().map(|s| inc(arm, s).0).collect();
            let dq: Vec<f64> = psa.iter().map(|s| inc(arm, s).1).collect();
            let slope: Vec<f64> = psa.iter().map(|s| s.contracts[row].slope).collect();
            let (fc, fq, fu) = (fit(&dc), fit(&dq), fit(&slope));
            // The registry's cost beyond the contract's own tracking of its patients (already
            // in INB): its fixed cost, and per registry patient what it costs above the
            // contract's administration per patient.
            let tracking = model.value(model.contracts[registry.contract].admin_per_patient);
            let extra = (registry.cost_per_patient - tracking).max(0.0) * review.patients as f64;
            let fixed = (registry.fixed_cost + extra) / population;
            let withdraw =
                if w < 1.0 { -review.withdrawal_cost / ((1.0 - w) * population) } else { 0.0 };
            for &l in &model.meta.thresholds {
                let inb: Vec<f64> = dc.iter().zip(&dq).map(|(c, q)| l * q - c).collect();
                let list_inb: Vec<f64> = psa
                    .iter()
                    .map(|s| {
                        let (c, q) = inc(list, s);
                        l * q - c
                    })
                    .collect();
                let mut values: Vec<Vec<f64>> =
                    (0..4).map(|_| Vec::with_capacity(psa.len())).collect();
                let mut choices = [0.0; 3];
                for (k, s) in psa.iter().enumerate() {
                    let g = l * fq[k] - fc[k];
                    let price = s.contracts[row].list_price;
                    // At the value-based price given T the expected INB is 0 by definition
                    // (written so, not as ĝ − (P̂ − P)·û, which rounds to ±1e-13); a drug not
                    // cost-effective even free is repriced to 0.
                    let reprice = match (fu[k] > 0.0, price + g / fu[k]) {
                        (true, at) if at >= 0.0 => 0.0,
                        (true, _) => g + price * fu[k],
                        (false, _) => g,
                    };
                    // Ties go to the first: keep, then reprice, then withdraw.
                    let options = [g, reprice, withdraw];
                    let best = (0..3).fold(0, |b, o| if options[o] > options[b] { o } else { b });
                    choices[best] += 1.0;
                    let phase = |v: f64| w * inb[k] + (1.0 - w) * v - fixed;
                    for (o, option) in options.iter().enumerate() {
                        values[o].push(phase(*option));
                    }
                    values[3].push(phase(options[best]));
                }
                let n = psa.len() as f64;
                let policies = [
                    (Policy::Reject, (0.0, 0.0), None),
                    (Policy::AdoptAtList, mean_se(&list_inb), None),
                    (Policy::AdoptUnderContract, mean_se(&inb), None),
                    (Policy::AlwaysKeep, mean_se(&values[0]), None),
                    (Policy::AlwaysReprice, mean_se(&values[1]), None),
                    (Policy::AlwaysWithdraw, mean_se(&values[2]), None),
                    (Policy::TwoStage, mean_se(&values[3]), Some(choices.map(|c| c / n))),
                ];
                for (policy, value, choices) in policies {
                    out.push(PolicyRow {
                        registry: ri,
                        strategy,
                        wtp: l,
                        policy,
                        value,
                        population: value.0 * population,
                        choices,
                    });
                }
            }
        }
    }
    out
}
