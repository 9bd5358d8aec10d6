//! The engine loop: patients in fixed chunks, chunks in parallel waves, sums merged in order.
//!
//! A chunk's patients are fixed by the chunk index and every draw is addressed by
//! (seed, sample, patient, process), so each chunk's sums are the same whichever thread
//! computes them; merging them in chunk order makes the totals bit-identical for any number
//! of threads. Waves bound memory: only one wave of chunk sums exists at a time.

use super::accumulator::SampleSums;
use super::patient::PatientRecord;
use super::patient::{
    Course, FIRST_LINE, LineDraws, LineProcesses, Tumour, course, coverage_end,
    second_line as second_line_of, start, treat, tumour,
};
use super::prepared::{Prepared, PreparedKind};
use crate::accounting::discount::cycles_before;
use crate::accounting::ledger::{
    CourseValue, Ledger, Outcomes, post_course, post_treatment, value_course,
};
use crate::contracts::cohort::{CalendarSums, Placement};
use crate::contracts::{self, Exposure};
use crate::rng::{PatientKey, SampleKey};
use rayon::prelude::*;

/// Patients per chunk: large enough to amortise scheduling, small enough to balance load.
pub const CHUNK: u64 = 2048;
/// Patients whose shared draws are computed together.
const BLOCK: usize = 64;
/// Chunks per wave.
pub const WAVE: u64 = 64;

/// What a run simulates: which sample, how many patients, and which strategy is compared to.
#[derive(Clone, Copy, Debug)]
pub struct SampleSpec {
    pub seed: u64,
    pub sample: u64,
    pub patients: u64,
    pub comparator: usize,
}

/// Last month of the survival grid for a horizon in years.
pub fn grid_months(horizon: f64) -> usize {
    (horizon * 12.0 + 1e-9).floor() as usize
}

