//! What `floor_default` (one patient at a time) and `floor_default_soa` (blocks of patients)
//! share: the bundled default scenario (scenarios/nsclc_egfr.toml) at its base-case values
//! written out by hand, the life table read at start-up, the per-patient pieces both floors
//! run the same way once a patient's shared draws and first-line course are known (the two
//! strategies' trajectories, the second line, the course continued after the wait for a
//! result, the floored mortality, the contracts), the sums `vbpsim bench` computes, the
//! threads, the command line and the printing.
//!
//! Semantics: docs/src/model.md, read with the engine's source where it leaves a detail open
//! (each function names its section or file). Random numbers come from this program's own
//! generator (Xoshiro256++, one per thread), not the engine's counter-based streams: the
//! floors are compared with the engine in distribution, never draw by draw. What a patient
//! shares between strategies in the model (EGFR status, sex, the first line's response,
//! progression, death and post-progression variates, the background candidates and their
//! uniforms) is drawn once per patient and used by both strategies (common random numbers);
//! what only one strategy uses (its tests, its adverse events, the fitness for and draws of a
//! second line, the toxicity stop, the documentation of a failure) is drawn where it is used.
//! Two exact shortcuts save uniforms: a regimen's independent adverse events are one draw
//! over their combinations ([`Events`]), and a test's failure and reading are one draw (both
//! a failure and a negative reading read negative).

// Each example and the test use part of this module.
#![allow(dead_code)]

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};
use std::time::Instant;

// ---------------------------------------------------------------------------------------------
// Units (model.md, Time and units): years; a day is 1/365.25 year, a month 1/12.
// ---------------------------------------------------------------------------------------------
const DAY: f64 = 1.0 / 365.25;
const WEEK: f64 = 7.0 * DAY;
const MONTH: f64 = 1.0 / 12.0;

/// Cycle starts within this many cycle lengths of a stop count as at the stop (model.md,
/// Discounting; src/accounting/discount.rs `CYCLE_TOLERANCE`), and contract dates within this
/// relative distance count as equal (src/contracts/mod.rs `Exposure::after`).
const TOLERANCE: f64 = 1e-9;

/// The bundled life table (`life_table = "us_2020"`; assets/life_tables/README.md).
pub const LIFE_TABLE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/assets/life_tables/us_ssa_period_2020_qx.csv");

/// Arms in the engine's order: each strategy's list arm, then test_and_treat's contract arms
/// (list_price adds no arm: it is settled on the list arm). chemo_for_all gives osimertinib
/// only after chemotherapy, which no contract covers, so it has no contract arm.
pub const ARMS: [&str; 6] = [
    "chemo_for_all/list",
    "test_and_treat/list",
    "test_and_treat/discount_20",
    "test_and_treat/money_back_6m",
    "test_and_treat/risk_sharing_50",
    "test_and_treat/cap_26_cycles",
];
pub const CHEMO_FOR_ALL: usize = 0;
pub const TEST_AND_TREAT: usize = 1;
pub const DISCOUNT: usize = 2;
pub const MONEY_BACK: usize = 3;
pub const REBATE: usize = 4;
pub const CAP: usize = 5;

// ---------------------------------------------------------------------------------------------
// Life table and general-population mortality (model.md, Population and background mortality;
// src/life_table.rs, src/sim/background.rs)
// ---------------------------------------------------------------------------------------------

/// A life table's yearly hazards h_x = −ln(1 − q_x) by sex, from its first age.
pub struct LifeTable {
    first_age: f64,
    /// [male, female].
    hazards: [Vec<f64>; 2],
    /// Everyone still alive dies at this age (`max_age`, default 110).
    max_age: f64,
}

impl LifeTable {
    /// Read `age,male_qx,female_qx`, one row per whole age, consecutive.
    pub fn parse(text: &str, max_age: f64) -> Result<LifeTable, String> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines.next().ok_or("an empty life table")?;
        if header.trim().trim_start_matches('\u{feff}') != "age,male_qx,female_qx" {
            return Err(format!("unexpected header `{header}`"));
        }
        let (mut first, mut male, mut female) = (None, Vec::new(), Vec::new());
        for (i, row) in lines.enumerate() {
            let cells: Vec<&str> = row.split(',').map(str::trim).collect();
            let number = |k: usize| -> Result<f64, String> {
                cells
                    .get(k)
                    .and_then(|c| c.parse::<f64>().ok())
                    .ok_or_else(|| format!("line {}: cannot read `{row}`", i + 2))
            };
            let age = number(0)?;
            let expected = first.map_or(age, |f: f64| f + male.len() as f64);
            if age != expected {
                return Err(format!("line {}: age {age}, expected {expected}", i + 2));
            }
            first.get_or_insert(age);
            for (k, column) in [(1, &mut male), (2, &mut female)] {
                let q = number(k)?;
                if !(0.0..=1.0).contains(&q) {
                    return Err(format!("line {}: q_x {q} outside [0, 1]", i + 2));
                }
                column.push(-(-q).ln_1p());
            }
        }
        let first_age = first.ok_or("a life table without rows")?;
        if max_age.is_nan() || max_age <= first_age + male.len() as f64 {
            return Err(format!("the maximum age {max_age} is within the table"));
        }
        Ok(LifeTable { first_age, hazards: [male, female], max_age })
    }
}

/// One piece of a person's general-population hazard: constant `hazard` over [start, end)
/// years after diagnosis, with the cumulative hazard `before` at `start`.
#[derive(Clone, Copy, Debug)]
struct Piece {
    start: f64,
    end: f64,
    hazard: f64,
    before: f64,
}

/// The general-population mortality of a person of the scenario's age at diagnosis, by sex,
/// over the horizon: the table's hazard in each year of age (the last age's beyond the
/// table), so the cumulative hazard is piecewise linear and a death is found by inverting it
/// (no cycles).
pub struct Background {
    /// Per sex (0 male, 1 female), the pieces from diagnosis to min(horizon, max_age − age).
    pieces: [Vec<Piece>; 2],
    /// max_age − age when it comes before the horizon (everyone alive then dies), else ∞.
    end_of_life: f64,
}

impl Background {
    fn new(table: &LifeTable, age: f64, horizon: f64) -> Result<Background, String> {
        if !(age >= table.first_age && age < table.max_age) {
            return Err(format!("age {age} outside the life table"));
        }
        let last = table.hazards[0].len() - 1;
        let stop = horizon.min(table.max_age - age);
        let pieces = [0, 1].map(|sex| {
            let mut out = Vec::new();
            let (mut t, mut before) = (0.0, 0.0);
            while t < stop {
                let k = ((age + t - table.first_age).floor() as usize).min(last);
                let end = if k == last {
                    stop
                } else {
                    (table.first_age + (k + 1) as f64 - age).min(stop)
                };
                let hazard = table.hazards[sex][k];
                out.push(Piece { start: t, end, hazard, before });
                before += if hazard.is_finite() { hazard * (end - t) } else { f64::INFINITY };
                t = end;
            }
            out
        });
        let end_of_life =
            if table.max_age - age < horizon { table.max_age - age } else { f64::INFINITY };
        Ok(Background { pieces, end_of_life })
    }

