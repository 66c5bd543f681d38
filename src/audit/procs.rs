/*!
`captar caps procs [-p PID]...`: the processes holding capabilities, read from
/proc/PID/status (CapInh, CapPrm, CapEff, CapBnd, CapAmb) and /proc/PID/stat, in the table of
libcap-ng's `pscap -a` (0.8.3), column for column:

```text
ppid  pid   name        command             capabilities
1     812   root        chronyd             net_bind_service, sys_time +
```

- a process is listed when its effective set is not empty, as pscap does; with `-p`, the given
  processes are listed whatever they hold;
- `name` is the user of the effective uid (from /etc/passwd, else the name service, as
  pscap's getpwuid; the number when neither knows it,
  signed as pscap's `%d` prints it);
  `command` the kernel's 15-byte `comm`, followed by ` *` when the process is in another user
  namespace than captar; `comm` is any bytes a process chose (`prctl(PR_SET_NAME)`, its
  executable's name), not necessarily UTF-8: pscap prints them raw, where any user's process
  could send escape sequences to root's terminal or split a row with a newline, so the table
  quotes them as `tar -t` quotes names (`\033[2J`, `sl\377ep`), padding columns by bytes
  (printf's `%-18s`) as pscap does;
- `capabilities` is `full` when the effective set holds every capability of the kernel
  (/proc/sys/kernel/cap_last_cap), else the permitted set without the `cap_` prefixes; then ` @`
  when the ambient set is not empty and ` +` when the bounding set is not;
- captar itself and kernel threads (`PF_KTHREAD` in /proc/PID/stat's flags) are left out
  unless asked for by `-p`: pscap leaves out pid 2 and its children, which in a PID namespace
  are an ordinary process and its children;
- capabilities belong to each thread (capset(2) changes the calling thread's), and pscap reads
  only a process's main thread; with `--threads`, each other thread whose sets or effective uid
  differ from its process's main thread gets a line of its own (its thread id in the pid column,
  ` [thread of PID]` after its capabilities), when its effective set is not empty or its process
  is listed: a process whose main thread dropped everything cannot hide a thread that kept them.

`--json` prints one object per process with all five sets (as /proc shows them and as names); a
`command` that is not UTF-8 has its exact bytes in `command_hex`, as scan's `path_hex`.
*/

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::write_error;
use crate::caps::{LAST_KNOWN_CAP, cap_label, mask_caps};
use crate::error::{Error, Outcome, Report, Result};
use crate::json::text_and_hex;
use crate::owners;

/// Which processes to list and how.
#[derive(Debug, Clone, Default)]
pub struct ProcsOptions {
    /// Only these processes (listed even without capabilities); every process when empty.
    pub pids: Vec<u32>,
    /// One JSON object per line instead of the table.
    pub json: bool,
    /// Threads whose capabilities differ from their process's main thread, too.
    pub threads: bool,
}

/// The capability state of one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcCaps {
    pub pid: u32,
    pub ppid: u32,
    /// Real and effective uid.
    pub uid: u32,
    pub euid: u32,
    /// The kernel's `comm` (at most 15 bytes), as bytes: it need not be UTF-8.
    pub command: Vec<u8>,
    /// In another user namespace than the reader; `None` where that could not be read (another
    /// user's process, to one without CAP_SYS_PTRACE).
    pub other_userns: Option<bool>,
    /// A kernel thread (`PF_KTHREAD`).
    pub kernel: bool,
    pub inheritable: u64,
    pub permitted: u64,
    pub effective: u64,
    pub bounding: u64,
    pub ambient: u64,
    /// For a thread other than its process's main one (`--threads`): the process's id (`pid`
    /// is then the thread's).
    pub thread_of: Option<u32>,
}

impl ProcCaps {
    /// Whether the thread holds other capabilities, or acts as another user, than `main`.
    fn differs_from(&self, main: &ProcCaps) -> bool {
        let state = |p: &ProcCaps| (p.euid, p.inheritable, p.permitted, p.effective, p.bounding, p.ambient);
        state(self) != state(main)
    }
}

/// The sets as /proc/PID/status names them, in its order.
const SETS: [&str; 5] = ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"];

/// The kernel's `PF_KTHREAD`, in /proc/PID/stat's `flags`.
const PF_KTHREAD: u64 = 0x0020_0000;

