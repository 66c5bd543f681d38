/*!
Arguments into options: create's and extract's arguments, and the option groups the commands
share, turned into the operations' options structs and checked on the way for what clap cannot
check (dates, owners, levels, the order of -C and the paths, options that cannot go together).
*/

use crate::error::ShowPath;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use super::{CreateArgs, ExtractArgs, ListXattrArgs, NameArgs, SelectArgs, XattrArgs};
use crate::create::{
    CACHEDIR_TAG, CreateOptions, ExclusionTag, ListedIncremental, ModeChanges, Named, Newer, Stamp, TagScope, Target,
};
use crate::error::{Error, Result, quoted};
use crate::extract::{Existing, ExtractOptions};
use crate::format::compress::Compression;
use crate::format::{Time, acl};
use crate::owners;
use crate::select::{BACKUP_GLOBS, EXTRACT_DEFAULT_INCLUDE, Excludes, Selection, VCS_NAMES, XattrPolicy};
use crate::transform::Transforms;

/// The xattr names `--acls` and `--selinux` add to what travels.
fn also_xattrs(acls: bool, selinux: bool) -> Vec<&'static str> {
    let mut also: Vec<&str> = Vec::new();
    if acls {
        also.extend([acl::ACCESS_XATTR, acl::DEFAULT_XATTR]);
    }
    if selinux {
        also.push(crate::select::SELINUX_XATTR);
    }
    also
}

impl XattrArgs {
    pub(super) fn policy(&self, default_include: Option<&str>) -> Result<XattrPolicy> {
        let (inc, exc) = (&self.xattrs_include, &self.xattrs_exclude);
        let also = also_xattrs(self.acls, self.selinux);
        XattrPolicy::new(!self.no_caps, self.xattrs, inc, exc, default_include, &also)
    }
}

impl super::args_read::VerifyXattrArgs {
    /// The xattrs `verify --all` compares: `None` (every one the archive carries) unless one
    /// of these options is given; then those extract with the same options restores.
    pub(super) fn policy(&self) -> Result<Option<XattrPolicy>> {
        let given = self.xattrs || !self.xattrs_include.is_empty() || !self.xattrs_exclude.is_empty();
        if !given && !self.acls && !self.selinux {
            return Ok(None);
        }
        let also = also_xattrs(self.acls, self.selinux);
        let (inc, exc) = (&self.xattrs_include, &self.xattrs_exclude);
        XattrPolicy::new(true, self.xattrs, inc, exc, Some(EXTRACT_DEFAULT_INCLUDE), &also).map(Some)
    }
}

impl NameArgs {
    /// The `--exclude` patterns, then those of each `--exclude-from` file (one per line, or per
    /// NUL with `--null`, as GNU tar; empty ones are none); with `--no-wildcards`, names matched
    /// literally, as in GNU tar.
    ///
    /// Each also leaves out a path named below a directory it matches (`Excludes::leading`),
    /// as GNU tar's `--exclude` patterns do when reading (its `--exclude-vcs` names do not: a
    /// documented difference); when creating (`recursion_ends`: `matches` and where
    /// `--no-recursion` first stands, if anywhere), only the `--exclude` and `-X` patterns
    /// given before `--no-recursion`, as in GNU tar (found by audit: `find | tar -cf a.tar
    /// --exclude=cache --no-recursion -T -` leaves out `./cache/foo`, which captar archived).
    fn excludes(&self, recursion_ends: Option<(&clap::ArgMatches, Option<usize>)>) -> Result<Excludes> {
        let leading = |id: &str| -> Vec<bool> {
            match recursion_ends {
                Some((matches, Some(end))) => matches.indices_of(id).into_iter().flatten().map(|at| at < end).collect(),
                _ => Vec::new(),
            }
        };
        let (exclude_leading, from_leading) = (leading("exclude"), leading("exclude_from"));
        let given = |i: usize, of: &[bool]| of.get(i).copied().unwrap_or(true);
        let mut patterns: Vec<(Vec<u8>, bool)> =
            self.exclude.iter().enumerate().map(|(i, p)| (p.as_bytes().to_vec(), given(i, &exclude_leading))).collect();
        let stdin = |f: &PathBuf| f.as_os_str() == "-";
        if self.exclude_from.iter().any(stdin) && self.files_from.iter().any(stdin) {
            return Err(Error::Usage("-T - and -X - both want standard input; put one list in a file".into()));
        }
        for (i, file) in self.exclude_from.iter().enumerate() {
            let text = read_list(file, "read the exclude file")?;
            // Trailing blanks dropped from lines, as GNU tar reads an exclude file.
            let lines: Vec<&[u8]> = match self.null {
                true => text.split(|&b| b == 0).collect(),
                false => text.split(|&b| b == b'\n').map(<[u8]>::trim_ascii_end).collect(),
            };
            let leading = given(i, &from_leading);
            patterns.extend(lines.into_iter().filter(|l| !l.is_empty()).map(|l| (l.to_vec(), leading)));
        }
        let (mut globs, mut names) = if self.no_wildcards { (Vec::new(), patterns) } else { (patterns, Vec::new()) };
        // GNU tar's own lists: never for a named path's leading directories when creating.
        let own = recursion_ends.is_none();
        if self.exclude_vcs {
            names.extend(VCS_NAMES.iter().map(|n| (n.as_bytes().to_vec(), own)));
        }
        if self.exclude_backups {
            globs.extend(BACKUP_GLOBS.iter().map(|g| (g.as_bytes().to_vec(), own)));
        }
        Excludes::with_names(&globs, &names)
    }

    /// The `--transform` expressions.
    fn transforms(&self) -> Result<Transforms> {
        let mut transforms = Transforms::parse(&self.transform).map_err(Error::Usage)?;
        transforms.show = self.show_transformed_names;
        Ok(transforms)
    }

    /// The names a `-T` file gives, for reading: a `-C` line there is refused.
    fn names_in(&self, file: &Path) -> Result<Vec<PathBuf>> {
        let mut names = Vec::new();
        for (n, entry) in self.list_in(file)?.into_iter().enumerate() {
            match entry {
                Listed::Name(name) => names.push(name),
                Listed::Dir(_, line) => {
                    return Err(Error::Usage(format!(
                        "{}: line {}: {}: a -C line in a -T list is read when creating; when reading, give -C on the command line",
                        file.escaped(),
                        n + 1,
                        quoted(&line)
                    )));
                }
            }
        }
        Ok(names)
    }

