/*!
The extraction workers' side: small regular files (up to INLINE_MAX) are read from the archive
into reused buffers and handed in batches to two workers per core, which create them; the
buffers come back for the next files of the same size class. Capped files and large ones are
written by the main thread (see `Run::file`).
*/

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Failure;
use super::links::LaterLink;
use crate::error::Result;
use crate::format::EntryMeta;
use crate::format::reader::Reader;

/// Files up to this size are read here and written by a worker.
pub(super) const INLINE_MAX: u64 = 1 << 20;
/// Batches queued for the workers (bounds memory: at most QUEUE batches of BATCH_BYTES, counted
/// by the capacity of the buffers they hold, plus one member of up to INLINE_MAX each).
pub(super) const QUEUE: usize = 32;

/// Spare data buffers kept for reuse: at most this many, this many bytes in all. Their sizes
/// are powers of two from SPARE_MIN to INLINE_MAX (SPARE_CLASSES classes).
pub(super) const SPARE_BUFFERS: usize = 256;
pub(super) const SPARE_BYTES: usize = 16 << 20;
pub(super) const SPARE_MIN: usize = 4 << 10;
pub(super) const SPARE_CLASSES: usize = 9;

/// The size class of a buffer for `size` bytes (at most INLINE_MAX): the smallest power of two
/// from SPARE_MIN up that holds it.
pub(super) fn class_of(size: usize) -> usize {
    let rounded = size.max(SPARE_MIN).next_power_of_two();
    (rounded.trailing_zeros() - SPARE_MIN.trailing_zeros()) as usize
}

/// Data buffers for the workers' files, kept for reuse by power-of-two size class (`class_of`):
/// no allocation, zeroing or page fault per file, and a small file never holds a large buffer.
pub(super) struct SpareBuffers {
    pub(super) by_class: Vec<Vec<Vec<u8>>>,
    /// Their capacity in all.
    pub(super) bytes: usize,
}

impl Default for SpareBuffers {
    fn default() -> SpareBuffers {
        SpareBuffers { by_class: (0..SPARE_CLASSES).map(|_| Vec::new()).collect(), bytes: 0 }
    }
}

impl SpareBuffers {
    /// A buffer of `size` initialised bytes (at most INLINE_MAX), from its class if one is kept.
    pub(super) fn take(&mut self, size: usize) -> Vec<u8> {
        if size == 0 {
            return Vec::new();
        }
        let class = class_of(size);
        let mut buf = match self.by_class[class].pop() {
            Some(buf) => {
                self.bytes -= buf.capacity();
                buf
            }
            None => Vec::with_capacity(SPARE_MIN << class),
        };
        // A buffer keeps its last member's bytes: only growth beyond them is zeroed.
        if buf.len() < size {
            buf.resize(size, 0);
        }
        buf
    }

    /// Keeps a buffer `take` made for a later member of its class, within SPARE_BUFFERS and
    /// SPARE_BYTES.
    pub(super) fn keep(&mut self, buf: Vec<u8>) {
        let cap = buf.capacity();
        let class = class_of(cap);
        let kept: usize = self.by_class.iter().map(Vec::len).sum();
        // Only the buffers `take` made: their capacity is their class's size.
        if class < SPARE_CLASSES && cap == SPARE_MIN << class && kept < SPARE_BUFFERS && self.bytes + cap <= SPARE_BYTES
        {
            self.bytes += cap;
            self.by_class[class].push(buf);
        }
    }
}

/// The bytes of `rel` before its last slash (`rel` is a safe name): its parent, cut without
/// parsing components.
fn parent_bytes(rel: &Path) -> &OsStr {
    let b = rel.as_os_str().as_bytes();
    OsStr::from_bytes(&b[..memchr::memrchr(b'/', b).unwrap_or(0)])
}

/// Set (to anything) in the environment, `CAPTAR_TEST_QUOTA_EXEMPT` makes captar take itself for
/// exempt from disk quotas, as with CAP_SYS_RESOURCE (`Pool::room_for`), so tests reach the files
/// written beside the workers where root lacks that capability (a container).
fn quota_exempt_for_tests() -> bool {
    std::env::var_os("CAPTAR_TEST_QUOTA_EXEMPT").is_some()
}

