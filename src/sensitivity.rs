//! One-way sensitivity analysis (the tornado): the base case re-simulated on the same patients
//! (same seed, common random numbers) with one parameter at a time at the low and then the
//! high end of its range, every other parameter at its point value.

use crate::analysis::cea::{ArmSummary, summarise};
use crate::model::Model;
use crate::params::ParamDist;
use crate::run::{RunError, RunOptions};
use crate::sim::{Prepared, SampleSpec, simulate_sample};

/// Where a parameter's range comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeSource {
    /// `range = [low, high]` in the scenario.
    Scenario,
    /// The 2.5 % and 97.5 % quantiles of its PSA distribution.
    Distribution,
}

impl RangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RangeSource::Scenario => "scenario_range",
            RangeSource::Distribution => "distribution_95",
        }
    }
}

/// A parameter's one-way range (internal units: years, per year, currency).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OneWayRange {
    /// Index into `Model::parameters`.
    pub parameter: usize,
    pub low: f64,
    pub high: f64,
    pub source: RangeSource,
}

/// The parameters varied and their ranges, in scenario order: those with a `range`, and the
/// uncertain ones at their distribution's 2.5 % and 97.5 % quantiles.
pub fn ranges(model: &Model) -> Vec<OneWayRange> {
    model
        .parameters
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let point = model.values[p.slot.0 as usize];
            let (low, high, source) = match p.range {
                Some((lo, hi)) => (lo, hi, RangeSource::Scenario),
                None if p.is_uncertain() => (
                    p.dist.quantile(0.025, point),
                    p.dist.quantile(0.975, point),
                    RangeSource::Distribution,
                ),
                None => return None,
            };
            Some(OneWayRange { parameter: i, low, high, source })
        })
        .collect()
}

/// The base case's value table with parameter `i` at `x`. A Dirichlet share moves alone only
/// with the other shares of its vector rescaled to keep their sum.
pub fn values_with(model: &Model, i: usize, x: f64) -> Vec<f64> {
    let mut values = model.values.clone();
    let p = &model.parameters[i];
    let slot = p.slot.0 as usize;
    let base = values[slot];
    values[slot] = x;
    if matches!(p.dist, ParamDist::DirichletShare { .. })
        && let Some(group) = model.dirichlets.iter().find(|g| g.contains(&i))
        && base < 1.0
    {
        let scale = (1.0 - x) / (1.0 - base);
        for &j in group.iter().filter(|&&j| j != i) {
            values[model.parameters[j].slot.0 as usize] *= scale;
        }
    }
    values
}

/// One parameter's row: the arms' results at the low and the high end.
#[derive(Clone, Debug)]
pub struct OneWayRow {
    pub range: OneWayRange,
    pub low: Vec<ArmSummary>,
    pub high: Vec<ArmSummary>,
}

/// The base case and every parameter's row.
#[derive(Clone, Debug)]
pub struct OneWay {
    pub base: Vec<ArmSummary>,
    pub rows: Vec<OneWayRow>,
    pub patients: u64,
    pub seed: u64,
    pub threads: usize,
    pub wall_seconds: f64,
}

/// The base case at `values`, on the run's patients (no budget view, no price searches).
fn base_case(
    model: &Model,
    values: &[f64],
    spec: SampleSpec,
    parameter: Option<&str>,
) -> Result<Vec<ArmSummary>, RunError> {
    let mut prep = Prepared::new(model, values).map_err(|source| match parameter {
        Some(p) => RunError::Sensitivity { parameter: p.to_string(), source },
        None => RunError::Prepare(source),
    })?;
    prep.budget = None;
    let sums = simulate_sample(&prep, spec, &mut |_, _| {});
    Ok(summarise(&sums, &prep.arms, model.meta.comparator, &model.meta.thresholds))
}