    /// The time after diagnosis at which the cumulative hazard reaches `e`; infinite if not
    /// before the horizon (max_age − age if the table's hazard never reaches it first).
    fn time_at(&self, sex: usize, e: f64) -> f64 {
        for p in &self.pieces[sex] {
            if !p.hazard.is_finite() {
                return p.start;
            }
            if e < p.before + p.hazard * (p.end - p.start) {
                return p.start + (e - p.before) / p.hazard;
            }
        }
        self.end_of_life
    }

    /// The general population's hazard `t` years after diagnosis.
    fn hazard_at(&self, sex: usize, t: f64) -> f64 {
        if t >= self.end_of_life {
            return f64::INFINITY;
        }
        let p = &self.pieces[sex];
        p.iter().find(|p| t < p.end).or(p.last()).map_or(f64::INFINITY, |p| p.hazard)
    }

    /// The first time within the horizon at which the general population's hazard exceeds a
    /// constant disease hazard `h` (infinite if never): no candidate before it can be kept in
    /// a state of hazard `h`, whatever its uniform.
    fn first_above(&self, sex: usize, h: f64) -> f64 {
        self.pieces[sex].iter().find(|p| p.hazard > h).map_or(self.end_of_life, |p| p.start)
    }
}

/// One patient's background process, shared by both strategies: the sex, and the candidates
/// t₁ < t₂ < … of the general population's deaths (t_k at the cumulative hazard E₁ + … + E_k)
/// with a uniform V_k each, drawn only as far as some course needs them (most patients need
/// none: see [`floor`]).
#[derive(Default)]
pub struct Person {
    /// 0: not drawn yet; 1 male; 2 female.
    sex: u8,
    /// E₁ + … + E_k of the candidates drawn so far.
    e: f64,
    /// The candidates drawn so far (the last infinite once past the horizon).
    times: Vec<f64>,
    /// Their uniforms (NaN until drawn).
    v: Vec<f64>,
}

impl Person {
    /// Forget the previous patient (keeps the buffers).
    #[inline]
    pub fn reset(&mut self) {
        self.sex = 0;
        self.e = 0.0;
        self.times.clear();
        self.v.clear();
    }

    /// Female with probability `share_female`.
    fn sex(&mut self, m: &Model, rng: &mut Xoshiro256PlusPlus) -> usize {
        if self.sex == 0 {
            self.sex = if uniform(rng) < m.share_female { 2 } else { 1 };
        }
        usize::from(self.sex - 1)
    }

    /// The k-th candidate (infinite from the first at or after the horizon on).
    fn candidate(&mut self, m: &Model, rng: &mut Xoshiro256PlusPlus, k: usize) -> f64 {
        while self.times.len() <= k {
            if self.times.last().is_some_and(|t| !t.is_finite()) {
                return f64::INFINITY;
            }
            let sex = self.sex(m, rng);
            self.e += exp1(rng);
            self.times.push(m.background.time_at(sex, self.e));
            self.v.push(f64::NAN);
        }
        self.times[k]
    }

    fn v(&mut self, rng: &mut Xoshiro256PlusPlus, k: usize) -> f64 {
        if self.v[k].is_nan() {
            self.v[k] = uniform(rng);
        }
        self.v[k]
    }
}

// ---------------------------------------------------------------------------------------------
// The scenario at its base-case values (scenarios/nsclc_egfr.toml; `vbpsim check` lists them)
// ---------------------------------------------------------------------------------------------

/// The responders' progression is a Weibull of shape 1.5 in every regimen here.
pub const WEIBULL_SHAPE: f64 = 1.5;

/// A regimen's clinical course (model.md, Regimen, events and competing risks): response, a
/// Weibull progression for responders and an exponential one for non-responders, an
/// exponential death before progression and an exponential survival after progression; rates
/// per year, the Weibull's scale in years.
#[derive(Clone, Copy, Debug)]
pub struct Course {
    pub response_egfr: f64,
    pub response_other: f64,
    pub responder_scale: f64,
    pub non_responder_rate: f64,
    pub death_rate: f64,
    pub after_rate: f64,
    /// Hazard ratio on progression for EGFR-positive patients (`prognosis`).
    pub egfr_progression_hr: f64,
    /// Subsequent-therapy cost per year after progression (`after_progression.cost`).
    pub post_cost: f64,
    /// Per state (progression-free, progressed) and sex: the first time the general
    /// population's hazard exceeds the state's death hazard (the floor binds only after it).
    floor_from: [[f64; 2]; 2],
}

impl Course {
    fn new(
        response: (f64, f64),
        (responder_median, non_responder_median): (f64, f64),
        (death_rate, after_median): (f64, f64),
        (egfr_progression_hr, post_cost): (f64, f64),
    ) -> Course {
        let ln2 = std::f64::consts::LN_2;
        Course {
            response_egfr: response.0,
            response_other: response.1,
            // model.md, Time-to-event distributions: `median` → b = median/(ln 2)^(1/a) for
            // the Weibull, λ = ln 2/median for the exponential.
            responder_scale: responder_median / ln2.powf(1.0 / WEIBULL_SHAPE),
            non_responder_rate: ln2 / non_responder_median,
            death_rate,
            after_rate: ln2 / after_median,
            egfr_progression_hr,
            post_cost,
            floor_from: [[f64::INFINITY; 2]; 2],
        }
    }

    /// The response probability for the patient's true EGFR status.
    #[inline]
    pub fn response(&self, egfr: bool) -> f64 {
        if egfr { self.response_egfr } else { self.response_other }
    }

    /// H⁻¹ of the progression clock at cumulative hazard `h` (prognosis applied by the
    /// caller): b·h^(1/a) for a responder (src/survival.rs), h/λ for a non-responder.
    #[inline]
    pub fn progression_time(&self, responder: bool, h: f64) -> f64 {
        if responder {
            self.responder_scale * h.powf(1.0 / WEIBULL_SHAPE)
        } else {
            h / self.non_responder_rate
        }
    }

    /// H(t) of the progression clock (without prognosis).
    #[inline]
    fn progression_h(&self, responder: bool, t: f64) -> f64 {
        if responder {
            (t / self.responder_scale).powf(WEIBULL_SHAPE)
        } else {
            self.non_responder_rate * t
        }
    }

    /// Whether a floor could cut a course in [from, until) that progresses at `p`, for sex
    /// `sex`: only a candidate where the general population's hazard exceeds the state's can
    /// be kept.
    #[inline]
    fn floor_may_bind(&self, sex: usize, (from, p, until): (f64, f64, f64)) -> bool {
        let [before, after] = [self.floor_from[0][sex], self.floor_from[1][sex]];
        p.min(until) > from.max(before) || until > from.max(p).max(after)
    }
}

/// An adverse event: probability, cost, QALY loss (once, at treatment start).
pub type AdverseEvent = (f64, f64, f64);

/// A regimen's adverse events, each at treatment start with its probability, independently
/// (model.md, Regimen): one inverse-CDF draw over the 2^k combinations (most likely first),
/// the same distribution as k independent draws for one uniform.
pub struct Events {
    /// Cumulative probabilities of the combinations (the last made ∞), with their (cost, QALY
    /// loss), undiscounted.
    cumulative: Vec<f64>,
    outcomes: Vec<(f64, f64)>,
}

