//! `[subgroups]`: the characteristics at diagnosis by which results are also reported apart —
//! a biomarker's true status, sex, a covariate, or age bands (docs, Model → Subgroups).

use super::covariates::Characteristics;
use super::diagnostic::{did_you_mean, number};
use super::reader::{Check, Reader, Value, join};
use crate::model::limits::{MAX_SUBGROUP_LEVELS, MAX_SUBGROUPS};
use crate::model::{Subgroup, SubgroupBy};
use crate::units::Dimension;

const P: &str = "subgroups";

/// Read `[subgroups]`: `by` (names of biomarkers, `sex`, covariates or `age`, each once) and
/// `age_cuts` (increasing ages, with `age`).
pub(super) fn read_subgroups(
    r: &mut Reader,
    v: &Value<'_>,
    who: &Characteristics<'_>,
) -> Option<Vec<Subgroup>> {
    let t = r.table(v, P)?;
    r.check_keys(t, P, &["by", "age_cuts"]);
    let span = v.span();
    let by = r.require(
        t,
        &span,
        P,
        "by",
        "the characteristics to report apart, like [\"EGFR\", \"sex\"]",
    )?;
    let names = r.array(by, &join(P, "by"))?;
    if names.is_empty() {
        r.error(by.span(), &join(P, "by"), "expected one subgroup or more, found none");
        return None;
    }
    let cuts = match t.get("age_cuts") {
        Some(x) => Some((read_cuts(r, x)?, x)),
        None => None,
    };
    let mut out: Vec<Subgroup> = Vec::new();
    let mut ok = true;
    for (i, x) in names.iter().enumerate() {
        let path = format!("{P}.by[{i}]");
        let Some(name) = r.string(x, &path) else {
            ok = false;
            continue;
        };
        if name == crate::model::WHOLE_POPULATION {
            r.error_help(
                x.span(),
                &path,
                format!("expected a subgroup other than `{name}`, found `{name}`"),
                Some(format!(
                    "the tables by subgroup name the whole population `{name}`; rename the biomarker or covariate"
                )),
            );
            ok = false;
            continue;
        }
        if out.iter().any(|s| s.name == name) {
            r.error(x.span(), &path, format!("expected each subgroup once, found `{name}` again"));
            ok = false;
            continue;
        }
        let subgroup = if let Some(b) = who.biomarkers.iter().position(|n| n == name) {
            if who.acquired[b] {
                r.error(
                    x.span(),
                    &path,
                    format!("expected a biomarker present at diagnosis, found `{name}`, acquired at progression"),
                );
                ok = false;
                continue;
            }
            let levels = vec!["positive".to_string(), "negative".to_string()];
            Subgroup { name: name.to_string(), levels, by: SubgroupBy::Biomarker(b) }
        } else if let Some((_, levels, first)) = who.covariates.iter().find(|c| c.0 == name) {
            let by = SubgroupBy::Levels { first_bit: *first };
            Subgroup { name: name.to_string(), levels: levels.clone(), by }
        } else if name == "age" && !who.covariates.is_empty() {
            let Some((cuts, _)) = &cuts else {
                r.error_help(
                    x.span(),
                    &path,
                    "expected `age_cuts` with the `age` subgroup, found none",
                    Some("`age_cuts = [\"65 years\"]` gives the bands below 65 and from 65".into()),
                );
                ok = false;
                continue;
            };
            Subgroup {
                name: "age".into(),
                levels: age_levels(cuts),
                by: SubgroupBy::Age(cuts.clone()),
            }
        } else if who.unread {
            // Perhaps a covariate of the population that could not be read.
            ok = false;
            continue;
        } else {
            let mut known: Vec<&str> = who.biomarkers.iter().map(String::as_str).collect();
            known.extend(who.covariates.iter().map(|c| c.0.as_str()));
            if !who.covariates.is_empty() {
                known.push("age");
            }
            let listing = format!(
                "subgroups are biomarkers{} (defined: {})",
                if who.covariates.is_empty() {
                    "; sex, covariates and age need a [population]"
                } else {
                    ", sex, covariates or age"
                },
                known.join(", ")
            );
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? {listing}"),
                None => listing,
            };
            r.error_help(x.span(), &path, format!("undefined subgroup `{name}`"), Some(help));
            ok = false;
            continue;
        };
        out.push(subgroup);
    }
    if let Some((_, x)) = cuts
        && !out.iter().any(|s| s.name == "age")
    {
        r.error(
            x.span(),
            &join(P, "age_cuts"),
            "expected `age` in `by` with `age_cuts`, found none",
        );
        ok = false;
    }
    if out.len() > MAX_SUBGROUPS {
        r.error(
            by.span(),
            &join(P, "by"),
            format!("expected at most {MAX_SUBGROUPS} subgroups, found {}", out.len()),
        );
        ok = false;
    }
    let levels: usize = out.iter().map(|s| s.levels.len()).sum();
    if levels > MAX_SUBGROUP_LEVELS {
        r.error(
            by.span(),
            &join(P, "by"),
            format!("expected at most {MAX_SUBGROUP_LEVELS} levels of all subgroups together, found {levels}"),
        );
        ok = false;
    }
    ok.then_some(out)
}

/// `age_cuts`: one or more literal ages, increasing.
fn read_cuts(r: &mut Reader, x: &Value<'_>) -> Option<Vec<f64>> {
    let path = join(P, "age_cuts");
    let items = r.array(x, &path)?;
    let mut cuts: Vec<f64> = Vec::new();
    for (i, c) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let a = r.literal_quantity(c, &p, Dimension::Duration, Check::Positive)?;
        if let Some(&last) = cuts.last()
            && !(a > last)
        {
            r.error(
                c.span(),
                &p,
                format!(
                    "expected ages that increase, found {} years after {} years",
                    number(a),
                    number(last)
                ),
            );
            return None;
        }
        cuts.push(a);
    }
    if cuts.is_empty() {
        r.error(x.span(), &path, "expected one age or more, like [\"65 years\"], found none");
        return None;
    }
    Some(cuts)
}

/// The bands' names: `<65`, `65-75`, `>=75`.
fn age_levels(cuts: &[f64]) -> Vec<String> {
    let mut levels = vec![format!("<{}", number(cuts[0]))];
    for w in cuts.windows(2) {
        levels.push(format!("{}-{}", number(w[0]), number(w[1])));
    }
    levels.push(format!(">={}", number(cuts[cuts.len() - 1])));
    levels
}
