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
use super::exposure::{
    StartFactors, Walked, covered_exposure, documented, pathway_cash, pathway_courses,
};
use super::pathway::Stay;
use super::prepared::{Prepared, PreparedBudget};
use crate::accounting::record::{Course, PatientRecord};
use crate::contracts::Kind;
use crate::contracts::cohort::Placement;
use crate::contracts::{self};
use crate::rng::PatientKey;
use crate::sim::ledger::{Ledger, post_course, post_pathway_therapy, post_treatment, value_course};

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
    /// The contract arms whose drug the patient is given.
    touched: Vec<(usize, usize)>,
    /// The stays of the patient's walk after progression (courses in pathway states).
    stays: Vec<Stay>,
    /// A patient's paid calendar years merged over its courses (cohort contracts covering
    /// pathway states).
    merged: Vec<(u32, u64)>,
}

/// Add a patient's yearly spend on one strategy to the budget sums.
#[allow(clippy::too_many_arguments)]
pub fn account(
    budget: &PreparedBudget,
    arms: Arms<'_>,
    key: PatientKey,
    arrival: f64,
    (rec, second): (&PatientRecord, Option<&PatientRecord>),
    (course, valued_as): (&Course, usize),
    scratch: &mut Scratch,
    sums: &mut SampleSums,
) {
    let zero: &Prepared = &budget.undiscounted;
    let cats = zero.categories().len();
    count_events(budget.years, arms.list, arrival, course, sums);
    // A contract arm differs from the list arm only for a patient given its drug (the budget
    // view has no per-entrant administration).
    let stays = &mut scratch.stays;
    let mut gives = |ci: usize| {
        covered_exposure(zero, ci, (rec, second), &mut StartFactors::new()).is_some()
            || zero.contracts[ci].in_pathways && {
                let mut any = false;
                let walked = (valued_as, course);
                pathway_courses(zero, ci, walked, rec.coverage_end, stays, |_, _| any = true);
                any
            }
    };
    let touched: Vec<(usize, usize)> =
        arms.contracts.iter().copied().filter(|&(_, ci)| gives(ci)).collect();
    scratch.touched.clear();
    scratch.touched.extend(touched);
    // Without a contract, nothing is spent after death or the end of coverage: later years
    // add nothing (a contract may still pay or refund then, e.g. an undocumented failure's
    // instalments).
    let quiet_after =
        if scratch.touched.is_empty() { rec.death.min(rec.coverage_end) } else { f64::INFINITY };
    let width = (1 + scratch.touched.len()) * cats;
    scratch.previous.clear();
    scratch.previous.resize(width, 0.0);
    scratch.current.resize(width, 0.0);
    for m in 0..budget.years {
        let cut = (m + 1) as f64 - arrival;
        if cut - 1.0 > quiet_after {
            break;
        }
        let (first, later) = (cut_at(rec, cut), second.map(|r2| cut_at(r2, cut)));
        let (list, contract_cells) = scratch.current.split_at_mut(cats);
        spend_until(zero, (&first, later.as_ref()), (course, valued_as), list);
        for (k, &(_, ci)) in scratch.touched.iter().enumerate() {
            let out = &mut contract_cells[k * cats..(k + 1) * cats];
            let walked = Walked { regimen: valued_as, course, coverage_end: first.coverage_end };
            let lines = (&first, later.as_ref());
            contract_until(zero, ci, (lines, walked), (cut, key), &mut scratch.stays, out);
        }
        for k in 0..=scratch.touched.len() {
            let arm = if k == 0 { arms.list } else { scratch.touched[k - 1].0 };
            let base = (arm * budget.years + m) * cats;
            let year = &mut sums.budget[base..base + cats];
            let now = &scratch.current[k * cats..(k + 1) * cats];
            let before = &scratch.previous[k * cats..(k + 1) * cats];
            for ((y, n), b) in year.iter_mut().zip(now).zip(before) {
                *y += n - b;
            }
        }
        std::mem::swap(&mut scratch.previous, &mut scratch.current);
    }
    // Cohort-level contracts: the counts their annual rules need, per calendar year after
    // entry.
    for &(arm, ci) in arms.contracts {
        let contract = &zero.contracts[ci];
        let Kind::Cohort(terms) = &contract.kind else { continue };
        let at = Placement { population: 0, entry: arrival, ..Placement::default() };
        let calendar = &mut sums.budget_calendar[arm];
        if contract.in_pathways {
            let walked = Walked { regimen: valued_as, course, coverage_end: rec.coverage_end };
            let years = budget.years as u64;
            let work = (&mut scratch.stays, &mut scratch.merged);
            let lines = ((rec, second), walked);
            super::cohort_courses::survey(zero, (ci, key, terms, years), lines, at, work, calendar);
            continue;
        }
        let Some(mut x) = covered_exposure(zero, ci, (rec, second), &mut StartFactors::new())
        else {
            continue;
        };
        x.documented = documented(contract, key);
        contracts::cohort::survey_years(terms, budget.years as u64, &x, at, calendar);
    }
}

