/*!
Restoring one member's metadata through the fd of what was just created, in the order that
keeps capabilities (see the module above); a regular file's data is written by `atomic`.
*/

use crate::error::ShowPath;
use std::ffi::OsStr;
use std::io;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, Timespec, Timestamps, UTIME_NOW};
use rustix::io::Errno;

use super::{ExtractOptions, RootidPolicy};
use crate::caps::{self, FileCaps};
use crate::error::Error;
use crate::format::{EntryMeta, Kind, Time, acl};
use crate::select::XattrPolicy;
use crate::{owners, xattr};

/// A capability that was not restored, and why.
#[derive(Debug, Clone)]
pub struct CapFailure {
    pub path: PathBuf,
    pub caps: String,
    pub reason: String,
    /// The filesystem had no room for it (ENOSPC, EDQUOT): the extraction stops, as on a full
    /// disk for data, with that advice (not --keep-going's or --no-caps', which lose it).
    pub no_space: bool,
    /// Listed with `reason`: a hard link listed with its file (`Run::note_link_to_lost`), a
    /// member skipped for its name (`Run::note_skipped_caps`).
    pub shows_reason: bool,
}

/// The most rootids `Restorer::namespaced_note` names.
const NAMESPACED_ROOTIDS: usize = 4;

pub struct Restorer {
    same_owner: bool,
    same_permissions: bool,
    numeric_owner: bool,
    xattrs: XattrPolicy,
    rootid: RootidPolicy,
    umask: u32,
    /// `-m`: times are left as the extraction makes them.
    touch: bool,
    /// Empty directories a member replaced (its path beneath the destination, and the
    /// directory's dev and inode), on any thread, for the extraction to forget (`take_removed`).
    removed: std::sync::Mutex<Vec<(PathBuf, (u64, u64))>>,
    /// Capabilities not restored because `--xattrs-exclude` matches `security.capability`
    /// (said once at the end: an exclusion such as `security.*` may be meant for other names).
    excluded_caps: std::sync::atomic::AtomicU64,
    /// Files left without setuid/setgid bits for want of their owner (`setid_cleared`).
    setid_cleared: std::sync::atomic::AtomicU64,
    /// Capabilities written with another value than archived (`--cap-rootid`, or v1 made v2),
    /// said at the end (`RootidPolicy::rewritten_note`).
    rewritten_caps: std::sync::atomic::AtomicU64,
    /// Members extracted or attempted whose xattrs or ACLs besides the capability no option
    /// asked for (`unasked_xattrs`).
    unasked_xattrs: std::sync::atomic::AtomicU64,
    /// Capabilities written as archived with a v3 rootid other than this namespace's root
    /// (`--cap-rootid keep`): how many, and their rootids (the first few), said at the end
    /// (`namespaced_note`).
    namespaced: std::sync::Mutex<(u64, Vec<u32>)>,
    /// Capabilities written as archived for this namespace's root (v2, or a v3 rootid 0) from
    /// a user namespace other than the initial one, where the kernel stores them for that
    /// root's host uid (`in_userns_note`); `None` in the initial namespace.
    in_userns: Option<std::sync::atomic::AtomicU64>,
    /// Times read back (`probe_times`): the devices whose precision is known, the last one of
    /// them (the fast path), the probes that told nothing, and the first member whose mtime a
    /// filesystem cut, with the step it kept (said at the end: `times_cut`).
    times_probed: std::sync::Mutex<Vec<u64>>,
    times_probed_last: std::sync::atomic::AtomicU64,
    times_unclear: std::sync::atomic::AtomicU32,
    times_cut: std::sync::Mutex<Option<(PathBuf, Time, Time)>>,
    /// Out of a decompressor: the members whose capability was restored, with its text, to
    /// take back if the stream is found damaged later (`restored_from_stream`); the first
    /// `FROM_STREAM_MAX`, and how many more, so a hostile archive of capped files cannot take
    /// the memory.
    from_stream: Option<std::sync::Mutex<FromStream>>,
}

/// Capabilities restored out of a decompressor: member and text, and how many more there were.
pub type FromStream = (Vec<(PathBuf, String)>, u64);

/// The most capabilities restored out of a decompressor that are recorded to be taken back.
const FROM_STREAM_MAX: usize = 1 << 16;

/// The owner's write bit `Restorer::writable_for_xattrs` added taken off again, the rest of the
/// mode as it is now: an access ACL set since then holds the group's and others' bits, which
/// setting the mode again would overwrite (found by review: a non-root extraction's umask cut
/// the ACL's mask to nothing, for files with a `user.` xattr only).
fn without_owner_write(fd: BorrowedFd<'_>) -> rustix::io::Result<()> {
    let now = rustix::fs::fstat(fd)?.st_mode & 0o7777;
    rustix::fs::fchmod(fd, Mode::from_raw_mode(now & !0o200))
}

/// What a failed `fsetxattr(security.capability)` of `value` means and how to get past it.
/// `ids` gives the file's owner and group as this namespace sees them, asked only for EPERM in
/// a user namespace.
pub fn cap_errno_reason(e: &io::Error, value: &[u8], ids: &dyn Fn() -> Option<(u32, u32)>) -> String {
    match e.raw_os_error() {
        // In a user namespace the kernel takes a capability only on a file whose owner and
        // group both map there, whatever the writer holds (found by audit: a file made in a
        // setgid directory of an unmapped group was said to want CAP_SETFCAP, which the
        // process held).
        Some(libc::EPERM)
            if !crate::xattr::initial_userns_or_unknown()
                && let Some(why) = ids().and_then(|(uid, gid)| unmapped_owner(uid, gid)) =>
        {
            why
        }
        // Root may lack it too: a container started without it, a bounding set that drops it
        // (found by review: "run as root" was said to root).
        Some(libc::EPERM) if rustix::process::geteuid().is_root() => {
            "no CAP_SETFCAP: this process is root without it (a container or a bounding set that drops it); grant it to captar, or pass --no-caps".into()
        }
        Some(libc::EPERM) => "no CAP_SETFCAP: run captar as root".into(),
        Some(libc::ENOTSUP) => "this filesystem keeps no security.* xattrs (ramfs, some FUSE, overlay or network filesystems, old aufs); restore onto ext4, xfs, btrfs or tmpfs, or pass --no-caps".into(),
        // In the initial namespace every rootid maps but -1: that one is said, not guessed at
        // (found by review).
        Some(libc::EINVAL)
            if caps::FileCaps::decode(value).is_ok_and(|c| c.rootid == Some(u32::MAX))
                && crate::xattr::in_initial_userns() =>
        {
            "its rootid, 4294967295 (-1), is no user, and the kernel takes no such value; pass --cap-rootid host to write it as v2, or --cap-rootid N for a namespace's root".into()
        }
        Some(libc::EINVAL) => caps::FileCaps::decode(value)
            .ok()
            .and_then(|c| c.rootid)
            .and_then(rootid_refused)
            .unwrap_or_else(|| "the kernel refused the value (a v3 rootid that does not map in this user namespace?); try --cap-rootid host".into()),
        Some(libc::EROFS) => "the filesystem is read-only".into(),
        Some(libc::ENOSPC) => "the filesystem has no room left for it".into(),
        Some(libc::EDQUOT) => "the disk quota leaves no room for it".into(),
        _ => crate::error::os_text(e),
    }
}

