/*!
What a verify is asked to do: what is compared with the disk (an archive or a `getcap`
manifest), and the options struct the CLI fills in before any work starts.
*/

use std::path::PathBuf;

use crate::extract::RootidPolicy;
use crate::select::Selection;

/// What is compared against DIR.
#[derive(Debug, Clone)]
pub enum Source {
    Archive(PathBuf),
    /// The output of `getcap -r` / `getcap -n -r`.
    Manifest(PathBuf),
}

impl Source {
    pub(super) fn label(&self) -> &'static str {
        match self {
            Source::Archive(_) => "archive",
            Source::Manifest(_) => "manifest",
        }
    }
}

#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub source: Source,
    /// DIR; `None` means the current directory (and `/` for absolute manifest paths).
    pub directory: Option<PathBuf>,
    /// The members (or manifest paths) compared: those named, less those excluded.
    pub select: Selection,
    pub all: bool,
    pub json: bool,
    pub extra: bool,
    pub risk: bool,
    /// Draw a progress bar on stderr (the CLI decides: a terminal, no -q, no --json).
    pub progress: bool,
    /// Compare the archive's capabilities as extract with this `--cap-rootid` writes them.
    pub rootid: RootidPolicy,
    /// Print the summary line when nothing differs (`copy -q` does not).
    pub summary_on_pass: bool,
    /// Members' paths go through symlinks to directories, and a directory member found as
    /// one is as `extract --keep-directory-symlink` left it.
    pub keep_directory_symlink: bool,
    /// Symlinks on disk followed, at members' names and in their paths, wherever they lead
    /// (`--dereference`, GNU tar's `-h --compare`): an archive made with `create -h` holds what
    /// they lead to. Archives only.
    pub dereference: bool,
    /// Members' names (and hard-link targets) lose this many leading components, as
    /// `extract --strip-components` extracted them; those stripped to nothing are not compared.
    pub strip_components: usize,
    /// Members are beneath this directory, as `extract --one-top-level` put them.
    pub top_level: Option<PathBuf>,
    /// `--checkpoint`: actions every N records of the archive read.
    pub checkpoints: std::option::Option<std::sync::Arc<crate::checkpoint::Checkpoints>>,
    /// The archive is read in records of this many bytes (GNU tar's `--record-size`): what
    /// `--totals` counts.
    pub record: u64,
    /// Print each member's name as it is compared, after this prefix: `Verify ` as GNU tar's
    /// `-W` does with `-v`, none as its `-dv`.
    pub name_members: Option<&'static str>,
    /// With `all`: compare owners (not when they were not restored: `copy --no-same-owner`).
    pub owners: bool,
    /// Owners are the archive's ids; else a user or group name the archive gives that this
    /// system knows stands for its id here, as extract restores it (GNU tar's `-d` the same).
    pub numeric_owner: bool,
    /// With `all`: the xattrs compared besides the capability, as extract with the same
    /// options restores them (`--xattrs`, `--xattrs-include`, `--acls`...), those on disk the
    /// archive lacks among them; `None`, every one the archive carries (and only those: an
    /// archive made without `--xattrs` carries none).
    pub xattrs: Option<std::sync::Arc<crate::select::XattrPolicy>>,
}

impl VerifyOptions {
    /// Members are found elsewhere than their names say (`--strip-components`,
    /// `--one-top-level`), so `--occurrence` counts them over the whole archive, as extract.
    pub(super) fn moves_members(&self) -> bool {
        self.strip_components > 0 || self.top_level.is_some()
    }
}
