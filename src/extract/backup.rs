/*!
`--backup[=CONTROL]` and `--suffix`, as GNU tar's (src/misc.c `maybe_backup_file`, gnulib's
backupfile): before a member is extracted, a file (not a directory) already where it goes is
renamed to a backup name beside it, `f~` or `f.~N~`; if the member then fails, the file is
renamed back. CONTROL is GNU's: `none`/`off`, `simple`/`never` (`f~`), `numbered`/`t`
(`f.~N~`, one more than the highest there), `existing`/`nil` (numbered where numbered backups of
that file exist, else simple; the default). Without a value, $VERSION_CONTROL decides; the
suffix is `--suffix`, else $SIMPLE_BACKUP_SUFFIX, else `~`.
*/

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use rustix::fs::{Dir, Mode, OFlags};

/// How backup names are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Simple,
    Numbered,
    Existing,
}

/// The backups asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backups {
    pub control: Control,
    pub suffix: OsString,
}

/// GNU's words for each control, in its order (`none` asks for no backups).
const WORDS: &[(&str, Option<Control>)] = &[
    ("none", None),
    ("off", None),
    ("simple", Some(Control::Simple)),
    ("never", Some(Control::Simple)),
    ("existing", Some(Control::Existing)),
    ("nil", Some(Control::Existing)),
    ("numbered", Some(Control::Numbered)),
    ("t", Some(Control::Numbered)),
];

impl Backups {
    /// The backups `--backup[=CONTROL]` (`backup`: `Some("")` for the option without a value)
    /// and `--suffix` ask for, given $VERSION_CONTROL and $SIMPLE_BACKUP_SUFFIX; `--suffix`
    /// alone asks for backups too, as in GNU tar. `Ok(None)`: no backups.
    pub fn parse(
        backup: Option<&str>,
        suffix: Option<&OsStr>,
        version_control: Option<&str>,
        simple_suffix: Option<&OsStr>,
    ) -> Result<Option<Backups>, String> {
        if backup.is_none() && suffix.is_none() {
            return Ok(None);
        }
        let (word, whence) = match backup.filter(|b| !b.is_empty()) {
            Some(word) => (Some(word), "--backup"),
            None => (version_control.filter(|v| !v.is_empty()), "$VERSION_CONTROL"),
        };
        let control = match word {
            None => Some(Control::Existing),
            Some(word) => crate::argmatch::argmatch(word, WORDS).map_err(|m| {
                format!(
                    "{} argument '{word}' for '{whence}'; valid: none or off, simple or never, existing or nil, numbered or t",
                    m.word()
                )
            })?,
        };
        let suffix = suffix.or(simple_suffix.filter(|s| !s.is_empty())).unwrap_or(OsStr::new("~"));
        // A suffix with a slash would put the backup in another directory.
        if suffix.as_bytes().contains(&b'/') {
            return Err(format!(
                "the backup suffix '{}' (--suffix or $SIMPLE_BACKUP_SUFFIX) holds a '/'; a backup stays beside its file",
                suffix.to_string_lossy()
            ));
        }
        Ok(control.map(|control| Backups { control, suffix: suffix.to_os_string() }))
    }

    /// The backup name for `name` in `dir`.
    pub fn name_for(&self, dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<OsString> {
        let simple = || {
            let mut b = name.to_os_string();
            b.push(&self.suffix);
            b
        };
        let highest = match self.control {
            Control::Simple => return Ok(simple()),
            Control::Numbered | Control::Existing => highest_numbered(dir, name)?,
        };
        if highest.is_none() && self.control == Control::Existing {
            return Ok(simple());
        }
        let n = highest
            .unwrap_or(0)
            .checked_add(1)
            .ok_or_else(|| io::Error::other("its numbered backups have reached the highest number; remove some"))?;
        let mut b = name.as_bytes().to_vec();
        b.extend_from_slice(format!(".~{n}~").as_bytes());
        Ok(OsString::from_vec(b))
    }
}

/// The highest N of the `name.~N~` in `dir`, if there is one.
fn highest_numbered(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Option<u64>> {
    let fd = rustix::fs::openat(dir, ".", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
    let mut highest = None;
    for entry in Dir::read_from(&fd)? {
        let entry = entry?;
        let n = entry
            .file_name()
            .to_bytes()
            .strip_prefix(name.as_bytes())
            .and_then(|rest| rest.strip_prefix(b".~"))
            .and_then(|rest| rest.strip_suffix(b"~"))
            .filter(|digits| !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) && digits[0] != b'0')
            .and_then(|digits| std::str::from_utf8(digits).ok()?.parse::<u64>().ok());
        if n.is_some() && n > highest {
            highest = n;
        }
    }
    Ok(highest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn controls_and_suffixes_as_gnu_tar_reads_them() {
        let parse =
            |b, s: Option<&str>, vc, ss: Option<&str>| Backups::parse(b, s.map(OsStr::new), vc, ss.map(OsStr::new));
        assert_eq!(parse(None, None, Some("numbered"), None), Ok(None));
        let simple = |s: &str| Ok(Some(Backups { control: Control::Simple, suffix: s.into() }));
        assert_eq!(parse(Some(""), None, None, None).unwrap().unwrap().control, Control::Existing);
        assert_eq!(parse(Some(""), None, Some("t"), None).unwrap().unwrap().control, Control::Numbered);
        assert_eq!(parse(Some("never"), None, Some("t"), None), simple("~"));
        assert_eq!(parse(Some("simple"), None, None, Some(".sb")), simple(".sb"));
        assert_eq!(parse(Some("simple"), Some(".x"), None, Some(".sb")), simple(".x"));
        assert_eq!(parse(None, Some(".old"), Some("simple"), None), simple(".old"));
        assert_eq!(parse(Some("off"), None, None, None), Ok(None));
        assert!(parse(Some("bogus"), None, None, None).unwrap_err().contains("'bogus' for '--backup'"));
        assert!(parse(Some(""), None, Some("bogus"), None).unwrap_err().contains("'$VERSION_CONTROL'"));
        assert!(parse(Some(""), Some("/x"), None, None).is_err());
        assert_eq!(parse(Some("num"), None, None, None).unwrap().unwrap().control, Control::Numbered);
        assert_eq!(parse(Some("s"), None, None, None), simple("~"));
        assert_eq!(parse(Some(""), None, Some("ex"), None).unwrap().unwrap().control, Control::Existing);
        assert!(parse(Some("n"), None, None, None).unwrap_err().starts_with("ambiguous"));
    }

    #[test]
    fn numbered_names_count_on_from_the_highest() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = std::fs::File::open(tmp.path()).unwrap();
        let b = |control| Backups { control, suffix: "~".into() };
        let name = |c, n: &str| b(c).name_for(dir.as_fd(), OsStr::new(n)).unwrap();
        assert_eq!(name(Control::Existing, "f"), "f~");
        assert_eq!(name(Control::Numbered, "f"), "f.~1~");
        for other in ["f.~3~", "f.~10~", "f.~x~", "f.~07~", "ff.~40~", "f.~~"] {
            std::fs::write(tmp.path().join(other), b"").unwrap();
        }
        assert_eq!(name(Control::Numbered, "f"), "f.~11~");
        assert_eq!(name(Control::Existing, "f"), "f.~11~");
        assert_eq!(name(Control::Existing, "g"), "g~");
        assert_eq!(name(Control::Simple, "f"), "f~");
    }
}
