//! Listed-incremental dumps (`-g SNAPSHOT`) beside GNU tar: what a level-1 dump holds, chains
//! of dumps extracted in order by either tool to the last tree (deletions included, capability
//! changes included), each tool continuing the other's snapshot, directory renames recorded
//! and followed (GNU tar's and captar's), and a purge that never follows a symlink.

mod util;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use util::{OutputExt, captar, cmd};

/// Each path under `root` (relative) with its type and content or target, and its capability.
fn tree(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let md = fs::symlink_metadata(&p).unwrap();
            let what = if md.is_dir() {
                stack.push(p.clone());
                "dir".to_string()
            } else if md.file_type().is_symlink() {
                format!("-> {}", fs::read_link(&p).unwrap().display())
            } else {
                format!("file {:?}", String::from_utf8_lossy(&fs::read(&p).unwrap()))
            };
            out.insert(p.strip_prefix(root).unwrap().to_path_buf(), what);
        }
    }
    for (p, caps) in util::getcap_n_r(root) {
        let key = p.strip_prefix(root).map(Path::to_path_buf).unwrap_or(p);
        out.entry(key).or_default().push_str(&format!(" caps {caps}"));
    }
    out
}

fn names(archive: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        captar().args(["list", "-f"]).arg(archive).ok().stdout_text().lines().map(String::from).collect();
    names.sort();
    names
}

/// Who makes a dump: captar (`create -g`), or GNU tar (`-cg`, with the capability xattr).
#[derive(Clone, Copy)]
enum By {
    Captar,
    Gnu,
}

/// A listed-incremental dump of `path` (in `dir`) against `snapshot`, into `archive`; `extra`
/// options first.
fn make_dump(by: By, snapshot: &Path, archive: &Path, dir: &Path, path: &str, extra: &[&str]) {
    // captar dates a dump from the kernel's coarse clock, a tick (4-10 ms) behind: a file
    // changed within that tick before the dump would be archived again by the next one
    // (harmless, but the tests compare exact member lists).
    std::thread::sleep(std::time::Duration::from_millis(20));
    let tool = match by {
        By::Captar => captar().arg("create"),
        By::Gnu => cmd("tar").args(["-c", "--xattrs", "--xattrs-include=security.capability"]),
    };
    tool.args(extra).arg("-g").arg(snapshot).arg("-f").arg(archive).arg("-C").arg(dir).arg(path).ok();
}

fn setcap(caps: &str, file: &Path) {
    cmd("setcap").arg(caps).arg(file).ok();
}

/// Extracts `archives` in order into a new `dst` with captar (`-G`) or GNU tar (`-xG` with the
/// capability xattr).
fn restore(dst: &Path, archives: &[PathBuf], gnu: bool) {
    fs::create_dir_all(dst).unwrap();
    for a in archives {
        if gnu {
            cmd("tar")
                .args(["--xattrs", "--xattrs-include=security.capability", "-xGf"])
                .arg(a)
                .arg("-C")
                .arg(dst)
                .ok();
        } else {
            captar().args(["extract", "-G", "-f"]).arg(a).arg("-C").arg(dst).ok();
        }
    }
}

