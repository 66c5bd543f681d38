//! Section 2: a file appears under its final name only complete. An extraction killed or
//! interrupted in the middle of a file leaves neither a truncated file under the final name nor
//! a temporary; a good file of that name is never replaced by a broken one.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

use super::*;

const BIG: u64 = 8 << 20;

/// captar extracting from a pipe that has delivered a header and the first half of a big file,
/// and then stalls; `env` is added to its environment.
struct Stalled {
    child: Child,
    /// Kept open so captar waits for more instead of seeing the end of the archive.
    pipe: std::process::ChildStdin,
}

fn stalled(c: &Case, env: &[(&str, &str)]) -> Stalled {
    let head = Tar::new().file("small", b"small\n").header(Header::new(b'0', "big").size(BIG)).cut();
    stalled_after(c, env, &head)
}

/// captar extracting from a pipe that has delivered `head` and half of a `BIG` member's data.
fn stalled_after(c: &Case, env: &[(&str, &str)], head: &[u8]) -> Stalled {
    // The signals these tests send, at their default action as in a terminal: a shell that runs
    // the tests in the background (`cargo test &`, nohup) hands them down ignored, and captar
    // keeps an inherited ignored signal ignored (`inherited_ignored_signal_stays_ignored`), so
    // the test would wait for its death forever. `env` execs captar: the pid is captar's.
    let mut cmd = Command::new("env");
    cmd.arg("--default-signal=INT,TERM,HUP").arg(env!("CARGO_BIN_EXE_captar"));
    cmd.args(["extract", "-f", "-", "-C"]).arg(&c.dest);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(head).unwrap();
    pipe.write_all(&vec![b'b'; (BIG / 2) as usize]).unwrap();
    Stalled { child, pipe }
}

/// Waits until `small` (the member before `big`) is extracted and captar holds `big` open: past
/// the capability probe, which opens a temporary file of its own in the destination.
fn wait_for_big(pid: u32, c: &Case) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while lkind(&c.dest("small")).is_none() {
        assert!(Instant::now() < deadline, "captar never extracted `small`");
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_for_open_file(pid, &c.dest);
}

