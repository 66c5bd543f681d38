/*!
The command line: the only code that knows clap. Arguments become a validated options struct of
the operation before any work starts; the operations never see clap.
*/

pub mod caps;
mod man;
mod tarstyle;
mod usage;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::copy::CopyOptions;
use crate::create::{
    CACHEDIR_TAG, CreateOptions, ExclusionTag, ListedIncremental, ModeChanges, Named, Newer, Stamp, TagScope, Target,
};
use crate::error::{Error, Outcome, Report, Result};
use crate::extract::{Existing, ExtractOptions, RootidPolicy};
use crate::format::compress::Compression;
use crate::format::{Time, acl};
use crate::list::ListOptions;
use crate::owners;
use crate::select::{BACKUP_GLOBS, EXTRACT_DEFAULT_INCLUDE, Excludes, Selection, VCS_NAMES, XattrPolicy};
use crate::transform::Transforms;
use crate::verify::{Source, VerifyOptions};

#[derive(Debug, Parser)]
#[command(
    name = "captar",
    version,
    // A flag given twice is the flag, as in tar (`tar -itf a.tar -i`).
    args_override_self = true,
    about = "A tar-compatible archiver that keeps Linux file capabilities",
    after_help = "Examples:
  captar create -f backup.tar.zst /usr/bin        archive with capabilities (zstd from the name)
  captar list --caps -f backup.tar.zst            members and their capabilities
  sudo captar extract -f backup.tar.zst -C /mnt   restore, capabilities included
  captar verify -f backup.tar.zst -C /mnt         prove the restore kept every capability
  captar -czf out.tar.gz DIR; captar -xvf a.tar -C dst; captar -tvf a.tar; captar -df a.tar
  captar caps scan -n /usr                         like getcap -n -r

Exit status: 0 ok; 1 differences (verify) or warnings (files changed while read, xattrs left out); 2 errors."
)]
pub struct Cli {
    /// Print only errors: no notes, warnings or progress (the exit code still counts them)
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When the work is done, print on stderr the archive bytes written or read (uncompressed;
    /// whole records when reading), as GNU tar's --totals: `Total bytes written: N (SIZE, RATE/s)`
    #[arg(long, global = true)]
    pub totals: bool,
    /// Run the checkpoint actions every N records (10 KiB) of the archive written or read
    /// (default 10), as GNU tar's --checkpoint; `.N` adds the dot action; no progress bar then
    #[arg(long, global = true, value_name = "[.]N", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub checkpoint: Option<String>,
    /// What a checkpoint does, as GNU tar's: dot, bell, echo[=FORMAT], ttyout=FORMAT,
    /// sleep=SECONDS, exec=COMMAND, totals (FORMAT: %s %u %d %T %t %* %c, see the README);
    /// repeatable, run in order; given alone, checkpoints every 10 records
    #[arg(long, global = true, value_name = "ACTION")]
    pub checkpoint_action: Vec<String>,
    /// Silence one kind of warning, as GNU tar's --warning: no-KEYWORD silences it, KEYWORD
    /// brings it back, none/all for every kind; repeatable, taken in order. captar's kinds:
    /// file-changed, file-shrank, file-removed, failed-read, cachedir, ignore-archive,
    /// file-ignored, ignore-newer, rename-directory (GNU tar's other keywords are accepted).
    /// A silenced warning
    /// still counts in the exit status
    #[arg(long, global = true, value_name = "KEYWORD")]
    pub warning: Vec<String>,
    /// Records of N blocks of 512 bytes, as GNU tar's -b: an archive written ends on a whole
    /// record (20 by default: 10 KiB); --totals and --checkpoint count records of this size
    #[arg(short = 'b', long, global = true, value_name = "N", overrides_with = "record_size")]
    pub blocking_factor: Option<String>,
    /// Records of SIZE bytes, a multiple of 512 (suffixes b, k, M, G), as GNU tar's
    /// --record-size; -b N is --record-size=N*512
    #[arg(long, global = true, value_name = "SIZE", overrides_with = "blocking_factor")]
    pub record_size: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a pax archive; file capabilities are captured by default
    #[command(
        visible_alias = "c",
        after_help = "Examples:
  captar create -f backup.tar.zst /usr/bin       capabilities captured; zstd from the name
  captar create -f root.tar -C /srv/root .       the contents of /srv/root
  captar create --zstd --level 9 -f - /opt       to standard output
  captar create --xattrs -f all.tar /data        every xattr, not only capabilities
  find /opt -newer stamp -print0 | captar create --no-recursion --null -T - -f new.tar"
    )]
    Create(CreateArgs),
    /// Add members to the end of an uncompressed archive, like tar -r (made when missing)
    #[command(
        visible_alias = "r",
        after_help = "Takes create's options, but the archive must be an uncompressed file: not -f -, and no
compression option or --level.

Examples:
  captar append -f backup.tar /usr/local/bin/tool     added after the archive's members
  captar -rf backup.tar -C /srv new.conf              tar's own command line"
    )]
    Append(CreateArgs),
    /// Add what an uncompressed archive lacks, or holds an older copy of, like tar -u
    #[command(after_help = "Takes create's options, but the archive must be an uncompressed file: not -f -, and no
compression option or --level. A file is added when the archive holds no member of its name, or
only ones with an older modification time.

Examples:
  captar update -f backup.tar /etc                  what changed in /etc since it was archived
  captar -uf backup.tar /etc                        tar's own command line")]
    Update(CreateArgs),
    /// Add the members of other archives to the end of an uncompressed archive, as they are,
    /// like tar -A (made when missing)
    #[command(
        visible_alias = "catenate",
        after_help = "Examples:
  captar concatenate -f all.tar part1.tar part2.tar   part1's then part2's members after all.tar's
  captar -Af all.tar more.tar                         tar's own command line"
    )]
    Concatenate(ConcatArgs),
    /// Take members out of an uncompressed archive, like tar --delete (a new archive is
    /// written beside it and renamed over it)
    #[command(after_help = "Examples:
  captar delete -f backup.tar etc/shadow             that member, every copy of it
  captar delete -f backup.tar --wildcards '*.log'    members the glob matches
  captar --delete -f backup.tar tmp                  tar's own command line: tmp and beneath")]
    Delete(DeleteArgs),
    /// List an archive's members, like tar -t / tar -tv
    #[command(
        visible_alias = "t",
        after_help = "Examples:
  captar list -v -f backup.tar                   like tar -tv
  captar list --caps -f backup.tar usr/bin       capabilities in getcap's text, under usr/bin
  captar list --json --risk -f backup.tar        one JSON object per member, with risk classes
  captar list -f backup.tar --exclude='*.gz'     all but what the pattern matches"
    )]
    List(ListArgs),
    /// Print an archive's volume label, or test it against LABELs, like tar --test-label
    #[command(
        name = "test-label",
        after_help = "Reads only the archive's first header. With no LABEL, prints the label (nothing when there is
none) and exits 0. With LABELs, exits 0 when the label is one of them, else 1 (silently, for
scripts; -v prints the label and says it does not match), as GNU tar's --test-label.

Examples:
  captar test-label -f backup.tar                    the label, if any
  captar test-label -f backup.tar 'Weekly 48'        exit 0 if that is the label
  captar test-label --wildcards -f backup.tar 'Weekly*'
  captar --test-label -f backup.tar                  tar's own command line"
    )]
    TestLabel(TestLabelArgs),
    /// Extract an archive; capabilities are restored by default, and a capability that cannot
    /// be restored is an error
    #[command(
        visible_alias = "x",
        after_help = "Examples:
  sudo captar extract -f backup.tar -C /mnt/root       capabilities restored
  captar extract -f backup.tar.zst -C out usr/bin/ping only some members
  captar extract --keep-going -f backup.tar -C out     go on, list what was not restored
  captar extract --cap-rootid host -f rootless.tar     namespaced (v3) capabilities as v2
  captar extract -O -f backup.tar etc/passwd           a file's data to standard output"
    )]
    Extract(ExtractArgs),
    /// Compare capabilities (and with --all, all metadata) between an archive or a getcap
    /// manifest and the filesystem; exit 1 when anything differs
    #[command(
        visible_alias = "d",
        visible_alias = "diff",
        visible_alias = "compare",
        after_help = "Examples:
  captar verify -f backup.tar.zst -C /           capabilities against the live system
  captar verify --all -f backup.tar -C /mnt      type, mode, owner, contents and xattrs too
  captar verify --manifest caps.txt -C /restored --extra --json   against a `getcap -r` record"
    )]
    Verify(VerifyArgs),
    /// Copy a tree to another place or filesystem with capabilities, owners and links, then
    /// verify the copy (`tar -C SRC -cf - . | tar -C DST -xf -` in one step)
    #[command(after_help = "Examples:
  sudo captar copy /srv/old-root /mnt/new-root             capabilities, owners, links; verified
  sudo captar copy --xattrs --one-file-system / /mnt/xfs   every xattr, one filesystem
  captar copy --no-verify --exclude '*.o' src dst")]
    Copy(CopyArgs),
    /// Print shell completions for SHELL (bash, zsh, fish, elvish, powershell)
    #[command(after_help = "Examples:
  captar completions bash > /etc/bash_completion.d/captar
  captar completions zsh > \"${fpath[1]}/_captar\"")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): every command and option, generated from these definitions
    #[command(after_help = "Examples:
  captar man > /usr/local/share/man/man1/captar.1
  captar man | man -l -")]
    Man,
    /// Decode, scan and audit capabilities (capsh --decode, getcap -r, pscap)
    #[command(after_help = "Examples:
  captar caps decode 00000000a80425fb            like capsh --decode
  captar caps scan -n /usr                       like getcap -n -r
  captar caps procs                              like pscap -a")]
    Caps(caps::CapsArgs),
}

