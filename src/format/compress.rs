/*!
Compression: detected from the first bytes of the input (never the name) when reading, chosen by
flag or archive name when writing. zstd and xz compress on all cores; gzip output is one standard
stream; bzip2 and lzma on one core. lzip is read, not written.
*/

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
    /// The legacy `.lzma` format (LZMA_Alone), GNU tar's `--lzma`.
    Lzma,
    /// Read only: liblzma decodes lzip, nothing here encodes it.
    Lzip,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0];
const BZIP2_MAGIC: &[u8] = b"BZh";
/// GNU tar's test for the legacy lzma format: the usual properties byte (lc=3, lp=0, pb=2) and
/// the two low bytes of a dictionary size that is a multiple of 64 KiB.
const LZMA_MAGIC: &[u8] = &[0x5d, 0, 0];
const LZ4_MAGIC: &[u8] = &[0x04, 0x22, 0x4d, 0x18];
const LZIP_MAGIC: &[u8] = b"LZIP";
const COMPRESS_MAGIC: &[u8] = &[0x1f, 0x9d];
/// The bytes detection looks at: a whole tar header, whose valid checksum makes the input a
/// plain archive whatever its first bytes say (a first name may start with `BZh` or `LZIP`), as
/// GNU tar decides.
const MAGIC_MAX: usize = 512;

/// A zstd skippable frame (magic 0x184D2A50 to 0x184D2A5F, little-endian), which pzstd's output
/// starts with; zstd's decoder passes over it.
fn is_zstd_skippable(head: &[u8]) -> bool {
    head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18]
}

/// A bzip2 stream: `BZh`, then the block size, `1` to `9`.
fn is_bzip2(head: &[u8]) -> bool {
    head.starts_with(BZIP2_MAGIC) && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b))
}

/// Name suffixes (lower case, as GNU tar's list) and what they say.
const SUFFIXES: [(&[&str], Compression); 6] = [
    (&[".gz", ".tgz", ".taz"], Compression::Gzip),
    (&[".zst", ".tzst"], Compression::Zstd),
    (&[".bz2", ".tbz", ".tbz2", ".tb2", ".tz2"], Compression::Bzip2),
    (&[".xz", ".txz"], Compression::Xz),
    (&[".lzma", ".tlz"], Compression::Lzma),
    (&[".lz"], Compression::Lzip),
];

/// Formats captar does not read or write: (name suffixes, magic, name of the tool).
const UNSUPPORTED: [(&[&str], &[u8], &str); 2] =
    [(&[".lz4"], LZ4_MAGIC, "lz4"), (&[".z", ".taz"], COMPRESS_MAGIC, "uncompress")];

impl Compression {
    /// From the archive's name (`.tar.gz`, `.tgz`, `.tar.zst`, `.tar.bz2`, `.tar.xz`, `.txz`,
    /// `.tar.lzma`, ...); a name that says a compression captar does not write (`.lz`, `.lz4`,
    /// `.Z`) is an error naming it, never a plain archive under a compressed name.
    pub fn from_name(path: &Path) -> Result<Compression, String> {
        let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        let ends = |list: &[&str]| list.iter().any(|e| name.ends_with(e));
        if let Some((_, kind)) = SUFFIXES.iter().find(|(list, _)| ends(list)) {
            if kind.writes() {
                return Ok(*kind);
            }
            return Err(format!(
                "the name says {} compression, which captar reads but does not write; name it .tar.xz, .tar.zst or .tar.gz, or pipe: `captar create -f - ... | lzip > ARCHIVE`",
                kind.name()
            ));
        }
        if let Some((_, _, tool)) = UNSUPPORTED.iter().find(|(list, _, _)| ends(list)) {
            return Err(format!(
                "the name says {tool} compression, which captar does not write; name it .tar.xz, .tar.zst or .tar.gz, or pipe: `captar create -f - ... | {} > ARCHIVE`",
                if *tool == "uncompress" { "compress" } else { tool }
            ));
        }
        Ok(Compression::None)
    }

    /// Whether captar writes this format (it reads them all).
    pub fn writes(self) -> bool {
        self != Compression::Lzip
    }

    /// The compression levels `--level` may choose: gzip's and bzip2's 1 to 9, xz's and lzma's
    /// presets 0 to 9, zstd's 1 to 19 (20 to 22 need `zstd --ultra` and a larger window from
    /// every reader; negative levels barely compress); none without compression.
    pub fn levels(self) -> Option<std::ops::RangeInclusive<i32>> {
        match self {
            Compression::None | Compression::Lzip => None,
            Compression::Gzip | Compression::Bzip2 => Some(1..=9),
            Compression::Xz | Compression::Lzma => Some(0..=9),
            Compression::Zstd => Some(1..=19),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "no compression",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
            Compression::Lzma => "lzma",
            Compression::Lzip => "lzip",
        }
    }

