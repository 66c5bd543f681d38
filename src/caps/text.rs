/*!
The text form of a capability set, exactly as libcap 2.66's `cap_to_text` prints it (what getcap
shows) and `cap_from_text` parses it (what setcap takes), followed step by step from
libcap/cap_text.c. Grammar: cap_text_formats(7).

The model assumes the kernel's last capability is 40 (CAP_CHECKPOINT_RESTORE), as on Linux ≥ 5.9:
libcap takes `cap_max_bits()` from the running kernel for `all`, a bare `=`, and the split between
named bits and bits printed as numbers; here that is the fixed [`LAST_KNOWN_CAP`].
*/

use super::{CapError, FileCaps, LAST_KNOWN_CAP, Revision, cap_label, cap_name};

/// libcap's flag bits (`LIBCAP_EFF`, `LIBCAP_PER`, `LIBCAP_INH`); a state is their union.
const EFF: u8 = 1;
const PER: u8 = 2;
const INH: u8 = 4;
/// Capabilities with a name: libcap's `cap_max_bits()` on a kernel whose last cap is 40.
const NAMED_BITS: u32 = LAST_KNOWN_CAP + 1;
/// What `all` and a bare `=` select: libcap's `forceall`, limited to the kernel's capabilities.
const ALL_NAMED: u64 = (1u64 << NAMED_BITS) - 1;

/// The e/i/p state of capability `n` in libcap's flag encoding. A file's effective set is one bit:
/// when set, libcap's `_fcaps_load` makes every permitted or inheritable capability effective.
fn state(caps: &FileCaps, n: u32) -> u8 {
    let bit = 1u64 << n;
    let p = caps.permitted & bit != 0;
    let i = caps.inheritable & bit != 0;
    let e = caps.effective && (p || i);
    (u8::from(e) * EFF) | (u8::from(p) * PER) | (u8::from(i) * INH)
}

/// Flags in libcap's output order: e, i, p.
fn flags_text(f: u8) -> String {
    [(EFF, 'e'), (INH, 'i'), (PER, 'p')].iter().filter(|(bit, _)| f & bit != 0).map(|&(_, c)| c).collect()
}

/// The names of the capabilities in `range` whose state is `t`, comma-separated, ascending.
fn names_in_state(caps: &FileCaps, range: std::ops::Range<u32>, t: u8) -> String {
    range.filter(|&n| state(caps, n) == t).map(cap_label).collect::<Vec<_>>().join(",")
}

/// Formats as libcap's `cap_to_text`:
/// 1. over the named capabilities, the most common state `m` (ties go to the lower state, so
///    "none" wins) becomes the base clause `=flags`;
/// 2. every other state present, highest first, becomes `names+raised-lowered` relative to `m`;
///    when the base is a bare `=`, the first such clause is written `names=flags` instead of
///    `= names+flags` (equivalent and shorter);
/// 3. bits without a name (41–63) follow as numbers, grouped by state, highest first, always `+`.
pub(super) fn format(caps: &FileCaps) -> String {
    let mut histo = [0u32; 8];
    for n in 0..NAMED_BITS {
        histo[state(caps, n) as usize] += 1;
    }
    // `for (m=t=7; t--; ) if (histo[t] >= histo[m]) m = t;`
    let mut m = 7u8;
    for t in (0..7u8).rev() {
        if histo[t as usize] >= histo[m as usize] {
            m = t;
        }
    }
    let mut clauses = vec![format!("={}", flags_text(m))];
    for t in (0..8u8).rev() {
        if t == m || histo[t as usize] == 0 {
            continue;
        }
        let mut clause = names_in_state(caps, 0..NAMED_BITS, t);
        let raised = t & !m;
        let lowered = !t & m;
        if raised != 0 {
            if clauses.len() == 1 && clauses[0] == "=" {
                clauses.clear();
                clause.push('=');
            } else {
                clause.push('+');
            }
            clause.push_str(&flags_text(raised));
        }
        if lowered != 0 {
            clause.push('-');
            clause.push_str(&flags_text(lowered));
        }
        clauses.push(clause);
    }
    for t in (1..8u8).rev() {
        let names = names_in_state(caps, NAMED_BITS..64, t);
        if !names.is_empty() {
            clauses.push(format!("{names}+{}", flags_text(t)));
        }
    }
    clauses.join(" ")
}

