/*!
`captar create`: walk the named paths (never following symlinks), read each file through one
open fd (data, xattrs and the capability from the same inode), and stream pax members. A file
archive is written under a temporary name beside it and renamed into place only when complete,
so a failed run never leaves a truncated archive under the final name.
*/

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{Gid, Mode, OFlags, Stat, Uid};

use crate::caps::FileCaps;
use crate::error::{Error, IoContext, Outcome, Report, Result, Warning};
use crate::format::compress::{Compression, Encoder};
use crate::format::reader::padding;
use crate::format::writer::{DataOutcome, Writer, encode_headers};
use crate::format::{BLOCK, EntryMeta, Kind, Time};
use crate::progress::Progress;
use crate::transform::Part;
use crate::{owners, temps, xattr};

mod batch;
mod concat;
pub mod incremental;
mod mode;
mod options;
mod remove;
pub(crate) mod sparse;
mod tags;
mod tree;

use batch::{Batch, Batches, Bytes, Job};
pub use concat::concatenate;
pub use mode::ModeChanges;
pub use options::{CreateOptions, ListedIncremental, Named, Newer, Stamp, Target};
pub use tags::{CACHEDIR_TAG, ExclusionTag, TagScope};
pub(crate) use tree::open_noatime;
use tree::{At, Entry, Failure, Tree};

/// The walk: directories, lstat, hard links and exclusions, in archive order, on its own
/// thread. It hands batches of members to the readers, which open and read the regular files.
struct Walker<'a> {
    files: Files<'a>,
    links: HashMap<(u64, u64), PathBuf>,
    /// The archive's inodes (the old archive, the one being written), left out of it.
    skip_inodes: Vec<((u64, u64), Skip)>,
    /// The leading parts stripped from names given (`/`, `../`), each noted once.
    warned_absolute: std::collections::HashSet<String>,
    /// `update`: the archive's member names (without a trailing `/`) and the latest
    /// modification time each is archived with.
    archived: HashMap<Vec<u8>, Time>,
    /// A listed-incremental dump: the snapshot read, and the new one being made.
    incremental: Option<incremental::Incremental>,
    /// The listing of the directory about to be added (incremental dumps).
    dumpdir: Option<Vec<u8>>,
}

/// What reads a member's metadata, xattrs and data: the walk, and every reader thread.
#[derive(Clone, Copy)]
struct Files<'a> {
    opts: &'a CreateOptions,
    report: &'a Report,
    run: &'a Run,
}

/// What the walk, the readers and the writer learn as the run goes.
#[derive(Default)]
struct Run {
    /// A name --transform made absolute or gave a `..` was noted (once).
    noted_unsafe: std::sync::atomic::AtomicBool,
    /// With `--remove-files`: what was archived whole, in archive order, for removal once
    /// the archive is complete.
    archived: std::sync::Mutex<Vec<remove::Removal>>,
    /// Members written so far.
    written: std::sync::atomic::AtomicU64,
}

/// One member ready to be written.
struct Item {
    meta: EntryMeta,
    body: Body,
    /// The file on disk, for messages.
    path: PathBuf,
    /// The name `-v` shows when it is not the member's (`--transform` without
    /// `--show-transformed-names`).
    shown: Option<PathBuf>,
    /// The file as it was archived, for `--remove-files` (which removes it only if it is
    /// still that).
    seen: Option<remove::Seen>,
}

enum Body {
    /// The next `len` bytes of the batch: the member's headers and padded data. A small file's
    /// data was read by the walk: `short` is how much of it could be read when the file shrank
    /// (zeros make up the rest); `changed` says its stat moved while it was read.
    Encoded { len: usize, short: Option<u64>, changed: bool },
    /// A large file, read by the writer straight into the archive.
    Open { file: File, before: Stat },
    /// A file with holes, archived as its data runs (`--sparse`), read by the writer.
    Sparse { file: File, before: Stat, sparse: sparse::Sparse },
}

const OUT_BUFFER: usize = 1 << 20;
/// The most reader threads create starts.
const MAX_READERS: usize = 8;
/// Writes at least this large bypass the output buffer of an uncompressed archive.
const PLAIN_OUT_BUFFER: usize = 64 << 10;

const EOVERFLOW_MSG: &str = "archived without its capability: a v3 (namespaced) capability whose rootid maps to no user \
     of this user namespace (EOVERFLOW); archive it from the namespace that set it, or from the initial namespace";

/// Files up to this size are read by the walking thread.
const INLINE_MAX: u64 = 1 << 20;
/// Batches of members queued between the walk and the writer (see `batch`).
const QUEUE: usize = 4;

/// Whether a file's stat moved between two looks (tar's "file changed as we read it").
fn changed(before: &Stat, after: &Stat) -> bool {
    (after.st_size, after.st_mtime, after.st_mtime_nsec, after.st_ctime, after.st_ctime_nsec)
        != (before.st_size, before.st_mtime, before.st_mtime_nsec, before.st_ctime, before.st_ctime_nsec)
}

pub fn create(opts: &CreateOptions, report: &Report) -> Result<Outcome> {
    // As GNU tar: an archive written to the terminal is never what was meant.
    if matches!(opts.target, Target::Stdout) && std::io::IsTerminal::is_terminal(&io::stdout()) {
        return Err(Error::Usage(
            "refusing to write archive contents to a terminal (missing -f option?); name the archive with -f ARCHIVE, or pipe the output".into(),
        ));
    }
    // An incremental dump is a whole archive of its own: added to another one, its listings
    // would describe only some of what that archive holds (and `update` skips directories).
    if opts.listed_incremental.is_some() && matches!(opts.target, Target::Append(_)) {
        return Err(Error::Usage(
            "-g: a listed-incremental dump is made as an archive of its own (create), not added to one (append, update)".into(),
        ));
    }
    if opts.paths.is_empty() && !opts.empty_ok {
        return Err(Error::Usage(
            "create: name at least one path to archive (e.g. `captar create -f a.tar /usr/bin`)".into(),
        ));
    }
    // A missing `-C` directory stops the run before the archive is made: no empty archive is
    // left under the final name. Missing paths are errors of their own later, as in tar, and
    // the archive holds what exists.
    let mut checked: Vec<&Path> = Vec::new();
    for dir in opts.paths.iter().map(|n| n.dir.as_path()).filter(|d| !d.as_os_str().is_empty()) {
        if checked.contains(&dir) {
            continue;
        }
        checked.push(dir);
        let opened = rustix::fs::open(dir, OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty());
        if let Err(e) = opened {
            return Err(Error::entry(
                dir,
                format!(
                    "cannot change to this directory (-C): {}; name an existing directory",
                    crate::error::os_text(&io::Error::from(e))
                ),
            ));
        }
    }
    let progress = Progress::bytes(opts.progress, Some(0), "archiving");
    report.attach(&progress);
    progress.count_tree(opts.paths.iter().map(Named::fs_path).collect(), opts.one_file_system, opts.recursive);
    let incremental = opts
        .listed_incremental
        .as_ref()
        .map(|l| incremental::Incremental::open(&l.snapshot, l.level0, l.check_device))
        .transpose()?;
    let run = Run::default();
    let files = Files { opts, report, run: &run };
    let mut walker = Walker {
        files,
        links: HashMap::new(),
        skip_inodes: Vec::new(),
        warned_absolute: std::collections::HashSet::new(),
        archived: HashMap::new(),
        incremental,
        dumpdir: None,
    };
    let result = write_archive(opts, &mut walker, &progress);
    progress.finish();
    result?;
    // Only once the archive is complete: a failed dump leaves the last snapshot, so the next
    // dump archives what this one would have.
    if let Some(incremental) = &walker.incremental {
        incremental.save()?;
    }
    if opts.remove_files {
        // Only once the archive holding them is complete, and on disk.
        if let Target::File(path) | Target::Append(path) = &opts.target {
            remove::sync_archive(path)?;
        }
        let archived = run.archived.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        remove::remove_all(archived, opts.dereference, report);
    }
    Ok(report.outcome())
}

