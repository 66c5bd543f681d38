/*!
`captar caps scan [PATH...]`: every file with a `security.capability` xattr, printed
exactly as `getcap -r PATH` prints it (`PATH TEXT`, in getcap's order: see audit/walk.rs), and
with `-n` exactly as `getcap -n -r` (` [rootid=N]` after a v3 value's text).

Like getcap: symlinks are never followed (not even a PATH argument that is one, `link/` included), every file
but a directory or a symlink is read (a regular file, and also a fifo, a device or a socket, where
the kernel keeps a capability as well), trailing slashes of a PATH are dropped (`dir/` lists `dir/file`), and a file's path
is printed raw, bytes and newlines included. Unlike getcap, a value that cannot be read or decoded
(EOVERFLOW: a v3 rootid that maps to no user of this namespace) is an error: reported on stderr
with the file's name, and the exit status is 2 once the scan has finished; so is a PATH that does
not exist or a directory that cannot be read (getcap passes over the latter in silence).

Additions: `--risk` appends ` [risk=CLASS:CAPS ...]` (see [`crate::caps::risk`]); `--beyond MASK`
lists only files granting a capability outside MASK and appends ` [beyond=CAPS]`; `--json` prints
one JSON object per file instead; `--one-file-system` stays on each PATH's filesystem.
*/

use std::ffi::{CStr, OsStr};
use std::io::Write;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::walk::{WalkOptions, walk};
use super::{hex, write_error};
use crate::caps::risk::{self, RiskClass};
use crate::caps::{FileCaps, cap_label, mask_caps};
use crate::error::{Error, Outcome, Report, Result};
use crate::json::text_and_hex;
use crate::xattr;

/// The most threads `--threads` takes: more read directories no faster, and some thousands
/// exhaust the process's memory maps (vm.max_map_count) as they start, which std answers with an
/// abort in the new thread rather than an error.
pub const MAX_THREADS: usize = 1024;

/// What to scan and how to print it.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files and directories to scan; each is printed as given (minus trailing slashes).
    pub paths: Vec<PathBuf>,
    /// Append ` [rootid=N]` like `getcap -n`.
    pub show_rootid: bool,
    /// One JSON object per line instead of getcap's format.
    pub json: bool,
    /// Do not descend into directories on another filesystem than their PATH.
    pub one_file_system: bool,
    /// Append the risk classes of the granted capabilities.
    pub risk: bool,
    /// Only files granting (permitted or inheritable) a capability outside this mask.
    pub beyond: Option<u64>,
    /// Threads reading directories, the calling one included; fewer when no more can start.
    pub threads: usize,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            paths: vec![PathBuf::from(".")],
            show_rootid: false,
            json: false,
            one_file_system: false,
            risk: false,
            beyond: None,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()).min(MAX_THREADS),
        }
    }
}

/// A file with a capability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub raw: Vec<u8>,
    pub caps: FileCaps,
    /// Its owner and mode when it was read (`None`: gone by then), for `file_risk`.
    pub owner_mode: Option<(u32, u32)>,
}

/// `nftw` drops trailing slashes of its argument, keeping a lone `/`.
pub(crate) fn strip_trailing_slashes(path: &Path) -> PathBuf {
    let bytes = path.as_os_str().as_bytes();
    let mut end = bytes.len();
    while end > 1 && bytes[end - 1] == b'/' {
        end -= 1;
    }
    PathBuf::from(OsStr::from_bytes(&bytes[..end]))
}

/// The capability of one file (not opened) named by its path, or `None` when it has none;
/// problems are reported.
fn read_caps(path: &Path, report: &Report) -> Option<Found> {
    let found = from_xattr(path, xattr::get_caps_path(path), report)?;
    Some(Found { owner_mode: std::fs::symlink_metadata(path).ok().map(|md| (md.uid(), md.mode())), ..found })
}

/// The capability of the file `name` in the open directory `dir`, whose path is `path`.
fn read_caps_at(path: &Path, dir: BorrowedFd<'_>, name: &CStr, report: &Report) -> Option<Found> {
    // For a kernel before 6.13 (no getxattrat): the path, or where it is too long for the
    // kernel to take, the directory's descriptor's name in /proc followed by the file's.
    let full = || match path.as_os_str().len() < libc::PATH_MAX as usize {
        true => path.to_path_buf(),
        false => Path::new(&format!("/proc/self/fd/{}", dir.as_raw_fd())).join(OsStr::from_bytes(name.to_bytes())),
    };
    let found = from_xattr(path, xattr::get_caps_at(dir, name, None, &full), report)?;
    let st = rustix::fs::statat(dir, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).ok();
    Some(Found { owner_mode: st.map(|st| (st.st_uid, st.st_mode)), ..found })
}

