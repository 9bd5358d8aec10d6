//! Contracts on a drug given in a pathway state: each stay in the state is a course, settled
//! from its entry, its progression the next entry into a state marked `progressed`. Closed
//! forms of the comparator's crossover courses (pathway_courses.toml: exponential first line,
//! then x in state `x_course` until progression or death, the horizon cutting courses), the
//! threshold price moving the crossover's price with the first line's, a course entered again
//! (administration once per patient), and the refusals.

use super::MONTH;
use crate::support::{simulate, try_load};
use vbpsim::analysis::contracts::{ContractRow, ThresholdPrice};
use vbpsim::scenario::Scenario;
use vbpsim::workflow::run::{RunOptions, Simulation};

pub(super) const FIXTURE: &str = "contracts/pathway_courses.toml";
pub(super) const PATIENTS: f64 = 200_000.0;

/// The fixture's numbers, per year.
pub(super) struct Model {
    /// First-line (chemotherapy) progression and death before progression.
    pub(super) mu: f64,
    pub(super) delta: f64,
    /// Out of `x_course`: to `progressed_again` and to death.
    pub(super) a: f64,
    pub(super) b: f64,
    /// ln(1 + cost discount rate).
    pub(super) rho: f64,
    pub(super) cycle: f64,
    pub(super) max_cycles: usize,
    pub(super) price: f64,
    pub(super) horizon: f64,
    pub(super) window: f64,
}

pub(super) fn model() -> Model {
    Model {
        mu: 0.1 * 12.0,
        delta: 0.01 * 12.0,
        a: 0.08 * 12.0,
        b: 0.03 * 12.0,
        rho: 1.04f64.ln(),
        cycle: 28.0 / 365.25,
        max_cycles: 12,
        price: 5000.0,
        horizon: 3.0,
        window: 4.0 * MONTH,
    }
}

impl Model {
    /// E[e^{−mρP}; P < D₁, P < x]: progression P (rate μ) before first-line death (rate δ) and
    /// before x, discounted m times.
    pub(super) fn g(&self, m: f64, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        let k = self.mu + self.delta + m * self.rho;
        self.mu / k * (1.0 - (-k * x).exp())
    }

    /// The first (m = 1) or second (m = 2) moment of the list payments of a course of x in
    /// `x_course` with at most `cap` paid cycles: cycle k is paid at P + k·cycle if the patient
    /// is still in the state (rate a + b out) and before the horizon.
    pub(super) fn list_moment(&self, m: u32, cap: usize) -> f64 {
        let times: Vec<f64> = (0..cap).map(|k| k as f64 * self.cycle).collect();
        self.scheduled_moment(m, &times, self.price)
    }

    /// The first or second moment of `amount` paid at P + t for each t of `times` (ascending)
    /// while the patient is still in `x_course` (rate a + b out) and before the horizon.
    pub(super) fn scheduled_moment(&self, m: u32, times: &[f64], amount: f64) -> f64 {
        let out = self.a + self.b;
        let ts: Vec<f64> = times.iter().copied().filter(|&t| t < self.horizon).collect();
        let p = amount.powi(m as i32);
        if m == 1 {
            return p * ts
                .iter()
                .map(|&t| (-(self.rho + out) * t).exp() * self.g(1.0, self.horizon - t))
                .sum::<f64>();
        }
        let mut sum = 0.0;
        for &t in &ts {
            for &u in &ts {
                let last = t.max(u);
                sum += (-self.rho * (t + u) - out * last).exp() * self.g(2.0, self.horizon - last);
            }
        }
        p * sum
    }

    /// ∫_lo^hi a·e^{−(a+b+mρ)t}·E[e^{−mρP}; P < D₁, P < H − t] dt: leaving for
    /// `progressed_again` at t after entry, before the horizon, discounted m times.
    pub(super) fn to_progression(&self, m: f64, (lo, hi): (f64, f64)) -> f64 {
        let beta = self.a + self.b + m * self.rho;
        let gamma = self.mu + self.delta + m * self.rho;
        let h = self.horizon;
        let plain = ((-beta * lo).exp() - (-beta * hi).exp()) / beta;
        // ∫_lo^hi e^{(γ−β)t} dt, also where γ = β (the fixture's μ + δ = a + b).
        let d = gamma - beta;
        let grows = if d == 0.0 { hi - lo } else { (d * lo).exp() * (d * (hi - lo)).exp_m1() / d };
        let cut = (-gamma * h).exp() * grows;
        self.a * self.mu / gamma * (plain - cut)
    }

