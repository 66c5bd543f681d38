/*!
The xattr layer: the only code that calls getxattr/setxattr. Works on open file descriptors
wherever a file is open (the fd is the file we created or opened, never a path an archive entry
could have redirected), and on paths only with the `l*` calls, which never follow a symlink.
*/

use std::ffi::{CStr, CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags, XattrFlags};

/// Large enough for any capability value (24 bytes) and most small xattrs, so the common case
/// is one syscall.
const FIRST_TRY: usize = 256;

fn cname(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "xattr name holds a NUL byte"))
}

/// Calls `call` with a buffer that grows on ERANGE until the answer fits.
fn with_buffer(
    first: usize,
    mut call: impl FnMut(&mut [u8]) -> rustix::io::Result<usize>,
) -> rustix::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; first];
    loop {
        match call(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(rustix::io::Errno::RANGE) if buf.len() < 1 << 26 => {
                let len = buf.len() * 4;
                buf.resize(len, 0);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads a value with one call in the common case; `None` when absent.
fn read_value(mut call: impl FnMut(&mut [u8]) -> rustix::io::Result<usize>) -> io::Result<Option<Vec<u8>>> {
    // Tried on the stack first: most values (every capability) fit, and an absent one, the
    // usual answer, then costs no allocation.
    let mut first = [0u8; FIRST_TRY];
    let value = match call(&mut first) {
        Ok(n) => Ok(first[..n].to_vec()),
        Err(rustix::io::Errno::RANGE) => with_buffer(FIRST_TRY * 4, call),
        Err(e) => Err(e),
    };
    match value {
        Ok(v) => Ok(Some(v)),
        Err(rustix::io::Errno::NODATA) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `read_value` for an xattr most files lack (a capability): asked first with no buffer, which
/// the kernel answers without allocating and zeroing one for the value (a getxattr with a
/// buffer does, absent value or not); a value there is then read.
fn read_rare(mut call: impl FnMut(&mut [u8]) -> rustix::io::Result<usize>) -> io::Result<Option<Vec<u8>>> {
    match call(&mut []) {
        Err(rustix::io::Errno::NODATA) => Ok(None),
        Err(e) => Err(e.into()),
        Ok(_) => read_value(call),
    }
}

/// The capability, when `list` (a listxattr) shows the file may have one: most files have none,
/// and a listxattr answers that without the capability module's getxattr hook, which looks the
/// value up a second time to convert a namespaced one (0.6 µs less per file on ext4 here; the
/// same on tmpfs). Only a list read whole and lacking the name answers `None`; a list longer
/// than the buffer, or any error, leaves the answer to `get` (`read_rare`), as before. The list
/// is asked only where `listed`: a file on a filesystem that `lists_every_name`. `None` too
/// where the filesystem keeps no xattrs.
fn read_caps(
    listed: bool,
    list: impl FnOnce(&mut [u8]) -> rustix::io::Result<usize>,
    get: impl FnMut(&mut [u8]) -> rustix::io::Result<usize>,
    others: &mut Option<bool>,
) -> io::Result<Option<Vec<u8>>> {
    let mut names = [0u8; FIRST_TRY];
    if listed {
        match list(&mut names) {
            Ok(n) => {
                let names = &names[..n];
                *others = Some(others_in(names));
                if !names.split(|&b| b == 0).any(|name| name == CAPABILITY.to_bytes()) {
                    return Ok(None);
                }
            }
            // Longer than the buffer: more than the capability and a label.
            Err(rustix::io::Errno::RANGE) => *others = Some(true),
            Err(_) => {}
        }
    }
    match read_rare(get) {
        Err(e) if is_unsupported(&e) => Ok(None),
        other => other,
    }
}

/// Whether a name list holds xattrs or ACLs besides the capability and the SELinux label
/// (`is_other`).
fn others_in(names: &[u8]) -> bool {
    names.split(|&b| b == 0).any(|n| !n.is_empty() && is_other(OsStr::from_bytes(n)))
}

/// Whether an xattr is one the notes of xattrs or ACLs not captured or restored count: not the
/// capability, nor the SELinux label (which every file has on an SELinux system, and the system
/// there labels anew).
pub fn is_other(name: &OsStr) -> bool {
    name != crate::caps::XATTR_NAME && name != crate::select::SELINUX_XATTR
}

/// Filesystems (`statfs`'s `f_type`) whose name list holds every xattr they give a value for:
/// the kernel's own, which list each stored name (overlayfs passes its layers' lists on,
/// leaving out only its own `overlay.` names). ext2/3/4, XFS, btrfs, tmpfs, f2fs, overlayfs,
/// squashfs, EROFS, ramfs (which keeps none).
const LISTS_EVERY_NAME: [i64; 9] =
    [0xEF53, 0x5846_5342, 0x9123_683E, 0x0102_1994, 0xF2F5_2010, 0x794C_7630, 0x7371_7368, 0xE0F5_E1E2, 0x8584_58F6];

/// The most devices `lists_every_name` remembers per thread (it starts again past them).
const DEVICES_KEPT: usize = 64;

thread_local! {
    /// What `lists_every_name` found for each device met on this thread.
    static LISTS: std::cell::RefCell<Vec<(u64, bool)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether the filesystem of device `dev` is one of `LISTS_EVERY_NAME`, so that a name list
/// without `security.capability` means the file has none (`read_caps`). Any other (FUSE, NFS,
/// CIFS, 9p...) is asked for the value by name: a FUSE filesystem may leave `security.*` out of
/// its list and still give the value, and a capability taken for absent there would be lost
/// without a word (a review built one; tested). `fd()` opens a file on that filesystem, asked
/// (`fstatfs`) the first time this thread meets the device; without one, the answer is no.
fn lists_every_name<F: AsFd>(dev: u64, fd: impl FnOnce() -> Option<F>) -> bool {
    if let Some(known) = LISTS.with(|l| l.borrow().iter().find(|(d, _)| *d == dev).map(|&(_, known)| known)) {
        return known;
    }
    let Some(fd) = fd() else { return false };
    let Ok(fs) = rustix::fs::fstatfs(&fd) else { return false };
    #[allow(clippy::unnecessary_cast)] // f_type's width differs between architectures
    let lists = LISTS_EVERY_NAME.contains(&(fs.f_type as i64));
    LISTS.with(|l| {
        let mut l = l.borrow_mut();
        if l.len() >= DEVICES_KEPT {
            l.clear();
        }
        l.push((dev, lists));
    });
    lists
}

fn split_list(call: impl FnMut(&mut [u8]) -> rustix::io::Result<usize>) -> io::Result<Vec<OsString>> {
    let buf = with_buffer(1024, call)?;
    Ok(buf.split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| OsString::from_vec(s.to_vec())).collect())
}

/// Whether an error means "this filesystem keeps no xattrs of this kind".
/// Why the kernel answers EOVERFLOW for a file's `security.capability`, and what to do. In a
/// user namespace: a v3 rootid it does not map (`elsewhere` says where to read it). In the
/// initial namespace every uid maps but 4294967295, so it is that rootid, which is no user
/// at all: the value grants nothing and no namespace can read it (found by review: captar
/// advised reading it from the namespace that set it).
pub fn eoverflow_why(elsewhere: &str) -> String {
    if in_initial_userns() {
        "a v3 capability whose rootid is 4294967295 (-1), which is no user: it grants nothing, and no \
         namespace can read it (EOVERFLOW); remove it with setcap -r"
            .into()
    } else {
        format!(
            "a v3 (namespaced) capability whose rootid maps to no user of this user namespace (EOVERFLOW); {elsewhere}"
        )
    }
}

/// Whether this process is in the initial user namespace: its uid map maps every uid to itself.
/// Where /proc cannot tell (not mounted), false: what judges by it (an owner shown as the
/// overflow uid, an EOVERFLOW's reason) then allows for a namespace. `initial_userns_or_unknown`
/// is the other way.
pub(crate) fn in_initial_userns() -> bool {
    initial_userns() == Some(true)
}

/// Whether this process is in the initial user namespace, true where /proc cannot tell: for
/// advice to root, where a chroot made by hand without /proc is mostly the host's root (a
/// container runtime mounts /proc; found by review: such a root was advised as a user
/// namespace's root).
pub(crate) fn initial_userns_or_unknown() -> bool {
    initial_userns() != Some(false)
}

fn initial_userns() -> Option<bool> {
    Some(uid_map()? == [UidRange { inside: 0, outside: 0, count: 4_294_967_295 }])
}

/// Whether a capability written for this namespace's root (v2) takes effect on the host: in
/// the initial namespace, or in one whose root is the host's root (`unshare -U -r` run by
/// root: uid map `0 0 1`), where the kernel stores it as v2 (found by audit: such a copy was
/// said to take effect only in the namespace). (A nested namespace's map names its parent's
/// uids: one whose root is its parent's, itself not the host's, is taken as the host's.) Where
/// the map cannot be read (no /proc: a chroot made by hand) the host's, as
/// `initial_userns_or_unknown` takes it (found by audit: every capability was said there to be
/// the namespace's).
pub(crate) fn caps_for_host() -> bool {
    initial_userns_or_unknown() || ns_root_on_host() == Some(0)
}

/// When `uid` is no uid of this user namespace (outside every range of its uid map), its map,
/// as `/proc/self/uid_map` gives it, one range after another (`0 100000 65536`); `None` when it
/// is one, or the map cannot be read.
pub(crate) fn unmapped_here(uid: u32) -> Option<String> {
    unmapped_in(uid_map()?, uid)
}

/// When `gid` is no gid of this user namespace (outside every range of its gid map), its map,
/// as `unmapped_here` gives the uid map's.
pub(crate) fn gid_unmapped_here(gid: u32) -> Option<String> {
    unmapped_in(gid_map()?, gid)
}

fn unmapped_in(map: &[UidRange], id: u32) -> Option<String> {
    let maps = map.iter().any(|r| (r.inside..r.inside + r.count).contains(&u64::from(id)));
    (!maps).then(|| map_text(map))
}

/// The uid this user namespace shows for one it does not map (/proc/sys/kernel/overflowuid,
/// 65534 where that cannot be read), read once.
pub(crate) fn overflow_uid() -> u32 {
    static ID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *ID.get_or_init(|| overflow_id("/proc/sys/kernel/overflowuid"))
}

/// The gid shown for one this user namespace does not map, as `overflow_uid`.
pub(crate) fn overflow_gid() -> u32 {
    static ID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *ID.get_or_init(|| overflow_id("/proc/sys/kernel/overflowgid"))
}

fn overflow_id(file: &str) -> u32 {
    std::fs::read_to_string(file).ok().and_then(|s| s.trim().parse::<u32>().ok()).unwrap_or(65534)
}

/// This user namespace's uid map, as `/proc/self/uid_map` gives it, one range after another
/// (`0 100000 65536, 65536 200000 1`).
pub(crate) fn uid_map_text() -> Option<String> {
    Some(map_text(uid_map()?))
}

fn map_text(map: &[UidRange]) -> String {
    map.iter().map(|r| format!("{} {} {}", r.inside, r.outside, r.count)).collect::<Vec<_>>().join(", ")
}

/// The uid of this user namespace that `outside`, a uid of the namespace outside it (the second
/// field of its uid map), is here; `None` where the map does not hold it or cannot be read.
pub(crate) fn inside_uid(outside: u32) -> Option<u32> {
    let outside = u64::from(outside);
    let r = uid_map()?.iter().find(|r| (r.outside..r.outside + r.count).contains(&outside))?;
    u32::try_from(r.inside + (outside - r.outside)).ok()
}

/// Why the kernel of this user namespace refuses `rootid`, when it is no uid here (`None`
/// otherwise, and in the initial namespace): a rootid written is read as one of this
/// namespace's uids. Where the namespace outside holds it, the policy that writes the same
/// stored value is named (a backup made on the host of a rootless container's files holds the
/// host's uids; found by review: the error guessed at why, and advised `host` for any rootid).
pub(crate) fn rootid_refused_here(rootid: u32) -> Option<(String, Option<u32>)> {
    if in_initial_userns() {
        return None;
    }
    let map = unmapped_here(rootid)?;
    Some((map, inside_uid(rootid)))
}

/// The host uid of this user namespace's root (`0 HOST COUNT` in its uid map).
pub(crate) fn ns_root_on_host() -> Option<u64> {
    uid_map()?.iter().find(|r| r.inside == 0).map(|r| r.outside)
}

/// One line of a uid map: `count` uids from `inside` here are those from `outside` in the
/// namespace outside this one.
#[derive(Debug, PartialEq, Eq)]
struct UidRange {
    inside: u64,
    outside: u64,
    count: u64,
}

/// `/proc/self/uid_map`, parsed once (a namespace's map is written once, before captar runs in
/// it; it is asked for each capability refused or compared); `None` where it cannot be read or
/// a line is not three numbers, which the kernel never writes.
fn uid_map() -> Option<&'static [UidRange]> {
    static MAP: std::sync::OnceLock<Option<Vec<UidRange>>> = std::sync::OnceLock::new();
    MAP.get_or_init(|| read_id_map("/proc/self/uid_map")).as_deref()
}

/// `/proc/self/gid_map`, as `uid_map`.
fn gid_map() -> Option<&'static [UidRange]> {
    static MAP: std::sync::OnceLock<Option<Vec<UidRange>>> = std::sync::OnceLock::new();
    MAP.get_or_init(|| read_id_map("/proc/self/gid_map")).as_deref()
}

/// An id map (`/proc/self/uid_map`, `gid_map`), one range a line; `None` where it cannot be
/// read or a line is not three numbers, which the kernel never writes.
fn read_id_map(path: &str) -> Option<Vec<UidRange>> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .map(|line| {
            let mut fields = line.split_whitespace().map(str::parse::<u64>);
            match (fields.next(), fields.next(), fields.next(), fields.next()) {
                (Some(Ok(inside)), Some(Ok(outside)), Some(Ok(count)), None) => {
                    Some(UidRange { inside, outside, count })
                }
                _ => None,
            }
        })
        .collect()
}

pub fn is_unsupported(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOTSUP))
}

