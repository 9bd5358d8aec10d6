//! Who the patients are (`[population]`): their age at diagnosis, their sex, and the
//! general-population mortality of people of that age and sex, from a life table.

use super::Slot;
use crate::accounting::discount::Discount;
use crate::life_table::LifeTable;
use crate::rng::Process;
use std::sync::Arc;

/// `[population]`: each patient's age and sex, drawn once per patient on processes of their
/// own (so that adding the table moves no other draw), and the general population's death
/// that competes with the disease's.
#[derive(Clone, Debug)]
pub struct Population {
    pub age: Age,
    /// The share of patients who are female (a probability).
    pub share_female: Slot,
    pub life_table: Arc<LifeTable>,
    /// How the scenario names the table: a bundled table's name or the CSV's path.
    pub table_name: String,
    /// The SHA-256 of a CSV table's text (none for a bundled table, which is part of vbpsim):
    /// part of the scenario's identity, so that a run resumed or merged with another table
    /// is refused.
    pub table_sha256: Option<String>,
    pub mortality: Mortality,
    /// Age- and sex-adjusted utilities (`None`: state utilities as given, at every age).
    pub utility_norms: Option<UtilityNorms>,
    /// The SHA-256 of a norms CSV's text (part of the scenario's identity, as the table's).
    pub norms_sha256: Option<String>,
    pub age_process: Process,
    pub sex_process: Process,
    pub death_process: Process,
    /// The uniforms that keep or drop the background candidates under a floored mortality.
    pub floor_process: Process,
}

/// Age at diagnosis, in years (internal time unit), within the life table's ages.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Age {
    /// Every patient the same age.
    Fixed(Slot),
    /// A normal distribution truncated to `[min, max]` (literal bounds, drawn by inversion).
    Normal { mean: Slot, sd: Slot, min: f64, max: f64 },
    /// Uniform on `[min, max]`.
    Uniform { min: f64, max: f64 },
}

/// How general-population mortality meets the disease's death hazards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mortality {
    /// The background hazard of the patient's current age and sex is added to every state's
    /// disease-specific death hazard (an excess-hazard, or relative-survival, model): death is
    /// the earlier of the disease's and the general population's, drawn independently.
    Added,
    /// Every state's death hazard is floored at the background hazard: max(h_disease,
    /// h_background), the usual check that an extrapolated curve never lets patients outlive
    /// the general population.
    Floor,
}

impl Mortality {
    pub fn name(self) -> &'static str {
        match self {
            Mortality::Added => "added",
            Mortality::Floor => "floor",
        }
    }
}

/// The general population's utility by age and sex, which scales every state utility as the
/// patient ages: u(t) = u_state·N(a₀ + t)/N(a₀) (the state's utility holds at the age at
/// diagnosis and falls with the norm after it).
#[derive(Clone, Debug, PartialEq)]
pub enum UtilityNorms {
    /// Ara & Brazier 2010 (Value Health 13:509–518), the EQ-5D (UK tariff) regression on the
    /// Health Survey for England: N(x) = 0.9508566 + 0.0212126·male − 0.0002587·x −
    /// 0.0000332·x².
    AraBrazier2010,
    /// A table of norms by single year of age (constant within a year; the last age's value
    /// beyond the table).
    Table(Arc<NormsTable>),
}

/// Population utility norms by single year of age from `first_age`, by sex (each in (0, 1]).
#[derive(Clone, Debug, PartialEq)]
pub struct NormsTable {
    /// The CSV's path as the scenario gives it.
    pub name: String,
    pub first_age: u32,
    pub male: Vec<f64>,
    pub female: Vec<f64>,
}

/// A person's utility multiplier m(t) = N(a₀ + t)/N(a₀) (see [`UtilityNorms`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UtilityWeight<'a> {
    /// m(t) = 1 − c₁·t − c₂·t².
    Quadratic(f64, f64),
    /// m(t) = norms[year of age a₀ + t] / N(a₀), by single years from `first` (the last
    /// year's value beyond the table).
    Steps { age: f64, first: f64, norms: &'a [f64], at_diagnosis: f64 },
}

impl UtilityNorms {
    pub fn name(&self) -> &str {
        match self {
            UtilityNorms::AraBrazier2010 => "ara_brazier_2010",
            UtilityNorms::Table(t) => &t.name,
        }
    }

    /// N(x) for a person of age x (a table's: the year x falls in).
    pub fn norm(&self, age: f64, male: bool) -> f64 {
        match self {
            UtilityNorms::AraBrazier2010 => {
                0.9508566 + if male { 0.0212126 } else { 0.0 }
                    - 0.0002587 * age
                    - 0.0000332 * age * age
            }
            UtilityNorms::Table(t) => {
                let norms = if male { &t.male } else { &t.female };
                let k = ((age - f64::from(t.first_age)) as usize).min(norms.len() - 1);
                norms[k]
            }
        }
    }

    /// The multiplier of a person aged a₀ at diagnosis.
    pub fn weight(&self, age: f64, male: bool) -> UtilityWeight<'_> {
        let n0 = self.norm(age, male);
        match self {
            UtilityNorms::AraBrazier2010 => {
                UtilityWeight::Quadratic((0.0002587 + 2.0 * 0.0000332 * age) / n0, 0.0000332 / n0)
            }
            UtilityNorms::Table(t) => UtilityWeight::Steps {
                age,
                first: f64::from(t.first_age),
                norms: if male { &t.male } else { &t.female },
                at_diagnosis: n0,
            },
        }
    }
}

impl UtilityWeight<'_> {
    /// ∫_a^b m(t)·d(t) dt: the discounted time from a to b weighted by the multiplier, in
    /// closed form (see [`Discount::quadratic_integral`] and [`Discount::steps_integral`]).
    #[inline]
    pub fn integral(&self, d: &Discount, a: f64, b: f64) -> f64 {
        match *self {
            UtilityWeight::Quadratic(c1, c2) => d.quadratic_integral(a, b, (c1, c2)),
            UtilityWeight::Steps { age, first, norms, at_diagnosis } => {
                d.steps_integral(a, b, (age, first, norms, at_diagnosis))
            }
        }
    }
}
