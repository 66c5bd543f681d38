/*!
`captar delete` (GNU tar's `--delete`): members taken out of an uncompressed archive file.
The archive is read to its end first (a damaged one is refused, nothing changed); the
members kept, and whatever lies between members (pax global headers, volume labels), are
copied as they are into a new archive written under a temporary name beside the old one and
renamed over it when complete, keeping its mode and owner. GNU tar rewrites the archive in
place, so an interruption leaves it damaged; here it is the old archive or the new one.
*/

use crate::error::ShowPath;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Outcome, Report, Result};
use crate::extract::SafeName;
use crate::format::Kind;
use crate::format::compress::Compression;
use crate::format::writer::record_end;
use crate::select::{Members, Selection};
use crate::temps;

#[derive(Debug, Clone)]
pub struct DeleteOptions {
    pub archive: PathBuf,
    /// The members taken out: those named (and what is beneath them), as list selects them.
    pub select: Selection,
    /// List each member taken out (on stdout).
    pub verbose: bool,
    /// The archive ends on a multiple of this (`--record-size`).
    pub record: u64,
}

pub fn delete(opts: &DeleteOptions, report: &Report) -> Result<Outcome> {
    let path = &opts.archive;
    if opts.select.members.is_empty() {
        return Err(Error::Usage("delete: name the members to take out (`captar delete -f a.tar usr/bin/x`)".into()));
    }
    let md = std::fs::symlink_metadata(path).at(path, "open the archive")?;
    if !md.is_file() || md.nlink() != 1 {
        return Err(Error::entry(
            path,
            "delete writes a new archive in the old one's place: name a regular file of one name (not a symlink, device or hard-linked file)",
        ));
    }
    // The rename that puts the new archive in place needs no write permission on the old
    // one: asked here, as GNU tar's --delete opens it for writing (found by review: a 0444
    // archive was rewritten; an immutable or append-only one left a full copy behind).
    if let Err(e) = std::fs::OpenOptions::new().write(true).open(path) {
        return Err(crate::error::unwritable(path, &e, "delete rewrites the archive; nothing deleted"));
    }
    let (compression, mut reader) = crate::format::open_archive(path)?;
    if let Some(pattern) = &opts.select.label {
        reader.require_label(pattern)?;
    }
    if compression != Compression::None {
        return Err(Error::entry(
            path,
            format!(
                "cannot delete from {} (nor can GNU tar): decompress it, delete, then compress it again",
                compression.compressed_archive()
            ),
        ));
    }
    // Byte ranges of the members taken out, in order, and their names.
    let mut cut: Vec<(u64, u64)> = Vec::new();
    let mut taken: Vec<(PathBuf, u64)> = Vec::new();
    // Hard links kept, their targets and offsets: one whose target is taken out may no longer
    // be extracted.
    let mut links: Vec<(PathBuf, PathBuf, u64)> = Vec::new();
    let mut members = Members::for_delete(&opts.select);
    // Read as list reads it: an archive without its end-of-archive marker is warned of, as the
    // new one will have one (found by review: the sign that it may have been cut short went
    // in silence, exit 0).
    while let Some(entry) = reader.next_reporting(report, None)? {
        let meta = entry.meta;
        let rel = SafeName::rel_of(&meta.path);
        if members.selects(&rel, &meta.path) {
            cut.push((entry.offset, reader.member_end()));
            taken.push((meta.path, entry.offset));
        } else if meta.kind == Kind::HardLink
            && let Some(target) = &meta.link
        {
            links.push((meta.path.clone(), SafeName::rel_of(target), entry.offset));
        }
    }
    let end =
        reader.end().ok_or_else(|| Error::entry(path, "the archive's end could not be found; nothing deleted"))?;
    drop(reader);
    // What follows the end marker would be lost in the new archive: only zeros may.
    let file = File::open(path).at(path, "open the archive")?;
    let then = |at| {
        format!(
            "another archive put after it? Nothing deleted (the new archive would lose it; `captar list -i` shows its \
             members, and if nothing there is wanted, `truncate -s {at} ARCHIVE` drops it)"
        )
    };
    crate::create::refuse_data_after_end(&file, path, end, md.len(), "read the archive", &then)?;
    // The archive will change: what is taken out, and what that breaks.
    if opts.verbose {
        let mut out = io::stdout().lock();
        for (name, _) in &taken {
            crate::error::note_output(writeln!(
                out,
                "{}",
                crate::list::quote_name(name.as_os_str().as_encoded_bytes())
            ));
        }
    }
    for (link, target, _) in broken_links(path, &links, &taken)? {
        report.warn(format!(
            "{}: kept, but it is a hard link to {}, which was taken out: it cannot be extracted (GNU tar keeps it silently)",
            link.escaped(),
            target.escaped()
        ));
    }
    for e in members.not_found("archive") {
        report.error(e);
    }
    if cut.is_empty() {
        report.set_total(md.len());
        return Ok(report.outcome());
    }
    let written = rewrite(path, &cut, end, opts.record)?;
    report.set_total(written);
    Ok(report.outcome())
}

