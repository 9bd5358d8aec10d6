//! Everything a run's output folder shows, computed once: the base case's tables, the
//! selection sweep, the PSA samples and what is derived from them (decision analysis, PSA
//! summaries, probabilities of cost-effectiveness, budget bands, warnings). The writers read
//! these and compute nothing.

use super::budget::{BudgetHeadline, BudgetRow};
use super::cea::{ArmSummary, Estimate};
use super::cohort::CohortRow;
use super::contracts::ContractRow;
use super::decision::{Basis, Decision, decision};
use super::partners::PartnerRow;
use super::psa::{PsaSample, SampleArm, Spread, noise_share, spread};
use crate::model::{Arm, Model};

/// A result with a NaN or an infinity in it: never written (validated scenarios keep every
/// magnitude bounded, so this is the last line of defence; samples merged from shards or
/// resumed from a checkpoint are finite one by one, but their means may still overflow).
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("the simulation produced a non-finite {what} for {place}; check the scenario's magnitudes")]
pub struct NonFinite {
    /// Whose number it is: ``arm `strategy/contract` `` or ``decision set `name` ``.
    pub place: String,
    pub what: String,
}

impl NonFinite {
    /// A non-finite `what` of the arm named `arm`.
    pub fn arm(arm: impl std::fmt::Display, what: impl Into<String>) -> Self {
        NonFinite { place: format!("arm `{arm}`"), what: what.into() }
    }
}

/// One cutoff of a selection test's sweep: the base case re-simulated on the same patients
/// with the test read at `cutoff`.
#[derive(Clone, Debug)]
pub struct SelectionPoint {
    /// Index into `Model::tests`.
    pub test: usize,
    pub cutoff: f64,
    pub sensitivity: f64,
    pub specificity: f64,
    pub summary: Vec<ArmSummary>,
    pub contracts: Vec<ContractRow>,
}

/// One strategy's survival curves on the monthly grid: the share progression-free and the
/// share alive after each month 0, 1, … of the horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct SurvivalCurves {
    pub pfs: Vec<f64>,
    pub os: Vec<f64>,
    /// With pathways after progression: per state of every pathway (in model order, state by
    /// state), the share in it after each month; and the share progressed outside any pathway
    /// state. Both empty without pathways.
    pub states: Vec<Vec<f64>>,
    pub progressed: Vec<f64>,
    /// The share dead after each month, from whole patients (not 1 − `os`, which rounds).
    pub dead: Vec<f64>,
}

/// A measure of an arm summarised across PSA samples (psa_summary.csv).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Cost,
    Qaly,
    Ly,
    IncCost,
    IncQaly,
    /// Incremental NMB at threshold k.
    IncNmb(usize),
}

impl Measure {
    /// The measures of an arm with `thresholds` thresholds, in the order of psa_summary.csv.
    pub fn all(thresholds: usize) -> Vec<Measure> {
        let mut m = vec![Measure::Cost, Measure::Qaly, Measure::Ly, Measure::IncCost];
        m.push(Measure::IncQaly);
        m.extend((0..thresholds).map(Measure::IncNmb));
        m
    }

    /// The measure of an arm in one PSA sample (or of the base case's arm, as a sample's).
    fn of_sample(self, r: &SampleArm) -> Estimate {
        match self {
            Measure::Cost => r.cost,
            Measure::Qaly => r.qaly,
            Measure::Ly => r.ly,
            Measure::IncCost => r.inc_cost,
            Measure::IncQaly => r.inc_qaly,
            Measure::IncNmb(k) => r.inc_nmb[k],
        }
    }

    /// Its name in messages (`inc_nmb at <threshold>` with the model's thresholds; psa_summary.csv
    /// writes the threshold in its `wtp` column).
    pub fn name(self, thresholds: &[f64]) -> String {
        match self {
            Measure::Cost => "cost".to_string(),
            Measure::Qaly => "qaly".to_string(),
            Measure::Ly => "ly".to_string(),
            Measure::IncCost => "inc_cost".to_string(),
            Measure::IncQaly => "inc_qaly".to_string(),
            Measure::IncNmb(k) => format!("inc_nmb at {}", thresholds[k]),
        }
    }
}

