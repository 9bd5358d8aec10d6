//! One patient: biomarker status, the testing pathway of a strategy, and the event times of the
//! chosen regimen, condensed into a [`PatientRecord`] that accounting (and later contracts)
//! read without touching random numbers.

use super::prepared::{
    Prepared, PreparedAfter, PreparedCourse, PreparedImmunotherapy, PreparedRegimen,
    PreparedStrategy, PreparedTest,
};
use crate::accounting::discount::CYCLE_TOLERANCE;
use crate::accounting::record::{
    Course, MAX_TESTS_RUN, PatientRecord, SecondCourse, Walker, blank,
};
use crate::model::Transition;
use crate::model::limits::MAX_BIOMARKERS;
use crate::rng::{PatientKey, Process, ProcessKind};
use crate::survival::TimeToEvent;

/// Why no course is ever drawn on a treatment-only regimen: the scenario checks refuse one as
/// a strategy's, a second line's or a waiting regimen.
const NO_COURSE: &str = "a treatment-only regimen has no course (refused by the scenario checks)";

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

    /// The draw of a cumulative hazard multiplied by `hazard_ratio`: the same exponential
    /// variate E = −ln u reaches H·HR at H⁻¹(E / HR), so the time is drawn as if at
    /// u^(1/HR). A ratio of 1 leaves the draw as it is (bit for bit).
    #[inline]
    pub fn scaled(self, hazard_ratio: f64) -> Self {
        if hazard_ratio == 1.0 {
            return self;
        }
        let h = self.h / hazard_ratio;
        EventDraw { u: (-h).exp(), h }
    }
}

/// The shared latent draws of one line of therapy (the same under every regimen of the line).
#[derive(Clone, Copy, Debug, Default)]
pub struct LineDraws {
    pub response: f64,
    pub progression: EventDraw,
    pub death: EventDraw,
    pub post_progression: EventDraw,
    /// The uniform of the toxicity (discontinuation) clock. Only a regimen with a
    /// `discontinuation` reads it, so its −ln u is taken there ([`treat`]), not for every
    /// patient's every line.
    pub discontinuation: f64,
    /// How scans read the patient's response.
    pub response_reading: f64,
    /// The line of therapy (0 = first): the index of the line's other draws (re-tests,
    /// immunotherapy, monitoring).
    pub line: u64,
    /// The patient's key, for the draws of a pathway after progression.
    pub key: PatientKey,
    /// The patient's death from general-population mortality, B, on this line's clock
    /// (infinite without `[population]`, or after the horizon): every course of the line is
    /// cut at it ([`LineDraws::of_patient`]). Under a floored mortality it stays infinite:
    /// each course finds its own background death ([`floor_course`]).
    pub background: f64,
    /// When the line's clocks start, from diagnosis (0 for the first line, the second line's
    /// start for the second): where a floored mortality's background candidates, counted from
    /// diagnosis, meet the line's clocks.
    pub origin: f64,
    /// Who the patient is (`[population]`), drawn once ([`LineDraws::of_patient`]); `None`:
    /// drawn where needed.
    pub person: Option<super::background::Person>,
    /// The patient's first background candidate B before the horizon, in either mode
    /// (infinite without `[population]` or when none comes before the horizon): under a
    /// floor, a course that ends before it needs no search.
    pub candidate: f64,
}

/// The addresses of a line's shared draws, computed once (not per patient).
#[derive(Clone, Copy, Debug)]
pub struct LineProcesses([Process; 6], u64);

impl LineProcesses {
    pub fn new(line: u64) -> Self {
        LineProcesses(
            [
                Process::new(ProcessKind::Response, line),
                Process::new(ProcessKind::Progression, line),
                Process::new(ProcessKind::DeathBeforeProgression, line),
                Process::new(ProcessKind::PostProgression, line),
                Process::new(ProcessKind::Discontinuation, line),
                Process::new(ProcessKind::ResponseReading, line),
            ],
            line,
        )
    }
}

impl LineDraws {
    /// A line's shared draws without the patient's background death (a second line's, whose
    /// courses are cut at the first line's; or a library caller's without `[population]`):
    /// the engine draws a first line with [`LineDraws::of_patient`].
    #[inline]
    pub fn new(key: PatientKey, line: &LineProcesses) -> Self {
        let [response, progression, death, post_progression, discontinuation, response_reading] =
            line.0.map(|p| key.uniform(p, 0));
        let index = line.1;
        LineDraws {
            response,
            progression: EventDraw::new(progression),
            death: EventDraw::new(death),
            post_progression: EventDraw::new(post_progression),
            discontinuation,
            response_reading,
            line: index,
            key,
            background: f64::INFINITY,
            origin: 0.0,
            person: None,
            candidate: f64::INFINITY,
        }
    }

    /// A first line's draws of a patient, with the patient's background death when the
    /// scenario has a `[population]` (docs, Model → Population and background mortality).
    #[inline]
    pub fn of_patient(prep: &Prepared, key: PatientKey, line: &LineProcesses) -> Self {
        let mut draws = LineDraws::new(key, line);
        if let Some(b) = &prep.background {
            let person = b.person(key);
            draws.person = Some(person);
            draws.candidate = b.death(key, person, prep.horizon);
            if !b.floor {
                draws.background = draws.candidate;
            }
        }
        draws
    }
}

