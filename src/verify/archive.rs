/*!
Reading the archive's members: each selected one, with a safe name, becomes a check (its data
read here for `--all`), run on every core; the findings are printed in archive order.
*/

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::check::{AllCheck, ArchiveData, Content, Finding, Place, Task};
use super::dirs::Dirs;
use super::{LinkTarget, Verifier};
use crate::caps::FileCaps;
use crate::error::{Error, Result};
use crate::extract::SafeName;
use crate::format::reader::Reader;
use crate::format::{EntryMeta, Kind};
use std::sync::Arc;

/// Members up to this size travel to the checking threads with their data (`--all`).
const INLINE_MAX: u64 = 1 << 20;

/// Where a file's data lies, learned as a member's holes are checked in order
/// (`zeros_on_disk`): the run of data found last, and where the hole before it began. A seek is
/// asked once per run the file has, not once per hole the member has: a SEEK_HOLE walks the
/// file's pages on tmpfs, to its end in a file with no hole, so a seek per hole made the check
/// quadratic (found by fuzzing: 200,000 runs one KB apart kept `verify --all` busy for minutes;
/// 40,000 took 6 s, on ext4 0.2 s).
#[derive(Default)]
struct DiskRuns {
    /// From `hole_from` up to `data` a hole, then data up to `data_end` (`u64::MAX` both: a
    /// hole to the end).
    hole_from: u64,
    data: u64,
    data_end: u64,
    /// The filesystem could not say (or the file changed under the seeks): ranges are read.
    unknown: bool,
}

impl DiskRuns {
    /// The data on disk from `here` on, before `end`: the range to read, or `None` when all of
    /// it is a hole.
    fn data_from(&mut self, file: &std::fs::File, here: u64, end: u64) -> Option<(u64, u64)> {
        use rustix::fs::{SeekFrom, seek};
        if !self.unknown && !(self.hole_from..self.data_end).contains(&here) {
            match seek(file, SeekFrom::Data(here)) {
                Ok(data) => match seek(file, SeekFrom::Hole(data)) {
                    Ok(hole) if hole > data => (self.hole_from, self.data, self.data_end) = (here, data, hole),
                    _ => self.unknown = true,
                },
                Err(rustix::io::Errno::NXIO) => (self.hole_from, self.data, self.data_end) = (here, u64::MAX, u64::MAX),
                Err(_) => self.unknown = true,
            }
        }
        match self.unknown {
            true => Some((here, end)),
            false => (self.data < end).then(|| (here.max(self.data), end.min(self.data_end))),
        }
    }
}

/// Whether `len` bytes of `file` from `start` are all zeros: its holes (SEEK_DATA, SEEK_HOLE,
/// asked through `runs`) are, without reading them; the data between is read and checked.
fn zeros_on_disk(file: &std::fs::File, runs: &mut DiskRuns, start: u64, len: u64, buf: &mut [u8]) -> io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let end = start.saturating_add(len);
    let mut here = start;
    while here < end {
        let Some((from, until)) = runs.data_from(file, here, end) else { break };
        here = from;
        while here < until {
            let want = buf.len().min((until - here).min(usize::MAX as u64) as usize);
            let n = match file.read_at(&mut buf[..want], here) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => other?,
            };
            if n == 0 || buf[..n].iter().any(|&b| b != 0) {
                return Ok(false);
            }
            here += n as u64;
        }
    }
    Ok(true)
}

/// `rel` beneath `root` with every symlink on its path followed (`--dereference`), wherever it
/// leads; as joined where that fails (a name missing, a symlink leading nowhere: the check
/// finds what is there).
fn followed(root: &Path, rel: &Path) -> PathBuf {
    let joined = root.join(rel);
    std::fs::canonicalize(&joined).unwrap_or(joined)
}

