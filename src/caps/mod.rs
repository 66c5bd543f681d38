/*!
The capability model: the `security.capability` xattr value as the kernel defines it
(include/uapi/linux/capability.h, `struct vfs_ns_cap_data`), its text form as libcap prints and
parses it, the capability names, and their risk classes. Pure code: no I/O, so every rule here is
unit-tested (tests.rs, from data the real setcap and getcap produced).
*/

mod names;
pub mod risk;
mod text;

pub use names::{CAP_NAMES, KNOWN_MASK, LAST_KNOWN_CAP, cap_label, cap_name, cap_number, mask_caps, mask_text};
pub use text::parse_text;

/// The xattr name the kernel keeps file capabilities under.
pub const XATTR_NAME: &str = "security.capability";

const REVISION_MASK: u32 = 0xFF00_0000;
const FLAG_EFFECTIVE: u32 = 0x0000_0001;
const REVISION_1: u32 = 0x0100_0000;
const REVISION_2: u32 = 0x0200_0000;
const REVISION_3: u32 = 0x0300_0000;
const SIZE_V1: usize = 12;
const SIZE_V2: usize = 20;
const SIZE_V3: usize = 24;

/// The on-disk revision of a capability value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Revision {
    /// 32 capabilities, 12 bytes; the kernel no longer accepts it on write.
    V1,
    /// 64 capabilities, 20 bytes.
    V2,
    /// 64 capabilities and a rootid (namespaced), 24 bytes.
    V3,
}

impl Revision {
    pub fn number(self) -> u8 {
        match self {
            Revision::V1 => 1,
            Revision::V2 => 2,
            Revision::V3 => 3,
        }
    }
}

/// Why a byte string is not a valid `security.capability` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapError {
    #[error("capability value is {0} bytes; expected 12 (v1), 20 (v2) or 24 (v3)")]
    Size(usize),
    #[error("capability value has unknown revision 0x{0:02x} (expected 1, 2 or 3)")]
    Revision(u8),
    #[error("capability value of revision {revision} is {size} bytes; that revision takes {expected}")]
    SizeForRevision { revision: u8, size: usize, expected: usize },
    #[error("capability value has invalid flag bits 0x{0:06x} (only bit 0, effective, is defined)")]
    Flags(u32),
    #[error("revision 1 capability value sets bits above 31")]
    HighBitsInV1,
    #[error("{0}")]
    Text(String),
}