/// One row of psa_summary.csv: an arm's measure in the base case and across the PSA samples.
#[derive(Clone, Debug, PartialEq)]
pub struct PsaSummaryRow {
    /// Index into the arms.
    pub arm: usize,
    pub measure: Measure,
    pub base_case: f64,
    pub spread: Spread,
    /// Root mean square of the samples' own standard errors: the patient-level noise inside
    /// each sample's mean.
    pub within_sample_se: f64,
}

/// The PSA band of one budget impact total row (a contract column and year): the spend in the
/// world with the new strategy and the net budget impact across samples.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetBand {
    pub contract: Option<usize>,
    pub year: usize,
    pub with: Spread,
    pub net: Spread,
}

/// The arms (`strategy/contract`) every run has, the reference arms (the comparator) left out, in the
/// first run's order: the arms a comparison of scenarios can set side by side.
pub fn common_arms(runs: &[(&Model, &Results)]) -> Vec<String> {
    let Some((first, results)) = runs.first() else { return Vec::new() };
    let names = |m: &Model, r: &Results| -> Vec<String> {
        r.summary.iter().map(|a| m.arm_name(a.strategy, a.contract)).collect()
    };
    let others: Vec<Vec<String>> = runs.iter().map(|(m, r)| names(m, r)).collect();
    results
        .summary
        .iter()
        .enumerate()
        .filter(|&(i, a)| a.reference != i)
        .map(|(_, a)| first.arm_name(a.strategy, a.contract))
        .filter(|n| others.iter().all(|names| names.contains(n)))
        .collect()
}

/// Every strategy's survival curves from a simulation's survival counts.
pub fn survival_curves(sums: &crate::sim::accumulator::SampleSums) -> Vec<SurvivalCurves> {
    use crate::sim::accumulator::SurvivalCounts;
    let n = sums.patients;
    let share = |c: u64| c as f64 / n as f64;
    sums.survival
        .iter()
        .enumerate()
        .map(|(s, counts)| {
            let occupied: Vec<Vec<u64>> = sums
                .states
                .get(s)
                .map_or(Vec::new(), |st| st.iter().map(|c| c.occupancy()).collect());
            // Progressed outside a pathway, in whole patients: alive − progression-free − in a
            // pathway state (every term counted, so the difference is exact).
            let progressed = if occupied.is_empty() {
                Vec::new()
            } else {
                let (alive, free) = (running(&counts.os(), n), running(&counts.pfs(), n));
                (0..alive.len())
                    .map(|m| {
                        let inside: u64 = occupied.iter().map(|o| o[m]).sum();
                        debug_assert!(free[m] + inside <= alive[m]);
                        share(alive[m].saturating_sub(free[m] + inside))
                    })
                    .collect()
            };
            let dead = running(&counts.os(), n).iter().map(|&alive| share(n - alive)).collect();
            SurvivalCurves {
                dead,
                pfs: SurvivalCounts::curve(&counts.pfs(), n),
                os: SurvivalCounts::curve(&counts.os(), n),
                states: occupied.iter().map(|o| o.iter().map(|&c| share(c)).collect()).collect(),
                progressed,
            }
        })
        .collect()
}

/// The share of the simulated patients alive after each grid month on general-population
/// mortality alone (empty without `[population]`): the survival plot's overlay.
pub fn general_population_curve(sums: &crate::sim::accumulator::SampleSums) -> Vec<f64> {
    use crate::sim::accumulator::SurvivalCounts;
    sums.general_population
        .first()
        .map_or(Vec::new(), |counts| SurvivalCounts::curve(&counts.os(), sums.patients))
}

/// The share of patient time above which a strategy's disease death hazards below the general
/// population's make the run warn.
pub const BELOW_BACKGROUND_WARNING: f64 = 0.10;

/// A warning per strategy whose death hazard from the disease alone is below the general
/// population's for more than [`BELOW_BACKGROUND_WARNING`] of its patients' time alive (the
/// base case's estimate; docs, Model → Population and background mortality).
pub fn background_warnings(
    model: &Model,
    sums: &crate::sim::accumulator::SampleSums,
) -> Vec<String> {
    let Some(p) = &model.population else { return Vec::new() };
    let what = match p.mortality {
        crate::model::Mortality::Floor => {
            "background_mortality = \"floor\" raises it to the general population's there"
        }
        crate::model::Mortality::Added => {
            "the general population's is added to it there (background_mortality = \"added\"): check that the scenario's death hazards are the disease's own (excess) hazards, not all-cause ones, or use \"floor\""
        }
    };
    sums.below_background
        .iter()
        .enumerate()
        .filter(|(_, c)| c.time > 0.0 && c.below / c.time > BELOW_BACKGROUND_WARNING)
        .map(|(s, c)| {
            format!(
                "strategy `{}`: for {:.0} % of its patients' time alive the death hazard from the disease alone is below the general population's at their ages (more than {:.0} %); {what}",
                model.strategies[s].name,
                100.0 * c.below / c.time,
                100.0 * BELOW_BACKGROUND_WARNING
            )
        })
        .collect()
}