/// True biomarker status of the primary tumour as a bit mask (bit b: biomarker b present).
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

/// A patient's tumour: the primary's biomarker status and, with heterogeneity, its lesions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tumour {
    /// Status of the primary (bit b: biomarker b).
    pub primary: u64,
    /// Status of the lesion a tissue biopsy samples (the primary without heterogeneity).
    pub biopsy: u64,
    /// Number of lesions (1 without heterogeneity).
    pub lesions: u32,
    /// Per biomarker: lesions carrying it (filled only when `lesions > 1`).
    pub carrying: [u8; MAX_BIOMARKERS],
}

impl Default for Tumour {
    fn default() -> Self {
        Tumour { primary: 0, biopsy: 0, lesions: 1, carrying: [0; MAX_BIOMARKERS] }
    }
}

impl Tumour {
    /// A single-lesion tumour with the given status.
    pub fn single(status: u64) -> Self {
        Tumour { primary: status, biopsy: status, ..Tumour::default() }
    }

    /// The tumour without the markers in `mask` (acquired markers, absent at diagnosis).
    pub fn without(&self, mask: u64) -> Tumour {
        let mut t = *self;
        t.primary &= !mask;
        t.biopsy &= !mask;
        let mut bits = mask;
        while bits != 0 {
            t.carrying[bits.trailing_zeros() as usize] = 0;
            bits &= bits - 1;
        }
        t
    }

    /// Lesions carrying biomarker `b`.
    #[inline]
    pub fn carrying(&self, b: usize) -> u32 {
        if self.lesions == 1 {
            ((self.primary >> b) & 1) as u32
        } else {
            u32::from(self.carrying[b])
        }
    }
}

/// The patient's tumour: the primary's status, then (with heterogeneity) the lesion count, each
/// metastatic lesion's status (per group: the primary's marker lost with its discordance, or
/// a marker gained by a lesion of a marker-free primary) and the biopsied lesion.
#[inline]
pub fn tumour(prep: &Prepared, key: PatientKey) -> Tumour {
    let primary = biomarker_status(prep, key);
    let Some(h) = &prep.heterogeneity else { return Tumour::single(primary) };
    let u = key.uniform(h.count_process, 0);
    let lesions = h.lesions_cdf.iter().position(|&c| u < c).unwrap_or(h.lesions_cdf.len() - 1) + 1;
    let biopsied = if h.random_biopsy {
        ((key.uniform(h.biopsy_process, 0) * lesions as f64) as usize).min(lesions - 1)
    } else {
        0
    };
    let mut t = Tumour { primary, biopsy: primary, lesions: lesions as u32, ..Tumour::default() };
    for b in 0..prep.biomarkers {
        t.carrying[b] = ((primary >> b) & 1) as u8;
    }
    for lesion in 1..lesions {
        let mut status = 0u64;
        for g in &prep.groups {
            let u = key.uniform(g.lesion_process, lesion as u64);
            match g.members.iter().position(|&(b, _)| primary & (1 << b) != 0) {
                Some(j) => {
                    if u >= g.discordance[j] {
                        status |= 1 << g.members[j].0;
                    }
                }
                None => {
                    if let Some(j) = g.gains.iter().position(|&c| u < c) {
                        status |= 1 << g.members[j].0;
                    }
                }
            }
        }
        for b in 0..prep.biomarkers {
            t.carrying[b] += ((status >> b) & 1) as u8;
        }
        if lesion == biopsied {
            t.biopsy = status;
        }
    }
    t
}

/// Read one test (not its reflex or partner): whether it failed, and its positive readings
/// added to `positive`.
#[inline]
fn read_test(
    prep: &Prepared,
    key: PatientKey,
    tumour: &Tumour,
    line: &LineDraws,
    test: &PreparedTest,
    positive: &mut u64,
) -> bool {
    // A re-test at a later line draws afresh (index = line); shedding is the tumour's.
    if read_biomarkers(prep, key, tumour, line.line, test, positive) {
        return true;
    }
    if let Some(sel) = &test.selection {
        // The score sees the patient's latent response to the predicted regimen.
        let p = if responds(prep, tumour, line, sel.regimen) {
            sel.sensitivity
        } else {
            sel.false_positive
        };
        if key.uniform(sel.process, line.line) < p {
            *positive |= 1 << sel.bit;
        }
    }
    false
}

