/*!
One member's check against the disk, as a task any checking thread can run: its type and
capability (and with `--all` everything a faithful restore keeps), looked up by its name in its
directory, held open, never through a symlink, never waiting on a fifo.
*/

use std::borrow::Cow;
use std::ffi::{CStr, OsStr, OsString};
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{AtFlags, Mode, OFlags};

use super::differences::beneath_root;
use super::{DiffKind, Difference, Dirs, Unreachable, display};
use crate::caps::{self, FileCaps};
use crate::error::{Error, IoContext, Result};
use crate::extract::RootidPolicy;
use crate::extract::beneath::{open_regular_at, proc_path};
use crate::format::{EntryMeta, Kind, acl};
use crate::xattr;

/// What checking one member found.
pub(super) enum Finding {
    /// The member compared, named before its differences (`-v`, `-W -v`).
    Name(PathBuf),
    Diff(Difference),
    Error(Error),
    /// Found while reading the archive (a record left out), said as a warning (of a kind
    /// `--warning=no-KEYWORD` silences, where it has one).
    Warning(Option<crate::error::Warning>, String),
    /// The member (its name beneath the root) follows earlier ones of that name, whose
    /// differences it withdraws (`Task::again`).
    Again(PathBuf),
}

/// One member's type and capability check: everything it needs, so it can run on any thread.
pub(super) struct Task {
    /// The name as shown (the member name, or the manifest's path).
    pub(super) name: PathBuf,
    pub(super) place: Place,
    /// The manifest's kind is `File`, but it lists whatever getcap lists: any file but a
    /// directory or a symlink.
    pub(super) manifest: bool,
    pub(super) kind: Kind,
    /// A hard-link member's: the archived type of the name it links to (`File` where unknown).
    pub(super) link_kind: Kind,
    /// As the archive or manifest holds it; compared as `rootid` makes it.
    pub(super) archived: Option<FileCaps>,
    pub(super) rootid: RootidPolicy,
    pub(super) risk: bool,
    /// Whether an earlier member may have had this one's name (`Verifier::names_seen`): its
    /// findings, if held, are withdrawn before this one's are recorded.
    pub(super) again: bool,
    /// With `--all`: the member, and what is known of its data.
    pub(super) all: Option<Box<AllCheck>>,
    /// A directory's listing in a GNU incremental archive (`EntryMeta::dumpdir`): the names
    /// on disk are compared with it, as GNU tar's `--compare` does ("Contents differ").
    pub(super) listing: Option<Box<[u8]>>,
}

/// What `--all` compares beyond the capability.
pub(super) struct AllCheck {
    pub(super) meta: EntryMeta,
    /// The hard-link target, beneath the root.
    pub(super) link_target: Option<PathBuf>,
    pub(super) content: Content,
    /// Whether owners are compared.
    pub(super) owners: bool,
    /// Owners by the archive's ids, not by its names (see `VerifyOptions::numeric_owner`).
    pub(super) numeric_owner: bool,
    /// The xattrs on disk that differ when the archive lacks them: those extract with the
    /// options given restores (`VerifyOptions::xattrs`).
    pub(super) disk_xattrs: Option<Arc<crate::select::XattrPolicy>>,
}

