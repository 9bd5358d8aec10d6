//! Multi-state pathways after progression (docs, Model → Pathways after progression) against
//! numerical integration written here, independently of the library.
//!
//! The fixture's progression-free course (Weibull progression, exponential death before
//! progression) hands each progressing patient to an illness-death pathway: `progressed` →
//! `second_line` (exponential) or death (Weibull), `second_line` → `remission` (exponential,
//! absorbing) or death (Weibull). In `reset_all` every clock restarts at entry; in
//! `forward_all` the deaths' clocks run from diagnosis. M-positive patients (40 %) have a
//! hazard ratio of 0.7 on death from `progressed`.
//!
//! With e_X the density of entering state X and K_X(s, t) the probability of staying in X
//! from entry at s to t (a closed form: the product of the exits' survivals, each over
//! t − s for a reset clock or from s to t for a forward one), the integrator computes on a
//! grid of 0.05 months: e_second(v) = ∫ e_progressed(s)·K(s, v)·h(s, v) ds and so on, the
//! occupancy p_X(t) = ∫ e_X(s)·K_X(s, t) ds (the Aalen–Johansen state probabilities), and
//! from them the expected discounted time, QALYs and every cost (per time, on entry, for two
//! months after entry, cycles of a capped second-line drug and its adverse event at each
//! entry, terminal care). The engine's means must match within 4 Monte Carlo standard errors.

use crate::support::{load, run, try_load};
use vbpsim::accounting::record::Walker;
use vbpsim::rng::SampleKey;
use vbpsim::sim::Prepared;
use vbpsim::sim::pathway::walk;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, simulate as simulate_patient, tumour,
};
use vbpsim::workflow::run::RunOptions;

const FIXTURE: &str = "pathways/illness_death.toml";
/// Grid step in months.
const STEP: f64 = 0.05;
/// Horizon in months.
const HORIZON: f64 = 240.0;
const M_SHARE: f64 = 0.4;
const HR_AFTER: f64 = 0.7;
/// Cycle of both drugs, in months.
const CYCLE: f64 = 21.0 / 365.25 * 12.0;

fn weibull_h(t: f64, shape: f64, scale: f64) -> f64 {
    if t <= 0.0 { 0.0 } else { (t / scale).powf(shape) }
}

fn weibull_hazard(t: f64, shape: f64, scale: f64) -> f64 {
    if t <= 0.0 { 0.0 } else { shape / scale * (t / scale).powf(shape - 1.0) }
}

/// One pathway's transitions as closed forms (months): stay survivals and exit hazards.
#[derive(Clone, Copy)]
struct Pathway {
    forward: bool,
    /// progressed → death: Weibull (shape, scale), with the patient's ratio.
    death1: (f64, f64),
    /// second_line → death: Weibull (shape, scale).
    death2: (f64, f64),
    ratio: f64,
}

const TO_SECOND: f64 = 0.15;
const TO_REMISSION: f64 = 0.03;

impl Pathway {
    /// Cumulative hazard of a Weibull exit between entry s and t.
    fn h(&self, (shape, scale): (f64, f64), s: f64, t: f64) -> f64 {
        if self.forward {
            weibull_h(t, shape, scale) - weibull_h(s, shape, scale)
        } else {
            weibull_h(t - s, shape, scale)
        }
    }
    fn hazard(&self, (shape, scale): (f64, f64), s: f64, t: f64) -> f64 {
        if self.forward {
            weibull_hazard(t, shape, scale)
        } else {
            weibull_hazard(t - s, shape, scale)
        }
    }
    fn stay1(&self, s: f64, t: f64) -> f64 {
        (-TO_SECOND * (t - s) - self.ratio * self.h(self.death1, s, t)).exp()
    }
    fn stay2(&self, v: f64, t: f64) -> f64 {
        (-TO_REMISSION * (t - v) - self.h(self.death2, v, t)).exp()
    }
}

fn pf_survival(t: f64) -> f64 {
    (-weibull_h(t, 1.3, 12.0) - 0.01 * t).exp()
}

/// The trapezoid rule on the grid points 0..=last of f.
fn trapezoid_of(last: usize, f: impl Fn(usize) -> f64) -> f64 {
    if last == 0 {
        return 0.0;
    }
    let inner: f64 = (1..last).map(&f).sum();
    STEP * (inner + 0.5 * (f(0) + f(last)))
}

/// Expected values per patient of one biomarker status: discounted LY, QALY, undiscounted LY,
/// total discounted cost, and the discounted time in each pathway state (years).
#[derive(Debug, Default, Clone, Copy)]
struct Expected {
    ly: f64,
    qaly: f64,
    ly_undiscounted: f64,
    cost: f64,
    time: [f64; 3],
}

