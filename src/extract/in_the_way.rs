/*!
What is where a member goes, before the member is made: `--backup` renames it (and back when the
member fails), `-U` and `--recursive-unlink` remove it.
*/

use crate::error::ShowPath;
use std::ffi::OsStr;
use std::io;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::AtFlags;
use rustix::io::Errno;

use super::{Failure, Run, classify, unlink};
use crate::error::Error;
use crate::format::Kind;

/// A file `--backup` renamed out of a member's way: the rename, registered (`temps::back_up`),
/// and both names as the member's name shows them.
pub(super) struct BackedUp {
    /// Registered for a signal's cleanup, which renames it back.
    renamed: crate::temps::BackedUpName,
    shown: (PathBuf, PathBuf),
}

/// `-v`'s line for a backup: `Renaming 'f' to 'f~'` (or `back to`), as GNU tar's.
fn print_renaming(from: &Path, to: &Path, how: &str) {
    let quote = |p: &Path| crate::list::quote_name(p.as_os_str().as_bytes());
    crate::error::note_output(writeln!(std::io::stdout().lock(), "Renaming '{}' {how} '{}'", quote(from), quote(to)));
}

impl Run<'_> {
    /// `--backup`: what is where the member goes, but a directory (a symlink too, dangling or
    /// not: GNU tar 1.34's deref_stat follows none without -h), is renamed to its backup name,
    /// as GNU tar's `maybe_backup_file`; `-v` says so.
    pub(super) fn back_up(&mut self, path: &Path, rel: &Path, parent_rel: &Path, name: &OsStr) -> Result<(), Failure> {
        let Some(backups) = &self.opts.backups else { return Ok(()) };
        let fail = |op: &'static str| move |e: io::Error| classify(path, op, e);
        let parent = self.dest.dir(parent_rel).map_err(fail("open parent directory"))?;
        match rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory => {
                return Ok(());
            }
            Ok(_) => {}
            Err(Errno::NOENT) => return Ok(()),
            Err(e) => return Err(fail("look at the file there to back it up")(e.into())),
        }
        // A worker may still be writing a member into this directory that has the backup's
        // name (`f~` before `f`), or one the numbered backups count: as if one at a time.
        if self.pool.as_ref().is_some_and(|p| p.is_parent(parent_rel)) {
            self.drain().map_err(Failure::Stop)?;
        }
        let backup = backups.name_for(parent.as_fd(), name).map_err(fail("find a backup name"))?;
        let renamed = match crate::temps::back_up(parent.as_fd(), name, &backup) {
            Ok(renamed) => renamed,
            // Gone meanwhile: nothing to back up.
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(()),
            Err(e) => return Err(fail("rename the file there to its backup name")(e)),
        };
        // Named as the member is (GNU tar prints the member's name), without the trailing `/`
        // of a directory member: what is renamed is the file there (found by audit:
        // `Renaming './wasfile/' to './wasfile~'`).
        let bytes = path.as_os_str().as_bytes();
        let end = bytes.iter().rposition(|&b| b != b'/').map_or(bytes.len(), |i| i + 1);
        let member = Path::new(std::ffi::OsStr::from_bytes(&bytes[..end]));
        let shown = (member.to_path_buf(), member.with_file_name(&backup));
        if self.opts.verbose {
            print_renaming(&shown.0, &shown.1, "to");
        }
        let done = BackedUp { renamed, shown };
        self.backed_up.insert(rel.to_path_buf(), done);
        Ok(())
    }

    /// The member `rel` is done: a file it backed up is renamed back when it `failed` and its
    /// name is free (nothing of the member took it), as GNU tar's `undo_last_backup`.
    pub(super) fn settle_backup(&mut self, rel: &Path, failed: bool) {
        if self.backed_up.is_empty() {
            return;
        }
        let Some(b) = self.backed_up.remove(rel) else { return };
        match crate::temps::settle_backup(b.renamed, failed) {
            Ok(()) if failed && self.opts.verbose => print_renaming(&b.shown.1, &b.shown.0, "back to"),
            Ok(()) => {}
            // The member's file took the name (--keep-going): the backup stays, as it should.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => self.report.error(format!(
                "{}: cannot rename its backup {} back: {}",
                b.shown.0.escaped(),
                b.shown.1.escaped(),
                crate::error::os_text(&e)
            )),
        }
    }

    /// `--recursive-unlink` and `-U`: what is where the member goes is removed first, as GNU tar
    /// removes it: a file, symlink or other node (so a restore onto a full filesystem frees the
    /// old file's room before writing the new one; without the options a file is replaced
    /// atomically, which needs room for both), and a directory (with everything in it, or only
    /// when empty); with `--recursive-unlink` not one this extraction made or already extracted
    /// a directory member to (a directory named twice is not emptied again). The destination
    /// itself is never removed. A symlink where a directory goes is removed even with
    /// `--keep-directory-symlink` (GNU tar's order).
    pub(super) fn unlink_first(
        &mut self,
        path: &Path,
        rel: &Path,
        parent_rel: &Path,
        name: &OsStr,
        kind: Kind,
    ) -> Result<(), Failure> {
        let fail = |op: &'static str| move |e: io::Error| classify(path, op, e);
        let parent = self.dest.dir(parent_rel).map_err(fail("open parent directory"))?;
        let Ok(st) = rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW) else { return Ok(()) };
        let key = (st.st_dev, st.st_ino);
        let ty = rustix::fs::FileType::from_raw_mode(st.st_mode);
        if ty == rustix::fs::FileType::Symlink && kind == Kind::Dir && self.dest.keeps_dir_symlinks() {
            rustix::fs::unlinkat(&parent, name, AtFlags::empty())
                .map_err(|e| fail("remove the symlink there")(e.into()))?;
            self.dest.forget(rel);
            return Ok(());
        }
        if ty != rustix::fs::FileType::Directory {
            // Not written through: unlink takes the name, whatever it is. Not for a hard link,
            // which needs no room and may name the very file there (GNU tar's link of a file
            // named twice to itself): it replaces as without the option.
            if kind == Kind::HardLink {
                return Ok(());
            }
            return rustix::fs::unlinkat(&parent, name, AtFlags::empty())
                .map_err(|e| fail("remove what is in the way")(e.into()));
        }
        let ours = self.dir_index.contains_key(&key) || self.dest.made(key);
        if self.opts.recursive_unlink && ours {
            return Ok(());
        }
        // Workers may still be writing beneath it.
        self.drain().map_err(Failure::Stop)?;
        let removed = if self.opts.recursive_unlink {
            unlink::remove_tree(parent.as_fd(), name)
        } else {
            rustix::fs::unlinkat(&parent, name, AtFlags::REMOVEDIR).map_err(|e| match e {
                Errno::NOTEMPTY | Errno::EXIST => io::Error::other(
                    "the directory there is not empty (--unlink-first removes only empty ones; --recursive-unlink removes the rest)",
                ),
                e => e.into(),
            })
        };
        // A removal that failed half way took some (-U's rmdir takes all or nothing).
        if removed.is_ok() || self.opts.recursive_unlink {
            self.forget_tree(rel);
        }
        removed.map_err(|e| Failure::Member(Error::io(path, "remove what is in the way", e)))
    }
}
