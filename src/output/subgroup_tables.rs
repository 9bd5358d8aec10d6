//! The tables by subgroup (`[subgroups]`): subgroups.csv, subgroup_contracts.csv and, with PSA
//! samples, subgroup_ceac.csv and subgroup_evpi.csv. Each is long, with a `subgroup` and a
//! `level` column, and begins with the whole population (subgroup and level `all`), so that
//! one table holds every row a reader compares.

use super::psa_tables::set_name;
use super::tables::{
    CONTRACTS_HEADER, NMB_HEADER, SUMMARY_HEADER, THRESHOLD_PRICES_HEADER, contract_record,
    nmb_records, number, summary_record, threshold_price_records,
};
use crate::analysis::cea::ArmSummary;
use crate::analysis::contracts::ContractRow;
use crate::analysis::psa::Acceptability;
use crate::analysis::results::Results;
use crate::analysis::subgroups::level_name;
use crate::model::Model;
use std::io::Write;

use crate::model::WHOLE_POPULATION as WHOLE;

/// Subgroup results are the deterministic base case's.
const DETERMINISTIC: &str = "deterministic";

/// The lead cells of a level's rows: its subgroup and level names.
fn level_lead(g: &crate::analysis::subgroups::SubgroupResult) -> [String; 2] {
    [g.subgroup.clone(), g.level.clone()]
}

