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

use super::prepared::PrepareError;
use crate::life_table::{LifeTable, Sex};
use crate::model::{Age, Population};
use crate::rng::{PatientKey, Process};
use statrs::distribution::{ContinuousCDF, Normal};
use std::sync::Arc;

/// `[population]` with concrete numbers.
#[derive(Clone, Debug)]
pub struct Background {
    age: PreparedAge,
    share_female: f64,
    pub table: Arc<LifeTable>,
    age_process: Process,
    sex_process: Process,
    death_process: Process,
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
                let below = standard_normal().cdf((min - mean) / sd);
                let within = standard_normal().cdf((max - mean) / sd) - below;
                PreparedAge::Normal { mean, sd, below, within, min, max }
            }
            Age::Uniform { min, max } => PreparedAge::Uniform { min, max },
        };
        Ok(Background {
            age,
            share_female: v(p.share_female),
            table: Arc::clone(table),
            age_process: p.age_process,
            sex_process: p.sex_process,
            death_process: p.death_process,
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
                    (mean + sd * standard_normal().inverse_cdf(p)).clamp(min, max)
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

    /// Years from diagnosis to the patient's death from general-population mortality, if
    /// before `horizon` (infinite otherwise: a death after the horizon is of no account).
    #[inline]
    pub fn death(&self, key: PatientKey, who: Person, horizon: f64) -> f64 {
        let u = key.uniform(self.death_process, 0);
        self.table.time_to_death_within(who.sex, who.age, u, horizon)
    }
}

fn standard_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("the standard normal is valid")
}
