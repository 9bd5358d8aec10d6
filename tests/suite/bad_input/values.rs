//! Values the docs do not accept: probabilities outside [0, 1], negative costs, bare numbers
//! for durations, unknown units, Weibull shapes ≤ 0, a comparator that is not a strategy, zero
//! patients, cycles shorter than a day, horizons beyond 200 years, duplicate thresholds, flags
//! that are not true or false.

use super::harness::{edit, loc, rejected};

// ---------------------------------------------------------------------------------------------
// Probabilities outside [0, 1].

#[test]
fn probability_outside_zero_one_is_rejected() {
    let text = edit("\nfailure = 0.13\n", "\nfailure = 1.3\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\nfailure = 1.3", "1.3"), "tests[0].failure")
        .says(&["expected a probability between 0 and 1, found 1.3"])
        .shows("failure = 1.3");
    r.expect_count(1);

    // Negative, inside an array of inline tables.
    let text = edit(
        "\"chemo_anaemia_g3\", probability = 0.15,",
        "\"chemo_anaemia_g3\", probability = -0.15,",
    );
    let r = rejected(&text);
    r.diag(loc(&text, "probability = -0.15", "-0.15"), "regimens[0].adverse_events[0].probability")
        .says(&["expected a probability between 0 and 1, found -0.15"]);
    r.expect_count(1);

    // A response probability by biomarker.
    let text = edit("response = { EGFR = 0.80,", "response = { EGFR = 1.8,");
    let r = rejected(&text);
    r.diag(loc(&text, "response = { EGFR = 1.8,", "1.8"), "regimens[1].response.EGFR")
        .says(&["expected a probability between 0 and 1, found 1.8"]);
    r.expect_count(1);

    // Through a parameter: reported where the parameter is used as a probability.
    let text = edit(
        "egfr_prevalence = { dist = \"beta\", mean = 0.15, se = 0.015 }",
        "egfr_prevalence = { value = 1.15 }",
    );
    let r = rejected(&text);
    r.diag(
        loc(&text, "prevalence = \"egfr_prevalence\"", "\"egfr_prevalence\""),
        "biomarkers[0].prevalence",
    )
    .says(&["expected a probability between 0 and 1", "egfr_prevalence", "1.15"]);
    r.expect_count(1);
}

// ---------------------------------------------------------------------------------------------
// Negative costs.

#[test]
fn negative_cost_is_rejected() {
    let text = edit("death = { cost = 10800 }", "death = { cost = -10800 }");
    let r = rejected(&text);
    r.diag(loc(&text, "death = { cost = -10800 }", "-10800"), "states.death.cost")
        .says(&["expected a number of 0 or more, found -10800"]);
    r.expect_count(1);

    // A cost per time.
    let text = edit(
        "progressed = { cost = \"2500 per month\"",
        "progressed = { cost = \"-2500 per month\"",
    );
    let r = rejected(&text);
    r.diag(loc(&text, "progressed = { cost = \"-2500", "\"-2500"), "states.progressed.cost")
        .says(&["expected a rate of 0 or more", "found \"-2500 per month\""]);
    r.expect_count(1);

    // A drug price.
    let text =
        edit("{ name = \"pemetrexed\", price = 500,", "{ name = \"pemetrexed\", price = -500,");
    let r = rejected(&text);
    r.diag(loc(&text, "price = -500,", "-500"), "regimens[0].drugs[0].price")
        .says(&["expected a number of 0 or more, found -500"]);
    r.expect_count(1);
}

// ---------------------------------------------------------------------------------------------
// Bare numbers where a duration or a rate is needed.

