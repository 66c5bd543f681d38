/*!
Pax extended-header records (POSIX.1-2001 `pax`, "Extended Header"): `LEN KEY=VALUE\n`, where
LEN counts the whole record including itself. The record is framed by LEN alone, so a value may
hold any byte: newline, NUL and `=` included. A capability value such as
`cap_dac_override,cap_fowner=ep` holds 0x0A; splitting on newlines first (the `tar` crate's
reader, tar-rs #428/#476) drops it or lets it smuggle a fake record.
*/

use std::ffi::OsString;
use std::ops::Range;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use base64::Engine;

pub const PATH: &str = "path";
pub const LINKPATH: &str = "linkpath";
pub const SIZE: &str = "size";
pub const UID: &str = "uid";
pub const GID: &str = "gid";
pub const UNAME: &str = "uname";
pub const GNAME: &str = "gname";
pub const MTIME: &str = "mtime";
pub const ATIME: &str = "atime";
pub const CTIME: &str = "ctime";
pub const HDRCHARSET: &str = "hdrcharset";
pub const HDRCHARSET_BINARY: &str = "BINARY";
/// GNU tar and star: `SCHILY.xattr.<name>=<raw value>`.
pub const SCHILY_XATTR: &str = "SCHILY.xattr.";
/// GNU tar's `--selinux` (and Red Hat's patch before it): the SELinux label, as text.
pub const SELINUX: &str = "RHT.security.selinux";
/// A directory's listing in a GNU tar incremental archive (`-g`, `--format=posix`).
pub const DUMPDIR: &str = "GNU.dumpdir";

/// The label of a `security.selinux` value as `RHT.security.selinux` holds it: without the
/// trailing NUL the kernel returns (GNU tar writes the C string libselinux gives); `None` for
/// a value no such record can hold: empty (an empty pax value deletes the keyword) or with a
/// NUL inside.
pub fn selinux_text(value: &[u8]) -> Option<&[u8]> {
    let text = without_nul(value);
    (!text.is_empty() && !text.contains(&0)).then_some(text)
}

/// A `security.selinux` value without the NUL the kernel ends it with: labels with and
/// without it are the same label.
pub fn without_nul(value: &[u8]) -> &[u8] {
    value.strip_suffix(b"\0").unwrap_or(value)
}

/// libarchive: `LIBARCHIVE.xattr.<url-encoded name>=<base64 value>`.
pub const LIBARCHIVE_XATTR: &str = "LIBARCHIVE.xattr.";

/// Largest extended header we accept; real ones are a few hundred bytes.
pub const MAX_EXTENDED_HEADER: u64 = 64 << 20;

/// One record, key and value as raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub key: &'a [u8],
    pub value: &'a [u8],
}

/// Why an extended header is malformed, with the byte offset of the bad record in the header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed pax record at offset {offset} of the extended header: {reason}")]
pub struct PaxError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Splits an extended header's data into records, framing each by its length prefix.
pub fn parse(data: &[u8]) -> Result<Vec<Record<'_>>, PaxError> {
    let mut out = Vec::new();
    each(data, |key, value| out.push(Record { key: &data[key], value: &data[value] }))?;
    Ok(out)
}

/// `parse` without collecting: calls `f` with the byte ranges of each record's key and value
/// in `data`, in order. Returns where the records end: the length of `data` without the NUL
/// padding some writers put after them.
pub fn each(data: &[u8], mut f: impl FnMut(Range<usize>, Range<usize>)) -> Result<usize, PaxError> {
    let mut records = ranges(data);
    for record in records.by_ref() {
        let (key, value) = record?;
        f(key, value);
    }
    Ok(records.at)
}

/// The records of `data` one at a time, as byte ranges of key and value: nothing is collected,
/// so a header of millions of records costs no more than its bytes. Ends at the end of `data`,
/// at NUL padding, or after the first malformed record's error.
pub fn ranges(data: &[u8]) -> Ranges<'_> {
    Ranges { data, at: 0 }
}

#[derive(Clone)]
pub struct Ranges<'a> {
    data: &'a [u8],
    /// Where the next record starts (`data.len()` once an error was returned).
    at: usize,
}

impl Iterator for Ranges<'_> {
    type Item = Result<(Range<usize>, Range<usize>), PaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (data, at) = (self.data, self.at);
        // Some writers pad the data with NULs.
        if at >= data.len() || data[at..].iter().all(|&b| b == 0) {
            return None;
        }
        let record = record_at(data, at);
        self.at = match &record {
            Ok((_, _, next)) => *next,
            Err(_) => data.len(),
        };
        Some(record.map(|(key, value, _)| (key, value)))
    }
}

/// The record at `at`: its key's and value's ranges in `data`, and where the next one starts.
fn record_at(data: &[u8], at: usize) -> Result<(Range<usize>, Range<usize>, usize), PaxError> {
    let err = |reason| PaxError { offset: at, reason };
    let rest = &data[at..];
    let space = rest.iter().position(|&b| b == b' ').ok_or(err("no space after the length"))?;
    let digits = &rest[..space];
    if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(err("length is not a decimal number"));
    }
    let len: usize =
        std::str::from_utf8(digits).ok().and_then(|s| s.parse().ok()).ok_or(err("length is not a decimal number"))?;
    if len <= space + 1 || len > rest.len() {
        return Err(err("length out of range"));
    }
    let record = &rest[space + 1..len];
    let Some((&b'\n', body)) = record.split_last() else {
        return Err(err("record does not end with a newline"));
    };
    let eq = body.iter().position(|&b| b == b'=').ok_or(err("record has no '='"))?;
    if eq == 0 {
        return Err(err("record has an empty keyword"));
    }
    let start = at + space + 1;
    Ok((start..start + eq, start + eq + 1..start + body.len(), at + len))
}

