//! Quantities with units, as written in scenario files.
//!
//! Unit slips are the most common modelling bug, so every duration, rate and cost per time in a
//! scenario carries its unit, and a bare number where a duration is meant is an error. Internally
//! time is in years: a day is 1/365.25 year, a week 7 days, a month 1/12 year.

/// Days per year (Julian year), the conversion used for `day` and `week`.
pub const DAYS_PER_YEAR: f64 = 365.25;

/// What a number measures. Parameters carry one, fields demand one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// A plain number: probability, utility, price, shape.
    Number,
    /// A time span, stored in years.
    Duration,
    /// Something per time (an event rate or a cost per time), stored per year.
    PerTime,
}

impl Dimension {
    /// How the dimension is described in error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Dimension::Number => "a number",
            Dimension::Duration => "a duration with a unit, like \"6 months\"",
            Dimension::PerTime => "a rate with a unit, like \"0.004 per month\"",
        }
    }

    /// The unit a reader of oncology results reads it in (durations in months, rates per
    /// month): the factor from the internal value, and the unit's name (`None` for a number).
    pub fn reading_unit(self) -> (f64, Option<&'static str>) {
        match self {
            Dimension::Number => (1.0, None),
            Dimension::Duration => (12.0, Some("months")),
            Dimension::PerTime => (1.0 / 12.0, Some("per month")),
        }
    }
}

/// The time units a scenario may use, with their length in years.
pub const TIME_UNITS: &[(&str, f64)] = &[
    ("day", 1.0 / DAYS_PER_YEAR),
    ("days", 1.0 / DAYS_PER_YEAR),
    ("week", 7.0 / DAYS_PER_YEAR),
    ("weeks", 7.0 / DAYS_PER_YEAR),
    ("month", 1.0 / 12.0),
    ("months", 1.0 / 12.0),
    ("year", 1.0),
    ("years", 1.0),
];

/// Why a quantity string could not be read.
#[derive(Clone, Debug, PartialEq)]
pub enum UnitError {
    /// The text does not start with a number.
    NotANumber,
    /// The number is NaN or infinite.
    NotFinite,
    /// The unit word is not one of [`TIME_UNITS`]; carries the nearest valid unit.
    UnknownUnit { unit: String, suggestion: Option<&'static str> },
    /// Something other than a unit or "per `<unit>`" follows the number.
    Malformed,
}

/// Length of a time unit in years.
pub fn time_unit(word: &str) -> Result<f64, UnitError> {
    TIME_UNITS.iter().find(|(name, _)| *name == word).map(|(_, years)| *years).ok_or_else(|| {
        UnitError::UnknownUnit { unit: word.to_string(), suggestion: nearest_unit(word) }
    })
}

fn nearest_unit(word: &str) -> Option<&'static str> {
    TIME_UNITS
        .iter()
        .map(|(name, _)| (*name, strsim::levenshtein(word, name)))
        .filter(|(_, d)| *d <= 2)
        .min_by_key(|(_, d)| *d)
        .map(|(name, _)| name)
}

/// Reads `"<number> <unit>"` or `"<number> per <unit>"` into a value in internal units.
///
/// Returns the dimension found: `"6 months"` is a duration (0.5), `"0.004 per month"` a rate
/// (0.048 per year). A string that is a bare number is reported as [`Dimension::Number`] so the
/// caller can say "expected a duration, found a bare number".
pub fn parse_quantity(text: &str) -> Result<(f64, Dimension), UnitError> {
    let mut words = text.split_whitespace();
    let number = words.next().ok_or(UnitError::NotANumber)?;
    let value: f64 = number.replace('_', "").parse().map_err(|_| UnitError::NotANumber)?;
    if !value.is_finite() {
        return Err(UnitError::NotFinite);
    }
    let rest: Vec<&str> = words.collect();
    match rest.as_slice() {
        [] => Ok((value, Dimension::Number)),
        [unit] => Ok((value * time_unit(unit)?, Dimension::Duration)),
        ["per", unit] => Ok((value / time_unit(unit)?, Dimension::PerTime)),
        _ => Err(UnitError::Malformed),
    }
    .and_then(|(x, dim)| if x.is_finite() { Ok((x, dim)) } else { Err(UnitError::NotFinite) })
}

