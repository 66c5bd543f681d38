/*!
The directory tree as create walks it: depth first, each directory's entries sorted by name (or by
inode, `--sort=inode`; GNU tar's and bsdtar's archives list them in readdir order; a sorted archive is the same on
every filesystem), a directory's contents right after the directory itself.

Each directory is read whole when the walk enters it and stays open while its entries are
visited: an entry is looked up by its name in that descriptor (`fstatat`, and the readers'
`openat`), one component, not its whole path again from the top. Paths are still built, for
member names and messages. A chain of open directories as deep as the tree would run out of
descriptors: only the deepest few levels stay open, and a level closed on the way down
is reopened on the way back up through its child's `..` (or else its path), checked to be the
same directory. Files handed on to the readers hold their directory open until read; past a
share of the descriptor limit the walk waits for the readers (`Tree::over_budget`) rather
than hand a file on by a path that could be too long, or lead elsewhere. Under a very low
limit nothing is kept open and every lookup goes by path, as a plain walk's.
*/

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::fs::{AtFlags, Mode, OFlags, RawDir, Stat};

/// Open directories kept on the way down (at most; fewer under a low descriptor limit);
/// deeper levels close the oldest.
const KEEP_OPEN: usize = 32;
/// Directories open at once, kept by the walk or held by files handed on to the readers (at
/// most; fewer under a low descriptor limit).
const HELD_OPEN: usize = 96;

/// Where a walked file is found: by its name in its directory, open since the walk read it,
/// or, for a path named on the command line, by that whole path.
#[derive(Clone)]
pub(super) struct At {
    dir: Option<Arc<DirFd>>,
    name: CString,
}

/// An open directory of the walk, counted while open.
pub(super) struct DirFd {
    fd: OwnedFd,
    open: Arc<AtomicUsize>,
}

impl DirFd {
    fn new(fd: OwnedFd, open: &Arc<AtomicUsize>) -> Arc<DirFd> {
        open.fetch_add(1, Ordering::Relaxed);
        Arc::new(DirFd { fd, open: Arc::clone(open) })
    }
}

impl Drop for DirFd {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl At {
    /// A path named on the command line, looked up from the working directory.
    pub(super) fn path(path: &Path) -> io::Result<At> {
        let name = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "the name holds a NUL byte"))?;
        Ok(At { dir: None, name })
    }

    /// The directory `name` is looked up in.
    pub(super) fn dir(&self) -> BorrowedFd<'_> {
        self.dir.as_deref().map_or(rustix::fs::CWD, |d| d.fd.as_fd())
    }

    pub(super) fn name(&self) -> &CStr {
        &self.name
    }

    /// Its lstat.
    #[cfg(test)]
    pub(super) fn stat(&self) -> io::Result<Stat> {
        self.stat_as(false)
    }

    /// Its lstat, or with `follow` the stat of what a symlink there leads to (`--dereference`).
    pub(super) fn stat_as(&self, follow: bool) -> io::Result<Stat> {
        let flags = if follow { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
        Ok(rustix::fs::statat(self.dir(), self.name(), flags)?)
    }
}

/// One walked entry: where it is, its path (the directory's path and its name), its member
/// name, and its lstat.
pub(super) struct Entry {
    pub at: At,
    pub path: PathBuf,
    pub name: PathBuf,
    pub st: Stat,
}

/// `Failure::what` of a directory not entered because the walk is already inside it.
pub(super) const LOOP: &str = "enter";

/// An entry that could not be looked at.
#[derive(Debug)]
pub(super) struct Failure {
    pub path: PathBuf,
    /// What was being done: "stat", or "read" for a directory's entries.
    pub what: &'static str,
    pub error: io::Error,
}

/// A directory being walked.
struct Level {
    /// Open while it is one of the deepest `keep_open` levels (never in a walk that keeps
    /// none); files handed on hold their own reference.
    dir: Option<Arc<DirFd>>,
    /// Its device and inode, to know it again when it is reopened.
    id: (u64, u64),
    path: PathBuf,
    name: PathBuf,
    /// The entries still to visit, sorted, the next one last.
    rest: Vec<CString>,
    /// Its stat when it was visited (its member's), to find it changed when it is finished.
    st: Stat,
}

