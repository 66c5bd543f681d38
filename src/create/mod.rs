/*!
`captar create`: walk the named paths (never following symlinks), read each file through one
open fd (data, xattrs and the capability from the same inode), and stream pax members. A file
archive is written under a temporary name beside it and renamed into place only when complete,
so a failed run never leaves a truncated archive under the final name.

`walker` walks (its own thread), `files` reads each entry (a reader thread per core),
`pipeline` runs the threads and writes the batches in order, `archive` says where they go
(a new file, standard output, an archive added to), `names` makes member names from paths.
*/

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use rustix::fs::Stat;

use crate::error::{Error, Outcome, Report, Result};
use crate::format::{BLOCK, EntryMeta, Time};
use crate::progress::Progress;

mod archive;
mod batch;
mod concat;
mod files;
pub mod incremental;
mod mode;
pub(crate) mod names;
mod options;
mod pipeline;
mod remove;
pub(crate) mod sparse;
mod tags;
mod tree;
mod walker;

pub(crate) use archive::refuse_data_after_end;
use archive::{Adding, Skip, first_nonzero, members_end, open_to_add, write_archive};
pub use concat::concatenate;
pub use mode::ModeChanges;
pub use options::{CreateOptions, ListedIncremental, Named, Newer, Stamp, Target};
pub use tags::{CACHEDIR_TAG, ExclusionTag, TagScope};
pub(crate) use tree::open_noatime;

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
    /// modification times each is archived with.
    archived: HashMap<Vec<u8>, Archived>,
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
    /// Capabilities `--xattrs-exclude` left out (said at the end, as on extract).
    excluded_caps: std::sync::atomic::AtomicU64,
    /// Files with xattrs or ACLs besides the capability (and the SELinux label) that no option
    /// asked for, as their name lists, read for the capability, show (`xattr::read_caps`).
    uncaptured: std::sync::atomic::AtomicU64,
}

/// One member ready to be written.
struct Item {
    meta: EntryMeta,
    body: Body,
    /// The file on disk, for messages.
    path: PathBuf,
    /// The name `-v` shows when it is not the member's, without `--show-transformed-names`:
    /// the name before `--transform`, a path named with a leading `/` or `..` as given.
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

/// After EOVERFLOW's explanation in a user namespace.
const EOVERFLOW_ADVICE: &str = "run captar in the namespace that set it, or in the initial namespace";
const EINVAL_MSG: &str = "without its capability: the security.capability value stored is malformed, one the \
     kernel does not read back (a revision-1 value, which it still applies when the file is run, or a \
     truncated, overlong or unknown-revision one: EINVAL); set it again with setcap, or remove it with setcap -r";

/// Files up to this size are read by the walking thread.
const INLINE_MAX: u64 = 1 << 20;
/// Batches of members queued between the walk and the writer (see `batch`).
const QUEUE: usize = 4;

/// Says how many files hold xattrs or ACLs that no option asked to capture (`made`: what
/// becomes of the files, `archived` or copy's `copied`), as extract says of those it does not
/// restore: GNU tar leaves them out in silence too, but bsdtar and `cp -a` keep them (found by
/// audit).
fn note_uncaptured(report: &Report, count: u64, made: &str) {
    let files = match count {
        0 => return,
        1 => "1 file holds".to_string(),
        n => format!("{n} files hold"),
    };
    let (verb, peers) = match made {
        "copied" => ("copy", "cp -a copies them"),
        _ => ("archive", "GNU tar archives them only so too; bsdtar archives them"),
    };
    report.note(format!(
        "{files} xattrs or ACLs besides capabilities, not {made}: pass --xattrs, and --acls, to {verb} them ({peers})"
    ));
}

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
            "create: cowardly refusing to create an empty archive (GNU tar's words); name at least one path to archive (e.g. `captar create -f a.tar /usr/bin`, or `captar -cf a.tar /usr/bin`)".into(),
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
        // O_PATH: a directory that may be searched but not read (0711) serves, as GNU tar's
        // chdir takes it.
        let opened = crate::extract::beneath::open_searchable(dir);
        if let Err(e) = opened {
            // The advice the error calls for (found by audit: "name an existing directory" for
            // one that exists and may not be searched).
            let what = match e {
                rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR => "; name an existing directory",
                rustix::io::Errno::ACCESS => " (run as root, or as a user allowed to search it)",
                _ => "",
            };
            return Err(Error::entry(
                dir,
                format!("cannot change to this directory (-C): {}{what}", crate::error::os_text(&io::Error::from(e))),
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
        skip_inodes: opts.not_into.map(|id| (id, archive::Skip::Destination)).into_iter().collect(),
        warned_absolute: std::collections::HashSet::new(),
        archived: HashMap::new(),
        incremental,
        dumpdir: None,
    };
    let result = write_archive(opts, &mut walker, &progress);
    progress.finish();
    result?;
    let excluded = run.excluded_caps.load(std::sync::atomic::Ordering::Relaxed);
    if let Some(were) = opts.excluded_caps_were {
        crate::xattr::note_excluded_caps(report, excluded, were);
    }
    if opts.note_uncaptured {
        note_uncaptured(report, run.uncaptured.load(std::sync::atomic::Ordering::Relaxed), opts.made);
    }
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

/// `update`: the latest times a name is archived with, as GNU tar's -u compares each member
/// (`tar_timespec_cmp`): to the nanosecond for a member with a pax extended header, in whole
/// seconds for one without (ustar, GNU's format), whatever its time's fraction (found by review:
/// a pax member of a whole-second time was compared in whole seconds, so a file changed within
/// that second, a capped one too, was not added again).
///
/// And the capability of the name's last member, which extraction restores: a file whose
/// capability changed since (`setcap` changes its ctime, not its mtime) is added again
/// (`caps_differ`), where GNU tar's -u leaves the archive with the old one.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Archived {
    precise: Option<Time>,
    seconds: Option<i64>,
    caps: ArchivedCaps,
}

/// The capability a name's last member gives its file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ArchivedCaps {
    #[default]
    None,
    Some(crate::caps::FileCaps),
    /// A value that does not decode: nothing to compare with.
    Unreadable,
}

impl ArchivedCaps {
    /// The capability member `meta` carries; `target`, for a hard link that carries none, is
    /// what its target's member gave (a link's file is its target's).
    pub(crate) fn of(meta: &crate::format::EntryMeta, target: Option<ArchivedCaps>) -> ArchivedCaps {
        match meta.caps_raw() {
            Some(raw) => crate::caps::FileCaps::decode(raw).map_or(ArchivedCaps::Unreadable, ArchivedCaps::Some),
            None => target.unwrap_or(ArchivedCaps::None),
        }
    }
}

impl Archived {
    pub(crate) fn add(&mut self, meta: &crate::format::EntryMeta, caps: ArchivedCaps) {
        if meta.pax_header {
            self.precise = Some(self.precise.map_or(meta.mtime, |t| t.max(meta.mtime)));
        } else {
            self.seconds = Some(self.seconds.map_or(meta.mtime.secs, |s| s.max(meta.mtime.secs)));
        }
        self.caps = caps;
    }

    pub(crate) fn caps(&self) -> ArchivedCaps {
        self.caps
    }

    /// Whether a member holds a file of modification time `mtime` as new or newer.
    pub(crate) fn holds(&self, mtime: Time) -> bool {
        self.precise.is_some_and(|t| mtime <= t) || self.seconds.is_some_and(|s| mtime.secs <= s)
    }
}
