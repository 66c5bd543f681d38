/*!
A streaming archive reader for ustar, GNU (long names, base-256 numbers) and pax archives.

Every extended header is parsed by `pax` (`each`, `ranges`), which frames records by their length prefix.
The pax `size` record always wins over the header's size field: a reader that ignores it reads
the next "header" from inside the data (CVE-2026-33055, TARmageddon CVE-2025-62518). Local
records apply to the next entry only, global records to every later one.

`header` reads a header block's numbers and checksum; `member` turns the headers before a member
into its metadata; `data` gives its data (a sparse member expanded); a damaged header is read
past here (`resync`) for the commands that go on after one.
*/

use crate::error::ShowPath;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::compress::Source;
use super::pax::{self, MAX_EXTENDED_HEADER};
use super::{BLOCK, EntryMeta};
use crate::error::{Error, Result};

mod data;
mod header;
mod member;

pub use data::Data;
pub(crate) use data::SPARSE_RUNS_MAX;
use data::{Segment, Sparse};
pub(crate) use header::header_checksum_ok;
use header::{MTIME, gnu_magic, header_name, numeric, size_field, trim_nul};
pub use member::XATTRS_MAX;

/// One member and the offset of its (first) header in the uncompressed stream.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Boxed from the start (`member`): moved by value from the header's parsing to the
    /// command, its few hundred bytes were copied a dozen times a member, 14% of a caps-only
    /// verify's instructions and 8% of `list -v`'s (callgrind).
    pub meta: Box<EntryMeta>,
    pub offset: u64,
}

/// The pax keywords that replace header fields.
const CORE: [&str; 8] = [pax::PATH, pax::LINKPATH, pax::SIZE, pax::UID, pax::GID, pax::UNAME, pax::GNAME, pax::MTIME];

/// Reads members one by one; the data of the current member is read with `read_data` or
/// skipped (seeking where the input allows) by the next call to `next`.
pub struct Reader {
    src: Box<dyn Source>,
    archive: String,
    offset: u64,
    remaining: u64,
    padding: u64,
    /// The error of a compressed stream cut short inside a member's padding, met reading its
    /// data's end (see `read_stored`): the next member's to report, as the data was whole.
    cut_in_padding: Option<Error>,
    /// Whether the decompressor found the stream damaged (`found_damage`).
    found_damage: std::cell::Cell<bool>,
    /// The global header's value of each `CORE` keyword.
    global: [Option<Vec<u8>>; CORE.len()],
    /// Xattr records of global headers, left out; reported with the next member.
    global_xattrs_left_out: usize,
    /// Whether one of those was a capability.
    global_caps_left_out: bool,
    /// The records of the extended headers before the next member, one after the other
    /// (checked as each header is read, without its NUL padding): kept and reused from member
    /// to member, and parsed again where they are read, not indexed (a 64 MiB header of
    /// 5-byte records would take 430 MB of ranges).
    local: Vec<u8>,
    done: bool,
    /// Zero blocks are skipped, not read as the end of the archive (GNU tar's `-i`), so the
    /// members of archives concatenated after it are read too.
    ignore_zeros: bool,
    /// Input without a byte is an error (see `refuse_empty`).
    refuse_empty: bool,
    /// With `ignore_zeros`: where the run of zero blocks being skipped started.
    zeros_from: Option<u64>,
    /// Where the members end (the end-of-archive marker, or the end of the data), once read.
    end: Option<u64>,
    /// Past a damaged header, read on to the next one that passes its checksum (GNU tar's
    /// "Skipping to next header"), keeping the damage in `damage`; else it is an error.
    skip_damage: bool,
    /// How far (in the uncompressed stream) the decompressor was read ahead and found sound
    /// after a damaged header (see `resync`).
    ahead_until: u64,
    /// The damage skipped since `next_reporting` last reported it (a member's headers can be
    /// damaged more than once).
    damage: Vec<Error>,
    /// Members passed over as unusable (`member::Parsed::unusable`) that carried a
    /// capability: their name, as shown, the value and why (`take_unusable_caps`).
    unusable_caps: Vec<(PathBuf, Vec<u8>, String)>,
    /// An archive that ends without its end-of-archive marker, or with half of it: a warning
    /// (`take_end_warning`), as it may be cut short where a member begins.
    end_warning: Option<(Option<crate::error::Warning>, Error)>,
    /// The member whose data is being read or skipped, named in errors about its data; empty
    /// between members (a member's name never is). Its buffer is reused.
    current: PathBuf,
    /// The current member's runs when it is sparse: `read_data` then gives the file it expands
    /// to, holes as zeros.
    sparse: Option<Sparse>,
    /// The archive's volume label (a GNU `V` header, or a global header's `GNU.volume.label`)
    /// until `take_label` takes it.
    label: Option<VolumeLabel>,
    /// A label was read: later ones (archives joined after it, with `-i`) are not the archive's
    /// (`--label` checks the first), though a later `V` header is listed.
    label_seen: bool,
    /// `--label`: the archive's label must match this glob; checked when the first member (or
    /// the end) is reached.
    label_pattern: Option<(String, globset::GlobSet)>,
    /// Whether `--label` refused the archive: nothing of it was read for the reader's user.
    label_refused: bool,
}

/// A GNU tar volume label (`tar -V TEXT`): what it says and when it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeLabel {
    pub text: Vec<u8>,
    pub mtime: i64,
}

/// The pax keyword of a volume label in a global header, as GNU tar writes it (`--format=posix`).
pub const VOLUME_LABEL: &str = "GNU.volume.label";

/// Extended information gathered from headers before the member they describe (besides the
/// local pax records, which the reader keeps).
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    first_offset: Option<u64>,
    /// The bytes of the pax extended headers read for the member, their NUL padding included
    /// (what MAX_EXTENDED_HEADER bounds; `Reader::local` keeps the records only).
    extended_bytes: u64,
    /// An old GNU sparse header's ('S') map and real size, with its extension blocks.
    old_sparse: Option<(Vec<Segment>, u64)>,
    /// Records of extended headers another one followed before the member (only the last
    /// counts), and whether a capability was among them: said in the member's warning.
    superseded_records: usize,
    superseded_caps: bool,
}

/// Where reading on past a damaged header got: the next header, or the end-of-archive marker
/// (their offsets).
enum Resynced {
    Header(u64),
    End(u64),
}

const TRUNCATED: &str =
    "the archive is truncated: it ends inside an entry; the file was cut short or is still being written";

/// The error `Reader` gives for a read of `member`'s data that failed with `e` at `offset` of
/// a plain archive file, for a copy made of that data elsewhere (`Reader::data_in_file`).
pub fn file_data_error(archive: &str, member: &Path, offset: u64, e: &io::Error) -> Error {
    let msg = match e.kind() {
        io::ErrorKind::UnexpectedEof => TRUNCATED.to_string(),
        _ => format!("read failed: {}", crate::error::os_text(e)),
    };
    Error::Archive { archive: archive.to_string(), offset, msg: format!("{}: {msg}", member.escaped()) }
}