/// Patients still without the event after each grid month, from the event counts per bin (as
/// [`crate::sim::accumulator::SurvivalCounts::curve`], in whole patients).
fn running(counts: &[u64], n: u64) -> Vec<u64> {
    let mut left = n;
    counts[..counts.len() - 1]
        .iter()
        .map(|c| {
            left -= c;
            left
        })
        .collect()
}

/// What one simulation of the base case gives (before the PSA).
#[derive(Clone, Debug)]
pub struct BaseCase {
    pub arms: Vec<Arm>,
    pub summary: Vec<ArmSummary>,
    pub contracts: Vec<ContractRow>,
    /// Cohort-level contracts' settlements per calendar year (empty without them).
    pub cohort: Vec<CohortRow>,
    /// Combination partners' shares of spend and value (empty without combinations).
    pub partners: Vec<PartnerRow>,
    /// Budget impact rows (empty without `[budget_impact]`).
    pub budget: Vec<BudgetRow>,
    /// Clinical events per budget year in each world (empty without `[budget_impact]`).
    pub budget_events: Vec<super::budget::BudgetEventRow>,
    /// Per strategy.
    pub survival: Vec<SurvivalCurves>,
    /// The same patients' survival on general-population mortality alone, per grid month
    /// (empty without `[population]`).
    pub general_population: Vec<f64>,
    /// Every strategy's lines of therapy.
    pub lines: Vec<super::lines::LineRow>,
    /// Every level of every subgroup (empty without `[subgroups]`).
    pub subgroups: Vec<super::subgroups::SubgroupResult>,
    /// Warnings about the base case's simulation (kept whatever the PSA adds).
    pub warnings: Vec<String>,
}

/// A run's results.
#[derive(Clone, Debug)]
pub struct Results {
    pub arms: Vec<Arm>,
    /// The deterministic base case per arm.
    pub summary: Vec<ArmSummary>,
    /// The same arms on the means over the PSA samples (empty without PSA).
    pub summary_psa: Vec<ArmSummary>,
    pub contracts: Vec<ContractRow>,
    /// The same contract rows on the means over the PSA samples (empty without PSA).
    pub contracts_psa: Vec<ContractRow>,
    pub cohort: Vec<CohortRow>,
    pub partners: Vec<PartnerRow>,
    pub budget: Vec<BudgetRow>,
    /// Clinical events per budget year in each world (budget_impact_events.csv).
    pub budget_events: Vec<super::budget::BudgetEventRow>,
    pub survival: Vec<SurvivalCurves>,
    /// The base case's patients' survival on general-population mortality alone (empty
    /// without `[population]`).
    pub general_population: Vec<f64>,
    /// Every strategy's lines of therapy in the base case.
    pub lines: Vec<super::lines::LineRow>,
    /// The base case by subgroup (empty without `[subgroups]`).
    pub subgroups: Vec<super::subgroups::SubgroupResult>,
    /// The base case re-simulated at each cutoff of each selection test's sweep.
    pub selection: Vec<SelectionPoint>,
    /// PSA samples 1…S in order (empty without PSA).
    pub psa: Vec<PsaSample>,
    /// The decision analysis (on the PSA means with PSA, else on the base case).
    pub decision: Decision,
    /// Each registry's EVSI per size and threshold (empty without PSA samples or
    /// `[[registries]]`).
    pub evsi: Vec<super::evsi::EvsiRow>,
    /// The two-stage decision of each registry with a review (empty without PSA samples or
    /// reviews).
    pub renegotiation: Vec<super::renegotiation::PolicyRow>,
    /// Per arm and threshold: the share of PSA samples in which the arm's incremental NMB
    /// against the comparator is positive (`None` for the comparator at list, and without PSA).
    pub prob_ce: Vec<Vec<Option<f64>>>,
    /// Every subgroup level's probability of cost-effectiveness, CEAC, CEAF and EVPI across the
    /// PSA samples (empty without PSA or `[subgroups]`).
    pub subgroup_psa: Vec<super::subgroups::SubgroupPsa>,
    /// The decision in a few numbers (the console's closing summary, the report's first
    /// section).
    pub headline: super::headline::Headline,
    /// psa_summary.csv (empty without PSA).
    pub psa_summary: Vec<PsaSummaryRow>,
    /// budget_impact_psa.csv (empty without PSA or budget impact).
    pub budget_bands: Vec<BudgetBand>,
    /// The budget impact in one line (`None` without budget impact).
    pub budget_headline: Option<BudgetHeadline>,
    /// Warnings about the results (printed and recorded in run.json): the base case's, then
    /// the PSA's.
    pub warnings: Vec<String>,
    /// The base case's warnings (see [`BaseCase::warnings`]).
    pub base_warnings: Vec<String>,
    /// The PSA's worst patient-level noise, when above [`NOISE_WARNING`].
    pub noise: Option<Noise>,
    /// Whether the folder gets psa.csv, the table of every sample's arms: with PSA samples, up
    /// to [`PSA_TABLE_MOST_SAMPLES`] of them, or more when asked for
    /// ([`Results::keep_psa_table`]); a warning says why it is missing.
    pub psa_table: bool,
    pub patients: u64,
    pub seed: u64,
}

