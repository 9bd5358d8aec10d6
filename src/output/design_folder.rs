//! The folder of `vbpsim design`: design.csv (every candidate at every threshold),
//! design_frontier.png/.svg (payer NMB against manufacturer revenue at the first threshold)
//! and run.json.

use super::OutputError;
use super::folder::{FolderError, Kind, Staging, Target};
use super::manifest::{Provenance, json};
use super::plots::{Chart, Plot, Series, write};
use super::tables::{grouped, number};
use crate::analysis::design::{Candidate, DesignResult};
use crate::model::Model;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

/// The terms design.csv has a column for, in order: (term, column, in months).
const TERM_COLUMNS: &[(&str, &str, bool)] = &[
    ("price", "price", false),
    ("discount", "discount", false),
    ("from", "from_months", true),
    ("until", "until_months", true),
    ("window", "window_months", true),
    ("refund", "refund", false),
    ("cap", "cap", false),
    ("assess_at", "assess_at_months", true),
    ("max_paid", "max_paid_months", true),
    ("max_cycles", "max_cycles", false),
    ("interval", "interval_months", true),
    ("instalments", "instalments", false),
];

#[derive(Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    version: &'static str,
    kind: &'static str,
    scenario: &'a str,
    scenario_file: &'a str,
    scenario_sha256: &'a str,
    scenario_layers: &'a [String],
    seed: u64,
    patients: u64,
    samples: u64,
    designs: Vec<&'a str>,
    candidates: usize,
    thresholds: &'a [f64],
    comparator: &'a str,
    threads: usize,
    wall_seconds: f64,
}

/// Write the folder.
pub fn write_folder(
    target: &Target,
    model: &Model,
    result: &DesignResult,
    provenance: &Provenance,
) -> Result<PathBuf, OutputError> {
    let staging = Staging::new(target)?;
    let shown = |name: &str| target.join(name).display().to_string();
    staging.table("design.csv", |f| write_table(f, model, result))?;
    write(&staging.dir, "design_frontier", &frontier_plot(model, &result.candidates))
        .map_err(|e| e.in_folder(target))?;
    let manifest = Manifest {
        tool: "vbpsim",
        version: env!("CARGO_PKG_VERSION"),
        kind: Kind::Design.name(),
        scenario: &model.meta.name,
        scenario_file: &provenance.file,
        scenario_sha256: &provenance.sha256,
        scenario_layers: &provenance.layers,
        seed: result.seed,
        patients: result.patients,
        samples: result.samples,
        designs: model.designs.iter().map(|d| d.name.as_str()).collect(),
        candidates: result.candidates.len(),
        thresholds: &model.meta.thresholds,
        comparator: &model.strategies[model.meta.comparator].name,
        threads: result.threads,
        wall_seconds: result.wall_seconds,
    };
    let manifest = json(&manifest);
    std::fs::write(staging.file("run.json"), &manifest)
        .map_err(|source| FolderError::Write { path: shown("run.json"), source })?;
    write_report(&staging.dir, model, result, &manifest)
        .map_err(|source| FolderError::Write { path: shown("report.html"), source })?;
    Ok(staging.commit()?)
}

/// A value in a term's unit, for the page: durations in months, shares in per cent, money
/// grouped.
fn term_words(term: &str, value: f64) -> String {
    let months = |v: f64| {
        let m = (12.0 * v * 100.0).round() / 100.0;
        format!("{} month{}", number(m), if m == 1.0 { "" } else { "s" })
    };
    match term {
        "price" => format!("price {}", grouped(value, if value.fract() == 0.0 { 0 } else { 2 })),
        "discount" => format!("discount {} %", number((100.0 * value * 100.0).round() / 100.0)),
        "refund" => format!("refund {} %", number((100.0 * value * 100.0).round() / 100.0)),
        "cap" => format!("cap {}", grouped(value, 0)),
        "max_cycles" => format!("{} paid cycles", number(value)),
        "instalments" => format!("{} instalments", number(value)),
        "from" | "until" | "window" | "assess_at" | "max_paid" | "interval" => {
            format!("{} {}", term.replace('_', " "), months(value))
        }
        other => format!("{other} {}", number(value)),
    }
}

