//! Scenario errors that point into the file: path:line:col, the field, expected vs found.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// The text a scenario was read from, for turning byte offsets into file, line and column.
///
/// A scenario may be made of several layers — the files it `extends`, itself, and `--set`
/// arguments — each parsed on its own. Their texts are joined (base first, a newline between
/// two layers) into one `text`, and every span the reader sees is an offset into it, so one
/// diagnostic type serves them all and each error names the layer that holds the value.
#[derive(Clone, Debug)]
pub struct Source {
    /// The scenario as the user named it (the file given on the command line).
    pub name: String,
    /// All layers' texts joined; for a scenario of one file, exactly that file's text.
    pub text: String,
    layers: Vec<Layer>,
    /// Index of the layer the user named.
    main: usize,
}

/// One layer of a scenario's text.
#[derive(Clone, Debug)]
struct Layer {
    name: String,
    start: usize,
    end: usize,
    /// Offsets (into the joined text) where the layer's lines start.
    line_starts: Vec<usize>,
}

impl Source {
    /// The SHA-256 of the scenario's text (all its layers joined), as lowercase hex: what
    /// run.json records, and what shards and checkpoints are matched by.
    pub fn sha256(&self) -> String {
        sha256_hex(self.text.as_bytes())
    }

    /// A scenario of one file.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let name = name.into();
        Source::layered(name.clone(), vec![(name, text.into())], 0)
    }

    /// A scenario of several layers (name, text), base first; `main` is the one the user named.
    pub fn layered(
        name: impl Into<String>,
        mut layers: Vec<(String, String)>,
        main: usize,
    ) -> Self {
        let name = name.into();
        if layers.is_empty() {
            layers.push((name.clone(), String::new()));
        }
        let mut text = String::new();
        let mut spans = Vec::with_capacity(layers.len());
        for (i, (layer_name, layer_text)) in layers.into_iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            let start = text.len();
            text.push_str(&layer_text);
            let line_starts = std::iter::once(start)
                .chain(layer_text.match_indices('\n').map(|(j, _)| start + j + 1))
                .collect();
            spans.push(Layer { name: layer_name, start, end: text.len(), line_starts });
        }
        let main = main.min(spans.len().saturating_sub(1));
        Source { name, text, layers: spans, main }
    }

    /// The layers as (name, byte range in `text`), base first.
    pub fn layers(&self) -> impl Iterator<Item = (&str, Range<usize>)> {
        self.layers.iter().map(|l| (l.name.as_str(), l.start..l.end))
    }

    /// Whether the scenario is more than one file (it extends another, or has `--set`s).
    pub fn is_layered(&self) -> bool {
        self.layers.len() > 1
    }

    /// Index of the layer the user named (earlier layers are bases, later ones `--set`s).
    pub fn main_index(&self) -> usize {
        self.main
    }

    /// The layers for a run manifest, base first: file names, and `--set KEY=VALUE` for each
    /// override; empty for a scenario of one file.
    pub fn describe_layers(&self) -> Vec<String> {
        if !self.is_layered() {
            return Vec::new();
        }
        self.layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if i > self.main {
                    format!("--set {}", &self.text[l.start..l.end])
                } else {
                    l.name.clone()
                }
            })
            .collect()
    }

    /// Where the layer the user named starts.
    pub fn main_start(&self) -> usize {
        self.layers.get(self.main).map_or(0, |l| l.start)
    }

    fn layer(&self, offset: usize) -> &Layer {
        let i = self.layers.partition_point(|l| l.start <= offset).saturating_sub(1);
        &self.layers[i]
    }

    /// The index of the layer that holds a byte offset (base first).
    pub fn layer_index(&self, offset: usize) -> usize {
        self.layers.partition_point(|l| l.start <= offset).saturating_sub(1)
    }

    /// The name of the layer (file or `--set` argument) that holds a byte offset.
    pub fn layer_name(&self, offset: usize) -> &str {
        &self.layer(offset).name
    }

    /// 1-based line and column (in characters) of a byte offset, within its layer.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let layer = self.layer(offset);
        let offset = offset.clamp(layer.start, layer.end);
        let line = layer.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = layer.line_starts[line];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// The text of a line (1-based) of the layer that holds `offset`.
    fn line_text(&self, offset: usize, line: usize) -> &str {
        let layer = self.layer(offset);
        let start = layer.line_starts[line - 1];
        let end = layer.line_starts.get(line).copied().unwrap_or(layer.end);
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
            let field = if d.field.is_empty() {
                String::new()
            } else {
                format!("{}: ", shorten(&d.field, EXCERPT_CHARS))
            };
            let layer = self.source.layer_name(d.span.start);
            writeln!(f, "error: {layer}:{line}:{col}: {field}{}", quoted_shortly(&d.message))?;
            let whole = self.source.line_text(d.span.start, line);
            let (text, at, room) = excerpt(whole, col);
            let gutter = line.to_string().len();
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{line} | {text}")?;
            let width = {
                let end = d.span.end.max(d.span.start + 1);
                let same_layer =
                    self.source.layer(end).start == self.source.layer(d.span.start).start;
                let (end_line, end_col) = self.source.line_col(end);
                if same_layer && end_line == line {
                    (end_col - col).max(1)
                } else {
                    whole.chars().count().saturating_sub(col - 1).max(1)
                }
            };
            // Within the excerpt of a cut line.
            let width = room.map_or(width, |room| width.min(room).max(1));
            writeln!(f, "{:gutter$} | {}{}", "", " ".repeat(at - 1), "^".repeat(width))?;
            if let Some(help) = &d.help {
                writeln!(f, "{:gutter$} = help: {}", "", quoted_shortly(help))?;
            }
        }
        let n = self.diagnostics.len();
        write!(f, "{n} error{} in {}", if n == 1 { "" } else { "s" }, self.source.name)
    }
}

