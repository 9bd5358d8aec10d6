//! Scenario layers: the files a scenario `extends`, the scenario itself, and `--set` arguments,
//! merged into one document before it is read.
//!
//! Scenario analyses are small edits of a base case; copying the base file would let the
//! copies drift apart. So a file may say `extends = "base.toml"` and give only what differs,
//! and the command line may override one value with `--set 'scenario.horizon="10 years"'`.
//! Each layer is parsed on its own and its spans are moved to its place in the joined
//! [`Source`] text, so an error in a value names the layer (file or `--set`) that holds it.
//!
//! Merge rules, applied from the deepest base up, then each `--set` in order:
//! - a table merges into a table key by key — unless the override is an inline table
//!   (`{ ... }`), which TOML defines as self-contained: it replaces the value whole, so a
//!   parameter or a survival curve written inline is swapped, not mixed with the base's keys;
//! - an array of named entries (`[[regimens]]`, `drugs = [{ name = … }]`) merges with an
//!   array of entries by name: an entry whose name the base has is merged into it key by key,
//!   a new name is appended;
//!   An empty array replaces the list (`adverse_events = []` removes them all);
//! - a table over an array of named entries addresses the entries by name
//!   (`--set 'regimens.osimertinib.administration=0'`);
//! - anything else replaces the base value.

use super::diagnostic::{Diagnostic, EXCERPT_CHARS, ScenarioErrors, Source, did_you_mean, shorten};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

/// Most files in one `extends` chain, the scenario included (a guard against runaway chains).
pub const MAX_EXTENDS_DEPTH: usize = 16;

type Value<'i> = Spanned<DeValue<'i>>;

/// A problem found while following `extends`, located in one file of the chain.
struct ChainError {
    /// Position in the chain: 0 is the file the user named, 1 the file it extends, …
    link: usize,
    span: Range<usize>,
    message: String,
    help: Option<String>,
}

/// One file of an `extends` chain.
struct Link {
    name: String,
    text: String,
    /// Folder against which its own `extends` is resolved.
    folder: PathBuf,
    /// Canonical path, for cycle detection (none for the bundled scenario).
    canonical: Option<PathBuf>,
}

/// The layers of a scenario: the `extends` chain of the named file (read from disk, each
/// path relative to the folder of the file that names it), then one layer per `--set`.
///
/// `folder` is where the main text's own `extends` is resolved; `canonical` identifies it
/// for cycle detection. Problems with the chain (an `extends` that is not a string, a base
/// that cannot be read, a cycle) are reported at the `extends` value that caused them.
pub fn gather(
    name: &str,
    text: String,
    folder: &Path,
    canonical: Option<PathBuf>,
    sets: &[String],
) -> Result<Source, Box<ScenarioErrors>> {
    let mut chain =
        vec![Link { name: name.to_string(), text, folder: folder.to_path_buf(), canonical }];
    let mut errors: Vec<ChainError> = Vec::new();
    while let Some(next) = follow(&chain, &mut errors) {
        chain.push(next);
    }
    let depth = chain.len();
    let mut layers: Vec<(String, String)> =
        chain.into_iter().rev().map(|l| (l.name, l.text)).collect();
    for (i, set) in sets.iter().enumerate() {
        layers.push((format!("--set #{}", i + 1), set.clone()));
    }
    let source = Source::layered(name, layers, depth - 1);
    if errors.is_empty() {
        return Ok(source);
    }
    let starts: Vec<usize> = source.layers().map(|(_, r)| r.start).collect();
    let diagnostics = errors
        .into_iter()
        .map(|e| {
            let at = starts[depth - 1 - e.link];
            Diagnostic {
                span: e.span.start + at..e.span.end + at,
                field: "extends".into(),
                message: e.message,
                help: e.help,
            }
        })
        .collect();
    Err(Box::new(ScenarioErrors { source, diagnostics }))
}