/// Which xattrs travel, as GNU tar's options.
#[derive(Debug, Args)]
pub struct XattrArgs {
    /// Also handle xattrs other than security.capability
    #[arg(long, overrides_with = "no_xattrs")]
    xattrs: bool,
    /// Only xattrs whose name matches GLOB (implies --xattrs); repeatable
    #[arg(long, value_name = "GLOB")]
    xattrs_include: Vec<String>,
    /// Leave out xattrs whose name matches GLOB (implies --xattrs); repeatable
    #[arg(long, value_name = "GLOB")]
    xattrs_exclude: Vec<String>,
    /// No xattrs but security.capability, as without --xattrs (GNU tar's --no-xattrs; cancels
    /// --xattrs, --xattrs-include and --xattrs-exclude given before it; --no-caps leaves the
    /// capabilities out too)
    #[arg(long, overrides_with_all = ["xattrs", "xattrs_include", "xattrs_exclude"])]
    no_xattrs: bool,
    /// Leave file capabilities out, on purpose
    #[arg(long)]
    no_caps: bool,
    /// Also handle POSIX ACLs (the xattrs system.posix_acl_access and system.posix_acl_default;
    /// GNU tar's and bsdtar's SCHILY.acl records are read as them)
    #[arg(long, overrides_with = "no_acls")]
    acls: bool,
    /// Leave POSIX ACLs out (the default; cancels --acls given before it)
    #[arg(long)]
    no_acls: bool,
    /// Also handle SELinux labels (the xattr security.selinux, archived as GNU tar's --selinux
    /// writes it: RHT.security.selinux)
    #[arg(long, overrides_with = "no_selinux")]
    selinux: bool,
    /// Leave SELinux labels out (the default)
    #[arg(long)]
    no_selinux: bool,
}

impl XattrArgs {
    fn policy(&self, default_include: Option<&str>) -> Result<XattrPolicy> {
        let (inc, exc) = (&self.xattrs_include, &self.xattrs_exclude);
        let mut also: Vec<&str> = Vec::new();
        if self.acls {
            also.extend([acl::ACCESS_XATTR, acl::DEFAULT_XATTR]);
        }
        if self.selinux {
            also.push(crate::select::SELINUX_XATTR);
        }
        XattrPolicy::new(!self.no_caps, self.xattrs, inc, exc, default_include, &also)
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Archive to write; `-` for standard output
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE")]
    file: PathBuf,
    /// Change to DIR before reading the paths after it (repeatable: a relative DIR is relative
    /// to the one before, as tar's -C)
    #[arg(short = 'C', long = "directory", value_name = "DIR")]
    directory: Vec<PathBuf>,
    #[command(flatten)]
    xattrs: XattrArgs,
    /// Compress with gzip (parallel blocks, one standard stream)
    #[arg(short = 'z', long, group = "compressor")]
    gzip: bool,
    /// Compress with zstd, on all cores
    #[arg(long, group = "compressor")]
    zstd: bool,
    /// Compress with xz, on all cores
    #[arg(short = 'J', long, group = "compressor")]
    xz: bool,
    /// Compress with bzip2
    #[arg(short = 'j', long, group = "compressor")]
    bzip2: bool,
    /// Compress with lzma (the legacy .lzma format, as GNU tar's --lzma)
    #[arg(long, group = "compressor")]
    lzma: bool,
    /// Leave the archive's name out of it: `a.tar.gz` is written uncompressed unless a
    /// compression option is given (GNU tar's default; captar otherwise compresses by the name,
    /// as GNU tar's -a)
    #[arg(long)]
    no_auto_compress: bool,
    /// Compression level: gzip and bzip2 1-9, xz and lzma 0-9, zstd 1-19 (only with
    /// compression)
    #[arg(long, value_name = "N")]
    level: Option<i32>,
    #[command(flatten)]
    names: NameArgs,
    /// Write TEXT as the archive's volume label, first in it, as GNU tar's -V (a pax global
    /// header's GNU.volume.label): list shows it, --label GLOB checks it when reading
    #[arg(long, value_name = "TEXT")]
    label: Option<String>,
    /// Stay on the filesystem of each named path
    #[arg(long)]
    one_file_system: bool,
    /// Archive a named directory as an entry, without its contents, as tar's --no-recursion
    /// (for lists from find: `find ... -print0 | captar create --no-recursion --null -T -`)
    #[arg(long)]
    no_recursion: bool,
    /// Record NAME (a user name, NAME:UID, or a uid) as every member's owner, as tar's --owner
    #[arg(long, value_name = "NAME")]
    owner: Option<String>,
    /// Record NAME (a group name, NAME:GID, or a gid) as every member's group, as tar's --group
    #[arg(long, value_name = "NAME")]
    group: Option<String>,
    /// Record uids and gids only, no user or group names
    #[arg(long)]
    numeric_owner: bool,
    /// Record DATE as every member's modification time: @SECONDS, YYYY-MM-DD[THH:MM[:SS]] (local
    /// time unless it ends in Z or an offset), or the path of a file, starting with / or . (its
    /// mtime: ./stamp), as tar's --mtime
    #[arg(long, value_name = "DATE")]
    mtime: Option<String>,
    /// With --mtime, only members newer than DATE get it
    #[arg(long, requires = "mtime")]
    clamp_mtime: bool,
    /// Record each member's mode changed by CHANGES, as chmod changes a mode (`go-w`,
    /// `u+rwX,go=rX`, `0644`), as tar's --mode; the files are not changed
    #[arg(long, value_name = "CHANGES", allow_hyphen_values = true)]
    mode: Option<String>,
    /// Leave out files modified before DATE (directories are kept), as tar's --newer-mtime;
    /// DATE as for --mtime
    #[arg(long, value_name = "DATE", conflicts_with = "newer")]
    newer_mtime: Option<String>,
    /// Leave out files modified and changed (ctime) before DATE, as tar's --newer / -N
    #[arg(short = 'N', long, visible_alias = "after-date", value_name = "DATE")]
    newer: Option<String>,
    /// Follow symlinks: archive what they lead to (data, metadata, capability) under their
    /// names, as GNU tar's -h (a directory reached again through a symlink loop is not entered)
    #[arg(long)]
    dereference: bool,
    /// Leave files' and directories' access times as they were (captar reads with O_NOATIME
    /// anyway, where the kernel allows: as owner or root); with this option, a file whose atime
    /// may change (not its owner, no CAP_FOWNER) is named in a warning. METHOD: replace or system
    /// (GNU tar's; both are O_NOATIME here, which leaves ctime alone)
    #[arg(long, value_name = "METHOD", num_args = 0..=1, require_equals = true, default_missing_value = "replace", value_parser = ["replace", "system"])]
    atime_preserve: Option<String>,
    /// Archive every name of a file with several names whole, not as hard links to the first,
    /// as GNU tar's --hard-dereference
    #[arg(long)]
    hard_dereference: bool,
    /// Remove the files archived once the archive is complete and on disk, each only if
    /// unchanged since (directories when emptied), as GNU tar's --remove-files (which removes
    /// each file as soon as it is written)
    #[arg(long)]
    remove_files: bool,
    /// A path that cannot be read (missing, or permission denied) is a warning that leaves
    /// the exit status alone, not an error, as GNU tar's --ignore-failed-read
    #[arg(long)]
    ignore_failed_read: bool,
    /// Archive a directory holding a cache directory tag (a CACHEDIR.TAG file with its
    /// signature) with that file only, as GNU tar's --exclude-caches
    #[arg(long)]
    exclude_caches: bool,
    /// Archive a directory holding a cache directory tag without its contents
    #[arg(long)]
    exclude_caches_under: bool,
    /// Leave out a directory holding a cache directory tag
    #[arg(long)]
    exclude_caches_all: bool,
    /// Archive a directory holding a file named FILE with that file only, as GNU tar's
    /// --exclude-tag; repeatable
    #[arg(long, value_name = "FILE")]
    exclude_tag: Vec<OsString>,
    /// Archive a directory holding a file named FILE without its contents; repeatable
    #[arg(long, value_name = "FILE")]
    exclude_tag_under: Vec<OsString>,
    /// Leave out a directory holding a file named FILE; repeatable
    #[arg(long, value_name = "FILE")]
    exclude_tag_all: Vec<OsString>,
    /// Archive files with holes as their data runs (GNU sparse format 1.0), as tar's -S
    #[arg(short = 'S', long)]
    sparse: bool,
    /// A listed-incremental dump, as GNU tar's -g: only what changed since the dump SNAPSHOT
    /// describes (missing: a full dump), each directory with its listing; SNAPSHOT is replaced
    /// once the archive is complete. GNU tar continues the chain, and captar GNU tar's
    #[arg(short = 'g', long, value_name = "SNAPSHOT", conflicts_with_all = ["newer", "newer_mtime"])]
    listed_incremental: Option<PathBuf>,
    /// With -g: 0 makes a full dump whatever SNAPSHOT holds, as GNU tar's --level=0 (other
    /// levels change nothing, as in GNU tar)
    #[arg(long, value_name = "N", requires = "listed_incremental")]
    dump_level: Option<u32>,
    /// With -g: a directory is the one the snapshot knows when its inode is, whatever its
    /// device number (NFS, LVM snapshots), as GNU tar's --no-check-device
    #[arg(long, requires = "listed_incremental", overrides_with = "check_device")]
    no_check_device: bool,
    /// With -g: a directory of another device number is another directory (the default), as
    /// GNU tar's --check-device
    #[arg(long, requires = "listed_incremental", overrides_with = "no_check_device")]
    check_device: bool,
    /// Member order: name (captar's, always) or none (accepted: captar's order is by name)
    #[arg(long, value_name = "ORDER", value_parser = ["name", "none"])]
    sort: Option<String>,
    /// List each file as it is archived (on stdout; on stderr when the archive goes to stdout)
    #[arg(short, long)]
    verbose: bool,
    /// Read the archive back once written and compare it with the files, as `verify --all`
    /// (capabilities, contents and all metadata), as GNU tar's -W; differences exit 1
    #[arg(short = 'W', long)]
    verify: bool,
    /// Files and directories to archive
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// The options that name what to take or leave out, for create and for reading: `--exclude`,
/// `-X`, `--wildcards`, `-T` and `--null`, read as GNU tar reads them.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// Leave out what GLOB matches: a name, any tail of it after a `/`, or a leading directory
    /// of it (GNU tar's --exclude); repeatable
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Leave out what the patterns in FILE match, one per line, as --exclude (tar's -X)
    #[arg(short = 'X', long, value_name = "FILE")]
    exclude_from: Vec<PathBuf>,
    /// Leave out version control files and directories (.git, .gitignore, .svn, CVS, .hg and
    /// others: GNU tar's list), as GNU tar's --exclude-vcs
    #[arg(long)]
    exclude_vcs: bool,
    /// Leave out editors' backup and lock files (`*~`, `.#*`, `#*#`), as GNU tar's
    /// --exclude-backups
    #[arg(long)]
    exclude_backups: bool,
    /// When reading, the MEMBERs are globs matched against whole member names (`*` matches `/`
    /// too), as GNU tar's --wildcards (exclude patterns are globs anyway)
    #[arg(long, overrides_with = "no_wildcards")]
    wildcards: bool,
    /// MEMBERs (the default) and exclude patterns are names, matched literally, as GNU tar's
    /// --no-wildcards
    #[arg(long)]
    no_wildcards: bool,
    /// Also the paths (create) or members (list, extract, verify) named in FILE, one per line
    /// (`-` for standard input), as tar's -T
    #[arg(short = 'T', long, value_name = "FILE")]
    files_from: Vec<PathBuf>,
    /// Names in -T and -X files end with a NUL byte, not a newline (find -print0)
    #[arg(long)]
    null: bool,
    /// Rename members with a sed expression, s/REGEX/REPLACEMENT/FLAGS, as GNU tar's
    /// --transform: when archiving, the names stored; when reading, the names extracted or
    /// verified (see the README); repeatable, applied in order
    #[arg(long, visible_alias = "xform", value_name = "EXPR")]
    transform: Vec<String>,
    /// With --transform, -v and list show the names transformed rather than as found on disk
    /// (create) or as archived (list, extract)
    #[arg(long, visible_alias = "show-stored-names")]
    show_transformed_names: bool,
}

impl NameArgs {
    /// The `--exclude` patterns, then those of each `--exclude-from` file (one per line, or per
    /// NUL with `--null`, as GNU tar; empty ones are none); with `--no-wildcards`, names matched
    /// literally, as in GNU tar.
    fn excludes(&self) -> Result<Excludes> {
        let mut patterns = self.exclude.clone();
        for file in &self.exclude_from {
            let text = std::fs::read(file).map_err(|e| Error::io(file, "read the exclude file", e))?;
            // Trailing blanks dropped from lines, as GNU tar reads an exclude file.
            let lines: Vec<&[u8]> = match self.null {
                true => text.split(|&b| b == 0).collect(),
                false => text.split(|&b| b == b'\n').map(<[u8]>::trim_ascii_end).collect(),
            };
            patterns
                .extend(lines.into_iter().filter(|l| !l.is_empty()).map(|l| String::from_utf8_lossy(l).into_owned()));
        }
        let (mut globs, mut names) = if self.no_wildcards { (Vec::new(), patterns) } else { (patterns, Vec::new()) };
        if self.exclude_vcs {
            names.extend(VCS_NAMES.iter().map(|n| n.to_string()));
        }
        if self.exclude_backups {
            globs.extend(BACKUP_GLOBS.iter().map(|g| g.to_string()));
        }
        Excludes::with_names(&globs, &names)
    }

    /// The `--transform` expressions.
    fn transforms(&self) -> Result<Transforms> {
        let mut transforms = Transforms::parse(&self.transform).map_err(Error::Usage)?;
        transforms.show = self.show_transformed_names;
        Ok(transforms)
    }

    /// The names a `-T` file gives.
    fn names_in(&self, file: &Path) -> Result<Vec<PathBuf>> {
        names_from(file, self.null)
    }
}

/// Which members a list, an extract or a verify reads.
#[derive(Debug, Args)]
pub struct SelectArgs {
    #[command(flatten)]
    names: NameArgs,
    /// Read on past end-of-archive markers (zero blocks), so archives joined with `cat` are
    /// read whole, as GNU tar's -i
    #[arg(short = 'i', long)]
    ignore_zeros: bool,
    /// Read the archive only if its volume label (written by create --label or GNU tar -V)
    /// matches GLOB, as GNU tar's -V when reading
    #[arg(long, value_name = "GLOB")]
    label: Option<String>,
    /// Accepted, as GNU tar's -s / --same-order / --preserve-order: captar reads the archive
    /// once in its order whatever the order of the names
    #[arg(long, visible_alias = "preserve-order")]
    same_order: bool,
    /// Accepted, as GNU tar's --seek: captar seeks over data wherever the archive is a file
    #[arg(long)]
    seek: bool,
    /// Only the Nth member (default 1) of each MEMBER named, for archives that hold a name
    /// more than once (after append or update), as GNU tar's --occurrence
    #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true, default_missing_value = "1",
          value_parser = clap::value_parser!(u64))]
    occurrence: Option<u64>,
    /// Only these members (and what is under them)
    #[arg(value_name = "MEMBER")]
    members: Vec<PathBuf>,
}

