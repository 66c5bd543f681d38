//! GNU tar's `--transform` (`--xform`): sed-like `s/REGEX/REPLACEMENT/FLAGS` expressions that
//! rewrite member names as they are archived or extracted.
//!
//! The expressions are GNU tar's: any delimiter after the `s`, several expressions separated by
//! `;` or given as several options (applied in order, each to the previous one's result), the
//! flags `g` (every match), `i` (ignore case), `x` (extended regular expressions), a number N
//! (the Nth match; with `g`, it and every later one), and `r`/`s`/`h` (`R`/`S`/`H`: not) to say
//! whether it applies to member names, symlink targets and hard-link targets (all three unless
//! told); `flags=...;` changes that default for the expressions after it. The replacement
//! knows `&`, `\1`..`\9`, `\L`, `\U`, `\l`, `\u`, `\E` and the C escapes.
//!
//! The regular expressions are POSIX's, basic unless `x` is given, as GNU's regcomp reads them
//! (with its `\+`, `\?`, `\|`, `\<`, `\>` and `\w` extensions), translated to the `regex`
//! crate's syntax and matched on bytes in the C locale. Two things differ: back-references in the
//! pattern (`\(a\)\1`) are refused (the crate has none), and an alternation takes the first
//! alternative that matches rather than POSIX's longest.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use regex::bytes::{Captures, Regex, RegexBuilder};

use crate::format::{EntryMeta, Kind};

/// What a name is: GNU tar's XFORM_REGFILE, XFORM_SYMLINK, XFORM_LINK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// A member's own name (of any type).
    Name,
    /// A symbolic link's target.
    Symlink,
    /// A hard link's target (another member's name).
    HardLink,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Applies {
    name: bool,
    symlink: bool,
    hard_link: bool,
}

impl Applies {
    const ALL: Applies = Applies { name: true, symlink: true, hard_link: true };

    fn to(self, part: Part) -> bool {
        match part {
            Part::Name => self.name,
            Part::Symlink => self.symlink,
            Part::HardLink => self.hard_link,
        }
    }

    /// One of `rRsShH`; `false` for any other character.
    fn set(&mut self, flag: char) -> bool {
        match flag {
            'r' | 'R' => self.name = flag == 'r',
            's' | 'S' => self.symlink = flag == 's',
            'h' | 'H' => self.hard_link = flag == 'h',
            _ => return false,
        }
        true
    }
}

/// The transform expressions of a command line, in order.
#[derive(Debug, Clone, Default)]
pub struct Transforms {
    exprs: Vec<Expr>,
    /// Names are shown as transformed (`-v`, a listing), not as archived or found on disk
    /// (GNU tar's `--show-transformed-names`).
    pub show: bool,
}

#[derive(Debug, Clone)]
struct Expr {
    regex: Regex,
    replacement: Vec<Segment>,
    /// Every match from `nth` on, rather than the `nth` only.
    global: bool,
    /// Which match (1 for the first).
    nth: usize,
    applies: Applies,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(Vec<u8>),
    Group(usize),
    Case(Case),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// `\E`
    Stop,
    /// `\U`, `\L`: until `\E` or the other.
    Upper,
    Lower,
    /// `\u`, `\l`: the next character.
    UpperNext,
    LowerNext,
}

