//! The scenario file format: reading, validating and compiling TOML into a [`Model`].
//!
//! Two stages, as in ripgrep's argument handling: the spanned document is read and checked
//! field by field (every error collected with its location), then a compiled [`Model`] with
//! indices and value slots is built. Nothing downstream sees a name or an unchecked number.

mod budget;
mod compile;
pub mod diagnostic;
mod layers;
mod parameters;
mod reader;

pub use budget::MAX_BUDGET_YEARS;
pub use compile::{MAX_BIOMARKERS, MAX_HORIZON_YEARS, MAX_PATIENTS, MAX_TEST_CHAIN};
pub use diagnostic::{Diagnostic, ScenarioErrors, Source};
pub use layers::MAX_EXTENDS_DEPTH;
pub use reader::MAX_MAGNITUDE;

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
    #[error("scenario {path} is not UTF-8 text")]
    NotUtf8 { path: String },
    #[error("{0}")]
    Invalid(Box<ScenarioErrors>),
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
    let text = String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 { path: shown.clone() })?;
    let folder = path.parent().unwrap_or(Path::new(""));
    parse_with(&shown, &text, folder, std::fs::canonicalize(path).ok(), sets)
}

/// The bundled default scenario.
pub fn default_scenario() -> Result<Scenario, LoadError> {
    load_with(None, &[])
}
