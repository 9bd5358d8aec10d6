//! Molecular (ctDNA) monitoring on treatment (README "Molecular monitoring"): per-patient
//! detection rules, the detectable share against the sensitivity, the monitoring cost against
//! the README's formula summed over the engine's own patients, and a money-back guarantee
//! triggered by the earlier detection.

use vbpsim::rng::SampleKey;
use vbpsim::scenario;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, simulate as simulate_patient, tumour,
};
use vbpsim::workflow::run::{RunOptions, simulate};

const WEEK: f64 = 7.0 / 365.25;
const MONTH: f64 = 1.0 / 12.0;
const PATIENTS: u64 = 50_000;
const SEED: u64 = 43;

fn scenario_text() -> String {
    let regimen = |name: &str, extra: &str| {
        format!(
            r#"
[[regimens]]
name = "{name}"
drugs = [{{ name = "tki", price = 10000, cycle = "28 days" }}]
response = 0.5
progression = {{ responder = {{ dist = "exponential", rate = "0.05 per month" }}, non_responder = {{ dist = "exponential", rate = "0.25 per month" }} }}
death_before_progression = {{ dist = "exponential", rate = "0.01 per month" }}
after_progression = {{ survival = {{ dist = "exponential", rate = "0.1 per month" }} }}
assessment = "8 weeks"
{extra}
"#
        )
    };
    format!(
        r#"
[scenario]
name = "monitoring"
horizon = "20 years"
discount = {{ costs = 0.03, outcomes = 0.03 }}
patients = {PATIENTS}
seed = {SEED}
comparator = "imaging"
{}
{}
[states]
progression_free = {{ utility = 0.8 }}
progressed = {{ utility = 0.6 }}

[[strategies]]
name = "imaging"
default = "tki_imaging"

[[strategies]]
name = "monitored"
default = "tki_monitored"

[[contracts]]
name = "mb_6m"
drug = "tki"
kind = "money_back"
failure = "progression"
window = "6 months"
refund = 1.0
"#,
        regimen("tki_imaging", ""),
        regimen(
            "tki_monitored",
            "monitoring = { every = \"4 weeks\", lead_time = \"6 weeks\", sensitivity = 0.7, cost = 300 }"
        )
    )
}

#[test]
fn monitoring_detects_earlier_costs_its_tests_and_triggers_refunds() {
    let s = scenario::parse("m.toml", &scenario_text()).unwrap();
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let sim = simulate(&s, &RunOptions::default(), &mut |_, _| {}).unwrap();
    let key = SampleKey::new(SEED, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let (every, lead) = (4.0 * WEEK, 6.0 * WEEK);
    let (mut eligible, mut early, mut testing, mut triggered) = (0u32, 0u32, 0.0, [0u32; 2]);
    for i in 0..PATIENTS {
        let pk = key.patient(i);
        let line = LineDraws::new(pk, &lines);
        let t = tumour(&prep, pk);
        let imaging = simulate_patient(&prep, pk, &t, &line, 0);
        let monitored = simulate_patient(&prep, pk, &t, &line, 1);
        let (p, d) = (imaging.progression, imaging.death);
        // The molecular detection a detectable patient would have.
        let molecular = if p.is_finite() {
            let k = ((p - lead).max(0.0) / every - 1e-9).ceil().max(1.0);
            k * every
        } else {
            f64::INFINITY
        };
        let could = molecular < imaging.detected_progression && molecular < d;
        if could {
            eligible += 1;
            if monitored.detected_progression == molecular {
                early += 1;
            } else {
                assert_eq!(monitored.detected_progression, imaging.detected_progression);
            }
        } else {
            assert_eq!(monitored.detected_progression, imaging.detected_progression);
        }
        assert_eq!(monitored.treatment_end, monitored.detected_progression.min(d));
        // Tests at k·every, k ≥ 1, up to and including the end of treatment.
        let mut k = 1.0;
        while k * every <= monitored.treatment_end * (1.0 + 1e-12) && k * every < 20.0 {
            testing += 300.0 * 1.03f64.powf(-k * every);
            k += 1.0;
        }
        for (j, rec) in [imaging, monitored].iter().enumerate() {
            triggered[j] += u32::from(rec.detected_progression < 6.0 * MONTH);
        }
    }
    let share = f64::from(early) / f64::from(eligible);
    let se = (0.21 / f64::from(eligible)).sqrt();
    assert!((share - 0.7).abs() < 4.0 * se, "detectable share {share}");
    let a = sim.summary.iter().find(|x| x.strategy == 1 && x.contract.is_none()).unwrap();
    let mean = testing / PATIENTS as f64;
    assert!((a.categories[0] - mean).abs() < 1e-9 * mean, "testing {} vs {mean}", a.categories[0]);
    // Everyone is treated at t = 0 (no test), so every patient is a contract patient.
    for (j, n) in triggered.iter().enumerate() {
        let row = sim.contracts.iter().find(|r| sim.arms[r.arm].strategy == j).unwrap();
        let want = f64::from(*n) / PATIENTS as f64;
        assert!((row.triggered_share.unwrap() - want).abs() < 1e-12, "strategy {j}");
    }
    assert!(triggered[1] > triggered[0]);
}

#[test]
fn monitoring_terms_are_checked() {
    let text = scenario_text().replace("sensitivity = 0.7", "sensitivity = 1.7");
    let err = scenario::parse("m.toml", &text).unwrap_err().to_string();
    assert!(err.contains("regimens[1].monitoring.sensitivity"), "{err}");
    let text = scenario_text().replace("every = \"4 weeks\"", "every = \"2 hours\"");
    let err = scenario::parse("m.toml", &text).unwrap_err().to_string();
    assert!(err.contains("regimens[1].monitoring.every"), "{err}");
}