#[test]
fn a_chain_of_dumps_restores_the_last_tree_with_either_tool() {
    if !util::require_root("set capabilities") || !["tar", "setcap", "getcap"].iter().all(|t| util::require_tool(t)) {
        return;
    }
    let tmp = util::tempdir();
    let work = tmp.path();
    let src = work.join("src");
    for d in ["d/sub", "e", "gone", "mv"] {
        fs::create_dir_all(src.join(d)).unwrap();
    }
    for (f, data) in [
        ("a", "a"),
        ("keep", "keep"),
        ("d/b", "b"),
        ("d/sub/c", "c"),
        ("e/ping", "ping"),
        ("gone/x", "x"),
        ("mv/m1", "m1"),
    ] {
        fs::write(src.join(f), data).unwrap();
    }
    setcap("cap_net_raw+ep", &src.join("e/ping"));
    let snap = work.join("snap");
    let dump = |name: &str| {
        let archive = work.join(name);
        make_dump(By::Captar, &snap, &archive, work, "src", &[]);
        archive
    };
    // GNU tar dumps the same tree beside captar, with its own snapshot.
    let gsnap = work.join("gsnap");
    let gnu_dump = |name: &str, snapshot: &Path| {
        let archive = work.join(name);
        make_dump(By::Gnu, snapshot, &archive, work, "src", &[]);
        archive
    };
    let l0 = dump("l0.tar");
    let g0 = gnu_dump("g0.tar", &gsnap);
    assert_eq!(names(&l0), names(&g0), "level 0 holds everything, as GNU tar's");

    // Between the dumps: a file removed, one added, one changed, a capability changed (the
    // ctime only), a directory removed, one added, one renamed, a symlink added.
    fs::remove_file(src.join("a")).unwrap();
    fs::write(src.join("d/new"), "new").unwrap();
    fs::write(src.join("keep"), "kept, changed").unwrap();
    setcap("cap_net_admin+ep", &src.join("e/ping"));
    fs::remove_dir_all(src.join("gone")).unwrap();
    fs::create_dir(src.join("f")).unwrap();
    fs::write(src.join("f/f1"), "f1").unwrap();
    fs::rename(src.join("mv"), src.join("moved")).unwrap();
    symlink("../keep", src.join("d/link")).unwrap();
    let l1 = dump("l1.tar");
    let g1 = gnu_dump("g1.tar", &gsnap);
    let expected = [
        "src/",
        "src/d/",
        "src/d/link",
        "src/d/new",
        "src/d/sub/",
        "src/e/",
        "src/e/ping",
        "src/f/",
        "src/f/f1",
        "src/keep",
        "src/moved/",
    ];
    // The renamed directory's file is not archived again: both tools record the rename.
    assert_eq!(names(&l1), expected, "level 1 holds the directories and what changed");
    assert_eq!(names(&g1), expected, "GNU tar's level 1 holds the same");

    let want = tree(&src);
    assert!(want.get(Path::new("e/ping")).is_some_and(|v| v.contains("cap_net_admin")), "{want:?}");
    // In the way of the restore: what level 1 no longer lists, including a symlink to a file
    // outside, which is removed, not followed.
    let out1 = work.join("out1");
    restore(&out1, std::slice::from_ref(&l0), false);
    let outside = work.join("outside");
    fs::write(&outside, "outside").unwrap();
    symlink(&outside, out1.join("src/d/stray-link")).unwrap();
    fs::create_dir(out1.join("src/stray-dir")).unwrap();
    fs::write(out1.join("src/stray-dir/s"), "s").unwrap();
    let out = captar().args(["extract", "-v", "-G", "-f"]).arg(&l1).arg("-C").arg(&out1).ok().stdout_text();
    assert!(out.contains("captar: Deleting 'src/a'") && out.contains("captar: Deleting 'src/gone'"), "{out}");
    assert_eq!(tree(&out1.join("src")), want, "captar's chain, extracted by captar");
    assert_eq!(fs::read(&outside).unwrap(), b"outside");
    for (dst, archives, gnu) in [("out2", [&l0, &l1], true), ("out3", [&g0, &g1], false), ("out4", [&g0, &g1], true)] {
        let dst = work.join(dst);
        restore(&dst, &archives.map(|a| a.to_path_buf()), gnu);
        assert_eq!(tree(&dst.join("src")), want, "{dst:?}: the chain {archives:?}, extracted by GNU tar: {gnu}");
    }

    // GNU tar continues captar's chain, and captar GNU tar's.
    fs::remove_file(src.join("d/new")).unwrap();
    fs::write(src.join("z"), "z").unwrap();
    let l2 = gnu_dump("l2.tar", &snap);
    assert_eq!(names(&l2), ["src/", "src/d/", "src/d/sub/", "src/e/", "src/f/", "src/moved/", "src/z"]);
    fs::write(src.join("y"), "y").unwrap();
    let l3 = dump("l3.tar");
    assert_eq!(names(&l3), ["src/", "src/d/", "src/d/sub/", "src/e/", "src/f/", "src/moved/", "src/y"]);
    let want = tree(&src);
    for (dst, gnu) in [("out5", false), ("out6", true)] {
        let dst = work.join(dst);
        restore(&dst, &[l0.clone(), l1.clone(), l2.clone(), l3.clone()], gnu);
        assert_eq!(tree(&dst.join("src")), want, "{dst:?}: the mixed chain, extracted by GNU tar: {gnu}");
    }
    // --dump-level=0 (GNU tar's --level=0, in tar's command line too): everything again.
    let full = work.join("full.tar");
    captar().args(["-c", "-g"]).arg(&snap).arg("--level=0").arg("-f").arg(&full).arg("-C").arg(work).arg("src").ok();
    assert!(names(&full).contains(&"src/d/b".to_string()), "{:?}", names(&full));
}

/// GNU tar's rename records (a directory renamed between dumps, and two swapped through a
/// temporary name) are followed when extracting.
#[test]
fn gnu_tar_renames_are_followed() {
    if !util::require_tool("tar") {
        return;
    }
    let tmp = util::tempdir();
    let work = tmp.path();
    let src = work.join("src");
    for d in ["r/old", "s/x", "s/y"] {
        fs::create_dir_all(src.join(d)).unwrap();
        fs::write(src.join(d).join("file"), d).unwrap();
    }
    let snap = work.join("snap");
    let dump = |name: &str| {
        let archive = work.join(name);
        make_dump(By::Gnu, &snap, &archive, work, "src", &[]);
        archive
    };
    let g0 = dump("g0.tar");
    fs::rename(src.join("r/old"), src.join("r/new")).unwrap();
    fs::rename(src.join("s/x"), src.join("s/t")).unwrap();
    fs::rename(src.join("s/y"), src.join("s/x")).unwrap();
    fs::rename(src.join("s/t"), src.join("s/y")).unwrap();
    let g1 = dump("g1.tar");
    // The renamed directories' files are not in level 1: only the renames restore them.
    assert!(!names(&g1).iter().any(|n| n.ends_with("/file")), "{:?}", names(&g1));
    let want = tree(&src);
    let dst = work.join("out");
    restore(&dst, &[g0.clone(), g1.clone()], false);
    assert_eq!(tree(&dst.join("src")), want);
    // A rename onto a directory that is not empty is that member's error, in the system's
    // words without Rust's "(os error 39)" (found by review).
    let dst = work.join("blocked");
    restore(&dst, &[g0], false);
    fs::create_dir_all(dst.join("src/r/new/kept")).unwrap();
    let err = captar().args(["extract", "-G", "-f"]).arg(&g1).arg("-C").arg(&dst).code(2).stderr_text();
    assert!(err.contains("cannot rename src/r/old to src/r/new: Directory not empty; nothing removed"), "{err}");
    assert!(!err.contains("os error"), "{err}");
}

