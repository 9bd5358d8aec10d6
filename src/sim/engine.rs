//! The engine loop: patients in fixed chunks, chunks in parallel waves, sums merged in order.
//!
//! A chunk's patients are fixed by the chunk index and every draw is addressed by
//! (seed, sample, patient, process), so each chunk's sums are the same whichever thread
//! computes them; merging them in chunk order makes the totals bit-identical for any number
//! of threads. Waves bound memory: only one wave of chunk sums exists at a time.

use super::accumulator::SampleSums;
use super::patient::{
    Course, FIRST_LINE, LineDraws, LineProcesses, biomarker_status, course, start, treat,
};
use super::prepared::Prepared;
use crate::accounting::ledger::{
    CategoryIndex, CourseValue, Ledger, Outcomes, post_course, post_treatment, value_course,
};
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
pub fn simulate_sample(
    prep: &Prepared,
    spec: SampleSpec,
    progress: &mut dyn FnMut(u64, u64),
) -> SampleSums {
    let strategies = prep.strategies.len();
    let categories = CategoryIndex { drugs: prep.drugs }.len();
    let months = grid_months(prep.horizon);
    let mut total = SampleSums::new(strategies, strategies, categories, months);
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
                simulate_chunk(prep, key, lo..hi, spec.comparator, categories, months)
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

fn simulate_chunk(
    prep: &Prepared,
    key: SampleKey,
    patients: std::ops::Range<u64>,
    comparator: usize,
    categories: usize,
    months: usize,
) -> SampleSums {
    let strategies = prep.strategies.len();
    let mut sums = SampleSums::new(strategies, strategies, categories, months);
    let first_line = LineProcesses::new(FIRST_LINE);
    let mut totals = vec![0.0; strategies];
    let mut courses: Vec<Option<(Course, CourseValue)>> = vec![None; prep.regimens.len()];
    let mut outcomes = vec![Outcomes::default(); strategies];
    // Patients go through in blocks: first every patient's shared draws (independent `ln`
    // calls that the processor can overlap), then each patient's trajectories.
    let mut block = [(PatientKey::default(), 0u64, LineDraws::default()); BLOCK];
    let mut next = patients.start;
    while next < patients.end {
        let size = (patients.end - next).min(BLOCK as u64) as usize;
        for (i, slot) in block[..size].iter_mut().enumerate() {
            let pk = key.patient(next + i as u64);
            *slot = (pk, biomarker_status(prep, pk), LineDraws::new(pk, &first_line));
        }
        for (pk, status, line) in &block[..size] {
            courses.fill(None);
            for s in 0..strategies {
                let mut rec = start(prep, *pk, *status, s);
                // Strategies reaching the same regimen share the patient's course and its value.
                let (c, value) = *courses[rec.regimen].get_or_insert_with(|| {
                    let c = course(prep, *status, line, rec.regimen);
                    (c, value_course(prep, rec.regimen, &c))
                });
                treat(prep, *pk, line, &c, &mut rec);
                let mut ledger = Ledger::new(&mut sums.arms[s].categories);
                post_course(prep, &value, &mut ledger);
                let loss = post_treatment(prep, &rec, &mut ledger);
                outcomes[s] = Outcomes { qaly: value.outcomes.qaly - loss, ..value.outcomes };
                totals[s] = ledger.total;
                sums.survival[s].add(rec.progression.min(rec.death), rec.death);
            }
            let reference = (totals[comparator], outcomes[comparator]);
            for s in 0..strategies {
                sums.arms[s].add(totals[s], &outcomes[s], (reference.0, &reference.1));
            }
        }
        sums.patients += size as u64;
        next += size as u64;
    }
    sums
}
