//! Workflows: the jobs the command line runs, each from a scenario to results and an output
//! folder: a run (with its PSA, resumed from a checkpoint or split into shards), threshold
//! prices, sensitivity analyses, scenario comparisons, and the guards that refuse runs too
//! large for the machine.
pub mod checkpoint;
pub mod compare;
pub mod guard;
pub mod price;
pub mod run;
pub mod sensitivity;
pub mod shard;