/// A directory renamed within its directory since the last dump is recorded as a rename (its
/// unchanged files not archived again), also one beneath a renamed one and one whose old name
/// is taken by a new directory; one that extraction could not rename back (a swap, a rename onto
/// a name the last dump had, a move to another directory) is archived whole. Either tool
/// extracts the chain to the tree, capabilities included, and continues it.
#[test]
fn directory_renames_are_recorded() {
    if !util::require_root("set capabilities") || !["tar", "setcap", "getcap"].iter().all(|t| util::require_tool(t)) {
        return;
    }
    let tmp = util::tempdir();
    let work = tmp.path();
    let src = work.join("src");
    for d in ["top/a/s", "top/k", "top/p", "top/q", "top/c", "top/d", "top/e", "top/f"] {
        fs::create_dir_all(src.join(d)).unwrap();
        fs::write(src.join(d).join("file"), d).unwrap();
    }
    fs::copy("/bin/true", src.join("top/a/s/ping")).unwrap();
    setcap("cap_net_raw+ep", &src.join("top/a/s/ping"));
    let snap = work.join("snap");
    let dump = |name: &str, by: By| {
        let archive = work.join(name);
        make_dump(by, &snap, &archive, &src, "top", &[]);
        archive
    };
    let l0 = dump("l0.tar", By::Captar);
    let mv = |from: &str, to: &str| fs::rename(src.join(from), src.join(to)).unwrap();
    mv("top/a", "top/b"); // renamed,
    mv("top/b/s", "top/b/s2"); // and renamed within the renamed one,
    fs::write(src.join("top/b/s2/new"), "new").unwrap(); // which gains a file;
    mv("top/f", "top/g"); // renamed, a new directory at its old name;
    fs::create_dir(src.join("top/f")).unwrap();
    mv("top/p", "top/t"); // swapped;
    mv("top/q", "top/p");
    mv("top/t", "top/q");
    fs::remove_dir_all(src.join("top/c")).unwrap(); // onto a name the last dump had;
    mv("top/d", "top/c");
    mv("top/e", "top/k/e"); // moved to another directory.
    let l1 = work.join("l1.tar");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = captar().arg("create").arg("-g").arg(&snap).arg("-f").arg(&l1).arg("-C").arg(&src).arg("top").ok();
    let notes = out.stderr_text();
    assert!(
        notes.contains("top/b: directory renamed from 'top/a'")
            && notes.contains("top/b/s2: directory renamed from 'top/b/s'")
            && notes.contains("top/g: directory renamed from 'top/f'")
            && notes.lines().count() == 3,
        "{notes}"
    );
    let dirs = ["top/", "top/b/", "top/b/s2/", "top/c/", "top/f/", "top/g/", "top/k/", "top/k/e/", "top/p/", "top/q/"];
    let whole = ["top/c/file", "top/k/e/file", "top/p/file", "top/q/file"];
    let mut expected: Vec<&str> = dirs.iter().chain(&whole).copied().chain(["top/b/s2/new"]).collect();
    expected.sort();
    assert_eq!(names(&l1), expected, "renamed directories' files are not archived again");
    let listing = cmd("tar").args(["--list", "--incremental", "-vv", "-f"]).arg(&l1).ok().stdout_text();
    for records in ["\nR top/a\nT top/b\n", "\nR top/f\nT top/g\n", "\nR top/b/s\nT top/b/s2\n"] {
        assert!(listing.contains(records), "{records:?} in {listing}");
    }
    let want = tree(&src.join("top"));
    assert!(want.get(Path::new("b/s2/ping")).is_some_and(|v| v.contains("cap_net_raw")), "{want:?}");
    for gnu in [false, true] {
        let dst = work.join(format!("out-{gnu}"));
        restore(&dst, &[l0.clone(), l1.clone()], gnu);
        assert_eq!(tree(&dst.join("top")), want, "extracted by GNU tar: {gnu}");
    }

    // GNU tar continues the chain from captar's snapshot, then captar from GNU tar's, each
    // recording a rename; the four dumps extract to the tree.
    mv("top/g", "top/h");
    let l2 = dump("l2.tar", By::Gnu);
    let mut renamed: Vec<String> = dirs.iter().map(|d| d.replace("top/g/", "top/h/")).collect();
    renamed.sort();
    assert_eq!(names(&l2), renamed, "GNU tar's dump: the directories only");
    mv("top/h", "top/i");
    let l3 = work.join("l3.tar");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let quiet = captar().args(["create", "--warning=no-rename-directory", "-g"]).arg(&snap).arg("-f").arg(&l3);
    assert_eq!(quiet.arg("-C").arg(&src).arg("top").ok().stderr_text(), "", "the note silenced");
    assert!(!names(&l3).iter().any(|n| n.ends_with("/file")), "{:?}", names(&l3));
    let want = tree(&src.join("top"));
    for gnu in [false, true] {
        let dst = work.join(format!("chain-{gnu}"));
        restore(&dst, &[l0.clone(), l1.clone(), l2.clone(), l3.clone()], gnu);
        assert_eq!(tree(&dst.join("top")), want, "the chain extracted by GNU tar: {gnu}");
    }
}

