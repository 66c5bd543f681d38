/*!
lzip on every core, the way plzip writes it: the input is cut into blocks of twice the
dictionary size, each block is compressed on a worker into a whole lzip member (the `LZIP`
header with the dictionary size, an LZMA stream ending with its end marker, and a trailer with
the data's CRC-32 and sizes), and the members follow one another. `lzip -d`, plzip, GNU tar
(through lzip), bsdtar and captar read them as one file. The LZMA stream is liblzma's raw LZMA1
encoder at xz's preset for the level, with lzip's fixed literal and position bits.
*/

use std::io::{self, Write};

use liblzma::stream::{Filters, LzmaOptions, Stream};

use super::blocks::{Blocks, Codec, WholeStreams};

/// The dictionary size of each of xz's presets 0 to 9, and the memory its encoder takes (xz(1)'s
/// table), which bounds the workers.
const PRESETS: [(u32, u64); 10] = [
    (256 << 10, 3 << 20),
    (1 << 20, 9 << 20),
    (2 << 20, 17 << 20),
    (4 << 20, 32 << 20),
    (4 << 20, 48 << 20),
    (8 << 20, 94 << 20),
    (8 << 20, 94 << 20),
    (16 << 20, 186 << 20),
    (32 << 20, 370 << 20),
    (64 << 20, 674 << 20),
];
/// lzip's smallest dictionary.
const MIN_DICT: u32 = 4 << 10;
/// lzip's version 1 header: magic, version; the dictionary size's byte follows.
const MAGIC: &[u8; 5] = b"LZIP\x01";

/// lzip's coding of a dictionary size that is a power of two from 4 KiB to 512 MiB: its base-2
/// logarithm (no sixteenths taken off).
fn dict_byte(dict: u32) -> u8 {
    debug_assert!(dict.is_power_of_two() && (MIN_DICT..=1 << 29).contains(&dict));
    dict.trailing_zeros() as u8
}

pub struct Lz {
    preset: u32,
}

impl Lz {
    /// One whole member holding `input`. Its dictionary is no larger than the data needs, as
    /// lzip chooses, so a small member asks the decoder for little memory.
    fn member(&self, input: &[u8]) -> io::Result<Vec<u8>> {
        let full = PRESETS[self.preset as usize].0;
        let needed = u32::try_from(input.len()).map_or(full, |n| n.max(MIN_DICT).next_power_of_two());
        let dict = full.min(needed);
        let mut options = LzmaOptions::new_preset(self.preset).map_err(io::Error::from)?;
        options.dict_size(dict).literal_context_bits(3).literal_position_bits(0).position_bits(2);
        let mut filters = Filters::new();
        filters.lzma1(&options);
        let stream = Stream::new_raw_encoder(&filters).map_err(io::Error::from)?;
        let mut out = Vec::with_capacity(input.len() / 3 + 64);
        out.extend_from_slice(MAGIC);
        out.push(dict_byte(dict));
        // LZMA1 without a known size ends with the end-of-stream marker, which lzip requires.
        let mut enc = liblzma::write::XzEncoder::new_stream(out, stream);
        enc.write_all(input)?;
        let mut out = enc.finish()?;
        out.extend_from_slice(&crc32fast::hash(input).to_le_bytes());
        out.extend_from_slice(&(input.len() as u64).to_le_bytes());
        let member_size = out.len() as u64 + 8;
        out.extend_from_slice(&member_size.to_le_bytes());
        Ok(out)
    }
}

impl Codec for Lz {
    type Done = Vec<u8>;
    fn block(&self, input: &[u8], _: &[u8]) -> io::Result<Vec<u8>> {
        self.member(input)
    }
}

/// lzip members compressed on every core.
pub type ParLzEncoder<W> = WholeStreams<W, Lz>;

/// lzip at `level` (0 to 9: xz's presets) on up to `cores` workers, fewer where their memory
/// would pass `memory` (0: no bound), as `xz -T0` limits itself.
pub fn par_lzip<W: Write>(out: W, level: u32, cores: usize, memory: u64) -> ParLzEncoder<W> {
    let preset = level.min(9);
    let (dict, encoder) = PRESETS[preset as usize];
    // plzip's default: blocks of twice the dictionary.
    let size = 2 * dict as usize;
    // A worker holds its encoder, the block it compresses and the output; the writer holds up
    // to two blocks per worker.
    let per_worker = encoder + 4 * size as u64;
    let mut workers = cores.max(1);
    while workers > 1 && memory > 0 && workers as u64 * per_worker > memory {
        workers -= 1;
    }
    WholeStreams::new(out, Blocks::with_workers(Lz { preset }, size, 0, workers))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn decompress(data: &[u8]) -> Vec<u8> {
        let stream = Stream::new_lzip_decoder(u64::MAX, liblzma::stream::CONCATENATED).unwrap();
        let mut out = Vec::new();
        liblzma::read::XzDecoder::new_stream(data, stream).read_to_end(&mut out).unwrap();
        out
    }

    /// Members of every size round-trip through liblzma's lzip decoder, each one whole: its
    /// trailer's sizes and CRC-32 are the ones lzip checks.
    #[test]
    fn members_hold_their_data_and_trailer() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8 ^ (i >> 13) as u8).collect();
        let mut enc = par_lzip(Vec::new(), 0, 2, 0);
        enc.write_all(&data).unwrap();
        let out = enc.finish().unwrap();
        assert_eq!(decompress(&out), data);
        // Preset 0: a 256 KiB dictionary, blocks of 512 KiB: six members, the last one short.
        let mut at = 0;
        let mut sizes = Vec::new();
        while at < out.len() {
            assert_eq!(&out[at..at + 5], MAGIC);
            // The trailer's last field, the member's size, ends the member.
            let mut end = at + 26;
            while u64::from_le_bytes(out[end - 8..end].try_into().unwrap()) as usize != end - at {
                end += 1;
            }
            let member_len = end - at;
            let trailer = &out[at + member_len - 20..at + member_len];
            sizes.push(u64::from_le_bytes(trailer[4..12].try_into().unwrap()));
            at += member_len;
        }
        assert_eq!(sizes, [524_288, 524_288, 524_288, 524_288, 524_288, 378_560]);
    }

    /// No data is one member of no data; a small one asks for no larger dictionary than lzip's
    /// least.
    #[test]
    fn small_data_has_a_small_dictionary() {
        let out = par_lzip(Vec::new(), 6, 1, 0).finish().unwrap();
        assert_eq!(out[5], 12);
        assert_eq!(decompress(&out), b"");
        let mut enc = par_lzip(Vec::new(), 6, 1, 0);
        enc.write_all(&[7; 100_000]).unwrap();
        let out = enc.finish().unwrap();
        assert_eq!(out[5], 17, "128 KiB: the next power of two");
        assert_eq!(decompress(&out), [7; 100_000]);
    }
}