fn expected(p: Pathway) -> Expected {
    let n = (HORIZON / STEP).round() as usize;
    let t: Vec<f64> = (0..=n).map(|i| i as f64 * STEP).collect();
    let dc = |m: f64| 1.035f64.powf(-m / 12.0);
    let dq = |m: f64| 1.015f64.powf(-m / 12.0);
    let pf: Vec<f64> = t.iter().map(|&x| pf_survival(x)).collect();
    let e1: Vec<f64> = t.iter().map(|&x| weibull_hazard(x, 1.3, 12.0) * pf_survival(x)).collect();
    // Entry densities and death densities by convolution.
    let mut e2 = vec![0.0; n + 1];
    let mut e3 = vec![0.0; n + 1];
    let mut death = vec![0.0; n + 1];
    let mut p1 = vec![0.0; n + 1];
    let mut p2 = vec![0.0; n + 1];
    for i in 0..=n {
        let v = t[i];
        let row = |f: &dyn Fn(usize) -> f64| trapezoid_of(i, f);
        e2[i] = row(&|j| e1[j] * p.stay1(t[j], v) * TO_SECOND);
        p1[i] = row(&|j| e1[j] * p.stay1(t[j], v));
        death[i] = 0.01 * pf[i]
            + row(&|j| e1[j] * p.stay1(t[j], v) * p.ratio * p.hazard(p.death1, t[j], v));
    }
    for i in 0..=n {
        let w = t[i];
        let row = |f: &dyn Fn(usize) -> f64| trapezoid_of(i, f);
        e3[i] = row(&|j| e2[j] * p.stay2(t[j], w) * TO_REMISSION);
        p2[i] = row(&|j| e2[j] * p.stay2(t[j], w));
        death[i] += row(&|j| e2[j] * p.stay2(t[j], w) * p.hazard(p.death2, t[j], w));
    }
    let mut p3 = vec![0.0; n + 1];
    for i in 1..=n {
        p3[i] = p3[i - 1] + 0.5 * STEP * (e3[i - 1] + e3[i]);
    }
    let integral = |f: &dyn Fn(usize) -> f64| trapezoid_of(n, f);
    let years = 1.0 / 12.0;
    let time_q = |occ: &[f64]| integral(&|i| occ[i] * dq(t[i])) * years;
    let time_c = |occ: &[f64]| integral(&|i| occ[i] * dc(t[i])) * years;
    let alive = |i: usize| pf[i] + p1[i] + p2[i] + p3[i];
    let ly = integral(&|i| alive(i) * dq(t[i])) * years;
    // Neutropenia (30 %) at each entry into `second_line`: 0.02 QALYs lost and 4,000 paid then.
    let qaly = 0.8 * time_q(&pf) + 0.6 * time_q(&p1) + 0.7 * time_q(&p2) + 0.85 * time_q(&p3)
        - 0.3 * 0.02 * integral(&|i| e2[i] * dq(t[i]));
    let ly_undiscounted = integral(&|i| alive(i)) * years;
    // Costs per month × months of discounted time.
    let mut cost = 200.0 * time_c(&pf) * 12.0
        + 400.0 * time_c(&p1) * 12.0
        + 100.0 * time_c(&p2) * 12.0
        + 50.0 * time_c(&p3) * 12.0;
    cost += 3000.0 * integral(&|i| e1[i] * dc(t[i]));
    // 1,000 a month for two months after entering `progressed`, while still there.
    let after_entry = integral(&|i| {
        let s = t[i];
        let m = ((2.0f64).min(HORIZON - s) / STEP).round() as usize;
        e1[i]
            * trapezoid_of(m, |k| {
                let x = s + k as f64 * STEP;
                p.stay1(s, x) * dc(x)
            })
    });
    cost += 1000.0 * after_entry;
    cost += 5000.0 * integral(&|i| death[i] * dc(t[i]));
    cost += 0.3 * 4000.0 * integral(&|i| e2[i] * dc(t[i]));
    // First line: 2,000 per cycle started while progression-free and alive.
    let mut k = 0.0;
    while k * CYCLE < HORIZON {
        cost += 2000.0 * dc(k * CYCLE) * pf_survival(k * CYCLE);
        k += 1.0;
    }
    // Docetaxel in `second_line`: (1,500 + 200) per cycle, at most 6, while in the state.
    for c in 0..6 {
        let lag = c as f64 * CYCLE;
        cost += 1700.0
            * integral(&|i| {
                let v = t[i];
                if v + lag < HORIZON { e2[i] * p.stay2(v, v + lag) * dc(v + lag) } else { 0.0 }
            });
    }
    Expected { ly, qaly, ly_undiscounted, cost, time: [time_q(&p1), time_q(&p2), time_q(&p3)] }
}