impl SelectArgs {
    /// `input` is what is read (the archive, or the manifest): standard input cannot be both it
    /// and a `-T -` list.
    fn selection(mut self, input: &Path) -> Result<Selection> {
        let names = &self.names;
        // GNU tar takes 0 as no occurrence asked for.
        self.occurrence = self.occurrence.filter(|&n| n > 0);
        if self.occurrence.is_some() && self.members.is_empty() && names.files_from.is_empty() {
            return Err(Error::Usage(
                "--occurrence picks among the members of a name given: name the MEMBERs (GNU tar: meaningless without a file list)".into(),
            ));
        }
        if input.as_os_str() == "-" && names.files_from.iter().any(|f| f.as_os_str() == "-") {
            return Err(Error::Usage("-f - and -T - both want standard input; put the member names in a file".into()));
        }
        for file in &names.files_from {
            self.members.extend(names.names_in(file)?);
        }
        let excludes = names.excludes()?;
        let patterns = if names.wildcards { Some(Selection::wildcards(&self.members)?) } else { None };
        let transforms = names.transforms()?;
        Ok(Selection {
            members: self.members,
            excludes,
            patterns,
            transforms,
            ignore_zeros: self.ignore_zeros,
            label: self.label,
            occurrence: self.occurrence,
        })
    }
}

#[derive(Debug, Args)]
pub struct ConcatArgs {
    /// The uncompressed archive to add to
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE")]
    file: PathBuf,
    /// Uncompressed archives whose members are added, in order
    #[arg(value_name = "ARCHIVE", required = true)]
    archives: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The uncompressed archive to take members out of
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE")]
    file: PathBuf,
    /// List each member taken out
    #[arg(short, long)]
    verbose: bool,
    #[command(flatten)]
    select: SelectArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Archive to read; `-` for standard input
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE")]
    file: PathBuf,
    /// Long listing, like tar -tv; twice (-vv), with --xattrs, --acls or --selinux, a line
    /// for each xattr, ACL and label as tar -tvv shows them
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(flatten)]
    shown: ListXattrArgs,
    /// Show each member's capabilities in getcap's text
    #[arg(long)]
    caps: bool,
    /// One JSON object per member
    #[arg(long, conflicts_with = "verbose")]
    json: bool,
    /// Mark members whose capabilities are risky (see the README's risk classes)
    #[arg(long)]
    risk: bool,
    /// With -v, times with seconds (and nanoseconds when there are any), as GNU tar's --full-time
    #[arg(long)]
    full_time: bool,
    /// With -v, times in UTC rather than local time, as GNU tar's --utc
    #[arg(long)]
    utc: bool,
    /// With -v, owners as numeric ids, not names, as GNU tar's -tv --numeric-owner
    #[arg(long)]
    numeric_owner: bool,
    #[command(flatten)]
    select: SelectArgs,
}

