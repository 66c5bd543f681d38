/*!
Decompression for reading: the decoder the input's first bytes call for, streams one after
another as the format's own tool reads them, and liblzma's errors in words.
*/

use std::io::{self, BufRead, BufReader, Read};

use liblzma::stream::{CONCATENATED, Stream};

use super::detect::{BZIP2_MAGIC, Compression, GZIP_MAGIC, MAGIC_MAX, XZ_MAGIC, detect_io};
use super::source::{Decompressed, Source, Streamed};
use super::{cores, quarter_of_ram};

const READ_BUFFER: usize = 256 << 10;

pub(super) fn stream_decoder(mut input: Box<dyn Read + Send>) -> io::Result<(Compression, Box<dyn Source>)> {
    // The first bytes, however the pipe delivers them (one byte at a time, from a slow writer).
    let mut head = Vec::with_capacity(MAGIC_MAX);
    (&mut input).take(MAGIC_MAX as u64).read_to_end(&mut head)?;
    let kind = detect_io(&head)?;
    let input: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(input));
    let buf = BufReader::with_capacity(READ_BUFFER, input);
    let out: Box<dyn Source> = match kind {
        Compression::None => Box::new(Streamed(buf)),
        Compression::Gzip => Box::new(Decompressed(Members::<flate2::bufread::GzDecoder<Buffered>>::new(buf)?)),
        // Frames that give their size decompressed on up to four cores, the rest as a stream.
        Compression::Zstd => Box::new(super::zstd_frames::Decoder::new(buf, cores().min(4) as usize)),
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
            let n = dec.read(out).map_err(input_ended)?;
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
                            super::source::TrailingData(match D::MAGIC {
                                Some(_) => format!("data after the last {what} is neither {format} nor zero padding"),
                                None => format!("data after the {what} is not zero padding"),
                            }),
                        ));
                    }
                }
            }
        }
    }
}

/// A decoder's bare end of input (flate2's gzip trailer missing: `UnexpectedEof` and no more)
/// as an error of its own, in the same words, so that it is told from the reader's own end of
/// input (`source::stream_cut`) wherever it surfaces.
fn input_ended(e: io::Error) -> io::Error {
    match e.kind() == io::ErrorKind::UnexpectedEof && e.get_ref().is_none() {
        true => io::Error::new(io::ErrorKind::UnexpectedEof, e.to_string()),
        false => e,
    }
}

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
        E::MemLimit => {
            "needs more than 2 GiB of memory to decompress (its dictionary is 2 GiB or larger), more than any xz, lzip or lzma preset uses"
        }
        E::NoCheck => "has no integrity check",
        E::Program => "could not be decoded (liblzma reported a program error)",
    };
    io::Error::new(io::ErrorKind::InvalidData, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::compress::{Origin, decoder};

    /// lzma's header is checked as liblzma checks it.
    /// A 21-byte "lzma" stream whose header asks for a 4 GiB dictionary (found by the fuzzer):
    /// refused before liblzma allocates it.
    #[test]
    fn a_huge_dictionary_is_refused() {
        let bytes = b"\x00\xff\xff\xff\xff\xff\xff\xff\xff\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        let (kind, mut src) = decoder(Origin::Stream(Box::new(io::Cursor::new(bytes)))).unwrap();
        assert_eq!(kind, Compression::Lzma);
        let err = src.read(&mut [0u8; 512]).unwrap_err();
        assert!(
            err.to_string()
                .contains("needs more than 2 GiB of memory to decompress (its dictionary is 2 GiB or larger)"),
            "{err}"
        );
        // Exactly 2 GiB is refused too: the dictionary and the decoder's own state pass the limit
        // (found by review: the message said "more than 2 GiB").
        let bytes = b"\x5d\x00\x00\x00\x80\xff\xff\xff\xff\xff\xff\xff\xff\0\0\0\0\0\0\0\0".to_vec();
        let (_, mut src) = decoder(Origin::Stream(Box::new(io::Cursor::new(bytes)))).unwrap();
        let err = src.read(&mut [0u8; 512]).unwrap_err();
        assert!(err.to_string().contains("its dictionary is 2 GiB or larger"), "{err}");
    }
}
