//! The one-way sensitivity analysis's outputs: tornado.csv and the tornado plots.

use super::plots::{Chart, Plot, PlotError, TornadoEnd, TornadoRow, write};
use super::tables::{contract_name, number};
use crate::analysis::cea::{ArmSummary, IcerStatus};
use crate::model::Model;
use crate::sensitivity::OneWay;
use std::io::Write;
use std::path::Path;

/// tornado.csv: one row per varied parameter × arm (every arm but the comparator at list).
pub fn write_table<W: Write>(out: W, model: &Model, result: &OneWay) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header: Vec<String> = [
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
    ]
    .map(String::from)
    .to_vec();
    for l in &model.meta.thresholds {
        for end in ["base", "low", "high"] {
            header.push(format!("inc_nmb_{end}_{l}"));
        }
        header.push(format!("swing_{l}"));
    }
    w.write_record(&header)?;
    let icer = |a: &ArmSummary| a.icer.map(number).unwrap_or_default();
    for row in &result.rows {
        let p = &model.parameters[row.range.parameter];
        for (i, base) in result.base.iter().enumerate() {
            if base.strategy == model.meta.comparator && base.contract.is_none() {
                continue;
            }
            let (low, high) = (&row.low[i], &row.high[i]);
            let mut rec = vec![
                p.name.clone(),
                row.range.source.as_str().to_string(),
                number(model.values[p.slot.0 as usize]),
                number(row.range.low),
                number(row.range.high),
                model.strategies[base.strategy].name.clone(),
                contract_name(model, base.contract).to_string(),
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
            ];
            for k in 0..model.meta.thresholds.len() {
                let (b, l, h) = (base.inc_nmb[k].mean, low.inc_nmb[k].mean, high.inc_nmb[k].mean);
                rec.extend([number(b), number(l), number(h), number((h - l).abs())]);
            }
            w.write_record(&rec)?;
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

/// Parameter rows of one arm, largest swing in incremental NMB at threshold k first.
fn ordered(result: &OneWay, arm: usize, k: usize) -> Vec<&crate::sensitivity::OneWayRow> {
    let mut rows: Vec<_> = result.rows.iter().collect();
    let swing = |r: &&crate::sensitivity::OneWayRow| {
        (r.high[arm].inc_nmb[k].mean - r.low[arm].inc_nmb[k].mean).abs()
    };
    rows.sort_by(|a, b| swing(b).total_cmp(&swing(a)));
    rows
}

fn label(model: &Model, row: &crate::sensitivity::OneWayRow) -> String {
    let p = &model.parameters[row.range.parameter];
    format!("{} [{} – {}]", p.name, short(row.range.low), short(row.range.high))
}

/// The tornado of incremental NMB at threshold k for `arm`, and of its ICER when the base
/// case has one (an end in another quadrant is drawn to the edge, labelled).
pub fn write_plots(
    dir: &Path,
    model: &Model,
    result: &OneWay,
    arm: usize,
    k: usize,
) -> Result<(), PlotError> {
    let base = &result.base[arm];
    let name =
        format!("{}/{}", model.strategies[base.strategy].name, contract_name(model, base.contract));
    let comparator = &model.strategies[model.meta.comparator].name;
    let lambda = model.meta.thresholds[k];
    let currency = &model.meta.currency;
    let rows = ordered(result, arm, k);
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
                "One-way sensitivity: incremental NMB of {name} vs {comparator} at {lambda}"
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
                reference: Some((format!("threshold {lambda}"), lambda)),
            },
        },
    )
}
