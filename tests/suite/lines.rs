//! Lines of therapy (README "Lines of therapy"): a second line chosen by a ctDNA re-test at
//! progression for an acquired resistance marker, against closed forms of an exponential
//! model (undiscounted, a 60-year horizon whose cut is below e^{−30}).
//!
//! Per year: first line progression a₁, death before progression b, death after progression
//! s₁; a share φ = 0.6 is fit for a second line, re-tested at progression (results τ = 14 days
//! later, if alive: e^{−s₁τ}); the acquired marker (prevalence 0.3) read by ctDNA
//! (sensitivity 0.8) sends q = 0.24 to the targeted regimen (progression a_t), the rest to
//! chemotherapy (a_c); both with death b before progression and s₂ after it.

use vbpsim::scenario;
use vbpsim::workflow::run::{RunOptions, simulate};

const SCENARIO: &str = r#"
[scenario]
name = "lines"
horizon = "60 years"
discount = { costs = 0.0, outcomes = 0.0 }
patients = 200000
seed = 37
comparator = "bsc"

[[biomarkers]]
name = "R"
prevalence = 0.3
acquired = true

[[tests]]
name = "ctdna"
sample = "plasma"
detects = ["R"]
sensitivity = 0.8
specificity = 1
cost = 500
turnaround = "14 days"

[[regimens]]
name = "first"
drugs = [{ name = "f", price = 5000, cycle = "28 days" }]
response = 0.0
progression = { responder = { dist = "exponential", rate = "0.1 per month" }, non_responder = { dist = "exponential", rate = "0.1 per month" } }
death_before_progression = { dist = "exponential", rate = "0.01 per month" }
after_progression = { survival = { dist = "exponential", rate = "0.2 per month" }, cost = "1000 per month" }
second_line = { share = 0.6, test = "ctdna", rules = [{ positive = "R", treat = "targeted" }], default = "chemo" }

[[regimens]]
name = "targeted"
drugs = [{ name = "t", price = 4000, cycle = "28 days" }]
response = 0.0
progression = { responder = { dist = "exponential", rate = "0.05 per month" }, non_responder = { dist = "exponential", rate = "0.05 per month" } }
death_before_progression = { dist = "exponential", rate = "0.01 per month" }
after_progression = { survival = { dist = "exponential", rate = "0.3 per month" }, cost = "2000 per month" }

[[regimens]]
name = "chemo"
drugs = [{ name = "c", price = 1000, cycle = "21 days" }]
response = 0.0
progression = { responder = { dist = "exponential", rate = "0.25 per month" }, non_responder = { dist = "exponential", rate = "0.25 per month" } }
death_before_progression = { dist = "exponential", rate = "0.01 per month" }
after_progression = { survival = { dist = "exponential", rate = "0.3 per month" }, cost = "2000 per month" }

[[regimens]]
name = "supportive"
response = 0.0
progression = { responder = { dist = "exponential", rate = "0.3 per month" }, non_responder = { dist = "exponential", rate = "0.3 per month" } }
death_before_progression = { dist = "exponential", rate = "0.01 per month" }
after_progression = { survival = { dist = "exponential", rate = "0.3 per month" } }

[states]
progression_free = { utility = 1.0 }
progressed = { utility = 1.0 }

[[strategies]]
name = "bsc"
default = "supportive"

[[strategies]]
name = "sequence"
default = "first"

# An acquired marker is not there at diagnosis: testing for it then finds nobody.
[[strategies]]
name = "tested_at_diagnosis"
test = "ctdna"
rules = [{ positive = "R", treat = "targeted" }]
default = "first"

[[contracts]]
name = "mb_targeted"
drug = "t"
kind = "money_back"
failure = "progression"
window = "3 months"
refund = 1.0
"#;

const DAY: f64 = 1.0 / 365.25;

