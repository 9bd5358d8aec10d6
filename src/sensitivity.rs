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
    moved(model, &model.values, i, x)
}

/// `values` with parameter `i` at `x` (and its Dirichlet partners rescaled).
fn moved(model: &Model, values: &[f64], i: usize, x: f64) -> Vec<f64> {
    let mut values = values.to_vec();
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

/// Re-simulations of the base case on one set of patients (the run's seed and size), in one
/// thread pool.
pub struct Runner<'a> {
    model: &'a Model,
    pool: rayon::ThreadPool,
    spec: SampleSpec,
    started: std::time::Instant,
}

impl<'a> Runner<'a> {
    pub fn new(model: &'a Model, options: &RunOptions) -> Result<Self, RunError> {
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(t) = options.threads {
            builder = builder.num_threads(t);
        }
        let pool = builder.build().map_err(|source| RunError::Threads {
            threads: options.threads.unwrap_or(0),
            source,
        })?;
        let spec = SampleSpec {
            seed: options.seed.unwrap_or(model.meta.seed),
            sample: 0,
            patients: options.patients.unwrap_or(model.meta.patients),
            comparator: model.meta.comparator,
        };
        Ok(Runner { model, pool, spec, started: std::time::Instant::now() })
    }

    /// The arms' results at `values` (no budget view, no price searches); `parameter` names
    /// the parameter moved, for errors.
    pub fn at(&self, values: &[f64], parameter: Option<&str>) -> Result<Vec<ArmSummary>, RunError> {
        let model = self.model;
        let mut prep = Prepared::new(model, values).map_err(|source| match parameter {
            Some(p) => RunError::Sensitivity { parameter: p.to_string(), source },
            None => RunError::Prepare(source),
        })?;
        prep.budget = None;
        let sums = self.pool.install(|| simulate_sample(&prep, self.spec, &mut |_, _| {}));
        Ok(summarise(&sums, &prep.arms, model.meta.comparator, &model.meta.thresholds))
    }

    /// The arms' results with parameter `i` at `x`.
    pub fn with(&self, i: usize, x: f64) -> Result<Vec<ArmSummary>, RunError> {
        let name = self.model.parameters[i].name.as_str();
        self.at(&values_with(self.model, i, x), Some(name))
    }
}

/// Run the one-way analysis. `progress` receives (simulations done, total).
pub fn one_way(
    runner: &Runner<'_>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<OneWay, RunError> {
    let model = runner.model;
    let ranges = ranges(model);
    let total = 1 + 2 * ranges.len() as u64;
    let base = runner.at(&model.values, None)?;
    progress(1, total);
    let mut rows = Vec::with_capacity(ranges.len());
    for (k, range) in ranges.into_iter().enumerate() {
        let low = runner.with(range.parameter, range.low)?;
        progress(2 + 2 * k as u64, total);
        let high = runner.with(range.parameter, range.high)?;
        progress(3 + 2 * k as u64, total);
        rows.push(OneWayRow { range, low, high });
    }
    Ok(OneWay {
        base,
        rows,
        patients: runner.spec.patients,
        seed: runner.spec.seed,
        threads: runner.pool.current_num_threads(),
        wall_seconds: runner.started.elapsed().as_secs_f64(),
    })
}

/// Where, within a parameter's range, arm `arm`'s incremental NMB at threshold k crosses zero
/// (the decision changes), with the other parameters at their point values; `None` if it keeps
/// one sign over the range. Found on the same patients by the Illinois variant of regula falsi
/// from the range's ends, to 1e-9 of the NMB's change over the range.
pub fn switch_value(
    runner: &Runner<'_>,
    row: &OneWayRow,
    arm: usize,
    k: usize,
) -> Result<Option<f64>, RunError> {
    let f = |x: f64| -> Result<f64, RunError> {
        Ok(runner.with(row.range.parameter, x)?[arm].inc_nmb[k].mean)
    };
    let (lo, hi) = (row.range.low, row.range.high);
    let (f_lo, f_hi) = (row.low[arm].inc_nmb[k].mean, row.high[arm].inc_nmb[k].mean);
    if !(f_lo.is_finite() && f_hi.is_finite()) {
        return Ok(None);
    }
    if f_lo == 0.0 {
        return Ok(Some(lo));
    }
    if f_hi == 0.0 {
        return Ok(Some(hi));
    }
    if (f_lo > 0.0) == (f_hi > 0.0) {
        return Ok(None);
    }
    let tolerance = 1e-9 * (f_lo - f_hi).abs();
    crate::analysis::roots::illinois(f, (lo, f_lo), (hi, f_hi), tolerance).map(Some)
}

