//! Cohort-level contracts (expenditure cap, price-volume, population outcome): the per-patient
//! settlement on fixed records against a hand computation, the cohort statement (cohort.csv)
//! against closed forms for a population entering uniformly over the term, the identity that
//! patients' shares add up to the cohort's refunds, the threshold price, payer invariants and
//! fixed yearly administration.

use crate::support::{load, run, simulate};
use vbpsim::accounting::record::PatientRecord;
use vbpsim::analysis::contracts::ThresholdPrice;
use vbpsim::contracts::cohort::{
    CalendarSums, CalendarYear, CohortRule, CohortTerms, Placement, fraction, fractions,
    tier_refund,
};
use vbpsim::contracts::{Exposure, cash};
use vbpsim::scenario;
use vbpsim::sim::Prepared;
use vbpsim::workflow::run::{RunOptions, Simulation};

const MONTH: f64 = 1.0 / 12.0;
/// Patients entering each strategy per year, term in years, list price per monthly cycle.
const N: f64 = 1000.0;
const Y: u64 = 3;
const A: f64 = 1000.0;
const PATIENTS: u64 = 60_000;

// The fixtures (tests/fixtures/cohort/) extend cohort.toml: two strategies, nothing or drug x
// (A per month, at most 12 cycles, paid until progression) for everybody from diagnosis,
// nobody dies, N patients entering each strategy a year and PATIENTS simulated.

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
// Independent expectations. A population has M = N·Y patients, exactly N entering in each
// calendar year e at e + u, u ~ U(0, 1). With 12 monthly cycles at k/12 (k < 12), cycle k falls
// in calendar year y when y ≤ e + u + k/12 < y + 1. Moments of the number of cycles in year y
// for an entrant of year e by a midpoint rule over u (the count is piecewise constant with
// breaks at multiples of 1/12, and the midpoints of a grid 1/12000 wide never hit a break).

struct YearMoments {
    mean: f64,
    second: f64,
    /// P(at least one cycle in the year).
    any: f64,
}

impl YearMoments {
    fn var(&self) -> f64 {
        self.second - self.mean * self.mean
    }
}

