/*!
A parallel directory walk that reports in the order of a sequential one.

`getcap -r` walks with glibc's `nftw(FTW_PHYS)`: depth first, each directory's entries in
`readdir` order, a subdirectory's contents right where the subdirectory appears. Here one job
reads one directory. The calling thread emits the findings in exactly that sequential order (so
the output is byte for byte getcap's, and streams), reading itself the directory the order needs
next; helper threads meanwhile take the oldest pending directories (work stealing: shallow
subtrees the order reaches last), so the two rarely wait for each other.

Symlinks are never followed; every file but a directory or a symlink is visited, as getcap does
(its nftw calls a fifo or a device `FTW_F` too). The entry type comes from `readdir` (`d_type`), so a directory costs one `getdents` pass and a file no `stat` at all.
A file is looked at in its directory, open (`getxattrat`), not by its path: a tree deeper than
`PATH_MAX` is walked to the bottom, where getcap stops with ENAMETOOLONG.
*/

use std::collections::{BTreeMap, HashMap};
use std::ffi::{CStr, OsStr};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};

use rustix::fs::{Access, AtFlags, FileType, Mode, OFlags, RawDir};
use rustix::io::Errno;

use crate::error::{Error, Report, Result};
use crate::extract::beneath::Dest;

/// What the walk does with a file (not a directory, not a symlink): its path, the directory
/// it is in, open, and its name there (so that no path is looked up again: a deep tree's
/// paths are longer than the kernel takes).
pub(super) type Visit<'a, T> = dyn Fn(&Path, BorrowedFd<'_>, &CStr) -> Option<T> + Sync + 'a;

/// How to walk.
pub(super) struct WalkOptions {
    /// Stay on the root's filesystem (`find -xdev`): skip directories on other devices.
    pub one_file_system: bool,
    /// Threads reading directories, the calling one included (at least 1); fewer when no more
    /// can start.
    pub threads: usize,
}

/// What one directory held, in `readdir` order: findings and subdirectories (by job id).
enum Item<T> {
    Found(T),
    Dir(usize),
}

struct State<T> {
    /// Directories to read, by job id (ids grow in discovery order).
    pending: BTreeMap<usize, PathBuf>,
    next_id: usize,
    /// What each read directory held, until emitted.
    done: HashMap<usize, Vec<Item<T>>>,
    /// The directory the calling thread waits for while a helper reads it.
    awaited: Option<usize>,
    /// Helpers waiting for work.
    idle: usize,
    /// Set when the walk is over (or emitting failed): the helpers return.
    finished: bool,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Signalled when jobs arrive or the walk ends.
    work: Condvar,
    /// Signalled when the awaited directory's items arrive.
    ready: Condvar,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A thread that panicked leaves consistent data: every update is a single step.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, cv: &Condvar, guard: MutexGuard<'a, State<T>>) -> MutexGuard<'a, State<T>> {
        cv.wait(guard).unwrap_or_else(|e| e.into_inner())
    }
}

/// The directory reader shared by all threads.
struct Reader<'a, T> {
    shared: Shared<T>,
    /// The root, open: every directory below it is opened from it through no symlink, so that
    /// one swapped for a symlink after `readdir` named it a directory is not followed.
    root: Dest,
    /// The length of the root's path, which every directory's path starts with.
    root_len: usize,
    root_dev: u64,
    opts: &'a WalkOptions,
    report: &'a Report,
    visit: &'a Visit<'a, T>,
}

/// The stack of a helper thread: enough for `read_dir` and `visit` (getxattr, the capability's
/// decoding), which recurse no further.
const HELPER_STACK: usize = 256 * 1024;

/// What a helper maps besides its stack: guard pages, the signal stack Rust's runtime gives
/// every thread, a directory stream's buffer (32 KiB in glibc), and some heap.
const HELPER_EXTRA: usize = 192 * 1024;

