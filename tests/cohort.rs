//! Cohort-level contracts (expenditure cap, price-volume, population outcome): the per-patient
//! settlement on fixed records against a hand computation, the cohort statement (cohort.csv)
//! against closed forms for a population entering uniformly over the term, the identity that
//! patients' shares add up to the cohort's refunds, the threshold price, payer invariants and
//! fixed yearly administration.

use vbpsim::contracts::cohort::{CalendarYear, CohortRule, CohortTerms, fractions, tier_refund};
use vbpsim::contracts::{Exposure, cash};
use vbpsim::run::{RunOptions, Simulation, simulate};
use vbpsim::scenario;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::PatientRecord;

const MONTH: f64 = 1.0 / 12.0;
/// Patients entering each strategy per year, term in years, list price per monthly cycle.
const N: f64 = 1000.0;
const Y: u64 = 3;
const A: f64 = 1000.0;
const PATIENTS: u64 = 60_000;
const NEVER: &str = r#"{ dist = "piecewise", breaks = ["0 years"], rates = ["0 per year"] }"#;

/// Two strategies: nothing, or drug x (A per month, at most 12 cycles, paid until progression)
/// for everybody from diagnosis. Nobody dies; `progression` is the drug's time to progression.
fn scenario_text(progression: &str, discount: &str, payer: &str, contracts: &str) -> String {
    format!(
        r#"
[scenario]
name = "cohort"
horizon = "10 years"
discount = {discount}
patients = {PATIENTS}
seed = 11
comparator = "bsc"
thresholds = [100000]

[payer]
population = {N}
{payer}

[[regimens]]
name = "bsc"
response = 0
progression = {{ responder = {NEVER}, non_responder = {NEVER} }}
death_before_progression = {NEVER}
after_progression = {{ survival = {NEVER} }}

[[regimens]]
name = "x"
drugs = [{{ name = "x", price = {A}, cycle = "1 month", max_cycles = 12 }}]
response = 1
progression = {{ responder = {progression}, non_responder = {NEVER} }}
death_before_progression = {NEVER}
after_progression = {{ survival = {NEVER} }}

[states]
progression_free = {{ cost = "100 per month", utility = 0.8 }}
progressed = {{ utility = 0.6 }}

[[strategies]]
name = "bsc"
default = "bsc"

[[strategies]]
name = "treat"
default = "x"

{contracts}
"#
    )
}

const ZERO: &str = "{ costs = 0, outcomes = 0 }";

fn run(text: &str, options: RunOptions) -> (scenario::Scenario, Simulation) {
    let s = scenario::parse("cohort.toml", text).unwrap_or_else(|e| panic!("{e:?}"));
    let sim = simulate(&s, &options, &mut |_, _| {}).unwrap();
    (s, sim)
}

fn arm(s: &scenario::Scenario, sim: &Simulation, contract: &str) -> usize {
    let c = s.model.contracts.iter().position(|c| c.name == contract).unwrap();
    sim.arms.iter().position(|a| a.contract == Some(c)).unwrap()
}

/// Mean rebate per patient of the strategy (positive) for a contract arm.
fn rebate(s: &scenario::Scenario, sim: &Simulation, contract: &str) -> f64 {
    let i = arm(s, sim, contract);
    sim.contracts.iter().find(|r| r.arm == i).unwrap().refunds
}

fn cohort_rows<'a>(
    s: &scenario::Scenario,
    sim: &'a Simulation,
    contract: &str,
) -> Vec<&'a vbpsim::analysis::cohort::CohortRow> {
    let i = arm(s, sim, contract);
    sim.cohort.iter().filter(|r| r.arm == i).collect()
}

// ---------------------------------------------------------------------------------------------
// Independent expectations for 12 monthly cycles at t = k/12 (k < 12) after an entry time
// a ~ U(0, Y): cycle k falls in calendar year y when y ≤ a + k/12 < y + 1. Moments of the
// number of cycles in year y by a midpoint rule over a (the count is piecewise constant with
// breaks at multiples of 1/12, and the midpoints of a grid 1/12000 wide never hit a break).