/// Set (to anything) in the environment, `CAPTAR_TEST_QUOTA_LIMITED` makes captar take every
/// destination for one with disk quotas on (`quotas_on`), so tests reach the large files
/// that wait for the workers on a machine whose kernel cannot turn quotas on.
fn quota_limited_for_tests() -> bool {
    std::env::var_os("CAPTAR_TEST_QUOTA_LIMITED").is_some()
}

/// `quotactl_fd(fd, QCMD(Q_GETFMT, qtype), 0, &fmt)` (Linux 5.14): whether quotas of that type
/// are on for `fd`'s filesystem (Ok), or the kernel's error. libc and rustix do not wrap it.
#[allow(unsafe_code)] // a raw syscall
fn quota_format(fd: std::os::fd::RawFd, qtype: u32) -> rustix::io::Result<()> {
    const Q_GETFMT: u32 = 0x80_0004;
    let mut format: u32 = 0;
    // SAFETY: Q_GETFMT writes one u32 to `format`, which outlives the call; an invalid
    // descriptor is EBADF.
    let r = unsafe { libc::syscall(libc::SYS_quotactl_fd, fd, (Q_GETFMT << 8) | qtype, 0u32, &mut format as *mut u32) };
    match r {
        0.. => Ok(()),
        _ => Err(rustix::io::Errno::from_raw_os_error(io::Error::last_os_error().raw_os_error().unwrap_or(0))),
    }
}

/// statfs's f_type of ext2/3/4, tmpfs and ramfs.
const EXT4_MAGIC: i64 = 0xEF53;
const TMPFS_MAGIC: i64 = 0x0102_1994;
const RAMFS_MAGIC: i64 = 0x8584_58f6;

/// statfs's f_type for `dir`'s filesystem.
#[allow(clippy::unnecessary_cast)] // f_type is i64 here, but not on every architecture
fn fs_type(dir: BorrowedFd<'_>) -> Option<i64> {
    rustix::fs::fstatfs(dir).ok().map(|fs| fs.f_type as i64)
}

/// Whether the free space of `dir`'s filesystem is what this process may write there: no disk
/// quota can limit it. Only where quotas live in the kernel's common quota code, which
/// quotactl_fd asks: ext2/3/4, tmpfs (ramfs has none); there the process is exempt
/// (CAP_SYS_RESOURCE, `exempt`), or no quota is on. Elsewhere a limit may be one the call does
/// not see (found by review): btrfs qgroups (which even CAP_SYS_RESOURCE does not lift), XFS's
/// own quotas (ESRCH), overlayfs over either, network and FUSE filesystems (ENOSYS).
pub(super) fn free_space_tells(dir: BorrowedFd<'_>, exempt: bool) -> bool {
    matches!(fs_type(dir), Some(EXT4_MAGIC | TMPFS_MAGIC | RAMFS_MAGIC)) && (exempt || !quotas_on(dir))
}

/// Whether user, group or project quotas are on for `dir`'s filesystem (one the kernel's common
/// quota code serves), or that cannot be told (a kernel without quotactl_fd, or one that
/// refuses it). ext4 without quotas on answers ESRCH, tmpfs mounted without them and ramfs
/// ENOSYS.
fn quotas_on(dir: BorrowedFd<'_>) -> bool {
    use rustix::io::Errno;
    use std::os::fd::AsRawFd;
    if quota_limited_for_tests() {
        return true;
    }
    // The call itself, on no descriptor: EBADF where the kernel has it and lets it be made.
    if quota_format(-1, 0) != Err(Errno::BADF) {
        return true;
    }
    for qtype in 0..3 {
        match quota_format(dir.as_raw_fd(), qtype) {
            // Off, or a type this filesystem does not have.
            Err(Errno::SRCH | Errno::INVAL) => {}
            // A filesystem without quota support.
            Err(Errno::NOSYS) => return false,
            // On, or an answer not understood.
            _ => return true,
        }
    }
    false
}

/// Descriptors kept for what else an extraction opens: the workers' files being written, the
/// archive and a copy of it, a decompressor's pipe, a large file, a directory being fixed.
/// Fewer than these to spare, and there are no workers (`extract`).
pub(super) const RESERVED_FDS: usize = 64;

/// The most parent directories the files in flight may go into: half of the descriptors this
/// process may still open (a quarter is the destination's cache, `beneath::cache_max`), at
/// least one.
fn parents_max() -> usize {
    (crate::fds::spare(RESERVED_FDS) / 2).max(1)
}

