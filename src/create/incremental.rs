/*!
GNU tar's listed-incremental backups (`-g SNAPSHOT`, `--listed-incremental`), in its snapshot
format 2 and its archive format, so either tool continues a chain the other began.

The snapshot file records when the last dump began and, for every directory it walked, its
device, inode and listing. A dump reads it (none, or `--level=0`: a full dump), and archives:
- every directory, with its listing as a `GNU.dumpdir` record: each name after `Y` (archived
  here), `N` (there, unchanged since the last dump, or excluded) or `D` (a directory);
- the files of a directory new since the last dump (or replaced: another inode) all, else those
  not listed last time or modified or changed (ctime: a chown, a setcap) since it began.

A file named on the command line is archived when it changed since then. Then the snapshot is
replaced (written beside it and renamed over it) with this dump's start and directories.
Extracting with `--incremental` (`extract::incremental`) makes each directory hold what its
listing says: what is not listed is removed, and GNU tar's rename records are followed.

A directory renamed since the last dump (found by its device and inode) is recorded as a
rename, as GNU tar records it: `R` old name, `T` new name, in a listing; only its changed files
are archived, as if it had not moved. Extracting follows the renames before it purges. GNU tar
puts every rename in the first directory's listing, having walked the whole tree before it
writes; captar writes each directory as it walks, so a rename goes in the listing of the
directory it happened in, which extraction reaches while the old name is still there: a
directory renamed within its directory is recorded so; one moved to another directory, or onto
a name the last dump had, is archived whole as a new one (the same tree restored, a larger
dump).
*/

use std::collections::HashMap;
use std::ffi::CString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rustix::fs::Stat;

use super::options::Newer;
use crate::error::{Error, Result};
use crate::format::Time;
use crate::temps;

/// The first line of a snapshot file: the name GNU tar checks, then the format version (the
/// number after the last `-`; the part between is the writer's version, not read).
const MAGIC: &str = "GNU tar-captar-2\n";

/// A directory as a snapshot records it.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapDir {
    /// On NFS: its device may differ from one mount to the next, so only the inode is compared.
    pub nfs: bool,
    pub mtime: Time,
    pub dev: u64,
    pub ino: u64,
    /// Its listing: a letter (`Y`, `N`, `D`) and the name, each; sorted by name.
    pub entries: Vec<Vec<u8>>,
}

/// A snapshot file's contents.
#[derive(Debug, Default, PartialEq)]
pub struct Snapshot {
    /// When the dump it describes began; `None`: no dump yet.
    pub since: Option<Time>,
    /// By path, as walked (`dir/sub`, relative to `-C`).
    pub dirs: HashMap<Vec<u8>, SnapDir>,
}

impl Snapshot {
    /// Parses a snapshot file (format 2; an empty file is no snapshot). `Err`: what is wrong.
    pub fn parse(bytes: &[u8]) -> std::result::Result<Snapshot, String> {
        if bytes.is_empty() {
            return Ok(Snapshot::default());
        }
        let nl = bytes.iter().position(|&b| b == b'\n').ok_or("its first line has no end")?;
        let first = &bytes[..nl];
        if !first.starts_with(b"GNU tar-") {
            return Err("it does not start with GNU tar's snapshot line (`GNU tar-VERSION-2`)".into());
        }
        let version = first.rsplit(|&b| b == b'-').next().unwrap_or_default();
        if version != b"2" {
            return Err(format!(
                "it is in snapshot format {} (GNU tar before 1.20); captar reads format 2",
                String::from_utf8_lossy(version)
            ));
        }
        let mut fields = Fields { rest: &bytes[nl + 1..] };
        let since = fields.time()?.ok_or("it ends before the time of its dump")?;
        let mut dirs = HashMap::new();
        while let Some(nfs) = fields.next() {
            let nfs = match nfs {
                b"0" => false,
                b"1" => true,
                _ => return Err("a directory record does not start with 0 or 1 (its NFS flag)".into()),
            };
            let mtime = fields.time()?.ok_or("it ends inside a directory record")?;
            let dev = fields.number()?;
            let ino = fields.number()?;
            let name = fields.next().ok_or("a directory record ends before its name")?.to_vec();
            let mut entries = Vec::new();
            loop {
                match fields.next() {
                    None => return Err("a directory record ends inside its listing".into()),
                    Some([]) => break,
                    Some(entry) => entries.push(entry.to_vec()),
                }
            }
            if fields.next() != Some(&[][..]) {
                return Err("a directory record has no terminator".into());
            }
            entries.sort_by(|a: &Vec<u8>, b: &Vec<u8>| a[1..].cmp(&b[1..]));
            dirs.insert(name, SnapDir { nfs, mtime, dev, ino, entries });
        }
        Ok(Snapshot { since: Some(since), dirs })
    }

