/*!
What to include: which xattrs to capture or restore (GNU tar's `--xattrs`,
`--xattrs-include`, `--xattrs-exclude` semantics, with `security.capability` on by default),
which paths `--exclude` leaves out, and which archive members a list, an extract or a verify
reads (the names given, as names or `--wildcards` globs, less what `--exclude` matches). Patterns
mean what fnmatch, GNU tar's matcher, makes of them.
*/

use crate::error::ShowPath;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::caps;
use crate::error::{Error, Result};

/// `pattern` in globset's syntax with fnmatch's meaning: braces are literal characters (fnmatch
/// has no `{a,b}`), and so is a backslash that escapes nothing at the end. A bracket expression
/// is copied as it is (a brace in it is a member of the class).
fn fnmatch_syntax(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => match chars.get(i + 1) {
                Some(&next) => {
                    out.push('\\');
                    out.push(next);
                    i += 1;
                }
                None => out.push_str("\\\\"),
            },
            '[' => match class_end(&chars, i) {
                Some(end) => {
                    out.extend(&chars[i..=end]);
                    i = end;
                }
                // No class: globset takes an unclosed `[` as itself.
                None => out.push('['),
            },
            c @ ('{' | '}') => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Where the bracket expression opened at `start` closes: the first `]` after its first
/// member (a `]` right after `[`, `[!` or `[^` is a member).
fn class_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if matches!(chars.get(i), Some('!' | '^')) {
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        i += 1;
    }
    (i..chars.len()).find(|&j| chars[j] == ']')
}

/// `pattern` matching only the name it spells (`--no-wildcards`).
fn literal(pattern: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pattern.len() + 4);
    for &b in pattern {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'{' | b'}' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// fnmatch patterns of names (`--exclude`, `-X`, `--wildcards`), any bytes, matched byte by
/// byte as GNU tar matches in the C locale: those in UTF-8 by one globset (whose `?` and
/// classes take one byte), the others (a name's raw bytes, `--exclude=$'\xff*'`) by
/// `fnmatch_bytes`, as globset's patterns are text (such a pattern was refused, or from `-X`
/// made text and matched nothing, without a word; found by review).
#[derive(Debug, Clone)]
pub struct Globs {
    set: GlobSet,
    /// For each of `set`'s patterns, its index among all of them.
    set_index: Vec<usize>,
    /// The patterns not in UTF-8, by index.
    raw: Vec<(usize, Vec<u8>)>,
}

impl Globs {
    pub fn new(patterns: &[Vec<u8>], what: &str) -> Result<Globs> {
        let (mut text, mut set_index, mut raw) = (Vec::new(), Vec::new(), Vec::new());
        for (i, p) in patterns.iter().enumerate() {
            match std::str::from_utf8(p) {
                Ok(s) => {
                    text.push(s.to_string());
                    set_index.push(i);
                }
                Err(_) => raw.push((i, p.clone())),
            }
        }
        Ok(Globs { set: glob_set(&text, what)?, set_index, raw })
    }

    pub fn empty() -> Globs {
        Globs { set: GlobSet::empty(), set_index: Vec::new(), raw: Vec::new() }
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.raw.is_empty()
    }

    pub fn is_match(&self, name: &Path) -> bool {
        self.set.is_match(name) || (!self.raw.is_empty() && self.raw_matches(name).next().is_some())
    }

    /// The indexes of the patterns that match `name`, into `into` (cleared first).
    pub fn matches_into(&self, name: &Path, into: &mut Vec<usize>) {
        self.set.matches_into(name, into);
        for i in into.iter_mut() {
            *i = self.set_index[*i];
        }
        if !self.raw.is_empty() {
            into.extend(self.raw_matches(name));
        }
    }

    fn raw_matches(&self, name: &Path) -> impl Iterator<Item = usize> {
        let name = name.as_os_str().as_bytes();
        self.raw.iter().filter(move |(_, p)| fnmatch_bytes(p, name)).map(|(i, _)| *i)
    }
}

/// fnmatch(3) without flags on bytes, as glibc matches a pattern or a name that is not in the
/// locale's encoding: `*` matches any run of bytes (`/` too), `?` one, `[...]` one of a set
/// (ranges, `!` or `^` to negate, POSIX classes such as `[:digit:]` of ASCII), a backslash
/// makes the next byte itself; a `[` that opens no set is itself.
fn fnmatch_bytes(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    // Where the last `*` was, and how much of the name it has taken: tried again with one
    // more byte on a mismatch.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() && p[pi] == b'*' {
            pi += 1;
            star = Some((pi, si));
            continue;
        }
        if pi == p.len() && si == s.len() {
            return true;
        }
        if let Some(next) = (pi < p.len() && si < s.len()).then(|| one_byte(p, pi, s[si])).flatten() {
            pi = next;
            si += 1;
            continue;
        }
        match star {
            Some((after, taken)) if taken < s.len() => {
                star = Some((after, taken + 1));
                pi = after;
                si = taken + 1;
            }
            _ => return false,
        }
    }
}