/// Files go to the workers in batches: one wake-up per batch, not per file.
pub(super) const BATCH_FILES: usize = 32;
pub(super) const BATCH_BYTES: usize = 1 << 20;

/// The workers' side of the extraction.
pub(super) struct Pool {
    pub(super) jobs: std::sync::mpsc::SyncSender<Vec<Job>>,
    pub(super) done: std::sync::mpsc::Receiver<Done>,
    /// Members handed to workers (or batched for them) and not yet reported back.
    /// Keyed by the path's bytes (a safe name: components joined by single slashes), as hashing
    /// a `Path` parses its components.
    pub(super) in_flight: HashSet<OsString>,
    /// The data bytes of those members.
    pub(super) in_flight_bytes: u64,
    /// The parent directories of those members, each with how many.
    in_flight_parents: HashMap<OsString, usize>,
    /// The most parent directories the members in flight may go into: each holds its open
    /// directory (`Job::parent`), beside the destination's cache of them (see `parents_max`).
    parents_max: usize,
    /// Whether this process is exempt from disk quotas (CAP_SYS_RESOURCE): see `room_for`.
    pub(super) quota_exempt: bool,
    /// `free_space_tells`, by filesystem (device), asked once each.
    space_tells: HashMap<u64, bool>,
    /// Buffers the workers are done with, for the next files' data.
    pub(super) spare: SpareBuffers,
    pub(super) batch: Vec<Job>,
    pub(super) batch_bytes: usize,
    /// The archive file the workers copy data from, once one member's data was handed so.
    pub(super) archive: Option<Arc<ArchiveFile>>,
    /// Jobs pushed so far.
    pushed: u64,
    /// Hard links waiting for a file in flight, by its name (`links`); each in `in_flight` too.
    pub(super) later_links: HashMap<OsString, Vec<LaterLink>>,
    /// How many links `later_links` holds in all.
    pub(super) links_waiting: usize,
    /// Where the last member extracted lies among the jobs: the latest job a worker wrote, or
    /// past every job pushed when a member after them was made here (`written_here`). A job
    /// that failed before it is missing among members extracted, and is named when the
    /// extraction stops.
    pub(super) written_last: Option<u64>,
}

impl Pool {
    pub(super) fn new(jobs: std::sync::mpsc::SyncSender<Vec<Job>>, done: std::sync::mpsc::Receiver<Done>) -> Pool {
        Pool {
            jobs,
            done,
            in_flight: HashSet::new(),
            in_flight_bytes: 0,
            in_flight_parents: HashMap::new(),
            parents_max: parents_max(),
            quota_exempt: rustix::thread::capabilities(None)
                .is_ok_and(|c| c.effective.contains(rustix::thread::CapabilitySet::SYS_RESOURCE))
                || quota_exempt_for_tests(),
            space_tells: HashMap::new(),
            spare: SpareBuffers::default(),
            batch: Vec::new(),
            batch_bytes: 0,
            archive: None,
            pushed: 0,
            later_links: HashMap::new(),
            links_waiting: 0,
            written_last: None,
        }
    }

    /// The job `seq` was written by a worker (`written_last`).
    pub(super) fn written(&mut self, seq: u64) {
        self.written_last = self.written_last.max(Some(seq));
    }

    /// A member made on the main thread: it comes after every job pushed so far, so one of
    /// them that fails is missing among members extracted (`written_last`).
    pub(super) fn written_here(&mut self) {
        self.written(self.pushed);
    }

    /// Counts `rel`'s parent as one a member in flight goes into.
    pub(super) fn entered_parent(&mut self, rel: &Path) {
        let parent = parent_bytes(rel);
        match self.in_flight_parents.get_mut(parent) {
            Some(n) => *n += 1,
            None => {
                self.in_flight_parents.insert(parent.to_os_string(), 1);
            }
        }
    }

    /// `entered_parent`, undone when that member is done.
    pub(super) fn left_parent(&mut self, rel: &Path) {
        let parent = parent_bytes(rel);
        if let Some(n) = self.in_flight_parents.get_mut(parent) {
            *n -= 1;
            if *n == 0 {
                self.in_flight_parents.remove(parent);
            }
        }
    }