/// A candidate in words: its design and kind, then its terms.
fn candidate_words(model: &Model, c: &Candidate) -> String {
    let design = &model.designs[c.design];
    let kind = model.contracts[design.contract].kind.name().replace('_', " ");
    let terms: Vec<String> = c.terms.iter().map(|&(t, v)| term_words(t, v)).collect();
    if design.name.replace('_', " ") == kind {
        format!("{} #{} ({})", design.name, c.number, terms.join(", "))
    } else {
        format!("{} #{} ({kind}: {})", design.name, c.number, terms.join(", "))
    }
}

/// The candidate with the largest `key`.
fn best<'a>(set: &[&'a Candidate], key: &dyn Fn(&Candidate) -> f64) -> Option<&'a Candidate> {
    set.iter().copied().max_by(|a, b| key(a).total_cmp(&key(b)))
}

/// The decision in words, per strategy and threshold: how many candidates are cost-effective,
/// the best for each side among them and the frontier between, and with PSA samples the
/// robust ones.
fn summary(model: &Model, result: &DesignResult) -> Vec<String> {
    let cur = &model.meta.currency;
    let money = |x: f64| format!("{} {cur}", grouped(x, 0));
    let comparator = &model.strategies[model.meta.comparator].name;
    let mut strategies: Vec<usize> = result.candidates.iter().map(|c| c.strategy).collect();
    strategies.sort_unstable();
    strategies.dedup();
    let mut out = vec![format!(
        "{} candidate contracts of {} design{}, each settled on the same {} simulated patients per strategy as a run{}. Payer figures are incremental against {comparator} at list, per patient, discounted; the manufacturer's are its net revenue per patient at its own discount rate, net of its administration. design.csv holds every candidate at every threshold.",
        result.candidates.len(),
        model.designs.len(),
        if model.designs.len() == 1 { "" } else { "s" },
        result.patients,
        if result.samples > 0 {
            format!(", and on each of {} PSA samples", result.samples)
        } else {
            String::new()
        }
    )];
    for &s in &strategies {
        let of: Vec<&Candidate> = result.candidates.iter().filter(|c| c.strategy == s).collect();
        let name = &model.strategies[s].name;
        for (t, &l) in model.meta.thresholds.iter().enumerate() {
            let ce: Vec<&Candidate> = of.iter().copied().filter(|c| c.cost_effective(t)).collect();
            let at = format!("At {} {cur}/QALY", grouped(l, 0));
            let nmb = |c: &Candidate| c.inc_nmb[t].mean;

            let Some(payer) = best(&ce, &nmb) else {
                let text = match best(&of, &nmb) {
                    Some(c) => format!(
                        "{at}, none of the {} candidates for {name} is cost-effective; the closest is {} (incremental NMB {} per patient).",
                        of.len(),
                        candidate_words(model, c),
                        money(nmb(c))
                    ),
                    None => format!("{at}, {name} has no candidate."),
                };
                out.push(text);
                continue;
            };
            let revenue = |c: &Candidate| c.manufacturer.mean;
            let manufacturer = best(&ce, &revenue).unwrap_or(payer);
            let frontier = of.iter().filter(|c| c.frontier[t]).count();
            let mut text = format!(
                "{at}, {} of the {} candidates for {name} are cost-effective. Best for the payer: {} (incremental NMB {}, manufacturer revenue {} per patient). Best for the manufacturer while cost-effective: {} (revenue {}, payer NMB {}). {frontier} candidate{} lie on the frontier between them, where neither side gains without the other losing.",
                ce.len(),
                of.len(),
                candidate_words(model, payer),
                money(nmb(payer)),
                money(revenue(payer)),
                candidate_words(model, manufacturer),
                money(revenue(manufacturer)),
                money(nmb(manufacturer)),
                if frontier == 1 { "" } else { "s" },
            );
            if result.samples > 0 {
                let robust: Vec<&Candidate> = of
                    .iter()
                    .copied()
                    .filter(|c| c.prob_cost_effective[t] >= model.designs[c.design].robust)
                    .collect();
                match best(&robust, &revenue) {
                    Some(c) => {
                        text += &format!(
                            " Under the PSA {} candidate{} robust (cost-effective in at least the design's `robust` share of the samples, 80 % unless it says otherwise); the manufacturer's best robust one is {} (probability {} %, revenue {}).",
                            robust.len(),
                            if robust.len() == 1 { " is" } else { "s are" },
                            candidate_words(model, c),
                            grouped(100.0 * c.prob_cost_effective[t], 0),
                            money(revenue(c))
                        )
                    }
                    None => {
                        text += " Under the PSA no candidate is robust (cost-effective in the design's `robust` share of the samples)."
                    }
                }
            }
            out.push(text);
        }
    }
    out
}

