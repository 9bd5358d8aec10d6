//! The `vbpsim` command line: parse the arguments, run one command, and map its failure to an
//! exit code (0 success, 2 invalid input, 1 anything else). The work of every command is a
//! library call; this folder holds the grammar ([`args`]), the messages and exit codes
//! ([`failure`]), checked standard output ([`console`]), the progress bar ([`progress`]) and
//! one file per group of commands.

/// Print a line to stderr, ignoring a closed pipe (`vbpsim check x | head` must not panic),
/// with control characters from the user's text made visible (see [`console::visible`]).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($arg)*);
        let _ = writeln!(std::io::stderr(), "{}", crate::console::visible(&text));
    }};
}

/// Print a line to stdout, checked (see [`console`]): `outln!(…)?` in a command.
macro_rules! outln {
    ($($arg:tt)*) => {
        crate::console::print(&format!("{}\n", format_args!($($arg)*)))
    };
}

mod analyses;
mod args;
mod bench;
mod common;
mod console;
mod failure;
mod interrupt;
mod progress;
mod run;
mod scenario;
mod serve;

use args::{Cli, Command};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return failure::usage_error(&e),
    };
    let result = match cli.command {
        Command::Run { scenario, out, sizes, overrides, shard, resume, psa_csv, writing } => {
            let loaded = common::load(scenario.as_deref(), &overrides);
            match shard {
                Some(shard) => run::shard(loaded, out, &sizes, shard, &writing),
                None => run::run(loaded, out, &sizes, (resume, psa_csv), &writing),
            }
        }
        Command::Merge { shards, out, threads, allow_large, psa_csv, writing } => {
            run::merge(&shards, out, (threads, allow_large, psa_csv), &writing)
        }
        Command::Check { scenario, overrides } => {
            scenario::check(common::load(Some(&scenario), &overrides))
        }
        Command::Init { path, example } => scenario::init(
            path.unwrap_or_else(|| PathBuf::from("scenario.toml")),
            example.as_deref(),
        ),
        Command::Design { scenario, out, sizes, overrides, writing } => {
            let loaded = common::load(scenario.as_deref(), &overrides);
            analyses::design(loaded, out, &sizes, &writing)
        }
        Command::Price { scenario, sizes, overrides } => {
            analyses::price(common::load(scenario.as_deref(), &overrides), &sizes)
        }
        Command::Compare { scenarios, out, thresholds, sizes, overrides, writing } => {
            analyses::compare(&scenarios, out, thresholds, &sizes, &overrides, &writing)
        }
        Command::Bench { scenario, patients, samples, threads, allow_large, overrides } => {
            let loaded = common::load(scenario.as_deref(), &overrides);
            bench::bench(loaded, (patients, samples), threads, allow_large)
        }
        Command::Serve { scenario, addr, port, patients, threads, layers } => {
            let threads = threads.map(|t| t as usize);
            serve::serve(scenario.as_deref(), (addr, port), (patients, threads), layers)
        }
        Command::Fit { data, unit, out, families, at, horizon, name, writing } => {
            let request =
                vbpsim::workflow::fit::FitRequest { data, unit, families, at, horizon, name };
            analyses::fit(&request, out, &writing)
        }
        Command::Reconstruct { curve, at_risk, events, out, force, quiet } => {
            analyses::reconstruct((&curve, &at_risk), events, (&out, force), quiet)
        }
        Command::Sensitivity {
            scenario,
            out,
            patients,
            seed,
            threads,
            arm,
            threshold,
            two_way,
            steps,
            allow_large,
            overrides,
            writing,
        } => {
            let options = vbpsim::workflow::RunOptions {
                patients,
                samples: Some(0),
                seed,
                threads: threads.map(|t| t as usize),
                simulation_only: true,
                keep_budget_impact: false,
            };
            let request = analyses::Request {
                arm,
                threshold,
                two_way: two_way.map(|names| (names, steps as usize)),
                allow_large,
            };
            let loaded = common::load(scenario.as_deref(), &overrides);
            analyses::sensitivity(loaded, out, &options, request, &writing)
        }
    };
    failure::exit(result)
}
