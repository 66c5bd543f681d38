/*!
Errors that carry the path they are about, and the report that counts per-file problems so the
exit code can be decided at the end (tar's convention: 0 ok, 1 differences or files that changed
while read, 2 errors).
*/

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// An error of one file or archive entry; its message names the file, what failed and, where
/// one helps, what to do next.
/// A message made safe for a terminal: control characters (from member names: an archive can
/// name a member `\e[2J...`, or put a newline and a forged `captar: ...` line in one) become
/// escapes as `tar -t` prints them (`\n`, `\033`). Messages are one line each.
pub fn terminal_safe(msg: &str) -> std::borrow::Cow<'_, str> {
    if !msg.chars().any(escaped) {
        return msg.into();
    }
    let mut out = String::with_capacity(msg.len() + 8);
    for c in msg.chars() {
        push_escaped(&mut out, c);
    }
    out.into()
}

/// Whether `push_escaped` shows `c` otherwise than as itself (a backslash aside).
pub fn escaped(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || is_noncharacter(c)
}

/// Pushes `c`, a control character as `tar -t` escapes it (`\n`, `\t`, `\r`, else octal bytes).
pub fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        // C's other escapes, as GNU tar quotes them.
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0b' => out.push_str("\\v"),
        '\x0c' => out.push_str("\\f"),
        // Controls, the line and paragraph separators (which a terminal may take as line
        // ends) and noncharacters, in octal as GNU tar shows unprintable characters.
        c if escaped(c) => {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\{b:03o}"));
            }
        }
        c => out.push(c),
    }
}

/// Unicode's noncharacters: U+FDD0 to U+FDEF, and the last two code points of every plane.
fn is_noncharacter(c: char) -> bool {
    matches!(c as u32, 0xfdd0..=0xfdef) || c as u32 & 0xfffe == 0xfffe
}

/// A path in a message: as `Path::display` shows it, but each byte that is not UTF-8 as its
/// octal escape (`\377`) and a backslash doubled, as `list` and verify's lines show them, so
/// that the file can be found (`display` made each such byte U+FFFD; found by review). Control
/// characters are escaped where the message is printed (`terminal_safe`).
pub struct Escaped<'a>(&'a Path, Dots);

/// Whether `Escaped` shows a path's `.` components as they are.
#[derive(Clone, Copy, PartialEq)]
enum Dots {
    Kept,
    /// A path on disk: each `.` after the first component and before the last left out, so
    /// that `-C DIR .` names `DIR/sub/f`, not `DIR/./sub/f` (the same file; a trailing `/.`
    /// stays, as it follows a symlink where the name without it does not).
    Inner,
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use std::os::unix::ffi::OsStrExt;
        let bytes = self.0.as_os_str().as_bytes();
        let bytes = match self.1 {
            Dots::Inner => without_inner_dots(bytes),
            Dots::Kept => bytes.into(),
        };
        for chunk in bytes.utf8_chunks() {
            // A backslash doubled, as listings show it: `q\377` is not the byte 0xFF.
            let mut parts = chunk.valid().split('\\');
            f.write_str(parts.next().unwrap_or_default())?;
            for part in parts {
                f.write_str("\\\\")?;
                f.write_str(part)?;
            }
            for b in chunk.invalid() {
                write!(f, "\\{b:03o}")?;
            }
        }
        Ok(())
    }
}

/// `path` without its inner `.` components: `d/./a/./b` is `d/a/b`; `./a` and `a/.` stay.
fn without_inner_dots(path: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !path.windows(3).any(|w| w == b"/./") {
        return path.into();
    }
    let mut out = Vec::with_capacity(path.len());
    let mut rest = path;
    while let Some(at) = rest.windows(3).position(|w| w == b"/./") {
        out.extend_from_slice(&rest[..at]);
        // The slash is kept; the `./` after it is not (`a/././b` loses both).
        rest = &rest[at + 2..];
    }
    out.extend_from_slice(rest);
    out.into()
}

/// `escaped()`: a path as messages show it (`Escaped`); `on_disk()`: a file's path on disk, its
/// inner `.` components left out (`-C DIR .` walks `DIR/./f`).
pub trait ShowPath {
    fn escaped(&self) -> Escaped<'_>;
    fn on_disk(&self) -> Escaped<'_>;
}