/// One xattr of an open file; `None` when it is absent.
pub fn get_fd(fd: impl AsFd, name: &OsStr) -> io::Result<Option<Vec<u8>>> {
    let name = cname(name)?;
    read_value(|buf| rustix::fs::fgetxattr(&fd, name.as_c_str(), buf))
}

/// One xattr of a path, never following a final symlink; `None` when absent or unsupported.
pub fn get_path(path: &Path, name: &OsStr) -> io::Result<Option<Vec<u8>>> {
    let name = cname(name)?;
    match read_value(|buf| rustix::fs::lgetxattr(path, name.as_c_str(), buf)) {
        Err(e) if is_unsupported(&e) => Ok(None),
        other => other,
    }
}

/// The xattr names of an open file (empty where the filesystem keeps none).
pub fn list_fd(fd: impl AsFd) -> io::Result<Vec<OsString>> {
    match split_list(|buf| rustix::fs::flistxattr(&fd, buf)) {
        Err(e) if is_unsupported(&e) => Ok(Vec::new()),
        other => other,
    }
}

/// The xattr names of a path, never following a final symlink.
pub fn list_path(path: &Path) -> io::Result<Vec<OsString>> {
    match split_list(|buf| rustix::fs::llistxattr(path, buf)) {
        Err(e) if is_unsupported(&e) => Ok(Vec::new()),
        other => other,
    }
}

