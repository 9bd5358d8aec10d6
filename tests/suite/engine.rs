//! Engine-level properties on the library API: conventions that must hold exactly, not just
//! within Monte Carlo error.

use vbpsim::scenario;
use vbpsim::workflow::run::{RunOptions, simulate};

fn base(extra_strategy: &str) -> String {
    format!(
        r#"
[scenario]
name = "engine"
horizon = "15 years"
discount = {{ costs = 0.035, outcomes = 0.035 }}
patients = 30000
seed = 11
comparator = "no_test"
thresholds = [50000]

[[biomarkers]]
name = "M"
prevalence = 0.3

[[tests]]
name = "slow"
detects = ["M"]
sensitivity = 0.9
specificity = 0.95
cost = 1000
turnaround = "6 months"

[[regimens]]
name = "chemo"
drugs = [{{ name = "c", price = 2000, cycle = "21 days", max_cycles = 6 }}]
response = 0.3
progression = {{ responder = {{ dist = "weibull", shape = 1.3, median = "9 months" }}, non_responder = {{ dist = "exponential", median = "4 months" }} }}
death_before_progression = {{ dist = "exponential", rate = "0.01 per month" }}
after_progression = {{ survival = {{ dist = "exponential", median = "6 months" }}, cost = "3000 per month" }}
adverse_events = [{{ name = "ae", probability = 0.2, cost = 4000, qaly_loss = 0.01 }}]

[states]
progression_free = {{ cost = "800 per month", utility = 0.7 }}
progressed = {{ cost = "2000 per month", utility = 0.5 }}
death = {{ cost = 10000 }}

[[strategies]]
name = "no_test"
default = "chemo"

{extra_strategy}
"#
    )
}

/// Waiting for a test neither adds nor removes survival (regression: event clocks used to start
/// at treatment start, so a 6-month turnaround added 0.5 life-years to everybody). A strategy
/// that tests and then gives everybody the same regimen has exactly the comparator's LYs, and
/// QALYs differ only by adverse events avoided by patients who progress or die while waiting.
#[test]
fn waiting_for_a_test_adds_no_survival() {
    let text = base("[[strategies]]\nname = \"test_only\"\ntest = \"slow\"\ndefault = \"chemo\"\n");
    let s = scenario::parse("engine.toml", &text).unwrap();
    let sim = simulate(&s, &RunOptions::default(), &mut |_, _| {}).unwrap();
    let test_only = &sim.summary[1];
    assert_eq!(test_only.inc_ly.mean, 0.0, "same patients, same regimen: identical life-years");
    assert_eq!(test_only.ly_undiscounted.mean, sim.summary[0].ly_undiscounted.mean);
    // Patients untreated because they progressed or died during the 6-month wait lose no AE
    // QALYs, so inc_qaly is ≥ 0 and tiny (0.01 × 0.2 × P(untreated) at most).
    assert!(test_only.inc_qaly.mean >= 0.0 && test_only.inc_qaly.mean < 0.01 * 0.2);
    // Survival curves are identical.
    assert_eq!(sim.sums.survival[0], sim.sums.survival[1]);
}
