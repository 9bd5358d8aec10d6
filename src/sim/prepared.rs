//! A model with concrete numbers, ready for the hot loop.
//!
//! Built once per set of parameter values (the base case, a PSA sample, a one-way sensitivity
//! bound) from a [`Model`] and its value table: distributions are constructed, discount
//! factors and per-cycle constants precomputed, so the per-patient code only does arithmetic.

use crate::accounting::discount::{Cycle, CycleSums, Discount};
use crate::accounting::schedule::DrugSchedule;
use crate::contracts::{Kind, PreparedContract};
use crate::model::CategoryIndex;
use crate::model::{
    AfterProgression, Arm, Condition, CourseSpec, Model, Perspective, Settlement, Slot, Specimen,
    Transition, TteSpec,
};
use crate::rng::{Process, ProcessKind};
use crate::survival::{DistributionError, TimeToEvent};

/// Why a set of values does not make a simulable model (e.g. a PSA draw out of range).
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("regimen `{regimen}`: {what}: {source}")]
    Distribution { regimen: String, what: &'static str, source: DistributionError },
    #[error("{transition}: {source}")]
    Pathway { transition: String, source: DistributionError },
    #[error(
        "biomarker group `{group}`: prevalences sum to {sum} > 1 with these parameter values; draw the group's shares jointly or bound them so that they cannot exceed 1"
    )]
    GroupSum { group: String, sum: f64 },
    #[error(
        "population.age: expected an age from the life table's first age, {lowest} years, and below its maximum age, {highest} years, found {age} years with these parameter values; bound the age parameter's draws"
    )]
    Age { age: f64, lowest: f64, highest: f64 },
    #[error(
        "population.covariates.{covariate}: shares sum to {sum} with these parameter values, expected 1; draw the covariate's shares jointly (a Dirichlet)"
    )]
    CovariateShares { covariate: String, sum: f64 },
    #[error(
        "biomarker group `{group}`: discordant lesions would gain a marker with total probability {sum} > 1 (Σ prevalence × discordance must not exceed the share without a marker); lower the discordance"
    )]
    Discordance { group: String, sum: f64 },
}

/// Lesion counts and biopsy site (see [`crate::model::Heterogeneity`]).
#[derive(Clone, Debug)]
pub struct PreparedHeterogeneity {
    /// Cumulative P(≤ k + 1 lesions), k = 0, 1, ….
    pub lesions_cdf: Vec<f64>,
    pub random_biopsy: bool,
    pub count_process: Process,
    pub biopsy_process: Process,
}

