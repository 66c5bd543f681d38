//! Hostile archives (issue 4): every archive here is crafted block by block in the test, so each
//! case reads as the attack it is. For every case a sentinel directory beside the destination
//! must come out byte-identical (contents, modes, owners, times, xattrs, link counts); refused
//! input exits 2 with a one-line reason naming the entry; nothing panics; no `.captar-*`
//! temporary is left behind.
//!
//! The classes are the ones extractors have shipped (shared/REFERENCE.md §5): `..` and absolute
//! names, escaping hard links, symlinks planted and then written through, metadata landing on a
//! symlink's target, parser differentials (pax size, records applied to the wrong header,
//! smuggled records), malformed and truncated input, and faults on real mounts.

mod util;

#[path = "hostile/atomic.rs"]
mod atomic;
#[path = "hostile/containment.rs"]
mod containment;
#[path = "hostile/faults.rs"]
mod faults;
#[path = "hostile/fuzzed.rs"]
mod fuzzed;
#[path = "hostile/input.rs"]
mod input;

use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::Output;

use util::{OutputExt, captar};

// ---------------------------------------------------------------------------------------------
// Crafting archives

const BLOCK: usize = 512;

/// One ustar header, field by field (POSIX.1-2001 "ustar Interchange Format").
#[derive(Clone)]
struct Header {
    name: Vec<u8>,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    mtime: u64,
    typeflag: u8,
    linkname: Vec<u8>,
    /// The 12 bytes of the size field as given, instead of `size` in octal.
    raw_size: Option<[u8; 12]>,
    /// The 8 bytes of the checksum field as given, instead of the computed sum.
    raw_checksum: Option<[u8; 8]>,
    /// Device major and minor numbers.
    dev: (u32, u32),
}

impl Header {
    fn new(typeflag: u8, name: impl AsRef<[u8]>) -> Header {
        Header {
            name: name.as_ref().to_vec(),
            mode: if typeflag == b'5' { 0o755 } else { 0o644 },
            uid: 0,
            gid: 0,
            size: 0,
            mtime: 1_500_000_000,
            typeflag,
            linkname: Vec::new(),
            raw_size: None,
            raw_checksum: None,
            dev: (0, 0),
        }
    }

    fn dev(mut self, major: u32, minor: u32) -> Header {
        self.dev = (major, minor);
        self
    }

    fn link(mut self, target: impl AsRef<[u8]>) -> Header {
        self.linkname = target.as_ref().to_vec();
        self
    }

    fn size(mut self, size: u64) -> Header {
        self.size = size;
        self
    }

    fn mode(mut self, mode: u32) -> Header {
        self.mode = mode;
        self
    }

    fn owner(mut self, uid: u32, gid: u32) -> Header {
        self.uid = uid;
        self.gid = gid;
        self
    }

    /// The header with these bytes written over its fields, and its checksum made again.
    fn patched(&self, patches: &[(usize, &[u8])]) -> [u8; BLOCK] {
        let mut b = self.bytes();
        for (at, bytes) in patches {
            b[*at..*at + bytes.len()].copy_from_slice(bytes);
        }
        b[148..156].copy_from_slice(b"        ");
        let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
        b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        b
    }

    fn bytes(&self) -> [u8; BLOCK] {
        let mut b = [0u8; BLOCK];
        assert!(self.name.len() <= 100 && self.linkname.len() <= 100, "use a pax path for long names");
        b[..self.name.len()].copy_from_slice(&self.name);
        octal(&mut b[100..108], u64::from(self.mode));
        octal(&mut b[108..116], u64::from(self.uid));
        octal(&mut b[116..124], u64::from(self.gid));
        match self.raw_size {
            Some(raw) => b[124..136].copy_from_slice(&raw),
            None => octal(&mut b[124..136], self.size),
        }
        octal(&mut b[136..148], self.mtime);
        b[156] = self.typeflag;
        b[157..157 + self.linkname.len()].copy_from_slice(&self.linkname);
        b[257..263].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
        octal(&mut b[329..337], u64::from(self.dev.0));
        octal(&mut b[337..345], u64::from(self.dev.1));
        b[148..156].copy_from_slice(b"        ");
        let sum: u32 = b.iter().map(|&x| u32::from(x)).sum();
        match self.raw_checksum {
            Some(raw) => b[148..156].copy_from_slice(&raw),
            None => b[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes()),
        }
        b
    }
}

/// `value` in octal, zero-padded to fill the field but its last byte (a NUL).
fn octal(field: &mut [u8], value: u64) {
    let text = format!("{value:0width$o}\0", width = field.len() - 1);
    assert_eq!(text.len(), field.len(), "{value} does not fit in {} bytes", field.len());
    field.copy_from_slice(text.as_bytes());
}