/// The archive format other than tar whose magic number `head` (the input's first bytes, with
/// no valid tar header) starts with: named in the error, which otherwise says a corrupt tar
/// archive (found by audit: a cpio archive was "header checksum mismatch").
fn other_format(head: &[u8]) -> Option<&'static str> {
    const MAGICS: [(&[u8], &str); 9] = [
        (b"070707", "a cpio archive (odc)"),
        (b"070701", "a cpio archive (newc)"),
        (b"070702", "a cpio archive (newc with checksums)"),
        (b"\xc7\x71", "a cpio archive (binary)"),
        (b"\x71\xc7", "a cpio archive (binary, big-endian)"),
        (b"PK\x03\x04", "a zip archive"),
        (b"PK\x05\x06", "a zip archive (empty)"),
        (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
        (b"Rar!\x1a\x07", "a RAR archive"),
    ];
    // A tar header, damaged (its name may start with `070701`): not another format.
    if head.get(257..262) == Some(b"ustar") {
        return None;
    }
    if head.starts_with(b"!<arch>\n") {
        return Some("an ar archive (a .deb is one: `dpkg-deb --fsys-tarfile PACKAGE` gives its files' tar archive)");
    }
    let (magic, name) = MAGICS.iter().find(|(magic, _)| head.starts_with(magic))?;
    // An ASCII cpio header is its magic and then fields of digits only: 13 of 8 hex digits
    // (newc), or of 6 and 11 octal ones (odc, 70 digits).
    let digits = |n: usize, ok: fn(&u8) -> bool| head.get(6..6 + n).is_some_and(|d| d.iter().all(ok));
    match *magic {
        b"070701" | b"070702" => digits(104, u8::is_ascii_hexdigit).then_some(name),
        b"070707" => digits(70, |b| (b'0'..=b'7').contains(b)).then_some(name),
        _ => Some(name),
    }
}

/// A damaged header out of a decompressor whose stream reading on found damaged: the stream's
/// damage, the cause, first, then the header (`what`: "header has no valid checksum") as what
/// it made of the data (found by audit: "header has no valid checksum: the compressed stream
/// is damaged (bzip2: invalid data)" joined two diagnoses, the symptom first).
fn damaged_stream_first(damaged: &str, what: &str) -> String {
    let what = match what {
        "header checksum mismatch" => "fails its checksum",
        other => other.strip_prefix("header ").unwrap_or(other),
    };
    format!("{damaged}; the member header read from it here {what}")
}

/// Data after the compressed stream's end (`compress::trailing_data`), in a message: the stream
/// before it passed its checks.
fn trailing_msg(e: &io::Error) -> String {
    format!(
        "{e}: the compressed stream before it is whole and passed its checks, so what was read from it is sound; remove what follows the stream to silence this"
    )
}

/// What a decompressor's error says of the archive.
fn damaged(e: &io::Error) -> String {
    format!("the compressed stream is damaged ({e}): what was read from it may be wrong; use an intact copy")
}

impl Reader {
    pub fn new(src: Box<dyn Source>, archive: impl Into<String>) -> Reader {
        Reader {
            src,
            archive: archive.into(),
            offset: 0,
            remaining: 0,
            sparse: None,
            padding: 0,
            cut_in_padding: None,
            found_damage: std::cell::Cell::new(false),
            global: Default::default(),
            global_xattrs_left_out: 0,
            global_caps_left_out: false,
            local: Vec::new(),
            done: false,
            ignore_zeros: false,
            refuse_empty: false,
            zeros_from: None,
            skip_damage: false,
            damage: Vec::new(),
            unusable_caps: Vec::new(),
            end_warning: None,
            ahead_until: 0,
            end: None,
            current: PathBuf::new(),
            label: None,
            label_seen: false,
            label_pattern: None,
            label_refused: false,
        }
    }

    /// GNU tar's `--label PATTERN` when reading: the archive must begin with a volume label that
    /// the glob `pattern` matches (as fnmatch), else reading fails before the first member.
    pub fn require_label(&mut self, pattern: &str) -> Result<()> {
        let glob = crate::select::glob_set(&[pattern.to_owned()], "--label")?;
        self.label_pattern = Some((pattern.to_owned(), glob));
        Ok(())
    }

    /// The volume label, once read (a listing shows it where it stands).
    pub fn take_label(&mut self) -> Option<VolumeLabel> {
        self.label.take()
    }

    /// The archive's label is its first, which `--label` checks. Of the labels of archives
    /// joined after it (read with `-i`), a `V` header is listed where it stands, as GNU tar
    /// lists each; a global header's `GNU.volume.label` is not, as GNU tar lists only the
    /// first of those (found by review: a later `V` header was not listed; `header` says
    /// which this is).
    fn read_label(&mut self, text: Vec<u8>, block: &[u8; BLOCK], header: bool) {
        if std::mem::replace(&mut self.label_seen, true) && !header {
            return;
        }
        let mtime = numeric(&block[MTIME]).and_then(|t| i64::try_from(t).ok()).unwrap_or(0);
        self.label = Some(VolumeLabel { text, mtime });
    }

    /// Checks `--label` once, at the first member or the first end marker, before `take_label`
    /// can have taken the label: GNU tar's messages.
    fn check_label(&mut self) -> Result<()> {
        let Some((pattern, glob)) = self.label_pattern.take() else { return Ok(()) };
        let checked = match self.label.as_ref().map(|l| &l.text) {
            Some(label) if glob.is_match(std::path::Path::new(std::ffi::OsStr::from_bytes(label))) => Ok(()),
            Some(label) => Err(Error::Entry {
                path: self.archive.clone().into(),
                msg: format!(
                    "volume label {} does not match --label {pattern:?}; this is not the archive asked for",
                    crate::error::quoted(label)
                ),
            }),
            None => Err(Error::Entry {
                path: self.archive.clone().into(),
                msg: format!(
                    "the archive has no volume label to match --label {pattern:?}; leave --label out to read it"
                ),
            }),
        };
        self.label_refused = checked.is_err();
        checked
    }

    /// Whether `--label` refused the archive (its label is not the one asked for, or it has
    /// none): no member of it was given out.
    pub fn label_refused(&self) -> bool {
        self.label_refused
    }

    /// Reads past end-of-archive markers to the end of the input, skipping zero blocks (GNU
    /// tar's `-i` / `--ignore-zeros`: archives concatenated with `cat` are read whole).
    pub fn ignore_zeros(&mut self, on: bool) {
        self.ignore_zeros = on;
    }

    /// Reads on past a damaged member header, as GNU tar and bsdtar do: the blocks after it up
    /// to the next header that passes its checksum are skipped (what they held is lost), and
    /// `next_reporting` reports the damage. Not at the archive's first block: input that does
    /// not start with a header is no tar archive, an error at once. Reading to modify an
    /// archive (append, delete) keeps damage an error.
    pub fn skip_damage(&mut self, on: bool) {
        self.skip_damage = on;
        // Out of a decompressor, what follows a damaged header is read ahead first (`resync`),
        // beneath anything set up later (`--checkpoint` counts records as they are used).
        if on && self.src.decompresses() && self.src.as_replay().is_none() {
            let inner = std::mem::replace(&mut self.src, Box::new(io::empty()));
            self.src = Box::new(super::compress::Replay::new(inner));
        }
    }

