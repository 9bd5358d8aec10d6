//! Covariates: `population.covariates` (named categorical characteristics drawn from stated
//! shares), and the tables of effects keyed by who they apply to — a biomarker, or a level of a
//! covariate, sex included (docs, Model → Covariates and their effects).

use super::diagnostic::did_you_mean;
use super::reader::{Check, Reader, Value, join};
use crate::model::{
    Condition, Covariate, CovariateSource, FEMALE_BIT, FIRST_COVARIATE_BIT, MALE_BIT, MAX_LEVELS,
};
use crate::rng::{Process, ProcessKind};
use crate::units::Dimension;
use toml::de::DeTable;

const PATH: &str = "population.covariates";

/// `covariates = { NAME = { LEVEL = share, … }, … }`, each level's bit from `first_bit` on.
/// Shares are probabilities (literals or parameters) whose values sum to 1.
/// A covariate may not take a biomarker's name (effects name both).
pub(super) fn read_stated(
    r: &mut Reader,
    v: &Value<'_>,
    first_bit: u32,
    biomarkers: &[String],
) -> Option<Vec<Covariate>> {
    let table = r.table(v, PATH)?;
    let mut out = Vec::new();
    let mut ok = true;
    let mut bit = first_bit;
    for (k, x) in table.iter() {
        let name = k.get_ref().to_string();
        let path = join(PATH, &name);
        if name == "sex" || super::profiles::SPECIAL.contains(&name.as_str()) {
            r.error_help(
                k.span(),
                &path,
                format!("expected a covariate name other than `{name}`, found `{name}`"),
                Some("age, sex and weight are the population's own (`age`, `share_female`, a profile's `weight`)".into()),
            );
            ok = false;
            continue;
        }
        if biomarkers.contains(&name) {
            biomarker_name(r, k.span(), &path, &name);
            ok = false;
            continue;
        }
        let Some(levels) = r.table(x, &path) else {
            ok = false;
            continue;
        };
        if levels.len() < 2 {
            r.error(
                x.span(),
                &path,
                format!("expected two or more levels with their shares, found {}", levels.len()),
            );
            ok = false;
            continue;
        }
        let mut names = Vec::new();
        let mut shares = Vec::new();
        let mut sum = 0.0;
        let mut read = true;
        for (lk, lv) in levels.iter() {
            let lp = join(&path, lk.get_ref());
            match r.quantity(lv, &lp, Dimension::Number, Check::Probability) {
                Some(s) => {
                    sum += r.values[s.0 as usize];
                    shares.push(s);
                }
                None => read = false,
            }
            names.push(lk.get_ref().to_string());
        }
        ok &= read;
        if read && (sum - 1.0).abs() > 1e-9 {
            r.error_help(
                x.span(),
                &path,
                format!("expected shares that sum to 1, found a sum of {sum}"),
                Some("every patient has exactly one level of a covariate".into()),
            );
            ok = false;
        }
        if bit + names.len() as u32 > MAX_LEVELS {
            r.error(
                x.span(),
                &path,
                format!(
                    "expected at most {} levels of all covariates together, found more",
                    MAX_LEVELS - FIRST_COVARIATE_BIT
                ),
            );
            return None;
        }
        let process = Process::named(ProcessKind::Covariate, &name);
        out.push(Covariate {
            name,
            first_bit: bit,
            levels: names.clone(),
            source: CovariateSource::Shares { shares, process },
        });
        bit += names.len() as u32;
    }
    ok.then_some(out)
}

/// A covariate named like a biomarker (reported).
pub(super) fn biomarker_name(r: &mut Reader, span: std::ops::Range<usize>, path: &str, name: &str) {
    r.error_help(
        span,
        path,
        format!("expected a covariate name that no biomarker has, found `{name}`"),
        Some("effects are keyed by biomarker and covariate names alike; rename one".into()),
    );
}

/// Who effects can name: the biomarkers (those acquired at progression may not be read at
/// diagnosis) and, with a `[population]`, sex and the covariates.
pub(super) struct Characteristics<'a> {
    pub biomarkers: &'a [String],
    pub acquired: &'a [bool],
    /// Sex, then each covariate: its name, levels and first bit (empty without a
    /// `[population]`).
    pub covariates: Vec<(String, Vec<String>, u32)>,
    /// The scenario has a `[population]` that could not be read (its errors reported): names
    /// it may have defined are not reported again as undefined.
    pub unread: bool,
}