fn mixed(forward: bool) -> Expected {
    let (death1, death2) =
        if forward { ((1.2, 24.0), (1.2, 30.0)) } else { ((1.1, 20.0), (1.4, 10.0)) };
    let a = expected(Pathway { forward, death1, death2, ratio: 1.0 });
    let b = expected(Pathway { forward, death1, death2, ratio: HR_AFTER });
    let mix = |x: f64, y: f64| (1.0 - M_SHARE) * x + M_SHARE * y;
    Expected {
        ly: mix(a.ly, b.ly),
        qaly: mix(a.qaly, b.qaly),
        ly_undiscounted: mix(a.ly_undiscounted, b.ly_undiscounted),
        cost: mix(a.cost, b.cost),
        time: [0, 1, 2].map(|k| mix(a.time[k], b.time[k])),
    }
}

fn close(got: f64, want: f64, se: f64, what: &str) {
    assert!(se > 0.0 && se < 0.01 * want.abs(), "{what}: standard error {se} for {want}");
    assert!((got - want).abs() < 4.0 * se, "{what}: {got} vs {want} (se {se})");
}

#[test]
fn pathway_means_match_numerical_integration_with_clocks_reset_and_forward() {
    let s = load(FIXTURE, &[]);
    let sim = run(&s, &RunOptions { samples: Some(0), ..RunOptions::default() });
    for (strategy, forward) in [(0, false), (1, true)] {
        let want = mixed(forward);
        let arm =
            sim.summary.iter().find(|a| a.strategy == strategy && a.contract.is_none()).unwrap();
        let se = |e: &vbpsim::analysis::cea::Estimate| e.mcse.unwrap();
        let what = |x: &str| format!("{x} ({})", if forward { "forward" } else { "reset" });
        close(arm.ly.mean, want.ly, se(&arm.ly), &what("LY"));
        close(arm.qaly.mean, want.qaly, se(&arm.qaly), &what("QALY"));
        close(
            arm.ly_undiscounted.mean,
            want.ly_undiscounted,
            se(&arm.ly_undiscounted),
            &what("undiscounted LY"),
        );
        close(arm.cost.mean, want.cost, se(&arm.cost), &what("cost"));
    }
}

#[test]
fn the_engines_state_occupancy_matches_numerical_integration() {
    // states.csv's shares come from the engine's counts of every stay, not from the library
    // walk the next test replays.
    let s = load(FIXTURE, &[]);
    let sim = run(&s, &RunOptions { samples: Some(0), ..RunOptions::default() });
    let n = s.model.meta.patients as f64;
    for (strategy, forward) in [(0usize, false), (1, true)] {
        let (death1, death2) =
            if forward { ((1.2, 24.0), (1.2, 30.0)) } else { ((1.1, 20.0), (1.4, 10.0)) };
        let curves = &sim.survival[strategy];
        // Every state of both pathways is counted; this strategy's pathway only is entered.
        assert_eq!(curves.states.len(), 6);
        let mine = 3 * strategy;
        for m in [6usize, 12, 24, 60] {
            let at =
                |ratio: f64| occupancy_at(Pathway { forward, death1, death2, ratio }, m as f64);
            let (a, b) = (at(1.0), at(HR_AFTER));
            for k in 0..3 {
                let want = (1.0 - M_SHARE) * a[k] + M_SHARE * b[k];
                let got = curves.states[mine + k][m];
                let se = (want * (1.0 - want) / n).sqrt();
                assert!(
                    (got - want).abs() < 4.0 * se,
                    "forward {forward}: state {k} at {m} months: {got} vs {want} (se {se})"
                );
                assert_eq!(curves.states[3 * (1 - strategy) + k][m], 0.0);
            }
            // Every progressed patient of this fixture is in a pathway state; the shares add up.
            assert_eq!(curves.progressed[m], 0.0);
            let inside: f64 = (0..3).map(|k| curves.states[mine + k][m]).sum();
            let total = curves.pfs[m] + inside + curves.dead[m];
            assert!((total - 1.0).abs() < 1e-12, "month {m}: {total}");
        }
    }
}

