/*!
Regular files: small ones handed to the writing threads, large, sparse or capped ones written
here; each an unnamed inode given its metadata (capability last), then linked under its name.
*/

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use super::pool::{BATCH_BYTES, BATCH_FILES, INLINE_MAX, Job};
use super::restore::{self, Restored, Restorer};
use super::{Existing, ExtractOptions, Failure, Run, classify};
use crate::error::Error;
use crate::format::EntryMeta;
use crate::format::reader::Reader;

impl Run<'_> {
    pub(super) fn file(
        &mut self,
        reader: &mut Reader,
        rel: &Path,
        parent_rel: &Path,
        name: &OsStr,
        meta: &EntryMeta,
    ) -> Result<(), Failure> {
        let path = &meta.path;
        let parent =
            self.dest.dir(parent_rel).map_err(|e| Failure::Member(Error::io(path, "open parent directory", e)))?;
        // A capability that cannot be restored stops here, in archive order, before any worker
        // could write a later member.
        // A capped file is written here unless --keep-going: a capability that cannot be set
        // stops the extraction at its own member, with nothing after it written.
        let capped = meta.caps_raw().is_some() && self.opts.xattrs.caps;
        // A sparse file is written here too, where its holes are kept as holes.
        if let Some(pool) = &mut self.pool
            && meta.size <= INLINE_MAX
            && !reader.is_sparse()
            && (!capped || self.opts.keep_going)
        {
            let data =
                pool.read_data(reader, meta.size as usize).map_err(|e| Failure::Stop(Error::of_data(path, e)))?;
            pool.in_flight.insert(rel.as_os_str().to_os_string());
            pool.entered_parent(rel);
            pool.in_flight_bytes += data.len() as u64;
            // Memory held counts the buffer's capacity (up to twice the data).
            pool.batch_bytes += data.capacity() + meta.xattr_bytes();
            let job = Job { parent, name: name.to_os_string(), meta: meta.clone(), data, rel: rel.to_path_buf() };
            pool.batch.push(job);
            if pool.batch.len() >= BATCH_FILES || pool.batch_bytes >= BATCH_BYTES {
                pool.flush().map_err(|e| Failure::Stop(Error::entry(path, e)))?;
            }
            return Ok(());
        }
        // A large (or capped) member is written here while the workers finish the earlier
        // files. Where space may run short, it waits for them: on a filling disk the earlier
        // files get the space first, as when members are extracted one at a time. An earlier
        // file that already failed stops it first.
        self.poll().map_err(Failure::Stop)?;
        match &mut self.pool {
            Some(pool) if pool.room_for(parent.as_fd(), meta.size) => {
                pool.flush().map_err(|e| Failure::Stop(Error::entry(path, e)))?
            }
            _ => self.drain().map_err(Failure::Stop)?,
        }
        let written = (|| {
            let mode = self.restorer.create_mode(meta);
            let mut tmp =
                restore::TempFile::create(parent.as_fd(), mode).map_err(|e| classify(path, "create file", e))?;
            restore::write_data(reader, &mut tmp).map_err(|e| match e {
                restore::DataError::Archive(e) => Failure::Stop(e),
                restore::DataError::Write(e) => classify(path, "write", e),
            })?;
            finish_file(self.restorer, self.opts, tmp, parent.as_fd(), name, rel, meta)
        })();
        // Its failure comes after the earlier files' results, as in archive order; an earlier
        // file that stopped the extraction is the error.
        if written.is_err() {
            self.drain().map_err(Failure::Stop)?;
        }
        written
    }
}

pub(super) fn write_small_file(restorer: &Restorer, opts: &ExtractOptions, job: &Job) -> Result<(), Failure> {
    let path = &job.meta.path;
    let tmp = restore::TempFile::create(job.parent.as_fd(), restorer.create_mode(&job.meta))
        .map_err(|e| classify(path, "create file", e))?;
    restore::write_all(tmp.fd(), &job.data).map_err(|e| classify(path, "write", e))?;
    finish_file(restorer, opts, tmp, job.parent.as_fd(), &job.name, &job.rel, &job.meta)
}

/// Metadata (capability last) on the written file, then its name. A capability that cannot be
/// restored leaves the file unnamed unless `keep_going`.
fn finish_file(
    restorer: &Restorer,
    opts: &ExtractOptions,
    tmp: restore::TempFile,
    parent: BorrowedFd<'_>,
    name: &OsStr,
    rel: &Path,
    meta: &EntryMeta,
) -> Result<(), Failure> {
    let path = &meta.path;
    let replace = opts.existing.replaces();
    let removed = |key| restorer.record_removed(rel, key);
    let Restored { caps, problems } =
        restorer.file_meta(tmp.fd(), meta).map_err(|e| classify(path, "set metadata", e))?;
    if let Err(f) = caps {
        if opts.keep_going {
            existing_outcome(opts.existing, path, tmp.link_into(parent, name, replace, &removed))?;
        }
        return Err(Failure::Cap(f, problems));
    }
    existing_outcome(opts.existing, path, tmp.link_into(parent, name, replace, &removed))?;
    // Like GNU tar: an owner or an xattr the destination refuses is an error of this member,
    // and the file (with its capability) is kept.
    match problems.is_empty() {
        true => Ok(()),
        false => Err(Failure::Member(Error::entry(path, problems.join("; ")))),
    }
}

/// With `-k`/`--skip-old-files`, a name that appeared after the check (another process) is never
/// replaced: an error, or skipped.
fn existing_outcome(existing: Existing, path: &Path, linked: io::Result<()>) -> Result<(), Failure> {
    match linked {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && existing == Existing::Skip => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && existing == Existing::Keep => {
            Err(Failure::Member(Error::entry(path, "already exists; not replaced (--keep-old-files)")))
        }
        other => other.map_err(|e| classify(path, "link into place", e)),
    }
}
