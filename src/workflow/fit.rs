//! `vbpsim fit`: read a survival data set, fit every family asked for to each of its groups by
//! maximum likelihood, and write the fits, the data's Kaplan–Meier estimate, plots and a
//! scenario snippet per fit.

use crate::fit::data::{DataError, read};
use crate::fit::families::Family;
use crate::fit::{GroupFits, fit_groups};
use crate::output::OutputError;
use crate::output::fit_folder::{FitRun, write_folder};
use crate::output::folder::Target;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What to fit and how to report it.
#[derive(Clone, Debug)]
pub struct FitRequest {
    pub data: PathBuf,
    /// The data's time unit: `days`, `weeks`, `months` or `years`.
    pub unit: String,
    /// Families to fit (empty: all).
    pub families: Vec<String>,
    /// Times for the landmark survival and restricted means (empty: the last observed time).
    pub at: Vec<f64>,
    /// The extrapolation plots' end (default: three times the last observed time).
    pub horizon: Option<f64>,
    /// The prefix of the snippets' parameter names (default: the data file's stem).
    pub name: Option<String>,
}

/// Why a fit request fails.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("--unit: expected days, weeks, months or years, found `{0}`")]
    Unit(String),
    #[error("--families: `{found}` is not a family (expected {expected})")]
    Family { found: String, expected: String },
    #[error("--{flag}: expected times above 0, found {found}")]
    Time { flag: &'static str, found: f64 },
    #[error(
        "--name: expected a name of letters, digits and `_` starting with a letter, found `{0}`"
    )]
    Name(String),
    #[error(
        "{path}: groups `{a}` and `{b}` would share their files and parameter names (`{slug}`): rename one"
    )]
    GroupNames { path: String, a: String, b: String, slug: String },
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// A request checked: its families and its unit's plural name.
fn checked(request: &FitRequest) -> Result<(Vec<Family>, &'static str), FitError> {
    let unit = match request.unit.as_str() {
        "day" | "days" => "days",
        "week" | "weeks" => "weeks",
        "month" | "months" => "months",
        "year" | "years" => "years",
        other => return Err(FitError::Unit(other.to_string())),
    };
    let expected = || Family::ALL.map(|f| f.name()).join(", ");
    let families = if request.families.is_empty() {
        Family::ALL.to_vec()
    } else {
        let mut out: Vec<Family> = Vec::new();
        for name in &request.families {
            let f = Family::named(name.trim())
                .ok_or_else(|| FitError::Family { found: name.clone(), expected: expected() })?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out
    };
    for (flag, t) in
        request.at.iter().map(|t| ("at", *t)).chain(request.horizon.map(|h| ("horizon", h)))
    {
        if !(t > 0.0 && t.is_finite()) {
            return Err(FitError::Time { flag, found: t });
        }
    }
    if let Some(name) = &request.name {
        let ok = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(FitError::Name(name.clone()));
        }
    }
    Ok((families, unit))
}

/// Fit and write the folder; the folder's path and the fits.
pub fn run_fit(
    request: &FitRequest,
    target: &Target,
) -> Result<(PathBuf, Vec<GroupFits>), FitError> {
    let (families, unit) = checked(request)?;
    let groups = read(&request.data)?;
    for (i, g) in groups.iter().enumerate() {
        let slug = crate::fit::slug(&g.name);
        if let Some(h) = groups[..i].iter().find(|h| crate::fit::slug(&h.name) == slug) {
            return Err(FitError::GroupNames {
                path: request.data.display().to_string(),
                a: h.name.clone(),
                b: g.name.clone(),
                slug,
            });
        }
    }
    let started = std::time::Instant::now();
    let fits = fit_groups(&groups, &families);
    let wall_seconds = started.elapsed().as_secs_f64();
    let last = fits.iter().map(|g| g.last_time).fold(0.0, f64::max);
    let at = if request.at.is_empty() { vec![last] } else { request.at.clone() };
    let bytes = std::fs::read(&request.data).unwrap_or_default();
    let stem = default_name(&request.data);
    let data_file = request.data.display().to_string();
    let run = FitRun {
        data_file: &data_file,
        data_sha256: Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect(),
        unit,
        name: request.name.as_deref().unwrap_or(&stem),
        at: &at,
        horizon: request.horizon.unwrap_or(3.0 * last),
        groups: &fits,
        wall_seconds,
    };
    let dir = write_folder(target, &run)?;
    Ok((dir, fits))
}

/// The data file's stem, as a name (the default output folder's and the snippets' prefix).
pub fn default_name(data: &Path) -> String {
    let stem = data.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let s: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if s.starts_with(|c: char| c.is_ascii_alphabetic()) { s } else { format!("data_{s}") }
}

/// Why a reconstruction fails.
#[derive(Debug, thiserror::Error)]
pub enum ReconstructError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("{file}: {source} (point or row k is line k + 1 of the file)")]
    Curve {
        file: String,
        #[source]
        source: crate::fit::guyot::GuyotError,
    },
    #[error("{0} exists: choose another --out, or add --force to replace it")]
    Exists(String),
    #[error("{path}: cannot be written: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// `vbpsim reconstruct`: rebuild individual data from a digitised curve and its at-risk table
/// (Guyot et al. 2012) and write it as a data file `fit` reads; the observations.
pub fn reconstruct_file(
    curve: &Path,
    at_risk: &Path,
    events: Option<u64>,
    (out, force): (&Path, bool),
) -> Result<Vec<crate::fit::km::Observation>, ReconstructError> {
    let digitised = crate::fit::data::read_curve(curve)?;
    let table = crate::fit::data::read_at_risk(at_risk)?;
    let observations = crate::fit::guyot::reconstruct(&digitised, &table, events).map_err(|e| {
        let file = match e.to_string().starts_with("at-risk") {
            true => at_risk.display().to_string(),
            false => curve.display().to_string(),
        };
        ReconstructError::Curve { file, source: e }
    })?;
    if out.exists() && !force {
        return Err(ReconstructError::Exists(out.display().to_string()));
    }
    crate::output::fit_folder::write_data_file(out, &observations)
        .map_err(|source| ReconstructError::Write { path: out.display().to_string(), source })?;
    Ok(observations)
}