#[derive(Clone, Debug)]
pub struct Prepared {
    pub horizon: f64,
    pub costs: Discount,
    pub outcomes: Discount,
    pub groups: Vec<PreparedGroup>,
    pub heterogeneity: Option<PreparedHeterogeneity>,
    /// The patient's ctDNA shedding draw (shared by every plasma test).
    pub shedding: Process,
    /// The patient's test-uptake draw (shared by every strategy).
    pub uptake: Process,
    /// Biomarkers acquired at progression (bit mask): invisible at diagnosis.
    pub acquired: u64,
    /// The draw deciding fitness for a second line.
    pub second_line_fit: Process,
    /// Number of biomarkers (bits of a patient's status mask).
    pub biomarkers: usize,
    pub tests: Vec<PreparedTest>,
    pub regimens: Vec<PreparedRegimen>,
    /// Multi-state pathways after progression.
    pub pathways: Vec<super::pathway::PreparedPathway>,
    pub strategies: Vec<PreparedStrategy>,
    pub pf_cost: f64,
    /// `[subgroups]`: which levels a patient is in.
    pub subgroups: super::subgroups::Subgroups,
    /// Multipliers of every state's costs by covariate level (`population.cost_ratio`): the
    /// level's bit and the ratio.
    pub state_cost_ratio: Vec<(u32, f64)>,
    /// (The progression-free state's utility is each regimen's `pf_utility_first`.)
    pub pd_cost: f64,
    pub pd_utility: f64,
    pub death_cost: f64,
    /// Number of distinct drugs (cost categories `drug:<name>`).
    pub drugs: usize,
    /// The manufacturer's discounting, for its net revenue.
    pub manufacturer: Discount,
    pub contracts: Vec<PreparedContract>,
    pub arms: Vec<Arm>,
    /// The comparator strategy.
    pub comparator: usize,
    /// Per arm: the arm its increments are against ([`Model::references`]).
    pub references: Vec<usize>,
    /// Every contract settled on a strategy's patients, and where its sums sit
    /// ([`Model::settlements`]).
    pub settlements: Vec<Settlement>,
    /// Hazard of leaving a commercial payer (0: national payer).
    pub exit_rate: f64,
    /// Whether refunds due after a member leaves reach the payer.
    pub portable: bool,
    /// Patients entering each strategy per year (0 when the scenario does not set it).
    pub population: u64,
    /// Random process of a patient's arrival time in a cohort-level contract's term.
    pub arrival: Process,
    /// Per contract slot ([`Settlement::slot`]): the refund fraction of each population and
    /// calendar year of a cohort-level contract (cell r·Y + y; empty for other slots, and until the populations have been
    /// surveyed, see `engine::simulate_two_passes`).
    pub cohort_fractions: Vec<Vec<f64>>,
    /// The budget impact analysis's view, if the scenario has one.
    pub budget: Option<PreparedBudget>,
    /// Who the patients are and their general-population death (`[population]`; `None`: death
    /// only from the disease's hazards).
    pub background: Option<super::background::Background>,
    /// Whether a simulation is a run's base case, which alone writes the lines of therapy
    /// (lines.csv), the survival curves (survival.csv, general_population.csv) and the check
    /// against the general population: only it counts them. PSA samples, price searches and
    /// sensitivity runs do not.
    pub base_case: bool,
    /// Whether a simulation counts each subgroup level's sums (`[subgroups]`): the run's base
    /// case and its PSA samples set it (subgroups.csv, subgroup_ceac.csv); price searches and
    /// sensitivity runs do not.
    pub count_subgroups: bool,
    /// Contract designs settled on the same patients (`vbpsim design`; empty in a run).
    pub designs: Vec<super::design::PreparedDesign>,
}

/// What the engine needs for the budget impact analysis: each patient's spend per calendar
/// year after entry, undiscounted.
#[derive(Clone, Debug)]
pub struct PreparedBudget {
    /// Budget horizon in calendar years.
    pub years: usize,
    /// The new strategy.
    pub strategy: usize,
    /// Per strategy: whether its patients' yearly spend is followed (the new strategy and
    /// today's treatment mix).
    pub followed: Vec<bool>,
    /// The model undiscounted (see [`Prepared::undiscounted`]).
    pub undiscounted: Box<Prepared>,
}

#[derive(Clone, Debug)]
pub struct PreparedGroup {
    pub process: Process,
    /// (biomarker index, cumulative prevalence upper bound).
    pub members: Vec<(usize, f64)>,
    /// Per member (same order): probability that a metastatic lesion lacks the primary's marker.
    pub discordance: Vec<f64>,
    /// Per member: cumulative probability that a metastatic lesion of a primary without any
    /// of the group's markers gains it, prevalence × discordance / (1 − Σ prevalence), so
    /// that every lesion has the primary's prevalence.
    pub gains: Vec<f64>,
    pub lesion_process: Process,
}

#[derive(Clone, Debug)]
pub struct PreparedTest {
    pub failure: f64,
    pub failure_process: Process,
    pub on_failure: Option<usize>,
    pub on_negative: Option<usize>,
    pub cost: f64,
    pub turnaround: f64,
    /// (biomarker, sensitivity, 1 − specificity, process).
    pub readings: Vec<(usize, f64, f64, Process)>,
    /// Plasma (ctDNA) test: the probability that the tumour sheds enough to be seen; `None`
    /// for a tissue test.
    pub shedding: Option<f64>,
    pub concurrent: Option<usize>,
    pub selection: Option<PreparedSelection>,
}

