/*!
`captar list`: `tar -t` and `tar -tv`, with each member's capabilities in getcap's text on
request, or one JSON object per member. Data is skipped, with a seek on a plain archive file.
*/

use crate::error::ShowPath;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use serde::Serialize;

use crate::caps::FileCaps;
use crate::error::{Outcome, Report, Result};
use crate::extract::SafeName;
use crate::format::reader::VolumeLabel;
use crate::format::{EntryMeta, Kind, Time, open_archive};
use crate::json::text_and_hex;
use crate::select::{Members, Selection, XattrPolicy};

#[derive(Debug, Clone)]
pub struct ListOptions {
    pub archive: PathBuf,
    pub verbose: bool,
    pub caps: bool,
    pub json: bool,
    pub risk: bool,
    /// With `verbose`: times with seconds (and nanoseconds), as GNU tar's `--full-time`.
    pub full_time: bool,
    /// With `verbose`: times in UTC, as GNU tar's `--utc`.
    pub utc: bool,
    /// With `verbose`: owners as ids, not names, as GNU tar's `-tv --numeric-owner`.
    pub numeric_owner: bool,
    /// With `verbose`: a hard-link target as archived, as GNU tar's `-tvP` shows it (its `-tv`
    /// shows one without a leading `/`, or what is up to a last `..`, as extract takes it; not
    /// a name or a symlink's target), and names under `--show-transformed-names` too.
    pub absolute_names: bool,
    /// The members listed: those named, less those excluded.
    pub select: Selection,
    /// With `verbose`: `--xattrs`, `--acls`, `--selinux` (see `Extended`).
    pub extended: Option<Extended>,
    /// `-G -vv` (or `-g SNAPSHOT -vv`): a directory's listing in a GNU incremental archive
    /// after it, as GNU tar's `-G -tvv` shows it (`dumpdir_lines`).
    pub dumpdirs: bool,
    /// `--checkpoint`: actions every N records read.
    pub checkpoints: std::option::Option<std::sync::Arc<crate::checkpoint::Checkpoints>>,
    /// The archive is read in records of this many bytes (GNU tar's `--record-size`): what
    /// `--totals` counts.
    pub record: u64,
}

/// What `list -v` shows of xattrs, ACLs and SELinux labels with `--xattrs` (or a pattern),
/// `--acls` or `--selinux`, as GNU tar's `-tv` with them (src/xattrs.c, `xattrs_print_char`
/// and `xattrs_print`): a character after the mode (`*` an xattr its mask lets through, `.` a
/// label, `+` an ACL, the last that applies; else a space), and with `-vv` a line for each
/// label (`  s: LABEL`), ACL (`  a: ENTRY,...,default:ENTRY,...`) and xattr (`  x: SIZE NAME`).
#[derive(Debug, Clone)]
pub struct Extended {
    /// `--xattrs`: the xattr records shown are those the patterns let through, as GNU tar
    /// masks them when reading (`user.*` without `--xattrs-include`; the capability is no
    /// exception).
    pub xattrs: Option<XattrPolicy>,
    pub acls: bool,
    pub selinux: bool,
    /// `-vv`: the lines.
    pub lines: bool,
}

impl Extended {
    /// The member's xattr records the mask lets through, in archive order.
    fn shown<'a>(&'a self, meta: &'a EntryMeta) -> impl Iterator<Item = &'a (OsString, Vec<u8>)> + 'a {
        let records = &meta.xattrs[..meta.xattr_records.min(meta.xattrs.len())];
        records.iter().filter(|(name, _)| self.xattrs.as_ref().is_some_and(|p| p.passes_patterns(name)))
    }

    /// The ACL texts GNU tar would show: those not empty.
    fn acls<'a>(&self, meta: &'a EntryMeta) -> Option<&'a [Option<Vec<u8>>; 2]> {
        meta.acl_texts.as_deref().filter(|t| self.acls && t.iter().flatten().any(|t| !t.is_empty()))
    }

    fn label<'a>(&self, meta: &'a EntryMeta) -> Option<&'a [u8]> {
        if !self.selinux || !meta.selinux_record {
            return None;
        }
        meta.xattr(crate::select::SELINUX_XATTR).map(crate::format::pax::without_nul)
    }

    /// The character after the mode.
    fn marker(&self, meta: &EntryMeta) -> u8 {
        if self.acls(meta).is_some() {
            b'+'
        } else if self.label(meta).is_some() {
            b'.'
        } else if self.shown(meta).next().is_some() {
            b'*'
        } else {
            b' '
        }
    }

    /// The `-vv` lines, appended to `out`.
    fn lines(&self, meta: &EntryMeta, out: &mut Vec<u8>) {
        if !self.lines {
            return;
        }
        if let Some(label) = self.label(meta) {
            out.extend_from_slice(b"  s: ");
            out.extend_from_slice(quote_name(label).as_bytes());
            out.push(b'\n');
        }
        if let Some([access, default]) = self.acls(meta) {
            // As GNU tar's acls_one_line: entries split at commas and newlines, up to the
            // first empty one (or a NUL), joined by commas; the default ACL's prefixed.
            let mut all: Vec<String> = Vec::new();
            for (text, prefix) in [(access, ""), (default, "default:")] {
                let text = text.as_deref().unwrap_or_default();
                let text = text.split(|&b| b == 0).next().unwrap_or_default();
                all.extend(
                    text.split(|&b| b == b',' || b == b'\n')
                        .take_while(|e| !e.is_empty())
                        .map(|e| format!("{prefix}{}", quote_name(e))),
                );
            }
            out.extend_from_slice(b"  a: ");
            out.extend_from_slice(all.join(",").as_bytes());
            out.push(b'\n');
        }
        for (name, value) in self.shown(meta) {
            let _ = writeln!(out, "  x: {} {}", value.len(), quote_name(name.as_bytes()));
        }
    }
}

