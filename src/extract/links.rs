/*!
Hard links to files the workers are still writing: made when the file is done, while the
members after them go on. A link is often the member right after its file (`perl`, then
`perl5.36.0`), where waiting for the file meant waiting for every file in flight, with the
reader stopped and the workers running dry (56 ms of a 0.75 s extraction of /usr).

A link waiting so counts as in flight under its own name, so a later member that conflicts with
it (the same name, a name beneath it, a link to it) waits for it as for a worker's file, and
every wait for the workers (`drain`) ends with it made. Only where nothing else happens before
a link is made (no --backup, -U, -k, --keep-newer-files, --skip-old-files or
--keep-directory-symlink, which look at what is there or rename it first), and not for a link
carrying a capability, which stops the extraction at its own member when its file lacks it.
*/

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{Failure, Run, SafeName};
use crate::error::Result;
use crate::format::{EntryMeta, Kind};

/// A hard-link member waiting for the file it names.
pub(super) struct LaterLink {
    rel: PathBuf,
    parent_rel: PathBuf,
    name: OsString,
    meta: EntryMeta,
}

/// The most hard links that wait for their files in flight: what a waiting link holds (its
/// member, about 500 bytes) stays under a few MiB however many links the archive has. (Counted
/// apart from the files in flight, which on many cores are thousands: found by review.)
const LINKS_WAITING_MAX: usize = 4096;

impl Run<'_> {
    /// Takes a hard-link member whose target a worker is writing, to be made once it is done
    /// (`links_to`); false where it is to be made now, after `wait_for_conflicts`.
    pub(super) fn link_later(&mut self, name: &SafeName, meta: &EntryMeta) -> bool {
        // Every member comes here: anything but a hard link goes on at once.
        if meta.kind != Kind::HardLink || name.is_root() {
            return false;
        }
        let Some(pool) = &self.pool else { return false };
        let opts = self.opts;
        let plain = opts.backups.is_none()
            && !opts.unlinks_first()
            && !opts.existing.checks_first()
            && !opts.keep_directory_symlink;
        // A link carrying a capability is checked in archive order: one its file lacks stops the
        // extraction there, with nothing after it written (unless --keep-going).
        let capped = meta.caps_raw().is_some() && opts.xattrs.caps && !opts.keep_going;
        if !plain || capped {
            return false;
        }
        let rel = name.rel.as_path();
        let Some(target) = meta.link.as_deref().and_then(|l| SafeName::parse(l).ok()) else { return false };
        if !pool.in_flight.contains(target.rel.as_os_str()) {
            return false;
        }
        // At most so many wait: past them the link waits for the files in flight, as a
        // conflict does, and those waiting are made (found by audit: 300,000 links to three
        // files still in an unsent batch all waited, 133 MiB).
        if pool.links_waiting >= LINKS_WAITING_MAX {
            return false;
        }
        // Anything else in flight where it goes is a conflict `wait_for_conflicts` waits for.
        if super::driver::ancestors(rel).any(|a| pool.in_flight.contains(a)) || pool.is_parent(rel) {
            return false;
        }
        // Its directories are made now, in archive order, as a worker's file's are before it is
        // handed on: a later member of one of their names finds it there (a file `x` after the
        // link `x/y/l` fails), `--no-overwrite-dir` and `-G` see it (found by review: made
        // only with the link, later). One that cannot be made is the link's error, in its turn.
        let (parent_rel, file_name) = name.split();
        if self.dest.dir(parent_rel).is_err() {
            return false;
        }
        let Some(pool) = &mut self.pool else { return false };
        pool.in_flight.insert(rel.as_os_str().to_os_string());
        pool.entered_parent(rel);
        let later = LaterLink {
            rel: rel.to_path_buf(),
            parent_rel: parent_rel.to_path_buf(),
            name: file_name.to_os_string(),
            meta: meta.clone(),
        };
        pool.later_links.entry(target.rel.into_os_string()).or_default().push(later);
        pool.links_waiting += 1;
        true
    }

    /// The links waiting for `rel`, just done, and those waiting for them in turn: made when
    /// `make`, else let go (`rel` stopped the extraction). The first failure that stops the
    /// extraction is returned once every one of them is out of flight.
    pub(super) fn links_to(&mut self, rel: &Path, make: bool) -> Result<()> {
        if self.pool.as_ref().is_none_or(|p| p.later_links.is_empty()) {
            return Ok(());
        }
        let mut ready: Vec<OsString> = vec![rel.as_os_str().to_os_string()];
        let mut outcome = Ok(());
        while let Some(done) = ready.pop() {
            let Some(links) = self.pool.as_mut().and_then(|p| p.later_links.remove(&done)) else { continue };
            if let Some(pool) = &mut self.pool {
                pool.links_waiting -= links.len();
            }
            for link in links {
                if let Some(pool) = &mut self.pool {
                    pool.in_flight.remove(link.rel.as_os_str());
                    pool.left_parent(&link.rel);
                }
                if make && outcome.is_ok() {
                    self.forget_removed();
                    let mut made = self.hard_link(&link.parent_rel, &link.name, &link.meta);
                    // The advice a link made in its turn gets (found by review: a directory in
                    // the way of a deferred link was said without it).
                    if let Err(Failure::Stop(e) | Failure::Member(e)) = &mut made {
                        self.explain(&link.rel, e);
                    }
                    self.note_link_to_lost(&link.meta, &made);
                    outcome = self.handle(&link.meta.path, made);
                } else {
                    self.note_link_let_go(&link.meta);
                }
                ready.push(link.rel.into_os_string());
            }
        }
        outcome
    }
}
