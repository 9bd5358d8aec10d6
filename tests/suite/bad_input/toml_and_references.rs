//! The bundled scenario is valid; malformed TOML is located; unknown keys get the nearest valid
//! key; undefined references list the defined names.

use super::harness::{BUNDLED, edit, loc, loc_after, rejected};
use crate::support::vbpsim;

// ---------------------------------------------------------------------------------------------
// The bundled scenario itself is valid: every test below is a single deliberate breakage.

#[test]
fn bundled_scenario_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, BUNDLED).unwrap();
    vbpsim().arg("check").arg(&file).assert().success();
}

// ---------------------------------------------------------------------------------------------
// Malformed TOML.

#[test]
fn malformed_toml_is_located() {
    // An unterminated string: the parser stops at the end of the line, where `"` is missing.
    let text = edit("\nhorizon = \"20 years\"\n", "\nhorizon = \"20 years\n");
    let r = rejected(&text);
    r.diag(loc_after(&text, "horizon = \"20 years"), "")
        .says(&["malformed TOML", "expected `\"`"])
        .shows("horizon = \"20 years");
    r.expect_count(1);

    // A key without `=`: reported where the `=` should be.
    let text = edit("\nseed = 2026\n", "\nseed 2026\n");
    let r = rejected(&text);
    r.diag(loc(&text, "seed 2026", "2026"), "")
        .says(&["malformed TOML", "expected `=`"])
        .shows("seed 2026");
    r.expect_count(1);

    // An unclosed table header.
    let text = edit("\n[states]\n", "\n[states\n");
    let r = rejected(&text);
    r.diag(loc_after(&text, "\n[states"), "").says(&["malformed TOML", "expected `]`"]);
    r.expect_count(1);

    // A duplicate key: reported at the second occurrence.
    let text = edit("\nseed = 2026\n", "\nseed = 2026\nseed = 7\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\nseed = 7", "seed = 7"), "").says(&["malformed TOML", "duplicate key"]);
    r.expect_count(1);
}

// ---------------------------------------------------------------------------------------------
// Unknown keys, with a did-you-mean.

#[test]
fn unknown_key_suggests_the_nearest_valid_key() {
    // In [scenario].
    let text = edit("\nsamples = 0\n", "\nsampels = 0\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\nsampels = 0", "sampels"), "scenario.sampels")
        .says(&["unknown key `sampels`"])
        .helps(&["did you mean `samples`?"])
        .shows("sampels = 0");
    r.expect_count(1);

    // In a [[regimens]] entry (the second regimen).
    let text = edit("\ndiscontinuation = {", "\ndiscontinuaton = {");
    let r = rejected(&text);
    r.diag(loc(&text, "\ndiscontinuaton = {", "discontinuaton"), "regimens[1].discontinuaton")
        .says(&["unknown key `discontinuaton`"])
        .helps(&["did you mean `discontinuation`?"]);
    r.expect_count(1);

    // Inside an inline table.
    let text = edit("death = { cost = 10800 }", "death = { cots = 10800 }");
    let r = rejected(&text);
    r.diag(loc(&text, "death = { cots = 10800 }", "cots"), "states.death.cots")
        .says(&["unknown key `cots`"])
        .helps(&["did you mean `cost`?"]);
    r.expect_count(1);

    // A misspelt required key: the unknown key and the missing one are both reported.
    let text = edit("\npatients = 200000\n", "\npateints = 200000\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\npateints = 200000", "pateints"), "scenario.pateints")
        .says(&["unknown key `pateints`"])
        .helps(&["did you mean `patients`?"]);
    r.diag(loc(&text, "\n[scenario]\n", "[scenario]"), "scenario.patients")
        .says(&["missing field `patients`"]);
    r.expect_count(2);

    // Nothing close: the valid keys are listed instead.
    let text = edit("\nseed = 2026\n", "\nseed = 2026\ncolour = \"red\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\ncolour = \"red\"", "colour"), "scenario.colour")
        .says(&["unknown key `colour`"])
        .helps(&["valid keys here:", "name", "horizon", "patients", "comparator"]);
    r.expect_count(1);

    // An unknown top-level table.
    let text = edit("\n[payer]\n", "\n[payers]\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\n[payers]", "payers"), "payers")
        .says(&["unknown key `payers`"])
        .helps(&["did you mean `payer`?"]);
    r.expect_count(1);
}

// ---------------------------------------------------------------------------------------------
// Undefined references: regimen, test, biomarker, parameter.

#[test]
fn undefined_regimen_reference_lists_the_regimens() {
    let text = edit("treat = \"osimertinib\"", "treat = \"osimertinb\"");
    let r = rejected(&text);
    r.diag(loc(&text, "treat = \"osimertinb\"", "\"osimertinb\""), "strategies[1].rules[0].treat")
        .says(&["undefined regimen `osimertinb`"])
        .helps(&[
            "did you mean `osimertinib`?",
            "defined regimens: platinum_pemetrexed, osimertinib",
        ]);
    r.expect_count(1);

    // No near miss: just the list.
    let text = edit(
        "name = \"chemo_for_all\"\ndefault = \"platinum_pemetrexed\"",
        "name = \"chemo_for_all\"\ndefault = \"docetaxel\"",
    );
    let r = rejected(&text);
    r.diag(loc(&text, "default = \"docetaxel\"", "\"docetaxel\""), "strategies[0].default")
        .says(&["undefined regimen `docetaxel`"])
        .helps(&["defined regimens: platinum_pemetrexed, osimertinib"]);
    r.expect_count(1);
}