#[test]
fn second_line_life_years_costs_and_contract_match_closed_forms() {
    let s = scenario::parse("lines.toml", SCENARIO).unwrap();
    let sim = simulate(&s, &RunOptions::default(), &mut |_, _| {}).unwrap();
    let m = 12.0;
    let (a1, b, s1) = (0.1 * m, 0.01 * m, 0.2 * m);
    let (at, ac, s2) = (0.05 * m, 0.25 * m, 0.3 * m);
    let (fit, q, tau) = (0.6, 0.3 * 0.8, 14.0 * DAY);
    let progress = a1 / (a1 + b);
    let reach = (-s1 * tau).exp();
    let l2 = |a: f64| 1.0 / (a + b) + a / (a + b) / s2;
    let after =
        (1.0 - fit) / s1 + fit * ((1.0 - reach) / s1 + reach * (q * l2(at) + (1.0 - q) * l2(ac)));
    let ly = 1.0 / (a1 + b) + progress * after;

    let cycles = |price: f64, rate: f64, cycle: f64| price / (1.0 - (-rate * cycle).exp());
    let first_drug = cycles(5000.0, a1 + b, 28.0 * DAY);
    let retest = 500.0 * progress * fit;
    let second = progress * fit * reach;
    let second_drugs =
        q * cycles(4000.0, at + b, 28.0 * DAY) + (1.0 - q) * cycles(1000.0, ac + b, 21.0 * DAY);
    // Subsequent-therapy cost of the first regimen: patients without a second line (unfit,
    // or dead before the re-test result) over their whole progressed time.
    let died_waiting = (1.0 - reach) / s1 - tau * reach;
    let first_after = progress * 12_000.0 * ((1.0 - fit) / s1 + fit * died_waiting);
    let second_after = 24_000.0 * (q * at / (at + b) / s2 + (1.0 - q) * ac / (ac + b) / s2);
    let cost = first_drug + retest + first_after + second * (second_drugs + second_after);

    let a = sim.summary.iter().find(|a| a.strategy == 1 && a.contract.is_none()).unwrap();
    let check = |got: f64, want: f64, se: f64, what: &str| {
        assert!((got - want).abs() < 4.0 * se, "{what}: {got} vs {want} (se {se})");
    };
    check(a.ly_undiscounted.mean, ly, a.ly_undiscounted.mcse.unwrap(), "life-years");
    check(a.cost.mean, cost, a.cost.mcse.unwrap(), "cost");

    // The money-back contract on the second-line targeted drug: treated share and the share
    // progressing within 3 months of its start, a_t/(a_t + b)·(1 − e^{−(a_t+b)/4}).
    let row = sim.contracts.iter().find(|r| sim.arms[r.arm].strategy == 1).unwrap();
    let treated = second * q;
    let se = (treated * (1.0 - treated) / 200_000.0).sqrt();
    check(row.treated_share, treated, se, "treated with t");
    let fail = at / (at + b) * (1.0 - (-(at + b) / 4.0).exp());
    let n = treated * 200_000.0;
    check(row.triggered_share.unwrap(), fail, (fail * (1.0 - fail) / n).sqrt(), "refunds");
    // Testing at diagnosis: nobody reads positive, the first line starts 14 days later for
    // those still progression-free (clocks run from diagnosis), and only they can reach the
    // second line — the targeted drug comes only in second line.
    let row = sim.contracts.iter().find(|r| sim.arms[r.arm].strategy == 2).unwrap();
    let treated = treated * (-(a1 + b) * tau).exp();
    let se = (treated * (1.0 - treated) / 200_000.0).sqrt();
    check(row.treated_share, treated, se, "treated with t after a test at diagnosis");
}

#[test]
fn only_two_lines_are_allowed() {
    let text = SCENARIO.replace(
        "after_progression = { survival = { dist = \"exponential\", rate = \"0.3 per month\" }, cost = \"2000 per month\" }\n\n[[regimens]]\nname = \"chemo\"",
        "after_progression = { survival = { dist = \"exponential\", rate = \"0.3 per month\" }, cost = \"2000 per month\" }\nsecond_line = { default = \"supportive\" }\n\n[[regimens]]\nname = \"chemo\"",
    );
    assert!(text.contains("second_line = { default = \"supportive\" }"));
    let err = scenario::parse("lines.toml", &text).unwrap_err().to_string();
    assert!(err.contains("regimens[0].second_line") && err.contains("two lines at most"), "{err}");
}

