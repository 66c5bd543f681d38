/*!
The arguments of the commands that read an archive (list, test-label, extract, verify) and of
copy, which restores files as extract does.
*/

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;

use super::{SelectArgs, XattrArgs};
use crate::extract::RootidPolicy;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Archive to read; `-` for standard input
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE", allow_hyphen_values = true)]
    pub(super) file: PathBuf,
    /// Long listing, like tar -tv; twice (-vv), with --xattrs, --acls or --selinux, a line
    /// for each xattr, ACL and label as tar -tvv shows them
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub(super) verbose: u8,
    #[command(flatten)]
    pub(super) shown: ListXattrArgs,
    /// Show each member's capabilities in getcap's text
    #[arg(long)]
    pub(super) caps: bool,
    /// One JSON object per member
    #[arg(long, conflicts_with = "verbose")]
    pub(super) json: bool,
    /// Mark members whose capabilities are risky (see the README's risk classes)
    #[arg(long)]
    pub(super) risk: bool,
    /// With -v, times with seconds (and nanoseconds when there are any), as GNU tar's --full-time
    #[arg(long)]
    pub(super) full_time: bool,
    /// With -v, times in UTC rather than local time, as GNU tar's --utc
    #[arg(long)]
    pub(super) utc: bool,
    /// With -v, owners as numeric ids, not names, as GNU tar's -tv --numeric-owner
    #[arg(long)]
    pub(super) numeric_owner: bool,
    /// With -v, hard-link targets as archived, a leading '/' or '..' kept (without it, as GNU
    /// tar's -tv shows them: as extract takes them), as GNU tar's -tvP
    #[arg(short = 'P', long)]
    pub(super) absolute_names: bool,
    /// With -vv, each directory's listing in a GNU incremental archive (made with -g) after
    /// it: a line per name, `Y` archived, `N` not, `D` a directory, as tar -G -tvv shows it
    #[arg(short = 'G', long)]
    pub(super) incremental: bool,
    /// As --incremental; SNAPSHOT is not read (tar -g SNAPSHOT -tvv)
    #[arg(short = 'g', long, value_name = "SNAPSHOT")]
    pub(super) listed_incremental: Option<PathBuf>,
    #[command(flatten)]
    pub(super) select: SelectArgs,
}

#[derive(Debug, Args)]
pub struct TestLabelArgs {
    /// Archive to read; `-` for standard input
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE", allow_hyphen_values = true)]
    pub(super) file: PathBuf,
    /// Print the label as list -v shows it; with LABELs, print it and say when none matches
    #[arg(short, long)]
    pub(super) verbose: bool,
    /// LABELs are globs (`*`, `?`, `[...]`) rather than the exact text
    #[arg(long)]
    pub(super) wildcards: bool,
    /// With -v, the label's time with seconds, as GNU tar's --full-time
    #[arg(long)]
    pub(super) full_time: bool,
    /// With -v, the label's time in UTC, as GNU tar's --utc
    #[arg(long)]
    pub(super) utc: bool,
    /// The labels to test for (exit 0 when the archive's is one of them)
    #[arg(value_name = "LABEL")]
    pub(super) labels: Vec<OsString>,
}

