//! Cohort-level contracts on a drug also given in pathway states: the fixture of
//! pathway_courses.rs with x given as one cycle in both regimens, no discounting, x first
//! progressing fast into the crossover state (so most of its patients have two courses of x in
//! their first calendar year), and an expenditure cap of 0 over a one-year term (every payment
//! of the year refunded at its end). The cohort statement counts a patient once a year and each
//! course as a start; both courses' payments are refunded; the one-pass and two-pass
//! settlements agree bit for bit; a capped threshold price put back gives zero net benefit.

use super::pathway_courses::{FIXTURE, row, x_in};
use crate::support::{load, simulate};
use vbpsim::workflow::run::RunOptions;

/// Patients entering each strategy a year (the population: one-year term).
const N: f64 = 1000.0;
/// Simulated patients (the fixture's), so 200 complete populations.
const PATIENTS: f64 = 200_000.0;
const PRICE: f64 = 5000.0;
const HORIZON: f64 = 3.0;
/// Death before progression on either first line, per year.
const DELTA: f64 = 0.12;

fn sets() -> Vec<String> {
    let one_cycle = |regimen: &str| x_in(regimen, PRICE, 1);
    vec![
        "scenario.discount = { costs = 0, outcomes = 0 }".into(),
        "payer.population = 1000".into(),
        one_cycle("x_first"),
        one_cycle("x_later"),
        r#"regimens.x_first.progression = { responder = { dist = "exponential", rate = "0.5 per month" }, non_responder = { dist = "exponential", rate = "0.5 per month" } }"#.into(),
        r#"regimens.x_first.after_progression = { pathway = "crossover" }"#.into(),
        r#"contracts = [{ name = "cap0", drug = "x", regimens = ["x_first", "x_later"], kind = "expenditure_cap", cap = 0, years = 1 }]"#.into(),
    ]
}

/// F(s): progression (rate `mu` a year) before death by s after the first line's start.
fn progressed_by(mu: f64, s: f64) -> f64 {
    let k = mu + DELTA;
    mu / k * (1.0 - (-k * s).exp())
}

/// ∫₀¹ F(s) ds: a patient entering at a uniform time in the year starts its crossover within
/// the year.
fn crossover_in_first_year(mu: f64) -> f64 {
    let k = mu + DELTA;
    mu / k * (1.0 - (1.0 - (-k).exp()) / k)
}

fn near(found: f64, want: f64, se: f64, what: &str) {
    assert!(
        (found - want).abs() <= 4.0 * se,
        "{what}: {found} vs {want} (4 × MCSE = {})",
        4.0 * se
    );
}

#[test]
fn a_cohort_cap_counts_patients_once_a_year_and_refunds_every_course() {
    let (s, sim) = simulate(FIXTURE, &sets(), &RunOptions::default());
    let statement = |strategy: &str| {
        let arm = row(&s, &sim, strategy, "cap0").arm;
        let rows: Vec<_> = sim.cohort.iter().filter(|r| r.arm == arm).collect();
        assert_eq!(rows.len(), 1, "one calendar year");
        assert_eq!(rows[0].populations, 200);
        rows[0].clone()
    };
    let populations = PATIENTS / N;

    // x first: every patient pays its first cycle at entry, in the year, and most start the
    // crossover in the same year: treated once, started twice.
    let (mu, q) = (0.5 * 12.0, crossover_in_first_year(0.5 * 12.0));
    let year = statement("x_first");
    assert_eq!(year.patients_treated, N, "each patient once");
    let se = (N * q * (1.0 - q) / populations).sqrt();
    near(year.patients_started, N * (1.0 + q), se, "x first: courses started");
    assert_eq!(year.refund_fraction, 1.0);
    let cap = row(&s, &sim, "x_first", "cap0");
    let se = PRICE * (q * (1.0 - q) / PATIENTS).sqrt();
    near(cap.refunds, PRICE * (1.0 + q), se, "x first: refunds of both courses");
    let crossed = progressed_by(mu, HORIZON);
    let se = PRICE * (crossed * (1.0 - crossed) / PATIENTS).sqrt();
    near(cap.list_spend, PRICE * (1.0 + crossed), se, "x first: list spend");
    // The statement's spend is the year's payments, the refund all of it.
    let per_patient = year.drug_spend / N;
    assert!((per_patient - cap.refunds).abs() <= 1e-9 * cap.refunds, "{per_patient}");

    // Chemotherapy first: x only in the crossover, one course in the year at most.
    let q = crossover_in_first_year(0.1 * 12.0);
    let year = statement("chemo_first");
    let se = (N * q * (1.0 - q) / populations).sqrt();
    near(year.patients_treated, N * q, se, "chemotherapy first: treated");
    assert_eq!(year.patients_treated, year.patients_started);
    let cap = row(&s, &sim, "chemo_first", "cap0");
    let se = PRICE * (q * (1.0 - q) / PATIENTS).sqrt();
    near(cap.refunds, PRICE * q, se, "chemotherapy first: refunds");
}

