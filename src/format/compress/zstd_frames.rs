/*!
zstd decompressed on several cores where the stream allows it: a stream of frames of at most
`MAX_CONTENT` each (captar's and `zstd`'s on a file of known size, which give their size in
their header; pzstd's, which do not, but whose blocks say how much they can hold at most) is
cut into its frames by their block headers alone, passing over skippable frames of up to
`SKIPPABLE_MAX` (pzstd writes one before each frame), and each frame is decompressed whole on a
worker thread, into a buffer of its size; the frames' data comes out in order. From the first
frame that does not qualify (a larger one, a longer skippable frame, a dictionary, a window over
zstd's limit, anything that is not a whole frame, or the input's end inside one) the rest of
the stream goes to zstd's streaming decoder
on the reader's thread (on a thread of its own, a megabyte ahead, verify took 1.13 of `zstd
-dc`'s time on GNU tar's archive of the bench's corpus, against 1.10 this way: 10 rounds), as
every stream did before: its output and its errors are the same. A frame that fails on a worker
is decoded again the streaming way, so what comes out before its error, and the error, are the
streaming decoder's too; except a frame whose content fails its checksum, none of which comes
out (the streaming decoder gives all of it, then the error).
*/

use std::collections::VecDeque;
use std::ffi::CStr;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use zstd::stream::raw::{self, InBuffer, Operation, OutBuffer};
use zstd_sys as sys;

use super::source::Source;

type Input = BufReader<Box<dyn Read + Send>>;
type Chained = BufReader<io::Chain<Cursor<Vec<u8>>, Input>>;

/// zstd's streaming decoder, one frame at a time: after each, what follows is another frame,
/// zero padding to the end (as after gzip, `dd conv=sync`), or data after the stream, which is
/// said as such (`TrailingData`): the frames before it passed their checks. What libzstd does not
/// take for a frame's start ("Unknown frame descriptor") after a whole frame is such data.
/// (libzstd's own next frame took it for a damaged one, and capabilities restored from the
/// sound frames were taken back; found by audit.) One libzstd context serves every frame, reset
/// between them (a new one per frame cost 7.5 µs: 40,000 frames of 512 bytes after a large
/// one, 0.53 s to list against 0.06 s).
struct Streaming {
    /// The context, made at the first frame.
    context: Option<raw::Decoder<'static>>,
    /// Whether a frame is being read.
    in_frame: bool,
    /// Whether the frame being read has given data, or is the stream's first: an error then is
    /// damage in it, not data after the frames.
    given: bool,
    input: Chained,
}

impl Streaming {
    /// What follows in `input`: the stream's first frame, or what comes `after_frames` the
    /// workers took.
    fn new(input: Chained, after_frames: bool) -> Streaming {
        Streaming { context: None, in_frame: false, given: !after_frames, input }
    }

    fn trailing() -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            super::source::TrailingData("data after the last zstd frame is neither zstd nor zero padding".into()),
        )
    }

    /// Decodes the frame being read into `out`, as far as the input allows: the bytes given
    /// (none when the frame ended without more).
    fn frame(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let context = match &mut self.context {
            Some(context) => context,
            none => none.insert(raw::Decoder::new()?),
        };
        // As libzstd's reader does, so that what comes out before an error is the same: first
        // what the context holds of the frame's data, then with input.
        let mut first = true;
        loop {
            let input = if first { &[][..] } else { self.input.fill_buf()? };
            if !first && input.is_empty() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "incomplete frame"));
            }
            first = false;
            let mut src = InBuffer::around(input);
            let mut dst = OutBuffer::around(&mut *out);
            let left = match context.run(&mut src, &mut dst) {
                Err(e) if !self.given && e.to_string().contains("Unknown frame descriptor") => {
                    return Err(Streaming::trailing());
                }
                other => other?,
            };
            let (read, given) = (src.pos(), dst.pos());
            self.input.consume(read);
            self.given |= given > 0;
            if left == 0 {
                // The next frame's errors are its own.
                self.in_frame = false;
                self.given = false;
                context.reinit()?;
            }
            if given > 0 || !self.in_frame {
                return Ok(given);
            }
        }
    }
}

impl Read for Streaming {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_frame {
                let n = self.frame(out)?;
                if n > 0 {
                    return Ok(n);
                }
                continue;
            }
            let head = self.input.fill_buf()?;
            let Some(&first) = head.first() else { return Ok(0) };
            if first != 0 {
                // A frame, if libzstd takes it for one (a skippable frame too).
                self.in_frame = true;
                continue;
            }
            loop {
                let rest = self.input.fill_buf()?;
                if rest.is_empty() {
                    return Ok(0);
                }
                if rest.iter().any(|&b| b != 0) {
                    return Err(Streaming::trailing());
                }
                let n = rest.len();
                self.input.consume(n);
            }
        }
    }
}