/// One pax record, `LEN key=value\n`, LEN counting its own digits.
fn record(key: &str, value: &[u8]) -> Vec<u8> {
    let body = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    [len.to_string().as_bytes(), b" ", key.as_bytes(), b"=", value, b"\n"].concat()
}

/// An archive being built, block by block.
#[derive(Default, Clone)]
struct Tar(Vec<u8>);

impl Tar {
    fn new() -> Tar {
        Tar::default()
    }

    fn header(mut self, h: Header) -> Tar {
        self.0.extend_from_slice(&h.bytes());
        self
    }

    /// Data, zero-padded to the next block.
    fn data(mut self, data: &[u8]) -> Tar {
        self.0.extend_from_slice(data);
        self.0.resize(self.0.len().div_ceil(BLOCK) * BLOCK, 0);
        self
    }

    /// Bytes as given, no padding.
    fn raw(mut self, bytes: &[u8]) -> Tar {
        self.0.extend_from_slice(bytes);
        self
    }

    fn file(self, name: impl AsRef<[u8]>, data: &[u8]) -> Tar {
        self.header(Header::new(b'0', name).size(data.len() as u64)).data(data)
    }

    fn dir(self, name: impl AsRef<[u8]>) -> Tar {
        self.header(Header::new(b'5', name))
    }

    fn symlink(self, name: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Tar {
        self.header(Header::new(b'2', name).mode(0o777).link(target))
    }

    fn hardlink(self, name: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Tar {
        self.header(Header::new(b'1', name).link(target))
    }

    /// A pax extended header (`x`) holding these records, for the next entry.
    fn pax(self, records: &[(&str, &[u8])]) -> Tar {
        let body: Vec<u8> = records.iter().flat_map(|(k, v)| record(k, v)).collect();
        self.pax_body(&body)
    }

    /// A pax extended header with this body exactly, well-formed or not.
    fn pax_body(self, body: &[u8]) -> Tar {
        self.header(Header::new(b'x', "PaxHeaders/entry").size(body.len() as u64)).data(body)
    }

    /// The two zero blocks that end an archive.
    fn end(mut self) -> Vec<u8> {
        self.0.extend_from_slice(&[0u8; 2 * BLOCK]);
        self.0
    }

    /// The bytes so far, with no end marker (a truncated archive).
    fn cut(self) -> Vec<u8> {
        self.0
    }
}

// ---------------------------------------------------------------------------------------------
// One case: a destination and a sentinel beside it

/// What `Case` puts in the sentinel: a file, a directory and a file in it.
const SENTINEL_FILE: &[u8] = b"precious\n";

struct Case {
    _tmp: Option<tempfile::TempDir>,
    root: PathBuf,
    dest: PathBuf,
    sentinel: PathBuf,
    before: util::Snapshot,
}

/// A case in a fresh temporary directory.
fn case() -> Case {
    let tmp = util::tempdir();
    let root = tmp.path().to_path_buf();
    Case::at(&root, Some(tmp))
}

impl Case {
    /// A case under `root` (an existing directory, e.g. a mount): `root/dest` and
    /// `root/sentinel`.
    fn at(root: &Path, tmp: Option<tempfile::TempDir>) -> Case {
        let dest = root.join("dest");
        let sentinel = root.join("sentinel");
        std::fs::create_dir(&dest).unwrap();
        std::fs::create_dir_all(sentinel.join("dir")).unwrap();
        std::fs::write(sentinel.join("file"), SENTINEL_FILE).unwrap();
        std::fs::write(sentinel.join("dir/inner"), b"inner\n").unwrap();
        let before = util::snapshot(&sentinel);
        Case { _tmp: tmp, root: root.to_path_buf(), dest, sentinel, before }
    }

    fn archive_path(&self) -> PathBuf {
        self.root.join("archive.tar")
    }

    /// `captar extract -f ARCHIVE -C DEST ARGS...` on these bytes.
    fn extract_cmd(&self, archive: &[u8], args: &[&str]) -> util::Cmd {
        self.extract_cmd_by(captar(), archive, args)
    }

    /// The same, with `captar` run as `base` says (e.g. under a seccomp filter).
    fn extract_cmd_by(&self, base: util::Cmd, archive: &[u8], args: &[&str]) -> util::Cmd {
        std::fs::write(self.archive_path(), archive).unwrap();
        base.arg("extract").args(args).arg("-f").arg(self.archive_path()).arg("-C").arg(&self.dest)
    }

    /// Extracts, expects exit `code`, and checks what every case must hold.
    #[track_caller]
    fn extract(&self, archive: &[u8], args: &[&str], code: i32) -> Output {
        self.extract_by(captar(), archive, args, code)
    }

    /// `extract`, with `captar` run as `base` says.
    #[track_caller]
    fn extract_by(&self, base: util::Cmd, archive: &[u8], args: &[&str], code: i32) -> Output {
        let out = self.extract_cmd_by(base, archive, args).code(code);
        assert_no_panic(&out);
        self.check();
        out
    }

    /// The sentinel is as it was and no temporary is left anywhere.
    #[track_caller]
    fn check(&self) {
        util::assert_same_tree(&self.before, &util::snapshot(&self.sentinel), &util::CompareOpts::default());
        assert_no_temporaries(&self.root);
    }

    fn dest(&self, rel: &str) -> PathBuf {
        self.dest.join(rel)
    }

    /// The destination emptied, for the next run of the same case.
    fn empty_dest(&self) {
        std::fs::remove_dir_all(&self.dest).unwrap();
        std::fs::create_dir(&self.dest).unwrap();
    }

    /// The sentinel's absolute path, as bytes for link targets.
    fn sentinel_abs(&self, rel: &str) -> Vec<u8> {
        self.sentinel.join(rel).into_os_string().into_vec()
    }
}

#[track_caller]
fn assert_no_panic(out: &Output) {
    let err = out.stderr_text();
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "captar panicked:\n{err}");
}

/// No `.captar-*` (extract) or `*.captar-tmp` (create) file anywhere under `root`.
#[track_caller]
fn assert_no_temporaries(root: &Path) {
    let mut left = Vec::new();
    find_temporaries(root, &mut left);
    assert!(left.is_empty(), "temporaries left behind: {left:?}");
}

fn find_temporaries(dir: &Path, left: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let bytes = name.as_bytes();
        if bytes.starts_with(b".captar-") || bytes.ends_with(b".captar-tmp") {
            left.push(e.path());
        }
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            find_temporaries(&e.path(), left);
        }
    }
}

