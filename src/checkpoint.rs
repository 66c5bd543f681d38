/*!
GNU tar's `--checkpoint[=[.]N]` and `--checkpoint-action=ACTION`: actions run every N records
(of 10 KiB, the archive's blocking) written or read, as GNU tar runs them (src/checkpoint.c): at
the start of the Nth, 2Nth... record. The actions and the `echo`/`ttyout` format directives are
GNU tar's (`dot`, `bell`, `echo[=FORMAT]`, `ttyout=FORMAT`, `sleep=SECONDS`, `exec=COMMAND`,
`totals`; `%s %u %d %T %{...}T %t %{...}t %* %{N}* %c`); `wait=SIGNAL` is refused.
*/

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// `%c`: GNU tar's default progress line.
const DEFAULT_FORMAT: &str = "%{%Y-%m-%d %H:%M:%S}t: %ds, %{read,wrote}T%*\r";

/// What the checkpoints are counted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Write,
    Read,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Dot,
    Bell,
    Echo(Option<String>),
    Ttyout(String),
    Sleep(u64),
    Exec(String),
    Totals,
}

/// The options as given: how often, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    every: u64,
    actions: Vec<Action>,
}

impl Spec {
    /// `--checkpoint` (`None` when not given; `Some("")` without a value) and the
    /// `--checkpoint-action`s, in order; `Ok(None)` when neither is given.
    pub fn parse(checkpoint: Option<&str>, actions: &[String]) -> Result<Option<Spec>, String> {
        if checkpoint.is_none() && actions.is_empty() {
            return Ok(None);
        }
        let mut list = Vec::new();
        let mut every = 10;
        if let Some(value) = checkpoint.filter(|v| !v.is_empty()) {
            let number = match value.strip_prefix('.') {
                Some(rest) => {
                    list.push(Action::Dot);
                    rest
                }
                None => value,
            };
            every = match number {
                "" => 10,
                n => n
                    .parse::<u64>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--checkpoint={value}: not a number of records above 0"))?,
            };
        }
        for a in actions {
            list.push(parse_action(a)?);
        }
        // GNU tar's historical default: without an action, each checkpoint is echoed.
        if list.is_empty() {
            list.push(Action::Echo(None));
        }
        Ok(Some(Spec { every, actions: list }))
    }
}

fn parse_action(text: &str) -> Result<Action, String> {
    let value = |prefix: &str| text.strip_prefix(prefix).map(unquote);
    Ok(match text {
        "." | "dot" => Action::Dot,
        "bell" => Action::Bell,
        "echo" => Action::Echo(None),
        "totals" => Action::Totals,
        _ if text.starts_with("echo=") => Action::Echo(value("echo=")),
        _ if text.starts_with("ttyout=") => Action::Ttyout(value("ttyout=").unwrap_or_default()),
        _ if text.starts_with("exec=") => Action::Exec(value("exec=").unwrap_or_default()),
        _ if text.starts_with("sleep=") => {
            let n = &text["sleep=".len()..];
            Action::Sleep(n.parse().map_err(|_| format!("--checkpoint-action={text}: not a valid timeout"))?)
        }
        _ if text.starts_with("wait=") => {
            return Err(format!(
                "--checkpoint-action={text}: waiting for a signal is not supported by captar; use exec= or sleep="
            ));
        }
        _ => {
            return Err(format!(
                "--checkpoint-action={text}: unknown action (dot, bell, echo[=FORMAT], ttyout=FORMAT, sleep=SECONDS, exec=COMMAND, totals)"
            ));
        }
    })
}

