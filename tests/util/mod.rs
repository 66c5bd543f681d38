/*!
The shared test harness: run captar and the peer tools (GNU tar, bsdtar, setcap, getcap) the way a
user would, build a tree holding every kind of capability value and file type the archiver must
keep, and compare two trees down to the raw bytes of every xattr.

Each integration test binary includes it with `mod util;`; no binary uses all of it, hence the
`dead_code` allowance.

Skips: a test that needs root, a tool or a filesystem feature calls `require_*` first and returns
when it answers false. Outside CI that prints `SKIP <test>: <reason>` to stderr; with `CI` set
(non-empty, not `0`/`false`) it panics instead, because a skipped test in CI is a test that did not
run.
*/
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

// ---------------------------------------------------------------------------------------------
// Commands

/// A command to run, shown in full (with its output) when an expectation about it fails.
pub struct Cmd {
    inner: Command,
    stdin: Option<Vec<u8>>,
}

/// The captar binary built for this test run.
pub fn captar() -> Cmd {
    Cmd::new(env!("CARGO_BIN_EXE_captar"))
}

/// A python3 that imports `module` (the one on PATH, or Debian's, where apt installs its
/// modules); `None` after a skip (a failure under CI) naming `packages` to install.
pub fn python_with(module: &str, packages: &str) -> Option<&'static str> {
    let found = ["python3", "/usr/bin/python3"]
        .into_iter()
        .find(|p| Command::new(p).args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success()));
    if found.is_none() {
        skip(&format!("python3 with the {module} module (apt-get install {packages}) is not installed"));
    }
    found
}

/// The captar binary run under a real seccomp filter that refuses the given syscalls (by
/// x86-64/aarch64 number) with EPERM, as container runtimes' filters refuse syscalls newer than
/// themselves; installed through libseccomp's Python binding before exec. `None` (a skip, a
/// failure under CI) without python3-seccomp.
pub fn captar_with_syscalls_refused(numbers: &[u32]) -> Option<Cmd> {
    let python = python_with("seccomp", "python3-seccomp")?;
    let rules: String = numbers.iter().map(|n| format!("f.add_rule(seccomp.ERRNO(errno.EPERM), {n})\n")).collect();
    let script = format!(
        "import errno, os, sys, seccomp\nf = seccomp.SyscallFilter(defaction=seccomp.ALLOW)\n{rules}f.load()\nos.execv(sys.argv[1], sys.argv[1:])"
    );
    Some(Cmd::new(python).arg("-c").arg(script).arg(env!("CARGO_BIN_EXE_captar")))
}

/// Any other program, found on PATH: `cmd("tar")`, `cmd("setcap")`.
pub fn cmd(program: impl AsRef<OsStr>) -> Cmd {
    Cmd::new(program)
}

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        Cmd { inner: Command::new(program), stdin: None }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.inner.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.inner.args(args);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.inner.current_dir(dir);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.inner.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Cmd {
        self.inner.env_remove(key);
        self
    }

    /// Bytes fed to the program's stdin (otherwise stdin is /dev/null, so nothing waits on a tty).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(bytes.into());
        self
    }

    /// The command line as a shell would take it, with the working directory if one was set.
    pub fn command_line(&self) -> String {
        let mut line = String::new();
        if let Some(dir) = self.inner.get_current_dir() {
            let _ = write!(line, "cd {} && ", shell_quote(dir.as_os_str()));
        }
        for (key, value) in self.inner.get_envs() {
            match value {
                Some(v) => {
                    let _ = write!(line, "{}={} ", shell_quote(key), shell_quote(v));
                }
                None => {
                    let _ = write!(line, "-u {} ", shell_quote(key));
                }
            }
        }
        line.push_str(&shell_quote(self.inner.get_program()));
        for arg in self.inner.get_args() {
            line.push(' ');
            line.push_str(&shell_quote(arg));
        }
        line
    }

    /// Runs the command to completion, whatever its exit status; panics only if it cannot start.
    pub fn run(&mut self) -> Output {
        self.inner.stdout(Stdio::piped()).stderr(Stdio::piped());
        self.inner.stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = self.inner.spawn().unwrap_or_else(|e| panic!("cannot start `{}`: {e}", self.command_line()));
        // Written from a thread so a program that fills its stdout before reading all of stdin
        // cannot deadlock with us.
        let writer = match (self.stdin.clone(), child.stdin.take()) {
            (Some(bytes), Some(mut pipe)) => Some(std::thread::spawn(move || {
                // A program may exit without reading everything; that is its business.
                let _ = pipe.write_all(&bytes);
            })),
            _ => None,
        };
        let output = child.wait_with_output().unwrap_or_else(|e| panic!("waiting for `{}`: {e}", self.command_line()));
        if let Some(writer) = writer {
            writer.join().expect("stdin writer thread panicked");
        }
        output
    }

    /// Runs the command (its output to /dev/null) under a python3 that waits for it, asserts
    /// it exits 0, and returns its peak resident set in KiB: `ru_maxrss` of that python's one
    /// child (which counts what python held before the exec, about 10 MiB, as a floor).
    pub fn ok_peak_rss_kib(&mut self) -> u64 {
        const WAIT: &str = "import resource, subprocess, sys\n\
            r = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n\
            print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
        let mut wrapped = Command::new("python3");
        wrapped.arg("-c").arg(WAIT).arg(self.inner.get_program()).args(self.inner.get_args());
        if let Some(dir) = self.inner.get_current_dir() {
            wrapped.current_dir(dir);
        }
        let out =
            wrapped.output().unwrap_or_else(|e| panic!("cannot start python3 for `{}`: {e}", self.command_line()));
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(fields.first(), Some(&"0"), "`{}` failed: {text}", self.command_line());
        fields.get(1).and_then(|k| k.parse().ok()).unwrap_or_else(|| panic!("no peak RSS from python3: {text}"))
    }

    /// Runs the command and asserts it exits 0.
    pub fn ok(&mut self) -> Output {
        self.code(0)
    }

    /// Runs the command and asserts it exits with `code`.
    pub fn code(&mut self, code: i32) -> Output {
        let output = self.run();
        if output.status.code() != Some(code) {
            panic!("{}", self.report(&format!("expected exit code {code}"), &output));
        }
        output
    }

    /// A failure report: what was expected, the command line, its status, stdout and stderr.
    pub fn report(&self, expected: &str, output: &Output) -> String {
        format!(
            "{expected}, got {}\ncommand: {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--------------",
            output.status,
            self.command_line(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        )
    }
}