/// The JSON form of a member; documented in the README.
#[derive(Serialize)]
struct JsonEntry<'a> {
    path: String,
    /// The name's exact bytes when they are not UTF-8 (`path` has U+FFFD for them).
    #[serde(skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    #[serde(rename = "type")]
    kind: Kind,
    mode: String,
    uid: u64,
    gid: u64,
    uname: Option<String>,
    /// The owner's and group's names' exact bytes when they are not UTF-8, as `path_hex`.
    #[serde(skip_serializing_if = "Option::is_none")]
    uname_hex: Option<String>,
    gname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gname_hex: Option<String>,
    size: u64,
    mtime: String,
    link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link_hex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<[u32; 2]>,
    caps: Option<String>,
    caps_hex: Option<String>,
    caps_revision: Option<u8>,
    rootid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caps_error: Option<String>,
    /// A hard link without a capability of its own: its target's, which it shares.
    link_caps: Option<&'a str>,
    xattrs: Vec<String>,
    /// Each of `xattrs`' names' exact bytes in hex (`null` for a UTF-8 one), when one of them
    /// is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    xattrs_hex: Option<Vec<Option<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk: Option<&'a str>,
}

/// The capabilities of the members read so far that carry one, by name, for the hard links
/// to them: a GNU tar or captar link member carries none of its own, and shares its target's
/// (found by audit: `list --caps` showed none for it, where getcap shows the file's for both
/// names). Only capped names are kept.
#[derive(Default)]
struct LinkCaps(HashMap<PathBuf, String>);

impl LinkCaps {
    /// Notes `meta`; for a hard link without a capability of its own, its target's.
    fn see(&mut self, meta: &EntryMeta) -> Option<String> {
        let name = || SafeName::rel_of(&meta.path);
        let own = meta.caps_raw().map(|raw| FileCaps::decode(raw).map(|c| c.text_with_rootid()));
        match (own, meta.kind, meta.link.as_deref()) {
            (Some(Ok(text)), _, _) => {
                self.0.insert(name(), text);
                None
            }
            (None, Kind::HardLink, Some(target)) => {
                let shared = self.0.get(&SafeName::rel_of(target)).cloned();
                match &shared {
                    Some(text) => drop(self.0.insert(name(), text.clone())),
                    None => drop(self.0.remove(&name())),
                }
                shared
            }
            // A later member of the name replaces the file, its capability with it.
            _ => {
                if !self.0.is_empty() {
                    self.0.remove(&name());
                }
                None
            }
        }
    }
}

pub fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Standard output for a report of many lines (list, verify): on a terminal, written line by
/// line, as GNU tar's stdio does, so a slow archive (a stream, a large compressed one) shows
/// each member as it is read and stderr's lines fall in their place (all was held until the
/// end, or 64 KiB; found by audit); else through a large buffer.
pub fn stdout_writer() -> Box<dyn Write> {
    use std::io::IsTerminal;
    let stdout = io::stdout();
    match stdout.is_terminal() {
        true => Box::new(io::LineWriter::new(stdout.lock())),
        false => Box::new(io::BufWriter::with_capacity(1 << 16, stdout.lock())),
    }
}

/// Lower-case hex of raw bytes.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Bytes from their hex digits, two a byte (either case); `None` for anything else.
pub fn unhex(h: &str) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).ok()).collect()
}

/// `hex` for a message: a value of more than 64 bytes (no capability is; an xattr may be 64
/// KiB) shows its first 32 and its size, so one line stays readable.
pub fn hex_short(b: &[u8]) -> String {
    match b.len() {
        // Said, not left blank ("the archived value : ..."; found by review).
        0 => "(0 bytes)".into(),
        1..=64 => hex(b),
        n => format!("{}... ({n} bytes)", hex(&b[..32])),
    }
}

/// An xattr's value as `getfattr` shows it: text in double quotes (C escapes for a quote, a
/// backslash and the few control characters text holds: tab, newline, a final NUL), anything
/// else in hex after `0x`; past 64 bytes, the first 64 (or 32 in hex) and the size, so one line
/// stays readable. `"abc"` and `0x616263` are then told apart, as getfattr tells them.
pub fn xattr_value_text(v: &[u8]) -> String {
    let body = v.strip_suffix(b"\0").unwrap_or(v);
    let text = std::str::from_utf8(body)
        .ok()
        .filter(|t| t.chars().all(|c| c == '\t' || c == '\n' || !crate::error::escaped(c)));
    let Some(text) = text else { return format!("0x{}", hex_short(v)) };
    let shown = if v.len() > 64 { &text[..text.floor_char_boundary(64.min(text.len()))] } else { text };
    let mut out = String::with_capacity(shown.len() + 2);
    out.push('"');
    for c in shown.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => crate::error::push_escaped(&mut out, c),
        }
    }
    if body.len() < v.len() && shown.len() == text.len() {
        out.push_str("\\000");
    }
    out.push('"');
    if shown.len() < text.len() {
        out.push_str(&format!("... ({} bytes)", v.len()));
    }
    out
}

/// A name as `tar -t` prints it (GNU tar's default "escape" quoting): backslash, control
/// characters and bytes that are not UTF-8 become C escapes (`\\`, `\n`, `\377`), so every
/// listed name is one line.
pub fn quote_name(bytes: &[u8]) -> String {
    if unescaped(bytes)
        && let Ok(plain) = std::str::from_utf8(bytes)
    {
        return plain.to_owned();
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c => crate::error::push_escaped(&mut out, c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\{b:03o}"));
        }
    }
    out
}

