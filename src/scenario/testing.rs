//! `[[tests]]`: companion tests (what they detect, how well, at what cost and wait, their
//! reflexes and partners) and patient-selection scores.

use super::reader::Named;
use super::reader::read_grid;
use super::reader::{Check, Reader, Value, join};
use crate::model::limits::*;
use crate::model::*;
use crate::rng::{Process, ProcessKind};
use crate::units::Dimension;
use std::ops::Range;
use toml::de::DeValue;

pub(super) fn read_tests(
    r: &mut Reader,
    entries: &[Named<'_, '_>],
    names: &[String],
    biomarkers: &[String],
    regimens: &[String],
) -> Vec<Option<Test>> {
    let mut tests: Vec<Option<Test>> = Vec::new();
    // Selection tests' readings are bits after the biomarkers', in file order.
    let mut next_bit = biomarkers.len();
    for (e, name) in entries.iter().zip(names) {
        tests.push(read_test(r, e, name, names, (biomarkers, regimens), &mut next_bit));
    }
    reflex_chains(r, entries, names, &tests);
    tests
}

/// One `[[tests]]` entry: a test that detects biomarkers, or a selection test (which takes the
/// reading bit `next_bit`).
fn read_test(
    r: &mut Reader,
    e: &Named<'_, '_>,
    name: &str,
    names: &[String],
    (biomarkers, regimens): (&[String], &[String]),
    next_bit: &mut usize,
) -> Option<Test> {
    let p = &e.path;
    r.check_keys(
        e.table,
        p,
        &[
            "name",
            "detects",
            "sensitivity",
            "specificity",
            "predicts",
            "auc",
            "cutoff",
            "sweep",
            "failure",
            "on_failure",
            "on_negative",
            "sample",
            "shedding",
            "concurrent",
            "cost",
            "turnaround",
        ],
    );
    let specimen = read_specimen(r, e);
    let concurrent = match e.table.get("concurrent") {
        Some(v) => r.resolve(v, &join(p, "concurrent"), "test", names).map(Some),
        None => Some(None),
    };
    let failure = r.quantity_or(e.table, p, "failure", Dimension::Number, Check::Probability, 0.0);
    let on_failure = match e.table.get("on_failure") {
        Some(v) => match r.string(v, &join(p, "on_failure")) {
            Some("negative") => Some(None),
            Some(_) => r.resolve(v, &join(p, "on_failure"), "test", names).map(Some),
            None => None,
        },
        None => Some(None),
    };
    let on_negative = match e.table.get("on_negative") {
        Some(v) => r.resolve(v, &join(p, "on_negative"), "test", names).map(Some),
        None => Some(None),
    };
    let cost = r
        .require(e.table, &e.span, p, "cost", "the test's cost")
        .and_then(|v| r.quantity(v, &join(p, "cost"), Dimension::Number, Check::NonNegative));
    let turnaround =
        r.require(e.table, &e.span, p, "turnaround", "a duration like \"15 days\"").and_then(|v| {
            r.quantity(v, &join(p, "turnaround"), Dimension::Duration, Check::NonNegative)
        });
    if let Some(pv) = e.table.get("predicts") {
        let selection = read_selection(r, e, pv, name, biomarkers, regimens, *next_bit);
        *next_bit += 1;
        let test = (|| {
            Some(Test {
                name: name.to_string(),
                readings: Vec::new(),
                failure: failure?,
                on_failure: on_failure?,
                on_negative: on_negative?,
                cost: cost?,
                turnaround: turnaround?,
                failure_process: Process::named(ProcessKind::TestFailure, name),
                specimen: specimen?,
                concurrent: concurrent?,
                selection: Some(selection?),
            })
        })();
        return test;
    }
    for key in ["auc", "cutoff", "sweep"] {
        if let Some(v) = e.table.get(key) {
            r.error_help(
                v.span(),
                &join(p, key),
                format!("expected `{key}` only in a selection test, found it in a test that detects biomarkers"),
                Some("a selection test gives `predicts = \"<regimen>\"`, `auc` and `cutoff` instead of `detects`".into()),
            );
        }
    }
    let detects: Vec<(usize, Range<usize>)> = r
        .require(e.table, &e.span, p, "detects", "a list of biomarker names")
        .and_then(|v| r.array(v, &join(p, "detects")))
        .map(|items| {
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    r.resolve(item, &format!("{p}.detects[{i}]"), "biomarker", biomarkers)
                        .map(|b| (b, item.span()))
                })
                .collect()
        })
        .unwrap_or_default();
    // A test with an unresolved biomarker is not built, so no follow-on errors arise.
    let all_resolved = e
        .table
        .get("detects")
        .and_then(|v| match v.get_ref() {
            DeValue::Array(a) => Some(a.len() == detects.len()),
            _ => None,
        })
        .unwrap_or(false);
    let detected_names: Vec<String> = detects.iter().map(|(b, _)| biomarkers[*b].clone()).collect();
    let sens = per_biomarker(r, e, "sensitivity", &detected_names, biomarkers);
    let spec = per_biomarker(r, e, "specificity", &detected_names, biomarkers);

    (|| {
        let (sens, spec) = (sens?, spec?);
        if !all_resolved {
            return None;
        }
        Some(Test {
            name: name.to_string(),
            readings: detects
                .iter()
                .enumerate()
                .map(|(k, (b, _))| Reading {
                    biomarker: *b,
                    sensitivity: sens[k],
                    specificity: spec[k],
                    process: Process::named2(ProcessKind::TestReading, name, &biomarkers[*b]),
                })
                .collect(),
            failure: failure?,
            on_failure: on_failure?,
            on_negative: on_negative?,
            cost: cost?,
            turnaround: turnaround?,
            failure_process: Process::named(ProcessKind::TestFailure, name),
            specimen: specimen?,
            concurrent: concurrent?,
            selection: None,
        })
    })()
}