/// How many helpers fit in a quarter of the address space `ulimit -v` leaves this process
/// (unlimited: no bound), the rest kept for the heap: a thread whose stack fits can still
/// start where the allocations after it will not, and an allocation that fails aborts. Each
/// helper costs its stack, the signal stack Rust's runtime maps for it, and a directory
/// stream's buffer; what the process has mapped already (its own code, about 11 MiB) is not
/// left (found by review: a quarter of the whole limit let 14 helpers start under 15 MB, and
/// the scan aborted).
///
/// Under such a limit the threads also share one malloc arena: glibc gives a thread an arena of
/// its own, reserving 64 MiB of address space for each, up to 8 per core, and a few of those
/// are enough to leave the next allocation without room.
fn helpers_within_address_limit() -> usize {
    let Some(bytes) = rustix::process::getrlimit(rustix::process::Resource::As).current else {
        return usize::MAX;
    };
    #[cfg(target_env = "gnu")]
    one_malloc_arena();
    let mapped = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmSize:")?.trim().strip_suffix(" kB")?.parse::<u64>().ok())
        })
        .map_or(32 << 20, |kib| kib << 10);
    let per_helper = (HELPER_STACK + HELPER_EXTRA) as u64;
    usize::try_from(bytes.saturating_sub(mapped) / 4 / per_helper).unwrap_or(usize::MAX).max(1)
}

#[cfg(target_env = "gnu")]
#[allow(unsafe_code)] // libc's mallopt: no safe wrapper exists
fn one_malloc_arena() {
    // SAFETY: mallopt takes two integers and only sets a tunable of the allocator; M_ARENA_MAX
    // may be set at any time, arenas made before it stay in use.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, 1) };
}

/// Walks the directory `root` (whose device is `root_dev`): `visit` runs on any thread for
/// every file but a directory or a symlink, and what it returns is passed to `emit` on this thread, in `nftw` order.
/// A directory that cannot be read is reported and skipped. Stops at the first error of `emit`.
pub(super) fn walk<T: Send>(
    root: &Path,
    root_dev: u64,
    opts: &WalkOptions,
    report: &Report,
    visit: &Visit<'_, T>,
    emit: &mut dyn FnMut(T) -> Result<()>,
) -> Result<()> {
    let root_fd = match open_dir(root) {
        Ok(fd) => fd,
        Err(e) => {
            // Gone since it was found (a busy system's temporary directory), as a file that
            // goes is: no error, as getcap -r gives none (it was exit 2; found by review).
            if e.kind() != std::io::ErrorKind::NotFound {
                report.error(Error::io(root, "read directory", e));
            }
            return Ok(());
        }
    };
    let reader = Reader {
        root: Dest::lookup_at(root_fd),
        root_len: root.as_os_str().len(),
        shared: Shared {
            state: Mutex::new(State {
                pending: BTreeMap::from([(0, root.to_path_buf())]),
                next_id: 1,
                done: HashMap::new(),
                awaited: None,
                idle: 0,
                finished: false,
            }),
            work: Condvar::new(),
            ready: Condvar::new(),
        },
        root_dev,
        opts,
        report,
        visit,
    };
    std::thread::scope(|scope| {
        // A helper that cannot start (RLIMIT_NPROC, threads-max, no memory for its stack) leaves
        // the work to those that did: at worst the calling thread does it all. `scope.spawn`
        // would panic instead. A helper reads one directory at a time, without recursion: a
        // small stack keeps `--threads 1024` within a limited address space (`ulimit -v`), where
        // the default 2 MiB stacks took it all and a later allocation aborted the scan.
        // Each helper holds one directory open at a time, as the calling thread does: no more
        // of them than the open-file limit leaves room for (`ulimit -n 8` with `--threads 16`
        // lost directories to "Too many open files"; found by review).
        let helpers = opts.threads.max(1).min(helpers_within_address_limit()).min(crate::fds::spare(4).max(1));
        for _ in 1..helpers {
            let helper = std::thread::Builder::new().stack_size(HELPER_STACK);
            if helper.spawn_scoped(scope, || reader.help()).is_err() {
                break;
            }
        }
        let result = reader.emit_in_order(emit);
        reader.shared.lock().finished = true;
        reader.shared.work.notify_all();
        result
    })
}

