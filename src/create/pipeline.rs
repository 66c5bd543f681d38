/*!
The threads of a create: the walk hands batches of members to a reader thread per core, and
the writer (the calling thread) writes them in walk order, compressed as asked.
*/

use crate::error::ShowPath;
use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::archive::is_stdout;
use super::batch::{Batch, Batches};
use super::files::FileSource;
use super::options::{CreateOptions, Target};
use super::{Body, Files, MAX_READERS, OUT_BUFFER, PLAIN_OUT_BUFFER, QUEUE, Walker, changed};
use super::{remove, sparse};
use crate::error::{Error, IoContext, Report, Result, Warning};
use crate::format::Kind;
use crate::format::compress::{Compression, Encoder};
use crate::format::writer::{DataOutcome, Writer};
use crate::progress::Progress;
use crate::temps;

/// Walks and writes the whole archive to `out`, compressed as asked, and flushes it. The walk
/// runs on its own thread, the files are opened and read on one reader thread per core, and
/// this thread writes the batches in order: reading the tree and writing the archive overlap.
pub(super) fn write_to<W: Write + AsFd>(
    opts: &CreateOptions,
    walker: &mut Walker<'_>,
    progress: &Progress,
    out: W,
    label: &Path,
) -> Result<()> {
    let report = walker.files.report;
    // Uncompressed, the walk's batches of encoded members (hundreds of KiB) are written
    // straight from where the files were read; what is buffered is the odd header.
    let plain = opts.compression == Compression::None;
    // Uncompressed into a regular file, a large file's data goes from the file into the
    // archive's descriptor in the kernel (sendfile), through a second descriptor of the same
    // open output. Not into a pipe or socket: there sendfile passes page references, not
    // copies, so a change made to the file after it was read would still reach the archive.
    let regular = rustix::fs::fstat(&out).is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode).is_file());
    let direct = if plain && regular { out.as_fd().try_clone_to_owned().ok() } else { None };
    // Added to an archive file (append), records count from the archive's start.
    let start =
        if plain && regular { rustix::fs::seek(&out, rustix::fs::SeekFrom::Current(0)).unwrap_or(0) } else { 0 };
    let out = BufWriter::with_capacity(if plain { PLAIN_OUT_BUFFER } else { OUT_BUFFER }, temps::ArchiveWrite(out));
    let encoder = Encoder::new(opts.compression, out, opts.level, opts.extreme).at(label, "compress")?;
    // Members reach the compressor in runs of a batch; a large file's header and data in
    // pieces of at least 512 bytes, which the compressors buffer themselves.
    let counter = opts.checkpoints.as_ref().map(|c| c.counter());
    let mut writer = Writer::new(encoder).starting_at(start).with_checkpoints(counter).with_record(opts.record);
    if let Some(text) = &opts.label {
        // Dated as GNU tar dates it (the time of writing), or by --mtime for a reproducible archive.
        let mtime = opts.stamp.mtime.map_or_else(
            || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64),
            |t| t.secs,
        );
        let mut header = Vec::new();
        crate::format::writer::encode_label(text.as_bytes(), mtime, &mut header);
        writer.put_encoded(&header).at(label, "write")?;
    }
    let files = walker.files;
    // Past a few readers the walk and the writer set the pace; the cap bounds memory (each
    // batch in flight holds up to ~2 MiB) on machines with many cores.
    let readers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_READERS);
    // Batches go walk → readers → writer → back to the walk; at most `readers + QUEUE` exist,
    // which bounds memory.
    let (job_tx, job_rx) = std::sync::mpsc::channel::<Batch>();
    // `None`: a reader panicked, and the batch it held will never come.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Option<Batch>>();
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Batch>();
    let job_rx = std::sync::Mutex::new(job_rx);
    std::thread::scope(|s| -> Result<()> {
        // Readers that cannot start (the process limit reached) are done without; with none,
        // or no walk, the archive cannot be made.
        let mut threads = Vec::new();
        for _ in 0..readers {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            let reader = std::thread::Builder::new().spawn_scoped(s, move || {
                loop {
                    let next = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(mut batch) = next else { return };
                    let filled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| batch.fill(files)));
                    if done_tx.send(filled.is_ok().then_some(batch)).is_err() || filled.is_err() {
                        return; // the writer stopped (it reports why), or this thread failed
                    }
                }
            });
            match reader {
                Ok(t) => threads.push(t),
                Err(e) if threads.is_empty() => return Err(crate::error::Error::no_thread(label, e)),
                Err(_) => break,
            }
        }
        let producer = std::thread::Builder::new()
            .spawn_scoped(s, move || walker.walk_all(Batches::new(&job_tx, &back_rx, readers + QUEUE)))
            .map_err(|e| crate::error::Error::no_thread(label, e))?;
        drop(done_tx);
        let out = Output { writer: &mut writer, direct: direct.as_ref().map(|fd| fd.as_fd()), label };
        let written = write_items(files, progress, done_rx, back_tx, out);
        // When writing failed, the channels are gone: the readers and the walk stop.
        let walked = producer.join().map_err(|_| Error::Usage("create: the walking thread panicked".into()))?;
        for t in threads {
            t.join().map_err(|_| Error::Usage("create: a reading thread panicked".into()))?;
        }
        written?;
        walked
    })?;
    report.set_total(writer.finished_len());
    writer.finish().and_then(|enc| enc.finish()).and_then(|mut out| out.flush()).at(label, "write")
}

