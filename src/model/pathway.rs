//! A general multi-state pathway after progression: named states with their own costs,
//! utilities and treatment, and transitions between them, each a time-to-event distribution
//! with its clock reset at entry or running from diagnosis, competing as cause-specific
//! hazards (the individual continuous-time state-transition model of hesim and mstate).
//!
//! A regimen's clinical course hands a progressing patient to a pathway
//! (`after_progression = { pathway = "…" }`): every state of a pathway counts as progressed
//! from the first line (a contract on a course given in a state reads its own progression as
//! entering a state marked `progressed`, its response as entering one marked `response`), death is the built-in absorbing state, and other absorbing states (long-term remission)
//! keep the patient alive to the horizon.

use super::{Slot, TteSpec};
use crate::rng::Process;

/// Most transitions a patient makes in one pathway (a limit of the model, stated in the docs):
/// a patient still moving after them stays in the state reached until the horizon.
pub const MAX_TRANSITIONS: u64 = 1_000;

#[derive(Clone, Debug)]
pub struct Pathway {
    pub name: String,
    /// The state entered at progression.
    pub start: usize,
    pub states: Vec<PathwayState>,
}

/// A state of a pathway.
#[derive(Clone, Debug)]
pub struct PathwayState {
    pub name: String,
    /// Cost per year in the state.
    pub cost: Slot,
    pub utility: Slot,
    /// One-off cost at each entry.
    pub on_entry: Slot,
    /// A cost per year for a stated time after each entry (while still in the state):
    /// (cost per year, duration in years).
    pub after_entry: Option<(Slot, Slot)>,
    /// Regimen whose drugs (and administration) are given while in the state, with its
    /// adverse events at the course's start: a line of therapy. Stays in consecutive states
    /// with one regimen are one course (docs, Model → Courses in pathway states). Its clinical
    /// course is not used.
    pub regimen: Option<usize>,
    /// A test run at each entry (a re-biopsy at progression): its result, after the test's
    /// turnaround, moves the patient to the state its rules choose, unless an exit fires
    /// first.
    pub test: Option<StateTest>,
    /// Entering the state is progression, for a contract reading progression on a course
    /// given in an earlier state (`progressed = true`; docs, Model → Contracts on pathway
    /// states).
    pub progressed: bool,
    /// Entering the state is a response, for a contract or lines.csv reading the response of
    /// a course given in it or in an earlier state (`response = true`).
    pub response: bool,
    /// Ways out, competing; empty for an absorbing state.
    pub exits: Vec<Exit>,
}

/// A test state's test and where its result leads.
#[derive(Clone, Debug)]
pub struct StateTest {
    /// Index into `Model::tests` (a biomarker test; no reflexes or partner are run).
    pub test: usize,
    /// (biomarker read positive, state entered), first match wins.
    pub rules: Vec<(usize, usize)>,
    /// The state entered when no rule matches (a negative reading, or a failed test).
    pub default: usize,
}

/// Where a transition leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    State(usize),
    Death,
}

/// What a transition's time is measured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Time since entering the state the transition leaves (semi-Markov).
    Reset,
    /// Time since diagnosis (Markov in the time of the model): the hazard at time t is the
    /// distribution's hazard at t, whenever the state was entered.
    Forward,
}

/// One transition out of a state: a cause-specific time to event.
#[derive(Clone, Debug)]
pub struct Exit {
    pub to: Target,
    pub time: TteSpec,
    pub clock: Clock,
    /// Hazard ratios for patients whose primary tumour carries a biomarker, or who have a
    /// covariate's level (several multiply): (who, ratio).
    pub prognosis: Vec<(super::Condition, Slot)>,
    /// Time ratios (acceleration factors) for the same: their time to the event is the
    /// distribution's stretched by the ratio, S(t / ratio) (several multiply).
    pub time_ratio: Vec<(super::Condition, Slot)>,
    /// The transition's draws (index: the patient's transition count in the pathway).
    pub process: Process,
}
