//! Lines of therapy (docs, "Lines of therapy"): a second line chosen by a ctDNA re-test at
//! progression for an acquired resistance marker, against closed forms of an exponential
//! model (undiscounted, a 60-year horizon whose cut is below e^{−30}).
//!
//! Per year: first line progression a₁, death before progression b, death after progression
//! s₁; a share φ = 0.6 is fit for a second line, re-tested at progression (results τ = 14 days
//! later, if alive: e^{−s₁τ}); the acquired marker (prevalence 0.3) read by ctDNA
//! (sensitivity 0.8) sends q = 0.24 to the targeted regimen (progression a_t), the rest to
//! chemotherapy (a_c); both with death b before progression and s₂ after it.

use crate::support::{layered_text, load, run, try_load};
use vbpsim::workflow::run::RunOptions;

/// Four regimens, a second line chosen by a ctDNA re-test, a money-back contract on the
/// second-line targeted drug.
const SCENARIO: &str = "lines/lines.toml";

/// lines.toml with a bridging strategy, a pathway with a third line, a response and a
/// discontinuation on the first line: the line table's closed forms.
const SCENARIO_TABLE: &str = "lines/line_table.toml";

const DAY: f64 = 1.0 / 365.25;

/// Within 4 Monte Carlo standard errors.
fn check(got: f64, want: f64, se: f64, what: &str) {
    assert!((got - want).abs() < 4.0 * se, "{what}: {got} vs {want} (se {se})");
}

/// The `sequence` strategy's undiscounted life-years and cost at list against closed forms.
fn check_sequence(sim: &vbpsim::workflow::run::Simulation, ly: f64, cost: f64) {
    let a = sim.summary.iter().find(|a| a.strategy == 1 && a.contract.is_none()).unwrap();
    check(a.ly_undiscounted.mean, ly, a.ly_undiscounted.mcse.unwrap(), "life-years");
    check(a.cost.mean, cost, a.cost.mcse.unwrap(), "cost");
}

/// The model's rates per year (the module's head) and what follows from them: the share
/// progressing, the share alive when the re-test result is in, and the expected time alive
/// after progression, `after`.
struct Model {
    a1: f64,
    b: f64,
    s1: f64,
    at: f64,
    ac: f64,
    s2: f64,
    fit: f64,
    q: f64,
    tau: f64,
    progress: f64,
    reach: f64,
    after: f64,
}

impl Model {
    fn new() -> Self {
        let m = 12.0;
        let (a1, b, s1) = (0.1 * m, 0.01 * m, 0.2 * m);
        let (at, ac, s2) = (0.05 * m, 0.25 * m, 0.3 * m);
        let (fit, q, tau) = (0.6, 0.3 * 0.8, 14.0 * DAY);
        let reach = (-s1 * tau).exp();
        let l2 = |a: f64| 1.0 / (a + b) + a / (a + b) / s2;
        let after = (1.0 - fit) / s1
            + fit * ((1.0 - reach) / s1 + reach * (q * l2(at) + (1.0 - q) * l2(ac)));
        let progress = a1 / (a1 + b);
        Model { a1, b, s1, at, ac, s2, fit, q, tau, progress, reach, after }
    }
}