    /// `next_entry`, with the damage skipped to reach the member (or the error) reported first;
    /// `out`, where the caller buffers what it writes to standard output, flushed before it, so
    /// both streams read in archive order in one place (`2>&1`).
    pub fn next_reporting(
        &mut self,
        report: &crate::error::Report,
        out: Option<&mut dyn io::Write>,
    ) -> Result<Option<Entry>> {
        let next = self.next_entry();
        let damage = self.take_damage();
        if let Some(out) = out.filter(|_| !damage.is_empty()) {
            out.flush().map_err(Error::stdout)?;
        }
        for d in damage {
            report.error(d);
        }
        match self.take_end_warning() {
            Some((Some(kind), w)) => report.warn_as(kind, w),
            Some((None, w)) => report.warn(w),
            None => {}
        }
        next
    }

    /// The warning of an archive that ends without its end-of-archive marker, once read to
    /// its end (`next_reporting` reports it).
    /// (With its `--warning` kind, where it has one.)
    pub fn take_end_warning(&mut self) -> Option<(Option<crate::error::Warning>, Error)> {
        self.end_warning.take()
    }

    /// The damage skipped since this was last called (`next_reporting` reports it), to be
    /// reported before the member `next_entry` gave.
    pub fn take_damage(&mut self) -> Vec<Error> {
        std::mem::take(&mut self.damage)
    }

    /// The members with a capability passed over since this was last called, for want of a
    /// name or target that can be given (an empty name, a NUL in it...): extract lists them
    /// among the capabilities not restored (they were named only in their error; found by
    /// audit). Their name as shown, the capability's value and why.
    pub fn take_unusable_caps(&mut self) -> Vec<(PathBuf, Vec<u8>, String)> {
        std::mem::take(&mut self.unusable_caps)
    }

    /// Input of no byte at all is an error, as GNU tar takes it ("does not look like a tar
    /// archive"): for reading an archive, where a backup cut to nothing or a pipe whose other
    /// end wrote nothing would otherwise list, extract and verify as an empty archive (tar's
    /// empty archive holds its end-of-archive blocks). Not for append, whose empty file is new.
    pub fn refuse_empty(&mut self) {
        self.refuse_empty = true;
    }

    /// Bytes of the uncompressed stream consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Where the member `next_entry` just gave ends in the archive (its data and padding),
    /// before any of its data is read.
    pub fn member_end(&self) -> u64 {
        self.offset + self.remaining + self.padding
    }

    /// Counts what is read from now on for `--checkpoint` (the source, wrapped).
    pub fn set_checkpoints(&mut self, counter: crate::checkpoint::Counter) {
        let inner = std::mem::replace(&mut self.src, Box::new(std::io::empty()));
        self.src = Box::new(crate::checkpoint::Checkpointed::new(inner, counter));
    }

    /// Where the last member ends (its end-of-archive marker starts), once the reading got there.
    pub fn end(&self) -> Option<u64> {
        self.end
    }

    /// The bytes read so far in whole records of `record` bytes (10 KiB unless `-b`), as tar
    /// reads an archive (GNU tar's `--totals`): at the end, through the record holding the end marker's second block (or
    /// where it would be).
    pub fn records_read(&self, record: u64) -> u64 {
        let read = match self.end {
            Some(end) => self.offset.max(end + 2 * BLOCK as u64),
            None => self.offset,
        };
        read.div_ceil(record) * record
    }

    /// An error at `offset`, naming the member whose data is being read, if any.
    fn err(&self, offset: u64, msg: impl Into<String>) -> Error {
        let msg = if self.current.as_os_str().is_empty() {
            msg.into()
        } else {
            format!("{}: {}", self.current.escaped(), msg.into())
        };
        Error::Archive { archive: self.archive.clone(), offset, msg }
    }

    fn io_err(&self, e: io::Error) -> Error {
        self.err(self.offset, self.io_msg(&e))
    }

    /// The plain archive file being read, if the archive is one (not a pipe, not compressed).
    pub fn archive_file(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.src.file()
    }

    /// A plain archive file's size and modification time, to tell, before and after a run that
    /// reads members' data after the reader has gone on (extract's workers, verify --all's
    /// checks), whether it was written to meanwhile. None for a pipe or a compressed stream.
    pub fn archive_stamp(&self) -> Option<(i64, i64, i64)> {
        let st = rustix::fs::fstat(self.archive_file()?).ok()?;
        #[allow(clippy::unnecessary_cast, clippy::useless_conversion)] // their types vary by architecture
        Some((st.st_size as i64, st.st_mtime as i64, st.st_mtime_nsec as i64))
    }

    /// The decompressor's finding of damage, in a message, remembered (`found_damage`).
    fn damaged(&self, e: &io::Error) -> String {
        self.found_damage.set(true);
        damaged(e)
    }

    /// Whether the archive is read through a decompressor.
    pub fn decompresses(&self) -> bool {
        self.src.decompresses()
    }

    /// Whether the decompressor found the stream damaged (a corrupt block, a failed check):
    /// what was read before may be wrong too, as a check covers what came before it.
    pub fn found_damage(&self) -> bool {
        self.found_damage.get()
    }

    /// The archive's name, as its errors give it.
    pub fn archive_name(&self) -> &str {
        &self.archive
    }

    /// The message of `e` when it is the decompressor's input ending inside its stream (the
    /// archive file cut short, or still being written).
    fn stream_cut_msg(&self, e: &io::Error) -> Option<String> {
        (self.src.decompresses() && crate::format::compress::stream_cut(e)).then(|| {
            format!("the compressed stream ends early ({e}): the archive was cut short or is still being written")
        })
    }

    /// What a read error means, in a message.
    fn io_msg(&self, e: &io::Error) -> String {
        if let Some(msg) = self.stream_cut_msg(e) {
            msg
        } else if self.src.decompresses() && crate::format::compress::trailing_data(e) {
            match self.ignore_zeros && self.zeros_from.is_some() {
                // Met reading on past the end-of-archive marker (`-i`): no damage, as where
                // the marker ends the run (found by audit: said as damage, and capabilities
                // restored from the sound stream were taken back).
                true => trailing_msg(e),
                // The stream is whole, but the archive in it ends early: cut short before it
                // was compressed, not damaged (found by review: said to be sound).
                false => format!(
                    "the archive is truncated: its compressed stream ends, whole (it passed its checks), before the archive does, and then {e}; the archive was cut short before it was compressed"
                ),
            }
        } else if e.kind() == io::ErrorKind::UnexpectedEof {
            // GNU tar's `-M` volumes end where their length does, at a record boundary, inside
            // a member (found by audit: the first was said to be only cut short).
            match self.archive_stamp() {
                Some((size, _, _)) if size > 0 && size % 10240 == 0 => format!(
                    "{TRUNCATED} (or it is a volume of a multi-volume archive, `tar -M`, which ends at a record boundary as this one does: captar does not read those)"
                ),
                _ => TRUNCATED.into(),
            }
        } else if e.to_string().contains("Frame requires too much memory") {
            // zstd's window limit for readers (128 MiB), which `zstd --long=28` and up exceed.
            "this zstd stream needs a window over 128 MiB (made with zstd --long=28 or more), larger than captar reads; decompress it first: `zstd -dc --long=31 ARCHIVE | captar ... -f -`".into()
        } else if (!self.src.seeks() && matches!(e.kind(), io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput))
            || (self.src.decompresses() && e.raw_os_error().is_none())
        {
            // A decompressor's own finding (a read error of the input is neither kind, and
            // has its errno; zstd's "Data corruption detected" has neither: it was said as
            // "read failed", like an I/O error).
            self.damaged(e)
        } else {
            format!("read failed: {}", crate::error::os_text(e))
        }
    }

