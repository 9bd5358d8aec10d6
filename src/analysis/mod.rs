//! Analyses that read the engine's sums and turn them into results: cost-effectiveness
//! summaries, the decision analysis (frontier, CEAC, CEAF, EVPI, EVPPI), contract tables,
//! budget impact, sensitivity results. Each is computed once, into the result types of
//! [`results`], which the writers only format.
pub mod budget;
pub mod cea;
pub mod cohort;
pub mod contracts;
pub mod decision;
pub mod design;
pub mod evppi;
pub mod evsi;
pub mod frontier;
pub mod gp;
pub mod headline;
pub mod lines;
pub mod partners;
pub mod probabilistic;
pub mod psa;
pub mod renegotiation;
pub mod results;
pub mod roots;
pub mod sensitivity;
pub mod subgroups;
