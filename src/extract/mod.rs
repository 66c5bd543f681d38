/*!
`captar extract`: restore members beneath the destination, in the order the kernel demands so
no capability is lost: create → write all data → fchown → fchmod (setuid back) → other xattrs →
`security.capability` LAST → futimens, all on the fd of the file just created (chown and writes
clear the capability: security/commoncap.c). A regular file is written as an unnamed inode
(O_TMPFILE) and linked under its name only complete, with its capability already set.
Directories get their metadata after their contents.
*/

pub mod backup;
pub(crate) mod beneath;
mod incremental;
mod pool;
mod restore;
mod stdout;
mod unlink;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io;
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode};
use rustix::io::Errno;

pub use backup::Backups;
pub use beneath::SafeName;
use beneath::{Dest, NameProblem};
use pool::{BATCH_BYTES, BATCH_FILES, Done, INLINE_MAX, Job, Pool, QUEUE};
use restore::{CapFailure, Restored, Restorer};

use crate::caps::FileCaps;
use crate::error::{Error, Outcome, Report, Result, Warning};
use crate::format::reader::Reader;
use crate::format::{EntryMeta, Kind, Time, open_archive_counted};
use crate::progress::Progress;
use crate::select::{Members, Selection, XattrPolicy};
use crate::temps;

/// What to do with a v3 (namespaced) capability's rootid on restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootidPolicy {
    /// Write values as archived.
    Keep,
    /// Write v2 values, valid for the host (what Docker does when it builds layers).
    Host,
    /// Write every value (v2 too) as v3 with this rootid: an image for a namespace whose root
    /// is this host uid.
    Set(u32),
}

impl RootidPolicy {
    /// The value written for an archived one (v1 always becomes v2: the kernel refuses v1).
    pub fn apply(self, caps: FileCaps) -> FileCaps {
        match (self, caps.revision) {
            (RootidPolicy::Set(r), _) => caps.with_rootid(r),
            (RootidPolicy::Host, _) | (RootidPolicy::Keep, crate::caps::Revision::V1) => caps.to_v2(),
            (RootidPolicy::Keep, _) => caps,
        }
    }
}

/// What to do when the destination already has a file of a member's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Replace,
    /// `--keep-old-files`: an existing file is an error.
    Keep,
    /// `--skip-old-files`: an existing file is left alone silently.
    Skip,
    /// `--keep-newer-files`: an existing file as new as the member or newer is left alone (a
    /// note says so); an older one is replaced.
    KeepNewer,
    /// `--no-overwrite-dir`: replaced as `Replace`, but an existing directory keeps its owner,
    /// mode and ACLs (GNU tar's option: its times and other xattrs are still set).
    NoOverwriteDir,
    /// `-U`/`--unlink-first`: replaced as `Replace`, and an empty directory where a member goes
    /// is removed first (a directory member then gets a new one); a non-empty one is an error
    /// of that member.
    UnlinkFirst,
}

impl Existing {
    /// Whether an existing file that reached the point of writing is replaced.
    fn replaces(self) -> bool {
        !matches!(self, Existing::Keep | Existing::Skip)
    }

    /// Whether an existing file is looked at before the member is extracted (kept or not).
    fn checks_first(self) -> bool {
        matches!(self, Existing::Keep | Existing::Skip | Existing::KeepNewer)
    }

    /// Whether an existing directory where the archive has one keeps all its metadata (GNU
    /// tar's -k and --skip-old-files; for --keep-newer-files no directory is newer, as there).
    fn keeps_dirs(self) -> bool {
        matches!(self, Existing::Keep | Existing::Skip)
    }
}

#[derive(Debug, Clone)]
pub struct ExtractOptions {
    pub archive: PathBuf,
    pub directory: PathBuf,
    /// The members extracted: those named, less those excluded.
    pub select: Selection,
    pub xattrs: XattrPolicy,
    pub same_owner: bool,
    /// Modes as archived (`-p`, root's default); else without the umask's bits, setuid,
    /// setgid and sticky, as GNU tar.
    pub same_permissions: bool,
    pub numeric_owner: bool,
    pub existing: Existing,
    /// `--recursive-unlink`: a directory where a member goes, there before the extraction, is
    /// removed with everything in it first (a directory member then gets a new, empty one).
    pub recursive_unlink: bool,
    pub keep_going: bool,
    pub rootid: RootidPolicy,
    pub verbose: bool,
    /// Write the selected regular files' data to standard output instead (`-O`); nothing is
    /// created.
    pub to_stdout: bool,
    /// Leave modification times as the extraction makes them (`-m`).
    pub touch: bool,
    /// Leading components removed from member names and hard-link targets (tar's
    /// --strip-components); a member with no more than that many is not extracted.
    pub strip_components: usize,
    /// Every member goes beneath this directory unless its name starts with it (tar's
    /// --one-top-level); relative, without `..`.
    pub top_level: Option<PathBuf>,
    /// A symlink to a directory where the archive has a directory stays and is gone through
    /// (GNU tar's `--keep-directory-symlink`), resolved within the destination.
    pub keep_directory_symlink: bool,
    /// Draw a progress bar on stderr (the CLI decides: a terminal, no -q).
    pub progress: bool,
    /// `--checkpoint`: actions every N records read.
    pub checkpoints: std::option::Option<std::sync::Arc<crate::checkpoint::Checkpoints>>,
    /// `--backup`: files where members go are renamed to backup names first.
    pub backups: Option<Backups>,
    /// The archive is read in records of this many bytes (GNU tar's `--record-size`): what
    /// `--totals` counts.
    pub record: u64,
    /// A GNU incremental archive's directories remove what they do not list (`-G`, `-g`):
    /// see `incremental`.
    pub incremental: bool,
}

