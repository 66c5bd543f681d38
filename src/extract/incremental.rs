/*!
Extracting GNU incremental archives (`--incremental`, or `--listed-incremental`, whose snapshot
is not read when extracting, as in GNU tar). A directory member with a listing (`GNU.dumpdir`,
or the data of GNU's `D` member; see `create::incremental`) that is on disk already first gets
the renames the listing records (GNU tar's `R` from / `T` to, of directories renamed between
dumps, with `X` naming where a temporary directory breaks a cycle), then loses what it holds
that the listing does not name, or names as another type (a directory where the listing has a
file, a file where it has a directory), with everything in it, as GNU tar's purge does. So a
chain of dumps extracted in order leaves the tree of the last one: deleted files deleted.

All by directory fd and name beneath the destination, following no symlink, never into another
filesystem mounted inside (`unlink::remove_tree`).
*/

use crate::error::ShowPath;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode};

use super::{Failure, Run, SafeName, unlink};
use crate::error::Error;

/// What a listing asks for before its directory is purged, in order.
enum Op {
    /// Make a temporary directory in this one (`X`): the renames' empty names stand for it.
    Temp(PathBuf),
    /// Rename a directory (`R` from, `T` to); `None`: the temporary directory.
    Rename { from: Option<PathBuf>, to: Option<PathBuf> },
}

/// A listing, read: its entries by name (with their letter), and its renames.
struct Listing<'a> {
    entries: HashMap<&'a [u8], u8>,
    ops: Vec<Op>,
}

/// The names a listing gives its directory (`Y`, `N`, `D`: archived here, unchanged since an
/// earlier dump, a directory), which a chain of dumps extracted in order leaves there; `Err`:
/// what is wrong with it. For `verify` (GNU tar's `--compare` "Contents differ").
pub(crate) fn listed_names(dumpdir: &[u8]) -> Result<Vec<&[u8]>, String> {
    parse(dumpdir).map(|l| l.entries.into_keys().collect())
}

/// Reads a listing as GNU tar's `dumpdir_ok` checks it; `Err`: what is wrong.
fn parse(dumpdir: &[u8]) -> Result<Listing<'_>, String> {
    let safe = |name: &[u8]| -> Result<Option<PathBuf>, String> {
        if name.is_empty() {
            return Ok(None);
        }
        // GNU tar strips a leading `/` from these (its safer_name_suffix); a `..` is refused,
        // as in member names.
        SafeName::parse(Path::new(OsStr::from_bytes(name)))
            .map(|n| Some(n.rel))
            .map_err(|_| format!("a rename names {:?}, outside the destination", String::from_utf8_lossy(name)))
    };
    let mut listing = Listing { entries: HashMap::new(), ops: Vec::new() };
    // A temporary directory made and not yet renamed from (GNU tar's has_tempdir).
    let mut temp = false;
    let mut from: Option<Option<PathBuf>> = None;
    let body = dumpdir.strip_suffix(&[0]).unwrap_or(dumpdir);
    for record in body.split(|&b| b == 0) {
        let Some((&letter, name)) = record.split_first() else { break };
        if from.is_some() && letter != b'T' {
            return Err(format!("expected a T record after an R record, found {:?}", letter as char));
        }
        match letter {
            b'Y' | b'N' | b'D' => {
                listing.entries.insert(name, letter);
            }
            b'X' => {
                if temp {
                    return Err("an X record before the last one's temporary directory was used".into());
                }
                temp = true;
                listing.ops.push(Op::Temp(safe(name)?.unwrap_or_default()));
            }
            b'R' => {
                if name.is_empty() {
                    if !temp {
                        return Err("an R record with no name and no X record before it".into());
                    }
                    temp = false;
                }
                from = Some(safe(name)?);
            }
            b'T' => {
                let Some(src) = from.take() else { return Err("a T record without an R record before it".into()) };
                if name.is_empty() && !temp {
                    return Err("a T record with no name and no X record before it".into());
                }
                listing.ops.push(Op::Rename { from: src, to: safe(name)? });
            }
            // GNU tar passes over letters it does not know.
            _ => {}
        }
    }
    if from.is_some() {
        return Err("an R record with no T record after it".into());
    }
    Ok(listing)
}

