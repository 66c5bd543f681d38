/*!
Named temporaries (`.captar-*`) and their removal on SIGINT, SIGTERM and SIGHUP. A regular file
is written as an unnamed O_TMPFILE inode where the filesystem allows, which the kernel frees
with its last fd, whatever kills the process. A name is needed where it does not (some FUSE and
network filesystems) and for a moment when something replaces an existing name (made under a
temporary name, then renamed over it). Each such name is registered before it is created and
forgotten after it is renamed or removed, both under one lock; on a signal a thread takes that
lock, removes every registered name and lets the signal end the process. So an interrupted
extraction leaves no temporaries (issue 4 §2); only SIGKILL can, and only those names. A file
`extract --backup` renamed out of a member's way is registered too, and renamed back on a signal
where the member has not taken its name.
*/

use crate::error::ShowPath;
use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use rustix::fs::AtFlags;

/// A name for a temporary sibling: hidden, unique within this process, and recognisable.
pub fn temp_name(final_name: &OsStr) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let mut s = format!(".captar-{}-{n}-", std::process::id()).into_bytes();
    s.extend(final_name.as_bytes().iter().take(64));
    PathBuf::from(OsStr::from_bytes(&s))
}

struct Entry {
    id: u64,
    dir: OwnedFd,
    name: PathBuf,
}

static LIVE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// Set once the process is ending (a signal's cleanup, a bug's panic): see `wait_if_ending`.
static ENDING: AtomicBool = AtomicBool::new(false);

/// Where a thread would write to an archive or register or settle a temporary: once the process
/// is ending, it waits here for the end instead of taking the lock again. A lock is no queue: a
/// thread that takes it back at once (a 5 GiB file sent in 64 MiB steps) starved the cleanup
/// waiting for it until the file was done, and the append it was to cut back was complete.
fn wait_if_ending() {
    while ENDING.load(Ordering::Acquire) {
        std::thread::park();
    }
}

fn live() -> MutexGuard<'static, Vec<Entry>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A registered temporary name; give it to `settle` once it is renamed or removed.
#[must_use]
pub struct Named(u64);

/// Registers `name` in `dir`, then runs `make`, which creates it; a signal's cleanup sees the
/// name registered before the file exists. On failure nothing stays registered.
pub fn create<T>(dir: BorrowedFd<'_>, name: &Path, make: impl FnOnce() -> io::Result<T>) -> io::Result<(Named, T)> {
    static IDS: AtomicU64 = AtomicU64::new(0);
    let id = IDS.fetch_add(1, Ordering::Relaxed);
    let dir = rustix::io::fcntl_dupfd_cloexec(dir, 0)?;
    wait_if_ending();
    let mut live = live();
    live.push(Entry { id, dir, name: name.to_path_buf() });
    match make() {
        Ok(t) => Ok((Named(id), t)),
        Err(e) => {
            live.retain(|e| e.id != id);
            Err(e)
        }
    }
}

/// Runs `finish` (the rename into place, or the removal) and forgets the name, under the lock,
/// so a signal's cleanup never removes a name after it became the final one.
pub fn settle<T>(named: Named, finish: impl FnOnce() -> T) -> T {
    wait_if_ending();
    let mut live = live();
    let out = finish();
    live.retain(|e| e.id != named.0);
    out
}

/// As `settle`, but the name stays registered when `finish` fails (a rename that did not
/// happen: the file is still there under it), and comes back with the error.
fn settle_if_done<E>(named: Named, finish: impl FnOnce() -> Result<(), E>) -> Result<(), (E, Named)> {
    wait_if_ending();
    let mut live = live();
    match finish() {
        Ok(()) => {
            live.retain(|e| e.id != named.0);
            Ok(())
        }
        Err(e) => Err((e, named)),
    }
}

/// Removes the temporary `name` in `dir` and forgets it.
pub fn remove(named: Named, dir: BorrowedFd<'_>, name: &Path) {
    settle(named, || {
        let _ = rustix::fs::unlinkat(dir, name, AtFlags::empty());
    });
}

/// A new file under a registered temporary name beside the file `path` names, to be renamed
/// over it when complete (`Beside::finish`) or removed (`Beside::discard`).
pub struct Beside {
    pub file: std::fs::File,
    dir: OwnedFd,
    tmp: PathBuf,
    name: std::ffi::OsString,
    named: Named,
}

/// Why a `Beside` could not be made: the directory could not be opened, or the file created.
pub enum BesideError {
    Dir(PathBuf, io::Error),
    Create(io::Error),
}

/// `e`, an error writing the `Beside` of `path`: where the filesystem is full (or the quota is
/// reached), with `why` in place of the usual advice, which says that the old file and the new
/// one need room side by side, and what to do.
pub fn full_beside(e: crate::error::Error, path: &Path, why: &str) -> crate::error::Error {
    match &e {
        crate::error::Error::Io { path: at, op, source }
            if at == path && matches!(source.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT)) =>
        {
            crate::error::Error::entry(path, format!("{op}: {} ({why})", crate::error::os_text(source)))
        }
        _ => e,
    }
}