    /// What a `-T` file gives: names and, as GNU tar reads them, `-C DIR` lines.
    fn list_in(&self, file: &Path) -> Result<Vec<Listed>> {
        list_from(file, self.null, self.verbatim_files_from)
    }
}

/// A line of a `-T` list: a name, or the directory (`-C DIR`) the names after it are in,
/// with the line as written.
pub(super) enum Listed {
    Name(PathBuf),
    Dir(PathBuf, Vec<u8>),
}

impl SelectArgs {
    /// `input` is what is read (the archive, or the manifest): standard input cannot be both it
    /// and a `-T -` list.
    pub(super) fn selection(mut self, input: &Path) -> Result<Selection> {
        let names = &self.names;
        // GNU tar takes 0 as no occurrence asked for.
        self.occurrence = self.occurrence.filter(|&n| n > 0);
        if self.occurrence.is_some() && self.members.is_empty() && names.files_from.is_empty() {
            return Err(Error::Usage(
                "--occurrence picks among the members of a name given: name the MEMBERs (GNU tar: meaningless without a file list)".into(),
            ));
        }
        if input.as_os_str() == "-" && names.files_from.iter().any(|f| f.as_os_str() == "-") {
            return Err(Error::Usage("-f - and -T - both want standard input; put the member names in a file".into()));
        }
        if input.as_os_str() == "-" && names.exclude_from.iter().any(|f| f.as_os_str() == "-") {
            return Err(Error::Usage("-f - and -X - both want standard input; put the patterns in a file".into()));
        }
        for file in &names.files_from {
            self.members.extend(names.names_in(file)?);
        }
        let excludes = names.excludes(None)?;
        let patterns = if names.wildcards { Some(Selection::wildcards(&self.members)?) } else { None };
        let transforms = names.transforms()?;
        Ok(Selection {
            members: self.members,
            excludes,
            patterns,
            transforms,
            ignore_zeros: self.ignore_zeros,
            label: self.label,
            occurrence: self.occurrence,
            wildcard_hint: !names.wildcards && !names.no_wildcards,
        })
    }
}

impl ListXattrArgs {
    /// `None` when none of the options is in effect (the listing is then tar -tv's without
    /// them: no column after the mode).
    pub(super) fn extended(&self, verbose: u8) -> Result<Option<crate::list::Extended>> {
        let xattrs = self.xattrs || !self.xattrs_include.is_empty() || !self.xattrs_exclude.is_empty();
        if !xattrs && !self.acls && !self.selinux {
            return Ok(None);
        }
        let policy = xattrs
            .then(|| {
                let default = Some(crate::select::EXTRACT_DEFAULT_INCLUDE);
                XattrPolicy::new(true, true, &self.xattrs_include, &self.xattrs_exclude, default, &[])
            })
            .transpose()?;
        Ok(Some(crate::list::Extended { xattrs: policy, acls: self.acls, selinux: self.selinux, lines: verbose > 1 }))
    }
}

pub(super) fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The one directory a reading command works in, from its `-C` options: each taken from the one
/// before, as GNU tar changes directory in turn (`-C /srv -C data` is /srv/data; an absolute
/// one starts again). A `-C` after a member name is refused: GNU tar extracts or compares the
/// members named after it in that other directory, captar works in one (only the last `-C`
/// counted, from where captar started, before: files went elsewhere than GNU tar puts them).
/// `matches` are the subcommand's, for where the names and the `-C` options stand.
pub(super) fn reading_directory(dirs: Vec<PathBuf>, matches: &clap::ArgMatches) -> Result<Option<PathBuf>> {
    let last_dir = matches.indices_of("directory").into_iter().flatten().max();
    // Names from `-T` stand where the -T does, as in GNU tar (found by review: `-x -T list -C
    // out` went into out/, where GNU tar extracts into the current directory).
    let named = |id: &str| matches.try_get_raw_occurrences(id).is_ok().then(|| matches.indices_of(id)).flatten();
    let first_member = named("members").into_iter().chain(named("files_from")).flatten().min();
    if let (Some(d), Some(m)) = (last_dir, first_member)
        && m < d
    {
        let after = dirs.last().map(|d| d.escaped().to_string()).unwrap_or_default();
        let names = if named("members").into_iter().flatten().min() == Some(m) { "member names" } else { "-T" };
        return Err(Error::Usage(format!(
            "-C {after} after {names}: captar reads every member into one directory; give -C before the names, or run captar once per directory"
        )));
    }
    Ok(dirs.into_iter().reduce(|at, next| at.join(next)))
}

impl CreateArgs {
    /// The compression option given, if any (clap lets one through).
    pub(super) fn compression_option(&self) -> Option<Compression> {
        [
            (self.gzip, Compression::Gzip),
            (self.zstd, Compression::Zstd),
            (self.xz, Compression::Xz),
            (self.bzip2, Compression::Bzip2),
            (self.lzma, Compression::Lzma),
            (self.lzip, Compression::Lzip),
        ]
        .into_iter()
        .find_map(|(given, kind)| given.then_some(kind))
    }