#[test]
fn second_line_life_years_costs_and_contract_match_closed_forms() {
    let sim = run(&load(SCENARIO, &[]), &RunOptions::default());
    let Model { a1, b, s1, at, ac, s2, fit, q, tau, progress, reach, after } = Model::new();
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

    check_sequence(&sim, ly, cost);

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

/// A second line without `default`: patients the re-test does not send to the targeted
/// regimen keep the first regimen's course after progression (survival at s₁ and its
/// subsequent-therapy cost over their whole progressed time), after paying for the re-test;
/// life-years, costs and the targeted share against the closed forms of the model above.
#[test]
fn a_second_line_without_default_keeps_the_course_of_those_no_rule_selects() {
    let set = r#"regimens.first.second_line = { share = 0.6, test = "ctdna", rules = [{ positive = "R", treat = "targeted" }] }"#;
    let s = load(SCENARIO, &[set.to_string()]);
    let summary = vbpsim::scenario::describe::summary(&s);
    assert!(summary.contains("R+ → targeted; else no second line"), "{summary}");
    let sim = run(&s, &RunOptions::default());
    let Model { a1, b, s1, at, s2, fit, q, tau, progress, reach, .. } = Model::new();
    let l2 = 1.0 / (at + b) + at / (at + b) / s2;
    let after = (1.0 - fit) / s1 + fit * ((1.0 - reach) / s1 + reach * (q * l2 + (1.0 - q) / s1));
    let ly = 1.0 / (a1 + b) + progress * after;
    let cycles = |price: f64, rate: f64, cycle: f64| price / (1.0 - (-rate * cycle).exp());
    let first_drug = cycles(5000.0, a1 + b, 28.0 * DAY);
    let retest = 500.0 * progress * fit;
    // The first regimen's subsequent therapy: unfit patients, those dead before the result,
    // and those alive then whom no rule selects (the wait and what follows).
    let died_waiting = (1.0 - reach) / s1 - tau * reach;
    let kept = reach * (1.0 - q) * (tau + 1.0 / s1);
    let first_after = progress * 12_000.0 * ((1.0 - fit) / s1 + fit * (died_waiting + kept));
    let second = progress * fit * reach * q;
    let targeted = cycles(4000.0, at + b, 28.0 * DAY) + 24_000.0 * at / (at + b) / s2;
    let cost = first_drug + retest + first_after + second * targeted;
    check_sequence(&sim, ly, cost);
    let row = sim.contracts.iter().find(|r| sim.arms[r.arm].strategy == 1).unwrap();
    let se = (second * (1.0 - second) / 200_000.0).sqrt();
    check(row.treated_share, second, se, "treated with the targeted drug");
    // Neither `default` nor `rules`: nobody could be treated.
    let set = r#"regimens.first.second_line = { share = 0.6, test = "ctdna" }"#;
    let err = try_load(SCENARIO, &[set.to_string()]).err().map(|e| e.to_string());
    let err = err.expect("a second line with neither default nor rules is refused");
    assert!(
        err.contains("expected `default`, or non-empty `rules`") && err.contains("--set #1"),
        "{err}"
    );
    // ... nor an empty `rules`.
    let set = r#"regimens.first.second_line = { share = 0.6, test = "ctdna", rules = [] }"#;
    let err = try_load(SCENARIO, &[set.to_string()]).err().map(|e| e.to_string());
    let err = err.expect("a second line with empty rules and no default is refused");
    assert!(err.contains("expected `default`, or non-empty `rules`"), "{err}");
}

/// A regimen's `progression_free_utility` values its progression-free time in whichever line:
/// a second line's, from its start to its own progression, instead of the progressed state's;
/// a first line's from diagnosis instead of the progression-free state's. QALYs against the
/// closed form of the exponential model above (no discounting, no adverse events), with
/// utilities 0.8 progression-free and 0.5 progressed, 0.7 on the targeted second line, 0.6 on
/// chemotherapy, and 0.9 progression-free on best supportive care.
#[test]
fn line_specific_progression_free_utilities_match_the_closed_form() {
    let sets = [
        "states.progression_free.utility = 0.8",
        "states.progressed.utility = 0.5",
        "regimens.targeted.progression_free_utility = 0.7",
        "regimens.chemo.progression_free_utility = 0.6",
        "regimens.supportive.progression_free_utility = 0.9",
    ]
    .map(String::from);
    let sim = run(&load(SCENARIO, &sets), &RunOptions::default());
    let Model { a1, b, at, ac, fit, q, progress, reach, after, .. } = Model::new();
    // Progressed time at 0.5, of which the second line's progression-free time, 1/(a + b) per
    // patient starting it, at its own utility instead.
    let on_second = fit * reach * (q * (0.7 - 0.5) / (at + b) + (1.0 - q) * (0.6 - 0.5) / (ac + b));
    let sequence = 0.8 / (a1 + b) + progress * (0.5 * after + on_second);
    // Best supportive care: progression and death after it at 0.3 a month.
    let sb = 0.3 * 12.0;
    let bsc = 0.9 / (sb + b) + sb / (sb + b) * 0.5 / sb;
    for (strategy, want) in [(1, sequence), (0, bsc)] {
        let a =
            sim.summary.iter().find(|a| a.strategy == strategy && a.contract.is_none()).unwrap();
        let se = a.qaly.mcse.unwrap();
        assert!(
            (a.qaly.mean - want).abs() < 4.0 * se,
            "strategy {strategy}: QALYs {} vs {want} (se {se})",
            a.qaly.mean
        );
    }
    // The same patients without the second line's own utilities: the difference is the second
    // line's progression-free time, to the last bits of a sum.
    let plain = run(&load(SCENARIO, &sets[..2]), &RunOptions::default());
    let (with, without) = (&sim.summary[1], &plain.summary[1]);
    let gain = progress * on_second;
    let diff = with.qaly.mean - without.qaly.mean;
    let se = with.qaly.mcse.unwrap();
    assert!(diff > 0.0 && (diff - gain).abs() < 4.0 * se, "gain {diff} vs {gain} (se {se})");
    assert_eq!(with.ly.mean, without.ly.mean, "life-years do not move");
    assert_eq!(with.cost.mean, without.cost.mean, "costs do not move");
}

/// The second line's progression-free utility with outcomes discounted at 5 % and a horizon
/// of 2 years: the QALY gain over the progressed utility, (u − 0.5)·E[∫ d(t) dt] over the second
/// line's progression-free time cut at the horizon, against its closed form. A patient
/// progressing at t₁ (density a₁e^{−(a₁+b)t₁}) starts at s = t₁ + τ if alive then (reach) and
/// fit, and then ∫_s^H e^{−ρt}e^{−k(t−s)} dt = e^{−ρs}(1 − e^{−(ρ+k)(H−s)})/(ρ + k), k = a + b.
#[test]
fn a_second_lines_utility_is_discounted_and_cut_at_the_horizon() {
    let frame = ["scenario.discount.outcomes = 0.05", "scenario.horizon = \"2 years\""];
    let utilities = [
        "states.progression_free.utility = 0.8",
        "states.progressed.utility = 0.5",
        "regimens.targeted.progression_free_utility = 0.7",
        "regimens.chemo.progression_free_utility = 0.6",
    ];
    let with: Vec<String> = frame.iter().chain(&utilities).map(|s| s.to_string()).collect();
    let without: Vec<String> = frame.iter().chain(&utilities[..2]).map(|s| s.to_string()).collect();
    let with = run(&load(SCENARIO, &with), &RunOptions::default());
    let without = run(&load(SCENARIO, &without), &RunOptions::default());
    let Model { a1, b, at, ac, fit, q, tau, reach, .. } = Model::new();
    let (rho, horizon) = (1.05_f64.ln(), 2.0);
    let last = horizon - tau;
    let alpha = a1 + b + rho;
    let on_line = |k: f64| {
        let all = (1.0 - (-alpha * last).exp()) / alpha;
        let cut = ((-alpha * last).exp() - (-(rho + k) * last).exp()) / (rho + k - alpha);
        a1 * (-rho * tau).exp() / (rho + k) * (all - cut)
    };
    let gain = fit * reach * (q * 0.2 * on_line(at + b) + (1.0 - q) * 0.1 * on_line(ac + b));
    let (a, z) = (&with.summary[1], &without.summary[1]);
    let diff = a.qaly.mean - z.qaly.mean;
    let se = a.qaly.mcse.unwrap();
    assert!((diff - gain).abs() < 4.0 * se, "gain {diff} vs {gain} (se {se})");
}

#[test]
fn only_two_lines_are_allowed() {
    // A second line after the targeted regimen, itself a second line.
    let set = "regimens.targeted.second_line = { default = \"supportive\" }";
    let loaded = try_load(SCENARIO, &[set.into()]);
    assert!(layered_text(&loaded).contains("second_line = { default = \"supportive\" }"));
    let err = loaded.unwrap_err().to_string();
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
    let s = load("lines/false_trigger.toml", &[]);
    let text = &s.source.text;
    assert!(text.contains("pseudo_progression = 1.0") && text.contains("response = 1.0"));
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
    let refused = |sets: &[String]| match try_load(SCENARIO, sets) {
        Ok(_) => panic!("{sets:?} must be refused"),
        Err(e) => e.to_string(),
    };
    let t = r#"[{ name = "t", price = 4000, cycle = "28 days" }]"#;
    let both = [format!("regimens.chemo.drugs = {t}"), format!("regimens.first.drugs = {t}")];
    let err = refused(&both);
    assert!(err.contains("contracts[0].drug") && err.contains("one line only"), "{err}");
    // Discordance without lesions; an acquired marker in a group with a diagnosis marker.
    let err = refused(&[
        "biomarkers.R.group = \"g\"".into(),
        r#"biomarkers = [{ name = "D", prevalence = 0.2, group = "g", discordance = 0.1 }]"#.into(),
    ]);
    assert!(err.contains("biomarkers[0].acquired") && err.contains("group `g`"), "{err}");
    assert!(err.contains("biomarkers[1].discordance") && err.contains("[heterogeneity]"), "{err}");
}

/// A utility above 1, or a word, is refused where it is written.
#[test]
fn a_bad_progression_free_utility_is_refused_with_its_location() {
    for (value, says) in [("1.5", "1.5"), ("\"high\"", "high")] {
        let set = format!("regimens.chemo.progression_free_utility = {value}");
        let err = match try_load(SCENARIO, &[set]) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted {value}"),
        };
        assert!(err.contains("regimens[2].progression_free_utility"), "{err}");
        assert!(err.contains(says) && err.contains("--set #1"), "{err}");
    }
}

