//! Reading a scenario file, bounded: a scenario and every file it `extends` is a short text
//! file, so vbpsim reads only regular files (a symbolic link to one is fine), at most
//! [`MAX_SCENARIO_BYTES`] of them, and refuses text with a NUL byte.
//!
//! Without these bounds a path is a way to make vbpsim misbehave: `/dev/zero` grows memory
//! until the kernel kills the process, a FIFO blocks it forever, a 1 GB file of zero bytes
//! took 37 s and 4.2 GB to be refused with a 2.1 GB error quoting it, and `/proc/self/environ`
//! (a file the kernel reports as empty, its entries separated by NUL bytes) put the
//! environment in an error message. The kind is read before the file is opened (opening a
//! device may do something), the file is opened without blocking and checked again once open,
//! and reading stops one byte past the maximum whatever size the file claims.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Most bytes a scenario file may hold (4 MiB): the bundled scenarios hold 3 to 20 KiB.
pub const MAX_SCENARIO_BYTES: u64 = 4 << 20;

/// Why a scenario file could not be read as text.
#[derive(Debug)]
pub enum FileError {
    /// The system refused (missing file, no permission, …).
    Io(std::io::Error),
    /// A directory.
    Directory,
    /// Not a regular file: what it is ("a character device", …).
    NotAFile(&'static str),
    /// More than [`MAX_SCENARIO_BYTES`].
    TooLarge,
    /// A NUL byte at this line and column (1-based, columns in characters).
    Nul { line: usize, column: usize },
    /// A byte that is not UTF-8 at this line and column.
    NotUtf8 { line: usize, column: usize, byte: u8 },
}

/// What a file that is not regular is, in words.
fn kind_of(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Whether a file's kind may be read as a scenario.
fn readable(t: std::fs::FileType) -> Result<(), FileError> {
    if t.is_file() {
        Ok(())
    } else if t.is_dir() {
        Err(FileError::Directory)
    } else {
        Err(FileError::NotAFile(kind_of(t)))
    }
}

/// The text of a scenario file: a regular file (or a link to one) of at most
/// [`MAX_SCENARIO_BYTES`], UTF-8 without a NUL byte.
pub fn read_text(path: &Path) -> Result<String, FileError> {
    use std::os::unix::fs::OpenOptionsExt;
    readable(std::fs::metadata(path).map_err(FileError::Io)?.file_type())?;
    // Non-blocking, in case the file was swapped for a FIFO since: its kind is checked again
    // on the open file.
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(FileError::Io)?;
    let meta = file.metadata().map_err(FileError::Io)?;
    readable(meta.file_type())?;
    if meta.len() > MAX_SCENARIO_BYTES {
        return Err(FileError::TooLarge);
    }
    let mut bytes = Vec::new();
    file.take(MAX_SCENARIO_BYTES + 1).read_to_end(&mut bytes).map_err(FileError::Io)?;
    text(bytes)
}

/// Bytes read from a scenario file as its text: at most [`MAX_SCENARIO_BYTES`], no NUL byte,
/// UTF-8.
pub fn text(bytes: Vec<u8>) -> Result<String, FileError> {
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(FileError::TooLarge);
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        let (line, column) = position(&bytes, at);
        return Err(FileError::Nul { line, column });
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let (line, column) = position(e.as_bytes(), at);
        FileError::NotUtf8 { line, column, byte: e.as_bytes().get(at).copied().unwrap_or(0) }
    })
}

/// Line and column (1-based, columns in characters, bytes that are not UTF-8 counted as one)
/// of byte `at`.
fn position(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
}

impl FileError {
    /// The message for file `path`, which the messages call `what` ("scenario", "base
    /// scenario"): the path and the problem, never the file's content.
    pub fn describe(&self, what: &str, path: &str) -> String {
        match self {
            FileError::Io(e) => format!("cannot read {what} {path}: {e}"),
            FileError::Directory => format!("{what} {path} is a directory, expected a .toml file"),
            FileError::NotAFile(kind) => {
                format!("cannot read {what} {path}: expected a regular file, found {kind}")
            }
            FileError::TooLarge => format!(
                "cannot read {what} {path}: it is larger than {} MiB, the most a scenario file may hold",
                MAX_SCENARIO_BYTES >> 20
            ),
            FileError::Nul { line, column } => {
                format!("{what} {path}:{line}:{column}: a scenario is text; found a NUL byte")
            }
            FileError::NotUtf8 { line, column, byte } => {
                format!("{what} {path}:{line}:{column}: {}", super::not_utf8(*byte))
            }
        }
    }

    /// What the user can do about it.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            FileError::Io(_) | FileError::Directory | FileError::NotAFile(_) => None,
            FileError::TooLarge | FileError::Nul { .. } => {
                Some("a scenario is a TOML text file of a few kilobytes; is this the right file?")
            }
            FileError::NotUtf8 { .. } => Some(super::NOT_UTF8_HELP),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_bounded_and_has_no_nul() {
        assert_eq!(text(b"a = 1\n".to_vec()).unwrap(), "a = 1\n");
        let nul = text(b"a = 1\nb\xc3\xa9c\0d".to_vec()).unwrap_err();
        assert!(matches!(nul, FileError::Nul { line: 2, column: 4 }), "{nul:?}");
        let latin = text(b"a\n\xe9".to_vec()).unwrap_err();
        assert!(matches!(latin, FileError::NotUtf8 { line: 2, column: 1, byte: 0xe9 }));
        let most = MAX_SCENARIO_BYTES as usize;
        assert!(text(vec![b'#'; most]).is_ok());
        assert!(matches!(text(vec![b'#'; most + 1]), Err(FileError::TooLarge)));
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_text(dir.path()).unwrap_err();
        assert!(matches!(e, FileError::Directory), "{e:?}");
        let e = read_text(Path::new("/dev/null")).unwrap_err();
        assert!(matches!(e, FileError::NotAFile("a character device")), "{e:?}");
        let file = dir.path().join("s.toml");
        std::fs::write(&file, "a = 1\n").unwrap();
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_text(&link).unwrap(), "a = 1\n");
        let message = FileError::NotAFile("a socket").describe("base scenario", "x.toml");
        assert_eq!(
            message,
            "cannot read base scenario x.toml: expected a regular file, found a socket"
        );
    }
}
