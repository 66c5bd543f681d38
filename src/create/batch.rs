/*!
Members on their way from the walk to the writer. The walk makes `Job`s (a regular file to
read, or a member it encoded itself) and groups them in `Batch`es; a reader thread reads a
batch's files into its `Bytes`; the writer writes the batches in walk order and hands them back
to the walk for reuse (`Batches`, the walk's side of that cycle).
*/

use std::path::PathBuf;

use rustix::fs::Stat;

use super::tree::At;
use super::{BLOCK, Body, Files, INLINE_MAX, Item};

/// A batch holds at most BATCH_ITEMS members or BATCH_BYTES of data (plus one file), so memory
/// stays bounded by about (QUEUE + readers) × (BATCH_BYTES + INLINE_MAX). Batches spare a thread
/// wake-up per member.
const BATCH_ITEMS: usize = 64;
const BATCH_BYTES: usize = 1 << 20;

/// A member as the walk hands it on.
// Files are most jobs: boxing theirs would allocate once per file.
#[allow(clippy::large_enum_variant)]
pub(super) enum Job {
    /// A regular file of one name, to be opened and read by a reader; its lstat from the walk.
    /// `shown`: what `-v` shows when not its name (`Item::shown`).
    File { at: At, path: PathBuf, name: PathBuf, shown: Option<PathBuf>, st: Stat },
    /// A member the walk made itself (everything but those files): its item, and the bytes it
    /// encoded for it.
    Done { item: Box<Item>, bytes: Vec<u8> },
}

/// Members handed from the walk to the writer: most already encoded, one after the other, in
/// `bytes` (headers, and a small file's data read there straight from the file), so the writer
/// passes them on in one write and no byte of data is copied in memory.
/// Batches travel back to the walk once written and are reused, so their memory is touched
/// once: no page faults and no zeroing per batch.
pub(super) struct Batch {
    /// Its place in the archive, counted from 0.
    pub(super) seq: u64,
    pub(super) jobs: Vec<Job>,
    pub(super) bytes: Bytes,
    pub(super) items: Vec<Item>,
}

impl Batch {
    pub(super) fn new() -> Batch {
        let bytes = Bytes { buf: vec![0; BATCH_BYTES + INLINE_MAX as usize + 64 * BLOCK], used: 0 };
        Batch { seq: 0, jobs: Vec::new(), bytes, items: Vec::new() }
    }

    /// Reads what the walk left to read (on a reader thread): the members' bytes in order.
    pub(super) fn fill(&mut self, files: Files<'_>) {
        for job in self.jobs.drain(..) {
            match job {
                Job::Done { item, bytes } => {
                    self.bytes.extend(&bytes);
                    self.items.push(*item);
                }
                Job::File { at, path, name, shown, st } => {
                    match files.file(&at, &path, name, shown, &st, &mut self.bytes) {
                        Ok((item, _)) => self.items.push(item),
                        Err(e) => files.failed(e),
                    }
                }
            }
        }
    }
}

/// The walk's side of the batches: the one it fills, and the cycle walk → readers → writer →
/// walk of at most `most` of them.
pub(super) struct Batches<'a> {
    tx: &'a std::sync::mpsc::Sender<Batch>,
    back: &'a std::sync::mpsc::Receiver<Batch>,
    current: Batch,
    /// The data the current batch will hold (see `push`).
    bytes: usize,
    seq: u64,
    made: usize,
    pub(super) most: usize,
    /// Sent and not yet back.
    out: usize,
    spare: Vec<Batch>,
}

impl<'a> Batches<'a> {
    pub(super) fn new(
        tx: &'a std::sync::mpsc::Sender<Batch>,
        back: &'a std::sync::mpsc::Receiver<Batch>,
        most: usize,
    ) -> Self {
        Batches { tx, back, current: Batch::new(), bytes: 0, seq: 0, made: 1, most, out: 0, spare: Vec::new() }
    }

    /// Adds a member, sending the batch on when full; false when the writer has stopped.
    pub(super) fn push(&mut self, job: Job) -> bool {
        // A large file counts as INLINE_MAX whoever opened it: its fd stays open until
        // written, so a batch holds only a couple of them.
        self.bytes += match &job {
            Job::File { st, .. } => (st.st_size as u64).min(INLINE_MAX) as usize,
            Job::Done { item, .. } if matches!(item.body, Body::Open { .. } | Body::Sparse { .. }) => {
                INLINE_MAX as usize
            }
            Job::Done { bytes, .. } => bytes.len(),
        };
        self.current.jobs.push(job);
        if self.current.jobs.len() >= BATCH_ITEMS || self.bytes >= BATCH_BYTES {
            return self.send();
        }
        true
    }

    /// Sends the current batch on, if it holds anything; false when the writer has stopped.
    pub(super) fn send(&mut self) -> bool {
        if self.current.jobs.is_empty() {
            return true;
        }
        let next = match self.back.try_recv() {
            Ok(b) => {
                self.out -= 1;
                b
            }
            Err(_) if !self.spare.is_empty() => self.spare.pop().unwrap_or_else(Batch::new),
            Err(_) if self.made < self.most => {
                self.made += 1;
                Batch::new()
            }
            Err(_) => match self.back.recv() {
                Ok(b) => {
                    self.out -= 1;
                    b
                }
                Err(_) => return false,
            },
        };
        self.bytes = 0;
        self.current.seq = self.seq;
        self.seq += 1;
        self.out += 1;
        self.tx.send(std::mem::replace(&mut self.current, next)).is_ok()
    }

    /// Sends the current batch on and waits for batches to come back (read and written)
    /// while `busy` holds and any is out; false when the writer has stopped.
    pub(super) fn wait_for(&mut self, busy: impl Fn() -> bool) -> bool {
        if !self.send() {
            return false;
        }
        while busy() && self.out > 0 {
            match self.back.recv() {
                Ok(b) => {
                    self.out -= 1;
                    self.spare.push(b);
                }
                Err(_) => return false,
            }
        }
        true
    }
}

/// Bytes always initialised (a file's data is read over old bytes, not into fresh zeros), of
/// which `used` hold members.
pub(super) struct Bytes {
    pub(super) buf: Vec<u8>,
    pub(super) used: usize,
}

impl Bytes {
    /// `n` more bytes to fill, at the end of what is used; the caller adds to `used` what it
    /// filled.
    pub(super) fn tail(&mut self, n: usize) -> &mut [u8] {
        if self.buf.len() < self.used + n {
            self.buf.resize(self.used + n, 0);
        }
        &mut self.buf[self.used..self.used + n]
    }

    pub(super) fn extend(&mut self, data: &[u8]) {
        self.tail(data.len()).copy_from_slice(data);
        self.used += data.len();
    }

    pub(super) fn zeros(&mut self, n: usize) {
        self.tail(n).fill(0);
        self.used += n;
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        &self.buf[..self.used]
    }
}
