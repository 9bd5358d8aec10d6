//! The command line's grammar: the commands, their arguments, and the flag groups several
//! commands share (simulation sizes, `--set` overrides, how an output folder is written).

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use vbpsim::model::limits::{MAX_PATIENTS, MAX_SAMPLES};
use vbpsim::workflow::RunOptions;

#[derive(Parser)]
#[command(name = "vbpsim", version, about = "Value-based pricing simulator for precision oncology")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Simulate a scenario and write its output folder (default: the bundled NSCLC scenario)
    Run {
        /// Scenario file (TOML); omitted: the bundled scenarios/nsclc_egfr.toml
        scenario: Option<PathBuf>,
        /// Output folder [default: output/<scenario name>]
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        sizes: Sizes,
        #[command(flatten)]
        overrides: Overrides,
        /// Simulate only block K of N of the PSA samples and write a partial folder [default
        /// folder: output/<scenario name>-shard-K-of-N]; join the N folders with `vbpsim merge`
        #[arg(long, value_name = "K/N", value_parser = parse_shard, conflicts_with = "resume")]
        shard: Option<(u64, u64)>,
        /// Continue an interrupted run of the same scenario, seed and sizes from its completed
        /// PSA samples (kept in the hidden folder .<out name>.resume beside the output folder)
        #[arg(long)]
        resume: bool,
        /// Write psa.csv (a row per PSA sample and arm) whatever the number of samples; by
        /// default it is left out above 100,000 samples
        #[arg(long, conflicts_with = "shard")]
        psa_csv: bool,
        #[command(flatten)]
        writing: Writing,
    },
    /// Join the partial folders of a sharded run (`run --shard K/N`) into the output folder a
    /// single run would write
    Merge {
        /// The partial folders, every shard 1…N once, in any order
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output folder [default: output/<scenario name>]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads for the base case [default: all cores]
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        threads: Option<u64>,
        /// Run even if the estimate says the base case takes this machine more than a day
        #[arg(long)]
        allow_large: bool,
        /// Write psa.csv (a row per PSA sample and arm) whatever the number of samples; by
        /// default it is left out above 100,000 samples
        #[arg(long)]
        psa_csv: bool,
        #[command(flatten)]
        writing: Writing,
    },
    /// Validate a scenario and print a one-screen summary of the model
    Check {
        /// Scenario file (TOML)
        scenario: PathBuf,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Write a commented template scenario that runs as is
    Init {
        /// Where to write it [default: scenario.toml]; its stem names the scenario
        path: Option<PathBuf>,
        /// Write this bundled scenario instead of the short skeleton (nsclc_egfr,
        /// nsclc_egfr_ctdna, nsclc_alk, nsclc_kras_g12c, melanoma_braf, car_t_lymphoma)
        #[arg(long, value_name = "NAME")]
        example: Option<String>,
    },
    /// Print the threshold (value-based) list price of each contract arm at each threshold
    Price {
        /// Scenario file (TOML); omitted: the bundled scenario
        scenario: Option<PathBuf>,
        #[command(flatten)]
        sizes: Sizes,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Search contract terms: settle every candidate of the scenario's [[designs]] on the same
    /// patients; write design.csv (payer NMB, manufacturer revenue, frontier, probability of
    /// cost-effectiveness) and the frontier plot
    Design {
        /// Scenario file (TOML); omitted: the bundled scenario
        scenario: Option<PathBuf>,
        /// Output folder [default: output/<scenario name>-design]
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        sizes: Sizes,
        #[command(flatten)]
        overrides: Overrides,
        #[command(flatten)]
        writing: Writing,
    },
    /// One-way sensitivity: re-simulate the base case with each parameter at the low and high
    /// end of its range; write tornado.csv and the tornado plots
    Sensitivity {
        /// Scenario file (TOML); omitted: the bundled scenario
        scenario: Option<PathBuf>,
        /// Output folder [default: output/<scenario name>-sensitivity]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Patients per strategy (overrides the scenario)
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_PATIENTS))]
        patients: Option<u64>,
        /// Random seed (overrides the scenario)
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads [default: all cores]
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        threads: Option<u64>,
        /// The arm whose tornado is drawn: STRATEGY or STRATEGY/CONTRACT [default: the first
        /// strategy other than the comparator, at list]
        #[arg(long)]
        arm: Option<String>,
        /// The threshold (one of the scenario's) of the incremental-NMB tornado [default: the
        /// first]
        #[arg(long)]
        threshold: Option<f64>,
        /// Also a two-way grid over two parameters: NAME,NAME
        #[arg(long, value_name = "A,B")]
        two_way: Option<String>,
        /// Grid points per parameter of the two-way analysis
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u64).range(2..=41))]
        steps: u64,
        /// Run even if the estimate says it takes this machine more than a day or needs more
        /// memory than it has free
        #[arg(long)]
        allow_large: bool,
        #[command(flatten)]
        overrides: Overrides,
        #[command(flatten)]
        writing: Writing,
    },
    /// Simulate several scenarios on one seed and write one comparison table and plot of their
    /// arms' cost, QALYs, ICER and NMB
    Compare {
        /// Scenario files (TOML), two or more
        #[arg(required = true, num_args = 2..)]
        scenarios: Vec<PathBuf>,
        /// Output folder [default: output/compare]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Willingness to pay per QALY for every scenario's NMB (repeatable) [default: the
        /// first scenario's thresholds]
        #[arg(long = "threshold", value_name = "PER_QALY")]
        thresholds: Vec<f64>,
        #[command(flatten)]
        sizes: Sizes,
        /// Applied to every scenario
        #[command(flatten)]
        overrides: Overrides,
        #[command(flatten)]
        writing: Writing,
    },
    /// Simulate without writing outputs; print trajectories per second and peak memory
    Bench {
        /// Scenario file (TOML); omitted: the bundled scenario
        scenario: Option<PathBuf>,
        /// Patients per strategy
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=MAX_PATIENTS))]
        patients: u64,
        /// PSA samples after the base case, each drawn, prepared, simulated and summarised as
        /// `run` does (their speed printed apart)
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_SAMPLES))]
        samples: u64,
        /// Worker threads [default: all cores]
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        threads: Option<u64>,
        /// Run even if the estimate says it takes this machine more than a day or needs more
        /// memory than it has free
        #[arg(long)]
        allow_large: bool,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Serve the contract explorer: a local web page where the contract terms, list prices,
    /// thresholds, the payer and the uncertain parameters are moved and the decision is
    /// re-simulated on the same patients
    Serve {
        /// Scenario file (TOML); omitted: the bundled scenario
        scenario: Option<PathBuf>,
        /// Address to listen on; other than loopback, anyone who reaches it can use the page
        #[arg(long, default_value = "127.0.0.1")]
        addr: std::net::IpAddr,
        /// Port to listen on (0: any free port, printed at start)
        #[arg(long, default_value_t = 8737)]
        port: u16,
        /// Patients per strategy in each evaluation
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=MAX_PATIENTS))]
        patients: u64,
        /// Worker threads [default: all cores]
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        threads: Option<u64>,
        /// Folder the page's "save as scenario layer" writes to
        #[arg(long, default_value = "output/explorer")]
        layers: PathBuf,
    },
    /// Fit parametric survival families and splines to a data set (time, event[, entry][,
    /// group][, covariates]) by maximum likelihood; write the fits, the Kaplan–Meier estimate, plots and a scenario
    /// snippet per fit
    Fit {
        /// The data: a CSV file with columns time and event, optionally entry and group; any
        /// other column is a categorical covariate
        data: PathBuf,
        /// The data's time unit: days, weeks, months or years
        #[arg(long)]
        unit: String,
        /// Output folder [default: output/<data file stem>-fit]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Families to fit, comma separated [default: exponential, weibull, gompertz,
        /// loglogistic, lognormal, gamma, gengamma, spline1, spline2, spline3]
        #[arg(long, value_delimiter = ',')]
        families: Vec<String>,
        /// Times (in the data's unit) for landmark survival and restricted means, comma
        /// separated [default: the last observed time]
        #[arg(long, value_delimiter = ',')]
        at: Vec<f64>,
        /// End of the extrapolation plots, in the data's unit [default: three times the last
        /// observed time]
        #[arg(long)]
        horizon: Option<f64>,
        /// Prefix of the snippets' parameter names [default: the data file's stem]
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        writing: Writing,
    },
    /// Rebuild individual data (time, event) from a digitised Kaplan–Meier curve and its
    /// numbers at risk (Guyot et al. 2012), as the data file `fit` reads
    Reconstruct {
        /// The digitised curve: a CSV file with columns time and survival, from (0, 1)
        curve: PathBuf,
        /// The published numbers at risk: a CSV file with columns time and at_risk, from 0
        #[arg(long)]
        at_risk: PathBuf,
        /// The total number of events, if the publication gives it
        #[arg(long)]
        events: Option<u64>,
        /// The data file to write
        #[arg(long)]
        out: PathBuf,
        /// Replace the data file if it exists
        #[arg(long)]
        force: bool,
        /// No closing summary
        #[arg(long)]
        quiet: bool,
    },
}