/// Whether `quote_name` leaves `bytes` as they are: printable ASCII without a backslash, as
/// most names are.
fn unescaped(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'\\')
}

/// `quote_name(bytes)` added to `out`: a name with nothing to escape is copied as it is.
fn push_quoted(out: &mut Vec<u8>, bytes: &[u8]) {
    match unescaped(bytes) {
        true => out.extend_from_slice(bytes),
        false => out.extend_from_slice(quote_name(bytes).as_bytes()),
    }
}

/// A name as `quote_name` (and GNU tar's listing) shows it, unquoted: `\\`, `\n`, `\t`, `\r`,
/// `\a`, `\b`, `\f`, `\v` and octal `\NNN` become the bytes they stand for (another backslash
/// stays as it is); `None` when that changes nothing.
pub fn unquote_name(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.contains(&b'\\') {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if b != b'\\' || i == bytes.len() {
            out.push(b);
            continue;
        }
        let plain = match bytes[i] {
            b'\\' => b'\\',
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'v' => 0x0b,
            b'0'..=b'7' => {
                let digits = bytes[i..].iter().take(3).take_while(|d| (b'0'..=b'7').contains(d)).count();
                let value = bytes[i..i + digits].iter().fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
                match u8::try_from(value) {
                    Ok(v) => {
                        out.push(v);
                        i += digits;
                    }
                    Err(_) => out.push(b),
                }
                continue;
            }
            _ => {
                out.push(b);
                continue;
            }
        };
        out.push(plain);
        i += 1;
    }
    (out != bytes).then_some(out)
}

/// `-rwsr-xr-x` from a kind and permission bits.
pub fn mode_string(kind: Kind, mode: u32) -> String {
    String::from_utf8_lossy(&mode_bytes(kind, mode)).into_owned()
}

/// `mode_string`'s ten ASCII characters, with no allocation (`list -v`'s every line).
fn mode_bytes(kind: Kind, mode: u32) -> [u8; 10] {
    let mut s = [0u8; 10];
    s[0] = kind.letter() as u8;
    let bits = [
        (0o400, b'r'),
        (0o200, b'w'),
        (0o100, b'x'),
        (0o40, b'r'),
        (0o20, b'w'),
        (0o10, b'x'),
        (0o4, b'r'),
        (0o2, b'w'),
        (0o1, b'x'),
    ];
    for (i, (bit, c)) in bits.iter().enumerate() {
        let set = mode & bit != 0;
        let special = match i {
            2 => (mode & 0o4000 != 0).then_some((b's', b'S')),
            5 => (mode & 0o2000 != 0).then_some((b's', b'S')),
            8 => (mode & 0o1000 != 0).then_some((b't', b'T')),
            _ => None,
        };
        s[i + 1] = match (special, set) {
            (Some((lower, _)), true) => lower,
            (Some((_, upper)), false) => upper,
            (None, true) => *c,
            (None, false) => b'-',
        };
    }
    s
}

/// `2021-03-04 05:06` in local time, as `tar -tv` prints it; with `--full-time` the seconds
/// too, and the fraction of a second when there is one, as GNU tar prints it (`05:06:07.5`);
/// with `--utc` in UTC. Members of an archive share few distinct minutes, so the texts made
/// are kept: for their minute, or for their second where the zone's offset is not whole minutes
/// then (local mean time before ~1883) or changes within that minute, or with `--full-time`.
pub struct Dates {
    tz: jiff::tz::TimeZone,
    full: bool,
    /// The texts made, by minute (`true`) or by second: the bench's corpus of 33,553 members
    /// has 240 minutes, and its archive order moves from one to another 15,870 times. At most
    /// `DATES_KEPT`.
    made: HashMap<(i64, bool), String>,
}

/// The most date texts `Dates` keeps (it starts again when it has this many).
const DATES_KEPT: usize = 4096;

impl Dates {
    pub fn new(full: bool, utc: bool) -> Dates {
        let tz = if utc { jiff::tz::TimeZone::UTC } else { jiff::tz::TimeZone::system() };
        Dates { tz, full, made: HashMap::new() }
    }