/// A finding from the result of reading a file's `security.capability`.
fn from_xattr(path: &Path, value: std::io::Result<Option<Vec<u8>>>, report: &Report) -> Option<Found> {
    match value {
        Ok(None) => None,
        Ok(Some(raw)) => match FileCaps::decode(&raw) {
            Ok(caps) => Some(Found { path: path.to_path_buf(), raw, caps, owner_mode: None }),
            Err(e) => {
                report.error(Error::entry(
                    path,
                    format!("security.capability: {e} (raw value {})", crate::list::hex_short(&raw)),
                ));
                None
            }
        },
        // Removed between readdir and the xattr calls.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) if e.raw_os_error() == Some(libc::EOVERFLOW) => {
            report.error(Error::entry(
                path,
                format!(
                    "security.capability: {}",
                    xattr::eoverflow_why("read it from the namespace that set it, or from an ancestor")
                ),
            ));
            None
        }
        Err(e) => {
            report.error(Error::io(path, "read security.capability", e));
            None
        }
    }
}

/// Finds the capped files under each of `opts.paths`, in getcap's order, passing each to `emit`
/// as soon as the order allows; problems are reported on `report`. For callers that want the
/// findings rather than the printed report.
pub fn find(opts: &ScanOptions, report: &Report, emit: &mut dyn FnMut(Found) -> Result<()>) -> Result<()> {
    find_unless(opts, report, &|_| false, emit)
}

/// `find`, passing over the files `skip` names unread: no finding and no error for them
/// (`verify --extra` skips the members it has compared, whose errors it reported already).
pub fn find_unless(
    opts: &ScanOptions,
    report: &Report,
    skip: &(dyn Fn(&Path) -> bool + Sync),
    emit: &mut dyn FnMut(Found) -> Result<()>,
) -> Result<()> {
    let walk_opts = WalkOptions { one_file_system: opts.one_file_system, threads: opts.threads };
    let wanted = |found: &Found| opts.beyond.is_none_or(|base| found.caps.granted() & !base != 0);
    let visit = |path: &Path, dir: BorrowedFd<'_>, name: &CStr| match skip(path) {
        true => None,
        false => read_caps_at(path, dir, name, report).filter(wanted),
    };
    for arg in &opts.paths {
        let root = strip_trailing_slashes(arg);
        // A trailing slash makes lstat follow a symlink (`link/` is the directory it points to):
        // the name as given says whether it exists at all (`file/`: not a directory, as getcap
        // says), the name without the slashes what it is, as nftw lstats it.
        let md = std::fs::symlink_metadata(arg)
            .and_then(|md| if root.as_os_str() == arg.as_os_str() { Ok(md) } else { std::fs::symlink_metadata(&root) });
        let md = match md {
            Ok(md) => md,
            Err(e) => {
                report.error(Error::io(arg, "stat", e));
                continue;
            }
        };
        if !md.is_dir() && !md.is_symlink() {
            if let Some(found) = (!skip(&root)).then(|| read_caps(&root, report).filter(wanted)).flatten() {
                emit(found)?;
            }
        } else if md.is_dir() {
            walk(&root, md.dev(), &walk_opts, report, &visit, emit)?;
        }
    }
    Ok(())
}

/// The getcap line of a finding, with the suffixes the options ask for (no newline).
pub fn line(found: &Found, opts: &ScanOptions) -> Vec<u8> {
    let mut out = found.path.as_os_str().as_bytes().to_vec();
    out.push(b' ');
    out.extend_from_slice(found.caps.text().as_bytes());
    if opts.show_rootid {
        out.extend_from_slice(found.caps.rootid_suffix().as_bytes());
    }
    if opts.risk
        && let Some(risk) = risk::describe(&found.caps)
    {
        out.extend_from_slice(format!(" [risk={risk}]").as_bytes());
    }
    if opts.risk {
        let file = file_risk(found);
        if !file.is_empty() {
            out.extend_from_slice(format!(" [file-risk={}]", file.join(",")).as_bytes());
        }
    }
    if let Some(base) = opts.beyond {
        out.extend_from_slice(format!(" [beyond={}]", names(found.caps.granted() & !base).join(",")).as_bytes());
    }
    out
}

