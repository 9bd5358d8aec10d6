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
    StartFactors, Walked, covered_exposure, covers, documented, pathway_cash, pathway_courses,
};
use super::pathway::Stay;
use super::prepared::{Prepared, PreparedBudget};
use crate::accounting::record::{Course, PatientRecord};
use crate::contracts::cohort::Placement;
use crate::contracts::{self};
use crate::contracts::{Exposure, Kind};
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
    scratch.touched.clear();
    for &(arm, ci) in arms.contracts {
        let gives = covers(zero, ci, (rec, second))
            || zero.contracts[ci].in_pathways && {
                let mut any = false;
                let walked = (valued_as, course);
                let stays = &mut scratch.stays;
                pathway_courses(zero, ci, walked, rec.coverage_end, stays, |_, _| any = true);
                any
            };
        if gives {
            scratch.touched.push((arm, ci));
        }
    }
    // Nothing is spent on the list arm after death or the end of coverage: its later years add
    // nothing. A contract may still pay or refund then (e.g. an undocumented failure's
    // instalments), so a contract arm's years run to the end of the budget.
    let list_quiet = rec.death.min(rec.coverage_end);
    let quiet_after = if scratch.touched.is_empty() { list_quiet } else { f64::INFINITY };
    // Cumulative spend at the last cut: the list arm's by category, then each touched contract
    // arm's difference from it in the three categories a contract moves.
    let width = cats + CONTRACT_CELLS * scratch.touched.len();
    scratch.previous.clear();
    scratch.previous.resize(width, 0.0);
    scratch.current.resize(width, 0.0);
    // The records with the payer's view ending at each cut: copied once, their coverage cut
    // in place.
    // (Copied one by one: copied as a pair, the second's room was copied for every patient.)
    let mut first = *rec;
    let mut later = second.copied();
    let categories = zero.categories();
    // From a cut after the treatment's last date on, its postings are the previous cut's
    // (without pathways, whose therapy posts to the drugs' categories along the walk).
    let treated_until = if zero.pathways.is_empty() {
        last_treatment_date(rec).max(second.map_or(0.0, last_treatment_date))
    } else {
        f64::INFINITY
    };
    for m in 0..budget.years {
        let cut = (m + 1) as f64 - arrival;
        if cut - 1.0 > quiet_after {
            break;
        }
        first.coverage_end = rec.coverage_end.min(cut);
        if let (Some(l), Some(r2)) = (later.as_mut(), second) {
            l.coverage_end = r2.coverage_end.min(cut);
        }
        let lines = (&first, later.as_ref());
        let (list, contract_cells) = scratch.current.split_at_mut(cats);
        // Contracts on the same drug and regimens share the records' exposure at this cut.
        let mut shared = Shared::default();
        if cut - 1.0 <= list_quiet {
            // (The previous cut is cut − 1; at m = 0 there is none.)
            let treatment =
                (m > 0 && cut - 1.0 > treated_until).then_some(&scratch.previous[..cats]);
            spend_until(zero, lines, (course, valued_as), treatment, list);
            let base = (arms.list * budget.years + m) * cats;
            let year = &mut sums.budget[base..base + cats];
            let before = &mut scratch.previous[..cats];
            for ((y, n), b) in year.iter_mut().zip(&*list).zip(before.iter_mut()) {
                *y += n - *b;
                *b = *n;
            }
        }
        for (k, &(arm, ci)) in scratch.touched.iter().enumerate() {
            let cells = k * CONTRACT_CELLS..(k + 1) * CONTRACT_CELLS;
            let out = &mut contract_cells[cells.clone()];
            let walked = Walked { regimen: valued_as, course, coverage_end: first.coverage_end };
            let work = (&mut scratch.stays, &mut shared);
            contract_until(zero, ci, (lines, walked), (cut, key), work, out);
            let base = (arm * budget.years + m) * cats;
            let at = contract_categories(categories, zero.contracts[ci].drug, ci);
            let before = &mut scratch.previous[cats..][cells];
            for ((&c, n), b) in at.iter().zip(&*out).zip(before.iter_mut()) {
                sums.budget[base + c] += n - *b;
                *b = *n;
            }
        }
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
    let cells = &mut sums.budget_events[list * years * events..(list + 1) * years * events];
    // Alive at the end of each year before the death's.
    let died = year_of(course.death, arrival, years);
    for counts in cells.chunks_exact_mut(events).take(died) {
        counts[0] += 1;
    }
    // (A course's progression is infinite when death comes first.)
    let progressed = year_of(course.progression, arrival, years);
    for (event, m) in [(1, progressed), (2, died)] {
        if m < years {
            cells[m * events + event] += 1;
        }
    }
}

/// The calendar year after entry (from 0) holding patient time `t` ≥ 0, `years` if none
/// before it: the m with m − a ≤ t < m + 1 − a (year 0 from time 0), by the same floating-point
/// bounds as a test of every year would use, so the years partition time exactly as they did.
fn year_of(t: f64, arrival: f64, years: usize) -> usize {
    let end = |m: usize| (m + 1) as f64 - arrival;
    // A guess (the cast saturates; infinity gives `years`), then put right at the bounds.
    let mut m = ((t + arrival) as usize).min(years);
    while m > 0 && t < end(m - 1) {
        m -= 1;
    }
    while m < years && t >= end(m) {
        m += 1;
    }
    m
}

