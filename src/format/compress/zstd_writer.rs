/*!
zstd's streaming compressor on libzstd itself (`ZSTD_compressStream2`), for the parameters the
zstd crate's encoder cannot set: libzstd 1.5.7's pre-splitting of blocks
(`ZSTD_c_blockSplitterLevel`), which captar's default setting turns off.
*/

use std::ffi::CStr;
use std::io::{self, Write};
use std::ptr::NonNull;
use std::sync::Mutex;

use crate::format::blocks::{Blocks, Codec, WholeStreams};

use zstd_sys as sys;

pub use sys::ZSTD_cParameter as Param;

/// `ZSTD_c_blockSplitterLevel` (an experimental parameter, by its number): 1 writes full 128 KiB
/// blocks, as libzstd before 1.5.7 did (and the zstd 1.5.4 that `tar -I zstd` runs here).
pub const BLOCK_SPLITTER_LEVEL: Param = Param::ZSTD_c_experimentalParam20;

/// Whether the libzstd linked in takes `BLOCK_SPLITTER_LEVEL` (1.5.7 and later): a build
/// against the system's library (zstd-sys with ZSTD_SYS_USE_PKG_CONFIG) may have an older one,
/// which refuses it (and has no pre-splitter to turn down).
pub fn has_block_splitter() -> bool {
    // SAFETY: no arguments.
    unsafe { sys::ZSTD_versionNumber() >= 10507 }
}

/// A compression context, freed when dropped (after its worker threads are done with it).
struct Context(NonNull<sys::ZSTD_CCtx>);

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: the context was made by ZSTD_createCCtx and is freed once, here.
        unsafe { sys::ZSTD_freeCCtx(self.0.as_ptr()) };
    }
}

// SAFETY: a context is used by one thread at a time (through `&mut`); its worker threads are
// libzstd's own.
unsafe impl Send for Context {}

/// libzstd's result `code`, or its error as an io::Error.
fn checked(code: usize) -> io::Result<usize> {
    // SAFETY: both take any value; the name is a static string.
    unsafe {
        match sys::ZSTD_isError(code) {
            0 => Ok(code),
            _ => Err(io::Error::other(format!(
                "zstd: {}",
                CStr::from_ptr(sys::ZSTD_getErrorName(code)).to_string_lossy()
            ))),
        }
    }
}

/// A compression context with its parameters set, for one frame at a time.
fn context(params: &[(Param, i32)]) -> io::Result<Context> {
    // SAFETY: no arguments; a null result is an allocation failure.
    let ptr = unsafe { sys::ZSTD_createCCtx() };
    let ctx = Context(NonNull::new(ptr).ok_or_else(|| io::Error::other("zstd: cannot allocate a context"))?);
    for &(param, value) in params {
        // SAFETY: a live context; libzstd checks the parameter and its value.
        checked(unsafe { sys::ZSTD_CCtx_setParameter(ctx.0.as_ptr(), param, value) })?;
    }
    Ok(ctx)
}

/// zstd on every core, the way pzstd writes it: each block of the input is a whole zstd frame
/// of its own (its size in its header, its checksum when set), and the frames follow one
/// another, which `zstd -d`, GNU tar (through it), bsdtar and captar read as one stream. Unlike
/// one frame compressed by zstd's own workers, frames can be decompressed on as many cores.
pub struct Frames {
    params: Vec<(Param, i32)>,
    /// Contexts not in use, one per worker at most: each keeps its tables between frames.
    idle: Mutex<Vec<Context>>,
}

impl Frames {
    /// Frames compressed with each parameter of `params` set, in order; an error when libzstd
    /// refuses one.
    pub fn new(params: &[(Param, i32)]) -> io::Result<Frames> {
        let first = context(params)?;
        Ok(Frames { params: params.to_vec(), idle: Mutex::new(vec![first]) })
    }
}

impl Codec for Frames {
    type Done = Vec<u8>;

    fn block(&self, input: &[u8], _: &[u8]) -> io::Result<Vec<u8>> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let ctx = match idle {
            Some(ctx) => ctx,
            None => context(&self.params)?,
        };
        // SAFETY: no pointers.
        let bound = unsafe { sys::ZSTD_compressBound(input.len()) };
        let mut out = Vec::<u8>::with_capacity(bound);
        // SAFETY: a live context used by this thread alone; `out` has `bound` bytes of room
        // (enough for any input of this size), `input` is read only. The frame's header gets
        // the input's size (ZSTD_compress2 knows it).
        let n = checked(unsafe {
            sys::ZSTD_compress2(ctx.0.as_ptr(), out.as_mut_ptr().cast(), bound, input.as_ptr().cast(), input.len())
        })?;
        // SAFETY: libzstd wrote `n` bytes, at most `bound`.
        unsafe { out.set_len(n) };
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(ctx);
        }
        Ok(out)
    }
}

