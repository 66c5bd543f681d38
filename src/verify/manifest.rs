/*!
`verify --manifest`: the lines of a `getcap -r` (or `getcap -n -r`) record, or of a `caps scan
--json` one, each path checked as an archive member's file is, for its capability only.
*/

use crate::error::ShowPath;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::Verifier;
use super::check::{Place, Task};
use crate::caps::{self, FileCaps};
use crate::error::{Error, IoContext, Result};
use crate::extract::SafeName;
use crate::format::Kind;

impl Verifier<'_> {
    /// A line without ` [rootid=N]` means no rootid: the capability of the namespace the
    /// manifest was made in, as `getcap -n -r` writes it. Plain `getcap -r` leaves rootids out
    /// too, but a file whose capability reads as namespaced here (v3, a rootid other than this
    /// namespace's root) is not the capability such a line records: it grants nothing here,
    /// and is a difference (found by review: rootids were not compared unless some line had
    /// one, so a restore that made every capability namespaced passed).
    pub(super) fn manifest(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read(path).at(path, "read the manifest")?;
        if let Some(what) = not_a_listing(&text) {
            return Err(Error::entry(path, format!("not a `getcap -r` listing nor `caps scan --json` output: {what}")));
        }
        let mut lines = Vec::new();
        let mut bad = 0u64;
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse_any_line(line) {
                Ok(parsed) => lines.push(parsed),
                Err(why) => {
                    bad += 1;
                    if bad <= BAD_LINES_SHOWN {
                        self.report.error(format!("{}:{}: {why}", path.escaped(), i + 1));
                    }
                }
            }
        }
        if bad > BAD_LINES_SHOWN {
            self.report.error(format!(
                "{}: {} more lines are not `getcap` lines either (is it a getcap listing?)",
                path.escaped(),
                bad - BAD_LINES_SHOWN
            ));
        }
        // An empty record (a `getcap -r` that failed, or was run on the wrong tree) checks
        // nothing: said, exit 1, where it passed (found by audit). With --extra it is the
        // record of a tree that should hold no capability, and is compared so.
        if lines.is_empty() && text.iter().all(u8::is_ascii_whitespace) && !self.opts.extra {
            self.report.warn(format!(
                "{}: the manifest lists no file, so nothing was compared (with --extra and -C or paths, a tree that should hold no capability is checked for any)",
                path.escaped()
            ));
        }
        // --extra names what it finds as the manifest's lines are written, selected or not.
        if let Some((first, _)) = lines.first() {
            self.note_style(Path::new(std::ffi::OsStr::from_bytes(first)));
        }
        for (file_path, caps) in lines {
            let shown = PathBuf::from(std::ffi::OsStr::from_bytes(&file_path));
            // Compared with the names given as members are: without a leading `/` or `./`.
            if !self.members.selects(&SafeName::rel_of(&shown), &shown) {
                continue;
            }
            self.note_style(&shown);
            // --strip-components: the recorded tree's own directory (`getcap -r /srv/old`) left
            // out, the rest is looked for beneath DIR (or here), as an archive member's name.
            // Such a file is named as found, without the part left out.
            let stripped = self.opts.strip_components > 0;
            let shown = match self.opts.strip_components {
                0 => shown,
                n => match crate::extract::strip(&shown, n) {
                    Some(rest) => rest,
                    None => continue,
                },
            };
            // Under -C, a path (absolute or relative) names a file beneath DIR, looked up there
            // through no symlink, as archive members are: one in the restored tree must not
            // send the check to the host's file of that name.
            let place = match (&self.opts.directory, stripped) {
                (None, false) => Place::Path(shown.clone()),
                _ => match SafeName::parse(&shown) {
                    Ok(n) => Place::Beneath { root: self.root.clone(), rel: n.rel },
                    Err(_) => {
                        self.report.error(Error::entry(&shown, "path contains '..'; not verified"));
                        continue;
                    }
                },
            };
            self.summary.entries += 1;
            if self.opts.extra {
                self.seen.insert(match &place {
                    Place::Beneath { rel, .. } => rel.clone(),
                    Place::Path(path) => super::extra::spelled_alike(path),
                });
            }
            self.summary.with_caps += 1;
            let task = Task {
                name: shown,
                place,
                manifest: true,
                kind: Kind::File,
                link_kind: Kind::File,
                archived: Some(caps),
                rootid: self.opts.rootid,
                risk: self.opts.risk,
                again: false,
                all: None,
                listing: None,
            };
            let findings = task.check_named(&mut self.dirs_open, self.opts.name_members.is_some());
            self.record(findings)?;
        }
        Ok(())
    }
}

