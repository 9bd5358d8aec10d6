//! A survival data set as `vbpsim fit` reads it: a CSV file with a header and one row per
//! patient, `time` (the event or censoring time, > 0, in the unit the command states) and
//! `event` (1 an event, 0 censored), optionally `entry` (the time the patient came under
//! observation, for left truncation: 0 ≤ entry < time) and `group` (a name: each group is
//! fitted on its own). Every other column is a categorical covariate: its levels are its
//! distinct values, in numeric order when all are numbers and in text order otherwise, the
//! first the reference; each other level is a term, a 0/1 indicator. Every bad cell is refused
//! with its line, column, what was expected and what was found.

use super::km::Observation;
use std::path::Path;

/// The columns a data set may have besides its covariates.
pub const COLUMNS: [&str; 4] = ["time", "event", "entry", "group"];

/// A covariate with more levels than this is refused: it is most likely a continuous
/// measurement, which the fits do not take.
pub const MAX_LEVELS: usize = 20;

/// One level of a covariate against its reference level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub covariate: String,
    pub level: String,
    pub reference: String,
}

impl Term {
    /// `covariate=level`, its name in the outputs.
    pub fn label(&self) -> String {
        format!("{}={}", self.covariate, self.level)
    }
}

/// One group's observations, in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// Its name (`all` without a `group` column).
    pub name: String,
    pub observations: Vec<Observation>,
    /// The covariate terms (the same in every group).
    pub terms: Vec<Term>,
    /// Each observation's indicators, one row of `terms.len()` per observation.
    pub design: Vec<f64>,
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
    #[error("{path}: column `{column}` is not one vbpsim reads here (expected {expected})")]
    UnknownColumn { path: String, column: String, expected: &'static str },
    #[error(
        "{path}: covariate `{column}` has {found}: expected 2 to {max} levels of a categorical covariate (continuous covariates are not fitted)",
        max = MAX_LEVELS
    )]
    Levels { path: String, column: String, found: String },
    #[error(
        "{path}, line {line}, column `{column}`: expected a covariate level, found an empty cell"
    )]
    EmptyLevel { path: String, line: u64, column: String },
    #[error(
        "{path}: covariate terms `{a}` and `{b}` would share their parameter name (`{slug}`): rename a level or a column"
    )]
    TermNames { path: String, a: String, b: String, slug: String },
    #[error(
        "{path}: level `{level}` of covariate `{column}` has {what} in group `{group}`: its ratio cannot be estimated there (merge the level, or fit without the column or the groups)"
    )]
    LevelNotInGroup {
        path: String,
        column: String,
        level: String,
        group: String,
        what: &'static str,
    },
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
        if column.is_empty() {
            let expected = "time, event, entry, group or a covariate's name";
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
    let covariates: Vec<usize> =
        (0..header.len()).filter(|&i| !COLUMNS.contains(&header[i].as_str())).collect();
    let mut values: Vec<Vec<String>> = Vec::new();
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
        let mut row = Vec::with_capacity(covariates.len());
        for &i in &covariates {
            if cell(i).is_empty() {
                return Err(DataError::EmptyLevel { path: p(), line, column: header[i].clone() });
            }
            row.push(cell(i).to_string());
        }
        let observation = Observation { entry: e, time: t, event: d };
        let index = match groups.iter().position(|g| g.name == name) {
            Some(k) => k,
            None => {
                groups.push(Group {
                    name,
                    observations: Vec::new(),
                    terms: Vec::new(),
                    design: Vec::new(),
                });
                values.push(Vec::new());
                groups.len() - 1
            }
        };
        groups[index].observations.push(observation);
        values[index].extend(row);
    }
    if groups.is_empty() {
        return Err(DataError::Empty { path: p() });
    }
    // Each covariate's levels over the whole file, then each group's indicators.
    let mut terms = Vec::new();
    let mut columns = Vec::new();
    for (c, &i) in covariates.iter().enumerate() {
        let mut levels: Vec<&str> = values
            .iter()
            .flat_map(|v| v.iter().skip(c).step_by(covariates.len()).map(String::as_str))
            .collect();
        order_levels(&mut levels);
        levels.dedup();
        if levels.len() < 2 || levels.len() > MAX_LEVELS {
            let found = match levels.as_slice() {
                [one] => format!("one level (`{one}`)"),
                many => format!("{} levels", many.len()),
            };
            return Err(DataError::Levels { path: p(), column: header[i].clone(), found });
        }
        for level in &levels[1..] {
            terms.push(Term {
                covariate: header[i].clone(),
                level: level.to_string(),
                reference: levels[0].to_string(),
            });
            columns.push(c);
        }
    }
    for (i, t) in terms.iter().enumerate() {
        let slug = term_slug(t);
        if let Some(u) = terms[..i].iter().find(|u| term_slug(u) == slug) {
            return Err(DataError::TermNames { path: p(), a: u.label(), b: t.label(), slug });
        }
    }
    let width = covariates.len();
    for (g, v) in groups.iter_mut().zip(&values) {
        g.terms = terms.clone();
        g.design = (0..g.observations.len())
            .flat_map(|r| {
                let (terms, columns) = (&terms, &columns);
                terms
                    .iter()
                    .zip(columns)
                    .map(move |(t, &c)| f64::from(u8::from(v[r * width + c] == t.level)))
            })
            .collect();
    }
    if let Some(g) = groups.iter().find(|g| !g.observations.iter().any(|o| o.event)) {
        return Err(DataError::NoEvents { path: p(), group: g.name.clone() });
    }
    // Each term needs rows, and events, in every group: otherwise its coefficient has no
    // finite estimate there and every family would fail with a singular information.
    for g in &groups {
        let p_terms = g.terms.len();
        for (j, t) in g.terms.iter().enumerate() {
            let rows = || (0..g.observations.len()).filter(|&r| g.design[r * p_terms + j] == 1.0);
            let what = if rows().next().is_none() {
                "no rows"
            } else if !rows().any(|r| g.observations[r].event) {
                "no events"
            } else {
                continue;
            };
            return Err(DataError::LevelNotInGroup {
                path: p(),
                column: t.covariate.clone(),
                level: t.level.clone(),
                group: g.name.clone(),
                what,
            });
        }
    }
    Ok(groups)
}

