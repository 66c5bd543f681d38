/*!
The text form of a capability set, as libcap's `cap_to_text` prints it (what getcap shows) and
`cap_from_text` parses it (what setcap takes). Grammar and output rules: cap_text_formats(7) and
libcap/cap_text.c. The file xattr has one effective bit, so a parsed effective set must be empty
or equal permitted|inheritable, as setcap demands.
*/

use super::{CapError, FileCaps, LAST_KNOWN_CAP, Revision, cap_name, cap_number};

const EFF: u8 = 1;
const PER: u8 = 2;
const INH: u8 = 4;
/// Capabilities with a name (libcap's `cap_max_bits()` on a kernel whose last cap is 40).
const NAMED_BITS: u32 = LAST_KNOWN_CAP + 1;
const ALL_NAMED: u64 = (1u64 << NAMED_BITS) - 1;

/// The e/i/p state of one capability in libcap's flag encoding.
fn state(caps: &FileCaps, n: u32) -> u8 {
    let bit = 1u64 << n;
    let p = caps.permitted & bit != 0;
    let i = caps.inheritable & bit != 0;
    let e = caps.effective && (p || i);
    (e as u8 * EFF) | (p as u8 * PER) | (i as u8 * INH)
}

fn flags_text(f: u8) -> String {
    let mut s = String::new();
    if f & EFF != 0 {
        s.push('e');
    }
    if f & INH != 0 {
        s.push('i');
    }
    if f & PER != 0 {
        s.push('p');
    }
    s
}

fn name_text(n: u32) -> String {
    cap_name(n).map(str::to_owned).unwrap_or_else(|| n.to_string())
}

/// Formats as libcap's `cap_to_text`: the most common state over the named capabilities becomes
/// the `=flags` base, every other state a `names+flags-flags` group (highest state first), and
/// bits without a name follow as numbers.
pub(super) fn format(caps: &FileCaps) -> String {
    let mut histo = [0u32; 8];
    for n in 0..NAMED_BITS {
        histo[state(caps, n) as usize] += 1;
    }
    // Prefer the lower state on ties (the `>=` in cap_text.c), so "none" wins over others.
    let mut m = 7usize;
    for t in (0..7).rev() {
        if histo[t] >= histo[m] {
            m = t;
        }
    }
    let mut head = format!("={}", flags_text(m as u8));
    let mut groups: Vec<String> = Vec::new();
    for t in (0..8).rev() {
        if t == m || histo[t] == 0 {
            continue;
        }
        let names: Vec<String> = (0..NAMED_BITS).filter(|&n| state(caps, n) as usize == t).map(name_text).collect();
        let mut g = names.join(",");
        let raise = (t & !m) as u8;
        let lower = (!t & m) as u8;
        if raise != 0 {
            // `= foo+eip` is written `foo=eip`: equivalent and shorter (cap_text.c).
            if head == "=" && groups.is_empty() {
                head.clear();
                g.push('=');
            } else {
                g.push('+');
            }
            g.push_str(&flags_text(raise));
        }
        if lower != 0 {
            g.push('-');
            g.push_str(&flags_text(lower));
        }
        groups.push(g);
    }
    for t in (1..8u8).rev() {
        let names: Vec<String> = (NAMED_BITS..64).filter(|&n| state(caps, n) == t).map(name_text).collect();
        if !names.is_empty() {
            groups.push(format!("{}+{}", names.join(","), flags_text(t)));
        }
    }
    let mut out = head;
    for g in groups {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&g);
    }
    out
}

/// Parses the text form setcap accepts into a revision-2 file capability.
pub fn parse_text(text: &str) -> Result<FileCaps, CapError> {
    let err = |msg: String| CapError::Text(format!("invalid capability text {text:?}: {msg}"));
    // sets[0] = effective, [1] = permitted, [2] = inheritable
    let mut sets = [0u64; 3];
    let mut clauses = 0;
    for clause in text.split_ascii_whitespace() {
        clauses += 1;
        let op_at = clause
            .find(['=', '+', '-'])
            .ok_or_else(|| err(format!("clause {clause:?} has no operator (=, + or -)")))?;
        let (list_text, mut rest) = clause.split_at(op_at);
        let list = if list_text.is_empty() {
            None
        } else {
            let mut list = 0u64;
            for name in list_text.split(',') {
                if name.eq_ignore_ascii_case("all") {
                    list |= ALL_NAMED;
                } else {
                    let n = cap_number(name).ok_or_else(|| err(format!("unknown capability {name:?}")))?;
                    list |= 1u64 << n;
                }
            }
            Some(list)
        };
        while let Some(op) = rest.chars().next() {
            rest = &rest[1..];
            let end = rest.find(['=', '+', '-']).unwrap_or(rest.len());
            let (flags, tail) = rest.split_at(end);
            rest = tail;
            let list = match (op, list) {
                (_, Some(l)) => l,
                ('=', None) => ALL_NAMED,
                _ => return Err(err(format!("'{op}' needs a list of capabilities"))),
            };
            if op == '=' {
                for s in &mut sets {
                    *s &= !list;
                }
            }
            for f in flags.chars() {
                let idx = match f.to_ascii_lowercase() {
                    'e' => 0,
                    'p' => 1,
                    'i' => 2,
                    other => return Err(err(format!("unknown flag {other:?} (use e, i or p)"))),
                };
                if op == '-' {
                    sets[idx] &= !list;
                } else {
                    sets[idx] |= list;
                }
            }
        }
    }
    if clauses == 0 {
        return Err(err("empty".into()));
    }
    let [e, p, i] = sets;
    if e != 0 && e != (p | i) {
        return Err(err(
            "a file's effective set must be empty or equal permitted|inheritable (one effective bit)".into()
        ));
    }
    Ok(FileCaps { revision: Revision::V2, effective: e != 0, permitted: p, inheritable: i, rootid: None })
}
