//! The compiled model: plain data, indices instead of names, numbers as slots.
//!
//! Every number of the scenario lives in one table of values; fields hold a [`Slot`] into it.
//! A field that names a parameter shares the parameter's slot, so a PSA draw (or a one-way
//! sensitivity value) is applied by overwriting one entry, and every field that uses the
//! parameter sees it. The engine never reads this structure in its hot loop: it reads a
//! [`crate::sim::Prepared`] built from it for one set of values.

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
    pub biomarkers: Vec<Biomarker>,
    pub groups: Vec<BiomarkerGroup>,
    pub tests: Vec<Test>,
    pub regimens: Vec<Regimen>,
    pub states: States,
    pub strategies: Vec<Strategy>,
    /// Distinct drug names, in order of first appearance: one cost category each.
    pub drugs: Vec<String>,
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
    pub patients: u64,
    pub samples: u64,
    pub seed: u64,
    /// Index of the comparator strategy.
    pub comparator: usize,
    /// Willingness-to-pay thresholds per QALY.
    pub thresholds: Vec<f64>,
    pub perspective: Perspective,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Perspective {
    /// The payer keeps the patient for life.
    National,
}

#[derive(Clone, Debug)]
pub struct Parameter {
    pub name: String,
    pub slot: Slot,
    pub dimension: Dimension,
}

#[derive(Clone, Debug)]
pub struct Biomarker {
    pub name: String,
    pub prevalence: Slot,
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
}

#[derive(Clone, Debug)]
pub struct Test {
    pub name: String,
    pub readings: Vec<Reading>,
    pub failure: Slot,
    /// Reflex test run on failure; `None` reads every biomarker as negative.
    pub on_failure: Option<usize>,
    pub cost: Slot,
    pub turnaround: Slot,
    pub failure_process: Process,
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
    pub progression_responder: TteSpec,
    pub progression_non_responder: TteSpec,
    pub death_before_progression: TteSpec,
    pub post_progression_survival: TteSpec,
    /// Cost per year after progression (subsequent therapy).
    pub post_progression_cost: Slot,
    pub discontinuation: Option<TteSpec>,
    pub adverse_events: Vec<AdverseEvent>,
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
    /// [rate]
    ExponentialRate,
    /// [median]
    ExponentialMedian,
    /// [mean]
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
        }
    }
}

impl Model {
    #[inline]
    pub fn value(&self, slot: Slot) -> f64 {
        self.values[slot.0 as usize]
    }

    /// Cost categories of the model, in the order of costs.csv.
    pub fn categories(&self) -> Vec<String> {
        let mut c = vec!["testing".to_string()];
        c.extend(self.drugs.iter().map(|d| format!("drug:{d}")));
        c.extend(
            [
                "administration",
                "adverse_events",
                "state:progression_free",
                "state:progressed",
                "post_progression",
                "terminal_care",
            ]
            .map(String::from),
        );
        c
    }
}
