//! Errors across the fields of one section: parameter distributions that cannot exist,
//! partitioned-survival regimens with clinical-course keys, and selection tests.

use super::harness::{BUNDLED, apply, edit, loc, rejected};

/// Parameter distributions that cannot exist, or whose draws a field cannot take, are errors
/// at the field that makes them impossible; an unknown distribution gets a suggestion.
#[test]
fn impossible_parameter_distributions_are_located() {
    let text = apply(
        BUNDLED,
        &[
            (
                "egfr_prevalence = { dist = \"beta\", mean = 0.15, se = 0.015 }",
                "egfr_prevalence = { dist = \"beta\", mean = 0.15, se = 0.4 }",
            ),
            (
                "ngs_cost = { dist = \"gamma\", mean = 3500, se = 350 }",
                "ngs_cost = { dist = \"gama\", mean = 3500, se = 500 }",
            ),
            (
                "osi_responder_median = { dist = \"lognormal\", median = \"24.5 months\", ci95 = [\"19.7 months\", \"27.7 months\"] }",
                "osi_responder_median = { dist = \"gamma\", mean = \"24.5 months\", se = 3 }",
            ),
        ],
    );
    let r = rejected(&text);
    r.diag(loc(&text, "se = 0.4", "0.4"), "parameters.egfr_prevalence.se")
        .says(&["a beta with mean 0.15 cannot have se 0.4"]);
    r.diag(loc(&text, "dist = \"gama\"", "\"gama\""), "parameters.ngs_cost.dist")
        .says(&["expected one of fixed, dirichlet, beta, gamma"])
        .helps(&["did you mean `gamma`?"]);
    r.diag(loc(&text, "se = 3 }", "3"), "parameters.osi_responder_median.se")
        .says(&["expected a duration", "as `mean`"]);
    r.expect_count(3);

    // A normal cannot be a probability: the error is at the field that uses it.
    let text = edit(
        "egfr_prevalence = { dist = \"beta\", mean = 0.15, se = 0.015 }",
        "egfr_prevalence = { dist = \"normal\", mean = 0.15, sd = 0.02 }",
    );
    let r = rejected(&text);
    r.diag(
        loc(&text, "prevalence = \"egfr_prevalence\"", "\"egfr_prevalence\""),
        "biomarkers[0].prevalence",
    )
    .says(&[
        "expected a probability between 0 and 1",
        "(normal), whose draws range over [-inf, inf]",
    ])
    .helps(&["use a beta"]);
    r.expect_count(1);
}

/// A partitioned-survival regimen takes its times from PFS and OS curves only: clinical-course
/// keys next to it are refused where they stand, and both curves are required.
#[test]
fn partitioned_survival_refuses_mixed_course_keys() {
    let text = edit(
        "progression.responder = { dist = \"weibull\", shape = 1.5, median = \"osi_responder_median\" }",
        "partitioned = { pfs = { dist = \"weibull\", shape = 1.2, median = \"18.9 months\" } }\nprogression.responder = { dist = \"weibull\", shape = 1.5, median = \"osi_responder_median\" }",
    );
    let r = rejected(&text);
    let at = |context: &str| loc(&text, context, context);
    r.diag(
        at("progression.responder = { dist = \"weibull\", shape = 1.5, median = \"osi_"),
        "regimens[1].progression",
    )
    .says(&["expected no `progression` in a partitioned-survival regimen"])
    .helps(&["partitioned = { pfs, os }"]);
    r.diag(
        at("{ dist = \"exponential\", rate = \"0.004 per month\" }"),
        "regimens[1].death_before_progression",
    )
    .says(&["expected no `death_before_progression`"]);
    r.diag(
        at("{ dist = \"exponential\", median = \"16.2 months\" }"),
        "regimens[1].after_progression.survival",
    )
    .says(&["expected no survival after progression"])
    .helps(&["keep only `cost`"]);
    r.diag(at("{ pfs = { dist = \"weibull\", shape = 1.2"), "regimens[1].partitioned.os")
        .says(&["missing field `os`"]);
    r.expect_count(4);
}

/// A selection test predicts response to a regimen from an AUC and a cutoff: biomarker keys
/// next to it, an AUC of 1, a name shared with a biomarker, and a rule on a selection test
/// the strategy never runs are each refused where they stand.
#[test]
fn selection_tests_are_checked() {
    let selection = "\n[[tests]]\nname = \"EGFR\"\npredicts = \"osimertinib\"\ndetects = [\"EGFR\"]\nauc = 1.0\ncutoff = 0.5\ncost = 100\nturnaround = \"7 days\"\n\n[[tests]]\nname = \"score\"\npredicts = \"osimertinib\"\nauc = 0.7\ncutoff = 0\nsweep = { from = 1, to = 0, step = 0.5 }\ncost = 100\nturnaround = \"7 days\"\n\n[[strategies]]\nname = \"by_score\"\ntest = \"tissue_ngs\"\nrules = [{ positive = \"score\", treat = \"osimertinib\" }]\ndefault = \"platinum_pemetrexed\"\n";
    let text = format!("{BUNDLED}{selection}");
    let r = rejected(&text);
    let at = |context: &str, anchor: &str| loc(&text, context, anchor);
    r.diag(at("detects = [\"EGFR\"]\nauc", "[\"EGFR\"]"), "tests[1].detects")
        .says(&["expected no `detects` in a selection test"]);
    r.diag(at("auc = 1.0", "1.0"), "tests[1].auc").says(&["strictly between 0 and 1"]);
    r.diag(at("name = \"EGFR\"\npredicts", "\"EGFR\"\npredicts"), "tests[1].name")
        .says(&["different from every biomarker's"]);
    r.diag(at("sweep = { from = 1", "{ from = 1"), "tests[2].sweep").says(&["expected from ≤ to"]);
    r.diag(at("positive = \"score\"", "\"score\""), "strategies[2].rules[0].positive")
        .says(&["does not detect `score`"])
        .helps(&["make the selection test the strategy's `test`"]);
    r.expect_count(5);
}