    /// The first or second moment of the money-back refund: every payment made (⌈T/cycle⌉
    /// cycles, at most the cap) refunded at progression T after entry, if T < window.
    pub(super) fn refund_moment(&self, m: u32) -> f64 {
        let c = self.cycle;
        let mut sum = 0.0;
        let mut n = 1;
        while (n - 1) as f64 * c < self.window {
            let piece = ((n - 1) as f64 * c, (n as f64 * c).min(self.window));
            let paid = n.min(self.max_cycles) as f64 * self.price;
            sum += paid.powi(m as i32) * self.to_progression(f64::from(m), piece);
            n += 1;
        }
        sum
    }
}

/// A `--set` giving x in `regimen` at `price` per 28-day cycle, at most `cycles` cycles (the
/// fixture's x is 5,000 for at most 12).
pub(super) fn x_in(regimen: &str, price: f64, cycles: u32) -> String {
    format!(
        r#"regimens.{regimen}.drugs = [{{ name = "x", price = {price}, cycle = "28 days", max_cycles = {cycles} }}]"#
    )
}

/// Mean and standard error of a per-patient amount from its first two moments.
pub(super) fn within(found: f64, (mean, second): (f64, f64), what: &str) {
    let se = ((second - mean * mean).max(0.0) / PATIENTS).sqrt();
    assert!(
        (found - mean).abs() <= 4.0 * se,
        "{what}: {found} vs closed form {mean} (4 × MCSE = {})",
        4.0 * se
    );
}

pub(super) fn row<'a>(
    s: &Scenario,
    sim: &'a Simulation,
    strategy: &str,
    contract: &str,
) -> &'a ContractRow {
    let m = &s.model;
    sim.contracts
        .iter()
        .find(|r| {
            m.strategies[sim.arms[r.arm].strategy].name == strategy
                && m.contracts[r.contract].name == contract
        })
        .unwrap_or_else(|| panic!("no row {strategy}/{contract}"))
}

/// The mean cost of drug `drug` in the list arm of `strategy`.
pub(super) fn drug_spend(s: &Scenario, sim: &Simulation, strategy: &str, drug: &str) -> f64 {
    let m = &s.model;
    let d = m.drugs.iter().position(|x| x == drug).unwrap();
    let arm = (sim.arms.iter())
        .position(|a| a.contract.is_none() && m.strategies[a.strategy].name == strategy)
        .unwrap();
    sim.summary[arm].categories[1 + d]
}

#[test]
fn courses_in_a_pathway_state_settle_as_closed_forms_say() {
    let m = model();
    let (s, sim) = simulate(FIXTURE, &[], &RunOptions::default());
    // `vbpsim check` shows where progression is read, and what the contracts cover.
    let summary = vbpsim::scenario::describe::summary(&s);
    assert!(
        summary
            .contains("state progressed_again: utility 0.5, cost 0 per year, entry is progression"),
        "{summary}"
    );
    assert!(summary.contains("mb: money_back on x in x_first, x_later (2 arms)"), "{summary}");
    let list = (m.list_moment(1, m.max_cycles), m.list_moment(2, m.max_cycles));
    // Everyone who progresses before the horizon starts a course at once.
    let treated = m.g(0.0, m.horizon);
    let lst = row(&s, &sim, "chemo_first", "lst");
    let se = (treated * (1.0 - treated) / PATIENTS).sqrt();
    assert!((lst.treated_share - treated).abs() <= 4.0 * se, "{} vs {treated}", lst.treated_share);
    within(lst.list_spend, list, "list spend of the crossover courses");
    assert_eq!(lst.paid, lst.list_spend);
    // The same payments as the list arm posts for the state's drug, by another path.
    let posted = drug_spend(&s, &sim, "chemo_first", "x");
    assert!((posted - lst.list_spend).abs() <= 1e-12 * posted, "{posted} vs {}", lst.list_spend);

    let disc = row(&s, &sim, "chemo_first", "disc");
    within(disc.paid, (0.8 * list.0, 0.64 * list.1), "discounted payments");
    assert!((disc.paid - 0.8 * disc.list_spend).abs() <= 1e-12 * disc.paid);
    // Administration at the course's start, d(P).
    within(disc.admin, (100.0 * m.g(1.0, m.horizon), 1e4 * m.g(2.0, m.horizon)), "admin");

    let mb = row(&s, &sim, "chemo_first", "mb");
    within(mb.refunds, (m.refund_moment(1), m.refund_moment(2)), "money-back refunds");
    let triggered = m.to_progression(0.0, (0.0, m.window));
    let found = mb.triggered_share.unwrap() * mb.treated_share;
    let se = (triggered * (1.0 - triggered) / PATIENTS).sqrt();
    assert!((found - triggered).abs() <= 4.0 * se, "triggered {found} vs {triggered}");

    let dcap = row(&s, &sim, "chemo_first", "dcap");
    within(dcap.paid, (m.list_moment(1, 3), m.list_moment(2, 3)), "duration-capped payments");
}

