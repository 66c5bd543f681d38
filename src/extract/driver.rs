/*!
The `extract` entry point: opens the archive and the destination, starts the writing threads,
and takes the members in archive order, settling each one's result as if one at a time.
*/

use crate::error::ShowPath;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::AtFlags;

use super::beneath::{Dest, NameProblem};
use super::file::write_job;
use super::names::{members_of, strip_and_move};
use super::pool::{Done, Job, Pool, QUEUE, RESERVED_FDS};
use super::restore::{CapFailure, Restorer};
use super::{Existing, ExtractOptions, Failure, Run, SafeName, stdout};
use crate::error::{Error, Outcome, Report, Result};
use crate::format::reader::Reader;
use crate::format::{EntryMeta, Kind, open_archive_counted};
use crate::progress::Progress;
use crate::temps;

/// Runs an extraction and returns its outcome; per-file problems are reported as they happen.
pub fn extract(opts: &ExtractOptions, report: &Report) -> Result<Outcome> {
    if opts.to_stdout {
        return stdout::to_stdout(opts, report);
    }
    let opened = open_archive_counted(&opts.archive)?;
    let mut reader = opened.reader;
    opts.select.prepare(&mut reader)?;
    reader.refuse_empty();
    if let Some(c) = &opts.checkpoints {
        reader.set_checkpoints(c.counter());
    }
    // A plain archive file written to while it is read gives files other bytes than it had
    // when their headers were read (a worker copies a file's data after the reader has gone
    // on): its size and modification time, before and after, tell.
    let stamp_before = reader.archive_stamp();
    let progress = Progress::bytes(opts.progress, opened.input_len, "extracting");
    report.attach(&progress);
    let input_pos = opened.input_pos;
    progress.follow(input_pos.clone());
    let tick = || progress.set_position(input_pos.load(std::sync::atomic::Ordering::Relaxed));
    let mut dest = Dest::open(&opts.directory).map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::NotFound { " (create it first, e.g. `mkdir -p DIR`)" } else { "" };
        Error::entry(
            &opts.directory,
            format!("cannot open the destination directory: {}{hint}", crate::error::os_text(&e)),
        )
    })?;
    if opts.keep_directory_symlink {
        dest.keep_dir_symlinks().map_err(|e| Error::entry(&opts.directory, e.to_string()))?;
    }
    if opts.unlinks_first() {
        dest.track_made();
    }
    let _cleanup = temps::SignalCleanup::install();
    let restorer = Restorer::new(opts, reader.decompresses());
    // Two writing threads per core where there are several: measured 8% faster into tmpfs
    // than one (a thread often waits on a directory's lock), the same into ext4.
    // None under a limit of open files too low for their files and directories in flight
    // (found by review: GNU tar extracts at a limit of 8).
    let workers = match std::thread::available_parallelism().map_or(1, |n| n.get()) {
        _ if crate::fds::spare(0) < RESERVED_FDS => 1,
        1 => 1,
        cores => 2 * cores,
    };
    let (job_tx, job_rx) = std::sync::mpsc::sync_channel::<Vec<Job>>(QUEUE);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Done>();
    let job_rx = std::sync::Mutex::new(job_rx);
    let result = std::thread::scope(|s| {
        // Workers that cannot start (the process limit reached) are done without: with none,
        // every file is written here.
        let mut started = 0;
        for _ in 0..workers {
            let (job_rx, done_tx, restorer) = (&job_rx, done_tx.clone(), &restorer);
            let worker = std::thread::Builder::new().spawn_scoped(s, move || {
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(batch) = job else { return };
                    for job in batch {
                        let result =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write_job(restorer, opts, &job)))
                                .unwrap_or_else(|_| {
                                    Err(Failure::Stop(Error::entry(
                                        &job.meta.path,
                                        "internal error: a worker panicked",
                                    )))
                                });
                        let (bytes, seq) = (job.bytes(), job.seq);
                        let caps = result.as_ref().err().and(job.meta.caps_raw()).map(<[u8]>::to_vec);
                        let done = Done { rel: job.rel, path: job.meta.path, data: job.data, bytes, seq, result, caps };
                        if done_tx.send(done).is_err() {
                            return;
                        }
                    }
                }
            });
            if worker.is_err() {
                break;
            }
            started += 1;
        }
        drop(done_tx);
        let pool = (workers > 1 && started > 0).then(|| Pool::new(job_tx, done_rx));
        let mut run = Run {
            opts,
            report,
            dest,
            restorer: &restorer,
            pool,
            dirs: Vec::new(),
            dir_xattr_bytes: 0,
            dir_index: HashMap::new(),
            warned_root: false,
            warned_link_root: false,
            members: members_of(opts),
            cap_failures: Vec::new(),
            left_out_caps: HashMap::new(),
            kept: Default::default(),
            kept_caps: Vec::new(),
            backed_up: HashMap::new(),
            let_go: 0,
        };
        let mut result = run.members(&mut reader, &tick);
        report.set_total(reader.records_read(opts.record));
        // Every file handed to a worker is finished (or failed) before anything else. Those
        // files come before the member the main thread stopped at, if it did: a failure of
        // theirs is the error the extraction stops with (the last line), the later member's
        // named before it (found by review: a filesystem out of inodes, where the main thread's
        // directories and symlinks took what the workers' earlier files needed).
        if let Err(earlier) = run.drain()
            && let Err(later) = std::mem::replace(&mut result, Err(earlier))
            && !is_stop_line(&later)
        {
            report.error(later);
        }
        run.pool = None; // closes the job queue: the workers end
        // Directory metadata is set even after an error, so what was extracted is usable.
        run.fix_dirs();
        if reader.found_damage() {
            run.take_back_caps();
        }
        // Not after the archive's own error: what follows it is not to be trusted; nor after
        // --label refused the archive, which was not the one asked for.
        if let Err(e) = &result
            && !matches!(e, Error::Archive { .. })
            && !is_stop_line(e)
            && !reader.label_refused()
        {
            run.unreached(&mut reader);
        }
        (result, run)
    });
    let (result, run) = result;
    progress.finish();
    if stamp_before.is_some() && reader.archive_stamp() != stamp_before {
        report.error(Error::entry(
            &opts.archive,
            "the archive file changed while it was being extracted (written to, or its size or time changed): files extracted from it may hold bytes it did not have when read; extract again from a copy nothing writes to",
        ));
    }
    // Left out on request, but said: `--xattrs-exclude='security.*'` may be meant for other
    // names (found by review: every capability was left out without a word, exit 0).
    crate::xattr::note_excluded_caps(report, restorer.excluded_caps(), "not restored");
    if let Some(note) = opts.rootid.rewritten_note(restorer.rewritten_caps()) {
        report.note(note);
    }
    if let Some(note) = restorer.namespaced_note() {
        report.note(note);
    }
    if let Some(note) = restorer.in_userns_note() {
        report.note(note);
    }
    if let Some(note) = restorer.setid_cleared_note() {
        report.note(note);
    }
    if let Some(note) = restorer.times_cut_note() {
        report.note(note);
    }
    // What no option asked for, as in GNU tar, but said: bsdtar's -p restores them, and a user
    // of it lost them without a word (found by audit).
    let unasked = restorer.unasked_xattrs();
    if opts.note_unasked_xattrs && unasked > 0 {
        let members = if unasked == 1 { "1 member".to_string() } else { format!("{unasked} members") };
        report.note(format!(
            "the archive holds xattrs or ACLs besides capabilities ({members}), not restored: pass --xattrs (user.*) or --xattrs-include='*' (all), and --acls, to restore them (GNU tar restores them only so too; bsdtar -p restores them)"
        ));
    }
    // Kept as asked, but a capability the archive has and the file there lacks is said (it
    // was kept in silence, exit 0, as by GNU tar; found by review).
    if !run.kept_caps.is_empty() {
        let (what, has) = match run.kept_caps.len() {
            1 => ("1 file".to_string(), "lacks"),
            n => (format!("{n} files"), "lack"),
        };
        let how = match opts.existing {
            Existing::KeepNewer => "--keep-newer-files",
            Existing::Keep => "--keep-old-files",
            _ => "--skip-old-files",
        };
        report.note_list(format!("{what} kept by {how} {has} the capability the archive gives:"), &run.kept_caps);
    }
    // Listed also when the extraction stopped (a full disk): `--keep-going` promised the list.
    if !run.cap_failures.is_empty() {
        let what = match run.cap_failures.len() {
            1 => "1 capability was".to_string(),
            n => format!("{n} capabilities were"),
        };
        let lines: Vec<String> = run.cap_failures.iter().map(CapFailure::listed).collect();
        report.note_list(format!("{what} not restored:"), &lines);
    }
    result?;
    for e in run.members.not_found("archive") {
        report.error(e);
    }
    Ok(report.outcome())
}

