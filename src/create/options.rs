/*!
What `captar create` is asked to do: where the archive goes, what it holds (the paths named,
each in its `-C` directory, and GNU tar's `--newer` selection), and what its members record in
place of the files' own (GNU tar's `--owner`, `--group`, `--numeric-owner`, `--mtime`).
*/

use std::io;
use std::path::PathBuf;

use rustix::fs::Stat;

use crate::format::Time;
use crate::format::compress::Compression;
use crate::select::{Excludes, XattrPolicy};

/// Where the archive goes.
#[derive(Debug)]
pub enum Target {
    Stdout,
    File(PathBuf),
    /// The write end of a pipe (`captar copy`); taken and closed when the archive is done.
    Pipe(std::sync::Mutex<Option<io::PipeWriter>>),
    /// An uncompressed archive file the members are added to (tar's -r); made when missing.
    Append(PathBuf),
}

#[derive(Debug)]
pub struct CreateOptions {
    pub target: Target,
    /// `--label`: the volume label written first (see `writer::encode_label`).
    pub label: Option<String>,
    /// What to archive, each path with the directory it is looked up in (`-C`).
    pub paths: Vec<Named>,
    /// No paths make an empty archive instead of an error (they came from an empty `-T` list).
    pub empty_ok: bool,
    pub xattrs: XattrPolicy,
    pub compression: Compression,
    pub level: Option<i32>,
    /// xz's and lzma's extreme presets (`XZ_OPT=-9e`).
    pub extreme: bool,
    pub excludes: Excludes,
    /// Directories archived in part or left out by a file they hold (`--exclude-tag`,
    /// `--exclude-caches` and their forms), the first that a directory holds deciding.
    pub tags: Vec<super::ExclusionTag>,
    /// A path that cannot be looked at, opened or listed is a note, not an error (GNU tar's
    /// `--ignore-failed-read`).
    pub ignore_failed_read: bool,
    /// Symlinks are followed: what they lead to is archived under their names (GNU tar's `-h`).
    /// `--sort=inode`: each directory's entries in inode order (GNU tar's, for fewer seeks on a
    /// disk that has to), instead of by name.
    pub by_inode: bool,
    pub dereference: bool,
    /// `--atime-preserve`: files and directories are read without changing their access
    /// times (as always where the kernel allows), and where it does not, a warning says so.
    pub atime_preserve: bool,
    /// `--checkpoint`: actions every N records written.
    pub checkpoints: std::option::Option<std::sync::Arc<crate::checkpoint::Checkpoints>>,
    /// The archive ends on a multiple of this many bytes (GNU tar's `--record-size`, 512 times
    /// `--blocking-factor`).
    pub record: u64,
    /// Every name of a file of several is archived whole, not as a hard link (GNU tar's
    /// `--hard-dereference`).
    pub hard_dereference: bool,
    /// What was archived whole is removed once the archive is complete and on disk (GNU
    /// tar's `--remove-files`, made safe: see `remove`).
    pub remove_files: bool,
    /// With `Target::Append`: only what the archive lacks, or holds an older copy of (by
    /// modification time), is added (GNU tar's `-u`), and a file whose capability differs
    /// from its last member's.
    pub update: bool,
    /// Member names and link targets as `--transform` makes them.
    pub transforms: crate::transform::Transforms,
    pub one_file_system: bool,
    /// Archive what is beneath a named directory (tar's default; `--no-recursion` turns it off).
    pub recursive: bool,
    pub verbose: bool,
    /// What capabilities an `--xattrs-exclude` left out became, in the note that says how many
    /// (`left out of the archive`); `None`: said by someone else (copy's second pass).
    pub excluded_caps_were: Option<&'static str>,
    /// What becomes of a file whose capability cannot be read, in the error that says so
    /// (`archived`; copy's `copied`).
    pub made: &'static str,
    /// Say how many files hold xattrs or ACLs no option asked for (worded after `made`); not
    /// after `--no-xattrs`, `--no-acls` or `--no-selinux`, nor in copy's second pass.
    pub note_uncaptured: bool,
    /// Draw a progress bar on stderr (the CLI decides: a terminal, no -q).
    pub progress: bool,
    /// Copy's destination (device and inode), which the walk must not enter: reached, through
    /// a mount inside the source, it is an error and left out, as cp -a leaves it.
    pub not_into: Option<(u64, u64)>,
    /// Only files changed since then (`--newer`, `--newer-mtime`).
    pub newer: Option<Newer>,
    /// Files with holes as their data runs (`--sparse`, GNU tar's `-S`).
    pub sparse: bool,
    /// A listed-incremental dump (GNU tar's `-g SNAPSHOT`): see `incremental`.
    pub listed_incremental: Option<ListedIncremental>,
    /// What every member records instead of what the files have: GNU tar's --owner, --group,
    /// --numeric-owner, --mtime (and --clamp-mtime), for reproducible archives.
    pub stamp: Stamp,
}