impl ShowPath for Path {
    fn escaped(&self) -> Escaped<'_> {
        Escaped(self, Dots::Kept)
    }

    fn on_disk(&self) -> Escaped<'_> {
        Escaped(self, Dots::Inner)
    }
}

/// Bytes an archive gives (a field, a record's value) in a message, in double quotes, as
/// `Escaped` shows a path: a byte that is not UTF-8 in octal (`\377`; they were U+FFFD),
/// control characters escaped where the message is printed (they were Rust's `\u{1b}`).
pub fn quoted(bytes: &[u8]) -> String {
    use std::os::unix::ffi::OsStrExt;
    format!("\"{}\"", Path::new(std::ffi::OsStr::from_bytes(bytes)).escaped())
}

/// How errors name standard output.
pub const STDOUT: &str = "(standard output)";

/// Set (by the binary, before the Rust runtime starts) when standard output was closed: it is
/// then a descriptor every write to fails with EINVAL (the runtime would have opened
/// /dev/null, and its stdout takes EBADF for success), which errors explain by this.
pub static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {op}: {}{}", path.on_disk(), os_text(source), path_errno_hint(path, op, source))]
    Io { path: PathBuf, op: &'static str, source: io::Error },
    #[error("{archive}: {msg} (at byte {offset})")]
    Archive { archive: String, offset: u64, msg: String },
    #[error("{}: {msg}", path.escaped())]
    Entry { path: PathBuf, msg: String },
    #[error("{0}")]
    Usage(String),
    /// A regular file the walk saw that is something else when opened (`now`, as `Kind::word`
    /// says it): a warning, as GNU tar's "file changed as we read it".
    #[error("{}: file was replaced by a {now} before we read it; not archived", path.on_disk())]
    Replaced { path: PathBuf, now: &'static str },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A thread that could not start: the limit on processes or threads was reached.
    pub fn no_thread(path: impl Into<PathBuf>, e: io::Error) -> Error {
        Error::entry(
            path,
            format!(
                "cannot start a thread: {} (the limit on processes and threads is reached: ulimit -u, or a container's pids limit; raise it or end some processes)",
                os_text(&e)
            ),
        )
    }

    /// An error reading member `path`'s data through `Reader::data`: the archive's own error
    /// (which names the archive and the member already) when it is one, else one naming `path`.
    pub fn of_data(path: impl Into<PathBuf>, e: io::Error) -> Error {
        let text = e.to_string();
        match e.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(archive)) => *archive,
            _ => Error::entry(path, text),
        }
    }

    /// A failed write to standard output (a closed pipe there is no error: see main).
    pub fn stdout(source: io::Error) -> Error {
        Error::io(STDOUT, "write", source)
    }

    /// The same error with `note` added to what it says (`...; NOTE`).
    pub fn with_note(self, note: &str) -> Error {
        match self {
            Error::Archive { archive, offset, msg } => {
                Error::Archive { archive, offset, msg: format!("{msg}; {note}") }
            }
            Error::Entry { path, msg } => Error::Entry { path, msg: format!("{msg}; {note}") },
            Error::Usage(msg) => Error::Usage(format!("{msg}; {note}")),
            io => io,
        }
    }

    pub fn io(path: impl Into<PathBuf>, op: &'static str, source: io::Error) -> Error {
        Error::Io { path: path.into(), op, source }
    }

    pub fn entry(path: impl Into<PathBuf>, msg: impl Into<String>) -> Error {
        Error::Entry { path: path.into(), msg: msg.into() }
    }
}

/// An I/O error's text as the C library gives it (`No such file or directory`), without Rust's
/// ` (os error 2)`.
pub fn os_text(e: &io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => text.strip_suffix(&format!(" (os error {code})")).map(str::to_string).unwrap_or(text),
        None => text,
    }
}

/// The refusal of an archive at `path` that could not be opened for writing (`e`): `why` says
/// what the command does to it and that nothing was done (`delete rewrites the archive; nothing
/// deleted`).
pub fn unwritable(path: &Path, e: &io::Error, why: &str) -> Error {
    Error::entry(path, format!("cannot write to it ({}): {why} ({})", os_text(e), unwritable_advice(e)))
}

