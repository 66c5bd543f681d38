/*!
Compression: detected from the first bytes of the input (never the name) when reading, chosen by
flag or archive name when writing. zstd, xz, gzip and bzip2 compress on all cores (gzip output is
one standard stream, bzip2 one stream per block as pbzip2 writes); lzma on one core. lzip is
read, not written.
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

/// What an archive name's suffix says: a compression captar writes, or the tool of one it does
/// not write.
type Said = Result<Compression, &'static str>;

/// GNU tar's suffixes (src/suffixes.c), matched as it matches them: the text after the last dot,
/// case and all.
const GNU_SUFFIXES: [(&str, Said); 17] = [
    ("gz", Ok(Compression::Gzip)),
    ("tgz", Ok(Compression::Gzip)),
    ("taz", Ok(Compression::Gzip)),
    ("Z", Err("compress")),
    ("taZ", Err("compress")),
    ("bz2", Ok(Compression::Bzip2)),
    ("tbz", Ok(Compression::Bzip2)),
    ("tbz2", Ok(Compression::Bzip2)),
    ("tz2", Ok(Compression::Bzip2)),
    ("lz", Ok(Compression::Lzip)),
    ("lzma", Ok(Compression::Lzma)),
    ("tlz", Ok(Compression::Lzma)),
    ("lzo", Err("lzop")),
    ("xz", Ok(Compression::Xz)),
    ("txz", Ok(Compression::Xz)),
    ("zst", Ok(Compression::Zstd)),
    ("tzst", Ok(Compression::Zstd)),
];

/// captar's own, after GNU tar's and in any case (`A.TAR.GZ`, `a.tb2`, `a.lz4`): a name that says
/// a compression is never given a plain archive.
const OTHER_SUFFIXES: [(&str, Said); 4] =
    [("tb2", Ok(Compression::Bzip2)), ("lz4", Err("lz4")), ("tzo", Err("lzop")), ("z", Err("compress"))];

/// Formats captar does not read: (magic, name of the tool).
const UNSUPPORTED: [(&[u8], &str); 2] = [(LZ4_MAGIC, "lz4"), (COMPRESS_MAGIC, "uncompress")];

/// A legacy lzma stream's header, as liblzma's own format detection checks it (its "picky"
/// lzma_alone decoder): the properties byte (lc, lp, pb) below 225 with lc + lp at most 4; a
/// dictionary size of 2^n or 2^n + 2^(n-1) (or all ones); an uncompressed size unknown (all
/// ones) or below 256 GiB; and, as libarchive also checks, the range coder's first byte, which
/// is always 0. GNU tar has no test for it (it goes by the name), and `5d 00 00` alone takes
/// other data for lzma. A dictionary of 0 bytes, which liblzma lets through, is refused: zeros
/// would pass every other test (tar's empty archive, end-of-archive blocks only, was read as an
/// empty lzma stream).
fn is_lzma(head: &[u8]) -> bool {
    let (Some(props), Some(dict), Some(size), Some(&first)) = (
        head.first(),
        head.get(1..5).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes),
        head.get(5..13).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes),
        head.get(13),
    ) else {
        return false;
    };
    let mut d = dict.wrapping_sub(1);
    for shift in [2, 3, 4, 8, 16] {
        d |= d >> shift;
    }
    let dict_ok = dict == u32::MAX || (dict != 0 && d.wrapping_add(1) == dict);
    let (lc, lp) = (props % 9, props / 9 % 5);
    *props < 225 && lc + lp <= 4 && dict_ok && (size == u64::MAX || size < 1 << 38) && first == 0
}

impl Compression {
    /// From the archive's name, by GNU tar's suffixes (`.tar.gz`, `.tgz`, `.tar.zst`, `.tar.bz2`,
    /// `.tar.xz`, `.txz`, `.tar.lzma`, ...); a name that says a compression captar does not write
    /// (`.lz`, `.lz4`, `.Z`, `.lzo`) is an error naming it, never a plain archive under a
    /// compressed name.
    pub fn from_name(path: &Path) -> Result<Compression, String> {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some((_, ext)) = name.rsplit_once('.') else { return Ok(Compression::None) };
        let lower = ext.to_ascii_lowercase();
        let said = GNU_SUFFIXES
            .iter()
            .find(|(s, _)| *s == ext)
            .or_else(|| GNU_SUFFIXES.iter().chain(&OTHER_SUFFIXES).find(|(s, _)| s.to_ascii_lowercase() == lower));
        match said.map(|(_, said)| *said) {
            None => Ok(Compression::None),
            Some(Ok(kind)) if kind.writes() => Ok(kind),
            Some(Ok(kind)) => Err(format!(
                "the name says {} compression, which captar reads but does not write; name it .tar.xz, .tar.zst or .tar.gz, or pipe: `captar create -f - ... | lzip > ARCHIVE`",
                kind.name()
            )),
            Some(Err(tool)) => Err(format!(
                "the name says {tool} compression, which captar does not write; name it .tar.xz, .tar.zst or .tar.gz, or pipe: `captar create -f - ... | {tool} > ARCHIVE`"
            )),
        }
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
        } else if is_lzma(head) {
            Ok(Compression::Lzma)
        } else if let Some((_, tool)) = UNSUPPORTED.iter().find(|(magic, _)| head.starts_with(magic)) {
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

    /// Whether the bytes come out of a decompressor, whose own checks can find the stream
    /// damaged further on.
    fn decompresses(&self) -> bool {
        false
    }
}

/// A source read on ahead: the bytes already taken from `inner`, given out first.
pub struct Replay {
    ahead: Vec<u8>,
    pos: usize,
    inner: Box<dyn Source>,
}

impl Replay {
    pub fn new(ahead: Vec<u8>, inner: Box<dyn Source>) -> Replay {
        Replay { ahead, pos: 0, inner }
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
    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }

    fn decompresses(&self) -> bool {
        self.inner.decompresses()
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
        Compression::Gzip => Box::new(Decompressed(Members::<flate2::bufread::GzDecoder<Buffered>>::new(buf)?)),
        Compression::Zstd => Box::new(Decompressed(zstd::stream::read::Decoder::with_buffer(buf)?)),
        Compression::Bzip2 => Box::new(Decompressed(Members::<bzip2::bufread::BzDecoder<Buffered>>::new(buf)?)),
        // Concatenated streams and stream padding, as `xz -d` reads them.
        Compression::Xz => Box::new(Decompressed(Members::<Lz<XZ>>::new(buf)?)),
        // lzip members one after the other are liblzma's to read; it ends quietly before data it
        // does not take for one (a damaged member's header, garbage), which is an error here.
        Compression::Lzip => Box::new(Decompressed(Members::<Lz<LZIP>>::new(buf)?)),
        // One stream (the format has no way to say another follows), then zero padding only.
        Compression::Lzma => Box::new(Decompressed(Members::<Lz<LZMA>>::new(buf)?)),
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
    /// Whether zero bytes may come between streams too, in multiples of four (xz's stream
    /// padding); otherwise only after the last, in any number.
    const STREAM_PADDING: bool = false;
    fn start(input: Buffered) -> io::Result<Self>;
    fn into_inner(self) -> Buffered;
}

impl Member for flate2::bufread::GzDecoder<Buffered> {
    const MAGIC: Option<u8> = Some(GZIP_MAGIC[0]);
    const WHAT: &'static str = "gzip member";
    fn start(input: Buffered) -> io::Result<Self> {
        Ok(flate2::bufread::GzDecoder::new(input))
    }
    fn into_inner(self) -> Buffered {
        flate2::bufread::GzDecoder::into_inner(self)
    }
}

impl Member for bzip2::bufread::BzDecoder<Buffered> {
    const MAGIC: Option<u8> = Some(BZIP2_MAGIC[0]);
    const WHAT: &'static str = "bzip2 stream";
    fn start(input: Buffered) -> io::Result<Self> {
        Ok(bzip2::bufread::BzDecoder::new(input))
    }
    fn into_inner(self) -> Buffered {
        bzip2::bufread::BzDecoder::into_inner(self)
    }
}

/// A liblzma format (`Lz<XZ>`...): one xz stream, whose blocks are decoded on every core when
/// their headers give their sizes (what `xz -T` and captar write; a stream of one block, `xz`
/// on one thread, on one); lzip's members, all of those that follow one another (liblzma reads
/// them; `Members` checks what it leaves after them); or the legacy `.lzma` format's one stream.
struct Lz<const FORMAT: u8>(Liblzma);

const XZ: u8 = 0;
const LZIP: u8 = 1;
const LZMA: u8 = 2;

impl<const FORMAT: u8> Read for Lz<FORMAT> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<const FORMAT: u8> Member for Lz<FORMAT> {
    const MAGIC: Option<u8> = if FORMAT == XZ { Some(XZ_MAGIC[0]) } else { None };
    const WHAT: &'static str = match FORMAT {
        XZ => "xz stream",
        LZIP => "lzip member",
        _ => "lzma stream",
    };
    const STREAM_PADDING: bool = FORMAT == XZ;
    fn start(input: Buffered) -> io::Result<Self> {
        let stream = match FORMAT {
            XZ => {
                // Threads only while their memory stays under a quarter of the RAM (as the
                // encoder's); above it liblzma decodes on one thread instead of failing.
                let mut builder = liblzma::stream::MtStreamBuilder::new();
                builder.threads(cores()).memlimit_threading(quarter_of_ram().max(1)).memlimit_stop(LZMA_MEMLIMIT);
                builder.decoder()
            }
            LZIP => Stream::new_lzip_decoder(LZMA_MEMLIMIT, CONCATENATED),
            _ => Stream::new_lzma_decoder(LZMA_MEMLIMIT),
        };
        Liblzma::new(input, stream).map(Lz)
    }
    fn into_inner(self) -> Buffered {
        self.0.0.into_inner()
    }
}

/// Streams one after the other, as `gzip -d` and `bzip2 -d` read them, then nothing, or zero
/// bytes only: padding a tape's blocking or `dd conv=sync` leaves, which gzip ignores too.
struct Members<D> {
    dec: Option<D>,
}

impl<D: Member> Members<D> {
    fn new(input: Buffered) -> io::Result<Members<D>> {
        Ok(Members { dec: Some(D::start(input)?) })
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
                self.dec = Some(D::start(input)?);
                continue;
            }
            let mut zeros = 0u64;
            loop {
                let rest = input.fill_buf()?;
                let nonzero = rest.iter().position(|&b| b != 0);
                let n = nonzero.unwrap_or(rest.len());
                let next = nonzero.map(|i| rest[i]);
                input.consume(n);
                zeros += n as u64;
                if D::STREAM_PADDING && !zeros.is_multiple_of(4) && (n == 0 || next.is_some()) {
                    let what = D::WHAT;
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("the zero padding after an {what} is not a multiple of four bytes"),
                    ));
                }
                match next {
                    None if n == 0 => return Ok(0),
                    None => continue,
                    Some(b) if D::STREAM_PADDING && D::MAGIC == Some(b) => {
                        self.dec = Some(D::start(input)?);
                        break;
                    }
                    Some(_) => {
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
                }
            }
        }
    }
}

use liblzma::stream::{CONCATENATED, Stream};

/// The most memory an xz, lzma or lzip decoder may take: its dictionary, which bounds what it
/// touches too. Above every preset of xz (64 MiB), lzip (32 MiB) and lzma, and above xz's
/// largest dictionary (1.5 GiB); a header asking for more (the legacy lzma format allows
/// 4 GiB) is corrupt or hostile: a few bytes would make the decoder fill gigabytes. bsdtar
/// stops at 1 GiB.
const LZMA_MEMLIMIT: u64 = 2 << 30;

/// A liblzma decoder (xz, lzip, lzma), whose errors say what went wrong in words.
struct Liblzma(liblzma::bufread::XzDecoder<Buffered>);

impl Liblzma {
    fn new(input: Buffered, stream: Result<Stream, liblzma::stream::Error>) -> io::Result<Liblzma> {
        let stream = stream.map_err(|e| lzma_error(e.into()))?;
        Ok(Liblzma(liblzma::bufread::XzDecoder::new_stream(input, stream)))
    }
}

impl Read for Liblzma {
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
        E::Mem => "needs more memory than is available",
        E::MemLimit => "asks for a dictionary of more than 2 GiB, larger than any xz, lzip or lzma preset uses",
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
    Bzip2(super::blocks::ParBzEncoder<W>),
    /// xz (on all cores) and lzma.
    Lzma(LzmaEncoder<W>),
}

/// liblzma's encoder writes the end of its stream when dropped. One dropped without `finish`
/// (after an error) must not: a partial archive on standard output would end as a whole xz
/// stream. Its output refuses every write from then on.
pub struct LzmaEncoder<W: Write>(Option<liblzma::write::XzEncoder<Gate<W>>>);

struct Gate<W> {
    out: W,
    open: bool,
}

impl<W: Write> Write for Gate<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.open {
            return Err(io::Error::other("the archive was abandoned"));
        }
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> LzmaEncoder<W> {
    fn new(out: W, stream: Stream) -> LzmaEncoder<W> {
        LzmaEncoder(Some(liblzma::write::XzEncoder::new_stream(Gate { out, open: true }, stream)))
    }

    fn inner(&mut self) -> io::Result<&mut liblzma::write::XzEncoder<Gate<W>>> {
        self.0.as_mut().ok_or_else(|| io::Error::other("the compressed stream is already finished"))
    }

    fn finish(mut self) -> io::Result<W> {
        let mut enc = self.0.take().ok_or_else(|| io::Error::other("the compressed stream is already finished"))?;
        // The crate's `finish` drops the encoder when it fails, and the drop tries again: the
        // gate closes first.
        if let Err(e) = enc.try_finish() {
            enc.get_mut().open = false;
            return Err(e);
        }
        enc.finish().map(|gate| gate.out)
    }
}

impl<W: Write> Drop for LzmaEncoder<W> {
    fn drop(&mut self) {
        if let Some(enc) = self.0.as_mut() {
            enc.get_mut().open = false;
        }
    }
}

/// Threads for xz on every core, fewer where their memory would pass a quarter of the RAM (as
/// `xz -T0` limits itself); the output is the same for any number.
fn xz_encoder(preset: u32) -> io::Result<Stream> {
    let limit = quarter_of_ram();
    let mut builder = liblzma::stream::MtStreamBuilder::new();
    builder.preset(preset).check(liblzma::stream::Check::Crc64);
    let mut threads = cores();
    while threads > 1 && limit > 0 && builder.threads(threads).memusage() > limit {
        threads -= 1;
    }
    builder.threads(threads).encoder().map_err(io::Error::from)
}

/// The cores this process may run on.
fn cores() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(u32::MAX as usize) as u32
}

/// A quarter of the RAM (0 when the kernel does not say): what xz's threads may take.
fn quarter_of_ram() -> u64 {
    let info = rustix::system::sysinfo();
    (info.totalram as u64).saturating_mul(u64::from(info.mem_unit.max(1))) / 4
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
                Encoder::Bzip2(super::blocks::ParBzEncoder::new(out, level))
            }
            Compression::Xz => {
                // Blocks compressed on every core (xz -T0's output: one stream of independent
                // blocks, each with its size, which any xz reads); CRC64 as xz's default.
                Encoder::Lzma(LzmaEncoder::new(out, xz_encoder(level.unwrap_or(6).clamp(0, 9) as u32)?))
            }
            Compression::Lzma => {
                let options = liblzma::stream::LzmaOptions::new_preset(level.unwrap_or(6).clamp(0, 9) as u32)
                    .map_err(io::Error::from)?;
                let stream = Stream::new_lzma_encoder(&options).map_err(io::Error::from)?;
                Encoder::Lzma(LzmaEncoder::new(out, stream))
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
            Encoder::Lzma(e) => e.inner()?.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Encoder::None(w) => w.write_all(buf),
            Encoder::Gzip(e) => e.write_all(buf),
            Encoder::Zstd(e) => e.write_all(buf),
            Encoder::Bzip2(e) => e.write_all(buf),
            Encoder::Lzma(e) => e.inner()?.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::None(w) => w.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
            Encoder::Bzip2(e) => e.flush(),
            // Only what has been compressed goes on: the legacy lzma format has no flush
            // (liblzma refuses it), and one would end an xz block early; `finish` writes the
            // rest.
            Encoder::Lzma(e) => e.inner()?.get_mut().flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GNU tar's suffixes as GNU tar 1.34 reads them (case and all), captar's own after them in
    /// any case, and the ones captar does not write refused.
    #[test]
    fn suffixes_say_what_gnu_tar_says() {
        let said = |name: &str| Compression::from_name(Path::new(name));
        for (name, want) in [
            ("a.tar.gz", Compression::Gzip),
            ("a.tgz", Compression::Gzip),
            ("a.taz", Compression::Gzip),
            ("A.TAR.GZ", Compression::Gzip),
            ("a.tar.bz2", Compression::Bzip2),
            ("a.tbz", Compression::Bzip2),
            ("a.tbz2", Compression::Bzip2),
            ("a.tz2", Compression::Bzip2),
            ("a.tb2", Compression::Bzip2),
            ("a.tar.xz", Compression::Xz),
            ("a.txz", Compression::Xz),
            ("a.tar.lzma", Compression::Lzma),
            ("a.tlz", Compression::Lzma),
            ("a.tar.zst", Compression::Zstd),
            ("a.tzst", Compression::Zstd),
            ("a.tar", Compression::None),
            ("a.gz.tar", Compression::None),
            ("noext", Compression::None),
        ] {
            assert_eq!(said(name), Ok(want), "{name}");
        }
        for (name, says) in [
            ("a.tar.Z", "compress"),
            ("a.taZ", "compress"),
            ("a.tar.z", "compress"),
            ("a.tar.lzo", "lzop"),
            ("a.tzo", "lzop"),
            ("a.tar.lz4", "lz4"),
            ("a.tar.lz", "lzip compression, which captar reads but does not write"),
        ] {
            let e = said(name).unwrap_err();
            assert!(e.contains(&format!("the name says {says}")), "{name}: {e}");
        }
    }

    /// An xz or lzma encoder dropped without `finish` (after an error), or whose `finish` failed
    /// to write, leaves no whole stream behind; one finished does.
    #[test]
    fn an_abandoned_xz_stream_is_not_ended() {
        /// The bytes written, and whether the next write fails (once).
        #[derive(Clone, Default)]
        struct Shared(Arc<std::sync::Mutex<(Vec<u8>, bool)>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let mut state = self.0.lock().unwrap();
                if std::mem::take(&mut state.1) {
                    return Err(io::Error::other("disk full"));
                }
                state.0.extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
        let decoded = |bytes: &[u8]| {
            let mut out = Vec::new();
            liblzma::read::XzDecoder::new(bytes).read_to_end(&mut out).map(|_| out)
        };
        // Dropped; finished after a write of its end failed; finished.
        for (kind, how) in [(Compression::Xz, 0), (Compression::Xz, 1), (Compression::Lzma, 1), (Compression::Xz, 2)] {
            let out = Shared::default();
            let mut enc = Encoder::new(kind, out.clone(), Some(0)).unwrap();
            enc.write_all(&data).unwrap();
            match how {
                0 => drop(enc),
                1 => {
                    out.0.lock().unwrap().1 = true;
                    assert!(enc.finish().is_err());
                }
                _ => drop(enc.finish().unwrap()),
            }
            let bytes = out.0.lock().unwrap().0.clone();
            let mut back = Vec::new();
            let whole = match kind {
                Compression::Xz => decoded(&bytes),
                _ => liblzma::read::XzDecoder::new_stream(&bytes[..], Stream::new_lzma_decoder(u64::MAX).unwrap())
                    .read_to_end(&mut back)
                    .map(|_| back),
            };
            match how {
                2 => assert!(whole.unwrap() == data),
                _ => assert!(whole.is_err(), "{kind:?} {how}: {} bytes decoded whole", bytes.len()),
            }
        }
    }

    /// lzma's header is checked as liblzma checks it.
    /// A 21-byte "lzma" stream whose header asks for a 4 GiB dictionary (found by the fuzzer):
    /// refused before liblzma allocates it.
    #[test]
    fn a_huge_dictionary_is_refused() {
        let bytes = b"\x00\xff\xff\xff\xff\xff\xff\xff\xff\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        let (kind, mut src) = decoder(Origin::Stream(Box::new(io::Cursor::new(bytes)))).unwrap();
        assert_eq!(kind, Compression::Lzma);
        let err = src.read(&mut [0u8; 512]).unwrap_err();
        assert!(err.to_string().contains("more than 2 GiB"), "{err}");
    }

    #[test]
    fn lzma_is_told_by_its_header() {
        let header = |props: u8, dict: u32, size: u64, first: u8| {
            let mut h = vec![props];
            h.extend(dict.to_le_bytes());
            h.extend(size.to_le_bytes());
            h.push(first);
            h.extend([0u8; 20]);
            h
        };
        assert!(is_lzma(&header(0x5d, 8 << 20, u64::MAX, 0)));
        assert!(is_lzma(&header(0, 4096, 1000, 0)));
        assert!(is_lzma(&header(0x5d, 3 << 20, u64::MAX, 0)), "2^n + 2^(n-1)");
        assert!(is_lzma(&header(0x5d, u32::MAX, u64::MAX, 0)));
        assert!(!is_lzma(&header(225, 8 << 20, u64::MAX, 0)), "properties past pb=4, lp=4, lc=8");
        assert!(!is_lzma(&header(0x5d, 5 << 20, u64::MAX, 0)), "5 MiB is no lzma dictionary size");
        assert!(is_lzma(&header(0x5d, 2048, u64::MAX, 0)), "liblzma raises a small dictionary");
        assert!(!is_lzma(&header(8, 8 << 20, u64::MAX, 0)), "lc=8: lc + lp over 4");
        assert!(!is_lzma(&header(9 * 4 + 1, 8 << 20, u64::MAX, 0)), "lc=1, lp=4");
        assert!(!is_lzma(&header(0x5d, 8 << 20, 1 << 40, 0)), "256 GiB and over");
        assert!(!is_lzma(&header(0x5d, 8 << 20, u64::MAX, 1)), "the range coder starts with 0");
        assert!(!is_lzma(&[0x5d, 0, 0]), "too short to tell");
        assert!(!is_lzma(&[0; 512]), "zeros: tar's empty archive");
        assert_eq!(Compression::detect(&[0; 512]), Ok(Compression::None));
    }

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
