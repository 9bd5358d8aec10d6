//! Contract designs settled in the engine's pass: each candidate's payer cost and
//! manufacturer revenue on the same patients as the run's arms, without arms of their own.
//!
//! A candidate is a contract on the template's drug and regimens. Its payer cost differs from
//! the list arm only in the covered drug: for a patient with list-arm total T, covered list
//! units l (present value of the list-paid cycles per unit of price) at list price P₀, and
//! comparator total R with covered units u_c, the candidate at price P costs
//! T − P₀·l + P·(a − s·b) + admin against R + (P − P₀)·u_c, where a and b are the patient's
//! payments and share-linear part per unit of price (b: the discounted cycles of a discount,
//! the refund at share 1 of a money-back guarantee or response rebate; 0 for other kinds) and
//! s the share. So for each candidate of the other terms (a *point*) the engine keeps sums of
//! x = (Δq, T − R − P₀·l + P₀·u_c + admin, a − u_c, b) and of their products, and every share
//! and price is valued from them exactly, with its Monte Carlo standard error. The
//! manufacturer's side is y = (a_m, b_m, admin_m) at its own rate: revenue P·(a_m − s·b_m) −
//! admin_m. A money-back guarantee with a cap in money is not linear in s or P: each of its
//! points carries its own share and price, and its cash goes whole into x₂ and y₃.

use super::exposure::{StartFactors, covered_exposure, documented, exposure_from};
use super::prepared::Prepared;
use crate::accounting::record::PatientRecord;
use crate::contracts::{self, Kind, LinearShare};
use crate::model::Model;
use crate::rng::PatientKey;

/// A design ready to settle at one set of parameter values.
#[derive(Clone, Debug)]
pub struct PreparedDesign {
    /// The template contract.
    pub contract: usize,
    /// The strategies the template contract is settled on (sorted).
    pub strategies: Vec<usize>,
    pub points: Vec<Point>,
    /// The kind's linear share, if the design values it linearly, and its values.
    pub share: Option<LinearShare>,
    pub shares: Vec<f64>,
    /// Prices valued linearly (empty when each point carries its own).
    pub prices: Vec<f64>,
    /// The drug's list price in the covered regimens at these values (P₀).
    pub list_price: f64,
    pub manufacturer_admin: f64,
    /// With a budget impact whose new strategy the template is settled on: the points' terms
    /// at zero discount rates, and the first of the design's cells of
    /// [`crate::sim::accumulator::SampleSums::design_budget`] (point j's year m after entry at
    /// `first + j·years + m`).
    pub budget: Option<(Vec<Kind<f64>>, usize)>,
    /// The design's first block of [`PointSums`]: strategy k's point j is at
    /// `first + k·(points + 1) + j`, and after its points the block's *shared* cell: the
    /// patients whose cash is the same under every point (not treated on a covered regimen),
    /// added once instead of once per point.
    pub first: usize,
}

impl PreparedDesign {
    /// Its cells of [`PointSums`]: per strategy, one per point and the shared one.
    pub fn cells(&self) -> usize {
        self.strategies.len() * (self.points.len() + 1)
    }

    /// The cell of strategy k's point j (j = points: the shared cell).
    pub fn cell(&self, k: usize, j: usize) -> usize {
        self.first + k * (self.points.len() + 1) + j
    }

    /// The sums over every patient of strategy k's point j: its own cell and the shared one.
    pub fn point_sums(&self, sums: &[PointSums], k: usize, j: usize) -> PointSums {
        let mut total = sums[self.cell(k, j)];
        total.merge(&sums[self.cell(k, self.points.len())]);
        total
    }
}

/// A candidate of the terms settled one by one.
#[derive(Clone, Debug)]
pub struct Point {
    /// The terms, with the linear share (if any) at 1.
    pub kind: Kind<f64>,
    /// Its own price (a capped design), else `None`: every price of the design.
    pub price: Option<f64>,
}