fn write_archive(opts: &CreateOptions, walker: &mut Walker<'_>, progress: &Progress) -> Result<()> {
    match &opts.target {
        Target::Pipe(pipe) => {
            let pipe = pipe.lock().ok().and_then(|mut p| p.take());
            let pipe = pipe.ok_or_else(|| Error::Usage("create: the pipe was already used".into()))?;
            write_to(opts, walker, progress, pipe, Path::new("(pipe)"))?;
        }
        Target::Stdout => {
            write_to(opts, walker, progress, io::stdout().lock(), Path::new("(archive on standard output)"))?;
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
fn write_in_place(opts: &CreateOptions, walker: &mut Walker<'_>, progress: &Progress, path: &Path) -> Result<()> {
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
fn is_stdout(path: &Path) -> bool {
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
enum Skip {
    /// A note naming it.
    Note,
    /// A note naming it by this name in its directory (the archive being written, under its
    /// temporary name).
    As(std::ffi::OsString),
    /// Nothing (the old archive's note covers it).
    Quietly,
}

/// Adds members to the uncompressed archive at `path` (tar's -r), written over its
/// end-of-archive marker; a missing archive is created (through a dangling symlink too, as
/// tar). What follows the members must be zeros (the marker and padding): data there (another
/// archive concatenated, say) is refused, where tar would write over it. When the run fails or
/// is interrupted (SIGINT, SIGTERM, SIGHUP), the archive is cut back to its members and its old
/// length (zeros), so it reads as it did.
fn append_archive(opts: &CreateOptions, walker: &mut Walker<'_>, progress: &Progress, path: &Path) -> Result<()> {
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
        let name = meta.path.as_os_str().as_bytes();
        let name = name.strip_suffix(b"/").unwrap_or(name).to_vec();
        let latest = archived.entry(name).or_insert(meta.mtime);
        *latest = (*latest).max(meta.mtime);
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
            "cannot add to a {}-compressed archive (nor can GNU tar): decompress it, add, then compress it again",
            compression.name()
        )
    };
    let end = members_end(path, compressed, seen)?;
    let file = std::fs::OpenOptions::new().read(true).write(true).open(path).at(path, "open the archive")?;
    let len = file.metadata().at(path, "stat the archive")?.len();
    if let Some(at) = first_nonzero(&file, end, len).at(path, "read the archive")? {
        return Err(Error::entry(
            path,
            format!(
                "data follows its end-of-archive marker (at byte {at}): another archive put after it? Nothing added (tar would write over it)"
            ),
        ));
    }
    Ok(Adding { file, end, len })
}

/// Reads the uncompressed archive at `path` to its end, so that a damaged one is an error;
/// where its members end (its end-of-archive marker starts). A compressed one is refused with
/// `compressed`'s message. `seen` is shown each member.
pub(super) fn members_end(
    path: &Path,
    compressed: impl FnOnce(Compression) -> String,
    mut seen: impl FnMut(&EntryMeta),
) -> Result<u64> {
    let (compression, mut reader) = crate::format::open_archive(path)?;
    if compression != Compression::None {
        return Err(Error::entry(path, compressed(compression)));
    }
    while let Some(entry) = reader.next_entry()? {
        seen(&entry.meta);
    }
    reader.end().ok_or_else(|| Error::entry(path, "the archive's end could not be found; nothing added"))
}

/// Where the first byte that is not zero lies in `file` between `from` and `to`.
pub(crate) fn first_nonzero(file: &File, from: u64, to: u64) -> io::Result<Option<u64>> {
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
/// complete. An existing archive (`old`) keeps its mode and owner; where the owner cannot be
/// kept (not root), the old file is written in place instead, as tar does.
fn replace_archive(
    opts: &CreateOptions,
    walker: &mut Walker<'_>,
    progress: &Progress,
    path: &Path,
    old: Option<&std::fs::Metadata>,
) -> Result<()> {
    let name = path.file_name().unwrap_or(OsStr::new("archive"));
    // The archive is written under a registered temporary name, removed on error and on
    // SIGINT/SIGTERM/SIGHUP, and renamed into place only when complete.
    let _cleanup = temps::SignalCleanup::install();
    let beside = temps::Beside::create(path, 0o666).map_err(|e| match e {
        temps::BesideError::Dir(dir, e) => Error::io(dir, "open the directory to write the archive in", e),
        temps::BesideError::Create(e) => Error::io(path, "create the archive", e),
    })?;
    let file = &beside.file;
    if let Some(old) = old {
        let kept = rustix::fs::fchown(file, Some(Uid::from_raw(old.uid())), Some(Gid::from_raw(old.gid())))
            .and_then(|()| rustix::fs::fchmod(file, Mode::from_raw_mode(old.mode() & 0o7777)));
        if kept.is_err() {
            beside.discard();
            let fd = rustix::fs::open(
                path,
                OFlags::WRONLY | OFlags::TRUNC | OFlags::CLOEXEC | OFlags::NOFOLLOW,
                Mode::empty(),
            )
            .map_err(io::Error::from)
            .at(path, "write the archive")?;
            walker.skip_inodes.push(((old.dev(), old.ino()), Skip::Note));
            return write_to(opts, walker, progress, File::from(fd), path);
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
        return Err(e);
    }
    beside.finish().at(path, "rename the finished archive into place")?;
    Ok(())
}

/// Walks and writes the whole archive to `out`, compressed as asked, and flushes it. The walk
/// runs on its own thread, the files are opened and read on one reader thread per core, and
/// this thread writes the batches in order: reading the tree and writing the archive overlap.
fn write_to<W: Write + AsFd>(
    opts: &CreateOptions,
    walker: &mut Walker<'_>,
    progress: &Progress,
    out: W,
    label: &Path,
) -> Result<()> {
    let report = walker.files.report;
    // Uncompressed, the walk's batches of encoded members (hundreds of KiB) are written
    // straight from where the files were read; what is buffered is the odd header.
    let plain = opts.compression == Compression::None;
    // Uncompressed into a regular file, a large file's data goes from the file into the
    // archive's descriptor in the kernel (sendfile), through a second descriptor of the same
    // open output. Not into a pipe or socket: there sendfile passes page references, not
    // copies, so a change made to the file after it was read would still reach the archive.
    let regular = rustix::fs::fstat(&out).is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_file());
    let direct = if plain && regular { out.as_fd().try_clone_to_owned().ok() } else { None };
    // Added to an archive file (append), records count from the archive's start.
    let start =
        if plain && regular { rustix::fs::seek(&out, rustix::fs::SeekFrom::Current(0)).unwrap_or(0) } else { 0 };
    let out = BufWriter::with_capacity(if plain { PLAIN_OUT_BUFFER } else { OUT_BUFFER }, temps::ArchiveWrite(out));
    let encoder = Encoder::new(opts.compression, out, opts.level).at(label, "compress")?;
    // Members reach the compressor in runs of a batch; a large file's header and data in
    // pieces of at least 512 bytes, which the compressors buffer themselves.
    let counter = opts.checkpoints.as_ref().map(|c| c.counter());
    let mut writer = Writer::new(encoder).starting_at(start).with_checkpoints(counter).with_record(opts.record);
    if let Some(text) = &opts.label {
        // Dated as GNU tar dates it (the time of writing), or by --mtime for a reproducible archive.
        let mtime = opts.stamp.mtime.map_or_else(
            || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64),
            |t| t.secs,
        );
        let mut header = Vec::new();
        crate::format::writer::encode_label(text.as_bytes(), mtime, &mut header);
        writer.put_encoded(&header).at(label, "write")?;
    }
    let files = walker.files;
    // Past a few readers the walk and the writer set the pace; the cap bounds memory (each
    // batch in flight holds up to ~2 MiB) on machines with many cores.
    let readers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_READERS);
    // Batches go walk → readers → writer → back to the walk; at most `readers + QUEUE` exist,
    // which bounds memory.
    let (job_tx, job_rx) = std::sync::mpsc::channel::<Batch>();
    // `None`: a reader panicked, and the batch it held will never come.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Option<Batch>>();
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Batch>();
    let job_rx = std::sync::Mutex::new(job_rx);
    std::thread::scope(|s| -> Result<()> {
        // Readers that cannot start (the process limit reached) are done without; with none,
        // or no walk, the archive cannot be made.
        let mut threads = Vec::new();
        for _ in 0..readers {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            let reader = std::thread::Builder::new().spawn_scoped(s, move || {
                loop {
                    let next = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(mut batch) = next else { return };
                    let filled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| batch.fill(files)));
                    if done_tx.send(filled.is_ok().then_some(batch)).is_err() || filled.is_err() {
                        return; // the writer stopped (it reports why), or this thread failed
                    }
                }
            });
            match reader {
                Ok(t) => threads.push(t),
                Err(e) if threads.is_empty() => return Err(crate::error::Error::no_thread(label, e)),
                Err(_) => break,
            }
        }
        let producer = std::thread::Builder::new()
            .spawn_scoped(s, move || walker.walk_all(Batches::new(&job_tx, &back_rx, readers + QUEUE)))
            .map_err(|e| crate::error::Error::no_thread(label, e))?;
        drop(done_tx);
        let out = Output { writer: &mut writer, direct: direct.as_ref().map(|fd| fd.as_fd()), label };
        let written = write_items(files, progress, done_rx, back_tx, out);
        // When writing failed, the channels are gone: the readers and the walk stop.
        let walked = producer.join().map_err(|_| Error::Usage("create: the walking thread panicked".into()))?;
        for t in threads {
            t.join().map_err(|_| Error::Usage("create: a reading thread panicked".into()))?;
        }
        written?;
        walked
    })?;
    report.set_total(writer.finished_len());
    writer.finish().and_then(|enc| enc.finish()).and_then(|mut out| out.flush()).at(label, "write")
}

