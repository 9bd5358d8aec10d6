//! The integration tests, as one binary: closed forms and independent computations checked
//! against the engine, the command line end to end, bad input, robustness and reproducibility.
//! `support` holds what several of them share.

mod support;

mod analytic;
mod bad_input;
mod bounded_inputs;
mod budget;
mod cdp;
mod checked_writes;
mod cli;
mod cohort;
mod contracts;
mod covariates;
mod design;
mod dictionary;
mod distributions;
mod edge_cases;
mod engine;
mod explorer;
mod export;
mod fit;
mod floor;
mod fuzz_scenarios;
mod headline;
mod heterogeneity;
mod immunotherapy;
mod large_psa;
mod layout;
mod ledger;
mod lines;
mod monitoring;
mod output_folders;
mod partitioned;
mod partners;
mod pathways;
mod payer;
mod plots;
mod population;
mod prognosis;
mod psa;
mod reflex;
mod report;
mod requests;
mod resume;
mod robustness;
mod sample_integrity;
mod samplers;
mod scenario_layers;
mod selection;
mod sensitivity;
mod shards;
mod subgroups;
mod waiting;