/// Appends one record to `out`, computing the self-inclusive length prefix.
pub fn push(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    let body = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = body + decimal_digits(body as u64);
    if decimal_digits(len as u64) != len - body {
        len = body + decimal_digits(len as u64);
    }
    push_decimal(out, len as u64);
    out.push(b' ');
    out.extend_from_slice(key);
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// How many decimal digits `n` has.
fn decimal_digits(n: u64) -> usize {
    let (digits, at) = decimal(n);
    digits.len() - at
}

/// Appends `n` in decimal (without an allocation, as `to_string` would make).
pub fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let (digits, at) = decimal(n);
    out.extend_from_slice(&digits[at..]);
}

/// `n` in decimal: the digits from the index returned on.
pub fn decimal(mut n: u64) -> ([u8; 20], usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    (digits, at)
}

/// The keyword for an xattr as GNU tar writes it: only `%` and `=` are escaped (src/xattrs.c,
/// `xattr_encode_keyword`).
pub fn schily_key(name: &OsString) -> Vec<u8> {
    let mut key = SCHILY_XATTR.as_bytes().to_vec();
    for &b in name.as_bytes() {
        match b {
            b'%' => key.extend_from_slice(b"%25"),
            b'=' => key.extend_from_slice(b"%3D"),
            _ => key.push(b),
        }
    }
    key
}

/// The xattr name of a `SCHILY.xattr.` keyword suffix (undoing GNU tar's `%25`/`%3D`).
pub fn schily_name(suffix: &[u8]) -> OsString {
    let mut out = Vec::with_capacity(suffix.len());
    let mut i = 0;
    while i < suffix.len() {
        if suffix[i..].starts_with(b"%25") {
            out.push(b'%');
            i += 3;
        } else if suffix[i..].starts_with(b"%3D") {
            out.push(b'=');
            i += 3;
        } else {
            out.push(suffix[i]);
            i += 1;
        }
    }
    OsString::from_vec(out)
}

/// The xattr name and value of a `LIBARCHIVE.xattr.` record: the name is URL-encoded, the
/// value base64 without padding. `None` when either is not decodable.
pub fn libarchive_xattr(suffix: &[u8], value: &[u8]) -> Option<(OsString, Vec<u8>)> {
    let name = libarchive_name(suffix)?;
    let trimmed: Vec<u8> = value.iter().copied().filter(|&b| b != b'=' && !b.is_ascii_whitespace()).collect();
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed).ok()?;
    Some((name, decoded))
}

/// The xattr name of a `LIBARCHIVE.xattr.` record's keyword suffix (URL-encoded); `None` when
/// it is not decodable.
pub fn libarchive_name(suffix: &[u8]) -> Option<OsString> {
    let mut name = Vec::with_capacity(suffix.len());
    let mut i = 0;
    while i < suffix.len() {
        if suffix[i] == b'%' {
            let hex = suffix.get(i + 1..i + 3)?;
            let s = std::str::from_utf8(hex).ok()?;
            name.push(u8::from_str_radix(s, 16).ok()?);
            i += 3;
        } else {
            name.push(suffix[i]);
            i += 1;
        }
    }
    Some(OsString::from_vec(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_themselves() {
        let mut out = Vec::new();
        push(&mut out, b"path", b"a");
        assert_eq!(out, b"9 path=a\n");
        // 9-byte body + 1 digit = 10, which needs 2 digits: 11.
        let mut out = Vec::new();
        push(&mut out, b"path", b"ab");
        assert_eq!(out, b"11 path=ab\n");
        // Around each length whose digits make it one digit longer (10, 100, 1000, 10000).
        for n in (0..300).chain(990..1000).chain(9985..9995) {
            let mut out = Vec::new();
            let value = vec![b'x'; n];
            push(&mut out, b"k", &value);
            let recs = parse(&out).unwrap();
            assert_eq!(recs, vec![Record { key: b"k", value: &value }]);
        }
    }

    #[test]
    fn values_hold_any_byte() {
        let value = b"\x01\x00\x00\x02\x0a\x00=\n\x00";
        let mut out = Vec::new();
        push(&mut out, b"SCHILY.xattr.security.capability", value);
        push(&mut out, b"path", b"x");
        let recs = parse(&out).unwrap();
        assert_eq!(recs[0].value, value);
        assert_eq!(recs[1], Record { key: b"path", value: b"x" });
    }

    #[test]
    fn malformed_records_are_errors() {
        for bad in [&b"5 a=b\n"[..], b"100 a=b\n", b"x a=b\n", b"7 abc\n\n", b"6 =b\n\n", b"8 a=bcd", b"7 a=bcd"] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn xattr_names() {
        let name = OsString::from("user.a=b%c");
        let key = schily_key(&name);
        assert_eq!(key, b"SCHILY.xattr.user.a%3Db%25c");
        assert_eq!(schily_name(&key[SCHILY_XATTR.len()..]), name);
        let (n, v) = libarchive_xattr(b"security.capability", b"AQAAAgAgAAAAAAAAAAAAAAAAAAA").unwrap();
        assert_eq!(n, "security.capability");
        assert_eq!(v, [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
}