    /// The snapshot as a file: format 2, as GNU tar writes it (its order of directories aside).
    pub fn to_bytes(&self, order: &[Vec<u8>]) -> Vec<u8> {
        let mut out = MAGIC.as_bytes().to_vec();
        let field = |out: &mut Vec<u8>, bytes: &[u8]| {
            out.extend_from_slice(bytes);
            out.push(0);
        };
        let since = self.since.unwrap_or_default();
        field(&mut out, since.secs.to_string().as_bytes());
        field(&mut out, since.nsecs.to_string().as_bytes());
        for name in order {
            let Some(d) = self.dirs.get(name) else { continue };
            field(&mut out, if d.nfs { b"1" } else { b"0" });
            field(&mut out, d.mtime.secs.to_string().as_bytes());
            field(&mut out, d.mtime.nsecs.to_string().as_bytes());
            field(&mut out, d.dev.to_string().as_bytes());
            field(&mut out, d.ino.to_string().as_bytes());
            field(&mut out, name);
            for e in &d.entries {
                field(&mut out, e);
            }
            out.extend_from_slice(&[0, 0]);
        }
        out
    }
}

/// The NUL-terminated fields of a snapshot.
struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// The next field; `None` at the end (a last field without its NUL is none).
    fn next(&mut self) -> Option<&'a [u8]> {
        let end = self.rest.iter().position(|&b| b == 0)?;
        let (field, rest) = (&self.rest[..end], &self.rest[end + 1..]);
        self.rest = rest;
        Some(field)
    }

    fn number(&mut self) -> std::result::Result<u64, String> {
        let f = self.next().ok_or("it ends inside a record")?;
        std::str::from_utf8(f).ok().and_then(|s| s.parse().ok()).ok_or_else(|| bad_number(f))
    }

    /// Seconds (maybe negative) and nanoseconds; `None` at the end.
    fn time(&mut self) -> std::result::Result<Option<Time>, String> {
        let Some(secs) = self.next() else { return Ok(None) };
        let secs: i64 = std::str::from_utf8(secs).ok().and_then(|s| s.parse().ok()).ok_or_else(|| bad_number(secs))?;
        let nsecs = self.number()?;
        let nsecs =
            u32::try_from(nsecs).ok().filter(|&n| n < 1_000_000_000).ok_or_else(|| bad_number(b"nanoseconds"))?;
        Ok(Some(Time { secs, nsecs }))
    }
}

fn bad_number(field: &[u8]) -> String {
    format!("{:?} is not a number where one belongs", String::from_utf8_lossy(field))
}

/// A listed-incremental dump in progress.
#[derive(Debug)]
pub struct Incremental {
    path: PathBuf,
    old: Snapshot,
    /// Whether a directory of another device number is another directory (GNU tar's
    /// `--check-device`, the default; `--no-check-device` compares inodes only).
    check_device: bool,
    /// The directories walked, for the new snapshot, in walk order.
    new: Snapshot,
    order: Vec<Vec<u8>>,
    /// The last dump's directories by device and inode: a directory's old name after a rename.
    by_inode: HashMap<(u64, u64), Vec<u8>>,
    /// The renames recorded so far, in archive order (old name, new name, as snapshot keys):
    /// where extraction will have moved an old directory by the time it reads a listing.
    renames: Vec<(Vec<u8>, Vec<u8>)>,
}

