//! The engine loop: patients in fixed chunks, chunks in parallel waves, sums merged in order.
//!
//! A chunk's patients are fixed by the chunk index and every draw is addressed by
//! (seed, sample, patient, process), so each chunk's sums are the same whichever thread
//! computes them; merging them in chunk order makes the totals bit-identical for any number
//! of threads. Waves bound memory: only one wave of chunk sums exists at a time.

use super::accumulator::{
    BelowBackground, Line, LineSums, SampleSums, StateCounts, SubgroupSums, SurvivalCounts,
};
use super::budget;
use super::cohort_courses;
use super::deferred::{self, Deferred, Open, Pair, post_cash, post_fixed};
use super::design::{DesignScratch, PointSums};
use super::exposure::{
    StartFactors, Walked, covered_exposure, documented, exposure_from, pathway_cash, pathway_units,
};
use super::pathway::Stay;
use super::patient::{
    FIRST_LINE, LineDraws, LineProcesses, Tumour, course_into, coverage_end, pathway,
    second_line_into as second_line_of, treat, tumour, waited_course_into,
};
use super::prepared::Prepared;
use super::subgroups::{NO_GROUPS, unpack};
use crate::accounting::record::{Course, Outcomes, PatientRecord, blank};
use crate::contracts::Kind;
use crate::contracts::cohort::{CalendarSums, CohortTerms, Placement};
use crate::contracts::{self, Exposure};
use crate::rng::{PatientKey, SampleKey};
use crate::sim::ledger::{
    CourseValue, Ledger, post_course, post_pathway_therapy, post_treatment_with, value_course,
};
use rayon::prelude::*;

/// Patients per chunk: large enough to amortise scheduling, small enough to balance load.
pub const CHUNK: u64 = 2048;
/// Patients whose shared draws are computed together.
const BLOCK: usize = 16;
/// Chunks per wave.
pub const WAVE: u64 = 64;

/// What a run simulates: which sample and how many patients (the comparator and the arms'
/// references are the model's: [`Prepared::references`]).
#[derive(Clone, Copy, Debug)]
pub struct SampleSpec {
    pub seed: u64,
    pub sample: u64,
    pub patients: u64,
}

/// Last month of the survival grid for a horizon in years.
pub fn grid_months(horizon: f64) -> usize {
    (horizon * 12.0 + 1e-9).floor() as usize
}

/// Simulate one sample. `progress` is called after each wave with (patients done, total).
///
/// Cohort-level contracts need each calendar year of a population surveyed (spend, patients
/// treated, outcomes) before any of its patients can be settled. Populations of up to
/// `deferred::SINGLE_PASS_POPULATION` patients are settled in one pass (see the `deferred`
/// module); larger ones in two: a survey of the cohort arms, then a settlement of
/// every patient. Both give the same sums to the last bit.
pub fn simulate_sample(
    prep: &Prepared,
    spec: SampleSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> SampleSums {
    if !prep.has_cohort_contracts() {
        return simulate_pass(prep, spec, Pass::Settle, progress);
    }
    let single = cohort_terms(prep).iter().all(|t| t.size() <= deferred::SINGLE_PASS_POPULATION);
    if single {
        return simulate_pass(prep, spec, Pass::Defer, progress);
    }
    simulate_two_passes(prep, spec, progress)
}

/// The cohort-level contracts' terms.
fn cohort_terms(prep: &Prepared) -> Vec<&CohortTerms<f64>> {
    prep.contracts
        .iter()
        .filter_map(|c| match &c.kind {
            Kind::Cohort(terms) => Some(terms),
            _ => None,
        })
        .collect()
}

/// Cohort-level contracts settled in two passes: a survey of the cohort arms' calendar years,
/// then every arm with the refund fractions it fixes.
pub fn simulate_two_passes(
    prep: &Prepared,
    spec: SampleSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> SampleSums {
    let n = spec.patients;
    let survey = simulate_pass(prep, spec, Pass::Survey, &mut |done, _| progress(done, 2 * n));
    // This model with every cohort arm's refund fractions from the survey of the same patients.
    let mut settled = prep.clone();
    settled.cohort_fractions = deferred::fractions(prep, &survey, n);
    let mut sums =
        simulate_pass(&settled, spec, Pass::Settle, &mut |done, _| progress(n + done, 2 * n));
    // The settling pass does not survey again: the calendar counts are the survey's.
    for (k, surveyed) in sums.contracts.iter_mut().zip(survey.contracts) {
        k.calendar = surveyed.calendar;
    }
    sums
}

/// What a pass over the patients computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pass {
    /// Only the calendar-year counts of the cohort-level contract arms: the patients' courses
    /// and treatment, no valuation and no other arm.
    Survey,
    /// Every arm settled (cohort arms with the refund fractions of a finished survey).
    Settle,
    /// Every arm settled; cohort arms surveyed on the way and settled as soon as the
    /// populations a chunk touches are complete.
    Defer,
}

fn simulate_pass(
    prep: &Prepared,
    spec: SampleSpec,
    pass: Pass,
    progress: &mut dyn FnMut(u64, u64),
) -> SampleSums {
    let layout = Layout::new(prep, spec.patients, pass == Pass::Defer, prep.base_case);
    // The first chunk's sums become the total (a small PSA sample has one chunk: building an
    // empty total and adding the chunk to it was a visible share of its fixed cost).
    let mut total: Option<SampleSums> = None;
    let chunks = spec.patients.div_ceil(CHUNK);
    let key = SampleKey::new(spec.seed, spec.sample);
    // Deferred settlements wait for their populations: smaller waves hold fewer of them.
    let wave = if layout.defer { WAVE.min(4 * rayon::current_num_threads() as u64) } else { WAVE };
    let terms = cohort_terms(prep);
    let mut waiting: Vec<Deferred> = Vec::new();
    // Settled chunks' buffers, cleared and handed to later chunks: freeing them let the
    // allocator return their pages, and every chunk then faulted fresh ones in.
    let mut spare: Vec<Deferred> = Vec::new();
    let mut first = 0;
    while first < chunks {
        let last = (first + wave).min(chunks);
        let buffers: Vec<Deferred> =
            (first..last).map(|_| spare.pop().unwrap_or_default()).collect();
        let partial: Vec<(SampleSums, Deferred)> = buffers
            .into_par_iter()
            .enumerate()
            .map(|(i, buffer)| {
                let lo = (first + i as u64) * CHUNK;
                let hi = (lo + CHUNK).min(spec.patients);
                match pass {
                    Pass::Survey => (survey_chunk(prep, &layout, key, lo..hi), buffer),
                    Pass::Settle | Pass::Defer => {
                        simulate_chunk(prep, &layout, key, lo..hi, buffer)
                    }
                }
            })
            .collect();
        for (p, d) in partial {
            match &mut total {
                Some(t) => t.merge(&p),
                None => total = Some(p),
            }
            if layout.defer {
                waiting.push(d);
            }
        }
        let done = (last * CHUNK).min(spec.patients);
        let ready = |d: &Deferred| deferred::needed(&terms, d.end, spec.patients) <= done;
        let n_ready = waiting.iter().take_while(|d| ready(d)).count();
        if n_ready > 0 {
            // Chunks settle independently (in parallel) and merge in chunk order.
            let total = total.get_or_insert_with(|| layout.empty());
            let fractions = deferred::fractions(prep, total, spec.patients);
            let settled: Vec<(SampleSums, Deferred)> = waiting
                .drain(..n_ready)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|mut d| {
                    let mut sums = layout.empty();
                    deferred::settle(prep, &fractions, &d, &mut sums);
                    d.clear();
                    (sums, d)
                })
                .collect();
            for (s, d) in settled {
                total.merge(&s);
                spare.push(d);
            }
        }
        progress(done, spec.patients);
        first = last;
    }
    debug_assert!(waiting.is_empty());
    total.unwrap_or_else(|| layout.empty())
}