/// Simulate one sample. `progress` is called after each wave with (patients done, total).
///
/// A scenario with cohort-level contracts is simulated twice on the same patients: the first
/// pass surveys each calendar year of the cohort (spend, patients treated, outcomes), which
/// fixes the year's refund fractions; the second settles every patient with them. Everything
/// but the cohort-contract arms is identical in the two passes.
pub fn simulate_sample(
    prep: &Prepared,
    spec: SampleSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> SampleSums {
    if !prep.has_cohort_contracts() {
        return simulate_pass(prep, spec, progress);
    }
    let n = spec.patients;
    let survey = simulate_pass(prep, spec, &mut |done, _| progress(done, 2 * n));
    let settled = prep.settled(&survey, n);
    simulate_pass(&settled, spec, &mut |done, _| progress(n + done, 2 * n))
}

fn simulate_pass(
    prep: &Prepared,
    spec: SampleSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> SampleSums {
    let layout = Layout::new(prep, spec.comparator, spec.patients);
    let mut total = layout.empty();
    let chunks = spec.patients.div_ceil(CHUNK);
    let key = SampleKey::new(spec.seed, spec.sample);
    let mut first = 0;
    while first < chunks {
        let last = (first + WAVE).min(chunks);
        let partial: Vec<SampleSums> = (first..last)
            .into_par_iter()
            .map(|chunk| {
                let lo = chunk * CHUNK;
                let hi = (lo + CHUNK).min(spec.patients);
                simulate_chunk(prep, &layout, key, lo..hi)
            })
            .collect();
        for p in &partial {
            total.merge(p);
        }
        progress((last * CHUNK).min(spec.patients), spec.patients);
        first = last;
    }
    total
}

/// Where each strategy's arms sit in the sums.
struct Layout {
    /// Per strategy: its list arm and its (contract arm, contract) pairs.
    list_arm: Vec<usize>,
    contract_arms: Vec<Vec<(usize, usize)>>,
    comparator: usize,
    contracts: usize,
    categories: usize,
    months: usize,
    /// Whether patients need an arrival time (some contract is cohort-level).
    cohort: bool,
    /// Per arm: calendar years of its cohort-level contract (0 for other arms).
    calendar_years: Vec<usize>,
    /// Simulated patients per strategy (cohort-level contracts cut them into populations).
    patients: u64,
    /// Per regimen: the contracts on a drug it gives.
    contracted: Vec<Vec<usize>>,
    /// Per strategy: some contract arm charges every patient (fixed yearly administration).
    charges_all: Vec<bool>,
    /// Whether some regimen has a second line.
    second_lines: bool,
}

impl Layout {
    fn new(prep: &Prepared, comparator: usize, patients: u64) -> Self {
        let strategies = prep.strategies.len();
        let mut list_arm = vec![0; strategies];
        let mut contract_arms = vec![Vec::new(); strategies];
        for (i, arm) in prep.arms.iter().enumerate() {
            match arm.contract {
                None => list_arm[arm.strategy] = i,
                Some(c) => contract_arms[arm.strategy].push((i, c)),
            }
        }
        Layout {
            list_arm,
            contract_arms: contract_arms.clone(),
            comparator,
            contracts: prep.contracts.len(),
            categories: prep.categories().len(),
            months: grid_months(prep.horizon),
            cohort: prep.has_cohort_contracts(),
            calendar_years: prep
                .arms
                .iter()
                .map(|a| match a.contract.map(|c| &prep.contracts[c].kind) {
                    Some(PreparedKind::Cohort(terms)) => terms.years as usize,
                    _ => 0,
                })
                .collect(),
            patients,
            contracted: prep
                .regimens
                .iter()
                .map(|r| {
                    (0..prep.contracts.len())
                        .filter(|&c| r.drugs.iter().any(|d| d.drug == prep.contracts[c].drug))
                        .collect()
                })
                .collect(),
            second_lines: prep.regimens.iter().any(|r| r.second_line.is_some()),
            charges_all: contract_arms
                .iter()
                .map(|arms| arms.iter().any(|&(_, c)| prep.contracts[c].admin_per_entrant > 0.0))
                .collect(),
        }
    }

    fn empty(&self) -> SampleSums {
        let arms = self.list_arm.len() + self.contract_arms.iter().map(Vec::len).sum::<usize>();
        let mut sums = SampleSums::new(
            arms,
            self.contracts,
            self.list_arm.len(),
            self.categories,
            self.months,
        );
        for (k, &years) in sums.contracts.iter_mut().zip(&self.calendar_years) {
            k.calendar = CalendarSums::new(years);
        }
        sums
    }
}

/// A treated patient's exposure to a drug of their regimen, if the regimen includes it.
fn exposure<'a>(
    prep: &'a Prepared,
    rec: &'a PatientRecord,
    drug: usize,
    documented: bool,
) -> Option<Exposure<'a>> {
    if !rec.treated || rec.start >= rec.coverage_end {
        return None;
    }
    let d = prep.regimens[rec.regimen].drugs.iter().find(|d| d.drug == drug)?;
    let end = rec.treatment_end.min(rec.coverage_end);
    let t0 = rec.start;
    Some(Exposure {
        rec,
        drug: d,
        n: cycles_before(t0, end, d.cycle, d.max_cycles, d.max_duration),
        horizon: rec.coverage_end,
        refund_horizon: if prep.portable { prep.horizon } else { rec.coverage_end },
        payer: &prep.costs,
        manufacturer: &prep.manufacturer,
        payer_start: if t0 == 0.0 { 1.0 } else { prep.costs.factor(t0) },
        manufacturer_start: if t0 == 0.0 { 1.0 } else { prep.manufacturer.factor(t0) },
        documented,
        placement: Placement::default(),
    })
}