/// Where the writer thread writes: the archive writer, the descriptor it ends in when the
/// kernel may copy files into it directly (uncompressed), and the archive's name for errors.
struct Output<'a, W: Write> {
    writer: &'a mut Writer<W>,
    direct: Option<BorrowedFd<'a>>,
    label: &'a Path,
}

/// The writer's side: members in walk order, verbose names, progress, and the checks that need
/// the data written (a file that shrank or changed while it was read).
fn write_items<W: Write>(
    files: Files<'_>,
    progress: &Progress,
    rx: std::sync::mpsc::Receiver<Option<Batch>>,
    back: std::sync::mpsc::Sender<Batch>,
    out: Output<'_, W>,
) -> Result<()> {
    let Output { writer, direct, label } = out;
    let (opts, report, state) = (files.opts, files.report, files.run);
    let mut archived = state.archived.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut files = 0u64;
    // Like tar -v: names on stdout, unless the archive itself goes there (`-f -`, or a name
    // of what stdout writes to: `-f /dev/stdout`), where they would land in it.
    let names_to_stderr = match &opts.target {
        Target::Stdout | Target::Pipe(_) => true,
        Target::File(path) | Target::Append(path) => opts.verbose && is_stdout(path),
    };
    // Batches arrive as the readers finish them; they are written in the walk's order.
    let mut next = 0u64;
    let mut early: BTreeMap<u64, Batch> = BTreeMap::new();
    let in_order = std::iter::from_fn(|| {
        loop {
            if let Some(batch) = early.remove(&next) {
                next += 1;
                return Some(Some(batch));
            }
            match rx.recv() {
                Ok(Some(batch)) => early.insert(batch.seq, batch),
                Ok(None) => return Some(None),
                Err(_) => return None,
            };
        }
    });
    for batch in in_order {
        let Some(mut batch) = batch else {
            return Err(Error::Usage("create: a reading thread panicked".into()));
        };
        // Runs of encoded members go out in one write.
        let mut run = 0..0;
        for item in batch.items.drain(..) {
            if opts.verbose {
                let shown = item.shown.as_ref().unwrap_or(&item.meta.path);
                let line = crate::list::quote_name(shown.as_os_str().as_bytes());
                let _ = match names_to_stderr {
                    false => writeln!(io::stdout().lock(), "{line}"),
                    true => writeln!(io::stderr().lock(), "{line}"),
                };
            }
            let meta = &item.meta;
            let path = &item.path;
            // Whole and unchanged: removable with --remove-files.
            let mut whole = false;
            match item.body {
                Body::Encoded { len, short, changed } => {
                    run.end += len;
                    // With checkpoints each member goes out after its name, so their dots and
                    // messages come between the names, as in GNU tar.
                    if opts.checkpoints.is_some() {
                        writer.put_encoded(&batch.bytes.as_slice()[run.clone()]).at(label, "write")?;
                        run = run.end..run.end;
                    }
                    whole = short.is_none() && !changed;
                    if let Some(read) = short {
                        shrank(report, path, meta.size - read);
                    } else if changed {
                        report.warn_as(Warning::FileChanged, format!("{}: file changed as we read it", path.display()));
                    }
                }
                Body::Sparse { file, before, sparse } => {
                    writer.put_encoded(&batch.bytes.as_slice()[run.clone()]).at(label, "write")?;
                    run = run.end..run.end;
                    let mut source = sparse::SparseSource::new(&file, &sparse);
                    let outcome = writer.append(meta, Some(&mut source)).at(label, "write")?;
                    if let Some(e) = source.error {
                        report.error(format!(
                            "{}: read failed: {}; its member was padded with zeros",
                            path.display(),
                            crate::error::os_text(&e)
                        ));
                    } else if let DataOutcome::Short { .. } = outcome {
                        report.warn_as(
                            Warning::FileShrank,
                            format!("{}: file shrank while we read it; padded with zeros", path.display()),
                        );
                    } else if rustix::fs::fstat(&file).map(|after| changed(&before, &after)).unwrap_or(true) {
                        report.warn_as(Warning::FileChanged, format!("{}: file changed as we read it", path.display()));
                    } else {
                        whole = true;
                    }
                }
                Body::Open { file, before } => {
                    writer.put_encoded(&batch.bytes.as_slice()[run.clone()]).at(label, "write")?;
                    run = run.end..run.end;
                    let mut source = FileSource { file: &file, error: None };
                    let outcome = match direct {
                        Some(fd) => writer.append_file(meta, &file, fd, &mut source),
                        None => writer.append(meta, Some(&mut source)),
                    }
                    .at(label, "write")?;
                    if let Some(e) = source.error {
                        report.error(format!(
                            "{}: read failed: {}; its member was padded with zeros",
                            path.display(),
                            crate::error::os_text(&e)
                        ));
                    } else if let DataOutcome::Short { read } = outcome {
                        shrank(report, path, meta.size - read);
                    } else if rustix::fs::fstat(&file).map(|after| changed(&before, &after)).unwrap_or(true) {
                        report.warn_as(Warning::FileChanged, format!("{}: file changed as we read it", path.display()));
                    } else {
                        whole = true;
                    }
                }
            }
            state.written.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if whole && let Some(seen) = item.seen {
                archived.push(remove::Removal { path: item.path, seen });
            }
            if meta.kind == Kind::File {
                files += 1;
                progress.inc(meta.size);
                if files.is_multiple_of(256) {
                    progress.message(format!("{files} files"));
                }
            }
        }
        writer.put_encoded(&batch.bytes.as_slice()[run]).at(label, "write")?;
        batch.bytes.used = 0;
        let _ = back.send(batch); // the walk may be done
    }
    Ok(())
}