struct YearMoments {
    mean: f64,
    second: f64,
    /// P(at least one cycle in the year).
    any: f64,
}

fn year_moments(year: u64, paid: impl Fn(u64) -> bool) -> YearMoments {
    let steps = 12_000 * Y;
    let (mut m1, mut m2, mut any) = (0.0, 0.0, 0.0);
    for i in 0..steps {
        let a = (i as f64 + 0.5) / steps as f64 * Y as f64;
        let c = (0..12u64)
            .filter(|&k| paid(k))
            .filter(|&k| {
                let t = a + k as f64 * MONTH;
                t >= year as f64 && t < (year + 1) as f64
            })
            .count() as f64;
        m1 += c;
        m2 += c * c;
        any += f64::from(c > 0.0);
    }
    let n = steps as f64;
    YearMoments { mean: m1 / n, second: m2 / n, any: any / n }
}

/// Real patients a simulated one stands for.
fn weight() -> f64 {
    N * Y as f64 / PATIENTS as f64
}

#[test]
fn expenditure_cap_statement_matches_closed_forms() {
    // Nobody progresses: every patient pays 12 cycles. Expected spend per calendar year:
    // N·A·Σ_k (1 − k/12) = 6.5·N·A in year 1 (the population builds up), 12·N·A after.
    let cap = 8.0e6;
    let contracts = format!(
        "[[contracts]]\nname = \"cap\"\ndrug = \"x\"\nkind = \"expenditure_cap\"\ncap = {cap}\nyears = {Y}\n"
    );
    let (s, sim) = run(&scenario_text(NEVER, ZERO, "", &contracts), RunOptions::default());
    let rows = cohort_rows(&s, &sim, "cap");
    assert_eq!(rows.len(), Y as usize);
    let w = weight();
    let mut want_refund = 0.0;
    let mut refund_se = 0.0;
    for (y, row) in rows.iter().enumerate() {
        let m = year_moments(y as u64, |_| true);
        let closed = [6.5, 12.0, 12.0][y] * N * A;
        assert!((N * Y as f64 * A * m.mean - closed).abs() < 1e-6 * closed, "midpoint rule");
        let se = w * A * (PATIENTS as f64 * (m.second - m.mean * m.mean)).sqrt();
        assert!(
            (row.drug_spend - closed).abs() < 4.0 * se,
            "year {}: spend {} vs {closed} (se {se})",
            y + 1,
            row.drug_spend
        );
        // The refund rule of the README, on the statement's own spend.
        let g = if row.drug_spend > cap { 1.0 - cap / row.drug_spend } else { 0.0 };
        assert!((row.refund_fraction - g).abs() < 1e-15, "year {}", y + 1);
        assert!((row.refund - (row.drug_spend - cap).max(0.0)).abs() < 1e-6);
        assert_eq!(row.settled_at, (y + 1) as f64);
        let treated_se = w * (PATIENTS as f64 * m.any * (1.0 - m.any)).sqrt();
        let treated = N * Y as f64 * m.any;
        assert!(
            (row.patients_treated - treated).abs() < 4.0 * treated_se,
            "year {}: treated {} vs {treated}",
            y + 1,
            row.patients_treated
        );
        if closed > cap {
            want_refund += closed - cap;
            refund_se += se;
        }
    }
    // Per patient of the strategy: the cohort's refunds over the N·Y patients of the term.
    let per_patient = want_refund / (N * Y as f64);
    let tolerance = 4.0 * refund_se / (N * Y as f64);
    let got = rebate(&s, &sim, "cap");
    assert!((got - per_patient).abs() < tolerance, "rebate {got} vs {per_patient} ± {tolerance}");
}