/// Where each strategy's arms sit in the sums.
struct Layout {
    /// Per strategy: its list arm and its (contract arm, contract) pairs.
    list_arm: Vec<usize>,
    contract_arms: Vec<Vec<(usize, usize)>>,
    /// Per arm: the comparator's arm under the same contract when the arm's increments are
    /// against it ([`crate::model::Model::references`]; the comparator's own contract arms
    /// pair with themselves).
    pairs: Vec<Option<usize>>,
    /// Per strategy other than the comparator: some contract arm of it is paired.
    paired: Vec<bool>,
    /// Per strategy: its `list` contracts settled on the list arm (slot, contract): their
    /// cash is the list arm's, posted to their contract sums only.
    list_rows: Vec<Vec<(usize, usize)>>,
    /// Contract sums: one per arm, then one per list row.
    slots: usize,
    comparator: usize,
    contracts: usize,
    categories: usize,
    months: usize,
    /// Whether patients need an arrival time (some contract is cohort-level).
    cohort: bool,
    /// Per arm: calendar years of its cohort-level contract (0 for other arms).
    calendar_years: Vec<usize>,
    /// Per strategy: its cohort-level contract arms (arm, contract).
    cohort_arms: Vec<Vec<(usize, usize)>>,
    /// Simulated patients per strategy (cohort-level contracts cut them into populations).
    patients: u64,
    /// Per regimen: the contracts covering it.
    contracted: Vec<Vec<usize>>,
    /// Per strategy: some contract arm covers a regimen given in a pathway state.
    in_pathways: Vec<bool>,
    /// The contracts covering a regimen given in a pathway state.
    pathway_contracts: Vec<usize>,
    /// Per strategy: some contract arm charges every patient (fixed yearly administration).
    charges_all: Vec<bool>,
    /// Whether some regimen has a second line.
    second_lines: bool,
    /// Whether each strategy's survival grid and pathway-state occupancy are counted (the base
    /// case only: survival.csv).
    survival: bool,
    /// Whether the patients' general-population survival is counted (`[population]`, the base
    /// case only).
    general_population: bool,
    /// Whether cohort-arm settlements are deferred (and surveyed on the way).
    defer: bool,
    /// Budget impact: its years (0 without one).
    budget_years: usize,
    /// States of every pathway after progression (their occupancy is counted in the base
    /// case).
    pathway_states: usize,
    /// Levels of all subgroups together when they are counted (`Prepared::count_subgroups`;
    /// else 0: no subgroup sums).
    subgroups: usize,
    /// Line slots per strategy ([`Line::slot`]); 0 when lines are not counted.
    line_slots: usize,
    /// Contract designs' point sums ([`super::design::PointSums`]; 0 without designs).
    design_cells: usize,
    /// Contract designs' budget cells (point × year; 0 without a budget impact).
    design_budget_cells: usize,
}

impl Layout {
    /// `base_case`: whether to count what only a run's base case writes
    /// ([`Prepared::base_case`]): the lines of therapy and the survival grids.
    fn new(prep: &Prepared, patients: u64, defer: bool, base_case: bool) -> Self {
        let comparator = prep.comparator;
        let strategies = prep.strategies.len();
        let mut list_arm = vec![0; strategies];
        let mut contract_arms = vec![Vec::new(); strategies];
        for (i, arm) in prep.arms.iter().enumerate() {
            match arm.contract {
                None => list_arm[arm.strategy] = i,
                Some(c) => contract_arms[arm.strategy].push((i, c)),
            }
        }
        let mut list_rows = vec![Vec::new(); strategies];
        for row in prep.settlements.iter().filter(|r| r.slot != r.arm) {
            list_rows[row.strategy].push((row.slot, row.contract));
        }
        let settled: Vec<Vec<(usize, usize)>> =
            contract_arms.iter().zip(&list_rows).map(|(a, l)| [&a[..], &l[..]].concat()).collect();
        let pairs: Vec<Option<usize>> = (0..prep.arms.len())
            .map(|a| {
                let r = prep.references[a];
                prep.arms[r].contract.is_some().then_some(r)
            })
            .collect();
        let paired = (0..strategies)
            .map(|s| s != comparator && contract_arms[s].iter().any(|&(a, _)| pairs[a].is_some()))
            .collect();
        Layout {
            list_arm,
            pairs,
            paired,
            contract_arms: contract_arms.clone(),
            slots: prep.arms.len() + list_rows.iter().map(Vec::len).sum::<usize>(),
            list_rows,
            comparator,
            contracts: prep.contracts.len(),
            categories: prep.categories().len(),
            months: grid_months(prep.horizon),
            cohort: prep.has_cohort_contracts(),
            calendar_years: prep
                .arms
                .iter()
                .map(|a| match a.contract.map(|c| &prep.contracts[c].kind) {
                    Some(Kind::Cohort(terms)) => terms.years as usize,
                    _ => 0,
                })
                .collect(),
            cohort_arms: contract_arms
                .iter()
                .map(|arms| {
                    let cohort = |c: usize| matches!(prep.contracts[c].kind, Kind::Cohort(_));
                    arms.iter().copied().filter(|&(_, c)| cohort(c)).collect()
                })
                .collect(),
            patients,
            contracted: (0..prep.regimens.len())
                .map(|g| {
                    (0..prep.contracts.len())
                        .filter(|&c| prep.contracts[c].regimens.contains(&g))
                        .collect()
                })
                .collect(),
            second_lines: prep.regimens.iter().any(|r| r.second_line.is_some()),
            survival: base_case,
            general_population: base_case && prep.background.is_some(),
            defer,
            budget_years: prep.budget.as_ref().map_or(0, |b| b.years),
            pathway_states: prep.pathways.iter().map(|p| p.states.len()).sum(),
            subgroups: if prep.count_subgroups { prep.subgroups.levels } else { 0 },
            line_slots: if base_case {
                Line::Pathway.slot(0, prep.regimens.len())
                    + prep.pathways.iter().map(|p| p.states.len()).sum::<usize>()
            } else {
                0
            },
            pathway_contracts: (0..prep.contracts.len())
                .filter(|&c| prep.contracts[c].in_pathways)
                .collect(),
            in_pathways: settled
                .iter()
                .map(|arms| arms.iter().any(|&(_, c)| prep.contracts[c].in_pathways))
                .collect(),
            charges_all: contract_arms
                .iter()
                .map(|arms| arms.iter().any(|&(_, c)| prep.contracts[c].admin_per_entrant > 0.0))
                .collect(),
            design_cells: prep.designs.iter().map(super::design::PreparedDesign::cells).sum(),
            design_budget_cells: prep
                .designs
                .iter()
                .filter_map(|d| d.budget.as_ref().map(|(kinds, _)| kinds.len()))
                .sum::<usize>()
                * prep.budget.as_ref().map_or(0, |b| b.years),
        }
    }