/// The member name for a path as given: leading `/` and `..` removed, as tar does.
fn member_name(path: &Path) -> (PathBuf, bool) {
    let mut out = PathBuf::new();
    let mut stripped = false;
    for c in path.components() {
        match c {
            Component::RootDir | Component::Prefix(_) => stripped = true,
            // GNU tar (safer_name_suffix) drops everything up to the last `..`.
            Component::ParentDir => {
                out.clear();
                stripped = true;
            }
            other => out.push(other),
        }
    }
    (out, stripped)
}

/// A walked path as the user named it: `arg` (as given) and what the walk added beneath
/// `fs_path` (`arg` under `-C`'s directory); an absolute `arg` is its walked path.
fn given_name<'a>(arg: &Path, fs_path: &Path, walked: &'a Path) -> std::borrow::Cow<'a, Path> {
    if arg.is_absolute() {
        return walked.into();
    }
    let rest = walked.as_os_str().as_bytes().get(fs_path.as_os_str().len()..).unwrap_or_default();
    let mut bytes = arg.as_os_str().as_bytes().to_vec();
    bytes.extend_from_slice(rest);
    PathBuf::from(OsStr::from_bytes(&bytes)).into()
}

/// Whether a path given to archive is stripped to nothing (`/`, `..`, `x/..`), not to a `.`
/// (`/.`, `../.`), as GNU tar strips it: what is left after a leading `/` and the last `..`.
/// What `member_name` strips from the front of `path`, as GNU tar names it ("Removing leading
/// `/tmp/../'"): leading slashes, or everything up to and with the last `..` and its slash.
fn stripped_prefix(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    let mut start = bytes.iter().take_while(|&&b| b == b'/').count();
    let mut at = 0;
    for part in bytes.split(|&b| b == b'/') {
        let end = at + part.len();
        if part == b".." {
            start = (end + 1).min(bytes.len());
        }
        at = end + 1;
    }
    String::from_utf8_lossy(&bytes[..start]).into_owned()
}

fn strips_to_nothing(path: &Path) -> bool {
    let parts: Vec<&[u8]> = path.as_os_str().as_bytes().split(|&b| b == b'/').filter(|p| !p.is_empty()).collect();
    let after = parts.iter().rposition(|p| *p == b"..").map_or(0, |i| i + 1);
    parts[after..].is_empty()
}

/// A member's name for `name`, the path beneath the archive's root: a directory's ends in `/`,
/// the root's is `./`.
fn member_name_of(name: PathBuf, kind: Kind) -> PathBuf {
    if kind != Kind::Dir {
        return name;
    }
    if name.as_os_str().is_empty() {
        return PathBuf::from("./");
    }
    let mut bytes = name.as_os_str().as_bytes().to_vec();
    if !bytes.ends_with(b"/") {
        bytes.push(b'/');
    }
    PathBuf::from(OsStr::from_bytes(&bytes))
}

/// `bytes` without its trailing slashes (all of them but a leading one).
fn trim_slashes(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != b'/').map_or(bytes.len().min(1), |i| i + 1);
    &bytes[..end]
}

/// `path` without its trailing slashes, when it has some and names a symlink that way.
fn symlink_named_with_slash(path: &Path) -> Option<PathBuf> {
    let bytes = path.as_os_str().as_bytes();
    let bare = trim_slashes(bytes);
    if bare.len() == bytes.len() || bare == b"/" {
        return None;
    }
    let bare = PathBuf::from(OsStr::from_bytes(bare));
    std::fs::symlink_metadata(&bare).ok().filter(|m| m.file_type().is_symlink()).map(|_| bare)
}

