/*!
Where the archive goes: standard output or a pipe, a new file written under a temporary name
beside its final one and renamed into place, or an existing archive added to (append, update).
*/

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustix::fs::{Gid, Mode, OFlags, Uid};

use super::Walker;
use super::options::{CreateOptions, Target};
use super::pipeline::write_to;
use crate::error::{Error, IoContext, Result};
use crate::format::EntryMeta;
use crate::format::compress::Compression;
use crate::progress::Progress;
use crate::temps;

pub(super) fn write_archive(opts: &CreateOptions, walker: &mut Walker<'_>, progress: &Progress) -> Result<()> {
    match &opts.target {
        Target::Pipe(pipe) => {
            let pipe = pipe.lock().ok().and_then(|mut p| p.take());
            let pipe = pipe.ok_or_else(|| Error::Usage("create: the pipe was already used".into()))?;
            write_to(opts, walker, progress, pipe, Path::new("(pipe)"))?;
        }
        Target::Stdout => {
            // Standard output redirected to a file in the tree: left out of itself, as GNU tar
            // leaves it (found by audit: a partial copy of the archive went into it, or an
            // empty member).
            if let Ok(st) = rustix::fs::fstat(io::stdout())
                && rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile
            {
                walker.skip_inodes.push(((st.st_dev, st.st_ino), Skip::Note));
            }
            write_to(opts, walker, progress, io::stdout().lock(), Path::new(crate::error::ARCHIVE_ON_STDOUT))?;
        }
        Target::Append(path) => append_archive(opts, walker, progress, path)?,
        Target::File(path) => match std::fs::symlink_metadata(path) {
            Ok(md) if md.is_dir() => {
                return Err(Error::io(path, "write the archive", io::Error::from_raw_os_error(libc::EISDIR)));
            }
            // A regular file of one name is replaced when the new archive is complete.
            Ok(md) if md.is_file() && md.nlink() == 1 => replace_archive(opts, walker, progress, path, Some(&md))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => replace_archive(opts, walker, progress, path, None)?,
            Err(e) => return Err(Error::io(path, "stat the archive", e)),
            // Anything else is opened and written as tar does: a symlink is followed by the
            // kernel (with its protections: fs.protected_symlinks), a device or fifo is written
            // to (`-f /dev/nst0`, `-f /dev/stdout`), and a file of several names is written in
            // place, so every name keeps naming the archive.
            Ok(_) => write_in_place(opts, walker, progress, path)?,
        },
    }
    Ok(())
}

/// Writes the archive into what `path` names, opened (created, truncated) as tar opens it.
pub(super) fn write_in_place(
    opts: &CreateOptions,
    walker: &mut Walker<'_>,
    progress: &Progress,
    path: &Path,
) -> Result<()> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::from_raw_mode(0o666))
        .map_err(io::Error::from)
        .at(path, "write the archive")?;
    let file = File::from(fd);
    // Left out of itself when it is a file (a fifo or device is archived, as by tar).
    if let Ok(md) = file.metadata()
        && md.is_file()
    {
        walker.skip_inodes.push(((md.dev(), md.ino()), Skip::Note));
    }
    write_to(opts, walker, progress, &file, path)
}

/// Whether `path` names what standard output writes to (`/dev/stdout`, `/proc/self/fd/1`, or
/// the file stdout was redirected to). Devices are not: `-f /dev/null > /dev/null` keeps its
/// names where they were.
pub(super) fn is_stdout(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    match (std::fs::metadata(path), rustix::fs::fstat(io::stdout())) {
        (Ok(named), Ok(out)) => {
            let device = named.file_type().is_char_device() || named.file_type().is_block_device();
            !device && named.dev() == out.st_dev && named.ino() == out.st_ino
        }
        _ => false,
    }
}

/// How the walk tells of an inode of the archive it leaves out.
pub(super) enum Skip {
    /// A note naming it.
    Note,
    /// A note naming it by this name in its directory (the archive being written, under its
    /// temporary name).
    As(std::ffi::OsString),
    /// Nothing (the old archive's note covers it).
    Quietly,
    /// Copy's destination: an error naming it.
    Destination,
}