impl<T: Send> Reader<'_, T> {
    /// A helper thread: reads the oldest pending directory until the walk is over.
    fn help(&self) {
        let mut state = self.shared.lock();
        loop {
            if state.finished {
                return;
            }
            if let Some((id, path)) = state.pending.pop_first() {
                drop(state);
                self.run_job(id, &path);
                state = self.shared.lock();
            } else {
                state.idle += 1;
                state = self.shared.wait(&self.shared.work, state);
                state.idle -= 1;
            }
        }
    }

    /// Reads directory `id` and files its items.
    fn run_job(&self, id: usize, path: &Path) {
        // A panic must not leave the emitter waiting for this directory forever.
        let read = std::panic::catch_unwind(AssertUnwindSafe(|| self.read_dir(path)));
        let (mut items, children) = read.unwrap_or_else(|_| {
            self.report.error(Error::entry(path, "internal error while reading this directory; it was skipped"));
            (Vec::new(), Vec::new())
        });
        let mut state = self.shared.lock();
        let first = state.next_id;
        state.next_id += children.len();
        for item in &mut items {
            if let Item::Dir(i) = item {
                *i += first;
            }
        }
        let pushed = !children.is_empty();
        state.pending.extend(children.into_iter().enumerate().map(|(i, child)| (first + i, child)));
        state.done.insert(id, items);
        let wake_emitter = state.awaited == Some(id);
        let wake_helper = pushed && state.idle > 0;
        drop(state);
        if wake_emitter {
            self.shared.ready.notify_one();
        }
        if wake_helper {
            self.shared.work.notify_all();
        }
    }

    /// The items of directory `id`, reading it here if no helper has taken it, and reading
    /// other pending directories, newest first, while a helper reads it.
    fn take(&self, id: usize) -> std::vec::IntoIter<Item<T>> {
        let mut state = self.shared.lock();
        loop {
            if let Some(items) = state.done.remove(&id) {
                state.awaited = None;
                return items.into_iter();
            }
            let job = match state.pending.remove(&id) {
                Some(path) => Some((id, path)),
                None => state.pending.pop_last(),
            };
            match job {
                Some((job_id, path)) => {
                    drop(state);
                    self.run_job(job_id, &path);
                    state = self.shared.lock();
                }
                None => {
                    state.awaited = Some(id);
                    state = self.shared.wait(&self.shared.ready, state);
                }
            }
        }
    }

    /// Emits the findings depth first.
    fn emit_in_order(&self, emit: &mut dyn FnMut(T) -> Result<()>) -> Result<()> {
        let mut stack = vec![self.take(0)];
        while let Some(top) = stack.last_mut() {
            match top.next() {
                None => {
                    stack.pop();
                }
                Some(Item::Found(found)) => emit(found)?,
                Some(Item::Dir(id)) => stack.push(self.take(id)),
            }
        }
        Ok(())
    }

    /// Reads one directory: its findings and subdirectories in `readdir` order (a subdirectory's
    /// id is its index among the subdirectories until `run_job` numbers them), and their paths.
    fn read_dir(&self, dir: &Path) -> (Vec<Item<T>>, Vec<PathBuf>) {
        let (report, opts, root_dev, visit) = (self.report, self.opts, self.root_dev, self.visit);
        let mut items = Vec::new();
        let mut children = Vec::new();
        // Beneath the root through no symlink: a directory swapped for a symlink since it was
        // read as one is not followed (it was: `caps scan` reported the files it led to, as if
        // in the tree; found by review).
        let rel = dir.as_os_str().as_bytes().get(self.root_len..).unwrap_or_default();
        let rel = Path::new(OsStr::from_bytes(rel.strip_prefix(b"/").unwrap_or(rel)));
        let fd = match self.root.lookup_dir(rel) {
            Ok(Some(fd)) => fd,
            // Gone since it was found, as the root may be: no error.
            Ok(None) => return (items, children),
            Err(Errno::LOOP | Errno::NOTDIR) => {
                let why = "it, or a directory above it, was replaced by a symlink or a file while the scan ran; not followed, so its files were not scanned";
                report.error(Error::entry(dir, why));
                return (items, children);
            }
            Err(e) => {
                report.error(Error::io(dir, "read directory", e.into()));
                return (items, children);
            }
        };
        // /proc holds no xattr at all, so no capability: walking it (`caps scan /`) took half
        // the time and gave "permission denied" for what the kernel hides even from root.
        if rustix::fs::fstatfs(&fd).is_ok_and(|fs| fs.f_type == libc::PROC_SUPER_MAGIC) {
            return (items, children);
        }
        // A directory that may be read but not searched (mode r-- for this user) lists names
        // whose files cannot be looked at: said once for it, not once for each of its files
        // (found by review).
        if let Err(e @ Errno::ACCESS) = rustix::fs::accessat(&fd, c".", Access::EXEC_OK, AtFlags::EACCESS) {
            report.error(Error::io(dir, "search directory, so its files were not scanned", e.into()));
            return (items, children);
        }
        let mut buf = Vec::with_capacity(DIR_BUFFER);
        let mut entries = RawDir::new(&fd, buf.spare_capacity_mut());
        while let Some(entry) = entries.next() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    report.error(Error::io(dir, "read directory", e.into()));
                    break;
                }
            };
            let name = entry.file_name();
            if matches!(name.to_bytes(), b"." | b"..") {
                continue;
            }
            let path = dir.join(OsStr::from_bytes(name.to_bytes()));
            let lstat = || rustix::fs::statat(&fd, name, AtFlags::SYMLINK_NOFOLLOW);
            // The type from readdir; a filesystem that gives none (DT_UNKNOWN) is asked.
            let file_type = match entry.file_type() {
                FileType::Unknown => lstat().map(|st| FileType::from_raw_mode(st.st_mode)),
                known => Ok(known),
            };
            let file_type = match file_type {
                Ok(t) => t,
                Err(Errno::NOENT) => continue,
                Err(e) => {
                    report.error(Error::io(&path, "stat", e.into()));
                    continue;
                }
            };
            match file_type {
                FileType::Directory => {
                    if opts.one_file_system {
                        match lstat() {
                            Ok(st) if st.st_dev != root_dev => continue,
                            Ok(_) => {}
                            Err(Errno::NOENT) => continue,
                            Err(e) => {
                                report.error(Error::io(&path, "stat", e.into()));
                                continue;
                            }
                        }
                    }
                    items.push(Item::Dir(children.len()));
                    children.push(path);
                }
                FileType::Symlink => {}
                _ => {
                    if let Some(found) = visit(&path, fd.as_fd(), name) {
                        items.push(Item::Found(found));
                    }
                }
            }
        }
        (items, children)
    }
}

