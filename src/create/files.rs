/*!
One entry read for the archive, on a reader thread: its metadata, its xattrs and capability
through the open fd, and a small file's data straight into its batch.
*/

use crate::error::ShowPath;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{OFlags, Stat};

use super::batch::Bytes;
use super::names::{member_name_of, transformed_member_name};
use super::tree::At;
use super::{Body, EINVAL_MSG, EOVERFLOW_ADVICE, Files, INLINE_MAX, Item, changed};
use super::{remove, sparse, tree};
use crate::caps::FileCaps;
use crate::error::{Error, IoContext, Result, Warning};
use crate::format::reader::padding;
use crate::format::writer::encode_headers;
use crate::format::{BLOCK, EntryMeta, Kind, Time};
use crate::transform::Part;
use crate::{owners, xattr};

impl Files<'_> {
    /// Reports a member that could not be archived; one that vanished since the walk saw it
    /// is a warning, as in tar.
    pub(super) fn failed(&self, e: Error) {
        match e {
            Error::Io { ref source, ref path, .. } if source.kind() == io::ErrorKind::NotFound => {
                self.report
                    .warn_as(Warning::FileRemoved, format!("{}: file removed before we read it", path.on_disk()));
            }
            e @ Error::Replaced { .. } => self.report.warn_as(Warning::FileChanged, e.to_string()),
            Error::Io { op: tree::LOOP, ref source, ref path } => {
                self.report.warn(format!("{}: {source}", path.on_disk()));
            }
            other => self.cannot_read(other),
        }
    }

    /// Reports a path that could not be looked at, opened or listed: an error, or with
    /// `--ignore-failed-read` a note that leaves the exit status alone, as GNU tar's warning.
    /// (Failures to read a capability or an xattr, and read errors in the middle of a file,
    /// stay errors: the member would be archived without them, or with wrong data.)
    pub(super) fn cannot_read(&self, e: Error) {
        match e {
            Error::Io { op: "stat" | "open" | "read", .. } if self.opts.ignore_failed_read => {
                self.report.note_as(Warning::FailedRead, format!("{e}; left out (--ignore-failed-read)"));
            }
            other => self.report.error(other),
        }
    }

    /// The member for `name`, the walked path beneath the archive's root (`path` on disk): named
    /// as `--transform` makes it, a directory's name ending in `/`.
    pub(super) fn base_meta(&self, name: PathBuf, kind: Kind, st: &Stat, path: &Path) -> Result<EntryMeta> {
        let renamed = match self.transformed(Part::Name, &name) {
            std::borrow::Cow::Owned(renamed) => Some(renamed),
            std::borrow::Cow::Borrowed(_) => None,
        };
        if let Some(renamed) = &renamed
            && renamed.as_os_str().is_empty()
            && kind != Kind::Dir
        {
            return Err(Error::entry(path, "--transform made its member name empty; not archived"));
        }
        let name = member_name_of(renamed.unwrap_or(name), kind);
        // Never a member captar would not read back (the reader's limits against hostile names).
        if let Some(beyond) = crate::format::name_beyond_limits(name.as_os_str().as_bytes()) {
            // The walk does not enter such a directory (see `Walker::walk_all`).
            let what = match kind == Kind::Dir && self.opts.transforms.is_empty() {
                true => "not archived, nor anything in it",
                false => "not archived",
            };
            return Err(Error::entry(path, format!("{beyond}; {what}")));
        }
        let stamp = &self.opts.stamp;
        let mut meta = EntryMeta::new(name, kind);
        meta.mode = match &stamp.mode {
            Some(changes) => changes.apply(st.st_mode & 0o7777, kind == Kind::Dir),
            None => st.st_mode & 0o7777,
        };
        let (uid, uname) = match &stamp.owner {
            Some((uid, name)) => (*uid, name.clone()),
            None => (st.st_uid, owners::user_name(st.st_uid).map(<[u8]>::to_vec)),
        };
        let (gid, gname) = match &stamp.group {
            Some((gid, name)) => (*gid, name.clone()),
            None => (st.st_gid, owners::group_name(st.st_gid).map(<[u8]>::to_vec)),
        };
        (meta.uid, meta.gid) = (u64::from(uid), u64::from(gid));
        if !stamp.numeric {
            (meta.uname, meta.gname) = (uname, gname);
        }
        meta.mtime = Time::mtime_of(st);
        if let Some(t) = stamp.mtime
            && (!stamp.clamp || (meta.mtime.secs, meta.mtime.nsecs) > (t.secs, t.nsecs))
        {
            meta.mtime = t;
        }
        Ok(meta)
    }

    /// `name` (a member's name or a hard link's target) as `--transform` makes it, less a leading
    /// `/` and anything up to a last `..` it may have put there (noted once), as for the names
    /// given.
    pub(super) fn transformed<'p>(&self, part: Part, name: &'p Path) -> std::borrow::Cow<'p, Path> {
        let renamed = self.opts.transforms.path(part, name);
        if let std::borrow::Cow::Borrowed(_) = renamed {
            return renamed;
        }
        let (safe, stripped) = transformed_member_name(&renamed);
        if stripped && !self.run.noted_unsafe.swap(true, std::sync::atomic::Ordering::Relaxed) {
            self.report.note("removing leading '/' and '../' from names --transform made");
        }
        safe.into()
    }

    /// What `-v` shows for `name` when the member is named otherwise: the name before
    /// `--transform`, unless `--show-transformed-names`.
    pub(super) fn shown(&self, name: &Path, kind: Kind) -> Option<PathBuf> {
        let transforms = &self.opts.transforms;
        (!transforms.is_empty() && !transforms.show).then(|| member_name_of(name.to_path_buf(), kind))
    }

    /// A file whose name list, read for its capability, holds xattrs or ACLs that are not
    /// captured: counted for the note at the end (`Run::uncaptured`).
    fn count_uncaptured(&self, others: Option<bool>) {
        if others == Some(true) {
            self.run.uncaptured.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Adds the capability that was read, if any, to `meta`. `Ok(false)`: there is one that
    /// could not be read here (see `unreadable_caps`); the member is archived without it, an
    /// error saying so (and `--remove-files` keeps the file).
    pub(super) fn take_caps(
        &self,
        path: &Path,
        meta: &mut EntryMeta,
        read: io::Result<Option<Vec<u8>>>,
    ) -> Result<bool> {
        match read {
            Ok(Some(v)) => meta.xattrs.push((crate::caps::XATTR_NAME.into(), v)),
            Ok(None) => {}
            Err(e) => return self.unreadable_caps(path, e).map(|()| false),
        }
        Ok(true)
    }

    /// A capability there that the kernel will not give: a v3 value whose rootid maps to no
    /// user of this namespace (EOVERFLOW), or a malformed value stored (EINVAL: revision 1,
    /// truncated), which no tool can read either. The member goes without it, with an error
    /// (GNU tar warns and exits 0; stopping there, as before, left the whole file out). Any other
    /// error is returned.
    fn unreadable_caps(&self, path: &Path, e: io::Error) -> Result<()> {
        let msg = match e.raw_os_error() {
            Some(libc::EOVERFLOW) => {
                &format!("without its capability: {}", crate::xattr::eoverflow_why(EOVERFLOW_ADVICE))
            }
            Some(libc::EINVAL) => EINVAL_MSG,
            _ => return Err(Error::io(path, "read security.capability", e)),
        };
        // Named as on disk, without the inner `.` of `-C DIR .` (copy's SRC/./f; found by review).
        let path: PathBuf = path.components().collect();
        self.report.error(Error::entry(path, format!("{} {msg}", self.opts.made)));
        Ok(())
    }

    /// Whether the xattr `name` is archived; a capability `--xattrs-exclude` leaves out is
    /// counted, to be said (`--no-caps` asks for that, and is not counted). `left` is set when
    /// it is an xattr or ACL no option chose to leave out (`--acls` or `--selinux` alone take
    /// only theirs), for `count_uncaptured`.
    fn wanted(&self, name: &std::ffi::OsStr, left: &mut bool) -> bool {
        let policy = &self.opts.xattrs;
        if policy.wants(name) {
            return true;
        }
        if policy.caps && name == crate::caps::XATTR_NAME {
            self.run.excluded_caps.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        *left |= policy.without_patterns() && xattr::is_other(name);
        false
    }

    /// Xattrs of a file that is not open (directories, symlinks, devices), found at `at`
    /// (`path` on kernels before 6.13): never following it, except with `--dereference`
    /// (then by `path`). `Ok(false)` as for `take_caps`.
    /// `dev`: its `st_dev`.
    pub(super) fn at_xattrs(&self, at: &At, path: &Path, dev: u64, meta: &mut EntryMeta) -> Result<bool> {
        if self.opts.dereference {
            return self.followed_xattrs(path, meta);
        }
        let full = || path.to_path_buf();
        if !self.opts.xattrs.others {
            // A directory, a symlink, a fifo or a device can carry a capability too (it grants
            // nothing, but it is there, and getcap lists it on a fifo or a device).
            if self.opts.xattrs.caps {
                let mut others = None;
                let read = xattr::get_caps_at_noting(at.dir(), at.name(), Some(dev), &full, &mut others);
                self.count_uncaptured(others);
                return self.take_caps(path, meta, read);
            }
            return Ok(true);
        }
        let mut left = false;
        for name in xattr::list_at(at.dir(), at.name(), &full).at(path, "list xattrs")? {
            if self.wanted(&name, &mut left)
                && let Some(v) = xattr::get_at(at.dir(), at.name(), &name, &full).at(path, "read xattr")?
            {
                meta.xattrs.push((name, v));
            }
        }
        self.count_uncaptured(Some(left));
        Ok(true)
    }

    /// Xattrs of what `path` leads to, through symlinks (`--dereference`).
    pub(super) fn followed_xattrs(&self, path: &Path, meta: &mut EntryMeta) -> Result<bool> {
        if !self.opts.xattrs.others {
            if self.opts.xattrs.caps {
                return self.take_caps(path, meta, xattr::get_following(path, xattr::CAPABILITY));
            }
            return Ok(true);
        }
        let mut left = false;
        for name in xattr::list_following(path).at(path, "list xattrs")? {
            let cname = std::ffi::CString::new(name.as_bytes()).expect("xattr names hold no NUL");
            if self.wanted(&name, &mut left)
                && let Some(v) = xattr::get_following(path, &cname).at(path, "read xattr")?
            {
                meta.xattrs.push((name, v));
            }
        }
        self.count_uncaptured(Some(left));
        Ok(true)
    }

    /// Xattrs of an open file, on device `dev`; `Ok(false)` as for `take_caps`.
    pub(super) fn fd_xattrs(&self, path: &Path, file: &File, dev: u64, meta: &mut EntryMeta) -> Result<bool> {
        let policy = &self.opts.xattrs;
        let mut whole = true;
        if policy.caps_only_mode() {
            if policy.caps {
                let mut others = None;
                let read = xattr::get_caps_fd_on(file, dev, &mut others);
                self.count_uncaptured(others);
                whole = self.take_caps(path, meta, read)?;
            }
        } else {
            let mut left = false;
            for name in xattr::list_fd(file).at(path, "list xattrs")? {
                if !self.wanted(&name, &mut left) {
                    continue;
                }
                match xattr::get_fd(file, &name) {
                    Ok(Some(v)) => meta.xattrs.push((name, v)),
                    Ok(None) => {}
                    Err(e) if name == crate::caps::XATTR_NAME => {
                        self.unreadable_caps(path, e)?;
                        whole = false;
                    }
                    Err(e) => return Err(Error::io(path, "read xattr", e)),
                }
            }
            self.count_uncaptured(Some(left));
        }
        if let Some(raw) = meta.caps_raw()
            && let Err(e) = FileCaps::decode(raw)
        {
            self.report.note(format!("{}: archived as found, but {e}", path.on_disk()));
        }
        Ok(whole)
    }

    /// A regular file: a large one left open for the writer, a small one read into `bytes`.
    /// `shown` is what `-v` shows when not its name (`Item::shown`). With the item, whether it
    /// is the file the walk saw (not one put in its place since).
    pub(super) fn file(
        &self,
        at: &At,
        path: &Path,
        name: PathBuf,
        shown: Option<PathBuf>,
        st: &Stat,
        bytes: &mut Bytes,
    ) -> Result<(Item, bool)> {
        let (file, atime_kept) = match open_for_reading(at, path, self.opts.dereference) {
            // A symlink put in its place (the open follows none).
            Err(Error::Io { source, .. }) if source.raw_os_error() == Some(libc::ELOOP) && !self.opts.dereference => {
                return Err(Error::Replaced { path: path.to_path_buf(), now: Kind::Symlink.word() });
            }
            opened => opened?,
        };
        if !atime_kept && self.opts.atime_preserve {
            self.report.warn(atime_warning(path));
        }
        let before = rustix::fs::fstat(&file).map_err(io::Error::from).at(path, "stat")?;
        // The walk saw a regular file. Something else now is not archived as a regular file of
        // its size in zeros (found by audit: a directory swapped in was a 40-byte executable
        // file of zeros), even with the inode number the file had (ext4 reuses it at once).
        if let Some(now) = Kind::of_mode(before.st_mode).filter(|&k| k != Kind::File) {
            return Err(Error::Replaced { path: path.to_path_buf(), now: now.word() });
        }
        let replaced = (before.st_dev, before.st_ino) != (st.st_dev, st.st_ino);
        if replaced {
            self.report.warn_as(
                Warning::FileChanged,
                format!("{}: file was replaced before we read it; archived the new one", path.on_disk()),
            );
        }
        let mut meta = self.base_meta(name, Kind::File, &before, path)?;
        meta.size = before.st_size as u64;
        // Archived without its capability, a file is never removed (--remove-files).
        let whole = self.fd_xattrs(path, &file, before.st_dev, &mut meta)?;
        let seen = (self.opts.remove_files && whole).then(|| remove::Seen::of(&before));
        // --sparse: a file taking fewer blocks than its size has holes; the filesystem says where.
        if self.opts.sparse
            && (before.st_blocks as u64).saturating_mul(512) < meta.size
            && let Some(sparse) = sparse::Sparse::of(&file, meta.size)
        {
            meta.sparse = Some(meta.size);
            meta.size = sparse.stored_size();
            let body = Body::Sparse { file, before, sparse };
            return Ok((Item { meta, body, path: path.to_path_buf(), shown, seen }, !replaced));
        }
        if meta.size > INLINE_MAX {
            let body = Body::Open { file, before };
            return Ok((Item { meta, body, path: path.to_path_buf(), shown, seen }, !replaced));
        }
        let start = bytes.used;
        encode(&meta, path, bytes)?;
        let size = meta.size as usize; // at most INLINE_MAX
        let mut source = FileSource { file: &file, error: None };
        let data = bytes.tail(size);
        let mut got = 0;
        while got < size {
            match source.read(&mut data[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => {
                    bytes.used = start;
                    return Err(Error::io(path, "read", e));
                }
            }
        }
        if let Some(e) = &source.error {
            self.report.error(format!(
                "{}: read failed: {}; its member was padded with zeros",
                path.on_disk(),
                crate::error::os_text(e)
            ));
        }
        let seen = if source.error.is_none() { seen } else { None };
        bytes.used += got;
        let short = (got < size).then_some(got as u64);
        bytes.zeros(size - got + padding(meta.size) as usize);
        let moved = rustix::fs::fstat(&file).map(|after| changed(&before, &after)).unwrap_or(true);
        let body = Body::Encoded { len: bytes.used - start, short, changed: moved };
        Ok((Item { meta, body, path: path.to_path_buf(), shown, seen }, !replaced))
    }
}

/// A member's headers, encoded at the end of `bytes`.
pub(super) fn encode(meta: &EntryMeta, path: &Path, bytes: &mut Bytes) -> Result<()> {
    // Encoded in a buffer of this thread's, kept (a member's headers are about 1 KiB).
    thread_local! {
        static HEADERS: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(3 * BLOCK));
    }
    HEADERS.with_borrow_mut(|headers| {
        headers.clear();
        encode_headers(meta, headers).at(path, "archive")?;
        bytes.extend(headers);
        Ok(())
    })
}

/// A member without data, encoded at the end of `bytes`.
pub(super) fn encoded(meta: EntryMeta, path: &Path, shown: Option<PathBuf>, bytes: &mut Bytes) -> Result<Item> {
    let start = bytes.used;
    encode(&meta, path, bytes)?;
    let body = Body::Encoded { len: bytes.used - start, short: None, changed: false };
    Ok(Item { meta, body, path: path.to_path_buf(), shown, seen: None })
}

/// A file's data as the writer reads it. A read error ends the data early (the writer pads
/// the member, keeping the archive well-formed) and is kept to be reported against the file,
/// not the archive.
pub(super) struct FileSource<'a> {
    pub(super) file: &'a File,
    pub(super) error: Option<io::Error>,
}

impl io::Read for FileSource<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.file.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error = Some(e);
                    return Ok(0);
                }
                Ok(n) => return Ok(n),
            }
        }
    }
}

/// Opens a regular file for reading without following a symlink swapped in since the walk
/// (unless `follow`: `--dereference`), and without touching its atime where we may: also
/// answers whether that was allowed.
pub(super) fn open_for_reading(at: &At, path: &Path, follow: bool) -> Result<(File, bool)> {
    let nofollow = if follow { OFlags::empty() } else { OFlags::NOFOLLOW };
    let flags = OFlags::RDONLY | nofollow | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    let (fd, kept) = tree::open_noatime(at.dir(), at.name(), flags).map_err(io::Error::from).at(path, "open")?;
    Ok((File::from(fd), kept))
}

/// The warning of `--atime-preserve` for a file or directory whose access time may change.
pub(super) fn atime_warning(path: &Path) -> String {
    format!(
        "{}: its access time may have changed: only its owner or root (CAP_FOWNER) may read without changing it; run as either to keep it (--atime-preserve)",
        path.on_disk()
    )
}
