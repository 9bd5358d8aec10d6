//! The per-patient ledger: discounted costs by category, QALYs and life-years of one
//! [`PatientRecord`], all by closed forms (no per-cycle loop).

use super::prepared::Prepared;
use crate::accounting::discount::Discount;
use crate::accounting::discount::{CYCLE_TOLERANCE, cycles_before};
use crate::accounting::record::{Course, Outcomes, PatientRecord};
use crate::model::CategoryIndex;

/// Where a patient's discounted costs are posted: running sums by category (shared by every
/// patient of an arm, so nothing per patient is stored) and the patient's own total.
pub struct Ledger<'a> {
    /// Σ cost by category, added to.
    pub categories: &'a mut [f64],
    /// This patient's total cost.
    pub total: f64,
}

impl<'a> Ledger<'a> {
    pub fn new(categories: &'a mut [f64]) -> Self {
        Ledger { categories, total: 0.0 }
    }

    #[inline]
    pub fn post(&mut self, category: usize, amount: f64) {
        self.categories[category] += amount;
        self.total += amount;
    }
}

/// The value of a course (progression-free and progressed time, terminal care): it depends on
/// the regimen and the event times only, not on when treatment started, so strategies that give
/// a patient the same regimen share it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CourseValue {
    pub progression_free: f64,
    pub progressed: f64,
    pub post_progression: f64,
    pub terminal_care: f64,
    /// QALYs of the states (before adverse-event losses), LYs, undiscounted LYs.
    pub outcomes: Outcomes,
}

