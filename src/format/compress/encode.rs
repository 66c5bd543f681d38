/*!
Compression for writing: `Encoder` puts gzip, zstd, bzip2, xz, lzma or lzip around the archive, each
set up as its own tool sets it up, and must be finished to write the trailer.
*/

use std::io::{self, Write};

use liblzma::stream::Stream;

use super::detect::Compression;
use super::zstd_writer::{BLOCK_SPLITTER_LEVEL, Param, ZstdWriter, has_block_splitter, zstd_writer};
use super::{cores, quarter_of_ram};

/// captar's zstd setting when no level is asked for: level 3 (its 2 MiB window, double-fast
/// match finder and minimum match) with match tables half as large, 2^16 and 2^15 entries
/// instead of 2^17 and 2^16, so more of them stay in the core's cache, and libzstd 1.5.7's
/// block pre-splitter at its cheapest (level 2: a block is split where its two ends differ,
/// not by sampling it throughout as level 3 does by default). Measured on 2 cores, interleaved
/// with GNU tar: 8-10% less time and CPU than level 3, for an archive about 2% larger than
/// level 3's (written in frames: 0.98 of `tar -I 'zstd -T0'`'s on /usr, 0.985-1.017 of it on
/// other trees).
const ZSTD_DEFAULT: [(Param, i32); 8] = [
    (Param::ZSTD_c_windowLog, 21),
    (Param::ZSTD_c_hashLog, 16),
    (Param::ZSTD_c_chainLog, 15),
    (Param::ZSTD_c_searchLog, 1),
    (Param::ZSTD_c_minMatch, 5),
    (Param::ZSTD_c_targetLength, 0),
    (Param::ZSTD_c_strategy, zstd_sys::ZSTD_strategy::ZSTD_dfast as i32),
    (BLOCK_SPLITTER_LEVEL, 2),
];

/// A compressing writer that must be finished to write its trailer.
pub enum Encoder<W: Write> {
    None(W),
    Gzip(crate::format::pgzip::ParGzEncoder<W>),
    Zstd(ZstdWriter<W>),
    Bzip2(crate::format::blocks::ParBzEncoder<W>),
    Lzip(crate::format::plzip::ParLzEncoder<W>),
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

impl<W: Write> Encoder<W> {
    /// `extreme` is xz's and lzma's `-e` (`XZ_OPT=-9e`), nothing for the others.
    pub fn new(kind: Compression, out: W, level: Option<i32>, extreme: bool) -> io::Result<Encoder<W>> {
        let level_unset = level.is_none();
        let xz_preset =
            level.unwrap_or(6).clamp(0, 9) as u32 | if extreme { liblzma::stream::PRESET_EXTREME } else { 0 };
        Ok(match kind {
            Compression::None => Encoder::None(out),
            Compression::Gzip => {
                let level = flate2::Compression::new(level.unwrap_or(6).clamp(0, 9) as u32);
                Encoder::Gzip(crate::format::pgzip::ParGzEncoder::new(out, level))
            }
            Compression::Zstd => {
                let level = level.unwrap_or(3);
                // A content checksum (XXH64) in each frame, as the zstd CLI writes by default:
                // without it a corrupted archive decompresses to wrong data without an error.
                // The decoder verifies it (zstd's default).
                let mut params = vec![(Param::ZSTD_c_checksumFlag, 1)];
                if level_unset {
                    params.extend(
                        ZSTD_DEFAULT.into_iter().filter(|&(p, _)| p != BLOCK_SPLITTER_LEVEL || has_block_splitter()),
                    );
                }
                Encoder::Zstd(zstd_writer(out, level, &params, cores().min(i32::MAX as u32) as i32)?)
            }
            Compression::Bzip2 => {
                let level = bzip2::Compression::new(level.unwrap_or(9).clamp(1, 9) as u32);
                Encoder::Bzip2(crate::format::blocks::par_bzip2(out, level))
            }
            Compression::Xz => {
                // Blocks compressed on every core (xz -T0's output: one stream of independent
                // blocks, each with its size, which any xz reads); CRC64 as xz's default.
                Encoder::Lzma(LzmaEncoder::new(out, xz_encoder(xz_preset)?))
            }
            Compression::Lzma => {
                let options = liblzma::stream::LzmaOptions::new_preset(xz_preset).map_err(io::Error::from)?;
                let stream = Stream::new_lzma_encoder(&options).map_err(io::Error::from)?;
                Encoder::Lzma(LzmaEncoder::new(out, stream))
            }
            Compression::Lzip => {
                // lzip's default level, 6; members compressed on every core as plzip writes them.
                let level = level.unwrap_or(6).clamp(0, 9) as u32;
                Encoder::Lzip(crate::format::plzip::par_lzip(out, level, cores() as usize, quarter_of_ram()))
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
            Encoder::Lzip(e) => e.finish(),
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
            Encoder::Lzip(e) => e.write(buf),
            Encoder::Lzma(e) => e.inner()?.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Encoder::None(w) => w.write_all(buf),
            Encoder::Gzip(e) => e.write_all(buf),
            Encoder::Zstd(e) => e.write_all(buf),
            Encoder::Bzip2(e) => e.write_all(buf),
            Encoder::Lzip(e) => e.write_all(buf),
            Encoder::Lzma(e) => e.inner()?.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::None(w) => w.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
            Encoder::Bzip2(e) => e.flush(),
            Encoder::Lzip(e) => e.flush(),
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
    use std::io::Read;
    use std::sync::Arc;

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
            let mut enc = Encoder::new(kind, out.clone(), Some(0), false).unwrap();
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
}