    /// `matches` are the subcommand's, for the order of `-C` and the paths.
    pub(super) fn options(self, progress: bool, matches: &clap::ArgMatches) -> Result<CreateOptions> {
        let target = if self.file.as_os_str() == "-" { Target::Stdout } else { Target::File(self.file.clone()) };
        let compression = match self.compression_option() {
            Some(given) => given,
            None if self.no_auto_compress => Compression::None,
            None => Compression::from_name(&self.file).map_err(|e| Error::entry(&self.file, e))?,
        };
        // GNU tar's --level is the dump level of a -g dump, captar's the compression's: beside
        // -g, `--level=0` meant to make a full dump compressed at xz's level 0 and went on
        // from the snapshot.
        if let (Some(level), Some(_)) = (self.level, &self.listed_incremental) {
            return Err(Error::Usage(format!(
                "--level {level} with -g: GNU tar's --level is the dump level, captar's the compression level; write --dump-level={level} for the dump, or --compression-level={level}"
            )));
        }
        let level = self.level.or(self.compression_level);
        if let Some(level) = level {
            match compression.levels() {
                None => {
                    return Err(Error::Usage(format!(
                        "--level {level}: the archive is not compressed; add -z/--gzip, --zstd, -J/--xz or -j/--bzip2, or name it .tar.gz, .tar.zst, .tar.xz or .tar.bz2"
                    )));
                }
                Some(range) if !range.contains(&level) => {
                    return Err(Error::Usage(format!(
                        "--level {level}: {} compresses at levels {} to {}; choose one of them",
                        compression.name(),
                        range.start(),
                        range.end()
                    )));
                }
                Some(_) => {}
            }
        }
        // Without a level given, the compressor's own variable, as GNU tar's compressor child
        // reads it (`XZ_OPT=-9e tar -cJf`, `ZSTD_CLEVEL=19 tar --zstd -cf`).
        // A level given wins; xz's `-e` from its variables still applies, as xz keeps it when a
        // later option sets the level (`XZ_OPT=-e xz -9` is -9e); variables that cannot be read
        // are passed over then, `--level` being the way around them.
        let from_env = env_level(compression, |name| std::env::var_os(name));
        let (level, extreme) = match level {
            None => from_env?,
            Some(level) => (Some(level), from_env.is_ok_and(|(_, extreme)| extreme)),
        };
        let tags = self.tags(matches)?;
        // Paths, -T files and -C in command-line order: each path is read in the directory of
        // the -C before it.
        enum Item {
            Dir(PathBuf),
            Path(PathBuf),
            From(PathBuf),
        }
        let at = |id: &str| matches.indices_of(id).into_iter().flatten();
        let mut items: Vec<(usize, Item)> = (at("directory").zip(self.directory.into_iter().map(Item::Dir)))
            .chain(at("paths").zip(self.paths.into_iter().map(Item::Path)))
            .chain(at("files_from").zip(self.names.files_from.iter().cloned().map(Item::From)))
            .collect();
        items.sort_by_key(|(i, _)| *i);
        let mut dir = PathBuf::new();
        let mut paths = Vec::new();
        // A -C after the last path applies to nothing: GNU tar says so and fails too.
        if let Some((_, Item::Dir(d))) = items.last() {
            return Err(Error::Usage(format!(
                "-C {}: no path follows it, so it has no effect; put -C before the paths it is for",
                d.escaped()
            )));
        }
        for (_, item) in items {
            match item {
                Item::Dir(d) => dir = dir.join(d),
                Item::Path(path) => paths.push(Named { dir: dir.clone(), path }),
                // A -C line in the list changes the directory for the names after it, and for
                // the paths after the list, as in GNU tar.
                Item::From(file) => {
                    for entry in self.names.list_in(&file)? {
                        match entry {
                            Listed::Name(path) => paths.push(Named { dir: dir.clone(), path }),
                            Listed::Dir(d, _) => dir = dir.join(d),
                        }
                    }
                }
            }
        }
        // A snapshot names each directory by its path as walked: two directories `-C a .` and
        // `-C b .` are one `.` to it, and the second's listing, extracted with -G, removed the
        // first's files. GNU tar allows one -C with -g.
        // Two spellings of one directory (`-C a x -C ../a y`) are one directory.
        let same_dir = |a: &Path, b: &Path| {
            let id = |d: &Path| {
                std::fs::metadata(if d.as_os_str().is_empty() { Path::new(".") } else { d })
                    .map(|m| (m.dev(), m.ino()))
                    .ok()
            };
            // One that cannot be read is no second directory: opening it will say why.
            a == b || id(a).is_none() || id(b).is_none() || id(a) == id(b)
        };
        if self.listed_incremental.is_some()
            && let Some(first) = paths.first()
            && let Some(other) = paths.iter().find(|p| !same_dir(&p.dir, &first.dir))
        {
            let shown =
                |dir: &Path| if dir.as_os_str().is_empty() { ".".to_string() } else { dir.escaped().to_string() };
            return Err(Error::Usage(format!(
                "-g with paths from more than one -C directory ({} and {}): a snapshot names directories by their paths, which two directories would share; dump each with its own snapshot (GNU tar allows one -C with -g too)",
                shown(&first.dir),
                shown(&other.dir)
            )));
        }
        let no_recursion_at = matches.indices_of("no_recursion").into_iter().flatten().min();
        let excludes = self.names.excludes(Some((matches, no_recursion_at)))?;
        if self.listed_incremental.is_some() && !self.no_recursion {
            let plain_walk = excludes.is_empty() && tags.is_empty();
            paths = once_each_directory(paths, self.dereference, self.one_file_system, plain_walk);
        }
        // A listing names files as they are on disk, members by their new names: extracted
        // with -G, the listings would remove the members of earlier dumps.
        if self.listed_incremental.is_some() && !self.names.transform.is_empty() {
            return Err(Error::Usage(
                "-g with --transform: an incremental dump's listings name files as they are on disk, so extracting renamed members with -G would delete them; leave one out".into(),
            ));
        }
        Ok(CreateOptions {
            label: self.label,
            tags,
            ignore_failed_read: self.ignore_failed_read,
            by_inode: self.sort.as_deref() == Some("inode"),
            dereference: self.dereference,
            atime_preserve: self.atime_preserve.is_some(),
            checkpoints: None,
            record: crate::format::writer::RECORD,
            hard_dereference: self.hard_dereference,
            remove_files: self.remove_files,
            update: false,
            target,
            paths,
            // tar: `-T` naming nothing makes an empty archive; no path at all is an error.
            empty_ok: !self.names.files_from.is_empty(),
            xattrs: self.xattrs.policy(None)?,
            compression,
            level,
            extreme,
            excludes,
            transforms: self.names.transforms()?,
            one_file_system: self.one_file_system,
            recursive: !self.no_recursion,
            newer: match (&self.newer_mtime, &self.newer) {
                (Some(d), _) => Some(Newer { date: parse_mtime("--newer-mtime", d)?, ctime: false }),
                (None, Some(d)) => Some(Newer { date: parse_mtime("--newer", d)?, ctime: true }),
                (None, None) => None,
            },
            sparse: self.sparse,
            listed_incremental: self.listed_incremental.as_ref().map(|snapshot| ListedIncremental {
                snapshot: snapshot.clone(),
                level0: self.dump_level == Some(0),
                check_device: !self.no_check_device,
            }),
            stamp: Stamp {
                owner: self
                    .owner
                    .as_deref()
                    .map(|o| owner_spec("--owner", o, owners::uid_of, owners::user_name))
                    .transpose()?,
                group: self
                    .group
                    .as_deref()
                    .map(|g| owner_spec("--group", g, owners::gid_of, owners::group_name))
                    .transpose()?,
                numeric: self.numeric_owner,
                mtime: self.mtime.as_deref().map(|d| parse_mtime("--mtime", d)).transpose()?,
                clamp: self.clamp_mtime,
                mode: self.mode.as_deref().map(ModeChanges::parse).transpose().map_err(Error::Usage)?,
            },
            verbose: self.verbose,
            excluded_caps_were: Some("left out of the archive"),
            made: "archived",
            note_uncaptured: !self.xattrs.declined(),
            progress,
            not_into: None,
        })
    }
}