#[test]
fn bare_number_where_a_duration_is_needed_is_rejected() {
    let text = edit("\nturnaround = \"15 days\"\n", "\nturnaround = 15\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\nturnaround = 15", "15"), "tests[0].turnaround")
        .says(&["expected a duration", "found a bare number 15"])
        .helps(&["unit"])
        .shows("turnaround = 15");
    r.expect_count(1);

    let text = edit("\nhorizon = \"20 years\"\n", "\nhorizon = 20\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\nhorizon = 20", "20"), "scenario.horizon")
        .says(&["expected a duration", "found a bare number 20"]);
    r.expect_count(1);

    // A number in a string is still a bare number.
    let text = edit("\nhorizon = \"20 years\"\n", "\nhorizon = \"20\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\nhorizon = \"20\"", "\"20\""), "scenario.horizon")
        .says(&["expected a duration", "found a bare number \"20\""]);
    r.expect_count(1);

    // A bare number where a rate is needed.
    let text = edit(
        "death_before_progression = { dist = \"exponential\", rate = \"0.01 per month\" }",
        "death_before_progression = { dist = \"exponential\", rate = 0.01 }",
    );
    let r = rejected(&text);
    r.diag(loc(&text, "rate = 0.01 }", "0.01"), "regimens[0].death_before_progression.rate")
        .says(&["expected a rate", "found a bare number 0.01"]);
    r.expect_count(1);
}

// ---------------------------------------------------------------------------------------------
// Unknown units.

#[test]
fn unknown_unit_is_named_with_the_valid_units() {
    let text = edit("\nturnaround = \"15 days\"\n", "\nturnaround = \"15 dayz\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\nturnaround = \"15 dayz\"", "\"15 dayz\""), "tests[0].turnaround")
        .says(&["unknown unit `dayz`"])
        .helps(&["did you mean `day", "day(s), week(s), month(s), year(s)"]);
    r.expect_count(1);

    let text = edit("\nturnaround = \"15 days\"\n", "\nturnaround = \"2 fortnights\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\nturnaround = \"2 fortnights\"", "\"2"), "tests[0].turnaround")
        .says(&["unknown unit `fortnights`"])
        .helps(&["day(s), week(s), month(s), year(s)"]);
    r.expect_count(1);

    // In a rate.
    let text = edit("rate = \"0.01 per month\"", "rate = \"0.01 per mnth\"");
    let r = rejected(&text);
    r.diag(
        loc(&text, "rate = \"0.01 per mnth\"", "\"0.01"),
        "regimens[0].death_before_progression.rate",
    )
    .says(&["unknown unit `mnth`"])
    .helps(&["did you mean `month"]);
    r.expect_count(1);
}

// ---------------------------------------------------------------------------------------------
// Weibull shape ≤ 0.

#[test]
fn weibull_shape_not_positive_is_rejected() {
    for bad in ["0", "-1.5", "0.0"] {
        let text = edit(
            "{ dist = \"weibull\", shape = 1.5, median = \"9.5 months\" }",
            &format!("{{ dist = \"weibull\", shape = {bad}, median = \"9.5 months\" }}"),
        );
        let r = rejected(&text);
        r.diag(
            loc(&text, &format!("shape = {bad}, median = \"9.5"), bad),
            "regimens[0].progression.responder.shape",
        )
        .says(&[&format!("expected a number greater than 0, found {bad}")]);
        r.expect_count(1);
    }
}

// ---------------------------------------------------------------------------------------------
// A comparator that is not a strategy.

#[test]
fn comparator_that_is_not_a_strategy_is_rejected() {
    // A regimen's name, not a strategy's.
    let text =
        edit("\ncomparator = \"chemo_for_all\"\n", "\ncomparator = \"platinum_pemetrexed\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\ncomparator = \"platinum", "\"platinum"), "scenario.comparator")
        .says(&["undefined strategy `platinum_pemetrexed`"])
        .helps(&["chemo_for_all, test_and_treat"]);
    r.expect_count(1);

    // A near miss.
    let text = edit("\ncomparator = \"chemo_for_all\"\n", "\ncomparator = \"chemo_for_al\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\ncomparator = \"chemo_for_al\"", "\"chemo"), "scenario.comparator")
        .says(&["undefined strategy `chemo_for_al`"])
        .helps(&["did you mean `chemo_for_all`?", "chemo_for_all, test_and_treat"]);
    r.expect_count(1);

    // Not a string at all.
    let text = edit("\ncomparator = \"chemo_for_all\"\n", "\ncomparator = 1\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\ncomparator = 1", "1"), "scenario.comparator")
        .says(&["expected a string, found 1"]);
    r.expect_count(1);
}