/// The most PSA samples whose psa.csv (one row per sample and arm, about 300 bytes a row with
/// the default scenario's 16 cost categories) is written without being asked for: 100,000
/// samples of a 7-arm scenario make 700,000 rows, about 200 MB, within a spreadsheet's
/// 1,048,576 rows. Above it psa.csv grows to gigabytes, and its summaries (psa_summary.csv,
/// parameters.csv, the CEAC and EVPI tables) are what a reader uses.
pub const PSA_TABLE_MOST_SAMPLES: usize = 100_000;

/// The warning of a run whose psa.csv is not written.
fn psa_table_warning(samples: usize, arms: usize) -> String {
    format!(
        "psa.csv is not written: {samples} PSA samples × {arms} arms would make {} rows (more than {PSA_TABLE_MOST_SAMPLES} samples); psa_summary.csv, parameters.csv and the CEAC, EVPI and EVPPI tables summarise them; `--psa-csv` writes it",
        samples as u128 * arms as u128
    )
}

impl Results {
    /// The results of a base case, its selection sweep and PSA samples (1…S in order) of a run
    /// of `patients` patients per strategy and `seed`.
    pub fn new(
        model: &Model,
        base: BaseCase,
        selection: Vec<SelectionPoint>,
        psa: Vec<PsaSample>,
        (patients, seed): (u64, u64),
    ) -> Results {
        let BaseCase {
            arms,
            summary,
            contracts,
            cohort,
            partners,
            budget,
            budget_events,
            survival,
            general_population,
            lines,
            subgroups,
            warnings,
        } = base;
        let mut r = Results {
            // Computed, with the rest of the PSA's analyses, by `set_psa` below.
            decision: Decision { basis: Basis::Deterministic, sets: Vec::new() },
            evsi: Vec::new(),
            renegotiation: Vec::new(),
            arms,
            summary,
            summary_psa: Vec::new(),
            contracts,
            contracts_psa: Vec::new(),
            cohort,
            partners,
            budget_headline: BudgetHeadline::of(&budget),
            budget,
            budget_events,
            survival,
            general_population,
            lines,
            subgroups,
            selection,
            psa: Vec::new(),
            prob_ce: Vec::new(),
            subgroup_psa: Vec::new(),
            headline: super::headline::Headline {
                basis: Basis::Deterministic,
                thresholds: Vec::new(),
                switches: Vec::new(),
                prices: Vec::new(),
                manufacturer_order: Vec::new(),
            },
            psa_summary: Vec::new(),
            budget_bands: Vec::new(),
            warnings: Vec::new(),
            base_warnings: warnings,
            noise: None,
            psa_table: false,
            patients,
            seed,
        };
        r.set_psa(model, psa);
        r
    }

