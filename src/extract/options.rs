/*!
What an extraction is asked to do: the options struct the CLI fills in before any work starts,
and what each choice means for a file already where a member goes (`Existing`).
*/

use std::path::PathBuf;

use super::Backups;
use crate::caps::FileCaps;
use crate::select::{Selection, XattrPolicy};

/// What to do with a v3 (namespaced) capability's rootid on restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootidPolicy {
    /// Write values as archived.
    Keep,
    /// Write v2 values, valid for the host (what Docker does when it builds layers).
    Host,
    /// Write every value (v2 too) as v3 with this rootid: an image for a namespace whose root
    /// is this host uid.
    Set(u32),
}

impl RootidPolicy {
    /// The value written for an archived one (v1 always becomes v2: the kernel refuses v1).
    /// Rootid 0 is v2: the kernel stores a v3 value for this namespace's root as v2 (in a
    /// user namespace, both as v3 for its root), so a v2 value is not rewritten for it, nor
    /// said to be written as v3 (found by review).
    pub fn apply(self, caps: FileCaps) -> FileCaps {
        match (self, caps.revision) {
            (RootidPolicy::Set(0), _) => caps.to_v2(),
            (RootidPolicy::Set(r), _) => caps.with_rootid(r),
            (RootidPolicy::Host, _) | (RootidPolicy::Keep, crate::caps::Revision::V1) => caps.to_v2(),
            (RootidPolicy::Keep, _) => caps,
        }
    }

    /// The closing note for `n` capabilities written with another value than archived
    /// (none: none), so a migration's rewrites are counted, not only made.
    pub fn rewritten_note(self, n: u64) -> Option<String> {
        let what = match n {
            0 => return None,
            1 => "1 capability was".to_string(),
            n => format!("{n} capabilities were"),
        };
        Some(match self {
            RootidPolicy::Keep => format!("{what} archived as v1 and written as v2 (the kernel takes no v1)"),
            // In a user namespace the kernel stores a v2 value for the namespace's root (found
            // by review: "for the host" was said of values stored with rootid 100000).
            RootidPolicy::Host if !crate::xattr::caps_for_host() => format!(
                "{what} written as v2, which the kernel stores for this user namespace's root, not as archived \
                 (--cap-rootid host; a capability for the host can be written only from the initial namespace)"
            ),
            RootidPolicy::Host => format!("{what} written as v2, for the host, not as archived (--cap-rootid host)"),
            RootidPolicy::Set(0) => {
                format!("{what} written as v2, for this namespace's root, not as archived (--cap-rootid 0)")
            }
            RootidPolicy::Set(r) => format!("{what} written as v3 with rootid {r}, not as archived (--cap-rootid {r})"),
        })
    }
}

/// What to do when the destination already has a file of a member's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Replace,
    /// `--keep-old-files`: an existing file is an error.
    Keep,
    /// `--skip-old-files`: an existing file is left alone silently.
    Skip,
    /// `--keep-newer-files`: an existing file as new as the member or newer is left alone (a
    /// note says so); an older one is replaced.
    KeepNewer,
    /// `--no-overwrite-dir`: replaced as `Replace`, but an existing directory keeps its owner,
    /// mode and ACLs (GNU tar's option: its times and other xattrs are still set).
    NoOverwriteDir,
    /// `-U`/`--unlink-first`: replaced as `Replace`, and an empty directory where a member goes
    /// is removed first (a directory member then gets a new one); a non-empty one is an error
    /// of that member.
    UnlinkFirst,
}

impl Existing {
    /// Whether an existing file that reached the point of writing is replaced.
    pub(super) fn replaces(self) -> bool {
        !matches!(self, Existing::Keep | Existing::Skip)
    }

    /// Whether an existing file is looked at before the member is extracted (kept or not).
    pub(super) fn checks_first(self) -> bool {
        matches!(self, Existing::Keep | Existing::Skip | Existing::KeepNewer)
    }

    /// Whether an existing directory where the archive has one keeps all its metadata (GNU
    /// tar's -k and --skip-old-files; for --keep-newer-files no directory is newer, as there).
    pub(super) fn keeps_dirs(self) -> bool {
        matches!(self, Existing::Keep | Existing::Skip)
    }
}

#[derive(Debug, Clone)]
pub struct ExtractOptions {
    pub archive: PathBuf,
    pub directory: PathBuf,
    /// The members extracted: those named, less those excluded.
    pub select: Selection,
    pub xattrs: XattrPolicy,
    pub same_owner: bool,
    /// Modes as archived (`-p`, root's default); else without the umask's bits, setuid,
    /// setgid and sticky, as GNU tar.
    pub same_permissions: bool,
    pub numeric_owner: bool,
    pub existing: Existing,
    /// `--recursive-unlink`: a directory where a member goes, there before the extraction, is
    /// removed with everything in it first (a directory member then gets a new, empty one).
    pub recursive_unlink: bool,
    pub keep_going: bool,
    pub rootid: RootidPolicy,
    pub verbose: bool,
    /// Write the selected regular files' data to standard output instead (`-O`); nothing is
    /// created.
    pub to_stdout: bool,
    /// Leave modification times as the extraction makes them (`-m`).
    pub touch: bool,
    /// Leading components removed from member names and hard-link targets (tar's
    /// --strip-components); a member with no more than that many is not extracted.
    pub strip_components: usize,
    /// Every member goes beneath this directory unless its name starts with it (tar's
    /// --one-top-level); relative, without `..`.
    pub top_level: Option<PathBuf>,
    /// A symlink to a directory where the archive has a directory stays and is gone through
    /// (GNU tar's `--keep-directory-symlink`), resolved within the destination.
    pub keep_directory_symlink: bool,
    /// Draw a progress bar on stderr (the CLI decides: a terminal, no -q).
    pub progress: bool,
    /// `--checkpoint`: actions every N records read.
    pub checkpoints: std::option::Option<std::sync::Arc<crate::checkpoint::Checkpoints>>,
    /// `--backup`: files where members go are renamed to backup names first.
    pub backups: Option<Backups>,
    /// The archive is read in records of this many bytes (GNU tar's `--record-size`): what
    /// `--totals` counts.
    pub record: u64,
    /// A GNU incremental archive's directories remove what they do not list (`-G`, `-g`):
    /// see `incremental`.
    pub incremental: bool,
    /// The extraction is `copy`'s: advice names what copy does (no `-U`, no
    /// `--recursive-unlink`; "copy again").
    pub copy: bool,
    /// Say at the end how many members had xattrs or ACLs that no option asked to restore:
    /// not where an option declined them (`--no-xattrs`, `--no-acls`, `--no-selinux`).
    pub note_unasked_xattrs: bool,
}

impl ExtractOptions {
    /// The command advice names: `extract`, or `copy` for copy's extraction.
    pub(super) fn verb(&self) -> &'static str {
        if self.copy { "copy" } else { "extract" }
    }

    /// What stops: "the copy stopped here" in a copy (it said "extraction"; found by review).
    pub(super) fn noun(&self) -> &'static str {
        if self.copy { "copy" } else { "extraction" }
    }

    /// Whether what is where a member goes is removed first (`-U`, `--recursive-unlink`): see
    /// `Run::unlink_first`.
    pub(super) fn unlinks_first(&self) -> bool {
        self.recursive_unlink || self.existing == Existing::UnlinkFirst
    }
}