/// report.html: the decision in words, the frontier's candidates at each threshold and the
/// plot.
fn write_report(
    dir: &std::path::Path,
    model: &Model,
    result: &DesignResult,
    manifest: &str,
) -> std::io::Result<()> {
    let wtp: Vec<String> = model.meta.thresholds.iter().map(|&l| number(l)).collect();
    let at = |header: &[String], row: &[String], key: &str| {
        header.iter().position(|h| h == key).and_then(|i| row.get(i)).cloned().unwrap_or_default()
    };
    // Per threshold, up to SHOWN frontier candidates of each strategy, evenly spaced from the
    // payer's best to the manufacturer's best: (design, strategy, candidate) as design.csv
    // writes them.
    let shown: Vec<Vec<(String, String, String)>> = (0..wtp.len())
        .map(|t| {
            let mut picked = Vec::new();
            let mut strategies: Vec<usize> = result.candidates.iter().map(|c| c.strategy).collect();
            strategies.sort_unstable();
            strategies.dedup();
            for s in strategies {
                let mut on: Vec<&Candidate> =
                    result.candidates.iter().filter(|c| c.strategy == s && c.frontier[t]).collect();
                on.sort_by(|a, b| a.manufacturer.mean.total_cmp(&b.manufacturer.mean));
                let m = on.len();
                let k = m.min(SHOWN);
                for i in 0..k {
                    let c = on[if k == 1 { 0 } else { (i * (m - 1) + (k - 1) / 2) / (k - 1) }];
                    picked.push((
                        model.designs[c.design].name.clone(),
                        model.strategies[c.strategy].name.clone(),
                        c.number.to_string(),
                    ));
                }
            }
            picked
        })
        .collect();
    let keeps: Vec<Box<RowFilter>> = wtp
        .iter()
        .zip(&shown)
        .map(|(l, picked)| {
            let (l, picked) = (l.clone(), picked.clone());
            Box::new(move |h: &[String], r: &[String]| {
                let key = (at(h, r, "design"), at(h, r, "strategy"), at(h, r, "candidate"));
                at(h, r, "wtp") == l && picked.contains(&key)
            }) as Box<RowFilter>
        })
        .collect();
    // Two tables per threshold, each fitting a printed page: the candidates' terms, then what
    // they are worth to each side.
    let mut terms = vec!["design", "strategy", "candidate"];
    // The term columns some design varies or its template sets.
    for &(term, column, _) in TERM_COLUMNS {
        if result.candidates.iter().any(|c| c.terms.iter().any(|t| t.0 == term)) {
            terms.push(column);
        }
    }
    let mut worth =
        vec!["design", "candidate", "inc_cost", "icer", "inc_nmb", "manufacturer_revenue"];
    if result.candidates.iter().any(|c| c.budget_impact.is_some()) {
        worth.push("budget_impact");
    }
    if result.samples > 0 {
        worth.extend(["prob_cost_effective", "robust"]);
    }
    let mut tables = Vec::new();
    for (&l, keep) in model.meta.thresholds.iter().zip(&keeps) {
        let keep: &RowFilter = keep.as_ref();
        let at = format!("{} {}/QALY", grouped(l, 0), model.meta.currency);
        tables.push((
            format!(
                "The frontier at {at}: up to {SHOWN} of its candidates per strategy, spread evenly from the payer's best to the manufacturer's best (design.csv's `frontier` marks them all)"
            ),
            "design.csv",
            terms.clone(),
            keep,
        ));
        tables.push((
            format!("The same candidates at {at}: the payer's increments and the manufacturer's revenue per patient"),
            "design.csv",
            worth.clone(),
            keep,
        ));
    }
    let page = super::report::FolderPage {
        title: format!("Contract design: {}", model.meta.name),
        intro: summary(model, result),
        currency: &model.meta.currency,
        tables,
        plots: vec![(
            "design_frontier",
            "Every candidate's payer incremental NMB against the manufacturer's revenue at the first threshold, the frontier ringed",
        )],
    };
    super::report::write_folder(dir, &page, manifest)
}