    fn empty(&self) -> SampleSums {
        let arms = self.list_arm.len() + self.contract_arms.iter().map(Vec::len).sum::<usize>();
        let mut sums = SampleSums::new((arms, self.slots), self.contracts, self.categories);
        if self.survival {
            sums.survival = vec![SurvivalCounts::new(self.months); self.list_arm.len()];
        }
        for (k, &years) in sums.contracts.iter_mut().zip(&self.calendar_years) {
            k.calendar = CalendarSums::new(years);
        }
        if self.pathway_states > 0 && self.survival {
            let counts = vec![StateCounts::new(self.months); self.pathway_states];
            sums.states = vec![counts; self.list_arm.len()];
        }
        sums.lines = vec![vec![LineSums::default(); self.line_slots]; self.list_arm.len()];
        if self.general_population {
            sums.general_population = vec![SurvivalCounts::new(self.months)];
            if self.line_slots > 0 {
                // The base case only (as the lines of therapy).
                sums.below_background = vec![BelowBackground::default(); self.list_arm.len()];
            }
        }
        sums.subgroups =
            vec![SubgroupSums::new((arms, self.slots), self.contracts); self.subgroups];
        sums.designs = vec![PointSums::default(); self.design_cells];
        sums.design_budget = vec![[0.0; 4]; self.design_budget_cells];
        if self.budget_years > 0 {
            sums.budget = vec![0.0; arms * self.budget_years * self.categories];
            let events = super::accumulator::BUDGET_EVENTS.len();
            sums.budget_events = vec![0; arms * self.budget_years * events];
            sums.budget_calendar = vec![CalendarSums::new(self.budget_years); arms];
        }
        sums
    }
}

