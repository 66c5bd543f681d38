/*!
Compression: detected from the first bytes of the input (never the name) when reading, chosen by
flag or archive name when writing. zstd, xz, gzip, bzip2 and lzip compress on all cores (gzip
output is one standard stream, bzip2 one stream per block as pbzip2 writes, lzip one member per
block as plzip writes); lzma on one core.

`detect` tells the compression from an input's first bytes or an archive's name; `source` is what
the reader reads (`Source`: a plain archive file it seeks in, or a stream), opened by `decoder`;
`decode` puts the decompressor the first bytes call for around a stream; `encode` is the
compressing writer for create, with the parallel encoders of gzip, bzip2 and lzip in `pgzip`,
`blocks` and `plzip` beside this module.
*/

mod decode;
mod detect;
mod encode;
mod source;
// libzstd's C API: the zstd crate does not reach ZSTD_c_blockSplitterLevel.
#[allow(unsafe_code)]
mod zstd_writer;
// libzstd's C API: frames decompressed whole, on worker threads.
#[allow(unsafe_code)]
mod zstd_frames;

pub use detect::Compression;
pub use encode::{Encoder, LzmaEncoder};
pub use source::{
    Origin, Replay, Source, decoder, decoder_counted, ends_inside, skipped_before_end, stream_cut, trailing_data,
};

/// The cores this process may run on.
fn cores() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(u32::MAX as usize) as u32
}

/// A quarter of the RAM (0 when the kernel does not say): what xz's threads may take.
fn quarter_of_ram() -> u64 {
    let info = rustix::system::sysinfo();
    (info.totalram as u64).saturating_mul(u64::from(info.mem_unit.max(1))) / 4
}