/// What to do about an archive that could not be opened for writing (`e`): a read-only
/// mount is no permission to give (found by review: it was told to give write permission).
fn unwritable_advice(e: &io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(libc::EROFS) => "its filesystem is mounted read-only: remount it read-write, or work on a copy",
        _ => "give write permission, lift chattr +i or +a, or work on a copy",
    }
}

/// Who this process is, for the advice on a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    User,
    /// Root of the initial user namespace.
    Root,
    /// Root of a user namespace that maps only some ids (rootless containers, `unshare -U`).
    NamespaceRoot,
}

impl Who {
    fn me() -> Who {
        if !rustix::process::geteuid().is_root() {
            return Who::User;
        }
        if crate::xattr::initial_userns_or_unknown() { Who::Root } else { Who::NamespaceRoot }
    }
}

/// Whether this process holds capability `bit` in its effective set (`CapEff` of
/// /proc/self/status; held where that cannot be read).
pub(crate) fn has_effective(bit: u32) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let eff = status.lines().find_map(|l| l.strip_prefix("CapEff:")).map(str::trim);
    eff.and_then(|hex| u64::from_str_radix(hex, 16).ok()).is_none_or(|mask| mask & (1 << bit) != 0)
}

/// Whether this process is root holding CAP_DAC_OVERRIDE, which writes whatever a file's mode
/// says (asked once).
pub(crate) fn root_overriding_permissions() -> bool {
    static HELD: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HELD.get_or_init(|| rustix::process::geteuid().is_root() && has_effective(CAP_DAC_OVERRIDE))
}

/// CAP_DAC_OVERRIDE, CAP_MKNOD and CAP_SETFCAP, as capability(7) numbers them.
const CAP_DAC_OVERRIDE: u32 = 1;
const CAP_MKNOD: u32 = 27;
pub(crate) const CAP_SETFCAP: u32 = 31;

/// Whether this process is root of the initial user namespace, whom "run as root" would not
/// help.
pub fn is_initial_root() -> bool {
    Who::me() == Who::Root
}

/// The first error writing to standard output what the work goes on past (`-v`'s names, a
/// checkpoint's dot): the work is not stopped for them, and it is said once at the end
/// (`take_lost_output`), exit 2, as GNU tar's "stdout: write error" (found by review: `create
/// -v` with standard output closed, or full, exited 0). A reader gone (`| head`) is none.
static LOST_OUTPUT: std::sync::Mutex<Option<io::Error>> = std::sync::Mutex::new(None);

/// Notes `written`, a write to standard output that the work goes on past (see `LOST_OUTPUT`).
pub fn note_output(written: io::Result<()>) {
    if let Err(e) = written
        && e.kind() != io::ErrorKind::BrokenPipe
        && let Ok(mut lost) = LOST_OUTPUT.lock()
    {
        lost.get_or_insert(e);
    }
}

/// The error `note_output` kept, if any, as the error to say at the end.
pub fn take_lost_output() -> Option<Error> {
    LOST_OUTPUT.lock().ok()?.take().map(Error::stdout)
}

/// How errors name the archive `create -f -` writes to standard output.
pub const ARCHIVE_ON_STDOUT: &str = "(archive on standard output)";

/// `errno_hint`, but for a write to standard output that failed because it was closed when
/// captar started (`STDOUT_CLOSED`), which says so (found by review: any write's EINVAL was
/// said to be that).
fn path_errno_hint(path: &Path, op: &str, e: &io::Error) -> &'static str {
    let stdout = path.as_os_str() == STDOUT || path.as_os_str() == ARCHIVE_ON_STDOUT;
    if stdout
        && op == "write"
        && e.raw_os_error() == Some(libc::EINVAL)
        && STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
    {
        return " (standard output was closed when captar started, `>&-`: give it somewhere to go, `>/dev/null` to drop it)";
    }
    errno_hint(op, e, Who::me())
}

