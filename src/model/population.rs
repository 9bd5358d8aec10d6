//! Who the patients are (`[population]`): their age at diagnosis, their sex, and the
//! general-population mortality of people of that age and sex, from a life table.

use super::Slot;
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UtilityNorms {
    /// Ara & Brazier 2010 (Value Health 13:509–518), the EQ-5D (UK tariff) regression on the
    /// Health Survey for England: N(x) = 0.9508566 + 0.0212126·male − 0.0002587·x −
    /// 0.0000332·x².
    AraBrazier2010,
}

impl UtilityNorms {
    pub fn name(self) -> &'static str {
        match self {
            UtilityNorms::AraBrazier2010 => "ara_brazier_2010",
        }
    }

    /// N(x) for a person of age x.
    pub fn norm(self, age: f64, male: bool) -> f64 {
        match self {
            UtilityNorms::AraBrazier2010 => {
                0.9508566 + if male { 0.0212126 } else { 0.0 }
                    - 0.0002587 * age
                    - 0.0000332 * age * age
            }
        }
    }

    /// The multiplier m(t) = N(a₀ + t)/N(a₀) = 1 − c₁·t − c₂·t² of a person aged a₀ at
    /// diagnosis: (c₁, c₂).
    pub fn weight(self, age: f64, male: bool) -> (f64, f64) {
        match self {
            UtilityNorms::AraBrazier2010 => {
                let n0 = self.norm(age, male);
                ((0.0002587 + 2.0 * 0.0000332 * age) / n0, 0.0000332 / n0)
            }
        }
    }
}