/// Text views of a command's output, for assertions.
pub trait OutputExt {
    fn stdout_text(&self) -> String;
    fn stderr_text(&self) -> String;
}

impl OutputExt for Output {
    fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

fn shell_quote(s: &OsStr) -> String {
    let bytes = s.as_bytes();
    let plain = !bytes.is_empty() && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(b));
    if plain {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => format!("'{}'", text.replace('\'', r"'\''")),
        // Bash's $'...' form shows any byte.
        Err(_) => format!("$'{}'", bytes.escape_ascii()),
    }
}

/// A path for messages: non-UTF-8 bytes as `\xNN`, the root as `.`.
pub fn show(path: &Path) -> String {
    if path.as_os_str().is_empty() {
        return ".".to_string();
    }
    path.as_os_str().as_bytes().escape_ascii().to_string()
}

/// Lower-case hex of raw bytes, for xattr values in messages and comparisons.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

// ---------------------------------------------------------------------------------------------
// Skips

fn in_ci() -> bool {
    match std::env::var_os("CI") {
        None => false,
        Some(v) => !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false")),
    }
}

/// The running test's name: libtest names each test's thread after it.
fn test_name() -> String {
    std::thread::current().name().unwrap_or("<unnamed test>").to_string()
}

/// Records that the running test cannot do its job here: false (after `SKIP <test>: <reason>`
/// on stderr), or a panic when running in CI.
pub fn skip(reason: &str) -> bool {
    let test = test_name();
    if in_ci() {
        panic!("{test}: cannot run ({reason}); CI is set, so a skip is a failure");
    }
    // Straight to fd 2: libtest captures eprintln! of passing tests, and a skip must show.
    let _ = writeln!(std::io::stderr(), "SKIP {test}: {reason}");
    false
}

/// Capabilities the tests need as "root": chown, fowner (setuid bits on others' files), mknod
/// and setfcap (writing `security.capability`).
const ROOT_CAPS: [(u32, &str); 4] = [(0, "cap_chown"), (3, "cap_fowner"), (27, "cap_mknod"), (31, "cap_setfcap")];

/// True when running as uid 0 holding the capabilities root tests rely on; `why` says what the
/// test wanted to do, for the skip message.
pub fn require_root(why: &str) -> bool {
    if !rustix::process::geteuid().is_root() {
        return skip(&format!("needs root to {why}"));
    }
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let effective = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    let missing: Vec<&str> =
        ROOT_CAPS.iter().filter(|(bit, _)| effective & (1 << bit) == 0).map(|(_, name)| *name).collect();
    if !missing.is_empty() {
        return skip(&format!("root lacks {} (needed to {why})", missing.join(", ")));
    }
    true
}

/// Where `name` is found on PATH, if it is.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// True when the program `name` is on PATH.
pub fn require_tool(name: &str) -> bool {
    which(name).is_some() || skip(&format!("`{name}` is not installed (not found on PATH)"))
}

