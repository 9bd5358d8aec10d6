//! The compiled model: plain data, indices instead of names, numbers as slots.
//!
//! Every number of the scenario lives in one table of values; fields hold a [`Slot`] into it.
//! A field that names a parameter shares the parameter's slot, so a PSA draw (or a one-way
//! sensitivity value) is applied by overwriting one entry, and every field that uses the
//! parameter sees it. The engine never reads this structure in its hot loop: it reads a
//! prepared model built from it for one set of values (`sim::prepared`).

mod categories;
pub mod design;
pub mod limits;
pub mod pathway;
pub mod population;
pub mod registry;

pub use categories::CategoryIndex;
pub use pathway::{Clock, Exit, Pathway, PathwayState, StateTest, Target};
pub use population::{
    Adjustment, Age, Covariate, CovariateSource, FEMALE_BIT, FIRST_COVARIATE_BIT, MALE_BIT,
    MAX_LEVELS, Mortality, NormsTable, Population, Profiles, UtilityAdjustment, UtilityNorms,
    UtilityWeight,
};

use crate::contracts::Kind;
use crate::params::ParamDist;
use crate::rng::Process;
use crate::units::Dimension;

/// Index into [`Model::values`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot(pub u32);

#[derive(Clone, Debug)]
pub struct Model {
    pub meta: Meta,
    /// Point values of every number in the scenario (the base case).
    pub values: Vec<f64>,
    pub parameters: Vec<Parameter>,
    /// Dirichlet share vectors: indices into `parameters`, drawn jointly.
    pub dirichlets: Vec<Vec<usize>>,
    /// Correlated parameter groups (Gaussian copula).
    pub correlations: Vec<Correlation>,
    /// Groups of parameters whose joint EVPPI is estimated (`[[evppi_groups]]`).
    pub evppi_groups: Vec<EvppiGroup>,
    pub biomarkers: Vec<Biomarker>,
    pub groups: Vec<BiomarkerGroup>,
    /// Several lesions per patient with discordant biomarker status (`None`: one lesion).
    pub heterogeneity: Option<Heterogeneity>,
    pub tests: Vec<Test>,
    pub regimens: Vec<Regimen>,
    pub states: States,
    /// Multi-state pathways after progression (`[[pathways]]`), named by regimens.
    pub pathways: Vec<Pathway>,
    pub strategies: Vec<Strategy>,
    /// Distinct drug names, in order of first appearance: one cost category each.
    pub drugs: Vec<String>,
    pub contracts: Vec<Contract>,
    /// The budget impact analysis, if the scenario asks for one.
    pub budget: Option<BudgetImpact>,
    /// Who the patients are and their general-population mortality (`None`: no
    /// `[population]`, death only from the disease's hazards).
    pub population: Option<Population>,
    /// `[subgroups]`: the partitions of the patients whose results are reported apart (empty:
    /// none).
    pub subgroups: Vec<Subgroup>,
    /// `[[designs]]`: contract terms searched by `vbpsim design` (ignored by a run).
    pub designs: Vec<design::Design>,
    /// `[[registries]]`: contract registries valued by their EVSI in a run with PSA samples.
    pub registries: Vec<registry::Registry>,
}

/// The subgroup and level under which the tables by subgroup list the whole population (no
/// subgroup may be named so).
pub const WHOLE_POPULATION: &str = "all";

/// A partition of the patients by one characteristic at diagnosis: every patient is in
/// exactly one of its levels.
#[derive(Clone, Debug)]
pub struct Subgroup {
    /// The characteristic's name as the scenario gives it (`EGFR`, `sex`, `ecog`, `age`).
    pub name: String,
    pub levels: Vec<String>,
    pub by: SubgroupBy,
}

/// What decides a patient's level of a subgroup.
#[derive(Clone, Debug, PartialEq)]
pub enum SubgroupBy {
    /// The primary tumour's true status at diagnosis: level 0 carries the biomarker, level 1
    /// does not.
    Biomarker(usize),
    /// A covariate (sex included): level k is bit `first_bit + k` of the patient's levels.
    Levels { first_bit: u32 },
    /// Age at diagnosis in bands cut at these ages (years, increasing): level k is the k-th
    /// band, [cut_(k−1), cut_k).
    Age(Vec<f64>),
}

