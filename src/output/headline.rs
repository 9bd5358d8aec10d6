//! The decision in words: the lines the console's closing summary prints and the report's
//! "Decision" section shows, from [`crate::analysis::headline::Headline`]. Numbers are
//! rounded for reading, with thousands separators; the CSVs keep every digit.

use crate::analysis::contracts::ThresholdPrice;
use crate::analysis::decision::Basis;
use crate::analysis::results::Results;
use crate::model::Model;

use super::tables::grouped;

/// A share as a percentage (`0.8204` → `82 %`).
fn percent(x: f64) -> String {
    format!("{} %", grouped(100.0 * x, 0))
}

/// A threshold price in words.
fn price_words(t: ThresholdPrice, currency: &str) -> String {
    match t {
        ThresholdPrice::At(p) => format!("{} {currency}", grouped(p, 0)),
        ThresholdPrice::NotEvenFree => "none (not cost-effective even free)".into(),
        ThresholdPrice::AnyPrice => "any price (the payer's cost stops rising with it)".into(),
        ThresholdPrice::CostDoesNotRise => {
            "none (the arm's cost does not rise with the price)".into()
        }
        ThresholdPrice::NotSearched => "not computed".into(),
    }
}

/// The decision's lines: a heading naming the bases, one line per threshold (the best strategy
/// at list prices), where the decision changes, each contract arm's value-based price against
/// its list price, the contract arms as the payer and the manufacturer rank them, and the budget
/// impact.
pub fn lines(model: &Model, r: &Results) -> Vec<String> {
    let h = &r.headline;
    let currency = &model.meta.currency;
    let strategy = |i: usize| model.strategies[r.arms[i].strategy].name.clone();
    // A contract arm by its contract's name, or with its strategy when the contract covers
    // several strategies' arms.
    let contract_arm = |row: usize| {
        let c = r.contracts[row].contract;
        let arm = r.arms[r.contracts[row].arm];
        if r.contracts.iter().filter(|x| x.contract == c).count() > 1 {
            model.arm_name(arm.strategy, Some(c))
        } else {
            model.contracts[c].name.clone()
        }
    };
    let basis = match h.basis {
        Basis::Deterministic => "the base case".to_string(),
        Basis::Probabilistic => format!("means over {} PSA samples", r.psa.len()),
    };
    let mut out = vec![format!(
        "Decision ({basis}{}):",
        if r.contracts.is_empty() { "" } else { "; prices and rankings from the base case" }
    )];
    // Before any probability: whether the PSA's probabilities can be read at all.
    if let Some(n) =
        r.noise.as_ref().filter(|n| n.share > crate::analysis::results::NOISE_UNRELIABLE)
    {
        let more = n.suggested_patients.map_or("many more".to_string(), |p| format!("about {p}"));
        out.push(format!(
            "  CAUTION: the probabilities below are not reliable: patient-level noise is {:.0} % of the PSA variance of {}'s incremental NMB at {} {currency}/QALY; simulate {more} patients per sample",
            100.0 * n.share,
            n.arm,
            grouped(n.threshold, 0)
        ));
    }
    for t in &h.thresholds {
        let mut line = format!(
            "  at {} {currency}/QALY: {} is best at list prices (net monetary benefit {} {currency} per patient",
            grouped(t.lambda, 0),
            strategy(t.best),
            grouped(t.nmb, 0)
        );
        if let Some(p) = t.probability {
            line.push_str(&format!("; best in {} of the samples", percent(p)));
        }
        line.push(')');
        out.push(line);
    }
    match h.switches.as_slice() {
        [] => {}
        [(only, _)] => out.push(format!(
            "  {} is best at any willingness to pay (it dominates)",
            strategy(*only)
        )),
        [_, rest @ ..] => {
            for &(a, l) in rest {
                out.push(format!(
                    "  {} becomes best above {} {currency}/QALY (its ICER on the efficiency frontier)",
                    strategy(a),
                    grouped(l, 0)
                ));
            }
        }
    }
    for p in &h.prices {
        let row = &r.contracts[p.row];
        // One status for every threshold without a price is said once.
        let same = p.at.windows(2).all(|w| w[0].0 == w[1].0);
        let at: Vec<String> = match p.at.first() {
            Some(&(t, None)) if same => {
                vec![format!("{} at every threshold", price_words(t, currency))]
            }
            _ => (model.meta.thresholds.iter().zip(&p.at))
                .map(|(l, &(t, discount))| {
                    let mut s = format!("{} at {}", price_words(t, currency), grouped(*l, 0));
                    if let Some(d) = discount {
                        let word = if d >= 0.0 { "below" } else { "above" };
                        s.push_str(&format!(" ({} {word} list)", percent(d.abs())));
                    }
                    s
                })
                .collect(),
        };
        out.push(format!(
            "  value-based price of {} under {} (list {} {currency} per cycle): {}",
            model.drugs[model.contracts[row.contract].drug],
            contract_arm(p.row),
            grouped(p.list, 0),
            at.join(", ")
        ));
    }
    if !r.contracts.is_empty() {
        for (k, t) in h.thresholds.iter().enumerate() {
            let order: Vec<String> = (t.payer_order.iter())
                .map(|&i| {
                    let nmb = r.summary[r.contracts[i].arm].inc_nmb[k].mean;
                    format!("{} {}", contract_arm(i), grouped(nmb, 0))
                })
                .collect();
            out.push(format!(
                "  payer's ranking at {} {currency}/QALY (incremental net monetary benefit per patient): {}",
                grouped(t.lambda, 0),
                order.join(" > ")
            ));
        }
        let order: Vec<String> = (h.manufacturer_order.iter())
            .map(|&i| {
                let revenue = r.contracts[i].manufacturer_net_revenue;
                format!("{} {}", contract_arm(i), grouped(revenue, 0))
            })
            .collect();
        out.push(format!(
            "  manufacturer's ranking (net revenue per patient, {currency}): {}",
            order.join(" > ")
        ));
    }
    if let (Some(b), Some(h)) = (&model.budget, &r.budget_headline) {
        out.push(format!(
            "  adopting {} at list price changes the payer's spend by {} {currency} over {} years (undiscounted; {} in year 1, {} in year {})",
            model.strategies[b.strategy].name,
            grouped(h.total, 0),
            b.years,
            grouped(h.net.first().copied().unwrap_or(0.0), 0),
            grouped(h.net.last().copied().unwrap_or(0.0), 0),
            b.years
        ));
    }
    out
}
