/*!
`captar verify`: prove that a restore or migration kept every capability. For each archive
member (or each line of a `getcap -r` manifest) the file beneath DIR is compared with what the
archive says: capabilities as decoded sets by default, and with `--all` everything a faithful
restore keeps. `tar --compare` has no xattr code at all (GNU tar src/compare.c); this is the
check that catches a restore that stripped capabilities.

Capabilities compare as what a reader in this namespace sees: a v1 value equals its v2
equivalent, and a v3 value whose rootid is 0 equals the v2 value (the kernel shows a v3 value
as v2 to a reader whose namespace root is its rootid; in the initial namespace that is rootid
0). Any other rootid must match exactly.
*/

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::audit::scan::{self, ScanOptions};
use crate::caps::{self, FileCaps};
use crate::error::{Error, IoContext, Outcome, Report, Result};
use crate::extract::RootidPolicy;
use crate::extract::SafeName;
use crate::format::reader::Reader;
use crate::format::{EntryMeta, Kind, open_archive_counted};
use crate::list::quote_name;
use crate::progress::Progress;
use crate::select::{Members, Selection};

mod check;
mod dirs;
use check::{AllCheck, Content, Finding, Place, Task};
use dirs::{Dirs, Unreachable};
use std::sync::atomic::Ordering;

/// What is compared against DIR.
#[derive(Debug, Clone)]
pub enum Source {
    Archive(PathBuf),
    /// The output of `getcap -r` / `getcap -n -r`.
    Manifest(PathBuf),
}

impl Source {
    fn label(&self) -> &'static str {
        match self {
            Source::Archive(_) => "archive",
            Source::Manifest(_) => "manifest",
        }
    }
}

#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub source: Source,
    /// DIR; `None` means the current directory (and `/` for absolute manifest paths).
    pub directory: Option<PathBuf>,
    /// The members (or manifest paths) compared: those named, less those excluded.
    pub select: Selection,
    pub all: bool,
    pub json: bool,
    pub extra: bool,
    pub risk: bool,
    /// Draw a progress bar on stderr (the CLI decides: a terminal, no -q, no --json).
    pub progress: bool,
    /// Compare the archive's capabilities as extract with this `--cap-rootid` writes them.
    pub rootid: RootidPolicy,
    /// Print the summary line when nothing differs (`copy -q` does not).
    pub summary_on_pass: bool,
    /// Members' paths go through symlinks to directories, and a directory member found as
    /// one is as `extract --keep-directory-symlink` left it.
    pub keep_directory_symlink: bool,
    /// `--checkpoint`: actions every N records of the archive read.
    pub checkpoints: std::option::Option<std::sync::Arc<crate::checkpoint::Checkpoints>>,
    /// The archive is read in records of this many bytes (GNU tar's `--record-size`): what
    /// `--totals` counts.
    pub record: u64,
    /// Print each member's name as it is compared, after this prefix: `Verify ` as GNU tar's
    /// `-W` does with `-v`, none as its `-dv`.
    pub name_members: Option<&'static str>,
    /// With `all`: compare owners (not when they were not restored: `copy --no-same-owner`).
    pub owners: bool,
    /// Owners are the archive's ids; else a user or group name the archive gives that this
    /// system knows stands for its id here, as extract restores it (GNU tar's `-d` the same).
    pub numeric_owner: bool,
}

/// The kinds of difference, in the order the summary lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    Missing,
    CapsDiffer,
    CapsMissing,
    CapsExtra,
    Type,
    Mode,
    Owner,
    Size,
    Mtime,
    LinkTarget,
    HardLink,
    Device,
    Content,
    Xattr,
    ExtraCapped,
}

impl DiffKind {
    /// What the difference is; `source` names what was compared with the disk (`archive`,
    /// `manifest`).
    fn label(self, source: &str) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            DiffKind::Missing => "missing on disk",
            DiffKind::CapsDiffer => "capabilities differ",
            DiffKind::CapsMissing => "capabilities missing on disk",
            DiffKind::CapsExtra => return format!("capabilities on disk not in {source}").into(),
            DiffKind::Type => "type differs",
            DiffKind::Mode => "mode differs",
            DiffKind::Owner => "owner differs",
            DiffKind::Size => "size differs",
            DiffKind::Mtime => "mtime differs",
            DiffKind::LinkTarget => "symlink target differs",
            DiffKind::HardLink => "hard link differs",
            DiffKind::Device => "device numbers differ",
            DiffKind::Content => "contents differ",
            DiffKind::Xattr => "xattr differs",
            DiffKind::ExtraCapped => return format!("capped file not in {source}").into(),
        })
    }
}

