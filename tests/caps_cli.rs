//! `captar caps` against the tools it stands in for, run side by side on this machine:
//! `decode` against `capsh --decode`, `scan` against `getcap -r` and `getcap -n -r` (byte for
//! byte, order included), `procs` against `pscap -a` and /proc. Tests that need root or a tool
//! skip without them (a failure when `CI` is set).

mod util;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use captar::caps::FileCaps;
use util::{OutputExt, captar, cmd, hex};

// ---------------------------------------------------------------------------------------------
// decode

#[test]
fn decode_masks_like_capsh() {
    if !util::require_tool("capsh") {
        return;
    }
    let mut masks: Vec<u64> = (0..64).map(|n| 1u64 << n).collect();
    masks.extend([0, 0x00000000a80425fb, (1 << 41) - 1, u64::MAX, 0x8000_0000_0000_0001]);
    let mut x = 0x1234_5678_9abc_def0u64;
    for _ in 0..50 {
        // xorshift64
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        masks.push(x);
        masks.push(x & ((1 << 41) - 1));
    }
    for form in [|m: u64| format!("{m:016x}"), |m: u64| format!("0x{m:x}"), |m: u64| format!("{m:X}")] {
        let args: Vec<String> = masks.iter().map(|&m| form(m)).collect();
        let capsh = cmd("capsh").args(args.iter().map(|a| format!("--decode={a}"))).ok();
        let ours = captar().args(["caps", "decode"]).args(&args).ok();
        assert_eq!(ours.stdout_text(), capsh.stdout_text());
    }
}

#[test]
fn decode_rejects_what_is_not_hex() {
    let out = captar().args(["caps", "decode", "a80425fb", "zz", "0100000200"]).code(2);
    assert_eq!(
        out.stdout_text(),
        "0x00000000a80425fb=cap_chown,cap_dac_override,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,\
         cap_setpcap,cap_net_bind_service,cap_net_raw,cap_sys_chroot,cap_mknod,cap_audit_write,cap_setfcap\n\
         0x0000000100000200=cap_linux_immutable,cap_mac_override\n"
    );
    assert!(out.stderr_text().contains("\"zz\" is not hexadecimal"), "{}", out.stderr_text());
    captar().args(["caps", "decode", "01000002002000000000000000000000000000"]).code(2);
    // getfattr's default (base64) form of the value: how to get the hex one.
    let out = captar().args(["caps", "decode", "0sAQAAAgAgAAAAAAAAAAAAAAAAAAA="]).code(2);
    assert!(out.stderr_text().contains("getfattr -e hex -n security.capability"), "{}", out.stderr_text());
    // Two masks in one argument are not one (they decoded as 0x12); a value's groups are.
    let out = captar().args(["caps", "decode", "1 2", " 3\n", "01000002 00200000 00000000 00000000 00000000"]).code(2);
    assert_eq!(
        out.stdout_text(),
        "0x0000000000000003=cap_chown,cap_dac_override\n0100000200200000000000000000000000000000: v2 cap_net_raw=ep\n"
    );
    assert_eq!(
        out.stderr_text(),
        "captar: decode: \"1 2\" holds whitespace: give each capability mask as an argument of its own\n"
    );
    // An argument that is not text is that argument's error; the others are decoded (clap
    // refused the whole line: found by review).
    let raw = <OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"\xff");
    let out = captar().args(["caps", "decode"]).arg(raw).arg("12").code(2);
    assert_eq!(out.stdout_text(), "0x0000000000000012=cap_dac_override,cap_fsetid\n");
    assert_eq!(out.stderr_text(), "captar: decode: \"\\xff\" is not hexadecimal\n");
}

/// A temporary directory that keeps capabilities, with root, setcap and getcap; `None` after a skip.
fn capdir() -> Option<tempfile::TempDir> {
    let dir = util::tempdir();
    let ok = util::require_root("set file capabilities")
        && util::require_tool("setcap")
        && util::require_tool("getcap")
        && util::require_xattr_fs(dir.path());
    ok.then_some(dir)
}

fn setcap(args: &[&str], path: &Path) {
    cmd("setcap").args(args).arg(path).ok();
}

fn read_raw(path: &Path) -> Vec<u8> {
    captar::xattr::get_path(path, OsStr::new("security.capability")).unwrap().expect("a capability")
}

#[test]
fn decode_raw_values_like_getcap() {
    let Some(dir) = capdir() else { return };
    let file = dir.path().join("f");
    std::fs::write(&file, b"").unwrap();
    let cases: [&[&str]; 6] = [
        &["cap_net_raw=ep"],
        &["cap_dac_override,cap_fowner=ep"],
        &["=ep"],
        &["="],
        &["cap_setuid=i cap_net_raw+p"],
        &["-n", "100000", "cap_net_raw=ep"],
    ];
    for args in cases {
        setcap(args, &file);
        let raw = read_raw(&file);
        let getcap = cmd("getcap").arg("-n").arg(&file).ok().stdout_text();
        let text = getcap.trim_end().strip_prefix(&format!("{} ", file.display())).unwrap().to_string();
        // getcap -n shows a v3 rootid as decode does (it hides only 0 and -1, never v3 values here).
        let rev = if raw.len() == 24 { 3 } else { 2 };
        let out = captar().args(["caps", "decode", &hex(&raw)]).ok();
        assert_eq!(out.stdout_text(), format!("{}: v{rev} {text}\n", hex(&raw)), "setcap {args:?}");
        // With 0x, upper case and spaces between the words, as pasted from elsewhere.
        let spaced: Vec<String> = raw.chunks(4).map(|w| hex(w).to_uppercase()).collect();
        let out = captar().args(["caps", "decode", &format!("0x{}", spaced.join(" "))]).ok();
        assert_eq!(out.stdout_text(), format!("{}: v{rev} {text}\n", hex(&raw)));
    }
}

// ---------------------------------------------------------------------------------------------
// scan

/// The shared test tree plus what getcap walks differently from a plain listing: names with a
/// space, a newline and a tab; a capped file two directories down; a symlink to a directory; a
/// hard link; a directory of many files, a few of them capped (readdir order is hash order).
fn scan_tree(root: &Path) {
    util::build_test_tree(root);
    let odd = root.join("odd");
    std::fs::create_dir_all(odd.join("sub/deeper")).unwrap();
    for (name, caps) in [
        ("with space", "cap_net_raw=ep"),
        ("new\nline", "cap_setuid=i cap_net_raw+p"),
        ("tab\there", "=ep"),
        ("sub/deeper/c", "cap_chown,cap_kill=ep cap_sys_admin+ei"),
        ("sub/b", "cap_sys_admin=p"),
    ] {
        let path = odd.join(name);
        std::fs::write(&path, name).unwrap();
        setcap(&[caps], &path);
    }
    std::fs::hard_link(odd.join("sub/b"), odd.join("hard-b")).unwrap();
    std::os::unix::fs::symlink("sub", odd.join("dir-link")).unwrap();
    std::os::unix::fs::symlink("with space", odd.join("file-link")).unwrap();
    let many = root.join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..300 {
        let path = many.join(format!("f{i:03}"));
        std::fs::write(&path, b"").unwrap();
        if i % 37 == 0 {
            setcap(&[if i % 2 == 0 { "cap_net_bind_service=ep" } else { "cap_bpf,cap_perfmon=p" }], &path);
        }
        if i % 50 == 0 {
            std::fs::create_dir(many.join(format!("d{i:03}"))).unwrap();
            let inner = many.join(format!("d{i:03}/inner"));
            std::fs::write(&inner, b"").unwrap();
            setcap(&["cap_ipc_lock=i"], &inner);
        }
    }
    setcap(&["-n", "3000000000", "cap_kill=ep"], &many.join("f001"));
}

