//! The model's limits: sizes and magnitudes beyond which a scenario is refused when compiled
//! (most are unit slips) and which the engine relies on (bit masks, fixed-size records).

pub use crate::accounting::record::MAX_TEST_CHAIN;

/// Largest magnitude accepted for any number (in internal units): beyond it a value is a
/// unit slip, and sums over millions of patients could overflow to infinity.
pub const MAX_MAGNITUDE: f64 = 1e12;
/// Longest horizon accepted: beyond a lifetime is a unit slip.
pub const MAX_HORIZON_YEARS: f64 = 200.0;
/// Most patients per strategy accepted from a scenario or the command line.
pub const MAX_PATIENTS: u64 = 100_000_000_000;
/// Longest scenario name, in characters: it names the default output folder
/// (`output/<name>`, `output/<name>-shard-K-of-N`, `output/<name>-sensitivity`), which with the
/// hidden names vbpsim gives the files beside it must fit a file system's 255 bytes.
pub const MAX_SCENARIO_NAME: usize = 100;
/// Most PSA samples per run (scenario file and command line): each keeps a result row per arm.
pub const MAX_SAMPLES: u64 = 1_000_000;
/// Biomarker statuses are bits of a 64-bit mask.
pub const MAX_BIOMARKERS: usize = 64;
/// Adverse events of a regimen are bits of a 64-bit mask.
pub const MAX_ADVERSE_EVENTS: usize = 64;
/// Most lesions per patient (`heterogeneity.lesions` lists P(1) … P(n)).
pub const MAX_LESIONS: usize = 20;
/// Longest term of a cohort-level contract, in calendar years.
pub const MAX_COHORT_YEARS: u64 = 50;
/// Longest budget horizon, in years (ISPOR: the budget holder's horizon, typically 1–5 years).
pub const MAX_BUDGET_YEARS: u64 = 10;

/// At most this many subgroups, and this many levels of all of them together (a patient's
/// levels are packed one byte each into one word, for its deferred settlements).
pub const MAX_SUBGROUPS: usize = 8;
pub const MAX_SUBGROUP_LEVELS: usize = 255;

/// A contract design's candidates settled one by one on every patient (the terms other than
/// a linear share and the price): each costs about a contract arm's settlement.
pub const MAX_DESIGN_POINTS: usize = 10_000;
/// A contract design's candidates in all (each a row of design.csv per threshold).
pub const MAX_DESIGN_CANDIDATES: usize = 100_000;
