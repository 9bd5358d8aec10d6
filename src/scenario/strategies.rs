//! `[[strategies]]` (and second lines, which are read like one): the test, the rules from a
//! positive reading to a regimen, the default regimen, uptake and bridging.

use super::reader::Named;
use super::reader::{Check, Reader, join};
use crate::model::*;
use crate::units::Dimension;
use toml::de::DeValue;

pub(super) fn read_strategy(
    r: &mut Reader,
    e: &Named<'_, '_>,
    name: &str,
    (tests, compiled_tests): (&[String], &[Option<Test>]),
    regimens: &[String],
    positives: &[(String, usize)],
    // A second line's own regimen: without `default`, patients no rule selects keep it.
    keep: Option<usize>,
) -> Option<Strategy> {
    let positive_names: Vec<String> = positives.iter().map(|(n, _)| n.clone()).collect();
    let positive_kind = if positives.iter().enumerate().all(|(i, (_, bit))| i == *bit) {
        "biomarker"
    } else {
        "biomarker or selection test"
    };
    let p = &e.path;
    let t = e.table;
    let uptake = r.quantity_or(t, p, "uptake", Dimension::Number, Check::Probability, 1.0);
    let bridging = match t.get("bridging") {
        Some(v) => r.resolve(v, &join(p, "bridging"), "regimen", regimens).map(Some),
        None => Some(None),
    };
    let waiting = match t.get("waiting") {
        Some(v) => r.resolve(v, &join(p, "waiting"), "regimen", regimens).map(Some),
        None => Some(None),
    };
    for key in ["uptake", "bridging", "waiting"] {
        if let (Some(v), None) = (t.get(key), t.get("test")) {
            r.error(
                v.span(),
                &join(p, key),
                format!("expected `{key}` only in a strategy with a `test`, found it without one"),
            );
        }
    }
    let test = match t.get("test") {
        Some(v) => r.resolve(v, &join(p, "test"), "test", tests).map(Some),
        None => Some(None),
    };
    let default = match (t.get("default"), keep) {
        (None, Some(own))
            if t.get("rules")
                .is_some_and(|v| matches!(v.get_ref(), DeValue::Array(a) if !a.is_empty())) =>
        {
            Some(own)
        }
        (None, Some(_)) => {
            // `rules` that are there but not a non-empty array are reported as such (or here).
            let what = "expected `default`, or non-empty `rules` (without a default, patients no rule selects keep the first regimen's course), found neither";
            r.error(e.span.clone(), &join(p, "default"), what);
            None
        }
        _ => r
            .require(t, &e.span, p, "default", "the regimen for patients no rule matches")
            .and_then(|v| r.resolve(v, &join(p, "default"), "regimen", regimens)),
    };
    let rules: Option<Vec<(usize, usize)>> = match t.get("rules") {
        Some(v) => r.array(v, &join(p, "rules")).and_then(|items| {
            let rs: Vec<Option<(usize, usize)>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let rp = format!("{p}.rules[{i}]");
                    let rt = r.table(item, &rp)?;
                    r.check_keys(rt, &rp, &["positive", "treat"]);
                    let pos = r
                        .require(rt, &item.span(), &rp, "positive", "the biomarker (or selection test) read positive")
                        .and_then(|v| r.resolve(v, &join(&rp, "positive"), positive_kind, &positive_names))
                        .map(|i| positives[i].1);
                    let treat = r
                        .require(rt, &item.span(), &rp, "treat", "the regimen to give")
                        .and_then(|v| r.resolve(v, &join(&rp, "treat"), "regimen", regimens));
                    let (pos, treat) = (pos?, treat?);
                    // A rule must be able to fire: some test in the chain reads the biomarker.
                    if let Some(Some(ti)) = test
                        && !chain_detects(compiled_tests, ti, pos) {
                            r.error_help(
                                rt["positive"].span(),
                                &join(&rp, "positive"),
                                format!("test `{}` (with its reflex tests) does not detect `{}`: the rule can never apply", tests[ti], positive_name(positives, pos)),
                                // Selection tests and biomarkers never share a name.
                                Some(if tests.iter().any(|t| t == positive_name(positives, pos)) {
                                    "make the selection test the strategy's `test` (or a reflex test of it)".into()
                                } else {
                                    "add the biomarker to the test's `detects`".into()
                                }),
                            );
                        }
                    Some((pos, treat))
                })
                .collect();
            rs.into_iter().collect()
        }),
        None => Some(Vec::new()),
    };
    if let (Some(None), Some(rs)) = (&test, &rules)
        && !rs.is_empty()
    {
        r.error_help(
            t["rules"].span(),
            &join(p, "rules"),
            "rules need a test: expected a `test` for this strategy".to_string(),
            Some(format!("defined tests: {}", tests.join(", "))),
        );
    }
    let (bridging, default) = (bridging?, default?);
    Some(Strategy {
        name: name.to_string(),
        test: test?,
        uptake: uptake?,
        bridging,
        waiting: waiting?.or(bridging).unwrap_or(default),
        rules: rules?,
        default,
    })
}

