//! Edge values combined at random: a property test over each of two scenarios (a fixed ChaCha
//! stream, so CI sees the same cases every time), with the closed forms each combination implies.

use super::cases::{
    contract_row, life_years_undiscounted, manufacturer_sees_contract_spend, no_drug_spend,
    nobody_gets,
};
use super::harness::run;
use super::{DEFAULT, EDGE};
use proptest::sample::select;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// The keys of one scenario that the property tests set.
struct Target {
    file: &'static str,
    horizons: &'static [&'static str],
    /// Contract dates moved inside a horizon under 12 weeks (the docs refuses dates beyond it).
    short_horizon: &'static [&'static str],
    responder: &'static str,
    /// The comparator's death before progression (every regimen that writes it).
    death: &'static [&'static str],
    prevalence: &'static str,
    test: &'static str,
    targeted_regimen: &'static str,
    targeted_drug: &'static str,
    targeted_price: &'static str,
    /// A large price of the targeted drug per cycle.
    large_price: f64,
    /// The other drugs' price keys.
    other_prices: &'static [&'static str],
    /// Settings under which the contracts `never_trigger` can neither refund nor trigger:
    /// failures never recorded; caps, targets and tiers out of reach.
    never: &'static [&'static str],
    never_trigger: &'static [&'static str],
}

const DEFAULT_TARGET: Target = Target {
    file: DEFAULT,
    horizons: &["5 years", "20 years", "200 years"],
    short_horizon: &[],
    responder: "regimens.osimertinib.progression.responder",
    death: &[
        "regimens.platinum_pemetrexed.death_before_progression",
        "regimens.platinum_pemetrexed_after_test.death_before_progression",
    ],
    prevalence: "parameters.egfr_prevalence",
    test: "tests.tissue_ngs",
    targeted_regimen: "regimens.osimertinib",
    targeted_drug: "osimertinib",
    targeted_price: "parameters.osi_price",
    large_price: 1e9,
    other_prices: &[
        "regimens.platinum_pemetrexed.drugs.pemetrexed.price",
        "regimens.platinum_pemetrexed.drugs.carboplatin.price",
        "regimens.platinum_pemetrexed_after_test.drugs.pemetrexed.price",
        "regimens.platinum_pemetrexed_after_test.drugs.carboplatin.price",
    ],
    never: &[
        "contracts.money_back_6m.documentation_error=1",
        "contracts.risk_sharing_50.documentation_error=1",
    ],
    never_trigger: &["money_back_6m", "risk_sharing_50"],
};

const EDGE_TARGET: Target = Target {
    file: EDGE,
    horizons: &["1 day", "20 days", "10 years", "200 years"],
    short_horizon: &[
        "contracts.money_back_3m.window=\"0.5 days\"",
        "contracts.pay_at_result_12w.assess_at=\"0.5 days\"",
        "contracts.rebate_12w.assess_at=\"0.5 days\"",
        "contracts.outcome_guarantee.window=\"0.5 days\"",
    ],
    responder: "regimens.a.progression.responder",
    death: &["regimens.b.death_before_progression"],
    prevalence: "parameters.m_prevalence",
    test: "tests.panel",
    targeted_regimen: "regimens.a",
    targeted_drug: "drug_a",
    targeted_price: "parameters.a_price",
    // Below the never-reached cap of 1e12 a year even for a whole population of 150 on
    // 28-day cycles all year (simulated patients are scaled up to a population).
    large_price: 1e6,
    other_prices: &["regimens.b.drugs.drug_b.price", "regimens.b.drugs.drug_b2.price"],
    never: &[
        "contracts.money_back_3m.documentation_error=1",
        "contracts.pay_at_result_12w.documentation_error=1",
        "contracts.rebate_12w.documentation_error=1",
        "contracts.instalments_4.documentation_error=1",
        "contracts.spend_cap.cap=1e12",
        "contracts.volume_tiers.tiers=[{ above = 1e9, pay = 0.5 }]",
        "contracts.outcome_guarantee.target=0",
    ],
    never_trigger: &[
        "money_back_3m",
        "pay_at_result_12w",
        "rebate_12w",
        "instalments_4",
        "spend_cap",
        "volume_tiers",
        "outcome_guarantee",
    ],
};

/// The targeted drug's price: the scenario's own, 0, or the target's large price.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Price {
    Own,
    Free,
    Large,
}