/// What `list -v` shows of xattrs, ACLs and labels, as GNU tar's `-tv` with the options of
/// these names.
#[derive(Debug, Args)]
pub struct ListXattrArgs {
    /// With -v, a * after the mode of members with xattrs that the patterns let through
    /// (user.* unless --xattrs-include), and with -vv their names and sizes, as tar -tv --xattrs
    #[arg(long, overrides_with = "no_xattrs")]
    pub(super) xattrs: bool,
    /// With -v, show the xattrs whose name matches GLOB (implies --xattrs); repeatable
    #[arg(long, value_name = "GLOB")]
    pub(super) xattrs_include: Vec<String>,
    /// With -v, do not show the xattrs whose name matches GLOB (implies --xattrs); repeatable
    #[arg(long, value_name = "GLOB")]
    pub(super) xattrs_exclude: Vec<String>,
    /// Cancels --xattrs, --xattrs-include and --xattrs-exclude given before it
    #[arg(long, overrides_with_all = ["xattrs", "xattrs_include", "xattrs_exclude"])]
    no_xattrs: bool,
    /// With -v, a + after the mode of members with ACL records, and with -vv the ACLs, as tar -tv --acls
    #[arg(long, overrides_with = "no_acls")]
    pub(super) acls: bool,
    /// Cancels --acls
    #[arg(long)]
    no_acls: bool,
    /// With -v, a . after the mode of members with an SELinux label record, and with -vv the
    /// label, as tar -tv --selinux
    #[arg(long, overrides_with = "no_selinux")]
    pub(super) selinux: bool,
    /// Cancels --selinux
    #[arg(long)]
    no_selinux: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("old_files").args([
    "keep_old_files", "skip_old_files", "keep_newer_files", "overwrite", "overwrite_dir", "no_overwrite_dir", "unlink_first",
])))]
pub struct ExtractArgs {
    /// Archive to read; `-` for standard input
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE", allow_hyphen_values = true)]
    pub(super) file: PathBuf,
    /// Extract into DIR (default: the current directory); given again, each from the one
    /// before, as tar changes directory in turn (`-C /srv -C data` is /srv/data)
    #[arg(short = 'C', long = "directory", value_name = "DIR", action = clap::ArgAction::Append, allow_hyphen_values = true)]
    pub(super) directory: Vec<PathBuf>,
    #[command(flatten)]
    pub(super) xattrs: XattrArgs,
    /// Do not restore owners (the default when not root)
    // The last of a pair wins, as in GNU tar (found by review: both were refused, where a
    // script adds its own to TAR_OPTIONS-style defaults).
    #[arg(long, overrides_with = "same_owner")]
    pub(super) no_same_owner: bool,
    /// Restore owners (the default as root)
    #[arg(long, overrides_with = "no_same_owner")]
    pub(super) same_owner: bool,
    /// Use the numeric uid/gid, not the user and group names
    #[arg(long)]
    pub(super) numeric_owner: bool,
    /// Modes exactly as archived, setuid and setgid included, whatever the umask (the default as root)
    #[arg(short = 'p', long, visible_alias = "preserve-permissions", overrides_with = "no_same_permissions")]
    pub(super) same_permissions: bool,
    /// Modes without the umask's bits, setuid, setgid or sticky (the default when not root)
    #[arg(long, overrides_with = "same_permissions")]
    pub(super) no_same_permissions: bool,
    /// An existing file is an error
    #[arg(short = 'k', long)]
    pub(super) keep_old_files: bool,
    /// Leave existing files alone, silently
    #[arg(long)]
    pub(super) skip_old_files: bool,
    /// Leave existing files as new as the member or newer alone (a note names each), as tar's
    #[arg(long)]
    pub(super) keep_newer_files: bool,
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
    pub(super) backup: Option<String>,
    /// The simple backup suffix (default ~, or $SIMPLE_BACKUP_SUFFIX); implies --backup
    #[arg(long, value_name = "SUFFIX")]
    pub(super) suffix: Option<OsString>,
    /// Set the archive's metadata on existing directories too (the default)
    #[arg(long)]
    overwrite_dir: bool,
    /// Existing directories keep their owner, mode and access ACL (times and xattrs are set), as GNU tar's
    #[arg(long)]
    pub(super) no_overwrite_dir: bool,
    /// Remove what is where a member goes before extracting it, as GNU tar's -U: a file,
    /// symlink or node (frees its room first), or an empty directory (a directory member gets a
    /// new one; a non-empty one is an error)
    #[arg(short = 'U', long)]
    pub(super) unlink_first: bool,
    /// Remove what is where a member goes before extracting it, a directory with everything in
    /// it (a directory member too: it is made anew, empty; never the destination itself), as
    /// GNU tar's
    #[arg(long, conflicts_with_all = ["keep_old_files", "skip_old_files", "keep_newer_files"])]
    pub(super) recursive_unlink: bool,
    /// Extract the rest when a capability cannot be restored, and list them all at the end
    #[arg(long)]
    pub(super) keep_going: bool,
    /// Remove N leading components from member names (and hard-link targets), as tar does
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(super) strip_components: usize,
    /// Extract every member under DIR (beneath -C), unless its name already starts with DIR;
    /// without =DIR, the archive's name less its .tar and compression suffixes (tar's
    /// --one-top-level)
    #[arg(long, value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub(super) one_top_level: Option<OsString>,
    /// Rootid of capabilities written: keep (as archived), host (v3 written as v2) or a uid
    /// (every value, v2 too, written as v3 with that rootid)
    #[arg(long, value_name = "keep|host|N", default_value = "keep", value_parser = parse_rootid)]
    pub(super) cap_rootid: RootidPolicy,
    /// Keep a symlink to a directory where the archive has a directory, and extract what is
    /// beneath it through the symlink (lib -> usr/lib), as GNU tar's --keep-directory-symlink;
    /// symlinks are resolved with the destination as / (nothing leads out of it)
    #[arg(long)]
    pub(super) keep_directory_symlink: bool,
    /// A GNU incremental archive (made with -g): each directory that is there already first
    /// loses what its listing in the archive does not name (with everything in it) and gets
    /// the directory renames it records, as GNU tar's -G; extracting a chain of dumps in order
    /// leaves the last one's tree
    #[arg(short = 'G', long)]
    pub(super) incremental: bool,
    /// As --incremental; SNAPSHOT is not read (GNU tar's -g when extracting: `-g /dev/null`)
    #[arg(short = 'g', long, value_name = "SNAPSHOT")]
    pub(super) listed_incremental: Option<PathBuf>,
    /// List each member on stdout as it is extracted (on stderr with -O)
    #[arg(short, long)]
    pub(super) verbose: bool,
    /// Leave modification times as the extraction makes them (now), as tar's -m
    #[arg(short = 'm', long)]
    pub(super) touch: bool,
    /// Write the data of the selected regular files to standard output, one after the other;
    /// nothing is created (so no capability is restored)
    #[arg(short = 'O', long)]
    pub(super) to_stdout: bool,
    #[command(flatten)]
    pub(super) select: SelectArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["file", "manifest"])))]
