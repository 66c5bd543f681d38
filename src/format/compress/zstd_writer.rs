/*!
zstd's streaming compressor on libzstd itself (`ZSTD_compressStream2`), for the parameters the
zstd crate's encoder cannot set: libzstd 1.5.7's pre-splitting of blocks
(`ZSTD_c_blockSplitterLevel`), which captar's default setting turns off.
*/

use std::ffi::CStr;
use std::io::{self, Write};
use std::ptr::NonNull;

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

/// A compressing writer: one zstd frame around what is written, ended by `finish`. Dropped
/// without `finish`, the frame is left unended (a truncated archive, which zstd refuses).
pub struct ZstdWriter<W: Write> {
    ctx: Context,
    out: W,
    /// Compressed bytes, written to `out` after each call.
    buf: Vec<u8>,
}

impl<W: Write> ZstdWriter<W> {
    /// A writer with each parameter of `params` set, in order.
    pub fn new(out: W, params: &[(Param, i32)]) -> io::Result<ZstdWriter<W>> {
        // SAFETY: no arguments; a null result is an allocation failure.
        let ptr = unsafe { sys::ZSTD_createCCtx() };
        let ctx = Context(NonNull::new(ptr).ok_or_else(|| io::Error::other("zstd: cannot allocate a context"))?);
        for &(param, value) in params {
            // SAFETY: a live context; libzstd checks the parameter and its value.
            checked(unsafe { sys::ZSTD_CCtx_setParameter(ctx.0.as_ptr(), param, value) })?;
        }
        // SAFETY: no arguments.
        let size = unsafe { sys::ZSTD_CStreamOutSize() };
        Ok(ZstdWriter { ctx, out, buf: vec![0; size] })
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
        let ZstdWriter { out, .. } = self;
        Ok(out)
    }
}

impl<W: Write> Write for ZstdWriter<W> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample() -> Vec<u8> {
        // Text-like and repetitive at several distances, 3 MB: several blocks and jobs.
        (0..3_000_000u32).map(|i| b"capability "[(i % 11) as usize] ^ ((i / 4099) % 7) as u8).collect()
    }

    fn decoded(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        zstd::stream::read::Decoder::new(bytes).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn frames_decompress_to_what_was_written_flushed_or_not() {
        let data = sample();
        for workers in [0, 2] {
            let params = [(Param::ZSTD_c_compressionLevel, 3), (Param::ZSTD_c_nbWorkers, workers)];
            let mut w = ZstdWriter::new(Vec::new(), &params).unwrap();
            w.write_all(&data[..1000]).unwrap();
            w.flush().unwrap();
            // What was flushed decompresses on its own (a frame not yet ended).
            let mut part = Vec::new();
            let mut dec = zstd::stream::read::Decoder::new(&w.out[..]).unwrap();
            let _ = dec.read_to_end(&mut part);
            assert_eq!(part, data[..1000], "{workers} workers");
            w.write_all(&data[1000..]).unwrap();
            let bytes = w.finish().unwrap();
            assert_eq!(decoded(&bytes), data, "{workers} workers");
        }
    }

    #[test]
    fn a_bad_parameter_is_an_error_naming_zstd() {
        let e = ZstdWriter::new(Vec::new(), &[(Param::ZSTD_c_windowLog, 99)]).err().unwrap();
        assert!(e.to_string().starts_with("zstd: "), "{e}");
    }

    #[test]
    fn the_block_splitter_level_is_a_parameter_libzstd_takes() {
        let data = sample();
        let with = |level: i32| {
            let params = [(Param::ZSTD_c_compressionLevel, 3), (BLOCK_SPLITTER_LEVEL, level)];
            let mut w = ZstdWriter::new(Vec::new(), &params).unwrap();
            w.write_all(&data).unwrap();
            w.finish().unwrap()
        };
        // 1 (full blocks) and 6 (libzstd's finest split) give different frames, each whole.
        let (full, split) = (with(1), with(6));
        assert_ne!(full, split);
        assert_eq!((decoded(&full), decoded(&split)), (data.clone(), data));
        assert!(ZstdWriter::new(Vec::new(), &[(BLOCK_SPLITTER_LEVEL, 7)]).is_err(), "levels end at 6");
    }
}