/// A directory holding `scan_tree`; `None` after a skip.
fn scanned() -> Option<tempfile::TempDir> {
    let dir = capdir()?;
    scan_tree(dir.path());
    Some(dir)
}

/// Runs getcap and `captar caps scan` with the same arguments in `cwd`; both stdouts must be the
/// same bytes. Returns captar's output.
fn same_as_getcap(cwd: &Path, getcap_args: &[&OsStr], scan_args: &[&OsStr]) -> std::process::Output {
    let getcap = cmd("getcap").current_dir(cwd).args(getcap_args).ok();
    let mut c = captar().current_dir(cwd).args(["caps", "scan"]).args(scan_args);
    let ours = c.run();
    assert_eq!(
        ours.stdout.escape_ascii().to_string(),
        getcap.stdout.escape_ascii().to_string(),
        "{}",
        c.report("the same output as getcap", &ours)
    );
    ours
}

#[test]
fn scan_like_getcap_r() {
    let Some(dir) = scanned() else { return };
    let root = dir.path().as_os_str();
    let with_slash = format!("{}/", dir.path().display());
    let file = dir.path().join("bin/net-raw");
    let link = dir.path().join("links/net-raw");
    let os = |s: &'static str| OsStr::new(s);
    for threads in ["1", "2", "5"] {
        let t = [os("--threads"), OsStr::new(threads)];
        for n in [false, true] {
            let (g, s): (Vec<&OsStr>, Vec<&OsStr>) =
                if n { (vec![os("-n")], vec![os("-n")]) } else { (vec![], vec![]) };
            let run = |extra: &[&OsStr]| {
                let getcap: Vec<&OsStr> = g.iter().copied().chain([os("-r")]).chain(extra.iter().copied()).collect();
                let scan: Vec<&OsStr> = s.iter().copied().chain(t).chain(extra.iter().copied()).collect();
                let out = same_as_getcap(dir.path(), &getcap, &scan);
                assert!(out.status.success(), "{}", out.stderr_text());
                out
            };
            let out = run(&[root]);
            let text = out.stdout_text();
            assert!(text.contains("/odd/new\nline cap_setuid=i cap_net_raw+p\n"), "{text}");
            assert!(text.contains("/odd/sub/deeper/c cap_sys_admin=ei cap_chown,cap_kill+ep\n"), "{text}");
            assert!(text.contains("/odd/hard-b cap_sys_admin=p\n"), "{text}");
            assert!(
                !text.contains("/links/") && !text.contains("dir-link") && !text.contains("file-link"),
                "symlinks are never followed: {text}"
            );
            assert_eq!(text.contains("[rootid=-1294967296]"), n, "{text}");
            run(&[OsStr::new(&with_slash)]);
            run(&[os(".")]);
            run(&[os("odd"), os("./many/"), os("bin/newline")]);
            run(&[file.as_os_str(), link.as_os_str(), os("odd/dir-link")]);
            // A trailing slash would have lstat follow the link: not even `dir-link/` is.
            let out = run(&[os("odd/dir-link/"), os("odd/dir-link//"), os("odd/sub/")]);
            assert!(!out.stdout_text().contains("dir-link"), "{}", out.stdout_text());
        }
    }
    // Without arguments: the current directory, as `getcap -r .`.
    same_as_getcap(dir.path(), &[OsStr::new("-r"), OsStr::new(".")], &[]);
}

#[test]
fn scan_reports_missing_paths_and_goes_on() {
    let Some(dir) = scanned() else { return };
    // A file named with a trailing slash is not a directory, to getcap as to lstat.
    let args = [OsStr::new("nowhere"), OsStr::new("odd"), OsStr::new("odd/sub/b/"), OsStr::new("odd/file-link/")];
    let getcap_args: Vec<&OsStr> = [OsStr::new("-r")].into_iter().chain(args).collect();
    let out = same_as_getcap(dir.path(), &getcap_args, &args);
    assert_eq!(out.status.code(), Some(2));
    let err = out.stderr_text();
    assert!(err.contains("nowhere: stat: No such file"), "{err}");
    assert!(err.contains("odd/sub/b/: stat: Not a directory"), "{err}");
    assert!(err.contains("odd/file-link/: stat: Not a directory"), "{err}");
}

/// In a user namespace where only root is mapped, a v3 capability of rootid 100000 reads as
/// EOVERFLOW: getcap prints a complaint and goes on; captar names the file, goes on, exits 2.
#[test]
fn scan_reports_eoverflow_and_goes_on() {
    let Some(dir) = scanned() else { return };
    if !util::require_tool("unshare") {
        return;
    }
    let probe = cmd("unshare").args(["-U", "-r", "true"]).run();
    if !probe.status.success() {
        util::skip(&format!("cannot make a user namespace: {}", probe.stderr_text()));
        return;
    }
    let getcap = cmd("unshare").args(["-U", "-r", "getcap", "-r", "."]).current_dir(dir.path()).ok();
    assert!(getcap.stderr_text().contains("bin/rootid"), "{}", getcap.stderr_text());
    let out = cmd("unshare")
        .args(["-U", "-r"])
        .arg(env!("CARGO_BIN_EXE_captar"))
        .args(["caps", "scan"])
        .current_dir(dir.path())
        .code(2);
    assert_eq!(out.stdout.escape_ascii().to_string(), getcap.stdout.escape_ascii().to_string());
    let err = out.stderr_text();
    assert!(err.contains("./bin/rootid") && err.contains("EOVERFLOW"), "{err}");
    assert!(out.stdout_text().contains("./bin/net-raw cap_net_raw=ep\n"));
}