    /// The error for an input in another archive format (`other_format`).
    fn not_tar(&self, format: &str) -> Error {
        self.err(
            0,
            format!(
                "this is {format}, not a tar archive: captar reads tar only (bsdtar reads it: `bsdtar -tvf ARCHIVE`)"
            ),
        )
    }

    /// Reads one block; `Ok(None)` at a clean end of input on a block boundary.
    fn read_block(&mut self) -> Result<Option<[u8; BLOCK]>> {
        let mut block = [0u8; BLOCK];
        let got = self.fill(&mut block).map_err(|e| self.io_err(e))?;
        if got == 0 {
            return Ok(None);
        }
        if got < BLOCK && self.offset == 0 {
            if let Some(format) = other_format(&block[..got]) {
                return Err(self.not_tar(format));
            }
            return Err(self.err(
                0,
                format!("{got} bytes, less than one tar header (512): this is not a tar archive, or it was cut short"),
            ));
        }
        // With -i, bytes after the end markers that make no whole block end the input, as
        // in GNU tar (`cat a.tar; echo`).
        if got < BLOCK && self.ignore_zeros && self.zeros_from.is_some() {
            self.offset += got as u64;
            return Ok(None);
        }
        // Zeros too short for a block after the last member (an end marker cut short): the end,
        // as GNU tar reads it; append and delete write over them.
        if got < BLOCK && block[..got].iter().all(|&b| b == 0) {
            self.offset += got as u64;
            return Ok(None);
        }
        if got < BLOCK {
            return Err(self.err(self.offset, "the archive is truncated: it ends inside a header"));
        }
        self.offset += BLOCK as u64;
        Ok(Some(block))
    }

    fn skip(&mut self, n: u64) -> Result<()> {
        self.skip_io(n).map_err(|e| self.skip_err(e))
    }

    fn skip_io(&mut self, n: u64) -> io::Result<()> {
        if n > 0 {
            self.src.skip(n)?;
            self.offset += n;
        }
        Ok(())
    }

    /// A skip's error: one past the archive's end is told where the archive ends, as a read is.
    fn skip_err(&self, e: io::Error) -> Error {
        match crate::format::compress::skipped_before_end(&e) {
            Some(passed) => self.err(self.offset + passed, self.io_msg(&e)),
            None => self.io_err(e),
        }
    }

    fn read_blob(&mut self, size: u64, what: &str) -> Result<Vec<u8>> {
        let mut data = Vec::new();
        self.read_blob_into(size, what, &mut data)?;
        Ok(data)
    }

    /// `read_blob`, appended to `data`.
    fn read_blob_into(&mut self, size: u64, what: &str, data: &mut Vec<u8>) -> Result<()> {
        if size > MAX_EXTENDED_HEADER {
            return Err(self.err(
                self.offset,
                format!("{what} of {size} bytes is larger than any real one; the archive is corrupt"),
            ));
        }
        // Grown as the bytes arrive beyond 64 KiB, not allocated from the header's word: a
        // 512-byte archive claiming a 64 MiB header costs little.
        data.reserve(size.min(64 << 10) as usize);
        let before = data.len();
        (&mut *self.src).take(size).read_to_end(data).map_err(|e| self.io_err(e))?;
        if ((data.len() - before) as u64) < size {
            return Err(self.io_err(io::ErrorKind::UnexpectedEof.into()));
        }
        self.offset += size;
        self.skip(padding(size))
    }

