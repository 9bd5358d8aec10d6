//! The scenario file format: reading, validating and compiling TOML into a [`Model`].
//!
//! Two stages, as in ripgrep's argument handling: the spanned document is read and checked
//! field by field (every error collected with its location), then a compiled [`Model`] with
//! indices and value slots is built. Nothing downstream sees a name or an unchecked number.

mod biomarkers;
mod budget;
mod checks;
mod compile;
mod contracts;
mod correlations;
pub mod describe;
mod diagnostic;
mod distributions;
mod layers;
mod meta;
mod parameters;
mod reader;
mod regimens;
mod states;
mod strategies;
mod testing;
mod tte;

pub use diagnostic::{Diagnostic, ScenarioErrors, Source};
pub use layers::MAX_EXTENDS_DEPTH;

use crate::model::Model;
use std::path::Path;

/// The default scenario, bundled so that `vbpsim run` works from any folder.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/nsclc_egfr.toml");
/// How the bundled scenario is named in messages and in run.json.
pub const DEFAULT_SCENARIO_NAME: &str = "scenarios/nsclc_egfr.toml";

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read scenario {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}:{line}:{column}: {}", not_utf8(*byte))]
    NotUtf8 { path: String, line: usize, column: usize, byte: u8 },
    #[error("{0}")]
    Invalid(Box<ScenarioErrors>),
}

impl LoadError {
    /// What the user can do about it (errors in the file carry their own hints).
    pub fn help(&self) -> Option<&'static str> {
        match self {
            LoadError::Invalid(_) => None,
            LoadError::NotUtf8 { .. } => Some(NOT_UTF8_HELP),
            LoadError::Io { .. } => {
                Some("give the path of a scenario .toml file, or run `vbpsim init` to write one")
            }
        }
    }
}

/// Why `vbpsim init` could not write its template.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{path} already exists; vbpsim init never overwrites a file")]
    Exists { path: String },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

impl TemplateError {
    pub const EXISTS_HELP: &'static str = "give another path, e.g. `vbpsim init my_scenario.toml`";
}

/// Write the bundled scenario as a commented template to `path`; never overwrites a file.
pub fn write_template(path: &Path) -> Result<(), TemplateError> {
    let shown = || path.display().to_string();
    if path.exists() {
        return Err(TemplateError::Exists { path: shown() });
    }
    std::fs::write(path, DEFAULT_SCENARIO)
        .map_err(|source| TemplateError::Write { path: shown(), source })
}

/// A compiled model with the text it came from.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub model: Model,
    pub source: Source,
}

/// Compile scenario text; `name` is used in error messages. An `extends` is resolved
/// against the current folder.
pub fn parse(name: &str, text: &str) -> Result<Scenario, LoadError> {
    parse_with(name, text, Path::new(""), None, &[])
}

/// Compile scenario text with its `extends` chain (resolved from `folder`) and `--set`
/// overrides, each `KEY=VALUE` in TOML.
fn parse_with(
    name: &str,
    text: &str,
    folder: &Path,
    canonical: Option<std::path::PathBuf>,
    sets: &[String],
) -> Result<Scenario, LoadError> {
    let source = layers::gather(name, text.to_string(), folder, canonical, sets)
        .map_err(LoadError::Invalid)?;
    compile_source(source)
}

/// Compile a scenario from text already gathered (every layer present): how `merge` rebuilds
/// the scenario a shard stored, without the user's files.
pub fn compile_source(source: Source) -> Result<Scenario, LoadError> {
    match compile::compile(source.clone()) {
        Ok(model) => Ok(Scenario { model, source }),
        Err(e) => Err(LoadError::Invalid(Box::new(e))),
    }
}

/// Read and compile a scenario file.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    load_with(Some(path), &[])
}

/// Read and compile a scenario file (or, with no path, the bundled default) with its
/// `extends` chain and the `--set` overrides, applied in order.
pub fn load_with(path: Option<&Path>, sets: &[String]) -> Result<Scenario, LoadError> {
    let Some(path) = path else {
        return parse_with(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO, Path::new(""), None, sets);
    };
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(LoadError::Io {
            path: shown,
            source: std::io::Error::other("is a directory, expected a .toml file"),
        });
    }
    let bytes =
        std::fs::read(path).map_err(|source| LoadError::Io { path: shown.clone(), source })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column, byte) = utf8_position(e.as_bytes(), e.utf8_error().valid_up_to());
        LoadError::NotUtf8 { path: shown.clone(), line, column, byte }
    })?;
    let folder = path.parent().unwrap_or(Path::new(""));
    parse_with(&shown, &text, folder, std::fs::canonicalize(path).ok(), sets)
}

/// Where the first byte that is not UTF-8 lies: line and column (1-based, columns in
/// characters) of the byte at `valid_up_to`, and the byte.
pub(crate) fn utf8_position(bytes: &[u8], valid_up_to: usize) -> (usize, usize, u8) {
    let valid = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or_default();
    let line = valid.matches('\n').count() + 1;
    let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column, bytes.get(valid_up_to).copied().unwrap_or(0))
}

/// The message for a byte that is not UTF-8.
pub(crate) fn not_utf8(byte: u8) -> String {
    format!("not UTF-8 text: byte 0x{byte:02x} here is not valid UTF-8")
}

/// What to do about a file that is not UTF-8.
pub const NOT_UTF8_HELP: &str =
    "save the file as UTF-8 (it was probably saved as Latin-1, Windows-1252 or UTF-16)";

/// The bundled default scenario.
pub fn default_scenario() -> Result<Scenario, LoadError> {
    load_with(None, &[])
}
