//! The commercial payer: members leave at a constant hazard; the payer counts costs and
//! outcomes only while they are enrolled, and refunds after exit only if the contract is
//! portable.

use vbpsim::scenario;
use vbpsim::workflow::run::{RunOptions, Simulation, simulate};

fn scenario_text(payer: &str, extra: &str) -> String {
    format!(
        r#"
[scenario]
name = "payer"
horizon = "10 years"
discount = {{ costs = 0.0, outcomes = 0.03 }}
patients = 200000
seed = 5
comparator = "bsc"
thresholds = [50000]

[[regimens]]
name = "drug_regimen"
drugs = [{{ name = "d", price = 1000, cycle = "28 days" }}]
response = 0.4
progression = {{ responder = {{ dist = "exponential", rate = "0.05 per month" }}, non_responder = {{ dist = "exponential", rate = "0.2 per month" }} }}
death_before_progression = {{ dist = "exponential", rate = "0.01 per month" }}
after_progression = {{ survival = {{ dist = "exponential", rate = "0.1 per month" }} }}

[[regimens]]
name = "never_progress"
response = 0.0
progression = {{ responder = {{ dist = "piecewise", breaks = ["0 months"], rates = ["0 per month"] }}, non_responder = {{ dist = "piecewise", breaks = ["0 months"], rates = ["0 per month"] }} }}
death_before_progression = {{ dist = "exponential", rate = "0.2 per year" }}
after_progression = {{ survival = {{ dist = "exponential", rate = "1 per year" }} }}

[states]
progression_free = {{ cost = "1200 per year", utility = 0.8 }}
progressed = {{ cost = "2400 per year", utility = 0.5 }}

[[strategies]]
name = "bsc"
default = "never_progress"

[[strategies]]
name = "treat"
default = "drug_regimen"

{payer}
{extra}
"#
    )
}

fn run(text: &str) -> Simulation {
    let s = scenario::parse("payer.toml", text).unwrap();
    simulate(&s, &RunOptions::default(), &mut |_, _| {}).unwrap()
}

const MONEY_BACK: &str = r#"
[[contracts]]
name = "mb"
drug = "d"
kind = "money_back"
failure = "progression_or_death"
window = "2 years"
refund = 1.0
"#;

/// Life-years, costs and QALYs while enrolled, against closed forms: with no progression,
/// death rate a and exit rate b (turnover p: b = −ln(1 − p)), E[min(D, X, H)] =
/// (1 − e^{−(a+b)H})/(a + b), and discounted at ρ = ln 1.03 the same with a + b + ρ.
#[test]
fn enrolled_time_matches_the_closed_form() {
    let turnover: f64 = 0.25;
    let sim = run(&scenario_text("[payer]\nperspective = \"commercial\"\nturnover = 0.25", ""));
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
    let national = run(&scenario_text("[payer]\nperspective = \"national\"", MONEY_BACK));
    let commercial =
        run(&scenario_text("[payer]\nperspective = \"commercial\"\nturnover = 0.0", MONEY_BACK));
    assert_eq!(national.summary, commercial.summary);
    assert_eq!(national.contracts, commercial.contracts);
    assert_eq!(national.sums, commercial.sums);
}

/// Refunds due after the member left reach the payer only if the contract is portable; nothing
/// else differs.
#[test]
fn portable_refunds_are_at_least_non_portable_ones() {
    let base = "[payer]\nperspective = \"commercial\"\nturnover = 0.4";
    let kept = run(&scenario_text(&format!("{base}\nportable = true"), MONEY_BACK));
    let lost = run(&scenario_text(&format!("{base}\nportable = false"), MONEY_BACK));
    let (k, l) = (&kept.contracts[0], &lost.contracts[0]);
    assert!(k.refunds > l.refunds, "portable {} vs non-portable {}", k.refunds, l.refunds);
    assert_eq!(k.paid, l.paid, "payments do not depend on portability");
    assert_eq!(kept.summary[1], lost.summary[1], "the list arm is unaffected");
    // Turnover shortens what the payer pays for: less list spend than with no turnover.
    let national = run(&scenario_text("[payer]\nperspective = \"national\"", MONEY_BACK));
    assert!(national.contracts[0].list_spend > k.list_spend);
}