/// Read a test's biomarkers with the draws at index `at`: whether it failed, and its positive
/// readings added to `positive`.
#[inline]
pub(crate) fn read_biomarkers(
    prep: &Prepared,
    key: PatientKey,
    tumour: &Tumour,
    at: u64,
    test: &PreparedTest,
    positive: &mut u64,
) -> bool {
    if key.uniform(test.failure_process, at) < test.failure {
        return true;
    }
    // A plasma test sees every lesion's ctDNA if the tumour sheds: each carrying lesion is
    // detected independently with the test's sensitivity; a tissue test reads one lesion.
    let shed = test.shedding.map(|s| key.uniform(prep.shedding, 0) < s);
    for &(b, sensitivity, false_positive, process) in &test.readings {
        let p = match shed {
            None if tumour.biopsy & (1 << b) != 0 => sensitivity,
            None => false_positive,
            Some(true) => match tumour.carrying(b) {
                0 => false_positive,
                1 => sensitivity,
                k => 1.0 - (1.0 - sensitivity).powi(k as i32),
            },
            Some(false) => false_positive,
        };
        if key.uniform(process, at) < p {
            *positive |= 1 << b;
        }
    }
    false
}

/// The testing pathway of a strategy: which regimen, which tests, and when treatment starts.
#[inline]
pub(crate) fn pathway(
    prep: &Prepared,
    key: PatientKey,
    tumour: &Tumour,
    line: &LineDraws,
    (s, at): (&PreparedStrategy, f64),
    rec: &mut PatientRecord,
) {
    rec.n_tests = 0;
    rec.start = at;
    rec.regimen = s.default;
    rec.course_regimen = s.default;
    if s.test.is_none() || (s.uptake < 1.0 && key.uniform(prep.uptake, 0) >= s.uptake) {
        // Not tested (the access gap): the default regimen at once.
        return;
    }
    rec.bridging = s.bridging;
    let mut positive = 0u64;
    let mut t = at;
    let mut next = s.test;
    while let Some(ti) = next {
        let test = &prep.tests[ti];
        let mut record = |i: usize| {
            if rec.n_tests < MAX_TESTS_RUN {
                rec.tests[rec.n_tests] = i as u16;
                rec.test_starts[rec.n_tests] = t;
                rec.n_tests += 1;
            }
        };
        record(ti);
        let before = positive;
        let mut failed = read_test(prep, key, tumour, line, test, &mut positive);
        let mut wait = test.turnaround;
        if let Some(ci) = test.concurrent {
            record(ci);
            let partner = &prep.tests[ci];
            // Results are pooled; the step fails only if both fail.
            failed &= read_test(prep, key, tumour, line, partner, &mut positive);
            wait = wait.max(partner.turnaround);
        }
        t += wait;
        // A step that read nothing positive (and did not fail) goes on to its reflex on a
        // negative reading, if it has one.
        next = if failed {
            test.on_failure
        } else if positive == before {
            test.on_negative
        } else {
            None
        };
    }
    rec.start = t;
    rec.regimen =
        s.rules.iter().find(|(b, _)| positive & (1 << b) != 0).map_or(s.default, |&(_, r)| r);
    rec.course_regimen = rec.regimen;
}

/// Response probability on a regimen and the share of the tumour it applies to: the first
/// listed biomarker that some lesion carries decides, p = p_other + f·(p_b − p_other) with f
/// the share of lesions carrying it (f = 1: p_b); none carried: p_other for the whole tumour
/// (f = 1).
/// Then the odds ratios of the patient's covariate levels multiply its odds.
#[inline]
fn response_probability(reg: &PreparedRegimen, tumour: &Tumour, levels: u64) -> (f64, f64) {
    let (p, f) = 'by_biomarker: {
        for &(b, p) in &reg.response_by_biomarker {
            let k = tumour.carrying(b);
            if k == tumour.lesions {
                break 'by_biomarker (p, 1.0);
            }
            if k > 0 {
                let f = f64::from(k) / f64::from(tumour.lesions);
                break 'by_biomarker (reg.response_otherwise + f * (p - reg.response_otherwise), f);
            }
        }
        (reg.response_otherwise, 1.0)
    };
    if reg.response_odds_ratio.is_empty() {
        return (p, f);
    }
    (with_odds_ratio(p, odds_ratio(reg, levels)), f)
}

/// The product of a regimen's response odds ratios that apply to these covariate levels.
#[inline]
fn odds_ratio(reg: &PreparedRegimen, levels: u64) -> f64 {
    reg.response_odds_ratio
        .iter()
        .filter(|(bit, _)| levels & (1 << bit) != 0)
        .map(|&(_, r)| r)
        .product()
}

/// A probability whose odds are multiplied by `ratio`: p·OR / (1 − p + p·OR) (0 and 1 stay).
#[inline]
pub fn with_odds_ratio(p: f64, ratio: f64) -> f64 {
    if ratio == 1.0 || p <= 0.0 || p >= 1.0 {
        return p;
    }
    p * ratio / (1.0 - p + p * ratio)
}

/// The covariate levels of the patient of these draws (none without a `[population]`).
#[inline]
fn levels(line: &LineDraws) -> u64 {
    line.person.map_or(0, |p| p.levels)
}

/// Whether the patient responds to `regimen` (a latent trait, fixed before treatment): the
/// line's response uniform below the response probability, or for a partitioned-survival
/// regimen the progression uniform (responders are the longest PFS).
#[inline]
pub fn responds(prep: &Prepared, tumour: &Tumour, line: &LineDraws, regimen: usize) -> bool {
    let reg = &prep.regimens[regimen];
    latent_response(reg, response_probability(reg, tumour, levels(line)).0, line)
}

