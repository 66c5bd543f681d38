/*!
The archive format: POSIX pax (with ustar and GNU headers read too), the only code that knows
tar. `EntryMeta` is one archive member as both the reader and the writer see it; `pax` frames
extended-header records by their length prefix; `reader` and `writer` stream entries;
`compress` detects and applies gzip and zstd.
*/

pub mod acl;
pub mod blocks;
pub mod compress;
pub mod pax;
pub mod pgzip;
pub mod plzip;
pub mod reader;
pub mod writer;

use crate::error::ShowPath;
use std::ffi::OsString;
use std::path::PathBuf;

use crate::caps;

pub const BLOCK: usize = 512;

/// The longest and deepest member name read: 16 times PATH_MAX, and a quarter of it in levels.
/// Longer than PATH_MAX is fine (captar walks such paths a component at a time), but a name of a
/// million `a/` would make a million directories out of 2 KB of gzip. Create keeps to it too,
/// so that it never writes a member it would not read back.
pub const NAME_MAX_BYTES: usize = 64 << 10;
pub const NAME_MAX_DEPTH: usize = 1024;

/// A member name past those limits: what it is, as a message's start ("a name of N bytes and M
/// levels"), or None.
pub fn name_beyond_limits(name: &[u8]) -> Option<String> {
    // A name no longer than the depth limit has at most that many levels: not counted.
    if name.len() <= NAME_MAX_DEPTH {
        return None;
    }
    let depth = memchr::memchr_iter(b'/', name.strip_suffix(b"/").unwrap_or(name)).count() + 1;
    (name.len() > NAME_MAX_BYTES || depth > NAME_MAX_DEPTH).then(|| {
        format!(
            "a name of {} bytes and {depth} levels is longer than captar reads (at most {NAME_MAX_BYTES} bytes and {NAME_MAX_DEPTH} levels)",
            name.len()
        )
    })
}

/// The type of an archive member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Dir,
    Symlink,
    HardLink,
    Char,
    Block,
    Fifo,
}

impl Kind {
    /// The word used in messages and JSON.
    pub fn word(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Dir => "directory",
            Kind::Symlink => "symlink",
            Kind::HardLink => "hard link",
            Kind::Char => "character device",
            Kind::Block => "block device",
            Kind::Fifo => "fifo",
        }
    }

    /// The kind of a file on disk from its `st_mode`; `None` for a socket, which no archive
    /// holds.
    pub fn of_mode(mode: u32) -> Option<Kind> {
        use rustix::fs::FileType;
        Some(match FileType::from_raw_mode(mode) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            FileType::CharacterDevice => Kind::Char,
            FileType::BlockDevice => Kind::Block,
            FileType::Fifo => Kind::Fifo,
            _ => return None,
        })
    }

    /// The letter `ls -l` and `tar -tv` print.
    pub fn letter(self) -> char {
        match self {
            Kind::File => '-',
            Kind::HardLink => 'h',
            Kind::Dir => 'd',
            Kind::Symlink => 'l',
            Kind::Char => 'c',
            Kind::Block => 'b',
            Kind::Fifo => 'p',
        }
    }
}

/// `Time::pax_text`'s result: at most a sign, 20 digits, a point and 9 more.
pub struct PaxTime {
    bytes: [u8; 31],
    len: usize,
}

impl PaxTime {
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A point in time with nanoseconds, as pax `mtime` carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time {
    pub secs: i64,
    pub nsecs: u32,
}

/// The precisions, in nanoseconds, to which filesystems keep modification times where they
/// keep no nanoseconds: whole seconds (ext2/3, ext4 with 128-byte inodes, HFS+, sshfs),
/// hundredths (exFAT), microseconds (UDF, some NFS servers), tenths of a microsecond (NTFS,
/// CIFS).
const CUT_STEPS: [u32; 4] = [1_000_000_000, 10_000_000, 1_000, 100];

impl Time {
    /// A file's modification time, from its stat.
    #[allow(clippy::unnecessary_cast)] // i64 on some architectures, c_long on others
    pub fn mtime_of(st: &rustix::fs::Stat) -> Time {
        Time { secs: st.st_mtime as i64, nsecs: st.st_mtime_nsec as u32 }
    }

