//! Combination partners (docs, "Combination partners"): shares of spend add to one, the
//! value-based spends add to the combination's spend plus the incremental NMB, and each
//! partner's threshold price, put back into the scenario with the other drugs at list, makes
//! the strategy's incremental NMB zero on the same patients.

use crate::support::{load, run};
use vbpsim::workflow::run::RunOptions;

/// A doublet of drugs a (6,000 per cycle) and b (3,000) against b alone.
const PARTNERS: &str = "partners/partners.toml";

/// The --set arguments that price drug a at `price_a` and drug b at `price_b`.
fn prices(price_a: f64, price_b: f64) -> Vec<String> {
    vec![
        format!("regimens.doublet.drugs.a.price = {price_a}"),
        format!("regimens.doublet.drugs.b.price = {price_b}"),
        format!("regimens.single.drugs.b.price = {price_b}"),
    ]
}

#[test]
fn partner_shares_and_threshold_prices_are_consistent() {
    let (a, b) = (6000.0, 3000.0);
    let sim = run(&load(PARTNERS, &prices(a, b)), &RunOptions::default());
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
            let re = run(&load(PARTNERS, &prices(pa, pb)), &RunOptions::default());
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
    // An empty list replaces the doublet's drugs, then drug a alone is given again.
    let single = load(
        PARTNERS,
        &[
            "regimens.doublet.drugs = []".into(),
            r#"regimens.doublet.drugs = [{ name = "a", price = 6000, cycle = "21 days", max_cycles = 4 }]"#
                .into(),
        ],
    );
    assert_ne!(single.source.text, load(PARTNERS, &[]).source.text);
    let sim = run(&single, &RunOptions::default());
    assert!(sim.partners.is_empty());
}

/// `vbpsim price` without contracts: each drug's threshold price in the combination, the
/// other at list, put back into the scenario, zeroes the strategy's incremental NMB on the same
/// patients. A `list` contract on the drug (every regimen giving it) adds no arm, and its row's
/// threshold price, from the engine's units of the drug, is the same price.
#[test]
fn a_drug_priced_without_contracts_zeroes_the_incremental_nmb() {
    use vbpsim::analysis::contracts::ThresholdPrice;
    use vbpsim::analysis::partners::drug_prices;
    let (a, b) = (6000.0, 3000.0);
    let sim = run(&load(PARTNERS, &prices(a, b)), &RunOptions::default());
    let s = load(PARTNERS, &prices(a, b));
    let rows = drug_prices(&s.model, &sim.arms, &sim.summary);
    // The combination gives both drugs; the comparator (mono) is not priced.
    let drugs: Vec<usize> = rows.iter().map(|r| r.drug).collect();
    assert_eq!(drugs, [0, 1]);
    assert!(rows.iter().all(|r| r.strategy == 1));
    assert_eq!(rows[0].list_price, Some(a));
    assert_eq!(rows[1].list_price, Some(b));
    // Drug b is given in both strategies, more in the combination or not: either a price or
    // the status saying the incremental cost does not rise with it.
    let combo = sim.summary.iter().find(|x| x.strategy == 1 && x.contract.is_none()).unwrap();
    let mut priced = 0;
    for r in &rows {
        for (k, t) in r.at.iter().enumerate() {
            let ThresholdPrice::At(p) = *t else {
                assert_eq!(*t, ThresholdPrice::CostDoesNotRise, "drug {}", r.drug);
                continue;
            };
            priced += 1;
            let (pa, pb) = if r.drug == 0 { (p, b) } else { (a, p) };
            let re = run(&load(PARTNERS, &prices(pa, pb)), &RunOptions::default());
            let c = re.summary.iter().find(|x| x.strategy == 1 && x.contract.is_none()).unwrap();
            let nmb = c.inc_nmb[k].mean;
            assert!(nmb.abs() < 1e-6 * combo.cost.mean, "drug {} at {p}: {nmb}", r.drug);
        }
    }
    assert!(priced >= 2, "drug a has a price at both thresholds");

    // The same price from a `list` contract on drug a.
    let mut sets = prices(a, b);
    sets.push(r#"contracts = [{ name = "a_at_list", drug = "a", kind = "list" }]"#.into());
    let listed = run(&load(PARTNERS, &sets), &RunOptions::default());
    assert_eq!(listed.arms, sim.arms, "a list contract adds no arm");
    // The same arms' results (the contract adds only its own zero cost categories).
    let results = |x: &vbpsim::analysis::cea::ArmSummary| (x.cost, x.qaly, x.inc_nmb.clone());
    let same = listed.summary.iter().zip(&sim.summary).all(|(x, y)| results(x) == results(y));
    assert!(same, "a list contract moves no arm");
    let row = &listed.contracts[0];
    let list_arm = sim.arms.iter().position(|x| x.strategy == 1 && x.contract.is_none());
    assert_eq!((Some(row.arm), listed.contracts.len()), (list_arm, 1));
    assert_eq!(row.paid, row.list_spend);
    for (k, t) in rows[0].at.iter().enumerate() {
        let (ours, theirs) = (t.price().unwrap(), row.threshold_price[k].price().unwrap());
        assert!((ours - theirs).abs() <= 1e-9 * theirs, "{ours} vs {theirs}");
    }
}

/// The command prints those prices for a scenario without contracts (it refused one before).
#[test]
fn price_without_contracts_prints_each_drug() {
    use crate::support::{expect, fixture, text_of, vbpsim};
    let out = expect(vbpsim().arg("price").arg(fixture(PARTNERS)), 0);
    let text = text_of(&out.stdout);
    assert!(text.contains("no contracts: each drug priced with every other at list"), "{text}");
    for drug in ["(a in doublet; list 6,000.00 USD): at 100,000: ", "(b in doublet, single; "] {
        assert!(text.contains(&format!("combination {drug}")), "{drug}: {text}");
    }
}