/// Value the states of a course on `regimen`: flows on [0, min(P, D)) and [P, D), terminal
/// care at D, all cut at the horizon. `weight`: the patient's age-adjusted utility multiplier,
/// if the scenario has utility norms.
#[inline]
pub fn value_course(
    prep: &Prepared,
    regimen: usize,
    course: &Course,
    (coverage_end, weight): (f64, Option<crate::model::UtilityAdjustment<'_>>),
) -> CourseValue {
    let h = coverage_end;
    let (dc, dq) = (&prep.costs, &prep.outcomes);
    let death = course.death.min(h);
    let pf_end = course.progression.min(death);
    // Each discount factor is computed once and shared by every flow that uses it; when the
    // two rates are equal the outcome factors are the cost factors.
    let factors = |d: &Discount| {
        let at_pf_end = d.factor(pf_end);
        let at_death = if death == pf_end { at_pf_end } else { d.factor(death) };
        (at_pf_end, at_death)
    };
    let (c_pf, c_death) = factors(dc);
    let (q_pf, q_death) = if dq == dc { (c_pf, c_death) } else { factors(dq) };
    let pf_ly = dq.between(1.0, q_pf, 0.0, pf_end);
    // QALYs of a utility over [a, b) of discounted time ly, adjusted by the norms if any;
    // and of a utility difference.
    let qalys = |u: f64, ly: f64, a: f64, b: f64| match weight {
        None => u * ly,
        Some(w) => w.qalys(u, ly, dq, (a, b)),
    };
    let difference = |du: f64, ly: f64, a: f64, b: f64| match weight {
        None => du * ly,
        Some(w) => w.difference(du, ly, dq, (a, b)),
    };
    let mut v = CourseValue {
        progression_free: prep.pf_cost * dc.between(1.0, c_pf, 0.0, pf_end),
        outcomes: Outcomes {
            qaly: qalys(prep.regimens[regimen].pf_utility_first, pf_ly, 0.0, pf_end),
            ly: pf_ly,
            ly_undiscounted: death,
        },
        ..CourseValue::default()
    };
    if pf_end < death
        && !prep.pathways.is_empty()
        && let Some(p) = super::pathway::pathway_of(prep, regimen)
    {
        // The walk through the pathway after progression, replayed stay by stay.
        let w = super::pathway::value(prep, p, course.walker, pf_end, (h, weight));
        v.progressed = w.states;
        v.outcomes.ly += w.ly;
        v.outcomes.qaly += w.qaly;
    } else if pf_end < death {
        let pd_cost_pv = dc.between(c_pf, c_death, pf_end, death);
        let pd_ly = dq.between(q_pf, q_death, pf_end, death);
        v.progressed = prep.pd_cost * pd_cost_pv;
        // Subsequent-therapy cost: the regimen's from progression to death, or with a second
        // line the second-line regimen's from its own progression.
        v.post_progression = match course.second {
            None => prep.regimens[regimen].post_progression_cost * pd_cost_pv,
            // The second line starts after the first progression, so p2 > pf_end.
            Some(second) if second.progression < death => {
                let p2 = second.progression;
                prep.regimens[second.regimen].post_progression_cost
                    * dc.between(dc.factor(p2), c_death, p2, death)
            }
            Some(_) => 0.0,
        };
        v.outcomes.ly += pd_ly;
        v.outcomes.qaly += qalys(prep.pd_utility, pd_ly, pf_end, death);
        // Progression-free time on a second line, [start, min(its progression, D)), at the
        // second-line regimen's utility instead of the progressed state's.
        if let Some(second) = course.second {
            let u2 = prep.regimens[second.regimen].pf_utility_second;
            let end = second.progression.min(death);
            if u2 != prep.pd_utility && second.start < end {
                let on_second =
                    dq.between(dq.factor(second.start), dq.factor(end), second.start, end);
                let du = u2 - prep.pd_utility;
                v.outcomes.qaly += difference(du, on_second, second.start, end);
            }
        }
    }
    if course.death < h {
        v.terminal_care = prep.death_cost * c_death;
    }
    if !prep.state_cost_ratio.is_empty() {
        // The patient's covariate levels scale every state's costs (not terminal care).
        let m = prep.state_cost_ratio(course.walker.levels);
        v.progression_free *= m;
        v.progressed *= m;
    }
    v
}

/// Post a course's value to the ledger.
#[inline]
pub fn post_course(prep: &Prepared, value: &CourseValue, ledger: &mut Ledger<'_>) {
    let cat = prep.categories();
    ledger.post(cat.progression_free(), value.progression_free);
    ledger.post(cat.progressed(), value.progressed);
    ledger.post(cat.post_progression(), value.post_progression);
    ledger.post(cat.terminal_care(), value.terminal_care);
}

/// Post the drugs given in the states of a course's pathway after progression (lines of
/// therapy, crossover) to their drug and administration categories, so that spend on a drug
/// rises with its price wherever it is given. Nothing for a course without a pathway.
#[inline(always)]
pub fn post_pathway_therapy(
    prep: &Prepared,
    regimen: usize,
    course: &Course,
    coverage_end: f64,
    ledger: &mut Ledger<'_>,
) {
    // Most scenarios have no pathway: one predictable branch, no call.
    if !prep.pathways.is_empty() {
        post_therapy_of_walk(prep, regimen, course, coverage_end, ledger);
    }
}

#[inline(never)]
fn post_therapy_of_walk(
    prep: &Prepared,
    regimen: usize,
    course: &Course,
    coverage_end: f64,
    ledger: &mut Ledger<'_>,
) {
    pathway_therapy(prep, regimen, course, coverage_end, |category, amount| {
        ledger.post(category, amount)
    });
}

/// The postings of [`post_pathway_therapy`], in order, as (cost category, amount): the engine
/// keeps them for strategies that share the course.
pub fn pathway_therapy(
    prep: &Prepared,
    regimen: usize,
    course: &Course,
    coverage_end: f64,
    post: impl FnMut(usize, f64),
) {
    let Some(p) = super::pathway::pathway_of(prep, regimen) else { return };
    let end = coverage_end.min(course.death);
    if course.progression >= end {
        return;
    }
    super::pathway::therapy(prep, p, course.walker, (course.progression, end), post);
}

/// Post testing, drug, administration and adverse-event costs of a record (everything that
/// depends on the pathway and treatment start); returns the adverse events' QALY loss.
#[inline]
pub fn post_treatment(prep: &Prepared, rec: &PatientRecord, ledger: &mut Ledger<'_>) -> f64 {
    post_treatment_with(prep, rec, ledger, |t0| prep.costs.factor(t0))
}

/// [`post_treatment`] with d(t0) at the cost rate from `start_factor(t0)`: the engine shares
/// it with the patient's contracts instead of computing the same `exp` twice.
#[inline]
pub fn post_treatment_with(
    prep: &Prepared,
    rec: &PatientRecord,
    ledger: &mut Ledger<'_>,
    start_factor: impl FnOnce(f64) -> f64,
) -> f64 {
    let cat = prep.categories();

    let (dc, dq) = (&prep.costs, &prep.outcomes);
    let reg = &prep.regimens[rec.regimen];
    let h = rec.coverage_end;

    for (&test, &t) in rec.tests[..rec.n_tests].iter().zip(&rec.test_starts) {
        if t < h {
            ledger.post(CategoryIndex::TESTING, prep.tests[test as usize].cost * dc.factor(t));
        }
    }

    let t0 = rec.start;
    if let Some(b) = rec.bridging {
        // Bridging drugs while waiting: cycles from diagnosis until results, progression or
        // death (no adverse events, no effect on the course).
        let end = t0.min(rec.progression).min(rec.death).min(h);
        for drug in &prep.regimens[b].drugs {
            let n = cycles_before(0.0, end, drug.schedule, drug.max_cycles, drug.max_duration);
            if n > 0 {
                let pv = drug.cycle_sums.get(n);
                ledger.post(cat.drug(drug.drug), drug.price * pv);
                ledger.post(cat.administration(), drug.administration * pv);
            }
        }
    }
    let mut qaly_loss = 0.0;
    if rec.treated && t0 < h {
        let c0 = if t0 == 0.0 { 1.0 } else { start_factor(t0) };
        let end = rec.treatment_end.min(h);
        for drug in &reg.drugs {
            let n = cycles_before(t0, end, drug.schedule, drug.max_cycles, drug.max_duration);
            if n > 0 {
                let pv = c0 * drug.cycle_sums.get(n);
                ledger.post(cat.drug(drug.drug), drug.price * pv);
                ledger.post(cat.administration(), drug.administration * pv);
            }
        }
        if let Some(m) = &reg.monitoring {
            // ctDNA tests at t0 + k·every, k ≥ 1, up to and including the end of treatment
            // (the test that detects a molecular progression is paid).
            let n = ((end - t0) / m.every + CYCLE_TOLERANCE).floor().max(0.0) as u64;
            if n > 0 {
                let first = dc.factor(t0 + m.every);
                ledger.post(CategoryIndex::TESTING, m.cost * first * m.test_sums.get(n));
            }
        }
        if rec.adverse_events != 0 {
            let q0 = if dq == dc { c0 } else { dq.factor(t0) };
            for (k, ae) in reg.adverse_events.iter().enumerate() {
                if rec.adverse_events & (1 << k) != 0 {
                    ledger.post(cat.adverse_events(), ae.cost * c0);
                    qaly_loss += ae.qaly_loss * q0;
                }
            }
        }
    }
    qaly_loss
}

/// Post the patient's discounted costs to `ledger` and return the outcomes.
#[inline]
pub fn account(prep: &Prepared, rec: &PatientRecord, ledger: &mut Ledger<'_>) -> Outcomes {
    let course = rec.course();
    let weight = prep.background.as_ref().and_then(|b| b.utility_weight(b.person(rec.walker.key)));
    let value = value_course(prep, rec.course_regimen, &course, (rec.coverage_end, weight));
    post_course(prep, &value, ledger);
    post_pathway_therapy(prep, rec.course_regimen, &course, rec.coverage_end, ledger);
    let loss = post_treatment(prep, rec, ledger);
    Outcomes { qaly: value.outcomes.qaly - loss, ..value.outcomes }
}
