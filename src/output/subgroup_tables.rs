//! The tables by subgroup (`[subgroups]`): subgroups.csv, subgroup_contracts.csv and, with PSA
//! samples, subgroup_ceac.csv and subgroup_evpi.csv. Each is long, with a `subgroup` and a
//! `level` column, and begins with the whole population (subgroup and level `all`), so that
//! one table holds every row a reader compares.

use super::psa_tables::set_name;
use super::tables::{contract_record, contracts_header, number, summary_header, summary_record};
use crate::analysis::psa::Acceptability;
use crate::analysis::results::Results;
use crate::analysis::subgroups::level_name;
use crate::model::Model;
use std::io::Write;

use crate::model::WHOLE_POPULATION as WHOLE;

/// A probability of cost-effectiveness cell (empty for the comparator and without PSA).
fn probability(p: &Option<f64>) -> String {
    p.map(number).unwrap_or_default()
}

/// subgroups.csv: summary.csv's columns for the whole population, then for every level of every
/// subgroup among its patients (against the comparator at list among the same patients; empty
/// cells for a level without patients), after the level's patients and share of all.
pub fn write_subgroups<W: Write>(out: W, model: &Model, r: &Results) -> csv::Result<()> {
    let mut w = super::csv_cell::Writer::from_writer(out);
    let thresholds = &model.meta.thresholds;
    let mut header: Vec<String> =
        ["subgroup", "level", "patients", "share"].map(String::from).to_vec();
    header.extend(summary_header(thresholds));
    w.write_record(&header)?;
    let whole = [WHOLE.to_string(), WHOLE.to_string(), r.patients.to_string(), "1".to_string()];
    for (row, p) in r.summary.iter().zip(&r.prob_ce) {
        let cells = summary_record(model, row).into_iter().chain(p.iter().map(probability));
        w.write_record(whole.iter().cloned().chain(cells))?;
    }
    for (k, g) in r.subgroups.iter().enumerate() {
        let lead = [
            g.subgroup.clone(),
            g.level.clone(),
            g.patients.to_string(),
            number(g.patients as f64 / r.patients as f64),
        ];
        let prob_ce = r.subgroup_psa.get(k).map(|x| &x.prob_ce);
        match &g.arms {
            Some(summaries) => {
                for (i, row) in summaries.iter().enumerate() {
                    let p = prob_ce.and_then(|p| p.get(i));
                    let p = p.map(|p| p.iter().map(probability).collect::<Vec<_>>());
                    let p = p.unwrap_or_else(|| vec![String::new(); thresholds.len()]);
                    w.write_record(
                        lead.iter().cloned().chain(summary_record(model, row)).chain(p),
                    )?;
                }
            }
            None => {
                for a in &r.arms {
                    let mut rec = lead.to_vec();
                    rec.push(model.strategies[a.strategy].name.clone());
                    rec.push(model.contract_name(a.contract).to_string());
                    rec.resize(header.len(), String::new());
                    w.write_record(&rec)?;
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
    let mut header: Vec<String> = vec!["subgroup".into(), "level".into()];
    header.extend(contracts_header(model));
    w.write_record(&header)?;
    let whole = [WHOLE.to_string(), WHOLE.to_string()];
    for row in &r.contracts {
        w.write_record(whole.iter().cloned().chain(contract_record(model, &r.summary, row)))?;
    }
    for g in &r.subgroups {
        let Some(summary) = &g.arms else { continue };
        for row in &g.contracts {
            let lead = [g.subgroup.clone(), g.level.clone()];
            w.write_record(lead.into_iter().chain(contract_record(model, summary, row)))?;
        }
    }
    w.flush()?;
    Ok(())
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
