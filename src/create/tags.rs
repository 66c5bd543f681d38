/*!
GNU tar's exclusion tags (`--exclude-tag`, `--exclude-caches` and their `-under` and `-all`
forms): a directory holding a file of a given name, for the cache forms a cache directory tag
(`CACHEDIR.TAG` starting with the signature of <https://bford.info/cachedir/>), is archived
with that file only, alone, or not at all.
*/

use crate::error::ShowPath;
use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use super::tree::At;

/// The name of a cache directory tag.
pub const CACHEDIR_TAG: &str = "CACHEDIR.TAG";
/// What a cache directory tag starts with.
const CACHEDIR_SIGNATURE: &[u8] = b"Signature: 8a477f597d28d172789f06886806bc55";

/// How much of a tagged directory is archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagScope {
    /// The directory and the tag file (`--exclude-tag`, `--exclude-caches`).
    Contents,
    /// The directory alone (`--exclude-tag-under`, `--exclude-caches-under`).
    Under,
    /// Nothing (`--exclude-tag-all`, `--exclude-caches-all`).
    All,
}

/// One exclusion tag.
#[derive(Debug, Clone)]
pub struct ExclusionTag {
    /// The tag file's name in the directory.
    pub name: CString,
    /// Only a regular file starting with the cache directory signature counts.
    pub cache: bool,
    pub scope: TagScope,
}

impl ExclusionTag {
    /// `--exclude-tag*=name`: a file name, without `/`.
    pub fn new(name: &std::ffi::OsStr, cache: bool, scope: TagScope) -> Result<ExclusionTag, String> {
        use std::os::unix::ffi::OsStrExt;
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.contains(&b'/') || bytes == b"." || bytes == b".." {
            return Err(format!(
                "{:?}: an exclusion tag is the name of a file in the directory it tags, without '/'",
                name
            ));
        }
        let name = CString::new(bytes).map_err(|_| format!("{name:?}: an exclusion tag cannot hold a NUL byte"))?;
        Ok(ExclusionTag { name, cache, scope })
    }

    /// The note `-v` prints for a directory it tags (GNU tar's words).
    pub(super) fn note(&self, dir: &std::path::Path) -> String {
        let what = if self.cache { "a cache directory tag" } else { "the exclusion tag" };
        let done = if self.scope == TagScope::All { "directory not dumped" } else { "contents not dumped" };
        format!("{}/: contains {what} {}; {done}", dir.on_disk(), self.name.to_string_lossy())
    }

    /// Whether the open directory `dir` holds this tag: a file of its name that is not a
    /// symlink (GNU tar opens it with O_NOFOLLOW; with `follow`, `--dereference`, what a
    /// symlink leads to), and for a cache tag, a regular file starting with the signature.
    fn in_dir(&self, dir: &OwnedFd, follow: bool) -> bool {
        let flags = if follow { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
        let Ok(st) = rustix::fs::statat(dir, self.name.as_c_str(), flags) else {
            return false;
        };
        let kind = FileType::from_raw_mode(st.st_mode);
        if kind == FileType::Symlink {
            return false;
        }
        if !self.cache {
            return true;
        }
        kind == FileType::RegularFile && starts_with_signature(dir, &self.name, follow).unwrap_or(false)
    }
}

fn starts_with_signature(dir: &OwnedFd, name: &CStr, follow: bool) -> io::Result<bool> {
    let nofollow = if follow { OFlags::empty() } else { OFlags::NOFOLLOW };
    let flags = OFlags::RDONLY | nofollow | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    // Read without changing its access time, where the kernel allows, as the files archived.
    let (fd, _) = super::tree::open_noatime(dir.as_fd(), name, flags)?;
    let file = std::fs::File::from(fd);
    let mut head = [0u8; CACHEDIR_SIGNATURE.len()];
    let mut got = 0;
    while got < head.len() {
        match rustix::io::read(&file, &mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(head[..got] == *CACHEDIR_SIGNATURE)
}

/// The tag that decides what becomes of the directory `at`, if any: the first of `tags` it
/// holds (the CLI puts the last given first, as GNU tar checks them). A directory that cannot
/// be opened holds none (the walk reports why when it enters it). `follow`: the walk follows
/// symlinks (`--dereference`), to the directory and to the tag.
pub(super) fn find<'t>(tags: &'t [ExclusionTag], at: &At, follow: bool) -> Option<&'t ExclusionTag> {
    let nofollow = if follow { OFlags::empty() } else { OFlags::NOFOLLOW };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | nofollow | OFlags::CLOEXEC;
    let dir = rustix::fs::openat(at.dir(), at.name(), flags, Mode::empty()).ok()?;
    tags.iter().find(|tag| tag.in_dir(&dir, follow))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_a_file_name() {
        for bad in ["", "a/b", ".", "..", "/x"] {
            assert!(ExclusionTag::new(bad.as_ref(), false, TagScope::All).is_err(), "{bad:?}");
        }
        assert!(ExclusionTag::new("NOBACKUP".as_ref(), false, TagScope::All).is_ok());
    }

    #[test]
    fn tags_are_found_in_order_and_a_cache_tag_needs_its_signature() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join(CACHEDIR_TAG), "Signature: 8a477f597d28d172789f06886806bc5 (one short)").unwrap();
        std::fs::write(d.join("NOBACKUP"), "").unwrap();
        std::os::unix::fs::symlink("NOBACKUP", d.join("LINKED")).unwrap();
        let at = At::path(d).unwrap();
        let cache = ExclusionTag::new(CACHEDIR_TAG.as_ref(), true, TagScope::All).unwrap();
        let plain = ExclusionTag::new("NOBACKUP".as_ref(), false, TagScope::Under).unwrap();
        let linked = ExclusionTag::new("LINKED".as_ref(), false, TagScope::All).unwrap();
        assert!(find(std::slice::from_ref(&cache), &at, false).is_none(), "a wrong signature is no cache tag");
        assert!(find(std::slice::from_ref(&linked), &at, false).is_none(), "a symlink is no tag");
        assert!(find(std::slice::from_ref(&linked), &at, true).is_some(), "but with --dereference, its file");
        let both = [cache.clone(), plain.clone()];
        assert_eq!(find(&both, &at, false).unwrap().scope, TagScope::Under);
        std::fs::write(d.join(CACHEDIR_TAG), b"Signature: 8a477f597d28d172789f06886806bc55").unwrap();
        assert_eq!(find(&both, &at, false).unwrap().scope, TagScope::All, "the first that holds decides");
        let plain_cache = ExclusionTag::new(CACHEDIR_TAG.as_ref(), false, TagScope::Contents).unwrap();
        std::fs::write(d.join(CACHEDIR_TAG), "").unwrap();
        assert!(find(std::slice::from_ref(&plain_cache), &at, false).is_some(), "--exclude-tag needs no signature");
    }
}