impl Events {
    fn new(events: &[AdverseEvent]) -> Events {
        let mut all: Vec<(f64, f64, f64)> = (0..1usize << events.len())
            .map(|mask| {
                events.iter().enumerate().fold((1.0, 0.0, 0.0), |(p, c, l), (k, e)| {
                    if mask & (1 << k) != 0 {
                        (p * e.0, c + e.1, l + e.2)
                    } else {
                        (p * (1.0 - e.0), c, l)
                    }
                })
            })
            .collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut total = 0.0;
        let mut cumulative: Vec<f64> = all
            .iter()
            .map(|e| {
                total += e.0;
                total
            })
            .collect();
        if let Some(last) = cumulative.last_mut() {
            *last = f64::INFINITY;
        }
        Events { cumulative, outcomes: all.iter().map(|e| (e.1, e.2)).collect() }
    }

    /// The patient's (cost, QALY loss) on the uniform `u`.
    #[inline]
    pub fn draw(&self, u: f64) -> (f64, f64) {
        let k = self.cumulative.iter().position(|&c| u < c).unwrap_or(0);
        self.outcomes[k]
    }
}

/// Every number of the scenario the floors use (years, per year).
pub struct Model {
    pub horizon: f64,
    /// ln(1.03): costs and outcomes are both discounted at 3 %, so one factor serves both.
    pub rho: f64,
    pub prevalence: f64,
    pub share_female: f64,
    pub background: Background,
    // tissue_ngs: cost, turnaround, P(reads EGFR) for [negative, positive] patients (it does
    // not fail, 13 %, and reads positive: sensitivity 0.95, 1 − specificity 0.005)
    pub test_cost: f64,
    pub turnaround: f64,
    pub positive: [f64; 2],
    // regimens
    pub chemo: Course,
    pub osi: Course,
    pub osi_second: Course,
    pub chemo_events: Events,
    pub osi_events: Events,
    /// Pemetrexed per 21-day cycle with the regimen's administration (paid per cycle of the
    /// first drug: src/sim/prepared.rs), carboplatin per cycle with its own administration,
    /// for 4 cycles at most.
    pub pemetrexed: f64,
    pub carboplatin: f64,
    pub carboplatin_cycles: u64,
    pub osi_price: f64,
    pub osi_discontinuation: f64,
    pub assessment: f64,
    pub second_line_share: f64,
    /// Progression-free utility of osimertinib as a second line.
    pub second_utility: f64,
    // states
    pub pf_cost: f64,
    pub pd_cost: f64,
    pub pf_utility: f64,
    pub pd_utility: f64,
    pub death_cost: f64,
    // contracts on first-line osimertinib
    pub discount: f64,
    pub window: f64,
    pub money_back_refund: f64,
    pub documentation_error: f64,
    pub admin_per_patient: f64,
    pub admin_per_assessment: f64,
    pub assess_at: f64,
    pub rebate_refund: f64,
    pub cap_cycles: u64,
    // precomputed
    inv_rho: f64,
    /// 1/cycle lengths and 1/scan interval.
    per_chemo_cycle: f64,
    per_osi_cycle: f64,
    per_assessment: f64,
    /// Σ_{k<n} q^k with q = d(cycle), for the 21- and 30-day cycles (model.md, Discounting).
    chemo_sums: Vec<f64>,
    osi_sums: Vec<f64>,
    /// d(t0) at the test's turnaround, the only first-line start other than 0.
    pub start_factor: f64,
    /// d(assess_at): a rebate at t0 + assess_at counts d(t0)·d(assess_at).
    assess_factor: f64,
    /// Σ_{k=1..n} d(t0 + k·s) for n scans in the money-back guarantee's window (n ≤ 4).
    scan_values: Vec<f64>,
    /// H at t0 of the waiting chemotherapy's and of osimertinib's progression clocks, for
    /// [responder, non-responder], without prognosis.
    chemo_at_start: [f64; 2],
    osi_at_start: [f64; 2],
}

impl Model {
    /// The default scenario with the life table `table` (its CSV text).
    pub fn new(table: &str) -> Result<Model, String> {
        let table = LifeTable::parse(table, 110.0)?;
        let horizon = 20.0;
        let rho = 0.03f64.ln_1p();
        let per_month = 12.0;
        let chemo = Course::new(
            (0.2, 0.2),
            (9.5 * MONTH, 4.4 * MONTH),
            (0.01 * per_month, 4.4 * MONTH),
            (0.66, 5000.0 * per_month),
        );
        let osi = Course::new(
            (0.80, 0.01),
            (24.5 * MONTH, 8.0 * MONTH),
            (0.004 * per_month, 16.2 * MONTH),
            (1.0, 2500.0 * per_month),
        );
        let osi_second = Course::new(
            (0.80, 0.01),
            (20.8 * MONTH, 6.24 * MONTH),
            (0.004 * per_month, 16.2 * MONTH),
            (1.0, 2500.0 * per_month),
        );
        let (chemo_cycle, osi_cycle) = (21.0 * DAY, 30.0 * DAY);
        let (turnaround, assessment, window) = (15.0 * DAY, 6.0 * WEEK, 6.0 * MONTH);
        let factor = |t: f64| (-rho * t).exp();
        // Σ_{k<n} q^k = expm1(n·ln q)/expm1(ln q) (src/accounting/discount.rs).
        let sums = |cycle: f64| -> Vec<f64> {
            let log_q = -rho * cycle;
            let most = (horizon / cycle).ceil() as usize + 2;
            (0..=most).map(|n| (log_q * n as f64).exp_m1() / log_q.exp_m1()).collect()
        };
        let scans = (window / assessment + TOLERANCE).floor() as usize;
        let scan_sums = sums(assessment);
        let first_scan = factor(turnaround + assessment);
        let at_start =
            |c: &Course| [c.progression_h(true, turnaround), c.progression_h(false, turnaround)];
        let mut m = Model {
            horizon,
            rho,
            prevalence: 0.15,
            share_female: 0.41,
            background: Background::new(&table, 64.0, horizon)?,
            test_cost: 3500.0,
            turnaround,
            positive: [(1.0 - 0.13) * (1.0 - 0.995), (1.0 - 0.13) * 0.95],
            chemo_at_start: at_start(&chemo),
            osi_at_start: at_start(&osi),
            chemo,
            osi,
            osi_second,
            chemo_events: Events::new(&[
                (0.15, 2500.0, 0.0042),
                (0.12, 2000.0, 0.0034),
                (0.02, 20000.0, 0.0035),
                (0.03, 500.0, 0.0042),
            ]),
            osi_events: Events::new(&[
                (0.02, 1500.0, 0.0009),
                (0.01, 500.0, 0.0012),
                (0.014, 500.0, 0.0042),
            ]),
            pemetrexed: 500.0 + 150.0,
            carboplatin: 40.0 + 70.0,
            carboplatin_cycles: 4,
            osi_price: 14763.0,
            osi_discontinuation: 0.008 * per_month,
            assessment,
            second_line_share: 0.6,
            second_utility: 0.653,
            pf_cost: 1000.0 * per_month,
            pd_cost: 2500.0 * per_month,
            pf_utility: 0.653,
            pd_utility: 0.473,
            death_cost: 10800.0,
            discount: 0.2,
            window,
            money_back_refund: 1.0,
            documentation_error: 0.05,
            admin_per_patient: 250.0,
            admin_per_assessment: 50.0,
            assess_at: 12.0 * WEEK,
            rebate_refund: 0.5,
            cap_cycles: 26,
            inv_rho: 1.0 / rho,
            per_chemo_cycle: 1.0 / chemo_cycle,
            per_osi_cycle: 1.0 / osi_cycle,
            per_assessment: 1.0 / assessment,
            chemo_sums: sums(chemo_cycle),
            osi_sums: sums(osi_cycle),
            start_factor: factor(turnaround),
            assess_factor: factor(12.0 * WEEK),
            scan_values: (0..=scans).map(|n| first_scan * scan_sums[n]).collect(),
        };
        for course in [&mut m.chemo, &mut m.osi, &mut m.osi_second] {
            for sex in 0..2 {
                course.floor_from[0][sex] = m.background.first_above(sex, course.death_rate);
                course.floor_from[1][sex] = m.background.first_above(sex, course.after_rate);
            }
        }
        Ok(m)
    }

