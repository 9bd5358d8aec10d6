//! What accounting reads of a simulated patient, and the closed forms it uses: discounting,
//! the patient record, and a drug's payment schedule. Plain data and arithmetic, below the
//! model: the contracts' rules and the engine's ledger are built on them.
pub mod discount;
pub mod record;
pub mod schedule;
