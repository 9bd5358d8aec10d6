//! `[population]`: the patients' age at diagnosis and sex, and the life table of their
//! general-population mortality (docs, Model → Population and background mortality).

use super::diagnostic::number;
use super::reader::{Check, Reader, Value, join};
use crate::life_table::{BUNDLED, ByAge, DEFAULT_MAX_AGE, LifeTable, LifeTableError};
use crate::model::{Age, Mortality, NormsTable, Population, UtilityNorms};
use crate::rng::{Process, ProcessKind};
use crate::units::Dimension;
use std::path::Path;
use std::sync::Arc;
use toml::de::DeValue;

const KEYS: &[&str] =
    &["age", "share_female", "life_table", "max_age", "background_mortality", "utility_norms"];
const AGE_KEYS: &[&str] = &["dist", "mean", "sd", "min", "max"];
const P: &str = "population";

/// Read `[population]`; `folder` is the folder of the file that names the life table (its
/// path is relative to it).
pub(super) fn read_population(
    r: &mut Reader,
    v: &Value<'_>,
    folder: &dyn Fn(usize) -> std::path::PathBuf,
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
    let share_female = r
        .require(t, &span, P, "share_female", "the share of patients who are female, like 0.55")
        .and_then(|x| {
            r.quantity(x, &join(P, "share_female"), Dimension::Number, Check::Probability)
        });
    let age = r
        .require(t, &span, P, "age", "the age at diagnosis: \"62 years\" or a distribution")
        .and_then(|x| read_age(r, x, table.as_ref().map(|t| &*t.0)));
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
    let (life_table, table_name, table_sha256) = table?;
    Some(Population {
        age: age?,
        share_female: share_female?,
        life_table,
        table_name,
        table_sha256,
        mortality: mortality?,
        utility_norms: utility_norms.clone()?.map(|n| n.0),
        norms_sha256: utility_norms?.and_then(|n| n.1),
        age_process: Process::new(ProcessKind::Age, 0),
        sex_process: Process::new(ProcessKind::Sex, 0),
        death_process: Process::new(ProcessKind::BackgroundDeath, 0),
        floor_process: Process::new(ProcessKind::BackgroundFloor, 0),
    })
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
    let file = folder(x.span().start).join(&name);
    let shown = file.display().to_string();
    let text = match super::file::read_text(&file) {
        Ok(text) => text,
        Err(e) => {
            let help = Some("the path is relative to the folder of the scenario that names it");
            r.error_help(
                x.span(),
                &path,
                e.describe("utility norms", &shown),
                help.map(Into::into),
            );
            return None;
        }
    };
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
    let file = folder(x.span().start).join(name);
    let shown = file.display().to_string();
    let text = match super::file::read_text(&file) {
        Ok(text) => text,
        Err(e) => {
            let help = Some("the path is relative to the folder of the scenario that names it");
            r.error_help(x.span(), &path, e.describe("life table", &shown), help.map(Into::into));
            return None;
        }
    };
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
