//! Typed reading of a spanned TOML document, collecting every error instead of stopping.
//!
//! serde's derive stops at the first problem; the design asks for all errors of a file at
//! once, each with its location. So the document is parsed by the `toml` crate into a spanned
//! tree, and these helpers read it field by field, pushing a [`Diagnostic`] and returning
//! `None` where a value is unusable, so the caller carries on and finds the next problem.

use super::diagnostic::{Diagnostic, did_you_mean};
use crate::model::Slot;
use crate::model::limits::MAX_MAGNITUDE;
use crate::params::{ParamDist, Support};
use crate::units::{Dimension, UnitError, parse_quantity};
use std::collections::HashMap;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub type Value<'i> = Spanned<DeValue<'i>>;

/// A range check on the point value of a numeric field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Check {
    Any,
    /// In [0, 1].
    Probability,
    /// ≥ 0 (costs, prices).
    NonNegative,
    /// > 0 (scales, cycle lengths).
    Positive,
    /// ≤ 1 (utilities; negative means worse than death).
    AtMostOne,
    /// In (0, 1), both ends excluded (an AUC).
    OpenUnit,
}

impl Check {
    /// Whether every value a parameter can draw passes (ignoring the magnitude limit, which
    /// each draw is checked against).
    fn admits(self, s: Support) -> bool {
        match self {
            Check::Any => true,
            Check::Probability => s.lower >= 0.0 && s.upper <= 1.0,
            Check::NonNegative => s.lower >= 0.0,
            Check::Positive => s.lower > 0.0 || (s.lower == 0.0 && !s.lower_attained),
            Check::AtMostOne => s.upper <= 1.0,
            // An upper end of 1 is drawn with probability 0; each draw is checked anyway.
            Check::OpenUnit => {
                (s.lower > 0.0 || (s.lower == 0.0 && !s.lower_attained)) && s.upper <= 1.0
            }
        }
    }

    /// A distribution that would pass, for the help line.
    fn suggestion(self) -> &'static str {
        match self {
            Check::Any => "",
            Check::Probability => {
                "use a beta, or bounds within [0, 1] (truncated_normal, uniform, triangular, pert)"
            }
            Check::NonNegative | Check::Positive => "use a gamma or a lognormal, or bounds above 0",
            Check::AtMostOne => "use bounds of at most 1 (e.g. a truncated_normal with upper = 1)",
            Check::OpenUnit => "use a beta, or bounds strictly inside (0, 1)",
        }
    }

    fn passes(self, x: f64) -> bool {
        x.abs() <= MAX_MAGNITUDE
            && match self {
                Check::Any => x.is_finite(),
                Check::Probability => (0.0..=1.0).contains(&x),
                Check::NonNegative => x >= 0.0,
                Check::Positive => x > 0.0,
                Check::AtMostOne => x <= 1.0,
                Check::OpenUnit => x > 0.0 && x < 1.0,
            }
    }

    fn expected(self, dim: Dimension, x: f64) -> String {
        let what = match dim {
            Dimension::Number => "a number",
            Dimension::Duration => "a duration",
            Dimension::PerTime => "a rate",
        };
        if x.is_finite() && x.abs() > MAX_MAGNITUDE {
            return format!(
                "{what} of magnitude at most 1e12 (larger values are almost surely a unit slip)"
            );
        }
        match self {
            Check::Any => what.to_string(),
            Check::Probability => "a probability between 0 and 1".into(),
            Check::NonNegative => format!("{what} of 0 or more"),
            Check::Positive => format!("{what} greater than 0"),
            Check::AtMostOne => format!("{what} of at most 1"),
            Check::OpenUnit => "a number strictly between 0 and 1".into(),
        }
    }
}

/// A named parameter as seen by the reader.
#[derive(Clone, Debug)]
pub struct ParamEntry {
    pub slot: Slot,
    pub dimension: Dimension,
    /// Its distribution (fixed: the point value only).
    pub dist: ParamDist,
    /// Its one-way sensitivity range, if the scenario gives one.
    pub range: Option<(f64, f64)>,
    /// The unit its definition is written in (durations and rates).
    pub written: Option<crate::units::Written>,
}

impl ParamEntry {
    /// The values the parameter can take: its distribution's support, widened to its one-way
    /// range.
    pub fn support(&self, point: f64) -> Support {
        let mut s = self.dist.support(point);
        if let Some((lo, hi)) = self.range {
            if lo < s.lower || (lo == s.lower && !s.lower_attained) {
                s.lower = lo;
                s.lower_attained = true;
            }
            s.upper = s.upper.max(hi);
        }
        s
    }
}