/// A two-way grid: parameters `x` and `y` (indices into `Model::parameters`) each over its
/// range in `steps` equal steps, every other parameter at its point value.
#[derive(Clone, Debug)]
pub struct TwoWay {
    pub x: OneWayRange,
    pub y: OneWayRange,
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    /// Per cell (row-major: y outer, x inner): the arms' results.
    pub cells: Vec<Vec<ArmSummary>>,
}

/// Run a two-way grid. `progress` receives (cells done, total).
pub fn two_way(
    runner: &Runner<'_>,
    (x, y): (OneWayRange, OneWayRange),
    steps: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<TwoWay, RunError> {
    let model = runner.model;
    let grid = |r: &OneWayRange| -> Vec<f64> {
        (0..steps).map(|i| r.low + (r.high - r.low) * i as f64 / (steps - 1) as f64).collect()
    };
    let (xs, ys) = (grid(&x), grid(&y));
    let names = format!(
        "{} and {}",
        model.parameters[x.parameter].name, model.parameters[y.parameter].name
    );
    let mut cells = Vec::with_capacity(steps * steps);
    for &b in &ys {
        for &a in &xs {
            let values = moved(model, &moved(model, &model.values, x.parameter, a), y.parameter, b);
            cells.push(runner.at(&values, Some(&names))?);
            progress(cells.len() as u64, (steps * steps) as u64);
        }
    }
    Ok(TwoWay { x, y, xs, ys, cells })
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
    scenario_sha256: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scenario_layers: Vec<String>,
    seed: u64,
    patients: u64,
    parameters: usize,
    arm: String,
    threshold: f64,
    threads: usize,
    wall_seconds: f64,
}

/// What a sensitivity run adds to its one-way rows: the switch values of the drawn arm
/// (one-way row, threshold index, value) and an optional two-way grid.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    pub switches: Vec<(usize, usize, Option<f64>)>,
    pub two_way: Option<TwoWay>,
}

/// Write the sensitivity folder atomically: tornado.csv and threshold.csv, the tornado plots
/// of `arm` at threshold index `k`, twoway.csv and its heatmap if asked, and run.json.
pub fn write_outputs(
    scenario: &crate::scenario::Scenario,
    (result, extras): (&OneWay, &Extras),
    target: &crate::output::folder::Target,
    arm: usize,
    k: usize,
) -> Result<std::path::PathBuf, RunError> {
    use crate::output::folder::{FolderError, Staging};
    let model = &scenario.model;
    // Never a NaN or an infinity in a table (as for a run's outputs).
    let grid = extras.two_way.iter().flat_map(|g| g.cells.iter());
    let summaries = std::iter::once(&result.base)
        .chain(result.rows.iter().flat_map(|r| [&r.low, &r.high]))
        .chain(grid);
    for arms in summaries {
        for a in arms {
            let values = [a.inc_cost.mean, a.inc_qaly.mean].into_iter();
            if values.chain(a.inc_nmb.iter().map(|e| e.mean)).any(|x| !x.is_finite()) {
                let arm = model.strategies[a.strategy].name.clone();
                return Err(RunError::NonFinite { arm, what: "incremental result" });
            }
        }
    }
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
    let file =
        std::fs::File::create(staging.file("threshold.csv")).map_err(write_err("threshold.csv"))?;
    crate::output::tornado::write_switches(file, model, result, arm, &extras.switches)
        .map_err(|source| RunError::Csv { path: shown("threshold.csv"), source })?;
    if let Some(grid) = &extras.two_way {
        let file =
            std::fs::File::create(staging.file("twoway.csv")).map_err(write_err("twoway.csv"))?;
        crate::output::tornado::write_two_way(file, model, grid)
            .map_err(|source| RunError::Csv { path: shown("twoway.csv"), source })?;
        crate::output::tornado::write_two_way_plot(&staging.dir, model, grid, arm, k)?;
    }
    let a = &result.base[arm];
    let manifest = Manifest {
        tool: "vbpsim",
        version: env!("CARGO_PKG_VERSION"),
        analysis: "one_way_sensitivity",
        scenario: &model.meta.name,
        scenario_file: &scenario.source.name,
        scenario_sha256: crate::run::sha256_hex(&scenario.source.text),
        scenario_layers: scenario.source.describe_layers(),
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
