/*!
The arguments of the commands that write an archive: create (and append and update, which take
create's), concatenate and delete.
*/

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;

use super::{NameArgs, SelectArgs, XattrArgs};

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Archive to write; `-` for standard output
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE", allow_hyphen_values = true)]
    pub(super) file: PathBuf,
    /// Change to DIR before reading the paths after it (repeatable: a relative DIR is relative
    /// to the one before, as tar's -C)
    #[arg(short = 'C', long = "directory", value_name = "DIR", allow_hyphen_values = true)]
    pub(super) directory: Vec<PathBuf>,
    #[command(flatten)]
    pub(super) xattrs: XattrArgs,
    /// Compress with gzip (parallel blocks, one standard stream)
    #[arg(short = 'z', long, group = "compressor")]
    pub(super) gzip: bool,
    /// Compress with zstd, on all cores
    #[arg(long, group = "compressor")]
    pub(super) zstd: bool,
    /// Compress with xz, on all cores
    #[arg(short = 'J', long, group = "compressor")]
    pub(super) xz: bool,
    /// Compress with bzip2
    #[arg(short = 'j', long, group = "compressor")]
    pub(super) bzip2: bool,
    /// Compress with lzma (the legacy .lzma format, as GNU tar's --lzma)
    #[arg(long, group = "compressor")]
    pub(super) lzma: bool,
    /// Compress with lzip, on all cores (one lzip member per block, as plzip writes)
    #[arg(long, group = "compressor")]
    pub(super) lzip: bool,
    /// Leave the archive's name out of it: `a.tar.gz` is written uncompressed unless a
    /// compression option is given (GNU tar's default; captar otherwise compresses by the name,
    /// as GNU tar's -a)
    #[arg(long)]
    pub(super) no_auto_compress: bool,
    /// Compression level: gzip and bzip2 1-9, xz, lzma and lzip 0-9, zstd 1-19 (only with
    /// compression; zstd without it is level 3 with smaller match tables, faster)
    #[arg(long, value_name = "N")]
    pub(super) level: Option<i32>,
    /// The compression level, as --level, spelt so that it is one beside -g (where GNU tar's
    /// --level is the dump level: --dump-level)
    #[arg(long, value_name = "N", conflicts_with = "level")]
    pub(super) compression_level: Option<i32>,
    #[command(flatten)]
    pub(super) names: NameArgs,
    /// Write TEXT as the archive's volume label, first in it, as GNU tar's -V (a pax global
    /// header's GNU.volume.label): list shows it, --label GLOB checks it when reading
    #[arg(long, value_name = "TEXT")]
    pub(super) label: Option<String>,
    /// Stay on the filesystem of each named path
    #[arg(long)]
    pub(super) one_file_system: bool,
    /// Archive a named directory as an entry, without its contents, as tar's --no-recursion
    /// (for lists from find: `find ... -print0 | captar create --no-recursion --null -T -`)
    #[arg(long)]
    pub(super) no_recursion: bool,
    /// Record NAME (a user name, NAME:UID, or a uid) as every member's owner, as tar's --owner
    #[arg(long, value_name = "NAME")]
    pub(super) owner: Option<String>,
    /// Record NAME (a group name, NAME:GID, or a gid) as every member's group, as tar's --group
    #[arg(long, value_name = "NAME")]
    pub(super) group: Option<String>,
    /// Record uids and gids only, no user or group names
    #[arg(long)]
    pub(super) numeric_owner: bool,
    /// Record DATE as every member's modification time: @SECONDS, YYYY-MM-DD[THH:MM[:SS]] (local
    /// time unless it ends in Z or an offset), or the path of a file, starting with / or . (its
    /// mtime: ./stamp), as tar's --mtime
    #[arg(long, value_name = "DATE")]
    pub(super) mtime: Option<std::ffi::OsString>,
    /// With --mtime, only members newer than DATE get it
    #[arg(long, requires = "mtime")]
    pub(super) clamp_mtime: bool,
    /// Record each member's mode changed by CHANGES, as chmod changes a mode (`go-w`,
    /// `u+rwX,go=rX`, `0644`), as tar's --mode; the files are not changed
    #[arg(long, value_name = "CHANGES", allow_hyphen_values = true)]
    pub(super) mode: Option<String>,
    /// Leave out files modified before DATE (directories are kept), as tar's --newer-mtime;
    /// DATE as for --mtime
    #[arg(long, value_name = "DATE", conflicts_with = "newer")]
    pub(super) newer_mtime: Option<std::ffi::OsString>,
    /// Leave out files modified and changed (ctime) before DATE, as tar's --newer / -N
    #[arg(short = 'N', long, visible_alias = "after-date", value_name = "DATE")]
    pub(super) newer: Option<std::ffi::OsString>,
    /// Follow symlinks: archive what they lead to (data, metadata, capability) under their
    /// names, as GNU tar's -h (a directory reached again through a symlink loop is not entered)
    #[arg(long)]
    pub(super) dereference: bool,
    /// Leave files' and directories' access times as they were (captar reads with O_NOATIME
    /// anyway, where the kernel allows: as owner or root); with this option, a file whose atime
    /// may change (not its owner, no CAP_FOWNER) is named in a warning. METHOD: replace or system
    /// (GNU tar's; both are O_NOATIME here, which leaves ctime alone)
    #[arg(long, value_name = "METHOD", num_args = 0..=1, require_equals = true, default_missing_value = "replace", value_parser = ["replace", "system"])]
    pub(super) atime_preserve: Option<String>,
    /// Archive every name of a file with several names whole, not as hard links to the first,
    /// as GNU tar's --hard-dereference
    #[arg(long)]
    pub(super) hard_dereference: bool,
    /// Remove the files archived once the archive is complete and on disk, each only if
    /// unchanged since (directories when emptied), as GNU tar's --remove-files (which removes
    /// each file as soon as it is written)
    #[arg(long)]
    pub(super) remove_files: bool,
    /// A path that cannot be read (missing, or permission denied) is a warning that leaves
    /// the exit status alone, not an error, as GNU tar's --ignore-failed-read
    #[arg(long)]
    pub(super) ignore_failed_read: bool,
    /// Archive a directory holding a cache directory tag (a CACHEDIR.TAG file with its
    /// signature) with that file only, as GNU tar's --exclude-caches
    #[arg(long)]
    pub(super) exclude_caches: bool,
    /// Archive a directory holding a cache directory tag without its contents
    #[arg(long)]
    pub(super) exclude_caches_under: bool,
    /// Leave out a directory holding a cache directory tag
    #[arg(long)]
    pub(super) exclude_caches_all: bool,
    /// Archive a directory holding a file named FILE with that file only, as GNU tar's
    /// --exclude-tag; repeatable
    #[arg(long, value_name = "FILE")]
    pub(super) exclude_tag: Vec<OsString>,
    /// Archive a directory holding a file named FILE without its contents; repeatable
    #[arg(long, value_name = "FILE")]
    pub(super) exclude_tag_under: Vec<OsString>,
    /// Leave out a directory holding a file named FILE; repeatable
    #[arg(long, value_name = "FILE")]
    pub(super) exclude_tag_all: Vec<OsString>,
    /// Archive files with holes as their data runs (GNU sparse format 1.0), as tar's -S
    #[arg(short = 'S', long)]
    pub(super) sparse: bool,
    /// A listed-incremental dump, as GNU tar's -g: only what changed since the dump SNAPSHOT
    /// describes (missing: a full dump), each directory with its listing; SNAPSHOT is replaced
    /// once the archive is complete. GNU tar continues the chain, and captar GNU tar's
    #[arg(short = 'g', long, value_name = "SNAPSHOT", conflicts_with_all = ["newer", "newer_mtime"])]
    pub(super) listed_incremental: Option<PathBuf>,
    /// With -g: 0 makes a full dump whatever SNAPSHOT holds, as GNU tar's --level=0 (other
    /// levels change nothing, as in GNU tar)
    #[arg(long, value_name = "N", requires = "listed_incremental")]
    pub(super) dump_level: Option<u32>,
    /// With -g: a directory is the one the snapshot knows when its inode is, whatever its
    /// device number (NFS, LVM snapshots), as GNU tar's --no-check-device
    #[arg(long, requires = "listed_incremental", overrides_with = "check_device")]
    pub(super) no_check_device: bool,
    /// With -g: a directory of another device number is another directory (the default), as
    /// GNU tar's --check-device
    #[arg(long, requires = "listed_incremental", overrides_with = "no_check_device")]
    check_device: bool,
    /// Member order within each directory: name (captar's default), inode (as GNU tar's: fewer
    /// seeks on a spinning disk), or none (accepted: by name)
    #[arg(long, value_name = "ORDER", value_parser = ["name", "none", "inode"])]
    pub(super) sort: Option<String>,
    /// List each file as it is archived (on stdout; on stderr when the archive goes to stdout)
    #[arg(short, long)]
    pub(super) verbose: bool,
    /// Read the archive back once written and compare it with the files, as `verify --all`
    /// (capabilities, contents and all metadata), as GNU tar's -W; differences exit 1
    #[arg(short = 'W', long)]
    pub(super) verify: bool,
    /// Files and directories to archive
    #[arg(value_name = "PATH")]
    pub(super) paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ConcatArgs {
    /// The uncompressed archive to add to
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE", allow_hyphen_values = true)]
    pub(super) file: PathBuf,
    /// Uncompressed archives whose members are added, in order
    #[arg(value_name = "ARCHIVE", required = true)]
    pub(super) archives: Vec<PathBuf>,
    /// Read each archive to add past its end-of-archive markers (archives joined in one file,
    /// `cat a.tar b.tar`) and add all their members, without the markers between them, as GNU
    /// tar's -iA
    #[arg(short = 'i', long)]
    pub(super) ignore_zeros: bool,
}

/// `-i` (delete refuses an archive with data after its end marker) and the renaming options
/// (members are matched by their names as archived, as GNU tar's --delete matches them) are
/// taken, as GNU tar takes them, and left out of the help: they change nothing here.
#[derive(Debug, Args)]
#[command(
    mut_arg("ignore_zeros", |a| a.hide(true)),
    mut_arg("transform", |a| a.hide(true)),
    mut_arg("show_transformed_names", |a| a.hide(true))
)]
pub struct DeleteArgs {
    /// The uncompressed archive to take members out of
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE", allow_hyphen_values = true)]
    pub(super) file: PathBuf,
    /// List each member taken out
    #[arg(short, long)]
    pub(super) verbose: bool,
    #[command(flatten)]
    pub(super) select: SelectArgs,
}