/// Whether the line's draws make a responder at response probability `p` on `reg`.
#[inline]
fn latent_response(reg: &PreparedRegimen, p: f64, line: &LineDraws) -> bool {
    match reg.course {
        PreparedCourse::Clinical { .. } => line.response < p,
        PreparedCourse::Partitioned { .. } => line.progression.u < p,
        PreparedCourse::TreatmentOnly => false,
    }
}

/// The course of a patient on regimen `regimen`.
#[inline]
pub fn course(prep: &Prepared, tumour: &Tumour, line: &LineDraws, regimen: usize) -> Course {
    let mut c = Course {
        responder: false,
        progression: 0.0,
        death: 0.0,
        second: None,
        walker: Walker::default(),
    };
    course_into(prep, tumour, line, regimen, &mut c);
    c
}

/// [`course`] written field by field into `out`. The engine keeps its courses in place: a
/// course returned through a temporary and copied whole at once made the processor wait for
/// the temporary's stores to land.
#[inline(never)]
pub fn course_into(
    prep: &Prepared,
    tumour: &Tumour,
    line: &LineDraws,
    regimen: usize,
    out: &mut Course,
) {
    let reg = &prep.regimens[regimen];
    // The response probability and the share of the tumour it applies to, computed once.
    let (p, share) = response_probability(reg, tumour, levels(line));
    let responder = latent_response(reg, p, line);
    // Prognostic hazard ratios of the biomarkers the primary carries and the patient's
    // covariate levels (response is decided above, on the unscaled draws).
    let (progression_hr, death_hr, after_hr) = ratios(reg, tumour, levels(line));
    let progression_draw = line.progression.scaled(progression_hr);
    // Progression and death clocks run from diagnosis, so waiting for a test result neither
    // adds nor removes survival: the patient follows the chosen regimen's curves from t = 0 and
    // is treated from t0 on, if still alive and progression-free then.
    let (progression, death) = match &reg.course {
        PreparedCourse::Clinical {
            progression_responder,
            progression_non_responder,
            death_before_progression,
            after_progression,
        } => {
            let f = if responder { share } else { 1.0 };
            let tp = if !responder {
                progression_draw.time(progression_non_responder)
            } else if f < 1.0 {
                // Lesions without the marker do not respond: the responder's cumulative
                // hazard of progression mixes the two by burden, f·H_r + (1 − f)·H_n.
                crate::survival::mixture_time(
                    progression_responder,
                    progression_non_responder,
                    f,
                    progression_draw.h,
                )
            } else {
                progression_draw.time(progression_responder)
            };
            // Background death competes with death before progression (and, below, with
            // death after it): min(T, B) has the sum of the two hazards.
            let td = line.death.scaled(death_hr).time(death_before_progression);
            let td = td.min(line.background);
            if tp < td {
                let after = line.post_progression.scaled(after_hr);
                let who = walker(line, tumour);
                (tp, death_after(prep, after_progression, tp, &after, who).min(line.background))
            } else {
                (f64::INFINITY, td)
            }
        }
        PreparedCourse::Partitioned { pfs, os } => {
            // One uniform for both curves (comonotone): P(T_os > t) = S_os(t) exactly, and
            // P(min(T_pfs, T_os) > t) = min(S_pfs(t), S_os(t)), the partitioned-survival
            // progression-free share with PFS capped by OS. Small uniforms give long times, so
            // the responders are the share p of patients with the longest PFS.
            // Hazard ratios scale each curve's cumulative hazard (S^HR) on that one uniform.
            let tp = progression_draw.time(pfs);
            let td = line.progression.scaled(death_hr).time(os).min(line.background);
            (if tp < td { tp } else { f64::INFINITY }, td)
        }
        PreparedCourse::TreatmentOnly => unreachable!("{NO_COURSE}"),
    };
    out.responder = responder;
    out.progression = progression;
    out.death = death;
    out.second = None;
    out.walker = walker(line, tumour);
    if prep.background.as_ref().is_some_and(|b| b.floor) {
        let ratios = (progression_hr, death_hr, after_hr);
        let clocks = Clocks { reg, responder, share, ratios };
        floor_course(prep, line, &clocks, 0.0, out);
    }
}