    pub fn format(&mut self, time: Time) -> std::borrow::Cow<'_, str> {
        let by_minute = (time.secs.div_euclid(60), true);
        let key = match self.made.contains_key(&by_minute) {
            true => Some(by_minute),
            false => Some((time.secs, false)).filter(|k| self.made.contains_key(k)),
        };
        let key = match key {
            Some(key) => key,
            None => self.make(time.secs),
        };
        let text = &self.made[&key];
        if self.full && time.nsecs != 0 {
            let fraction = format!("{:09}", time.nsecs);
            std::borrow::Cow::Owned(format!("{text}.{}", fraction.trim_end_matches('0')))
        } else {
            std::borrow::Cow::Borrowed(text)
        }
    }

    /// Makes the text of `secs` and keeps it; returns its key. The year unpadded, as GNU tar
    /// prints it (`1-01-01`, `10000-01-01`, `-3166904-02-24`; years before 1000 were padded
    /// with zeros, and from 9999-12-30 on, seconds were printed; found by review).
    fn make(&mut self, secs: i64) -> (i64, bool) {
        let pattern = if self.full { "-%m-%d %H:%M:%S" } else { "-%m-%d %H:%M" };
        let (shifted, years) = within_jiff(secs);
        // The text holds for the whole UTC minute when the zone's offset is whole minutes and the
        // same throughout it (a change of offset, whole minutes or not, can fall within one:
        // found by review).
        let offset = |s: i64| jiff::Timestamp::from_second(s).ok().map(|ts| self.tz.to_offset(ts));
        let minute = shifted.div_euclid(60) * 60;
        let (text, one_minute) = match jiff::Timestamp::from_second(shifted) {
            Ok(ts) => {
                let zoned = ts.to_zoned_datetime(self.tz.clone());
                let whole = zoned.offset().seconds() % 60 == 0;
                let steady = offset(minute) == Some(zoned.offset()) && offset(minute + 59) == Some(zoned.offset());
                let year = i64::from(zoned.year()) + years;
                // Beyond a C `int` of years since 1900, localtime fails and GNU tar prints the
                // seconds.
                match i32::try_from(year - 1900) {
                    Ok(_) => (format!("{year}{}", zoned.strftime(pattern)), whole && steady),
                    Err(_) => (secs.to_string(), false),
                }
            }
            Err(_) => (secs.to_string(), false),
        };
        let by_minute = one_minute && !self.full;
        let key = if by_minute { (secs.div_euclid(60), true) } else { (secs, false) };
        if self.made.len() >= DATES_KEPT {
            self.made.clear();
        }
        self.made.insert(key, text);
        key
    }
}

/// The seconds of 400 Gregorian years, after which the calendar (and a zone's rule for its
/// offsets) repeats.
const CYCLE_400_YEARS: i64 = 146_097 * 86_400;

/// `secs` moved by whole 400-year cycles to within what jiff reckons (the years -9999 to 9999,
/// less a day at each end), at least a cycle from its ends, and the years it was moved by:
/// the same month, day and time of day, in the zone's same rule, as the C library's localtime
/// gives them.
fn within_jiff(secs: i64) -> (i64, i64) {
    let (min, max) = (jiff::Timestamp::MIN.as_second(), jiff::Timestamp::MAX.as_second());
    let cycles = if secs > max - CYCLE_400_YEARS {
        (secs - (max - CYCLE_400_YEARS)) / CYCLE_400_YEARS + 1
    } else if secs < min + CYCLE_400_YEARS {
        // As i128: from i64::MIN the distance does not fit.
        -(((i128::from(min + CYCLE_400_YEARS) - i128::from(secs)) / i128::from(CYCLE_400_YEARS)) as i64 + 1)
    } else {
        0
    };
    (secs - cycles * CYCLE_400_YEARS, cycles * 400)
}

/// GNU tar's `-tv` columns start this wide (owner and size together, then the date) and widen
/// as wider values come.
const OWNER_SIZE_WIDTH: usize = 18;
const DATE_WIDTH: usize = 16;

/// The line of a volume label in a listing, as GNU tar shows it: its text, or with `verbose`
/// (the dates, and whether the mode column has a marker place) a member line of type `V`;
/// `widths` are the owner/size and date columns' widths so far, which it may widen.
/// A directory's listing in a GNU incremental archive (`GNU.dumpdir`, or a `D` member's data)
/// as GNU tar's `list_dumpdir` prints it (incremen.c): each name on its line, its letter (`Y`,
/// `N`, `D`, and `R`, `T`, `X` of renames) and a space before it, up to and with the empty
/// record that ends the listing (a blank line). The bytes as they are, as GNU tar prints them
/// (no quoting), save that a control character other than a tab is shown as `?`: the names
/// are the archive's, and must not drive the terminal.
fn dumpdir_lines(listing: &[u8], line: &mut Vec<u8>) {
    // `letter`: GNU tar's state, cleared by a newline only; `empty`: at the start of a record.
    let (mut letter, mut empty) = (true, true);
    for &b in listing {
        match b {
            0 => {
                line.push(b'\n');
                // The empty record ends it (GNU tar's `dumpdir_size`).
                if empty {
                    return;
                }
                (letter, empty) = (true, true);
                continue;
            }
            b'Y' | b'N' | b'D' | b'R' | b'T' | b'X' if letter => {
                line.extend_from_slice(&[b, b' ']);
                letter = false;
            }
            b'\t' => line.push(b),
            b if b < b' ' || b == 0x7f => line.push(b'?'),
            b => line.push(b),
        }
        empty = false;
    }
}

fn label_line(
    label: &VolumeLabel,
    verbose: Option<(&mut Dates, bool)>,
    widths: (&mut usize, &mut usize),
    line: &mut Vec<u8>,
) {
    let (ugswidth, datewidth) = widths;
    let verbose = verbose.map(|(dates, marker)| {
        let (owner, size) = ("0/0", "0");
        *ugswidth = (*ugswidth).max(owner.len() + size.len());
        let width = *ugswidth - owner.len();
        let date = dates.format(Time { secs: label.mtime, nsecs: 0 });
        *datewidth = (*datewidth).max(date.len());
        let marker = if marker { " " } else { "" };
        let _ = write!(line, "V---------{marker} {owner} {size:>width$} {date:<datewidth$} ", datewidth = *datewidth);
    });
    line.extend_from_slice(quote_name(&label.text).as_bytes());
    if verbose.is_some() {
        line.extend_from_slice(b"--Volume Header--");
    }
    line.push(b'\n');
}

/// `captar test-label`: GNU tar's `--test-label`.
#[derive(Debug, Clone)]
pub struct TestLabelOptions {
    pub archive: PathBuf,
    /// Print the label as `list -v` does; with labels, print it and say when none matches.
    pub verbose: bool,
    /// `labels` are globs, not the exact text.
    pub wildcards: bool,
    pub full_time: bool,
    pub utc: bool,
    /// The labels tested for: none prints the label.
    pub labels: Vec<OsString>,
}

