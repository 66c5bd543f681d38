/*!
Path resolution beneath the destination directory. Every directory an entry is written into is
opened relative to the destination's fd with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`,
so neither `..` nor a symlink (planted by an earlier entry, or already there) can take a write
outside, or anywhere a symlink points (RUSTSEC-2018-0002, CVE-2021-38511, CVE-2025-45582). Where
openat2 is missing (ENOSYS, kernels before 5.6) or refused (EPERM from a seccomp filter older
than it, as in container runtimes) the same rule is enforced one component at a
time with `openat(O_NOFOLLOW)`, and so is a name longer than PATH_MAX (ENAMETOOLONG): every
lookup is relative to a directory fd, so depth is no limit. Symlinks are data: they are created,
never followed.
*/

use crate::error::ShowPath;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// Why a member name or link target cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    DotDot,
}

/// Whether `bytes` is a relative path of components none of which is empty, `.` or `..`: no
/// split, and for most names no look at every byte.
fn plain_components(bytes: &[u8]) -> bool {
    // Most names: not empty, no component beginning with `.` and no `//`: then every component
    // is plain, found with a look at the byte after each `/` (found by memchr, a word at a
    // time). Byte by byte, this was a tenth of a caps-only verify's reading of the headers.
    let odd = |b: Option<&u8>| matches!(b, None | Some(b'.' | b'/'));
    if !odd(bytes.first()) && memchr::memchr_iter(b'/', bytes).all(|i| !odd(bytes.get(i + 1))) {
        return true;
    }
    let (mut len, mut dots) = (0usize, 0usize);
    // A component ends: whether it may stand.
    let plain = |len: usize, dots: usize| len > 0 && !(dots == len && len <= 2);
    for &b in bytes {
        if b == b'/' {
            if !plain(len, dots) {
                return false;
            }
            (len, dots) = (0, 0);
        } else {
            len += 1;
            dots += usize::from(b == b'.');
        }
    }
    plain(len, dots)
}

/// A member name made safe: relative, no `.` or `..`, no leading `/`. `had_root` says a leading
/// `/` was removed (tar's "Removing leading `/'").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeName {
    pub rel: PathBuf,
    pub had_root: bool,
}

impl SafeName {
    pub fn parse(name: &Path) -> Result<SafeName, NameProblem> {
        // Most names are what the loop below would build once a leading `/` or `./` (an
        // archive of `/` or `.`) and a directory's trailing `/` are cut: taken so.
        let mut bytes = name.as_os_str().as_bytes();
        let had_root = bytes.starts_with(b"/");
        loop {
            if let Some(rest) = bytes.strip_prefix(b"/") {
                bytes = rest;
            } else if let Some(rest) = bytes.strip_prefix(b"./") {
                bytes = rest;
            } else {
                break;
            }
        }
        let bytes = bytes.strip_suffix(b"/").unwrap_or(bytes);
        if plain_components(bytes) {
            return Ok(SafeName { rel: PathBuf::from(OsStr::from_bytes(bytes)), had_root });
        }
        Self::from_components(name)
    }

    fn from_components(name: &Path) -> Result<SafeName, NameProblem> {
        let mut rel = PathBuf::with_capacity(name.as_os_str().len());
        let mut had_root = false;
        for c in name.components() {
            match c {
                Component::RootDir | Component::Prefix(_) => had_root = true,
                Component::CurDir => {}
                Component::ParentDir => return Err(NameProblem::DotDot),
                Component::Normal(n) => rel.push(n),
            }
        }
        Ok(SafeName { rel, had_root })
    }

    /// The name a member is selected by: its safe relative path, or the name as it is when
    /// it has none (a `..` in it; extraction refuses such a member by itself).
    pub fn rel_of(name: &Path) -> PathBuf {
        SafeName::parse(name).map(|n| n.rel).unwrap_or_else(|_| name.to_path_buf())
    }

    /// The safe name of a member `--transform` renames (`meta` is renamed in place): `Ok(None)`
    /// when the name stays as it was; `Err` says why the new one cannot be extracted or
    /// verified (it has `..`, or it is empty and not a directory's), to be reported against
    /// the name as archived.
    pub fn renamed(
        transforms: &crate::transform::Transforms,
        meta: &mut crate::format::EntryMeta,
    ) -> Result<Option<SafeName>, String> {
        if !transforms.rename(meta) {
            return Ok(None);
        }
        match SafeName::parse(&meta.path) {
            Ok(renamed) if !renamed.is_root() || meta.kind == crate::format::Kind::Dir => Ok(Some(renamed)),
            Ok(_) => Err("--transform made its name empty".into()),
            Err(NameProblem::DotDot) => {
                Err(format!("--transform made its name {}, which contains '..'", meta.path.escaped()))
            }
        }
    }

