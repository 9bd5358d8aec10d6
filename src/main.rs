//! The `vbpsim` command line: parse arguments, call the library, map errors to exit codes
//! (0 success, 2 invalid input, 1 anything else).

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use vbpsim::output::folder::{FolderError, Target};
use vbpsim::scenario::{self, LoadError, Scenario};
use vbpsim::workflow::guard::Workload;
use vbpsim::workflow::run::{RunError, RunOptions, Simulation, simulate, write_outputs};

#[derive(Parser)]
#[command(name = "vbpsim", version, about = "Value-based pricing simulator for precision oncology")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
        /// Replace an existing output folder even if vbpsim may not (not written by vbpsim,
        /// or holding other files): it is moved aside to <name>.before-vbpsim-<pid>, never
        /// deleted
        #[arg(long)]
        force: bool,
        /// No progress bar and no closing summary
        #[arg(long)]
        quiet: bool,
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
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
        threads: Option<u64>,
        /// Run even if the estimate says the base case takes this machine more than a day
        #[arg(long)]
        allow_large: bool,
        /// Replace an existing output folder even if vbpsim may not (not written by vbpsim,
        /// or holding other files): it is moved aside to <name>.before-vbpsim-<pid>, never
        /// deleted
        #[arg(long)]
        force: bool,
        /// No progress bar and no closing summary
        #[arg(long)]
        quiet: bool,
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
        /// Where to write it [default: scenario.toml]
        path: Option<PathBuf>,
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
    /// One-way sensitivity: re-simulate the base case with each parameter at the low and high
    /// end of its range; write tornado.csv and the tornado plots
    Sensitivity {
        /// Scenario file (TOML); omitted: the bundled scenario
        scenario: Option<PathBuf>,
        /// Output folder [default: output/<scenario name>-sensitivity]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Patients per strategy (overrides the scenario)
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=vbpsim::model::limits::MAX_PATIENTS))]
        patients: Option<u64>,
        /// Random seed (overrides the scenario)
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads [default: all cores]
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
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
        /// Replace an existing output folder even if vbpsim may not (not written by vbpsim,
        /// or holding other files): it is moved aside to <name>.before-vbpsim-<pid>, never
        /// deleted
        #[arg(long)]
        force: bool,
        /// No progress bar and no closing summary
        #[arg(long)]
        quiet: bool,
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
        /// Replace an existing output folder even if vbpsim may not (not written by vbpsim,
        /// or holding other files): it is moved aside to <name>.before-vbpsim-<pid>, never
        /// deleted
        #[arg(long)]
        force: bool,
        /// No progress bar and no closing summary
        #[arg(long)]
        quiet: bool,
    },
    /// Simulate without writing outputs; print trajectories per second and peak memory
    Bench {
        /// Scenario file (TOML); omitted: the bundled scenario
        scenario: Option<PathBuf>,
        /// Patients per strategy
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=vbpsim::model::limits::MAX_PATIENTS))]
        patients: u64,
        /// Worker threads [default: all cores]
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
        threads: Option<u64>,
        /// Run even if the estimate says it takes this machine more than a day or needs more
        /// memory than it has free
        #[arg(long)]
        allow_large: bool,
        #[command(flatten)]
        overrides: Overrides,
    },
}

/// Print a line to stderr, ignoring a closed pipe (`vbpsim check x | head` must not panic).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Print a line to stdout, ignoring a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// The simulation settings a command line may override.
#[derive(clap::Args)]
struct Sizes {
    /// Patients per strategy (overrides the scenario)
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=vbpsim::model::limits::MAX_PATIENTS))]
    patients: Option<u64>,
    /// PSA samples (overrides the scenario; 0 = base case only)
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=vbpsim::model::limits::MAX_SAMPLES))]
    samples: Option<u64>,
    /// Random seed (overrides the scenario)
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads [default: all cores]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    threads: Option<u64>,
    /// Run even if the estimate says it takes this machine more than a day or needs more
    /// memory than it has free
    #[arg(long)]
    allow_large: bool,
}

impl Sizes {
    fn options(&self) -> RunOptions {
        RunOptions {
            patients: self.patients,
            samples: self.samples,
            seed: self.seed,
            threads: self.threads.map(|t| t as usize),
            simulation_only: false,
        }
    }
}

/// Values set on the command line over the scenario file's.
#[derive(clap::Args)]
struct Overrides {
    /// Override one scenario value, KEY=VALUE in TOML (repeatable), e.g.
    /// --set 'scenario.horizon="10 years"' or --set regimens.osimertinib.administration=0
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
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

/// A failure with its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn input(message: impl Into<String>) -> Self {
        Failure { code: 2, message: message.into() }
    }
    fn other(message: impl Into<String>) -> Self {
        Failure { code: 1, message: message.into() }
    }
}

impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Invalid(errors) => Failure::input(errors.to_string()),
            LoadError::NotUtf8 { .. } => {
                Failure::input(format!("error: {e}\n  = help: {}", scenario::NOT_UTF8_HELP))
            }
            LoadError::Io { .. } => Failure::input(format!(
                "error: {e}\n  = help: give the path of a scenario .toml file, or run `vbpsim init` to write one"
            )),
        }
    }
}

fn load(path: Option<&Path>, overrides: &Overrides) -> Result<Scenario, Failure> {
    Ok(scenario::load_with(path, &overrides.set)?)
}

/// An output folder that cannot be written: a folder vbpsim may not replace is the user's
/// choice (exit 2, with --force as the way out); a disk that refuses is the machine's (exit 1).
fn folder_failure(e: &FolderError) -> Failure {
    let message = format!("error: {e}\n  = help: {}", e.hint());
    if e.is_refusal() { Failure::input(message) } else { Failure::other(message) }
}

/// A run's failure: output-folder problems as [`folder_failure`], the rest exit 1.
fn run_failure(e: RunError) -> Failure {
    match &e {
        RunError::Output(vbpsim::output::OutputError::Folder(f)) => folder_failure(f),
        _ => Failure::other(format!("error: {e}")),
    }
}

/// Check an output folder before simulating, so that a long run is not thrown away.
fn check_target(target: &Target) -> Result<(), Failure> {
    vbpsim::output::folder::check_target(target).map_err(|e| folder_failure(&e))
}

/// Patients per strategy and PSA samples of a run: the command line's, else the scenario's.
fn sizes_of(s: &Scenario, options: &RunOptions) -> (u64, u64) {
    let meta = &s.model.meta;
    (options.patients.unwrap_or(meta.patients), options.samples.unwrap_or(meta.samples))
}

/// Refuse a run too large for this machine (README "Robustness"): more than a day at the
/// speed a pilot of the scenario measures, more memory than is free, or counts beyond the
/// engine's. `--allow-large` skips the first two; the counters' limit stays.
fn guard(
    s: &Scenario,
    what: &str,
    work: Workload,
    threads: Option<usize>,
    allow_large: bool,
) -> Result<(), Failure> {
    use vbpsim::workflow::guard::{GuardError, check, free_memory};
    let pilot = || {
        // A short base case of this scenario on these threads: its speed on this machine.
        let options = RunOptions {
            patients: Some(20_000),
            samples: Some(0),
            seed: None,
            threads,
            simulation_only: true,
        };
        let sim = simulate(s, &options, &mut |_, _| {}).ok()?;
        Some((sim.patients * s.model.strategies.len() as u64) as f64 / sim.wall_seconds)
    };
    let checked = if allow_large {
        check(what, work, None, || None)
    } else {
        check(what, work, free_memory(), pilot)
    };
    checked.map_err(|e| {
        let help = match e {
            GuardError::Overflow { .. } => "lower --patients or --samples",
            GuardError::TooLong { .. } => {
                "lower --patients or --samples, split the PSA over machines with `run --shard K/N` (deploy/slurm), or add --allow-large to run it anyway"
            }
            GuardError::TooBig { .. } => {
                "lower --samples, split the PSA with `run --shard K/N`, or add --allow-large to run it anyway"
            }
        };
        Failure::input(format!("error: {e}\n  = help: {help}"))
    })
}