/// Where the writer thread writes: the archive writer, the descriptor it ends in when the
/// kernel may copy files into it directly (uncompressed), and the archive's name for errors.
pub(super) struct Output<'a, W: Write> {
    writer: &'a mut Writer<W>,
    direct: Option<BorrowedFd<'a>>,
    label: &'a Path,
}

/// The writer's side: members in walk order, verbose names, progress, and the checks that need
/// the data written (a file that shrank or changed while it was read).
pub(super) fn write_items<W: Write>(
    files: Files<'_>,
    progress: &Progress,
    rx: std::sync::mpsc::Receiver<Option<Batch>>,
    back: std::sync::mpsc::Sender<Batch>,
    out: Output<'_, W>,
) -> Result<()> {
    let Output { writer, direct, label } = out;
    let (opts, report, state) = (files.opts, files.report, files.run);
    let mut archived = state.archived.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut files = 0u64;
    // Like tar -v: names on stdout, unless the archive itself goes there (`-f -`, or a name
    // of what stdout writes to: `-f /dev/stdout`), where they would land in it.
    let names_to_stderr = match &opts.target {
        Target::Stdout | Target::Pipe(_) => true,
        Target::File(path) | Target::Append(path) => opts.verbose && is_stdout(path),
    };
    // Batches arrive as the readers finish them; they are written in the walk's order.
    let mut next = 0u64;
    let mut early: BTreeMap<u64, Batch> = BTreeMap::new();
    let in_order = std::iter::from_fn(|| {
        loop {
            if let Some(batch) = early.remove(&next) {
                next += 1;
                return Some(Some(batch));
            }
            match rx.recv() {
                Ok(Some(batch)) => early.insert(batch.seq, batch),
                Ok(None) => return Some(None),
                Err(_) => return None,
            };
        }
    });
    for batch in in_order {
        let Some(mut batch) = batch else {
            return Err(Error::Usage("create: a reading thread panicked".into()));
        };
        // Runs of encoded members go out in one write.
        let mut run = 0..0;
        for item in batch.items.drain(..) {
            if opts.verbose {
                let shown = item.shown.as_ref().unwrap_or(&item.meta.path);
                let line = crate::list::quote_name(shown.as_os_str().as_bytes());
                match names_to_stderr {
                    false => crate::error::note_output(writeln!(io::stdout().lock(), "{line}")),
                    true => drop(writeln!(io::stderr().lock(), "{line}")),
                }
            }
            let meta = &item.meta;
            let path = &item.path;
            // Whole and unchanged: removable with --remove-files.
            let mut whole = false;
            match item.body {
                Body::Encoded { len, short, changed } => {
                    run.end += len;
                    // With checkpoints each member goes out after its name, so their dots and
                    // messages come between the names, as in GNU tar.
                    if opts.checkpoints.is_some() {
                        writer.put_encoded(&batch.bytes.as_slice()[run.clone()]).at(label, "write")?;
                        run = run.end..run.end;
                    }
                    whole = short.is_none() && !changed;
                    if let Some(read) = short {
                        shrank(report, path, meta.size - read);
                    } else if changed {
                        report.warn_as(Warning::FileChanged, format!("{}: file changed as we read it", path.on_disk()));
                    }
                }
                Body::Sparse { file, before, sparse } => {
                    writer.put_encoded(&batch.bytes.as_slice()[run.clone()]).at(label, "write")?;
                    run = run.end..run.end;
                    let mut source = sparse::SparseSource::new(&file, &sparse);
                    let outcome = writer.append(meta, Some(&mut source)).at(label, "write")?;
                    if let Some(e) = source.error {
                        report.error(format!(
                            "{}: read failed: {}; its member was padded with zeros",
                            path.on_disk(),
                            crate::error::os_text(&e)
                        ));
                    } else if let DataOutcome::Short { read } = outcome {
                        // By its size then and now, as GNU tar counts (found by audit: no count);
                        // by the data missing where it grew back meanwhile.
                        let real = meta.sparse.unwrap_or(meta.size);
                        let now = rustix::fs::fstat(&file).map_or(real, |st| st.st_size as u64);
                        let by = if now < real { real - now } else { meta.size - read };
                        shrank(report, path, by);
                    } else if rustix::fs::fstat(&file).map(|after| changed(&before, &after)).unwrap_or(true) {
                        report.warn_as(Warning::FileChanged, format!("{}: file changed as we read it", path.on_disk()));
                    } else {
                        whole = true;
                    }
                }
                Body::Open { file, before } => {
                    writer.put_encoded(&batch.bytes.as_slice()[run.clone()]).at(label, "write")?;
                    run = run.end..run.end;
                    let mut source = FileSource { file: &file, error: None };
                    let outcome = match direct {
                        Some(fd) => writer.append_file(meta, &file, fd, &mut source),
                        None => writer.append(meta, Some(&mut source)),
                    }
                    .at(label, "write")?;
                    if let Some(e) = source.error {
                        report.error(format!(
                            "{}: read failed: {}; its member was padded with zeros",
                            path.on_disk(),
                            crate::error::os_text(&e)
                        ));
                    } else if let DataOutcome::Short { read } = outcome {
                        shrank(report, path, meta.size - read);
                    } else if rustix::fs::fstat(&file).map(|after| changed(&before, &after)).unwrap_or(true) {
                        report.warn_as(Warning::FileChanged, format!("{}: file changed as we read it", path.on_disk()));
                    } else {
                        whole = true;
                    }
                }
            }
            state.written.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if whole && let Some(seen) = item.seen {
                archived.push(remove::Removal { path: item.path, seen });
            }
            if meta.kind == Kind::File {
                files += 1;
                progress.inc(meta.size);
                if files.is_multiple_of(256) {
                    progress.message(format!("{files} files"));
                }
            }
        }
        writer.put_encoded(&batch.bytes.as_slice()[run]).at(label, "write")?;
        batch.bytes.used = 0;
        let _ = back.send(batch); // the walk may be done
    }
    Ok(())
}

