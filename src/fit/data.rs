//! A survival data set as `vbpsim fit` reads it: a CSV file with a header and one row per
//! patient, `time` (the event or censoring time, > 0, in the unit the command states) and
//! `event` (1 an event, 0 censored), optionally `entry` (the time the patient came under
//! observation, for left truncation: 0 ≤ entry < time) and `group` (a name: each group is
//! fitted on its own). Every bad cell is refused with its line, column, what was expected and
//! what was found.

use super::km::Observation;
use std::path::Path;

/// The columns a data set may have.
pub const COLUMNS: [&str; 4] = ["time", "event", "entry", "group"];

/// One group's observations, in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// Its name (`all` without a `group` column).
    pub name: String,
    pub observations: Vec<Observation>,
}

/// Why a data set cannot be fitted.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: cannot be read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: not a CSV row as expected ({message})")]
    Csv { path: String, line: u64, message: String },
    #[error("{path}: no column `{column}` in the header")]
    MissingColumn { path: String, column: &'static str },
    #[error(
        "{path}: column `{column}` is not one vbpsim reads here (expected {expected}; covariates are not fitted yet)"
    )]
    UnknownColumn { path: String, column: String, expected: &'static str },
    #[error("{path}: column `{column}` twice in the header")]
    RepeatedColumn { path: String, column: String },
    #[error("{path}, line {line}, column `{column}`: expected {expected}, found `{found}`")]
    Cell { path: String, line: u64, column: &'static str, expected: &'static str, found: String },
    #[error(
        "{path}, line {line}: entry {entry} is not before time {time} (a patient enters observation before their event or censoring)"
    )]
    EntryNotBefore { path: String, line: u64, entry: f64, time: f64 },
    #[error("{path}: no rows after the header")]
    Empty { path: String },
    #[error(
        "{path}: group `{group}` has no events (every row censored): no family can be fitted to it"
    )]
    NoEvents { path: String, group: String },
}

/// Read the data set at `path`, its groups in the order they first appear.
pub fn read(path: &Path) -> Result<Vec<Group>, DataError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|source| DataError::Read { path: shown.clone(), source })?;
    parse(&text, &shown)
}

/// A CSV reader of `text` (cells trimmed) and its header.
fn open<'a>(text: &'a str, path: &str) -> Result<(csv::Reader<&'a [u8]>, Vec<String>), DataError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| DataError::Csv { path: path.to_string(), line: 1, message: e.to_string() })?
        .iter()
        .map(String::from)
        .collect();
    Ok((reader, header))
}

/// A row the CSV reader could not read, with its line.
fn row_error(e: &csv::Error, path: &str) -> DataError {
    let line = e.position().map_or(0, |pos| pos.line());
    DataError::Csv { path: path.to_string(), line, message: e.to_string() }
}

/// Parse a data set's text (`path` names it in errors).
pub fn parse(text: &str, path: &str) -> Result<Vec<Group>, DataError> {
    let p = || path.to_string();
    let (mut reader, header) = open(text, path)?;
    for (i, column) in header.iter().enumerate() {
        if !COLUMNS.contains(&column.as_str()) {
            let expected = "time, event, entry or group";
            return Err(DataError::UnknownColumn { path: p(), column: column.clone(), expected });
        }
        if header[..i].contains(column) {
            return Err(DataError::RepeatedColumn { path: p(), column: column.clone() });
        }
    }
    let at = |c: &'static str| header.iter().position(|h| h == c);
    let time = at("time").ok_or(DataError::MissingColumn { path: p(), column: "time" })?;
    let event = at("event").ok_or(DataError::MissingColumn { path: p(), column: "event" })?;
    let (entry, group) = (at("entry"), at("group"));
    let mut groups: Vec<Group> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| row_error(&e, &p()))?;
        let line = record.position().map_or(0, |pos| pos.line());
        let cell = |i: usize| record.get(i).unwrap_or("");
        let bad = |column: &'static str, expected: &'static str, found: &str| DataError::Cell {
            path: p(),
            line,
            column,
            expected,
            found: found.to_string(),
        };
        let t = cell(time)
            .parse::<f64>()
            .ok()
            .filter(|t| t.is_finite() && *t > 0.0)
            .ok_or_else(|| bad("time", "a number above 0", cell(time)))?;
        let d = match cell(event) {
            "1" => true,
            "0" => false,
            other => return Err(bad("event", "1 (an event) or 0 (censored)", other)),
        };
        let e = match entry {
            None => 0.0,
            Some(i) => cell(i)
                .parse::<f64>()
                .ok()
                .filter(|e| e.is_finite() && *e >= 0.0)
                .ok_or_else(|| bad("entry", "a number of at least 0", cell(i)))?,
        };
        if e >= t {
            return Err(DataError::EntryNotBefore { path: p(), line, entry: e, time: t });
        }
        let name = match group {
            None => "all".to_string(),
            Some(i) if !cell(i).is_empty() => cell(i).to_string(),
            Some(i) => return Err(bad("group", "a group name", cell(i))),
        };
        let observation = Observation { entry: e, time: t, event: d };
        match groups.iter_mut().find(|g| g.name == name) {
            Some(g) => g.observations.push(observation),
            None => groups.push(Group { name, observations: vec![observation] }),
        }
    }
    if groups.is_empty() {
        return Err(DataError::Empty { path: p() });
    }
    if let Some(g) = groups.iter().find(|g| !g.observations.iter().any(|o| o.event)) {
        return Err(DataError::NoEvents { path: p(), group: g.name.clone() });
    }
    Ok(groups)
}

