//! A course of one regimen across several pathway states, and its response: the fixture of
//! pathway_courses.rs with its crossover state `x_course` split in two, `x_course` and
//! `x_responding` (marked `response = true`), both giving x and both left for
//! `progressed_again` and death at the same rates. Stays in consecutive states with one regimen
//! are one course (cycles, caps and adverse events counted from its first entry), so the list
//! payments keep the closed form of the unsplit state; the response-reading contracts read the
//! entry into `x_responding` as the response.

use super::MONTH;
use super::pathway_courses::{
    FIXTURE, Model, PATIENTS, drug_spend, icer_is_lambda_at_threshold_prices, model, refusal, row,
    within,
};
use crate::support::simulate;
use vbpsim::analysis::lines::Line;
use vbpsim::workflow::run::{RunOptions, Simulation};

/// Rate from `x_course` into `x_responding`, per month.
const RESPONSE_RATE: f64 = 0.2;

/// The split pathway, and response-reading contracts on x in both regimens (assessed at 3
/// months): a 50 % rebate of the payments made for a documented failure, and payment at
/// result.
fn split() -> Vec<String> {
    let out = r#"time = { dist = "exponential", rate = "0.08 per month" }"#;
    let die = r#"time = { dist = "exponential", rate = "0.03 per month" }"#;
    vec![
        r#"pathways.crossover.states = [{ name = "x_course", utility = 0.7, regimen = "x_later" }, { name = "x_responding", utility = 0.75, regimen = "x_later", response = true }, { name = "progressed_again", utility = 0.5, progressed = true }]"#.into(),
        format!(
            r#"pathways.crossover.transitions = [{{ from = "x_course", to = "x_responding", time = {{ dist = "exponential", rate = "{RESPONSE_RATE} per month" }} }}, {{ from = "x_course", to = "progressed_again", {out} }}, {{ from = "x_course", to = "death", {die} }}, {{ from = "x_responding", to = "progressed_again", {out} }}, {{ from = "x_responding", to = "death", {die} }}, {{ from = "progressed_again", to = "death", time = {{ dist = "exponential", rate = "0.1 per month" }} }}]"#
        ),
        r#"contracts = [{ name = "rr", drug = "x", regimens = ["x_first", "x_later"], kind = "response_rebate", assess_at = "3 months", refund = 0.5 }, { name = "par", drug = "x", regimens = ["x_first", "x_later"], kind = "payment_at_result", assess_at = "3 months" }]"#.into(),
    ]
}

/// The assessment's closed forms on the crossover course (entered at progression P).
struct Assessment {
    /// 3 months, in years.
    at: f64,
    /// Cycles started before it (k·cycle < at).
    cycles: usize,
    /// Total rate out of the course (progression and death), and into response, per year.
    out: f64,
    response: f64,
}

impl Assessment {
    fn new(m: &Model) -> Self {
        let at = 3.0 * MONTH;
        let cycles = (0..m.max_cycles).filter(|&k| (k as f64) * m.cycle < at).count();
        Assessment { at, cycles, out: m.a + m.b, response: RESPONSE_RATE * 12.0 }
    }

    /// P(alive in the course at the assessment, and entered `x_responding` by then).
    fn success(&self) -> f64 {
        (1.0 - (-self.response * self.at).exp()) * (-self.out * self.at).exp()
    }

    /// ∫ μ·e^{−(μ+δ)p}·e^{−k(H−p)} dp over progressions p in [H − 3 months, H): with k the
    /// rate out of the course, P(a course started then lasts past the horizon); with k the
    /// rates out and into response added, P(it lasts past the horizon without a response).
    fn after_horizon(&self, m: &Model, k: f64) -> f64 {
        let (h, d) = (m.horizon, k - m.mu - m.delta);
        let lo = h - self.at;
        let grows = if d == 0.0 { self.at } else { (d * lo).exp() * (d * self.at).exp_m1() / d };
        m.mu * (-k * h).exp() * grows
    }