/// A patient's clinical events per calendar year after its entry (entering at `arrival` into
/// its year, calendar year m covers patient time [m − a, m + 1 − a)): alive at the year's end,
/// its first progression and its death in the year. Clinical: counted whatever the payer's
/// view (a member who left still lives and dies).
fn count_events(years: usize, list: usize, arrival: f64, course: &Course, sums: &mut SampleSums) {
    let events = super::accumulator::BUDGET_EVENTS.len();
    for m in 0..years {
        let (from, to) = (m as f64 - arrival, (m + 1) as f64 - arrival);
        let within = |t: f64| t >= from.max(0.0) && t < to;
        let cell = (list * years + m) * events;
        let counts = &mut sums.budget_events[cell..cell + events];
        // (A course's progression is infinite when death comes first.)
        counts[0] += u64::from(course.death >= to);
        counts[1] += u64::from(within(course.progression));
        counts[2] += u64::from(within(course.death));
    }
}

/// A record whose payer's view ends at `cut`.
fn cut_at(rec: &PatientRecord, cut: f64) -> PatientRecord {
    PatientRecord { coverage_end: rec.coverage_end.min(cut), ..*rec }
}

/// The list arm's spend dated before the cut, by category, undiscounted, from the records
/// cut there; the course valued as on regimen `valued_as` (the waiting regimen's, for a
/// patient who progressed or died waiting, as in the cost-effectiveness analysis).
fn spend_until(
    zero: &Prepared,
    (first, second): (&PatientRecord, Option<&PatientRecord>),
    (course, valued_as): (&Course, usize),
    out: &mut [f64],
) {
    out.fill(0.0);
    let mut ledger = Ledger::new(out);
    // The budget counts money only: no utility weight.
    let value = value_course(zero, valued_as, course, (first.coverage_end, None));
    post_course(zero, &value, &mut ledger);
    post_pathway_therapy(zero, valued_as, course, first.coverage_end, &mut ledger);
    post_treatment(zero, first, &mut ledger);
    if let Some(r2) = second {
        post_treatment(zero, r2, &mut ledger);
    }
}

/// A contract arm's difference from its list arm dated before `cut`, by category: the
/// contracted drug's payments, refunds (cohort-level refunds are settled on the budget's
/// annual totals instead) and administration, on the line course and the courses in pathway
/// states (`walked`, its view ending at the cut).
fn contract_until(
    zero: &Prepared,
    ci: usize,
    ((first, later), walked): ((&PatientRecord, Option<&PatientRecord>), Walked<'_>),
    (cut, key): (f64, PatientKey),
    stays: &mut Vec<Stay>,
    out: &mut [f64],
) {
    out.fill(0.0);
    let contract = &zero.contracts[ci];
    let mut starts = StartFactors::new();
    let mut total = None;
    if let Some(mut x) = covered_exposure(zero, ci, (first, later), &mut starts) {
        x.documented = documented(contract, key);
        // The records' coverage ends at the cut; a portable refund's horizon must end there too.
        x.refund_horizon = x.refund_horizon.min(cut);
        let assessment = zero.regimens[x.rec.regimen].assessment;
        let list_pv = x.drug.price * x.list().0;
        total = Some((contracts::cash(contract, &x, assessment, &[]), list_pv));
    }
    if contract.in_pathways {
        pathway_cash(zero, (ci, key), walked, cut, (stays, &mut starts), &mut total);
    }
    let Some((cash, list_pv)) = total else { return };
    let cat = zero.categories();
    out[cat.drug(contract.drug)] += cash.paid - list_pv;
    out[cat.rebate(ci)] -= cash.refunded;
    out[cat.contract_admin()] += cash.admin;
}