/// Reads the archive's first header only, as GNU tar's `--test-label`: with no labels to test,
/// prints the volume label (if any; exit 0); with labels, exit 0 when the archive's label is
/// one of them, else 1 (`-v` prints the label and says so).
pub fn test_label(opts: &TestLabelOptions) -> Result<Outcome> {
    let patterns = if opts.wildcards {
        let texts = opts.labels.iter().map(|l| {
            l.to_str().map(str::to_owned).ok_or_else(|| {
                crate::error::Error::Usage(format!(
                    "--wildcards: the label pattern {:?} is not UTF-8; leave --wildcards out to test the exact bytes",
                    l.to_string_lossy()
                ))
            })
        });
        Some(crate::select::glob_set(&texts.collect::<Result<Vec<_>>>()?, "test-label")?)
    } else {
        None
    };
    let (_, mut reader) = open_archive(&opts.archive)?;
    reader.refuse_empty();
    // The label comes before the first member (a `V` header, or a pax global header).
    reader.next_entry()?;
    let label = reader.take_label();
    let mut line = Vec::new();
    if let Some(label) = &label
        && (opts.verbose || opts.labels.is_empty())
    {
        let mut dates = Dates::new(opts.full_time, opts.utc);
        // GNU tar prints the label's `-tv` line only when it tests for none.
        let verbose = (opts.verbose && opts.labels.is_empty()).then_some((&mut dates, false));
        let (mut owner_size, mut date) = (OWNER_SIZE_WIDTH, DATE_WIDTH);
        label_line(label, verbose, (&mut owner_size, &mut date), &mut line);
    }
    let matched = opts.labels.is_empty()
        || label.as_ref().is_some_and(|label| match &patterns {
            Some(globs) => globs.is_match(std::path::Path::new(std::ffi::OsStr::from_bytes(&label.text))),
            None => opts.labels.iter().any(|l| l.as_bytes() == label.text),
        });
    if !line.is_empty() {
        let mut out = io::stdout().lock();
        out.write_all(&line).and_then(|()| out.flush()).map_err(crate::error::Error::stdout)?;
    }
    if matched {
        return Ok(Outcome::Ok);
    }
    if opts.verbose {
        let archive = opts.archive.escaped();
        match &label {
            Some(_) => eprintln!("captar: {archive}: the volume label matches no LABEL given"),
            None => eprintln!("captar: {archive}: the archive has no volume label"),
        }
    }
    Ok(Outcome::Differences)
}

/// uid, gid, user and group name of a member: the owner column is formatted once per change.
type OwnerKey = (u64, u64, Option<Vec<u8>>, Option<Vec<u8>>);