impl CreateArgs {
    /// The exclusion tags, the last given first: GNU tar checks a directory for them in that
    /// order, and the first it holds decides.
    fn tags(&self, matches: &clap::ArgMatches) -> Result<Vec<ExclusionTag>> {
        let at = |id: &str| matches.indices_of(id).into_iter().flatten();
        let cache = || OsString::from(CACHEDIR_TAG);
        let given = [
            (at("exclude_caches").zip(self.exclude_caches.then(cache)).collect::<Vec<_>>(), true, TagScope::Contents),
            (at("exclude_caches_under").zip(self.exclude_caches_under.then(cache)).collect(), true, TagScope::Under),
            (at("exclude_caches_all").zip(self.exclude_caches_all.then(cache)).collect(), true, TagScope::All),
            (at("exclude_tag").zip(self.exclude_tag.iter().cloned()).collect(), false, TagScope::Contents),
            (at("exclude_tag_under").zip(self.exclude_tag_under.iter().cloned()).collect(), false, TagScope::Under),
            (at("exclude_tag_all").zip(self.exclude_tag_all.iter().cloned()).collect(), false, TagScope::All),
        ];
        let mut tags: Vec<(usize, ExclusionTag)> = Vec::new();
        for (names, cache, scope) in given {
            for (index, name) in names {
                tags.push((index, ExclusionTag::new(&name, cache, scope).map_err(Error::Usage)?));
            }
        }
        tags.sort_by_key(|(index, _)| std::cmp::Reverse(*index));
        Ok(tags.into_iter().map(|(_, tag)| tag).collect())
    }
}

impl ExtractArgs {
    /// `matches` are the subcommand's, for the order of `-C` and the member names.
    pub(super) fn options(self, progress: bool, matches: &clap::ArgMatches) -> Result<ExtractOptions> {
        let top_level = self.one_top_level.as_deref().map(|dir| top_level(Path::new(dir), &self.file)).transpose()?;
        let backups = crate::extract::Backups::parse(
            self.backup.as_deref(),
            self.suffix.as_deref(),
            std::env::var("VERSION_CONTROL").ok().as_deref(),
            std::env::var_os("SIMPLE_BACKUP_SUFFIX").as_deref(),
        )
        .map_err(Error::Usage)?;
        let incremental = self.incremental || self.listed_incremental.is_some();
        if incremental && !self.select.names.transform.is_empty() {
            return Err(Error::Usage(
                "-G with --transform: an incremental dump's listings name files as archived, so the renamed ones would be removed again; leave one out".into(),
            ));
        }
        // Rename records name directories as archived: moved elsewhere, they would rename the
        // wrong directory or none, and the purge that follows would remove what they hold.
        if incremental && (self.strip_components > 0 || self.one_top_level.is_some()) {
            let opt = if self.strip_components > 0 { "--strip-components" } else { "--one-top-level" };
            return Err(Error::Usage(format!(
                "-G with {opt}: an incremental dump's listings and renames name directories as archived, so the files of a renamed directory would be removed; leave one out"
            )));
        }
        Ok(ExtractOptions {
            checkpoints: None,
            record: crate::format::writer::RECORD,
            incremental,
            copy: false,
            backups,
            select: self.select.selection(&self.file)?,
            archive: self.file,
            directory: reading_directory(self.directory, matches)?.unwrap_or_else(|| PathBuf::from(".")),
            xattrs: self.xattrs.policy(Some(EXTRACT_DEFAULT_INCLUDE))?,
            note_unasked_xattrs: !self.xattrs.declined(),
            same_owner: if self.no_same_owner { false } else { self.same_owner || is_root() },
            same_permissions: if self.no_same_permissions { false } else { self.same_permissions || is_root() },
            numeric_owner: self.numeric_owner,
            existing: if self.keep_old_files {
                Existing::Keep
            } else if self.skip_old_files {
                Existing::Skip
            } else if self.keep_newer_files {
                Existing::KeepNewer
            } else if self.no_overwrite_dir {
                Existing::NoOverwriteDir
            } else if self.unlink_first {
                Existing::UnlinkFirst
            } else {
                Existing::Replace
            },
            recursive_unlink: self.recursive_unlink,
            keep_going: self.keep_going,
            rootid: self.cap_rootid,
            verbose: self.verbose,
            to_stdout: self.to_stdout,
            touch: self.touch,
            strip_components: self.strip_components,
            top_level,
            keep_directory_symlink: self.keep_directory_symlink,
            progress,
        })
    }
}

