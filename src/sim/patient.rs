//! One patient: biomarker status, the testing pathway of a strategy, and the event times of the
//! chosen regimen, condensed into a [`PatientRecord`] that accounting (and later contracts)
//! read without touching random numbers.

use super::prepared::{Prepared, PreparedCourse, PreparedRegimen};
use crate::accounting::discount::CYCLE_TOLERANCE;
use crate::rng::{PatientKey, Process, ProcessKind};
use crate::scenario::MAX_TEST_CHAIN;
use crate::survival::TimeToEvent;

/// Lines of therapy are keys of the shared latent draws; only first line exists so far.
pub const FIRST_LINE: u64 = 0;

/// A uniform with its cumulative-hazard equivalent −ln u, computed once per patient.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventDraw {
    pub u: f64,
    pub h: f64,
}

impl EventDraw {
    fn new(u: f64) -> Self {
        EventDraw { u, h: -u.ln() }
    }

    #[inline]
    pub fn time(&self, d: &TimeToEvent) -> f64 {
        d.sample_with_hazard(self.u, self.h)
    }
}

/// The shared latent draws of one line of therapy (the same under every regimen of the line).
#[derive(Clone, Copy, Debug, Default)]
pub struct LineDraws {
    pub response: f64,
    pub progression: EventDraw,
    pub death: EventDraw,
    pub post_progression: EventDraw,
    pub discontinuation: EventDraw,
    /// How scans read the patient's response.
    pub response_reading: f64,
}

/// The addresses of a line's shared draws, computed once (not per patient).
#[derive(Clone, Copy, Debug)]
pub struct LineProcesses([Process; 6]);

impl LineProcesses {
    pub fn new(line: u64) -> Self {
        LineProcesses([
            Process::new(ProcessKind::Response, line),
            Process::new(ProcessKind::Progression, line),
            Process::new(ProcessKind::DeathBeforeProgression, line),
            Process::new(ProcessKind::PostProgression, line),
            Process::new(ProcessKind::Discontinuation, line),
            Process::new(ProcessKind::ResponseReading, line),
        ])
    }
}

impl LineDraws {
    #[inline]
    pub fn new(key: PatientKey, line: &LineProcesses) -> Self {
        let [response, progression, death, post_progression, discontinuation, response_reading] =
            line.0.map(|p| key.uniform(p, 0));
        LineDraws {
            response,
            progression: EventDraw::new(progression),
            death: EventDraw::new(death),
            post_progression: EventDraw::new(post_progression),
            discontinuation: EventDraw::new(discontinuation),
            response_reading,
        }
    }
}

/// Everything accounting needs to know about a patient under one strategy. Times are years
/// from diagnosis; `f64::INFINITY` means the event never happens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PatientRecord {
    pub regimen: usize,
    /// Tests performed, in order; each starts when the previous one's turnaround ends.
    pub tests: [u16; MAX_TEST_CHAIN],
    pub n_tests: usize,
    /// Treatment start t0 (the end of testing).
    pub start: f64,
    /// Whether treatment started: the patient was alive and progression-free at t0.
    pub treated: bool,
    /// Progression as detected by the regimen's scans (= `progression` without a schedule);
    /// infinite if the patient dies before the scan that would detect it.
    pub detected_progression: f64,
    /// Response as read by the scans (misclassification applied).
    pub observed_responder: bool,
    pub responder: bool,
    /// Progression P (absolute); infinite if the patient dies first.
    pub progression: f64,
    /// Death D (absolute).
    pub death: f64,
    /// End of treatment E = min(P, D, t0 + T_x).
    pub treatment_end: f64,
    /// Bit k set: the regimen's k-th adverse event happened.
    pub adverse_events: u64,
    /// End of the payer's view: the horizon, or the member's exit if earlier (commercial).
    pub coverage_end: f64,
}

/// True biomarker status as a bit mask (bit b: biomarker b present).
#[inline]
pub fn biomarker_status(prep: &Prepared, key: PatientKey) -> u64 {
    let mut status = 0u64;
    for g in &prep.groups {
        let u = key.uniform(g.process, 0);
        if let Some(&(b, _)) = g.members.iter().find(|(_, upper)| u < *upper) {
            status |= 1 << b;
        }
    }
    status
}