/// A selection test's reading: positive with probability `sensitivity` for a responder to
/// `regimen`, `false_positive` for a non-responder (binormal rates at the cutoff).
#[derive(Clone, Copy, Debug)]
pub struct PreparedSelection {
    pub regimen: usize,
    pub bit: usize,
    pub sensitivity: f64,
    pub false_positive: f64,
    pub process: Process,
}

#[derive(Clone, Debug)]
pub struct PreparedAdverseEvent {
    pub probability: f64,
    pub cost: f64,
    pub qaly_loss: f64,
    pub process: Process,
}

#[derive(Clone, Debug)]
pub struct PreparedRegimen {
    pub drugs: Vec<DrugSchedule>,
    /// How long after a start its drugs can be given at most: the longest of its drugs'
    /// caps, min(max_cycles · cycle, max_duration); unbounded if some drug has no cap, or
    /// without drugs (a line of observation or supportive care lasts until it ends).
    pub drug_span: f64,
    /// (biomarker, response probability), first carried biomarker wins.
    pub response_by_biomarker: Vec<(usize, f64)>,
    pub response_otherwise: f64,
    pub course: PreparedCourse,
    /// (who, transition, hazard ratio): prognostic effects, applied to patients whose
    /// primary tumour carries the biomarker or who have the covariate's level.
    pub prognosis: Vec<(Condition, Transition, f64)>,
    /// (bit of a covariate level, odds ratio) on the response probability.
    pub response_odds_ratio: Vec<(u32, f64)>,
    pub post_progression_cost: f64,
    /// Utility of the time progression-free on this regimen as a first line, and as a second
    /// line (the regimen's `progression_free_utility`, else the progression-free and the
    /// progressed states' utilities).
    pub pf_utility_first: f64,
    pub pf_utility_second: f64,
    pub discontinuation: Option<TimeToEvent>,
    pub adverse_events: Vec<PreparedAdverseEvent>,
    /// Scan interval (years); progression is detected at the first scan after it.
    pub assessment: Option<f64>,
    pub response_false_positive: f64,
    pub response_false_negative: f64,
    pub immunotherapy: Option<PreparedImmunotherapy>,
    pub second_line: Option<PreparedSecondLine>,
    pub monitoring: Option<PreparedMonitoring>,
}

/// ctDNA monitoring of a regimen (see [`crate::model::Monitoring`]).
#[derive(Clone, Debug)]
pub struct PreparedMonitoring {
    pub every: f64,
    pub lead_time: f64,
    pub sensitivity: f64,
    pub cost: f64,
    /// Discounted counts of tests one interval apart, at the payer's cost rate.
    pub test_sums: CycleSums,
    pub process: Process,
}

/// The second line after a regimen (see [`crate::model::SecondLine`]).
#[derive(Clone, Debug)]
pub struct PreparedSecondLine {
    pub share: f64,
    /// Patients no rule selects keep the first regimen's course (no `default`).
    pub keep_course: bool,
    pub pathway: PreparedStrategy,
}

/// Immunotherapy response patterns of a regimen (see [`crate::model::Immunotherapy`]).
#[derive(Clone, Debug)]
pub struct PreparedImmunotherapy {
    pub time_to_response: Option<TimeToEvent>,
    pub pseudo_progression: f64,
    pub beyond_progression: Option<f64>,
    pub response_process: Process,
    pub pseudo_process: Process,
}

/// What follows progression on a clinical course (see [`crate::model::AfterProgression`]).
#[derive(Clone, Debug)]
pub enum PreparedAfter {
    Survival(TimeToEvent),
    /// Index into [`Prepared::pathways`].
    Pathway(usize),
}

/// A regimen's event-time model for one set of values (see [`crate::model::CourseSpec`]).
#[derive(Clone, Debug)]
pub enum PreparedCourse {
    Clinical {
        progression_responder: TimeToEvent,
        progression_non_responder: TimeToEvent,
        death_before_progression: TimeToEvent,
        after_progression: PreparedAfter,
    },
    Partitioned {
        pfs: TimeToEvent,
        os: TimeToEvent,
    },
    /// A treatment for pathway states: no patient's course is on it (validated).
    TreatmentOnly,
}

