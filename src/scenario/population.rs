//! `[population]`: the patients' age at diagnosis and sex, and the life table of their
//! general-population mortality (docs, Model → Population and background mortality).

use super::diagnostic::number;
use super::reader::{Check, Reader, Value, join};
use crate::life_table::{BUNDLED, ByAge, DEFAULT_MAX_AGE, LifeTable, LifeTableError};
use crate::model::{
    Age, Covariate, CovariateSource, FIRST_COVARIATE_BIT, MAX_LEVELS, Mortality, NormsTable,
    Population, Profiles, UtilityNorms,
};
use crate::rng::{Process, ProcessKind};
use crate::units::Dimension;
use std::path::Path;
use std::sync::Arc;
use toml::de::DeValue;

const KEYS: &[&str] = &[
    "age",
    "share_female",
    "life_table",
    "max_age",
    "background_mortality",
    "utility_norms",
    "utility_adjustment",
    "profiles",
    "covariates",
    "cost_ratio",
];
const AGE_KEYS: &[&str] = &["dist", "mean", "sd", "min", "max"];
const P: &str = "population";

/// Read `[population]`; `folder` is the folder of the file that names the life table (its
/// path is relative to it). Covariates may not take a biomarker's name (effects name both).
pub(super) fn read_population(
    r: &mut Reader,
    v: &Value<'_>,
    folder: &dyn Fn(usize) -> std::path::PathBuf,
    biomarkers: &[String],
) -> Option<Population> {
    let t = r.table(v, P)?;
    r.check_keys(t, P, KEYS);
    let span = v.span();
    let max_age = match t.get("max_age") {
        Some(x) => r
            .literal_quantity(x, &join(P, "max_age"), Dimension::Duration, Check::Positive)
            .map(|m| (m, Some(x))),
        None => Some((DEFAULT_MAX_AGE, None)),
    };
    let table = r
        .require(t, &span, P, "life_table", "a life table: \"us_2020\" or the path of a CSV")
        .and_then(|x| {
            let name = r.string(x, &join(P, "life_table"))?.to_string();
            let (table, digest) = read_table(r, x, &name, folder)?;
            Some((table, digest, name, x))
        });
    let table = match (table, max_age) {
        (Some((table, digest, name, x)), Some((max_age, given))) => {
            let end = table.end_age();
            match table.with_max_age(max_age) {
                Some(table) => Some((Arc::new(table), name, digest)),
                None => {
                    let (at, field) = match given {
                        Some(m) => (m.span(), "max_age"),
                        None => (x.span(), "life_table"),
                    };
                    r.error_help(
                        at,
                        &join(P, field),
                        format!(
                            "expected a maximum age above the life table's last year of age \
                             (it ends at {} years), found {} years",
                            number(end),
                            number(max_age)
                        ),
                        Some(
                            "`max_age` (default 110 years) is the age at which everyone still \
                             alive dies; the table's last hazard goes on until then"
                                .into(),
                        ),
                    );
                    None
                }
            }
        }
        _ => None,
    };
    let mortality = r
        .require(
            t,
            &span,
            P,
            "background_mortality",
            "how the life table's hazard meets the disease's: \"added\" or \"floor\"",
        )
        .and_then(|x| {
            let path = join(P, "background_mortality");
            match r.string(x, &path)? {
                "added" => Some(Mortality::Added),
                "floor" => Some(Mortality::Floor),
                other => {
                    r.error_help(
                        x.span(),
                        &path,
                        format!("expected \"added\" or \"floor\", found \"{other}\""),
                        Some(
                            "\"added\": the background hazard of the patient's age and sex is \
                             added to every state's death hazard; \"floor\": every death \
                             hazard is at least the background hazard"
                                .into(),
                        ),
                    );
                    None
                }
            }
        });
    let ages =
        table.as_ref().map_or((0.0, f64::INFINITY), |t| (f64::from(t.0.first_age), t.0.max_age));
    let profiles = match t.get("profiles") {
        Some(x) => read_profiles(r, x, folder, ages).map(Some),
        None => Some(None),
    };
    let given = |r: &mut Reader, key: &str, column: &str, expected: &str| {
        let in_profiles = match &profiles {
            Some(Some((p, _))) => match column {
                "age" => p.age.is_some(),
                _ => p.female.is_some(),
            },
            Some(None) => false,
            // Unreadable profiles (reported): nothing more to say about the key.
            None => return None,
        };
        match (t.get(key), in_profiles) {
            (Some(x), true) => {
                r.error_help(
                    x.span(),
                    &join(P, key),
                    format!("expected `{key}` once, found it here and as the profiles' `{column}` column"),
                    Some(format!("remove `{key}` to take each patient's from their profile, or the column to draw it")),
                );
                None
            }
            (None, true) => Some(None),
            (Some(x), false) => Some(Some(x)),
            (None, false) => {
                let with = if t.contains_key("profiles") {
                    let article = if column == "age" { "an" } else { "a" };
                    format!(" (or {article} `{column}` column in the profiles)")
                } else {
                    String::new()
                };
                r.require(t, &span, P, key, &format!("{expected}{with}")).map(Some)
            }
        }
    };
    let share_female =
        given(r, "share_female", "sex", "the share of patients who are female, like 0.55")
            .and_then(|x| match x {
                Some(x) => r
                    .quantity(x, &join(P, "share_female"), Dimension::Number, Check::Probability)
                    .map(Some),
                None => Some(None),
            });
    let age = given(r, "age", "age", "the age at diagnosis: \"62 years\" or a distribution")
        .and_then(|x| match x {
            Some(x) => read_age(r, x, table.as_ref().map(|t| &*t.0)),
            None => Some(Age::Profiles),
        });
    let covariates = read_covariates(r, t, profiles.as_ref().and_then(|p| p.as_ref()), biomarkers);
    let utility_adjustment = match (t.get("utility_adjustment"), t.get("utility_norms")) {
        (None, _) => Some(crate::model::Adjustment::Multiplicative),
        (Some(x), norms) => {
            let path = join(P, "utility_adjustment");
            match r.string(x, &path) {
                Some("multiplicative") if norms.is_some() => {
                    Some(crate::model::Adjustment::Multiplicative)
                }
                Some("decrement") if norms.is_some() => Some(crate::model::Adjustment::Decrement),
                Some("multiplicative" | "decrement") => {
                    r.error(
                        x.span(),
                        &path,
                        "expected `utility_norms` with `utility_adjustment`, found none",
                    );
                    None
                }
                Some(other) => {
                    r.error_help(
                        x.span(),
                        &path,
                        format!("expected \"multiplicative\" or \"decrement\", found \"{other}\""),
                        Some("\"multiplicative\": u·N(a₀ + t)/N(a₀); \"decrement\": u − (N(a₀) − N(a₀ + t))".into()),
                    );
                    None
                }
                None => None,
            }
        }
    };
    let utility_norms = match t.get("utility_norms") {
        Some(x) => read_norms(r, x, folder).map(Some),
        None => Some(None),
    };
    // Table norms must cover the youngest patient.
    if let (Some(Some((UtilityNorms::Table(norms), _))), Some(age), Some(x)) =
        (&utility_norms, &age, t.get("utility_norms"))
    {
        let youngest = match *age {
            Age::Fixed(slot) => r.values[slot.0 as usize],
            Age::Normal { min, .. } | Age::Uniform { min, .. } => min,
            Age::Profiles => match &profiles {
                Some(Some((p, _))) => p.age.iter().flatten().copied().fold(f64::INFINITY, f64::min),
                _ => return None,
            },
        };
        if youngest < f64::from(norms.first_age) {
            r.error(
                x.span(),
                &join(P, "utility_norms"),
                format!(
                    "expected norms from the youngest patient's age, {} years, found a table from age {}",
                    number(youngest),
                    norms.first_age
                ),
            );
            return None;
        }
    }
    let cost_ratio = match (t.get("cost_ratio"), &covariates) {
        (Some(x), Some(covariates)) => {
            let who = super::covariates::Characteristics::new((&[], &[]), Some(covariates), false);
            super::covariates::ratios(r, x, &join(P, "cost_ratio"), &who, false).map(|found| {
                found
                    .into_iter()
                    .filter_map(|(on, ratio)| match on {
                        crate::model::Condition::Level(bit) => Some((bit, ratio)),
                        crate::model::Condition::Biomarker(_) => None,
                    })
                    .collect()
            })
        }
        (None, _) => Some(Vec::new()),
        (Some(_), None) => None,
    };
    let (life_table, table_name, table_sha256) = table?;
    let (profiles, profiles_sha256) = profiles?.map_or((None, None), |(p, d)| (Some(p), Some(d)));
    Some(Population {
        age: age?,
        share_female: share_female?,
        profiles,
        profiles_sha256,
        covariates: covariates?,
        cost_ratio: cost_ratio?,
        life_table,
        table_name,
        table_sha256,
        mortality: mortality?,
        utility_norms: utility_norms.clone()?.map(|n| n.0),
        utility_adjustment: utility_adjustment?,
        norms_sha256: utility_norms?.and_then(|n| n.1),
        age_process: Process::new(ProcessKind::Age, 0),
        sex_process: Process::new(ProcessKind::Sex, 0),
        profile_process: Process::new(ProcessKind::Profile, 0),
        death_process: Process::new(ProcessKind::BackgroundDeath, 0),
        floor_process: Process::new(ProcessKind::BackgroundFloor, 0),
    })
}

