//! Budget impact against closed forms: yearly spend per patient after entry (uniform within
//! the entry year) for monthly drug cycles and a progression-free cost flow, composed with
//! growth, a prevalent pool and uptake; a commercial payer's turnover; an expenditure cap
//! settled on the annual totals; and the outputs (CSV, PSA bands, plot).

use crate::support::{fixture_text, simulate};
use vbpsim::analysis::budget::BudgetRow;
use vbpsim::scenario;
use vbpsim::workflow::run::{RunOptions, Simulation, write_outputs};

/// Drug price per monthly cycle, at most 12 cycles; progression-free cost per year; test cost.
const A: f64 = 1000.0;
const C: f64 = 2400.0;
const T: f64 = 300.0;
/// Progression rate per year (responders: everybody on x).
const LAMBDA: f64 = 0.9;
const PATIENTS: u64 = 200_000;
const YEARS: usize = 4;
const INCIDENT: f64 = 1000.0;
const GROWTH: f64 = 0.09;
const PREVALENT: f64 = 250.0;
const UPTAKE: [f64; YEARS] = [0.2, 0.5, 0.7, 0.8];

/// `bsc` (the comparator): nobody progresses or dies, progression-free cost C a year. `treat`:
/// a test costing T at diagnosis, then drug x (A a month, at most 12 cycles, until
/// progression at rate λ). The scenario's discount rates must not touch the budget. The
/// constants above are its values.
const BUDGET: &str = "budget/budget.toml";

fn samples(samples: u64) -> RunOptions {
    RunOptions { samples: Some(samples), ..RunOptions::default() }
}

/// Mean spend per patient in calendar year m after its entry year, entry uniform in the year,
/// with members leaving at rate μ (0: national payer).
struct Profile {
    /// Drug: cycle k at k/12 is paid if the patient is still progression-free and enrolled
    /// (e^{−(λ+μ)k/12}) and falls in year 0 with probability 1 − k/12, else in year 1.
    drug: [f64; 2],
    /// Progression-free cost: C·∫ e^{−(λ+μ)u} du over the year's patient time, averaged over
    /// the entry time.
    pf: Vec<f64>,
}

fn treat_profile(mu: f64) -> Profile {
    let r = LAMBDA + mu;
    let q = (-r / 12.0).exp();
    let mut drug = [0.0; 2];
    for k in 0..12 {
        let share = k as f64 / 12.0;
        drug[0] += A * q.powi(k) * (1.0 - share);
        drug[1] += A * q.powi(k) * share;
    }
    let mut pf = vec![C / r * (1.0 - (1.0 - (-r).exp()) / r)];
    for m in 1..YEARS {
        pf.push(C / r * (1.0 - (-r).exp()) * (-r * m as f64).exp() * (r.exp() - 1.0) / r);
    }
    Profile { drug, pf }
}

/// bsc: progression-free for ever, cost C a year while enrolled.
fn bsc_profile(mu: f64) -> Vec<f64> {
    if mu == 0.0 {
        return (0..YEARS).map(|m| if m == 0 { C / 2.0 } else { C }).collect();
    }
    let mut out = vec![C / mu * (1.0 - (1.0 - (-mu).exp()) / mu)];
    for m in 1..YEARS {
        out.push(C / mu * (1.0 - (-mu).exp()) * (-mu * m as f64).exp() * (mu.exp() - 1.0) / mu);
    }
    out
}

fn entrants(y: usize) -> f64 {
    INCIDENT * (1.0 + GROWTH).powi(y as i32) + if y == 0 { PREVALENT } else { 0.0 }
}

/// Σ_{j≤y} weight_j · f(y − j).
fn convolve(weight: impl Fn(usize) -> f64, f: impl Fn(usize) -> f64, y: usize) -> f64 {
    (0..=y).map(|j| weight(j) * f(y - j)).sum()
}

