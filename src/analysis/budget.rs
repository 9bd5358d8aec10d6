//! Budget impact (ISPOR 2014 good practice): the payer's undiscounted spend per calendar
//! year on an eligible population in the world with the new strategy and in the world
//! without it, by cost category and by the contract the new drug is bought under.
//!
//! Per arm, the engine sums each patient's spend in each calendar year after its entry year
//! (patients enter uniformly over their year). Entrants E_j = incident·(1 + growth)^j (plus
//! the prevalent pool in year 1); in the world with, uptake_j·E_j get the new strategy and the
//! rest today's treatments in their shares (`current`; by default the comparator alone); in
//! the world without, all get today's treatments in their shares. Spend in year y is
//! Σ_{j≤y} (entrants of year j on an arm) × (the arm's mean spend in year y − j after entry).
//! Cohort-level contracts are settled on the world's annual totals; a contract's yearly
//! administration is paid every budget year it is in place.

use crate::contracts::Kind;
use crate::contracts::cohort::{YearTotals, fraction_of};
use crate::model::{Arm, BudgetImpact, Model};
use crate::sim::accumulator::SampleSums;
use crate::sim::prepared::Prepared;

/// One row of budget_impact.csv: one contract (of the new strategy), budget year and cost
/// category (`None`: the total).
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetRow {
    /// The contract the new drug is bought under (`None`: list price).
    pub contract: Option<usize>,
    /// Budget year, from 1.
    pub year: usize,
    pub category: Option<usize>,
    /// Eligible patients entering in the year, and those of them on the new strategy.
    pub entrants: f64,
    pub entrants_new: f64,
    /// Spend in the world with and without the new strategy.
    pub with: f64,
    pub without: f64,
}

impl BudgetRow {
    /// The net budget impact: with − without.
    pub fn net(&self) -> f64 {
        self.with - self.without
    }
}

/// Per total row (`category` `None`, in `rows`' order): the net budget impact of its contract
/// column summed over the budget years so far (rows come year by year within each column).
pub fn cumulative_net(rows: &[BudgetRow]) -> Vec<f64> {
    let mut sums: Vec<(Option<usize>, f64)> = Vec::new();
    rows.iter()
        .filter(|r| r.category.is_none())
        .map(|r| match sums.iter_mut().find(|(c, _)| *c == r.contract) {
            Some((_, sum)) => {
                *sum += r.net();
                *sum
            }
            None => {
                sums.push((r.contract, r.net()));
                r.net()
            }
        })
        .collect()
}

/// The budget impact in one line: the net budget impact of the first contract column (list
/// price when the new drug has no contract) in each budget year, and over all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetHeadline {
    pub contract: Option<usize>,
    /// Per budget year, from year 1.
    pub net: Vec<f64>,
    pub total: f64,
}

impl BudgetHeadline {
    /// From the budget rows (`None` without them).
    pub fn of(rows: &[BudgetRow]) -> Option<BudgetHeadline> {
        let first = rows.iter().find(|r| r.category.is_none())?;
        let net: Vec<f64> = rows
            .iter()
            .filter(|r| r.category.is_none() && r.contract == first.contract)
            .map(|r| r.net())
            .collect();
        let total: f64 = net.iter().sum();
        Some(BudgetHeadline { contract: first.contract, net, total })
    }
}

/// How many total rows (`category` `None`) [`budget_rows`] gives for a model: one per contract
/// column of the new strategy (its arms) and budget year; none without `[budget_impact]`.
/// Each PSA sample keeps one (spend with, net) pair per total row.
pub fn total_rows(model: &Model) -> usize {
    let Some(b) = &model.budget else { return 0 };
    model.arms().iter().filter(|a| a.strategy == b.strategy).count() * b.years
}

/// Who is on which arm in a world: (arm, patients entering in each year).
type World = Vec<(usize, Vec<f64>)>;

/// Every row of the budget impact for one sample's sums (`prep` built from its values).
pub fn budget_rows(model: &Model, prep: &Prepared, sums: &SampleSums) -> Vec<BudgetRow> {
    let cats = prep.categories().len();
    let mut rows = Vec::new();
    for (contract, yearly, with, without) in worlds(model, prep, sums) {
        for (y, &(entrants, entrants_new)) in yearly.iter().enumerate() {
            let row = |category, with: f64, without: f64| BudgetRow {
                contract,
                year: y + 1,
                category,
                entrants,
                entrants_new,
                with,
                without,
            };
            for c in 0..cats {
                rows.push(row(Some(c), with[y * cats + c], without[y * cats + c]));
            }
            let total = |v: &[f64]| v[y * cats..(y + 1) * cats].iter().sum::<f64>();
            rows.push(row(None, total(&with), total(&without)));
        }
    }
    rows
}