/// A frame whose content fails its checksum (libzstd's `checksum_wrong`), in libzstd's words.
#[derive(Debug)]
struct ChecksumWrong(String);

impl std::fmt::Display for ChecksumWrong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChecksumWrong {}

/// A zstd frame's magic number, little-endian at its start.
const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// A skippable frame's magic number (its first byte 0x50 to 0x5f), then its length (4 bytes).
const SKIPPABLE_MAGIC: [u8; 3] = [0x2a, 0x4d, 0x18];
/// The largest skippable frame passed over here (pzstd's are 4 bytes long); a longer one, up to
/// 4 GiB, is the streaming decoder's to read through.
const SKIPPABLE_MAX: usize = 1 << 20;
/// The largest frame (its content) decompressed whole on a worker.
pub const MAX_CONTENT: u64 = 16 << 20;
/// At most this much frame content in flight (decompressing or done and waiting), beyond one
/// frame: the memory the workers' output takes. (32 MiB put extraction over 100 MiB of RSS;
/// 24 MiB is as fast: see the README.)
const IN_FLIGHT: u64 = 24 << 20;
/// zstd's largest window for readers not told otherwise (`--long`).
const WINDOW_MAX: u64 = 1 << 27;
/// zstd's largest block.
const BLOCK_MAX: usize = 128 << 10;
/// The reader's buffer, as for the other decoders.
const READ_BUFFER: usize = 256 << 10;

/// A decompression context, freed when dropped.
struct Dctx(NonNull<sys::ZSTD_DCtx>);

impl Drop for Dctx {
    fn drop(&mut self) {
        // SAFETY: made by ZSTD_createDCtx, freed once, here.
        unsafe { sys::ZSTD_freeDCtx(self.0.as_ptr()) };
    }
}

// SAFETY: a context is used by the one thread that owns it.
unsafe impl Send for Dctx {}

impl Dctx {
    fn new() -> io::Result<Dctx> {
        // SAFETY: no arguments; a null result is an allocation failure.
        NonNull::new(unsafe { sys::ZSTD_createDCtx() })
            .map(Dctx)
            .ok_or_else(|| io::Error::other("zstd: cannot allocate a decompression context"))
    }

    /// `frame`, one whole frame whose header says it holds `size` bytes (when `exact`; else
    /// at most `size`), decompressed into `out` (its earlier contents dropped; its allocation
    /// kept).
    fn frame(&mut self, frame: &[u8], size: usize, exact: bool, mut out: Vec<u8>) -> io::Result<Vec<u8>> {
        out.clear();
        out.reserve_exact(size);
        // SAFETY: a live context owned by this thread; `out` has room for `size` bytes, which
        // libzstd writes no more than; `frame` is read only. libzstd checks the frame's
        // content checksum and that its content is the size its header says.
        let n = unsafe {
            sys::ZSTD_decompressDCtx(self.0.as_ptr(), out.as_mut_ptr().cast(), size, frame.as_ptr().cast(), frame.len())
        };
        // SAFETY: both take any value; the name is a static string.
        if unsafe { sys::ZSTD_isError(n) } != 0 {
            let name = unsafe { CStr::from_ptr(sys::ZSTD_getErrorName(n)) }.to_string_lossy().into_owned();
            // SAFETY: takes any value.
            return Err(match unsafe { sys::ZSTD_getErrorCode(n) } {
                sys::ZSTD_ErrorCode::ZSTD_error_checksum_wrong => {
                    io::Error::new(io::ErrorKind::InvalidData, ChecksumWrong(name))
                }
                _ => io::Error::new(io::ErrorKind::InvalidData, name),
            });
        }
        if exact && n != size {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "a zstd frame is not the size its header says"));
        }
        // SAFETY: libzstd wrote `n` bytes.
        unsafe { out.set_len(n) };
        Ok(out)
    }
}

struct Job {
    frame: Vec<u8>,
    /// The frame's content size, or the most it can hold when not `exact`.
    size: usize,
    exact: bool,
    out: Vec<u8>,
    reply: mpsc::SyncSender<Done>,
}