/// subgroups.csv: summary.csv's columns for the whole population, then for every level of every
/// subgroup among its patients (against the comparator at list among the same patients; empty
/// cells for a level without patients), after the level's patients and share of all.
pub fn write_subgroups<W: Write>(out: W, model: &Model, r: &Results) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header = vec!["subgroup", "level", "patients", "share"];
    header.extend(SUMMARY_HEADER);
    w.write_record(&header)?;
    let whole = [WHOLE.to_string(), WHOLE.to_string(), r.patients.to_string(), "1".to_string()];
    for row in &r.summary {
        w.write_record(whole.iter().cloned().chain(summary_record(model, row, DETERMINISTIC)))?;
    }
    for g in &r.subgroups {
        let [subgroup, level] = level_lead(g);
        let share = number(g.patients as f64 / r.patients as f64);
        let lead = [subgroup, level, g.patients.to_string(), share];
        match &g.arms {
            Some(summaries) => {
                for row in summaries {
                    let cells = summary_record(model, row, DETERMINISTIC);
                    w.write_record(lead.iter().cloned().chain(cells))?;
                }
            }
            None => {
                for a in &r.arms {
                    w.write_record(empty_row(model, &lead, a, None, header.len()))?;
                }
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// The row of an arm of a level without patients: its lead cells, the arm, the threshold (if
/// the table has one, right after the arm and its reference), empty cells, and the basis.
fn empty_row(
    model: &Model,
    lead: &[String],
    arm: &crate::model::Arm,
    wtp: Option<f64>,
    width: usize,
) -> Vec<String> {
    let mut rec = lead.to_vec();
    rec.push(model.strategies[arm.strategy].name.clone());
    rec.push(model.contract_name(arm.contract).to_string());
    if let Some(l) = wtp {
        rec.push(String::new());
        rec.push(number(l));
    }
    rec.resize(width - 1, String::new());
    rec.push(DETERMINISTIC.to_string());
    rec
}

/// subgroup_nmb.csv: nmb.csv's rows for the whole population, then for every level of every
/// subgroup among its patients, with the level's probability of cost-effectiveness.
pub fn write_subgroup_nmb<W: Write>(out: W, model: &Model, r: &Results) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header = vec!["subgroup", "level"];
    header.extend(NMB_HEADER);
    w.write_record(&header)?;
    let whole = [WHOLE.to_string(), WHOLE.to_string()];
    for (i, row) in r.summary.iter().enumerate() {
        let prob_ce = r.prob_ce.get(i).map_or(&[][..], Vec::as_slice);
        for rec in nmb_records(model, row, prob_ce, DETERMINISTIC) {
            w.write_record(whole.iter().cloned().chain(rec))?;
        }
    }
    for (k, g) in r.subgroups.iter().enumerate() {
        let lead = level_lead(g);
        let prob_ce = r.subgroup_psa.get(k).map(|x| &x.prob_ce);
        match &g.arms {
            Some(summaries) => {
                for (i, row) in summaries.iter().enumerate() {
                    let p = prob_ce.and_then(|p| p.get(i)).map_or(&[][..], Vec::as_slice);
                    for rec in nmb_records(model, row, p, DETERMINISTIC) {
                        w.write_record(lead.iter().cloned().chain(rec))?;
                    }
                }
            }
            None => {
                for a in &r.arms {
                    for &l in &model.meta.thresholds {
                        w.write_record(empty_row(model, &lead, a, Some(l), header.len()))?;
                    }
                }
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// subgroup_contracts.csv: contracts.csv's rows for the whole population, then among the
/// patients of every level of every subgroup that has any.
pub fn write_subgroup_contracts<W: Write>(out: W, model: &Model, r: &Results) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header = vec!["subgroup", "level"];
    header.extend(CONTRACTS_HEADER);
    w.write_record(&header)?;
    for (lead, summary, row) in contract_rows(r) {
        w.write_record(lead.into_iter().chain(contract_record(
            model,
            summary,
            row,
            DETERMINISTIC,
        )))?;
    }
    w.flush()?;
    Ok(())
}

/// subgroup_threshold_prices.csv: threshold_prices.csv's rows for the whole population, then
/// among the patients of every level of every subgroup that has any.
pub fn write_subgroup_threshold_prices<W: Write>(
    out: W,
    model: &Model,
    r: &Results,
) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let mut header = vec!["subgroup", "level"];
    header.extend(THRESHOLD_PRICES_HEADER);
    w.write_record(&header)?;
    for (lead, summary, row) in contract_rows(r) {
        for rec in threshold_price_records(model, summary, row, DETERMINISTIC) {
            w.write_record(lead.iter().cloned().chain(rec))?;
        }
    }
    w.flush()?;
    Ok(())
}

/// The contract rows of the whole population, then of every level with patients: each with
/// its lead cells and the summaries of its arms.
fn contract_rows(r: &Results) -> Vec<([String; 2], &[ArmSummary], &ContractRow)> {
    let whole = [WHOLE.to_string(), WHOLE.to_string()];
    let mut rows: Vec<_> = r.contracts.iter().map(|c| (whole.clone(), &r.summary[..], c)).collect();
    for g in &r.subgroups {
        let Some(summary) = &g.arms else { continue };
        rows.extend(g.contracts.iter().map(|c| (level_lead(g), &summary[..], c)));
    }
    rows
}

/// One table's rows of one level (or of the whole population): the level's name, the samples
/// its analyses are over, its acceptability per decision set and its population.
struct Level<'a> {
    subgroup: &'a str,
    level: &'a str,
    samples: usize,
    sets: Vec<&'a [Acceptability]>,
    /// Per decision set and grid point: the EVPI of the level's population.
    population: Vec<Vec<Option<f64>>>,
}

/// The whole population, then every level with PSA analyses, in the scenario's order.
fn levels<'a>(model: &'a Model, r: &'a Results) -> Vec<Level<'a>> {
    let whole = Level {
        subgroup: WHOLE,
        level: WHOLE,
        samples: r.psa.len(),
        sets: r.decision.sets.iter().map(|d| &d.acceptability[..]).collect(),
        population: r.decision.sets.iter().map(|d| d.evpi_population.clone()).collect(),
    };
    let by_level = r.subgroup_psa.iter().map(|g| {
        let (subgroup, level) = level_name(model, g.level);
        let population = g
            .sets
            .iter()
            .map(|set| set.iter().map(|a| g.population.map(|n| a.evpi * n)).collect::<Vec<_>>());
        Level {
            subgroup,
            level,
            samples: g.samples,
            sets: g.sets.iter().map(|s| &s[..]).collect(),
            population: population.collect(),
        }
    });
    std::iter::once(whole).chain(by_level).collect()
}

/// subgroup_ceac.csv: ceac.csv's rows (every arm of every decision set at every point of the
/// willingness-to-pay grid) for the whole population and every level, over the PSA samples
/// in which the level has patients (`samples`); `optimal` marks the CEAF's arm (the highest
/// expected NMB).
pub fn write_subgroup_ceac<W: Write>(out: W, model: &Model, r: &Results) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "subgroup",
        "level",
        "samples",
        "decision_set",
        "wtp",
        "strategy",
        "contract",
        "prob_best",
        "expected_nmb",
        "optimal",
    ])?;
    for g in levels(model, r) {
        for (d, acceptability) in r.decision.sets.iter().zip(&g.sets) {
            let name = set_name(model, &d.set);
            for a in acceptability.iter() {
                for (j, &arm) in d.set.arms.iter().enumerate() {
                    let x = &r.arms[arm];
                    w.write_record([
                        g.subgroup.to_string(),
                        g.level.to_string(),
                        g.samples.to_string(),
                        name.clone(),
                        number(a.wtp),
                        model.strategies[x.strategy].name.clone(),
                        model.contract_name(x.contract).to_string(),
                        number(a.probability[j]),
                        number(a.expected_nmb[j]),
                        (j == a.optimal).to_string(),
                    ])?;
                }
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// subgroup_evpi.csv: evpi.csv's rows for the whole population and every level.
pub fn write_subgroup_evpi<W: Write>(out: W, model: &Model, r: &Results) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    w.write_record([
        "subgroup",
        "level",
        "samples",
        "decision_set",
        "wtp",
        "evpi_per_patient",
        "evpi_population",
    ])?;
    for g in levels(model, r) {
        let sets = r.decision.sets.iter().zip(&g.sets).zip(&g.population);
        for ((d, acceptability), population) in sets {
            let name = set_name(model, &d.set);
            for (a, p) in acceptability.iter().zip(population) {
                w.write_record([
                    g.subgroup.to_string(),
                    g.level.to_string(),
                    g.samples.to_string(),
                    name.clone(),
                    number(a.wtp),
                    number(a.evpi),
                    p.map(number).unwrap_or_default(),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}
