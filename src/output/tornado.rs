//! The sensitivity analyses' outputs: tornado.csv, tornado_nmb.csv, threshold.csv,
//! twoway.csv and their plots.

use super::plots::{Chart, Plot, PlotError, TornadoEnd, TornadoRow, write};
use super::tables::number;
use crate::analysis::cea::{ArmSummary, IcerStatus};
use crate::analysis::sensitivity::{OneWay, OneWayRow, TwoWay};
use crate::model::Model;
use std::io::Write;
use std::path::Path;

/// tornado.csv: one row per varied parameter × arm (every arm but the references).
pub fn write_table<W: Write>(out: W, model: &Model, result: &OneWay) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "parameter",
        "range_source",
        "value_base",
        "value_low",
        "value_high",
        "strategy",
        "contract",
        "inc_cost_base",
        "inc_cost_low",
        "inc_cost_high",
        "inc_qaly_base",
        "inc_qaly_low",
        "inc_qaly_high",
        "icer_base",
        "icer_low",
        "icer_high",
        "icer_status_base",
        "icer_status_low",
        "icer_status_high",
    ])?;
    let icer = |a: &ArmSummary| a.icer.map(number).unwrap_or_default();
    for row in &result.rows {
        let p = &model.parameters[row.range.parameter];
        for (i, base) in result.base.iter().enumerate() {
            if base.reference == i {
                continue;
            }
            let (low, high) = (&row.low[i], &row.high[i]);
            w.write_record([
                p.name.clone(),
                row.range.source.as_str().to_string(),
                number(p.as_written(model.values[p.slot.0 as usize])),
                number(p.as_written(row.range.low)),
                number(p.as_written(row.range.high)),
                model.strategies[base.strategy].name.clone(),
                model.contract_name(base.contract).to_string(),
                number(base.inc_cost.mean),
                number(low.inc_cost.mean),
                number(high.inc_cost.mean),
                number(base.inc_qaly.mean),
                number(low.inc_qaly.mean),
                number(high.inc_qaly.mean),
                icer(base),
                icer(low),
                icer(high),
                base.icer_status.as_str().to_string(),
                low.icer_status.as_str().to_string(),
                high.icer_status.as_str().to_string(),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// tornado_nmb.csv: tornado.csv's rows at every threshold (long): the incremental NMB in the
/// base case and at each end of the range, and the swing between the ends.
pub fn write_nmb_table<W: Write>(out: W, model: &Model, result: &OneWay) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "parameter",
        "strategy",
        "contract",
        "wtp",
        "value_base",
        "value_low",
        "value_high",
        "inc_nmb_base",
        "inc_nmb_low",
        "inc_nmb_high",
        "swing",
    ])?;
    for row in &result.rows {
        let p = &model.parameters[row.range.parameter];
        for (i, base) in result.base.iter().enumerate() {
            if base.reference == i {
                continue;
            }
            let (low, high) = (&row.low[i], &row.high[i]);
            for (k, &l) in model.meta.thresholds.iter().enumerate() {
                w.write_record([
                    p.name.clone(),
                    model.strategies[base.strategy].name.clone(),
                    model.contract_name(base.contract).to_string(),
                    number(l),
                    number(p.as_written(model.values[p.slot.0 as usize])),
                    number(p.as_written(row.range.low)),
                    number(p.as_written(row.range.high)),
                    number(base.inc_nmb[k].mean),
                    number(low.inc_nmb[k].mean),
                    number(high.inc_nmb[k].mean),
                    number(row.swing[i][k]),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// A number with four significant digits, for labels.
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{x:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A parameter and its range, in the unit oncologists read: durations in months, rates per
/// month (the model holds years), numbers as they are.
fn label(model: &Model, row: &OneWayRow) -> String {
    let p = &model.parameters[row.range.parameter];
    let (factor, unit) = p.dimension.reading_unit();
    let (low, high) = (short(factor * row.range.low), short(factor * row.range.high));
    match unit {
        None => format!("{} [{low} – {high}]", p.name),
        Some(unit) => format!("{} [{low} – {high} {unit}]", p.name),
    }
}

/// The tornado of incremental NMB at threshold k for `arm`, its rows in `order`, and of its
/// ICER when the base case has one (an end in another quadrant is drawn to the edge,
/// labelled).
pub fn write_plots(
    dir: &Path,
    model: &Model,
    result: &OneWay,
    (arm, k): (usize, usize),
    order: &[usize],
) -> Result<(), PlotError> {
    let base = &result.base[arm];
    let name = model.arm_name(base.strategy, base.contract);
    // Its reference: the comparator at list, or under the arm's contract.
    let reference = &result.base[base.reference];
    let comparator = model.arm_name(reference.strategy, reference.contract);
    let lambda = model.meta.thresholds[k];
    let currency = &model.meta.currency;
    let rows: Vec<&OneWayRow> = order.iter().map(|&r| &result.rows[r]).collect();
    let nmb_rows = rows
        .iter()
        .map(|r| TornadoRow {
            label: label(model, r),
            low: TornadoEnd::At(r.low[arm].inc_nmb[k].mean),
            high: TornadoEnd::At(r.high[arm].inc_nmb[k].mean),
        })
        .collect();
    write(
        dir,
        "tornado",
        &Plot {
            title: format!(
                "One-way sensitivity: incremental NMB of {name} vs {comparator} at {} {currency}/QALY",
                super::tables::grouped(lambda, 0)
            ),
            x_label: format!("incremental NMB ({currency} per patient)"),
            y_label: String::new(),
            chart: Chart::Tornado {
                rows: nmb_rows,
                base: base.inc_nmb[k].mean,
                reference: Some(("decision changes (NMB 0)".to_string(), 0.0)),
            },
        },
    )?;
    let Some(base_icer) = base.icer.filter(|_| base.icer_status == IcerStatus::Ratio) else {
        return Ok(());
    };
    let end = |a: &ArmSummary| match (a.icer_status, a.icer) {
        (IcerStatus::Ratio, Some(x)) => TornadoEnd::At(x),
        (status, _) => TornadoEnd::OffScale {
            right: status != IcerStatus::Dominant,
            note: status.as_str().replace("ratio_sw", "SW quadrant").to_string(),
        },
    };
    let icer_rows = rows
        .iter()
        .map(|r| TornadoRow {
            label: label(model, r),
            low: end(&r.low[arm]),
            high: end(&r.high[arm]),
        })
        .collect();
    write(
        dir,
        "tornado_icer",
        &Plot {
            title: format!("One-way sensitivity: ICER of {name} vs {comparator}"),
            x_label: format!("ICER ({currency} per QALY)"),
            y_label: String::new(),
            chart: Chart::Tornado {
                rows: icer_rows,
                base: base_icer,
                reference: Some((
                    format!("threshold {} {currency}/QALY", super::tables::grouped(lambda, 0)),
                    lambda,
                )),
            },
        },
    )
}

/// threshold.csv: per varied parameter and threshold, where the drawn arm's incremental NMB
/// crosses zero within the parameter's range.
pub fn write_switches<W: Write>(
    out: W,
    model: &Model,
    result: &OneWay,
    arm: usize,
    switches: &[(usize, usize, Option<f64>)],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "parameter",
        "strategy",
        "contract",
        "wtp",
        "value_base",
        "value_low",
        "value_high",
        "inc_nmb_low",
        "inc_nmb_high",
        "switch_value",
        "status",
    ])?;
    let a = &result.base[arm];
    for &(row, k, value) in switches {
        let r = &result.rows[row];
        let p = &model.parameters[r.range.parameter];
        w.write_record([
            p.name.clone(),
            model.strategies[a.strategy].name.clone(),
            model.contract_name(a.contract).to_string(),
            number(model.meta.thresholds[k]),
            number(p.as_written(model.values[p.slot.0 as usize])),
            number(p.as_written(r.range.low)),
            number(p.as_written(r.range.high)),
            number(r.low[arm].inc_nmb[k].mean),
            number(r.high[arm].inc_nmb[k].mean),
            value.map(|v| number(p.as_written(v))).unwrap_or_default(),
            (if value.is_some() { "switches" } else { "no_switch_in_range" }).to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// twoway.csv: per cell of the grid and arm (every arm but the references), the
/// incremental NMB at each threshold (long, `wtp`) and the strategy preferred at list there
/// (highest NMB).
pub fn write_two_way<W: Write>(out: W, model: &Model, grid: &TwoWay) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "parameter_x",
        "value_x",
        "parameter_y",
        "value_y",
        "strategy",
        "contract",
        "wtp",
        "inc_nmb",
        "preferred",
    ])?;
    let (px, py) = (&model.parameters[grid.x.parameter], &model.parameters[grid.y.parameter]);
    for (c, arms) in grid.cells.iter().enumerate() {
        let (x, y) = (grid.xs[c % grid.xs.len()], grid.ys[c / grid.xs.len()]);
        let preferred: Vec<String> = grid.preferred[c]
            .iter()
            .map(|s| s.map_or(String::new(), |s| model.strategies[s].name.clone()))
            .collect();
        for (i, a) in arms.iter().enumerate() {
            if a.reference == i {
                continue;
            }
            for (k, best) in preferred.iter().enumerate() {
                w.write_record([
                    px.name.clone(),
                    number(px.as_written(x)),
                    py.name.clone(),
                    number(py.as_written(y)),
                    model.strategies[a.strategy].name.clone(),
                    model.contract_name(a.contract).to_string(),
                    number(model.meta.thresholds[k]),
                    number(a.inc_nmb[k].mean),
                    best.clone(),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// The two-way heatmap of `arm`'s incremental NMB at threshold k.
pub fn write_two_way_plot(
    dir: &Path,
    model: &Model,
    grid: &TwoWay,
    arm: usize,
    k: usize,
) -> Result<(), PlotError> {
    let a = &grid.cells[0][arm];
    let name = model.arm_name(a.strategy, a.contract);
    let values = grid.cells.iter().map(|c| c[arm].inc_nmb[k].mean).collect();
    // Each axis in its parameter's reading unit (durations in months, rates per month).
    let axis = |parameter: usize, values: &[f64]| {
        let p = &model.parameters[parameter];
        let (factor, unit) = p.dimension.reading_unit();
        let label = unit.map_or(p.name.clone(), |u| format!("{} ({u})", p.name));
        (label, values.iter().map(|v| v * factor).collect::<Vec<f64>>())
    };
    let (x_label, xs) = axis(grid.x.parameter, &grid.xs);
    let (y_label, ys) = axis(grid.y.parameter, &grid.ys);
    write(
        dir,
        "twoway",
        &Plot {
            title: format!(
                "Two-way sensitivity: incremental NMB of {name} at {} {}/QALY",
                super::tables::grouped(model.meta.thresholds[k], 0),
                model.meta.currency
            ),
            x_label,
            y_label,
            chart: Chart::Heatmap { xs, ys, values },
        },
    )
}