pub struct VerifyArgs {
    /// Archive to compare with; `-` for standard input
    #[arg(short = 'f', long = "file", value_name = "ARCHIVE", allow_hyphen_values = true)]
    pub(super) file: Option<PathBuf>,
    /// A `getcap -r` / `getcap -n -r` output, or a `caps scan --json` one, to compare with instead of an archive
    #[arg(long, value_name = "FILE")]
    pub(super) manifest: Option<PathBuf>,
    /// The tree to check (default: the current directory; for absolute manifest paths, /);
    /// given again, each from the one before, as tar changes directory in turn
    #[arg(short = 'C', long = "directory", value_name = "DIR", action = clap::ArgAction::Append, allow_hyphen_values = true)]
    pub(super) directory: Vec<PathBuf>,
    /// Also compare type, mode, owner, size, mtime, link targets, hard links, devices,
    /// contents and every xattr the archive carries
    #[arg(long)]
    pub(super) all: bool,
    /// One JSON document with the differences and a summary
    #[arg(long)]
    pub(super) json: bool,
    /// Set for tar-style `-d` without `-v` (not an option): no summary line when nothing
    /// differs, as GNU tar's `--compare` prints nothing then (`dispatch::run`).
    #[arg(skip)]
    pub(super) summary_on_difference: bool,
    /// Also report capped files under the verified paths that the archive or manifest lacks
    #[arg(long)]
    pub(super) extra: bool,
    /// Mark risky capabilities in the differences
    #[arg(long)]
    pub(super) risk: bool,
    /// Go through symlinks to directories in members' paths, within the tree, and take a
    /// directory member found as such a symlink as extract --keep-directory-symlink left it
    #[arg(long)]
    pub(super) keep_directory_symlink: bool,
    /// Follow symlinks on disk, at members' names and in their paths, wherever they lead (as
    /// GNU tar's -h --compare): for an archive made with create --dereference
    #[arg(long)]
    pub(super) dereference: bool,
    /// Remove N leading components from member names (and hard-link targets), as extract
    /// --strip-components extracted them; members stripped to nothing are not compared
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(super) strip_components: usize,
    /// Members are beneath DIR, as extract --one-top-level put them (without =DIR, the
    /// archive's name less its .tar and compression suffixes)
    #[arg(long, value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub(super) one_top_level: Option<OsString>,
    /// Compare the archive's capabilities as `extract --cap-rootid` with this policy wrote them
    #[arg(long, value_name = "keep|host|N", default_value = "keep", value_parser = parse_rootid)]
    pub(super) cap_rootid: RootidPolicy,
    /// With --all, owners compared by the archive's numeric ids, as extract --numeric-owner
    /// restores them (by default a user or group name the archive gives that this system
    /// knows stands for its id here, as extract restores it and GNU tar's -d compares)
    #[arg(long)]
    pub(super) numeric_owner: bool,
    /// Name each member (or manifest path) as it is compared, before its differences, as GNU
    /// tar's -dv
    #[arg(short, long, conflicts_with = "json")]
    pub(super) verbose: bool,
    #[command(flatten)]
    pub(super) xattrs: VerifyXattrArgs,
    #[command(flatten)]
    pub(super) select: SelectArgs,
}

