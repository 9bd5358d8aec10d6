//! CSV tables of the probabilistic analysis: psa.csv, parameters.csv, psa_summary.csv,
//! frontier.csv, ceac.csv, ceaf.csv, evpi.csv.

use super::tables::{contract_name, number};
use crate::analysis::cea::{ArmSummary, Estimate};
use crate::analysis::frontier::{DecisionSet, decision_sets, frontier};
use crate::analysis::psa::{Table, acceptability, discounted_cohorts, spread};
use crate::model::{Arm, Model};
use crate::run::PsaSample;
use std::io::Write;

/// `cost_<category>` with the category's `:` as `_` (snake_case column names).
fn category_column(name: &str) -> String {
    format!("cost_{}", name.replace(':', "_"))
}

/// The name of a decision set: `list` or the contract's name.
pub fn set_name(model: &Model, set: &DecisionSet) -> String {
    contract_name(model, set.contract).to_string()
}

pub fn sets(model: &Model, arms: &[Arm]) -> Vec<DecisionSet> {
    decision_sets(arms, model.strategies.len(), model.contracts.len(), model.meta.comparator)
}

pub fn write_psa<W: Write>(out: W, model: &Model, psa: &[PsaSample]) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header: Vec<String> =
        ["sample", "strategy", "contract", "cost", "qaly", "ly", "ly_undiscounted"]
            .map(String::from)
            .to_vec();
    header.extend(model.categories().iter().map(|c| category_column(c)));
    w.write_record(&header)?;
    for s in psa {
        for r in &s.arms {
            let mut rec = vec![
                s.sample.to_string(),
                model.strategies[r.strategy].name.clone(),
                contract_name(model, r.contract).to_string(),
                number(r.cost.mean),
                number(r.qaly.mean),
                number(r.ly.mean),
                number(r.ly_undiscounted.mean),
            ];
            rec.extend(r.categories.iter().map(|c| number(*c)));
            w.write_record(&rec)?;
        }
    }
    w.flush()?;
    Ok(())
}

