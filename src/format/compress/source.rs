/*!
What the archive reader reads from: a `Source`, which a plain archive file serves by seeking past
the data it skips, and a pipe or a decompressor by reading it.
*/

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::decode::stream_decoder;
use super::detect::{Compression, MAGIC_MAX, detect_io};

/// A decompressed archive stream that can skip data cheaply where the input allows it.
pub trait Source: Read + Send {
    /// Skips `n` bytes; seeks when the input is a plain regular file. The reader skips a
    /// member's data and its padding in two calls: `--checkpoint` counts the records GNU tar
    /// reads, which depend on where the data itself ends (`checkpoint::Checkpointed::skip`).
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let mut passed = Passed(0);
        match io::copy(&mut self.take(n), &mut passed) {
            Ok(copied) if copied < n => Err(ends_inside(copied)),
            Ok(_) => Ok(()),
            Err(e) => Err(cut_inside(e, passed.0)),
        }
    }

    /// Whether `skip` seeks (a plain archive file) rather than reads what it skips.
    fn seeks(&self) -> bool {
        false
    }

    /// Called at the end of the archive: a decompressor reads its input to the end, so a damaged
    /// trailer or checksum is found; a plain archive has nothing to check.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Whether the bytes come out of a decompressor, whose own checks can find the stream
    /// damaged further on.
    fn decompresses(&self) -> bool {
        false
    }

    /// The source as a `Replay`, if it is one.
    fn as_replay(&mut self) -> Option<&mut Replay> {
        None
    }

    /// Where the next `n` bytes lie in the archive file, when they lie there whole: a plain
    /// archive file gives its descriptor and their offset, so that they can be copied from
    /// there (in the kernel) while the reader seeks past them. A stream, or a source that
    /// counts what it reads (`--checkpoint`), gives none.
    fn file_range(&self, _n: u64) -> Option<(BorrowedFd<'_>, u64)> {
        None
    }

    /// The plain archive file read, if that is what this source reads.
    fn file(&self) -> Option<BorrowedFd<'_>> {
        None
    }
}

/// Counts what `Source::skip` passes over, so that a skip a decompressor's error ends still
/// says where the archive ended.
struct Passed(u64);

impl io::Write for Passed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A `skip` that met the archive's end: how many of its bytes there were, and, when the
/// compressed stream was cut (its decompressor's input ended inside it), the decompressor's
/// words for that.
#[derive(Debug)]
struct EndsInside {
    passed: u64,
    cut: Option<String>,
}

impl std::fmt::Display for EndsInside {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.cut.as_deref().unwrap_or("archive ends inside an entry's data"))
    }
}

impl std::error::Error for EndsInside {}

/// Data after a compressed stream's end that is neither another stream nor zero padding: the
/// stream itself passed its checks (gzip says "decompression OK, trailing garbage ignored").
#[derive(Debug)]
pub struct TrailingData(pub String);

impl std::fmt::Display for TrailingData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TrailingData {}

/// Whether `e` is data after the compressed stream's end (`TrailingData`), not damage in it.
pub fn trailing_data(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|i| i.is::<TrailingData>())
}

/// The error of a `skip` that passed over `passed` bytes and met the archive's end.
pub fn ends_inside(passed: u64) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, EndsInside { passed, cut: None })
}

/// `e`, a decompressor's error in a `skip` that passed over `passed` bytes: when its input
/// ended inside its stream, that end, said where it is in what the stream gave.
pub fn cut_inside(e: io::Error, passed: u64) -> io::Error {
    match e.kind() == io::ErrorKind::UnexpectedEof && skipped_before_end(&e).is_none() {
        true => io::Error::new(e.kind(), EndsInside { passed, cut: Some(e.to_string()) }),
        false => e,
    }
}

/// How many bytes a failed `skip` passed over before the archive's end, if that is why it
/// failed: where the archive ends, which an error message gives (not where the skip began).
pub fn skipped_before_end(e: &io::Error) -> Option<u64> {
    e.get_ref()?.downcast_ref::<EndsInside>().map(|s| s.passed)
}

/// `e`, a `skip`'s end of the archive after `passed` bytes, as the end of one that passed
/// `before` more first.
fn passed_more(e: io::Error, before: u64) -> io::Error {
    match e.get_ref().and_then(|i| i.downcast_ref::<EndsInside>()) {
        Some(s) => io::Error::new(e.kind(), EndsInside { passed: before + s.passed, cut: s.cut.clone() }),
        None => e,
    }
}