impl Walker<'_> {
    fn walk_all(&mut self, mut batches: Batches<'_>) -> Result<()> {
        // Each batch out may hold a large file open, each reader one more; and a few for the
        // archive and standard streams.
        let mut tree = Tree::new(2 * batches.most + 8).following(self.files.opts.dereference);
        for named in &self.files.opts.paths {
            let (arg, fs_path) = (&named.path, named.fs_path());
            let (name, stripped) = member_name(arg);
            // Once for each prefix, as GNU tar says it.
            if stripped {
                let prefix = stripped_prefix(arg);
                let shown = crate::error::terminal_safe(&prefix).into_owned();
                if self.warned_absolute.insert(prefix) {
                    self.files.report.note(format!("removing leading '{shown}' from member names"));
                }
            }
            // A name stripped to nothing (`/`, `..`) is archived as `./`, its contents as `etc/...`
            // (`add` names the empty name `./`); one stripped to a `.` (`/.`, `../.`) as `./`,
            // its contents as `./etc/...`: GNU tar's names (and bsdtar's, for `/`).
            let name = if name.as_os_str().is_empty() && !strips_to_nothing(arg) { PathBuf::from(".") } else { name };
            let follow = tree.follows();
            // A symlink named with a trailing slash (`link/`) is archived as the symlink `link`,
            // as GNU tar and bsdtar do; with -h what it leads to, a file too, under that name.
            let (fs_path, name) = match symlink_named_with_slash(&fs_path) {
                Some(bare) => {
                    let name = PathBuf::from(OsStr::from_bytes(trim_slashes(name.as_os_str().as_bytes())));
                    (bare, name)
                }
                None => (fs_path, name),
            };
            let root = At::path(&fs_path)
                .and_then(|at| Ok(Entry { st: at.stat_as(follow)?, at, path: fs_path.clone(), name }));
            let root = match root {
                Ok(root) => root,
                Err(e) => {
                    self.files.cannot_read(Error::io(&fs_path, "stat", e));
                    continue;
                }
            };
            let root_dev = root.st.st_dev;
            let mut next = Some(Ok(root));
            while let Some(entry) = next {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(Failure { path, what, error }) => {
                        self.files.failed(Error::io(path, what, error));
                        next = tree.next();
                        continue;
                    }
                };
                // An absolute or `..` path is matched as given too (`--exclude=/proc`), as GNU tar
                // matches it before stripping (`given_name`).
                let excludes = &self.files.opts.excludes;
                // A path named is left out when a leading directory of it matches too (but not
                // with --no-recursion), as in GNU tar.
                let named = tree.is_top() && self.files.opts.recursive;
                let matches = |name: &Path| if named { excludes.matches_named(name) } else { excludes.matches(name) };
                if !excludes.is_empty()
                    && (matches(&entry.name) || (stripped && matches(&given_name(arg, &fs_path, &entry.path))))
                {
                    next = tree.next();
                    continue;
                }
                let is_dir = Kind::of_mode(entry.st.st_mode) == Some(Kind::Dir);
                // update (tar's -u): what the archive holds as new or newer is not added again;
                // a directory it holds is not, but its entries are looked at.
                let archived = self
                    .archived_as(&entry.name)
                    .is_some_and(|time| is_dir || Time::mtime_of(&entry.st).at_precision_of(time) <= time);
                if archived && !is_dir {
                    next = tree.next();
                    continue;
                }
                // --newer, --newer-mtime: what is older is left out, but not a directory (its
                // newer entries need it), as in GNU tar. A listed-incremental dump leaves out a
                // file named on the command line unchanged since the last dump (those beneath a
                // directory named, by its listing: `incremental`).
                let since = self.incremental.as_ref().and_then(|i| i.since()).filter(|_| tree.is_top());
                if !is_dir && self.files.opts.newer.or(since).is_some_and(|n| n.leaves_out(&entry.st)) {
                    next = tree.next();
                    continue;
                }
                // --exclude-tag, --exclude-caches: a tagged directory is archived with its tag
                // file, alone, or not at all.
                let tag = if is_dir { tags::find(&self.files.opts.tags, &entry.at, tree.follows()) } else { None };
                if let Some(tag) = tag
                    && self.files.opts.verbose
                {
                    self.files.report.note_as(Warning::Cachedir, tag.note(&entry.path));
                }
                let scope = tag.map(|t| t.scope);
                if scope == Some(TagScope::All) {
                    next = tree.next();
                    continue;
                }
                let descend = is_dir
                    && self.files.opts.recursive
                    && scope != Some(TagScope::Under)
                    && (!self.files.opts.one_file_system || entry.st.st_dev == root_dev);
                let entered = if descend { tree.enter(&entry) } else { Ok(()) };
                if descend && entered.is_ok() && !tree.atime_kept() && self.files.opts.atime_preserve {
                    self.files.report.warn(atime_warning(&entry.path));
                }
                if let (Ok(()), Some(tag)) = (&entered, tag)
                    && descend
                {
                    tree.keep_only(&tag.name);
                }
                // A directory that cannot be entered (opened and read: permissions, or any other
                // error, reported) is left out, as GNU tar leaves it (archived, it would come back
                // as an empty directory); one not entered again (a loop) is archived.
                let unreadable = entered.as_ref().is_err_and(|f| f.what != tree::LOOP);
                if is_dir && !archived && !unreadable {
                    let listed = descend && entered.is_ok() && tag.is_none();
                    self.list_directory(&mut tree, &entry, listed, (arg, &fs_path));
                }
                let added = if archived || unreadable { Ok(None) } else { self.add(entry) };
                match added {
                    Ok(Some(job)) => {
                        // A file handed on holds its directory open until a reader reads it.
                        if matches!(job, Job::File { .. })
                            && tree.over_budget()
                            && !batches.wait_for(|| tree.over_budget())
                        {
                            return Ok(()); // the writer stopped; it reports why
                        }
                        if !batches.push(job) {
                            return Ok(());
                        }
                    }
                    Ok(None) => {}
                    Err(e) => self.files.failed(e),
                }
                if let Err(Failure { path, what, error }) = entered {
                    self.files.failed(Error::io(path, what, error));
                }
                next = tree.next();
            }
        }
        batches.send();
        Ok(())
    }

    /// In a listed-incremental dump, the listing of the directory `entry` (entered when
    /// `listed`: its entries are looked at, and those unchanged left out of the walk), for its
    /// member and the new snapshot. `named` is the path named and where the walk found it: the
    /// snapshot knows a directory by the path named and the rest of the walk, as GNU tar.
    fn list_directory(&mut self, tree: &mut Tree, entry: &Entry, listed: bool, named: (&Path, &Path)) {
        // Whatever the last directory left (its member may have failed) is not this one's.
        self.dumpdir = None;
        let Some(inc) = self.incremental.as_mut() else { return };
        let walked = entry.path.strip_prefix(named.1).unwrap_or(Path::new(""));
        let key = named.0.join(walked);
        let key = key.as_os_str().as_bytes();
        // `s/` and `s//` are `s`, as GNU tar names them; `/` stays.
        let trimmed = key.len() - key.iter().rev().take_while(|&&b| b == b'/').count();
        let key = &key[..trimmed.max(1).min(key.len())];
        if !listed {
            inc.unlisted(key, &entry.st);
            return;
        }
        let opts = self.files.opts;
        let (arg, fs_path) = named;
        let mut dumpdir = None;
        let mut renames = Vec::new();
        let member = entry.name.as_os_str().as_bytes();
        tree.narrow_entered(|child, names| {
            // What the walk will leave out is `N`, as GNU tar lists it: excluded by a pattern
            // (on the member name, or on the path as given), or a directory an exclusion tag
            // leaves out whole.
            let excluded = |name: &std::ffi::CString, st: Option<&Stat>| {
                let name = OsStr::from_bytes(name.as_bytes());
                let pattern = !opts.excludes.is_empty()
                    && (opts.excludes.matches(&entry.name.join(name))
                        || opts.excludes.matches(&given_name(arg, fs_path, &entry.path.join(name))));
                let tagged_out = || {
                    st.is_some_and(|st| Kind::of_mode(st.st_mode) == Some(Kind::Dir))
                        && opts.tags.iter().any(|t| t.scope == TagScope::All)
                        && child(name)
                            .and_then(|at| tags::find(&opts.tags, &at, opts.dereference))
                            .is_some_and(|t| t.scope == TagScope::All)
                };
                pattern || tagged_out()
            };
            // When a directory was made (statx), where the filesystem keeps it.
            let born = |name: Option<&std::ffi::CString>| {
                let at = match name {
                    Some(name) => child(OsStr::from_bytes(name.as_bytes()))?,
                    None => entry.at.clone(),
                };
                use rustix::fs::{AtFlags, StatxFlags};
                let flags = if opts.dereference { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
                let stx = rustix::fs::statx(at.dir(), at.name(), flags, StatxFlags::BTIME).ok()?;
                let t = stx.stx_btime;
                (stx.stx_mask & StatxFlags::BTIME.bits() != 0).then_some(Time { secs: t.tv_sec, nsecs: t.tv_nsec })
            };
            // Whether a path as walked in the last dump (a snapshot key) is one the exclusions
            // leave out: as given, and as its member is named.
            let excluded_at = |path: &[u8]| {
                let path = Path::new(OsStr::from_bytes(path));
                !opts.excludes.is_empty()
                    && (opts.excludes.matches(path) || opts.excludes.matches(&crate::extract::SafeName::rel_of(path)))
            };
            let (listing, marks, renamed) =
                inc.directory((key, member), &entry.st, names, (excluded, excluded_at), born);
            dumpdir = Some(listing);
            renames = renamed;
            marks.into_iter().map(|m| m != incremental::Mark::No).collect()
        });
        self.dumpdir = dumpdir;
        for r in renames {
            let (from, to) = (OsStr::from_bytes(&r.from), OsStr::from_bytes(&r.to));
            let (from, to) = (Path::new(from).display(), Path::new(to).display());
            self.files.report.note_as(Warning::RenameDirectory, format!("{to}: directory renamed from '{from}'"));
        }
    }

    /// With `update`: when the archive holds a member of the name `name` would be archived
    /// under (after `--transform`), the latest modification time it is archived with.
    fn archived_as(&self, name: &Path) -> Option<Time> {
        if self.archived.is_empty() {
            return None;
        }
        let stored = self.files.transformed(Part::Name, name);
        let bytes = stored.as_os_str().as_bytes();
        self.archived.get(bytes.strip_suffix(b"/").unwrap_or(bytes)).copied()
    }

    /// What becomes of one walked path: a file for a reader, or a member made here. A file of
    /// several names is read here, so its later names become links only once it is archived.
    fn add(&mut self, entry: Entry) -> Result<Option<Job>> {
        let Entry { at, path, name, st } = entry;
        let report = self.files.report;
        if let Some((_, skip)) = self.skip_inodes.iter().find(|(inode, _)| *inode == (st.st_dev, st.st_ino)) {
            let shown = match skip {
                Skip::Note => Some(name),
                Skip::As(file_name) => Some(name.with_file_name(file_name)),
                Skip::Quietly => None,
            };
            if let Some(shown) = shown {
                report.note_as(Warning::IgnoreArchive, format!("{}: file is the archive; not dumped", shown.display()));
            }
            return Ok(None);
        }
        let Some(kind) = Kind::of_mode(st.st_mode) else {
            report.note_as(Warning::FileIgnored, format!("{}: socket ignored", path.display()));
            return Ok(None);
        };
        // With --dereference a regular file may be reached through symlinks too, so it has
        // several names whatever its link count (as GNU tar's -h takes it); --hard-dereference
        // archives every name whole.
        let opts = self.files.opts;
        let linked = kind != Kind::Dir
            && (st.st_nlink > 1 || (opts.dereference && kind == Kind::File))
            && !opts.hard_dereference;
        if kind == Kind::File && !linked {
            return Ok(Some(Job::File { at, path, name, st }));
        }
        let mut bytes = Bytes { buf: Vec::new(), used: 0 };
        // A name archived twice (named, and beneath a named directory) is archived again as
        // GNU tar does, but whole: a link to itself would name no file to link to.
        if linked
            && let Some(first) = self.links.get(&(st.st_dev, st.st_ino))
            && *first != name
        {
            let shown = self.files.shown(&name, Kind::HardLink);
            let mut meta = self.files.base_meta(name, Kind::HardLink, &st, &path)?;
            meta.link = Some(self.files.transformed(Part::HardLink, first).into_owned());
            let mut item = encoded(meta, &path, shown, &mut bytes)?;
            item.seen = opts.remove_files.then(|| remove::Seen::of(&st));
            return Ok(Some(Job::Done { item: Box::new(item), bytes: bytes.buf }));
        }
        let item = if kind == Kind::File {
            self.files.file(&at, &path, name.clone(), &st, &mut bytes)?
        } else {
            let mut meta = self.files.base_meta(name.clone(), kind, &st, &path)?;
            if kind == Kind::Dir {
                meta.dumpdir = self.dumpdir.take();
            }
            match kind {
                Kind::Symlink => {
                    let target = rustix::fs::readlinkat(at.dir(), at.name(), Vec::new())
                        .map_err(io::Error::from)
                        .at(&path, "read link")?;
                    let target = Path::new(OsStr::from_bytes(target.as_bytes()));
                    meta.link = Some(self.files.opts.transforms.path(Part::Symlink, target).into_owned());
                }
                Kind::Char | Kind::Block => {
                    meta.dev_major = rustix::fs::major(st.st_rdev);
                    meta.dev_minor = rustix::fs::minor(st.st_rdev);
                }
                _ => {}
            }
            let whole = self.files.at_xattrs(&at, &path, &mut meta)?;
            let mut item = encoded(meta, &path, self.files.shown(&name, kind), &mut bytes)?;
            item.seen = (opts.remove_files && whole).then(|| remove::Seen::of(&st));
            item
        };
        // Later names of this inode become links to this one.
        if linked {
            self.links.insert((st.st_dev, st.st_ino), name);
        }
        bytes.buf.truncate(bytes.used);
        Ok(Some(Job::Done { item: Box::new(item), bytes: bytes.buf }))
    }
}