/// A malformed value stored (revision 1 here, written past the kernel with debugfs: setxattr
/// refuses it), which the kernel refuses to read back (EINVAL): scan and create name the file,
/// say what is wrong and what to do, and create archives the file without it (exit 2) rather
/// than leave the whole file out. Root of a user namespace refused a directory it does not own
/// is told so, not that even root is refused.
#[test]
fn malformed_values_and_namespace_refusals_are_explained() {
    if !util::require_root("mount a loop ext4") || !util::require_tool("debugfs") || !util::require_tool("mkfs.ext4") {
        return;
    }
    let tmp = util::tempdir();
    let (image, mnt) = (tmp.path().join("e.img"), tmp.path().join("m"));
    std::fs::create_dir(&mnt).unwrap();
    std::fs::File::create(&image).unwrap().set_len(8 << 20).unwrap();
    cmd("mkfs.ext4").arg("-q").arg(&image).ok();
    std::fs::write(tmp.path().join("val"), [1u8, 0, 0, 1, 0, 0x20, 0, 0, 0, 0, 0, 0]).unwrap();
    // A v3 value with rootid 4294967295, which no namespace maps: EOVERFLOW even here.
    let mut minus1 = vec![1u8, 0, 0, 3, 0, 0x20, 0, 0];
    minus1.extend([0; 12]);
    minus1.extend([0xff; 4]);
    std::fs::write(tmp.path().join("val3"), minus1).unwrap();
    std::fs::write(tmp.path().join("data"), b"v1\n").unwrap();
    for request in [
        "write data v1",
        "ea_set -f val /v1 security.capability",
        "write data m1",
        "ea_set -f val3 /m1 security.capability",
    ] {
        cmd("debugfs").arg("-w").arg("-R").arg(request).arg(&image).current_dir(tmp.path()).ok();
    }
    let mounted = cmd("mount").args(["-o", "loop"]).arg(&image).arg(&mnt).run();
    if !mounted.status.success() {
        util::skip(&format!("cannot mount a loop ext4: {}", mounted.stderr_text()));
        return;
    }
    let archive = tmp.path().join("x.tar");
    let created = captar().args(["create", "-f"]).arg(&archive).arg("-C").arg(&mnt).arg("v1").run();
    let scanned = captar().args(["caps", "scan"]).arg(&mnt).run();
    let copied = captar().arg("copy").arg(&mnt).arg(tmp.path().join("copy")).run();
    let dot = captar().args(["create", "-f"]).arg(tmp.path().join("dot.tar")).arg("-C").arg(&mnt).arg(".").run();
    // Rootid -1 in the initial namespace: no namespace to read it from (captar said to read it
    // from the namespace that set it; found by review).
    let m1 = mnt.join("m1");
    let m1_tar = tmp.path().join("m1.tar");
    let minus1 = [
        captar().args(["caps", "scan"]).arg(&m1).run(),
        captar().args(["create", "-f"]).arg(&m1_tar).arg("-C").arg(&mnt).arg("m1").run(),
        captar().args(["verify", "-f"]).arg(&m1_tar).arg("-C").arg(&mnt).run(),
    ];
    cmd("umount").arg("-l").arg(&mnt).ok();
    let in_init = std::fs::read_to_string("/proc/self/uid_map").unwrap().split_whitespace().collect::<Vec<_>>()
        == ["0", "0", "4294967295"];
    for out in &minus1 {
        let err = out.stderr_text();
        assert_eq!(out.status.code(), Some(2), "{err}");
        let said = "a v3 capability whose rootid is 4294967295 (-1), which is no user: it grants nothing, and no namespace can read it (EOVERFLOW); remove it with setcap -r\n";
        assert_eq!(err.contains(said), in_init, "{err}");
        assert!(err.contains("m1"), "{err}");
    }
    // copy says what it made (found by review: "archived", of a copy).
    assert_eq!(copied.status.code(), Some(2), "{}", copied.stderr_text());
    let err = copied.stderr_text();
    // Named under SRC, without the `.` copy archives it as (found by review: `SRC/./v1`).
    let v1 = mnt.join("v1");
    let v1 = v1.display();
    assert!(
        err.contains(&format!(
            "captar: {v1}: copied without its capability: the security.capability value stored is malformed"
        )),
        "{err}"
    );
    assert!(!err.contains("/./"), "{err}");
    assert!(
        dot.stderr_text().contains(&format!("captar: {v1}: archived without its capability")),
        "{}",
        dot.stderr_text()
    );
    assert_eq!(created.status.code(), Some(2), "{}", created.stderr_text());
    assert_eq!(
        created.stderr_text(),
        format!(
            "captar: {}: archived without its capability: the security.capability value stored is malformed, one \
             the kernel does not read back (a revision-1 value, which it still applies when the file is run, or a \
             truncated, overlong or unknown-revision one: EINVAL); set it again with setcap, or remove it with \
             setcap -r\n",
            mnt.join("v1").display()
        )
    );
    assert_eq!(captar().args(["list", "-f"]).arg(&archive).ok().stdout_text(), "v1\n");
    assert_eq!(scanned.status.code(), Some(2));
    let err = scanned.stderr_text();
    assert!(err.contains("/v1: read security.capability: Invalid argument (the value stored is malformed"), "{err}");
    assert!(err.contains("set it again with setcap, or remove it with setcap -r)"), "{err}");

    if !util::require_tool("unshare") || !cmd("unshare").args(["-U", "-r", "true"]).run().status.success() {
        util::skip("cannot make a user namespace");
        return;
    }
    let locked = tmp.path().join("t/locked");
    std::fs::create_dir_all(&locked).unwrap();
    std::os::unix::fs::chown(&locked, Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    // The namespace's root must reach t (the tempdir is root's, 0700 itself).
    std::fs::set_permissions(tmp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = cmd("unshare")
        .args(["-U", "-r"])
        .arg(env!("CARGO_BIN_EXE_captar"))
        .args(["caps", "scan"])
        .arg(tmp.path().join("t"))
        .code(2);
    let err = out.stderr_text();
    assert!(
        err.contains(
            "locked: read directory: Permission denied (permission denied in a user namespace: its root has no power"
        ),
        "{err}"
    );
}

#[test]
fn scan_one_file_system() {
    let Some(dir) = capdir() else { return };
    if !util::require_tool("mount") {
        return;
    }
    let top = dir.path().join("top");
    let mnt = top.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    std::fs::write(top.join("here"), b"").unwrap();
    setcap(&["cap_net_raw=ep"], &top.join("here"));
    let mut mount = cmd("mount").args(["-t", "tmpfs", "captar-test-tmpfs"]).arg(&mnt);
    let out = mount.run();
    if !out.status.success() {
        util::skip(&mount.report("cannot mount a tmpfs", &out));
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            cmd("umount").arg("-l").arg(self.0).run();
        }
    }
    let _unmount = Unmount(&mnt);
    std::fs::write(mnt.join("there"), b"").unwrap();
    setcap(&["cap_net_admin=ep"], &mnt.join("there"));
    same_as_getcap(&top, &[OsStr::new("-r"), OsStr::new(".")], &[OsStr::new(".")]);
    let out = captar().current_dir(&top).args(["caps", "scan", "--one-file-system", "."]).ok();
    assert_eq!(out.stdout_text(), "./here cap_net_raw=ep\n");
}

/// Helper threads that cannot start leave the walk to those that did, at worst the calling
/// thread alone: the same output as getcap, no panic (std's `scope.spawn` panicked when a user's
/// process limit was reached). `--threads` above 1024 is refused: thousands of threads exhaust
/// the memory maps as they start, which std answers with an abort.
#[test]
fn scan_with_no_thread_to_spare() {
    let Some(dir) = capdir() else { return };
    if !util::require_tool("setpriv") || !util::require_tool("prlimit") {
        return;
    }
    let d = dir.path();
    std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for i in 0..6 {
        let sub = d.join(format!("d{i}/e"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("f"), b"").unwrap();
        setcap(&["cap_net_raw=ep"], &sub.join("f"));
    }
    let getcap = cmd("getcap").args(["-r", "."]).current_dir(d).ok();
    // One process for the user (captar itself): no thread can start.
    let out = util::as_nobody("prlimit")
        .args(["--nproc=1", "--"])
        .arg(env!("CARGO_BIN_EXE_captar"))
        .args(["caps", "scan", "--threads", "8", "."])
        .current_dir(d)
        .ok();
    assert_eq!(
        (out.stdout.escape_ascii().to_string(), out.stderr_text()),
        (getcap.stdout.escape_ascii().to_string(), String::new())
    );
    for refused in ["20000", "1025", "0"] {
        let out = captar().args(["caps", "scan", "--threads", refused, "."]).current_dir(d).code(2);
        assert!(
            out.stdout.is_empty() && out.stderr_text().contains("expected 1 to 1024 threads"),
            "{}",
            out.stderr_text()
        );
    }
    same_as_getcap(d, &[OsStr::new("-r"), OsStr::new(".")], &[OsStr::new("--threads"), OsStr::new("1024")]);
}

/// A directory this user may read but not search (r-- for others): one error for it, exit 2,
/// not one for each of its files and subdirectories (found by review); the files beside it
/// are scanned. As root, it is scanned like any other.
#[test]
fn scan_a_directory_that_cannot_be_searched() {
    let Some(dir) = capdir() else { return };
    if !util::require_tool("setpriv") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let d = dir.path();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(d.join("closed/sub")).unwrap();
    for name in ["closed/a", "closed/b", "closed/c", "open"] {
        std::fs::write(d.join(name), b"").unwrap();
        setcap(&["cap_net_raw=ep"], &d.join(name));
    }
    std::fs::set_permissions(d.join("closed"), std::fs::Permissions::from_mode(0o744)).unwrap();
    let out = util::as_nobody(env!("CARGO_BIN_EXE_captar")).args(["caps", "scan", "."]).current_dir(d).code(2);
    assert_eq!(out.stdout_text(), "./open cap_net_raw=ep\n");
    let err = out.stderr_text();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("captar: ./closed: search directory, so its files were not scanned: Permission denied"),
        "{err}"
    );
    same_as_getcap(d, &[OsStr::new("-r"), OsStr::new(".")], &[OsStr::new(".")]);
}

/// Under a limited address space (`ulimit -v`) or open-file limit (`ulimit -n`) the scan
/// finishes, with as many helper threads as fit: small stacks and one malloc arena. With 2 MiB stacks and an arena per thread, a scan of a few thousand
/// directories aborted (exit 134) in most runs with `--threads 64` under 60 MB.
#[test]
fn scan_many_threads_in_a_small_address_space() {
    let Some(dir) = capdir() else { return };
    if !util::require_tool("prlimit") {
        return;
    }
    let d = dir.path();
    for i in 0..3000 {
        let sub = d.join(format!("d{}/s{i}", i % 50));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("f"), b"").unwrap();
    }
    setcap(&["cap_net_raw=ep"], &d.join("d7/s7/f"));
    setcap(&["cap_sys_admin=p"], &d.join("d49/s2999/f"));
    let getcap = cmd("getcap").args(["-r", "."]).current_dir(d).ok();
    // The limits are above what the binary maps to start at all: 12 MB for the release build,
    // 24 for the debug one (which failed to load under the release build's 15 MB).
    let start = startup_address_space(env!("CARGO_BIN_EXE_captar"));
    let above = |mb: f64| format!("--as={}", start + (mb * 1e6) as u64);
    // 3.2 MB above the start (15 MB for the release build): a quarter of the whole limit let
    // 14 helpers start, and the scan aborted; each one's open directory counts against `ulimit
    // -n` too, where directories were lost to "Too many open files" (found by review).
    for (threads, limit) in [
        ("64", above(48.0)),
        ("1024", above(48.0)),
        ("1024", above(88.0)),
        ("64", above(3.2)),
        ("1024", above(3.2)),
        ("16", "--nofile=8".to_string()),
        ("64", "--nofile=12".to_string()),
    ] {
        for _ in 0..3 {
            let out = cmd("prlimit")
                .arg(&limit)
                .arg("--")
                .arg(env!("CARGO_BIN_EXE_captar"))
                .args(["caps", "scan", "--threads", threads, "."])
                .current_dir(d)
                .ok();
            assert_eq!(
                (out.stdout.escape_ascii().to_string(), out.stderr_text()),
                (getcap.stdout.escape_ascii().to_string(), String::new()),
                "--threads {threads} under {limit}"
            );
        }
    }
}

