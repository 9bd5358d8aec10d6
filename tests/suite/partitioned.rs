//! Partitioned-survival regimens: state occupancy, costs and QALYs against numerical
//! integration of the PFS and OS curves (docs, "Partitioned survival").
//!
//! Expected values are written from the docs alone: the progression-free share at t is
//! min(S_pfs(t), S_os(t)), the alive share S_os(t), the progressed share their difference;
//! flows are integrated against (1+r)^(−t) with composite Simpson on a fine grid, drugs are
//! summed over cycle starts. The `io` regimen's curves cross (PFS above OS after ≈2.69 years),
//! so the cap of PFS by OS is exercised. Tolerances are 4 Monte Carlo standard errors.

use crate::support::{load, run};
use vbpsim::rng::SampleKey;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, simulate as simulate_patient, tumour,
};
use vbpsim::workflow::run::RunOptions;

const MONTH: f64 = 1.0 / 12.0;
const DAY: f64 = 1.0 / 365.25;
const HORIZON: f64 = 10.0;
const PATIENTS: f64 = 200_000.0;
const RC: f64 = 0.035;
const RO: f64 = 0.015;

/// An `io` regimen whose PFS and OS curves cross, against supportive care.
const SCENARIO: &str = "partitioned/partitioned.toml";

fn s_pfs(t: f64) -> f64 {
    (-(t / 1.0f64).powf(0.6)).exp()
}

fn s_os(t: f64) -> f64 {
    (-(t / 2.0f64).powi(2)).exp()
}

fn f_os(t: f64) -> f64 {
    // Weibull density k/λ (t/λ)^(k−1) S(t) with k = 2, λ = 2.
    let (k, lambda) = (2.0, 2.0);
    k / lambda * (t / lambda) * s_os(t)
}

fn pf(t: f64) -> f64 {
    s_pfs(t).min(s_os(t))
}

fn d(r: f64, t: f64) -> f64 {
    (1.0 + r).powf(-t)
}

/// Composite Simpson on [0, H] with 2·10⁵ intervals (the kink of min at the crossing costs
/// O(h²) there, far below the Monte Carlo error).
fn integrate(f: impl Fn(f64) -> f64) -> f64 {
    let n = 200_000;
    let h = HORIZON / n as f64;
    let mut s = f(0.0) + f(HORIZON);
    for i in 1..n {
        s += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

#[test]
fn curves_cross_in_the_test_scenario() {
    let cross = 4.0f64.powf(1.0 / 1.4);
    assert!(s_pfs(cross - 0.1) < s_os(cross - 0.1) && s_pfs(cross + 0.1) > s_os(cross + 0.1));
}

#[test]
fn occupancy_costs_and_qalys_match_the_curves() {
    let sim = run(&load(SCENARIO, &[]), &RunOptions::default());
    let io = &sim.summary[1];
    assert_eq!(io.strategy, 1);

    // Survival grid: the share alive and progression-free at every month.
    let counts = &sim.sums.survival[1];
    let n = PATIENTS;
    for m in 0..=120usize {
        let t = m as f64 * MONTH;
        let os: u64 = counts.os()[m + 1..].iter().sum();
        let pfs: u64 = counts.pfs()[m + 1..].iter().sum();
        for (got, want, what) in [(os as f64 / n, s_os(t), "os"), (pfs as f64 / n, pf(t), "pfs")] {
            let se = (want * (1.0 - want) / n).sqrt().max(1.0 / n);
            assert!((got - want).abs() < 4.0 * se, "{what} at month {m}: {got} vs {want}");
        }
    }

    let close = |got: f64, want: f64, se: Option<f64>, what: &str| {
        let se = se.unwrap();
        assert!((got - want).abs() < 4.0 * se, "{what}: {got} vs {want} (mcse {se})");
    };
    let pd = |t: f64| s_os(t) - pf(t);
    close(io.ly_undiscounted.mean, integrate(s_os), io.ly_undiscounted.mcse, "undiscounted LY");
    close(io.ly.mean, integrate(|t| s_os(t) * d(RO, t)), io.ly.mcse, "LY");
    let qaly = integrate(|t| (0.75 * pf(t) + 0.5 * pd(t)) * d(RO, t));
    close(io.qaly.mean, qaly, io.qaly.mcse, "QALY");

    let cycle = 21.0 * DAY;
    let mut drug = 0.0;
    let mut k = 0.0;
    while k * cycle < HORIZON {
        drug += 8000.0 * d(RC, k * cycle) * pf(k * cycle);
        k += 1.0;
    }
    let pf_cost = 800.0 / MONTH * integrate(|t| pf(t) * d(RC, t));
    let pd_cost = (2000.0 + 3000.0) / MONTH * integrate(|t| pd(t) * d(RC, t));
    let terminal = 10_000.0 * integrate(|t| f_os(t) * d(RC, t));
    close(io.cost.mean, drug + pf_cost + pd_cost + terminal, io.cost.mcse, "total cost");
}

/// Responders are the share p of patients with the longest PFS: responder ⇔ T_pfs above the
/// (1 − p) quantile, i.e. S_pfs(T_pfs) < p, whenever the patient progresses.
#[test]
fn responders_are_the_patients_with_the_longest_pfs() {
    let s = load(SCENARIO, &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(3, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let (mut responders, n) = (0u32, 100_000u32);
    for i in 0..u64::from(n) {
        let pk = key.patient(i);
        let line = LineDraws::new(pk, &lines);
        let rec = simulate_patient(&prep, pk, &tumour(&prep, pk), &line, 1);
        responders += u32::from(rec.responder);
        // One uniform U = S_os(D) decides everything: responder ⇔ U < p.
        let u = s_os(rec.death);
        assert_eq!(rec.responder, u < 0.3, "{rec:?}");
        if rec.progression.is_finite() {
            // Comonotone: the same uniform gives both times, S_pfs(P) = S_os(D) = U, so the
            // responders are those with S_pfs(P) < p, the longest PFS.
            assert!(rec.progression < rec.death, "{rec:?}");
            assert!((s_pfs(rec.progression) - u).abs() < 1e-9, "{rec:?}");
        } else {
            // No progression before death: the PFS time would have come later.
            assert!(s_pfs(rec.death) >= u - 1e-12, "{rec:?}");
        }
    }
    let share = f64::from(responders) / f64::from(n);
    let se = (0.3f64 * 0.7 / f64::from(n)).sqrt();
    assert!((share - 0.3).abs() < 4.0 * se, "responder share {share}");
}
