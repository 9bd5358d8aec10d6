//! A contract covers the regimens it names (`regimens = [...]`): its drug given in another
//! regimen, at that regimen's own price, stays outside the contract, exactly as if it were
//! another drug; the threshold price is the drug's price in the covered regimens; a drug given
//! in pathway states (crossover at progression) is paid there, outside the contract, unless
//! the contract names the state's regimen too.

use crate::support::{simulate, try_load};
use vbpsim::workflow::run::RunOptions;
use vbpsim::workflow::run::Simulation;

/// Three strategies and one contract of every per-patient kind on drug x (see the file).
const VBP: &str = "contracts/vbp.toml";

/// The contracts of vbp.toml, each told to cover regimen `targeted` only.
fn covering_targeted() -> Vec<String> {
    ["disc", "mb", "mb_cap", "rr", "par", "dcap", "inst", "lst"]
        .iter()
        .map(|c| format!(r#"contracts.{c}.regimens = ["targeted"]"#))
        .collect()
}

/// vbp.toml with chemotherapy also giving two cycles of `drug` at 100 a week (a cheaper,
/// indication-specific price when `drug` is x), contracts covering `targeted`, and `extra`.
fn chemo_also_gives(drug: &str, comparator: &str, extra: &[String]) -> Vec<String> {
    let mut sets = vec![
        format!(
            r#"regimens.chemo.drugs = [{{ name = "{drug}", price = 100, cycle = "7 days", max_cycles = 2 }}]"#
        ),
        format!(r#"scenario.comparator = "{comparator}""#),
    ];
    sets.extend(covering_targeted());
    sets.extend_from_slice(extra);
    sets
}

/// Equal but for the order of a sum: the arms' means add the same payments, which the two
/// scenarios hold in differently ordered cost categories (x or y), so they may differ in the
/// last bits.
fn same_sum(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-12 * a.abs().max(b.abs()), "{what}: {a} vs {b}");
}

/// The message of a scenario that must be refused.
fn refusal(loaded: Result<vbpsim::scenario::Scenario, vbpsim::scenario::LoadError>) -> String {
    match loaded {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted"),
    }
}

/// Every number a contract or an arm reports, side by side.
fn assert_same_results(a: &Simulation, b: &Simulation, what: &str) {
    assert_eq!(a.arms, b.arms, "{what}: arms");
    for (i, (x, y)) in a.summary.iter().zip(&b.summary).enumerate() {
        same_sum(x.cost.mean, y.cost.mean, &format!("{what}: cost of arm {i}"));
        assert_eq!(x.qaly.mean, y.qaly.mean, "{what}: QALYs of arm {i}");
        same_sum(x.inc_cost.mean, y.inc_cost.mean, &format!("{what}: incremental cost, arm {i}"));
    }
    assert_eq!(a.contracts.len(), b.contracts.len(), "{what}: contract rows");
    for (x, y) in a.contracts.iter().zip(&b.contracts) {
        assert_eq!(x.list_spend, y.list_spend, "{what}: list spend, arm {}", x.arm);
        assert_eq!(x.paid, y.paid, "{what}: paid, arm {}", x.arm);
        assert_eq!(x.refunds, y.refunds, "{what}: refunds, arm {}", x.arm);
        assert_eq!(x.treated_share, y.treated_share, "{what}: treated, arm {}", x.arm);
        assert_eq!(x.threshold_price, y.threshold_price, "{what}: threshold price, arm {}", x.arm);
    }
}

/// Drug x at its own price in chemotherapy, outside the contracts, settles exactly as a
/// different drug y would: same costs, contract rows and threshold prices, for both
/// comparators (the test-and-treat comparator gives chemotherapy's x to its M− patients).
#[test]
fn a_drug_outside_the_regimens_a_contract_covers_is_settled_as_another_drug() {
    for comparator in ["chemo", "test_treat"] {
        let (_, same) =
            simulate(VBP, &chemo_also_gives("x", comparator, &[]), &RunOptions::default());
        let (_, other) =
            simulate(VBP, &chemo_also_gives("y", comparator, &[]), &RunOptions::default());
        assert_same_results(&same, &other, comparator);
        // The chemotherapy strategy gives x but no covered regimen: no contract arm.
        assert!(same.arms.iter().all(|a| a.strategy != 0 || a.contract.is_none()));
        assert!(same.contracts.len() >= 8, "{}", same.contracts.len());
    }
}

/// Two contracts on one drug covering different regimens settle different exposures of the same
/// patient (they share nothing): a contract on chemotherapy's x, listed after the contracts on
/// targeted's, settles exactly as a contract on a drug y of chemotherapy would.
#[test]
fn contracts_on_one_drug_covering_different_regimens_settle_their_own_lines() {
    let on_chemo = |drug: &str, regimens: &str| {
        format!(
            r#"contracts = [{{ name = "mb_chemo", drug = "{drug}", kind = "money_back", failure = "progression", window = "2 weeks", refund = 1.0{regimens} }}]"#
        )
    };
    for comparator in ["chemo", "test_treat"] {
        let same = chemo_also_gives("x", comparator, &[on_chemo("x", r#", regimens = ["chemo"]"#)]);
        let other = chemo_also_gives("y", comparator, &[on_chemo("y", "")]);
        let (_, same) = simulate(VBP, &same, &RunOptions::default());
        let (_, other) = simulate(VBP, &other, &RunOptions::default());
        assert_same_results(&same, &other, comparator);
        let chemo = same.contracts.iter().filter(|k| k.contract == 8).collect::<Vec<_>>();
        assert_eq!(chemo.len(), 2, "mb_chemo has an arm in chemo and test_treat");
        assert!(chemo.iter().all(|k| k.list_spend > 0.0 && k.refunds > 0.0));
    }
}

/// The threshold price is the drug's price in the regimens the contract covers: put back into
/// `targeted` alone (chemotherapy's x stays at 100), it gives the threshold ICER, for linear
/// terms (closed form) and for the capped money-back guarantee (searched by re-simulation).
#[test]
fn the_threshold_price_is_the_price_in_the_covered_regimens() {
    let thresholds = [50000.0, 150000.0];
    let comparator = "test_treat";
    let (s, sim) = simulate(VBP, &chemo_also_gives("x", comparator, &[]), &RunOptions::default());
    let comp = s.model.strategies.iter().position(|st| st.name == comparator).unwrap();
    let mut checked = 0;
    for k in &sim.contracts {
        let name = &s.model.contracts[k.contract].name;
        if sim.arms[k.arm].strategy == comp {
            continue; // against its own list arm: no QALY difference
        }
        for (li, &lambda) in thresholds.iter().enumerate() {
            let price = k.threshold_price[li]
                .price()
                .unwrap_or_else(|| panic!("{name}: no threshold price at {lambda}"));
            let repriced = [format!("regimens.targeted.drugs.x.price = {price:?}")];
            let sets = chemo_also_gives("x", comparator, &repriced);
            let (again, resim) = simulate(VBP, &sets, &RunOptions::default());
            let chemo = again.model.regimens.iter().find(|r| r.name == "chemo").unwrap();
            assert_eq!(again.model.values[chemo.drugs[1].price.0 as usize], 100.0);
            let icer = resim.summary[k.arm].icer.unwrap_or_else(|| panic!("{name}: no ICER"));
            assert!(
                (icer - lambda).abs() <= 1e-6 * lambda,
                "{name} at price {price}: ICER {icer} vs λ {lambda}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 2 * 8, "{checked}");
}

/// What a contract covers is checked where it is written.
#[test]
fn bad_coverage_is_refused_with_its_location() {
    let cases: [(&[&str], &str); 6] = [
        (
            &[r#"contracts.disc.regimens = ["chemo"]"#],
            "expected a regimen that gives drug `x`, found `chemo`",
        ),
        (&[r#"contracts.disc.regimens = ["targetted"]"#], "did you mean `targeted`?"),
        (&[r#"contracts.disc.regimens = []"#], "expected at least one regimen name"),
        (
            &[r#"contracts.disc.regimens = ["targeted", "targeted"]"#],
            "expected each regimen once, found `targeted` twice",
        ),
        (&[r#"contracts.disc.regimens = "targeted""#], "expected an array"),
        // Two prices in the regimens a contract covers (by default, all that give the drug).
        (
            &[
                r#"regimens.chemo.drugs = [{ name = "x", price = 100, cycle = "7 days", max_cycles = 2 }]"#,
            ],
            "name the regimens the contract covers",
        ),
    ];
    for (sets, message) in cases {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let err = match try_load(VBP, &sets) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {sets:?}"),
        };
        assert!(err.contains(message), "{sets:?}: {err}");
        assert!(err.contains("vbp.toml:") || err.contains("--set #"), "no location: {err}");
    }
    // No strategy treats with the covered regimen: the contract would have no arm.
    let sets = [
        r#"strategies.all_targeted.default = "chemo""#.to_string(),
        r#"strategies.test_treat.rules = [{ positive = "M", treat = "chemo" }]"#.to_string(),
        r#"contracts.disc.regimens = ["targeted"]"#.to_string(),
    ];
    let err = refusal(try_load(VBP, &sets));
    assert!(
        err.contains("no strategy treats with a regimen the contract covers (`targeted`)"),
        "{err}"
    );
    // ... and the contracts that name none: no strategy gives their drug at all.
    assert!(err.contains("no strategy gives drug `x`"), "{err}");
}

/// An illness-death pathway after progression whose second-line state gives `docetaxel`.
const PATHWAY: &str = "pathways/illness_death.toml";

/// The pathway's second-line state also gives `drug` at 1500 a cycle, and a 20 % discount on
/// the first-line drug covers the two first lines (`regimens`, when given).
fn crossover(drug: &str, regimens: bool) -> Vec<String> {
    let covered = if regimens { r#", regimens = ["first_reset", "first_forward"]"# } else { "" };
    vec![
        "scenario.patients = 20000".to_string(),
        format!(
            r#"regimens.docetaxel.drugs = [{{ name = "{drug}", price = 1500, cycle = "21 days", max_cycles = 4 }}]"#
        ),
        format!(
            r#"contracts = [{{ name = "disc", drug = "first_drug", kind = "discount", discount = 0.2{covered} }}]"#
        ),
    ]
}

/// Crossover: the first-line drug given again in a pathway state, at its own price there, is
/// paid outside a contract covering the first lines, exactly as another drug would be; the
/// discount takes 20 % off the covered spend alone. Without `regimens` the contract is refused
/// (it could not say whether it covers the pathway state); naming the state's regimen covers
/// its courses.
#[test]
fn a_drug_given_again_in_a_pathway_state_is_paid_outside_the_contract() {
    let (s, again) = simulate(PATHWAY, &crossover("first_drug", true), &RunOptions::default());
    let summary = vbpsim::scenario::describe::summary(&s);
    assert!(
        summary.contains("disc: discount on first_drug in first_reset, first_forward (2 arms)"),
        "{summary}"
    );
    let (_, other) = simulate(PATHWAY, &crossover("other_drug", true), &RunOptions::default());
    assert_same_results(&again, &other, "crossover");
    assert_eq!(again.contracts.len(), 2, "one discount arm per strategy");
    for k in &again.contracts {
        assert!(k.list_spend > 0.0);
        let want = 0.8 * k.list_spend;
        assert!((k.paid - want).abs() <= 1e-12 * want, "paid {} vs 0.8 × {}", k.paid, k.list_spend);
        assert_eq!(k.refunds, 0.0);
    }
    let err = match try_load(PATHWAY, &crossover("first_drug", false)) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a contract on a drug also given in a pathway state names its regimens"),
    };
    assert!(err.contains("expected the regimens the contract covers to be named"), "{err}");
    assert!(err.contains("state `second_line` of pathway `reset`"), "{err}");
    // A covered first line that is also a pathway state's regimen: each stay in the state is a
    // course the contract settles too, and the discount still takes 20 % of every covered
    // payment (tests/suite/contracts/pathway_courses.rs has the closed forms).
    let mut sets = crossover("first_drug", true);
    sets.push(r#"pathways.forward.states = [{ name = "second_line", utility = 0.7, regimen = "first_forward" }]"#.into());
    let (_, both) = simulate(PATHWAY, &sets, &RunOptions::default());
    let forward = |sim: &Simulation| {
        let row = sim.contracts.iter().find(|k| sim.arms[k.arm].strategy == 1);
        row.map(|k| (k.list_spend, k.paid)).unwrap()
    };
    let ((list, paid), (first_only, _)) = (forward(&both), forward(&again));
    assert!((paid - 0.8 * list).abs() <= 1e-12 * list, "paid {paid} vs 0.8 × {list}");
    assert!(list > first_only, "the state's courses add covered spend: {list} vs {first_only}");
    // A treatment given only in pathway states can be covered: each strategy reaching the
    // state gets the contract's arm.
    let mut sets = crossover("first_drug", false);
    sets[2] = r#"contracts = [{ name = "disc", drug = "first_drug", kind = "discount", discount = 0.2, regimens = ["docetaxel"] }]"#.into();
    let (_, later) = simulate(PATHWAY, &sets, &RunOptions::default());
    assert_eq!(later.contracts.len(), 2, "one discount arm per strategy");
    for k in &later.contracts {
        assert!(k.list_spend > 0.0 && (k.paid - 0.8 * k.list_spend).abs() <= 1e-12 * k.paid);
    }
}

/// The bundled default scenario, whose comparator gives osimertinib again after chemotherapy.
const DEFAULT: &str = "../../scenarios/nsclc_egfr.toml";

/// Cohort-level contracts (an expenditure cap and price-volume tiers) covering first-line
/// osimertinib, and the budget impact: the crossover's osimertinib settles as a different drug
/// would (the same surveys, refund fractions, cohort rows and yearly budget totals).
#[test]
fn cohort_contracts_and_the_budget_follow_coverage() {
    let cohort = [
        "scenario.patients = 20000".to_string(),
        "payer.population = 500".to_string(),
        r#"contracts = [{ name = "cap", drug = "osimertinib", regimens = ["osimertinib"], kind = "expenditure_cap", cap = 4000000, years = 3 }, { name = "pv", drug = "osimertinib", regimens = ["osimertinib"], kind = "price_volume", tiers = [{ above = 20, pay = 0.8 }], years = 3 }]"#.to_string(),
    ];
    let mut renamed = cohort.to_vec();
    renamed.push("regimens.osimertinib_after_chemo.drugs = []".into());
    renamed.push(
        r#"regimens.osimertinib_after_chemo.drugs = [{ name = "osi2", cycle = "30 days", price = "osi_price" }]"#
            .into(),
    );
    let (_, same) = simulate(DEFAULT, &cohort, &RunOptions::default());
    let (_, other) = simulate(DEFAULT, &renamed, &RunOptions::default());
    assert_same_results(&same, &other, "cohort");
    assert!(same.cohort.len() >= 6, "{}", same.cohort.len());
    for (a, b) in same.cohort.iter().zip(&other.cohort) {
        assert_eq!(a.patients_treated, b.patients_treated);
        assert_eq!(a.drug_spend, b.drug_spend);
        assert_eq!(a.refund, b.refund);
    }
    let totals = |sim: &Simulation| -> Vec<(Option<usize>, usize, f64, f64)> {
        let rows = sim.budget.iter().filter(|r| r.category.is_none());
        rows.map(|r| (r.contract, r.year, r.with, r.without)).collect()
    };
    let (a, b) = (totals(&same), totals(&other));
    assert!(!a.is_empty() && a.len() == b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((x.0, x.1), (y.0, y.1));
        same_sum(x.2, y.2, "budget with");
        same_sum(x.3, y.3, "budget without");
    }
}