    /// Whether members in flight go into the directory `rel`.
    pub(super) fn is_parent(&self, rel: &Path) -> bool {
        self.in_flight_parents.contains_key(rel.as_os_str())
    }

    /// Whether a member going into `parent_rel` must wait for those in flight: it would hold
    /// one open directory more than `parents_max`.
    pub(super) fn parents_full(&self, parent_rel: &Path) -> bool {
        self.in_flight_parents.len() >= self.parents_max && !self.is_parent(parent_rel)
    }

    /// Whether the filesystem of `dir` has room, with a wide margin, for the files in flight and
    /// `size` more bytes: then a file may be written beside the workers' without taking space
    /// an earlier one needs. Unknown (the call fails) is no; so is any answer where a disk
    /// quota may limit this process (quotas on there, and no CAP_SYS_RESOURCE), as free space
    /// says nothing of a quota.
    pub(super) fn room_for(&mut self, dir: BorrowedFd<'_>, size: u64) -> bool {
        let Ok(st) = rustix::fs::fstat(dir) else { return false };
        let exempt = self.quota_exempt;
        if !*self.space_tells.entry(st.st_dev).or_insert_with(|| free_space_tells(dir, exempt)) {
            return false;
        }
        let Ok(fs) = rustix::fs::fstatvfs(dir) else { return false };
        let files = self.in_flight.len() as u64;
        // A few blocks of metadata per file, and twice the need: other writers, indirect blocks.
        let want = self.in_flight_bytes.saturating_add(size).saturating_add(files.saturating_mul(16384));
        let need = want.saturating_mul(2).saturating_add(64 << 20);
        let free = fs.f_bavail.saturating_mul(fs.f_frsize);
        // A filesystem without an inode count (btrfs) says 0 files.
        let inodes_ok = fs.f_files == 0 || fs.f_favail >= files.saturating_mul(2).saturating_add(1024);
        free >= need && inodes_ok
    }