    /// d(t) = 1.03^(−t).
    #[inline]
    pub fn factor(&self, t: f64) -> f64 {
        if t == 0.0 { 1.0 } else { (-self.rho * t).exp() }
    }

    /// ∫_a^b d(t) dt from d(a) and d(b) (0 when b ≤ a).
    #[inline]
    fn between(&self, da: f64, db: f64, a: f64, b: f64) -> f64 {
        if b <= a { 0.0 } else { (da - db) * self.inv_rho }
    }

    /// Σ_{k<n} d(k·c) of the chemotherapy's and of osimertinib's cycles.
    #[inline]
    fn chemo_sum(&self, n: u64) -> f64 {
        geometric(&self.chemo_sums, self.per_chemo_cycle, self.rho, n)
    }

    #[inline]
    fn osi_sum(&self, n: u64) -> f64 {
        geometric(&self.osi_sums, self.per_osi_cycle, self.rho, n)
    }
}

/// Σ_{k<n} q^k from its table, or by its closed form beyond it.
#[inline]
fn geometric(table: &[f64], per_cycle: f64, rho: f64, n: u64) -> f64 {
    match table.get(n as usize) {
        Some(x) => *x,
        None => {
            let log_q = -rho / per_cycle;
            (log_q * n as f64).exp_m1() / log_q.exp_m1()
        }
    }
}

/// Cycle starts start + k·c (k ≥ 0) strictly before `end` (a start within 1e-9 cycle lengths
/// of it counts as at it), at most `most` (model.md, Discounting and Regimen); `per` = 1/c,
/// (t − t0)/c taken as (t − t0)·(1/c) as the engine does.
#[inline]
pub fn cycles_before(start: f64, end: f64, per: f64, most: u64) -> u64 {
    let q = ((end - start) * per - TOLERANCE).max(0.0);
    if q.is_nan() || q >= 4.0e15 {
        return most;
    }
    // ⌈q⌉ through signed conversions (one instruction each; unsigned ones are several).
    let k = q as i64;
    ((k + i64::from((k as f64) < q)) as u64).min(most)
}

// ---------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------