/// Parses /proc/PID/stat: pid, `(comm)` (which may hold spaces, parentheses and bytes that are
/// not UTF-8: it ends at the last `)`), state, ppid, pgrp, session, tty_nr, tpgid, flags;
/// answers the name, the ppid and whether it is a kernel thread.
fn parse_stat(stat: &[u8]) -> Option<(Vec<u8>, u32, bool)> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let comm = stat.get(open + 1..close)?.to_vec();
    let mut rest = std::str::from_utf8(stat.get(close + 1..)?).ok()?.split_ascii_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    let flags: u64 = rest.nth(4)?.parse().ok()?;
    Some((comm, ppid, flags & PF_KTHREAD != 0))
}

/// The thread group (process) a task of /proc/PID/status belongs to: its `Tgid`.
fn parse_tgid(status: &str) -> Option<u32> {
    status.lines().find_map(|l| l.strip_prefix("Tgid:")).and_then(|v| v.trim().parse().ok())
}

/// Parses the lines of /proc/PID/status that matter: (real uid, effective uid, the five sets).
fn parse_status(status: &str) -> Option<(u32, u32, [u64; 5])> {
    let mut uids = None;
    let mut sets = [None; 5];
    for line in status.lines() {
        let Some((key, value)) = line.split_once(':') else { continue };
        if key == "Uid" {
            let mut ids = value.split_ascii_whitespace().map(str::parse::<u32>);
            uids = Some((ids.next()?.ok()?, ids.next()?.ok()?));
        } else if let Some(i) = SETS.iter().position(|&s| s == key) {
            sets[i] = Some(u64::from_str_radix(value.trim(), 16).ok()?);
        }
    }
    let (uid, euid) = uids?;
    // CapAmb exists since Linux 4.3; older kernels have no ambient set.
    let ambient = sets[4].unwrap_or(0);
    Some((uid, euid, [sets[0]?, sets[1]?, sets[2]?, sets[3]?, ambient]))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("unexpected format of {what}"))
}

/// Reads the capability state of process `pid` from the procfs mounted at `proc`.
pub fn read_process(proc: &Path, pid: u32) -> io::Result<ProcCaps> {
    read_task(proc, &proc.join(pid.to_string()), pid)
}

/// Reads the capability state of the task (process or thread) `pid` whose /proc directory is
/// `dir`.
fn read_task(proc: &Path, dir: &Path, pid: u32) -> io::Result<ProcCaps> {
    // Both hold the process's name, which need not be UTF-8 (status escapes only some bytes).
    let stat = fs::read(dir.join("stat"))?;
    let (command, ppid, kernel) = parse_stat(&stat).ok_or_else(|| invalid("stat"))?;
    let status = String::from_utf8_lossy(&fs::read(dir.join("status"))?).into_owned();
    let (uid, euid, [inheritable, permitted, effective, bounding, ambient]) =
        parse_status(&status).ok_or_else(|| invalid("status"))?;
    // A thread asked for by its id (`-p TID`) is a thread of its process, not a process.
    let thread_of = parse_tgid(&status).filter(|&tgid| tgid != pid);
    let ns = |p: PathBuf| fs::metadata(p).map(|m| (m.dev(), m.ino()));
    // Unknown where it cannot be read: not said to be the reader's (found by audit: another
    // user's process in a user namespace of its own looked like a host one).
    let other_userns = match (ns(proc.join("self/ns/user")), ns(dir.join("ns/user"))) {
        (Ok(mine), Ok(theirs)) => Some(mine != theirs),
        _ => None,
    };
    Ok(ProcCaps {
        pid,
        ppid,
        uid,
        euid,
        command,
        other_userns,
        kernel,
        inheritable,
        permitted,
        effective,
        bounding,
        ambient,
        thread_of,
    })
}

/// The threads of process `main` other than its main thread whose capabilities differ from
/// it, ascending (those gone meanwhile are passed over).
fn other_threads(proc: &Path, main: &ProcCaps) -> Vec<ProcCaps> {
    let tasks = proc.join(main.pid.to_string()).join("task");
    let Ok(tids) = ids_in(&tasks) else { return Vec::new() };
    tids.into_iter()
        .filter(|&tid| tid != main.pid)
        .filter_map(|tid| read_task(proc, &tasks.join(tid.to_string()), tid).ok())
        .filter(|t| t.differs_from(main))
        .map(|t| ProcCaps { thread_of: Some(main.pid), ..t })
        .collect()
}

/// Every capability of a kernel whose last one is `last_cap`.
fn full_mask(last_cap: u32) -> u64 {
    if last_cap >= 63 { u64::MAX } else { (1u64 << (last_cap + 1)) - 1 }
}