/// Whether the pattern's element at `pi` (not `*`) matches the byte `c`: where the element
/// ends if so.
fn one_byte(p: &[u8], pi: usize, c: u8) -> Option<usize> {
    match p[pi] {
        b'?' => return Some(pi + 1),
        b'[' => {
            if let Some((matched, end)) = bracket(p, pi, c) {
                return matched.then_some(end);
            }
        }
        b'\\' if pi + 1 < p.len() => return (p[pi + 1] == c).then_some(pi + 2),
        _ => {}
    }
    (p[pi] == c).then_some(pi + 1)
}

/// The bracket expression opened at `start`: whether `c` is in its set, and where it ends;
/// `None` where no `]` closes it.
fn bracket(p: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let is = |i: usize, b: u8| p.get(i) == Some(&b);
    let mut i = start + 1;
    let negate = is(i, b'!') || is(i, b'^');
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let &u = p.get(i)?;
        if u == b']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if is(i, b'[')
            && is(i + 1, b':')
            && let Some(close) = (i + 2..p.len().saturating_sub(1)).find(|&j| is(j, b':') && is(j + 1, b']'))
        {
            hit |= in_class(&p[i + 2..close], c)?;
            i = close + 2;
            continue;
        }
        let lo = if is(i, b'\\') && i + 1 < p.len() {
            i += 1;
            p[i]
        } else {
            u
        };
        i += 1;
        if is(i, b'-') && p.get(i + 1).is_some_and(|&h| h != b']') {
            let hi = if is(i + 1, b'\\') && i + 2 < p.len() { p[i + 2] } else { p[i + 1] };
            i += if is(i + 1, b'\\') { 3 } else { 2 };
            hit |= (lo..=hi).contains(&c);
        } else {
            hit |= lo == c;
        }
    }
}

/// Whether the byte `c` is in the POSIX class `name` (`alpha` of `[:alpha:]`), as a UTF-8
/// locale's single-byte tables have it (no byte above 0x7f is in any); `None` for no such class.
fn in_class(name: &[u8], c: u8) -> Option<bool> {
    Some(match name {
        b"alpha" => c.is_ascii_alphabetic(),
        b"digit" => c.is_ascii_digit(),
        b"alnum" => c.is_ascii_alphanumeric(),
        b"upper" => c.is_ascii_uppercase(),
        b"lower" => c.is_ascii_lowercase(),
        b"space" => matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
        b"blank" => c == b' ' || c == b'\t',
        b"punct" => c.is_ascii_punctuation(),
        b"xdigit" => c.is_ascii_hexdigit(),
        b"cntrl" => c.is_ascii_control(),
        b"print" => c.is_ascii_graphic() || c == b' ',
        b"graph" => c.is_ascii_graphic(),
        _ => return None,
    })
}

/// Builds a glob set where `*` also matches `/` (fnmatch without FNM_PATHNAME, as GNU tar);
/// as in fnmatch, a `[` that opens no class is itself.
pub fn glob_set(patterns: &[String], what: &str) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g = GlobBuilder::new(&fnmatch_syntax(p))
            .literal_separator(false)
            .backslash_escape(true)
            .allow_unclosed_class(true)
            .build()
            .map_err(|e| Error::Usage(format!("{what} {p:?} is not a valid pattern: {e}")))?;
        b.add(g);
    }
    b.build().map_err(|e| Error::Usage(format!("{what}: {e}")))
}

/// Which xattrs travel between disk and archive.
#[derive(Debug, Clone)]
pub struct XattrPolicy {
    /// `security.capability` (on unless `--no-caps`).
    pub caps: bool,
    /// Other xattrs (`--xattrs`, or implied by an include/exclude pattern).
    pub others: bool,
    include: GlobSet,
    exclude: GlobSet,
    include_empty: bool,
    /// `--xattrs`, `--xattrs-include` or `--xattrs-exclude` was given: other xattrs are chosen
    /// by pattern, not only by the names `also` holds.
    patterns: bool,
    /// Names `--acls` and `--selinux` ask for: kept whatever the patterns say, as GNU tar's
    /// options keep them apart from its xattr patterns.
    also: Vec<OsString>,
}

/// The SELinux label, handled with `--selinux` as GNU tar handles it (its own pax record).
pub const SELINUX_XATTR: &str = "security.selinux";

/// On extract, GNU tar restores only `user.*` unless told otherwise (src/xattrs.c,
/// `xattrs_kw_included`); on create it captures every namespace.
pub const EXTRACT_DEFAULT_INCLUDE: &str = "user.*";