/// A uniform on (0, 1): the top 53 bits, centred in their cell (0 and 1 cannot occur).
#[inline(always)]
pub fn uniform(rng: &mut Xoshiro256PlusPlus) -> f64 {
    ((rng.next_u64() >> 11) as i64 as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// An exponential variate by inversion, −ln U.
#[inline(always)]
pub fn exp1(rng: &mut Xoshiro256PlusPlus) -> f64 {
    -uniform(rng).ln()
}

// ---------------------------------------------------------------------------------------------
// One patient
// ---------------------------------------------------------------------------------------------

/// A patient's draws made up front, in this order, by both floors: the first-line draws
/// every strategy shares (model.md, Patients and common random numbers: EGFR status against
/// the prevalence, the response uniform, and the exponential variates E = −ln U of
/// progression, death before progression and survival after progression; a floor takes the
/// logarithms), then the uniforms of the draws the common path of one strategy makes
/// (chemo_for_all's adverse events and fitness for a second line with its re-test,
/// test_and_treat's test and its test-negative patients' adverse events).
pub const UNIFORMS: usize = 9;

/// A patient's up-front draws, the variates taken.
#[derive(Clone, Copy, Debug, Default)]
pub struct Draws {
    pub egfr: bool,
    pub response: f64,
    pub progression: f64,
    pub death: f64,
    pub after: f64,
    pub comparator_events: f64,
    pub second_line: f64,
    pub test: f64,
    pub tested_events: f64,
}

/// The up-front draws of one patient, one after the other.
#[inline]
pub fn draws(m: &Model, rng: &mut Xoshiro256PlusPlus) -> Draws {
    Draws {
        egfr: uniform(rng) < m.prevalence,
        response: uniform(rng),
        progression: exp1(rng),
        death: exp1(rng),
        after: exp1(rng),
        comparator_events: uniform(rng),
        second_line: uniform(rng),
        test: uniform(rng),
        tested_events: uniform(rng),
    }
}

/// The first-line course on platinum-pemetrexed from diagnosis. Both chemotherapy regimens
/// (with and without the re-test at progression) have the same curves and prognosis, and a
/// course's draws are the line's, so this is the course of chemo_for_all, of test_and_treat's
/// test-negative patients, and of its test-positive patients until treatment starts (the
/// waiting regimen): progression P (∞ if death comes first) and death D from diagnosis, with
/// d(min(P, D, H)) and d(min(D, H)).
#[derive(Clone, Copy, Debug, Default)]
pub struct ChemoCourse {
    pub responder: bool,
    pub progression: f64,
    pub death: f64,
    pub pf_factor: f64,
    pub death_factor: f64,
}

/// The progression clock's cumulative hazard E/HR (prognosis: model.md, Prognosis) and
/// whether the patient responds to chemotherapy.
#[inline]
pub fn chemo_clock(m: &Model, d: &Draws) -> (bool, f64) {
    let c = &m.chemo;
    let hr = if d.egfr { c.egfr_progression_hr } else { 1.0 };
    (d.response < c.response(d.egfr), d.progression / hr)
}

/// The chemotherapy course from its progression time `tp` (competing with death before
/// progression; survival after progression from P).
#[inline]
pub fn chemo_course(m: &Model, d: &Draws, responder: bool, tp: f64) -> ChemoCourse {
    let c = &m.chemo;
    let td = d.death / c.death_rate;
    let (progression, death) =
        if tp < td { (tp, tp + d.after / c.after_rate) } else { (f64::INFINITY, td) };
    ChemoCourse { responder, progression, death, pf_factor: 1.0, death_factor: 1.0 }
}

/// The floor on the chemotherapy course, from diagnosis.
#[inline]
pub fn floor_chemo(
    m: &Model,
    (person, rng): (&mut Person, &mut Xoshiro256PlusPlus),
    c: &mut ChemoCourse,
) {
    if let Some((p, d)) = floor(m, (person, rng), &m.chemo, (0.0, c.progression, c.death)) {
        c.progression = p;
        c.death = d;
    }
}

/// min(P, D, H) and min(D, H) of a course: the times of its two discount factors.
#[inline]
pub fn factor_times(m: &Model, c: &ChemoCourse) -> (f64, f64) {
    let end = c.death.min(m.horizon);
    (c.progression.min(end), end)
}

/// d(min(P, D, H)) and d(min(D, H)) of the chemotherapy course, one by one.
#[inline]
pub fn chemo_factors(m: &Model, c: &mut ChemoCourse) {
    let (pf_end, end) = factor_times(m, c);
    c.pf_factor = m.factor(pf_end);
    c.death_factor = if pf_end == end { c.pf_factor } else { m.factor(end) };
}

/// The floored mortality on a course (model.md, Population and background mortality;
/// src/sim/background.rs `floored_death`, src/sim/patient.rs `floor_course`): the first
/// background candidate in [from, min(D, H)) that the course's death hazard (death before
/// progression until P, the survival after progression's from P) does not already exceed,
/// kept with probability 1 − h_disease/h_background on its own uniform; the course is then
/// cut there (no progression if P came at or after it). Returns the new (P, D) if cut.
/// A candidate where the general population's hazard does not exceed the state's is never
/// kept, whatever its uniform, so the patient's background process is drawn only for a
/// course that reaches a time where it could be (within the horizon, none of the
/// chemotherapy's, nor any survival after progression; osimertinib's progression-free time
/// from age 77 for men and 80 for women).
#[inline]
pub fn floor(
    m: &Model,
    (person, rng): (&mut Person, &mut Xoshiro256PlusPlus),
    c: &Course,
    (from, progression, death): (f64, f64, f64),
) -> Option<(f64, f64)> {
    let span = (from, progression, death.min(m.horizon));
    if !(c.floor_may_bind(0, span) || c.floor_may_bind(1, span)) {
        return None;
    }
    floor_search(m, (person, rng), c, span)
}

#[inline(never)]
fn floor_search(
    m: &Model,
    (person, rng): (&mut Person, &mut Xoshiro256PlusPlus),
    c: &Course,
    (from, progression, until): (f64, f64, f64),
) -> Option<(f64, f64)> {
    let sex = person.sex(m, rng);
    if !c.floor_may_bind(sex, (from, progression, until)) {
        return None;
    }
    for k in 0.. {
        let t = person.candidate(m, rng, k);
        if t >= until {
            return None;
        }
        if t < from {
            // Judged on the course before `from` (the waiting regimen's).
            continue;
        }
        let background = m.background.hazard_at(sex, t);
        let disease = if t < progression { c.death_rate } else { c.after_rate };
        if background.is_finite() && disease >= background {
            // (1 − V)·h_b < h_b ≤ h_disease: not kept whatever V.
            continue;
        }
        let v = person.v(rng, k);
        if !background.is_finite() || disease < (1.0 - v) * background {
            return Some((if progression >= t { f64::INFINITY } else { progression }, t));
        }
    }
    None
}

/// Discounted cost, QALYs and life-years of one trajectory.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outcome {
    pub cost: f64,
    pub qaly: f64,
    pub ly: f64,
}

/// The states' value of a course without a second line (model.md, States, costs and
/// outcomes; src/sim/ledger.rs `value_course`): progression-free on [0, min(P, D)),
/// progressed on [P, D) with the regimen's subsequent-therapy cost, terminal care at D, all
/// cut at H; `pf` = d(min(P, D, H)), `dd` = d(min(D, H)).
#[inline]
pub fn course_value(
    m: &Model,
    (progression, death): (f64, f64),
    (pf, dd): (f64, f64),
    post_cost: f64,
) -> Outcome {
    let end = death.min(m.horizon);
    let pf_end = progression.min(end);
    let pf_ly = m.between(1.0, pf, 0.0, pf_end);
    let pd_ly = m.between(pf, dd, pf_end, end);
    let terminal = if death < m.horizon { m.death_cost * dd } else { 0.0 };
    Outcome {
        cost: m.pf_cost * pf_ly + (m.pd_cost + post_cost) * pd_ly + terminal,
        qaly: m.pf_utility * pf_ly + m.pd_utility * pd_ly,
        ly: pf_ly + pd_ly,
    }
}

/// Platinum-pemetrexed's drugs and administration, cycles from t0 (d(t0) = `d0`) before the
/// end of treatment and the horizon (model.md, Regimen).
#[inline]
fn chemo_drugs(m: &Model, (t0, d0): (f64, f64), end: f64) -> f64 {
    let n = cycles_before(t0, end.min(m.horizon), m.per_chemo_cycle, u64::MAX);
    let carboplatin = n.min(m.carboplatin_cycles);
    d0 * (m.pemetrexed * m.chemo_sum(n) + m.carboplatin * m.chemo_sum(carboplatin))
}

/// The progression detected at the first 6-weekly scan t0 + k·s (k ≥ 1) at or after P;
/// never if death comes before that scan (model.md, Outcome observation).
#[inline]
fn detected(m: &Model, t0: f64, progression: f64, death: f64) -> f64 {
    if !progression.is_finite() {
        return f64::INFINITY;
    }
    let k = ((progression - t0) * m.per_assessment - TOLERANCE).ceil().max(1.0);
    let at = t0 + k * m.assessment;
    if at < death { at } else { f64::INFINITY }
}

/// The rest of a patient's two trajectories once the up-front draws and the chemotherapy
/// course (floored, with its discount factors) are known: chemo_for_all with its second line,
/// test_and_treat with its test, its osimertinib course continued after the wait and its
/// contracts; all added to `sums`.
#[inline]
pub fn finish(
    m: &Model,
    (person, rng): (&mut Person, &mut Xoshiro256PlusPlus),
    dr: &Draws,
    chemo: &ChemoCourse,
    sums: &mut Sums,
) {
    let (p, d) = (chemo.progression, chemo.death);
    let chemo_value =
        course_value(m, (p, d), (chemo.pf_factor, chemo.death_factor), m.chemo.post_cost);

    // chemo_for_all: platinum-pemetrexed from diagnosis (t0 = 0: always treated, d(t0) = 1),
    // no scans (the progression detected is P), no toxicity stop, adverse events at 0; a
    // second line for a fit patient whose re-test at progression reads EGFR.
    let (ae_cost, ae_loss) = m.chemo_events.draw(dr.comparator_events);
    let whole = second_line(m, (person, rng), dr, chemo, &chemo_value);
    let comparator = Outcome {
        cost: chemo_drugs(m, (0.0, 1.0), p.min(d)) + ae_cost + whole.cost,
        qaly: whole.qaly - ae_loss,
        ly: whole.ly,
    };
    sums.arms[CHEMO_FOR_ALL].add(&comparator, &comparator);

    // test_and_treat: tissue NGS at diagnosis (paid then), results at t0 = 15 days, a failed
    // test read negative (model.md, Pathway of a strategy); EGFR read → osimertinib, after
    // the wait on the default regimen's course (model.md, Waiting for a result).
    let t0 = m.turnaround;
    let positive = dr.test < m.positive[usize::from(dr.egfr)];
    let mut tested = Outcome { cost: m.test_cost, ..Outcome::default() };
    if positive && p.min(d) > t0 {
        let (o, x) = osimertinib(m, (person, rng), dr, chemo);
        tested.cost += o.cost;
        tested.qaly += o.qaly;
        tested.ly += o.ly;
        sums.arms[TEST_AND_TREAT].add(&tested, &comparator);
        if let Some(x) = x {
            contracts(m, rng, &x, (&tested, &comparator), sums);
        }
        return;
    }
    // Read negative: platinum-pemetrexed (without the re-test) on the same course, treated
    // from t0 if alive and progression-free then. Read positive but progressed or dead while
    // waiting: the waiting chemotherapy's course, never treated.
    tested.cost += chemo_value.cost;
    tested.qaly += chemo_value.qaly;
    tested.ly += chemo_value.ly;
    if !positive && p.min(d) > t0 {
        let d0 = m.start_factor;
        let (ae_cost, ae_loss) = m.chemo_events.draw(dr.tested_events);
        tested.cost += chemo_drugs(m, (t0, d0), p.min(d)) + ae_cost * d0;
        tested.qaly -= ae_loss * d0;
    }
    sums.arms[TEST_AND_TREAT].add(&tested, &comparator);
}

/// chemo_for_all's second line (model.md, Lines of therapy; src/sim/patient.rs
/// `second_line`): at a progression detected before death and the horizon, a patient fit for
/// a second line (60 %) is re-tested (paid at P; a draw of its own); read EGFR-positive and
/// alive when the result is in, the patient starts osimertinib after chemotherapy with the
/// second line's own draws, its clocks from that start. One uniform decides fitness and the
/// reading: fit when u < 0.6, and then (u/0.6 uniform) read positive when u < 0.6·P(read).
/// Returns the trajectory's states' value with the re-test and the second line's treatment;
/// `first` (the first-line course's value) without a re-test.
#[inline]
fn second_line(
    m: &Model,
    (person, rng): (&mut Person, &mut Xoshiro256PlusPlus),
    dr: &Draws,
    chemo: &ChemoCourse,
    first: &Outcome,
) -> Outcome {
    let (p, d) = (chemo.progression, chemo.death);
    if !(p < m.horizon && p < d && dr.second_line < m.second_line_share) {
        return *first;
    }
    // The re-test at P: d(P) is the course's d(min(P, D, H)).
    let test = m.test_cost * chemo.pf_factor;
    let positive = dr.second_line < m.second_line_share * m.positive[usize::from(dr.egfr)];
    if !positive || d <= p + m.turnaround {
        // No rule selects a regimen (no default: the first regimen's course stands), or
        // death while waiting for the result: the re-test is paid.
        return Outcome { cost: first.cost + test, ..*first };
    }
    osimertinib_second(m, (person, rng), dr.egfr, chemo, test)
}

/// Osimertinib as a second line from P + turnaround (out of line: about 5 % of patients).
#[inline(never)]
fn osimertinib_second(
    m: &Model,
    (person, rng): (&mut Person, &mut Xoshiro256PlusPlus),
    egfr: bool,
    chemo: &ChemoCourse,
    test: f64,
) -> Outcome {
    let (p, c, h) = (chemo.progression, &m.osi_second, m.horizon);
    let start = p + m.turnaround;
    // The second line's own draws (response, progression, death, survival after progression).
    let responder = uniform(rng) < c.response(egfr);
    let tp = c.progression_time(responder, exp1(rng));
    let td = exp1(rng) / c.death_rate;
    let after = exp1(rng);
    let (mut p2, mut d2) = if tp < td {
        (start + tp, start + tp + after / c.after_rate)
    } else {
        (f64::INFINITY, start + td)
    };
    // The floor on the second line's own hazards from its start (src/sim/patient.rs
    // `second_line`: a floored mortality cuts the second line's course from its start).
    if let Some(cut) = floor(m, (person, rng), c, (start, p2, d2)) {
        (p2, d2) = cut;
    }
    // Treatment from `start` (model.md, Regimen): scans, a toxicity stop, adverse events.
    let mut cost = test;
    let mut loss = 0.0;
    let d_start = m.factor(start);
    if p2.min(d2) > start && start < h {
        let stop = start + exp1(rng) / m.osi_discontinuation;
        let end = detected(m, start, p2, d2).min(d2).min(stop);
        let n = cycles_before(start, end.min(h), m.per_osi_cycle, u64::MAX);
        cost += m.osi_price * d_start * m.osi_sum(n);
        let (ae_cost, ae_loss) = m.osi_events.draw(uniform(rng));
        cost += ae_cost * d_start;
        loss += ae_loss * d_start;
    }
    // The whole course (src/sim/ledger.rs `value_course` with a second line): progression-free
    // until the first progression, progressed until the second line's death; subsequent
    // therapy (the second line's) only after its own progression; its progression-free time
    // at its own utility instead of the progressed one.
    let end = d2.min(h);
    let dd = m.factor(end);
    let pf = chemo.pf_factor;
    let pf_ly = m.between(1.0, pf, 0.0, p);
    let pd_ly = m.between(pf, dd, p, end);
    let post = if p2 < end { c.post_cost * m.between(m.factor(p2), dd, p2, end) } else { 0.0 };
    let stable_end = p2.min(end);
    let stable = if start < stable_end {
        let ds = if stable_end == end { dd } else { m.factor(stable_end) };
        m.between(d_start, ds, start, stable_end)
    } else {
        0.0
    };
    let terminal = if d2 < h { m.death_cost * dd } else { 0.0 };
    cost += m.pf_cost * pf_ly + m.pd_cost * pd_ly + post + terminal;
    let qaly =
        m.pf_utility * pf_ly + m.pd_utility * pd_ly + (m.second_utility - m.pd_utility) * stable
            - loss;
    Outcome { cost, qaly, ly: pf_ly + pd_ly }
}

/// What a contract reads of a patient treated with first-line osimertinib from t0 (the
/// turnaround): the list-paid cycles, detected progression, death, response.
#[derive(Clone, Copy, Debug)]
pub struct Exposure {
    pub cycles: u64,
    pub detected: f64,
    pub death: f64,
    pub responder: bool,
}

/// test_and_treat's patient read EGFR-positive and alive and progression-free at t0 on the
/// waiting chemotherapy (model.md, Waiting for a result; src/sim/patient.rs
/// `waited_course_into`): each clock goes on from t0 along osimertinib's hazards with what
/// remains of the same exponential variate, E − H_wait(t0) (H_wait with the waiting
/// regimen's response and prognosis); response on osimertinib from the same uniform;
/// survival after progression osimertinib's on the shared variate; then the floor from t0 on
/// osimertinib's hazards. Treated from t0: scans every 6 weeks, a toxicity stop, adverse
/// events. Returns the trajectory after the test, and the exposure the contracts read.
#[inline(never)]
fn osimertinib(
    m: &Model,
    (person, rng): (&mut Person, &mut Xoshiro256PlusPlus),
    dr: &Draws,
    chemo: &ChemoCourse,
) -> (Outcome, Option<Exposure>) {
    let (w, c, t0, h) = (&m.chemo, &m.osi, m.turnaround, m.horizon);
    let hr = if dr.egfr { w.egfr_progression_hr } else { 1.0 };
    let waited = hr * m.chemo_at_start[usize::from(!chemo.responder)];
    let rest_p = (dr.progression - waited).max(0.0);
    let rest_d = (dr.death - w.death_rate * t0).max(0.0);
    let responder = dr.response < c.response(dr.egfr);
    let tp = c.progression_time(responder, m.osi_at_start[usize::from(!responder)] + rest_p);
    let tp = tp.max(t0);
    let td = ((c.death_rate * t0 + rest_d) / c.death_rate).max(t0);
    let (mut p, mut d) =
        if tp < td { (tp, tp + dr.after / c.after_rate) } else { (f64::INFINITY, td) };
    if let Some(cut) = floor(m, (person, rng), c, (t0, p, d)) {
        (p, d) = cut;
    }
    let end = d.min(h);
    let pf = m.factor(p.min(end));
    let dd = if p.min(end) == end { pf } else { m.factor(end) };
    let mut o = course_value(m, (p, d), (pf, dd), c.post_cost);
    if !(p.min(d) > t0 && t0 < h) {
        return (o, None);
    }
    let d0 = m.start_factor;
    let seen = detected(m, t0, p, d);
    let stop = t0 + exp1(rng) / m.osi_discontinuation;
    let n = cycles_before(t0, seen.min(d).min(stop).min(h), m.per_osi_cycle, u64::MAX);
    o.cost += m.osi_price * d0 * m.osi_sum(n);
    let (ae_cost, ae_loss) = m.osi_events.draw(uniform(rng));
    o.cost += ae_cost * d0;
    o.qaly -= ae_loss * d0;
    (o, Some(Exposure { cycles: n, detected: seen, death: d, responder }))
}

/// The four contract arms' differences from the list arm for a patient treated with
/// first-line osimertinib (model.md, Contracts; src/contracts/*.rs, src/contracts/mod.rs
/// `cash`), added as corrections to the list arm's sums.
#[inline(never)]
fn contracts(
    m: &Model,
    rng: &mut Xoshiro256PlusPlus,
    x: &Exposure,
    (list, comparator): (&Outcome, &Outcome),
    sums: &mut Sums,
) {
    let (t0, d0, a, h) = (m.turnaround, m.start_factor, m.osi_price, m.horizon);
    let list_units = d0 * m.osi_sum(x.cycles);
    // `a` strictly after or before `b`, beyond floating-point ties (relative to t0).
    let after = |a: f64, b: f64| a - t0 > (b - t0) * (1.0 + TOLERANCE);
    let before = |a: f64, b: f64| a - t0 < (b - t0) * (1.0 - TOLERANCE);

    // discount_20: every cycle 20 % off.
    let discount = -m.discount * a * list_units;

    // money_back_6m: a failure F = min(detected progression, death) within 6 months of t0,
    // recorded unless undocumented (5 %), refunds the cycles paid before F, at F.
    // Administration: $250 at t0 and $50 at each scan t0 + k·s up to t0 + 6 months, before
    // death and the horizon.
    let failure = x.detected.min(x.death);
    let mut money_back = 0.0;
    if before(failure, t0 + m.window) && failure < h && uniform(rng) >= m.documentation_error {
        let paid = cycles_before(t0, failure, m.per_osi_cycle, x.cycles);
        money_back -= m.money_back_refund * a * paid as i64 as f64 * m.factor(failure);
    }
    let alive = cycles_before(t0 + m.assessment, x.death.min(h), m.per_assessment, u64::MAX);
    let scans = (alive as usize).min(m.scan_values.len() - 1);
    money_back += m.admin_per_patient * d0 + m.admin_per_assessment * m.scan_values[scans];

    // risk_sharing_50: unless a responder alive without detected progression at t0 + 12
    // weeks, half of the cycles given in the first 12 weeks refunded then.
    let at = t0 + m.assess_at;
    let success = x.responder && after(x.detected, at) && after(x.death, at);
    let made = cycles_before(0.0, m.assess_at, m.per_osi_cycle, x.cycles);
    let rebate = if !success && at < h && made > 0 {
        -m.rebate_refund * a * made as i64 as f64 * d0 * m.assess_factor
    } else {
        0.0
    };

    // cap_26_cycles: the cycles beyond the 26th free.
    let cap = -a * d0 * (m.osi_sum(x.cycles) - m.osi_sum(x.cycles.min(m.cap_cycles)));

    for (arm, delta) in
        [(DISCOUNT, discount), (MONEY_BACK, money_back), (REBATE, rebate), (CAP, cap)]
    {
        sums.arms[arm].correct(list, delta, comparator);
    }
}

// ---------------------------------------------------------------------------------------------
// Sums (src/sim/accumulator.rs `ArmSums`)
// ---------------------------------------------------------------------------------------------

/// Sums over one arm's patients; a contract arm's are corrections to its list arm's (merged
/// when read: [`Sums::arm`]), with its treated patients counted.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArmSums {
    pub cost: f64,
    pub cost2: f64,
    pub qaly: f64,
    pub qaly2: f64,
    pub cost_qaly: f64,
    pub ly: f64,
    pub ly2: f64,
    pub dcost: f64,
    pub dcost2: f64,
    pub dqaly: f64,
    pub dqaly2: f64,
    pub dcost_dqaly: f64,
    pub treated: u64,
    /// A contract arm's corrections alone: Σ δ and Σ δ² over its treated patients (δ the
    /// patient's cost under the contract minus at list).
    pub delta: f64,
    pub delta2: f64,
}

