//! CSV tables of the probabilistic analysis: psa.csv, parameters.csv, psa_summary.csv,
//! frontier.csv, ceac.csv, ceaf.csv, evpi.csv.

use super::tables::number;
use crate::analysis::cea::ArmSummary;
use crate::analysis::decision::Decision;
use crate::analysis::frontier::DecisionSet;
use crate::analysis::psa::PsaSample;
use crate::analysis::results::{BudgetBand, Measure, PsaSummaryRow};
use crate::model::{Arm, Model};
use std::io::Write;

/// `cost_<category>`, the category named as in costs.csv (`cost_state:progression_free`), so
/// that one category has one name in every file.
fn category_column(name: &str) -> String {
    format!("cost_{name}")
}

/// The name of a decision set: `list` or the contract's name.
pub fn set_name(model: &Model, set: &DecisionSet) -> String {
    model.contract_name(set.contract).to_string()
}

/// psa.csv: one row per sample and arm (`arms` in the order of the samples' arms).
pub fn write_psa<W: Write>(
    out: W,
    model: &Model,
    arms: &[Arm],
    psa: &[PsaSample],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header: Vec<String> =
        ["sample", "strategy", "contract", "cost", "qaly", "ly", "ly_undiscounted"]
            .map(String::from)
            .to_vec();
    header.extend(model.categories().iter().map(|c| category_column(c)));
    w.write_record(&header)?;
    for s in psa {
        for (r, arm) in s.arms.iter().zip(arms) {
            let mut rec = vec![
                s.sample.to_string(),
                model.strategies[arm.strategy].name.clone(),
                model.contract_name(arm.contract).to_string(),
                number(r.cost.mean),
                number(r.qaly.mean),
                number(r.ly.mean),
                number(r.ly_undiscounted),
            ];
            rec.extend(r.categories.iter().map(|c| number(*c)));
            w.write_record(&rec)?;
        }
    }
    w.flush()?;
    Ok(())
}