impl Transforms {
    /// Parses the `--transform` options' values, in the order given. The error is one line
    /// naming the expression.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<Transforms, String> {
        let mut exprs = Vec::new();
        let mut applies = Applies::ALL;
        for arg in args {
            let arg = arg.as_ref();
            let mut rest = arg;
            while !rest.is_empty() {
                rest = parse_one(rest, &mut applies, &mut exprs)
                    .map_err(|why| format!("invalid --transform expression '{arg}': {why}"))?;
            }
        }
        Ok(Transforms { exprs, show: false })
    }

    pub fn is_empty(&self) -> bool {
        self.exprs.is_empty()
    }

    /// `input` through every expression that applies to `part`.
    pub fn apply<'a>(&self, part: Part, input: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out = Cow::Borrowed(input);
        for expr in self.exprs.iter().filter(|e| e.applies.to(part)) {
            if let Some(changed) = expr.apply(&out) {
                out = Cow::Owned(changed);
            }
        }
        out
    }

    /// Renames a member: its name, and a symlink's or a hard link's target, as the flags say;
    /// whether an expression rewrote its name.
    pub fn rename(&self, meta: &mut EntryMeta) -> bool {
        if self.is_empty() {
            return false;
        }
        let renamed = match self.path(Part::Name, &meta.path) {
            Cow::Owned(path) => Some(path),
            Cow::Borrowed(_) => None,
        };
        let changed = renamed.is_some();
        if let Some(path) = renamed {
            meta.path = path;
        }
        let part = match meta.kind {
            Kind::Symlink => Part::Symlink,
            Kind::HardLink => Part::HardLink,
            _ => return changed,
        };
        if let Some(link) = &meta.link
            && let Cow::Owned(link) = self.path(part, link)
        {
            meta.link = Some(link);
        }
        changed
    }

    /// [`Transforms::apply`] on a path. A member name's trailing `/` (a directory's) is not
    /// part of what is transformed, and is kept (as GNU tar).
    pub fn path<'a>(&self, part: Part, path: &'a Path) -> Cow<'a, Path> {
        let bytes = path.as_os_str().as_bytes();
        let end = match part {
            Part::Name => bytes.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1),
            Part::Symlink | Part::HardLink => bytes.len(),
        };
        match self.apply(part, &bytes[..end]) {
            Cow::Borrowed(_) => Cow::Borrowed(path),
            Cow::Owned(mut changed) => {
                // A name transformed to nothing stays empty (a directory's too: the root).
                if !changed.is_empty() {
                    changed.extend_from_slice(&bytes[end..]);
                }
                Cow::Owned(OsStr::from_bytes(&changed).to_owned().into())
            }
        }
    }
}