    /// This time as precise as `archived`, a member's: without its fraction of a second when
    /// the member has none (ustar and GNU tar's own format keep whole seconds).
    pub fn at_precision_of(self, archived: Time) -> Time {
        if archived.nsecs == 0 { Time { nsecs: 0, ..self } } else { self }
    }

    /// Whether this time, a file's, is `archived` (a member's) as a filesystem keeps it: the
    /// same at the member's precision (`at_precision_of`), or the member's time cut to one of
    /// the steps filesystems keep (`CUT_STEPS`; the kernel cuts, never rounds). A file changed
    /// since has that exact cut time only by a coincidence of one in its step. Any other cut
    /// is a difference (found by review: every decimal cut passed, a time set to `.1` for
    /// `.123456789` too).
    pub fn holds(self, archived: Time) -> bool {
        if self.at_precision_of(archived) == archived {
            return true;
        }
        self.secs == archived.secs && CUT_STEPS.iter().any(|step| self.nsecs == archived.nsecs - archived.nsecs % step)
    }

    /// The pax decimal form: `1614834367.123456789`, trailing zeros of the fraction dropped.
    pub fn to_pax(self) -> String {
        String::from_utf8(self.pax_text().as_bytes().to_vec()).expect("digits, a sign and a point")
    }

    /// `to_pax` without an allocation (the writer makes one for nearly every member).
    pub fn pax_text(self) -> PaxTime {
        debug_assert!(self.nsecs < 1_000_000_000, "nanoseconds past a second: {self:?}");
        let (negative, secs, nsecs) = if self.secs < 0 && self.nsecs > 0 {
            (true, (-(self.secs + 1)) as u64, 1_000_000_000 - self.nsecs)
        } else if self.secs < 0 {
            (true, self.secs.unsigned_abs(), 0)
        } else {
            (false, self.secs as u64, self.nsecs)
        };
        let mut text = PaxTime { bytes: [0; 31], len: 0 };
        let mut put = |b: u8| {
            text.bytes[text.len] = b;
            text.len += 1;
        };
        if negative {
            put(b'-');
        }
        let (digits, at) = pax::decimal(secs);
        digits[at..].iter().for_each(|&d| put(d));
        if nsecs != 0 {
            let mut frac = [0u8; 9];
            let mut n = nsecs;
            for d in frac.iter_mut().rev() {
                *d = b'0' + (n % 10) as u8;
                n /= 10;
            }
            let kept = 9 - frac.iter().rev().take_while(|&&d| d == b'0').count();
            put(b'.');
            frac[..kept].iter().for_each(|&d| put(d));
        }
        text
    }