    /// `renamed`, for a member to be written or compared under its new name (not `-O`, which
    /// names no file): a directory's name (ending in `/` or `/.`) given to anything else is
    /// refused too, as GNU tar fails on it ("Is a directory", "File exists"); captar dropped
    /// the `/` and put the file where an empty directory had just been extracted (found by
    /// audit).
    pub fn renamed_on_disk(
        transforms: &crate::transform::Transforms,
        meta: &mut crate::format::EntryMeta,
    ) -> Result<Option<SafeName>, String> {
        let renamed = SafeName::renamed(transforms, meta)?;
        let name = meta.path.as_os_str().as_bytes();
        if renamed.is_some()
            && meta.kind != crate::format::Kind::Dir
            && name.len() > 1
            && (name.ends_with(b"/") || name.ends_with(b"/."))
        {
            return Err(format!(
                "--transform made its name {}, a directory's, for a {}",
                meta.path.escaped(),
                meta.kind.word()
            ));
        }
        Ok(renamed)
    }

    /// The destination itself (`./` in the archive).
    pub fn is_root(&self) -> bool {
        self.rel.as_os_str().is_empty()
    }

    /// Parent directory (relative, maybe empty) and final component.
    pub fn split(&self) -> (&Path, &OsStr) {
        let parent = self.rel.parent().unwrap_or(Path::new(""));
        let name = self.rel.file_name().unwrap_or(OsStr::new("."));
        (parent, name)
    }
}

/// Opens `name` in `dir` (a path, with `rustix::fs::CWD`) to read a regular file: never through
/// a final symlink, never waiting on a fifo or taking a terminal; anything but a regular file is
/// an error.
pub fn open_regular_at<P: rustix::path::Arg>(dir: impl AsFd, name: P) -> io::Result<std::fs::File> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let file = std::fs::File::from(rustix::fs::openat(dir, name, flags, Mode::empty())?);
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok(file)
}

/// `/proc/self/fd/N/NAME`: the file `name` in the open directory `dir`, by a path whose lookup
/// resolves no symlink (the directory's magic link, then one name, not followed by `l*` calls
/// and O_NOFOLLOW). `None` without /proc.
pub fn proc_path(dir: BorrowedFd<'_>, name: &[u8]) -> Option<PathBuf> {
    static HAS_PROC: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*HAS_PROC.get_or_init(|| Path::new("/proc/self/fd").is_dir()) {
        return None;
    }
    let mut p = format!("/proc/self/fd/{}/", std::os::fd::AsRawFd::as_raw_fd(&dir)).into_bytes();
    p.extend_from_slice(name);
    Some(PathBuf::from(std::ffi::OsString::from_vec(p)))
}

/// Directory handle for the destination, with the last parent directory cached (archives list
/// siblings together, so most entries reuse it).
const CACHE_MAX: usize = 256;

/// The parent directories to keep open: CACHE_MAX, fewer where the descriptors this process may
/// still open are few (found by review: `ulimit -n 256` made extraction fail, "Too many open
/// files"); a quarter of them, as the workers' files in flight hold others (`Pool`).
fn cache_max() -> usize {
    // At least the last one: without it each file would open its directory anew (found by
    // review: at a limit of 10, 300 files of one directory opened it 300 times).
    (crate::fds::spare(0) / 4).clamp(1, CACHE_MAX)
}

pub struct Dest {
    root: OwnedFd,
    /// Parent directories opened recently (an archive lists siblings together, and returns to a
    /// parent after each subdirectory), shared with the workers that create files in them.
    /// Keyed by the path's bytes: hashing a `Path` parses its components, a cost per member.
    cache: HashMap<OsString, Arc<OwnedFd>>,
    /// `cache_max`, asked once.
    cache_max: usize,
    /// Whether openat2 may still be asked (ENOSYS, or EPERM from a seccomp filter, say not);
    /// shared by the threads of a scan, which look up through `&self`.
    openat2: AtomicBool,
    dir_mode: Mode,
    /// `--keep-directory-symlink`: symlinks in a member's directories are followed, resolved
    /// with the destination as `/` (`RESOLVE_IN_ROOT`: `lib -> /usr/lib` is the destination's
    /// usr/lib, and no symlink or `..` leads out of it).
    dir_symlinks: bool,
    /// Directories `dir` created for members' paths (by dev and inode), recorded when asked
    /// (`track_made`: `--recursive-unlink` and `-U` leave them alone).
    made: Option<std::collections::HashSet<(u64, u64)>>,
}