/// The threshold price moves x's price in both regimens the contract covers: put back into
/// both, the first-line arm's ICER against the comparator (whose crossover pays it too) is λ.
#[test]
fn the_threshold_price_moves_the_crossover_price_too() {
    icer_is_lambda_at_threshold_prices(
        &["scenario.patients = 20000".into()],
        &["lst", "disc", "mb"],
    );
}

/// For each contract `names` on the fixture with `sets`: its threshold price at the first
/// threshold for the `x_first` arm, put back as x's price in both regimens, gives ICER = λ.
pub(super) fn icer_is_lambda_at_threshold_prices(sets: &[String], names: &[&str]) {
    let (s, base) = simulate(FIXTURE, sets, &RunOptions::default());
    for name in names {
        let k = row(&s, &base, "x_first", name);
        let ThresholdPrice::At(price) = k.threshold_price[0] else {
            panic!("{name}: {:?}", k.threshold_price[0]);
        };
        let drug = |regimen: &str| x_in(regimen, price, 12);
        let mut at_price = sets.to_vec();
        at_price.extend([drug("x_first"), drug("x_later")]);
        let (s2, at) = simulate(FIXTURE, &at_price, &RunOptions::default());
        let arm = row(&s2, &at, "x_first", name).arm;
        let icer = at.summary[arm].icer.unwrap();
        assert!((icer - 100_000.0).abs() <= 1e-6 * 100_000.0, "{name}: ICER {icer} at {price}");
    }
}

/// A course entered again (a treatment break in between) is a new course; the patient is
/// treated once and pays the per-patient administration once, at the first course.
#[test]
fn a_course_entered_again_is_settled_again_with_administration_once() {
    let sets: Vec<String> = vec![
        r#"pathways.crossover.states = [{ name = "x_course", utility = 0.7, regimen = "x_later" }, { name = "progressed_again", utility = 0.5, progressed = true }, { name = "break", utility = 0.7 }]"#.into(),
        r#"pathways.crossover.transitions = [{ from = "x_course", to = "progressed_again", time = { dist = "exponential", rate = "0.08 per month" } }, { from = "x_course", to = "death", time = { dist = "exponential", rate = "0.03 per month" } }, { from = "x_course", to = "break", time = { dist = "exponential", rate = "0.1 per month" } }, { from = "break", to = "x_course", time = { dist = "exponential", rate = "0.3 per month" } }, { from = "break", to = "death", time = { dist = "exponential", rate = "0.02 per month" } }, { from = "progressed_again", to = "death", time = { dist = "exponential", rate = "0.1 per month" } }]"#.into(),
    ];
    let m = model();
    let (s, sim) = simulate(FIXTURE, &sets, &RunOptions::default());
    let (_, once) = simulate(FIXTURE, &[], &RunOptions::default());
    let disc = row(&s, &sim, "chemo_first", "disc");
    // The same patients start a first course (the walk's start state, entered at P).
    assert_eq!(disc.treated_share, row(&s, &once, "chemo_first", "disc").treated_share);
    within(disc.admin, (100.0 * m.g(1.0, m.horizon), 1e4 * m.g(2.0, m.horizon)), "admin");
    assert!((disc.paid - 0.8 * disc.list_spend).abs() <= 1e-12 * disc.paid);
    let posted = drug_spend(&s, &sim, "chemo_first", "x");
    assert!((posted - disc.list_spend).abs() <= 1e-12 * posted, "{posted} vs {}", disc.list_spend);
    // Later courses add spend: more than the single-course model's list spend by far more
    // than its noise.
    let single = m.list_moment(1, m.max_cycles);
    assert!(disc.list_spend > 1.1 * single, "{} vs {single}", disc.list_spend);
}