impl CreateOptions {
    /// Archive `paths` into `target` with capabilities and nothing else asked for: no
    /// compression, exclusion, renaming or stamp, recursive, quiet.
    pub fn new(target: Target, paths: Vec<Named>) -> CreateOptions {
        CreateOptions {
            label: None,
            target,
            paths,
            empty_ok: false,
            xattrs: XattrPolicy::caps_only(),
            compression: Compression::None,
            level: None,
            extreme: false,
            excludes: Excludes::new(&[]).expect("no patterns"),
            tags: Vec::new(),
            ignore_failed_read: false,
            by_inode: false,
            dereference: false,
            atime_preserve: false,
            checkpoints: None,
            record: crate::format::writer::RECORD,
            hard_dereference: false,
            remove_files: false,
            update: false,
            transforms: Default::default(),
            one_file_system: false,
            recursive: true,
            newer: None,
            sparse: false,
            listed_incremental: None,
            stamp: Stamp::default(),
            verbose: false,
            excluded_caps_were: Some("left out of the archive"),
            made: "archived",
            note_uncaptured: false,
            progress: false,
            not_into: None,
        }
    }
}

/// GNU tar's `--listed-incremental=SNAPSHOT` (`-g`), `--level=0` and `--no-check-device`.
#[derive(Debug, Clone)]
pub struct ListedIncremental {
    /// The snapshot file read (when there) and replaced once the archive is complete.
    pub snapshot: PathBuf,
    /// A full dump, whatever the snapshot holds (`--level=0`).
    pub level0: bool,
    /// A directory of another device number is another directory (off: inodes only).
    pub check_device: bool,
}

/// GNU tar's `--newer-mtime DATE` (files modified before DATE are left out) and `--newer DATE`
/// (left out when both their modification and their status change are before it).
#[derive(Debug, Clone, Copy)]
pub struct Newer {
    pub date: Time,
    /// `--newer`: the status change time (ctime) counts too.
    pub ctime: bool,
}

impl Newer {
    #[allow(clippy::unnecessary_cast)] // i64 on some architectures, c_long on others
    pub(super) fn leaves_out(self, st: &Stat) -> bool {
        let before = |secs: i64, nsecs: i64| (secs, nsecs as u32) < (self.date.secs, self.date.nsecs);
        before(st.st_mtime as i64, st.st_mtime_nsec as i64)
            && (!self.ctime || before(st.st_ctime as i64, st.st_ctime_nsec as i64))
    }
}

/// Owner and time written in every member in place of the files' own (`Stamp::default()`:
/// the files' own).
#[derive(Debug, Clone, Default)]
pub struct Stamp {
    /// uid and user name (`None`: no name recorded).
    pub owner: Option<(u32, Option<Vec<u8>>)>,
    pub group: Option<(u32, Option<Vec<u8>>)>,
    /// No user or group names, only ids (`--numeric-owner`).
    pub numeric: bool,
    pub mtime: Option<Time>,
    /// Only members newer than `mtime` get it (`--clamp-mtime`).
    pub clamp: bool,
    /// The mode recorded, changed as chmod would change it (`--mode`).
    pub mode: Option<super::ModeChanges>,
}

/// A path named to archive, and the directory it is named in: the `-C` before it (tar's `-C`
/// applies to the paths after it; a relative one is relative to the one before), or none (the
/// current directory).
#[derive(Debug, Clone)]
pub struct Named {
    pub dir: PathBuf,
    pub path: PathBuf,
}

impl Named {
    /// A path named in the current directory.
    pub fn here(path: impl Into<PathBuf>) -> Named {
        Named { dir: PathBuf::new(), path: path.into() }
    }

    /// Where the walk finds it.
    pub(super) fn fs_path(&self) -> PathBuf {
        self.dir.join(&self.path)
    }

    /// The directory its member names are relative to: `-C`'s directory with what the member
    /// name leaves out of the path (a leading `/`, everything up to the last `..`; see
    /// `member_name`): `/` for `/usr/bin`, `../a` under `-C d` for `../a/b`... `d/../a`.
    pub fn member_root(&self) -> PathBuf {
        use std::path::Component;
        let parts: Vec<Component<'_>> = self.path.components().collect();
        let cut = parts
            .iter()
            .rposition(|c| matches!(c, Component::RootDir | Component::Prefix(_) | Component::ParentDir))
            .map_or(0, |i| i + 1);
        let mut root = self.dir.clone();
        root.extend(&parts[..cut]);
        if root.as_os_str().is_empty() { PathBuf::from(".") } else { root }
    }
}