/// What to do about the common errnos, appended to an I/O error's message; a refused read
/// (`op` reads: "stat", "read xattr", "search directory", "open the archive", ...) gets other advice than a refused
/// write.
fn errno_hint(op: &str, e: &io::Error, who: Who) -> &'static str {
    let reads =
        ["read", "stat", "list", "search", "open the archive"].iter().any(|r| op.starts_with(r)) || op == "open";
    match e.raw_os_error() {
        // The kernel reads back only a well-formed revision 2 or 3 value; another one stored
        // (revision 1, truncated: written past setcap, or by an old kernel) is refused.
        Some(libc::EINVAL) if op == "read security.capability" => {
            " (the value stored is malformed, one the kernel does not read back: a revision-1 value, which it still applies when the file is run, or a truncated, overlong or unknown-revision one; set it again with setcap, or remove it with setcap -r)"
        }
        Some(libc::ENOSPC) => {
            " (the filesystem is full, of space or of inodes (`df -i`): free some or choose another destination)"
        }
        Some(libc::EROFS) => " (the filesystem is read-only: choose a writable destination)",
        // Stops an extraction: what follows would fail the same way, or worse (found by review:
        // a bare "Input/output error" from a FUSE filesystem said nothing of what to do).
        Some(libc::EIO) => " (the disk, the filesystem or its driver failed: see dmesg)",
        // exFAT, FAT and network filesystems refuse names that are not UTF-8, or characters
        // they cannot hold.
        Some(libc::EILSEQ) if !reads => {
            " (this filesystem refuses the name: bytes that are not UTF-8, or characters it cannot hold; rename it with --transform, or choose another filesystem)"
        }
        // A component over NAME_MAX, or a symlink target of PATH_MAX or more (found by
        // review: a bare "File name too long").
        Some(libc::ENAMETOOLONG) if !reads => {
            " (a name over 255 bytes, or a symlink target over 4095, is more than Linux takes: rename it with --transform)"
        }
        // A name over NAME_MAX given, or a path of PATH_MAX or more given whole (the walks
        // look files up in their open directories, past PATH_MAX too; found by review: a bare
        // "File name too long").
        Some(libc::ENAMETOOLONG) => {
            " (a name over 255 bytes, or a path of 4096 bytes or more given whole, which Linux does not take: name a directory nearer to it, or cd there first)"
        }
        // captar sizes what it keeps open to the limit, but needs a few descriptors at least
        // (found by review: a bare "Too many open files" left the user to guess).
        Some(libc::EMFILE) => " (the open-file limit is too low: raise it, `ulimit -n 1024`)",
        Some(libc::ENFILE) => {
            " (the system's open-file table is full: close other programs' files, or raise fs.file-max)"
        }
        // A file at the filesystem's limit of hard links (65,000 on ext4), or a directory at
        // its limit of subdirectories (ext4 without dir_nlink; found by review: a bare "Too
        // many links").
        Some(libc::EMLINK) if !reads => {
            " (the file has as many hard links as this filesystem allows, 65,000 on ext4, or the directory as many subdirectories: choose a filesystem that allows more, as xfs or btrfs, or leave those members out)"
        }
        // rename(2) and unlink(2) refuse a mount point (a file bind-mounted over, as container
        // runtimes mount /etc/resolv.conf).
        Some(libc::EBUSY) if !reads => " (something is mounted there: unmount it, or leave that member out)",
        // A root without CAP_DAC_OVERRIDE (a systemd service's CapabilityBoundingSet, a
        // container) is refused what a file's mode refuses others (found by review: it was
        // told "even to root").
        Some(libc::EACCES) if who == Who::Root && !has_effective(CAP_DAC_OVERRIDE) => {
            " (permission denied: this root process lacks CAP_DAC_OVERRIDE, as in a restricted service or container; run it with that capability, or as a user allowed to access the file)"
        }
        // mknod(2) of a device takes CAP_MKNOD (a fifo takes nothing): the destination was
        // writable (found by review: a user extracting a device was told to choose one).
        Some(libc::EPERM) if op == "create special file" && who == Who::User => {
            " (making a device node takes root (CAP_MKNOD): run as root, or leave devices out with --exclude)"
        }
        Some(libc::EPERM) if op == "create special file" && who == Who::Root && !has_effective(CAP_MKNOD) => {
            " (making a device node takes CAP_MKNOD, which this root process lacks, as in a restricted service or container: run it with that capability, or leave devices out with --exclude)"
        }
        // Root too is refused some things (files the kernel or a security module protects, an
        // immutable file): "run as root" would be no advice then.
        Some(libc::EPERM) | Some(libc::EACCES) if who == Who::Root => {
            " (permission denied even to root: the kernel, a security module or a file attribute refuses it)"
        }
        Some(libc::EPERM) | Some(libc::EACCES) if who == Who::NamespaceRoot => {
            " (permission denied in a user namespace: its root has no power over files whose owner it does not map, nor over devices; run in the initial namespace, or map that owner)"
        }
        Some(libc::EPERM) | Some(libc::EACCES) if op.starts_with("search") => {
            " (permission denied: run as root, or as a user allowed to search it)"
        }
        Some(libc::EPERM) | Some(libc::EACCES) if reads => {
            " (permission denied: run as root, or as a user allowed to read it)"
        }
        Some(libc::EPERM) | Some(libc::EACCES) => " (permission denied: run as root or choose a writable destination)",
        _ => "",
    }
}

