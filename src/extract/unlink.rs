/*!
Removing what stands where a member goes: an empty directory in the way of a file (GNU tar and
bsdtar remove it too), and with `--recursive-unlink` a directory with everything in it. All by
directory fd and name, following no symlink (a symlink inside is removed, never followed), and
never into another filesystem mounted inside (`rm -rf --one-file-system`).
*/

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};
use rustix::io::Errno;

/// Deepest a removed tree may be: each level holds a directory fd open.
const DEPTH_MAX: usize = 512;

/// Runs `rename` (of a new non-directory onto `name` in `dir`), and when an empty directory is
/// in the way (EISDIR), removes it and runs `rename` once more; a directory with something in
/// it stays, and the error is the first rename's.
/// `removed` is told the removed directory's dev and inode, the moment it is gone.
pub fn over_empty_dir(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    rename: impl Fn() -> rustix::io::Result<()>,
    removed: &dyn Fn((u64, u64)),
) -> rustix::io::Result<()> {
    match rename() {
        Err(Errno::ISDIR) => {
            let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).map_err(|_| Errno::ISDIR)?;
            match rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
                Ok(()) => removed((st.st_dev, st.st_ino)),
                // Not empty: the member's error is that a directory is in the way.
                Err(Errno::NOTEMPTY | Errno::EXIST) => return Err(Errno::ISDIR),
                Err(e) => return Err(e),
            }
            rename()
        }
        other => other,
    }
}

/// Whether the directory `name` in `dir` holds nothing (false when it cannot be read).
pub fn is_empty_dir(dir: BorrowedFd<'_>, name: &OsStr) -> bool {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let Ok(fd) = rustix::fs::openat(dir, name, flags, Mode::empty()) else { return false };
    let Ok(mut entries) = Dir::read_from(&fd) else { return false };
    entries.all(|e| e.is_ok_and(|e| matches!(e.file_name().to_bytes(), b"." | b"..")))
}

/// Removes the directory `name` in `dir` with everything in it. What is mounted beneath it
/// (another filesystem, or a bind mount of the same one) stops the removal with an error naming
/// the mount point; what was removed before it stays removed, as with `rm -r --one-file-system`.
pub fn remove_tree(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let mount = mount_of(dir)?;
    remove_in(dir, name, mount, &mut name.as_bytes().to_vec(), 0)
}

/// The mount a directory is on: its mount id (Linux 5.8), else its device.
fn mount_of(fd: BorrowedFd<'_>) -> io::Result<(bool, u64)> {
    use rustix::fs::{StatxFlags, statx};
    match statx(fd, "", AtFlags::EMPTY_PATH, StatxFlags::MNT_ID) {
        Ok(st) if StatxFlags::from_bits_retain(st.stx_mask).contains(StatxFlags::MNT_ID) => Ok((true, st.stx_mnt_id)),
        _ => Ok((false, rustix::fs::fstat(fd)?.st_dev)),
    }
}

/// `shown`: the path of `name` from the directory `remove_tree` was given, for messages.
fn remove_in(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    mount: (bool, u64),
    shown: &mut Vec<u8>,
    depth: usize,
) -> io::Result<()> {
    let show = |shown: &[u8]| crate::list::quote_name(shown);
    if depth >= DEPTH_MAX {
        return Err(io::Error::other(format!(
            "{}: more than {DEPTH_MAX} directory levels to remove; remove it by hand",
            show(shown)
        )));
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::empty())?;
    if mount_of(fd.as_fd())? != mount {
        return Err(io::Error::other(format!(
            "{} is a mount point; not removed (unmount it first; what came before it in the directory is removed)",
            show(shown)
        )));
    }
    // Names first, then removals: a directory's listing is not read while it changes.
    let mut names: Vec<(Vec<u8>, FileType)> = Vec::new();
    for entry in Dir::read_from(&fd)? {
        let entry = entry?;
        let n = entry.file_name().to_bytes();
        if n != b"." && n != b".." {
            names.push((n.to_vec(), entry.file_type()));
        }
    }
    for (n, ty) in names {
        let n = OsStr::from_bytes(&n);
        let is_dir = match ty {
            FileType::Directory => true,
            FileType::Unknown => rustix::fs::statat(&fd, n, AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|s| FileType::from_raw_mode(s.st_mode) == FileType::Directory),
            _ => false,
        };
        if is_dir {
            let len = shown.len();
            shown.push(b'/');
            shown.extend_from_slice(n.as_bytes());
            remove_in(fd.as_fd(), n, mount, shown, depth + 1)?;
            shown.truncate(len);
        } else {
            match rustix::fs::unlinkat(&fd, n, AtFlags::empty()) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    match rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_a_tree_without_following_symlinks() {
        let t = tempfile::tempdir().unwrap();
        let outside = t.path().join("outside");
        std::fs::create_dir_all(outside.join("keep")).unwrap();
        std::fs::write(outside.join("keep/f"), "x").unwrap();
        let d = t.path().join("d");
        std::fs::create_dir_all(d.join("a/b/c")).unwrap();
        std::fs::write(d.join("a/b/c/f"), "x").unwrap();
        std::fs::write(d.join("top"), "x").unwrap();
        std::os::unix::fs::symlink(&outside, d.join("a/link")).unwrap();
        std::os::unix::fs::symlink(outside.join("keep"), d.join("a/b/dirlink")).unwrap();
        let root = rustix::fs::open(t.path(), OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap();
        remove_tree(root.as_fd(), OsStr::new("d")).unwrap();
        assert!(!d.exists());
        assert_eq!(std::fs::read_to_string(outside.join("keep/f")).unwrap(), "x");
        // A symlink itself is not a directory to remove.
        std::os::unix::fs::symlink(&outside, t.path().join("l")).unwrap();
        assert!(remove_tree(root.as_fd(), OsStr::new("l")).is_err());
        assert!(outside.join("keep/f").exists());
    }
}