    /// From the first bytes of a stream. Formats captar cannot read are an error that says how
    /// to read them.
    pub fn detect(head: &[u8]) -> Result<Compression, String> {
        let header: Option<&[u8; 512]> = head.get(..512).and_then(|h| h.try_into().ok());
        if header.is_some_and(|h| super::reader::header_checksum_ok(h) == Some(true)) {
            Ok(Compression::None)
        } else if head.starts_with(GZIP_MAGIC) {
            Ok(Compression::Gzip)
        } else if head.starts_with(ZSTD_MAGIC) || is_zstd_skippable(head) {
            Ok(Compression::Zstd)
        } else if head.starts_with(XZ_MAGIC) {
            Ok(Compression::Xz)
        } else if is_bzip2(head) {
            Ok(Compression::Bzip2)
        } else if head.starts_with(LZIP_MAGIC) {
            Ok(Compression::Lzip)
        } else if head.starts_with(LZMA_MAGIC) {
            Ok(Compression::Lzma)
        } else if let Some((_, _, tool)) = UNSUPPORTED.iter().find(|(_, magic, _)| head.starts_with(magic)) {
            let name = if *tool == "uncompress" { "compress (.Z)" } else { tool };
            Err(format!(
                "{name}-compressed archives are not supported; decompress with `{tool} -dc ARCHIVE | captar ... -f -`"
            ))
        } else {
            Ok(Compression::None)
        }
    }
}

/// A decompressed archive stream that can skip data cheaply where the input allows it.
pub trait Source: Read + Send {
    /// Skips `n` bytes; seeks when the input is a plain regular file. The reader skips a
    /// member's data and its padding in two calls: `--checkpoint` counts the records GNU tar
    /// reads, which depend on where the data itself ends (`checkpoint::Checkpointed::skip`).
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let copied = io::copy(&mut self.take(n), &mut io::sink())?;
        if copied < n {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "archive ends inside an entry's data"));
        }
        Ok(())
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
}

/// Nothing: a stand-in while a source is being wrapped.
impl Source for io::Empty {}

struct Streamed<R>(R);

/// A decompressed stream: `finish` drains it, which verifies the checksums of what is left.
struct Decompressed<R>(R);

impl<R: Read> Read for Decompressed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read + Send> Source for Decompressed<R> {
    fn finish(&mut self) -> io::Result<()> {
        io::copy(&mut self.0, &mut io::sink()).map(drop)
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

    fn skip(&mut self, n: u64) -> io::Result<()> {
        if self.pos.saturating_add(n) > self.len {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "archive ends inside an entry's data"));
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

const READ_BUFFER: usize = 256 << 10;
/// The input of one zstd job (multithreaded compression).
const ZSTD_JOB: u32 = 4 << 20;
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

fn detect_io(head: &[u8]) -> io::Result<Compression> {
    Compression::detect(head).map_err(|m| io::Error::new(io::ErrorKind::InvalidData, m))
}

fn stream_decoder(mut input: Box<dyn Read + Send>) -> io::Result<(Compression, Box<dyn Source>)> {
    // The first bytes, however the pipe delivers them (one byte at a time, from a slow writer).
    let mut head = Vec::with_capacity(MAGIC_MAX);
    (&mut input).take(MAGIC_MAX as u64).read_to_end(&mut head)?;
    let kind = detect_io(&head)?;
    let input: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(input));
    let buf = BufReader::with_capacity(READ_BUFFER, input);
    let out: Box<dyn Source> = match kind {
        Compression::None => Box::new(Streamed(buf)),
        Compression::Gzip => Box::new(Decompressed(Members::<flate2::bufread::GzDecoder<Buffered>>::new(buf))),
        Compression::Zstd => Box::new(Decompressed(zstd::stream::read::Decoder::with_buffer(buf)?)),
        Compression::Bzip2 => Box::new(Decompressed(Members::<bzip2::bufread::BzDecoder<Buffered>>::new(buf))),
        // Concatenated streams and stream padding, as `xz -d` reads them; anything else after
        // them is liblzma's error.
        Compression::Xz => {
            Box::new(Decompressed(lzma_decoder(buf, Stream::new_stream_decoder(u64::MAX, CONCATENATED))?))
        }
        Compression::Lzip => {
            Box::new(Decompressed(lzma_decoder(buf, Stream::new_lzip_decoder(u64::MAX, CONCATENATED))?))
        }
        // One stream (the format has no way to say another follows), then zero padding only.
        Compression::Lzma => Box::new(Decompressed(Members::<Lzma>::new(buf))),
    };
    Ok((kind, out))
}

type Buffered = BufReader<Box<dyn Read + Send>>;

/// A decoder of one stream of a format whose streams may follow one another.
trait Member: Read + Send + Sized {
    /// The first byte of a stream, which says another one follows; `None`: only one stream.
    const MAGIC: Option<u8>;
    /// How the format's streams are called in an error.
    const WHAT: &'static str;
    fn start(input: Buffered) -> Self;
    fn into_inner(self) -> Buffered;
}

impl Member for flate2::bufread::GzDecoder<Buffered> {
    const MAGIC: Option<u8> = Some(GZIP_MAGIC[0]);
    const WHAT: &'static str = "gzip member";
    fn start(input: Buffered) -> Self {
        flate2::bufread::GzDecoder::new(input)
    }
    fn into_inner(self) -> Buffered {
        flate2::bufread::GzDecoder::into_inner(self)
    }
}

impl Member for bzip2::bufread::BzDecoder<Buffered> {
    const MAGIC: Option<u8> = Some(BZIP2_MAGIC[0]);
    const WHAT: &'static str = "bzip2 stream";
    fn start(input: Buffered) -> Self {
        bzip2::bufread::BzDecoder::new(input)
    }
    fn into_inner(self) -> Buffered {
        bzip2::bufread::BzDecoder::into_inner(self)
    }
}

/// A legacy `.lzma` stream.
struct Lzma(liblzma::bufread::XzDecoder<Buffered>);

impl Read for Lzma {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(lzma_error)
    }
}