/// A second line triggered by a pseudo-progression (acted on without `beyond_progression`)
/// ends the first line's progression-free state at the trigger, not at the true progression.
#[test]
fn second_line_after_a_false_trigger_ends_progression_free_time_there() {
    use vbpsim::rng::SampleKey;
    use vbpsim::sim::Prepared;
    use vbpsim::sim::patient::{
        FIRST_LINE, LineDraws, LineProcesses, course, second_line, simulate as simulate_patient,
        tumour,
    };
    let text = SCENARIO
        .replace(
            "cost = \"1000 per month\" }\nsecond_line = { share = 0.6,",
            "cost = \"1000 per month\" }\nassessment = \"8 weeks\"\npseudo_progression = 1.0\nsecond_line = { share = 1.0,",
        )
        .replacen("response = 0.0", "response = 1.0", 1);
    assert!(text.contains("pseudo_progression = 1.0") && text.contains("response = 1.0"));
    let s = scenario::parse("lines.toml", &text).unwrap();
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(3, 0);
    let (l1, l2) = (LineProcesses::new(FIRST_LINE), LineProcesses::new(FIRST_LINE + 1));
    let (mut pseudo, mut real) = (0u32, 0u32);
    for i in 0..50_000 {
        let pk = key.patient(i);
        let (line, line2) = (LineDraws::new(pk, &l1), LineDraws::new(pk, &l2));
        let t = tumour(&prep, pk);
        let seen = t.without(1);
        let rec = simulate_patient(&prep, pk, &seen, &line, 1);
        let first = course(&prep, &seen, &line, rec.regimen);
        let Some((_, whole)) = second_line(&prep, pk, &t, &line2, &rec, &first) else {
            continue;
        };
        if whole.second.is_none() {
            continue;
        }
        assert_eq!(whole.progression, first.progression.min(rec.detected_progression));
        if rec.detected_progression < first.progression {
            pseudo += 1;
            // The first scan, 8 weeks after the start at diagnosis.
            assert!((rec.detected_progression - 56.0 / 365.25).abs() < 1e-12);
        } else {
            real += 1;
        }
    }
    assert!(pseudo > 1000 && real > 1000, "{pseudo} pseudo, {real} real triggers");
}

/// Combinations of the new keys that cannot be settled or make no sense are refused.
#[test]
fn incoherent_line_and_marker_settings_are_refused() {
    // The contracted drug also in the second line after the regimen that gives it.
    let both = SCENARIO.replace(
        "drugs = [{ name = \"c\", price = 1000, cycle = \"21 days\" }]",
        "drugs = [{ name = \"c\", price = 1000, cycle = \"21 days\" }, { name = \"t\", price = 4000, cycle = \"28 days\" }]",
    );
    let both = both.replace("drugs = [{ name = \"f\", price = 5000, cycle = \"28 days\" }]", "drugs = [{ name = \"f\", price = 5000, cycle = \"28 days\" }, { name = \"t\", price = 4000, cycle = \"28 days\" }]");
    let err = scenario::parse("lines.toml", &both).unwrap_err().to_string();
    assert!(err.contains("contracts[0].drug") && err.contains("one line only"), "{err}");
    // Discordance without lesions; an acquired marker in a group with a diagnosis marker.
    let text = SCENARIO.replace(
        "acquired = true",
        "acquired = true\ngroup = \"g\"\n\n[[biomarkers]]\nname = \"D\"\nprevalence = 0.2\ngroup = \"g\"\ndiscordance = 0.1",
    );
    let err = scenario::parse("lines.toml", &text).unwrap_err().to_string();
    assert!(err.contains("biomarkers[0].acquired") && err.contains("group `g`"), "{err}");
    assert!(err.contains("biomarkers[1].discordance") && err.contains("[heterogeneity]"), "{err}");
}