    /// Reads into all of `buf`, fewer bytes only at the end of the input.
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match self.src.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }

    /// After the end-of-archive marker's first block: reads its second block (whatever it
    /// holds, if the input has it), as GNU tar reads it (where it starts a record, that record
    /// is read too, which `--checkpoint` counts), then a compressed stream to its end, so a
    /// corrupt trailer (gzip's CRC, zstd's content checksum, a damaged last block) is an error,
    /// not silence; a decompressor's error in the second block too. A checksum covers the data
    /// before it: what was read may be wrong too.
    /// Answers whether the second block was there (a byte of it), and whether it was zeros.
    fn check_trailer(&mut self) -> Result<(bool, bool)> {
        let mut block = [0u8; BLOCK];
        let second = self.fill(&mut block);
        if let Ok(n) = second {
            self.offset += n as u64;
        }
        let whole = second.as_ref().is_ok_and(|&n| n > 0);
        let zeros = block.iter().all(|&b| b == 0);
        second.and_then(|_| self.src.finish()).map_err(|e| {
            let msg = match self.src.seeks() {
                true => format!("read failed after the end-of-archive marker: {e}"),
                // Cut in its last bytes (gzip's or xz's trailer): said as a stream cut short,
                // as one cut earlier is (it was said to fail its check; found by review).
                // After the stream's end, whose data passed its checks (found by audit: said as
                // a failed check, and now that takes capabilities back).
                false if crate::format::compress::trailing_data(&e) => trailing_msg(&e),
                false => self.stream_cut_msg(&e).unwrap_or_else(|| {
                    self.found_damage.set(true);
                    format!(
                        "the compressed stream fails its check at its end ({e}): the archive is damaged and what was read from it may be wrong; use an intact copy"
                    )
                }),
            };
            self.err(self.offset, msg)
        })?;
        Ok((whole, zeros))
    }

    /// A header that fails its checksum. In a compressed archive a damaged stream is the likelier
    /// cause (bzip2 checks a block only after giving out its data: 900 kB of run-length-encoded
    /// input, up to about 46 MB once decoded), and the decompressor, read that far further, says
    /// so. (Not to its end: a compressed file that is no archive at all would be decompressed
    /// whole before saying so.)
    fn bad_header(&mut self, at: u64, what: &str, why: &str) -> Error {
        // (A decompressor may give a block's bytes before it checks them, as bzip2 does: the
        // header is then damaged data, the stream's damage found by reading on.)
        const AHEAD: u64 = 64 << 20;
        if !self.src.seeks()
            && let Err(e) = io::copy(&mut (&mut *self.src).take(AHEAD), &mut io::sink())
        {
            return self.err(at, damaged_stream_first(&self.damaged(&e), what));
        }
        self.err(at, format!("{what}: {why}"))
    }

    /// After a damaged header at `at` (`skip_damage`): reads on block by block to the next
    /// header that passes its checksum, as GNU tar does, the damage kept for `next_reporting`.
    /// A zero block is read past (GNU tar stops at one, so a run of zeros in the lost data ends
    /// its reading there), two in a row are the end-of-archive marker unless `-i`, as they are
    /// without damage (what follows an archive is not read), and zeros up to the end of the
    /// input are the end. Data up to the end is an error: the rest of the archive is lost.
    /// Out of a decompressor, up to 64 MiB are read ahead first (as `bad_header` reads them): a
    /// stream found damaged there is the damage, one error, and nothing after it is read.
    /// The header found is left in `block`.
    fn resync(&mut self, at: u64, what: &str, block: &mut [u8; BLOCK]) -> Result<Resynced> {
        let read_on = |reader: &Self, e: &io::Error| {
            // Out of a decompressor, any error past a damaged header is the stream's (zstd's
            // failed checksum has neither kind below; a cut stream ends early).
            let msg = match reader.src.decompresses() {
                true => damaged_stream_first(&reader.damaged(e), what),
                false => format!("{what}: the archive is damaged here, and reading on past it: {}", reader.io_msg(e)),
            };
            reader.err(at, msg)
        };
        // Once per 64 MiB of the stream however many damaged headers there are in it, into the
        // one `Replay` (`skip_damage` put it there): a stream holding a million would otherwise
        // be read ahead a million times.
        if self.offset >= self.ahead_until
            && let Some(replay) = self.src.as_replay()
        {
            const AHEAD: u64 = 64 << 20;
            match replay.read_ahead(AHEAD) {
                Ok(n) => self.ahead_until = self.offset + n as u64,
                Err(e) => return Err(read_on(self, &e)),
            }
        }
        let mut zeros_from = None;
        loop {
            let start = self.offset;
            let got = self.fill(block).and_then(|n| if n < BLOCK { self.src.finish().map(|_| n) } else { Ok(n) });
            let got = got.map_err(|e| read_on(self, &e))?;
            self.offset += got as u64;
            if got < BLOCK && zeros_from.is_none() {
                let lost = self.offset - at;
                return Err(self.err(
                    at,
                    format!(
                        "{what}: the archive is damaged here and no member header follows: the rest of it ({lost} bytes) is lost; use an intact copy"
                    ),
                ));
            }
            // The input ends after zeros: they were its end (with `-i` too).
            let end = got < BLOCK;
            if end || block.iter().all(|&b| b == 0) {
                match zeros_from {
                    Some(z) if end || !self.ignore_zeros => {
                        self.damage.push(self.err(
                            at,
                            format!(
                                "{what}: the archive is damaged here; no member header follows before its end-of-archive marker, at byte {z}: the {} bytes between are lost",
                                z - at
                            ),
                        ));
                        return Ok(Resynced::End(z));
                    }
                    Some(_) => {}
                    None => zeros_from = Some(start),
                }
                continue;
            }
            zeros_from = None;
            if header_checksum_ok(block) == Some(true) {
                self.damage.push(self.err(
                    at,
                    format!(
                        "{what}: the archive is damaged here; skipped {} bytes to the next member header, at byte {start}: what they held is lost",
                        start - at
                    ),
                ));
                return Ok(Resynced::Header(start));
            }
        }
    }

    /// Skips whatever is left of the current member's data.
    fn finish_current(&mut self) -> Result<()> {
        if let Some(e) = self.cut_in_padding.take() {
            return Err(e);
        }
        let (data, padding) = (self.remaining, self.padding);
        self.remaining = 0;
        self.padding = 0;
        self.sparse = None;
        // Apart: GNU tar's seek over data counts the data without its padding, which decides
        // the records it reads (see `checkpoint::Checkpointed`).
        self.skip(data)?;
        self.skip(padding)
    }

    /// The next member, or `None` at the end of the archive.
    pub fn next_entry(&mut self) -> Result<Option<Entry>> {
        if self.done {
            return Ok(None);
        }
        self.finish_current()?;
        self.current.as_mut_os_string().clear();
        let mut pending = Pending::default();
        self.local.clear();
        // An odd huge header does not keep its memory for the rest of the archive.
        if self.local.capacity() > 1 << 20 {
            self.local = Vec::new();
        }
        loop {
            let mut at = self.offset;
            let Some(mut block) = self.read_block()? else {
                if pending.first_offset.is_some() {
                    return Err(
                        self.err(at, "the archive ends after an extended header, before the entry it describes")
                    );
                }
                if at == 0 && self.refuse_empty {
                    return Err(self.err(
                        0,
                        "the archive holds nothing (0 bytes, or a compressed stream of nothing): not a tar archive (an empty one made by tar holds its end-of-archive blocks); it was cut short or never written",
                    ));
                }
                self.done = true;
                // No zero block at all (with -i, none after the last member): the input ended
                // where a header was due, which a copy cut short there does too. GNU tar and
                // bsdtar say nothing; captar warns (found by review: list, extract and verify
                // read such a cut archive with exit 0, the members after the cut unnamed).
                if self.zeros_from.is_none() && at > 0 {
                    self.end_warning = Some((None, self.err(
                        at,
                        "the archive ends without its end-of-archive marker (two zero blocks), where a member header was due: it may have been cut short there; compare its size with the original's, or read an intact copy",
                    )));
                }
                self.end = Some(self.zeros_from.take().unwrap_or(at));
                self.check_label()?;
                return Ok(None);
            };
            if block.iter().all(|&b| b == 0) {
                // With -i, extended headers cut off by an end marker describe nothing: dropped,
                // as GNU tar drops them, and the next archive is read.
                if pending.first_offset.is_some() && self.ignore_zeros {
                    pending = Pending::default();
                    self.local.clear();
                }
                if pending.first_offset.is_some() {
                    return Err(self.err(at, "an extended header is followed by the end-of-archive marker"));
                }
                if self.ignore_zeros {
                    // The first archive's end: its label (or none) is the one --label checks.
                    self.check_label()?;
                    self.zeros_from.get_or_insert(at);
                    continue;
                }
                self.done = true;
                self.end = Some(at);
                self.check_label()?;
                // GNU tar: "A lone zero block at N".
                let msg = match self.check_trailer()? {
                    (true, true) => None,
                    (false, _) => Some(
                        "a lone zero block ends the archive, half of its end-of-archive marker: it may have been cut short there; compare its size with the original's, or read an intact copy",
                    ),
                    // Data after it: reading stops there, as GNU tar stops with its warning
                    // (found by differential testing: the members after it went unsaid).
                    (true, false) => Some(
                        "a lone zero block, where a member header was due, is followed by more data, not by the second block of an end-of-archive marker: reading stops there, as GNU tar stops; pass -i (--ignore-zeros) to read the members after it",
                    ),
                };
                if let Some(msg) = msg {
                    self.end_warning = Some((Some(crate::error::Warning::AloneZeroBlock), self.err(at, msg)));
                }
                return Ok(None);
            }
            self.zeros_from = None;
            match header_checksum_ok(&block) {
                Some(true) => {}
                bad => {
                    let what = if bad.is_some() { "header checksum mismatch" } else { "header has no valid checksum" };
                    if at == 0
                        && let Some(format) = other_format(&block)
                    {
                        return Err(self.not_tar(format));
                    }
                    if !self.skip_damage || at == 0 {
                        let why = match bad {
                            Some(_) => "the archive is corrupt (or this is not a tar archive)",
                            None => "this is not a tar archive, or it is corrupt",
                        };
                        return Err(self.bad_header(at, what, why));
                    }
                    // A label that does not match is the error, not damage after it.
                    self.check_label()?;
                    // What was read for the member whose header is damaged describes nothing now.
                    pending = Pending::default();
                    self.local.clear();
                    match self.resync(at, what, &mut block)? {
                        Resynced::Header(found) => at = found,
                        Resynced::End(zeros) => {
                            self.done = true;
                            self.end = Some(zeros);
                            self.check_trailer()?;
                            return Ok(None);
                        }
                    }
                }
            }
            pending.first_offset.get_or_insert(at);
            let header = tar::Header::from_byte_slice(&block);
            let size = size_field(&block)
                .map_err(|e| self.err(at, format!("{}: {e}", crate::list::quote_name(&header_name(&block)))))?;
            match block[156] {
                b'x' | b'X' => {
                    pending.extended_bytes += size;
                    if pending.extended_bytes > MAX_EXTENDED_HEADER {
                        return Err(self.err(
                            at,
                            format!(
                                "pax extended headers of {} bytes before one member are larger than any real ones; the archive is corrupt",
                                pending.extended_bytes
                            ),
                        ));
                    }
                    // Two in a row: the last one alone is the member's, as GNU tar and bsdtar read
                    // them (merged, a first one's `size` hid a member the peers extract, with
                    // its capability; found by fuzzing).
                    // Its records are not the member's: said, never dropped in silence (found
                    // by review: a capability there was lost without a word, as GNU tar loses it).
                    if pending.extended_bytes > size {
                        let local = &self.local;
                        let _ = pax::each(local, |key, _| {
                            pending.superseded_records += 1;
                            pending.superseded_caps |= local[key].ends_with(b".security.capability");
                        });
                    }
                    let mut local = std::mem::take(&mut self.local);
                    local.clear();
                    let read = self.read_blob_into(size, "pax extended header", &mut local);
                    self.local = local;
                    read?;
                    let end = pax::each(&self.local, |_, _| {}).map_err(|e| self.err(at, e.to_string()))?;
                    // Without its padding.
                    self.local.truncate(end);
                }
                b'g' => {
                    let data = self.read_blob(size, "pax global header")?;
                    let records = pax::parse(&data).map_err(|e| self.err(at, e.to_string()))?;
                    // Only the keywords captar reads from a global header, one (the last) of each.
                    // No archiver puts xattrs there: ones that did would be copied onto every
                    // member, so they are left out, and counted on the next member.
                    for r in records {
                        if r.key == VOLUME_LABEL.as_bytes() {
                            self.read_label(r.value.to_vec(), &block, false);
                        } else if let Some(slot) = CORE.iter().position(|k| k.as_bytes() == r.key) {
                            self.global[slot] = Some(r.value.to_vec());
                        } else if r.key.starts_with(pax::SCHILY_XATTR.as_bytes())
                            || r.key.starts_with(pax::LIBARCHIVE_XATTR.as_bytes())
                        {
                            self.global_xattrs_left_out += 1;
                            self.global_caps_left_out |= r.key.ends_with(b".security.capability");
                        }
                    }
                    // A global header is no part of the member after it, unless that member's
                    // own headers began before it.
                    if pending.first_offset == Some(at) {
                        pending.first_offset = None;
                    }
                }
                b'L' => pending.long_name = Some(trim_nul(&self.read_blob(size, "GNU long name")?).to_vec()),
                b'K' => pending.long_link = Some(trim_nul(&self.read_blob(size, "GNU long link name")?).to_vec()),
                b'V' => {
                    // GNU tar skips a label's data, bsdtar reads members in it (a capped one
                    // among them, which captar never showed; found by audit): as for a node's
                    // data, refused. No tar writes a label with data.
                    if size > 0 {
                        return Err(self.err(
                            at,
                            format!(
                                "a volume label header announces {size} bytes of data, which GNU tar skips and bsdtar reads as further members; refusing the archive rather than guess"
                            ),
                        ));
                    }
                    let text = pending.long_name.take().unwrap_or_else(|| header_name(&block).into_owned());
                    self.read_label(text, &block, true);
                    if pending.first_offset == Some(at) {
                        pending.first_offset = None;
                    }
                }
                kind => {
                    self.check_label()?;
                    let offset = pending.first_offset.unwrap_or(at);
                    // Old GNU sparse only under GNU's magic, as GNU tar and bsdtar read it (found
                    // by fuzzing: an `S` of another magic was expanded, where they extract its data
                    // as a plain file's).
                    if kind == b'S' && header::gnu_magic(&block) {
                        let name = pending.long_name.clone().unwrap_or_else(|| header_name(&block).into_owned());
                        pending.old_sparse = Some(self.old_sparse_map(&block, at, &name)?);
                    }
                    let superseded = (pending.superseded_records, pending.superseded_caps);
                    let pax_header = pending.extended_bytes > 0;
                    let member::Parsed { mut meta, sparse, malformed, unusable } =
                        self.member(&block, header, size, pending, at)?;
                    (meta.superseded_records, meta.superseded_caps) = superseded;
                    meta.pax_header = pax_header;
                    self.damage.extend(malformed);
                    if let Some((e, why)) = unusable {
                        self.damage.push(e);
                        if let Some(raw) = meta.caps_raw().map(<[u8]>::to_vec) {
                            self.unusable_caps.push((std::mem::take(&mut meta.path), raw, why));
                        }
                        self.skip(meta.size + padding(meta.size))?;
                        pending = Pending::default();
                        self.local.clear();
                        continue;
                    }
                    meta.xattrs_left_out += std::mem::take(&mut self.global_xattrs_left_out);
                    meta.global_caps_left_out = std::mem::take(&mut self.global_caps_left_out);
                    if kind == b'D' {
                        self.gnu_dumpdir(&mut meta, gnu_magic(&block))?;
                    } else {
                        self.remaining = meta.size;
                        self.padding = padding(meta.size);
                    }
                    self.current.as_mut_os_string().push(meta.path.as_os_str());
                    if let Some((map, size)) = sparse {
                        self.start_sparse(map, size, at)?;
                        meta.size = size;
                    }
                    return Ok(Some(Entry { meta, offset }));
                }
            }
        }
    }

    /// A GNU incremental directory (`--format=gnu`): its data, read here, is its listing; its
    /// size stays, as `tar -tv` shows it. Only under GNU's magic (`gnu`), as GNU tar reads
    /// it: a `D` header of another format (GNU tar never writes one) is a directory whose data
    /// is passed over, so `-G` removes nothing by it (it removed what GNU tar keeps; found by
    /// review). Out of line: rare, and kept off `next_entry`'s path (inlined, it made listing
    /// 6% slower).
    #[cold]
    #[inline(never)]
    fn gnu_dumpdir(&mut self, meta: &mut EntryMeta, gnu: bool) -> Result<()> {
        let listing = self.read_blob(meta.size, "GNU dumpdir")?;
        if gnu {
            meta.dumpdir = Some(listing);
        }
        self.remaining = 0;
        self.padding = 0;
        Ok(())
    }
}