/// Run the one-way analysis. `progress` receives (simulations done, total).
pub fn one_way(
    model: &Model,
    options: &RunOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<OneWay, RunError> {
    let patients = options.patients.unwrap_or(model.meta.patients);
    let seed = options.seed.unwrap_or(model.meta.seed);
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = options.threads {
        builder = builder.num_threads(t);
    }
    let pool = builder
        .build()
        .map_err(|source| RunError::Threads { threads: options.threads.unwrap_or(0), source })?;
    let started = std::time::Instant::now();
    let spec = SampleSpec { seed, sample: 0, patients, comparator: model.meta.comparator };
    let ranges = ranges(model);
    let total = 1 + 2 * ranges.len() as u64;
    let base = pool.install(|| base_case(model, &model.values, spec, None))?;
    progress(1, total);
    let mut rows = Vec::with_capacity(ranges.len());
    for (k, range) in ranges.into_iter().enumerate() {
        let name = model.parameters[range.parameter].name.as_str();
        let at = |x: f64| {
            let values = values_with(model, range.parameter, x);
            pool.install(|| base_case(model, &values, spec, Some(name)))
        };
        let low = at(range.low)?;
        progress(2 + 2 * k as u64, total);
        let high = at(range.high)?;
        progress(3 + 2 * k as u64, total);
        rows.push(OneWayRow { range, low, high });
    }
    Ok(OneWay {
        base,
        rows,
        patients,
        seed,
        threads: pool.current_num_threads(),
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The arm to draw: `strategy` or `strategy/contract` (default: the first strategy other than
/// the comparator, at list), as an index into the arms.
pub fn focus_arm(model: &Model, base: &[ArmSummary], arm: Option<&str>) -> Result<usize, String> {
    let name_of = |a: &ArmSummary| {
        let contract = a.contract.map_or("list", |c| model.contracts[c].name.as_str());
        format!("{}/{contract}", model.strategies[a.strategy].name)
    };
    let Some(wanted) = arm else {
        return base
            .iter()
            .position(|a| a.strategy != model.meta.comparator)
            .ok_or_else(|| "the scenario has no strategy besides the comparator".to_string());
    };
    let wanted = if wanted.contains('/') { wanted.to_string() } else { format!("{wanted}/list") };
    base.iter().position(|a| name_of(a) == wanted).ok_or_else(|| {
        let arms: Vec<String> = base
            .iter()
            .filter(|a| !(a.strategy == model.meta.comparator && a.contract.is_none()))
            .map(name_of)
            .collect();
        format!("--arm {wanted}: no such arm; arms: {}", arms.join(", "))
    })
}

#[derive(serde::Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    version: &'static str,
    analysis: &'static str,
    scenario: &'a str,
    scenario_file: &'a str,
    seed: u64,
    patients: u64,
    parameters: usize,
    arm: String,
    threshold: f64,
    threads: usize,
    wall_seconds: f64,
}

/// Write the sensitivity folder atomically: tornado.csv, the tornado plots of `arm` at
/// threshold index `k`, and run.json.
pub fn write_outputs(
    scenario: &crate::scenario::Scenario,
    result: &OneWay,
    target: &std::path::Path,
    arm: usize,
    k: usize,
) -> Result<std::path::PathBuf, RunError> {
    use crate::output::folder::{FolderError, Staging};
    let model = &scenario.model;
    let staging = Staging::new(target)?;
    let shown = |name: &str| target.join(name).display().to_string();
    let write_err = |name: &str| {
        let path = shown(name);
        move |source| RunError::Folder(FolderError::Write { path, source })
    };
    let file =
        std::fs::File::create(staging.file("tornado.csv")).map_err(write_err("tornado.csv"))?;
    crate::output::tornado::write_table(file, model, result)
        .map_err(|source| RunError::Csv { path: shown("tornado.csv"), source })?;
    crate::output::tornado::write_plots(&staging.dir, model, result, arm, k)?;
    let a = &result.base[arm];
    let manifest = Manifest {
        tool: "vbpsim",
        version: env!("CARGO_PKG_VERSION"),
        analysis: "one_way_sensitivity",
        scenario: &model.meta.name,
        scenario_file: &scenario.source.name,
        seed: result.seed,
        patients: result.patients,
        parameters: result.rows.len(),
        arm: format!(
            "{}/{}",
            model.strategies[a.strategy].name,
            a.contract.map_or("list", |c| model.contracts[c].name.as_str())
        ),
        threshold: model.meta.thresholds[k],
        threads: result.threads,
        wall_seconds: result.wall_seconds,
    };
    let json = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    std::fs::write(staging.file("run.json"), json).map_err(write_err("run.json"))?;
    Ok(staging.commit()?)
}
