//! A patient's walk through a multi-state pathway after progression (docs, Model → Pathways
//! after progression), and its value.
//!
//! The walk is a pure function of the patient's key, tumour and progression time: the course
//! records only when it ends in death, and the ledger asks for it again to value each stay. A
//! stored path would have made every course (and every copy of one) larger in every scenario;
//! instead each thread remembers its last few walks ([`walk`]), so a patient's walk is drawn
//! once and replayed for its value and its drugs.

use super::prepared::Prepared;
use crate::accounting::discount::cycles_before;
use crate::accounting::record::Walker;
use crate::model::pathway::MAX_TRANSITIONS;
use crate::model::{Clock, Condition, Model, Slot, Target};
use crate::rng::Process;
use crate::survival::{DistributionError, TimeToEvent};
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Identities of prepared pathways: a walk remembered for one set of numbers is never replayed
/// for another (a PSA sample's pathways get a new identity; clones of one set keep it).
static GENERATION: AtomicU64 = AtomicU64::new(1);

/// A pathway with concrete numbers.
#[derive(Clone, Debug)]
pub struct PreparedPathway {
    pub start: usize,
    pub states: Vec<PreparedState>,
    /// Where its states' occupancy counts start among every pathway's (`SampleSums::states`).
    pub first_slot: usize,
    /// Some state is marked `response` (the response of its courses is read).
    pub marks_response: bool,
    /// Which set of numbers these are, for the walk memo.
    generation: u64,
    /// Set when a walk made the most transitions allowed ([`MAX_TRANSITIONS`]) before the
    /// horizon: the run warns (shared by the clones of one set of numbers).
    capped: Arc<AtomicBool>,
}

impl PreparedPathway {
    /// Whether some patient's walk stopped at [`MAX_TRANSITIONS`] before the horizon.
    pub fn reached_the_transition_limit(&self) -> bool {
        self.capped.load(Ordering::Relaxed)
    }
}

#[derive(Clone, Debug)]
pub struct PreparedState {
    /// Cost per year in the state.
    pub cost: f64,
    pub utility: f64,
    pub on_entry: f64,
    /// (cost per year, for how long after each entry).
    pub after_entry: Option<(f64, f64)>,
    /// The regimen whose drugs are given while in the state.
    pub regimen: Option<usize>,
    /// A test state's test and where its result leads (see [`crate::model::StateTest`]).
    pub test: Option<crate::model::StateTest>,
    /// Entering the state is progression (for contracts on courses given in states).
    pub progressed: bool,
    /// Entering the state is a response (of the course given in it or in earlier states).
    pub response: bool,
    pub exits: Vec<PreparedExit>,
}

#[derive(Clone, Debug)]
pub struct PreparedExit {
    pub to: Target,
    pub time: TimeToEvent,
    pub forward: bool,
    pub prognosis: Vec<(Condition, f64)>,
    pub time_ratio: Vec<(Condition, f64)>,
    pub process: Process,
}

/// Build a model's pathways at a set of values; an error names the transition whose
/// distribution the values make impossible.
pub fn prepare(
    model: &Model,
    values: &[f64],
) -> Result<Vec<PreparedPathway>, (String, DistributionError)> {
    let v = |s: Slot| values[s.0 as usize];
    let mut out = Vec::with_capacity(model.pathways.len());
    let mut first_slot = 0;
    for p in &model.pathways {
        let mut states = Vec::with_capacity(p.states.len());
        for s in &p.states {
            let mut exits = Vec::with_capacity(s.exits.len());
            for x in &s.exits {
                let to = match x.to {
                    Target::State(k) => p.states[k].name.as_str(),
                    Target::Death => "death",
                };
                let time = x
                    .time
                    .build(values)
                    .map_err(|e| (format!("pathway `{}`: {} → {to}", p.name, s.name), e))?;
                exits.push(PreparedExit {
                    to: x.to,
                    time,
                    forward: x.clock == Clock::Forward,
                    prognosis: x.prognosis.iter().map(|&(b, hr)| (b, v(hr))).collect(),
                    time_ratio: x.time_ratio.iter().map(|&(b, tr)| (b, v(tr))).collect(),
                    process: x.process,
                });
            }
            states.push(PreparedState {
                cost: v(s.cost),
                utility: v(s.utility),
                on_entry: v(s.on_entry),
                after_entry: s.after_entry.map(|(c, d)| (v(c), v(d))),
                regimen: s.regimen,
                test: s.test.clone(),
                progressed: s.progressed,
                response: s.response,
                exits,
            });
        }
        let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
        let capped = Arc::new(AtomicBool::new(false));
        let marks_response = states.iter().any(|s| s.response);
        out.push(PreparedPathway {
            start: p.start,
            first_slot,
            marks_response,
            states,
            generation,
            capped,
        });
        first_slot += p.states.len();
    }
    Ok(out)
}

