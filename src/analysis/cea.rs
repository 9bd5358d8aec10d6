//! Cost-effectiveness summary of one sample: means, increments against the comparator, ICER,
//! net monetary benefit, and Monte Carlo standard errors — computed from sums only.

use crate::model::Arm;
use crate::sim::accumulator::{ArmSums, SampleSums};

/// How an arm compares with the comparator on the cost-effectiveness plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IcerStatus {
    /// The comparator itself.
    Comparator,
    /// More costly and more effective: the ICER is the price of a QALY.
    Ratio,
    /// Less costly and less effective: the ratio is the saving per QALY forgone.
    RatioSouthWest,
    /// No more costly and more effective, or cheaper and as effective.
    Dominant,
    /// No less costly and less effective, or costlier and as effective.
    Dominated,
    /// Same cost and QALYs.
    Equal,
}

impl IcerStatus {
    pub fn classify(inc_cost: f64, inc_qaly: f64) -> Self {
        use std::cmp::Ordering::*;
        match (inc_qaly.partial_cmp(&0.0), inc_cost.partial_cmp(&0.0)) {
            (Some(Greater), Some(Greater)) => IcerStatus::Ratio,
            (Some(Greater), _) => IcerStatus::Dominant,
            (Some(Less), Some(Less)) => IcerStatus::RatioSouthWest,
            (Some(Less), _) => IcerStatus::Dominated,
            (_, Some(Less)) => IcerStatus::Dominant,
            (_, Some(Greater)) => IcerStatus::Dominated,
            _ => IcerStatus::Equal,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IcerStatus::Comparator => "comparator",
            IcerStatus::Ratio => "ratio",
            IcerStatus::RatioSouthWest => "ratio_sw",
            IcerStatus::Dominant => "dominant",
            IcerStatus::Dominated => "dominated",
            IcerStatus::Equal => "equal",
        }
    }
}

/// A mean with its Monte Carlo standard error (`None` with fewer than two patients).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    pub mean: f64,
    pub mcse: Option<f64>,
}

/// Mean and standard error of the mean from Σx and Σx² over n.
pub fn estimate(sum: f64, sum2: f64, n: u64) -> Estimate {
    let nf = n as f64;
    let mean = sum / nf;
    let mcse = (n >= 2).then(|| {
        let var = ((sum2 - sum * mean) / (nf - 1.0)).max(0.0);
        (var / nf).sqrt()
    });
    Estimate { mean, mcse }
}

/// One row of summary.csv.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ArmSummary {
    pub strategy: usize,
    /// `None` for the list-price arm.
    pub contract: Option<usize>,
    /// Mean cost by category, in the model's category order.
    pub categories: Vec<f64>,
    pub cost: Estimate,
    pub qaly: Estimate,
    pub ly: Estimate,
    pub ly_undiscounted: Estimate,
    pub inc_cost: Estimate,
    pub inc_qaly: Estimate,
    pub inc_ly: Estimate,
    pub icer: Option<f64>,
    pub icer_status: IcerStatus,
    /// The arm the increments are against ([`crate::model::Model::references`]): the
    /// comparator at list or under the arm's contract.
    pub reference: usize,
    /// Per threshold: NMB and incremental NMB.
    pub nmb: Vec<Estimate>,
    pub inc_nmb: Vec<Estimate>,
}

/// The ICER of mean increments and its quadrant (`comparator` for an arm that is its own
/// reference, with no ratio); a ratio only where the quadrant has one.
pub fn icer_of(inc_cost: f64, inc_qaly: f64, is_reference: bool) -> (Option<f64>, IcerStatus) {
    if is_reference {
        return (None, IcerStatus::Comparator);
    }
    let status = IcerStatus::classify(inc_cost, inc_qaly);
    let ratio = matches!(status, IcerStatus::Ratio | IcerStatus::RatioSouthWest)
        .then(|| inc_cost / inc_qaly);
    (ratio, status)
}

/// Σ(λq − c) and Σ(λq − c)² from the sums of c, q and their squares and product.
fn nmb_sums(lambda: f64, c: f64, c2: f64, q: f64, q2: f64, cq: f64) -> (f64, f64) {
    (lambda * q - c, lambda * lambda * q2 - 2.0 * lambda * cq + c2)
}

