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
mod file;
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
pub use file::MAX_SCENARIO_BYTES;
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
    #[error("cannot read scenario {path}: expected a regular file, found {found}")]
    NotAFile { path: String, found: &'static str },
    #[error(
        "cannot read scenario {path}: it is larger than {} MiB, the most a scenario file may hold",
        MAX_SCENARIO_BYTES >> 20
    )]
    TooLarge { path: String },
    #[error("{path}:{line}:{column}: a scenario is text; found a NUL byte")]
    Nul { path: String, line: usize, column: usize },
    #[error("{0}")]
    Invalid(Box<ScenarioErrors>),
}

impl LoadError {
    /// What the user can do about it (errors in the file carry their own hints).
    pub fn help(&self) -> Option<&'static str> {
        match self {
            LoadError::Invalid(_) => None,
            LoadError::NotUtf8 { .. } => Some(NOT_UTF8_HELP),
            LoadError::TooLarge { .. } | LoadError::Nul { .. } => file::FileError::TooLarge.help(),
            LoadError::Io { .. } | LoadError::NotAFile { .. } => {
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
    let text = file::read_text(path).map_err(|e| {
        let path = shown.clone();
        match e {
            file::FileError::Io(source) => LoadError::Io { path, source },
            file::FileError::Directory => LoadError::Io {
                path,
                source: std::io::Error::other("is a directory, expected a .toml file"),
            },
            file::FileError::NotAFile(found) => LoadError::NotAFile { path, found },
            file::FileError::TooLarge => LoadError::TooLarge { path },
            file::FileError::Nul { line, column } => LoadError::Nul { path, line, column },
            file::FileError::NotUtf8 { line, column, byte } => {
                LoadError::NotUtf8 { path, line, column, byte }
            }
        }
    })?;
    let folder = path.parent().unwrap_or(Path::new(""));
    parse_with(&shown, &text, folder, std::fs::canonicalize(path).ok(), sets)
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

