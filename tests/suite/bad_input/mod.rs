//! One test per class of bad input: a scenario error names the file, line and
//! column, the field, what was expected and what was found, suggests the nearest valid name,
//! reports every error of a file at once, exits with code 2 and never panics.
//!
//! Each bad scenario is the bundled `scenarios/nsclc_egfr.toml` with one targeted textual edit.
//! Every edit first asserts that the text it replaces occurs exactly once (so a test cannot
//! silently test nothing), and the expected line and column are computed here from where the
//! edited text sits in the file, never copied from the program's output. Every bad file is run
//! through both `vbpsim check` and `vbpsim run --out …`: both must fail the same way, and the
//! failed run must leave no output folder (and no temporary folder) behind.
//!
//! `harness` edits the bundled scenario, locates the edits and runs vbpsim on the bad file; the
//! other files each hold the tests of one group of input classes.

mod contracts;
mod files_and_robustness;
mod harness;
mod model_sections;
mod population;
mod toml_and_references;
mod values;