    /// Parses the pax decimal form (any number of fraction digits, beyond 9 truncated).
    pub fn from_pax(s: &str) -> Option<Time> {
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Wider than i64 until the sign is applied: -9223372036854775808 is a time (GNU tar's
        // least), whose magnitude is not an i64.
        let secs: i128 = int.parse().ok()?;
        let mut digits: String = frac.chars().take(9).collect();
        while digits.len() < 9 {
            digits.push('0');
        }
        let nsecs: u32 = digits.parse().ok()?;
        let (secs, nsecs) = match (neg, nsecs) {
            (false, _) => (secs, nsecs),
            (true, 0) => (-secs, 0),
            (true, _) => (-secs - 1, 1_000_000_000 - nsecs),
        };
        Some(Time { secs: i64::try_from(secs).ok()?, nsecs })
    }

    /// This time as a date in UTC, to the nanosecond where it has a fraction
    /// (`2021-03-04 05:06:07.123456789 UTC`); beyond the dates a calendar holds (years past
    /// 9999 or before -9999), its pax seconds.
    pub fn date_text(self) -> String {
        match jiff::Timestamp::new(self.secs, self.nsecs as i32) {
            Ok(t) if self.nsecs == 0 => t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
            Ok(t) => format!("{}.{:09} UTC", t.strftime("%Y-%m-%d %H:%M:%S"), self.nsecs),
            Err(_) => self.to_pax(),
        }
    }
}

/// One archive member: what a header plus its pax records say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryMeta {
    /// The member name as stored (raw bytes; directories may end in `/`).
    pub path: PathBuf,
    pub kind: Kind,
    /// Permission bits with setuid, setgid and sticky (`st_mode & 0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub uname: Option<Vec<u8>>,
    pub gname: Option<Vec<u8>>,
    pub mtime: Time,
    /// Bytes of data that follow the header (0 for everything but regular files).
    pub size: u64,
    /// The symlink target, or the earlier member a hard link refers to.
    pub link: Option<PathBuf>,
    pub dev_major: u32,
    pub dev_minor: u32,
    /// Extended attributes in archive order, one value per name.
    pub xattrs: Vec<(OsString, Vec<u8>)>,
    /// Xattr records the reader left out: a value or name larger than Linux allows, data
    /// beyond `reader::XATTRS_MAX`, or xattrs in a global header. Reported as a warning.
    pub xattrs_left_out: usize,
    /// Xattrs to which the member's `LIBARCHIVE.xattr` record gives another value than its
    /// `SCHILY.xattr` record (GNU tar's, which counts). Reported as a warning: bsdtar would
    /// restore the last one.
    pub xattrs_conflicting: u32,
    /// ACL records (`SCHILY.acl.*`, as GNU tar `--acls` and bsdtar write them) that could not
    /// be turned into their xattrs (`acl::to_xattr`), and why the first one could not. Reported
    /// as a warning, never dropped in silence.
    pub acls_ignored: u32,
    pub acl_problem: Option<String>,
    /// The member's `RHT.security.selinux` and `SCHILY.xattr.security.selinux` records give
    /// different labels: the RHT one (GNU tar `--selinux`'s) is used. Reported as a warning.
    pub selinux_conflicting: bool,
    /// A global header before this member carried a capability, applied to no member (GNU tar
    /// and bsdtar ignore one there too). Said in the warning.
    pub global_caps_left_out: bool,
    /// Records of pax extended headers another one followed before this member: only the
    /// last one is the member's, as GNU tar and bsdtar read them; and whether a capability was
    /// among them. Said in the warning.
    pub superseded_records: usize,
    pub superseded_caps: bool,
    /// How many of `xattrs`, from the first, the member's xattr records gave (`SCHILY.xattr`,
    /// `LIBARCHIVE.xattr`); those after them came from its `RHT.security.selinux` and
    /// `SCHILY.acl` records. With `selinux_record` and `acl_texts`, what `list -v --xattrs`
    /// (`--acls`, `--selinux`) shows as GNU tar's `-tv` shows it.
    pub xattr_records: usize,
    /// The member had an `RHT.security.selinux` record (GNU tar `--selinux`'s), now its
    /// `security.selinux` xattr.
    pub selinux_record: bool,
    /// A contiguous file (type 7), which GNU tar's listing marks `C`; extracted as a file.
    pub contiguous: bool,
    /// A type flag no tar defines (`Z`): read as a regular file, as POSIX says, and said so.
    pub unknown_type: Option<u8>,
    /// File flags (`chattr`'s: `nodump`, `uappnd`...) of a `SCHILY.fflags` record, as bsdtar
    /// `--fflags` writes them: extract sets none, and says so (GNU tar warns of the record).
    pub fflags: Option<Vec<u8>>,
    /// The member's `SCHILY.acl.access` and `SCHILY.acl.default` texts as archived, when it
    /// has either.
    pub acl_texts: Option<Box<[Option<Vec<u8>>; 2]>>,
    /// For writing: the member is a GNU sparse 1.0 file of this many bytes; its data (`size`
    /// bytes) is the map of its data runs, then the runs (`create --sparse`).
    pub sparse: Option<u64>,
    /// A directory's listing in a GNU incremental archive (`GNU.dumpdir`, or the data of a GNU
    /// `D` member): NUL-terminated names, each after a letter (`Y` archived here, `N` not, `D` a
    /// directory; `R`/`T`/`X` renames), and a final NUL. See `create::incremental`.
    pub dumpdir: Option<Vec<u8>>,
    /// The member had a pax extended header of its own: its time is to the nanosecond, as GNU
    /// tar takes it (`POSIX_FORMAT`), also when the time has no fraction; else whole seconds.
    pub pax_header: bool,
}

impl EntryMeta {
    /// A blank member of the given kind and name, for builders.
    pub fn new(path: PathBuf, kind: Kind) -> EntryMeta {
        EntryMeta {
            path,
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            uname: None,
            gname: None,
            mtime: Time::default(),
            size: 0,
            link: None,
            dev_major: 0,
            dev_minor: 0,
            xattrs: Vec::new(),
            xattrs_left_out: 0,
            xattrs_conflicting: 0,
            acls_ignored: 0,
            acl_problem: None,
            selinux_conflicting: false,
            xattr_records: 0,
            selinux_record: false,
            global_caps_left_out: false,
            superseded_records: 0,
            superseded_caps: false,
            contiguous: false,
            unknown_type: None,
            fflags: None,
            acl_texts: None,
            sparse: None,
            dumpdir: None,
            pax_header: false,
        }
    }