/// Which of a file's owner `uid` and group `gid` (as this namespace shows them) maps to none
/// of this user namespace's ids, said with what to do; `None` where neither is known not to.
/// One outside the namespace's map is; an id it does not map also shows as the overflow id
/// (65534), which it may map too: where this process holds CAP_SETFCAP, an EPERM can mean
/// nothing else, and the overflow ids say which, but for an owner that is this process's own
/// uid (both: either; found by review: the owner, shown as 65534 and mapped, was blamed for a
/// group outside the map).
fn unmapped_owner(uid: u32, gid: u32) -> Option<String> {
    use crate::xattr::{gid_unmapped_here, overflow_gid, overflow_uid, unmapped_here};
    let (what, shown) = if unmapped_here(uid).is_some() {
        ("owner", uid.to_string())
    } else if gid_unmapped_here(gid).is_some() {
        ("group", gid.to_string())
    } else if !crate::error::has_effective(crate::error::CAP_SETFCAP) {
        return None;
    } else {
        // This process's own uid maps here: a file it owns is not the one.
        let own = rustix::process::geteuid().as_raw();
        match (uid == overflow_uid() && uid != own, gid == overflow_gid()) {
            (true, true) => ("owner or group", format!("{uid}:{gid}")),
            (true, false) => ("owner", uid.to_string()),
            (false, true) => ("group", gid.to_string()),
            (false, false) => return None,
        }
    };
    Some(format!(
        "the file's {what} is none of this user namespace's (shown here as {shown}), and the kernel sets a capability only on a file whose owner and group both map, whatever the writer holds; a file made in a setgid directory takes the directory's group: extract where the owner and group map, or pass --no-caps"
    ))
}

/// Why a user namespace refuses a v3 value of `rootid`, and the `--cap-rootid` that writes the
/// same stored value where the namespace outside holds it; `None` where the rootid is one of
/// this namespace's uids (or in the initial namespace), which leaves the reason a guess.
fn rootid_refused(rootid: u32) -> Option<String> {
    let (map, inside) = crate::xattr::rootid_refused_here(rootid)?;
    let then = match inside {
        Some(0) => format!(
            "; if the archive was made outside, uid {rootid} there is this namespace's root: --cap-rootid host writes the same value"
        ),
        Some(i) => format!(
            "; if the archive was made outside, uid {rootid} there is its uid {i}: --cap-rootid {i} writes the same value"
        ),
        None => "; pass --cap-rootid host to write it for this namespace's root, or --cap-rootid N for one of its uids"
            .into(),
    };
    Some(format!(
        "its rootid, {rootid}, is no uid of this user namespace (its uid map: {map}), so the kernel takes no such value here{then}"
    ))
}

impl CapFailure {
    /// A capability not restored under `path`, listed with `reason` (a hard link to a file
    /// not restored, a member skipped for its name).
    pub fn with_reason(path: &std::path::Path, caps: String, reason: String) -> CapFailure {
        CapFailure { path: path.to_path_buf(), caps, reason, no_space: false, shows_reason: true }
    }

    /// Its line in --keep-going's closing list: the name and the set not restored.
    pub fn listed(&self) -> String {
        match self.shows_reason {
            true => format!("{}: {} ({})", self.path.escaped(), self.caps, self.reason),
            false => format!("{}: {}", self.path.escaped(), self.caps),
        }
    }

    /// The error line naming `path` (as the member is shown), the set and why.
    pub fn message(&self, path: &Path) -> String {
        format!("{}: cannot restore {}: {}", path.escaped(), self.caps, self.reason)
    }
}

/// The finest decimal step (10 ns to a second) at which the time `archived`, cut, is `kept`.
fn cut_step(archived: Time, kept: Time) -> u32 {
    let mut step = 10;
    while step < 1_000_000_000 && archived.nsecs - archived.nsecs % step != kept.nsecs {
        step *= 10;
    }
    step
}

fn ts(secs: i64, nsecs: u32) -> Timespec {
    Timespec { tv_sec: secs, tv_nsec: nsecs as _ }
}

impl Restorer {
    /// `decompressed`: the archive is read through a decompressor, whose check may find damage
    /// after members were restored (see `from_stream`).
    pub fn new(opts: &ExtractOptions, decompressed: bool) -> Restorer {
        let umask = rustix::process::umask(Mode::empty());
        rustix::process::umask(umask);
        Restorer {
            same_owner: opts.same_owner,
            same_permissions: opts.same_permissions,
            numeric_owner: opts.numeric_owner,
            xattrs: opts.xattrs.clone(),
            rootid: opts.rootid,
            umask: umask.bits(),
            touch: opts.touch,
            removed: std::sync::Mutex::new(Vec::new()),
            excluded_caps: std::sync::atomic::AtomicU64::new(0),
            setid_cleared: std::sync::atomic::AtomicU64::new(0),
            rewritten_caps: std::sync::atomic::AtomicU64::new(0),
            unasked_xattrs: std::sync::atomic::AtomicU64::new(0),
            namespaced: std::sync::Mutex::new((0, Vec::new())),
            in_userns: (!crate::xattr::caps_for_host()).then(|| std::sync::atomic::AtomicU64::new(0)),
            times_probed: std::sync::Mutex::new(Vec::new()),
            times_probed_last: std::sync::atomic::AtomicU64::new(u64::MAX),
            times_unclear: std::sync::atomic::AtomicU32::new(0),
            times_cut: std::sync::Mutex::new(None),
            from_stream: decompressed.then(|| std::sync::Mutex::new((Vec::new(), 0))),
        }
    }

    /// The members whose capability was restored out of a decompressor, with its text (the
    /// first `FROM_STREAM_MAX`), and how many more there were.
    pub fn restored_from_stream(&self) -> FromStream {
        self.from_stream.as_ref().and_then(|m| m.lock().ok().map(|v| v.clone())).unwrap_or_default()
    }

    /// The closing note when a filesystem kept mtimes less precisely than the archive has them
    /// (ext4 with 128-byte inodes keeps seconds, exFAT hundredths): their fractions are cut, by
    /// the kernel, without a word; verify compares at that precision (`Time::holds`).
    pub fn times_cut_note(&self) -> Option<String> {
        let (path, archived, kept) = self.times_cut.lock().ok()?.clone()?;
        let precision = match cut_step(archived, kept) {
            1_000_000_000 => "the second",
            100_000_000 => "0.1 s",
            10_000_000 => "10 ms",
            1_000_000 => "1 ms",
            100_000 => "0.1 ms",
            10_000 => "10 µs",
            1_000 => "1 µs",
            100 => "0.1 µs",
            _ => "10 ns",
        };
        Some(format!(
            "the destination's filesystem keeps modification times to {precision}: finer parts were cut (as at {}: {} kept as {}); verify --all compares at that precision",
            path.escaped(),
            archived.to_pax(),
            kept.to_pax()
        ))
    }

