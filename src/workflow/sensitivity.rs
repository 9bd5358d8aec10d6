//! One-way sensitivity analysis (the tornado): the base case re-simulated on the same patients
//! (same seed, common random numbers) with one parameter at a time at the low and then the
//! high end of its range, every other parameter at its point value.

use super::{RunError, RunOptions, thread_pool};
use crate::analysis::cea::{ArmSummary, summarise};
use crate::analysis::sensitivity::{
    OneWay, OneWayRange, OneWayRow, Sensitivity, TwoWay, moved, ranges, values_with,
};
use crate::model::{Arm, Model};
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
        Ok(summarise(&sums, &prep.arms, &prep.references, &model.meta.thresholds))
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

/// A sensitivity analysis the scenario cannot serve: the user's request (exit code 2).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanError {
    #[error("{file} has `thresholds = []`: the tornado is drawn at a willingness to pay per QALY")]
    NoThresholds { file: String },
    #[error("--threshold {threshold} is not one of the scenario's thresholds")]
    UnknownThreshold { threshold: f64, thresholds: Vec<f64> },
    #[error("--two-way: `{name}` is not a parameter with a range or a PSA distribution")]
    NotVaried { name: String, varied: Vec<String> },
    #[error("--two-way {names}: both are shares of one Dirichlet vector, which move together")]
    OneDirichlet { names: String },
    #[error("--two-way {names}: expected two different parameter names, A,B")]
    NotAPair { names: String },
    #[error(
        "{file} has no parameter to vary: one-way sensitivity varies the parameters with a PSA distribution or a `range = [low, high]`"
    )]
    NothingToVary { file: String },
    #[error("--arm {wanted}: no such arm; arms: {}", arms.join(", "))]
    UnknownArm { wanted: String, arms: Vec<String> },
    #[error(
        "--arm {wanted}: the comparator's arm is the reference its increments are against (all zero); arms: {}",
        arms.join(", ")
    )]
    ReferenceArm { wanted: String, arms: Vec<String> },
    #[error("the scenario has no strategy besides the comparator")]
    NoOtherStrategy,
}

impl PlanError {
    /// What the user can do about it.
    pub fn help(&self) -> Option<String> {
        Some(match self {
            PlanError::NoThresholds { .. } => {
                "give at least one, e.g. `thresholds = [100000]`".to_string()
            }
            PlanError::UnknownThreshold { thresholds, .. } => {
                let list: Vec<String> = thresholds.iter().map(|t| t.to_string()).collect();
                format!("use one of {}, or add it to `scenario.thresholds`", list.join(", "))
            }
            PlanError::NotVaried { varied, .. } => {
                format!("parameters that can vary: {}", varied.join(", "))
            }
            PlanError::OneDirichlet { .. } => {
                "pair one of them with a parameter outside the vector".to_string()
            }
            PlanError::NothingToVary { .. } => {
                "give a parameter a range, e.g. `osi_price = { value = 14763, range = [11000, 18000] }`"
                    .to_string()
            }
            PlanError::NotAPair { .. }
            | PlanError::UnknownArm { .. }
            | PlanError::ReferenceArm { .. }
            | PlanError::NoOtherStrategy => return None,
        })
    }
}

/// A sensitivity analysis checked against its scenario before anything is simulated: the
/// parameters varied, the threshold of the tornado, and an optional two-way grid of `steps`
/// points a side. (The arm drawn is checked apart, [`Plan::arm`], once the output folder is
/// known to be writable.)
#[derive(Clone, Debug)]
pub struct Plan {
    pub ranges: Vec<OneWayRange>,
    /// Index into the scenario's thresholds.
    pub threshold: usize,
    pub two_way: Option<((OneWayRange, OneWayRange), usize)>,
}

impl Plan {
    /// Check a request: `threshold` one of the scenario's (default: the first), `two_way` as
    /// (`A,B`, steps).
    pub fn new(
        scenario: &Scenario,
        threshold: Option<f64>,
        two_way: Option<(&str, usize)>,
    ) -> Result<Plan, PlanError> {
        let m = &scenario.model;
        let file = || scenario.source.name.clone();
        if m.meta.thresholds.is_empty() {
            return Err(PlanError::NoThresholds { file: file() });
        }
        let threshold = match threshold {
            None => 0,
            Some(l) => m.meta.thresholds.iter().position(|&t| t == l).ok_or_else(|| {
                PlanError::UnknownThreshold { threshold: l, thresholds: m.meta.thresholds.clone() }
            })?,
        };
        let ranges = ranges(m);
        let two_way = match two_way {
            None => None,
            Some((names, steps)) => Some((pair(m, &ranges, names)?, steps)),
        };
        if ranges.is_empty() {
            return Err(PlanError::NothingToVary { file: file() });
        }
        Ok(Plan { ranges, threshold, two_way })
    }