#[derive(Debug, Args)]
pub struct TestLabelArgs {
    /// Archive to read; `-` for standard input
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE")]
    file: PathBuf,
    /// Print the label as list -v shows it; with LABELs, print it and say when none matches
    #[arg(short, long)]
    verbose: bool,
    /// LABELs are globs (`*`, `?`, `[...]`) rather than the exact text
    #[arg(long)]
    wildcards: bool,
    /// With -v, the label's time with seconds, as GNU tar's --full-time
    #[arg(long)]
    full_time: bool,
    /// With -v, the label's time in UTC, as GNU tar's --utc
    #[arg(long)]
    utc: bool,
    /// The labels to test for (exit 0 when the archive's is one of them)
    #[arg(value_name = "LABEL")]
    labels: Vec<OsString>,
}

/// What `list -v` shows of xattrs, ACLs and labels, as GNU tar's `-tv` with the options of
/// these names.
#[derive(Debug, Args)]
pub struct ListXattrArgs {
    /// With -v, a * after the mode of members with xattrs that the patterns let through
    /// (user.* unless --xattrs-include), and with -vv their names and sizes, as tar -tv --xattrs
    #[arg(long, overrides_with = "no_xattrs")]
    xattrs: bool,
    /// With -v, show the xattrs whose name matches GLOB (implies --xattrs); repeatable
    #[arg(long, value_name = "GLOB")]
    xattrs_include: Vec<String>,
    /// With -v, do not show the xattrs whose name matches GLOB (implies --xattrs); repeatable
    #[arg(long, value_name = "GLOB")]
    xattrs_exclude: Vec<String>,
    /// Cancels --xattrs, --xattrs-include and --xattrs-exclude given before it
    #[arg(long, overrides_with_all = ["xattrs", "xattrs_include", "xattrs_exclude"])]
    no_xattrs: bool,
    /// With -v, a + after the mode of members with ACL records, and with -vv the ACLs, as tar -tv --acls
    #[arg(long, overrides_with = "no_acls")]
    acls: bool,
    /// Cancels --acls
    #[arg(long)]
    no_acls: bool,
    /// With -v, a . after the mode of members with an SELinux label record, and with -vv the
    /// label, as tar -tv --selinux
    #[arg(long, overrides_with = "no_selinux")]
    selinux: bool,
    /// Cancels --selinux
    #[arg(long)]
    no_selinux: bool,
}

impl ListXattrArgs {
    /// `None` when none of the options is in effect (the listing is then tar -tv's without
    /// them: no column after the mode).
    fn extended(&self, verbose: u8) -> Result<Option<crate::list::Extended>> {
        let xattrs = self.xattrs || !self.xattrs_include.is_empty() || !self.xattrs_exclude.is_empty();
        if !xattrs && !self.acls && !self.selinux {
            return Ok(None);
        }
        let policy = xattrs
            .then(|| {
                let default = Some(crate::select::EXTRACT_DEFAULT_INCLUDE);
                XattrPolicy::new(true, true, &self.xattrs_include, &self.xattrs_exclude, default, &[])
            })
            .transpose()?;
        Ok(Some(crate::list::Extended { xattrs: policy, acls: self.acls, selinux: self.selinux, lines: verbose > 1 }))
    }
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("old_files").args([
    "keep_old_files", "skip_old_files", "keep_newer_files", "overwrite", "overwrite_dir", "no_overwrite_dir", "unlink_first",
])))]
pub struct ExtractArgs {
    /// Archive to read; `-` for standard input
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE")]
    file: PathBuf,
    /// Extract into DIR (default: the current directory)
    #[arg(short = 'C', long = "directory", value_name = "DIR")]
    directory: Option<PathBuf>,
    #[command(flatten)]
    xattrs: XattrArgs,
    /// Do not restore owners (the default when not root)
    #[arg(long, conflicts_with = "same_owner")]
    no_same_owner: bool,
    /// Restore owners (the default as root)
    #[arg(long)]
    same_owner: bool,
    /// Use the numeric uid/gid, not the user and group names
    #[arg(long)]
    numeric_owner: bool,
    /// Modes exactly as archived, setuid and setgid included, whatever the umask (the default as root)
    #[arg(short = 'p', long, visible_alias = "preserve-permissions", conflicts_with = "no_same_permissions")]
    same_permissions: bool,
    /// Modes without the umask's bits, setuid, setgid or sticky (the default when not root)
    #[arg(long)]
    no_same_permissions: bool,
    /// An existing file is an error
    #[arg(short = 'k', long)]
    keep_old_files: bool,
    /// Leave existing files alone, silently
    #[arg(long)]
    skip_old_files: bool,
    /// Leave existing files as new as the member or newer alone (a note names each), as tar's
    #[arg(long)]
    keep_newer_files: bool,
    /// Accepted, as GNU tar's: captar sets directories' times and modes at the end of the
    /// extraction in any case
    #[arg(long)]
    delay_directory_restore: bool,
    /// Replace existing files (the default): by an atomic rename, never written into or through
    /// (GNU tar's --overwrite writes into them)
    #[arg(long)]
    overwrite: bool,
    /// Rename a file (not a directory) where a member goes to a backup name first, renamed back
    /// if the member fails, as GNU tar's: CONTROL none/off, simple/never (FILE~), numbered/t
    /// (FILE.~N~), existing/nil (numbered if FILE has numbered backups, else simple; the
    /// default, or $VERSION_CONTROL)
    #[arg(long, value_name = "CONTROL", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    backup: Option<String>,
    /// The simple backup suffix (default ~, or $SIMPLE_BACKUP_SUFFIX); implies --backup
    #[arg(long, value_name = "SUFFIX")]
    suffix: Option<OsString>,
    /// Set the archive's metadata on existing directories too (the default)
    #[arg(long)]
    overwrite_dir: bool,
    /// Existing directories keep their owner, mode and access ACL (times and xattrs are set), as GNU tar's
    #[arg(long)]
    no_overwrite_dir: bool,
    /// Remove what is where a member goes before extracting it, as GNU tar's -U: a file,
    /// symlink or node (frees its room first), or an empty directory (a directory member gets a
    /// new one; a non-empty one is an error)
    #[arg(short = 'U', long)]
    unlink_first: bool,
    /// Remove what is where a member goes before extracting it, a directory with everything in
    /// it (a directory member too: it is made anew, empty; never the destination itself), as
    /// GNU tar's
    #[arg(long, conflicts_with_all = ["keep_old_files", "skip_old_files", "keep_newer_files"])]
    recursive_unlink: bool,
    /// Extract the rest when a capability cannot be restored, and list them all at the end
    #[arg(long)]
    keep_going: bool,
    /// Remove N leading components from member names (and hard-link targets), as tar does
    #[arg(long, value_name = "N", default_value_t = 0)]
    strip_components: usize,
    /// Extract every member under DIR (beneath -C), unless its name already starts with DIR;
    /// without =DIR, the archive's name less its .tar and compression suffixes (tar's
    /// --one-top-level)
    #[arg(long, value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    one_top_level: Option<OsString>,
    /// Rootid of capabilities written: keep (as archived), host (v3 written as v2) or a uid
    /// (every value, v2 too, written as v3 with that rootid)
    #[arg(long, value_name = "keep|host|N", default_value = "keep", value_parser = parse_rootid)]
    cap_rootid: RootidPolicy,
    /// Keep a symlink to a directory where the archive has a directory, and extract what is
    /// beneath it through the symlink (lib -> usr/lib), as GNU tar's --keep-directory-symlink;
    /// symlinks are resolved with the destination as / (nothing leads out of it)
    #[arg(long)]
    keep_directory_symlink: bool,
    /// A GNU incremental archive (made with -g): each directory that is there already first
    /// loses what its listing in the archive does not name (with everything in it) and gets
    /// the directory renames it records, as GNU tar's -G; extracting a chain of dumps in order
    /// leaves the last one's tree
    #[arg(short = 'G', long)]
    incremental: bool,
    /// As --incremental; SNAPSHOT is not read (GNU tar's -g when extracting: `-g /dev/null`)
    #[arg(short = 'g', long, value_name = "SNAPSHOT")]
    listed_incremental: Option<PathBuf>,
    /// List each member on stdout as it is extracted (on stderr with -O)
    #[arg(short, long)]
    verbose: bool,
    /// Leave modification times as the extraction makes them (now), as tar's -m
    #[arg(short = 'm', long)]
    touch: bool,
    /// Write the data of the selected regular files to standard output, one after the other;
    /// nothing is created (so no capability is restored)
    #[arg(short = 'O', long)]
    to_stdout: bool,
    #[command(flatten)]
    select: SelectArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["file", "manifest"])))]