pub(super) fn positive_name(positives: &[(String, usize)], bit: usize) -> &str {
    positives.iter().find(|(_, b)| *b == bit).map_or("?", |(n, _)| n.as_str())
}

/// Whether the tests a pathway starting at `first` may run (its reflexes on failure and on a
/// negative reading included) can read `bit` positive: a biomarker one of them detects, or the
/// bit of a selection test among them.
fn chain_detects(tests: &[Option<Test>], first: usize, bit: usize) -> bool {
    let mut reached = vec![first];
    let mut at = 0;
    while let Some(&i) = reached.get(at) {
        let Some(Some(t)) = tests.get(i) else {
            return true;
        }; // already reported elsewhere
        // A test reads the bit, or its concurrent partner does (results are pooled).
        let partner = t.concurrent.and_then(|c| tests.get(c)).and_then(|u| u.as_ref());
        let reads = |t: &Test| {
            t.readings.iter().any(|r| r.biomarker == bit)
                || t.selection.as_ref().is_some_and(|s| s.bit == bit)
        };
        if reads(t) || partner.is_some_and(reads) {
            return true;
        }
        for next in [t.on_failure, t.on_negative].into_iter().flatten() {
            if !reached.contains(&next) {
                reached.push(next);
            }
        }
        at += 1;
    }
    false
}

/// What a rule's `positive` may name: a biomarker (bit b) or a selection test (its bit).
pub(super) fn positives(
    biomarker_names: &[String],
    test_entries: &[Named<'_, '_>],
    test_names: &[String],
) -> Vec<(String, usize)> {
    let mut positives: Vec<(String, usize)> =
        biomarker_names.iter().enumerate().map(|(b, n)| (n.clone(), b)).collect();
    // Bits as `read_tests` assigns them, also for selection tests with errors (so rules that
    // name them raise no second error).
    let selection_tests =
        test_entries.iter().zip(test_names).filter(|(e, _)| e.table.contains_key("predicts"));
    positives.extend(
        selection_tests.enumerate().map(|(k, (_, n))| (n.clone(), biomarker_names.len() + k)),
    );
    positives
}

/// Second lines: a pathway like a strategy's, read once every regimen is known.
pub(super) fn read_second_lines(
    r: &mut Reader,
    (regimen_entries, regimens, regimen_names): (
        &[Named<'_, '_>],
        &mut [Option<Regimen>],
        &[String],
    ),
    test_names: &[String],
    positives: &[(String, usize)],
    tests: &[Option<Test>],
) {
    for (i, e) in regimen_entries.iter().enumerate() {
        let Some(v) = e.table.get("second_line") else { continue };
        let path = join(&e.path, "second_line");
        let Some(t) = r.table(v, &path) else { continue };
        r.check_keys(t, &path, &["share", "test", "rules", "default"]);
        let share = r.quantity_or(t, &path, "share", Dimension::Number, Check::Probability, 1.0);
        let inner = Named { table: t, span: v.span(), path };
        let pathway = read_strategy(
            r,
            &inner,
            &format!("{}:second_line", regimen_names[i]),
            (test_names, tests),
            regimen_names,
            positives,
            Some(i),
        );
        if regimens[i].as_ref().is_some_and(|g| matches!(g.course, CourseSpec::Partitioned { .. }))
        {
            r.error(
                v.span(),
                &join(&e.path, "second_line"),
                "expected no `second_line` on a partitioned-survival regimen: its OS curve already includes what follows progression".to_string(),
            );
        }
        if let (Some(reg), Some(share), Some(pathway)) = (regimens[i].as_mut(), share, pathway) {
            let keep_course = !t.contains_key("default");
            reg.second_line = Some(SecondLine { share, pathway, keep_course });
        }
    }
}
