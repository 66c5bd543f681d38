/*!
A streaming archive reader for ustar, GNU (long names, base-256 numbers) and pax archives.

Every extended header is parsed by `pax` (`each`, `ranges`), which frames records by their length prefix.
The pax `size` record always wins over the header's size field: a reader that ignores it reads
the next "header" from inside the data (CVE-2026-33055, TARmageddon CVE-2025-62518). Local
records apply to the next entry only, global records to every later one.
*/

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use super::acl;
use super::compress::Source;
use super::pax::{self, MAX_EXTENDED_HEADER};
use super::{BLOCK, EntryMeta, Kind, Time};
use crate::error::{Error, Result};

/// One member and the offset of its (first) header in the uncompressed stream.
#[derive(Debug, Clone)]
pub struct Entry {
    pub meta: EntryMeta,
    pub offset: u64,
}

/// The pax keywords that replace header fields.
const CORE: [&str; 8] = [pax::PATH, pax::LINKPATH, pax::SIZE, pax::UID, pax::GID, pax::UNAME, pax::GNAME, pax::MTIME];
/// The longest and deepest member name read: 16 times PATH_MAX, and a quarter of it in levels.
const NAME_MAX_BYTES: usize = 64 << 10;
const NAME_MAX_DEPTH: usize = 1024;
/// Linux's limits for one extended attribute (`XATTR_NAME_MAX`, `XATTR_SIZE_MAX`).
const XATTR_NAME_MAX: usize = 255;
const XATTR_SIZE_MAX: usize = 64 << 10;
/// The most xattr data (names and values) read for one member: far more than any filesystem
/// keeps for a file (Linux lists at most 64 KiB of names).
pub const XATTRS_MAX: usize = 1 << 20;

/// Reads members one by one; the data of the current member is read with `read_data` or
/// skipped (seeking where the input allows) by the next call to `next`.
pub struct Reader {
    src: Box<dyn Source>,
    archive: String,
    offset: u64,
    remaining: u64,
    padding: u64,
    /// The global header's value of each `CORE` keyword.
    global: [Option<Vec<u8>>; CORE.len()],
    /// Xattr records of global headers, left out; reported with the next member.
    global_xattrs_left_out: usize,
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
    /// The damage skipped since `next_reporting` last reported it (a member's headers can be
    /// damaged more than once).
    damage: Vec<Error>,
    /// The member whose data is being read or skipped, named in errors about its data; empty
    /// between members (a member's name never is). Its buffer is reused.
    current: PathBuf,
    /// The current member's runs when it is sparse: `read_data` then gives the file it expands
    /// to, holes as zeros.
    sparse: Option<Sparse>,
    /// The archive's volume label (a GNU `V` header, or a global header's `GNU.volume.label`)
    /// until `take_label` takes it.
    label: Option<VolumeLabel>,
    /// A label was read: later ones (archives joined after it, with `-i`) are not the archive's.
    label_seen: bool,
    /// `--label`: the archive's label must match this glob; checked when the first member (or
    /// the end) is reached.
    label_pattern: Option<(String, globset::GlobSet)>,
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
}

/// Where reading on past a damaged header got: the next header, or the end-of-archive marker
/// (their offsets).
enum Resynced {
    Header(u64),
    End(u64),
}

/// A run of data in a sparse file: offset and length; what lies between runs reads as zeros.
type Segment = (u64, u64);

/// The most runs read for one sparse member (16 bytes each): far more than real files have.
const SPARSE_RUNS_MAX: usize = 1 << 20;

/// How a sparse member's runs are found.
enum SparseMap {
    /// Given in headers or pax records (old GNU, pax 0.0 and 0.1).
    Known(Vec<Segment>),
    /// At the start of the data, in decimal lines (pax 1.0, what bsdtar writes by default).
    InData,
}

/// The sparse member being read: its runs, and where the reading is in the file it expands to.
struct Sparse {
    runs: Vec<Segment>,
    next: usize,
    pos: u64,
    size: u64,
}

fn trim_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Header fields holding numbers (ustar offsets).
const MODE: std::ops::Range<usize> = 100..108;
const UID: std::ops::Range<usize> = 108..116;
const GID: std::ops::Range<usize> = 116..124;
const SIZE: std::ops::Range<usize> = 124..136;
const MTIME: std::ops::Range<usize> = 136..148;
const DEV_MAJOR: std::ops::Range<usize> = 329..337;
const DEV_MINOR: std::ops::Range<usize> = 337..345;

/// The largest size accepted: `off_t` is signed, so no file is larger.
const MAX_SIZE: u64 = i64::MAX as u64;

/// A numeric header field as GNU tar reads it (src/list.c, `from_header`): octal digits after
/// optional spaces, ended by the field's end, a space or a NUL; or base-256 when the first byte is 0x80
/// (positive) or 0xff (negative, two's complement). `None` for anything else, so a field is
/// never half read: the `tar` crate reads only the last 8 bytes of a base-256 field, which lets
/// a 12-byte size mean one thing to it and another to GNU tar.
fn numeric(field: &[u8]) -> Option<i128> {
    // What tars write, read in one pass: octal digits from the first byte, ended by a NUL or a
    // space or by the field's end. Anything else takes the full reading below.
    if field.len() <= 21 && field.first().is_some_and(u8::is_ascii_digit) {
        let mut n = 0u64;
        let mut ended = true;
        for &b in field {
            match b {
                b'0'..=b'7' => n = (n << 3) | u64::from(b - b'0'),
                b' ' | 0 => break,
                _ => {
                    ended = false;
                    break;
                }
            }
        }
        if ended {
            return Some(i128::from(n));
        }
    }
    numeric_full(field)
}