/// The directories entered and not yet finished, the deepest last.
pub(super) struct Tree {
    levels: Vec<Level>,
    /// The directory last finished, whose `..` reopens its parent if that was closed.
    finished: Option<Arc<DirFd>>,
    /// How many of the walk's directories are open, here and in the files handed on.
    open: Arc<AtomicUsize>,
    /// `KEEP_OPEN` and `HELD_OPEN`, or less: a quarter and a half of the descriptors spare
    /// (0 and 0: none kept, every lookup by path).
    keep_open: usize,
    held_open: usize,
    buf: Vec<u8>,
    /// Symlinks are followed (`--dereference`): entries are stat'ed and directories opened
    /// through them, and a directory that is one of its own ancestors is not entered again.
    follow: bool,
    /// Whether the directory last entered was opened with O_NOATIME (its atime kept).
    atime_kept: bool,
    /// Entries in inode order (`--sort=inode`), not by name.
    by_inode: bool,
    /// Whether a directory finished is checked against its stat when visited
    /// (`changed_dirs`).
    check_changes: bool,
    /// Directories found changed when finished (entries added, removed or renamed while the
    /// walk was in them): GNU tar's "file changed as we read it", for the walker to say.
    changed_dirs: Vec<PathBuf>,
}

/// `openat` with O_NOATIME where the kernel allows it (the file's owner, or CAP_FOWNER), else
/// without: the fd, and whether the access time is kept.
pub(crate) fn open_noatime(dir: BorrowedFd<'_>, name: &CStr, flags: OFlags) -> rustix::io::Result<(OwnedFd, bool)> {
    match rustix::fs::openat(dir, name, flags | OFlags::NOATIME, Mode::empty()) {
        Err(rustix::io::Errno::PERM) => rustix::fs::openat(dir, name, flags, Mode::empty()).map(|fd| (fd, false)),
        other => other.map(|fd| (fd, true)),
    }
}

impl Tree {
    /// A tree for a walk that leaves `reserve` descriptors to the rest of create (the files
    /// the readers have open, large files waiting for the writer, the archive).
    pub(super) fn new(reserve: usize) -> Tree {
        let spare = crate::fds::spare(reserve);
        // Under a very low limit no directory is kept open: every lookup goes by whole path.
        if spare < 8 {
            return Tree::with_limits(0, 0);
        }
        Tree::with_limits((spare / 4).min(KEEP_OPEN), (spare / 2).min(HELD_OPEN))
    }

    fn with_limits(keep_open: usize, held_open: usize) -> Tree {
        Tree {
            levels: Vec::new(),
            finished: None,
            open: Arc::new(AtomicUsize::new(0)),
            keep_open,
            held_open,
            buf: Vec::with_capacity(32 << 10),
            follow: false,
            atime_kept: true,
            by_inode: false,
            check_changes: true,
            changed_dirs: Vec::new(),
        }
    }

    /// Directories are not checked for changes (`--remove-files` changes them itself).
    pub(super) fn checking_changes(mut self, on: bool) -> Tree {
        self.check_changes = on;
        self
    }

    /// The directories found changed since the last call.
    pub(super) fn take_changed(&mut self) -> Vec<PathBuf> {
        std::mem::take(&mut self.changed_dirs)
    }

    /// Whether the directory last entered was read without changing its access time.
    pub(super) fn atime_kept(&self) -> bool {
        self.atime_kept
    }

    /// Makes the walk follow symlinks (`--dereference`).
    pub(super) fn following(mut self, follow: bool) -> Tree {
        self.follow = follow;
        self
    }

    /// Each directory's entries in inode order rather than by name (`--sort=inode`).
    pub(super) fn by_inode(mut self, on: bool) -> Tree {
        self.by_inode = on;
        self
    }

    /// Whether the walk follows symlinks.
    pub(super) fn follows(&self) -> bool {
        self.follow
    }