#[test]
fn patients_shares_add_up_to_the_cohort_refunds() {
    // No discounting, a national payer, every settlement date before the horizon: the mean
    // per-patient refund × N·Y is the statement's total refund, for every cohort kind.
    let progression = r#"{ dist = "exponential", median = "8 months" }"#;
    let contracts = format!(
        r#"
[[contracts]]
name = "cap"
drug = "x"
kind = "expenditure_cap"
cap = 4000000
years = {Y}

[[contracts]]
name = "pv"
drug = "x"
kind = "price_volume"
tiers = [{{ above = 900, pay = 0.9 }}, {{ above = 1300, pay = 0.6 }}]
years = {Y}

[[contracts]]
name = "po"
drug = "x"
kind = "population_outcome"
failure = "progression"
window = "6 months"
target = 0.9
rebate = 0.3
years = {Y}
"#
    );
    let (s, sim) = run(&scenario_text(progression, ZERO, "", &contracts), RunOptions::default());
    for name in ["cap", "pv", "po"] {
        let total: f64 = cohort_rows(&s, &sim, name).iter().map(|r| r.refund).sum();
        assert!(total > 0.0, "{name}: the case must trigger");
        let per_patient = rebate(&s, &sim, name);
        let scaled = per_patient * N * Y as f64;
        assert!(
            (scaled - total).abs() < 1e-9 * total,
            "{name}: patients' shares {scaled} vs cohort refunds {total}"
        );
        // The costs table carries the same refund as a negative rebate category.
        let i = arm(&s, &sim, name);
        let c = s.model.contracts.iter().position(|c| c.name == name).unwrap();
        let prep = Prepared::new(&s.model, &s.model.values).unwrap();
        let cat = prep.categories().rebate(c);
        assert_eq!(sim.summary[i].categories[cat], -per_patient, "{name}: rebate category");
    }
}

#[test]
fn price_volume_tiers_are_marginal_on_patients_treated_per_year() {
    let contracts = format!(
        "[[contracts]]\nname = \"pv\"\ndrug = \"x\"\nkind = \"price_volume\"\ntiers = [{{ above = 1200, pay = 0.8 }}, {{ above = 1800, pay = 0.5 }}]\nyears = {Y}\n"
    );
    let (s, sim) = run(&scenario_text(NEVER, ZERO, "", &contracts), RunOptions::default());
    let rows = cohort_rows(&s, &sim, "pv");
    let w = weight();
    for (y, row) in rows.iter().enumerate() {
        // A patient has a cycle in year 1 iff it enters in [0, 1); in year y > 1 iff it enters
        // in [y − 11/12, y + 1): N and 23/12·N patients.
        let p = [1.0, 23.0 / 12.0, 23.0 / 12.0][y] / Y as f64;
        let want = N * Y as f64 * p;
        let se = w * (PATIENTS as f64 * p * (1.0 - p)).sqrt();
        assert!((row.patients_treated - want).abs() < 4.0 * se, "year {}", y + 1);
        // Marginal tiers by hand on the statement's own count.
        let n = row.patients_treated;
        let hand = 0.2 * (n.min(1800.0) - 1200.0).max(0.0) + 0.5 * (n - 1800.0).max(0.0);
        assert!((row.refund_fraction - hand / n).abs() < 1e-15, "year {}", y + 1);
    }
    assert_eq!(rows[0].refund_fraction, 0.0, "1,000 patients in year 1: below every tier");
    assert!(rows[1].refund_fraction > 0.09 && rows[1].refund_fraction < 0.097);
}

