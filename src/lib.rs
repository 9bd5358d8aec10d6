#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x > 0.0)` deliberately rejects NaN too.
//! vbpsim: value-based pricing and reimbursement simulation for precision oncology.
//!
//! # The data flow, and the rooms it runs through
//!
//! ```text
//! scenario (TOML → Model) → model → sim (patients → sums) → analysis (results) → output (files)
//!                                       workflow: the jobs along it (run, shards and merge,
//!                                       resume, price, sensitivity, compare, guards)
//! ```
//!
//! Each folder (room) is one stage; beneath them lie the rooms every stage uses. A room names
//! (`crate::…`) only the rooms in its *may name* column, never one above it or beside it:
//!
//! | room | what it holds | may name |
//! | --- | --- | --- |
//! | [`linalg`], [`spline`] | the ground floor: small dense linear algebra, the Royston–Parmar spline in log time | none of the crate |
//! | [`units`], [`rng`], [`survival`], [`life_table`], [`params`], [`resources`] | quantities, addressed random streams, time-to-event and parameter distributions, general-population mortality, the process's own resources | the ground floor |
//! | [`accounting`] | discounting closed forms, the patient record, a drug's payment schedule | the foundations above |
//! | [`contracts`] | one file per contract kind: its terms and its rule | accounting, foundations |
//! | [`fit`] | survival evidence in: data sets, Kaplan–Meier, reconstruction from digitised curves, maximum-likelihood fits | foundations |
//! | [`model`] | the compiled model: plain data, indices, value slots | contracts, accounting, foundations |
//! | [`scenario`] | TOML → model, one file per section, cross-section checks | model and below |
//! | [`sim`] | prepared model, PSA draws, patients, ledger, accumulators, the engine | model and below |
//! | [`analysis`] | results computed once: CEA, frontier, CEAC, CEAF, EVPI, EVPPI, contracts, budget, sensitivity | sim, model and below |
//! | [`output`] | writers that only write: CSV, plots, run.json, report.html, folders | analysis, model and below, fit |
//! | [`workflow`] | the jobs: run, shards and merge, checkpoints, price, sensitivity, compare, guards | every room |
//!
//! The binary (`src/cli`) uses the library like any other program. The rule is checked by a
//! test (`tests/suite/layout.rs`) and by hand with grep; each of these prints nothing:
//!
//! ```sh
//! grep -nE 'crate::[a-z]' src/linalg.rs src/spline.rs
//! grep -nE 'crate::[a-z]' src/units.rs src/rng.rs src/survival.rs src/life_table.rs src/params.rs src/resources.rs | grep -vE 'crate::(linalg|spline)\b'
//! grep -rnE 'crate::(contracts|model|scenario|sim|analysis|output|workflow)\b' src/accounting
//! grep -rnE 'crate::(model|scenario|sim|analysis|output|workflow)\b' src/contracts
//! grep -rnE 'crate::(scenario|sim|analysis|output|workflow)\b' src/model
//! grep -rnE 'crate::(sim|analysis|output|workflow)\b' src/scenario
//! grep -rnE 'crate::(scenario|analysis|output|workflow)\b' src/sim
//! grep -rnE 'crate::(scenario|output|workflow)\b' src/analysis
//! grep -rnE 'crate::(scenario|sim|workflow)\b' src/output
//! grep -rnE 'crate::(accounting|contracts|model|scenario|sim|analysis|output|workflow)\b' src/fit
//! ```
pub mod accounting;
pub mod analysis;
pub mod contracts;
pub mod fit;
pub mod life_table;
pub mod linalg;
pub mod model;
pub mod output;
pub mod params;
pub mod resources;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod spline;
pub mod survival;
pub mod units;
pub mod workflow;