impl Run<'_> {
    /// Before the directory member `path` (at `rel`) is extracted: its renames, then what is
    /// there and not in its listing removed. Nothing when it is not there yet.
    pub(super) fn incremental_dir(&mut self, path: &Path, rel: &Path, dumpdir: &[u8]) -> Result<(), Failure> {
        let fail = |op: &'static str| move |e: io::Error| Failure::Member(Error::io(path, op, e));
        let listing = parse(dumpdir).map_err(|why| {
            Failure::Member(Error::entry(
                path,
                format!("its incremental listing is malformed ({why}); nothing removed"),
            ))
        })?;
        // Not a directory there (nothing, a file, a symlink, a path through one, also with
        // --keep-directory-symlink): nothing to rename or remove; the member is extracted as
        // without -G (which replaces what is in the way, or says why not).
        if !matches!(self.dest.open_dir_nofollow(rel), Ok(Some(_))) {
            return Ok(());
        }
        // Workers may be writing beneath what is renamed or removed.
        self.drain().map_err(Failure::Stop)?;
        let mut temp: Option<PathBuf> = None;
        for op in &listing.ops {
            let (from, to) = match op {
                Op::Temp(dir) => {
                    let parent = self.dest.dir(dir).map_err(fail("open the directory for a temporary"))?;
                    let name = crate::temps::temp_name(OsStr::new("tar"));
                    rustix::fs::mkdirat(&parent, &name, Mode::from_raw_mode(0o700))
                        .map_err(|e| fail("create a temporary directory")(e.into()))?;
                    temp = Some(dir.join(name));
                    continue;
                }
                Op::Rename { from, to } => (from.as_ref().or(temp.as_ref()), to.as_ref().or(temp.as_ref())),
            };
            let (Some(from), Some(to)) = (from, to) else { continue };
            self.rename_dir(from, to).map_err(|e| {
                let e = match e.kind() {
                    io::ErrorKind::NotFound => "it is not there".to_string(),
                    _ => crate::error::os_text(&e),
                };
                Failure::Member(Error::entry(
                    path,
                    format!("cannot rename {} to {}: {e}; nothing removed", from.escaped(), to.escaped()),
                ))
            })?;
        }
        // A temporary directory no rename took (GNU tar warns of such a listing) is removed;
        // one renamed away is gone, one holding a directory renamed into it stays.
        if let Some(t) = temp
            && let Ok((parent, name)) = split(&t)
            && let Ok(Some(dir)) = self.dest.open_dir_nofollow(parent)
        {
            let _ = rustix::fs::unlinkat(&dir, name, AtFlags::REMOVEDIR);
        }
        self.purge(path, rel, &listing)
    }

    /// GNU tar's rename of a directory between dumps: `to`'s missing parents are made.
    fn rename_dir(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        let (from_parent, from_name) = split(from)?;
        let (to_parent, to_name) = split(to)?;
        let src = self.dest.open_dir_nofollow(from_parent)?.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        let dst = self.dest.dir(to_parent)?;
        rustix::fs::renameat(&src, from_name, dst.as_fd(), to_name)?;
        // What was at `to` is gone; what was beneath `from` is beneath `to` now, its metadata
        // still to be set there (GNU tar moves its delayed metadata the same way).
        self.forget_tree(to);
        self.dest.forget(from);
        for d in self.dirs.iter_mut().filter(|d| !d.gone) {
            if let Ok(rest) = d.rel.strip_prefix(from) {
                d.rel = if rest.as_os_str().is_empty() { to.to_path_buf() } else { to.join(rest) };
            }
        }
        Ok(())
    }

    /// Removes what the directory `rel` holds and its listing does not name as such.
    fn purge(&mut self, path: &Path, rel: &Path, listing: &Listing<'_>) -> Result<(), Failure> {
        let fail = |op: &'static str| move |e: io::Error| Failure::Member(Error::io(path, op, e));
        let Some(dir) = self.dest.open_dir_nofollow(rel).map_err(fail("open directory"))? else { return Ok(()) };
        let names: Vec<Vec<u8>> = rustix::fs::Dir::read_from(&dir)
            .map_err(|e| fail("read directory")(e.into()))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_bytes().to_vec()))
            .filter(|n| n != b"." && n != b"..")
            .collect();
        // The archive being read, when it is in the destination, stays (GNU tar would remove it).
        let archive =
            std::fs::metadata(&self.opts.archive).ok().filter(|md| md.is_file()).map(|md| (md.dev(), md.ino()));
        for name in names {
            let Ok(st) = rustix::fs::statat(&dir, OsStr::from_bytes(&name), AtFlags::SYMLINK_NOFOLLOW) else {
                continue;
            };
            if archive == Some((st.st_dev, st.st_ino)) {
                let shown = path.join(OsStr::from_bytes(&name));
                self.report.note(format!(
                    "{}: not in the incremental listing, but it is the archive being read; kept",
                    shown.escaped()
                ));
                continue;
            }
            let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
            let keep = match listing.entries.get(name.as_slice()) {
                None => false,
                Some(b'D') => is_dir,
                Some(b'Y') => !is_dir,
                Some(_) => true,
            };
            if keep {
                continue;
            }
            let shown = path.join(OsStr::from_bytes(&name));
            if self.opts.verbose {
                let quoted = crate::list::quote_name(shown.as_os_str().as_bytes());
                crate::error::note_output(writeln!(io::stdout().lock(), "captar: Deleting '{quoted}'"));
            }
            let name = OsStr::from_bytes(&name);
            let removed = if is_dir {
                unlink::remove_tree(dir.as_fd(), name)
            } else {
                rustix::fs::unlinkat(&dir, name, AtFlags::empty()).map_err(io::Error::from)
            };
            self.forget_tree(&rel.join(name));
            if let Err(e) = removed {
                self.report.error(Error::io(&shown, "remove (not in the incremental listing)", e));
            }
        }
        Ok(())
    }
}

