//! Probabilities of exactly 0 and 1, zero prices, every patient dying at once and no
//! biomarker-positive patients.

use super::cases::{
    Case, Expect, default_strategies_are_equal, everybody_dies_within_days, no_adverse_events_on_b,
    no_drug_spend, no_qalys, nobody_gets_drug_a, nobody_gets_osimertinib, nothing_costs_anything,
    run_cases, untested_strategy_is_the_comparator,
};
use super::{DEFAULT, EDGE};

#[test]
fn probabilities_of_exactly_zero_and_one() {
    run_cases(&[
        Case {
            name: "prevalence 1",
            scenario: DEFAULT,
            sets: &["parameters.egfr_prevalence={ value = 1 }"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "perfect test (sensitivity and specificity 1), certain failure 0",
            scenario: EDGE,
            sets: &[
                "tests.panel.sensitivity=1",
                "tests.panel.specificity=1",
                "tests.panel.failure=0",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "sensitivity 0, specificity 1: nobody reads positive",
            scenario: EDGE,
            sets: &["tests.panel.sensitivity=0", "tests.panel.specificity=1"],
            expect: Expect::Runs(Some(nobody_gets_drug_a)),
        },
        Case {
            name: "specificity 0: everybody without M reads positive",
            scenario: EDGE,
            sets: &["tests.panel.specificity=0"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "the test always fails",
            scenario: EDGE,
            sets: &["tests.panel.failure=1"],
            expect: Expect::Runs(Some(nobody_gets_drug_a)),
        },
        Case {
            name: "response 1 on every regimen",
            scenario: EDGE,
            sets: &["regimens.a.response=1", "regimens.b.response=1"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "response 0 on every regimen",
            scenario: DEFAULT,
            sets: &[
                "regimens.osimertinib.response=0",
                "regimens.osimertinib_after_chemo.response=0",
                "regimens.platinum_pemetrexed.response=0",
                "regimens.platinum_pemetrexed_after_test.response=0",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "an adverse event certain, another impossible",
            scenario: EDGE,
            sets: &[
                "regimens.a.adverse_events.ae_a.probability=1",
                "regimens.b.adverse_events.ae_b.probability=0",
            ],
            expect: Expect::Runs(Some(no_adverse_events_on_b)),
        },
        Case {
            name: "utilities 0, no QALY loss",
            scenario: EDGE,
            sets: &[
                "states.progression_free.utility=0",
                "states.progressed.utility=0",
                "regimens.a.adverse_events.ae_a.qaly_loss=0",
                "regimens.b.adverse_events.ae_b.qaly_loss=0",
            ],
            expect: Expect::Runs(Some(no_qalys)),
        },
        Case {
            name: "utilities 1",
            scenario: DEFAULT,
            sets: &["states.progression_free.utility=1", "states.progressed.utility=1"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "test uptake 0",
            scenario: EDGE,
            sets: &["strategies.test_and_treat.uptake=0"],
            expect: Expect::Runs(Some(untested_strategy_is_the_comparator)),
        },
        Case {
            name: "test uptake 1",
            scenario: EDGE,
            sets: &["strategies.test_and_treat.uptake=1"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a commercial payer with turnover 0",
            scenario: EDGE,
            sets: &["payer.perspective=\"commercial\"", "payer.turnover=0", "payer.portable=true"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a commercial payer with turnover 1 (everybody leaves at once)",
            scenario: EDGE,
            sets: &["payer.perspective=\"commercial\"", "payer.turnover=1"],
            expect: Expect::Refused {
                set: 2,
                field: "payer.turnover",
                says: "expected an annual probability in [0, 1), found 1",
            },
        },
    ]);
}

#[test]
fn zero_prices() {
    run_cases(&[
        Case {
            name: "every drug free (default)",
            scenario: DEFAULT,
            sets: &[
                "parameters.osi_price={ value = 0 }",
                "regimens.platinum_pemetrexed.drugs.pemetrexed.price=0",
                "regimens.platinum_pemetrexed_after_test.drugs.pemetrexed.price=0",
                "regimens.platinum_pemetrexed.drugs.carboplatin.price=0",
                "regimens.platinum_pemetrexed_after_test.drugs.carboplatin.price=0",
            ],
            expect: Expect::Runs(Some(no_drug_spend)),
        },
        Case {
            name: "every drug free (edge: cohort contracts, partners)",
            scenario: EDGE,
            sets: &[
                "parameters.a_price={ value = 0 }",
                "regimens.b.drugs.drug_b.price=0",
                "regimens.b.drugs.drug_b2.price=0",
            ],
            expect: Expect::Runs(Some(no_drug_spend)),
        },
        Case {
            name: "only the targeted drug free",
            scenario: DEFAULT,
            sets: &["parameters.osi_price={ value = 0 }"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "nothing costs anything",
            scenario: EDGE,
            sets: &[
                "parameters.a_price={ value = 0 }",
                "parameters.panel_cost={ value = 0 }",
                "regimens.a.drugs.drug_a.administration=0",
                "regimens.a.administration=0",
                "regimens.a.after_progression.cost=\"0 per month\"",
                "regimens.a.adverse_events.ae_a.cost=0",
                "regimens.b.drugs.drug_b.price=0",
                "regimens.b.drugs.drug_b2.price=0",
                "regimens.b.drugs.drug_b2.administration=0",
                "regimens.b.administration=0",
                "regimens.b.after_progression.cost=\"0 per month\"",
                "regimens.b.adverse_events.ae_b.cost=0",
                "states.progression_free.cost=\"0 per month\"",
                "states.progressed.cost=\"0 per month\"",
                "states.death.cost=0",
                "contracts=[]",
            ],
            expect: Expect::Runs(Some(nothing_costs_anything)),
        },
    ]);
}

#[test]
fn all_patients_dying_at_once() {
    run_cases(&[
        Case {
            name: "every death within days (Weibull shape 50, scale 1 day)",
            scenario: DEFAULT,
            sets: &[
                "regimens.osimertinib.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
                "regimens.osimertinib.after_progression.survival={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
                "regimens.platinum_pemetrexed.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
                "regimens.platinum_pemetrexed_after_test.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
                "regimens.platinum_pemetrexed.after_progression.survival={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
                "regimens.platinum_pemetrexed_after_test.after_progression.survival={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
            ],
            expect: Expect::Runs(Some(everybody_dies_within_days)),
        },
        Case {
            name: "a death hazard of 1e12 per year",
            scenario: EDGE,
            sets: &[
                "regimens.a.death_before_progression={ dist = \"exponential\", rate = \"1e12 per year\" }",
                "regimens.b.death_before_progression={ dist = \"exponential\", rate = \"1e12 per year\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a death hazard of 0",
            scenario: EDGE,
            sets: &[
                "regimens.a.death_before_progression={ dist = \"exponential\", rate = \"0 per year\" }",
            ],
            expect: Expect::Refused {
                set: 1,
                field: "regimens[0].death_before_progression.rate",
                says: "expected a rate greater than 0, found \"0 per year\"",
            },
        },
    ]);
}

#[test]
fn no_biomarker_positive_patients() {
    run_cases(&[
        Case {
            name: "prevalence 0 (false positives remain)",
            scenario: DEFAULT,
            sets: &["parameters.egfr_prevalence={ value = 0 }"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "prevalence 0, specificity 1 (default)",
            scenario: DEFAULT,
            sets: &["parameters.egfr_prevalence={ value = 0 }", "tests.tissue_ngs.specificity=1"],
            expect: Expect::Runs(Some(nobody_gets_osimertinib)),
        },
        Case {
            name: "prevalence 0, specificity 1 (edge: cohort contracts)",
            scenario: EDGE,
            sets: &["parameters.m_prevalence={ value = 0 }", "tests.panel.specificity=1"],
            expect: Expect::Runs(Some(nobody_gets_drug_a)),
        },
        Case {
            name: "the strategies identical (nobody positive, a free and instant test, one chemotherapy)",
            scenario: DEFAULT,
            // test_and_treat's test-negative patients get the comparator's chemotherapy (with
            // its re-test at progression, free and instant here): the bundled copy without the
            // re-test has its own adverse-event draws (they are named by regimen).
            sets: &[
                "parameters.egfr_prevalence={ value = 0 }",
                "tests.tissue_ngs.specificity=1",
                "parameters.ngs_cost={ value = 0 }",
                "tests.tissue_ngs.turnaround=\"0 days\"",
                "strategies.test_and_treat.default=\"platinum_pemetrexed\"",
            ],
            expect: Expect::Runs(Some(default_strategies_are_equal)),
        },
    ]);
}
