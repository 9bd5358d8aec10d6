//! The folder of `vbpsim design`: design.csv (every candidate at every threshold),
//! design_frontier.png/.svg (payer NMB against manufacturer revenue at the first threshold)
//! and run.json.

use super::OutputError;
use super::folder::{FolderError, Kind, Staging, Target};
use super::manifest::{Provenance, json};
use super::plots::{Chart, Plot, Series, write};
use super::tables::number;
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
    std::fs::write(staging.file("run.json"), json(&manifest))
        .map_err(|source| FolderError::Write { path: shown("run.json"), source })?;
    Ok(staging.commit()?)
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
        title: format!(
            "Contract candidates at {} {currency}/QALY",
            super::tables::grouped(lambda, 0)
        ),
        x_label: format!("manufacturer net revenue per patient ({currency})"),
        y_label: format!("payer incremental NMB per patient ({currency})"),
        chart: Chart::Scatter {
            series,
            slopes: vec![("payer break-even".into(), 0.0)],
            means: Vec::new(),
        },
    }
}
