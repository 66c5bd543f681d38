/*!
What a verify found and how it says it: each difference as a line, in the order found, or all of
them with the summary as one JSON document; the summary line that ends the text form.
*/

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Verifier;
use super::check::Finding;
use crate::caps::{self, FileCaps};
use crate::error::{Error, IoContext, Result};
use crate::list::quote_name;

/// The kinds of difference, in the order the summary lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    Missing,
    CapsDiffer,
    CapsMissing,
    CapsExtra,
    Type,
    Mode,
    Owner,
    Size,
    Mtime,
    LinkTarget,
    HardLink,
    Device,
    Content,
    Xattr,
    ExtraCapped,
}

impl DiffKind {
    /// What the difference is; `source` names what was compared with the disk (`archive`,
    /// `manifest`).
    fn label(self, source: &str) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            DiffKind::Missing => "missing on disk",
            DiffKind::CapsDiffer => "capabilities differ",
            DiffKind::CapsMissing => "capabilities missing on disk",
            DiffKind::CapsExtra => return format!("capabilities on disk not in {source}").into(),
            DiffKind::Type => "type differs",
            DiffKind::Mode => "mode differs",
            DiffKind::Owner => "owner differs",
            DiffKind::Size => "size differs",
            DiffKind::Mtime => "mtime differs",
            DiffKind::LinkTarget => "symlink target differs",
            DiffKind::HardLink => "hard link differs",
            DiffKind::Device => "device numbers differ",
            DiffKind::Content => "contents differ",
            DiffKind::Xattr => "xattr differs",
            DiffKind::ExtraCapped => return format!("capped file not in {source}").into(),
        })
    }
}

/// One difference; `archive` and `disk` say what each side holds where that helps.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub path: String,
    pub kind: DiffKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<String>,
    /// The capability compared with the disk, where `--cap-rootid` made it another than
    /// `archive` (the archive's own, or the manifest's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
    /// What `archive` comes from: `archive` or `manifest`.
    #[serde(skip)]
    pub source: &'static str,
    /// The archive member's name beneath the root (after `--transform`), which a later member
    /// of the same name replaces on extraction; `None` for what is not one member's check.
    #[serde(skip)]
    pub(super) member: Option<PathBuf>,
    /// Another name a later member of which withdraws this difference: a hard link's target,
    /// for "hard link differs" (a later member of the target's name is extracted as a new file,
    /// leaving the link on the old one, as GNU tar leaves it).
    #[serde(skip)]
    pub(super) also_of: Option<PathBuf>,
    /// A capability that differs only as this user namespace reads it: the archive's v3 rootid
    /// (a uid outside it, which this namespace's kernel would not take), and the uid of this
    /// namespace it is, which the disk's value has (`Verifier::ns_views`).
    #[serde(skip)]
    pub(super) ns_view: Option<(u32, u32)>,
    /// A capability that differs only in its rootid, not as this namespace reads it (that is
    /// `ns_view`): the archive's and the disk's, as a reader here sees them (`None`: none, a
    /// v2 value). `Verifier::rootid_only`.
    #[serde(skip)]
    pub(super) rootid_only: Option<(Option<u32>, Option<u32>)>,
}

impl Difference {
    /// A difference of no one member's check (see `member`), nothing rewritten.
    pub(super) fn new(
        path: &Path,
        kind: DiffKind,
        archive: Option<String>,
        disk: Option<String>,
        risk: Option<String>,
        source: &'static str,
    ) -> Difference {
        Difference {
            path: display(path),
            kind,
            archive,
            disk,
            expected: None,
            risk,
            source,
            member: None,
            also_of: None,
            ns_view: None,
            rootid_only: None,
        }
    }