fn simulate_chunk(
    prep: &Prepared,
    layout: &Layout,
    key: SampleKey,
    patients: std::ops::Range<u64>,
) -> SampleSums {
    let strategies = prep.strategies.len();
    let mut sums = layout.empty();
    let first_line = LineProcesses::new(FIRST_LINE);
    let second_line = LineProcesses::new(FIRST_LINE + 1);
    let arms = sums.arms.len();
    let mut totals = vec![0.0; arms];
    let mut outcomes = vec![Outcomes::default(); arms];
    // Per contract arm: the patient's cost difference from the list arm, if settled.
    let mut deltas: Vec<Option<f64>> = vec![None; arms];
    // Per strategy: whether any of its contract arms touched the patient.
    let mut touched = vec![false; strategies];
    let mut courses: Vec<Option<(Course, CourseValue)>> = vec![None; prep.regimens.len()];
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
                LineDraws::new(pk, &first_line),
                coverage_end(prep, pk),
            );
        }
        for (i, pk, tumour, line, covered) in &block[..size] {
            courses.fill(None);
            // Acquired markers are not there at diagnosis: the first line sees the tumour
            // without them, re-tests at progression see it whole.
            let without_acquired;
            let at_diagnosis = if prep.acquired == 0 {
                tumour
            } else {
                without_acquired = tumour.without(prep.acquired);
                &without_acquired
            };
            let mut line2: Option<LineDraws> = None;
            for (s, touched_s) in touched.iter_mut().enumerate() {
                let mut rec = start(prep, *pk, at_diagnosis, line, s, *covered);
                // Strategies reaching the same regimen share the patient's course and its value.
                let (c, mut value) = *courses[rec.regimen].get_or_insert_with(|| {
                    let c = course(prep, at_diagnosis, line, rec.regimen);
                    (c, value_course(prep, rec.regimen, &c, *covered))
                });
                treat(prep, *pk, line, &c, &mut rec);
                let mut second = None;
                if layout.second_lines {
                    let l2 = line2.get_or_insert_with(|| LineDraws::new(*pk, &second_line));
                    if let Some((rec2, whole)) = second_line_of(prep, *pk, tumour, l2, &rec, &c) {
                        if whole.second.is_some() {
                            rec.death = whole.death;
                            rec.progression = whole.progression;
                            value = value_course(prep, rec.regimen, &whole, *covered);
                        }
                        second = Some(rec2);
                    }
                }
                let list = layout.list_arm[s];
                let mut ledger = Ledger::new(&mut sums.arms[list].categories);
                post_course(prep, &value, &mut ledger);
                let mut loss = post_treatment(prep, &rec, &mut ledger);
                if let Some(rec2) = &second {
                    loss += post_treatment(prep, rec2, &mut ledger);
                }
                outcomes[list] = Outcomes { qaly: value.outcomes.qaly - loss, ..value.outcomes };
                totals[list] = ledger.total;
                sums.survival[s].add(rec.progression.min(rec.death), rec.death);
                if s == layout.comparator {
                    // Only a treated comparator patient can pay for a contracted drug.
                    for r in std::iter::once(&rec).chain(&second).filter(|r| r.treated) {
                        for &ci in &layout.contracted[r.regimen] {
                            if let Some(x) = exposure(prep, r, prep.contracts[ci].drug, true) {
                                sums.comparator_units[ci] += x.stream(0, x.n).0;
                            }
                        }
                    }
                }
                let lines = (&rec, second.as_ref());
                *touched_s =
                    settle_contract_arms(prep, layout, s, (*i, *pk), lines, &mut sums, &mut deltas);
            }
            let reference_arm = layout.list_arm[layout.comparator];
            let reference = (totals[reference_arm], outcomes[reference_arm]);
            for (s, &touched_s) in touched.iter().enumerate() {
                let list = layout.list_arm[s];
                sums.arms[list].add(totals[list], &outcomes[list], (reference.0, &reference.1));
                if !touched_s {
                    continue;
                }
                for &(arm, _) in &layout.contract_arms[s] {
                    if let Some(delta) = deltas[arm] {
                        sums.arms[arm].add_correction(
                            totals[list],
                            delta,
                            &outcomes[list],
                            (reference.0, &reference.1),
                        );
                    }
                }
            }
        }
        sums.patients += size as u64;
        next += size as u64;
    }
    sums
}

