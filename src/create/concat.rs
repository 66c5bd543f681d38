/*!
`captar concatenate` (tar's `-A`, `--catenate`, `--concatenate`): the members of other
archives added to the end of an uncompressed archive, as they are (their headers and data
copied, not re-read from any file), over its end-of-archive marker. Each archive to add is
read to its end first, so a damaged or compressed one stops the run before anything is
written; a failure or a signal midway cuts the archive back to what it was, as for append.
*/

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{Adding, first_nonzero, members_end, open_to_add};
use crate::error::{Error, IoContext, Outcome, Report, Result};
use crate::format::BLOCK;
use crate::format::compress::Compression;
use crate::format::writer::record_end;
use crate::temps;

/// An archive to add: the byte ranges that hold its members, in order (one, from its start to
/// its end-of-archive marker, but with `-i`).
struct Part<'a> {
    path: &'a Path,
    ranges: Vec<(u64, u64)>,
}

/// Adds the members of `others` to `archive` (made when missing), in order; with
/// `ignore_zeros` (`-i`), all the members of archives joined in one file, without the
/// end-of-archive markers between them, as GNU tar's `-iA`.
pub fn concatenate(
    archive: &Path,
    others: &[PathBuf],
    ignore_zeros: bool,
    record: u64,
    report: &Report,
) -> Result<Outcome> {
    // Missing is made, through a dangling symlink too (as GNU tar and `append` make it); any
    // other failure to look is said (found by review: a dangling symlink was "File exists").
    let target = match std::fs::metadata(archive) {
        Ok(md) => Some(md),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(archive, "open the archive", e)),
    };
    let dangling = target.is_none() && std::fs::symlink_metadata(archive).is_ok();
    let mut parts = Vec::with_capacity(others.len());
    for other in others {
        let md = std::fs::metadata(other).at(other, "open the archive to add")?;
        if target.as_ref().is_some_and(|t| (t.dev(), t.ino()) == (md.dev(), md.ino())) {
            return Err(Error::entry(other, "is the archive being added to; nothing added"));
        }
        if !md.is_file() {
            let what = if md.is_dir() { "a directory" } else { "not a regular file (a pipe or a device)" };
            return Err(Error::entry(other, format!("{what}: archives to add must be files; nothing added")));
        }
        let compressed = |compression: Compression| {
            format!(
                "is {}-compressed: its members are copied as they are, so decompress it first (nor can GNU tar add it); nothing added",
                compression.name()
            )
        };
        if ignore_zeros {
            parts.push(Part { path: other, ranges: member_ranges(other, compressed, report)? });
            continue;
        }
        let end = members_end(other, compressed, |_| {}, Some(report))?;
        // What follows its end marker would not be added: only zeros may (found by review:
        // `-iAf` dropped `-i`, and archives put one after another lost all but the first,
        // exit 0, as GNU tar's `-A` without `-i` loses them).
        let file = File::open(other).at(other, "open the archive to add")?;
        // Each archive added on its own was advice a single joined file cannot take (found by
        // review).
        let then = |at| {
            format!(
                "archives put one after another? Its members past it would be lost; nothing added (`captar list -i` \
                 shows them; add them all with -i, or split it: `head -c {at} ARCHIVE > first.tar; tail -c +{} ARCHIVE > rest.tar`)",
                at + 1
            )
        };
        super::refuse_data_after_end(&file, other, end, md.len(), "read the archive to add", &then)?;
        parts.push(Part { path: other, ranges: vec![(0, end)] });
    }
    let made = target.is_none();
    let Adding { file, end, len } = match target {
        Some(md) => open_to_add(archive, &md, |_| {})?,
        None => {
            // Through the symlink: O_CREAT without O_EXCL, and so a file made there meanwhile
            // is found by its length, not written over.
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(!dangling)
                .create(dangling)
                .open(archive)
                .at(archive, "create the archive")?;
            if file.metadata().at(archive, "stat the archive")?.len() != 0 {
                return Err(Error::entry(archive, "was made by another process while captar ran; run again"));
            }
            Adding { file, end: 0, len: 0 }
        }
    };
    let _signals = temps::SignalCleanup::install();
    let guard = temps::restore_on_signal(file.as_fd(), end, len).at(archive, "open the archive")?;
    let written = add(&file, end, &parts, archive, record);
    if let Err(e) = temps::settle_restore(guard, written.is_err()) {
        report.error(Error::io(archive, "put the archive's old end back after the failure", e));
    }
    // An archive made by this run and not completed goes (SIGKILL aside: an empty file); not
    // the symlink it was made through.
    if made && !dangling && written.is_err() {
        let _ = std::fs::remove_file(archive);
    }
    report.set_total(written?);
    Ok(report.outcome())
}

/// Writes the parts' members from `end` on, then an end-of-archive marker padded to a whole
/// record; the archive's new length.
fn add(file: &File, end: u64, parts: &[Part<'_>], archive: &Path, record: u64) -> Result<u64> {
    let mut out = temps::ArchiveWrite(file);
    (&*file).seek(SeekFrom::Start(end)).at(archive, "seek in the archive")?;
    let mut at = end;
    for part in parts {
        let mut from = File::open(part.path).at(part.path, "open the archive to add")?;
        for &(start, stop) in &part.ranges {
            from.seek(SeekFrom::Start(start)).at(part.path, "seek in the archive to add")?;
            let mut range = (&mut from).take(stop - start);
            let copied = io::copy(&mut range, &mut out).map_err(|e| Error::io(archive, "add to the archive", e))?;
            if copied != stop - start {
                return Err(Error::entry(
                    part.path,
                    "changed while it was added (it is shorter); the archive was left as it was",
                ));
            }
            at += copied;
        }
    }
    let new_len = record_end(at, record);
    io::copy(&mut io::repeat(0).take(new_len - at), &mut out).at(archive, "write the archive")?;
    // Under the write lock too: a signal's cleanup waits for it, not racing it.
    let _writing = temps::ArchiveWrite::start();
    file.set_len(new_len).at(archive, "truncate the archive")?;
    Ok(new_len)
}

/// With `-i`: the byte ranges of the archive `path` to add that hold its members, and what lies
/// between them but the zero blocks (end-of-archive markers, records' padding) of the archives
/// joined in it: a global header or a volume label is kept. Ranges that touch are one.
fn member_ranges(
    path: &Path,
    compressed: impl FnOnce(Compression) -> String,
    report: &Report,
) -> Result<Vec<(u64, u64)>> {
    let (compression, mut reader) = crate::format::open_archive(path)?;
    if compression != Compression::None {
        return Err(Error::entry(path, compressed(compression)));
    }
    reader.refuse_empty();
    reader.ignore_zeros(true);
    let file = File::open(path).at(path, "open the archive to add")?;
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    let mut push = |start: u64, stop: u64| match ranges.last_mut() {
        Some(last) if last.1 == start => last.1 = stop,
        _ if start < stop => ranges.push((start, stop)),
        _ => {}
    };
    let mut resume = 0;
    while let Some(entry) = reader.next_reporting(report, None)? {
        // From the block that holds the first byte not zero before the member.
        let kept = match first_nonzero(&file, resume, entry.offset).at(path, "read the archive to add")? {
            Some(at) => resume + (at - resume) / BLOCK as u64 * BLOCK as u64,
            None => entry.offset,
        };
        push(kept, entry.offset);
        push(entry.offset, reader.member_end());
        resume = reader.member_end();
    }
    Ok(ranges)
}