/// The least address space (`prlimit --as`, to 100 KB) in which `bin --version` runs: what the
/// binary and its libraries map before it does anything.
fn startup_address_space(bin: &str) -> u64 {
    let runs = |limit: u64| {
        cmd("prlimit").arg(format!("--as={limit}")).arg("--").arg(bin).arg("--version").run().status.success()
    };
    let (mut low, mut high) = (1_000_000u64, 1_000_000_000u64);
    assert!(runs(high), "{bin} --version does not run under a 1 GB address space");
    while high - low > 100_000 {
        let mid = low + (high - low) / 2;
        if runs(mid) { high = mid } else { low = mid }
    }
    high
}

/// A tree deeper than PATH_MAX (4096 bytes), where getcap -r stops with "File name too long"
/// (captar did too, with advice): `caps scan` and `verify --extra` read each file in its open
/// directory, to the bottom; on a kernel without getxattrat, through /proc/self/fd.
#[test]
fn scan_and_verify_extra_reach_past_path_max() {
    let Some(tmp) = capdir() else { return };
    use rustix::fs::{Mode, OFlags};
    let cap = |text: &str| captar::caps::parse_text(text).unwrap().encode();
    let mode = Mode::from_raw_mode(0o755);
    // Made a directory at a time: the whole path is too long for mkdir. `mid` is at 2,211
    // bytes, `ping` at 4,431.
    let mut fd = rustix::fs::open(tmp.path(), OFlags::DIRECTORY, mode).unwrap();
    let mut rel = PathBuf::from(".");
    let capped = |fd: &std::os::fd::OwnedFd, name: &str, text: &str, file_mode: u32| {
        let flags = OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC;
        let f = rustix::fs::openat(fd, name, flags, Mode::from_raw_mode(file_mode)).unwrap();
        rustix::fs::fchmod(&f, Mode::from_raw_mode(file_mode)).unwrap();
        rustix::fs::fsetxattr(&f, "security.capability", &cap(text), rustix::fs::XattrFlags::empty()).unwrap();
    };
    let mut want = Vec::new();
    for level in 0..22 {
        let name = format!("{level:02}{}", "d".repeat(198));
        rustix::fs::mkdirat(&fd, name.as_str(), mode).unwrap();
        fd = rustix::fs::openat(&fd, name.as_str(), OFlags::DIRECTORY, mode).unwrap();
        rel.push(&name);
        if level == 10 {
            capped(&fd, "mid", "cap_chown=ep", 0o755);
            want.push(format!("{}/mid cap_chown=ep", rel.display()));
        }
    }
    capped(&fd, "ping", "cap_net_raw=ep", 0o757);
    want.push(format!("{}/ping cap_net_raw=ep", rel.display()));
    assert!(rel.as_os_str().len() > 4096);
    want.sort();
    let sorted = |out: &std::process::Output| {
        let mut lines: Vec<String> = out.stdout_text().lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    for no_getxattrat in [false, true] {
        let scan = |args: &[&str]| {
            let mut c = captar().current_dir(tmp.path()).args(["caps", "scan"]).args(args).arg(".");
            if no_getxattrat {
                c = c.env("CAPTAR_TEST_NO_GETXATTRAT", "1");
            }
            c.ok()
        };
        let out = scan(&[]);
        assert_eq!((sorted(&out), out.stderr_text()), (want.clone(), String::new()), "{no_getxattrat}");
        // --risk reads the file's mode there too: `ping` is writable by others.
        let risky = sorted(&scan(&["--risk"]));
        let line = |name: &str| risky.iter().find(|l| l.contains(name)).cloned().unwrap_or_default();
        assert!(
            line("/ping ").ends_with("=ep [risk=moderate:cap_net_raw] [file-risk=writable-by-others]"),
            "{risky:?}"
        );
        assert!(line("/mid ").ends_with("=ep [risk=root-equivalent:cap_chown]"), "{risky:?}");
    }
    // verify --extra: nothing extra in the tree as archived, then a capability added at the
    // bottom after the archive was made is found and named.
    let a = util::tempdir();
    let archive = a.path().join("deep.tar");
    captar().arg("-cf").arg(&archive).arg("-C").arg(tmp.path()).arg(".").ok();
    let verify = || captar().args(["verify", "--extra", "-f"]).arg(&archive).arg("-C").arg(tmp.path());
    let out = verify().ok();
    assert!(out.stderr_text().is_empty(), "{}", out.stderr_text());
    capped(&fd, "late", "cap_sys_module=ep", 0o755);
    let out = verify().code(1);
    let extra = format!("{}/late: capped file not in archive: cap_sys_module=ep", rel.display());
    assert!(out.stdout_text().lines().any(|l| l == extra), "{}", out.stdout_text());
    assert!(out.stderr_text().is_empty(), "{}", out.stderr_text());
    // `caps scan --json` of the tree by its absolute path is a manifest `verify --manifest`
    // checks without -C, its paths past PATH_MAX too (found by audit: "File name too long"),
    // a lost capability found there.
    let manifest = a.path().join("deep.json");
    let json = captar().args(["caps", "scan", "--json"]).arg(tmp.path()).ok().stdout;
    std::fs::write(&manifest, json).unwrap();
    let out = captar().args(["verify", "--manifest"]).arg(&manifest).ok();
    assert_eq!(out.stdout_text(), "verified 3 entries, 3 with capabilities: 0 differences\n");
    let late = rustix::fs::openat(&fd, "late", OFlags::RDONLY | OFlags::CLOEXEC, mode).unwrap();
    rustix::fs::fremovexattr(&late, "security.capability").unwrap();
    let out = captar().args(["verify", "--manifest"]).arg(&manifest).code(1);
    let lost = format!(
        "{}/late: capabilities missing on disk (manifest cap_sys_module=ep)",
        tmp.path().join(rel.strip_prefix(".").unwrap()).display()
    );
    assert!(out.stdout_text().lines().any(|l| l == lost), "{}", out.stdout_text());
    // A directory of the path gone: each file beneath it is missing on disk (found by review:
    // "File name too long", exit 2, for the paths past PATH_MAX).
    let top = format!("00{}", "d".repeat(198));
    std::fs::rename(tmp.path().join(&top), tmp.path().join("moved")).unwrap();
    let out = captar().args(["verify", "--manifest"]).arg(&manifest).code(1);
    assert_eq!(out.stderr_text(), "");
    let missing = out.stdout_text().lines().filter(|l| l.ends_with(": missing on disk")).count();
    assert_eq!(missing, 3, "{}", out.stdout_text());
}

#[test]
fn scan_beyond_docker_and_risk() {
    let Some(dir) = capdir() else { return };
    for (name, caps) in
        [("ping", "cap_net_raw=ep"), ("admin", "cap_net_admin,cap_net_raw=ep"), ("bind", "cap_net_bind_service=ep")]
    {
        let path = dir.path().join(name);
        std::fs::write(&path, b"").unwrap();
        setcap(&[caps], &path);
    }
    let sorted = |out: std::process::Output| {
        let mut lines: Vec<String> = out.stdout_text().lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    let out = captar().current_dir(dir.path()).args(["caps", "scan", "--beyond", "docker", "."]).ok();
    assert_eq!(sorted(out), ["./admin cap_net_admin,cap_net_raw=ep [beyond=cap_net_admin]"]);
    // A hex mask as the baseline: Docker's set without net_raw.
    let out = captar().current_dir(dir.path()).args(["caps", "scan", "--beyond", "0xa80405fb", "."]).ok();
    assert_eq!(
        sorted(out),
        [
            "./admin cap_net_admin,cap_net_raw=ep [beyond=cap_net_admin,cap_net_raw]",
            "./ping cap_net_raw=ep [beyond=cap_net_raw]"
        ]
    );
    // A mask with whitespace inside is two, refused as `caps decode` refuses it (it was read
    // as one, `0x 2000` as cap_net_raw's; found by review).
    let err = captar().current_dir(dir.path()).args(["caps", "scan", "--beyond", "0x 2000", "."]).code(2).stderr_text();
    assert!(err.contains("\"0x 2000\" holds whitespace"), "{err}");
    let out = captar().current_dir(dir.path()).args(["caps", "scan", "--risk", "."]).ok();
    assert_eq!(
        sorted(out),
        [
            "./admin cap_net_admin,cap_net_raw=ep [risk=high:cap_net_admin moderate:cap_net_raw]",
            "./bind cap_net_bind_service=ep",
            "./ping cap_net_raw=ep [risk=moderate:cap_net_raw]",
        ]
    );
    // What about the file lets others abuse it: writable by group or anyone, not root's,
    // setuid or setgid (chown clears a capability: it goes first).
    let set_mode = |name: &str, mode: u32| {
        std::fs::set_permissions(dir.path().join(name), std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap()
    };
    set_mode("ping", 0o777);
    set_mode("admin", 0o4750);
    std::os::unix::fs::chown(dir.path().join("bind"), Some(1000), None).unwrap();
    setcap(&["cap_net_bind_service=ep"], &dir.path().join("bind"));
    let out = captar().current_dir(dir.path()).args(["caps", "scan", "--risk", "."]).ok();
    assert_eq!(
        sorted(out),
        [
            "./admin cap_net_admin,cap_net_raw=ep [risk=high:cap_net_admin moderate:cap_net_raw] [file-risk=setuid]",
            "./bind cap_net_bind_service=ep [file-risk=owner-not-root]",
            "./ping cap_net_raw=ep [risk=moderate:cap_net_raw] [file-risk=writable-by-others,writable-by-group]",
        ]
    );
    let out = captar().current_dir(dir.path()).args(["caps", "scan", "--risk", "--json", "ping"]).ok();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["file_risk"], serde_json::json!(["writable-by-others", "writable-by-group"]));
    captar().args(["caps", "scan", "--beyond", "kubernetes", "."]).code(2);
}

#[test]
fn scan_json_agrees_with_getcap() {
    let Some(dir) = scanned() else { return };
    let getcap = cmd("getcap").args(["-n", "-r", "."]).current_dir(dir.path()).ok();
    let out = captar().args(["caps", "scan", "--json", "--risk", "."]).current_dir(dir.path()).ok();
    let mut from_json = Vec::new();
    for line in out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        let path: Vec<u8> = match v["path_hex"].as_str() {
            Some(h) => (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect(),
            None => v["path"].as_str().unwrap().as_bytes().to_vec(),
        };
        let raw: Vec<u8> = {
            let h = v["raw"].as_str().unwrap();
            (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect()
        };
        assert_eq!(hex(&raw), hex(&read_raw(&dir.path().join(OsStr::from_bytes(&path)))));
        let caps = FileCaps::decode(&raw).unwrap();
        assert_eq!(v["text"], caps.text());
        assert_eq!(v["rootid"].as_u64(), caps.rootid.map(u64::from));
        assert!(v["risk"]["classes"].is_array());
        let mut line = path;
        line.extend_from_slice(format!(" {}{}\n", caps.text(), caps.rootid_suffix()).as_bytes());
        from_json.extend(line);
    }
    assert_eq!(from_json.escape_ascii().to_string(), getcap.stdout.escape_ascii().to_string());
}

// ---------------------------------------------------------------------------------------------
// procs

/// A process started for a test, killed when the test ends.
struct Proc(std::process::Child);

/// ETXTBSY (Linux): exec of a file still open for writing.
const ETXTBSY: i32 = 26;

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    /// Starts `capsh ARGS -- -c 'exec sleep 60'` and waits until the sleep runs.
    fn capsh(args: &[&str]) -> Proc {
        let child = std::process::Command::new("capsh")
            .args(args)
            .args(["--", "-c", "exec sleep 60"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("starting capsh");
        Proc(child).running(b"sleep", &format!("capsh {args:?}"))
    }

    /// Starts `sleep 60` from a copy of sleep named `name` in `dir`, and waits until it runs: the
    /// process's name (`comm`) is then `name`, whatever its bytes.
    fn sleep_named(dir: &Path, name: &[u8]) -> Proc {
        let exe = dir.join(OsStr::from_bytes(name));
        std::fs::copy(util::which("sleep").expect("sleep on PATH"), &exe).unwrap();
        // A process another test forks meanwhile inherits the copy's write descriptor for a
        // moment, and exec fails with ETXTBSY until it execs in turn: try again.
        let mut tries = 0;
        let child = loop {
            match std::process::Command::new(&exe).arg("60").stderr(std::process::Stdio::piped()).spawn() {
                Err(e) if e.raw_os_error() == Some(ETXTBSY) && tries < 100 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other.unwrap_or_else(|e| panic!("starting {}: {e}", exe.display())),
            }
        };
        Proc(child).running(name, &exe.display().to_string())
    }

    /// Waits until the process's name is `comm` (what `what` started runs).
    fn running(mut self, comm: &[u8], what: &str) -> Proc {
        let path = PathBuf::from(format!("/proc/{}/comm", self.0.id()));
        let want = [comm, b"\n"].concat();
        let start = Instant::now();
        while std::fs::read(&path).ok() != Some(want.clone()) {
            if let Ok(Some(status)) = self.0.try_wait() {
                let mut err = String::new();
                let _ = std::io::Read::read_to_string(self.0.stderr.as_mut().unwrap(), &mut err);
                panic!("{what} exited ({status}) before running {}: {err}", comm.escape_ascii());
            }
            assert!(start.elapsed() < Duration::from_secs(10), "{what} did not reach {}", comm.escape_ascii());
            std::thread::sleep(Duration::from_millis(20));
        }
        self
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

/// The table line of `pid` in a pscap-style listing.
fn line_of(listing: &str, pid: u32) -> Option<String> {
    listing.lines().find(|l| l.split_whitespace().nth(1) == Some(&pid.to_string())).map(str::to_string)
}

#[test]
fn procs_like_pscap() {
    if !util::require_root("start processes with chosen capabilities")
        || !util::require_tool("capsh")
        || !util::require_tool("pscap")
    {
        return;
    }
    let ambient = Proc::capsh(&[
        "--caps=cap_net_raw,cap_setuid,cap_setgid,cap_setpcap+eip",
        "--keep=1",
        "--user=nobody",
        "--addamb=cap_net_raw",
    ]);
    let dropped = Proc::capsh(&["--drop=cap_sys_admin,cap_bpf"]);
    // A uid without a name, over 2^31: pscap prints it with %d (found by review).
    let high_uid = Proc::capsh(&[
        "--caps=cap_net_raw,cap_setuid,cap_setgid,cap_setpcap+eip",
        "--keep=1",
        "--uid=3000000000",
        "--addamb=cap_net_raw",
    ]);
    let no_caps = Proc::capsh(&["--caps=cap_setuid,cap_setgid,cap_setpcap+eip", "--keep=1", "--user=nobody"]);

    let pscap = cmd("pscap").arg("-a").ok().stdout_text();
    let ours = captar().args(["caps", "procs"]).ok().stdout_text();
    assert_eq!(ours.lines().next(), pscap.lines().next(), "header");
    for pid in [ambient.pid(), dropped.pid(), high_uid.pid(), 1] {
        assert_eq!(
            line_of(&ours, pid),
            line_of(&pscap, pid),
            "pid {pid}\n--- captar ---\n{ours}\n--- pscap ---\n{pscap}"
        );
    }
    assert!(line_of(&ours, ambient.pid()).is_some_and(|l| l.ends_with("  net_raw @ +")), "{ours}");
    assert!(line_of(&ours, dropped.pid()).is_some_and(|l| !l.contains("sys_admin")), "{ours}");
    assert!(line_of(&ours, high_uid.pid()).is_some_and(|l| l.contains(" -1294967296  sleep ")), "{ours}");
    assert_eq!(line_of(&ours, no_caps.pid()), None, "no effective capabilities: not listed, as by pscap");
    assert_eq!(line_of(&pscap, no_caps.pid()), None);

    // -p lists a process whatever it holds.
    let out = captar().args(["caps", "procs", "-p"]).arg(no_caps.pid().to_string()).ok().stdout_text();
    let line = line_of(&out, no_caps.pid()).unwrap();
    assert!(line.contains(" nobody ") && line.ends_with("  none +"), "{out}");
    // Named twice, listed once (it was listed twice), in the order named.
    let (a, b) = (no_caps.pid().to_string(), ambient.pid().to_string());
    let out = captar().args(["caps", "procs", "-p", &b, "-p", &a, "-p", &b]).ok().stdout_text();
    let pids: Vec<&str> = out.lines().skip(1).map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert_eq!(pids, [b.as_str(), a.as_str()], "{out}");

    // --json: all five sets as /proc shows them.
    let me = std::process::id();
    for p in [&ambient, &dropped, &no_caps] {
        let out = captar().args(["caps", "procs", "--json", "-p"]).arg(p.pid().to_string()).ok();
        let v: serde_json::Value = serde_json::from_str(out.stdout_text().trim()).unwrap();
        let status = std::fs::read_to_string(format!("/proc/{}/status", p.pid())).unwrap();
        for (key, field) in [
            ("CapInh", "inheritable"),
            ("CapPrm", "permitted"),
            ("CapEff", "effective"),
            ("CapBnd", "bounding"),
            ("CapAmb", "ambient"),
        ] {
            let want = status.lines().find_map(|l| l.strip_prefix(&format!("{key}:"))).unwrap().trim();
            assert_eq!(v[field]["hex"], want, "{field} of {}", p.pid());
            let names = cmd("capsh").arg(format!("--decode={want}")).ok().stdout_text();
            let names: Vec<&str> =
                names.trim().split_once('=').unwrap().1.split(',').filter(|s| !s.is_empty()).collect();
            assert_eq!(v[field]["caps"], serde_json::json!(names), "{field} of {}", p.pid());
        }
        assert_eq!((v["pid"].as_u64(), v["ppid"].as_u64()), (Some(p.pid().into()), Some(me.into())));
        assert_eq!(v["command"], "sleep");
    }
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(
            captar().args(["caps", "procs", "--json", "-p"]).arg(ambient.pid().to_string()).ok().stdout_text().trim()
        )
        .unwrap()["user"],
        "nobody"
    );
    // A process that does not exist is an error.
    captar().args(["caps", "procs", "-p", "999999999"]).code(2);
}

/// A user known only to the name service (systemd's userdb drop-ins under /run/userdb, in a
/// mount namespace of the test's own; LDAP and SSSD are asked the same way) is named as pscap
/// names it, by getpwuid (found by review: /etc/passwd alone was read, and such a user was a
/// number, `"user": null` in JSON).
#[test]
fn procs_names_users_known_only_to_the_name_service() {
    if !util::require_root("mount a tmpfs on /run in a mount namespace")
        || !["unshare", "getent", "capsh", "pscap"].iter().all(|t| util::require_tool(t))
    {
        return;
    }
    let script = r#"
set -e
mount -t tmpfs tmpfs /run
mkdir /run/userdb && cd /run/userdb
echo '{"userName":"captest","uid":4242,"gid":4242,"disposition":"regular"}' > captest.user
ln -s captest.user 4242.user
getent passwd 4242 >/dev/null || { echo "no nss-systemd"; exit 3; }
! grep -q '^captest:' /etc/passwd
capsh --caps=cap_net_raw,cap_setuid,cap_setgid,cap_setpcap+eip --keep=1 --uid=4242 --addamb=cap_net_raw \
    -- -c 'exec sleep 30' &
pid=$!
for i in $(seq 200); do [ "$(cat /proc/$pid/comm)" = sleep ] && break; sleep 0.05; done
pscap -a | awk -v p=$pid '$2 == p'
"$C" caps procs -p $pid | awk -v p=$pid '$2 == p'
"$C" caps procs --json -p $pid
kill $pid
"#;
    let out = cmd("unshare").args(["-m", "sh", "-c", script]).env("C", env!("CARGO_BIN_EXE_captar")).run();
    if out.status.code() == Some(3) {
        util::skip("systemd's name service module (libnss-systemd, `systemd` in nsswitch.conf) is not set up");
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr_text());
    let text = out.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[1], lines[0], "captar's line, then pscap's");
    assert!(lines[1].contains(" captest "), "{text}");
    let v: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(v["user"], "captest", "{text}");
}

/// Under /proc mounted with hidepid=1 a user may list other users' processes but not read
/// them: one note says how many were not listed and what to do, exit 0 as pscap's (each was
/// an error, exit 2: 96 lines on this machine; found by review).
#[test]
fn procs_as_a_user_under_hidepid() {
    if !util::require_root("mount /proc in a mount namespace") || !util::require_tool("setpriv") {
        return;
    }
    let script = "mount -t proc -o hidepid=1 proc /proc && \
        exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$C\" caps procs";
    let out = cmd("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script])
        .env("C", env!("CARGO_BIN_EXE_captar"))
        .run();
    let err = out.stderr_text();
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(" processes not listed, as /proc refused to show them (mounted with hidepid=1"), "{err}");
    assert!(err.trim_end().ends_with("run as root to list them"), "{err}");
}

/// Capabilities are per thread: a thread that keeps one its main thread dropped is invisible to
/// pscap (which reads main threads) and to `caps procs`; `--threads` lists it, with the
/// process it belongs to, also when the main thread holds nothing (the process is then not
/// listed at all without it).
#[test]
fn procs_threads_show_what_main_threads_hide() {
    if !util::require_root("give a thread capabilities its main thread lacks") || !util::require_tool("python3") {
        return;
    }
    // A thread keeps cap_net_raw alone (capset changes the calling thread's sets); with
    // `drop-main`, the main thread then drops everything.
    let script = r#"
import ctypes, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
class Hdr(ctypes.Structure): _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
class Data(ctypes.Structure): _fields_ = [("e", ctypes.c_uint32), ("p", ctypes.c_uint32), ("i", ctypes.c_uint32)]
def setcaps(mask):
    d = (Data * 2)(); d[0].e = d[0].p = mask
    if libc.capset(ctypes.byref(Hdr(0x20080522, 0)), d) != 0: raise OSError(ctypes.get_errno(), "capset")
ready = threading.Event()
def worker():
    setcaps(1 << 13); ready.set(); time.sleep(60)
t = threading.Thread(target=worker, daemon=True); t.start(); ready.wait()
if sys.argv[1] == "drop-main": setcaps(0)
print(t.native_id, flush=True); time.sleep(60)
"#;
    let start = |how: &str| {
        let mut child = std::process::Command::new("python3")
            .args(["-c", script, how])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("starting python3");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
        let tid: u32 = line.trim().parse().unwrap_or_else(|_| panic!("thread id: {line:?}"));
        (Proc(child), tid)
    };
    let (keeps, keeps_tid) = start("keep-main");
    let (drops, drops_tid) = start("drop-main");
    let all = captar().args(["caps", "procs"]).ok().stdout_text();
    assert!(line_of(&all, keeps.pid()).is_some(), "{all}");
    assert_eq!(line_of(&all, drops.pid()), None, "{all}");
    assert_eq!(line_of(&all, drops_tid), None, "{all}");
    let threads = captar().args(["caps", "procs", "--threads"]).ok().stdout_text();
    for (p, tid) in [(&keeps, keeps_tid), (&drops, drops_tid)] {
        let line = line_of(&threads, tid).unwrap_or_else(|| panic!("thread {tid}: {threads}"));
        assert!(line.ends_with(&format!("  net_raw + [thread of {}]", p.pid())), "{line}");
    }
    assert!(line_of(&threads, keeps.pid()).is_some() && line_of(&threads, drops.pid()).is_none(), "{threads}");
    // Asked for by -p, the process is listed, then its thread; JSON names the process.
    let out = captar().args(["caps", "procs", "--threads", "-p"]).arg(drops.pid().to_string()).ok().stdout_text();
    assert!(line_of(&out, drops.pid()).is_some_and(|l| l.ends_with("  none +")), "{out}");
    let out = captar().args(["caps", "procs", "--threads", "--json", "-p"]).arg(drops.pid().to_string()).ok();
    let lines: Vec<serde_json::Value> = out.stdout_text().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout_text());
    assert_eq!((lines[0]["pid"].as_u64(), lines[0].get("thread_of")), (Some(drops.pid().into()), None));
    assert_eq!(lines[1]["pid"].as_u64(), Some(drops_tid.into()));
    assert_eq!(lines[1]["thread_of"].as_u64(), Some(drops.pid().into()));
    assert_eq!(lines[1]["effective"]["caps"], serde_json::json!(["cap_net_raw"]));
    // A thread asked for by its id is shown as that thread, not as a process with threads.
    let out = captar().args(["caps", "procs", "--threads", "-p"]).arg(drops_tid.to_string()).ok().stdout_text();
    assert_eq!(out.lines().count(), 2, "{out}");
    let line = line_of(&out, drops_tid).unwrap_or_else(|| panic!("{out}"));
    assert!(line.ends_with(&format!("  net_raw + [thread of {}]", drops.pid())), "{line}");
    // Named by -p and met again among its process's threads: once (it was printed twice;
    // found by audit).
    let out = captar()
        .args(["caps", "procs", "--threads", "-p"])
        .arg(drops.pid().to_string())
        .arg("-p")
        .arg(drops_tid.to_string())
        .ok()
        .stdout_text();
    assert_eq!(out.lines().count(), 3, "{out}");
}

/// Kernel threads are told by their flag (`PF_KTHREAD`), not by pscap's rule (pid 2 and its
/// children): in a PID namespace pid 2 is an ordinary process, and it and its children were
/// left out (found by audit). Run in a new PID namespace over the host's /proc, captar leaves
/// out itself, not the process that has its pid in the namespace (the host's pid 1).
#[test]
fn procs_in_a_pid_namespace() {
    if !util::require_root("make a PID namespace") || !util::require_tool("unshare") {
        return;
    }
    let c = env!("CARGO_BIN_EXE_captar");
    // sh is pid 1; the sleeps 2 and 3 (3 a child of 2), holding every capability as root's.
    let script = format!(
        "sh -c 'sleep 30; :' & i=0; until [ -e /proc/3 ] || [ $i -gt 1000000 ]; do i=$((i+1)); done; {c} caps procs; kill $!"
    );
    let out = cmd("unshare").args(["-p", "-f", "--mount-proc", "sh", "-c", &script]).ok().stdout_text();
    let pids: Vec<&str> = out.lines().skip(1).filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert_eq!(pids, ["1", "2", "3"], "{out}");
    // The host's /proc: its pid 1 is listed, captar (pid 1 in the namespace) is not. The shell
    // first says its host pid (/proc/self as the shell opens it), which captar then has.
    let script = format!("read -r pid rest < /proc/self/stat; echo $pid; exec {c} caps procs --json");
    let out = cmd("unshare").args(["-p", "-f", "sh", "-c", &script]).ok().stdout_text();
    let (me, listing) = out.split_once('\n').unwrap();
    let me: u64 = me.parse().unwrap();
    let lines: Vec<serde_json::Value> = listing.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.iter().any(|l| l["pid"] == 1), "{out}");
    assert!(me > 1 && !lines.iter().any(|l| l["pid"] == me), "{me}: {out}");
    assert!(!lines.iter().any(|l| l["command"] == "kthreadd"), "{out}");
}

/// Whether a process is in another user namespace is unknown to a user who may not read its
/// namespace: JSON's `other_userns` is then `null` and the table has no ` *`, where it said
/// `false`, so another user's namespaced root looked like the host's (found by audit).
#[test]
fn procs_other_userns_unknown_is_null() {
    if !util::require_root("start a process in a user namespace")
        || !["unshare", "setpriv"].iter().all(|t| util::require_tool(t))
    {
        return;
    }
    let child = std::process::Command::new("unshare").args(["-U", "-r", "sleep", "30"]).spawn().unwrap();
    let p = Proc(child);
    let pid = p.pid().to_string();
    // Until unshare has made the namespace and run sleep.
    for _ in 0..200 {
        if std::fs::read(format!("/proc/{pid}/comm")).is_ok_and(|c| c == b"sleep\n") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let json = |out: std::process::Output| -> serde_json::Value { serde_json::from_slice(&out.stdout).unwrap() };
    let root = captar().args(["caps", "procs", "--json", "-p", &pid]).ok();
    assert_eq!(json(root)["other_userns"], serde_json::json!(true));
    let nobody = cmd("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_captar")])
        .args(["caps", "procs", "--json", "-p", &pid])
        .ok();
    assert_eq!(json(nobody)["other_userns"], serde_json::Value::Null);
}

/// A process's name (`comm`) is any bytes it chose, UTF-8 or not: such a process is listed all
/// the same (it was left out, with "stream did not contain valid UTF-8" and exit 2), its name
/// quoted in the table as names are (pscap prints it raw: any user's process could send escape
/// sequences to root's terminal; found by audit), and exact in JSON's `command_hex`.
#[test]
fn procs_lists_a_name_that_is_not_utf8() {
    let dir = util::tempdir();
    let name = b"sl\xffep";
    let p = Proc::sleep_named(dir.path(), name);
    let pid = p.pid().to_string();
    let line_of = |listing: &[u8]| -> Option<Vec<u8>> {
        listing
            .split(|&b| b == b'\n')
            .find(|l| l.split(|&b| b == b' ').filter(|w| !w.is_empty()).nth(1) == Some(pid.as_bytes()))
            .map(<[u8]>::to_vec)
    };
    let out = captar().args(["caps", "procs", "-p", &pid]).ok();
    let line = line_of(&out.stdout).expect("the process's line");
    assert!(line.windows(10).any(|w| w == b" sl\\377ep "), "{}", line.escape_ascii());
    let out = captar().args(["caps", "procs", "--json", "-p", &pid]).ok();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((&v["command"], &v["command_hex"]), (&"sl\u{fffd}ep".into(), &"736cff6570".into()));
    // As root the process holds every capability, so both list it without -p: the same line
    // but for the name, in a column as wide.
    if util::require_root("list a process by its capabilities") && util::require_tool("pscap") {
        let pscap = cmd("pscap").arg("-a").ok();
        let ours = captar().args(["caps", "procs"]).ok();
        assert_eq!(ours.stderr_text(), "");
        let (ours, pscap) = (line_of(&ours.stdout), line_of(&pscap.stdout));
        assert!(ours.is_some());
        let pscap = pscap.map(|l| l.escape_ascii().to_string().replace("sl\\xffep   ", "sl\\\\377ep"));
        assert_eq!(ours.map(|l| l.escape_ascii().to_string()), pscap);
    }
}

/// An empty /proc (procfs not mounted, as in a chroot made by hand) is an error saying so:
/// captar is a process itself (found by review: nothing listed, exit 0, as pscap does).
#[test]
fn procs_without_procfs_says_so() {
    if !util::require_root("mount over /proc") || !util::require_tool("unshare") {
        return;
    }
    // Also for a process named by -p (found by audit: "/proc/1: no such process").
    for pids in ["", " -p 1"] {
        let run = format!("mount -t tmpfs none /proc && exec {} caps procs{pids}", env!("CARGO_BIN_EXE_captar"));
        let out = cmd("unshare").args(["-m", "sh", "-c", &run]).code(2);
        assert_eq!(out.stdout_text(), "");
        assert_eq!(
            out.stderr_text(),
            "captar: /proc: lists no process: procfs is not mounted there; mount it (mount -t proc proc /proc) and run again\n"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// standard output

/// Every command that prints treats a reader that went away as the end of its work (exit 0,
/// nothing on stderr), and a full disk under standard output as one error line (exit 2), never
/// a panic: the pipe's read end is closed before captar starts, so the write always fails.
#[test]
fn closed_pipe_is_the_end_and_full_disk_an_error() {
    let tmp = util::tempdir();
    std::fs::write(tmp.path().join("f"), b"f\n").unwrap();
    let archive = tmp.path().join("a.tar");
    captar().args(["create", "-f"]).arg(&archive).arg("-C").arg(tmp.path()).arg("f").ok();
    let capped = util::require_root("setcap") && util::require_tool("setcap");
    if capped {
        cmd("setcap").arg("cap_net_raw+ep").arg(tmp.path().join("f")).ok();
    }
    let mut lines: Vec<Vec<&OsStr>> = vec![
        vec!["caps".as_ref(), "scan".as_ref(), tmp.path().as_os_str()],
        vec!["caps".as_ref(), "decode".as_ref(), "0x3000".as_ref()],
        vec!["caps".as_ref(), "procs".as_ref()],
        vec!["completions".as_ref(), "bash".as_ref()],
        vec!["man".as_ref()],
        vec!["--help".as_ref()],
        vec!["list".as_ref(), "-v".as_ref(), "-f".as_ref(), archive.as_os_str()],
    ];
    if !capped {
        lines.remove(0); // nothing for scan to print
    }
    let run = |args: &[&OsStr], stdout: std::process::Stdio| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_captar"));
        command.args(args).stdout(stdout).stderr(std::process::Stdio::piped()).output().unwrap()
    };
    for args in lines {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = run(&args, writer.into());
        assert_eq!((out.status.code(), out.stderr.as_slice()), (Some(0), &b""[..]), "closed pipe: {args:?}");
        let full = std::fs::File::options().write(true).open("/dev/full").unwrap();
        let out = run(&args, full.into());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "/dev/full: {args:?}: {err}");
        assert!(err.lines().count() == 1 && err.contains("No space left"), "/dev/full: {args:?}: {err}");
    }
}

/// /proc holds no xattr, so no capability: `caps scan` does not walk it (as root it met what
/// the kernel hides even from root, exit 2, and `caps scan /` took twice getcap's time), and
/// says nothing of it, as `getcap -r` finds nothing there.
#[test]
fn scan_passes_over_proc() {
    if !util::require_tool("getcap") {
        return;
    }
    let out = captar().args(["caps", "scan", "/proc"]).ok();
    assert_eq!((out.stdout_text(), out.stderr_text()), (String::new(), String::new()));
    let getcap = util::cmd("getcap").args(["-r", "/proc/self"]).run();
    assert_eq!(String::from_utf8_lossy(&getcap.stdout), "", "getcap finds nothing there either");
}

/// Root without CAP_DAC_OVERRIDE (a restricted service, a container) refused a directory's
/// mode is told what it lacks, not "permission denied even to root" (found by review).
#[test]
fn root_without_dac_override_is_told_so() {
    if !util::require_root("drop capabilities with capsh") || !util::require_tool("capsh") {
        return;
    }
    let tmp = util::tempdir();
    let locked = tmp.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    let scan = format!("exec {} caps scan {}", env!("CARGO_BIN_EXE_captar"), tmp.path().display());
    let dropped = cmd("capsh").args(["--drop=cap_dac_override,cap_dac_read_search", "--", "-c", &scan]).code(2);
    let err = dropped.stderr_text();
    assert!(err.ends_with(": read directory: Permission denied (permission denied: this root process lacks CAP_DAC_OVERRIDE, as in a restricted service or container; run it with that capability, or as a user allowed to access the file)\n"), "{err}");
    assert!(err.contains("/locked: read directory"), "{err}");
    // With it, root reads the directory.
    captar().args(["caps", "scan"]).arg(tmp.path()).ok();
}