/// A file read short by `by` bytes: its member is padded with zeros.
fn shrank(report: &Report, path: &Path, by: u64) {
    report.warn_as(
        Warning::FileShrank,
        format!("{}: file shrank by {by} bytes while we read it; padded with zeros", path.display()),
    );
}

impl Files<'_> {
    /// Reports a member that could not be archived; one that vanished since the walk saw it
    /// is a warning, as in tar.
    fn failed(&self, e: Error) {
        match e {
            Error::Io { ref source, ref path, .. } if source.kind() == io::ErrorKind::NotFound => {
                self.report
                    .warn_as(Warning::FileRemoved, format!("{}: file removed before we read it", path.display()));
            }
            Error::Io { op: tree::LOOP, ref source, ref path } => {
                self.report.warn(format!("{}: {source}", path.display()));
            }
            other => self.cannot_read(other),
        }
    }

    /// Reports a path that could not be looked at, opened or listed: an error, or with
    /// `--ignore-failed-read` a note that leaves the exit status alone, as GNU tar's warning.
    /// (Failures to read a capability or an xattr, and read errors in the middle of a file,
    /// stay errors: the member would be archived without them, or with wrong data.)
    fn cannot_read(&self, e: Error) {
        match e {
            Error::Io { op: "stat" | "open" | "read", .. } if self.opts.ignore_failed_read => {
                self.report.note_as(Warning::FailedRead, format!("{e}; left out (--ignore-failed-read)"));
            }
            other => self.report.error(other),
        }
    }

    /// The member for `name`, the walked path beneath the archive's root (`path` on disk): named
    /// as `--transform` makes it, a directory's name ending in `/`.
    fn base_meta(&self, name: PathBuf, kind: Kind, st: &Stat, path: &Path) -> Result<EntryMeta> {
        let renamed = match self.transformed(Part::Name, &name) {
            std::borrow::Cow::Owned(renamed) => Some(renamed),
            std::borrow::Cow::Borrowed(_) => None,
        };
        if let Some(renamed) = &renamed
            && renamed.as_os_str().is_empty()
            && kind != Kind::Dir
        {
            return Err(Error::entry(path, "--transform made its member name empty; not archived"));
        }
        let stamp = &self.opts.stamp;
        let mut meta = EntryMeta::new(member_name_of(renamed.unwrap_or(name), kind), kind);
        meta.mode = match &stamp.mode {
            Some(changes) => changes.apply(st.st_mode & 0o7777, kind == Kind::Dir),
            None => st.st_mode & 0o7777,
        };
        let (uid, uname) = match &stamp.owner {
            Some((uid, name)) => (*uid, name.clone()),
            None => (st.st_uid, owners::user_name(st.st_uid).map(<[u8]>::to_vec)),
        };
        let (gid, gname) = match &stamp.group {
            Some((gid, name)) => (*gid, name.clone()),
            None => (st.st_gid, owners::group_name(st.st_gid).map(<[u8]>::to_vec)),
        };
        (meta.uid, meta.gid) = (u64::from(uid), u64::from(gid));
        if !stamp.numeric {
            (meta.uname, meta.gname) = (uname, gname);
        }
        meta.mtime = Time::mtime_of(st);
        if let Some(t) = stamp.mtime
            && (!stamp.clamp || (meta.mtime.secs, meta.mtime.nsecs) > (t.secs, t.nsecs))
        {
            meta.mtime = t;
        }
        Ok(meta)
    }

    /// `name` (a member's name or a hard link's target) as `--transform` makes it, less a leading
    /// `/` and anything up to a last `..` it may have put there (noted once), as for the names
    /// given.
    fn transformed<'p>(&self, part: Part, name: &'p Path) -> std::borrow::Cow<'p, Path> {
        let renamed = self.opts.transforms.path(part, name);
        if let std::borrow::Cow::Borrowed(_) = renamed {
            return renamed;
        }
        let (safe, stripped) = member_name(&renamed);
        if stripped && !self.run.noted_unsafe.swap(true, std::sync::atomic::Ordering::Relaxed) {
            self.report.note("removing leading '/' and '../' from names --transform made");
        }
        safe.into()
    }

    /// What `-v` shows for `name` when the member is named otherwise: the name before
    /// `--transform`, unless `--show-transformed-names`.
    fn shown(&self, name: &Path, kind: Kind) -> Option<PathBuf> {
        let transforms = &self.opts.transforms;
        (!transforms.is_empty() && !transforms.show).then(|| member_name_of(name.to_path_buf(), kind))
    }

    /// Adds the capability that was read, if any, to `meta`. `Ok(false)`: there is one that
    /// could not be read here (a v3 value whose rootid maps to no user of this namespace); the
    /// member is archived without it, an error saying so (and `--remove-files` keeps the file).
    fn take_caps(&self, path: &Path, meta: &mut EntryMeta, read: io::Result<Option<Vec<u8>>>) -> Result<bool> {
        match read {
            Ok(Some(v)) => meta.xattrs.push((crate::caps::XATTR_NAME.into(), v)),
            Ok(None) => {}
            Err(e) if e.raw_os_error() == Some(libc::EOVERFLOW) => {
                self.report.error(Error::entry(path, EOVERFLOW_MSG));
                return Ok(false);
            }
            Err(e) => return Err(Error::io(path, "read security.capability", e)),
        }
        Ok(true)
    }

    /// Xattrs of a file that is not open (directories, symlinks, devices), found at `at`
    /// (`path` on kernels before 6.13): never following it, except with `--dereference`
    /// (then by `path`). `Ok(false)` as for `take_caps`.
    fn at_xattrs(&self, at: &At, path: &Path, meta: &mut EntryMeta) -> Result<bool> {
        if self.opts.dereference {
            return self.followed_xattrs(path, meta);
        }
        let full = || path.to_path_buf();
        if !self.opts.xattrs.others {
            // A directory, a symlink, a fifo or a device can carry a capability too (it grants
            // nothing, but it is there, and getcap lists it on a fifo or a device).
            if self.opts.xattrs.caps {
                return self.take_caps(path, meta, xattr::get_caps_at(at.dir(), at.name(), &full));
            }
            return Ok(true);
        }
        for name in xattr::list_at(at.dir(), at.name(), &full).at(path, "list xattrs")? {
            if self.opts.xattrs.wants(&name)
                && let Some(v) = xattr::get_at(at.dir(), at.name(), &name, &full).at(path, "read xattr")?
            {
                meta.xattrs.push((name, v));
            }
        }
        Ok(true)
    }

    /// Xattrs of what `path` leads to, through symlinks (`--dereference`).
    fn followed_xattrs(&self, path: &Path, meta: &mut EntryMeta) -> Result<bool> {
        if !self.opts.xattrs.others {
            if self.opts.xattrs.caps {
                return self.take_caps(path, meta, xattr::get_following(path, xattr::CAPABILITY));
            }
            return Ok(true);
        }
        for name in xattr::list_following(path).at(path, "list xattrs")? {
            let cname = std::ffi::CString::new(name.as_bytes()).expect("xattr names hold no NUL");
            if self.opts.xattrs.wants(&name)
                && let Some(v) = xattr::get_following(path, &cname).at(path, "read xattr")?
            {
                meta.xattrs.push((name, v));
            }
        }
        Ok(true)
    }

    /// Xattrs of an open file; `Ok(false)` as for `take_caps`.
    fn fd_xattrs(&self, path: &Path, file: &File, meta: &mut EntryMeta) -> Result<bool> {
        let policy = &self.opts.xattrs;
        let mut whole = true;
        if policy.caps_only_mode() {
            if policy.caps {
                whole = self.take_caps(path, meta, xattr::get_caps_fd(file))?;
            }
        } else {
            for name in xattr::list_fd(file).at(path, "list xattrs")? {
                if !policy.wants(&name) {
                    continue;
                }
                match xattr::get_fd(file, &name) {
                    Ok(Some(v)) => meta.xattrs.push((name, v)),
                    Ok(None) => {}
                    Err(e) if e.raw_os_error() == Some(libc::EOVERFLOW) => {
                        self.report.error(Error::entry(path, EOVERFLOW_MSG));
                        whole = false;
                    }
                    Err(e) => return Err(Error::io(path, "read xattr", e)),
                }
            }
        }
        if let Some(raw) = meta.caps_raw()
            && let Err(e) = FileCaps::decode(raw)
        {
            self.report.note(format!("{}: archived as found, but {e}", path.display()));
        }
        Ok(whole)
    }

    /// A regular file: a large one left open for the writer, a small one read into `bytes`.
    fn file(&self, at: &At, path: &Path, name: PathBuf, st: &Stat, bytes: &mut Bytes) -> Result<Item> {
        let (file, atime_kept) = open_for_reading(at, path, self.opts.dereference)?;
        if !atime_kept && self.opts.atime_preserve {
            self.report.warn(atime_warning(path));
        }
        let before = rustix::fs::fstat(&file).map_err(io::Error::from).at(path, "stat")?;
        if (before.st_dev, before.st_ino) != (st.st_dev, st.st_ino) {
            self.report.warn_as(
                Warning::FileChanged,
                format!("{}: file was replaced while we read it; archived the new one", path.display()),
            );
        }
        let shown = self.shown(&name, Kind::File);
        let mut meta = self.base_meta(name, Kind::File, &before, path)?;
        meta.size = before.st_size as u64;
        // Archived without its capability, a file is never removed (--remove-files).
        let whole = self.fd_xattrs(path, &file, &mut meta)?;
        let seen = (self.opts.remove_files && whole).then(|| remove::Seen::of(&before));
        // --sparse: a file taking fewer blocks than its size has holes; the filesystem says where.
        if self.opts.sparse
            && (before.st_blocks as u64).saturating_mul(512) < meta.size
            && let Some(sparse) = sparse::Sparse::of(&file, meta.size)
        {
            meta.sparse = Some(meta.size);
            meta.size = sparse.stored_size();
            return Ok(Item {
                meta,
                body: Body::Sparse { file, before, sparse },
                path: path.to_path_buf(),
                shown,
                seen,
            });
        }
        if meta.size > INLINE_MAX {
            return Ok(Item { meta, body: Body::Open { file, before }, path: path.to_path_buf(), shown, seen });
        }
        let start = bytes.used;
        encode(&meta, path, bytes)?;
        let size = meta.size as usize; // at most INLINE_MAX
        let mut source = FileSource { file: &file, error: None };
        let data = bytes.tail(size);
        let mut got = 0;
        while got < size {
            match source.read(&mut data[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) => {
                    bytes.used = start;
                    return Err(Error::io(path, "read", e));
                }
            }
        }
        if let Some(e) = &source.error {
            self.report.error(format!(
                "{}: read failed: {}; its member was padded with zeros",
                path.display(),
                crate::error::os_text(e)
            ));
        }
        let seen = if source.error.is_none() { seen } else { None };
        bytes.used += got;
        let short = (got < size).then_some(got as u64);
        bytes.zeros(size - got + padding(meta.size) as usize);
        let moved = rustix::fs::fstat(&file).map(|after| changed(&before, &after)).unwrap_or(true);
        let body = Body::Encoded { len: bytes.used - start, short, changed: moved };
        Ok(Item { meta, body, path: path.to_path_buf(), shown, seen })
    }
}

