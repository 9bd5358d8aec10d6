//! Standard output, checked: `check`, `price`, `bench` and `--help` print their results there,
//! and a result that did not reach its reader is a failure, not a success with an empty or cut
//! file (`vbpsim price > prices.txt` on a full disk exited 0 with a 0-byte file).
//!
//! Every write goes through [`print`], which writes and flushes at once and returns the error:
//! exit 1, `error: cannot write to standard output: <reason>` with a hint. A closed pipe is
//! the exception: `vbpsim check x | head -1` stops reading on purpose, so vbpsim stops quietly
//! with exit code 0, as ripgrep does (and as a process killed by SIGPIPE would, but without
//! the 141 that `set -o pipefail` scripts would take for a failure). Writes to standard error
//! (messages, the progress bar) ignore their errors: there is nowhere left to report them.

use super::failure::Failure;
use std::io::{ErrorKind, Write as _};

/// Write `text` to standard output and flush it.
pub fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| failure(&e))
}

/// Flush standard output (after a library that writes to it, e.g. clap's help).
pub fn flush() -> Result<(), Failure> {
    std::io::stdout().lock().flush().map_err(|e| failure(&e))
}

/// A write to standard output that failed: exit 1 with the reason, or a quiet stop (exit 0)
/// when the reader closed the pipe.
pub fn failure(e: &std::io::Error) -> Failure {
    if e.kind() == ErrorKind::BrokenPipe {
        return Failure::quiet();
    }
    let hint = match vbpsim::output::refusal(e.kind()) {
        Some(why) => format!("{why}; free space, or redirect standard output elsewhere"),
        None => "redirect standard output to a file or a program that takes it".to_string(),
    };
    Failure::other(format!("error: cannot write to standard output: {e}\n  = help: {hint}"))
}