fn year_moments(year: u64, entry_year: u64, paid: impl Fn(u64) -> bool) -> YearMoments {
    let steps = 12_000;
    let (mut m1, mut m2, mut any) = (0.0, 0.0, 0.0);
    for i in 0..steps {
        let a = entry_year as f64 + (i as f64 + 0.5) / steps as f64;
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

/// The statement averages the R = PATIENTS / (N·Y) populations: a count over all simulated
/// patients times (N·Y)/PATIENTS.
fn scale() -> f64 {
    N * Y as f64 / PATIENTS as f64
}

/// Simulated patients entering in each calendar year (PATIENTS is a multiple of N·Y).
fn per_entry_year() -> f64 {
    PATIENTS as f64 / Y as f64
}

#[test]
fn expenditure_cap_statement_matches_closed_forms() {
    // Nobody progresses: every patient pays 12 cycles. Expected spend per calendar year:
    // N·A·Σ_k (1 − k/12) = 6.5·N·A in year 1 (the population builds up), 12·N·A after.
    // The fixture's cap, over a term of Y years.
    let cap = 8.0e6;
    let (s, sim) = simulate("cohort/cap.toml", &[], &RunOptions::default());
    let rows = cohort_rows(&s, &sim, "cap");
    assert_eq!(rows.len(), Y as usize);
    assert_eq!(PATIENTS % (N as u64 * Y), 0, "whole populations");
    let mut want_refund = 0.0;
    let mut refund_se = 0.0;
    for (y, row) in rows.iter().enumerate() {
        assert_eq!(row.populations, PATIENTS / (N as u64 * Y));
        let groups: Vec<YearMoments> =
            (0..Y).map(|e| year_moments(y as u64, e, |_| true)).collect();
        let closed = [6.5, 12.0, 12.0][y] * N * A;
        let mean: f64 = groups.iter().map(|m| N * A * m.mean).sum();
        assert!((mean - closed).abs() < 1e-6 * closed, "midpoint rule");
        let var: f64 = groups.iter().map(|m| per_entry_year() * m.var()).sum();
        let se = scale() * A * var.sqrt();
        assert!(
            (row.drug_spend - closed).abs() < 4.0 * se,
            "year {}: spend {} vs {closed} (se {se})",
            y + 1,
            row.drug_spend
        );
        // Each population's spend is within a few of its standard deviations
        // (A·√(Σ_e N·var_e), at most 110,000 here) of its mean, so the cap binds in every
        // population or in none: the statement is then the docs' rule on the mean spend.
        let g = if row.drug_spend > cap { 1.0 - cap / row.drug_spend } else { 0.0 };
        assert!((row.refund_fraction - g).abs() < 1e-12, "year {}", y + 1);
        assert!((row.refund - (row.drug_spend - cap).max(0.0)).abs() < 1e-6 * closed);
        assert_eq!(row.refund_probability, if closed > cap { 1.0 } else { 0.0 });
        assert_eq!(row.settled_at, (y + 1) as f64);
        let treated: f64 = groups.iter().map(|m| N * m.any).sum();
        let treated_var: f64 =
            groups.iter().map(|m| per_entry_year() * m.any * (1.0 - m.any)).sum();
        let treated_se = scale() * treated_var.sqrt();
        assert!(
            (row.patients_treated - treated).abs() < 4.0 * treated_se.max(1e-9),
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
    // Cap, price-volume and population outcome; progression with median 8 months.
    let base = load("cohort/shares.toml", &[]);
    // The same with a test: only the 60 % biomarker-positive get the drug, 14 days after entry
    // (treatment starts after diagnosis, and the arm has untreated patients).
    let tested = load("cohort/shares_tested.toml", &[]);
    assert!(tested.source.text.contains("turnaround"), "the edit applies");
    shares_add_up(&base, false);
    shares_add_up(&tested, true);
}

fn shares_add_up(s: &scenario::Scenario, delayed: bool) {
    let sim = run(s, &RunOptions::default());
    for name in ["cap", "pv", "po"] {
        let i = arm(s, &sim, name);
        let row = sim.contracts.iter().find(|r| r.arm == i).unwrap();
        // Zero discount rates: the manufacturer's net revenue is payments minus refunds.
        assert!((row.manufacturer_net_revenue - (row.paid - row.refunds)).abs() < 1e-9 * row.paid);
        let statement = cohort_rows(s, &sim, name);
        let started: f64 = statement.iter().map(|r| r.patients_started).sum();
        // Without a delay every treated patient starts within the term (N·Y of them times the
        // treated share); with one, the last entrants of the last year start after it.
        let all = N * Y as f64 * row.treated_share;
        if delayed {
            assert!(started < all && started > 0.95 * all, "{name}: started {started} of {all}");
        } else {
            assert!((started - all).abs() < 1e-6, "{name}: started {started} vs {all}");
        }
        let total: f64 = statement.iter().map(|r| r.refund).sum();
        assert!(total > 0.0, "{name}: the case must trigger");
        let per_patient = rebate(s, &sim, name);
        let scaled = per_patient * N * Y as f64;
        assert!(
            (scaled - total).abs() < 1e-9 * total,
            "{name}: patients' shares {scaled} vs cohort refunds {total}"
        );
        // The costs table carries the same refund as a negative rebate category.
        let c = s.model.contracts.iter().position(|c| c.name == name).unwrap();
        let prep = Prepared::new(&s.model, &s.model.values).unwrap();
        let cat = prep.categories().rebate(c);
        assert_eq!(sim.summary[i].categories[cat], -per_patient, "{name}: rebate category");
    }
}

#[test]
fn price_volume_tiers_are_marginal_on_patients_treated_per_year() {
    // Every patient is paid list for its first tier's share: 10 % off for everybody, 50 % off
    // beyond 1,200 patients a year. Year 1 has exactly N = 1,000 treated patients in every
    // population (the year's entrants); year y > 1 has the N entrants plus the previous year's
    // entrants still paying, N + Binomial(N, 11/12).
    let (s, sim) = simulate("cohort/price_volume.toml", &[], &RunOptions::default());
    let rows = cohort_rows(&s, &sim, "pv");
    assert!((rows[0].patients_treated - N).abs() < 1e-9);
    assert!((rows[0].refund_fraction - 0.1).abs() < 1e-15, "year 1: {}", rows[0].refund_fraction);
    assert_eq!(rows[0].refund_probability, 1.0);
    let populations = rows[0].populations as f64;
    for row in &rows[1..] {
        let p = 11.0 / 12.0;
        let want = N * (1.0 + p);
        // Across all simulated patients: the previous year's entrants are Bernoulli(p).
        let se = scale() * (per_entry_year() * p * (1.0 - p)).sqrt();
        assert!((row.patients_treated - want).abs() < 4.0 * se, "year {}", row.year);
        // Marginal tiers by hand at the mean count: g(n) = (0.1·1200 + 0.5·(n − 1200))/n. The
        // statement averages g over populations (weighted by spend); with n = N + Bin(N, p)
        // per population, the average moves from g(mean) by g'(n)·sd(n)/√R at most in
        // sampling terms (the curvature and weighting terms are below 1e-5 here).
        let n = row.patients_treated;
        let hand = (0.1 * 1200.0 + 0.5 * (n - 1200.0)) / n;
        let sd_n = (N * p * (1.0 - p)).sqrt();
        let tolerance = 4.0 * (0.5 * 1200.0 - 0.1 * 1200.0) / (n * n) * sd_n / populations.sqrt();
        assert!(
            (row.refund_fraction - hand).abs() < tolerance,
            "year {}: fraction {} vs {hand} ± {tolerance}",
            row.year,
            row.refund_fraction
        );
    }
}

#[test]
fn population_outcome_rebates_when_the_success_rate_misses_the_target() {
    // Exponential progression with median 6 months, detected at once, window 6 months: the
    // success rate is exactly 1/2. Cycle k is paid iff P > k/12 (probability 2^(−k/6)) and
    // falls in the term iff a + k/12 < Y, so the mean number of covered cycles per patient is
    // Σ_k 2^(−k/6)·(1 − k/(12Y)), and its second moment Σ_{j,k} 2^(−max/6)·(1 − max/(12Y)).
    // Contracts `miss` (target 0.6), `meet` (0.4) and `doc` (0.65, documentation error 0.2),
    // each rebating 25 %.
    let (s, sim) = simulate("cohort/population_outcome.toml", &[], &RunOptions::default());
    // The moments are those of an entry time uniform over the term; entries stratified by
    // year (N per year) have a smaller variance, so the tolerance is conservative.
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
            let started = row.patients_started / scale();
            let se = (rate * (1.0 - rate) / started).sqrt();
            let r = row.success_rate.unwrap();
            assert!((r - rate).abs() < 4.0 * se, "{name} year {}: rate {r} vs {rate}", row.year);
            assert_eq!(row.refund_fraction, 0.25);
            assert_eq!(row.refund_probability, 1.0);
            assert_eq!(row.settled_at, row.year as f64 + 0.5);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The per-patient settlement on fixed records, with discounting and a commercial exit.

fn record(t0: f64, coverage_end: f64) -> PatientRecord {
    PatientRecord {
        regimen: 1,
        course_regimen: 1,
        tests: [0; 16],
        test_starts: [0.0; 16],
        n_tests: 0,
        bridging: None,
        start: t0,
        treated: true,
        detected_progression: f64::INFINITY,
        observed_responder: true,
        response_seen: t0,
        responder: true,
        progression: f64::INFINITY,
        death: f64::INFINITY,
        treatment_end: f64::INFINITY,
        adverse_events: 0,
        coverage_end,
        walker: Default::default(),
    }
}

#[test]
fn a_patient_gets_its_share_of_each_years_refund_at_the_years_settlement() {
    // The fixture's discount rates for the payer and the manufacturer.
    let (rc, rm) = (0.035, 0.08);
    let s = load("cohort/share.toml", &[]);
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let g = [0.1, 0.2, 0.3];
    let d = |r: f64, t: f64| (1.0f64 + r).powf(-t);
    // (t0, entry on the calendar, end of coverage). Payments stop at the end of coverage; a
    // cohort refund reaches the payer until the horizon whatever the member does (the engine
    // sets the refund horizon to H for cohort kinds; tests/cohort.rs checks that end to end).
    let cases = [(0.1, 0.75, 10.0), (0.3, 1.8, 10.0), (0.1, 0.75, 1.0), (0.0, 2.95, 10.0)];
    for (t0, entry, coverage) in cases {
        let rec = record(t0, coverage);
        // Hand: cycles k at t0 + k/12 while before the end of coverage and k < 12; cycle k
        // falls in calendar year ⌊entry + t0 + k/12⌋; year y's share is paid at
        // y + 1 + window − entry (patient time), before the horizon.
        let horizon = 10.0;
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
                if due < horizon {
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
            refund_horizon: horizon,
            payer: &prep.costs,
            manufacturer: &prep.manufacturer,
            payer_start: d(rc, t0),
            manufacturer_start: d(rm, t0),
            documented: true,
            placement: Placement { population: 0, entry, ..Placement::default() },
        };
        let got = cash(&prep.contracts[0], &x, None, &g);
        // The engine's placement carries d(−entry), and refund dates are then discounted as
        // d(settlement)·d(−entry): the same to a few units in the last place.
        let placed = Placement { population: 0, entry, ..Placement::default() }
            .discounted(&prep.costs, &prep.manufacturer);
        assert!(placed.back.0 > 1.0 && placed.back.1 > 1.0 || entry == 0.0);
        let fast = cash(&prep.contracts[0], &Exposure { placement: placed, ..x.clone() }, None, &g);
        for (a, b) in [(fast.refunded, got.refunded), (fast.manufacturer_net, got.manufacturer_net)]
        {
            assert!((a - b).abs() <= 1e-14 * paid, "t0 {t0}, entry {entry}: {a} vs {b}");
        }
        assert_eq!((fast.paid, fast.triggered), (got.paid, got.triggered));
        let what = format!("t0 {t0}, entry {entry}, coverage {coverage}");
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
        // The same patient in population 1 reads row 1 of the fractions (g_{1,y} = 2·g_{0,y}).
        let two_rows: Vec<f64> =
            g.iter().chain(g.iter().map(|f| f * 2.0).collect::<Vec<_>>().iter()).copied().collect();
        let x1 =
            Exposure { placement: Placement { population: 1, entry, ..Placement::default() }, ..x };
        let got1 = cash(&prep.contracts[0], &x1, None, &two_rows);
        assert!((got1.refunded - 2.0 * refunded).abs() < 1e-9 * paid, "{what}: population 1");
    }
}

#[test]
fn fractions_follow_the_readme_rules() {
    let cy =
        |cycles, treated, started, succeeded| CalendarYear { cycles, treated, started, succeeded };
    let terms = |rule| CohortTerms { rule, years: 3, population: 10, settled: Vec::new() };
    let cap = terms(CohortRule::ExpenditureCap { cap: 250_000.0 });
    // weight 10, price 100: spend 100,000 / 300,000 / 0.
    assert_eq!(fraction(&cap, &cy(100, 10, 8, 5), 10.0, 100.0), 0.0);
    assert_eq!(fraction(&cap, &cy(300, 25, 10, 8), 10.0, 100.0), 1.0 - 250_000.0 / 300_000.0);
    assert_eq!(fraction(&cap, &cy(0, 0, 0, 0), 10.0, 100.0), 0.0);
    let pv = terms(CohortRule::PriceVolume { tiers: vec![(120.0, 0.9), (200.0, 0.5)] });
    // 100 patients: below the tiers; 250 patients: 80 at 0.9, 50 at 0.5.
    assert_eq!(fraction(&pv, &cy(100, 10, 8, 5), 10.0, 100.0), 0.0);
    let g = fraction(&pv, &cy(300, 25, 10, 8), 10.0, 100.0);
    assert!((g - (80.0 * 0.1 + 50.0 * 0.5) / 250.0).abs() < 1e-15);
    assert_eq!(fraction(&pv, &cy(0, 0, 0, 0), 10.0, 100.0), 0.0);
    assert_eq!(tier_refund(&[(0.0, 0.7)], 40.0), 40.0 * (1.0 - 0.7));
    let po = terms(CohortRule::PopulationOutcome {
        failure: vbpsim::contracts::Failure::Progression,
        window: 0.5,
        target: 0.7,
        rebate: 0.2,
    });
    // 5/8 < 0.7 rebates; 8/10 does not; no starters, no rebate; exactly at the target, none.
    assert_eq!(fraction(&po, &cy(100, 10, 8, 5), 10.0, 100.0), 0.2);
    assert_eq!(fraction(&po, &cy(300, 25, 10, 8), 10.0, 100.0), 0.0);
    assert_eq!(fraction(&po, &cy(0, 0, 0, 0), 10.0, 100.0), 0.0);
    assert_eq!(fraction(&po, &cy(100, 10, 10, 7), 10.0, 100.0), 0.0);

    // Populations: N = 10 a year over 3 years is M = 30 patients; 75 simulated patients make
    // R = 2 populations of 30 and 45 (the last takes the remainder), weights 1 and 30/45.
    assert_eq!((cap.size(), cap.populations(75)), (30, 2));
    assert_eq!((cap.members(0, 75), cap.members(1, 75)), (30, 45));
    let at = |p| cap.place(p, 75, 0.25);
    assert_eq!(at(0), Placement { population: 0, entry: 0.25, ..Placement::default() });
    assert_eq!(at(4), Placement { population: 0, entry: 1.25, ..Placement::default() });
    assert_eq!(at(29), Placement { population: 0, entry: 2.25, ..Placement::default() });
    assert_eq!(at(31), Placement { population: 1, entry: 1.25, ..Placement::default() });
    assert_eq!(at(74), Placement { population: 1, entry: 2.25, ..Placement::default() });
    // Fewer simulated patients than M: one population standing for M (weight M / patients).
    assert_eq!((cap.populations(12), cap.members(0, 12)), (1, 12));
    let mut calendar = CalendarSums::new(3);
    *calendar.cell(1, 2) = cy(400, 30, 0, 0);
    *calendar.cell(0, 1) = cy(300, 25, 10, 8);
    let got = fractions(&cap, &calendar, 75, 1000.0);
    // Population 0, year 2: spend 300,000 (weight 1); population 1, year 3: 400·1000·30/45.
    let spend1 = 400.0 * 1000.0 * 30.0 / 45.0;
    let want = [0.0, 1.0 - 250_000.0 / 300_000.0, 0.0, 0.0, 0.0, 1.0 - 250_000.0 / spend1];
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
    }
}

#[test]
fn a_population_outcome_near_its_target_is_due_with_the_binomial_probability() {
    // N = 100 starters a year, one-year term, success probability exactly 1/2 (exponential
    // progression, median = window): a population's successes are Binomial(100, 1/2), and its
    // rebate is due when successes/100 < 0.52, i.e. with probability P(X ≤ 51).
    let s = load("cohort/near_target.toml", &[]);
    assert!(s.source.text.contains("population = 100\n"), "the edit applies");
    let sim = run(&s, &RunOptions { patients: Some(200_000), ..RunOptions::default() });
    let row = cohort_rows(&s, &sim, "po")[0];
    assert_eq!(row.populations, 2000);
    // Exact binomial CDF by the recurrence C(n, k+1) = C(n, k)·(n − k)/(k + 1), in logs.
    let mut log_c = 0.0f64;
    let mut p = 0.0;
    for k in 0..=51u32 {
        p += (log_c - 100.0 * std::f64::consts::LN_2).exp();
        log_c += ((100 - k) as f64).ln() - ((k + 1) as f64).ln();
    }
    let se = (p * (1.0 - p) / 2000.0).sqrt();
    assert!(
        (row.refund_probability - p).abs() < 4.0 * se,
        "probability {} vs P(X ≤ 51) = {p} ± {se}",
        row.refund_probability
    );
}

// ---------------------------------------------------------------------------------------------
// Price, payer view, reproducibility, administration.

#[test]
fn threshold_prices_of_cohort_contracts_give_the_threshold_icer() {
    // `bsc` patients progress within months and die after progression; treated patients gain
    // QALYs, so each contract arm has a positive threshold price.
    let fixture = "cohort/threshold.toml";
    let s = load(fixture, &[]);
    assert!(s.source.text.contains("median = \"2 months\""), "the edit applies");
    let options = RunOptions { patients: Some(20_000), ..RunOptions::default() };
    let sim = run(&s, &options);
    for name in ["cap", "pv"] {
        let i = arm(&s, &sim, name);
        let row = sim.contracts.iter().find(|r| r.arm == i).unwrap();
        let price =
            row.threshold_price[0].price().unwrap_or_else(|| panic!("{name}: a threshold price"));
        assert!(price > 0.0 && price != A, "{name}: price {price}");
        let repriced = [format!("regimens.x.drugs.x.price = {price}")];
        let (s2, sim2) = simulate(fixture, &repriced, &options);
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
    // An expenditure cap and a population outcome, for a national payer unless --set.
    let fixture = "cohort/commercial.toml";
    let options = RunOptions { patients: Some(20_000), ..RunOptions::default() };
    let national = simulate(fixture, &[], &options);
    let commercial = |turnover: &str| {
        vec![
            "payer.perspective = \"commercial\"".to_string(),
            format!("payer.turnover = {turnover}"),
        ]
    };
    let zero = simulate(fixture, &commercial("0"), &options);
    assert_eq!(national.1.sums, zero.1.sums, "zero turnover is the national payer, to the bit");
    assert_eq!(national.1.cohort, zero.1.cohort);
    let leaky = |portable: bool| {
        let mut payer = commercial("0.5");
        payer.push(format!("payer.portable = {portable}"));
        simulate(fixture, &payer, &options)
    };
    let (s, kept) = leaky(false);
    let (_, followed) = leaky(true);
    for name in ["cap", "po"] {
        // A cohort refund is owed on the payer's own spend: it reaches the payer after the
        // member has left, portable or not.
        let a = rebate(&s, &kept, name);
        assert!(a > 0.0, "{name}: the case must trigger");
        assert_eq!(a, rebate(&s, &followed, name), "{name}: portability changes nothing");
        // The statement is the payer's own spend: members leave, so it is below the national.
        let spend =
            |sim: &Simulation| cohort_rows(&s, sim, name).iter().map(|r| r.drug_spend).sum::<f64>();
        assert!(spend(&kept) < spend(&national.1));
    }
}

#[test]
fn cohort_results_do_not_depend_on_threads() {
    // An expenditure cap, undiscounted; progression with median 8 months.
    let fixture = "cohort/threads.toml";
    let one = simulate(
        fixture,
        &[],
        &RunOptions { threads: Some(1), patients: Some(300_000), ..RunOptions::default() },
    );
    let two = simulate(
        fixture,
        &[],
        &RunOptions { threads: Some(2), patients: Some(300_000), ..RunOptions::default() },
    );
    assert_eq!(one.1.sums, two.1.sums);
    assert_eq!(one.1.cohort, two.1.cohort);
}

#[test]
fn yearly_administration_is_shared_by_every_entrant() {
    // Only biomarker-positive patients (half) get the drug; the fixed yearly cost reaches every
    // patient entering the strategy: per_year / population each, at t = 0.
    // A 10 % discount with administration of 250,000 a year and 40 per treated patient.
    let s = load("cohort/yearly_admin.toml", &[]);
    assert!(s.source.text.contains("[[tests]]"), "the edit applies");
    let sim = run(&s, &RunOptions { patients: Some(10_000), ..RunOptions::default() });
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

/// The one-pass settlement (pending cohort settlements waiting for their populations) and
/// the two-pass one (survey, then settle) are two schedules of the same arithmetic: the sums
/// must agree to the last bit, for every cohort rule, a per-year administration reaching
/// untreated entrants, a commercial payer's turnover, partial last populations and any
/// number of threads.
#[test]
fn one_pass_and_two_pass_cohort_settlements_agree_bit_for_bit() {
    let payers: [&[String]; 2] =
        [&[], &["payer.perspective = \"commercial\"".into(), "payer.turnover = 0.2".into()]];
    for payer in payers {
        // Half the entrants (biomarker-negative) are not treated: only the yearly
        // administration reaches them.
        let s = load("cohort/two_passes.toml", payer);
        assert!(s.source.text.contains("[[tests]]"), "the edit applies");
        // 7,919 patients: populations of 3,000 (and 2,000) with a partial last one, and
        // chunks that straddle them.
        one_and_two_passes_agree(&s, &format!("payer {payer:?}"));
    }
}

/// The one-pass and two-pass settlements of scenario `s` are equal, for 7,919 patients on one
/// and two threads and 2,500 on two, and some cohort refund is due.
pub(crate) fn one_and_two_passes_agree(s: &scenario::Scenario, what: &str) {
    use vbpsim::sim::engine::{SampleSpec, simulate_sample, simulate_two_passes};
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    for (patients, threads) in [(7_919, 1), (7_919, 2), (2_500, 2)] {
        let spec = SampleSpec { seed: 5, sample: 1, patients };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let (one, two) = pool.install(|| {
            (
                simulate_sample(&prep, spec, &mut |_, _| {}),
                simulate_two_passes(&prep, spec, &mut |_, _| {}),
            )
        });
        assert!(one.contracts.iter().any(|k| k.refunded > 0.0), "some cohort refund is due");
        assert_eq!(one, two, "{patients} patients, {threads} threads, {what}");
    }
}

/// An expenditure cap against a comparator that buys the capped drug at list (dip.toml): the
/// arm's incremental NMB falls through zero above the list price of 500, dips, and rises again
/// once the cap binds. The search finds the root next to the list price (the growth by ×4
/// used to step over the dip to "any price"): put back as the price, NMB is zero. At a list
/// price past the dip the arm's incremental cost falls with the price (a forward difference,
/// the cohort refund fraction moving with it): `cost_does_not_rise_with_price`, as NMB rising
/// from 900 to 1000 confirms.
#[test]
fn an_expenditure_caps_threshold_price_is_the_root_next_to_the_list_price() {
    let at = |price: f64| {
        let drug = format!(
            r#"regimens.x.drugs = [{{ name = "x", price = {price}, cycle = "1 month", max_cycles = 12 }}]"#
        );
        let options = RunOptions { samples: Some(0), ..RunOptions::default() };
        let (s, sim) =
            simulate("cohort/dip.toml", &["scenario.patients = 12000".into(), drug], &options);
        let row = sim
            .contracts
            .iter()
            .find(|k| s.model.strategies[sim.arms[k.arm].strategy].name == "treat");
        let row = row.unwrap();
        (sim.summary[row.arm].inc_nmb[0].mean, row.threshold_price[0])
    };
    let (nmb, threshold) = at(500.0);
    assert!(nmb > 0.0, "{nmb}");
    let ThresholdPrice::At(price) = threshold else { panic!("{threshold:?}") };
    assert!(price > 500.0 && price < 700.0, "{price}");
    let (zero, _) = at(price);
    assert!(zero.abs() < 1e-3, "NMB {zero} at the threshold price {price}");
    let (past, status) = at(900.0);
    assert_eq!(status, ThresholdPrice::CostDoesNotRise);
    assert!(at(1000.0).0 > past, "NMB rises past the dip");
}