/// Parses one expression (or `flags=...`) at the start of `text`; returns what follows it (after
/// its `;`).
fn parse_one<'a>(text: &'a str, applies: &mut Applies, exprs: &mut Vec<Expr>) -> Result<&'a str, String> {
    if let Some(flags) = text.strip_prefix("flags=") {
        let (flags, rest) = flags.split_once(';').unwrap_or((flags, ""));
        let mut set = Applies { name: false, symlink: false, hard_link: false };
        for c in flags.chars() {
            if !set.set(c) {
                return Err(format!("unknown flag '{c}' in flags= (r, s, h and R, S, H are known)"));
            }
        }
        *applies = set;
        return Ok(rest);
    }
    let Some(body) = text.strip_prefix('s') else {
        return Err("an expression is s/REGEX/REPLACEMENT/FLAGS".into());
    };
    let mut chars = body.char_indices();
    let Some((_, delim)) = chars.next() else {
        return Err("no delimiter after the s".into());
    };
    let body = &body[delim.len_utf8()..];
    let (pattern, after) = split_at_delim(body, delim).ok_or("the regular expression has no closing delimiter")?;
    let (replacement, after) = split_at_delim(after, delim).ok_or("the replacement has no closing delimiter")?;
    let (flags, rest) = after.split_once(';').unwrap_or((after, ""));
    let mut expr_applies = *applies;
    let (mut global, mut nth, mut icase, mut extended) = (false, 1usize, false, false);
    let mut flag_chars = flags.char_indices().peekable();
    while let Some((i, c)) = flag_chars.next() {
        match c {
            'g' => global = true,
            'i' => icase = true,
            'x' => extended = true,
            // Read as GNU tar reads it (strtoul, base 0): `010` is 8, `0x10` 16; 0 is none.
            '0'..='9' => {
                // `0x` without a hex digit after it is a 0, then the flag `x` (as strtoul reads it).
                let hex = c == '0'
                    && flags[i + 1..].starts_with(['x', 'X'])
                    && flags[i + 2..].starts_with(|d: char| d.is_ascii_hexdigit());
                let (radix, start) = match (hex, c) {
                    (true, _) => (16, i + 2),
                    (false, '0') => (8, i),
                    _ => (10, i),
                };
                let digits = flags[start..].chars().take_while(|d| d.is_digit(radix)).count();
                let end = start + digits;
                while flag_chars.peek().is_some_and(|&(j, _)| j < end) {
                    flag_chars.next();
                }
                let number = &flags[start..end];
                nth = match number {
                    "" => 1,
                    n => usize::from_str_radix(n, radix).map_err(|_| format!("match number {n} is too large"))?.max(1),
                };
            }
            c if expr_applies.set(c) => {}
            c => return Err(format!("unknown flag '{c}' (g, i, x, a number, r, s, h, R, S, H are known)")),
        }
    }
    // GNU tar replaces once when the expression is anchored.
    if pattern.starts_with('^') || pattern.ends_with('$') {
        global = false;
    }
    let translated = translate(pattern, extended)?;
    let regex = RegexBuilder::new(&translated)
        .unicode(false)
        .case_insensitive(icase)
        .dot_matches_new_line(true)
        .build()
        .map_err(|e| {
            // The crate's message quotes the translated expression; its last line says why.
            let text = e.to_string();
            let why = text.lines().last().unwrap_or("invalid regular expression").trim();
            why.strip_prefix("error: ").unwrap_or(why).to_string()
        })?;
    let replacement = parse_replacement(replacement, delim);
    if let Some(n) = replacement.iter().find_map(|s| match s {
        Segment::Group(n) if *n >= regex.captures_len() => Some(*n),
        _ => None,
    }) {
        return Err(format!("\\{n} refers to a group the regular expression does not have"));
    }
    exprs.push(Expr { regex, replacement, global, nth, applies: expr_applies });
    Ok(rest)
}

/// The text up to the first `delim` not escaped by a backslash, and what follows that `delim`.
fn split_at_delim(text: &str, delim: char) -> Option<(&str, &str)> {
    // A backslash delimiter escapes nothing (GNU tar looks for the delimiter first).
    if delim == '\\' {
        return text.split_once('\\');
    }
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == delim {
            return Some((&text[..i], &text[i + delim.len_utf8()..]));
        }
    }
    None
}

fn parse_replacement(text: &str, delim: char) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut literal = String::new();
    let mut push = |segment: Segment, literal: &mut String| {
        if !literal.is_empty() {
            out.push(Segment::Literal(std::mem::take(literal).into_bytes()));
        }
        out.push(segment);
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '&' {
            push(Segment::Group(0), &mut literal);
            continue;
        }
        if c != '\\' {
            literal.push(c);
            continue;
        }
        // A final backslash stands for itself.
        let Some(e) = chars.next() else {
            literal.push('\\');
            break;
        };
        match e {
            '0'..='9' => {
                let mut n = e.to_digit(10).unwrap_or(0) as usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n.saturating_mul(10).saturating_add(d as usize);
                    chars.next();
                }
                push(Segment::Group(n), &mut literal);
            }
            'L' => push(Segment::Case(Case::Lower), &mut literal),
            'U' => push(Segment::Case(Case::Upper), &mut literal),
            'l' => push(Segment::Case(Case::LowerNext), &mut literal),
            'u' => push(Segment::Case(Case::UpperNext), &mut literal),
            'E' => push(Segment::Case(Case::Stop), &mut literal),
            '\\' | '&' => literal.push(e),
            'a' => literal.push('\u{7}'),
            'b' => literal.push('\u{8}'),
            'f' => literal.push('\u{c}'),
            'n' => literal.push('\n'),
            'r' => literal.push('\r'),
            't' => literal.push('\t'),
            'v' => literal.push('\u{b}'),
            e if e == delim => literal.push(e),
            // Any other escape stands for itself, backslash included (as GNU tar).
            e => {
                literal.push('\\');
                literal.push(e);
            }
        }
    }
    if !literal.is_empty() {
        out.push(Segment::Literal(literal.into_bytes()));
    }
    out
}