impl Member for Lzma {
    const MAGIC: Option<u8> = None;
    const WHAT: &'static str = "lzma stream";
    fn start(input: Buffered) -> Self {
        // A decoder is only refused for want of memory, which a read then reports.
        let stream = Stream::new_lzma_decoder(u64::MAX);
        Lzma(match stream {
            Ok(s) => liblzma::bufread::XzDecoder::new_stream(input, s),
            Err(_) => liblzma::bufread::XzDecoder::new(input),
        })
    }
    fn into_inner(self) -> Buffered {
        self.0.into_inner()
    }
}

/// Streams one after the other, as `gzip -d` and `bzip2 -d` read them, then nothing, or zero
/// bytes only: padding a tape's blocking or `dd conv=sync` leaves, which gzip ignores too.
struct Members<D> {
    dec: Option<D>,
}

impl<D: Member> Members<D> {
    fn new(input: Buffered) -> Members<D> {
        Members { dec: Some(D::start(input)) }
    }
}

impl<D: Member> Read for Members<D> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(dec) = self.dec.as_mut() else { return Ok(0) };
            let n = dec.read(out)?;
            if n > 0 || out.is_empty() {
                return Ok(n);
            }
            // This stream ended (its check verified): another may follow, or zeros, or nothing.
            let Some(dec) = self.dec.take() else { return Ok(0) };
            let mut input = dec.into_inner();
            let head = input.fill_buf()?;
            if head.is_empty() {
                return Ok(0);
            }
            // A stream starts (the rest of its magic may not be read yet): the decoder checks the
            // magic and says so if this is not the format after all.
            if D::MAGIC == Some(head[0]) {
                self.dec = Some(D::start(input));
                continue;
            }
            loop {
                let rest = input.fill_buf()?;
                if rest.is_empty() {
                    return Ok(0);
                }
                if rest.iter().any(|&b| b != 0) {
                    let what = D::WHAT;
                    let format = what.split(' ').next().unwrap_or(what);
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        match D::MAGIC {
                            Some(_) => format!("data after the last {what} is neither {format} nor zero padding"),
                            None => format!("data after the {what} is not zero padding"),
                        },
                    ));
                }
                let n = rest.len();
                input.consume(n);
            }
        }
    }
}

use liblzma::stream::{CONCATENATED, Stream};

/// A decoder of xz or lzip, whose errors say what went wrong in words.
struct LzmaDecoder(liblzma::bufread::XzDecoder<Buffered>);

fn lzma_decoder(input: Buffered, stream: Result<Stream, liblzma::stream::Error>) -> io::Result<LzmaDecoder> {
    let stream = stream.map_err(|e| lzma_error(e.into()))?;
    Ok(LzmaDecoder(liblzma::bufread::XzDecoder::new_stream(input, stream)))
}

impl Read for LzmaDecoder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(lzma_error)
    }
}

