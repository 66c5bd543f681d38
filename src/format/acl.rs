/*!
POSIX.1e ACLs as GNU tar (`--acls`) and bsdtar write them, in the pax records
`SCHILY.acl.access` and `SCHILY.acl.default`, turned into the values the kernel keeps in the
xattrs `system.posix_acl_access` and `system.posix_acl_default`, so they are extracted (with
`--acls`, or `--xattrs-include` naming them), listed and verified as captar's own xattrs are.

The text is libacl's long form, entries split by newlines (GNU tar: `user:nobody:r--`) or
commas (bsdtar, in star's form with the numeric id after the permissions:
`user:nobody:r--:65534`). A name is resolved in this system's user and group databases, as GNU
tar's `acl_from_text` does; where it is unknown, star's numeric id stands in.

The value (include/uapi/linux/posix_acl_xattr.h): a little-endian u32 version 2, then one
(u16 tag, u16 permissions, u32 id) per entry, sorted by tag and then id, as the kernel requires.
*/

use crate::owners;

pub const ACCESS_XATTR: &str = "system.posix_acl_access";
pub const DEFAULT_XATTR: &str = "system.posix_acl_default";

const VERSION: u32 = 2;
const USER_OBJ: u16 = 0x01;
const USER: u16 = 0x02;
const GROUP_OBJ: u16 = 0x04;
const GROUP: u16 = 0x08;
const MASK: u16 = 0x10;
const OTHER: u16 = 0x20;
const NO_ID: u32 = u32::MAX;
/// More entries than any filesystem takes (ext4 holds about 500 in a block).
const ENTRIES_MAX: usize = 8192;

/// The xattr value of one ACL's text; `Ok(None)` for an access ACL of the three base entries
/// only, which the file's mode already says (the kernel keeps no xattr for it). The error says
/// what is wrong with the text.
pub fn to_xattr(text: &[u8], access: bool) -> Result<Option<Vec<u8>>, String> {
    let text = std::str::from_utf8(text).map_err(|_| "the ACL text is not UTF-8".to_string())?;
    let mut entries: Vec<(u16, u16, u32)> = Vec::new();
    for raw in text.split([',', '\n']) {
        let entry = raw.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        if entries.len() >= ENTRIES_MAX {
            return Err(format!("more than {ENTRIES_MAX} ACL entries"));
        }
        entries.push(parse_entry(entry)?);
    }
    entries.sort_unstable_by_key(|&(tag, _, id)| (tag, id));
    let count = |tag| entries.iter().filter(|e| e.0 == tag).count();
    for (tag, word) in [(USER_OBJ, "user::"), (GROUP_OBJ, "group::"), (OTHER, "other::")] {
        if count(tag) != 1 {
            return Err(format!("the ACL needs exactly one {word} entry"));
        }
    }
    if count(MASK) > 1 {
        return Err("the ACL has more than one mask:: entry".into());
    }
    if entries.windows(2).any(|w| (w[0].0, w[0].2) == (w[1].0, w[1].2)) {
        return Err("the ACL names a user or group twice".into());
    }
    let named = count(USER) + count(GROUP);
    if named > 0 && count(MASK) == 0 {
        return Err("the ACL names users or groups but has no mask:: entry".into());
    }
    if access && named == 0 && count(MASK) == 0 {
        return Ok(None);
    }
    let mut value = Vec::with_capacity(4 + 8 * entries.len());
    value.extend_from_slice(&VERSION.to_le_bytes());
    for (tag, perm, id) in entries {
        value.extend_from_slice(&tag.to_le_bytes());
        value.extend_from_slice(&perm.to_le_bytes());
        value.extend_from_slice(&id.to_le_bytes());
    }
    Ok(Some(value))
}

/// The text record of an ACL's xattr value, in star's form as bsdtar writes it (entries split by
/// commas, a name's numeric id after its permissions: `user:nobody:r--:65534`), which GNU tar
/// (`--acls`), bsdtar and captar read; `None` for a value that is not a well-formed ACL (it is
/// then archived as the xattr it is).
pub fn to_text(value: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    for (tag, perm, id) in entries(value)? {
        let bits: String =
            [(4, 'r'), (2, 'w'), (1, 'x')].iter().map(|&(b, c)| if perm & b != 0 { c } else { '-' }).collect();
        let named = |word: &str, name: Option<&'static [u8]>| match name.and_then(|n| std::str::from_utf8(n).ok()) {
            // A name that would not read back as one (digits, separators) goes as its id.
            Some(n)
                if !n.is_empty() && !n.bytes().all(|b| b.is_ascii_digit()) && !n.contains([':', ',', '\n', '#']) =>
            {
                format!("{word}:{n}:{bits}:{id}")
            }
            _ => format!("{word}:{id}:{bits}"),
        };
        out.push(match tag {
            USER_OBJ => format!("user::{bits}"),
            USER => named("user", owners::user_name(id)),
            GROUP_OBJ => format!("group::{bits}"),
            GROUP => named("group", owners::group_name(id)),
            MASK => format!("mask::{bits}"),
            OTHER => format!("other::{bits}"),
            _ => return None,
        });
    }
    Some(out.join(","))
}

