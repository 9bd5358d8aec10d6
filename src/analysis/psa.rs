//! Analyses across PSA samples: net monetary benefit, the cost-effectiveness acceptability
//! curve and frontier, the expected value of perfect information, and summaries of each arm's
//! results (definitions as in BCEA and dampack, where they agree).
//!
//! Input: per sample s and arm j, the mean cost c_sj and QALYs q_sj of the sample's patients.
//! NMB_sj(λ) = λ·q_sj − c_sj.

use super::cea::{ArmSummary, Estimate};

/// One PSA sample: its uncertain parameters' values (in `Model::parameters` order, uncertain
/// ones only), its arms' results (in the order of `Model::arms`) and its budget totals. Shards
/// and checkpoints store it as one line of samples.jsonl (`workflow::sample_lines`).
#[derive(Clone, Debug, PartialEq)]
pub struct PsaSample {
    pub sample: u64,
    pub values: Vec<f64>,
    pub arms: Vec<SampleArm>,
    /// Budget impact totals (spend with, net) per contract column and year, in the order of
    /// the base case's total rows (empty without `[budget_impact]`).
    pub budget: Vec<(f64, f64)>,
    /// Per level of every subgroup, in the scenario's order (empty without `[subgroups]`): each
    /// arm's mean (cost, QALYs) among the sample's patients in the level, in the order of
    /// `Model::arms` (`None`: no patient of the sample is in it).
    pub subgroups: Vec<Option<Vec<(f64, f64)>>>,
    /// Per contract row, in contracts.csv's order (empty without contracts): its sums per
    /// patient, for the probabilistic rows of contracts.csv.
    pub contracts: Vec<super::contracts::SampleContract>,
}

/// One arm's results in one PSA sample: what the analyses across samples read (psa.csv, the
/// decision analysis, psa_summary.csv, the probability of cost-effectiveness, the CE plane and
/// the noise warning), and nothing else, so that a million samples fit in memory and on disk.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleArm {
    /// Mean cost by category, in the model's category order.
    pub categories: Vec<f64>,
    /// Its mean is the sum of `categories` (as in the arm's summary).
    pub cost: Estimate,
    pub qaly: Estimate,
    pub ly: Estimate,
    /// Mean undiscounted life years.
    pub ly_undiscounted: f64,
    pub inc_cost: Estimate,
    pub inc_qaly: Estimate,
    /// Per threshold.
    pub inc_nmb: Vec<Estimate>,
}

impl From<&ArmSummary> for SampleArm {
    fn from(a: &ArmSummary) -> Self {
        SampleArm {
            categories: a.categories.clone(),
            cost: a.cost,
            qaly: a.qaly,
            ly: a.ly,
            ly_undiscounted: a.ly_undiscounted.mean,
            inc_cost: a.inc_cost,
            inc_qaly: a.inc_qaly,
            inc_nmb: a.inc_nmb.clone(),
        }
    }
}

impl SampleArm {
    /// Every number of the arm (means and standard errors), for finiteness checks.
    pub fn numbers(&self) -> impl Iterator<Item = f64> + '_ {
        let estimates = [&self.cost, &self.qaly, &self.ly, &self.inc_cost, &self.inc_qaly];
        let estimates = estimates.into_iter().chain(&self.inc_nmb);
        self.categories
            .iter()
            .copied()
            .chain(std::iter::once(self.ly_undiscounted))
            .chain(estimates.flat_map(|e| std::iter::once(e.mean).chain(e.mcse)))
    }
}

/// At most `most` of the indices `0..total`, evenly spaced and in order: all of them when
/// `total ≤ most`, else `⌊i·total/most⌋` for `i` in `0..most` (the first index always, and
/// the same indices for the same sizes: a plot of a thinned PSA is reproducible).
pub fn evenly_spaced(total: usize, most: usize) -> Vec<usize> {
    if total <= most {
        return (0..total).collect();
    }
    (0..most).map(|i| (i as u128 * total as u128 / most as u128) as usize).collect()
}

/// One sample's (cost, qaly) per arm of a decision set.
pub type Table = Vec<Vec<(f64, f64)>>;

/// CEAC and CEAF at one willingness to pay, for one decision set.
#[derive(Clone, Debug, PartialEq)]
pub struct Acceptability {
    pub wtp: f64,
    /// Per arm: share of samples in which it has the highest NMB (ties go to the first arm).
    pub probability: Vec<f64>,
    /// Per arm: mean NMB over samples.
    pub expected_nmb: Vec<f64>,
    /// The arm with the highest expected NMB (the CEAF's choice; ties: first arm).
    pub optimal: usize,
    /// EVPI per patient: `E_s[max_j NMB_sj] − max_j E_s[NMB_sj]` (≥ 0).
    pub evpi: f64,
}

/// Index of the largest value, the first of ties.
fn argmax(xs: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, x) in xs.enumerate() {
        if x > best.1 {
            best = (i, x);
        }
    }
    best.0
}

/// CEAC, CEAF and EVPI of a decision set at each willingness to pay.
pub fn acceptability(table: &Table, wtp: &[f64]) -> Vec<Acceptability> {
    let samples = table.len() as f64;
    let arms = table.first().map_or(0, Vec::len);
    wtp.iter()
        .map(|&l| {
            let mut wins = vec![0u64; arms];
            let mut sum = vec![0.0; arms];
            let mut sum_max = 0.0;
            for row in table {
                let nmb = row.iter().map(|&(c, q)| l * q - c);
                let best = argmax(nmb.clone());
                wins[best] += 1;
                for (j, x) in nmb.enumerate() {
                    sum[j] += x;
                    if j == best {
                        sum_max += x;
                    }
                }
            }
            let expected_nmb: Vec<f64> = sum.iter().map(|s| s / samples).collect();
            let optimal = argmax(expected_nmb.iter().copied());
            // Both terms are means over the same samples: the difference is ≥ 0 up to rounding.
            let evpi = (sum_max / samples - expected_nmb[optimal]).max(0.0);
            Acceptability {
                wtp: l,
                probability: wins.iter().map(|&w| w as f64 / samples).collect(),
                expected_nmb,
                optimal,
                evpi,
            }
        })
        .collect()
}

