//! Tests of the test harness itself: a comparison that cannot fail proves nothing, so check that
//! `diff_trees` sees a one-capability difference, that two builds of the test tree are equal,
//! and that the tree holds what the other tests rely on.

mod util;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::panic::catch_unwind;
use std::path::{Path, PathBuf};

use util::{CompareOpts, Kind, OutputExt, cmd};

/// Builds the test tree in a fresh temporary directory; `None` after a skip.
fn built_tree() -> Option<(tempfile::TempDir, util::TestTree)> {
    let dir = util::tempdir();
    if !util::require_test_tree(dir.path()) {
        return None;
    }
    let tree = util::build_test_tree(dir.path());
    Some((dir, tree))
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn cmd_runs_checks_and_reports() {
    cmd("true").ok();
    cmd("sh").args(["-c", "exit 3"]).code(3);
    let out = cmd("cat").stdin("piped in").ok();
    assert_eq!(out.stdout, b"piped in");
    let out = cmd("sh").args(["-c", "pwd; echo \"$CAPTAR_X\""]).current_dir("/").env("CAPTAR_X", "y").ok();
    assert_eq!(out.stdout_text(), "/\ny\n");

    let failure = catch_unwind(|| {
        cmd("sh").args(["-c", "echo to-stdout; echo to-stderr >&2; exit 2"]).ok();
    })
    .expect_err("a command exiting 2 must fail ok()");
    let text = panic_text(failure);
    for needle in ["expected exit code 0", "exit status: 2", "sh -c", "to-stdout", "to-stderr"] {
        assert!(text.contains(needle), "report lacks {needle:?}:\n{text}");
    }
}

#[test]
fn two_builds_of_the_tree_are_the_same() {
    let Some((a, _)) = built_tree() else { return };
    let Some((b, _)) = built_tree() else { return };
    let (sa, sb) = (util::snapshot(a.path()), util::snapshot(b.path()));
    util::assert_same_tree(&sa, &sb, &CompareOpts::default());
    assert!(sa.len() > 25, "the snapshot walked too little: {} entries", sa.len());
}

#[test]
fn one_capability_difference_is_reported() {
    let Some((a, tree)) = built_tree() else { return };
    let Some((b, _)) = built_tree() else { return };
    let sa = util::snapshot(a.path());

    // A different capability (setcap keeps the mtime, so this is the only difference).
    cmd("setcap").arg("cap_net_admin=ep").arg(b.path().join("bin/newline")).ok();
    let diffs = util::diff_trees(&sa, &util::snapshot(b.path()), &CompareOpts::default());
    assert_eq!(diffs.len(), 1, "{diffs:#?}");
    assert!(diffs[0].starts_with("bin/newline: xattr security.capability: left 0x010000020a"), "{diffs:#?}");

    let failure = catch_unwind(|| util::assert_same_tree(&sa, &util::snapshot(b.path()), &CompareOpts::default()))
        .expect_err("assert_same_tree must panic on a difference");
    assert!(panic_text(failure).contains("bin/newline"));

    // Present-but-empty against absent.
    cmd("setcap").arg("-r").arg(b.path().join("bin/empty-set")).ok();
    let diffs = util::diff_trees(&sa, &util::snapshot(b.path()), &CompareOpts::default());
    assert!(
        diffs.contains(
            &"bin/empty-set: xattr security.capability: left 0x0000000200000000000000000000000000000000, right absent"
                .to_string()
        ),
        "{diffs:#?}"
    );
    assert!(tree.capped.contains_key(Path::new("bin/empty-set")));

    // The options leave out what they say, and only that.
    let sb = util::snapshot(b.path());
    let ignore_caps = CompareOpts { ignore_xattrs: vec!["security.capability".into()], ..CompareOpts::default() };
    assert_eq!(util::diff_trees(&sa, &sb, &ignore_caps), Vec::<String>::new());
}

#[test]
fn other_differences_are_reported() {
    let Some((a, _)) = built_tree() else { return };
    let Some((b, _)) = built_tree() else { return };
    let sa = util::snapshot(a.path());
    let b = b.path();
    std::fs::remove_file(b.join("bin/net-raw-link")).unwrap();
    std::fs::write(b.join("bin/net-raw-link"), std::fs::read(b.join("bin/net-raw")).unwrap()).unwrap();
    std::fs::remove_file(b.join("special/fifo")).unwrap();
    std::os::unix::fs::lchown(b.join("links/net-raw"), Some(5), None).unwrap();
    let diffs = util::diff_trees(&sa, &util::snapshot(b), &CompareOpts::default());
    let joined = diffs.join("\n");
    for needle in [
        "bin/net-raw-link: hard link to: left bin/net-raw, right none",
        "bin/net-raw: link count: left 2, right 1",
        "bin/net-raw-link: xattr security.capability: left 0x0100000200200000",
        "special/fifo: only in left (Fifo)",
        "links/net-raw: owner: left 0:0, right 5:0",
        "special: mtime",
    ] {
        assert!(joined.contains(needle), "no {needle:?} in\n{joined}");
    }
    // The root's and directories' mtimes can be left out; nothing else changes.
    let opts = CompareOpts { ignore_dir_mtimes: true, ..CompareOpts::default() };
    let dir_mtime = |d: &&String| d.starts_with("bin: mtime:") || d.starts_with("special: mtime:");
    assert_eq!(diffs.iter().filter(dir_mtime).count(), 2, "{diffs:#?}");
    let rest: Vec<String> = diffs.iter().filter(|d| !dir_mtime(d)).cloned().collect();
    assert_eq!(util::diff_trees(&sa, &util::snapshot(b), &opts), rest);
}

#[test]
fn the_tree_holds_what_the_tests_need() {
    let Some((dir, tree)) = built_tree() else { return };
    let snap = util::snapshot(dir.path());
    let entry = |rel: &str| snap.get(Path::new(rel)).unwrap_or_else(|| panic!("no {rel} in the tree"));
    let caps = |rel: &str| entry(rel).xattrs.get(OsStr::new("security.capability")).cloned();

    for rel in tree.capped.keys() {
        assert!(snap[rel].xattrs.contains_key(OsStr::new("security.capability")), "{rel:?} has no capability");
    }
    assert_eq!(caps("bin/net-raw").unwrap(), [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(caps("bin/empty-set").unwrap(), [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(caps("bin/newline").unwrap()[4], b'\n');
    let v3 = caps("bin/rootid").unwrap();
    assert_eq!((v3.len(), &v3[..4], &v3[20..]), (24, &[1, 0, 0, 3][..], &100_000u32.to_le_bytes()[..]));
    assert_eq!(caps("bin/plain"), None);

    let user = entry("bin/user-owned");
    assert_eq!((user.uid, user.gid, user.mode), (1000, 1000, 0o750));
    assert_eq!(entry("bin/setuid-root").mode, 0o4755);
    assert!(caps("bin/setuid-root").is_some());
    let (link, first) = &tree.hard_link;
    assert_eq!(snap[link].hard_link_to.as_ref(), Some(first));
    assert_eq!(snap[link].xattrs, snap[first].xattrs);
    assert_eq!(entry("links/net-raw").symlink_target.as_deref(), Some(&b"../bin/net-raw"[..]));
    assert_eq!(entry("special/fifo").kind, Kind::Fifo);
    assert_eq!((entry("special/null").kind, entry("special/null").rdev), (Kind::CharDevice, Some((1, 3))));
    assert!(tree.long_path.as_os_str().len() > 300);
    assert_eq!(snap[&tree.long_path].kind, Kind::File);
    assert!(entry("long/symlink").symlink_target.as_ref().unwrap().len() > 300);
    assert!(snap.contains_key(&PathBuf::from(OsStr::from_bytes(util::NON_UTF8_NAME))));
    assert_eq!(entry("xattr/commented").xattrs[OsStr::new("user.comment")], util::USER_COMMENT);
    assert_eq!(entry(util::SUBSEC_FILE).mtime, util::SUBSEC_MTIME);
    assert_eq!(entry("bin").mtime, util::tree_mtime(Path::new("bin")), "directory mtimes are set last");

    let digests: std::collections::BTreeSet<u64> = snap.values().filter_map(|e| e.digest).collect();
    let files = snap.values().filter(|e| e.kind == Kind::File && e.hard_link_to.is_none()).count();
    assert_eq!(digests.len(), files, "file contents are not all distinct");
}

#[test]
fn getcap_sees_every_capped_file() {
    if !util::require_tool("getcap") {
        return;
    }
    let Some((a, tree)) = built_tree() else { return };
    let Some((b, _)) = built_tree() else { return };
    let seen = util::getcap_n_r(a.path());
    // getcap -r lists the hard link under both names.
    let mut expected = tree.capped.clone();
    expected.insert(tree.hard_link.0.clone(), tree.capped[&tree.hard_link.1].clone());
    assert_eq!(seen, expected);
    assert_eq!(seen[Path::new("bin/rootid")], "cap_net_raw=ep [rootid=100000]");
    assert_eq!(seen[Path::new("bin/empty-set")], "=");
    assert_eq!(util::getcap_n_r(b.path()), seen);
}

#[test]
fn ramfs_keeps_no_capability_and_tmpfs_does() {
    let Some(ramfs) = util::mount_tmp("ramfs", "") else { return };
    let err = util::xattr_fs_support(ramfs.path()).expect_err("ramfs keeps no xattrs");
    assert!(err.contains("security.capability"), "{err}");

    let Some(tmpfs) = util::mount_tmp("tmpfs", "size=4m") else { return };
    util::xattr_fs_support(tmpfs.path()).unwrap();
    let mount_point = tmpfs.path().to_path_buf();
    std::fs::write(mount_point.join("file"), b"x").unwrap();
    drop(tmpfs);
    assert!(!mount_point.exists(), "the mount point outlived its Mount");
}
