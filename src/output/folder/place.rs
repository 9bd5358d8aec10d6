//! What stands at an output folder's target, judged without following a link: nothing, a
//! regular folder or file, or something vbpsim never writes nor moves (a link, a device, a
//! pipe, a socket, a mount point, the operating system's folders); and whether the user owns
//! it, for `--force`.

#[cfg(target_os = "linux")]
use super::c_path;
use super::{FolderError, parent_of};
use std::path::{Component, Path, PathBuf};

/// What stands at a target, judged without following a link: nothing, or a regular folder or
/// file (the only things vbpsim ever replaces or, with `--force`, moves aside).
pub(super) enum Found {
    Absent,
    Folder,
    File,
}

/// What stands at `path`, or the refusal that neither a lock nor `--force` changes: a path
/// without a final name (`.`, `..`, `/`), a symbolic link (dangling or not), a device, a
/// pipe, a socket, or a mount point. A path that cannot be examined (a file where a parent
/// folder should be, a parent that may not be searched) counts as absent: creating the
/// folders beside it then fails with the system's reason.
pub(super) fn inspect(path: &Path) -> Result<Found, FolderError> {
    use std::os::unix::fs::FileTypeExt;
    let shown = path.display().to_string();
    if path.file_name().is_none() {
        let root = std::fs::canonicalize(path).is_ok_and(|p| p.parent().is_none());
        return Err(if root {
            FolderError::MountPoint { path: shown }
        } else {
            FolderError::NoName { path: shown }
        });
    }
    let system = |exists| match system_place(path, exists) {
        Some(place) => Err(FolderError::SystemPath { path: path.display().to_string(), place }),
        None => Ok(()),
    };
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        system(false)?;
        return Ok(Found::Absent);
    };
    let t = meta.file_type();
    if t.is_symlink() {
        let link = std::fs::read_link(path).unwrap_or_default();
        let resolved = std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.parent().unwrap_or(Path::new("")).join(&link));
        return Err(FolderError::Link {
            path: shown,
            points_to: link.display().to_string(),
            resolved: resolved.display().to_string(),
        });
    }
    let special = if t.is_char_device() || t.is_block_device() {
        Some("a device")
    } else if t.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        None
    };
    if let Some(what) = special {
        return Err(FolderError::Special { path: shown, what });
    }
    if mount_point(path, &meta) {
        return Err(FolderError::MountPoint { path: shown });
    }
    system(true)?;
    Ok(if t.is_dir() { Found::Folder } else { Found::File })
}

/// The operating system's own folders: nothing vbpsim writes belongs inside them, and
/// `--force` must never move one of their files aside.
const SYSTEM_TREES: &[&str] =
    &["bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "sys", "usr"];

/// Where `path` lies if it is among the operating system's files: inside one of
/// [`SYSTEM_TREES`] (whether or not it exists), or, existing, a folder or file at the top of
/// the file system (`/home`, `/var`, …). Judged on the path with its folders' links resolved
/// (its last name is not followed: a link there is refused on its own).
fn system_place(path: &Path, exists: bool) -> Option<String> {
    let name = path.file_name()?;
    let folder = resolved_folder(&parent_of(path))?;
    let full = folder.join(name);
    let mut parts = full.components().skip_while(|c| matches!(c, Component::RootDir));
    let top = parts.next()?.as_os_str().to_string_lossy().into_owned();
    if SYSTEM_TREES.contains(&top.as_str()) {
        return Some(format!("inside /{top}"));
    }
    (exists && parts.next().is_none()).then(|| format!("/{top}, at the top of the file system"))
}

/// A folder's absolute path with every link resolved, for a folder that may not exist yet:
/// its nearest existing ancestor resolved, then the names below it.
fn resolved_folder(folder: &Path) -> Option<PathBuf> {
    let absolute = if folder.is_absolute() {
        folder.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(folder)
    };
    let mut rest = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(at) {
            return Some(rest.iter().rev().fold(real, |p: PathBuf, n| p.join(n)));
        }
        rest.push(at.file_name()?.to_os_string());
        at = at.parent()?;
    }
}

/// Whether `path` (of metadata `meta`, not a link) is where a file system is mounted: on
/// another device than its folder, or (a bind mount of the same device) marked as a mount's
/// root by the kernel.
fn mount_point(path: &Path, meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    let other_device = std::fs::metadata(parent_of(path)).is_ok_and(|p| p.dev() != meta.dev());
    other_device || mount_root(path)
}

/// The kernel's `STATX_ATTR_MOUNT_ROOT` (Linux 5.8 and later; false where unknown).
#[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
fn mount_root(path: &Path) -> bool {
    let Ok(c) = c_path(path) else { return false };
    // SAFETY: statx fills a plain C struct, for which all-zero bytes are a valid value.
    let mut buf: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: a valid NUL-terminated path and a buffer of the size statx writes.
    let done =
        unsafe { libc::statx(libc::AT_FDCWD, c.as_ptr(), libc::AT_SYMLINK_NOFOLLOW, 0, &mut buf) };
    let bit = libc::STATX_ATTR_MOUNT_ROOT as u64;
    done == 0 && buf.stx_attributes_mask & bit != 0 && buf.stx_attributes & bit != 0
}

#[cfg(not(all(target_os = "linux", any(target_env = "gnu", target_env = "musl"))))]
fn mount_root(_: &Path) -> bool {
    false
}

/// `--force` moves aside only what belongs to the user who runs vbpsim.
pub(super) fn owned(path: &Path) -> Result<(), FolderError> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.uid() != me => {
            Err(FolderError::NotOwned { path: path.display().to_string(), owner: meta.uid() })
        }
        _ => Ok(()),
    }
}

/// A name longer than the file system of its folder takes (`NAME_MAX`, 255 bytes on Linux's
/// file systems) would be refused only when the finished folder is moved into place, after
/// the simulation: refused before. The folder above must exist (it is created first).
pub(super) fn name_fits(path: &Path) -> Result<(), FolderError> {
    let Some(name) = path.file_name() else { return Ok(()) };
    let bytes = name.len();
    let most = name_max(&parent_of(path)).unwrap_or(255);
    if bytes > most {
        return Err(FolderError::NameTooLong { path: path.display().to_string(), bytes, most });
    }
    Ok(())
}

/// The longest name the file system of `folder` takes, as `pathconf` reports it.
fn name_max(folder: &Path) -> Option<usize> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(folder.as_os_str().as_bytes()).ok()?;
    // SAFETY: a NUL-terminated path; pathconf only reads it.
    let most = unsafe { libc::pathconf(c.as_ptr(), libc::_PC_NAME_MAX) };
    usize::try_from(most).ok().filter(|&m| m > 0)
}