/// C's `isspace` in the C locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// C's `isalnum(c) || c == '_'`: what may start a capability list or follow a comma.
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The operator of one action of a clause. `=+` and `=-` clear the listed capabilities first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Assign,
    Raise,
    Lower,
    AssignRaise,
    AssignLower,
}

/// A cursor over the text, with C-string semantics: past the end reads as NUL.
struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> u8 {
        self.text.get(self.pos).copied().unwrap_or(0)
    }

    fn bump(&mut self) -> u8 {
        let c = self.peek();
        self.pos += 1;
        c
    }

    /// libcap's `namcmp`: `nam` (lower case) matches case-insensitively and is not followed by
    /// another word character.
    fn at_word(&self, nam: &str) -> bool {
        let rest = &self.text[self.pos.min(self.text.len())..];
        rest.len() >= nam.len()
            && rest[..nam.len()].eq_ignore_ascii_case(nam.as_bytes())
            && !rest.get(nam.len()).is_some_and(|&c| is_word(c))
    }

    /// libcap's `lookupname`: a number as C's `strtoul(s, &end, 0)` reads it (decimal, `0x` hex,
    /// `0` octal), below 64; or a capability name of letters and underscores, any case.
    fn cap(&mut self) -> Result<u32, String> {
        let start = self.pos;
        if self.peek().is_ascii_digit() {
            let n = self.strtoul();
            return if n < 64 {
                Ok(n as u32)
            } else {
                Err(format!("capability number {} is above 63", String::from_utf8_lossy(&self.text[start..self.pos])))
            };
        }
        let len = self.text[start..].iter().take_while(|&&c| c.is_ascii_alphabetic() || c == b'_').count();
        let word = &self.text[start..start + len];
        match (0..NAMED_BITS).find(|&n| cap_name(n).is_some_and(|name| name.as_bytes().eq_ignore_ascii_case(word))) {
            Some(n) => {
                self.pos += len;
                Ok(n)
            }
            None => Err(format!("unknown capability {:?}", String::from_utf8_lossy(&self.text[start..]))),
        }
    }

    /// `strtoul(s, &end, 0)` from a digit, saturating like C on overflow.
    fn strtoul(&mut self) -> u64 {
        let hex_digit_at = |i: usize| self.text.get(i).is_some_and(|c| c.is_ascii_hexdigit());
        let (radix, skip) = if self.peek() == b'0'
            && matches!(self.text.get(self.pos + 1), Some(b'x' | b'X'))
            && hex_digit_at(self.pos + 2)
        {
            (16, 2)
        } else if self.peek() == b'0' {
            (8, 0)
        } else {
            (10, 0)
        };
        self.pos += skip;
        let mut n: u64 = 0;
        while let Some(d) = (self.peek() as char).to_digit(radix) {
            n = n.saturating_mul(u64::from(radix)).saturating_add(u64::from(d));
            self.pos += 1;
        }
        n
    }
}