/// Reflex pathways must end: following `on_failure` and `on_negative` from any test never
/// comes back to a test already run (a step's concurrent partner included, which would run
/// again on the same draws), and no path runs more than [`MAX_TEST_CHAIN`] tests.
fn reflex_chains(
    r: &mut Reader,
    entries: &[Named<'_, '_>],
    names: &[String],
    tests: &[Option<Test>],
) {
    let reflexes = |i: usize| -> [(Option<usize>, &'static str); 2] {
        match tests.get(i).and_then(|t| t.as_ref()) {
            Some(t) => [(t.on_failure, "on_failure"), (t.on_negative, "on_negative")],
            None => [(None, "on_failure"), (None, "on_negative")],
        }
    };
    let partner = |i: usize| tests.get(i).and_then(|t| t.as_ref()).and_then(|t| t.concurrent);
    // The tests a path of steps runs: each step's and its partner's.
    let ran = |path: &[usize], t: usize| path.iter().any(|&k| k == t || partner(k) == Some(t));
    for (i, e) in entries.iter().enumerate() {
        // Depth-first over the paths from test i; the first path that loops or runs too long
        // is reported at the key of test i that starts it.
        let mut stack: Vec<(Vec<usize>, &'static str)> = vec![(vec![i], "on_failure")];
        'paths: while let Some((path, first_key)) = stack.pop() {
            let last = path[path.len() - 1];
            for (next, key) in reflexes(last) {
                let Some(next) = next else { continue };
                let key = if path.len() == 1 { key } else { first_key };
                let again = ran(&path, next) || partner(next).is_some_and(|c| ran(&path, c));
                if again || path.len() >= MAX_TEST_CHAIN {
                    let span = e.table.get(key).map_or(e.span.clone(), |v| v.span());
                    let shown: Vec<&str> =
                        path.iter().chain([&next]).map(|&k| names[k].as_str()).collect();
                    r.error(
                        span,
                        &join(&e.path, key),
                        format!(
                            "reflex tests must form a chain of at most {MAX_TEST_CHAIN} tests without loops, found {}{}",
                            shown.join(" → "),
                            if again && !path.contains(&next) {
                                " (a concurrent partner on that path would run twice)"
                            } else {
                                ""
                            }
                        ),
                    );
                    break 'paths;
                }
                let mut longer = path.clone();
                longer.push(next);
                stack.push((longer, key));
            }
        }
    }
}

/// `sample = "tissue"` (default) or `"plasma"` with `shedding` (the probability that the
/// tumour sheds enough ctDNA to be seen).
fn read_specimen(r: &mut Reader, e: &Named<'_, '_>) -> Option<Specimen> {
    let p = &e.path;
    let plasma = match e.table.get("sample") {
        Some(v) => match r.string(v, &join(p, "sample"))? {
            "tissue" => false,
            "plasma" => true,
            other => {
                r.error(
                    v.span(),
                    &join(p, "sample"),
                    format!("expected \"tissue\" or \"plasma\", found \"{other}\""),
                );
                return None;
            }
        },
        None => false,
    };
    match (plasma, e.table.get("shedding")) {
        (true, _) => {
            let shedding =
                r.quantity_or(e.table, p, "shedding", Dimension::Number, Check::Probability, 1.0)?;
            Some(Specimen::Plasma { shedding })
        }
        (false, Some(v)) => {
            r.error_help(
                v.span(),
                &join(p, "shedding"),
                "expected `shedding` only in a plasma test, found it in a tissue test".to_string(),
                Some("add `sample = \"plasma\"` for a ctDNA test".into()),
            );
            None
        }
        (false, None) => Some(Specimen::Tissue),
    }
}

/// Most cutoffs a selection sweep may list (each is one more base-case simulation).
const MAX_SWEEP: usize = 200;

/// A selection test's `predicts`, `auc`, `cutoff` and optional `sweep = { from, to, step }`.
fn read_selection(
    r: &mut Reader,
    e: &Named<'_, '_>,
    pv: &Value<'_>,
    name: &str,
    biomarkers: &[String],
    regimens: &[String],
    bit: usize,
) -> Option<Selection> {
    let p = &e.path;
    for key in ["detects", "sensitivity", "specificity"] {
        if let Some(v) = e.table.get(key) {
            r.error_help(
                v.span(),
                &join(p, key),
                format!("expected no `{key}` in a selection test (it has `predicts`), found one"),
                Some("its sensitivity and specificity follow from `auc` and `cutoff`".into()),
            );
        }
    }
    if biomarkers.iter().any(|b| b == name) {
        r.error(
            e.table["name"].span(),
            &join(p, "name"),
            format!("expected a selection test name different from every biomarker's, found `{name}`, also a biomarker: rules could not tell them apart"),
        );
    }
    if bit >= MAX_BIOMARKERS {
        r.error(
            pv.span(),
            &join(p, "predicts"),
            format!("expected at most {MAX_BIOMARKERS} biomarkers and selection tests together, found more"),
        );
    }
    let regimen = r.resolve(pv, &join(p, "predicts"), "regimen", regimens);
    let auc = r
        .require(e.table, &e.span, p, "auc", "the score's area under the ROC curve, in (0, 1)")
        .and_then(|v| r.quantity(v, &join(p, "auc"), Dimension::Number, Check::OpenUnit));
    let cutoff = r
        .require(
            e.table,
            &e.span,
            p,
            "cutoff",
            "the score cutoff in standard deviations of non-responders' scores",
        )
        .and_then(|v| r.quantity(v, &join(p, "cutoff"), Dimension::Number, Check::Any));
    let sweep = match e.table.get("sweep") {
        Some(v) => read_grid(r, v, &join(p, "sweep"), Check::Any, MAX_SWEEP),
        None => Some(Vec::new()),
    };
    Some(Selection {
        regimen: regimen?,
        auc: auc?,
        cutoff: cutoff?,
        sweep: sweep?,
        bit,
        process: Process::named(ProcessKind::TestReading, name),
    })
}

/// Sensitivity or specificity: one number for every detected biomarker, or a table by name.
fn per_biomarker(
    r: &mut Reader,
    e: &Named<'_, '_>,
    key: &str,
    detected: &[String],
    biomarkers: &[String],
) -> Option<Vec<Slot>> {
    let path = join(&e.path, key);
    let v = r.require(
        e.table,
        &e.span,
        &e.path,
        key,
        "a probability, or a table of probabilities by biomarker",
    )?;
    match v.get_ref() {
        DeValue::Table(t) => {
            for (k, _) in t.iter() {
                let kn = k.get_ref().as_ref();
                if !detected.iter().any(|d| d == kn) {
                    let help = if biomarkers.iter().any(|b| b == kn) {
                        format!("add `{kn}` to `detects`")
                    } else {
                        format!("the test detects: {}", detected.join(", "))
                    };
                    r.error_help(
                        k.span(),
                        &join(&path, kn),
                        format!("`{kn}` is not a biomarker this test detects"),
                        Some(help),
                    );
                }
            }
            let slots: Vec<Option<Slot>> = detected
                .iter()
                .map(|d| {
                    r.require(t, &v.span(), &path, d, "a probability").and_then(|x| {
                        r.quantity(x, &join(&path, d), Dimension::Number, Check::Probability)
                    })
                })
                .collect();
            slots.into_iter().collect()
        }
        _ => {
            let slot = r.quantity(v, &path, Dimension::Number, Check::Probability)?;
            Some(vec![slot; detected.len()])
        }
    }
}
