/*!
The walk, on its own thread: each path given, then what is under it, in archive order, with
the exclusions, hard links and directory tags; members handed on in batches.
*/

use crate::error::ShowPath;
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::Stat;

use super::Walker;
use super::archive::Skip;
use super::batch::{Batches, Bytes, Job};
use super::files::{atime_warning, encoded};
use super::names::{
    given_name, member_name, member_name_of, stripped_prefix, strips_to_nothing, symlink_named_with_slash, trim_slashes,
};
use super::tags::TagScope;
use super::tree::{At, Entry, Failure, Tree};
use super::{incremental, remove, tags, tree};
use crate::error::{Error, IoContext, Result, Warning};
use crate::format::{Kind, Time};
use crate::transform::Part;

impl Walker<'_> {
    /// Whether `--exclude` leaves out the member `name`; an absolute or `..` path is matched as
    /// `given` too (`--exclude=/proc`), as GNU tar matches it before stripping (`given_name`).
    /// A path `named` on the command line is left out when a leading directory of it matches
    /// a pattern given before any --no-recursion too (`Excludes::leading`), as in GNU tar.
    fn excluded(&self, name: &Path, given: Option<&Path>, named: bool) -> bool {
        let excludes = &self.files.opts.excludes;
        let matches = |name: &Path| if named { excludes.matches_named(name) } else { excludes.matches(name) };
        !excludes.is_empty() && (matches(name) || given.is_some_and(matches))
    }

    pub(super) fn walk_all(&mut self, mut batches: Batches<'_>) -> Result<()> {
        // Each batch out may hold a large file open, each reader one more; and a few for the
        // archive and standard streams.
        let mut tree = Tree::new(2 * batches.most + 8)
            .following(self.files.opts.dereference)
            .by_inode(self.files.opts.by_inode)
            .checking_changes(!self.files.opts.remove_files);
        for named in &self.files.opts.paths {
            let (arg, fs_path) = (&named.path, named.fs_path());
            let (name, stripped) = member_name(arg);
            // A name stripped to nothing (`/`, `..`) is archived as `./`, its contents as `etc/...`
            // (`add` names the empty name `./`); one stripped to a `.` (`/.`, `../.`) as `./`,
            // its contents as `./etc/...`: GNU tar's names (and bsdtar's, for `/`).
            let name = if name.as_os_str().is_empty() && !strips_to_nothing(arg) { PathBuf::from(".") } else { name };
            let follow = tree.follows();
            // A symlink named with a trailing slash (`link/`) is archived as the symlink `link`,
            // as GNU tar and bsdtar do; with -h what it leads to, a file too, under that name.
            let (fs_path, name) = match symlink_named_with_slash(&fs_path) {
                Some(bare) => {
                    let name = PathBuf::from(OsStr::from_bytes(trim_slashes(name.as_os_str().as_bytes())));
                    (bare, name)
                }
                None => (fs_path, name),
            };
            // A path named and excluded is left out before it is looked at, as GNU tar leaves it
            // out (`excluded_name` before `dump_file`): one that does not exist is no error (it
            // was, exit 2; found by audit, tested beside GNU tar).
            if self.excluded(&name, stripped.then(|| given_name(arg, &fs_path, &fs_path)).as_deref(), true) {
                continue;
            }
            // Once for each prefix, as GNU tar says it.
            if stripped {
                let prefix = stripped_prefix(arg);
                let shown = crate::error::terminal_safe(&prefix).into_owned();
                if self.warned_absolute.insert(prefix) {
                    self.files.report.note(format!("removing leading '{shown}' from member names"));
                }
            }
            let root = At::path(&fs_path)
                .and_then(|at| Ok(Entry { st: at.stat_as(follow)?, at, path: fs_path.clone(), name }));
            let root = match root {
                Ok(root) => root,
                Err(e) => {
                    // A name from a list with Windows line ends (GNU tar keeps the CR too).
                    let crlf = e.kind() == io::ErrorKind::NotFound && fs_path.as_os_str().as_bytes().ends_with(b"\r");
                    let e = match crlf {
                        true => {
                            io::Error::new(e.kind(), format!("{}{}", crate::error::os_text(&e), crate::select::CR_HINT))
                        }
                        false => e,
                    };
                    self.files.cannot_read(Error::io(&fs_path, "stat", e));
                    continue;
                }
            };
            let root_dev = root.st.st_dev;
            let mut next = Some(Ok(root));
            while let Some(entry) = next {
                self.say_changed(&mut tree);
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(Failure { path, what, error }) => {
                        self.files.failed(Error::io(path, what, error));
                        next = tree.next();
                        continue;
                    }
                };
                if !tree.is_top()
                    && self.excluded(
                        &entry.name,
                        stripped.then(|| given_name(arg, &fs_path, &entry.path)).as_deref(),
                        false,
                    )
                {
                    next = tree.next();
                    continue;
                }
                let is_dir = Kind::of_mode(entry.st.st_mode) == Some(Kind::Dir);
                // update (tar's -u): what the archive holds as new or newer is not added again;
                // a directory it holds is not, but its entries are looked at.
                let held = self.archived_as(&entry.name);
                let mut archived = held.is_some_and(|times| is_dir || times.holds(Time::mtime_of(&entry.st)));
                if archived && !is_dir {
                    match held.and_then(|h| self.caps_differ(h, &entry)) {
                        Some(note) => {
                            self.files.report.note(note);
                            archived = false;
                        }
                        None => {
                            next = tree.next();
                            continue;
                        }
                    }
                }
                // --newer, --newer-mtime: what is older is left out, but not a directory (its
                // newer entries need it), as in GNU tar. A listed-incremental dump leaves out a
                // file named on the command line unchanged since the last dump (those beneath a
                // directory named, by its listing: `incremental`).
                let since = self.incremental.as_ref().and_then(|i| i.since()).filter(|_| tree.is_top());
                if !is_dir && self.files.opts.newer.or(since).is_some_and(|n| n.leaves_out(&entry.st)) {
                    next = tree.next();
                    continue;
                }
                // --exclude-tag, --exclude-caches: a tagged directory is archived with its tag
                // file, alone, or not at all.
                let tag = if is_dir { tags::find(&self.files.opts.tags, &entry.at, tree.follows()) } else { None };
                if let Some(tag) = tag
                    && self.files.opts.verbose
                {
                    self.files.report.note_as(Warning::Cachedir, tag.note(&entry.path));
                }
                let scope = tag.map(|t| t.scope);
                if scope == Some(TagScope::All) {
                    next = tree.next();
                    continue;
                }
                // A directory whose name is already longer than captar reads (its member is an
                // error) is not entered: everything beneath it would be an error too, one line
                // each. Unless --transform could make the names beneath it shorter.
                let too_long = is_dir
                    && self.files.opts.transforms.is_empty()
                    && crate::format::name_beyond_limits(&[entry.name.as_os_str().as_bytes(), b"/"].concat()).is_some();
                let other_fs = self.files.opts.one_file_system && entry.st.st_dev != root_dev;
                let descend =
                    is_dir && !too_long && self.files.opts.recursive && scope != Some(TagScope::Under) && !other_fs;
                // GNU tar's -v line for it (its warning `xdev`): the directory is archived, empty.
                if is_dir && other_fs && self.files.opts.recursive && self.files.opts.verbose {
                    let shown = Path::new(&entry.path).on_disk();
                    self.files
                        .report
                        .note_as(Warning::Xdev, format!("{shown}/: file is on a different filesystem; not dumped"));
                }
                let entered = if descend { tree.enter(&entry) } else { Ok(()) };
                if descend && entered.is_ok() && !tree.atime_kept() && self.files.opts.atime_preserve {
                    self.files.report.warn(atime_warning(&entry.path));
                }
                if let (Ok(()), Some(tag)) = (&entered, tag)
                    && descend
                {
                    tree.keep_only(&tag.name);
                }
                // A directory that cannot be entered (opened and read: permissions, or any other
                // error, reported) is left out, as GNU tar leaves it (archived, it would come back
                // as an empty directory); one not entered again (a loop) is archived.
                let unreadable = entered.as_ref().is_err_and(|f| f.what != tree::LOOP);
                if is_dir && !archived && !unreadable {
                    let listed = descend && entered.is_ok() && tag.is_none();
                    self.list_directory(&mut tree, &entry, listed, (arg, &fs_path));
                }
                // `-v` shows a path named with a leading `/` or `..` as given, as GNU tar shows
                // it (unless the transformed names are asked for).
                let given = (stripped && !self.files.opts.transforms.show)
                    .then(|| given_name(arg, &fs_path, &entry.path).into_owned());
                let added = if archived || unreadable { Ok(None) } else { self.add(entry, given) };
                match added {
                    Ok(Some(job)) => {
                        // A file handed on holds its directory open until a reader reads it.
                        if matches!(job, Job::File { .. })
                            && tree.over_budget()
                            && !batches.wait_for(|| tree.over_budget())
                        {
                            return Ok(()); // the writer stopped; it reports why
                        }
                        if !batches.push(job) {
                            return Ok(());
                        }
                    }
                    Ok(None) => {}
                    Err(e) => self.files.failed(e),
                }
                if let Err(Failure { path, what, error }) = entered {
                    self.files.failed(Error::io(path, what, error));
                }
                next = tree.next();
            }
        }
        self.say_changed(&mut tree);
        batches.send();
        Ok(())
    }

    /// The directories the walk found changed when it finished them, each a warning (exit 1),
    /// as GNU tar's "file changed as we read it".
    fn say_changed(&self, tree: &mut Tree) {
        for path in tree.take_changed() {
            self.files.report.warn_as(Warning::FileChanged, format!("{}: file changed as we read it", path.on_disk()));
        }
    }

    /// In a listed-incremental dump, the listing of the directory `entry` (entered when
    /// `listed`: its entries are looked at, and those unchanged left out of the walk), for its
    /// member and the new snapshot. `named` is the path named and where the walk found it: the
    /// snapshot knows a directory by the path named and the rest of the walk, as GNU tar.
    pub(super) fn list_directory(&mut self, tree: &mut Tree, entry: &Entry, listed: bool, named: (&Path, &Path)) {
        // Whatever the last directory left (its member may have failed) is not this one's.
        self.dumpdir = None;
        let Some(inc) = self.incremental.as_mut() else { return };
        let walked = entry.path.strip_prefix(named.1).unwrap_or(Path::new(""));
        // `s/` and `s//` are `s`, as GNU tar names them, and so their directories are `s/d`
        // (found by review: `s//d`, which GNU tar continuing the chain took for another
        // directory, leaving out what changed in it); `/` stays.
        let without_slashes = |p: &[u8]| {
            let trimmed = p.len() - p.iter().rev().take_while(|&&b| b == b'/').count();
            p[..trimmed.max(1).min(p.len())].to_vec()
        };
        let named_path = without_slashes(named.0.as_os_str().as_bytes());
        let key = without_slashes(Path::new(OsStr::from_bytes(&named_path)).join(walked).as_os_str().as_bytes());
        let key = key.as_slice();
        if !listed {
            inc.unlisted(key, &entry.st);
            return;
        }
        let opts = self.files.opts;
        let skip_inodes = &self.skip_inodes;
        let (arg, fs_path) = named;
        let mut dumpdir = None;
        let mut renames = Vec::new();
        let member = entry.name.as_os_str().as_bytes();
        tree.narrow_entered(|child, names| {
            // What the walk will leave out is `N`, as GNU tar lists it: excluded by a pattern
            // (on the member name, or on the path as given), or a directory an exclusion tag
            // leaves out whole.
            let excluded = |name: &std::ffi::CString, st: Option<&Stat>| {
                let name = OsStr::from_bytes(name.as_bytes());
                let pattern = !opts.excludes.is_empty()
                    && (opts.excludes.matches(&entry.name.join(name))
                        || opts.excludes.matches(&given_name(arg, fs_path, &entry.path.join(name))));
                let tagged_out = || {
                    st.is_some_and(|st| Kind::of_mode(st.st_mode) == Some(Kind::Dir))
                        && opts.tags.iter().any(|t| t.scope == TagScope::All)
                        && child(name)
                            .and_then(|at| tags::find(&opts.tags, &at, opts.dereference))
                            .is_some_and(|t| t.scope == TagScope::All)
                };
                pattern || tagged_out()
            };
            // When a directory was made (statx), where the filesystem keeps it.
            let born = |name: Option<&std::ffi::CString>| {
                let at = match name {
                    Some(name) => child(OsStr::from_bytes(name.as_bytes()))?,
                    None => entry.at.clone(),
                };
                use rustix::fs::{AtFlags, StatxFlags};
                let flags = if opts.dereference { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
                let stx = rustix::fs::statx(at.dir(), at.name(), flags, StatxFlags::BTIME).ok()?;
                let t = stx.stx_btime;
                (stx.stx_mask & StatxFlags::BTIME.bits() != 0).then_some(Time { secs: t.tv_sec, nsecs: t.tv_nsec })
            };
            // Whether a path as walked in the last dump (a snapshot key) is one the exclusions
            // leave out: as given, and as its member is named.
            let excluded_at = |path: &[u8]| {
                let path = Path::new(OsStr::from_bytes(path));
                !opts.excludes.is_empty()
                    && (opts.excludes.matches(path) || opts.excludes.matches(&crate::extract::SafeName::rel_of(path)))
            };
            // The archive being written here, under its temporary name, is listed by its own
            // name, as GNU tar lists it (its temporary name, which no file has after the run,
            // went into the listing and the snapshot); once only, where the old archive of
            // that name is here too (then it is `Skip::Quietly`). `Some(None)`: left out.
            let archive_named = |st: &Option<Stat>| {
                let st = st.as_ref()?;
                skip_inodes.iter().find_map(|(inode, skip)| match skip {
                    Skip::As(name) if *inode == (st.st_dev, st.st_ino) => Some(Some(name)),
                    Skip::Quietly if *inode == (st.st_dev, st.st_ino) => Some(None),
                    _ => None,
                })
            };
            let renamed_names = names.iter().any(|(_, st)| archive_named(st).is_some()).then(|| {
                let mut listed = Vec::with_capacity(names.len());
                let mut at = Vec::with_capacity(names.len());
                for (name, st) in names {
                    let name = match archive_named(st) {
                        Some(Some(real)) if !names.iter().any(|(n, _)| n.as_bytes() == real.as_bytes()) => {
                            std::ffi::CString::new(real.as_bytes()).unwrap_or_else(|_| name.clone())
                        }
                        Some(_) => {
                            at.push(None);
                            continue;
                        }
                        None => name.clone(),
                    };
                    at.push(Some(listed.len()));
                    listed.push((name, *st));
                }
                (listed, at)
            });
            let given = renamed_names.as_ref().map_or(names, |(listed, _)| listed.as_slice());
            let (listing, marks, renamed) =
                inc.directory((key, member), &entry.st, given, (excluded, excluded_at), born);
            dumpdir = Some(listing);
            renames = renamed;
            let keep = |m: &incremental::Mark| *m != incremental::Mark::No;
            match &renamed_names {
                // The archive itself is never walked (see `skip_inodes`).
                Some((_, at)) => at.iter().map(|i| i.is_some_and(|i| keep(&marks[i]))).collect(),
                None => marks.iter().map(keep).collect(),
            }
        });
        self.dumpdir = dumpdir;
        for r in renames {
            // Quoted as names are (a non-UTF-8 byte went out raw).
            let (from, to) = (crate::list::quote_name(&r.from), crate::list::quote_name(&r.to));
            self.files.report.note_as(Warning::RenameDirectory, format!("{to}: directory renamed from '{from}'"));
        }
    }

    /// With `update`: when the archive holds a member of the name `name` would be archived
    /// under (after `--transform`), the latest modification times it is archived with.
    pub(super) fn archived_as(&self, name: &Path) -> Option<super::Archived> {
        if self.archived.is_empty() {
            return None;
        }
        let stored = self.files.transformed(Part::Name, name);
        let bytes = stored.as_os_str().as_bytes();
        self.archived.get(bytes.strip_suffix(b"/").unwrap_or(bytes)).copied()
    }

    /// With `update`: for a file the archive holds as new (`held`), the note saying why it is
    /// added again when its capability differs from what the name's last member gives it
    /// (none, or another set); `None` when it does not, cannot be read (archiving it would say
    /// so), or capabilities are not archived.
    fn caps_differ(&self, held: super::Archived, entry: &Entry) -> Option<String> {
        use super::ArchivedCaps;
        if !self.files.opts.xattrs.wants(std::ffi::OsStr::new(crate::caps::XATTR_NAME)) {
            return None;
        }
        let full = || entry.path.clone();
        let read = match self.files.opts.dereference {
            true => crate::xattr::get_following(&entry.path, crate::xattr::CAPABILITY),
            false => crate::xattr::get_caps_at(entry.at.dir(), entry.at.name(), None, &full),
        };
        let disk = match read.ok()? {
            None => None,
            Some(raw) => Some(crate::caps::FileCaps::decode(&raw).ok()?),
        };
        let archived = match held.caps() {
            ArchivedCaps::Unreadable => return None,
            ArchivedCaps::None => None,
            ArchivedCaps::Some(c) => Some(c),
        };
        // The member without one may be an archive that records none (GNU tar without
        // --xattrs), where "changed" was not true (found by review).
        let why = match (disk, archived) {
            (None, None) => return None,
            (Some(d), Some(a)) if a.same_here(&d) => return None,
            (Some(d), None) => format!(
                "holds a capability its member lacks ({}: set since, or not recorded by the archiver, as by GNU tar \
                 without --xattrs)",
                d.text_with_rootid()
            ),
            (None, Some(a)) => {
                format!("its capability was removed since it was archived (archived {})", a.text_with_rootid())
            }
            (Some(d), Some(a)) => format!(
                "its capability changed since it was archived ({}, archived {})",
                d.text_with_rootid(),
                a.text_with_rootid()
            ),
        };
        Some(format!("{}: {why}, not its modification time: added again", entry.path.on_disk()))
    }

    /// What becomes of one walked path: a file for a reader, or a member made here. A file of
    /// several names is read here, so its later names become links only once it is archived.
    /// `given`: the path as the user named it, for `-v`, when its name lost a leading `/` or
    /// `..`.
    pub(super) fn add(&mut self, entry: Entry, given: Option<PathBuf>) -> Result<Option<Job>> {
        let Entry { at, path, name, st } = entry;
        let shown = |kind| match &given {
            Some(g) => Some(member_name_of(g.clone(), kind)),
            None => self.files.shown(&name, kind),
        };
        let report = self.files.report;
        if let Some((_, skip)) = self.skip_inodes.iter().find(|(inode, _)| *inode == (st.st_dev, st.st_ino)) {
            let shown = match skip {
                Skip::Note => Some(name),
                Skip::As(file_name) => Some(name.with_file_name(file_name)),
                Skip::Quietly => None,
                Skip::Destination => {
                    // (Found by audit: a copy into a directory a bind mount inside the source
                    // showed went on copying into its own copy.)
                    report.error(format!(
                        "{}: is the destination, reached through a mount inside the source; not copied into itself (copy into a directory the source does not show, or leave the mount out with --exclude)",
                        path.on_disk()
                    ));
                    return Ok(None);
                }
            };
            // Said unless --exclude leaves it out by its own name: it is walked under the
            // temporary one, which the exclusions did not match (found by audit: `-cf n.tar
            // --exclude=n.tar .` said it, GNU tar does not).
            let excludes = &self.files.opts.excludes;
            if let Some(shown) = shown.filter(|s| excludes.is_empty() || !excludes.matches(s)) {
                report.note_as(Warning::IgnoreArchive, format!("{}: file is the archive; not dumped", shown.escaped()));
            }
            return Ok(None);
        }
        let Some(kind) = Kind::of_mode(st.st_mode) else {
            report.note_as(Warning::FileIgnored, format!("{}: socket ignored", path.on_disk()));
            return Ok(None);
        };
        // With --dereference a regular file may be reached through symlinks too, so it has
        // several names whatever its link count (as GNU tar's -h takes it); --hard-dereference
        // archives every name whole.
        let opts = self.files.opts;
        let linked = kind != Kind::Dir
            && (st.st_nlink > 1 || (opts.dereference && kind == Kind::File))
            && !opts.hard_dereference;
        if kind == Kind::File && !linked {
            return Ok(Some(Job::File { shown: shown(kind), at, path, name, st }));
        }
        let mut bytes = Bytes { buf: Vec::new(), used: 0 };
        // A name archived twice (named, and beneath a named directory) is archived again as
        // GNU tar does, but whole: a link to itself would name no file to link to.
        if linked
            && let Some(first) = self.links.get(&(st.st_dev, st.st_ino))
            && *first != name
        {
            let shown = shown(Kind::HardLink);
            let mut meta = self.files.base_meta(name, Kind::HardLink, &st, &path)?;
            meta.link = Some(self.files.transformed(Part::HardLink, first).into_owned());
            let mut item = encoded(meta, &path, shown, &mut bytes)?;
            item.seen = opts.remove_files.then(|| remove::Seen::of(&st));
            return Ok(Some(Job::Done { item: Box::new(item), bytes: bytes.buf }));
        }
        // Whether the item is the inode walked, whose other names become links to it.
        let (item, walked) = if kind == Kind::File {
            self.files.file(&at, &path, name.clone(), shown(kind), &st, &mut bytes)?
        } else {
            let mut meta = self.files.base_meta(name.clone(), kind, &st, &path)?;
            if kind == Kind::Dir {
                meta.dumpdir = self.dumpdir.take();
            }
            match kind {
                Kind::Symlink => {
                    let target = rustix::fs::readlinkat(at.dir(), at.name(), Vec::new())
                        .map_err(io::Error::from)
                        .at(&path, "read link")?;
                    let target = Path::new(OsStr::from_bytes(target.as_bytes()));
                    meta.link = Some(self.files.opts.transforms.path(Part::Symlink, target).into_owned());
                }
                Kind::Char | Kind::Block => {
                    meta.dev_major = rustix::fs::major(st.st_rdev);
                    meta.dev_minor = rustix::fs::minor(st.st_rdev);
                }
                _ => {}
            }
            let whole = self.files.at_xattrs(&at, &path, st.st_dev, &mut meta)?;
            let mut item = encoded(meta, &path, shown(kind), &mut bytes)?;
            item.seen = (opts.remove_files && whole).then(|| remove::Seen::of(&st));
            (item, true)
        };
        // Later names of this inode become links to this one, unless a file was put in its
        // place before it was opened (found by audit: they became links to the new file, its
        // data and capability extracted under names that never had them).
        if linked && walked {
            self.links.insert((st.st_dev, st.st_ino), name);
        }
        bytes.buf.truncate(bytes.used);
        Ok(Some(Job::Done { item: Box::new(item), bytes: bytes.buf }))
    }
}