/// Collects diagnostics and the value table while a document is read.
#[derive(Default)]
pub struct Reader {
    pub diagnostics: Vec<Diagnostic>,
    pub values: Vec<f64>,
    pub parameters: HashMap<String, ParamEntry>,
    /// Parameter names in file order, for listing in errors.
    pub parameter_order: Vec<String>,
    /// Parameters defined with an error already reported: references to them add none.
    pub invalid_parameters: std::collections::HashSet<String>,
    /// Dirichlet share vectors: the names of their components.
    pub dirichlet_groups: Vec<Vec<String>>,
}

/// A short description of a value for "found …" messages.
pub fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("\"{s}\""),
        DeValue::Integer(i) => i.as_str().to_string(),
        DeValue::Float(x) => x.as_str().to_string(),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Datetime(d) => d.to_string(),
        DeValue::Array(_) => "an array".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

/// Is `s` a name (a reference to a parameter or another entry) rather than a quantity?
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Reader {
    pub fn error(&mut self, span: Range<usize>, field: &str, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            span,
            field: field.to_string(),
            message: message.into(),
            help: None,
        });
    }

    pub fn error_help(
        &mut self,
        span: Range<usize>,
        field: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            span,
            field: field.to_string(),
            message: message.into(),
            help,
        });
    }

    /// A new slot holding a constant.
    pub fn constant(&mut self, x: f64) -> Slot {
        self.values.push(x);
        Slot(self.values.len() as u32 - 1)
    }

    /// A true-or-false `key` of `table` (false when not given); `None` after an error
    /// (reported at the value).
    pub fn flag(&mut self, table: &DeTable<'_>, path: &str, key: &str) -> Option<bool> {
        match table.get(key) {
            None => Some(false),
            Some(v) => match v.get_ref() {
                DeValue::Boolean(b) => Some(*b),
                other => {
                    let found = describe(other);
                    self.error(
                        v.span(),
                        &join(path, key),
                        format!("expected true or false, found {found}"),
                    );
                    None
                }
            },
        }
    }

    /// Report keys of `table` that are not in `allowed`, with a did-you-mean.
    pub fn check_keys(&mut self, table: &DeTable<'_>, path: &str, allowed: &[&str]) {
        for key in table.keys() {
            if !allowed.contains(&key.get_ref().as_ref()) {
                let name = key.get_ref().as_ref();
                let help = did_you_mean(name, allowed.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| Some(format!("valid keys here: {}", allowed.join(", "))));
                self.error_help(
                    key.span(),
                    &join(path, name),
                    format!("unknown key `{name}`"),
                    help,
                );
            }
        }
    }

    /// A required field; reports its absence at the table's span.
    pub fn require<'a, 'i>(
        &mut self,
        table: &'a DeTable<'i>,
        table_span: &Range<usize>,
        path: &str,
        key: &str,
        expected: &str,
    ) -> Option<&'a Value<'i>> {
        let v = table.get(key);
        if v.is_none() {
            self.error(
                table_span.clone(),
                &join(path, key),
                format!("missing field `{key}`: expected {expected}"),
            );
        }
        v
    }

    pub fn table<'a, 'i>(&mut self, v: &'a Value<'i>, path: &str) -> Option<&'a DeTable<'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.error(v.span(), path, format!("expected a table, found {}", describe(other)));
                None
            }
        }
    }

    pub fn array<'a, 'i>(&mut self, v: &'a Value<'i>, path: &str) -> Option<&'a [Value<'i>]> {
        match v.get_ref() {
            DeValue::Array(a) => Some(a),
            other => {
                self.error(v.span(), path, format!("expected an array, found {}", describe(other)));
                None
            }
        }
    }

    pub fn string<'a>(&mut self, v: &'a Value<'_>, path: &str) -> Option<&'a str> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            other => {
                self.error(v.span(), path, format!("expected a string, found {}", describe(other)));
                None
            }
        }
    }

    /// A name that must be an identifier (letters, digits, `_`).
    pub fn name(&mut self, v: &Value<'_>, path: &str) -> Option<String> {
        let s = self.string(v, path)?;
        if is_identifier(s) {
            Some(s.to_string())
        } else {
            self.error(
                v.span(),
                path,
                format!("expected a name of letters, digits and `_` (starting with a letter), found \"{s}\""),
            );
            None
        }
    }

    /// A literal integer ≥ `min` (sizes, seeds, cycle counts).
    pub fn integer(&mut self, v: &Value<'_>, path: &str, min: u64) -> Option<u64> {
        let found = match v.get_ref() {
            DeValue::Integer(i) => {
                match u64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
                    Ok(n) if n >= min => return Some(n),
                    _ => i.as_str().to_string(),
                }
            }
            other => describe(other),
        };
        self.error(
            v.span(),
            path,
            format!("expected a whole number of at least {min}, found {found}"),
        );
        None
    }

    /// A literal finite number (integer or float).
    pub fn number(&mut self, v: &Value<'_>, path: &str) -> Option<f64> {
        let parsed = match v.get_ref() {
            DeValue::Integer(i) => {
                i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok().map(|n| n as f64)
            }
            DeValue::Float(x) => x.as_str().replace('_', "").parse::<f64>().ok(),
            _ => None,
        };
        match parsed {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                self.error(
                    v.span(),
                    path,
                    format!("expected a finite number, found {}", describe(v.get_ref())),
                );
                None
            }
        }
    }

    /// A literal quantity of the wanted dimension, in internal units (not a parameter).
    pub fn literal_quantity(
        &mut self,
        v: &Value<'_>,
        path: &str,
        want: Dimension,
        check: Check,
    ) -> Option<f64> {
        let x = match (v.get_ref(), want) {
            (DeValue::Integer(_) | DeValue::Float(_), Dimension::Number) => self.number(v, path)?,
            (DeValue::Integer(_) | DeValue::Float(_), _) => {
                self.error_help(
                    v.span(),
                    path,
                    format!(
                        "expected {}, found a bare number {}",
                        want.describe(),
                        describe(v.get_ref())
                    ),
                    Some(
                        "every duration and rate carries its unit: days, weeks, months or years"
                            .into(),
                    ),
                );
                return None;
            }
            (DeValue::String(s), _) => self.parse_unit_string(v.span(), path, s, want)?,
            (other, _) => {
                self.error(
                    v.span(),
                    path,
                    format!("expected {}, found {}", want.describe(), describe(other)),
                );
                return None;
            }
        };
        if check.passes(x) {
            Some(x)
        } else {
            self.error(
                v.span(),
                path,
                format!("expected {}, found {}", check.expected(want, x), describe(v.get_ref())),
            );
            None
        }
    }

    fn parse_unit_string(
        &mut self,
        span: Range<usize>,
        path: &str,
        s: &str,
        want: Dimension,
    ) -> Option<f64> {
        match parse_quantity(s) {
            Ok((x, dim)) if dim == want => Some(x),
            Ok((_, Dimension::Number)) => {
                self.error_help(
                    span,
                    path,
                    format!("expected {}, found a bare number \"{s}\"", want.describe()),
                    Some(
                        "every duration and rate carries its unit: days, weeks, months or years"
                            .into(),
                    ),
                );
                None
            }
            Ok((_, dim)) => {
                self.error(
                    span,
                    path,
                    format!("expected {}, found {} \"{s}\"", want.describe(), dim_noun(dim)),
                );
                None
            }
            Err(UnitError::UnknownUnit { unit, suggestion }) => {
                self.error_help(
                    span,
                    path,
                    format!("unknown unit `{unit}` in \"{s}\""),
                    Some(match suggestion {
                        Some(u) => format!(
                            "did you mean `{u}`? units are day(s), week(s), month(s), year(s)"
                        ),
                        None => "units are day(s), week(s), month(s), year(s)".into(),
                    }),
                );
                None
            }
            Err(UnitError::NotFinite) => {
                self.error(span, path, format!("expected a finite number, found \"{s}\""));
                None
            }
            Err(_) => {
                self.error(span, path, format!("expected {}, found \"{s}\"", want.describe()));
                None
            }
        }
    }

    /// A numeric field: a literal of the wanted dimension, or the name of a parameter of that
    /// dimension. Returns the slot; the point value is range-checked either way.
    pub fn quantity(
        &mut self,
        v: &Value<'_>,
        path: &str,
        want: Dimension,
        check: Check,
    ) -> Option<Slot> {
        if let DeValue::String(s) = v.get_ref()
            && is_identifier(s)
        {
            return self.reference(v.span(), path, s, want, check);
        }
        let x = self.literal_quantity(v, path, want, check)?;
        Some(self.constant(x))
    }

    fn reference(
        &mut self,
        span: Range<usize>,
        path: &str,
        name: &str,
        want: Dimension,
        check: Check,
    ) -> Option<Slot> {
        let Some(entry) = self.parameters.get(name).cloned() else {
            if self.invalid_parameters.contains(name) {
                return None;
            }
            let help = Some(defined_help(
                name,
                "parameter",
                self.parameter_order.iter().map(String::as_str),
            ));
            self.error_help(span, path, format!("undefined parameter `{name}`"), help);
            return None;
        };
        if entry.dimension != want {
            self.error(
                span,
                path,
                format!(
                    "expected {}, found parameter `{name}`, which is {}",
                    want.describe(),
                    dim_noun(entry.dimension)
                ),
            );
            return None;
        }
        let x = self.values[entry.slot.0 as usize];
        if !check.passes(x) {
            self.error(
                span,
                path,
                format!("expected {}, found parameter `{name}` = {x}", check.expected(want, x)),
            );
            return None;
        }
        let support = entry.support(x);
        if !check.admits(support) {
            self.error_help(
                span,
                path,
                format!(
                    "expected {}, found parameter `{name}` ({}), whose draws range over [{}, {}]",
                    check.expected(want, x),
                    entry.dist.name(),
                    support.lower,
                    support.upper
                ),
                Some(check.suggestion().to_string()),
            );
            return None;
        }
        Some(entry.slot)
    }

    /// An optional numeric field with a default.
    #[allow(clippy::too_many_arguments)]
    pub fn quantity_or(
        &mut self,
        table: &DeTable<'_>,
        path: &str,
        key: &str,
        want: Dimension,
        check: Check,
        default: f64,
    ) -> Option<Slot> {
        match table.get(key) {
            Some(v) => self.quantity(v, &join(path, key), want, check),
            None => Some(self.constant(default)),
        }
    }

    /// Resolve a name against a list of defined names, with did-you-mean and the list.
    pub fn resolve(
        &mut self,
        v: &Value<'_>,
        path: &str,
        kind: &str,
        names: &[String],
    ) -> Option<usize> {
        let name = self.string(v, path)?;
        if let Some(i) = names.iter().position(|n| n == name) {
            return Some(i);
        }
        let help = Some(defined_help(name, kind, names.iter().map(String::as_str)));
        self.error_help(v.span(), path, format!("undefined {kind} `{name}`"), help);
        None
    }
}