/// Which xattrs `verify --all` compares: with none of these, every one the archive carries;
/// with any, those extract with the same options restores.
#[derive(Debug, Args)]
pub struct VerifyXattrArgs {
    /// With --all, compare the xattrs extract --xattrs restores (user.* unless
    /// --xattrs-include), not every one the archive carries
    #[arg(long)]
    pub(super) xattrs: bool,
    /// With --all, compare the xattrs whose name matches GLOB (implies --xattrs); repeatable
    #[arg(long, value_name = "GLOB", allow_hyphen_values = true)]
    pub(super) xattrs_include: Vec<String>,
    /// With --all, do not compare the xattrs whose name matches GLOB (implies --xattrs);
    /// repeatable
    #[arg(long, value_name = "GLOB", allow_hyphen_values = true)]
    pub(super) xattrs_exclude: Vec<String>,
    /// With --all and --xattrs (or its patterns), compare POSIX ACLs too, as extract --acls
    /// restores them
    #[arg(long)]
    pub(super) acls: bool,
    /// With --all and --xattrs (or its patterns), compare SELinux labels too
    #[arg(long)]
    pub(super) selinux: bool,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    #[command(flatten)]
    pub(super) xattrs: XattrArgs,
    /// Leave out files whose name (or any tail of it) matches GLOB; an absolute GLOB names a
    /// path beneath SRC (`--exclude /proc`), as rsync anchors it; repeatable
    #[arg(long, value_name = "GLOB")]
    pub(super) exclude: Vec<std::ffi::OsString>,
    /// Stay on SRC's filesystem
    #[arg(long)]
    pub(super) one_file_system: bool,
    /// Do not restore owners (the default when not root)
    #[arg(long)]
    pub(super) no_same_owner: bool,
    /// Use numeric uid/gid, not names
    #[arg(long)]
    pub(super) numeric_owner: bool,
    /// Copy the rest when a capability cannot be restored, and list them all at the end
    #[arg(long)]
    pub(super) keep_going: bool,
    /// Rootid of namespaced (v3) capabilities: keep, host (write v2) or a uid
    #[arg(long, value_name = "keep|host|N", default_value = "keep", value_parser = parse_rootid)]
    pub(super) cap_rootid: RootidPolicy,
    /// Skip the verify (capabilities and all metadata) that runs after the copy
    #[arg(long)]
    pub(super) no_verify: bool,
    /// List each file as it is copied (on stderr)
    #[arg(short, long)]
    pub(super) verbose: bool,
    /// The directory whose contents are copied
    pub(super) src: PathBuf,
    /// Where they go (created if missing)
    pub(super) dst: PathBuf,
}

fn parse_rootid(s: &str) -> std::result::Result<RootidPolicy, String> {
    match s {
        "keep" => Ok(RootidPolicy::Keep),
        "host" => Ok(RootidPolicy::Host),
        // 4294967295 is (uid_t)-1, no uid: the kernel takes it for "no change".
        n => {
            let id = n
                .parse::<u32>()
                .ok()
                .filter(|&id| id != u32::MAX)
                .ok_or_else(|| format!("{n:?}: expected keep, host or a uid (0 to 4294967294)"))?;
            // In a user namespace, a rootid it does not map is one the kernel takes for no
            // file: refused before anything is written (found by audit: every file failed,
            // with a guess at why).
            match crate::xattr::unmapped_here(id) {
                Some(map) => Err(format!(
                    "{id} is no uid of this user namespace (its uid map: {map}), so the kernel takes no capability with that rootid here; give a uid it maps (as seen here), or host"
                )),
                None => Ok(RootidPolicy::Set(id)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
}
