//! The sensitivity folder, written atomically: tornado.csv, tornado_nmb.csv and threshold.csv, the tornado
//! plots of the drawn arm, twoway.csv and its heatmap if asked, run.json and report.html.

use super::folder::{FolderError, Kind, Staging, Target};
use super::manifest::{Provenance, json};
use super::{OutputError, tornado};
use crate::analysis::sensitivity::Sensitivity;
use crate::model::Model;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    version: &'static str,
    kind: &'static str,
    analysis: &'static str,
    scenario: &'a str,
    scenario_file: &'a str,
    scenario_sha256: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    scenario_layers: &'a [String],
    seed: u64,
    patients: u64,
    parameters: usize,
    arm: String,
    threshold: f64,
    threads: usize,
    wall_seconds: f64,
}

/// Write the sensitivity folder of `result` into `target`.
pub fn write(
    target: &Target,
    model: &Model,
    result: &Sensitivity,
    provenance: &Provenance,
) -> Result<PathBuf, OutputError> {
    let (one_way, arm, k) = (&result.one_way, result.arm, result.threshold);
    let staging = Staging::new(target)?;
    let shown = |name: &str| target.join(name).display().to_string();
    staging.table("tornado.csv", |f| tornado::write_table(f, model, one_way))?;
    staging.table("tornado_nmb.csv", |f| tornado::write_nmb_table(f, model, one_way))?;
    tornado::write_plots(&staging.dir, model, one_way, (arm, k), &result.order)
        .map_err(|e| e.in_folder(target))?;
    staging.table("threshold.csv", |f| {
        tornado::write_switches(f, model, one_way, arm, &result.switches)
    })?;
    if let Some(grid) = &result.two_way {
        staging.table("twoway.csv", |f| tornado::write_two_way(f, model, grid))?;
        tornado::write_two_way_plot(&staging.dir, model, grid, arm, k)
            .map_err(|e| e.in_folder(target))?;
    }
    let a = &one_way.base[arm];
    let manifest = Manifest {
        tool: "vbpsim",
        version: env!("CARGO_PKG_VERSION"),
        kind: Kind::Sensitivity.name(),
        analysis: "one_way_sensitivity",
        scenario: &model.meta.name,
        scenario_file: &provenance.file,
        scenario_sha256: &provenance.sha256,
        scenario_layers: &provenance.layers,
        seed: one_way.seed,
        patients: one_way.patients,
        parameters: one_way.rows.len(),
        arm: model.arm_name(a.strategy, a.contract),
        threshold: model.meta.thresholds[k],
        threads: one_way.threads,
        wall_seconds: one_way.wall_seconds,
    };
    let manifest = json(&manifest);
    std::fs::write(staging.file("run.json"), &manifest)
        .map_err(|source| FolderError::Write { path: shown("run.json"), source })?;
    // The page: the drawn arm's rows at the drawn threshold.
    let (strategy, contract) =
        (model.strategies[a.strategy].name.as_str(), model.contract_name(a.contract));
    let l = super::tables::number(model.meta.thresholds[k]);
    let of_arm = |h: &[String], r: &[String]| {
        let cell = |c: &str| h.iter().position(|x| x == c).and_then(|i| r.get(i));
        cell("strategy").is_some_and(|s| s == strategy)
            && cell("contract").is_some_and(|c| c == contract)
            && cell("wtp").is_none_or(|t| *t == l)
    };
    let tornado = vec![
        "parameter",
        "value_base",
        "value_low",
        "value_high",
        "inc_nmb_low",
        "inc_nmb_high",
        "swing",
    ];
    let switches =
        vec!["parameter", "value_base", "value_low", "value_high", "switch_value", "status"];
    let arm_name = model.arm_name(a.strategy, a.contract);
    let r = &one_way.base[a.reference];
    let reference_name = model.arm_name(r.strategy, r.contract);
    let mut plots = vec![
        ("tornado", "Incremental net monetary benefit at each parameter's low and high value"),
        ("tornado_icer", "ICER at each parameter's low and high value"),
    ];
    if result.two_way.is_some() {
        plots.push(("twoway", "The preferred arm over a grid of two parameters"));
    }
    let page = super::report::FolderPage {
        title: format!("One-way sensitivity of {arm_name}: {}", model.meta.name),
        intro: vec![format!(
            "The base case re-simulated on the same {} patients per strategy with each parameter at the low and the high end of its range; {arm_name} against {reference_name}, at {} {}/QALY. tornado.csv, tornado_nmb.csv and threshold.csv hold every arm and threshold.",
            one_way.patients,
            super::tables::grouped(model.meta.thresholds[k], 0),
            model.meta.currency
        )],
        currency: &model.meta.currency,
        tables: vec![
            (
                format!(
                    "Tornado (incremental NMB per patient at {} {}/QALY)",
                    super::tables::grouped(model.meta.thresholds[k], 0),
                    model.meta.currency
                ),
                "tornado_nmb.csv",
                tornado,
                &of_arm,
            ),
            ("Where the decision switches".into(), "threshold.csv", switches, &of_arm),
        ],
        plots,
    };
    super::report::write_folder(&staging.dir, &page, &manifest)
        .map_err(|source| FolderError::Write { path: shown("report.html"), source })?;
    Ok(staging.commit()?)
}