/// The stderr line that names `entry` and says `reason` (both as substrings); panics unless
/// there is exactly one.
#[track_caller]
fn refusal(out: &Output, entry: &str, reason: &str) -> String {
    let err = out.stderr_text();
    let lines: Vec<&str> = err.lines().filter(|l| l.contains(entry) && l.contains(reason)).collect();
    assert_eq!(lines.len(), 1, "expected one line naming {entry:?} with {reason:?}; stderr:\n{err}");
    assert!(lines[0].starts_with("captar: "), "{}", lines[0]);
    lines[0].to_string()
}

/// A stop of the extraction at a destination's error (a full disk, a read-only filesystem)
/// with `unreached` members after it: the note that counts them, with the `capped` among them
/// listed (`NAME: CAPS`), then the error, which is returned.
#[track_caller]
fn stop_with_unreached(out: &Output, unreached: u64, capped: &[&str]) -> String {
    let err = out.stderr_text();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2 + capped.len(), "expected the note, its list and the error; stderr:\n{err}");
    let members = match unreached {
        1 => "1 member after it was".to_string(),
        n => format!("{n} members after it were"),
    };
    let with = match capped.len() {
        0 => String::new(),
        1 => ", 1 with a capability, not restored:".into(),
        n => format!(", {n} with capabilities, not restored:"),
    };
    let note = format!("captar: the extraction stops at the error that follows: {members} not extracted{with}");
    assert_eq!(lines[0], note, "{err}");
    for (line, want) in lines[1..].iter().zip(capped) {
        assert_eq!(*line, format!("  {want}"), "{err}");
    }
    lines.last().unwrap().to_string()
}

/// The whole stderr, which must be one line; for input refused as a whole.
#[track_caller]
fn one_line(out: &Output) -> String {
    let err = out.stderr_text();
    assert_eq!(err.lines().count(), 1, "expected a one-line error; stderr:\n{err}");
    assert!(err.starts_with("captar: "), "{err}");
    err.trim_end().to_string()
}

/// What is at `path`, without following a symlink: its kind and, for a regular file, its bytes.
fn lkind(path: &Path) -> Option<&'static str> {
    let md = std::fs::symlink_metadata(path).ok()?;
    let ft = md.file_type();
    Some(if ft.is_symlink() {
        "symlink"
    } else if ft.is_dir() {
        "dir"
    } else if ft.is_file() {
        "file"
    } else {
        "other"
    })
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
