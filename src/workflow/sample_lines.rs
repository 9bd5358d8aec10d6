//! samples.jsonl lines: one PSA sample per line, the one format of shard folders (`run --shard
//! K/N`, read by `merge`) and of checkpoints (`run`, read by `run --resume`).
//!
//! A line is a compact JSON array, without field names, its numbers in their shortest form
//! that reads back to the same bits:
//!
//! ```text
//! [sample, [value…], [arm…], [[spend_with, net]…], "tag"]
//! arm = [[category cost…],
//!        [qaly, ly, ly_undiscounted, inc_cost, inc_qaly, inc_nmb…],
//!        [standard error of cost, qaly, ly, inc_cost, inc_qaly, inc_nmb…]]
//! ```
//!
//! With `[subgroups]` a fifth element before the tag holds each subgroup level's arms, in the
//! scenario's order of levels and the order of arms: `[[[cost, qaly]…] or null…]` (null: no
//! patient of the sample is in the level). With contracts a sixth element (after a fifth that
//! is `[]` without subgroups) holds each contract row's sums per patient, in contracts.csv's
//! order: `[[treated_share, list_spend, paid, refunds, admin, triggered, net, manufacturer,
//! slope, list_price]…]` ([`SampleContract`]). Without subgroups and contracts the line has
//! neither, so such a scenario's lines are those of a vbpsim before subgroups.
//!
//! It stores what the analyses across samples read ([`SampleArm`]) and nothing they can
//! recompute: the mean cost is the sum of the category costs, added up on reading exactly as
//! the arm's summary adds it up; the standard errors are `[]` with one patient per strategy
//! (there are none). Arms are in the order of `Model::arms`, budget pairs in the order of the
//! budget impact's total rows.
//!
//! The tag is the SHA-256 (hex) of the run's identity (vbpsim version, the scenario's SHA-256,
//! seed, patients, samples), the sample number and the line's content (the line without its
//! tag: `[sample, values, arms, budget]`, byte for byte). A line copied from another run (a
//! run with another seed, scenario, size or vbpsim), or whose numbers were edited, no longer
//! matches its tag and is refused. It guards against mistakes, not against someone set on
//! forging a line: anyone can recompute it.

use crate::analysis::cea::Estimate;
use crate::analysis::contracts::SampleContract;
use crate::analysis::psa::{PsaSample, SampleArm};
use crate::model::Model;
use sha2::{Digest, Sha256};

/// What a line is authenticated against: the run it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunIdentity {
    pub version: String,
    /// SHA-256 of the scenario's text (every layer).
    pub scenario_sha256: String,
    pub seed: u64,
    pub patients: u64,
    /// PSA samples of the whole run (not of one shard).
    pub samples: u64,
}

/// Why a line cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LineError {
    #[error("it is not a PSA sample as vbpsim writes it ({0})")]
    Unreadable(String),
    #[error("it does not belong to this run or was edited (its tag does not match)")]
    Foreign,
    #[error("{0}; the sample does not belong to this scenario")]
    Shape(String),
}

/// One arm as stored: category costs, means, standard errors.
type ArmLine = (Vec<f64>, Vec<f64>, Vec<Option<f64>>);
/// A subgroup level's arms as stored: (cost, qaly) per arm, or none without patients.
type LevelLine = Option<Vec<(f64, f64)>>;
/// A line's content: sample number, parameter values, arms, budget pairs, and with subgroups
/// or contracts the levels (empty without subgroups) and the contract rows (empty without
/// contracts). Read in one pass whichever of the three lengths the line has.
struct Content {
    sample: u64,
    values: Vec<f64>,
    arms: Vec<ArmLine>,
    budget: Vec<(f64, f64)>,
    subgroups: Vec<LevelLine>,
    contracts: Vec<[f64; 10]>,
}