/// `[budget_impact]`: an eligible population entering year by year, part of it adopting a new
/// strategy (ISPOR 2014). In the world with, `uptake[y]` of year y's entrants get `strategy`
/// and the rest the comparator; in the world without, everybody gets the comparator.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetImpact {
    pub strategy: usize,
    /// Budget horizon in whole calendar years (1–10).
    pub years: usize,
    /// Eligible patients diagnosed in year 1, growing by `growth` a year.
    pub incident: f64,
    pub growth: f64,
    /// Eligible patients already diagnosed at the start: they enter in year 1 with its
    /// incident patients.
    pub prevalent: f64,
    /// The new strategy's share of each year's entrants (one per year).
    pub uptake: Vec<f64>,
    /// Members of the payer's plan (`members`), for the impact per member per month; `None`
    /// when not given.
    pub members: Option<f64>,
    /// Today's treatment mix (`current`): (strategy, share of the entrants), shares summing
    /// to 1; by default the comparator alone. The new strategy displaces each in proportion.
    pub current: Vec<(usize, f64)>,
}

impl BudgetImpact {
    /// Patients entering in budget year y (from 0).
    pub fn entrants(&self, y: usize) -> f64 {
        self.incident * (1.0 + self.growth).powi(y as i32)
            + if y == 0 { self.prevalent } else { 0.0 }
    }
}

/// A payment agreement for one drug, settled on each patient's record.
#[derive(Clone, Debug)]
pub struct Contract {
    pub name: String,
    /// Index into [`Model::drugs`].
    pub drug: usize,
    /// A `list` contract without administration: its terms are the list arm's, so it adds no
    /// arm and is settled on its strategy's list arm (its row of contracts.csv reports the
    /// drug at list in the regimens it covers, with their threshold price).
    pub on_list_arm: bool,
    /// The regimens whose use of the drug the contract covers (sorted; `regimens = [...]`, or
    /// by default every regimen with a course that gives the drug): first or second lines,
    /// and regimens given in pathway states (each stay a course). Elsewhere the drug is paid
    /// at its price in that regimen.
    pub regimens: Vec<usize>,
    /// Whether the scenario names `regimens` (otherwise they are the default above).
    pub regimens_named: bool,
    /// The payment rule and its terms (numbers as slots).
    pub kind: Kind<Slot>,
    /// Administration cost per tracked patient, at treatment start.
    pub admin_per_patient: Slot,
    /// Administration cost per scan of the regimen's assessment schedule while tracked.
    pub admin_per_assessment: Slot,
    /// Fixed administration cost per calendar year, shared by the year's incident patients.
    pub admin_per_year: Slot,
    /// Probability that a failure is never recorded (the patient then counts as a success).
    pub documentation_error: Slot,
    /// Random process of the documentation-error draw.
    pub process: Process,
}

/// Run settings and decision-problem framing.
#[derive(Clone, Debug)]
pub struct Meta {
    pub name: String,
    pub title: String,
    pub currency: String,
    /// Time horizon in years.
    pub horizon: f64,
    pub discount_costs: f64,
    pub discount_outcomes: f64,
    /// The manufacturer's own discount rate, for its net revenue.
    pub discount_manufacturer: f64,
    pub patients: u64,
    pub samples: u64,
    pub seed: u64,
    /// Index of the comparator strategy.
    pub comparator: usize,
    /// Whether a contract also settles the comparator where it gives the contracted drug
    /// (`scenario.comparator_contract`).
    pub comparator_contract: ComparatorContract,
    /// Willingness-to-pay thresholds per QALY.
    pub thresholds: Vec<f64>,
    /// The willingness-to-pay grid of the CEAC, CEAF and EVPI.
    pub wtp_grid: Vec<f64>,
    /// Years over which a decision applies (population EVPI).
    pub decision_years: u64,
    pub perspective: Perspective,
    /// Patients entering each strategy per year (`payer.population`): the incident population
    /// of cohort-level contracts and of fixed yearly administration costs.
    pub population: Option<u64>,
}

/// What a contract arm is compared with (`scenario.comparator_contract`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComparatorContract {
    /// The comparator under the same contract where it gives the contracted drug in a regimen
    /// the contract covers (it then has an arm under it), else at list: both sides pay the
    /// same terms for the same drug.
    Same,
    /// The comparator at list everywhere.
    List,
}