    /// Refuse a result with a NaN or an infinity in it: the base case's numbers and every
    /// number derived from the PSA samples (the decision analysis, the probabilities of
    /// cost-effectiveness, psa_summary and the budget bands), naming the first one found.
    pub fn check_finite(&self, model: &Model) -> Result<(), NonFinite> {
        self.check_base_case(model)?;
        self.check_decision(model)?;
        for r in &self.summary_psa {
            let estimates = [&r.cost, &r.qaly, &r.ly, &r.ly_undiscounted, &r.inc_cost, &r.inc_qaly];
            let numbers =
                (estimates.into_iter().chain([&r.inc_ly]).chain(&r.nmb).chain(&r.inc_nmb))
                    .flat_map(|e| std::iter::once(e.mean).chain(e.mcse))
                    .chain(r.icer);
            if numbers.into_iter().any(|x| !x.is_finite()) {
                let arm = model.arm_name(r.strategy, r.contract);
                return Err(NonFinite::arm(arm, "probabilistic summary"));
            }
        }
        for r in &self.contracts_psa {
            if r.numbers().any(|x| !x.is_finite()) {
                let arm = model.arm_name(self.arms[r.arm].strategy, self.arms[r.arm].contract);
                let what =
                    format!("probabilistic contract row of {}", model.contracts[r.contract].name);
                return Err(NonFinite::arm(arm, &what));
            }
        }
        for g in &self.subgroup_psa {
            let acceptability = g.sets.iter().flatten();
            let numbers = acceptability.flat_map(|a| a.expected_nmb.iter().chain([&a.evpi]));
            if numbers.copied().any(|x| !x.is_finite()) {
                let (subgroup, level) = super::subgroups::level_name(model, g.level);
                let place = format!("subgroup `{subgroup}` level `{level}`");
                return Err(NonFinite {
                    place,
                    what: "expected NMB or EVPI across PSA samples".into(),
                });
            }
        }
        let arm = |i: usize| model.arm_name(self.arms[i].strategy, self.arms[i].contract);
        for (i, probabilities) in self.prob_ce.iter().enumerate() {
            if probabilities.iter().flatten().any(|p| !p.is_finite()) {
                return Err(NonFinite::arm(arm(i), "probability of cost-effectiveness"));
            }
        }
        for r in &self.psa_summary {
            let sp = &r.spread;
            let numbers = [r.base_case, sp.mean, sp.sd, sp.mcse, sp.low, sp.high];
            if numbers.into_iter().chain([r.within_sample_se]).any(|x| !x.is_finite()) {
                let measure = r.measure.name(&model.meta.thresholds);
                return Err(NonFinite::arm(arm(r.arm), format!("{measure} across PSA samples")));
            }
        }
        for band in &self.budget_bands {
            let numbers = [&band.with, &band.net]
                .into_iter()
                .flat_map(|s| [s.mean, s.sd, s.mcse, s.low, s.high]);
            if numbers.into_iter().any(|x| !x.is_finite()) {
                let place = format!(
                    "budget impact year {} under `{}`",
                    band.year,
                    model.contract_name(band.contract)
                );
                let what = "spend across PSA samples".to_string();
                return Err(NonFinite { place, what });
            }
        }
        Ok(())
    }

    /// The base case's summary, cohort and budget numbers.
    fn check_base_case(&self, model: &Model) -> Result<(), NonFinite> {
        for (i, r) in self.summary.iter().enumerate() {
            let mut values = vec![
                ("cost", r.cost.mean),
                ("qaly", r.qaly.mean),
                ("ly", r.ly.mean),
                ("ly_undiscounted", r.ly_undiscounted.mean),
                ("inc_cost", r.inc_cost.mean),
                ("inc_qaly", r.inc_qaly.mean),
                ("inc_ly", r.inc_ly.mean),
            ];
            values.extend(r.categories.iter().map(|c| ("category cost", *c)));
            for c in self.cohort.iter().filter(|c| c.arm == i) {
                values.extend([
                    ("cohort drug spend", c.drug_spend),
                    ("cohort refund", c.refund),
                    ("cohort patients", c.patients_treated),
                ]);
            }
            values.extend(r.nmb.iter().chain(&r.inc_nmb).map(|e| ("nmb", e.mean)));
            values.extend(
                [&r.cost, &r.qaly, &r.ly, &r.ly_undiscounted, &r.inc_cost, &r.inc_qaly, &r.inc_ly]
                    .into_iter()
                    .chain(&r.nmb)
                    .chain(&r.inc_nmb)
                    .filter_map(|e| e.mcse)
                    .map(|m| ("standard error", m)),
            );
            if let Some(x) = r.icer {
                values.push(("icer", x));
            }
            if i == 0 {
                values.extend(
                    self.budget
                        .iter()
                        .flat_map(|b| [("budget spend", b.with), ("budget spend", b.without)]),
                );
            }
            if let Some((what, _)) = values.iter().find(|(_, x)| !x.is_finite()) {
                return Err(NonFinite::arm(model.arm_name(r.strategy, r.contract), *what));
            }
        }
        Ok(())
    }