pub(super) enum Content {
    /// Not a regular file, or no data.
    None,
    /// A small member's data, compared with the file by whoever runs the check.
    Inline(Vec<u8>),
    /// A member's data where it lies in a plain archive file (`meta.size` bytes from the
    /// offset), read from there and compared with the file by whoever runs the check: the
    /// reading thread only seeks from header to header, as caps-only verify does.
    InArchive(Arc<ArchiveData>, u64),
    /// A large member, compared while the archive was read: equal or not, `None` when the file
    /// could not be compared (missing, another type or size: the check says which).
    Known(Option<bool>),
    /// A large member whose file could not be opened or read while the archive was read (no
    /// access, no descriptor left, an I/O error): said as an error where its type and size
    /// match (found by review: it was a difference, "contents differ", and the cause unsaid).
    Unreadable { what: &'static str, errno: Option<i32>, kind: io::ErrorKind },
}

/// A plain archive file, for the checks to read members' data from.
pub(super) struct ArchiveData {
    pub(super) fd: std::os::fd::OwnedFd,
    /// Its name, for errors.
    pub(super) name: String,
}

/// The most bytes of a member compared at once: each checking thread keeps two buffers of it.
const COMPARE_CHUNK: usize = 256 << 10;

thread_local! {
    /// The checking thread's buffers for a file's bytes and the archive's (`At::same_as`).
    static COMPARE_BUFFERS: std::cell::RefCell<(Vec<u8>, Vec<u8>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Reads into all of `buf` from `file` unless it ends first: the bytes read.
fn read_full(file: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Reads all of `buf` from `fd` at `offset`; the file ending first is `UnexpectedEof`.
fn pread_full(fd: BorrowedFd<'_>, buf: &mut [u8], offset: u64) -> io::Result<()> {
    let mut got = 0;
    while got < buf.len() {
        match rustix::io::pread(fd, &mut buf[got..], offset + got as u64) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
            Ok(n) => got += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

impl Content {
    /// `Unreadable` for `e`, met doing `what` (kept as its errno: an `io::Error` is not `Clone`,
    /// and the check borrows its task).
    pub(super) fn unreadable(what: &'static str, e: &io::Error) -> Content {
        Content::Unreadable { what, errno: e.raw_os_error(), kind: e.kind() }
    }
}

/// Where a member's file is.
pub(super) enum Place {
    /// A path beneath the root (an archive member's, or a manifest's under `-C`), looked up
    /// there without following a symlink (as extract creates it).
    Beneath { root: Arc<Path>, rel: PathBuf },
    /// A manifest's path without `-C`: the file's real path.
    Path(PathBuf),
}

impl Place {
    fn beneath(&self) -> Option<&Path> {
        match self {
            Place::Beneath { rel, .. } => Some(rel),
            Place::Path(_) => None,
        }
    }

    /// The file's path, as messages name it (made only for one).
    fn disk(&self) -> Cow<'_, Path> {
        match self {
            Place::Beneath { root, rel } => Cow::Owned(root.join(rel)),
            Place::Path(p) => Cow::Borrowed(p),
        }
    }
}

impl Task {
    /// The names in the directory on disk against its incremental listing (`dumpdir`), as GNU
    /// tar's `--compare` compares them: a name the listing gives that is not there (a file
    /// unchanged since an earlier dump, which the restore lost), and one there that the
    /// listing does not give, each a `contents differ` (they passed, exit 0; found by audit).
    /// `at`: the directory's parent and name, else its path.
    fn listing_differs(&self, dumpdir: &[u8], at: Option<(BorrowedFd<'_>, &CStr)>) -> Vec<Finding> {
        let listed = match crate::extract::listed_names(dumpdir) {
            Ok(names) => names,
            Err(why) => {
                let why = format!("its incremental listing is malformed ({why}); its contents were not compared");
                return vec![Finding::Error(Error::entry(&self.name, why))];
            }
        };
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match at {
            Some((dir, name)) => rustix::fs::openat(dir, name, flags, Mode::empty()),
            None => rustix::fs::open(&*self.place.disk(), flags, Mode::empty()),
        };
        let mut on_disk = std::collections::HashSet::new();
        let read = fd.and_then(|fd| {
            for entry in rustix::fs::Dir::read_from(&fd)? {
                let name = entry?.file_name().to_bytes().to_vec();
                if name != b"." && name != b".." {
                    on_disk.insert(name);
                }
            }
            Ok(())
        });
        if let Err(e) = read {
            return vec![Finding::Error(Error::io(self.place.disk(), "read directory", e.into()))];
        }
        let mut lacks: Vec<&[u8]> = listed.iter().copied().filter(|n| !on_disk.contains(*n)).collect();
        let listed: std::collections::HashSet<&[u8]> = listed.into_iter().collect();
        let mut has: Vec<&[u8]> = on_disk.iter().map(Vec::as_slice).filter(|n| !listed.contains(n)).collect();
        lacks.sort_unstable();
        has.sort_unstable();
        let names = |names: &[&[u8]]| {
            let shown: Vec<String> = names.iter().take(5).map(|n| crate::list::quote_name(n)).collect();
            match names.len() {
                n if n > 5 => format!("{} and {} more", shown.join(", "), n - 5),
                _ => shown.join(", "),
            }
        };
        let them = |n: usize| if n == 1 { "it" } else { "them" };
        let mut findings = Vec::new();
        if !lacks.is_empty() {
            let (archive, disk) = (format!("lists {}", names(&lacks)), format!("lacks {}", them(lacks.len())));
            findings.push(self.diff(DiffKind::Content, Some(archive), Some(disk), None));
        }
        if !has.is_empty() {
            let (archive, disk) = (format!("does not list {}", names(&has)), format!("has {}", them(has.len())));
            findings.push(self.diff(DiffKind::Content, Some(archive), Some(disk), None));
        }
        findings
    }

    fn diff(&self, kind: DiffKind, archive: Option<String>, disk: Option<String>, risk: Option<&FileCaps>) -> Finding {
        let risk = if self.risk { risk.and_then(caps::risk::describe) } else { None };
        let source = if self.manifest { "manifest" } else { "archive" };
        let member = self.place.beneath().filter(|_| !self.manifest).map(Path::to_path_buf);
        let also_of = match (kind, self.all.as_deref()) {
            (DiffKind::HardLink, Some(all)) if member.is_some() => all.link_target.clone(),
            _ => None,
        };
        Finding::Diff(Difference { member, also_of, ..Difference::new(&self.name, kind, archive, disk, risk, source) })
    }

    /// `check`, its findings after the member's name when `named`, and after what withdraws
    /// the earlier members' of its name when `again`.
    pub(super) fn check_named(&self, dirs: &mut Dirs, named: bool) -> Vec<Finding> {
        let again = self.place.beneath().filter(|_| self.again);
        if !named && again.is_none() {
            return self.check(dirs);
        }
        let mut out: Vec<Finding> = again.map(|rel| Finding::Again(rel.to_path_buf())).into_iter().collect();
        if named {
            out.push(Finding::Name(self.name.clone()));
        }
        out.extend(self.check(dirs));
        out
    }

    /// lstat, the type, and the capability (`xattr::get_caps_at`: one listxattrat on the usual
    /// filesystems) compared;
    /// both look the name up in its directory, held open in `dirs`.
    fn check(&self, dirs: &mut Dirs) -> Vec<Finding> {
        // A hard link's target, looked up before this member's directory is held.
        let target = match (self.all.as_deref(), &self.place) {
            (Some(AllCheck { link_target: Some(t), .. }), Place::Beneath { root, .. }) => {
                dirs.stat_beneath_or_why(root, t).map_err(|e| Error::io(root.join(t), "stat the hard link's target", e))
            }
            // --dereference: the target's path, its symlinks followed (`archive::followed`).
            (Some(AllCheck { link_target: Some(t), .. }), Place::Path(_)) => {
                match rustix::fs::statat(rustix::fs::CWD, t, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) => Ok(Some(st)),
                    Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => Ok(None),
                    Err(e) => Err(Error::io(t, "stat the hard link's target", e.into())),
                }
            }
            _ => Ok(None),
        };
        // A directory kept as a symlink by `extract --keep-directory-symlink`: as extracted.
        if self.kind == Kind::Dir
            && let Some(rel) = self.place.beneath()
            && dirs.keeps_dir_symlinks()
            && dirs.stat_beneath(rel).is_some_and(|st| Disk(st).kind() == Some(Kind::Symlink))
            && dirs.kept_dir_symlink(rel)
        {
            // The directory it leads to keeps its own metadata, as extracted; its capability is
            // compared, as extract says when it does not set the archive's (verify said
            // nothing of one it lacked; found by review).
            return self.caps(dirs.kept_dir_caps(rel)).into_iter().collect();
        }
        let mut parent_failed = None;
        let at = match &self.place {
            Place::Beneath { rel, .. } => match dirs.parent_beneath(rel) {
                Ok(at) => at,
                Err(Unreachable::Missing) => return vec![self.diff(DiffKind::Missing, None, None, None)],
                Err(Unreachable::ThroughSymlink) => {
                    let why = "its path on disk passes through a symlink or a file".to_string();
                    return vec![self.diff(DiffKind::Missing, None, Some(why), None)];
                }
            },
            Place::Path(path) => dirs.parent_of_or_why(path).map_err(|why| parent_failed = why).ok(),
        };
        // The same file by a path that resolves no symlink: its directory's open fd, then its
        // name (for the path-based calls below).
        let local = || match &at {
            Some((dir, name)) if self.place.beneath().is_some() => {
                proc_path(dir.as_fd(), name.to_bytes()).unwrap_or_else(|| self.place.disk().into_owned())
            }
            _ => self.place.disk().into_owned(),
        };
        let stat = match (&at, parent_failed) {
            (Some((dir, name)), _) => rustix::fs::statat(dir, *name, AtFlags::SYMLINK_NOFOLLOW),
            (None, Some(e)) => Err(e),
            (None, None) => rustix::fs::statat(rustix::fs::CWD, &*self.place.disk(), AtFlags::SYMLINK_NOFOLLOW),
        };
        let md = match stat {
            Ok(st) => Disk(st),
            Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => {
                return vec![self.diff(DiffKind::Missing, None, None, None)];
            }
            Err(e) => return vec![Finding::Error(Error::io(self.place.disk(), "stat", e.into()))],
        };
        let disk_kind = md.kind();
        // A hard link member names a file of its target's archived type (found by review: a
        // link's name replaced by a symlink passed).
        let archive_kind = if self.kind == Kind::HardLink { self.link_kind } else { self.kind };
        let type_ok = match self.kind {
            // getcap lists any file but a directory or a symlink.
            _ if self.manifest => !matches!(disk_kind, Some(Kind::Dir | Kind::Symlink)),
            _ => disk_kind == Some(archive_kind),
        };
        if !type_ok {
            let disk_word = disk_kind.map_or("socket", Kind::word);
            let d = self.diff(DiffKind::Type, Some(archive_kind.word().into()), Some(disk_word.into()), None);
            return vec![d];
        }
        let mut findings: Vec<Finding> = Vec::new();
        // Every type can carry a capability (the kernel takes one on a fifo, a device or a
        // symlink too): compared for all, as create and extract keep it for all.
        {
            let on_disk = match &at {
                Some((dir, name)) => xattr::get_caps_at(dir.as_fd(), name, Some(md.0.st_dev), &local),
                None => xattr::get_caps_path(&self.place.disk()),
            };
            findings.extend(self.caps(on_disk));
        }
        if let Some(listing) = &self.listing {
            findings.extend(self.listing_differs(listing, at.as_ref().map(|(dir, name)| (dir.as_fd(), *name))));
        }
        if let Some(all) = &self.all {
            let at = at.as_ref().filter(|_| self.place.beneath().is_some()).map(|(dir, name)| (dir.as_fd(), *name));
            self.compare_all(all, &md, At { at, local: &local }, target, &mut findings);
        }
        findings
    }

    /// `local` names the file without resolving a symlink; `target` is the hard-link target's
    /// lstat.
    fn compare_all(
        &self,
        all: &AllCheck,
        disk: &Disk,
        file: At<'_>,
        target: Result<Option<rustix::fs::Stat>>,
        out: &mut Vec<Finding>,
    ) {
        let md = &disk.0;
        let meta = &all.meta;
        if meta.kind == Kind::HardLink {
            // A target that could not be looked at is an error, not a link undone (found by
            // review: a target in a directory not searchable was "a separate file").
            let same = match target {
                Ok(t) => t.is_some_and(|t| t.st_dev == md.st_dev && t.st_ino == md.st_ino),
                Err(e) => return out.push(Finding::Error(e)),
            };
            if same {
                return;
            }
            // Its target as extraction made it, beneath DIR (as GNU tar's "Not linked to").
            let want = meta.link.as_deref().map(|l| format!("link to {}", display(beneath_root(l))));
            out.push(self.diff(DiffKind::HardLink, want, Some("a separate file".into()), None));
            // Its own file: where the target's name was archived again later (append, update),
            // a faithful extraction leaves the link the earlier file, and the difference above
            // is withdrawn. What the link's own header says of that file (mode, owner, mtime)
            // is compared below, so a changed one does not pass (found by review: a rewritten
            // setuid file did); its data, the earlier target's, is not held to compare.
        }
        // With an access ACL that has a mask, the mode's group bits are the mask's.
        let mode = match meta.xattr(acl::ACCESS_XATTR).and_then(acl::mask_of) {
            Some(mask) => meta.mode & !0o070 | mask << 3,
            None => meta.mode,
        };
        // A symlink's mode means nothing (Linux makes every one 0777), named through a hard
        // link too (found by review: a link to a symlink archived 0755 differed).
        let symlink = meta.kind == Kind::Symlink || meta.kind == Kind::HardLink && self.link_kind == Kind::Symlink;
        // Owners not compared (`--no-same-owner`): the setuid and setgid bits extract leaves
        // out of a file not owned by whom the archive says are left out as it leaves them.
        let unowned = !all.owners && meta.kind != Kind::Dir && mode & 0o6000 != 0 && md.st_mode & 0o7777 != mode && {
            let ids = crate::extract::archive_ids(meta, all.numeric_owner);
            let cleared = crate::extract::setid_not_owned(mode, ids, (md.st_uid, md.st_gid));
            cleared != 0 && md.st_mode & 0o7777 == mode & !cleared
        };
        if !symlink && !unowned && mode != md.st_mode & 0o7777 {
            let (a, d) = (format!("{mode:04o}"), format!("{:04o}", md.st_mode & 0o7777));
            out.push(self.diff(DiffKind::Mode, Some(a), Some(d), None));
        }
        if all.owners {
            // The id extract gives the file: a name known here stands for its id here.
            let by_name = |name: &Option<Vec<u8>>, id: u64, of: fn(&[u8]) -> Option<u32>| match name
                .as_deref()
                .filter(|_| !all.numeric_owner)
                .and_then(|n| of(n).map(|i| (n, i)))
            {
                Some((n, i)) if u64::from(i) != id => (u64::from(i), format!("{}({i})", crate::list::lossy(n))),
                Some((_, i)) => (u64::from(i), i.to_string()),
                None => (id, id.to_string()),
            };
            let (uid, uid_text) = by_name(&meta.uname, meta.uid, crate::owners::uid_of);
            let (gid, gid_text) = by_name(&meta.gname, meta.gid, crate::owners::gid_of);
            if (uid, gid) != (u64::from(md.st_uid), u64::from(md.st_gid)) {
                let d = format!("{}:{}", md.st_uid, md.st_gid);
                out.push(self.diff(DiffKind::Owner, Some(format!("{uid_text}:{gid_text}")), Some(d), None));
            }
        }
        // An archive without nanoseconds (ustar) is compared to the second; a filesystem that
        // keeps seconds or hundredths, at its precision.
        let disk = crate::format::Time::mtime_of(md);
        if meta.kind != Kind::Dir && !disk.holds(meta.mtime) {
            out.push(self.diff(DiffKind::Mtime, Some(meta.mtime.to_pax()), Some(disk.to_pax()), None));
        }
        if meta.kind == Kind::HardLink {
            return;
        }
        match meta.kind {
            Kind::Symlink => match file.read_link() {
                Ok(disk) if Some(disk.as_path()) != meta.link.as_deref() => {
                    out.push(self.diff(
                        DiffKind::LinkTarget,
                        meta.link.as_deref().map(display),
                        Some(display(&disk)),
                        None,
                    ));
                }
                Ok(_) => {}
                Err(e) => out.push(Finding::Error(Error::io(self.place.disk(), "read link", e))),
            },
            Kind::Char | Kind::Block => {
                let disk = (rustix::fs::major(md.st_rdev), rustix::fs::minor(md.st_rdev));
                if disk != (meta.dev_major, meta.dev_minor) {
                    let a = format!("{},{}", meta.dev_major, meta.dev_minor);
                    out.push(self.diff(DiffKind::Device, Some(a), Some(format!("{},{}", disk.0, disk.1)), None));
                }
            }
            Kind::File => {
                if meta.size != (md.st_size as u64) {
                    out.push(self.diff(
                        DiffKind::Size,
                        Some(meta.size.to_string()),
                        Some((md.st_size as u64).to_string()),
                        None,
                    ));
                } else {
                    let same = match &all.content {
                        Content::Inline(data) => file.same_as(&self.place.disk(), &self.name, Data::Inline(data)),
                        Content::InArchive(archive, offset) => {
                            let data = Data::InArchive(archive, *offset, meta.size);
                            file.same_as(&self.place.disk(), &self.name, data)
                        }
                        Content::Known(known) => Ok(known.unwrap_or(false)),
                        Content::Unreadable { what, errno, kind } => {
                            let e = errno.map_or_else(|| io::Error::from(*kind), io::Error::from_raw_os_error);
                            Err(Error::io(self.place.disk(), what, e))
                        }
                        Content::None => Ok(true),
                    };
                    match same {
                        Ok(true) => {}
                        Ok(false) => out.push(self.diff(DiffKind::Content, None, None, None)),
                        Err(e) => out.push(Finding::Error(e)),
                    }
                }
            }
            _ => {}
        }
        for (xname, value) in &meta.xattrs {
            if xname == caps::XATTR_NAME {
                continue;
            }
            // A label is the same with or without the NUL the kernel ends it with (the archive's
            // RHT.security.selinux record has none).
            let label = xname == crate::select::SELINUX_XATTR;
            match file.xattr(xname) {
                Ok(disk) if disk.as_deref().map(|d| as_compared(label, d)) != Some(as_compared(label, value)) => {
                    let d =
                        disk.as_deref().map_or_else(|| format!("no {}", shown_name(xname)), |d| shown_xattr(xname, d));
                    out.push(self.diff(DiffKind::Xattr, Some(shown_xattr(xname, value)), Some(d), None));
                }
                Ok(_) => {}
                Err(e) => out.push(Finding::Error(Error::io(self.place.disk(), "read xattr", e))),
            }
        }
        // Those on disk the options restore and the archive lacks (found by audit: a `user.*`
        // xattr added after a restore verified clean), in the order of their names.
        let Some(policy) = &all.disk_xattrs else { return };
        let mut names = match file.xattr_names() {
            Ok(names) => names,
            Err(e) => return out.push(Finding::Error(Error::io(self.place.disk(), "list xattrs", e))),
        };
        names.sort();
        for xname in names {
            if xname == caps::XATTR_NAME || !policy.wants(&xname) || meta.xattrs.iter().any(|(n, _)| *n == xname) {
                continue;
            }
            match file.xattr(&xname) {
                Ok(Some(disk)) => {
                    let a = format!("no {}", shown_name(&xname));
                    out.push(self.diff(DiffKind::Xattr, Some(a), Some(shown_xattr(&xname, &disk)), None));
                }
                // Gone since it was listed.
                Ok(None) => {}
                Err(e) => out.push(Finding::Error(Error::io(self.place.disk(), "read xattr", e))),
            }
        }
    }

    fn caps(&self, on_disk: io::Result<Option<Vec<u8>>>) -> Option<Finding> {
        let on_disk = match on_disk {
            Ok(v) => v,
            Err(e) if e.raw_os_error() == Some(libc::EOVERFLOW) => {
                return Some(Finding::Error(Error::entry(
                    self.place.disk(),
                    format!(
                        "security.capability: {}",
                        crate::xattr::eoverflow_why("verify from the namespace that set it")
                    ),
                )));
            }
            Err(e) => return Some(Finding::Error(Error::io(self.place.disk(), "read security.capability", e))),
        };
        let on_disk = match on_disk.as_deref().map(FileCaps::decode) {
            None => None,
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                return Some(Finding::Error(Error::entry(
                    self.place.disk(),
                    format!("invalid security.capability on disk: {e}"),
                )));
            }
        };
        let expected = self.archived.map(|a| self.rootid.apply(a));
        let mut found = match (expected, on_disk) {
            (None, None) => None,
            (Some(a), None) => Some(self.diff(DiffKind::CapsMissing, Some(a.text_with_rootid()), None, Some(&a))),
            (None, Some(d)) => Some(self.diff(DiffKind::CapsExtra, None, Some(d.text_with_rootid()), Some(&d))),
            (Some(a), Some(d)) => (!a.same_here(&d)).then(|| {
                self.diff(DiffKind::CapsDiffer, Some(a.text_with_rootid()), Some(d.text_with_rootid()), Some(&d))
            }),
        };
        // The archive's v3 value made outside this user namespace, as the disk holds it: the
        // kernel shows it here with the rootid this namespace has for it (`ns_view`).
        if let (Some(Finding::Diff(diff)), Some(a), Some(d), RootidPolicy::Keep) =
            (&mut found, self.archived, on_disk, self.rootid)
            && let Some(rootid) = a.rootid
            && let Some((_, Some(here))) = crate::xattr::rootid_refused_here(rootid)
            && d.same_here(&if here == 0 { a.to_v2() } else { a.with_rootid(here) })
        {
            diff.ns_view = Some((rootid, here));
        }
        // Otherwise the same sets, of another rootid (`rootid_only`).
        if let (Some(Finding::Diff(diff)), Some(a), Some(d), RootidPolicy::Keep) =
            (&mut found, self.archived, on_disk, self.rootid)
            && diff.ns_view.is_none()
            && a.as_seen_here().rootid != d.as_seen_here().rootid
            && a.to_v2().same_grant(&d.to_v2())
        {
            diff.rootid_only = Some((a.as_seen_here().rootid, d.as_seen_here().rootid));
        }
        // The archive's own value, and what --cap-rootid made of it, where they differ.
        if let (Some(Finding::Diff(diff)), Some(archived), Some(expected)) = (&mut found, self.archived, expected) {
            let (archived, expected) = (archived.text_with_rootid(), expected.text_with_rootid());
            if archived != expected && diff.archive.is_some() {
                diff.archive = Some(archived);
                diff.expected = Some(expected);
            }
        }
        found
    }
}

/// A file's lstat.
pub(super) struct Disk(rustix::fs::Stat);

impl Disk {
    /// None for a socket, which no archive holds and no restore makes: a type difference from
    /// any member (found by review: it passed as the regular file archived, where GNU tar's
    /// --compare says "File type differs").
    fn kind(&self) -> Option<Kind> {
        Kind::of_mode(self.0.st_mode)
    }
}

/// An xattr's value as compared: a label the same with or without the NUL the kernel ends it
/// with (the archive's RHT.security.selinux record has none).
fn as_compared(label: bool, v: &[u8]) -> &[u8] {
    if label { crate::format::pax::without_nul(v) } else { v }
}

/// An xattr's name from the archive or the disk, quoted: it must not drive the terminal.
fn shown_name(xname: &OsStr) -> String {
    crate::list::quote_name(xname.as_bytes())
}

/// `NAME=VALUE` for a difference: a label as its text, an ACL as `list -vv --acls` shows it
/// (two blobs of hex do not say what changed; found by review), other values as getfattr shows
/// them; quoted.
fn shown_xattr(xname: &OsStr, v: &[u8]) -> String {
    let label = xname == crate::select::SELINUX_XATTR;
    let text = acl::shown_text(xname, v).or_else(|| {
        let label = crate::format::pax::selinux_text(v).filter(|_| label)?;
        String::from_utf8(label.to_vec()).ok()
    });
    match text {
        Some(text) => format!("{}={}", shown_name(xname), crate::list::quote_name(text.as_bytes())),
        None => format!("{}={}", shown_name(xname), crate::list::xattr_value_text(v)),
    }
}

/// A member's data to compare with its file: read into memory, or where it lies in the archive
/// file (offset and size).
#[derive(Clone, Copy)]
enum Data<'a> {
    Inline(&'a [u8]),
    InArchive(&'a ArchiveData, u64, u64),
}

/// A member's file on disk: its name in its directory, held open (looked up beneath the root),
/// or else a path to it.
pub(super) struct At<'a> {
    at: Option<(BorrowedFd<'a>, &'a CStr)>,
    local: &'a dyn Fn() -> PathBuf,
}

impl At<'_> {
    /// The file's xattr `name`, never through a symlink.
    fn xattr(&self, name: &OsStr) -> io::Result<Option<Vec<u8>>> {
        match self.at {
            Some((dir, file)) => xattr::get_at(dir, file, name, self.local),
            None => xattr::get_path(&(self.local)(), name),
        }
    }

    /// The file's xattr names, never through a symlink.
    fn xattr_names(&self) -> io::Result<Vec<OsString>> {
        match self.at {
            Some((dir, file)) => xattr::list_at(dir, file, self.local),
            None => xattr::list_path(&(self.local)()),
        }
    }

    fn read_link(&self) -> io::Result<PathBuf> {
        match self.at {
            Some((dir, name)) => {
                let target = rustix::fs::readlinkat(dir, name, Vec::new())?;
                Ok(PathBuf::from(OsString::from_vec(target.into_bytes())))
            }
            None => std::fs::read_link((self.local)()),
        }
    }

    /// Whether the file holds exactly `data`, the member `member`'s (errors name the file
    /// `shown`); never through a symlink, never waiting on a fifo. Compared a chunk at a time,
    /// in the thread's buffers (no allocation per file).
    fn same_as(&self, shown: &Path, member: &Path, data: Data<'_>) -> Result<bool> {
        let file = match self.at {
            Some((dir, name)) => open_regular_at(dir, name),
            None => open_regular_at(rustix::fs::CWD, (self.local)()),
        };
        let mut file = file.at(shown, "open")?;
        let size = match data {
            Data::Inline(d) => d.len() as u64,
            Data::InArchive(_, _, size) => size,
        };
        COMPARE_BUFFERS.with_borrow_mut(|(disk, archived)| {
            let chunk = (size.min(COMPARE_CHUNK as u64) as usize).max(1);
            if disk.len() < chunk {
                disk.resize(chunk, 0);
            }
            let mut at = 0u64;
            while at < size {
                let want = (size - at).min(chunk as u64) as usize;
                let got = read_full(&mut file, &mut disk[..want]).at(shown, "read")?;
                let expected: &[u8] = match data {
                    Data::Inline(d) => &d[at as usize..at as usize + want],
                    Data::InArchive(archive, offset, _) => {
                        if archived.len() < chunk {
                            archived.resize(chunk, 0);
                        }
                        pread_full(archive.fd.as_fd(), &mut archived[..want], offset + at).map_err(|e| {
                            crate::format::reader::file_data_error(&archive.name, member, offset + at, &e)
                        })?;
                        &archived[..want]
                    }
                };
                if got < want || disk[..want] != *expected {
                    return Ok(false);
                }
                at += want as u64;
            }
            // Nothing after the member's bytes.
            Ok(read_full(&mut file, &mut disk[..1]).at(shown, "read")? == 0)
        })
    }
}
