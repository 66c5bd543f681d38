/*!
A streaming archive reader for ustar, GNU (long names, base-256 numbers) and pax archives.

Every extended header is parsed by `pax::parse`, which frames records by their length prefix.
The pax `size` record always wins over the header's size field: a reader that ignores it reads
the next "header" from inside the data (CVE-2026-33055, TARmageddon CVE-2025-62518). Local
records apply to the next entry only, global records to every later one.
*/

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

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

/// Reads members one by one; the data of the current member is read with `read_data` or
/// skipped (seeking where the input allows) by the next call to `next`.
pub struct Reader {
    src: Box<dyn Source>,
    archive: String,
    offset: u64,
    remaining: u64,
    padding: u64,
    global: Vec<(Vec<u8>, Vec<u8>)>,
    done: bool,
}

/// Extended information gathered from headers before the member they describe.
#[derive(Default)]
struct Pending {
    records: Vec<(Vec<u8>, Vec<u8>)>,
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    first_offset: Option<u64>,
}

fn trim_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

fn header_checksum_ok(block: &[u8; BLOCK]) -> Option<bool> {
    let field = trim_nul(&block[148..156]);
    let text = std::str::from_utf8(field).ok()?.trim_matches(|c: char| c == ' ' || c == '\0');
    let stored = u32::from_str_radix(text, 8).ok()?;
    let mut unsigned: u32 = 0;
    let mut signed: i32 = 0;
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += u32::from(b);
        signed += i32::from(b as i8);
    }
    Some(stored == unsigned || stored as i32 == signed)
}

impl Reader {
    pub fn new(src: Box<dyn Source>, archive: impl Into<String>) -> Reader {
        Reader { src, archive: archive.into(), offset: 0, remaining: 0, padding: 0, global: Vec::new(), done: false }
    }

