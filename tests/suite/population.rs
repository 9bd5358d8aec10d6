//! General-population mortality (`[population]`, docs: Model → Population and background
//! mortality) against closed forms.
//!
//! The expectations are written from the docs and the bundled CSV alone: the table's q_x are
//! read here by hand, the hazard is constant within each year of age, h_x = −ln(1 − q_x), the
//! last age's hazard goes on to the maximum age (110, when everyone still alive dies). With
//! exponential disease hazards every expectation is a sum over the table's years of
//! ∫ S_bg(t)·e^(−c·t) dt, each piece in closed form. Tolerances are 4 Monte Carlo standard
//! errors of the engine's own means.

use crate::support::{load, run};
use vbpsim::rng::SampleKey;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, course, coverage_end, second_line, start, treat, tumour,
    waited_course_into,
};
use vbpsim::workflow::run::RunOptions;

const TABLE: &str = include_str!("../../assets/life_tables/us_ssa_period_2020_qx.csv");
const MAX_AGE: f64 = 110.0;
const MONTH: f64 = 1.0 / 12.0;

/// background.toml's numbers: progression, death before progression and death after
/// progression rates per year; utilities; state costs per year; discount rates; horizon.
const PROGRESSION: f64 = 0.3;
const DEATH_PF: f64 = 0.05;
const DEATH_PD: f64 = 0.4;
const U_PF: f64 = 0.8;
const U_PD: f64 = 0.6;
const C_PF: f64 = 100.0 * 12.0;
const C_PD: f64 = 200.0 * 12.0;
const RC: f64 = 0.035;
const RO: f64 = 0.015;
const HORIZON: f64 = 80.0;

/// The yearly hazards of one sex from the CSV, from age 0.
fn hazards(female: bool) -> Vec<f64> {
    let field = if female { 2 } else { 1 };
    TABLE
        .lines()
        .skip(1)
        .map(|l| {
            let q: f64 = l.split(',').nth(field).unwrap().trim().parse().unwrap();
            -(1.0 - q).ln()
        })
        .collect()
}

/// ∫₀^H S_bg(t)·e^(−c·t) dt for a person of age `age` and the given sex: piece by piece over
/// the years of age, S_bg constant-hazard within each.
fn integral(female: bool, age: f64, c: f64, horizon: f64) -> f64 {
    let h = hazards(female);
    let last = h.len() - 1;
    let (mut a, mut t, mut alive, mut total) = (age, 0.0, 1.0, 0.0);
    while a < MAX_AGE && t < horizon {
        let k = a.floor() as usize;
        let (hazard, end) = if k < last { (h[k], (k + 1) as f64) } else { (h[last], MAX_AGE) };
        let len = (end - a).min(horizon - t);
        let rate = hazard + c;
        let piece = if rate == 0.0 { len } else { -(-rate * len).exp_m1() / rate };
        total += alive * (-c * t).exp() * piece;
        alive *= (-hazard * len).exp();
        t += len;
        a += len;
    }
    total
}

/// The expectation over sex (`female` the share) of a function of sex.
fn by_sex(female: f64, f: impl Fn(bool) -> f64) -> f64 {
    female * f(true) + (1.0 - female) * f(false)
}

/// Expected LY (undiscounted and discounted), QALY and cost of the three-state course with
/// rates (a: progression, d: death before progression, s: death after it) for a person of
/// `age` and sex: progression-free e^(−(a+d)t), progressed a/(a+d−s)·(e^(−st) − e^(−(a+d)t)),
/// each times S_bg(t).
fn three_state(female: bool, age: f64, (a, d, s): (f64, f64, f64), horizon: f64) -> [f64; 4] {
    let (dc, dq) = ((1.0f64 + RC).ln(), (1.0f64 + RO).ln());
    let e = |c: f64| integral(female, age, c, horizon);
    let k = a / (a + d - s);
    let pf = |r: f64| e(a + d + r);
    let pd = |r: f64| k * (e(s + r) - e(a + d + r));
    [
        pf(0.0) + pd(0.0),
        pf(dq) + pd(dq),
        U_PF * pf(dq) + U_PD * pd(dq),
        C_PF * pf(dc) + C_PD * pd(dc),
    ]
}

fn close(got: f64, want: f64, mcse: Option<f64>, what: &str) {
    let se = mcse.unwrap();
    assert!((got - want).abs() <= 4.0 * se, "{what}: {got} vs {want} (mcse {se})");
}

/// A patient's mean LY/QALY/cost from a run against the expectations [ly, ly_disc, qaly, cost].
fn check(sets: &[String], name: &str, want: [f64; 4]) {
    let sim = run(&load(name, sets), &RunOptions::default());
    let s = &sim.summary[0];
    close(s.ly_undiscounted.mean, want[0], s.ly_undiscounted.mcse, "undiscounted LY");
    close(s.ly.mean, want[1], s.ly.mcse, "discounted LY");
    close(s.qaly.mean, want[2], s.qaly.mcse, "QALY");
    close(s.cost.mean, want[3], s.cost.mcse, "cost");
}