impl XattrPolicy {
    /// `default_include` is used when `--xattrs` is given without `--xattrs-include`. `also`
    /// (the ACL xattrs for `--acls`, the label for `--selinux`) are added to whatever else is
    /// handled: alone, only them.
    pub fn new(
        caps: bool,
        xattrs: bool,
        include: &[String],
        exclude: &[String],
        default_include: Option<&str>,
        also: &[&str],
    ) -> Result<XattrPolicy> {
        let asked = xattrs || !include.is_empty() || !exclude.is_empty();
        let mut include_list: Vec<String> = if include.is_empty() {
            default_include.map(|d| vec![d.to_string()]).unwrap_or_default()
        } else {
            include.to_vec()
        };
        if !also.is_empty() {
            if !asked {
                include_list.clear();
            }
            // An empty list with other xattrs asked for is every xattr, these among them.
            if !asked || !include_list.is_empty() {
                include_list.extend(also.iter().map(|s| s.to_string()));
            }
        }
        Ok(XattrPolicy {
            caps,
            others: asked || !also.is_empty(),
            patterns: asked,
            include_empty: include_list.is_empty(),
            include: glob_set(&include_list, "--xattrs-include")?,
            exclude: glob_set(exclude, "--xattrs-exclude")?,
            also: also.iter().map(OsString::from).collect(),
        })
    }

    /// Capabilities only: the default of every command.
    pub fn caps_only() -> XattrPolicy {
        XattrPolicy::new(true, false, &[], &[], None, &[]).expect("no patterns")
    }

    /// Whether `--acls` (or `--selinux`) asked for this xattr by name, not a pattern.
    pub fn asks_for(&self, name: &OsStr) -> bool {
        self.also.iter().any(|a| a == name)
    }

    /// Whether the xattr `name` is kept. An explicit `--xattrs-exclude` applies to
    /// capabilities too; `--xattrs-include` never drops them.
    pub fn wants(&self, name: &OsStr) -> bool {
        if self.asks_for(name) {
            return true;
        }
        let excluded = self.exclude.is_match(Path::new(name));
        if name == caps::XATTR_NAME {
            return self.caps && !excluded;
        }
        self.others && !excluded && (self.include_empty || self.include.is_match(Path::new(name)))
    }

    /// Whether GNU tar's mask when reading lets the xattr `name` through: the patterns alone,
    /// the capability no exception (what `tar -tv --xattrs` marks and lists; `user.*` when no
    /// `--xattrs-include` was given, the default `XattrPolicy::new` was given).
    pub fn passes_patterns(&self, name: &OsStr) -> bool {
        !self.exclude.is_match(Path::new(name)) && (self.include_empty || self.include.is_match(Path::new(name)))
    }

    /// Whether no option chose xattrs by pattern: the default (capabilities only), or `--acls`
    /// and `--selinux` alone, which take only theirs. The others a file holds are then left out
    /// without a choice, and said (the notes of create and extract).
    pub fn without_patterns(&self) -> bool {
        !self.patterns
    }

    /// Whether only the capability can be wanted, so one call per file (`xattr::get_caps_fd`)
    /// suffices.
    pub fn caps_only_mode(&self) -> bool {
        !self.others
    }
}

/// `--exclude` patterns, matched as GNU tar does by default: against the whole member name and
/// against every tail of it that starts at a `/`, so `*.o` and `sub` match at any depth.
#[derive(Debug, Clone)]
pub struct Excludes {
    all: Globs,
    /// Those that also leave out a path named on the command line (or read from `-T`) below a
    /// directory they match (`matches_named`): in GNU tar, an `--exclude` or `-X` pattern given
    /// where recursion is on (before any `--no-recursion`), not `--exclude-vcs`'s or
    /// `--exclude-backups`' (checked beside GNU tar 1.34).
    leading: Globs,
}

/// GNU tar's `--exclude-vcs`: the directories and files of version control systems (CVS, RCS,
/// SCCS, Subversion, git, Arch, Bazaar, Mercurial, darcs), matched as names.
pub const VCS_NAMES: &[&str] = &[
    "CVS",
    ".cvsignore",
    "RCS",
    "SCCS",
    ".svn",
    ".git",
    ".gitignore",
    ".gitattributes",
    ".gitmodules",
    ".arch-ids",
    "{arch}",
    "=RELEASE-ID",
    "=meta-update",
    "=update",
    ".bzr",
    ".bzrignore",
    ".bzrtags",
    ".hg",
    ".hgignore",
    ".hgtags",
    "_darcs",
];

/// GNU tar's `--exclude-backups`: editors' backup and lock files, as globs (even with
/// `--no-wildcards`, as in GNU tar).
pub const BACKUP_GLOBS: &[&str] = &[".#*", "*~", "#*#"];

impl Excludes {
    /// `patterns`, each of which also matches a named path's leading directories.
    pub fn new(patterns: &[Vec<u8>]) -> Result<Excludes> {
        let all = Globs::new(patterns, "--exclude")?;
        Ok(Excludes { leading: all.clone(), all })
    }