/// The list arm's spend dated before the cut, by category, undiscounted, from the records
/// cut there; the course valued as on regimen `valued_as` (the waiting regimen's, for a
/// patient who progressed or died waiting, as in the cost-effectiveness analysis).
/// `treatment`: the spend at a previous cut whose treatment postings (tests, bridging, drugs,
/// monitoring, adverse events) are this cut's too (both cuts after the treatment's last date,
/// without pathways): its categories of the treatment are taken from it, the course's posted
/// afresh, the same sums as posting everything again.
pub(crate) fn spend_until(
    zero: &Prepared,
    (first, second): (&PatientRecord, Option<&PatientRecord>),
    (course, valued_as): (&Course, usize),
    treatment: Option<&[f64]>,
    out: &mut [f64],
) {
    let cat = zero.categories();
    let course_cells =
        [cat.progression_free(), cat.progressed(), cat.post_progression(), cat.terminal_care()];
    match treatment {
        Some(before) => {
            // The course's categories are not the treatment's (categories.rs): they start again
            // from zero, as after `fill`.
            out.copy_from_slice(before);
            for c in course_cells {
                out[c] = 0.0;
            }
        }
        None => out.fill(0.0),
    }
    let mut ledger = Ledger::new(out);
    // The budget counts money only: no utility weight.
    let value = value_course(zero, valued_as, course, (first.coverage_end, None));
    post_course(zero, &value, &mut ledger);
    if treatment.is_some() {
        return;
    }
    post_pathway_therapy(zero, valued_as, course, first.coverage_end, &mut ledger);
    post_treatment(zero, first, &mut ledger);
    if let Some(r2) = second {
        post_treatment(zero, r2, &mut ledger);
    }
}

/// The last date of a record's treatment postings: its treatment start (bridging stops there,
/// adverse events are dated there), the end of its treatment (drug cycles and monitoring tests
/// stop there) and its tests. With the payer's view cut at any c after it, every comparison of
/// a posting's date with the cut comes out as with no cut at all.
pub(crate) fn last_treatment_date(rec: &PatientRecord) -> f64 {
    let tests = rec.test_starts[..rec.n_tests].iter().copied();
    tests.fold(rec.start.max(rec.treatment_end), f64::max)
}

/// The records' exposure at one cut, kept for the next contract with the same one
/// ([`crate::contracts::PreparedContract::exposure`]: the same drug and regimens), and the
/// start's discount factors.
#[derive(Default)]
struct Shared<'a> {
    exposure: Option<(usize, Option<Exposure<'a>>)>,
    starts: StartFactors,
}

/// A contract arm's difference from its list arm dated before `cut`, by category: the
/// contracted drug's payments, refunds (cohort-level refunds are settled on the budget's
/// annual totals instead) and administration, on the line course and the courses in pathway
/// states (`walked`, its view ending at the cut).
fn contract_until<'a>(
    zero: &'a Prepared,
    ci: usize,
    ((first, later), walked): ((&'a PatientRecord, Option<&'a PatientRecord>), Walked<'_>),
    (cut, key): (f64, PatientKey),
    (stays, shared): (&mut Vec<Stay>, &mut Shared<'a>),
    out: &mut [f64],
) {
    out.fill(0.0);
    let contract = &zero.contracts[ci];
    let starts = &mut shared.starts;
    let exposure = match &shared.exposure {
        Some((same, x)) if *same == contract.exposure => x.clone(),
        _ => {
            let x = covered_exposure(zero, ci, (first, later), starts);
            shared.exposure = Some((contract.exposure, x.clone()));
            x
        }
    };
    let mut total = None;
    if let Some(mut x) = exposure {
        x.documented = documented(contract, key);
        // The records' coverage ends at the cut; a portable refund's horizon must end there too.
        x.refund_horizon = x.refund_horizon.min(cut);
        let assessment = zero.regimens[x.rec.regimen].assessment;
        let list_pv = x.drug.price * x.list().0;
        total = Some((contracts::cash(contract, &x, assessment, &[]), list_pv));
    }
    if contract.in_pathways {
        pathway_cash(zero, (ci, key), walked, cut, (stays, starts), &mut total);
    }
    let Some((cash, list_pv)) = total else { return };
    out[0] = cash.paid - list_pv;
    out[1] = -cash.refunded;
    out[2] = cash.admin;
}

/// A contract arm's cells in [`contract_until`]'s order: the contracted drug, the contract's
/// rebate and contract administration (the only categories where a contract arm differs from
/// its list arm).
const CONTRACT_CELLS: usize = 3;

fn contract_categories(
    cat: crate::model::CategoryIndex,
    drug: usize,
    ci: usize,
) -> [usize; CONTRACT_CELLS] {
    [cat.drug(drug), cat.rebate(ci), cat.contract_admin()]
}

#[cfg(test)]
mod tests {
    use super::year_of;

    /// The year a time falls in, as a test of every year finds it (the definition).
    fn by_every_year(t: f64, arrival: f64, years: usize) -> usize {
        (0..years)
            .find(|&m| {
                let (from, to) = (m as f64 - arrival, (m + 1) as f64 - arrival);
                t >= from.max(0.0) && t < to
            })
            .unwrap_or(years)
    }

    #[test]
    fn a_time_falls_in_the_year_a_test_of_every_year_finds() {
        let arrivals =
            [0.0, 1e-17, 0.1, 0.3, 0.5, 0.7, 0.999_999_999_999, 1.0 - f64::EPSILON / 2.0];
        for years in [1, 5, 20] {
            for &a in &arrivals {
                let mut times = vec![0.0, f64::INFINITY, f64::MAX, 1e-300];
                // Every year's bounds and their neighbours, where rounding could misplace one.
                for m in 0..=years + 1 {
                    let end = (m + 1) as f64 - a;
                    times.extend([end, end.next_down(), end.next_up(), m as f64, m as f64 + a]);
                }
                times.extend((0..500).map(|k| k as f64 * 0.0137));
                for t in times.into_iter().filter(|t| *t >= 0.0) {
                    assert_eq!(year_of(t, a, years), by_every_year(t, a, years), "{t} {a} {years}");
                }
            }
        }
    }
}