impl ComparatorContract {
    pub fn as_str(self) -> &'static str {
        match self {
            ComparatorContract::Same => "same",
            ComparatorContract::List => "list",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Perspective {
    /// The payer keeps the patient for life.
    National,
    /// Members leave at a constant hazard: the payer bears costs and counts outcomes only while
    /// the member is enrolled; refunds due after exit reach it only if `portable`.
    Commercial {
        /// Annual probability of leaving the plan.
        turnover: f64,
        portable: bool,
    },
}

#[derive(Clone, Debug)]
pub struct Parameter {
    pub name: String,
    pub slot: Slot,
    pub dimension: Dimension,
    /// Its PSA distribution (on the internal scale); the slot holds the point value.
    pub dist: ParamDist,
    /// Its one-way sensitivity range given in the scenario (`None`: the distribution's 2.5 %
    /// and 97.5 % quantiles, or not varied if fixed).
    pub range: Option<(f64, f64)>,
    /// The unit the scenario writes it in (a duration or a rate; `None` for a number): its
    /// draws are reported in it (parameters.csv).
    pub written: Option<crate::units::Written>,
    /// Random process of its draws.
    pub process: Process,
}

/// Parameters whose draws are correlated through a multivariate normal on the normal-score
/// scale: z = L·(Φ⁻¹(U₁), …, Φ⁻¹(U_n)), then each X_k = F_k⁻¹(Φ(z_k)).
#[derive(Clone, Debug)]
pub struct Correlation {
    /// Indices into `Model::parameters`.
    pub members: Vec<usize>,
    /// Lower-triangular Cholesky factor of the correlation matrix, row-major n×n.
    pub cholesky: Vec<f64>,
}

/// A group of 2–5 uncertain parameters whose EVPPI is estimated jointly.
#[derive(Clone, Debug)]
pub struct EvppiGroup {
    pub name: String,
    /// Indices into `Model::parameters`.
    pub parameters: Vec<usize>,
}

/// What an EVPPI is of: one uncertain parameter or a group ([`Model::evppi_subjects`]).
#[derive(Clone, Debug, PartialEq)]
pub struct EvppiSubject {
    /// The parameter's or the group's name.
    pub name: String,
    /// The parameters' names.
    pub members: Vec<String>,
    /// Their places among the uncertain parameters (a PSA sample's values).
    pub columns: Vec<usize>,
}

impl Parameter {
    /// A value of the parameter (internal scale) in the unit the scenario writes it in.
    pub fn as_written(&self, x: f64) -> f64 {
        self.written.map_or(x, |u| x * u.factor)
    }

    pub fn is_uncertain(&self) -> bool {
        self.dist != ParamDist::Fixed
    }
}

/// Tumour heterogeneity: how many lesions a patient carries and which one a biopsy samples.
#[derive(Clone, Debug)]
pub struct Heterogeneity {
    /// P(1 lesion), P(2 lesions), …: literal numbers summing to 1.
    pub lesions: Vec<f64>,
    /// Whether tissue tests sample a lesion at random (else the primary).
    pub random_biopsy: bool,
    pub count_process: Process,
    pub biopsy_process: Process,
}

/// Which specimen a test reads.
#[derive(Clone, Debug)]
pub enum Specimen {
    /// One lesion (the biopsied one).
    Tissue,
    /// Circulating tumour DNA pooled from every lesion, seen only if the tumour sheds.
    Plasma { shedding: Slot },
}

#[derive(Clone, Debug)]
pub struct Biomarker {
    pub name: String,
    pub prevalence: Slot,
    /// Probability that a metastatic lesion lacks the marker the primary carries.
    pub discordance: Slot,
    /// An acquired resistance marker: absent at diagnosis, readable by re-tests at progression.
    pub acquired: bool,
    /// Index into [`Model::groups`].
    pub group: usize,
}

/// Mutually exclusive biomarkers sharing one uniform.
#[derive(Clone, Debug)]
pub struct BiomarkerGroup {
    pub name: String,
    /// Indices into [`Model::biomarkers`], in file order.
    pub members: Vec<usize>,
    pub process: Process,
    /// The group's status of each metastatic lesion (index = lesion).
    pub lesion_process: Process,
}

#[derive(Clone, Debug)]
pub struct Test {
    pub name: String,
    pub readings: Vec<Reading>,
    pub failure: Slot,
    /// Reflex test run on failure; `None` reads every biomarker as negative.
    pub on_failure: Option<usize>,
    /// Reflex test run when the test reads none of its biomarkers (or its score) positive;
    /// `None`: the pathway stops, read negative.
    pub on_negative: Option<usize>,
    pub cost: Slot,
    pub turnaround: Slot,
    pub failure_process: Process,
    pub specimen: Specimen,
    /// A test run at the same time (results pooled; its own reflex ignored).
    pub concurrent: Option<usize>,
    /// A patient-selection test: it predicts response instead of reading biomarkers.
    pub selection: Option<Selection>,
}

/// A selection algorithm scoring each patient for response to one regimen (binormal model):
/// scores are N(0, 1) for non-responders and N(μ, 1) for responders, μ = √2·Φ⁻¹(AUC); a score
/// above `cutoff` reads positive, so sensitivity = Φ(μ − cutoff) and specificity = Φ(cutoff).
#[derive(Clone, Debug)]
pub struct Selection {
    /// Index into [`Model::regimens`]: whose (latent) response the score predicts.
    pub regimen: usize,
    pub auc: Slot,
    pub cutoff: Slot,
    /// Cutoffs at which `run` re-simulates the base case (selection.csv); empty for none.
    pub sweep: Vec<f64>,
    /// Bit of the reading in the positive mask (after the biomarkers' bits).
    pub bit: usize,
    pub process: Process,
}

/// Sensitivity and 1 − specificity of a binormal score with area `auc` read at `cutoff`.
pub fn binormal_rates(auc: f64, cutoff: f64) -> (f64, f64) {
    let mu = std::f64::consts::SQRT_2 * crate::survival::normal_quantile(auc);
    (crate::survival::normal_cdf(mu - cutoff), crate::survival::normal_cdf(-cutoff))
}

/// How a test reads one biomarker.
#[derive(Clone, Debug)]
pub struct Reading {
    pub biomarker: usize,
    pub sensitivity: Slot,
    pub specificity: Slot,
    pub process: Process,
}

#[derive(Clone, Debug)]
pub struct Regimen {
    pub name: String,
    pub drugs: Vec<Drug>,
    /// Administration cost per cycle of the first drug.
    pub administration: Slot,
    pub response: Response,
    /// How progression and death times arise on this regimen.
    pub course: CourseSpec,
    /// Prognostic effects: hazard ratios on the course's transitions for patients whose
    /// tumour carries a biomarker or who have a covariate's level (several multiply).
    pub prognosis: Vec<Prognosis>,
    /// Odds ratios on the response probability for patients with a covariate's level
    /// (`response_odds_ratio`; several multiply): the bit of the level and the ratio.
    pub response_odds_ratio: Vec<(u32, Slot)>,
    /// Cost per year after progression (subsequent therapy).
    pub post_progression_cost: Slot,
    /// Utility of the time progression-free on this regimen (`progression_free_utility`), in
    /// whichever line it is given; `None`: the progression-free state's as a first line, the
    /// progressed state's as a second line.
    pub progression_free_utility: Option<Slot>,
    pub discontinuation: Option<TteSpec>,
    pub adverse_events: Vec<AdverseEvent>,
    /// Interval between scans from treatment start; progression is detected at the next scan.
    pub assessment: Option<Slot>,
    /// P(read as responder | non-responder) and P(read as non-responder | responder).
    pub response_false_positive: Slot,
    pub response_false_negative: Slot,
    /// Delayed response, pseudo-progression and treatment beyond progression.
    pub immunotherapy: Option<Immunotherapy>,
    /// What follows a detected progression on this regimen (first line only).
    pub second_line: Option<SecondLine>,
    /// ctDNA monitoring on treatment.
    pub monitoring: Option<Monitoring>,
}

/// Molecular (ctDNA) monitoring while on treatment: a test every `every` from treatment start;
/// in a patient whose ctDNA is detectable (probability `sensitivity`), progression shows
/// `lead_time` before it is visible on imaging.
#[derive(Clone, Debug)]
pub struct Monitoring {
    pub every: Slot,
    pub lead_time: Slot,
    pub sensitivity: Slot,
    pub cost: Slot,
}

/// The second line of therapy after a regimen: a share of patients alive at the detected
/// progression is treated, chosen by rules on an optional re-test (`pathway.uptake` = 1,
/// no bridging).
#[derive(Clone, Debug)]
pub struct SecondLine {
    /// Share of patients with a detected progression who are fit for a second line.
    pub share: Slot,
    /// The re-test and its rules; without a `default`, its default is the first regimen
    /// itself and `keep_course` is set.
    pub pathway: Strategy,
    /// No `default`: a patient no rule selects starts no second line and keeps the first
    /// regimen's course after progression (as an unfit patient), after the re-test.
    pub keep_course: bool,
}

impl SecondLine {
    /// The regimens a second line may treat with: its rules', and its default unless
    /// patients no rule selects keep the first regimen's course.
    pub fn regimens(&self) -> impl Iterator<Item = usize> + '_ {
        let default = (!self.keep_course).then_some(self.pathway.default);
        self.pathway.rules.iter().map(|&(_, r)| r).chain(default)
    }
}

/// Response patterns of immunotherapy (docs, Model → Immunotherapy).
#[derive(Clone, Debug)]
pub struct Immunotherapy {
    /// Time from treatment start until a responder's response is visible.
    pub time_to_response: Option<TteSpec>,
    /// Probability that a responder looks progressed at the first scan.
    pub pseudo_progression: Slot,
    /// Treatment continues after a first sign of progression until a confirmation scan this
    /// long after it.
    pub beyond_progression: Option<Slot>,
}

/// A hazard ratio on one transition of a regimen's course for the patients `on` names (a
/// biomarker their primary tumour carries, or a level of a covariate): the transition's
/// cumulative hazard is multiplied by it (proportional hazards), whatever the response.
#[derive(Clone, Debug)]
pub struct Prognosis {
    pub on: Condition,
    pub transition: Transition,
    pub hazard_ratio: Slot,
}

/// The patients an effect applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Those whose primary tumour carries the biomarker at diagnosis.
    Biomarker(usize),
    /// Those with one level of a covariate (`[population]`; sex included): a bit of the
    /// patient's levels ([`Covariate`]).
    Level(u32),
}

