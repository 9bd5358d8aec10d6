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

/// Composite Simpson's rule for ∫_a^b f with `n` (even) intervals.
fn simpson(f: &dyn Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let step = (b - a) / n as f64;
    let weight = |i: usize| {
        if i == 0 || i == n {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        }
    };
    (0..=n).map(|i| weight(i) * f(a + i as f64 * step)).sum::<f64>() * step / 3.0
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
            num += simpson(&|x| w(x) * ly(x), a, b, 20);
            den += simpson(w, a, b, 20);
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

/// The year-of-age pieces from `age` over `horizon` years: (start time, length, background
/// hazard), everyone dead at the maximum age.
fn pieces(female: bool, age: f64, horizon: f64) -> Vec<(f64, f64, f64)> {
    let h = hazards(female);
    let last = h.len() - 1;
    let (mut a, mut t, mut out) = (age, 0.0, Vec::new());
    while a < MAX_AGE && t < horizon {
        let k = a.floor() as usize;
        let (hazard, end) = if k < last { (h[k], (k + 1) as f64) } else { (h[last], MAX_AGE) };
        let len = (end - a).min(horizon - t);
        out.push((t, len, hazard));
        t += len;
        a += len;
    }
    out
}

/// (1 − e^(−c·L))/c, L when c = 0.
fn g(c: f64, len: f64) -> f64 {
    if c == 0.0 { len } else { -(-c * len).exp_m1() / c }
}

/// ∫₀^L τ·e^(−c·τ) dτ.
fn g1(c: f64, len: f64) -> f64 {
    if c == 0.0 { len * len / 2.0 } else { (g(c, len) - len * (-c * len).exp()) / c }
}

/// ∫ PF(t)·e^(−r·t) dt and ∫ PD(t)·e^(−r·t) dt of the three-state course whose death hazards
/// are `pf_death(h)` and `pd_death(h)` of the background hazard h (constant within each year
/// of age): within a piece PF falls at c₁ = a + pf_death and PD solves
/// PD′ = a·PF − c₂·PD, c₂ = pd_death, both in closed form.
fn occupancy(
    female: bool,
    age: f64,
    a: f64,
    (pf_death, pd_death): (&dyn Fn(f64) -> f64, &dyn Fn(f64) -> f64),
    r: f64,
    horizon: f64,
) -> (f64, f64) {
    let (mut pf, mut pd, mut int_pf, mut int_pd) = (1.0, 0.0, 0.0, 0.0);
    for (t0, len, h) in pieces(female, age, horizon) {
        let (c1, c2) = (a + pf_death(h), pd_death(h));
        let d0 = (-r * t0).exp();
        int_pf += d0 * pf * g(c1 + r, len);
        let mix = if c1 == c2 {
            a * pf * g1(c1 + r, len)
        } else {
            a * pf / (c2 - c1) * (g(c1 + r, len) - g(c2 + r, len))
        };
        int_pd += d0 * (pd * g(c2 + r, len) + mix);
        let next_pd = pd * (-c2 * len).exp()
            + if c1 == c2 {
                a * pf * len * (-c1 * len).exp()
            } else {
                a * pf / (c2 - c1) * ((-c1 * len).exp() - (-c2 * len).exp())
            };
        pf *= (-c1 * len).exp();
        pd = next_pd;
    }
    (int_pf, int_pd)
}

/// [ly, ly_disc, qaly, cost] of background.toml's course with the given death hazards.
fn expectations(pf_death: &dyn Fn(f64) -> f64, pd_death: &dyn Fn(f64) -> f64) -> [f64; 4] {
    let (dc, dq) = ((1.0f64 + RC).ln(), (1.0f64 + RO).ln());
    let at = |r: f64| {
        let both = |f: bool| occupancy(f, 60.0, PROGRESSION, (pf_death, pd_death), r, HORIZON);
        let (f, m) = (both(true), both(false));
        (0.5 * (f.0 + m.0), 0.5 * (f.1 + m.1))
    };
    let (u, q, c) = (at(0.0), at(dq), at(dc));
    [u.0 + u.1, q.0 + q.1, U_PF * q.0 + U_PD * q.1, C_PF * c.0 + C_PD * c.1]
}

/// The ODE route agrees with the product form of the added mode (two independent routes to
/// the same numbers), so it can be trusted for the floor, where no product form exists.
#[test]
fn the_occupancy_route_reproduces_the_added_closed_form() {
    let via_ode = expectations(&|h| DEATH_PF + h, &|h| DEATH_PD + h);
    let rates = (PROGRESSION, DEATH_PF, DEATH_PD);
    let product = [0, 1, 2, 3].map(|i| by_sex(0.5, |f| three_state(f, 60.0, rates, HORIZON)[i]));
    for (a, b) in via_ode.iter().zip(&product) {
        assert!((a - b).abs() <= 1e-9 * b.abs(), "{via_ode:?} vs {product:?}");
    }
}

/// Floor mode: every death hazard is max(h_disease, h_background) — the three-state course
/// (built in and through a pathway) and a partitioned course against closed forms.
#[test]
fn floored_mortality_matches_closed_forms_on_every_kind_of_course() {
    let floor = [set("population.background_mortality = \"floor\"")];
    let want = expectations(&|h: f64| DEATH_PF.max(h), &|h: f64| DEATH_PD.max(h));
    check(&floor, "population/background.toml", want);
    check(&floor, "population/background_pathway.toml", want);
    // Partitioned: alive exp(−∫ max(0.2, h)), progression-free min(S_pfs, S_os)·the extra
    // background deaths' survival exp(−∫ max(0, h − 0.2)) = e^(−0.35t)·exp(−∫ max(0, h − 0.2)).
    let (dc, dq) = ((1.0f64 + RC).ln(), (1.0f64 + RO).ln());
    let integral_of = |f: bool, r: f64, pf: bool| {
        let (mut alive, mut total) = (1.0, 0.0);
        for (t0, len, h) in pieces(f, 60.0, HORIZON) {
            let c = if pf { 0.35 + (h - 0.2).max(0.0) } else { h.max(0.2) };
            total += alive * (-r * t0).exp() * g(c + r, len);
            alive *= (-c * len).exp();
        }
        total
    };
    let e = |r: f64, pf: bool| by_sex(0.5, |f| integral_of(f, r, pf));
    let partitioned = [
        e(0.0, false),
        e(dq, false),
        U_PF * e(dq, true) + U_PD * (e(dq, false) - e(dq, true)),
        C_PF * e(dc, true) + C_PD * (e(dc, false) - e(dc, true)),
    ];
    check(&floor, "population/background_partitioned.toml", partitioned);
}

/// Patient by patient: the floor only ever brings a death forward from the disease's own,
/// never before the added mode's (max(h_d, h_b) lies between h_d and h_d + h_b, and the floor
/// keeps a later background candidate than the added mode's first); where every disease
/// hazard exceeds the background, the floor changes nothing.
#[test]
fn the_floor_lies_between_the_disease_alone_and_added_mortality() {
    let population = |mode: &str| {
        format!(
            "population = {{ age = \"80 years\", share_female = 0.4, life_table = \"us_2020\", background_mortality = \"{mode}\" }}"
        )
    };
    let mut bitten = 0;
    for name in [
        "../../scenarios/nsclc_egfr.toml",
        "waiting/waiting.toml",
        "lines/lines.toml",
        "pathways/illness_death.toml",
    ] {
        let added = load(name, &[population("added")]);
        let floored = load(name, &[population("floor")]);
        let mut none = added.model.clone();
        none.population = None;
        let prep_added = Prepared::new(&added.model, &added.model.values).unwrap();
        let prep_floor = Prepared::new(&floored.model, &floored.model.values).unwrap();
        let prep_none = Prepared::new(&none, &none.values).unwrap();
        let key = SampleKey::new(9, 0);
        let (first, second) = (LineProcesses::new(FIRST_LINE), LineProcesses::new(FIRST_LINE + 1));
        let (mut below_disease, mut above_added) = (0, 0);
        for i in 0..20_000u64 {
            let pk = key.patient(i);
            let line_none = LineDraws::new(pk, &first);
            let line_added = LineDraws::of_patient(&prep_added, pk, &first);
            let line_floor = LineDraws::of_patient(&prep_floor, pk, &first);
            for s in 0..prep_none.strategies.len() {
                let (_, d0) = whole_course(&prep_none, pk, &line_none, &second, s);
                let (_, da) = whole_course(&prep_added, pk, &line_added, &second, s);
                let (_, df) = whole_course(&prep_floor, pk, &line_floor, &second, s);
                assert!(da <= df && df <= d0, "{name}, patient {i}, strategy {s}: {da} {df} {d0}");
                below_disease += usize::from(df < d0);
                above_added += usize::from(df > da);
            }
        }
        // Every scenario exercises the floor's thinning (a candidate dropped that the added
        // mode would keep); the floor bites below the disease's death where its hazards are low.
        assert!(above_added > 100, "{name}: the floor never kept a later candidate");
        bitten += below_disease;
    }
    assert!(bitten > 1000, "the floor brought only {bitten} deaths forward");
}

/// Where the disease's death hazards are far above any background hazard before the maximum
/// age, the floor leaves every course as it is.
#[test]
fn a_floor_below_the_disease_hazard_changes_nothing() {
    let high = [
        set("regimens.bsc.death_before_progression.rate = \"3 per year\""),
        set("regimens.bsc.after_progression.survival.rate = \"3 per year\""),
        set("population.age = \"40 years\""),
    ];
    let mut floor = high.to_vec();
    floor.push(set("population.background_mortality = \"floor\""));
    let with = load("population/background.toml", &floor);
    let mut none = with.model.clone();
    none.population = None;
    let (prep_floor, prep_none) = (
        Prepared::new(&with.model, &with.model.values).unwrap(),
        Prepared::new(&none, &none.values).unwrap(),
    );
    let key = SampleKey::new(1, 0);
    let (first, second) = (LineProcesses::new(FIRST_LINE), LineProcesses::new(FIRST_LINE + 1));
    for i in 0..20_000u64 {
        let pk = key.patient(i);
        let a = whole_course(&prep_none, pk, &LineDraws::new(pk, &first), &second, 0);
        let b = whole_course(
            &prep_floor,
            pk,
            &LineDraws::of_patient(&prep_floor, pk, &first),
            &second,
            0,
        );
        assert_eq!((a.0.first, a.1), (b.0.first, b.1), "patient {i}");
    }
}

/// A life table read from a CSV is part of the scenario's identity (run.json's SHA-256, what
/// shards and checkpoints are matched by): another table is another run. A bundled table is
/// part of vbpsim, and the identity stays the SHA-256 of the text.
#[test]
fn a_life_table_csv_is_part_of_the_scenarios_identity() {
    let dir = tempfile::tempdir().unwrap();
    let text = crate::support::fixture_text("population/background.toml")
        .replace("life_table = \"us_2020\"", "life_table = \"table.csv\"");
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, &text).unwrap();
    let table = dir.path().join("table.csv");
    let identity = |csv: &str| {
        std::fs::write(&table, csv).unwrap();
        let s = vbpsim::scenario::load_with(Some(&file), &[]).unwrap();
        (s.sha256(), s.source.sha256())
    };
    let (a, text_a) = identity(TABLE);
    let (b, text_b) = identity(&TABLE.replacen("0,0.005837", "0,0.005838", 1));
    assert_eq!(text_a, text_b);
    assert_ne!(a, b);
    assert_ne!(a, text_a);
    let bundled = load("population/background.toml", &[]);
    assert_eq!(bundled.sha256(), bundled.source.sha256());
}