pub struct VerifyArgs {
    /// Archive to compare with; `-` for standard input
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE")]
    file: Option<PathBuf>,
    /// A `getcap -r` / `getcap -n -r` output to compare with instead of an archive
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// The tree to check (default: the current directory; for absolute manifest paths, /)
    #[arg(short = 'C', long = "directory", value_name = "DIR")]
    directory: Option<PathBuf>,
    /// Also compare type, mode, owner, size, mtime, link targets, hard links, devices,
    /// contents and every xattr the archive carries
    #[arg(long)]
    all: bool,
    /// One JSON document with the differences and a summary
    #[arg(long)]
    json: bool,
    /// Also report capped files under the verified paths that the archive or manifest lacks
    #[arg(long)]
    extra: bool,
    /// Mark risky capabilities in the differences
    #[arg(long)]
    risk: bool,
    /// Go through symlinks to directories in members' paths, within the tree, and take a
    /// directory member found as such a symlink as extract --keep-directory-symlink left it
    #[arg(long)]
    keep_directory_symlink: bool,
    /// Compare the archive's capabilities as `extract --cap-rootid` with this policy wrote them
    #[arg(long, value_name = "keep|host|N", default_value = "keep", value_parser = parse_rootid)]
    cap_rootid: RootidPolicy,
    /// With --all, owners compared by the archive's numeric ids, as extract --numeric-owner
    /// restores them (by default a user or group name the archive gives that this system
    /// knows stands for its id here, as extract restores it and GNU tar's -d compares)
    #[arg(long)]
    numeric_owner: bool,
    /// Name each member (or manifest path) as it is compared, before its differences, as GNU
    /// tar's -dv
    #[arg(short, long, conflicts_with = "json")]
    verbose: bool,
    #[command(flatten)]
    select: SelectArgs,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    #[command(flatten)]
    xattrs: XattrArgs,
    /// Leave out files whose name (or any tail of it) matches GLOB; repeatable
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Stay on SRC's filesystem
    #[arg(long)]
    one_file_system: bool,
    /// Do not restore owners (the default when not root)
    #[arg(long)]
    no_same_owner: bool,
    /// Use numeric uid/gid, not names
    #[arg(long)]
    numeric_owner: bool,
    /// Copy the rest when a capability cannot be restored, and list them all at the end
    #[arg(long)]
    keep_going: bool,
    /// Rootid of namespaced (v3) capabilities: keep, host (write v2) or a uid
    #[arg(long, value_name = "keep|host|N", default_value = "keep", value_parser = parse_rootid)]
    cap_rootid: RootidPolicy,
    /// Skip the verify (capabilities and all metadata) that runs after the copy
    #[arg(long)]
    no_verify: bool,
    /// List each file as it is copied (on stderr)
    #[arg(short, long)]
    verbose: bool,
    /// The directory whose contents are copied
    src: PathBuf,
    /// Where they go (created if missing)
    dst: PathBuf,
}

