/*!
The current member's data, as stored, or for a sparse member expanded to the file it stands for:
its runs from old GNU headers, pax 0.0 and 0.1 records, or the 1.0 map at the start of the data.
*/

use std::io::{self, Read};
use std::os::fd::BorrowedFd;

use super::header::{MAX_SIZE, numeric};
use super::{Reader, padding};
use crate::error::Result;
use crate::format::BLOCK;

/// A run of data in a sparse file: offset and length; what lies between runs reads as zeros.
pub(super) type Segment = (u64, u64);

/// The most runs read for one sparse member (16 bytes each): far more than real files have.
pub(crate) const SPARSE_RUNS_MAX: usize = 1 << 20;

/// How a sparse member's runs are found.
pub(super) enum SparseMap {
    /// Given in headers or pax records (old GNU, pax 0.0 and 0.1).
    Known(Vec<Segment>),
    /// At the start of the data, in decimal lines (pax 1.0, what bsdtar writes by default).
    InData,
}

/// The sparse member being read: its runs, and where the reading is in the file it expands to.
pub(super) struct Sparse {
    runs: Vec<Segment>,
    next: usize,
    pos: u64,
    size: u64,
}

impl Reader {
    /// An old GNU sparse header's runs (four in the header, 21 in each extension block that
    /// follows while the "extended" flag is set) and real size; errors name the member `name`.
    pub(super) fn old_sparse_map(&mut self, block: &[u8; BLOCK], at: u64, name: &[u8]) -> Result<(Vec<Segment>, u64)> {
        let name = crate::list::quote_name(&name[..name.len().min(200)]);
        let bad = |this: &Self, what: &str| this.err(at, format!("{name}: GNU sparse header: invalid {what}"));
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
                return Err(
                    self.err(at, format!("{name}: the archive is truncated: it ends inside a GNU sparse header"))
                );
            };
            read_runs(self, &ext[..504], &mut runs)?;
            if runs.len() > SPARSE_RUNS_MAX {
                return Err(self.err(
                    at,
                    format!(
                        "{name}: a sparse file of more than {SPARSE_RUNS_MAX} runs; the archive is corrupt or hostile"
                    ),
                ));
            }
            extended = ext[504] != 0;
        }
        Ok((runs, size))
    }

    /// Starts reading a sparse member whose stored data is `self.remaining` bytes: reads a
    /// format 1.0 map from the data, checks the runs against the data and the real size.
    pub(super) fn start_sparse(&mut self, map: SparseMap, size: u64, at: u64) -> Result<()> {
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
    pub(super) fn sparse_map_in_data(&mut self, at: u64) -> Result<Vec<Segment>> {
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
        if self.remaining == 0 && self.padding > 0 && self.src.decompresses() {
            // Out of a decompressor, the padding is read with the data's end: damage found
            // there (liblzma gives out bytes before it finds them wrong) is this member's, whose
            // data may be wrong, so the file is not kept, nor its capability restored (found by
            // audit: an xz archive's capped file was left with zeros for its data). A stream
            // cut short there left the data whole: said before the next member, as before.
            let pad = std::mem::take(&mut self.padding);
            if let Err(e) = self.skip_io(pad) {
                let cut = e.kind() == io::ErrorKind::UnexpectedEof
                    || crate::format::compress::stream_cut(&e)
                    || crate::format::compress::skipped_before_end(&e).is_some();
                let e = self.skip_err(e);
                match cut {
                    true => self.cut_in_padding = Some(e),
                    false => return Err(e),
                }
            }
        }
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

    /// Where the current member's data lies whole in a plain archive file, none of it read
    /// yet and not sparse: the file's descriptor and the data's offset in it. Extraction copies
    /// it from there on another thread while this reader seeks past it.
    pub fn data_in_file(&self) -> Option<(BorrowedFd<'_>, u64)> {
        if self.sparse.is_some() {
            return None;
        }
        self.src.file_range(self.remaining)
    }

    /// The current member's data as a `Read`.
    pub fn data(&mut self) -> Data<'_> {
        Data(self)
    }
}

/// Format 0.1's `GNU.sparse.map`: `offset,length,offset,length,...`.
pub(super) fn parse_sparse_map(map: &[u8]) -> std::result::Result<Vec<Segment>, String> {
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

/// The current member's data; errors carry the archive offset.
pub struct Data<'a>(&'a mut Reader);

impl Read for Data<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The error itself, which names the archive and member: `Error::of_data` takes it back.
        self.0.read_data(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}
