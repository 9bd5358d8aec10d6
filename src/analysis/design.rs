//! Contract design results from the engine's point sums ([`crate::sim::design`]): each
//! candidate's incremental cost, QALYs and net monetary benefit for the payer against the
//! comparator at list, the manufacturer's net revenue, the frontier where neither side can
//! gain without the other losing, and under the PSA each candidate's probability of being
//! cost-effective.
//!
//! A candidate at share s and price P has, per patient, incremental cost x₂ + P·x₃ − P·s·x₄,
//! incremental QALYs x₁ and manufacturer revenue P·y₁ − P·s·y₂ − y₃: each a fixed linear
//! combination w·x of the point's per-patient vector, so its mean is w·x̄ and its Monte Carlo
//! standard error comes from wᵀ(Σxxᵀ)w exactly as an arm's does from Σc and Σc².

use super::cea::{Estimate, IcerStatus, estimate};
use crate::sim::design::{PointSums, PreparedDesign};

/// The candidates of every design, with what they were computed on.
#[derive(Clone, Debug)]
pub struct DesignResult {
    pub candidates: Vec<Candidate>,
    pub patients: u64,
    pub seed: u64,
    pub samples: u64,
    pub threads: usize,
    pub wall_seconds: f64,
}

/// One candidate contract of a design on one strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub design: usize,
    pub strategy: usize,
    /// Its number among the design's candidates on the strategy, from 1: points × shares ×
    /// prices, the price varying fastest.
    pub number: usize,
    /// The contract's terms (the template's where the design leaves them; durations in
    /// years), then `price`.
    pub terms: Vec<(&'static str, f64)>,
    pub inc_cost: Estimate,
    pub inc_qaly: Estimate,
    /// The manufacturer's net revenue per patient of the strategy, at its own discount rate,
    /// net of its administration.
    pub manufacturer: Estimate,
    /// Per threshold: the payer's incremental net monetary benefit.
    pub inc_nmb: Vec<Estimate>,
    /// Per threshold: cost-effective (incremental NMB ≥ 0) and no other cost-effective
    /// candidate on the strategy is at least as good for both sides and better for one.
    pub frontier: Vec<bool>,
    /// Per threshold, under the PSA: the share of samples in which the candidate's
    /// incremental NMB is ≥ 0 (empty without samples).
    pub prob_cost_effective: Vec<f64>,
    /// The net budget impact over the budget's years (undiscounted, world with − without,
    /// base case) of the budget's new strategy bought under the candidate; `None` without a
    /// `[budget_impact]`, or for a strategy other than its new one.
    pub budget_impact: Option<f64>,
    /// Where its sums are, and its share and price index (the PSA revalues them per sample).
    cell: usize,
    point: usize,
    share: usize,
    price: usize,
}

impl Candidate {
    pub fn status(&self) -> IcerStatus {
        IcerStatus::classify(self.inc_cost.mean, self.inc_qaly.mean)
    }

    /// The ICER against the comparator, where it is a ratio.
    pub fn icer(&self) -> Option<f64> {
        matches!(self.status(), IcerStatus::Ratio | IcerStatus::RatioSouthWest)
            .then(|| self.inc_cost.mean / self.inc_qaly.mean)
    }

    pub fn cost_effective(&self, threshold: usize) -> bool {
        self.inc_nmb[threshold].mean >= 0.0
    }
}

/// Weights of the payer's incremental cost on x at share s and price P.
fn cost_weights(share: f64, price: f64) -> [f64; 4] {
    [0.0, 1.0, price, -price * share]
}

/// Weights of the manufacturer's revenue on y.
fn revenue_weights(share: f64, price: f64) -> [f64; 3] {
    [price, -price * share, -1.0]
}

fn combination<const N: usize>(
    sum: &[f64; N],
    product: impl Fn(usize, usize) -> f64,
    w: [f64; N],
    n: u64,
) -> Estimate {
    let total: f64 = (0..N).map(|i| w[i] * sum[i]).sum();
    let mut squares = 0.0;
    for i in 0..N {
        for j in 0..N {
            squares += w[i] * w[j] * product(i, j);
        }
    }
    estimate(total, squares, n)
}

