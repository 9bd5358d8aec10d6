//! An advisory lock on an output target, so that a second vbpsim writing the same folder is
//! told at once instead of silently overwriting the first one's result (or being overwritten).
//!
//! The lock is `flock(2)` on a hidden file beside the target, `.<name>.lock`, which holds the
//! holder's process id and host name for the message of a refused run. The kernel releases a
//! flock when its process ends however it ends, so a lock file left by a killed run blocks
//! nothing: the next run locks it and removes it when done. Removing the file on release is
//! safe because every process checks, once it holds the lock, that the path still names the
//! file it locked (and starts over if not): a process that locked a file since unlinked never
//! believes it holds the lock.

use super::FolderError;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// A held lock on an output target (or, where the file system has no locks, none): released
/// and its file removed when dropped.
pub struct Lock {
    held: Option<(File, PathBuf)>,
}

/// Attempts before giving up on a lock file that keeps being replaced under us.
const ATTEMPTS: usize = 100;

impl Lock {
    /// Lock `path` for the target shown as `target`, or report who holds it.
    pub(super) fn acquire(path: &Path, target: &str) -> Result<Lock, FolderError> {
        let in_the_way = || FolderError::LockInTheWay {
            path: target.to_string(),
            lock: path.display().to_string(),
        };
        for _ in 0..ATTEMPTS {
            let file = match open(path) {
                Ok(file) => file,
                // A link or a folder of that name: not ours to open.
                Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::EISDIR)) => {
                    return Err(in_the_way());
                }
                Err(source) => {
                    return Err(FolderError::Create { path: target.to_string(), source });
                }
            };
            match flock(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    return Err(FolderError::Busy {
                        path: target.to_string(),
                        holder: holder(file),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // A file system without locks (some network disks): nothing to hold.
                Err(_) => return Ok(Lock { held: None }),
            }
            // The holder before us may have removed the file after we opened it: then we hold
            // a lock on a file nobody else will open, and must lock the one at the path.
            let same = match (file.metadata(), std::fs::symlink_metadata(path)) {
                (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                _ => false,
            };
            if !same {
                continue;
            }
            let mut file = file;
            // A file of that name that vbpsim did not write is the user's: not truncated, not
            // removed.
            if !is_lock_file(&mut file) {
                return Err(in_the_way());
            }
            // Who holds it, for the message of a run refused meanwhile (best effort: a lock
            // file opened read-only, in a folder shared with another user, stays as it was).
            let me = format!("{} {}\n", std::process::id(), super::host());
            let _ = file.set_len(0).and_then(|()| file.write_all(me.as_bytes()));
            return Ok(Lock { held: Some((file, path.to_path_buf())) });
        }
        Err(FolderError::Busy { path: target.to_string(), holder: String::new() })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Unlinked while still locked, then unlocked by closing the file.
        if let Some((file, path)) = self.held.take() {
            let _ = std::fs::remove_file(&path);
            drop(file);
        }
    }
}

/// The lock file, created if missing; never through a symbolic link. Read-only where it
/// belongs to another user (a flock needs only an open file).
fn open(path: &Path) -> std::io::Result<File> {
    let open = |write: bool| {
        OpenOptions::new()
            .read(true)
            .write(write)
            .create(write)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
    };
    match open(true) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => open(false).or(Err(e)),
        other => other,
    }
}

/// Take the exclusive lock without waiting.
fn flock(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor this function borrows open.
    let done = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if done == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

/// Whether an open file is empty or reads as a vbpsim lock file, `<pid> <host>` on one line.
fn is_lock_file(file: &mut File) -> bool {
    let mut text = String::new();
    let read = file.rewind().and_then(|()| file.take(201).read_to_string(&mut text));
    if read.is_err() || text.len() > 200 {
        return false;
    }
    // What a holder killed while writing it may leave too: nothing, or its pid alone.
    let mut words = text.split_whitespace();
    let pid = words.next();
    let host = words.next().unwrap_or_default();
    text.lines().count() <= 1
        && pid.is_none_or(|p| p.parse::<u32>().is_ok())
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        && words.next().is_none()
}

/// `" (process <pid> on <host>)"` as the holder wrote it, or nothing if it cannot be read (the
/// holder may not have written it yet).
fn holder(mut file: File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|()| file.take(200).read_to_string(&mut text));
    let mut words = text.split_whitespace();
    let Some(pid) = words.next().and_then(|p| p.parse::<u32>().ok()) else { return String::new() };
    let host: String = words
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(64)
        .collect();
    if host.is_empty() {
        format!(" (process {pid})")
    } else {
        format!(" (process {pid} on {host})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holder_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".out.lock");
        let first = Lock::acquire(&path, "out").unwrap();
        assert!(first.held.is_some(), "this file system has locks");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(&format!("{} ", std::process::id())), "{text}");
        // A second open file description conflicts even within one process.
        match Lock::acquire(&path, "out") {
            Err(FolderError::Busy { path, holder }) => {
                assert_eq!(path, "out");
                assert!(holder.starts_with(&format!(" (process {}", std::process::id())));
            }
            other => panic!("expected Busy, found {:?}", other.map(|_| ())),
        }
        drop(first);
        assert!(!path.exists(), "the lock file is removed on release");
        // A stale file (its process gone) blocks nothing.
        std::fs::write(&path, "1 elsewhere\n").unwrap();
        let again = Lock::acquire(&path, "out").unwrap();
        drop(again);
        assert!(!path.exists());
        // A file of that name that vbpsim did not write is left as it is; so is a link.
        std::fs::write(&path, "my own notes\n").unwrap();
        assert!(matches!(Lock::acquire(&path, "out"), Err(FolderError::LockInTheWay { .. })));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "my own notes\n");
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("elsewhere", &path).unwrap();
        assert!(matches!(Lock::acquire(&path, "out"), Err(FolderError::LockInTheWay { .. })));
        assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_symlink());
    }
}