/// `cap_net_raw=ep` as a v2 value: a harmless capability for probing a filesystem.
const PROBE_CAPABILITY: [u8; 20] = [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// Whether files under `dir` can hold `security.capability` (as root) or `user.*` xattrs
/// (otherwise); the error says why not. Never skips: for tests that expect either answer.
pub fn xattr_fs_support(dir: &Path) -> Result<(), String> {
    let probe = tempfile::Builder::new()
        .prefix(".captar-xattr-probe")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
    let (name, value): (&OsStr, &[u8]) = if rustix::process::geteuid().is_root() {
        (OsStr::new("security.capability"), &PROBE_CAPABILITY)
    } else {
        (OsStr::new("user.captar.probe"), b"probe")
    };
    captar::xattr::set_path(probe.path(), name, value)
        .map_err(|e| format!("{} keeps no {} xattr: {e}", dir.display(), name.display()))?;
    match captar::xattr::get_path(probe.path(), name) {
        Ok(Some(read)) if read == value => Ok(()),
        Ok(other) => Err(format!("{}: {} reads back as {:?}", dir.display(), name.display(), other.map(|v| hex(&v)))),
        Err(e) => Err(format!("{}: reading {} back: {e}", dir.display(), name.display())),
    }
}

/// True when files under `dir` keep `security.capability` (as root) or `user.*` xattrs.
pub fn require_xattr_fs(dir: impl AsRef<Path>) -> bool {
    xattr_fs_support(dir.as_ref()).map_or_else(|reason| skip(&reason), |()| true)
}

/// Everything `build_test_tree` needs: root, setcap, and a directory that keeps capabilities.
pub fn require_test_tree(dir: &Path) -> bool {
    require_root("build the capability test tree") && require_tool("setcap") && require_xattr_fs(dir)
}

/// A temporary directory for one test, on the default temporary filesystem (ext4 or tmpfs, both
/// of which keep `security.capability`).
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("captar-test-").tempdir().expect("creating a temporary directory")
}

/// A fresh filesystem of type `fstype` (`ramfs`, `tmpfs`, ...) mounted on a new temporary
/// directory with mount options `opts` (may be empty); lazily unmounted on drop.
/// `program` run as nobody (uid and gid 65534, no supplementary groups), by `setpriv`; the
/// caller checks first that `setpriv` is there and that this is root.
pub fn as_nobody(program: impl AsRef<OsStr>) -> Cmd {
    cmd("setpriv").args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(program)
}

/// A mount made by a test (`mount --bind`, say) at this path, lazily unmounted when dropped.
pub struct Unmount(pub PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = cmd("umount").arg("-l").arg(&self.0).run();
    }
}

pub struct Mount {
    dir: tempfile::TempDir,
    /// The image file of a loop mount (`mount_ext4`), removed after the unmount.
    _image: Option<tempfile::TempDir>,
}

impl Mount {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        // Lazy, so a file a failed test left open cannot keep the mount alive; the TempDir then
        // removes the (now empty) mount point.
        let output = cmd("umount").arg("-l").arg(self.dir.path()).run();
        if !output.status.success() {
            eprintln!("umount -l {} failed: {}", self.dir.path().display(), output.stderr_text());
        }
    }
}

/// `mount` with `args` then a new temporary directory, which the returned `Mount` unmounts
/// (and then removes `image`, the directory of its image file); `None` after a skip (a failure
/// under CI) when the kernel will not mount it.
fn mount_on_tempdir(args: &[&OsStr], image: Option<tempfile::TempDir>) -> Option<Mount> {
    let dir = tempdir();
    let mut mount = cmd("mount").args(args).arg(dir.path());
    let output = mount.run();
    if !output.status.success() {
        skip(&mount.report("cannot mount", &output));
        return None;
    }
    Some(Mount { dir, _image: image })
}

/// Mounts a fresh `fstype` on a new temporary directory; `None` (after a skip) when it cannot.
pub fn mount_tmp(fstype: &str, opts: &str) -> Option<Mount> {
    if !require_root(&format!("mount a {fstype}")) || !require_tool("mount") || !require_tool("umount") {
        return None;
    }
    let source = format!("captar-test-{fstype}");
    let mut args = vec![OsStr::new("-t"), OsStr::new(fstype)];
    if !opts.is_empty() {
        args.extend([OsStr::new("-o"), OsStr::new(opts)]);
    }
    args.push(OsStr::new(&source));
    mount_on_tempdir(&args, None)
}

