//! Which subgroup levels a patient is in (`[subgroups]`; docs, Model → Subgroups): one level
//! of each subgroup, as flat indices into the run's subgroup sums.

use super::background::Person;
use crate::model::{Subgroup, SubgroupBy};

/// No level (an unused byte of a packed patient's levels).
const NONE: u64 = 0xFF;
/// A patient in no subgroup (no `[subgroups]`, or not the base case).
pub const NO_GROUPS: u64 = u64::MAX;

/// `[subgroups]` for the engine: each subgroup's first flat index and rule.
#[derive(Clone, Debug, Default)]
pub struct Subgroups {
    /// Levels of all subgroups together.
    pub levels: usize,
    parts: Vec<(usize, usize, SubgroupBy)>,
}

impl Subgroups {
    pub fn new(subgroups: &[Subgroup]) -> Self {
        let mut first = 0;
        let mut parts = Vec::with_capacity(subgroups.len());
        for s in subgroups {
            parts.push((first, s.levels.len(), s.by.clone()));
            first += s.levels.len();
        }
        Subgroups { levels: first, parts }
    }

    /// A patient's levels, one per subgroup, as flat indices packed one byte each (at most
    /// eight subgroups and 255 levels; the scenario checks both): the primary tumour's status
    /// at diagnosis and who the patient is (`None` without `[population]`, where only
    /// biomarker subgroups exist).
    #[inline]
    pub fn of(&self, primary: u64, person: Option<Person>) -> u64 {
        let mut packed = NO_GROUPS;
        for (i, (first, n, by)) in self.parts.iter().enumerate() {
            let k = match by {
                SubgroupBy::Biomarker(b) => usize::from(primary & (1 << b) == 0),
                SubgroupBy::Levels { first_bit } => match person {
                    Some(p) => ((p.levels >> first_bit).trailing_zeros() as usize).min(n - 1),
                    None => continue,
                },
                SubgroupBy::Age(cuts) => match person {
                    Some(p) => cuts.partition_point(|&c| c <= p.age),
                    None => continue,
                },
            };
            packed &= !(0xFF << (8 * i));
            packed |= ((first + k) as u64) << (8 * i);
        }
        packed
    }
}

/// The flat indices of a packed patient's levels (none, at once, for [`NO_GROUPS`]: the
/// engine's path without subgroups).
#[inline]
pub fn unpack(packed: u64) -> impl Iterator<Item = usize> {
    let bytes = if packed == NO_GROUPS { 0 } else { 8 };
    (0..bytes).map(move |i| (packed >> (8 * i)) & 0xFF).filter(|&g| g != NONE).map(|g| g as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::life_table::Sex;

    #[test]
    fn each_patient_is_in_one_level_of_each_subgroup() {
        let s = Subgroups::new(&[
            Subgroup {
                name: "M".into(),
                levels: vec!["+".into(), "-".into()],
                by: SubgroupBy::Biomarker(1),
            },
            Subgroup {
                name: "age".into(),
                levels: vec!["<65".into(), "65-75".into(), ">=75".into()],
                by: SubgroupBy::Age(vec![65.0, 75.0]),
            },
            Subgroup {
                name: "ecog".into(),
                levels: vec!["0".into(), "1".into()],
                by: SubgroupBy::Levels { first_bit: 2 },
            },
        ]);
        assert_eq!(s.levels, 7);
        let who =
            |age: f64, ecog: u32| Person { age, sex: Sex::Male, levels: 0b10 | 1 << (2 + ecog) };
        let of =
            |primary, age, ecog| unpack(s.of(primary, Some(who(age, ecog)))).collect::<Vec<_>>();
        assert_eq!(of(0b10, 64.9, 0), vec![0, 2, 5]);
        assert_eq!(of(0b01, 65.0, 1), vec![1, 3, 6]);
        assert_eq!(of(0b11, 80.0, 0), vec![0, 4, 5]);
        // Without a population only the biomarker's level.
        assert_eq!(unpack(s.of(0, None)).collect::<Vec<_>>(), vec![1]);
        assert_eq!(unpack(NO_GROUPS).count(), 0);
    }
}