    /// The decision analysis: each set's mean points and frontier, CEAC, CEAF, EVPI and EVPPI.
    fn check_decision(&self, model: &Model) -> Result<(), NonFinite> {
        let basis = match self.decision.basis {
            Basis::Deterministic => "",
            Basis::Probabilistic => " across PSA samples",
        };
        for a in &self.decision.sets {
            let set = &a.set;
            let arm = |j: usize| {
                let x = self.arms[set.arms[j]];
                model.arm_name(x.strategy, x.contract)
            };
            let place = || format!("decision set `{}`", model.contract_name(set.contract));
            for (j, &(cost, qaly)) in a.points.iter().enumerate() {
                if !cost.is_finite() || !qaly.is_finite() {
                    return Err(NonFinite::arm(arm(j), format!("mean cost or QALYs{basis}")));
                }
            }
            for row in &a.frontier {
                let numbers = [row.inc_cost, row.inc_qaly, row.icer].into_iter().flatten();
                if numbers.into_iter().any(|x| !x.is_finite()) {
                    let what = format!("increment on the efficiency frontier{basis}");
                    return Err(NonFinite::arm(arm(row.index), what));
                }
            }
            for x in &a.acceptability {
                let per_arm = x.probability.iter().zip(&x.expected_nmb).enumerate();
                for (j, (p, nmb)) in per_arm {
                    if !p.is_finite() || !nmb.is_finite() {
                        let what = format!("expected NMB at {}", x.wtp);
                        return Err(NonFinite::arm(arm(j), what));
                    }
                }
                if !x.evpi.is_finite() {
                    return Err(NonFinite { place: place(), what: format!("EVPI at {}", x.wtp) });
                }
            }
            if a.evpi_population.iter().flatten().any(|x| !x.is_finite()) {
                return Err(NonFinite { place: place(), what: "population EVPI".into() });
            }
            let evppi = a
                .evppi
                .iter()
                .flatten()
                .flat_map(|c| [c.per_patient, c.se, c.population])
                .flatten();
            if evppi.into_iter().any(|x| !x.is_finite()) {
                return Err(NonFinite { place: place(), what: "EVPPI".into() });
            }
        }
        for row in &self.evsi {
            let numbers =
                [row.evsi.map(|v| v.0), row.evsi.map(|v| v.1), row.evppi, row.population, row.enbs];
            if !row.cost.is_finite() || numbers.into_iter().flatten().any(|x| !x.is_finite()) {
                let place = format!("registry `{}`", model.registries[row.registry].name);
                return Err(NonFinite {
                    place,
                    what: format!("EVSI of {} patients", row.patients),
                });
            }
        }
        for row in &self.renegotiation {
            let shares = row.choices.unwrap_or_default();
            let numbers = [row.value.0, row.value.1, row.population].into_iter().chain(shares);
            if numbers.into_iter().any(|x| !x.is_finite()) {
                let place = format!("registry `{}`", model.registries[row.registry].name);
                let what = format!("value of the policy {}", row.policy.as_str());
                return Err(NonFinite { place, what });
            }
        }
        Ok(())
    }