impl Run<'_> {
    /// Once the decompressor found the stream damaged, the capabilities restored from it are
    /// removed again and listed: a check covers what came before it (gzip's, at the stream's
    /// end, covers all of it), so they may have been read wrong, and a capability must not be
    /// granted from damaged data (found by audit: one flipped byte gave a file 40
    /// capabilities, as bsdtar gives them; GNU tar too, for gzip). The files stay, as GNU tar
    /// leaves them.
    fn take_back_caps(&mut self) {
        let mut lines = Vec::new();
        let (restored, more) = self.restorer.restored_from_stream();
        if more > 0 {
            self.report.error(format!(
                "{more} more capabilities restored from the damaged stream (past the first {}) were not recorded, and stay: find them with `captar caps scan` in the destination and remove them with setcap -r",
                restored.len()
            ));
        }
        for (path, text) in restored {
            let Ok(name) = SafeName::parse(&path) else { continue };
            match remove_caps_at(&mut self.dest, &name.rel) {
                Ok(()) => lines.push(format!("{}: {text}", path.escaped())),
                Err(e) => self.report.error(format!(
                    "{}: cannot remove the capability restored from the damaged stream ({text}): {}; remove it with setcap -r",
                    path.escaped(),
                    crate::error::os_text(&e)
                )),
            }
        }
        let what = match lines.len() {
            0 => return,
            1 => "1 capability restored from the damaged stream was removed again, as what it was read from may be wrong (extract again from an intact copy):".to_string(),
            n => format!("{n} capabilities restored from the damaged stream were removed again, as what they were read from may be wrong (extract again from an intact copy):"),
        };
        self.report.note_list(what, &lines);
    }

    /// After a stop that is no capability's (a full disk, an I/O error), the members the
    /// extraction did not reach, read on to the archive's end unextracted: counted, and each
    /// capability among them named, as none is lost without a word (found by review: a full
    /// disk stopped the extraction at one file, and the capped files after it went unnamed,
    /// with --keep-going too). A capability's stop says already how to extract the rest.
    /// A hard link among them to a capped file (one of them, one in the closing list, or one
    /// made before the stop) is named too, as a link to it: its name is not the capped file
    /// the archive makes either (found by review: only the file was named).
    fn unreached(&mut self, reader: &mut Reader) {
        // Hard links let go with the file they waited for are among them (`note_link_let_go`;
        // a capability they carry is in the closing list).
        let (mut count, mut capped) = (self.let_go, Vec::new());
        // The names among them, with the capability of each capped one, for links to them: a
        // link to one of them is to the archive's file, not to what is on disk by that name
        // (found by review: an older file's capability there was named).
        // (The names of uncapped ones as 64-bit hashes: after a stop early in a large archive,
        // the set stays small.)
        let mut names = Unreached::default();
        // What a link to a file made before the stop carries, read once per file.
        let mut on_disk: HashMap<PathBuf, Option<String>> = HashMap::new();
        while let Ok(Some(entry)) = reader.next_entry() {
            let meta = &entry.meta;
            let Ok(name) = SafeName::parse(&meta.path) else { continue };
            if !self.members.selects(&name.rel, &meta.path) {
                continue;
            }
            count += 1;
            let caps = meta
                .caps_raw()
                .filter(|_| self.opts.xattrs.caps)
                .and_then(|raw| crate::caps::FileCaps::decode(raw).ok());
            if let Some(caps) = caps {
                let text = caps.text_with_rootid();
                capped.push(format!("{}: {text}", meta.path.escaped()));
                names.capped.insert(name.rel, text);
                continue;
            }
            let text = match (meta.kind, meta.link.as_deref()) {
                (Kind::HardLink, Some(link)) if self.opts.xattrs.caps => SafeName::parse(link)
                    .ok()
                    .and_then(|target| self.caps_of_link_target(&names, &mut on_disk, &target.rel)),
                _ => None,
            };
            if let (Some(text), Some(link)) = (&text, meta.link.as_deref()) {
                capped.push(format!("{}: {text} (a hard link to {})", meta.path.escaped(), link.escaped()));
            }
            match text {
                Some(text) => drop(names.capped.insert(name.rel, text)),
                None => drop(names.plain.insert(Unreached::hash(&name.rel))),
            }
        }
        if count == 0 {
            return;
        }
        let members =
            if count == 1 { "1 member after it was".to_string() } else { format!("{count} members after it were") };
        let with = match capped.len() {
            0 => String::new(),
            1 => ", 1 with a capability, not restored:".into(),
            n => format!(", {n} with capabilities, not restored:"),
        };
        let (what, done) = if self.opts.copy { ("copy", "copied") } else { ("extraction", "extracted") };
        self.report
            .note_list(format!("the {what} stops at the error that follows: {members} not {done}{with}"), &capped);
    }

    /// The capability a hard link to `target` (its name as archived) would carry, after a
    /// stop: the archive's, of a member not reached (`unreached`) or one in the closing list,
    /// else that of the file made before the stop, read once (`on_disk`), where the names on
    /// disk are the archive's (no --strip-components, --transform or --one-top-level).
    fn caps_of_link_target(
        &mut self,
        unreached: &Unreached,
        on_disk: &mut HashMap<PathBuf, Option<String>>,
        target: &Path,
    ) -> Option<String> {
        if let Some(text) = unreached.capped.get(target) {
            return Some(text.clone());
        }
        if unreached.plain.contains(&Unreached::hash(target)) {
            return None;
        }
        let lost = self.cap_failures.iter().find(|f| SafeName::parse(&f.path).is_ok_and(|n| n.rel == target));
        if let Some(lost) = lost {
            return Some(lost.caps.clone());
        }
        let opts = self.opts;
        if opts.strip_components > 0 || opts.top_level.is_some() || !opts.select.transforms.is_empty() {
            return None;
        }
        if let Some(text) = on_disk.get(target) {
            return text.clone();
        }
        let raw = caps_at(&mut self.dest, target).ok().flatten();
        let text = raw.and_then(|raw| crate::caps::FileCaps::decode(&raw).ok()).map(|caps| caps.text_with_rootid());
        on_disk.insert(target.to_path_buf(), text.clone());
        text
    }

    fn members(&mut self, reader: &mut Reader, tick: &dyn Fn()) -> Result<()> {
        while !self.members.done() {
            let next = reader.next_reporting(self.report, None);
            for (path, raw, why) in reader.take_unusable_caps() {
                self.note_skipped_caps(&path, Some(&raw), &why);
            }
            let Some(entry) = next? else { break };
            tick();
            // `-v` shows the volume label first, as GNU tar's `-xv` does.
            if self.opts.verbose
                && let Some(label) = reader.take_label()
            {
                let label = crate::list::quote_name(&label.text);
                crate::error::note_output(writeln!(std::io::stdout().lock(), "{label}"));
            }
            let mut meta = entry.meta;
            let name = match SafeName::parse(&meta.path) {
                Ok(n) => n,
                // An error only when it was to be extracted (not left out, or unnamed).
                Err(NameProblem::DotDot) => {
                    if self.members.selects(&meta.path, &meta.path) {
                        self.report.error(format!("{}: member name contains '..'; skipped", meta.path.escaped()));
                        self.note_skipped_caps(&meta.path, meta.caps_raw(), "its name contains '..'");
                    }
                    continue;
                }
            };
            if !self.members.selects(&name.rel, &meta.path) {
                // Kept by the name it would have been extracted as, the name a link to it
                // names once renamed, stripped and moved the same way (found by review: kept
                // as archived, a capability was lost in silence under --strip-components).
                if let (Kind::File, Some(raw)) = (meta.kind, meta.caps_raw())
                    && let Some(placed) = self.left_out_name(&meta, name)
                {
                    self.left_out_caps.insert(placed, (raw.to_vec(), meta.path.clone()));
                }
                continue;
            }
            if let Some(w) = meta.left_out_warning() {
                self.report.warn(w);
            }
            // A note, exit 0 as GNU tar's warning of the record: bsdtar records the flags of
            // every file that has any (found by review: a warning made exit 1 of ordinary
            // archives).
            if let Some(flags) = &meta.fflags {
                self.report.note(format!(
                    "{}: file flags '{}' (a SCHILY.fflags record, which bsdtar writes) not restored: captar sets no file flags; `chattr` sets them",
                    meta.path.escaped(),
                    String::from_utf8_lossy(flags).escape_debug()
                ));
            }
            // Selected by the name as archived; extracted by the name --transform makes of it.
            let (name, archived) = match self.rename(&mut meta, name) {
                Some(renamed) => renamed,
                None => continue,
            };
            if name.had_root && !self.warned_root {
                self.report.note("removing leading '/' from member names");
                self.warned_root = true;
            }
            // GNU tar's second note (it went unsaid; found by audit).
            if meta.kind == Kind::HardLink
                && !self.warned_link_root
                && meta.link.as_ref().is_some_and(|l| l.as_os_str().as_bytes().starts_with(b"/"))
            {
                self.report.note("removing leading '/' from hard link targets");
                self.warned_link_root = true;
            }
            // Named as archived (not as stripped); printed once it is to be extracted.
            let verbose_line = self.opts.verbose.then(|| {
                let shown = archived.as_ref().filter(|_| !self.opts.select.transforms.show).unwrap_or(&meta.path);
                crate::list::quote_name(std::os::unix::ffi::OsStrExt::as_bytes(shown.as_os_str()))
            });
            let Some(name) = strip_and_move(self.opts, name, &mut meta) else { continue };
            // A member stripped to nothing is not listed (GNU tar lists what it extracts).
            if let Some(line) = verbose_line {
                crate::error::note_output(writeln!(std::io::stdout().lock(), "{line}"));
            }
            if !self.left_out_caps.is_empty() {
                self.left_out_caps.remove(&name.rel);
            }
            if self.link_later(&name, &meta) {
                continue;
            }
            self.wait_for_conflicts(&name.rel, &meta)?;
            let mut result = self.member(reader, &name, &meta);
            if let Err(Failure::Stop(e) | Failure::Member(e)) = &mut result {
                self.explain(&name.rel, e);
            }
            // Made here, after every file handed to the workers so far (found by review: a
            // symlink made after files that failed left them counted, not named, as if after
            // every member extracted).
            if let Some(pool) = &mut self.pool
                && result.is_ok()
                && !pool.in_flight.contains(name.rel.as_os_str())
            {
                pool.written_here();
            }
            // A file a worker writes is settled when the worker is done.
            // (Nothing to look up per member without --backup.)
            if !self.backed_up.is_empty()
                && (result.is_err() || !self.pool.as_ref().is_some_and(|p| p.in_flight.contains(name.rel.as_os_str())))
            {
                self.settle_backup(&name.rel, result.is_err());
            }
            match meta.kind {
                Kind::HardLink => self.note_link_to_lost(&meta, &result),
                // Any other member that failed: a directory not made (-k and a file there;
                // found by audit: its capability went unlisted), a node not made.
                _ => self.note_lost_caps(&name.rel, &meta.path, meta.caps_raw(), &result),
            }
            self.handle(&meta.path, result)?;
            self.poll()?;
        }
        Ok(())
    }

    /// Adds the advice to a member's error that depends on what is at its name, or on who
    /// extracts (`extract` or `copy`, which takes neither `-U` nor `--recursive-unlink`).
    pub(super) fn explain(&mut self, rel: &Path, e: &mut Error) {
        let Error::Io { path, op, source } = e else { return };
        if source.get_ref().is_some_and(|inner| inner.is::<super::DirInTheWay>()) {
            let advice = if self.opts.copy {
                "remove it from the destination, or copy into an empty directory"
            } else {
                "remove it first; extract --recursive-unlink removes one that was there before the extraction"
            };
            *e = Error::entry(path.clone(), format!("{op}: {source} ({advice})"));
        } else {
            self.explain_full_while_replacing(rel, e);
        }
    }

    /// A full filesystem while a member was to replace a file: the new file is written beside the
    /// old one (replacing it atomically), so both need room; `-U` removes the old one first, as
    /// GNU tar does (copy has no `-U`).
    fn explain_full_while_replacing(&mut self, rel: &Path, e: &mut Error) {
        let Error::Io { path, op, source } = e else { return };
        let full = matches!(source.raw_os_error(), Some(libc::ENOSPC | libc::EDQUOT));
        let (Some(parent_rel), Some(file_name)) = (rel.parent(), rel.file_name()) else { return };
        if !full || self.opts.unlinks_first() {
            return;
        }
        let Ok(Some(parent)) = self.dest.open_dir(parent_rel) else { return };
        let replacing = rustix::fs::statat(&parent, file_name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile);
        if replacing {
            let advice = if self.opts.copy {
                "free space, remove the old files first, or copy into an empty directory"
            } else {
                "free space, or remove the old files first: extract -U/--unlink-first removes each before its new one, as GNU tar does"
            };
            *e = Error::entry(
                path.clone(),
                format!(
                    "{op}: {} (the filesystem is full, and a file of this name is there: it is replaced only once the new one is complete, so both need room; {advice})",
                    crate::error::os_text(source)
                ),
            );
        }
    }

    /// Reports one member's failure; `Err` when it stops the extraction (for a capability, a
    /// line of its own that says so: `is_stop_line`).
    pub(super) fn handle(&mut self, path: &Path, result: Result<(), Failure>) -> Result<()> {
        match result {
            Ok(()) => {}
            Err(Failure::Stop(e)) => return Err(e),
            Err(Failure::Member(e)) => self.report.error(e),
            Err(Failure::Warn(kind, e)) => self.report.warn_as(kind, e),
            Err(Failure::Cap(f, others)) => {
                if !others.is_empty() {
                    self.report.error(Error::entry(path, others.join("; ")));
                }
                let msg = f.message(path);
                if f.no_space {
                    self.report.error(msg);
                    // With --keep-going the file is there without it: in the closing list.
                    if self.opts.keep_going {
                        self.cap_failures.push(f);
                    }
                    return Err(Error::entry(
                        path,
                        format!(
                            "{} {STOPPED}: free space (or quota) on the destination, or choose another, and {} again",
                            self.opts.noun(),
                            self.opts.verb()
                        ),
                    ));
                }
                if self.opts.keep_going {
                    self.report.error(msg);
                    self.cap_failures.push(f);
                } else {
                    // Two lines: what failed, then the way out.
                    self.report.error(msg);
                    return Err(Error::entry(
                        path,
                        format!(
                            "{} {STOPPED}; pass --keep-going to {verb} the rest and list every capability not restored, or --no-caps to {verb} without capabilities",
                            self.opts.noun(),
                            verb = self.opts.verb()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A member kept as the file there (`--skip-old-files`, `--keep-newer-files`) whose file
    /// lacks the capability the archive gives it goes in the closing note (`kept_caps`).
    pub(super) fn note_kept_caps(&mut self, rel: &Path, meta: &EntryMeta) {
        if let Some(raw) = meta.caps_raw() {
            let on_disk = caps_at(&mut self.dest, rel);
            if let Some(line) = self.restorer.kept_without(on_disk, &meta.path, raw, None) {
                self.kept_caps.push(line);
            }
            return;
        }
        self.note_kept_link(rel, meta);
    }

    /// The file of `rel` (the member `meta`) is kept as it is there: a hard link to it is
    /// checked against the archive's capability of it, not its file's (`note_kept_link`).
    pub(super) fn keep(&mut self, rel: &Path, meta: &EntryMeta) {
        self.kept.insert(rel.to_path_buf(), meta.caps_raw().map(<[u8]>::to_vec));
    }

    /// A hard link kept as the file there that carries no capability of its own (GNU tar's
    /// and captar's links; bsdtar's carry their file's): the capability it would have is its
    /// target's as the archive gives it, the archive's value where the target was kept too,
    /// else the target's as extracted (found by review: a kept link lacking it went unsaid,
    /// exit 0, where a bsdtar archive's was named).
    fn note_kept_link(&mut self, rel: &Path, meta: &EntryMeta) {
        if meta.kind != Kind::HardLink || !self.restorer.wants_caps() {
            return;
        }
        let Some((link, target)) = meta.link.as_deref().and_then(|l| Some((l, SafeName::parse(l).ok()?))) else {
            return;
        };
        let line = match self.kept.get(&target.rel) {
            Some(None) => return,
            Some(Some(raw)) => {
                let on_disk = caps_at(&mut self.dest, rel);
                self.restorer.kept_without(on_disk, &meta.path, raw, Some(link))
            }
            None => {
                let Ok(Some(value)) = caps_at(&mut self.dest, &target.rel) else { return };
                let Ok(held) = crate::caps::FileCaps::decode(&value) else { return };
                super::restore::kept_line(caps_at(&mut self.dest, rel), &meta.path, &held, Some(link))
            }
        };
        self.kept_caps.extend(line);
    }

    /// A member's capability `raw` is in the closing list when the member failed (`result`)
    /// and its file `rel` does not hold it: not made at all (an immutable directory, a name
    /// too long, a directory `-k` refused for a file there), or linked and then refused
    /// something. Every kind but a hard link, which `note_link_to_lost` lists. Also without
    /// --keep-going, as such a failure does not stop the extraction (the error named the file,
    /// not the capability it lost; found by review). A capability that could not be set is
    /// there already (`Failure::Cap`).
    fn note_lost_caps(&mut self, rel: &Path, path: &Path, raw: Option<&[u8]>, result: &Result<(), Failure>) {
        let (Some(raw), Err(Failure::Member(_) | Failure::Stop(_))) = (raw, result) else { return };
        let dest = &mut self.dest;
        if let Some(f) = self.restorer.lost_with_file(|| caps_at(dest, rel), path, raw) {
            self.cap_failures.push(f);
        }
    }

    /// A hard link (`meta`, its outcome `result`) to a file in the closing list (not made, or
    /// made without its capability) is listed too, as a link to it: its name is not the capped
    /// file the archive makes either (found in testing: only the file's own name was listed).
    /// A link whose own capability failed is listed already.
    pub(super) fn note_link_to_lost(&mut self, meta: &EntryMeta, result: &Result<(), Failure>) {
        match result {
            Err(Failure::Cap(..)) => {}
            Err(Failure::Member(_) | Failure::Stop(_)) => self.note_link_lost(meta, true),
            Ok(()) | Err(Failure::Warn(..)) => self.note_link_lost(meta, false),
        }
    }

    /// A hard link (`meta`) that waited for its file on a worker, let go as that file stopped
    /// the extraction: counted with the members not extracted, and in the closing list where
    /// it carries a capability (found by audit: with --keep-going it was named nowhere).
    pub(super) fn note_link_let_go(&mut self, meta: &EntryMeta) {
        self.let_go += 1;
        self.note_link_lost(meta, true);
    }

    /// `note_link_to_lost`, where the link was not made (`failed`) or was.
    fn note_link_lost(&mut self, meta: &EntryMeta, failed: bool) {
        let Some(link) = meta.link.as_deref() else { return };
        let Ok(target) = SafeName::parse(link) else { return };
        let Some(lost) =
            self.cap_failures.iter().find(|f| SafeName::parse(&f.path).is_ok_and(|name| name.rel == target.rel))
        else {
            return self.note_link_not_made(meta, &target.rel, failed);
        };
        let (caps, reason) = (lost.caps.clone(), format!("a hard link to {}", link.escaped()));
        self.cap_failures.push(CapFailure::with_reason(&meta.path, caps, reason));
    }

    /// A hard link that could not be made (a directory not empty, an immutable file where it
    /// goes) to a capped file is a capability not restored under its name, as the file's own
    /// failure is: the capability the link carries, or else its file's on disk (found by
    /// review: only the member's error said it). Not where the file left under the link's
    /// name holds that capability already (found by review: it was listed).
    fn note_link_not_made(&mut self, meta: &EntryMeta, target: &Path, failed: bool) {
        if !failed || !self.restorer.wants_caps() {
            return;
        }
        let (raw, value) = match meta.caps_raw() {
            Some(raw) => (raw.to_vec(), self.restorer.cap_on_disk(raw)),
            None => match caps_at(&mut self.dest, target) {
                Ok(Some(raw)) => (raw.clone(), Some(raw)),
                _ => return,
            },
        };
        let Ok(caps) = crate::caps::FileCaps::decode(&raw) else { return };
        let own = SafeName::parse(&meta.path).ok().and_then(|name| caps_at(&mut self.dest, &name.rel).ok().flatten());
        if own.is_some() && own == value {
            return;
        }
        let reason = format!("the hard link to {} was not made", meta.link.as_deref().unwrap_or(target).escaped());
        let caps = caps.text_with_rootid();
        self.cap_failures.push(CapFailure::with_reason(&meta.path, caps, reason));
    }

    /// Takes the results of files the workers finished, without waiting.
    pub(super) fn poll(&mut self) -> Result<()> {
        while let Some(done) = self.pool.as_ref().and_then(|p| p.done.try_recv().ok()) {
            self.take(done)?;
        }
        Ok(())
    }

    /// `finished`, where a failure that stops the extraction is `stopped`'s error.
    fn take(&mut self, done: Done) -> Result<()> {
        let seq = done.seq;
        self.finished(done).map_err(|e| self.stopped(seq, e))
    }

    /// A worker's file (the `seq`th) stopped the extraction with `error`: the files still in
    /// flight are finished and their results taken. Of those that stopped it too (files
    /// written side by side on a filling disk, an archive cut short while they were copied
    /// from it), the first in archive order is the error the extraction stops with; the others
    /// are reported before it, in archive order, so that every file missing among the files
    /// extracted is named. Those after the last member extracted are named up to
    /// `TAIL_NAMED`, then counted: out of inodes, every small file in flight fails (386 lines
    /// in one run), and they are missing as the members not read are, after every one there.
    fn stopped(&mut self, seq: u64, error: Error) -> Error {
        let mut stops = vec![(seq, error)];
        if let Some(pool) = &mut self.pool
            && let Err(e) = pool.flush()
        {
            stops.push((u64::MAX, Error::Usage(e.into())));
        }
        while self.pool.as_ref().is_some_and(|p| !p.in_flight.is_empty()) {
            let Some(done) = self.pool.as_ref().and_then(|p| p.done.recv().ok()) else { break };
            let seq = done.seq;
            if let Err(e) = self.finished(done) {
                stops.push((seq, e));
            }
        }
        stops.sort_by_key(|&(seq, _)| seq);
        let written_last = self.pool.as_ref().and_then(|p| p.written_last);
        let mut stops = stops.into_iter();
        let (_, first) = stops.next().expect("one error at least");
        let (mut tail_named, mut tail_counted) = (0, 0);
        for (seq, e) in stops.filter(|(_, e)| !is_stop_line(e)) {
            if written_last.is_some_and(|w| seq < w) || seq == u64::MAX {
                self.report.error(e);
            } else if tail_named < TAIL_NAMED {
                tail_named += 1;
                self.report.error(e);
            } else {
                tail_counted += 1;
            }
        }
        if tail_counted > 0 {
            let done = if self.opts.copy { "copied" } else { "extracted" };
            self.report.error(format!(
                "{tail_counted} more {} in flight failed as well, after every member {done} in archive order: not {done}",
                if tail_counted == 1 { "file" } else { "files" }
            ));
        }
        first
    }

    fn finished(&mut self, done: Done) -> Result<()> {
        if let Some(pool) = &mut self.pool {
            pool.in_flight.remove(done.rel.as_os_str());
            pool.left_parent(&done.rel);
            pool.in_flight_bytes -= done.bytes;
            pool.spare.keep(done.data);
        }
        if let Some(pool) = &mut self.pool
            && done.result.is_ok()
        {
            pool.written(done.seq);
        }
        self.settle_backup(&done.rel, done.result.is_err());
        let mut result = done.result;
        if let Err(Failure::Stop(e) | Failure::Member(e)) = &mut result {
            self.explain(&done.rel, e);
        }
        self.note_lost_caps(&done.rel, &done.path, done.caps.as_deref(), &result);
        // Links to it are made, unless it stopped the extraction.
        let handled = self.handle(&done.path, result);
        let linked = self.links_to(&done.rel, handled.is_ok());
        handled.and(linked)
    }

    /// Waits for every file handed to the workers.
    pub(super) fn drain(&mut self) -> Result<()> {
        if let Some(pool) = &mut self.pool {
            pool.flush().map_err(|e| Error::Usage(e.into()))?;
        }
        while self.pool.as_ref().is_some_and(|p| !p.in_flight.is_empty()) {
            let Some(done) = self.pool.as_ref().and_then(|p| p.done.recv().ok()) else { break };
            self.take(done)?;
        }
        Ok(())
    }

    /// A member whose path, any parent of it, or hard-link target is still being written by a
    /// worker waits for the workers: members apply in archive order, as if one at a time.
    fn wait_for_conflicts(&mut self, rel: &Path, meta: &EntryMeta) -> Result<()> {
        let Some(pool) = &self.pool else { return Ok(()) };
        if pool.in_flight.is_empty() {
            return Ok(());
        }
        // With --keep-directory-symlink two names may be one file (`l/f`, `sub/f`): names
        // cannot tell what conflicts, so each member waits for those before it.
        if self.opts.keep_directory_symlink {
            return self.drain();
        }
        let link_target = match meta.kind {
            Kind::HardLink => meta.link.as_deref().and_then(|l| SafeName::parse(l).ok()).map(|n| n.rel),
            _ => None,
        };
        // A file where workers are writing into a directory of that name: it may replace that
        // directory only once they are done (empty, it is removed; with files, it stays).
        let conflict = ancestors(rel).any(|a| pool.in_flight.contains(a))
            || (meta.kind != Kind::Dir || self.opts.existing == Existing::KeepNewer) && pool.is_parent(rel)
            || link_target.is_some_and(|t| pool.in_flight.contains(t.as_os_str()))
            || meta.kind == Kind::HardLink && meta.link.is_none();
        if conflict { self.drain() } else { Ok(()) }
    }
}

/// `rel` and each of its parents, as `Path::ancestors` gives them (without the empty path), cut
/// from its bytes: `rel` is a safe name, without `.`, `..` or repeated slashes.
pub(super) fn ancestors(rel: &Path) -> impl Iterator<Item = &OsStr> {
    let bytes = rel.as_os_str().as_bytes();
    let cuts = bytes.iter().enumerate().filter(|&(_, &b)| b == b'/').map(|(i, _)| i);
    std::iter::once(bytes.len()).chain(cuts).map(move |end| OsStr::from_bytes(&bytes[..end]))
}

/// The members a stop left unreached, as far as a hard link among them needs them: the capped
/// ones with their capability, the others by a hash of their name.
#[derive(Default)]
struct Unreached {
    capped: HashMap<PathBuf, String>,
    plain: std::collections::HashSet<u64>,
}

impl Unreached {
    fn hash(name: &Path) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        BuildHasherDefault::<DefaultHasher>::default().hash_one(name.as_os_str().as_encoded_bytes())
    }
}

/// Of the files in flight that failed after the last file written when the extraction stopped,
/// how many are named; the rest are counted (`Run::stopped`).
const TAIL_NAMED: usize = 3;

/// How `handle`'s line that a capability stops the extraction begins (`is_stop_line`).
const STOPPED: &str = "stopped here";

/// Whether `e` is only `handle`'s line that the extraction stops at a capability (its cause
/// reported already). Of several members that stop it at once (files the workers wrote side by
/// side), the first in archive order says so; the others' causes are reported, not that line
/// again (found by review: "extraction stopped here" twice).
fn is_stop_line(e: &Error) -> bool {
    let line = |msg: &str| {
        ["extraction ", "copy "].iter().any(|w| msg.strip_prefix(w).is_some_and(|m| m.starts_with(STOPPED)))
    };
    matches!(e, Error::Entry { msg, .. } if line(msg))
}

/// The capability of the file at `rel` in the destination, not following a symlink.
fn caps_at(dest: &mut super::beneath::Dest, rel: &Path) -> io::Result<Option<Vec<u8>>> {
    let (parent, name) = parent_of(dest, rel)?;
    let cname = std::ffi::CString::new(name.as_bytes()).map_err(io::Error::other)?;
    let full = || super::beneath::proc_path(parent.as_fd(), name.as_bytes()).unwrap_or_default();
    crate::xattr::get_caps_at(parent.as_fd(), &cname, None, &full)
}

/// `rel`'s directory beneath the destination, held open, and its last component; the
/// destination itself (`rel` empty) is its own `.`.
fn parent_of<'r>(dest: &mut super::beneath::Dest, rel: &'r Path) -> io::Result<(std::os::fd::OwnedFd, &'r OsStr)> {
    let name = rel.file_name().unwrap_or(OsStr::new("."));
    let parent = dest.open_dir(rel.parent().unwrap_or(Path::new("")))?;
    Ok((parent.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?, name))
}

/// Removes the capability of `rel` beneath the destination, its last component not followed.
fn remove_caps_at(dest: &mut super::beneath::Dest, rel: &Path) -> io::Result<()> {
    let (parent, name) = parent_of(dest, rel)?;
    let xattr = std::ffi::OsStr::new(crate::caps::XATTR_NAME);
    if let Some(full) = super::beneath::proc_path(parent.as_fd(), name.as_bytes()) {
        return crate::xattr::remove_path(&full, xattr);
    }
    // Without /proc: a regular file or directory opened itself (no node: opening one may block
    // or touch hardware).
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    let st = rustix::fs::statat(parent.as_fd(), name, AtFlags::SYMLINK_NOFOLLOW)?;
    if !matches!(FileType::from_raw_mode(st.st_mode), FileType::RegularFile | FileType::Directory) {
        return Err(io::Error::from_raw_os_error(libc::ENOTSUP));
    }
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(parent.as_fd(), name, flags, Mode::empty())?;
    crate::xattr::remove_fd(&fd, xattr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_as_path_gives_them() {
        for rel in ["a", "a/b", "usr/share/man/man1/ls.1.gz"] {
            let ours: Vec<&OsStr> = ancestors(Path::new(rel)).collect();
            let mut std: Vec<&OsStr> =
                Path::new(rel).ancestors().map(Path::as_os_str).filter(|a| !a.is_empty()).collect();
            let mut sorted = ours.clone();
            sorted.sort();
            std.sort();
            assert_eq!(sorted, std, "{rel}");
        }
    }
}