/// A life table whose year of age 62 has q_x = 1 (everyone alive at 62 dies then, as in a
/// table whose last row closes the table): under a floor every course ends at age 62 — even
/// where the disease's hazard starts infinite (a Weibull of shape 0.5) or undefined at 0 (a
/// lognormal), which once kept the search for a background death from ending.
#[test]
fn a_year_where_everyone_dies_ends_every_floored_course_there() {
    let dir = tempfile::tempdir().unwrap();
    let table: String = std::iter::once("age,male_qx,female_qx".to_string())
        .chain(
            (0..=100)
                .map(|a| if a == 62 { "62,1,1".to_string() } else { format!("{a},0.01,0.01") }),
        )
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.path().join("table.csv"), table).unwrap();
    let text = crate::support::fixture_text("population/background.toml")
        .replace("life_table = \"us_2020\"", "life_table = \"table.csv\"")
        .replace("background_mortality = \"added\"", "background_mortality = \"floor\"")
        .replace("age = \"60 years\"", "age = \"62 years\"");
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    for death in [
        "{ dist = \"weibull\", shape = 0.5, scale = \"20 years\" }",
        "{ dist = \"lognormal\", median = \"3 years\", sdlog = 1.0 }",
    ] {
        let sets = [format!("regimens.bsc.death_before_progression = {death}")];
        let s = vbpsim::scenario::load_with(Some(&file), &sets).unwrap();
        let sim = run(&s, &RunOptions::default());
        // Everyone dies at diagnosis (age 62 exactly).
        assert_eq!(sim.summary[0].ly_undiscounted.mean, 0.0, "{death}");
    }
}