    /// Set the PSA samples (computed here or elsewhere, by shards) and everything derived
    /// from them.
    pub fn set_psa(&mut self, model: &Model, psa: Vec<PsaSample>) {
        self.psa = psa;
        self.decision = decision(model, &self.arms, &self.summary, &self.psa);
        self.evsi = super::evsi::evsi_rows(model, &self.decision, &self.psa, self.seed);
        self.renegotiation = super::renegotiation::policy_rows(
            model,
            (&self.arms, &self.contracts),
            &self.decision,
            &self.psa,
            self.seed,
        );
        self.prob_ce = prob_ce(model, &self.summary, &self.psa);
        self.headline = super::headline::headline(
            model,
            (&self.summary, &self.contracts),
            &self.decision,
            &self.psa,
        );
        let shares: Vec<f64> =
            self.subgroups.iter().map(|g| g.patients as f64 / self.patients as f64).collect();
        self.subgroup_psa =
            super::subgroups::subgroup_psa(model, (&self.arms, &shares), &self.decision, &self.psa);
        self.psa_summary = psa_summary(model, &self.summary, &self.psa);
        self.summary_psa = super::probabilistic::probabilistic_summary(
            &self.summary,
            &self.psa,
            &model.meta.thresholds,
        );
        let linear: Vec<bool> = model.contracts.iter().map(|c| c.kind.is_linear()).collect();
        self.contracts_psa = super::contracts::probabilistic_contract_rows(
            &self.contracts,
            &self.psa,
            &linear,
            &model.meta.thresholds,
        );
        self.budget_bands = budget_bands(&self.budget, &self.psa);
        self.warnings = self.base_warnings.clone();
        let (warnings, noise) = psa_warnings(model, &self.arms, &self.psa, self.patients);
        self.warnings.extend(warnings);
        self.noise = noise;
        self.psa_table = !self.psa.is_empty();
        if self.psa.len() > PSA_TABLE_MOST_SAMPLES {
            self.psa_table = false;
            self.warnings.push(psa_table_warning(self.psa.len(), self.arms.len()));
        }
    }

    /// Write psa.csv whatever the number of samples (`--psa-csv`).
    pub fn keep_psa_table(&mut self) {
        if !self.psa.is_empty() && !self.psa_table {
            self.psa_table = true;
            let warning = psa_table_warning(self.psa.len(), self.arms.len());
            self.warnings.retain(|w| *w != warning);
        }
    }
}

/// The probability that each arm is cost-effective against the comparator at each threshold.
fn prob_ce(model: &Model, summary: &[ArmSummary], psa: &[PsaSample]) -> Vec<Vec<Option<f64>>> {
    summary
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let comparator = r.reference == i;
            (0..model.meta.thresholds.len())
                .map(|k| {
                    if psa.is_empty() || comparator {
                        return None;
                    }
                    let wins = psa.iter().filter(|s| s.arms[i].inc_nmb[k].mean > 0.0).count();
                    Some(wins as f64 / psa.len() as f64)
                })
                .collect()
        })
        .collect()
}

/// Per arm and measure, the base case and the spread across PSA samples.
fn psa_summary(model: &Model, base: &[ArmSummary], psa: &[PsaSample]) -> Vec<PsaSummaryRow> {
    if psa.is_empty() {
        return Vec::new();
    }
    let mut rows = Vec::new();
    for (i, b) in base.iter().enumerate() {
        let b = SampleArm::from(b);
        for measure in Measure::all(model.meta.thresholds.len()) {
            let values: Vec<(f64, Option<f64>)> = psa
                .iter()
                .map(|s| {
                    let e = measure.of_sample(&s.arms[i]);
                    (e.mean, e.mcse)
                })
                .collect();
            let xs: Vec<f64> = values.iter().map(|v| v.0).collect();
            let within = (values.iter().map(|v| v.1.unwrap_or(0.0).powi(2)).sum::<f64>()
                / xs.len() as f64)
                .sqrt();
            rows.push(PsaSummaryRow {
                arm: i,
                measure,
                base_case: measure.of_sample(&b).mean,
                spread: spread(&xs),
                within_sample_se: within,
            });
        }
    }
    rows
}

/// The PSA band of each budget impact total row, in the order of the base case's rows.
fn budget_bands(rows: &[BudgetRow], psa: &[PsaSample]) -> Vec<BudgetBand> {
    if psa.is_empty() {
        return Vec::new();
    }
    let totals = rows.iter().filter(|r| r.category.is_none());
    totals
        .enumerate()
        .map(|(k, r)| {
            let with: Vec<f64> = psa.iter().map(|s| s.budget[k].0).collect();
            let net: Vec<f64> = psa.iter().map(|s| s.budget[k].1).collect();
            BudgetBand {
                contract: r.contract,
                year: r.year,
                with: spread(&with),
                net: spread(&net),
            }
        })
        .collect()
}