/// A frame's data, or its error; the frame's bytes come back (for the streaming decoder after
/// an error, or to be reused).
struct Done {
    frame: Vec<u8>,
    out: io::Result<Vec<u8>>,
}

fn work(dctx: &mut io::Result<Dctx>, job: Job) -> Done {
    let out = match dctx {
        Ok(dctx) => dctx.frame(&job.frame, job.size, job.exact, job.out),
        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
    };
    Done { frame: job.frame, out }
}

/// A frame at the start of `Decoder::head`: its length there, and its content's size (`exact`:
/// from its header) or the most its blocks can hold.
struct Found {
    len: usize,
    size: u64,
    exact: bool,
}

/// Where the stream stands beyond the frames in flight.
enum Next {
    /// Frames may follow.
    Frames,
    /// The input ended after a whole frame.
    End,
    /// What follows is the streaming decoder's (in `Decoder::head` and on).
    Stream,
    /// Reading the input failed: the error, once the frames before are out.
    Failed(io::Error),
}

/// The decoder: a `Source` reading zstd frames from `input`.
pub struct Decoder {
    input: Option<Input>,
    /// Bytes taken from `input` and not yet sent in a frame.
    head: Vec<u8>,
    next: Next,
    jobs: Option<mpsc::Sender<Job>>,
    workers: Vec<thread::JoinHandle<()>>,
    /// With no worker (none could start): frames are decompressed here.
    inline: Option<io::Result<Dctx>>,
    pending: VecDeque<(u64, mpsc::Receiver<Done>)>,
    in_flight: u64,
    max_pending: usize,
    /// The frame whose data is being given out, and how far.
    cur: Vec<u8>,
    pos: usize,
    /// Output buffers to reuse (no fresh pages to fault in per frame).
    spare: Vec<Vec<u8>>,
    /// Frames' buffers to reuse, for the input.
    spare_frames: Vec<Vec<u8>>,
    /// The streaming decoder, once it has the rest (or a frame that failed on a worker).
    stream: Option<Streaming>,
    /// A worker's error, when the streaming decoder found the same frame whole.
    after_stream: Option<io::Error>,
    /// Whether a frame came out whole from the workers: what the streaming decoder then finds
    /// that is no frame is data after the stream (`Streaming`).
    frames_given: bool,
    /// Frames the workers decompressed (for the tests: which way a stream went).
    #[cfg(test)]
    on_workers: usize,
}

impl Decoder {
    /// A decoder on up to `workers` threads.
    pub fn new(input: Input, workers: usize) -> Decoder {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let workers: Vec<_> = (0..workers.max(1))
            .map_while(|_| {
                let rx = rx.clone();
                thread::Builder::new()
                    .name("zstd-decode".into())
                    .spawn(move || {
                        let mut dctx = Dctx::new();
                        loop {
                            let job = match rx.lock() {
                                Ok(guard) => guard.recv(),
                                Err(_) => return,
                            };
                            let Ok(job) = job else { return };
                            let reply = job.reply.clone();
                            let _ = reply.send(work(&mut dctx, job));
                        }
                    })
                    .ok()
            })
            .collect();
        let inline = workers.is_empty().then(Dctx::new);
        let max_pending = 2 * workers.len().max(1);
        Decoder {
            input: Some(input),
            head: Vec::new(),
            next: Next::Frames,
            jobs: Some(tx),
            workers,
            inline,
            pending: VecDeque::new(),
            in_flight: 0,
            max_pending,
            cur: Vec::new(),
            pos: 0,
            spare: Vec::new(),
            spare_frames: Vec::new(),
            stream: None,
            after_stream: None,
            frames_given: false,
            #[cfg(test)]
            on_workers: 0,
        }
    }

    /// Reads from the input until `head` holds `n` bytes; false if it ends first.
    fn fill(&mut self, n: usize) -> io::Result<bool> {
        let Some(input) = self.input.as_mut() else { return Ok(false) };
        while self.head.len() < n {
            let buf = input.fill_buf()?;
            if buf.is_empty() {
                return Ok(false);
            }
            let len = buf.len();
            self.head.extend_from_slice(buf);
            input.consume(len);
        }
        Ok(true)
    }

    /// The next frame, if it is one for a worker, past any small skippable frames before it.
    /// `None` sets `next` to what follows instead.
    fn frame(&mut self) -> io::Result<Option<Found>> {
        loop {
            if !self.fill(1)? {
                self.next = if self.head.is_empty() { Next::End } else { Next::Stream };
                return Ok(None);
            }
            match self.skippable()? {
                Some(len) => drop(self.head.drain(..len)),
                None => break,
            }
        }
        let found = self.measure()?;
        if found.is_none() {
            self.next = Next::Stream;
        }
        Ok(found)
    }