/// Sets an xattr on an open file.
pub fn set_fd(fd: impl AsFd, name: &OsStr, value: &[u8]) -> io::Result<()> {
    let name = cname(name)?;
    rustix::fs::fsetxattr(&fd, name.as_c_str(), value, XattrFlags::empty()).map_err(io::Error::from)
}

/// Sets an xattr on a path without following a final symlink.
pub fn set_path(path: &Path, name: &OsStr, value: &[u8]) -> io::Result<()> {
    let name = cname(name)?;
    rustix::fs::lsetxattr(path, name.as_c_str(), value, XattrFlags::empty()).map_err(io::Error::from)
}

/// Removes an xattr from an open file; absent is not an error.
pub fn remove_fd(fd: impl AsFd, name: &OsStr) -> io::Result<()> {
    let name = cname(name)?;
    match rustix::fs::fremovexattr(&fd, name.as_c_str()) {
        Ok(()) | Err(rustix::io::Errno::NODATA) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Removes an xattr from a path without following a final symlink; absent is not an error.
pub fn remove_path(path: &Path, name: &OsStr) -> io::Result<()> {
    let name = cname(name)?;
    match rustix::fs::lremovexattr(path, name.as_c_str()) {
        Ok(()) | Err(rustix::io::Errno::NODATA) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `security.capability` as a C string, for callers on hot paths.
pub const CAPABILITY: &CStr = c"security.capability";

/// The capability xattr of an open file: one getxattr where there is none (`read_rare`).
pub fn get_caps_fd(fd: impl AsFd) -> io::Result<Option<Vec<u8>>> {
    match read_rare(|buf| rustix::fs::fgetxattr(&fd, CAPABILITY, buf)) {
        Err(e) if is_unsupported(&e) => Ok(None),
        other => other,
    }
}

/// `get_caps_fd` of an open file on device `dev` (its `st_dev`): one flistxattr where there is
/// none, on a filesystem that `lists_every_name`. `others` says, where that list was read,
/// whether it holds xattrs or ACLs besides the capability and the SELinux label.
pub fn get_caps_fd_on(fd: impl AsFd, dev: u64, others: &mut Option<bool>) -> io::Result<Option<Vec<u8>>> {
    let listed = lists_every_name(dev, || Some(fd.as_fd()));
    let list = |buf: &mut [u8]| rustix::fs::flistxattr(&fd, buf);
    read_caps(listed, list, |buf| rustix::fs::fgetxattr(&fd, CAPABILITY, buf), others)
}

/// The capability xattr of a path (never following a final symlink): one lgetxattr where there
/// is none (`read_rare`).
pub fn get_caps_path(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match read_rare(|buf| rustix::fs::lgetxattr(path, CAPABILITY, buf)) {
        Err(e) if is_unsupported(&e) => Ok(None),
        other => other,
    }
}

/// One xattr of what `path` leads to, through symlinks (`--dereference`); `None` when absent
/// or unsupported.
pub fn get_following(path: &Path, name: &CStr) -> io::Result<Option<Vec<u8>>> {
    match read_value(|buf| rustix::fs::getxattr(path, name, buf)) {
        Err(e) if is_unsupported(&e) => Ok(None),
        other => other,
    }
}

/// The xattr names of what `path` leads to, through symlinks.
pub fn list_following(path: &Path) -> io::Result<Vec<OsString>> {
    match split_list(|buf| rustix::fs::listxattr(path, buf)) {
        Err(e) if is_unsupported(&e) => Ok(Vec::new()),
        other => other,
    }
}

/// `getxattrat(2)` (Linux 6.13): the syscall number, the same in the unified table of every
/// architecture that has one; libc does not name it yet.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64"))]
const SYS_GETXATTRAT: libc::c_long = 464;

/// Whether the running kernel lacks `getxattrat` (learned from the first ENOSYS). Set (to
/// anything) in the environment, `CAPTAR_TEST_NO_GETXATTRAT` makes captar behave as on such a
/// kernel, so tests reach the fallback here.
fn no_getxattrat() -> &'static std::sync::atomic::AtomicBool {
    static NO: std::sync::OnceLock<std::sync::atomic::AtomicBool> = std::sync::OnceLock::new();
    NO.get_or_init(|| std::env::var_os("CAPTAR_TEST_NO_GETXATTRAT").is_some().into())
}

/// `struct xattr_args` of `getxattrat(2)`.
#[repr(C)]
struct XattrArgs {
    value: u64,
    size: u32,
    flags: u32,
}

/// A raw syscall's return: a length, or -1 and the errno.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64"))]
fn syscall_len(n: libc::c_long) -> rustix::io::Result<usize> {
    match usize::try_from(n) {
        Ok(len) => Ok(len),
        Err(_) => Err(rustix::io::Errno::from_raw_os_error(io::Error::last_os_error().raw_os_error().unwrap_or(0))),
    }
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64"))]
#[allow(unsafe_code)] // raw syscalls: libc and rustix do not wrap getxattrat yet
fn getxattrat(dir: BorrowedFd<'_>, name: &CStr, attr: &CStr, buf: &mut [u8]) -> rustix::io::Result<usize> {
    let mut args =
        XattrArgs { value: buf.as_mut_ptr() as u64, size: buf.len().min(u32::MAX as usize) as u32, flags: 0 };
    // SAFETY: the strings are NUL-terminated, `args` points at `buf`, which outlives the call,
    // and the kernel writes at most `args.size` bytes there.
    let n = unsafe {
        libc::syscall(
            SYS_GETXATTRAT,
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW as libc::c_uint,
            attr.as_ptr(),
            &mut args as *mut XattrArgs,
            std::mem::size_of::<XattrArgs>(),
        )
    };
    syscall_len(n)
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64")))]
fn getxattrat(_: BorrowedFd<'_>, _: &CStr, _: &CStr, _: &mut [u8]) -> rustix::io::Result<usize> {
    Err(rustix::io::Errno::NOSYS)
}

/// `listxattrat(2)` (Linux 6.13), beside `getxattrat`.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64"))]
const SYS_LISTXATTRAT: libc::c_long = 465;

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64"))]
#[allow(unsafe_code)] // as getxattrat: libc and rustix do not wrap listxattrat yet
fn listxattrat(dir: BorrowedFd<'_>, name: &CStr, buf: &mut [u8]) -> rustix::io::Result<usize> {
    // SAFETY: the name is NUL-terminated and the kernel writes at most `buf.len()` bytes to
    // `buf`, which outlives the call.
    let n = unsafe {
        libc::syscall(
            SYS_LISTXATTRAT,
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW as libc::c_uint,
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    syscall_len(n)
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64")))]
fn listxattrat(_: BorrowedFd<'_>, _: &CStr, _: &mut [u8]) -> rustix::io::Result<usize> {
    Err(rustix::io::Errno::NOSYS)
}

/// `at()`, one of the `*xattrat` calls, which look up one component in a directory instead of
/// a whole path; on a kernel without them, `by_path()`, the `l*` call on a path of the same file.
fn at_or_path<T>(at: impl FnOnce() -> io::Result<T>, by_path: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    use std::sync::atomic::Ordering;
    if !no_getxattrat().load(Ordering::Relaxed) {
        match at() {
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => no_getxattrat().store(true, Ordering::Relaxed),
            // A seccomp filter that predates the syscalls (container runtimes) answers EPERM:
            // when the path call is allowed, the `*at` ones are not used again.
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
                let path = by_path();
                if path.is_ok() {
                    no_getxattrat().store(true, Ordering::Relaxed);
                }
                return path;
            }
            other => return other,
        }
    }
    by_path()
}

/// One xattr of `name` in the directory `dir`, never following a final symlink; `None` when
/// absent or unsupported. `full()` is a path of the same file, for kernels before 6.13.
pub fn get_at(
    dir: BorrowedFd<'_>,
    name: &CStr,
    attr: &OsStr,
    full: &dyn Fn() -> PathBuf,
) -> io::Result<Option<Vec<u8>>> {
    let attr = cname(attr)?;
    let at = || match read_value(|buf| getxattrat(dir, name, &attr, buf)) {
        Err(e) if is_unsupported(&e) => Ok(None),
        other => other,
    };
    at_or_path(at, || get_path(&full(), OsStr::from_bytes(attr.as_bytes())))
}

/// The xattr names of `name` in the directory `dir`, never following a final symlink (empty
/// where the filesystem keeps none). `full()` is a path of the same file, for kernels before
/// 6.13.
pub fn list_at(dir: BorrowedFd<'_>, name: &CStr, full: &dyn Fn() -> PathBuf) -> io::Result<Vec<OsString>> {
    let at = || match split_list(|buf| listxattrat(dir, name, buf)) {
        Err(e) if is_unsupported(&e) => Ok(Vec::new()),
        other => other,
    };
    at_or_path(at, || list_path(&full()))
}

/// The capability xattr of `name` in the directory `dir` (never following a final symlink):
/// one `getxattrat` where there is none (`read_rare`), which looks up one component instead of
/// a whole path; with `dev`, the file's `st_dev`, one `listxattrat` instead on a filesystem that
/// `lists_every_name` (`read_caps`). On a kernel without them, `get_caps_path` on `full()`, a
/// path of the same file.
pub fn get_caps_at(
    dir: BorrowedFd<'_>,
    name: &CStr,
    dev: Option<u64>,
    full: &dyn Fn() -> PathBuf,
) -> io::Result<Option<Vec<u8>>> {
    get_caps_at_noting(dir, name, dev, full, &mut None)
}

/// `get_caps_at`, and in `others`, where a name list was read, whether it holds xattrs or ACLs
/// besides the capability and the SELinux label.
pub fn get_caps_at_noting(
    dir: BorrowedFd<'_>,
    name: &CStr,
    dev: Option<u64>,
    full: &dyn Fn() -> PathBuf,
    others: &mut Option<bool>,
) -> io::Result<Option<Vec<u8>>> {
    let open = || rustix::fs::openat(dir, name, OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty()).ok();
    let listed = dev.is_some_and(|dev| lists_every_name(dev, open));
    let list = |buf: &mut [u8]| listxattrat(dir, name, buf);
    let at = || read_caps(listed, list, |buf| getxattrat(dir, name, CAPABILITY, buf), others);
    at_or_path(at, || get_caps_path(&full()))
}

/// Says how many capabilities an `--xattrs-exclude` that matches `security.capability` left
/// out (`were`: what became of them), if any: an exclusion such as `security.*` may be meant
/// for other names (found by review: every capability was left out without a word, exit 0).
/// `--no-caps` asks for that in so many words, and is not counted.
pub fn note_excluded_caps(report: &crate::error::Report, count: u64, were: &str) {
    let what = match count {
        0 => return,
        1 => "1 capability was".to_string(),
        n => format!("{n} capabilities were"),
    };
    report.note(format!(
        "{what} {were}: --xattrs-exclude matches security.capability (exclude only the names to drop, e.g. --xattrs-exclude='security.selinux'; --no-caps leaves capabilities out without this note)"
    ));
}