    /// `globs` as fnmatch reads them, and `names` that match only the names they spell (with
    /// `--no-wildcards`, every pattern given; `--exclude-vcs`'s names), each with whether it
    /// also matches a named path's leading directories (`Excludes::leading`).
    pub fn with_names(globs: &[(Vec<u8>, bool)], names: &[(Vec<u8>, bool)]) -> Result<Excludes> {
        let patterns = globs.iter().cloned().chain(names.iter().map(|(n, leading)| (literal(n), *leading)));
        let (all, leading): (Vec<_>, Vec<_>) = patterns.map(|(p, leading)| (p.clone(), leading.then_some(p))).unzip();
        let leading: Vec<Vec<u8>> = leading.into_iter().flatten().collect();
        Ok(Excludes { all: Globs::new(&all, "--exclude")?, leading: Globs::new(&leading, "--exclude")? })
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    pub fn matches(&self, name: &Path) -> bool {
        any_tail_matches(&self.all, name)
    }

    /// `matches` for `name`, or of the `leading` patterns for any of its leading directories,
    /// as GNU tar matches a path named on the command line (`--exclude=/home /home/alice`
    /// leaves alice out) and an archive member. A walked entry needs no such check: its
    /// leading directories were walked, and matched, before it.
    pub fn matches_named(&self, name: &Path) -> bool {
        self.matches(name) || with_leading_dirs(name).skip(1).any(|n| any_tail_matches(&self.leading, n))
    }
}

/// Whether `globs` match `name` (a trailing `/` left out) or any tail of it after a `/`.
fn any_tail_matches(globs: &Globs, name: &Path) -> bool {
    if globs.is_empty() {
        return false;
    }
    let bytes = name.as_os_str().as_bytes();
    let bytes = bytes.strip_suffix(b"/").unwrap_or(bytes);
    if globs.is_match(Path::new(OsStr::from_bytes(bytes))) {
        return true;
    }
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'/')
        .any(|(i, _)| globs.is_match(Path::new(OsStr::from_bytes(&bytes[i + 1..]))))
}

/// `name`, then each of its leading directories (`a/b/c`: `a/b/c`, `a`, `a/b`).
fn with_leading_dirs(name: &Path) -> impl Iterator<Item = &Path> {
    let bytes = name.as_os_str().as_bytes();
    let cuts = bytes.iter().enumerate().filter(|&(i, &b)| b == b'/' && i > 0).map(|(i, _)| i);
    std::iter::once(name).chain(cuts.map(|end| Path::new(OsStr::from_bytes(&bytes[..end]))))
}

/// Which members of an archive a list, an extract or a verify reads: the member names given on
/// the command line (none: all) less what `--exclude` matches.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Only these members (and what is under them); none given selects everything.
    pub members: Vec<std::path::PathBuf>,
    pub excludes: Excludes,
    /// With `--wildcards`: the member names given, as globs (in their order).
    pub patterns: Option<Globs>,
    /// The names members are given (`--transform`); selection matches the names as archived.
    pub transforms: crate::transform::Transforms,
    /// Members after an end-of-archive marker too (GNU tar's `-i`: concatenated archives).
    pub ignore_zeros: bool,
    /// `--label GLOB`: the archive's volume label must match it (GNU tar's `-V` when reading).
    pub label: Option<String>,
    /// `--occurrence=N`: only the Nth member of each name given (GNU tar's option, for
    /// archives that hold a name more than once, after `append` or `update`).
    pub occurrence: Option<u64>,
    /// Neither `--wildcards` nor `--no-wildcards` was given: a name with pattern characters
    /// not found says `--wildcards` would match it as a pattern, as GNU tar says.
    pub wildcard_hint: bool,
}

impl Selection {
    /// Sets up `reader` for what this selection asks of the archive as a whole: `-i` and
    /// `--label`; and to read on past a damaged header (list, extract and verify do, reporting
    /// it with `Reader::next_reporting`).
    pub fn prepare(&self, reader: &mut crate::format::reader::Reader) -> Result<()> {
        reader.ignore_zeros(self.ignore_zeros);
        reader.skip_damage(true);
        if let Some(pattern) = &self.label {
            reader.require_label(pattern)?;
        }
        Ok(())
    }

    /// Every member.
    pub fn all() -> Selection {
        Selection {
            members: Vec::new(),
            excludes: Excludes { all: Globs::empty(), leading: Globs::empty() },
            patterns: None,
            transforms: Default::default(),
            ignore_zeros: false,
            label: None,
            occurrence: None,
            wildcard_hint: false,
        }
    }

    /// `members` as GNU tar's `--wildcards` reads them: globs matched against the whole
    /// member name, `*` matching `/` too.
    pub fn wildcards(members: &[std::path::PathBuf]) -> Result<Globs> {
        // `x/cache/` names the directory `x/cache`, as in GNU tar.
        let patterns: Vec<Vec<u8>> = members.iter().map(|m| strip_slash(m).as_os_str().as_bytes().to_vec()).collect();
        Globs::new(&patterns, "--wildcards: the member")
    }
}