/// Adds members to the uncompressed archive at `path` (tar's -r), written over its
/// end-of-archive marker; a missing archive is created (through a dangling symlink too, as
/// tar). What follows the members must be zeros (the marker and padding): data there (another
/// archive concatenated, say) is refused, where tar would write over it. When the run fails or
/// is interrupted (SIGINT, SIGTERM, SIGHUP), the archive is cut back to its members and its old
/// length (zeros), so it reads as it did.
pub(super) fn append_archive(
    opts: &CreateOptions,
    walker: &mut Walker<'_>,
    progress: &Progress,
    path: &Path,
) -> Result<()> {
    use std::io::{Seek, SeekFrom};
    let md = match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return match std::fs::symlink_metadata(path) {
                Ok(_) => write_in_place(opts, walker, progress, path),
                Err(_) => replace_archive(opts, walker, progress, path, None),
            };
        }
        Err(e) => return Err(Error::io(path, "stat the archive", e)),
        Ok(md) => md,
    };
    let mut archived = HashMap::new();
    let remember = |meta: &EntryMeta| {
        let key = |p: &Path| {
            let b = p.as_os_str().as_bytes();
            b.strip_suffix(b"/").unwrap_or(b).to_vec()
        };
        let target = match (meta.kind, &meta.link) {
            (crate::format::Kind::HardLink, Some(t)) => archived.get(&key(t)).map(crate::create::Archived::caps),
            _ => None,
        };
        let caps = crate::create::ArchivedCaps::of(meta, target);
        archived.entry(key(&meta.path)).or_insert_with(crate::create::Archived::default).add(meta, caps);
    };
    let Adding { file, end, len } =
        if opts.update { open_to_add(path, &md, remember)? } else { open_to_add(path, &md, |_| {})? };
    walker.archived = archived;
    walker.skip_inodes.push(((md.dev(), md.ino()), Skip::Note));
    let _signals = temps::SignalCleanup::install();
    let guard = temps::restore_on_signal(file.as_fd(), end, len).at(path, "open the archive")?;
    let written = (&file).seek(SeekFrom::Start(end)).at(path, "seek in the archive").and_then(|_| {
        write_to(opts, walker, progress, &file, path)?;
        let now = (&file).stream_position().at(path, "seek in the archive")?;
        // --totals: what GNU tar's -r counts, from the record that held the old end marker.
        walker.files.report.set_total(now - end / opts.record * opts.record);
        // Never shorter than it was, as GNU tar (it rewrites records, truncates nothing): with
        // a smaller record than the archive's, its old padding (zeros) stays.
        // Under the write lock too: a signal's cleanup waits for it, not racing it.
        let _writing = temps::ArchiveWrite::start();
        file.set_len(now.max(len)).at(path, "truncate the archive")
    });
    // Nothing added (everything excluded, or up to date): the archive as it was, byte for byte.
    let none = walker.files.run.written.load(std::sync::atomic::Ordering::Relaxed) == 0;
    if none && written.is_ok() {
        // GNU tar's figure: the end marker written again, to the end of its record.
        let record = opts.record;
        walker.files.report.set_total(crate::format::writer::record_end(end, record) - end / record * record);
    }
    // On failure, the old end back: cut to the members, then zeros to the old length.
    if let Err(e) = temps::settle_restore(guard, written.is_err() || none) {
        walker.files.report.error(Error::io(path, "put the archive's old end back after the failure", e));
    }
    written
}

/// An uncompressed archive file opened to add to, read to its end first.
pub(super) struct Adding {
    pub file: File,
    /// Where its end-of-archive marker starts.
    pub end: u64,
    pub len: u64,
}