/// Simulate and account one chunk of patients under every strategy into the chunk's sums (and
/// its deferred cohort settlements).
///
/// Why one long function: it is the engine's hot loop, and its per-patient working state
/// (totals, outcomes and contract differences per arm, the shared courses, the start factors)
/// lives in locals that the compiler keeps in registers across the strategies of a patient;
/// the pieces that stand alone (a patient's way through a strategy, the settlement of its
/// contract arms, the budget view) are already functions of their own.
fn simulate_chunk(
    prep: &Prepared,
    layout: &Layout,
    key: SampleKey,
    patients: std::ops::Range<u64>,
    mut deferred: Deferred,
) -> (SampleSums, Deferred) {
    let strategies = prep.strategies.len();
    let mut sums = layout.empty();
    deferred.end = patients.end;
    if layout.defer {
        // At most one pending settlement per patient and cohort arm: reserved up front, since
        // growing these buffers by doubling copied them a dozen times per chunk.
        let cohort_arms = layout
            .contract_arms
            .iter()
            .flatten()
            .filter(|&&(_, ci)| matches!(prep.contracts[ci].kind, Kind::Cohort(_)))
            .count();
        let most = (patients.end - patients.start) as usize * cohort_arms;
        deferred.pending.reserve_exact(most);
        deferred.shares.reserve(2 * most);
    }
    // Per cohort arm (deferred): the patient's settlement waiting for its refund fractions.
    let mut open: Vec<Option<usize>> = vec![None; sums.contracts.len()];
    let mut budget_scratch = budget::Scratch::default();
    let first_line = LineProcesses::new(FIRST_LINE);
    let arms = sums.arms.len();
    let mut totals = vec![0.0; arms];
    let mut outcomes = vec![Outcomes::default(); arms];
    // Per contract slot: the patient's cost difference from the list arm, if settled.
    let mut deltas: Vec<Option<f64>> = vec![None; sums.contracts.len()];
    // Per strategy: whether any of its contract arms touched the patient.
    let mut touched = vec![false; strategies];
    let mut scratch = Scratch::new(prep);
    let mut designs = DesignScratch::new(prep);
    let has_designs = !prep.designs.is_empty();
    let mut starts = StartFactors::new();
    let (mut walk, mut merged) = (Vec::new(), Vec::new());
    let mut stays = Vec::new();
    // Per regimen: the course value a strategy computed, and the patient it is of (an entry
    // of another patient is stale: nothing is cleared per patient, where clearing the table
    // had been a `memset` call).
    let mut values: Vec<(u64, CourseValue)> =
        vec![(u64::MAX, CourseValue::default()); prep.regimens.len()];
    let count_lines_of = layout.line_slots > 0;
    let mut walks = SharedWalks::new(prep, count_lines_of);
    let has_pathways = !prep.pathways.is_empty();
    // Patients go through in blocks: first every patient's shared draws (independent `ln`
    // calls that the processor can overlap), then each patient's trajectories.
    let mut block =
        [(0u64, PatientKey::default(), Tumour::default(), LineDraws::default(), 0.0f64); BLOCK];
    let mut next = patients.start;
    while next < patients.end {
        let size = (patients.end - next).min(BLOCK as u64) as usize;
        for (i, slot) in block[..size].iter_mut().enumerate() {
            let pk = key.patient(next + i as u64);
            *slot = (
                next + i as u64,
                pk,
                tumour(prep, pk),
                LineDraws::of_patient(prep, pk, &first_line),
                coverage_end(prep, pk),
            );
        }
        for (i, pk, tumour, line, covered) in &block[..size] {
            if layout.defer {
                // The pending settlements of the next few patients go to memory the last wave
                // settled long ago: fetching it now keeps their stores from stalling.
                prefetch_past_end(&deferred.pending, PREFETCH_AHEAD, 4);
                prefetch_past_end(&deferred.shares, PREFETCH_AHEAD / 2, 2);
            }
            if let (Some(b), Some(counts)) = (&prep.background, sums.general_population.first_mut())
            {
                // The patient's death on general-population mortality alone: B, the first
                // background candidate (the added mode's death).
                let death = match line.person {
                    Some(_) => line.candidate,
                    None => b.death(*pk, b.person(*pk), prep.horizon),
                };
                counts.add(death, death);
            }
            let patient = scratch.patient(prep, *pk, tumour, line, *covered);
            // The patient's subgroup levels (when counted, with `[subgroups]`), counted once.
            let groups = if layout.subgroups > 0 {
                let groups = prep.subgroups.of(tumour.primary, line.person);
                for g in unpack(groups) {
                    sums.subgroups[g].patients += 1;
                }
                groups
            } else {
                NO_GROUPS
            };
            // The patient's age-adjusted utility multiplier, if the scenario has norms.
            let weight = match (&prep.background, line.person) {
                (Some(b), Some(who)) => b.utility_weight(who),
                _ => None,
            };
            if has_pathways {
                walks.known.fill(false);
            }
            for (s, touched_s) in touched.iter_mut().enumerate() {
                let Way { rec, course: c, second, valued_as, shared, line2 } =
                    scratch.way(prep, layout, &patient, s);
                if let Some(check) = sums.below_background.get_mut(s)
                    && *i < BACKGROUND_CHECK_PATIENTS
                {
                    let way = super::patient::Way {
                        rec,
                        course: c,
                        valued_as,
                        second: line2.as_ref().zip(second.as_ref().map(|(_, whole)| whole)),
                    };
                    let tumours = (patient.tumour, &patient.at_diagnosis);
                    watch_background(prep, (*pk, s), (tumours, patient.line), &way, check);
                }
                // The course valued: through both lines when a second line was taken.
                let valued = match second {
                    Some((_, whole)) if whole.second.is_some() => whole,
                    _ => c,
                };
                // Strategies reaching the same regimen share the patient's course and its value.
                // (Read in place, not copied out: the copy had been a visible share.)
                let fresh;
                let value = if shared && std::ptr::eq(valued, c) {
                    let (of, cached) = &mut values[rec.regimen];
                    if *of != *i {
                        *cached = value_course(prep, rec.regimen, c, (*covered, weight));
                        *of = *i;
                    }
                    &*cached
                } else {
                    fresh = value_course(prep, valued_as, valued, (*covered, weight));
                    &fresh
                };
                let second = second.as_ref().map(|(rec2, _)| rec2);
                if count_lines_of {
                    count_lines(prep, (rec, second), &mut sums.lines[s]);
                }
                let list = layout.list_arm[s];
                let mut ledger = Ledger::new(&mut sums.arms[list].categories);
                post_course(prep, value, &mut ledger);
                if has_pathways {
                    let course =
                        if shared && std::ptr::eq(valued, c) { None } else { Some(valued) };
                    let first_state = Line::Pathway.slot(0, prep.regimens.len());
                    let lines = sums.lines[s].get_mut(first_state..).unwrap_or_default();
                    let occupancy = sums.states.get_mut(s).map(|c| &mut c[..]).unwrap_or_default();
                    let counts = (occupancy, lines);
                    let out = (&mut ledger, counts);
                    walks.post(prep, (rec.regimen, valued_as), (c, course), *covered, out);
                }
                let mut start_factor = |t0| starts.at(prep, t0).0;
                let mut loss = post_treatment_with(prep, rec, &mut ledger, &mut start_factor);
                if let Some(rec2) = &second {
                    loss += post_treatment_with(prep, rec2, &mut ledger, &mut start_factor);
                }
                outcomes[list] = Outcomes { qaly: value.outcomes.qaly - loss, ..value.outcomes };
                totals[list] = ledger.total;
                if let Some(counts) = sums.survival.get_mut(s) {
                    counts.add(rec.progression.min(rec.death), rec.death);
                }
                if s == layout.comparator {
                    // Only a treated comparator patient can pay for a contracted drug.
                    for r in std::iter::once(rec).chain(second).filter(|r| r.treated) {
                        for &ci in &layout.contracted[r.regimen] {
                            let drug = prep.contracts[ci].drug;
                            if let Some(x) = exposure_from(prep, r, drug, true, &mut starts) {
                                let units = x.list().0;
                                sums.comparator_units[ci] += units;
                                for g in unpack(groups) {
                                    sums.subgroups[g].comparator_units[ci] += units;
                                }
                            }
                        }
                    }
                    // ... including its courses in pathway states.
                    for &ci in &layout.pathway_contracts {
                        let walked =
                            Walked { regimen: valued_as, course: valued, coverage_end: *covered };
                        let scratch = (&mut stays, &mut starts);
                        let units = pathway_units(prep, ci, walked, scratch);
                        sums.comparator_units[ci] += units;
                        for g in unpack(groups) {
                            sums.subgroups[g].comparator_units[ci] += units;
                        }
                    }
                }
                let lines = (rec, second);
                let out = Settled {
                    sums: &mut sums,
                    deltas: &mut deltas,
                    open: &mut open,
                    deferred: &mut deferred,
                    starts: &mut starts,
                    walk: &mut walk,
                    merged: &mut merged,
                    stays: &mut stays,
                    groups,
                };
                let walked = Walked { regimen: valued_as, course: valued, coverage_end: *covered };
                *touched_s = settle_contract_arms(prep, layout, s, (*i, *pk), lines, walked, out);
                if has_designs {
                    designs.settle(prep, s, lines, *pk, &mut starts);
                    if let Some(b) = &prep.budget
                        && b.strategy == s
                        && layout.design_budget_cells > 0
                    {
                        let arrival = pk.uniform(prep.arrival, 0);
                        designs.budget(prep, lines, *pk, arrival, &mut sums.design_budget);
                    }
                }
                if let Some(b) = &prep.budget
                    && b.followed[s]
                {
                    let arms = budget::Arms { list, contracts: &layout.contract_arms[s] };
                    let arrival = pk.uniform(prep.arrival, 0);
                    let scratch = &mut budget_scratch;
                    let course = (valued, valued_as);
                    budget::account(b, arms, *pk, arrival, lines, course, scratch, &mut sums);
                }
            }
            let reference_arm = layout.list_arm[layout.comparator];
            let reference = (totals[reference_arm], outcomes[reference_arm]);
            let comparator_touched = touched[layout.comparator];
            if has_designs {
                let list_arm = |s: usize| {
                    let list = layout.list_arm[s];
                    (totals[list], outcomes[list].qaly)
                };
                let reference = (reference.0, reference.1.qaly);
                designs.post(prep, list_arm, reference, &mut sums.designs);
            }
            for (s, &touched_s) in touched.iter().enumerate() {
                let list = layout.list_arm[s];
                sums.arms[list].add(totals[list], &outcomes[list], (reference.0, &reference.1));
                if groups != NO_GROUPS {
                    for g in unpack(groups) {
                        let sub = &mut sums.subgroups[g].arms[list];
                        sub.add(totals[list], &outcomes[list], (reference.0, &reference.1));
                    }
                }
                // An arm compared with the comparator under the same contract moves with the
                // comparator's settlement even where its own contract leaves the patient be.
                if !(touched_s || (comparator_touched && layout.paired[s])) {
                    continue;
                }
                for &(arm, ci) in &layout.contract_arms[s] {
                    let own = if touched_s { deltas[arm] } else { None };
                    let pair = layout.pairs[arm].filter(|_| comparator_touched);
                    let theirs = pair.and_then(|p| deltas[p]);
                    let (own_open, their_open) = (open[arm], pair.and_then(|p| open[p]));
                    if own_open.is_some() || their_open.is_some() {
                        // Deferred: settled once the population's refund fractions are known.
                        let i = match own_open {
                            Some(i) => i,
                            // Nothing of its own to settle: a zero placeholder that carries
                            // the comparator's difference into the arm's increments.
                            None => deferred.open(arm, ci, Open::Fixed(0.0)),
                        };
                        let pending = &mut deferred.pending[i];
                        pending.list = totals[list];
                        pending.qaly = outcomes[list].qaly;
                        pending.reference = (reference.0, reference.1.qaly);
                        pending.groups = groups;
                        pending.pair = match (their_open, theirs) {
                            (Some(j), _) => Pair::Open(j as u32),
                            (None, Some(d)) => Pair::Known(d),
                            (None, None) => Pair::None,
                        };
                        continue;
                    }
                    let delta = own.unwrap_or(0.0);
                    let theirs = theirs.unwrap_or(0.0);
                    if delta != 0.0 || theirs != 0.0 {
                        // A difference of exactly zero (a list contract; one the patient did not
                        // trigger, without administration) adds exactly zero to every sum: the
                        // sums start at +0, so none of them is ever −0 (validated inputs keep
                        // totals finite, where 0·∞ would have made a NaN).
                        sums.arms[arm].add_correction(
                            totals[list],
                            (delta, theirs),
                            &outcomes[list],
                            (reference.0, &reference.1),
                        );
                        for g in unpack(groups) {
                            sums.subgroups[g].arms[arm].add_correction(
                                totals[list],
                                (delta, theirs),
                                &outcomes[list],
                                (reference.0, &reference.1),
                            );
                        }
                    }
                }
            }
            if layout.defer {
                open.fill(None);
            }
        }
        sums.patients += size as u64;
        next += size as u64;
    }
    (sums, deferred)
}

