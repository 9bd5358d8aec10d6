//! Throughput of several scenarios relative to the first, measured in alternation inside one
//! process: docs/src/performance.md (the heaviest library scenario against the default).
//!
//! ```sh
//! cargo run --release --example paired -- [--rounds R] [--patients P] [--threads T] FIRST OTHER...
//! ```
//!
//! Each round simulates P patients of every scenario in turn (as `vbpsim bench` does: no
//! outputs), so that all of them meet the same state of a shared machine, whose speed moves
//! by ±25 % from second to second and drifts over minutes. For each other scenario it prints
//! the median and range over rounds of its trajectories per second divided by the first
//! scenario's in the same round, and each scenario's median throughput. Defaults: 40 rounds of 200,000 patients on one thread.

use std::path::Path;
use std::process::ExitCode;
use vbpsim::scenario::{self, Scenario};
use vbpsim::workflow::run::{RunOptions, simulate};

struct Settings {
    rounds: usize,
    patients: u64,
    threads: usize,
    files: Vec<String>,
}

fn settings() -> Result<Settings, String> {
    let mut s = Settings { rounds: 40, patients: 200_000, threads: 1, files: Vec::new() };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = args.next().ok_or(format!("{name} needs a value"))?;
            match value.parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{name}: expected a positive whole number, found `{value}`")),
            }
        };
        match arg.as_str() {
            "--rounds" => s.rounds = number("--rounds")? as usize,
            "--patients" => s.patients = number("--patients")?,
            "--threads" => s.threads = number("--threads")? as usize,
            _ => s.files.push(arg),
        }
    }
    if s.files.len() < 2 {
        return Err("expected at least two scenario files: the reference first".into());
    }
    Ok(s)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() -> ExitCode {
    let s = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut scenarios: Vec<Scenario> = Vec::new();
    for file in &s.files {
        match scenario::load(Path::new(file)) {
            Ok(loaded) => scenarios.push(loaded),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let options = RunOptions {
        patients: Some(s.patients),
        samples: Some(0),
        seed: None,
        threads: Some(s.threads),
        simulation_only: true,
        keep_budget_impact: false,
    };
    // rates[i][round]: trajectories per second of scenario i in that round.
    let mut rates = vec![Vec::with_capacity(s.rounds); scenarios.len()];
    for _ in 0..s.rounds {
        for (scenario, rate) in scenarios.iter().zip(&mut rates) {
            match simulate(scenario, &options, &mut |_, _| {}) {
                Ok(sim) => rate.push(sim.trajectories as f64 / sim.wall_seconds),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(1);
                }
            }
        }
    }
    println!(
        "rounds: {}, patients: {}, threads: {} (trajectories per second, median over rounds)",
        s.rounds, s.patients, s.threads
    );
    println!("{}: {:.0}", s.files[0], median(rates[0].clone()));
    for (file, rate) in s.files.iter().zip(&rates).skip(1) {
        let ratios: Vec<f64> = rate.iter().zip(&rates[0]).map(|(r, first)| r / first).collect();
        let (low, high) =
            ratios.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &r| (l.min(r), h.max(r)));
        println!(
            "{file}: {:.0}; relative to the first: median {:.3} (range {:.3}–{:.3})",
            median(rate.clone()),
            median(ratios),
            low,
            high
        );
    }
    ExitCode::SUCCESS
}