/// The stated covariates (`covariates`), then the profiles' covariate columns; no name twice,
/// none a biomarker's.
fn read_covariates(
    r: &mut Reader,
    t: &toml::de::DeTable<'_>,
    profiles: Option<&(Arc<Profiles>, String)>,
    biomarkers: &[String],
) -> Option<Vec<Covariate>> {
    let mut out = match t.get("covariates") {
        Some(v) => super::covariates::read_stated(r, v, FIRST_COVARIATE_BIT, biomarkers)?,
        None => Vec::new(),
    };
    let mut bit = out.last().map_or(FIRST_COVARIATE_BIT, |c| c.first_bit + c.levels.len() as u32);
    let mut ok = true;
    if let Some((p, _)) = profiles {
        let at = t["profiles"].span();
        for (column, (name, levels)) in p.levels.iter().enumerate() {
            if out.iter().any(|c| &c.name == name) {
                r.error_help(
                    t["covariates"].span(),
                    &join(P, &format!("covariates.{name}")),
                    format!("expected covariate `{name}` once, found it here and as a column of the profiles"),
                    Some("a covariate comes either from stated shares or from the profiles".into()),
                );
                ok = false;
                continue;
            }
            if biomarkers.contains(name) {
                super::covariates::biomarker_name(r, at.clone(), &join(P, "profiles"), name);
                ok = false;
                continue;
            }
            if bit + levels.len() as u32 > MAX_LEVELS {
                r.error(
                    at.clone(),
                    &join(P, "profiles"),
                    format!(
                        "expected at most {} levels of all covariates together, found more",
                        MAX_LEVELS - FIRST_COVARIATE_BIT
                    ),
                );
                return None;
            }
            out.push(Covariate {
                name: name.clone(),
                levels: levels.clone(),
                first_bit: bit,
                source: CovariateSource::Profiles { column },
            });
            bit += levels.len() as u32;
        }
    }
    ok.then_some(out)
}