/// A patient's walks through pathways after progression, kept per regimen for the strategies
/// that share its course: the postings of the drugs given in pathway states, the stays (for
/// state occupancy) and the time on each treated state's line, so that each strategy replays
/// them instead of walking again.
struct SharedWalks {
    postings: Vec<Vec<(usize, f64)>>,
    /// (occupancy slot, entry, exit) of each stay.
    stays: Vec<Vec<(usize, f64, f64)>>,
    /// (occupancy slot, time on treatment, responded) of each treated state entered.
    lines: Vec<Vec<LineTime>>,
    /// Per regimen: whether `postings`, `stays` and `lines` hold this patient's.
    known: Vec<bool>,
    /// Per state of every pathway: if it gives a regimen (a line of therapy), how long after
    /// a course's entry its drugs can be given at most
    /// ([`super::prepared::PreparedRegimen::drug_span`]).
    treated: Vec<Option<f64>>,
    /// The line times of a strategy's own course (not shared), while they are counted.
    own: Vec<LineTime>,
    /// The stays of the walk whose line times are being counted (working space).
    walked: Vec<super::pathway::Stay>,
    /// Whether lines of therapy are counted (see [`Layout::line_slots`]).
    count_lines: bool,
}

impl SharedWalks {
    fn new(prep: &Prepared, count_lines: bool) -> Self {
        SharedWalks {
            postings: vec![Vec::new(); prep.regimens.len()],
            stays: vec![Vec::new(); prep.regimens.len()],
            lines: vec![Vec::new(); prep.regimens.len()],
            known: vec![false; prep.regimens.len()],
            treated: prep
                .pathways
                .iter()
                .flat_map(|p| {
                    p.states.iter().map(|s| s.regimen.map(|r| prep.regimens[r].drug_span))
                })
                .collect(),
            own: Vec::new(),
            walked: Vec::new(),
            count_lines,
        }
    }

    /// The shared course `c` of `regimen`, walked once for this patient: its stays, the
    /// postings of their drugs (as `ledger::pathway_therapy` makes them, from the same stays)
    /// and the time on each treated state's line.
    fn walk(&mut self, prep: &Prepared, regimen: usize, c: &Course, covered: f64) {
        if self.known[regimen] {
            return;
        }
        self.known[regimen] = true;
        let (postings, stays) = (&mut self.postings[regimen], &mut self.stays[regimen]);
        let lines = &mut self.lines[regimen];
        postings.clear();
        stays.clear();
        lines.clear();
        let Some(p) = super::pathway::pathway_of(prep, regimen) else { return };
        if !(c.progression < prep.horizon && c.progression < c.death) {
            return;
        }
        let end = covered.min(c.death);
        let (walked, treated, horizon) = (&mut self.walked, &self.treated, prep.horizon);
        // Without response states each stay's line time is known at once; with them, after
        // the walk (a course's response may come in a later stay).
        let (count, whole) = (self.count_lines, self.count_lines && p.marks_response);
        walked.clear();
        super::pathway::walk(prep, p, c.walker, c.progression, |stay| {
            let slot = p.first_slot + stay.state;
            stays.push((slot, stay.entry, stay.exit));
            if whole {
                walked.push(stay);
            } else if count {
                line_time(lines, (slot, treated[slot]), stay, (horizon, false));
            }
            if c.progression < end {
                super::pathway::stay_therapy(prep, p, (c.walker, stay), end, |category, x| {
                    postings.push((category, x))
                });
            }
        });
        if whole {
            line_times(p, walked, (treated, horizon), lines);
        }
    }

    /// Post a strategy's pathway drugs and count its stays (occupancy, and the lines of its
    /// treated states): the shared course `c` of `regimen`, or (`Some`) a course of its own
    /// valued as on `valued_as`.
    #[inline(never)]
    fn post(
        &mut self,
        prep: &Prepared,
        (regimen, valued_as): (usize, usize),
        (c, own): (&Course, Option<&Course>),
        covered: f64,
        (ledger, (counts, lines)): PathwaySums<'_, '_>,
    ) {
        if let Some(own) = own {
            post_pathway_therapy(prep, valued_as, own, covered, ledger);
            if counts.is_empty() && !self.count_lines {
                // Neither occupancy nor lines are counted (not the base case): no stays needed.
                return;
            }
            let (walked, times) = (&mut self.walked, &mut self.own);
            let (treated, horizon) = (&self.treated, prep.horizon);
            let marks =
                super::pathway::pathway_of(prep, valued_as).is_some_and(|p| p.marks_response);
            let (count, whole) = (self.count_lines, self.count_lines && marks);
            walked.clear();
            times.clear();
            super::pathway::stays_of(prep, valued_as, own, |slot, stay| {
                if let Some(count) = counts.get_mut(slot) {
                    count.add(stay.entry, stay.exit);
                }
                if whole {
                    walked.push(stay);
                } else if count {
                    line_time(times, (slot, treated[slot]), stay, (horizon, false));
                }
            });
            if whole && let Some(p) = super::pathway::pathway_of(prep, valued_as) {
                line_times(p, walked, (treated, horizon), times);
            }
            for &(slot, time, responded) in &self.own {
                lines[slot].add(responded, time);
            }
            return;
        }
        self.walk(prep, regimen, c, covered);
        for &(category, amount) in &self.postings[regimen] {
            ledger.post(category, amount);
        }
        if !counts.is_empty() {
            for &(slot, entry, exit) in &self.stays[regimen] {
                counts[slot].add(entry, exit);
            }
        }
        for &(slot, time, responded) in &self.lines[regimen] {
            lines[slot].add(responded, time);
        }
    }
}

/// Where a strategy's pathway walk goes: its ledger, and its state occupancy counts and the
/// line sums of the pathway states.
type PathwaySums<'l, 'a> = (&'l mut Ledger<'a>, (&'l mut [StateCounts], &'l mut [LineSums]));