/// A manifest line: `caps scan --json`'s object (a line that starts with `{` and reads as
/// one), else `getcap`'s text.
fn parse_any_line(line: &[u8]) -> std::result::Result<(Vec<u8>, FileCaps), String> {
    let json = line.trim_ascii_start().starts_with(b"{");
    if json && let Ok(scanned) = serde_json::from_slice::<ScanLine>(line) {
        return scanned.parsed();
    }
    parse_manifest_line(line).ok_or_else(|| match json {
        true => "not a `caps scan --json` line (a JSON object with path and raw) nor a `getcap` one".to_string(),
        false => "not a `getcap` line (PATH CAPABILITIES [rootid=N])".to_string(),
    })
}

/// The lines of a manifest that are not a listing's said one by one: more are counted in one
/// line (found by audit: a text file given by mistake was an error per line).
const BAD_LINES_SHOWN: u64 = 10;

/// Why `text` cannot be a `getcap` listing or `caps scan --json` output, if it cannot: a NUL
/// byte, which neither writes (no path holds one) and which a binary file has (a compressed
/// one has them within a few hundred bytes), named where its first bytes say what it is
/// (found by audit: a tar archive given as the manifest by mistake was 100,000 one-line
/// errors, and a line of its binary data read as a file missing on disk). Text is never
/// judged by its first bytes: a listing of `LZIP/...` or `BZh9/...` reads as a compressed
/// stream's magic (found by review).
fn not_a_listing(text: &[u8]) -> Option<String> {
    use crate::format::compress::Compression;
    memchr::memchr(0, text)?;
    let head = &text[..text.len().min(512)];
    let tar = head.try_into().is_ok_and(|h: &[u8; 512]| crate::format::reader::header_checksum_ok(h) == Some(true));
    Some(match Compression::detect(head) {
        _ if tar => "it is a tar archive (give it with -f)".to_string(),
        Ok(c) if c != Compression::None => {
            format!("it is {} (give it with -f), or another {}-compressed file", c.compressed_archive(), c.name())
        }
        Err(_) => "it is a compressed file".to_string(),
        Ok(_) => "it holds NUL bytes (a binary file)".to_string(),
    })
}

/// The fields of a `caps scan --json` line that a manifest needs: the name's exact bytes
/// (`path_hex` where it is not UTF-8) and the capability's exact value (`raw`, rootid and
/// revision included). Names getcap's text cannot carry (a newline in one) come through.
#[derive(serde::Deserialize)]
struct ScanLine {
    path: Option<String>,
    path_hex: Option<String>,
    raw: Option<String>,
}

impl ScanLine {
    fn parsed(self) -> std::result::Result<(Vec<u8>, FileCaps), String> {
        let path = match (self.path_hex, self.path) {
            (Some(h), _) => crate::list::unhex(&h).ok_or("its path_hex is not hex")?,
            (None, Some(p)) if !p.is_empty() => p.into_bytes(),
            _ => return Err("a `caps scan --json` line without a path".into()),
        };
        let raw = self.raw.ok_or("a `caps scan --json` line without raw, the capability's value")?;
        let raw = crate::list::unhex(&raw).ok_or("its raw is not hex")?;
        let caps = FileCaps::decode(&raw).map_err(|e| format!("its raw capability value is invalid: {e}"))?;
        Ok((path, caps))
    }
}

/// Splits a `getcap` line into path and capability. getcap writes the path, one space, and
/// libcap's text of the set (`cap_a,cap_b=ep cap_c+i`, clauses split by spaces): the path is
/// what comes before a space after which the rest parses as such text, and does not start with
/// another space (a name may end in spaces). Where a name holds what reads as text too
/// (`x cap_chown=ep`), the split whose text is the one libcap writes for its set wins
/// (`x cap_chown=ep cap_net_raw=ep` is `x cap_chown=ep` with `cap_net_raw=ep`: libcap would
/// write both in one clause), else the first.
pub fn parse_manifest_line(line: &[u8]) -> Option<(Vec<u8>, FileCaps)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut first = None;
    for (i, _) in line.iter().enumerate().filter(|&(_, &b)| b == b' ') {
        let Ok(rest) = std::str::from_utf8(&line[i + 1..]) else { continue };
        if rest.starts_with(' ') {
            continue;
        }
        let (text, rootid) = match rest.rsplit_once(" [rootid=") {
            Some((t, r)) => match r.strip_suffix(']').and_then(parse_rootid) {
                Some(n) => (t, Some(n)),
                None => continue,
            },
            None => (rest, None),
        };
        if let Ok(c) = caps::parse_text(text) {
            let canonical = c.text() == text;
            let c = match rootid {
                Some(r) => c.with_rootid(r),
                None => c,
            };
            if canonical {
                return Some((line[..i].to_vec(), c));
            }
            first.get_or_insert((line[..i].to_vec(), c));
        }
    }
    first
}