/// A relative path's parent and last component.
fn split(rel: &Path) -> io::Result<(&Path, &OsStr)> {
    match (rel.parent(), rel.file_name()) {
        (Some(parent), Some(name)) => Ok((parent, name)),
        _ => Err(io::Error::new(io::ErrorKind::InvalidInput, "names the destination itself")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_are_read_as_gnu_tar_checks_them() {
        let l = parse(b"Ya\0Nb\0Dc\0\0").unwrap();
        assert_eq!(l.entries.get(&b"a"[..]), Some(&b'Y'));
        assert_eq!(l.entries.get(&b"c"[..]), Some(&b'D'));
        assert!(l.ops.is_empty());
        let renames = |l: &Listing<'_>| -> Vec<(Option<PathBuf>, Option<PathBuf>)> {
            l.ops
                .iter()
                .filter_map(|op| match op {
                    Op::Rename { from, to } => Some((from.clone(), to.clone())),
                    Op::Temp(_) => None,
                })
                .collect()
        };
        let l = parse(b"Dx\0Rold/d\0Tnew/d\0\0").unwrap();
        assert_eq!(renames(&l), [(Some(PathBuf::from("old/d")), Some(PathBuf::from("new/d")))]);
        // A cycle through a temporary directory, as GNU tar writes it.
        let l = parse(b"Xa\0Ra/x\0T\0Ra/y\0Ta/x\0R\0Ta/y\0\0").unwrap();
        assert!(matches!(&l.ops[0], Op::Temp(d) if d == Path::new("a")));
        let r = renames(&l);
        assert_eq!(r.len(), 3);
        assert!(r[0].1.is_none() && r[2].0.is_none());
        // A leading `/` is stripped, as GNU tar strips it.
        assert_eq!(renames(&parse(b"R/abs\0Tb\0\0").unwrap())[0].0.as_deref(), Some(Path::new("abs")));
        for (bad, why) in [
            (&b"Ra\0Yb\0\0"[..], "expected a T"),
            (b"Ta\0\0", "without an R"),
            (b"Ra\0\0", "no T record after"),
            (b"R\0Tb\0\0", "no X record"),
            (b"Xa\0Xb\0\0", "before the last one's"),
            (b"Ra/../../x\0Tb\0\0", "outside the destination"),
        ] {
            let e = parse(bad).err().unwrap_or_default();
            assert!(e.contains(why), "{:?}: {e}", String::from_utf8_lossy(bad));
        }
    }
}
