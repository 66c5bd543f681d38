//! The filesystems captar's users move trees between, each a real kernel mount of a fresh
//! image: XFS (RHEL's default), btrfs (Fedora's and SUSE's), overlayfs (a container's root,
//! one layer over another) and squashfs (a read-only image). The test tree (capabilities of
//! every shape, owners, setuid, hard links, symlinks, fifo, device, long and non-UTF-8 names,
//! xattrs, sub-second mtimes) must arrive identical, by snapshot and by the real `getcap`, and
//! `verify --all` must find nothing.

mod util;

use std::fs;
use std::path::{Path, PathBuf};

use util::{CompareOpts, OutputExt, captar};

/// The size of each filesystem image (sparse; mkfs.xfs wants at least 300 MiB).
const IMAGE: u64 = 512 << 20;

/// The test tree in a temporary directory's `src/`, and an archive of it (every xattr).
fn archived_tree() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let (tmp, src) = util::test_tree_in_tempdir()?;
    let archive = tmp.path().join("a.tar");
    captar().args(["create", "--xattrs", "-f"]).arg(&archive).arg("-C").arg(&src).arg(".").ok();
    Some((tmp, src, archive))
}

fn new_dir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    fs::create_dir(&dir).unwrap();
    dir
}

/// Extracts every xattr of `archive` into `dst`, quietly (-q leaves out the note on the
/// tree's v3 capability): nothing on stderr.
fn extract(archive: &Path, dst: &Path) {
    let out = captar().args(["extract", "-q", "--xattrs-include=*", "-f"]).arg(archive).arg("-C").arg(dst).ok();
    assert!(out.stderr.is_empty(), "extract into {} said:\n{}", dst.display(), out.stderr_text());
}

/// `dst` holds what `src` holds, by snapshot and by `getcap -n -r`; `verify --all` of
/// `archive` against it finds no difference.
fn assert_restored(src: &Path, dst: &Path, archive: &Path, on: &str) {
    util::assert_same_dirs(src, dst, &CompareOpts::extracted());
    assert_eq!(util::getcap_n_r(src), util::getcap_n_r(dst), "getcap -n -r differs on {on}");
    let out = captar().args(["verify", "--all", "-f"]).arg(archive).arg("-C").arg(dst).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "verify --all on {on}:\n{}", out.stdout_text());
}

/// An extraction into XFS and into btrfs keeps everything; `copy` moves the tree from one to
/// the other and on to a tmpfs, as `captar copy --xattrs / /mnt/xfs` would.
#[test]
fn the_tree_is_restored_on_xfs_and_btrfs_and_copied_between_them() {
    let Some((_tmp, src, archive)) = archived_tree() else { return };
    let Some(xfs) = util::mount_image("xfs", IMAGE, &["-q", "-f"]) else { return };
    let Some(btrfs) = util::mount_image("btrfs", IMAGE, &["-q", "-f"]) else { return };
    let Some(tmpfs) = util::mount_tmp("tmpfs", "size=256m") else { return };
    let on_xfs = new_dir(xfs.path(), "root");
    extract(&archive, &on_xfs);
    assert_restored(&src, &on_xfs, &archive, "xfs");
    let on_btrfs = new_dir(btrfs.path(), "root");
    extract(&archive, &on_btrfs);
    assert_restored(&src, &on_btrfs, &archive, "btrfs");

    // copy verifies what it made (exit 0: no difference), then so does the test.
    let from_xfs = btrfs.path().join("from-xfs");
    captar().args(["copy", "-q", "--xattrs"]).arg(&on_xfs).arg(&from_xfs).ok();
    assert_restored(&src, &from_xfs, &archive, "btrfs, copied from xfs");
    let from_btrfs = tmpfs.path().join("from-btrfs");
    captar().args(["copy", "-q", "--xattrs"]).arg(&from_xfs).arg(&from_btrfs).ok();
    assert_restored(&src, &from_btrfs, &archive, "tmpfs, copied from btrfs");
}

/// A container's root: the archive extracted into an overlayfs whose lower layer is empty, and
/// into one whose lower layer holds an older copy of the tree (capabilities stripped, a file's
/// data and another's mode changed), where every file is replaced through the overlay (copy
/// up, whiteouts). Both views then hold the tree, and an archive made of the overlay verifies
/// against the source.
#[test]
fn an_image_is_restored_into_overlayfs_over_an_older_layer() {
    let Some((tmp, src, archive)) = archived_tree() else { return };
    let Some(uppers) = util::mount_tmp("tmpfs", "size=256m") else { return };
    let (empty_upper, stale_upper) = (new_dir(uppers.path(), "a"), new_dir(uppers.path(), "b"));

    let empty = new_dir(tmp.path(), "empty");
    let Some(fresh) = util::mount_overlay(&empty, &empty_upper) else { return };
    extract(&archive, fresh.path());
    assert_restored(&src, fresh.path(), &archive, "overlayfs over an empty layer");

    let stale = new_dir(tmp.path(), "stale");
    extract(&archive, &stale);
    let capped: Vec<PathBuf> = util::getcap_n_r(&stale).into_keys().collect();
    assert!(capped.len() >= 5, "the tree has capped files: {capped:?}");
    for rel in &capped {
        // A hard link's capability went with its other name's: setcap -r then fails.
        util::cmd("setcap").arg("-r").arg(stale.join(rel)).run();
    }
    fs::write(stale.join(&capped[0]), b"an older build").unwrap();
    util::cmd("chmod").arg("0700").arg(stale.join(&capped[1])).ok();
    assert!(util::getcap_n_r(&stale).is_empty());
    let Some(layered) = util::mount_overlay(&stale, &stale_upper) else { return };
    extract(&archive, layered.path());
    assert_restored(&src, layered.path(), &archive, "overlayfs over an older layer");

    // What a reader of the overlay archives is the tree again (overlayfs's own xattrs hidden).
    let again = tmp.path().join("again.tar");
    captar().args(["create", "--xattrs", "-f"]).arg(&again).arg("-C").arg(layered.path()).arg(".").ok();
    let out = captar().args(["verify", "--all", "-f"]).arg(&again).arg("-C").arg(&src).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "{}", out.stdout_text());
    drop((layered, fresh, uppers));
}

