/*!
Atomic files (the safety issue's section 2): a regular file is written as an unnamed inode
(`O_TMPFILE`) and given its name by `linkat` only once it is complete, with its owner, mode,
xattrs and capability set, so a SIGKILL, a full disk or a corrupt archive never leaves a
truncated file under a final name, nor replaces a good file with a broken one. Where the
filesystem has no `O_TMPFILE`, a hidden temporary name (registered in `temps`, so SIGINT and
SIGTERM remove it) is renamed into place instead.
*/

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use super::unlink;
use crate::error::Error;
use crate::format::reader::Reader;
use crate::temps::{self, temp_name};

/// A regular file being written: an unnamed inode (O_TMPFILE) where the filesystem allows,
/// else a hidden temporary name; it appears under its final name only through `link_into`.
pub struct TempFile {
    fd: OwnedFd,
    /// The directory and temporary name, when O_TMPFILE was not available.
    named: Option<(temps::Named, OwnedFd, PathBuf)>,
}

/// Set (to anything) in the environment, `CAPTAR_TEST_NO_TMPFILE` makes captar write files
/// under temporary names as it does where O_TMPFILE is missing, so tests can reach that path
/// on filesystems that have O_TMPFILE.
fn tmpfile_disabled() -> bool {
    static DISABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DISABLED.get_or_init(|| std::env::var_os("CAPTAR_TEST_NO_TMPFILE").is_some())
}

impl TempFile {
    /// An unnamed inode of mode `mode` (less the umask); a named temporary file, which others
    /// could open while it is written, is made 0600 whatever `mode` says.
    pub fn create(dir: BorrowedFd<'_>, mode: Mode) -> io::Result<TempFile> {
        let flags = OFlags::WRONLY | OFlags::CLOEXEC;
        if !tmpfile_disabled() {
            match rustix::fs::openat(dir, ".", flags | OFlags::TMPFILE, mode) {
                Ok(fd) => return Ok(TempFile { fd, named: None }),
                Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL | Errno::NOENT) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let tmp = temp_name(OsStr::new("file"));
        let (named, fd) = temps::create(dir, &tmp, || {
            let how = flags | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
            Ok(rustix::fs::openat(dir, &tmp, how, Mode::from_raw_mode(0o600))?)
        })?;
        let dir = rustix::io::fcntl_dupfd_cloexec(dir, 0)?;
        Ok(TempFile { fd, named: Some((named, dir, tmp)) })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Gives the file its final name in `dir`, replacing what is there (but not a directory
    /// with anything in it) when `replace`; otherwise an existing name is an `AlreadyExists`
    /// error. An empty directory it replaces is told to `removed` (`unlink::over_empty_dir`).
    pub fn link_into(
        mut self,
        dir: BorrowedFd<'_>,
        name: &OsStr,
        replace: bool,
        removed: &dyn Fn((u64, u64)),
    ) -> io::Result<()> {
        if let Some((named, tdir, tmp)) = self.named.take() {
            let flags = if replace { RenameFlags::empty() } else { RenameFlags::NOREPLACE };
            return temps::settle(named, || {
                let rename = || rustix::fs::renameat_with(&tdir, &tmp, dir, name, flags);
                unlink::over_empty_dir(dir, name, rename, removed).map_err(|e| {
                    let _ = rustix::fs::unlinkat(&tdir, &tmp, AtFlags::empty());
                    replace_error(e)
                })
            });
        }
        let link = |target: &Path| -> rustix::io::Result<()> {
            match rustix::fs::linkat(&self.fd, "", dir, target, AtFlags::EMPTY_PATH) {
                // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc/self/fd works for everyone.
                Err(Errno::NOENT | Errno::PERM) => {
                    let proc = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&self.fd));
                    rustix::fs::linkat(rustix::fs::CWD, proc.as_str(), dir, target, AtFlags::SYMLINK_FOLLOW)
                }
                other => other,
            }
        };
        match link(Path::new(name)) {
            Ok(()) => Ok(()),
            Err(Errno::EXIST) if replace => {
                let tmp = temp_name(name);
                let (named, ()) = temps::create(dir, &tmp, || Ok(link(&tmp)?))?;
                temps::settle(named, || {
                    let rename = || rustix::fs::renameat(dir, &tmp, dir, name);
                    unlink::over_empty_dir(dir, name, rename, removed).map_err(|e| {
                        let _ = rustix::fs::unlinkat(dir, &tmp, AtFlags::empty());
                        replace_error(e)
                    })
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn replace_error(e: Errno) -> io::Error {
    if e == Errno::ISDIR || e == Errno::NOTEMPTY { super::dir_in_the_way() } else { e.into() }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some((named, dir, tmp)) = self.named.take() {
            temps::remove(named, dir.as_fd(), &tmp);
        }
    }
}

/// Where writing a member's data failed.
pub enum DataError {
    Archive(Error),
    Write(io::Error),
}

const DATA_BUFFER: usize = 1 << 20;

/// Copies the current member's data into the file.
pub fn write_data(reader: &mut Reader, file: &mut TempFile) -> std::result::Result<(), DataError> {
    let mut buf = vec![0u8; DATA_BUFFER.min(reader_remaining_hint(reader))];
    let mut holes = false;
    loop {
        // A sparse member's holes stay holes, as GNU tar extracts them.
        let hole = reader.take_hole();
        if hole > 0 {
            holes = true;
            // Past the largest file the filesystem holds, lseek answers EINVAL: say what it means.
            let too_big = || {
                DataError::Write(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    "its size (with its holes) is larger than this filesystem allows for a file",
                ))
            };
            let hole = i64::try_from(hole).map_err(|_| too_big())?;
            rustix::fs::seek(&file.fd, rustix::fs::SeekFrom::Current(hole)).map_err(|e| match e {
                Errno::INVAL | Errno::FBIG | Errno::OVERFLOW => too_big(),
                e => DataError::Write(e.into()),
            })?;
            continue;
        }
        let n = reader.read_data(&mut buf).map_err(DataError::Archive)?;
        if n == 0 {
            if holes {
                // A file that ends in a hole gets its length.
                let end = rustix::fs::seek(&file.fd, rustix::fs::SeekFrom::Current(0))
                    .map_err(|e| DataError::Write(e.into()))?;
                rustix::fs::ftruncate(&file.fd, end).map_err(|e| DataError::Write(e.into()))?;
            }
            return Ok(());
        }
        write_all(file.fd(), &buf[..n]).map_err(DataError::Write)?;
    }
}

/// Writes all of `data` to `fd`.
pub fn write_all(fd: BorrowedFd<'_>, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        match rustix::io::write(fd, data) {
            Ok(n) => data = &data[n..],
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn reader_remaining_hint(reader: &Reader) -> usize {
    reader.remaining().clamp(1, DATA_BUFFER as u64) as usize
}