/// The unit a quantity is written in, to report a parameter in it: its name (plural for a
/// duration, `per month` for a rate) and the factor from the internal value (years, per year)
/// to it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Written {
    pub name: &'static str,
    pub factor: f64,
}

/// The unit of a quantity's text (`"24 months"` → months, ×12; `"0.01 per week"` → per week,
/// × 7/365.25), or `None` for a bare number or a text that does not read.
pub fn written_unit(text: &str) -> Option<Written> {
    let words: Vec<&str> = text.split_whitespace().skip(1).collect();
    let plural = |unit: &str| -> Option<(&'static str, f64)> {
        let years = time_unit(unit).ok()?;
        let name = if years == 1.0 {
            "years"
        } else if years == 1.0 / 12.0 {
            "months"
        } else if years == 7.0 / DAYS_PER_YEAR {
            "weeks"
        } else {
            "days"
        };
        Some((name, years))
    };
    match words.as_slice() {
        [unit] => plural(unit).map(|(name, years)| Written { name, factor: 1.0 / years }),
        ["per", unit] => plural(unit).map(|(name, years)| Written {
            name: match name {
                "years" => "per year",
                "months" => "per month",
                "weeks" => "per week",
                _ => "per day",
            },
            factor: years,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quantity_is_read_back_in_the_unit_it_was_written_in() {
        for text in ["24.5 months", "3 weeks", "10 days", "2 years", "0.01 per month", "5 per week"]
        {
            let (internal, _) = parse_quantity(text).unwrap();
            let w = written_unit(text).unwrap();
            let written: f64 = text.split_whitespace().next().unwrap().parse().unwrap();
            assert!((internal * w.factor - written).abs() < 1e-12 * written, "{text}: {w:?}");
        }
        assert_eq!(written_unit("24.5 months").unwrap().name, "months");
        assert_eq!(written_unit("1 per day").unwrap().name, "per day");
        assert_eq!(written_unit("12"), None);
    }

    #[test]
    fn durations_and_rates_convert_to_years() {
        assert_eq!(parse_quantity("6 months").unwrap(), (0.5, Dimension::Duration));
        assert_eq!(parse_quantity("2 years").unwrap(), (2.0, Dimension::Duration));
        let (d, _) = parse_quantity("365.25 days").unwrap();
        assert!((d - 1.0).abs() < 1e-15);
        let (w, _) = parse_quantity("1 week").unwrap();
        assert!((w - 7.0 / 365.25).abs() < 1e-15);
        let (r, dim) = parse_quantity("0.004 per month").unwrap();
        assert_eq!(dim, Dimension::PerTime);
        assert!((r - 0.048).abs() < 1e-15);
        assert_eq!(parse_quantity("1_000 per year").unwrap(), (1000.0, Dimension::PerTime));
    }

    #[test]
    fn bad_units_are_named() {
        assert_eq!(parse_quantity("12").unwrap(), (12.0, Dimension::Number));
        assert_eq!(
            parse_quantity("6 monthz"),
            Err(UnitError::UnknownUnit { unit: "monthz".into(), suggestion: Some("month") })
        );
        assert_eq!(parse_quantity("six months"), Err(UnitError::NotANumber));
        assert!(matches!(parse_quantity("6 per"), Err(UnitError::UnknownUnit { .. })));
        assert_eq!(parse_quantity("inf months"), Err(UnitError::NotFinite));
        // Finite as written, infinite once converted to years.
        assert_eq!(parse_quantity("1e308 per day"), Err(UnitError::NotFinite));
        assert_eq!(parse_quantity("6 months per"), Err(UnitError::Malformed));
    }
}