/// Every candidate of every design at the base case, from the sums of `n` patients.
pub fn candidates(
    designs: &[PreparedDesign],
    sums: &[PointSums],
    n: u64,
    thresholds: &[f64],
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (di, d) in designs.iter().enumerate() {
        for (k, &strategy) in d.strategies.iter().enumerate() {
            let mut number = 0;
            for (j, point) in d.points.iter().enumerate() {
                let cell = d.cell(k, j);
                let s = &d.point_sums(sums, k, j);
                let prices = if point.price.is_some() { 1 } else { d.prices.len() };
                for (si, &share) in d.shares.iter().enumerate() {
                    for pi in 0..prices {
                        let price = point.price.unwrap_or_else(|| d.prices[pi]);
                        number += 1;
                        let mut terms = point.kind.terms();
                        if let Some(linear) = d.share {
                            for t in terms.iter_mut().filter(|t| t.0 == linear.term()) {
                                t.1 = share;
                            }
                        }
                        terms.push(("price", price));
                        let xx = |i, j| s.xx(i, j);
                        let inc_cost = combination(&s.x, xx, cost_weights(share, price), n);
                        let inc_qaly = combination(&s.x, xx, [1.0, 0.0, 0.0, 0.0], n);
                        let yy = |i, j| s.yy(i, j);
                        let revenue = revenue_weights(share, price);
                        let manufacturer = combination(&s.y, yy, revenue, n);
                        let inc_nmb = thresholds
                            .iter()
                            .map(|&l| {
                                let w = cost_weights(share, price);
                                combination(&s.x, xx, [l, -w[1], -w[2], -w[3]], n)
                            })
                            .collect();
                        out.push(Candidate {
                            design: di,
                            strategy,
                            number,
                            terms,
                            inc_cost,
                            inc_qaly,
                            manufacturer,
                            inc_nmb,
                            frontier: Vec::new(),
                            prob_cost_effective: Vec::new(),
                            budget_impact: None,
                            cell,
                            point: j,
                            share: si,
                            price: pi,
                        });
                    }
                }
            }
        }
    }
    mark_frontier(&mut out, thresholds.len());
    out
}

/// Mark, per strategy and threshold, the cost-effective candidates that no other
/// cost-effective candidate dominates in (payer incremental NMB, manufacturer revenue).
fn mark_frontier(candidates: &mut [Candidate], thresholds: usize) {
    for c in candidates.iter_mut() {
        c.frontier = vec![false; thresholds];
    }
    let mut strategies: Vec<usize> = candidates.iter().map(|c| c.strategy).collect();
    strategies.sort_unstable();
    strategies.dedup();
    for s in strategies {
        for t in 0..thresholds {
            let mut pool: Vec<usize> = (0..candidates.len())
                .filter(|&i| candidates[i].strategy == s && candidates[i].cost_effective(t))
                .collect();
            // Best for the payer first, ties broken by revenue: a candidate is on the
            // frontier iff its revenue beats every one before it (equal pairs both stay).
            let key = |i: usize| (candidates[i].inc_nmb[t].mean, candidates[i].manufacturer.mean);
            pool.sort_by(|&a, &b| {
                let (ka, kb) = (key(a), key(b));
                kb.0.total_cmp(&ka.0).then(kb.1.total_cmp(&ka.1))
            });
            let keyed: Vec<(usize, (f64, f64))> = pool.iter().map(|&i| (i, key(i))).collect();
            let mut best: Option<(f64, f64)> = None;
            for (i, (nmb, revenue)) in keyed {
                let dominated =
                    best.is_some_and(|(bn, br)| br > revenue || (br == revenue && bn > nmb));
                if !dominated {
                    candidates[i].frontier[t] = true;
                }
                if best.is_none_or(|(_, br)| revenue > br) {
                    best = Some((nmb, revenue));
                }
            }
        }
    }
}

/// One PSA sample's point means (x̄, ȳ) and its designs' shares and prices (a share or price
/// the design leaves to the template is the sample's).
#[derive(Clone, Debug)]
pub struct SampleDesigns {
    means: Vec<([f64; 4], [f64; 3])>,
    shares: Vec<Vec<f64>>,
    prices: Vec<Vec<f64>>,
    points: Vec<Vec<Option<f64>>>,
}