/// Why a design cannot be settled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DesignError {
    #[error(
        "design `{design}`: contract `{contract}` covers a regimen given in a pathway state; designs settle first and second lines only (yet)"
    )]
    InPathways { design: String, contract: String },
    #[error(
        "design `{design}`: contract `{contract}` is settled on no strategy (no strategy gives its drug in the regimens it covers)"
    )]
    NoStrategy { design: String, contract: String },
    #[error(
        "design `{design}`: contract `{contract}` is also settled on the comparator `{comparator}`; a design compares its candidates with the comparator at list, so its contract must not cover the comparator's regimens"
    )]
    OnComparator { design: String, contract: String, comparator: String },
}

/// Prepare every design of `model` at the values `prep` was prepared with.
pub fn prepare_designs(model: &Model, prep: &Prepared) -> Result<Vec<PreparedDesign>, DesignError> {
    let mut first = 0;
    let mut budget_first = 0;
    let mut out = Vec::with_capacity(model.designs.len());
    for d in &model.designs {
        let c = d.contract;
        let contract = &prep.contracts[c];
        let name = || (d.name.clone(), model.contracts[c].name.clone());
        if contract.in_pathways {
            let (design, contract) = name();
            return Err(DesignError::InPathways { design, contract });
        }
        let mut strategies: Vec<usize> =
            prep.settlements.iter().filter(|r| r.contract == c).map(|r| r.strategy).collect();
        strategies.sort_unstable();
        strategies.dedup();
        if strategies.is_empty() {
            let (design, contract) = name();
            return Err(DesignError::NoStrategy { design, contract });
        }
        if strategies.contains(&prep.comparator) {
            let (design, contract) = name();
            let comparator = model.strategies[prep.comparator].name.clone();
            return Err(DesignError::OnComparator { design, contract, comparator });
        }
        let list_price = prep.list_price(c);
        let template = contract.kind.linear_share().filter(|_| !d.capped);
        let points: Vec<Point> = (0..d.points())
            .map(|j| {
                let mut kind = contract.kind.clone();
                let mut price = d.capped.then_some(list_price);
                for (term, value) in d.point(j) {
                    if term == "price" {
                        price = Some(value);
                    } else {
                        kind.set_term(term, value);
                    }
                }
                if let Some((share, _)) = template {
                    kind.set_term(share.term(), 1.0);
                }
                kind.rediscount(&prep.costs, &prep.manufacturer);
                Point { kind, price }
            })
            .collect();
        let (share, shares) = match template {
            Some((share, own)) => (Some(share), d.shares.clone().unwrap_or_else(|| vec![own])),
            None => (None, vec![0.0]),
        };
        let prices = match (&d.prices, d.capped) {
            (_, true) => Vec::new(),
            (Some(p), false) => p.clone(),
            (None, false) => vec![list_price],
        };
        let budget = prep.budget.as_ref().filter(|b| strategies.contains(&b.strategy)).map(|b| {
            let zero = &b.undiscounted;
            let kinds = points
                .iter()
                .map(|p: &Point| {
                    let mut kind = p.kind.clone();
                    kind.rediscount(&zero.costs, &zero.manufacturer);
                    kind
                })
                .collect::<Vec<_>>();
            let at = budget_first;
            budget_first += kinds.len() * b.years;
            (kinds, at)
        });
        let cells = strategies.len() * (d.points() + 1);
        out.push(PreparedDesign {
            budget,
            contract: c,
            strategies,
            points,
            share,
            shares,
            prices,
            list_price,
            manufacturer_admin: d.manufacturer_admin,
            first,
        });
        first += cells;
    }
    Ok(out)
}

/// Sums over patients of one strategy's candidate point: of x and y (see the module's head)
/// and of their products.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PointSums {
    pub x: [f64; 4],
    /// Σ xᵢxⱼ for i ≤ j, row by row ([`PointSums::xx`]).
    pub xx: [f64; 10],
    pub y: [f64; 3],
    /// Σ yᵢyⱼ for i ≤ j, row by row.
    pub yy: [f64; 6],
}