/// "did you mean `x`? defined regimens: a, b" — the suggestion (if any) and always the list.
pub fn defined_help<'a>(
    name: &str,
    kind: &str,
    names: impl Iterator<Item = &'a str> + Clone,
) -> String {
    // regimen → regimens, strategy → strategies, pathway → pathways.
    let plural = match kind.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{stem}ies"),
        _ => format!("{kind}s"),
    };
    let list: Vec<&str> = names.clone().collect();
    let listing = if list.is_empty() {
        format!("no {plural} are defined")
    } else {
        format!("defined {plural}: {}", list.join(", "))
    };
    match did_you_mean(name, names) {
        Some(s) => format!("did you mean `{s}`? {listing}"),
        None => listing,
    }
}

fn dim_noun(dim: Dimension) -> &'static str {
    match dim {
        Dimension::Number => "a bare number",
        Dimension::Duration => "a duration",
        Dimension::PerTime => "a rate",
    }
}

/// `a.b` path joining, with the root left empty.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// `{ from, to, step }` → from, from + step, …, ≤ to: literal numbers, `from` and `to`
/// passing `check`, at most `max` points.
pub fn read_grid(
    r: &mut Reader,
    v: &Value<'_>,
    p: &str,
    check: Check,
    max: usize,
) -> Option<Vec<f64>> {
    let g = r.table(v, p)?;
    r.check_keys(g, p, &["from", "to", "step"]);
    let mut read = |key: &str, check: Check| {
        r.require(g, &v.span(), p, key, "a number")
            .and_then(|x| r.literal_quantity(x, &join(p, key), Dimension::Number, check))
    };
    let (from, to, step) = (read("from", check), read("to", check), read("step", Check::Positive));
    let (from, to, step) = (from?, to?, step?);
    let points = ((to - from) / step + 1e-9).floor() + 1.0;
    if !(to >= from) || points > max as f64 {
        r.error(
            v.span(),
            p,
            format!("expected from ≤ to and at most {max} points, found from {from}, to {to}, step {step}"),
        );
        return None;
    }
    Some((0..points as u64).map(|k| from + k as f64 * step).collect())
}