/// A treated state's line in a patient's walk: (occupancy slot, time on treatment,
/// responded).
type LineTime = (usize, f64, bool);

/// A patient's times on the treated states' lines from the stays of a walk through `p`, into
/// `times` (`treated`: per state of every pathway, how long after a course's entry its drugs
/// can be given, none if untreated): a state's time is summed over its stays, each from its
/// entry until the patient leaves the state or the drugs of the course can no longer be given
/// (counted from the course's entry, [`super::pathway::Stay::course`]), cut at the horizon. A
/// patient responded on a state's line if a course through it has a response
/// ([`super::exposure::read_course`]). For pathways that mark a state `response`; the others'
/// stays are added one by one as the walk goes ([`line_time`]).
fn line_times(
    p: &super::pathway::PreparedPathway,
    walked: &[super::pathway::Stay],
    (treated, horizon): (&[Option<f64>], f64),
    times: &mut Vec<LineTime>,
) {
    times.clear();
    let mut responded = false;
    for (i, &stay) in walked.iter().enumerate() {
        let slot = p.first_slot + stay.state;
        if treated[slot].is_none() || stay.entry >= horizon {
            continue;
        }
        if !stay.continued {
            responded = super::exposure::read_course(p, &walked[i..]).response.is_finite();
        }
        line_time(times, (slot, treated[slot]), stay, (horizon, responded));
    }
}

/// Add one stay in the state of occupancy slot `slot` to a patient's line times (see
/// [`line_times`]; `span` none: an untreated state), with whether its course responded.
#[inline]
fn line_time(
    times: &mut Vec<LineTime>,
    (slot, span): (usize, Option<f64>),
    stay: super::pathway::Stay,
    (horizon, responded): (f64, bool),
) {
    let Some(span) = span else { return };
    if stay.entry >= horizon {
        return;
    }
    let time = (stay.exit.min(stay.course + span).min(horizon) - stay.entry).max(0.0);
    match times.iter_mut().find(|(s, _, _)| *s == slot) {
        Some((_, total, r)) => {
            *total += time;
            *r |= responded;
        }
        None => times.push((slot, time, responded)),
    }
}

/// Bytes past the end of a deferred buffer to fetch ahead of its writes (a few patients').
const PREFETCH_AHEAD: usize = 1024;

/// Ask for `lines` cache lines from `ahead` bytes past the end of `v`, where the next entries
/// will be written. Only a hint: nothing is read or written, and an address outside the
/// buffer is harmless.
#[inline(always)]
fn prefetch_past_end<T>(v: &[T], ahead: usize, lines: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let end = v.as_ptr().wrapping_add(v.len()).cast::<i8>();
        for k in 0..lines {
            // SAFETY: SSE is part of every x86-64 processor, and a prefetch is a hint that
            // never faults, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(end.wrapping_add(ahead + 64 * k)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (v, ahead, lines);
}

/// Count a patient's lines of therapy before the pathways (lines.csv): bridging from diagnosis
/// until the first test's results, progression or death; the first line and the second from
/// their start to the end of treatment (detected progression, death or discontinuation); each
/// until its drugs can no longer be given ([`super::prepared::PreparedRegimen::drug_span`]) and cut at the
/// horizon.
#[inline]
fn count_lines(
    prep: &Prepared,
    (rec, second): (&PatientRecord, Option<&PatientRecord>),
    lines: &mut [LineSums],
) {
    let (h, regimens) = (prep.horizon, prep.regimens.len());
    if let Some(b) = rec.bridging {
        let end = rec.start.min(rec.progression).min(rec.death).min(prep.regimens[b].drug_span);
        let end = end.min(h);
        if end > 0.0 {
            lines[Line::Bridging.slot(b, regimens)].add(false, end);
        }
    }
    for (line, rec) in [(Line::First, Some(rec)), (Line::Second, second)] {
        if let Some(rec) = rec
            && rec.treated
            && rec.start < h
        {
            let end = rec.treatment_end.min(rec.start + prep.regimens[rec.regimen].drug_span);
            let time = end.min(h) - rec.start;
            lines[line.slot(rec.regimen, regimens)].add(rec.responder, time);
        }
    }
}

/// A patient's draws shared by every strategy.
struct Patient<'a> {
    key: PatientKey,
    /// The whole tumour (re-tests at progression see it).
    tumour: &'a Tumour,
    /// The tumour at diagnosis: without acquired markers (the first line sees it).
    at_diagnosis: Tumour,
    line: &'a LineDraws,
    covered: f64,
}

/// A patient's way through a strategy: the first line's record and course and, when a second
/// line follows, its record and the whole course through both lines (the first-line record
/// then carries the whole course's progression and death).
struct Way<'a> {
    rec: &'a PatientRecord,
    course: &'a Course,
    second: &'a Option<(PatientRecord, Course)>,
    /// The regimen whose course `course` is, for its value: the treatment's, or the waiting
    /// regimen's when the patient progressed or died waiting.
    valued_as: usize,
    /// Whether `course` is the patient's course on `valued_as` from diagnosis, shared by every
    /// strategy reaching that regimen (not a course continued after a wait).
    shared: bool,
    /// The second line's draws, made when this or an earlier strategy reached a second line for
    /// the patient (read only together with `second`).
    line2: &'a Option<LineDraws>,
}

/// Per-patient working state of a chunk: courses shared by strategies reaching the same
/// regimen, and the second line's draws, made only when a second line is reached.
struct Scratch {
    /// Per regimen: the patient's course, valid where `known`. Written in place and read
    /// where it lies: copying a course just written (to or from an `Option`, or a record)
    /// made the processor wait for its stores to land before it could load them whole.
    courses: Vec<Course>,
    known: Vec<bool>,
    /// The course of the current strategy when it waits on another regimen than it treats
    /// with (not shared).
    waited: Course,
    second_line: LineProcesses,
    line2: Option<LineDraws>,
    /// The current strategy's first-line record and second line, built in place (records
    /// are large to move).
    rec: PatientRecord,
    second: Option<(PatientRecord, Course)>,
}

impl Scratch {
    fn new(prep: &Prepared) -> Self {
        let none = Course {
            responder: false,
            progression: 0.0,
            death: 0.0,
            second: None,
            walker: Default::default(),
        };
        Scratch {
            courses: vec![none; prep.regimens.len()],
            known: vec![false; prep.regimens.len()],
            waited: none,
            second_line: LineProcesses::new(FIRST_LINE + 1),
            line2: None,
            rec: blank(0.0),
            second: None,
        }
    }

