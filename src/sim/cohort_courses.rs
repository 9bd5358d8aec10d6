//! Cohort-level contracts (expenditure cap, price-volume, population outcome) on a patient
//! with several courses of the drug: a first or second line and courses given in pathway
//! states (docs, Model → Courses in pathway states).
//!
//! A cohort rule reads calendar years: the spend on the drug, the patients treated and the
//! treatment starts. A patient's courses are merged year by year before they are counted, so
//! a patient is treated once in a year whatever number of courses pay a cycle in it; each
//! course is a start (a crossover is a new treatment with the drug). Each course's payments
//! carry their share of each year's refund, as a single course's do. Contracts that cover no
//! state's regimen settle one course per patient through the engine's own path, unchanged.

use super::deferred::{Deferred, Open};
use super::exposure::exposure_from;
use super::exposure::{StartFactors, Walked, covered_exposure, documented_at, pathway_courses};
use super::pathway::Stay;
use super::prepared::Prepared;
use crate::accounting::record::PatientRecord;
use crate::contracts::cohort::{self, CalendarSums, CohortTerms, Placement};
use crate::contracts::{self, Cash, Exposure};
use crate::rng::PatientKey;

/// Each course of contract `c`'s drug a patient is given, in time order: the first covered of
/// its first and second lines, then its courses in pathway states
/// ([`super::exposure::pathway_courses`]), each documented on its own draw. `each` gets the
/// exposure and the scan interval of its regimen.
pub fn for_each_course(
    prep: &Prepared,
    (c, pk): (usize, PatientKey),
    lines: (&PatientRecord, Option<&PatientRecord>),
    walked: Walked<'_>,
    (stays, starts): (&mut Vec<Stay>, &mut StartFactors),
    mut each: impl FnMut(&mut Exposure<'_>, Option<f64>),
) {
    let contract = &prep.contracts[c];
    if let Some(mut x) = covered_exposure(prep, c, lines, starts) {
        x.documented = documented_at(contract, pk, 0);
        let assessment = prep.regimens[x.rec.regimen].assessment;
        each(&mut x, assessment);
    }
    let Walked { regimen, course, coverage_end } = walked;
    pathway_courses(prep, c, (regimen, course), coverage_end, stays, |rec, visit| {
        let documented = documented_at(contract, pk, 1 + visit);
        if let Some(mut x) = exposure_from(prep, rec, contract.drug, documented, starts) {
            each(&mut x, prep.regimens[rec.regimen].assessment);
        }
    });
}

/// Survey a patient's courses under a cohort contract over the first `years` calendar years
/// from its placement `at` (the term, or the budget's horizon): every course's start, then
/// the patient's merged paid years. `merged` is working space.
pub fn survey(
    prep: &Prepared,
    (c, pk, terms, years): (usize, PatientKey, &CohortTerms<f64>, u64),
    (lines, walked): ((&PatientRecord, Option<&PatientRecord>), Walked<'_>),
    at: Placement,
    (stays, merged): (&mut Vec<Stay>, &mut Vec<(u32, u64)>),
    calendar: &mut CalendarSums,
) {
    merged.clear();
    let mut starts = StartFactors::new();
    for_each_course(prep, (c, pk), lines, walked, (stays, &mut starts), |x, _| {
        cohort::add_paid_years(years, at.entry, x, merged);
        cohort::count_start(terms, years, x, at, calendar);
    });
    cohort::count_years(at, merged, calendar);
}

/// What the one-pass settlement of a patient's courses leaves open: the sums of their list
/// payments, the administration (per patient once, with the first course; per assessment on
/// every course) and the end of tracking.
struct Summed {
    paid: (f64, f64),
    list_pv: f64,
    admin: f64,
    tracked_until: f64,
    price: f64,
}

/// Settle cohort contract `c` (arm `arm`) on a patient's courses placed at `at`: with
/// `calendar`, in one pass (survey the courses into it and leave the settlement open in
/// `deferred`, waiting for the population's refund fractions); without, with the arm's
/// finished refund fractions `fractions`. Returns the patient's cash and list present value,
/// none if the patient has no course of the drug (when left open: a placeholder cash).
#[allow(clippy::too_many_arguments)]
pub fn settle(
    prep: &Prepared,
    (arm, c, pk): (usize, usize, PatientKey),
    (lines, walked): ((&PatientRecord, Option<&PatientRecord>), Walked<'_>),
    at: Placement,
    fractions: &[f64],
    calendar: Option<&mut CalendarSums>,
    (deferred, merged): (&mut Deferred, &mut Vec<(u32, u64)>),
    (stays, starts): (&mut Vec<Stay>, &mut StartFactors),
) -> Settled {
    let contract = &prep.contracts[c];
    let crate::contracts::Kind::Cohort(terms) = &contract.kind else {
        return Settled::Untreated;
    };
    let Some(calendar) = calendar else {
        let mut total: Option<(Cash, f64)> = None;
        for_each_course(prep, (c, pk), lines, walked, (stays, starts), |x, assessment| {
            x.placement = at;
            // A cohort refund is the payer's, owed on its own past spend (as for one course).
            x.refund_horizon = prep.horizon;
            let s = contracts::settle(&contract.kind, x, fractions);
            let admin = if total.is_none() {
                contracts::administration(contract, x, assessment, s.tracked_until)
            } else {
                contracts::assessments(contract, x, assessment, s.tracked_until)
            };
            let cash = contracts::in_money(contract, x.drug.price, admin, &s);
            let list_pv = x.drug.price * x.list().0;
            total = Some(match total {
                Some((sum, list)) => (sum.plus(cash), list + list_pv),
                None => (cash, list_pv),
            });
        });
        return total.map_or(Settled::Untreated, |(cash, list_pv)| Settled::Now(cash, list_pv));
    };
    merged.clear();
    let from = deferred.shares.len() as u32;
    let mut summed: Option<Summed> = None;
    let shares = &mut deferred.shares;
    for_each_course(prep, (c, pk), lines, walked, (stays, starts), |x, assessment| {
        x.placement = at;
        x.refund_horizon = prep.horizon;
        cohort::add_paid_years(terms.years, at.entry, x, merged);
        cohort::push_shares(terms, x, at, shares);
        cohort::count_start(terms, terms.years, x, at, calendar);
        let (list, tracked_until) = (x.list(), cohort::tracked_until(terms, x));
        match &mut summed {
            Some(s) => {
                s.paid = (s.paid.0 + list.0, s.paid.1 + list.1);
                s.list_pv += x.drug.price * list.0;
                s.admin += contracts::assessments(contract, x, assessment, tracked_until);
                s.tracked_until = s.tracked_until.max(tracked_until);
            }
            None => {
                summed = Some(Summed {
                    paid: list,
                    list_pv: x.drug.price * list.0,
                    admin: contracts::administration(contract, x, assessment, tracked_until),
                    tracked_until,
                    price: x.drug.price,
                })
            }
        }
    });
    cohort::count_years(at, merged, calendar);
    let Some(s) = summed else { return Settled::Untreated };
    let treated = Open::Treated {
        row: (at.population * terms.years as usize) as u32,
        paid: s.paid,
        list_pv: s.list_pv,
        admin: s.admin,
        tracked_until: s.tracked_until,
        price: s.price,
        shares: (from, deferred.shares.len() as u32),
    };
    Settled::Open(deferred.open(arm, c, treated))
}

/// A patient's settlement of a cohort contract on its courses.
pub enum Settled {
    /// No course of the drug.
    Untreated,
    /// Settled: the patient's cash and its list present value.
    Now(Cash, f64),
    /// Left open in the chunk's deferred settlements, at this place.
    Open(usize),
}