/// The part of a parameter's name a term gives: `<covariate>_<level>` (`crate::fit::name_part`).
fn term_slug(t: &Term) -> String {
    format!("{}_{}", super::name_part(&t.covariate), super::name_part(&t.level))
}

/// Levels in numeric order when every one is a number, else in text order.
fn order_levels(levels: &mut [&str]) {
    if levels.iter().all(|l| l.parse::<f64>().is_ok_and(f64::is_finite)) {
        levels.sort_by(|a, b| {
            let (x, y) = (a.parse::<f64>().unwrap_or(0.0), b.parse::<f64>().unwrap_or(0.0));
            x.total_cmp(&y).then(a.cmp(b))
        });
    } else {
        levels.sort_unstable();
    }
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

    /// Levels in numeric order when all are numbers (10 after 2), in text order otherwise; the
    /// first is the reference, each other an indicator.
    #[test]
    fn covariates_become_indicators_of_their_levels() {
        let text = "time,event,ecog,sex\n1,1,10,m\n2,0,2,f\n3,1,2,m\n4,1,1,f\n";
        let g = parse(text, "d.csv").unwrap();
        let labels: Vec<String> = g[0].terms.iter().map(Term::label).collect();
        assert_eq!(labels, ["ecog=2", "ecog=10", "sex=m"]);
        assert_eq!(g[0].terms[0].reference, "1");
        assert_eq!(g[0].design, [0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        let many: String = (0..=MAX_LEVELS).map(|i| format!("{}.5,1,{i}\n", i + 1)).collect();
        let e = parse(&format!("time,event,age\n{many}"), "d.csv").unwrap_err().to_string();
        assert!(e.contains("covariate `age` has 21 levels"), "{e}");
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
            ("time,status\n1,1\n", "no column `event`"),
            ("time,event,ecog\n1,1,0\n2,0,0\n", "covariate `ecog` has one level (`0`)"),
            (
                "time,event,ecog\n1,1,0\n2,0,\n",
                "line 3, column `ecog`: expected a covariate level, found an empty cell",
            ),
            ("time,event,,x\n1,1,0,1\n", "column `` is not one vbpsim reads here"),
            (
                "time,event,arm\n1,1,0\n2,1,a b\n3,1,a_b\n",
                "covariate terms `arm=a b` and `arm=a_b` would share their parameter name (`arm_a_b`)",
            ),
            (
                "time,event,arm,group\n1,1,a,x\n2,1,b,x\n3,1,a,y\n4,1,a,y\n",
                "level `b` of covariate `arm` has no rows in group `y`",
            ),
            (
                "time,event,arm\n1,1,a\n2,0,b\n3,1,a\n",
                "level `b` of covariate `arm` has no events in group `all`",
            ),
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