#[derive(Clone, Debug)]
pub struct PreparedStrategy {
    pub test: Option<usize>,
    pub uptake: f64,
    pub bridging: Option<usize>,
    /// The regimen whose course a tested patient follows until treatment starts.
    pub waiting: usize,
    pub rules: Vec<(usize, usize)>,
    pub default: usize,
}

fn prepare_pathway(s: &crate::model::Strategy, values: &[f64]) -> PreparedStrategy {
    PreparedStrategy {
        test: s.test,
        uptake: values[s.uptake.0 as usize],
        bridging: s.bridging,
        waiting: s.waiting,
        rules: s.rules.clone(),
        default: s.default,
    }
}

impl Prepared {
    /// The multiplier of the state costs of a patient with these covariate levels (1 without
    /// `population.cost_ratio`).
    #[inline]
    pub fn state_cost_ratio(&self, levels: u64) -> f64 {
        self.state_cost_ratio
            .iter()
            .filter(|(bit, _)| levels & (1 << bit) != 0)
            .map(|&(_, r)| r)
            .product()
    }

    /// Whether some contract is settled on the whole cohort per calendar year.
    pub fn has_cohort_contracts(&self) -> bool {
        self.contracts.iter().any(|c| matches!(c.kind, Kind::Cohort(_)))
    }

    /// Contract `c`'s list price per cycle: its drug's price in the regimens it covers (one
    /// price in all of them, validated).
    pub fn list_price(&self, c: usize) -> f64 {
        let contract = &self.contracts[c];
        contract
            .regimens
            .iter()
            .flat_map(|&g| &self.regimens[g].drugs)
            .find(|d| d.drug == contract.drug)
            .map_or(0.0, |d| d.price)
    }

    /// Positions of the cost categories.
    #[inline]
    pub fn categories(&self) -> CategoryIndex {
        CategoryIndex { drugs: self.drugs, contracts: self.contracts.len() }
    }