impl Condition {
    /// Whether a patient with this primary tumour status and these covariate levels is one.
    #[inline]
    pub fn holds(self, primary: u64, levels: u64) -> bool {
        match self {
            Condition::Biomarker(b) => primary & (1 << b) != 0,
            Condition::Level(bit) => levels & (1 << bit) != 0,
        }
    }
}

/// A transition of a regimen's course, as prognostic effects name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Progression (responders and non-responders), or partitioned survival's PFS curve.
    Progression,
    /// Death before progression, or partitioned survival's OS curve.
    Death,
    /// Death after progression (its clock reset at progression).
    AfterProgression,
}

/// What follows progression on a clinical course.
#[derive(Clone, Debug)]
pub enum AfterProgression {
    /// Survival after progression, its clock reset at progression, in the `progressed` state.
    Survival(TteSpec),
    /// A multi-state pathway (index into [`Model::pathways`]) entered at progression.
    Pathway(usize),
}

/// The event-time model of a regimen.
#[derive(Clone, Debug)]
pub enum CourseSpec {
    /// Progression by response status, death before progression (competing), and survival
    /// after progression with its clock reset at progression.
    Clinical {
        progression_responder: TteSpec,
        progression_non_responder: TteSpec,
        death_before_progression: TteSpec,
        after_progression: AfterProgression,
    },
    /// Partitioned survival: PFS and OS curves from diagnosis, coupled comonotonically (one
    /// uniform U: T_pfs = S_pfs⁻¹(U), T_os = S_os⁻¹(U)), so OS is reproduced exactly and the
    /// progression-free share is min(S_pfs, S_os).
    Partitioned { pfs: TteSpec, os: TteSpec },
    /// No course: a treatment (drugs, administration, adverse events) given only in the states
    /// of pathways after progression. No strategy, second line or selection test may put a
    /// patient's course on it (checked when the scenario is compiled).
    TreatmentOnly,
}

