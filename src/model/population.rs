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
    /// The share of patients who are female (a probability); `None`: each patient's sex is
    /// their profile's (`profiles` has a `sex` column).
    pub share_female: Option<Slot>,
    /// Patient profiles (`profiles = "FILE.csv"`): each patient is one row, drawn with
    /// replacement (by weight, if the file has a `weight` column).
    pub profiles: Option<Arc<Profiles>>,
    /// The SHA-256 of the profiles CSV's text (part of the scenario's identity).
    pub profiles_sha256: Option<String>,
    /// Named categorical characteristics (ECOG, PD-L1 class, smoking): the stated ones in the
    /// order given, then the profiles' columns.
    pub covariates: Vec<Covariate>,
    /// Multipliers of every state's costs for patients with a covariate level
    /// (`cost_ratio`; several multiply): the level's bit and the ratio.
    pub cost_ratio: Vec<(u32, Slot)>,
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
    /// How the norms adjust a state utility: multiplied by their ratio, or decremented by
    /// their fall (`utility_adjustment`).
    pub utility_adjustment: Adjustment,
    /// The SHA-256 of a norms CSV's text (part of the scenario's identity, as the table's).
    pub norms_sha256: Option<String>,
    pub age_process: Process,
    pub sex_process: Process,
    /// The uniform that picks each patient's profile.
    pub profile_process: Process,
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
    /// The age of each patient's profile (`profiles` has an `age` column).
    Profiles,
}

/// The bit of a patient's levels that says the patient is female (sex is a covariate with
/// the levels "female" and "male", which effects name like any other).
pub const FEMALE_BIT: u32 = 0;
/// The bit of a male patient.
pub const MALE_BIT: u32 = 1;
/// The first bit of the named covariates' levels (after the two of sex).
pub const FIRST_COVARIATE_BIT: u32 = 2;
/// At most this many levels of all covariates together, sex's two included: a patient's
/// levels are one 64-bit mask, one bit per level.
pub const MAX_LEVELS: u32 = 64;

/// A named categorical covariate. Level k of the covariate is bit `first_bit + k` of a
/// patient's levels.
#[derive(Clone, Debug)]
pub struct Covariate {
    pub name: String,
    pub levels: Vec<String>,
    pub first_bit: u32,
    pub source: CovariateSource,
}

/// Where a covariate's level comes from.
#[derive(Clone, Debug)]
pub enum CovariateSource {
    /// Drawn from stated shares (one per level; each sample's shares must sum to 1), on a
    /// random process of its own keyed by the covariate's name, so that adding a covariate
    /// moves no other draw.
    Shares { shares: Vec<Slot>, process: Process },
    /// Column `column` of the profiles.
    Profiles { column: usize },
}

/// A table of patient profiles (`profiles = "FILE.csv"`), one row per patient of a source
/// population (a trial's or a registry's), sampled with replacement.
#[derive(Clone, Debug, PartialEq)]
pub struct Profiles {
    /// The CSV's path as the scenario gives it.
    pub name: String,
    pub rows: usize,
    /// Each row's age at diagnosis (years), if the file has an `age` column.
    pub age: Option<Vec<f64>>,
    /// Whether each row is female, if the file has a `sex` column.
    pub female: Option<Vec<bool>>,
    /// Each covariate column's level index by row (columns in file order).
    pub columns: Vec<Vec<u8>>,
    /// The covariate columns' names and levels (levels in order of first appearance).
    pub levels: Vec<(String, Vec<String>)>,
    /// Cumulative weights, normalised to end at 1, if the file has a `weight` column
    /// (`None`: every row equally likely).
    pub cumulative: Option<Vec<f64>>,
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

/// How population norms adjust a state utility u as the patient ages from a₀.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjustment {
    /// u(t) = u·N(a₀ + t)/N(a₀) (NICE DSU TSD 12's multiplicative approach).
    Multiplicative,
    /// u(t) = u − (N(a₀) − N(a₀ + t)): the norm's fall since diagnosis subtracted.
    Decrement,
}