/// `numeric`'s full reading, for any field.
fn numeric_full(field: &[u8]) -> Option<i128> {
    match field.first() {
        Some(0x80) | Some(0xff) => {
            let mut value: i128 = if field[0] == 0xff { -1 } else { 0 };
            for &b in &field[1..] {
                value = (value << 8) | i128::from(b);
            }
            Some(value)
        }
        _ => {
            // As GNU tar: one leading NUL is skipped (an old tar's overflow of the field
            // before), then spaces; a field that is only spaces is invalid, and one whose text
            // ends before any digit (GNU tar's label header leaves fields all NUL) is 0.
            let field = field.strip_prefix(b"\0").unwrap_or(field);
            let text = &field[field.iter().position(|&b| b != b' ')?..];
            let digits = text.iter().take_while(|b| (b'0'..=b'7').contains(b)).count();
            if !matches!(text.get(digits), None | Some(b' ' | 0)) {
                return None;
            }
            if digits == 0 {
                return Some(0);
            }
            let digits = &text[..digits];
            if digits.len() <= 21 {
                // 21 octal digits are 63 bits: no overflow (header fields hold at most 12).
                return Some(i128::from(digits.iter().fold(0u64, |n, &d| (n << 3) | u64::from(d - b'0'))));
            }
            digits.iter().try_fold(0i128, |n, &d| n.checked_mul(8).map(|n| n + i128::from(d - b'0')))
        }
    }
}

/// The header's size field, within what a file can hold.
fn size_field(block: &[u8; BLOCK]) -> std::result::Result<u64, String> {
    let raw = &block[SIZE];
    numeric(raw)
        .and_then(|n| u64::try_from(n).ok())
        .filter(|&n| n <= MAX_SIZE)
        .ok_or_else(|| format!("invalid size field {:?}", String::from_utf8_lossy(trim_nul(raw))))
}

pub(crate) fn header_checksum_ok(block: &[u8; BLOCK]) -> Option<bool> {
    let stored = checksum_field(&block[148..156])?;
    // The sum with the checksum field read as eight spaces, both as unsigned and (old tars)
    // signed bytes. Summed whole, then corrected: a loop without a branch per byte.
    let field = &block[148..156];
    let unsigned = block.iter().map(|&b| u32::from(b)).sum::<u32>() - field.iter().map(|&b| u32::from(b)).sum::<u32>()
        + 8 * u32::from(b' ');
    if stored == unsigned {
        return Some(true);
    }
    let signed = block.iter().map(|&b| i32::from(b as i8)).sum::<i32>()
        - field.iter().map(|&b| i32::from(b as i8)).sum::<i32>()
        + 8 * i32::from(b' ');
    Some(stored as i32 == signed)
}

/// The stored checksum: up to a NUL, trimmed of spaces and NULs, octal.
fn checksum_field(field: &[u8]) -> Option<u32> {
    let field = trim_nul(field);
    // Digits up to the NUL, as tars write them, read directly (at most 8: no overflow).
    if (1..=8).contains(&field.len()) && field.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return Some(field.iter().fold(0u32, |n, &d| (n << 3) | u32::from(d - b'0')));
    }
    let text = std::str::from_utf8(field).ok()?.trim_matches(|c: char| c == ' ' || c == '\0');
    u32::from_str_radix(text, 8).ok()
}

/// What a decompressor's error says of the archive.
fn damaged(e: &io::Error) -> String {
    format!("the compressed stream is damaged ({e}): what was read from it may be wrong; use an intact copy")
}

/// A member's xattrs, one value per name, built record by record: what a header of millions
/// of records costs is the values kept, within XATTRS_MAX.
#[derive(Default)]
struct Xattrs {
    index: HashMap<OsString, usize>,
    slots: Vec<Option<(OsString, Vec<u8>)>>,
    /// Whether each slot's value came from a LIBARCHIVE record.
    libarchive_value: Vec<bool>,
    /// The bytes of the values kept, with their names.
    total: usize,
    left_out: usize,
    /// SCHILY values that replaced a different LIBARCHIVE value of the same name.
    conflicting: u32,
}

impl Xattrs {
    /// One record's xattr. The last value of a name counts; GNU tar's SCHILY form wins over
    /// libarchive's copy of the same value (SCHILY records come after all LIBARCHIVE ones).
    /// Values Linux cannot hold are left out (and counted), and so is what goes beyond
    /// XATTRS_MAX in all, so a member's xattrs stay within what a real file can carry.
    fn add(&mut self, name: OsString, value: Vec<u8>, libarchive: bool) {
        // The capability is never left out here, whatever its size or the others': kept,
        // a value no file can hold is the capability error extract, list and verify report
        // (exit 2), not a generic warning; and other xattrs cannot crowd it out.
        let capability = name == crate::caps::XATTR_NAME;
        let size = |v: &Vec<u8>| if capability { 0 } else { name.len() + v.len() };
        // A name Linux cannot hold (empty, or with a NUL, which ends it) is left out too:
        // it failed later as if the disk had refused it.
        let named = !name.is_empty() && !name.as_bytes().contains(&0);
        let fits = capability || (named && name.len() <= XATTR_NAME_MAX && value.len() <= XATTR_SIZE_MAX);
        let slot = self.index.get(&name).copied();
        // A SCHILY value replacing a different LIBARCHIVE value of the same name.
        if !libarchive
            && let Some(s) = slot
            && std::mem::take(&mut self.libarchive_value[s])
            && self.slots[s].as_ref().is_some_and(|(_, old)| *old != value)
        {
            self.conflicting += 1;
        }
        // The last value of a name counts: one that cannot be kept takes the earlier one
        // with it, so an archive never means one thing to GNU tar and another here.
        if let Some(old) = slot.and_then(|i| self.slots[i].take()) {
            self.total -= size(&old.1);
        }
        if !fits || self.total + size(&value) > XATTRS_MAX {
            self.left_out += 1;
            return;
        }
        self.total += size(&value);
        match slot {
            Some(i) => self.slots[i] = Some((name, value)),
            None => {
                self.index.insert(name.clone(), self.slots.len());
                self.slots.push(Some((name, value)));
                self.libarchive_value.push(libarchive);
            }
        }
    }
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
            global: Default::default(),
            global_xattrs_left_out: 0,
            local: Vec::new(),
            done: false,
            ignore_zeros: false,
            refuse_empty: false,
            zeros_from: None,
            skip_damage: false,
            damage: Vec::new(),
            end: None,
            current: PathBuf::new(),
            label: None,
            label_seen: false,
            label_pattern: None,
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

    /// The archive's label is its first (GNU tar lists and checks only that one; with `-i`,
    /// those of archives joined after it are not shown).
    fn read_label(&mut self, text: Vec<u8>, block: &[u8; BLOCK]) {
        if std::mem::replace(&mut self.label_seen, true) {
            return;
        }
        let mtime = numeric(&block[MTIME]).and_then(|t| i64::try_from(t).ok()).unwrap_or(0);
        self.label = Some(VolumeLabel { text, mtime });
    }