/// The level (and xz's extreme flag) that `XZ_DEFAULTS` then `XZ_OPT` (xz and lzma) or
/// `ZSTD_CLEVEL` (zstd) ask for, read as xz 5.4 and zstd read them; `var` looks a variable up.
/// From xz's the preset (`-0`..`-9`, `--fast`, `--best`) and `-e`/`--extreme` are taken,
/// `-T`/`--threads N` is checked and passed over (captar compresses on every core, as
/// `xz -T0`), and options that change no output (`-q -Q -v -k -c -f -z`) are passed over;
/// anything else, or a value that is no level, is an error that names the variable rather
/// than an archive made otherwise than asked.
fn env_level(compression: Compression, var: impl Fn(&str) -> Option<OsString>) -> Result<(Option<i32>, bool)> {
    let bad = |name: &str, value: &OsStr, why: &str| {
        Err(Error::Usage(format!(
            "{name}={}: {why}; unset it, or give --level",
            String::from_utf8_lossy(value.as_bytes())
        )))
    };
    // xz's thread count: digits, with a `+` before and a size suffix after if any.
    let threads = |n: Option<&str>| {
        n.map(|n| n.strip_prefix('+').unwrap_or(n)).is_some_and(|n| {
            let digits = n.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0
                && ["", "k", "K", "kB", "KiB", "Ki", "M", "MB", "MiB", "Mi", "G", "GB", "GiB", "Gi"]
                    .contains(&&n[digits..])
        })
    };
    match compression {
        Compression::Zstd => {
            let Some(value) = var("ZSTD_CLEVEL").filter(|v| !v.is_empty()) else { return Ok((None, false)) };
            match value.to_str().and_then(|v| v.parse::<i32>().ok()).filter(|n| (1..=19).contains(n)) {
                Some(level) => Ok((Some(level), false)),
                None => bad("ZSTD_CLEVEL", &value, "captar's zstd levels are the whole numbers 1 to 19"),
            }
        }
        Compression::Xz | Compression::Lzma => {
            let (mut level, mut extreme) = (None, false);
            for name in ["XZ_DEFAULTS", "XZ_OPT"] {
                let Some(value) = var(name) else { continue };
                let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
                let not = |what: &str| {
                    bad(name, &value, &format!("captar takes the preset (-0 to -9, -e) and -T from it, not {what}"))
                };
                let no_count = |what: &str| bad(name, &value, &format!("{what} takes a thread count"));
                let mut words = text.split(|c: char| c.is_ascii_whitespace() || c == '\x0b').filter(|w| !w.is_empty());
                while let Some(word) = words.next() {
                    match word {
                        "--extreme" => extreme = true,
                        "--fast" => level = Some(0),
                        "--best" => level = Some(9),
                        "--threads" if threads(words.next()) => {}
                        "--threads" => return no_count("--threads"),
                        _ if word.starts_with("--threads=") => {
                            if !threads(word.strip_prefix("--threads=")) {
                                return no_count("--threads");
                            }
                        }
                        _ if word.starts_with('-') && !word.starts_with("--") && word.len() > 1 => {
                            let mut letters = word[1..].chars();
                            while let Some(c) = letters.next() {
                                match c {
                                    '0'..='9' => level = Some(c as i32 - '0' as i32),
                                    'e' => extreme = true,
                                    'q' | 'Q' | 'v' | 'k' | 'c' | 'f' | 'z' => {}
                                    'T' => {
                                        let rest = letters.as_str();
                                        if !threads(if rest.is_empty() { words.next() } else { Some(rest) }) {
                                            return no_count("-T");
                                        }
                                        break;
                                    }
                                    _ => return not(&format!("-{c}")),
                                }
                            }
                        }
                        _ => return not(word),
                    }
                }
            }
            Ok((level, extreme))
        }
        _ => Ok((None, false)),
    }
}

/// The paths of an incremental dump without a directory named twice or beneath another named
/// directory whose walk archives it (GNU tar's -g lists each directory once; a file named twice
/// goes in twice, with -g or without, as in GNU tar). Only where the walk surely reaches it
/// under the same name: names without `..` (`./d` and `d` are two), every directory on the
/// way a real one (not a symlink), listable, on the same filesystem with `one_file_system`, no
/// exclusion that could stop the walk (`plain_walk`), and not with `dereference` (the walk does
/// not enter a directory it is already in, and where it starts changes which: `-h d d/L/sub`
/// with `d/L -> .`), where only a name given twice is dropped. Otherwise a path stays, archived
/// twice at worst, never left out.
fn once_each_directory(paths: Vec<Named>, dereference: bool, one_file_system: bool, plain_walk: bool) -> Vec<Named> {
    if !plain_walk {
        return paths;
    }
    fn parts(p: &Path) -> Option<Vec<Component<'_>>> {
        let parts: Vec<_> = p.components().collect();
        (!parts.contains(&Component::ParentDir)).then_some(parts)
    }
    // The device of a directory the walk would enter, looked up without a trailing slash (which
    // would follow a symlink `Ld/` that the walk archives as the symlink).
    let dir_dev = |dir: &Path, parts: &[Component]| {
        let on_disk = dir.join(parts.iter().collect::<PathBuf>());
        let md = if dereference { std::fs::metadata(on_disk) } else { std::fs::symlink_metadata(on_disk) };
        md.ok().filter(|m| m.is_dir()).map(|m| m.dev())
    };
    // Each named directory's components and device, and where it was first named.
    let mut first = std::collections::HashMap::new();
    let mut dirs = Vec::with_capacity(paths.len());
    for (i, n) in paths.iter().enumerate() {
        let d = parts(&n.path).and_then(|d| dir_dev(&n.dir, &d).map(|dev| (d, dev)));
        if let Some((d, _)) = &d {
            first.entry(d.clone()).or_insert(i);
        }
        dirs.push(d);
    }
    // Each directory whose contents the walk lists (named, or reached by a walk, and readable),
    // with its device: found once per directory, not once per name beneath it.
    let mut lists: std::collections::HashMap<Vec<Component>, Option<u64>> = std::collections::HashMap::new();
    let mut keep = vec![true; paths.len()];
    for (i, d) in dirs.iter().enumerate() {
        let Some((d, dev)) = d else { continue };
        if first.get(d).is_some_and(|&j| j < i) {
            keep[i] = false;
            continue;
        }
        if dereference {
            continue;
        }
        let dir = &paths[i].dir;
        let listed = |key: &[Component], entered: Option<u64>| {
            entered.filter(|_| std::fs::read_dir(dir.join(key.iter().collect::<PathBuf>())).is_ok())
        };
        // Up from the parent to the nearest directory known or named, then down again.
        let mut unknown = Vec::new();
        let mut parent = None;
        for k in (1..d.len()).rev() {
            let key = &d[..k];
            if let Some(&known) = lists.get(key) {
                parent = known;
                break;
            }
            if first.contains_key(key) {
                parent = listed(key, dir_dev(dir, key));
                lists.insert(key.to_vec(), parent);
                break;
            }
            unknown.push(k);
        }
        for &k in unknown.iter().rev() {
            let key = &d[..k];
            parent = listed(key, parent.and_then(|p| dir_dev(dir, key).filter(|&dev| !one_file_system || dev == p)));
            lists.insert(key.to_vec(), parent);
        }
        keep[i] = !parent.is_some_and(|p| !one_file_system || *dev == p);
    }
    paths.into_iter().zip(keep).filter_map(|(n, keep)| keep.then_some(n)).collect()
}

