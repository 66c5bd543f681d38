/*!
Regular files: small ones handed to the writing threads, large, sparse or capped ones written
here; each an unnamed inode given its metadata (capability last), then linked under its name.
*/

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use super::atomic;
use super::pool::{ArchiveFile, INLINE_MAX, Job};
use super::restore::Restorer;
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
        let to_workers = !reader.is_sparse() && (!capped || self.opts.keep_going);
        // Each directory the files in flight go into is held open: under a low limit of open
        // files, a new one waits for them.
        if to_workers && self.pool.as_ref().is_some_and(|p| p.parents_full(parent_rel)) {
            self.drain().map_err(Failure::Stop)?;
        }
        if to_workers && let Some(pool) = &mut self.pool {
            // Out of a plain archive file, a worker copies the data from the file itself (in
            // the kernel) while the reader seeks on: no buffer, whatever the size. A large file
            // only where space cannot run short (see below). Otherwise a small file's data is
            // read here, into a buffer the worker hands back.
            let in_archive = match reader.data_in_file() {
                Some((fd, offset)) if meta.size <= INLINE_MAX || pool.room_for(parent.as_fd(), meta.size) => {
                    pool.archive_file(fd, reader.archive_name()).map(|archive| (archive, offset))
                }
                _ => None,
            };
            if in_archive.is_some() || meta.size <= INLINE_MAX {
                let data = match in_archive {
                    Some(_) => Vec::new(),
                    None => pool
                        .read_data(reader, meta.size as usize)
                        .map_err(|e| Failure::Stop(Error::of_data(path, e)))?,
                };
                let (name, meta, rel) = (name.to_os_string(), meta.clone(), rel.to_path_buf());
                let job = Job { parent, name, meta, data, in_archive, rel, seq: 0 };
                return pool.push(job).map_err(|e| Failure::Stop(Error::entry(path, e)));
            }
        }
        // A large (or capped) member is written here while the workers finish the earlier
        // files. Where space may run short, it waits for them: on a filling disk the earlier
        // files get the space first, as when members are extracted one at a time. An earlier
        // file that already failed stops it first.
        self.poll().map_err(Failure::Stop)?;
        let room = self.pool.as_mut().is_some_and(|pool| pool.room_for(parent.as_fd(), meta.size));
        match &mut self.pool {
            Some(pool) if room => pool.flush().map_err(|e| Failure::Stop(Error::entry(path, e)))?,
            _ => self.drain().map_err(Failure::Stop)?,
        }
        let written = (|| {
            let mode = self.restorer.create_mode(meta);
            let mut tmp =
                atomic::TempFile::create(parent.as_fd(), mode).map_err(|e| classify(path, "create file", e))?;
            atomic::write_data(reader, &mut tmp).map_err(|e| match e {
                atomic::DataError::Archive(e) => Failure::Stop(e),
                atomic::DataError::Write(e) => classify(path, "write", e),
            })?;
            finish_file(self.restorer, self.opts, tmp, parent.as_fd(), name, rel, meta)
        })();
        // Its failure comes after the earlier files' results, as in archive order; an earlier
        // file that stopped the extraction is the error, this one's named before it (found by
        // review: it was not said).
        if let Err(failure) = written {
            if let Err(earlier) = self.drain() {
                match failure {
                    Failure::Stop(e) | Failure::Member(e) => self.report.error(e),
                    Failure::Warn(kind, e) => self.report.warn_as(kind, e),
                    cap => {
                        if let Err(e) = self.handle(path, Err(cap)) {
                            self.report.error(e);
                        }
                    }
                }
                return Err(Failure::Stop(earlier));
            }
            return Err(failure);
        }
        Ok(())
    }
}

pub(super) fn write_job(restorer: &Restorer, opts: &ExtractOptions, job: &Job) -> Result<(), Failure> {
    let path = &job.meta.path;
    let tmp = atomic::TempFile::create(job.parent.as_fd(), restorer.create_mode(&job.meta))
        .map_err(|e| classify(path, "create file", e))?;
    match &job.in_archive {
        Some((archive, offset)) => copy_from_archive(archive, *offset, &job.meta, tmp.fd())?,
        None => atomic::write_all(tmp.fd(), &job.data).map_err(|e| classify(path, "write", e))?,
    }
    finish_file(restorer, opts, tmp, job.parent.as_fd(), &job.name, &job.rel, &job.meta)
}