/// A directory renamed since the last dump, as recorded in its parent's listing.
#[derive(Debug, PartialEq)]
pub struct Renamed {
    /// The old and new names, as snapshot keys (`dir/sub`), for messages.
    pub from: Vec<u8>,
    pub to: Vec<u8>,
}

/// What a directory's entry is in its listing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// Archived in this dump.
    Yes,
    /// There, but not archived (unchanged, excluded, or not looked at).
    No,
    /// A directory (always archived, with its own listing).
    Dir,
}

impl Mark {
    fn letter(self) -> u8 {
        match self {
            Mark::Yes => b'Y',
            Mark::No => b'N',
            Mark::Dir => b'D',
        }
    }
}

impl Incremental {
    /// Reads the snapshot at `path` (missing: a full dump); `level0` ignores what it holds. A
    /// snapshot that is a symlink is read and replaced where it leads, as GNU tar writes
    /// through it.
    pub fn open(path: &Path, level0: bool, check_device: bool) -> Result<Incremental> {
        // The kernel stamps files from its coarse clock (a tick, ~4 ms, behind the fine one): a
        // file changed right after a start read from the fine clock could carry an earlier
        // ctime, and the next dump would take it for unchanged. The coarse clock's now is never
        // later than a time stamped after it.
        let start = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
        let start = Time { secs: start.tv_sec as i64, nsecs: start.tv_nsec as u32 };
        let path = through_symlinks(path);
        // Where the new snapshot goes must be there before the dump, not found missing after.
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Err(e) = std::fs::read_dir(dir) {
            return Err(Error::entry(
                &path,
                format!(
                    "the snapshot's directory cannot be read ({}); name a snapshot in an existing directory",
                    crate::error::os_text(&e)
                ),
            ));
        }
        let old = match std::fs::read(&path) {
            Ok(_) if level0 => Snapshot::default(),
            Ok(bytes) => Snapshot::parse(&bytes).map_err(|why| {
                Error::entry(
                    &path,
                    format!("not a snapshot captar or GNU tar can continue: {why}; --dump-level=0 makes a full dump and replaces it"),
                )
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Snapshot::default(),
            Err(e) => return Err(Error::io(&path, "read snapshot", e)),
        };
        // When this dump began: the next one's `since`.
        let new = Snapshot { since: Some(start), dirs: HashMap::new() };
        Ok(Incremental::with(path, old, check_device, new))
    }

    fn with(path: PathBuf, old: Snapshot, check_device: bool, new: Snapshot) -> Incremental {
        let by_inode = old.dirs.iter().map(|(name, d)| ((d.dev, d.ino), name.clone())).collect();
        Incremental { path, old, check_device, new, order: Vec::new(), by_inode, renames: Vec::new() }
    }

    /// Where extraction will find the old directory `name` once the renames recorded so far
    /// are made.
    fn moved(&self, name: &[u8]) -> Vec<u8> {
        let mut name = name.to_vec();
        for (from, to) in &self.renames {
            if let Some(rest) = name.strip_prefix(from.as_slice())
                && (rest.is_empty() || rest[0] == b'/')
            {
                name = [to.as_slice(), rest].concat();
            }
        }
        name
    }

    /// The last dump's record of the directory `key` (of lstat `st`), and its old name if it
    /// had another: the one of that name if it is the same directory (inode, and device unless
    /// not checked) and no rename recorded took it elsewhere (extraction will have moved it: a
    /// new directory at its name is another one), else the one of its inode that the renames
    /// recorded bring to `key` (a directory beneath a renamed one) if it may be the same
    /// directory (`older`).
    fn known(&self, key: &[u8], st: &Stat, older: impl FnOnce() -> bool) -> Option<(&SnapDir, Option<&[u8]>)> {
        let same = |d: &&SnapDir| d.ino == st.st_ino && (!self.check_device || d.nfs || d.dev == st.st_dev);
        if let Some(d) = self.old.dirs.get(key).filter(same)
            && self.moved(key) == key
        {
            return Some((d, None));
        }
        let old = self.by_inode.get(&(st.st_dev, st.st_ino))?;
        if self.moved(old) == key && older() { self.old.dirs.get(old).map(|d| (d, Some(&old[..]))) } else { None }
    }

    /// Whether a directory born at `birth` (`None`: the filesystem does not say) may be one the
    /// last dump saw: an inode number freed since then (a directory removed) may be given to a
    /// new directory, which is no rename. GNU tar, comparing numbers only, takes it for one.
    fn may_be_old(&self, birth: Option<Time>) -> bool {
        match (birth, self.old.since) {
            (Some(birth), Some(since)) => birth < since,
            _ => true,
        }
    }

    /// Whether the subdirectory `name` (of lstat `st`) of the directory `key`, whose last
    /// listing is `listing`, is a directory renamed within it since the last dump that
    /// extraction can rename back: its old name (where extraction will find it) is in `key`,
    /// listed there last time as a directory, and not there now as the same one; its new name
    /// was not in the last listing (extraction would find it taken). Returns the old name.
    fn renamed_within(
        &self,
        key: &[u8],
        listing: &[Vec<u8>],
        names: &[(CString, Option<Stat>)],
        (name, st): (&CString, &Stat),
        born: &impl Fn(Option<&CString>) -> Option<Time>,
    ) -> Option<Vec<u8>> {
        let name = name.to_bytes();
        let listed = |n: &[u8]| listing.binary_search_by(|e| e[1..].cmp(n)).ok().map(|i| listing[i][0]);
        let old = self.by_inode.get(&(st.st_dev, st.st_ino))?;
        let at = self.moved(old);
        let (parent, old_name) = split_last(&at)?;
        // Cheapest first: most subdirectories are where they were (no scan of the names per
        // subdirectory, which made a wide directory's dump quadratic).
        if parent != key || old_name == name || listed(old_name) != Some(b'D') || listed(name).is_some() {
            return None;
        }
        let still_there = names.iter().any(|(n, s)| {
            n.as_bytes() == old_name && s.as_ref().is_some_and(|s| (s.st_dev, s.st_ino) == (st.st_dev, st.st_ino))
        });
        (!still_there && self.may_be_old(born(Some(&CString::new(name).ok()?)))).then_some(at)
    }

    /// Files older than this (modified and changed) are unchanged; `None`: a full dump.
    pub fn since(&self) -> Option<Newer> {
        self.old.since.map(|date| Newer { date, ctime: true })
    }

    /// Decides the listing of the directory `key` (its path as walked), of lstat `st`, whose
    /// entries are `names` (each with its lstat, or `None` where that failed), and records it
    /// for the new snapshot. `born` gives the birth time of the directory (`None`) or of one of
    /// its entries, where the filesystem keeps one. Returns the listing as `GNU.dumpdir` holds
    /// it (with the renames of its subdirectories, named by `member`, the directory's member
    /// name), each name's mark in the order given, and the renames.
    pub fn directory(
        &mut self,
        (key, member): (&[u8], &[u8]),
        st: &Stat,
        names: &[(CString, Option<Stat>)],
        (excluded, excluded_at): (impl Fn(&CString, Option<&Stat>) -> bool, impl Fn(&[u8]) -> bool),
        born: impl Fn(Option<&CString>) -> Option<Time>,
    ) -> (Vec<u8>, Vec<Mark>, Vec<Renamed>) {
        let known = self.known(key, st, || self.may_be_old(born(None)));
        let old = known.map(|(d, _)| d);
        // Of a directory that had another name, an entry listed `N` whose old path the
        // exclusions match was left out, maybe never archived; its new path may not match them:
        // it is not taken as listed (`excluded_at` says whether a path was excluded).
        let old_name = known.and_then(|(_, name)| name);
        let since = self.since();
        let marks: Vec<Mark> = names
            .iter()
            .map(|(name, entry_st)| {
                let listed = old.is_some_and(|d| {
                    d.entries.binary_search_by(|e| e[1..].cmp(name.as_bytes())).is_ok_and(|i| {
                        let left_out =
                            |dir: &[u8]| d.entries[i][0] == b'N' && excluded_at(&child(dir, name.as_bytes()));
                        !old_name.is_some_and(left_out)
                    })
                });
                match entry_st {
                    _ if excluded(name, entry_st.as_ref()) => Mark::No,
                    // Looked at again by the walk, which reports why it cannot be.
                    None => Mark::Yes,
                    Some(s) if rustix::fs::FileType::from_raw_mode(s.st_mode) == rustix::fs::FileType::Directory => {
                        Mark::Dir
                    }
                    Some(s) => match since {
                        Some(since) if listed && since.leaves_out(s) => Mark::No,
                        _ => Mark::Yes,
                    },
                }
            })
            .collect();
        let mut entries: Vec<Vec<u8>> = names
            .iter()
            .zip(&marks)
            .map(|((name, _), mark)| {
                let mut e = vec![mark.letter()];
                e.extend_from_slice(name.as_bytes());
                e
            })
            .collect();
        entries.sort_by(|a, b| a[1..].cmp(&b[1..]));
        let mut dumpdir = Vec::new();
        for e in &entries {
            dumpdir.extend_from_slice(e);
            dumpdir.push(0);
        }
        let renamed: Vec<(Vec<u8>, &[u8])> = match old {
            Some(old) => names
                .iter()
                .zip(&marks)
                .filter(|(_, mark)| **mark == Mark::Dir)
                .filter_map(|((name, st), _)| {
                    let from = self.renamed_within(key, &old.entries, names, (name, st.as_ref()?), &born)?;
                    Some((from, name.as_bytes()))
                })
                .collect(),
            None => Vec::new(),
        };
        // In the listing, named as members: the directory's member name, then the last name.
        let mut renames = Vec::new();
        for (from, name) in renamed {
            let old_name = split_last(&from).map_or(&from[..], |(_, n)| n);
            for (letter, last) in [(b'R', old_name), (b'T', name)] {
                dumpdir.push(letter);
                dumpdir.extend_from_slice(&child(member, last));
                dumpdir.push(0);
            }
            let to = child(key, name);
            self.renames.push((from.clone(), to.clone()));
            renames.push(Renamed { from, to });
        }
        dumpdir.push(0);
        self.record(key, st, entries);
        (dumpdir, marks, renames)
    }

    /// Records a directory not looked into (another filesystem, unreadable, tagged) with an
    /// empty listing, as GNU tar drops it: the next dump takes all it holds as new, so nothing
    /// changed meanwhile is missed.
    pub fn unlisted(&mut self, key: &[u8], st: &Stat) {
        self.record(key, st, Vec::new());
    }

    fn record(&mut self, key: &[u8], st: &Stat, entries: Vec<Vec<u8>>) {
        let dir = SnapDir { nfs: false, mtime: Time::mtime_of(st), dev: st.st_dev, ino: st.st_ino, entries };
        if self.new.dirs.insert(key.to_vec(), dir).is_none() {
            self.order.push(key.to_vec());
        }
    }

    /// Replaces the snapshot file with this dump's: written beside it, synced, renamed over it.
    /// A new one gets mode 0666 less the umask, as GNU tar makes it; one replaced keeps its mode
    /// and owner. Something other than a regular file (`-g /dev/null`, GNU tar's way to make
    /// a full dump without a snapshot) is written into, never replaced.
    pub fn save(&self) -> Result<()> {
        let bytes = self.new.to_bytes(&self.order);
        let old = std::fs::metadata(&self.path).ok();
        if old.as_ref().is_some_and(|md| !md.is_file()) {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(&self.path)
                .and_then(|mut f| f.write_all(&bytes))
                .map_err(|e| Error::io(&self.path, "write the new snapshot", e));
        }
        let mut beside = temps::Beside::create(&self.path, 0o666).map_err(|e| match e {
            temps::BesideError::Dir(dir, e) => Error::io(dir, "open the snapshot's directory", e),
            temps::BesideError::Create(e) => Error::io(&self.path, "create the new snapshot", e),
        })?;
        if let Err(e) = beside.file.write_all(&bytes).and_then(|()| beside.file.sync_all()) {
            beside.discard();
            return Err(Error::io(&self.path, "write the new snapshot", e));
        }
        // The old snapshot's owner (where this process may give it), mode, ACLs and xattrs (a
        // new one: 0666 less the umask).
        if old.is_some()
            && let Err(what) = beside.take_attributes(&self.path, false)
        {
            beside.discard();
            return Err(Error::entry(&self.path, format!("cannot give the new snapshot the old one's {what}")));
        }
        beside.finish().map_err(|e| Error::io(&self.path, "rename the new snapshot into place", e))
    }
}

/// A path's directory and last name (`/x`: `/` and `x`); `None` without a `/`.
fn split_last(path: &[u8]) -> Option<(&[u8], &[u8])> {
    let slash = path.iter().rposition(|&b| b == b'/')?;
    Some((if slash == 0 { &path[..1] } else { &path[..slash] }, &path[slash + 1..]))
}

/// The path of `name` in the directory `dir`, as `Path::join` makes it (`/` once).
fn child(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let slash: &[u8] = if dir.is_empty() || dir.ends_with(b"/") { b"" } else { b"/" };
    [dir, slash, name].concat()
}

/// Where a snapshot named `path` is read and written: what a symlink there leads to (dangling
/// too: GNU tar creates it through the link).
fn through_symlinks(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&path) {
            Ok(target) => path = path.parent().map_or(target.clone(), |dir| dir.join(&target)),
            Err(_) => break,
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_back_as_written() {
        let mut snap = Snapshot { since: Some(Time { secs: 1_700_000_000, nsecs: 5 }), dirs: HashMap::new() };
        let d = SnapDir {
            nfs: false,
            mtime: Time { secs: -3, nsecs: 999_999_999 },
            dev: 2049,
            ino: 77,
            entries: vec![b"Da".to_vec(), b"Nb c".to_vec(), b"Yd\n".to_vec()],
        };
        snap.dirs.insert(b"x/y".to_vec(), d.clone());
        snap.dirs.insert(b"empty".to_vec(), SnapDir { entries: vec![], ..d });
        let bytes = snap.to_bytes(&[b"x/y".to_vec(), b"empty".to_vec()]);
        assert!(
            bytes.starts_with(
                b"GNU tar-captar-2\n1700000000\x005\x000\x00-3\x00999999999\x002049\x0077\x00x/y\x00Da\x00"
            )
        );
        assert_eq!(Snapshot::parse(&bytes).unwrap(), snap);
    }

    /// A directory the snapshot knows (same inode) lists its unchanged files `N`; one of another
    /// device number is another directory, all of its files archived, unless devices are not
    /// compared (`--no-check-device`); a file not in its last listing is archived however old.
    #[test]
    fn unchanged_files_of_a_known_directory_are_left_out() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("f"), "f").unwrap();
        let dir = rustix::fs::stat(tmp.path()).unwrap();
        let file = rustix::fs::stat(tmp.path().join("f")).unwrap();
        let names = [(CString::new("f").unwrap(), Some(file)), (CString::new("g").unwrap(), Some(file))];
        let marks = |check_device: bool, dev: u64| {
            let mut snap = Snapshot { since: Some(Time { secs: i64::MAX / 2, nsecs: 0 }), dirs: HashMap::new() };
            let known =
                SnapDir { nfs: false, mtime: Time::default(), dev, ino: dir.st_ino, entries: vec![b"Yf".to_vec()] };
            snap.dirs.insert(b"d".to_vec(), known);
            let mut inc = Incremental::with(PathBuf::from("snap"), snap, check_device, Snapshot::default());
            let (dumpdir, marks, _) = inc.directory((b"d", b"d"), &dir, &names, (|_, _| false, |_| false), |_| None);
            (String::from_utf8(dumpdir).unwrap(), marks)
        };
        assert_eq!(marks(true, dir.st_dev), ("Nf\0Yg\0\0".to_string(), vec![Mark::No, Mark::Yes]));
        assert_eq!(marks(true, dir.st_dev + 1).1, [Mark::Yes, Mark::Yes]);
        assert_eq!(marks(false, dir.st_dev + 1).1, [Mark::No, Mark::Yes]);
    }

