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
use crate::model::{Age, CovariateSource, FEMALE_BIT, MALE_BIT, Mortality, Population, Profiles};
use crate::rng::{PatientKey, Process};
use crate::survival::{normal_cdf, normal_quantile};
use std::sync::Arc;

/// `[population]` with concrete numbers.
#[derive(Clone, Debug)]
pub struct Background {
    age: PreparedAge,
    /// `None`: each patient's sex is their profile's.
    share_female: Option<f64>,
    profiles: Option<Arc<Profiles>>,
    /// The covariates, each drawn from shares or read from the profile.
    covariates: Vec<PreparedCovariate>,
    pub table: Arc<LifeTable>,
    /// `background_mortality = "floor"` (else added).
    pub floor: bool,
    /// Age- and sex-adjusted utilities, if the scenario asks for them.
    norms: Option<crate::model::UtilityNorms>,
    /// The norms' fall is subtracted from utilities (else they are multiplied).
    decrement: bool,
    age_process: Process,
    sex_process: Process,
    profile_process: Process,
    death_process: Process,
    floor_process: Process,
}

/// How far a sample's covariate shares may sum from 1 (rounding in a Dirichlet's draws).
const SHARES_TOLERANCE: f64 = 1e-9;

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
    /// The profile's age.
    Profiles,
}

/// How a patient's level of one covariate is found.
#[derive(Clone, Debug)]
enum PreparedCovariate {
    /// The first level whose cumulative share exceeds the covariate's uniform.
    Shares { first_bit: u32, cumulative: Vec<f64>, process: Process },
    /// The profile's cell in a covariate column.
    Profiles { first_bit: u32, column: usize },
}

/// Who a patient is: age at diagnosis (years), sex, and covariate levels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Person {
    pub age: f64,
    pub sex: Sex,
    /// One bit per level the patient has: sex's ([`crate::model::FEMALE_BIT`],
    /// [`crate::model::MALE_BIT`]) and one level of each covariate.
    pub levels: u64,
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
            Age::Profiles => PreparedAge::Profiles,
        };
        let mut covariates = Vec::with_capacity(p.covariates.len());
        for c in &p.covariates {
            covariates.push(match &c.source {
                CovariateSource::Shares { shares, process } => {
                    let mut acc = 0.0;
                    let cumulative: Vec<f64> = shares
                        .iter()
                        .map(|&s| {
                            acc += v(s);
                            acc
                        })
                        .collect();
                    if (acc - 1.0).abs() > SHARES_TOLERANCE {
                        return Err(PrepareError::CovariateShares {
                            covariate: c.name.clone(),
                            sum: acc,
                        });
                    }
                    PreparedCovariate::Shares {
                        first_bit: c.first_bit,
                        cumulative,
                        process: *process,
                    }
                }
                CovariateSource::Profiles { column } => {
                    PreparedCovariate::Profiles { first_bit: c.first_bit, column: *column }
                }
            });
        }
        Ok(Background {
            age,
            share_female: p.share_female.map(v),
            profiles: p.profiles.clone(),
            covariates,
            table: Arc::clone(table),
            floor: p.mortality == Mortality::Floor,
            norms: p.utility_norms.clone(),
            decrement: p.utility_adjustment == crate::model::Adjustment::Decrement,
            age_process: p.age_process,
            sex_process: p.sex_process,
            profile_process: p.profile_process,
            death_process: p.death_process,
            floor_process: p.floor_process,
        })
    }

    /// The patient's age at diagnosis, sex and covariate levels: from the patient's profile
    /// (one uniform picks it), or each drawn from a uniform of its own.
    #[inline]
    pub fn person(&self, key: PatientKey) -> Person {
        let row = self.profiles.as_ref().map(|p| {
            let u = key.uniform(self.profile_process, 0);
            let row = match &p.cumulative {
                Some(c) => c.partition_point(|&x| x <= u),
                None => (u * p.rows as f64) as usize,
            };
            (&**p, row.min(p.rows - 1))
        });
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
            PreparedAge::Profiles => match row {
                Some((p, i)) => p.age.as_ref().map_or(f64::NAN, |a| a[i]),
                None => unreachable!("an age from profiles has profiles (scenario checks)"),
            },
        };
        let female = match (self.share_female, row) {
            (Some(share), _) => key.uniform(self.sex_process, 0) < share,
            (None, Some((p, i))) => p.female.as_ref().is_some_and(|f| f[i]),
            (None, None) => unreachable!("a sex from profiles has profiles (scenario checks)"),
        };
        let mut levels = 1 << if female { FEMALE_BIT } else { MALE_BIT };
        for c in &self.covariates {
            levels |= match c {
                PreparedCovariate::Shares { first_bit, cumulative, process } => {
                    let u = key.uniform(*process, 0);
                    let k = cumulative.partition_point(|&x| x <= u).min(cumulative.len() - 1);
                    1 << (first_bit + k as u32)
                }
                PreparedCovariate::Profiles { first_bit, column } => match row {
                    Some((p, i)) => 1 << (first_bit + u32::from(p.columns[*column][i])),
                    None => unreachable!("a covariate from profiles has profiles"),
                },
            };
        }
        Person { age, sex: if female { Sex::Female } else { Sex::Male }, levels }
    }

    /// The adjustment of the patient's utilities by the norms, m(t) = N(a₀ + t)/N(a₀) with
    /// N(a₀) under a decrement; `None` without utility norms.
    #[inline]
    pub fn utility_weight(&self, who: Person) -> Option<crate::model::UtilityAdjustment<'_>> {
        self.norms.as_ref().map(|n| {
            let male = who.sex == Sex::Male;
            crate::model::UtilityAdjustment {
                weight: n.weight(who.age, male),
                decrement: self.decrement.then(|| n.norm(who.age, male)),
            }
        })
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