impl PointSums {
    #[inline]
    fn add(&mut self, x: [f64; 4], y: [f64; 3]) {
        let mut k = 0;
        for i in 0..4 {
            self.x[i] += x[i];
            for j in i..4 {
                self.xx[k] += x[i] * x[j];
                k += 1;
            }
        }
        let mut k = 0;
        for i in 0..3 {
            self.y[i] += y[i];
            for j in i..3 {
                self.yy[k] += y[i] * y[j];
                k += 1;
            }
        }
    }

    pub fn merge(&mut self, o: &PointSums) {
        for (a, b) in self.x.iter_mut().zip(&o.x) {
            *a += b;
        }
        for (a, b) in self.xx.iter_mut().zip(&o.xx) {
            *a += b;
        }
        for (a, b) in self.y.iter_mut().zip(&o.y) {
            *a += b;
        }
        for (a, b) in self.yy.iter_mut().zip(&o.yy) {
            *a += b;
        }
    }

    /// Σ xᵢxⱼ.
    pub fn xx(&self, i: usize, j: usize) -> f64 {
        self.xx[triangle(i.min(j), i.max(j), 4)]
    }

    /// Σ yᵢyⱼ.
    pub fn yy(&self, i: usize, j: usize) -> f64 {
        self.yy[triangle(i.min(j), i.max(j), 3)]
    }
}

/// Position of (i, j), i ≤ j, in the upper triangle of an n × n matrix stored row by row.
const fn triangle(i: usize, j: usize, n: usize) -> usize {
    i * n - i * (i + 1) / 2 + j
}

/// A patient's settlement of one point, per unit of price (see the module's head): the
/// payer's a and b, the manufacturer's, and the two sides' administration. For a point with
/// its own price, `paid` is the payer's net drug cash and `manufacturer` the manufacturer's
/// net revenue, in money.
#[derive(Clone, Copy, Debug, Default)]
struct PointCash {
    paid: f64,
    share: f64,
    manufacturer: f64,
    manufacturer_share: f64,
    admin: f64,
    manufacturer_admin: f64,
}

/// One patient's settlements of every design, strategy by strategy, until the list arms'
/// totals are known.
pub struct DesignScratch {
    /// Per block (design, strategy, point): the patient's cash.
    cash: Vec<PointCash>,
    /// Per design and strategy: the patient is not treated on a covered regimen (the same
    /// cash under every point: it goes to the shared cell once).
    untreated: Vec<bool>,
    /// Per design and strategy: the covered exposure's list units l.
    list_units: Vec<f64>,
    /// Per design: the comparator's covered list units u_c.
    comparator_units: Vec<f64>,
    /// Per point: the patient's cash dated before the last budget cut.
    cumulative: Vec<[f64; 4]>,
}

impl DesignScratch {
    pub fn new(prep: &Prepared) -> Self {
        let cells = prep.designs.iter().map(PreparedDesign::cells).sum();
        let lines = prep.designs.iter().map(|d| d.strategies.len()).sum();
        DesignScratch {
            cash: vec![PointCash::default(); cells],
            untreated: vec![false; lines],
            list_units: vec![0.0; lines],
            comparator_units: vec![0.0; prep.designs.len()],
            cumulative: Vec::new(),
        }
    }