/// Extension to attach a path and an operation to an `io::Result`.
pub trait IoContext<T> {
    fn at(self, path: &Path, op: &'static str) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, path: &Path, op: &'static str) -> Result<T> {
        self.map_err(|e| Error::io(path, op, e))
    }
}

/// GNU tar's `--warning` keywords (tar 1.34), in its order. `--warning=no-KEYWORD` silences the
/// messages of that kind; captar prints those of the kinds in `Warning`, and takes the other
/// keywords (messages it never prints) without complaint, as a script's options.
pub const WARNING_KEYWORDS: &[&str] = &[
    "alone-zero-block",
    "bad-dumpdir",
    "cachedir",
    "contiguous-cast",
    "file-changed",
    "file-ignored",
    "file-removed",
    "file-shrank",
    "file-unchanged",
    "filename-with-nuls",
    "ignore-archive",
    "ignore-newer",
    "new-directory",
    "rename-directory",
    "symlink-cast",
    "timestamp",
    "unknown-cast",
    "unknown-keyword",
    "xdev",
    "decompress-program",
    "existing-file",
    "xattr-write",
    "record-size",
    "failed-read",
];

/// The kinds of captar's warnings and notes that `--warning` can silence, named as GNU tar's
/// keywords. Silenced, a warning still counts for the exit status (as in GNU tar: a file that
/// changed while read exits 1 with `--warning=no-file-changed` too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// A directory left out or emptied for its cache directory tag or `--exclude-tag` file.
    Cachedir,
    /// A file that changed, grew or was replaced while it was read.
    FileChanged,
    /// A socket, which an archive cannot hold.
    FileIgnored,
    /// A file that vanished between the walk and its reading.
    FileRemoved,
    /// A file that shrank while it was read (padded with zeros).
    FileShrank,
    /// The archive itself, met in the tree being archived.
    IgnoreArchive,
    /// `--keep-newer-files`: a file on disk as new as the member or newer, kept.
    IgnoreNewer,
    /// `--ignore-failed-read`: a path that could not be read, left out.
    FailedRead,
    /// A listed-incremental dump's directory renamed since the last dump, recorded as such.
    RenameDirectory,
    /// An mtime the destination's filesystem cannot hold, which it clamped.
    Timestamp,
    /// `--one-file-system` with `-v`: a directory on another filesystem, archived without its
    /// contents.
    Xdev,
    /// An archive that ends with one zero block, half of its end-of-archive marker.
    AloneZeroBlock,
}

impl Warning {
    pub fn keyword(self) -> &'static str {
        match self {
            Warning::Cachedir => "cachedir",
            Warning::FileChanged => "file-changed",
            Warning::FileIgnored => "file-ignored",
            Warning::FileRemoved => "file-removed",
            Warning::FileShrank => "file-shrank",
            Warning::IgnoreArchive => "ignore-archive",
            Warning::IgnoreNewer => "ignore-newer",
            Warning::FailedRead => "failed-read",
            Warning::RenameDirectory => "rename-directory",
            Warning::Timestamp => "timestamp",
            Warning::Xdev => "xdev",
            Warning::AloneZeroBlock => "alone-zero-block",
        }
    }

    /// The keyword's bit in a set of silenced keywords (its index in `WARNING_KEYWORDS`).
    fn bit(self) -> u32 {
        let i = WARNING_KEYWORDS.iter().position(|k| *k == self.keyword()).unwrap_or(0);
        1 << i
    }
}

/// Every keyword's bit: `--warning=none`.
pub fn all_warnings() -> u32 {
    (1u32 << WARNING_KEYWORDS.len()) - 1
}