impl SampleDesigns {
    pub fn new(designs: &[PreparedDesign], sums: &[PointSums], n: u64) -> Self {
        let nf = n as f64;
        // Each point's cell with its block's shared cell (the shared cells' own entries are
        // never read).
        let mut means = vec![([0.0; 4], [0.0; 3]); sums.len()];
        for d in designs {
            for k in 0..d.strategies.len() {
                for j in 0..d.points.len() {
                    let s = d.point_sums(sums, k, j);
                    means[d.cell(k, j)] = (s.x.map(|v| v / nf), s.y.map(|v| v / nf));
                }
            }
        }
        SampleDesigns {
            means,
            shares: designs.iter().map(|d| d.shares.clone()).collect(),
            prices: designs.iter().map(|d| d.prices.clone()).collect(),
            points: designs.iter().map(|d| d.points.iter().map(|p| p.price).collect()).collect(),
        }
    }

    /// Per candidate and threshold (row by row): 1 if its incremental NMB is ≥ 0 in this
    /// sample.
    pub fn cost_effective(&self, candidates: &[Candidate], thresholds: &[f64]) -> Vec<u32> {
        let mut out = Vec::with_capacity(candidates.len() * thresholds.len());
        for c in candidates {
            let (x, _) = self.means[c.cell];
            let share = self.shares[c.design][c.share];
            let own = self.points[c.design][c.point];
            let price = own.unwrap_or_else(|| self.prices[c.design][c.price]);
            let cost = x[1] + price * x[2] - price * share * x[3];
            for &l in thresholds {
                out.push(u32::from(l * x[0] - cost >= 0.0));
            }
        }
        out
    }
}

/// Set each candidate's probability of being cost-effective from the summed indicators of
/// `samples` samples.
pub fn set_probabilities(candidates: &mut [Candidate], counts: &[u32], samples: u64) {
    let thresholds = candidates.first().map_or(0, |c| c.inc_nmb.len());
    for (i, c) in candidates.iter_mut().enumerate() {
        c.prob_cost_effective = (0..thresholds)
            .map(|t| f64::from(counts[i * thresholds + t]) / samples as f64)
            .collect();
    }
}

/// Set each candidate's net budget impact (of the budget's new strategy) from the base case's
/// sums: the list arm's net impact plus, year by year, Σ_{j ≤ y} (entrants of year j on the new
/// strategy) × (the candidate's mean cash difference from list in year y − j after entry:
/// A·(a − s·b) − A₀·l + admin, or the capped point's cash − A₀·l + admin), plus the template's
/// yearly administration every budget year, as the budget impact of a contract arm is built
/// ([`super::budget`]).
pub fn set_budget_impact(
    model: &crate::model::Model,
    prep: &crate::sim::Prepared,
    sums: &crate::sim::accumulator::SampleSums,
    candidates: &mut [Candidate],
) {
    let Some(b) = &prep.budget else { return };
    let rows = super::budget::budget_rows(model, prep, sums);
    let list: Vec<&super::budget::BudgetRow> =
        rows.iter().filter(|r| r.contract.is_none() && r.category.is_none()).collect();
    if list.len() != b.years {
        return;
    }
    let list_net: f64 = list.iter().map(|r| r.net()).sum();
    let new: Vec<f64> = list.iter().map(|r| r.entrants_new).collect();
    let n = sums.patients as f64;
    for c in candidates.iter_mut().filter(|c| c.strategy == b.strategy) {
        let d = &prep.designs[c.design];
        let Some((_, at)) = &d.budget else { continue };
        let point = &d.points[c.point];
        let share = d.shares[c.share];
        let p0 = d.list_price;
        let delta = |m: usize| {
            let [a, sb, l, admin] = sums.design_budget[at + c.point * b.years + m];
            let paid = match point.price {
                Some(_) => a,
                None => d.prices[c.price] * (a - share * sb),
            };
            (paid - p0 * l + admin) / n
        };
        let profile: Vec<f64> = (0..b.years).map(delta).collect();
        let mut total = list_net;
        for y in 0..b.years {
            for (j, e) in new.iter().enumerate().take(y + 1) {
                total += e * profile[y - j];
            }
        }
        total += prep.contracts[d.contract].admin_per_year * b.years as f64;
        c.budget_impact = Some(total);
    }
}
