/*!
Member names from the paths given and walked: a leading `/` and `..` stripped as tar strips
them, a directory's name ending in `/`.
*/

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::format::Kind;

/// The member name for a path as given: leading `/` and `..` removed, as tar does.
pub(super) fn member_name(path: &Path) -> (PathBuf, bool) {
    let mut out = PathBuf::new();
    let mut stripped = false;
    for c in path.components() {
        match c {
            Component::RootDir | Component::Prefix(_) => stripped = true,
            // GNU tar (safer_name_suffix) drops everything up to the last `..`.
            Component::ParentDir => {
                out.clear();
                stripped = true;
            }
            other => out.push(other),
        }
    }
    (out, stripped)
}

/// A walked path as the user named it: `arg` (as given) and what the walk added beneath
/// `fs_path` (`arg` under `-C`'s directory); an absolute `arg` is its walked path.
pub(super) fn given_name<'a>(arg: &Path, fs_path: &Path, walked: &'a Path) -> std::borrow::Cow<'a, Path> {
    if arg.is_absolute() {
        return walked.into();
    }
    let rest = walked.as_os_str().as_bytes().get(fs_path.as_os_str().len()..).unwrap_or_default();
    let mut bytes = arg.as_os_str().as_bytes().to_vec();
    bytes.extend_from_slice(rest);
    PathBuf::from(OsStr::from_bytes(&bytes)).into()
}

/// Whether a path given to archive is stripped to nothing (`/`, `..`, `x/..`), not to a `.`
/// (`/.`, `../.`), as GNU tar strips it: what is left after a leading `/` and the last `..`.
/// What `member_name` strips from the front of `path`, as GNU tar names it ("Removing leading
/// `/tmp/../'"): leading slashes, or everything up to and with the last `..` and its slash.
pub(super) fn stripped_prefix(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    String::from_utf8_lossy(&bytes[..unsafe_prefix_len(bytes)]).into_owned()
}

/// How many bytes at the front of `bytes` GNU tar strips (safer_name_suffix): leading slashes,
/// or everything up to and with the last `..` and its slash.
pub(crate) fn unsafe_prefix_len(bytes: &[u8]) -> usize {
    let mut start = bytes.iter().take_while(|&&b| b == b'/').count();
    let mut at = 0;
    for part in bytes.split(|&b| b == b'/') {
        let end = at + part.len();
        if part == b".." {
            start = (end + 1).min(bytes.len());
        }
        at = end + 1;
    }
    start
}

/// A name `--transform` made, as GNU tar stores it: what `unsafe_prefix_len` says stripped
/// (and whether anything was), the rest as it is (`pre/./file` stays so: it was collapsed to
/// `pre/file`, unlike GNU tar; found by review).
pub(super) fn transformed_member_name(path: &Path) -> (PathBuf, bool) {
    let bytes = path.as_os_str().as_bytes();
    let start = unsafe_prefix_len(bytes);
    (PathBuf::from(OsStr::from_bytes(&bytes[start..])), start > 0)
}

pub(super) fn strips_to_nothing(path: &Path) -> bool {
    let parts: Vec<&[u8]> = path.as_os_str().as_bytes().split(|&b| b == b'/').filter(|p| !p.is_empty()).collect();
    let after = parts.iter().rposition(|p| *p == b"..").map_or(0, |i| i + 1);
    parts[after..].is_empty()
}

/// A member's name for `name`, the path beneath the archive's root: a directory's ends in `/`,
/// the root's is `./`.
pub(super) fn member_name_of(name: PathBuf, kind: Kind) -> PathBuf {
    if kind != Kind::Dir {
        return name;
    }
    if name.as_os_str().is_empty() {
        return PathBuf::from("./");
    }
    let mut bytes = name.as_os_str().as_bytes().to_vec();
    if !bytes.ends_with(b"/") {
        bytes.push(b'/');
    }
    PathBuf::from(OsStr::from_bytes(&bytes))
}

/// `bytes` without its trailing slashes (all of them but a leading one).
pub(super) fn trim_slashes(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != b'/').map_or(bytes.len().min(1), |i| i + 1);
    &bytes[..end]
}

/// `path` without its trailing slashes, when it has some and names a symlink that way.
pub(super) fn symlink_named_with_slash(path: &Path) -> Option<PathBuf> {
    let bytes = path.as_os_str().as_bytes();
    let bare = trim_slashes(bytes);
    if bare.len() == bytes.len() || bare == b"/" {
        return None;
    }
    let bare = PathBuf::from(OsStr::from_bytes(bare));
    std::fs::symlink_metadata(&bare).ok().filter(|m| m.file_type().is_symlink()).map(|_| bare)
}