impl Beside {
    /// Creates the temporary (mode `mode`, before the umask) in `path`'s directory.
    pub fn create(path: &Path, mode: u32) -> Result<Beside, BesideError> {
        use rustix::fs::{Mode, OFlags};
        let dir_path = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path.file_name().unwrap_or(OsStr::new("archive")).to_os_string();
        // O_PATH: a directory the user may search and write but not read (0711) serves too.
        let dir = rustix::fs::open(&dir_path, OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::PATH, Mode::empty())
            .map_err(|e| BesideError::Dir(dir_path.clone(), e.into()))?;
        let tmp = temp_name(&name);
        let (named, fd) = create(dir.as_fd(), &tmp, || {
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC | OFlags::NOFOLLOW;
            rustix::fs::openat(&dir, &tmp, flags, Mode::from_raw_mode(mode)).map_err(io::Error::from)
        })
        .map_err(BesideError::Create)?;
        Ok(Beside { file: std::fs::File::from(fd), dir, tmp, name, named })
    }

    /// Renames the temporary over the final name; where that fails, the temporary is removed.
    pub fn finish(self) -> io::Result<()> {
        let Beside { dir, tmp, name, named, .. } = self;
        settle(named, || {
            rustix::fs::renameat(&dir, &tmp, &dir, &name).inspect_err(|_| {
                let _ = rustix::fs::unlinkat(&dir, &tmp, AtFlags::empty());
            })
        })
        .map_err(io::Error::from)
    }

    /// Renames the temporary over the final name, or where that name cannot be replaced (a
    /// file mounted there, as `docker run -v $PWD/a.tar:/a.tar` mounts one) copies its data
    /// into the file of that name, as tar writes an archive. The temporary is gone either way.
    pub fn finish_or_copy(self) -> io::Result<()> {
        let Beside { dir, tmp, name, named, file } = self;
        match settle_if_done(named, || rustix::fs::renameat(&dir, &tmp, &dir, &name)) {
            Ok(()) => Ok(()),
            // Still registered, so a signal during the copy removes it.
            Err((e, named)) => Beside { file, dir, tmp, name, named }.copy_over().map_err(|copy| {
                io::Error::new(
                    copy.kind(),
                    format!(
                        "{} (renaming over it: {})",
                        crate::error::os_text(&copy),
                        crate::error::os_text(&e.into())
                    ),
                )
            }),
        }
    }

    /// Copies the temporary's data into the file of the final name (truncated first, never
    /// through a symlink), which keeps its inode, owner, mode and xattrs (but a capability,
    /// which the kernel clears on a write); then removes the temporary. While the old file is
    /// rewritten the temporary is the only whole copy: it is no longer removed on a signal, and
    /// a copy that fails keeps it and names it (both removed it with the old file half
    /// written; found by review). Interrupted, the final name's file is as far as it was
    /// written, as tar would leave it.
    pub fn copy_over(self) -> io::Result<()> {
        use rustix::fs::{Mode, OFlags};
        let Beside { dir, tmp, name, named, .. } = self;
        settle(named, || ());
        let copied = (|| {
            // The new archive opened first: the old one is emptied only once it can be filled
            // (found by audit: out of descriptors, the old archive was left empty).
            let from = rustix::fs::openat(&dir, &tmp, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
            let flags = OFlags::WRONLY | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let to = std::fs::File::from(rustix::fs::openat(&dir, &name, flags, Mode::empty())?);
            io::copy(&mut std::fs::File::from(from), &mut &to)?;
            to.sync_all()
        })();
        match copied {
            Ok(()) => {
                let _ = rustix::fs::unlinkat(&dir, &tmp, AtFlags::empty());
                Ok(())
            }
            Err(e) => Err(io::Error::new(
                e.kind(),
                format!(
                    "{}; the whole new archive is kept beside it as {}: move it into place",
                    crate::error::os_text(&e),
                    tmp.escaped()
                ),
            )),
        }
    }

    /// Gives the new file, its data written, what the file `old` it replaces has: owner (where
    /// this process cannot give it, an error only when `owner_required`), mode, and every xattr,
    /// ACLs and a capability among them. After the data: a write clears a capability, and a
    /// chown a capability and the setuid bits; ACLs last, as an access ACL's mask is the mode's
    /// group bits (the mode alone would give the owning group the mask's rights). A replacement
    /// that lost them changed who may read or write the file. `security.*` xattrs this process
    /// may not set (an SELinux label, IMA's) are the kernel's and the policy's for a new file.
    /// `Err` says what could not be given.
    pub fn take_attributes(&self, old: &Path, owner_required: bool) -> Result<(), String> {
        use rustix::fs::{Gid, Mode, OFlags, Uid};
        let text = |e: rustix::io::Errno| crate::error::os_text(&e.into());
        let old = rustix::fs::open(old, OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| format!("xattrs ({})", text(e)))?;
        let (was, now) = match (rustix::fs::fstat(&old), rustix::fs::fstat(&self.file)) {
            (Ok(was), Ok(now)) => (was, now),
            (Err(e), _) | (_, Err(e)) => return Err(format!("owner and mode ({})", text(e))),
        };
        if (now.st_uid, now.st_gid) != (was.st_uid, was.st_gid) {
            let owner =
                rustix::fs::fchown(&self.file, Some(Uid::from_raw(was.st_uid)), Some(Gid::from_raw(was.st_gid)));
            if let Err(e) = owner.map_err(text).map_err(|e| format!("owner ({e})"))
                && owner_required
            {
                return Err(e);
            }
        }
        rustix::fs::fchmod(&self.file, Mode::from_raw_mode(was.st_mode & 0o7777))
            .map_err(|e| format!("mode ({})", text(e)))?;
        let names = crate::xattr::list_fd(&old).map_err(|e| format!("xattrs ({})", crate::error::os_text(&e)))?;
        for name in names {
            let set = crate::xattr::get_fd(&old, &name)
                .and_then(|v| v.map_or(Ok(()), |v| crate::xattr::set_fd(&self.file, &name, &v)));
            let kernels = name.as_encoded_bytes().starts_with(b"security.") && name != crate::caps::XATTR_NAME;
            match set {
                Err(e) if kernels && matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES | libc::ENOTSUP)) => {}
                Err(e) => return Err(format!("xattr {} ({})", name.to_string_lossy(), crate::error::os_text(&e))),
                Ok(()) => {}
            }
        }
        Ok(())
    }

    /// Removes the temporary.
    pub fn discard(self) {
        let Beside { dir, tmp, named, .. } = self;
        remove(named, dir.as_fd(), &tmp);
    }
}