/// The file the last link of the chain extends, if any and if it can be read.
fn follow(chain: &[Link], errors: &mut Vec<ChainError>) -> Option<Link> {
    let link = chain.len() - 1;
    let last = &chain[link];
    // A malformed file is reported by the reader with every other problem.
    let doc = DeTable::parse(&last.text).ok()?;
    let v = doc.get_ref().get("extends")?;
    let mut fail = |message: String, help: Option<String>| {
        errors.push(ChainError { link, span: v.span(), message, help });
        None
    };
    let DeValue::String(file) = v.get_ref() else {
        return fail(
            format!("expected the path of a base scenario file, found {}", v.get_ref().type_str()),
            Some("e.g. `extends = \"base.toml\"`, relative to this file's folder".into()),
        );
    };
    if chain.len() >= MAX_EXTENDS_DEPTH {
        return fail(format!("a chain of more than {MAX_EXTENDS_DEPTH} files"), None);
    }
    let path = last.folder.join(file.as_ref());
    let shown = path.display().to_string();
    // An `extends` of any length is quoted shortly (a path is at most 4096 bytes).
    let quoted = shorten(&shown, 4 * EXCERPT_CHARS);
    let canonical = match std::fs::canonicalize(&path) {
        Ok(c) => c,
        Err(e) => {
            return fail(
                format!("cannot read base scenario {quoted}: {e}"),
                Some("`extends` is relative to the folder of the file that names it".into()),
            );
        }
    };
    if chain.iter().any(|l| l.canonical.as_ref() == Some(&canonical)) {
        let names: Vec<&str> = chain.iter().map(|l| l.name.as_str()).collect();
        return fail(
            format!("`extends` makes a cycle: {} → {shown}", names.join(" → ")),
            Some("a scenario cannot extend itself or a file that extends it".into()),
        );
    }
    let text = match super::file::read_text(&canonical) {
        Ok(text) => text,
        Err(e) => {
            let help = e.help().map(str::to_string);
            return fail(e.describe("base scenario", &quoted), help);
        }
    };
    let folder = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    Some(Link { name: shown, text, folder, canonical: Some(canonical) })
}

/// Parse every layer of `source` and merge them into one document; `None` if a layer is not
/// valid TOML (each such layer adds a diagnostic). Problems of the merge itself (an entry
/// addressed by a name the base lacks) are diagnostics too, but the document is still
/// returned so that the reader reports the layers' other errors with them.
pub fn merged<'s>(source: &'s Source, diagnostics: &mut Vec<Diagnostic>) -> Option<DeTable<'s>> {
    let mut malformed = false;
    let main = source.main_index();
    let mut doc: Option<DeTable<'s>> = None;
    for (i, (_, range)) in source.layers().enumerate() {
        let text = &source.text[range.clone()];
        let table = match DeTable::parse(text) {
            Ok(t) => t.into_inner(),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let message = e.message().trim().to_string();
                diagnostics.push(Diagnostic {
                    span: span.start + range.start..span.end + range.start,
                    field: String::new(),
                    message: format!("malformed TOML: {message}"),
                    help: (i > main).then(|| {
                        "a --set argument is KEY=VALUE in TOML: quote text, e.g. --set 'scenario.horizon=\"10 years\"'".into()
                    }),
                });
                malformed = true;
                continue;
            }
        };
        let mut table = shift_table(table, range.start);
        if let Some((key, _)) = table.remove_entry("extends")
            && i > main
        {
            diagnostics.push(Diagnostic {
                span: key.span(),
                field: "extends".into(),
                message: "`extends` cannot be given with --set".into(),
                help: Some("name the base in the scenario file".into()),
            });
        }
        match &mut doc {
            None => doc = Some(table),
            Some(base) => Merge { text: &source.text, diagnostics }.tables(base, table, ""),
        }
    }
    if malformed {
        return None;
    }
    doc
}