/// The member names given on the command line (`captar extract -f a.tar usr/bin`): a member is
/// selected when it is one of them or beneath one, as with tar, and no `--exclude` pattern
/// matches it. Counts how often each name matched, so those that matched nothing (or fewer
/// times than `--occurrence` asks) can be reported.
pub struct Members<'a> {
    given: &'a [std::path::PathBuf],
    /// Each name as members are compared: relative, without `.` or a leading `/`; and, for a
    /// name with escapes, as GNU tar's listing quotes it (`tab\tx`), unquoted too.
    safe: Vec<(std::path::PathBuf, Option<std::path::PathBuf>)>,
    /// How many times each name was found, as GNU tar counts: a member of that name, or the
    /// first member beneath it while none was.
    found: Vec<u64>,
    occurrence: Option<u64>,
    /// Per pattern, for the member being matched: whether it matched, and whether it matched
    /// the whole name (reused).
    pattern_hits: Vec<Option<bool>>,
    /// Every member of or beneath a name counts (GNU tar's `--delete`), not only the name's own.
    count_every_member: bool,
    excludes: &'a Excludes,
    patterns: Option<&'a Globs>,
    /// The patterns a name matched (reused).
    hits: Vec<usize>,
    /// A name that is only the root (`.`, `/`) selects every path: a manifest's paths under
    /// `-C` all name files beneath the tree it names (`for_paths`).
    root_is_all: bool,
    /// `Selection::wildcard_hint`.
    wildcard_hint: bool,
    /// Whether reading can stop after the last member matched (`done`).
    done: bool,
    /// Whether reading may stop early at all: not where names are changed before GNU tar
    /// makes its check (`--transform`, `read_all`).
    may_stop: bool,
}