/// One difference; `archive` and `disk` say what each side holds where that helps.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub path: String,
    pub kind: DiffKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
    /// What `archive` comes from: `archive` or `manifest`.
    #[serde(skip)]
    pub source: &'static str,
}

impl Difference {
    /// The one-line text form.
    pub fn line(&self) -> String {
        let detail = match (self.kind, &self.archive, &self.disk) {
            (DiffKind::CapsMissing, Some(a), _) => format!(" ({} {a})", self.source),
            (DiffKind::CapsExtra | DiffKind::ExtraCapped | DiffKind::Missing, _, Some(d)) => format!(": {d}"),
            (_, Some(a), Some(d)) => format!(": {} {a}, disk {d}", self.source),
            _ => String::new(),
        };
        let risk = self.risk.as_ref().map(|r| format!(" [risk={r}]")).unwrap_or_default();
        format!("{}: {}{detail}{risk}", self.path, self.kind.label(self.source))
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub entries: u64,
    pub with_caps: u64,
    pub differences: u64,
    pub by_kind: BTreeMap<DiffKind, u64>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    differences: &'a [Difference],
    summary: &'a Summary,
}

/// Members up to this size travel to the checking threads with their data (`--all`).
const INLINE_MAX: u64 = 1 << 20;

/// The capability of a file as this namespace's reader sees it, normalised for comparison.
fn normalise(c: FileCaps) -> FileCaps {
    match c.rootid {
        Some(0) => c.to_v2(),
        Some(_) => c,
        None => c.to_v2(),
    }
}

struct Verifier<'a> {
    opts: &'a VerifyOptions,
    report: &'a Report,
    /// `-C`'s directory (`.` without it), shared by the tasks that name files beneath it.
    root: Arc<Path>,
    out: Box<dyn Write + 'a>,
    diffs: Vec<Difference>,
    summary: Summary,
    /// Capability of each first name of a hard-linked inode, for its link members.
    link_caps: HashMap<PathBuf, Vec<u8>>,
    /// The members asked for.
    members: Members<'a>,
    /// Every member path, when `--extra` needs them.
    seen: HashSet<PathBuf>,
    dirs: Vec<PathBuf>,
    /// How the first name verified begins (`/`, `./` or nothing), for `--extra`'s names.
    style: Option<&'static str>,
    buf_a: Vec<u8>,
    buf_b: Vec<u8>,
    /// The open directory of the last check made on this thread.
    dirs_open: Dirs,
    /// While members are checked on other threads: what reading the archive found to say
    /// (damage, members not verified, records left out), said in its place among the checks'
    /// findings, in archive order.
    early: Option<Vec<Finding>>,
}

