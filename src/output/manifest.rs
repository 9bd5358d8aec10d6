//! run.json: what a folder holds and how it was made (tool, kind, scenario and its hash, seed,
//! sizes, the process's threads, time and memory, warnings).

use serde::Serialize;

/// Where a result came from: the scenario as the user named it, the SHA-256 of its text (every
/// layer) and its layers (empty when it is one file).
#[derive(Clone, Debug)]
pub struct Provenance {
    pub file: String,
    pub sha256: String,
    pub layers: Vec<String>,
}

/// The process that computed a result.
#[derive(Clone, Copy, Debug)]
pub struct Process {
    pub threads: usize,
    /// Wall-clock and CPU time of the simulation.
    pub wall_seconds: f64,
    pub cpu_seconds: Option<f64>,
    /// Patient-strategy trajectories simulated in that time.
    pub trajectories: u64,
}

/// The run manifest, run.json.
#[derive(Serialize)]
pub(crate) struct RunManifest<'a> {
    pub tool: &'static str,
    pub version: &'static str,
    /// What the folder holds ([`super::folder::Kind`]): `run` (a run's or a merge's folder).
    pub kind: &'static str,
    pub scenario: &'a str,
    pub scenario_file: &'a str,
    pub scenario_sha256: &'a str,
    /// The files and `--set`s the scenario is made of (only when it is more than one file).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub scenario_layers: &'a [String],
    pub seed: u64,
    pub patients: u64,
    pub samples: usize,
    pub strategies: Vec<&'a str>,
    pub comparator: &'a str,
    /// `scenario.comparator_contract`: `same` or `list`.
    pub comparator_contract: &'static str,
    pub arms: usize,
    /// The decision's framing and units, so that a reader of the CSVs needs nothing else.
    pub units: Units<'a>,
    pub threads: usize,
    pub wall_seconds: f64,
    pub cpu_seconds: Option<f64>,
    pub trajectories: u64,
    pub trajectories_per_second: Option<f64>,
    pub peak_memory_mib: Option<f64>,
    pub warnings: &'a [String],
}

/// run.json's `units`: the currency of every money column, the time horizon and the discount
/// rates (per year), the willingness-to-pay thresholds and grid (per QALY), and the unit of
/// each uncertain duration or rate parameter in parameters.csv (as the scenario writes it).
#[derive(Serialize)]
pub(crate) struct Units<'a> {
    pub currency: &'a str,
    pub horizon_years: f64,
    pub discount_costs: f64,
    pub discount_outcomes: f64,
    pub discount_manufacturer: f64,
    pub thresholds: &'a [f64],
    pub wtp_grid: &'a [f64],
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub parameters: serde_json::Map<String, serde_json::Value>,
}

impl<'a> Units<'a> {
    pub fn of(model: &'a crate::model::Model) -> Self {
        let meta = &model.meta;
        let parameters = (model.parameters.iter())
            .filter(|p| p.is_uncertain())
            .filter_map(|p| Some((p.name.clone(), p.written?.name.into())))
            .collect();
        Units {
            parameters,
            currency: &meta.currency,
            horizon_years: meta.horizon,
            discount_costs: meta.discount_costs,
            discount_outcomes: meta.discount_outcomes,
            discount_manufacturer: meta.discount_manufacturer,
            thresholds: &meta.thresholds,
            wtp_grid: &meta.wtp_grid,
        }
    }
}

/// run.json fields about the process that wrote it rather than the result: the machine and
/// thread count, timings and memory, and what it simulated itself (a merge simulates the base
/// case only). The report leaves them out, so that it is identical for any thread count and
/// for a merge of shards.
pub const PROCESS_FIELDS: &[&str] = &[
    "threads",
    "wall_seconds",
    "cpu_seconds",
    "trajectories",
    "trajectories_per_second",
    "peak_memory_mib",
];

/// A manifest as pretty JSON with a final newline.
pub(crate) fn json<T: Serialize>(manifest: &T) -> String {
    serde_json::to_string_pretty(manifest).unwrap_or_default() + "\n"
}