pub fn list(opts: &ListOptions, report: &Report) -> Result<Outcome> {
    let (_, mut reader) = open_archive(&opts.archive)?;
    opts.select.prepare(&mut reader)?;
    reader.refuse_empty();
    if let Some(c) = &opts.checkpoints {
        reader.set_checkpoints(c.counter());
    }
    let mut out = stdout_writer();
    let write_err = crate::error::Error::stdout;
    let mut ugswidth = OWNER_SIZE_WIDTH;
    let mut datewidth = DATE_WIDTH;
    let mut dates = Dates::new(opts.full_time, opts.utc);
    let mut warned_root = false;
    let mut owner: (Option<OwnerKey>, String) = (None, String::new());
    let mut line = Vec::with_capacity(256);
    let mut size = String::new();
    let mut members = Members::new(&opts.select);
    let mut link_caps = LinkCaps::default();
    loop {
        if members.done() {
            break;
        }
        let next = reader.next_reporting(report, Some(&mut out))?;
        // A volume label stands before the members, whatever is selected, as in GNU tar's
        // listing (not in JSON, whose lines are members).
        if let Some(label) = reader.take_label().filter(|_| !opts.json) {
            line.clear();
            let verbose = opts.verbose.then_some((&mut dates, opts.extended.is_some()));
            let widths = (&mut ugswidth, &mut datewidth);
            label_line(&label, verbose, widths, &mut line);
            out.write_all(&line).map_err(write_err)?;
        }
        let Some(mut entry) = next else { break };
        // What a hard link shares with its target, by the names as archived, selected or not.
        let shared_caps = match opts.caps || opts.json {
            true => link_caps.see(&entry.meta),
            false => None,
        };
        if !members.all() {
            let meta = &entry.meta;
            let rel = SafeName::rel_of(&meta.path);
            if !members.selects(&rel, &meta.path) {
                continue;
            }
        }
        // Names as archived, unless asked for them transformed (GNU tar shows the link targets
        // transformed even so; captar shows a member as one or the other).
        // A name the transform makes absolute is shown as extract makes it, beneath the
        // destination, as GNU tar shows it (found by review: `/opt/dir/` was listed where
        // extract writes `opt/dir/`).
        // GNU tar strips the leading slashes of every name under --show-transformed-names,
        // transformed or not, and shows a name left empty as `.` (found by review: only the names
        // a transform changed were stripped, and `s,.*,/,` listed `/`).
        if opts.select.transforms.show {
            opts.select.transforms.rename(&mut entry.meta);
        }
        // (With -P as the transform made them, as GNU tar's -P shows them.)
        if opts.select.transforms.show && !opts.absolute_names {
            let meta = &mut entry.meta;
            let mut stripped = strip_root(&mut meta.path, meta.kind == Kind::Dir);
            if meta.kind == Kind::HardLink
                && let Some(link) = &mut meta.link
            {
                stripped |= strip_root(link, false);
            }
            if stripped && !warned_root {
                out.flush().map_err(write_err)?;
                report.note("removing leading '/' from member names");
                warned_root = true;
            }
        }
        let meta = &entry.meta;
        if let Some(w) = meta.left_out_warning() {
            out.flush().map_err(write_err)?;
            report.warn(w);
        }
        // The capability is decoded once, and only when something shows it.
        let decoded_result =
            if opts.caps || opts.json || opts.risk { meta.caps_raw().map(FileCaps::decode) } else { None };
        let caps = decoded_result.as_ref().map(|r| match r {
            Ok(c) => Ok(c.text_with_rootid()),
            Err(e) => Err(e.to_string()),
        });
        if let Some(Err(e)) = &caps {
            report.error(format!("{}: {e}", meta.path.escaped()));
        }
        let decoded = decoded_result.and_then(Result::ok);
        let risk = decoded.as_ref().filter(|_| opts.risk).and_then(crate::caps::risk::describe);
        if opts.json {
            let (path, path_hex) = text_and_hex(meta.path.as_os_str().as_bytes());
            let (link, link_hex) = match meta.link.as_ref().map(|l| text_and_hex(l.as_os_str().as_bytes())) {
                Some((link, hex)) => (Some(link), hex),
                None => (None, None),
            };
            let name_and_hex = |name: Option<&[u8]>| match name.map(text_and_hex) {
                Some((text, hex)) => (Some(text), hex),
                None => (None, None),
            };
            let ((uname, uname_hex), (gname, gname_hex)) =
                (name_and_hex(meta.uname.as_deref()), name_and_hex(meta.gname.as_deref()));
            let xattr_names: Vec<(String, Option<String>)> = meta
                .xattrs
                .iter()
                .filter(|(n, _)| n != crate::caps::XATTR_NAME)
                .map(|(n, _)| text_and_hex(n.as_bytes()))
                .collect();
            let j = JsonEntry {
                path,
                path_hex,
                kind: meta.kind,
                mode: format!("{:04o}", meta.mode),
                uid: meta.uid,
                gid: meta.gid,
                uname,
                uname_hex,
                gname,
                gname_hex,
                size: meta.size,
                mtime: meta.mtime.to_pax(),
                link,
                link_hex,
                device: matches!(meta.kind, Kind::Char | Kind::Block).then_some([meta.dev_major, meta.dev_minor]),
                caps: decoded.map(|c| c.text()),
                caps_hex: meta.caps_raw().map(hex),
                caps_revision: decoded.map(|c| c.revision.number()),
                rootid: decoded.and_then(|c| c.rootid),
                caps_error: match &caps {
                    Some(Err(e)) => Some(e.clone()),
                    _ => None,
                },
                link_caps: shared_caps.as_deref(),
                xattrs: xattr_names.iter().map(|(text, _)| text.clone()).collect(),
                xattrs_hex: xattr_names
                    .iter()
                    .any(|(_, hex)| hex.is_some())
                    .then(|| xattr_names.into_iter().map(|(_, hex)| hex).collect()),
                risk: risk.as_deref(),
            };
            crate::json::to_writer(&mut out, &j).map_err(write_err)?;
            out.write_all(b"\n").map_err(write_err)?;
            continue;
        }
        line.clear();
        if opts.verbose {
            let same_owner = owner.0.as_ref().is_some_and(|(uid, gid, uname, gname)| {
                (*uid, *gid, uname, gname) == (meta.uid, meta.gid, &meta.uname, &meta.gname)
            });
            if !same_owner {
                let key = (meta.uid, meta.gid, meta.uname.clone(), meta.gname.clone());
                // Quoted as names are: the archive's owner names must not drive the terminal.
                let name = |name: &Option<Vec<u8>>| name.as_deref().filter(|_| !opts.numeric_owner).map(quote_name);
                let text = format!(
                    "{}/{}",
                    name(&meta.uname).unwrap_or_else(|| meta.uid.to_string()),
                    name(&meta.gname).unwrap_or_else(|| meta.gid.to_string())
                );
                owner = (Some(key), text);
            }
            size.clear();
            let _ = match meta.kind {
                Kind::Char | Kind::Block => write!(size, "{},{}", meta.dev_major, meta.dev_minor),
                _ => write!(size, "{}", meta.size),
            };
            // GNU tar (list.c) pads owner and size to a common width that only grows.
            let pad = owner.1.len() + size.len();
            ugswidth = ugswidth.max(pad);
            let width = ugswidth - pad + size.len();
            // And the date to a width that only grows (wider with nanoseconds), left-justified.
            let date = dates.format(meta.mtime);
            datewidth = datewidth.max(date.len());
            let mut mode = mode_bytes(meta.kind, meta.mode);
            // GNU tar marks a contiguous file `C` (whatever its name: one ending in `/` too).
            if meta.contiguous {
                mode[0] = b'C';
            }
            // And one of a type it does not know `?` (the warning says which).
            if meta.unknown_type.is_some() {
                mode[0] = b'?';
            }
            line.extend_from_slice(&mode);
            if let Some(x) = &opts.extended {
                line.push(x.marker(meta));
            }
            // ` OWNER SIZE DATE `: the size right-justified, the date left-justified (ASCII).
            line.push(b' ');
            line.extend_from_slice(owner.1.as_bytes());
            line.resize(line.len() + 1 + width - size.len(), b' ');
            line.extend_from_slice(size.as_bytes());
            line.push(b' ');
            line.extend_from_slice(date.as_bytes());
            line.resize(line.len() + 1 + datewidth - date.len(), b' ');
        }
        push_quoted(&mut line, meta.path.as_os_str().as_bytes());
        if opts.verbose {
            match (meta.kind, &meta.link) {
                (Kind::Symlink, Some(l)) => {
                    line.extend_from_slice(b" -> ");
                    push_quoted(&mut line, l.as_os_str().as_bytes());
                }
                // As extract takes it, as GNU tar's -tv shows a hard-link target (not a name or
                // a symlink's target): without a leading `/`, or what is up to a last `..`
                // (found by differential testing); as archived with -P.
                (Kind::HardLink, Some(l)) => {
                    line.extend_from_slice(b" link to ");
                    let bytes = l.as_os_str().as_bytes();
                    let target = match opts.absolute_names {
                        true => bytes,
                        false => match &bytes[crate::create::names::unsafe_prefix_len(bytes)..] {
                            b"" => b".",
                            rest => rest,
                        },
                    };
                    push_quoted(&mut line, target);
                }
                _ => {}
            }
        }
        // A hard link's is its target's, as getcap shows both names of the file.
        if opts.caps
            && let Some(text) = caps.as_ref().and_then(|c| c.as_ref().ok()).or(shared_caps.as_ref())
        {
            line.push(b' ');
            line.extend_from_slice(text.as_bytes());
        }
        if let Some(r) = &risk {
            line.extend_from_slice(format!(" [risk={r}]").as_bytes());
        }
        line.push(b'\n');
        if opts.verbose
            && let Some(x) = &opts.extended
        {
            x.lines(meta, &mut line);
        }
        if opts.dumpdirs
            && let Some(listing) = &meta.dumpdir
        {
            dumpdir_lines(listing, &mut line);
        }
        out.write_all(&line).map_err(write_err)?;
        // Checkpoint dots and messages come between the names, in order, as in GNU tar.
        if opts.checkpoints.is_some() {
            out.flush().map_err(write_err)?;
        }
    }
    out.flush().map_err(crate::error::Error::stdout)?;
    report.set_total(reader.records_read(opts.record));
    for e in members.not_found("archive") {
        report.error(e);
    }
    Ok(report.outcome())
}