/// The review of directory renames: a subdirectory of a renamed directory moved back under a
/// new directory at the old name is not the old one (its files were marked unchanged, and
/// extraction had carried them away with the renamed directory: lost); a file an exclusion left
/// out (`N`) is archived once its directory's new path no longer matches the pattern (it was
/// never archived); `-G` with `--strip-components` or `--one-top-level` is refused (the renames
/// name directories as archived: the renamed directory's files would be purged).
#[test]
fn renames_edges_from_review() {
    if !util::require_tool("tar") {
        return;
    }
    let tmp = util::tempdir();
    let work = tmp.path();
    let src = work.join("src");
    fs::create_dir_all(src.join("a/s")).unwrap();
    fs::create_dir_all(src.join("e")).unwrap();
    for (f, data) in [("a/s/keep1", "one"), ("a/s/keep2", "two"), ("a/f", "f"), ("e/secret", "s"), ("e/g", "g")] {
        fs::write(src.join(f), data).unwrap();
    }
    let snap = work.join("snap");
    let dump = |name: &str| {
        let archive = work.join(name);
        make_dump(By::Captar, &snap, &archive, &src, ".", &["--exclude=./e/secret"]);
        archive
    };
    let l0 = dump("l0.tar");
    assert!(!names(&l0).contains(&"./e/secret".to_string()));
    let mv = |from: &str, to: &str| fs::rename(src.join(from), src.join(to)).unwrap();
    mv("a", "b");
    fs::create_dir(src.join("a")).unwrap();
    mv("b/s", "a/s");
    mv("e", "e2");
    let l1 = dump("l1.tar");
    let got = names(&l1);
    for want in ["./a/s/keep1", "./a/s/keep2", "./e2/secret"] {
        assert!(got.contains(&want.to_string()), "{want} in {got:?}");
    }
    assert!(!got.contains(&"./e2/g".to_string()), "{got:?}");
    let want = tree(&src);
    for gnu in [false, true] {
        let dst = work.join(format!("out-{gnu}"));
        restore(&dst, &[l0.clone(), l1.clone()], gnu);
        assert_eq!(tree(&dst), want, "extracted by GNU tar: {gnu}");
    }
    for opt in ["--strip-components=1", "--one-top-level=x"] {
        let err = captar().args(["extract", "-G", opt, "-f"]).arg(&l1).current_dir(work).code(2).stderr_text();
        assert!(err.contains("-G with --") && err.lines().count() == 1, "{err}");
    }
}

/// A snapshot that is not one is refused with its name; a dump that fails leaves the snapshot
/// as it was; a new snapshot gets 0666 less the umask, a replaced one keeps its mode.
#[test]
fn snapshots_are_replaced_only_by_complete_dumps() {
    let tmp = util::tempdir();
    let work = tmp.path();
    fs::create_dir(work.join("src")).unwrap();
    fs::write(work.join("src/f"), "f").unwrap();
    let snap = work.join("snap");
    fs::write(&snap, "not a snapshot\n").unwrap();
    let create = |archive: &Path| {
        captar().args(["create", "-g"]).arg(&snap).arg("-f").arg(archive).arg("-C").arg(work).arg("src").run()
    };
    let out = create(&work.join("a.tar"));
    assert_eq!(out.status.code(), Some(2));
    let err = out.stderr_text();
    assert!(
        err.contains(&snap.display().to_string()) && err.contains("not a snapshot") && err.lines().count() == 1,
        "{err}"
    );
    assert!(!work.join("a.tar").exists());
    fs::remove_file(&snap).unwrap();
    create(&work.join("a.tar"));
    let first = fs::read(&snap).unwrap();
    assert!(first.starts_with(b"GNU tar-"));
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&snap, fs::Permissions::from_mode(0o600)).unwrap();
    // The archive cannot be written: the snapshot stays.
    let out = create(&work.join("no/such/dir/b.tar"));
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr_text());
    assert_eq!(fs::read(&snap).unwrap(), first);
    create(&work.join("b.tar"));
    assert_eq!(fs::metadata(&snap).unwrap().permissions().mode() & 0o777, 0o600);
    assert_ne!(fs::read(&snap).unwrap(), first);
}

/// What the review of the first version found: a directory not looked into (here: tagged) is
/// taken whole by the next dump, so a file changed meanwhile is not missed; what the walk
/// leaves out is listed `N` (GNU tar's listing); `s//` is the snapshot's `s`; a file that
/// became a directory extracts with -G as without; the archive being read is not purged;
/// `--transform` is refused with -g and -G.
#[test]
fn incremental_edges() {
    if !util::require_tool("tar") {
        return;
    }
    let tmp = util::tempdir();
    let work = tmp.path();
    let s = work.join("s");
    fs::create_dir_all(s.join("d")).unwrap();
    fs::create_dir_all(s.join("t")).unwrap();
    fs::write(s.join("t/TAG"), "").unwrap();
    fs::write(s.join("d/a"), "v0").unwrap();
    let snap = work.join("snap");
    let dump = |name: &str, path: &str| {
        let archive = work.join(name);
        make_dump(By::Captar, &snap, &archive, work, path, &["--exclude-tag-all=TAG"]);
        archive
    };
    let l0 = dump("l0.tar", "s//");
    let listing = cmd("tar").args(["--list", "--incremental", "-vv", "-f"]).arg(&l0).ok().stdout_text();
    assert!(listing.contains("\nD d\nN t\n"), "{listing}");
    assert!(fs::read(&snap).unwrap().windows(3).any(|w| w == b"\0s\0"), "the snapshot names s//'s directory s");
    fs::write(s.join("d/a"), "v1").unwrap();
    fs::write(s.join("d/TAG"), "").unwrap();
    let l1 = dump("l1.tar", "s");
    assert_eq!(names(&l1), ["s/"]);
    fs::remove_file(s.join("d/TAG")).unwrap();
    let l2 = dump("l2.tar", "s");
    assert_eq!(names(&l2), ["s/", "s/d/", "s/d/a"], "the file changed while its directory was left out");

    // A file that became a directory.
    let snap2 = work.join("snap2");
    fs::write(work.join("x"), "a").unwrap();
    let dump2 = |name: &str| {
        let archive = work.join(name);
        make_dump(By::Captar, &snap2, &archive, work, "x", &[]);
        archive
    };
    let x0 = dump2("x0.tar");
    fs::remove_file(work.join("x")).unwrap();
    fs::create_dir(work.join("x")).unwrap();
    fs::write(work.join("x/in"), "b").unwrap();
    let x1 = dump2("x1.tar");
    let r = work.join("r");
    restore(&r, &[x0, x1.clone()], false);
    assert_eq!(fs::read(r.join("x/in")).unwrap(), b"b");

    // The archive being read, inside the directory a listing purges, stays.
    let inside = r.join("x/copy.tar");
    fs::copy(&x1, &inside).unwrap();
    let out = captar().args(["extract", "-G", "-f"]).arg(&inside).arg("-C").arg(&r).ok();
    assert!(inside.exists() && out.stderr_text().contains("it is the archive being read"), "{}", out.stderr_text());

    for (line, what) in [
        (vec!["create", "-g", "sn", "--transform", "s/a/b/", "-f", "t.tar", "s"], "-g with --transform"),
        (vec!["extract", "-G", "--transform", "s/a/b/", "-f", "t.tar"], "-G with --transform"),
    ] {
        let err = captar().args(line).current_dir(work).code(2).stderr_text();
        assert!(err.contains(what) && err.lines().count() == 1, "{err}");
    }
}