#[derive(Clone, Debug)]
pub struct Drug {
    /// Index into [`Model::drugs`].
    pub drug: usize,
    /// Price per cycle.
    pub price: Slot,
    /// Cycle length in years.
    pub cycle: Slot,
    pub max_cycles: Option<u64>,
    pub max_duration: Option<Slot>,
    /// Administration cost per cycle of this drug.
    pub administration: Slot,
}

/// Response probability by true biomarker status: the first listed biomarker the patient
/// carries decides; otherwise `otherwise`.
#[derive(Clone, Debug)]
pub struct Response {
    pub by_biomarker: Vec<(usize, Slot)>,
    pub otherwise: Slot,
}

#[derive(Clone, Debug)]
pub struct AdverseEvent {
    pub name: String,
    pub probability: Slot,
    pub cost: Slot,
    pub qaly_loss: Slot,
    pub process: Process,
}

#[derive(Clone, Debug)]
pub struct States {
    /// Cost per year while progression-free.
    pub progression_free_cost: Slot,
    pub progression_free_utility: Slot,
    /// Cost per year while progressed.
    pub progressed_cost: Slot,
    pub progressed_utility: Slot,
    /// One-off cost at death.
    pub death_cost: Slot,
}

#[derive(Clone, Debug)]
pub struct Strategy {
    pub name: String,
    pub test: Option<usize>,
    /// Share of patients who get the test (the rest go to `default` at once).
    pub uptake: Slot,
    /// Regimen whose drugs are given while waiting for test results.
    pub bridging: Option<usize>,
    /// Regimen whose course a tested patient follows from diagnosis until treatment starts:
    /// `waiting`, else the bridging regimen, else the default regimen.
    pub waiting: usize,
    /// (biomarker read positive, regimen), first match wins.
    pub rules: Vec<(usize, usize)>,
    pub default: usize,
}

/// A time-to-event distribution as written: its form and the slots of its parameters.
#[derive(Clone, Debug)]
pub struct TteSpec {
    pub form: TteForm,
    pub slots: Vec<Slot>,
}