/// The one-pass settlement (pending until each population is complete) and the two-pass one
/// (survey, then settle) of a cohort contract covering a pathway state give the same sums to
/// the last bit, the budget impact's included, for one and two threads and a partial last
/// population; also between two cohort contracts on the first line alone with the same term
/// (which share the calendar years of their paid cycles, not the merged ones of the contract
/// covering the crossover too).
#[test]
fn one_and_two_passes_agree_on_courses_in_pathway_states() {
    let mut sets = sets();
    let covering_both = sets.pop().expect("the cap on both regimens");
    sets.push(r#"contracts = [{ name = "first_cap", drug = "x", regimens = ["x_first"], kind = "expenditure_cap", cap = 1000000, years = 1 }]"#.into());
    sets.push(covering_both);
    sets.push(r#"contracts = [{ name = "first_pv", drug = "x", regimens = ["x_first"], kind = "price_volume", tiers = [{ above = 0, pay = 0.9 }, { above = 600, pay = 0.5 }], years = 1 }]"#.into());
    sets.push("contracts.cap0.cap = 2000000".into());
    sets.push(
        r#"budget_impact = { strategy = "x_first", years = 3, incident = 1000, uptake = [0.3, 0.5, 0.7] }"#
            .into(),
    );
    crate::cohort::one_and_two_passes_agree(&load(FIXTURE, &sets), "courses in pathway states");
}

/// An expenditure cap over the first year on x in both regimens, patients given x first also
/// crossing over to it: the x-first arm's threshold price (the search re-simulating the same
/// patients; the cap binds above about 5,300) put back as x's price in both regimens gives an
/// incremental NMB of zero, with the cap binding there.
#[test]
fn a_capped_threshold_price_put_back_gives_zero_net_benefit() {
    let sets = |price: f64| -> Vec<String> {
        let drug = |regimen: &str| x_in(regimen, price, 12);
        vec![
            "scenario.patients = 20000".into(),
            "payer.population = 1000".into(),
            r#"regimens.x_first.after_progression = { pathway = "crossover" }"#.into(),
            drug("x_first"),
            drug("x_later"),
            r#"contracts = [{ name = "cap", drug = "x", regimens = ["x_first", "x_later"], kind = "expenditure_cap", cap = 35000000, years = 1 }]"#.into(),
        ]
    };
    let (s, sim) = simulate(FIXTURE, &sets(PRICE), &RunOptions::default());
    let k = row(&s, &sim, "x_first", "cap");
    assert_eq!(k.refunds, 0.0, "the cap does not bind at the list price");
    let price = k.threshold_price[0].price().expect("a threshold price");
    assert!(price > 1.1 * PRICE, "price {price}");
    let (s2, at) = simulate(FIXTURE, &sets(price), &RunOptions::default());
    let k = row(&s2, &at, "x_first", "cap");
    assert!(k.refunds > 0.0, "the cap binds at the threshold price");
    let arm = &at.summary[k.arm];
    let nmb = arm.inc_nmb[0].mean;
    let scale = arm.inc_cost.mean.abs() + 100_000.0 * arm.inc_qaly.mean.abs();
    assert!(nmb.abs() < 1e-6 * scale, "incremental NMB at the threshold price {nmb} ({price})");
}