/// Whether `e`, an end of input met reading a decompressor's output, is its compressed
/// stream cut short (the decompressor's own error), rather than a whole stream whose archive
/// ends early.
pub fn stream_cut(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::UnexpectedEof
        && e.get_ref().is_some_and(|i| i.downcast_ref::<EndsInside>().is_none_or(|s| s.cut.is_some()))
}

/// A source read on ahead: the bytes already taken from `inner`, given out first.
pub struct Replay {
    ahead: Vec<u8>,
    pos: usize,
    inner: Box<dyn Source>,
}

impl Replay {
    pub fn new(inner: Box<dyn Source>) -> Replay {
        Replay { ahead: Vec::new(), pos: 0, inner }
    }

    /// Reads up to `n` more bytes from the inner source, to be given out after those already
    /// read ahead; how many came.
    pub fn read_ahead(&mut self, n: u64) -> io::Result<usize> {
        self.ahead.drain(..self.pos);
        self.pos = 0;
        let before = self.ahead.len();
        (&mut *self.inner).take(n).read_to_end(&mut self.ahead)?;
        Ok(self.ahead.len() - before)
    }
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.ahead.len() {
            let n = buf.len().min(self.ahead.len() - self.pos);
            buf[..n].copy_from_slice(&self.ahead[self.pos..self.pos + n]);
            self.pos += n;
            if self.pos == self.ahead.len() {
                (self.ahead, self.pos) = (Vec::new(), 0); // its memory back once given out
            }
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

impl Source for Replay {
    /// What was read ahead is passed over here, the rest by the inner source's own `skip`
    /// (which may pass over data without copying it).
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let here = ((self.ahead.len() - self.pos) as u64).min(n);
        self.pos += here as usize;
        if self.pos == self.ahead.len() {
            (self.ahead, self.pos) = (Vec::new(), 0);
        }
        match n - here {
            0 => Ok(()),
            rest => self.inner.skip(rest).map_err(|e| passed_more(e, here)),
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }

    fn decompresses(&self) -> bool {
        self.inner.decompresses()
    }

    fn as_replay(&mut self) -> Option<&mut Replay> {
        Some(self)
    }
}

/// Nothing: a stand-in while a source is being wrapped.
impl Source for io::Empty {}

pub(super) struct Streamed<R>(pub(super) R);

/// A decompressed stream: `finish` drains it, which verifies the checksums of what is left.
pub(super) struct Decompressed<R>(pub(super) R);

impl<R: Read> Read for Decompressed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read + Send> Source for Decompressed<R> {
    fn finish(&mut self) -> io::Result<()> {
        io::copy(&mut self.0, &mut io::sink()).map(drop)
    }

    fn decompresses(&self) -> bool {
        true
    }
}

impl<R: Read> Read for Streamed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read + Send> Source for Streamed<R> {}

/// A plain archive in a regular file, read with `pread` at a position kept here: data that is
/// skipped is never read, and skipping costs no syscall.
struct Seekable {
    file: File,
    len: u64,
    /// Bytes consumed so far.
    pos: u64,
    buf: Box<[u8]>,
    /// The buffered bytes not yet consumed: `buf[start..end]`, which lie at `pos` in the file.
    start: usize,
    end: usize,
    /// Whether the last move was a skip past the buffer: the next fill is for a header, small.
    skipped: bool,
    shown: Arc<AtomicU64>,
}

impl Seekable {
    fn new(file: File, len: u64, shown: Arc<AtomicU64>) -> Seekable {
        let buf = vec![0u8; SEEKABLE_BUFFER].into_boxed_slice();
        Seekable { file, len, pos: 0, buf, start: 0, end: 0, skipped: false, shown }
    }

    fn advance(&mut self, n: u64) {
        self.pos += n;
        self.shown.store(self.pos, Ordering::Relaxed);
    }
}

impl Read for Seekable {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.start == self.end {
            if out.len() >= self.buf.len() {
                // Large reads bypass the buffer.
                let n = self.file.read_at(out, self.pos)?;
                self.advance(n as u64);
                return Ok(n);
            }
            // After a skip, one header (and its extended header) is what is wanted next;
            // reading the whole buffer would copy data that the next skip throws away.
            let want = if self.skipped { SEEKABLE_AFTER_SKIP } else { self.buf.len() };
            self.skipped = false;
            let n = self.file.read_at(&mut self.buf[..want], self.pos)?;
            self.start = 0;
            self.end = n;
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        self.advance(n as u64);
        Ok(n)
    }
}

impl Source for Seekable {
    fn seeks(&self) -> bool {
        true
    }

    fn file(&self) -> Option<BorrowedFd<'_>> {
        Some(self.file.as_fd())
    }

    fn file_range(&self, n: u64) -> Option<(BorrowedFd<'_>, u64)> {
        // The file's offset is the archive's: the archive starts at its first byte.
        (self.pos.checked_add(n)? <= self.len).then(|| (self.file.as_fd(), self.pos))
    }

    fn skip(&mut self, n: u64) -> io::Result<()> {
        if self.pos.saturating_add(n) > self.len {
            return Err(ends_inside(self.len.saturating_sub(self.pos)));
        }
        let buffered = (self.end - self.start) as u64;
        if n <= buffered {
            self.start += n as usize;
        } else {
            self.start = 0;
            self.end = 0;
            self.skipped = true;
        }
        self.advance(n);
        Ok(())
    }
}

/// Counts the bytes read from the (compressed) input, for progress.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Where an archive is read from.
pub enum Origin {
    File(File),
    Stream(Box<dyn Read + Send>),
}

/// A plain archive file is read through a small buffer: members are skipped with a seek, and a
/// large buffer would be refilled (and thrown away) after every seek for one 512-byte header.
/// Reads of data larger than this bypass the buffer.
const SEEKABLE_BUFFER: usize = 32 << 10;
/// The first read after a skip: a header, its pax header and the next header, and some more.
const SEEKABLE_AFTER_SKIP: usize = 8 << 10;

/// Wraps the input in the decoder its first bytes call for.
pub fn decoder(origin: Origin) -> io::Result<(Compression, Box<dyn Source>)> {
    decoder_counted(origin).map(|(kind, src, _)| (kind, src))
}

/// `decoder`, plus a counter of the bytes read so far from the input itself (the compressed
/// position for compressed input), for progress.
pub fn decoder_counted(origin: Origin) -> io::Result<(Compression, Box<dyn Source>, Arc<AtomicU64>)> {
    let count = Arc::new(AtomicU64::new(0));
    let (kind, src) = match origin {
        Origin::File(file) => {
            let md = file.metadata()?;
            let mut plain = None;
            if md.file_type().is_file() {
                // Peek without consuming, so a plain archive keeps a seekable file underneath.
                let mut head = [0u8; MAGIC_MAX];
                let mut n = 0;
                while n < MAGIC_MAX {
                    match file.read_at(&mut head[n..], n as u64)? {
                        0 => break,
                        got => n += got,
                    }
                }
                if detect_io(&head[..n])? == Compression::None {
                    plain = Some(md.len());
                }
            }
            match plain {
                Some(len) => {
                    let src: Box<dyn Source> = Box::new(Seekable::new(file, len, count.clone()));
                    (Compression::None, src)
                }
                None => stream_decoder(Box::new(Counted { inner: file, count: count.clone() }))?,
            }
        }
        Origin::Stream(r) => stream_decoder(Box::new(Counted { inner: r, count: count.clone() }))?,
    };
    Ok((kind, src, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Reads and skips of every size around the buffer's edges give the file's bytes at the
    /// right positions, whatever was buffered before.
    #[test]
    fn seekable_reads_and_skips_match_the_file() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(&data).unwrap();
        let steps: [(usize, u64); 12] = [
            (512, 0),
            (100, 700),
            (SEEKABLE_BUFFER, 3),
            (512, 40_000),
            (SEEKABLE_AFTER_SKIP + 1, 0),
            (1, 1),
            (2 * SEEKABLE_BUFFER, 5),
            (512, SEEKABLE_BUFFER as u64 - 1),
            (7, 0),
            (512, 0),
            (3000, 100_000),
            (512, 0),
        ];
        let shown = Arc::new(AtomicU64::new(0));
        let mut src = Seekable::new(tmp, data.len() as u64, shown.clone());
        let mut at = 0usize;
        for (read, skip) in steps {
            let mut got = vec![0u8; read];
            src.read_exact(&mut got).unwrap();
            assert_eq!(got, data[at..at + read], "read of {read} at {at}");
            at += read;
            src.skip(skip).unwrap();
            at += skip as usize;
            assert_eq!(shown.load(Ordering::Relaxed), at as u64);
        }
        let mut rest = Vec::new();
        src.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, data[at..]);
        assert_eq!(src.skip(1).unwrap_err().kind(), io::ErrorKind::UnexpectedEof, "a skip past the end fails");
    }
}