fn summarise_arm(
    arm: &ArmSums,
    base: Option<&ArmSums>,
    which: Arm,
    reference: (usize, bool),
    n: u64,
    thresholds: &[f64],
) -> ArmSummary {
    let nf = n as f64;
    // A contract arm's sums are corrections to its strategy's list arm (same patients).
    let combined;
    let arm = match base {
        Some(b) => {
            let mut c = b.clone();
            c.merge(arm);
            combined = c;
            &combined
        }
        None => arm,
    };
    let categories: Vec<f64> = arm.categories.iter().map(|s| s / nf).collect();
    // The mean cost is the sum of the category means, so costs.csv adds up to it exactly
    // (subgroups' sums keep no categories: their total's mean).
    let mut cost = estimate(arm.cost, arm.cost2, n);
    if !categories.is_empty() {
        cost.mean = categories.iter().sum();
    }
    let qaly = estimate(arm.qaly, arm.qaly2, n);
    let inc_cost = estimate(arm.dcost, arm.dcost2, n);
    let inc_qaly = estimate(arm.dqaly, arm.dqaly2, n);
    let (reference, is_comparator) = reference;
    let (icer, icer_status) = icer_of(inc_cost.mean, inc_qaly.mean, is_comparator);
    let nmb = thresholds
        .iter()
        .map(|&l| {
            let (s, s2) = nmb_sums(l, arm.cost, arm.cost2, arm.qaly, arm.qaly2, arm.cost_qaly);
            let mut e = estimate(s, s2, n);
            e.mean = l * qaly.mean - cost.mean;
            e
        })
        .collect();
    let inc_nmb = thresholds
        .iter()
        .map(|&l| {
            let (s, s2) =
                nmb_sums(l, arm.dcost, arm.dcost2, arm.dqaly, arm.dqaly2, arm.dcost_dqaly);
            estimate(s, s2, n)
        })
        .collect();
    ArmSummary {
        strategy: which.strategy,
        contract: which.contract,
        categories,
        cost,
        qaly,
        ly: estimate(arm.ly, arm.ly2, n),
        ly_undiscounted: estimate(arm.lyu, arm.lyu2, n),
        inc_cost,
        inc_qaly,
        inc_ly: estimate(arm.dly, arm.dly2, n),
        icer,
        icer_status,
        reference,
        nmb,
        inc_nmb,
    }
}

/// Index of a strategy's list arm.
pub fn list_arm(arms: &[Arm], strategy: usize) -> usize {
    arms.iter().position(|a| a.strategy == strategy && a.contract.is_none()).unwrap_or(0)
}

/// The summary of every arm of one sample, each against its reference (`references[arm]`,
/// [`crate::model::Model::references`]).
pub fn summarise(
    sums: &SampleSums,
    arms: &[Arm],
    references: &[usize],
    thresholds: &[f64],
) -> Vec<ArmSummary> {
    summarise_arms((&sums.arms, sums.patients), arms, references, thresholds)
}

/// [`summarise`] for the sums of any set of patients (`patients` of them): the whole
/// sample's, or a subgroup's.
pub fn summarise_arms(
    (sums, patients): (&[ArmSums], u64),
    arms: &[Arm],
    references: &[usize],
    thresholds: &[f64],
) -> Vec<ArmSummary> {
    sums.iter()
        .zip(arms)
        .enumerate()
        .map(|(i, (arm, which))| {
            let base = which.contract.map(|_| &sums[list_arm(arms, which.strategy)]);
            let reference = (references[i], references[i] == i);
            summarise_arm(arm, base, *which, reference, patients, thresholds)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icer_status_covers_every_quadrant() {
        assert_eq!(IcerStatus::classify(10.0, 1.0), IcerStatus::Ratio);
        assert_eq!(IcerStatus::classify(-10.0, 1.0), IcerStatus::Dominant);
        assert_eq!(IcerStatus::classify(0.0, 1.0), IcerStatus::Dominant);
        assert_eq!(IcerStatus::classify(10.0, -1.0), IcerStatus::Dominated);
        assert_eq!(IcerStatus::classify(0.0, -1.0), IcerStatus::Dominated);
        assert_eq!(IcerStatus::classify(-10.0, -1.0), IcerStatus::RatioSouthWest);
        assert_eq!(IcerStatus::classify(-10.0, 0.0), IcerStatus::Dominant);
        assert_eq!(IcerStatus::classify(10.0, 0.0), IcerStatus::Dominated);
        assert_eq!(IcerStatus::classify(0.0, 0.0), IcerStatus::Equal);
    }

    #[test]
    fn estimate_matches_the_textbook_formula() {
        let xs = [1.0, 4.0, 2.5, 7.0, 3.0];
        let (s, s2) = xs.iter().fold((0.0, 0.0), |(a, b), x| (a + x, b + x * x));
        let e = estimate(s, s2, 5);
        let mean = 17.5 / 5.0;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 4.0;
        assert!((e.mean - mean).abs() < 1e-15);
        assert!((e.mcse.unwrap() - (var / 5.0).sqrt()).abs() < 1e-14);
        assert_eq!(estimate(3.0, 9.0, 1).mcse, None);
    }

    #[test]
    fn nmb_sums_expand_the_square() {
        // Two patients: (c, q) = (100, 1), (300, 2); λ = 50 → x = -50, -200.
        let (s, s2) = nmb_sums(50.0, 400.0, 100_000.0, 3.0, 5.0, 700.0);
        assert_eq!(s, -250.0);
        assert_eq!(s2, 2500.0 + 40_000.0);
    }
}