/// The second review's findings: `-g` on a device (GNU tar's `-g /dev/null`) writes into it,
/// never replaces it; a new snapshot gets the umask; the dump's start is never later than a
/// change stamped right after it (the kernel's coarse clock); a listing removes nothing through
/// a directory kept as a symlink; a directory renamed by a listing keeps the metadata its
/// member set earlier in the same run; `append -g` is refused.
#[test]
fn incremental_edges_second_review() {
    if !util::require_root("make a device node and chown") || !util::require_tool("tar") {
        return;
    }
    let tmp = util::tempdir();
    let work = tmp.path();
    let src = work.join("src");
    fs::create_dir_all(src.join("d")).unwrap();
    fs::write(src.join("d/f"), "f").unwrap();
    let bin = env!("CARGO_BIN_EXE_captar");
    let dev = work.join("nulldev");
    cmd("mknod").arg(&dev).args(["c", "1", "3"]).ok();
    captar().args(["create", "-g"]).arg(&dev).arg("-f").arg(work.join("a.tar")).arg("-C").arg(work).arg("src").ok();
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    assert!(fs::symlink_metadata(&dev).unwrap().file_type().is_char_device());
    let snap = work.join("snap");
    cmd("sh").args(["-c", "umask 027 && exec \"$0\" create -g snap -f b.tar src", bin]).current_dir(work).ok();
    assert_eq!(fs::metadata(&snap).unwrap().permissions().mode() & 0o777, 0o640);

    // A change right after the dump (50 times): its ctime is never before the dump's start.
    for _ in 0..50 {
        captar()
            .args(["create", "-g"])
            .arg(&snap)
            .arg("-f")
            .arg(work.join("c.tar"))
            .arg("-C")
            .arg(work)
            .arg("src")
            .ok();
        fs::write(src.join("d/f"), "changed").unwrap();
        let bytes = fs::read(&snap).unwrap();
        let mut fields = bytes[bytes.iter().position(|&b| b == b'\n').unwrap() + 1..].split(|&b| b == 0);
        let mut num = || std::str::from_utf8(fields.next().unwrap()).unwrap().parse::<i64>().unwrap();
        let start = (num(), num());
        let st = rustix::fs::stat(src.join("d/f")).unwrap();
        #[allow(clippy::unnecessary_cast)]
        let ctime = (st.st_ctime as i64, st.st_ctime_nsec as i64);
        assert!(ctime >= start, "changed at {ctime:?}, before the dump's start {start:?}");
    }

    // --keep-directory-symlink: `src` is a symlink to `real`; its listing lacks `mine`.
    let dst = work.join("dst");
    fs::create_dir_all(dst.join("real")).unwrap();
    fs::write(dst.join("real/mine"), "mine").unwrap();
    symlink("real", dst.join("src")).unwrap();
    captar().args(["extract", "-G", "--keep-directory-symlink", "-f"]).arg(work.join("c.tar")).arg("-C").arg(&dst).ok();
    assert_eq!(fs::read(dst.join("real/mine")).unwrap(), b"mine");

    // Two directories swapped by GNU tar's renames, in one run over two dumps (`-i`): the
    // mode and owner level 0 gave them stay.
    let g = work.join("g");
    for d in ["src/a/s", "src/b/s"] {
        fs::create_dir_all(g.join(d)).unwrap();
        fs::set_permissions(g.join(d), fs::Permissions::from_mode(0o751)).unwrap();
    }
    std::os::unix::fs::chown(g.join("src/a/s"), Some(1000), None).unwrap();
    let gsnap = work.join("gsnap");
    let gdump = |name: &str| {
        make_dump(By::Gnu, &gsnap, &work.join(name), &g, "src", &[]);
        fs::read(work.join(name)).unwrap()
    };
    let mut both = gdump("g0.tar");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    fs::rename(g.join("src/b"), g.join("src/c")).unwrap();
    fs::rename(g.join("src/a"), g.join("src/b")).unwrap();
    both.extend(gdump("g1.tar"));
    fs::write(work.join("both.tar"), both).unwrap();
    let out = work.join("out");
    fs::create_dir(&out).unwrap();
    captar().args(["extract", "-G", "-i", "-f"]).arg(work.join("both.tar")).arg("-C").arg(&out).ok();
    let md = fs::metadata(out.join("src/b/s")).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!((md.permissions().mode() & 0o777, md.uid()), (0o751, 1000));

    let err = captar()
        .args(["append", "-g"])
        .arg(&snap)
        .arg("-f")
        .arg(work.join("c.tar"))
        .arg("-C")
        .arg(work)
        .arg("src")
        .code(2)
        .stderr_text();
    assert!(err.contains("an archive of its own"), "{err}");
}