    /// E[paid^q] over a documented failure's payments made before the assessment (in cycles):
    /// ⌈T/cycle⌉ when the course ends at T before it, all of them when the patient is still on
    /// the course without a response.
    fn failed_cycles(&self, m: &Model, q: i32) -> f64 {
        let ended = (1..=self.cycles).map(|j| {
            let lo = (j - 1) as f64 * m.cycle;
            let hi = (j as f64 * m.cycle).min(self.at);
            (j as f64).powi(q) * ((-self.out * lo).exp() - (-self.out * hi).exp())
        });
        let unanswered = (-(self.out + self.response) * self.at).exp();
        ended.sum::<f64>() + (self.cycles as f64).powi(q) * unanswered
    }
}

/// Cycles continue across the split (list payments as in the unsplit state), the regimen's
/// adverse event happens once per course, and the response-reading contracts settle against
/// their closed forms.
#[test]
fn a_course_across_states_pays_and_responds_as_closed_forms_say() {
    let m = model();
    let a = Assessment::new(&m);
    let mut sets = split();
    sets.push(
        r#"regimens.x_later.adverse_events = [{ name = "rash", probability = 1.0, cost = 1000, qaly_loss = 0 }]"#
            .into(),
    );
    let (s, sim) = simulate(FIXTURE, &sets, &RunOptions::default());
    let summary = vbpsim::scenario::describe::summary(&s);
    assert!(summary.contains("state x_responding: utility 0.75"), "{summary}");
    assert!(summary.contains("entry is response"), "{summary}");

    // The list payments: one course from the entry into x_course, whichever state it is in.
    let list = (m.list_moment(1, m.max_cycles), m.list_moment(2, m.max_cycles));
    let rr = row(&s, &sim, "chemo_first", "rr");
    within(rr.list_spend, list, "list spend of a course across two states");
    let posted = drug_spend(&s, &sim, "chemo_first", "x");
    assert!((posted - rr.list_spend).abs() <= 1e-12 * posted, "{posted} vs {}", rr.list_spend);
    // The adverse event at the course's start only: 1000 · d(P).
    let ae = s.model.categories().iter().position(|c| c == "adverse_events").unwrap();
    let arm = (sim.arms.iter())
        .position(|x| x.contract.is_none() && s.model.strategies[x.strategy].name == "chemo_first")
        .unwrap();
    let moments = (1000.0 * m.g(1.0, m.horizon), 1e6 * m.g(2.0, m.horizon));
    within(sim.summary[arm].categories[ae], moments, "adverse events once per course");

    // Response rebate: half the payments made before the assessment, refunded at P + 3 months
    // (before the horizon) for every failure.
    let lump = |q: i32| (-f64::from(q) * m.rho * a.at).exp() * m.g(f64::from(q), m.horizon - a.at);
    let refund = |q: i32| (0.5 * m.price).powi(q) * lump(q) * a.failed_cycles(&m, q);
    within(rr.refunds, (refund(1), refund(2)), "response rebate refunds");
    let triggered = m.g(0.0, m.horizon - a.at) * (1.0 - a.success());
    let found = rr.triggered_share.unwrap() * rr.treated_share;
    let se = (triggered * (1.0 - triggered) / PATIENTS).sqrt();
    assert!((found - triggered).abs() <= 4.0 * se, "triggered {found} vs {triggered}");

    // Payment at result: the cycles before the assessment paid there for a success, later
    // cycles at list. Per patient it is at most the list payments (a deferred cycle is paid
    // later, or not at all), so E[list²] bounds its second moment.
    let later: f64 = (a.cycles..m.max_cycles)
        .map(|k| k as f64 * m.cycle)
        .filter(|&t| t < m.horizon)
        .map(|t| m.price * (-(m.rho + a.out) * t).exp() * m.g(1.0, m.horizon - t))
        .sum();
    let at_result = m.price * a.cycles as f64 * lump(1) * a.success();
    let par = row(&s, &sim, "chemo_first", "par");
    within(par.paid, (later + at_result, list.1), "payment at result");
    // Withheld payments are triggered also where the assessment falls after the horizon (no
    // cash either way): the walk is then read as seen at the horizon, the assessment at
    // H − P instead of 3 months.
    let seen_late = m.g(0.0, m.horizon) - m.g(0.0, m.horizon - a.at) - a.after_horizon(&m, a.out)
        + a.after_horizon(&m, a.out + a.response);
    let triggered = triggered + seen_late;
    let se = (triggered * (1.0 - triggered) / PATIENTS).sqrt();
    let found = par.triggered_share.unwrap() * par.treated_share;
    assert!((found - triggered).abs() <= 4.0 * se, "triggered {found} vs {triggered}");

    // lines.csv: the share of those who enter x_course whose course reaches x_responding (before
    // progression and the horizon); everyone entering x_responding has responded.
    let lines = lines_of(&s, &sim, "chemo_first");
    let (started, response) = lines("x_course");
    let s_rate = a.response + a.out;
    let k = s_rate - m.mu - m.delta;
    let reached = a.response / s_rate
        * (m.g(0.0, m.horizon) - (-s_rate * m.horizon).exp() * m.mu * (k * m.horizon).exp_m1() / k);
    let share = reached / m.g(0.0, m.horizon);
    let se = (share * (1.0 - share) / (PATIENTS * started)).sqrt();
    assert!((response - share).abs() <= 4.0 * se, "response {response} vs {share}");
    assert_eq!(lines("x_responding").1, 1.0);
}