/// parameters.csv: one row per sample, one column per uncertain parameter, in the unit the
/// scenario writes it in (run.json's `units.parameters`; numbers as they are).
pub fn write_parameters<W: Write>(out: W, model: &Model, psa: &[PsaSample]) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header = vec!["sample".to_string()];
    let uncertain: Vec<&crate::model::Parameter> =
        model.parameters.iter().filter(|p| p.is_uncertain()).collect();
    header.extend(uncertain.iter().map(|p| p.name.clone()));
    w.write_record(&header)?;
    // Each draw in the unit the scenario writes the parameter in (months for "24 months").
    let factors: Vec<f64> = uncertain.iter().map(|p| p.written.map_or(1.0, |u| u.factor)).collect();
    for s in psa {
        let mut rec = vec![s.sample.to_string()];
        rec.extend(s.values.iter().zip(&factors).map(|(x, f)| number(x * f)));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// psa_costs.csv or psa_qalys.csv: one row per sample, one column per arm (`strategy/contract`,
/// in summary.csv's order) with the sample's mean cost or QALYs per patient: the n_sim ×
/// n_interventions matrices that BCEA (`bcea(e, c, …)`), dampack (`make_psa_obj(cost,
/// effectiveness, parameters, …)`) and voi (`list(c =, e =, k =)`) take as they are, beside
/// parameters.csv, their parameter matrix, row for row.
pub fn write_matrix<W: Write>(
    out: W,
    model: &Model,
    (arms, psa): (&[Arm], &[PsaSample]),
    of: &dyn Fn(&super::super::analysis::psa::SampleArm) -> f64,
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header = vec!["sample".to_string()];
    header.extend(arms.iter().map(|a| model.arm_name(a.strategy, a.contract)));
    w.write_record(&header)?;
    for s in psa {
        let mut rec = vec![s.sample.to_string()];
        rec.extend(s.arms.iter().map(|a| number(of(a))));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

/// frontier.csv: the incremental analysis of each decision set, on the PSA means (with PSA)
/// or the base case.
pub fn write_frontier<W: Write>(
    out: W,
    model: &Model,
    arms: &[Arm],
    decision: &Decision,
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
    let basis = decision.basis.as_str();
    for a in &decision.sets {
        let (set, points) = (&a.set, &a.points);
        let name = set_name(model, set);
        for row in &a.frontier {
            let arm = &arms[set.arms[row.index]];
            let reference = row.reference.map(|i| arms[set.arms[i]]);
            let opt = |x: Option<f64>| x.map(number).unwrap_or_default();
            w.write_record([
                name.clone(),
                model.strategies[arm.strategy].name.clone(),
                model.contract_name(arm.contract).to_string(),
                number(points[row.index].0),
                number(points[row.index].1),
                row.status.as_str().to_string(),
                reference.map(|r| model.strategies[r.strategy].name.clone()).unwrap_or_default(),
                reference.map(|r| model.contract_name(r.contract).to_string()).unwrap_or_default(),
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
    decision: &Decision,
) -> csv::Result<()> {
    let mut ceac = super::csv_cell::Writer::from_writer(ceac);
    let mut ceaf = super::csv_cell::Writer::from_writer(ceaf);
    let mut evpi = super::csv_cell::Writer::from_writer(evpi);
    ceac.write_record([
        "decision_set",
        "wtp",
        "strategy",
        "contract",
        "prob_best",
        "expected_nmb",
    ])?;
    ceaf.write_record([
        "decision_set",
        "wtp",
        "strategy",
        "contract",
        "prob_best",
        "expected_nmb",
    ])?;
    evpi.write_record(["decision_set", "wtp", "evpi_per_patient", "evpi_population"])?;
    for analysis in &decision.sets {
        let set = &analysis.set;
        let name = set_name(model, set);
        for (a, population) in analysis.acceptability.iter().zip(&analysis.evpi_population) {
            let wtp = number(a.wtp);
            for (j, &arm) in set.arms.iter().enumerate() {
                let x = &arms[arm];
                ceac.write_record([
                    name.clone(),
                    wtp.clone(),
                    model.strategies[x.strategy].name.clone(),
                    model.contract_name(x.contract).to_string(),
                    number(a.probability[j]),
                    number(a.expected_nmb[j]),
                ])?;
            }
            let best = &arms[set.arms[a.optimal]];
            ceaf.write_record([
                name.clone(),
                wtp.clone(),
                model.strategies[best.strategy].name.clone(),
                model.contract_name(best.contract).to_string(),
                number(a.probability[a.optimal]),
                number(a.expected_nmb[a.optimal]),
            ])?;
            evpi.write_record([
                name.clone(),
                wtp,
                number(a.evpi),
                population.map(number).unwrap_or_default(),
            ])?;
        }
    }
    ceac.flush()?;
    ceaf.flush()?;
    evpi.flush()?;
    Ok(())
}

/// evppi.csv: EVPPI of each uncertain parameter and each group of `[[evppi_groups]]`, per
/// decision set and willingness to pay.
pub fn write_evppi<W: Write>(out: W, model: &Model, decision: &Decision) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "decision_set",
        "wtp",
        "parameter",
        "parameters",
        "evppi_per_patient",
        "evppi_se",
        "evppi_population",
    ])?;
    let subjects = model.evppi_subjects();
    for analysis in &decision.sets {
        let name = set_name(model, &analysis.set);
        for (subject, values) in subjects.iter().zip(&analysis.evppi) {
            for (l, cell) in model.meta.wtp_grid.iter().zip(values) {
                w.write_record([
                    name.clone(),
                    number(*l),
                    subject.name.clone(),
                    subject.members.join("+"),
                    cell.per_patient.map(number).unwrap_or_default(),
                    cell.se.map(number).unwrap_or_default(),
                    cell.population.map(number).unwrap_or_default(),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// evsi.csv: each registry's EVSI per size and threshold, with the EVPPI of the parameter it
/// informs and the expected net benefit of sampling.
pub fn write_evsi<W: Write>(
    out: W,
    model: &Model,
    rows: &[crate::analysis::evsi::EvsiRow],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "registry",
        "decision_set",
        "parameter",
        "observation",
        "patients",
        "wtp",
        "evsi_per_patient",
        "evsi_se",
        "evppi_per_patient",
        "evsi_population",
        "registry_cost",
        "enbs",
    ])?;
    let opt = |x: Option<f64>| x.map(number).unwrap_or_default();
    for row in rows {
        let registry = &model.registries[row.registry];
        let observation: Vec<String> = registry
            .informs
            .iter()
            .map(|i| match i.observation {
                crate::model::registry::Observation::Binomial => "responders".to_string(),
                crate::model::registry::Observation::Exponential { follow_up } => {
                    format!("events by {} months", number(12.0 * follow_up))
                }
            })
            .collect();
        let parameters: Vec<&str> =
            registry.informs.iter().map(|i| model.parameters[i.parameter].name.as_str()).collect();
        w.write_record([
            registry.name.clone(),
            model.contracts[registry.contract].name.clone(),
            parameters.join("+"),
            observation.join("; "),
            row.patients.to_string(),
            number(row.wtp),
            opt(row.evsi.map(|v| v.0)),
            opt(row.evsi.map(|v| v.1)),
            opt(row.evppi),
            opt(row.population),
            number(row.cost),
            opt(row.enbs),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// renegotiation.csv: each registry's two-stage decision against its fixed policies, per
/// strategy and threshold.
pub fn write_renegotiation<W: Write>(
    out: W,
    model: &Model,
    rows: &[crate::analysis::renegotiation::PolicyRow],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "registry",
        "decision_set",
        "strategy",
        "review_after_years",
        "review_patients",
        "wtp",
        "policy",
        "value_per_patient",
        "value_se",
        "value_population",
        "share_keep",
        "share_reprice",
        "share_withdraw",
    ])?;
    for row in rows {
        let registry = &model.registries[row.registry];
        let Some(review) = &registry.review else { continue };
        let share = |k: usize| row.choices.map(|c| number(c[k])).unwrap_or_default();
        w.write_record([
            registry.name.clone(),
            model.contracts[registry.contract].name.clone(),
            model.strategies[row.strategy].name.clone(),
            review.after_years.to_string(),
            review.patients.to_string(),
            number(row.wtp),
            row.policy.as_str().to_string(),
            number(row.value.0),
            number(row.value.1),
            number(row.population),
            share(0),
            share(1),
            share(2),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// psa_summary.csv: per arm and measure (the incremental NMB once per threshold, `wtp`), the
/// base case and the spread across PSA samples, with the within-sample (patient-level) Monte
/// Carlo error beside it.
pub fn write_psa_summary<W: Write>(
    out: W,
    model: &Model,
    base: &[ArmSummary],
    rows: &[PsaSummaryRow],
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "strategy",
        "contract",
        "measure",
        "wtp",
        "base_case",
        "psa_mean",
        "psa_mcse",
        "psa_sd",
        "psa_low",
        "psa_high",
        "within_sample_se",
    ])?;
    for r in rows {
        let b = &base[r.arm];
        let (measure, wtp) = match r.measure {
            Measure::Cost => ("cost", None),
            Measure::Qaly => ("qaly", None),
            Measure::Ly => ("ly", None),
            Measure::IncCost => ("inc_cost", None),
            Measure::IncQaly => ("inc_qaly", None),
            Measure::IncNmb(k) => ("inc_nmb", Some(model.meta.thresholds[k])),
        };
        let sp = &r.spread;
        w.write_record([
            model.strategies[b.strategy].name.clone(),
            model.contract_name(b.contract).to_string(),
            measure.to_string(),
            wtp.map(number).unwrap_or_default(),
            number(r.base_case),
            number(sp.mean),
            number(sp.mcse),
            number(sp.sd),
            number(sp.low),
            number(sp.high),
            number(r.within_sample_se),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// budget_impact_psa.csv: per contract and budget year, the mean and 95 % interval across PSA
/// samples of the spend in the world with the new strategy and of the net budget impact (the
/// payer's budget risk).
pub fn write_budget_psa<W: Write>(out: W, model: &Model, bands: &[BudgetBand]) -> csv::Result<()> {
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
    for band in bands {
        let (with, net) = (&band.with, &band.net);
        w.write_record([
            model.strategies[b.strategy].name.clone(),
            model.contract_name(band.contract).to_string(),
            band.year.to_string(),
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