impl Expr {
    /// The input with this expression's replacements; `None` when nothing matched.
    fn apply(&self, input: &[u8]) -> Option<Vec<u8>> {
        // GNU tar leaves an empty name alone.
        if input.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(input.len() + 16);
        let mut copied = 0;
        let mut seen = 0;
        let mut replaced = false;
        for caps in self.regex.captures_iter(input) {
            seen += 1;
            if seen < self.nth {
                continue;
            }
            let m = caps.get(0).expect("group 0 always matches");
            out.extend_from_slice(&input[copied..m.start()]);
            self.replace(&caps, &mut out);
            copied = m.end();
            replaced = true;
            if !self.global {
                break;
            }
        }
        if !replaced {
            return None;
        }
        out.extend_from_slice(&input[copied..]);
        Some(out)
    }

    /// Appends the replacement for one match, with GNU tar's case conversions.
    fn replace(&self, caps: &Captures<'_>, out: &mut Vec<u8>) {
        let mut case = Case::Stop;
        // What `\u`/`\l` return to after their one character.
        let mut saved = Case::Stop;
        for segment in &self.replacement {
            let text: &[u8] = match segment {
                Segment::Literal(bytes) => bytes,
                Segment::Group(n) => match caps.get(*n) {
                    Some(m) => m.as_bytes(),
                    None => continue,
                },
                Segment::Case(c) => {
                    if matches!(c, Case::UpperNext | Case::LowerNext)
                        && !matches!(saved, Case::UpperNext | Case::LowerNext)
                    {
                        saved = case;
                    }
                    case = *c;
                    continue;
                }
            };
            let start = out.len();
            out.extend_from_slice(text);
            let added = &mut out[start..];
            match case {
                Case::Stop => continue,
                Case::Upper => added.make_ascii_uppercase(),
                Case::Lower => added.make_ascii_lowercase(),
                Case::UpperNext => added.iter_mut().take(1).for_each(|b| b.make_ascii_uppercase()),
                Case::LowerNext => added.iter_mut().take(1).for_each(|b| b.make_ascii_lowercase()),
            }
            if matches!(case, Case::UpperNext | Case::LowerNext) {
                case = saved;
                saved = Case::Stop;
            }
        }
    }
}