#[test]
fn population_outcome_rebates_when_the_success_rate_misses_the_target() {
    // Exponential progression with median 6 months, detected at once, window 6 months: the
    // success rate is exactly 1/2. Cycle k is paid iff P > k/12 (probability 2^(−k/6)) and
    // falls in the term iff a + k/12 < Y, so the mean number of covered cycles per patient is
    // Σ_k 2^(−k/6)·(1 − k/(12Y)), and its second moment Σ_{j,k} 2^(−max/6)·(1 − max/(12Y)).
    let progression = r#"{ dist = "exponential", median = "6 months" }"#;
    let contract = |name: &str, target: f64, doc: f64| {
        format!(
            "[[contracts]]\nname = \"{name}\"\ndrug = \"x\"\nkind = \"population_outcome\"\nfailure = \"progression\"\nwindow = \"6 months\"\ntarget = {target}\nrebate = 0.25\nyears = {Y}\ndocumentation_error = {doc}\n"
        )
    };
    let contracts =
        [contract("miss", 0.6, 0.0), contract("meet", 0.4, 0.0), contract("doc", 0.65, 0.2)]
            .join("\n");
    let (s, sim) = run(&scenario_text(progression, ZERO, "", &contracts), RunOptions::default());
    let covered = |k: u64| 0.5f64.powf(k as f64 / 6.0) * (1.0 - k as f64 / (12.0 * Y as f64));
    let mean: f64 = (0..12).map(covered).sum();
    let second: f64 = (0..12u64).flat_map(|j| (0..12u64).map(move |k| covered(j.max(k)))).sum();
    let want = 0.25 * A * mean;
    let se = 0.25 * A * ((second - mean * mean) / PATIENTS as f64).sqrt();
    let got = rebate(&s, &sim, "miss");
    assert!((got - want).abs() < 4.0 * se, "rebate {got} vs {want} ± {se}");
    assert_eq!(rebate(&s, &sim, "meet"), 0.0, "a met target rebates nothing");
    for (name, rate) in [("miss", 0.5), ("doc", 0.5 + 0.5 * 0.2)] {
        for row in cohort_rows(&s, &sim, name) {
            let started = row.patients_started / weight();
            let se = (rate * (1.0 - rate) / started).sqrt();
            let r = row.success_rate.unwrap();
            assert!((r - rate).abs() < 4.0 * se, "{name} year {}: rate {r} vs {rate}", row.year);
            assert_eq!(row.refund_fraction, 0.25);
            assert_eq!(row.settled_at, row.year as f64 + 0.5);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The per-patient settlement on fixed records, with discounting and a commercial exit.

fn record(t0: f64, coverage_end: f64) -> PatientRecord {
    PatientRecord {
        regimen: 1,
        tests: [0; 8],
        n_tests: 0,
        start: t0,
        treated: true,
        detected_progression: f64::INFINITY,
        observed_responder: true,
        responder: true,
        progression: f64::INFINITY,
        death: f64::INFINITY,
        treatment_end: f64::INFINITY,
        adverse_events: 0,
        coverage_end,
    }
}

#[test]
fn a_patient_gets_its_share_of_each_years_refund_at_the_years_settlement() {
    let (rc, rm) = (0.035, 0.08);
    let discount = format!("{{ costs = {rc}, outcomes = 0.015, manufacturer = {rm} }}");
    let contracts = format!(
        "[[contracts]]\nname = \"po\"\ndrug = \"x\"\nkind = \"population_outcome\"\nwindow = \"6 months\"\ntarget = 0.5\nrebate = 0.3\nyears = {Y}\n"
    );
    let s = scenario::parse("cohort.toml", &scenario_text(NEVER, &discount, "", &contracts))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let g = [0.1, 0.2, 0.3];
    let d = |r: f64, t: f64| (1.0f64 + r).powf(-t);
    // (t0, arrival uniform, end of coverage, refunds follow the member after exit)
    let cases = [
        (0.1, 0.25, 10.0, false),
        (0.3, 0.6, 10.0, false),
        (0.1, 0.25, 1.0, false),
        (0.1, 0.25, 1.0, true),
    ];
    for (t0, u, coverage, portable) in cases {
        let rec = record(t0, coverage);
        let entry = Y as f64 * u;
        // Hand: cycles k at t0 + k/12 while before the end of coverage and k < 12; cycle k
        // falls in calendar year ⌊entry + t0 + k/12⌋; year y's share is paid at
        // y + 1 + window − entry if that is before the end of coverage (or portable: horizon).
        let refund_horizon = if portable { 10.0 } else { coverage };
        let (mut paid, mut refunded, mut manufacturer, mut n) = (0.0, 0.0, 0.0, 0);
        for k in 0..12u64 {
            let t = t0 + k as f64 * MONTH;
            if t >= coverage {
                break;
            }
            n += 1;
            paid += A * d(rc, t);
            manufacturer += A * d(rm, t);
            let year = (entry + t).floor() as usize;
            if year < Y as usize {
                let due = year as f64 + 1.0 + 0.5 - entry;
                if due < refund_horizon {
                    refunded += g[year] * A * d(rc, due);
                    manufacturer -= g[year] * A * d(rm, due);
                }
            }
        }
        let x = Exposure {
            rec: &rec,
            drug: &prep.regimens[1].drugs[0],
            n,
            horizon: coverage,
            refund_horizon,
            payer: &prep.costs,
            manufacturer: &prep.manufacturer,
            payer_start: d(rc, t0),
            manufacturer_start: d(rm, t0),
            documented: true,
            arrival: u,
        };
        let got = cash(&prep.contracts[0], &x, None, &g);
        let what = format!("t0 {t0}, u {u}, coverage {coverage}, portable {portable}");
        assert!((got.paid - paid).abs() < 1e-9 * paid, "{what}: paid {} vs {paid}", got.paid);
        assert!(
            (got.refunded - refunded).abs() < 1e-9 * paid,
            "{what}: refunded {} vs {refunded}",
            got.refunded
        );
        assert!((got.manufacturer_net - manufacturer).abs() < 1e-9 * paid, "{what}: manufacturer");
        assert_eq!(got.triggered, refunded > 0.0, "{what}: triggered");
        // Linear in the price: ∂cost/∂A = (paid − refunded)/A.
        assert!((got.units - (paid - refunded) / A).abs() < 1e-12, "{what}: units");
    }
}

#[test]
fn fractions_follow_the_readme_rules() {
    let cy =
        |cycles, treated, started, succeeded| CalendarYear { cycles, treated, started, succeeded };
    let calendar = [cy(100, 10, 8, 5), cy(300, 25, 10, 8), cy(0, 0, 0, 0)];
    let cap = CohortTerms { rule: CohortRule::ExpenditureCap { cap: 250_000.0 }, years: 3 };
    // weight 10, price 100: spend 100,000 / 300,000 / 0.
    let got = fractions(&cap, &calendar, 10.0, 100.0);
    assert_eq!(got, vec![0.0, 1.0 - 250_000.0 / 300_000.0, 0.0]);
    let pv = CohortTerms {
        rule: CohortRule::PriceVolume { tiers: vec![(120.0, 0.9), (200.0, 0.5)] },
        years: 3,
    };
    // 100 patients: below the tiers; 250 patients: 80 at 0.9, 50 at 0.5.
    let got = fractions(&pv, &calendar, 10.0, 100.0);
    assert_eq!(got[0], 0.0);
    assert!((got[1] - (80.0 * 0.1 + 50.0 * 0.5) / 250.0).abs() < 1e-15);
    assert_eq!(got[2], 0.0);
    assert_eq!(tier_refund(&[(0.0, 0.7)], 40.0), 40.0 * (1.0 - 0.7));
    let po = CohortTerms {
        rule: CohortRule::PopulationOutcome {
            failure: vbpsim::model::Failure::Progression,
            window: 0.5,
            target: 0.7,
            rebate: 0.2,
        },
        years: 3,
    };
    // 5/8 < 0.7 rebates; 8/10 does not; no starters, no rebate.
    assert_eq!(fractions(&po, &calendar, 10.0, 100.0), vec![0.2, 0.0, 0.0]);
}

// ---------------------------------------------------------------------------------------------
// Price, payer view, reproducibility, administration.

#[test]
fn threshold_prices_of_cohort_contracts_give_the_threshold_icer() {
    // `bsc` patients progress within months and die after progression; treated patients gain
    // QALYs, so each contract arm has a positive threshold price.
    let text = scenario_text(
        r#"{ dist = "exponential", median = "8 months" }"#,
        "{ costs = 0.035, outcomes = 0.015 }",
        "",
        &format!(
            r#"
[[contracts]]
name = "cap"
drug = "x"
kind = "expenditure_cap"
cap = 3000000
years = {Y}

[[contracts]]
name = "pv"
drug = "x"
kind = "price_volume"
tiers = [{{ above = 1000, pay = 0.7 }}]
years = {Y}
"#
        ),
    )
    .replace(
        "progression = { responder = { dist = \"piecewise\", breaks = [\"0 years\"], rates = [\"0 per year\"] }, non_responder = { dist = \"piecewise\", breaks = [\"0 years\"], rates = [\"0 per year\"] } }\ndeath_before_progression = { dist = \"piecewise\", breaks = [\"0 years\"], rates = [\"0 per year\"] }\nafter_progression = { survival = { dist = \"piecewise\", breaks = [\"0 years\"], rates = [\"0 per year\"] } }\n\n[[regimens]]\nname = \"x\"",
        "progression = { responder = { dist = \"exponential\", median = \"2 months\" }, non_responder = { dist = \"exponential\", median = \"2 months\" } }\ndeath_before_progression = { dist = \"piecewise\", breaks = [\"0 years\"], rates = [\"0 per year\"] }\nafter_progression = { survival = { dist = \"exponential\", median = \"5 years\" } }\n\n[[regimens]]\nname = \"x\"",
    );
    assert!(text.contains("median = \"2 months\""), "the edit applies");
    let options = RunOptions { patients: Some(20_000), ..RunOptions::default() };
    let (s, sim) = run(&text, options.clone());
    for name in ["cap", "pv"] {
        let i = arm(&s, &sim, name);
        let row = sim.contracts.iter().find(|r| r.arm == i).unwrap();
        let price = row.threshold_price[0].unwrap_or_else(|| panic!("{name}: a threshold price"));
        assert!(price > 0.0 && price != A, "{name}: price {price}");
        let repriced = text.replace(&format!("price = {A}"), &format!("price = {price}"));
        let (s2, sim2) = run(&repriced, options.clone());
        let i2 = arm(&s2, &sim2, name);
        let inc = &sim2.summary[i2];
        let nmb = inc.inc_nmb[0].mean;
        // Zero to the bisection's tolerance (cap) or to rounding (linear price-volume).
        let scale = inc.inc_cost.mean.abs() + 100_000.0 * inc.inc_qaly.mean.abs();
        assert!(nmb.abs() < 1e-6 * scale, "{name}: inc NMB at the threshold price {nmb}");
    }
}

#[test]
fn commercial_payer_views_of_cohort_contracts() {
    let progression = r#"{ dist = "exponential", median = "8 months" }"#;
    let contracts = format!(
        "[[contracts]]\nname = \"cap\"\ndrug = \"x\"\nkind = \"expenditure_cap\"\ncap = 2000000\nyears = {Y}\n\n[[contracts]]\nname = \"po\"\ndrug = \"x\"\nkind = \"population_outcome\"\nwindow = \"6 months\"\ntarget = 0.9\nrebate = 0.3\nyears = {Y}\n"
    );
    let discount = "{ costs = 0.035, outcomes = 0.015 }";
    let options = RunOptions { patients: Some(20_000), ..RunOptions::default() };
    let national = run(&scenario_text(progression, discount, "", &contracts), options.clone());
    let zero = run(
        &scenario_text(
            progression,
            discount,
            "perspective = \"commercial\"\nturnover = 0",
            &contracts,
        ),
        options.clone(),
    );
    assert_eq!(national.1.sums, zero.1.sums, "zero turnover is the national payer, to the bit");
    assert_eq!(national.1.cohort, zero.1.cohort);
    let leaky = |portable: bool| {
        let payer = format!("perspective = \"commercial\"\nturnover = 0.5\nportable = {portable}");
        run(&scenario_text(progression, discount, &payer, &contracts), options.clone())
    };
    let (s, kept) = leaky(false);
    let (_, followed) = leaky(true);
    for name in ["cap", "po"] {
        let a = rebate(&s, &kept, name);
        let b = rebate(&s, &followed, name);
        assert!(b > a && a > 0.0, "{name}: portable refunds {b} ≥ non-portable {a}");
        // The statement is the payer's own spend: members leave, so it is below the national.
        let spend =
            |sim: &Simulation| cohort_rows(&s, sim, name).iter().map(|r| r.drug_spend).sum::<f64>();
        assert!(spend(&kept) < spend(&national.1));
        assert_eq!(spend(&kept), spend(&followed), "portability moves refunds, not spend");
    }
}

#[test]
fn cohort_results_do_not_depend_on_threads() {
    let progression = r#"{ dist = "exponential", median = "8 months" }"#;
    let contracts = format!(
        "[[contracts]]\nname = \"cap\"\ndrug = \"x\"\nkind = \"expenditure_cap\"\ncap = 3000000\nyears = {Y}\n"
    );
    let text = scenario_text(progression, ZERO, "", &contracts);
    let one = run(
        &text,
        RunOptions { threads: Some(1), patients: Some(300_000), ..RunOptions::default() },
    );
    let two = run(
        &text,
        RunOptions { threads: Some(2), patients: Some(300_000), ..RunOptions::default() },
    );
    assert_eq!(one.1.sums, two.1.sums);
    assert_eq!(one.1.cohort, two.1.cohort);
}

#[test]
fn yearly_administration_is_shared_by_every_entrant() {
    // Only biomarker-positive patients (half) get the drug; the fixed yearly cost reaches every
    // patient entering the strategy: per_year / population each, at t = 0.
    let contracts = "[[contracts]]\nname = \"disc\"\ndrug = \"x\"\nkind = \"discount\"\ndiscount = 0.1\nadmin = { per_year = 250000, per_patient = 40 }\n";
    let text = scenario_text(NEVER, "{ costs = 0.035, outcomes = 0.015 }", "", contracts)
        .replace(
            "[[strategies]]\nname = \"treat\"\ndefault = \"x\"",
            "[[biomarkers]]\nname = \"m\"\nprevalence = 0.5\n\n[[tests]]\nname = \"t\"\ndetects = [\"m\"]\nsensitivity = 1\nspecificity = 1\ncost = 0\nturnaround = \"0 days\"\n\n[[strategies]]\nname = \"treat\"\ntest = \"t\"\nrules = [{ positive = \"m\", treat = \"x\" }]\ndefault = \"bsc\"",
        );
    assert!(text.contains("[[tests]]"), "the edit applies");
    let (s, sim) = run(&text, RunOptions { patients: Some(10_000), ..RunOptions::default() });
    let i = arm(&s, &sim, "disc");
    let row = sim.contracts.iter().find(|r| r.arm == i).unwrap();
    assert!(row.treated_share > 0.45 && row.treated_share < 0.55);
    let want = 250_000.0 / N + 40.0 * row.treated_share;
    assert!((row.admin - want).abs() < 1e-9 * want, "admin {} vs {want}", row.admin);
    let list = sim.arms.iter().position(|a| a.strategy == 1 && a.contract.is_none()).unwrap();
    let inc = sim.summary[i].cost.mean - sim.summary[list].cost.mean;
    let discount = 0.1 * row.list_spend;
    assert!((inc - (want - discount)).abs() < 1e-9 * want, "arm cost moves by admin − discount");
}
