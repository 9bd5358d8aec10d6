//! Discount rates of 0 and at their bounds, horizons shorter than a cycle and at the limit, and
//! time-to-event shapes and scales at the edges (with the PSA distributions' shapes).

use super::cases::{
    Case, Expect, all_rates_zero, life_years_undiscounted, nobody_has_an_event,
    nobody_treated_before_the_horizon, one_cycle_within_the_horizon, run_cases,
    two_hundred_years_of_months,
};
use super::{DEFAULT, EDGE};

#[test]
fn discount_rates_of_zero_and_at_the_bounds() {
    run_cases(&[
        Case {
            name: "costs and outcomes undiscounted (default)",
            scenario: DEFAULT,
            sets: &["scenario.discount.costs=0", "scenario.discount.outcomes=0"],
            expect: Expect::Runs(Some(all_rates_zero)),
        },
        Case {
            name: "costs, outcomes and manufacturer undiscounted (edge)",
            scenario: EDGE,
            sets: &[
                "scenario.discount.costs=0",
                "scenario.discount.outcomes=0",
                "scenario.discount.manufacturer=0",
            ],
            expect: Expect::Runs(Some(all_rates_zero)),
        },
        Case {
            name: "outcomes undiscounted, costs discounted",
            scenario: EDGE,
            sets: &["scenario.discount.outcomes=0"],
            expect: Expect::Runs(Some(life_years_undiscounted)),
        },
        Case {
            name: "rates just below 1",
            scenario: DEFAULT,
            sets: &["scenario.discount.costs=0.999999", "scenario.discount.outcomes=0.999999"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a rate of 1 (outside [0, 1))",
            scenario: EDGE,
            sets: &["scenario.discount.outcomes=0", "scenario.discount.costs=1"],
            expect: Expect::Refused {
                set: 2,
                field: "scenario.discount.costs",
                says: "expected an annual rate in [0, 1), found 1",
            },
        },
    ]);
}

#[test]
fn horizons_shorter_than_a_cycle_and_at_the_limit() {
    run_cases(&[
        Case {
            name: "20 days: shorter than every drug cycle",
            scenario: EDGE,
            sets: &[
                "scenario.horizon=\"20 days\"",
                "contracts.money_back_3m.window=\"7 days\"",
                "contracts.pay_at_result_12w.assess_at=\"7 days\"",
                "contracts.rebate_12w.assess_at=\"7 days\"",
                "contracts.outcome_guarantee.window=\"7 days\"",
            ],
            expect: Expect::Runs(Some(one_cycle_within_the_horizon)),
        },
        Case {
            name: "1 day: shorter than the test's turnaround",
            scenario: EDGE,
            sets: &["scenario.horizon=\"1 day\"", "contracts=[]"],
            expect: Expect::Runs(Some(nobody_treated_before_the_horizon)),
        },
        Case {
            name: "1e-9 years (a few seconds)",
            scenario: EDGE,
            sets: &["scenario.horizon=\"1e-9 years\"", "contracts=[]"],
            expect: Expect::Runs(Some(nobody_treated_before_the_horizon)),
        },
        Case {
            name: "200 years (the limit)",
            scenario: DEFAULT,
            sets: &["scenario.horizon=\"200 years\""],
            expect: Expect::Runs(Some(two_hundred_years_of_months)),
        },
        Case {
            name: "200 years with a cured fraction (a last piecewise rate of 0)",
            scenario: EDGE,
            sets: &[
                "scenario.horizon=\"200 years\"",
                "regimens.b.after_progression.survival={ dist = \"piecewise\", breaks = [\"0 years\", \"1 year\"], rates = [\"0.5 per year\", \"0 per year\"] }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a horizon of 0",
            scenario: EDGE,
            sets: &["scenario.horizon=\"0 years\""],
            expect: Expect::Refused {
                set: 1,
                field: "scenario.horizon",
                says: "expected a duration greater than 0, found \"0 years\"",
            },
        },
    ]);
}

/// One table of cases, every family's shapes and scales at both ends: long, and read best whole.
#[test]
fn shapes_near_zero_and_large_with_scales_of_a_day_and_a_century() {
    run_cases(&[
        Case {
            name: "Weibull shape 0.05, scale 1 day",
            scenario: DEFAULT,
            sets: &[
                "regimens.osimertinib.progression.responder={ dist = \"weibull\", shape = 0.05, scale = \"1 day\" }",
                "regimens.platinum_pemetrexed.death_before_progression={ dist = \"weibull\", shape = 0.05, scale = \"1 day\" }",
                "regimens.platinum_pemetrexed_after_test.death_before_progression={ dist = \"weibull\", shape = 0.05, scale = \"1 day\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "Weibull shape 0.05, scale 100 years",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"weibull\", shape = 0.05, scale = \"100 years\" }",
                "regimens.b.after_progression.survival={ dist = \"weibull\", shape = 0.05, scale = \"100 years\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "Weibull shape 50, scale 1 day",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.non_responder={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
                "regimens.b.progression.responder={ dist = \"weibull\", shape = 50, scale = \"1 day\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "Weibull shape 50, scale 100 years, for every event",
            scenario: DEFAULT,
            sets: &[
                "regimens.osimertinib.progression.responder={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.osimertinib.progression.non_responder={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.osimertinib.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.platinum_pemetrexed.progression.responder={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.platinum_pemetrexed_after_test.progression.responder={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.platinum_pemetrexed.progression.non_responder={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.platinum_pemetrexed_after_test.progression.non_responder={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.platinum_pemetrexed.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                "regimens.platinum_pemetrexed_after_test.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"100 years\" }",
                // Nobody dies of general-population mortality either.
                "population.life_table=\"tests/fixtures/covariates/zero_mortality.csv\"",
            ],
            expect: Expect::Runs(Some(nobody_has_an_event)),
        },
        Case {
            name: "log-logistic shapes 0.05 and 50",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"loglogistic\", shape = 0.05, scale = \"1 day\" }",
                "regimens.b.after_progression.survival={ dist = \"loglogistic\", shape = 50, scale = \"100 years\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "log-normal sdlog 20 and 0.001",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"lognormal\", median = \"1 day\", sdlog = 20 }",
                "regimens.b.after_progression.survival={ dist = \"lognormal\", median = \"100 years\", sdlog = 0.001 }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "Gompertz shapes of ±50 per year",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"gompertz\", shape = \"50 per year\", rate = \"1e-6 per year\" }",
                "regimens.b.after_progression.survival={ dist = \"gompertz\", shape = \"-50 per year\", rate = \"0.001 per year\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "shapes of 1e-12 and 1e12, scales of 1e-12 and 1e12 years",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"loglogistic\", shape = 1e12, scale = \"1 day\" }",
                "regimens.a.death_before_progression={ dist = \"weibull\", shape = 1e-12, scale = \"1e-12 years\" }",
                "regimens.b.death_before_progression={ dist = \"weibull\", shape = 1e12, scale = \"1e12 years\" }",
                "regimens.b.progression.responder={ dist = \"gompertz\", shape = \"1e12 per year\", rate = \"1e-12 per year\" }",
                "regimens.b.after_progression.survival={ dist = \"lognormal\", median = \"1 day\", sdlog = 1e12 }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "PSA beta shapes 0.001 (draws of exactly 0 and 1)",
            scenario: EDGE,
            sets: &["parameters.m_prevalence={ dist = \"beta\", alpha = 0.001, beta = 0.001 }"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "PSA gamma shape 1e6 (the largest accepted)",
            scenario: EDGE,
            sets: &[
                "parameters.a_responder_median={ dist = \"gamma\", shape = 1e6, scale = \"2e-5 months\" }",
            ],
            expect: Expect::Runs(None),
        },
        // the docs\' "Parameter uncertainty": a gamma's shape is at least 0.1; below it most draws
        // lie below the smallest double and would round to a median of 0.
        Case {
            name: "PSA gamma shape 0.001 for a median",
            scenario: EDGE,
            sets: &[
                "parameters.a_responder_median={ dist = \"gamma\", shape = 0.001, scale = \"20 months\" }",
            ],
            expect: Expect::Refused {
                set: 1,
                field: "parameters.a_responder_median.shape",
                says: "expected a shape of at least 0.1, found 0.001",
            },
        },
        Case {
            name: "PSA gamma shape 0.1 (the smallest accepted) for a median",
            scenario: EDGE,
            sets: &[
                "parameters.a_responder_median={ dist = \"gamma\", shape = 0.1, scale = \"20 months\" }",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "Weibull shape 0",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"weibull\", shape = 0, scale = \"1 day\" }",
            ],
            expect: Expect::Refused {
                set: 1,
                field: "regimens[0].progression.responder.shape",
                says: "expected a number greater than 0, found 0",
            },
        },
        Case {
            name: "Weibull scale 0",
            scenario: EDGE,
            sets: &[
                "regimens.a.progression.responder={ dist = \"weibull\", shape = 1, scale = \"0 days\" }",
            ],
            expect: Expect::Refused {
                set: 1,
                field: "regimens[0].progression.responder.scale",
                says: "expected a duration greater than 0, found \"0 days\"",
            },
        },
    ]);
}