fn dir_flags() -> OFlags {
    OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::RDONLY
}

impl Dest {
    pub fn open(path: &Path) -> io::Result<Dest> {
        let root = rustix::fs::open(path, OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::RDONLY, Mode::empty())?;
        let umask = rustix::process::umask(Mode::empty());
        rustix::process::umask(umask);
        Ok(Dest { dir_mode: Mode::from_bits_truncate(0o777 & !umask.bits()), ..Dest::lookup_at(root) })
    }

    /// `open` for looking up only (verify): the umask, which only creating needs, is not read
    /// (reading it sets it for a moment, which would race with other threads doing the same).
    pub fn open_for_lookup(path: &Path) -> io::Result<Dest> {
        let root = rustix::fs::open(path, OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::RDONLY, Mode::empty())?;
        Ok(Dest::lookup_at(root))
    }

    /// `open_for_lookup` of a directory already open.
    pub fn lookup_at(root: OwnedFd) -> Dest {
        Dest {
            root,
            cache: HashMap::new(),
            cache_max: cache_max(),
            openat2: AtomicBool::new(true),
            dir_mode: Mode::from_raw_mode(0o755),
            dir_symlinks: false,
            made: None,
        }
    }

    pub fn root(&self) -> BorrowedFd<'_> {
        self.root.as_fd()
    }

    /// Follows symlinks to directories in members' paths, within the destination
    /// (`--keep-directory-symlink`); needs openat2 (Linux 5.6), which is checked here.
    pub fn keep_dir_symlinks(&mut self) -> io::Result<()> {
        let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        match rustix::fs::openat2(&self.root, ".", dir_flags(), Mode::empty(), how) {
            Ok(_) => {
                self.dir_symlinks = true;
                Ok(())
            }
            Err(Errno::NOSYS | Errno::PERM) => Err(io::Error::other(
                "--keep-directory-symlink needs openat2 (Linux 5.6 or later, allowed by any seccomp filter), which this system refuses",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether symlinks to directories are followed (`--keep-directory-symlink`).
    pub fn keeps_dir_symlinks(&self) -> bool {
        self.dir_symlinks
    }

    /// Records from now on the directories `dir` creates, for `made`.
    pub fn track_made(&mut self) {
        self.made.get_or_insert_with(Default::default);
    }

    /// Whether `dir` created the directory of this dev and inode (when tracked).
    pub fn made(&self, key: (u64, u64)) -> bool {
        self.made.as_ref().is_some_and(|m| m.contains(&key))
    }

    /// Drops the cached handles of `rel` and what is beneath it: removed, their paths lead
    /// elsewhere now.
    pub fn forget(&mut self, rel: &Path) {
        let rel = rel.as_os_str().as_bytes();
        self.cache.retain(|k, _| {
            let k = k.as_bytes();
            !(k.starts_with(rel) && (k.len() == rel.len() || k[rel.len()] == b'/'))
        });
    }

    /// `rel` opened as a directory, following symlinks within the destination as its root.
    fn open_in_root(&self, rel: &Path) -> io::Result<Option<OwnedFd>> {
        let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        let flags = OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::RDONLY;
        // EAGAIN: a rename elsewhere raced the lookup (the kernel's check); ask again.
        for _ in 0..8 {
            match rustix::fs::openat2(&self.root, rel, flags, Mode::empty(), how) {
                Ok(fd) => return Ok(Some(fd)),
                Err(Errno::NOENT) => return Ok(None),
                Err(Errno::AGAIN) => continue,
                Err(e) => return Err(explain(e)),
            }
        }
        Err(io::Error::other("the lookup kept racing with renames in the destination; try again"))
    }

    /// Opens `rel` (a directory path relative to the destination) beneath the destination,
    /// following no symlink. `Ok(None)` when a component is missing.
    pub fn open_dir(&mut self, rel: &Path) -> io::Result<Option<OwnedFd>> {
        if self.dir_symlinks && !rel.as_os_str().is_empty() {
            return self.open_in_root(rel);
        }
        self.lookup_dir(rel).map_err(explain)
    }

    /// `open_dir` without `--keep-directory-symlink`, for threads that share the destination
    /// (`caps scan`'s walk): the error as the kernel gave it (ELOOP or ENOTDIR where a symlink
    /// or a file stands in the path). openat2, else one component at a time.
    pub fn lookup_dir(&self, rel: &Path) -> Result<Option<OwnedFd>, Errno> {
        if rel.as_os_str().is_empty() {
            return rustix::io::fcntl_dupfd_cloexec(&self.root, 0).map(Some);
        }
        if !self.openat2.load(Ordering::Relaxed) {
            return self.walk_dir(rel);
        }
        match openat2_in_pieces(self.root.as_fd(), rel.as_os_str().as_bytes()) {
            Err(Errno::NOSYS) => {
                self.openat2.store(false, Ordering::Relaxed);
                self.walk_dir(rel)
            }
            // A seccomp filter older than openat2 (container runtimes) refuses it with EPERM:
            // walk, and if the walk is allowed, stop asking.
            Err(Errno::PERM) => {
                let walked = self.walk_dir(rel);
                if walked.is_ok() {
                    self.openat2.store(false, Ordering::Relaxed);
                }
                walked
            }
            // A concurrent rename raced the lookup (the kernel's check): walk instead.
            Err(Errno::AGAIN) => self.walk_dir(rel),
            opened => opened,
        }
    }

    /// `rel` opened as a directory through no symlink at all, even with
    /// `--keep-directory-symlink` (what an incremental listing removes from).
    pub fn open_dir_nofollow(&self, rel: &Path) -> io::Result<Option<OwnedFd>> {
        self.walk_dir(rel).map_err(explain)
    }

    /// `open_dir` one component at a time, each opened with O_NOFOLLOW | O_DIRECTORY.
    fn walk_dir(&self, rel: &Path) -> Result<Option<OwnedFd>, Errno> {
        let mut fd = rustix::io::fcntl_dupfd_cloexec(&self.root, 0)?;
        for c in rel.components() {
            // Member names are made safe before they get here (`SafeName`): a `..` or `/`
            // here is a bug, refused as the kernel refuses a lookup leaving the root.
            let Component::Normal(name) = c else { return Err(Errno::XDEV) };
            fd = match rustix::fs::openat(&fd, name, dir_flags(), Mode::empty()) {
                Ok(next) => next,
                Err(Errno::NOENT) => return Ok(None),
                Err(e) => return Err(e),
            };
        }
        Ok(Some(fd))
    }

    /// The directory `rel`, created (with missing parents) when absent.
    pub fn dir(&mut self, rel: &Path) -> io::Result<Arc<OwnedFd>> {
        // Through symlinks (--keep-directory-symlink) a path may lead elsewhere once the
        // archive changes one: looked up each time.
        if let Some(fd) = self.cache.get(rel.as_os_str())
            && !self.dir_symlinks
        {
            return Ok(fd.clone());
        }
        let fd = match self.open_dir(rel)? {
            Some(fd) => fd,
            None => self.create_dirs(rel)?,
        };
        if self.cache.len() >= self.cache_max {
            self.cache.clear();
        }
        let fd = Arc::new(fd);
        if !self.dir_symlinks {
            self.cache.insert(rel.as_os_str().to_os_string(), fd.clone());
        }
        Ok(fd)
    }

    fn create_dirs(&mut self, rel: &Path) -> io::Result<OwnedFd> {
        let mut fd = rustix::io::fcntl_dupfd_cloexec(&self.root, 0)?;
        let mut so_far = PathBuf::new();
        for c in rel.components() {
            let Component::Normal(name) = c else {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "unsafe path component"));
            };
            let made = match rustix::fs::mkdirat(&fd, name, self.dir_mode) {
                Ok(()) => true,
                Err(Errno::EXIST) => false,
                Err(e) => return Err(e.into()),
            };
            fd = if self.dir_symlinks {
                // A symlink there (made before, or by the archive) is followed, in the root.
                so_far.push(name);
                self.open_in_root(&so_far)?.ok_or_else(|| {
                    io::Error::other(format!(
                        "{} is a symlink that leads to no directory within the destination (dangling, or out of it: with --keep-directory-symlink the destination is the root for symlinks)",
                        so_far.escaped()
                    ))
                })?
            } else {
                rustix::fs::openat(&fd, name, dir_flags(), Mode::empty()).map_err(explain)?
            };
            if made && let Some(set) = self.made.as_mut() {
                let st = rustix::fs::fstat(&fd)?;
                set.insert((st.st_dev, st.st_ino));
            }
        }
        Ok(fd)
    }
}

/// A lookup refused because of what stands in the path (a symlink, a non-directory, or a way
/// out of the destination), as opposed to an I/O error: `is_blocked` tells them apart.
#[derive(Debug)]
struct Blocked(&'static str);

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Blocked {}

/// Whether a lookup error of this module says the path is blocked (never followed), rather than
/// failed.
pub fn is_blocked(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Blocked>())
}

/// `rel` opened as a directory beneath `root` through no symlink with openat2; a path of
/// PATH_MAX bytes or more (a deep tree) in pieces shorter than that, each opened beneath the one
/// before (it was walked one component at a time from the root, for each directory: a scan of
/// a tree 3,000 levels deep took five times as long; found by review). `Ok(None)` when a
/// component is missing.
fn openat2_in_pieces(root: BorrowedFd<'_>, rel: &[u8]) -> Result<Option<OwnedFd>, Errno> {
    let how = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
    let piece_flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut at: Option<OwnedFd> = None;
    let mut rest = rel;
    loop {
        let dir = at.as_ref().map_or(root, |fd| fd.as_fd());
        let last = rest.len() < PATH_MAX;
        // Cut after the last `/` that leaves a piece shorter than PATH_MAX (a component is at
        // most NAME_MAX bytes, so there is one).
        let cut = match last {
            true => rest.len(),
            false => rest[..PATH_MAX].iter().rposition(|&b| b == b'/').filter(|&i| i > 0).ok_or(Errno::NAMETOOLONG)?,
        };
        let piece = OsStr::from_bytes(&rest[..cut]);
        let flags = if last { dir_flags() } else { piece_flags };
        let fd = match rustix::fs::openat2(dir, piece, flags, Mode::empty(), how) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(e),
        };
        if last {
            return Ok(Some(fd));
        }
        at = Some(fd);
        rest = &rest[cut..];
        while let [b'/', tail @ ..] = rest {
            rest = tail;
        }
    }
}