impl<'de> serde::Deserialize<'de> for Content {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Elements;
        impl<'de> serde::de::Visitor<'de> for Elements {
            type Value = Content;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of 4 to 6 elements")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Content, A::Error> {
                use serde::de::Error as _;
                let missing = |i: usize| A::Error::invalid_length(i, &self);
                let sample = seq.next_element()?.ok_or_else(|| missing(0))?;
                let values = seq.next_element()?.ok_or_else(|| missing(1))?;
                let arms = seq.next_element()?.ok_or_else(|| missing(2))?;
                let budget = seq.next_element()?.ok_or_else(|| missing(3))?;
                let subgroups = seq.next_element()?.unwrap_or_default();
                let contracts = seq.next_element()?.unwrap_or_default();
                if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(A::Error::invalid_length(7, &self));
                }
                Ok(Content { sample, values, arms, budget, subgroups, contracts })
            }
        }
        d.deserialize_seq(Elements)
    }
}

/// Measures stored per arm besides the category costs and the NMB (qaly, ly, ly undiscounted,
/// inc_cost, inc_qaly; cost, qaly, ly, inc_cost, inc_qaly for the standard errors).
const MEASURES: usize = 5;
/// Hex digits of the tag.
const TAG: usize = 64;

/// The tag of a line's content.
fn tag(run: &RunIdentity, sample: u64, content: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"vbpsim PSA sample\n");
    let fields = [
        run.version.clone(),
        run.scenario_sha256.clone(),
        run.seed.to_string(),
        run.patients.to_string(),
        run.samples.to_string(),
        sample.to_string(),
    ];
    for f in fields {
        h.update(f.as_bytes());
        h.update(b"\n");
    }
    h.update(content);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The line of a sample of `run`, newline included.
pub fn encode(run: &RunIdentity, s: &PsaSample) -> String {
    fn arm(a: &SampleArm) -> (&[f64], Vec<f64>, Vec<Option<f64>>) {
        let means = [a.qaly.mean, a.ly.mean, a.ly_undiscounted, a.inc_cost.mean, a.inc_qaly.mean];
        let means: Vec<f64> = means.into_iter().chain(a.inc_nmb.iter().map(|e| e.mean)).collect();
        let estimates = [&a.cost, &a.qaly, &a.ly, &a.inc_cost, &a.inc_qaly];
        let ses: Vec<Option<f64>> =
            estimates.into_iter().chain(&a.inc_nmb).map(|e| e.mcse).collect();
        let ses = if ses.iter().all(Option::is_none) { Vec::new() } else { ses };
        (&a.categories, means, ses)
    }
    let arms: Vec<_> = s.arms.iter().map(arm).collect();
    // Numbers serialise in their shortest exact form; a tuple of sequences as nested arrays.
    let contracts: Vec<[f64; 10]> = s.contracts.iter().map(SampleContract::numbers).collect();
    let content = if !contracts.is_empty() {
        serde_json::to_string(&(s.sample, &s.values, arms, &s.budget, &s.subgroups, contracts))
    } else if s.subgroups.is_empty() {
        serde_json::to_string(&(s.sample, &s.values, arms, &s.budget))
    } else {
        serde_json::to_string(&(s.sample, &s.values, arms, &s.budget, &s.subgroups))
    };
    let content = content.unwrap_or_default();
    let tag = tag(run, s.sample, content.as_bytes());
    let open = content.strip_suffix(']').unwrap_or(&content);
    format!("{open},\"{tag}\"]\n")
}