/// Parses the text setcap takes, exactly as libcap's `cap_from_text` followed by the checks of
/// `cap_set_file` (`_fcaps_save`), into a revision-2 value: whitespace-separated clauses applied
/// left to right to an empty set (so an empty text is the empty set, as `setcap "" FILE` writes).
///
/// A clause is an optional comma-separated list (names in any case, `all`, numbers 0–63 in C
/// syntax: `45`, `0x2d`, `055`) followed by actions: a first `=`, `+`, `-`, `=+` or `=-`, then
/// any number of `+`/`-`; each operator takes lower-case flags `e`, `i`, `p`. `=` clears the listed
/// capabilities in all three sets, then raises its flags; a bare `=flags` applies to all named
/// capabilities; `+` and `-` need a list. Only `=` may be followed by no flags.
///
/// A file has one effective bit, so, as `_fcaps_save` demands, a non-empty effective set must
/// include every permitted and inheritable capability (`cap_chown=e` is accepted and writes the
/// effective bit over empty sets, as setcap does).
pub fn parse_text(text: &str) -> Result<FileCaps, CapError> {
    let err = |at: usize, msg: String| CapError::Text(format!("invalid capability text {text:?} at byte {at}: {msg}"));
    if let Some(at) = text.find('\0') {
        return Err(err(at, "NUL byte".into()));
    }
    let mut p = Parser { text: text.as_bytes(), pos: 0 };
    // [effective, permitted, inheritable]
    let mut sets = [0u64; 3];
    loop {
        while is_space(p.peek()) {
            p.pos += 1;
        }
        if p.peek() == 0 {
            break;
        }
        let mut list = 0u64;
        let listed = is_word(p.peek());
        if listed {
            loop {
                if p.at_word("all") {
                    // libcap's `forceall` overwrites the list: `45,all` is `all` (45 is lost).
                    p.pos += 3;
                    list = ALL_NAMED;
                } else {
                    let at = p.pos;
                    list |= 1u64 << p.cap().map_err(|m| err(at, m))?;
                }
                if p.peek() != b',' {
                    break;
                }
                p.pos += 1;
                if !is_word(p.peek()) {
                    return Err(err(p.pos, "a capability must follow ','".into()));
                }
            }
        } else if matches!(p.peek(), b'+' | b'-') {
            return Err(err(p.pos, "'+' and '-' need a list of capabilities".into()));
        } else {
            list = ALL_NAMED;
        }
        let at = p.pos;
        let mut op = match p.bump() {
            b'=' if matches!(p.peek(), b'+' | b'-') => {
                if !listed {
                    return Err(err(at, "'=+' and '=-' need a list of capabilities".into()));
                }
                if p.bump() == b'+' { Op::AssignRaise } else { Op::AssignLower }
            }
            b'=' => Op::Assign,
            b'+' => Op::Raise,
            b'-' => Op::Lower,
            0 => return Err(err(at, "expected '=', '+' or '-' after the capability list".into())),
            c => return Err(err(at, format!("expected '=', '+' or '-', found {:?}", c as char))),
        };
        let mut flags = 0u8;
        loop {
            let c = p.peek();
            if c != 0 && !is_space(c) {
                flags |= match p.bump() {
                    b'e' => EFF,
                    b'i' => INH,
                    b'p' => PER,
                    c => return Err(err(p.pos - 1, format!("unknown flag {:?} (use e, i or p)", c as char))),
                };
            } else if op != Op::Assign {
                return Err(err(p.pos, "only '=' may have no flags".into()));
            }
            let selected = [flags & EFF != 0, flags & PER != 0, flags & INH != 0];
            if matches!(op, Op::Assign | Op::AssignRaise | Op::AssignLower) {
                sets.iter_mut().for_each(|s| *s &= !list);
            }
            for (set, on) in sets.iter_mut().zip(selected) {
                match (op, on) {
                    (Op::Assign | Op::AssignRaise | Op::Raise, true) => *set |= list,
                    (Op::AssignLower | Op::Lower, true) => *set &= !list,
                    _ => {}
                }
            }
            if matches!(p.peek(), b'+' | b'-') {
                if !listed {
                    return Err(err(p.pos, "'+' and '-' need a list of capabilities".into()));
                }
                flags = 0;
                op = if p.bump() == b'+' { Op::Raise } else { Op::Lower };
                if !p.peek().is_ascii_alphabetic() {
                    return Err(err(p.pos, "flags must follow '+' or '-'".into()));
                }
            }
            if p.peek() == 0 || is_space(p.peek()) {
                break;
            }
        }
    }
    let [e, perm, inh] = sets;
    if e != 0 && (perm | inh) & !e != 0 {
        return Err(err(
            text.len(),
            "a file's effective set is one bit: it must be empty or include every permitted and inheritable \
             capability (like cap_net_raw=ep)"
                .into(),
        ));
    }
    Ok(FileCaps { revision: Revision::V2, effective: e != 0, permitted: perm, inheritable: inh, rootid: None })
}