/// One stay in a state: entered at `entry`, left at `exit` (infinite: never, or not before the
/// walk stopped at the horizon).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stay {
    pub state: usize,
    pub entry: f64,
    pub exit: f64,
    /// The patient's transition count at the entry (0 for the start state): the index of the
    /// draws made at the entry (adverse events of the state's regimen, at index `visit + 1`;
    /// index 0 is the first line's).
    pub visit: u64,
    /// Entry of the course the stay is part of: the stay's own entry, or, when the state
    /// before it gave the same regimen (the course continues), that course's entry.
    pub course: f64,
    /// The stay continues the course of the stay before it (see [`Stay::course`]).
    pub continued: bool,
}

/// The product of the ratios that apply to a patient with this primary tumour status and these
/// covariate levels (1 if none).
#[inline]
fn applying(ratios: &[(Condition, f64)], (primary, levels): (u64, u64)) -> f64 {
    ratios.iter().filter(|(on, _)| on.holds(primary, levels)).map(|&(_, r)| r).product()
}

/// When a transition fires for a patient in its state since `entry`: the cause-specific
/// cumulative hazard HR·H(t/TR) (hazard ratio HR, time ratio TR, both 1 unless the patient
/// carries their biomarkers or has their covariate levels) reaches the exponential variate E = −ln u, counted from the entry
/// (clock reset: T = entry + TR·H⁻¹(E/HR)) or continued from diagnosis (clock forward:
/// HR·H(T/TR) = HR·H(entry/TR) + E). A hazard that has already overflowed by the entry fires
/// at once.
#[inline]
fn fires_at(x: &PreparedExit, u: f64, (primary, levels): (u64, u64), entry: f64) -> f64 {
    let carried = |ratios: &[(Condition, f64)]| applying(ratios, (primary, levels));
    let (ratio, stretch) = (carried(&x.prognosis), carried(&x.time_ratio));
    if !x.forward {
        let t =
            if ratio == 1.0 { x.time.sample(u) } else { x.time.time_at_hazard(-u.ln() / ratio) };
        return entry + if stretch == 1.0 { t } else { stretch * t };
    }
    let h0 = x.time.cumulative_hazard(entry / stretch);
    if !h0.is_finite() {
        return entry;
    }
    (stretch * x.time.time_at_hazard(h0 - u.ln() / ratio)).max(entry)
}

/// Walk pathway `p` from progression at `from` until death, an absorbing state or `horizon`,
/// reporting each stay; returns the time of death (infinite if the patient is alive when the
/// walk stops). Competing transitions: the earliest fires. The n-th transition of the walk
/// draws each exit's uniform at index n of its process, so strategies and the valuation see
/// the same walk.
///
/// The same walk is asked for several times per patient (its death for the course, its stays
/// for the value and for the drugs): each thread keeps its last [`MEMO_WALKS`] walks and
/// replays them, which gives the same stays as drawing again, bit for bit. `stay` must not
/// walk a pathway itself.
pub fn walk(
    prep: &Prepared,
    p: &PreparedPathway,
    who: Walker,
    from: f64,
    stay: impl FnMut(Stay),
) -> f64 {
    walk_counted(prep, p, (who, from), true, stay)
}

/// [`walk`] for reading a course's death hazards before its floored death is known (docs,
/// Model → Population and background mortality): the walk uncut, which the patient may not
/// live to the end of, so reaching the transition limit in it does not make the run warn.
pub fn probe(
    prep: &Prepared,
    p: &PreparedPathway,
    who: Walker,
    from: f64,
    stay: impl FnMut(Stay),
) -> f64 {
    walk_counted(prep, p, (who, from), false, stay)
}

