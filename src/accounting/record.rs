//! What a simulated patient leaves for accounting: the event times and exposure of one patient
//! under one strategy ([`PatientRecord`]), the course of a regimen ([`Course`]), and its health
//! outcomes ([`Outcomes`]). Plain data: the ledger and the contracts read it without random
//! numbers or the model.

/// Longest chain of reflex tests a patient can go through (a limit of the model, checked when
/// a scenario is compiled): the record keeps room for every test of the chain.
pub const MAX_TEST_CHAIN: usize = 8;

/// Most tests one patient can run: a reflex chain of [`MAX_TEST_CHAIN`], each with a concurrent
/// partner.
pub const MAX_TESTS_RUN: usize = 2 * MAX_TEST_CHAIN;

/// Who walks a pathway after progression: the patient's draws and the primary tumour's
/// biomarker status (prognostic ratios), so the walk can be replayed where the course is
/// valued instead of being stored (see `sim::pathway`), and the patient's death from
/// general-population mortality, which competes with every transition of the walk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Walker {
    pub key: crate::rng::PatientKey,
    pub primary: u64,
    /// The patient's covariate levels (`[population]`; a bit per level, sex included).
    pub levels: u64,
    /// Years from diagnosis to the patient's background death B (`[population]`), infinite
    /// without one or after the horizon.
    pub background: f64,
}

impl Default for Walker {
    fn default() -> Self {
        Walker { key: Default::default(), primary: 0, levels: 0, background: f64::INFINITY }
    }
}

/// Everything accounting needs to know about a patient under one strategy. Times are years
/// from diagnosis; `f64::INFINITY` means the event never happens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PatientRecord {
    pub regimen: usize,
    /// The regimen whose course `progression` and `death` follow, for their value: `regimen`,
    /// or the waiting regimen when the patient progressed or died waiting for treatment.
    pub course_regimen: usize,
    /// Tests performed, in order, and when each started (its cost is paid then): a reflex test
    /// starts when the previous step's results are in, a concurrent test with its partner.
    pub tests: [u16; MAX_TESTS_RUN],
    pub test_starts: [f64; MAX_TESTS_RUN],
    pub n_tests: usize,
    /// Regimen given while waiting for test results (from 0 until t0), if the strategy has one.
    pub bridging: Option<usize>,
    /// Treatment start t0 (the end of testing).
    pub start: f64,
    /// Whether treatment started: the patient was alive and progression-free at t0.
    pub treated: bool,
    /// Progression as detected by the regimen's scans (= `progression` without a schedule);
    /// infinite if the patient dies before the scan that would detect it.
    pub detected_progression: f64,
    /// Response as read by the scans (misclassification applied).
    pub observed_responder: bool,
    /// When that response becomes visible (treatment start, or later with a time to
    /// response).
    pub response_seen: f64,
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
    /// Who walks the course's pathway after progression, if it has one.
    pub walker: Walker,
}

impl PatientRecord {
    /// The course the record's first line ran (no second line).
    pub fn course(&self) -> Course {
        Course {
            responder: self.responder,
            progression: self.progression,
            death: self.death,
            second: None,
            walker: self.walker,
        }
    }

    /// Back to a blank record, in place.
    #[inline]
    pub fn reset(&mut self, coverage_end: f64) {
        self.regimen = 0;
        self.course_regimen = 0;
        self.n_tests = 0;
        self.bridging = None;
        self.start = 0.0;
        self.treated = false;
        self.detected_progression = f64::INFINITY;
        self.observed_responder = false;
        self.response_seen = 0.0;
        self.responder = false;
        self.progression = f64::INFINITY;
        self.death = f64::INFINITY;
        self.treatment_end = f64::INFINITY;
        self.adverse_events = 0;
        self.coverage_end = coverage_end;
    }
}

/// A record before the pathway: no tests, no treatment.
pub fn blank(coverage_end: f64) -> PatientRecord {
    PatientRecord {
        regimen: 0,
        course_regimen: 0,
        tests: [0; MAX_TESTS_RUN],
        test_starts: [0.0; MAX_TESTS_RUN],
        n_tests: 0,
        bridging: None,
        start: 0.0,
        treated: false,
        detected_progression: f64::INFINITY,
        observed_responder: false,
        response_seen: 0.0,
        responder: false,
        progression: f64::INFINITY,
        death: f64::INFINITY,
        treatment_end: f64::INFINITY,
        adverse_events: 0,
        coverage_end,
        walker: Walker::default(),
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
    /// A second line taken up at the detected progression.
    pub second: Option<SecondCourse>,
    /// Who walks the regimen's pathway after progression (unused without one).
    pub walker: Walker,
}

/// The second line of a course: its regimen, its start (when the re-test results are in) and
/// its own progression (infinite if none before death), all from diagnosis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SecondCourse {
    pub regimen: usize,
    pub start: f64,
    pub progression: f64,
}

/// Health outcomes of one patient.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Outcomes {
    pub qaly: f64,
    pub ly: f64,
    pub ly_undiscounted: f64,
}