/// A POSIX regular expression (basic, or extended) in the `regex` crate's syntax.
fn translate(pattern: &str, extended: bool) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out =
        Translated { text: String::with_capacity(pattern.len() + 8), atom: None, repeated: false, groups: Vec::new() };
    // At the start of the expression, of a group or of an alternative: where a basic
    // expression's `^` is an anchor.
    let mut at_start = true;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        let was_start = std::mem::replace(&mut at_start, false);
        // A repeat with nothing before it (at the start, after `(`, `|` or an anchor) is a
        // literal in a basic expression, an error in an extended one (as GNU's regcomp).
        let repeat = |out: &mut Translated, op: &str, literal: char| {
            if out.repeat(op) {
                Ok(())
            } else if extended {
                Err(format!("{literal} has nothing before it to repeat"))
            } else {
                out.literal(literal);
                Ok(())
            }
        };
        match c {
            '\\' => {
                let Some(&e) = chars.get(i) else {
                    return Err("the regular expression ends with a backslash".into());
                };
                i += 1;
                match e {
                    '(' if !extended => {
                        out.open();
                        at_start = true;
                    }
                    ')' if !extended => {
                        if !out.close() {
                            return Err("\\) closes no group".into());
                        }
                    }
                    '|' if !extended => {
                        out.alternative();
                        at_start = true;
                    }
                    '{' if !extended => {
                        if out.repeated {
                            return Err("\\{ repeats what is repeated already".into());
                        }
                        let (interval, next) = interval(&chars, i, true)
                            .ok_or("\\{ starts no valid interval (\\{N\\}, \\{N,\\}, \\{,M\\} or \\{N,M\\})")?;
                        if !out.repeat(&interval) {
                            return Err("\\{ has nothing before it to repeat".into());
                        }
                        i = next;
                    }
                    '+' | '?' if !extended => repeat(&mut out, &e.to_string(), e)?,
                    '1'..='9' => {
                        return Err(format!(
                            "back-references in the regular expression (\\{e}) are not supported; they can be used in the replacement"
                        ));
                    }
                    '<' => out.anchor(r"\b{start}"),
                    '>' => out.anchor(r"\b{end}"),
                    'b' | 'B' => out.anchor(&format!("\\{e}")),
                    'w' | 'W' | 's' | 'S' => out.atom(&format!("\\{e}")),
                    '`' => out.anchor(r"\A"),
                    '\'' => out.anchor(r"\z"),
                    e => out.literal(e),
                }
            }
            '[' => {
                let start = out.text.len();
                i = bracket(&chars, i, &mut out.text)?;
                // A class with a character beyond ASCII matches it whole (its UTF-8 bytes), as
                // GNU's regcomp in a UTF-8 locale; the rest of the expression matches bytes.
                if !out.text[start..].is_ascii() {
                    out.text.insert_str(start, "(?u:");
                    out.text.push(')');
                }
                out.atom = Some(start);
                out.repeated = false;
            }
            '.' => out.atom("."),
            // GNU's regcomp refuses `a**` in a basic expression (not `a*\?`).
            '*' if !extended && out.repeated && out.atom.is_some() => {
                return Err("* repeats what is repeated already".into());
            }
            '*' => repeat(&mut out, "*", '*')?,
            // A `^` after the anchor is a literal `^` (GNU's regcomp: `^^` matches a leading
            // `^`; it was a second anchor, matching every name; found by review). A `*` after
            // it is literal all the same: the anchor is nothing to repeat.
            '^' if extended || was_start => out.anchor("^"),
            '$' if extended
                || i == chars.len()
                || (chars[i] == '\\' && matches!(chars.get(i + 1), Some(')') | Some('|'))) =>
            {
                out.anchor("$")
            }
            '(' if extended => {
                out.open();
                at_start = true;
            }
            // An unmatched `)` stands for itself (GNU's regcomp).
            ')' if extended => {
                if !out.close() {
                    out.literal(')');
                }
            }
            '|' if extended => {
                out.alternative();
                at_start = true;
            }
            '+' | '?' if extended => repeat(&mut out, &c.to_string(), c)?,
            // As glibc's ERE: a `{` is an interval or an error, never a literal (it was one).
            '{' if extended => match interval(&chars, i, false) {
                Some((interval, next)) => {
                    if !out.repeat(&interval) {
                        return Err("{ has nothing before it to repeat".into());
                    }
                    i = next;
                }
                None => return Err("{ starts no valid interval ({N}, {N,}, {,M} or {N,M}; \\{ for a {)".into()),
            },
            c => out.literal(c),
        }
    }
    if !out.groups.is_empty() {
        return Err("a group is not closed".into());
    }
    Ok(out.text)
}

/// A translation being written: where the last thing a repeat applies to starts, and the
/// groups open.
struct Translated {
    text: String,
    /// Where the last atom (with any repeats after it) starts; `None` at the start and after
    /// `(`, `|` or an anchor.
    atom: Option<usize>,
    /// The atom is repeated already: another repeat applies to the whole (POSIX `a*?` is
    /// `(a*)?`; the crate would read `*?` as a lazy `*`).
    repeated: bool,
    groups: Vec<usize>,
}

impl Translated {
    fn atom(&mut self, text: &str) {
        self.atom = Some(self.text.len());
        self.repeated = false;
        self.text.push_str(text);
    }

