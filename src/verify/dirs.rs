/*!
The directories a verify looks members up in: each member's name is looked up in its open
directory (beneath the root, through no symlink, for archive members) instead of its whole path
walked twice (lstat, then getxattr).
*/

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, OFlags};

use crate::extract::beneath::{Dest, is_blocked, open_regular_at};

/// The directory of the last file checked, open with O_PATH: members come directory by
/// directory, so a check looks one name up in it instead of walking the whole path twice.
#[derive(Default)]
pub(super) struct Dirs {
    /// The root, for archive members (`Dirs::beneath`).
    pub(super) dest: Option<Dest>,
    path: PathBuf,
    fd: Option<OwnedFd>,
    /// The last name looked up, NUL-terminated: reused, as a member's check needs no allocation.
    name: Vec<u8>,
}

impl Dirs {
    /// The open directory holding `path` and its last component; where there is none (the
    /// whole path is then used), why, where opening it failed: the error a lookup of the whole
    /// path would give, which one of PATH_MAX bytes or more cannot be asked for (found by
    /// review: a directory missing from a deep manifest path was "File name too long", not
    /// missing on disk).
    pub(super) fn parent_of_or_why(
        &mut self,
        path: &Path,
    ) -> Result<(BorrowedFd<'_>, &CStr), Option<rustix::io::Errno>> {
        self.open_parent(path)?;
        let fd = self.fd.as_ref().ok_or(None)?;
        Ok((fd.as_fd(), CStr::from_bytes_with_nul(&self.name).map_err(|_| None)?))
    }

    /// Holds `path`'s directory open and its last component in `name`, for `parent_of_or_why`.
    fn open_parent(&mut self, path: &Path) -> Result<(), Option<rustix::io::Errno>> {
        // Only a path that ends in its name: `Path` would also split `x/`, `x/.` as `x`, where
        // lstat answers for a directory (and fails on a file).
        let last = path.file_name().ok_or(None)?.as_bytes();
        if !path.as_os_str().as_bytes().ends_with(last) {
            return Err(None);
        }
        set_name(&mut self.name, last).ok_or(None)?;
        let parent = match path.parent().ok_or(None)? {
            p if p.as_os_str().is_empty() => Path::new("."),
            p => p,
        };
        // Compared as bytes: `Path`'s own comparison walks components.
        if self.fd.is_none() || self.path.as_os_str().as_bytes() != parent.as_os_str().as_bytes() {
            self.fd = None;
            self.fd = Some(open_dir_in_pieces(parent.as_os_str().as_bytes()).map_err(Some)?);
            parent.clone_into(&mut self.path);
        }
        Ok(())
    }
}

/// The directory `path` opened (O_PATH), as a path is looked up (its symlinks followed); one of
/// PATH_MAX bytes or more in pieces shorter than that, each opened in the one before (found by
/// audit: a manifest's file deeper than 4096 bytes, which `caps scan` finds and records, was
/// "File name too long" without `-C`).
fn open_dir_in_pieces(path: &[u8]) -> Result<OwnedFd, rustix::io::Errno> {
    use std::os::unix::ffi::OsStrExt;
    const PATH_MAX: usize = libc::PATH_MAX as usize;
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut at: Option<OwnedFd> = None;
    let mut rest = path;
    loop {
        let dir = at.as_ref().map_or(rustix::fs::CWD, |fd| fd.as_fd());
        let last = rest.len() < PATH_MAX;
        // After the last `/` that leaves a piece shorter than PATH_MAX (a component is at most
        // NAME_MAX bytes); `/` alone, for an absolute path's first piece.
        let cut = match last {
            true => rest.len(),
            false => rest[..PATH_MAX]
                .iter()
                .rposition(|&b| b == b'/')
                .map(|i| i.max(1))
                .ok_or(rustix::io::Errno::NAMETOOLONG)?,
        };
        let fd = rustix::fs::openat(dir, std::ffi::OsStr::from_bytes(&rest[..cut]), flags, rustix::fs::Mode::empty())?;
        if last {
            return Ok(fd);
        }
        at = Some(fd);
        rest = &rest[cut..];
        while let [b'/', tail @ ..] = rest {
            rest = tail;
        }
    }
}

/// `name` NUL-terminated in `buf`; `None` when it holds a NUL.
fn set_name(buf: &mut Vec<u8>, name: &[u8]) -> Option<()> {
    if memchr::memchr(0, name).is_some() {
        return None;
    }
    buf.clear();
    buf.extend_from_slice(name);
    buf.push(0);
    Some(())
}

/// Why a member's path beneath the root leads nowhere.
pub(super) enum Unreachable {
    Missing,
    /// A symlink (or a file) stands where a parent directory should: never followed.
    ThroughSymlink,
}

impl Dirs {
    /// Resolves archive members beneath `root` (symlinks in their paths are not followed;
    /// with `dir_symlinks`, `--keep-directory-symlink`, they are, within the root).
    pub(super) fn beneath(root: &Path, dir_symlinks: bool) -> Dirs {
        let mut dest = Dest::open_for_lookup(root).ok();
        if dir_symlinks && let Some(d) = dest.as_mut() {
            // Checked to work before the verify starts (`verify`).
            let _ = d.keep_dir_symlinks();
        }
        Dirs { dest, ..Dirs::default() }
    }

    /// Whether symlinks to directories are followed (`--keep-directory-symlink`).
    pub(super) fn keeps_dir_symlinks(&self) -> bool {
        self.dest.as_ref().is_some_and(Dest::keeps_dir_symlinks)
    }