/// Share of an arm's PSA variance of incremental NMB above which patient-level noise is
/// warned about.
pub const NOISE_WARNING: f64 = 0.1;
/// ... and above which the CEAC and EVPI are called unreliable (a hard warning, in the decision
/// summary too).
pub const NOISE_UNRELIABLE: f64 = 0.5;

/// The worst patient-level noise of a PSA: its share of an arm's variance of incremental NMB
/// across samples, and the patients per sample that would bring it to [`NOISE_WARNING`].
#[derive(Clone, Debug, PartialEq)]
pub struct Noise {
    /// `strategy/contract`, and the threshold where its share is largest.
    pub arm: String,
    pub threshold: f64,
    pub share: f64,
    /// `None` when the noise is the whole spread (share ≥ 1: the parameters' effect is not
    /// seen at all, so no count can be worked out from it).
    pub suggested_patients: Option<u64>,
}

/// Patients per sample that bring a noise share `share` at `patients` to `target`: the noise
/// variance falls as 1/n while the parameters' stays, so n' = n·(share/(1 − share))·((1 −
/// target)/target), rounded up to two significant digits.
pub fn suggested_patients(patients: u64, share: f64, target: f64) -> Option<u64> {
    if !(share < 1.0) || !(share > 0.0) {
        return None;
    }
    let n = patients as f64 * share / (1.0 - share) * (1.0 - target) / target;
    let digits = n.log10().floor() as i32;
    let unit = 10f64.powi((digits - 1).max(0));
    // (Less a hair: 81,000.000…01 from rounding is 81,000.)
    let rounded = (n / unit - 1e-9).ceil() * unit;
    (rounded.is_finite() && rounded < u64::MAX as f64).then_some(rounded as u64)
}

/// Warn when patient-level noise is a large share of the PSA spread of an arm's incremental
/// NMB (above [`NOISE_WARNING`] of its variance at some threshold): one warning naming every
/// such arm with its share at the first threshold where it exceeds it, and the patients per
/// sample that would bring the worst one under it; a hard one above [`NOISE_UNRELIABLE`].
fn psa_warnings(
    model: &Model,
    arms: &[Arm],
    psa: &[PsaSample],
    patients: u64,
) -> (Vec<String>, Option<Noise>) {
    if psa.is_empty() {
        return (Vec::new(), None);
    }
    let mut noisy = Vec::new();
    let mut worst: Option<Noise> = None;
    let references = model.references(arms);
    for (i, arm) in arms.iter().enumerate() {
        if references[i] == i {
            continue;
        }
        let name = model.arm_name(arm.strategy, arm.contract);
        let mut listed = false;
        for (k, &l) in model.meta.thresholds.iter().enumerate() {
            let values: Vec<f64> = psa.iter().map(|s| s.arms[i].inc_nmb[k].mean).collect();
            let ses: Vec<f64> =
                psa.iter().map(|s| s.arms[i].inc_nmb[k].mcse.unwrap_or(0.0)).collect();
            let Some(share) = noise_share(&values, &ses) else { continue };
            if share > NOISE_WARNING && !listed {
                noisy.push(format!("{name} {:.0} % at {l}", 100.0 * share));
                listed = true;
            }
            if share > NOISE_WARNING && worst.as_ref().is_none_or(|w| share > w.share) {
                worst = Some(Noise {
                    arm: name.clone(),
                    threshold: l,
                    share,
                    suggested_patients: suggested_patients(patients, share, NOISE_WARNING),
                });
            }
        }
    }
    let Some(w) = &worst else { return (Vec::new(), None) };
    let advice = match w.suggested_patients {
        Some(n) => format!(
            "simulate about {n} patients per sample (now {patients}) to bring it under {:.0} %",
            100.0 * NOISE_WARNING
        ),
        None => format!(
            "the spread across samples is all noise; simulate many more patients per sample (now {patients})"
        ),
    };
    let warning = if w.share > NOISE_UNRELIABLE {
        format!(
            "the CEAC, CEAF and EVPI are not reliable: patient-level noise is most of the PSA variance of the incremental NMB ({}), so they measure the simulation's noise more than parameter uncertainty; {advice}",
            noisy.join(", ")
        )
    } else {
        format!(
            "patient-level noise is a large share of the PSA variance of the incremental NMB ({}): the CEAC and EVPI mix it with parameter uncertainty; {advice}",
            noisy.join(", ")
        )
    };
    (vec![warning], worst)
}