    fn literal(&mut self, c: char) {
        self.atom = Some(self.text.len());
        self.repeated = false;
        push_literal(&mut self.text, c);
    }

    fn anchor(&mut self, text: &str) {
        self.atom = None;
        self.repeated = false;
        self.text.push_str(text);
    }

    fn open(&mut self) {
        self.groups.push(self.text.len());
        self.text.push('(');
        self.atom = None;
        self.repeated = false;
    }

    /// `false` when no group is open.
    fn close(&mut self) -> bool {
        let Some(start) = self.groups.pop() else { return false };
        self.text.push(')');
        self.atom = Some(start);
        self.repeated = false;
        true
    }

    fn alternative(&mut self) {
        self.text.push('|');
        self.atom = None;
        self.repeated = false;
    }

    /// Repeats the last atom; `false` when there is none.
    fn repeat(&mut self, op: &str) -> bool {
        let Some(start) = self.atom else { return false };
        if self.repeated {
            self.text.insert_str(start, "(?:");
            self.text.push(')');
        }
        self.text.push_str(op);
        self.repeated = true;
        true
    }
}

/// An interval's `{N}`, `{N,}`, `{N,M}` after its `{` (at `i`); `basic` wants `\}` to close it.
/// Returns it in the crate's syntax and the index after it.
fn interval(chars: &[char], mut i: usize, basic: bool) -> Option<(String, usize)> {
    let mut body = String::new();
    while let Some(&c) = chars.get(i) {
        if c.is_ascii_digit() || c == ',' {
            body.push(c);
            i += 1;
            continue;
        }
        // A backslash before a comma is a comma, as glibc reads it: `\,` is how a comma is
        // written inside `s,...,...,` (found by review: GNU tar's `s,a\{2\,\},X,` was refused,
        // and `s,a{2\,},X,x` renamed nothing). Before 1 to 9 glibc reads a back-reference and
        // refuses the interval, as captar does (found by review: `\{\2\}` was taken as `{2}`);
        // `\0` is the digit.
        if let (true, Some(&n @ (',' | '0'))) = (c == '\\', chars.get(i + 1)) {
            body.push(n);
            i += 2;
            continue;
        }
        let closes = if basic { c == '\\' && chars.get(i + 1) == Some(&'}') } else { c == '}' };
        if !closes {
            return None;
        }
        i += if basic { 2 } else { 1 };
        // `{,M}` is `{0,M}` (GNU's regcomp).
        let (low, high) = body.split_once(',').unwrap_or((&body, &body));
        let low = if low.is_empty() && body.contains(',') { "0" } else { low };
        let valid = !low.is_empty() && !high.contains(',') && (high.is_empty() || high.parse::<u32>().is_ok());
        let body = if body.starts_with(',') { format!("0{body}") } else { body };
        return valid.then(|| (format!("{{{body}}}"), i));
    }
    None
}

/// A bracket expression after its `[` (at `i`), where a backslash is an ordinary character;
/// returns the index after its `]`.
fn bracket(chars: &[char], mut i: usize, out: &mut String) -> Result<usize, String> {
    const UNMATCHED: &str = "a [ has no closing ]";
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(UNMATCHED.into());
        };
        if c == ']' && !first {
            out.push(']');
            return Ok(i + 1);
        }
        first = false;
        // `[:class:]`, `[.c.]`, `[=c=]`
        if c == '['
            && let Some(&kind @ (':' | '.' | '=')) = chars.get(i + 1)
        {
            let start = i + 2;
            let end = (start..chars.len().saturating_sub(1))
                .find(|&j| chars[j] == kind && chars[j + 1] == ']')
                .ok_or(UNMATCHED)?;
            let inner: String = chars[start..end].iter().collect();
            i = end + 2;
            if kind == ':' {
                const CLASSES: [&str; 12] = [
                    "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper",
                    "xdigit",
                ];
                if !CLASSES.contains(&inner.as_str()) {
                    return Err(format!("[:{inner}:] is not a character class"));
                }
                out.push_str(&format!("[:{inner}:]"));
                continue;
            }
            let mut one = inner.chars();
            match (one.next(), one.next()) {
                (Some(c), None) => push_class_char(out, c),
                _ => return Err(format!("[{kind}{inner}{kind}] names no single character")),
            }
            continue;
        }
        push_class_char(out, c);
        i += 1;
        // A range: `a-z`, but not a final `-` (`[a-]`).
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            out.push('-');
            let end = chars[i + 1];
            push_class_char(out, end);
            i += 2;
        }
    }
}