/// A two-column numeric table (`first`, `second`) as digitised curves and at-risk tables are
/// written: its rows with their line numbers.
fn read_pairs(
    path: &Path,
    (first, second): (&'static str, &'static str),
    expected: &'static str,
) -> Result<Vec<(u64, f64, f64)>, DataError> {
    let p = || path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|source| DataError::Read { path: p(), source })?;
    let (mut reader, header) = open(&text, &p())?;
    if let Some(c) = header.iter().find(|c| *c != first && *c != second) {
        return Err(DataError::UnknownColumn { path: p(), column: c.clone(), expected });
    }
    let at = |c: &'static str| {
        header.iter().position(|h| h == c).ok_or(DataError::MissingColumn { path: p(), column: c })
    };
    let (a, b) = (at(first)?, at(second)?);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| row_error(&e, &p()))?;
        let line = record.position().map_or(0, |pos| pos.line());
        let number = |i: usize, column: &'static str| {
            let cell = record.get(i).unwrap_or("");
            cell.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| DataError::Cell {
                path: p(),
                line,
                column,
                expected: "a number",
                found: cell.to_string(),
            })
        };
        rows.push((line, number(a, first)?, number(b, second)?));
    }
    if rows.is_empty() {
        return Err(DataError::Empty { path: p() });
    }
    Ok(rows)
}

/// A digitised Kaplan–Meier curve: columns `time` and `survival` (a proportion), one row per
/// point read off the plot.
pub fn read_curve(path: &Path) -> Result<super::guyot::Digitised, DataError> {
    let rows = read_pairs(path, ("time", "survival"), "time and survival")?;
    Ok(super::guyot::Digitised { points: rows.iter().map(|&(_, t, s)| (t, s)).collect() })
}

/// A published at-risk table: columns `time` and `at_risk` (a whole number).
pub fn read_at_risk(path: &Path) -> Result<super::guyot::AtRisk, DataError> {
    let rows = read_pairs(path, ("time", "at_risk"), "time and at_risk")?;
    let mut counts = Vec::new();
    for &(line, _, n) in &rows {
        if !(n >= 0.0 && n.fract() == 0.0) {
            return Err(DataError::Cell {
                path: path.display().to_string(),
                line,
                column: "at_risk",
                expected: "a whole number of patients",
                found: n.to_string(),
            });
        }
        counts.push(n as u64);
    }
    Ok(super::guyot::AtRisk { times: rows.iter().map(|r| r.1).collect(), counts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_into_groups_in_order() {
        let text = "group,time,event,entry\nb,2.5,1,0\na,3,0,1\nb,4,0,0.5\na,5,1,0\n";
        let g = parse(text, "d.csv").unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].name.as_str(), g[0].observations.len()), ("b", 2));
        assert_eq!(g[1].observations[0], Observation { entry: 1.0, time: 3.0, event: false });
        let one = parse("time,event\n1,1\n", "d.csv").unwrap();
        assert_eq!(one[0].name, "all");
    }

    #[test]
    fn bad_data_is_refused_with_its_place() {
        let cases = [
            ("time,event\n", "d.csv: no rows after the header"),
            ("time,event\n1,0\n2,0\n", "group `all` has no events"),
            ("time,event\n-1,1\n", "line 2, column `time`: expected a number above 0, found `-1`"),
            (
                "time,event\nabc,1\n",
                "line 2, column `time`: expected a number above 0, found `abc`",
            ),
            (
                "time,event\n1,2\n",
                "line 2, column `event`: expected 1 (an event) or 0 (censored), found `2`",
            ),
            ("time,event,entry\n1,1,1\n", "line 2: entry 1 is not before time 1"),
            ("time,status\n1,1\n", "column `status` is not one vbpsim reads here"),
            ("time\n1\n", "no column `event`"),
            ("time,event,time\n1,1,1\n", "column `time` twice"),
            ("time,event\n1,1\n2\n", "line 3: not a CSV row"),
        ];
        for (text, want) in cases {
            let e = parse(text, "d.csv").unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}