    /// Start a new patient.
    fn patient<'a>(
        &mut self,
        prep: &Prepared,
        key: PatientKey,
        tumour: &'a Tumour,
        line: &'a LineDraws,
        covered: f64,
    ) -> Patient<'a> {
        self.known.fill(false);
        self.line2 = None;
        // Acquired markers are not there at diagnosis: the first line sees the tumour without
        // them, re-tests at progression see it whole.
        let at_diagnosis = if prep.acquired == 0 { *tumour } else { tumour.without(prep.acquired) };
        Patient { key, tumour, at_diagnosis, line, covered }
    }

    /// The patient's way through strategy `s` (inlined: it runs for every trajectory).
    #[inline(always)]
    fn way(&mut self, prep: &Prepared, layout: &Layout, p: &Patient<'_>, s: usize) -> Way<'_> {
        let Scratch { courses, known, waited, second_line, line2, rec, second } = self;
        rec.reset(p.covered);
        let strategy = &prep.strategies[s];
        pathway(prep, p.key, &p.at_diagnosis, p.line, (strategy, 0.0), rec);
        let regimen = rec.regimen;
        let (c, valued_as, shared) = if strategy.waiting != regimen && rec.start > 0.0 {
            // Waiting on another regimen's course: this strategy's own.
            let wait = (strategy.waiting, rec.start);
            let ended = waited_course_into(prep, &p.at_diagnosis, p.line, wait, regimen, waited);
            (&*waited, if ended { strategy.waiting } else { regimen }, false)
        } else {
            if !known[regimen] {
                course_into(prep, &p.at_diagnosis, p.line, regimen, &mut courses[regimen]);
                known[regimen] = true;
            }
            (&courses[regimen], regimen, true)
        };
        rec.course_regimen = valued_as;
        treat(prep, p.key, p.line, c, rec);
        *second = None;
        if layout.second_lines {
            // The second line's draws, made for the first strategy whose patient reaches it
            // and shared by the others.
            let draw = || LineDraws {
                person: p.line.person,
                candidate: p.line.candidate,
                ..LineDraws::new(p.key, second_line)
            };
            second_line_of(
                prep,
                p.key,
                p.tumour,
                || line2.get_or_insert_with(draw),
                (rec, c),
                second,
            );
            if let Some((_, whole)) = second
                && whole.second.is_some()
            {
                rec.death = whole.death;
                rec.progression = whole.progression;
            }
        }
        Way { rec, course: c, second, valued_as, shared, line2 }
    }
}

/// The patients (the first, by index) on whom the base case checks the disease's death
/// hazard against the general population's. The check is a diagnostic behind a warning whose
/// share is printed to a whole percent: 100,000 patients put its standard error under half a
/// percentage point, and on a larger run the check would otherwise cost about a tenth of the
/// simulation (docs, Model → The check against the general population).
pub const BACKGROUND_CHECK_PATIENTS: u64 = 100_000;

/// The check of the disease's death hazards against the general population's (docs, Model →
/// Population and background mortality): one moment τ uniform on the patient's time alive
/// within the horizon, on a random process of its own per strategy; the patient's time alive
/// counts as below when the disease's death hazard at τ is below the general population's at
/// the patient's age then (an unbiased estimate of the time below, summed over patients).
#[inline(never)]
fn watch_background(
    prep: &Prepared,
    (pk, s): (PatientKey, usize),
    (tumours, line): ((&Tumour, &Tumour), &LineDraws),
    way: &super::patient::Way<'_>,
    out: &mut BelowBackground,
) {
    let (Some(b), Some(who)) = (&prep.background, line.person) else { return };
    let alive = way.rec.death.min(prep.horizon);
    if !(alive > 0.0) {
        return;
    }
    use crate::rng::{Process, ProcessKind};
    let u = pk.uniform(Process::new(ProcessKind::BackgroundCheck, s as u64), 0);
    let t = u * alive;
    let disease = super::patient::disease_death_hazard(prep, tumours, line, way, s, t);
    out.time += alive;
    if disease < b.table.hazard_at(who.sex, who.age + t) {
        out.below += alive;
    }
}

/// A patient not treated with contract `ci`'s drug: only a fixed yearly administration
/// reaches it (left open with the cohort arm's other settlements when they are deferred).
/// Returns the patient's cost difference, if any.
fn untreated(
    prep: &Prepared,
    layout: &Layout,
    (arm, ci, groups): (usize, usize, u64),
    (open, deferred): (&mut [Option<usize>], &mut Deferred),
    sums: &mut SampleSums,
) -> Option<f64> {
    let fixed = prep.contracts[ci].admin_per_entrant;
    (fixed > 0.0).then(|| {
        if layout.defer && layout.calendar_years[arm] > 0 {
            open[arm] = Some(deferred.open(arm, ci, Open::Fixed(fixed)));
            fixed
        } else {
            post_fixed(prep, (arm, groups), fixed, sums)
        }
    })
}

/// The survey pass over a chunk: each cohort-level contract arm's calendar-year counts.
fn survey_chunk(
    prep: &Prepared,
    layout: &Layout,
    key: SampleKey,
    patients: std::ops::Range<u64>,
) -> SampleSums {
    let mut sums = layout.empty();
    let first_line = LineProcesses::new(FIRST_LINE);
    let mut scratch = Scratch::new(prep);
    // Working space of the cohort contracts covering pathway states.
    let (mut stays, mut merged) = (Vec::new(), Vec::new());
    for i in patients.clone() {
        let pk = key.patient(i);
        let (tumour, line) = (tumour(prep, pk), LineDraws::of_patient(prep, pk, &first_line));
        let patient = scratch.patient(prep, pk, &tumour, &line, coverage_end(prep, pk));
        let arrival = pk.uniform(prep.arrival, 0);
        for (s, arms) in layout.cohort_arms.iter().enumerate() {
            if arms.is_empty() {
                continue;
            }
            let Way { rec, second, course, valued_as, .. } = scratch.way(prep, layout, &patient, s);
            let second = second.as_ref().map(|(rec2, _)| rec2);
            for &(arm, ci) in arms {
                let contract = &prep.contracts[ci];
                let Kind::Cohort(terms) = &contract.kind else { continue };
                let lines = (rec, second);
                if contract.in_pathways {
                    let at = terms.place(i, layout.patients, arrival);
                    let walked =
                        Walked { regimen: valued_as, course, coverage_end: rec.coverage_end };
                    cohort_courses::survey(
                        prep,
                        (ci, pk, terms, terms.years),
                        (lines, walked),
                        at,
                        (&mut stays, &mut merged),
                        &mut sums.contracts[arm].calendar,
                    );
                    continue;
                }
                let Some(mut x) = covered_exposure(prep, ci, lines, &mut StartFactors::new())
                else {
                    continue;
                };
                x.documented = documented(contract, pk);
                let at = terms.place(i, layout.patients, arrival);
                contracts::cohort::survey(terms, &x, at, &mut sums.contracts[arm].calendar);
            }
        }
    }
    sums.patients += patients.end - patients.start;
    sums
}

/// Where a patient's contract settlements go.
struct Settled<'a> {
    sums: &'a mut SampleSums,
    /// Per contract arm: the patient's cost difference from the list arm, if settled.
    deltas: &'a mut [Option<f64>],
    /// Per cohort arm (deferred): the settlement waiting for its refund fractions.
    open: &'a mut [Option<usize>],
    deferred: &'a mut Deferred,
    starts: &'a mut StartFactors,
    /// The calendar years of a cohort contract's paid cycles (see `paid_years`), shared by
    /// the contracts with the same exposure and term.
    walk: &'a mut Vec<(u32, u64)>,
    /// A patient's paid calendar years merged over its courses (cohort contracts covering
    /// pathway states; see `cohort_courses`), apart from `walk`'s.
    merged: &'a mut Vec<(u32, u64)>,
    /// The stays of the patient's walk after progression (courses in pathway states).
    stays: &'a mut Vec<Stay>,
    /// The patient's subgroup levels, packed (see [`super::subgroups::Subgroups::of`]).
    groups: u64,
}