    /// Settle every design's points on strategy `s`'s record of the patient (and, for the
    /// comparator, read its covered units).
    pub fn settle(
        &mut self,
        prep: &Prepared,
        s: usize,
        (rec, second): (&PatientRecord, Option<&PatientRecord>),
        pk: PatientKey,
        starts: &mut StartFactors,
    ) {
        let mut line = 0;
        for (di, d) in prep.designs.iter().enumerate() {
            let contract = &prep.contracts[d.contract];
            if s == prep.comparator {
                let mut units = 0.0;
                for r in std::iter::once(rec).chain(second).filter(|r| r.treated) {
                    if contract.regimens.contains(&r.regimen)
                        && let Some(x) = exposure_from(prep, r, contract.drug, true, starts)
                    {
                        units += x.list().0;
                    }
                }
                self.comparator_units[di] = units;
            }
            let Some(k) = d.strategies.iter().position(|&t| t == s) else {
                line += d.strategies.len();
                continue;
            };
            let n = d.points.len();
            let first = d.cell(k, 0);
            let Some(mut x) = covered_exposure(prep, d.contract, (rec, second), starts) else {
                self.list_units[line + k] = 0.0;
                self.untreated[line + k] = true;
                let untreated =
                    PointCash { admin: contract.admin_per_entrant, ..PointCash::default() };
                self.cash[first + n] = untreated;
                line += d.strategies.len();
                continue;
            };
            self.untreated[line + k] = false;
            let cash = &mut self.cash[first..first + n];
            x.documented = documented(contract, pk);
            let list = x.list();
            self.list_units[line + k] = list.0;
            let assessment = prep.regimens[x.rec.regimen].assessment;
            let manufacturer_admin = d.manufacturer_admin * x.manufacturer_start;
            for (point, out) in d.points.iter().zip(cash.iter_mut()) {
                let s = contracts::settle(&point.kind, &x, &[]);
                let admin = contracts::administration(contract, &x, assessment, s.tracked_until);
                *out = match (point.price, d.share) {
                    (Some(price), _) => {
                        let cap = point.kind.refund_cap();
                        let cash = contracts::capped_in_money(cap, price, admin, &s);
                        PointCash {
                            paid: cash.paid - cash.refunded,
                            manufacturer: cash.manufacturer_net,
                            admin,
                            manufacturer_admin,
                            ..PointCash::default()
                        }
                    }
                    (None, Some(LinearShare::Discount)) => PointCash {
                        paid: list.0,
                        share: list.0 - s.paid.0,
                        manufacturer: list.1,
                        manufacturer_share: list.1 - s.paid.1,
                        admin,
                        manufacturer_admin,
                    },
                    (None, Some(LinearShare::Refund)) => PointCash {
                        paid: s.paid.0,
                        share: s.refund * s.refund_at.0,
                        manufacturer: s.paid.1,
                        manufacturer_share: s.refund * s.refund_at.1,
                        admin,
                        manufacturer_admin,
                    },
                    (None, None) => PointCash {
                        paid: s.paid.0,
                        manufacturer: s.paid.1,
                        admin,
                        manufacturer_admin,
                        ..PointCash::default()
                    },
                };
            }
            line += d.strategies.len();
        }
    }

