//! Each patient's age, sex and general-population death (docs, Model → Population and
//! background mortality).
//!
//! The background death B is drawn once per patient, on its own random process, by inverting
//! the life table's cumulative hazard from the patient's age at diagnosis (constant hazard
//! within each year of age, no cycles). With `background_mortality = "added"` every
//! strategy's course is cut at B: the hazard of death in every state is then the disease's
//! plus the general population's at the patient's current age, as in an excess-hazard model,
//! because B is independent of the disease's own event times. Every strategy sees the same B
//! (common random numbers).
//!
//! With `background_mortality = "floor"` the death hazard of every state is instead
//! max(h_disease, h_background). That is h_disease plus an extra hazard
//! max(0, h_background − h_disease), which is drawn by thinning: the candidates of the
//! background process (B and the later points of the same Poisson process, each by
//! inversion) are each kept with probability 1 − h_disease/h_background at their time, on a
//! uniform of their own, and the first kept one is a death. The disease hazard at a candidate
//! is that of the state the patient's course is in then, so each strategy keeps its own
//! candidates (the candidates and their uniforms are the patient's, shared).

use super::prepared::PrepareError;
use crate::life_table::{LifeTable, Sex};
use crate::model::{Age, Mortality, Population};
use crate::rng::{PatientKey, Process};
use crate::survival::{normal_cdf, normal_quantile};
use std::sync::Arc;

/// `[population]` with concrete numbers.
#[derive(Clone, Debug)]
pub struct Background {
    age: PreparedAge,
    share_female: f64,
    pub table: Arc<LifeTable>,
    /// `background_mortality = "floor"` (else added).
    pub floor: bool,
    /// Age- and sex-adjusted utilities, if the scenario asks for them.
    norms: Option<crate::model::UtilityNorms>,
    age_process: Process,
    sex_process: Process,
    death_process: Process,
    floor_process: Process,
}

#[derive(Clone, Copy, Debug)]
enum PreparedAge {
    Fixed(f64),
    /// A normal truncated to [min, max], drawn by inversion between the bounds' probabilities.
    Normal {
        mean: f64,
        sd: f64,
        below: f64,
        within: f64,
        min: f64,
        max: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
}

/// Who a patient is: age at diagnosis (years) and sex.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Person {
    pub age: f64,
    pub sex: Sex,
}

impl Background {
    pub fn new(p: &Population, values: &[f64]) -> Result<Self, PrepareError> {
        let v = |s: crate::model::Slot| values[s.0 as usize];
        let table = &p.life_table;
        let age = match p.age {
            Age::Fixed(slot) => {
                let age = v(slot);
                let (lowest, highest) = (f64::from(table.first_age), table.max_age);
                if !(age >= lowest && age < highest) {
                    return Err(PrepareError::Age { age, lowest, highest });
                }
                PreparedAge::Fixed(age)
            }
            Age::Normal { mean, sd, min, max } => {
                let (mean, sd) = (v(mean), v(sd));
                let below = normal_cdf((min - mean) / sd);
                let within = normal_cdf((max - mean) / sd) - below;
                PreparedAge::Normal { mean, sd, below, within, min, max }
            }
            Age::Uniform { min, max } => PreparedAge::Uniform { min, max },
        };
        Ok(Background {
            age,
            share_female: v(p.share_female),
            table: Arc::clone(table),
            floor: p.mortality == Mortality::Floor,
            norms: p.utility_norms.clone(),
            age_process: p.age_process,
            sex_process: p.sex_process,
            death_process: p.death_process,
            floor_process: p.floor_process,
        })
    }

    /// The patient's age at diagnosis and sex, each from its own uniform.
    #[inline]
    pub fn person(&self, key: PatientKey) -> Person {
        let age = match self.age {
            PreparedAge::Fixed(a) => a,
            PreparedAge::Normal { mean, sd, below, within, min, max } => {
                if within > 0.0 {
                    let p = below + key.uniform(self.age_process, 0) * within;
                    (mean + sd * normal_quantile(p)).clamp(min, max)
                } else {
                    // Both bounds in one far tail (an extreme draw of the mean): the bound
                    // nearer the mean.
                    mean.clamp(min, max)
                }
            }
            PreparedAge::Uniform { min, max } => {
                min + key.uniform(self.age_process, 0) * (max - min)
            }
        };
        let female = key.uniform(self.sex_process, 0) < self.share_female;
        Person { age, sex: if female { Sex::Female } else { Sex::Male } }
    }

    /// The multiplier of the patient's utilities, m(t) = N(a₀ + t)/N(a₀); `None` without
    /// utility norms.
    #[inline]
    pub fn utility_weight(&self, who: Person) -> Option<crate::model::UtilityWeight<'_>> {
        self.norms.as_ref().map(|n| n.weight(who.age, who.sex == Sex::Male))
    }

    /// Years from diagnosis to the patient's death from general-population mortality, if
    /// before `horizon` (infinite otherwise: a death after the horizon is of no account).
    #[inline]
    pub fn death(&self, key: PatientKey, who: Person, horizon: f64) -> f64 {
        let u = key.uniform(self.death_process, 0);
        self.table.time_to_death_within(who.sex, who.age, u, horizon)
    }

    /// Under a floored mortality, the first candidate in `[from, until)` that the disease's
    /// death hazard at its time (`disease`, years from diagnosis) does not already exceed: a
    /// candidate t is kept when h_disease(t) < (1 − v)·h_background(t), v its uniform, so with
    /// probability max(0, 1 − h_disease/h_background). Infinite if none. The first candidate
    /// is the added mode's B; at the table's maximum age every candidate is kept.
    pub fn floored_death(
        &self,
        (key, who): (PatientKey, Person),
        (from, until): (f64, f64),
        disease: impl Fn(f64) -> f64,
    ) -> f64 {
        let end = self.table.max_age - who.age;
        let deaths = self.table.deaths(who.sex, who.age, until);
        let mut e = 0.0;
        for i in 0.. {
            e -= key.uniform(self.death_process, i).ln();
            let t = deaths.time(e);
            if !t.is_finite() {
                return f64::INFINITY;
            }
            if t < from {
                continue;
            }
            let background = self.table.hazard_at(who.sex, who.age + t);
            // At the maximum age, and in a year where q_x = 1 (an infinite hazard, where
            // every later candidate falls at the same time), every candidate is kept.
            if t >= end || !background.is_finite() {
                return t;
            }
            let v = key.uniform(self.floor_process, i);
            // Kept unless the disease's hazard is at least (1 − v)·h_b (a hazard that is not
            // a number, which no valid distribution gives, counts as none).
            if !(disease(t) >= (1.0 - v) * background) {
                return t;
            }
        }
        f64::INFINITY
    }
}