pub fn verify(opts: &VerifyOptions, report: &Report) -> Result<Outcome> {
    let root: Arc<Path> = opts.directory.as_deref().unwrap_or(Path::new(".")).into();
    let out: Box<dyn Write> = Box::new(io::BufWriter::new(io::stdout().lock()));
    let mut v = Verifier {
        opts,
        report,
        root,
        out,
        diffs: Vec::new(),
        summary: Summary::default(),
        link_caps: HashMap::new(),
        seen: HashSet::new(),
        dirs: Vec::new(),
        style: None,
        buf_a: vec![0; 1 << 20],
        buf_b: vec![0; 1 << 20],
        dirs_open: Dirs::default(),
        early: None,
        members: match opts.source {
            Source::Manifest(_) => Members::for_paths(&opts.select),
            Source::Archive(_) => Members::new(&opts.select),
        },
    };
    if let Some(dir) = &opts.directory
        && !dir.is_dir()
    {
        let e = std::fs::metadata(dir).err().unwrap_or_else(|| io::Error::from_raw_os_error(libc::ENOTDIR));
        return Err(Error::io(dir, "open the directory to verify against", e));
    }
    if opts.keep_directory_symlink {
        let mut dest = crate::extract::beneath::Dest::open_for_lookup(&v.root)
            .map_err(|e| Error::io(&*v.root, "open the directory to verify against", e))?;
        dest.keep_dir_symlinks().map_err(|e| Error::entry(&*v.root, e.to_string()))?;
    }
    if matches!(opts.source, Source::Archive(_)) || opts.directory.is_some() {
        v.dirs_open = Dirs::beneath(&v.root, opts.keep_directory_symlink);
    }
    match v.run(opts, report) {
        // `captar verify ... | head`: the reader went away; verify stops there, and its exit
        // code says what was found so far (1 once a difference was printed), never a pass
        // it did not see (main would take a broken pipe on standard output for success).
        Err(Error::Io { ref source, ref path, .. })
            if source.kind() == io::ErrorKind::BrokenPipe && path.as_os_str() == crate::error::STDOUT => {}
        other => {
            other?;
            // As extract and tar --compare: a member asked for and not there is an error, not
            // a pass. With a manifest and --extra, a path named is also where to look for
            // capabilities gained: one the manifest has no line under is expected to have none.
            let scanned = matches!(opts.source, Source::Manifest(_)) && opts.extra;
            for e in v.members.not_found(opts.source.label()).into_iter().filter(|_| !scanned) {
                report.error(e);
            }
        }
    }
    // A warning (xattrs left out of a member, a capability recorded twice and differently)
    // exits 1 as in extract and list.
    Ok(match report.outcome() {
        Outcome::Ok if v.summary.differences > 0 => Outcome::Differences,
        outcome => outcome,
    })
}

impl Verifier<'_> {
    /// Reads the archive or manifest, checks every member (and, with --extra, the tree) and
    /// prints the findings and the summary.
    fn run(&mut self, opts: &VerifyOptions, report: &Report) -> Result<()> {
        match &opts.source {
            Source::Archive(path) => {
                let opened = open_archive_counted(path)?;
                let progress = Progress::bytes(opts.progress, opened.input_len, "verifying");
                report.attach(&progress);
                let mut reader = opened.reader;
                opts.select.prepare(&mut reader)?;
                reader.refuse_empty();
                if let Some(c) = &opts.checkpoints {
                    reader.set_checkpoints(c.counter());
                }
                let tick = || progress.set_position(opened.input_pos.load(Ordering::Relaxed));
                let result = self.archive(&mut reader, &tick);
                progress.finish();
                result?;
                report.set_total(reader.records_read(opts.record));
            }
            Source::Manifest(path) => self.manifest(path)?,
        }
        if opts.extra {
            self.extra()?;
        }
        self.finish()
    }
}

