//! A run's output folder, written atomically: every CSV table, the plots, run.json and
//! report.html, from the run's [`Results`].

use super::folder::{FolderError, Kind, Staging, Target};
use super::manifest::{Process, Provenance, RunManifest, json};
use super::{OutputError, figures, psa_tables, report, subgroup_tables, tables};
use crate::analysis::results::Results;
use crate::model::Model;
use std::path::PathBuf;

/// Write the output folder of a run into `target` (staged, then moved into place).
pub fn write(
    target: &Target,
    model: &Model,
    results: &Results,
    (provenance, process): (&Provenance, &Process),
) -> Result<PathBuf, OutputError> {
    let staging = Staging::new(target)?;
    let table =
        |name: &str, write: &dyn Fn(std::fs::File) -> csv::Result<()>| staging.table(name, write);
    let r = results;
    table("summary.csv", &|f| tables::write_summary(f, model, (&r.summary, &r.summary_psa)))?;
    table("nmb.csv", &|f| tables::write_nmb(f, model, (&r.summary, &r.summary_psa), &r.prob_ce))?;
    table("frontier.csv", &|f| psa_tables::write_frontier(f, model, &r.arms, &r.decision))?;
    if !r.psa.is_empty() {
        if r.psa_table {
            table("psa.csv", &|f| psa_tables::write_psa(f, model, &r.arms, &r.psa))?;
        }
        table("parameters.csv", &|f| psa_tables::write_parameters(f, model, &r.psa))?;
        let matrix = (&r.arms[..], &r.psa[..]);
        table("psa_costs.csv", &|f| psa_tables::write_matrix(f, model, matrix, &|a| a.cost.mean))?;
        table("psa_qalys.csv", &|f| psa_tables::write_matrix(f, model, matrix, &|a| a.qaly.mean))?;
        table("psa_summary.csv", &|f| {
            psa_tables::write_psa_summary(f, model, &r.summary, &r.psa_summary)
        })?;
        write_acceptability(target, &staging, model, r)?;
        table("evppi.csv", &|f| psa_tables::write_evppi(f, model, &r.decision))?;
        if !model.registries.is_empty() {
            table("evsi.csv", &|f| psa_tables::write_evsi(f, model, &r.evsi))?;
        }
        if model.registries.iter().any(|g| g.review.is_some()) {
            table("renegotiation.csv", &|f| {
                psa_tables::write_renegotiation(f, model, &r.renegotiation)
            })?;
        }
    }
    table("costs.csv", &|f| tables::write_costs(f, model, (&r.summary, &r.summary_psa)))?;
    if !model.contracts.is_empty() {
        let bases =
            [(&r.summary[..], &r.contracts[..]), (&r.summary_psa[..], &r.contracts_psa[..])];
        table("contracts.csv", &|f| tables::write_contracts(f, model, bases))?;
        table("threshold_prices.csv", &|f| tables::write_threshold_prices(f, model, bases))?;
    }
    if model.contracts.iter().any(|c| c.kind.cohort_years().is_some()) {
        table("cohort.csv", &|f| tables::write_cohort(f, model, &r.summary, &r.cohort))?;
    }
    table("survival.csv", &|f| tables::write_survival(f, model, &r.survival))?;
    if !r.general_population.is_empty() {
        table("general_population.csv", &|f| {
            tables::write_general_population(f, &r.general_population)
        })?;
    }
    if !model.pathways.is_empty() {
        table("states.csv", &|f| tables::write_states(f, model, &r.survival))?;
    }
    table("lines.csv", &|f| tables::write_lines(f, model, &r.lines))?;
    if !r.subgroups.is_empty() {
        table("subgroups.csv", &|f| subgroup_tables::write_subgroups(f, model, r))?;
        table("subgroup_nmb.csv", &|f| subgroup_tables::write_subgroup_nmb(f, model, r))?;
        if !model.contracts.is_empty() {
            table("subgroup_contracts.csv", &|f| {
                subgroup_tables::write_subgroup_contracts(f, model, r)
            })?;
            table("subgroup_threshold_prices.csv", &|f| {
                subgroup_tables::write_subgroup_threshold_prices(f, model, r)
            })?;
        }
        if !r.subgroup_psa.is_empty() {
            table("subgroup_ceac.csv", &|f| subgroup_tables::write_subgroup_ceac(f, model, r))?;
            table("subgroup_evpi.csv", &|f| subgroup_tables::write_subgroup_evpi(f, model, r))?;
        }
    }
    if !r.partners.is_empty() {
        table("partners.csv", &|f| tables::write_partners(f, model, &r.partners))?;
    }
    if !r.budget.is_empty() {
        table("budget_impact.csv", &|f| tables::write_budget(f, model, &r.budget, false))?;
        table("budget_impact_total.csv", &|f| tables::write_budget(f, model, &r.budget, true))?;
        table("budget_impact_events.csv", &|f| tables::write_budget_events(f, &r.budget_events))?;
        if !r.psa.is_empty() {
            table("budget_impact_psa.csv", &|f| {
                psa_tables::write_budget_psa(f, model, &r.budget_bands)
            })?;
        }
    }
    if !r.selection.is_empty() {
        table("selection.csv", &|f| tables::write_selection(f, model, &r.selection))?;
    }
    let manifest = RunManifest {
        tool: "vbpsim",
        version: env!("CARGO_PKG_VERSION"),
        kind: Kind::Run.name(),
        scenario: &model.meta.name,
        scenario_file: &provenance.file,
        scenario_sha256: &provenance.sha256,
        scenario_layers: &provenance.layers,
        seed: r.seed,
        patients: r.patients,
        strategies: model.strategies.iter().map(|s| s.name.as_str()).collect(),
        comparator: &model.strategies[model.meta.comparator].name,
        comparator_contract: model.meta.comparator_contract.as_str(),
        arms: r.summary.len(),
        units: super::manifest::Units::of(model),
        threads: process.threads,
        wall_seconds: process.wall_seconds,
        cpu_seconds: process.cpu_seconds,
        trajectories: process.trajectories,
        trajectories_per_second: (process.wall_seconds > 0.0)
            .then(|| process.trajectories as f64 / process.wall_seconds),
        peak_memory_mib: crate::resources::peak_memory_mib(),
        samples: r.psa.len(),
        warnings: &r.warnings,
    };
    figures::write_all(&staging.dir, model, r).map_err(|e| e.in_folder(target))?;
    let json = json(&manifest);
    let write_err = |name: &str| {
        let path = target.join(name).display().to_string();
        move |source| OutputError::Folder(FolderError::Write { path, source })
    };
    std::fs::write(staging.file("run.json"), &json).map_err(write_err("run.json"))?;
    report::write(&staging.dir, model, r, &json).map_err(write_err("report.html"))?;
    Ok(staging.commit()?)
}

/// ceac.csv, ceaf.csv and evpi.csv, written together.
fn write_acceptability(
    target: &Target,
    staging: &Staging,
    model: &Model,
    r: &Results,
) -> Result<(), OutputError> {
    let create = |name: &str| {
        let path = target.join(name).display().to_string();
        std::fs::File::create(staging.file(name))
            .map_err(|source| OutputError::Folder(FolderError::Write { path, source }))
    };
    let (ceac, ceaf, evpi) = (create("ceac.csv")?, create("ceaf.csv")?, create("evpi.csv")?);
    psa_tables::write_acceptability(ceac, ceaf, evpi, model, &r.arms, &r.decision).map_err(
        |source| OutputError::Csv { path: target.join("ceac.csv").display().to_string(), source },
    )
}