/// A file read short by `by` bytes: its member is padded with zeros.
pub(super) fn shrank(report: &Report, path: &Path, by: u64) {
    report.warn_as(
        Warning::FileShrank,
        format!("{}: file shrank by {by} bytes while we read it; padded with zeros", path.on_disk()),
    );
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::create::files::encoded;
    use crate::create::{Named, Run};
    use crate::format::{BLOCK, EntryMeta};

    fn options() -> CreateOptions {
        CreateOptions::new(Target::Stdout, vec![Named::here(".")])
    }

    /// A reader thread that panicked leaves a hole in the sequence of batches: the writer stops
    /// with an error instead of waiting for that batch forever.
    #[test]
    fn a_lost_batch_stops_the_writer() {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Option<Batch>>();
        let (back_tx, _back_rx) = std::sync::mpsc::channel::<Batch>();
        let mut later = Batch::new();
        later.seq = 1;
        done_tx.send(Some(later)).unwrap();
        done_tx.send(None).unwrap(); // batch 0's reader panicked
        // The other readers are still alive: the channel stays open.
        let (result_tx, result_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut writer = Writer::new(Vec::new());
            let (opts, report) = (options(), Report::new());
            let run = Run::default();
            let files = Files { opts: &opts, report: &report, run: &run };
            let label = Path::new("t");
            let out = Output { writer: &mut writer, direct: None, label };
            let _ = result_tx.send(write_items(files, &Progress::hidden(), done_rx, back_tx, out));
        });
        let result = result_rx.recv_timeout(std::time::Duration::from_secs(20)).expect("the writer hangs");
        assert!(result.is_err_and(|e| e.to_string().contains("panicked")));
        drop(done_tx);
    }

    /// Batches that arrive out of order are written in the walk's order.
    #[test]
    fn batches_are_written_in_walk_order() {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Option<Batch>>();
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Batch>();
        for seq in [2u64, 0, 1] {
            let mut batch = Batch::new();
            batch.seq = seq;
            let meta = EntryMeta::new(PathBuf::from(format!("m{seq}")), Kind::Dir);
            batch.items.push(encoded(meta, Path::new("x"), None, &mut batch.bytes).unwrap());
            done_tx.send(Some(batch)).unwrap();
        }
        drop(done_tx);
        let (opts, report) = (options(), Report::new());
        let run = Run::default();
        let files = Files { opts: &opts, report: &report, run: &run };
        let mut writer = Writer::new(Vec::new());
        let out = Output { writer: &mut writer, direct: None, label: Path::new("t") };
        write_items(files, &Progress::hidden(), done_rx, back_tx, out).unwrap();
        let bytes = writer.finish().unwrap();
        let names: Vec<&[u8]> = bytes.chunks(BLOCK).take(3).map(|b| &b[..2]).collect();
        assert_eq!(names, [b"m0", b"m1", b"m2"]);
        assert_eq!(back_rx.try_iter().count(), 3, "every batch goes back to the walk");
    }
}
