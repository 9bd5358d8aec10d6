//! `[[biomarkers]]` and `[heterogeneity]`: who carries which marker, in which lesions.

use super::reader::Named;
use super::reader::{Check, Reader, Value, join};
use crate::model::limits::*;
use crate::model::*;
use crate::rng::{Process, ProcessKind};
use crate::units::Dimension;
use std::ops::Range;

pub(super) fn read_biomarkers(
    r: &mut Reader,
    entries: &[Named<'_, '_>],
    names: &[String],
) -> (Vec<Biomarker>, Vec<BiomarkerGroup>) {
    let mut biomarkers = Vec::new();
    let mut groups: Vec<BiomarkerGroup> = Vec::new();
    let mut group_sums: Vec<(f64, Range<usize>)> = Vec::new();
    for (e, name) in entries.iter().zip(names) {
        r.check_keys(e.table, &e.path, &["name", "prevalence", "group", "discordance", "acquired"]);
        let acquired = r.flag(e.table, &e.path, "acquired").unwrap_or(false);
        let discordance = r.quantity_or(
            e.table,
            &e.path,
            "discordance",
            Dimension::Number,
            Check::Probability,
            0.0,
        );
        let prevalence =
            r.require(e.table, &e.span, &e.path, "prevalence", "a probability").and_then(|v| {
                r.quantity(v, &join(&e.path, "prevalence"), Dimension::Number, Check::Probability)
            });
        let group_name = match e.table.get("group") {
            Some(g) => r.name(g, &join(&e.path, "group")),
            None => Some(format!("biomarker:{name}")),
        };
        let (Some(prevalence), Some(group_name), Some(discordance)) =
            (prevalence, group_name, discordance)
        else {
            continue;
        };
        let gi = match groups.iter().position(|g| g.name == group_name) {
            Some(i) => i,
            None => {
                groups.push(BiomarkerGroup {
                    process: Process::named(ProcessKind::Biomarker, &group_name),
                    lesion_process: Process::named(ProcessKind::LesionStatus, &group_name),
                    name: group_name,
                    members: Vec::new(),
                });
                group_sums.push((0.0, 0..0));
                groups.len() - 1
            }
        };
        groups[gi].members.push(biomarkers.len());
        group_sums[gi].0 += r.values[prevalence.0 as usize];
        group_sums[gi].1 = e.table.get("prevalence").map_or(e.span.clone(), |v| v.span());
        biomarkers.push(Biomarker {
            name: name.clone(),
            prevalence,
            discordance,
            acquired,
            group: gi,
        });
    }
    for (g, (sum, span)) in groups.iter().zip(group_sums) {
        if sum > 1.0 + 1e-12 {
            r.error(span, "biomarkers", format!("prevalences in group `{}` sum to {sum}: expected at most 1 (members are mutually exclusive)", g.name));
        }
    }
    (biomarkers, groups)
}

/// `[heterogeneity]`: `lesions = [P(1), P(2), …]` (literal probabilities summing to 1) and
/// `biopsy = "random"` (default) or `"primary"`.
pub(super) fn read_heterogeneity(r: &mut Reader, v: &Value<'_>) -> Option<Heterogeneity> {
    let p = "heterogeneity";
    let t = r.table(v, p)?;
    r.check_keys(t, p, &["lesions", "biopsy"]);
    let lv = r.require(t, &v.span(), p, "lesions", "a list [P(1 lesion), P(2 lesions), …]")?;
    let items = r.array(lv, "heterogeneity.lesions")?;
    let mut lesions = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let q = r.literal_quantity(
            item,
            &format!("heterogeneity.lesions[{i}]"),
            Dimension::Number,
            Check::Probability,
        )?;
        lesions.push(q);
    }
    let sum: f64 = lesions.iter().sum();
    if lesions.is_empty() || lesions.len() > MAX_LESIONS || (sum - 1.0).abs() > 1e-9 {
        r.error(
            lv.span(),
            "heterogeneity.lesions",
            format!(
                "expected 1 to {MAX_LESIONS} probabilities summing to 1, found {} summing to {sum}",
                lesions.len()
            ),
        );
        return None;
    }
    let random_biopsy = match t.get("biopsy") {
        Some(b) => match r.string(b, "heterogeneity.biopsy")? {
            "random" => true,
            "primary" => false,
            other => {
                r.error(
                    b.span(),
                    "heterogeneity.biopsy",
                    format!("expected \"random\" or \"primary\", found \"{other}\""),
                );
                return None;
            }
        },
        None => true,
    };
    Some(Heterogeneity {
        lesions,
        random_biopsy,
        count_process: Process::new(ProcessKind::Lesions, 0),
        biopsy_process: Process::new(ProcessKind::Biopsy, 0),
    })
}
