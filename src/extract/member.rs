/*!
One member made by its kind, after the checks on what is there: a directory (its metadata left
for `dirs`), or a symlink, hard link, fifo or device, which replaces what is there only once
complete. Regular files are `file`'s.
*/

use crate::error::ShowPath;
use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode};
use rustix::io::Errno;

use super::dirs::PendingDir;
use super::restore::Restored;
use super::{Existing, Failure, Run, SafeName, beneath, classify, is_fatal, unlink};
use crate::error::{Error, Warning};
use crate::format::reader::Reader;
use crate::format::{EntryMeta, Kind, Time};
use crate::temps;

impl Run<'_> {
    pub(super) fn member(&mut self, reader: &mut Reader, name: &SafeName, meta: &EntryMeta) -> Result<(), Failure> {
        let path = &meta.path;
        let io_fail = |op: &'static str| {
            move |e: io::Error| {
                if is_fatal(&e) {
                    Failure::Stop(Error::io(path, op, e))
                } else {
                    Failure::Member(Error::io(path, op, e))
                }
            }
        };
        self.forget_removed();
        if meta.kind == Kind::Dir
            && self.opts.incremental
            && let Some(listing) = &meta.dumpdir
        {
            self.incremental_dir(path, &name.rel, listing)?;
        }
        // Anything but a directory named as the destination itself (`.`) has nowhere to go:
        // an error, as GNU tar's "Cannot open: File exists" (it was passed over without a
        // word, a file's capability with it).
        if name.is_root() && meta.kind != Kind::Dir {
            return Err(Failure::Member(Error::entry(
                path,
                format!(
                    "a {} named as the destination directory itself cannot be extracted; skipped",
                    meta.kind.word()
                ),
            )));
        }
        if name.is_root() {
            // The destination, which is there: -k, --skip-old-files, --keep-newer-files, -U and
            // --recursive-unlink leave all its metadata as it is, as GNU tar does (its removal,
            // to make it anew, fails).
            if meta.kind == Kind::Dir && !self.opts.existing.checks_first() && !self.opts.unlinks_first() {
                let st = rustix::fs::fstat(self.dest.root()).map_err(|e| io_fail("stat")(e.into()))?;
                let d = PendingDir {
                    rel: PathBuf::new(),
                    dev: st.st_dev,
                    ino: st.st_ino,
                    meta: meta.clone(),
                    existed: true,
                    gone: false,
                    restore_mode: None,
                };
                self.pending_dir(d).map_err(io_fail("create directory"))?;
            } else if meta.kind == Kind::Dir && self.opts.existing.checks_first() {
                self.note_kept_caps(&name.rel, meta);
            } else if meta.kind == Kind::Dir && meta.caps_raw().is_some() && self.restorer.wants_caps() {
                self.report.warn(format!(
                    "{}: the destination directory keeps its own metadata with --unlink-first or --recursive-unlink, as by GNU tar: the capability the archive gives it is not set",
                    path.escaped()
                ));
            }
            return Ok(());
        }
        let (parent_rel, file_name) = name.split();
        let parent_rel = parent_rel.to_path_buf();
        let file_name = file_name.to_os_string();
        // First, as in GNU tar: -k, --skip-old-files and --keep-newer-files then find the name
        // free and extract the member.
        self.back_up(path, &name.rel, &parent_rel, &file_name)?;
        if self.opts.unlinks_first() {
            self.unlink_first(path, &name.rel, &parent_rel, &file_name, meta.kind)?;
        }
        if self.opts.existing.checks_first() && meta.kind != Kind::Dir {
            let parent = self.dest.dir(&parent_rel).map_err(io_fail("open parent directory"))?;
            if let Ok(st) = rustix::fs::statat(&parent, &file_name, AtFlags::SYMLINK_NOFOLLOW) {
                let existing = self.opts.existing;
                match existing {
                    Existing::Skip => {
                        // GNU tar's -v line for it (on stderr; nothing said without -v).
                        if self.opts.verbose {
                            self.report.note(format!("{}: skipping existing file", path.escaped()));
                        }
                        self.keep(&name.rel, meta);
                        self.note_kept_caps(&name.rel, meta);
                        return Ok(());
                    }
                    // A directory is never newer (GNU tar's rule): an empty one is replaced.
                    Existing::KeepNewer
                        if Time::mtime_of(&st) >= meta.mtime
                            && rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::Directory =>
                    {
                        self.report.note_as(
                            Warning::IgnoreNewer,
                            format!("{}: the file there is newer or as new; kept", path.escaped()),
                        );
                        self.keep(&name.rel, meta);
                        self.note_kept_caps(&name.rel, meta);
                        return Ok(());
                    }
                    // A hard link already there to its target is what the member would make, as
                    // GNU tar finds (its link(2) fails with EEXIST onto the same inode: no error).
                    Existing::Keep if meta.kind == Kind::HardLink && self.links_already(&st, meta) => return Ok(()),
                    Existing::Keep => {
                        self.keep(&name.rel, meta);
                        return Err(Failure::Member(Error::entry(
                            path,
                            "already exists; not replaced (--keep-old-files)",
                        )));
                    }
                    _ => {}
                }
            }
        }
        match meta.kind {
            Kind::Dir => self.directory(&name.rel, &parent_rel, &file_name, meta).map_err(io_fail("create directory")),
            Kind::File => self.file(reader, &name.rel, &parent_rel, &file_name, meta),
            Kind::Symlink => {
                let target = meta.link.as_deref().unwrap_or(Path::new(""));
                let parent = self.dest.dir(&parent_rel).map_err(io_fail("open parent directory"))?;
                let make = |dir: BorrowedFd<'_>, tmp: &Path| rustix::fs::symlinkat(target, dir, tmp);
                self.node(parent.as_fd(), &file_name, &name.rel, meta, make, "create symlink")
            }
            Kind::HardLink => self.hard_link(&parent_rel, &file_name, meta),
            Kind::Char | Kind::Block | Kind::Fifo => {
                // Linux's device numbers: 12 bits of major, 20 of minor. Past them, mknod's
                // 32-bit number cut them (1,1048577 made 1,1: /dev/mem; found by fuzzing),
                // where GNU tar and bsdtar get EINVAL from the C library.
                if meta.kind != Kind::Fifo && (meta.dev_major > 0xfff || meta.dev_minor > 0xf_ffff) {
                    return Err(Failure::Member(Error::entry(
                        path,
                        format!(
                            "device {},{} is outside Linux's device numbers (major up to 4095, minor up to 1048575); not created",
                            meta.dev_major, meta.dev_minor
                        ),
                    )));
                }
                let parent = self.dest.dir(&parent_rel).map_err(io_fail("open parent directory"))?;
                let (ty, dev) = match meta.kind {
                    Kind::Char => {
                        (rustix::fs::FileType::CharacterDevice, rustix::fs::makedev(meta.dev_major, meta.dev_minor))
                    }
                    Kind::Block => {
                        (rustix::fs::FileType::BlockDevice, rustix::fs::makedev(meta.dev_major, meta.dev_minor))
                    }
                    _ => (rustix::fs::FileType::Fifo, 0),
                };
                let make = |dir: BorrowedFd<'_>, tmp: &Path| {
                    rustix::fs::mknodat(dir, tmp, ty, Mode::from_raw_mode(0o600), dev)
                };
                self.node(parent.as_fd(), &file_name, &name.rel, meta, make, "create special file")
            }
        }
    }

    /// A symlink, fifo or device: made with `make`, given its owner, mode, xattrs, capability
    /// and times before it takes its name, so a capability that cannot be set (unless
    /// `--keep-going`) leaves nothing of it, and whatever had that name stays, as for a file.
    fn node(
        &self,
        parent: BorrowedFd<'_>,
        name: &OsStr,
        rel: &Path,
        meta: &EntryMeta,
        make: impl Fn(BorrowedFd<'_>, &Path) -> rustix::io::Result<()>,
        op: &'static str,
    ) -> Result<(), Failure> {
        let path = &meta.path;
        let replace = self.opts.existing.replaces();
        let mut restored: Option<Restored> = None;
        let mut meta_failed = false;
        let finish = |now: &OsStr| -> io::Result<bool> {
            // The node by a path whose last name is not followed: through /proc, else beneath the
            // destination's path.
            // (With --keep-directory-symlink that path may go through symlinks, which the
            // kernel would follow out of the destination: then /proc is required.)
            let at = match beneath::proc_path(parent, now.as_bytes()) {
                Some(at) => at,
                None if self.opts.keep_directory_symlink => {
                    return Err(io::Error::other(
                        "--keep-directory-symlink needs /proc to set a symlink's, fifo's or device's metadata safely; mount /proc",
                    ));
                }
                None => self.opts.directory.join(rel.with_file_name(now)),
            };
            match self.restorer.node_meta(parent, now, &at, meta) {
                Ok(r) => {
                    let keep = r.caps.is_ok() || self.opts.keep_going;
                    restored = Some(r);
                    Ok(keep)
                }
                Err(e) => {
                    meta_failed = true;
                    Err(e)
                }
            }
        };
        let removed = |key| self.restorer.record_removed(rel, key);
        let placed = place_finished(parent, name, replace, make, finish, &removed);
        placed.map_err(|e| classify(path, if meta_failed { "set owner, mode, xattrs and times" } else { op }, e))?;
        restored.map_or(Ok(()), |r| r.outcome(path))
    }

    fn directory(&mut self, rel: &Path, parent_rel: &Path, name: &OsStr, meta: &EntryMeta) -> io::Result<()> {
        let parent = self.dest.dir(parent_rel)?;
        let parent = parent.as_fd();
        let mut existed = false;
        match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o700)) {
            Ok(()) => {}
            Err(Errno::EXIST) => {
                existed = true;
                let st = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)?;
                let kind = rustix::fs::FileType::from_raw_mode(st.st_mode);
                // --keep-directory-symlink: a symlink leading to a directory (in the
                // destination) stays, and what the archive puts beneath goes through it; the
                // directory keeps its own metadata, as GNU tar leaves it.
                if kind == rustix::fs::FileType::Symlink
                    && self.dest.keeps_dir_symlinks()
                    && matches!(self.dest.open_dir(rel), Ok(Some(_)))
                {
                    // Never a capability lost without a word (it was; found by review).
                    if meta.caps_raw().is_some() {
                        self.report.warn(format!(
                            "{}: kept as the symlink there (--keep-directory-symlink), whose directory keeps its own metadata: the capability the archive gives it is not set",
                            meta.path.escaped()
                        ));
                    }
                    return Ok(());
                }
                if kind != rustix::fs::FileType::Directory {
                    match self.opts.existing {
                        Existing::Skip => {
                            if self.opts.verbose {
                                self.report.note(format!("{}: skipping existing file", meta.path.escaped()));
                            }
                            self.note_kept_caps(rel, meta);
                            return Ok(());
                        }
                        Existing::Keep => {
                            return Err(io::Error::other(
                                "a non-directory of that name exists; not replaced (--keep-old-files)",
                            ));
                        }
                        Existing::KeepNewer if Time::mtime_of(&st) >= meta.mtime => {
                            self.report.note_as(
                                Warning::IgnoreNewer,
                                format!("{}: the file there is newer or as new; kept", meta.path.escaped()),
                            );
                            self.note_kept_caps(rel, meta);
                            return Ok(());
                        }
                        _ => {}
                    }
                    // Replaced as a dangling one (GNU tar replaces those too); but one kept by
                    // --keep-directory-symlink that leads to a directory out of the destination
                    // (GNU tar would follow it there) is said, since the option was to keep it.
                    if kind == rustix::fs::FileType::Symlink
                        && self.dest.keeps_dir_symlinks()
                        && rustix::fs::statat(parent, name, AtFlags::empty()).is_ok_and(|st| {
                            rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory
                        })
                    {
                        let target = rustix::fs::readlinkat(parent, name, Vec::new())
                            .map(|t| t.into_bytes())
                            .unwrap_or_default();
                        self.report.warn(format!(
                            "{}: the symlink there (-> {}) leads to a directory outside the destination, where captar does not follow it (with --keep-directory-symlink the destination is the root for symlinks); replaced by the archive's directory",
                            meta.path.escaped(),
                            crate::list::quote_name(&target)
                        ));
                    }
                    // A symlink or file in the way is replaced, never followed (CVE-2026-33056).
                    rustix::fs::unlinkat(parent, name, AtFlags::empty())?;
                    rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o700))?;
                    existed = false;
                }
            }
            Err(e) => return Err(e.into()),
        }
        // -k, --skip-old-files: kept as it is. With --keep-newer-files no directory is newer,
        // but GNU tar keeps one that holds anything (its removal, to make it anew, fails); the
        // workers are done writing into it (`wait_for_conflicts`).
        let keep_newer = self.opts.existing == Existing::KeepNewer;
        // A capability the archive gives it, and it lacks, is said as a kept file's (it was
        // dropped in silence; found by audit).
        if existed && (self.opts.existing.keeps_dirs() || keep_newer && !unlink::is_empty_dir(parent, name)) {
            self.note_kept_caps(rel, meta);
            return Ok(());
        }
        let st = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)?;
        let (dev, ino) = (st.st_dev, st.st_ino);
        let mut meta = meta.clone();
        // --no-overwrite-dir: a directory named again is one that exists by then: as GNU tar,
        // it keeps the owner, mode and access ACL the first member gave it, and takes this
        // one's times and other xattrs, its capability among them (found by review: it kept all
        // of the first's, the capability of the second lost in silence).
        if existed
            && self.opts.existing == Existing::NoOverwriteDir
            && let Some(&i) = self.dir_index.get(&(dev, ino))
            && self.dirs[i].rel == rel
        {
            keep_owner_mode_of(&mut meta, &self.dirs[i].meta);
        }
        // --no-overwrite-dir: one of the user's own directories that is there read-only is
        // made u+rwx to extract into, its mode given back at the end, as GNU tar does.
        let restore_mode = match existed
            && self.opts.existing == Existing::NoOverwriteDir
            && st.st_mode & 0o300 != 0o300
            && st.st_uid == rustix::process::geteuid().as_raw()
            && !crate::error::root_overriding_permissions()
        {
            true => {
                let writable = Mode::from_raw_mode(st.st_mode & 0o7777 | 0o700);
                super::restore::chmod_nofollow(parent, name, writable, Some((st.st_dev, st.st_ino)))?;
                Some(st.st_mode & 0o7777)
            }
            false => None,
        };
        let gone = false;
        self.pending_dir(PendingDir { rel: rel.to_path_buf(), dev, ino, meta, existed, gone, restore_mode })
    }

    /// Whether `st`, what stands at a hard-link member's name, is the file the link names.
    fn links_already(&mut self, st: &rustix::fs::Stat, meta: &EntryMeta) -> bool {
        let Some(target) = meta.link.as_deref().and_then(|t| SafeName::parse(t).ok()).filter(|t| !t.is_root()) else {
            return false;
        };
        let (tparent_rel, tname) = target.split();
        let Ok(Some(tparent)) = self.dest.open_dir(tparent_rel) else { return false };
        rustix::fs::statat(&tparent, tname, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|t| (t.st_dev, t.st_ino) == (st.st_dev, st.st_ino))
    }

    pub(super) fn hard_link(&mut self, parent_rel: &Path, name: &OsStr, meta: &EntryMeta) -> Result<(), Failure> {
        let path = &meta.path;
        let target = meta.link.as_deref().unwrap_or(Path::new(""));
        let refused = |why: String| Err(Failure::Member(Error::entry(path, format!("{why}; skipped"))));
        let shown = target.escaped();
        if target.as_os_str().is_empty() {
            return refused("hard link with no target (--strip-components or --transform left none of it)".into());
        }
        let parsed = match SafeName::parse(target) {
            Ok(t) if !t.is_root() => t,
            Ok(_) => return refused(format!("hard link target {shown} is the destination directory itself")),
            // As a member name with `..`: refused whether or not it leads out (`x/../f` said it
            // left the destination; found by audit).
            Err(_) => return refused(format!("hard link target {shown} contains '..'")),
        };
        // `f/` names a directory, which no hard link can be made to (GNU tar: "Not a
        // directory" for a file; a link to `f` was made; found by review).
        if target.as_os_str().as_bytes().ends_with(b"/") {
            return refused(format!(
                "cannot hard link to {shown}: a name ending in / names a directory, and no hard link can be made to one"
            ));
        }
        let target = parsed;
        let (tparent_rel, tname) = target.split();
        let tparent = match self.dest.open_dir(tparent_rel) {
            Ok(Some(fd)) => fd,
            Ok(None) => {
                return Err(Failure::Member(Error::entry(
                    path,
                    format!(
                        "cannot hard link to {shown}: it does not exist (left out, or not extracted: extract it too)"
                    ),
                )));
            }
            Err(e) => return Err(Failure::Member(Error::io(path, "open hard link target", e))),
        };
        let tname = tname.to_os_string();
        let parent =
            self.dest.dir(parent_rel).map_err(|e| Failure::Member(Error::io(path, "open parent directory", e)))?;
        // A link member's capability must already be its file's (set with the first name). One
        // that is not is checked before the link is made, so that (unless --keep-going) the
        // name is not made for a file without the capability the archive gives it, as for a file.
        // Whatever the target's type: a link to a fifo, a device or a symlink carrying a
        // capability the target lacks was made without a word before.
        // A directory cannot be linked to at all: linkat says so below, a member's error, not
        // a capability that stops the extraction.
        let mut cap_failure = None;
        // A link without a capability of its own (GNU tar's and captar's) to a capped file
        // left out of this extraction names whatever is on disk under that name: checked
        // against the archive's capability, as a link that carries one (found by review: a
        // link to an old uncapped file was made in silence, exit 0).
        let left_out = match meta.caps_raw() {
            None => self.left_out_caps.get(&target.rel).map(|(raw, archived)| (raw.as_slice(), archived.as_path())),
            Some(_) => None,
        };
        // The target's type, by one lstat where a capability is to be checked: a link's own is
        // checked against whatever is there but a directory; a left-out file's only where a
        // file is there (none is linkat's error below).
        let own = meta.caps_raw().is_some() && !self.kept.contains_key(&target.rel);
        let target_type = (own || left_out.is_some())
            .then(|| rustix::fs::statat(&tparent, &tname, AtFlags::SYMLINK_NOFOLLOW).ok())
            .flatten()
            .map(|st| rustix::fs::FileType::from_raw_mode(st.st_mode));
        // No target at all is linkat's error below, "it does not exist", not a capability
        // the link's file lacks (found by review); one the link carries is then in the closing
        // list (`Run::note_link_to_lost`).
        let check = !matches!(target_type, Some(rustix::fs::FileType::Directory) | None);
        if check {
            let on_disk = || {
                let cname = std::ffi::CString::new(tname.as_bytes()).map_err(io::Error::other)?;
                let full = || beneath::proc_path(tparent.as_fd(), tname.as_bytes()).unwrap_or_default();
                crate::xattr::get_caps_at(tparent.as_fd(), &cname, None, &full)
            };
            if let Err(f) = self.restorer.check_link_caps(on_disk, meta, left_out) {
                if !self.opts.keep_going {
                    return Err(Failure::Cap(f, Vec::new()));
                }
                cap_failure = Some(f);
            }
        }
        // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself, never its target.
        let make = |dir: BorrowedFd<'_>, tmp: &Path| rustix::fs::linkat(&tparent, &tname, dir, tmp, AtFlags::empty());
        let removed = |key| self.restorer.record_removed(&parent_rel.join(name), key);
        place(parent.as_fd(), name, self.opts.existing.replaces(), make, &removed).map_err(|e| match e.kind() {
            // As GNU tar: the target was left out (--exclude, not selected) or never archived.
            io::ErrorKind::NotFound => Failure::Member(Error::entry(
                path,
                format!("cannot hard link to {shown}: it does not exist (left out, or not extracted: extract it too)"),
            )),
            // linkat refuses a directory with EPERM, which is no matter of rights.
            _ if rustix::fs::statat(&tparent, &tname, AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory) =>
            {
                Failure::Member(Error::entry(path, format!("cannot hard link to {shown}: it is a directory")))
            }
            _ => classify(path, "create hard link", e),
        })?;
        match cap_failure {
            Some(f) => Err(Failure::Cap(f, Vec::new())),
            None => Ok(()),
        }
    }
}