fn parse_rootid(s: &str) -> std::result::Result<RootidPolicy, String> {
    match s {
        "keep" => Ok(RootidPolicy::Keep),
        "host" => Ok(RootidPolicy::Host),
        // 4294967295 is (uid_t)-1, no uid: the kernel takes it for "no change".
        n => n
            .parse::<u32>()
            .ok()
            .filter(|&id| id != u32::MAX)
            .map(RootidPolicy::Set)
            .ok_or_else(|| format!("{n:?}: expected keep, host or a uid (0 to 4294967294)")),
    }
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

impl CreateArgs {
    /// The compression option given, if any (clap lets one through).
    fn compression_option(&self) -> Option<Compression> {
        [
            (self.gzip, Compression::Gzip),
            (self.zstd, Compression::Zstd),
            (self.xz, Compression::Xz),
            (self.bzip2, Compression::Bzip2),
            (self.lzma, Compression::Lzma),
        ]
        .into_iter()
        .find_map(|(given, kind)| given.then_some(kind))
    }

    /// `matches` are the subcommand's, for the order of `-C` and the paths.
    fn options(self, progress: bool, matches: &clap::ArgMatches) -> Result<CreateOptions> {
        let target = if self.file.as_os_str() == "-" { Target::Stdout } else { Target::File(self.file.clone()) };
        let compression = match self.compression_option() {
            Some(given) => given,
            None if self.no_auto_compress => Compression::None,
            None => Compression::from_name(&self.file).map_err(|e| Error::entry(&self.file, e))?,
        };
        if let Some(level) = self.level {
            match compression.levels() {
                None => {
                    return Err(Error::Usage(format!(
                        "--level {level}: the archive is not compressed; add -z/--gzip, --zstd, -J/--xz or -j/--bzip2, or name it .tar.gz, .tar.zst, .tar.xz or .tar.bz2"
                    )));
                }
                Some(range) if !range.contains(&level) => {
                    return Err(Error::Usage(format!(
                        "--level {level}: {} compresses at levels {} to {}; choose one of them",
                        compression.name(),
                        range.start(),
                        range.end()
                    )));
                }
                Some(_) => {}
            }
        }
        let tags = self.tags(matches)?;
        // Paths, -T files and -C in command-line order: each path is read in the directory of
        // the -C before it.
        enum Item {
            Dir(PathBuf),
            Path(PathBuf),
            From(PathBuf),
        }
        let at = |id: &str| matches.indices_of(id).into_iter().flatten();
        let mut items: Vec<(usize, Item)> = (at("directory").zip(self.directory.into_iter().map(Item::Dir)))
            .chain(at("paths").zip(self.paths.into_iter().map(Item::Path)))
            .chain(at("files_from").zip(self.names.files_from.iter().cloned().map(Item::From)))
            .collect();
        items.sort_by_key(|(i, _)| *i);
        let mut dir = PathBuf::new();
        let mut paths = Vec::new();
        // A -C after the last path applies to nothing: GNU tar says so and fails too.
        if let Some((_, Item::Dir(d))) = items.last() {
            return Err(Error::Usage(format!(
                "-C {}: no path follows it, so it has no effect; put -C before the paths it is for",
                d.display()
            )));
        }
        for (_, item) in items {
            match item {
                Item::Dir(d) => dir = dir.join(d),
                Item::Path(path) => paths.push(Named { dir: dir.clone(), path }),
                Item::From(file) => {
                    paths.extend(self.names.names_in(&file)?.into_iter().map(|path| Named { dir: dir.clone(), path }));
                }
            }
        }
        // A listing names files as they are on disk, members by their new names: extracted
        // with -G, the listings would remove the members of earlier dumps.
        if self.listed_incremental.is_some() && !self.names.transform.is_empty() {
            return Err(Error::Usage(
                "-g with --transform: an incremental dump's listings name files as they are on disk, so extracting renamed members with -G would delete them; leave one out".into(),
            ));
        }
        Ok(CreateOptions {
            label: self.label,
            tags,
            ignore_failed_read: self.ignore_failed_read,
            dereference: self.dereference,
            atime_preserve: self.atime_preserve.is_some(),
            checkpoints: None,
            record: crate::format::writer::RECORD,
            hard_dereference: self.hard_dereference,
            remove_files: self.remove_files,
            update: false,
            target,
            paths,
            // tar: `-T` naming nothing makes an empty archive; no path at all is an error.
            empty_ok: !self.names.files_from.is_empty(),
            xattrs: self.xattrs.policy(None)?,
            compression,
            level: self.level,
            excludes: self.names.excludes()?,
            transforms: self.names.transforms()?,
            one_file_system: self.one_file_system,
            recursive: !self.no_recursion,
            newer: match (&self.newer_mtime, &self.newer) {
                (Some(d), _) => Some(Newer { date: parse_mtime("--newer-mtime", d)?, ctime: false }),
                (None, Some(d)) => Some(Newer { date: parse_mtime("--newer", d)?, ctime: true }),
                (None, None) => None,
            },
            sparse: self.sparse,
            listed_incremental: self.listed_incremental.as_ref().map(|snapshot| ListedIncremental {
                snapshot: snapshot.clone(),
                level0: self.dump_level == Some(0),
                check_device: !self.no_check_device,
            }),
            stamp: Stamp {
                owner: self
                    .owner
                    .as_deref()
                    .map(|o| owner_spec("--owner", o, owners::uid_of, owners::user_name))
                    .transpose()?,
                group: self
                    .group
                    .as_deref()
                    .map(|g| owner_spec("--group", g, owners::gid_of, owners::group_name))
                    .transpose()?,
                numeric: self.numeric_owner,
                mtime: self.mtime.as_deref().map(|d| parse_mtime("--mtime", d)).transpose()?,
                clamp: self.clamp_mtime,
                mode: self.mode.as_deref().map(ModeChanges::parse).transpose().map_err(Error::Usage)?,
            },
            verbose: self.verbose,
            progress,
        })
    }
}

impl CreateArgs {
    /// The exclusion tags, the last given first: GNU tar checks a directory for them in that
    /// order, and the first it holds decides.
    fn tags(&self, matches: &clap::ArgMatches) -> Result<Vec<ExclusionTag>> {
        let at = |id: &str| matches.indices_of(id).into_iter().flatten();
        let cache = || OsString::from(CACHEDIR_TAG);
        let given = [
            (at("exclude_caches").zip(self.exclude_caches.then(cache)).collect::<Vec<_>>(), true, TagScope::Contents),
            (at("exclude_caches_under").zip(self.exclude_caches_under.then(cache)).collect(), true, TagScope::Under),
            (at("exclude_caches_all").zip(self.exclude_caches_all.then(cache)).collect(), true, TagScope::All),
            (at("exclude_tag").zip(self.exclude_tag.iter().cloned()).collect(), false, TagScope::Contents),
            (at("exclude_tag_under").zip(self.exclude_tag_under.iter().cloned()).collect(), false, TagScope::Under),
            (at("exclude_tag_all").zip(self.exclude_tag_all.iter().cloned()).collect(), false, TagScope::All),
        ];
        let mut tags: Vec<(usize, ExclusionTag)> = Vec::new();
        for (names, cache, scope) in given {
            for (index, name) in names {
                tags.push((index, ExclusionTag::new(&name, cache, scope).map_err(Error::Usage)?));
            }
        }
        tags.sort_by_key(|(index, _)| std::cmp::Reverse(*index));
        Ok(tags.into_iter().map(|(_, tag)| tag).collect())
    }
}

impl ExtractArgs {
    fn options(self, progress: bool) -> Result<ExtractOptions> {
        let top_level = self.one_top_level.as_deref().map(|dir| top_level(Path::new(dir), &self.file)).transpose()?;
        let backups = crate::extract::Backups::parse(
            self.backup.as_deref(),
            self.suffix.as_deref(),
            std::env::var("VERSION_CONTROL").ok().as_deref(),
            std::env::var_os("SIMPLE_BACKUP_SUFFIX").as_deref(),
        )
        .map_err(Error::Usage)?;
        let incremental = self.incremental || self.listed_incremental.is_some();
        if incremental && !self.select.names.transform.is_empty() {
            return Err(Error::Usage(
                "-G with --transform: an incremental dump's listings name files as archived, so the renamed ones would be removed again; leave one out".into(),
            ));
        }
        // Rename records name directories as archived: moved elsewhere, they would rename the
        // wrong directory or none, and the purge that follows would remove what they hold.
        if incremental && (self.strip_components > 0 || self.one_top_level.is_some()) {
            let opt = if self.strip_components > 0 { "--strip-components" } else { "--one-top-level" };
            return Err(Error::Usage(format!(
                "-G with {opt}: an incremental dump's listings and renames name directories as archived, so the files of a renamed directory would be removed; leave one out"
            )));
        }
        Ok(ExtractOptions {
            checkpoints: None,
            record: crate::format::writer::RECORD,
            incremental,
            backups,
            select: self.select.selection(&self.file)?,
            archive: self.file,
            directory: self.directory.unwrap_or_else(|| PathBuf::from(".")),
            xattrs: self.xattrs.policy(Some(EXTRACT_DEFAULT_INCLUDE))?,
            same_owner: if self.no_same_owner { false } else { self.same_owner || is_root() },
            same_permissions: if self.no_same_permissions { false } else { self.same_permissions || is_root() },
            numeric_owner: self.numeric_owner,
            existing: if self.keep_old_files {
                Existing::Keep
            } else if self.skip_old_files {
                Existing::Skip
            } else if self.keep_newer_files {
                Existing::KeepNewer
            } else if self.no_overwrite_dir {
                Existing::NoOverwriteDir
            } else if self.unlink_first {
                Existing::UnlinkFirst
            } else {
                Existing::Replace
            },
            recursive_unlink: self.recursive_unlink,
            keep_going: self.keep_going,
            rootid: self.cap_rootid,
            verbose: self.verbose,
            to_stdout: self.to_stdout,
            touch: self.touch,
            strip_components: self.strip_components,
            top_level,
            keep_directory_symlink: self.keep_directory_symlink,
            progress,
        })
    }
}

/// `--one-top-level`'s directory: DIR as given (relative, without `..`), or the archive's name
/// less its suffixes (`app-1.2.tar.gz` → `app-1.2`), as GNU tar deduces it.
fn top_level(dir: &Path, archive: &Path) -> Result<PathBuf> {
    // GNU tar's: a compression suffix (or .tar), then a .tar before it.
    const SUFFIXES: [&str; 18] = [
        ".tar", ".gz", ".tgz", ".taz", ".Z", ".taZ", ".bz2", ".tbz", ".tbz2", ".tz2", ".lz", ".lzma", ".tlz", ".lzo",
        ".xz", ".txz", ".zst", ".tzst",
    ];
    let dir = if dir.as_os_str().is_empty() {
        let base = archive.file_name().filter(|_| archive.as_os_str() != "-").map(|b| b.as_bytes()).unwrap_or_default();
        // An inner .tar goes too, after a suffix not starting with t (`a.tar.gz`, not
        // `a.tar.tgz`), when something is left before it (`.tar.gz` gives `.tar`).
        let stem = SUFFIXES.iter().find_map(|s| base.strip_suffix(s.as_bytes()).map(|stem| (stem, s)));
        let stem = stem.map(|(stem, suffix)| match stem.strip_suffix(b".tar") {
            Some(inner) if !suffix.starts_with(".t") && !inner.is_empty() => inner,
            _ => stem,
        });
        let stem = stem.filter(|s| !s.is_empty());
        let Some(stem) = stem else {
            let from = match archive.as_os_str() == "-" {
                true => "standard input".to_string(),
                false => format!("the archive's name {}", archive.display()),
            };
            return Err(Error::Usage(format!(
                "--one-top-level: cannot tell a directory name from {from}; give one: --one-top-level=DIR"
            )));
        };
        PathBuf::from(OsStr::from_bytes(stem))
    } else {
        dir.to_path_buf()
    };
    match crate::extract::SafeName::parse(&dir) {
        Ok(safe) if !safe.had_root && !safe.is_root() => Ok(safe.rel),
        _ => Err(Error::Usage(format!(
            "--one-top-level={}: give a directory beneath the destination (relative, without '..')",
            dir.display()
        ))),
    }
}

/// `--owner`/`--group`'s value as GNU tar reads it: `NAME:ID`, a name (its id looked up here),
/// or an id (`+ID` too; its name looked up here, none recorded if unknown).
fn owner_spec(
    flag: &str,
    spec: &str,
    id_of: fn(&[u8]) -> Option<u32>,
    name_of: fn(u32) -> Option<&'static [u8]>,
) -> Result<(u32, Option<Vec<u8>>)> {
    let id = |s: &str| s.strip_prefix('+').unwrap_or(s).parse::<u32>().ok();
    if let Some((name, n)) = spec.rsplit_once(':') {
        let n = id(n).ok_or_else(|| Error::Usage(format!("{flag}={spec}: {n:?} is not a number; give NAME:ID")))?;
        return Ok((n, (!name.is_empty()).then(|| name.as_bytes().to_vec())));
    }
    if let Some(n) = id(spec) {
        return Ok((n, name_of(n).map(<[u8]>::to_vec)));
    }
    match id_of(spec.as_bytes()) {
        Some(n) => Ok((n, Some(spec.as_bytes().to_vec()))),
        None => Err(Error::Usage(format!("{flag}={spec}: no such name on this system; give {spec}:ID"))),
    }
}

/// `--mtime`'s DATE: `@SECONDS`, an ISO 8601 date or date and time (local time unless it says
/// otherwise), or the path of a file whose modification time is taken (it starts with `/` or
/// `.`, as in GNU tar).
fn parse_mtime(flag: &str, date: &str) -> Result<Time> {
    let bad = || {
        let file = if Path::new(date).exists() { format!(" (./{date} for that file)") } else { String::new() };
        Error::Usage(format!(
            "{flag}={date:?}: not a date captar reads; give @SECONDS, YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS (with Z or +HH:MM for other than local time) or a file's path starting with / or .{file}"
        ))
    };
    if date.starts_with('/') || date.starts_with('.') {
        // A symlink stands for its file, as in GNU tar.
        let md = std::fs::metadata(date).map_err(|e| Error::io(date, "read the date's reference file", e))?;
        return Ok(Time { secs: md.mtime(), nsecs: md.mtime_nsec() as u32 });
    }
    if let Some(secs) = date.strip_prefix('@') {
        return secs.parse::<i64>().map(|secs| Time { secs, nsecs: 0 }).map_err(|_| bad());
    }
    let ts = if let Ok(ts) = date.parse::<jiff::Timestamp>() {
        ts
    } else if let Ok(dt) = date.parse::<jiff::civil::DateTime>() {
        jiff::tz::TimeZone::system().to_timestamp(dt).map_err(|_| bad())?
    } else if let Ok(d) = date.parse::<jiff::civil::Date>() {
        jiff::tz::TimeZone::system().to_timestamp(d.to_datetime(jiff::civil::Time::midnight())).map_err(|_| bad())?
    } else {
        return Err(bad());
    };
    Ok(Time { secs: ts.as_second(), nsecs: ts.subsec_nanosecond() as u32 })
}

/// The paths a `--files-from` file names: one per line, or per NUL with `--null`; empty ones
/// are none. `-` is standard input.
fn names_from(file: &Path, null: bool) -> Result<Vec<PathBuf>> {
    let text = if file.as_os_str() == "-" {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut text).map(|_| text)
    } else {
        std::fs::read(file)
    }
    .map_err(|e| crate::error::Error::io(file, "read the list of files", e))?;
    let end = if null { b'\0' } else { b'\n' };
    let names = text.split(|&b| b == end).map(|l| if null { l } else { l.strip_suffix(b"\r").unwrap_or(l) });
    Ok(names.filter(|l| !l.is_empty()).map(|l| PathBuf::from(OsStr::from_bytes(l))).collect())
}

fn write_stdout(text: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text).and_then(|()| out.flush()).map_err(crate::error::Error::stdout)
}