    /// Reads back the time just set on a file of device `dev` (`stored`) to learn that
    /// filesystem's precision, once per filesystem: only for a member with a fraction of a
    /// second, and at most 64 times in all where the reading tells nothing (times of whole
    /// microseconds, kept whole).
    fn probe_times(&self, dev: u64, meta: &EntryMeta, stored: impl FnOnce() -> rustix::io::Result<rustix::fs::Stat>) {
        use std::sync::atomic::Ordering::Relaxed;
        if meta.mtime.nsecs == 0 || self.touch || self.times_probed_last.load(Relaxed) == dev {
            return;
        }
        if self.times_unclear.load(Relaxed) >= 64 {
            return;
        }
        let Ok(mut probed) = self.times_probed.lock() else { return };
        if !probed.contains(&dev) {
            let Ok(st) = stored() else { return };
            let kept = Time::mtime_of(&st);
            let cut = kept != meta.mtime && kept.holds(meta.mtime);
            // Kept whole, a time of nanoseconds says the filesystem keeps them; one cut says
            // to what.
            if !cut && (kept != meta.mtime || meta.mtime.nsecs.is_multiple_of(10)) {
                self.times_unclear.fetch_add(1, Relaxed);
                return;
            }
            // The step a cut time shows is the filesystem's only where the time has a digit
            // there: `.000000010` kept as `.0` is cut at 100 ns as much as at a second (found
            // in review: one such sample said "keeps modification times to 0.1 µs" of ext4's
            // whole seconds). The coarsest step seen is kept, and probing goes on until a
            // time shows it for sure.
            let step = cut.then(|| cut_step(meta.mtime, kept));
            if let (Some(step), Ok(mut seen)) = (step, self.times_cut.lock())
                && seen.as_ref().is_none_or(|&(_, a, k)| cut_step(a, k) < step)
            {
                *seen = Some((meta.path.clone(), meta.mtime, kept));
            }
            if step.is_some_and(|s| s < 1_000_000_000 && (meta.mtime.nsecs / s).is_multiple_of(10)) {
                self.times_unclear.fetch_add(1, Relaxed);
                return;
            }
            probed.push(dev);
        }
        self.times_probed_last.store(dev, Relaxed);
    }

