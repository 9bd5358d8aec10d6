//! The CSV tables of a run as cells in memory: what the explorer page shows, written by the
//! same writers as the output folder's files, so that every cell is the file's cell.

use crate::analysis::results::Results;
use crate::model::Model;

/// One table: its CSV file's name (without `.csv`), its header and its rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// summary, nmb, contracts and threshold_prices (with contracts) and budget_impact (with a
/// budget impact): the cells `vbpsim run` writes in those files.
pub fn tables(model: &Model, r: &Results) -> csv::Result<Vec<Table>> {
    let mut out = vec![
        table("summary", |w| super::tables::write_summary(w, model, (&r.summary, &r.summary_psa)))?,
        table("nmb", |w| {
            super::tables::write_nmb(w, model, (&r.summary, &r.summary_psa), &r.prob_ce)
        })?,
    ];
    if !model.contracts.is_empty() {
        let bases =
            [(&r.summary[..], &r.contracts[..]), (&r.summary_psa[..], &r.contracts_psa[..])];
        out.push(table("contracts", |w| super::tables::write_contracts(w, model, bases))?);
        out.push(table("threshold_prices", |w| {
            super::tables::write_threshold_prices(w, model, bases)
        })?);
    }
    if !r.budget.is_empty() {
        out.push(table("budget_impact", |w| {
            super::tables::write_budget(w, model, &r.budget, false)
        })?);
    }
    Ok(out)
}

/// Write a table into memory and read its cells back.
fn table(
    name: &'static str,
    write: impl FnOnce(&mut Vec<u8>) -> csv::Result<()>,
) -> csv::Result<Table> {
    let mut bytes = Vec::new();
    write(&mut bytes)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(&bytes[..]);
    let columns = reader.headers()?.iter().map(str::to_string).collect();
    let rows = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_string).collect()))
        .collect::<csv::Result<_>>()?;
    Ok(Table { name, columns, rows })
}