/// Floored mortality (docs, Model → Population and background mortality): cut `course` (on
/// `clocks`, from its line's `origin` on, times counted from the origin) at the first
/// background candidate from `from` before its death that the course's death hazard does not
/// already exceed. The hazard is the regimen's death before progression until progression
/// (partitioned: its overall survival's), then its survival after progression or the death
/// hazard of the pathway state the walk is in. The walk is then cut at that death too (its
/// walker carries it).
#[inline(never)]
fn floor_course(
    prep: &Prepared,
    line: &LineDraws,
    clocks: &Clocks<'_>,
    from: f64,
    course: &mut Course,
) {
    let Some(b) = &prep.background else { return };
    let (progression, death) = (course.progression, course.death);
    let origin = line.origin;
    let until = (origin + death).min(prep.horizon);
    if line.person.is_some() && line.candidate >= until {
        // No background candidate before the course's end: nothing to keep (most courses).
        return;
    }
    let uncut = course.walker;
    let hazard = |t: f64| clocks.death_hazard(prep, (progression, uncut), t - origin);
    let who = line.person.unwrap_or_else(|| b.person(uncut.key));
    let floored = b.floored_death((uncut.key, who), (origin + from, until), hazard);
    if floored < origin + death {
        let at = floored - origin;
        course.death = at;
        if progression >= at {
            course.progression = f64::INFINITY;
        }
        course.walker.background = floored;
    }
}

/// A patient's way through a strategy, as the engine composed it: the first line's record and
/// course, the course's regimen, and the second line's draws and whole course if one was taken.
pub struct Way<'a> {
    pub rec: &'a PatientRecord,
    pub course: &'a Course,
    pub valued_as: usize,
    pub second: Option<(&'a LineDraws, &'a Course)>,
}

/// The death hazard from the disease alone at time `t` from diagnosis on a patient's way
/// through strategy `strategy` (the check of docs, Model → Population and background
/// mortality): from a second line's start its regimen's (its clock from that start), else the
/// course's regimen's, the waiting regimen's before treatment starts on a course continued
/// after a wait.
pub fn disease_death_hazard(
    prep: &Prepared,
    (tumour, at_diagnosis): (&Tumour, &Tumour),
    line: &LineDraws,
    way: &Way<'_>,
    strategy: usize,
    t: f64,
) -> f64 {
    if let Some((line2, whole)) = way.second
        && let Some(second) = whole.second
        && t >= second.start
    {
        let clocks = Clocks::of(prep, tumour, line2, second.regimen);
        let progression = second.progression - second.start;
        return clocks.death_hazard(prep, (progression, whole.walker), t - second.start);
    }
    let waiting = prep.strategies[strategy].waiting;
    let rec = way.rec;
    let regimen = if way.valued_as == rec.regimen && waiting != rec.regimen && t < rec.start {
        waiting
    } else {
        way.valued_as
    };
    let clocks = Clocks::of(prep, at_diagnosis, line, regimen);
    clocks.death_hazard(prep, (way.course.progression, way.course.walker), t)
}

/// Who walks a pathway after progression: the patient of these draws, with this tumour.
#[inline]
fn walker(line: &LineDraws, tumour: &Tumour) -> Walker {
    Walker {
        key: line.key,
        primary: tumour.primary,
        levels: levels(line),
        background: line.background,
    }
}

/// Death after progression at `tp`: survival drawn from `after` (clock reset at progression),
/// or the end of the walk through a pathway (infinite for a patient alive at the horizon).
#[inline(always)]
fn death_after(
    prep: &Prepared,
    after_progression: &PreparedAfter,
    tp: f64,
    after: &EventDraw,
    who: Walker,
) -> f64 {
    match after_progression {
        PreparedAfter::Survival(s) => tp + after.time(s),
        PreparedAfter::Pathway(k) => death_in_pathway(prep, *k, tp, who),
    }
}

/// The end of a walk through pathway `k` entered at progression `tp` (infinite if the patient
/// is alive at the horizon). Out of line: it keeps the common course's code small.
#[inline(never)]
fn death_in_pathway(prep: &Prepared, k: usize, tp: f64, who: Walker) -> f64 {
    if tp >= prep.horizon {
        return f64::INFINITY;
    }
    let p = &prep.pathways[k];
    if prep.background.as_ref().is_some_and(|b| b.floor) {
        // Under a floor this walk is the uncut one its hazards are read from (the course's
        // walk is replayed cut at the floored death).
        super::pathway::probe(prep, p, who, tp, |_| {})
    } else {
        super::pathway::walk(prep, p, who, tp, |_| {})
    }
}

/// The prognostic hazard ratios of the biomarkers the primary carries and of the patient's
/// covariate levels, per transition (progression, death before progression, death after
/// progression).
#[inline]
fn ratios(reg: &PreparedRegimen, tumour: &Tumour, levels: u64) -> (f64, f64, f64) {
    let (mut progression, mut death, mut after) = (1.0, 1.0, 1.0);
    for &(on, transition, hr) in &reg.prognosis {
        if on.holds(tumour.primary, levels) {
            match transition {
                Transition::Progression => progression *= hr,
                Transition::Death => death *= hr,
                Transition::AfterProgression => after *= hr,
            }
        }
    }
    (progression, death, after)
}

/// A regimen's progression-free course for one patient as cumulative hazards that can be
/// continued from any time: progression and death before progression (a clinical course), or
/// the two curves of partitioned survival on their shared uniform; with the patient's
/// response on the regimen and prognosis.
struct Clocks<'a> {
    reg: &'a PreparedRegimen,
    responder: bool,
    share: f64,
    ratios: (f64, f64, f64),
}