impl ArmSums {
    /// One patient's trajectory on a list arm, with the comparator's.
    #[inline]
    pub fn add(&mut self, o: &Outcome, comparator: &Outcome) {
        self.cost += o.cost;
        self.cost2 += o.cost * o.cost;
        self.qaly += o.qaly;
        self.qaly2 += o.qaly * o.qaly;
        self.cost_qaly += o.cost * o.qaly;
        self.ly += o.ly;
        self.ly2 += o.ly * o.ly;
        let (dc, dq) = (o.cost - comparator.cost, o.qaly - comparator.qaly);
        self.dcost += dc;
        self.dcost2 += dc * dc;
        self.dqaly += dq;
        self.dqaly2 += dq * dq;
        self.dcost_dqaly += dc * dq;
    }

    /// A contract arm's treated patient: the list arm's trajectory `list`, its cost moved by
    /// `delta` (the increments' QALYs are the list arm's).
    #[inline]
    pub fn correct(&mut self, list: &Outcome, delta: f64, comparator: &Outcome) {
        let dc = list.cost - comparator.cost;
        let dq = list.qaly - comparator.qaly;
        self.treated += 1;
        self.cost += delta;
        self.cost2 += delta * (2.0 * list.cost + delta);
        self.cost_qaly += delta * list.qaly;
        self.dcost += delta;
        self.dcost2 += delta * (2.0 * dc + delta);
        self.dcost_dqaly += delta * dq;
        self.delta += delta;
        self.delta2 += delta * delta;
    }