/// A member's headers, encoded at the end of `bytes`.
fn encode(meta: &EntryMeta, path: &Path, bytes: &mut Bytes) -> Result<()> {
    let mut headers = Vec::with_capacity(3 * BLOCK);
    encode_headers(meta, &mut headers).at(path, "archive")?;
    bytes.extend(&headers);
    Ok(())
}

/// A member without data, encoded at the end of `bytes`.
fn encoded(meta: EntryMeta, path: &Path, shown: Option<PathBuf>, bytes: &mut Bytes) -> Result<Item> {
    let start = bytes.used;
    encode(&meta, path, bytes)?;
    let body = Body::Encoded { len: bytes.used - start, short: None, changed: false };
    Ok(Item { meta, body, path: path.to_path_buf(), shown, seen: None })
}

/// A file's data as the writer reads it. A read error ends the data early (the writer pads
/// the member, keeping the archive well-formed) and is kept to be reported against the file,
/// not the archive.
struct FileSource<'a> {
    file: &'a File,
    error: Option<io::Error>,
}

impl io::Read for FileSource<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.file.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error = Some(e);
                    return Ok(0);
                }
                Ok(n) => return Ok(n),
            }
        }
    }
}

/// Opens a regular file for reading without following a symlink swapped in since the walk
/// (unless `follow`: `--dereference`), and without touching its atime where we may: also
/// answers whether that was allowed.
fn open_for_reading(at: &At, path: &Path, follow: bool) -> Result<(File, bool)> {
    let nofollow = if follow { OFlags::empty() } else { OFlags::NOFOLLOW };
    let flags = OFlags::RDONLY | nofollow | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    let (fd, kept) = tree::open_noatime(at.dir(), at.name(), flags).map_err(io::Error::from).at(path, "open")?;
    Ok((File::from(fd), kept))
}