/// The hard links kept whose target this deletion takes away: a member of the target's name
/// before the link is taken out, and none is kept before it (extraction links to what has that
/// name then; a copy later in the archive comes too late). The archive is read again, headers
/// only, when some link's target is among the names taken out, for the names kept.
fn broken_links<'a>(
    path: &Path,
    links: &'a [(PathBuf, PathBuf, u64)],
    taken: &[(PathBuf, u64)],
) -> Result<Vec<&'a (PathBuf, PathBuf, u64)>> {
    let mut first_taken: HashMap<PathBuf, u64> = HashMap::new();
    for (name, at) in taken {
        first_taken.entry(SafeName::rel_of(name)).or_insert(*at);
    }
    let candidates: Vec<_> = links.iter().filter(|(_, t, at)| first_taken.get(t).is_some_and(|o| o < at)).collect();
    if candidates.is_empty() {
        return Ok(candidates);
    }
    let targets: HashSet<&PathBuf> = candidates.iter().map(|(_, t, _)| t).collect();
    let taken_at: HashSet<u64> = taken.iter().map(|(_, at)| *at).collect();
    let mut first_kept: HashMap<PathBuf, u64> = HashMap::new();
    let (_, mut reader) = crate::format::open_archive(path)?;
    while let Some(entry) = reader.next_entry()? {
        let rel = SafeName::rel_of(&entry.meta.path);
        if !taken_at.contains(&entry.offset) && targets.contains(&rel) {
            first_kept.entry(rel).or_insert(entry.offset);
        }
    }
    // A kept copy at the link itself (`x` archived twice, the second a link to the first) is
    // no target (found by review: deleting the first said nothing).
    Ok(candidates.into_iter().filter(|(_, t, at)| first_kept.get(t).is_none_or(|k| k >= at)).collect())
}

/// Writes the archive at `path` less the `cut` ranges, up to `end`, under a temporary name,
/// then renames it over `path`; the new length.
fn rewrite(path: &Path, cut: &[(u64, u64)], end: u64, record: u64) -> Result<u64> {
    let _cleanup = temps::SignalCleanup::install();
    let new = temps::Beside::create(path, 0o600).map_err(|e| match e {
        temps::BesideError::Dir(dir, e) => Error::io(dir, "open the archive's directory", e),
        temps::BesideError::Create(e) if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM)) => Error::entry(
            path,
            format!(
                "cannot make the new archive beside it ({}): delete writes the archive less the members anew and renames it over the old one, never leaving one half rewritten; nothing deleted (give write permission on its directory, or work on a copy)",
                crate::error::os_text(&e)
            ),
        ),
        temps::BesideError::Create(e) => Error::io(path, "create the new archive", e),
    })?;
    let written = copy_kept(path, &new.file, cut, end, record).and_then(|len| {
        new.take_attributes(path, true).map(|()| len).map_err(|what| {
            Error::entry(path, format!("cannot give the new archive the old one's {what}; nothing deleted"))
        })
    });
    if written.is_err() {
        new.discard();
        let why = "delete writes the new archive beside the old one, which is kept until the new one is complete, so both need room; nothing deleted: free space, or work on a copy on a filesystem with room";
        return written.map_err(|e| temps::full_beside(e, path, why));
    }
    new.finish_or_copy().at(path, "put the new archive in place")?;
    written
}

fn copy_kept(path: &Path, new: &File, cut: &[(u64, u64)], end: u64, record: u64) -> Result<u64> {
    let mut old = File::open(path).at(path, "open the archive")?;
    let mut out = io::BufWriter::with_capacity(1 << 20, new);
    let mut written = 0u64;
    let kept = cut.iter().map(|&(from, _)| from).chain([end]).zip([0].into_iter().chain(cut.iter().map(|&(_, to)| to)));
    for (until, from) in kept {
        if until > from {
            old.seek(SeekFrom::Start(from)).at(path, "read the archive")?;
            let copied = io::copy(&mut (&mut old).take(until - from), &mut out).at(path, "write the new archive")?;
            if copied != until - from {
                return Err(Error::entry(
                    path,
                    "changed while members were taken out (it is shorter); nothing deleted",
                ));
            }
            written += copied;
        }
    }
    let new_len = record_end(written, record);
    io::copy(&mut io::repeat(0).take(new_len - written), &mut out).at(path, "write the new archive")?;
    out.flush().at(path, "write the new archive")?;
    drop(out);
    new.sync_all().at(path, "write the new archive")?;
    Ok(new_len)
}