/// The testing pathway of a strategy: which regimen, which tests, and when treatment starts.
#[inline]
fn pathway(
    prep: &Prepared,
    key: PatientKey,
    status: u64,
    line: &LineDraws,
    strategy: usize,
    rec: &mut PatientRecord,
) {
    let s = &prep.strategies[strategy];
    let mut positive = 0u64;
    let mut t = 0.0;
    rec.n_tests = 0;
    let mut next = s.test;
    while let Some(ti) = next {
        let test = &prep.tests[ti];
        if rec.n_tests < MAX_TEST_CHAIN {
            rec.tests[rec.n_tests] = ti as u16;
            rec.n_tests += 1;
        }
        t += test.turnaround;
        if key.uniform(test.failure_process, 0) < test.failure {
            next = test.on_failure;
            continue;
        }
        for &(b, sensitivity, false_positive, process) in &test.readings {
            let p = if status & (1 << b) != 0 { sensitivity } else { false_positive };
            if key.uniform(process, 0) < p {
                positive |= 1 << b;
            }
        }
        if let Some(sel) = &test.selection {
            // The score sees the patient's latent response to the predicted regimen.
            let p = if responds(prep, status, line, sel.regimen) {
                sel.sensitivity
            } else {
                sel.false_positive
            };
            if key.uniform(sel.process, 0) < p {
                positive |= 1 << sel.bit;
            }
        }
        next = None;
    }
    rec.start = if s.test.is_some() { t } else { 0.0 };
    rec.regimen =
        s.rules.iter().find(|(b, _)| positive & (1 << b) != 0).map_or(s.default, |&(_, r)| r);
}

fn response_probability(reg: &PreparedRegimen, status: u64) -> f64 {
    reg.response_by_biomarker
        .iter()
        .find(|(b, _)| status & (1 << b) != 0)
        .map_or(reg.response_otherwise, |&(_, p)| p)
}

/// Whether the patient responds to `regimen` (a latent trait, fixed before treatment): the
/// line's response uniform below the response probability, or for a partitioned-survival
/// regimen the progression uniform (responders are the longest PFS).
#[inline]
pub fn responds(prep: &Prepared, status: u64, line: &LineDraws, regimen: usize) -> bool {
    let reg = &prep.regimens[regimen];
    let p = response_probability(reg, status);
    match reg.course {
        PreparedCourse::Clinical { .. } => line.response < p,
        PreparedCourse::Partitioned { .. } => line.progression.u < p,
    }
}

/// A patient's health on a regimen: response, progression and death, all from diagnosis.
/// It does not depend on when treatment starts, so strategies that reach the same regimen share
/// it (and its valuation) for the same patient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Course {
    pub responder: bool,
    /// Progression P; infinite if the patient dies first.
    pub progression: f64,
    /// Death D.
    pub death: f64,
}

/// The course of a patient on regimen `regimen`.
#[inline]
pub fn course(prep: &Prepared, status: u64, line: &LineDraws, regimen: usize) -> Course {
    let reg = &prep.regimens[regimen];
    let responder = responds(prep, status, line, regimen);
    // Progression and death clocks run from diagnosis, so waiting for a test result neither
    // adds nor removes survival: the patient follows the chosen regimen's curves from t = 0 and
    // is treated from t0 on, if still alive and progression-free then.
    match &reg.course {
        PreparedCourse::Clinical {
            progression_responder,
            progression_non_responder,
            death_before_progression,
            post_progression_survival,
        } => {
            let progression =
                if responder { progression_responder } else { progression_non_responder };
            let tp = line.progression.time(progression);
            let td = line.death.time(death_before_progression);
            if tp < td {
                let death = tp + line.post_progression.time(post_progression_survival);
                Course { responder, progression: tp, death }
            } else {
                Course { responder, progression: f64::INFINITY, death: td }
            }
        }
        PreparedCourse::Partitioned { pfs, os } => {
            // One uniform for both curves (comonotone): P(T_os > t) = S_os(t) exactly, and
            // P(min(T_pfs, T_os) > t) = min(S_pfs(t), S_os(t)), the partitioned-survival
            // progression-free share with PFS capped by OS. Small uniforms give long times, so
            // the responders are the share p of patients with the longest PFS.
            let tp = line.progression.time(pfs);
            let td = line.progression.time(os);
            Course { responder, progression: if tp < td { tp } else { f64::INFINITY }, death: td }
        }
    }
}

