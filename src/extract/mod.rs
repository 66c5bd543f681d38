/*!
`captar extract`: restore members beneath the destination, in the order the kernel demands so
no capability is lost: create → write all data → fchown → fchmod (setuid back) → other xattrs →
`security.capability` LAST → futimens, all on the fd of the file just created (chown and writes
clear the capability: security/commoncap.c). A regular file is written as an unnamed inode
(O_TMPFILE) and linked under its name only complete, with its capability already set.
Directories get their metadata after their contents.
*/

mod beneath;
mod restore;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode};
use rustix::io::Errno;

pub use beneath::SafeName;
use beneath::{Dest, NameProblem};
use restore::{CapFailure, Restorer};

use crate::error::{Error, Outcome, Report, Result};
use crate::format::reader::Reader;
use crate::format::{EntryMeta, Kind, open_archive};
use crate::select::XattrPolicy;
use crate::temps;

/// What to do with a v3 (namespaced) capability's rootid on restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootidPolicy {
    /// Write values as archived.
    Keep,
    /// Write v2 values, valid for the host (what Docker does when it builds layers).
    Host,
    /// Write v3 values with this rootid.
    Set(u32),
}

/// What to do when the destination already has a file of a member's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Replace,
    /// `--keep-old-files`: an existing file is an error.
    Keep,
    /// `--skip-old-files`: an existing file is left alone silently.
    Skip,
}

#[derive(Debug, Clone)]
pub struct ExtractOptions {
    pub archive: PathBuf,
    pub directory: PathBuf,
    pub members: Vec<PathBuf>,
    pub xattrs: XattrPolicy,
    pub same_owner: bool,
    pub numeric_owner: bool,
    pub existing: Existing,
    pub keep_going: bool,
    pub rootid: RootidPolicy,
    pub verbose: bool,
}

/// Runs an extraction and returns its outcome; per-file problems are reported as they happen.
pub fn extract(opts: &ExtractOptions, report: &Report) -> Result<Outcome> {
    let (_, mut reader) = open_archive(&opts.archive)?;
    let dest = Dest::open(&opts.directory).map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::NotFound { " (create it first, e.g. `mkdir -p DIR`)" } else { "" };
        Error::entry(&opts.directory, format!("cannot open the destination directory: {e}{hint}"))
    })?;
    let _cleanup = temps::SignalCleanup::install();
    let restorer = Restorer::new(opts, &dest);
    let mut run = Run {
        opts,
        report,
        dest,
        restorer,
        dirs: Vec::new(),
        dir_index: HashMap::new(),
        warned_root: false,
        matched: vec![false; opts.members.len()],
        cap_failures: Vec::new(),
    };
    let result = run.members(&mut reader);
    // Directory metadata is set even after an error, so what was extracted is usable.
    run.fix_dirs();
    result?;
    for (i, m) in opts.members.iter().enumerate() {
        if !run.matched[i] {
            report.error(format!("{}: not found in archive", m.display()));
        }
    }
    if !run.cap_failures.is_empty() {
        report.note(format!("{} capabilities were not restored:", run.cap_failures.len()));
        for f in &run.cap_failures {
            eprintln!("  {}: {}", f.path.display(), f.caps);
        }
    }
    Ok(report.outcome())
}

/// A directory whose metadata is set at the end, found again by inode so a directory replaced
/// later (CVE-2021-31566) is not touched.
struct PendingDir {
    rel: PathBuf,
    dev: u64,
    ino: u64,
    meta: EntryMeta,
}

struct Run<'a> {
    opts: &'a ExtractOptions,
    report: &'a Report,
    dest: Dest,
    restorer: Restorer,
    dirs: Vec<PendingDir>,
    /// Where each pending directory (by dev and inode) is in `dirs`.
    dir_index: HashMap<(u64, u64), usize>,
    warned_root: bool,
    matched: Vec<bool>,
    cap_failures: Vec<CapFailure>,
}

/// Whether an error stops the whole extraction rather than one member.
fn is_fatal(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT) | Some(libc::EROFS) | Some(libc::EIO))
}