    /// The length of the skippable frame at the start of `head`, when it is one and whole and
    /// at most `SKIPPABLE_MAX` long.
    fn skippable(&mut self) -> io::Result<Option<usize>> {
        if self.head[0] & 0xf0 != 0x50 || !self.fill(8)? || self.head[1..4] != SKIPPABLE_MAGIC {
            return Ok(None);
        }
        let len = 8 + u32::from_le_bytes([self.head[4], self.head[5], self.head[6], self.head[7]]) as usize;
        Ok((len <= SKIPPABLE_MAX && self.fill(len)?).then_some(len))
    }

    /// Walks the frame at the start of `head` by its header and block headers, reading as far
    /// as needed; `None` if it is not one for a worker.
    fn measure(&mut self) -> io::Result<Option<Found>> {
        if !self.fill(6)? || self.head[..4] != MAGIC {
            return Ok(None);
        }
        let descriptor = self.head[4];
        let single_segment = descriptor & 0x20 != 0;
        let (reserved, checksum, dictionary) = (descriptor & 0x08 != 0, descriptor & 0x04 != 0, descriptor & 0x03);
        let size_len = match descriptor >> 6 {
            0 => usize::from(single_segment),
            1 => 2,
            2 => 4,
            _ => 8,
        };
        if reserved || dictionary != 0 {
            return Ok(None);
        }
        // A window over zstd's limit for readers (128 MiB) is the streaming decoder's to refuse,
        // as it did every such stream (decompressed whole, a frame needs no window). Without a
        // single segment a frame has no size of its own (the size field is then its size).
        let mut window = u64::MAX;
        if !single_segment {
            let (exponent, mantissa) = (u64::from(self.head[5] >> 3), u64::from(self.head[5] & 7));
            let base = 1u64 << (10 + exponent);
            window = base + base / 8 * mantissa;
            if window > WINDOW_MAX {
                return Ok(None);
            }
        }
        let at = 5 + usize::from(!single_segment);
        let header_len = at + size_len;
        if !self.fill(header_len)? {
            return Ok(None);
        }
        let mut field = [0u8; 8];
        field[..size_len].copy_from_slice(&self.head[at..header_len]);
        let size = match size_len {
            0 => None,
            2 => Some(u64::from_le_bytes(field) + 256),
            _ => Some(u64::from_le_bytes(field)),
        };
        // A single segment's window is its content.
        if single_segment {
            window = size.unwrap_or(0);
        }
        let limit = size.unwrap_or(MAX_CONTENT);
        if limit > MAX_CONTENT {
            return Ok(None);
        }
        // No frame of this content is longer than this (raw blocks and their headers).
        // SAFETY: no pointers.
        let bound = header_len + unsafe { sys::ZSTD_compressBound(limit as usize) } + 4;
        // No block is larger than 128 KiB or the window, the smaller, compressed or not: the
        // streaming decoder refuses one that is, where libzstd's one-shot decoder on a worker
        // takes a raw or RLE one (found by review), so such a frame goes the streaming way.
        // Without a size in the header, that is also the most a compressed block holds (as
        // `ZSTD_decompressBound` counts), a raw or RLE block holding its length.
        let most_per_block = (BLOCK_MAX as u64).min(window);
        let mut most = 0u64;
        let mut end = header_len;
        loop {
            if !self.fill(end + 3)? {
                return Ok(None);
            }
            let h =
                u32::from(self.head[end]) | u32::from(self.head[end + 1]) << 8 | u32::from(self.head[end + 2]) << 16;
            let (last, kind, len) = (h & 1 != 0, (h >> 1) & 3, (h >> 3) as usize);
            if kind == 3 || len as u64 > most_per_block {
                return Ok(None);
            }
            end += 3 + if kind == 1 { 1 } else { len };
            most += if kind == 2 { most_per_block } else { len as u64 };
            if end > bound || (size.is_none() && most > MAX_CONTENT) {
                return Ok(None);
            }
            if last {
                break;
            }
        }
        end += if checksum { 4 } else { 0 };
        let found = match size {
            Some(size) => Found { len: end, size, exact: true },
            None => Found { len: end, size: most, exact: false },
        };
        Ok(self.fill(end)?.then_some(found))
    }

