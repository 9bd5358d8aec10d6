//! The decision at a glance (the console's closing summary and report.html's "Decision"):
//! every number it states equals the folder's CSVs', recomputed here from them: the best
//! strategy at list prices at each threshold from psa.csv's per-sample means (the highest mean
//! NMB, and the share of samples in which it has the highest NMB), where the decision changes
//! from frontier.csv's ICERs, the value-based prices and the rankings from contracts.csv.

use crate::support::{csv_rows as rows, expect, text_of, vbpsim};
use std::collections::HashMap;

type Row = HashMap<String, String>;

fn number(r: &Row, column: &str) -> f64 {
    r[column].parse().unwrap_or_else(|_| panic!("{column}: {}", r[column]))
}

/// `x` as the summary writes it: rounded, commas between thousands.
fn grouped(x: f64) -> String {
    vbpsim::output::tables::grouped(x, 0)
}

#[test]
fn the_decision_summary_states_the_folders_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let run = expect(
        vbpsim()
            .args(["run", "--patients", "2000", "--samples", "40", "--threads", "2", "--out"])
            .arg(&out),
        0,
    );
    let console = text_of(&run.stderr);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let said = |text: &str| {
        assert!(console.contains(text), "console lacks {text:?}:\n{console}");
        let escaped = text.replace('>', "&gt;");
        assert!(html.contains(text) || html.contains(&escaped), "report lacks {text:?}");
    };
    said("Decision (means over 40 PSA samples; prices and rankings from the base case):");
    // The strategies at list prices, sample by sample.
    let psa = rows(&out.join("psa.csv"));
    let strategies = ["chemo_for_all", "test_and_treat"];
    let samples: Vec<Vec<(f64, f64)>> = (1..=40)
        .map(|s| {
            strategies
                .iter()
                .map(|st| {
                    let r = psa
                        .iter()
                        .find(|r| {
                            r["sample"] == s.to_string()
                                && r["strategy"] == *st
                                && r["contract"] == "list"
                        })
                        .unwrap();
                    (number(r, "cost"), number(r, "qaly"))
                })
                .collect()
        })
        .collect();
    for lambda in [100000.0, 150000.0] {
        let nmb = |&(c, q): &(f64, f64)| lambda * q - c;
        let mean: Vec<f64> =
            (0..2).map(|j| samples.iter().map(|s| nmb(&s[j])).sum::<f64>() / 40.0).collect();
        let best = if mean[1] > mean[0] { 1 } else { 0 };
        let wins = samples.iter().filter(|s| {
            let n: Vec<f64> = s.iter().map(nmb).collect();
            (if n[1] > n[0] { 1 } else { 0 }) == best
        });
        let share = wins.count() as f64 / 40.0;
        said(&format!(
            "at {} USD/QALY: {} is best at list prices (net monetary benefit {} USD per patient; best in {} % of the samples)",
            grouped(lambda),
            strategies[best],
            grouped(mean[best]),
            grouped(100.0 * share)
        ));
    }
    // Where the decision changes: frontier.csv's ICER of the second frontier arm.
    let frontier = rows(&out.join("frontier.csv"));
    let second = frontier
        .iter()
        .find(|r| r["decision_set"] == "list" && r["status"] == "frontier" && !r["icer"].is_empty())
        .unwrap();
    said(&format!(
        "{} becomes best above {} USD/QALY (its ICER on the efficiency frontier)",
        second["strategy"],
        grouped(number(second, "icer"))
    ));
    // Value-based prices against the list price (osimertinib, 14,763 a cycle) and the rankings.
    // The console's prices and rankings are the base case's (it says so).
    let mut contracts = crate::support::widened_rows(
        &out.join("contracts.csv"),
        &out.join("threshold_prices.csv"),
        &["strategy", "contract", "arm_contract"],
    );
    contracts.retain(|r| r["basis"] == "deterministic");
    let list = 14763.0;
    for r in &contracts {
        let at: Vec<String> = [100000.0, 150000.0]
            .iter()
            .map(|l| {
                let p = number(r, &format!("threshold_price_{l}"));
                let d = 1.0 - p / list;
                format!(
                    "{} USD at {} ({} % below list)",
                    grouped(p),
                    grouped(*l),
                    grouped(100.0 * d)
                )
            })
            .collect();
        said(&format!(
            "value-based price of osimertinib under {} (list 14,763 USD per cycle): {}",
            r["contract"],
            at.join(", ")
        ));
    }
    let ranking = |key: &str| {
        let mut sorted: Vec<&Row> = contracts.iter().collect();
        sorted.sort_by(|a, b| number(b, key).total_cmp(&number(a, key)));
        sorted
            .iter()
            .map(|r| format!("{} {}", r["contract"], grouped(number(r, key))))
            .collect::<Vec<_>>()
            .join(" > ")
    };
    said(&format!(
        "payer's ranking at 100,000 USD/QALY (incremental net monetary benefit per patient): {}",
        ranking("inc_nmb_100000")
    ));
    said(&format!(
        "manufacturer's ranking (net revenue per patient, USD): {}",
        ranking("manufacturer_net_revenue")
    ));
}
