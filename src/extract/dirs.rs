/*!
Directory metadata, set at the end once everything beneath is written: each directory found
again by inode, so one replaced meanwhile is left alone.
*/

use crate::error::ShowPath;
use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use super::restore::Restored;
use super::{Existing, Run};
use crate::error::{Error, Warning};
use crate::format::EntryMeta;

/// A directory whose metadata is set at the end, found again by inode so a directory replaced
/// later (CVE-2021-31566) is not touched.
pub(super) struct PendingDir {
    pub(super) rel: PathBuf,
    pub(super) dev: u64,
    pub(super) ino: u64,
    pub(super) meta: EntryMeta,
    /// It was there before this extraction (`--no-overwrite-dir` keeps its owner and mode).
    pub(super) existed: bool,
    /// Removed since by this extraction (a member took its place): not looked for again.
    pub(super) gone: bool,
    /// `--no-overwrite-dir`: the mode of a directory that was there without the owner's
    /// write or search permission, made u+rwx for the members beneath it and given back at the
    /// end, as GNU tar does (as a user, its own read-only directory failed every member
    /// beneath it; found by audit).
    pub(super) restore_mode: Option<u32>,
}

/// The most xattr data held for directories whose metadata is set at the end: real trees hold
/// a few dozen bytes per directory.
const DIR_XATTRS_MAX: usize = 256 << 20;

impl Run<'_> {
    /// Forgets the directories members replaced on any thread (`Restorer::record_removed`):
    /// their cached handles, and their metadata still to be set (another directory may now have
    /// their inode number).
    pub(super) fn forget_removed(&mut self) {
        for (rel, key) in self.restorer.take_removed() {
            self.dest.forget(&rel);
            if let Some(&i) = self.dir_index.get(&key)
                && self.dirs[i].rel == rel
            {
                self.dirs[i].gone = true;
                self.dir_index.remove(&key);
            }
        }
    }

    /// `forget_removed` for `rel` and everything that was beneath it (`unlink_first`).
    pub(super) fn forget_tree(&mut self, rel: &Path) {
        self.dest.forget(rel);
        for d in self.dirs.iter_mut().filter(|d| !d.gone && d.rel.starts_with(rel)) {
            d.gone = true;
            self.dir_index.remove(&(d.dev, d.ino));
        }
    }

    /// Records a directory whose metadata is set at the end. A directory named again takes the
    /// later member's metadata (as a file does) but keeps its first place, so it is still set
    /// after everything beneath it.
    /// Their xattrs are held until then, up to `DIR_XATTRS_MAX` in all.
    pub(super) fn pending_dir(&mut self, d: PendingDir) -> io::Result<()> {
        self.dir_xattr_bytes += d.meta.xattr_bytes();
        if self.dir_xattr_bytes > DIR_XATTRS_MAX {
            return Err(io::Error::other(format!(
                "the archive's directories carry more than {} MiB of xattrs, more than captar holds until their metadata is set; the archive is corrupt or hostile",
                DIR_XATTRS_MAX >> 20
            )));
        }
        match self.dir_index.get(&(d.dev, d.ino)) {
            // The same path too: another directory may have the inode number of one removed.
            Some(&i) if self.dirs[i].rel == d.rel => {
                self.dir_xattr_bytes -= self.dirs[i].meta.xattr_bytes();
                self.dirs[i].meta = d.meta;
                self.dirs[i].restore_mode = self.dirs[i].restore_mode.or(d.restore_mode);
            }
            _ => {
                self.dir_index.insert((d.dev, d.ino), self.dirs.len());
                self.dirs.push(d);
            }
        }
        Ok(())
    }

    /// Sets directory metadata, deepest first, on the directories created (found again by inode).
    pub(super) fn fix_dirs(&mut self) {
        self.forget_removed();
        let dirs = std::mem::take(&mut self.dirs);
        self.dir_index.clear();
        for d in dirs.iter().rev().filter(|d| !d.gone) {
            let fd = match self.dest.open_dir(&d.rel) {
                Ok(Some(fd)) => fd,
                // Through a symlink the archive changed since, the path leads elsewhere.
                Ok(None) if self.opts.keep_directory_symlink => {
                    self.report.warn(format!(
                        "{}: not found again by its path (a symlink on it changed during extraction); its metadata was not set",
                        d.meta.path.escaped()
                    ));
                    continue;
                }
                Ok(None) => continue,
                Err(e) => {
                    self.report.error(Error::io(&d.meta.path, "reopen directory to set its metadata", e));
                    continue;
                }
            };
            match rustix::fs::fstat(&fd) {
                Ok(st) if st.st_dev == d.dev && st.st_ino == d.ino => {}
                _ => {
                    self.report.error(Error::entry(
                        &d.meta.path,
                        "directory was replaced during extraction; its metadata was not set",
                    ));
                    continue;
                }
            }
            let keep_owner_mode = d.existed && self.opts.existing == Existing::NoOverwriteDir;
            let restored = self.restorer.dir_meta(fd.as_fd(), &d.meta, keep_owner_mode);
            // After its xattrs, which a directory without the owner's write permission takes
            // from no one but a root (found by review: a `user.` one failed).
            if let Some(mode) = d.restore_mode
                && let Err(e) = rustix::fs::fchmod(&fd, rustix::fs::Mode::from_raw_mode(mode))
            {
                let e = io::Error::from(e);
                let why =
                    format!("give back its mode {mode:04o}, made u+rwx to extract into: {}", crate::error::os_text(&e));
                self.report.error(Error::entry(&d.meta.path, why));
            }
            match restored {
                Ok(Restored { caps, problems, clamped }) => {
                    if !problems.is_empty() {
                        self.report.error(Error::entry(&d.meta.path, problems.join("; ")));
                    }
                    if let Some(w) = clamped {
                        self.report.warn_as(Warning::Timestamp, Error::entry(&d.meta.path, w));
                    }
                    // Named as every capability not restored is, and in --keep-going's list.
                    if let Err(f) = caps {
                        let path = &d.meta.path;
                        self.report.error(f.message(path));
                        if self.opts.keep_going {
                            self.cap_failures.push(f);
                        }
                    }
                }
                Err(e) => self.report.error(Error::io(&d.meta.path, "set directory metadata", e)),
            }
        }
    }
}