/// Entries of an array of named tables (`[[regimens]]`) with their names read up front.
pub struct Named<'a, 'i> {
    pub table: &'a DeTable<'i>,
    pub span: Range<usize>,
    pub path: String,
}

pub fn named_entries<'a, 'i>(
    r: &mut Reader,
    doc: &'a DeTable<'i>,
    key: &str,
    kind: &str,
) -> (Vec<Named<'a, 'i>>, Vec<String>) {
    let mut entries = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let Some(v) = doc.get(key) else {
        return (entries, names);
    };
    let Some(items) = r.array(v, key) else {
        return (entries, names);
    };
    for (i, item) in items.iter().enumerate() {
        let path = format!("{key}[{i}]");
        let Some(table) = r.table(item, &path) else {
            continue;
        };
        let name =
            match r.require(table, &item.span(), &path, "name", &format!("the {kind}'s name")) {
                Some(nv) => match r.name(nv, &join(&path, "name")) {
                    Some(n) if names.contains(&n) => {
                        r.error(
                            nv.span(),
                            &join(&path, "name"),
                            format!("duplicate {kind} name `{n}`"),
                        );
                        n
                    }
                    Some(n) => n,
                    None => format!("#{i}"),
                },
                None => format!("#{i}"),
            };
        names.push(name);
        entries.push(Named { table, span: item.span(), path });
    }
    (entries, names)
}