    /// Bytes of xattr names and values this member carries (for memory accounting).
    pub fn xattr_bytes(&self) -> usize {
        self.xattrs.iter().map(|(n, v)| n.len() + v.len()).sum()
    }

    /// The warning about xattr records the reader left out or found conflicting, if any.
    pub fn left_out_warning(&self) -> Option<String> {
        // Nearly every member has none: said without building the parts (6% of a caps-only
        // verify's reading thread went to that: 13.4M of 222M instructions, callgrind).
        if self.unknown_type.is_none()
            && self.superseded_records == 0
            && self.xattrs_left_out == 0
            && self.xattrs_conflicting == 0
            && !self.selinux_conflicting
            && self.acls_ignored == 0
        {
            return None;
        }
        let left_out = (self.xattrs_left_out > 0).then(|| {
            let caps = match self.global_caps_left_out {
                true => " (a capability in a global header among them: it applies to no member, as GNU tar and bsdtar ignore it too; give it to the member's own header)",
                false => "",
            };
            format!(
                "{} extended attribute record(s) left out: a name that is empty, holds a NUL or is over 255 bytes, or a value over 64 KiB (more than Linux keeps), over 1 MiB of xattrs in all, or xattrs in a global header{caps}",
                self.xattrs_left_out
            )
        });
        let conflicting = (self.xattrs_conflicting > 0).then(|| {
            format!(
                "{} xattr(s) with different values in its SCHILY.xattr and LIBARCHIVE.xattr records: the SCHILY one (GNU tar's) is used; bsdtar would use the last",
                self.xattrs_conflicting
            )
        });
        let acls = (self.acls_ignored > 0).then(|| {
            let why = self.acl_problem.as_deref().unwrap_or("an NFSv4 ACL, which Linux files do not carry");
            format!("{} ACL record(s) (SCHILY.acl.*) left out: {why}", self.acls_ignored)
        });
        let superseded = (self.superseded_records > 0).then(|| {
            let caps = match self.superseded_caps {
                true => ", a capability among them: the member has none from them",
                false => "",
            };
            format!(
                "{} record(s) of a pax extended header followed by another before the member left out (only the last one is the member's, as GNU tar and bsdtar read them){caps}",
                self.superseded_records
            )
        });
        let label = self.selinux_conflicting.then(|| {
            "its RHT.security.selinux and SCHILY.xattr.security.selinux records give different SELinux labels: the RHT one (GNU tar --selinux's) is used".to_string()
        });
        let unknown = self.unknown_type.map(|t| {
            format!(
                "unknown file type '{}', read as a regular file (as POSIX says, and GNU tar extracts it)",
                std::ascii::escape_default(t)
            )
        });
        let parts: Vec<String> =
            unknown.into_iter().chain(superseded).chain(left_out).chain(conflicting).chain(label).chain(acls).collect();
        (!parts.is_empty()).then(|| format!("{}: {}", self.path.escaped(), parts.join("; ")))
    }

    /// The raw `security.capability` value this member carries, if any.
    pub fn caps_raw(&self) -> Option<&[u8]> {
        self.xattr(caps::XATTR_NAME)
    }

