/*!
User and group names for archive headers, from /etc/passwd and /etc/group, read once. Names
are what tar stores beside numeric ids; on extract a name known here wins over the id unless
`--numeric-owner`, as in GNU tar.
*/

use std::collections::HashMap;
use std::sync::OnceLock;

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

fn users() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| load("/etc/passwd"))
}

fn groups() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| load("/etc/group"))
}

pub fn user_name(uid: u32) -> Option<&'static [u8]> {
    users().by_id.get(&uid).map(Vec::as_slice)
}

pub fn group_name(gid: u32) -> Option<&'static [u8]> {
    groups().by_id.get(&gid).map(Vec::as_slice)
}

pub fn uid_of(name: &[u8]) -> Option<u32> {
    users().by_name.get(name).copied()
}

pub fn gid_of(name: &[u8]) -> Option<u32> {
    groups().by_name.get(name).copied()
}