/// The directory `dir` opened (O_PATH) if this process may search it: "." looked up in it, a
/// lookup the kernel allows only with search permission, as its ACL, security module and
/// fsuid decide (faccessat2, which asks the same, is refused by older container seccomp
/// filters, with EPERM; found by review). A directory that may be searched but not read
/// (0711) serves.
pub fn open_searchable(dir: &Path) -> Result<OwnedFd, Errno> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let fd = rustix::fs::open(dir, flags, Mode::empty())?;
    rustix::fs::openat(&fd, c".", flags, Mode::empty())
}

/// Linux's `PATH_MAX`: a path passed whole must be shorter, its NUL included.
const PATH_MAX: usize = libc::PATH_MAX as usize;

/// Turns the errnos of a refused lookup into messages that say what happened.
fn explain(e: Errno) -> io::Error {
    match e {
        Errno::XDEV => io::Error::other(Blocked("its path leads out of the destination; refused")),
        Errno::LOOP | Errno::NOTDIR => io::Error::other(Blocked(
            "a symlink or non-directory stands in its parent path; captar never extracts through symlinks (but with --keep-directory-symlink, through one to a directory within the destination, as bin -> usr/bin)",
        )),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        let n = SafeName::parse(Path::new("/usr/./bin//ping")).unwrap();
        assert_eq!(n.rel, Path::new("usr/bin/ping"));
        assert!(n.had_root);
        assert_eq!(SafeName::parse(Path::new("a/../../etc")), Err(NameProblem::DotDot));
        assert_eq!(SafeName::parse(Path::new("//..")), Err(NameProblem::DotDot));
        assert!(SafeName::parse(Path::new("./")).unwrap().is_root());
    }

    /// Only a lookup refused for what stands in the path counts as blocked, whatever its kind.
    #[test]
    fn blocked_lookups_are_told_from_other_errors() {
        assert!(is_blocked(&explain(Errno::LOOP)));
        assert!(is_blocked(&explain(Errno::NOTDIR)));
        assert!(is_blocked(&explain(Errno::XDEV)));
        assert!(!is_blocked(&explain(Errno::ACCESS)));
        assert!(!is_blocked(&io::Error::other("not a regular file")));
    }

    /// Names taken as they are give what the component walk gives: every name of up to four
    /// parts made of ordinary names, empty parts, `.` and `..`.
    #[test]
    fn names_taken_as_they_are_match_the_component_walk() {
        let parts = ["a", "", ".", "..", "b c", ".x", "...", "a.."];
        let mut names: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
        for _ in 0..3 {
            let longer: Vec<String> =
                names.iter().flat_map(|n| parts.iter().map(move |p| format!("{n}/{p}"))).collect();
            names.extend(longer);
        }
        for name in &names {
            let path = Path::new(name.as_str());
            assert_eq!(SafeName::parse(path), SafeName::from_components(path), "{name:?}");
        }
    }
}