/// Whether `len` bytes of `file` from `start` are all zeros: its holes (SEEK_DATA, SEEK_HOLE)
/// are, without reading them; the data between is read and checked.
fn zeros_on_disk(file: &std::fs::File, start: u64, len: u64, buf: &mut [u8]) -> io::Result<bool> {
    use std::os::unix::fs::FileExt;
    let end = start.saturating_add(len);
    // Where the filesystem cannot say, the whole range is read.
    let runs = crate::create::sparse::data_runs(file, start, end).unwrap_or_else(|| vec![(start, end - start)]);
    for (offset, run) in runs {
        let (mut here, until) = (offset, offset + run);
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

/// A name as verify prints it: as `tar -t` and `captar list` do (escaped, so each difference is
/// one line and two names never print alike), without a directory's trailing slash.
fn display(path: &Path) -> String {
    let b = path.as_os_str().as_bytes();
    quote_name(b.strip_suffix(b"/").filter(|s| !s.is_empty()).unwrap_or(b))
}

impl Verifier<'_> {
    fn differ(
        &mut self,
        path: &Path,
        kind: DiffKind,
        archive: Option<String>,
        disk: Option<String>,
        risk: Option<String>,
    ) -> Result<()> {
        self.push(Difference { path: display(path), kind, archive, disk, risk, source: self.opts.source.label() })
    }

    fn push(&mut self, d: Difference) -> Result<()> {
        let kind = d.kind;
        self.summary.differences += 1;
        *self.summary.by_kind.entry(kind).or_default() += 1;
        if self.opts.json {
            self.diffs.push(d);
        } else {
            writeln!(self.out, "{}", d.line()).map_err(Error::stdout)?;
        }
        Ok(())
    }

    fn risk_of(&self, c: Option<&FileCaps>) -> Option<String> {
        if self.opts.risk { c.and_then(caps::risk::describe) } else { None }
    }

    /// Compares a member's capability (raw archive value) with the file's.
    /// Records what a check found: differences in order, errors on the report.
    fn record(&mut self, findings: Vec<Finding>) -> Result<()> {
        for f in findings {
            match f {
                Finding::Name(name) => {
                    let prefix = self.opts.name_members.unwrap_or_default();
                    let quoted = quote_name(name.as_os_str().as_bytes());
                    writeln!(self.out, "{prefix}{quoted}").map_err(Error::stdout)?;
                }
                Finding::Diff(d) => self.push(d)?,
                Finding::Error(e) => self.report.error(e),
                Finding::Warning(w) => self.report.warn(w),
            }
        }
        Ok(())
    }

    /// An error found reading the archive: said now, or in its place (`early`).
    fn say_error(&mut self, e: impl Into<Error>) {
        match &mut self.early {
            Some(early) => early.push(Finding::Error(e.into())),
            None => self.report.error(e.into()),
        }
    }

    /// A warning found reading the archive: said now, or in its place (`early`).
    fn say_warning(&mut self, w: String) {
        match &mut self.early {
            Some(early) => early.push(Finding::Warning(w)),
            None => self.report.warn(w),
        }
    }

    /// Decodes a member's archived capability, counting it; an invalid value is reported.
    fn archived_caps(&mut self, name: &Path, raw: Option<&[u8]>) -> std::result::Result<Option<FileCaps>, ()> {
        match raw.map(FileCaps::decode) {
            None => Ok(None),
            Some(Ok(c)) => {
                self.summary.with_caps += 1;
                Ok(Some(self.opts.rootid.apply(c)))
            }
            Some(Err(e)) => {
                self.say_error(Error::entry(name, format!("the archive's capability value is invalid: {e}")));
                Err(())
            }
        }
    }

    fn archive(&mut self, reader: &mut Reader, tick: &dyn Fn()) -> Result<()> {
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
    fn next_member(&mut self, reader: &mut Reader, tick: &dyn Fn()) -> Result<Option<(EntryMeta, PathBuf)>> {
        // --extra needs every member's name: what is on disk and not in the archive is extra.
        while self.opts.extra || !self.members.done() {
            let next = reader.next_entry();
            for damage in reader.take_damage() {
                self.say_error(damage);
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
                match SafeName::renamed(&self.opts.select.transforms, &mut meta) {
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
            // A link member selected without its first name still compares with that name's
            // capability (GNU tar and captar put it there only).
            if meta.kind == Kind::File
                && let Some(raw) = meta.caps_raw()
            {
                self.link_caps.insert(name.rel.clone(), raw.to_vec());
            }
            if !selected {
                // --extra leaves out what --exclude leaves out: matched below by the names as
                // found, which --transform makes differ from the names excluded here.
                if self.opts.extra && !self.opts.select.transforms.is_empty() {
                    self.seen.insert(name.rel);
                }
                continue;
            }
            self.summary.entries += 1;
            self.note_style(&meta.path);
            if self.opts.extra {
                self.seen.insert(name.rel.clone());
                if meta.kind == Kind::Dir {
                    self.dirs.push(name.rel.clone());
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
        let (done_tx, done_rx) = std::sync::mpsc::channel::<(u64, Vec<Finding>)>();
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
                        if done_tx.send((seq, findings)).is_err() {
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
                    break; // the member's task failed: nothing after it is read
                }
                if let Some(task) = task {
                    if let Some(AllCheck { content, meta, .. }) = task.all.as_deref() {
                        batch_bytes += meta.xattr_bytes();
                        if let Content::Inline(d) = content {
                            batch_bytes += d.len();
                        }
                    }
                    batch.push(task);
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
                while let Ok((seq, findings)) = done_rx.try_recv() {
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
                        Ok((seq, findings)) => {
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

    fn member(&mut self, reader: &mut Reader, meta: EntryMeta, rel: PathBuf) -> Result<()> {
        let Some(task) = self.task(reader, meta, rel)? else { return Ok(()) };
        let findings = task.check_named(&mut self.dirs_open, self.opts.name_members.is_some());
        self.record(findings)
    }

    /// The check of one member, with its archived capability resolved (a hard link member's
    /// is its first name's: GNU tar puts it there only); `None` when the value is invalid. With
    /// `--all`, also the member and its data inline (small) or already compared with the file
    /// (large).
    fn task(&mut self, reader: &mut Reader, meta: EntryMeta, rel: PathBuf) -> Result<Option<Task>> {
        let raw: Option<Vec<u8>> = if meta.kind == Kind::HardLink {
            let target = meta.link.as_deref().and_then(|l| SafeName::parse(l).ok()).map(|n| n.rel);
            meta.caps_raw().map(<[u8]>::to_vec).or_else(|| target.and_then(|t| self.link_caps.get(&t).cloned()))
        } else {
            meta.caps_raw().map(<[u8]>::to_vec)
        };
        let Ok(archived) = self.archived_caps(&meta.path, raw.as_deref()) else { return Ok(None) };
        let (kind, risk) = (meta.kind, self.opts.risk);
        if !self.opts.all {
            let place = Place::Beneath { root: self.root.clone(), rel };
            let name = meta.path;
            return Ok(Some(Task { name, place, manifest: false, kind, archived, rootids: true, risk, all: None }));
        }
        let content = if meta.kind != Kind::File || meta.size == 0 {
            Content::None
        } else if meta.size <= INLINE_MAX {
            let mut data = Vec::with_capacity(meta.size as usize);
            reader.data().read_to_end(&mut data).map_err(|e| Error::of_data(&meta.path, e))?;
            Content::Inline(data)
        } else {
            Content::Known(self.stream_content(reader, &rel, meta.size)?)
        };
        let link_target = match meta.kind {
            Kind::HardLink => meta.link.as_deref().and_then(|l| SafeName::parse(l).ok()).map(|n| n.rel),
            _ => None,
        };
        let name = meta.path.clone();
        let (owners, numeric_owner) = (self.opts.owners, self.opts.numeric_owner);
        let all = Some(Box::new(AllCheck { meta, link_target, content, owners, numeric_owner }));
        let place = Place::Beneath { root: self.root.clone(), rel };
        Ok(Some(Task { name, place, manifest: false, kind, archived, rootids: true, risk, all }))
    }

    /// Compares a large member's data with the file while the archive is read; `None` when the
    /// file cannot be compared (the check reports why: missing, another type or size).
    fn stream_content(&mut self, reader: &mut Reader, rel: &Path, size: u64) -> Result<Option<bool>> {
        let Ok(mut file) = self.dirs_open.open_beneath(rel) else { return Ok(None) };
        match file.metadata() {
            Ok(md) if md.is_file() && md.len() == size => {}
            _ => return Ok(None),
        }
        let mut pos = 0u64;
        loop {
            // A sparse member's hole is compared without reading zeros on either side: 2 KB of
            // archive may describe a 16 TiB file of holes.
            let hole = reader.take_hole();
            if hole > 0 {
                let zeros = zeros_on_disk(&file, pos, hole, &mut self.buf_b);
                if !zeros.map_err(|e| Error::io(self.root.join(rel), "read", e))? {
                    return Ok(Some(false));
                }
                pos += hole;
                io::Seek::seek(&mut file, io::SeekFrom::Start(pos))
                    .map_err(|e| Error::io(self.root.join(rel), "seek", e))?;
                continue;
            }
            let n = reader.read_data(&mut self.buf_a)?;
            if n == 0 {
                return Ok(Some(true));
            }
            if let Err(e) = file.read_exact(&mut self.buf_b[..n]) {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    return Ok(Some(false));
                }
                return Err(Error::io(self.root.join(rel), "read", e));
            }
            if self.buf_a[..n] != self.buf_b[..n] {
                return Ok(Some(false));
            }
            pos += n as u64;
        }
    }

    /// A manifest from `getcap -n -r` records rootids (a line without ` [rootid=N]` means none);
    /// one from plain `getcap -r` does not, so its lines compare sets and effective flag only.
    /// A manifest with at least one rootid suffix is read as the former.
    fn manifest(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read(path).at(path, "read the manifest")?;
        let mut lines = Vec::new();
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse_manifest_line(line) {
                Some(parsed) => lines.push(parsed),
                None => self.report.error(format!(
                    "{}:{}: not a `getcap` line (PATH CAPABILITIES [rootid=N])",
                    path.display(),
                    i + 1
                )),
            }
        }
        let records_rootids = lines.iter().any(|(_, c)| c.rootid.is_some());
        // --extra names what it finds as the manifest's lines are written, selected or not.
        if let Some((first, _)) = lines.first() {
            self.note_style(Path::new(std::ffi::OsStr::from_bytes(first)));
        }
        for (file_path, caps) in lines {
            let shown = PathBuf::from(std::ffi::OsStr::from_bytes(&file_path));
            // Compared with the names given as members are: without a leading `/` or `./`.
            if !self.members.selects(&SafeName::rel_of(&shown), &shown) {
                continue;
            }
            self.note_style(&shown);
            // Under -C, a path (absolute or relative) names a file beneath DIR, looked up there
            // through no symlink, as archive members are: one in the restored tree must not
            // send the check to the host's file of that name.
            let place = match &self.opts.directory {
                Some(_) => match SafeName::parse(&shown) {
                    Ok(n) => Place::Beneath { root: self.root.clone(), rel: n.rel },
                    Err(_) => {
                        self.report.error(Error::entry(&shown, "path contains '..'; not verified"));
                        continue;
                    }
                },
                None => Place::Path(shown.clone()),
            };
            self.summary.entries += 1;
            if self.opts.extra {
                self.seen.insert(match &place {
                    Place::Beneath { rel, .. } => rel.clone(),
                    Place::Path(path) => path.clone(),
                });
            }
            self.summary.with_caps += 1;
            let task = Task {
                name: shown,
                place,
                manifest: true,
                kind: Kind::File,
                archived: Some(self.opts.rootid.apply(caps)),
                rootids: records_rootids,
                risk: self.opts.risk,
                all: None,
            };
            let findings = task.check_named(&mut self.dirs_open, self.opts.name_members.is_some());
            self.record(findings)?;
        }
        Ok(())
    }

    /// Remembers how the first name verified is written (`/usr/bin/x`, `./bin/x`, `bin/x`), so
    /// that `--extra` names what it finds the same way.
    fn note_style(&mut self, name: &Path) {
        if self.style.is_none() {
            let b = name.as_os_str().as_bytes();
            self.style = Some(if b.starts_with(b"/") {
                "/"
            } else if b.starts_with(b"./") {
                "./"
            } else {
                ""
            });
        }
    }

    /// `--extra`: capped files on disk, under what was verified, that the archive or manifest
    /// does not name; named as the archive's members or the manifest's paths are.
    fn extra(&mut self) -> Result<()> {
        // Paths beneath the root (an archive, or a manifest under -C), else a manifest's own.
        let beneath = matches!(self.opts.source, Source::Archive(_)) || self.opts.directory.is_some();
        let roots: Vec<PathBuf> = match &self.opts.source {
            Source::Archive(_) => {
                let mut dirs = std::mem::take(&mut self.dirs);
                dirs.sort();
                // Walking a directory covers its subdirectories: keep the outermost ones.
                let mut outer: Vec<PathBuf> = Vec::new();
                for d in dirs {
                    if !outer.last().is_some_and(|o| d.starts_with(o)) {
                        outer.push(d);
                    }
                }
                outer
            }
            // A manifest does not say which directories getcap scanned (a few capped files in
            // one directory do not mean the rest of the tree was not looked at): the paths
            // named, else all of DIR.
            Source::Manifest(_) if !self.opts.select.members.is_empty() => match beneath {
                true => self.opts.select.members.iter().map(|m| SafeName::rel_of(m)).collect(),
                false => self.opts.select.members.clone(),
            },
            Source::Manifest(_) if beneath => vec![PathBuf::new()],
            Source::Manifest(path) => {
                return Err(Error::entry(
                    path,
                    "--extra with a manifest needs where to look: name the directories getcap scanned (as `getcap -r /usr` scanned /usr), or pass -C DIR to scan all of DIR",
                ));
            }
        };
        let roots: Vec<PathBuf> = if beneath {
            // Only those reached without a symlink: one planted in their path would take the
            // scan outside the root (what is beneath one is beneath it too).
            // A file named (`--extra usr/bin/ping`) is checked alone, as without -C: reached
            // when its directory is and it is no symlink.
            let mut reached = |d: &PathBuf| {
                match self.dirs_open.dest.as_mut() {
                Some(dest) => {
                    matches!(dest.open_dir(d), Ok(Some(_)))
                        || d.file_name().zip(d.parent()).is_some_and(|(name, parent)| {
                            matches!(dest.open_dir(parent), Ok(Some(dir)) if rustix::fs::statat(&dir, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
                                .is_ok_and(|st| !matches!(rustix::fs::FileType::from_raw_mode(st.st_mode), rustix::fs::FileType::Symlink | rustix::fs::FileType::Directory)))
                        })
                }
                None => true,
            }
            };
            // A path named for a manifest's --extra that leads nowhere beneath DIR checked
            // nothing: an error, as a member not found (an archived directory missing on disk
            // was reported as such already).
            let named = matches!(self.opts.source, Source::Manifest(_)) && !self.opts.select.members.is_empty();
            let mut kept = Vec::new();
            for d in roots {
                if reached(&d) {
                    kept.push(self.root.join(d));
                } else if named {
                    self.report.error(Error::entry(
                        self.root.join(&d),
                        "--extra: not a directory or file reached beneath DIR without a symlink; nothing checked there",
                    ));
                }
            }
            kept
        } else {
            roots
        };
        if roots.is_empty() {
            return Ok(());
        }
        let scan_opts = ScanOptions { paths: roots, ..ScanOptions::default() };
        let mut found = Vec::new();
        scan::find(&scan_opts, self.report, &mut |f| {
            found.push(f);
            Ok(())
        })?;
        for f in found {
            let key = match beneath {
                true => f.path.strip_prefix(&self.root).unwrap_or(&f.path).to_path_buf(),
                false => f.path.clone(),
            };
            if self.seen.contains(&key) {
                continue;
            }
            let shown = match (beneath, self.style) {
                (true, Some(prefix)) if !prefix.is_empty() => Path::new(prefix).join(&key),
                _ => key.clone(),
            };
            // What --exclude leaves out of the comparison is left out of the extras too: matched
            // as the archive would name the file (`./usr/bin/x`), and as found.
            let excludes = &self.opts.select.excludes;
            if !excludes.matches_named(&shown) && !excludes.matches_named(&key) {
                let risk = self.risk_of(Some(&f.caps));
                self.differ(&shown, DiffKind::ExtraCapped, None, Some(f.caps.text_with_rootid()), risk)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        let stdout = Path::new("(standard output)");
        if self.opts.json {
            let doc = JsonReport { differences: &self.diffs, summary: &self.summary };
            serde_json::to_writer_pretty(&mut self.out, &doc).map_err(io::Error::from).at(stdout, "write")?;
            writeln!(self.out).at(stdout, "write")?;
        } else if self.summary.differences > 0 || self.opts.summary_on_pass {
            let source = self.opts.source.label();
            let kinds: Vec<String> =
                self.summary.by_kind.iter().map(|(k, n)| format!("{}: {n}", k.label(source))).collect();
            let detail = if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) };
            writeln!(
                self.out,
                "verified {} entries, {} with capabilities: {} differences{detail}",
                self.summary.entries, self.summary.with_caps, self.summary.differences
            )
            .at(stdout, "write")?;
        }
        self.out.flush().at(stdout, "write")
    }
}

/// Splits a `getcap` line into path and capability. getcap writes the path, one space, and
/// libcap's text of the set (`cap_a,cap_b=ep cap_c+i`, clauses split by spaces): the path is
/// what comes before a space after which the rest parses as such text, and does not start with
/// another space (a name may end in spaces). Where a name holds what reads as text too
/// (`x cap_chown=ep`), the split whose text is the one libcap writes for its set wins
/// (`x cap_chown=ep cap_net_raw=ep` is `x cap_chown=ep` with `cap_net_raw=ep`: libcap would
/// write both in one clause), else the first.
pub fn parse_manifest_line(line: &[u8]) -> Option<(Vec<u8>, FileCaps)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut first = None;
    for (i, _) in line.iter().enumerate().filter(|&(_, &b)| b == b' ') {
        let Ok(rest) = std::str::from_utf8(&line[i + 1..]) else { continue };
        if rest.starts_with(' ') {
            continue;
        }
        let (text, rootid) = match rest.rsplit_once(" [rootid=") {
            Some((t, r)) => match r.strip_suffix(']').and_then(parse_rootid) {
                Some(n) => (t, Some(n)),
                None => continue,
            },
            None => (rest, None),
        };
        if let Ok(c) = caps::parse_text(text) {
            let canonical = c.text() == text;
            let c = match rootid {
                Some(r) => c.with_rootid(r),
                None => c,
            };
            if canonical {
                return Some((line[..i].to_vec(), c));
            }
            first.get_or_insert((line[..i].to_vec(), c));
        }
    }
    first
}

/// A rootid as `getcap -n` prints it: libcap prints it as a signed int, so one of 2^31 or more
/// appears negative.
fn parse_rootid(n: &str) -> Option<u32> {
    n.parse::<u32>().ok().or_else(|| n.parse::<i32>().ok().map(|r| r as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are looked up in their directory only where the path ends in the name; `x/` and
    /// `x/.` keep lstat's meaning (a directory), and `.`, `/`, `x/..` have no name to split.
    #[test]
    fn only_paths_ending_in_their_name_are_split() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let mut dirs = Dirs::default();
        let split = |dirs: &mut Dirs, p: &Path| dirs.parent_of(p).map(|(_, n)| n.to_bytes().to_vec());
        assert_eq!(split(&mut dirs, &file), Some(b"f".to_vec()));
        let f = file.display();
        for odd in [format!("{f}/"), format!("{f}/."), format!("{f}/.."), "/".into(), ".".into()] {
            assert_eq!(split(&mut dirs, Path::new(&odd)), None, "{odd}");
        }
        assert_eq!(split(&mut dirs, Path::new("./x")), Some(b"x".to_vec()));
    }

    #[test]
    fn manifest_lines() {
        let (p, c) = parse_manifest_line(b"/usr/bin/ping cap_net_raw=ep").unwrap();
        assert_eq!(p, b"/usr/bin/ping");
        assert_eq!(c.text(), "cap_net_raw=ep");
        let (p, c) = parse_manifest_line(b"./a b/c cap_setuid=i cap_net_raw+p [rootid=100000]").unwrap();
        assert_eq!(p, b"./a b/c");
        assert_eq!(c.text(), "cap_setuid=i cap_net_raw+p");
        assert_eq!(c.rootid, Some(100000));
        let (p, c) = parse_manifest_line(b"x =").unwrap();
        assert_eq!(p, b"x");
        assert!(c.is_empty());
        assert!(parse_manifest_line(b"nothing here").is_none());
        // A name ending in a space; a name that holds what reads as text (getcap's lines).
        let (p, c) = parse_manifest_line(b"d/trail  cap_kill=p").unwrap();
        assert_eq!((p.as_slice(), c.text().as_str()), (&b"d/trail "[..], "cap_kill=p"));
        let (p, c) = parse_manifest_line(b"d/x cap_chown=ep cap_net_raw=ep").unwrap();
        assert_eq!((p.as_slice(), c.text().as_str()), (&b"d/x cap_chown=ep"[..], "cap_net_raw=ep"));
        let (p, c) = parse_manifest_line(b"d/y cap_chown=ep cap_net_raw=ep [rootid=5]").unwrap();
        assert_eq!((p.as_slice(), c.rootid), (&b"d/y cap_chown=ep"[..], Some(5)));
        // Text libcap would not write (another order), and no other split: taken as it is.
        let (p, c) = parse_manifest_line(b"d/z cap_net_raw,cap_chown=ep").unwrap();
        assert_eq!((p.as_slice(), c.text().as_str()), (&b"d/z"[..], "cap_chown,cap_net_raw=ep"));
        // getcap -n prints a rootid of 2^31 or more as a negative int; it reads back as it was.
        let big =
            FileCaps::decode(&[0, 0, 0, 3, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x5e, 0xd0, 0xb2, 0xb2])
                .unwrap();
        let line = format!("f {}{}", big.text(), big.rootid_suffix());
        assert!(line.contains("[rootid=-"), "{line}");
        assert_eq!(parse_manifest_line(line.as_bytes()).unwrap().1.rootid, big.rootid);
    }

    #[test]
    fn v1_v2_and_rootid_zero_compare_equal() {
        let v2 = caps::parse_text("cap_net_raw=ep").unwrap();
        let v1 = FileCaps { revision: caps::Revision::V1, ..v2 };
        assert!(normalise(v1).same_grant(&normalise(v2)));
        assert!(normalise(v2.with_rootid(0)).same_grant(&normalise(v2)));
        assert!(!normalise(v2.with_rootid(100000)).same_grant(&normalise(v2)));
    }
}