/// What about a capped file itself lets others abuse or replace what its capability grants:
/// writable by its group or by anyone (a write through a shared mapping changes the code and
/// keeps the capability; only write(2) clears it), owned by a user other than root (who may do
/// the same, and chmod it), and setuid or setgid bits beside the capability. From the lstat
/// taken when the capability was read (capped files are few); nothing for a file gone by then.
pub fn file_risk(found: &Found) -> Vec<&'static str> {
    let Some((uid, mode)) = found.owner_mode else { return Vec::new() };
    // A v3 capability's root is its rootid (a rootless container's files are its owner's);
    // root itself may change any file, so a file of its is no risk (found by review: a v3
    // file owned by uid 0 was flagged).
    let root = found.caps.rootid.unwrap_or(0);
    [
        (mode & 0o002 != 0, "writable-by-others"),
        (mode & 0o020 != 0, "writable-by-group"),
        (uid != root && uid != 0 && !owner_unmapped(uid), "owner-not-root"),
        (owner_unmapped(uid), "owner-unmapped"),
        (mode & 0o4000 != 0, "setuid"),
        (mode & 0o2000 != 0, "setgid"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect()
}

/// Whether `uid`, a file's owner as stat shows it in a user namespace, may stand for a user the
/// namespace does not map: the kernel shows any such owner (host root's files in a rootless
/// container, for one) as the overflow uid, 65534 unless /proc/sys/kernel/overflowuid says
/// otherwise. In a namespace that maps 65534 itself (most map 0-65535), stat cannot tell that
/// user from an unmapped one: any owner shown as the overflow uid is flagged `owner-unmapped`
/// there, never `owner-not-root`. In the initial namespace every uid maps, and 65534 is
/// `nobody`.
fn owner_unmapped(uid: u32) -> bool {
    !crate::xattr::in_initial_userns() && crate::xattr::overflow_uid() == uid
}

fn names(mask: u64) -> Vec<String> {
    mask_caps(mask).map(|n| cap_label(n).into_owned()).collect()
}

/// The `--json` object of a finding.
#[derive(Serialize)]
struct FileJson {
    /// The path; non-UTF-8 bytes replaced by U+FFFD, the exact bytes then in `path_hex`.
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    revision: u8,
    /// getcap's text.
    text: String,
    /// v3 only.
    rootid: Option<u32>,
    effective: bool,
    permitted: Vec<String>,
    inheritable: Vec<String>,
    /// The raw xattr value, hex.
    raw: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk: Option<RiskJson>,
    /// With `--risk`: `file_risk`'s words (empty when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    file_risk: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    beyond: Option<Vec<String>>,
}

#[derive(Serialize)]
struct RiskJson {
    /// The most dangerous class granted (`null` when nothing is).
    highest: Option<&'static str>,
    /// Every class granted, most dangerous first.
    classes: Vec<ClassJson>,
}

#[derive(Serialize)]
struct ClassJson {
    class: &'static str,
    caps: Vec<String>,
}

/// The `--json` line of a finding (no newline): one object, keys in a fixed order.
pub fn json_line(found: &Found, opts: &ScanOptions) -> String {
    let (path, path_hex) = text_and_hex(found.path.as_os_str().as_bytes());
    let granted = found.caps.granted();
    let obj = FileJson {
        path,
        path_hex,
        revision: found.caps.revision.number(),
        text: found.caps.text(),
        rootid: found.caps.rootid,
        effective: found.caps.effective,
        permitted: names(found.caps.permitted),
        inheritable: names(found.caps.inheritable),
        raw: hex(&found.raw),
        risk: opts.risk.then(|| RiskJson {
            highest: risk::highest(granted).map(RiskClass::name),
            classes: risk::classify(granted)
                .into_iter()
                .map(|(class, mask)| ClassJson { class: class.name(), caps: names(mask) })
                .collect(),
        }),
        file_risk: opts.risk.then(|| file_risk(found)),
        beyond: opts.beyond.map(|base| names(granted & !base)),
    };
    crate::json::to_string(&obj)
}

/// Scans and prints: getcap's lines, or JSON lines.
pub fn run(opts: &ScanOptions, report: &Report, out: &mut dyn Write) -> Result<Outcome> {
    find(opts, report, &mut |found| {
        let mut bytes = if opts.json { json_line(&found, opts).into_bytes() } else { line(&found, opts) };
        bytes.push(b'\n');
        out.write_all(&bytes).map_err(write_error)
    })?;
    out.flush().map_err(write_error)?;
    Ok(report.outcome())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(path: &str, text: &str) -> Found {
        let caps = crate::caps::parse_text(text).unwrap();
        Found { path: PathBuf::from(path), raw: caps.encode(), caps, owner_mode: None }
    }

    /// The owner is root's, or for a v3 capability its rootid's, or a risk.
    #[test]
    fn owner_not_root_is_neither_root_nor_the_rootid() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("f");
        std::fs::write(&f, b"").unwrap();
        let owner = std::fs::metadata(&f).unwrap().uid();
        let v2 = crate::caps::parse_text("cap_net_raw=ep").unwrap();
        let risky = |caps: &FileCaps| {
            let md = std::fs::symlink_metadata(&f).unwrap();
            let owner_mode = Some((md.uid(), md.mode()));
            let found = Found { path: f.clone(), raw: caps.encode(), caps: *caps, owner_mode };
            file_risk(&found).contains(&"owner-not-root")
        };
        // The test's own uid: root's files pass whatever the rootid; another's only as rootid.
        assert_eq!(risky(&v2), owner != 0);
        assert!(!risky(&v2.with_rootid(owner)));
        assert_eq!(risky(&v2.with_rootid(owner.wrapping_add(100_000))), owner != 0);
        // Another user's file (as root): a risk unless that user is the rootid.
        if owner == 0 {
            std::os::unix::fs::chown(&f, Some(12345), None).unwrap();
            assert!(risky(&v2));
            assert!(!risky(&v2.with_rootid(12345)));
            assert!(risky(&v2.with_rootid(100_000)));
        }
    }

    #[test]
    fn trailing_slashes_go_like_nftw() {
        for (given, shown) in [("t/", "t"), ("t//", "t"), ("/", "/"), ("//", "/"), (".", "."), ("./t/", "./t")] {
            assert_eq!(strip_trailing_slashes(Path::new(given)), Path::new(shown), "{given}");
        }
    }

    #[test]
    fn lines_and_suffixes() {
        let opts = ScanOptions { show_rootid: true, ..ScanOptions::default() };
        let f =
            Found { caps: found("a b", "cap_net_raw=ep").caps.with_rootid(100000), ..found("a b", "cap_net_raw=ep") };
        assert_eq!(line(&f, &opts), b"a b cap_net_raw=ep [rootid=100000]");
        let opts = ScanOptions { risk: true, beyond: Some(risk::DOCKER_DEFAULT), ..ScanOptions::default() };
        let f = found("x", "cap_net_raw,cap_sys_admin=ep");
        assert_eq!(
            String::from_utf8(line(&f, &opts)).unwrap(),
            "x cap_net_raw,cap_sys_admin=ep [risk=root-equivalent:cap_sys_admin moderate:cap_net_raw] \
             [beyond=cap_sys_admin]"
        );
        assert_eq!(
            json_line(&f, &opts),
            r#"{"path":"x","revision":2,"text":"cap_net_raw,cap_sys_admin=ep","rootid":null,"effective":true,"#
                .to_owned()
                + r#""permitted":["cap_net_raw","cap_sys_admin"],"inheritable":[],"#
                + r#""raw":"0100000200202000000000000000000000000000","#
                + r#""risk":{"highest":"root-equivalent","classes":[{"class":"root-equivalent","caps":["cap_sys_admin"]},"#
                + r#"{"class":"moderate","caps":["cap_net_raw"]}]},"file_risk":[],"beyond":["cap_sys_admin"]}"#
        );
    }

    #[test]
    fn unreadable_values_are_reported_and_skipped() {
        // The kernel refuses to store an invalid value, so only a unit test can hand one over.
        let report = Report::new();
        let bad = [0u8, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(from_xattr(Path::new("x"), Ok(Some(bad.to_vec())), &report), None);
        assert_eq!(report.errors(), 1);
        let overflow = std::io::Error::from_raw_os_error(libc::EOVERFLOW);
        assert_eq!(from_xattr(Path::new("x"), Err(overflow), &report), None);
        assert_eq!(report.errors(), 2);
        let gone = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(from_xattr(Path::new("x"), Err(gone), &report), None);
        assert_eq!(report.errors(), 2, "a file removed between readdir and getxattr is no error");
        assert_eq!(from_xattr(Path::new("x"), Ok(None), &report), None);
    }
}
