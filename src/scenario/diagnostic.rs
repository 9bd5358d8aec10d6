//! Scenario errors that point into the file: path:line:col, the field, expected vs found.

use std::fmt;
use std::ops::Range;

/// A scenario file's text and name, for turning byte offsets into lines and columns.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts =
            std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Source { name: name.into(), text, line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts[line - 1];
        let end = self.line_starts.get(line).copied().unwrap_or(self.text.len());
        self.text.get(start..end).unwrap_or("").trim_end_matches(['\n', '\r'])
    }
}

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Byte range of the offending value (or of the table that lacks a field).
    pub span: Range<usize>,
    /// Dotted path of the field, e.g. `regimens[0].drugs[1].price`.
    pub field: String,
    /// What was expected and what was found.
    pub message: String,
    /// A suggestion, e.g. "did you mean `patients`?".
    pub help: Option<String>,
}

/// Every problem found in one scenario file, rendered together.
#[derive(Clone, Debug)]
pub struct ScenarioErrors {
    pub source: Source,
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let (line, col) = self.source.line_col(d.span.start);
            let field = if d.field.is_empty() { String::new() } else { format!("{}: ", d.field) };
            writeln!(f, "error: {}:{line}:{col}: {field}{}", self.source.name, d.message)?;
            let text = self.source.line_text(line);
            let gutter = line.to_string().len();
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{line} | {text}")?;
            let width = {
                let (end_line, end_col) = self.source.line_col(d.span.end.max(d.span.start + 1));
                if end_line == line {
                    (end_col - col).max(1)
                } else {
                    text.chars().count().saturating_sub(col - 1).max(1)
                }
            };
            writeln!(f, "{:gutter$} | {}{}", "", " ".repeat(col - 1), "^".repeat(width))?;
            if let Some(help) = &d.help {
                writeln!(f, "{:gutter$} = help: {help}", "")?;
            }
        }
        let n = self.diagnostics.len();
        write!(f, "{n} error{} in {}", if n == 1 { "" } else { "s" }, self.source.name)
    }
}

impl std::error::Error for ScenarioErrors {}

/// The nearest of `candidates` to `word`, if close enough to be a likely misspelling.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (c, strsim::damerau_levenshtein(&word.to_lowercase(), &c.to_lowercase())))
        .filter(|(c, d)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(_, d)| *d)
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let s = Source::new("f.toml", "a = 1\nbé = 2\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(6), (2, 1));
        assert_eq!(s.line_col(10), (2, 4));
    }

    #[test]
    fn suggestions_are_near_misses_only() {
        assert_eq!(did_you_mean("pateints", ["patients", "seed"]), Some("patients"));
        assert_eq!(did_you_mean("zzz", ["patients", "seed"]), None);
    }
}
