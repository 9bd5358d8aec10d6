//! Waiting for a test result (docs, Model → Waiting for a result): until treatment starts a
//! tested patient follows the waiting regimen's course, progression and death real. With a
//! waiting course whose hazards are above every treatment's (best supportive care), a longer
//! turnaround can only end each patient's progression-free survival earlier, on common random
//! numbers (checked patient by patient; death itself may come later for one patient, whose
//! earlier progression forestalls a death before progression), and the means of life-years
//! and QALYs fall. The values themselves are checked against numerical integration in
//! `analytic` (its test-and-treat strategy waits 14 days on its default regimen).

use crate::support::{load, run};
use vbpsim::rng::SampleKey;
use vbpsim::scenario::Scenario;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, simulate as simulate_patient, tumour,
};
use vbpsim::workflow::run::RunOptions;

const WAITING: &str = "waiting/waiting.toml";
const TURNAROUNDS: [u32; 5] = [0, 15, 30, 60, 120];

fn with_turnaround(days: u32) -> Scenario {
    load(WAITING, &[format!("tests.panel.turnaround = \"{days} days\"")])
}

#[test]
fn a_longer_wait_never_prolongs_any_patients_progression_free_survival() {
    let scenarios: Vec<Scenario> = TURNAROUNDS.iter().map(|&d| with_turnaround(d)).collect();
    let preps: Vec<Prepared> =
        scenarios.iter().map(|s| Prepared::new(&s.model, &s.model.values).unwrap()).collect();
    let key = SampleKey::new(41, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let (mut earlier, mut untreated) = (0u32, 0u32);
    for i in 0..50_000 {
        let pk = key.patient(i);
        let line = LineDraws::new(pk, &lines);
        let mut before: Option<f64> = None;
        for (prep, days) in preps.iter().zip(TURNAROUNDS) {
            let rec = simulate_patient(prep, pk, &tumour(prep, pk), &line, 1);
            let now = rec.progression.min(rec.death);
            if let Some(b) = before {
                assert!(now <= b, "patient {i}: {days} days of waiting gave {now}, less gave {b}");
                earlier += u32::from(now < b);
            }
            untreated += u32::from(!rec.treated);
            before = Some(now);
        }
    }
    // The wait matters: some patients progress or die earlier, some are never treated.
    assert!(earlier > 100 && untreated > 100, "{earlier} earlier, {untreated} untreated");
}

#[test]
fn a_longer_wait_never_adds_life_years_or_qalys() {
    let options = RunOptions { samples: Some(0), ..RunOptions::default() };
    let mut before: Option<(f64, f64, f64)> = None;
    for days in TURNAROUNDS {
        let sim = run(&with_turnaround(days), &options);
        let arm = sim.summary.iter().find(|a| a.strategy == 1 && a.contract.is_none()).unwrap();
        let now = (arm.ly_undiscounted.mean, arm.ly.mean, arm.qaly.mean);
        if let Some(b) = before {
            assert!(now.0 < b.0 && now.1 < b.1 && now.2 < b.2, "{days} days: {now:?} vs {b:?}");
        }
        before = Some(now);
    }
}

#[test]
fn the_bundled_default_loses_life_years_to_a_longer_tissue_turnaround() {
    // The case that exposed the old convention: 15 against 120 days of tissue NGS in
    // nsclc_egfr gave the same life-years and a lower ICER. EGFR-positive patients now wait on
    // the default regimen's course (platinum-pemetrexed) before osimertinib.
    let options = RunOptions { samples: Some(0), patients: Some(20_000), ..RunOptions::default() };
    let ly = |days: u32| {
        let set = format!("tests.tissue_ngs.turnaround = \"{days} days\"");
        let s = vbpsim::scenario::load_with(None, &[set]).unwrap();
        let sim = run(&s, &options);
        let arm = sim.summary.iter().find(|a| a.strategy == 1 && a.contract.is_none()).unwrap();
        arm.ly_undiscounted.mean
    };
    let (short, long) = (ly(15), ly(120));
    assert!(long < short, "120 days: {long} life-years, 15 days: {short}");
}

/// Waiting on a clinical course (chemotherapy: progression rate a, death before progression d,
/// death after progression s, all exponential) for t0 before a partitioned-survival treatment
/// (PFS rate p, OS rate q on one uniform): progression-free and alive at t is e^{−(a+d)t} up to
/// t0, then e^{−(a+d)t0}·min(e^{−pt}, e^{−qt})/m with m = min(e^{−pt0}, e^{−qt0}); alive at t > t0
/// is e^{−(a+d)t0}·min(1, e^{−qt}/m) (progression-free at t0, then the treatment's OS given its
/// uniform below m) plus a·e^{−st}·(1 − e^{−(a+d−s)t0})/(a+d−s) (progressed while waiting).
#[test]
fn waiting_before_a_partitioned_course_matches_the_closed_form() {
    let month = 1.0 / 12.0;
    let (a, d, s_rate) = (0.2 / month, 0.05 / month, 0.1 / month);
    let (p, q) = (0.06 / month, 0.03 / month);
    let t0 = 60.0 / 365.25;
    let s = load("waiting/partitioned.toml", &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(43, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let times = [1.0 * month, 6.0 * month, 12.0 * month, 24.0 * month];
    let n = 200_000u64;
    let (mut pf_alive, mut alive) = ([0u64; 4], [0u64; 4]);
    for i in 0..n {
        let pk = key.patient(i);
        let line = LineDraws::new(pk, &lines);
        let rec = simulate_patient(&prep, pk, &tumour(&prep, pk), &line, 1);
        assert_eq!(rec.regimen, 0, "every patient is read positive");
        for (j, &t) in times.iter().enumerate() {
            pf_alive[j] += u64::from(rec.progression.min(rec.death) > t);
            alive[j] += u64::from(rec.death > t);
        }
    }
    let m = (-p * t0).exp().min((-q * t0).exp());
    let waited = (-(a + d) * t0).exp();
    for (j, &t) in times.iter().enumerate() {
        let want_pf = if t <= t0 {
            (-(a + d) * t).exp()
        } else {
            waited * (-p * t).exp().min((-q * t).exp()) / m
        };
        let progressed_waiting =
            a * (-s_rate * t).exp() * (1.0 - (-(a + d - s_rate) * t0.min(t)).exp())
                / (a + d - s_rate);
        let want_alive = if t <= t0 {
            // Alive at t within the wait: progression-free, or progressed before t and alive.
            (-(a + d) * t).exp() + progressed_waiting
        } else {
            waited * ((-q * t).exp() / m).min(1.0) + progressed_waiting
        };
        let nf = n as f64;
        let binomial = |x: f64| (x * (1.0 - x) / nf).sqrt();
        let (got_pf, got_alive) = (pf_alive[j] as f64 / nf, alive[j] as f64 / nf);
        let what = format!("{:.0} months", t / month);
        assert!(
            (got_pf - want_pf).abs() < 4.0 * binomial(want_pf),
            "{what}: PF {got_pf} vs {want_pf}"
        );
        assert!(
            (got_alive - want_alive).abs() < 4.0 * binomial(want_alive),
            "{what}: alive {got_alive} vs {want_alive}"
        );
    }
}

/// The library's patient (`simulate` then `ledger::account`) costs what the engine costs, a
/// patient who progressed while waiting at the waiting regimen's post-progression cost
/// (regression: the library used the treatment's).
#[test]
fn the_library_and_the_engine_value_a_wait_alike() {
    let sets = [
        "regimens.targeted.after_progression.cost = \"1000 per month\"".to_string(),
        "regimens.chemo.after_progression.cost = \"1000 per month\"".to_string(),
        "tests.panel.turnaround = \"60 days\"".to_string(),
    ];
    let s = load(WAITING, &sets);
    let n = 20_000u64;
    let options = RunOptions { samples: Some(0), patients: Some(n), ..RunOptions::default() };
    let sim = run(&s, &options);
    let engine = sim.summary.iter().find(|a| a.strategy == 1 && a.contract.is_none()).unwrap();
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(41, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let mut sums = vec![0.0; s.model.categories().len()];
    for i in 0..n {
        let pk = key.patient(i);
        let line = LineDraws::new(pk, &lines);
        let rec = simulate_patient(&prep, pk, &tumour(&prep, pk), &line, 1);
        let mut costs = vec![0.0; sums.len()];
        vbpsim::sim::ledger::account(
            &prep,
            &rec,
            &mut vbpsim::sim::ledger::Ledger::new(&mut costs),
        );
        sums.iter_mut().zip(&costs).for_each(|(s, c)| *s += c);
    }
    for (k, name) in s.model.categories().iter().enumerate() {
        let (library, engine) = (sums[k] / n as f64, engine.categories[k]);
        let tolerance = 1e-9 * engine.abs().max(1.0);
        assert!(
            (library - engine).abs() <= tolerance,
            "{name}: library {library}, engine {engine}"
        );
    }
}

/// A treatment whose survival has underflowed to 0 by the end of the wait (a lognormal
/// progression of median 15 days, sdlog 0.05, after 120 days): a patient still
/// progression-free at t0 progresses then, never "never" (regression: an infinite cumulative
/// hazard at t0 gave an infinite progression time).
#[test]
fn a_treatment_whose_survival_underflowed_by_t0_progresses_at_once() {
    let tight = "{ dist = \"lognormal\", median = \"15 days\", sdlog = 0.05 }";
    let sets = [
        "tests.panel.turnaround = \"120 days\"".to_string(),
        format!(
            "regimens.targeted.progression = {{ responder = {tight}, non_responder = {tight} }}"
        ),
    ];
    let s = load(WAITING, &sets);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(41, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let t0 = 120.0 / 365.25;
    let mut targeted = 0;
    for i in 0..20_000 {
        let pk = key.patient(i);
        let line = LineDraws::new(pk, &lines);
        let rec = simulate_patient(&prep, pk, &tumour(&prep, pk), &line, 1);
        if rec.regimen == 0 {
            targeted += 1;
            assert!(rec.progression.min(rec.death) <= t0 + 1e-9, "patient {i}: {rec:?}");
        }
    }
    assert!(targeted > 1000, "{targeted} patients read positive");
}