/// `comparator_contract` is one of two words.
#[test]
fn comparator_contract_other_than_same_or_list_is_rejected() {
    let text = edit(
        "\ncomparator = \"chemo_for_all\"\n",
        "\ncomparator = \"chemo_for_all\"\ncomparator_contract = \"both\"\n",
    );
    let r = rejected(&text);
    r.diag(
        loc(&text, "\ncomparator_contract = \"both\"", "\"both"),
        "scenario.comparator_contract",
    )
    .says(&["expected \"same\" or \"list\", found \"both\""]);
    r.expect_count(1);
}

/// The list of defined strategies is introduced as "defined strategys".
#[test]

fn defined_strategies_are_spelt_correctly() {
    let text =
        edit("\ncomparator = \"chemo_for_all\"\n", "\ncomparator = \"platinum_pemetrexed\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\ncomparator = \"platinum", "\"platinum"), "scenario.comparator")
        .helps(&["defined strategies: chemo_for_all, test_and_treat"]);
}

// ---------------------------------------------------------------------------------------------
// patients = 0.

#[test]
fn zero_patients_is_rejected() {
    for bad in ["0", "-5", "1.5"] {
        let text = edit("\npatients = 200000\n", &format!("\npatients = {bad}\n"));
        let r = rejected(&text);
        r.diag(loc(&text, &format!("\npatients = {bad}\n"), bad), "scenario.patients")
            .says(&[&format!("expected a whole number of at least 1, found {bad}")]);
        r.expect_count(1);
    }
}

// ---------------------------------------------------------------------------------------------
// Cycles, the horizon and thresholds at their limits.

/// Cycles shorter than a day are refused (a unit slip; they would make cycle counts explode).
#[test]
fn a_cycle_shorter_than_a_day_is_refused() {
    let text = edit("price = 40, cycle = \"21 days\"", "price = 40, cycle = \"0.5 days\"");
    let r = rejected(&text);
    r.expect_count(1);
    assert!(
        r.stderr.contains("expected a cycle of at least 1 day, found 0.5 days"),
        "{}",
        r.stderr
    );
}

/// A horizon beyond a lifetime is refused with the limit named.
#[test]
fn a_horizon_beyond_two_hundred_years_is_refused() {
    let text = edit("\nhorizon = \"20 years\"\n", "\nhorizon = \"1000 years\"\n");
    let r = rejected(&text);
    r.diag(loc(&text, "\nhorizon = \"1000 years\"", "\"1000"), "scenario.horizon")
        .says(&["expected a horizon of at most 200 years, found \"1000 years\""]);
}

/// Each threshold names its own columns, so a duplicate is an error at its position.
#[test]
fn duplicate_thresholds_are_refused() {
    let text = edit("thresholds = [100000, 150000]", "thresholds = [100000, 150000, 1e5]");
    let r = rejected(&text);
    r.diag(loc(&text, "thresholds = [100000, 150000, 1e5]", "1e5"), "scenario.thresholds[2]")
        .says(&["duplicate threshold 100000"]);
}

#[test]
fn an_extreme_number_is_quoted_in_scientific_notation() {
    // Rust prints -1e-300 with 300 zeros; a message shows it as it was written.
    let text = edit("costs = 0.03", "costs = -1e-300");
    let r = rejected(&text);
    r.diag(loc(&text, "costs = -1e-300", "-1e-300"), "scenario.discount.costs")
        .says(&["expected an annual rate in [0, 1), found -1e-300"]);
    r.expect_count(1);
    let text = edit("costs = 0.03", "costs = 1e300");
    rejected(&text).says_somewhere(&["found 1e300"]);
}

// ---------------------------------------------------------------------------------------------
// Flags that are not true or false.

#[test]
fn a_flag_that_is_not_true_or_false_is_rejected_with_what_was_found() {
    let text =
        edit("prevalence = \"egfr_prevalence\"", "prevalence = \"egfr_prevalence\"\nacquired = 1");
    let r = rejected(&text);
    r.diag(loc(&text, "acquired = 1", "1"), "biomarkers[0].acquired")
        .says(&["expected true or false, found"]);
    r.expect_count(1);
}