/// GNU tar's `copy_string_unquote`: surrounding quotes removed, then C escapes (`\n`, `\t`,
/// `\r`, `\\`, octal) turned into their bytes; a NUL ends the string, as in C. Octal bytes
/// that are not UTF-8 together become U+FFFD (GNU tar writes the raw byte).
fn unquote(s: &str) -> String {
    let s = match s.as_bytes() {
        [q @ (b'"' | b'\''), .., last] if last == q && s.len() >= 2 => &s[1..s.len() - 1],
        _ => s,
    };
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut utf8 = [0u8; 4];
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            continue;
        }
        let byte = match chars.next() {
            Some('n') => b'\n',
            Some('t') => b'\t',
            Some('r') => b'\r',
            Some('a') => 0x07,
            Some('b') => 0x08,
            Some('f') => 0x0c,
            Some('v') => 0x0b,
            Some('\\') => b'\\',
            Some(d @ '0'..='7') => {
                let mut n = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(v) => {
                            n = n * 8 + v;
                            chars.next();
                        }
                        None => break,
                    }
                }
                (n & 0xff) as u8
            }
            Some(other) => {
                out.push(b'\\');
                out.extend_from_slice(other.encode_utf8(&mut utf8).as_bytes());
                continue;
            }
            None => b'\\',
        };
        out.push(byte);
    }
    if let Some(nul) = out.iter().position(|&b| b == 0) {
        out.truncate(nul);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The checkpoints of one run: the spec, and what the actions need to know of the run.
#[derive(Debug)]
pub struct Checkpoints {
    spec: Spec,
    operation: Operation,
    /// For `exec`: TAR_ARCHIVE and TAR_SUBCOMMAND (`-c`, `-x`...).
    archive: PathBuf,
    subcommand: &'static str,
    /// `dot` writes to standard error when standard output carries the archive or data
    /// (GNU tar's `stdlis`).
    dots_to_stderr: bool,
    started: Instant,
    tty: Mutex<Tty>,
    /// The record's size in bytes (`-b`, `--record-size`): what is counted.
    record: u64,
}

#[derive(Debug, Default)]
struct Tty {
    file: Option<File>,
    opened: bool,
    /// A `\r` went to the terminal: the line is cleared at the end.
    cleanup: bool,
}

impl Checkpoints {
    pub fn new(
        spec: Spec,
        operation: Operation,
        archive: PathBuf,
        subcommand: &'static str,
        dots_to_stderr: bool,
    ) -> Checkpoints {
        Checkpoints {
            spec,
            operation,
            archive,
            subcommand,
            dots_to_stderr,
            started: Instant::now(),
            tty: Mutex::new(Tty::default()),
            record: crate::format::writer::RECORD,
        }
    }

    /// Records of `record` bytes (GNU tar's `--record-size`) instead of 10 KiB.
    pub fn with_record(mut self, record: u64) -> Checkpoints {
        self.record = record;
        self
    }

    /// A counter of the records begun, for one stream.
    pub fn counter(self: &std::sync::Arc<Self>) -> Counter {
        Counter { checkpoints: self.clone(), begun: 0, last_read: None }
    }

    /// Checkpoint number `checkpoint`, at the start of the record at byte `bytes` (what GNU tar
    /// counts as done: with reading, skipped records too).
    fn run(&self, checkpoint: u64, bytes: u64) {
        for action in &self.spec.actions {
            match action {
                Action::Dot => {
                    if self.dots_to_stderr {
                        let _ = io::stderr().write_all(b".");
                    } else {
                        let mut out = io::stdout().lock();
                        crate::error::note_output(out.write_all(b".").and_then(|()| out.flush()));
                    }
                }
                Action::Bell => self.to_tty(|t, _| t.write_all(b"\x07")),
                Action::Echo(format) => {
                    let prefix = "captar: ";
                    let mut line = prefix.to_string();
                    let width = || terminal_width(2);
                    self.format(&mut line, prefix.len(), format.as_deref(), checkpoint, bytes, &width);
                    line.push('\n');
                    let _ = io::stderr().write_all(line.as_bytes());
                }
                Action::Ttyout(format) => self.to_tty(|t, cleanup| {
                    let mut line = String::new();
                    let width = || terminal_width(rustix::fd::AsRawFd::as_raw_fd(t));
                    self.format(&mut line, 0, Some(format), checkpoint, bytes, &width);
                    if line.contains('\r') {
                        *cleanup = true;
                    }
                    t.write_all(line.as_bytes())
                }),
                Action::Sleep(secs) => std::thread::sleep(std::time::Duration::from_secs(*secs)),
                Action::Exec(command) => self.exec(command, checkpoint),
                Action::Totals => {
                    let verb = if self.operation == Operation::Write { "written" } else { "read" };
                    let line = format!("Total bytes {verb}: {}", stats(bytes, self.seconds()));
                    crate::error::print_stderr(&line);
                }
            }
        }
    }

    fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Runs `write` on /dev/tty, opened at the first use (nothing when there is none).
    fn to_tty(&self, write: impl FnOnce(&mut File, &mut bool) -> io::Result<()>) {
        let Ok(mut tty) = self.tty.lock() else { return };
        let tty = &mut *tty;
        if !tty.opened {
            tty.opened = true;
            tty.file = std::fs::OpenOptions::new().write(true).open("/dev/tty").ok();
        }
        if let Some(file) = tty.file.as_mut() {
            let _ = write(file, &mut tty.cleanup).and_then(|()| file.flush());
        }
    }

    /// GNU tar's `format_checkpoint_string`: `out` gets `format` (the default message without
    /// one) with its directives expanded; `len` is the line's length so far, for `%*`.
    fn format(
        &self,
        out: &mut String,
        mut len: usize,
        format: Option<&str>,
        checkpoint: u64,
        bytes: u64,
        width: &dyn Fn() -> usize,
    ) -> usize {
        let write = self.operation == Operation::Write;
        let default = if write { "Write checkpoint %u" } else { "Read checkpoint %u" };
        let format = format.unwrap_or(default);
        let mut rest = format;
        let push = |out: &mut String, s: &str, len: &mut usize| {
            out.push_str(s);
            *len += s.chars().count();
        };
        while let Some(c) = rest.chars().next() {
            rest = &rest[c.len_utf8()..];
            if c != '%' {
                if c == '\r' {
                    out.push(c);
                    len = 0;
                } else {
                    push(out, c.encode_utf8(&mut [0; 4]), &mut len);
                }
                continue;
            }
            // `%{ARG}X`: an argument for the directive X.
            let mut arg = None;
            if let Some(after) = rest.strip_prefix('{') {
                match after.find('}') {
                    Some(end) => {
                        arg = Some(&after[..end]);
                        rest = &after[end + 1..];
                    }
                    None => {
                        push(out, "%{", &mut len);
                        rest = after;
                        continue;
                    }
                }
            }
            let Some(directive) = rest.chars().next() else {
                push(out, "%", &mut len);
                break;
            };
            rest = &rest[directive.len_utf8()..];
            match directive {
                'c' => len = self.format(out, len, Some(DEFAULT_FORMAT), checkpoint, bytes, width),
                'u' => push(out, &checkpoint.to_string(), &mut len),
                's' => push(out, if write { "write" } else { "read" }, &mut len),
                'd' => push(out, &format!("{:.0}", self.seconds()), &mut len),
                'T' => {
                    // Labels for read, write (and delete): GNU tar's "R", "W" by default.
                    let labels: Vec<&str> = match arg {
                        Some(a) => a.split(',').collect(),
                        None => vec!["R", "W"],
                    };
                    let label = labels.get(usize::from(write)).copied().unwrap_or("");
                    let text = stats(bytes, self.seconds());
                    let text = if label.is_empty() { text } else { format!("{label}: {text}") };
                    push(out, &text, &mut len);
                }
                't' => push(out, &strftime(arg.unwrap_or("%c")), &mut len),
                '*' => {
                    let w = arg.and_then(|a| a.trim().parse::<usize>().ok()).unwrap_or_else(width);
                    while len < w {
                        out.push(' ');
                        len += 1;
                    }
                }
                other => {
                    push(out, "%", &mut len);
                    push(out, other.encode_utf8(&mut [0; 4]), &mut len);
                }
            }
        }
        len
    }

    /// `exec=COMMAND`: run by /bin/sh with GNU tar's variables, waited for.
    fn exec(&self, command: &str, checkpoint: u64) {
        let status = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(command)
            .env("TAR_VERSION", env!("CARGO_PKG_VERSION"))
            .env("TAR_ARCHIVE", &self.archive)
            .env("TAR_CHECKPOINT", checkpoint.to_string())
            .env("TAR_BLOCKING_FACTOR", (self.record / crate::format::BLOCK as u64).to_string())
            .env("TAR_SUBCOMMAND", self.subcommand)
            .env("TAR_FORMAT", "posix")
            .stdin(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => crate::error::print_stderr(&format!("captar: checkpoint command `{command}` failed: {s}")),
            Err(e) => crate::error::print_stderr(&format!(
                "captar: checkpoint command `{command}` cannot run: {}",
                crate::error::os_text(&e)
            )),
        }
    }

    /// At the end: a terminal line that `ttyout` left with `\r` is cleared, as GNU tar does.
    fn finish(&self) {
        if !self.spec.actions.iter().any(|a| matches!(a, Action::Ttyout(_))) {
            return;
        }
        self.to_tty(|t, cleanup| {
            if !*cleanup {
                return Ok(());
            }
            let w = terminal_width(rustix::fd::AsRawFd::as_raw_fd(t));
            t.write_all(format!("{}\r", " ".repeat(w)).as_bytes())
        });
    }
}

/// When the run is done (every command's checkpoints end with it).
impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Counts the records begun on one stream, running the checkpoints as they come.
pub struct Counter {
    checkpoints: std::sync::Arc<Checkpoints>,
    begun: u64,
    /// Reading: the last record read from (by its index in the archive).
    last_read: Option<u64>,
}

impl Counter {
    /// Writing: the archive is `pos` bytes long; every record it reaches into is begun.
    pub fn at(&mut self, pos: u64) {
        let first = self.begun;
        let record = self.checkpoints.record;
        self.begin(pos.div_ceil(record).saturating_sub(self.begun), first);
    }

    /// Reading: the bytes `pos..pos + n` were read. As GNU tar, which reads whole records and
    /// seeks over those it has no use for, each record read from counts once, one skipped over
    /// not at all.
    pub fn read(&mut self, pos: u64, n: u64) {
        if n == 0 {
            return;
        }
        let record = self.checkpoints.record;
        let (first, last) = (pos / record, (pos + n - 1) / record);
        let first = self.last_read.map_or(first, |l| first.max(l + 1));
        if first <= last {
            self.begin(last - first + 1, first);
            self.last_read = Some(last);
        }
    }

    /// `n` more records are begun, the first of them the record of index `first` in the
    /// archive (the next ones follow it): the checkpoints among them run.
    fn begin(&mut self, n: u64, first: u64) {
        let every = self.checkpoints.spec.every;
        let begun = self.begun + n;
        let mut next = (self.begun / every + 1) * every;
        while next <= begun {
            self.checkpoints.run(next, (first + (next - self.begun - 1)) * self.checkpoints.record);
            next += every;
        }
        self.begun = begun;
    }
}

/// An archive being read, counted for the checkpoints: what is read and what is skipped.
pub struct Checkpointed {
    inner: Box<dyn crate::format::compress::Source>,
    counter: Counter,
    pos: u64,
}

impl Checkpointed {
    pub fn new(inner: Box<dyn crate::format::compress::Source>, counter: Counter) -> Checkpointed {
        Checkpointed { inner, counter, pos: 0 }
    }
}

impl io::Read for Checkpointed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.read(self.pos, n as u64);
        self.pos += n as u64;
        Ok(n)
    }
}