fn write_table<W: Write>(out: W, model: &Model, result: &DesignResult) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header = vec!["design", "kind", "contract", "strategy", "candidate", "wtp"];
    header.extend(TERM_COLUMNS.iter().map(|c| c.1));
    header.extend([
        "inc_cost",
        "inc_cost_mcse",
        "inc_qaly",
        "inc_qaly_mcse",
        "icer",
        "icer_status",
        "inc_nmb",
        "inc_nmb_mcse",
        "manufacturer_revenue",
        "manufacturer_revenue_mcse",
        "budget_impact",
        "cost_effective",
        "frontier",
        "prob_cost_effective",
        "robust",
    ]);
    w.write_record(&header)?;
    let se = |e: &crate::analysis::cea::Estimate| e.mcse.map_or(String::new(), number);
    for c in &result.candidates {
        let design = &model.designs[c.design];
        let contract = &model.contracts[design.contract];
        for (t, &wtp) in model.meta.thresholds.iter().enumerate() {
            let mut row = vec![
                design.name.clone(),
                contract.kind.name().to_string(),
                contract.name.clone(),
                model.strategies[c.strategy].name.clone(),
                c.number.to_string(),
                number(wtp),
            ];
            for &(term, _, months) in TERM_COLUMNS {
                let value = c.terms.iter().find(|(k, _)| *k == term).map(|&(_, v)| v);
                row.push(
                    value.map_or(String::new(), |v| number(if months { 12.0 * v } else { v })),
                );
            }
            let probability = c.prob_cost_effective.get(t).copied();
            row.extend([
                number(c.inc_cost.mean),
                se(&c.inc_cost),
                number(c.inc_qaly.mean),
                se(&c.inc_qaly),
                c.icer().map_or(String::new(), number),
                c.status().as_str().to_string(),
                number(c.inc_nmb[t].mean),
                se(&c.inc_nmb[t]),
                number(c.manufacturer.mean),
                se(&c.manufacturer),
                c.budget_impact.map_or(String::new(), number),
                c.cost_effective(t).to_string(),
                c.frontier[t].to_string(),
                probability.map_or(String::new(), number),
                probability.map_or(String::new(), |p| (p >= design.robust).to_string()),
            ]);
            w.write_record(&row)?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Which rows of design.csv a table of the page shows (given the header and the row).
type RowFilter = dyn Fn(&[String], &[String]) -> bool;

/// Frontier candidates shown per strategy and threshold on the page.
const SHOWN: usize = 10;

/// The plots' colour index of black rings.
const FRONTIER_RING: usize = 16 + 6;

/// Payer incremental NMB against manufacturer revenue at the first threshold: every
/// candidate, coloured by design, the frontier's candidates ringed, and the payer's
/// break-even line.
fn frontier_plot(model: &Model, candidates: &[Candidate]) -> Plot {
    let lambda = model.meta.thresholds.first().copied().unwrap_or(0.0);
    let mut series: Vec<Series> = model
        .designs
        .iter()
        .enumerate()
        .map(|(d, design)| Series {
            name: {
                let kind = model.contracts[design.contract].kind.name();
                if design.name == kind {
                    design.name.clone()
                } else {
                    format!("{} ({})", design.name, kind.replace('_', " "))
                }
            },
            points: candidates
                .iter()
                .filter(|c| c.design == d)
                .map(|c| (c.manufacturer.mean, c.inc_nmb[0].mean))
                .collect(),
            dashed: false,
            colour: d,
        })
        .collect();
    let mut frontier: Vec<(f64, f64)> = candidates
        .iter()
        .filter(|c| c.frontier.first() == Some(&true))
        .map(|c| (c.manufacturer.mean, c.inc_nmb[0].mean))
        .collect();
    frontier.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Black rings (the palette's black, past its sixteen colours) around the candidates'
    // dots: the frontier leaves each candidate's design visible.
    series.push(Series {
        name: "frontier (ringed)".into(),
        points: frontier,
        dashed: false,
        colour: FRONTIER_RING,
    });
    let currency = &model.meta.currency;
    Plot {
        title: format!("Contract candidates at {} {currency}/QALY", grouped(lambda, 0)),
        x_label: format!("manufacturer net revenue per patient ({currency})"),
        y_label: format!("payer incremental NMB per patient ({currency})"),
        chart: Chart::Scatter {
            series,
            slopes: vec![("payer break-even".into(), 0.0)],
            means: Vec::new(),
        },
    }
}