impl<'a> Members<'a> {
    pub fn new(selection: &'a Selection) -> Members<'a> {
        let given = &selection.members;
        let rel = crate::extract::SafeName::rel_of;
        let unquoted = |m: &Path| {
            crate::list::unquote_name(m.as_os_str().as_bytes()).map(|u| rel(Path::new(OsStr::from_bytes(&u))))
        };
        let safe = given.iter().map(|m| (rel(m), unquoted(m))).collect();
        let patterns = selection.patterns.as_ref();
        Members {
            given,
            safe,
            found: vec![0; given.len()],
            occurrence: selection.occurrence,
            pattern_hits: vec![None; given.len()],
            count_every_member: false,
            excludes: &selection.excludes,
            patterns,
            hits: Vec::new(),
            root_is_all: false,
            wildcard_hint: selection.wildcard_hint,
            done: false,
            may_stop: selection.transforms.is_empty(),
        }
    }

    /// Counts a match of name `i` (`whole`: the member is the name itself, not beneath it)
    /// as GNU tar does, and whether it selects the member: always, or with `--occurrence=N`
    /// when this is the name's Nth.
    fn found(&mut self, i: usize, whole: bool) -> bool {
        let count = &mut self.found[i];
        if whole || self.count_every_member || *count == 0 {
            *count += 1;
        }
        self.occurrence.is_none_or(|n| *count == n)
    }

    /// `new`, for delete: with `--occurrence`, every member of or beneath a name counts, as GNU
    /// tar's `--delete` counts them (its list and extract count a directory's members once).
    pub fn for_delete(selection: &'a Selection) -> Members<'a> {
        Members { count_every_member: true, ..Members::new(selection) }
    }

    /// `new`, for the paths of a manifest rather than an archive's members: `.` and `/` select
    /// them all (`verify --manifest caps.txt -C /mnt .`).
    pub fn for_paths(selection: &'a Selection) -> Members<'a> {
        Members { root_is_all: true, ..Members::new(selection) }
    }

    /// Whether every member is selected (nothing to match).
    pub fn all(&self) -> bool {
        self.given.is_empty() && self.excludes.is_empty()
    }

    /// Whether the member named `stored` (as the archive names it) is selected; `rel` is its
    /// safe relative path. Excludes match the name as stored, or a leading directory of it, at
    /// any depth, as GNU tar matches them when reading (`--exclude=cache` leaves out
    /// `x/cache/f`); a member name given still counts as found when its member is excluded.
    /// With `--wildcards`, a pattern selects a member when it matches the whole name, as
    /// stored or as extracted (without `./` or a leading `/`), or a leading directory of it.
    pub fn selects(&mut self, rel: &Path, stored: &Path) -> bool {
        let mut any = self.given.is_empty();
        match self.patterns {
            None => {
                for i in 0..self.given.len() {
                    let ((m, unquoted), given) = (&self.safe[i], &self.given[i]);
                    // A name that is only the root (`/`, `.`, `./`, `/.`: nothing once made
                    // relative) matches what is stored under it as given, as in GNU tar: `.`
                    // the members of an archive of `.`, `/` only a member named `/` (not those
                    // of an archive made with -P), not every member of any archive (a
                    // `delete "$DIR/"` with DIR empty removed them all).
                    let root = m.as_os_str().is_empty() && !given.as_os_str().is_empty() && !self.root_is_all;
                    if root {
                        let hit = if given.has_root() {
                            stored.as_os_str().as_bytes().iter().all(|&b| b == b'/')
                        } else {
                            stored.starts_with(given)
                        };
                        if hit {
                            let whole = strip_slash(stored) == strip_slash(given);
                            any |= self.found(i, whole);
                        }
                        continue;
                    }
                    let under = |m: &Path| rel.starts_with(m).then(|| rel == m);
                    if let Some(whole) = under(m).or_else(|| unquoted.as_deref().and_then(under)) {
                        any |= self.found(i, whole);
                    }
                }
            }
            Some(set) => {
                let stored = strip_slash(stored);
                for (whole, name) in [stored, rel].into_iter().flat_map(|n| with_leading_dirs(n).enumerate()) {
                    set.matches_into(name, &mut self.hits);
                    for &i in &self.hits {
                        let hit = &mut self.pattern_hits[i];
                        *hit = Some(hit.unwrap_or(false) || whole == 0);
                    }
                }
                for i in 0..self.given.len() {
                    if let Some(whole) = self.pattern_hits[i].take() {
                        any |= self.found(i, whole);
                    }
                }
            }
        }
        self.done = self.all_found_after(rel, stored);
        any && !self.excludes.matches_named(stored)
    }

    /// Whether the members after the last one matched need not be read: with `--occurrence`,
    /// every name was found as often as asked, and that member is neither a directory named
    /// with its trailing `/` nor beneath a name (more of that directory may follow). GNU tar
    /// stops reading there too (`all_names_found`), so an error further on is not met. Not
    /// with `--wildcards`, nor for delete, which copies the rest.
    pub fn done(&self) -> bool {
        self.done
    }

    /// Reading goes on to the end: names are changed (`--strip-components`, `--one-top-level`)
    /// before GNU tar's check, which captar makes on the names as archived.
    pub fn read_all(&mut self) {
        self.may_stop = false;
    }

    fn all_found_after(&self, rel: &Path, stored: &Path) -> bool {
        let Some(n) = self.occurrence.filter(|&n| n > 0) else { return false };
        if !self.may_stop || self.given.is_empty() || self.patterns.is_some() || self.count_every_member {
            return false;
        }
        let (rel, stored) = (rel.as_os_str().as_bytes(), stored.as_os_str().as_bytes());
        // A name's length in a member's name, followed by a `/` (GNU tar does not compare what
        // comes before it). The name's length as GNU tar takes it: without trailing slashes
        // (`./` is `.`, `/` stays); and as given, unquoted, or made relative: beneath any one
        // of them, the member may have more to come.
        let beneath = |name: &[u8], member: &[u8]| {
            let len = name.iter().rposition(|&b| b != b'/').map_or(name.len().min(1), |i| i + 1);
            member.get(len) == Some(&b'/')
        };
        let beneath_a_name = self.safe.iter().zip(self.given).any(|((m, unquoted), given)| {
            let unquoted = unquoted.as_deref().is_some_and(|u| beneath(u.as_os_str().as_bytes(), rel));
            beneath(m.as_os_str().as_bytes(), rel) || beneath(given.as_os_str().as_bytes(), stored) || unquoted
        });
        self.found.iter().all(|&c| c >= n) && !stored.ends_with(b"/") && !beneath_a_name
    }

    /// The errors for the names given that matched no member, or fewer times than
    /// `--occurrence` asks; `place` is what was read ("archive").
    pub fn not_found(&self, place: &str) -> Vec<String> {
        let wanted = self.occurrence.unwrap_or(1);
        let short = self.given.iter().zip(&self.found).filter(|(_, n)| **n < wanted);
        short
            .map(|(name, &count)| match count {
                0 if name.as_os_str().as_bytes().ends_with(b"\r") => {
                    format!("{}: not found in {place}{}", name.escaped(), CR_HINT)
                }
                // GNU tar says "Pattern matching characters used in file names. Use
                // --wildcards to enable pattern matching" (it was not said; found by review).
                0 if self.wildcard_hint && name.as_os_str().as_bytes().iter().any(|b| b"*?[".contains(b)) => {
                    format!("{}: not found in {place}{}", name.escaped(), WILDCARD_HINT)
                }
                0 => format!("{}: not found in {place}", name.escaped()),
                _ => format!(
                    "{}: required occurrence not found in {place} (found only {count}; --occurrence={wanted})",
                    name.escaped()
                ),
            })
            .collect()
    }
}

/// Said of a name not found that ends in a carriage return: a `-T` list with Windows line
/// ends names `a\r`, as GNU tar reads it.
pub const CR_HINT: &str = " (the name ends in a carriage return: a -T list with Windows line ends? convert it with dos2unix or sed 's/\\r$//')";

/// Said of a name not found that holds pattern characters, when neither `--wildcards` nor
/// `--no-wildcards` was given.
pub const WILDCARD_HINT: &str = " (the name holds pattern characters: add --wildcards to match it as a pattern, or --no-wildcards to say it is a name)";

/// `name` without a trailing `/` (a directory member's).
fn strip_slash(name: &Path) -> &Path {
    let bytes = name.as_os_str().as_bytes();
    Path::new(OsStr::from_bytes(bytes.strip_suffix(b"/").filter(|b| !b.is_empty()).unwrap_or(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::format::acl;

    const ACLS: [&str; 2] = [acl::ACCESS_XATTR, acl::DEFAULT_XATTR];

    #[test]
    fn gnu_tar_xattr_semantics() {
        let caps_only = XattrPolicy::caps_only();
        assert!(caps_only.wants(OsStr::new("security.capability")));
        assert!(!caps_only.wants(OsStr::new("user.x")));
        let all = XattrPolicy::new(true, true, &[], &[], None, &[]).unwrap();
        assert!(all.wants(OsStr::new("trusted.x")));
        let extract = XattrPolicy::new(true, true, &[], &[], Some(EXTRACT_DEFAULT_INCLUDE), &[]).unwrap();
        assert!(extract.wants(OsStr::new("user.x")));
        assert!(!extract.wants(OsStr::new("trusted.x")));
        assert!(extract.wants(OsStr::new("security.capability")));
        let inc =
            XattrPolicy::new(true, false, &["security.*".into()], &["security.selinux".into()], None, &[]).unwrap();
        assert!(inc.wants(OsStr::new("security.ima")));
        assert!(!inc.wants(OsStr::new("security.selinux")));
        assert!(!inc.wants(OsStr::new("user.a")));
        let no_caps = XattrPolicy::new(false, true, &[], &[], None, &[]).unwrap();
        assert!(!no_caps.wants(OsStr::new("security.capability")));
        let ex = XattrPolicy::new(true, false, &[], &["security.capability".into()], None, &[]).unwrap();
        assert!(!ex.wants(OsStr::new("security.capability")));
    }

    /// --acls adds the ACL xattrs to what the other options ask for; alone, only them.
    #[test]
    fn acls_add_the_acl_xattrs() {
        let (access, default) = (OsStr::new(acl::ACCESS_XATTR), OsStr::new(acl::DEFAULT_XATTR));
        let user = OsStr::new("user.x");
        let d = Some(EXTRACT_DEFAULT_INCLUDE);
        let exclude_tmp = ["user.tmp*".to_string()];
        // (xattrs, include, exclude, default) → wants user.x?
        type Case<'a> = (bool, &'a [String], &'a [String], Option<&'a str>, bool);
        let cases: [Case; 6] = [
            (false, &[], &[], d, false),
            (false, &[], &[], None, false),
            (true, &[], &[], d, true),
            (true, &[], &[], None, true),
            (false, &[], &exclude_tmp, d, true),
            (false, &[], &exclude_tmp, None, true),
        ];
        for (i, (xattrs, include, exclude, default_include, wants_user)) in cases.into_iter().enumerate() {
            let p = XattrPolicy::new(true, xattrs, include, exclude, default_include, &ACLS).unwrap();
            assert!(p.wants(access) && p.wants(default), "case {i}");
            assert_eq!(p.wants(user), wants_user, "case {i}");
            assert_eq!(
                p.wants(OsStr::new("trusted.x")),
                (xattrs || !exclude.is_empty()) && default_include.is_none(),
                "case {i}"
            );
        }
        let only = XattrPolicy::new(true, false, &["user.a".into()], &[], d, &ACLS).unwrap();
        assert!(only.wants(OsStr::new("user.a")) && only.wants(access) && !only.wants(user));
    }

    /// Patterns mean what fnmatch (GNU tar's) makes of them: no brace alternatives, a lone `[`
    /// and a final `\\` are literal, `[!a]` and `[^a]` negate, a brace in a class is a member
    /// (and only it: not a backslash).
    #[test]
    fn fnmatch_syntax_as_gnu_tar() {
        for (pattern, name, matches) in [
            ("{a,b}", "{a,b}", true),
            ("{a,b}", "a", false),
            ("c[", "c[", true),
            ("[x]", "x", true),
            ("[x]", "[x]", false),
            ("\\[x\\]", "[x]", true),
            ("[!a]", "b", true),
            ("[!a]", "a", false),
            ("[^a]", "a", false),
            ("x\\", "x\\", true),
            ("[{]q", "{q", true),
            ("[{]q", "\\q", false),
            ("[!{]q", "\\q", true),
            ("[]{]q", "]q", true),
            ("*/[}]q", "a/}q", true),
            ("[a-{]", "b", true),
            ("*.o", "d/e.o", true),
        ] {
            let set = glob_set(&[pattern.to_string()], "test").unwrap();
            assert_eq!(set.is_match(name), matches, "{pattern} against {name}");
            // The matcher of patterns or names not in UTF-8 means the same.
            assert_eq!(fnmatch_bytes(pattern.as_bytes(), name.as_bytes()), matches, "{pattern} raw");
        }
    }

    /// Patterns with bytes of no UTF-8 character (a name's raw bytes) match those bytes, as
    /// GNU tar's fnmatch does, through `Globs` beside UTF-8 ones, each by its own index; byte
    /// by byte (`?` takes one byte of `é`), as GNU tar 1.34 with glibc 2.36 excludes in the C
    /// locale and, for a pattern or a name not in UTF-8, in C.UTF-8 too (`--exclude=$'??\xff'`
    /// leaves out `é\xff`, `$'?\xff'` does not).
    #[test]
    fn patterns_of_any_bytes() {
        for (pattern, name, matches) in [
            (&b"sym\xff"[..], &b"sym\xff"[..], true),
            (b"sym\xff", b"sym\xfe", false),
            (b"*\xff*", b"a/b\xffc", true),
            (b"*\xff", b"a\xff\xff", true),
            (b"?\xff", b"\xc3\xa9\xff", false),
            (b"??\xff", b"\xc3\xa9\xff", true),
            (b"[[:alpha:]]?\xff", b"\xc3\xa9\xff", false),
            (b"x[\xf0-\xff]", b"x\xfe", true),
            (b"x[!\xf0-\xff]", b"x\xfe", false),
            (b"x[!\xf0-\xff]", b"xa", true),
            (b"[[:digit:]]\xff", b"7\xff", true),
            (b"[[:alpha:]]\xff", b"7\xff", false),
            (b"\\*\xff", b"*\xff", true),
            (b"\\*\xff", b"a\xff", false),
            (b"[\xff", b"[\xff", true),
            (b"*a*b*\xff", b"xaybz\xff", true),
            (b"*a*b*\xff", b"xbya\xff", false),
        ] {
            let shown = String::from_utf8_lossy(pattern);
            assert_eq!(fnmatch_bytes(pattern, name), matches, "{shown}");
        }
        let globs = Globs::new(&[b"a*".to_vec(), b"*\xff".to_vec(), b"*b".to_vec()], "test").unwrap();
        let mut hits = Vec::new();
        globs.matches_into(Path::new(OsStr::from_bytes(b"a\xff")), &mut hits);
        assert_eq!(hits, [0, 1]);
        globs.matches_into(Path::new(OsStr::from_bytes(b"b\xffb")), &mut hits);
        assert_eq!(hits, [2]);
        assert!(!globs.is_match(Path::new("c")) && globs.is_match(Path::new("c\u{ff}b")));
        // A pattern in UTF-8, whatever the name: byte by byte too (globset's).
        let name = |b: &[u8]| Path::new(OsStr::from_bytes(b)).to_path_buf();
        let one = |p: &[u8], n: &[u8]| Globs::new(&[p.to_vec()], "test").unwrap().is_match(&name(n));
        assert!(one(b"?", b"\xff") && one(b"???", b"\xc3\xa9\xff") && !one(b"??", b"\xc3\xa9\xff"));
        assert!(one(b"d/*", b"d/\xff") && one(b"[!a]", b"\xfe") && !one(b"[a-z]", b"\xfe"));
        assert!(!one("?".as_bytes(), "\u{e9}".as_bytes()) && one(b"??", "\u{e9}".as_bytes()));
        assert!(!one("[\u{e9}]".as_bytes(), "\u{e9}".as_bytes()) && !one(b"[[:alpha:]]", "\u{e9}".as_bytes()));
        let globs = Globs::new(&[b"?".to_vec(), b"x*".to_vec(), b"*\xfe".to_vec()], "test").unwrap();
        globs.matches_into(&name(b"x\xff"), &mut hits);
        assert_eq!(hits, [1]);
        globs.matches_into(&name(b"\xfe"), &mut hits);
        hits.sort_unstable();
        assert_eq!(hits, [0, 2]);
    }

    #[test]
    fn excludes_match_any_tail() {
        let ex = Excludes::new(&[b"*.o".to_vec(), b"cache".to_vec()]).unwrap();
        assert!(ex.matches(Path::new("a/b/c.o")));
        assert!(ex.matches(Path::new("x/cache/")));
        assert!(!ex.matches(Path::new("x/cached")));
        assert!(!ex.matches(Path::new("x/c.os")));
    }

    #[test]
    fn a_named_path_also_matches_by_its_leading_directories() {
        let ex = Excludes::new(&[b"/home".to_vec(), b"cache".to_vec(), b"b/c".to_vec()]).unwrap();
        for (name, named, walked) in [
            ("/home/alice", true, false),
            ("/home", true, true),
            ("/homes/alice", false, false),
            ("x/cache/y/z", true, false),
            ("a/b/c/d", true, false),
            ("a/b/cd/e", false, false),
            ("cache", true, true),
        ] {
            assert_eq!(ex.matches_named(Path::new(name)), named, "{name} named");
            assert_eq!(ex.matches(Path::new(name)), walked, "{name} walked");
        }
    }
}