/// The line table (lines.csv) against closed forms: who starts each line, who responds on it,
/// and the time on treatment, on `line_table.toml` (lines.toml with a response of 0.4 and a
/// discontinuation at x = 0.05 a month on the first line, a response of 0.7 on the targeted
/// second line, chemotherapy as bridging while a test is read, and a pathway whose third line
/// can be left for a break and entered again).
///
/// Closed forms (exponential, 60-year horizon cut below e^{−30}): the first line's treatment
/// ends at min(P, D, t₀ + Tₓ), so a starter's time on it is exponential with rate a₁ + b + x; a
/// second line's, with rate a + b (no discontinuation). Bridging runs from diagnosis until the
/// result, or progression or death on the waiting (chemotherapy) course:
/// E[min(τ, T)] = (1 − e^{−(a_c+b)τ})/(a_c + b), and the first line starts for e^{−(a_c+b)τ}.
/// In the pathway a progressed patient enters the third line with probability c/(c + d); each
/// stay there lasts an exponential time X of rate λ = e + g, of which the taxane (4 cycles of 21
/// days from each entry) is given for Y = min(X, w), w = 84 days; the stay is followed by a break
/// with probability p = g/(e + g) (independent of X: competing exponentials), and the break by
/// another stay with probability q = h/(h + k). So a starter's time on the third line is a sum
/// of N independent copies of Y, N geometric with E[N] = 1/(1 − pq) and Var N = pq/(1 − pq)²:
/// mean E[N]·E[Y] and variance E[N]·Var Y + Var N·E[Y]², with E[Y] = (1 − e^{−λw})/λ and
/// E[Y²] = 2(1 − e^{−λw}(1 + λw))/λ². The other times on treatment are exponential (their
/// standard deviation is their mean) but bridging, min(τ, T) with T of rate λ: the same
/// moments with w = τ. Standard errors follow.
#[test]
fn the_line_table_matches_closed_forms() {
    use vbpsim::analysis::lines::Line;
    const N: f64 = 200_000.0;
    let (scenario, sim) = crate::support::simulate(SCENARIO_TABLE, &[], &RunOptions::default());
    let model = &scenario.model;
    let Model { a1, b, at, ac, fit, q, tau, progress, reach, .. } = Model::new();
    let x = 0.05 * 12.0;
    let row = |strategy: &str, line: Line, regimen: &str| {
        let found = sim.lines.iter().find(|r| {
            model.strategies[r.strategy].name == strategy
                && r.line == line
                && model.regimens[r.regimen].name == regimen
        });
        found.unwrap_or_else(|| panic!("no {line:?} line on {regimen} in {strategy}"))
    };
    // (strategy, line, regimen, started, response, mean time on treatment)
    let bridged_start = (-(ac + b) * tau).exp();
    let second = progress * fit * reach;
    let [c, d, e, g, h, k] = [0.1, 0.2, 0.1, 0.15, 0.2, 0.2].map(|per_month| per_month * 12.0);
    let (p, r) = (g / (e + g), h / (h + k));
    let into_pathway = a1 / (a1 + b);
    // E[min(X, w)] and E[min(X, w)²] for X exponential of rate l.
    let capped = |l: f64, w: f64| {
        let first = (1.0 - (-l * w).exp()) / l;
        (first, 2.0 * (1.0 - (-l * w).exp() * (1.0 + l * w)) / (l * l))
    };
    let (y1, y2) = capped(e + g, 84.0 * DAY);
    let stays = 1.0 / (1.0 - p * r);
    let stays_var = p * r / (1.0 - p * r).powi(2);
    let taxane_sd = (stays * (y2 - y1 * y1) + stays_var * y1 * y1).sqrt();
    let (bridging, bridging2) = capped(ac + b, tau);
    let bridging_sd = (bridging2 - bridging * bridging).sqrt();
    let cases = [
        // No drugs: on the line until it ends.
        ("bsc", Line::First, "supportive", 1.0, Some(0.0), 1.0 / (0.3 * 12.0 + b)),
        ("sequence", Line::First, "first", 1.0, Some(0.4), 1.0 / (a1 + b + x)),
        ("sequence", Line::Second, "targeted", second * q, Some(0.7), 1.0 / (at + b)),
        ("sequence", Line::Second, "chemo", second * (1.0 - q), Some(0.0), 1.0 / (ac + b)),
        ("bridged", Line::Bridging, "chemo", 1.0, None, bridging),
        ("bridged", Line::First, "first", bridged_start, Some(0.4), 1.0 / (a1 + b + x)),
        // Nobody carries the acquired marker at diagnosis: a first line nobody starts.
        ("bridged", Line::First, "targeted", 0.0, None, f64::NAN),
        ("into_pathway", Line::First, "into_pathway", 1.0, Some(0.0), 1.0 / (a1 + b)),
        ("into_pathway", Line::Pathway, "taxane", into_pathway * c / (c + d), None, stays * y1),
    ];
    for (strategy, line, regimen, started, response, time) in cases {
        let got = row(strategy, line, regimen);
        let what = format!("{strategy}: {line:?} on {regimen}");
        let se = (started * (1.0 - started) / N).sqrt();
        check(got.started, started, se.max(1e-12), &format!("{what}: started"));
        let n = started * N;
        match (response, got.response) {
            (Some(want), Some(got)) => {
                let se = (want * (1.0 - want) / n).sqrt().max(1e-12);
                check(got, want, se, &format!("{what}: response"));
            }
            (None, None) => {}
            (want, got) => panic!("{what}: response {got:?}, expected {want:?}"),
        }
        let Some(got) = got.time_on_treatment else {
            assert_eq!(started, 0.0, "{what}: no time on treatment");
            continue;
        };
        let sd = match line {
            Line::Bridging => bridging_sd,
            Line::Pathway => taxane_sd,
            _ => time,
        };
        let se = sd / n.sqrt();
        // The sample standard deviation's relative error is about √((κ − 1)/4n) (κ the
        // kurtosis, 9 for an exponential): under 1 % with the fewest starters here (about
        // 23,000), so 5 % is over 4 of its standard errors.
        let mcse = got.mcse.expect("a standard error");
        assert!((mcse / se - 1.0).abs() < 0.05, "{what}: standard error {mcse} vs {se}");
        check(got.mean, time, se, &format!("{what}: time on treatment"));
    }
    // The pathway's treated state on its row: the pathway and the state are named.
    let taxane = row("into_pathway", Line::Pathway, "taxane");
    let (pathway, state) = taxane.state.expect("a pathway state");
    assert_eq!(model.pathways[pathway].name, "later");
    assert_eq!(model.pathways[pathway].states[state].name, "third_line");
    // Only lines a strategy can start are listed: no second line where none follows.
    assert!(
        !sim.lines
            .iter()
            .any(|r| model.strategies[r.strategy].name == "bsc" && r.line != Line::First)
    );
}
