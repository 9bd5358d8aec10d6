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
pub mod controls;
mod correlations;
mod covariates;
pub mod describe;
mod designs;
mod diagnostic;
mod distributions;
mod evppi_groups;
mod file;
mod layers;
mod meta;
mod parameters;
mod pathways;
mod population;
mod profiles;
mod reader;
mod regimens;
mod registries;
mod states;
mod strategies;
mod subgroups;
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
    #[error("{path} is a symbolic link; vbpsim init never writes through one")]
    Link { path: String },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

impl TemplateError {
    pub const EXISTS_HELP: &'static str = "give another path, e.g. `vbpsim init my_scenario.toml`";
}

/// The bundled scenarios `vbpsim init --example NAME` writes, by name.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("nsclc_egfr", DEFAULT_SCENARIO),
    ("nsclc_egfr_ctdna", include_str!("../../scenarios/nsclc_egfr_ctdna.toml")),
    ("nsclc_alk", include_str!("../../scenarios/nsclc_alk.toml")),
    ("nsclc_kras_g12c", include_str!("../../scenarios/nsclc_kras_g12c.toml")),
    ("melanoma_braf", include_str!("../../scenarios/melanoma_braf.toml")),
    ("car_t_lymphoma", include_str!("../../scenarios/car_t_lymphoma.toml")),
];

/// The skeleton `vbpsim init` writes: every section a model needs, with placeholder numbers.
const SKELETON: &str = include_str!("../../assets/templates/skeleton.toml");

/// The scenario name a file at `path` gets: its stem with every character that may not be in
/// a name replaced by `_`, starting with a letter, at most the longest name allowed.
pub fn name_for(path: &Path) -> String {
    let stem = path.file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy());
    let mut name: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert_str(0, "s_");
    }
    name.truncate(crate::model::limits::MAX_SCENARIO_NAME);
    name
}

/// The text `vbpsim init` writes to `path`: the skeleton, or the bundled example named
/// `example`, with `scenario.name` set to [`name_for`] `path` (so that its output folder is
/// its own, not the example's). `None` for an unknown example.
pub fn template_text(path: &Path, example: Option<&str>) -> Option<String> {
    let name = name_for(path);
    let Some(example) = example else { return Some(SKELETON.replace("@NAME@", &name)) };
    let (_, text) = EXAMPLES.iter().find(|(n, _)| *n == example)?;
    // The first `name = "…"` line after `[scenario]`.
    let start = text.find("\n[scenario]\n")?;
    let at = start + text[start..].find("\nname = \"")? + 1;
    let end = at + text[at..].find('\n')?;
    Some(format!("{}name = \"{name}\"{}", &text[..at], &text[end..]))
}

/// Write a template scenario (see [`template_text`]) to `path`; never overwrites a file and
/// never follows a symbolic link there (dangling or not). The template is written whole to a
/// hidden file beside `path` and linked into place when complete, so a full disk leaves no
/// truncated template (which would block the next `init`).
pub fn write_template(path: &Path, text: &str) -> Result<(), TemplateError> {
    use std::io::{ErrorKind, Write as _};
    let shown = || path.display().to_string();
    let in_place = |found: &std::fs::Metadata| {
        if found.file_type().is_symlink() {
            TemplateError::Link { path: shown() }
        } else {
            TemplateError::Exists { path: shown() }
        }
    };
    match std::fs::symlink_metadata(path) {
        Ok(found) => return Err(in_place(&found)),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(source) => return Err(TemplateError::Write { path: shown(), source }),
    }
    let name = path.file_name().map_or_else(|| "scenario.toml".into(), |n| n.to_string_lossy());
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = folder.join(format!(".{name}.init-{}.tmp", std::process::id()));
    let mut file = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|source| TemplateError::Write { path: shown(), source })?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        // A hard link fails if the name was taken meanwhile; where the file system has no
        // hard links, a rename (the name was free a moment ago).
        .and_then(|()| match std::fs::hard_link(&tmp, path) {
            Err(e) if e.kind() != ErrorKind::AlreadyExists => std::fs::rename(&tmp, path),
            linked => linked,
        });
    drop(file);
    let _ = std::fs::remove_file(&tmp);
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => match std::fs::symlink_metadata(path) {
            Ok(found) => Err(in_place(&found)),
            Err(_) => Err(TemplateError::Write { path: shown(), source: e }),
        },
        Err(source) => Err(TemplateError::Write { path: shown(), source }),
    }
}

/// A compiled model with the text it came from.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub model: Model,
    pub source: Source,
}

impl Scenario {
    /// The scenario's identity, as lowercase hex: the SHA-256 of its text (all layers), or,
    /// when it reads a life table, utility norms or profiles from a CSV, of that digest
    /// followed by the table's, the norms' and the profiles'. What
    /// run.json records, and what shards and checkpoints are matched by.
    pub fn sha256(&self) -> String {
        let text = self.source.sha256();
        let files: String = self
            .model
            .population
            .iter()
            .flat_map(|p| p.table_sha256.iter().chain(&p.norms_sha256).chain(&p.profiles_sha256))
            .map(String::as_str)
            .collect();
        if files.is_empty() {
            text
        } else {
            diagnostic::sha256_hex(format!("{text}{files}").as_bytes())
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The files of a folder, sorted.
    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_template_is_written_whole_and_never_over_anything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scenario.toml");
        write_template(&path, "text\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "text\n");
        // No temporary file is left beside it.
        assert_eq!(files(dir.path()), ["scenario.toml"]);
        let again = write_template(&path, "").unwrap_err();
        assert!(matches!(again, TemplateError::Exists { .. }), "{again}");
        // A symbolic link is never written through, dangling or not.
        let target = dir.path().join("elsewhere.toml");
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = write_template(&link, "").unwrap_err();
        assert!(matches!(e, TemplateError::Link { .. }), "{e}");
        assert!(!target.exists());
        assert_eq!(std::fs::read_link(&link).unwrap(), target);
        std::os::unix::fs::symlink(&path, dir.path().join("live.toml")).unwrap();
        let e = write_template(&dir.path().join("live.toml"), "").unwrap_err();
        assert!(matches!(e, TemplateError::Link { .. }), "{e}");
        assert_eq!(files(dir.path()), ["link.toml", "live.toml", "scenario.toml"]);
    }

    #[test]
    fn a_template_is_named_after_its_file() {
        assert_eq!(name_for(Path::new("my model.toml")), "my_model");
        assert_eq!(name_for(Path::new("dir/2027-her2.toml")), "s_2027_her2");
        let skeleton = template_text(Path::new("gastric.toml"), None).unwrap();
        assert!(skeleton.contains("name = \"gastric\"") && !skeleton.contains("@NAME@"));
        for (example, text) in EXAMPLES {
            let written = template_text(Path::new("mine.toml"), Some(example)).unwrap();
            // Only the name changes.
            let old = text.lines().find(|l| l.starts_with("name = \"")).unwrap();
            assert_eq!(written, text.replacen(old, "name = \"mine\"", 1), "{example}");
        }
        assert_eq!(template_text(Path::new("x.toml"), Some("nsclc")), None);
    }

    #[test]
    fn a_template_that_cannot_be_written_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // A folder that does not exist: the temporary file cannot be made.
        let e = write_template(&dir.path().join("missing/scenario.toml"), "").unwrap_err();
        assert!(matches!(e, TemplateError::Write { .. }), "{e}");
        assert!(files(dir.path()).is_empty());
    }
}