/// A read-only squashfs image (mksquashfs keeps xattrs, capabilities among them) archived by
/// captar: the archive verifies against the mounted image and extracts into a tree that is the
/// image's, with the source's capabilities.
#[test]
fn an_archive_of_a_squashfs_image_keeps_its_capabilities() {
    let Some((tmp, src, _)) = archived_tree() else { return };
    let Some(image) = util::mount_squashfs_of(&src) else { return };
    assert_eq!(util::getcap_n_r(&src), util::getcap_n_r(image.path()), "mksquashfs kept the capabilities");
    let archive = tmp.path().join("squashfs.tar");
    captar().args(["create", "--xattrs", "-f"]).arg(&archive).arg("-C").arg(image.path()).arg(".").ok();
    let out = captar().args(["verify", "--all", "-f"]).arg(&archive).arg("-C").arg(image.path()).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "{}", out.stdout_text());
    let dst = new_dir(tmp.path(), "out");
    extract(&archive, &dst);
    // The image's view, not the source's: squashfs keeps whole seconds only and no ACL.
    assert_restored(image.path(), &dst, &archive, "a tree extracted from a squashfs image");
    assert_eq!(util::getcap_n_r(&src), util::getcap_n_r(&dst));
}

/// A full XFS and a full btrfs (each reserves space its own way): the extraction stops at the
/// file that does not fit, exit 2, naming it; every file under its final name is whole, a file
/// that was there before keeps its old contents, and no temporary is left, with unnamed files
/// (O_TMPFILE) and with named temporaries (`CAPTAR_TEST_NO_TMPFILE`, as where O_TMPFILE is
/// missing).
#[test]
fn a_full_xfs_or_btrfs_leaves_no_partial_file() {
    const SIZE: u64 = 48 << 20;
    // Asked before the 384 MiB archive is written.
    if !util::require_root("mount a loop xfs and btrfs")
        || !util::require_tool("mkfs.xfs")
        || !util::require_tool("mkfs.btrfs")
    {
        return;
    }
    let tmp = util::tempdir();
    let src = new_dir(tmp.path(), "src");
    let names: Vec<String> = (0..8).map(|i| format!("f{i}")).collect();
    for name in &names {
        // Sparse here, all zeros in the archive (no -S): 8 × 48 MiB of data, more than fits.
        fs::File::create(src.join(name)).and_then(|f| f.set_len(SIZE)).unwrap();
    }
    let archive = tmp.path().join("a.tar");
    captar().args(["create", "-f"]).arg(&archive).arg("-C").arg(&src).args(&names).ok();
    for fstype in ["xfs", "btrfs"] {
        for named_temporaries in [false, true] {
            let Some(image) = util::mount_image(fstype, 320 << 20, &["-q", "-f"]) else { return };
            let dst = image.path();
            fs::write(dst.join("f7"), b"good old contents\n").unwrap();
            let mut extract = captar().args(["extract", "-f"]).arg(&archive).arg("-C").arg(dst);
            if named_temporaries {
                extract = extract.env("CAPTAR_TEST_NO_TMPFILE", "1");
            }
            let out = extract.code(2);
            let how = format!("{fstype}, named temporaries: {named_temporaries}");
            assert!(out.stderr_text().contains("No space left on device"), "{how}:\n{}", out.stderr_text());
            let mut left: Vec<String> =
                fs::read_dir(dst).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
            left.sort();
            let whole = names[..7].iter().filter(|n| left.contains(n)).count();
            assert!(whole > 0 && whole < 7, "{how}: the disk filled part way through: {left:?}");
            assert_eq!(left[..whole], names[..whole], "{how}: files up to the full disk, then none");
            for name in &names[..whole] {
                assert_eq!(fs::metadata(dst.join(name)).unwrap().len(), SIZE, "{how}: {name} is whole");
            }
            assert_eq!(fs::read(dst.join("f7")).unwrap(), b"good old contents\n", "{how}");
            assert_eq!(left.len(), whole + 1, "{how}: no temporary left: {left:?}");
            let named = format!("captar: {}: ", names[whole]);
            let stderr = out.stderr_text();
            assert!(
                stderr.lines().any(|l| l.starts_with(&named) && l.contains("No space left on device")),
                "{how}: the error names {}:\n{stderr}",
                names[whole]
            );
        }
    }
}