/// The total rows of [`budget_rows`] alone, as (with, net) per contract column and year in
/// its order: what a PSA sample keeps, without building the category rows it drops.
pub fn budget_totals(model: &Model, prep: &Prepared, sums: &SampleSums) -> Vec<(f64, f64)> {
    let cats = prep.categories().len();
    let mut totals = Vec::new();
    for (_, yearly, with, without) in worlds(model, prep, sums) {
        for y in 0..yearly.len() {
            let total = |v: &[f64]| v[y * cats..(y + 1) * cats].iter().sum::<f64>();
            let (with, without) = (total(&with), total(&without));
            totals.push((with, with - without));
        }
    }
    totals
}

/// Per contract column of the budget impact: the contract, each year's (entrants, entrants
/// on the new strategy), and the spend per year and category of the world with the new
/// strategy and of the world without it.
#[allow(clippy::type_complexity)]
fn worlds(
    model: &Model,
    prep: &Prepared,
    sums: &SampleSums,
) -> Vec<(Option<usize>, Vec<(f64, f64)>, Vec<f64>, Vec<f64>)> {
    let Some(b) = &model.budget else { return Vec::new() };
    if prep.budget.is_none() || sums.budget.is_empty() {
        // The budget view was skipped (a benchmark).
        return Vec::new();
    }
    let arm_of = |strategy: usize, contract: Option<usize>| {
        prep.arms.iter().position(|a| *a == Arm { strategy, contract })
    };
    let entrants: Vec<f64> = (0..b.years).map(|y| b.entrants(y)).collect();
    let new: Vec<f64> = entrants.iter().zip(&b.uptake).map(|(e, u)| e * u).collect();
    let old: Vec<f64> = entrants.iter().zip(&new).map(|(e, n)| e - n).collect();
    let yearly: Vec<(f64, f64)> = entrants.iter().copied().zip(new.iter().copied()).collect();
    let profiles = profiles(prep, sums, b.years);
    let mut out = Vec::new();
    let columns = prep.arms.iter().filter(|a| a.strategy == b.strategy).map(|a| a.contract);
    for contract in columns {
        let Some(arm_new) = arm_of(b.strategy, contract) else { continue };
        // Each of today's treatments under the same contract if it gives the drug (unless
        // `scenario.comparator_contract = "list"`), else at list.
        let same = model.meta.comparator_contract == crate::model::ComparatorContract::Same;
        let today = |s: usize| {
            let under = if same { arm_of(s, contract) } else { None };
            under.or_else(|| arm_of(s, None)).unwrap_or(arm_new)
        };
        // The new strategy displaces today's treatments in proportion to their shares.
        let times = |v: &[f64], share: f64| -> Vec<f64> {
            if share == 1.0 { v.to_vec() } else { v.iter().map(|x| x * share).collect() }
        };
        let mut with: World = vec![(arm_new, new.clone())];
        with.extend(b.current.iter().map(|&(s, share)| (today(s), times(&old, share))));
        let without: World =
            b.current.iter().map(|&(s, share)| (today(s), times(&entrants, share))).collect();
        let (with, without) = (
            spend(prep, sums, b, contract, (&with, &profiles)),
            spend(prep, sums, b, contract, (&without, &profiles)),
        );
        out.push((contract, yearly.clone(), with, without));
    }
    out
}

/// One row of budget_impact_events.csv: a budget year's count of one clinical event
/// ([`crate::sim::accumulator::BUDGET_EVENTS`]) among the eligible patients, in each world.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetEventRow {
    /// Budget year, from 1.
    pub year: usize,
    pub event: &'static str,
    pub with: f64,
    pub without: f64,
}