/// parameters.csv: one row per sample, one column per uncertain parameter, on the scenario's
/// internal scale (durations in years, rates per year).
pub fn write_parameters<W: Write>(out: W, model: &Model, psa: &[PsaSample]) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header = vec!["sample".to_string()];
    header.extend(model.parameters.iter().filter(|p| p.is_uncertain()).map(|p| p.name.clone()));
    w.write_record(&header)?;
    for s in psa {
        let mut rec = vec![s.sample.to_string()];
        rec.extend(s.values.iter().map(|x| number(*x)));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// The samples' (cost, qaly) of a decision set's arms.
fn table(psa: &[PsaSample], set: &DecisionSet) -> Table {
    psa.iter()
        .map(|s| set.arms.iter().map(|&a| (s.arms[a].cost.mean, s.arms[a].qaly.mean)).collect())
        .collect()
}

/// frontier.csv: the incremental analysis of each decision set, on the PSA means (with PSA)
/// or the base case.
pub fn write_frontier<W: Write>(
    out: W,
    model: &Model,
    arms: &[Arm],
    base: &[ArmSummary],
    psa: &[PsaSample],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "decision_set",
        "strategy",
        "contract",
        "cost",
        "qaly",
        "status",
        "reference_strategy",
        "reference_contract",
        "inc_cost",
        "inc_qaly",
        "icer",
        "basis",
    ])?;
    let basis = if psa.is_empty() { "base_case" } else { "psa_mean" };
    for set in sets(model, arms) {
        let points: Vec<(f64, f64)> = if psa.is_empty() {
            set.arms.iter().map(|&a| (base[a].cost.mean, base[a].qaly.mean)).collect()
        } else {
            let t = table(psa, &set);
            let n = t.len() as f64;
            (0..set.arms.len())
                .map(|j| {
                    let c = t.iter().map(|row| row[j].0).sum::<f64>() / n;
                    let q = t.iter().map(|row| row[j].1).sum::<f64>() / n;
                    (c, q)
                })
                .collect()
        };
        let name = set_name(model, &set);
        for row in frontier(&points) {
            let a = &arms[set.arms[row.index]];
            let reference = row.reference.map(|i| arms[set.arms[i]]);
            let opt = |x: Option<f64>| x.map(number).unwrap_or_default();
            w.write_record([
                name.clone(),
                model.strategies[a.strategy].name.clone(),
                contract_name(model, a.contract).to_string(),
                number(points[row.index].0),
                number(points[row.index].1),
                row.status.as_str().to_string(),
                reference.map(|r| model.strategies[r.strategy].name.clone()).unwrap_or_default(),
                reference.map(|r| contract_name(model, r.contract).to_string()).unwrap_or_default(),
                opt(row.inc_cost),
                opt(row.inc_qaly),
                opt(row.icer),
                basis.to_string(),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// ceac.csv, ceaf.csv and evpi.csv over the willingness-to-pay grid, per decision set.
pub fn write_acceptability<W: Write>(
    ceac: W,
    ceaf: W,
    evpi: W,
    model: &Model,
    arms: &[Arm],
    psa: &[PsaSample],
) -> csv::Result<()> {
    let mut ceac = super::csv_cell::Writer::from_writer(ceac);
    let mut ceaf = super::csv_cell::Writer::from_writer(ceaf);
    let mut evpi = super::csv_cell::Writer::from_writer(evpi);
    ceac.write_record([
        "decision_set",
        "wtp",
        "strategy",
        "contract",
        "probability",
        "expected_nmb",
    ])?;
    ceaf.write_record([
        "decision_set",
        "wtp",
        "strategy",
        "contract",
        "probability",
        "expected_nmb",
    ])?;
    evpi.write_record(["decision_set", "wtp", "evpi_per_patient", "evpi_population"])?;
    let cohorts = model.meta.population.map(|n| {
        n as f64 * discounted_cohorts(model.meta.discount_costs, model.meta.decision_years)
    });
    for set in sets(model, arms) {
        let name = set_name(model, &set);
        for a in acceptability(&table(psa, &set), &model.meta.wtp_grid) {
            let wtp = number(a.wtp);
            for (j, &arm) in set.arms.iter().enumerate() {
                let x = &arms[arm];
                ceac.write_record([
                    name.clone(),
                    wtp.clone(),
                    model.strategies[x.strategy].name.clone(),
                    contract_name(model, x.contract).to_string(),
                    number(a.probability[j]),
                    number(a.expected_nmb[j]),
                ])?;
            }
            let best = &arms[set.arms[a.optimal]];
            ceaf.write_record([
                name.clone(),
                wtp.clone(),
                model.strategies[best.strategy].name.clone(),
                contract_name(model, best.contract).to_string(),
                number(a.probability[a.optimal]),
                number(a.expected_nmb[a.optimal]),
            ])?;
            evpi.write_record([
                name.clone(),
                wtp,
                number(a.evpi),
                cohorts.map(|k| number(a.evpi * k)).unwrap_or_default(),
            ])?;
        }
    }
    ceac.flush()?;
    ceaf.flush()?;
    evpi.flush()?;
    Ok(())
}

/// Measure m of an arm: cost, qaly, ly, inc_cost, inc_qaly, then inc_nmb per threshold.
fn measure(r: &ArmSummary, m: usize) -> Estimate {
    match m {
        0 => r.cost,
        1 => r.qaly,
        2 => r.ly,
        3 => r.inc_cost,
        4 => r.inc_qaly,
        k => r.inc_nmb[k - 5],
    }
}

/// evppi.csv: EVPPI of each uncertain parameter, per decision set and willingness to pay.
pub fn write_evppi<W: Write>(
    out: W,
    model: &Model,
    arms: &[Arm],
    psa: &[PsaSample],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record(["decision_set", "wtp", "parameter", "evppi_per_patient", "evppi_population"])?;
    let cohorts = model.meta.population.map(|n| {
        n as f64 * discounted_cohorts(model.meta.discount_costs, model.meta.decision_years)
    });
    let uncertain: Vec<&str> =
        model.parameters.iter().filter(|p| p.is_uncertain()).map(|p| p.name.as_str()).collect();
    for set in sets(model, arms) {
        let name = set_name(model, &set);
        let t = table(psa, &set);
        for (k, parameter) in uncertain.iter().enumerate() {
            let theta: Vec<f64> = psa.iter().map(|s| s.values[k]).collect();
            let values = crate::analysis::evppi::evppi(&theta, &t, &model.meta.wtp_grid);
            for (l, v) in model.meta.wtp_grid.iter().zip(values) {
                w.write_record([
                    name.clone(),
                    number(*l),
                    parameter.to_string(),
                    v.map(number).unwrap_or_default(),
                    v.and_then(|v| cohorts.map(|c| number(v * c))).unwrap_or_default(),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// psa_summary.csv: per arm and measure, the base case and the spread across PSA samples,
/// with the within-sample (patient-level) Monte Carlo error beside it.
pub fn write_psa_summary<W: Write>(
    out: W,
    model: &Model,
    base: &[ArmSummary],
    psa: &[PsaSample],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "strategy",
        "contract",
        "measure",
        "base_case",
        "psa_mean",
        "psa_mcse",
        "psa_sd",
        "psa_low",
        "psa_high",
        "within_sample_se",
    ])?;
    for (i, b) in base.iter().enumerate() {
        let mut names: Vec<String> =
            ["cost", "qaly", "ly", "inc_cost", "inc_qaly"].map(String::from).to_vec();
        names.extend(model.meta.thresholds.iter().map(|l| format!("inc_nmb_{}", number(*l))));
        for (m, name) in names.into_iter().enumerate() {
            let base_value = measure(b, m).mean;
            let values: Vec<(f64, Option<f64>)> = psa
                .iter()
                .map(|s| {
                    let e = measure(&s.arms[i], m);
                    (e.mean, e.mcse)
                })
                .collect();
            let xs: Vec<f64> = values.iter().map(|v| v.0).collect();
            let sp = spread(&xs);
            // Root mean square of the samples' own standard errors: the patient-level noise
            // inside each sample's mean.
            let within = (values.iter().map(|v| v.1.unwrap_or(0.0).powi(2)).sum::<f64>()
                / xs.len() as f64)
                .sqrt();
            w.write_record([
                model.strategies[b.strategy].name.clone(),
                contract_name(model, b.contract).to_string(),
                name,
                number(base_value),
                number(sp.mean),
                number(sp.mcse),
                number(sp.sd),
                number(sp.low),
                number(sp.high),
                number(within),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// budget_impact_psa.csv: per contract and budget year, the mean and 95 % interval across PSA
/// samples of the spend in the world with the new strategy and of the net budget impact (the
/// payer's budget risk).
pub fn write_budget_psa<W: Write>(
    out: W,
    model: &Model,
    rows: &[crate::analysis::budget::BudgetRow],
    psa: &[crate::run::PsaSample],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "strategy",
        "contract",
        "year",
        "spend_with_mean",
        "spend_with_low",
        "spend_with_high",
        "net_mean",
        "net_low",
        "net_high",
    ])?;
    let Some(b) = &model.budget else {
        w.flush()?;
        return Ok(());
    };
    let totals = rows.iter().filter(|r| r.category.is_none());
    for (k, r) in totals.enumerate() {
        let with: Vec<f64> = psa.iter().map(|s| s.budget[k].0).collect();
        let net: Vec<f64> = psa.iter().map(|s| s.budget[k].1).collect();
        let (with, net) = (spread(&with), spread(&net));
        w.write_record([
            model.strategies[b.strategy].name.clone(),
            contract_name(model, r.contract).to_string(),
            r.year.to_string(),
            number(with.mean),
            number(with.low),
            number(with.high),
            number(net.mean),
            number(net.low),
            number(net.high),
        ])?;
    }
    w.flush()?;
    Ok(())
}
