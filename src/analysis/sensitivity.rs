//! One-way, threshold and two-way sensitivity analyses: which parameters vary and over which
//! ranges, and the result types of the re-simulations (the tornado's rows with their swings and
//! order, the two-way grid with the preferred strategy of each cell). The re-simulations
//! themselves are a job of the workflow room (its `sensitivity` module).

use super::cea::ArmSummary;
use super::results::NonFinite;
use crate::model::Model;
use crate::params::ParamDist;

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
pub fn moved(model: &Model, values: &[f64], i: usize, x: f64) -> Vec<f64> {
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
    /// Per arm and threshold: |incremental NMB at the high end − at the low end|.
    pub swing: Vec<Vec<f64>>,
}

impl OneWayRow {
    pub fn new(range: OneWayRange, low: Vec<ArmSummary>, high: Vec<ArmSummary>) -> Self {
        let swing = low
            .iter()
            .zip(&high)
            .map(|(l, h)| {
                l.inc_nmb.iter().zip(&h.inc_nmb).map(|(l, h)| (h.mean - l.mean).abs()).collect()
            })
            .collect();
        OneWayRow { range, low, high, swing }
    }
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

impl OneWay {
    /// The rows of the tornado of arm `arm` at threshold k: largest swing in incremental NMB
    /// first (ties in scenario order).
    pub fn tornado_order(&self, arm: usize, k: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        let swing = |r: &usize| self.rows[*r].swing[arm][k];
        order.sort_by(|a, b| swing(b).total_cmp(&swing(a)));
        order
    }
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
    /// Per cell and threshold: the strategy preferred at list (highest NMB; the last of ties).
    pub preferred: Vec<Vec<Option<usize>>>,
}

impl TwoWay {
    pub fn new(
        (x, y): (OneWayRange, OneWayRange),
        (xs, ys): (Vec<f64>, Vec<f64>),
        cells: Vec<Vec<ArmSummary>>,
        thresholds: usize,
    ) -> Self {
        let preferred = cells
            .iter()
            .map(|arms| {
                (0..thresholds)
                    .map(|k| {
                        arms.iter()
                            .filter(|a| a.contract.is_none())
                            .max_by(|a, b| a.nmb[k].mean.total_cmp(&b.nmb[k].mean))
                            .map(|a| a.strategy)
                    })
                    .collect()
            })
            .collect();
        TwoWay { x, y, xs, ys, cells, preferred }
    }
}

/// What a sensitivity run shows: the one-way rows, the arm and threshold drawn, the
/// tornado's order, the switch values of the drawn arm (one-way row, threshold index, value)
/// and an optional two-way grid.
#[derive(Clone, Debug)]
pub struct Sensitivity {
    pub one_way: OneWay,
    /// Index into the arms, and into the scenario's thresholds.
    pub arm: usize,
    pub threshold: usize,
    pub order: Vec<usize>,
    pub switches: Vec<(usize, usize, Option<f64>)>,
    pub two_way: Option<TwoWay>,
}

impl Sensitivity {
    /// Refuse a NaN or an infinity in any table (as for a run's outputs).
    pub fn check_finite(&self, model: &Model) -> Result<(), NonFinite> {
        let one_way = &self.one_way;
        let grid = self.two_way.iter().flat_map(|g| g.cells.iter());
        let summaries = std::iter::once(&one_way.base)
            .chain(one_way.rows.iter().flat_map(|r| [&r.low, &r.high]))
            .chain(grid);
        for arms in summaries {
            for a in arms {
                let values = [a.inc_cost.mean, a.inc_qaly.mean].into_iter();
                if values.chain(a.inc_nmb.iter().map(|e| e.mean)).any(|x| !x.is_finite()) {
                    let arm = model.strategies[a.strategy].name.clone();
                    return Err(NonFinite::arm(arm, "incremental result"));
                }
            }
        }
        Ok(())
    }
}