/// Writes to an archive, each one under a lock that a signal's cleanup takes (and keeps) before
/// it cuts back an archive being appended to: no write lands after the cut.
pub struct ArchiveWrite<W>(pub W);

static WRITING: Mutex<()> = Mutex::new(());

fn writing() -> MutexGuard<'static, ()> {
    WRITING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ArchiveWrite<()> {
    /// Holds off a signal's cleanup while one write (or one `sendfile` step) goes on.
    pub fn start() -> MutexGuard<'static, ()> {
        wait_if_ending();
        writing()
    }
}

impl<W: io::Write> io::Write for ArchiveWrite<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _writing = ArchiveWrite::start();
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<W: AsFd> AsFd for ArchiveWrite<W> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// An archive being appended to, cut back to `end` and its old length `len` if the process
/// is ended by a signal (or a panic) before the append is done.
struct Restore {
    id: u64,
    file: OwnedFd,
    end: u64,
    len: u64,
}

impl Restore {
    /// The archive as it was: cut to its members, then zeros to its old length.
    fn cut_back(&self) -> io::Result<()> {
        rustix::fs::ftruncate(&self.file, self.end)?;
        rustix::fs::ftruncate(&self.file, self.len)?;
        Ok(())
    }
}

static RESTORES: Mutex<Vec<Restore>> = Mutex::new(Vec::new());

fn restores() -> MutexGuard<'static, Vec<Restore>> {
    RESTORES.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A registered restore; give it to `settle_restore` when the append is done.
#[must_use]
pub struct Restoring(u64);

/// Registers `file` (an archive appended to from `end`, `len` bytes long before) to be cut back
/// to `end`, then extended with zeros to `len`, on a signal.
pub fn restore_on_signal(file: BorrowedFd<'_>, end: u64, len: u64) -> io::Result<Restoring> {
    static IDS: AtomicU64 = AtomicU64::new(0);
    let id = IDS.fetch_add(1, Ordering::Relaxed);
    let file = rustix::io::fcntl_dupfd_cloexec(file, 0)?;
    wait_if_ending();
    restores().push(Restore { id, file, end, len });
    Ok(Restoring(id))
}

/// Forgets a registered restore when the append is done; when it `failed`, first cuts the
/// archive back (and syncs it), under the lock a signal's cleanup takes.
pub fn settle_restore(restoring: Restoring, failed: bool) -> io::Result<()> {
    wait_if_ending();
    let mut restores = restores();
    let Some(i) = restores.iter().position(|r| r.id == restoring.0) else { return Ok(()) };
    let r = restores.swap_remove(i);
    if failed {
        r.cut_back()?;
        rustix::fs::fdatasync(&r.file)?;
    }
    Ok(())
}