impl Adjustment {
    pub fn name(self) -> &'static str {
        match self {
            Adjustment::Multiplicative => "multiplicative",
            Adjustment::Decrement => "decrement",
        }
    }
}

/// A person's utility adjustment: the multiplier m(t) = N(a₀ + t)/N(a₀), and N(a₀) when the
/// norm's fall is subtracted instead of multiplied (u − N(a₀)·(1 − m(t))).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UtilityAdjustment<'a> {
    pub weight: UtilityWeight<'a>,
    pub decrement: Option<f64>,
}

impl UtilityAdjustment<'_> {
    /// The QALYs of utility u held over [a, b), whose discounted time is `ly`: u·W
    /// (multiplicative) or u·ly − N(a₀)·(ly − W) (decrement), W = ∫ m(t)·d(t) dt in closed
    /// form.
    #[inline]
    pub fn qalys(&self, u: f64, ly: f64, d: &Discount, (a, b): (f64, f64)) -> f64 {
        let w = self.weight.integral(d, a, b);
        match self.decrement {
            None => u * w,
            Some(n0) => u * ly - n0 * (ly - w),
        }
    }

    /// The QALYs of a utility difference Δu over [a, b): Δu·W, or Δu·ly under a decrement
    /// (the two utilities lose the same amount).
    #[inline]
    pub fn difference(&self, du: f64, ly: f64, d: &Discount, (a, b): (f64, f64)) -> f64 {
        match self.decrement {
            None => du * self.weight.integral(d, a, b),
            Some(_) => du * ly,
        }
    }
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

impl Profiles {
    /// Row i's probability of being drawn.
    pub fn probability(&self, i: usize) -> f64 {
        match &self.cumulative {
            Some(c) => c[i] - if i == 0 { 0.0 } else { c[i - 1] },
            None => 1.0 / self.rows as f64,
        }
    }

    /// The expected value of a row function over the draw of a profile.
    pub fn mean(&self, f: impl Fn(usize) -> f64) -> f64 {
        (0..self.rows).map(|i| self.probability(i) * f(i)).sum()
    }

    /// The share of patients at each level of covariate column `column`.
    pub fn level_shares(&self, column: usize) -> Vec<f64> {
        let mut shares = vec![0.0; self.levels[column].1.len()];
        for (i, &k) in self.columns[column].iter().enumerate() {
            shares[usize::from(k)] += self.probability(i);
        }
        shares
    }
}

impl Population {
    /// The share of patients who are female: stated, or the profiles' (weighted).
    pub fn female_share(&self, values: &[f64]) -> f64 {
        match (self.share_female, &self.profiles) {
            (Some(s), _) => values[s.0 as usize],
            (None, Some(p)) => {
                p.mean(|i| if p.female.as_ref().is_some_and(|f| f[i]) { 1.0 } else { 0.0 })
            }
            (None, None) => f64::NAN,
        }
    }

    /// The covariate and level a bit of a patient's levels stands for (sex's included).
    pub fn level_name(&self, bit: u32) -> (&str, &str) {
        match bit {
            FEMALE_BIT => ("sex", "female"),
            MALE_BIT => ("sex", "male"),
            _ => self
                .covariates
                .iter()
                .find(|c| bit >= c.first_bit && bit < c.first_bit + c.levels.len() as u32)
                .map_or(("?", "?"), |c| (&c.name, &c.levels[(bit - c.first_bit) as usize])),
        }
    }

    /// Each covariate's levels with their shares at these values (stated, or the profiles').
    pub fn covariate_shares(&self, values: &[f64]) -> Vec<(&str, Vec<(&str, f64)>)> {
        self.covariates
            .iter()
            .map(|c| {
                let shares: Vec<f64> = match &c.source {
                    CovariateSource::Shares { shares, .. } => {
                        shares.iter().map(|s| values[s.0 as usize]).collect()
                    }
                    CovariateSource::Profiles { column } => match &self.profiles {
                        Some(p) => p.level_shares(*column),
                        None => vec![f64::NAN; c.levels.len()],
                    },
                };
                let levels = c.levels.iter().map(String::as_str).zip(shares).collect();
                (c.name.as_str(), levels)
            })
            .collect()
    }
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