/// The transition limit warns only when a walk the patient lives through reaches it: a floor
/// reads its hazards from the uncut walk, which may reach the limit after the patient's death.
#[test]
fn the_transition_limit_warns_only_for_walks_lived_through() {
    let warned = |sets: &[String]| {
        let sim = run(&load("population/flip_flop.toml", sets), &RunOptions::default());
        sim.results.warnings.iter().any(|w| w.contains("transition"))
    };
    assert!(!warned(&[]), "floor: everyone dies by 110, within about 500 transitions");
    assert!(!warned(&[set("population.background_mortality = \"added\"")]));
    // Without general-population mortality the walks go on to the limit.
    assert!(warned(&[set("population.age = \"40 years\"")]));
}

/// The check of the disease's death hazard against the general population's: with a constant
/// disease hazard d (no progression), the share of patient time below is the time alive at
/// ages whose background hazard exceeds d, over all time alive, ∫ 1{h_b > d}·S / ∫ S with
/// S = e^(−dt)·S_b, each piece in closed form; within 4 times a bound on the ratio
/// estimator's standard error, √(E[Y²]/n)/E[Y] with Y = min(D, H) (|X − R·Y| ≤ Y).
#[test]
fn the_share_of_time_below_the_background_matches_its_closed_form() {
    let d = 0.05;
    let sets = [
        set("regimens.bsc.progression.responder.rate = \"1e-9 per year\""),
        set("regimens.bsc.progression.non_responder.rate = \"1e-9 per year\""),
    ];
    let sim = run(&load("population/background.toml", &sets), &RunOptions::default());
    let check = sim.sums.below_background[0];
    let got = check.below / check.time;
    // E[X], E[Y] and E[Y²] = ∫ 2t·S(t) dt, per sex, piece by piece.
    let moments = |female: bool| {
        let (mut alive, mut x, mut y, mut y2) = (1.0, 0.0, 0.0, 0.0);
        for (t0, len, h) in pieces(female, 60.0, HORIZON) {
            let c = h + d;
            let mass = alive * g(c, len);
            y += mass;
            if h > d {
                x += mass;
            }
            // ∫ 2t·alive·e^(−c(t − t0)) over the piece.
            y2 += 2.0 * alive * (t0 * g(c, len) + g1(c, len));
            alive *= (-c * len).exp();
        }
        (x, y, y2)
    };
    let (f, m) = (moments(true), moments(false));
    let (x, y) = (0.5 * (f.0 + m.0), 0.5 * (f.1 + m.1));
    let want = x / y;
    let y2 = 0.5 * (f.2 + m.2);
    let bound = (y2 / 100_000.0).sqrt() / y;
    assert!((got - want).abs() <= 4.0 * bound, "share below {got} vs {want} (bound {bound})");
    assert!(want > 0.05 && want < 0.95, "the check is exercised: {want}");
}

