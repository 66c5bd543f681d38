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

The pieces: `options` is what the CLI asks for. `verify` (here) reads the `archive`'s members
or a `getcap` `manifest`'s lines; each becomes a `check::Task`, run on any thread, that looks its
file up in `dirs`' open directories. `extra` then looks for capped files neither names, and
`differences` says what was found, as lines or as JSON, with the summary. `Verifier`, one
verify's state, is defined here so that every piece sees it.
*/

mod archive;
mod check;
mod differences;
mod dirs;
mod extra;
mod manifest;
mod options;

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use check::Finding;
use differences::display; // `check` names files with it
pub use differences::{DiffKind, Difference, Summary};
use dirs::{Dirs, Unreachable};
pub use manifest::parse_manifest_line;
pub use options::{Source, VerifyOptions};

use crate::error::{Error, Outcome, Report, Result};
use crate::format::open_archive_counted;
use crate::progress::Progress;
use crate::select::Members;

/// Names as 128-bit hashes of their components, keyed afresh each run (as `Path` compares
/// them: `a//b` is `a/b`): `--extra` asks, for each file its walk meets, whether the archive
/// named it, and keeps 16 bytes a name for that where whole paths grew by 25 MiB for each
/// 100,000 names of 190 bytes (found by audit: 106 MiB at 420,000 members). Two names that
/// differ share a hash once in 2^128 pairs, by chance only: the keys are unknown to whoever
/// made the archive.
struct NameSet {
    keys: (std::hash::RandomState, std::hash::RandomState),
    set: HashSet<u128>,
}

impl NameSet {
    fn new() -> NameSet {
        NameSet { keys: (std::hash::RandomState::new(), std::hash::RandomState::new()), set: HashSet::new() }
    }

    fn key(&self, name: &Path) -> u128 {
        use std::hash::BuildHasher;
        (u128::from(self.keys.0.hash_one(name)) << 64) | u128::from(self.keys.1.hash_one(name))
    }

    fn insert(&mut self, name: impl AsRef<Path>) {
        let key = self.key(name.as_ref());
        self.set.insert(key);
    }

    fn contains(&self, name: impl AsRef<Path>) -> bool {
        self.set.contains(&self.key(name.as_ref()))
    }
}

/// A set of names that may hold false positives (a Bloom filter of one cheap hash over 2^bits
/// bits, a fixed size): a name it does not hold was never added. A false positive costs only
/// the exact lookup it was to spare, so names chosen to collide slow nothing down beyond that.
struct NameFilter {
    words: Vec<u64>,
    bits: u32,
}

impl NameFilter {
    fn new(bits: u32) -> NameFilter {
        NameFilter { words: vec![0; 1 << (bits - 6)], bits }
    }

    /// The bit of `name`: its length and its last 16 bytes (names in one directory share
    /// their start), mixed.
    fn bit(&self, name: &[u8]) -> usize {
        let (a, b) = match name.len() {
            // Two words read whole: the usual name.
            16.. => {
                let tail = &name[name.len() - 16..];
                let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
                (word(&tail[..8]), word(&tail[8..]))
            }
            _ => {
                let word = |b: &[u8]| b.iter().fold(0u64, |w, &x| (w << 8) | u64::from(x));
                let (a, b) = name.split_at(name.len() / 2);
                (word(a), word(b))
            }
        };
        let h = (a ^ b.rotate_left(29) ^ name.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> (64 - self.bits)) as usize
    }

    fn add(&mut self, name: &[u8]) {
        let bit = self.bit(name);
        self.words[bit / 64] |= 1 << (bit % 64);
    }

