//! A treated patient's exposure to a contracted drug: its list payments and what a contract
//! sees of the patient, built from a record and the prepared model. The engine and the budget
//! view both settle contracts through it.

use super::pathway::{PreparedPathway, Stay, pathway_of, walk};
use super::prepared::Prepared;
use crate::accounting::discount::cycles_before;
use crate::accounting::record::{Course, MAX_TESTS_RUN, PatientRecord};
use crate::contracts::cohort::Placement;
use crate::contracts::{self, Cash, Exposure, PreparedContract};
use crate::rng::PatientKey;

/// d(t0) at the payer's and the manufacturer's rates for the last treatment start asked for:
/// a patient's contracts on several drugs (and the comparator's contracted units) share one
/// `exp` instead of one per drug. Valid for one [`Prepared`] only.
pub struct StartFactors {
    t0: f64,
    factors: (f64, f64),
}

impl Default for StartFactors {
    fn default() -> Self {
        Self::new()
    }
}

impl StartFactors {
    pub fn new() -> Self {
        StartFactors { t0: 0.0, factors: (1.0, 1.0) }
    }

    #[inline]
    pub fn at(&mut self, prep: &Prepared, t0: f64) -> (f64, f64) {
        if t0 != self.t0 {
            let payer = prep.costs.factor(t0);
            // The manufacturer usually discounts at the payer's rate: one `exp`, not two.
            let manufacturer =
                if prep.manufacturer == prep.costs { payer } else { prep.manufacturer.factor(t0) };
            *self = StartFactors { t0, factors: (payer, manufacturer) };
        }
        self.factors
    }
}

/// The exposure that contract `c` settles: the first of a patient's lines (first, then second)
/// on a regimen the contract covers, if the patient was treated on it.
#[inline]
pub fn covered_exposure<'a>(
    prep: &'a Prepared,
    c: usize,
    (first, second): (&'a PatientRecord, Option<&'a PatientRecord>),
    starts: &mut StartFactors,
) -> Option<Exposure<'a>> {
    let contract = &prep.contracts[c];
    let line = |rec: &'a PatientRecord, starts: &mut StartFactors| {
        if contract.regimens.contains(&rec.regimen) {
            exposure_from(prep, rec, contract.drug, true, starts)
        } else {
            None
        }
    };
    line(first, starts).or_else(|| second.and_then(|r2| line(r2, starts)))
}

/// Whether contract `c` settles an exposure of the patient: `covered_exposure(..).is_some()`
/// without building it (the budget impact asks this of every contract for every patient).
#[inline]
pub fn covers(
    prep: &Prepared,
    c: usize,
    (first, second): (&PatientRecord, Option<&PatientRecord>),
) -> bool {
    let contract = &prep.contracts[c];
    let line = |rec: &PatientRecord| {
        contract.regimens.contains(&rec.regimen)
            && rec.treated
            && rec.start < rec.coverage_end
            && prep.regimens[rec.regimen].drugs.iter().any(|d| d.drug == contract.drug)
    };
    line(first) || second.is_some_and(line)
}

/// A treated patient's exposure to a drug of their regimen, if the regimen includes it, with
/// the start's discount factors taken from (or left in) `starts`.
#[inline]
pub fn exposure_from<'a>(
    prep: &'a Prepared,
    rec: &'a PatientRecord,
    drug: usize,
    documented: bool,
    starts: &mut StartFactors,
) -> Option<Exposure<'a>> {
    if !rec.treated || rec.start >= rec.coverage_end {
        return None;
    }
    let d = prep.regimens[rec.regimen].drugs.iter().find(|d| d.drug == drug)?;
    let end = rec.treatment_end.min(rec.coverage_end);
    let t0 = rec.start;
    let (payer_start, manufacturer_start) = starts.at(prep, t0);
    Some(Exposure {
        rec,
        drug: d,
        n: cycles_before(t0, end, d.schedule, d.max_cycles, d.max_duration),
        horizon: rec.coverage_end,
        refund_horizon: if prep.portable { prep.horizon } else { rec.coverage_end },
        payer: &prep.costs,
        manufacturer: &prep.manufacturer,
        payer_start,
        manufacturer_start,
        documented,
        placement: Placement::default(),
    })
}

/// Whether the patient's failure would be documented under `contract`.
#[inline]
pub fn documented(contract: &PreparedContract, pk: PatientKey) -> bool {
    documented_at(contract, pk, 0)
}

/// Whether the failure of a patient's course with draw index `index` would be documented
/// under `contract` (0: the first or second line's; 1 + the transition count at the entry:
/// a course given in a pathway state).
#[inline]
pub fn documented_at(contract: &PreparedContract, pk: PatientKey, index: u64) -> bool {
    contract.documentation_error == 0.0
        || pk.uniform(contract.process, index) >= contract.documentation_error
}

