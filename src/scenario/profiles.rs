//! `population.profiles`: a CSV of patient profiles, one row per patient of a source
//! population (a trial's or a registry's), that the simulation samples with replacement
//! (docs, Model → Population and background mortality).
//!
//! Columns: `age` (years at diagnosis, optional), `sex` (`female` or `male`, optional),
//! `weight` (optional: rows are drawn in proportion to it), and any others, each a
//! categorical covariate whose levels are the column's distinct values.

use crate::life_table::LifeTableError;
use crate::model::{FIRST_COVARIATE_BIT, MAX_LEVELS, Profiles};

/// The columns a profile file may have that are not covariates.
pub const SPECIAL: [&str; 3] = ["age", "sex", "weight"];

/// Parse a profiles CSV. Ages must lie in `[lowest, highest)` (the life table's ages).
pub fn parse(
    name: &str,
    text: &str,
    (lowest, highest): (f64, f64),
) -> Result<Profiles, LifeTableError> {
    let err = |line: usize, column: Option<usize>, expected: &str, found: String| LifeTableError {
        line,
        column,
        expected: expected.to_string(),
        found,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(err(1, None, "a header of column names", e.to_string())),
        None => return Err(err(1, None, "a header of column names", "an empty file".into())),
    };
    // `age`, `sex` and `weight` in any case (a spreadsheet's `Sex` is the patients' sex, not a
    // covariate); covariate names as written.
    let names: Vec<String> = header
        .iter()
        .map(|n| {
            let lower = n.to_ascii_lowercase();
            if SPECIAL.contains(&lower.as_str()) { lower } else { n.to_string() }
        })
        .collect();
    for (c, n) in names.iter().enumerate() {
        if n.is_empty() {
            return Err(err(1, Some(c + 1), "a column name", "an empty cell".into()));
        }
        if names[..c].contains(n) {
            return Err(err(1, Some(c + 1), "each column named once", format!("`{n}` again")));
        }
    }
    let at = |n: &str| names.iter().position(|x| x == n);
    let (age_col, sex_col, weight_col) = (at("age"), at("sex"), at("weight"));
    let covariate_cols: Vec<usize> =
        (0..names.len()).filter(|&c| !SPECIAL.contains(&names[c].as_str())).collect();
    let mut age = age_col.map(|_| Vec::new());
    let mut female = sex_col.map(|_| Vec::new());
    let mut weights = weight_col.map(|_| Vec::new());
    let mut levels: Vec<(String, Vec<String>)> =
        covariate_cols.iter().map(|&c| (names[c].clone(), Vec::new())).collect();
    let mut columns: Vec<Vec<u8>> = vec![Vec::new(); covariate_cols.len()];
    let mut used = FIRST_COVARIATE_BIT;
    let mut rows = 0;
    for record in records {
        let record = record.map_err(|e| {
            let line = e.position().map_or(rows + 2, |p| p.line() as usize);
            err(line, None, "a CSV row", e.to_string())
        })?;
        let line = record.position().map_or(rows + 2, |p| p.line() as usize);
        if record.len() == 1 && record[0].is_empty() {
            continue; // A blank line.
        }
        if record.len() != names.len() {
            return Err(err(
                line,
                None,
                &format!("{} fields, as in the header", names.len()),
                record.len().to_string(),
            ));
        }
        let number = |c: usize, what: &str| -> Result<f64, LifeTableError> {
            let cell = &record[c];
            match cell.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(err(line, Some(c + 1), what, format!("\"{cell}\""))),
            }
        };
        if let (Some(c), Some(age)) = (age_col, age.as_mut()) {
            let a = number(c, "an age in years")?;
            if !(a >= lowest && a < highest) {
                return Err(err(
                    line,
                    Some(c + 1),
                    &format!(
                        "an age from the life table's first age, {lowest} years, and below its \
                         maximum age, {highest} years"
                    ),
                    a.to_string(),
                ));
            }
            age.push(a);
        }
        if let (Some(c), Some(female)) = (sex_col, female.as_mut()) {
            female.push(match &record[c] {
                "female" => true,
                "male" => false,
                other => {
                    return Err(err(
                        line,
                        Some(c + 1),
                        "\"female\" or \"male\"",
                        format!("\"{other}\""),
                    ));
                }
            });
        }
        if let (Some(c), Some(weights)) = (weight_col, weights.as_mut()) {
            let w = number(c, "a weight above 0")?;
            if !(w > 0.0) {
                return Err(err(line, Some(c + 1), "a weight above 0", w.to_string()));
            }
            weights.push(w);
        }
        for (j, &c) in covariate_cols.iter().enumerate() {
            let cell = &record[c];
            if cell.is_empty() {
                return Err(err(line, Some(c + 1), "a level", "an empty cell".into()));
            }
            let known = &mut levels[j].1;
            let k = match known.iter().position(|l| l == cell) {
                Some(k) => k,
                None => {
                    used += 1;
                    if used > MAX_LEVELS {
                        return Err(err(
                            line,
                            Some(c + 1),
                            &format!(
                                "at most {} levels of all covariates together (covariates are \
                                 categorical; group a continuous column into classes)",
                                MAX_LEVELS - FIRST_COVARIATE_BIT
                            ),
                            format!("a new level \"{cell}\" beyond them"),
                        ));
                    }
                    known.push(cell.to_string());
                    known.len() - 1
                }
            };
            columns[j].push(k as u8);
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(err(2, None, "at least one profile", "none".into()));
    }
    let cumulative = weights.map(|w| {
        // Weights over the largest first, so that their sum stays finite (at most the rows).
        let largest = w.iter().copied().fold(0.0, f64::max);
        let total: f64 = w.iter().map(|x| x / largest).sum();
        let mut acc = 0.0;
        w.iter()
            .map(|x| {
                acc += x / largest;
                acc / total
            })
            .collect()
    });
    Ok(Profiles { name: name.to_string(), rows, age, female, columns, levels, cumulative })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_levels_and_weights_are_read() {
        let text = "Age,SEX,ecog,Weight\n60,female,0,1\n70,male,1,3\n\n65,male,0,4\n";
        let p = parse("p.csv", text, (0.0, 110.0)).unwrap();
        assert_eq!(p.rows, 3);
        assert_eq!(p.age, Some(vec![60.0, 70.0, 65.0]));
        assert_eq!(p.female, Some(vec![true, false, false]));
        assert_eq!(p.levels, vec![("ecog".to_string(), vec!["0".to_string(), "1".to_string()])]);
        assert_eq!(p.columns, vec![vec![0, 1, 0]]);
        assert_eq!(p.cumulative, Some(vec![0.125, 0.5, 1.0]));
        // Weights whose sum would overflow still give the shares.
        let p = parse("p.csv", "ecog,weight\n0,1e308\n1,1e308\n", (0.0, 110.0)).unwrap();
        assert_eq!(p.cumulative, Some(vec![0.5, 1.0]));
    }

    #[test]
    fn bad_cells_are_located() {
        let e = parse("p.csv", "age,ecog\n60,0\nsixty,1\n", (0.0, 110.0)).unwrap_err();
        assert_eq!((e.line, e.column), (3, Some(1)));
        let e = parse("p.csv", "age,ecog\n60,0\n61\n", (0.0, 110.0)).unwrap_err();
        assert_eq!((e.line, e.column), (3, None));
        let e = parse("p.csv", "sex\nwoman\n", (0.0, 110.0)).unwrap_err();
        assert_eq!((e.line, e.column), (2, Some(1)));
        let e = parse("p.csv", "age\n120\n", (0.0, 110.0)).unwrap_err();
        assert_eq!((e.line, e.column), (2, Some(1)));
        let e = parse("p.csv", "ecog,ecog\n1,1\n", (0.0, 110.0)).unwrap_err();
        assert_eq!((e.line, e.column), (1, Some(2)));
        let e = parse("p.csv", "age,Age\n60,61\n", (0.0, 110.0)).unwrap_err();
        assert_eq!((e.line, e.column), (1, Some(2)));
        let e = parse("p.csv", "ecog\n", (0.0, 110.0)).unwrap_err();
        assert_eq!(e.line, 2);
    }
}