/// The text of a CSV that `x` names by path, relative to the folder of the file that names
/// it, and the path as shown in messages; an unreadable file is reported at `x` as `what`.
fn read_beside(
    r: &mut Reader,
    x: &Value<'_>,
    (path, what): (&str, &str),
    name: &str,
    folder: &dyn Fn(usize) -> std::path::PathBuf,
) -> Option<(String, String)> {
    let file = folder(x.span().start).join(name);
    let shown = file.display().to_string();
    match super::file::read_text(&file) {
        Ok(text) => Some((shown, text)),
        Err(e) => {
            let help = "the path is relative to the folder of the scenario that names it";
            r.error_help(x.span(), path, e.describe(what, &shown), Some(help.into()));
            None
        }
    }
}

/// `profiles`: a CSV of patient profiles by path (relative to the naming file's folder), with
/// the CSV's SHA-256; ages within `ages` (the life table's).
fn read_profiles(
    r: &mut Reader,
    x: &Value<'_>,
    folder: &dyn Fn(usize) -> std::path::PathBuf,
    ages: (f64, f64),
) -> Option<(Arc<Profiles>, String)> {
    let path = join(P, "profiles");
    let name = r.string(x, &path)?.to_string();
    let (shown, text) = read_beside(r, x, (&path, "profiles"), &name, folder)?;
    match super::profiles::parse(&name, &text, ages) {
        Ok(p) => Some((Arc::new(p), super::diagnostic::sha256_hex(text.as_bytes()))),
        Err(e) => {
            r.error(x.span(), &path, format!("profiles {shown}, {e}"));
            None
        }
    }
}

