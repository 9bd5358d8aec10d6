//! Results by subgroup (`[subgroups]`; docs, Model → Subgroups): the base case's summary of
//! every arm among the patients of each level, against the comparator at list among the same
//! patients; and across PSA samples, each level's probability of cost-effectiveness, CEAC,
//! CEAF and EVPI.

use super::cea::{ArmSummary, summarise_arms};
use super::contracts::{ContractRow, contract_rows_of};
use super::decision::Decision;
use super::psa::{Acceptability, PsaSample, Table, acceptability};
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
    /// searched here (the run searches them by re-simulation, `workflow::run`).
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
    let references = model.references(arms);
    for s in &model.subgroups {
        for level in &s.levels {
            let Some(g) = sums_of.next() else { return out };
            let m = &model.meta;
            let summary = (g.patients > 0)
                .then(|| summarise_arms((&g.arms, g.patients), arms, &references, &m.thresholds));
            let contracts = match &summary {
                Some(summary) => contract_rows_of(
                    (g.patients, &g.contracts, &g.comparator_units),
                    &model.settlements(),
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

/// The subgroup and level names of a flat level index (as [`subgroup_results`] orders them).
pub fn level_name(model: &Model, mut level: usize) -> (&str, &str) {
    for s in &model.subgroups {
        match s.levels.get(level) {
            Some(name) => return (&s.name, name),
            None => level -= s.levels.len(),
        }
    }
    ("", "")
}

/// One level's analyses across the PSA samples in which it has patients.
#[derive(Clone, Debug, PartialEq)]
pub struct SubgroupPsa {
    /// Index of the level among all levels of all subgroups (as [`subgroup_results`]).
    pub level: usize,
    /// The samples the analyses are over: those in which some patient is in the level.
    pub samples: usize,
    /// Per arm and threshold: the share of those samples in which the arm's incremental NMB
    /// against the comparator at list, among the level's patients, is positive (`None` for
    /// the comparator at list).
    pub prob_ce: Vec<Vec<Option<f64>>>,
    /// Per decision set (in the order of [`Decision::sets`]): CEAC, CEAF and EVPI per patient
    /// over the willingness-to-pay grid.
    pub sets: Vec<Vec<Acceptability>>,
    /// The discounted number of the level's patients the decision applies to: the population's
    /// (`payer.population` a year over the decision's years, discounted) times the level's
    /// share of the base case's patients (`None` without `payer.population`).
    pub population: Option<f64>,
}

/// Every level's analyses across PSA samples (empty without samples or subgroups); `shares`:
/// each level's share of the base case's patients.
pub fn subgroup_psa(
    model: &Model,
    (arms, shares): (&[Arm], &[f64]),
    decision: &Decision,
    psa: &[PsaSample],
) -> Vec<SubgroupPsa> {
    let levels = psa.first().map_or(0, |s| s.subgroups.len());
    let references = model.references(arms);
    let cohorts = super::psa::decision_population(model);
    (0..levels)
        .map(|level| {
            // The samples with patients in the level: each arm's (cost, QALYs) among them.
            let present: Vec<&Vec<(f64, f64)>> =
                psa.iter().filter_map(|s| s.subgroups[level].as_ref()).collect();
            let n = present.len() as f64;
            let prob_ce = (0..arms.len())
                .map(|i| {
                    model
                        .meta
                        .thresholds
                        .iter()
                        .map(|&l| {
                            let reference = references[i];
                            if i == reference || present.is_empty() {
                                return None;
                            }
                            let nmb = |&(c, q): &(f64, f64)| l * q - c;
                            let wins = present.iter().filter(|s| nmb(&s[i]) > nmb(&s[reference]));
                            Some(wins.count() as f64 / n)
                        })
                        .collect()
                })
                .collect();
            let sets = decision
                .sets
                .iter()
                .map(|d| {
                    let table: Table = present
                        .iter()
                        .map(|s| d.set.arms.iter().map(|&a| s[a]).collect())
                        .collect();
                    if table.is_empty() {
                        return Vec::new();
                    }
                    acceptability(&table, &model.meta.wtp_grid)
                })
                .collect();
            let share = shares.get(level).copied().unwrap_or(0.0);
            let population = cohorts.map(|k| k * share);
            SubgroupPsa { level, samples: present.len(), prob_ce, sets, population }
        })
        .collect()
}