/// Say where --force moved a folder vbpsim could not replace.
fn note_displaced(target: &Target, displaced: Option<PathBuf>) {
    if let Some(aside) = displaced {
        say!(
            "note: --force: the previous {} was moved aside to {} (nothing was deleted)",
            target.display(),
            aside.display()
        );
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let result = match cli.command {
        Command::Run {
            scenario, out, sizes, overrides, shard: Some(shard), force, quiet, ..
        } => {
            let out = (out, force);
            cmd_shard(load(scenario.as_deref(), &overrides), out, &sizes, shard, quiet)
        }
        Command::Run { scenario, out, sizes, overrides, shard: None, resume, force, quiet } => {
            let out = (out, force);
            cmd_run(load(scenario.as_deref(), &overrides), out, &sizes, resume, quiet)
        }
        Command::Merge { shards, out, threads, allow_large, force, quiet } => {
            cmd_merge(&shards, (out, force), threads, allow_large, quiet)
        }
        Command::Check { scenario, overrides } => cmd_check(load(Some(&scenario), &overrides)),
        Command::Price { scenario, sizes, overrides } => {
            cmd_price(load(scenario.as_deref(), &overrides), &sizes)
        }
        Command::Init { path } => cmd_init(path.unwrap_or_else(|| PathBuf::from("scenario.toml"))),
        Command::Compare { scenarios, out, thresholds, sizes, overrides, force, quiet } => {
            cmd_compare(&scenarios, (out, force), thresholds, &sizes, &overrides, quiet)
        }
        Command::Bench { scenario, patients, threads, allow_large, overrides } => {
            cmd_bench(load(scenario.as_deref(), &overrides), patients, threads, allow_large)
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
            force,
            quiet,
        } => {
            let options = RunOptions {
                patients,
                samples: Some(0),
                seed,
                threads: threads.map(|t| t as usize),
                simulation_only: true,
            };
            let grid = two_way.map(|names| (names, steps as usize));
            let s = load(scenario.as_deref(), &overrides);
            let out = (out, force);
            cmd_sensitivity(s, out, &options, (arm, threshold, grid), allow_large, quiet)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            say!("{}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// A command-line misuse (unknown flag, bad number, missing value…) as one line and a hint,
/// exit 2; help and version go to stdout as clap writes them.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::CommandFactory as _;
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        _ => {}
    }
    // The message is clap's first paragraph, its continuation lines joined.
    let text = e.render().to_string();
    let first = text.split("\n\n").next().unwrap_or_default();
    let first: Vec<&str> = first.lines().map(str::trim).collect();
    let first =
        if first.is_empty() { "error: invalid command line".into() } else { first.join(" ") };
    let cli = Cli::command();
    let subcommand = std::env::args_os()
        .nth(1)
        .and_then(|name| name.into_string().ok())
        .and_then(|name| cli.find_subcommand(&name).cloned());
    // A near miss of a flag of the subcommand given, or of a subcommand.
    let offered = |candidates: Vec<String>| {
        let wrong = match e
            .get(clap::error::ContextKind::InvalidArg)
            .or_else(|| e.get(clap::error::ContextKind::InvalidSubcommand))
        {
            Some(clap::error::ContextValue::String(s)) => {
                s.split('=').next().unwrap_or(s).to_string()
            }
            _ => return None,
        };
        candidates
            .into_iter()
            .map(|c| (strsim::levenshtein(&wrong, &c), c))
            .filter(|(d, c)| *d <= 2.max(c.len() / 3))
            .min()
            .map(|(_, c)| c)
    };
    let near = match (e.kind(), &subcommand) {
        (ErrorKind::UnknownArgument, Some(sub)) => offered(
            sub.get_arguments().filter_map(|a| a.get_long()).map(|l| format!("--{l}")).collect(),
        ),
        (ErrorKind::InvalidSubcommand, _) => {
            offered(cli.get_subcommands().map(|c| c.get_name().to_string()).collect())
        }
        _ => None,
    };
    let lists = match &subcommand {
        Some(sub) => format!("`vbpsim {} --help` lists its options", sub.get_name()),
        None => "`vbpsim --help` lists the commands".to_string(),
    };
    let hint = match near {
        Some(near) => format!("did you mean `{near}`? {lists}"),
        None => lists,
    };
    say!("{first}\n  = help: {hint}");
    ExitCode::from(2)
}

/// A progress bar on stderr that appears once the work has lasted a second (never when quiet).
struct Progress {
    started: Instant,
    quiet: bool,
    template: &'static str,
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(quiet: bool, template: &'static str) -> Self {
        Progress { started: Instant::now(), quiet, template, bar: None }
    }

    fn update(&mut self, done: u64, total: u64) {
        if self.quiet {
            return;
        }
        if self.bar.is_none() && self.started.elapsed().as_secs_f64() > 1.0 {
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(self.template) {
                b.set_style(style.progress_chars("=> "));
            }
            self.bar = Some(b);
        }
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
    }

    fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

/// Simulate with a progress bar that appears once the run has lasted a second.
fn simulate_with_progress(
    s: &Scenario,
    options: &RunOptions,
    quiet: bool,
) -> Result<Simulation, Failure> {
    let mut progress = Progress::new(
        quiet,
        "{spinner} simulating [{bar:40}] {pos}/{len} patients, {per_sec}, ETA {eta}",
    );
    let sim = simulate(s, options, &mut |d, t| progress.update(d, t)).map_err(run_failure)?;
    progress.finish();
    Ok(sim)
}

/// With PSA samples, the checkpoint that records each finished sample (so that --resume can
/// continue an interrupted run), and the samples of the run it resumes.
fn open_checkpoint(
    s: &Scenario,
    options: &RunOptions,
    target: &Path,
    resume: bool,
    quiet: bool,
) -> Result<
    (Option<vbpsim::workflow::checkpoint::Checkpoint>, Vec<vbpsim::analysis::psa::PsaSample>),
    Failure,
> {
    let samples = options.samples.unwrap_or(s.model.meta.samples);
    let run = vbpsim::workflow::shard::ShardRun {
        scenario: s,
        seed: options.seed.unwrap_or(s.model.meta.seed),
        patients: options.patients.unwrap_or(s.model.meta.patients),
        samples,
        shard: (1, 1),
    };
    let opened = if samples > 0 {
        use vbpsim::workflow::checkpoint::CheckpointError;
        match vbpsim::workflow::checkpoint::Checkpoint::open(target, &run, resume) {
            Ok(o) => Some(o),
            // Without --resume a checkpoint is a convenience: the run goes on without one.
            Err(e @ (CheckpointError::Foreign { .. } | CheckpointError::Write { .. }))
                if !resume =>
            {
                say!("warning: no checkpoint for --resume: {e}");
                None
            }
            Err(e @ CheckpointError::Write { .. }) => {
                return Err(Failure::other(format!("error: {e}")));
            }
            Err(e) => return Err(Failure::input(format!("error: {e}"))),
        }
    } else {
        None
    };
    let checkpoint_dir = vbpsim::workflow::checkpoint::folder(target);
    Ok(match opened {
        Some(o) => {
            if !quiet {
                match (resume, o.found) {
                    (true, true) => say!(
                        "resuming: {} of {samples} PSA samples done by the interrupted run",
                        o.done.len()
                    ),
                    (true, false) => say!(
                        "note: no interrupted run to resume ({} does not exist); running from the start",
                        checkpoint_dir.display()
                    ),
                    (false, true) => say!(
                        "note: replaced the checkpoint of an interrupted run in {} (--resume continues one)",
                        checkpoint_dir.display()
                    ),
                    (false, false) => {}
                }
            }
            (Some(o.checkpoint), o.done)
        }
        None => {
            if resume && samples == 0 && !quiet {
                say!("note: nothing to resume: the run has no PSA samples");
            }
            (None, Vec::new())
        }
    })
}

fn cmd_run(
    loaded: Result<Scenario, Failure>,
    (out, force): (Option<PathBuf>, bool),
    sizes: &Sizes,
    resume: bool,
    quiet: bool,
) -> Result<(), Failure> {
    let s = loaded?;
    let options = sizes.options();
    let target =
        Target::new(out.unwrap_or_else(|| Path::new("output").join(&s.model.meta.name)), force);
    let (patients, samples) = sizes_of(&s, &options);
    let work = Workload::new(&s.model, patients, 1 + samples, samples);
    guard(&s, "this run", work, options.threads, sizes.allow_large)?;
    check_target(&target)?;
    if !quiet {
        for (name, size) in s.model.cohort_sizes() {
            if patients < size {
                say!(
                    "note: contract `{name}` settles populations of {size} patients (population × years), more than the {patients} simulated: the one population is the simulated patients scaled up, with more noise than the real one; use --patients {size} or more"
                );
            } else if !patients.is_multiple_of(size) {
                let last = size + patients % size;
                say!(
                    "note: contract `{name}` settles populations of {size} patients (population × years); {patients} is not a multiple, so the last of {} populations has {last} patients, scaled down (less noise than a real one); a multiple of {size} avoids it",
                    patients / size
                );
            }
        }
    }
    let checkpoint_dir = vbpsim::workflow::checkpoint::folder(&target);
    let (checkpoint, done) = open_checkpoint(&s, &options, &target, resume, quiet)?;
    let resumed = !done.is_empty();
    let mut progress = Progress::new(
        quiet,
        "{spinner} simulating [{bar:40}] {pos}/{len} patients, {per_sec}, ETA {eta}",
    );
    let record = |x: &vbpsim::analysis::psa::PsaSample| {
        if let Some(c) = &checkpoint {
            c.record(x);
        }
    };
    let sim = vbpsim::workflow::run::simulate_resuming(&s, &options, done, &record, &mut |d, t| {
        progress.update(d, t)
    })
    .map_err(run_failure)?;
    progress.finish();
    if resumed {
        vbpsim::workflow::shard::check_samples(&s.model, &sim, &sim.psa).map_err(|e| {
            Failure::input(format!(
                "error: {e}\n  = help: the checkpoint in {} was edited; run without --resume",
                checkpoint_dir.display()
            ))
        })?;
    }
    // Warnings are also recorded in run.json, so --quiet may silence them here.
    for w in sim.warnings.iter().filter(|_| !quiet) {
        say!("warning: {w}");
    }
    let displaced = target.displaces().then(|| target.aside());
    let dir = write_outputs(&s, &sim, &target).map_err(run_failure)?;
    if let Some(c) = checkpoint {
        c.finish();
    }
    // Said even with --quiet: it is about the user's own folder.
    note_displaced(&target, displaced);
    if !quiet {
        let m = &s.model;
        say!(
            "simulated {} patients × {} strategies in {:.2} s; wrote {}",
            sim.patients,
            m.strategies.len(),
            sim.wall_seconds,
            dir.display()
        );
        for r in &sim.summary {
            let icer = r.icer.map_or(r.icer_status.as_str().to_string(), |x| {
                format!("ICER {x:.0} {}/QALY", m.meta.currency)
            });
            let arm = format!(
                "{}/{}",
                m.strategies[r.strategy].name,
                vbpsim::output::tables::contract_name(m, r.contract)
            );
            say!(
                "  {:<36} cost {:>12.0}  QALY {:>7.4}  LY {:>7.4}  {}",
                arm,
                r.cost.mean,
                r.qaly.mean,
                r.ly.mean,
                icer
            );
        }
    }
    Ok(())
}

fn cmd_shard(
    loaded: Result<Scenario, Failure>,
    (out, force): (Option<PathBuf>, bool),
    sizes: &Sizes,
    (k, n): (u64, u64),
    quiet: bool,
) -> Result<(), Failure> {
    let s = loaded?;
    let options = sizes.options();
    let samples = options.samples.unwrap_or(s.model.meta.samples);
    if samples == 0 {
        return Err(Failure::input(format!(
            "error: --shard {k}/{n} splits the PSA samples, but {} has none (samples = 0)\n  = help: give --samples S, or run without --shard",
            s.source.name
        )));
    }
    let name = &s.model.meta.name;
    let target = Target::new(
        out.unwrap_or_else(|| Path::new("output").join(format!("{name}-shard-{k}-of-{n}"))),
        force,
    );
    let block = vbpsim::workflow::run::shard_samples(samples, k, n);
    let block_len = block.end - block.start;
    let patients = options.patients.unwrap_or(s.model.meta.patients);
    let work = Workload::new(&s.model, patients, block_len, block_len);
    guard(&s, "this shard", work, options.threads, sizes.allow_large)?;
    check_target(&target)?;
    let mut progress = Progress::new(
        quiet,
        "{spinner} simulating [{bar:40}] {pos}/{len} patients, {per_sec}, ETA {eta}",
    );
    let (psa, threads, wall) =
        vbpsim::workflow::run::simulate_shard(&s, &options, (k, n), &mut |d, t| {
            progress.update(d, t)
        })
        .map_err(run_failure)?;
    progress.finish();
    let run = vbpsim::workflow::shard::ShardRun {
        scenario: &s,
        seed: options.seed.unwrap_or(s.model.meta.seed),
        patients: options.patients.unwrap_or(s.model.meta.patients),
        samples,
        shard: (k, n),
    };
    let displaced = target.displaces().then(|| target.aside());
    let dir = vbpsim::workflow::shard::write_shard(&run, &psa, (threads, wall), &target)
        .map_err(run_failure)?;
    // Said even with --quiet: it is about the user's own folder.
    note_displaced(&target, displaced);
    if !quiet {
        let block = vbpsim::workflow::run::shard_samples(samples, k, n);
        say!(
            "shard {k} of {n}: PSA samples {}–{} of {samples} ({} samples) in {wall:.2} s; wrote {}",
            block.start,
            block.end - 1,
            psa.len(),
            dir.display()
        );
    }
    Ok(())
}

fn cmd_merge(
    dirs: &[PathBuf],
    (out, force): (Option<PathBuf>, bool),
    threads: Option<u64>,
    allow_large: bool,
    quiet: bool,
) -> Result<(), Failure> {
    let merged = vbpsim::workflow::shard::read_all(dirs)
        .map_err(|e| Failure::input(format!("error: {e}")))?;
    let s = &merged.scenario;
    let target =
        Target::new(out.unwrap_or_else(|| Path::new("output").join(&s.model.meta.name)), force);
    if let Ok(t) = std::fs::canonicalize(&target)
        && dirs.iter().any(|d| std::fs::canonicalize(d).is_ok_and(|d| d == t))
    {
        return Err(Failure::input(format!(
            "error: --out {} is one of the shard folders being merged\n  = help: choose another output folder",
            target.display()
        )));
    }
    // The base case is simulated here (the samples' rows are already in memory).
    let work = Workload::new(&s.model, merged.patients, 1, 0);
    guard(s, "this merge", work, threads.map(|t| t as usize), allow_large)?;
    check_target(&target)?;
    // The base case (and the analyses that re-simulate it) is simulated here; the samples
    // come from the shards.
    let options = RunOptions {
        patients: Some(merged.patients),
        samples: Some(0),
        seed: Some(merged.seed),
        threads: threads.map(|t| t as usize),
        simulation_only: false,
    };
    let base = simulate_with_progress(s, &options, quiet)?;
    vbpsim::workflow::shard::check_samples(&s.model, &base, &merged.psa)
        .map_err(|e| Failure::input(format!("error: {e}")))?;
    let samples = merged.psa.len();
    let sim = vbpsim::workflow::run::with_psa(&s.model, base, merged.psa);
    for w in sim.warnings.iter().filter(|_| !quiet) {
        say!("warning: {w}");
    }
    let displaced = target.displaces().then(|| target.aside());
    let dir = write_outputs(s, &sim, &target).map_err(run_failure)?;
    // Said even with --quiet: it is about the user's own folder.
    note_displaced(&target, displaced);
    if !quiet {
        say!(
            "merged {} shards ({samples} PSA samples) with the base case of {} patients; wrote {}",
            dirs.len(),
            sim.patients,
            dir.display()
        );
    }
    Ok(())
}

use vbpsim::analysis::contracts::ThresholdPrice;

fn cmd_sensitivity(
    loaded: Result<Scenario, Failure>,
    (out, force): (Option<PathBuf>, bool),
    options: &RunOptions,
    (arm, threshold, grid): (Option<String>, Option<f64>, Option<(String, usize)>),
    allow_large: bool,
    quiet: bool,
) -> Result<(), Failure> {
    let s = loaded?;
    let m = &s.model;
    if m.meta.thresholds.is_empty() {
        return Err(Failure::input(format!(
            "error: {} has `thresholds = []`: the tornado is drawn at a willingness to pay per QALY\n  = help: give at least one, e.g. `thresholds = [100000]`",
            s.source.name
        )));
    }
    let k = match threshold {
        None => 0,
        Some(l) => m.meta.thresholds.iter().position(|&t| t == l).ok_or_else(|| {
            let list: Vec<String> = m.meta.thresholds.iter().map(|t| t.to_string()).collect();
            Failure::input(format!(
                "error: --threshold {l} is not one of the scenario's thresholds\n  = help: use one of {}, or add it to `scenario.thresholds`",
                list.join(", ")
            ))
        })?,
    };
    let ranges = vbpsim::analysis::sensitivity::ranges(m);
    // The two-way parameters, by name, among those with a range.
    let pair = match &grid {
        None => None,
        Some((names, _)) => {
            let varied: Vec<&str> =
                ranges.iter().map(|r| m.parameters[r.parameter].name.as_str()).collect();
            let find = |n: &str| {
                ranges.iter().find(|r| m.parameters[r.parameter].name == n).copied().ok_or_else(
                    || {
                        Failure::input(format!(
                            "error: --two-way: `{n}` is not a parameter with a range or a PSA distribution\n  = help: parameters that can vary: {}",
                            varied.join(", ")
                        ))
                    },
                )
            };
            match names.split(',').map(str::trim).collect::<Vec<_>>()[..] {
                [a, b] if a != b => {
                    let (x, y) = (find(a)?, find(b)?);
                    // Moving two shares of one Dirichlet vector would rescale each other.
                    let together = m
                        .dirichlets
                        .iter()
                        .any(|g| g.contains(&x.parameter) && g.contains(&y.parameter));
                    if together {
                        return Err(Failure::input(format!(
                            "error: --two-way {names}: both are shares of one Dirichlet vector, which move together\n  = help: pair one of them with a parameter outside the vector"
                        )));
                    }
                    Some((x, y))
                }
                _ => {
                    return Err(Failure::input(format!(
                        "error: --two-way {names}: expected two different parameter names, A,B"
                    )));
                }
            }
        }
    };
    if ranges.is_empty() {
        return Err(Failure::input(format!(
            "error: {} has no parameter to vary: one-way sensitivity varies the parameters with a PSA distribution or a `range = [low, high]`\n  = help: give a parameter a range, e.g. `osi_price = {{ value = 14763, range = [11000, 18000] }}`",
            s.source.name
        )));
    }
    let target = Target::new(
        out.unwrap_or_else(|| Path::new("output").join(format!("{}-sensitivity", m.meta.name))),
        force,
    );
    let steps = grid.as_ref().map_or(0, |(_, steps)| *steps as u64);
    // The base case, two per parameter, the grid, and the switch values' searches (a few
    // simulations per parameter and threshold, not counted).
    let simulations = 1 + 2 * ranges.len() as u64 + steps * steps;
    let (patients, _) = sizes_of(&s, options);
    let work = Workload::new(m, patients, simulations, 0);
    guard(&s, "this sensitivity analysis", work, options.threads, allow_large)?;
    check_target(&target)?;
    let mut progress =
        Progress::new(quiet, "{spinner} sensitivity [{bar:40}] {pos}/{len} simulations, ETA {eta}");
    let failed = run_failure;
    let runner = vbpsim::workflow::sensitivity::Runner::new(m, options).map_err(failed)?;
    let result = vbpsim::workflow::sensitivity::one_way(&runner, &mut |d, t| progress.update(d, t))
        .map_err(failed)?;
    let arm = vbpsim::workflow::sensitivity::focus_arm(m, &result.base, arm.as_deref())
        .map_err(|e| Failure::input(format!("error: {e}")))?;
    let mut switches = Vec::new();
    for (row, r) in result.rows.iter().enumerate() {
        for t in 0..m.meta.thresholds.len() {
            let value =
                vbpsim::workflow::sensitivity::switch_value(&runner, r, arm, t).map_err(failed)?;
            switches.push((row, t, value));
        }
    }
    let mut two_way = None;
    if let (Some(xy), Some((_, steps))) = (pair, grid) {
        let grid = vbpsim::workflow::sensitivity::two_way(&runner, xy, steps, &mut |d, t| {
            progress.update(d, t)
        })
        .map_err(failed)?;
        two_way = Some(grid);
    }
    let (rows, order) = (result.rows.len(), result.tornado_order(arm, k));
    let sensitivity = vbpsim::analysis::sensitivity::Sensitivity {
        one_way: result,
        arm,
        threshold: k,
        order,
        switches,
        two_way,
    };
    progress.finish();
    let displaced = target.displaces().then(|| target.aside());
    let dir = vbpsim::workflow::sensitivity::write_outputs(&s, &sensitivity, &target)
        .map_err(run_failure)?;
    let result = &sensitivity.one_way;
    // Said even with --quiet: it is about the user's own folder.
    note_displaced(&target, displaced);
    if !quiet {
        say!(
            "varied {} parameters ({} simulations of {} patients × {} strategies) in {:.2} s; wrote {}",
            rows,
            1 + 2 * rows,
            result.patients,
            m.strategies.len(),
            result.wall_seconds,
            dir.display()
        );
    }
    Ok(())
}

fn cmd_price(loaded: Result<Scenario, Failure>, sizes: &Sizes) -> Result<(), Failure> {
    let s = loaded?;
    let m = &s.model;
    if m.contracts.is_empty() {
        return Err(Failure::input(format!(
            "error: {} has no [[contracts]]: the threshold price is computed per contract arm\n  = help: add a contract of kind \"list\" on the drug to price it at list terms",
            s.source.name
        )));
    }
    let options = sizes.options();
    let (patients, samples) = sizes_of(&s, &options);
    let work = Workload::new(m, patients, 1 + samples, samples);
    guard(&s, "this run", work, options.threads, sizes.allow_large)?;
    let sim = simulate_with_progress(&s, &options, false)?;
    outln!("threshold (value-based) list price per cycle, {} per QALY:", m.meta.currency);
    for row in &sim.contracts {
        let r = &sim.summary[row.arm];
        let c = &m.contracts[row.contract];
        let prices: Vec<String> = m
            .meta
            .thresholds
            .iter()
            .zip(&row.threshold_price)
            .map(|(l, p)| match p {
                ThresholdPrice::At(p) => format!("at {l}: {p:.2}"),
                ThresholdPrice::NotEvenFree => {
                    format!("at {l}: none (not cost-effective even free)")
                }
                ThresholdPrice::AnyPrice => {
                    format!(
                        "at {l}: none (cost-effective at any price: the cost stops rising with it)"
                    )
                }
                ThresholdPrice::CostDoesNotRise => {
                    format!("at {l}: none (cost does not rise with price)")
                }
                ThresholdPrice::NotSearched => format!("at {l}: not computed"),
            })
            .collect();
        outln!(
            "  {}/{} ({} on {}): {}",
            m.strategies[r.strategy].name,
            c.name,
            c.kind.name(),
            m.drugs[c.drug],
            prices.join("; ")
        );
    }
    Ok(())
}

fn cmd_compare(
    paths: &[PathBuf],
    (out, force): (Option<PathBuf>, bool),
    thresholds: Vec<f64>,
    sizes: &Sizes,
    overrides: &Overrides,
    quiet: bool,
) -> Result<(), Failure> {
    // Every scenario is checked before any is simulated; all their errors are shown at once.
    let mut scenarios = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for p in paths {
        match load(Some(p), overrides) {
            Ok(s) => scenarios.push(s),
            Err(f) => errors.push(f.message),
        }
    }
    if !errors.is_empty() {
        return Err(Failure::input(errors.join("\n\n")));
    }
    let limit = vbpsim::model::limits::MAX_MAGNITUDE;
    for (i, l) in thresholds.iter().enumerate() {
        if !(l.is_finite() && (0.0..=limit).contains(l)) {
            return Err(Failure::input(format!(
                "error: --threshold {l}: expected a willingness to pay per QALY between 0 and {limit:e}"
            )));
        }
        if thresholds[..i].contains(l) {
            return Err(Failure::input(format!(
                "error: --threshold {l} is given twice: expected each threshold once"
            )));
        }
    }
    // NMB and costs in different currencies cannot share a table.
    let currency = &scenarios[0].model.meta.currency;
    if let Some(other) = scenarios.iter().find(|s| &s.model.meta.currency != currency) {
        return Err(Failure::input(format!(
            "error: {} is in {} but {} is in {currency}: compare needs one currency\n  = help: convert the costs, or set `scenario.currency` where it is only a label",
            other.source.name, other.model.meta.currency, scenarios[0].source.name
        )));
    }
    let thresholds = if thresholds.is_empty() { None } else { Some(thresholds) };
    if thresholds.is_none() && scenarios[0].model.meta.thresholds.is_empty() {
        return Err(Failure::input(format!(
            "error: {} has `thresholds = []`: the comparison reports NMB at a willingness to pay per QALY\n  = help: give one with --threshold, e.g. --threshold 100000",
            scenarios[0].source.name
        )));
    }
    let target = Target::new(out.unwrap_or_else(|| Path::new("output").join("compare")), force);
    let options = sizes.options();
    let mut work = Workload::new(&scenarios[0].model, 0, 0, 0);
    for s in &scenarios {
        let (patients, samples) = sizes_of(s, &options);
        work = work.and(Workload::new(&s.model, patients, 1 + samples, samples));
    }
    guard(&scenarios[0], "this comparison", work, options.threads, sizes.allow_large)?;
    check_target(&target)?;
    let mut progress =
        Progress::new(quiet, "{spinner} comparing [{bar:40}] {pos}/{len} scenarios, ETA {eta}");
    let failed = run_failure;
    let comparison =
        vbpsim::workflow::compare::run(scenarios, thresholds, &options, &mut |d, t| {
            progress.update(d, t)
        })
        .map_err(failed)?;
    progress.finish();
    let displaced = target.displaces().then(|| target.aside());
    let (dir, drawn) =
        vbpsim::workflow::compare::write_outputs(&comparison, &target).map_err(failed)?;
    // Said even with --quiet: it is about the user's own folder.
    note_displaced(&target, displaced);
    if !quiet {
        say!(
            "compared {} scenarios on seed {}; wrote {}",
            comparison.entries.len(),
            comparison.seed,
            dir.display()
        );
        if !drawn {
            say!(
                "note: no arm (strategy/contract) is common to every scenario, so comparison.png is not drawn; comparison.csv has every arm"
            );
        }
        let lambda = comparison.thresholds[0];
        for e in &comparison.entries {
            let m = &e.scenario.model;
            for a in e
                .sim
                .summary
                .iter()
                .filter(|a| a.strategy != m.meta.comparator || a.contract.is_some())
            {
                let arm = format!(
                    "{}/{}",
                    m.strategies[a.strategy].name,
                    vbpsim::output::tables::contract_name(m, a.contract)
                );
                let icer = a.icer.map_or(a.icer_status.as_str().to_string(), |x| {
                    format!("ICER {x:.0} {}/QALY", m.meta.currency)
                });
                say!(
                    "  {:<24} {:<32} inc. cost {:>11.0}  inc. QALY {:>7.4}  inc. NMB at {lambda} {:>11.0}  {}",
                    e.label,
                    arm,
                    a.inc_cost.mean,
                    a.inc_qaly.mean,
                    a.inc_nmb[0].mean,
                    icer
                );
            }
        }
    }
    Ok(())
}

fn cmd_check(loaded: Result<Scenario, Failure>) -> Result<(), Failure> {
    let s = loaded?;
    use std::io::Write as _;
    let _ = write!(std::io::stdout(), "{}", vbpsim::scenario::describe::summary(&s));
    Ok(())
}

fn cmd_init(path: PathBuf) -> Result<(), Failure> {
    if path.exists() {
        return Err(Failure::input(format!(
            "error: {} already exists; vbpsim init never overwrites a file\n  = help: give another path, e.g. `vbpsim init my_scenario.toml`",
            path.display()
        )));
    }
    std::fs::write(&path, scenario::DEFAULT_SCENARIO)
        .map_err(|e| Failure::other(format!("error: cannot write {}: {e}", path.display())))?;
    say!("wrote {}; run it with `vbpsim run {}`", path.display(), path.display());
    Ok(())
}

fn cmd_bench(
    loaded: Result<Scenario, Failure>,
    patients: u64,
    threads: Option<u64>,
    allow_large: bool,
) -> Result<(), Failure> {
    let s = loaded?;
    let options = RunOptions {
        patients: Some(patients),
        samples: Some(0),
        seed: None,
        threads: threads.map(|t| t as usize),
        simulation_only: true,
    };
    let work = Workload::new(&s.model, patients, 1, 0);
    guard(&s, "this benchmark", work, options.threads, allow_large)?;
    let sim = simulate_with_progress(&s, &options, true)?;
    let trajectories = sim.patients * s.model.strategies.len() as u64;
    outln!("scenario: {}", s.model.meta.name);
    outln!("threads: {}", sim.threads);
    outln!("patients: {}", sim.patients);
    outln!("trajectories: {trajectories} (patients × strategies)");
    outln!("wall_seconds: {:.3}", sim.wall_seconds);
    outln!("trajectories_per_second: {:.0}", trajectories as f64 / sim.wall_seconds);
    if let Some(c) = sim.cpu_seconds {
        outln!("cpu_seconds: {c:.3}");
    }
    match vbpsim::resources::peak_memory_mib() {
        Some(m) => outln!("peak_memory_mib: {m:.1}"),
        None => outln!("peak_memory_mib: unknown"),
    }
    Ok(())
}