    /// The value of one xattr by name.
    pub fn xattr(&self, name: &str) -> Option<&[u8]> {
        self.xattrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }

    /// Sets an xattr, replacing an earlier value of the same name (one value per name).
    pub fn set_xattr(&mut self, name: OsString, value: Vec<u8>) {
        match self.xattrs.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.xattrs.push((name, value)),
        }
    }
}

/// Opens an archive for reading: a path, or `-` for standard input; compression is detected
/// from the first bytes.
pub fn open_archive(path: &std::path::Path) -> crate::error::Result<(compress::Compression, reader::Reader)> {
    open_archive_counted(path).map(|a| (a.compression, a.reader))
}

/// An archive opened for reading, with what progress needs: the input's size when it is a
/// file, and the bytes read from it so far.
pub struct Opened {
    pub compression: compress::Compression,
    pub reader: reader::Reader,
    pub input_len: Option<u64>,
    pub input_pos: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Archives this process streams to itself (`copy`'s pipe), each by the name that stands for
/// it in messages: opened by that name, with no path to look up (found by review: the pipe
/// was opened as /proc/self/fd/N, so `copy` failed where /proc is not mounted, and its
/// errors named that path).
static PIPED: std::sync::Mutex<Vec<(std::path::PathBuf, std::fs::File)>> = std::sync::Mutex::new(Vec::new());

/// The reading end of a pipe, opened by `open_archive` as `name` while this lives (once).
pub struct PipedArchive(std::path::PathBuf);

impl PipedArchive {
    pub fn new(name: std::path::PathBuf, file: std::fs::File) -> PipedArchive {
        PIPED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((name.clone(), file));
        PipedArchive(name)
    }

    pub fn name(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for PipedArchive {
    fn drop(&mut self) {
        PIPED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|(n, _)| *n != self.0);
    }
}

fn take_piped(path: &std::path::Path) -> Option<std::fs::File> {
    let mut piped = PIPED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let at = piped.iter().position(|(n, _)| n == path)?;
    Some(piped.swap_remove(at).1)
}

pub fn open_archive_counted(path: &std::path::Path) -> crate::error::Result<Opened> {
    use crate::error::IoContext;
    let (origin, input_len) = if let Some(pipe) = take_piped(path) {
        (compress::Origin::File(pipe), None)
    } else if path.as_os_str() == "-" {
        // As GNU tar: waiting for an archive typed at the terminal is never what was meant.
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(crate::error::Error::Usage(
                "refusing to read archive contents from a terminal (missing -f option?); name the archive with -f ARCHIVE, or pipe one in".into(),
            ));
        }
        (compress::Origin::Stream(Box::new(std::io::stdin())), None)
    } else {
        let file = std::fs::File::open(path).at(path, "open the archive")?;
        let len = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        (compress::Origin::File(file), len)
    };
    let (compression, src, input_pos) = compress::decoder_counted(origin).at(path, "read the archive")?;
    let name = if path.as_os_str() == "-" { "(standard input)".to_string() } else { path.escaped().to_string() };
    Ok(Opened { compression, reader: reader::Reader::new(src, name), input_len, input_pos })
}

#[cfg(test)]
mod tests {
    use super::{NAME_MAX_BYTES, NAME_MAX_DEPTH, Time, name_beyond_limits};

    /// The limits where they begin: a short name is not counted, yet no name within them is
    /// refused and none beyond them is taken.
    #[test]
    fn names_beyond_the_limits_are_told() {
        let levels = |n: usize| "a/".repeat(n - 1) + "a";
        for (name, beyond) in [
            ("/".repeat(NAME_MAX_DEPTH), false),
            ("/".repeat(NAME_MAX_DEPTH + 1), true),
            (levels(NAME_MAX_DEPTH), false),
            (levels(NAME_MAX_DEPTH) + "/", false),
            (levels(NAME_MAX_DEPTH + 1), true),
            ("a".repeat(NAME_MAX_BYTES), false),
            ("a".repeat(NAME_MAX_BYTES + 1), true),
        ] {
            assert_eq!(name_beyond_limits(name.as_bytes()).is_some(), beyond, "{} bytes", name.len());
        }
    }

    /// A file's time holds a member's when it is that time cut to a filesystem's precision:
    /// whole seconds (ext4 with 128-byte inodes), hundredths (exFAT), microseconds, 100 ns;
    /// never another time, nor another cut.
    #[test]
    fn a_coarser_filesystem_holds_the_cut_time() {
        let t = |secs, nsecs| Time { secs, nsecs };
        let archived = t(1_614_834_367, 123_456_789);
        for (disk, holds) in [
            (archived, true),
            (t(1_614_834_367, 0), true),
            (t(1_614_834_367, 120_000_000), true),
            (t(1_614_834_367, 123_456_000), true),
            (t(1_614_834_367, 123_456_700), true),
            // A cut no filesystem makes (found by review: `.1` and `.1234` passed).
            (t(1_614_834_367, 100_000_000), false),
            (t(1_614_834_367, 123_400_000), false),
            (t(1_614_834_367, 123_456_780), false),
            // Not a cut of it: rounded, another second, another fraction.
            (t(1_614_834_367, 123_457_000), false),
            (t(1_614_834_368, 0), false),
            (t(1_614_834_366, 0), false),
            (t(1_614_834_367, 130_000_000), false),
            (t(1_614_834_367, 123_456_788), false),
        ] {
            assert_eq!(disk.holds(archived), holds, "{disk:?}");
        }
        // Before 1970 too (the fraction counts up from the second below).
        assert!(t(-2, 0).holds(t(-2, 750_000_000)) && !t(-1, 0).holds(t(-2, 750_000_000)));
        // A member of whole seconds is compared to the second, as before.
        assert!(t(7, 999_999_999).holds(t(7, 0)));
    }

    #[test]
    fn pax_time_round_trips() {
        for (text, t) in [
            ("1614834367.123456789", Time { secs: 1614834367, nsecs: 123456789 }),
            ("1614834367.5", Time { secs: 1614834367, nsecs: 500_000_000 }),
            ("0", Time { secs: 0, nsecs: 0 }),
            ("-1.5", Time { secs: -2, nsecs: 500_000_000 }),
            ("-3", Time { secs: -3, nsecs: 0 }),
            // The extremes (GNU tar writes the least for --mtime=@-9223372036854775808).
            ("-9223372036854775808", Time { secs: i64::MIN, nsecs: 0 }),
            ("9223372036854775807", Time { secs: i64::MAX, nsecs: 0 }),
            ("0.000000001", Time { secs: 0, nsecs: 1 }),
            ("-0.000000001", Time { secs: -1, nsecs: 999_999_999 }),
            // The longest text.
            ("-9223372036854775807.000000001", Time { secs: i64::MIN, nsecs: 999_999_999 }),
        ] {
            assert_eq!(Time::from_pax(text), Some(t), "{text}");
            assert_eq!(t.to_pax(), text);
        }
        assert_eq!(Time::from_pax("12.1234567891"), Some(Time { secs: 12, nsecs: 123456789 }));
        assert_eq!(Time::from_pax("x"), None);
        assert_eq!(Time::from_pax(""), None);
        assert_eq!(Time::from_pax("1.2.3"), None);
        assert_eq!(Time::from_pax("-9223372036854775808.5"), None, "past the least");
        assert_eq!(Time::from_pax("9223372036854775808"), None);
    }

    #[test]
    fn dates_in_utc_to_the_nanosecond() {
        let t = |secs, nsecs| Time { secs, nsecs }.date_text();
        assert_eq!(t(1614834367, 123456789), "2021-03-04 05:06:07.123456789 UTC");
        assert_eq!(t(1614834367, 500_000_000), "2021-03-04 05:06:07.500000000 UTC");
        assert_eq!(t(0, 0), "1970-01-01 00:00:00 UTC");
        assert_eq!(t(-2, 500_000_000), "1969-12-31 23:59:58.500000000 UTC");
        assert_eq!(t(i64::MAX, 0), "9223372036854775807");
        assert_eq!(t(i64::MIN, 999_999_999), "-9223372036854775807.000000001");
    }
}