    /// Sends frames to the workers while there is room.
    fn top_up(&mut self) {
        while matches!(self.next, Next::Frames)
            && self.pending.len() < self.max_pending
            && (self.pending.is_empty() || self.in_flight < IN_FLIGHT)
        {
            let Found { len, size, exact } = match self.frame() {
                Ok(Some(found)) => found,
                Ok(None) => return,
                Err(e) => {
                    self.next = Next::Failed(e);
                    return;
                }
            };
            // The bytes after the frame start the next buffer; the frame keeps this one.
            let mut rest = self.spare_frames.pop().unwrap_or_default();
            rest.clear();
            rest.extend_from_slice(&self.head[len..]);
            self.head.truncate(len);
            let frame = std::mem::replace(&mut self.head, rest);
            self.submit(frame, size, exact);
        }
    }

    fn submit(&mut self, frame: Vec<u8>, size: u64, exact: bool) {
        let (reply, result) = mpsc::sync_channel(1);
        let out = self.spare.pop().unwrap_or_default();
        let job = Job { frame, size: size as usize, exact, out, reply };
        match (self.jobs.as_ref(), self.inline.as_mut()) {
            (_, Some(dctx)) => drop(job.reply.clone().send(work(dctx, job))),
            (Some(jobs), None) => {
                if let Err(mpsc::SendError(job)) = jobs.send(job) {
                    // No worker left to take it (cannot happen while the decoder lives).
                    let reply = job.reply.clone();
                    let _ = reply.send(Done { frame: job.frame, out: Err(io::Error::other("a zstd worker ended")) });
                }
            }
            (None, None) => return,
        }
        self.in_flight += size;
        self.pending.push_back((size, result));
    }

    /// The next frame's data into `cur`; false at the end of the frames (the streaming decoder
    /// may have the rest).
    fn advance(&mut self) -> io::Result<bool> {
        self.top_up();
        let Some((size, result)) = self.pending.pop_front() else {
            return match std::mem::replace(&mut self.next, Next::End) {
                Next::Failed(e) => Err(e),
                Next::Stream => {
                    let head = std::mem::take(&mut self.head);
                    let Some(input) = self.input.take() else { return Ok(false) };
                    let chained = BufReader::with_capacity(READ_BUFFER, Cursor::new(head).chain(input));
                    self.stream = Some(Streaming::new(chained, self.frames_given));
                    Ok(false)
                }
                Next::End | Next::Frames => Ok(false),
            };
        };
        self.in_flight -= size;
        let done = result
            .recv()
            .unwrap_or_else(|_| Done { frame: Vec::new(), out: Err(io::Error::other("a zstd worker ended")) });
        match done.out {
            Ok(out) => {
                self.frames_given = true;
                #[cfg(test)]
                {
                    self.on_workers += 1;
                }
                let used = std::mem::replace(&mut self.cur, out);
                if self.spare.len() < self.max_pending {
                    self.spare.push(used);
                }
                if self.spare_frames.len() < self.max_pending {
                    self.spare_frames.push(done.frame);
                }
                self.pos = 0;
                self.top_up();
                Ok(true)
            }
            Err(e) => {
                self.pending.clear();
                self.next = Next::End;
                self.input = None;
                // A frame whose content fails its checksum: none of it can be trusted, and the
                // streaming decoder would give all of it, only then its error (found by audit:
                // a capability changed by one flipped byte was restored, 40 capabilities for
                // one). Nothing of it is given: the member it begins in is cut there.
                if e.get_ref().is_some_and(|i| i.is::<ChecksumWrong>()) {
                    return Err(e);
                }
                // Else the frame again, the streaming way: its data up to the damage (blocks
                // decoded whole, each before it is given), then its error.
                let empty: Input = BufReader::new(Box::new(io::empty()));
                let chained = BufReader::with_capacity(READ_BUFFER, Cursor::new(done.frame).chain(empty));
                self.stream = Some(Streaming::new(chained, false));
                self.after_stream = Some(e);
                Ok(false)
            }
        }
    }

    /// Reads from the streaming decoder, once it has taken over.
    fn read_stream(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let Some(stream) = self.stream.as_mut() else { return Ok(0) };
        let n = stream.read(out)?;
        if n == 0 && !out.is_empty() {
            self.stream = None;
            if let Some(e) = self.after_stream.take() {
                return Err(e);
            }
        }
        Ok(n)
    }
}

impl Read for Decoder {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.cur.len() {
                let n = out.len().min(self.cur.len() - self.pos);
                out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.stream.is_some() || out.is_empty() {
                return self.read_stream(out);
            }
            if !self.advance()? && self.stream.is_none() {
                return Ok(0);
            }
        }
    }
}

