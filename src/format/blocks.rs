/*!
Compression on every core, a block at a time: the input is cut into blocks of one size, each is
compressed on a worker thread (with the end of the block before it, for a codec that uses it as
a dictionary), and the results come back in input order. Memory is bounded: at most two blocks
per worker are in flight. Parallel gzip (`pgzip`), and the formats written as whole streams one
per block (`WholeStreams` below: bzip2 here, lzip in `plzip`), are built on it.
*/

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

/// What a worker does with one block.
pub trait Codec: Send + Sync + 'static {
    type Done: Send + 'static;
    /// Compresses `input`; `dict` is the end of the block before it (empty for the first block,
    /// and always for a codec made with no dictionary).
    fn block(&self, input: &[u8], dict: &[u8]) -> io::Result<Self::Done>;
}

struct Job<D> {
    input: Vec<u8>,
    dict: Vec<u8>,
    reply: mpsc::SyncSender<Reply<D>>,
}

/// A block's result, and its input buffer back for the next block (no fresh pages to fault in).
type Reply<D> = (io::Result<D>, Vec<u8>);

/// Blocks in flight on the workers, and the one being filled.
pub struct Blocks<C: Codec> {
    size: usize,
    dict_len: usize,
    buf: Vec<u8>,
    dict: Vec<u8>,
    jobs: Option<mpsc::Sender<Job<C::Done>>>,
    pending: VecDeque<mpsc::Receiver<Reply<C::Done>>>,
    /// Input buffers back from the workers.
    free: Vec<Vec<u8>>,
    workers: Vec<thread::JoinHandle<()>>,
    /// The codec, also for `submit` when no worker could start.
    codec: Arc<C>,
    max_pending: usize,
    /// A block failed: nothing more is taken, so a caller that goes on cannot write a stream
    /// with a block missing.
    failed: bool,
}

impl<C: Codec> Blocks<C> {
    /// Workers on every core; blocks of `size` bytes, each given the last `dict_len` bytes of
    /// the one before.
    pub fn new(codec: C, size: usize, dict_len: usize) -> Blocks<C> {
        let n = thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Blocks::with_workers(codec, size, dict_len, n)
    }

    /// As `new`, on `n` workers (at least one).
    pub fn with_workers(codec: C, size: usize, dict_len: usize, n: usize) -> Blocks<C> {
        let n = n.max(1);
        let codec = Arc::new(codec);
        let (tx, rx) = mpsc::channel::<Job<C::Done>>();
        let rx = Arc::new(Mutex::new(rx));
        // Workers that cannot start (the process limit reached) are done without: with none,
        // `submit` compresses each block itself.
        let workers = (0..n)
            .map_while(|_| {
                let (rx, codec) = (rx.clone(), codec.clone());
                thread::Builder::new()
                    .spawn(move || {
                        loop {
                            let job = match rx.lock() {
                                Ok(guard) => guard.recv(),
                                Err(_) => return,
                            };
                            let Ok(job) = job else { return };
                            let done = codec.block(&job.input, &job.dict);
                            let _ = job.reply.send((done, job.input));
                        }
                    })
                    .ok()
            })
            .collect();
        Blocks {
            size,
            dict_len,
            buf: Vec::with_capacity(size),
            dict: Vec::new(),
            jobs: Some(tx),
            pending: VecDeque::new(),
            free: Vec::new(),
            workers,
            codec,
            max_pending: 2 * n,
            failed: false,
        }
    }

    /// The worker threads that started.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// At most `n` blocks in flight (at least one more than the workers, so that none waits
    /// for the next block), instead of two per worker: for large blocks, whose memory counts.
    pub fn in_flight(mut self, n: usize) -> Blocks<C> {
        self.max_pending = n.max(self.workers.len() + 1);
        self
    }

    /// Takes what fits of `data` in the block being filled (at least one byte of non-empty
    /// data); a full block goes to a worker, and blocks done beyond the bound on those in
    /// flight go to `done`, in order.
    pub fn write(&mut self, data: &[u8], done: &mut dyn FnMut(C::Done) -> io::Result<()>) -> io::Result<usize> {
        self.check()?;
        let n = (self.size - self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == self.size {
            let sent = self.submit();
            self.failed |= sent.is_err();
            sent?;
            while self.pending.len() >= self.max_pending {
                self.next(done)?;
            }
        }
        Ok(n)
    }

    /// Sends the last, partial block and gives every block still out to `done`, in order.
    pub fn finish(&mut self, done: &mut dyn FnMut(C::Done) -> io::Result<()>) -> io::Result<()> {
        self.check()?;
        let sent = self.submit();
        self.failed |= sent.is_err();
        sent?;
        while !self.pending.is_empty() {
            self.next(done)?;
        }
        Ok(())
    }

    fn submit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self.free.pop().unwrap_or_else(|| Vec::with_capacity(self.size));
        let input = std::mem::replace(&mut self.buf, next);
        let next_dict = input[input.len().saturating_sub(self.dict_len)..].to_vec();
        let dict = std::mem::replace(&mut self.dict, next_dict);
        let (reply, result) = mpsc::sync_channel(1);
        let jobs = self.jobs.as_ref().ok_or_else(|| io::Error::other("compression already finished"))?;
        if self.workers.is_empty() {
            let _ = reply.send((self.codec.block(&input, &dict), input));
        } else {
            jobs.send(Job { input, dict, reply }).map_err(|_| io::Error::other("a compression worker ended"))?;
        }
        self.pending.push_back(result);
        Ok(())
    }

