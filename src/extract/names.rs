/*!
Where a member goes: its archived name as --transform, --strip-components and --one-top-level
change it, each as GNU tar applies it, before anything is made.
*/

use crate::error::ShowPath;
use std::path::{Path, PathBuf};

use super::{CapFailure, ExtractOptions, Run, SafeName};
use crate::format::{EntryMeta, Kind};
use crate::select::Members;

/// A member name without its first `n` components, counted as GNU tar counts them (a leading
/// `./` is one; empty ones between slashes are none); `None` when nothing is left.
pub(crate) fn strip(name: &Path, n: usize) -> Option<PathBuf> {
    let parts: Vec<&[u8]> = std::os::unix::ffi::OsStrExt::as_bytes(name.as_os_str())
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    let rest = parts.get(n..).filter(|r| !r.is_empty())?.join(&b'/');
    Some(PathBuf::from(<std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(rest)))
}

/// A member's name after --strip-components and --one-top-level (its hard-link target's too);
/// `None` when stripping leaves nothing to extract (as tar).
pub(super) fn strip_and_move(opts: &ExtractOptions, name: SafeName, meta: &mut EntryMeta) -> Option<SafeName> {
    let name = match opts.strip_components {
        0 => name,
        n => strip_member(n, meta)?,
    };
    Some(match &opts.top_level {
        Some(dir) => beneath_top_level(dir, name, meta),
        None => name,
    })
}

/// A member's name without its first `n` components (`--strip-components`, which verify takes
/// too), its hard-link target's as well; `None` when stripping leaves nothing (not extracted).
pub(crate) fn strip_member(n: usize, meta: &mut EntryMeta) -> Option<SafeName> {
    // (The rest of a name without `..` has none: `parse` cannot fail.)
    let path = strip(&meta.path, n)?;
    let stripped = SafeName::parse(&path).ok()?;
    meta.path = path;
    if meta.kind == Kind::HardLink {
        // tar strips hard-link targets too (one with `..` is refused later).
        meta.link = meta.link.as_deref().map(|l| strip(l, n).unwrap_or_default());
    }
    Some(stripped)
}

/// A member moved beneath `dir` (tar's --one-top-level) unless it is there already, after
/// --transform and --strip-components (as GNU tar); its hard-link target too (which GNU tar 1.34
/// leaves, so the link fails).
pub(crate) fn beneath_top_level(dir: &Path, name: SafeName, meta: &mut EntryMeta) -> SafeName {
    let moved = |rel: &Path| if rel.as_os_str().is_empty() { dir.to_path_buf() } else { dir.join(rel) };
    if meta.kind == Kind::HardLink
        && let Some(target) = meta.link.as_deref().and_then(|l| SafeName::parse(l).ok())
        && !target.rel.starts_with(dir)
    {
        meta.link = Some(moved(&target.rel));
    }
    if name.rel.starts_with(dir) {
        return name;
    }
    let rel = moved(&name.rel);
    meta.path = rel.clone();
    SafeName { rel, had_root: name.had_root }
}

/// The members to extract; with names changed beyond `--transform` (stripped, or put under a
/// top-level directory), the whole archive is read even with `--occurrence`.
pub(super) fn members_of(opts: &ExtractOptions) -> Members<'_> {
    let mut members = Members::new(&opts.select);
    if opts.strip_components > 0 || opts.top_level.is_some() {
        members.read_all();
    }
    members
}

impl Run<'_> {
    /// The name a member left out of the extraction would have been extracted as; `None` where
    /// none (a transform that makes it unsafe, stripped to nothing).
    pub(super) fn left_out_name(&self, meta: &EntryMeta, name: SafeName) -> Option<PathBuf> {
        let mut meta = meta.clone();
        let transforms = &self.opts.select.transforms;
        let name = match transforms.is_empty() {
            true => name,
            false => SafeName::renamed(transforms, &mut meta).ok()?.unwrap_or(name),
        };
        strip_and_move(self.opts, name, &mut meta).map(|n| n.rel)
    }

    /// The member as `--transform` names it, and its name as archived when that changed;
    /// `None` (reported) when the new name cannot be extracted.
    pub(super) fn rename(&mut self, meta: &mut EntryMeta, name: SafeName) -> Option<(SafeName, Option<PathBuf>)> {
        if self.opts.select.transforms.is_empty() {
            return Some((name, None));
        }
        let archived = meta.path.clone();
        match SafeName::renamed_on_disk(&self.opts.select.transforms, meta) {
            Ok(None) => Some((name, None)),
            Ok(Some(renamed)) => Some((renamed, Some(archived))),
            Err(why) => {
                self.report.error(format!("{}: {why}; skipped", archived.escaped()));
                meta.path = archived;
                self.note_skipped_caps(&meta.path, meta.caps_raw(), &why);
                None
            }
        }
    }

    /// A member skipped for its name (`..` in it, made empty by `--transform`, one the reader
    /// could not give: `Reader::take_unusable_caps`) with a capability `raw` is in the closing
    /// list of capabilities not restored, with why: the error named the member, not the
    /// capability lost with it (found by review).
    pub(super) fn note_skipped_caps(&mut self, path: &Path, raw: Option<&[u8]>, why: &str) {
        let Some(raw) = raw.filter(|_| self.restorer.wants_caps()) else { return };
        let Ok(caps) = crate::caps::FileCaps::decode(raw) else { return };
        self.cap_failures.push(CapFailure::with_reason(path, caps.text_with_rootid(), format!("skipped: {why}")));
    }
}
