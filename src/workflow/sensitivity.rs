//! One-way sensitivity analysis (the tornado): the base case re-simulated on the same patients
//! (same seed, common random numbers) with one parameter at a time at the low and then the
//! high end of its range, every other parameter at its point value.

use super::{RunError, RunOptions, thread_pool};
use crate::analysis::cea::{ArmSummary, summarise};
use crate::analysis::sensitivity::{
    OneWay, OneWayRange, OneWayRow, Sensitivity, TwoWay, moved, ranges, values_with,
};
use crate::model::Model;
use crate::output::folder::Target;
use crate::scenario::Scenario;
use crate::sim::{Prepared, SampleSpec, simulate_sample};
use crate::workflow::run::provenance;

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
        let pool = thread_pool(options.threads)?;
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
        rows.push(OneWayRow::new(range, low, high));
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
    Ok(TwoWay::new((x, y), (xs, ys), cells, model.meta.thresholds.len()))
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

/// Write the sensitivity folder atomically (tornado.csv, threshold.csv, the tornado plots of
/// the drawn arm, twoway.csv and its heatmap if asked, and run.json); a result with a NaN or an
/// infinity is refused.
pub fn write_outputs(
    scenario: &Scenario,
    result: &Sensitivity,
    target: &Target,
) -> Result<std::path::PathBuf, RunError> {
    let model = &scenario.model;
    result.check_finite(model)?;
    Ok(crate::output::sensitivity::write(target, model, result, &provenance(scenario))?)
}