impl<'a> Clocks<'a> {
    fn of(prep: &'a Prepared, tumour: &Tumour, line: &LineDraws, regimen: usize) -> Self {
        let reg = &prep.regimens[regimen];
        let (p, share) = response_probability(reg, tumour, levels(line));
        let responder = latent_response(reg, p, line);
        Clocks { reg, responder, share, ratios: ratios(reg, tumour, levels(line)) }
    }

    /// H(t) of the clock that ends progression-free survival in its own uniform: a clinical
    /// course's progression, a partitioned one's max of the two scaled curves (the patient is
    /// progression-free and alive at t while −ln U exceeds it).
    fn progression_h(&self, t: f64) -> f64 {
        match &self.reg.course {
            PreparedCourse::Clinical {
                progression_responder: r,
                progression_non_responder: n,
                ..
            } => {
                let h = if !self.responder {
                    n.cumulative_hazard(t)
                } else if self.share < 1.0 {
                    self.share * r.cumulative_hazard(t)
                        + (1.0 - self.share) * n.cumulative_hazard(t)
                } else {
                    r.cumulative_hazard(t)
                };
                self.ratios.0 * h
            }
            PreparedCourse::Partitioned { pfs, os } => (self.ratios.0 * pfs.cumulative_hazard(t))
                .max(self.ratios.1 * os.cumulative_hazard(t)),
            PreparedCourse::TreatmentOnly => unreachable!("{NO_COURSE}"),
        }
    }

    /// The death hazard from the disease alone at time `t` of the line's clock, on a course
    /// that progresses at `progression` (its walk after progression by `walker`): death before
    /// progression until then (a partitioned course's overall survival throughout), then the
    /// survival after progression, or the death transitions of the pathway state the walk is in.
    fn death_hazard(&self, prep: &Prepared, (progression, walker): (f64, Walker), t: f64) -> f64 {
        match &self.reg.course {
            PreparedCourse::Clinical { death_before_progression, after_progression, .. } => {
                if t < progression {
                    self.ratios.1 * death_before_progression.hazard(t)
                } else {
                    match after_progression {
                        PreparedAfter::Survival(s) => self.ratios.2 * s.hazard(t - progression),
                        PreparedAfter::Pathway(k) => super::pathway::death_hazard_at(
                            prep,
                            &prep.pathways[*k],
                            (walker, progression),
                            t,
                        ),
                    }
                }
            }
            PreparedCourse::Partitioned { os, .. } => self.ratios.1 * os.hazard(t),
            PreparedCourse::TreatmentOnly => unreachable!("{NO_COURSE}"),
        }
    }

    /// H(t) of death before progression (clinical courses; 0 for partitioned survival, whose
    /// deaths come from the one uniform of [`Self::progression_h`]).
    fn death_h(&self, t: f64) -> f64 {
        match &self.reg.course {
            PreparedCourse::Clinical { death_before_progression: d, .. } => {
                self.ratios.1 * d.cumulative_hazard(t)
            }
            PreparedCourse::Partitioned { .. } => 0.0,
            PreparedCourse::TreatmentOnly => unreachable!("{NO_COURSE}"),
        }
    }

    /// Progression and death continued from `from`, where the patient is alive and
    /// progression-free: each clock goes on from its cumulative hazard at `from` by what
    /// remains of its exponential variate (`rest`: progression, death), death after
    /// progression drawn with `after`. A clock whose hazard has already overflowed by `from`
    /// (a survival below the smallest double) fires at `from`.
    fn course(
        &self,
        prep: &Prepared,
        from: f64,
        (hp, hd): (f64, f64),
        (after, who): (&EventDraw, Walker),
    ) -> (f64, f64) {
        let at = |d: &TimeToEvent, h: f64, ratio: f64| {
            let h = h / ratio;
            if h.is_finite() { d.sample_with_hazard((-h).exp(), h).max(from) } else { from }
        };
        match &self.reg.course {
            PreparedCourse::Clinical {
                progression_responder: r,
                progression_non_responder: n,
                death_before_progression: d,
                after_progression,
            } => {
                let hp = self.progression_h(from) + hp;
                let tp = if !hp.is_finite() {
                    from
                } else if !self.responder {
                    at(n, hp, self.ratios.0)
                } else if self.share < 1.0 {
                    crate::survival::mixture_time(r, n, self.share, hp / self.ratios.0).max(from)
                } else {
                    at(r, hp, self.ratios.0)
                };
                let td = at(d, self.death_h(from) + hd, self.ratios.1).min(who.background);
                if tp < td {
                    let after = after.scaled(self.ratios.2);
                    (tp, death_after(prep, after_progression, tp, &after, who).min(who.background))
                } else {
                    (f64::INFINITY, td)
                }
            }
            PreparedCourse::Partitioned { pfs, os } => {
                let base = self.progression_h(from);
                let (tp, td) = if base.is_finite() {
                    (at(pfs, base + hp, self.ratios.0), at(os, base + hp, self.ratios.1))
                } else {
                    // PFS's survival underflowed by `from`: progression at once, OS goes on
                    // from its own cumulative hazard.
                    let os_h = self.ratios.1 * os.cumulative_hazard(from);
                    (from, at(os, os_h + hp, self.ratios.1))
                };
                let td = td.min(who.background);
                (if tp < td { tp } else { f64::INFINITY }, td)
            }
            PreparedCourse::TreatmentOnly => unreachable!("{NO_COURSE}"),
        }
    }
}