/// Copies the member's data (`meta.size` bytes at `offset` of the archive file) into `out`, in
/// the kernel (sendfile: one copy, no buffer). Where the kernel will not, or fails, the rest
/// goes through a buffer, where a failure tells a read of the archive from a write.
fn copy_from_archive(archive: &ArchiveFile, offset: u64, meta: &EntryMeta, out: BorrowedFd<'_>) -> Result<(), Failure> {
    let (path, end) = (&meta.path, offset + meta.size);
    let archive_error =
        |at: u64, e: &io::Error| Failure::Stop(crate::format::reader::file_data_error(&archive.name, path, at, e));
    let ended = || io::Error::from(io::ErrorKind::UnexpectedEof);
    let mut at = offset;
    while at < end {
        let mut from = at;
        // At most 1 GiB a call (the kernel's limit is just under 2 GiB).
        match rustix::fs::sendfile(out, &archive.fd, Some(&mut from), (end - at).min(1 << 30) as usize) {
            Ok(0) => return Err(archive_error(at, &ended())),
            Ok(n) => at += n as u64,
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => break,
        }
    }
    let mut buf = vec![0u8; (end - at).min(1 << 20) as usize];
    while at < end {
        let want = (end - at).min(buf.len() as u64) as usize;
        let n = match rustix::io::pread(&archive.fd, &mut buf[..want], at) {
            Ok(0) => return Err(archive_error(at, &ended())),
            Ok(n) => n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(archive_error(at, &e.into())),
        };
        atomic::write_all(out, &buf[..n]).map_err(|e| classify(path, "write", e))?;
        at += n as u64;
    }
    Ok(())
}

/// Metadata (capability last) on the written file, then its name. A capability that cannot be
/// restored leaves the file unnamed unless `keep_going`.
fn finish_file(
    restorer: &Restorer,
    opts: &ExtractOptions,
    tmp: atomic::TempFile,
    parent: BorrowedFd<'_>,
    name: &OsStr,
    rel: &Path,
    meta: &EntryMeta,
) -> Result<(), Failure> {
    let path = &meta.path;
    let replace = opts.existing.replaces();
    let removed = |key| restorer.record_removed(rel, key);
    let restored = restorer.file_meta(tmp.fd(), meta).map_err(|e| classify(path, "set metadata", e))?;
    // Like GNU tar: an owner or an xattr the destination refuses is an error of this member,
    // and the file (with its capability) is kept; without its capability, only with
    // --keep-going.
    if restored.caps.is_ok() || opts.keep_going {
        existing_outcome(opts.existing, path, tmp.link_into(parent, name, replace, &removed))?;
    }
    restored.outcome(path)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Kind;
    use std::io::{Seek, Write};
    use std::os::fd::OwnedFd;

    fn archive(bytes: &[u8]) -> ArchiveFile {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        ArchiveFile { fd: OwnedFd::from(f), name: "a.tar".into() }
    }

    /// The member's bytes, from their offset (in the kernel, and through a buffer where the
    /// file ends early); an archive cut short since it was read is the reader's error for it,
    /// at the byte where the data stops, and stops the extraction.
    #[test]
    fn data_is_copied_from_its_offset_and_a_short_archive_is_its_error() {
        let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let a = archive(&bytes);
        for (offset, size) in [(0u64, 0u64), (512, 1), (1024, 70_000), (7, 2_999_993)] {
            let mut meta = EntryMeta::new("m".into(), Kind::File);
            meta.size = size;
            let mut out = tempfile::tempfile().unwrap();
            assert!(copy_from_archive(&a, offset, &meta, out.as_fd()).is_ok());
            out.rewind().unwrap();
            let mut got = Vec::new();
            std::io::Read::read_to_end(&mut out, &mut got).unwrap();
            assert!(got == bytes[offset as usize..(offset + size) as usize], "{size} bytes at {offset}");
        }
        let mut meta = EntryMeta::new("dir/m".into(), Kind::File);
        meta.size = 100;
        let out = tempfile::tempfile().unwrap();
        match copy_from_archive(&a, 2_999_950, &meta, out.as_fd()) {
            Err(Failure::Stop(e)) => assert_eq!(
                e.to_string(),
                "a.tar: dir/m: the archive is truncated: it ends inside an entry; the file was cut short or is still being written (at byte 3000000)"
            ),
            _ => panic!("not an error that stops the extraction"),
        }
    }
}