/// [`walk`], marking the pathway as having reached the transition limit only if `count`.
fn walk_counted(
    prep: &Prepared,
    p: &PreparedPathway,
    (who, from): (Walker, f64),
    count: bool,
    mut stay: impl FnMut(Stay),
) -> f64 {
    let horizon = prep.horizon;
    let id =
        WalkId { generation: p.generation, who, from: from.to_bits(), horizon: horizon.to_bits() };
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if let Some(w) = memo.walks.iter().find(|w| w.id == Some(id)) {
            w.stays.iter().copied().for_each(&mut stay);
            if count && w.capped {
                p.capped.store(true, Ordering::Relaxed);
            }
            return w.death;
        }
        let next = memo.next;
        memo.next = (next + 1) % MEMO_WALKS;
        let w = &mut memo.walks[next];
        w.stays.clear();
        let (death, capped) = draw_walk(prep, p, who, from, |s| {
            w.stays.push(s);
            stay(s);
        });
        if count && capped {
            p.capped.store(true, Ordering::Relaxed);
        }
        w.id = Some(id);
        w.death = death;
        w.capped = capped;
        death
    })
}

/// Walks each thread remembers.
const MEMO_WALKS: usize = 4;

/// What determines a walk: the pathway's numbers, the patient, where and when it starts.
#[derive(Clone, Copy, Debug, PartialEq)]
struct WalkId {
    generation: u64,
    who: Walker,
    from: u64,
    horizon: u64,
}

#[derive(Default)]
struct Remembered {
    id: Option<WalkId>,
    stays: Vec<Stay>,
    death: f64,
    /// The walk made the most transitions allowed before the horizon.
    capped: bool,
}

