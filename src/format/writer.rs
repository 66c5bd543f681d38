/*!
A streaming pax archive writer. Every member gets a ustar header; a pax extended header
carries what ustar cannot hold: long or non-ASCII names and link targets (with
`hdrcharset=BINARY` when they are not UTF-8, so bsdtar accepts them), sub-second or out-of-range
mtimes, large ids and sizes, long user and group names, and xattrs as
`SCHILY.xattr.<name>=<raw value>`, the form GNU tar reads (libarchive reads it too, and GNU tar
would warn about libarchive's own `LIBARCHIVE.xattr` form).
*/

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;

use super::reader::padding;
use super::{BLOCK, EntryMeta, Kind};
use super::{acl, pax};

/// GNU tar's default record size (blocking factor 20); archives end on a record boundary.
pub const RECORD: u64 = 20 * BLOCK as u64;
const NAME_LEN: usize = 100;
const PREFIX_LEN: usize = 155;
const OCTAL_8_MAX: u64 = 0o7777777;
const OCTAL_12_MAX: u64 = 0o77777777777;
const COPY_BUFFER: usize = 1 << 20;

/// How the data of a member compared with the size announced in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataOutcome {
    Complete,
    /// The source ended early; the rest was written as zeros to keep the archive well-formed.
    Short {
        read: u64,
    },
}

pub struct Writer<W: Write> {
    out: W,
    written: u64,
    /// Where in the archive the writing starts (members added to an archive): its records
    /// count from the archive's start.
    start: u64,
    buf: Vec<u8>,
    /// `--checkpoint`: the records begun, counted on what is written.
    checkpoints: Option<crate::checkpoint::Counter>,
    /// The archive ends on a multiple of this (`--blocking-factor` blocks; RECORD by default).
    record: u64,
}

/// Splits a name into ustar prefix and name fields, if it fits.
fn ustar_split(path: &[u8]) -> Option<(&[u8], &[u8])> {
    if path.len() <= NAME_LEN {
        return Some((&[], path));
    }
    let start = path.len().saturating_sub(NAME_LEN + 1);
    (start..path.len().min(PREFIX_LEN + 1))
        .filter(|&i| path[i] == b'/')
        .map(|i| (&path[..i], &path[i + 1..]))
        .find(|(prefix, name)| prefix.len() <= PREFIX_LEN && !name.is_empty() && name.len() <= NAME_LEN)
}

/// Sets `dst` to a printable stand-in for a value that is in the pax header: the last bytes of
/// `bytes` that fit, each one not printable made `_`.
fn set_placeholder(dst: &mut [u8], bytes: &[u8]) {
    let tail = &bytes[bytes.len().saturating_sub(dst.len())..];
    dst.fill(0);
    for (d, &b) in dst.iter_mut().zip(tail) {
        *d = if b.is_ascii_graphic() || b == b' ' { b } else { b'_' };
    }
}

fn set_field(dst: &mut [u8], src: &[u8]) {
    dst.fill(0);
    dst[..src.len()].copy_from_slice(src);
}

/// `val` in octal, zero-padded to fill `dst` but its last byte, a NUL: as the tar crate writes
/// a field (which formats it into a new String each time).
fn set_octal(dst: &mut [u8], mut val: u64) {
    let (digits, end) = dst.split_at_mut(dst.len() - 1);
    end[0] = 0;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (val & 7) as u8;
        val >>= 3;
    }
}

/// The numeric fields the writer may need base-256 for.
#[derive(Clone, Copy)]
enum Number {
    Uid,
    Gid,
    Size,
}

/// A numeric field: octal where it fits (`set_octal`), else base-256 as the tar crate writes it.
fn set_number(h: &mut tar::Header, which: Number, val: u64) {
    let old = h.as_old_mut();
    let dst: &mut [u8] = match which {
        Number::Uid => &mut old.uid,
        Number::Gid => &mut old.gid,
        Number::Size => &mut old.size,
    };
    // The tar crate's bounds: 8^11 for any field, 8^7 for an 8-byte one.
    if val >= 1 << 33 || (val >= 1 << 21 && dst.len() == 8) {
        match which {
            Number::Uid => h.set_uid(val),
            Number::Gid => h.set_gid(val),
            Number::Size => h.set_size(val),
        }
    } else {
        set_octal(dst, val);
    }
}