    /// Enters the directory `entry` (just visited): its entries come next, before the rest of
    /// its parent's.
    pub(super) fn enter(&mut self, entry: &Entry) -> Result<(), Failure> {
        let fail = |what, error| Failure { path: entry.path.clone(), what, error };
        let nofollow = if self.follow { OFlags::empty() } else { OFlags::NOFOLLOW };
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | nofollow | OFlags::CLOEXEC;
        let (fd, atime_kept) =
            open_noatime(entry.at.dir(), entry.at.name(), flags).map_err(|e| fail("read", e.into()))?;
        self.atime_kept = atime_kept;
        // The name may have been given to another directory since its lstat: the one read is
        // the one whose metadata was archived, or none. Another filesystem there is one
        // mounted by the open itself (an automount point: lstat does not trigger it), entered
        // as the old walk and GNU tar enter it.
        let st = rustix::fs::fstat(&fd).map_err(|e| fail("read", e.into()))?;
        if st.st_dev == entry.st.st_dev && st.st_ino != entry.st.st_ino {
            return Err(fail(
                "read",
                io::Error::other("replaced by another directory while we read it; not descended"),
            ));
        }
        // Only a followed symlink can lead back to a directory being walked: entering it
        // again would never end.
        if self.follow && self.levels.iter().any(|level| level.id == (st.st_dev, st.st_ino)) {
            return Err(fail(
                LOOP,
                io::Error::other("file system loop: a symlink leads back to a directory it is in; not descended"),
            ));
        }
        let rest = self.read_names(&fd).map_err(|e| fail("read", e))?;
        let dir = if self.keep_open == 0 {
            None
        } else {
            if let Some(far) = self.levels.len().checked_sub(self.keep_open) {
                self.levels[far].dir = None;
            }
            Some(DirFd::new(fd, &self.open))
        };
        self.levels.push(Level {
            dir,
            id: (st.st_dev, st.st_ino),
            path: entry.path.clone(),
            name: entry.name.clone(),
            rest,
            st: entry.st,
        });
        Ok(())
    }

    /// Of the directory just entered, only the entry `name` is visited (a directory that an
    /// exclusion tag leaves with the tag file only).
    pub(super) fn keep_only(&mut self, name: &CStr) {
        if let Some(level) = self.levels.last_mut() {
            level.rest.retain(|n| n.as_c_str() == name);
        }
    }