/// Σ_{t=0}^{years−1} (1 + r)^(−t): discounted number of yearly cohorts over the decision's
/// lifetime, each cohort counted at the start of its year.
pub fn discounted_cohorts(rate: f64, years: u64) -> f64 {
    (0..years).map(|t| (1.0 + rate).powi(-(t as i32))).sum()
}

/// The discounted number of patients a decision applies to over its `decision_years` (cohorts
/// counted at the start of their year): `payer.population` a year; without it, the budget
/// impact's eligible patients (its incident patients with their growth, and the prevalent ones
/// in the first year); `None` without either.
pub fn decision_population(model: &crate::model::Model) -> Option<f64> {
    let m = &model.meta;
    if let Some(n) = m.population {
        return Some(n as f64 * discounted_cohorts(m.discount_costs, m.decision_years));
    }
    let budget = model.budget.as_ref()?;
    let years = 0..m.decision_years as usize;
    Some(years.map(|t| budget.entrants(t) * (1.0 + m.discount_costs).powi(-(t as i32))).sum())
}

/// The discounted patients a decision applies to in each of its `decision_years` (the terms
/// of [`decision_population`]'s sum), `None` without a population.
pub fn decision_cohorts(model: &crate::model::Model) -> Option<Vec<f64>> {
    let m = &model.meta;
    let years = 0..m.decision_years;
    let discount = |t: u64| (1.0 + m.discount_costs).powi(-(t as i32));
    if let Some(n) = m.population {
        return Some(years.map(|t| n as f64 * discount(t)).collect());
    }
    let budget = model.budget.as_ref()?;
    Some(years.map(|t| budget.entrants(t as usize) * discount(t)).collect())
}

/// Mean, Monte Carlo standard error, and 2.5 % and 97.5 % quantiles of values across samples
/// (quantiles by linear interpolation between order statistics, R's type 7).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub sd: f64,
    pub mcse: f64,
    pub low: f64,
    pub high: f64,
}

pub fn spread(values: &[f64]) -> Spread {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let h = (n - 1.0) * p;
        let (lo, frac) = (h.floor() as usize, h - h.floor());
        let hi = (lo + 1).min(sorted.len() - 1);
        sorted[lo] + frac * (sorted[hi] - sorted[lo])
    };
    Spread { mean, sd: var.sqrt(), mcse: (var / n).sqrt(), low: q(0.025), high: q(0.975) }
}

/// Share of the variance of a quantity across PSA samples that is patient-level noise inside
/// each sample's mean: mean(se²) / var (`None` without spread). Above about 10 % the CEAC is
/// pulled towards 1/2 and the EVPI upwards by noise that is not parameter uncertainty.
pub fn noise_share(values: &[f64], ses: &[f64]) -> Option<f64> {
    let s = spread(values);
    let within = ses.iter().map(|e| e * e).sum::<f64>() / ses.len() as f64;
    (s.sd > 0.0).then(|| within / (s.sd * s.sd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceptability_by_hand() {
        // Three samples, two arms; λ = 10: NMB arm0 = 10·q − c.
        // s1: (0: 100, 20) (1: 150, 25) → NMB 100, 100 → tie, arm 0 wins.
        // s2: (0: 100, 20) (1: 150, 30) → 100, 150 → arm 1.
        // s3: (0: 100, 20) (1: 200, 22) → 100, 20 → arm 0.
        let table = vec![
            vec![(100.0, 20.0), (150.0, 25.0)],
            vec![(100.0, 20.0), (150.0, 30.0)],
            vec![(100.0, 20.0), (200.0, 22.0)],
        ];
        let a = &acceptability(&table, &[10.0])[0];
        assert_eq!(a.probability, vec![2.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(a.expected_nmb, vec![100.0, 90.0]);
        assert_eq!(a.optimal, 0);
        // E[max] = (100 + 150 + 100)/3; max E = 100.
        assert!((a.evpi - (350.0 / 3.0 - 100.0)).abs() < 1e-12);
    }

    #[test]
    fn spread_matches_r_type_7() {
        let s = spread(&[4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!(s.mean, 3.0);
        // quantile(1:5, c(0.025, 0.975)) in R: 1.1, 4.9.
        assert!((s.low - 1.1).abs() < 1e-12 && (s.high - 4.9).abs() < 1e-12);
        assert!((s.sd - 2.5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn evenly_spaced_keeps_all_up_to_the_cap_and_spreads_above_it() {
        assert_eq!(evenly_spaced(3, 5), vec![0, 1, 2]);
        assert_eq!(evenly_spaced(5, 5), vec![0, 1, 2, 3, 4]);
        assert_eq!(evenly_spaced(10, 4), vec![0, 2, 5, 7]);
        let many = evenly_spaced(1_000_000, 2_000);
        assert_eq!(many.len(), 2_000);
        assert!(many.windows(2).all(|w| w[1] - w[0] == 500));
    }

    #[test]
    fn discounted_cohorts_by_hand() {
        assert_eq!(discounted_cohorts(0.0, 5), 5.0);
        assert!(
            (discounted_cohorts(0.035, 3) - (1.0 + 1.0 / 1.035 + 1.0 / 1.035f64.powi(2))).abs()
                < 1e-15
        );
    }
}