impl Run<'_> {
    fn selected(&mut self, rel: &Path) -> bool {
        if self.opts.members.is_empty() {
            return true;
        }
        let mut any = false;
        for (i, m) in self.opts.members.iter().enumerate() {
            let m = SafeName::parse(m).map(|n| n.rel).unwrap_or_else(|_| m.clone());
            if rel.starts_with(&m) {
                self.matched[i] = true;
                any = true;
            }
        }
        any
    }

    fn members(&mut self, reader: &mut Reader) -> Result<()> {
        while let Some(entry) = reader.next_entry()? {
            let meta = entry.meta;
            let name = match SafeName::parse(&meta.path) {
                Ok(n) => n,
                Err(NameProblem::DotDot) => {
                    self.report.error(format!("{}: member name contains '..'; skipped", meta.path.display()));
                    continue;
                }
            };
            if name.had_root && !self.warned_root {
                self.report.note("removing leading '/' from member names");
                self.warned_root = true;
            }
            if !self.selected(&name.rel) {
                continue;
            }
            if self.opts.verbose {
                println!("{}", meta.path.display());
            }
            match self.member(reader, &name, &meta) {
                Ok(()) => {}
                Err(Failure::Stop(e)) => return Err(e),
                Err(Failure::Member(e)) => self.report.error(e),
                Err(Failure::Cap(f)) => {
                    let msg = format!("{}: cannot restore {}: {}", meta.path.display(), f.caps, f.reason);
                    if self.opts.keep_going {
                        self.report.error(msg);
                        self.cap_failures.push(f);
                    } else {
                        return Err(Error::Usage(format!(
                            "{msg}\ncaptar: stopped at this entry; pass --keep-going to extract the rest and list every capability not restored, or --no-caps to extract without capabilities"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    fn member(&mut self, reader: &mut Reader, name: &SafeName, meta: &EntryMeta) -> Result<(), Failure> {
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
        if name.is_root() {
            if meta.kind == Kind::Dir {
                let st = rustix::fs::fstat(self.dest.root()).map_err(|e| io_fail("stat")(e.into()))?;
                self.pending_dir(PendingDir {
                    rel: PathBuf::new(),
                    dev: st.st_dev,
                    ino: st.st_ino,
                    meta: meta.clone(),
                });
            }
            return Ok(());
        }
        let (parent_rel, file_name) = name.split();
        let parent_rel = parent_rel.to_path_buf();
        let file_name = file_name.to_os_string();
        if self.opts.existing != Existing::Replace && meta.kind != Kind::Dir {
            let parent = self.dest.dir(&parent_rel).map_err(io_fail("open parent directory"))?;
            if rustix::fs::statat(parent, &file_name, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
                return match self.opts.existing {
                    Existing::Skip => Ok(()),
                    _ => Err(Failure::Member(Error::entry(path, "already exists; not replaced (--keep-old-files)"))),
                };
            }
        }
        match meta.kind {
            Kind::Dir => self.directory(&name.rel, &parent_rel, &file_name, meta).map_err(io_fail("create directory")),
            Kind::File => self.file(reader, &parent_rel, &file_name, meta),
            Kind::Symlink => {
                let target = meta.link.as_deref().unwrap_or(Path::new(""));
                let parent = self.dest.dir(&parent_rel).map_err(io_fail("open parent directory"))?;
                place(parent.as_fd(), &file_name, |dir, tmp| rustix::fs::symlinkat(target, dir, tmp))
                    .map_err(io_fail("create symlink"))?;
                self.restorer
                    .symlink_meta(parent.as_fd(), &file_name, meta)
                    .map_err(io_fail("set symlink owner and times"))
            }
            Kind::HardLink => self.hard_link(&parent_rel, &file_name, meta),
            Kind::Char | Kind::Block | Kind::Fifo => {
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
                place(parent.as_fd(), &file_name, |dir, tmp| {
                    rustix::fs::mknodat(dir, tmp, ty, Mode::from_raw_mode(0o600), dev)
                })
                .map_err(io_fail("create special file"))?;
                self.restorer.node_meta(parent.as_fd(), &file_name, meta).map_err(io_fail("set owner, mode and times"))
            }
        }
    }

    fn directory(&mut self, rel: &Path, parent_rel: &Path, name: &OsStr, meta: &EntryMeta) -> io::Result<()> {
        let parent = self.dest.dir(parent_rel)?;
        match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o700)) {
            Ok(()) => {}
            Err(Errno::EXIST) => {
                let st = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)?;
                if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::Directory {
                    match self.opts.existing {
                        Existing::Skip => return Ok(()),
                        Existing::Keep => {
                            return Err(io::Error::other(
                                "a non-directory of that name exists; not replaced (--keep-old-files)",
                            ));
                        }
                        Existing::Replace => {}
                    }
                    // A symlink or file in the way is replaced, never followed (CVE-2026-33056).
                    rustix::fs::unlinkat(parent, name, AtFlags::empty())?;
                    rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o700))?;
                }
            }
            Err(e) => return Err(e.into()),
        }
        let st = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)?;
        self.pending_dir(PendingDir { rel: rel.to_path_buf(), dev: st.st_dev, ino: st.st_ino, meta: meta.clone() });
        Ok(())
    }

    fn file(&mut self, reader: &mut Reader, parent_rel: &Path, name: &OsStr, meta: &EntryMeta) -> Result<(), Failure> {
        let path = &meta.path;
        let parent =
            self.dest.dir(parent_rel).map_err(|e| Failure::Member(Error::io(path, "open parent directory", e)))?;
        let parent: OwnedFd = rustix::io::fcntl_dupfd_cloexec(parent, 0)
            .map_err(|e| Failure::Member(Error::io(path, "dup", e.into())))?;
        let mut tmp = restore::TempFile::create(parent.as_fd()).map_err(|e| classify(path, "create file", e))?;
        restore::write_data(reader, &mut tmp).map_err(|e| match e {
            restore::DataError::Archive(e) => Failure::Stop(e),
            restore::DataError::Write(e) => classify(path, "write", e),
        })?;
        let cap_result = self.restorer.file_meta(tmp.fd(), meta).map_err(|e| classify(path, "set metadata", e))?;
        if let Err(f) = cap_result {
            if !self.opts.keep_going {
                return Err(Failure::Cap(f)); // the file is not linked: no capability-less copy under its name
            }
            tmp.link_into(parent.as_fd(), name).map_err(|e| classify(path, "link into place", e))?;
            return Err(Failure::Cap(f));
        }
        tmp.link_into(parent.as_fd(), name).map_err(|e| classify(path, "link into place", e))?;
        Ok(())
    }

    fn hard_link(&mut self, parent_rel: &Path, name: &OsStr, meta: &EntryMeta) -> Result<(), Failure> {
        let path = &meta.path;
        let target = meta.link.as_deref().unwrap_or(Path::new(""));
        let target = match SafeName::parse(target) {
            Ok(t) if !t.is_root() => t,
            _ => {
                return Err(Failure::Member(Error::entry(
                    path,
                    format!("hard link target {} leaves the destination; skipped", target.display()),
                )));
            }
        };
        let (tparent_rel, tname) = target.split();
        let tparent = match self.dest.open_dir(tparent_rel) {
            Ok(Some(fd)) => fd,
            Ok(None) => {
                return Err(Failure::Member(Error::entry(
                    path,
                    format!("hard link target {} does not exist", target.rel.display()),
                )));
            }
            Err(e) => return Err(Failure::Member(Error::io(path, "open hard link target", e))),
        };
        let tname = tname.to_os_string();
        let parent =
            self.dest.dir(parent_rel).map_err(|e| Failure::Member(Error::io(path, "open parent directory", e)))?;
        // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself, never its target.
        place(parent.as_fd(), name, |dir, tmp| rustix::fs::linkat(&tparent, &tname, dir, tmp, AtFlags::empty()))
            .map_err(|e| classify(path, "create hard link", e))
    }

    /// Records a directory whose metadata is set at the end. A directory named again takes the
    /// later member's metadata (as a file does) but keeps its first place, so it is still set
    /// after everything beneath it.
    fn pending_dir(&mut self, d: PendingDir) {
        match self.dir_index.get(&(d.dev, d.ino)) {
            Some(&i) => self.dirs[i].meta = d.meta,
            None => {
                self.dir_index.insert((d.dev, d.ino), self.dirs.len());
                self.dirs.push(d);
            }
        }
    }

    /// Sets directory metadata, deepest first, on the directories created (found again by inode).
    fn fix_dirs(&mut self) {
        let dirs = std::mem::take(&mut self.dirs);
        self.dir_index.clear();
        for d in dirs.iter().rev() {
            let fd = match self.dest.open_dir(&d.rel) {
                Ok(Some(fd)) => fd,
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
            if let Err(e) = self.restorer.dir_meta(fd.as_fd(), &d.meta) {
                self.report.error(Error::io(&d.meta.path, "set directory metadata", e));
            }
        }
    }
}

/// How one member failed.
enum Failure {
    /// Stop everything (archive corrupt, disk full).
    Stop(Error),
    /// This member failed; go on.
    Member(Error),
    /// A capability could not be restored.
    Cap(CapFailure),
}

fn classify(path: &Path, op: &'static str, e: io::Error) -> Failure {
    if is_fatal(&e) { Failure::Stop(Error::io(path, op, e)) } else { Failure::Member(Error::io(path, op, e)) }
}

/// Creates something under `name` in `dir` with `make`, replacing what is there atomically: on
/// EEXIST it is made under a temporary name and renamed over the old one (rename replaces a
/// symlink itself, never what it points to). A directory in the way is an error.
fn place(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    make: impl Fn(BorrowedFd<'_>, &Path) -> rustix::io::Result<()>,
) -> io::Result<()> {
    match make(dir, Path::new(name)) {
        Ok(()) => return Ok(()),
        Err(Errno::EXIST) => {}
        Err(e) => return Err(e.into()),
    }
    let tmp = temps::temp_name(name);
    let (named, ()) = temps::create(dir, &tmp, || Ok(make(dir, &tmp)?))?;
    temps::settle(named, || {
        let renamed = rustix::fs::renameat(dir, &tmp, dir, name);
        // Also after a success: renaming a hard link over another link of the same inode (a
        // link extracted twice) does nothing and leaves the temporary name.
        let _ = rustix::fs::unlinkat(dir, &tmp, AtFlags::empty());
        renamed.map_err(|e| {
            if e == Errno::ISDIR || e == Errno::NOTEMPTY || e == Errno::EXIST {
                io::Error::other("a directory of that name is in the way")
            } else {
                e.into()
            }
        })
    })
}