/// The text of the ACL xattr `name`'s value as `list -vv --acls` shows it: a default ACL's
/// entries prefixed `default:`; `None` for another xattr, or a value that is not an ACL.
pub fn shown_text(name: &std::ffi::OsStr, value: &[u8]) -> Option<String> {
    let prefix = match name.to_str()? {
        ACCESS_XATTR => "",
        DEFAULT_XATTR => "default:",
        _ => return None,
    };
    let text = to_text(value)?;
    Some(text.split(',').map(|e| format!("{prefix}{e}")).collect::<Vec<_>>().join(","))
}

/// The permissions of the mask entry of an access ACL's xattr value: with a mask, a file's mode
/// shows it in place of the group bits (the kernel sets them so when the ACL is set). bsdtar
/// archives the group entry's bits in the mode instead.
pub fn mask_of(value: &[u8]) -> Option<u32> {
    entries(value)?.find(|&(tag, _, _)| tag == MASK).map(|(_, perm, _)| u32::from(perm & 7))
}

/// The (tag, permissions, id) entries of an ACL's xattr value; `None` unless it is version 2
/// with at least one whole entry.
fn entries(value: &[u8]) -> Option<impl Iterator<Item = (u16, u16, u32)> + '_> {
    let rest = value.strip_prefix(&VERSION.to_le_bytes())?;
    if rest.is_empty() || !rest.len().is_multiple_of(8) {
        return None;
    }
    Some(rest.chunks_exact(8).map(|e| {
        (
            u16::from_le_bytes([e[0], e[1]]),
            u16::from_le_bytes([e[2], e[3]]),
            u32::from_le_bytes([e[4], e[5], e[6], e[7]]),
        )
    }))
}

