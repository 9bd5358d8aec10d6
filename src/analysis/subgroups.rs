//! Results by subgroup (`[subgroups]`; docs, Model → Subgroups): the base case's summary of
//! every arm among the patients of each level, against the comparator at list among the same
//! patients.

use super::cea::{ArmSummary, summarise_arms};
use super::contracts::{ContractRow, contract_rows_of};
use crate::model::{Arm, Model};
use crate::sim::accumulator::SampleSums;

/// One level of one subgroup.
#[derive(Clone, Debug)]
pub struct SubgroupResult {
    pub subgroup: String,
    pub level: String,
    pub patients: u64,
    /// Every arm's summary among these patients (`None`: the level has no patient).
    pub arms: Option<Vec<ArmSummary>>,
    /// Every contract arm's row among these patients (empty without patients or contracts):
    /// threshold prices of linear contracts from the level's own sums, the others' not
    /// searched.
    pub contracts: Vec<ContractRow>,
}

/// Every level of every subgroup, in the scenario's order (empty without subgroup sums).
pub fn subgroup_results(
    model: &Model,
    (arms, prices): (&[Arm], &[f64]),
    sums: &SampleSums,
) -> Vec<SubgroupResult> {
    // Non-linear contracts' threshold prices need a search on the whole sample: none here.
    let linear: Vec<bool> = model.contracts.iter().map(|c| c.kind.is_linear()).collect();
    let mut sums_of = sums.subgroups.iter();
    let mut out = Vec::new();
    for s in &model.subgroups {
        for level in &s.levels {
            let Some(g) = sums_of.next() else { return out };
            let m = &model.meta;
            let summary = (g.patients > 0)
                .then(|| summarise_arms((&g.arms, g.patients), arms, m.comparator, &m.thresholds));
            let contracts = match &summary {
                Some(summary) => contract_rows_of(
                    (g.patients, &g.contracts, &g.comparator_units),
                    arms,
                    summary,
                    (prices, &linear),
                    &m.thresholds,
                ),
                None => Vec::new(),
            };
            out.push(SubgroupResult {
                subgroup: s.name.clone(),
                level: level.clone(),
                patients: g.patients,
                arms: summary,
                contracts,
            });
        }
    }
    out
}