/// A ustar header with nothing set but its magic, version and an mtime of 0 (`new_ustar`'s).
fn new_ustar() -> tar::Header {
    let mut bytes = [0u8; BLOCK];
    bytes[257..263].copy_from_slice(b"ustar\0");
    bytes[263..265].copy_from_slice(b"00");
    set_octal(&mut bytes[136..148], 0);
    tar::Header::from_byte_slice(&bytes).clone()
}

/// Sets the header's checksum, as `set_cksum` does: the sum of its bytes, the checksum field
/// counted as spaces.
fn set_checksum(h: &mut tar::Header) {
    let bytes = h.as_mut_bytes();
    bytes[148..156].fill(b' ');
    let sum: u32 = bytes.iter().map(|&b| u32::from(b)).sum();
    set_octal(&mut bytes[148..156], u64::from(sum));
}

impl<W: Write> Writer<W> {
    pub fn new(out: W) -> Writer<W> {
        Writer { out, written: 0, start: 0, buf: vec![0u8; COPY_BUFFER], checkpoints: None, record: RECORD }
    }

    /// Runs the `--checkpoint` actions as the records are written.
    pub fn with_checkpoints(mut self, counter: Option<crate::checkpoint::Counter>) -> Writer<W> {
        self.checkpoints = counter;
        self
    }

    /// `n` more bytes are in the archive.
    fn advance(&mut self, n: u64) {
        self.written += n;
        if let Some(c) = self.checkpoints.as_mut() {
            c.at(self.written);
        }
    }

    /// The archive is padded to a multiple of `record` bytes (a multiple of 512), GNU tar's
    /// `--record-size`.
    pub fn with_record(mut self, record: u64) -> Writer<W> {
        self.record = record;
        self
    }

    /// A writer adding to an archive at byte `start` (`append`): the archive is padded to a
    /// whole record from its own start, as tar pads it.
    pub fn starting_at(mut self, start: u64) -> Writer<W> {
        self.start = start;
        self
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.advance(bytes.len() as u64);
        Ok(())
    }

    fn pad(&mut self, size: u64) -> io::Result<()> {
        let n = padding(size) as usize;
        self.put(&[0u8; BLOCK][..n])
    }

    /// Writes members already encoded with `encode_headers` and their padded data.
    pub fn put_encoded(&mut self, members: &[u8]) -> io::Result<()> {
        debug_assert!(members.len().is_multiple_of(BLOCK));
        self.put(members)
    }

    /// Writes one member. `data` must supply `meta.size` bytes for a regular file; a source that
    /// ends early is padded with zeros and reported, so the archive stays well-formed.
    pub fn append(&mut self, meta: &EntryMeta, data: Option<&mut dyn Read>) -> io::Result<DataOutcome> {
        self.put_headers(meta)?;
        let mut left = meta.size;
        if let Some(src) = data {
            self.copy(src, &mut left)?;
        }
        self.end_data(meta.size, left)
    }

