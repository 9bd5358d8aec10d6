//! The decision analysis of every decision set, computed once for all the tables and plots
//! that show it: the incremental analysis (efficiency frontier) and, with PSA samples, the
//! CEAC, CEAF and EVPI over the willingness-to-pay grid and the EVPPI of each uncertain
//! parameter.

use super::cea::ArmSummary;
use super::frontier::{DecisionSet, FrontierRow, decision_sets, frontier};
use super::psa::{Acceptability, PsaSample, Table, acceptability};
use crate::model::{Arm, Model};

/// What an incremental analysis is computed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// The base case's means (a run without PSA samples).
    Deterministic,
    /// The means over the PSA samples.
    Probabilistic,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Deterministic => "deterministic",
            Basis::Probabilistic => "probabilistic",
        }
    }
}

/// One decision set's analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct SetAnalysis {
    pub set: DecisionSet,
    /// Mean (cost, QALYs) of each arm of the set, on the [`Decision::basis`].
    pub points: Vec<(f64, f64)>,
    /// The incremental analysis of `points`, in order of increasing cost.
    pub frontier: Vec<FrontierRow>,
    /// CEAC, CEAF and EVPI per patient at each point of the willingness-to-pay grid (empty
    /// without PSA samples).
    pub acceptability: Vec<Acceptability>,
    /// EVPI of the population at each point of the grid (`None` without `payer.population`).
    pub evpi_population: Vec<Option<f64>>,
    /// Per EVPPI subject ([`Model::evppi_subjects`]: every uncertain parameter, then every
    /// group) and grid point (empty without PSA).
    pub evppi: Vec<Vec<EvppiCell>>,
}

/// The EVPPI of one parameter or group at one willingness to pay (`None` where it cannot be
/// estimated: fewer than [`super::evppi::MIN_SAMPLES`] samples).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvppiCell {
    pub per_patient: Option<f64>,
    /// Its Monte Carlo standard error (the fitted regression taken as known).
    pub se: Option<f64>,
    /// Of the population (as the EVPI's).
    pub population: Option<f64>,
}

/// The decision analysis of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub basis: Basis,
    /// `list`, then one set per contract (see [`decision_sets`]).
    pub sets: Vec<SetAnalysis>,
}

/// The decision sets of a model with its arms.
fn sets(model: &Model, arms: &[Arm]) -> Vec<DecisionSet> {
    let same = model.meta.comparator_contract == crate::model::ComparatorContract::Same;
    let comparator = (model.meta.comparator, same);
    decision_sets(arms, model.strategies.len(), model.contracts.len(), comparator)
}

/// The samples' (cost, qaly) of a decision set's arms.
pub(super) fn table(psa: &[PsaSample], set: &DecisionSet) -> Table {
    psa.iter()
        .map(|s| set.arms.iter().map(|&a| (s.arms[a].cost.mean, s.arms[a].qaly.mean)).collect())
        .collect()
}

/// The decision analysis of every decision set: on the PSA means with PSA samples, else on the
/// base case `base`.
pub fn decision(model: &Model, arms: &[Arm], base: &[ArmSummary], psa: &[PsaSample]) -> Decision {
    let basis = if psa.is_empty() { Basis::Deterministic } else { Basis::Probabilistic };
    // The population a decision applies to: N patients a year over its lifetime, discounted.
    let cohorts = super::psa::decision_population(model);
    let grid = &model.meta.wtp_grid;
    let subjects = model.evppi_subjects();
    let sets = sets(model, arms)
        .into_iter()
        .map(|set| {
            if psa.is_empty() {
                let points = set.arms.iter().map(|&a| (base[a].cost.mean, base[a].qaly.mean));
                let points: Vec<(f64, f64)> = points.collect();
                return SetAnalysis {
                    frontier: frontier(&points),
                    set,
                    points,
                    acceptability: Vec::new(),
                    evpi_population: Vec::new(),
                    evppi: Vec::new(),
                };
            }
            let t = table(psa, &set);
            let n = t.len() as f64;
            let points: Vec<(f64, f64)> = (0..set.arms.len())
                .map(|j| {
                    let c = t.iter().map(|row| row[j].0).sum::<f64>() / n;
                    let q = t.iter().map(|row| row[j].1).sum::<f64>() / n;
                    (c, q)
                })
                .collect();
            let acceptability = acceptability(&t, grid);
            let evpi_population =
                acceptability.iter().map(|a| cohorts.map(|k| a.evpi * k)).collect();
            let evppi = subjects
                .iter()
                .map(|subject| {
                    let columns: Vec<Vec<f64>> = (subject.columns.iter())
                        .map(|&k| psa.iter().map(|s| s.values[k]).collect())
                        .collect();
                    let columns: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
                    super::evppi::evppi(&columns, &t, grid)
                        .into_iter()
                        .map(|v| EvppiCell {
                            per_patient: v.map(|v| v.0),
                            se: v.map(|v| v.1),
                            population: v.and_then(|v| cohorts.map(|c| v.0 * c)),
                        })
                        .collect()
                })
                .collect();
            SetAnalysis {
                frontier: frontier(&points),
                set,
                points,
                acceptability,
                evpi_population,
                evppi,
            }
        })
        .collect();
    Decision { basis, sets }
}