/// The course of a patient who waits on regimen `waiting` until treatment with `regimen`
/// starts at `t0` (docs, Model → Waiting for a result): until t0 the patient follows the
/// waiting regimen's course, its progression and death real (then that course is the
/// patient's, never treated); alive and progression-free at t0, the patient goes on with
/// `regimen`'s hazards from t0, the clocks still from diagnosis, continued with what remains
/// of the same exponential variates (memorylessness: E − H_wait(t0) is again exponential).
/// Returns whether the wait ended the progression-free course (its value is then the waiting
/// regimen's).
pub fn waited_course_into(
    prep: &Prepared,
    tumour: &Tumour,
    line: &LineDraws,
    (waiting, t0): (usize, f64),
    regimen: usize,
    out: &mut Course,
) -> bool {
    let then = Clocks::of(prep, tumour, line, regimen);
    course_into(prep, tumour, line, waiting, out);
    out.responder = then.responder;
    if out.progression.min(out.death) <= t0 {
        return true;
    }
    let wait = Clocks::of(prep, tumour, line, waiting);
    // What remains of the waiting clocks' variates at t0. A partitioned waiting course used
    // only the progression uniform: its death variate is unused, and taken whole.
    let hp = (line.progression.h - wait.progression_h(t0)).max(0.0);
    let hd = (line.death.h - wait.death_h(t0)).max(0.0);
    let who = walker(line, tumour);
    let (progression, death) = then.course(prep, t0, (hp, hd), (&line.post_progression, who));
    out.progression = progression;
    out.death = death;
    out.walker = who;
    if prep.background.as_ref().is_some_and(|b| b.floor) {
        // The candidates before t0 were judged on the waiting course, which went on past t0.
        floor_course(prep, line, &then, t0, out);
    }
    false
}

/// The testing pathway of a strategy: regimen, tests and treatment start, in a fresh record.
#[inline]
pub fn start(
    prep: &Prepared,
    key: PatientKey,
    tumour: &Tumour,
    line: &LineDraws,
    strategy: usize,
    coverage_end: f64,
) -> PatientRecord {
    let mut rec = blank(coverage_end);
    pathway(prep, key, tumour, line, (&prep.strategies[strategy], 0.0), &mut rec);
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
    rec.walker = course.walker;
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
    rec.response_seen = t0;
    if let Some(io) = &reg.immunotherapy {
        immune_response(io, (key, line.line), reg.assessment, t0, course, rec);
    }
    if let Some(m) = &reg.monitoring
        && course.progression.is_finite()
        && key.uniform(m.process, line.line) < m.sensitivity
    {
        // The first ctDNA test (t0 + k·every, k ≥ 1) at or after the molecular progression
        // P − lead_time; it stops treatment if it comes before the recorded progression.
        let from = (course.progression - m.lead_time).max(t0);
        let tests = ((from - t0) / m.every - CYCLE_TOLERANCE).ceil().max(1.0);
        let molecular = t0 + tests * m.every;
        if molecular < rec.detected_progression && molecular < course.death {
            rec.detected_progression = molecular;
        }
    }
    // The toxicity clock runs from treatment start; drugs are given until progression is
    // detected.
    let tx = match &reg.discontinuation {
        Some(d) => EventDraw::new(line.discontinuation).time(d),
        None => f64::INFINITY,
    };
    rec.treatment_end = rec.detected_progression.min(course.death).min(t0 + tx);
    for (k, ae) in reg.adverse_events.iter().enumerate() {
        if key.uniform(ae.process, 0) < ae.probability {
            rec.adverse_events |= 1 << k;
        }
    }
}

/// Delayed response, pseudo-progression and treatment beyond progression (docs, Model →
/// Immunotherapy): when response becomes visible, and the progression date the clinic and
/// the contracts act on.
fn immune_response(
    io: &PreparedImmunotherapy,
    (key, index): (PatientKey, u64),
    assessment: Option<f64>,
    t0: f64,
    course: &Course,
    rec: &mut PatientRecord,
) {
    // Only a response read as such is ever looked at (contracts check the reading first).
    if rec.observed_responder
        && let Some(d) = &io.time_to_response
    {
        rec.response_seen = t0 + d.sample(key.uniform(io.response_process, index));
    }
    let detected = rec.detected_progression;
    // A responder may look progressed at the first scan while truly progression-free.
    let mut first = detected;
    if io.pseudo_progression > 0.0
        && course.responder
        && let Some(every) = assessment
        && t0 + every < course.progression.min(course.death)
        && key.uniform(io.pseudo_process, index) < io.pseudo_progression
    {
        first = t0 + every;
    }
    rec.detected_progression = match io.beyond_progression {
        None => first,
        Some(confirm) => {
            // Treatment goes on until a confirmation scan `confirm` after the first sign; a
            // sign the confirmation does not bear out is dropped and the next one awaited.
            let confirmed = |sign: f64| {
                let at = sign + confirm;
                if at < course.death { at } else { f64::INFINITY }
            };
            if !first.is_finite() {
                f64::INFINITY
            } else if first < detected && course.progression > first + confirm {
                if detected.is_finite() { confirmed(detected) } else { f64::INFINITY }
            } else {
                confirmed(first)
            }
        }
    };
}

