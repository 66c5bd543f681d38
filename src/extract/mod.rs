/*!
`captar extract`: restore members beneath the destination, in the order the kernel demands so
no capability is lost: create → write all data → fchown → fchmod (setuid back) → other xattrs →
`security.capability` LAST → futimens, all on the fd of the file just created (chown and writes
clear the capability: security/commoncap.c). A regular file is written as an unnamed inode
(O_TMPFILE) and linked under its name only complete, with its capability already set.
Directories get their metadata after their contents.

The pieces, in the order a member meets them: `driver` runs the extraction (`extract`: the
archive read in order, small files handed to `pool`'s writing threads, each member's result
settled; a hard link to a file still being written made by `links` once it is done); `names`
says where a member goes; `in_the_way` clears its place first (`backup`,
`unlink`); `member` makes it by its kind beneath `beneath::Dest`, a regular file through `file`,
and `restore` gives it its metadata; `dirs` sets the directories' at the end. `incremental` is
`-G`'s, `stdout` is `-O`'s; `options` is what the CLI asks for. `Run`, one extraction's state,
and `Failure` are defined here so that every piece sees them.
*/

mod atomic;
pub mod backup;
pub(crate) mod beneath;
mod dirs;
mod driver;
mod file;
mod in_the_way;
mod incremental;
pub(crate) use incremental::listed_names;
mod links;
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
use names::members_of;
pub(crate) use names::{beneath_top_level, strip, strip_member}; // `stdout` and verify use them from here
pub use options::{Existing, ExtractOptions, RootidPolicy};
use pool::Pool;
use restore::{CapFailure, Restorer};
pub(crate) use restore::{archive_ids, setid_not_owned};

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
    /// Whether "removing leading '/' from hard link targets" was said.
    warned_link_root: bool,
    members: Members<'a>,
    cap_failures: Vec<CapFailure>,
    /// The capabilities of files left out of this extraction (not selected, excluded), by
    /// the name it would have been extracted as, with its name as archived: a hard link to
    /// one, made to whatever is on disk under that name, is checked against it, as a GNU tar
    /// archive's link carries none of its own.
    left_out_caps: HashMap<PathBuf, (Vec<u8>, PathBuf)>,
    /// The names whose file on disk was kept (`-k`, `--skip-old-files`, `--keep-newer-files`),
    /// with the capability the archive gives each (if any): a hard link to one is not checked
    /// against the archive's capability when made, as asked (a bsdtar link's own capability
    /// stopped the extraction there); a link kept too is checked against it.
    kept: HashMap<PathBuf, Option<Vec<u8>>>,
    /// Members kept as the file there (`--skip-old-files`, `--keep-newer-files`) whose file
    /// lacks the capability the archive gives them: their lines in the closing note.
    kept_caps: Vec<String>,
    /// `--backup`: each member's file renamed to its backup name (by the member's name): its
    /// parent and both names, until the member is done (renamed back if it failed).
    backed_up: HashMap<PathBuf, BackedUp>,
    /// Hard links not made as the file they waited for stopped the extraction (`links_to`):
    /// counted with the members not reached.
    let_go: u64,
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
    /// The member is there, but not quite as the archive has it: a warning of that kind.
    Warn(crate::error::Warning, Error),
}

/// A directory that is not empty where a member goes (a rename or link onto it failed): the
/// advice is added by `Run::explain`, as extract's and copy's differ.
#[derive(Debug)]
struct DirInTheWay;

impl std::fmt::Display for DirInTheWay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a directory that is not empty has that name")
    }
}

impl std::error::Error for DirInTheWay {}

fn dir_in_the_way() -> io::Error {
    io::Error::other(DirInTheWay)
}

fn classify(path: &Path, op: &'static str, e: io::Error) -> Failure {
    if is_fatal(&e) { Failure::Stop(Error::io(path, op, e)) } else { Failure::Member(Error::io(path, op, e)) }
}