    /// How many capabilities were written with another value than archived.
    pub fn rewritten_caps(&self) -> u64 {
        self.rewritten_caps.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The closing note when capabilities were written as archived, namespaced for another
    /// root than this namespace's (v3, rootid not 0): the kernel grants them to no process
    /// here, only in a user namespace whose root is that uid; a backup of a rootless
    /// container's files, restored on the host, holds capabilities that do nothing there, and
    /// nothing said so (found in testing). None with another `--cap-rootid` than keep, which
    /// says what it wrote.
    pub fn namespaced_note(&self) -> Option<String> {
        let (n, rootids) = self.namespaced.lock().ok()?.clone();
        let what = match n {
            0 => return None,
            1 => "1 capability was".to_string(),
            n => format!("{n} capabilities were"),
        };
        let (ids, more) = match rootids.len() {
            1 => ("rootid", ""),
            NAMESPACED_ROOTIDS => ("rootids", ", ..."),
            _ => ("rootids", ""),
        };
        let list = rootids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        Some(format!(
            "{what} written as archived, namespaced (v3 with {ids} {list}{more}): such a capability takes effect only in a user namespace whose root is that uid, not here; --cap-rootid host writes capabilities that take effect here"
        ))
    }

    /// Capabilities written as archived from inside a user namespace: the kernel keeps them for
    /// this namespace's root, so on the host they are namespaced and take effect only in such a
    /// namespace (a rootless extraction, `unshare -r`, made every one so and said nothing;
    /// found by audit). `--cap-rootid host` says its own.
    pub fn in_userns_note(&self) -> Option<String> {
        let n = self.in_userns.as_ref()?.load(std::sync::atomic::Ordering::Relaxed);
        let what = match n {
            0 => return None,
            1 => "1 capability was".to_string(),
            n => format!("{n} capabilities were"),
        };
        let host = crate::xattr::ns_root_on_host().map_or_else(String::new, |uid| format!(" (host uid {uid})"));
        Some(format!(
            "{what} written from inside a user namespace: the kernel keeps them for this namespace's root{host}, so they take effect in this namespace, not on the host (extract outside any user namespace, as root, for capabilities that take effect there)"
        ))
    }

    /// How many members were extracted, or attempted, without xattrs or ACLs they carry
    /// besides the capability, where no option asked for any (a hard link's are its file's; a
    /// file kept by `-k` is none).
    pub fn unasked_xattrs(&self) -> u64 {
        self.unasked_xattrs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many members' capabilities `--xattrs-exclude` kept from being restored.
    pub fn excluded_caps(&self) -> u64 {
        self.excluded_caps.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the member's capability (it has one) is restored; counted in `excluded_caps`
    /// when an exclusion keeps it out (`--no-caps` asks for that, and is not counted).
    fn restores_caps(&self) -> bool {
        if self.xattrs.wants(OsStr::new(caps::XATTR_NAME)) {
            return true;
        }
        if self.xattrs.caps {
            self.excluded_caps.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        false
    }

    /// Records that the member at `rel` replaced an empty directory (see `removed`).
    pub fn record_removed(&self, rel: &Path, key: (u64, u64)) {
        if let Ok(mut r) = self.removed.lock() {
            r.push((rel.to_path_buf(), key));
        }
    }

    /// The directories recorded by `record_removed` since the last call.
    pub fn take_removed(&self) -> Vec<(PathBuf, (u64, u64))> {
        self.removed.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default()
    }

    /// The owner to give the member, if owners are restored: its ids, `None` for one no Linux
    /// file has (`archive_ids`).
    fn owner(&self, meta: &EntryMeta) -> Option<(Option<rustix::fs::Uid>, Option<rustix::fs::Gid>)> {
        let (uid, gid) = self.same_owner.then(|| self.archive_ids(meta))?;
        Some((uid.map(rustix::fs::Uid::from_raw), gid.map(rustix::fs::Gid::from_raw)))
    }

    /// The ids the archive gives the member, by name unless `--numeric-owner`; `None` for one no
    /// Linux file has: over 32 bits (a GNU base-256 field may hold any number), or 4294967295,
    /// which chown reads as "leave it as it is" (found by review: a setuid file of that owner
    /// was left root's, with its setuid bit, in silence).
    fn archive_ids(&self, meta: &EntryMeta) -> (Option<u32>, Option<u32>) {
        archive_ids(meta, self.numeric_owner)
    }

    /// Where root does not restore owners (`--no-same-owner`): the setuid and setgid bits a
    /// file (not a directory, whose setgid bit only passes its group on) may not keep, those
    /// whose id is not the archive's on the file made (`made`: its owner; the group may be a
    /// setgid directory's). (Found by audit: a file setuid to uid 1000 became a setuid-root
    /// one, as GNU tar makes it; libarchive clears such bits too, each by its own id; found by
    /// review.) Another user's files are their own, setuid to themselves, as in GNU tar.
    /// Counted for a note at the end.
    fn setid_cleared(&self, meta: &EntryMeta, made: impl FnOnce() -> Option<(u32, u32)>) -> u32 {
        // The ids asked only of a setuid or setgid file: most members are neither, and each
        // is a system call.
        if !self.same_permissions || meta.mode & 0o6000 == 0 || meta.kind == crate::format::Kind::Dir {
            return 0;
        }
        let ours = (rustix::process::geteuid(), rustix::process::getegid());
        if !ours.0.is_root() {
            return 0;
        }
        let file = made().unwrap_or((ours.0.as_raw(), ours.1.as_raw()));
        let clear = setid_not_owned(meta.mode, self.archive_ids(meta), file);
        if clear != 0 {
            self.setid_cleared.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        clear
    }

    /// The note of the setuid and setgid bits `setid_cleared` left out, if any.
    pub fn setid_cleared_note(&self) -> Option<String> {
        let (what, its, they) = match self.setid_cleared.load(std::sync::atomic::Ordering::Relaxed) {
            0 => return None,
            1 => ("1 file was".to_string(), "its", "it"),
            n => (format!("{n} files were"), "their", "they"),
        };
        Some(format!(
            "{what} extracted without {its} setuid/setgid bits: with owners not restored (--no-same-owner), {they} would be setuid or setgid to another user or group than the archive says; restore owners to keep them"
        ))
    }

    /// The mode to set: the archive's with `-p` (root's default), else without the umask's
    /// bits, setuid, setgid and sticky (as GNU tar); without the setuid and setgid bits
    /// `set_owner` says the file may not keep.
    fn mode(&self, meta: &EntryMeta, cleared: u32) -> Mode {
        let mode = if self.same_permissions { meta.mode } else { meta.mode & !self.umask & 0o777 };
        Mode::from_raw_mode(mode & !cleared)
    }

    /// A mode or times the filesystem refuses (EPERM, ENOTSUP, ENOSYS: exFAT and FAT through
    /// FUSE keep neither modes nor owners): described in `problems`, an error of the member,
    /// which is kept as made (without setuid and setgid bits) with its xattrs and capability,
    /// as for an owner refused. It was not made at all, its capability lost with it and left
    /// out of `--keep-going`'s list (found by review). What stops the extraction (a full or
    /// failing disk) still does.
    /// `owner()` is the file's owner, asked for on EPERM: another's than the extracting user's
    /// is the cause (a directory already in the destination; found by audit: it was said to be
    /// the filesystem's refusal or an immutable file).
    fn refused(
        problems: &mut Vec<String>,
        what: String,
        e: rustix::io::Errno,
        owner: impl FnOnce() -> Option<u32>,
    ) -> io::Result<()> {
        let e = io::Error::from(e);
        if super::is_fatal(&e) {
            return Err(e);
        }
        // Not root's refusal: root may change any file it can write (CAP_FOWNER), so EPERM to
        // root is the filesystem's or an immutable file's, whoever owns it.
        let euid = rustix::process::geteuid().as_raw();
        let not_ours = || euid != 0 && owner().is_some_and(|uid| uid != euid);
        // EPERM is exFAT's (through FUSE) answer, and an immutable file's (an immutable
        // directory already in the destination was told "this filesystem refuses it"; found in
        // testing).
        let why = match e.raw_os_error() {
            Some(libc::EPERM) if not_ours() => "not its owner: only its owner or root may change it",
            Some(libc::EPERM | libc::EACCES) => "this filesystem refuses it, or the file is immutable or append-only",
            _ => "this filesystem refuses it",
        };
        problems.push(format!("cannot set {what}: {} ({why})", crate::error::os_text(&e)));
        Ok(())
    }

    /// Gives the member its owner with `chown`, where the archive's owners are restored; the
    /// setuid and setgid bits the file may then not keep, not owned by whom the archive says
    /// (as libarchive): both where the kernel refused the owner (EINVAL: an id this user
    /// namespace does not map; EPERM: no right to give files away), the member kept with the
    /// extracting user's owner and the refusal described in `problems` (an error of that
    /// member, as GNU tar); where owners are not restored, `setid_cleared`'s (`made`: the
    /// file's owner).
    fn set_owner(
        &self,
        meta: &EntryMeta,
        chown: impl FnOnce(Option<rustix::fs::Uid>, Option<rustix::fs::Gid>) -> rustix::io::Result<()>,
        made: impl FnOnce() -> Option<(u32, u32)>,
        problems: &mut Vec<String>,
    ) -> io::Result<u32> {
        let bits = if meta.mode & 0o6000 != 0 { ", and without its setuid/setgid bits" } else { "" };
        let Some((uid, gid)) = self.owner(meta) else { return Ok(self.setid_cleared(meta, made)) };
        // An id no Linux file has: the file is still made, with its data and capability (it was
        // not made at all), and the other id set (it was lost with it; found by review).
        let unset = match (uid, gid) {
            (Some(_), Some(_)) => None,
            (None, Some(_)) => Some("uid (the archive's group set)"),
            (Some(_), None) => Some("group (the archive's uid set)"),
            (None, None) => Some("owner"),
        };
        if let Some(unset) = unset {
            problems.push(format!(
                "cannot set owner {}:{} (an id no Linux file has, over 32 bits or 4294967295, which chown takes as none: the archive is damaged or hostile); extracted with the extracting user's {unset}{bits}",
                meta.uid, meta.gid
            ));
            if uid.is_none() && gid.is_none() {
                return Ok(0o6000);
            }
        }
        let cleared = if unset.is_some() { 0o6000 } else { 0 };
        match chown(uid, gid) {
            Ok(()) => Ok(cleared),
            Err(e @ (Errno::INVAL | Errno::PERM)) => {
                let why = match e {
                    Errno::INVAL => {
                        "an id this user namespace does not map; extract in a namespace that maps it, or pass --no-same-owner"
                    }
                    // Root refused: "run as root" is no advice (found in testing, an immutable
                    // directory already in the destination).
                    _ if crate::error::is_initial_root() => {
                        "refused even to root: no CAP_CHOWN (a container or a bounding set that drops it), an immutable or append-only file, or a security module; pass --no-same-owner to leave owners as they are"
                    }
                    _ => "no right to give files away; run as root, or pass --no-same-owner",
                };
                problems.push(format!(
                    "cannot set owner {}:{} ({}: {why}); extracted with the extracting user's owner{bits}",
                    uid.map_or(meta.uid, |u| u64::from(u.as_raw())),
                    gid.map_or(meta.gid, |g| u64::from(g.as_raw())),
                    crate::error::os_text(&e.into()),
                ));
                Ok(0o6000)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The mode a member's file is made with (`TempFile::create`): its own permission bits
    /// (never setuid, setgid or sticky, which are set after the chown that would clear them),
    /// so that `file_meta` mostly has no chmod to do; at least 0600, as the file is written
    /// through the fd it is opened with.
    pub fn create_mode(&self, meta: &EntryMeta) -> Mode {
        Mode::from_raw_mode((self.mode(meta, 0).bits() & 0o777) | 0o600)
    }

    /// The times to set, last; none with `-m`.
    fn times(&self, meta: &EntryMeta) -> Option<Timestamps> {
        let mtime = ts(meta.mtime.secs, meta.mtime.nsecs);
        (!self.touch).then_some(Timestamps { last_access: ts(0, UTIME_NOW as u32), last_modification: mtime })
    }

    /// Sets the member's times (unless `-m`) with `set`. For an mtime a filesystem may not hold
    /// (`may_be_clamped`), what it stored is read back with `stored`; when it differs, the
    /// message for the member's warning (found by review: a later verify reported it, and
    /// nothing had said why).
    fn set_times(
        &self,
        meta: &EntryMeta,
        set: impl FnOnce(&Timestamps) -> rustix::io::Result<()>,
        stored: impl FnOnce() -> rustix::io::Result<rustix::fs::Stat>,
        problems: &mut Vec<String>,
    ) -> io::Result<Option<String>> {
        let Some(times) = self.times(meta) else { return Ok(None) };
        if let Err(e) = set(&times) {
            Restorer::refused(problems, "its modification time".into(), e, || stored().ok().map(|st| st.st_uid))?;
            return Ok(None);
        }
        if !may_be_clamped(meta.mtime.secs) {
            return Ok(None);
        }
        let kept = Time::mtime_of(&stored()?);
        Ok((kept.secs != meta.mtime.secs).then(|| {
            format!(
                "its mtime {} is outside what this filesystem can hold; it was set to {} (verify --all will report the difference)",
                date_text(meta.mtime),
                date_text(kept)
            )
        }))
    }

    /// Sets the other xattrs with `set`; each one the destination refuses is described in
    /// `problems`, not fatal. Returns those set.
    fn other_xattrs<'m>(
        &self,
        set: &dyn Fn(&OsStr, &[u8]) -> io::Result<()>,
        meta: &'m EntryMeta,
        problems: &mut Vec<String>,
    ) -> Vec<(&'m OsStr, &'m [u8])> {
        let (mut done, mut refused) = (Vec::new(), Vec::new());
        // An SELinux label alone does not count, as in create's note: the system labels the
        // files anew, and none of the options the note names would restore it (found by review).
        // With `--acls` or `--selinux` alone, what they do not take counts too.
        let unasked = |n: &OsStr| crate::xattr::is_other(n) && !self.xattrs.wants(n);
        if self.xattrs.without_patterns() && meta.xattrs.iter().any(|(n, _)| unasked(n)) {
            self.unasked_xattrs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        for (name, value) in &meta.xattrs {
            if name != caps::XATTR_NAME && self.xattrs.wants(name) {
                match set(name, value) {
                    Ok(()) => done.push((name.as_os_str(), value.as_slice())),
                    Err(e) => refused.push(xattr_problem(name, &e, meta.kind, self.xattrs.asks_for(name))),
                }
            }
        }
        xattr_problems(problems, refused);
        done
    }

    /// With `--acls`, the ACLs the member lacks are removed, as GNU tar resets them: a file
    /// made in a directory with a default ACL inherits it as its access ACL (and a directory
    /// as its default one too), which would open it wider than archived, in silence (found by
    /// audit: a 0640 file could be read by a user the destination's default ACL named). An
    /// access ACL of the base entries alone is the mode, which is set already.
    fn drop_inherited_acls(
        &self,
        remove: &dyn Fn(&OsStr) -> io::Result<()>,
        meta: &EntryMeta,
        problems: &mut Vec<String>,
    ) {
        if meta.kind == Kind::Symlink {
            return;
        }
        for name in [acl::ACCESS_XATTR, acl::DEFAULT_XATTR] {
            let name = OsStr::new(name);
            if (name == acl::DEFAULT_XATTR && meta.kind != Kind::Dir)
                || !self.xattrs.asks_for(name)
                || meta.xattrs.iter().any(|(n, _)| n == name)
            {
                continue;
            }
            match remove(name) {
                // A filesystem without ACLs has none to remove.
                Err(e) if !matches!(e.raw_os_error(), Some(libc::ENOTSUP)) => problems.push(format!(
                    "cannot remove the {} ACL it inherited from its directory (the archive has none): {}",
                    if name == acl::ACCESS_XATTR { "access" } else { "default" },
                    crate::error::os_text(&e)
                )),
                _ => {}
            }
        }
    }

    /// The other xattrs, then the capability (last, as GNU tar sets it), with `set`. Where the
    /// file's own xattr space has no room left for the capability after the others (ext4 keeps
    /// a file's xattrs in its inode and one block, whatever the free space), the capability
    /// goes before those of the `user.` and `trusted.` kinds: they are removed with `remove`,
    /// the capability set, and they are set again, each that no longer fits a problem of the
    /// member saying so. ACLs and labels stay: removed, one that no longer fitted would leave
    /// the file open wider (found by review of the first version). Setting another xattr never
    /// clears a capability (only a write or a chown does). It was lost, with an error that
    /// blamed a full disk (found by review).
    fn xattrs_and_caps(
        &self,
        set: &dyn Fn(&OsStr, &[u8]) -> io::Result<()>,
        remove: &dyn Fn(&OsStr) -> io::Result<()>,
        ids: &dyn Fn() -> Option<(u32, u32)>,
        meta: &EntryMeta,
        problems: &mut Vec<String>,
    ) -> std::result::Result<(), CapFailure> {
        let mut others = self.other_xattrs(set, meta, problems);
        self.drop_inherited_acls(remove, meta, problems);
        others.retain(|(name, _)| ["user.", "trusted."].iter().any(|k| name.as_bytes().starts_with(k.as_bytes())));
        match self.caps_of(set, ids, meta) {
            Err(f) if f.no_space && !others.is_empty() => {
                for (name, _) in &others {
                    let _ = remove(name);
                }
                let caps = self.caps_of(set, ids, meta);
                let mut refused = Vec::new();
                for (name, value) in &others {
                    match set(name, value) {
                        Err(e) if caps.is_ok() && e.raw_os_error() == Some(libc::ENOSPC) => refused.push(format!(
                            "cannot set xattr {}: no room left for it once the capability was set (this file's xattr space is full, as ext4 keeps a file's xattrs in its inode and one block, or the filesystem is)",
                            name.to_string_lossy()
                        )),
                        Err(e) => refused.push(xattr_problem(name, &e, meta.kind, self.xattrs.asks_for(name))),
                        Ok(()) => {}
                    }
                }
                xattr_problems(problems, refused);
                caps
            }
            other => other,
        }
    }

    /// The value to write for an archived capability, after v1→v2 and the rootid policy.
    fn cap_value(&self, path: &Path, raw: &[u8]) -> std::result::Result<(FileCaps, Vec<u8>), CapFailure> {
        let decoded = FileCaps::decode(raw).map_err(|e| CapFailure {
            path: path.to_path_buf(),
            caps: format!("the archived value {}", crate::list::hex_short(raw)),
            reason: e.to_string(),
            no_space: false,
            shows_reason: false,
        })?;
        Ok((decoded, self.rootid.apply(decoded).encode()))
    }

    /// Owner, mode, xattrs, capability (last), times — on the fd of the file just written.
    /// Returns the capability's result and the member's other problems (an owner or xattrs
    /// the destination refused).
    ///
    /// A file made by `TempFile::create` with `create_mode` often has its owner and mode
    /// already (root extracting root's files with the umask's bits clear): one fstat spares a
    /// chown and a chmod, each a journalled inode update. On a new inode they change nothing
    /// else (no setuid bit or capability to clear yet; an inherited ACL already matches its
    /// mode), so they are skipped only where they would set what is there.
    pub fn file_meta(&self, fd: BorrowedFd<'_>, meta: &EntryMeta) -> io::Result<Restored> {
        let mut problems = Vec::new();
        let st = rustix::fs::fstat(fd)?;
        let chown = |u: Option<rustix::fs::Uid>, g: Option<rustix::fs::Gid>| match u
            .is_none_or(|u| st.st_uid == u.as_raw())
            && g.is_none_or(|g| st.st_gid == g.as_raw())
        {
            true => Ok(()),
            false => rustix::fs::fchown(fd, u, g),
        };
        let cleared = self.set_owner(meta, chown, || Some((st.st_uid, st.st_gid)), &mut problems)?;
        let mode = self.mode(meta, cleared);
        let first = self.writable_for_xattrs(meta, mode).unwrap_or(mode);
        // A chown above clears only setuid and setgid bits, which the file was not made with.
        let owner = || rustix::fs::fstat(fd).ok().map(|st| st.st_uid);
        if st.st_mode & 0o7777 != first.bits()
            && let Err(e) = rustix::fs::fchmod(fd, first)
        {
            Restorer::refused(&mut problems, format!("mode {}", mode_text(mode)), e, owner)?;
        }
        let set = |name: &OsStr, value: &[u8]| xattr::set_fd(fd, name, value);
        let ids = || rustix::fs::fstat(fd).ok().map(|st| (st.st_uid, st.st_gid));
        let caps = self.xattrs_and_caps(&set, &|name| xattr::remove_fd(fd, name), &ids, meta, &mut problems);
        if first != mode
            && let Err(e) = without_owner_write(fd)
        {
            Restorer::refused(&mut problems, format!("mode {}", mode_text(mode)), e, owner)?;
        }
        let clamped = self.set_times(meta, |t| rustix::fs::futimens(fd, t), || rustix::fs::fstat(fd), &mut problems)?;
        self.probe_times(st.st_dev, meta, || rustix::fs::fstat(fd));
        Ok(Restored { caps, problems, clamped })
    }

    /// A hard-link member's capability, where it carries one (bsdtar repeats the first name's on
    /// each link; GNU tar writes it on the first name only): the file it names must already
    /// have it. A link sets none, so it cannot give a capability to a file the archive did not
    /// write (one already in the destination); a mismatch is reported like any capability not
    /// restored.
    ///
    /// `on_disk` reads the file's capability (whatever its type: the kernel keeps one on a
    /// fifo, a device or a symlink too).
    ///
    /// `left_out`: for a link that carries none, the capability of its file's member, left
    /// out of this extraction, and that member's name as archived.
    pub fn check_link_caps(
        &self,
        on_disk: impl FnOnce() -> io::Result<Option<Vec<u8>>>,
        meta: &EntryMeta,
        left_out: Option<(&[u8], &Path)>,
    ) -> std::result::Result<(), CapFailure> {
        let Some(raw) = meta.caps_raw().or(left_out.map(|(raw, _)| raw)) else { return Ok(()) };
        // Not counted as excluded: its file's own member was (bsdtar repeats it on each link).
        let mut held = None;
        let read = || {
            let value = on_disk();
            held = value.as_ref().ok().cloned().flatten();
            value
        };
        let how = match left_out {
            Some((_, file)) => format!("{} is left out of this extraction: extract it too", file.escaped()),
            None => "a link sets no capability (give it to the first name of the file)".into(),
        };
        self.caps_held(read, &meta.path, raw, "").map_err(|mut f| {
            // A value that is no capability says so (found by review: "the hard link names a
            // file without it", of a file that had the one its first member gave it).
            if FileCaps::decode(raw).is_err() {
                return f;
            }
            // A file with another capability is not said to have none (found by review).
            f.reason = match held.as_deref().map(FileCaps::decode) {
                Some(Ok(other)) => {
                    format!("the hard link names a file with {} instead, and {how}", other.text_with_rootid())
                }
                _ => format!("the hard link names a file without it, and {how}"),
            };
            f
        })
    }

    /// The capability `raw` of the member `path` whose file failed (not made, or made and then
    /// refused something): `Some` unless `on_disk`, its file's capability, is the one it was to
    /// get, for --keep-going's closing list (a file that could not be made at all was left out
    /// of it; found in testing). None where capabilities are not restored.
    pub fn lost_with_file(
        &self,
        on_disk: impl FnOnce() -> io::Result<Option<Vec<u8>>>,
        path: &Path,
        raw: &[u8],
    ) -> Option<CapFailure> {
        self.caps_held(on_disk, path, raw, "its file was not extracted").err()
    }

    /// For a member kept as the file there (`--skip-old-files`, `--keep-newer-files`), its line
    /// in the closing note when that file (`on_disk`, its capability) does not grant what the
    /// archive's `raw` would: the name, the set and what the file has instead. None where
    /// capabilities are not restored, or `raw` is no capability (nothing to restore).
    /// `link`: the member is a hard link, without a capability of its own, to that member, kept
    /// too, whose capability `raw` is.
    pub fn kept_without(
        &self,
        on_disk: io::Result<Option<Vec<u8>>>,
        path: &Path,
        raw: &[u8],
        link: Option<&Path>,
    ) -> Option<String> {
        if !self.wants_caps() {
            return None;
        }
        let (decoded, _) = self.cap_value(path, raw).ok()?;
        kept_line(on_disk, path, &self.rootid.apply(decoded), link)
    }

    /// The value `raw`, a member's capability, takes on disk (its rootid as the options
    /// make it); `None` for a value that does not decode.
    pub fn cap_on_disk(&self, raw: &[u8]) -> Option<Vec<u8>> {
        self.cap_value(Path::new(""), raw).ok().map(|(_, value)| value)
    }

    /// Whether capabilities are restored (not `--no-caps`, nor excluded); nothing counted.
    pub fn wants_caps(&self) -> bool {
        self.xattrs.wants(OsStr::new(caps::XATTR_NAME))
    }

    /// Whether `on_disk` is the capability `raw` restores (none to hold where capabilities are
    /// not restored); `why` it is not.
    fn caps_held(
        &self,
        on_disk: impl FnOnce() -> io::Result<Option<Vec<u8>>>,
        path: &Path,
        raw: &[u8],
        why: &str,
    ) -> std::result::Result<(), CapFailure> {
        if !self.xattrs.wants(OsStr::new(caps::XATTR_NAME)) {
            return Ok(());
        }
        let (decoded, value) = self.cap_value(path, raw)?;
        if on_disk().ok().flatten().as_deref() == Some(&value[..]) {
            return Ok(());
        }
        Err(CapFailure {
            path: path.to_path_buf(),
            caps: decoded.text_with_rootid(),
            reason: why.into(),
            no_space: false,
            shows_reason: false,
        })
    }

    /// Sets the member's capability with `set`, if it has one and capabilities are restored.
    fn caps_of(
        &self,
        set: &dyn Fn(&OsStr, &[u8]) -> io::Result<()>,
        ids: &dyn Fn() -> Option<(u32, u32)>,
        meta: &EntryMeta,
    ) -> std::result::Result<(), CapFailure> {
        let Some(raw) = meta.caps_raw() else { return Ok(()) };
        if !self.restores_caps() {
            return Ok(());
        }
        let (decoded, value) = self.cap_value(&meta.path, raw)?;
        let failure = |reason: String, no_space| CapFailure {
            path: meta.path.clone(),
            caps: decoded.text_with_rootid(),
            reason,
            no_space,
            shows_reason: false,
        };
        // Each member's own set says whether it can be restored: not a test made once, which
        // would hold neither after -U freed room nor beneath a mount inside the destination.
        set(OsStr::new(caps::XATTR_NAME), &value).map_err(|e| {
            let full = matches!(e.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT));
            failure(cap_errno_reason(&e, &value, ids), full)
        })?;
        if value != raw {
            self.rewritten_caps.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(Ok(mut restored)) = self.from_stream.as_ref().map(|m| m.lock()) {
            match restored.0.len() < FROM_STREAM_MAX {
                true => restored.0.push((meta.path.clone(), decoded.text_with_rootid())),
                false => restored.1 += 1,
            }
        }
        // Written as archived for another namespace's root: a rootid that is this namespace's
        // root (0, as the kernel takes it here) reads as v2, and takes effect.
        if self.rootid == RootidPolicy::Keep
            && let Some(rootid) = decoded.rootid.filter(|&r| r != 0)
            && let Ok(mut seen) = self.namespaced.lock()
        {
            seen.0 += 1;
            if seen.1.len() < NAMESPACED_ROOTIDS && !seen.1.contains(&rootid) {
                seen.1.push(rootid);
            }
        } else if self.rootid == RootidPolicy::Keep
            && let Some(count) = &self.in_userns
        {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }

    /// The mode to set before the xattrs, where `mode` leaves the owner no write permission and
    /// the member has `user.` xattrs to set, which the kernel lets only a process that may
    /// write the file (or directory) set: `mode` and the owner's write bit, the bit taken off
    /// after them. Not for root holding CAP_DAC_OVERRIDE, whom the kernel lets (found by audit:
    /// a non-root user's 0444 files and 0555 directories lost their `user.` xattrs, "Permission
    /// denied", where bsdtar -p keeps the files'; and by review, a root without it, as in a
    /// container that drops it). `None` where the order stays: mode, then xattrs.
    fn writable_for_xattrs(&self, meta: &EntryMeta, mode: Mode) -> Option<Mode> {
        let wants_user =
            || meta.xattrs.iter().any(|(name, _)| name.as_bytes().starts_with(b"user.") && self.xattrs.wants(name));
        (mode.bits() & 0o200 == 0 && wants_user() && !crate::error::root_overriding_permissions())
            .then(|| mode | Mode::WUSR)
    }

    /// A directory's metadata, at the end. Its capability grants nothing, but it is the
    /// archive's: kept, or an error of the directory, like its other problems.
    /// With `keep_owner_mode` (`--no-overwrite-dir` on a directory that was there), its owner,
    /// mode and access ACL (which holds the mode) stay as they are.
    pub fn dir_meta(&self, fd: BorrowedFd<'_>, meta: &EntryMeta, keep_owner_mode: bool) -> io::Result<Restored> {
        let mut problems = Vec::new();
        let owner = || rustix::fs::fstat(fd).ok().map(|st| st.st_uid);
        let mut last_mode = None;
        if !keep_owner_mode {
            let chown = |u, g| rustix::fs::fchown(fd, u, g);
            let cleared = self.set_owner(meta, chown, || None, &mut problems)?;
            let mut mode = self.mode(meta, cleared);
            // Without -p, the setuid, setgid and sticky bits the directory has stay, as GNU
            // tar keeps them: an existing 1777 or setgid directory's, the setgid a new one
            // took from its parent (they were cleared: a shared 1777 directory became 0777
            // at umask 0, and a setgid tree's new directories stopped passing on its group;
            // found by audit, tested beside GNU tar).
            if !self.same_permissions
                && let Ok(st) = rustix::fs::fstat(fd)
            {
                mode |= Mode::from_raw_mode(st.st_mode & 0o7000);
            }
            let first = self.writable_for_xattrs(meta, mode);
            last_mode = first.map(|_| mode);
            if let Err(e) = rustix::fs::fchmod(fd, first.unwrap_or(mode)) {
                Restorer::refused(&mut problems, format!("mode {}", mode_text(mode)), e, owner)?;
            }
        }
        let kept = |name: &OsStr| keep_owner_mode && name == acl::ACCESS_XATTR;
        let set = |name: &OsStr, value: &[u8]| if kept(name) { Ok(()) } else { xattr::set_fd(fd, name, value) };
        let remove = |name: &OsStr| if kept(name) { Ok(()) } else { xattr::remove_fd(fd, name) };
        let ids = || rustix::fs::fstat(fd).ok().map(|st| (st.st_uid, st.st_gid));
        let caps = self.xattrs_and_caps(&set, &remove, &ids, meta, &mut problems);
        if let Some(mode) = last_mode
            && let Err(e) = without_owner_write(fd)
        {
            Restorer::refused(&mut problems, format!("mode {}", mode_text(mode)), e, owner)?;
        }
        let clamped = self.set_times(meta, |t| rustix::fs::futimens(fd, t), || rustix::fs::fstat(fd), &mut problems)?;
        Ok(Restored { caps, problems, clamped })
    }

    /// A symlink's, fifo's or device's owner, mode (not a symlink's: it has none), xattrs,
    /// capability and times: `name` was created by this process a moment ago, in a directory
    /// resolved beneath the destination; nothing of the archive ran in between. `at` names it by
    /// a path whose last component is not followed (see `beneath::proc_path`).
    pub fn node_meta(&self, dir: BorrowedFd<'_>, name: &OsStr, at: &Path, meta: &EntryMeta) -> io::Result<Restored> {
        let mut problems = Vec::new();
        let cleared = self.set_owner(
            meta,
            |u, g| rustix::fs::chownat(dir, name, u, g, AtFlags::SYMLINK_NOFOLLOW),
            || rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok().map(|st| (st.st_uid, st.st_gid)),
            &mut problems,
        )?;
        if meta.kind != crate::format::Kind::Symlink {
            let mode = self.mode(meta, cleared);
            if let Err(e) = chmod_nofollow(dir, name, mode, None) {
                match e.raw_os_error().map(Errno::from_raw_os_error) {
                    Some(errno @ (Errno::PERM | Errno::OPNOTSUPP | Errno::NOSYS)) => {
                        let owner =
                            || rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok().map(|st| st.st_uid);
                        Restorer::refused(&mut problems, format!("mode {}", mode_text(mode)), errno, owner)?
                    }
                    _ => return Err(e),
                }
            }
        }
        let set = |xname: &OsStr, value: &[u8]| xattr::set_path(at, xname, value);
        let ids = || rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok().map(|st| (st.st_uid, st.st_gid));
        let caps = self.xattrs_and_caps(&set, &|xname| xattr::remove_path(at, xname), &ids, meta, &mut problems);
        let clamped = self.set_times(
            meta,
            |t| rustix::fs::utimensat(dir, name, t, AtFlags::SYMLINK_NOFOLLOW),
            || rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW),
            &mut problems,
        )?;
        Ok(Restored { caps, problems, clamped })
    }
}

/// What restoring a member's metadata left undone: its capability (an error that stops the
/// extraction unless `--keep-going`), its other problems (errors of that member), and an mtime
/// the filesystem could not hold (a warning: `set_times`).
pub struct Restored {
    pub caps: std::result::Result<(), CapFailure>,
    pub problems: Vec<String>,
    pub clamped: Option<String>,
}

impl Restored {
    /// The member's outcome: its capability's failure with its other problems; else those
    /// problems, an error of the member; else a clamped mtime, a warning. A clamped mtime
    /// beside an error is told in the error's line.
    pub(super) fn outcome(self, path: &Path) -> std::result::Result<(), super::Failure> {
        use super::Failure;
        let Restored { caps, mut problems, clamped } = self;
        if caps.is_ok() && problems.is_empty() {
            return match clamped {
                Some(w) => Err(Failure::Warn(crate::error::Warning::Timestamp, Error::entry(path, w))),
                None => Ok(()),
            };
        }
        problems.extend(clamped);
        match caps {
            Err(f) => Err(Failure::Cap(f, problems)),
            Ok(()) => Err(Failure::Member(Error::entry(path, problems.join("; ")))),
        }
    }
}

/// Whether a filesystem may store `secs` as another time: the kernel clamps a time to its
/// filesystem's range without a word (ext4 with 128-byte inodes and XFS without bigtime hold
/// 1901-12-13 to 2038-01-19, ext4's 256-byte inodes up to 2446-05-10), and every Linux
/// filesystem with times holds the 32-bit range. So only a time outside it is read back.
fn may_be_clamped(secs: i64) -> bool {
    i32::try_from(secs).is_err()
}

/// An owner id the archive gives as a Linux file's: `None` over 32 bits, and for 4294967295
/// ((uid_t)-1), which chown(2) takes as "no change".
fn file_id(id: u64) -> Option<u32> {
    u32::try_from(id).ok().filter(|&id| id != u32::MAX)
}

/// `Restorer::archive_ids`, for verify too, which compares what extract made.
pub(crate) fn archive_ids(meta: &EntryMeta, numeric_owner: bool) -> (Option<u32>, Option<u32>) {
    let by_name = |name: &Option<Vec<u8>>, f: fn(&[u8]) -> Option<u32>| {
        if numeric_owner { None } else { name.as_deref().and_then(f) }
    };
    let uid = by_name(&meta.uname, owners::uid_of).or_else(|| file_id(meta.uid));
    let gid = by_name(&meta.gname, owners::gid_of).or_else(|| file_id(meta.gid));
    (uid, gid)
}

/// Of a setuid or setgid `mode`, the bits a file owned by `file` (uid, gid) may not keep: each
/// whose id is not the `archive`'s (`None`: one no file has). Extract leaves them out where owners are not restored,
/// and verify takes their absence as extract makes it.
pub(crate) fn setid_not_owned(mode: u32, archive: (Option<u32>, Option<u32>), file: (u32, u32)) -> u32 {
    let uid = if mode & 0o4000 != 0 && archive.0 != Some(file.0) { 0o4000 } else { 0 };
    let gid = if mode & 0o2000 != 0 && archive.1 != Some(file.1) { 0o2000 } else { 0 };
    uid | gid
}

/// `t` as a date in UTC, to the nanosecond where it has a fraction, and its pax seconds, as
/// `verify --json` shows them (whole seconds were shown, the fraction left out).
fn date_text(t: Time) -> String {
    let (date, pax) = (t.date_text(), t.to_pax());
    if date == pax { pax } else { format!("{date} ({pax})") }
}

/// Of a member's xattrs the destination refused, how many are described one by one; the rest
/// are counted (found by review: 88,135 refused made one error line of 16 MB).
const XATTR_PROBLEMS_SHOWN: usize = 3;

/// Adds `refused` (each an xattr's problem) to a member's `problems`: the first
/// `XATTR_PROBLEMS_SHOWN`, then how many more.
fn xattr_problems(problems: &mut Vec<String>, refused: Vec<String>) {
    let more = refused.len().saturating_sub(XATTR_PROBLEMS_SHOWN);
    problems.extend(refused.into_iter().take(XATTR_PROBLEMS_SHOWN));
    if more > 0 {
        problems.push(format!("and {more} more xattr(s) not set"));
    }
}

/// The problem of an xattr the destination refused: its name, the system's words, and what to
/// do (`xattr_hint`).
fn xattr_problem(name: &OsStr, e: &io::Error, kind: Kind, by_option: bool) -> String {
    format!(
        "cannot set xattr {}: {}{}",
        name.to_string_lossy(),
        crate::error::os_text(e),
        xattr_hint(name, e, kind, by_option)
    )
}

/// What to do about an xattr the destination refused (found by review: a bare "Operation not
/// supported" on ramfs said nothing of it). `by_option`: `--acls` or `--selinux` asked for it,
/// which only leaving that option out undoes; else an xattr pattern took it (found by audit:
/// each was sent to the other's remedy, which changed nothing).
fn xattr_hint(name: &OsStr, e: &io::Error, kind: Kind, by_option: bool) -> &'static str {
    let acl = name == acl::ACCESS_XATTR || name == acl::DEFAULT_XATTR;
    match e.raw_os_error() {
        // On any filesystem (found by review: an ACL on a symlink sent the user to ext4, on ext4).
        Some(libc::ENOTSUP | libc::EPERM)
            if kind == Kind::Symlink && (acl || name.as_bytes().starts_with(b"user.")) =>
        {
            " (Linux keeps no user.* xattrs and no ACLs on a symlink, whatever the filesystem: the archive was made elsewhere)"
        }
        Some(libc::ENOTSUP) if acl && by_option => {
            " (this filesystem keeps no ACLs: restore onto ext4, xfs, btrfs or tmpfs, or leave them out with --no-acls)"
        }
        Some(libc::ENOTSUP) if acl => {
            " (this filesystem keeps no ACLs: restore onto ext4, xfs, btrfs or tmpfs, or leave them out with --xattrs-exclude='system.posix_acl_*')"
        }
        Some(libc::ENOTSUP) if by_option && name == crate::select::SELINUX_XATTR => {
            " (this filesystem keeps no SELinux labels: restore onto ext4, xfs, btrfs or tmpfs, or leave them out: without --selinux)"
        }
        // Linux has four namespaces; a name outside them (macOS's `com.apple.quarantine`) is
        // refused by every filesystem (found by review: the advice named other filesystems).
        Some(libc::ENOTSUP) if !has_linux_namespace(name) => {
            " (Linux keeps only security.*, system.*, trusted.* and user.* xattrs: no filesystem here takes this name; leave it out with --xattrs-exclude)"
        }
        Some(libc::ENOTSUP) => {
            " (this filesystem keeps no xattrs of that kind: restore onto ext4, xfs, btrfs or tmpfs, or leave it out with --xattrs-exclude)"
        }
        Some(libc::ENOSPC) => {
            " (no room for it: the filesystem is full, or this file's own xattr space is, as ext4 keeps a file's xattrs in its inode and one block)"
        }
        _ => "",
    }
}

/// Whether an xattr's name is in one of Linux's namespaces (xattr(7)).
fn has_linux_namespace(name: &OsStr) -> bool {
    let name = name.as_bytes();
    [&b"security."[..], b"system.", b"trusted.", b"user."].iter().any(|ns| name.starts_with(ns))
}

/// A mode as `ls -l` shows its bits (`rwsr-xr-x`), as GNU tar names a mode it cannot set.
fn mode_text(mode: Mode) -> String {
    crate::list::mode_string(crate::format::Kind::File, mode.bits())[1..].to_string()
}

/// chmod of `name` itself, never of what a symlink swapped in under that name points to:
/// fchmodat has no working AT_SYMLINK_NOFOLLOW, and fchmod refuses the O_PATH fd a fifo or a
/// device must be held by (opening one for real could block or touch hardware). So the node is
/// held by an O_PATH|O_NOFOLLOW fd, checked not to be a symlink, and changed through its
/// /proc/self/fd entry, which reaches that very inode.
/// With `same`, only the file of that device and inode (one looked at a moment ago), else an
/// error: another put in its place meanwhile is not changed.
pub(super) fn chmod_nofollow(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    mode: Mode,
    same: Option<(u64, u64)>,
) -> io::Result<()> {
    let fd = rustix::fs::openat(dir, name, OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())?;
    let st = rustix::fs::fstat(&fd)?;
    if rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Symlink {
        return Err(io::Error::other("a symlink was put in its place while it was being created; not followed"));
    }
    if same.is_some_and(|same| same != (st.st_dev, st.st_ino)) {
        return Err(io::Error::other("another file was put in its place meanwhile; not changed"));
    }
    let proc = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
    match rustix::fs::chmodat(rustix::fs::CWD, proc.as_str(), mode, AtFlags::empty()) {
        // No /proc: the name, checked a moment ago, is the best left.
        Err(Errno::NOENT) => Ok(rustix::fs::chmodat(dir, name, mode, AtFlags::empty())?),
        other => Ok(other?),
    }
}

/// The closing note's line for the member `path` kept as the file there (`on_disk`, its
/// capability) when that does not grant `wanted`: the name, the set and what the file has
/// instead; `link`, the file it is a hard link to (one whose target was extracted holding
/// `wanted`, its value on disk, goes here directly).
pub(super) fn kept_line(
    on_disk: io::Result<Option<Vec<u8>>>,
    path: &Path,
    wanted: &FileCaps,
    link: Option<&Path>,
) -> Option<String> {
    let there = match on_disk {
        Ok(None) => "none".to_string(),
        Ok(Some(value)) => match FileCaps::decode(&value) {
            Ok(held) if held.same_here(wanted) => return None,
            Ok(held) => held.text_with_rootid(),
            Err(_) => format!("the value {}, which is no capability", crate::list::hex_short(&value)),
        },
        Err(e) => format!("one that could not be read ({e})"),
    };
    let link = link.map(|l| format!("a hard link to {}; ", l.escaped())).unwrap_or_default();
    Some(format!("{}: {} ({link}the file there has {there})", path.escaped(), wanted.text_with_rootid()))
}