impl ExtractOptions {
    /// Whether what is where a member goes is removed first (`-U`, `--recursive-unlink`): see
    /// `Run::unlink_first`.
    fn unlinks_first(&self) -> bool {
        self.recursive_unlink || self.existing == Existing::UnlinkFirst
    }
}

/// A member name without its first `n` components, counted as GNU tar counts them (a leading
/// `./` is one; empty ones between slashes are none); `None` when nothing is left.
pub(super) fn strip(name: &Path, n: usize) -> Option<PathBuf> {
    let parts: Vec<&[u8]> = std::os::unix::ffi::OsStrExt::as_bytes(name.as_os_str())
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    let rest = parts.get(n..).filter(|r| !r.is_empty())?.join(&b'/');
    Some(PathBuf::from(<std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(rest)))
}

/// A member moved beneath `dir` (tar's --one-top-level) unless it is there already, after
/// --transform and --strip-components (as GNU tar); its hard-link target too (which GNU tar 1.34
/// leaves, so the link fails).
fn beneath_top_level(dir: &Path, name: SafeName, meta: &mut EntryMeta) -> SafeName {
    let moved = |rel: &Path| if rel.as_os_str().is_empty() { dir.to_path_buf() } else { dir.join(rel) };
    if meta.kind == Kind::HardLink
        && let Some(target) = meta.link.as_deref().and_then(|l| SafeName::parse(l).ok())
        && !target.rel.starts_with(dir)
    {
        meta.link = Some(moved(&target.rel));
    }
    if name.rel.starts_with(dir) {
        return name;
    }
    let rel = moved(&name.rel);
    meta.path = rel.clone();
    SafeName { rel, had_root: name.had_root }
}

/// Runs an extraction and returns its outcome; per-file problems are reported as they happen.
pub fn extract(opts: &ExtractOptions, report: &Report) -> Result<Outcome> {
    if opts.to_stdout {
        return stdout::to_stdout(opts, report);
    }
    let opened = open_archive_counted(&opts.archive)?;
    let mut reader = opened.reader;
    opts.select.prepare(&mut reader)?;
    reader.refuse_empty();
    if let Some(c) = &opts.checkpoints {
        reader.set_checkpoints(c.counter());
    }
    let progress = Progress::bytes(opts.progress, opened.input_len, "extracting");
    report.attach(&progress);
    let input_pos = opened.input_pos;
    let tick = || progress.set_position(input_pos.load(std::sync::atomic::Ordering::Relaxed));
    let mut dest = Dest::open(&opts.directory).map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::NotFound { " (create it first, e.g. `mkdir -p DIR`)" } else { "" };
        Error::entry(
            &opts.directory,
            format!("cannot open the destination directory: {}{hint}", crate::error::os_text(&e)),
        )
    })?;
    if opts.keep_directory_symlink {
        dest.keep_dir_symlinks().map_err(|e| Error::entry(&opts.directory, e.to_string()))?;
    }
    if opts.unlinks_first() {
        dest.track_made();
    }
    let _cleanup = temps::SignalCleanup::install();
    let restorer = Restorer::new(opts, &dest);
    // Two writing threads per core where there are several: measured 8% faster into tmpfs
    // than one (a thread often waits on a directory's lock), the same into ext4.
    let workers = match std::thread::available_parallelism().map_or(1, |n| n.get()) {
        1 => 1,
        cores => 2 * cores,
    };
    let (job_tx, job_rx) = std::sync::mpsc::sync_channel::<Vec<Job>>(QUEUE);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Done>();
    let job_rx = std::sync::Mutex::new(job_rx);
    let result = std::thread::scope(|s| {
        // Workers that cannot start (the process limit reached) are done without: with none,
        // every file is written here.
        let mut started = 0;
        for _ in 0..workers {
            let (job_rx, done_tx, restorer) = (&job_rx, done_tx.clone(), &restorer);
            let worker = std::thread::Builder::new().spawn_scoped(s, move || {
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(batch) = job else { return };
                    for job in batch {
                        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            write_small_file(restorer, opts, &job)
                        }))
                        .unwrap_or_else(|_| {
                            Err(Failure::Stop(Error::entry(&job.meta.path, "internal error: a worker panicked")))
                        });
                        let done = Done { rel: job.rel, path: job.meta.path, data: job.data, result };
                        if done_tx.send(done).is_err() {
                            return;
                        }
                    }
                }
            });
            if worker.is_err() {
                break;
            }
            started += 1;
        }
        drop(done_tx);
        let pool = (workers > 1 && started > 0).then(|| Pool::new(job_tx, done_rx));
        let mut run = Run {
            opts,
            report,
            dest,
            restorer: &restorer,
            pool,
            dirs: Vec::new(),
            dir_xattr_bytes: 0,
            dir_index: HashMap::new(),
            warned_root: false,
            members: members_of(opts),
            cap_failures: Vec::new(),
            backed_up: HashMap::new(),
        };
        let mut result = run.members(&mut reader, &tick);
        report.set_total(reader.records_read(opts.record));
        // Every file handed to a worker is finished (or failed) before anything else. An
        // earlier file's failure is reported even when a later member failed too.
        match (run.drain(), &result) {
            (Err(e), Ok(())) => result = Err(e),
            (Err(e), Err(_)) => report.error(e),
            (Ok(()), _) => {}
        }
        run.pool = None; // closes the job queue: the workers end
        // Directory metadata is set even after an error, so what was extracted is usable.
        run.fix_dirs();
        (result, run)
    });
    let (result, run) = result;
    progress.finish();
    // Listed also when the extraction stopped (a full disk): `--keep-going` promised the list.
    if !run.cap_failures.is_empty() {
        report.note(format!("{} capabilities were not restored:", run.cap_failures.len()));
        for f in &run.cap_failures {
            let line = crate::error::terminal_safe(&format!("{}: {}", f.path.display(), f.caps)).into_owned();
            crate::error::print_stderr(&format!("  {line}"));
        }
    }
    result?;
    for e in run.members.not_found("archive") {
        report.error(e);
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
    /// It was there before this extraction (`--no-overwrite-dir` keeps its owner and mode).
    existed: bool,
    /// Removed since by this extraction (a member took its place): not looked for again.
    gone: bool,
}