/// `--one-top-level`'s directory: DIR as given (relative, without `..`), or the archive's name
/// less its suffixes (`app-1.2.tar.gz` → `app-1.2`), as GNU tar deduces it.
pub(super) fn top_level(dir: &Path, archive: &Path) -> Result<PathBuf> {
    // GNU tar's: a compression suffix (or .tar), then a .tar before it.
    const SUFFIXES: [&str; 18] = [
        ".tar", ".gz", ".tgz", ".taz", ".Z", ".taZ", ".bz2", ".tbz", ".tbz2", ".tz2", ".lz", ".lzma", ".tlz", ".lzo",
        ".xz", ".txz", ".zst", ".tzst",
    ];
    let dir = if dir.as_os_str().is_empty() {
        let base = archive.file_name().filter(|_| archive.as_os_str() != "-").map(|b| b.as_bytes()).unwrap_or_default();
        // An inner .tar goes too, after a suffix not starting with t (`a.tar.gz`, not
        // `a.tar.tgz`), when something is left before it (`.tar.gz` gives `.tar`).
        let stem = SUFFIXES.iter().find_map(|s| base.strip_suffix(s.as_bytes()).map(|stem| (stem, s)));
        let stem = stem.map(|(stem, suffix)| match stem.strip_suffix(b".tar") {
            Some(inner) if !suffix.starts_with(".t") && !inner.is_empty() => inner,
            _ => stem,
        });
        let stem = stem.filter(|s| !s.is_empty());
        let Some(stem) = stem else {
            let from = match archive.as_os_str() == "-" {
                true => "standard input".to_string(),
                false => format!("the archive's name {}", archive.escaped()),
            };
            return Err(Error::Usage(format!(
                "--one-top-level: cannot tell a directory name from {from}; give one: --one-top-level=DIR"
            )));
        };
        PathBuf::from(OsStr::from_bytes(stem))
    } else {
        dir.to_path_buf()
    };
    match crate::extract::SafeName::parse(&dir) {
        Ok(safe) if !safe.had_root && !safe.is_root() => Ok(safe.rel),
        _ => Err(Error::Usage(format!(
            "--one-top-level={}: give a directory beneath the destination (relative, without '..')",
            dir.escaped()
        ))),
    }
}

/// Checks the value of create's `--owner`, `--group` or `--mode` (`name`, without its `--`) as
/// GNU tar checks it in every mode, for a tar-style line of another mode that ignores it: an id
/// and a mode; a name is not looked up, nor a date read (GNU tar takes an unknown one there,
/// exit 0). `None` for another option.
pub(super) fn check_stamp_value(name: &[u8], value: &str) -> Option<Result<()>> {
    let flag = format!("--{}", String::from_utf8_lossy(name));
    Some(match name {
        // The id of `NAME:ID`, or digits alone: a number within 32 bits (GNU tar takes an
        // empty one, `+`, and 4294967295 there).
        b"owner" | b"group" => {
            let (named, id) = match value.rsplit_once(':') {
                Some((_, id)) => (true, id),
                None => (false, value),
            };
            let digits = id.strip_prefix('+').unwrap_or(id);
            let numeric = digits.bytes().all(|b| b.is_ascii_digit());
            match id_past_32_bits(&flag, value, id) {
                Some(e) if digits.parse::<u32>().is_err() => Err(e),
                _ if named && !numeric => Err(id_not_a_number(&flag, value, id)),
                _ => Ok(()),
            }
        }
        b"mode" => ModeChanges::parse(value).map(drop).map_err(Error::Usage),
        // A date is not read (GNU tar takes an unknown one there), but a file named for its
        // time must be there, as GNU tar's "Date sample file not found".
        b"mtime" if value.starts_with('/') || value.starts_with('.') => parse_mtime(&flag, OsStr::new(value)).map(drop),
        _ => return None,
    })
}

/// The error of an id `s` of `flag=spec` that is digits (after a `+`) past 32 bits, if it is
/// digits; the caller knows whether they fit.
fn id_past_32_bits(flag: &str, spec: &str, s: &str) -> Option<Error> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| {
        Error::Usage(format!("{flag}={spec}: {digits} is larger than any id (at most 4294967294); give a lower one"))
    })
}

/// The error of `NAME:ID` whose ID `id` is not a number.
fn id_not_a_number(flag: &str, spec: &str, id: &str) -> Error {
    Error::Usage(format!("{flag}={spec}: {id:?} is not a number; give NAME:ID"))
}

/// `--owner`/`--group`'s value as GNU tar reads it: `NAME:ID`, a name (its id looked up here),
/// or an id (`+ID` too, and `:ID`; its name looked up here, none recorded if unknown).
fn owner_spec(
    flag: &str,
    spec: &str,
    id_of: fn(&[u8]) -> Option<u32>,
    name_of: fn(u32) -> Option<&'static [u8]>,
) -> Result<(u32, Option<Vec<u8>>)> {
    // Not 4294967295, (uid_t)-1, which chown takes as "no change" and extraction refuses (found
    // by audit: captar archived it, then refused its own archive as damaged or hostile).
    let id = |s: &str| s.strip_prefix('+').unwrap_or(s).parse::<u32>().ok();
    let settable = |n: u32| match n {
        u32::MAX => Err(Error::Usage(format!(
            "{flag}={spec}: 4294967295 is no id a file can have (chown takes it as \"no change\"); give a lower one"
        ))),
        n => Ok(n),
    };
    // Digits past u32: a number, too large for an id (it was "not a number", or taken for a
    // name and "no such name").
    let too_large = |s: &str| id_past_32_bits(flag, spec, s);
    if let Some((name, n)) = spec.rsplit_once(':') {
        let n = id(n).ok_or_else(|| too_large(n).unwrap_or_else(|| id_not_a_number(flag, spec, n)))?;
        let n = settable(n)?;
        // `:ID`: the id's name here, as GNU tar records it (it recorded none; found by review).
        let name = if name.is_empty() { name_of(n).map(<[u8]>::to_vec) } else { Some(name.as_bytes().to_vec()) };
        return Ok((n, name));
    }
    if let Some(n) = id(spec) {
        let n = settable(n)?;
        return Ok((n, name_of(n).map(<[u8]>::to_vec)));
    }
    match id_of(spec.as_bytes()) {
        Some(n) => Ok((n, Some(spec.as_bytes().to_vec()))),
        None => Err(too_large(spec)
            .unwrap_or_else(|| Error::Usage(format!("{flag}={spec}: no such name on this system; give {spec}:ID")))),
    }
}