/// Creates something under `name` in `dir` with `make`, replacing what is there atomically: on
/// EEXIST it is made under a temporary name and renamed over the old one (rename replaces a
/// symlink itself, never what it points to). An empty directory in the way is removed (as GNU tar
/// and bsdtar do); any other is an error.
fn place(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    replace: bool,
    make: impl Fn(BorrowedFd<'_>, &Path) -> rustix::io::Result<()>,
    removed: &dyn Fn((u64, u64)),
) -> io::Result<()> {
    place_finished(dir, name, replace, make, |_| Ok(true), removed).map(drop)
}

/// `place`, with `finish` run on the new node under the name it has at that moment, before it
/// replaces anything: when `finish` answers `false` the new node is removed and whatever was
/// under `name` stays. Answers whether the node was placed.
fn place_finished(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    replace: bool,
    make: impl Fn(BorrowedFd<'_>, &Path) -> rustix::io::Result<()>,
    finish: impl FnOnce(&OsStr) -> io::Result<bool>,
    removed: &dyn Fn((u64, u64)),
) -> io::Result<bool> {
    match make(dir, Path::new(name)) {
        Ok(()) => {
            // Nothing was there to lose.
            let keep = finish(name);
            if !matches!(keep, Ok(true)) {
                let _ = rustix::fs::unlinkat(dir, name, AtFlags::empty());
            }
            return keep;
        }
        Err(Errno::EXIST) if replace => {}
        Err(e) => return Err(e.into()),
    }
    let tmp = temps::temp_name(name);
    let (named, ()) = temps::create(dir, &tmp, || Ok(make(dir, &tmp)?))?;
    match finish(tmp.as_os_str()) {
        Ok(true) => {}
        other => {
            temps::remove(named, dir, &tmp);
            return other;
        }
    }
    temps::settle(named, || {
        let renamed = unlink::over_empty_dir(dir, name, || rustix::fs::renameat(dir, &tmp, dir, name), removed);
        // Also after a success: renaming a hard link over another link of the same inode (a
        // link extracted twice) does nothing and leaves the temporary name.
        let _ = rustix::fs::unlinkat(dir, &tmp, AtFlags::empty());
        renamed.map_err(|e| {
            if e == Errno::ISDIR || e == Errno::NOTEMPTY || e == Errno::EXIST {
                super::dir_in_the_way()
            } else {
                e.into()
            }
        })
    })?;
    Ok(true)
}

/// `meta` with the owner, mode and access ACL of `first`, another member of its directory.
fn keep_owner_mode_of(meta: &mut EntryMeta, first: &EntryMeta) {
    meta.mode = first.mode;
    (meta.uid, meta.gid) = (first.uid, first.gid);
    (meta.uname, meta.gname) = (first.uname.clone(), first.gname.clone());
    let access = |(name, _): &(std::ffi::OsString, Vec<u8>)| name == crate::format::acl::ACCESS_XATTR;
    meta.xattrs.retain(|x| !access(x));
    meta.xattrs.extend(first.xattrs.iter().filter(|x| access(x)).cloned());
}