/// Opens the existing archive `path` (`md`, its metadata) to add to it (append, concatenate):
/// an uncompressed archive file, read to its end, with nothing but zeros after its members.
pub(super) fn open_to_add(path: &Path, md: &std::fs::Metadata, seen: impl FnMut(&EntryMeta)) -> Result<Adding> {
    if !md.is_file() {
        return Err(Error::entry(
            path,
            "members can only be added to an archive file (not a device, pipe or directory)",
        ));
    }
    let compressed = |compression: Compression| {
        format!(
            "cannot add to {} (nor can GNU tar): decompress it, add, then compress it again",
            compression.compressed_archive()
        )
    };
    // Opened for writing first: a refusal is said as such, before the archive is read (found by
    // review: a 0444 archive was read through, then refused with the advice for a read).
    // A compressed one is refused as such even so: no permission would help it (found by
    // review: a read-only .tar.gz was told to give write permission first).
    let refused = |e: io::Error| {
        let mut head = Vec::with_capacity(512);
        let read =
            std::fs::File::open(path).and_then(|f| io::Read::read_to_end(&mut io::Read::take(f, 512), &mut head));
        match read.ok().and_then(|_| Compression::detect(&head).ok()) {
            Some(c) if c != Compression::None => Error::entry(path, compressed(c)),
            _ => crate::error::unwritable(path, &e, "members are added to the archive in place; nothing added"),
        }
    };
    let file = std::fs::OpenOptions::new().read(true).write(true).open(path).map_err(|e| match e.raw_os_error() {
        Some(libc::EACCES | libc::EPERM | libc::EROFS | libc::ETXTBSY) => refused(e),
        _ => Error::io(path, "open the archive", e),
    })?;
    let end = members_end(path, compressed, seen, None)?;
    let len = file.metadata().at(path, "stat the archive")?.len();
    refuse_data_after_end(&file, path, end, len, "read the archive", &|at| {
        format!(
            "another archive put after it? Nothing added (tar would write over it; `captar list -i` shows what \
                 follows, and if nothing there is wanted, `truncate -s {at} ARCHIVE` drops it)"
        )
    })?;
    Ok(Adding { file, end, len })
}

/// Reads the uncompressed archive at `path` to its end, so that a damaged one is an error;
/// where its members end (its end-of-archive marker starts). A compressed one is refused with
/// `compressed`'s message. `seen` is shown each member.
pub(super) fn members_end(
    path: &Path,
    compressed: impl FnOnce(Compression) -> String,
    mut seen: impl FnMut(&EntryMeta),
    part: Option<&crate::error::Report>,
) -> Result<u64> {
    let (compression, mut reader) = crate::format::open_archive(path)?;
    if compression != Compression::None {
        return Err(Error::entry(path, compressed(compression)));
    }
    // An archive to add (`part`) is read as list reads it: one of no byte is refused, and
    // one without its end-of-archive marker is warned of (it may have been cut short), where
    // they were added in silence, exit 0 (found by review). The archive added to is not: an
    // empty file is made an archive, and its missing marker written over, as by GNU tar.
    if part.is_some() {
        reader.refuse_empty();
    }
    loop {
        let next = match part {
            Some(report) => reader.next_reporting(report, None)?,
            None => reader.next_entry()?,
        };
        let Some(entry) = next else { break };
        seen(&entry.meta);
    }
    reader.end().ok_or_else(|| Error::entry(path, "the archive's end could not be found; nothing added"))
}

/// An error where anything but zeros follows the end-of-archive marker at `end` of `file`
/// (`len` long), saying where and `then` of where (what it may be, what was not done, what to
/// do); `op` names the read.
pub(crate) fn refuse_data_after_end(
    file: &File,
    path: &Path,
    end: u64,
    len: u64,
    op: &'static str,
    then: &dyn Fn(u64) -> String,
) -> Result<()> {
    match first_nonzero(file, end, len).at(path, op)? {
        Some(at) => {
            Err(Error::entry(path, format!("data follows its end-of-archive marker (at byte {at}): {}", then(at))))
        }
        None => Ok(()),
    }
}

/// Where the first byte that is not zero lies in `file` between `from` and `to`.
pub(super) fn first_nonzero(file: &File, from: u64, to: u64) -> io::Result<Option<u64>> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; 64 << 10];
    let mut at = from;
    while at < to {
        let n = file.read_at(&mut buf, at)?;
        if n == 0 {
            break;
        }
        if let Some(i) = buf[..n].iter().position(|&b| b != 0) {
            return Ok(Some(at + i as u64));
        }
        at += n as u64;
    }
    Ok(None)
}

