/*!
`--remove-files`: what was archived is removed once the archive holding it is complete, and
for an archive file, once it is on disk (fsync'd, with its directory), never before: GNU tar
removes each file as soon as its member is written, so a later failure (a full disk, a
signal) loses files the archive does not hold. Each is removed only if it is still the file
that was archived (same inode, and for what is not a directory the same size and
modification time), and only if it was archived whole: a file that changed, shrank or failed
to read while it was archived stays. Directories go after their contents, and only if empty.
*/

use crate::error::ShowPath;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Stat};

use crate::error::{Error, Report};
use crate::format::Time;

/// A file as it was when archived.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seen {
    dev: u64,
    ino: u64,
    size: i64,
    mtime: Time,
    dir: bool,
}

impl Seen {
    #[allow(clippy::unnecessary_cast)] // i64 on some architectures, c_long on others
    pub(super) fn of(st: &Stat) -> Seen {
        Seen {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            size: st.st_size as i64,
            mtime: Time::mtime_of(st),
            dir: FileType::from_raw_mode(st.st_mode) == FileType::Directory,
        }
    }

    /// Whether `now` is still the file archived: a directory's size and time change as its
    /// contents are removed, so only its identity counts.
    fn is(&self, now: &Seen) -> bool {
        (self.dev, self.ino, self.dir) == (now.dev, now.ino, now.dir)
            && (self.dir || (self.size, self.mtime) == (now.size, now.mtime))
    }
}

/// One archived path to remove.
#[derive(Debug)]
pub(super) struct Removal {
    pub path: PathBuf,
    pub seen: Seen,
}

/// Flushes the finished archive file at `archive` and its directory to disk, so that removing
/// the files it holds cannot lose them to a crash.
pub(super) fn sync_archive(archive: &Path) -> crate::error::Result<()> {
    let what = "flush the archive to disk before removing the files (--remove-files)";
    // A device, fifo or pipe (`-f /dev/stdout`) has nothing to flush, and opening a fifo again
    // would wait for a writer.
    if !std::fs::metadata(archive).is_ok_and(|m| m.is_file()) {
        return Ok(());
    }
    std::fs::File::open(archive).and_then(|f| f.sync_all()).map_err(|e| Error::io(archive, what, e))?;
    let dir = match archive.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::File::open(dir).and_then(|f| f.sync_all()).map_err(|e| Error::io(dir, what, e))
}

/// Removes `archived` (in archive order: each directory before its contents), last first.
/// `follow`: the paths were archived through symlinks (`--dereference`); the name is
/// removed, after checking what it leads to.
pub(super) fn remove_all(archived: Vec<Removal>, follow: bool, report: &Report) {
    for Removal { path, seen } in archived.into_iter().rev() {
        // `-C DIR .` archives DIR's contents as `./...`: DIR itself is removed last, as GNU
        // tar does (a bare `.` cannot be, and is an error as in GNU tar).
        let path = match path.as_os_str().as_encoded_bytes().strip_suffix(b"/.") {
            Some(dir) if !dir.is_empty() => PathBuf::from(std::ffi::OsStr::from_bytes(dir)),
            _ => path,
        };
        // Through --dereference, the name archived may be a symlink: the name is removed
        // (what it leads to is removed under its own name, if that was archived too).
        if follow && std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            if let Err(e) = std::fs::remove_file(&path) {
                report.error(Error::io(&path, "remove (--remove-files)", e));
            }
            continue;
        }
        let flags = if follow { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
        let now = match rustix::fs::statat(rustix::fs::CWD, &path, flags) {
            Ok(st) => Seen::of(&st),
            // Gone already (removed by someone else, or a name given twice): nothing to do.
            Err(rustix::io::Errno::NOENT) => continue,
            Err(e) => {
                report.error(Error::io(&path, "stat before removing it (--remove-files)", e.into()));
                continue;
            }
        };
        if !seen.is(&now) {
            report.warn(format!("{}: changed since it was archived; not removed (--remove-files)", path.on_disk()));
            continue;
        }
        let removed = if seen.dir { std::fs::remove_dir(&path) } else { std::fs::remove_file(&path) };
        match removed {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => report.error(Error::entry(
                &path,
                "not removed (--remove-files): the directory is not empty (it holds what was not archived)",
            )),
            Err(e) => report.error(Error::io(&path, "remove (--remove-files)", e)),
        }
    }
}