    fn may_hold(&self, name: &[u8]) -> bool {
        let bit = self.bit(name);
        self.words[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// `add`, and whether the filter may have held `name` before: one hash, one word.
    fn insert(&mut self, name: &[u8]) -> bool {
        let bit = self.bit(name);
        let word = &mut self.words[bit / 64];
        let held = *word & (1 << (bit % 64)) != 0;
        *word |= 1 << (bit % 64);
        held
    }
}

/// The archived type and capability of a name a hard-link member may link to.
#[derive(Clone)]
struct LinkTarget {
    kind: crate::format::Kind,
    caps: Option<Vec<u8>>,
}

struct Verifier<'a> {
    opts: &'a VerifyOptions,
    report: &'a Report,
    /// `-C`'s directory (`.` without it), shared by the tasks that name files beneath it.
    root: Arc<Path>,
    out: Box<dyn Write + 'a>,
    summary: Summary,
    /// The capabilities that differ only as this user namespace reads them, by the archive's
    /// rootid and the uid of this namespace it is (`Difference::ns_view`), said at the end.
    ns_views: std::collections::BTreeMap<(u32, u32), u64>,
    /// The capabilities that differ only in their rootid, by the archive's and the disk's
    /// (`Difference::rootid_only`), said at the end.
    rootid_only: std::collections::BTreeMap<(Option<u32>, Option<u32>), u64>,
    /// What a hard link to each name would name, where that is not a regular file without a
    /// capability (`note_link_target`): the hard-link table, the only state that grows with
    /// the archive. Keyed by the name's bytes (hashing a `Path` parses its components).
    link_targets: HashMap<std::ffi::OsString, LinkTarget>,
    /// The names in `link_targets`, as bits of a filter that a plain file's name is tested
    /// against before the map is asked to forget it: most members are plain files whose name
    /// was never recorded, and a SipHash each was 2% of caps-only verify's time.
    recorded: NameFilter,
    /// The names of the members checked, for `Task::again`: 2^17 bits (16 KiB), so that about
    /// a fifth of a 30,000-member archive's names are taken for names seen before (each costs
    /// a checking thread one allocation). 2^20 bits cost caps-only verify 2% of its CPU in
    /// cache misses, on the thread that reads the archive.
    names_seen: NameFilter,
    /// While the archive is read (without `--occurrence`), the differences found so far are
    /// held here, not printed: a later member of the same name replaces the file on
    /// extraction, and with it what an earlier one's check found (`withdraw`). With `--json`
    /// every difference is kept here for the document.
    holding: bool,
    /// The differences found, printed once the archive is read (`release`), with the member
    /// names (`-v`) after the first, or with `--json` in the document.
    diffs: Vec<differences::Held>,
    /// Where the differences held of each member name are in `diffs`.
    held_at: HashMap<PathBuf, Vec<usize>>,
    /// The members asked for.
    members: Members<'a>,
    /// Every member path, when `--extra` needs them.
    seen: NameSet,
    dirs: Vec<PathBuf>,
    /// How the first name verified begins (`/`, `./` or nothing), for `--extra`'s names.
    style: Option<&'static str>,
    /// Whether "removing leading '/' from member names" was said.
    said_root: bool,
    /// The error that cut the last member's data short, once its header-only check is made.
    cut_data: Option<Error>,
    buf_a: Vec<u8>,
    buf_b: Vec<u8>,
    /// The open directory of the last check made on this thread.
    dirs_open: Dirs,
    /// While members are checked on other threads: what reading the archive found to say
    /// (damage, members not verified, records left out), said in its place among the checks'
    /// findings, in archive order.
    early: Option<Vec<Finding>>,
    /// The plain archive file the checks read members' data from (`--all`), once one was.
    archive_data: Option<Arc<check::ArchiveData>>,
    /// `--all` without xattr options met a member carrying xattrs besides its capability: only
    /// those are compared, as said at the end.
    xattrs_one_way: bool,
}

/// Why `--extra` with a manifest, without `-C` or paths, is refused.
pub const EXTRA_NOWHERE: &str = "--extra with a manifest needs where to look: name the directories getcap scanned (as `getcap -r /usr` scanned /usr), or pass -C DIR to scan all of DIR";

pub fn verify(opts: &VerifyOptions, report: &Report) -> Result<Outcome> {
    let root: Arc<Path> = opts.directory.as_deref().unwrap_or(Path::new(".")).into();
    let out = crate::list::stdout_writer();
    let mut v = Verifier {
        opts,
        report,
        root,
        out,
        diffs: Vec::new(),
        holding: false,
        held_at: HashMap::new(),
        summary: Summary::default(),
        ns_views: Default::default(),
        rootid_only: Default::default(),
        link_targets: HashMap::new(),
        recorded: NameFilter::new(16),
        names_seen: NameFilter::new(17),
        seen: NameSet::new(),
        dirs: Vec::new(),
        style: None,
        said_root: false,
        cut_data: None,
        buf_a: vec![0; 1 << 20],
        buf_b: vec![0; 1 << 20],
        dirs_open: Dirs::default(),
        early: None,
        archive_data: None,
        xattrs_one_way: false,
        members: match opts.source {
            Source::Manifest(_) => Members::for_paths(&opts.select),
            Source::Archive(_) => {
                let mut members = Members::new(&opts.select);
                // As extract: GNU tar's `--occurrence` counts the names as changed.
                if opts.moves_members() {
                    members.read_all();
                }
                members
            }
        },
    };
    if opts.json {
        report.keep_messages();
    }
    let ready = (|| {
        if let Some(dir) = &opts.directory
            && !dir.is_dir()
        {
            let e = std::fs::metadata(dir).err().unwrap_or_else(|| io::Error::from_raw_os_error(libc::ENOTDIR));
            return Err(Error::io(dir, "open the directory to verify against", e));
        }
        // One that cannot be searched is said once, as extract says it, not once per member
        // (found by audit: a user's `verify -C /root` was a "stat: Permission denied" for each).
        if let Some(dir) = &opts.directory
            && let Err(e) = crate::extract::beneath::open_searchable(dir)
        {
            return Err(Error::io(dir, "search the directory to verify against", e.into()));
        }
        if opts.keep_directory_symlink {
            let mut dest = crate::extract::beneath::Dest::open_for_lookup(&v.root)
                .map_err(|e| Error::io(&*v.root, "open the directory to verify against", e))?;
            dest.keep_dir_symlinks().map_err(|e| Error::entry(&*v.root, e.to_string()))?;
        }
        Ok(())
    })();
    // With --json, a DIR that cannot be compared against is said in a document too, as an
    // archive that cannot be read is (found by review: no document at all).
    match ready {
        Err(e) if opts.json => {
            report.error(e);
            v.finish()?;
            return Ok(report.outcome());
        }
        other => other?,
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
        // With --json, an error that stops the run (a truncated or damaged archive) is said in
        // the document too, after what was found before it (found by review: there was no
        // document at all, the differences found before it lost).
        // Standard output refused what was written (the document itself, with --json): said
        // once (found by audit: the document was written again, and its failure said twice).
        Err(e @ Error::Io { .. }) if matches!(&e, Error::Io { path, .. } if path.as_os_str() == crate::error::STDOUT) =>
        {
            return Err(e);
        }
        Err(e) if opts.json => {
            report.error(e);
            v.finish()?;
        }
        other => other?,
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
                progress.follow(opened.input_pos.clone());
                let tick = || progress.set_position(opened.input_pos.load(Ordering::Relaxed));
                // `--occurrence` picks the copy to compare: every one asked for is compared.
                self.holding = opts.select.occurrence.is_none();
                // A plain archive file written to while it is read: what was compared is not
                // what it holds (`--all` reads members' data after the reader went on,
                // `Content::InArchive`); its size and time, before and after, tell, as extract's.
                let stamp_before = reader.archive_stamp();
                let mut result = self.archive(&mut reader, &tick);
                progress.finish();
                if stamp_before.is_some() && reader.archive_stamp() != stamp_before {
                    let changed = Error::entry(
                        path,
                        "the archive file changed while it was being verified (written to, or its size or time changed): what was compared may not be what it holds; verify again from a copy nothing writes to",
                    );
                    match result {
                        Ok(()) => result = Err(changed),
                        Err(_) => report.error(changed),
                    }
                }
                // What was found is said before an error that stopped the reading.
                let released = self.release();
                result?;
                released?;
                report.set_total(reader.records_read(opts.record));
            }
            Source::Manifest(path) => self.manifest(path)?,
        }
        if opts.extra {
            self.extra()?;
        }
        // As extract and tar --compare: a member asked for and not there is an error, not a
        // pass. With a manifest and --extra, a path named is also where to look for
        // capabilities gained: one the manifest has no line under is expected to have none.
        let scanned = matches!(opts.source, Source::Manifest(_)) && opts.extra;
        let not_found = if scanned { Vec::new() } else { self.members.not_found(opts.source.label()) };
        if !not_found.is_empty() {
            // After the differences printed (`2>&1` reads in order); a closed standard output
            // is `finish`'s to find, once these are said (found by review: they were lost).
            let _ = self.out.flush();
        }
        for e in not_found {
            report.error(e);
        }
        self.note_ns_views();
        self.note_rootid_only();
        // Said, as a restore that lost none but gained some (an ACL granting more, a
        // security label) passes (found by audit: three such changes passed without a word).
        if self.xattrs_one_way {
            report.note(
                "the archive holds xattrs or ACLs besides capabilities: those it holds were compared, and none it lacks was looked for on disk (pass extract's options, e.g. --xattrs-include='*' --acls, to look for those too)",
            );
        }
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are held as paths compare (`a//b/` is `a/b`), and no other name is: not a
    /// prefix, not the same bytes split otherwise.
    #[test]
    fn the_name_set_holds_paths_as_they_compare() {
        let mut s = NameSet::new();
        for i in 0..50_000 {
            s.insert(format!("usr/share/d{}/f{i}", i % 100));
        }
        s.insert("a//b/");
        assert!(s.contains("a/b") && s.contains("a//b") && s.contains(Path::new("a").join("b")));
        assert!(!s.contains("a") && !s.contains("a/b/c") && !s.contains("ab"));
        assert!((0..50_000).all(|i| s.contains(format!("usr/share/d{}/f{i}", i % 100))));
        assert!(!(0..50_000).any(|i| s.contains(format!("usr/share/d{}/f{i}", (i + 1) % 100))));
    }

    /// The filter holds every name added (no false negative), of any length, and not most
    /// others.
    #[test]
    fn the_name_filter_holds_what_was_added() {
        let mut f = NameFilter::new(16);
        let names: Vec<String> = (0..3000).map(|i| format!("usr/share/doc/pkg{}/link{i}", i % 7)).collect();
        for n in &names {
            f.add(n.as_bytes());
        }
        for n in names.iter().map(String::as_bytes).chain([&b""[..], b"a", b"0123456789abcdefg"]) {
            f.add(n);
            assert!(f.may_hold(n));
        }
        let others = (0..3000).filter(|i| f.may_hold(format!("usr/share/doc/pkg{}/file{i}", i % 7).as_bytes())).count();
        assert!(others < 600, "{others} of 3000 other names pass");
    }
}