/// A treated patient's exposure to a drug with its list payments' present value per unit of
/// price, `Exposure::list` (payer, manufacturer).
type Priced<'a> = (Exposure<'a>, (f64, f64));

/// Settle every contract arm of strategy `s` on a patient's record: post the contracted drug's
/// payments, refunds and administration as differences from the list arm, add the contract's
/// own sums, and leave the patient's cost difference in `deltas[arm]` (`None` if the contract
/// does not touch the patient; a placeholder if the settlement is left open). Returns false,
/// without looking at the arms, when no contract arm of the strategy can touch the patient.
fn settle_contract_arms(
    prep: &Prepared,
    layout: &Layout,
    s: usize,
    (patient, pk): (u64, PatientKey),
    (rec, second): (&PatientRecord, Option<&PatientRecord>),
    course: Walked<'_>,
    out: Settled<'_>,
) -> bool {
    let Settled { sums, deltas, open, deferred, starts, walk, merged, stays, groups } = out;
    let reached = |r: &PatientRecord| {
        r.treated && r.start < r.coverage_end && !layout.contracted[r.regimen].is_empty()
    };
    let settled = reached(rec) || second.is_some_and(reached) || layout.in_pathways[s];
    if (layout.contract_arms[s].is_empty() && layout.list_rows[s].is_empty())
        || !(settled || layout.charges_all[s])
    {
        return false;
    }
    let arrival = if layout.cohort { pk.uniform(prep.arrival, 0) } else { 0.0 };
    // Contracts on the same drug covering the same regimens share the exposure (its discount
    // factors and its list payments' present value).
    let mut cached: Option<(usize, Option<Priced<'_>>)> = None;
    // Cohort contracts with the same population and term share the placement (three integer
    // divisions, and the `exp` of d(−entry)).
    let mut placed: Option<((u64, u64), Placement)> = None;
    // ... and, on the same exposure, the walk through the calendar years of its paid cycles.
    let mut walked: Option<((u64, u64), usize)> = None;
    for &(arm, ci) in layout.contract_arms[s].iter().chain(&layout.list_rows[s]) {
        let contract = &prep.contracts[ci];
        if contract.in_pathways
            && let Kind::Cohort(terms) = &contract.kind
        {
            // Several courses of the drug (first or second line, pathway states).
            let at = terms.place(patient, layout.patients, arrival);
            let at = at.discounted(&prep.costs, &prep.manufacturer);
            let calendar = layout.defer.then_some(&mut sums.contracts[arm].calendar);
            let settled = cohort_courses::settle(
                prep,
                (arm, ci, pk),
                ((rec, second), course),
                at,
                &prep.cohort_fractions[arm],
                calendar,
                (deferred, merged),
                (stays, starts),
            );
            deltas[arm] = match settled {
                cohort_courses::Settled::Now(cash, list_pv) => {
                    Some(post_cash(prep, (arm, ci, groups), &cash, list_pv, sums))
                }
                cohort_courses::Settled::Open(place) => {
                    open[arm] = Some(place);
                    // A placeholder: the difference is known when the settlement is.
                    Some(0.0)
                }
                cohort_courses::Settled::Untreated => {
                    untreated(prep, layout, (arm, ci, groups), (open, deferred), sums)
                }
            };
            continue;
        }
        if cached.as_ref().is_none_or(|(e, _)| *e != contract.exposure) {
            let x = covered_exposure(prep, ci, (rec, second), starts);
            cached = Some((
                contract.exposure,
                x.map(|x| {
                    let list = x.list();
                    (x, list)
                }),
            ));
        }
        // The patient's cash under the contract and its list present value: its line course,
        // then its courses in pathway states.
        let mut total = None;
        if let Some((_, Some((x, list)))) = &mut cached {
            // The shared exposure is set up for this contract in place: a copy of it, made
            // just after it was written, stalled on its stores.
            let rec = x.rec;
            x.documented = documented(contract, pk);
            x.refund_horizon = if prep.portable { prep.horizon } else { rec.coverage_end };
            x.placement = Placement::default();
            let assessment = prep.regimens[rec.regimen].assessment;
            let list = *list;
            let list_pv = x.drug.price * list.0;
            if let Kind::Cohort(terms) = &contract.kind {
                let shape = (terms.population, terms.years);
                x.placement = match placed {
                    Some((same, at)) if same == shape => at,
                    _ => {
                        let at = terms.place(patient, layout.patients, arrival);
                        let at = at.discounted(&prep.costs, &prep.manufacturer);
                        placed = Some((shape, at));
                        at
                    }
                };
                // A cohort refund is the payer's, owed on its own past spend: it reaches the
                // payer until the horizon whatever the member does.
                x.refund_horizon = prep.horizon;
                if layout.defer {
                    let calendar = &mut sums.contracts[arm].calendar;
                    let from = deferred.shares.len() as u32;
                    let shares = &mut deferred.shares;
                    if walked != Some((shape, contract.exposure)) {
                        contracts::cohort::paid_years(terms.years, x.placement.entry, x, walk);
                        walked = Some((shape, contract.exposure));
                    }
                    contracts::cohort::survey_and_share(
                        terms,
                        x,
                        x.placement,
                        walk,
                        calendar,
                        shares,
                    );
                    let tracked_until = contracts::cohort::tracked_until(terms, x);
                    let treated = Open::Treated {
                        row: (x.placement.population * terms.years as usize) as u32,
                        paid: list,
                        list_pv,
                        admin: contracts::administration(contract, x, assessment, tracked_until),
                        tracked_until,
                        price: x.drug.price,
                        shares: (from, deferred.shares.len() as u32),
                    };
                    open[arm] = Some(deferred.open(arm, ci, treated));
                    // A placeholder: the difference is known when the settlement is.
                    deltas[arm] = Some(0.0);
                    continue;
                }
            }
            let cash = contracts::cash(contract, x, assessment, &prep.cohort_fractions[arm]);
            if !contract.in_pathways {
                deltas[arm] = Some(post_cash(prep, (arm, ci, groups), &cash, list_pv, sums));
                continue;
            }
            total = Some((cash, list_pv));
        }
        if contract.in_pathways {
            // Per-patient kinds here (cohort-level ones settled above).
            pathway_cash(prep, (ci, pk), course, f64::INFINITY, (stays, starts), &mut total);
        }
        let Some((cash, list_pv)) = total else {
            deltas[arm] = untreated(prep, layout, (arm, ci, groups), (open, deferred), sums);
            continue;
        };
        deltas[arm] = Some(post_cash(prep, (arm, ci, groups), &cash, list_pv, sums));
    }
    true
}