/// `--mtime`'s DATE: `@SECONDS`, an ISO 8601 date or date and time (local time unless it says
/// otherwise), or the path of a file whose modification time is taken (it starts with `/` or
/// `.`, as in GNU tar).
fn parse_mtime(flag: &str, date: &OsStr) -> Result<Time> {
    // A file's path is any bytes (a non-UTF-8 name was refused by the parser; found by review).
    if date.as_bytes().starts_with(b"/") || date.as_bytes().starts_with(b".") {
        // A symlink stands for its file, as in GNU tar.
        let md = std::fs::metadata(date).map_err(|e| Error::io(date, "read the date's reference file", e))?;
        return Ok(Time { secs: md.mtime(), nsecs: md.mtime_nsec() as u32 });
    }
    let date = &*date.to_string_lossy();
    let bad = || {
        let file = if Path::new(date).exists() { format!(" (./{date} for that file)") } else { String::new() };
        Error::Usage(format!(
            "{flag}={date:?}: not a date captar reads; give @SECONDS, YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS (with Z or +HH:MM for other than local time) or a file's path starting with / or .{file}"
        ))
    };
    // With a fraction too, as GNU tar reads it (`@1.25`, `@-1.5`: found by review, refused).
    if let Some(secs) = date.strip_prefix('@') {
        return Time::from_pax(secs).ok_or_else(bad);
    }
    let ts = if let Ok(ts) = date.parse::<jiff::Timestamp>() {
        ts
    } else if let Ok(dt) = date.parse::<jiff::civil::DateTime>() {
        jiff::tz::TimeZone::system().to_timestamp(dt).map_err(|_| bad())?
    } else if let Ok(d) = date.parse::<jiff::civil::Date>() {
        jiff::tz::TimeZone::system().to_timestamp(d.to_datetime(jiff::civil::Time::midnight())).map_err(|_| bad())?
    } else {
        return Err(bad());
    };
    Ok(time_of(ts))
}

/// `ts` as a `Time`: whole seconds counted down and nanoseconds forward, as a stat gives them.
/// jiff counts a time before 1970 with a fraction the other way (seconds toward zero and the
/// fraction negative), which was written `-0.15` for `1969-12-31T23:59:58.5Z` (found by
/// review; -1.5 is right).
fn time_of(ts: jiff::Timestamp) -> Time {
    let (secs, nsecs) = (ts.as_second(), ts.subsec_nanosecond());
    match nsecs < 0 {
        true => Time { secs: secs - 1, nsecs: (nsecs + 1_000_000_000) as u32 },
        false => Time { secs, nsecs: nsecs as u32 },
    }
}

/// The paths a `--files-from` file names: one per line, or per NUL with `--null`; empty ones
/// are none. `-` is standard input.
/// The lines of a `-T` list. A line that starts with `-` is an option, as GNU tar reads it:
/// `-C DIR`, `-CDIR`, `--directory=DIR` or `--directory DIR` (the directory of the names after
/// it), `--add-file=NAME` (a name that may start with `-`); any other is refused, naming the
/// line (it was taken for a file name: `-C /etc: stat: No such file or directory`). Lines
/// are names only with `--verbatim-files-from`, or with `--null`, as GNU tar 1.34 takes them.
fn list_from(file: &Path, null: bool, verbatim: bool) -> Result<Vec<Listed>> {
    let text = read_list(file, "read the list of files")?;
    let end = if null { b'\0' } else { b'\n' };
    // A line's CR stays, as in GNU tar: a list with Windows line ends named `a` for `a\r`,
    // another file where both are (create says what a missing `a\r` may mean).
    let lines = text.split(|&b| b == end);
    let mut out = Vec::new();
    for (n, line) in lines.enumerate() {
        if line.is_empty() {
            continue;
        }
        let name = |b: &[u8]| PathBuf::from(OsStr::from_bytes(b));
        if null || verbatim || !line.starts_with(b"-") || line == b"-" {
            out.push(Listed::Name(name(line)));
            continue;
        }
        let value = |long: &[u8], short: Option<&[u8]>| -> Option<&[u8]> {
            let after_long =
                line.strip_prefix(long).and_then(|v| v.strip_prefix(b"=").or_else(|| v.strip_prefix(b" ")));
            let after_short = short.and_then(|s| line.strip_prefix(s)).map(|v| v.strip_prefix(b" ").unwrap_or(v));
            after_long.or(after_short).filter(|v| !v.is_empty())
        };
        if let Some(dir) = value(b"--directory", Some(b"-C")) {
            out.push(Listed::Dir(name(dir), line.to_vec()));
        } else if let Some(added) = value(b"--add-file", None) {
            out.push(Listed::Name(name(added)));
        } else {
            let shown = Path::new(OsStr::from_bytes(line)).escaped();
            return Err(Error::Usage(format!(
                "{}: line {}: {}: a line that starts with '-' is an option there, as in GNU tar, and captar reads only -C DIR, --directory=DIR and --add-file=NAME; write a file of that name as ./{shown}, or pass --verbatim-files-from",
                file.escaped(),
                n + 1,
                quoted(line),
            )));
        }
    }
    Ok(out)
}

/// A list's contents (`-T`, `-X`): `-` is standard input, as GNU tar reads it.
fn read_list(file: &Path, op: &'static str) -> Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut text).map(|_| text)
    } else {
        std::fs::read(file)
    }
    .map_err(|e| Error::io(file, op, e))
}