    /// A subdirectory the last dump knew under another name in the same directory (by device
    /// and inode) is a rename, recorded in the listing by member names; not when it was born
    /// after the last dump began (a new directory given a freed inode number), nor when its new
    /// name was taken last time, nor when its old name is still there as the same directory.
    #[test]
    fn renames_within_a_directory_are_recorded() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("new")).unwrap();
        let parent = rustix::fs::stat(tmp.path()).unwrap();
        let dir = rustix::fs::stat(tmp.path().join("new")).unwrap();
        let since = Time { secs: 1_000, nsecs: 0 };
        let run = |listing: &[&[u8]], names: &[&str], birth: Option<Time>| {
            let snap_dir = |ino, entries: &[&[u8]]| SnapDir {
                nfs: false,
                mtime: Time::default(),
                dev: parent.st_dev,
                ino,
                entries: entries.iter().map(|e| e.to_vec()).collect(),
            };
            let mut snap = Snapshot { since: Some(since), dirs: HashMap::new() };
            snap.dirs.insert(b"p".to_vec(), snap_dir(parent.st_ino, listing));
            snap.dirs.insert(b"p/old".to_vec(), snap_dir(dir.st_ino, &[]));
            let mut inc = Incremental::with(PathBuf::from("snap"), snap, true, Snapshot::default());
            let names: Vec<(CString, Option<Stat>)> =
                names.iter().map(|n| (CString::new(*n).unwrap(), Some(dir))).collect();
            let (dumpdir, _, renames) =
                inc.directory((b"p", b"m/p"), &parent, &names, (|_, _| false, |_| false), |_| birth);
            (String::from_utf8(dumpdir).unwrap(), renames.into_iter().map(|r| (r.from, r.to)).collect::<Vec<_>>())
        };
        let before = Some(Time { secs: 999, nsecs: 999_999_999 });
        let (dumpdir, renames) = run(&[b"Dold"], &["new"], before);
        assert_eq!(dumpdir, "Dnew\0Rm/p/old\0Tm/p/new\0\0");
        assert_eq!(renames, [(b"p/old".to_vec(), b"p/new".to_vec())]);
        assert_eq!(run(&[b"Dold"], &["new"], None).1.len(), 1, "no birth time: a rename, as GNU tar");
        assert_eq!(run(&[b"Dold"], &["new"], Some(since)).0, "Dnew\0\0", "born since the last dump");
        assert!(run(&[b"Dnew", b"Dold"], &["new"], before).1.is_empty(), "its new name was taken");
        assert!(run(&[b"Dold"], &["new", "old"], before).1.is_empty(), "its old name is the same directory");
        assert!(run(&[b"Yold"], &["new"], before).1.is_empty(), "its old name was not a directory");
    }

    #[test]
    fn bad_snapshots_say_why() {
        let err = |b: &[u8]| Snapshot::parse(b).unwrap_err();
        assert!(err(b"GNU tar-1.19-1\n123 456\n").contains("format 1"));
        assert!(err(b"hello\n").contains("does not start"));
        assert!(
            err(b"GNU tar-1.34-2\n1\x002\x000\x001\x002\x003\x004\x00dir\x00Yf\x00").contains("inside its listing")
        );
        assert!(err(b"GNU tar-1.34-2\n1\x002\x007\x00").contains("NFS flag"));
        assert!(err(b"GNU tar-1.34-2\nx\x002\x00").contains("not a number"));
        assert!(err(b"GNU tar-1.34-2\n12").contains("ends before the time"));
        assert!(err(b"GNU tar-1.34-2\n12\x00").contains("ends inside a record"));
        assert_eq!(Snapshot::parse(b"").unwrap(), Snapshot::default());
        // GNU tar's own first line, and no directory.
        assert_eq!(Snapshot::parse(b"GNU tar-1.34-2\n1\x002\x00").unwrap().since, Some(Time { secs: 1, nsecs: 2 }));
    }
}