/// Most characters of the scenario's text an error quotes: of the line it points into, and of
/// each value it names in its message (a key, a name, a string). A line of megabytes (or a
/// file of one line) makes an error of a few lines, not of megabytes.
pub const EXCERPT_CHARS: usize = 80;

/// The part of `line` an error quotes, where column `col` (1-based, in characters) falls in
/// it, and for a cut line the characters from there to the end of the excerpt: the whole line
/// when it has at most [`EXCERPT_CHARS`] characters, else that many around the column (a
/// quarter before it), cut on character boundaries and marked "…" where cut.
fn excerpt(line: &str, col: usize) -> (Cow<'_, str>, usize, Option<usize>) {
    let n = line.chars().count();
    if n <= EXCERPT_CHARS {
        return (Cow::Borrowed(line), col, None);
    }
    let start = (col - 1).saturating_sub(EXCERPT_CHARS / 4).min(n - EXCERPT_CHARS);
    let end = start + EXCERPT_CHARS;
    let mut text: String = line.chars().skip(start).take(EXCERPT_CHARS).collect();
    let mut at = col - start;
    if start > 0 {
        text.insert(0, '…');
        at += 1;
    }
    if end < n {
        text.push('…');
    }
    (Cow::Owned(text), at, Some(end.saturating_sub(col - 1)))
}

/// A number as a message shows it: the shortest decimal that reads back to it when that is
/// short, else in scientific notation (so that 1e-300 is not printed with 300 zeros).
/// The SHA-256 of `bytes` as lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn number(x: f64) -> String {
    let plain = x.to_string();
    if plain.len() <= 24 { plain } else { format!("{x:e}") }
}

/// `text` cut to its first `most` characters and "…" when longer.
pub(crate) fn shorten(text: &str, most: usize) -> Cow<'_, str> {
    match text.char_indices().nth(most) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
        None => Cow::Borrowed(text),
    }
}

/// A message with every quoted value (between backticks or double quotes) cut to
/// [`EXCERPT_CHARS`] characters, and the whole to ten times that: messages quote keys, names
/// and strings from the file, which may be of any length.
fn quoted_shortly(message: &str) -> Cow<'_, str> {
    if message.chars().count() <= EXCERPT_CHARS {
        return Cow::Borrowed(message);
    }
    let mut out = String::new();
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = &rest[open..open + 1];
        out.push_str(&rest[..=open]);
        let inner = &rest[open + 1..];
        let close = inner.find(quote).unwrap_or(inner.len());
        out.push_str(&shorten(&inner[..close], EXCERPT_CHARS));
        out.push_str(&inner[close..(close + 1).min(inner.len())]);
        rest = &inner[(close + 1).min(inner.len())..];
    }
    out.push_str(rest);
    Cow::Owned(shorten(&out, 10 * EXCERPT_CHARS).into_owned())
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
    fn offsets_in_later_layers_count_lines_from_the_layer_start() {
        let s = Source::layered(
            "b.toml",
            vec![
                ("a.toml".into(), "x = 1\ny = 2".into()),
                ("b.toml".into(), "z = 3\nw = 4\n".into()),
            ],
            1,
        );
        assert_eq!(s.text, "x = 1\ny = 2\nz = 3\nw = 4\n");
        assert_eq!((s.layer_name(6), s.line_col(6)), ("a.toml", (2, 1)));
        assert_eq!((s.layer_name(12), s.line_col(12)), ("b.toml", (1, 1)));
        assert_eq!((s.layer_name(18), s.line_col(20)), ("b.toml", (2, 3)));
        assert_eq!(s.main_start(), 12);
        assert_eq!(s.line_text(18, 2), "w = 4");
    }

    #[test]
    fn a_long_line_is_quoted_as_an_excerpt_around_the_column() {
        let short = "a = 1";
        assert_eq!(excerpt(short, 3), (Cow::Borrowed(short), 3, None));
        let long: String = (0..300).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        // At the start: the first 80 characters, cut at the end.
        let (text, at, room) = excerpt(&long, 1);
        assert_eq!(text, format!("{}…", &long[..80]));
        assert_eq!((at, room), (1, Some(80)));
        // In the middle: 20 characters before the column, cut at both ends.
        let (text, at, room) = excerpt(&long, 151);
        assert_eq!(text, format!("…{}…", &long[130..210]));
        assert_eq!(text.chars().nth(at - 1), long.chars().nth(150));
        assert_eq!(room, Some(60));
        // Multi-byte characters are cut on their boundaries.
        let wide = "é".repeat(500);
        let (text, at, _) = excerpt(&wide, 400);
        assert_eq!(text.chars().count(), 82);
        assert_eq!(at, 22);
    }

    #[test]
    fn quoted_values_in_messages_are_cut_short() {
        let key = "k".repeat(10_000);
        let message = format!("unknown key `{key}` in \"{key}\"; did you mean `patients`?");
        let short = quoted_shortly(&message);
        let cut = format!("{}…", "k".repeat(EXCERPT_CHARS));
        assert_eq!(short, format!("unknown key `{cut}` in \"{cut}\"; did you mean `patients`?"));
        // An unclosed quote is cut too, and the whole message is bounded.
        assert!(quoted_shortly(&format!("found `{key}")).chars().count() < 100);
        assert!(quoted_shortly(&key).chars().count() <= 10 * EXCERPT_CHARS + 1);
        assert_eq!(quoted_shortly("found `x`"), "found `x`");
    }

    #[test]
    fn suggestions_are_near_misses_only() {
        assert_eq!(did_you_mean("pateints", ["patients", "seed"]), Some("patients"));
        assert_eq!(did_you_mean("zzz", ["patients", "seed"]), None);
    }
}