/// One combination of edge values; `None` keeps the scenario's own value.
#[derive(Clone, Debug)]
struct Combo {
    horizon: usize,
    discount_costs: f64,
    discount_outcomes: f64,
    /// A Weibull (shape, scale) for the targeted regimen's responders and for the comparator
    /// regimen's death before progression.
    responder: (f64, &'static str),
    death: (f64, &'static str),
    prevalence: Option<f64>,
    sensitivity: Option<f64>,
    specificity: Option<f64>,
    failure: Option<f64>,
    response: Option<f64>,
    targeted_price: Price,
    other_prices_zero: bool,
    never_trigger: bool,
    patients: u64,
    samples: u32,
    seed: u64,
}

fn combos(horizons: usize) -> impl Strategy<Value = Combo> {
    let rates = || select(vec![0.0, 0.03, 0.999]);
    let curve =
        || (select(vec![0.05, 1.0, 1.5, 50.0]), select(vec!["1 day", "2 years", "100 years"]));
    let probability = || select(vec![None, Some(0.0), Some(1.0)]);
    (
        (0..horizons, rates(), rates(), curve(), curve()),
        (probability(), probability(), probability(), probability(), probability()),
        (
            select(vec![Price::Own, Price::Free, Price::Large]),
            proptest::bool::ANY,
            proptest::bool::ANY,
            select(vec![1u64, 2, 300]),
            select(vec![0u32, 1, 3]),
            0u64..1000,
        ),
    )
        .prop_map(
            |(
                (horizon, discount_costs, discount_outcomes, responder, death),
                (prevalence, sensitivity, specificity, failure, response),
                (targeted_price, other_prices_zero, never_trigger, patients, samples, seed),
            )| Combo {
                horizon,
                discount_costs,
                discount_outcomes,
                responder,
                death,
                prevalence,
                sensitivity,
                specificity,
                failure,
                response,
                targeted_price,
                other_prices_zero,
                never_trigger,
                patients,
                samples,
                seed,
            },
        )
}

impl Combo {
    fn sets(&self, t: &Target) -> Vec<String> {
        let horizon = t.horizons[self.horizon];
        let mut sets = vec![
            format!("scenario.horizon=\"{horizon}\""),
            format!("scenario.discount.costs={}", self.discount_costs),
            format!("scenario.discount.outcomes={}", self.discount_outcomes),
        ];
        if horizon.ends_with("day") || horizon.ends_with("days") {
            sets.extend(t.short_horizon.iter().map(|s| s.to_string()));
        }
        let curves = std::iter::once((t.responder, self.responder))
            .chain(t.death.iter().map(|&key| (key, self.death)));
        for (key, (shape, scale)) in curves {
            sets.push(format!(
                "{key}={{ dist = \"weibull\", shape = {shape}, scale = \"{scale}\" }}"
            ));
        }
        if let Some(p) = self.prevalence {
            sets.push(format!("{}={{ value = {p} }}", t.prevalence));
        }
        for (key, value) in [
            ("sensitivity", self.sensitivity),
            ("specificity", self.specificity),
            ("failure", self.failure),
        ] {
            if let Some(p) = value {
                sets.push(format!("{}.{key}={p}", t.test));
            }
        }
        if let Some(p) = self.response {
            sets.push(format!("{}.response={p}", t.targeted_regimen));
        }
        let price = match self.targeted_price {
            Price::Own => None,
            Price::Free => Some(0.0),
            Price::Large => Some(t.large_price),
        };
        if let Some(price) = price {
            sets.push(format!("{}={{ value = {price} }}", t.targeted_price));
        }
        if self.other_prices_zero {
            sets.extend(t.other_prices.iter().map(|k| format!("{k}=0")));
        }
        if self.never_trigger {
            sets.extend(t.never.iter().map(|s| s.to_string()));
        }
        sets
    }

    /// Whether no test reads the biomarker positive: a test that always fails (read negative),
    /// or nobody who carries it read positive and nobody who does not.
    fn nobody_positive(&self) -> bool {
        let prevalence_is = |p: f64| self.prevalence == Some(p);
        self.failure == Some(1.0)
            || ((prevalence_is(0.0) || self.sensitivity == Some(0.0))
                && (prevalence_is(1.0) || self.specificity == Some(1.0)))
    }

    /// The run, its clean-output checks, and the closed forms that this combination implies.
    fn check(&self, t: &Target) {
        let r = run(t.file, &self.sets(t), self.patients, self.samples, self.seed);
        let f = r.clean();
        if self.discount_outcomes == 0.0 {
            life_years_undiscounted(&f);
        }
        if self.discount_costs == 0.0 && f.maybe("contracts.csv").is_some() {
            manufacturer_sees_contract_spend(&f);
        }
        if self.nobody_positive() {
            nobody_gets(&f, t.targeted_drug);
        }
        if self.targeted_price == Price::Free && self.other_prices_zero {
            no_drug_spend(&f);
        }
        if self.never_trigger && !self.nobody_positive() {
            let k = f.csv("contracts.csv");
            for &contract in t.never_trigger {
                let row = contract_row(k, contract);
                assert_eq!(k.num(row, "refunds"), 0.0, "{contract} refunds\n{}", f.cmd);
                if k.num(row, "treated_share") > 0.0 {
                    assert_eq!(k.num(row, "triggered_share"), 0.0, "{contract}\n{}", f.cmd);
                }
            }
        }
    }
}

/// A deterministic runner: the same cases on every machine and run, nothing persisted.
fn runner(cases: u32) -> TestRunner {
    let config =
        Config { cases, failure_persistence: None, max_shrink_iters: 64, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

fn combined_edge_values(target: &Target, cases: u32) {
    let result = runner(cases).run(&combos(target.horizons.len()), |combo| {
        combo.check(target);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{}: {e}", target.file);
    }
}

#[test]
fn edge_values_combined_in_the_edge_scenario() {
    combined_edge_values(&EDGE_TARGET, 128);
}

#[test]
fn edge_values_combined_in_the_default_scenario() {
    combined_edge_values(&DEFAULT_TARGET, 96);
}
