//! The threshold (value-based) price gives the threshold ICER; a contracted drug with two list
//! prices is refused; window ends are the same however they are written.

use crate::support::{layered_text, simulate, try_load};
use vbpsim::workflow::run::RunOptions;

/// Three strategies and one contract of every per-patient kind on drug x, 9,000.0 per cycle;
/// `vbp(price, comparator)` gives another price and comparator with --set.
const VBP: &str = "contracts/vbp.toml";

fn vbp(price: f64, comparator: &str) -> Vec<String> {
    vec![
        format!("regimens.targeted.drugs.x.price = {price:?}"),
        format!("scenario.comparator = \"{comparator}\""),
    ]
}

#[test]
fn threshold_price_gives_the_threshold_icer() {
    let thresholds = [50000.0, 150000.0];
    let mut checked = 0;
    for comparator in ["chemo", "test_treat"] {
        let (s, sim) = simulate(VBP, &vbp(9000.0, comparator), &RunOptions::default());
        let comp = s.model.strategies.iter().position(|st| st.name == comparator).unwrap();
        for k in &sim.contracts {
            let name = &s.model.contracts[k.contract].name;
            let arm = sim.arms[k.arm];
            if arm.strategy == comp {
                continue; // against its own list arm: no QALY difference
            }
            for (li, &lambda) in thresholds.iter().enumerate() {
                let price = k.threshold_price[li].price().unwrap_or_else(|| {
                    panic!("{comparator}: {name}: no threshold price at {lambda}")
                });
                assert!(price > 0.0, "{comparator}: {name}: threshold price {price} at {lambda}");
                let (_, again) = simulate(VBP, &vbp(price, comparator), &RunOptions::default());
                assert_eq!(again.arms, sim.arms);
                let row = &again.summary[k.arm];
                let icer =
                    row.icer.unwrap_or_else(|| panic!("{comparator}: {name}: no ICER at {price}"));
                assert!(
                    (icer - lambda).abs() <= 1e-6 * lambda,
                    "{comparator}: {name} at price {price}: ICER {icer} vs λ {lambda}"
                );
                // Same patients: QALYs do not depend on the price.
                assert_eq!(row.inc_qaly.mean, sim.summary[k.arm].inc_qaly.mean);
                checked += 1;
            }
        }
    }
    assert!(checked >= 2 * 2 * 8, "{checked}");
}

/// A contracted drug needs one list price (regression: with two prices the threshold price
/// depended on the order of the regimens). Two prices are refused with the location.
#[test]
fn a_contracted_drug_with_two_prices_is_refused() {
    // Drug x added to the chemotherapy regimen's drugs (appended by name).
    let sets = [
        r#"regimens.chemo.drugs = [{ name = "x", price = 100, cycle = "7 days", max_cycles = 2 }]"#
            .to_string(),
    ];
    let loaded = try_load(VBP, &sets);
    let text = layered_text(&loaded);
    assert!(text.contains(r#"{ name = "x", price = 100"#), "the edit applied");
    let err = match loaded {
        Ok(_) => panic!("a contracted drug with two prices must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("a contracted drug needs one list price"), "{err}");
}

/// A failure found by the scan on the window's last day is not before the window, whatever the
/// rounding of the two dates (regression: "12 weeks" and "84 days" gave different refunds with
/// 4-weekly scans).
#[test]
fn window_ends_are_the_same_however_they_are_written() {
    // Scans every 4 weeks; a money-back window and a response rebate's date of 12 weeks.
    let fixture = "contracts/window_ends.toml";
    let (_, weeks) = simulate(fixture, &[], &RunOptions::default());
    let days = [
        "contracts.mb_w.window = \"84 days\"".to_string(),
        "contracts.rr_w.assess_at = \"84 days\"".to_string(),
    ];
    let (_, days) = simulate(fixture, &days, &RunOptions::default());
    assert!(weeks.contracts.len() >= 2);
    for (a, b) in weeks.contracts.iter().zip(&days.contracts) {
        assert_eq!(a.refunds, b.refunds);
        assert_eq!(a.triggered_share, b.triggered_share);
    }
}