/// A file `extract --backup` renamed to its backup name, out of a member's way: renamed back
/// on a signal where the member has not taken the name yet (found by audit: an extraction
/// ended by Ctrl-C left the file only as `f~`, where a member that fails has it renamed back).
struct Backup {
    id: u64,
    dir: OwnedFd,
    name: std::ffi::OsString,
    backup: std::ffi::OsString,
}

static BACKUPS: Mutex<Vec<Backup>> = Mutex::new(Vec::new());

fn backups() -> MutexGuard<'static, Vec<Backup>> {
    BACKUPS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A file renamed to its backup name (`back_up`); give it to `settle_backup`.
#[must_use]
pub struct BackedUpName(u64);

/// Renames `name` in `dir` to `backup`, registered first, so that a signal's cleanup renames
/// it back wherever the name is still free; on failure nothing stays registered.
pub fn back_up(dir: BorrowedFd<'_>, name: &OsStr, backup: &OsStr) -> io::Result<BackedUpName> {
    static IDS: AtomicU64 = AtomicU64::new(0);
    let id = IDS.fetch_add(1, Ordering::Relaxed);
    let owned = rustix::io::fcntl_dupfd_cloexec(dir, 0)?;
    wait_if_ending();
    let mut backups = backups();
    backups.push(Backup { id, dir: owned, name: name.to_os_string(), backup: backup.to_os_string() });
    match rustix::fs::renameat(dir, name, dir, backup) {
        Ok(()) => Ok(BackedUpName(id)),
        Err(e) => {
            backups.retain(|b| b.id != id);
            Err(e.into())
        }
    }
}

impl Backup {
    /// The backup renamed back to its name, unless something has the name now.
    fn rename_back(&self) -> io::Result<()> {
        let noreplace = rustix::fs::RenameFlags::NOREPLACE;
        Ok(rustix::fs::renameat_with(&self.dir, &self.backup, &self.dir, &self.name, noreplace)?)
    }
}

/// Forgets a backup whose member is done; when `back` (the member failed), first renames the
/// backup back to its name, unless something has taken it (`ErrorKind::AlreadyExists`).
pub fn settle_backup(backed_up: BackedUpName, back: bool) -> io::Result<()> {
    wait_if_ending();
    let mut backups = backups();
    let Some(i) = backups.iter().position(|b| b.id == backed_up.0) else { return Ok(()) };
    let b = backups.swap_remove(i);
    if back { b.rename_back() } else { Ok(()) }
}

/// Removes every registered temporary, renames every pending backup back where its name is
/// free, and cuts back every archive being appended to; returns the lock that keeps new
/// temporaries from being registered: for a process about to end (a signal, or a bug's panic).
pub fn remove_all() -> impl Drop {
    // No write to an archive after this (the process is ending): the cut below is the last.
    ENDING.store(true, Ordering::Release);
    std::mem::forget(writing());
    for r in restores().drain(..) {
        let _ = r.cut_back();
    }
    let mut live = live();
    for e in live.iter() {
        let _ = rustix::fs::unlinkat(e.dir.as_fd(), &e.name, AtFlags::empty());
    }
    live.clear();
    // After the temporaries: a member's file not yet in place frees no name, and one in place
    // keeps its backup.
    for b in backups().drain(..) {
        let _ = b.rename_back();
    }
    live
}

/// While alive, SIGINT, SIGTERM and SIGHUP remove the registered temporaries, then end the
/// process as the signal would have.
pub struct SignalCleanup {
    handle: signal_hook::iterator::Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SignalCleanup {
    /// `None` when the handlers cannot be installed; extraction goes on without them. A signal
    /// this process was started ignoring (SIGHUP under nohup, SIGINT in a script's background
    /// job) stays ignored.
    pub fn install() -> Option<SignalCleanup> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let ignored = ignored_signals();
        let wanted = [SIGINT, SIGTERM, SIGHUP].into_iter().filter(|&s| ignored & (1 << (s - 1)) == 0);
        let mut signals = signal_hook::iterator::Signals::new(wanted).ok()?;
        let handle = signals.handle();
        let thread = std::thread::Builder::new()
            .name("captar-signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    // Held until the process ends: no new temporary can appear after this.
                    let _live = remove_all();
                    let _ = signal_hook::low_level::emulate_default_handler(sig);
                    std::process::exit(128 + sig);
                }
            })
            .ok()?;
        Some(SignalCleanup { handle, thread: Some(thread) })
    }
}

/// The signals this process ignores (the `SigIgn` mask of /proc/self/status: bit N-1 is signal
/// N); none when it cannot be read.
fn ignored_signals() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mask = status.lines().find_map(|l| l.strip_prefix("SigIgn:"));
    mask.and_then(|m| u64::from_str_radix(m.trim(), 16).ok()).unwrap_or(0)
}

impl Drop for SignalCleanup {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