fn push_class_char(out: &mut String, c: char) {
    if matches!(c, '\\' | '[' | ']' | '^' | '-' | '&' | '~') {
        out.push('\\');
    }
    out.push(c);
}

fn push_literal(out: &mut String, c: char) {
    if regex_syntax_meta(c) {
        out.push('\\');
    }
    out.push(c);
}

fn regex_syntax_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' | '#' | '&' | '-' | '~'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(exprs: &[&str], input: &str) -> String {
        let t = Transforms::parse(exprs).unwrap();
        String::from_utf8(t.apply(Part::Name, input.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn basic_expressions() {
        assert_eq!(t(&["s,^,prefix/,"], "a/b"), "prefix/a/b");
        assert_eq!(t(&["s/a/X/"], "banana"), "bXnana");
        assert_eq!(t(&["s/a/X/g"], "banana"), "bXnXnX");
        assert_eq!(t(&["s/a/X/2"], "banana"), "banXna");
        assert_eq!(t(&["s/a/X/2g"], "banana"), "banXnX");
        assert_eq!(t(&["s/A/X/gi"], "banana"), "bXnXnX");
        assert_eq!(t(&[r"s/\(a\)\(n\)/\2\1/g"], "banana"), "bnanaa");
        assert_eq!(t(&["s/(a)(n)/\\2\\1/gx"], "banana"), "bnanaa");
        // `+` is literal in a basic expression.
        assert_eq!(t(&["s/a+/X/"], "caa+b"), "caXb");
        assert_eq!(t(&[r"s/a\+/X/"], "caab"), "cXb");
        assert_eq!(t(&["s/.*/&&/"], "ab"), "abab");
        assert_eq!(t(&[r"s/\./_/g"], "a.b.c"), "a_b_c");
        assert_eq!(t(&[r"s/x\{2\}/Y/"], "axxxb"), "aYxb");
        assert_eq!(t(&["s/x{2}/Y/x"], "axxxb"), "aYxb");
        assert_eq!(t(&["s/x{2}/Y/"], "ax{2}b"), "aYb");
        assert_eq!(t(&[r"s/a\|b/X/g"], "abc"), "XXc");
        assert_eq!(t(&["s/a|b/X/g"], "a|bc"), "Xc");
        assert_eq!(t(&["s/*a/X/"], "b*a"), "bX");
        // A repeat of a repeat is POSIX's, not the crate's lazy repeat; `{,N}` is `{0,N}`.
        assert_eq!(t(&[r"s/a\+\?/X/"], "aaa"), "X");
        assert_eq!(t(&["s/a*?/X/x"], "aaa"), "X");
        assert_eq!(t(&["s/a{,2}/X/x"], "aaa"), "Xa");
        assert_eq!(t(&["s/a)/X/x"], "a)"), "X");
        assert_eq!(t(&[r"s/a\b*/X/"], "a*b"), "Xb");
        assert_eq!(t(&["s/a^b$c/X/"], "a^b$c"), "X");
        // `^^`: the anchor, then a literal `^`, as GNU tar reads it (it matched every name).
        assert_eq!(t(&["s,^^,X,"], "plain"), "plain");
        assert_eq!(t(&["s,^^,X,"], "^hat"), "Xhat");
        assert_eq!(t(&["s,^*,X,"], "*a"), "Xa");
        assert_eq!(t(&["s,^^,X,x"], "plain"), "Xplain");
    }

    #[test]
    fn brackets_and_delimiters() {
        assert_eq!(t(&["s/[]x]/Y/g"], "a]x"), "aYY");
        assert_eq!(t(&[r"s/[\]/Y/g"], r"a\b"), "aYb");
        assert_eq!(t(&["s/[[:digit:]]\\+/N/g"], "a12b3"), "aNbN");
        assert_eq!(t(&["s/[^a-c]/-/g"], "abcde"), "abc--");
        assert_eq!(t(&["s/[a-]/Y/g"], "a-b"), "YYb");
        assert_eq!(t(&["s/[&~]/Y/g"], "a&~"), "aYY");
        assert_eq!(t(&[r"s,a\,b,X,"], "a,b"), "X");
        assert_eq!(t(&[r"s,a,x\,y,"], "a"), "x,y");
        assert_eq!(t(&["s|a|b|;s|b|c|"], "a"), "c");
    }

    #[test]
    fn case_conversion_and_escapes() {
        assert_eq!(t(&[r"s/.*/\U&/"], "ab/c"), "AB/C");
        assert_eq!(t(&[r"s/\(.\)\(.*\)/\u\1\2/"], "abc"), "Abc");
        assert_eq!(t(&[r"s/\(.*\)-\(.*\)/\U\1\E-\2/"], "ab-cd"), "AB-cd");
        // GNU tar's `\l` after `\U` lowercases one character and leaves the rest as it is
        // (sed would make it "aBC").
        assert_eq!(t(&[r"s/\(.*\)/\U\l\1/"], "abc"), "abc");
        assert_eq!(t(&[r"s/\(.\)\(.*\)/\U\l\1\2/"], "abc"), "aBC");
        assert_eq!(t(&[r"s/b/\t\&\\/"], "abc"), "a\t&\\c");
        assert_eq!(t(&[r"s/b/\q/"], "abc"), r"a\qc");
    }

    #[test]
    fn empty_matches_advance() {
        assert_eq!(t(&["s/x*/-/g"], "abc"), "-a-b-c-");
        assert_eq!(t(&["s/b*/X/g"], "ab"), "XaX");
        assert_eq!(t(&["s/$/.d/"], "a"), "a.d");
        // An empty name stays empty (GNU tar).
        assert_eq!(t(&["s/^/x/"], ""), "");
    }

    #[test]
    fn flags_choose_what_is_transformed() {
        let tr = Transforms::parse(&["s/a/X/S", "flags=h;s/b/Y/"]).unwrap();
        assert_eq!(&*tr.apply(Part::Name, b"ab"), b"Xb");
        assert_eq!(&*tr.apply(Part::Symlink, b"ab"), b"ab");
        assert_eq!(&*tr.apply(Part::HardLink, b"ab"), b"XY");
    }

    #[test]
    fn bad_expressions_are_refused_with_a_reason() {
        for (expr, why) in [
            ("x/a/b/", "s/REGEX"),
            ("s/a/b", "closing delimiter"),
            ("s/a", "closing delimiter"),
            ("s", "delimiter"),
            ("s/a/b/q", "unknown flag 'q'"),
            (r"s/\(a\)\1/b/", "back-references"),
            (r"s/a/\1/", "group"),
            ("s/[a/b/", "closing ]"),
            ("s/[[:nope:]]/b/", "[:nope:]"),
            ("s/(?i)a/b/x", "nothing before it to repeat"),
            ("s/a**/b/", "repeated already"),
            (r"s/a\{x\}/b/", "interval"),
            ("flags=q", "unknown flag 'q'"),
        ] {
            let e = Transforms::parse(&[expr]).unwrap_err();
            assert!(e.contains(why) && e.contains(expr), "{expr}: {e}");
        }
    }
}