/// Which parameterisation a [`TteSpec`] uses; slots are in the order listed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TteForm {
    /// `[rate]`
    ExponentialRate,
    /// `[median]`
    ExponentialMedian,
    /// `[mean]`
    ExponentialMean,
    /// [shape, scale]
    Weibull,
    /// [shape, median]
    WeibullMedian,
    /// [shape, rate]
    Gompertz,
    /// [shape, scale]
    LogLogistic,
    /// [meanlog, sdlog] with log t measured in a unit of `unit_years` years.
    LogNormal { unit_years: f64 },
    /// [median, sdlog]
    LogNormalMedian,
    /// [breaks..., rates...], n breaks then n rates.
    Piecewise,
    /// [shape, rate]
    Gamma,
    /// [mu, sigma, Q] with mu the log of a time in a unit of `unit_years` years.
    GenGamma { unit_years: f64 },
    /// [knots..., gamma...], n knots (logs of times in a unit of `unit_years` years, constants)
    /// then n coefficients.
    Spline { unit_years: f64 },
}

impl TteSpec {
    /// The concrete distribution for a set of values.
    pub fn build(
        &self,
        values: &[f64],
    ) -> Result<crate::survival::TimeToEvent, crate::survival::DistributionError> {
        use crate::survival::TimeToEvent as T;
        let v = |i: usize| values[self.slots[i].0 as usize];
        match self.form {
            TteForm::ExponentialRate => T::exponential(v(0)),
            TteForm::ExponentialMedian => T::exponential_median(v(0)),
            TteForm::ExponentialMean => T::exponential_mean(v(0)),
            TteForm::Weibull => T::weibull(v(0), v(1)),
            TteForm::WeibullMedian => T::weibull_median(v(0), v(1)),
            TteForm::Gompertz => T::gompertz(v(0), v(1)),
            TteForm::LogLogistic => T::loglogistic(v(0), v(1)),
            TteForm::LogNormal { unit_years } => T::lognormal(v(0) + unit_years.ln(), v(1)),
            TteForm::LogNormalMedian => T::lognormal_median(v(0), v(1)),
            TteForm::Piecewise => {
                let n = self.slots.len() / 2;
                T::piecewise((0..n).map(v).collect(), (n..2 * n).map(v).collect())
            }
            TteForm::Gamma => T::gamma(v(0), v(1)),
            TteForm::GenGamma { unit_years } => T::gengamma(v(0) + unit_years.ln(), v(1), v(2)),
            TteForm::Spline { unit_years } => {
                let n = self.slots.len() / 2;
                T::spline((0..n).map(v).collect(), (n..2 * n).map(v).collect(), unit_years)
            }
        }
    }
}

/// A strategy under list prices (`contract: None`) or under one contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arm {
    pub strategy: usize,
    pub contract: Option<usize>,
}

/// A row of a table of arms that shows threshold prices ([`Model::listings`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listing {
    /// The arm whose costs and outcomes the row shows.
    pub arm: usize,
    /// Its contract (`None`: the list arm).
    pub contract: Option<usize>,
    /// Where the contract's sums sit (its row of contract rows: `ContractRow::slot`).
    pub slot: Option<usize>,
}

/// A contract settled on one strategy's patients: a row of contracts.csv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    pub strategy: usize,
    pub contract: usize,
    /// The arm whose costs and outcomes are the contract's: its own contract arm, or, for a
    /// contract of kind `list` (which adds no arm), its strategy's list arm.
    pub arm: usize,
    /// Where its contract sums sit (`SampleSums::contracts`): the contract arm's index, or a
    /// slot after every arm's for a `list` contract.
    pub slot: usize,
}

impl Model {
    /// The list price per cycle of contract `c`'s drug in the regimens the contract covers, at
    /// `values` (`None` if none of them gives the drug).
    pub fn list_price(&self, c: usize, values: &[f64]) -> Option<f64> {
        self.contracted_drug(c).map(|d| values[d.price.0 as usize])
    }

    /// The cycle (in years) that contract `c`'s list price is per, in the first regimen it
    /// covers that gives the drug (`None` if none does).
    pub fn list_cycle(&self, c: usize, values: &[f64]) -> Option<f64> {
        self.contracted_drug(c).map(|d| values[d.cycle.0 as usize])
    }

    /// Contract `c`'s drug as the first regimen it covers that gives it has it.
    fn contracted_drug(&self, c: usize) -> Option<&Drug> {
        let contract = &self.contracts[c];
        (contract.regimens.iter())
            .flat_map(|&g| &self.regimens[g].drugs)
            .find(|d| d.drug == contract.drug)
    }