/// (started, response) of the pathway line in `state` of `strategy`'s lines.
fn lines_of<'a>(
    s: &'a vbpsim::scenario::Scenario,
    sim: &'a Simulation,
    strategy: &'a str,
) -> impl Fn(&str) -> (f64, f64) + 'a {
    move |state: &str| {
        let m = &s.model;
        let r = (sim.lines.iter())
            .find(|r| {
                r.line == Line::Pathway
                    && m.strategies[r.strategy].name == strategy
                    && r.state.is_some_and(|(p, k)| m.pathways[p].states[k].name == state)
            })
            .unwrap_or_else(|| panic!("no line {strategy}/{state}"));
        (r.started, r.response.expect("a pathway line with a response state has a response"))
    }
}

/// The threshold prices of the response-reading contracts, put back into both covered
/// regimens, give ICER = λ.
#[test]
fn response_reading_threshold_prices_give_icer_lambda() {
    let mut sets = split();
    // x first: responders, so that a payment at result pays for some of its courses.
    sets.extend(["scenario.patients = 20000".into(), "regimens.x_first.response = 1.0".into()]);
    icer_is_lambda_at_threshold_prices(&sets, &["rr", "par"]);
}

/// A response-reading contract on a state course needs a state marked `response` reachable
/// from it (the state itself included); `response` is true or false.
#[test]
fn a_response_reading_contract_needs_a_response_state() {
    let contract = |kind: &str| {
        vec![format!(
            r#"contracts = [{{ name = "k", drug = "x", regimens = ["x_first", "x_later"], {kind} }}]"#
        )]
    };
    for kind in [
        r#"kind = "response_rebate", assess_at = "12 weeks", refund = 0.5"#,
        r#"kind = "payment_at_result", assess_at = "12 weeks""#,
    ] {
        let err = refusal(&contract(kind));
        assert!(
            err.contains("expected a state marked `response = true` reachable from state `x_course` of pathway `crossover`"),
            "{err}"
        );
        assert!(err.contains("contracts[4].regimens"), "{err}");
    }
    // The covered state itself marked: accepted.
    let mut marked = contract(r#"kind = "payment_at_result", assess_at = "12 weeks""#);
    marked.push(r#"pathways.crossover.states = [{ name = "x_course", utility = 0.7, regimen = "x_later", response = true }, { name = "progressed_again", utility = 0.5, progressed = true }]"#.into());
    assert!(crate::support::try_load(FIXTURE, &marked).is_ok());
    let err = refusal(&[
        r#"pathways.after_x.states = [{ name = "post", utility = 0.5, response = 1 }]"#.into(),
    ]);
    assert!(err.contains("expected true or false"), "{err}");
    // A response state reachable only through a progression never is a response of the course.
    let mut late = contract(r#"kind = "payment_at_result", assess_at = "12 weeks""#);
    late.push(r#"pathways.crossover.states = [{ name = "x_course", utility = 0.7, regimen = "x_later" }, { name = "progressed_again", utility = 0.5, progressed = true }, { name = "late", utility = 0.6, response = true }]"#.into());
    late.push(r#"pathways.crossover.transitions = [{ from = "x_course", to = "progressed_again", time = { dist = "exponential", rate = "0.08 per month" } }, { from = "x_course", to = "death", time = { dist = "exponential", rate = "0.03 per month" } }, { from = "progressed_again", to = "late", time = { dist = "exponential", rate = "0.1 per month" } }, { from = "late", to = "death", time = { dist = "exponential", rate = "0.1 per month" } }]"#.into());
    let err = refusal(&late);
    assert!(err.contains("expected a state marked `response = true` reachable"), "{err}");
    // A state is progressed or a response, not both.
    let err = refusal(&[r#"pathways.crossover.states = [{ name = "x_course", utility = 0.7, regimen = "x_later" }, { name = "progressed_again", utility = 0.5, progressed = true, response = true }]"#.into()]);
    assert!(
        err.contains("expected a state marked `progressed` or `response`, found both"),
        "{err}"
    );
    assert!(err.contains("pathways[0].states[1].response"), "{err}");
}

/// A response belongs to the course it happens in: after a break, entering a response state
/// with the same regimen starts a new course whose response it is, not the first course's.
#[test]
fn a_re_treatments_response_is_not_the_first_courses() {
    let sets: Vec<String> = vec![
        r#"pathways.crossover.states = [{ name = "x_course", utility = 0.7, regimen = "x_later" }, { name = "break", utility = 0.7 }, { name = "x_resp", utility = 0.75, regimen = "x_later", response = true }, { name = "progressed_again", utility = 0.5, progressed = true }]"#.into(),
        r#"pathways.crossover.transitions = [{ from = "x_course", to = "break", time = { dist = "exponential", rate = "0.5 per month" } }, { from = "x_course", to = "death", time = { dist = "exponential", rate = "0.03 per month" } }, { from = "break", to = "x_resp", time = { dist = "exponential", rate = "2 per month" } }, { from = "break", to = "death", time = { dist = "exponential", rate = "0.03 per month" } }, { from = "x_resp", to = "progressed_again", time = { dist = "exponential", rate = "0.08 per month" } }, { from = "x_resp", to = "death", time = { dist = "exponential", rate = "0.03 per month" } }, { from = "progressed_again", to = "death", time = { dist = "exponential", rate = "0.1 per month" } }]"#.into(),
        r#"contracts = [{ name = "par", drug = "x", regimens = ["x_first", "x_later"], kind = "payment_at_result", assess_at = "3 months" }]"#.into(),
        "scenario.patients = 20000".into(),
    ];
    let (s, sim) = simulate(FIXTURE, &sets, &RunOptions::default());
    let lines = lines_of(&s, &sim, "chemo_first");
    assert_eq!(lines("x_course").1, 0.0, "the first course never responds");
    assert_eq!(lines("x_resp").1, 1.0);
    // Payment at result: every first course fails (its withheld cycles are never paid), so
    // every treated patient triggers the contract.
    let par = row(&s, &sim, "chemo_first", "par");
    assert_eq!(par.triggered_share, Some(1.0));
}
