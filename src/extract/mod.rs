/*!
`captar extract`: restore members beneath the destination, in the order the kernel demands so
no capability is lost: create → write all data → fchown → fchmod (setuid back) → other xattrs →
`security.capability` LAST → futimens, all on the fd of the file just created (chown and writes
clear the capability: security/commoncap.c). A regular file is written as an unnamed inode
(O_TMPFILE) and linked under its name only complete, with its capability already set.
Directories get their metadata after their contents.

The pieces, in the order a member meets them: `driver` runs the extraction (`extract`: the
archive read in order, small files handed to `pool`'s writing threads, each member's result
settled); `names` says where a member goes; `in_the_way` clears its place first (`backup`,
`unlink`); `member` makes it by its kind beneath `beneath::Dest`, a regular file through `file`,
and `restore` gives it its metadata; `dirs` sets the directories' at the end. `incremental` is
`-G`'s, `stdout` is `-O`'s; `options` is what the CLI asks for. `Run`, one extraction's state,
and `Failure` are defined here so that every piece sees them.
*/

pub mod backup;
pub(crate) mod beneath;
mod dirs;
mod driver;
mod file;
mod in_the_way;
mod incremental;
mod member;
mod names;
mod options;
mod pool;
mod restore;
mod stdout;
mod unlink;

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

pub use backup::Backups;
use beneath::Dest;
pub use beneath::SafeName;
use dirs::PendingDir;
pub use driver::extract;
use in_the_way::BackedUp;
use names::{members_of, strip}; // `stdout` names them from here
pub use options::{Existing, ExtractOptions, RootidPolicy};
use pool::Pool;
use restore::{CapFailure, Restorer};

use crate::error::{Error, Report};
use crate::select::Members;

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

/// Whether an error stops the whole extraction rather than one member.
fn is_fatal(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT) | Some(libc::EROFS) | Some(libc::EIO))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::reader::Reader;
    use pool::{INLINE_MAX, SPARE_BUFFERS, SPARE_BYTES, SPARE_CLASSES, SPARE_MIN, SpareBuffers, class_of};
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