/// The keywords silenced by `--warning` options, given in order as GNU tar takes them: `KEYWORD`
/// or `no-KEYWORD`, `all`, `none` (= `no-all`). An unknown keyword is a usage error listing
/// the valid ones.
pub fn silenced_warnings(options: &[String]) -> std::result::Result<u32, String> {
    let all = all_warnings();
    let mut silenced = 0u32;
    for opt in options {
        let (off, word) = match opt.strip_prefix("no-") {
            Some(w) => (true, w),
            None if opt == "none" => (true, "all"),
            None => (false, opt.as_str()),
        };
        let table: Vec<(&str, u32)> = std::iter::once(("all", all))
            .chain(WARNING_KEYWORDS.iter().enumerate().map(|(i, k)| (*k, 1 << i)))
            .collect();
        let bits = crate::argmatch::argmatch(word, &table).map_err(|m| {
            format!(
                "{} argument '{opt}' for '--warning'; valid: all, none, {} (each may start with no-, and be cut short where that is unambiguous)",
                m.word(),
                WARNING_KEYWORDS.join(", ")
            )
        })?;
        if off { silenced |= bits } else { silenced &= !bits }
    }
    Ok(silenced)
}

/// The outcome class of a whole run, as an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Ok = 0,
    Differences = 1,
    Errors = 2,
}

/// Counts warnings (exit 1) and errors (exit 2) reported while a run goes on, printing each
/// once on stderr as it happens.
#[derive(Debug, Default)]
pub struct Report {
    warnings: AtomicUsize,
    /// Those of the warnings not printed (`-q`, `--warning=no-KEYWORD`).
    unsaid: AtomicUsize,
    errors: AtomicUsize,
    quiet: bool,
    /// The `--warning` keywords silenced (bits of `WARNING_KEYWORDS`).
    silenced: u32,
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
    /// The archive's bytes written or read (uncompressed), for `--totals`; the last one set.
    total: std::sync::Mutex<Option<u64>>,
    /// Error and warning texts, kept once `keep_messages` asked for them (verify's JSON).
    kept: std::sync::Mutex<Option<Kept>>,
}

/// The messages a `Report` kept: errors and warnings, each in the order reported.
#[derive(Debug, Default, Clone)]
pub struct Kept {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl Report {
    pub fn new() -> Report {
        Report::default()
    }

    /// With `quiet`, notes and warnings are counted but not printed; errors always are.
    pub fn with_quiet(quiet: bool) -> Report {
        Report { quiet, ..Report::default() }
    }

    /// `silenced`: the `--warning` keywords whose messages are not printed (`silenced_warnings`).
    pub fn with_silenced(self, silenced: u32) -> Report {
        Report { silenced, ..self }
    }

    /// Whether only errors are printed (`-q`).
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Messages are printed above this progress bar instead of through it.
    pub fn attach(&self, bar: &crate::progress::Progress) {
        if let Some(b) = bar.bar() {
            let _ = self.bar.set(b.clone());
        }
    }

    fn print(&self, msg: &dyn fmt::Display) {
        let msg = terminal_safe(&msg.to_string()).into_owned();
        match self.bar.get() {
            Some(b) => b.suspend(|| print_stderr(&format!("captar: {msg}"))),
            None => print_stderr(&format!("captar: {msg}")),
        }
    }

    /// From now on, error and warning texts are kept too, for `kept_messages`.
    pub fn keep_messages(&self) {
        if let Ok(mut k) = self.kept.lock() {
            k.get_or_insert_with(Kept::default);
        }
    }

    /// The texts kept since `keep_messages`.
    pub fn kept_messages(&self) -> Kept {
        self.kept.lock().ok().and_then(|k| k.clone()).unwrap_or_default()
    }

    fn keep(&self, error: bool, msg: &dyn fmt::Display) {
        if let Ok(mut guard) = self.kept.lock()
            && let Some(k) = guard.as_mut()
        {
            let text = msg.to_string();
            if error { k.errors.push(text) } else { k.warnings.push(text) }
        }
    }