    /// Build from the model and a value table (`model.values` for the base case).
    pub fn new(model: &Model, values: &[f64]) -> Result<Self, PrepareError> {
        let v = |s: Slot| values[s.0 as usize];
        let mut groups = Vec::with_capacity(model.groups.len());
        for g in &model.groups {
            groups.push(prepare_group(model, g, values)?);
        }
        let tests = model.tests.iter().map(|t| prepare_test(t, values)).collect();
        let costs = Discount::new(model.meta.discount_costs);
        let manufacturer = Discount::new(model.meta.discount_manufacturer);
        let mut regimens = Vec::with_capacity(model.regimens.len());
        for r in &model.regimens {
            regimens.push(prepare_regimen(model, r, values, (&costs, &manufacturer))?);
        }
        let s = &model.states;
        // The arms and settlements once (each call walks the strategies' regimens again; every
        // PSA sample prepares anew).
        let (arms, settlements) = (model.arms(), model.settlements());
        let slots = Model::slots_of(&arms, &settlements);
        let mut prep = Prepared {
            horizon: model.meta.horizon,
            costs,
            outcomes: Discount::new(model.meta.discount_outcomes),
            groups,
            heterogeneity: model.heterogeneity.as_ref().map(|h| PreparedHeterogeneity {
                lesions_cdf: h
                    .lesions
                    .iter()
                    .scan(0.0, |acc, p| {
                        *acc += p;
                        Some(*acc)
                    })
                    .collect(),
                random_biopsy: h.random_biopsy,
                count_process: h.count_process,
                biopsy_process: h.biopsy_process,
            }),
            shedding: Process::new(ProcessKind::Shedding, 0),
            uptake: Process::new(ProcessKind::Uptake, 0),
            acquired: model
                .biomarkers
                .iter()
                .enumerate()
                .filter(|(_, b)| b.acquired)
                .fold(0, |mask, (i, _)| mask | (1 << i)),
            second_line_fit: Process::new(ProcessKind::SecondLineFit, 0),
            biomarkers: model.biomarkers.len(),
            tests,
            regimens,
            pathways: super::pathway::prepare(model, values)
                .map_err(|(transition, source)| PrepareError::Pathway { transition, source })?,
            strategies: model.strategies.iter().map(|s| prepare_pathway(s, values)).collect(),
            pf_cost: v(s.progression_free_cost),
            subgroups: super::subgroups::Subgroups::new(&model.subgroups),
            state_cost_ratio: model.population.as_ref().map_or_else(Vec::new, |p| {
                p.cost_ratio.iter().map(|&(bit, ratio)| (bit, v(ratio))).collect()
            }),
            pd_cost: v(s.progressed_cost),
            pd_utility: v(s.progressed_utility),
            death_cost: v(s.death_cost),
            drugs: model.drugs.len(),
            manufacturer,
            references: model.references(&arms),
            cohort_fractions: vec![Vec::new(); slots],
            arms,
            comparator: model.meta.comparator,
            settlements,
            exit_rate: match model.meta.perspective {
                Perspective::National => 0.0,
                Perspective::Commercial { turnover, .. } => -(-turnover).ln_1p(),
            },
            portable: matches!(
                model.meta.perspective,
                Perspective::Commercial { portable: true, .. }
            ),
            population: model.meta.population.unwrap_or(0),
            arrival: Process::new(ProcessKind::Arrival, 0),
            contracts: model.contracts.iter().map(|c| prepare_contract(model, c, values)).collect(),
            budget: None,
            background: model
                .population
                .as_ref()
                .map(|p| super::background::Background::new(p, values))
                .transpose()?,
            base_case: false,
            count_subgroups: false,
            designs: Vec::new(),
        };
        for c in &mut prep.contracts {
            c.kind.rediscount(&prep.costs, &prep.manufacturer);
        }
        if let Some(b) = &model.budget {
            prep.budget = Some(PreparedBudget {
                years: b.years,
                strategy: b.strategy,
                followed: (0..model.strategies.len())
                    .map(|s| s == b.strategy || b.current.iter().any(|&(c, _)| c == s))
                    .collect(),
                undiscounted: Box::new(prep.undiscounted()),
            });
        }
        Ok(prep)
    }

    /// This model with every discount rate zero and no per-entrant administration: the view
    /// of a budget, in which money counts when it is spent and a contract's yearly
    /// administration is a cost of each budget year, not of each entrant.
    pub fn undiscounted(&self) -> Prepared {
        let zero = Discount::new(0.0);
        let mut out = self.clone();
        out.budget = None;
        out.costs = zero;
        out.outcomes = zero;
        out.manufacturer = zero;
        for r in &mut out.regimens {
            for d in &mut r.drugs {
                d.cycle_sums = zero.cycle_sums(d.cycle, self.horizon);
                d.manufacturer_cycle_sums = zero.cycle_sums(d.cycle, self.horizon);
            }
            if let Some(m) = &mut r.monitoring {
                m.test_sums = zero.cycle_sums(m.every, self.horizon);
            }
        }
        for c in &mut out.contracts {
            c.admin_per_entrant = 0.0;
            c.kind.rediscount(&zero, &zero);
        }
        out
    }
}

/// A biomarker group with its cumulative prevalences and the lesions' gains; an error when a
/// PSA draw pushes the prevalences above 1 or the gains beyond the marker-free share.
fn prepare_group(
    model: &Model,
    g: &crate::model::BiomarkerGroup,
    values: &[f64],
) -> Result<PreparedGroup, PrepareError> {
    let v = |s: Slot| values[s.0 as usize];
    let mut cum = 0.0;
    let members: Vec<(usize, f64)> = g
        .members
        .iter()
        .map(|&b| {
            cum += v(model.biomarkers[b].prevalence);
            (b, cum)
        })
        .collect();
    // Validated on point values; a PSA draw can still push a group above 1.
    if cum > 1.0 + 1e-12 {
        return Err(PrepareError::GroupSum { group: g.name.clone(), sum: cum });
    }
    let discordance: Vec<f64> =
        g.members.iter().map(|&b| v(model.biomarkers[b].discordance)).collect();
    let none = 1.0 - cum;
    let mut gained = 0.0;
    let gains: Vec<f64> = g
        .members
        .iter()
        .zip(&discordance)
        .map(|(&b, &d)| {
            if none > 1e-12 {
                gained += v(model.biomarkers[b].prevalence) * d / none;
            }
            gained
        })
        .collect();
    if gained > 1.0 + 1e-12 {
        return Err(PrepareError::Discordance { group: g.name.clone(), sum: gained });
    }
    Ok(PreparedGroup {
        process: g.process,
        members,
        discordance,
        gains,
        lesion_process: g.lesion_process,
    })
}