struct Run<'a> {
    opts: &'a ExtractOptions,
    report: &'a Report,
    dest: Dest,
    restorer: &'a Restorer,
    /// Workers creating small regular files in parallel; `None` runs everything here.
    pool: Option<Pool>,
    dirs: Vec<PendingDir>,
    /// Bytes of xattrs held in `dirs`.
    dir_xattr_bytes: usize,
    /// Where each pending directory (by dev and inode) is in `dirs`.
    dir_index: HashMap<(u64, u64), usize>,
    warned_root: bool,
    members: Members<'a>,
    cap_failures: Vec<CapFailure>,
    /// `--backup`: each member's file renamed to its backup name (by the member's name): its
    /// parent and both names, until the member is done (renamed back if it failed).
    backed_up: HashMap<PathBuf, BackedUp>,
}

/// A file `--backup` renamed out of a member's way: its directory, its name and its backup's,
/// and both as the member's name shows them.
struct BackedUp {
    parent_rel: PathBuf,
    name: std::ffi::OsString,
    backup: std::ffi::OsString,
    shown: (PathBuf, PathBuf),
}

/// `-v`'s line for a backup: `Renaming 'f' to 'f~'` (or `back to`), as GNU tar's.
fn print_renaming(from: &Path, to: &Path, how: &str) {
    let quote = |p: &Path| crate::list::quote_name(p.as_os_str().as_bytes());
    let _ = writeln!(std::io::stdout().lock(), "Renaming '{}' {how} '{}'", quote(from), quote(to));
}

/// Whether an error stops the whole extraction rather than one member.
fn is_fatal(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT) | Some(libc::EROFS) | Some(libc::EIO))
}

