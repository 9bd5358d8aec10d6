//! Combination partners (README "Combination partners"): shares of spend add to one, the
//! value-based spends add to the combination's spend plus the incremental NMB, and each
//! partner's threshold price, put back into the scenario with the other drugs at list, makes
//! the strategy's incremental NMB zero on the same patients.

use vbpsim::scenario;
use vbpsim::workflow::run::{RunOptions, simulate};

fn text(price_a: f64, price_b: f64) -> String {
    format!(
        r#"
[scenario]
name = "partners"
horizon = "15 years"
discount = {{ costs = 0.03, outcomes = 0.03 }}
patients = 50000
seed = 41
comparator = "mono"
thresholds = [100000, 200000]

[[regimens]]
name = "doublet"
drugs = [{{ name = "a", price = {price_a}, cycle = "21 days", max_cycles = 4 }}, {{ name = "b", price = {price_b}, cycle = "21 days" }}]
response = 0.6
progression = {{ responder = {{ dist = "exponential", rate = "0.04 per month" }}, non_responder = {{ dist = "exponential", rate = "0.2 per month" }} }}
death_before_progression = {{ dist = "exponential", rate = "0.01 per month" }}
after_progression = {{ survival = {{ dist = "exponential", rate = "0.1 per month" }} }}

[[regimens]]
name = "single"
drugs = [{{ name = "b", price = {price_b}, cycle = "21 days" }}]
response = 0.3
progression = {{ responder = {{ dist = "exponential", rate = "0.06 per month" }}, non_responder = {{ dist = "exponential", rate = "0.2 per month" }} }}
death_before_progression = {{ dist = "exponential", rate = "0.01 per month" }}
after_progression = {{ survival = {{ dist = "exponential", rate = "0.1 per month" }} }}

[states]
progression_free = {{ cost = "500 per month", utility = 0.8 }}
progressed = {{ cost = "1500 per month", utility = 0.5 }}

[[strategies]]
name = "mono"
default = "single"

[[strategies]]
name = "combination"
default = "doublet"
"#
    )
}

#[test]
fn partner_shares_and_threshold_prices_are_consistent() {
    let (a, b) = (6000.0, 3000.0);
    let s = scenario::parse("p.toml", &text(a, b)).unwrap();
    let sim = simulate(&s, &RunOptions::default(), &mut |_, _| {}).unwrap();
    // Only the strategy with a two-drug regimen has partner rows: 2 drugs × 2 thresholds.
    assert_eq!(sim.partners.len(), 4);
    assert!(sim.partners.iter().all(|r| r.strategy == 1));
    let combo = sim.summary.iter().find(|x| x.strategy == 1 && x.contract.is_none()).unwrap();
    for (k, _) in [100_000.0, 200_000.0].iter().enumerate() {
        let rows: Vec<_> = sim.partners.iter().filter(|r| r.threshold == [1e5, 2e5][k]).collect();
        let total: f64 = rows.iter().map(|r| r.spend).sum();
        let shares: f64 = rows.iter().map(|r| r.spend_share).sum();
        assert!((shares - 1.0).abs() < 1e-12);
        let value: f64 = rows.iter().map(|r| r.value_based_spend).sum();
        let inc = combo.inc_nmb[k].mean;
        assert_eq!(rows[0].inc_nmb, inc);
        assert!(
            (value - (total + inc).max(0.0)).abs() < 1e-6 * total,
            "{value} vs {total} + {inc}"
        );
        // Each partner at its threshold price, the other at list: incremental NMB zero. Drug a
        // is given only in the combination, so it has a price at both thresholds.
        assert!(rows.iter().any(|r| r.drug == 0 && r.threshold_price.is_some()));
        for r in &rows {
            let Some(p) = r.threshold_price else { continue };
            let (pa, pb) = if r.drug == 0 { (p, b) } else { (a, p) };
            let again = scenario::parse("p.toml", &text(pa, pb)).unwrap();
            let re = simulate(&again, &RunOptions::default(), &mut |_, _| {}).unwrap();
            let c = re.summary.iter().find(|x| x.strategy == 1 && x.contract.is_none()).unwrap();
            let scale = combo.cost.mean;
            assert!(
                c.inc_nmb[k].mean.abs() < 1e-6 * scale,
                "drug {} at {p}: incremental NMB {}",
                r.drug,
                c.inc_nmb[k].mean
            );
        }
    }
}

#[test]
fn no_combination_no_partner_rows() {
    let single = text(6000.0, 3000.0).replace(
        "drugs = [{ name = \"a\", price = 6000, cycle = \"21 days\", max_cycles = 4 }, { name = \"b\", price = 3000, cycle = \"21 days\" }]",
        "drugs = [{ name = \"a\", price = 6000, cycle = \"21 days\", max_cycles = 4 }]",
    );
    assert_ne!(single, text(6000.0, 3000.0));
    let s = scenario::parse("p.toml", &single).unwrap();
    let sim = simulate(&s, &RunOptions::default(), &mut |_, _| {}).unwrap();
    assert!(sim.partners.is_empty());
}