#[derive(Default)]
struct Memo {
    walks: [Remembered; MEMO_WALKS],
    next: usize,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// The walk itself (see [`walk`]), drawn afresh: its death, and whether it made the most
/// transitions allowed. A test state's result comes at its entry plus the test's turnaround,
/// unless an exit fires first (strictly earlier), and leads to the state its rules choose for
/// the reading.
fn draw_walk(
    prep: &Prepared,
    p: &PreparedPathway,
    who: Walker,
    from: f64,
    mut stay: impl FnMut(Stay),
) -> (f64, bool) {
    let horizon = prep.horizon;
    let mut state = p.start;
    let mut entry = from;
    // The regimen of the stay before, and the entry of its course.
    let mut course: (Option<usize>, f64) = (None, from);
    let mut next_stay = |state: usize, entry: f64| {
        let regimen = p.states[state].regimen;
        let continued = regimen.is_some() && regimen == course.0;
        course = (regimen, if continued { course.1 } else { entry });
        (course.1, continued)
    };
    for n in 0..MAX_TRANSITIONS {
        let s = &p.states[state];
        let (mut exit, mut to) = (f64::INFINITY, Target::Death);
        for x in &s.exits {
            let t = fires_at(x, who.key.uniform(x.process, n), (who.primary, who.levels), entry);
            if t < exit {
                (exit, to) = (t, x.to);
            }
        }
        if let Some(test) = &s.test {
            let result = entry + prep.tests[test.test].turnaround;
            if result <= exit {
                (exit, to) = (result, Target::State(read_state_test(prep, test, who, n)));
            }
        }
        // General-population death competes with every transition (a course enters the walk
        // only if progression came before it, so it is never before the entry).
        if who.background < exit {
            (exit, to) = (who.background, Target::Death);
        }
        let (course, continued) = next_stay(state, entry);
        stay(Stay { state, entry, exit, visit: n, course, continued });
        match to {
            _ if !exit.is_finite() => return (f64::INFINITY, false),
            Target::Death => return (exit, false),
            // Alive beyond the horizon: when the patient dies is of no account.
            Target::State(_) if exit >= horizon => return (f64::INFINITY, false),
            Target::State(k) => (state, entry) = (k, exit),
        }
    }
    // The last transition allowed was made: the patient stays in the state reached (until
    // a background death, if any).
    let (course, continued) = next_stay(state, entry);
    let exit = who.background;
    stay(Stay { state, entry, exit, visit: MAX_TRANSITIONS, course, continued });
    (exit, true)
}

/// The death hazard at time `t` of the state a walk through `p` (by `who`, from `from`) is
/// in then: the sum of its transitions to death, each HR·h(x/TR)/TR with x the time on its
/// clock (since the entry, or since diagnosis for a clock forward); 0 outside the walk.
pub fn death_hazard_at(
    prep: &Prepared,
    p: &PreparedPathway,
    (who, from): (Walker, f64),
    t: f64,
) -> f64 {
    let mut hazard = 0.0;
    probe(prep, p, who, from, |stay| {
        if stay.entry <= t && t < stay.exit {
            hazard =
                state_death_hazard(&p.states[stay.state], (who.primary, who.levels), stay.entry, t);
        }
    });
    hazard
}

fn state_death_hazard(s: &PreparedState, who: (u64, u64), entry: f64, t: f64) -> f64 {
    let carried = |ratios: &[(Condition, f64)]| applying(ratios, who);
    s.exits
        .iter()
        .filter(|x| x.to == Target::Death)
        .map(|x| {
            let (ratio, stretch) = (carried(&x.prognosis), carried(&x.time_ratio));
            let clock = if x.forward { t } else { t - entry };
            ratio * x.time.hazard(clock / stretch) / stretch
        })
        .sum()
}

/// Where a test state's result leads a patient entering it at transition count `n`: the
/// test reads the whole tumour (acquired markers included) with its own draws for this entry
/// (index 2 + n: the first line's are 0 and the second line's 1); the first rule whose
/// biomarker reads positive wins, else (negative, or failed) the default.
fn read_state_test(prep: &Prepared, test: &crate::model::StateTest, who: Walker, n: u64) -> usize {
    let tumour = super::patient::tumour(prep, who.key);
    let mut positive = 0;
    let t = &prep.tests[test.test];
    if super::patient::read_biomarkers(prep, who.key, &tumour, 2 + n, t, &mut positive) {
        return test.default;
    }
    test.rules.iter().find(|(b, _)| positive & (1 << b) != 0).map_or(test.default, |&(_, k)| k)
}

/// The discounted value of a walk from progression to death, cut at `end` (the payer's view):
/// state costs (per time, on entry, for a time after entry) and the stays' QALYs and
/// life-years. The drugs of the states' regimens are posted by [`therapy`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WalkValue {
    pub states: f64,
    pub qaly: f64,
    pub ly: f64,
}