    /// The one-line text form.
    pub fn line(&self) -> String {
        // `archive X [rootid=N] (X with --cap-rootid)`: what is compared is not what the
        // archive holds, and was labelled as if it were (found by review).
        let archive = match (&self.archive, &self.expected) {
            (Some(a), Some(e)) if self.kind == DiffKind::CapsMissing => Some(format!("{a}; {e} with --cap-rootid")),
            (Some(a), Some(e)) => Some(format!("{a} ({e} with --cap-rootid)")),
            (a, _) => a.clone(),
        };
        let detail = match (self.kind, &archive, &self.disk) {
            (DiffKind::CapsMissing, Some(a), _) => format!(" ({} {a})", self.source),
            (DiffKind::CapsExtra | DiffKind::ExtraCapped | DiffKind::Missing, _, Some(d)) => format!(": {d}"),
            // Times as dates (UTC, to the nanosecond); JSON keeps the pax seconds.
            (DiffKind::Mtime, Some(a), Some(d)) => format!(": {} {}, disk {}", self.source, date(a), date(d)),
            (_, Some(a), Some(d)) => format!(": {} {a}, disk {d}", self.source),
            _ => String::new(),
        };
        let risk = self.risk.as_ref().map(|r| format!(" [risk={r}]")).unwrap_or_default();
        format!("{}: {}{detail}{risk}", self.path, self.kind.label(self.source))
    }
}

/// A time in pax seconds as a date (`Time::date_text`); what does not parse, as it is.
fn date(pax: &str) -> String {
    crate::format::Time::from_pax(pax).map_or_else(|| pax.to_string(), |t| t.date_text())
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub entries: u64,
    pub with_caps: u64,
    pub differences: u64,
    pub by_kind: BTreeMap<DiffKind, u64>,
}

/// The rootids `note_ns_views` gives a line each.
const NS_VIEWS_SAID: usize = 4;

/// What is held to be printed once the archive is read (`Verifier::holding`).
pub(super) enum Held {
    Diff(Difference),
    /// A member's name (`-v`) after a difference held: printed in its place, after it.
    Name(String),
    /// A difference withdrawn (`Verifier::withdraw`).
    Withdrawn,
}

/// Differences held in text form beyond which they are printed as found: a run whose every
/// member differs (a tree not restored at all) keeps bounded memory, and with that many
/// differences a later copy's is no matter.
const HOLD_MAX: usize = 1 << 16;

#[derive(Serialize)]
struct JsonReport<'a> {
    differences: Vec<&'a Difference>,
    summary: &'a Summary,
    /// What was also said on stderr (exit 2 for an error, 1 for a warning): a file that could
    /// not be compared is not a pass (found by review: the JSON said no differences).
    errors: &'a [String],
    warnings: &'a [String],
}

/// An archived name as extraction makes it beneath DIR: without its leading slashes.
pub(super) fn beneath_root(path: &Path) -> &Path {
    let b = path.as_os_str().as_bytes();
    Path::new(std::ffi::OsStr::from_bytes(&b[b.iter().position(|&c| c != b'/').unwrap_or(b.len())..]))
}

/// A name as verify prints it: as `tar -t` and `captar list` do (escaped, so each difference is
/// one line and two names never print alike), without a directory's trailing slash.
pub(super) fn display(path: &Path) -> String {
    let b = path.as_os_str().as_bytes();
    quote_name(b.strip_suffix(b"/").filter(|s| !s.is_empty()).unwrap_or(b))
}

