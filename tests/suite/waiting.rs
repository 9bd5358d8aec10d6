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
