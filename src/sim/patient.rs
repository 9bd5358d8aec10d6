//! One patient: biomarker status, the testing pathway of a strategy, and the event times of the
//! chosen regimen, condensed into a [`PatientRecord`] that accounting (and later contracts)
//! read without touching random numbers.

use super::prepared::{Prepared, PreparedRegimen};
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
}

/// The addresses of a line's shared draws, computed once (not per patient).
#[derive(Clone, Copy, Debug)]
pub struct LineProcesses([Process; 5]);

impl LineProcesses {
    pub fn new(line: u64) -> Self {
        LineProcesses([
            Process::new(ProcessKind::Response, line),
            Process::new(ProcessKind::Progression, line),
            Process::new(ProcessKind::DeathBeforeProgression, line),
            Process::new(ProcessKind::PostProgression, line),
            Process::new(ProcessKind::Discontinuation, line),
        ])
    }
}

impl LineDraws {
    #[inline]
    pub fn new(key: PatientKey, line: &LineProcesses) -> Self {
        let [response, progression, death, post_progression, discontinuation] =
            line.0.map(|p| key.uniform(p, 0));
        LineDraws {
            response,
            progression: EventDraw::new(progression),
            death: EventDraw::new(death),
            post_progression: EventDraw::new(post_progression),
            discontinuation: EventDraw::new(discontinuation),
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
    /// Treatment start t0.
    pub start: f64,
    pub responder: bool,
    /// Progression P (absolute); infinite if the patient dies first.
    pub progression: f64,
    /// Death D (absolute).
    pub death: f64,
    /// End of treatment E = min(P, D, t0 + T_x).
    pub treatment_end: f64,
    /// Bit k set: the regimen's k-th adverse event happened.
    pub adverse_events: u64,
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

/// Simulate one patient under one strategy.
#[inline]
pub fn simulate(
    prep: &Prepared,
    key: PatientKey,
    status: u64,
    line: &LineDraws,
    strategy: usize,
) -> PatientRecord {
    let mut rec = PatientRecord {
        regimen: 0,
        tests: [0; MAX_TEST_CHAIN],
        n_tests: 0,
        start: 0.0,
        responder: false,
        progression: f64::INFINITY,
        death: f64::INFINITY,
        treatment_end: f64::INFINITY,
        adverse_events: 0,
    };
    pathway(prep, key, status, strategy, &mut rec);
    let reg = &prep.regimens[rec.regimen];
    let t0 = rec.start;
    rec.responder = line.response < response_probability(reg, status);
    let progression =
        if rec.responder { &reg.progression_responder } else { &reg.progression_non_responder };
    let tp = line.progression.time(progression);
    let td = line.death.time(&reg.death_before_progression);
    if tp < td {
        rec.progression = t0 + tp;
        rec.death = rec.progression + line.post_progression.time(&reg.post_progression_survival);
    } else {
        rec.death = t0 + td;
    }
    let tx = reg.discontinuation.as_ref().map_or(f64::INFINITY, |d| line.discontinuation.time(d));
    rec.treatment_end = rec.progression.min(rec.death).min(t0 + tx);
    for (k, ae) in reg.adverse_events.iter().enumerate() {
        if key.uniform(ae.process, 0) < ae.probability {
            rec.adverse_events |= 1 << k;
        }
    }
    rec
}