    fn next(&mut self, done: &mut dyn FnMut(C::Done) -> io::Result<()>) -> io::Result<()> {
        let Some(rx) = self.pending.pop_front() else { return Ok(()) };
        let result = match rx.recv() {
            Ok((result, mut input)) => {
                input.clear();
                self.free.push(input);
                result.and_then(done)
            }
            Err(_) => Err(io::Error::other("a compression worker ended")),
        };
        self.failed |= result.is_err();
        result
    }

    fn check(&self) -> io::Result<()> {
        match self.failed {
            true => Err(io::Error::other("the compressed stream failed before")),
            false => Ok(()),
        }
    }
}

impl<C: Codec> Drop for Blocks<C> {
    fn drop(&mut self) {
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// A writer of whole compressed streams, one per block, compressed on every core and written
/// one after the other, which the format's tools read as one (pbzip2's bzip2, plzip's lzip).
pub struct WholeStreams<W: Write, C: Codec<Done = Vec<u8>>> {
    out: W,
    /// Whether a stream has gone to `out`.
    wrote: bool,
    blocks: Blocks<C>,
}

impl<W: Write, C: Codec<Done = Vec<u8>>> WholeStreams<W, C> {
    pub fn new(out: W, blocks: Blocks<C>) -> WholeStreams<W, C> {
        WholeStreams { out, wrote: false, blocks }
    }

    pub fn finish(mut self) -> io::Result<W> {
        let (out, wrote) = (&mut self.out, &mut self.wrote);
        self.blocks.finish(&mut |stream| put(out, wrote, stream))?;
        if !self.wrote {
            // No input: one stream of no data, as the tools write for an empty file.
            let empty = self.blocks.codec.block(&[], &[])?;
            self.out.write_all(&empty)?;
        }
        Ok(self.out)
    }
}

fn put<W: Write>(out: &mut W, wrote: &mut bool, stream: Vec<u8>) -> io::Result<()> {
    *wrote = true;
    out.write_all(&stream)
}

impl<W: Write, C: Codec<Done = Vec<u8>>> Write for WholeStreams<W, C> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let (out, wrote) = (&mut self.out, &mut self.wrote);
        self.blocks.write(data, &mut |stream| put(out, wrote, stream))
    }

    /// What the workers have done is written as they finish; a block is not cut short.
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// bzip2 on every core, the way pbzip2 does it: each block of the input is a whole bzip2 stream
/// of its own, and the streams follow one another, which `bzip2 -d`, GNU tar (through it),
/// bsdtar and captar read as one.
pub type ParBzEncoder<W> = WholeStreams<W, Bz>;

pub struct Bz(bzip2::Compression);

impl Codec for Bz {
    type Done = Vec<u8>;
    fn block(&self, input: &[u8], _: &[u8]) -> io::Result<Vec<u8>> {
        let mut enc = bzip2::write::BzEncoder::new(Vec::with_capacity(input.len() / 3 + 64), self.0);
        enc.write_all(input)?;
        enc.finish()
    }
}

/// bzip2 at `level` on every core.
pub fn par_bzip2<W: Write>(out: W, level: bzip2::Compression) -> ParBzEncoder<W> {
    // About one bzip2 block per stream: the level's block size (bzip2 counts it after its
    // run-length encoding, so a stream may hold two blocks, or one of more input).
    let size = 100_000 * level.level() as usize;
    WholeStreams::new(out, Blocks::new(Bz(level), size, 0))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// A block that fails stops the stream: every later write and the finish are errors, never
    /// a stream with that block left out.
    #[test]
    fn a_failed_block_fails_what_follows() {
        struct FailsOnX;
        impl Codec for FailsOnX {
            type Done = Vec<u8>;
            fn block(&self, input: &[u8], _: &[u8]) -> io::Result<Vec<u8>> {
                match input.first() {
                    Some(b'x') => Err(io::Error::other("refused")),
                    _ => Ok(input.to_vec()),
                }
            }
        }
        let mut blocks = Blocks::new(FailsOnX, 4, 0);
        let mut out = Vec::new();
        let mut first_error = None;
        for chunk in [&b"aaaa"[..], b"xxxx", b"bbbb", b"cccc", b"dddd", b"eeee", b"ffff", b"gggg"] {
            if let Err(e) = blocks.write(chunk, &mut |d| {
                out.extend(d);
                Ok(())
            }) {
                first_error.get_or_insert(e.to_string());
            }
        }
        let finished = blocks.finish(&mut |d| {
            out.extend(d);
            Ok(())
        });
        assert!(first_error.is_some() && finished.is_err(), "{first_error:?} {finished:?}");
        assert!(!out.windows(4).any(|w| w == b"bbbb" || w == b"gggg"), "nothing after the failed block: {out:?}");
    }

    /// Every size around the block's edges comes back whole through a multi-stream reader, in
    /// one stream per block (a single-stream reader stops after the first).
    #[test]
    fn parallel_bzip2_is_one_stream_per_block() {
        let level = bzip2::Compression::new(1);
        let size = 100_000;
        for len in [0usize, 1, 1000, size - 1, size, size + 1, 5 * size + 12345] {
            let data: Vec<u8> = (0..len).map(|i| ((i * 7919) % 251) as u8 ^ (i / 4096) as u8).collect();
            let mut enc = par_bzip2(Vec::new(), level);
            for chunk in data.chunks(70_000) {
                enc.write_all(chunk).unwrap();
            }
            let bz = enc.finish().unwrap();
            let mut back = Vec::new();
            bzip2::read::MultiBzDecoder::new(&bz[..]).read_to_end(&mut back).unwrap();
            assert_eq!(back, data, "size {len}");
            let streams = bz.windows(4).filter(|w| *w == b"BZh1").count();
            assert_eq!(streams, len.div_ceil(size).max(1), "size {len}");
        }
    }
}