/// `utility_norms`: the Ara & Brazier 2010 formula, or a CSV of norms by path (relative to
/// the naming file's folder), with the CSV's SHA-256.
fn read_norms(
    r: &mut Reader,
    x: &Value<'_>,
    folder: &dyn Fn(usize) -> std::path::PathBuf,
) -> Option<(UtilityNorms, Option<String>)> {
    let path = join(P, "utility_norms");
    let name = r.string(x, &path)?.to_string();
    if name == "ara_brazier_2010" {
        return Some((UtilityNorms::AraBrazier2010, None));
    }
    if !name.ends_with(".csv") {
        r.error_help(
            x.span(),
            &path,
            format!("expected \"ara_brazier_2010\" or a .csv path, found \"{name}\""),
            Some(
                "\"ara_brazier_2010\": the EQ-5D population norms of Ara & Brazier 2010 by age \
                 and sex; a CSV: `age,male,female`, one row per whole age"
                    .into(),
            ),
        );
        return None;
    }
    let (shown, text) = read_beside(r, x, (&path, "utility norms"), &name, folder)?;
    match parse_norms(&text) {
        Ok((first_age, male, female)) => {
            let table = NormsTable { name, first_age, male, female };
            let digest = super::diagnostic::sha256_hex(text.as_bytes());
            Some((UtilityNorms::Table(Arc::new(table)), Some(digest)))
        }
        Err(e) => {
            r.error(x.span(), &path, format!("utility norms {shown}, {e}"));
            None
        }
    }
}

/// A norms CSV: the header `age,male,female`, then one row per whole age, consecutive, each
/// norm in (0, 1].
fn parse_norms(text: &str) -> Result<(u32, Vec<f64>, Vec<f64>), LifeTableError> {
    let column = ByAge {
        header: ["age", "male", "female"],
        value: "a utility norm",
        range: "a norm in (0, 1]",
    };
    let (_, first, male, female) = column.read(text, |n| n > 0.0 && n <= 1.0)?;
    Ok((first, male, female))
}

/// A bundled table by name, or a CSV by path (relative to the naming file's folder).
/// The table is read with no maximum age (the caller sets it); with a CSV's SHA-256.
fn read_table(
    r: &mut Reader,
    x: &Value<'_>,
    name: &str,
    folder: &dyn Fn(usize) -> std::path::PathBuf,
) -> Option<(LifeTable, Option<String>)> {
    let path = join(P, "life_table");
    if !name.ends_with(".csv") {
        return match LifeTable::bundled(name, f64::INFINITY) {
            Some(Ok(table)) => Some((table, None)),
            Some(Err(e)) => {
                r.error(x.span(), &path, format!("life table `{name}`: {e}"));
                None
            }
            None => {
                r.error_help(
                    x.span(),
                    &path,
                    format!("expected a bundled life table or a .csv path, found \"{name}\""),
                    Some(format!("bundled tables: {}", BUNDLED.join(", "))),
                );
                None
            }
        };
    }
    let (shown, text) = read_beside(r, x, (&path, "life table"), name, folder)?;
    match LifeTable::parse(&text, f64::INFINITY) {
        Ok(table) => Some((table, Some(super::diagnostic::sha256_hex(text.as_bytes())))),
        Err(e) => {
            r.error(x.span(), &path, format!("life table {shown}, {e}"));
            None
        }
    }
}

