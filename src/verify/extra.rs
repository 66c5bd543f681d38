/*!
`verify --extra`: the capped files on disk, under what was verified, that the archive or
manifest does not name; named the way the first name verified is written.
*/

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{DiffKind, Source, Verifier};
use crate::audit::scan::{self, ScanOptions};
use crate::error::{Error, Result};
use crate::extract::SafeName;

impl Verifier<'_> {
    /// Remembers how the first name verified is written (`/usr/bin/x`, `./bin/x`, `bin/x`), so
    /// that `--extra` names what it finds the same way.
    pub(super) fn note_style(&mut self, name: &Path) {
        if self.style.is_none() {
            let b = name.as_os_str().as_bytes();
            self.style = Some(if b.starts_with(b"/") {
                "/"
            } else if b.starts_with(b"./") {
                "./"
            } else {
                ""
            });
        }
    }

    /// `--extra`: capped files on disk, under what was verified, that the archive or manifest
    /// does not name; named as the archive's members or the manifest's paths are.
    pub(super) fn extra(&mut self) -> Result<()> {
        // Paths beneath the root (an archive, or a manifest under -C), else a manifest's own.
        let beneath = matches!(self.opts.source, Source::Archive(_)) || self.opts.directory.is_some();
        // Archived directories that are symlinks on disk kept by --keep-directory-symlink, and
        // where they lead (as the walk reaches it from DIR): what is there is theirs.
        let mut kept: Vec<(PathBuf, PathBuf)> = Vec::new();
        let roots: Vec<PathBuf> = match &self.opts.source {
            Source::Archive(_) => {
                let mut dirs = std::mem::take(&mut self.dirs);
                dirs.sort();
                if self.opts.keep_directory_symlink {
                    kept = self.kept_dir_symlinks(&dirs);
                }
                // Walking a directory covers its subdirectories: keep the outermost ones.
                let mut outer: Vec<PathBuf> = Vec::new();
                for d in dirs {
                    if !outer.last().is_some_and(|o| d.starts_with(o)) {
                        outer.push(d);
                    }
                }
                outer
            }
            // A manifest does not say which directories getcap scanned (a few capped files in
            // one directory do not mean the rest of the tree was not looked at): the paths
            // named, else all of DIR.
            Source::Manifest(_) if !self.opts.select.members.is_empty() => match beneath {
                true => self.opts.select.members.iter().map(|m| SafeName::rel_of(m)).collect(),
                false => self.opts.select.members.clone(),
            },
            Source::Manifest(_) if beneath => vec![PathBuf::new()],
            // Refused before the run, where options are read; here for a caller that did not.
            Source::Manifest(path) => return Err(Error::entry(path, super::EXTRA_NOWHERE)),
        };
        let roots: Vec<PathBuf> = if beneath {
            // Only those reached without a symlink: one planted in their path would take the
            // scan outside the root (what is beneath one is beneath it too).
            // A file named (`--extra usr/bin/ping`) is checked alone, as without -C: reached
            // when its directory is and it is no symlink.
            let mut reached = |d: &PathBuf| {
                use rustix::fs::FileType;
                let Some(dest) = self.dirs_open.dest.as_mut() else { return true };
                if matches!(dest.open_dir(d), Ok(Some(_))) {
                    return true;
                }
                self.dirs_open.stat_beneath(d).is_some_and(|st| {
                    !matches!(FileType::from_raw_mode(st.st_mode), FileType::Symlink | FileType::Directory)
                })
            };
            // A path named for a manifest's --extra that leads nowhere beneath DIR checked
            // nothing: an error, as a member not found (an archived directory missing on disk
            // was reported as such already).
            let named = matches!(self.opts.source, Source::Manifest(_)) && !self.opts.select.members.is_empty();
            let mut kept = Vec::new();
            for d in roots {
                if reached(&d) {
                    // DIR itself as `DIR/.`: a symlink given as DIR is followed, as the
                    // members were compared through it (the scan, like getcap's nftw, walks no
                    // symlink it is given; found by review: `-C link` walked nothing, and
                    // passed). Its components are DIR's for the names below.
                    kept.push(match d.as_os_str().is_empty() {
                        true => self.root.join("."),
                        false => self.root.join(d),
                    });
                } else if named {
                    self.report.error(Error::entry(
                        self.root.join(&d),
                        "--extra: not a directory or file reached beneath DIR without a symlink; nothing checked there",
                    ));
                }
            }
            kept
        } else {
            roots
        };
        // The scan follows no symlink: a kept one is walked where it leads, under its name.
        let roots: Vec<PathBuf> = roots.into_iter().chain(kept.iter().map(|(_, to)| to.clone())).collect();
        if roots.is_empty() {
            return Ok(());
        }
        let scan_opts = ScanOptions { paths: roots, ..ScanOptions::default() };
        let mut found = Vec::new();
        let root = self.root.clone();
        // A file found beneath DIR has a name under each kept symlink that leads to it, then its
        // own; one found without -C, its path as the manifest would spell it.
        let names = |path: &Path| -> Vec<PathBuf> {
            match beneath {
                true => kept
                    .iter()
                    .filter_map(|(name, to)| Some(name.join(path.strip_prefix(to).ok()?)))
                    .chain(std::iter::once(path.strip_prefix(&root).unwrap_or(path).to_path_buf()))
                    .collect(),
                false => vec![spelled_alike(path)],
            }
        };
        // What was compared is not read again: an error reading it (a v3 rootid this namespace
        // does not map) was reported once already (found by review: it was reported twice). It
        // was compared if any of its names was (a symlink to another archived directory, or to
        // DIR, made every file there an extra; found by review).
        let seen = &self.seen;
        // Asked for every file the scan meets: no allocation unless a kept symlink leads there.
        let any_seen = |path: &Path| match beneath {
            true => {
                seen.contains(path.strip_prefix(&root).unwrap_or(path))
                    || kept
                        .iter()
                        .any(|(name, to)| path.strip_prefix(to).is_ok_and(|rest| seen.contains(name.join(rest))))
            }
            false => seen.contains(spelled_alike(path)),
        };
        scan::find_unless(&scan_opts, self.report, &any_seen, &mut |f| {
            found.push(f);
            Ok(())
        })?;
        // Reached twice (through a kept symlink, and where it leads): said once.
        let mut said = std::collections::HashSet::new();
        for f in found {
            // Named by its first name: under the innermost kept symlink leading to it.
            let key = match beneath {
                true => names(&f.path).swap_remove(0),
                false => f.path.clone(),
            };
            if !said.insert(key.clone()) {
                continue;
            }
            let shown = match (beneath, self.style) {
                (true, Some(prefix)) if !prefix.is_empty() => Path::new(prefix).join(&key),
                _ => key.clone(),
            };
            // What --exclude leaves out of the comparison is left out of the extras too: matched
            // as the archive would name the file (`./usr/bin/x`), and as found.
            let excludes = &self.opts.select.excludes;
            if !excludes.matches_named(&shown) && !excludes.matches_named(&key) {
                let risk = self.risk_of(Some(&f.caps));
                self.differ(&shown, DiffKind::ExtraCapped, None, Some(f.caps.text_with_rootid()), risk)?;
            }
        }
        Ok(())
    }

    /// Of the archived directories `dirs` (sorted), those that are symlinks on disk, kept by
    /// --keep-directory-symlink, the innermost first, each with where it leads beneath DIR as
    /// the walk from DIR reaches it (found by review: `--extra` walked past such a symlink,
    /// so a capability gained behind it went unreported, and reported the files it leads to,
    /// verified under the archive's names, as not in the archive).
    fn kept_dir_symlinks(&mut self, dirs: &[PathBuf]) -> Vec<(PathBuf, PathBuf)> {
        let Ok(real_root) = std::fs::canonicalize(&*self.root) else { return Vec::new() };
        let mut kept = Vec::new();
        for d in dirs {
            // A symlink as extraction saw it: looked up beneath DIR, through the kept symlinks
            // above it (found by review: an absolute one above it was followed on the host).
            let st = self.dirs_open.stat_beneath(d);
            if !st.is_some_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Symlink) {
                continue;
            }
            let Some(dest) = self.dirs_open.dest.as_mut() else { break };
            let Ok(Some(fd)) = dest.open_dir(d) else { continue };
            let proc = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
            let Ok(to) = std::fs::read_link(proc) else { continue };
            if let Ok(rest) = to.strip_prefix(&real_root) {
                kept.push((d.clone(), self.root.join(rest)));
            }
        }
        kept.reverse();
        kept
    }
}

/// A manifest's path, or one found by `--extra`'s scan, as the one file it names whatever the
/// spelling: made absolute from the current directory, without `.` components and doubled or
/// trailing slashes (`..` is kept: it may go through a symlink). A manifest of `getcap -r ./d`
/// checked with `--extra d` (or `/abs/d`) reported every file it had verified as a capped file
/// not in the manifest (found by review).
pub(super) fn spelled_alike(path: &Path) -> PathBuf {
    let absolute;
    let path = match path.is_absolute() {
        true => path,
        false => {
            absolute = std::env::current_dir().map(|cwd| cwd.join(path)).unwrap_or_else(|_| path.to_path_buf());
            &absolute
        }
    };
    path.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect()
}