/// The eligible patients' clinical events per budget year in the world with and without the
/// new strategy: Σ_j (entrants of year j on a strategy) × (its patients' share with the event
/// in year y − j after entry). Events do not depend on the contract: the worlds at list.
pub fn budget_events(model: &Model, prep: &Prepared, sums: &SampleSums) -> Vec<BudgetEventRow> {
    let Some(b) = &model.budget else { return Vec::new() };
    if sums.budget_events.is_empty() {
        return Vec::new();
    }
    use crate::sim::accumulator::BUDGET_EVENTS;
    let list = |s: usize| prep.arms.iter().position(|a| *a == Arm { strategy: s, contract: None });
    let entrants: Vec<f64> = (0..b.years).map(|y| b.entrants(y)).collect();
    let new: Vec<f64> = entrants.iter().zip(&b.uptake).map(|(e, u)| e * u).collect();
    let n = sums.patients as f64;
    let count = |world: &[(Option<usize>, f64, &Vec<f64>)], y: usize, e: usize| -> f64 {
        let mut total = 0.0;
        for &(arm, share, entering) in world {
            let Some(arm) = arm else { continue };
            for (j, x) in entering.iter().enumerate().take(y + 1) {
                let cell = (arm * b.years + (y - j)) * BUDGET_EVENTS.len() + e;
                total += x * share * sums.budget_events[cell] as f64 / n;
            }
        }
        total
    };
    let old: Vec<f64> = entrants.iter().zip(&new).map(|(e, x)| e - x).collect();
    let mut with: Vec<(Option<usize>, f64, &Vec<f64>)> = vec![(list(b.strategy), 1.0, &new)];
    with.extend(b.current.iter().map(|&(s, share)| (list(s), share, &old)));
    let without: Vec<(Option<usize>, f64, &Vec<f64>)> =
        b.current.iter().map(|&(s, share)| (list(s), share, &entrants)).collect();
    let mut rows = Vec::new();
    for y in 0..b.years {
        for (e, event) in BUDGET_EVENTS.iter().enumerate() {
            rows.push(BudgetEventRow {
                year: y + 1,
                event,
                with: count(&with, y, e),
                without: count(&without, y, e),
            });
        }
    }
    rows
}

/// Every arm's mean spend per patient in each year after entry, by category (cell
/// (arm·Y + k)·C + c): its list arm's plus its own differences. Computed once per sample
/// (every world of every contract column reads it).
fn profiles(prep: &Prepared, sums: &SampleSums, years: usize) -> Vec<f64> {
    let cats = prep.categories().len();
    let n = sums.patients as f64;
    let list_of = |arm: usize| {
        let s = prep.arms[arm].strategy;
        prep.arms.iter().position(|a| a.strategy == s && a.contract.is_none()).unwrap_or(arm)
    };
    let mut out = Vec::with_capacity(prep.arms.len() * years * cats);
    for arm in 0..prep.arms.len() {
        let list = list_of(arm);
        let cells = |a: usize, k: usize| &sums.budget[(a * years + k) * cats..][..cats];
        for k in 0..years {
            let (listed, own) = (cells(list, k), cells(arm, k));
            out.extend(
                listed.iter().zip(own).map(|(l, d)| (l + if list == arm { 0.0 } else { *d }) / n),
            );
        }
    }
    out
}

/// A world's spend per budget year and category (cell y·C + c) when the contract `contract`
/// applies to the arms that carry it (`profiles` from [`profiles`]).
fn spend(
    prep: &Prepared,
    sums: &SampleSums,
    b: &BudgetImpact,
    contract: Option<usize>,
    (world, profiles): (&World, &[f64]),
) -> Vec<f64> {
    let cat = prep.categories();
    let cats = cat.len();
    let n = sums.patients as f64;
    let mut out = vec![0.0; b.years * cats];
    for &(arm, ref entering) in world {
        for y in 0..b.years {
            for (j, e) in entering.iter().enumerate().take(y + 1) {
                let mean = &profiles[(arm * b.years + y - j) * cats..][..cats];
                let year = &mut out[y * cats..(y + 1) * cats];
                for (o, m) in year.iter_mut().zip(mean) {
                    *o += e * m;
                }
            }
        }
    }
    let Some(ci) = contract else { return out };
    let in_place = world.iter().any(|(arm, _)| prep.arms[*arm].contract == Some(ci));
    if !in_place {
        return out;
    }
    let terms = prep.contracts[ci].kind.clone();
    let term = match &terms {
        Kind::Cohort(t) => (t.years as usize).min(b.years),
        _ => b.years,
    };
    for y in 0..term {
        // The contract's yearly administration, every year it is in place.
        out[y * cats + cat.contract_admin()] += prep.contracts[ci].admin_per_year;
    }
    if let Kind::Cohort(t) = &terms {
        let price = prep.list_price(ci);
        for y in 0..term {
            let mut year = YearTotals::default();
            let mut cycles = 0.0;
            for (arm, entering) in world.iter().filter(|(a, _)| prep.arms[*a].contract == Some(ci))
            {
                for (j, e) in entering.iter().enumerate().take(y + 1) {
                    let cell = sums.budget_calendar[*arm].get(0, y - j);
                    let w = e / n;
                    cycles += w * cell.cycles as f64;
                    year.treated += w * cell.treated as f64;
                    year.started += w * cell.started as f64;
                    year.succeeded += w * cell.succeeded as f64;
                }
            }
            year.spend = price * cycles;
            let g = fraction_of(&t.rule, &year);
            // Settled against the year of the spend it refunds.
            out[y * cats + cat.rebate(ci)] -= g * year.spend;
        }
    }
    out
}