/// The testing pathway of a strategy: regimen, tests and treatment start, in a fresh record.
#[inline]
pub fn start(
    prep: &Prepared,
    key: PatientKey,
    status: u64,
    line: &LineDraws,
    strategy: usize,
    coverage_end: f64,
) -> PatientRecord {
    let mut rec = PatientRecord {
        regimen: 0,
        tests: [0; MAX_TEST_CHAIN],
        n_tests: 0,
        start: 0.0,
        treated: false,
        detected_progression: f64::INFINITY,
        observed_responder: false,
        responder: false,
        progression: f64::INFINITY,
        death: f64::INFINITY,
        treatment_end: f64::INFINITY,
        adverse_events: 0,
        coverage_end,
    };
    pathway(prep, key, status, line, strategy, &mut rec);
    rec
}

/// When the payer stops covering the patient: the horizon for a national payer; for a
/// commercial one the member's exit, exponential at the rate of the annual turnover, if earlier.
#[inline]
pub fn coverage_end(prep: &Prepared, key: PatientKey) -> f64 {
    if prep.exit_rate > 0.0 {
        let u = key.uniform(Process::new(ProcessKind::Enrolment, 0), 0);
        (-u.ln() / prep.exit_rate).min(prep.horizon)
    } else {
        prep.horizon
    }
}

/// Complete a record from the pathway (`start`) and the course: treatment, if the patient is
/// alive and progression-free at t0, until progression, death or a toxicity stop.
#[inline]
pub fn treat(
    prep: &Prepared,
    key: PatientKey,
    line: &LineDraws,
    course: &Course,
    rec: &mut PatientRecord,
) {
    let reg = &prep.regimens[rec.regimen];
    let t0 = rec.start;
    rec.responder = course.responder;
    rec.progression = course.progression;
    rec.death = course.death;
    rec.treated = course.progression.min(course.death) > t0;
    rec.detected_progression = course.progression;
    if !rec.treated {
        rec.treatment_end = t0;
        return;
    }
    rec.observed_responder = if course.responder {
        line.response_reading >= reg.response_false_negative
    } else {
        line.response_reading < reg.response_false_positive
    };
    if let Some(every) = reg.assessment
        && course.progression.is_finite()
    {
        // The first scan at or after progression (scans at t0 + k·every, k ≥ 1); a death
        // before that scan leaves the progression undetected.
        let scans = ((course.progression - t0) / every - CYCLE_TOLERANCE).ceil().max(1.0);
        let detected = t0 + scans * every;
        rec.detected_progression = if detected < course.death { detected } else { f64::INFINITY };
    }
    // The toxicity clock runs from treatment start; drugs are given until progression is
    // detected.
    let tx = reg.discontinuation.as_ref().map_or(f64::INFINITY, |d| line.discontinuation.time(d));
    rec.treatment_end = rec.detected_progression.min(course.death).min(t0 + tx);
    for (k, ae) in reg.adverse_events.iter().enumerate() {
        if key.uniform(ae.process, 0) < ae.probability {
            rec.adverse_events |= 1 << k;
        }
    }
}

/// Simulate one patient under one strategy.
#[inline]
pub fn simulate(
    prep: &Prepared,
    key: PatientKey,
    status: u64,
    line: &LineDraws,
    strategy: usize,
) -> PatientRecord {
    let mut rec = start(prep, key, status, line, strategy, coverage_end(prep, key));
    let c = course(prep, status, line, rec.regimen);
    treat(prep, key, line, &c, &mut rec);
    rec
}