    /// The entries of the directory just entered, each with its lstat (its stat when
    /// following symlinks; `None` where that failed); `keep` then says which of them the walk
    /// visits (a listed-incremental dump leaves out what is unchanged). `keep` may look at an
    /// entry through the `At` its first argument gives.
    pub(super) fn narrow_entered(
        &mut self,
        keep: impl FnOnce(&dyn Fn(&OsStr) -> Option<At>, &[(CString, Option<Stat>)]) -> Vec<bool>,
    ) {
        let flags = if self.follow { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
        let Some(level) = self.levels.last_mut() else { return };
        let child = |name: &OsStr| -> Option<At> {
            match &level.dir {
                Some(dir) => Some(At { dir: Some(Arc::clone(dir)), name: CString::new(name.as_bytes()).ok()? }),
                None => At::path(&level.path.join(name)).ok(),
            }
        };
        let stats: Vec<(CString, Option<Stat>)> = level
            .rest
            .iter()
            .rev()
            .map(|name| {
                let st = child(OsStr::from_bytes(name.as_bytes()))
                    .and_then(|at| rustix::fs::statat(at.dir(), at.name(), flags).ok());
                (name.clone(), st)
            })
            .collect();
        let kept = keep(&child, &stats);
        // `rest` is sorted last first; `stats` first first.
        let mut kept = kept.into_iter().rev();
        level.rest.retain(|_| kept.next().unwrap_or(true));
    }

    /// The names in an open directory, sorted from last to first (by name, or by inode and
    /// then name).
    fn read_names(&mut self, fd: &OwnedFd) -> io::Result<Vec<CString>> {
        let mut names = Vec::new();
        let mut inodes = Vec::new();
        let mut dir = RawDir::new(fd, self.buf.spare_capacity_mut());
        while let Some(entry) = dir.next() {
            let entry = entry?;
            let name = entry.file_name();
            if name != c"." && name != c".." {
                if self.by_inode {
                    inodes.push((entry.ino(), name.to_owned()));
                } else {
                    names.push(name.to_owned());
                }
            }
        }
        if self.by_inode {
            inodes.sort_unstable_by(|(ia, a), (ib, b)| (ib, b.as_bytes()).cmp(&(ia, a.as_bytes())));
            return Ok(inodes.into_iter().map(|(_, name)| name).collect());
        }
        names.sort_unstable_by(|a, b| b.as_bytes().cmp(a.as_bytes()));
        Ok(names)
    }

    /// Whether no directory is entered: the next entry is a path named on the command line.
    pub(super) fn is_top(&self) -> bool {
        self.levels.is_empty()
    }

    /// Whether more of the walk's directories are open than it should keep: files handed on
    /// hold their directory open until read, so the walk waits for the readers to catch up.
    pub(super) fn over_budget(&self) -> bool {
        self.open.load(Ordering::Relaxed) > self.held_open
    }

    /// The next entry in walk order, `None` when every entered directory is done.
    pub(super) fn next(&mut self) -> Option<Result<Entry, Failure>> {
        loop {
            let level = self.levels.last_mut()?;
            let dir = match &level.dir {
                Some(dir) => Some(Arc::clone(dir)),
                None if self.keep_open == 0 => None,
                None => {
                    if let Err(failure) = self.reopen_top() {
                        return Some(Err(failure));
                    }
                    continue;
                }
            };
            let Some(name) = level.rest.pop() else {
                let done = self.levels.pop()?;
                if self.check_changes {
                    // Its members were archived by what it held when it was read: a change
                    // since its own lstat is said, as GNU tar says it (found by review: a
                    // directory written to during the walk was archived without a word).
                    let now = match &done.dir {
                        Some(dir) => rustix::fs::fstat(dir.fd.as_fd()).ok(),
                        None => At::path(&done.path).and_then(|at| at.stat_as(self.follow)).ok(),
                    };
                    if now.is_some_and(|now| super::changed(&done.st, &now)) {
                        self.changed_dirs.push(done.path.clone());
                    }
                }
                self.finished = done.dir;
                continue;
            };
            let file_name = Path::new(OsStr::from_bytes(name.as_bytes()));
            let (path, member) = (joined(&level.path, file_name), joined(&level.name, file_name));
            let at = match dir {
                Some(dir) => At { dir: Some(dir), name },
                None => match At::path(&path) {
                    Ok(at) => at,
                    Err(error) => return Some(Err(Failure { path, what: "stat", error })),
                },
            };
            return Some(match at.stat_as(self.follow) {
                Ok(st) => Ok(Entry { at, path, name: member, st }),
                Err(error) => Err(Failure { path, what: "stat", error }),
            });
        }
    }

    /// Reopens the deepest directory, closed on the way down: through the `..` of its child
    /// just finished, or else by its path; checked to be the same directory. Where it cannot
    /// be (it was moved, or its path grew too long), its remaining entries are given up.
    fn reopen_top(&mut self) -> Result<(), Failure> {
        let child = self.finished.take();
        let Some(top) = self.levels.last_mut() else { return Ok(()) };
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let nofollow = if self.follow { OFlags::empty() } else { OFlags::NOFOLLOW };
        let check = |fd: OwnedFd| match rustix::fs::fstat(&fd) {
            Ok(st) if (st.st_dev, st.st_ino) == top.id => Ok(fd),
            Ok(_) => Err(io::Error::from(io::ErrorKind::NotFound)),
            Err(e) => Err(e.into()),
        };
        let via_child = child
            .as_deref()
            .and_then(|d| rustix::fs::openat(&d.fd, c"..", flags, Mode::empty()).ok())
            .and_then(|fd| check(fd).ok());
        let reopened = match via_child {
            Some(fd) => Ok(fd),
            None => {
                rustix::fs::open(&top.path, flags | nofollow, Mode::empty()).map_err(io::Error::from).and_then(check)
            }
        };
        match reopened {
            Ok(fd) => {
                top.dir = Some(DirFd::new(fd, &self.open));
                Ok(())
            }
            Err(error) => {
                let path = top.path.clone();
                self.levels.pop();
                let error = if error.kind() == io::ErrorKind::NotFound {
                    io::Error::other("moved or removed while we read it; the rest of its entries were not archived")
                } else {
                    error
                };
                Err(Failure { path, what: "read", error })
            }
        }
    }
}

/// `base.join(name)` in one allocation (`join` copies `base`, then grows to add `name`).
fn joined(base: &Path, name: &Path) -> PathBuf {
    let mut path = PathBuf::with_capacity(base.as_os_str().len() + 1 + name.as_os_str().len());
    path.push(base);
    path.push(name);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain `l0/l1/.../l{depth-1}` beneath `root`, with a file `z` in each level (after the
    /// level's subdirectory in name order).
    fn chain(root: &Path, depth: usize) -> Vec<PathBuf> {
        let mut dir = root.to_path_buf();
        let mut dirs = Vec::new();
        for i in 0..depth {
            dir.push(format!("l{i}"));
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("z"), i.to_string()).unwrap();
            dirs.push(dir.clone());
        }
        dirs
    }

    fn root_entry(root: &Path) -> Entry {
        let at = At::path(root).unwrap();
        Entry { st: at.stat().unwrap(), at, path: root.to_path_buf(), name: PathBuf::from("r") }
    }

    /// Walks `root` as create does, calling `hook` once when the walk reaches a file named
    /// `trigger`; returns the member names seen and the failures (path, message). Checks at
    /// every step that no more directories are open than the limits allow.
    fn walk(
        root: &Path,
        tree: &mut Tree,
        trigger: &str,
        mut hook: impl FnMut(),
    ) -> (Vec<String>, Vec<(PathBuf, String)>) {
        let (mut seen, mut failed) = (Vec::new(), Vec::new());
        tree.enter(&root_entry(root)).unwrap();
        while let Some(next) = tree.next() {
            assert!(tree.open.load(Ordering::Relaxed) <= tree.keep_open + 1, "too many directories open");
            match next {
                Ok(entry) => {
                    if entry.st.st_mode & libc::S_IFMT == libc::S_IFDIR {
                        tree.enter(&entry).unwrap();
                    }
                    if entry.path.ends_with(trigger) {
                        hook();
                    }
                    seen.push(entry.name.to_string_lossy().into_owned());
                }
                Err(f) => failed.push((f.path, f.error.to_string())),
            }
        }
        (seen, failed)
    }

    fn expected(depth: usize, skip_z_of: &[usize]) -> Vec<String> {
        let mut names = Vec::new();
        let mut name = String::from("r");
        for i in 0..depth {
            name.push_str(&format!("/l{i}"));
            names.push(name.clone());
        }
        for i in (0..depth).rev() {
            if !skip_z_of.contains(&i) {
                names.push(format!("{}/z", names[i]));
            }
        }
        names
    }

    #[test]
    fn a_deep_tree_is_walked_in_name_order_with_few_directories_open() {
        let tmp = tempfile::tempdir().unwrap();
        chain(tmp.path(), 40);
        let (seen, failed) = walk(tmp.path(), &mut Tree::with_limits(3, 3), "", || {});
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(seen, expected(40, &[]));
    }

    /// Directories closed on the way down are found again on the way up: through their
    /// child's `..` when the child stayed in them, by their path when it was moved out.
    #[test]
    fn closed_directories_are_found_again_after_moves() {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = chain(tmp.path(), 10);
        // Deep down, `l5` is moved (with l6-l9) beside `l0`: l5 is found through l6's `..`,
        // l4 by its path (l5's `..` is now the root). Every file is still walked.
        let (seen, failed) = walk(tmp.path(), &mut Tree::with_limits(2, 2), "l9/z", || {
            std::fs::rename(&dirs[5], tmp.path().join("moved5")).unwrap();
        });
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(seen, expected(10, &[]));
    }

    /// A closed directory that cannot be found again (moved away, and its child no longer in
    /// it) is one failure naming it: its remaining entries are given up, the walk goes on
    /// above it, and no entry is looked up anywhere else.
    #[test]
    fn a_directory_moved_away_is_a_failure_and_the_walk_goes_on() {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = chain(tmp.path(), 10);
        let (seen, failed) = walk(tmp.path(), &mut Tree::with_limits(2, 2), "l9/z", || {
            std::fs::rename(&dirs[5], tmp.path().join("moved5")).unwrap();
            std::fs::rename(&dirs[4], tmp.path().join("l0/l1/l2/l3/l4x")).unwrap();
        });
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].0, dirs[4]);
        assert!(failed[0].1.contains("moved or removed while we read it"), "{failed:?}");
        assert_eq!(seen, expected(10, &[4]));
    }

    /// Files handed on keep their directory open: the tree is over its budget once more than
    /// `held_open` are, and back under it when they are dropped (read).
    #[test]
    fn files_handed_on_count_against_the_budget() {
        let tmp = tempfile::tempdir().unwrap();
        for i in 0..20 {
            let d = tmp.path().join(format!("w{i:02}"));
            std::fs::create_dir(&d).unwrap();
            std::fs::write(d.join("f"), format!("file {i}")).unwrap();
        }
        let mut tree = Tree::with_limits(2, 4);
        tree.enter(&root_entry(tmp.path())).unwrap();
        let mut handed = Vec::new();
        let mut read = 0;
        while let Some(entry) = tree.next() {
            let entry = entry.unwrap();
            if entry.st.st_mode & libc::S_IFMT == libc::S_IFDIR {
                tree.enter(&entry).unwrap();
                continue;
            }
            if tree.over_budget() {
                // What the walk does: wait for the readers to read what was handed on.
                assert!(handed.len() >= 2, "over budget with {} files handed on", handed.len());
                for at in handed.drain(..) {
                    let at: At = at;
                    let fd = rustix::fs::openat(at.dir(), at.name(), OFlags::RDONLY, Mode::empty()).unwrap();
                    assert_eq!(std::io::read_to_string(std::fs::File::from(fd)).unwrap(), format!("file {read}"));
                    read += 1;
                }
                assert!(!tree.over_budget());
            }
            handed.push(entry.at);
            assert!(tree.open.load(Ordering::Relaxed) <= 4 + 1);
        }
        assert!(read > 0 && read < 20, "{read}");
    }

    /// Under a very low descriptor limit nothing is kept open: every entry is found by path.
    #[test]
    fn with_no_directory_kept_open_every_lookup_goes_by_path() {
        let tmp = tempfile::tempdir().unwrap();
        chain(tmp.path(), 12);
        let mut tree = Tree::with_limits(0, 0);
        let (seen, failed) = walk(tmp.path(), &mut tree, "", || {});
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(seen, expected(12, &[]));
        assert_eq!(tree.open.load(Ordering::Relaxed), 0);
    }

    /// A filesystem mounted on a directory after its lstat (what opening an automount point
    /// does: lstat does not trigger it) is entered, as GNU tar enters it; a directory
    /// replaced by another of the same filesystem is not.
    #[test]
    fn a_mount_appearing_on_open_is_entered_a_replaced_directory_is_not() {
        if !rustix::process::geteuid().is_root() {
            assert!(std::env::var_os("CI").is_none(), "CI runs the tests as root: mounting needs it");
            eprintln!("skipped: mounting a tmpfs needs root");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let m = tmp.path().join("m");
        std::fs::create_dir(&m).unwrap();
        let entry = root_entry(&m);
        let mounted = std::process::Command::new("mount").args(["-t", "tmpfs", "tmpfs"]).arg(&m).status();
        assert!(mounted.unwrap().success(), "mount -t tmpfs failed");
        std::fs::write(m.join("inside"), "x").unwrap();
        let mut tree = Tree::with_limits(2, 4);
        let entered = tree.enter(&entry);
        let names: Vec<_> = std::iter::from_fn(|| tree.next()).map(|e| e.unwrap().name).collect();
        drop(tree);
        let unmounted = std::process::Command::new("umount").arg(&m).status();
        assert!(unmounted.unwrap().success(), "umount failed");
        entered.unwrap();
        assert_eq!(names, [PathBuf::from("r/inside")]);

        let d = tmp.path().join("d");
        std::fs::create_dir(&d).unwrap();
        let entry = root_entry(&d);
        std::fs::rename(&d, tmp.path().join("old")).unwrap();
        std::fs::create_dir(&d).unwrap();
        let failure = Tree::with_limits(2, 4).enter(&entry).unwrap_err();
        assert!(failure.error.to_string().contains("replaced by another directory"), "{failure:?}");
    }
}