/// The record size `-b N` or `--record-size=SIZE` asks for (GNU tar's default, 20 blocks,
/// without either).
pub(super) fn record_size(
    blocking_factor: Option<&str>,
    record_size: Option<&str>,
) -> std::result::Result<u64, String> {
    use crate::format::BLOCK;
    // At most 1 GiB: an archive is padded to a whole record.
    const MAX: u64 = 1 << 30;
    if let Some(n) = blocking_factor {
        return match n.parse::<u64>() {
            Ok(b) if b > 0 && b <= MAX / BLOCK as u64 => Ok(b * BLOCK as u64),
            _ => Err(format!(
                "-b {n}: not a blocking factor; give a number of 512-byte blocks from 1 to {}",
                MAX / BLOCK as u64
            )),
        };
    }
    let Some(text) = record_size else { return Ok(crate::format::writer::RECORD) };
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let scale: u64 = match unit {
        "" | "c" => 1,
        "b" => 512,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        _ => 0,
    };
    let size = digits.parse::<u64>().ok().and_then(|n| n.checked_mul(scale)).filter(|&s| s > 0 && s <= MAX);
    match size {
        Some(s) if s.is_multiple_of(BLOCK as u64) => Ok(s),
        Some(_) => {
            Err(format!("--record-size={text}: not a multiple of 512; give whole blocks (10240 is GNU tar's default)"))
        }
        None => Err(format!(
            "--record-size={text}: not a record size; give bytes, a multiple of 512 up to 1G, with b, k, M or G if wanted"
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::format::Time;
    use crate::format::compress::Compression;

    /// A date with a fraction of a second, before 1970 and after it, as the seconds before it
    /// and the nanoseconds after them (its pax text `-1.5`, not `-0.15`).
    #[test]
    fn dates_with_a_fraction_before_1970() {
        for (date, secs, nsecs) in [
            ("1969-12-31T23:59:58.5Z", -2, 500_000_000),
            ("1969-12-31T23:59:59.5Z", -1, 500_000_000),
            ("1960-01-01T00:00:00.000000001Z", -315_619_200, 1),
            ("1959-12-31T23:59:59.999999999Z", -315_619_201, 999_999_999),
            ("1960-01-01T00:00:00Z", -315_619_200, 0),
            ("1970-01-01T00:00:00.5Z", 0, 500_000_000),
            ("2020-01-01T00:00:00.25+01:00", 1_577_833_200, 250_000_000),
        ] {
            let t = super::parse_mtime("--mtime", std::ffi::OsStr::new(date)).unwrap();
            assert_eq!(t, Time { secs, nsecs }, "{date}");
        }
        let t = super::parse_mtime("--mtime", std::ffi::OsStr::new("1969-12-31T23:59:58.5Z")).unwrap();
        assert_eq!(t.to_pax(), "-1.5");
        // @SECONDS with a fraction, as GNU tar reads it.
        for (date, secs, nsecs) in [("@1.25", 1, 250_000_000), ("@-1.5", -2, 500_000_000), ("@7", 7, 0), ("@-3", -3, 0)]
        {
            assert_eq!(
                super::parse_mtime("--mtime", std::ffi::OsStr::new(date)).unwrap(),
                Time { secs, nsecs },
                "{date}"
            );
        }
        for bad in ["@", "@x", "@1.2.3", "@1e3", "@ 1"] {
            assert!(super::parse_mtime("--mtime", std::ffi::OsStr::new(bad)).is_err(), "{bad}");
        }
    }

    /// `XZ_OPT` and `ZSTD_CLEVEL` read as xz 5.4 and zstd read them (their forms checked by
    /// hand with the tools), the variables of other compressors left alone.
    #[test]
    fn compressor_variables_as_the_tools_read_them() {
        let read = |kind: Compression, name: &'static str, value: &str| {
            super::env_level(kind, |n| (n == name).then(|| value.into())).map_err(|e| e.to_string())
        };
        for (value, want) in [
            ("-9e", (Some(9), true)),
            ("-T0 -3", (Some(3), false)),
            ("-T 2 --extreme -1", (Some(1), true)),
            ("-9T2", (Some(9), false)),
            ("-e", (None, true)),
            ("--fast", (Some(0), false)),
            ("--best --threads=4", (Some(9), false)),
            ("--threads 4 -2", (Some(2), false)),
            ("  ", (None, false)),
            ("-qv -k\x0b-T+2 -T1k --threads=2 -8", (Some(8), false)),
        ] {
            assert_eq!(read(Compression::Xz, "XZ_OPT", value), Ok(want), "XZ_OPT={value}");
            assert_eq!(read(Compression::Lzma, "XZ_OPT", value), Ok(want), "XZ_OPT={value}");
        }
        for value in [
            "-9 -M 1GiB",
            "--memlimit=1G",
            "9",
            "-T",
            "--threads",
            "-Tabc",
            "--threads=x",
            "-T0e9",
            "-T -9",
            "--threads -9e",
        ] {
            let err = read(Compression::Xz, "XZ_OPT", value).unwrap_err();
            assert!(
                err.starts_with(&format!("XZ_OPT={value}: ")) && err.ends_with("unset it, or give --level"),
                "{err}"
            );
        }
        // XZ_DEFAULTS first, then XZ_OPT over it.
        let both = |d: &str, o: &str| {
            let (d, o) = (d.to_string(), o.to_string());
            super::env_level(Compression::Xz, move |n| match n {
                "XZ_DEFAULTS" => Some(d.clone().into()),
                "XZ_OPT" => Some(o.clone().into()),
                _ => None,
            })
            .map_err(|e| e.to_string())
        };
        assert_eq!(both("-9", "-e"), Ok((Some(9), true)));
        assert_eq!(both("-9e", "-3"), Ok((Some(3), true)));
        assert!(both("-M 1G", "-3").unwrap_err().starts_with("XZ_DEFAULTS=-M 1G: "));
        assert_eq!(read(Compression::Zstd, "ZSTD_CLEVEL", "19"), Ok((Some(19), false)));
        assert_eq!(read(Compression::Zstd, "ZSTD_CLEVEL", ""), Ok((None, false)));
        for value in ["0", "20", "-5", "3x"] {
            assert!(read(Compression::Zstd, "ZSTD_CLEVEL", value).is_err(), "ZSTD_CLEVEL={value}");
        }
        assert_eq!(read(Compression::Zstd, "XZ_OPT", "-9"), Ok((None, false)));
        assert_eq!(read(Compression::Gzip, "XZ_OPT", "-9"), Ok((None, false)));
        assert_eq!(read(Compression::Lzip, "ZSTD_CLEVEL", "19"), Ok((None, false)));
    }

    /// `--one-top-level`'s directory, deduced as GNU tar 1.34 deduces it (compared by hand:
    /// `tar --one-top-level -xf NAME`).
    #[test]
    fn top_level_directory_as_gnu_tar_deduces_it() {
        let deduced = |name: &str| super::top_level(Path::new(""), Path::new(name)).map_err(|e| e.to_string());
        for (name, dir) in [
            ("app-1.2.tar.gz", "app-1.2"),
            ("dir/app.tgz", "app"),
            ("a.b.tar", "a.b"),
            ("foo.tar.tar", "foo.tar"),
            ("foo.tar.tgz", "foo.tar"),
            (".tar.gz", ".tar"),
            ("x.tar.zst", "x"),
        ] {
            assert_eq!(deduced(name).unwrap(), Path::new(dir), "{name}");
        }
        for name in ["bar", "-", ".tar", "foo.tar.z"] {
            assert!(deduced(name).unwrap_err().contains("cannot tell a directory name"), "{name}");
        }
        let given = |dir: &str| super::top_level(Path::new(dir), Path::new("a.tar")).map_err(|e| e.to_string());
        assert_eq!(given("./x/").unwrap(), Path::new("x"));
        for dir in ["../x", "/abs", ".", "a/../b"] {
            assert!(given(dir).unwrap_err().contains("beneath the destination"), "{dir}");
        }
    }
}