/// A state's regimen with scans (`assessment`): a contract's per-assessment administration is
/// charged at each scan of a course, k·8 weeks after its entry (k ≥ 1) while the patient is on
/// it, alive and before the horizon.
#[test]
fn scans_of_a_state_regimen_charge_per_assessment_administration() {
    let m = model();
    let sets: Vec<String> = vec![
        r#"regimens.x_later.assessment = "8 weeks""#.into(),
        r#"contracts = [{ name = "scans", drug = "x", regimens = ["x_first", "x_later"], kind = "list", admin = { per_assessment = 50 } }]"#.into(),
    ];
    let (s, sim) = simulate(FIXTURE, &sets, &RunOptions::default());
    let every = 8.0 * 7.0 / 365.25;
    let scans: Vec<f64> = (1..).map(|k| k as f64 * every).take_while(|&t| t < m.horizon).collect();
    let admin = (m.scheduled_moment(1, &scans, 50.0), m.scheduled_moment(2, &scans, 50.0));
    within(row(&s, &sim, "chemo_first", "scans").admin, admin, "per-assessment administration");
}

/// Per-assessment administration is charged on every course, also a course entered again after
/// a break (the per-patient part once): against the renewal closed form of the break model of
/// `a_course_entered_again…` (exponential stays, a 100-year horizon that cuts nothing).
#[test]
fn per_assessment_administration_is_charged_on_every_course() {
    let m = Model { horizon: 100.0, ..model() };
    let sets: Vec<String> = vec![
        r#"scenario.horizon = "100 years""#.into(),
        r#"pathways.crossover.states = [{ name = "x_course", utility = 0.7, regimen = "x_later" }, { name = "progressed_again", utility = 0.5, progressed = true }, { name = "break", utility = 0.7 }]"#.into(),
        r#"pathways.crossover.transitions = [{ from = "x_course", to = "progressed_again", time = { dist = "exponential", rate = "0.08 per month" } }, { from = "x_course", to = "death", time = { dist = "exponential", rate = "0.03 per month" } }, { from = "x_course", to = "break", time = { dist = "exponential", rate = "0.1 per month" } }, { from = "break", to = "x_course", time = { dist = "exponential", rate = "0.3 per month" } }, { from = "break", to = "death", time = { dist = "exponential", rate = "0.02 per month" } }, { from = "progressed_again", to = "death", time = { dist = "exponential", rate = "0.1 per month" } }]"#.into(),
        r#"regimens.x_later.assessment = "8 weeks""#.into(),
        r#"contracts = [{ name = "scans", drug = "x", regimens = ["x_first", "x_later"], kind = "list", admin = { per_assessment = 50 } }]"#.into(),
    ];
    let (s, sim) = simulate(FIXTURE, &sets, &RunOptions::default());
    // A course lasts T ~ Exp(λ) (progression, death, break); scans at k·s ≤ T, k ≥ 1. Its
    // administration A (discounted to its entry), and B = d(time to the next course) if the
    // patient breaks and comes back: X = A + B·X', X' an independent copy.
    let (rho, every) = (m.rho, 8.0 * 7.0 / 365.25);
    let (to_break, back, dies_off) = (0.1 * 12.0, 0.3 * 12.0, 0.02 * 12.0);
    let lambda = m.a + m.b + to_break;
    let ks = || (1..2000).map(|k| k as f64 * every);
    let a1: f64 = ks().map(|t| 50.0 * (-(rho + lambda) * t).exp()).sum();
    let a2: f64 = ks()
        .flat_map(|t| ks().map(move |u| (t, u)))
        .map(|(t, u)| 2500.0 * (-rho * (t + u) - lambda * t.max(u)).exp())
        .sum();
    let returns = |q: f64| to_break / (lambda + q * rho) * back / (back + dies_off + q * rho);
    // E[A·B] = P(break)·E[A·d(T)]·E[d(T_b); back].
    let a_dt: f64 = ks()
        .map(|t| 50.0 * (-rho * t).exp() * lambda / (lambda + rho) * (-(lambda + rho) * t).exp())
        .sum();
    let ab = to_break / lambda * a_dt * back / (back + dies_off + rho);
    let x1 = a1 / (1.0 - returns(1.0));
    let x2 = (a2 + 2.0 * ab * x1) / (1.0 - returns(2.0));
    // The first course starts at progression P (before first-line death), discounted d(P).
    let moments = (m.g(1.0, m.horizon) * x1, m.g(2.0, m.horizon) * x2);
    within(row(&s, &sim, "chemo_first", "scans").admin, moments, "scans over every course");
}