    /// Add the patient's undiscounted cash in each calendar year after entry under every point
    /// to the budget cells `out` (designs whose template is settled on the budget's new
    /// strategy, on that strategy's record): per point and year m the increments between the
    /// cuts m − a and m + 1 − a (a the patient's arrival in its year) of (a, b, l, admin) — as
    /// the budget view settles a contract arm, with every discount rate zero and the payer's
    /// view ending at the cut. For a point with its own price, a is its net cash in money.
    pub fn budget(
        &mut self,
        prep: &Prepared,
        (rec, second): (&PatientRecord, Option<&PatientRecord>),
        pk: PatientKey,
        arrival: f64,
        out: &mut [[f64; 4]],
    ) {
        let Some(b) = &prep.budget else { return };
        let zero: &Prepared = &b.undiscounted;
        let cut_at = |r: &PatientRecord, cut: f64| PatientRecord {
            coverage_end: r.coverage_end.min(cut),
            ..*r
        };
        for d in &prep.designs {
            let Some((kinds, at)) = &d.budget else { continue };
            let contract = &zero.contracts[d.contract];
            self.cumulative.clear();
            self.cumulative.resize(kinds.len(), [0.0; 4]);
            let mut starts = StartFactors::new();
            for m in 0..b.years {
                let cut = (m + 1) as f64 - arrival;
                let first = cut_at(rec, cut);
                let later = second.map(|r2| cut_at(r2, cut));
                let Some(mut x) =
                    covered_exposure(zero, d.contract, (&first, later.as_ref()), &mut starts)
                else {
                    continue;
                };
                x.documented = documented(contract, pk);
                x.refund_horizon = x.refund_horizon.min(cut);
                let list = x.list();
                let assessment = zero.regimens[x.rec.regimen].assessment;
                for (j, (kind, point)) in kinds.iter().zip(&d.points).enumerate() {
                    let s = contracts::settle(kind, &x, &[]);
                    let admin =
                        contracts::administration(contract, &x, assessment, s.tracked_until);
                    let now = match (point.price, d.share) {
                        (Some(price), _) => {
                            let cash =
                                contracts::capped_in_money(kind.refund_cap(), price, admin, &s);
                            [cash.paid - cash.refunded, 0.0, list.0, admin]
                        }
                        (None, Some(LinearShare::Discount)) => {
                            [list.0, list.0 - s.paid.0, list.0, admin]
                        }
                        (None, Some(LinearShare::Refund)) => {
                            [s.paid.0, s.refund * s.refund_at.0, list.0, admin]
                        }
                        (None, None) => [s.paid.0, 0.0, list.0, admin],
                    };
                    let cell = &mut out[at + j * b.years + m];
                    let before = &mut self.cumulative[j];
                    for k in 0..4 {
                        cell[k] += now[k] - before[k];
                    }
                    *before = now;
                }
            }
        }
    }

    /// Add the patient to every design's sums, with each strategy's list-arm total and
    /// QALYs from `list_arm(s)` and the comparator's (total, QALYs) `reference`.
    pub fn post(
        &self,
        prep: &Prepared,
        list_arm: impl Fn(usize) -> (f64, f64),
        reference: (f64, f64),
        sums: &mut [PointSums],
    ) {
        let mut line = 0;
        for (di, d) in prep.designs.iter().enumerate() {
            let units = self.comparator_units[di];
            let n = d.points.len();
            for (k, &s) in d.strategies.iter().enumerate() {
                let (total, qaly) = list_arm(s);
                let dq = qaly - reference.1;
                let p0 = d.list_price;
                let base = total - reference.0 - p0 * self.list_units[line + k] + p0 * units;
                let first = d.cell(k, 0);
                if self.untreated[line + k] {
                    // The same cash under every point: (x₂ without the price, x₃ = −u_c) gives
                    // each candidate's cost at its own price, a capped point's too.
                    let c = &self.cash[first + n];
                    sums[first + n].add([dq, base + c.admin, -units, 0.0], [0.0, 0.0, 0.0]);
                    continue;
                }
                let cells = sums[first..first + n].iter_mut().zip(&self.cash[first..first + n]);
                for ((cell, c), point) in cells.zip(&d.points) {
                    let (x, y) = match point.price {
                        Some(price) => (
                            [dq, base + c.admin + c.paid - price * units, 0.0, 0.0],
                            [0.0, 0.0, c.manufacturer_admin - c.manufacturer],
                        ),
                        None => (
                            [dq, base + c.admin, c.paid - units, c.share],
                            [c.manufacturer, c.manufacturer_share, c.manufacturer_admin],
                        ),
                    };
                    cell.add(x, y);
                }
            }
            line += d.strategies.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_are_kept_once_per_pair() {
        let mut s = PointSums::default();
        s.add([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0]);
        s.add([1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0]);
        for i in 0..4 {
            for j in 0..4 {
                let a = [1.0, 2.0, 3.0, 4.0];
                let b = [1.0, 0.0, 0.0, 1.0];
                assert_eq!(s.xx(i, j), a[i] * a[j] + b[i] * b[j], "({i}, {j})");
            }
        }
        assert_eq!(s.yy(2, 1), 42.0);
        assert_eq!(s.yy(1, 1), 37.0);
    }
}