#[test]
fn undefined_test_reference_lists_the_tests() {
    let text = edit("\ntest = \"tissue_ngs\"\n", "\ntest = \"plasma_ngs\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\ntest = \"plasma_ngs\"", "\"plasma_ngs\""), "strategies[1].test")
        .says(&["undefined test `plasma_ngs`"])
        .helps(&["defined tests: tissue_ngs"]);
    r.expect_count(1);

    // A reflex test that does not exist.
    let text = edit("\non_failure = \"negative\"\n", "\non_failure = \"plasma_ngs\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "on_failure = \"plasma_ngs\"", "\"plasma_ngs\""), "tests[0].on_failure")
        .says(&["undefined test `plasma_ngs`"])
        .helps(&["defined tests: tissue_ngs"]);
    r.expect_count(1);

    // A reflex on a negative reading that does not exist, and one that loops.
    let text = edit("\non_failure = \"negative\"\n", "\non_negative = \"plasma_ngs\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "on_negative = \"plasma_ngs\"", "\"plasma_ngs\""), "tests[0].on_negative")
        .says(&["undefined test `plasma_ngs`"])
        .helps(&["defined tests: tissue_ngs"]);
    r.expect_count(1);
    let text = edit("\non_failure = \"negative\"\n", "\non_negative = \"tissue_ngs\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "on_negative = \"tissue_ngs\"", "\"tissue_ngs\""), "tests[0].on_negative")
        .says(&["without loops, found tissue_ngs → tissue_ngs"]);
    r.expect_count(1);
}

#[test]
fn undefined_biomarker_reference_lists_the_biomarkers() {
    // In a strategy rule.
    let text = edit(
        "rules = [{ positive = \"EGFR\", treat = \"osimertinib\" }]",
        "rules = [{ positive = \"ALK\", treat = \"osimertinib\" }]",
    );
    let r = rejected(&text);
    r.diag(loc(&text, "positive = \"ALK\"", "\"ALK\""), "strategies[1].rules[0].positive")
        .says(&["undefined biomarker `ALK`"])
        .helps(&["defined biomarkers: EGFR"]);
    r.expect_count(1);

    // In a test's `detects`.
    let text = edit("detects = [\"EGFR\"]", "detects = [\"ALK\"]");
    let r = rejected(&text);
    r.diag(loc(&text, "detects = [\"ALK\"]", "\"ALK\""), "tests[0].detects[0]")
        .says(&["undefined biomarker `ALK`"])
        .helps(&["defined biomarkers: EGFR"]);

    // As a key of a regimen's response table (a near miss).
    let text = edit(
        "response = { EGFR = 0.80, otherwise = 0.01 }",
        "response = { EGRF = 0.80, otherwise = 0.01 }",
    );
    let r = rejected(&text);
    r.diag(loc(&text, "response = { EGRF = 0.80", "EGRF"), "regimens[1].response.EGRF")
        .says(&["undefined biomarker `EGRF`"])
        .helps(&["did you mean `EGFR`?"]);
    r.expect_count(1);

    // The same key, nothing close: the biomarkers are listed.
    let text = edit(
        "response = { EGFR = 0.80, otherwise = 0.01 }",
        "response = { ALK = 0.80, otherwise = 0.01 }",
    );
    let r = rejected(&text);
    r.diag(loc(&text, "response = { ALK = 0.80", "ALK"), "regimens[1].response.ALK")
        .says(&["undefined biomarker `ALK`"])
        .helps(&["EGFR", "otherwise"]);
    r.expect_count(1);
}

#[test]
fn undefined_parameter_reference_lists_the_parameters() {
    let text = edit("\ncost = \"ngs_cost\"\n", "\ncost = \"screening_fee\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\ncost = \"screening_fee\"", "\"screening_fee\""), "tests[0].cost")
        .says(&["undefined parameter `screening_fee`"])
        .helps(&["defined parameters: osi_price, egfr_prevalence, ngs_cost, osi_responder_median"]);
    r.expect_count(1);

    // A near miss is named.
    let text = edit("\ncost = \"ngs_cost\"\n", "\ncost = \"ngs_cots\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\ncost = \"ngs_cots\"", "\"ngs_cots\""), "tests[0].cost")
        .says(&["undefined parameter `ngs_cots`"])
        .helps(&["did you mean `ngs_cost`?"]);
    r.expect_count(1);
}

/// The issue asks for undefined references to list the defined names; regimen, test, biomarker
/// and strategy references do so even when they also suggest a near miss, but parameter
/// references and response-table keys drop the list as soon as there is a suggestion.
#[test]

fn undefined_reference_with_a_near_miss_still_lists_the_defined_names() {
    let text = edit("\ncost = \"ngs_cost\"\n", "\ncost = \"ngs_cots\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\ncost = \"ngs_cots\"", "\"ngs_cots\""), "tests[0].cost").helps(&[
        "did you mean `ngs_cost`?",
        "osi_price, egfr_prevalence, ngs_cost, osi_responder_median",
    ]);

    let text = edit(
        "response = { EGFR = 0.80, otherwise = 0.01 }",
        "response = { EGRF = 0.80, otherwise = 0.01 }",
    );
    let r = rejected(&text);
    r.diag(loc(&text, "response = { EGRF = 0.80", "EGRF"), "regimens[1].response.EGRF")
        .helps(&["did you mean `EGFR`?", "EGFR", "otherwise"])
        .helps(&["biomarker"]);
}