    /// The name of what a rule's positive reading refers to: a biomarker, or (bits after the
    /// biomarkers') a selection test.
    pub fn positive_name(&self, bit: usize) -> &str {
        if bit < self.biomarkers.len() {
            return &self.biomarkers[bit].name;
        }
        self.tests
            .iter()
            .find(|t| t.selection.as_ref().is_some_and(|s| s.bit == bit))
            .map_or("?", |t| t.name.as_str())
    }

    /// Cohort-level contracts and the patients of one of their populations (population × years).
    pub fn cohort_sizes(&self) -> Vec<(&str, u64)> {
        self.contracts
            .iter()
            .filter_map(|c| Some((c.name.as_str(), c.kind.cohort()?.size())))
            .collect()
    }

    /// Regimens a strategy's patients may be treated with (bridging aside): its rules' and
    /// default regimens, and their second lines'.
    pub fn regimens_of(&self, strategy: &Strategy) -> Vec<usize> {
        let first = strategy.rules.iter().map(|&(_, r)| r).chain([strategy.default]);
        let mut out: Vec<usize> = Vec::new();
        for r in first {
            out.push(r);
            if let Some(sl) = &self.regimens[r].second_line {
                out.extend(sl.regimens());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The pathway states strategy `s` can reach (through the pathways of its regimens'
    /// courses, each once, in model order): (pathway, state, slot among every pathway's
    /// states).
    pub fn pathway_slots(&self, s: usize) -> Vec<(usize, usize, usize)> {
        let mut used = vec![false; self.pathways.len()];
        // The regimens of its courses: its treatments and the one it waits on (whose course a
        // patient who progresses while waiting keeps).
        let strategy = &self.strategies[s];
        for r in self.regimens_of(strategy).into_iter().chain([strategy.waiting]) {
            if let CourseSpec::Clinical {
                after_progression: AfterProgression::Pathway(k), ..
            } = &self.regimens[r].course
            {
                used[*k] = true;
            }
        }
        let mut out = Vec::new();
        let mut slot = 0;
        for (p, pathway) in self.pathways.iter().enumerate() {
            for k in 0..pathway.states.len() {
                if used[p] {
                    out.push((p, k, slot));
                }
                slot += 1;
            }
        }
        out
    }

    /// The contracts covering some regimen of strategy `s` (including the regimens of the
    /// pathway states its patients can reach), in file order.
    fn contracts_of(&self, s: usize) -> Vec<usize> {
        let mut regimens = self.regimens_of(&self.strategies[s]);
        let states = self.pathway_slots(s).into_iter();
        regimens.extend(states.filter_map(|(p, k, _)| self.pathways[p].states[k].regimen));
        (0..self.contracts.len())
            .filter(|&c| regimens.iter().any(|r| self.contracts[c].regimens.contains(r)))
            .collect()
    }

    /// Every arm, strategy by strategy: the list arm, then one arm per contract covering some
    /// regimen of the strategy (in file order). A `list` contract without administration adds
    /// no arm: its terms are the list arm's (see [`Model::settlements`]).
    pub fn arms(&self) -> Vec<Arm> {
        let mut arms = Vec::new();
        for s in 0..self.strategies.len() {
            arms.push(Arm { strategy: s, contract: None });
            for c in self.contracts_of(s) {
                if !self.contracts[c].on_list_arm {
                    arms.push(Arm { strategy: s, contract: Some(c) });
                }
            }
        }
        arms
    }

    /// The arms and the `list` contracts settled on list arms, strategy by strategy: its list
    /// arm, then each contract in file order (the arms' order, with each `list` contract where
    /// its arm would be). Tables of arms whose rows carry a threshold price list these (a
    /// `list` contract's row repeats its list arm's numbers with the contract's price).
    pub fn listings(&self) -> Vec<Listing> {
        let arms = self.arms();
        let settlements = self.settlements();
        let mut out = Vec::new();
        for (i, a) in arms.iter().enumerate().filter(|(_, a)| a.contract.is_none()) {
            out.push(Listing { arm: i, contract: None, slot: None });
            for r in settlements.iter().filter(|r| r.strategy == a.strategy) {
                out.push(Listing { arm: r.arm, contract: Some(r.contract), slot: Some(r.slot) });
            }
        }
        out
    }

    /// Slots of contract sums: one per arm (a list arm's unused), then one per `list` contract
    /// settled on a list arm.
    pub fn slots(&self) -> usize {
        Self::slots_of(&self.arms(), &self.settlements())
    }

    /// [`Model::slots`] from the arms and settlements already at hand.
    pub fn slots_of(arms: &[Arm], settlements: &[Settlement]) -> usize {
        arms.len() + settlements.iter().filter(|s| s.slot != s.arm).count()
    }

    /// Every contract settled on some strategy's patients (the rows of contracts.csv), strategy
    /// by strategy in file order: a contract arm, or a `list` contract settled on its
    /// strategy's list arm (its slots after the arms').
    pub fn settlements(&self) -> Vec<Settlement> {
        let arms = self.arms();
        let mut next_slot = arms.len();
        let mut out = Vec::new();
        for s in 0..self.strategies.len() {
            let list = arms.iter().position(|a| a.strategy == s && a.contract.is_none());
            for c in self.contracts_of(s) {
                let own = arms.iter().position(|a| a.strategy == s && a.contract == Some(c));
                let (arm, slot) = match (own, list) {
                    (Some(arm), _) => (arm, arm),
                    (None, Some(list)) => {
                        next_slot += 1;
                        (list, next_slot - 1)
                    }
                    (None, None) => continue,
                };
                out.push(Settlement { strategy: s, contract: c, arm, slot });
            }
        }
        out
    }

    /// The name of an arm's contract, as its tables show it: the contract's name, or `list`.
    pub fn contract_name(&self, contract: Option<usize>) -> &str {
        contract.map_or("list", |c| self.contracts[c].name.as_str())
    }

    /// An arm's name as tables, plots and messages show it: `strategy/contract`.
    /// Every uncertain parameter in file order, then every `[[evppi_groups]]` group.
    pub fn evppi_subjects(&self) -> Vec<EvppiSubject> {
        let uncertain: Vec<usize> =
            (0..self.parameters.len()).filter(|&i| self.parameters[i].is_uncertain()).collect();
        let column = |i: usize| uncertain.iter().position(|&u| u == i);
        let mut out: Vec<EvppiSubject> = uncertain
            .iter()
            .enumerate()
            .map(|(k, &i)| EvppiSubject {
                name: self.parameters[i].name.clone(),
                members: vec![self.parameters[i].name.clone()],
                columns: vec![k],
            })
            .collect();
        out.extend(self.evppi_groups.iter().map(|g| EvppiSubject {
            name: g.name.clone(),
            members: g.parameters.iter().map(|&i| self.parameters[i].name.clone()).collect(),
            columns: g.parameters.iter().filter_map(|&i| column(i)).collect(),
        }));
        out
    }

    /// Per arm of `arms`: the arm its increments are against. The comparator's list arm, or
    /// under [`ComparatorContract::Same`] a contract arm's comparator under the same contract
    /// when the comparator has that arm. The reference of a reference is itself.
    pub fn references(&self, arms: &[Arm]) -> Vec<usize> {
        let comparator = self.meta.comparator;
        let find =
            |contract| arms.iter().position(|a| *a == Arm { strategy: comparator, contract });
        let list = find(None).unwrap_or(0);
        arms.iter()
            .map(|a| match (self.meta.comparator_contract, a.contract) {
                (ComparatorContract::Same, Some(c)) => find(Some(c)).unwrap_or(list),
                _ => list,
            })
            .collect()
    }

    pub fn arm_name(&self, strategy: usize, contract: Option<usize>) -> String {
        format!("{}/{}", self.strategies[strategy].name, self.contract_name(contract))
    }

    #[inline]
    /// Who a condition names, in words: `EGFR+` or `ecog = 1`.
    pub fn condition_name(&self, on: Condition) -> String {
        match on {
            Condition::Biomarker(b) => format!("{}+", self.biomarkers[b].name),
            Condition::Level(bit) => match &self.population {
                Some(p) => {
                    let (c, l) = p.level_name(bit);
                    format!("{c} = {l}")
                }
                None => format!("level {bit}"),
            },
        }
    }

    pub fn value(&self, slot: Slot) -> f64 {
        self.values[slot.0 as usize]
    }

    /// Whether strategy `s` runs test `test` (first, or as a reflex test on failure or on a
    /// negative reading).
    pub fn runs_test(&self, s: usize, test: usize) -> bool {
        self.strategies[s].test.is_some_and(|first| self.reflexes_from(first).contains(&test))
    }

    /// The tests a pathway starting with test `first` may run: `first` and every test its
    /// reflexes (on failure, on a negative reading) reach, each once.
    pub fn reflexes_from(&self, first: usize) -> Vec<usize> {
        let mut reached = vec![first];
        let mut at = 0;
        while let Some(&t) = reached.get(at) {
            let test = &self.tests[t];
            for next in [test.on_failure, test.on_negative].into_iter().flatten() {
                if !reached.contains(&next) {
                    reached.push(next);
                }
            }
            at += 1;
        }
        reached
    }
}