    /// A member's data (`size` bytes, fewer only when the archive ends early), read into a spare
    /// buffer of its size class: a small file never holds a large buffer.
    pub(super) fn read_data(&mut self, reader: &mut Reader, size: usize) -> io::Result<Vec<u8>> {
        let mut data = self.spare.take(size);
        let mut got = 0;
        let mut src = reader.data();
        while got < size {
            match src.read(&mut data[got..size]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        data.truncate(got);
        Ok(data)
    }

    /// The archive file for the workers: `fd`, shared (dup'd) the first time. None where it
    /// cannot be (no descriptor left).
    pub(super) fn archive_file(&mut self, fd: BorrowedFd<'_>, name: &str) -> Option<Arc<ArchiveFile>> {
        if self.archive.is_none() {
            let fd = fd.try_clone_to_owned().ok()?;
            self.archive = Some(Arc::new(ArchiveFile { fd, name: name.to_string() }));
        }
        self.archive.clone()
    }

    /// Hands `job` to the workers, in the batch being made: sent on when it holds BATCH_FILES
    /// files or BATCH_BYTES bytes (of data to write, or of buffers).
    pub(super) fn push(&mut self, mut job: Job) -> std::result::Result<(), &'static str> {
        job.seq = self.pushed;
        self.pushed += 1;
        self.in_flight.insert(job.rel.as_os_str().to_os_string());
        self.entered_parent(&job.rel);
        self.in_flight_bytes += job.bytes();
        // Memory held counts the buffer's capacity (up to twice the data); a file copied from
        // the archive holds none, but its size still sets how much one batch is.
        self.batch_bytes += match job.in_archive {
            Some(_) => job.meta.size.min(BATCH_BYTES as u64) as usize,
            None => job.data.capacity(),
        } + job.meta.xattr_bytes();
        self.batch.push(job);
        if self.batch.len() >= BATCH_FILES || self.batch_bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    pub(super) fn flush(&mut self) -> std::result::Result<(), &'static str> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.batch_bytes = 0;
        self.jobs.send(std::mem::take(&mut self.batch)).map_err(|_| "the extraction workers ended")
    }
}

/// A regular file for a worker: its data (or where it lies in the archive file) and the parent
/// directory it goes in.
pub(super) struct Job {
    pub(super) parent: Arc<OwnedFd>,
    pub(super) name: std::ffi::OsString,
    pub(super) meta: EntryMeta,
    /// The data read here; empty with `in_archive`.
    pub(super) data: Vec<u8>,
    /// The offset of the data (`meta.size` bytes) in the archive file, which the worker copies
    /// from there.
    pub(super) in_archive: Option<(Arc<ArchiveFile>, u64)>,
    pub(super) rel: PathBuf,
    /// Its place among the jobs, in archive order (`Pool::push` sets it).
    pub(super) seq: u64,
}

impl Job {
    /// The data bytes it counts for in `Pool::in_flight_bytes`.
    pub(super) fn bytes(&self) -> u64 {
        match self.in_archive {
            Some(_) => self.meta.size,
            None => self.data.len() as u64,
        }
    }
}

/// A plain archive file, for the workers to copy members' data from (`Reader::data_in_file`).
pub(super) struct ArchiveFile {
    pub(super) fd: OwnedFd,
    /// Its name, for errors.
    pub(super) name: String,
}

pub(super) struct Done {
    pub(super) rel: PathBuf,
    pub(super) path: PathBuf,
    /// The data written (or not), its buffer to be used again.
    pub(super) data: Vec<u8>,
    /// `Job::bytes`.
    pub(super) bytes: u64,
    /// `Job::seq`.
    pub(super) seq: u64,
    pub(super) result: Result<(), Failure>,
    /// The member's capability, where it failed (for `Run::note_lost_caps`).
    pub(super) caps: Option<Vec<u8>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::reader::Reader;
    use std::collections::HashSet;
    use std::os::fd::AsFd;

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
        // With a gigabyte free, nothing in flight needs only the 64 MiB margin (but a process
        // a quota may limit never writes beside the workers).
        let tells = free_space_tells(dir.as_fd(), p.quota_exempt);
        assert!(free < (1 << 30) || p.room_for(dir.as_fd(), 0) == tells, "{free} bytes free");
        assert!(!p.room_for(dir.as_fd(), free), "all the free space, doubled, is more than there is");
        assert!(!p.room_for(dir.as_fd(), u64::MAX), "no overflow");
        p.in_flight_bytes = free;
        assert!(!p.room_for(dir.as_fd(), 0), "everything in flight");
        p.in_flight_bytes = u64::MAX;
        assert!(!p.room_for(dir.as_fd(), u64::MAX), "no overflow");
        // As where quotas are on (what `free_space_tells` found for this filesystem, kept).
        p.in_flight_bytes = 0;
        p.space_tells.insert(rustix::fs::fstat(&dir).unwrap().st_dev, false);
        assert!(!p.room_for(dir.as_fd(), 0), "under a possible quota");
    }

    /// Asked of the kernel: a tmpfs without the `quota` option has no quota support (ENOSYS),
    /// and a directory of the test's own filesystem none turned on (ESRCH) unless its mount
    /// says quotas. (A filesystem with quotas on cannot be made on this machine's kernel:
    /// CAPTAR_TEST_QUOTA_LIMITED stands for it in the extraction tests.)
    #[test]
    fn quotas_are_asked_of_the_filesystem() {
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let quota_opts = |line: &str| line.split(' ').nth(3).is_some_and(|o| o.contains("quota"));
        if let Some(shm) = mounts.lines().find(|l| l.starts_with("tmpfs /dev/shm tmpfs ")) {
            let dir = std::fs::File::open("/dev/shm").unwrap();
            assert_eq!(free_space_tells(dir.as_fd(), false), !quota_opts(shm), "{shm}");
        }
        // Any other filesystem may hold limits the call does not see.
        let proc = std::fs::File::open("/proc/self").unwrap();
        assert!(!free_space_tells(proc.as_fd(), false), "procfs");
        let tmp = tempfile::tempdir().unwrap();
        let dir = std::fs::File::open(tmp.path()).unwrap();
        let st = rustix::fs::fstat(&dir).unwrap();
        // The mount the temporary directory is on: the last one listed with its device.
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let dev = format!("{}:{}", rustix::fs::major(st.st_dev), rustix::fs::minor(st.st_dev));
        let quotas = mountinfo.lines().rfind(|l| l.split(' ').nth(2) == Some(&dev)).map(|l| l.contains("quota"));
        match quotas {
            Some(on) => assert_eq!(free_space_tells(dir.as_fd(), false), !on, "{dev}"),
            None => eprintln!("the temporary directory's mount ({dev}) is not in /proc/self/mountinfo"),
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
