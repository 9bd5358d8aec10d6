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

/// `text` with every control character but the line break and the tab replaced by its
/// Unicode control picture (ESC → ␛, DEL → ␡; the C1 controls by �): a message quoting a
/// scenario's or a path's text must not send escape sequences to the user's terminal. One
/// character for one, so a caret under a quoted line stays in its column.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let picture = |c: char| match c as u32 {
        n @ 0..=0x1f => char::from_u32(0x2400 + n).unwrap_or('\u{fffd}'),
        0x7f => '\u{2421}',
        _ => '\u{fffd}',
    };
    text.chars().map(|c| if hidden(c) { picture(c) } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(visible("plain\n\ttext"), "plain\n\ttext");
        assert_eq!(visible("a\u{1b}[31mRED\u{7}\r"), "a\u{241b}[31mRED\u{2407}\u{240d}");
        assert_eq!(visible("\u{7f}\u{9b}"), "\u{2421}\u{fffd}");
    }
}