#[test]
fn states_csv_shares_sum_to_one_when_a_strategy_waits_on_another_pathway() {
    // A strategy treating with `first_reset` (pathway `reset`) that waits 30 days for a test
    // on `first_forward` (pathway `forward`): patients who progress while waiting are in the
    // `forward` states, which states.csv must list for it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("waits.toml");
    let text = crate::support::fixture_text(FIXTURE)
        + r#"
[[tests]]
name = "mtest"
detects = ["M"]
sensitivity = 0.9
specificity = 0.95
turnaround = "30 days"
cost = 500

[[strategies]]
name = "waits"
test = "mtest"
rules = [{ positive = "M", treat = "first_reset" }]
waiting = "first_forward"
default = "first_reset"
"#;
    std::fs::write(&path, text).unwrap();
    let out = dir.path().join("o");
    let run = crate::support::vbpsim()
        .args(["run", "--quiet", "--patients", "20000", "--out"])
        .arg(&out)
        .arg(&path)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let csv = std::fs::read_to_string(out.join("states.csv")).unwrap();
    let mut sums: std::collections::BTreeMap<(String, u32), f64> = Default::default();
    let mut forward_rows = 0;
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let share: f64 = cells[5].parse().unwrap();
        *sums.entry((cells[0].to_string(), cells[1].parse().unwrap())).or_default() += share;
        forward_rows += usize::from(cells[0] == "waits" && cells[3] == "forward");
    }
    assert!(forward_rows > 0, "the waiting regimen's pathway is listed");
    for ((strategy, month), total) in sums {
        assert!((total - 1.0).abs() < 1e-9, "{strategy} month {month}: {total}");
    }
}

