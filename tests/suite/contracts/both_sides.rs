//! Contracts on both sides (`scenario.comparator_contract`): under `"same"` (the default) a
//! contract arm is compared with the comparator under the same contract where the comparator
//! gives the contracted drug; under `"list"` with the comparator at list. Checked against an
//! independent computation: a discount of 25 % on every cycle of drug x is the drug at 75 % of
//! its list price, so under `"same"` the contract arm's increments, standard errors, ICER and
//! decision set are those of the list arms of a scenario without contracts and x repriced.

use crate::support::{load, simulate};
use vbpsim::analysis::cea::ArmSummary;
use vbpsim::model::Arm;
use vbpsim::workflow::run::{RunOptions, Simulation};

const FILE: &str = "contracts/both_sides.toml";
const BASE: &str = "contracts/both_sides_base.toml";
/// Strategies: the comparator test_treat (x for its M+ patients), then all_targeted.
const COMPARATOR: usize = 0;
const NEW: usize = 1;

fn arm(sim: &Simulation, strategy: usize, contract: Option<usize>) -> &ArmSummary {
    let i = sim.arms.iter().position(|a| *a == Arm { strategy, contract }).unwrap();
    &sim.summary[i]
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0), "{what}: {a} vs {b}");
}

#[test]
fn a_discount_on_both_sides_is_a_lower_list_price_on_both_sides() {
    let (s, sim) = simulate(FILE, &[], &RunOptions::default());
    let d25 = s.model.contracts.iter().position(|c| c.name == "d25");
    let repriced = ["regimens.targeted.drugs.x.price = 6750.0".to_string()];
    let (_, low) = simulate(BASE, &repriced, &RunOptions::default());
    let (ours, theirs) = (arm(&sim, NEW, d25), arm(&low, NEW, None));
    // The reference is the comparator under the same contract: its own reference.
    let reference = sim.arms.iter().position(|a| *a == Arm { strategy: COMPARATOR, contract: d25 });
    assert_eq!(Some(ours.reference), reference);
    assert_eq!(arm(&sim, COMPARATOR, d25).icer_status.as_str(), "comparator");
    close(ours.inc_cost.mean, theirs.inc_cost.mean, "incremental cost");
    close(ours.inc_cost.mcse.unwrap(), theirs.inc_cost.mcse.unwrap(), "its standard error");
    assert_eq!(ours.inc_qaly, theirs.inc_qaly, "incremental QALYs");
    close(ours.icer.unwrap(), theirs.icer.unwrap(), "ICER");
    for k in 0..2 {
        let (a, b) = (&ours.inc_nmb[k], &theirs.inc_nmb[k]);
        close(a.mean, b.mean, "incremental NMB");
        close(a.mcse.unwrap(), b.mcse.unwrap(), "its standard error");
    }
    // The contract's decision set holds both sides under the contract; its frontier is the
    // repriced list set's.
    let set = sim.decision.sets.iter().find(|x| x.set.contract == d25).unwrap();
    let named: Vec<Arm> = set.set.arms.iter().map(|&a| sim.arms[a]).collect();
    assert_eq!(named, [Arm { strategy: 0, contract: d25 }, Arm { strategy: 1, contract: d25 }]);
    let list = &low.decision.sets[0];
    for (a, b) in set.frontier.iter().zip(&list.frontier) {
        assert_eq!((a.index, a.status), (b.index, b.status));
        match (a.icer, b.icer) {
            (Some(x), Some(y)) => close(x, y, "frontier ICER"),
            (x, y) => assert_eq!(x, y),
        }
    }
}

#[test]
fn the_threshold_price_moves_the_drug_on_both_sides() {
    // At the threshold price of x under d25 (both sides discounted), the incremental NMB is 0.
    let (s, sim) = simulate(FILE, &[], &RunOptions::default());
    let d25 = s.model.contracts.iter().position(|c| c.name == "d25").unwrap();
    let new = Arm { strategy: NEW, contract: Some(d25) };
    let row = sim.contracts.iter().find(|r| sim.arms[r.arm] == new).unwrap();
    assert_eq!(row.contract, d25);
    for (k, lambda) in [50_000.0, 150_000.0].into_iter().enumerate() {
        let price = row.threshold_price[k].price().unwrap();
        let at = [format!("regimens.targeted.drugs.x.price = {price:?}")];
        let (_, again) = simulate(FILE, &at, &RunOptions::default());
        let nmb = arm(&again, NEW, Some(d25)).inc_nmb[k].mean;
        let scale = lambda * arm(&again, NEW, Some(d25)).inc_qaly.mean.abs();
        assert!(nmb.abs() <= 1e-9 * scale, "λ = {lambda}: NMB {nmb} at price {price}");
    }
}

#[test]
fn comparator_contract_list_keeps_the_comparator_at_list_everywhere() {
    let list = ["scenario.comparator_contract = \"list\"".to_string()];
    let (s, sim) = simulate(FILE, &list, &RunOptions::default());
    let (_, same) = simulate(FILE, &[], &RunOptions::default());
    let comparator_list = sim.arms.iter().position(|a| *a == Arm { strategy: 0, contract: None });
    for (c, contract) in s.model.contracts.iter().enumerate() {
        let ours = arm(&sim, NEW, Some(c));
        assert_eq!(Some(ours.reference), comparator_list, "{}", contract.name);
        let comparator = arm(&sim, COMPARATOR, None);
        close(ours.inc_cost.mean, ours.cost.mean - comparator.cost.mean, &contract.name);
        // Against the comparator at list the arm looks cheaper by what the contract saves
        // on the comparator's own patients.
        let theirs = arm(&same, NEW, Some(c));
        let saved = comparator.cost.mean - arm(&same, COMPARATOR, Some(c)).cost.mean;
        assert!(saved > 0.0, "{}: the contract saves on the comparator", contract.name);
        close(theirs.inc_cost.mean - ours.inc_cost.mean, saved, &contract.name);
        // The comparator's own contract arm is compared with its list arm.
        assert_eq!(arm(&sim, COMPARATOR, Some(c)).reference, comparator_list.unwrap());
        let set = sim.decision.sets.iter().find(|x| x.set.contract == Some(c)).unwrap();
        assert_eq!(set.set.arms[0], comparator_list.unwrap());
    }
    // The budget impact's world without the new strategy: the comparator at list, as in the
    // list column; under "same" the comparator under the contract spends less.
    let without = |sim: &Simulation, contract: Option<usize>| -> f64 {
        let rows = sim.budget.iter().filter(|r| r.contract == contract && r.category.is_none());
        rows.map(|r| r.without).sum()
    };
    for c in 0..s.model.contracts.len() {
        assert_eq!(without(&sim, Some(c)), without(&sim, None));
        assert!(without(&same, Some(c)) < without(&same, None));
    }
}

#[test]
fn a_cohort_contract_on_both_sides_settles_alike_in_one_pass_and_in_two() {
    // The price-volume agreement waits for each population's volume on both sides before the
    // difference is taken: the one-pass schedule pairs the pending settlements, the two-pass
    // one pairs settled differences; the sums agree to the last bit.
    let s = load(FILE, &[]);
    crate::cohort::one_and_two_passes_agree(&s, "price-volume on both sides");
    let (s, sim) = simulate(FILE, &[], &RunOptions::default());
    let pv = s.model.contracts.iter().position(|c| c.name == "pv");
    let (ours, theirs) = (arm(&sim, NEW, pv), arm(&sim, COMPARATOR, pv));
    close(ours.inc_cost.mean, ours.cost.mean - theirs.cost.mean, "paired increment");
    assert_eq!(theirs.icer_status.as_str(), "comparator");
}
