//! Failures and exit codes: 0 success, 2 invalid input (the scenario, the arguments, an
//! output folder vbpsim may not replace, a run too large for the machine), 1 anything else
//! (I/O, the environment). Every message is `error: …`, with `  = help: …` where there is
//! something to do.

use std::process::ExitCode;
use vbpsim::output::OutputError;
use vbpsim::output::folder::{FolderError, Lock, Target};
use vbpsim::scenario::LoadError;
use vbpsim::workflow::{RunError, TooManyThreads};

/// A failure with its exit code.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// Invalid input: exit code 2.
    pub fn input(message: impl Into<String>) -> Self {
        Failure { code: 2, message: message.into() }
    }

    /// Anything else: exit code 1.
    pub fn other(message: impl Into<String>) -> Self {
        Failure { code: 1, message: message.into() }
    }

    /// A stop without a message or a failing exit code: the reader of standard output closed
    /// the pipe (see `console`).
    pub fn quiet() -> Self {
        Failure { code: 0, message: String::new() }
    }

    /// An invalid input with what to do about it, `help`.
    pub fn refused(e: impl std::fmt::Display, help: Option<&str>) -> Self {
        match help {
            Some(help) => Failure::input(format!("error: {e}\n  = help: {help}")),
            None => Failure::input(format!("error: {e}")),
        }
    }
}

impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Self {
        match (&e, e.help()) {
            (LoadError::Invalid(errors), _) => Failure::input(errors.to_string()),
            (_, help) => Failure::refused(&e, help),
        }
    }
}

/// An output folder that cannot be written: a folder vbpsim may not replace is the user's
/// choice (exit 2, with --force as the way out); a disk that refuses is the machine's (exit 1).
pub fn folder_failure(e: &FolderError) -> Failure {
    let message = format!("error: {e}\n  = help: {}", e.hint());
    if e.is_refusal() { Failure::input(message) } else { Failure::other(message) }
}

/// What to do when values drawn for a PSA sample or a one-way range make the model impossible.
const IMPOSSIBLE_DRAW_HELP: &str = "each field checks the values its parameter can take, but this rule joins several fields: narrow their distributions or ranges, or draw them jointly, so that every combination is possible";

/// A run's failure: output-folder problems as [`folder_failure`], other writes exit 1 with
/// the reason; too many threads, and parameter values drawn (PSA) or set (one-way ranges)
/// that make the model impossible, exit 2 (the scenario's input); the rest exit 1.
pub fn run_failure(e: RunError) -> Failure {
    match &e {
        RunError::Output(OutputError::Folder(f)) => folder_failure(f),
        RunError::Output(o) => Failure::other(format!("error: {e}\n  = help: {}", o.hint())),
        RunError::TooManyThreads(_) => Failure::refused(&e, Some(TooManyThreads::HELP)),
        RunError::Sample { .. } | RunError::Sensitivity { .. } => {
            Failure::refused(&e, Some(IMPOSSIBLE_DRAW_HELP))
        }
        _ => Failure::other(format!("error: {e}")),
    }
}

/// The exit code of a command, its message (if any) on standard error.
pub fn exit(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !f.message.is_empty() {
                say!("{}", f.message);
            }
            ExitCode::from(f.code)
        }
    }
}

/// Check an output folder before simulating, so that a long run is not thrown away, and lock
/// it: hold the lock until the folder is written (a second vbpsim writing it is refused).
pub fn check_target(target: &Target) -> Result<Lock, Failure> {
    vbpsim::output::folder::check_target(target).map_err(|e| folder_failure(&e))
}

/// A command-line misuse (unknown flag, bad number, missing value…) as one line and a hint,
/// exit 2; help and version go to stdout as clap writes them (checked: a help that cannot be
/// written is exit 1 with the reason).
pub fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::CommandFactory as _;
    use clap::error::ErrorKind;
    let print = || {
        e.print().map_err(|io| super::console::failure(&io))?;
        super::console::flush()
    };
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => return exit(print()),
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // On standard error, like every other message.
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
    let cli = super::args::Cli::command();
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