impl Verifier<'_> {
    pub(super) fn differ(
        &mut self,
        path: &Path,
        kind: DiffKind,
        archive: Option<String>,
        disk: Option<String>,
        risk: Option<String>,
    ) -> Result<()> {
        let source = self.opts.source.label();
        self.push(Difference::new(path, kind, archive, disk, risk, source))
    }

    /// Says which capability differences are only this user namespace's view of the archive's
    /// value: a backup made outside, of a rootless container's files, holds the outside uid
    /// of its root as rootid, which the disk shows here as v2 (found by review: "capabilities
    /// differ", with nothing to say that the stored values are the same).
    pub(super) fn note_ns_views(&self) {
        let map = crate::xattr::uid_map_text().unwrap_or_default();
        let views: Vec<_> = self.ns_views.iter().filter(|(_, n)| **n > 0).collect();
        let differ =
            |n: u64| if n == 1 { "1 capability differs".to_string() } else { format!("{n} capabilities differ") };
        for &(&(rootid, here), &n) in views.iter().take(NS_VIEWS_SAID) {
            let (whom, policy) = match here {
                0 => ("this namespace's root".to_string(), "host".to_string()),
                i => (format!("this namespace's uid {i}"), i.to_string()),
            };
            self.report.note(format!(
                "{} only as this user namespace reads it: the archive's rootid {rootid} is {whom} as seen from outside (uid map: {map}); if the archive was made outside, --cap-rootid {policy} compares it as stored",
                differ(n)
            ));
        }
        // The first rootids a line each, the others counted: an archive of many rootids is
        // said in a few lines.
        let others: u64 = views.iter().skip(NS_VIEWS_SAID).map(|(_, n)| **n).sum();
        if others > 0 {
            self.report.note(match others {
                1 => {
                    "and 1 more capability differs only as this user namespace reads it, of another rootid".to_string()
                }
                n => {
                    format!("and {n} more capabilities differ only as this user namespace reads them, of other rootids")
                }
            });
        }
    }

    /// Says which capability differences are only of the rootid: the same sets, one side
    /// namespaced (v3) with a rootid the other has not, as after an extraction outside the
    /// namespace the archive was made in, or into a rootless container (found by audit: seven
    /// "capabilities differ" with the same sets on both sides, and nothing to say why, where
    /// the option that compares them was one flag away).
    pub(super) fn note_rootid_only(&self) {
        let rootid = |r: Option<u32>| r.map_or("none".to_string(), |r| r.to_string());
        let source = self.opts.source.label();
        let pairs: Vec<_> = self.rootid_only.iter().filter(|(_, n)| **n > 0).collect();
        for &(&(archive, disk), &n) in pairs.iter().take(NS_VIEWS_SAID) {
            let differ = if n == 1 { "1 capability differs".to_string() } else { format!("{n} capabilities differ") };
            let (option, whom) = match disk {
                None => ("host".to_string(), "the host".to_string()),
                Some(r) => (r.to_string(), format!("the user namespace whose root is uid {r}")),
            };
            self.report.note(format!(
                "{differ} only in the rootid of a namespaced (v3) value: the {source}'s {}, the disk's {}; where the files were restored for {whom}, --cap-rootid {option} compares the {source}'s value as that option rewrites it",
                rootid(archive),
                rootid(disk)
            ));
        }
        let others: u64 = pairs.iter().skip(NS_VIEWS_SAID).map(|(_, n)| **n).sum();
        if others > 0 {
            self.report.note(format!("and {others} more differ only in the rootid, of other rootids"));
        }
    }

    fn push(&mut self, d: Difference) -> Result<()> {
        let kind = d.kind;
        if let Some(view) = d.ns_view {
            *self.ns_views.entry(view).or_default() += 1;
        }
        if let Some(pair) = d.rootid_only {
            *self.rootid_only.entry(pair).or_default() += 1;
        }
        self.summary.differences += 1;
        *self.summary.by_kind.entry(kind).or_default() += 1;
        if self.holding {
            for name in d.member.iter().chain(&d.also_of) {
                self.held_at.entry(name.clone()).or_default().push(self.diffs.len());
            }
        }
        if self.holding || self.opts.json {
            self.diffs.push(Held::Diff(d));
            if !self.opts.json && self.diffs.len() >= HOLD_MAX {
                return self.release();
            }
        } else {
            writeln!(self.out, "{}", d.line()).map_err(Error::stdout)?;
        }
        Ok(())
    }

    /// A later member named `member`: what the checks of the earlier ones of that name found
    /// is withdrawn, as extraction replaces their file with the later one's (a file added
    /// again by `append` or `update`; found by review: every file `update` had added again
    /// differed after a restore). Only differences are: an error stays said.
    fn withdraw(&mut self, member: &Path) {
        if self.held_at.is_empty() {
            return; // the usual case: nothing held, no name to hash
        }
        for i in self.held_at.remove(member).unwrap_or_default() {
            if let Held::Diff(d) = std::mem::replace(&mut self.diffs[i], Held::Withdrawn) {
                self.summary.differences -= 1;
                if let Some(n) = d.ns_view.and_then(|view| self.ns_views.get_mut(&view)) {
                    *n -= 1;
                }
                if let Some(n) = d.rootid_only.and_then(|pair| self.rootid_only.get_mut(&pair)) {
                    *n -= 1;
                }
                if let Some(n) = self.summary.by_kind.get_mut(&d.kind) {
                    *n -= 1;
                    if *n == 0 {
                        self.summary.by_kind.remove(&d.kind);
                    }
                }
            }
        }
    }

    /// Stops holding differences, and prints those held (text form; `--json` prints them all
    /// in its document).
    pub(super) fn release(&mut self) -> Result<()> {
        self.holding = false;
        self.held_at = Default::default();
        if !self.opts.json {
            for held in std::mem::take(&mut self.diffs) {
                match held {
                    Held::Diff(d) => writeln!(self.out, "{}", d.line()),
                    Held::Name(line) => writeln!(self.out, "{line}"),
                    Held::Withdrawn => Ok(()),
                }
                .map_err(Error::stdout)?;
            }
        }
        Ok(())
    }

    pub(super) fn risk_of(&self, c: Option<&FileCaps>) -> Option<String> {
        if self.opts.risk { c.and_then(caps::risk::describe) } else { None }
    }

    /// Compares a member's capability (raw archive value) with the file's.
    /// Records what a check found: differences in order, errors on the report.
    pub(super) fn record(&mut self, findings: Vec<Finding>) -> Result<()> {
        for f in findings {
            match f {
                Finding::Name(name) => {
                    let prefix = self.opts.name_members.unwrap_or_default();
                    let quoted = quote_name(name.as_os_str().as_bytes());
                    // After a difference held, names are held too, each before its own.
                    if self.holding && !self.diffs.is_empty() {
                        self.diffs.push(Held::Name(format!("{prefix}{quoted}")));
                        if self.diffs.len() >= HOLD_MAX {
                            self.release()?;
                        }
                    } else {
                        writeln!(self.out, "{prefix}{quoted}").map_err(Error::stdout)?;
                    }
                }
                Finding::Diff(d) => self.push(d)?,
                Finding::Again(member) => self.withdraw(&member),
                // What is on standard output goes first, so the two streams read in archive
                // order when they go to one place (`2>&1`), as gnulib's error() flushes.
                Finding::Error(e) => {
                    self.out.flush().map_err(Error::stdout)?;
                    self.report.error(e)
                }
                Finding::Warning(kind, w) => {
                    self.out.flush().map_err(Error::stdout)?;
                    match kind {
                        Some(kind) => self.report.warn_as(kind, w),
                        None => self.report.warn(w),
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn finish(&mut self) -> Result<()> {
        let stdout = Path::new("(standard output)");
        if self.opts.json {
            let kept = self.report.kept_messages();
            let (errors, warnings) = (&kept.errors, &kept.warnings);
            let differences =
                self.diffs.iter().filter_map(|h| if let Held::Diff(d) = h { Some(d) } else { None }).collect();
            let doc = JsonReport { differences, summary: &self.summary, errors, warnings };
            crate::json::to_writer_pretty(&mut self.out, &doc).at(stdout, "write")?;
            writeln!(self.out).at(stdout, "write")?;
        } else if self.summary.differences > 0 || self.opts.summary_on_pass {
            let source = self.opts.source.label();
            let kinds: Vec<String> =
                self.summary.by_kind.iter().map(|(k, n)| format!("{}: {n}", k.label(source))).collect();
            let detail = if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) };
            let counted = |n: u64, one: &str, more: &str| format!("{n} {}", if n == 1 { one } else { more });
            // The errors and warnings said on stderr, counted: "0 differences" with exit 1 or 2
            // did not say why (found by review). Those silenced (-q, --warning=no-KEYWORD) are
            // counted apart: they are not on stderr, and they make the exit 1.
            let unsaid = self.report.unsaid_warnings();
            let shown = self.report.warnings() - unsaid;
            let said: Vec<String> = [(self.report.errors(), "error", "errors"), (shown, "warning", "warnings")]
                .into_iter()
                .filter(|&(n, ..)| n > 0)
                .map(|(n, one, more)| counted(n as u64, one, more))
                .collect();
            let mut said = if said.is_empty() { String::new() } else { format!("; {} (on stderr)", said.join(", ")) };
            if unsaid > 0 {
                said += &format!("; {}", counted(unsaid as u64, "silenced warning", "silenced warnings"));
            }
            writeln!(
                self.out,
                "verified {}, {} with capabilities: {}{detail}{said}",
                counted(self.summary.entries, "entry", "entries"),
                self.summary.with_caps,
                counted(self.summary.differences, "difference", "differences"),
            )
            .at(stdout, "write")?;
        }
        self.out.flush().at(stdout, "write")
    }
}