/// The simulation settings a command line may override.
#[derive(clap::Args)]
pub struct Sizes {
    /// Patients per strategy (overrides the scenario)
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_PATIENTS))]
    pub patients: Option<u64>,
    /// PSA samples (overrides the scenario; 0 = base case only)
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=MAX_SAMPLES))]
    pub samples: Option<u64>,
    /// Random seed (overrides the scenario)
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub threads: Option<u64>,
    /// Run even if the estimate says it takes this machine more than a day or needs more
    /// memory than it has free
    #[arg(long)]
    pub allow_large: bool,
}

impl Sizes {
    pub fn options(&self) -> RunOptions {
        RunOptions {
            patients: self.patients,
            samples: self.samples,
            seed: self.seed,
            threads: self.threads.map(|t| t as usize),
            simulation_only: false,
            keep_budget_impact: false,
        }
    }
}

/// Values set on the command line over the scenario file's.
#[derive(clap::Args)]
pub struct Overrides {
    /// Override one scenario value, KEY=VALUE in TOML (repeatable), e.g.
    /// --set 'scenario.horizon="10 years"' or --set regimens.osimertinib.administration=0
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// How a command that writes an output folder writes it.
#[derive(clap::Args)]
pub struct Writing {
    /// Replace an existing output folder even if vbpsim may not (not written by vbpsim,
    /// or holding other files): it is moved aside to <name>.before-vbpsim-<pid>, never
    /// deleted
    #[arg(long)]
    pub force: bool,
    /// No progress bar and no closing summary
    #[arg(long)]
    pub quiet: bool,
}

/// `K/N` with 1 ≤ K ≤ N ≤ the most shards.
fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let max = vbpsim::workflow::shard::MAX_SHARDS;
    let usage = format!("expected K/N with 1 ≤ K ≤ N ≤ {max}, e.g. 2/8, found `{text}`");
    let (k, n) = text.split_once('/').ok_or_else(|| usage.clone())?;
    match (k.trim().parse::<u64>(), n.trim().parse::<u64>()) {
        (Ok(k), Ok(n)) if 1 <= k && k <= n && n <= max => Ok((k, n)),
        _ => Err(usage),
    }
}