/// A test with concrete accuracy, cost and turnaround.
fn prepare_test(t: &crate::model::Test, values: &[f64]) -> PreparedTest {
    let v = |s: Slot| values[s.0 as usize];
    PreparedTest {
        failure: v(t.failure),
        failure_process: t.failure_process,
        on_failure: t.on_failure,
        on_negative: t.on_negative,
        cost: v(t.cost),
        turnaround: v(t.turnaround),
        readings: t
            .readings
            .iter()
            .map(|r| (r.biomarker, v(r.sensitivity), 1.0 - v(r.specificity), r.process))
            .collect(),
        shedding: match t.specimen {
            Specimen::Tissue => None,
            Specimen::Plasma { shedding } => Some(v(shedding)),
        },
        concurrent: t.concurrent,
        selection: t.selection.as_ref().map(|sel| {
            let (sensitivity, false_positive) =
                crate::model::binormal_rates(v(sel.auc), v(sel.cutoff));
            PreparedSelection {
                regimen: sel.regimen,
                bit: sel.bit,
                sensitivity,
                false_positive,
                process: sel.process,
            }
        }),
    }
}

/// A regimen with its drugs' payment schedules and its distributions built; an error names
/// the distribution a set of values makes impossible.
fn prepare_regimen(
    model: &Model,
    r: &crate::model::Regimen,
    values: &[f64],
    (costs, manufacturer): (&Discount, &Discount),
) -> Result<PreparedRegimen, PrepareError> {
    let v = |s: Slot| values[s.0 as usize];
    let build = |spec: &TteSpec, what: &'static str| {
        spec.build(values).map_err(|source| PrepareError::Distribution {
            regimen: r.name.clone(),
            what,
            source,
        })
    };
    let drugs: Vec<DrugSchedule> = r
        .drugs
        .iter()
        .enumerate()
        .map(|(i, d)| DrugSchedule {
            drug: d.drug,
            price: v(d.price),
            cycle: v(d.cycle),
            schedule: Cycle::new(v(d.cycle)),
            max_cycles: d.max_cycles.unwrap_or(u64::MAX),
            max_duration: d.max_duration.map_or(f64::INFINITY, v),
            administration: v(d.administration) + if i == 0 { v(r.administration) } else { 0.0 },
            cycle_sums: costs.cycle_sums(v(d.cycle), model.meta.horizon),
            manufacturer_cycle_sums: manufacturer.cycle_sums(v(d.cycle), model.meta.horizon),
        })
        .collect();
    let own = r.progression_free_utility.map(v);
    let states = &model.states;
    let cap = |d: &DrugSchedule| (d.max_cycles as f64 * d.cycle).min(d.max_duration);
    Ok(PreparedRegimen {
        drug_span: drugs.iter().map(cap).reduce(f64::max).unwrap_or(f64::INFINITY),
        pf_utility_first: own.unwrap_or_else(|| v(states.progression_free_utility)),
        pf_utility_second: own.unwrap_or_else(|| v(states.progressed_utility)),
        drugs,
        response_by_biomarker: r.response.by_biomarker.iter().map(|&(b, s)| (b, v(s))).collect(),
        response_otherwise: v(r.response.otherwise),
        course: match &r.course {
            CourseSpec::Clinical {
                progression_responder,
                progression_non_responder,
                death_before_progression,
                after_progression,
            } => PreparedCourse::Clinical {
                progression_responder: build(progression_responder, "progression.responder")?,
                progression_non_responder: build(
                    progression_non_responder,
                    "progression.non_responder",
                )?,
                death_before_progression: build(
                    death_before_progression,
                    "death_before_progression",
                )?,
                after_progression: match after_progression {
                    AfterProgression::Survival(s) => {
                        PreparedAfter::Survival(build(s, "after_progression.survival")?)
                    }
                    AfterProgression::Pathway(k) => PreparedAfter::Pathway(*k),
                },
            },
            CourseSpec::Partitioned { pfs, os } => PreparedCourse::Partitioned {
                pfs: build(pfs, "partitioned.pfs")?,
                os: build(os, "partitioned.os")?,
            },
            CourseSpec::TreatmentOnly => PreparedCourse::TreatmentOnly,
        },
        prognosis: r.prognosis.iter().map(|g| (g.on, g.transition, v(g.hazard_ratio))).collect(),
        response_odds_ratio: r.response_odds_ratio.iter().map(|&(bit, or)| (bit, v(or))).collect(),
        post_progression_cost: v(r.post_progression_cost),
        discontinuation: match &r.discontinuation {
            Some(d) => Some(build(d, "discontinuation")?),
            None => None,
        },
        adverse_events: r
            .adverse_events
            .iter()
            .map(|a| PreparedAdverseEvent {
                probability: v(a.probability),
                cost: v(a.cost),
                qaly_loss: v(a.qaly_loss),
                process: a.process,
            })
            .collect(),
        assessment: r.assessment.map(v),
        response_false_positive: v(r.response_false_positive),
        response_false_negative: v(r.response_false_negative),
        monitoring: r.monitoring.as_ref().map(|m| PreparedMonitoring {
            every: v(m.every),
            lead_time: v(m.lead_time),
            sensitivity: v(m.sensitivity),
            cost: v(m.cost),
            test_sums: costs.cycle_sums(v(m.every), model.meta.horizon),
            process: Process::new(ProcessKind::Monitoring, 0),
        }),
        second_line: r.second_line.as_ref().map(|sl| PreparedSecondLine {
            share: v(sl.share),
            keep_course: sl.keep_course,
            pathway: prepare_pathway(&sl.pathway, values),
        }),
        immunotherapy: match &r.immunotherapy {
            None => None,
            Some(io) => Some(PreparedImmunotherapy {
                time_to_response: match &io.time_to_response {
                    Some(d) => Some(build(d, "time_to_response")?),
                    None => None,
                },
                pseudo_progression: v(io.pseudo_progression),
                beyond_progression: io.beyond_progression.map(v),
                response_process: Process::new(ProcessKind::TimeToResponse, 0),
                pseudo_process: Process::new(ProcessKind::PseudoProgression, 0),
            }),
        },
    })
}

/// A contract with its terms at `values` (their fixed delays not yet discounted).
fn prepare_contract(model: &Model, c: &crate::model::Contract, values: &[f64]) -> PreparedContract {
    let v = |s: Slot| values[s.0 as usize];
    // Contracts on the same drug covering the same regimens see the same exposure.
    let same = |o: &crate::model::Contract| o.drug == c.drug && o.regimens == c.regimens;
    PreparedContract {
        drug: c.drug,
        regimens: c.regimens.clone(),
        exposure: model.contracts.iter().position(same).unwrap_or(0),
        in_pathways: model
            .pathways
            .iter()
            .any(|p| p.states.iter().any(|s| s.regimen.is_some_and(|g| c.regimens.contains(&g)))),
        kind: c.kind.map(&|s: &Slot| v(*s)),
        admin_per_patient: v(c.admin_per_patient),
        admin_per_assessment: v(c.admin_per_assessment),
        admin_per_entrant: match model.meta.population {
            Some(n) => v(c.admin_per_year) / n as f64,
            None => 0.0,
        },
        admin_per_year: v(c.admin_per_year),
        documentation_error: v(c.documentation_error),
        process: c.process,
    }
}
