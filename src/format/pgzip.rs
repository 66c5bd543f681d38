/*!
Parallel gzip, the way pigz does it: the stream is cut into blocks, each block is deflated on a
worker thread with the previous block's last 32 KiB as its dictionary and ends with a sync
flush, and the blocks are written in order between one gzip header and one trailer. The result
is one ordinary gzip member that `gzip -t` and every reader accept; the CRC-32 of the blocks is
combined in order. Memory is bounded: at most two blocks per worker are in flight.
*/

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc;
use std::thread;

use flate2::{Compress, Compression, FlushCompress, Status};

const BLOCK: usize = 512 << 10;
const DICT: usize = 32 << 10;
/// RFC 1952 header: magic, deflate, no flags, no mtime, no extra flags, OS = Unix.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];

struct Job {
    input: Vec<u8>,
    dict: Vec<u8>,
    reply: mpsc::SyncSender<io::Result<Done>>,
}

struct Done {
    output: Vec<u8>,
    crc: crc32fast::Hasher,
    len: usize,
}

/// A gzip writer that compresses on all cores.
pub struct ParGzEncoder<W: Write> {
    out: Option<W>,
    level: Compression,
    buf: Vec<u8>,
    dict: Vec<u8>,
    jobs: Option<mpsc::Sender<Job>>,
    pending: VecDeque<mpsc::Receiver<io::Result<Done>>>,
    workers: Vec<thread::JoinHandle<()>>,
    crc: crc32fast::Hasher,
    total: u64,
    max_pending: usize,
}

fn deflate_block(level: Compression, job: &Job) -> io::Result<Done> {
    let mut c = Compress::new(level, false);
    if !job.dict.is_empty() {
        c.set_dictionary(&job.dict).map_err(io::Error::other)?;
    }
    let mut output = Vec::with_capacity(job.input.len() / 2 + 1024);
    let mut input = &job.input[..];
    loop {
        if output.capacity() - output.len() < 1024 {
            output.reserve(output.capacity().max(64 << 10));
        }
        let before_in = c.total_in();
        let status = c.compress_vec(input, &mut output, FlushCompress::Sync).map_err(io::Error::other)?;
        input = &input[(c.total_in() - before_in) as usize..];
        // Done once all input is consumed and the flush fitted (room left over).
        if input.is_empty() && output.len() < output.capacity() && status != Status::BufError {
            break;
        }
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(&job.input);
    Ok(Done { output, crc, len: job.input.len() })
}

impl<W: Write> ParGzEncoder<W> {
    pub fn new(out: W, level: Compression) -> ParGzEncoder<W> {
        let n = thread::available_parallelism().map(|n| n.get()).unwrap_or(1).max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let workers = (0..n)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let _ = job.reply.send(deflate_block(level, &job));
                    }
                })
            })
            .collect();
        ParGzEncoder {
            out: Some(out),
            level,
            buf: Vec::with_capacity(BLOCK),
            dict: Vec::new(),
            jobs: Some(tx),
            pending: VecDeque::new(),
            workers,
            crc: crc32fast::Hasher::new(),
            total: 0,
            max_pending: 2 * n,
        }
    }

    fn out(&mut self) -> &mut W {
        self.out.as_mut().expect("writer present until finish")
    }

    fn submit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.total == 0 && self.pending.is_empty() {
            self.out().write_all(&HEADER)?;
        }
        let input = std::mem::replace(&mut self.buf, Vec::with_capacity(BLOCK));
        let dict_start = input.len().saturating_sub(DICT);
        let next_dict = input[dict_start..].to_vec();
        let dict = std::mem::replace(&mut self.dict, next_dict);
        let (reply, result) = mpsc::sync_channel(1);
        let jobs = self.jobs.as_ref().expect("jobs open until finish");
        jobs.send(Job { input, dict, reply }).map_err(|_| io::Error::other("gzip worker ended"))?;
        self.pending.push_back(result);
        while self.pending.len() >= self.max_pending {
            self.write_one()?;
        }
        Ok(())
    }

    fn write_one(&mut self) -> io::Result<()> {
        let Some(rx) = self.pending.pop_front() else { return Ok(()) };
        let done = rx.recv().map_err(|_| io::Error::other("gzip worker ended"))??;
        self.out().write_all(&done.output)?;
        self.crc.combine(&done.crc);
        self.total += done.len as u64;
        Ok(())
    }

    /// Writes the remaining blocks, the final empty deflate block and the trailer.
    pub fn finish(mut self) -> io::Result<W> {
        let wrote_header = self.total > 0 || !self.pending.is_empty();
        self.submit()?;
        while !self.pending.is_empty() {
            self.write_one()?;
        }
        if !wrote_header && self.total == 0 {
            self.out().write_all(&HEADER)?;
        }
        // An empty final block ends the deflate stream.
        let mut c = Compress::new(self.level, false);
        let mut end = Vec::with_capacity(64);
        c.compress_vec(&[], &mut end, FlushCompress::Finish).map_err(io::Error::other)?;
        let crc = std::mem::replace(&mut self.crc, crc32fast::Hasher::new()).finalize();
        let total = self.total;
        let out = self.out();
        out.write_all(&end)?;
        out.write_all(&crc.to_le_bytes())?;
        out.write_all(&(total as u32).to_le_bytes())?;
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        Ok(self.out.take().expect("writer present"))
    }
}

impl<W: Write> Write for ParGzEncoder<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = BLOCK - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == BLOCK {
            self.submit()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for ParGzEncoder<W> {
    fn drop(&mut self) {
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
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