/// The buffer each directory is read into (`getdents64`), as glibc's directory streams' 32 KiB.
const DIR_BUFFER: usize = 32 * 1024;

/// Opens the walk's root `path` (following symlinks on the way, as the name given leads; the
/// scan has looked at it already, so it is shorter than PATH_MAX). The directories below it are
/// opened beneath it, in pieces where their paths are longer (`Dest::lookup_dir`).
fn open_dir(path: &Path) -> std::io::Result<OwnedFd> {
    Ok(rustix::fs::open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory gone between being found and being read is passed over, as a file that
    /// goes is, with no error (scan was exit 2 on a busy system; found by review); one that
    /// cannot be read for another reason is an error.
    #[test]
    fn a_directory_gone_meanwhile_is_no_error() {
        let tmp = tempfile::tempdir().unwrap();
        let opts = WalkOptions { one_file_system: false, threads: 1 };
        let visit = |_: &Path, _: BorrowedFd<'_>, _: &CStr| -> Option<()> { None };
        for (root, errors) in [(tmp.path().join("gone"), 0), (tmp.path().join("file"), 1)] {
            std::fs::write(tmp.path().join("file"), b"").unwrap();
            let report = Report::new();
            walk(&root, 0, &opts, &report, &visit, &mut |()| Ok(())).unwrap();
            assert_eq!(report.errors(), errors, "{}", root.display());
        }
    }

    /// A directory swapped for a symlink after its parent's `readdir` named it a directory is
    /// not followed: the scan reported the files outside the tree it led to, under names
    /// inside it (found by review). Here the swap happens while the parent is read, which one
    /// thread finishes before it opens the directory.
    #[test]
    fn a_directory_swapped_for_a_symlink_is_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let (root, outside) = (tmp.path().join("root"), tmp.path().join("outside"));
        for dir in [root.join("d"), outside.clone()] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(root.join("f"), b"").unwrap();
        std::fs::write(outside.join("secret"), b"").unwrap();
        let opts = WalkOptions { one_file_system: false, threads: 1 };
        let visit = |path: &Path, _: BorrowedFd<'_>, _: &CStr| -> Option<PathBuf> {
            if path.ends_with("f") {
                std::fs::rename(root.join("d"), tmp.path().join("moved")).unwrap();
                std::os::unix::fs::symlink(&outside, root.join("d")).unwrap();
            }
            Some(path.to_path_buf())
        };
        let report = Report::new();
        let mut found = Vec::new();
        walk(&root, 0, &opts, &report, &visit, &mut |p| {
            found.push(p);
            Ok(())
        })
        .unwrap();
        assert_eq!(found, [root.join("f")]);
        // Said, as the tree changed under the scan: what the directory held was not scanned.
        assert_eq!(report.errors(), 1);
    }
}
