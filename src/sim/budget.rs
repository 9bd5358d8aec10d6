//! Each patient's undiscounted spend per calendar year after entry, for the budget impact
//! analysis.
//!
//! A patient enters at `a` (its arrival uniform) within its calendar year, so calendar year m
//! after its entry year covers patient time [m − a, m + 1 − a). The spend dated before a cut
//! c is the patient's whole accounting with every discount rate zero and the payer's view
//! ending at c (the horizon cuts every flow, payment and refund); the spend of year m is the
//! difference between the cuts m + 1 − a and m − a. The course and treatment are the
//! patient's own, simulated once: only the accounting is repeated.

use super::accumulator::SampleSums;
use super::engine::{documented, exposure};
use super::patient::{Course, PatientRecord};
use super::prepared::{Prepared, PreparedBudget, PreparedKind};
use crate::accounting::ledger::{Ledger, post_course, post_treatment, value_course};
use crate::contracts::cohort::{CohortTerms, Placement};
use crate::contracts::{self};
use crate::rng::PatientKey;

/// Where a strategy's arms sit: its list arm and its (contract arm, contract) pairs.
pub struct Arms<'a> {
    pub list: usize,
    pub contracts: &'a [(usize, usize)],
}

/// Working buffers, one per chunk: cumulative spend per arm and category at the last cut.
#[derive(Default)]
pub struct Scratch {
    previous: Vec<f64>,
    current: Vec<f64>,
}

/// Add a patient's yearly spend on one strategy to the budget sums.
#[allow(clippy::too_many_arguments)]
pub fn account(
    budget: &PreparedBudget,
    arms: Arms<'_>,
    key: PatientKey,
    arrival: f64,
    (rec, second): (&PatientRecord, Option<&PatientRecord>),
    course: &Course,
    scratch: &mut Scratch,
    sums: &mut SampleSums,
) {
    let zero: &Prepared = &budget.undiscounted;
    let cats = zero.categories().len();
    let width = (1 + arms.contracts.len()) * cats;
    scratch.previous.clear();
    scratch.previous.resize(width, 0.0);
    scratch.current.resize(width, 0.0);
    for m in 0..budget.years {
        let cut = (m + 1) as f64 - arrival;
        let (list, contract_cells) = scratch.current.split_at_mut(cats);
        spend_until(zero, (rec, second), course, cut, list);
        for (k, &(_, ci)) in arms.contracts.iter().enumerate() {
            let out = &mut contract_cells[k * cats..(k + 1) * cats];
            contract_until(zero, ci, (rec, second), cut, key, out);
        }
        let arm_of = |k: usize| if k == 0 { arms.list } else { arms.contracts[k - 1].0 };
        for k in 0..=arms.contracts.len() {
            let base = (arm_of(k) * budget.years + m) * cats;
            let (now, before) = (&scratch.current[k * cats..], &scratch.previous[k * cats..]);
            for c in 0..cats {
                sums.budget[base + c] += now[c] - before[c];
            }
        }
        std::mem::swap(&mut scratch.previous, &mut scratch.current);
    }
    // Cohort-level contracts: the counts their annual rules need, per calendar year after
    // entry.
    for &(arm, ci) in arms.contracts {
        let contract = &zero.contracts[ci];
        let PreparedKind::Cohort(terms) = &contract.kind else { continue };
        let Some(mut x) = exposure(zero, rec, contract.drug, true)
            .or_else(|| second.and_then(|r2| exposure(zero, r2, contract.drug, true)))
        else {
            continue;
        };
        x.documented = documented(contract, key);
        let terms = CohortTerms { years: budget.years as u64, ..terms.clone() };
        let at = Placement { population: 0, entry: arrival };
        contracts::cohort::survey(&terms, &x, at, &mut sums.budget_calendar[arm]);
    }
}

/// A record whose payer's view ends at `cut`.
fn cut_at(rec: &PatientRecord, cut: f64) -> PatientRecord {
    PatientRecord { coverage_end: rec.coverage_end.min(cut), ..*rec }
}

/// The list arm's spend dated before `cut`, by category, undiscounted.
fn spend_until(
    zero: &Prepared,
    (rec, second): (&PatientRecord, Option<&PatientRecord>),
    course: &Course,
    cut: f64,
    out: &mut [f64],
) {
    out.fill(0.0);
    let first = cut_at(rec, cut);
    let mut ledger = Ledger::new(out);
    let value = value_course(zero, rec.regimen, course, first.coverage_end);
    post_course(zero, &value, &mut ledger);
    post_treatment(zero, &first, &mut ledger);
    if let Some(r2) = second {
        post_treatment(zero, &cut_at(r2, cut), &mut ledger);
    }
}

/// A contract arm's difference from its list arm dated before `cut`, by category: the
/// contracted drug's payments, refunds (cohort-level refunds are settled on the budget's
/// annual totals instead) and administration.
fn contract_until(
    zero: &Prepared,
    ci: usize,
    (rec, second): (&PatientRecord, Option<&PatientRecord>),
    cut: f64,
    key: PatientKey,
    out: &mut [f64],
) {
    out.fill(0.0);
    let contract = &zero.contracts[ci];
    let (first, later) = (cut_at(rec, cut), second.map(|r2| cut_at(r2, cut)));
    let Some(mut x) = exposure(zero, &first, contract.drug, true)
        .or_else(|| later.as_ref().and_then(|r2| exposure(zero, r2, contract.drug, true)))
    else {
        return;
    };
    x.documented = documented(contract, key);
    x.refund_horizon = x.refund_horizon.min(cut);
    let assessment = zero.regimens[x.rec.regimen].assessment;
    let list_pv = x.drug.price * x.stream(0, x.n).0;
    let cash = contracts::cash(contract, &x, assessment, &[]);
    let cat = zero.categories();
    out[cat.drug(contract.drug)] += cash.paid - list_pv;
    out[cat.rebate(ci)] -= cash.refunded;
    out[cat.contract_admin()] += cash.admin;
}