    /// Whether `rel`, a directory member found as a symlink, is one `extract
    /// --keep-directory-symlink` keeps: followed within the root, it leads to a directory.
    pub(super) fn kept_dir_symlink(&mut self, rel: &Path) -> bool {
        self.dest.as_mut().is_some_and(|d| d.keeps_dir_symlinks() && matches!(d.open_dir(rel), Ok(Some(_))))
    }

    /// The capability of the directory that `rel`, a symlink `kept_dir_symlink` says is kept,
    /// leads to within the root.
    pub(super) fn kept_dir_caps(&mut self, rel: &Path) -> io::Result<Option<Vec<u8>>> {
        match self.dest.as_mut().map(|d| d.open_dir(rel)) {
            Some(Ok(Some(fd))) => crate::xattr::get_caps_fd(&fd),
            Some(Err(e)) => Err(e),
            _ => Err(io::Error::from(io::ErrorKind::NotFound)),
        }
    }

    /// The directory holding `rel` (a member's safe path beneath the root: `SafeName::rel`),
    /// opened beneath the root without following a symlink, and its name; `Ok(None)` for the
    /// root itself, or where there is no root to resolve in (the whole path is then used).
    pub(super) fn parent_beneath(&mut self, rel: &Path) -> Result<Option<(BorrowedFd<'_>, &CStr)>, Unreachable> {
        // Split at the last `/`: a safe name has no empty, `.` or `..` component (`Path`'s
        // own split walks components from the end, a tenth of a caps-only verify's work).
        let bytes = rel.as_os_str().as_bytes();
        if bytes.is_empty() {
            return Ok(None);
        }
        let (parent, name) = match memchr::memrchr(b'/', bytes) {
            Some(i) => (&bytes[..i], &bytes[i + 1..]),
            None => (&b""[..], bytes),
        };
        let parent = Path::new(std::ffi::OsStr::from_bytes(parent));
        let Some(dest) = self.dest.as_mut() else { return Ok(None) };
        set_name(&mut self.name, name).ok_or(Unreachable::Missing)?;
        if self.fd.is_none() || self.path.as_os_str().as_bytes() != parent.as_os_str().as_bytes() {
            self.fd = None;
            match dest.open_dir(parent) {
                Ok(Some(fd)) => self.fd = Some(fd),
                Ok(None) => return Err(Unreachable::Missing),
                Err(e) if is_blocked(&e) => return Err(Unreachable::ThroughSymlink),
                Err(_) => return Ok(None),
            }
            parent.clone_into(&mut self.path);
        }
        let name = CStr::from_bytes_with_nul(&self.name).map_err(|_| Unreachable::Missing)?;
        Ok(self.fd.as_ref().map(|fd| (fd.as_fd(), name)))
    }

    /// The lstat of `rel` beneath the root, through no symlink.
    pub(super) fn stat_beneath(&mut self, rel: &Path) -> Option<rustix::fs::Stat> {
        let (dir, name) = self.parent_beneath(rel).ok()??;
        rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()
    }

    /// `stat_beneath` with why it failed: `Ok(None)` where nothing is there to stat (missing, or
    /// only through a symlink), an error where something may be but could not be looked at (a
    /// directory not searchable, no descriptor left), found again by the whole path.
    pub(super) fn stat_beneath_or_why(&mut self, root: &Path, rel: &Path) -> io::Result<Option<rustix::fs::Stat>> {
        let stat = match self.parent_beneath(rel) {
            Err(_) => return Ok(None),
            Ok(Some((dir, name))) => rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW),
            Ok(None) => rustix::fs::statat(rustix::fs::CWD, root.join(rel), AtFlags::SYMLINK_NOFOLLOW),
        };
        match stat {
            Ok(st) => Ok(Some(st)),
            Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR | rustix::io::Errno::LOOP) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// `rel` beneath `root` opened to read its data: never through a symlink, never waiting
    /// on a fifo; anything but a regular file is an error (`ErrorKind::Other`), and a path
    /// leading nowhere `NotFound`. Where its directory could not be opened, the whole path is,
    /// for the error that says why.
    pub(super) fn open_beneath(&mut self, root: &Path, rel: &Path) -> io::Result<File> {
        match self.parent_beneath(rel) {
            Err(_) => Err(io::Error::from(io::ErrorKind::NotFound)),
            Ok(Some((dir, name))) => open_regular_at(dir, name),
            Ok(None) => open_regular_at(rustix::fs::CWD, root.join(rel)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are looked up in their directory only where the path ends in the name; `x/` and
    /// `x/.` keep lstat's meaning (a directory), and `.`, `/`, `x/..` have no name to split.
    #[test]
    fn only_paths_ending_in_their_name_are_split() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let mut dirs = Dirs::default();
        let split = |dirs: &mut Dirs, p: &Path| dirs.parent_of_or_why(p).ok().map(|(_, n)| n.to_bytes().to_vec());
        assert_eq!(split(&mut dirs, &file), Some(b"f".to_vec()));
        let f = file.display();
        for odd in [format!("{f}/"), format!("{f}/."), format!("{f}/.."), "/".into(), ".".into()] {
            assert_eq!(split(&mut dirs, Path::new(&odd)), None, "{odd}");
        }
        assert_eq!(split(&mut dirs, Path::new("./x")), Some(b"x".to_vec()));
    }
}