/// Move every span of a table parsed on its own to its layer's place in the joined text.
fn shift_table(table: DeTable<'_>, by: usize) -> DeTable<'_> {
    let mut out = DeTable::new();
    for (key, value) in table {
        let span = key.span();
        out.insert(
            Spanned::new(span.start + by..span.end + by, key.into_inner()),
            shift(value, by),
        );
    }
    out
}

fn shift(value: Value<'_>, by: usize) -> Value<'_> {
    let span = value.span();
    let inner = match value.into_inner() {
        DeValue::Table(t) => DeValue::Table(shift_table(t, by)),
        DeValue::Array(a) => DeValue::Array(a.into_iter().map(|v| shift(v, by)).collect()),
        leaf => leaf,
    };
    Spanned::new(span.start + by..span.end + by, inner)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// The name of an entry of a named array, if it has one.
fn entry_name<'a>(v: &'a Value<'_>) -> Option<&'a str> {
    v.get_ref().as_table()?.get("name")?.get_ref().as_str()
}

/// An array whose entries are all tables with a string `name`.
fn is_named_array(v: &DeValue<'_>) -> bool {
    matches!(v, DeValue::Array(a) if !a.is_empty() && a.iter().all(|e| entry_name(e).is_some()))
}

/// The merge of one layer into the document so far: the joined text (to tell inline tables
/// by their opening brace) and the diagnostics of names that do not resolve.
struct Merge<'t> {
    text: &'t str,
    diagnostics: &'t mut Vec<Diagnostic>,
}

impl Merge<'_> {
    fn tables<'i>(&mut self, base: &mut DeTable<'i>, over: DeTable<'i>, path: &str) {
        for (key, value) in over {
            let p = join(path, key.get_ref());
            match base.get_mut(key.get_ref().as_ref()) {
                Some(b) => self.value(b, value, &p),
                None => {
                    base.insert(key, value);
                }
            }
        }
    }

    fn value<'i>(&mut self, base: &mut Value<'i>, over: Value<'i>, path: &str) {
        let inline = self.text.as_bytes().get(over.span().start) == Some(&b'{');
        let named = is_named_array(base.get_ref());
        match (base.get_mut(), over.get_ref()) {
            (DeValue::Table(_), DeValue::Table(_)) if !inline => {
                let DeValue::Table(b) = base.get_mut() else { return };
                let DeValue::Table(o) = over.into_inner() else { return };
                self.tables(b, o, path);
            }
            (DeValue::Array(_), DeValue::Array(o))
                if named && !o.is_empty() && o.iter().all(|e| e.get_ref().is_table()) =>
            {
                let DeValue::Array(b) = base.get_mut() else { return };
                let DeValue::Array(o) = over.into_inner() else { return };
                self.entries(b, o, path);
            }
            (DeValue::Array(_), DeValue::Table(_)) if named => {
                let DeValue::Array(b) = base.get_mut() else { return };
                let DeValue::Table(o) = over.into_inner() else { return };
                self.address(b, o, path);
            }
            _ => *base = over,
        }
    }

    /// Merge an array of entries into a named array: same name → merged, new name → appended.
    fn entries<'i>(&mut self, base: &mut DeArray<'i>, over: DeArray<'i>, path: &str) {
        // Matched against the base's entries only: a name repeated within the override is
        // appended twice, and the reader reports the duplicate as in a single file.
        let inherited = base.len();
        for entry in over {
            let Some(name) = entry_name(&entry).map(str::to_string) else {
                self.diagnostics.push(Diagnostic {
                    span: entry.span(),
                    field: path.to_string(),
                    message: format!(
                        "an entry added to `{path}` needs a `name`: entries are matched with the base's by name"
                    ),
                    help: None,
                });
                continue;
            };
            match base.iter_mut().take(inherited).find(|e| entry_name(e) == Some(name.as_str())) {
                Some(b) => self.entry(b, entry, &format!("{path}.{name}")),
                None => base.push(entry),
            }
        }
    }

    /// Merge fields into an entry, key by key even when written inline: the entry is matched
    /// by name, so the override lists only what changes.
    fn entry<'i>(&mut self, base: &mut Value<'i>, over: Value<'i>, path: &str) {
        match (base.get_mut(), over.into_inner()) {
            (DeValue::Table(b), DeValue::Table(o)) => self.tables(b, o, path),
            (_, o) => {
                let span = base.span();
                self.diagnostics.push(Diagnostic {
                    span,
                    field: path.to_string(),
                    message: format!(
                        "expected a table of the entry's fields, found {}",
                        o.type_str()
                    ),
                    help: None,
                });
            }
        }
    }

    /// A table over a named array: each key names an entry, its value holds the changed fields.
    fn address<'i>(&mut self, base: &mut DeArray<'i>, over: DeTable<'i>, path: &str) {
        for (key, value) in over {
            let name = key.get_ref().to_string();
            let Some(b) = base.iter_mut().find(|e| entry_name(e) == Some(name.as_str())) else {
                let names: Vec<String> =
                    base.iter().filter_map(entry_name).map(str::to_string).collect();
                let help = did_you_mean(&name, names.iter().map(String::as_str))
                    .map(|n| format!("did you mean `{n}`?"))
                    .unwrap_or_else(|| {
                        format!(
                            "entries of `{path}`: {}; a new entry is added as an entry with its own `name`",
                            names.join(", ")
                        )
                    });
                self.diagnostics.push(Diagnostic {
                    span: key.span(),
                    field: join(path, &name),
                    message: format!("no entry named `{name}` in `{path}`"),
                    help: Some(help),
                });
                continue;
            };
            if !value.get_ref().is_table() {
                self.diagnostics.push(Diagnostic {
                    span: value.span(),
                    field: join(path, &name),
                    message: format!(
                        "expected a table of the entry's fields, found {}",
                        value.get_ref().type_str()
                    ),
                    help: Some(format!("e.g. `{path}.{name}.FIELD = VALUE`")),
                });
                continue;
            }
            self.entry(b, value, &join(path, &name));
        }
    }
}