fn row<'a>(
    s: &scenario::Scenario,
    sim: &'a Simulation,
    contract: Option<&str>,
    year: usize,
    category: Option<&str>,
) -> &'a BudgetRow {
    let categories = s.model.categories();
    let c = contract.map(|n| s.model.contracts.iter().position(|k| k.name == n).unwrap());
    let cat = category.map(|n| categories.iter().position(|k| k == n).unwrap());
    sim.budget
        .iter()
        .find(|r| r.contract == c && r.year == year && r.category == cat)
        .unwrap_or_else(|| panic!("no row {contract:?} {year} {category:?}"))
}

/// Four standard errors of a mean over PATIENTS of a quantity within [0, range] (its sd is at
/// most range/2), times the patients it is multiplied by.
fn tolerance(range: f64, patients: f64) -> f64 {
    4.0 * range / 2.0 / (PATIENTS as f64).sqrt() * patients
}

fn check_against_closed_forms(payer: &[String], mu: f64) {
    let (s, sim) = simulate(BUDGET, payer, &samples(0));
    let treat = treat_profile(mu);
    let bsc = bsc_profile(mu);
    let new = |j: usize| UPTAKE[j] * entrants(j);
    let old = |j: usize| entrants(j) - new(j);
    for y in 0..YEARS {
        let year = y + 1;
        let r = row(&s, &sim, None, year, Some("testing"));
        assert!((r.with - new(y) * T).abs() < 1e-6 * T, "testing year {year}: {}", r.with);
        assert_eq!(r.without, 0.0);
        assert!((r.entrants - entrants(y)).abs() < 1e-9 && (r.entrants_new - new(y)).abs() < 1e-9);

        let r = row(&s, &sim, None, year, Some("drug:x"));
        let want = convolve(new, |k| treat.drug.get(k).copied().unwrap_or(0.0), y);
        let tol = tolerance(12.0 * A, convolve(new, |_| 1.0, y));
        assert!((r.with - want).abs() < tol, "drug year {year}: {} vs {want} ± {tol}", r.with);

        let r = row(&s, &sim, None, year, Some("state:progression_free"));
        let want_with = convolve(new, |k| treat.pf[k], y) + convolve(old, |k| bsc[k], y);
        let want_without = convolve(entrants, |k| bsc[k], y);
        let tol = tolerance(C, convolve(entrants, |_| 1.0, y));
        assert!((r.with - want_with).abs() < tol, "pf year {year}: {} vs {want_with}", r.with);
        assert!((r.without - want_without).abs() < tol, "pf without year {year}");

        let total = row(&s, &sim, None, year, None);
        let sum: f64 = sim
            .budget
            .iter()
            .filter(|r| r.contract.is_none() && r.year == year && r.category.is_some())
            .map(|r| r.net())
            .sum();
        assert!((total.net() - sum).abs() < 1e-6 * sum.abs().max(1.0), "total is the sum");
    }
}

#[test]
fn yearly_spend_matches_closed_forms_for_a_national_payer() {
    check_against_closed_forms(&[], 0.0);
}

#[test]
fn a_commercial_payer_bears_spend_only_while_members_stay() {
    let turnover: f64 = 0.3;
    let payer =
        ["payer.perspective = \"commercial\"".into(), format!("payer.turnover = {turnover}")];
    check_against_closed_forms(&payer, -(1.0 - turnover).ln());
}

#[test]
fn an_expenditure_cap_is_settled_on_the_annual_totals() {
    // The world with's drug spend: new_j entrants a year (bsc gives no drug). Cap below it
    // (the fixture's `cap`), for 3 years, administration 20,000 a year.
    let cap = 300_000.0;
    let (s, sim) = simulate("budget/cap.toml", &[], &samples(0));
    let treat = treat_profile(0.0);
    let new = |j: usize| UPTAKE[j] * entrants(j);
    for y in 0..YEARS {
        let year = y + 1;
        let drug = row(&s, &sim, Some("cap"), year, Some("drug:x")).with;
        let want = convolve(new, |k| treat.drug.get(k).copied().unwrap_or(0.0), y);
        let tol = tolerance(12.0 * A, convolve(new, |_| 1.0, y));
        assert!((drug - want).abs() < tol, "drug year {year}");
        let rebate = row(&s, &sim, Some("cap"), year, Some("rebate:cap")).with;
        // Within the term the excess over the cap comes back; after it, nothing.
        let due = if y < 3 { (drug - cap).max(0.0) } else { 0.0 };
        assert!(due > 0.0 || y >= 3, "the cap binds in year {year}");
        assert!((rebate + due).abs() < 1e-6 * drug, "rebate year {year}: {rebate} vs −{due}");
        let admin = row(&s, &sim, Some("cap"), year, Some("contract_admin")).with;
        assert_eq!(admin, if y < 3 { 20_000.0 } else { 0.0 }, "yearly administration");
        // The list column pays the drug in full.
        let list = row(&s, &sim, None, year, Some("drug:x")).with;
        assert_eq!(list, drug);
    }
}