/// Writes the archive under a temporary name beside `path` and renames it into place when
/// complete. An existing archive (`old`) keeps its owner, mode, ACLs and xattrs. It is written
/// in place instead, as tar writes it, where the new file cannot be given them (its owner, not
/// as root), where no file can be made beside it (a directory this user may not write), and
/// where it cannot be replaced (a file mounted there: the data is copied into it at the end
/// where the kernel cannot say so at the start).
pub(super) fn replace_archive(
    opts: &CreateOptions,
    walker: &mut Walker<'_>,
    progress: &Progress,
    path: &Path,
    old: Option<&std::fs::Metadata>,
) -> Result<()> {
    let name = path.file_name().unwrap_or(OsStr::new("archive"));
    // The rename that puts the new archive in place needs no write permission on the old one:
    // asked here, before anything is written, as GNU tar's open for writing asks it (found by
    // audit: a 0444 archive was replaced by its owner; an immutable or append-only one got a
    // full copy beside it that could not be put in place). As delete and append ask it.
    if old.is_some()
        && let Err(e) = std::fs::OpenOptions::new().write(true).open(path)
        && matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM | libc::EROFS | libc::ETXTBSY))
    {
        return Err(crate::error::unwritable(path, &e, "create replaces the archive; nothing written"));
    }
    let in_place = |walker: &mut Walker<'_>, old: &std::fs::Metadata| {
        let flags = OFlags::WRONLY | OFlags::TRUNC | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(io::Error::from).at(path, "write the archive")?;
        walker.skip_inodes.push(((old.dev(), old.ino()), Skip::Note));
        // Truncated first, as tar writes it: a full disk leaves a part of the new archive
        // there, which the message says (found by review: it said only that the disk was full).
        let why = "it was written in place, as tar writes an archive, since it cannot be replaced here: what is there now is incomplete; free space and create it again";
        write_to(opts, walker, progress, File::from(fd), path).map_err(|e| temps::full_beside(e, path, why))
    };
    if let Some(old) = old
        && is_mount_root(path)
    {
        return in_place(walker, old);
    }
    // The archive is written under a registered temporary name, removed on error and on
    // SIGINT/SIGTERM/SIGHUP, and renamed into place only when complete.
    let _cleanup = temps::SignalCleanup::install();
    let beside = match (temps::Beside::create(path, 0o666), old) {
        (Ok(beside), _) => beside,
        (Err(temps::BesideError::Create(e)), Some(old))
            if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)) =>
        {
            return in_place(walker, old);
        }
        (Err(temps::BesideError::Dir(dir, e)), _) => {
            return Err(Error::io(dir, "open the directory to write the archive in", e));
        }
        (Err(temps::BesideError::Create(e)), _) => return Err(Error::io(path, "create the archive", e)),
    };
    let file = &beside.file;
    if let Some(old) = old {
        let kept = rustix::fs::fchown(file, Some(Uid::from_raw(old.uid())), Some(Gid::from_raw(old.gid())))
            .and_then(|()| rustix::fs::fchmod(file, Mode::from_raw_mode(old.mode() & 0o7777)));
        if kept.is_err() {
            beside.discard();
            return in_place(walker, old);
        }
    }
    if let Ok(md) = file.metadata() {
        // Seen by the walk (the archive's directory archived), the temporary is the archive
        // under its final name; a note about the old archive already says so.
        let shown = if old.is_some() { Skip::Quietly } else { Skip::As(name.to_os_string()) };
        walker.skip_inodes.push(((md.dev(), md.ino()), shown));
    }
    if let Some(old) = old {
        walker.skip_inodes.push(((old.dev(), old.ino()), Skip::Note));
    }
    let written = write_to(opts, walker, progress, file, path);
    if let Err(e) = written {
        beside.discard();
        // GNU tar, which truncates the old archive first, may have had room.
        let why = "the new archive is written beside the old one, which is kept until the new one is complete, so both need room; free space, or remove the old archive first";
        return Err(if old.is_some() { temps::full_beside(e, path, why) } else { e });
    }
    // The old file's xattrs and ACLs (after the data: a write clears a capability); where the
    // new file cannot take them all, the old file, which has them, gets the data.
    if old.is_some() && beside.take_attributes(path, false).is_err() {
        return beside.copy_over().at(path, "write the finished archive in place");
    }
    beside.finish_or_copy().at(path, "put the finished archive in place")?;
    Ok(())
}

/// Whether `path` is a mount point (a file mounted over another, as containers mount one).
fn is_mount_root(path: &Path) -> bool {
    let flags = rustix::fs::AtFlags::SYMLINK_NOFOLLOW;
    rustix::fs::statx(rustix::fs::CWD, path, flags, rustix::fs::StatxFlags::BASIC_STATS).is_ok_and(|st| {
        let root = rustix::fs::StatxAttributes::MOUNT_ROOT;
        st.stx_attributes_mask.contains(root) && st.stx_attributes.contains(root)
    })
}