fn set(s: &str) -> String {
    s.to_string()
}

/// A cohort free of disease (hazards of 10⁻⁹ a year) lives the life table's expectancy, at
/// several ages and for each sex.
#[test]
fn a_cohort_without_disease_lives_the_life_tables_expectancy() {
    let tiny = 1e-9;
    let none = [
        set("regimens.bsc.progression.responder.rate = \"1e-9 per year\""),
        set("regimens.bsc.progression.non_responder.rate = \"1e-9 per year\""),
        set("regimens.bsc.death_before_progression.rate = \"1e-9 per year\""),
        set("scenario.horizon = \"110 years\""),
    ];
    for (age, female) in [(40.0, 0.0), (65.0, 1.0), (85.0, 0.5), (104.5, 0.5)] {
        let mut sets = none.to_vec();
        sets.push(format!("population.age = \"{age} years\""));
        sets.push(format!("population.share_female = {female}"));
        let want = by_sex(female, |f| integral(f, age, 0.0, 110.0));
        let sim = run(&load("population/background.toml", &sets), &RunOptions::default());
        let s = &sim.summary[0];
        let what = format!("life expectancy at {age} (female share {female})");
        close(s.ly_undiscounted.mean, want, s.ly_undiscounted.mcse, &what);
        // The disease's own hazard is negligible: with it, the expectation falls by at most
        // 2·10⁻⁹·∫ t dt over the horizon (e^(−ct) ≥ 1 − ct), far below the Monte Carlo error.
        let with = by_sex(female, |f| three_state(f, age, (tiny, tiny, DEATH_PD), 110.0)[0]);
        assert!((with - want).abs() <= 2.0 * tiny * 110.0f64.powi(2) / 2.0, "{with} vs {want}");
    }
}

/// Added mode: the disease's exponential hazards plus the table's, for the built-in
/// three-state course, the same course through a one-state pathway after progression, and a
/// partitioned course.
#[test]
fn added_mortality_matches_closed_forms_on_every_kind_of_course() {
    let rates = (PROGRESSION, DEATH_PF, DEATH_PD);
    let want = [0, 1, 2, 3].map(|i| by_sex(0.5, |f| three_state(f, 60.0, rates, HORIZON)[i]));
    check(&[], "population/background.toml", want);
    check(&[], "population/background_pathway.toml", want);
    // Partitioned: progression-free e^(−0.35t), alive e^(−0.2t), both times S_bg.
    let (dc, dq) = ((1.0f64 + RC).ln(), (1.0f64 + RO).ln());
    let e = |f: bool, c: f64| integral(f, 60.0, c, HORIZON);
    let partitioned = [
        by_sex(0.5, |f| e(f, 0.2)),
        by_sex(0.5, |f| e(f, 0.2 + dq)),
        by_sex(0.5, |f| U_PF * e(f, 0.35 + dq) + U_PD * (e(f, 0.2 + dq) - e(f, 0.35 + dq))),
        by_sex(0.5, |f| C_PF * e(f, 0.35 + dc) + C_PD * (e(f, 0.2 + dc) - e(f, 0.35 + dc))),
    ];
    check(&[], "population/background_partitioned.toml", partitioned);
}