    /// Bytes of the uncompressed stream consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn err(&self, offset: u64, msg: impl Into<String>) -> Error {
        Error::Archive { archive: self.archive.clone(), offset, msg: msg.into() }
    }

    fn io_err(&self, e: io::Error) -> Error {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            self.err(
                self.offset,
                "the archive is truncated: it ends inside an entry; the file was cut short or is still being written",
            )
        } else {
            self.err(self.offset, format!("read failed: {e}"))
        }
    }

    /// Reads one block; `Ok(None)` at a clean end of input on a block boundary.
    fn read_block(&mut self) -> Result<Option<[u8; BLOCK]>> {
        let mut block = [0u8; BLOCK];
        let mut got = 0;
        while got < BLOCK {
            match self.src.read(&mut block[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_err(e)),
            }
        }
        if got == 0 {
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
        if size > MAX_EXTENDED_HEADER {
            return Err(self.err(
                self.offset,
                format!("{what} of {size} bytes is larger than any real one; the archive is corrupt"),
            ));
        }
        let mut data = vec![0u8; size as usize];
        self.src.read_exact(&mut data).map_err(|e| self.io_err(e))?;
        self.offset += size;
        self.skip(padding(size))?;
        Ok(data)
    }

    /// Skips whatever is left of the current member's data.
    fn finish_current(&mut self) -> Result<()> {
        let n = self.remaining + self.padding;
        self.remaining = 0;
        self.padding = 0;
        self.skip(n)
    }

    /// The next member, or `None` at the end of the archive.
    pub fn next_entry(&mut self) -> Result<Option<Entry>> {
        if self.done {
            return Ok(None);
        }
        self.finish_current()?;
        let mut pending = Pending::default();
        loop {
            let at = self.offset;
            let Some(block) = self.read_block()? else {
                if pending.first_offset.is_some() {
                    return Err(
                        self.err(at, "the archive ends after an extended header, before the entry it describes")
                    );
                }
                self.done = true;
                return Ok(None);
            };
            if block.iter().all(|&b| b == 0) {
                if pending.first_offset.is_some() {
                    return Err(self.err(at, "an extended header is followed by the end-of-archive marker"));
                }
                self.done = true;
                return Ok(None);
            }
            match header_checksum_ok(&block) {
                Some(true) => {}
                Some(false) => {
                    return Err(
                        self.err(at, "header checksum mismatch: the archive is corrupt (or this is not a tar archive)")
                    );
                }
                None => {
                    return Err(
                        self.err(at, "header has no valid checksum: this is not a tar archive, or it is corrupt")
                    );
                }
            }
            pending.first_offset.get_or_insert(at);
            let header = tar::Header::from_byte_slice(&block);
            let size = header.entry_size().map_err(|e| self.err(at, format!("invalid size field: {e}")))?;
            match block[156] {
                b'x' | b'X' => {
                    let data = self.read_blob(size, "pax extended header")?;
                    let records = pax::parse(&data).map_err(|e| self.err(at, e.to_string()))?;
                    for r in records {
                        pending.records.push((r.key.to_vec(), r.value.to_vec()));
                    }
                }
                b'g' => {
                    let data = self.read_blob(size, "pax global header")?;
                    let records = pax::parse(&data).map_err(|e| self.err(at, e.to_string()))?;
                    for r in records {
                        self.global.retain(|(k, _)| k != r.key);
                        self.global.push((r.key.to_vec(), r.value.to_vec()));
                    }
                    pending.first_offset = None;
                }
                b'L' => pending.long_name = Some(trim_nul(&self.read_blob(size, "GNU long name")?).to_vec()),
                b'K' => pending.long_link = Some(trim_nul(&self.read_blob(size, "GNU long link name")?).to_vec()),
                b'V' => {
                    self.skip(size + padding(size))?;
                    pending.first_offset = None;
                }
                _ => {
                    let offset = pending.first_offset.unwrap_or(at);
                    let meta = self.member(&block, header, size, pending, at)?;
                    self.remaining = meta.size;
                    self.padding = padding(meta.size);
                    return Ok(Some(Entry { meta, offset }));
                }
            }
        }
    }

    fn member(
        &self,
        block: &[u8; BLOCK],
        header: &tar::Header,
        size: u64,
        pending: Pending,
        at: u64,
    ) -> Result<EntryMeta> {
        let num = |r: io::Result<u64>, field: &str| r.map_err(|e| self.err(at, format!("invalid {field} field: {e}")));
        let mut path = pending.long_name.unwrap_or_else(|| header.path_bytes().into_owned());
        let mut link = pending.long_link.or_else(|| header.link_name_bytes().map(|l| l.into_owned()));
        let mut kind = match block[156] {
            b'0' | b'\0' | b'7' => Kind::File,
            b'1' => Kind::HardLink,
            b'2' => Kind::Symlink,
            b'3' => Kind::Char,
            b'4' => Kind::Block,
            b'5' | b'D' => Kind::Dir,
            b'6' => Kind::Fifo,
            b'S' => {
                return Err(self.err(
                    at,
                    "GNU sparse member: captar does not read sparse archives; extract this one with GNU tar",
                ));
            }
            b'M' => {
                return Err(self.err(at, "GNU multi-volume continuation: captar does not read multi-volume archives"));
            }
            // POSIX: an unknown type is read as a regular file.
            _ => Kind::File,
        };
        if kind == Kind::File && block[156] == b'\0' && path.ends_with(b"/") {
            kind = Kind::Dir; // pre-POSIX archives mark directories by the trailing slash
        }
        let mut meta = EntryMeta::new(PathBuf::new(), kind);
        meta.mode = num(header.mode().map(u64::from), "mode")? as u32 & 0o7777;
        meta.uid = num(header.uid(), "uid")?;
        meta.gid = num(header.gid(), "gid")?;
        meta.mtime = Time { secs: num(header.mtime(), "mtime")? as i64, nsecs: 0 };
        meta.uname = header.username_bytes().filter(|n| !n.is_empty()).map(<[u8]>::to_vec);
        meta.gname = header.groupname_bytes().filter(|n| !n.is_empty()).map(<[u8]>::to_vec);
        if matches!(kind, Kind::Char | Kind::Block) {
            meta.dev_major = header.device_major().ok().flatten().unwrap_or(0);
            meta.dev_minor = header.device_minor().ok().flatten().unwrap_or(0);
        }
        meta.size = size;
        let mut libarchive_xattrs = Vec::new();
        let mut schily_xattrs = Vec::new();
        for (key, value) in self.global.iter().chain(pending.records.iter()) {
            let text = || String::from_utf8_lossy(value).into_owned();
            let number = |field: &str| {
                text()
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| self.err(at, format!("pax {field} record {:?} is not a number", text())))
            };
            match key.as_slice() {
                k if k == pax::PATH.as_bytes() => path = value.clone(),
                k if k == pax::LINKPATH.as_bytes() => link = Some(value.clone()),
                k if k == pax::SIZE.as_bytes() => meta.size = number("size")?,
                k if k == pax::UID.as_bytes() => meta.uid = number("uid")?,
                k if k == pax::GID.as_bytes() => meta.gid = number("gid")?,
                k if k == pax::UNAME.as_bytes() => meta.uname = Some(value.clone()),
                k if k == pax::GNAME.as_bytes() => meta.gname = Some(value.clone()),
                k if k == pax::MTIME.as_bytes() => {
                    meta.mtime = Time::from_pax(text().trim())
                        .ok_or_else(|| self.err(at, format!("pax mtime record {:?} is not a time", text())))?;
                }
                k if k.starts_with(pax::SCHILY_XATTR.as_bytes()) => {
                    schily_xattrs.push((pax::schily_name(&k[pax::SCHILY_XATTR.len()..]), value.clone()));
                }
                k if k.starts_with(pax::LIBARCHIVE_XATTR.as_bytes()) => {
                    let (name, v) =
                        pax::libarchive_xattr(&k[pax::LIBARCHIVE_XATTR.len()..], value).ok_or_else(|| {
                            self.err(at, "LIBARCHIVE.xattr record is not URL-encoded name and base64 value")
                        })?;
                    libarchive_xattrs.push((name, v));
                }
                k if k.starts_with(b"GNU.sparse.") => {
                    return Err(self.err(
                        at,
                        "pax sparse member: captar does not read sparse archives; extract this one with GNU tar",
                    ));
                }
                _ => {}
            }
        }
        // One value per name; GNU tar's SCHILY form wins over libarchive's copy of the same value.
        for (name, value) in libarchive_xattrs.into_iter().chain(schily_xattrs) {
            meta.set_xattr(name, value);
        }
        if path.is_empty() {
            return Err(self.err(at, "entry has an empty name"));
        }
        meta.path = PathBuf::from(OsString::from_vec(path));
        if matches!(kind, Kind::HardLink | Kind::Symlink) {
            match link {
                Some(l) if !l.is_empty() => meta.link = Some(PathBuf::from(OsString::from_vec(l))),
                _ => return Err(self.err(at, format!("{}: {} has no target", meta.path.display(), kind.word()))),
            }
        }
        Ok(meta)
    }

    /// Reads the current member's data; 0 at its end.
    pub fn read_data(&mut self, buf: &mut [u8]) -> Result<usize> {
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

    /// Data bytes of the current member not yet read.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The current member's data as a `Read`.
    pub fn data(&mut self) -> Data<'_> {
        Data(self)
    }
}

/// Bytes of zero padding after `size` bytes of data.
pub fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// The current member's data; errors carry the archive offset.
pub struct Data<'a>(&'a mut Reader);

impl Read for Data<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_data(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
    }
}