/// One zstd frame around what is written, compressed by zstd's own workers (with each job
/// given the end of the one before as its history), ended by `finish`. Dropped without
/// `finish`, the frame is left unended (a truncated archive, which zstd refuses).
pub struct OneFrame<W: Write> {
    ctx: Context,
    out: W,
    /// Compressed bytes, written to `out` after each call.
    buf: Vec<u8>,
}

impl<W: Write> OneFrame<W> {
    /// A writer with each parameter of `params` set, in order.
    pub fn new(out: W, params: &[(Param, i32)]) -> io::Result<OneFrame<W>> {
        let ctx = context(params)?;
        // SAFETY: no arguments.
        let size = unsafe { sys::ZSTD_CStreamOutSize() };
        Ok(OneFrame { ctx, out, buf: vec![0; size] })
    }

    /// One call of ZSTD_compressStream2 on `input` (from its position); what it produced is
    /// written out. Returns libzstd's hint (0: all flushed, with `flush` and `end`).
    fn step(&mut self, input: &mut sys::ZSTD_inBuffer, op: sys::ZSTD_EndDirective) -> io::Result<usize> {
        let mut output = sys::ZSTD_outBuffer { dst: self.buf.as_mut_ptr().cast(), size: self.buf.len(), pos: 0 };
        // SAFETY: a live context; `output` spans `buf`, `input` what the caller lends for the call.
        let left = checked(unsafe { sys::ZSTD_compressStream2(self.ctx.0.as_ptr(), &mut output, input, op) })?;
        self.out.write_all(&self.buf[..output.pos])?;
        Ok(left)
    }

    /// Runs `op` (flush or end) with no more input until libzstd has nothing left to write.
    fn drain(&mut self, op: sys::ZSTD_EndDirective) -> io::Result<()> {
        let mut none = sys::ZSTD_inBuffer { src: std::ptr::null(), size: 0, pos: 0 };
        while self.step(&mut none, op)? != 0 {}
        Ok(())
    }

    /// Ends the frame (with its checksum, when set) and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.drain(sys::ZSTD_EndDirective::ZSTD_e_end)?;
        let OneFrame { out, .. } = self;
        Ok(out)
    }
}

impl<W: Write> Write for OneFrame<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut input = sys::ZSTD_inBuffer { src: buf.as_ptr().cast(), size: buf.len(), pos: 0 };
        // With workers, a call that cannot take input waits for a job to finish, not spins.
        while input.pos < input.size {
            self.step(&mut input, sys::ZSTD_EndDirective::ZSTD_e_continue)?;
        }
        Ok(buf.len())
    }

    /// Ends the current block, so that everything written so far can be decompressed.
    fn flush(&mut self) -> io::Result<()> {
        self.drain(sys::ZSTD_EndDirective::ZSTD_e_flush)?;
        self.out.flush()
    }
}

/// Input per frame: 8 MiB, four of level 3's 2 MiB windows (zstd's own job size at that
/// level). Frames are independent: each starts with no history, so smaller ones compress
/// worse (4 MiB frames: 0.8% larger than 8 MiB ones on the bench's /usr corpus, measured with
/// the zstd tool at the same match tables) and larger ones take more memory (one per worker
/// in flight, and one more).
pub const FRAME: usize = 8 << 20;

/// The highest level written in frames. Measured on /usr/include against `tar -I 'zstd -T0
/// -N'` (one frame): levels 4 to 7 in frames 0.983-0.997 of its size (1.004-1.016 as one
/// frame of 4 MiB jobs), level 8 1.026 (1.006), level 19 1.084 (0.973): from level 8 on, the
/// match finders that search further lose too much at each frame's start, and the archive is
/// one frame, as zstd's own workers write it.
pub const FRAMES_UP_TO_LEVEL: i32 = 7;

/// The zstd writer: frames (levels up to `FRAMES_UP_TO_LEVEL`) or one frame.
pub enum ZstdWriter<W: Write> {
    Frames(WholeStreams<W, Frames>),
    One(OneFrame<W>),
}

impl<W: Write> ZstdWriter<W> {
    /// Ends the last frame and returns the output.
    pub fn finish(self) -> io::Result<W> {
        match self {
            ZstdWriter::Frames(w) => w.finish(),
            ZstdWriter::One(w) => w.finish(),
        }
    }
}

impl<W: Write> Write for ZstdWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            ZstdWriter::Frames(w) => w.write(buf),
            ZstdWriter::One(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            ZstdWriter::Frames(w) => w.write_all(buf),
            ZstdWriter::One(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            ZstdWriter::Frames(w) => w.flush(),
            ZstdWriter::One(w) => w.flush(),
        }
    }
}