/// `tag:qualifier:permissions` and star's optional `:id`.
fn parse_entry(entry: &str) -> Result<(u16, u16, u32), String> {
    let bad = || format!("ACL entry {} is not tag:qualifier:permissions", crate::error::quoted(entry.as_bytes()));
    let mut fields = entry.split(':');
    let (Some(tag), Some(qualifier), Some(perms)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(bad());
    };
    let star_id = match fields.next() {
        None => None,
        Some(id) => Some(id.trim().parse::<u32>().map_err(|_| bad())?),
    };
    if fields.next().is_some() {
        return Err(bad());
    }
    let (tag, qualifier) = match (tag.trim(), qualifier.trim()) {
        ("user" | "u", "") => (USER_OBJ, None),
        ("user" | "u", q) => (USER, Some(q)),
        ("group" | "g", "") => (GROUP_OBJ, None),
        ("group" | "g", q) => (GROUP, Some(q)),
        ("mask" | "m", "") => (MASK, None),
        ("other" | "o", "") => (OTHER, None),
        _ => return Err(bad()),
    };
    let mut perm = 0u16;
    for c in perms.trim().chars() {
        perm |= match c {
            'r' => 4,
            'w' => 2,
            'x' => 1,
            '-' => 0,
            _ => return Err(bad()),
        };
    }
    let id = match qualifier {
        None => NO_ID,
        Some(q) if q.bytes().all(|b| b.is_ascii_digit()) => q.parse::<u32>().map_err(|_| bad())?,
        Some(name) => {
            let local = if tag == USER { owners::uid_of(name.as_bytes()) } else { owners::gid_of(name.as_bytes()) };
            let what = if tag == USER { "user" } else { "group" };
            local.or(star_id).ok_or_else(|| {
                format!("the ACL names {what} {}, unknown here", crate::error::quoted(name.as_bytes()))
            })?
        }
    };
    if id == NO_ID && tag & (USER | GROUP) != 0 {
        return Err(bad());
    }
    Ok((tag, perm, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decoded here independently of `super::entries`, as the kernel's layout says.
    fn entries(v: &[u8]) -> Vec<(u16, u16, u32)> {
        assert_eq!(&v[..4], &2u32.to_le_bytes());
        v[4..]
            .chunks_exact(8)
            .map(|c| {
                let n = |r: std::ops::Range<usize>| c[r].iter().rev().fold(0u32, |a, &b| a << 8 | u32::from(b));
                (n(0..2) as u16, n(2..4) as u16, n(4..8))
            })
            .collect()
    }

    #[test]
    fn gnu_tar_and_bsdtar_text_give_the_same_value() {
        // What GNU tar 1.34 and bsdtar 3.6 wrote for the same file (setfacl -m
        // u:nobody:r--,g:bin:rw-,u:1234:rwx): names resolved here, bsdtar's ids unused.
        let gnu = b"user::rw-\nuser:1234:rwx\nuser:nobody:r--\ngroup::r--\ngroup:bin:rw-\nmask::rwx\nother::r--\n";
        let bsd = b"user::rw-,group::r--,other::r--,user:1234:rwx,user:nobody:r--:65534,group:bin:rw-:2,mask::rwx";
        let (a, b) = (to_xattr(gnu, true).unwrap().unwrap(), to_xattr(bsd, true).unwrap().unwrap());
        assert_eq!(a, b);
        let nobody = owners::uid_of(b"nobody").unwrap();
        let bin = owners::gid_of(b"bin").unwrap();
        let mut want = vec![(USER_OBJ, 6, NO_ID), (USER, 7, 1234), (USER, 4, nobody), (GROUP_OBJ, 4, NO_ID)];
        want.extend([(GROUP, 6, bin), (MASK, 7, NO_ID), (OTHER, 4, NO_ID)]);
        want.sort_by_key(|&(tag, _, id)| (tag, id));
        assert_eq!(entries(&a), want);
    }

    #[test]
    fn text_round_trips_through_the_value() {
        for text in [
            &b"user::rw-,user:1234:rwx,user:nobody:r--:65534,group::r--,group:bin:rw-:2,mask::rwx,other::r--"[..],
            b"user::rwx,group::r-x,other::---",
            b"user::rwx\nuser:4294967294:r--\ngroup::r-x\nmask::r-x\nother::---",
        ] {
            let value = to_xattr(text, false).unwrap().unwrap();
            let again = to_text(&value).unwrap();
            assert_eq!(to_xattr(again.as_bytes(), false).unwrap().unwrap(), value, "{again}");
        }
        let nobody = owners::uid_of(b"nobody").unwrap();
        let v = to_xattr(format!("user::rw-,user:{nobody}:r--,group::r--,mask::r--,other::---").as_bytes(), true);
        assert_eq!(
            to_text(&v.unwrap().unwrap()).unwrap(),
            format!("user::rw-,user:nobody:r--:{nobody},group::r--,mask::r--,other::---")
        );
        for bad in [
            &b""[..],
            b"\x02\x00\x00\x00",
            b"\x01\x00\x00\x00\x01\x00\x06\x00\xff\xff\xff\xff",
            b"\x02\x00\x00\x00\x40\x00\x06\x00\xff\xff\xff\xff",
        ] {
            assert_eq!(to_text(bad), None);
        }
    }

    #[test]
    fn the_mask_is_found() {
        let v = to_xattr(b"user::rw-,user:7:r--,group::r--,mask::rwx,other::r--", true).unwrap().unwrap();
        assert_eq!(mask_of(&v), Some(7));
        assert_eq!(mask_of(&to_xattr(b"user::rw-,group::r--,other::r--", false).unwrap().unwrap()), None);
        assert_eq!(mask_of(b"\x02"), None);
    }

    #[test]
    fn base_entries_alone_are_the_mode_for_an_access_acl_only() {
        let base = b"user::rwx\ngroup::r-x\nother::r-x\n";
        assert_eq!(to_xattr(base, true).unwrap(), None);
        assert_eq!(entries(&to_xattr(base, false).unwrap().unwrap()).len(), 3);
    }

    #[test]
    fn an_unknown_name_takes_stars_id_or_is_an_error() {
        let text = "user::rw-,user:no-such-user-here:r--:4321,group::r--,mask::r--,other::---";
        assert!(entries(&to_xattr(text.as_bytes(), true).unwrap().unwrap()).contains(&(USER, 4, 4321)));
        let err = to_xattr(b"user::rw-\nuser:no-such-user-here:r--\ngroup::r--\nmask::r--\nother::---", true);
        assert!(err.unwrap_err().contains("no-such-user-here"));
    }

    #[test]
    fn malformed_acls_are_errors() {
        for bad in [
            &b"user::rw-"[..],
            b"user::rw-,user::r--,group::r--,other::---",
            b"user::rw-,user:5:r--,group::r--,other::---",
            b"user::rw-,user:5:r--,user:5:rw-,group::r--,mask::rw-,other::---",
            b"user::rwz,group::r--,other::---",
            b"owner::rw-,group::r--,other::---",
            b"user::rw-:1:2,group::r--,other::---",
            b"\xff",
        ] {
            assert!(to_xattr(bad, true).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
