//! The model as the docs state it, with the scenario's values copied by hand: units, the two
//! regimens, the cost categories of costs.csv, and the per-patient moments that the expectations
//! add up.

use super::numerics::Dist;

// ---------------------------------------------------------------------------------------------
// Units (docs, "Time and units"): internal time in years.
pub(super) const MONTH: f64 = 1.0 / 12.0;
const DAY: f64 = 1.0 / 365.25;

// ---------------------------------------------------------------------------------------------
// Scenario values, copied by hand from tests/scenarios/analytic_two_arm.toml.
pub(super) const SCENARIO: &str = "tests/scenarios/analytic_two_arm.toml";
pub(super) const HORIZON: f64 = 15.0;
pub(super) const DISCOUNT_COSTS: f64 = 0.035;
pub(super) const DISCOUNT_OUTCOMES: f64 = 0.015;
pub(super) const PATIENTS: f64 = 200_000.0;
pub(super) const THRESHOLDS: [f64; 2] = [50_000.0, 100_000.0];
pub(super) const COMPARATOR: &str = "treat_all_b";
pub(super) const TEST_AND_TREAT: &str = "test_and_treat";

pub(super) const PREVALENCE_M: f64 = 0.3;
pub(super) const TEST_SENSITIVITY: f64 = 0.9;
pub(super) const TEST_SPECIFICITY: f64 = 0.95;
pub(super) const TEST_FAILURE: f64 = 0.1; // on_failure = "negative"
pub(super) const TEST_COST: f64 = 2000.0;
pub(super) const TEST_TURNAROUND: f64 = 14.0 * DAY;

pub(super) const PF_COST: f64 = 800.0 / MONTH; // per year
pub(super) const PF_UTILITY: f64 = 0.75;
pub(super) const PD_COST: f64 = 2000.0 / MONTH; // per year
pub(super) const PD_UTILITY: f64 = 0.5;
pub(super) const DEATH_COST: f64 = 10_000.0;

/// Regimen "a": test-positive patients in `test_and_treat`.
pub(super) fn regimen_a() -> Regimen {
    Regimen {
        name: "a",
        drug: Drug {
            category: DRUG_A,
            price: 10_000.0,
            cycle: 21.0 * DAY,
            max_cycles: Some(12),
            administration: 300.0, // drug-level, same schedule
        },
        response_if_m: 0.7,
        response_otherwise: 0.15,
        progression_responder: Dist::Weibull { shape: 1.4, scale: 20.0 * MONTH },
        progression_non_responder: Dist::Exponential {
            rate: std::f64::consts::LN_2 / (4.0 * MONTH),
        },
        death_before_progression: Dist::Exponential { rate: 0.01 / MONTH },
        post_progression: Dist::Weibull { shape: 1.2, scale: 10.0 * MONTH },
        post_progression_cost: 3000.0 / MONTH,
        discontinuation: Some(Dist::Exponential { rate: 0.04 / MONTH }),
        adverse_events: vec![AdverseEvent { probability: 0.2, cost: 5000.0, qaly_loss: 0.02 }],
    }
}

/// Regimen "b": everybody in `treat_all_b`, test-negatives (and failed tests) in `test_and_treat`.
pub(super) fn regimen_b() -> Regimen {
    Regimen {
        name: "b",
        drug: Drug {
            category: DRUG_B,
            price: 4000.0,
            cycle: 28.0 * DAY,
            max_cycles: None, // paid until progression (or death), within the horizon
            administration: 150.0, // regimen-level: per cycle of the first (only) drug
        },
        response_if_m: 0.25, // `response = 0.25` for everybody
        response_otherwise: 0.25,
        progression_responder: Dist::LogLogistic { shape: 2.5, scale: 9.0 * MONTH },
        progression_non_responder: Dist::LogNormal { meanlog: (3.0 * MONTH).ln(), sdlog: 0.8 },
        // Mean 60 months.
        death_before_progression: Dist::Exponential { rate: 1.0 / (60.0 * MONTH) },
        post_progression: Dist::Gompertz { shape: -0.3, rate: 0.6 }, // per year; cure fraction e^-2
        post_progression_cost: 1500.0 / MONTH,
        discontinuation: None,
        adverse_events: vec![AdverseEvent { probability: 0.1, cost: 1200.0, qaly_loss: 0.005 }],
    }
}

// ---------------------------------------------------------------------------------------------
// Cost categories of costs.csv (docs, "Outputs").
pub(super) const TESTING: usize = 0;
pub(super) const DRUG_A: usize = 1;
const DRUG_B: usize = 2;
pub(super) const ADMINISTRATION: usize = 3;
pub(super) const ADVERSE_EVENTS: usize = 4;
pub(super) const STATE_PF: usize = 5;
pub(super) const STATE_PD: usize = 6;
pub(super) const POST_PROGRESSION: usize = 7;
pub(super) const TERMINAL_CARE: usize = 8;
pub(super) const N_CATEGORIES: usize = 9;
pub(super) const CATEGORY_NAMES: [&str; N_CATEGORIES] = [
    "testing",
    "drug:drug_a",
    "drug:drug_b",
    "administration",
    "adverse_events",
    "state:progression_free",
    "state:progressed",
    "post_progression",
    "terminal_care",
];

// ---------------------------------------------------------------------------------------------
// Model objects.

#[derive(Clone, Copy)]
pub(super) struct AdverseEvent {
    pub(super) probability: f64,
    pub(super) cost: f64,
    pub(super) qaly_loss: f64,
}

#[derive(Clone, Copy)]
pub(super) struct Drug {
    pub(super) category: usize,
    pub(super) price: f64,
    pub(super) cycle: f64,
    pub(super) max_cycles: Option<usize>,
    /// Administration cost per cycle, paid on the drug's schedule.
    pub(super) administration: f64,
}

pub(super) struct Regimen {
    pub(super) name: &'static str,
    pub(super) drug: Drug,
    pub(super) response_if_m: f64,
    pub(super) response_otherwise: f64,
    pub(super) progression_responder: Dist,
    pub(super) progression_non_responder: Dist,
    pub(super) death_before_progression: Dist,
    pub(super) post_progression: Dist,
    pub(super) post_progression_cost: f64,
    pub(super) discontinuation: Option<Dist>,
    pub(super) adverse_events: Vec<AdverseEvent>,
}

/// Per-patient expectations in one branch or one strategy: first and second moments of every
/// cost category (second moments only serve to derive per-category standard errors), and the
/// means of QALYs, LYs and undiscounted LYs.
#[derive(Clone, Copy, Default, Debug)]
pub(super) struct Moments {
    pub(super) cost: [f64; N_CATEGORIES],
    pub(super) cost_sq: [f64; N_CATEGORIES],
    pub(super) qaly: f64,
    pub(super) ly: f64,
    pub(super) ly_undiscounted: f64,
}

impl Moments {
    pub(super) fn add_weighted(&mut self, w: f64, other: &Moments) {
        for k in 0..N_CATEGORIES {
            self.cost[k] += w * other.cost[k];
            self.cost_sq[k] += w * other.cost_sq[k];
        }
        self.qaly += w * other.qaly;
        self.ly += w * other.ly;
        self.ly_undiscounted += w * other.ly_undiscounted;
    }
    pub(super) fn total_cost(&self) -> f64 {
        self.cost.iter().sum()
    }
    /// Standard deviation of one category's per-patient cost across patients of the strategy.
    pub(super) fn category_sd(&self, k: usize) -> f64 {
        (self.cost_sq[k] - self.cost[k] * self.cost[k]).max(0.0).sqrt()
    }
}