/// Options a dump would misread (found by review): paths from two `-C` directories, which a
/// snapshot would name alike (the second's listing, extracted with -G, removed the first's
/// files; GNU tar allows one -C with -g), and `--level` beside -g, GNU tar's dump level but
/// captar's compression level (`--level=0 -f x.tar.xz` went on from the snapshot): both
/// refused, with the spellings that say which is meant. Nothing is written. Two spellings of
/// one directory (`-C a x -C ../a y`) are one directory.
#[test]
fn options_a_dump_would_misread_are_refused() {
    let tmp = util::tempdir();
    let d = tmp.path();
    for dir in ["a", "b"] {
        std::fs::create_dir(d.join(dir)).unwrap();
        std::fs::write(d.join(dir).join(format!("f{dir}")), dir).unwrap();
    }
    let err = captar()
        .args(["create", "-g", "s.snar", "-f", "x.tar", "-C", "a", ".", "-C", "../b", "."])
        .current_dir(d)
        .code(2);
    assert!(err.stderr_text().contains("-g with paths from more than one -C directory"), "{}", err.stderr_text());
    let err =
        captar().args(["create", "-g", "s.snar", "--level=0", "-f", "x.tar.xz", "-C", "a", "."]).current_dir(d).code(2);
    assert!(
        err.stderr_text().contains("write --dump-level=0 for the dump, or --compression-level=0"),
        "{}",
        err.stderr_text()
    );
    assert!(!d.join("s.snar").exists() && !d.join("x.tar").exists() && !d.join("x.tar.xz").exists());
    captar()
        .args(["create", "-g", "s.snar", "--dump-level=0", "--compression-level=0", "-f", "x.tar.xz", "-C", "a", "."])
        .current_dir(d)
        .ok();
    assert_eq!(names(&d.join("x.tar.xz")), ["./", "./fa"]);
    // Two spellings of one directory are one directory.
    std::fs::create_dir(d.join("a/s")).unwrap();
    std::fs::write(d.join("a/s/g"), "g").unwrap();
    captar().args(["create", "-g", "t.snar", "-f", "y.tar", "-C", "a", "fa", "-C", "../a", "s"]).current_dir(d).ok();
    assert_eq!(names(&d.join("y.tar")), ["fa", "s/", "s/g"]);
}

/// The archive written inside the tree it dumps is listed by its own name, as GNU tar lists it
/// (its temporary name went into the listing and the snapshot: a name no file has after the
/// run), once, also when an older archive of that name is there.
#[test]
fn the_archive_in_the_tree_is_listed_by_its_name() {
    let tmp = util::tempdir();
    let t = tmp.path().join("t");
    fs::create_dir(&t).unwrap();
    fs::write(t.join("a"), "a").unwrap();
    for round in 0..2 {
        captar().args(["create", "-g", "s.snar", "-f", "full.tar", "-C", "."]).arg(".").current_dir(&t).ok();
        let snapshot = fs::read(t.join("s.snar")).unwrap();
        let listing = cmd("tar").args(["-tvvGf", "full.tar"]).current_dir(&t).ok().stdout_text();
        for text in [String::from_utf8_lossy(&snapshot).into_owned(), listing] {
            assert!(!text.contains(".captar-"), "round {round}: {text:?}");
            assert_eq!(text.matches("full.tar").count(), 1, "round {round}: {text:?}");
        }
    }
}