/// `age`: one age for every patient, or a distribution, within the table's ages.
fn read_age(r: &mut Reader, x: &Value<'_>, table: Option<&LifeTable>) -> Option<Age> {
    let path = join(P, "age");
    // Ages the table covers: from its first age, below its maximum age.
    let (lowest, highest) =
        table.map_or((0.0, f64::INFINITY), |t| (f64::from(t.first_age), t.max_age));
    let within = |r: &mut Reader, x: &Value<'_>, path: &str, a: f64| {
        if a >= lowest && a < highest {
            true
        } else {
            r.error_help(
                x.span(),
                path,
                format!(
                    "expected an age from the life table's first age, {} years, and below its \
                     maximum age, {} years, found {} years",
                    number(lowest),
                    number(highest),
                    number(a)
                ),
                Some("ages outside the table have no hazard; `max_age` extends the table's last hazard to that age".into()),
            );
            false
        }
    };
    let DeValue::Table(t) = x.get_ref() else {
        let slot = r.quantity(x, &path, Dimension::Duration, Check::NonNegative)?;
        let a = r.values[slot.0 as usize];
        if !within(r, x, &path, a) {
            return None;
        }
        // A parameter's draws (and its one-way range) must stay within the table too.
        if let DeValue::String(name) = x.get_ref()
            && let Some(entry) = r.parameters.get(name.as_ref()).cloned()
        {
            let support = entry.support(a);
            if support.lower < lowest || support.upper >= highest {
                r.error_help(
                    x.span(),
                    &path,
                    format!(
                        "expected an age whose draws stay from the life table's first age, {} \
                         years, and below its maximum age, {} years, found parameter `{name}` \
                         ({}), whose draws and range span [{}, {}] years",
                        number(lowest),
                        number(highest),
                        entry.dist.name(),
                        number(support.lower),
                        number(support.upper)
                    ),
                    Some("bound the parameter (e.g. a uniform or a truncated_normal within the table's ages)".into()),
                );
                return None;
            }
        }
        return Some(Age::Fixed(slot));
    };
    r.check_keys(t, &path, AGE_KEYS);
    let span = x.span();
    let dist = match t.get("dist") {
        Some(d) => r.string(d, &join(&path, "dist"))?.to_string(),
        None => "normal".into(),
    };
    let bound = |r: &mut Reader, key: &str| {
        let v = r.require(t, &span, &path, key, "an age in years, like \"40 years\"")?;
        let p = join(&path, key);
        let a = r.literal_quantity(v, &p, Dimension::Duration, Check::NonNegative)?;
        within(r, v, &p, a).then_some(a)
    };
    let (min, max) = (bound(r, "min"), bound(r, "max"));
    let (min, max) = (min?, max?);
    if !(min < max) {
        r.error(
            span.clone(),
            &path,
            format!("expected min below max, found {} and {} years", number(min), number(max)),
        );
        return None;
    }
    match dist.as_str() {
        "normal" => {
            let mean = r
                .require(t, &span, &path, "mean", "the mean age, like \"62 years\"")
                .and_then(|v| r.quantity(v, &join(&path, "mean"), Dimension::Duration, Check::Any));
            let sd = r
                .require(t, &span, &path, "sd", "the standard deviation, like \"9 years\"")
                .and_then(|v| {
                    r.quantity(v, &join(&path, "sd"), Dimension::Duration, Check::Positive)
                });
            Some(Age::Normal { mean: mean?, sd: sd?, min, max })
        }
        "uniform" => {
            for key in ["mean", "sd"] {
                if let Some(v) = t.get(key) {
                    r.error(v.span(), &join(&path, key), "a uniform age has only `min` and `max`");
                }
            }
            Some(Age::Uniform { min, max })
        }
        other => {
            let at = t.get("dist").map_or(span, |d| d.span());
            r.error(
                at,
                &join(&path, "dist"),
                format!("expected \"normal\" or \"uniform\", found \"{other}\""),
            );
            None
        }
    }
}

/// The folder of the file a byte offset of the scenario lies in (for relative paths): a
/// layer's folder, or the working folder for a `--set`.
pub(super) fn folder_of(source: &super::Source, offset: usize) -> std::path::PathBuf {
    if source.layer_index(offset) > source.main_index() {
        return std::path::PathBuf::new();
    }
    Path::new(source.layer_name(offset)).parent().map_or_else(Default::default, Path::to_path_buf)
}
