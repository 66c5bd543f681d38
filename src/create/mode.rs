/*!
GNU tar's `--mode=CHANGES`: the mode recorded for each member, changed as `chmod` would change
it. CHANGES is chmod's: symbolic clauses (`u+rwX,go=rX`, `a-w`, `+t`, `g=u`) or an octal mode
(`0644`), read and applied as gnulib's `mode_compile` and `mode_adjust` (which GNU tar and
chmod use) read and apply them: a clause without `u`, `g`, `o` or `a` is limited by the umask,
`X` is execute for directories and for files with an execute bit, and the set-user/group-ID
bits of a directory are changed only when named.
*/

const SUID: u32 = 0o4000;
const SGID: u32 = 0o2000;
const SVTX: u32 = 0o1000;
const ALL: u32 = 0o7777;
const R: u32 = 0o444;
const W: u32 = 0o222;
const X: u32 = 0o111;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    /// The permission letters given.
    Ordinary,
    /// `X`: execute if the file is a directory or has an execute bit.
    XIfAnyX,
    /// `u`, `g` or `o` after the operator: that class's current bits.
    CopyExisting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Change {
    op: u8,
    flag: Flag,
    /// The classes named (`u`, `g`, `o`, `a`); 0 for none (the umask limits the change).
    affected: u32,
    value: u32,
    /// The bits the clause names (a directory's set-ID bits change only when named).
    mentioned: u32,
}

/// Parsed `--mode` changes, with the umask they are applied under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeChanges {
    changes: Vec<Change>,
    umask: u32,
}

impl ModeChanges {
    /// Parses CHANGES under this process's umask; the error says what is wrong.
    pub fn parse(text: &str) -> Result<ModeChanges, String> {
        let umask = {
            let old = rustix::process::umask(rustix::fs::Mode::empty());
            rustix::process::umask(old);
            old.bits()
        };
        Self::parse_with_umask(text, umask)
    }

    fn parse_with_umask(text: &str, umask: u32) -> Result<ModeChanges, String> {
        let bad = || {
            format!("--mode={text}: not a mode (chmod's: an octal mode such as 0644, or clauses such as u+rwX,go=rX)")
        };
        let bytes = text.as_bytes();
        if bytes.first().is_some_and(u8::is_ascii_digit) {
            if !bytes.iter().all(|b| (b'0'..b'8').contains(b)) {
                return Err(bad());
            }
            let mode = u32::from_str_radix(text, 8).ok().filter(|&m| m <= ALL).ok_or_else(bad)?;
            // Fewer than five digits leave a directory's set-ID bits alone unless they are set.
            let mentioned = if bytes.len() < 5 { (mode & (SUID | SGID)) | SVTX | 0o777 } else { ALL };
            let change = Change { op: b'=', flag: Flag::Ordinary, affected: ALL, value: mode, mentioned };
            return Ok(ModeChanges { changes: vec![change], umask });
        }
        let mut changes = Vec::new();
        let mut i = 0;
        loop {
            let mut affected = 0;
            while let Some(&c) = bytes.get(i) {
                affected |= match c {
                    b'u' => SUID | 0o700,
                    b'g' => SGID | 0o070,
                    b'o' => SVTX | 0o007,
                    b'a' => ALL,
                    _ => break,
                };
                i += 1;
            }
            // At least one operator, each followed by permissions or a class to copy.
            if !matches!(bytes.get(i), Some(b'=' | b'+' | b'-')) {
                return Err(bad());
            }
            while let Some(&op @ (b'=' | b'+' | b'-')) = bytes.get(i) {
                i += 1;
                // `=755`, `+0644`: octal after the operator, with no class before it, ending
                // the clause (gnulib's).
                if bytes.get(i).is_some_and(|b| (b'0'..b'8').contains(b)) {
                    let digits = bytes[i..].iter().take_while(|b| (b'0'..b'8').contains(b)).count();
                    let value = u32::from_str_radix(&text[i..i + digits], 8).ok().filter(|&m| m <= ALL);
                    i += digits;
                    match value {
                        Some(value) if affected == 0 && matches!(bytes.get(i), None | Some(b',')) => {
                            changes.push(Change { op, flag: Flag::Ordinary, affected: ALL, value, mentioned: ALL });
                            break;
                        }
                        _ => return Err(bad()),
                    }
                }
                let (mut value, mut flag) = (0, Flag::CopyExisting);
                match bytes.get(i) {
                    Some(b'u') => value = 0o700,
                    Some(b'g') => value = 0o070,
                    Some(b'o') => value = 0o007,
                    _ => flag = Flag::Ordinary,
                }
                if flag == Flag::CopyExisting {
                    i += 1;
                } else {
                    while let Some(&c) = bytes.get(i) {
                        match c {
                            b'r' => value |= R,
                            b'w' => value |= W,
                            b'x' => value |= X,
                            b'X' => flag = Flag::XIfAnyX,
                            b's' => value |= SUID | SGID,
                            b't' => value |= SVTX,
                            _ => break,
                        }
                        i += 1;
                    }
                }
                let mentioned = if affected != 0 { affected & value } else { value };
                changes.push(Change { op, flag, affected, value, mentioned });
            }
            match bytes.get(i) {
                None => break,
                Some(b',') => i += 1,
                Some(_) => return Err(bad()),
            }
        }
        Ok(ModeChanges { changes, umask })
    }