/// A fresh ext4 of `size` bytes made with `mkfs.ext4 -q` and `mkfs_args`, loop-mounted on a new
/// temporary directory; `None` (after a skip) when it cannot be.
pub fn mount_ext4(size: u64, mkfs_args: &[&str]) -> Option<Mount> {
    mount_image("ext4", size, &[&["-q"], mkfs_args].concat())
}

/// A fresh `fstype` of `size` bytes made by `mkfs.FSTYPE` with `mkfs_args` in a sparse image,
/// loop-mounted on a new temporary directory; `None` (after a skip, a failure under CI) when
/// the tool is missing or the kernel will not mount it.
pub fn mount_image(fstype: &str, size: u64, mkfs_args: &[&str]) -> Option<Mount> {
    let mkfs = format!("mkfs.{fstype}");
    if !require_root(&format!("mount a loop {fstype}")) || !require_tool(&mkfs) || !require_tool("mount") {
        return None;
    }
    let image_dir = tempdir();
    let image = image_dir.path().join(format!("{fstype}.img"));
    std::fs::File::create(&image).and_then(|f| f.set_len(size)).unwrap();
    cmd(&mkfs).args(mkfs_args).arg(&image).ok();
    let args = [OsStr::new("-t"), OsStr::new(fstype), OsStr::new("-o"), OsStr::new("loop"), image.as_os_str()];
    mount_on_tempdir(&args, Some(image_dir))
}

/// `src` made into a squashfs image by `mksquashfs` (xattrs kept, its default) and mounted
/// read-only on a new temporary directory; `None` (after a skip) when it cannot be.
pub fn mount_squashfs_of(src: &Path) -> Option<Mount> {
    if !require_root("mount a loop squashfs") || !require_tool("mksquashfs") || !require_tool("mount") {
        return None;
    }
    let image_dir = tempdir();
    let image = image_dir.path().join("squashfs.img");
    cmd("mksquashfs").arg(src).arg(&image).args(["-quiet", "-no-progress"]).ok();
    let args = [OsStr::new("-t"), OsStr::new("squashfs"), OsStr::new("-o"), OsStr::new("loop,ro"), image.as_os_str()];
    mount_on_tempdir(&args, Some(image_dir))
}

/// An overlayfs of `lower` under an upper and a work directory made in `upper_fs` (which must
/// outlive it), mounted on a new temporary directory, as a container's root is; `None` (after a
/// skip) when the kernel will not mount it.
pub fn mount_overlay(lower: &Path, upper_fs: &Path) -> Option<Mount> {
    if !require_root("mount an overlayfs") || !require_tool("mount") {
        return None;
    }
    let (upper, work) = (upper_fs.join("upper"), upper_fs.join("work"));
    fs::create_dir(&upper).unwrap();
    fs::create_dir(&work).unwrap();
    let opts = format!("lowerdir={},upperdir={},workdir={}", lower.display(), upper.display(), work.display());
    mount_on_tempdir(
        &[OsStr::new("-t"), OsStr::new("overlay"), OsStr::new("-o"), OsStr::new(&opts), OsStr::new("overlay")],
        None,
    )
}

// ---------------------------------------------------------------------------------------------
// The test tree

/// mtime base of the test tree: 2020-09-13T12:26:40Z. Each entry gets base + a number derived
/// from its path, so a mix-up between entries shows.
const TREE_MTIME_BASE: i64 = 1_600_000_000;

/// The sub-second mtime of `times/subsec`: 2021-03-04 05:06:07.123456789 UTC.
pub const SUBSEC_MTIME: (i64, i64) = (1_614_834_367, 123_456_789);

/// The one file whose mtime has nanoseconds.
pub const SUBSEC_FILE: &str = "times/subsec";

/// The non-UTF-8 file name (bytes 0xff 0xfe), under `names/`.
pub const NON_UTF8_NAME: &[u8] = b"names/caf\xff\xfe.txt";

/// The `user.comment` value on `xattr/commented`.
pub const USER_COMMENT: &[u8] = b"captar test comment: = and \n kept";

/// What `build_test_tree` made.
pub struct TestTree {
    /// Each capped regular file (relative path) and what `getcap -n` prints for it.
    pub capped: BTreeMap<PathBuf, String>,
    /// The hard link to a capped file, and the first name of its inode.
    pub hard_link: (PathBuf, PathBuf),
    /// The file whose relative path is over 300 bytes long.
    pub long_path: PathBuf,
}

/// A capped file of the test tree. The order of the work per file is the one that keeps
/// capabilities: write, chown, chmod, setcap, and times last (chown and writes clear
/// `security.capability`; chmod and utimes don't).
struct CappedFile {
    rel: &'static str,
    /// Arguments to setcap before the path.
    setcap: &'static [&'static str],
    /// What `getcap -n` prints after the path.
    getcap: &'static str,
    mode: u32,
    owner: Option<(u32, u32)>,
}

