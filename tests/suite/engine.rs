//! Engine-level properties on the library API: conventions that must hold exactly, not just
//! within Monte Carlo error.

use crate::support::simulate;
use vbpsim::workflow::run::RunOptions;

/// Waiting on the course of the regimen that follows neither adds nor removes survival
/// (regression: event clocks used to start at treatment start, so a 6-month turnaround added
/// 0.5 life-years to everybody). A strategy that tests and then gives everybody its default
/// regimen, the course it waits on, has exactly the comparator's LYs, and QALYs differ only by
/// adverse events avoided by patients who progress or die while waiting. (Waiting on another
/// regimen's course: `waiting.rs`.)
#[test]
fn waiting_for_a_test_adds_no_survival() {
    // `test_only`: a test with a 6-month turnaround, then the comparator's regimen for all.
    let (_, sim) = simulate("engine/engine.toml", &[], &RunOptions::default());
    let test_only = &sim.summary[1];
    assert_eq!(test_only.inc_ly.mean, 0.0, "same patients, same regimen: identical life-years");
    assert_eq!(test_only.ly_undiscounted.mean, sim.summary[0].ly_undiscounted.mean);
    // Patients untreated because they progressed or died during the 6-month wait lose no AE
    // QALYs, so inc_qaly is ≥ 0 and tiny (0.01 × 0.2 × P(untreated) at most).
    assert!(test_only.inc_qaly.mean >= 0.0 && test_only.inc_qaly.mean < 0.01 * 0.2);
    // Survival curves are identical.
    assert_eq!(sim.sums.survival[0], sim.sums.survival[1]);
}