/// Each course of contract `c`'s drug given in pathway states, in the walk after progression
/// of `course` (valued as on regimen `regimen`): a stay in a state whose regimen the contract
/// covers, with the stays after it that continue its course (consecutive states with the same
/// regimen), entered before the end of the payer's view `coverage_end` (and so alive). `each`
/// gets the record a contract reads of the course and its first stay's transition count:
/// treatment starts at the first entry and ends at the last exit; progression is the first
/// later entry into a state marked `progressed` (never, if none); response is entering a state
/// marked `response` from the course's entry on, before that progression and before the next
/// course starts (seen at once, at the entry); death is the walk's. `stays` is working space.
pub fn pathway_courses(
    prep: &Prepared,
    c: usize,
    (regimen, course): (usize, &Course),
    coverage_end: f64,
    stays: &mut Vec<Stay>,
    mut each: impl FnMut(&PatientRecord, u64),
) {
    let Some(p) = pathway_of(prep, regimen) else { return };
    if !(course.progression < prep.horizon && course.progression < course.death) {
        return;
    }
    let contract = &prep.contracts[c];
    stays.clear();
    walk(prep, p, course.walker, course.progression, |s| stays.push(s));
    for (i, stay) in stays.iter().enumerate() {
        let Some(r) = p.states[stay.state].regimen else { continue };
        if stay.continued || !contract.regimens.contains(&r) || stay.entry >= coverage_end {
            continue;
        }
        let Reading { progression, response, end } = read_course(p, &stays[i..]);
        let rec = PatientRecord {
            regimen: r,
            course_regimen: r,
            tests: [0; MAX_TESTS_RUN],
            test_starts: [0.0; MAX_TESTS_RUN],
            n_tests: 0,
            bridging: None,
            start: stay.entry,
            treated: true,
            detected_progression: progression,
            observed_responder: response.is_finite(),
            response_seen: response,
            responder: response.is_finite(),
            progression,
            death: course.death,
            treatment_end: end,
            adverse_events: 0,
            coverage_end,
            walker: course.walker,
        };
        each(&rec, stay.visit);
    }
}

/// What is read of a course in pathway states (see [`read_course`]); times are infinite for
/// events that do not happen in the walk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// The first entry after the course's entry into a state marked `progressed`.
    pub progression: f64,
    /// The first entry, from the course's entry on, before that progression and before the
    /// next course starts (a later state with a regimen that does not continue this course),
    /// into a state marked `response`.
    pub response: f64,
    /// The exit of the course's last stay.
    pub end: f64,
}

/// Read the course starting with `stays[0]` (the stays of a walk from that one on): its
/// progression, its response and its end.
pub fn read_course(p: &PreparedPathway, stays: &[Stay]) -> Reading {
    let continuing = stays[1..].iter().take_while(|s| s.continued).count();
    let end = stays[continuing].exit;
    let progressed = stays[1..].iter().position(|s| p.states[s.state].progressed).map(|k| k + 1);
    let progression = progressed.map_or(f64::INFINITY, |k| stays[k].entry);
    // A response belongs to the course until the next one starts: a re-treatment's response
    // is the re-treatment's.
    let next_course =
        stays[1..].iter().position(|s| p.states[s.state].regimen.is_some() && !s.continued);
    let window = progressed.unwrap_or(stays.len()).min(next_course.map_or(stays.len(), |k| k + 1));
    let response = stays[..window]
        .iter()
        .find(|s| p.states[s.state].response)
        .map_or(f64::INFINITY, |s| s.entry);
    Reading { progression, response, end }
}

/// A patient's course after progression, as the courses in pathway states are read from it:
/// the course, the regimen it is valued as on, and the end of the payer's view.
#[derive(Clone, Copy)]
pub struct Walked<'a> {
    pub regimen: usize,
    pub course: &'a Course,
    pub coverage_end: f64,
}

/// Settle contract `c` (a per-patient kind) on each of the patient's courses in pathway
/// states (see [`pathway_courses`]), adding each course's cash and list present value to
/// `total` (the patient's line course, if settled). Each course is settled on its own (a
/// money-back cap applies per course); the per-patient administration is charged once, with
/// the patient's first course. Refunds due at or after `refund_cut` are not counted (the
/// budget view's cut).
pub fn pathway_cash(
    prep: &Prepared,
    (c, pk): (usize, PatientKey),
    walked: Walked<'_>,
    refund_cut: f64,
    (stays, starts): (&mut Vec<Stay>, &mut StartFactors),
    total: &mut Option<(Cash, f64)>,
) {
    let contract = &prep.contracts[c];
    let Walked { regimen, course, coverage_end } = walked;
    pathway_courses(prep, c, (regimen, course), coverage_end, stays, |rec, visit| {
        let documented = documented_at(contract, pk, 1 + visit);
        let Some(mut x) = exposure_from(prep, rec, contract.drug, documented, starts) else {
            return;
        };
        x.refund_horizon = x.refund_horizon.min(refund_cut);
        let s = contracts::settle(&contract.kind, &x, &[]);
        let assessment = prep.regimens[rec.regimen].assessment;
        let admin = if total.is_none() {
            contracts::administration(contract, &x, assessment, s.tracked_until)
        } else {
            contracts::assessments(contract, &x, assessment, s.tracked_until)
        };
        let cash = contracts::in_money(contract, x.drug.price, admin, &s);
        let list_pv = x.drug.price * x.list().0;
        *total = Some(match *total {
            Some((sum, list)) => (sum.plus(cash), list + list_pv),
            None => (cash, list_pv),
        });
    });
}

/// Σ over the patient's courses in pathway states covered by contract `c` of the list
/// payments' present value per unit of price (the comparator's ∂cost/∂price).
pub fn pathway_units(
    prep: &Prepared,
    c: usize,
    walked: Walked<'_>,
    (stays, starts): (&mut Vec<Stay>, &mut StartFactors),
) -> f64 {
    let drug = prep.contracts[c].drug;
    let mut units = 0.0;
    let Walked { regimen, course, coverage_end } = walked;
    pathway_courses(prep, c, (regimen, course), coverage_end, stays, |rec, _| {
        if let Some(x) = exposure_from(prep, rec, drug, true, starts) {
            units += x.list().0;
        }
    });
    units
}
