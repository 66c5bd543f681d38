//! `captar copy`: the test tree moved to another filesystem in one step, identical, verified.

mod util;

use util::{CompareOpts, OutputExt, captar};

#[test]
fn copy_to_tmpfs_is_identical_and_verified() {
    let Some((_tmp, src)) = util::test_tree_in_tempdir() else { return };
    let Some(mnt) = util::mount_tmp("tmpfs", "size=64m") else { return };
    let dst = mnt.path().join("copy");
    let out = captar().args(["copy", "--xattrs"]).arg(&src).arg(&dst).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "{}", out.stdout_text());
    util::assert_same_dirs(&src, &dst, &CompareOpts::extracted());
    assert_eq!(util::getcap_n_r(&src), util::getcap_n_r(&dst));
}

#[test]
fn copy_to_ramfs_stops_on_the_first_lost_capability() {
    let Some((_tmp, src)) = util::test_tree_in_tempdir() else { return };
    let Some(mnt) = util::mount_tmp("ramfs", "") else { return };
    let out = captar().arg("copy").arg(&src).arg(mnt.path()).code(2);
    let err = out.stderr_text();
    assert!(err.contains("cannot restore") && err.contains("keeps no security.* xattrs"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // On purpose, without capabilities: the copy is complete and verify agrees it lacks nothing else.
    let Some(mnt2) = util::mount_tmp("ramfs", "") else { return };
    let out = captar().args(["copy", "--no-caps"]).arg(&src).arg(mnt2.path()).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "{}", out.stdout_text());
}