    /// The arm whose tornado is drawn, as an index into the arms: `STRATEGY` or
    /// `STRATEGY/CONTRACT` (default: the first strategy other than the comparator, at list).
    pub fn arm(&self, model: &Model, arm: Option<&str>) -> Result<usize, PlanError> {
        arm_index(model, arm)
    }

    /// Simulations of the base case it takes: the base case, two per parameter and the grid
    /// (the switch values' searches, a few simulations per parameter and threshold, are not
    /// counted).
    pub fn simulations(&self) -> u64 {
        let steps = self.two_way.as_ref().map_or(0, |(_, steps)| *steps as u64);
        1 + 2 * self.ranges.len() as u64 + steps * steps
    }

    /// Run it on `runner`'s patients, drawing the tornado of arm `arm` ([`Plan::arm`]).
    /// `progress` receives (simulations done, total) of the one-way analysis, then of the grid.
    pub fn run(
        &self,
        runner: &Runner<'_>,
        arm: usize,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Sensitivity, RunError> {
        let result = one_way(runner, progress)?;
        let mut switches = Vec::new();
        for (row, r) in result.rows.iter().enumerate() {
            for t in 0..runner.model.meta.thresholds.len() {
                switches.push((row, t, switch_value(runner, r, arm, t)?));
            }
        }
        let two_way = match self.two_way {
            Some((xy, steps)) => Some(two_way(runner, xy, steps, progress)?),
            None => None,
        };
        Ok(Sensitivity {
            order: result.tornado_order(arm, self.threshold),
            one_way: result,
            arm,
            threshold: self.threshold,
            switches,
            two_way,
        })
    }
}

/// The two parameters of a two-way grid, `A,B` by name among those with a range.
fn pair(
    m: &Model,
    ranges: &[OneWayRange],
    names: &str,
) -> Result<(OneWayRange, OneWayRange), PlanError> {
    let find = |n: &str| {
        ranges.iter().find(|r| m.parameters[r.parameter].name == n).copied().ok_or_else(|| {
            PlanError::NotVaried {
                name: n.to_string(),
                varied: ranges.iter().map(|r| m.parameters[r.parameter].name.clone()).collect(),
            }
        })
    };
    match names.split(',').map(str::trim).collect::<Vec<_>>()[..] {
        [a, b] if a != b => {
            let (x, y) = (find(a)?, find(b)?);
            // Moving two shares of one Dirichlet vector would rescale each other.
            let together =
                m.dirichlets.iter().any(|g| g.contains(&x.parameter) && g.contains(&y.parameter));
            if together {
                return Err(PlanError::OneDirichlet { names: names.to_string() });
            }
            Ok((x, y))
        }
        _ => Err(PlanError::NotAPair { names: names.to_string() }),
    }
}

/// The arm to draw: `strategy` or `strategy/contract` (default: the first strategy other than
/// the comparator, at list), as an index into the arms.
fn arm_index(model: &Model, arm: Option<&str>) -> Result<usize, PlanError> {
    let arms = model.arms();
    let name_of = |a: &Arm| model.arm_name(a.strategy, a.contract);
    let Some(wanted) = arm else {
        return arms
            .iter()
            .position(|a| a.strategy != model.meta.comparator)
            .ok_or(PlanError::NoOtherStrategy);
    };
    let wanted = if wanted.contains('/') { wanted.to_string() } else { format!("{wanted}/list") };
    // A `list` contract settled on a list arm names that arm.
    let settled = (model.settlements().into_iter())
        .find(|s| s.slot != s.arm && model.arm_name(s.strategy, Some(s.contract)) == wanted);
    if let Some(s) = settled {
        return Ok(s.arm);
    }
    // The arms that can be drawn: every arm but the references (the comparator's).
    let references = model.references(&arms);
    let drawable: Vec<String> =
        (0..arms.len()).filter(|&i| references[i] != i).map(|i| name_of(&arms[i])).collect();
    match arms.iter().position(|a| name_of(a) == wanted) {
        Some(i) if references[i] == i => Err(PlanError::ReferenceArm { wanted, arms: drawable }),
        Some(i) => Ok(i),
        None => Err(PlanError::UnknownArm { wanted, arms: drawable }),
    }
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