/// Bytes of zero padding after `size` bytes of data.
pub fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

#[cfg(test)]
mod tests {
    use super::Reader;
    use crate::format::acl;
    use crate::format::compress::{Origin, decoder};
    use crate::format::pax;

    /// One header block (and its data, padded) as GNU tar would write it.
    fn member(out: &mut Vec<u8>, name: &str, kind: u8, data: &[u8], uname: &str) {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_entry_type(tar::EntryType::new(kind));
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_username(uname).unwrap();
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(512), 0);
    }

    /// A reader of these members, ended by the end-of-archive marker.
    fn reader_of(mut members: Vec<u8>) -> Reader {
        members.extend_from_slice(&[0; 1024]);
        let (_, src) = decoder(Origin::Stream(Box::new(std::io::Cursor::new(members)))).unwrap();
        Reader::new(src, "test.tar")
    }

    fn records(pairs: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in pairs {
            pax::push(&mut out, k.as_bytes(), v);
        }
        out
    }

    /// The first member of a one-member archive with these pax records and stored data, read
    /// to its end: its name, its expanded data, or the error.
    fn read_one(recs: &[(&str, &[u8])], data: &[u8]) -> std::result::Result<(String, Vec<u8>), String> {
        let mut a = Vec::new();
        member(&mut a, "x", b'x', &records(recs), "");
        member(&mut a, "GNUSparseFile.0/f", b'0', data, "");
        let mut r = reader_of(a);
        let e = r.next_entry().map_err(|e| e.to_string())?.unwrap();
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut r.data(), &mut out).map_err(|e| e.to_string())?;
        assert_eq!(out.len() as u64, e.meta.size);
        Ok((e.meta.path.display().to_string(), out))
    }

    /// Sparse maps are checked before any byte is given: runs in order, within the real size,
    /// adding up to the data stored; a map of absurd length is refused, not allocated.
    #[test]
    fn sparse_maps_are_checked() {
        let v01 = |map: &'static [u8], size: &'static [u8]| {
            vec![("GNU.sparse.name", &b"f"[..]), ("GNU.sparse.realsize", size), ("GNU.sparse.map", map)]
        };
        let (name, data) = read_one(&v01(b"2,3,10,2", b"14"), b"abcde").unwrap();
        assert_eq!((name.as_str(), data.as_slice()), ("f", &b"\0\0abc\0\0\0\0\0de\0\0"[..]));
        for (map, size, data, why) in [
            (&b"5,3,2,2"[..], &b"14"[..], &b"abcde"[..], "out of order"),
            (b"2,3,4,2", b"14", b"abcde", "out of order"),
            (b"2,3,12,4", b"14", b"abcdefg", "beyond its size"),
            (b"2,3", b"14", b"abcde", "holds 3 bytes of data, the archive 5"),
            (b"2,3,4", b"14", b"abc", "not pairs"),
        ] {
            let err = read_one(&v01(map, size), data).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
        let v10 = [
            ("GNU.sparse.major", &b"1"[..]),
            ("GNU.sparse.minor", b"0"),
            ("GNU.sparse.name", b"f"),
            ("GNU.sparse.realsize", b"8"),
        ];
        let mut stored = b"1\n4\n3\n".to_vec();
        stored.resize(512, 0);
        stored.extend_from_slice(b"xyz");
        assert_eq!(read_one(&v10, &stored).unwrap().1, b"\0\0\0\0xyz\0");
        for (map, why) in
            [(&b"99999999999\n"[..], "more than"), (b"2\n0\n1\n", "cut short"), (b"1\nx\n", "not decimal")]
        {
            let err = read_one(&v10, map).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }

    /// What no Linux file can carry is left out and counted, not copied onto members: a value
    /// over 64 KiB, xattrs beyond 1 MiB in all, and xattrs in a global header (counted once,
    /// on the next member). Later values of a name replace earlier ones in place.
    #[test]
    fn oversized_and_global_xattrs_are_left_out_and_counted() {
        let mut a = Vec::new();
        member(&mut a, "g", b'g', &records(&[("SCHILY.xattr.user.g", b"v"), ("uname", b"global")]), "");
        let mut recs: Vec<(String, Vec<u8>)> = vec![
            ("SCHILY.xattr.user.big".into(), vec![b'x'; 64 << 10]),
            ("SCHILY.xattr.user.huge".into(), vec![b'x'; (64 << 10) + 1]),
            ("SCHILY.xattr.user.a".into(), b"1".to_vec()),
        ];
        // 40 more values of 32 KiB: 1 MiB is reached after about 30 of them.
        recs.extend((0..40).map(|i| (format!("SCHILY.xattr.user.k{i:02}"), vec![b'y'; 32 << 10])));
        recs.push(("SCHILY.xattr.user.a".into(), b"2".to_vec()));
        let pairs: Vec<(&str, &[u8])> = recs.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
        member(&mut a, "x", b'x', &records(&pairs), "");
        member(&mut a, "one", b'0', b"", "");
        member(&mut a, "two", b'0', b"", "");
        let mut r = reader_of(a);
        let one = r.next_entry().unwrap().unwrap().meta;
        assert_eq!(one.uname.as_deref(), Some(&b"global"[..]));
        assert_eq!(one.xattr("user.g"), None);
        assert_eq!(one.xattrs[0].0, "user.big");
        assert_eq!(one.xattrs[1], ("user.a".into(), b"2".to_vec()));
        assert!(one.xattr_bytes() <= super::XATTRS_MAX);
        let kept = one.xattrs.len() - 2;
        assert!((25..40).contains(&kept), "{kept}");
        // The global record, the huge value, and the 32 KiB values beyond 1 MiB.
        assert_eq!(one.xattrs_left_out, 1 + 1 + (40 - kept));
        assert!(one.left_out_warning().unwrap().starts_with("one: "));
        let two = r.next_entry().unwrap().unwrap().meta;
        assert_eq!((two.xattrs.len(), two.xattrs_left_out), (0, 0));
        assert_eq!(two.left_out_warning(), None);
    }

    /// GNU tar's SCHILY record wins over libarchive's copy of the same xattr, in either order;
    /// a copy with another value is counted for a warning (bsdtar would use the last one).
    #[test]
    fn schily_and_libarchive_records_that_disagree_are_counted() {
        let mut a = Vec::new();
        // "dg==" is base64 for "v", "dw==" for "w".
        type Case<'a> = (&'a [(&'a str, &'a [u8])], &'a [u8], u32);
        let cases: [Case; 3] = [
            (&[("LIBARCHIVE.xattr.user.a", b"dg=="), ("SCHILY.xattr.user.a", b"v")], b"v", 0),
            (&[("LIBARCHIVE.xattr.user.a", b"dw=="), ("SCHILY.xattr.user.a", b"v")], b"v", 1),
            (&[("SCHILY.xattr.user.a", b"v"), ("LIBARCHIVE.xattr.user.a", b"dw==")], b"v", 1),
        ];
        for (i, (recs, _, _)) in cases.iter().enumerate() {
            member(&mut a, &format!("x{i}"), b'x', &records(recs), "");
            member(&mut a, &format!("f{i}"), b'0', b"", "");
        }
        // bsdtar's records of `user.s p`: one xattr, not a second named `user.s%20p`.
        member(
            &mut a,
            "xb",
            b'x',
            &records(&[("LIBARCHIVE.xattr.user.s%20p", b"dg=="), ("SCHILY.xattr.user.s%20p", b"v")]),
            "",
        );
        member(&mut a, "fb", b'0', b"", "");
        let mut r = reader_of(a);
        for (i, (_, value, conflicting)) in cases.iter().enumerate() {
            let f = r.next_entry().unwrap().unwrap().meta;
            assert_eq!(f.xattr("user.a"), Some(*value), "case {i}");
            assert_eq!(f.xattrs_conflicting, *conflicting, "case {i}");
            assert_eq!(f.left_out_warning().is_some(), *conflicting > 0, "case {i}");
        }
        let f = r.next_entry().unwrap().unwrap().meta;
        assert_eq!((f.xattrs.len(), f.xattr("user.s p"), f.xattrs_conflicting), (1, Some(&b"v"[..]), 0));
    }

    /// ACL records (GNU tar --acls, bsdtar) become their xattrs; one that cannot (an NFSv4 ACL,
    /// bad text) is counted for a warning that says why; an xattr of that name in the archive
    /// wins over the text.
    #[test]
    fn acl_records_become_xattrs_or_a_warning() {
        let mut a = Vec::new();
        let good: &[u8] = b"user::rw-,user:1234:r--,group::r--,mask::r--,other::r--";
        let cases: [&[(&str, &[u8])]; 4] = [
            &[("SCHILY.acl.access", good), ("SCHILY.acl.default", b"user::rwx\ngroup::r-x\nother::---\n")],
            &[("SCHILY.acl.ace", b"owner@:rw-p--aARWcCos:-------:allow")],
            &[("SCHILY.acl.access", b"user::rw-,user:1234:r--,group::r--,other::r--")],
            &[("SCHILY.acl.access", good), ("SCHILY.xattr.system.posix_acl_access", b"raw")],
        ];
        for (i, recs) in cases.iter().enumerate() {
            member(&mut a, &format!("x{i}"), b'x', &records(recs), "");
            member(&mut a, &format!("f{i}"), b'0', b"", "");
        }
        let mut r = reader_of(a);
        let metas: Vec<_> = (0..4).map(|_| r.next_entry().unwrap().unwrap().meta).collect();
        assert_eq!(metas[0].left_out_warning(), None);
        assert_eq!(metas[0].xattr(acl::ACCESS_XATTR), acl::to_xattr(good, true).unwrap().as_deref());
        assert_eq!(metas[0].xattr(acl::DEFAULT_XATTR).map(<[u8]>::len), Some(4 + 3 * 8));
        assert!(metas[1].left_out_warning().unwrap().contains("1 ACL record(s) (SCHILY.acl.*) left out: an NFSv4 ACL"));
        assert!(metas[2].left_out_warning().unwrap().contains("no mask:: entry"), "{:?}", metas[2].left_out_warning());
        assert_eq!(metas[2].xattr(acl::ACCESS_XATTR), None);
        assert_eq!(metas[3].xattr(acl::ACCESS_XATTR), Some(&b"raw"[..]));
    }

    /// The last value of a name counts even when it cannot be kept (the earlier one goes too),
    /// and a later, larger value counts against the 1 MiB as a new one does. The capability is
    /// kept whatever its size, outside the 1 MiB: a value no file can hold is the capability
    /// error where it is restored or shown, never a record quietly left out.
    #[test]
    fn a_later_value_that_cannot_be_kept_takes_the_earlier_one() {
        let mut a = Vec::new();
        let cap = b"\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
        let mut recs: Vec<(String, Vec<u8>)> = vec![
            ("SCHILY.xattr.security.capability".into(), cap.to_vec()),
            ("SCHILY.xattr.security.capability".into(), vec![1; (64 << 10) + 1]),
        ];
        recs.extend((0..40).map(|i| (format!("SCHILY.xattr.user.k{i:02}"), vec![])));
        recs.extend((0..40).map(|i| (format!("SCHILY.xattr.user.k{i:02}"), vec![b'y'; 32 << 10])));
        let pairs: Vec<(&str, &[u8])> = recs.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
        member(&mut a, "x", b'x', &records(&pairs), "");
        member(&mut a, "f", b'0', b"", "");
        let f = reader_of(a).next_entry().unwrap().unwrap().meta;
        assert_eq!(f.caps_raw().map(<[u8]>::len), Some((64 << 10) + 1));
        let others: Vec<_> = f.xattrs.iter().filter(|(n, _)| n != crate::caps::XATTR_NAME).collect();
        let bytes: usize = others.iter().map(|(n, v)| n.len() + v.len()).sum();
        assert!(bytes <= super::XATTRS_MAX, "{bytes}");
        let kept = others.len();
        assert!((25..=40).contains(&kept), "{kept}");
        assert!(others.iter().all(|(_, v)| v.len() == 32 << 10));
        assert_eq!(f.xattrs_left_out, 40 - kept);
    }

    /// POSIX: a local record overrides a global one, an empty value deletes the keyword (the
    /// header's field applies again, but for a name, which is deleted too), the last of
    /// repeated records counts, and of several extended headers before one member only the
    /// last counts, as GNU tar and bsdtar read them.
    #[test]
    fn pax_records_combine_as_posix_says() {
        let mut a = Vec::new();
        member(&mut a, "g", b'g', &records(&[("uname", b"global"), ("mtime", b"7.5")]), "");
        member(&mut a, "one", b'0', b"", "header");
        member(&mut a, "x1", b'x', &records(&[("uname", b""), ("size", b"3"), ("path", b"first")]), "");
        member(&mut a, "x2", b'x', &records(&[("path", b"second"), ("SCHILY.xattr.user.k", b"v\n=")]), "");
        member(&mut a, "two", b'0', b"abc", "header");
        // An empty uname deletes the global one and the header's too: no name, as GNU tar.
        member(&mut a, "x3", b'x', &records(&[("size", b"9"), ("size", b""), ("mtime", b"1.25"), ("uname", b"")]), "");
        member(&mut a, "three", b'0', b"de", "header");
        let mut r = reader_of(a);
        let one = r.next_entry().unwrap().unwrap().meta;
        assert_eq!(one.path.to_str(), Some("one"));
        assert_eq!(one.uname.as_deref(), Some(&b"global"[..]));
        assert_eq!((one.mtime.secs, one.mtime.nsecs), (7, 500_000_000));
        let two = r.next_entry().unwrap().unwrap().meta;
        assert_eq!(two.path.to_str(), Some("second"));
        // x1's records are not two's: its empty uname deletes nothing.
        assert_eq!(two.uname.as_deref(), Some(&b"global"[..]));
        assert_eq!(two.size, 3);
        assert_eq!(two.xattr("user.k"), Some(&b"v\n="[..]));
        // x1's three records are said to be left out.
        assert_eq!((two.superseded_records, two.superseded_caps), (3, false));
        assert!(two.left_out_warning().unwrap().starts_with("second: 3 record(s) of a pax extended header"));
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut r.data(), &mut data).unwrap();
        assert_eq!(data, b"abc");
        let three = r.next_entry().unwrap().unwrap().meta;
        assert_eq!(three.path.to_str(), Some("three"));
        assert_eq!(three.size, 2);
        assert!(three.xattrs.is_empty());
        assert_eq!(three.uname, None);
        assert_eq!((three.mtime.secs, three.mtime.nsecs), (1, 250_000_000));
        assert!(r.next_entry().unwrap().is_none());
    }
}