    pub fn merge(&mut self, o: &ArmSums) {
        self.cost += o.cost;
        self.cost2 += o.cost2;
        self.qaly += o.qaly;
        self.qaly2 += o.qaly2;
        self.cost_qaly += o.cost_qaly;
        self.ly += o.ly;
        self.ly2 += o.ly2;
        self.dcost += o.dcost;
        self.dcost2 += o.dcost2;
        self.dqaly += o.dqaly;
        self.dqaly2 += o.dqaly2;
        self.dcost_dqaly += o.dcost_dqaly;
        self.treated += o.treated;
        self.delta += o.delta;
        self.delta2 += o.delta2;
    }
}

/// Every arm's sums over a set of patients.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sums {
    pub patients: u64,
    pub arms: [ArmSums; 6],
}

impl Sums {
    pub fn merge(&mut self, o: &Sums) {
        self.patients += o.patients;
        for (a, b) in self.arms.iter_mut().zip(&o.arms) {
            a.merge(b);
        }
    }

    /// An arm's own sums: a contract arm's corrections merged onto its list arm's.
    pub fn arm(&self, arm: usize) -> ArmSums {
        if arm < DISCOUNT {
            return self.arms[arm];
        }
        let mut a = self.arms[TEST_AND_TREAT];
        a.merge(&self.arms[arm]);
        a
    }

