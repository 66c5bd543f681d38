/*!
Parallel gzip, the way pigz does it: the stream is cut into blocks, each block is deflated on a
worker thread with the previous block's last 32 KiB as its dictionary and ends with a sync
flush, and the blocks are written in order between one gzip header and one trailer. The result
is one ordinary gzip member that `gzip -t` and every reader accept; the CRC-32 of the blocks is
combined in order. Memory is bounded: at most two blocks per worker are in flight.
*/

use std::io::{self, Write};

use flate2::{Compress, Compression, FlushCompress, Status};

use super::blocks::{Blocks, Codec};

const BLOCK: usize = 512 << 10;
const DICT: usize = 32 << 10;
/// RFC 1952 header: magic, deflate, no flags, no mtime, no extra flags, OS = Unix.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];

struct Done {
    output: Vec<u8>,
    crc: crc32fast::Hasher,
    len: usize,
}

struct Deflate(Compression);

impl Codec for Deflate {
    type Done = Done;

    fn block(&self, input: &[u8], dict: &[u8]) -> io::Result<Done> {
        let mut c = Compress::new(self.0, false);
        if !dict.is_empty() {
            c.set_dictionary(dict).map_err(io::Error::other)?;
        }
        let mut output = Vec::with_capacity(input.len() / 2 + 1024);
        let mut rest = input;
        loop {
            if output.capacity() - output.len() < 1024 {
                output.reserve(output.capacity().max(64 << 10));
            }
            let before_in = c.total_in();
            let status = c.compress_vec(rest, &mut output, FlushCompress::Sync).map_err(io::Error::other)?;
            rest = &rest[(c.total_in() - before_in) as usize..];
            // Done once all input is consumed and the flush fitted (room left over).
            if rest.is_empty() && output.len() < output.capacity() && status != Status::BufError {
                break;
            }
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(input);
        Ok(Done { output, crc, len: input.len() })
    }
}

/// What has been written: the header once, then each block's deflate output, CRC and length.
struct Written<W> {
    out: W,
    header: bool,
    crc: crc32fast::Hasher,
    total: u64,
}

impl<W: Write> Written<W> {
    fn header(&mut self) -> io::Result<()> {
        if !self.header {
            self.out.write_all(&HEADER)?;
            self.header = true;
        }
        Ok(())
    }

    fn block(&mut self, done: Done) -> io::Result<()> {
        self.header()?;
        self.out.write_all(&done.output)?;
        self.crc.combine(&done.crc);
        self.total += done.len as u64;
        Ok(())
    }
}

/// A gzip writer that compresses on all cores.
pub struct ParGzEncoder<W: Write> {
    written: Written<W>,
    level: Compression,
    blocks: Blocks<Deflate>,
}

impl<W: Write> ParGzEncoder<W> {
    pub fn new(out: W, level: Compression) -> ParGzEncoder<W> {
        let written = Written { out, header: false, crc: crc32fast::Hasher::new(), total: 0 };
        ParGzEncoder { written, level, blocks: Blocks::new(Deflate(level), BLOCK, DICT) }
    }

    /// Writes the remaining blocks, the final empty deflate block and the trailer.
    pub fn finish(mut self) -> io::Result<W> {
        let written = &mut self.written;
        self.blocks.finish(&mut |done| written.block(done))?;
        written.header()?;
        // An empty final block ends the deflate stream.
        let mut c = Compress::new(self.level, false);
        let mut end = Vec::with_capacity(64);
        c.compress_vec(&[], &mut end, FlushCompress::Finish).map_err(io::Error::other)?;
        let crc = std::mem::replace(&mut written.crc, crc32fast::Hasher::new()).finalize();
        let total = written.total;
        let Written { mut out, .. } = self.written;
        out.write_all(&end)?;
        out.write_all(&crc.to_le_bytes())?;
        out.write_all(&(total as u32).to_le_bytes())?;
        Ok(out)
    }
}

impl<W: Write> Write for ParGzEncoder<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let written = &mut self.written;
        self.blocks.write(data, &mut |done| written.block(done))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn one_valid_gzip_member() {
        for size in [0usize, 1, 1000, BLOCK - 1, BLOCK, BLOCK + 1, 5 * BLOCK + 12345] {
            let data: Vec<u8> = (0..size).map(|i| ((i * 7919) % 251) as u8 ^ (i / 4096) as u8).collect();
            let mut enc = ParGzEncoder::new(Vec::new(), Compression::new(6));
            for chunk in data.chunks(100_000) {
                enc.write_all(chunk).unwrap();
            }
            let gz = enc.finish().unwrap();
            // The single-member decoder: concatenated members would stop it early.
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut back).unwrap();
            assert_eq!(back, data, "size {size}");
        }
    }
}