/// Ages drawn from a distribution: the expectation averaged over the ages (Simpson within
/// each year of age, where the expectation is smooth in the age).
#[test]
fn drawn_ages_average_the_expectation_over_their_distribution() {
    let rates = (PROGRESSION, DEATH_PF, DEATH_PD);
    let ly = |age: f64| by_sex(0.5, |f| three_state(f, age, rates, HORIZON)[0]);
    // ∫ f(a)·w(a) da over [lo, hi], Simpson on 20 intervals per year of age.
    let average = |lo: f64, hi: f64, w: &dyn Fn(f64) -> f64| {
        let (mut num, mut den) = (0.0, 0.0);
        let mut a = lo;
        while a < hi {
            let b = (a.floor() + 1.0).min(hi);
            let n = 20;
            let step = (b - a) / n as f64;
            for i in 0..=n {
                let x = a + i as f64 * step;
                let c = if i == 0 || i == n {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                num += c * step / 3.0 * w(x) * ly(x);
                den += c * step / 3.0 * w(x);
            }
            a = b;
        }
        num / den
    };
    let uniform = average(50.0, 80.0, &|_| 1.0);
    let sets =
        [set("population.age = { dist = \"uniform\", min = \"50 years\", max = \"80 years\" }")];
    let sim = run(&load("population/background.toml", &sets), &RunOptions::default());
    let s = &sim.summary[0];
    close(s.ly_undiscounted.mean, uniform, s.ly_undiscounted.mcse, "uniform ages");

    let normal = average(45.0, 85.0, &|a| (-0.5 * ((a - 63.0) / 9.0f64).powi(2)).exp());
    let sets = [set(
        "population.age = { mean = \"63 years\", sd = \"9 years\", min = \"45 years\", max = \"85 years\" }",
    )];
    let sim = run(&load("population/background.toml", &sets), &RunOptions::default());
    let s = &sim.summary[0];
    close(s.ly_undiscounted.mean, normal, s.ly_undiscounted.mcse, "truncated normal ages");
}

/// The alive share month by month is the disease's times the general population's.
#[test]
fn the_survival_curve_is_the_product_of_the_diseases_and_the_tables() {
    let sim = run(&load("population/background.toml", &[]), &RunOptions::default());
    let counts = &sim.sums.survival[0];
    let n = 100_000.0;
    let (a, d, s) = (PROGRESSION, DEATH_PF, DEATH_PD);
    let disease =
        |t: f64| (-(a + d) * t).exp() + a / (a + d - s) * ((-s * t).exp() - (-(a + d) * t).exp());
    for m in (0..=240usize).step_by(6) {
        let t = m as f64 * MONTH;
        let bg = |female: bool| {
            // S_bg(t) = exp(−∫ hazard): the integral with c = 0 differentiated is S_bg; here
            // the cumulative hazard is summed directly.
            let h = hazards(female);
            let (mut age, mut left, mut cum) = (60.0f64, t, 0.0);
            while left > 0.0 {
                let k = age.floor() as usize;
                let len = ((k + 1) as f64 - age).min(left);
                cum += h[k.min(h.len() - 1)] * len;
                age += len;
                left -= len;
            }
            (-cum).exp()
        };
        let want = disease(t) * by_sex(0.5, bg);
        let alive: u64 = counts.os()[m + 1..].iter().sum();
        let got = alive as f64 / n;
        let se = (want * (1.0 - want) / n).sqrt().max(1.0 / n);
        assert!((got - want).abs() < 4.0 * se, "alive at month {m}: {got} vs {want}");
    }
}

/// Patient by patient, on a scenario with tests, waits and second lines: with background
/// death B, every strategy's death is min(D, B) of the course without it, and the first
/// line's progression stays if it came before B (else there is none). This is the added
/// hazard exactly: B is independent of every disease event time.
#[test]
fn background_death_cuts_every_course_at_its_time() {
    let sets = [set(
        "population = { age = \"70 years\", share_female = 0.4, life_table = \"us_2020\", background_mortality = \"added\" }",
    )];
    for name in ["../../scenarios/nsclc_egfr.toml", "waiting/waiting.toml", "lines/lines.toml"] {
        let with = load(name, &sets);
        let mut without_model = with.model.clone();
        without_model.population = None;
        let prep1 = Prepared::new(&with.model, &with.model.values).unwrap();
        let prep0 = Prepared::new(&without_model, &without_model.values).unwrap();
        let key = SampleKey::new(5, 0);
        let (first, second) = (LineProcesses::new(FIRST_LINE), LineProcesses::new(FIRST_LINE + 1));
        let mut cut = 0;
        for i in 0..20_000u64 {
            let pk = key.patient(i);
            let line0 = LineDraws::new(pk, &first);
            let line1 = LineDraws::of_patient(&prep1, pk, &first);
            let b = line1.background;
            for s in 0..prep0.strategies.len() {
                let (p0, d0) = whole_course(&prep0, pk, &line0, &second, s);
                let (p1, d1) = whole_course(&prep1, pk, &line1, &second, s);
                assert_eq!(d1, d0.min(b), "{name}, patient {i}, strategy {s}: death");
                let p = if p0.first < b { p0.first } else { f64::INFINITY };
                assert_eq!(p1.first, p, "{name}, patient {i}, strategy {s}: progression");
                cut += usize::from(b < d0);
            }
        }
        assert!(cut > 1000, "{name}: background death cut only {cut} courses");
    }
}

struct Progression {
    first: f64,
}

/// A patient's first-line progression and whole-course death under strategy `s`, as the
/// engine composes them (docs, Model → Lines of therapy).
fn whole_course(
    prep: &Prepared,
    pk: vbpsim::rng::PatientKey,
    line: &LineDraws,
    second: &LineProcesses,
    s: usize,
) -> (Progression, f64) {
    let tumour = tumour(prep, pk);
    let at_diagnosis = tumour.without(prep.acquired);
    let mut rec = start(prep, pk, &at_diagnosis, line, s, coverage_end(prep, pk));
    let waiting = prep.strategies[s].waiting;
    let c = if waiting != rec.regimen && rec.start > 0.0 {
        let mut c = course(prep, &at_diagnosis, line, waiting);
        let _ = waited_course_into(
            prep,
            &at_diagnosis,
            line,
            (waiting, rec.start),
            rec.regimen,
            &mut c,
        );
        c
    } else {
        course(prep, &at_diagnosis, line, rec.regimen)
    };
    treat(prep, pk, line, &c, &mut rec);
    let first = Progression { first: c.progression };
    let line2 = LineDraws::new(pk, second);
    match second_line(prep, pk, &tumour, &line2, &rec, &c) {
        Some((_, whole)) if whole.second.is_some() => (first, whole.death),
        _ => (first, c.death),
    }
}