/// Settle every contract arm of strategy `s` on a patient's record: post the contracted drug's
/// payments, refunds and administration as differences from the list arm, add the contract's
/// own sums, and leave the patient's cost difference in `deltas[arm]` (`None` if the contract
/// does not touch the patient). Returns false, without looking at the arms, when no contract
/// arm of the strategy can touch the patient.
fn settle_contract_arms(
    prep: &Prepared,
    layout: &Layout,
    s: usize,
    (patient, pk): (u64, PatientKey),
    (rec, second): (&PatientRecord, Option<&PatientRecord>),
    sums: &mut SampleSums,
    deltas: &mut [Option<f64>],
) -> bool {
    let reached = |r: &PatientRecord| {
        r.treated && r.start < r.coverage_end && !layout.contracted[r.regimen].is_empty()
    };
    let settled = reached(rec) || second.is_some_and(reached);
    if layout.contract_arms[s].is_empty() || !(settled || layout.charges_all[s]) {
        return false;
    }
    let cat = prep.categories();
    let arrival = if layout.cohort { pk.uniform(prep.arrival, 0) } else { 0.0 };
    // Contracts on the same drug share the exposure (and its discount factors).
    let mut cached: Option<(usize, Option<Exposure<'_>>)> = None;
    for &(arm, ci) in &layout.contract_arms[s] {
        let contract = &prep.contracts[ci];
        if cached.as_ref().is_none_or(|(d, _)| *d != contract.drug) {
            // The first line that gives the drug is the one its contract settles.
            let x = exposure(prep, rec, contract.drug, true)
                .or_else(|| second.and_then(|r2| exposure(prep, r2, contract.drug, true)));
            cached = Some((contract.drug, x));
        }
        let Some((_, Some(base))) = &cached else {
            // Not treated with the drug: only a fixed yearly administration reaches the patient.
            let fixed = contract.admin_per_entrant;
            if fixed > 0.0 {
                sums.arms[arm].categories[cat.contract_admin()] += fixed;
                sums.contracts[arm].admin += fixed;
                deltas[arm] = Some(fixed);
            } else {
                deltas[arm] = None;
            }
            continue;
        };
        let mut x = base.clone();
        let rec = x.rec;
        x.documented = contract.documentation_error == 0.0
            || pk.uniform(contract.process, 0) >= contract.documentation_error;
        if let PreparedKind::Cohort(terms) = &contract.kind {
            x.placement = terms.place(patient, layout.patients, arrival);
            // A cohort refund is the payer's, owed on its own past spend: it reaches the payer
            // until the horizon whatever the member does.
            x.refund_horizon = prep.horizon;
            contracts::cohort::survey(terms, &x, x.placement, &mut sums.contracts[arm].calendar);
        }
        let list_pv = x.drug.price * x.stream(0, x.n).0;
        let cash = contracts::cash(
            contract,
            &x,
            prep.regimens[rec.regimen].assessment,
            &prep.cohort_fractions[arm],
        );
        let row = &mut sums.arms[arm].categories;
        row[cat.drug(contract.drug)] += cash.paid - list_pv;
        row[cat.rebate(ci)] -= cash.refunded;
        row[cat.contract_admin()] += cash.admin;
        let net = cash.paid - cash.refunded;
        let k = &mut sums.contracts[arm];
        k.treated += 1;
        k.triggered += u64::from(cash.triggered);
        k.list_spend += list_pv;
        k.paid += cash.paid;
        k.refunded += cash.refunded;
        k.admin += cash.admin;
        k.net += net;
        k.net2 += net * net;
        k.spend.add(net);
        k.manufacturer += cash.manufacturer_net;
        k.units += cash.units;
        deltas[arm] = Some(cash.paid - list_pv - cash.refunded + cash.admin);
    }
    true
}