impl crate::format::compress::Source for Checkpointed {
    /// A stream is read through what it skips. Over a plain file GNU tar seeks, but whole
    /// records only (src/buffer.c, `seek_archive`): from the end of the record read last, and
    /// the record holding the last byte skipped is read unless the skip ends on a record's end.
    fn skip(&mut self, n: u64) -> io::Result<()> {
        self.inner.skip(n)?;
        if n > 0 {
            if !self.inner.seeks() {
                self.counter.read(self.pos, n);
            } else {
                let record = self.counter.checkpoints.record;
                let in_record = self.pos.div_ceil(record) * record - self.pos;
                if n > in_record && !(n - in_record).is_multiple_of(record) {
                    self.counter.read(self.pos + n - 1, 1);
                }
            }
        }
        self.pos += n;
        Ok(())
    }

    fn seeks(&self) -> bool {
        self.inner.seeks()
    }

    fn file(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.inner.file()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }

    fn decompresses(&self) -> bool {
        self.inner.decompresses()
    }

    fn as_replay(&mut self) -> Option<&mut crate::format::compress::Replay> {
        self.inner.as_replay()
    }
}

/// `N (SIZE, RATE/s)`, GNU tar's statistics: sizes as gnulib's human_readable writes them
/// (powers of 1024, rounded up, one decimal under 10).
pub fn stats(bytes: u64, seconds: f64) -> String {
    fn human(n: f64) -> String {
        const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        let mut value = n;
        let mut unit = 0;
        while value >= 1024.0 && unit + 1 < UNITS.len() {
            value /= 1024.0;
            unit += 1;
        }
        if unit == 0 {
            return format!("{}B", value.ceil());
        }
        let tenths = (value * 10.0).ceil() / 10.0;
        if tenths < 10.0 {
            return format!("{tenths:.1}{}", UNITS[unit]);
        }
        match value.ceil() {
            v if v >= 1024.0 && unit + 1 < UNITS.len() => format!("1.0{}", UNITS[unit + 1]),
            v => format!("{v}{}", UNITS[unit]),
        }
    }
    let rate = if seconds > 0.0 { format!("{}/s", human(bytes as f64 / seconds)) } else { "?/s".into() };
    format!("{bytes} ({}, {rate})", human(bytes as f64))
}