    /// A problem that makes the result differ from what was asked (exit 1): a file changed while
    /// read, a difference found.
    pub fn warn(&self, msg: impl fmt::Display) {
        self.warnings.fetch_add(1, Ordering::Relaxed);
        self.keep(false, &msg);
        if !self.quiet {
            self.print(&msg);
        } else {
            self.unsaid.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A note that does not change the exit code.
    pub fn note(&self, msg: impl fmt::Display) {
        if !self.quiet {
            self.print(&msg);
        }
    }

    /// A note followed by its list, one indented line each (names of members): printed
    /// together, above a progress bar, and not at all with `-q` (found by review: `-q` left
    /// the lines of such a list without the note that says what they are).
    pub fn note_list(&self, msg: impl fmt::Display, lines: &[String]) {
        if self.quiet {
            return;
        }
        let mut text = format!("captar: {}", terminal_safe(&msg.to_string()));
        for line in lines {
            text.push_str("\n  ");
            text.push_str(&terminal_safe(line));
        }
        match self.bar.get() {
            Some(b) => b.suspend(|| print_stderr(&text)),
            None => print_stderr(&text),
        }
    }

    /// `warn`, of a kind `--warning=no-KEYWORD` silences (it still counts).
    pub fn warn_as(&self, kind: Warning, msg: impl fmt::Display) {
        self.warnings.fetch_add(1, Ordering::Relaxed);
        self.keep(false, &msg);
        if !self.quiet && self.silenced & kind.bit() == 0 {
            self.print(&msg);
        } else {
            self.unsaid.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `note`, of a kind `--warning=no-KEYWORD` silences.
    pub fn note_as(&self, kind: Warning, msg: impl fmt::Display) {
        if !self.quiet && self.silenced & kind.bit() == 0 {
            self.print(&msg);
        }
    }

    /// A failure of one file (exit 2); the run goes on where it can.
    pub fn error(&self, err: impl fmt::Display) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.keep(true, &err);
        self.print(&err);
    }

    pub fn errors(&self) -> usize {
        self.errors.load(Ordering::Relaxed)
    }

    pub fn warnings(&self) -> usize {
        self.warnings.load(Ordering::Relaxed)
    }

    /// Of `warnings`, those not printed (`-q`, `--warning=no-KEYWORD`).
    pub fn unsaid_warnings(&self) -> usize {
        self.unsaid.load(Ordering::Relaxed)
    }

    /// Records the archive's size (uncompressed) that was written or read; a later call
    /// replaces it (append's whole archive replaces the bytes it wrote).
    pub fn set_total(&self, bytes: u64) {
        *self.total.lock().unwrap_or_else(|p| p.into_inner()) = Some(bytes);
    }

    pub fn total(&self) -> Option<u64> {
        *self.total.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn outcome(&self) -> Outcome {
        if self.errors() > 0 {
            Outcome::Errors
        } else if self.warnings() > 0 {
            Outcome::Differences
        } else {
            Outcome::Ok
        }
    }
}

/// One line on standard error. A stderr that is closed or full (`captar ... 2>&1 | head`) loses
/// the line; `eprintln!` would panic, ending the run mid-way and leaving its temporaries.
pub fn print_stderr(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {

    #[test]
    fn messages_are_terminal_safe() {
        assert_eq!(terminal_safe("plain: ok"), "plain: ok");
        assert_eq!(terminal_safe("x\ncaptar: forged"), "x\\ncaptar: forged");
        assert_eq!(terminal_safe("\x1b[2Jx\ty\r\u{9b}"), "\\033[2Jx\\ty\\r\\302\\233");
        // GNU tar's (C.UTF-8) quoting: C's escapes, the separators and noncharacters in octal.
        assert_eq!(terminal_safe("c\x07\x08\x0b\x0cx"), "c\\a\\b\\v\\fx");
        assert_eq!(terminal_safe("a\u{2028}b\u{fffe}\u{fdd0}é"), "a\\342\\200\\250b\\357\\277\\276\\357\\267\\220é");
    }
    use super::*;

    #[test]
    fn a_path_on_disk_is_shown_without_its_inner_dots() {
        let on_disk = |p: &str| Path::new(p).on_disk().to_string();
        assert_eq!(on_disk("d/./sub/f"), "d/sub/f");
        assert_eq!(on_disk("d/././f"), "d/f");
        assert_eq!(on_disk("/./d/./"), "/d/");
        // The first and the last stay: `./f` as GNU tar names it, `d/.` follows a symlink.
        assert_eq!(on_disk("./f"), "./f");
        assert_eq!(on_disk("d/."), "d/.");
        assert_eq!(on_disk("./."), "./.");
        assert_eq!(on_disk("a/.b/..c/../d"), "a/.b/..c/../d");
        // Escaped as `escaped()` is; and member names keep theirs.
        assert_eq!(Path::new("d/./x\\y").on_disk().to_string(), "d/x\\\\y");
        assert_eq!(Path::new("d/./f").escaped().to_string(), "d/./f");
        let e = Error::Io { path: "d/./f".into(), op: "open", source: io::Error::from_raw_os_error(libc::ENOENT) };
        assert!(e.to_string().starts_with("d/f: open: "), "{e}");
    }

    #[test]
    fn a_refused_read_and_a_refused_write_get_their_own_advice() {
        let denied = || io::Error::from_raw_os_error(libc::EACCES);
        let hint = |op: &str, root: bool| errno_hint(op, &denied(), if root { Who::Root } else { Who::User });
        assert_eq!(
            hint("read security.capability", false),
            " (permission denied: run as root, or as a user allowed to read it)"
        );
        assert!(hint("open", false).ends_with("allowed to read it)"));
        assert_eq!(hint("create file", false), " (permission denied: run as root or choose a writable destination)");
        // A device node: EPERM for want of CAP_MKNOD; EACCES is the directory's mode.
        let mknod = errno_hint("create special file", &io::Error::from_raw_os_error(libc::EPERM), Who::User);
        assert_eq!(
            mknod,
            " (making a device node takes root (CAP_MKNOD): run as root, or leave devices out with --exclude)"
        );
        assert!(hint("create special file", false).contains("choose a writable destination"));
        // Root is never told to run as root.
        for op in ["read directory", "create file"] {
            assert!(hint(op, true).starts_with(" (permission denied even to root:"), "{op}");
            let ns = errno_hint(op, &denied(), Who::NamespaceRoot);
            assert!(ns.starts_with(" (permission denied in a user namespace: its root has no power"), "{op}");
        }
        let malformed = errno_hint("read security.capability", &io::Error::from_raw_os_error(libc::EINVAL), Who::Root);
        assert!(malformed.contains("set it again with setcap"), "{malformed}");
        assert_eq!(errno_hint("read xattr", &io::Error::from_raw_os_error(libc::EINVAL), Who::Root), "");
        // A name's bytes that are not UTF-8 in octal, a backslash doubled: the two differ.
        use std::os::unix::ffi::OsStrExt;
        let shown = |b: &[u8]| Error::entry(Path::new(std::ffi::OsStr::from_bytes(b)), "x").to_string();
        assert_eq!(shown(b"a\xff\xfeb"), "a\\377\\376b: x");
        assert_eq!(shown(b"q\\377"), "q\\\\377: x");
        assert_eq!(shown("\u{e9}t\u{e9}".as_bytes()), "\u{e9}t\u{e9}: x");
        // Found by review on FUSE exFAT: an I/O error and a name refused said nothing more.
        let eio = Error::io("./blk", "create special file", io::Error::from_raw_os_error(libc::EIO)).to_string();
        assert!(
            eio.ends_with("Input/output error (the disk, the filesystem or its driver failed: see dmesg)"),
            "{eio}"
        );
        let name = Error::io("./x", "link into place", io::Error::from_raw_os_error(libc::EILSEQ)).to_string();
        assert!(name.contains("(this filesystem refuses the name: ") && name.contains("--transform"), "{name}");
        assert_eq!(errno_hint("read", &io::Error::from_raw_os_error(libc::EILSEQ), Who::Root), "");
        let read = Error::io("/srv/x", "read security.capability", denied()).to_string();
        assert!(read.starts_with("/srv/x: read security.capability: Permission denied (permission denied"), "{read}");
        let limit = Error::io("/srv/d", "open parent directory", io::Error::from_raw_os_error(libc::EMFILE));
        assert!(
            limit
                .to_string()
                .ends_with("Too many open files (the open-file limit is too low: raise it, `ulimit -n 1024`)"),
            "{limit}"
        );
        let full = Error::io("/srv/x", "write", io::Error::from_raw_os_error(libc::ENOSPC)).to_string();
        assert!(
            full.ends_with(
                "(the filesystem is full, of space or of inodes (`df -i`): free some or choose another destination)"
            ),
            "{full}"
        );
    }
}