impl Run<'_> {
    fn members(&mut self, reader: &mut Reader, tick: &dyn Fn()) -> Result<()> {
        while !self.members.done() {
            let Some(entry) = reader.next_reporting(self.report)? else { break };
            tick();
            let mut meta = entry.meta;
            let name = match SafeName::parse(&meta.path) {
                Ok(n) => n,
                // An error only when it was to be extracted (not left out, or unnamed).
                Err(NameProblem::DotDot) => {
                    if self.members.selects(&meta.path, &meta.path) {
                        self.report.error(format!("{}: member name contains '..'; skipped", meta.path.display()));
                    }
                    continue;
                }
            };
            if !self.members.selects(&name.rel, &meta.path) {
                continue;
            }
            if let Some(w) = meta.left_out_warning() {
                self.report.warn(w);
            }
            // Selected by the name as archived; extracted by the name --transform makes of it.
            let (name, archived) = match self.rename(&mut meta, name) {
                Some(renamed) => renamed,
                None => continue,
            };
            if name.had_root && !self.warned_root {
                self.report.note("removing leading '/' from member names");
                self.warned_root = true;
            }
            // Named as archived (not as stripped); printed once it is to be extracted.
            let verbose_line = self.opts.verbose.then(|| {
                let shown = archived.as_ref().filter(|_| !self.opts.select.transforms.show).unwrap_or(&meta.path);
                crate::list::quote_name(std::os::unix::ffi::OsStrExt::as_bytes(shown.as_os_str()))
            });
            let name = match self.opts.strip_components {
                0 => name,
                n => match strip(&meta.path, n).map(|p| SafeName::parse(&p).map(|s| (p, s))) {
                    // Shorter than what is stripped: nothing is left to extract (as tar). (The
                    // rest of a name without `..` has none: `Err` cannot happen.)
                    None | Some(Err(_)) => continue,
                    Some(Ok((path, stripped))) => {
                        meta.path = path;
                        if meta.kind == Kind::HardLink {
                            // tar strips hard-link targets too (one with `..` is refused later).
                            meta.link = meta.link.as_deref().map(|l| strip(l, n).unwrap_or_default());
                        }
                        stripped
                    }
                },
            };
            let name = match &self.opts.top_level {
                Some(dir) => beneath_top_level(dir, name, &mut meta),
                None => name,
            };
            // A member stripped to nothing is not listed (GNU tar lists what it extracts).
            if let Some(line) = verbose_line {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
            self.wait_for_conflicts(&name.rel, &meta)?;
            let mut result = self.member(reader, &name, &meta);
            if let Err(Failure::Stop(e)) = &mut result {
                self.explain_full_while_replacing(&name.rel, e);
            }
            // A file a worker writes is settled when the worker is done.
            // (Nothing to look up per member without --backup.)
            if !self.backed_up.is_empty()
                && (result.is_err() || !self.pool.as_ref().is_some_and(|p| p.in_flight.contains(name.rel.as_os_str())))
            {
                self.settle_backup(&name.rel, result.is_err());
            }
            self.handle(&meta.path, result)?;
            self.poll()?;
        }
        Ok(())
    }

    /// The member as `--transform` names it, and its name as archived when that changed;
    /// `None` (reported) when the new name cannot be extracted.
    fn rename(&mut self, meta: &mut EntryMeta, name: SafeName) -> Option<(SafeName, Option<PathBuf>)> {
        if self.opts.select.transforms.is_empty() {
            return Some((name, None));
        }
        let archived = meta.path.clone();
        match SafeName::renamed(&self.opts.select.transforms, meta) {
            Ok(None) => Some((name, None)),
            Ok(Some(renamed)) => Some((renamed, Some(archived))),
            Err(why) => {
                self.report.error(format!("{}: {why}; skipped", archived.display()));
                None
            }
        }
    }

    /// A full filesystem while a member was to replace a file: the new file is written beside the
    /// old one (replacing it atomically), so both need room; `-U` removes the old one first, as
    /// GNU tar does.
    fn explain_full_while_replacing(&mut self, rel: &Path, e: &mut Error) {
        let Error::Io { path, op, source } = e else { return };
        let full = matches!(source.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT));
        let (Some(parent_rel), Some(file_name)) = (rel.parent(), rel.file_name()) else { return };
        if !full || self.opts.unlinks_first() {
            return;
        }
        let Ok(Some(parent)) = self.dest.open_dir(parent_rel) else { return };
        let replacing = rustix::fs::statat(&parent, file_name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile);
        if replacing {
            *e = Error::entry(
                path.clone(),
                format!(
                    "{op}: {} (the filesystem is full, and a file of this name is there: it is replaced only once the new one is complete, so both need room; free space, or pass -U/--unlink-first to remove each old file first, as GNU tar does)",
                    crate::error::os_text(source)
                ),
            );
        }
    }

    /// Reports one member's failure; `Err` when it stops the extraction.
    fn handle(&mut self, path: &Path, result: Result<(), Failure>) -> Result<()> {
        match result {
            Ok(()) => {}
            Err(Failure::Stop(e)) => return Err(e),
            Err(Failure::Member(e)) => self.report.error(e),
            Err(Failure::Cap(f, others)) => {
                if !others.is_empty() {
                    self.report.error(Error::entry(path, others.join("; ")));
                }
                let msg = f.message(path);
                if f.no_space {
                    self.report.error(msg);
                    // With --keep-going the file is there without it: in the closing list.
                    if self.opts.keep_going {
                        self.cap_failures.push(f);
                    }
                    return Err(Error::entry(
                        path,
                        "extraction stopped here: free space (or quota) on the destination, or choose another, and extract again",
                    ));
                }
                if self.opts.keep_going {
                    self.report.error(msg);
                    self.cap_failures.push(f);
                } else {
                    // Two lines: what failed, then the way out.
                    self.report.error(msg);
                    return Err(Error::entry(
                        path,
                        "extraction stopped here; pass --keep-going to extract the rest and list every capability not restored, or --no-caps to extract without capabilities",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Takes the results of files the workers finished, without waiting.
    fn poll(&mut self) -> Result<()> {
        while let Some(done) = self.pool.as_ref().and_then(|p| p.done.try_recv().ok()) {
            self.finished(done)?;
        }
        Ok(())
    }

    fn finished(&mut self, done: Done) -> Result<()> {
        if let Some(pool) = &mut self.pool {
            pool.in_flight.remove(done.rel.as_os_str());
            pool.left_parent(&done.rel);
            pool.in_flight_bytes -= done.data.len() as u64;
            pool.spare.keep(done.data);
        }
        self.settle_backup(&done.rel, done.result.is_err());
        let mut result = done.result;
        if let Err(Failure::Stop(e)) = &mut result {
            self.explain_full_while_replacing(&done.rel, e);
        }
        self.handle(&done.path, result)
    }

    /// Waits for every file handed to the workers.
    fn drain(&mut self) -> Result<()> {
        if let Some(pool) = &mut self.pool {
            pool.flush().map_err(|e| Error::Usage(e.into()))?;
        }
        let mut first_err = Ok(());
        while self.pool.as_ref().is_some_and(|p| !p.in_flight.is_empty()) {
            let Some(done) = self.pool.as_ref().and_then(|p| p.done.recv().ok()) else { break };
            if let Err(e) = self.finished(done)
                && first_err.is_ok()
            {
                first_err = Err(e);
            }
        }
        first_err
    }

    /// A member whose path, any parent of it, or hard-link target is still being written by a
    /// worker waits for the workers: members apply in archive order, as if one at a time.
    fn wait_for_conflicts(&mut self, rel: &Path, meta: &EntryMeta) -> Result<()> {
        let Some(pool) = &self.pool else { return Ok(()) };
        if pool.in_flight.is_empty() {
            return Ok(());
        }
        // With --keep-directory-symlink two names may be one file (`l/f`, `sub/f`): names
        // cannot tell what conflicts, so each member waits for those before it.
        if self.opts.keep_directory_symlink {
            return self.drain();
        }
        let link_target = match meta.kind {
            Kind::HardLink => meta.link.as_deref().and_then(|l| SafeName::parse(l).ok()).map(|n| n.rel),
            _ => None,
        };
        // A file where workers are writing into a directory of that name: it may replace that
        // directory only once they are done (empty, it is removed; with files, it stays).
        let conflict = ancestors(rel).any(|a| pool.in_flight.contains(a))
            || (meta.kind != Kind::Dir || self.opts.existing == Existing::KeepNewer) && pool.is_parent(rel)
            || link_target.is_some_and(|t| pool.in_flight.contains(t.as_os_str()))
            || meta.kind == Kind::HardLink && meta.link.is_none();
        if conflict { self.drain() } else { Ok(()) }
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
                };
                self.pending_dir(d).map_err(io_fail("create directory"))?;
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
                match self.opts.existing {
                    Existing::Skip => return Ok(()),
                    // A directory is never newer (GNU tar's rule): an empty one is replaced.
                    Existing::KeepNewer
                        if Time::mtime_of(&st) >= meta.mtime
                            && rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::Directory =>
                    {
                        self.report.note_as(
                            Warning::IgnoreNewer,
                            format!("{}: the file there is newer or as new; kept", path.display()),
                        );
                        return Ok(());
                    }
                    Existing::Keep => {
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

    /// `--backup`: what is where the member goes, but a directory (a symlink too, dangling or
    /// not: GNU tar 1.34's deref_stat follows none without -h), is renamed to its backup name,
    /// as GNU tar's `maybe_backup_file`; `-v` says so.
    fn back_up(&mut self, path: &Path, rel: &Path, parent_rel: &Path, name: &OsStr) -> Result<(), Failure> {
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
        match rustix::fs::renameat(&parent, name, &parent, &backup) {
            Ok(()) => {}
            // Gone meanwhile: nothing to back up.
            Err(Errno::NOENT) => return Ok(()),
            Err(e) => return Err(fail("rename the file there to its backup name")(e.into())),
        }
        // Named as the member is (GNU tar prints the member's name).
        let shown = (path.to_path_buf(), path.with_file_name(&backup));
        if self.opts.verbose {
            print_renaming(&shown.0, &shown.1, "to");
        }
        let done = BackedUp { parent_rel: parent_rel.to_path_buf(), name: name.to_os_string(), backup, shown };
        self.backed_up.insert(rel.to_path_buf(), done);
        Ok(())
    }

    /// The member `rel` is done: a file it backed up is renamed back when it `failed` and its
    /// name is free (nothing of the member took it), as GNU tar's `undo_last_backup`.
    fn settle_backup(&mut self, rel: &Path, failed: bool) {
        if self.backed_up.is_empty() {
            return;
        }
        let Some(b) = self.backed_up.remove(rel) else { return };
        if !failed {
            return;
        }
        let back = self.dest.dir(&b.parent_rel).and_then(|parent| {
            let noreplace = rustix::fs::RenameFlags::NOREPLACE;
            Ok(rustix::fs::renameat_with(&parent, &b.backup, &parent, &b.name, noreplace)?)
        });
        match back {
            Ok(()) if self.opts.verbose => print_renaming(&b.shown.1, &b.shown.0, "back to"),
            Ok(()) => {}
            // The member's file took the name (--keep-going): the backup stays, as it should.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => self.report.error(format!(
                "{}: cannot rename its backup {} back: {}",
                b.shown.0.display(),
                b.shown.1.display(),
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
    fn unlink_first(
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

    /// Forgets the directories members replaced on any thread (`Restorer::record_removed`):
    /// their cached handles, and their metadata still to be set (another directory may now have
    /// their inode number).
    fn forget_removed(&mut self) {
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
    fn forget_tree(&mut self, rel: &Path) {
        self.dest.forget(rel);
        for d in self.dirs.iter_mut().filter(|d| !d.gone && d.rel.starts_with(rel)) {
            d.gone = true;
            self.dir_index.remove(&(d.dev, d.ino));
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
        let Some(restored) = restored else { return Ok(()) };
        let Restored { caps, problems } = restored;
        if let Err(f) = caps {
            return Err(Failure::Cap(f, problems));
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(Failure::Member(Error::entry(path, problems.join("; ")))),
        }
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
                    return Ok(());
                }
                if kind != rustix::fs::FileType::Directory {
                    match self.opts.existing {
                        Existing::Skip => return Ok(()),
                        Existing::Keep => {
                            return Err(io::Error::other(
                                "a non-directory of that name exists; not replaced (--keep-old-files)",
                            ));
                        }
                        Existing::KeepNewer if Time::mtime_of(&st) >= meta.mtime => {
                            self.report.note_as(
                                Warning::IgnoreNewer,
                                format!("{}: the file there is newer or as new; kept", meta.path.display()),
                            );
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
                            meta.path.display(),
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
        if existed && (self.opts.existing.keeps_dirs() || keep_newer && !unlink::is_empty_dir(parent, name)) {
            return Ok(());
        }
        let st = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)?;
        let (dev, ino) = (st.st_dev, st.st_ino);
        // --no-overwrite-dir: a directory named again is one that exists by then; it keeps
        // the metadata it was given (GNU tar).
        if existed && self.opts.existing == Existing::NoOverwriteDir && self.dir_index.contains_key(&(dev, ino)) {
            return Ok(());
        }
        let gone = false;
        self.pending_dir(PendingDir { rel: rel.to_path_buf(), dev, ino, meta: meta.clone(), existed, gone })
    }

    fn file(
        &mut self,
        reader: &mut Reader,
        rel: &Path,
        parent_rel: &Path,
        name: &OsStr,
        meta: &EntryMeta,
    ) -> Result<(), Failure> {
        let path = &meta.path;
        let parent =
            self.dest.dir(parent_rel).map_err(|e| Failure::Member(Error::io(path, "open parent directory", e)))?;
        // A capability that cannot be restored stops here, in archive order, before any worker
        // could write a later member.
        // A capped file is written here unless --keep-going: a capability that cannot be set
        // stops the extraction at its own member, with nothing after it written.
        let capped = meta.caps_raw().is_some() && self.opts.xattrs.caps;
        // A sparse file is written here too, where its holes are kept as holes.
        if let Some(pool) = &mut self.pool
            && meta.size <= INLINE_MAX
            && !reader.is_sparse()
            && (!capped || self.opts.keep_going)
        {
            let data =
                pool.read_data(reader, meta.size as usize).map_err(|e| Failure::Stop(Error::of_data(path, e)))?;
            pool.in_flight.insert(rel.as_os_str().to_os_string());
            pool.entered_parent(rel);
            pool.in_flight_bytes += data.len() as u64;
            // Memory held counts the buffer's capacity (up to twice the data).
            pool.batch_bytes += data.capacity() + meta.xattr_bytes();
            let job = Job { parent, name: name.to_os_string(), meta: meta.clone(), data, rel: rel.to_path_buf() };
            pool.batch.push(job);
            if pool.batch.len() >= BATCH_FILES || pool.batch_bytes >= BATCH_BYTES {
                pool.flush().map_err(|e| Failure::Stop(Error::entry(path, e)))?;
            }
            return Ok(());
        }
        // A large (or capped) member is written here while the workers finish the earlier
        // files. Where space may run short, it waits for them: on a filling disk the earlier
        // files get the space first, as when members are extracted one at a time. An earlier
        // file that already failed stops it first.
        self.poll().map_err(Failure::Stop)?;
        match &mut self.pool {
            Some(pool) if pool.room_for(parent.as_fd(), meta.size) => {
                pool.flush().map_err(|e| Failure::Stop(Error::entry(path, e)))?
            }
            _ => self.drain().map_err(Failure::Stop)?,
        }
        let written = (|| {
            let mode = self.restorer.create_mode(meta);
            let mut tmp =
                restore::TempFile::create(parent.as_fd(), mode).map_err(|e| classify(path, "create file", e))?;
            restore::write_data(reader, &mut tmp).map_err(|e| match e {
                restore::DataError::Archive(e) => Failure::Stop(e),
                restore::DataError::Write(e) => classify(path, "write", e),
            })?;
            finish_file(self.restorer, self.opts, tmp, parent.as_fd(), name, rel, meta)
        })();
        // Its failure comes after the earlier files' results, as in archive order; an earlier
        // file that stopped the extraction is the error.
        if written.is_err() {
            self.drain().map_err(Failure::Stop)?;
        }
        written
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
                    format!(
                        "cannot hard link to {}: it does not exist (left out, or not extracted)",
                        target.rel.display()
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
        let target_is_file = || {
            rustix::fs::statat(&tparent, &tname, AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile)
        };
        let mut cap_failure = None;
        if meta.caps_raw().is_some() && target_is_file() {
            let fd = beneath::open_regular_at(tparent.as_fd(), &tname)
                .map_err(|e| classify(path, "open hard link target to check its capability", e))?;
            if let Err(f) = self.restorer.check_link_caps(fd.as_fd(), meta) {
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
                format!("cannot hard link to {}: it does not exist (left out, or not extracted)", target.rel.display()),
            )),
            // linkat refuses a directory with EPERM, which is no matter of rights.
            _ if rustix::fs::statat(&tparent, &tname, AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory) =>
            {
                Failure::Member(Error::entry(
                    path,
                    format!("cannot hard link to {}: it is a directory", target.rel.display()),
                ))
            }
            _ => classify(path, "create hard link", e),
        })?;
        match cap_failure {
            Some(f) => Err(Failure::Cap(f, Vec::new())),
            None => Ok(()),
        }
    }

    /// Records a directory whose metadata is set at the end. A directory named again takes the
    /// later member's metadata (as a file does) but keeps its first place, so it is still set
    /// after everything beneath it.
    /// Their xattrs are held until then, up to `DIR_XATTRS_MAX` in all.
    fn pending_dir(&mut self, d: PendingDir) -> io::Result<()> {
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
            }
            _ => {
                self.dir_index.insert((d.dev, d.ino), self.dirs.len());
                self.dirs.push(d);
            }
        }
        Ok(())
    }

    /// Sets directory metadata, deepest first, on the directories created (found again by inode).
    fn fix_dirs(&mut self) {
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
                        d.meta.path.display()
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
            match self.restorer.dir_meta(fd.as_fd(), &d.meta, keep_owner_mode) {
                Ok(Restored { caps, problems }) => {
                    if !problems.is_empty() {
                        self.report.error(Error::entry(&d.meta.path, problems.join("; ")));
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

/// How one member failed.
enum Failure {
    /// Stop everything (archive corrupt, disk full).
    Stop(Error),
    /// This member failed; go on.
    Member(Error),
    /// A capability could not be restored; and the member's other problems (an owner or
    /// xattrs refused), reported too.
    Cap(CapFailure, Vec<String>),
}

fn classify(path: &Path, op: &'static str, e: io::Error) -> Failure {
    if is_fatal(&e) { Failure::Stop(Error::io(path, op, e)) } else { Failure::Member(Error::io(path, op, e)) }
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
                io::Error::other("a directory that is not empty has that name (--recursive-unlink removes it first)")
            } else {
                e.into()
            }
        })
    })?;
    Ok(true)
}

/// The most xattr data held for directories whose metadata is set at the end: real trees hold
/// a few dozen bytes per directory.
const DIR_XATTRS_MAX: usize = 256 << 20;

fn write_small_file(restorer: &Restorer, opts: &ExtractOptions, job: &Job) -> Result<(), Failure> {
    let path = &job.meta.path;
    let tmp = restore::TempFile::create(job.parent.as_fd(), restorer.create_mode(&job.meta))
        .map_err(|e| classify(path, "create file", e))?;
    restore::write_all(tmp.fd(), &job.data).map_err(|e| classify(path, "write", e))?;
    finish_file(restorer, opts, tmp, job.parent.as_fd(), &job.name, &job.rel, &job.meta)
}

/// Metadata (capability last) on the written file, then its name. A capability that cannot be
/// restored leaves the file unnamed unless `keep_going`.
fn finish_file(
    restorer: &Restorer,
    opts: &ExtractOptions,
    tmp: restore::TempFile,
    parent: BorrowedFd<'_>,
    name: &OsStr,
    rel: &Path,
    meta: &EntryMeta,
) -> Result<(), Failure> {
    let path = &meta.path;
    let replace = opts.existing.replaces();
    let removed = |key| restorer.record_removed(rel, key);
    let Restored { caps, problems } =
        restorer.file_meta(tmp.fd(), meta).map_err(|e| classify(path, "set metadata", e))?;
    if let Err(f) = caps {
        if opts.keep_going {
            existing_outcome(opts.existing, path, tmp.link_into(parent, name, replace, &removed))?;
        }
        return Err(Failure::Cap(f, problems));
    }
    existing_outcome(opts.existing, path, tmp.link_into(parent, name, replace, &removed))?;
    // Like GNU tar: an owner or an xattr the destination refuses is an error of this member,
    // and the file (with its capability) is kept.
    match problems.is_empty() {
        true => Ok(()),
        false => Err(Failure::Member(Error::entry(path, problems.join("; ")))),
    }
}

/// The members to extract; with names changed beyond `--transform` (stripped, or put under a
/// top-level directory), the whole archive is read even with `--occurrence`.
pub(super) fn members_of(opts: &ExtractOptions) -> Members<'_> {
    let mut members = Members::new(&opts.select);
    if opts.strip_components > 0 || opts.top_level.is_some() {
        members.read_all();
    }
    members
}

/// `rel` and each of its parents, as `Path::ancestors` gives them (without the empty path), cut
/// from its bytes: `rel` is a safe name, without `.`, `..` or repeated slashes.
fn ancestors(rel: &Path) -> impl Iterator<Item = &OsStr> {
    let bytes = rel.as_os_str().as_bytes();
    let cuts = bytes.iter().enumerate().filter(|&(_, &b)| b == b'/').map(|(i, _)| i);
    std::iter::once(bytes.len()).chain(cuts).map(move |end| OsStr::from_bytes(&bytes[..end]))
}

/// With `-k`/`--skip-old-files`, a name that appeared after the check (another process) is never
/// replaced: an error, or skipped.
fn existing_outcome(existing: Existing, path: &Path, linked: io::Result<()>) -> Result<(), Failure> {
    match linked {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && existing == Existing::Skip => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && existing == Existing::Keep => {
            Err(Failure::Member(Error::entry(path, "already exists; not replaced (--keep-old-files)")))
        }
        other => other.map_err(|e| classify(path, "link into place", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pool::{SPARE_BUFFERS, SPARE_BYTES, SPARE_CLASSES, SPARE_MIN, SpareBuffers, class_of};
    use std::collections::HashSet;

    fn pool() -> Pool {
        let (jobs, _) = std::sync::mpsc::sync_channel(1);
        let (_, done) = std::sync::mpsc::channel();
        Pool::new(jobs, done)
    }

    #[test]
    fn room_is_free_space_with_a_margin_for_what_is_in_flight() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = std::fs::File::open(tmp.path()).unwrap();
        let fs = rustix::fs::fstatvfs(&dir).unwrap();
        let free = fs.f_bavail * fs.f_frsize;
        let mut p = pool();
        // With a gigabyte free, nothing in flight needs only the 64 MiB margin (as root: a
        // process a quota may limit never writes beside the workers).
        assert!(free < (1 << 30) || p.room_for(dir.as_fd(), 0) == p.quota_exempt, "{free} bytes free");
        assert!(!p.room_for(dir.as_fd(), free), "all the free space, doubled, is more than there is");
        assert!(!p.room_for(dir.as_fd(), u64::MAX), "no overflow");
        p.in_flight_bytes = free;
        assert!(!p.room_for(dir.as_fd(), 0), "everything in flight");
        p.in_flight_bytes = u64::MAX;
        assert!(!p.room_for(dir.as_fd(), u64::MAX), "no overflow");
        p.quota_exempt = false;
        p.in_flight_bytes = 0;
        assert!(!p.room_for(dir.as_fd(), 0), "under a possible quota");
    }

    #[test]
    fn ancestors_as_path_gives_them() {
        for rel in ["a", "a/b", "usr/share/man/man1/ls.1.gz"] {
            let ours: Vec<&OsStr> = ancestors(Path::new(rel)).collect();
            let mut std: Vec<&OsStr> =
                Path::new(rel).ancestors().map(Path::as_os_str).filter(|a| !a.is_empty()).collect();
            let mut sorted = ours.clone();
            sorted.sort();
            std.sort();
            assert_eq!(sorted, std, "{rel}");
        }
    }

    #[test]
    fn reused_buffers_hold_each_member_exactly() {
        use crate::format::compress::{Origin, decoder};
        let mut tar = tar::Builder::new(Vec::new());
        let members = [("a", b'x', 3000usize), ("b", b'y', 10), ("c", b'z', 0), ("d", b'w', 70_000), ("e", b'v', 5)];
        for (name, byte, len) in members {
            let mut h = tar::Header::new_ustar();
            h.set_size(len as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, name, &vec![byte; len][..]).unwrap();
        }
        let (_, src) = decoder(Origin::Stream(Box::new(std::io::Cursor::new(tar.into_inner().unwrap())))).unwrap();
        let mut reader = Reader::new(src, "test.tar");
        let mut p = pool();
        let mut seen = Vec::new();
        while let Some(entry) = reader.next_entry().unwrap() {
            let data = p.read_data(&mut reader, entry.meta.size as usize).unwrap();
            assert_eq!(data.len() as u64, entry.meta.size);
            assert!(data.capacity() <= (entry.meta.size as usize).max(SPARE_MIN) * 2, "a buffer of its size class");
            seen.push((entry.meta.path.clone(), data.iter().copied().collect::<HashSet<u8>>()));
            p.spare.keep(data);
        }
        let one = |b: u8| HashSet::from([b]);
        let want = vec![
            (PathBuf::from("a"), one(b'x')),
            (PathBuf::from("b"), one(b'y')),
            (PathBuf::from("c"), HashSet::new()),
            (PathBuf::from("d"), one(b'w')),
            (PathBuf::from("e"), one(b'v')),
        ];
        assert_eq!(seen, want);
    }

    #[test]
    fn spare_buffers_are_reused_by_size_class_and_bounded() {
        assert_eq!((class_of(1), class_of(4096), class_of(4097), class_of(1 << 20)), (0, 0, 1, SPARE_CLASSES - 1));
        let kept = |b: &SpareBuffers| b.by_class.iter().map(Vec::len).sum::<usize>();
        let mut p = SpareBuffers::default();
        for _ in 0..SPARE_BUFFERS + 10 {
            p.keep(Vec::with_capacity(SPARE_MIN));
        }
        assert_eq!(kept(&p), SPARE_BUFFERS);
        // Only buffers of a class's exact size are kept.
        let mut odd = SpareBuffers::default();
        odd.keep(Vec::with_capacity(1000));
        odd.keep(Vec::with_capacity(INLINE_MAX as usize * 2));
        assert_eq!(kept(&odd), 0);
        // At most SPARE_BYTES in all.
        let mut big = SpareBuffers::default();
        for _ in 0..SPARE_BYTES / INLINE_MAX as usize + 3 {
            big.keep(Vec::with_capacity(INLINE_MAX as usize));
        }
        assert_eq!(big.bytes, SPARE_BYTES);
        assert_eq!(big.by_class[SPARE_CLASSES - 1].len(), SPARE_BYTES / INLINE_MAX as usize);
    }
}
