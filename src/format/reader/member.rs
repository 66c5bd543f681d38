/*!
A member's metadata from its header block and the extended headers read before it: pax records
(which win over the header's fields, local over global), GNU long names, and the xattr and ACL
records, kept within what Linux can hold.
*/

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use super::data::{SPARSE_RUNS_MAX, SparseMap, parse_sparse_map};
use super::header::{DEV_MAJOR, DEV_MINOR, GID, MAX_SIZE, MODE, MTIME, UID, header_name, numeric, trim_nul};
use super::{CORE, Pending, Reader};
use crate::error::{Error, Result};
use crate::format::acl;
use crate::format::pax;
use crate::format::{BLOCK, EntryMeta, Kind, Time};

/// Linux's limits for one extended attribute (`XATTR_NAME_MAX`, `XATTR_SIZE_MAX`).
const XATTR_NAME_MAX: usize = 255;
const XATTR_SIZE_MAX: usize = 64 << 10;
/// The most xattr data (names and values) read for one member: far more than any filesystem
/// keeps for a file (Linux lists at most 64 KiB of names).
pub const XATTRS_MAX: usize = 1 << 20;

/// A member's xattrs, one value per name, built record by record: what a header of millions
/// of records costs is the values kept, within XATTRS_MAX.
#[derive(Default)]
struct Xattrs {
    index: HashMap<OsString, usize>,
    slots: Vec<Option<(OsString, Vec<u8>)>>,
    /// Whether each slot's value came from a LIBARCHIVE record.
    libarchive_value: Vec<bool>,
    /// The bytes of the values kept, with their names.
    total: usize,
    left_out: usize,
    /// SCHILY values that replaced a different LIBARCHIVE value of the same name.
    conflicting: u32,
}

impl Xattrs {
    /// One record's xattr. The last value of a name counts; GNU tar's SCHILY form wins over
    /// libarchive's copy of the same value (SCHILY records come after all LIBARCHIVE ones).
    /// Values Linux cannot hold are left out (and counted), and so is what goes beyond
    /// XATTRS_MAX in all, so a member's xattrs stay within what a real file can carry.
    fn add(&mut self, name: OsString, value: Vec<u8>, libarchive: bool) {
        // The capability is never left out here, whatever its size or the others': kept,
        // a value no file can hold is the capability error extract, list and verify report
        // (exit 2), not a generic warning; and other xattrs cannot crowd it out.
        let capability = name == crate::caps::XATTR_NAME;
        let size = |v: &Vec<u8>| if capability { 0 } else { name.len() + v.len() };
        // A name Linux cannot hold (empty, or with a NUL, which ends it) is left out too:
        // it failed later as if the disk had refused it.
        let named = !name.is_empty() && !name.as_bytes().contains(&0);
        let fits = capability || (named && name.len() <= XATTR_NAME_MAX && value.len() <= XATTR_SIZE_MAX);
        let slot = self.index.get(&name).copied();
        // A SCHILY value replacing a different LIBARCHIVE value of the same name.
        if !libarchive
            && let Some(s) = slot
            && std::mem::take(&mut self.libarchive_value[s])
            && self.slots[s].as_ref().is_some_and(|(_, old)| *old != value)
        {
            self.conflicting += 1;
        }
        // The last value of a name counts: one that cannot be kept takes the earlier one
        // with it, so an archive never means one thing to GNU tar and another here.
        if let Some(old) = slot.and_then(|i| self.slots[i].take()) {
            self.total -= size(&old.1);
        }
        if !fits || self.total + size(&value) > XATTRS_MAX {
            self.left_out += 1;
            return;
        }
        self.total += size(&value);
        match slot {
            Some(i) => self.slots[i] = Some((name, value)),
            None => {
                self.index.insert(name.clone(), self.slots.len());
                self.slots.push(Some((name, value)));
                self.libarchive_value.push(libarchive);
            }
        }
    }
}