/// The kernel's last capability, from /proc/sys/kernel/cap_last_cap (40 when unreadable).
fn last_cap(proc: &Path) -> u32 {
    fs::read_to_string(proc.join("sys/kernel/cap_last_cap"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|&n: &u32| n < 64)
        .unwrap_or(LAST_KNOWN_CAP)
}

/// pscap's capability column.
fn caps_column(p: &ProcCaps, last_cap: u32) -> String {
    let full = full_mask(last_cap);
    let mut col = if p.effective & full == full {
        "full".to_string()
    } else {
        let names: Vec<String> = mask_caps(p.permitted & full)
            .map(|n| {
                let label = cap_label(n);
                label.strip_prefix("cap_").unwrap_or(&label).to_string()
            })
            .collect();
        if names.is_empty() { "none".to_string() } else { names.join(", ") }
    };
    if p.ambient & full != 0 {
        col.push_str(" @");
    }
    if p.bounding & full != 0 {
        col.push_str(" +");
    }
    if let Some(pid) = p.thread_of {
        col.push_str(&format!(" [thread of {pid}]"));
    }
    col
}

/// The table's header line, as pscap prints it.
pub fn header() -> String {
    format!("{:<5} {:<5} {:<10}  {:<18}  {}", "ppid", "pid", "name", "command", "capabilities")
}

/// `field` left-aligned in `width` bytes, as printf's `%-10s` pads it: by bytes, not characters.
fn pad(line: &mut Vec<u8>, field: &[u8], width: usize) {
    line.extend_from_slice(field);
    line.resize(line.len() + width.saturating_sub(field.len()), b' ');
}

/// One table line, as pscap prints it (the command quoted as names are); `user` is the name of the
/// effective uid, if it has one. A uid without a name is printed as pscap prints it, with
/// `%d`: 2^31 and above as negative numbers (found by review; the JSON has the uid itself).
pub fn row(p: &ProcCaps, user: Option<&str>, last_cap: u32) -> Vec<u8> {
    let name = user.map_or_else(|| (p.euid as i32).to_string(), str::to_string);
    let mut command = crate::list::quote_name(&p.command).into_bytes();
    if p.other_userns == Some(true) {
        command.extend_from_slice(b" *");
    }
    let mut line = format!("{:<5} {:<5} ", p.ppid, p.pid).into_bytes();
    pad(&mut line, name.as_bytes(), 10);
    line.extend_from_slice(b"  ");
    pad(&mut line, &command, 18);
    line.extend_from_slice(b"  ");
    line.extend_from_slice(caps_column(p, last_cap).as_bytes());
    line
}

/// One capability set in `--json`: as /proc shows it and as names.
#[derive(Serialize)]
struct SetJson {
    hex: String,
    caps: Vec<String>,
}

impl SetJson {
    fn new(mask: u64) -> SetJson {
        SetJson { hex: format!("{mask:016x}"), caps: mask_caps(mask).map(|n| cap_label(n).into_owned()).collect() }
    }
}

/// The `--json` object of a process.
#[derive(Serialize)]
struct ProcJson<'a> {
    pid: u32,
    ppid: u32,
    uid: u32,
    euid: u32,
    user: Option<&'a str>,
    /// The name; bytes that are not UTF-8 replaced by U+FFFD, the exact bytes then in `command_hex`.
    command: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    command_hex: Option<String>,
    /// For a thread other than its process's main one: the process (`pid` is the thread's id).
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_of: Option<u32>,
    other_userns: Option<bool>,
    inheritable: SetJson,
    permitted: SetJson,
    effective: SetJson,
    bounding: SetJson,
    ambient: SetJson,
}

/// The `--json` line of one process (no newline); `user` is the name of the effective uid.
pub fn json_line(p: &ProcCaps, user: Option<&str>) -> String {
    let (command, command_hex) = text_and_hex(&p.command);
    let obj = ProcJson {
        pid: p.pid,
        ppid: p.ppid,
        uid: p.uid,
        euid: p.euid,
        user,
        command,
        command_hex,
        thread_of: p.thread_of,
        other_userns: p.other_userns,
        inheritable: SetJson::new(p.inheritable),
        permitted: SetJson::new(p.permitted),
        effective: SetJson::new(p.effective),
        bounding: SetJson::new(p.bounding),
        ambient: SetJson::new(p.ambient),
    };
    crate::json::to_string(&obj)
}

/// The processes to look at: the given ones, each once, in the order given; or every numeric
/// entry of /proc, ascending.
fn pids(proc: &Path, opts: &ProcsOptions) -> Result<Vec<u32>> {
    if !opts.pids.is_empty() {
        let mut seen = std::collections::HashSet::new();
        return Ok(opts.pids.iter().copied().filter(|&pid| seen.insert(pid)).collect());
    }
    let ids = ids_in(proc).map_err(|e| Error::io(proc, "read directory", e))?;
    // captar is a process itself: none listed means no procfs there (found by review: an empty
    // /proc, as in a chroot made by hand, listed nothing, exit 0, as pscap does).
    if ids.is_empty() {
        return Err(Error::entry(proc, NO_PROCFS));
    }
    Ok(ids)
}