impl Verifier<'_> {
    /// An error found reading the archive: said now, or in its place (`early`).
    fn say_error(&mut self, e: impl Into<Error>) {
        self.say(Finding::Error(e.into()));
    }

    /// A warning found reading the archive: said now, or in its place (`early`).
    fn say_warning(&mut self, w: String) {
        self.say(Finding::Warning(None, w));
    }

    fn say(&mut self, f: Finding) {
        match &mut self.early {
            Some(early) => early.push(f),
            // A failed flush of standard output (which `record` does first) is found again,
            // and reported, at the next write to it.
            None => drop(self.record(vec![f])),
        }
    }

    /// Decodes a member's archived capability, counting it; an invalid value is reported.
    fn archived_caps(&mut self, name: &Path, raw: Option<&[u8]>) -> std::result::Result<Option<FileCaps>, ()> {
        match raw.map(FileCaps::decode) {
            None => Ok(None),
            Some(Ok(c)) => {
                self.summary.with_caps += 1;
                Ok(Some(c))
            }
            Some(Err(e)) => {
                self.say_error(Error::entry(name, format!("the archive's capability value is invalid: {e}")));
                Err(())
            }
        }
    }

    pub(super) fn archive(&mut self, reader: &mut Reader, tick: &dyn Fn()) -> Result<()> {
        // Member checks run on every core (the archive's data, for --all, is read here and
        // travels with them); findings are printed in archive order.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // Two checking threads per core: measured 10% faster than one, as a thread is often
        // waiting for the next batch while the other cores have work. (None when no thread
        // could start: the process limit reached; then every member is checked here.)
        if cores > 1
            && let Some(done) = self.archive_parallel(reader, tick, 2 * cores)
        {
            return done;
        }
        while let Some((meta, rel)) = self.next_member(reader, tick)? {
            self.member(reader, meta, rel)?;
        }
        Ok(())
    }

    /// The next member to verify (selected, with a safe name), counted.
    fn next_member(&mut self, reader: &mut Reader, tick: &dyn Fn()) -> Result<Option<(Box<EntryMeta>, PathBuf)>> {
        // --extra needs every member's name: what is on disk and not in the archive is extra.
        while self.opts.extra || !self.members.done() {
            let next = reader.next_entry();
            for damage in reader.take_damage() {
                self.say_error(damage);
            }
            if let Some((kind, w)) = reader.take_end_warning() {
                self.say(Finding::Warning(kind, w.to_string()));
            }
            let Some(entry) = next? else { break };
            tick();
            let mut meta = entry.meta;
            if let Some(w) = meta.left_out_warning() {
                self.say_warning(w);
            }
            let Ok(mut name) = SafeName::parse(&meta.path) else {
                // An error only when it was to be verified (not left out, or unnamed).
                if self.members.selects(&meta.path, &meta.path) {
                    self.say_error(Error::entry(&meta.path, "member name contains '..'; not verified"));
                }
                continue;
            };
            // Selected by the name as archived, compared with the file --transform names.
            let selected = self.members.selects(&name.rel, &meta.path);
            if !self.opts.select.transforms.is_empty() {
                let archived = meta.path.clone();
                match SafeName::renamed_on_disk(&self.opts.select.transforms, &mut meta) {
                    Ok(None) => {}
                    Ok(Some(renamed)) => name = renamed,
                    Err(why) => {
                        if selected {
                            self.say_error(Error::entry(&archived, format!("{why}; not verified")));
                        }
                        continue;
                    }
                }
            }
            if self.opts.strip_components > 0 {
                // A member stripped to nothing is not extracted, so not compared (GNU tar's
                // `-d` warns that it cannot stat an empty name).
                let Some(stripped) = crate::extract::strip_member(self.opts.strip_components, &mut meta) else {
                    continue;
                };
                name = stripped;
            }
            if let Some(dir) = &self.opts.top_level {
                name = crate::extract::beneath_top_level(dir, name, &mut meta);
            }
            self.note_link_target(&meta, &name.rel);
            if !selected {
                // --extra leaves out what --exclude leaves out: matched below by the names as
                // found, which --transform, --strip-components and --one-top-level make differ
                // from the names excluded here.
                if self.opts.extra && (!self.opts.select.transforms.is_empty() || self.opts.moves_members()) {
                    self.seen.insert(name.rel);
                }
                continue;
            }
            self.summary.entries += 1;
            if name.had_root {
                // Named as extraction made it, beneath DIR, as GNU tar's `-d` names it: the
                // archived name was the host's file, which was not the one compared (found by
                // review).
                if !self.said_root {
                    self.said_root = true;
                    self.report.note("removing leading '/' from member names");
                }
                // A member named `/` is DIR itself: `.`, as GNU tar names it.
                let rest = super::differences::beneath_root(&meta.path);
                meta.path = if rest.as_os_str().is_empty() { PathBuf::from(".") } else { rest.to_path_buf() };
            }
            self.note_style(&meta.path);
            if self.opts.extra {
                self.seen.insert(name.rel.clone());
                if meta.kind == Kind::Dir {
                    self.dirs.push(name.rel.clone());
                }
                // What an incremental dump lists as unchanged since an earlier one is not
                // extra (found by audit: a capped one was, after a whole chain's restore).
                if let Some(names) = meta.dumpdir.as_deref().and_then(|d| crate::extract::listed_names(d).ok()) {
                    for n in names {
                        self.seen
                            .insert(name.rel.join(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(n)));
                    }
                }
            }
            return Ok(Some((meta, name.rel)));
        }
        Ok(None)
    }

    fn archive_parallel(&mut self, reader: &mut Reader, tick: &dyn Fn(), workers: usize) -> Option<Result<()>> {
        const BATCH: usize = 256;
        const BATCH_BYTES: usize = 4 << 20;
        let mut batch_bytes = 0usize;
        let (task_tx, task_rx) = std::sync::mpsc::sync_channel::<(u64, Vec<Task>)>(2 * workers);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<(u64, Vec<Finding>, Vec<Task>)>();
        let task_rx = std::sync::Mutex::new(task_rx);
        let root = self.root.clone();
        let keep_dir_symlinks = self.dirs_open.dest.as_ref().is_some_and(|d| d.keeps_dir_symlinks());
        let named = self.opts.name_members.is_some();
        let outcome = std::thread::scope(|s| -> Option<Result<()>> {
            let mut started = 0;
            for _ in 0..workers {
                let (task_rx, done_tx) = (&task_rx, done_tx.clone());
                let root = &root;
                let worker = std::thread::Builder::new().spawn_scoped(s, move || {
                    let mut dirs = Dirs::beneath(root, keep_dir_symlinks);
                    loop {
                        let next = match task_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok((seq, tasks)) = next else { return };
                        let findings = tasks.iter().flat_map(|t| t.check_named(&mut dirs, named)).collect();
                        // The tasks go back to be dropped on the thread that made them: glibc's
                        // free of another thread's names took 6% of these threads' time (3-4%
                        // of a caps-only verify's, measured alternating).
                        if done_tx.send((seq, findings, tasks)).is_err() {
                            return;
                        }
                    }
                });
                if worker.is_err() {
                    break;
                }
                started += 1;
            }
            if started == 0 {
                return None;
            }
            drop(done_tx);
            let mut sent = 0u64;
            let mut next_out = 0u64;
            let mut waiting: BTreeMap<u64, Vec<Finding>> = BTreeMap::new();
            let mut batch = Vec::with_capacity(BATCH);
            let mut result = Ok(());
            self.early = Some(Vec::new());
            loop {
                let member = match self.next_member(reader, tick) {
                    Ok(m) => m,
                    Err(e) => {
                        result = Err(e);
                        None
                    }
                };
                let done = member.is_none();
                let task = match member.map(|(meta, rel)| self.task(reader, meta, rel)).transpose() {
                    Ok(task) => task.flatten(),
                    Err(e) => {
                        result = Err(e);
                        None
                    }
                };
                // What reading found comes after the members read before it, and before this
                // one's findings: the batch so far goes first, then it, in its own place.
                let early = self.early.as_mut().map(std::mem::take).unwrap_or_default();
                if !early.is_empty() {
                    if !batch.is_empty() {
                        batch_bytes = 0;
                        if task_tx.send((sent, std::mem::take(&mut batch))).is_err() {
                            break;
                        }
                        sent += 1;
                    }
                    waiting.insert(sent, early);
                    sent += 1;
                }
                if result.is_err() && !done {
                    // The member's task failed (its data cut short): nothing after it is read,
                    // and the members before it are still checked (found by review: --all
                    // dropped their differences, caps-only verify reported them).
                    if !batch.is_empty() && task_tx.send((sent, std::mem::take(&mut batch))).is_ok() {
                        sent += 1;
                    }
                    break;
                }
                if let Some(task) = task {
                    if let Some(AllCheck { content, meta, .. }) = task.all.as_deref() {
                        batch_bytes += meta.xattr_bytes();
                        match content {
                            Content::Inline(d) => batch_bytes += d.len(),
                            // Read by the checking thread: counted so that large files are
                            // spread over the threads, not checked in one batch by one.
                            Content::InArchive(..) => batch_bytes += meta.size.min(BATCH_BYTES as u64) as usize,
                            _ => {}
                        }
                    }
                    batch.push(task);
                    // Its data cut short: checked as far as its header goes, then the run stops.
                    if let Some(e) = self.cut_data.take() {
                        result = Err(e);
                        if task_tx.send((sent, std::mem::take(&mut batch))).is_ok() {
                            sent += 1;
                        }
                        break;
                    }
                }
                // At most BATCH members or BATCH_BYTES of inline data per batch: memory stays
                // bounded by the queue's few batches.
                if (done && !batch.is_empty()) || batch.len() >= BATCH || batch_bytes >= BATCH_BYTES {
                    batch_bytes = 0;
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if task_tx.send((sent, full)).is_err() {
                        break;
                    }
                    sent += 1;
                }
                // Print what is ready, in order.
                while let Ok((seq, findings, _tasks)) = done_rx.try_recv() {
                    waiting.insert(seq, findings);
                }
                while let Some(findings) = waiting.remove(&next_out) {
                    if let Err(e) = self.record(findings) {
                        return Some(Err(e));
                    }
                    next_out += 1;
                }
                if done {
                    break;
                }
            }
            drop(task_tx);
            while next_out < sent {
                match waiting.remove(&next_out) {
                    Some(findings) => {
                        if let Err(e) = self.record(findings) {
                            return Some(Err(e));
                        }
                        next_out += 1;
                    }
                    None => match done_rx.recv() {
                        Ok((seq, findings, _tasks)) => {
                            waiting.insert(seq, findings);
                        }
                        Err(_) => break,
                    },
                }
            }
            Some(result)
        });
        // Said in any case (a write to standard output that failed stopped the printing).
        let left = self.early.take().unwrap_or_default();
        let _ = self.record(left);
        outcome
    }

    fn member(&mut self, reader: &mut Reader, meta: Box<EntryMeta>, rel: PathBuf) -> Result<()> {
        let Some(task) = self.task(reader, meta, rel)? else { return Ok(()) };
        let findings = task.check_named(&mut self.dirs_open, self.opts.name_members.is_some());
        self.record(findings)?;
        self.cut_data.take().map_or(Ok(()), Err)
    }

    /// Records what a hard link to the member's name would name, for the link members after
    /// it: the type and capability of the last member of that name (a link member's are its
    /// target's; its own capability, where it has one, as bsdtar repeats it). A link member
    /// selected without its first name still compares with that name's capability (GNU tar
    /// and captar put it there only), of any type (the kernel keeps one on a fifo, a device
    /// or a symlink too), and its file on disk must be of that name's type. Only what is not a
    /// regular file without a capability is kept (found by review: a link to a capped fifo or
    /// symlink differed, and one to a name an earlier link had taken compared with what the
    /// name held before).
    fn note_link_target(&mut self, meta: &EntryMeta, rel: &Path) {
        let own = meta.caps_raw().map(<[u8]>::to_vec);
        let target = match meta.kind {
            Kind::Dir => None,
            Kind::HardLink => {
                let to = meta.link.as_deref().and_then(|l| SafeName::parse(l).ok());
                let to = to.and_then(|t| self.link_targets.get(t.rel.as_os_str()).cloned());
                let kind = to.as_ref().map_or(Kind::File, |t| t.kind);
                let caps = own.or_else(|| to.and_then(|t| t.caps));
                (kind != Kind::File || caps.is_some()).then_some(LinkTarget { kind, caps })
            }
            Kind::File if own.is_none() => None,
            kind => Some(LinkTarget { kind, caps: own }),
        };
        let name = rel.as_os_str();
        match target {
            Some(t) => {
                self.recorded.add(name.as_encoded_bytes());
                self.link_targets.insert(name.to_os_string(), t);
            }
            None if self.recorded.may_hold(name.as_encoded_bytes()) => {
                self.link_targets.remove(name);
            }
            None => {}
        }
    }

    /// The check of one member, with its archived capability resolved (a hard link member's
    /// is its first name's: GNU tar puts it there only); `None` when the value is invalid. With
    /// `--all`, also the member and its data inline (small) or already compared with the file
    /// (large).
    fn task(&mut self, reader: &mut Reader, mut meta: Box<EntryMeta>, rel: PathBuf) -> Result<Option<Task>> {
        // A name seen before, and what its earlier members' checks found, held until now.
        let again = self.holding && self.names_seen.insert(rel.as_os_str().as_encoded_bytes());
        // A link member's own entry, made by `note_link_target`.
        let link = match meta.kind {
            Kind::HardLink => self.link_targets.get(rel.as_os_str()).cloned(),
            _ => None,
        };
        let raw: Option<Vec<u8>> = match meta.kind {
            Kind::HardLink => link.as_ref().and_then(|t| t.caps.clone()),
            _ => meta.caps_raw().map(<[u8]>::to_vec),
        };
        let Ok(archived) = self.archived_caps(&meta.path, raw.as_deref()) else { return Ok(None) };
        let (kind, risk, rootid) = (meta.kind, self.opts.risk, self.opts.rootid);
        let link_kind = link.map_or(Kind::File, |t| t.kind);
        // A directory's incremental listing, compared with the names on disk; not under
        // --transform, which may rename them.
        let listing = match meta.kind {
            Kind::Dir if self.opts.select.transforms.is_empty() => meta.dumpdir.take().map(Vec::into_boxed_slice),
            _ => None,
        };
        // The check of what the header says: type and capability (made once, on one of the
        // three ways out below).
        let (root, dereference) = (self.root.clone(), self.opts.dereference);
        let header_only = move |name: PathBuf, rel: PathBuf, archived: Option<FileCaps>| Task {
            name,
            // With --dereference, the file the symlinks on its path lead to, wherever that is.
            place: match dereference {
                true => Place::Path(followed(&root, &rel)),
                false => Place::Beneath { root, rel },
            },
            manifest: false,
            kind,
            link_kind,
            archived,
            rootid,
            risk,
            again,
            all: None,
            listing,
        };
        if !self.opts.all {
            return Ok(Some(header_only(meta.path, rel, archived)));
        }
        let link_target = match meta.kind {
            Kind::HardLink => {
                meta.link.as_deref().and_then(|l| SafeName::parse(l).ok()).map(|n| match self.opts.dereference {
                    true => followed(&self.root, &n.rel),
                    false => n.rel,
                })
            }
            _ => None,
        };
        let content = if meta.kind != Kind::File || meta.size == 0 {
            Ok(Content::None)
        } else if let Some((archive, offset)) = self.data_in_archive(reader) {
            Ok(Content::InArchive(archive, offset))
        } else if meta.size <= INLINE_MAX {
            let mut data = Vec::with_capacity(meta.size as usize);
            let read = reader.data().read_to_end(&mut data);
            read.map(|_| Content::Inline(data)).map_err(|e| Error::of_data(&meta.path, e))
        } else {
            self.stream_content(reader, &rel, meta.size)
        };
        let content = match content {
            Ok(content) => content,
            // Its data cut short (the archive ends in it), its header whole: its type and
            // capability are compared still, as without --all, and the error then stops the
            // run (found by review: --all left the member's differences unsaid).
            Err(e) => {
                self.cut_data = Some(e);
                return Ok(Some(header_only(meta.path, rel, archived)));
            }
        };
        let name = meta.path.clone();
        let (owners, numeric_owner) = (self.opts.owners, self.opts.numeric_owner);
        // Only the xattrs extract restores with the same options, where they were given.
        if let Some(policy) = &self.opts.xattrs {
            meta.xattrs.retain(|(n, _)| n == crate::caps::XATTR_NAME || policy.wants(n));
        }
        // The xattrs on disk to look for in the archive: those the options restore.
        let disk_xattrs = self.opts.xattrs.clone().filter(|p| !p.caps_only_mode());
        if disk_xattrs.is_none() && meta.xattrs.iter().any(|(n, _)| n != crate::caps::XATTR_NAME) {
            self.xattrs_one_way = true;
        }
        let all = Some(Box::new(AllCheck { meta: *meta, link_target, content, owners, numeric_owner, disk_xattrs }));
        Ok(Some(Task { all, ..header_only(name, rel, archived) }))
    }

    /// Where the member's data lies in a plain archive file, for the check to read it from
    /// there: the archive file (shared, its descriptor dup'd the first time) and the offset.
    /// None out of a pipe or a decompressor, for a sparse member, or with no descriptor left.
    fn data_in_archive(&mut self, reader: &Reader) -> Option<(Arc<ArchiveData>, u64)> {
        let (fd, offset) = reader.data_in_file()?;
        if self.archive_data.is_none() {
            let fd = fd.try_clone_to_owned().ok()?;
            self.archive_data = Some(Arc::new(ArchiveData { fd, name: reader.archive_name().to_string() }));
        }
        Some((self.archive_data.clone()?, offset))
    }

    /// Compares a large member's data with the file while the archive is read: `Known(None)`
    /// when the file cannot be compared (the check reports why: missing, another type or
    /// size), `Unreadable` when it could not be opened or read (the check says the error).
    /// An error reading the archive stops the run.
    fn stream_content(&mut self, reader: &mut Reader, rel: &Path, size: u64) -> Result<Content> {
        let opened = match self.opts.dereference {
            true => crate::extract::beneath::open_regular_at(rustix::fs::CWD, followed(&self.root, rel)),
            false => self.dirs_open.open_beneath(&self.root, rel),
        };
        let mut file = match opened {
            Ok(file) => file,
            // Not there, or not a regular file (`open_regular_at`'s `Other`; a symlink's ELOOP):
            // the check says which.
            Err(e)
                if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::Other)
                    || matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR | libc::ENXIO)) =>
            {
                return Ok(Content::Known(None));
            }
            Err(e) => return Ok(Content::unreadable("open", &e)),
        };
        match file.metadata() {
            Ok(md) if md.is_file() && md.len() == size => {}
            _ => return Ok(Content::Known(None)),
        }
        let mut pos = 0u64;
        let mut runs = DiskRuns::default();
        loop {
            // A sparse member's hole is compared without reading zeros on either side: 2 KB of
            // archive may describe a 16 TiB file of holes.
            let hole = reader.take_hole();
            if hole > 0 {
                match zeros_on_disk(&file, &mut runs, pos, hole, &mut self.buf_b) {
                    Ok(true) => {}
                    Ok(false) => return Ok(Content::Known(Some(false))),
                    Err(e) => return Ok(Content::unreadable("read", &e)),
                }
                pos += hole;
                if let Err(e) = io::Seek::seek(&mut file, io::SeekFrom::Start(pos)) {
                    return Ok(Content::unreadable("seek", &e));
                }
                continue;
            }
            let n = reader.read_data(&mut self.buf_a)?;
            if n == 0 {
                return Ok(Content::Known(Some(true)));
            }
            if let Err(e) = file.read_exact(&mut self.buf_b[..n]) {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    return Ok(Content::Known(Some(false)));
                }
                // The rest of the member is skipped by the reader (`next_entry`).
                return Ok(Content::unreadable("read", &e));
            }
            if self.buf_a[..n] != self.buf_b[..n] {
                return Ok(Content::Known(Some(false)));
            }
            pos += n as u64;
        }
    }
}