/// A file capability set: what `security.capability` holds, decoded.
///
/// `effective` is one bit on disk: when set, every permitted or inheritable capability is
/// effective at exec. A present-but-empty value (`setcap = FILE`) is a `FileCaps` with all sets
/// zero; "no xattr" is `None` wherever callers hold an `Option<FileCaps>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileCaps {
    pub revision: Revision,
    pub effective: bool,
    pub permitted: u64,
    pub inheritable: u64,
    /// Only for revision 3: the uid that is root for this capability.
    pub rootid: Option<u32>,
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl FileCaps {
    /// An empty revision-2 set (what `setcap = FILE` writes).
    pub fn empty() -> FileCaps {
        FileCaps { revision: Revision::V2, effective: false, permitted: 0, inheritable: 0, rootid: None }
    }

    /// Decodes a raw xattr value, rejecting anything the kernel would not produce.
    pub fn decode(bytes: &[u8]) -> Result<FileCaps, CapError> {
        if bytes.len() < 4 {
            return Err(CapError::Size(bytes.len()));
        }
        let magic = le32(bytes, 0);
        let flags = magic & !REVISION_MASK;
        let (revision, expected) = match magic & REVISION_MASK {
            REVISION_1 => (Revision::V1, SIZE_V1),
            REVISION_2 => (Revision::V2, SIZE_V2),
            REVISION_3 => (Revision::V3, SIZE_V3),
            other => {
                return Err(if matches!(bytes.len(), SIZE_V1 | SIZE_V2 | SIZE_V3) {
                    CapError::Revision((other >> 24) as u8)
                } else {
                    CapError::Size(bytes.len())
                });
            }
        };
        if bytes.len() != expected {
            return Err(CapError::SizeForRevision { revision: revision.number(), size: bytes.len(), expected });
        }
        if flags & !FLAG_EFFECTIVE != 0 {
            return Err(CapError::Flags(flags & !FLAG_EFFECTIVE));
        }
        let mut permitted = u64::from(le32(bytes, 4));
        let mut inheritable = u64::from(le32(bytes, 8));
        if revision != Revision::V1 {
            permitted |= u64::from(le32(bytes, 12)) << 32;
            inheritable |= u64::from(le32(bytes, 16)) << 32;
        }
        let rootid = (revision == Revision::V3).then(|| le32(bytes, 20));
        Ok(FileCaps { revision, effective: flags & FLAG_EFFECTIVE != 0, permitted, inheritable, rootid })
    }

    /// Encodes in this value's own revision.
    pub fn encode(&self) -> Vec<u8> {
        let rev = match self.revision {
            Revision::V1 => REVISION_1,
            Revision::V2 => REVISION_2,
            Revision::V3 => REVISION_3,
        };
        let magic = rev | if self.effective { FLAG_EFFECTIVE } else { 0 };
        let mut out = Vec::with_capacity(SIZE_V3);
        out.extend_from_slice(&magic.to_le_bytes());
        out.extend_from_slice(&(self.permitted as u32).to_le_bytes());
        out.extend_from_slice(&(self.inheritable as u32).to_le_bytes());
        if self.revision != Revision::V1 {
            out.extend_from_slice(&((self.permitted >> 32) as u32).to_le_bytes());
            out.extend_from_slice(&((self.inheritable >> 32) as u32).to_le_bytes());
        }
        if self.revision == Revision::V3 {
            out.extend_from_slice(&self.rootid.unwrap_or(0).to_le_bytes());
        }
        out
    }

    /// The same set as revision 2, which the kernel accepts from a writer with CAP_SETFCAP in
    /// the filesystem's namespace. A v1 value from an old archive must be written this way
    /// (the kernel answers EINVAL to v1).
    pub fn to_v2(&self) -> FileCaps {
        FileCaps { revision: Revision::V2, rootid: None, ..*self }
    }

    /// The same set as revision 3 with the given rootid.
    pub fn with_rootid(&self, rootid: u32) -> FileCaps {
        FileCaps { revision: Revision::V3, rootid: Some(rootid), ..*self }
    }

    /// The value as a reader in this namespace sees it, for comparison: a v1 value as its v2
    /// equivalent, and a v3 value of rootid 0 as v2 too, as the kernel shows it to a reader
    /// whose namespace's root is uid 0; any other rootid kept.
    pub fn as_seen_here(&self) -> FileCaps {
        match self.rootid {
            Some(0) | None => self.to_v2(),
            Some(_) => *self,
        }
    }

    /// Whether two values, each as a reader here sees it, grant the same thing (`same_grant`
    /// of `as_seen_here`): what verify, update and extract's kept files compare.
    pub fn same_here(&self, other: &FileCaps) -> bool {
        self.as_seen_here().same_grant(&other.as_seen_here())
    }

    /// Whether two values grant the same thing: same sets, same effective flag, and the same
    /// rootid once v1/v2 are read as "no rootid" (a v1 value equals its v2 equivalent). The
    /// effective flag of empty sets raises nothing, and getcap prints both as `=`: `setcap =e`
    /// (libcap writes it for `cap_chown=e` too) grants what `setcap =` grants.
    pub fn same_grant(&self, other: &FileCaps) -> bool {
        (self.effective == other.effective || self.is_empty() && other.is_empty())
            && self.permitted == other.permitted
            && self.inheritable == other.inheritable
            && self.rootid == other.rootid
    }

    /// True when no capability is granted (`setcap = FILE`).
    pub fn is_empty(&self) -> bool {
        self.permitted == 0 && self.inheritable == 0
    }

    /// The getcap text of this set (`cap_net_raw=ep`), byte for byte what libcap's
    /// `cap_to_text` prints for it.
    pub fn text(&self) -> String {
        text::format(self)
    }

    /// Every capability this value grants in some set (permitted | inheritable).
    pub fn granted(&self) -> u64 {
        self.permitted | self.inheritable
    }

    /// What `getcap -n` prints after the file name: the text and the rootid suffix.
    pub fn text_with_rootid(&self) -> String {
        format!("{}{}", self.text(), self.rootid_suffix())
    }

    /// The ` [rootid=N]` suffix that `getcap -n` prints: only when the rootid is not 0, and,
    /// like getcap's `printf("%d")`, as a signed number (rootid 3000000000 prints as
    /// `-1294967296`). getcap leaves out -1 too, libcap's "no rootid", which the kernel never
    /// gives; shown here, as only an archive or a manifest can hold it, and a v3 value with it
    /// is not the v2 value it would otherwise read as (verify's "differ" had two equal sides).
    pub fn rootid_suffix(&self) -> String {
        match self.rootid {
            Some(r) if r != 0 => format!(" [rootid={}]", r as i32),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests;