/// What a /proc without procfs is.
const NO_PROCFS: &str =
    "lists no process: procfs is not mounted there; mount it (mount -t proc proc /proc) and run again";

/// The numeric entries of a /proc directory (processes in /proc, threads in /proc/PID/task),
/// ascending.
fn ids_in(dir: &Path) -> io::Result<Vec<u32>> {
    let mut ids: Vec<u32> =
        fs::read_dir(dir)?.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok()).collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Lists the processes with capabilities: pscap's table, or JSON lines.
pub fn run(opts: &ProcsOptions, report: &Report, out: &mut dyn Write) -> Result<Outcome> {
    let proc = Path::new("/proc");
    let last_cap = last_cap(proc);
    // captar as this procfs numbers it: another PID namespace's /proc numbers it otherwise
    // (found by audit: `unshare -p -f` left out the host's pid 1 and listed captar).
    let me =
        fs::read_link(proc.join("self")).ok().and_then(|l| l.to_str()?.parse().ok()).unwrap_or_else(std::process::id);
    let explicit = !opts.pids.is_empty();
    let mut header_done = false;
    let mut unreadable = 0usize;
    // Each task once: a thread named by `-p` and met again among its process's threads
    // (`--threads`) was printed twice (found by audit).
    let mut shown = std::collections::HashSet::new();
    for pid in pids(proc, opts)? {
        let p = match read_process(proc, pid) {
            Ok(p) => p,
            // Gone since /proc was listed: not worth a word, unless asked for by -p.
            Err(e) if !explicit && matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ESRCH)) => continue,
            // Hidden by /proc's hidepid=1 (another user's process, listed but not readable):
            // counted, and said once below, where each was an error (exit 2); pscap passes
            // them over in silence (found by review).
            Err(e) if !explicit && e.kind() == io::ErrorKind::PermissionDenied => {
                unreadable += 1;
                continue;
            }
            // No procfs there at all (found by audit: "no such process" for every pid).
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) && !proc.join("self").exists() => {
                return Err(Error::entry(proc, NO_PROCFS));
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                report.error(Error::entry(proc.join(pid.to_string()), "no such process"));
                continue;
            }
            Err(e) => {
                report.error(Error::io(proc.join(pid.to_string()), "read", e));
                continue;
            }
        };
        if !explicit && (pid == me || p.kernel) {
            continue;
        }
        let holds = |p: &ProcCaps| p.effective & full_mask(last_cap) != 0;
        let listed = explicit || holds(&p);
        // Only a process's main thread has its other threads; `-p TID` shows that thread alone.
        let threads = if opts.threads && p.thread_of.is_none() { other_threads(proc, &p) } else { Vec::new() };
        let threads = threads.into_iter().filter(|t| listed || holds(t));
        for task in listed.then_some(p.clone()).into_iter().chain(threads) {
            if !shown.insert(task.pid) {
                continue;
            }
            // /etc/passwd, then the name service, as pscap's getpwuid (users known only to
            // LDAP, SSSD or systemd's userdb were numbers; found by review).
            let user = if task.euid == 0 {
                Some("root".into())
            } else {
                owners::user_name(task.euid).map(String::from_utf8_lossy)
            };
            let user = user.as_deref();
            let mut line = if opts.json {
                json_line(&task, user).into_bytes()
            } else {
                if !header_done {
                    writeln!(out, "{}", header()).map_err(write_error)?;
                    header_done = true;
                }
                row(&task, user, last_cap)
            };
            line.push(b'\n');
            out.write_all(&line).map_err(write_error)?;
        }
    }
    if unreadable > 0 {
        let n = if unreadable == 1 { "1 process".to_string() } else { format!("{unreadable} processes") };
        report.note(format!(
            "{n} not listed, as /proc refused to show them (mounted with hidepid=1, it hides other users' processes): run as root to list them"
        ));
    }
    out.flush().map_err(write_error)?;
    Ok(report.outcome())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_and_status() {
        assert_eq!(parse_stat(b"42 (a) b (c)) S 7 42 42 0 -1 4194560 0"), Some((b"a) b (c)".to_vec(), 7, false)));
        assert_eq!(parse_stat(b"42 (sl\xffep) S 7 42 42 0 -1 4194560 0"), Some((b"sl\xffep".to_vec(), 7, false)));
        // kthreadd's flags: PF_KTHREAD.
        assert_eq!(parse_stat(b"2 (kthreadd) S 0 0 0 0 -1 2129984 0"), Some((b"kthreadd".to_vec(), 0, true)));
        let status = "Name:\tsleep\nUid:\t65534\t65534\t65534\t65534\nCapInh:\t00000000000021c0\n\
                      CapPrm:\t0000000000002000\nCapEff:\t0000000000002000\nCapBnd:\t000001fffeffffff\n\
                      CapAmb:\t0000000000002000\n";
        let (uid, euid, sets) = parse_status(status).unwrap();
        assert_eq!((uid, euid), (65534, 65534));
        assert_eq!(sets, [0x21c0, 0x2000, 0x2000, 0x1fffeffffff, 0x2000]);
    }

    #[test]
    fn rows_as_pscap_prints_them() {
        let p = ProcCaps {
            pid: 5117,
            ppid: 5114,
            uid: 65534,
            euid: 65534,
            command: b"sleep".to_vec(),
            other_userns: Some(false),
            kernel: false,
            inheritable: 0x21c0,
            permitted: 0x2000,
            effective: 0x2000,
            bounding: 0x1fffeffffff,
            ambient: 0x2000,
            thread_of: None,
        };
        assert_eq!(header(), "ppid  pid   name        command             capabilities");
        let row = |p: &ProcCaps, user, last_cap| row(p, user, last_cap).escape_ascii().to_string();
        assert_eq!(row(&p, Some("nobody"), 40), "5114  5117  nobody      sleep               net_raw @ +");
        let full = ProcCaps { pid: 1, ppid: 0, effective: full_mask(40), ambient: 0, ..p.clone() };
        assert_eq!(row(&full, Some("root"), 40), "0     1     root        sleep               full +");
        let thread = ProcCaps { pid: 5120, thread_of: Some(5117), ..p.clone() };
        assert_eq!(
            row(&thread, Some("nobody"), 40),
            "5114  5120  nobody      sleep               net_raw @ + [thread of 5117]"
        );
        let bare = ProcCaps { bounding: 0, other_userns: Some(true), ..p.clone() };
        assert_eq!(row(&bare, None, 40), "5114  5117  65534       sleep *             net_raw @");
        // A uid of 2^31 or more without a name, as pscap's %d prints it.
        let high = ProcCaps { euid: 3_000_000_000, ..bare.clone() };
        assert_eq!(row(&high, None, 40), "5114  5117  -1294967296  sleep *             net_raw @");
        // A name that is not UTF-8, or holds controls, is quoted as names are (pscap prints it
        // raw, escape sequences and all), and columns are padded by bytes, as printf's.
        let odd = ProcCaps { command: b"sl\xffep".to_vec(), ..p.clone() };
        assert_eq!(row(&odd, Some("nobody"), 40), "5114  5117  nobody      sl\\\\377ep            net_raw @ +");
        let esc = ProcCaps { command: b"\x1b[2Jx\ny".to_vec(), ..p.clone() };
        assert_eq!(row(&esc, Some("nobody"), 40), "5114  5117  nobody      \\\\033[2Jx\\\\ny         net_raw @ +");
        // Unknown whether it is in another user namespace: no ` *`.
        let unknown = ProcCaps { other_userns: None, ..p.clone() };
        assert_eq!(row(&unknown, Some("nobody"), 40), "5114  5117  nobody      sleep               net_raw @ +");
        let accented = ProcCaps { command: "caf\u{e9}".into(), ..p };
        assert_eq!(
            row(&accented, Some("nobody"), 40),
            "5114  5117  nobody      caf\\xc3\\xa9               net_raw @ +"
        );
    }

    #[test]
    fn json_keeps_a_name_that_is_not_utf8() {
        let p = ProcCaps {
            pid: 7,
            ppid: 1,
            uid: 0,
            euid: 0,
            command: b"sl\xffep".to_vec(),
            other_userns: Some(false),
            kernel: false,
            inheritable: 0,
            permitted: 0,
            effective: 0,
            bounding: 0,
            ambient: 0,
            thread_of: None,
        };
        let v: serde_json::Value = serde_json::from_str(&json_line(&p, Some("root"))).unwrap();
        assert_eq!((&v["command"], &v["command_hex"]), (&"sl\u{fffd}ep".into(), &"736cff6570".into()));
        let plain = ProcCaps { command: b"sleep".to_vec(), ..p };
        let v: serde_json::Value = serde_json::from_str(&json_line(&plain, Some("root"))).unwrap();
        assert_eq!((&v["command"], v.get("command_hex")), (&"sleep".into(), None));
    }
}