/// The check against the general population takes the sample's first
/// [`BACKGROUND_CHECK_PATIENTS`] patients: a larger run checks exactly the patients of a run of
/// that size (the same keys), so its time alive is theirs, not half as much again.
#[test]
fn the_check_against_the_general_population_takes_the_first_patients() {
    use vbpsim::sim::engine::BACKGROUND_CHECK_PATIENTS;
    let checked = |patients: u64| {
        let sets = [set(&format!("scenario.patients = {patients}"))];
        let sim = run(&load("population/background.toml", &sets), &RunOptions::default());
        sim.sums.below_background[0]
    };
    let (all, more) =
        (checked(BACKGROUND_CHECK_PATIENTS), checked(BACKGROUND_CHECK_PATIENTS * 3 / 2));
    // The same patients summed in possibly different chunks: equal up to the order of addition.
    for (a, b) in [(all.time, more.time), (all.below, more.below)] {
        assert!((a - b).abs() <= 1e-12 * a.abs(), "{a} vs {b}");
    }
    assert!(all.below > 0.0 && all.below < all.time, "the check is exercised: {all:?}");
}

/// Age-adjusted utilities from a table of norms by single year of age (here Ara & Brazier's
/// formula at each whole age, held through the year): QALYs against the occupancy closed
/// forms times the step multiplier, as above; the same table read with a byte-order mark.
#[test]
fn utility_norms_from_a_table_hold_through_each_year_of_age() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = (18..=100)
        .map(|a| format!("{a},{},{}", ara_brazier(a as f64, true), ara_brazier(a as f64, false)))
        .collect();
    let csv = format!("age,male,female\n{}\n", rows.join("\n"));
    std::fs::write(dir.path().join("norms.csv"), &csv).unwrap();
    let text = crate::support::fixture_text("population/background.toml").replace(
        "background_mortality = \"added\"",
        "background_mortality = \"added\"\nutility_norms = \"norms.csv\"",
    );
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    let s = vbpsim::scenario::load_with(Some(&file), &[]).unwrap();
    let sim = run(&s, &RunOptions::default());
    let step = |x: f64, male: bool| ara_brazier(x.floor().min(100.0), male);
    let want = by_sex(0.5, |female| {
        age_adjusted_qaly(female, &|t| step(60.0 + t, !female) / step(60.0, !female))
    });
    let q = &sim.summary[0].qaly;
    close(q.mean, want, q.mcse, "QALY with tabled norms");
    // Another table is another scenario (its identity), a byte-order mark changes nothing else.
    std::fs::write(dir.path().join("norms.csv"), format!("\u{feff}{csv}")).unwrap();
    let bom = vbpsim::scenario::load_with(Some(&file), &[]).unwrap();
    assert_ne!(bom.sha256(), s.sha256());
    assert_eq!(run(&bom, &RunOptions::default()).summary[0].qaly.mean, q.mean);
}