#[test]
fn state_occupancy_and_time_in_each_state_match_numerical_integration() {
    let s = load(FIXTURE, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(7, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let n = 100_000;
    let landmarks = [6.0, 12.0, 24.0, 60.0];
    let dq = |years: f64| 1.015f64.powf(-years);
    for (strategy, forward) in [(0, false), (1, true)] {
        let (death1, death2) =
            if forward { ((1.2, 24.0), (1.2, 30.0)) } else { ((1.1, 20.0), (1.4, 10.0)) };
        // Occupancy of each pathway state at the landmarks, and discounted time in each.
        let mut counts = vec![[0u32; 3]; landmarks.len()];
        let mut time = [(0.0f64, 0.0f64); 3];
        for i in 0..n {
            let pk = key.patient(i);
            let line = LineDraws::new(pk, &lines);
            let rec = simulate_patient(&prep, pk, &tumour(&prep, pk), &line, strategy);
            let mut spent = [0.0; 3];
            if rec.progression < prep.horizon {
                let who: Walker = rec.walker;
                walk(&prep, &prep.pathways[strategy], who, rec.progression, |stay| {
                    let out = stay.exit.min(prep.horizon);
                    for (l, &m) in landmarks.iter().enumerate() {
                        let at = m / 12.0;
                        if stay.entry <= at && at < stay.exit {
                            counts[l][stay.state] += 1;
                        }
                    }
                    if stay.entry < out {
                        let ln = 1.015f64.ln();
                        spent[stay.state] += (dq(stay.entry) - dq(out)) / ln;
                    }
                });
            }
            for (sum, x) in time.iter_mut().zip(spent) {
                sum.0 += x;
                sum.1 += x * x;
            }
        }
        // The integrator's occupancy at the landmarks, mixed over biomarker status.
        let occupancy = |ratio: f64| {
            let p = Pathway { forward, death1, death2, ratio };
            landmarks.map(|m| occupancy_at(p, m))
        };
        let (a, b) = (occupancy(1.0), occupancy(HR_AFTER));
        for (l, &m) in landmarks.iter().enumerate() {
            for k in 0..3 {
                let want = (1.0 - M_SHARE) * a[l][k] + M_SHARE * b[l][k];
                let got = f64::from(counts[l][k]) / n as f64;
                let se = (want * (1.0 - want) / n as f64).sqrt();
                assert!(
                    (got - want).abs() < 4.0 * se,
                    "forward {forward}: state {k} at {m} months: {got} vs {want} (se {se})"
                );
            }
        }
        let want = mixed(forward);
        for (k, (sum, sum2)) in time.iter().enumerate() {
            let mean = sum / n as f64;
            let se = ((sum2 / n as f64 - mean * mean) / (n as f64 - 1.0)).sqrt();
            close(mean, want.time[k], se, &format!("time in state {k} (forward {forward})"));
        }
    }
}

/// The probabilities of being in `progressed`, `second_line` and `remission` at month `m`.
fn occupancy_at(p: Pathway, m: f64) -> [f64; 3] {
    let n = (m / STEP).round() as usize;
    let t: Vec<f64> = (0..=n).map(|i| i as f64 * STEP).collect();
    let e1: Vec<f64> = t.iter().map(|&x| weibull_hazard(x, 1.3, 12.0) * pf_survival(x)).collect();
    let e2: Vec<f64> =
        (0..=n).map(|i| trapezoid_of(i, |j| e1[j] * p.stay1(t[j], t[i]) * TO_SECOND)).collect();
    let e3: Vec<f64> =
        (0..=n).map(|i| trapezoid_of(i, |j| e2[j] * p.stay2(t[j], t[i]) * TO_REMISSION)).collect();
    [
        trapezoid_of(n, |j| e1[j] * p.stay1(t[j], m)),
        trapezoid_of(n, |j| e2[j] * p.stay2(t[j], m)),
        trapezoid_of(n, |j| e3[j]),
    ]
}

#[test]
fn a_time_ratio_on_a_weibull_transition_is_the_hazard_ratio_tr_to_the_minus_shape() {
    // For a Weibull H(t) = (t/λ)^k, stretching time by TR is multiplying the hazard by
    // TR^(−k): each patient's time is the same up to rounding (T = TR·λ·E^(1/k) against
    // λ·(E/HR)^(1/k)), with clocks reset and forward. The fixture's ratio 0.7 on death from
    // `progressed` (Weibull shapes 1.1 and 1.2) written as a time ratio gives the same means.
    let exp =
        |rate: &str| format!(r#"time = {{ dist = "exponential", rate = "{rate} per month" }}"#);
    let transitions = |name: &str,
                       (k, scale): (f64, f64),
                       (k2, scale2): (f64, f64),
                       clock: &str| {
        let tr = HR_AFTER.powf(-1.0 / k);
        format!(
            r#"pathways.{name}.transitions = [{{ from = "progressed", to = "second_line", {} }}, {{ from = "progressed", to = "death", time = {{ dist = "weibull", shape = {k}, scale = "{scale} months" }}, clock = "{clock}", time_ratio = {{ M = {tr:?} }} }}, {{ from = "second_line", to = "remission", {} }}, {{ from = "second_line", to = "death", time = {{ dist = "weibull", shape = {k2}, scale = "{scale2} months" }}, clock = "{clock}" }}]"#,
            exp("0.15"),
            exp("0.03"),
        )
    };
    let sets = [
        transitions("reset", (1.1, 20.0), (1.4, 10.0), "reset"),
        transitions("forward", (1.2, 24.0), (1.2, 30.0), "forward"),
        "scenario.patients = 50000".to_string(),
    ];
    let options = RunOptions { samples: Some(0), ..RunOptions::default() };
    let hazard = run(&load(FIXTURE, &sets[2..]), &options);
    let time = run(&load(FIXTURE, &sets), &options);
    for (a, b) in hazard.summary.iter().zip(&time.summary) {
        for (x, y, what) in [
            (a.cost.mean, b.cost.mean, "cost"),
            (a.qaly.mean, b.qaly.mean, "QALY"),
            (a.ly_undiscounted.mean, b.ly_undiscounted.mean, "LY"),
        ] {
            assert!((x - y).abs() <= 1e-9 * x.abs(), "strategy {}: {what} {x} vs {y}", a.strategy);
        }
    }
    // The ratio matters: without it the means move (so the time ratio was read).
    let sets = ["parameters.hr_after = { value = 1 }".to_string(), sets[2].clone()];
    let none = run(&load(FIXTURE, &sets), &options);
    let moved = none.summary[0].ly_undiscounted.mean - hazard.summary[0].ly_undiscounted.mean;
    assert!(moved.abs() > 0.05, "{moved}");
}

#[test]
fn the_walk_is_the_same_for_every_strategy_and_replays_exactly() {
    // Common random numbers: the same patient walks the same way whenever the walk is made
    // (the course records its death, the ledger replays it for the value).
    let s = load(FIXTURE, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(3, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    for i in 0..2_000 {
        let pk = key.patient(i);
        let line = LineDraws::new(pk, &lines);
        let rec = simulate_patient(&prep, pk, &tumour(&prep, pk), &line, 0);
        if rec.progression >= prep.horizon {
            continue;
        }
        let mut first = Vec::new();
        let d1 = walk(&prep, &prep.pathways[0], rec.walker, rec.progression, |s| first.push(s));
        let mut second = Vec::new();
        let d2 = walk(&prep, &prep.pathways[0], rec.walker, rec.progression, |s| second.push(s));
        assert_eq!(first, second);
        assert_eq!(d1.to_bits(), d2.to_bits());
        assert_eq!(d1.to_bits(), rec.death.to_bits(), "patient {i}");
    }
}

#[test]
fn bad_pathways_are_refused_with_their_location() {
    let one = |set: &str, message: &'static str| (vec![set.to_string()], message);
    let exp = r#"time = { dist = "exponential", rate = "1 per year" }"#;
    let cases: Vec<(Vec<String>, &str)> = vec![
        // A state nobody enters.
        one(
            r#"pathways.reset.states = [{ name = "progressed", utility = 0.6 }, { name = "second_line", utility = 0.5 }, { name = "remission", utility = 0.5, absorbing = true }, { name = "lost", utility = 0.5, absorbing = true }]"#,
            "state `lost` cannot be reached from the start state `progressed`",
        ),
        // A state with no exit that is not absorbing.
        one(r#"pathways.reset.transitions = []"#, "has no transition out and is not declared absorbing"),
        // A transition out of an absorbing state.
        one(
            &format!(r#"pathways.reset.transitions = [{{ from = "remission", to = "death", {exp} }}]"#),
            "declared absorbing",
        ),
        // A transition out of death.
        one(
            &format!(r#"pathways.reset.transitions = [{{ from = "death", to = "progressed", {exp} }}]"#),
            "found `death` (absorbing)",
        ),
        // A cycle with no way out.
        (
            vec![
                r#"pathways.reset.states = [{ name = "progressed", utility = 0.6 }, { name = "off", utility = 0.6 }]"#.to_string(),
                format!(r#"pathways.reset.transitions = [{{ from = "progressed", to = "off", {exp} }}, {{ from = "off", to = "progressed", {exp} }}]"#),
            ],
            "no transition path leads to `death` or an absorbing state",
        ),
        // Treatment attached to death.
        one(
            r#"pathways.reset.states = [{ name = "progressed", utility = 0.6 }, { name = "death", utility = 0, regimen = "docetaxel" }]"#,
            "`death` is built in",
        ),
        // A clock that is neither.
        one(
            &format!(r#"pathways.reset.transitions = [{{ from = "progressed", to = "death", clock = "backward", {exp} }}]"#),
            "expected \"reset\" or \"forward\"",
        ),
        // Two causes for one pair of states.
        one(
            &format!(r#"pathways.reset.transitions = [{{ from = "progressed", to = "death", {exp} }}, {{ from = "progressed", to = "death", {exp} }}]"#),
            "duplicate transition",
        ),
        // An unknown pathway.
        one(r#"regimens.first_reset.after_progression = { pathway = "rest" }"#, "did you mean `reset`?"),
        // A prognostic ratio on a marker acquired at progression (absent at diagnosis).
        one("biomarkers.M.acquired = true", "found `M`, acquired at progression"),
        // A treatment-only regimen (no response, no course) as a strategy's treatment.
        one(
            r#"strategies.reset_all.default = "docetaxel""#,
            "found `docetaxel`, a treatment given only in pathway states",
        ),
        // ... or with a key that needs a course.
        one(
            r#"regimens.docetaxel.time_to_response = { dist = "exponential", median = "6 weeks" }"#,
            "expected no `time_to_response` on a regimen without `response` and a course",
        ),
        // A second line beside a pathway.
        one(r#"regimens.first_reset.second_line = { default = "docetaxel" }"#, "expected no `second_line` on a regimen whose progression enters a pathway"),
    ];
    for (set, message) in cases {
        let err = match try_load(FIXTURE, &set) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {set:?}"),
        };
        assert!(err.contains(message), "{set:?}: {err}");
        // Located in the file or in the --set text that broke the rule.
        let located = err.contains("illness_death.toml:") || err.contains("--set #");
        assert!(located, "no location: {err}");
    }
}

#[test]
fn a_bad_pathway_in_a_file_exits_2_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let text = crate::support::fixture_text(FIXTURE).replace(
        r#"  { name = "remission", utility = 0.85, cost = "50 per month", absorbing = true },
]
transitions = [
  { from = "progressed", to = "second_line", time = { dist = "exponential", rate = "0.15 per month" } },
  { from = "progressed", to = "death", time = { dist = "weibull", shape = 1.2"#,
        r#"  { name = "remission", utility = 0.85, cost = "50 per month" },
]
transitions = [
  { from = "progressed", to = "second_line", time = { dist = "exponential", rate = "0.15 per month" } },
  { from = "progressed", to = "death", time = { dist = "weibull", shape = 1.2"#,
    );
    std::fs::write(&path, text).unwrap();
    let out = crate::support::expect(crate::support::vbpsim().arg("check").arg(&path), 2);
    let err = crate::support::text_of(&out.stderr);
    assert!(
        err.contains(
            "bad.toml:67:3: pathways[1].states[2]: state `remission` has no transition out"
        ),
        "{err}"
    );
}

/// A test state (a re-biopsy at progression, `rebiopsy.toml`) against closed forms of its
/// exponential model (undiscounted, a 60-year horizon cut below e^{−30}). Per year: first-line
/// progression a, death before it b; in the test state death at d until the result τ = 21 days
/// after entry; then the targeted state (death e) for a positive reading of the acquired
/// marker T (prevalence π = 0.4, sensitivity 0.8, false positives 0.05, failures 0.1 read as
/// no result), else chemotherapy (death g). With P = a/(a + b) progressing, R = e^{−dτ} alive at
/// the result and q = 0.9·(π·0.8 + (1 − π)·0.05) read positive:
/// LY = 1/(a + b) + P·[(1 − R)/d + R·(q/e + (1 − q)/g)], QALYs the same with utilities 1, 0.5,
/// 0.8 and 0.6, the test's cost 2,000·P, the targeted line started by P·R·q for 1/e years.
#[test]
fn a_test_state_sends_patients_on_by_its_reading_after_its_turnaround() {
    let s = load("pathways/rebiopsy.toml", &[]);
    let sim = run(&s, &RunOptions::default());
    let m: f64 = 12.0;
    let (a, b, d, e, g) = (0.1 * m, 0.01 * m, 0.1 * m, 0.05 * m, 0.2 * m);
    let tau = 21.0 / 365.25;
    let (progress, reach) = (a / (a + b), (-d * tau).exp());
    let q = 0.9 * (0.4 * 0.8 + 0.6 * 0.05);
    let waiting = (1.0 - reach) / d;
    let ly = 1.0 / (a + b) + progress * (waiting + reach * (q / e + (1.0 - q) / g));
    let qaly =
        1.0 / (a + b) + progress * (0.5 * waiting + reach * (0.8 * q / e + 0.6 * (1.0 - q) / g));
    let arm = sim.summary.iter().find(|x| x.strategy == 1 && x.contract.is_none()).unwrap();
    close(arm.ly_undiscounted.mean, ly, arm.ly_undiscounted.mcse.unwrap(), "life-years");
    close(arm.qaly.mean, qaly, arm.qaly.mcse.unwrap(), "QALYs");
    // The test's cost, paid at each entry into the test state: in the testing category.
    let testing = s.model.categories().iter().position(|c| c == "testing").unwrap();
    let n = 200_000.0;
    let se = 2000.0 * (progress * (1.0 - progress) / n).sqrt();
    close(arm.categories[testing], 2000.0 * progress, se, "testing cost");
    // The targeted line: started by those read positive, treated until death.
    let line = sim.lines.iter().find(|l| l.strategy == 1 && l.state.is_some()).unwrap();
    let started = progress * reach * q;
    close(line.started, started, (started * (1.0 - started) / n).sqrt(), "targeted share");
    let time = line.time_on_treatment.unwrap().mean;
    close(time, 1.0 / e, 1.0 / e / (started * n).sqrt(), "time on the targeted line");
}

#[test]
fn bad_test_states_are_refused_with_their_location() {
    // Each case rewrites the test state's line of the file (a `--set` would merge the state
    // with the file's, keeping the keys it means to drop).
    let text = crate::support::fixture_text("pathways/rebiopsy.toml");
    let line = r#"  { name = "rebiopsy", utility = 0.5, test = "rebiopsy", rules = [{ positive = "T", to = "targeted" }], default = "chemo" },"#;
    assert!(text.contains(line));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rebiopsy.toml");
    let refused = |state: &str, extra: &str| {
        let edited =
            text.replace(line, &format!("  {{ name = \"rebiopsy\", utility = 0.5, {state} }},"));
        std::fs::write(&path, format!("{edited}\n{extra}")).unwrap();
        match vbpsim::scenario::load_with(Some(&path), &[]) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {state} {extra}"),
        }
    };
    let rules = r#"test = "rebiopsy", rules = [{ positive = "T", to = "targeted" }]"#;
    let cases = [
        (r#"test = "rebiopsy""#.to_string(), "expected `default`"),
        (format!(r#"{rules}, default = "rebiopsy""#), "expected another state than the test state"),
        (format!(r#"{rules}, default = "chem""#), "did you mean `chemo`?"),
        (format!(r#"{rules}, default = "chemo", absorbing = true"#), "expected a test state without `absorbing`"),
        (format!(r#"{rules}, default = "chemo", regimen = "targeted""#), "expected a test state without `regimen`"),
        (r#"rules = [{ positive = "T", to = "targeted" }], default = "chemo""#.to_string(), "expected `rules` only in a state with a `test`"),
        (r#"test = "rebiopsi", default = "chemo""#.to_string(), "did you mean `rebiopsy`?"),
        (r#"test = "rebiopsy", rules = [{ positive = "T", to = "nowhere" }], default = "chemo""#.to_string(), "`nowhere`"),
        (r#"test = "rebiopsy", rules = [{ positive = "U", to = "targeted" }], default = "chemo""#.to_string(), "undefined biomarker `U`"),
    ];
    for (state, message) in cases {
        let err = refused(&state, "");
        assert!(err.contains(message), "{state}: {err}");
        assert!(err.contains("rebiopsy.toml:"), "no location: {err}");
    }
    // Test states whose negative readings send the patient back and forth with no time
    // passing (a turnaround of 0): the transition to death of the first never fires, and a
    // patient without the marker would be tested for ever. With a turnaround, death while
    // waiting ends the loop, and the same pathway is accepted.
    let twice = format!(
        "{}\n  {{ name = \"again\", utility = 0.5, test = \"rebiopsy\", rules = [{{ positive = \"T\", to = \"chemo\" }}], default = \"rebiopsy\" }},",
        line.replace(r#"default = "chemo""#, r#"default = "again""#)
    );
    let instant =
        text.replace(line, &twice).replace(r#"turnaround = "21 days""#, r#"turnaround = "0 days""#);
    std::fs::write(&path, &instant).unwrap();
    let Err(err) = vbpsim::scenario::load_with(Some(&path), &[]) else {
        panic!("accepted: a loop of instant test results")
    };
    let err = err.to_string();
    assert!(err.contains("from test state `rebiopsy` some reading leads on"), "{err}");
    assert!(err.contains("from test state `again` some reading leads on"), "{err}");
    std::fs::write(&path, text.replace(line, &twice)).unwrap();
    vbpsim::scenario::load_with(Some(&path), &[]).unwrap_or_else(|e| panic!("{e}"));
    // A rule on a biomarker the test does not read.
    let other = "[[biomarkers]]\nname = \"U\"\nprevalence = 0.1";
    let err = refused(
        r#"test = "rebiopsy", rules = [{ positive = "U", to = "targeted" }], default = "chemo""#,
        other,
    );
    assert!(err.contains("expected a biomarker test `rebiopsy` reads, found `U`"), "{err}");
}

/// A cycle of states that turns faster than the horizon allows (a two-state loop a few
/// hours per turn) stops walks at the limit of 1,000 transitions: the run says so, once per
/// pathway, in its warnings (console, run.json); a pathway that ends normally does not.
#[test]
fn walks_stopped_at_the_transition_limit_are_warned_about() {
    let options = RunOptions { samples: Some(0), ..RunOptions::default() };
    let quick = ["scenario.patients = 2000".to_string()];
    let sim = run(&load(FIXTURE, &quick), &options);
    assert!(sim.warnings.iter().all(|w| !w.contains("transitions")), "{:?}", sim.warnings);
    let mut sets = quick.to_vec();
    sets.push(r#"pathways = [{ name = "loop", start = "a", states = [{ name = "a", utility = 0.5 }, { name = "b", utility = 0.5 }], transitions = [{ from = "a", to = "b", time = { dist = "exponential", rate = "2 per day" } }, { from = "b", to = "a", time = { dist = "exponential", rate = "2 per day" } }, { from = "a", to = "death", time = { dist = "exponential", rate = "0.01 per month" } }] }]"#.into());
    sets.push(r#"regimens.first_reset.after_progression = { pathway = "loop" }"#.into());
    let sim = run(&load(FIXTURE, &sets), &options);
    let warned: Vec<&String> = sim.warnings.iter().filter(|w| w.contains("transitions")).collect();
    assert_eq!(warned.len(), 1, "{:?}", sim.warnings);
    assert!(
        warned[0].contains("pathway `loop`: some patients made 1000 transitions"),
        "{}",
        warned[0]
    );
    // ... and the samples of a PSA keep it.
    let psa = RunOptions { samples: Some(2), ..RunOptions::default() };
    let sim = run(&load(FIXTURE, &sets), &psa);
    assert!(sim.warnings.iter().any(|w| w.contains("pathway `loop`")), "{:?}", sim.warnings);
}