/// liblzma's errors as one line that says what is wrong with the input.
fn lzma_error(e: io::Error) -> io::Error {
    use liblzma::stream::Error as E;
    if e.kind() == io::ErrorKind::UnexpectedEof {
        // The crate's "premature eof": the input ended inside a stream, or what follows the last
        // stream starts like none.
        return io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the compressed data ends early, or is followed by data that is not part of it",
        );
    }
    let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<E>()) else { return e };
    let what = match inner {
        E::Data => "compressed data is corrupt",
        E::Format => "not in the format its first bytes said (or garbage after the end)",
        E::Options | E::UnsupportedCheck => "uses options or an integrity check this decoder does not support",
        E::Mem | E::MemLimit => "needs more memory than is available",
        E::NoCheck => "has no integrity check",
        E::Program => "could not be decoded (liblzma reported a program error)",
    };
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// A compressing writer that must be finished to write its trailer.
pub enum Encoder<W: Write> {
    None(W),
    Gzip(super::pgzip::ParGzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
    Bzip2(bzip2::write::BzEncoder<W>),
    /// xz (on all cores) and lzma.
    Lzma(liblzma::write::XzEncoder<W>),
}

impl<W: Write> Encoder<W> {
    pub fn new(kind: Compression, out: W, level: Option<i32>) -> io::Result<Encoder<W>> {
        Ok(match kind {
            Compression::None => Encoder::None(out),
            Compression::Gzip => {
                let level = flate2::Compression::new(level.unwrap_or(6).clamp(0, 9) as u32);
                Encoder::Gzip(super::pgzip::ParGzEncoder::new(out, level))
            }
            Compression::Zstd => {
                let mut enc = zstd::stream::write::Encoder::new(out, level.unwrap_or(3))?;
                // A content checksum (XXH64) in each frame, as the zstd CLI writes by default:
                // without it a corrupted archive decompresses to wrong data without an error.
                // The decoder verifies it (zstd's default).
                enc.include_checksum(true)?;
                let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as u32;
                enc.multithread(workers)?;
                // Jobs of 4 MiB instead of zstd's 8 (4 windows of level 3): its buffers, most of
                // captar's memory when compressing, take half as much; size grows by 0.5%.
                enc.set_parameter(zstd::stream::raw::CParameter::JobSize(ZSTD_JOB))?;
                Encoder::Zstd(enc)
            }
            Compression::Bzip2 => {
                let level = bzip2::Compression::new(level.unwrap_or(9).clamp(1, 9) as u32);
                Encoder::Bzip2(bzip2::write::BzEncoder::new(out, level))
            }
            Compression::Xz => {
                // Blocks compressed on every core (xz -T0's output: one stream of independent
                // blocks, each with its size, which any xz reads); CRC64 as xz's default.
                let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as u32;
                let stream = liblzma::stream::MtStreamBuilder::new()
                    .threads(threads)
                    .preset(level.unwrap_or(6).clamp(0, 9) as u32)
                    .check(liblzma::stream::Check::Crc64)
                    .encoder()
                    .map_err(io::Error::from)?;
                Encoder::Lzma(liblzma::write::XzEncoder::new_stream(out, stream))
            }
            Compression::Lzma => {
                let options = liblzma::stream::LzmaOptions::new_preset(level.unwrap_or(6).clamp(0, 9) as u32)
                    .map_err(io::Error::from)?;
                let stream = Stream::new_lzma_encoder(&options).map_err(io::Error::from)?;
                Encoder::Lzma(liblzma::write::XzEncoder::new_stream(out, stream))
            }
            Compression::Lzip => {
                return Err(io::Error::new(io::ErrorKind::Unsupported, "captar reads lzip but does not write it"));
            }
        })
    }

    /// Writes the compression trailer and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Encoder::None(w) => Ok(w),
            Encoder::Gzip(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
            Encoder::Bzip2(e) => e.finish(),
            Encoder::Lzma(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::None(w) => w.write(buf),
            Encoder::Gzip(e) => e.write(buf),
            Encoder::Zstd(e) => e.write(buf),
            Encoder::Bzip2(e) => e.write(buf),
            Encoder::Lzma(e) => e.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Encoder::None(w) => w.write_all(buf),
            Encoder::Gzip(e) => e.write_all(buf),
            Encoder::Zstd(e) => e.write_all(buf),
            Encoder::Bzip2(e) => e.write_all(buf),
            Encoder::Lzma(e) => e.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::None(w) => w.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
            // Only what has been compressed goes on: a forced flush would end a bzip2 block
            // early, and the legacy lzma format has none (liblzma refuses it); `finish` writes
            // the rest.
            Encoder::Bzip2(e) => e.get_mut().flush(),
            Encoder::Lzma(e) => e.get_mut().flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