/// The width of the terminal on `fd`, else $COLUMNS, else 80 (GNU tar's `getwidth`).
fn terminal_width(fd: std::os::fd::RawFd) -> usize {
    // SAFETY: `fd` is open for the call; winsize is plain data the kernel fills.
    #[allow(unsafe_code)]
    let cols = unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) == 0 { ws.ws_col as usize } else { 0 }
    };
    if cols > 0 {
        return cols;
    }
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|&c| c > 0).unwrap_or(80)
}

/// The local time now, formatted by strftime(3) with `format`.
fn strftime(format: &str) -> String {
    let Ok(fmt) = std::ffi::CString::new(format) else { return String::new() };
    let mut buf = vec![0u8; 256];
    // SAFETY: `now` and `tm` are plain data; strftime writes at most `buf.len()` bytes into
    // `buf` and returns how many (0 when it does not fit, which leaves the text empty).
    #[allow(unsafe_code)]
    let n = unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&now, &mut tm);
        libc::strftime(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr(), &tm)
    };
    buf.truncate(n);
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::writer::RECORD;
    use std::sync::Arc;

    fn checkpoints(spec: Spec, operation: Operation) -> Arc<Checkpoints> {
        Arc::new(Checkpoints::new(spec, operation, PathBuf::from("a.tar"), "-c", false))
    }

    #[test]
    fn options_parse_as_gnu_tar_takes_them() {
        let spec = |c: Option<&str>, a: &[&str]| Spec::parse(c, &a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(spec(None, &[]), Ok(None));
        assert_eq!(spec(Some(""), &[]).unwrap().unwrap(), Spec { every: 10, actions: vec![Action::Echo(None)] });
        assert_eq!(spec(Some(".1000"), &[]).unwrap().unwrap(), Spec { every: 1000, actions: vec![Action::Dot] });
        assert_eq!(spec(None, &["dot"]).unwrap().unwrap(), Spec { every: 10, actions: vec![Action::Dot] });
        let s = spec(Some("5"), &["echo=\"at %u\\n\"", "sleep=0", "totals"]).unwrap().unwrap();
        assert_eq!(s.actions, [Action::Echo(Some("at %u\n".into())), Action::Sleep(0), Action::Totals]);
        assert!(spec(Some("0"), &[]).is_err());
        assert!(spec(Some("x"), &[]).is_err());
        assert!(spec(None, &["wait=SIGUSR1"]).unwrap_err().contains("not supported"));
        assert!(spec(None, &["bogus"]).unwrap_err().contains("unknown action"));
    }

    #[test]
    fn formats_expand_as_gnu_tar_expands_them() {
        let spec = Spec { every: 1, actions: vec![] };
        let w = checkpoints(spec.clone(), Operation::Write);
        let r = checkpoints(spec, Operation::Read);
        let fmt = |c: &Checkpoints, f: Option<&str>, start: usize| {
            let mut out = String::new();
            let len = c.format(&mut out, start, f, 30, 3 * RECORD, &|| 20);
            (out, len)
        };
        assert_eq!(fmt(&w, None, 0).0, "Write checkpoint 30");
        assert_eq!(fmt(&r, None, 0).0, "Read checkpoint 30");
        assert_eq!(fmt(&w, Some("Hit %s checkpoint #%u"), 0).0, "Hit write checkpoint #30");
        assert_eq!(fmt(&r, Some("%s %q %"), 0).0, "read %q %");
        assert!(fmt(&w, Some("%T"), 0).0.starts_with("W: 30720 (30KiB, "), "{}", fmt(&w, Some("%T"), 0).0);
        assert!(fmt(&r, Some("%{got,put}T"), 0).0.starts_with("got: 30720 (30KiB, "));
        assert!(fmt(&w, Some("%{got}T"), 0).0.starts_with("30720 (30KiB, "));
        assert_eq!(fmt(&w, Some("%{%Y}t"), 0).0.len(), 4);
        assert_eq!(fmt(&w, Some("ab%*|"), 0), ("ab                  |".into(), 21));
        assert_eq!(fmt(&w, Some("ab%{6}*|"), 2), ("ab  |".into(), 7));
        assert_eq!(fmt(&w, Some("x\rab%{4}*"), 0).0, "x\rab  ");
        assert_eq!(fmt(&w, Some("%{oops"), 0).0, "%{oops");
        let c = fmt(&w, Some("%c"), 0).0;
        assert!(c.contains("s, wrote: 30720 (30KiB, ") && c.ends_with('\r'), "{c:?}");
    }

    #[test]
    fn checkpoints_come_at_the_start_of_every_nth_record() {
        let spec = Spec { every: 3, actions: vec![Action::Exec("true".into())] };
        let cp = checkpoints(spec, Operation::Write);
        let mut counter = cp.counter();
        counter.at(512);
        assert_eq!(counter.begun, 1);
        counter.at(2 * RECORD);
        assert_eq!(counter.begun, 2);
        counter.at(2 * RECORD + 1);
        assert_eq!(counter.begun, 3);
        counter.at(10 * RECORD);
        assert_eq!(counter.begun, 10);
    }

    #[test]
    fn quotes_and_escapes_are_taken_off() {
        assert_eq!(unquote("'a b'"), "a b");
        assert_eq!(unquote("\"x\\ty\\101\""), "x\tyA");
        assert_eq!(unquote("plain\\q"), "plain\\q");
        assert_eq!(unquote("\\342\\234\\223 ok\\0gone"), "\u{2713} ok");
    }
}