/// Parses `args` (with the program name first) and runs the command.
pub fn run(args: Vec<OsString>) -> Result<Outcome> {
    let args = if tarstyle::is_tar_style(&args) { tarstyle::rewrite(&args)? } else { args };
    let parsed = <Cli as clap::CommandFactory>::command()
        .try_get_matches_from(&args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        // Help and version go to standard output, where a failed write is an error.
        Err(e) if !e.use_stderr() => {
            write_stdout(e.render().to_string().as_bytes())?;
            return Ok(Outcome::Ok);
        }
        // `captar` or `captar caps` alone: the help, on stderr, exit 2.
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return Ok(Outcome::Errors);
        }
        Err(e) => return Err(crate::error::Error::Usage(usage::one_line(&e, &args))),
    };
    let silenced = crate::error::silenced_warnings(&cli.warning).map_err(Error::Usage)?;
    let report = Report::with_quiet(cli.quiet).with_silenced(silenced);
    let record = record_size(cli.blocking_factor.as_deref(), cli.record_size.as_deref()).map_err(Error::Usage)?;
    let spec =
        crate::checkpoint::Spec::parse(cli.checkpoint.as_deref(), &cli.checkpoint_action).map_err(Error::Usage)?;
    // The checkpoint actions are the progress shown (both would write to the terminal).
    let progress = crate::progress::wanted(cli.quiet, false) && spec.is_none();
    let started = std::time::Instant::now();
    let verb = if matches!(
        cli.command,
        Command::Create(_) | Command::Append(_) | Command::Update(_) | Command::Concatenate(_) | Command::Delete(_)
    ) {
        "written"
    } else {
        "read"
    };
    let outcome = command(cli.command, &matches, &report, progress, spec.as_ref(), record)?;
    if cli.totals
        && let Some(bytes) = report.total()
    {
        crate::error::print_stderr(&totals_line(verb, bytes, started.elapsed().as_secs_f64()));
    }
    Ok(outcome)
}

/// The record size `-b N` or `--record-size=SIZE` asks for (GNU tar's default, 20 blocks,
/// without either).
fn record_size(blocking_factor: Option<&str>, record_size: Option<&str>) -> std::result::Result<u64, String> {
    use crate::format::BLOCK;
    // At most 1 GiB: an archive is padded to a whole record.
    const MAX: u64 = 1 << 30;
    if let Some(n) = blocking_factor {
        return match n.parse::<u64>() {
            Ok(b) if b > 0 && b <= MAX / BLOCK as u64 => Ok(b * BLOCK as u64),
            _ => Err(format!(
                "-b {n}: not a blocking factor; give a number of 512-byte blocks from 1 to {}",
                MAX / BLOCK as u64
            )),
        };
    }
    let Some(text) = record_size else { return Ok(crate::format::writer::RECORD) };
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let scale: u64 = match unit {
        "" | "c" => 1,
        "b" => 512,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        _ => 0,
    };
    let size = digits.parse::<u64>().ok().and_then(|n| n.checked_mul(scale)).filter(|&s| s > 0 && s <= MAX);
    match size {
        Some(s) if s.is_multiple_of(BLOCK as u64) => Ok(s),
        Some(_) => {
            Err(format!("--record-size={text}: not a multiple of 512; give whole blocks (10240 is GNU tar's default)"))
        }
        None => Err(format!(
            "--record-size={text}: not a record size; give bytes, a multiple of 512 up to 1G, with b, k, M or G if wanted"
        )),
    }
}

/// GNU tar's --totals line: `Total bytes read: 10240 (10KiB, 9.8MiB/s)`.
fn totals_line(verb: &str, bytes: u64, seconds: f64) -> String {
    format!("Total bytes {verb}: {}", crate::checkpoint::stats(bytes, seconds))
}

/// `append` (tar's -r) and `update` (tar's -u): members added to an uncompressed archive file.
fn add_to(
    a: CreateArgs,
    matches: &clap::ArgMatches,
    report: &Report,
    progress: bool,
    name: &str,
    checkpoints: Option<std::sync::Arc<crate::checkpoint::Checkpoints>>,
    record: u64,
) -> Result<Outcome> {
    let matches = matches.subcommand_matches(name).expect("the subcommand was parsed");
    let file = a.file.clone();
    let a_verify = a.verify;
    let compress = a.compression_option().is_some() || a.level.is_some();
    if a.label.is_some() {
        return Err(Error::Usage(format!(
            "{name}: --label writes a volume label at the start of a new archive; use it with create"
        )));
    }
    let mut opts = a.options(progress, matches)?;
    if file.as_os_str() == "-" {
        return Err(Error::Usage(format!("{name}: -f - cannot be added to; name the archive file")));
    }
    if compress {
        return Err(Error::Usage(format!(
            "{name} adds to uncompressed archives only (nor can GNU tar add to a compressed one); leave out the compression options and --level"
        )));
    }
    // Nothing to add: the archive is left as it is (as tar -r), or made empty when missing (as
    // GNU tar makes it).
    if opts.paths.is_empty() && !opts.empty_ok {
        if file.exists() {
            return Ok(Outcome::Ok);
        }
        opts.empty_ok = true;
    }
    // What the archive holds decides, not its name (`a.tgz` may be plain).
    opts.compression = Compression::None;
    opts.target = Target::Append(file.clone());
    opts.update = name == "update";
    opts.checkpoints = checkpoints;
    opts.record = record;
    write_and_verify(&opts, &file, a_verify, progress, report)
}

/// `create` (append, update) with `opts`; with `verify` (`-W`), the archive `file` is then read
/// back and compared with the files.
fn write_and_verify(
    opts: &CreateOptions,
    file: &Path,
    verify: bool,
    progress: bool,
    report: &Report,
) -> Result<Outcome> {
    let root = if verify { Some(verify_root(opts, file)?) } else { None };
    let written = crate::create::create(opts, report)?;
    match root {
        Some(root) => Ok(written.max(verify_written(file, root, opts, progress, report)?)),
        None => Ok(written),
    }
}

/// With `--verify` (`-W`): the one directory the members' names are relative to, checked
/// before anything is written; an archive whose members cannot be compared with the files
/// they came from by one `verify` is refused.
fn verify_root(opts: &CreateOptions, file: &Path) -> Result<PathBuf> {
    let refuse = |why: &str| Err(Error::Usage(format!("--verify (-W): {why}")));
    if file.as_os_str() == "-" {
        return refuse("the archive goes to standard output and cannot be read back; name an archive file");
    }
    // A device, a pipe (/dev/stdout), a FIFO: what is read back would not be the archive.
    if std::fs::metadata(file).is_ok_and(|md| !md.is_file()) {
        return refuse(&format!(
            "{} is not a regular file and cannot be read back; name an archive file",
            file.display()
        ));
    }
    if opts.dereference {
        return refuse(
            "with -h the archive holds what symlinks lead to, not the symlinks; verify with `captar verify -f ARCHIVE` (capabilities)",
        );
    }
    if opts.remove_files {
        return refuse("--remove-files removes the files it would compare with");
    }
    if !opts.transforms.is_empty() {
        return refuse("--transform renames members away from the files' names; leave one out");
    }
    let mut roots = opts.paths.iter().map(crate::create::Named::member_root);
    let root = roots.next().unwrap_or_else(|| PathBuf::from("."));
    if let Some(other) = roots.find(|r| *r != root) {
        return refuse(&format!(
            "members come from more than one directory ({} and {}); verify each part with `captar verify --all -C DIR -f ARCHIVE`",
            root.display(),
            other.display()
        ));
    }
    Ok(root)
}

/// `--verify`: the archive just written, compared with the files under `root` as `verify --all`
/// compares them; nothing is printed when nothing differs (GNU tar's -W).
fn verify_written(
    archive: &Path,
    root: PathBuf,
    opts: &CreateOptions,
    progress: bool,
    report: &Report,
) -> Result<Outcome> {
    let (record, name_members) = (opts.record, opts.verbose.then_some("Verify "));
    let opts = VerifyOptions {
        source: Source::Archive(archive.to_path_buf()),
        directory: Some(root),
        select: Selection::all(),
        all: true,
        json: false,
        extra: false,
        risk: false,
        progress,
        rootid: RootidPolicy::Keep,
        summary_on_pass: false,
        // A named path may go through a symlink to a directory (`bin/true`, /bin being one).
        keep_directory_symlink: true,
        checkpoints: None,
        record,
        name_members,
        owners: true,
        // The archive was just made from these files: their ids are in it exactly.
        numeric_owner: true,
    };
    crate::verify::verify(&opts, report)
}

/// The checkpoints of a run (`--checkpoint`), if asked for: `subcommand` is GNU tar's letter
/// (for `exec`'s TAR_SUBCOMMAND); dots go to stderr when stdout carries the archive or data.
fn checkpoints(
    spec: Option<&crate::checkpoint::Spec>,
    operation: crate::checkpoint::Operation,
    archive: &Path,
    subcommand: &'static str,
    stdout_taken: bool,
    record: u64,
) -> Option<std::sync::Arc<crate::checkpoint::Checkpoints>> {
    let spec = spec?.clone();
    let cp = crate::checkpoint::Checkpoints::new(spec, operation, archive.to_path_buf(), subcommand, stdout_taken)
        .with_record(record);
    Some(std::sync::Arc::new(cp))
}