pub(super) fn refusal(sets: &[String]) -> String {
    match try_load(FIXTURE, sets) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted: {sets:?}"),
    }
}

/// Kinds a course in a pathway state cannot settle are refused where the coverage is named,
/// and so is a contract reading a progression no state marks.
#[test]
fn contracts_a_pathway_course_cannot_settle_are_refused_with_their_location() {
    let contract = |kind: &str| {
        vec![format!(
            r#"contracts = [{{ name = "k", drug = "x", regimens = ["x_first", "x_later"], {kind} }}]"#
        )]
    };
    // Response-reading kinds: course_states.rs.
    // A population outcome reads progression like a money-back guarantee (cohort_courses.rs
    // settles the cohort-level kinds on these courses).
    let mut cohort = contract(
        r#"kind = "population_outcome", failure = "progression", window = "6 months", target = 0.5, rebate = 0.2, years = 2"#,
    );
    cohort.push("payer.population = 100".into());
    cohort.push(r#"pathways.crossover.states = [{ name = "x_course", utility = 0.7, regimen = "x_later" }, { name = "progressed_again", utility = 0.5, progressed = false }]"#.into());
    let err = refusal(&cohort);
    assert!(
        err.contains("expected a state marked `progressed = true` reachable from state `x_course`"),
        "{err}"
    );
    assert!(err.contains("contracts[4].regimens"), "{err}");
    // Progression on x_course is entering progressed_again: unmarked, nothing is progression.
    let mut unmarked = contract(
        r#"kind = "money_back", failure = "progression", window = "4 months", refund = 1"#,
    );
    unmarked.push(r#"pathways.crossover.states = [{ name = "x_course", utility = 0.7, regimen = "x_later" }, { name = "progressed_again", utility = 0.5, progressed = false }]"#.into());
    let err = refusal(&unmarked);
    assert!(
        err.contains("expected a state marked `progressed = true` reachable from state `x_course` of pathway `crossover`"),
        "{err}"
    );
    // ... but a failure on death alone needs no mark (the fixture's own `mb` made one too).
    unmarked[0] = r#"contracts.mb.failure = "death""#.into();
    assert!(try_load(FIXTURE, &unmarked).is_ok());
    // A contract that does not name its regimens cannot cover a state's drug by default.
    let err = refusal(&[
        r#"contracts = [{ name = "k", drug = "x", kind = "discount", discount = 0.1 }]"#.into(),
    ]);
    assert!(err.contains("expected the regimens the contract covers to be named"), "{err}");
    // `progressed` is true or false.
    let err = refusal(&[
        r#"pathways.after_x.states = [{ name = "post", utility = 0.5, progressed = "yes" }]"#
            .into(),
    ]);
    assert!(err.contains("expected true or false"), "{err}");
}

/// The budget impact settles the crossover's courses too (the comparator's world is under the
/// same contract): a 20 % discount on x in both regimens gives, year by year, the drug spend of
/// x listed at 80 % of its price.
#[test]
fn the_budget_impact_settles_courses_in_pathway_states() {
    let budget = |price: f64| -> Vec<String> {
        let drug = |regimen: &str| x_in(regimen, price, 12);
        vec![
            "scenario.patients = 20000".into(),
            r#"budget_impact = { strategy = "x_first", years = 3, incident = 1000, uptake = [0.3, 0.5, 0.7] }"#.into(),
            drug("x_first"),
            drug("x_later"),
        ]
    };
    let (s, discounted) = simulate(FIXTURE, &budget(5000.0), &RunOptions::default());
    let (_, cheaper) = simulate(FIXTURE, &budget(4000.0), &RunOptions::default());
    let x = 1 + s.model.drugs.iter().position(|d| d == "x").unwrap();
    let contract = |name: &str| s.model.contracts.iter().position(|c| c.name == name);
    let rows = |sim: &Simulation, name: Option<&str>| -> Vec<(usize, f64, f64)> {
        let c = name.and_then(contract);
        let rows = sim.budget.iter().filter(|r| r.category == Some(x) && r.contract == c);
        rows.map(|r| (r.year, r.with, r.without)).collect()
    };
    // `lst` is settled on the list arm: its budget rows are the list arm's.
    let (a, b) = (rows(&discounted, Some("disc")), rows(&cheaper, None));
    assert_eq!(a.len(), 3);
    assert_eq!(a.len(), b.len());
    for ((year, with, without), (_, with_b, without_b)) in a.iter().zip(&b) {
        assert!(*without > 0.0, "year {year}: the comparator's crossover buys x");
        for (p, q, what) in [(with, with_b, "with"), (without, without_b, "without")] {
            assert!((p - q).abs() <= 1e-9 * q.abs(), "year {year}, {what}: {p} vs {q}");
        }
    }
}

/// The threshold-price search of a capped money-back (re-simulating the same patients) gives
/// what the linear formula gives for the same contract without its cap, when the cap never
/// binds: the same status for every arm and threshold, and the same price, also where the
/// comparator's crossover buys more of the covered drug than the arm (its incremental cost
/// falls with the price) and for the comparator's own contract arm.
#[test]
fn the_capped_search_agrees_with_the_linear_formula_when_the_cap_never_binds() {
    let base: Vec<String> = vec![
        "scenario.patients = 20000".into(),
        "scenario.thresholds = [50000, 100000, 300000]".into(),
        "contracts.mb.admin = { per_patient = 50 }".into(),
    ];
    // x first for two cycles only: the comparator's crossover buys more x than the arm.
    let shorter = r#"regimens.x_first.drugs = [{ name = "x", price = 5000, cycle = "28 days", max_cycles = 2 }]"#;
    for extra in [None, Some(shorter)] {
        let mut linear = base.clone();
        linear.extend(extra.map(String::from));
        let mut capped = linear.clone();
        capped.push("contracts.mb.cap = 1e12".into());
        let (s, a) = simulate(FIXTURE, &linear, &RunOptions::default());
        let (_, b) = simulate(FIXTURE, &capped, &RunOptions::default());
        let mut statuses = Vec::new();
        for strategy in ["chemo_first", "x_first"] {
            let (x, y) = (row(&s, &a, strategy, "mb"), row(&s, &b, strategy, "mb"));
            for (p, q) in x.threshold_price.iter().zip(&y.threshold_price) {
                statuses.push(p.status());
                match (p, q) {
                    (ThresholdPrice::At(p), ThresholdPrice::At(q)) => {
                        assert!((p - q).abs() <= 1e-6 * p, "{strategy}: {p} vs {q}")
                    }
                    _ => assert_eq!(p, q, "{strategy} ({extra:?})"),
                }
            }
        }
        // The comparator's own arm: refunds only lower its cost as the price rises.
        assert_eq!(statuses[0], "cost_does_not_rise_with_price");
        if extra.is_none() {
            assert!(statuses.contains(&"price"), "{statuses:?}");
        } else {
            assert!(statuses[3..].iter().all(|s| *s == "cost_does_not_rise_with_price"));
        }
    }
}

/// `vbpsim price` names the regimens whose price each threshold price is, a pathway state's
/// among them.
#[test]
fn the_price_command_names_the_covered_regimens() {
    let out = crate::support::expect(
        crate::support::vbpsim()
            .args(["price", "tests/fixtures/contracts/pathway_courses.toml"])
            .args(["--patients", "2000", "--samples", "0"]),
        0,
    );
    let text = crate::support::text_of(&out.stdout);
    assert!(
        text.contains("x_first/disc (discount on x in x_first, x_later; list ")
            && text.contains("): at 100,000: "),
        "{text}"
    );
    assert!(text.contains("none (the incremental cost does not rise with the price)"), "{text}");
    // Threshold prices are the base case's: PSA samples are refused, not simulated for nothing.
    let out = crate::support::expect(
        crate::support::vbpsim()
            .args(["price", "tests/fixtures/contracts/pathway_courses.toml"])
            .args(["--patients", "2000", "--samples", "5"]),
        2,
    );
    let said = crate::support::text_of(&out.stderr);
    assert!(
        said.contains("error: --samples: price computes the threshold prices of the base case"),
        "{said}"
    );
}