    /// `append` for a regular file whose data the kernel copies from `file` (at its position)
    /// into `out`, the descriptor this writer's output ends in (sendfile): the data never passes
    /// through memory. The output is flushed first, so `out` gets the bytes in order; only for
    /// an uncompressed archive. Where the kernel will not (a terminal, a filesystem without
    /// splice) and after any error, the rest goes through `read` from `file`'s position, so a
    /// read error still tells itself from a write error as in `append`.
    pub fn append_file(
        &mut self,
        meta: &EntryMeta,
        file: &File,
        out: BorrowedFd<'_>,
        read: &mut dyn Read,
    ) -> io::Result<DataOutcome> {
        self.put_headers(meta)?;
        self.out.flush()?;
        let mut left = meta.size;
        while left > 0 {
            // In steps a signal's cleanup can wait for (see temps::ArchiveWrite).
            let sent = {
                let _writing = crate::temps::ArchiveWrite::start();
                rustix::fs::sendfile(out, file, None, left.min(64 << 20) as usize)
            };
            match sent {
                Ok(0) => break, // the file ended early: `read` finds that out too
                Ok(n) => {
                    left -= n as u64;
                    self.advance(n as u64);
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(_) => break,
            }
        }
        self.copy(read, &mut left)?;
        self.end_data(meta.size, left)
    }

    fn put_headers(&mut self, meta: &EntryMeta) -> io::Result<()> {
        let mut headers = Vec::with_capacity(3 * BLOCK);
        encode_headers(meta, &mut headers)?;
        self.put(&headers)
    }

    /// Copies from `src` until `left` bytes are written or it ends.
    fn copy(&mut self, src: &mut dyn Read, left: &mut u64) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        let result = (|| {
            while *left > 0 {
                let want = buf.len().min((*left).min(usize::MAX as u64) as usize);
                let n = match src.read(&mut buf[..want]) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                self.put(&buf[..n])?;
                *left -= n as u64;
            }
            Ok(())
        })();
        self.buf = buf;
        result
    }

    /// Zeros for the `left` bytes the source did not give (reported as short), then the padding.
    fn end_data(&mut self, size: u64, mut left: u64) -> io::Result<DataOutcome> {
        if size == 0 {
            return Ok(DataOutcome::Complete);
        }
        let mut outcome = DataOutcome::Complete;
        if left > 0 {
            outcome = DataOutcome::Short { read: size - left };
            let zeros = [0u8; BLOCK];
            while left > 0 {
                let n = left.min(BLOCK as u64) as usize;
                self.put(&zeros[..n])?;
                left -= n as u64;
            }
        }
        self.pad(size)?;
        Ok(outcome)
    }

    /// The archive's length once [`Writer::finish`] has written the end-of-archive marker and
    /// padded it to a whole record.
    pub fn finished_len(&self) -> u64 {
        record_end(self.start + self.written, self.record) - self.start
    }