/// A member as its headers describe it: the metadata, its sparse map and real size if it is
/// sparse, and the malformed values read past (see `malformed` in `Reader::member`).
pub(super) struct Parsed {
    pub meta: Box<EntryMeta>,
    pub sparse: Option<(SparseMap, u64)>,
    pub malformed: Vec<Error>,
    /// Why the member cannot be given at all (its name or link target), when damage is read
    /// past: its data (`meta.size` bytes) is skipped and the read goes on; the error, and why
    /// in a few words (for the list of capabilities not restored).
    pub unusable: Option<(Error, String)>,
}

impl Reader {
    /// The member a header (and the extended headers before it) describes, and, for a sparse
    /// one, how to find its runs and the size it expands to. `size` is the header's size field,
    /// already read and checked.
    pub(super) fn member(
        &self,
        block: &[u8; BLOCK],
        header: &tar::Header,
        size: u64,
        pending: Pending,
        at: u64,
    ) -> Result<Parsed> {
        let header_path = pending.long_name.as_deref().map_or_else(|| header_name(block), Cow::Borrowed);
        // Errors name the member as the pax records will call it (made only for an error).
        // Checked when read: every record is well formed.
        let local = pax::ranges(&self.local).map_while(Result::ok).map(|(k, v)| (&self.local[k], &self.local[v]));
        let global = CORE.iter().zip(&self.global).filter_map(|(k, v)| Some((k.as_bytes(), v.as_deref()?)));
        // Most members have no record at all: then none is looked for (`take(0)` looks at
        // nothing), instead of the global slots once per pass below.
        let any = !self.local.is_empty() || self.global.iter().any(Option::is_some);
        let records = || global.clone().chain(local.clone()).take(if any { usize::MAX } else { 0 });
        let fail = |msg: String| {
            let named = records().filter(|&(k, _)| k == pax::PATH.as_bytes()).last().map(|(_, v)| v);
            // A name too long to read is shown by its start.
            let name = named.unwrap_or(&header_path);
            let shown = crate::list::quote_name(&name[..name.len().min(200)]);
            let more = if name.len() > 200 { "..." } else { "" };
            self.err(at, format!("{shown}{more}: {msg}"))
        };
        let field = |range: std::ops::Range<usize>, name: &str| {
            numeric(&block[range.clone()])
                .ok_or_else(|| fail(format!("invalid {name} field {}", crate::error::quoted(trim_nul(&block[range])))))
        };
        let mut path: &[u8] = &header_path;
        let mut link = pending.long_link.as_deref().map(Cow::Borrowed).or_else(|| header.link_name_bytes());
        let kind = match block[156] {
            b'0' | b'\0' | b'7' => Kind::File,
            b'1' => Kind::HardLink,
            b'2' => Kind::Symlink,
            b'3' => Kind::Char,
            b'4' => Kind::Block,
            b'5' | b'D' => Kind::Dir,
            b'6' => Kind::Fifo,
            b'S' => Kind::File,
            b'M' => {
                return Err(fail("GNU multi-volume continuation: captar does not read multi-volume archives".into()));
            }
            // POSIX: an unknown type is read as a regular file (and said so).
            _ => Kind::File,
        };
        let mut meta = Box::new(EntryMeta::new(PathBuf::new(), kind));
        if !matches!(block[156], b'0'..=b'7' | b'\0' | b'S' | b'D')
            || pending.old_sparse.is_none() && block[156] == b'S'
        {
            meta.unknown_type = Some(block[156]);
        }
        meta.contiguous = block[156] == b'7';
        // A value that means nothing, where the member's data can still be found: see
        // `malformed` below. A header's owner or mtime that is not a number (or a negative
        // owner) is 0 then, unless a pax record gives it.
        let mut malformed: Vec<Error> = Vec::new();
        let lenient = self.skip_damage;
        let mode = field(MODE, "mode")?;
        meta.mode = (mode & 0o7777) as u32;
        let mut or_zero = |n: Result<i64>, key: &str| match n {
            Err(e) if lenient => {
                // Unless the last pax record of that key gives a value (an empty one deletes it).
                if records().filter(|&(k, _)| k == key.as_bytes()).last().is_none_or(|(_, v)| v.is_empty()) {
                    malformed.push(e.with_note("0 is used"));
                }
                Ok(0)
            }
            n => n,
        };
        let id = |range: std::ops::Range<usize>, name: &str| {
            field(range, name).and_then(|n| {
                i64::try_from(n).ok().filter(|&n| n >= 0).ok_or_else(|| fail(format!("negative {name} {n}")))
            })
        };
        meta.uid = or_zero(id(UID, "uid"), pax::UID)? as u64;
        meta.gid = or_zero(id(GID, "gid"), pax::GID)? as u64;
        let mtime =
            field(MTIME, "mtime").and_then(|t| i64::try_from(t).map_err(|_| fail(format!("mtime {t} out of range"))));
        meta.mtime = Time { secs: or_zero(mtime, pax::MTIME)?, nsecs: 0 };
        meta.uname = header.username_bytes().filter(|n| !n.is_empty()).map(<[u8]>::to_vec);
        meta.gname = header.groupname_bytes().filter(|n| !n.is_empty()).map(<[u8]>::to_vec);
        if matches!(kind, Kind::Char | Kind::Block) {
            let dev = |range, name| {
                field(range, name).and_then(|n| u32::try_from(n).map_err(|_| fail(format!("{name} {n} out of range"))))
            };
            meta.dev_major = dev(DEV_MAJOR, "device major")?;
            meta.dev_minor = dev(DEV_MINOR, "device minor")?;
        }
        meta.size = size;
        // LIBARCHIVE records are taken first, as they come; SCHILY ones after them (below).
        let mut xattrs = Xattrs::default();
        // The keyword suffixes as archived: bsdtar writes an xattr's URL-encoded name in both
        // its LIBARCHIVE and its SCHILY record (`user.sp%20ace`), so the SCHILY one is the
        // LIBARCHIVE one's xattr, not another named with a `%`. Looked up by key, not
        // searched: a header may hold a million records of each.
        let mut libarchive_keys: HashSet<&[u8]> = HashSet::new();
        let mut schily = false;
        // GNU tar's and bsdtar's ACLs, as text; the last record of each counts.
        let mut acls: [Option<&[u8]>; 2] = [None, None];
        // GNU's sparse records: format 1.0 (map in the data), 0.1 (`map`), 0.0 (pairs of
        // `offset` and `numbytes`); the real name and size.
        let mut sparse_name: Option<&[u8]> = None;
        let mut sparse_size: Option<u64> = None;
        let mut sparse_major: Option<u64> = None;
        let mut sparse_map: Option<&[u8]> = None;
        let mut sparse_numblocks: Option<u64> = None;
        let mut sparse_minor: Option<u64> = None;
        // GNU tar --selinux's record of the label.
        let mut label: Option<&[u8]> = None;
        let mut sparse_offsets: Vec<u64> = Vec::new();
        let mut sparse_lengths: Vec<u64> = Vec::new();
        // POSIX: an empty value deletes the keyword (a local one undoes a global one), and the
        // header's field applies again. An xattr's empty value is a value. So a core keyword
        // counts at its last record, unless that one is empty.
        let mut last = [usize::MAX; CORE.len()];
        let mut last_empty = [false; CORE.len()];
        for (i, (key, value)) in records().enumerate() {
            if let Some(slot) = CORE.iter().position(|k| k.as_bytes() == key) {
                last[slot] = i;
                last_empty[slot] = value.is_empty();
            }
        }
        let effective = || {
            records().enumerate().filter(|&(i, (key, value))| {
                CORE.iter().position(|k| k.as_bytes() == key).is_none_or(|slot| last[slot] == i && !value.is_empty())
            })
        };
        // An empty uname or gname deletes the header's name too (POSIX: "any header block
        // field ... of the same name"; GNU tar and Python's tarfile read it so): the member
        // has no name, only its id. (Other fields have no "none"; their header's value stands.)
        let deleted = |key: &str| CORE.iter().position(|k| *k == key).is_some_and(|slot| last_empty[slot]);
        if deleted(pax::UNAME) {
            meta.uname = None;
        }
        if deleted(pax::GNAME) {
            meta.gname = None;
        }
        // A record whose value is malformed (an mtime of `nan`, a uid of -1, a LIBARCHIVE.xattr
        // that is not base64), where the member's data can still be found: when damage is read
        // past (list, extract, verify), an error of its own and the header's value, as GNU tar
        // ("Malformed extended header") goes on; else (rewriting the archive) the read stops.
        let kept = |r: Result<u64>, into: &mut u64, malformed: &mut Vec<Error>| match r {
            Ok(n) => {
                *into = n;
                Ok(())
            }
            Err(e) if lenient => {
                malformed.push(e.with_note("the header's value is used"));
                Ok(())
            }
            Err(e) => Err(e),
        };
        for (_, (key, value)) in effective() {
            let text = || String::from_utf8_lossy(value).into_owned();
            // Decimal digits only, as GNU tar reads them: `+2048`, or a number after Unicode
            // white space, were taken (`str::trim`, `parse`) where GNU tar finds no number and
            // bsdtar another one. An owner id of over 32 bits is out of range as in GNU tar,
            // which then takes the header's (found by audit: the member's valid gid was lost
            // with its uid); 4294967295, which GNU tar takes, is refused when extracted.
            let number = |field: &str| {
                let max = if matches!(field, "uid" | "gid") { u64::from(u32::MAX) } else { MAX_SIZE };
                let digits = !value.is_empty() && value.iter().all(u8::is_ascii_digit);
                let n = digits.then(|| text().parse::<u64>().ok()).flatten().filter(|&n| n <= max);
                n.ok_or_else(|| {
                    fail(format!("pax {field} record {} is not a number in range", crate::error::quoted(value)))
                })
            };
            match key {
                k if k == pax::PATH.as_bytes() => path = value,
                k if k == pax::LINKPATH.as_bytes() => link = Some(Cow::Borrowed(value)),
                k if k == pax::SIZE.as_bytes() => meta.size = number("size")?,
                k if k == pax::UID.as_bytes() => kept(number("uid"), &mut meta.uid, &mut malformed)?,
                k if k == pax::GID.as_bytes() => kept(number("gid"), &mut meta.gid, &mut malformed)?,
                k if k == pax::UNAME.as_bytes() => meta.uname = Some(value.to_vec()),
                k if k == pax::GNAME.as_bytes() => meta.gname = Some(value.to_vec()),
                k if k == pax::MTIME.as_bytes() => {
                    match std::str::from_utf8(value).ok().and_then(|t| Time::from_pax(t.trim())) {
                        Some(t) => meta.mtime = t,
                        None => {
                            let mut secs = 0;
                            let e =
                                fail(format!("pax mtime record {} {}", crate::error::quoted(value), not_a_time(value)));
                            kept(Err(e), &mut secs, &mut malformed)?;
                        }
                    }
                }
                // Not restored (the extracted file's atime is the time it was written, as GNU
                // tar leaves it; no ctime can be set), but read as GNU tar reads them: a
                // malformed one is an error of the member (GNU tar's "Malformed extended
                // header"), as a malformed mtime is; it was passed over in silence.
                k if (k == pax::ATIME.as_bytes() || k == pax::CTIME.as_bytes())
                    && std::str::from_utf8(value).ok().and_then(|t| Time::from_pax(t.trim())).is_none() =>
                {
                    let which = String::from_utf8_lossy(k);
                    let e = fail(format!("pax {which} record {} {}", crate::error::quoted(value), not_a_time(value)));
                    if !lenient {
                        return Err(e);
                    }
                    malformed.push(e.with_note("it is not used"));
                }
                k if k.starts_with(pax::SCHILY_XATTR.as_bytes()) => schily = true,
                k if k.starts_with(pax::LIBARCHIVE_XATTR.as_bytes()) => {
                    let suffix = &k[pax::LIBARCHIVE_XATTR.len()..];
                    let Some((name, v)) = pax::libarchive_xattr(suffix, value) else {
                        // The record named, a capability's said (found by review: "that xattr
                        // is left out" of the capability).
                        let e = fail(format!(
                            "LIBARCHIVE.xattr.{} record is not URL-encoded name and base64 value",
                            crate::list::quote_name(suffix)
                        ));
                        if !lenient {
                            return Err(e);
                        }
                        let caps = suffix == crate::caps::XATTR_NAME.as_bytes();
                        let note = if caps { "the capability in it is left out" } else { "that xattr is left out" };
                        malformed.push(e.with_note(note));
                        continue;
                    };
                    libarchive_keys.insert(suffix);
                    xattrs.add(name, v, true);
                }
                k if k == pax::SELINUX.as_bytes() => label = Some(value),
                k if k == pax::DUMPDIR.as_bytes() => meta.dumpdir = Some(value.to_vec()),
                b"SCHILY.fflags" => meta.fflags = (!value.is_empty()).then(|| value.to_vec()),
                b"SCHILY.acl.access" => acls[0] = Some(value),
                b"SCHILY.acl.default" => acls[1] = Some(value),
                // NFSv4 ACLs (SCHILY.acl.ace) have no Linux xattr form.
                k if k.starts_with(b"SCHILY.acl.") => meta.acls_ignored += 1,
                b"GNU.sparse.name" => sparse_name = Some(value),
                b"GNU.sparse.realsize" | b"GNU.sparse.size" => sparse_size = Some(number("GNU.sparse size")?),
                b"GNU.sparse.major" => sparse_major = Some(number("GNU.sparse.major")?),
                b"GNU.sparse.minor" => sparse_minor = Some(number("GNU.sparse.minor")?),
                b"GNU.sparse.numblocks" => sparse_numblocks = Some(number("GNU.sparse.numblocks")?),
                b"GNU.sparse.map" => sparse_map = Some(value),
                b"GNU.sparse.offset" | b"GNU.sparse.numbytes" => {
                    let list = if key == b"GNU.sparse.offset" { &mut sparse_offsets } else { &mut sparse_lengths };
                    if list.len() >= SPARSE_RUNS_MAX {
                        return Err(fail(format!(
                            "a sparse file of more than {SPARSE_RUNS_MAX} runs; the archive is corrupt or hostile"
                        )));
                    }
                    list.push(number("GNU.sparse offset or length")?);
                }
                _ => {}
            }
        }
        if schily {
            for (_, (key, value)) in effective() {
                let Some(suffix) = key.strip_prefix(pax::SCHILY_XATTR.as_bytes()) else { continue };
                let name = match libarchive_keys.contains(suffix) {
                    true => pax::libarchive_name(suffix),
                    false => None,
                };
                xattrs.add(name.unwrap_or_else(|| pax::schily_name(suffix)), value.to_vec(), false);
            }
        }
        meta.xattrs_left_out += xattrs.left_out;
        meta.xattrs_conflicting += xattrs.conflicting;
        meta.xattrs = xattrs.slots.into_iter().flatten().collect();
        meta.xattr_records = meta.xattrs.len();
        // The label of an RHT.security.selinux record is the one GNU tar --selinux restores: it
        // wins over a SCHILY.xattr record of another value (said in a warning).
        if let Some(label) = label {
            let name = OsString::from(crate::select::SELINUX_XATTR);
            if label.len() > XATTR_SIZE_MAX {
                meta.xattrs_left_out += 1;
            } else if let Some((_, old)) = meta.xattrs.iter_mut().find(|(n, _)| *n == name) {
                // The same label: the xattr's own value stays (with the NUL the kernel gives,
                // whose size `list -vv` shows as GNU tar does; found by differential testing).
                meta.selinux_conflicting = pax::without_nul(old) != pax::without_nul(label);
                if meta.selinux_conflicting {
                    *old = label.to_vec();
                }
            } else {
                meta.xattrs.push((name, label.to_vec()));
            }
            meta.selinux_record = label.len() <= XATTR_SIZE_MAX;
        }
        if acls.iter().any(Option::is_some) {
            meta.acl_texts = Some(Box::new(acls.map(|text| text.map(<[u8]>::to_vec))));
        }
        // An ACL becomes its xattr, unless the archive carries that xattr itself.
        for (text, (name, access)) in acls.into_iter().zip([(acl::ACCESS_XATTR, true), (acl::DEFAULT_XATTR, false)]) {
            let Some(text) = text else { continue };
            if meta.xattrs.iter().any(|(n, _)| n == name) {
                continue;
            }
            match acl::to_xattr(text, access) {
                Ok(Some(value)) => meta.xattrs.push((name.into(), value)),
                Ok(None) => {}
                Err(why) => {
                    meta.acls_ignored += 1;
                    meta.acl_problem.get_or_insert(why);
                }
            }
        }
        // The member's name, sparse or not, as GNU tar and bsdtar take it (on a member that is
        // not sparse it was left out: the peers extracted under another name than listed here).
        if let Some(name) = sparse_name {
            path = name;
        }
        // Any of GNU's sparse records makes the member sparse: one without a map it can be
        // read by is an error, as in GNU tar (found by fuzzing: a real size without a map was
        // extracted as its packed data, without a word, where GNU tar fails).
        let pax_sparse = sparse_major.is_some()
            || sparse_minor.is_some()
            || sparse_map.is_some()
            || sparse_numblocks.is_some()
            || sparse_size.is_some()
            || !sparse_offsets.is_empty()
            || !sparse_lengths.is_empty();
        let sparse = match (pending.old_sparse, pax_sparse) {
            (Some((runs, size)), _) => Some((SparseMap::Known(runs), size)),
            (None, false) => None,
            (None, true) => {
                let size = sparse_size.ok_or_else(|| fail("a sparse member without its real size".into()))?;
                let map = match (sparse_major, sparse_map) {
                    (Some(1), _) if sparse_minor.is_none_or(|m| m == 0) => SparseMap::InData,
                    (Some(major), _) if major >= 1 => {
                        let minor = sparse_minor.unwrap_or(0);
                        return Err(fail(format!("GNU sparse format {major}.{minor} is unknown to captar")));
                    }
                    (_, Some(map)) => SparseMap::Known(parse_sparse_map(map).map_err(fail)?),
                    _ if sparse_offsets.is_empty() && sparse_lengths.is_empty() => {
                        return Err(fail(
                            "a sparse member without its map (GNU.sparse.map, .offset and .numbytes, or .major 1)"
                                .into(),
                        ));
                    }
                    _ if sparse_offsets.len() == sparse_lengths.len() => {
                        SparseMap::Known(sparse_offsets.into_iter().zip(sparse_lengths).collect())
                    }
                    _ => return Err(fail("GNU.sparse.offset and GNU.sparse.numbytes records do not pair up".into())),
                };
                if let (SparseMap::Known(runs), Some(n)) = (&map, sparse_numblocks)
                    && runs.len() as u64 != n
                {
                    return Err(fail(format!(
                        "GNU.sparse.numblocks says {n} runs, its map has {}: the sparse map is malformed",
                        runs.len()
                    )));
                }
                Some((map, size))
            }
        };
        if sparse.is_some() && kind != Kind::File {
            return Err(fail(format!("a {} cannot be sparse", kind.word())));
        }
        // A member with no name it can be given, or no target, where its data can still be
        // found: when damage is read past, an error of its own, and the read goes on (it
        // stopped, and every member after it was lost; found by review).
        // (Not a node whose header announces data: where its data ends, the peers disagree.)
        let framed = |meta: &EntryMeta| meta.size == 0 || kind == Kind::File || block[156] == b'D';
        // Named as the error names it (its start, when too long), for the list of capabilities
        // not restored.
        let shown_name = |path: &[u8]| {
            let mut name = path[..path.len().min(200)].to_vec();
            if path.len() > 200 {
                name.extend_from_slice(b"...");
            }
            PathBuf::from(OsString::from_vec(name))
        };
        let unusable =
            |why: String, e: Error, mut meta: Box<EntryMeta>, malformed: Vec<Error>| match lenient && framed(&meta) {
                true => {
                    meta.path = shown_name(path);
                    Ok(Parsed { meta, sparse: None, malformed, unusable: Some((e, why)) })
                }
                false => Err(e),
            };
        if path.is_empty() {
            return unusable("its name is empty".into(), self.err(at, "entry has an empty name"), meta, malformed);
        }
        if memchr::memchr(0, path).is_some() {
            let why = "its name holds a NUL byte".to_string();
            return unusable(why, fail("the name holds a NUL byte".into()), meta, malformed);
        }
        if let Some(beyond) = crate::format::name_beyond_limits(path) {
            let why = "its name is beyond what captar reads".to_string();
            // Not called damage: GNU tar archives a real tree that deep (found by audit: each
            // of its members past the limit was said to make the archive corrupt or hostile).
            return unusable(why, fail(format!("{beyond}; the member is left out")), meta, malformed);
        }
        // A regular file's header whose name ends in `/` is a directory, as GNU tar and bsdtar
        // read it (pre-POSIX archives marked directories so): types 0, NUL and 7.
        let kind = if matches!(block[156], b'0' | b'\0' | b'7') && sparse.is_none() && path.ends_with(b"/") {
            meta.kind = Kind::Dir;
            Kind::Dir
        } else {
            kind
        };
        // GNU tar reads no data after a hard link or directory header (it skips it after the
        // others), libarchive none after types 2-6 (it reads a pax hard link's): data announced
        // there is members to one of them and data to the other. Refuse.
        // (After a type 5 directory header both read members in it: said so, found by
        // differential testing; a type 0 one whose name ends in `/` is GNU tar's data.)
        if kind != Kind::File && block[156] != b'D' && meta.size > 0 {
            let readers = match block[156] {
                b'5' => {
                    "which GNU tar and bsdtar both read as further members, not as its data (no tar writes one); refusing the archive rather than take a header's size for nothing"
                }
                _ => {
                    "which GNU tar or bsdtar would read as further members where the other skips them; refusing the archive rather than guess"
                }
            };
            return Err(fail(format!("a {} header announces {} bytes of data, {readers}", kind.word(), meta.size)));
        }
        meta.path = PathBuf::from(OsString::from_vec(path.to_vec()));
        if matches!(kind, Kind::HardLink | Kind::Symlink) {
            match link {
                Some(l) if !l.is_empty() && memchr::memchr(0, &l).is_none() => {
                    meta.link = Some(PathBuf::from(OsString::from_vec(l.into_owned())));
                }
                Some(l) if !l.is_empty() => {
                    let msg = format!("the {} target holds a NUL byte", kind.word());
                    return unusable(msg.clone(), fail(msg), meta, malformed);
                }
                _ => {
                    let msg = format!("{} has no target", kind.word());
                    return unusable(msg.clone(), fail(msg), meta, malformed);
                }
            }
        }
        Ok(Parsed { meta, sparse, malformed, unusable: None })
    }
}

/// Why a pax time record's value was refused: a number past what a time holds (2^63 seconds
/// either way from 1970), as GNU tar says it, or no number at all.
fn not_a_time(value: &[u8]) -> &'static str {
    let t = value.trim_ascii();
    let t = t.strip_prefix(b"-").unwrap_or(t);
    let (whole, fraction) = match t.iter().position(|&b| b == b'.') {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => (t, &b""[..]),
    };
    match !whole.is_empty() && whole.iter().chain(fraction).all(u8::is_ascii_digit) {
        true => "is out of range (2^63 seconds or more from 1970)",
        false => "is not a time",
    }
}