/// The Ara & Brazier 2010 EQ-5D population norm, written here from the paper.
fn ara_brazier(age: f64, male: bool) -> f64 {
    0.9508566 + if male { 0.0212126 } else { 0.0 } - 0.0002587 * age - 0.0000332 * age * age
}

/// QALYs of background.toml's course (added mode) for one sex, every utility times m(t):
/// the occupancy closed forms times m and the discount, by Simpson within each year of age.
fn age_adjusted_qaly(female: bool, m: &dyn Fn(f64) -> f64) -> f64 {
    adjusted_qaly(female, (U_PF, U_PD), &|u, t| u * m(t))
}

/// The same with the progression-free and progressed utilities `u` and every utility u at
/// time t replaced by `adjust(u, t)`.
fn adjusted_qaly(female: bool, u: (f64, f64), adjust: &dyn Fn(f64, f64) -> f64) -> f64 {
    let dq = (1.0f64 + RO).ln();
    let (a, d, s) = (PROGRESSION, DEATH_PF, DEATH_PD);
    let (mut pf, mut pd, mut total) = (1.0, 0.0, 0.0);
    for (t0, len, h) in pieces(female, 60.0, HORIZON) {
        let (c1, c2) = (a + d + h, s + h);
        let at = |tau: f64| {
            let pf_t = pf * (-c1 * tau).exp();
            let pd_t = pd * (-c2 * tau).exp()
                + a * pf / (c2 - c1) * ((-c1 * tau).exp() - (-c2 * tau).exp());
            // m within the piece's year of age (its last point read from the left).
            let inside = t0 + tau.min(len * (1.0 - 1e-12));
            (adjust(u.0, inside) * pf_t + adjust(u.1, inside) * pd_t) * (-dq * (t0 + tau)).exp()
        };
        total += simpson(&at, 0.0, len, 64);
        let next_pd =
            pd * (-c2 * len).exp() + a * pf / (c2 - c1) * ((-c1 * len).exp() - (-c2 * len).exp());
        pf *= (-c1 * len).exp();
        pd = next_pd;
    }
    total
}

