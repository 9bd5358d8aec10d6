//! Numeric edge cases (docs, "Robustness"): scenario files are written by hand and edited
//! under deadline, so every value at the edge of what the docs accepts must either run and
//! write only finite numbers, or be refused as invalid input (exit code 2) at the value.
//!
//! Covered, each through `vbpsim run` without PSA and with a few PSA samples: discount rates of
//! 0 (and just below 1, and 1, which is refused); a horizon shorter than a drug cycle, shorter
//! than a test's turnaround, of a few seconds and of 200 years; Weibull shapes of 0.05 and 50
//! with scales of a day and of a century (the other families' shapes too, and shapes and
//! scales of 1e-12 and 1e12); PSA beta and gamma shapes near 0 and at their largest;
//! probabilities of exactly 0 and 1 (prevalence, sensitivity, specificity, test failure,
//! response, adverse events, uptake, utilities, payer turnover, and the other bundled
//! scenarios' discordance, shedding, monitoring, second-line and pseudo-progression
//! probabilities); zero prices; every patient dying within days; no biomarker-positive
//! patients; identical strategies; contracts that never trigger and contracts that always do;
//! one patient, one or two PSA samples. A property test then combines such values at random (a
//! fixed ChaCha stream, so CI sees the same cases every time).
//!
//! Every run must exit 0 without a panic and leave only its output folder; every CSV must have
//! one header and rows of its width, and no NaN or infinity in any cell; run.json, report.html,
//! the SVG plots and the console output must not print one either. summary.csv's
//! `icer_status` must be the docs' quadrant of `inc_cost` and `inc_qaly`, with `icer` given
//! (finite, = inc_cost / inc_qaly) exactly for `ratio` and `ratio_sw`. Where a closed form is
//! cheap and exact it is checked too (zero drug prices give zero drug spend, discount rate 0
//! gives discounted = undiscounted life-years, …). The scenarios are the bundled default,
//! `tests/scenarios/edge_base.toml` (every contract kind, no budget impact, so that its horizon
//! can be shorter than a drug cycle) and, for their own mechanisms, the other bundled ones.
//!
//! This file holds the scenarios and run sizes every part uses. `harness` runs vbpsim and
//! checks its outputs, `cases` holds the table of named cases and their closed forms, the next
//! three files the tables by topic, and `combined` the property test.

mod cases;
mod combined;
mod contracts_and_bundled;
mod harness;
mod probabilities_and_prices;
mod rates_horizons_and_curves;

/// The bundled default: two strategies, five contracts on osimertinib, a five-year budget impact.
const DEFAULT: &str = "scenarios/nsclc_egfr.toml";
/// Every contract kind on `drug_a`, no budget impact (tests/scenarios/edge_base.toml).
const EDGE: &str = "tests/scenarios/edge_base.toml";
/// The other bundled scenarios, for the mechanisms the two above do not have.
const CTDNA: &str = "scenarios/nsclc_egfr_ctdna.toml";
const ALK: &str = "scenarios/nsclc_alk.toml";
const KRAS: &str = "scenarios/nsclc_kras_g12c.toml";
const MELANOMA: &str = "scenarios/melanoma_braf.toml";
const CAR_T: &str = "scenarios/car_t_lymphoma.toml";
/// Patients per strategy of the table's runs; PSA samples of their PSA runs; their seed.
const PATIENTS: u64 = 300;
const PSA_SAMPLES: u32 = 3;
const SEED: u64 = 1;

/// Two sides of an identity that add the same amounts in another order, or in pieces (a
/// life-year as progression-free plus progressed time), agree to floating-point rounding: for
/// sums of n ≤ 300 non-negative terms, within (n + 1)·2.2e-16 ≈ 7e-14 of the larger side. The
/// bound used, 1e-12, is that with room for chunked summation, and far below any model effect.
const ROUNDING: f64 = 1e-12;