    /// Per arm (in [`ARMS`]' order), its means with their standard errors.
    pub fn estimates(&self) -> Vec<Estimates> {
        let n = self.patients;
        (0..ARMS.len())
            .map(|k| {
                let a = self.arm(k);
                Estimates {
                    cost: estimate(a.cost, a.cost2, n),
                    qaly: estimate(a.qaly, a.qaly2, n),
                    ly: estimate(a.ly, a.ly2, n),
                    inc_cost: estimate(a.dcost, a.dcost2, n),
                    inc_qaly: estimate(a.dqaly, a.dqaly2, n),
                    treated: a.treated,
                    correction: estimate(a.delta, a.delta2, n),
                }
            })
            .collect()
    }
}

/// An arm's (mean, Monte Carlo standard error) of cost, QALYs, LYs, and of the increments of
/// cost and QALYs against chemo_for_all (paired, per patient), and its treated patients.
#[derive(Clone, Copy, Debug)]
pub struct Estimates {
    pub cost: (f64, f64),
    pub qaly: (f64, f64),
    pub ly: (f64, f64),
    pub inc_cost: (f64, f64),
    pub inc_qaly: (f64, f64),
    pub treated: u64,
    /// A contract arm's mean cost difference from its list arm per patient (0 for list arms).
    pub correction: (f64, f64),
}

/// Mean and standard error of the mean from Σx and Σx² over n (src/analysis/cea.rs
/// `estimate`).
pub fn estimate(sum: f64, sum2: f64, n: u64) -> (f64, f64) {
    let nf = n as f64;
    let mean = sum / nf;
    let var = ((sum2 - sum * mean) / (nf - 1.0)).max(0.0);
    (mean, (var / nf).sqrt())
}

// ---------------------------------------------------------------------------------------------
// Threads, command line, printing
// ---------------------------------------------------------------------------------------------

/// A floor's loop: `patients` patients on the thread's generator.
pub type Work = fn(&Model, u64, &mut Xoshiro256PlusPlus) -> Sums;

/// Simulate `patients` split over `threads` (std::thread::scope), each thread with its own
/// Xoshiro256++ seeded from `seed` + its index; the merged sums and the wall seconds.
pub fn run_threads(
    model: &Model,
    patients: u64,
    threads: u64,
    seed: u64,
    work: Work,
) -> (Sums, f64) {
    let start = Instant::now();
    let sums = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let share = patients / threads + u64::from(t < patients % threads);
                s.spawn(move || {
                    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed.wrapping_add(t));
                    work(model, share, &mut rng)
                })
            })
            .collect();
        let mut total = Sums::default();
        for h in handles {
            total.merge(&h.join().expect("a floor thread panicked"));
        }
        total
    });
    (sums, start.elapsed().as_secs_f64())
}

/// `[PATIENTS] [THREADS]` (defaults: 1,000,000 patients per strategy, as `vbpsim bench`, on
/// one thread).
pub fn arguments() -> Result<(u64, u64), String> {
    let mut args = std::env::args().skip(1);
    let mut number = |what: &str, default: u64| -> Result<u64, String> {
        match args.next() {
            None => Ok(default),
            Some(a) => match a.parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{what} must be a whole number above 0, found `{a}`")),
            },
        }
    };
    let patients = number("PATIENTS", 1_000_000)?;
    let threads = number("THREADS", 1)?;
    if patients < threads {
        return Err(format!("fewer patients ({patients}) than threads ({threads})"));
    }
    Ok((patients, threads))
}

/// Read the bundled life table and build the model (before any timing).
pub fn load() -> Result<Model, String> {
    let text = std::fs::read_to_string(LIFE_TABLE).map_err(|e| format!("{LIFE_TABLE}: {e}"))?;
    Model::new(&text).map_err(|e| format!("{LIFE_TABLE}: {e}"))
}

/// Both floors' command line: parse, load, simulate (timed), print.
pub fn main_with(name: &str, work: Work) -> std::process::ExitCode {
    let run = || -> Result<(), String> {
        let (patients, threads) = arguments()?;
        let model = load()?;
        let (sums, seconds) = run_threads(&model, patients, threads, 2026, work);
        print(name, &sums, seconds, threads);
        Ok(())
    };
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// The speed (a trajectory is one patient on one strategy, as `vbpsim bench` counts them; per
/// core = wall seconds × threads / trajectories) and every arm's means with their standard
/// errors.
pub fn print(name: &str, sums: &Sums, seconds: f64, threads: u64) {
    let trajectories = 2 * sums.patients;
    println!("{name}_patients: {}", sums.patients);
    println!("{name}_trajectories: {trajectories}");
    println!("{name}_threads: {threads}");
    println!(
        "{name}_ns_per_trajectory_per_core: {:.1}",
        seconds * 1e9 * threads as f64 / trajectories as f64
    );
    println!("{name}_trajectories_per_second: {:.0}", trajectories as f64 / seconds);
    println!(
        "{:<31} {:>20} {:>18} {:>18} {:>19} {:>18} {:>8}",
        "arm", "cost", "qaly", "ly", "inc_cost", "inc_qaly", "treated"
    );
    let pm = |(m, s): (f64, f64), d: usize| format!("{m:.d$} ± {s:.d$}");
    for (arm, e) in ARMS.iter().zip(sums.estimates()) {
        println!(
            "{arm:<31} {:>20} {:>18} {:>18} {:>19} {:>18} {:>8}",
            pm(e.cost, 1),
            pm(e.qaly, 5),
            pm(e.ly, 5),
            pm(e.inc_cost, 1),
            pm(e.inc_qaly, 5),
            e.treated
        );
    }
}