/// Age- and sex-adjusted utilities: every state utility times N(a₀ + t)/N(a₀), continuously
/// in time. QALYs of background.toml (added mode) against the occupancy closed forms times
/// the multiplier, integrated by Simpson within each year of age (the integrand is smooth
/// there); life-years and costs do not move.
#[test]
fn age_adjusted_utilities_follow_the_population_norms() {
    let qaly = |female: bool| {
        age_adjusted_qaly(female, &|t| ara_brazier(60.0 + t, !female) / ara_brazier(60.0, !female))
    };
    let want = by_sex(0.5, qaly);
    let sets = [set("population.utility_norms = \"ara_brazier_2010\"")];
    let with = run(&load("population/background.toml", &sets), &RunOptions::default());
    let without = run(&load("population/background.toml", &[]), &RunOptions::default());
    let (w, o) = (&with.summary[0], &without.summary[0]);
    close(w.qaly.mean, want, w.qaly.mcse, "age-adjusted QALY");
    // The same patients: life-years and costs identical, QALYs lower.
    assert_eq!((w.ly.mean, w.cost.mean), (o.ly.mean, o.cost.mean));
    assert!(w.qaly.mean < o.qaly.mean);
    // The same through the pathway after progression.
    let sets = [set("population.utility_norms = \"ara_brazier_2010\"")];
    let pathway = run(&load("population/background_pathway.toml", &sets), &RunOptions::default());
    close(
        pathway.summary[0].qaly.mean,
        want,
        pathway.summary[0].qaly.mcse,
        "pathway, age-adjusted QALY",
    );
}

/// The decrement form: every utility u becomes u − (N(a₀) − N(a₀ + t)) (Ara & Brazier 2010):
/// QALYs against the occupancy closed forms with the decremented utilities, through the
/// built-in course and a pathway; life-years unchanged; a key without norms is refused. Low
/// utilities (0.2, 0.1) set the two forms far apart: the decrement takes N(a₀)·(1 − m(t)) from
/// each, the multiplier only u·(1 − m(t)).
#[test]
fn utility_decrements_follow_the_population_norms() {
    let qaly = |decrement: bool, u: (f64, f64)| {
        by_sex(0.5, |female| {
            let n = |x: f64| ara_brazier(x, !female);
            if decrement {
                adjusted_qaly(female, u, &|u, t| u - (n(60.0) - n(60.0 + t)))
            } else {
                adjusted_qaly(female, u, &|u, t| u * n(60.0 + t) / n(60.0))
            }
        })
    };
    let sets = |adjustment: &str| {
        vec![
            set("population.utility_norms = \"ara_brazier_2010\""),
            set(&format!("population.utility_adjustment = \"{adjustment}\"")),
            set("states.progression_free.utility = 0.2"),
            set("states.progressed.utility = 0.1"),
        ]
    };
    // The built-in course: both forms against their closed forms, far apart.
    let low = (0.2, 0.1);
    let (want, multiplied) = (qaly(true, low), qaly(false, low));
    let sim = run(&load("population/background.toml", &sets("decrement")), &RunOptions::default());
    let q = &sim.summary[0].qaly;
    close(q.mean, want, q.mcse, "QALY with decrements");
    let se = q.mcse.unwrap();
    assert!((multiplied - want).abs() > 8.0 * se, "{multiplied} vs {want} (se {se})");
    let plain = run(&load("population/background.toml", &[]), &RunOptions::default());
    assert_eq!(sim.summary[0].ly.mean, plain.summary[0].ly.mean);
    let sim =
        run(&load("population/background.toml", &sets("multiplicative")), &RunOptions::default());
    let q = &sim.summary[0].qaly;
    close(q.mean, multiplied, q.mcse, "QALY with low utilities multiplied");
    // Through the pathway (its state keeps its own utility, 0.6).
    let sim = run(
        &load("population/background_pathway.toml", &sets("decrement")),
        &RunOptions::default(),
    );
    let q = &sim.summary[0].qaly;
    close(q.mean, qaly(true, (0.2, U_PD)), q.mcse, "pathway, QALY with decrements");
    let err = crate::support::try_load(
        "population/background.toml",
        &[set("population.utility_adjustment = \"decrement\"")],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("expected `utility_norms` with `utility_adjustment`"), "{err}");
}
