/*!
The option groups more than one command takes (flattened into each): which xattrs travel, which
names are taken or left out, and which members a reading command reads.
*/

use std::path::PathBuf;

use clap::Args;

/// Which xattrs travel, as GNU tar's options.
#[derive(Debug, Args)]
pub struct XattrArgs {
    /// Also handle xattrs other than security.capability
    #[arg(long, overrides_with = "no_xattrs")]
    pub(super) xattrs: bool,
    /// Only xattrs whose name matches GLOB (implies --xattrs); repeatable
    #[arg(long, value_name = "GLOB", allow_hyphen_values = true)]
    pub(super) xattrs_include: Vec<String>,
    /// Leave out xattrs whose name matches GLOB (implies --xattrs); repeatable
    #[arg(long, value_name = "GLOB", allow_hyphen_values = true)]
    pub(super) xattrs_exclude: Vec<String>,
    /// No xattrs but security.capability, as without --xattrs (GNU tar's --no-xattrs; cancels
    /// --xattrs, --xattrs-include and --xattrs-exclude given before it; --no-caps leaves the
    /// capabilities out too)
    #[arg(long, overrides_with_all = ["xattrs", "xattrs_include", "xattrs_exclude"])]
    pub(super) no_xattrs: bool,
    /// Leave file capabilities out, on purpose
    #[arg(long)]
    pub(super) no_caps: bool,
    /// Also handle POSIX ACLs (the xattrs system.posix_acl_access and system.posix_acl_default;
    /// GNU tar's and bsdtar's SCHILY.acl records are read as them)
    #[arg(long, overrides_with = "no_acls")]
    pub(super) acls: bool,
    /// Leave POSIX ACLs out (the default; cancels --acls given before it)
    #[arg(long)]
    pub(super) no_acls: bool,
    /// Also handle SELinux labels (the xattr security.selinux, archived as GNU tar's --selinux
    /// writes it: RHT.security.selinux)
    #[arg(long, overrides_with = "no_selinux")]
    pub(super) selinux: bool,
    /// Leave SELinux labels out (the default)
    #[arg(long)]
    pub(super) no_selinux: bool,
}

impl XattrArgs {
    /// Whether an option declined xattrs, ACLs or labels in so many words (`--no-xattrs`,
    /// `--no-acls`, `--no-selinux`): then no note says which were left out.
    pub(super) fn declined(&self) -> bool {
        self.no_xattrs || self.no_acls || self.no_selinux
    }
}

/// The options that name what to take or leave out, for create and for reading: `--exclude`,
/// `-X`, `--wildcards`, `-T` and `--null`, read as GNU tar reads them.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// Leave out what GLOB matches: a name, any tail of it after a `/`, or a leading directory
    /// of it (GNU tar's --exclude); repeatable
    #[arg(long, value_name = "GLOB", allow_hyphen_values = true)]
    pub(super) exclude: Vec<std::ffi::OsString>,
    /// Leave out what the patterns in FILE match, one per line, as --exclude (tar's -X)
    #[arg(short = 'X', long, value_name = "FILE", allow_hyphen_values = true)]
    pub(super) exclude_from: Vec<PathBuf>,
    /// Leave out version control files and directories (.git, .gitignore, .svn, CVS, .hg and
    /// others: GNU tar's list), as GNU tar's --exclude-vcs
    #[arg(long)]
    pub(super) exclude_vcs: bool,
    /// Leave out editors' backup and lock files (`*~`, `.#*`, `#*#`), as GNU tar's
    /// --exclude-backups
    #[arg(long)]
    pub(super) exclude_backups: bool,
    /// When reading, the MEMBERs are globs matched against whole member names (`*` matches `/`
    /// too), as GNU tar's --wildcards (exclude patterns are globs anyway)
    #[arg(long, overrides_with = "no_wildcards")]
    pub(super) wildcards: bool,
    /// MEMBERs (the default) and exclude patterns are names, matched literally, as GNU tar's
    /// --no-wildcards
    #[arg(long)]
    pub(super) no_wildcards: bool,
    /// Also the paths (create) or members (list, extract, verify) named in FILE, one per line
    /// (`-` for standard input), as tar's -T
    #[arg(short = 'T', long, value_name = "FILE", allow_hyphen_values = true)]
    pub(super) files_from: Vec<PathBuf>,
    /// Names in -T and -X files end with a NUL byte, not a newline (find -print0); a -T
    /// file's lines are then all names, as with --verbatim-files-from
    #[arg(long)]
    pub(super) null: bool,
    /// Every line of a -T file is a name, even one that starts with `-` (without it, as in GNU
    /// tar, `-C DIR`, `--directory=DIR` and `--add-file=NAME` lines are read as options)
    #[arg(long, overrides_with = "no_verbatim_files_from")]
    pub(super) verbatim_files_from: bool,
    /// Lines of a -T file that start with `-` are options (the default), as GNU tar's
    /// --no-verbatim-files-from
    #[arg(long)]
    pub(super) no_verbatim_files_from: bool,
    /// Rename members with a sed expression, s/REGEX/REPLACEMENT/FLAGS, as GNU tar's
    /// --transform: when archiving, the names stored; when reading, the names extracted or
    /// verified (see the README); repeatable, applied in order
    #[arg(long, visible_alias = "xform", value_name = "EXPR")]
    pub(super) transform: Vec<String>,
    /// With --transform, -v and list show the names transformed rather than as found on disk
    /// (create) or as archived (list, extract)
    #[arg(long, visible_alias = "show-stored-names")]
    pub(super) show_transformed_names: bool,
}

/// Which members a list, an extract or a verify reads.
#[derive(Debug, Args)]
pub struct SelectArgs {
    #[command(flatten)]
    pub(super) names: NameArgs,
    /// Read on past end-of-archive markers (zero blocks), so archives joined with `cat` are
    /// read whole, as GNU tar's -i
    #[arg(short = 'i', long)]
    pub(super) ignore_zeros: bool,
    /// Read the archive only if its volume label (written by create --label or GNU tar -V)
    /// matches GLOB, as GNU tar's -V when reading
    #[arg(long, value_name = "GLOB", allow_hyphen_values = true)]
    pub(super) label: Option<String>,
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
    pub(super) occurrence: Option<u64>,
    /// Only these members (and what is under them)
    #[arg(value_name = "MEMBER")]
    pub(super) members: Vec<PathBuf>,
}
