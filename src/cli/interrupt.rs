//! Ctrl-C during a run with a checkpoint: say how many PSA samples are kept and that the same
//! command with `--resume` continues from them, then exit 130 (as a shell reports SIGINT).
//! Without this the run stopped silently and the user did not learn that the samples were
//! kept, or how to use them.
//!
//! The handler runs in a signal context, so it only reads an atomic counter, formats the number
//! into a buffer on its stack and calls `write(2)` and `_exit(2)`, which are async-signal-safe;
//! the rest of the message is composed before the handler is installed.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Samples in the checkpoint, as it counts them after each complete line.
static KEPT: AtomicUsize = AtomicUsize::new(0);
/// The message around the number: before it and after it.
static MESSAGE: OnceLock<(String, String)> = OnceLock::new();

/// Record that the checkpoint holds `n` samples.
pub fn kept(n: usize) {
    KEPT.store(n, Ordering::Relaxed);
}

/// Install the handler for a run whose checkpoint is `folder`.
pub fn on_interrupt_keep(folder: &std::path::Path) {
    let _ = MESSAGE.set((
        "\ninterrupted: ".to_string(),
        format!(
            " PSA samples are kept in {}; the same command with --resume continues from them\n",
            folder.display()
        ),
    ));
    // SAFETY: installs a handler that only calls async-signal-safe functions (see above).
    unsafe {
        let handler: extern "C" fn(libc::c_int) = handle;
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
    }
}

/// Give Ctrl-C back its default (the process ends), once the checkpoint is gone.
pub fn restore() {
    // SAFETY: resets SIGINT to its default disposition.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

/// The decimal digits of `n` at the end of `buf`; returns where they start.
fn digits(mut n: usize, buf: &mut [u8; 20]) -> usize {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return at;
        }
    }
}

extern "C" fn handle(_: libc::c_int) {
    let mut number = [0u8; 20];
    let from = digits(KEPT.load(Ordering::Relaxed), &mut number);
    if let Some((before, after)) = MESSAGE.get() {
        for part in [before.as_bytes(), &number[from..], after.as_bytes()] {
            // SAFETY: write(2) on standard error with a valid buffer and its length.
            unsafe {
                libc::write(2, part.as_ptr().cast(), part.len());
            }
        }
    }
    // SAFETY: _exit(2) ends the process at once, without running any handler or destructor.
    unsafe { libc::_exit(130) }
}

#[cfg(test)]
mod tests {
    use super::digits;

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 10, 4096, usize::MAX] {
            let mut buf = [0u8; 20];
            let from = digits(n, &mut buf);
            assert_eq!(std::str::from_utf8(&buf[from..]).unwrap(), n.to_string());
        }
    }
}