/// A directory named twice, or beneath another named directory, goes into a dump once, as GNU
/// tar's -g puts it (it went in twice); a file named twice goes in twice, with either tool. A
/// directory the walk does not reach (through `..`, a symlink, past an exclusion or a tag file)
/// stays (review: a first version left those out, contents and all; a second, through `-h` and
/// a symlink to an ancestor, or `Ld/` beside `Ld/.`, or under a `./` spelling). A `-C` directory that
/// does not exist is said so, not taken for a second directory.
#[test]
fn a_directory_named_twice_is_dumped_once() {
    if !util::require_tool("tar") {
        return;
    }
    let tmp = util::tempdir();
    let d = tmp.path();
    for (file, text) in
        [("d/a", "a"), ("d/sub/b", "b"), ("d/sub/TAG", "t"), ("d/sub/deep/c", "c"), ("e/f", "f"), ("o/x", "x")]
    {
        fs::create_dir_all(d.join(file).parent().unwrap()).unwrap();
        fs::write(d.join(file), text).unwrap();
    }
    symlink("../o", d.join("d/L")).unwrap();
    let shapes: &[&[&str]] = &[
        &["d", "d/sub"],
        &["d/sub", "d"],
        &["d", "d"],
        &["d", "d/a"],
        &["d", "d/sub/"],
        &["d", "d/sub/deep", "d/sub"],
        &["d", "d/../e"],
        &["d", "d/L/."],
        &["--exclude-tag=TAG", "d", "d/sub/deep"],
        &["--exclude=./d/sub", "./d", "d/sub/deep"],
        &["-C", "d", ".", "../e"],
    ];
    for (i, paths) in shapes.iter().enumerate() {
        let mut lists = Vec::new();
        for tool in ["tar", "captar"] {
            let (snar, archive) = (d.join(format!("{tool}{i}.snar")), d.join(format!("{tool}{i}.tar")));
            let run = if tool == "tar" { cmd("tar") } else { captar() };
            run.arg("-g").arg(&snar).arg("-cf").arg(&archive).args(*paths).current_dir(d).ok();
            // captar writes `/./` as `/` (see Compatibility notes).
            let mut listed: Vec<String> =
                names(&archive).into_iter().map(|n| n.trim_start_matches("./").replace("/./", "/")).collect();
            listed.sort();
            lists.push(listed);
        }
        assert_eq!(lists[1], lists[0], "{paths:?}: captar's members, then GNU tar's");
    }
    // Where GNU tar differs or loops (`-h` through a symlink to an ancestor), captar's own dump
    // without the dedup (any exclusion turns it off) has no member the dump with it lacks.
    symlink(".", d.join("d/Up")).unwrap();
    symlink("..", d.join("d/sub/Up")).unwrap();
    symlink("d", d.join("Ld")).unwrap();
    let own: &[&[&str]] = &[
        &["-h", "d", "d/Up/sub"],
        &["-h", "d", "d/sub"],
        &["Ld/", "Ld/."],
        &["Ld/.", "Ld/"],
        &["./d", "d/sub"],
        &[".", "d/sub"],
    ];
    for (i, paths) in own.iter().enumerate() {
        let mut sets = Vec::new();
        for extra in [None, Some("--exclude=matches-nothing")] {
            let (snar, archive) = (d.join(format!("own{i}.snar")), d.join(format!("own{i}.tar")));
            let _ = fs::remove_file(&snar);
            // `-h` into a loop warns (exit 1), with the dedup or without.
            let out =
                captar().arg("-g").arg(&snar).arg("-cf").arg(&archive).args(extra).args(*paths).current_dir(d).run();
            assert!(matches!(out.status.code(), Some(0 | 1)), "{paths:?}: {}", out.stderr_text());
            sets.push(names(&archive).into_iter().collect::<std::collections::BTreeSet<_>>());
        }
        assert_eq!(sets[0], sets[1], "{paths:?}: members with the dedup, then without");
    }
    let out =
        captar().args(["-g", "s.snar", "-cf", "x.tar", "-C", "d", "a", "-C", "nothing", "y"]).current_dir(d).code(2);
    assert!(out.stderr_text().contains("d/nothing: cannot change to this directory"), "{}", out.stderr_text());
}

/// A path named with trailing slashes (`src//`, `.//`): its directories are in the snapshot as
/// GNU tar names them (`src/d1`), so either tool continues the other's chain (found by review:
/// captar's `src//d1` was another directory to GNU tar, whose next dump left out the file new
/// in it; and captar dumped every file again after GNU tar's level 0).
#[test]
fn trailing_slashes_name_directories_as_gnu_tar() {
    if !util::require_tool("tar") {
        return;
    }
    let tmp = util::tempdir();
    let work = tmp.path();
    for (i, (first, second)) in [(By::Captar, By::Gnu), (By::Gnu, By::Captar)].into_iter().enumerate() {
        for (j, (dir, path)) in [(work.to_path_buf(), "src//"), (work.join("src"), ".//")].into_iter().enumerate() {
            let src = work.join("src");
            let _ = fs::remove_dir_all(&src);
            fs::create_dir_all(src.join("d1")).unwrap();
            fs::write(src.join("d1/b"), "b").unwrap();
            let snap = work.join(format!("s{i}{j}.snar"));
            make_dump(first, &snap, &work.join(format!("l0-{i}{j}.tar")), &dir, path, &[]);
            std::thread::sleep(std::time::Duration::from_millis(20));
            fs::write(src.join("d1/new"), "new").unwrap();
            let l1 = work.join(format!("l1-{i}{j}.tar"));
            make_dump(second, &snap, &l1, &dir, path, &[]);
            let top = if j == 0 { "src" } else { "." };
            assert_eq!(
                names(&l1),
                [format!("{top}/"), format!("{top}/d1/"), format!("{top}/d1/new")],
                "level 0 by {}, level 1 by the other, of {path}",
                ["captar", "GNU tar"][i]
            );
        }
    }
}

