//! The commercial payer: members leave at a constant hazard; the payer counts costs and
//! outcomes only while they are enrolled, and refunds after exit only if the contract is
//! portable.

use crate::support::simulate;
use vbpsim::workflow::run::{RunOptions, Simulation};

/// Two strategies, no payer section: national unless given with --set.
const PAYER: &str = "payer/payer.toml";
/// The same with a money-back guarantee.
const MONEY_BACK: &str = "payer/money_back.toml";

/// Simulate a fixture for the payer given by `payer` (`KEY = VALUE` lines of `[payer]`).
fn run(fixture: &str, payer: &[&str]) -> Simulation {
    let sets: Vec<String> = payer.iter().map(|line| format!("payer.{line}")).collect();
    simulate(fixture, &sets, &RunOptions::default()).1
}

/// Life-years, costs and QALYs while enrolled, against closed forms: with no progression,
/// death rate a and exit rate b (turnover p: b = −ln(1 − p)), E[min(D, X, H)] =
/// (1 − e^{−(a+b)H})/(a + b), and discounted at ρ = ln 1.03 the same with a + b + ρ.
#[test]
fn enrolled_time_matches_the_closed_form() {
    let turnover: f64 = 0.25;
    let sim = run(PAYER, &["perspective = \"commercial\"", "turnover = 0.25"]);
    let bsc = &sim.summary[0];
    let (a, b, h) = (0.2, -(1.0 - turnover).ln(), 10.0);
    let rho = 1.03f64.ln();
    let lyu = (1.0 - (-(a + b) * h).exp()) / (a + b);
    let ly = (1.0 - (-(a + b + rho) * h).exp()) / (a + b + rho);
    let close = |got: f64, want: f64, se: Option<f64>, what: &str| {
        let se = se.unwrap();
        assert!((got - want).abs() < 4.0 * se, "{what}: {got} vs {want} (mcse {se})");
    };
    close(bsc.ly_undiscounted.mean, lyu, bsc.ly_undiscounted.mcse, "undiscounted LY");
    close(bsc.ly.mean, ly, bsc.ly.mcse, "discounted LY");
    close(bsc.qaly.mean, 0.8 * ly, bsc.qaly.mcse, "QALY");
    // Costs are undiscounted here: 1,200 a year while alive and enrolled.
    close(bsc.cost.mean, 1200.0 * lyu, bsc.cost.mcse, "cost");
}

/// A commercial payer with zero turnover is the national payer, to the bit.
#[test]
fn zero_turnover_equals_national() {
    let national = run(MONEY_BACK, &["perspective = \"national\""]);
    let commercial = run(MONEY_BACK, &["perspective = \"commercial\"", "turnover = 0.0"]);
    assert_eq!(national.summary, commercial.summary);
    assert_eq!(national.contracts, commercial.contracts);
    assert_eq!(national.sums, commercial.sums);
}

/// Refunds due after the member left reach the payer only if the contract is portable; nothing
/// else differs.
#[test]
fn portable_refunds_are_at_least_non_portable_ones() {
    let base = ["perspective = \"commercial\"", "turnover = 0.4"];
    let kept = run(MONEY_BACK, &[&base[..], &["portable = true"]].concat());
    let lost = run(MONEY_BACK, &[&base[..], &["portable = false"]].concat());
    let (k, l) = (&kept.contracts[0], &lost.contracts[0]);
    assert!(k.refunds > l.refunds, "portable {} vs non-portable {}", k.refunds, l.refunds);
    assert_eq!(k.paid, l.paid, "payments do not depend on portability");
    assert_eq!(kept.summary[1], lost.summary[1], "the list arm is unaffected");
    // Turnover shortens what the payer pays for: less list spend than with no turnover.
    let national = run(MONEY_BACK, &["perspective = \"national\""]);
    assert!(national.contracts[0].list_spend > k.list_spend);
}