/// The second line after a detected progression on the first (docs, Model → Lines of therapy): a
/// fit patient (one uniform against the regimen's `share`) is re-tested at the detection on the
/// whole tumour (acquired markers included) and, if still alive when results are in, starts
/// the chosen regimen then, with the line's own draws and clocks from that start. Writes to
/// `out`, which the caller passes as `None` and which stays so without a second line, the
/// second line's record (untreated if the patient died waiting) and the patient's whole course
/// (death from the second line's course, `second` set only if treated): in place, because the
/// record is large and this runs for every trajectory that reaches a second line
/// ([`second_line`] returns them). The second line's draws are asked of `line2` only for a
/// patient who reaches it: the engine draws them then (their uniforms are addressed, not
/// drawn in turn, so when does not change them), not for every patient.
pub fn second_line_into<'l>(
    prep: &Prepared,
    key: PatientKey,
    tumour: &Tumour,
    line2: impl FnOnce() -> &'l LineDraws,
    (rec, course): (&PatientRecord, &Course),
    out: &mut Option<(PatientRecord, Course)>,
) {
    let Some(sl) = prep.regimens[rec.regimen].second_line.as_ref() else { return };
    let detected = rec.detected_progression;
    if !rec.treated || detected >= prep.horizon || detected >= course.death {
        return;
    }
    if sl.share < 1.0 && key.uniform(prep.second_line_fit, 0) >= sl.share {
        return;
    }
    let line2 = line2();
    let (rec2, whole) = out.insert((blank(rec.coverage_end), *course));
    pathway(prep, key, tumour, line2, (&sl.pathway, detected), rec2);
    let start2 = rec2.start;
    // No rule selected a regimen and the second line has no default: the re-test was done,
    // the first regimen's course stands (its default is that regimen, which no rule can
    // name: it has a second line).
    let none_selected = sl.keep_course && rec2.regimen == rec.regimen;
    if course.death <= start2 || none_selected {
        rec2.treatment_end = start2;
        return;
    }
    // The second line's clocks start at its treatment start; background death, from
    // diagnosis, cuts its course as it cuts the first line's.
    let l2 = LineDraws { origin: start2, ..*line2 };
    let c = self::course(prep, tumour, &l2, rec2.regimen);
    // Added mortality: the patient's B (the first line's walker carries it); a floored one
    // has cut the second line's course already, from its start.
    let floor = prep.background.as_ref().is_some_and(|b| b.floor);
    let background = if floor { f64::INFINITY } else { course.walker.background };
    let (mut progression, mut death) = (start2 + c.progression, start2 + c.death);
    if background < death {
        death = background;
        if progression >= background {
            progression = f64::INFINITY;
        }
    }
    let c2 = Course {
        responder: c.responder,
        progression,
        death,
        second: None,
        walker: if floor { c.walker } else { Walker { background, ..c.walker } },
    };
    treat(prep, key, line2, &c2, rec2);
    // The first line's progression-free state ends at what triggered the second line: the
    // detected progression, earlier than the true one after a pseudo- or molecular
    // progression.
    whole.progression = course.progression.min(detected);
    whole.death = c2.death;
    whole.second =
        Some(SecondCourse { regimen: rec2.regimen, start: start2, progression: c2.progression });
}

/// [`second_line_into`], returning the second line's record and the whole course.
pub fn second_line(
    prep: &Prepared,
    key: PatientKey,
    tumour: &Tumour,
    line2: &LineDraws,
    rec: &PatientRecord,
    course: &Course,
) -> Option<(PatientRecord, Course)> {
    let mut out = None;
    second_line_into(prep, key, tumour, || line2, (rec, course), &mut out);
    out
}

/// Simulate one patient under one strategy.
#[inline]
pub fn simulate(
    prep: &Prepared,
    key: PatientKey,
    tumour: &Tumour,
    line: &LineDraws,
    strategy: usize,
) -> PatientRecord {
    let mut rec = start(prep, key, tumour, line, strategy, coverage_end(prep, key));
    let waiting = prep.strategies[strategy].waiting;
    rec.course_regimen = rec.regimen;
    let c = if waiting != rec.regimen && rec.start > 0.0 {
        let mut c = course(prep, tumour, line, waiting);
        if waited_course_into(prep, tumour, line, (waiting, rec.start), rec.regimen, &mut c) {
            rec.course_regimen = waiting;
        }
        c
    } else {
        course(prep, tumour, line, rec.regimen)
    };
    treat(prep, key, line, &c, &mut rec);
    rec
}