fn command(
    command: Command,
    matches: &clap::ArgMatches,
    report: &Report,
    progress: bool,
    spec: Option<&crate::checkpoint::Spec>,
    record: u64,
) -> Result<Outcome> {
    use crate::checkpoint::Operation::{Read, Write};
    let checkpoints = |operation, archive: &Path, subcommand, stdout_taken| {
        checkpoints(spec, operation, archive, subcommand, stdout_taken, record)
    };
    match command {
        Command::Create(a) => {
            let matches = matches.subcommand_matches("create").expect("the create subcommand was parsed");
            let cp = checkpoints(Write, &a.file, "-c", a.file.as_os_str() == "-");
            let (file, verify) = (a.file.clone(), a.verify);
            let mut opts = a.options(progress, matches)?;
            opts.checkpoints = cp;
            opts.record = record;
            write_and_verify(&opts, &file, verify, progress, report)
        }
        Command::Append(a) => {
            let cp = checkpoints(Write, &a.file, "-r", false);
            add_to(a, matches, report, progress, "append", cp, record)
        }
        Command::Update(a) => {
            let cp = checkpoints(Write, &a.file, "-u", false);
            add_to(a, matches, report, progress, "update", cp, record)
        }
        Command::Concatenate(a) => {
            if a.file.as_os_str() == "-" {
                return Err(Error::Usage("concatenate: -f - cannot be added to; name the archive file".into()));
            }
            crate::create::concatenate(&a.file, &a.archives, record, report)
        }
        Command::Delete(a) => {
            if a.file.as_os_str() == "-" {
                return Err(Error::Usage("delete: -f - cannot be changed; name the archive file".into()));
            }
            let opts = crate::delete::DeleteOptions {
                select: a.select.selection(&a.file)?,
                archive: a.file,
                verbose: a.verbose,
                record,
            };
            crate::delete::delete(&opts, report)
        }
        Command::List(a) => crate::list::list(
            &ListOptions {
                select: a.select.selection(&a.file)?,
                checkpoints: checkpoints(Read, &a.file, "-t", false),
                record,
                archive: a.file,
                verbose: a.verbose > 0,
                extended: a.shown.extended(a.verbose)?,
                caps: a.caps,
                json: a.json,
                risk: a.risk,
                full_time: a.full_time,
                utc: a.utc,
                numeric_owner: a.numeric_owner,
            },
            report,
        ),
        Command::TestLabel(a) => crate::list::test_label(&crate::list::TestLabelOptions {
            archive: a.file,
            verbose: a.verbose,
            wildcards: a.wildcards,
            full_time: a.full_time,
            utc: a.utc,
            labels: a.labels,
        }),
        Command::Extract(a) => {
            let cp = checkpoints(Read, &a.file, "-x", a.to_stdout);
            let mut opts = a.options(progress)?;
            opts.checkpoints = cp;
            opts.record = record;
            crate::extract::extract(&opts, report)
        }
        Command::Verify(a) => {
            let (source, input) = match (a.file, a.manifest) {
                (Some(f), _) => (Source::Archive(f.clone()), f),
                (None, Some(m)) => (Source::Manifest(m.clone()), m),
                (None, None) => unreachable!("clap requires one"),
            };
            if matches!(source, Source::Manifest(_)) && a.select.label.is_some() {
                return Err(Error::Usage("--label checks an archive's volume label; a manifest has none".into()));
            }
            if matches!(source, Source::Manifest(_)) && a.select.occurrence.is_some() {
                return Err(Error::Usage(
                    "--occurrence picks among an archive's members of one name; a manifest names each path once".into(),
                ));
            }
            let opts = VerifyOptions {
                source,
                directory: a.directory,
                select: a.select.selection(&input)?,
                all: a.all,
                json: a.json,
                extra: a.extra,
                risk: a.risk,
                progress: progress && !a.json,
                rootid: a.cap_rootid,
                summary_on_pass: true,
                keep_directory_symlink: a.keep_directory_symlink,
                checkpoints: checkpoints(Read, &input, "-d", false),
                record,
                name_members: a.verbose.then_some(""),
                owners: true,
                numeric_owner: a.numeric_owner,
            };
            if matches!(opts.source, Source::Manifest(_)) && !opts.select.transforms.is_empty() {
                return Err(Error::Usage(
                    "--transform renames archive members; a manifest names files on disk: leave it out".into(),
                ));
            }
            crate::verify::verify(&opts, report)
        }
        Command::Caps(args) => caps::run(args, report),
        Command::Copy(a) => {
            let opts = CopyOptions {
                xattrs: a.xattrs.policy(None)?,
                excludes: Excludes::new(&a.exclude)?,
                src: a.src,
                dst: a.dst,
                one_file_system: a.one_file_system,
                same_owner: !a.no_same_owner && is_root(),
                numeric_owner: a.numeric_owner,
                keep_going: a.keep_going,
                rootid: a.cap_rootid,
                verify: !a.no_verify,
                verbose: a.verbose,
                progress,
            };
            crate::copy::copy(&opts, report)
        }
        Command::Completions { shell } => {
            // Generated into memory: clap_complete panics on a failed write.
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut cmd, "captar", &mut text);
            write_stdout(&text)?;
            Ok(Outcome::Ok)
        }
        Command::Man => {
            let text = man::page(<Cli as clap::CommandFactory>::command()).map_err(Error::stdout)?;
            write_stdout(&text)?;
            Ok(Outcome::Ok)
        }
    }
}

#[cfg(test)]
mod option_tests {
    use std::path::Path;

    use clap::Parser;

    /// A flag given twice is the flag, as in tar; repeatable options keep every value.
    #[test]
    fn flags_may_be_repeated() {
        let cli =
            super::Cli::try_parse_from("captar list -i -v -i --utc --utc --exclude a --exclude b -f x.tar".split(' '))
                .unwrap();
        let super::Command::List(list) = cli.command else { panic!("not list") };
        assert!(list.select.ignore_zeros && list.verbose > 0 && list.utc);
        assert_eq!(list.select.names.exclude, ["a", "b"]);
    }

    /// The README's aliases, as tar's letters: c, r, t, x, d (and diff, compare, catenate).
    #[test]
    fn tar_letters_are_aliases() {
        let parse = |line: &str| super::Cli::try_parse_from(line.split(' ')).unwrap().command;
        assert!(matches!(parse("captar c -f a.tar x"), super::Command::Create(_)));
        assert!(matches!(parse("captar r -f a.tar x"), super::Command::Append(_)));
        assert!(matches!(parse("captar t -f a.tar"), super::Command::List(_)));
        assert!(matches!(parse("captar x -f a.tar"), super::Command::Extract(_)));
        assert!(matches!(parse("captar d -f a.tar"), super::Command::Verify(_)));
        assert!(matches!(parse("captar catenate -f a.tar b.tar"), super::Command::Concatenate(_)));
    }

    /// `--cap-rootid`: keep, host, or a uid; (uid_t)-1 is none.
    #[test]
    fn cap_rootid_values() {
        use crate::extract::RootidPolicy;
        assert!(matches!(super::parse_rootid("host"), Ok(RootidPolicy::Host)));
        assert!(matches!(super::parse_rootid("100000"), Ok(RootidPolicy::Set(100000))));
        assert!(matches!(super::parse_rootid("4294967294"), Ok(RootidPolicy::Set(4294967294))));
        for bad in ["4294967295", "-1", "root", ""] {
            assert!(super::parse_rootid(bad).is_err(), "{bad}");
        }
    }

    /// `--one-top-level`'s directory, deduced as GNU tar 1.34 deduces it (compared by hand:
    /// `tar --one-top-level -xf NAME`).
    #[test]
    fn top_level_directory_as_gnu_tar_deduces_it() {
        let deduced = |name: &str| super::top_level(Path::new(""), Path::new(name)).map_err(|e| e.to_string());
        for (name, dir) in [
            ("app-1.2.tar.gz", "app-1.2"),
            ("dir/app.tgz", "app"),
            ("a.b.tar", "a.b"),
            ("foo.tar.tar", "foo.tar"),
            ("foo.tar.tgz", "foo.tar"),
            (".tar.gz", ".tar"),
            ("x.tar.zst", "x"),
        ] {
            assert_eq!(deduced(name).unwrap(), Path::new(dir), "{name}");
        }
        for name in ["bar", "-", ".tar", "foo.tar.z"] {
            assert!(deduced(name).unwrap_err().contains("cannot tell a directory name"), "{name}");
        }
        let given = |dir: &str| super::top_level(Path::new(dir), Path::new("a.tar")).map_err(|e| e.to_string());
        assert_eq!(given("./x/").unwrap(), Path::new("x"));
        for dir in ["../x", "/abs", ".", "a/../b"] {
            assert!(given(dir).unwrap_err().contains("beneath the destination"), "{dir}");
        }
    }

    #[test]
    fn sizes_as_gnu_tar_writes_them() {
        assert_eq!(
            super::totals_line("written", 10240, 10240.0 / (9.75 * 1048576.0)),
            "Total bytes written: 10240 (10KiB, 9.8MiB/s)"
        );
        assert_eq!(
            super::totals_line("read", 121047040, 121047040.0 / (72.3 * 1048576.0)),
            "Total bytes read: 121047040 (116MiB, 73MiB/s)"
        );
        assert_eq!(super::totals_line("read", 512, 0.0), "Total bytes read: 512 (512B, ?/s)");
        assert_eq!(super::totals_line("read", 1048575, 1.0), "Total bytes read: 1048575 (1.0MiB, 1.0MiB/s)");
    }
}