/// The warning of `--atime-preserve` for a file or directory whose access time may change.
fn atime_warning(path: &Path) -> String {
    format!(
        "{}: its access time may have changed: only its owner or root (CAP_FOWNER) may read without changing it; run as either to keep it (--atime-preserve)",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> CreateOptions {
        CreateOptions::new(Target::Stdout, vec![Named::here(".")])
    }

    /// A reader thread that panicked leaves a hole in the sequence of batches: the writer stops
    /// with an error instead of waiting for that batch forever.
    #[test]
    fn a_lost_batch_stops_the_writer() {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Option<Batch>>();
        let (back_tx, _back_rx) = std::sync::mpsc::channel::<Batch>();
        let mut later = Batch::new();
        later.seq = 1;
        done_tx.send(Some(later)).unwrap();
        done_tx.send(None).unwrap(); // batch 0's reader panicked
        // The other readers are still alive: the channel stays open.
        let (result_tx, result_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut writer = Writer::new(Vec::new());
            let (opts, report) = (options(), Report::new());
            let run = Run::default();
            let files = Files { opts: &opts, report: &report, run: &run };
            let label = Path::new("t");
            let out = Output { writer: &mut writer, direct: None, label };
            let _ = result_tx.send(write_items(files, &Progress::hidden(), done_rx, back_tx, out));
        });
        let result = result_rx.recv_timeout(std::time::Duration::from_secs(20)).expect("the writer hangs");
        assert!(result.is_err_and(|e| e.to_string().contains("panicked")));
        drop(done_tx);
    }

    /// Batches that arrive out of order are written in the walk's order.
    #[test]
    fn batches_are_written_in_walk_order() {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Option<Batch>>();
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Batch>();
        for seq in [2u64, 0, 1] {
            let mut batch = Batch::new();
            batch.seq = seq;
            let meta = EntryMeta::new(PathBuf::from(format!("m{seq}")), Kind::Dir);
            batch.items.push(encoded(meta, Path::new("x"), None, &mut batch.bytes).unwrap());
            done_tx.send(Some(batch)).unwrap();
        }
        drop(done_tx);
        let (opts, report) = (options(), Report::new());
        let run = Run::default();
        let files = Files { opts: &opts, report: &report, run: &run };
        let mut writer = Writer::new(Vec::new());
        let out = Output { writer: &mut writer, direct: None, label: Path::new("t") };
        write_items(files, &Progress::hidden(), done_rx, back_tx, out).unwrap();
        let bytes = writer.finish().unwrap();
        let names: Vec<&[u8]> = bytes.chunks(BLOCK).take(3).map(|b| &b[..2]).collect();
        assert_eq!(names, [b"m0", b"m1", b"m2"]);
        assert_eq!(back_rx.try_iter().count(), 3, "every batch goes back to the walk");
    }
}