/// `path` without its leading slashes; whether it had any. What is left of a name that is
/// empty or all slashes is listed as GNU tar lists it: `.`, or `./` for a directory whose name
/// ended in a slash beyond the root (a transform's `//`, or nothing: the root itself, `/`, is
/// `.`; found by review: an empty name was an empty line, the root `./`).
fn strip_root(path: &mut PathBuf, dir: bool) -> bool {
    let bytes = path.as_os_str().as_bytes();
    let at = bytes.iter().position(|&b| b != b'/').unwrap_or(bytes.len());
    let rest = match (at == bytes.len(), dir) {
        (false, _) if at == 0 => return false,
        (false, _) => &bytes[at..],
        (true, true) if bytes.len() != 1 => &b"./"[..],
        (true, _) => &b"."[..],
    };
    *path = PathBuf::from(std::ffi::OsStr::from_bytes(rest));
    at > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xattr_values_as_getfattr_shows_them() {
        assert_eq!(xattr_value_text(b"hello"), "\"hello\"");
        assert_eq!(xattr_value_text(b""), "\"\"");
        assert_eq!(xattr_value_text(b"a \"q\" \\ b\tc\n"), "\"a \\\"q\\\" \\\\ b\\tc\\n\"");
        assert_eq!(xattr_value_text(b"text\0"), "\"text\\000\"");
        assert_eq!(xattr_value_text("é ü".as_bytes()), "\"é ü\"");
        // Bytes that are no text, controls and a NUL inside are hex.
        assert_eq!(xattr_value_text(b"\x01\x00\x00\x02"), "0x01000002");
        assert_eq!(xattr_value_text(b"a\0b"), "0x610062");
        assert_eq!(xattr_value_text(b"\xff\xfe"), "0xfffe");
        assert_eq!(xattr_value_text(b"\x1b[31m"), "0x1b5b33316d");
        // Long values: the first 64 bytes (32 in hex) and the size.
        let long = "x".repeat(100);
        assert_eq!(xattr_value_text(long.as_bytes()), format!("\"{}\"... (100 bytes)", "x".repeat(64)));
        let wide = "é".repeat(40);
        assert_eq!(xattr_value_text(wide.as_bytes()), format!("\"{}\"... (80 bytes)", "é".repeat(32)));
        assert_eq!(xattr_value_text(&[0u8; 100]), format!("0x{}... (100 bytes)", "00".repeat(32)));
    }

    /// Times in a zone whose offset was not whole minutes (New York's local mean time, -4:56:02,
    /// before 1883) fall in local minutes of their own; fractions print as GNU tar prints them.
    #[test]
    fn dates_as_gnu_tar_prints_them() {
        let new_york = jiff::tz::TimeZone::get("America/New_York").unwrap();
        let mut dates = Dates { tz: new_york, full: false, made: HashMap::new() };
        let t = -3_000_000_000 - (-3_000_000_000i64).rem_euclid(60);
        let at = |secs| Time { secs, nsecs: 0 };
        // Local mean time (-4:56:02): one UTC minute spans two local ones, kept by the second.
        assert_eq!(dates.format(at(t)), "1874-12-07 13:43");
        assert_eq!(dates.format(at(t + 10)), "1874-12-07 13:44");
        assert_eq!(dates.format(at(t)), "1874-12-07 13:43");
        // Kept by the minute since: each of its seconds, after others, and after the texts
        // kept were dropped for being too many.
        let now = 1_614_834_367;
        assert_eq!(dates.format(at(now)), "2021-03-04 00:06");
        assert_eq!(dates.format(at(now + 60)), "2021-03-04 00:07");
        assert_eq!(dates.format(at(now - 7)), "2021-03-04 00:06");
        for minute in 0..DATES_KEPT as i64 + 1 {
            dates.format(at(now + 3600 + 60 * minute));
        }
        assert!(dates.made.len() <= DATES_KEPT);
        assert_eq!(dates.format(at(now + 52)), "2021-03-04 00:06");
        assert_eq!(dates.format(at(t + 10)), "1874-12-07 13:44");
        // A change of offset within a UTC minute: Amsterdam went from +1:19:32 to +1:20 at
        // 1937-06-30 22:40:28 UTC. Each second is shown in its own offset, whichever comes
        // first (and so with offsets of whole minutes on both sides, in a POSIX zone whose
        // summer time starts at 2:00:07).
        let amsterdam = jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap();
        let posix = jiff::tz::TimeZone::posix("AAA-1BBB-2,M3.5.0/2:00:07,M10.5.0/3").unwrap();
        let cases = [
            (amsterdam, (-1_025_745_570, "1937-07-01 00:00"), (-1_025_745_580, "1937-06-30 23:59")),
            (posix, (1_679_792_427, "2023-03-26 03:00"), (1_679_792_402, "2023-03-26 02:00")),
        ];
        for (tz, a, b) in cases {
            for order in [[a, b], [b, a]] {
                let mut dates = Dates { tz: tz.clone(), full: false, made: HashMap::new() };
                for (secs, want) in order {
                    assert_eq!(dates.format(at(secs)), want, "{order:?}");
                }
            }
        }
        // Years unpadded and beyond jiff's -9999..9999, as GNU tar 1.34 prints them (they were
        // zero-padded, and seconds from 9999-12-30 on); beyond a C int of years, the seconds.
        let mut utc = Dates { tz: jiff::tz::TimeZone::UTC, full: false, made: HashMap::new() };
        for (secs, want) in [
            (-62_135_596_800, "1-01-01 00:00"),
            (-62_167_219_201, "-1-12-31 23:59"),
            (-30_641_760_000, "999-01-01 00:00"),
            (253_402_300_799, "9999-12-31 23:59"),
            (253_402_300_800, "10000-01-01 00:00"),
            (327_322_684_800, "12342-06-12 00:00"),
            (-99_999_999_999_999, "-3166904-02-24 14:13"),
            (67_768_036_191_676_800, "67768036191676800"),
            (i64::MAX, "9223372036854775807"),
            (i64::MIN, "-9223372036854775808"),
        ] {
            assert_eq!(utc.format(at(secs)), want);
        }
        // The zone's rule holds beyond 9999: summer time in Paris in the year 12021 (+2:00, as
        // GNU tar prints it; 05:06 UTC).
        let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
        let mut dates = Dates { tz: paris, full: false, made: HashMap::new() };
        assert_eq!(dates.format(at(1_614_834_367 + 10_000 * 31_556_952 + 120 * 86_400)), "12021-07-02 07:06");
        let mut utc = Dates { tz: jiff::tz::TimeZone::UTC, full: true, made: HashMap::new() };
        assert_eq!(utc.format(Time { secs: 1_614_834_367, nsecs: 500_000_000 }), "2021-03-04 05:06:07.5");
        assert_eq!(utc.format(Time { secs: 1_614_834_367, nsecs: 120_000_000 }), "2021-03-04 05:06:07.12");
        assert_eq!(utc.format(Time { secs: 1_614_834_367, nsecs: 1 }), "2021-03-04 05:06:07.000000001");
        assert_eq!(utc.format(Time { secs: 1_614_834_367, nsecs: 0 }), "2021-03-04 05:06:07");
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        assert_eq!(hex_short(&[0xab; 64]), "ab".repeat(64));
        assert_eq!(hex_short(&[]), "(0 bytes)");
        assert_eq!(hex_short(&[0xab; 65]), format!("{}... (65 bytes)", "ab".repeat(32)));
    }

    #[test]
    fn names_are_quoted_like_gnu_tar() {
        assert_eq!(quote_name(b"caf\xff\xfe.txt"), "caf\\377\\376.txt");
        assert_eq!(quote_name(b"a\nb\\c"), "a\\nb\\\\c");
        assert_eq!(quote_name("café".as_bytes()), "café");
        // The plain-ASCII shortcut: its edges (space, '~', DEL, a lone backslash).
        assert_eq!(quote_name(b"usr/bin/a b~"), "usr/bin/a b~");
        assert_eq!(quote_name(b"a\x7fb"), "a\\177b");
        assert_eq!(quote_name(b"\\"), "\\\\");
    }

    /// Every name comes back from its quoted form; names without escapes are left alone.
    #[test]
    fn unquote_reverses_quote() {
        for name in [&b"tab\tx"[..], b"back\\slash", b"nl\nx\r", b"caf\xff\xfe", b"\x07\x08\x0b\x0c", b"\\n"] {
            let quoted = quote_name(name);
            assert_eq!(unquote_name(quoted.as_bytes()).as_deref(), Some(name), "{quoted}");
        }
        assert_eq!(unquote_name(b"plain"), None);
        assert_eq!(unquote_name(b"a\\q"), None);
        assert_eq!(unquote_name(b"end\\"), None);
        assert_eq!(unquote_name(b"\\101\\0x").as_deref(), Some(&b"A\0x"[..]));
    }
}