#[test]
fn budget_outputs_are_written_with_psa_bands_and_a_plot() {
    // A plan of 2 million members, for the impact per member per month.
    let sets = ["scenario.patients = 4000".into(), "budget_impact.members = 2000000".into()];
    let (s, sim) = simulate(BUDGET, &sets, &samples(12));
    let dir = std::env::temp_dir().join(format!("vbpsim-budget-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_outputs(
        &s,
        &sim,
        &vbpsim::output::folder::Target::new(&dir, false, vbpsim::output::folder::Kind::Run),
    )
    .unwrap();
    let table = std::fs::read_to_string(dir.join("budget_impact.csv")).unwrap();
    let header = table.lines().next().unwrap();
    assert_eq!(
        header,
        "strategy,contract,year,category,entrants,entrants_new,spend_with,spend_without,net_budget_impact"
    );
    let categories = s.model.categories().len();
    assert_eq!(table.lines().count(), 1 + YEARS * categories);
    // The totals apart: each year's is the sum of its categories' rows.
    let totals = std::fs::read_to_string(dir.join("budget_impact_total.csv")).unwrap();
    let mut lines = totals.lines();
    assert_eq!(
        lines.next().unwrap(),
        "strategy,contract,year,entrants,entrants_new,spend_with,spend_without,net_budget_impact,cumulative_net_budget_impact,net_per_member_per_month"
    );
    let totals: Vec<Vec<String>> =
        lines.map(|l| l.split(',').map(String::from).collect()).collect();
    assert_eq!(totals.len(), YEARS);
    let rows: Vec<Vec<String>> =
        table.lines().skip(1).map(|l| l.split(',').map(String::from).collect()).collect();
    for t in &totals {
        for (col, at) in [(5, 6), (6, 7), (7, 8)] {
            let sum: f64 = (rows.iter().filter(|r| r[1] == t[1] && r[2] == t[2]))
                .map(|r| r[at].parse::<f64>().unwrap())
                .sum();
            let total: f64 = t[col].parse().unwrap();
            assert!((total - sum).abs() <= 1e-6 * total.abs().max(1.0), "{t:?}: {sum}");
        }
        // The net impact so far, and per member per month.
        let num = |i: usize, r: &Vec<String>| r[i].parse::<f64>().unwrap();
        let so_far: f64 = (totals.iter())
            .filter(|u| u[1] == t[1] && num(2, u) <= num(2, t))
            .map(|u| num(7, u))
            .sum();
        assert!((num(8, t) - so_far).abs() <= 1e-9 * so_far.abs().max(1.0), "{t:?}");
        assert!((num(9, t) - num(7, t) / 24e6).abs() <= 1e-12 * num(7, t).abs().max(1.0));
    }
    let psa = std::fs::read_to_string(dir.join("budget_impact_psa.csv")).unwrap();
    let mut lines = psa.lines();
    assert_eq!(
        lines.next().unwrap(),
        "strategy,contract,year,spend_with_mean,spend_with_low,spend_with_high,net_mean,net_low,net_high"
    );
    let rows: Vec<Vec<f64>> =
        lines.map(|l| l.split(',').skip(2).map(|x| x.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), YEARS);
    for r in &rows {
        assert!(r[2] <= r[1] && r[1] <= r[3] && r[5] <= r[4] && r[4] <= r[6], "{r:?}");
        assert!(r[3] > r[2], "samples differ (different patients), so the band is not empty");
    }
    for ext in ["png", "svg"] {
        let bytes = std::fs::read(dir.join(format!("budget_impact.{ext}"))).unwrap();
        assert!(bytes.len() > 5_000, "{ext} plot has content");
    }
    let svg = std::fs::read_to_string(dir.join("budget_impact.svg")).unwrap();
    assert!(svg.contains("net budget impact") && svg.contains("budget year"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_budget_sections_are_reported_with_their_fields() {
    let cases = [
        ("strategy = \"treat\"", "strategy = \"bsc\"", "budget_impact.strategy"),
        ("strategy = \"treat\"", "strategy = \"tret\"", "budget_impact.strategy"),
        (&format!("years = {YEARS}"), "years = 11", "budget_impact.years"),
        (&format!("uptake = {UPTAKE:?}"), "uptake = [0.2, 0.5]", "budget_impact.uptake"),
        (&format!("uptake = {UPTAKE:?}"), "uptake = 1.5", "budget_impact.uptake"),
        (&format!("incident = {INCIDENT}"), "incident = 0", "budget_impact.incident"),
        (&format!("growth = {GROWTH}"), "growth = -1", "budget_impact.growth"),
        (&format!("prevalent = {PREVALENT}"), "prevalent = -5", "budget_impact.prevalent"),
        (&format!("prevalent = {PREVALENT}"), "prevalnt = 5", "budget_impact.prevalnt"),
        (
            &format!("prevalent = {PREVALENT}"),
            &format!("prevalent = {PREVALENT}\nmembers = 0"),
            "budget_impact.members",
        ),
        ("horizon = \"20 years\"", "horizon = \"3 years\"", "budget_impact.years"),
    ];
    for (from, to, field) in cases {
        // An edit of the text itself: the error must point into the file, at its line.
        let text = fixture_text(BUDGET);
        assert!(text.contains(from), "{from}");
        let text = text.replace(from, to);
        let err = scenario::parse("budget.toml", &text).expect_err(to);
        let shown = format!("{err}");
        assert!(shown.contains(field), "{to}: {shown}");
        assert!(shown.contains("budget.toml:"), "{to}: the file and line: {shown}");
    }
}

#[test]
fn contracts_with_fixed_delays_are_undiscounted_in_the_budget() {
    // Instalments, a payment at result and a response rebate discount their dates from
    // factors computed once per model: the budget's undiscounted model must recompute them,
    // so the budget is the same whatever the scenario's discount rates.
    let delays = "budget/delays.toml";
    let (discounted, a) = simulate(delays, &[], &samples(0));
    let zero = ["scenario.discount = { costs = 0.0, outcomes = 0.0 }".into()];
    let (flat, b) = simulate(delays, &zero, &samples(0));
    assert_ne!(discounted.source.text, flat.source.text);
    assert_eq!(a.budget.len(), b.budget.len());
    assert!(a.budget.iter().any(|r| r.contract.is_some() && r.with != 0.0));
    for (x, y) in a.budget.iter().zip(&b.budget) {
        assert_eq!((x.contract, x.year, x.category), (y.contract, y.year, y.category));
        let scale = x.with.abs().max(y.with.abs()).max(1.0);
        assert!(
            (x.with - y.with).abs() <= 1e-9 * scale,
            "contract {:?} year {} category {:?}: {} vs {}",
            x.contract,
            x.year,
            x.category,
            x.with,
            y.with
        );
    }
}

/// Today's treatment mix (`current`): with bsc 60 % and x_for_all 40 %, the new strategy
/// displaces both in proportion, so each world's spend, year by year and category by category,
/// is 0.6 times that of the world where bsc alone is today's treatment plus 0.4 times that of
/// the world where x_for_all alone is (same patients: each strategy's yearly spend per patient
/// is the same in the three runs). Shares not summing to 1, an unknown strategy and the new
/// strategy in the mix are refused where they are.
#[test]
fn todays_treatment_mix_is_displaced_in_proportion() {
    let options = RunOptions { patients: Some(20_000), ..RunOptions::default() };
    let run = |current: &str| {
        let set = format!("budget_impact.current = {current}");
        simulate("budget/mix.toml", &[set], &options).1
    };
    let mix = run("{ bsc = 0.6, x_for_all = 0.4 }");
    let bsc = run("{ bsc = 1 }");
    let all = run("{ x_for_all = 1 }");
    assert_eq!(mix.budget.len(), bsc.budget.len());
    let mut checked = 0;
    for ((m, b), a) in mix.budget.iter().zip(&bsc.budget).zip(&all.budget) {
        assert_eq!((m.year, m.category), (b.year, b.category));
        for (what, got, want) in [
            ("with", m.with, 0.6 * b.with + 0.4 * a.with),
            ("without", m.without, 0.6 * b.without + 0.4 * a.without),
        ] {
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "year {} category {:?} {what}: {got} vs {want}",
                m.year,
                m.category
            );
            checked += usize::from(want != 0.0);
        }
        assert_eq!((m.entrants, m.entrants_new), (b.entrants, b.entrants_new));
    }
    assert!(checked > 10, "{checked} non-zero cells");
    // x_for_all gives everybody drug x: a world without of x_for_all alone spends more.
    let total = |s: &Simulation| -> f64 {
        s.budget.iter().filter(|r| r.category.is_none()).map(|r| r.without).sum()
    };
    assert!(total(&all) > total(&bsc));

    for (current, said) in [
        (
            "{ bsc = 0.6, x_for_all = 0.3 }",
            "budget_impact.current: expected the shares of today's treatments, summing to 1, found a sum of 0.9",
        ),
        (
            "{ bsc = 0.6, x_for_al = 0.4 }",
            "budget_impact.current.x_for_al: undefined strategy `x_for_al`",
        ),
        (
            "{ bsc = 0.6, treat = 0.4 }",
            "budget_impact.current.treat: expected a strategy of today's mix, found the new strategy `treat`",
        ),
    ] {
        let set = format!("budget_impact.current = {current}");
        let err = match crate::support::try_load("budget/mix.toml", &[set]) {
            Ok(_) => panic!("{current} must be refused"),
            Err(e) => format!("{e}"),
        };
        assert!(err.contains(said), "{said}\n{err}");
    }
}

/// budget_impact_events.csv's counts against closed forms: on `treat` every patient takes x
/// from diagnosis and progresses at λ = 0.9 a year, nobody dies, nothing happens on `bsc`. A
/// patient entering at a ~ U(0, 1) into its year progresses in calendar year m after it with
/// probability p(0) = 1 − (1 − e^{−λ})/λ and p(m) = e^{−λm}(1 − e^{−λ})(e^{λ} − 1)/λ; the
/// world with counts Σ_j uptake_j·E_j·p(y − j), the world without none; everybody who entered
/// is alive at each year's end. Within 4 binomial standard errors (bounded by their sum).
#[test]
fn clinical_events_per_budget_year_match_closed_forms() {
    let (_, sim) = simulate(BUDGET, &[], &RunOptions::default());
    let l = LAMBDA;
    let p = |m: usize| {
        if m == 0 {
            1.0 - (1.0 - (-l).exp()) / l
        } else {
            (-l * m as f64).exp() * (1.0 - (-l).exp()) * (l.exp() - 1.0) / l
        }
    };
    let new = |j: usize| UPTAKE[j] * entrants(j);
    let n = PATIENTS as f64;
    let event = |y: usize, e: &str| {
        sim.budget_events.iter().find(|r| r.year == y + 1 && r.event == e).unwrap().clone()
    };
    for y in 0..YEARS {
        let want = convolve(new, p, y);
        let se = convolve(new, |m| (p(m) * (1.0 - p(m)) / n).sqrt(), y);
        let got = event(y, "progressions");
        assert!(
            (got.with - want).abs() < 4.0 * se,
            "year {}: {} vs {want} ± {se}",
            y + 1,
            got.with
        );
        assert_eq!(got.without, 0.0, "nobody progresses on bsc");
        let entered: f64 = (0..=y).map(entrants).sum();
        let alive = event(y, "alive_at_year_end");
        assert!(
            (alive.with - entered).abs() < 1e-9 * entered
                && (alive.without - entered).abs() < 1e-9 * entered
        );
        let deaths = event(y, "deaths");
        assert_eq!((deaths.with, deaths.without), (0.0, 0.0));
    }
}