    /// `mode` (permission bits) changed; `dir` says the member is a directory.
    pub fn apply(&self, mode: u32, dir: bool) -> u32 {
        let mut new = mode & ALL;
        for ch in &self.changes {
            let omit = if dir { (SUID | SGID) & !ch.mentioned } else { 0 };
            let mut value = ch.value;
            match ch.flag {
                Flag::Ordinary => {}
                Flag::CopyExisting => {
                    value &= new;
                    value |= (if value & R != 0 { R } else { 0 })
                        | (if value & W != 0 { W } else { 0 })
                        | (if value & X != 0 { X } else { 0 });
                }
                Flag::XIfAnyX => {
                    if new & X != 0 || dir {
                        value |= X;
                    }
                }
            }
            // Limited to the classes named, or else by the umask; and never an omitted bit.
            value &= (if ch.affected != 0 { ch.affected } else { !self.umask & ALL }) & !omit;
            match ch.op {
                b'=' => {
                    let preserved = (if ch.affected != 0 { !ch.affected } else { 0 }) | omit;
                    new = (new & preserved) | value;
                }
                b'+' => new |= value,
                _ => new &= !value,
            }
        }
        new & ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str, mode: u32, dir: bool) -> u32 {
        ModeChanges::parse_with_umask(text, 0o022).unwrap().apply(mode, dir)
    }

    #[test]
    fn symbolic_clauses_as_chmod() {
        assert_eq!(m("go-w", 0o777, false), 0o755);
        assert_eq!(m("u+rwX,go=rX", 0o600, false), 0o644);
        assert_eq!(m("u+rwX,go=rX", 0o700, false), 0o755);
        assert_eq!(m("u+rwX,go=rX", 0o600, true), 0o755);
        assert_eq!(m("a=r", 0o4755, false), 0o444);
        assert_eq!(m("+x", 0o644, false), 0o755, "the umask keeps w off");
        assert_eq!(m("=rw", 0o777, false), 0o644, "the umask applies to '=' too");
        assert_eq!(m("g=u", 0o750, false), 0o770);
        assert_eq!(m("o=g-w", 0o764, false), 0o766 & !0o002);
        assert_eq!(m("u+s,+t", 0o755, false), 0o5755);
        assert_eq!(m("a-s", 0o6755, false), 0o755);
        assert_eq!(m("u=rw,g=,o=", 0o777, false), 0o600);
    }

    #[test]
    fn octal_modes_keep_a_directorys_set_id_bits() {
        assert_eq!(m("0644", 0o4777, false), 0o644);
        assert_eq!(m("755", 0o2700, true), 0o2755);
        assert_eq!(m("00755", 0o2700, true), 0o755);
        assert_eq!(m("2755", 0o700, true), 0o2755);
        // After an operator, with no class before it.
        assert_eq!(m("=755", 0o2700, true), 0o755);
        assert_eq!(m("+0644,u+x", 0o600, false), 0o744);
        assert_eq!(m("-022", 0o777, false), 0o755);
    }

    #[test]
    fn bad_modes_are_refused() {
        for bad in ["", "u", "u+q", "rw", "0888", "77777", "u+r,", "u+r;g+w", "9", "a=644", "=644r", "+0x"] {
            let e = ModeChanges::parse_with_umask(bad, 0o022).unwrap_err();
            assert!(e.starts_with(&format!("--mode={bad}: not a mode")), "{e}");
        }
    }
}