impl<'a> Characteristics<'a> {
    pub fn new(
        (biomarkers, acquired): (&'a [String], &'a [bool]),
        covariates: Option<&[Covariate]>,
        unread: bool,
    ) -> Self {
        let covariates = covariates.map_or_else(Vec::new, |cs| {
            let sex = ("sex".to_string(), vec!["female".to_string(), "male".to_string()], 0);
            debug_assert_eq!((FEMALE_BIT, MALE_BIT), (0, 1));
            std::iter::once(sex)
                .chain(cs.iter().map(|c| (c.name.clone(), c.levels.clone(), c.first_bit)))
                .collect()
        });
        Characteristics { biomarkers, acquired, covariates, unread }
    }
}

/// The entries of a table of effects, `BIOMARKER = X` or `COVARIATE = { LEVEL = X, … }`: who
/// each applies to, its path, and its value `X`. `biomarkers`: whether biomarkers may be
/// named (`what` says what the keys may be otherwise). Unknown names are reported; `None` if
/// any was.
pub(super) fn entries<'t, 'i>(
    r: &mut Reader,
    table: &'t DeTable<'i>,
    p: &str,
    who: &Characteristics<'_>,
    biomarkers: bool,
) -> Option<Vec<(Condition, String, &'t Value<'i>)>> {
    let mut out = Vec::new();
    let mut ok = true;
    for (k, x) in table.iter() {
        let key = k.get_ref().as_ref();
        let kp = join(p, key);
        if let Some((_, levels, first)) = who.covariates.iter().find(|c| c.0 == key) {
            let Some(by_level) = r.table(x, &kp) else {
                ok = false;
                continue;
            };
            for (lk, lv) in by_level.iter() {
                let level = lk.get_ref().as_ref();
                match levels.iter().position(|l| l == level) {
                    Some(i) => out.push((Condition::Level(first + i as u32), join(&kp, level), lv)),
                    None => {
                        let help = match did_you_mean(level, levels.iter().map(String::as_str)) {
                            Some(s) => format!("did you mean `{s}`? levels: {}", levels.join(", ")),
                            None => format!("levels: {}", levels.join(", ")),
                        };
                        r.error_help(
                            lk.span(),
                            &join(&kp, level),
                            format!("expected a level of `{key}`, found `{level}`"),
                            Some(help),
                        );
                        ok = false;
                    }
                }
            }
            continue;
        }
        if biomarkers && let Some(b) = who.biomarkers.iter().position(|n| n == key) {
            if who.acquired[b] {
                super::regimens::acquired_ratio(r, (k.span(), &kp, key));
                ok = false;
            } else {
                out.push((Condition::Biomarker(b), kp, x));
            }
            continue;
        }
        if who.unread {
            // Perhaps a covariate of the population that could not be read.
            ok = false;
            continue;
        }
        if biomarkers && who.covariates.is_empty() {
            // No `[population]`: keys can only be biomarkers.
            super::regimens::undefined_biomarker(r, (k.span(), &kp, key), who.biomarkers, None);
            ok = false;
            continue;
        }
        let mut names: Vec<&str> = Vec::new();
        if biomarkers {
            names.extend(who.biomarkers.iter().map(String::as_str));
        }
        names.extend(who.covariates.iter().map(|c| c.0.as_str()));
        let listing = format!(
            "keys are {}{} (defined: {})",
            if biomarkers { "biomarker names or " } else { "" },
            if who.covariates.is_empty() {
                "covariates, which need a [population]"
            } else {
                "`sex` and covariate names, each with a table by level"
            },
            if names.is_empty() { "none".to_string() } else { names.join(", ") }
        );
        let help = match did_you_mean(key, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? {listing}"),
            None => listing,
        };
        let what = if biomarkers { "biomarker or covariate" } else { "covariate" };
        r.error_help(k.span(), &kp, format!("undefined {what} `{key}`"), Some(help));
        ok = false;
    }
    ok.then_some(out)
}

/// A table of positive ratios (hazard, time or odds ratios) keyed by who they apply to.
pub(super) fn ratios(
    r: &mut Reader,
    v: &Value<'_>,
    p: &str,
    who: &Characteristics<'_>,
    biomarkers: bool,
) -> Option<Vec<(Condition, crate::model::Slot)>> {
    let table = r.table(v, p)?;
    let found = entries(r, table, p, who, biomarkers)?;
    let mut out = Vec::new();
    let mut ok = true;
    for (on, path, x) in found {
        match r.quantity(x, &path, Dimension::Number, Check::Positive) {
            Some(ratio) => out.push((on, ratio)),
            None => ok = false,
        }
    }
    ok.then_some(out)
}