/// Waits until the process holds an open file in `dir` that is not a directory (the file being
/// written: `dir/#ino (deleted)` for an O_TMPFILE inode, else `dir/.captar-...`).
fn wait_for_open_file(pid: u32, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let prefix = dir.as_os_str().as_bytes();
    loop {
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.flatten().collect::<Vec<_>>());
        for fd in fds.unwrap_or_default() {
            let Ok(target) = std::fs::read_link(fd.path()) else { continue };
            let t = target.as_os_str().as_bytes();
            if t.len() > prefix.len() + 1 && t.starts_with(prefix) && t[prefix.len()] == b'/' && !target.is_dir() {
                return;
            }
        }
        assert!(Instant::now() < deadline, "captar never opened a file in {}", dir.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(child: &mut Child, sig: Signal) -> std::process::ExitStatus {
    rustix::process::kill_process(Pid::from_child(child), sig).unwrap();
    child.wait().unwrap()
}

fn interrupted(sig: Signal, env: &[(&str, &str)]) {
    use std::os::unix::process::ExitStatusExt;
    let c = case();
    std::fs::write(c.dest("big"), b"good old contents\n").unwrap();
    let mut s = stalled(&c, env);
    wait_for_big(s.child.id(), &c);
    let status = kill(&mut s.child, sig);
    assert_eq!(status.signal(), Some(sig.as_raw()), "captar should die of the signal: {status}");
    assert_eq!(read(&c.dest("small")), b"small\n");
    assert_eq!(read(&c.dest("big")), b"good old contents\n", "a good file was replaced by a broken one");
    c.check();
}

#[test]
fn sigkill_mid_file_leaves_no_truncated_file() {
    interrupted(Signal::KILL, &[]);
}

#[test]
fn sigterm_mid_file_leaves_nothing() {
    interrupted(Signal::TERM, &[]);
}

#[test]
fn sigint_mid_file_leaves_nothing() {
    interrupted(Signal::INT, &[]);
}

/// Where O_TMPFILE is missing the file is written under a `.captar-*` name: SIGINT and SIGTERM
/// remove it before captar dies.
#[test]
fn signals_remove_named_temporaries() {
    for sig in [Signal::INT, Signal::TERM, Signal::HUP] {
        let c = case();
        let mut s = stalled(&c, &[("CAPTAR_TEST_NO_TMPFILE", "1")]);
        wait_for_big(s.child.id(), &c);
        let mut named = Vec::new();
        find_temporaries(&c.dest, &mut named);
        assert_eq!(named.len(), 1, "the fallback writes under a temporary name: {named:?}");
        kill(&mut s.child, sig);
        assert_eq!(lkind(&c.dest("big")), None);
        c.check();
    }
}

/// The named fallback also leaves nothing after a corrupt archive, and still gives whole files.
#[test]
fn named_fallback_cleans_up_after_errors() {
    let c = case();
    std::fs::write(c.dest("big"), b"good\n").unwrap();
    let tar = Tar::new().file("a", b"a\n").file("a", b"again\n").header(Header::new(b'0', "big").size(5000)).cut();
    let out = c.extract_cmd(&tar, &[]).env("CAPTAR_TEST_NO_TMPFILE", "1").code(2);
    assert!(one_line(&out).contains("truncated"));
    assert_eq!(read(&c.dest("a")), b"again\n");
    assert_eq!(read(&c.dest("big")), b"good\n");
    c.check();
}

/// A truncated archive read from a pipe: the member cut short never appears.
#[test]
fn truncated_stream_leaves_no_partial_file() {
    let c = case();
    let tar = Tar::new().file("small", b"small\n").header(Header::new(b'0', "big").size(BIG)).raw(&[1; 100_000]).cut();
    let out = captar().args(["extract", "-f", "-", "-C"]).arg(&c.dest).stdin(tar).code(2);
    let line = one_line(&out);
    assert!(line.contains("(standard input)") && line.contains("big") && line.contains("truncated"), "{line}");
    assert_eq!(lkind(&c.dest("big")), None);
    c.check();
}

#[test]
fn keep_old_files_refuses_to_replace() {
    let c = case();
    std::fs::write(c.dest("old"), b"old\n").unwrap();
    std::os::unix::fs::symlink("old", c.dest("oldlink")).unwrap();
    let tar = Tar::new()
        .file("old", b"new\n")
        .file("oldlink", b"new\n")
        .symlink("old", "elsewhere")
        .file("fresh", b"fresh\n")
        .end();
    let out = c.extract(&tar, &["--keep-old-files"], 2);
    assert_eq!(out.stderr_text().lines().count(), 3, "{}", out.stderr_text());
    refusal(&out, "captar: oldlink:", "already exists");
    assert_eq!(read(&c.dest("old")), b"old\n");
    assert_eq!(lkind(&c.dest("oldlink")), Some("symlink"));
    assert_eq!(read(&c.dest("fresh")), b"fresh\n");
    // The short form too.
    c.extract(&Tar::new().file("old", b"new\n").end(), &["-k"], 2);
    assert_eq!(read(&c.dest("old")), b"old\n");
}

#[test]
fn skip_old_files_leaves_them_silently() {
    let c = case();
    std::fs::write(c.dest("old"), b"old\n").unwrap();
    std::os::unix::fs::symlink("../sentinel/file", c.dest("oldlink")).unwrap();
    let tar = Tar::new().file("old", b"new\n").file("oldlink", b"new\n").file("fresh", b"fresh\n").end();
    let out = c.extract(&tar, &["--skip-old-files"], 0);
    assert!(out.stderr.is_empty(), "{}", out.stderr_text());
    assert_eq!(read(&c.dest("old")), b"old\n");
    assert_eq!(lkind(&c.dest("oldlink")), Some("symlink"));
    assert_eq!(read(&c.dest("fresh")), b"fresh\n");
}

/// A directory member over an existing symlink: replaced by default (never followed); with
/// --keep-old-files an error, with --skip-old-files left alone. Members under it are refused
/// either way, since the symlink is not a directory captar walks through.
#[test]
fn old_files_options_and_a_directory_over_a_symlink() {
    let tar = Tar::new().header(Header::new(b'5', "d/").mode(0o777)).file("d/x", b"x\n").end();
    for (args, code) in [(&["--keep-old-files"][..], 2), (&["--skip-old-files"], 2)] {
        let c = case();
        std::os::unix::fs::symlink("../sentinel", c.dest("d")).unwrap();
        let out = c.extract(&tar, args, code);
        refusal(&out, "captar: d/x:", "symlink");
        assert_eq!(lkind(&c.dest("d")), Some("symlink"), "{args:?}");
        if args[0] == "--keep-old-files" {
            refusal(&out, "captar: d/:", "not replaced");
        }
    }
}

/// libarchive CVE-2021-31566: directory metadata is set at the end; if the directory was swapped
/// for a symlink meanwhile (here by another process, while captar waits on its input), the
/// fix-up must not follow it.
#[test]
fn directory_fixup_does_not_follow_a_swapped_in_symlink() {
    let c = case();
    let head = Tar::new()
        .header(Header::new(b'5', "d/").mode(0o777).owner(4242, 4242))
        .header(Header::new(b'0', "d/big").size(BIG))
        .cut();
    let mut s = stalled_after(&c, &[], &head);
    wait_for_open_file(s.child.id(), &c.dest("d"));
    std::fs::rename(c.dest("d"), c.dest("moved")).unwrap();
    std::os::unix::fs::symlink("../sentinel", c.dest("d")).unwrap();
    s.pipe.write_all(&vec![b'b'; (BIG / 2) as usize]).unwrap();
    s.pipe.write_all(&[0u8; 2 * BLOCK]).unwrap();
    drop(s.pipe);
    let out = s.child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr_text());
    refusal(&out, "captar: d/:", "metadata");
    c.check();
}

/// A signal captar was started ignoring (SIGHUP under nohup) stays ignored: the cleanup handler
/// must not turn it into a death.
#[test]
fn inherited_ignored_signal_stays_ignored() {
    if !util::require_tool("nohup") {
        return;
    }
    let c = case();
    let mut cmd = Command::new("nohup");
    cmd.arg(env!("CARGO_BIN_EXE_captar")).args(["extract", "-f", "-", "-C"]).arg(&c.dest);
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(&Tar::new().header(Header::new(b'0', "big").size(BIG)).cut()).unwrap();
    pipe.write_all(&vec![b'b'; (BIG / 2) as usize]).unwrap();
    wait_for_open_file(child.id(), &c.dest);
    rustix::process::kill_process(Pid::from_child(&child), Signal::HUP).unwrap();
    pipe.write_all(&vec![b'b'; (BIG / 2) as usize]).unwrap();
    pipe.write_all(&[0u8; 2 * BLOCK]).unwrap();
    drop(pipe);
    assert!(child.wait().unwrap().success());
    assert_eq!(std::fs::metadata(c.dest("big")).unwrap().len(), BIG);
    c.check();
}