/// A zstd writer at `level` with each parameter of `params` set, in order: frames on every
/// core (`workers`), or one frame on `workers` of zstd's own.
pub fn zstd_writer<W: Write>(out: W, level: i32, params: &[(Param, i32)], workers: i32) -> io::Result<ZstdWriter<W>> {
    let mut params = [&[(Param::ZSTD_c_compressionLevel, level)][..], params].concat();
    if level > FRAMES_UP_TO_LEVEL {
        // Jobs of 4 MiB instead of zstd's 4 windows (32 MiB at level 19): its buffers take
        // less memory for a size 0.5% larger (measured at level 3, when it wrote every level).
        params.extend([(Param::ZSTD_c_nbWorkers, workers), (Param::ZSTD_c_jobSize, 4 << 20)]);
        return OneFrame::new(out, &params).map(ZstdWriter::One);
    }
    // One frame waiting per worker beyond the one each compresses: two took 85-90 MiB of peak
    // RSS on the bench's corpus against 75-80 (their speed was not compared alternated).
    let blocks = Blocks::with_workers(Frames::new(&params)?, FRAME, 0, workers.max(1) as usize);
    let n = blocks.workers();
    Ok(ZstdWriter::Frames(WholeStreams::new(out, blocks.in_flight(n + 1))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample(len: usize) -> Vec<u8> {
        // Text-like and repetitive at several distances.
        (0..len as u32).map(|i| b"capability "[(i % 11) as usize] ^ ((i / 4099) % 7) as u8).collect()
    }

    fn decoded(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        zstd::stream::read::Decoder::new(bytes).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    /// The content size in each frame's header, frame by frame.
    fn frame_sizes(mut bytes: &[u8]) -> Vec<u64> {
        let mut sizes = Vec::new();
        while !bytes.is_empty() {
            // SAFETY: `bytes` is a live slice.
            let (len, size) = unsafe {
                let p = bytes.as_ptr().cast();
                (sys::ZSTD_findFrameCompressedSize(p, bytes.len()), sys::ZSTD_getFrameContentSize(p, bytes.len()))
            };
            assert_eq!(unsafe { sys::ZSTD_isError(len) }, 0, "a whole frame");
            sizes.push(size);
            bytes = &bytes[len..];
        }
        sizes
    }

    /// Every length around the frames' edges comes back whole through a multi-frame reader, in
    /// one frame per `FRAME` bytes, each with its size in its header (an empty input: one
    /// empty frame, as zstd writes for an empty file).
    #[test]
    fn one_frame_per_block_each_with_its_size() {
        let data = sample(2 * FRAME + 12_345);
        let params = [(Param::ZSTD_c_checksumFlag, 1)];
        for len in [0, 1, 1000, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME + 12_345] {
            let mut w = zstd_writer(Vec::new(), 1, &params, 2).unwrap();
            for chunk in data[..len].chunks(1 << 20) {
                w.write_all(chunk).unwrap();
            }
            let bytes = w.finish().unwrap();
            assert!(decoded(&bytes) == data[..len], "length {len}");
            let mut want: Vec<u64> = data[..len].chunks(FRAME).map(|c| c.len() as u64).collect();
            if want.is_empty() {
                want.push(0);
            }
            assert_eq!(frame_sizes(&bytes), want, "length {len}");
        }
    }

    /// Above `FRAMES_UP_TO_LEVEL`, one frame (compressed by zstd's workers), written whole
    /// and flushed on the way.
    #[test]
    fn higher_levels_write_one_frame() {
        let data = sample(FRAME + 5000);
        for (level, frames) in [(FRAMES_UP_TO_LEVEL, 2), (FRAMES_UP_TO_LEVEL + 1, 1)] {
            let mut w = zstd_writer(Vec::new(), level, &[], 2).unwrap();
            w.write_all(&data[..1000]).unwrap();
            w.flush().unwrap();
            w.write_all(&data[1000..]).unwrap();
            let bytes = w.finish().unwrap();
            assert!(decoded(&bytes) == data, "level {level}");
            assert_eq!(frame_sizes(&bytes).len(), frames, "level {level}");
        }
    }

    #[test]
    fn a_bad_parameter_is_an_error_naming_zstd() {
        for level in [3, 19] {
            let e = zstd_writer(Vec::new(), level, &[(Param::ZSTD_c_windowLog, 99)], 2).err().unwrap();
            assert!(e.to_string().starts_with("zstd: "), "{e}");
        }
    }

    #[test]
    fn the_block_splitter_level_is_a_parameter_libzstd_takes() {
        let data = sample(3_000_000);
        let with = |level: i32| {
            let params = [(Param::ZSTD_c_compressionLevel, 3), (BLOCK_SPLITTER_LEVEL, level)];
            Frames::new(&params).unwrap().block(&data, &[]).unwrap()
        };
        // 1 (full blocks) and 6 (libzstd's finest split) give different frames, each whole.
        let (full, split) = (with(1), with(6));
        assert_ne!(full, split);
        assert_eq!((decoded(&full), decoded(&split)), (data.clone(), data));
        assert!(Frames::new(&[(BLOCK_SPLITTER_LEVEL, 7)]).is_err(), "levels end at 6");
    }
}