    /// Checks `--label` once, at the first member or the first end marker, before `take_label`
    /// can have taken the label: GNU tar's messages.
    fn check_label(&mut self) -> Result<()> {
        let Some((pattern, glob)) = self.label_pattern.take() else { return Ok(()) };
        match self.label.as_ref().map(|l| &l.text) {
            Some(label) if glob.is_match(std::path::Path::new(std::ffi::OsStr::from_bytes(label))) => Ok(()),
            Some(label) => Err(Error::Entry {
                path: self.archive.clone().into(),
                msg: format!(
                    "volume label {:?} does not match --label {pattern:?}; this is not the archive asked for",
                    String::from_utf8_lossy(label)
                ),
            }),
            None => Err(Error::Entry {
                path: self.archive.clone().into(),
                msg: format!(
                    "the archive has no volume label to match --label {pattern:?}; leave --label out to read it"
                ),
            }),
        }
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
    }

    /// `next_entry`, with the damage skipped to reach the member (or the error) reported first.
    pub fn next_reporting(&mut self, report: &crate::error::Report) -> Result<Option<Entry>> {
        let next = self.next_entry();
        for damage in self.take_damage() {
            report.error(damage);
        }
        next
    }

    /// The damage skipped since this was last called (`next_reporting` reports it), to be
    /// reported before the member `next_entry` gave.
    pub fn take_damage(&mut self) -> Vec<Error> {
        std::mem::take(&mut self.damage)
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
            format!("{}: {}", self.current.display(), msg.into())
        };
        Error::Archive { archive: self.archive.clone(), offset, msg }
    }

    fn io_err(&self, e: io::Error) -> Error {
        self.err(self.offset, self.io_msg(&e))
    }

    /// What a read error means, in a message.
    fn io_msg(&self, e: &io::Error) -> String {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            "the archive is truncated: it ends inside an entry; the file was cut short or is still being written".into()
        } else if e.to_string().contains("Frame requires too much memory") {
            // zstd's window limit for readers (128 MiB), which `zstd --long=28` and up exceed.
            "this zstd stream needs a window over 128 MiB (made with zstd --long=28 or more), larger than captar reads; decompress it first: `zstd -dc --long=31 ARCHIVE | captar ... -f -`".into()
        } else if !self.src.seeks() && matches!(e.kind(), io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput) {
            // A decompressor's own finding (a read error of the input is neither kind).
            damaged(e)
        } else {
            format!("read failed: {e}")
        }
    }

    /// Reads one block; `Ok(None)` at a clean end of input on a block boundary.
    fn read_block(&mut self) -> Result<Option<[u8; BLOCK]>> {
        let mut block = [0u8; BLOCK];
        let got = self.fill(&mut block).map_err(|e| self.io_err(e))?;
        if got == 0 {
            return Ok(None);
        }
        if got < BLOCK && self.offset == 0 {
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
        if n > 0 {
            self.src.skip(n).map_err(|e| self.io_err(e))?;
            self.offset += n;
        }
        Ok(())
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
    fn check_trailer(&mut self) -> Result<()> {
        let mut block = [0u8; BLOCK];
        let second = self.fill(&mut block);
        if let Ok(n) = second {
            self.offset += n as u64;
        }
        second.and_then(|_| self.src.finish()).map_err(|e| {
            let msg = match self.src.seeks() {
                true => format!("read failed after the end-of-archive marker: {e}"),
                false => format!(
                    "the compressed stream fails its check at its end ({e}): the archive is damaged and what was read from it may be wrong; use an intact copy"
                ),
            };
            self.err(self.offset, msg)
        })
    }

    /// A header that fails its checksum. In a compressed archive a damaged stream is the likelier
    /// cause (bzip2 checks a block only after giving out its data: 900 kB of run-length-encoded
    /// input, up to about 46 MB once decoded), and the decompressor, read that far further, says
    /// so. (Not to its end: a compressed file that is no archive at all would be decompressed
    /// whole before saying so.)
    fn bad_header(&mut self, at: u64, what: &str, why: &str) -> Error {
        const AHEAD: u64 = 64 << 20;
        if !self.src.seeks()
            && let Err(e) = io::copy(&mut (&mut *self.src).take(AHEAD), &mut io::sink())
        {
            return self.err(at, format!("{what}: {}", damaged(&e)));
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
            let msg = match reader.src.decompresses()
                && matches!(e.kind(), io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput)
            {
                true => format!("{what}: {}", damaged(e)),
                false => format!("{what}: the archive is damaged here, and reading on past it: {}", reader.io_msg(e)),
            };
            reader.err(at, msg)
        };
        if self.src.decompresses() {
            const AHEAD: u64 = 64 << 20;
            let mut ahead = Vec::new();
            if let Err(e) = (&mut *self.src).take(AHEAD).read_to_end(&mut ahead) {
                return Err(read_on(self, &e));
            }
            let inner = std::mem::replace(&mut self.src, Box::new(io::empty()));
            self.src = Box::new(super::compress::Replay::new(ahead, inner));
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
                                "{what}: the archive is damaged here; no member header follows before its end-of-archive marker (at byte {z}): the {} bytes between are lost",
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
                        "{what}: the archive is damaged here; skipped {} bytes to the next member header (at byte {start}): what they held is lost",
                        start - at
                    ),
                ));
                return Ok(Resynced::Header(start));
            }
        }
    }

    /// Skips whatever is left of the current member's data.
    fn finish_current(&mut self) -> Result<()> {
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
                self.check_trailer()?;
                return Ok(None);
            }
            self.zeros_from = None;
            match header_checksum_ok(&block) {
                Some(true) => {}
                bad => {
                    let what = if bad.is_some() { "header checksum mismatch" } else { "header has no valid checksum" };
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
                .map_err(|e| self.err(at, format!("{}: {e}", String::from_utf8_lossy(&header.path_bytes()))))?;
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
                    let mut local = std::mem::take(&mut self.local);
                    let start = local.len();
                    let read = self.read_blob_into(size, "pax extended header", &mut local);
                    self.local = local;
                    read?;
                    let end = pax::each(&self.local[start..], |_, _| {}).map_err(|e| self.err(at, e.to_string()))?;
                    // Without its padding, the next header's records follow this one's.
                    self.local.truncate(start + end);
                }
                b'g' => {
                    let data = self.read_blob(size, "pax global header")?;
                    let records = pax::parse(&data).map_err(|e| self.err(at, e.to_string()))?;
                    // Only the keywords captar reads from a global header, one (the last) of each.
                    // No archiver puts xattrs there: ones that did would be copied onto every
                    // member, so they are left out, and counted on the next member.
                    for r in records {
                        if r.key == VOLUME_LABEL.as_bytes() {
                            self.read_label(r.value.to_vec(), &block);
                        } else if let Some(slot) = CORE.iter().position(|k| k.as_bytes() == r.key) {
                            self.global[slot] = Some(r.value.to_vec());
                        } else if r.key.starts_with(pax::SCHILY_XATTR.as_bytes())
                            || r.key.starts_with(pax::LIBARCHIVE_XATTR.as_bytes())
                        {
                            self.global_xattrs_left_out += 1;
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
                    let text = pending.long_name.take().unwrap_or_else(|| header.path_bytes().into_owned());
                    self.read_label(text, &block);
                    self.skip(size + padding(size))?; // sizes are at most i64::MAX: no overflow
                    if pending.first_offset == Some(at) {
                        pending.first_offset = None;
                    }
                }
                kind => {
                    self.check_label()?;
                    let offset = pending.first_offset.unwrap_or(at);
                    if kind == b'S' {
                        pending.old_sparse = Some(self.old_sparse_map(&block, at)?);
                    }
                    let (mut meta, sparse) = self.member(&block, header, pending, at)?;
                    meta.xattrs_left_out += std::mem::take(&mut self.global_xattrs_left_out);
                    if kind == b'D' {
                        self.gnu_dumpdir(&mut meta)?;
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
    /// size stays, as `tar -tv` shows it. Out of line: rare, and kept off `next_entry`'s path
    /// (inlined, it made listing 6% slower).
    #[cold]
    #[inline(never)]
    fn gnu_dumpdir(&mut self, meta: &mut EntryMeta) -> Result<()> {
        meta.dumpdir = Some(self.read_blob(meta.size, "GNU dumpdir")?);
        self.remaining = 0;
        self.padding = 0;
        Ok(())
    }

    /// The member a header (and the extended headers before it) describes, and, for a sparse
    /// one, how to find its runs and the size it expands to.
    fn member(
        &self,
        block: &[u8; BLOCK],
        header: &tar::Header,
        pending: Pending,
        at: u64,
    ) -> Result<(EntryMeta, Option<(SparseMap, u64)>)> {
        let header_path = pending.long_name.as_deref().map_or_else(|| header.path_bytes(), Cow::Borrowed);
        // Errors name the member as the pax records will call it (made only for an error).
        // Checked when read: every record is well formed.
        let local = pax::ranges(&self.local).map_while(Result::ok).map(|(k, v)| (&self.local[k], &self.local[v]));
        let global = CORE.iter().zip(&self.global).filter_map(|(k, v)| Some((k.as_bytes(), v.as_deref()?)));
        let records = || global.clone().chain(local.clone());
        let fail = |msg: String| {
            let named = records().filter(|&(k, _)| k == pax::PATH.as_bytes()).last().map(|(_, v)| v);
            // A name too long to read is shown by its start.
            let name = named.unwrap_or(&header_path);
            let shown = String::from_utf8_lossy(&name[..name.len().min(200)]);
            let more = if name.len() > 200 { "..." } else { "" };
            self.err(at, format!("{shown}{more}: {msg}"))
        };
        let field = |range: std::ops::Range<usize>, name: &str| {
            numeric(&block[range.clone()]).ok_or_else(|| {
                fail(format!("invalid {name} field {:?}", String::from_utf8_lossy(trim_nul(&block[range]))))
            })
        };
        let mut path: &[u8] = &header_path;
        let mut link = pending.long_link.as_deref().map(Cow::Borrowed).or_else(|| header.link_name_bytes());
        let kind = match block[156] {
            b'0' | b'\0' | b'7' => Kind::File,
            b'1' => Kind::HardLink,
            b'2' => Kind::Symlink,
            b'3' => Kind::Char,
            b'4' => Kind::Block,
            b'5' | b'D' => Kind::Dir,
            b'6' => Kind::Fifo,
            b'S' => Kind::File,
            b'M' => {
                return Err(fail("GNU multi-volume continuation: captar does not read multi-volume archives".into()));
            }
            // POSIX: an unknown type is read as a regular file.
            _ => Kind::File,
        };
        let mut meta = EntryMeta::new(PathBuf::new(), kind);
        meta.contiguous = block[156] == b'7';
        let mode = field(MODE, "mode")?;
        let uid = field(UID, "uid")?;
        let gid = field(GID, "gid")?;
        let mtime = field(MTIME, "mtime")?;
        meta.mode = (mode & 0o7777) as u32;
        meta.uid = u64::try_from(uid).map_err(|_| fail(format!("negative uid {uid}")))?;
        meta.gid = u64::try_from(gid).map_err(|_| fail(format!("negative gid {gid}")))?;
        meta.mtime =
            Time { secs: i64::try_from(mtime).map_err(|_| fail(format!("mtime {mtime} out of range")))?, nsecs: 0 };
        meta.uname = header.username_bytes().filter(|n| !n.is_empty()).map(<[u8]>::to_vec);
        meta.gname = header.groupname_bytes().filter(|n| !n.is_empty()).map(<[u8]>::to_vec);
        if matches!(kind, Kind::Char | Kind::Block) {
            let dev = |range, name| {
                field(range, name).and_then(|n| u32::try_from(n).map_err(|_| fail(format!("{name} {n} out of range"))))
            };
            meta.dev_major = dev(DEV_MAJOR, "device major")?;
            meta.dev_minor = dev(DEV_MINOR, "device minor")?;
        }
        meta.size = size_field(block).map_err(fail)?;
        // LIBARCHIVE records are taken first, as they come; SCHILY ones after them (below).
        let mut xattrs = Xattrs::default();
        // The keyword suffixes as archived: bsdtar writes an xattr's URL-encoded name in both
        // its LIBARCHIVE and its SCHILY record (`user.sp%20ace`), so the SCHILY one is the
        // LIBARCHIVE one's xattr, not another named with a `%`. Looked up by key, not
        // searched: a header may hold a million records of each.
        let mut libarchive_keys: HashSet<&[u8]> = HashSet::new();
        let mut schily = false;
        // GNU tar's and bsdtar's ACLs, as text; the last record of each counts.
        let mut acls: [Option<&[u8]>; 2] = [None, None];
        // GNU's sparse records: format 1.0 (map in the data), 0.1 (`map`), 0.0 (pairs of
        // `offset` and `numbytes`); the real name and size.
        let mut sparse_name: Option<&[u8]> = None;
        let mut sparse_size: Option<u64> = None;
        let mut sparse_major: Option<u64> = None;
        let mut sparse_map: Option<&[u8]> = None;
        // GNU tar --selinux's record of the label.
        let mut label: Option<&[u8]> = None;
        let mut sparse_offsets: Vec<u64> = Vec::new();
        let mut sparse_lengths: Vec<u64> = Vec::new();
        // POSIX: an empty value deletes the keyword (a local one undoes a global one), and the
        // header's field applies again. An xattr's empty value is a value. So a core keyword
        // counts at its last record, unless that one is empty.
        let mut last = [usize::MAX; CORE.len()];
        let mut last_empty = [false; CORE.len()];
        for (i, (key, value)) in records().enumerate() {
            if let Some(slot) = CORE.iter().position(|k| k.as_bytes() == key) {
                last[slot] = i;
                last_empty[slot] = value.is_empty();
            }
        }
        let effective = || {
            records().enumerate().filter(|&(i, (key, value))| {
                CORE.iter().position(|k| k.as_bytes() == key).is_none_or(|slot| last[slot] == i && !value.is_empty())
            })
        };
        // An empty uname or gname deletes the header's name too (POSIX: "any header block
        // field ... of the same name"; GNU tar and Python's tarfile read it so): the member
        // has no name, only its id. (Other fields have no "none"; their header's value stands.)
        let deleted = |key: &str| CORE.iter().position(|k| *k == key).is_some_and(|slot| last_empty[slot]);
        if deleted(pax::UNAME) {
            meta.uname = None;
        }
        if deleted(pax::GNAME) {
            meta.gname = None;
        }
        for (_, (key, value)) in effective() {
            let text = || String::from_utf8_lossy(value).into_owned();
            let number = |field: &str| {
                let n = text().trim().parse::<u64>().ok().filter(|&n| n <= MAX_SIZE);
                n.ok_or_else(|| fail(format!("pax {field} record {:?} is not a number in range", text())))
            };
            match key {
                k if k == pax::PATH.as_bytes() => path = value,
                k if k == pax::LINKPATH.as_bytes() => link = Some(Cow::Borrowed(value)),
                k if k == pax::SIZE.as_bytes() => meta.size = number("size")?,
                k if k == pax::UID.as_bytes() => meta.uid = number("uid")?,
                k if k == pax::GID.as_bytes() => meta.gid = number("gid")?,
                k if k == pax::UNAME.as_bytes() => meta.uname = Some(value.to_vec()),
                k if k == pax::GNAME.as_bytes() => meta.gname = Some(value.to_vec()),
                k if k == pax::MTIME.as_bytes() => {
                    meta.mtime = Time::from_pax(text().trim())
                        .ok_or_else(|| fail(format!("pax mtime record {:?} is not a time", text())))?;
                }
                k if k.starts_with(pax::SCHILY_XATTR.as_bytes()) => schily = true,
                k if k.starts_with(pax::LIBARCHIVE_XATTR.as_bytes()) => {
                    let suffix = &k[pax::LIBARCHIVE_XATTR.len()..];
                    let (name, v) = pax::libarchive_xattr(suffix, value).ok_or_else(|| {
                        fail("LIBARCHIVE.xattr record is not URL-encoded name and base64 value".into())
                    })?;
                    libarchive_keys.insert(suffix);
                    xattrs.add(name, v, true);
                }
                k if k == pax::SELINUX.as_bytes() => label = Some(value),
                k if k == pax::DUMPDIR.as_bytes() => meta.dumpdir = Some(value.to_vec()),
                b"SCHILY.acl.access" => acls[0] = Some(value),
                b"SCHILY.acl.default" => acls[1] = Some(value),
                // NFSv4 ACLs (SCHILY.acl.ace) have no Linux xattr form.
                k if k.starts_with(b"SCHILY.acl.") => meta.acls_ignored += 1,
                b"GNU.sparse.name" => sparse_name = Some(value),
                b"GNU.sparse.realsize" | b"GNU.sparse.size" => sparse_size = Some(number("GNU.sparse size")?),
                b"GNU.sparse.major" => sparse_major = Some(number("GNU.sparse.major")?),
                b"GNU.sparse.map" => sparse_map = Some(value),
                b"GNU.sparse.offset" | b"GNU.sparse.numbytes" => {
                    let list = if key == b"GNU.sparse.offset" { &mut sparse_offsets } else { &mut sparse_lengths };
                    if list.len() >= SPARSE_RUNS_MAX {
                        return Err(fail(format!(
                            "a sparse file of more than {SPARSE_RUNS_MAX} runs; the archive is corrupt or hostile"
                        )));
                    }
                    list.push(number("GNU.sparse offset or length")?);
                }
                _ => {}
            }
        }
        if schily {
            for (_, (key, value)) in effective() {
                let Some(suffix) = key.strip_prefix(pax::SCHILY_XATTR.as_bytes()) else { continue };
                let name = match libarchive_keys.contains(suffix) {
                    true => pax::libarchive_name(suffix),
                    false => None,
                };
                xattrs.add(name.unwrap_or_else(|| pax::schily_name(suffix)), value.to_vec(), false);
            }
        }
        meta.xattrs_left_out += xattrs.left_out;
        meta.xattrs_conflicting += xattrs.conflicting;
        meta.xattrs = xattrs.slots.into_iter().flatten().collect();
        meta.xattr_records = meta.xattrs.len();
        // The label of an RHT.security.selinux record is the one GNU tar --selinux restores: it
        // wins over a SCHILY.xattr record of another value (said in a warning).
        if let Some(label) = label {
            let name = OsString::from(crate::select::SELINUX_XATTR);
            if label.len() > XATTR_SIZE_MAX {
                meta.xattrs_left_out += 1;
            } else if let Some((_, old)) = meta.xattrs.iter_mut().find(|(n, _)| *n == name) {
                meta.selinux_conflicting = pax::without_nul(old) != pax::without_nul(label);
                *old = label.to_vec();
            } else {
                meta.xattrs.push((name, label.to_vec()));
            }
            meta.selinux_record = label.len() <= XATTR_SIZE_MAX;
        }
        if acls.iter().any(Option::is_some) {
            meta.acl_texts = Some(Box::new(acls.map(|text| text.map(<[u8]>::to_vec))));
        }
        // An ACL becomes its xattr, unless the archive carries that xattr itself.
        for (text, (name, access)) in acls.into_iter().zip([(acl::ACCESS_XATTR, true), (acl::DEFAULT_XATTR, false)]) {
            let Some(text) = text else { continue };
            if meta.xattrs.iter().any(|(n, _)| n == name) {
                continue;
            }
            match acl::to_xattr(text, access) {
                Ok(Some(value)) => meta.xattrs.push((name.into(), value)),
                Ok(None) => {}
                Err(why) => {
                    meta.acls_ignored += 1;
                    meta.acl_problem.get_or_insert(why);
                }
            }
        }
        let pax_sparse = sparse_major.is_some() || sparse_map.is_some() || !sparse_offsets.is_empty();
        let sparse = match (pending.old_sparse, pax_sparse) {
            (Some((runs, size)), _) => Some((SparseMap::Known(runs), size)),
            (None, false) => None,
            (None, true) => {
                let size = sparse_size.ok_or_else(|| fail("a sparse member without its real size".into()))?;
                if let Some(name) = sparse_name {
                    path = name;
                }
                let map = match (sparse_major, sparse_map) {
                    (Some(1), _) => SparseMap::InData,
                    (Some(major), _) if major > 1 => {
                        return Err(fail(format!("GNU sparse format {major} is unknown to captar")));
                    }
                    (_, Some(map)) => SparseMap::Known(parse_sparse_map(map).map_err(fail)?),
                    _ if sparse_offsets.len() == sparse_lengths.len() => {
                        SparseMap::Known(sparse_offsets.into_iter().zip(sparse_lengths).collect())
                    }
                    _ => return Err(fail("GNU.sparse.offset and GNU.sparse.numbytes records do not pair up".into())),
                };
                Some((map, size))
            }
        };
        if sparse.is_some() && kind != Kind::File {
            return Err(fail(format!("a {} cannot be sparse", kind.word())));
        }
        if path.is_empty() {
            return Err(self.err(at, "entry has an empty name"));
        }
        if path.contains(&0) {
            return Err(fail("the name holds a NUL byte".into()));
        }
        // Longer than PATH_MAX is fine (captar walks such paths a component at a time), but a
        // name of a million `a/` would make a million directories out of 2 KB of gzip.
        let depth = path.strip_suffix(b"/").unwrap_or(path).iter().filter(|&&b| b == b'/').count() + 1;
        if path.len() > NAME_MAX_BYTES || depth > NAME_MAX_DEPTH {
            return Err(fail(format!(
                "a name of {} bytes and {depth} levels is longer than any real one (at most {NAME_MAX_BYTES} bytes and {NAME_MAX_DEPTH} levels are read); the archive is corrupt or hostile",
                path.len()
            )));
        }
        // A regular file's header whose name ends in `/` is a directory, as GNU tar and bsdtar
        // read it (pre-POSIX archives marked directories so): types 0, NUL and 7.
        let kind = if matches!(block[156], b'0' | b'\0' | b'7') && sparse.is_none() && path.ends_with(b"/") {
            meta.kind = Kind::Dir;
            Kind::Dir
        } else {
            kind
        };
        // GNU tar reads no data after a hard link or directory header (it skips it after the
        // others), libarchive none after types 2-6 (it reads a pax hard link's): data announced
        // there is members to one of them and data to the other. Refuse.
        if kind != Kind::File && block[156] != b'D' && meta.size > 0 {
            return Err(fail(format!(
                "a {} header announces {} bytes of data, which GNU tar or bsdtar would read as further members where the other skips them; refusing the archive rather than guess",
                kind.word(),
                meta.size
            )));
        }
        meta.path = PathBuf::from(OsString::from_vec(path.to_vec()));
        if matches!(kind, Kind::HardLink | Kind::Symlink) {
            match link {
                Some(l) if !l.is_empty() && !l.contains(&0) => {
                    meta.link = Some(PathBuf::from(OsString::from_vec(l.into_owned())));
                }
                Some(l) if !l.is_empty() => return Err(fail(format!("the {} target holds a NUL byte", kind.word()))),
                _ => return Err(fail(format!("{} has no target", kind.word()))),
            }
        }
        Ok((meta, sparse))
    }

    /// An old GNU sparse header's runs (four in the header, 21 in each extension block that
    /// follows while the "extended" flag is set) and real size.
    fn old_sparse_map(&mut self, block: &[u8; BLOCK], at: u64) -> Result<(Vec<Segment>, u64)> {
        let bad = |this: &Self, what: &str| this.err(at, format!("GNU sparse header: invalid {what}"));
        let mut runs = Vec::new();
        let read_runs = |this: &Self, area: &[u8], runs: &mut Vec<Segment>| -> Result<()> {
            for entry in area.chunks_exact(24) {
                if entry[0] == 0 {
                    break;
                }
                let offset =
                    numeric(&entry[..12]).and_then(|n| u64::try_from(n).ok()).ok_or_else(|| bad(this, "offset"))?;
                let len =
                    numeric(&entry[12..]).and_then(|n| u64::try_from(n).ok()).ok_or_else(|| bad(this, "length"))?;
                runs.push((offset, len));
            }
            Ok(())
        };
        read_runs(self, &block[386..482], &mut runs)?;
        let size = numeric(&block[483..495])
            .and_then(|n| u64::try_from(n).ok())
            .filter(|&n| n <= MAX_SIZE)
            .ok_or_else(|| bad(self, "real size"))?;
        let mut extended = block[482] != 0;
        while extended {
            let at = self.offset;
            let Some(ext) = self.read_block()? else {
                return Err(self.err(at, "the archive is truncated: it ends inside a GNU sparse header"));
            };
            read_runs(self, &ext[..504], &mut runs)?;
            if runs.len() > SPARSE_RUNS_MAX {
                return Err(self.err(
                    at,
                    format!("a sparse file of more than {SPARSE_RUNS_MAX} runs; the archive is corrupt or hostile"),
                ));
            }
            extended = ext[504] != 0;
        }
        Ok((runs, size))
    }

    /// Starts reading a sparse member whose stored data is `self.remaining` bytes: reads a
    /// format 1.0 map from the data, checks the runs against the data and the real size.
    fn start_sparse(&mut self, map: SparseMap, size: u64, at: u64) -> Result<()> {
        let runs = match map {
            SparseMap::Known(runs) => runs,
            SparseMap::InData => self.sparse_map_in_data(at)?,
        };
        let mut end = 0u64;
        let mut stored = 0u64;
        for &(offset, len) in &runs {
            let run_end = offset.checked_add(len).filter(|&e| offset >= end && e <= size);
            let Some(run_end) = run_end else {
                return Err(self.err(at, format!("its sparse map has runs out of order or beyond its size {size}")));
            };
            end = run_end;
            stored += len;
        }
        if stored != self.remaining {
            return Err(
                self.err(at, format!("its sparse map holds {stored} bytes of data, the archive {}", self.remaining))
            );
        }
        self.sparse = Some(Sparse { runs, next: 0, pos: 0, size });
        Ok(())
    }

    /// Format 1.0's map: decimal lines (the number of runs, then offset and length of each)
    /// at the start of the data, padded to a block.
    fn sparse_map_in_data(&mut self, at: u64) -> Result<Vec<Segment>> {
        let mut text = Vec::new();
        let mut numbers: Vec<u64> = Vec::new();
        let mut count: Option<u64> = None;
        let start = self.remaining;
        let mut byte = [0u8; 1];
        while count.is_none_or(|c| (numbers.len() as u64) < 2 * c) {
            if self.remaining == 0 || self.read_data(&mut byte)? == 0 {
                return Err(self.err(at, "its sparse map is cut short"));
            }
            match byte[0] {
                b'\n' => {
                    let n = std::str::from_utf8(&text).ok().and_then(|t| t.parse::<u64>().ok());
                    let n = n.ok_or_else(|| self.err(at, "its sparse map is not decimal numbers"))?;
                    text.clear();
                    match count {
                        None if n > SPARSE_RUNS_MAX as u64 => {
                            return Err(self.err(at, format!("a sparse file of more than {SPARSE_RUNS_MAX} runs; the archive is corrupt or hostile")));
                        }
                        None => count = Some(n),
                        Some(_) => numbers.push(n),
                    }
                }
                b if text.len() < 20 => text.push(b),
                _ => {
                    return Err(self.err(at, "its sparse map is not decimal numbers"));
                }
            }
        }
        // The map fills whole blocks.
        let used = start - self.remaining;
        let pad = padding(used).min(self.remaining);
        let mut skip = vec![0u8; pad as usize];
        let mut got = 0;
        while got < skip.len() {
            got += self.read_data(&mut skip[got..])?;
        }
        Ok(numbers.chunks_exact(2).map(|p| (p[0], p[1])).collect())
    }

    /// Reads the current member's data; 0 at its end. A sparse member reads as the file it
    /// expands to: its runs from the archive, zeros between them.
    pub fn read_data(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            let Some(sp) = self.sparse.as_mut() else { return self.read_stored(buf) };
            if sp.pos >= sp.size || buf.is_empty() {
                return Ok(0);
            }
            match sp.runs.get(sp.next).copied() {
                Some((offset, len)) if sp.pos >= offset => {
                    let left = offset + len - sp.pos;
                    if left == 0 {
                        sp.next += 1; // a run of no bytes (GNU tar ends a file with a hole so)
                        continue;
                    }
                    let want = buf.len().min(left.min(usize::MAX as u64) as usize);
                    let n = self.read_stored(&mut buf[..want])?;
                    if let Some(sp) = self.sparse.as_mut() {
                        sp.pos += n as u64;
                        if n as u64 == left {
                            sp.next += 1;
                        }
                    }
                    return Ok(n);
                }
                next => {
                    let end = next.map_or(sp.size, |(offset, _)| offset);
                    let n = buf.len().min((end - sp.pos).min(usize::MAX as u64) as usize);
                    buf[..n].fill(0);
                    sp.pos += n as u64;
                    return Ok(n);
                }
            }
        }
    }

    /// For a sparse member, the hole (bytes of zeros no run covers) at the current position,
    /// passed over: a writer seeks instead of writing it. 0 elsewhere.
    pub fn take_hole(&mut self) -> u64 {
        let Some(sp) = self.sparse.as_mut() else { return 0 };
        while sp.runs.get(sp.next).is_some_and(|&(offset, len)| len == 0 && offset <= sp.pos) {
            sp.next += 1;
        }
        let end = match sp.runs.get(sp.next) {
            Some(&(offset, _)) => offset.max(sp.pos),
            None => sp.size,
        };
        let hole = end - sp.pos.min(end);
        sp.pos += hole;
        hole
    }

    /// Reads the current member's data as stored in the archive; 0 at its end.
    fn read_stored(&mut self, buf: &mut [u8]) -> Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let want = buf.len().min(self.remaining.min(usize::MAX as u64) as usize);
        let n = loop {
            match self.src.read(&mut buf[..want]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_err(e)),
            }
        };
        if n == 0 {
            return Err(self.io_err(io::ErrorKind::UnexpectedEof.into()));
        }
        self.remaining -= n as u64;
        self.offset += n as u64;
        Ok(n)
    }

    /// Whether the current member is a sparse file (its data has holes to keep).
    pub fn is_sparse(&self) -> bool {
        self.sparse.is_some()
    }

    /// Data bytes of the current member not yet read (of the file it expands to, if sparse).
    pub fn remaining(&self) -> u64 {
        match &self.sparse {
            Some(sp) => sp.size - sp.pos,
            None => self.remaining,
        }
    }

    /// The current member's data as a `Read`.
    pub fn data(&mut self) -> Data<'_> {
        Data(self)
    }
}