/// A rootid as `getcap -n` prints it: libcap prints it as a signed int, so one of 2^31 or more
/// appears negative.
fn parse_rootid(n: &str) -> Option<u32> {
    n.parse::<u32>().ok().or_else(|| n.parse::<i32>().ok().map(|r| r as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_json_lines() {
        let line = br#"{"path":"d/a\nb","revision":2,"text":"cap_net_raw=ep","rootid":null,"raw":"0100000200200000000000000000000000000000"}"#;
        let (p, c) = parse_any_line(line).unwrap();
        assert_eq!((p.as_slice(), c.text().as_str()), (&b"d/a\nb"[..], "cap_net_raw=ep"));
        // path_hex wins over path's U+FFFD.
        let line = br#"{"path":"n\ufffd","path_hex":"6eff","raw":"0100000200200000000000000000000000000000"}"#;
        assert_eq!(parse_any_line(line).unwrap().0, b"n\xff");
        let v3 = br#"{"path":"r","raw":"0100000300200000000000000000000000000000a0860100"}"#;
        assert_eq!(parse_any_line(v3).unwrap().1.rootid, Some(100000));
        for (bad, why) in [
            (&br#"{"path":"x"}"#[..], "without raw"),
            (br#"{"raw":"0100000200200000000000000000000000000000"}"#, "without a path"),
            (br#"{"path":"x","raw":"01zz"}"#, "raw is not hex"),
            (br#"{"path":"x","raw":"+100000200200000000000000000000000000000"}"#, "raw is not hex"),
            (br#"{"path":"x","raw":"0100"}"#, "invalid"),
            (br#"{"path":"x","raw":"#, "nor a `getcap` one"),
        ] {
            let e = parse_any_line(bad).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        // A getcap line whose name starts with `{` is getcap's.
        assert_eq!(parse_any_line(b"{x} cap_kill=p").unwrap().0, b"{x}");
    }

    #[test]
    fn manifest_lines() {
        let (p, c) = parse_manifest_line(b"/usr/bin/ping cap_net_raw=ep").unwrap();
        assert_eq!(p, b"/usr/bin/ping");
        assert_eq!(c.text(), "cap_net_raw=ep");
        let (p, c) = parse_manifest_line(b"./a b/c cap_setuid=i cap_net_raw+p [rootid=100000]").unwrap();
        assert_eq!(p, b"./a b/c");
        assert_eq!(c.text(), "cap_setuid=i cap_net_raw+p");
        assert_eq!(c.rootid, Some(100000));
        let (p, c) = parse_manifest_line(b"x =").unwrap();
        assert_eq!(p, b"x");
        assert!(c.is_empty());
        assert!(parse_manifest_line(b"nothing here").is_none());
        // A name ending in a space; a name that holds what reads as text (getcap's lines).
        let (p, c) = parse_manifest_line(b"d/trail  cap_kill=p").unwrap();
        assert_eq!((p.as_slice(), c.text().as_str()), (&b"d/trail "[..], "cap_kill=p"));
        let (p, c) = parse_manifest_line(b"d/x cap_chown=ep cap_net_raw=ep").unwrap();
        assert_eq!((p.as_slice(), c.text().as_str()), (&b"d/x cap_chown=ep"[..], "cap_net_raw=ep"));
        let (p, c) = parse_manifest_line(b"d/y cap_chown=ep cap_net_raw=ep [rootid=5]").unwrap();
        assert_eq!((p.as_slice(), c.rootid), (&b"d/y cap_chown=ep"[..], Some(5)));
        // Text libcap would not write (another order), and no other split: taken as it is.
        let (p, c) = parse_manifest_line(b"d/z cap_net_raw,cap_chown=ep").unwrap();
        assert_eq!((p.as_slice(), c.text().as_str()), (&b"d/z"[..], "cap_chown,cap_net_raw=ep"));
        // getcap -n prints a rootid of 2^31 or more as a negative int; it reads back as it was.
        let big =
            FileCaps::decode(&[0, 0, 0, 3, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x5e, 0xd0, 0xb2, 0xb2])
                .unwrap();
        let line = format!("f {}{}", big.text(), big.rootid_suffix());
        assert!(line.contains("[rootid=-"), "{line}");
        assert_eq!(parse_manifest_line(line.as_bytes()).unwrap().1.rootid, big.rootid);
    }
}