/// `weight`: the patient's age-adjusted utility multiplier (see [`super::ledger::value_course`]).
pub fn value(
    prep: &Prepared,
    p: &PreparedPathway,
    who: Walker,
    from: f64,
    (end, weight): (f64, Option<crate::model::UtilityAdjustment<'_>>),
) -> WalkValue {
    let (dc, dq) = (&prep.costs, &prep.outcomes);
    let mut v = WalkValue::default();
    // A stay's exit is the next one's entry: its discount factors are computed once.
    let mut last: (f64, f64, f64) = (f64::NAN, 0.0, 0.0);
    let mut factors = |t: f64| {
        if t != last.0 {
            let c = dc.factor(t);
            last = (t, c, if dq == dc { c } else { dq.factor(t) });
        }
        (last.1, last.2)
    };
    walk(prep, p, who, from, |stay| {
        if stay.entry >= end {
            return;
        }
        let s = &p.states[stay.state];
        let out = stay.exit.min(end);
        let (c_in, q_in) = factors(stay.entry);
        let (c_out, q_out) = factors(out);
        let ly = dq.between(q_in, q_out, stay.entry, out);
        v.ly += ly;
        v.qaly += match weight {
            None => s.utility * ly,
            Some(w) => w.qalys(s.utility, ly, dq, (stay.entry, out)),
        };
        v.states += s.cost * dc.between(c_in, c_out, stay.entry, out) + s.on_entry * c_in;
        if let Some((cost, length)) = s.after_entry {
            let until = (stay.entry + length).min(out);
            v.states += cost * dc.between(c_in, dc.factor(until), stay.entry, until);
        }
        if let Some(r) = s.regimen
            && !stay.continued
        {
            adverse_events(prep, r, who, stay.visit, |ae| v.qaly -= ae.qaly_loss * q_in);
        }
    });
    v
}

/// The adverse events of regimen `r` that a patient starting a course of it in a state (at
/// transition count `visit`) has: each with its probability, on its own draw (index
/// `visit + 1`).
#[inline]
fn adverse_events(
    prep: &Prepared,
    r: usize,
    who: Walker,
    visit: u64,
    mut had: impl FnMut(&super::prepared::PreparedAdverseEvent),
) {
    for ae in &prep.regimens[r].adverse_events {
        if who.key.uniform(ae.process, visit + 1) < ae.probability {
            had(ae);
        }
    }
}

/// The stays of a course's walk through its regimen's pathway (if it has one and the patient
/// progressed before the horizon), with their occupancy slot among every pathway's states:
/// what state occupancy and the lines of therapy count.
pub fn stays_of(
    prep: &Prepared,
    regimen: usize,
    course: &crate::accounting::record::Course,
    mut stay: impl FnMut(usize, Stay),
) {
    let Some(p) = pathway_of(prep, regimen) else { return };
    if course.progression < prep.horizon && course.progression < course.death {
        walk(prep, p, course.walker, course.progression, |s| stay(p.first_slot + s.state, s));
    }
}

/// The treatment given in the states of a walk, cut at `end`: for each stay in a treated
/// state, the cycles of each of its regimen's drugs that start while the patient is in the
/// state, counted from the course's entry (a course continued from the state before keeps its
/// cycles and caps), paid at each cycle start, and the regimen's adverse events at the
/// course's entry; reported as (cost category, amount).
pub fn therapy(
    prep: &Prepared,
    p: &PreparedPathway,
    who: Walker,
    (from, end): (f64, f64),
    mut post: impl FnMut(usize, f64),
) {
    walk(prep, p, who, from, |stay| stay_therapy(prep, p, (who, stay), end, &mut post));
}

/// The treatment of one stay (see [`therapy`]), as (cost category, amount): each drug's cost
/// and its administration, then the adverse events the patient has at the entry; or a test
/// state's test, paid at the entry.
#[inline]
pub fn stay_therapy(
    prep: &Prepared,
    p: &PreparedPathway,
    (who, stay): (Walker, Stay),
    end: f64,
    mut post: impl FnMut(usize, f64),
) {
    let state = &p.states[stay.state];
    if stay.entry >= end {
        return;
    }
    if let Some(test) = &state.test {
        let cost = prep.tests[test.test].cost * prep.costs.factor(stay.entry);
        post(crate::model::CategoryIndex::TESTING, cost);
        return;
    }
    let Some(r) = state.regimen else { return };
    let cat = prep.categories();
    let out = stay.exit.min(end);
    let start = stay.course;
    let c_in = prep.costs.factor(start);
    for drug in &prep.regimens[r].drugs {
        let cycles =
            |t: f64| cycles_before(start, t, drug.schedule, drug.max_cycles, drug.max_duration);
        // Cycles [before, n) start in this stay (before = 0 unless the course continues).
        let (before, n) = (if stay.continued { cycles(stay.entry) } else { 0 }, cycles(out));
        if n > before {
            let sums = &drug.cycle_sums;
            let pv = c_in * if before == 0 { sums.get(n) } else { sums.get(n) - sums.get(before) };
            post(cat.drug(drug.drug), drug.price * pv);
            post(cat.administration(), drug.administration * pv);
        }
    }
    if !stay.continued {
        adverse_events(prep, r, who, stay.visit, |ae| post(cat.adverse_events(), ae.cost * c_in));
    }
}

/// The pathway a regimen's progression enters, if any.
#[inline]
pub fn pathway_of(prep: &Prepared, regimen: usize) -> Option<&PreparedPathway> {
    use super::prepared::{PreparedAfter, PreparedCourse};
    match &prep.regimens[regimen].course {
        PreparedCourse::Clinical { after_progression: PreparedAfter::Pathway(k), .. } => {
            Some(&prep.pathways[*k])
        }
        _ => None,
    }
}