/// The sample of a line of `run` (without its newline), if its tag matches.
pub fn decode(run: &RunIdentity, line: &str) -> Result<PsaSample, LineError> {
    let unreadable = |why: &str| LineError::Unreadable(why.to_string());
    let n = line.len();
    let tagged = n > TAG + 4
        && line.ends_with("\"]")
        && line.is_char_boundary(n - TAG - 4)
        && line[n - TAG - 4..].starts_with(",\"");
    if !tagged {
        return Err(unreadable("no tag at its end"));
    }
    let content = format!("{}]", &line[..n - TAG - 4]);
    let Content { sample, values, arms, budget, subgroups, contracts } =
        serde_json::from_str(&content).map_err(|e| LineError::Unreadable(e.to_string()))?;
    if tag(run, sample, content.as_bytes()) != line[n - TAG - 2..n - 2] {
        return Err(LineError::Foreign);
    }
    let arms = arms
        .into_iter()
        .map(|(categories, means, ses)| {
            let Some(thresholds) = means.len().checked_sub(MEASURES) else {
                return Err(unreadable("an arm has too few numbers"));
            };
            let ses = match ses.len() {
                0 => vec![None; MEASURES + thresholds],
                k if k == MEASURES + thresholds => ses,
                _ => return Err(unreadable("an arm's standard errors do not match its means")),
            };
            let e = |mean: f64, k: usize| Estimate { mean, mcse: ses[k] };
            // As the arm's summary computes it.
            let cost = categories.iter().sum();
            let nmb = (0..thresholds).map(|k| e(means[MEASURES + k], MEASURES + k));
            Ok(SampleArm {
                cost: e(cost, 0),
                qaly: e(means[0], 1),
                ly: e(means[1], 2),
                ly_undiscounted: means[2],
                inc_cost: e(means[3], 3),
                inc_qaly: e(means[4], 4),
                inc_nmb: nmb.collect(),
                categories,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let contracts = contracts.into_iter().map(SampleContract::from_numbers).collect();
    Ok(PsaSample { sample, values, arms, budget, subgroups, contracts })
}

/// The shape of a scenario's PSA samples: how many parameter values, arms, cost categories,
/// thresholds and budget pairs each holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub parameters: usize,
    pub arms: usize,
    pub categories: usize,
    pub thresholds: usize,
    pub budget: usize,
    /// Levels of all subgroups together.
    pub levels: usize,
    /// Contract rows (contracts.csv's).
    pub contracts: usize,
}

impl Shape {
    /// The shape of `model`'s samples (with the budget impact, as a run computes it).
    pub fn of(model: &Model) -> Shape {
        Shape {
            parameters: model.parameters.iter().filter(|p| p.is_uncertain()).count(),
            arms: model.arms().len(),
            categories: model.categories().len(),
            thresholds: model.meta.thresholds.len(),
            budget: crate::analysis::budget::total_rows(model),
            levels: model.subgroups.iter().map(|s| s.levels.len()).sum(),
            contracts: model.settlements().len(),
        }
    }

    /// Refuse a sample of another shape, or with a number that is not finite, so that the
    /// analyses across samples neither index out of range nor write a NaN or an infinity.
    pub fn check(&self, s: &PsaSample) -> Result<(), LineError> {
        let bad = |what: String| Err(LineError::Shape(what));
        if s.values.len() != self.parameters {
            return bad(format!(
                "{} parameter values, expected {}",
                s.values.len(),
                self.parameters
            ));
        }
        if s.arms.len() != self.arms {
            return bad(format!("{} arms, expected {}", s.arms.len(), self.arms));
        }
        if s.budget.len() != self.budget {
            return bad(format!("{} budget rows, expected {}", s.budget.len(), self.budget));
        }
        for (i, a) in s.arms.iter().enumerate() {
            if a.categories.len() != self.categories || a.inc_nmb.len() != self.thresholds {
                return bad(format!(
                    "arm {} has {} cost categories and {} thresholds, expected {} and {}",
                    i + 1,
                    a.categories.len(),
                    a.inc_nmb.len(),
                    self.categories,
                    self.thresholds
                ));
            }
        }
        if s.subgroups.len() != self.levels {
            return bad(format!("{} subgroup levels, expected {}", s.subgroups.len(), self.levels));
        }
        if s.subgroups.iter().flatten().any(|level| level.len() != self.arms) {
            return bad(format!("a subgroup level without {} arms", self.arms));
        }
        if s.contracts.len() != self.contracts {
            return bad(format!(
                "{} contract rows, expected {}",
                s.contracts.len(),
                self.contracts
            ));
        }
        let budget = s.budget.iter().flat_map(|&(w, n)| [w, n]);
        let arms = s.arms.iter().flat_map(SampleArm::numbers);
        let levels = s.subgroups.iter().flatten().flatten().flat_map(|&(c, q)| [c, q]);
        let contracts = s.contracts.iter().flat_map(SampleContract::numbers);
        let mut numbers =
            s.values.iter().copied().chain(budget).chain(arms).chain(levels).chain(contracts);
        if numbers.any(|x| !x.is_finite()) {
            return bad("a number is not finite".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> RunIdentity {
        RunIdentity {
            version: "0.1.0".into(),
            scenario_sha256: "ab".repeat(32),
            seed: 7,
            patients: 2,
            samples: 10,
        }
    }

    fn sample(mcse: Option<f64>) -> PsaSample {
        let e = |mean: f64| Estimate { mean, mcse };
        let categories = vec![0.1, 2.5e-300, -0.0, 1.7e308, 12345.678901234567];
        PsaSample {
            sample: 3,
            values: vec![0.3, 1e-12],
            arms: vec![SampleArm {
                cost: e(categories.iter().sum()),
                categories,
                qaly: e(0.6583884993409322),
                ly: e(1.0),
                ly_undiscounted: 1.0257912771034379,
                inc_cost: e(-3069.2061752729933),
                inc_qaly: e(5.095344888350617e-6),
                inc_nmb: vec![e(-1.5), e(2.0)],
            }],
            budget: vec![(1.5, -2.25)],
            subgroups: Vec::new(),
            contracts: Vec::new(),
        }
    }

    #[test]
    fn a_line_reads_back_to_the_same_sample_bit_for_bit() {
        for mcse in [None, Some(0.125)] {
            let s = sample(mcse);
            let line = encode(&run(), &s);
            assert!(line.ends_with("\"]\n") && !line[..line.len() - 1].contains('\n'));
            assert_eq!(decode(&run(), line.trim_end()).unwrap(), s);
        }
        // One patient: no standard errors stored.
        assert!(encode(&run(), &sample(None)).contains("],[]]"));
    }

    /// Contract rows ride in a sixth element, after subgroups or an empty fifth one.
    #[test]
    fn contract_rows_read_back_with_and_without_subgroups() {
        let k = SampleContract::from_numbers([
            0.5, 1e5, 9e4, 1.25e3, 0.0, 0.25, 44375.0, 88750.0, 6.0, 14763.2,
        ]);
        for subgroups in [Vec::new(), vec![None, Some(vec![(1.0, 0.5)])]] {
            let mut s = sample(Some(0.125));
            s.subgroups = subgroups.clone();
            s.contracts = vec![k, SampleContract::default()];
            let line = encode(&run(), &s);
            assert_eq!(decode(&run(), line.trim_end()).unwrap(), s);
            if subgroups.is_empty() {
                assert!(line.contains("]],[],[[0.5,100000.0"), "{line}");
            }
        }
    }

    #[test]
    fn a_line_of_another_run_or_edited_is_refused() {
        let line = encode(&run(), &sample(None));
        let line = line.trim_end();
        for other in [
            RunIdentity { seed: 8, ..run() },
            RunIdentity { patients: 3, ..run() },
            RunIdentity { samples: 11, ..run() },
            RunIdentity { version: "0.1.1".into(), ..run() },
            RunIdentity { scenario_sha256: "cd".repeat(32), ..run() },
        ] {
            assert_eq!(decode(&other, line), Err(LineError::Foreign), "{other:?}");
        }
        let edited = line.replacen("0.3", "0.4", 1);
        assert_eq!(decode(&run(), &edited), Err(LineError::Foreign));
        let moved = line.replacen("[3,", "[4,", 1);
        assert_eq!(decode(&run(), &moved), Err(LineError::Foreign));
        assert!(matches!(decode(&run(), &line[..line.len() - 1]), Err(LineError::Unreadable(_))));
        assert!(matches!(decode(&run(), "[1,2]"), Err(LineError::Unreadable(_))));
        assert!(matches!(decode(&run(), "é"), Err(LineError::Unreadable(_))));
    }
}