/// `-G -tvv` (or `-g SNAPSHOT -tvv`) shows each directory's listing after it, byte for byte as
/// GNU tar does, for GNU tar's dumps (`gnu` format: `D` members; `posix`: `GNU.dumpdir`
/// records) and captar's, renames (`R`/`T`) included; `-tv`, or `-tvv` without `-G`, shows
/// none (it showed none ever, where the README said it was as GNU tar; found by review). A
/// control character in a listed name is `?`.
#[test]
fn directory_listings_are_shown_as_gnu_tar_shows_them() {
    if !util::require_tool("tar") {
        return;
    }
    let tmp = util::tempdir();
    let work = tmp.path();
    let src = work.join("src");
    fs::create_dir_all(src.join("d/sub")).unwrap();
    fs::write(src.join("d/a"), "a").unwrap();
    fs::write(src.join("d/sub/c"), "c").unwrap();
    let mut dumps = Vec::new();
    for (by, format) in [(By::Gnu, "gnu"), (By::Gnu, "posix"), (By::Captar, "pax")] {
        let snap = work.join(format!("{format}.snar"));
        let _ = fs::remove_file(&snap);
        let level0 = work.join(format!("{format}0.tar"));
        // GNU tar takes --xattrs (which `make_dump` gives it) with posix archives only.
        let dump = |archive: &Path| match format {
            "gnu" => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                cmd("tar")
                    .args(["-c", "-H", "gnu", "-g"])
                    .arg(&snap)
                    .arg("-f")
                    .arg(archive)
                    .arg("-C")
                    .arg(work)
                    .arg("src")
                    .ok();
            }
            "posix" => make_dump(by, &snap, archive, work, "src", &["-H", "posix"]),
            _ => make_dump(by, &snap, archive, work, "src", &[]),
        };
        dump(&level0);
        fs::rename(src.join("d/sub"), src.join("d/moved")).unwrap();
        fs::write(src.join("d/new"), "n").unwrap();
        let level1 = work.join(format!("{format}1.tar"));
        dump(&level1);
        fs::rename(src.join("d/moved"), src.join("d/sub")).unwrap();
        fs::remove_file(src.join("d/new")).unwrap();
        dumps.extend([level0, level1]);
    }
    for archive in &dumps {
        for opts in [&["-G", "-tvvf"][..], &["-g", "/dev/null", "-tvvf"], &["-Gtvvf"], &["-G", "-tvf"], &["-tvvf"]] {
            let gnu = cmd("tar").args(opts).arg(archive).env("TZ", "UTC").ok().stdout_text();
            let ours = captar().args(opts).arg(archive).env("TZ", "UTC").ok().stdout_text();
            assert_eq!(ours, gnu, "{archive:?} {opts:?}");
            let listed = opts.iter().any(|o| o.contains('G') || *o == "-g") && opts.iter().any(|o| o.contains("vv"));
            assert_eq!(gnu.contains("\nD d\n"), listed, "{archive:?} {opts:?}: {gnu}");
        }
    }
    // The level-1 dumps hold the rename.
    let shown = captar().args(["list", "-G", "-vv", "-f"]).arg(&dumps[5]).ok().stdout_text();
    assert!(shown.contains("\nR src/d/sub\nT src/d/moved\n\n"), "{shown}");
    // A name with a control character: shown as `?`, not sent to the terminal.
    fs::create_dir(src.join("e")).unwrap();
    fs::write(src.join("e/bell\x07"), "b").unwrap();
    let snap = work.join("e.snar");
    let archive = work.join("e.tar");
    make_dump(By::Gnu, &snap, &archive, work, "src/e", &[]);
    let shown = captar().args(["list", "-G", "-vv", "-f"]).arg(&archive).ok().stdout_text();
    assert!(shown.contains("\nY bell?\n\n"), "{shown}");
    assert!(!shown.contains('\x07'), "{shown}");
}

/// verify compares a dump's directory listings with the directories on disk, as GNU tar's
/// `--compare` does ("Contents differ"): a file unchanged since level 0 (not in level 1, a
/// capped one here) that a restore lost, and a file there that the dump does not list, each
/// differ; `--extra` takes what level 1 lists as unchanged for the archive's, not extra. Both
/// passed, exit 0, and `--extra` called the unchanged capped file extra (found by audit).
#[test]
fn verify_compares_directory_listings_as_gnu_tar() {
    if !util::require_root("set capabilities") || !["tar", "setcap"].iter().all(|t| util::require_tool(t)) {
        return;
    }
    let tmp = util::tempdir();
    let work = tmp.path();
    let src = work.join("src");
    fs::create_dir_all(src.join("d")).unwrap();
    for f in ["capped", "changed", "d/f"] {
        fs::write(src.join(f), f).unwrap();
    }
    setcap("cap_chown+ep", &src.join("capped"));
    let snap = work.join("snap");
    let (l0, l1) = (work.join("l0.tar"), work.join("l1.tar"));
    make_dump(By::Captar, &snap, &l0, work, "src", &[]);
    fs::write(src.join("changed"), "changed again").unwrap();
    make_dump(By::Captar, &snap, &l1, work, "src", &[]);
    assert!(!names(&l1).contains(&"src/capped".to_string()), "{:?}", names(&l1));
    let dst = work.join("dst");
    restore(&dst, &[l0, l1.clone()], false);
    let verify = |extra: &[&str], code: i32| {
        captar().arg("verify").args(extra).arg("-f").arg(&l1).arg("-C").arg(&dst).code(code).stdout_text()
    };
    assert_eq!(verify(&["--extra"], 0), "verified 3 entries, 0 with capabilities: 0 differences\n");
    fs::remove_file(dst.join("src/capped")).unwrap();
    fs::write(dst.join("src/d/stray"), "s").unwrap();
    let want = "src: contents differ: archive lists capped, disk lacks it\n\
                src/d: contents differ: archive does not list stray, disk has it\n\
                verified 3 entries, 0 with capabilities: 2 differences (contents differ: 2)\n";
    assert_eq!(verify(&[], 1), want);
    assert_eq!(verify(&["--all"], 1), want);
    // GNU tar finds the same two directories.
    let gnu = cmd("tar").arg("-df").arg(&l1).arg("-C").arg(&dst).code(1).stdout_text();
    assert_eq!(gnu, "src: Contents differ\nsrc/d: Contents differ\n");
}
