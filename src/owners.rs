/*!
User and group names for archive headers. Names are what tar stores beside numeric ids; on
extract a name known here wins over the id unless `--numeric-owner`, as in GNU tar.

/etc/passwd and /etc/group are read once and answer most lookups without a call. What they do
not know is asked of the system's name service (`getpwuid_r`, `getpwnam_r`, `getgrgid_r`,
`getgrnam_r`: LDAP, SSSD, NIS, systemd's userdb, whatever nsswitch.conf names), as GNU tar asks
it, and the answer kept (found by review: users known only there were stored as bare ids, and
their names in an archive were not found on extract).
*/

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, OnceLock};

#[derive(Default)]
struct Table {
    by_id: HashMap<u32, Vec<u8>>,
    by_name: HashMap<Vec<u8>, u32>,
}

fn load(path: &str) -> Table {
    let mut t = Table::default();
    let Ok(text) = std::fs::read(path) else { return t };
    for line in text.split(|&b| b == b'\n') {
        let mut fields = line.split(|&b| b == b':');
        let (Some(name), Some(_), Some(id)) = (fields.next(), fields.next(), fields.next()) else { continue };
        let Some(id) = std::str::from_utf8(id).ok().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if name.is_empty() || name.starts_with(b"#") {
            continue;
        }
        t.by_id.entry(id).or_insert_with(|| name.to_vec());
        t.by_name.entry(name.to_vec()).or_insert(id);
    }
    t
}

/// The name service's answers, found or not, for what the files did not know.
#[derive(Default)]
struct Asked {
    by_id: HashMap<u32, Option<&'static [u8]>>,
    by_name: HashMap<Vec<u8>, Option<u32>>,
}

/// The most answers kept of each kind: an archive's names are any the archive holds, and
/// those past this are asked again each time instead of kept.
const ASKED_MAX: usize = 4096;

struct Db {
    files: OnceLock<Table>,
    path: &'static str,
    asked: LazyLock<Mutex<Asked>>,
    name_of: fn(u32) -> Option<Vec<u8>>,
    id_of: fn(&std::ffi::CStr) -> Option<u32>,
}

static USERS: Db = Db {
    files: OnceLock::new(),
    path: "/etc/passwd",
    asked: LazyLock::new(Mutex::default),
    name_of: nss::user_name,
    id_of: nss::uid_of,
};

static GROUPS: Db = Db {
    files: OnceLock::new(),
    path: "/etc/group",
    asked: LazyLock::new(Mutex::default),
    name_of: nss::group_name,
    id_of: nss::gid_of,
};

impl Db {
    fn files(&'static self) -> &'static Table {
        self.files.get_or_init(|| load(self.path))
    }

    fn name(&'static self, id: u32) -> Option<&'static [u8]> {
        if let Some(name) = self.files().by_id.get(&id) {
            return Some(name);
        }
        let mut asked = self.asked.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&known) = asked.by_id.get(&id) {
            return known;
        }
        // A name found is kept for the rest of the run (ids on a system are few); leaked once.
        let found: Option<&'static [u8]> = (self.name_of)(id).map(|n| &*Box::leak(n.into_boxed_slice()));
        if asked.by_id.len() < ASKED_MAX || found.is_some() {
            asked.by_id.insert(id, found);
        }
        found
    }

    fn id(&'static self, name: &[u8]) -> Option<u32> {
        if let Some(&id) = self.files().by_name.get(name) {
            return Some(id);
        }
        let mut asked = self.asked.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&known) = asked.by_name.get(name) {
            return known;
        }
        let found = std::ffi::CString::new(name).ok().and_then(|c| (self.id_of)(&c));
        if asked.by_name.len() < ASKED_MAX {
            asked.by_name.insert(name.to_vec(), found);
        }
        found
    }
}

pub fn user_name(uid: u32) -> Option<&'static [u8]> {
    USERS.name(uid)
}

pub fn group_name(gid: u32) -> Option<&'static [u8]> {
    GROUPS.name(gid)
}

pub fn uid_of(name: &[u8]) -> Option<u32> {
    USERS.id(name)
}

pub fn gid_of(name: &[u8]) -> Option<u32> {
    GROUPS.id(name)
}

/// The C library's reentrant lookups; `None` for not found and for any error (the service
/// unreachable: GNU tar then stores and finds no name either).
#[allow(unsafe_code)] // libc's getpw*_r and getgr*_r: no safe wrapper in std or rustix
mod nss {
    use std::ffi::{CStr, c_char, c_int};

    /// One lookup: `call` fills a record of type `R` (`passwd` or `group`), its strings in a
    /// buffer made larger while it says ERANGE; `read` takes what is wanted of a record found.
    fn record<R, T>(
        mut call: impl FnMut(*mut R, *mut c_char, usize, *mut *mut R) -> c_int,
        read: impl Fn(&R) -> T,
    ) -> Option<T> {
        let mut len = 1024;
        loop {
            let mut buf = vec![0u8; len];
            // SAFETY: `passwd` and `group` are plain C structs, valid all zero (null pointers).
            let mut rec: R = unsafe { std::mem::zeroed() };
            let mut found: *mut R = std::ptr::null_mut();
            match call(&mut rec, buf.as_mut_ptr().cast(), buf.len(), &mut found) {
                libc::ERANGE if len < 1 << 24 => len *= 4,
                // Found: `found` points to `rec`, whose strings are in `buf`, alive here.
                0 if !found.is_null() => return Some(read(&rec)),
                _ => return None,
            }
        }
    }

    /// A NUL-terminated string of a record found.
    fn text(s: *const c_char) -> Vec<u8> {
        // SAFETY: the C library sets a found record's names to NUL-terminated strings.
        unsafe { CStr::from_ptr(s) }.to_bytes().to_vec()
    }

    // SAFETY of each call below: every pointer is valid for the call (the record, the buffer
    // of the length given, the result, a NUL-terminated name).

    pub fn user_name(uid: u32) -> Option<Vec<u8>> {
        record(|r, b, n, f| unsafe { libc::getpwuid_r(uid, r, b, n, f) }, |p: &libc::passwd| text(p.pw_name))
    }

    pub fn group_name(gid: u32) -> Option<Vec<u8>> {
        record(|r, b, n, f| unsafe { libc::getgrgid_r(gid, r, b, n, f) }, |g: &libc::group| text(g.gr_name))
    }

    pub fn uid_of(name: &CStr) -> Option<u32> {
        record(|r, b, n, f| unsafe { libc::getpwnam_r(name.as_ptr(), r, b, n, f) }, |p: &libc::passwd| p.pw_uid)
    }

    pub fn gid_of(name: &CStr) -> Option<u32> {
        record(|r, b, n, f| unsafe { libc::getgrnam_r(name.as_ptr(), r, b, n, f) }, |g: &libc::group| g.gr_gid)
    }
}