    /// Writes the end-of-archive marker, pads to a whole record, and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        let mut rest = record_end(self.start + self.written, self.record) - (self.start + self.written);
        let zeros = [0u8; 16 * BLOCK];
        while rest > 0 {
            let n = rest.min(zeros.len() as u64) as usize;
            self.put(&zeros[..n])?;
            rest -= n as u64;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Where an archive whose members end at `members` ends: after the end-of-archive marker (two
/// zero blocks), padded to a whole record of `record` bytes.
pub fn record_end(members: u64, record: u64) -> u64 {
    (members + 2 * BLOCK as u64).div_ceil(record) * record
}

/// Appends a member's headers to `out`: its pax extended header when it needs one, then its
/// ustar header. Its data, padded to a whole block, is to follow.
pub fn encode_headers(meta: &EntryMeta, out: &mut Vec<u8>) -> io::Result<()> {
    // The pax records are written after a block left for their header, which is filled in
    // once their length is known (or dropped with them, when there are none).
    let start = out.len();
    out.resize(start + BLOCK, 0);
    let header = match build_header(meta, out) {
        Ok(h) => h,
        Err(e) => {
            out.truncate(start);
            return Err(e);
        }
    };
    let records = out.len() - start - BLOCK;
    if records == 0 {
        out.truncate(start);
    } else {
        out.resize(out.len() + padding(records as u64) as usize, 0);
        let mut name = [0u8; NAME_LEN];
        // Its first 100 bytes where it is longer, as GNU tar cuts it; its bytes as they are,
        // as GNU tar's (they are the member's own name's).
        let full = extended_name(meta.path.as_os_str().as_bytes());
        set_field(&mut name, &full[..full.len().min(NAME_LEN)]);
        let x = extended_block(&name, tar::EntryType::XHeader, meta.mtime.secs, records);
        out[start..start + BLOCK].copy_from_slice(x.as_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    Ok(())
}

/// The name of a member's pax header, as GNU tar 1.34 names it by default
/// (`--pax-option=exthdr.name=%d/PaxHeaders/%f`, the reproducible-builds recipe's value):
/// `DIR/PaxHeaders/NAME` for `DIR/NAME`, `./PaxHeaders/NAME` for a name without a directory.
/// (captar wrote `PaxHeaders/NAME`, without the directory; bsdtar writes `DIR/PaxHeader/NAME`.)
/// A reader of pax archives never uses it; one that reads none extracts it as a file there.
/// Made from the member's name as archived, after `--transform` (GNU tar's from the name on
/// disk).
fn extended_name(path: &[u8]) -> Vec<u8> {
    let trimmed = match path.iter().rposition(|&b| b != b'/') {
        Some(last) => &path[..=last],
        None => path,
    };
    let (dir, base) = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (&b"."[..], trimmed),
    };
    // Never an absolute name (GNU tar strips the `/` as from member names).
    let dir = match dir.iter().position(|&b| b != b'/') {
        Some(i) => &dir[i..],
        None => b".",
    };
    [dir, b"/PaxHeaders/", base].concat()
}

/// The header of a pax extended header of `kind` (local or global) whose records take `len`
/// bytes.
fn extended_block(name: &[u8], kind: tar::EntryType, mtime: i64, len: usize) -> tar::Header {
    let mut h = new_ustar();
    set_field(&mut h.as_old_mut().name, name);
    let old = h.as_old_mut();
    set_octal(&mut old.mode, 0o644);
    set_octal(&mut old.uid, 0);
    set_octal(&mut old.gid, 0);
    set_octal(&mut old.mtime, mtime.clamp(0, OCTAL_12_MAX as i64) as u64);
    set_number(&mut h, Number::Size, len as u64);
    h.set_entry_type(kind);
    set_checksum(&mut h);
    h
}

/// Appends a pax extended header of `kind` (local or global) holding `records`, padded.
fn extended_header(name: &[u8], kind: tar::EntryType, mtime: i64, records: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(extended_block(name, kind, mtime, records.len()).as_bytes());
    out.extend_from_slice(records);
    out.resize(out.len() + padding(records.len() as u64) as usize, 0);
}

/// A volume label (`create --label`), as GNU tar `-V` writes one in a pax archive: a global
/// header whose record `GNU.volume.label` holds it, first in the archive. Readers that know
/// no labels (bsdtar, Python's tarfile) skip a global header; GNU tar and captar list it.
pub fn encode_label(text: &[u8], mtime: i64, out: &mut Vec<u8>) {
    let mut records = Vec::new();
    pax::push(&mut records, super::reader::VOLUME_LABEL.as_bytes(), text);
    // The name git archive gives its global header: a tar that reads no pax would extract it
    // as a file of that name.
    extended_header(b"pax_global_header", tar::EntryType::XGlobalHeader, mtime, &records, out);
}

/// `dir/GNUSparseFile.0/name` for `dir/name`, as GNU tar names a sparse member's header.
fn sparse_name(path: &[u8]) -> Vec<u8> {
    let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..=i], &path[i + 1..]),
        None => (&b""[..], path),
    };
    [dir, b"GNUSparseFile.0/", name].concat()
}

/// The ustar header of a member and the pax records it needs (empty when none).
fn build_header(meta: &EntryMeta, records: &mut Vec<u8>) -> io::Result<tar::Header> {
    let mut h = new_ustar();
    // A sparse file is stored under GNU tar's `DIR/GNUSparseFile.0/NAME`, its name in a record
    // (format 1.0, what GNU tar -S and bsdtar write).
    let sparse_path = meta.sparse.map(|_| sparse_name(meta.path.as_os_str().as_bytes()));
    let path = sparse_path.as_deref().unwrap_or(meta.path.as_os_str().as_bytes());
    if let Some(real_size) = meta.sparse {
        pax::push(records, b"GNU.sparse.major", b"1");
        pax::push(records, b"GNU.sparse.minor", b"0");
        pax::push(records, b"GNU.sparse.name", meta.path.as_os_str().as_bytes());
        pax::push(records, b"GNU.sparse.realsize", real_size.to_string().as_bytes());
    }
    let link = meta.link.as_ref().map(|l| l.as_os_str().as_bytes());
    let in_pax = |b: &[u8], fits: bool| !fits && std::str::from_utf8(b).is_err();
    // A sparse member's real name is always in a record (found by review: a short non-UTF-8
    // one went without `hdrcharset`, and bsdtar refused it, exit 1).
    let sparse_raw = meta.sparse.is_some() && std::str::from_utf8(meta.path.as_os_str().as_bytes()).is_err();
    let binary = sparse_raw
        || in_pax(path, ustar_split(path).is_some())
        || link.is_some_and(|l| in_pax(l, l.len() <= NAME_LEN))
        || meta.uname.as_deref().is_some_and(|n| in_pax(n, n.len() < 32))
        || meta.gname.as_deref().is_some_and(|n| in_pax(n, n.len() < 32));
    if binary {
        pax::push(records, pax::HDRCHARSET.as_bytes(), pax::HDRCHARSET_BINARY.as_bytes());
    }
    {
        let ustar = h.as_ustar_mut().expect("new_ustar is ustar");
        // A name that fits is stored in the header as raw bytes, whatever they are: GNU tar
        // 1.34 warns about `hdrcharset`, and bsdtar refuses a non-UTF-8 pax `path` without it.
        match ustar_split(path) {
            Some((prefix, name)) => {
                set_field(&mut ustar.prefix, prefix);
                set_field(&mut ustar.name, name);
            }
            None => {
                set_placeholder(&mut ustar.name, path);
                pax::push(records, pax::PATH.as_bytes(), path);
            }
        }
    }
    if let Some(link) = link {
        if link.len() <= NAME_LEN {
            set_field(&mut h.as_old_mut().linkname, link);
        } else {
            set_placeholder(&mut h.as_old_mut().linkname, link);
            pax::push(records, pax::LINKPATH.as_bytes(), link);
        }
    }
    set_octal(&mut h.as_old_mut().mode, u64::from(meta.mode & 0o7777));
    set_number(&mut h, Number::Uid, meta.uid);
    set_number(&mut h, Number::Gid, meta.gid);
    if meta.uid > OCTAL_8_MAX {
        pax::push(records, pax::UID.as_bytes(), meta.uid.to_string().as_bytes());
    }
    if meta.gid > OCTAL_8_MAX {
        pax::push(records, pax::GID.as_bytes(), meta.gid.to_string().as_bytes());
    }
    for (name, key, field) in [(&meta.uname, pax::UNAME, 0), (&meta.gname, pax::GNAME, 1)] {
        let Some(name) = name else { continue };
        let ustar = h.as_ustar_mut().expect("ustar");
        let dst = if field == 0 { &mut ustar.uname } else { &mut ustar.gname };
        if name.len() < dst.len() {
            set_field(dst, name);
        } else {
            pax::push(records, key.as_bytes(), name);
        }
    }
    set_number(&mut h, Number::Size, meta.size);
    if meta.size > OCTAL_12_MAX {
        pax::push(records, pax::SIZE.as_bytes(), meta.size.to_string().as_bytes());
    }
    set_octal(&mut h.as_old_mut().mtime, meta.mtime.secs.clamp(0, OCTAL_12_MAX as i64) as u64);
    if meta.mtime.nsecs != 0 || meta.mtime.secs < 0 || meta.mtime.secs > OCTAL_12_MAX as i64 {
        pax::push(records, pax::MTIME.as_bytes(), meta.mtime.pax_text().as_bytes());
    }
    h.set_entry_type(match meta.kind {
        Kind::File => tar::EntryType::Regular,
        Kind::Dir => tar::EntryType::Directory,
        Kind::Symlink => tar::EntryType::Symlink,
        Kind::HardLink => tar::EntryType::Link,
        Kind::Char => tar::EntryType::Char,
        Kind::Block => tar::EntryType::Block,
        Kind::Fifo => tar::EntryType::Fifo,
    });
    if matches!(meta.kind, Kind::Char | Kind::Block) {
        h.set_device_major(meta.dev_major)?;
        h.set_device_minor(meta.dev_minor)?;
    }
    for (name, value) in &meta.xattrs {
        // ACLs go as the text records GNU tar (--acls) and bsdtar read and write.
        // The SELinux label goes as GNU tar writes it with --selinux (without the NUL the
        // kernel ends it with) and as it does with --xattrs (the raw value), so GNU tar restores
        // it with either option, and bsdtar with none.
        if name == crate::select::SELINUX_XATTR
            && let Some(label) = pax::selinux_text(value)
        {
            pax::push(records, pax::SELINUX.as_bytes(), label);
        }
        let acl = match name.to_str() {
            Some(acl::ACCESS_XATTR) => acl::to_text(value).map(|t| ("SCHILY.acl.access", t)),
            Some(acl::DEFAULT_XATTR) => acl::to_text(value).map(|t| ("SCHILY.acl.default", t)),
            _ => None,
        };
        match acl {
            Some((key, text)) => pax::push(records, key.as_bytes(), text.as_bytes()),
            None => pax::push(records, &pax::schily_key(name), value),
        }
    }
    if let Some(dumpdir) = &meta.dumpdir {
        pax::push(records, pax::DUMPDIR.as_bytes(), dumpdir);
    }
    set_checksum(&mut h);
    Ok(h)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::format::Time;
    use crate::format::compress::{Origin, decoder};
    use crate::format::reader::Reader;

    #[test]
    fn extended_names_are_gnu_tars() {
        for (path, name) in [
            ("f", "./PaxHeaders/f"),
            ("d/", "./PaxHeaders/d"),
            ("a/b/c", "a/b/PaxHeaders/c"),
            ("a/b/", "a/PaxHeaders/b"),
            ("/abs/x", "abs/PaxHeaders/x"),
            ("/x", "./PaxHeaders/x"),
            (".", "./PaxHeaders/."),
        ] {
            assert_eq!(String::from_utf8(extended_name(path.as_bytes())).unwrap(), name, "{path}");
        }
    }

    fn round_trip(entries: &[(EntryMeta, Vec<u8>)]) -> Vec<(EntryMeta, Vec<u8>)> {
        let mut w = Writer::new(Vec::new());
        for (meta, data) in entries {
            w.append(meta, Some(&mut data.as_slice())).unwrap();
        }
        let bytes = w.finish().unwrap();
        assert_eq!(bytes.len() % RECORD as usize, 0);
        let (_, src) = decoder(Origin::Stream(Box::new(std::io::Cursor::new(bytes)))).unwrap();
        let mut r = Reader::new(src, "test");
        let mut out = Vec::new();
        while let Some(e) = r.next_entry().unwrap() {
            let mut data = Vec::new();
            r.data().read_to_end(&mut data).unwrap();
            out.push((*e.meta, data));
        }
        out
    }

    /// `append_file` writes what `append` writes: by sendfile, by its fallback (sendfile refuses
    /// an O_APPEND output), and for a file shorter than its header says.
    #[test]
    fn append_file_writes_what_append_writes() {
        use std::os::fd::AsFd;
        let tmp = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let src = tmp.path().join("src");
        std::fs::write(&src, &data).unwrap();
        for (size, append_mode) in [(300_000, false), (300_000, true), (310_000, false), (310_000, true)] {
            let mut meta = EntryMeta::new(PathBuf::from("f"), Kind::File);
            meta.size = size;
            let mut want = Writer::new(Vec::new());
            let expected = want.append(&meta, Some(&mut data.as_slice())).unwrap();
            let want = want.finish().unwrap();
            let out_path = tmp.path().join(format!("out-{size}-{append_mode}"));
            let out =
                std::fs::OpenOptions::new().create_new(true).write(true).append(append_mode).open(&out_path).unwrap();
            let file = File::open(&src).unwrap();
            let mut w = Writer::new(&out);
            let mut read = &file;
            let got = w.append_file(&meta, &file, out.as_fd(), &mut read).unwrap();
            w.finish().unwrap();
            assert_eq!(got, expected, "{size} {append_mode}");
            assert_eq!(std::fs::read(&out_path).unwrap(), want, "{size} {append_mode}");
        }
    }

    #[test]
    fn members_round_trip() {
        use std::ffi::OsString;
        use std::os::unix::ffi::OsStringExt;
        let mut file = EntryMeta::new(PathBuf::from("bin/ping"), Kind::File);
        file.mode = 0o4755;
        file.size = 5;
        file.uname = Some(b"root".to_vec());
        file.mtime = Time { secs: 1614834367, nsecs: 123456789 };
        file.xattrs
            .push(("security.capability".into(), vec![1, 0, 0, 2, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        // Read back from its SCHILY.xattr record.
        file.xattr_records = 1;
        let long = "d/".repeat(60) + &"x".repeat(150);
        let mut long_file = EntryMeta::new(PathBuf::from(&long), Kind::File);
        long_file.uid = 5_000_000;
        let raw = PathBuf::from(OsString::from_vec(b"bad\xff\xfename".to_vec()));
        let mut link = EntryMeta::new(raw, Kind::Symlink);
        link.link = Some(PathBuf::from("t/".repeat(80)));
        let mut dev = EntryMeta::new(PathBuf::from("dev/null"), Kind::Char);
        dev.dev_major = 1;
        dev.dev_minor = 3;
        // Read back as having a pax header of their own: all but the device.
        for m in [&mut file, &mut long_file, &mut link] {
            m.pax_header = true;
        }
        let entries = vec![(file, b"hello".to_vec()), (long_file, vec![]), (link, vec![]), (dev, vec![])];
        let back = round_trip(&entries);
        assert_eq!(back, entries);
    }

    /// The header fields the writer sets itself (to spare the tar crate's String per field)
    /// are the bytes the tar crate's setters write, at and around each bound of octal.
    #[test]
    fn fields_as_the_tar_crate_writes_them() {
        let values = [0, 1, 0o644, 0o7777777, 1 << 21, (1 << 33) - 1, 1 << 33, OCTAL_12_MAX, u64::MAX >> 1];
        for v in values {
            let mut ours = new_ustar();
            let mut theirs = tar::Header::new_ustar();
            assert_eq!(ours.as_bytes(), theirs.as_bytes());
            set_number(&mut ours, Number::Uid, v);
            set_number(&mut ours, Number::Gid, v / 3);
            set_number(&mut ours, Number::Size, v);
            set_octal(&mut ours.as_old_mut().mode, v & 0o7777);
            set_octal(&mut ours.as_old_mut().mtime, v.min(OCTAL_12_MAX));
            set_checksum(&mut ours);
            theirs.set_uid(v);
            theirs.set_gid(v / 3);
            theirs.set_size(v);
            theirs.set_mode((v & 0o7777) as u32);
            theirs.set_mtime(v.min(OCTAL_12_MAX));
            theirs.set_cksum();
            assert_eq!(ours.as_bytes(), theirs.as_bytes(), "{v}");
        }
    }

    #[test]
    fn ustar_split_respects_field_sizes() {
        let p = format!("{}/{}", "a".repeat(155), "b".repeat(100));
        assert_eq!(ustar_split(p.as_bytes()).map(|(a, b)| (a.len(), b.len())), Some((155, 100)));
        let p = format!("{}/{}", "a".repeat(156), "b".repeat(10));
        assert!(ustar_split(p.as_bytes()).is_none());
        assert!(ustar_split("x".repeat(101).as_bytes()).is_none());
    }
}