/// Format 0.1's `GNU.sparse.map`: `offset,length,offset,length,...`.
fn parse_sparse_map(map: &[u8]) -> std::result::Result<Vec<Segment>, String> {
    let bad = || "its GNU.sparse.map record is not pairs of decimal numbers".to_string();
    if map.is_empty() {
        return Ok(Vec::new());
    }
    let numbers: Vec<u64> = map
        .split(|&b| b == b',')
        .map(|n| std::str::from_utf8(n).ok().and_then(|t| t.parse::<u64>().ok()).ok_or_else(bad))
        .collect::<std::result::Result<_, _>>()?;
    if !numbers.len().is_multiple_of(2) {
        return Err(bad());
    }
    if numbers.len() / 2 > SPARSE_RUNS_MAX {
        return Err(format!("a sparse file of more than {SPARSE_RUNS_MAX} runs; the archive is corrupt or hostile"));
    }
    Ok(numbers.chunks_exact(2).map(|p| (p[0], p[1])).collect())
}

/// Bytes of zero padding after `size` bytes of data.
pub fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// The current member's data; errors carry the archive offset.
pub struct Data<'a>(&'a mut Reader);

impl Read for Data<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The error itself, which names the archive and member: `Error::of_data` takes it back.
        self.0.read_data(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

#[cfg(test)]
mod tests {
    use super::Reader;
    use super::acl;
    use super::{checksum_field, numeric, numeric_full, trim_nul};
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
    /// repeated records counts, and records of
    /// several extended headers before one member add up.
    #[test]
    fn pax_records_combine_as_posix_says() {
        let mut a = Vec::new();
        member(&mut a, "g", b'g', &records(&[("uname", b"global"), ("mtime", b"7.5")]), "");
        member(&mut a, "one", b'0', b"", "header");
        member(&mut a, "x1", b'x', &records(&[("uname", b""), ("size", b"3"), ("path", b"first")]), "");
        member(&mut a, "x2", b'x', &records(&[("path", b"second"), ("SCHILY.xattr.user.k", b"v\n=")]), "");
        member(&mut a, "two", b'0', b"abc", "header");
        member(&mut a, "x3", b'x', &records(&[("size", b"9"), ("size", b""), ("mtime", b"1.25")]), "");
        member(&mut a, "three", b'0', b"de", "header");
        let mut r = reader_of(a);
        let one = r.next_entry().unwrap().unwrap().meta;
        assert_eq!(one.path.to_str(), Some("one"));
        assert_eq!(one.uname.as_deref(), Some(&b"global"[..]));
        assert_eq!((one.mtime.secs, one.mtime.nsecs), (7, 500_000_000));
        let two = r.next_entry().unwrap().unwrap().meta;
        assert_eq!(two.path.to_str(), Some("second"));
        // An empty uname deletes the global one and the header's too: no name, as GNU tar.
        assert_eq!(two.uname, None);
        assert_eq!(two.size, 3);
        assert_eq!(two.xattr("user.k"), Some(&b"v\n="[..]));
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut r.data(), &mut data).unwrap();
        assert_eq!(data, b"abc");
        let three = r.next_entry().unwrap().unwrap().meta;
        assert_eq!(three.path.to_str(), Some("three"));
        assert_eq!(three.size, 2);
        assert!(three.xattrs.is_empty());
        assert_eq!(three.uname.as_deref(), Some(&b"global"[..]));
        assert_eq!((three.mtime.secs, three.mtime.nsecs), (1, 250_000_000));
        assert!(r.next_entry().unwrap().is_none());
    }

    /// Every field of up to 5 bytes, and of 8 and 12 from the same bytes repeated, over the
    /// bytes that matter: the one-pass reading gives what the full one gives.
    #[test]
    fn the_fast_readings_of_numbers_give_the_full_ones() {
        const BYTES: &[u8] = b"0178 \0+x\x80\xff";
        let mut fields: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=5 {
            let mut n = BYTES.len().pow(len);
            while n > 0 {
                n -= 1;
                let mut k = n;
                let f: Vec<u8> = (0..len).map(|_| (BYTES[k % BYTES.len()], k /= BYTES.len()).0).collect();
                fields.push(f.iter().cycle().take(8).copied().collect());
                fields.push(f.iter().cycle().take(12).copied().collect());
                fields.push(f);
            }
        }
        fields.extend([b"0000644\0".to_vec(), b"00000001750 ".to_vec(), b"7777777777777777777777".to_vec()]);
        for f in &fields {
            assert_eq!(numeric(f), numeric_full(f), "{}", f.escape_ascii());
            let full = std::str::from_utf8(trim_nul(f))
                .ok()
                .and_then(|t| u32::from_str_radix(t.trim_matches(|c: char| c == ' ' || c == '\0'), 8).ok());
            assert_eq!(checksum_field(f), full, "{}", f.escape_ascii());
        }
    }

    #[test]
    fn numeric_fields_read_as_gnu_tar_reads_them() {
        let cases: &[(&[u8], Option<i128>)] = &[
            (b"0000644\0", Some(0o644)),
            (b"  644 \0\0", Some(0o644)),
            (b"00000000017\0", Some(0o17)),
            // Twelve digits, no terminator (GNU tar writes these for 8 GiB and more).
            (b"777777777777", Some(0o777777777777)),
            // Whatever follows the terminator is not read.
            (b"644\0garbage", Some(0o644)),
            (b"", None),
            (b"\0\0\0\0", Some(0)),
            (b"\0", None),
            (b"\x000000005\0", Some(5)),
            (b"   \0    ", Some(0)),
            (b"        ", None),
            (b"64x4\0", None),
            (b"-644\0", None),
            (b"0o644\0", None),
            (&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00], Some(256)),
            (&[0xff; 12], Some(-1)),
            (&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], Some(-2)),
            // Every byte counts: the tar crate would read only the last 8 of these.
            (&[0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3], Some((1 << 64) + 3)),
            // Only 0x80 and 0xff mark base-256.
            (&[0x81, 0, 0, 0, 0, 0, 0, 1], None),
        ];
        for (field, want) in cases {
            assert_eq!(numeric(field), *want, "{}", field.escape_ascii());
        }
    }
}