impl Decoder {
    /// Skips what is left of `n` bytes, counting them down; fewer at the end of the input.
    fn skip_some(&mut self, n: &mut u64) -> io::Result<()> {
        while *n > 0 {
            let here = (self.cur.len() - self.pos) as u64;
            if here > 0 {
                let step = here.min(*n);
                self.pos += step as usize;
                *n -= step;
            } else if self.stream.is_some() {
                let mut sink = [0u8; 8192];
                let got = self.read_stream(&mut sink[..(*n).min(8192) as usize])?;
                if got == 0 {
                    break;
                }
                *n -= got as u64;
            } else if !self.advance()? && self.stream.is_none() {
                break;
            }
        }
        Ok(())
    }
}

impl Source for Decoder {
    fn skip(&mut self, wanted: u64) -> io::Result<()> {
        let mut n = wanted;
        self.skip_some(&mut n).map_err(|e| super::source::cut_inside(e, wanted - n))?;
        if n > 0 {
            return Err(super::ends_inside(wanted - n));
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        loop {
            self.pos = self.cur.len();
            if self.stream.is_some() {
                return io::copy(self, &mut io::sink()).map(drop);
            }
            if !self.advance()? && self.stream.is_none() {
                return Ok(());
            }
        }
    }

    fn decompresses(&self) -> bool {
        true
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        self.jobs = None;
        self.pending.clear();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sample(len: usize, seed: u32) -> Vec<u8> {
        (0..len as u32).map(|i| b"capability "[(i % 11) as usize] ^ ((i / 4099 + seed) % 7) as u8).collect()
    }

    /// One frame with its size in its header and a checksum.
    fn sized(data: &[u8]) -> Vec<u8> {
        let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
        enc.include_checksum(true).unwrap();
        enc.set_pledged_src_size(Some(data.len() as u64)).unwrap();
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    /// One frame without its size (the streaming encoder, told nothing), with a checksum.
    fn sizeless(data: &[u8]) -> Vec<u8> {
        let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
        enc.include_checksum(true).unwrap();
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    /// A skippable frame of 5 bytes.
    const SKIPPABLE: [u8; 13] = [0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 1, 2, 3, 4, 5];

    /// A skippable frame of `len` bytes, magic 0x184d2a5f.
    fn skippable(len: usize) -> Vec<u8> {
        [&[0x5f, 0x2a, 0x4d, 0x18][..], &(len as u32).to_le_bytes(), &vec![7; len]].concat()
    }

    /// pzstd's layout: each frame, without its size, after a skippable frame giving its length.
    fn pzstd(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for part in parts {
            let frame = sizeless(part);
            out.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0]);
            out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            out.extend_from_slice(&frame);
        }
        out
    }

    /// Everything a reader gets, in reads of `chunk` bytes, and the error it ends with.
    fn drain(mut r: impl Read, chunk: usize) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }

    fn decoder(bytes: &[u8], workers: usize) -> Decoder {
        let input: Box<dyn Read + Send> = Box::new(Cursor::new(bytes.to_vec()));
        Decoder::new(BufReader::with_capacity(4096, input), workers)
    }

    /// The streaming decoder's output and error for the same bytes: what the frames' decoder
    /// must give, whichever way it takes.
    fn streaming(bytes: &[u8], chunk: usize) -> (Vec<u8>, Option<String>) {
        let input: Input = BufReader::new(Box::new(Cursor::new(bytes.to_vec())));
        drain(Streaming::new(BufReader::new(Cursor::new(Vec::new()).chain(input)), false), chunk)
    }

    /// The streaming decoder, a frame at a time, gives what libzstd's own gives, data and
    /// error, but after the frames: zero padding ends the stream, and other bytes are data after
    /// it, not a frame that fails ("Unknown frame descriptor").
    #[test]
    fn the_streaming_decoder_is_libzstds_but_after_the_frames() {
        for (what, bytes) in cases() {
            let ours = streaming(&bytes, 1 << 16);
            let libzstd = drain(zstd::stream::read::Decoder::new(&bytes[..]).unwrap(), 1 << 16);
            match what {
                "garbage after the frames" | "text after the frames" => {
                    assert_eq!(ours.0, libzstd.0, "{what}");
                    assert_eq!(
                        ours.1.as_deref(),
                        Some("data after the last zstd frame is neither zstd nor zero padding")
                    );
                }
                "zeros after the frames" => assert_eq!(ours, (libzstd.0, None), "{what}"),
                _ => assert_eq!(ours, libzstd, "{what}"),
            }
        }
    }

    /// The length of the first frame's data in every case.
    const FIRST: usize = 300_000;

    fn cases() -> Vec<(&'static str, Vec<u8>)> {
        let (a, b, c) = (sample(FIRST, 1), sample(1 << 20, 2), sample(70_000, 3));
        let frames = [sized(&a), sized(&b), sized(&c)].concat();
        let mut flipped = frames.clone();
        let middle = sized(&a).len() + sized(&b).len() / 2;
        flipped[middle] ^= 0x55;
        let mut bad_checksum = frames.clone();
        let end = sized(&a).len() + sized(&b).len();
        bad_checksum[end - 2] ^= 1;
        let big = sample(MAX_CONTENT as usize + 1, 4);
        // A frame whose header asks for a 256 MiB window: its 1 KiB window, descriptor changed.
        let mut wide = {
            let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
            enc.set_pledged_src_size(Some(c.len() as u64)).unwrap();
            enc.window_log(10).unwrap();
            enc.write_all(&c).unwrap();
            enc.finish().unwrap()
        };
        assert_eq!((wide[4] & 0x20, wide[5]), (0, 0), "a window descriptor of 1 KiB");
        wide[5] = 18 << 3;
        let zeros = vec![0u8; 700_000];
        // A frame without its size, a 1 KiB window, and one raw block of 10 KiB: corrupt to
        // the streaming decoder (a block over the window), taken by the one-shot one.
        let over_window = {
            let block = sample(10_240, 5);
            let h = (10_240u32 << 3) | 1;
            [&MAGIC[..], &[0, 0], &h.to_le_bytes()[..3], &block].concat()
        };
        let pz = pzstd(&[&a, &b, &c]);
        let mut pz_flipped = pz.clone();
        pz_flipped[pzstd(&[&a]).len() + pzstd(&[&b]).len() / 2] ^= 0x55;
        vec![
            ("sized frames", frames.clone()),
            ("an empty frame among them", [sized(&a), sized(&[]), sized(&c)].concat()),
            ("one frame without its size", sizeless(&b)),
            ("sized, unsized, sized", [sized(&a), sizeless(&b), sized(&c)].concat()),
            ("a skippable frame between", [sized(&a), SKIPPABLE.to_vec(), sized(&c)].concat()),
            ("a frame larger than a worker takes", [sized(&a), sized(&big), sized(&c)].concat()),
            ("a window over 128 MiB", [sized(&a), wide].concat()),
            ("a flipped byte in the second frame", flipped),
            ("a bad checksum in the second frame", bad_checksum),
            ("cut inside the second frame", frames[..middle].to_vec()),
            ("cut inside a frame header", frames[..sized(&a).len() + 3].to_vec()),
            ("garbage after the frames", [frames.clone(), b"not zstd".to_vec()].concat()),
            // Its first byte is a skippable frame's (0x50 to 0x5f): libzstd says what it is.
            ("text after the frames", [frames.clone(), b"Signed-off-by: x\n".to_vec()].concat()),
            ("zeros after the frames", [frames.clone(), vec![0; 512]].concat()),
            ("pzstd's layout", pz.clone()),
            ("pzstd's layout, a flipped byte in the second frame", pz_flipped),
            ("pzstd's layout, cut inside a skippable frame", pz[..pzstd(&[&a]).len() + 6].to_vec()),
            ("pzstd's layout, cut after a skippable frame", pz[..pzstd(&[&a]).len() + 12].to_vec()),
            ("a skippable frame at the end", [pz.clone(), skippable(3)].concat()),
            ("a skippable frame longer than passed over", [sized(&a), skippable(SKIPPABLE_MAX), sized(&c)].concat()),
            ("sizeless frames", [sizeless(&a), sizeless(&zeros), sizeless(&[]), sizeless(&c)].concat()),
            ("a sizeless frame larger than a worker takes", [sizeless(&a), sizeless(&big), sizeless(&c)].concat()),
            ("a raw block larger than its window", [sized(&a), over_window].concat()),
        ]
    }

    /// Every case gives what the streaming decoder gives, data and error, on one worker or
    /// several, read in small or large pieces.
    #[test]
    fn frames_decode_as_the_streaming_decoder_does() {
        for (what, bytes) in cases() {
            for workers in [1, 3] {
                for chunk in [512, 1 << 20] {
                    // (The streaming decoder itself decodes a frame whole, window unchecked,
                    // when a read has room for all of it.)
                    let want = streaming(&bytes, chunk);
                    let got = drain(decoder(&bytes, workers), chunk);
                    // Up to an error, what comes out depends on how the reads fell (a read
                    // that meets the error loses what it decoded): one output is the start of
                    // the other, with the first frame whole. The error is the streaming
                    // decoder's, except that libzstd finds damaged data decoding a block or
                    // checking the frame's checksum, which also depends on the reads.
                    let n = got.0.len().min(want.0.len());
                    let same = match (&want.1, what.contains("in the second frame")) {
                        (None, _) => got == want,
                        (Some(_), damaged) => {
                            let damage = ["Data corruption detected", "Restored data doesn't match checksum"];
                            let error = got.1.as_deref().unwrap_or("");
                            got.0[..n] == want.0[..n]
                                && n >= FIRST
                                && if damaged { damage.contains(&error) } else { got.1 == want.1 }
                        }
                    };
                    assert!(
                        same,
                        "{what}, {workers} workers, reads of {chunk}: {} bytes, {:?} against {} bytes, {:?}",
                        got.0.len(),
                        got.1,
                        want.0.len(),
                        want.1
                    );
                }
            }
        }
    }

    /// Skipping is reading without the data: the same bytes after each skip, the same error.
    #[test]
    fn skips_land_where_reads_do() {
        for (what, bytes) in cases() {
            let (data, error) = streaming(&bytes, 512);
            let mut dec = decoder(&bytes, 2);
            let (mut at, mut step) = (0usize, 1usize);
            let ended = loop {
                let n = step.min(data.len().saturating_sub(at));
                if let Err(e) = dec.skip(n as u64) {
                    break Some(e.to_string());
                }
                at += n;
                let mut block = [0u8; 512];
                let got = match dec.read(&mut block) {
                    Ok(got) => got,
                    Err(e) => break Some(e.to_string()),
                };
                // (Beyond the streaming decoder's output only after damage, as above.)
                let known = data.len().saturating_sub(at).min(got);
                assert!(
                    block[..known] == data[at.min(data.len())..][..known],
                    "{what}: the bytes after a skip to {at}"
                );
                at += got;
                if got == 0 {
                    break None;
                }
                step = step * 3 + 1000;
            };
            assert_eq!(ended.is_some(), error.is_some(), "{what}: {ended:?} {error:?}");
            if !what.contains("in the second frame") {
                assert_eq!(ended, error, "{what}");
            }
        }
    }

    /// The workers take frames with or without their size in their header, of at most
    /// `MAX_CONTENT`, past skippable frames of at most `SKIPPABLE_MAX`; from the first frame
    /// that does not qualify the rest goes the streaming way.
    #[test]
    fn workers_take_the_frames_that_qualify() {
        let cases = cases();
        for (what, want) in [
            ("sized frames", 3),
            ("one frame without its size", 1),
            ("sized, unsized, sized", 3),
            ("a skippable frame between", 2),
            ("pzstd's layout", 3),
            ("a skippable frame at the end", 3),
            ("sizeless frames", 4),
            ("a skippable frame longer than passed over", 1),
            ("a frame larger than a worker takes", 1),
            ("a sizeless frame larger than a worker takes", 1),
            ("a window over 128 MiB", 1),
            ("a raw block larger than its window", 1),
        ] {
            let bytes = &cases.iter().find(|(w, _)| *w == what).expect(what).1;
            let mut dec = decoder(bytes, 2);
            let read = io::copy(&mut dec, &mut io::sink());
            assert_eq!(read.is_err(), what.contains("window") || what.contains("block"), "{what}: {read:?}");
            assert_eq!(dec.on_workers, want, "{what}");
        }
    }

    /// Skipping past the end is an error; `finish` reads to the end and finds what is wrong
    /// with it.
    #[test]
    fn a_skip_past_the_end_fails_and_finish_checks_the_rest() {
        let bytes = [sized(&sample(5000, 1)), sized(&sample(5000, 2))].concat();
        let mut dec = decoder(&bytes, 2);
        assert_eq!(dec.skip(10_001).unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        let mut dec = decoder(&bytes, 2);
        dec.skip(100).unwrap();
        dec.finish().unwrap();
        let mut bad = bytes.clone();
        let n = bad.len();
        bad[n - 1] ^= 1; // the second frame's checksum
        let mut dec = decoder(&bad, 2);
        dec.skip(100).unwrap();
        let err = dec.finish().unwrap_err().to_string();
        assert!(err.contains("checksum"), "{err}");
    }
}