const fn capped(rel: &'static str, setcap: &'static [&'static str], getcap: &'static str, mode: u32) -> CappedFile {
    CappedFile { rel, setcap, getcap, mode, owner: None }
}

const CAPPED: &[CappedFile] = &[
    capped("bin/net-raw", &["cap_net_raw=ep"], "cap_net_raw=ep", 0o755),
    capped("bin/net-admin", &["cap_net_admin,cap_net_raw=eip"], "cap_net_admin,cap_net_raw=eip", 0o755),
    capped("bin/sys-admin-p", &["cap_sys_admin=p"], "cap_sys_admin=p", 0o755),
    capped("bin/all-ep", &["=ep"], "=ep", 0o755),
    // Present but empty: not the same as no xattr.
    capped("bin/empty-set", &["="], "=", 0o755),
    // Raw bytes 01000002 0a000000 ...: a newline inside the value.
    capped("bin/newline", &["cap_dac_override,cap_fowner=ep"], "cap_dac_override,cap_fowner=ep", 0o755),
    // v3, 24 bytes, rootid 100000 (a0860100).
    capped("bin/rootid", &["-n", "100000", "cap_net_raw=ep"], "cap_net_raw=ep [rootid=100000]", 0o755),
    CappedFile {
        owner: Some((1000, 1000)),
        ..capped("bin/user-owned", &["cap_net_bind_service=ep"], "cap_net_bind_service=ep", 0o750)
    },
    capped("bin/setuid-root", &["cap_setuid=ep"], "cap_setuid=ep", 0o4755),
];

/// Builds the capability test tree under `root` (which must exist; needs root: see
/// `require_test_tree`). Entries, relative to `root`:
///
/// - `bin/`: the capped files of `CAPPED` (`net-raw` cap_net_raw=ep, `net-admin`
///   cap_net_admin,cap_net_raw=eip, `sys-admin-p` cap_sys_admin=p, `all-ep` =ep, `empty-set` =,
///   `newline` cap_dac_override,cap_fowner=ep, `rootid` v3 rootid 100000, `user-owned`
///   1000:1000 mode 0750, `setuid-root` mode 4755), `net-raw-link` (a hard link to `net-raw`),
///   `plain` (no capability);
/// - `links/net-raw` → `../bin/net-raw`, `links/dangling` → `../nowhere`;
/// - `special/fifo`, `special/null` (char device 1,3);
/// - `long/<150 d>/<150 f>` (a 306-byte path), `long/symlink` → that path (301 bytes);
/// - `names/caf\xff\xfe.txt`; `xattr/commented` with `user.comment`; `data/big` (70000
///   bytes); `empty-dir/`;
/// - `times/subsec` with mtime `SUBSEC_MTIME`.
///
/// Every file has distinct contents; every mtime (and atime) is fixed, directories' after their
/// contents, so two builds snapshot identically.
/// `len` bytes no compressor shrinks (xorshift64 from `seed`), for data whose size on disk or
/// whose compression time must not depend on its content.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A temporary directory with the test tree built in its `src/`; `None` after a skip.
pub fn test_tree_in_tempdir() -> Option<(tempfile::TempDir, PathBuf)> {
    let tmp = tempdir();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    if !require_test_tree(&src) {
        return None;
    }
    build_test_tree(&src);
    Some((tmp, src))
}

pub fn build_test_tree(root: &Path) -> TestTree {
    for dir in ["bin", "links", "special", "long", "names", "xattr", "data", "empty-dir", "times"] {
        fs::create_dir(root.join(dir)).unwrap_or_else(|e| panic!("mkdir {dir}: {e}"));
    }

    let mut capped = BTreeMap::new();
    for file in CAPPED {
        let (rel, path) = (file.rel, root.join(file.rel));
        write_file(&path, format!("#!/bin/sh\n# {rel}\necho {rel}\n").as_bytes());
        if let Some((uid, gid)) = file.owner {
            std::os::unix::fs::chown(&path, Some(uid), Some(gid)).expect("chown");
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(file.mode)).expect("chmod");
        cmd("setcap").args(file.setcap).arg(&path).ok();
        capped.insert(PathBuf::from(rel), file.getcap.to_string());
    }
    fs::hard_link(root.join("bin/net-raw"), root.join("bin/net-raw-link")).expect("hard link");
    write_file(&root.join("bin/plain"), b"plain file, no capability\n");

    std::os::unix::fs::symlink("../bin/net-raw", root.join("links/net-raw")).expect("symlink");
    std::os::unix::fs::symlink("../nowhere", root.join("links/dangling")).expect("symlink");

    let special = root.join("special");
    let mknod = |name: &str, kind, mode: u32, dev| {
        let path = special.join(name);
        rustix::fs::mknodat(rustix::fs::CWD, &path, kind, rustix::fs::Mode::from_raw_mode(mode), dev)
            .unwrap_or_else(|e| panic!("mknod {}: {e}", path.display()));
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
    };
    mknod("fifo", rustix::fs::FileType::Fifo, 0o644, 0);
    mknod("null", rustix::fs::FileType::CharacterDevice, 0o666, rustix::fs::makedev(1, 3));

    let long_dir = PathBuf::from("d".repeat(150));
    let long_rel = long_dir.join("f".repeat(150));
    fs::create_dir(root.join("long").join(&long_dir)).expect("mkdir long");
    write_file(&root.join("long").join(&long_rel), b"a file at the end of a 306-byte path\n");
    std::os::unix::fs::symlink(&long_rel, root.join("long/symlink")).expect("long symlink");

    write_file(&root.join(OsStr::from_bytes(NON_UTF8_NAME)), b"a name that is not UTF-8\n");

    let commented = root.join("xattr/commented");
    write_file(&commented, b"a file with a user.comment xattr\n");
    captar::xattr::set_path(&commented, OsStr::new("user.comment"), USER_COMMENT).expect("set user.comment");

    // Varied bytes, so a bug in block handling shows in the digest.
    let big: Vec<u8> = (0u32..70_000).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    write_file(&root.join("data/big"), &big);
    write_file(&root.join(SUBSEC_FILE), b"a file with a sub-second mtime\n");

    set_tree_times(root, Path::new(""));

    TestTree {
        capped,
        hard_link: (PathBuf::from("bin/net-raw-link"), PathBuf::from("bin/net-raw")),
        long_path: PathBuf::from("long").join(long_rel),
    }
}

fn write_file(path: &Path, contents: &[u8]) {
    fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// The fixed mtime `build_test_tree` gives `rel`.
pub fn tree_mtime(rel: &Path) -> (i64, i64) {
    if rel == Path::new(SUBSEC_FILE) {
        return SUBSEC_MTIME;
    }
    (TREE_MTIME_BASE + (fnv1a(FNV_START, rel.as_os_str().as_bytes()) % 1_000_000) as i64, 0)
}

/// Sets atime and mtime of everything under `root/rel`, children before their directory, never
/// following symlinks.
fn set_tree_times(root: &Path, rel: &Path) {
    let path = root.join(rel);
    let meta = fs::symlink_metadata(&path).expect("lstat");
    if meta.is_dir() {
        for child in sorted_children(&path) {
            set_tree_times(root, &rel.join(child));
        }
    }
    let (sec, nsec) = tree_mtime(rel);
    let time = rustix::fs::Timespec { tv_sec: sec, tv_nsec: nsec };
    let times = rustix::fs::Timestamps { last_access: time, last_modification: time };
    rustix::fs::utimensat(rustix::fs::CWD, &path, &times, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
        .unwrap_or_else(|e| panic!("utimensat {}: {e}", path.display()));
}

fn sorted_children(dir: &Path) -> Vec<OsString> {
    let mut names: Vec<OsString> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading directory {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").file_name())
        .collect();
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    names
}

// ---------------------------------------------------------------------------------------------
// Snapshots

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
}

/// Everything about one entry that an archive round trip must keep (atime and ctime aside).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryInfo {
    pub kind: Kind,
    /// Permission bits with setuid, setgid and sticky (`st_mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// (seconds, nanoseconds).
    pub mtime: (i64, i64),
    /// Bytes of a regular file or a symlink's target; 0 for the rest (a directory's size is the
    /// filesystem's business).
    pub size: u64,
    /// FNV-1a 64 of a regular file's contents.
    pub digest: Option<u64>,
    pub symlink_target: Option<Vec<u8>>,
    /// (major, minor) of a device.
    pub rdev: Option<(u32, u32)>,
    /// For a non-directory whose inode already appeared under an earlier path (in the snapshot's
    /// byte order), that path.
    pub hard_link_to: Option<PathBuf>,
    /// Link count of a non-directory (0 for directories).
    pub nlink: u64,
    /// Every xattr, name → raw value (read with lgetxattr, never through a symlink).
    pub xattrs: BTreeMap<OsString, Vec<u8>>,
}

/// Relative path (the root is the empty path) → what is there.
pub type Snapshot = BTreeMap<PathBuf, EntryInfo>;

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn digest_file(path: &Path) -> u64 {
    let mut file = fs::File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let mut hash = FNV_START;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return hash,
            Ok(n) => hash = fnv1a(hash, &buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => panic!("reading {}: {e}", path.display()),
        }
    }
}

/// Walks `root` without following symlinks and records every entry, the root included (at the
/// empty path).
pub fn snapshot(root: &Path) -> Snapshot {
    let mut snap = Snapshot::new();
    let mut inodes = BTreeMap::new();
    snapshot_into(root, PathBuf::new(), &mut snap, &mut inodes);
    snap
}

fn snapshot_into(root: &Path, rel: PathBuf, snap: &mut Snapshot, inodes: &mut BTreeMap<(u64, u64), PathBuf>) {
    let path = if rel.as_os_str().is_empty() { root.to_path_buf() } else { root.join(&rel) };
    let meta = fs::symlink_metadata(&path).unwrap_or_else(|e| panic!("lstat {}: {e}", path.display()));
    let ft = meta.file_type();
    let kind = if ft.is_dir() {
        Kind::Dir
    } else if ft.is_file() {
        Kind::File
    } else if ft.is_symlink() {
        Kind::Symlink
    } else if ft.is_fifo() {
        Kind::Fifo
    } else if ft.is_char_device() {
        Kind::CharDevice
    } else if ft.is_block_device() {
        Kind::BlockDevice
    } else {
        Kind::Socket
    };

    let mut hard_link_to = None;
    if kind != Kind::Dir {
        let first = inodes.entry((meta.dev(), meta.ino())).or_insert_with(|| rel.clone());
        if *first != rel {
            hard_link_to = Some(first.clone());
        }
    }

    let mut xattrs = BTreeMap::new();
    let names = captar::xattr::list_path(&path).unwrap_or_else(|e| panic!("llistxattr {}: {e}", path.display()));
    for name in names {
        let value = captar::xattr::get_path(&path, &name)
            .unwrap_or_else(|e| panic!("lgetxattr {} {}: {e}", path.display(), name.display()));
        // Gone between the list and the read only if something else is changing the tree.
        if let Some(value) = value {
            xattrs.insert(name, value);
        }
    }

    let info = EntryInfo {
        kind,
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
        mtime: (meta.mtime(), meta.mtime_nsec()),
        size: if matches!(kind, Kind::File | Kind::Symlink) { meta.size() } else { 0 },
        digest: (kind == Kind::File).then(|| digest_file(&path)),
        symlink_target: (kind == Kind::Symlink)
            .then(|| fs::read_link(&path).expect("readlink").into_os_string().as_bytes().to_vec()),
        rdev: matches!(kind, Kind::CharDevice | Kind::BlockDevice)
            .then(|| (rustix::fs::major(meta.rdev()), rustix::fs::minor(meta.rdev()))),
        hard_link_to,
        nlink: if kind == Kind::Dir { 0 } else { meta.nlink() },
        xattrs,
    };
    snap.insert(rel.clone(), info);

    if kind == Kind::Dir {
        for child in sorted_children(&path) {
            snapshot_into(root, rel.join(child), snap, inodes);
        }
    }
}

/// What `diff_trees` leaves out. The default compares everything a snapshot holds.
#[derive(Clone, Debug, Default)]
pub struct CompareOpts {
    /// The root's mtime (an extraction into a directory changes it).
    pub ignore_root_mtime: bool,
    /// Every directory's mtime.
    pub ignore_dir_mtimes: bool,
    /// uid and gid.
    pub ignore_owner: bool,
    /// Link counts (a partial extraction makes fewer links).
    pub ignore_nlink: bool,
    /// xattr names not to compare (e.g. `security.selinux` set by the system).
    pub ignore_xattrs: Vec<OsString>,
}

impl CompareOpts {
    /// For an extracted tree against its source: everything but the root directory's mtime.
    pub fn extracted() -> CompareOpts {
        CompareOpts { ignore_root_mtime: true, ..CompareOpts::default() }
    }
}

/// Every difference between two snapshots, one line each, `left` being `a`; empty when they
/// match.
pub fn diff_trees(a: &Snapshot, b: &Snapshot, opts: &CompareOpts) -> Vec<String> {
    let mut diffs = Vec::new();
    for (rel, left) in a {
        let Some(right) = b.get(rel) else {
            diffs.push(format!("{}: only in left ({:?})", show(rel), left.kind));
            continue;
        };
        diff_entry(rel, left, right, opts, &mut diffs);
    }
    for (rel, right) in b {
        if !a.contains_key(rel) {
            diffs.push(format!("{}: only in right ({:?})", show(rel), right.kind));
        }
    }
    diffs
}

fn diff_entry(rel: &Path, l: &EntryInfo, r: &EntryInfo, opts: &CompareOpts, diffs: &mut Vec<String>) {
    let p = show(rel);
    let mut field = |name: &str, left: String, right: String| {
        if left != right {
            diffs.push(format!("{p}: {name}: left {left}, right {right}"));
        }
    };
    field("kind", format!("{:?}", l.kind), format!("{:?}", r.kind));
    field("mode", format!("{:04o}", l.mode), format!("{:04o}", r.mode));
    if !opts.ignore_owner {
        field("owner", format!("{}:{}", l.uid, l.gid), format!("{}:{}", r.uid, r.gid));
    }
    let is_root = rel.as_os_str().is_empty();
    let dir = l.kind == Kind::Dir && r.kind == Kind::Dir;
    if !(dir && opts.ignore_dir_mtimes || is_root && opts.ignore_root_mtime) {
        let fmt = |(s, ns): (i64, i64)| format!("{s}.{ns:09}");
        field("mtime", fmt(l.mtime), fmt(r.mtime));
    }
    field("size", l.size.to_string(), r.size.to_string());
    field("contents digest", format!("{:x?}", l.digest), format!("{:x?}", r.digest));
    let target = |t: &Option<Vec<u8>>| t.as_ref().map_or("none".into(), |t| t.escape_ascii().to_string());
    field("symlink target", target(&l.symlink_target), target(&r.symlink_target));
    field("device", format!("{:?}", l.rdev), format!("{:?}", r.rdev));
    let link = |t: &Option<PathBuf>| t.as_ref().map_or("none".into(), |t| show(t));
    field("hard link to", link(&l.hard_link_to), link(&r.hard_link_to));
    if !opts.ignore_nlink {
        field("link count", l.nlink.to_string(), r.nlink.to_string());
    }
    let names: std::collections::BTreeSet<&OsString> = l.xattrs.keys().chain(r.xattrs.keys()).collect();
    for name in names {
        if opts.ignore_xattrs.contains(name) {
            continue;
        }
        let value = |v: Option<&Vec<u8>>| v.map_or("absent".into(), |v| format!("0x{}", hex(v)));
        field(&format!("xattr {}", name.display()), value(l.xattrs.get(name)), value(r.xattrs.get(name)));
    }
}

/// Panics, listing every difference, unless the snapshots match under `opts`.
#[track_caller]
pub fn assert_same_tree(a: &Snapshot, b: &Snapshot, opts: &CompareOpts) {
    let diffs = diff_trees(a, b, opts);
    if !diffs.is_empty() {
        panic!("trees differ in {} place(s):\n  {}", diffs.len(), diffs.join("\n  "));
    }
}

/// `assert_same_tree` on two directories.
#[track_caller]
pub fn assert_same_dirs(a: &Path, b: &Path, opts: &CompareOpts) {
    assert_same_tree(&snapshot(a), &snapshot(b), opts);
}

// ---------------------------------------------------------------------------------------------
// libcap's view

/// What the real `getcap -n -r ROOT` reports: relative path of each capped regular file → its
/// text, with ` [rootid=N]` where libcap prints one.
pub fn getcap_n_r(root: &Path) -> BTreeMap<PathBuf, String> {
    let output = cmd("getcap").args(["-n", "-r"]).arg(root).ok();
    let prefix = [root.as_os_str().as_bytes(), b"/"].concat();
    let mut caps = BTreeMap::new();
    for line in output.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let rest = line
            .strip_prefix(prefix.as_slice())
            .unwrap_or_else(|| panic!("getcap line outside {}: {}", root.display(), line.escape_ascii()));
        // `PATH TEXT`, where both may hold spaces: the path is the shortest prefix ending before
        // a space that names a regular file.
        let split = rest
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b' ')
            .map(|(i, _)| i)
            .find(|&i| fs::symlink_metadata(root.join(OsStr::from_bytes(&rest[..i]))).is_ok_and(|m| m.is_file()))
            .unwrap_or_else(|| panic!("cannot find the file in getcap line {}", line.escape_ascii()));
        let rel = PathBuf::from(OsStr::from_bytes(&rest[..split]));
        caps.insert(rel, String::from_utf8_lossy(&rest[split + 1..]).into_owned());
    }
    caps
}

/// Three directories under `d` to archive apart: `one/f`, `two/g` with `two/ping` holding
/// cap_net_raw=ep (needs root), and `three/h`, each file holding its directory's name.
pub fn three_parts(d: &Path) {
    for (dir, file) in [("one", "f"), ("two", "g"), ("three", "h")] {
        fs::create_dir(d.join(dir)).unwrap();
        fs::write(d.join(dir).join(file), dir).unwrap();
    }
    fs::write(d.join("two/ping"), b"#!/bin/sh\n").unwrap();
    cmd("setcap").arg("cap_net_raw+ep").arg(d.join("two/ping")).ok();
}
