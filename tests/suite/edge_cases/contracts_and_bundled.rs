//! Contracts that never and always trigger, a single patient and a single PSA sample, and the
//! other bundled scenarios' own mechanisms at their edges.

use super::cases::{
    Case, Expect, all_rates_zero, contracts_always_trigger, default_contracts_never_trigger,
    edge_contracts_never_trigger, run_cases,
};
use super::harness::run;
use super::{ALK, CAR_T, CTDNA, DEFAULT, EDGE, KRAS, MELANOMA, SEED};

#[test]
fn contracts_that_never_and_always_trigger() {
    run_cases(&[
        Case {
            name: "failures never recorded (default)",
            scenario: DEFAULT,
            sets: &[
                "contracts.money_back_6m.documentation_error=1",
                "contracts.risk_sharing_50.documentation_error=1",
            ],
            expect: Expect::Runs(Some(default_contracts_never_trigger)),
        },
        Case {
            name: "failures never recorded, caps, targets and tiers never reached (edge)",
            scenario: EDGE,
            sets: &[
                "contracts.money_back_3m.documentation_error=1",
                "contracts.pay_at_result_12w.documentation_error=1",
                "contracts.rebate_12w.documentation_error=1",
                "contracts.instalments_4.documentation_error=1",
                "contracts.spend_cap.cap=1e12",
                "contracts.volume_tiers.tiers=[{ above = 1e9, pay = 0.5 }]",
                "contracts.outcome_guarantee.target=0",
            ],
            expect: Expect::Runs(Some(edge_contracts_never_trigger)),
        },
        Case {
            name: "every settled patient fails, a 100 % discount, a cap of 1, a target of 1",
            scenario: EDGE,
            sets: &[
                "regimens.a.response=0",
                "regimens.a.death_before_progression={ dist = \"weibull\", shape = 50, scale = \"2 months\" }",
                "contracts.discount_30.discount=1",
                "contracts.spend_cap.cap=1",
                "contracts.outcome_guarantee.target=1",
            ],
            expect: Expect::Runs(Some(contracts_always_trigger)),
        },
        Case {
            name: "refunds and rebates of 0, a tier at list from the first patient",
            scenario: EDGE,
            sets: &[
                "contracts.discount_30.discount=0",
                "contracts.money_back_3m.refund=0",
                "contracts.rebate_12w.refund=0",
                "contracts.outcome_guarantee.rebate=0",
                "contracts.volume_tiers.tiers=[{ above = 0, pay = 1 }]",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "a capped money-back guarantee on a free drug (price found by re-simulation)",
            scenario: DEFAULT,
            sets: &["parameters.osi_price={ value = 0 }", "contracts.money_back_6m.cap=1000"],
            expect: Expect::Runs(None),
        },
    ]);
}

/// A single patient per strategy has no standard errors (empty MCSE columns, checked with
/// every run's summary), and one or two PSA samples are enough for every PSA table: in every
/// bundled scenario and the edge scenario.
#[test]
fn a_single_patient_and_a_single_sample() {
    for (patients, samples) in [(1, 0), (1, 1), (2, 1), (1, 2)] {
        for scenario in [DEFAULT, EDGE, CTDNA, ALK, KRAS, MELANOMA, CAR_T] {
            run(scenario, &[], patients, samples, SEED).clean();
        }
    }
}

/// Every bundled scenario (heterogeneity, partitioned survival, second lines, immunotherapy,
/// cohort-level contracts) undiscounted, and with its mechanisms' probabilities at 0 and 1.
#[test]
fn other_bundled_scenarios_at_the_edges() {
    let mut cases: Vec<Case> = [CTDNA, ALK, KRAS, MELANOMA, CAR_T]
        .into_iter()
        .map(|scenario| Case {
            name: "costs and outcomes undiscounted",
            scenario,
            sets: &["scenario.discount.costs=0", "scenario.discount.outcomes=0"],
            expect: Expect::Runs(Some(all_rates_zero)),
        })
        .collect();
    cases.extend([
        Case {
            name: "no discordance, no shedding, monitoring that never detects, no uptake",
            scenario: CTDNA,
            sets: &[
                "biomarkers.EGFR.discordance=0",
                "tests.plasma_ngs.shedding=0",
                "regimens.osimertinib_monitored.monitoring.sensitivity=0",
                "strategies.tissue_real_world.uptake=0",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "every metastasis discordant, certain shedding and detection, three lesions",
            scenario: CTDNA,
            sets: &[
                "biomarkers.EGFR.discordance=1",
                "tests.plasma_ngs.shedding=1",
                "regimens.osimertinib_monitored.monitoring.sensitivity=1",
                "heterogeneity.lesions=[0, 0, 1]",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "partitioned survival with a horizon shorter than a cycle",
            scenario: ALK,
            sets: &["scenario.horizon=\"10 days\"", "contracts=[]"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "nobody fit for a second line",
            scenario: KRAS,
            sets: &[
                "regimens.pcp_then_docetaxel.second_line.share=0",
                "regimens.pcp_then_sotorasib.second_line.share=0",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "everybody fit for a second line",
            scenario: KRAS,
            sets: &[
                "regimens.pcp_then_docetaxel.second_line.share=1",
                "regimens.pcp_then_sotorasib.second_line.share=1",
            ],
            expect: Expect::Runs(None),
        },
        Case {
            name: "pseudo-progression never",
            scenario: MELANOMA,
            sets: &["parameters.io_pseudo_progression={ value = 0 }"],
            expect: Expect::Runs(None),
        },
        Case {
            name: "pseudo-progression in every responder",
            scenario: MELANOMA,
            sets: &["parameters.io_pseudo_progression={ value = 1 }"],
            expect: Expect::Runs(None),
        },
    ]);
    run_cases(&cases);
}
