//! From a patient's record to money and health: discounting and the per-patient ledger.
pub mod discount;
pub mod ledger;
