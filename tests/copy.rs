//! `captar copy`: the test tree moved to another filesystem in one step, identical, verified.

mod util;

use std::path::PathBuf;

use util::{CompareOpts, OutputExt, captar, cmd};

#[test]
fn copy_to_tmpfs_is_identical_and_verified() {
    let Some((_tmp, src)) = util::test_tree_in_tempdir() else { return };
    let Some(mnt) = util::mount_tmp("tmpfs", "size=64m") else { return };
    let dst = mnt.path().join("copy");
    let out = captar().args(["copy", "--xattrs"]).arg(&src).arg(&dst).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "{}", out.stdout_text());
    util::assert_same_dirs(&src, &dst, &CompareOpts::extracted());
    assert_eq!(util::getcap_n_r(&src), util::getcap_n_r(&dst));
    // -q: nothing but errors (and differences) is printed.
    let quiet = captar().args(["-q", "copy", "--xattrs"]).arg(&src).arg(mnt.path().join("quiet")).ok();
    assert_eq!((quiet.stdout_text(), quiet.stderr_text()), (String::new(), String::new()));
    assert_eq!(util::getcap_n_r(&src), util::getcap_n_r(&mnt.path().join("quiet")));
}

/// Where /proc is not mounted (a chroot made by hand), copy works as anywhere: capabilities,
/// owners and all, verified (found by review: it read its own pipe as /proc/self/fd/N and
/// failed, "open the archive: No such file or directory").
#[test]
fn copy_without_proc() {
    if !util::require_root("mount over /proc") || !util::require_tool("unshare") {
        return;
    }
    let Some((_tmp, src)) = util::test_tree_in_tempdir() else { return };
    let Some(mnt) = util::mount_tmp("tmpfs", "size=64m") else { return };
    let dst = mnt.path().join("copy");
    let run = format!(
        "mount -t tmpfs none /proc && exec {} copy --xattrs {} {}",
        env!("CARGO_BIN_EXE_captar"),
        src.display(),
        dst.display()
    );
    let out = cmd("unshare").args(["-m", "sh", "-c", &run]).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "{}{}", out.stdout_text(), out.stderr_text());
    util::assert_same_dirs(&src, &dst, &CompareOpts::extracted());
    assert_eq!(util::getcap_n_r(&src), util::getcap_n_r(&dst));
}

/// An absolute `--exclude` names a path beneath SRC, as rsync anchors it (`copy --exclude /proc
/// / /mnt/new`), or beneath SRC as given; the others match as in `create`, any tail of a name
/// (found by review: an absolute pattern matched nothing, in silence). The verify pass leaves
/// out the same.
#[test]
fn absolute_excludes_are_beneath_the_source() {
    let tmp = util::tempdir();
    let src = tmp.path().join("src");
    for d in ["proc/1", "dev", "a/proc", "a/dev"] {
        std::fs::create_dir_all(src.join(d)).unwrap();
    }
    for f in ["proc/1/status", "dev/null", "a/proc/y", "a/dev/z", "top"] {
        std::fs::write(src.join(f), f).unwrap();
    }
    let under = src.join("a/dev").into_os_string().into_string().unwrap();
    // SRC named through a symlink, relative, with the pattern through it, absolute.
    std::os::unix::fs::symlink("src", tmp.path().join("lnk")).unwrap();
    let through = tmp.path().join("lnk/a/dev").into_os_string().into_string().unwrap();
    for (pattern, given, left_out) in [
        ("/proc", &src, &["proc", "proc/1", "proc/1/status"][..]),
        // A trailing slash, rsync's "a directory" (it matched nothing: found by review).
        ("/proc/", &src, &["proc", "proc/1", "proc/1/status"][..]),
        // A file of that name is not a directory: copied, as rsync copies it (found by review).
        ("/top/", &src, &[][..]),
        ("//dev/*", &src, &["dev/null"][..]),
        (&under, &src, &["a/dev", "a/dev/z"][..]),
        (&through, &PathBuf::from("lnk"), &["a/dev", "a/dev/z"][..]),
        ("proc", &src, &["proc", "proc/1", "proc/1/status", "a/proc", "a/proc/y"][..]),
    ] {
        let dst = tmp.path().join("dst");
        let _ = std::fs::remove_dir_all(&dst);
        let out = captar().args(["copy", "--exclude", pattern]).arg(given).arg(&dst).current_dir(tmp.path()).ok();
        assert!(out.stdout_text().contains(" 0 differences"), "{pattern}: {}", out.stdout_text());
        let all = [
            "a",
            "a/dev",
            "a/dev/z",
            "a/proc",
            "a/proc/y",
            "dev",
            "dev/null",
            "proc",
            "proc/1",
            "proc/1/status",
            "top",
        ];
        for name in all {
            assert_eq!(dst.join(name).symlink_metadata().is_ok(), !left_out.contains(&name), "{pattern}: {name}");
        }
    }
}

#[test]
fn copy_to_ramfs_stops_on_the_first_lost_capability() {
    let Some((_tmp, src)) = util::test_tree_in_tempdir() else { return };
    let Some(mnt) = util::mount_tmp("ramfs", "") else { return };
    let out = captar().arg("copy").arg(&src).arg(mnt.path()).code(2);
    let err = out.stderr_text();
    assert!(err.contains("cannot restore") && err.contains("keeps no security.* xattrs"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // A copy says the copy stopped (it said "extraction").
    assert!(err.contains(": copy stopped here; pass --keep-going to copy the rest"), "{err}");
    // The verify pass, left out, is said to be (it was left out in silence), with --keep-going
    // too, and not with --no-verify.
    let dst = mnt.path().display();
    let not_verified =
        format!("captar: {dst}: not verified, as the copy had errors (above); mend them and copy again\n");
    assert!(err.ends_with(&not_verified), "{err}");
    let out = captar().args(["copy", "--keep-going"]).arg(&src).arg(mnt.path()).code(2);
    let err = out.stderr_text();
    assert!(err.ends_with(&not_verified) && !out.stdout_text().contains("verified"), "{err}");
    let err = captar().args(["copy", "--no-verify"]).arg(&src).arg(mnt.path()).code(2).stderr_text();
    assert!(!err.contains("not verified"), "{err}");
    // On purpose, without capabilities: the copy is complete and verify agrees it lacks nothing else.
    let Some(mnt2) = util::mount_tmp("ramfs", "") else { return };
    let out = captar().args(["copy", "--no-caps"]).arg(&src).arg(mnt2.path()).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "{}", out.stdout_text());
}

/// As `cp -a`: a destination inside the source (itself, beneath it, or beneath it through a
/// symlink) is refused before anything is written; a missing source says so.
#[test]
fn refuses_to_copy_a_tree_into_itself() {
    let tmp = util::tempdir();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("bin")).unwrap();
    std::fs::write(src.join("bin/a"), b"a\n").unwrap();
    std::os::unix::fs::symlink("src", tmp.path().join("link")).unwrap();
    for dst in [src.clone(), src.join("bin/sub"), tmp.path().join("link/new/deeper"), tmp.path().join("no/../src/x")] {
        let out = captar().arg("copy").arg(&src).arg(&dst).code(2);
        assert!(out.stderr_text().contains("the destination is inside the source"), "{}", out.stderr_text());
    }
    assert!(!src.join("bin/sub").exists() && !src.join("new").exists());
    let out = captar().arg("copy").arg(tmp.path().join("nothing")).arg(tmp.path().join("x")).code(2);
    assert!(out.stderr_text().contains("No such file or directory"), "{}", out.stderr_text());
    captar().arg("copy").arg(&src).arg(tmp.path().join("beside")).ok();
    // A dangling symlink as DST is named as one, as `cp -a` writes through none (it said
    // "create the destination: File exists").
    std::os::unix::fs::symlink("gone/dir", tmp.path().join("dangling")).unwrap();
    for dst in ["dangling", "dangling/"] {
        let out = captar().arg("copy").arg(&src).arg(tmp.path().join(dst)).code(2);
        assert!(
            out.stderr_text().ends_with(&format!(
                "{dst}: copy: the destination is a symlink to gone/dir, which does not exist; create that directory, or name another destination\n"
            )),
            "{}",
            out.stderr_text()
        );
    }
    // A loop is not said to be missing (ELOOP is said as it is).
    std::os::unix::fs::symlink("looped", tmp.path().join("looped")).unwrap();
    let out = captar().arg("copy").arg(&src).arg(tmp.path().join("looped")).code(2);
    assert!(
        out.stderr_text().ends_with("looped: copy: open the destination: Too many levels of symbolic links\n"),
        "{}",
        out.stderr_text()
    );
    assert!(!tmp.path().join("gone").exists());
    // SRC by another path: a bind mount of it (found by review: the copy nested part of itself
    // in SRC, then reported the differences).
    if util::require_root("mount --bind") {
        let bound = tmp.path().join("bound");
        std::fs::create_dir(&bound).unwrap();
        cmd("mount").arg("--bind").arg(&src).arg(&bound).ok();
        let out = captar().arg("copy").arg(&src).arg(bound.join("copy")).run();
        cmd("umount").arg(&bound).ok();
        assert_eq!(out.status.code(), Some(2), "{}", out.stderr_text());
        assert!(out.stderr_text().contains("the destination is inside the source"), "{}", out.stderr_text());
        assert!(!src.join("copy").exists());
        // DST shown inside SRC by a mount there of a directory above it: the walk meets DST
        // itself, an error, and does not go into it (found by audit: it copied the copy into
        // itself, DST/bind/new/..., then reported the differences).
        let other = tmp.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("o"), "o").unwrap();
        std::fs::create_dir(src.join("bind")).unwrap();
        cmd("mount").arg("--bind").arg(&other).arg(src.join("bind")).ok();
        let out = captar().arg("copy").arg(&src).arg(other.join("new")).run();
        cmd("umount").arg(src.join("bind")).ok();
        assert_eq!(out.status.code(), Some(2), "{}", out.stderr_text());
        let err = format!(
            "{}: is the destination, reached through a mount inside the source;",
            src.join("bind/new").display()
        );
        assert!(out.stderr_text().contains(&err), "{}", out.stderr_text());
        assert!(other.join("new/bind/o").is_file() && other.join("new/bin/a").is_file());
        assert!(!other.join("new/bind/new").exists());
    }
}

/// With --one-file-system the walk never enters another filesystem, so a destination on a
/// filesystem mounted inside the source (`copy --one-file-system / /mnt/x`) is allowed: on the
/// mount point itself or below it. Without the option, or on the source's own filesystem, it
/// is still refused.
#[test]
fn one_file_system_allows_a_destination_on_a_mount_inside_the_source() {
    let tmp = util::tempdir();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("bin")).unwrap();
    std::fs::write(src.join("bin/a"), b"a\n").unwrap();
    std::fs::create_dir(src.join("mnt")).unwrap();
    if !util::require_root("mount a tmpfs") || !util::require_tool("mount") {
        return;
    }
    util::cmd("mount").args(["-t", "tmpfs", "-o", "size=16m", "captar-test-tmpfs"]).arg(src.join("mnt")).ok();
    let _unmount = util::Unmount(src.join("mnt"));
    for dst in [src.join("mnt/copy"), src.join("mnt/new/deeper")] {
        let out = captar().arg("copy").arg(&src).arg(&dst).code(2);
        let err = out.stderr_text();
        assert!(err.contains("the destination is inside the source") && err.contains("--one-file-system"), "{err}");
        let out = captar().args(["copy", "--one-file-system"]).arg(&src).arg(&dst).ok();
        assert!(out.stdout_text().contains(" 0 differences"), "{}", out.stdout_text());
        assert_eq!(std::fs::read(dst.join("bin/a")).unwrap(), b"a\n");
        // The mount point is an empty directory in the copy: nothing of the copy was copied.
        assert_eq!(std::fs::read_dir(dst.join("mnt")).unwrap().count(), 0);
    }
    // On the source's own filesystem, the option changes nothing.
    let out = captar().args(["copy", "--one-file-system"]).arg(&src).arg(src.join("bin/sub")).code(2);
    assert!(out.stderr_text().contains("the destination is inside the source"), "{}", out.stderr_text());
    assert!(!src.join("bin/sub").exists());
}

/// `--no-same-owner` (the copier owns the copy, as asked) is not a difference for the verify
/// pass, which compares owners otherwise (it reported every file's owner, exit 1); a mode or
/// capability lost still is.
#[test]
fn no_same_owner_copies_verify_clean() {
    use std::os::unix::fs::MetadataExt;
    if !util::require_root("chown") {
        return;
    }
    let tmp = util::tempdir();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::copy("/bin/true", src.join("d/ping")).unwrap();
    std::os::unix::fs::chown(src.join("d"), Some(65534), Some(65534)).unwrap();
    std::os::unix::fs::chown(src.join("d/ping"), Some(65534), Some(65534)).unwrap();
    // After the chown, which clears a capability.
    util::cmd("setcap").arg("cap_net_raw+ep").arg(src.join("d/ping")).ok();
    // Setuid to nobody: the copy, root's, is not setuid (no_same_owner_as_root_clears_setuid_bits
    // in tests/cli.rs), as extraction makes it, so no difference either.
    std::fs::set_permissions(src.join("d/ping"), std::os::unix::fs::PermissionsExt::from_mode(0o4755)).unwrap();
    let dst = tmp.path().join("dst");
    let out = captar().args(["copy", "--no-same-owner"]).arg(&src).arg(&dst).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "{}", out.stdout_text());
    assert!(out.stderr_text().starts_with("captar: 1 file was extracted without its setuid/setgid bits"));
    // A setgid file of root's group made in a setgid directory of another group (the copy's
    // group then) is not setgid there, and no difference either.
    let sg = tmp.path().join("sg");
    std::fs::create_dir_all(sg.join("src")).unwrap();
    std::fs::write(sg.join("src/f"), "f").unwrap();
    std::fs::set_permissions(sg.join("src/f"), std::os::unix::fs::PermissionsExt::from_mode(0o2755)).unwrap();
    std::fs::create_dir(sg.join("into")).unwrap();
    std::os::unix::fs::chown(sg.join("into"), Some(0), Some(50)).unwrap();
    std::fs::set_permissions(sg.join("into"), std::os::unix::fs::PermissionsExt::from_mode(0o2775)).unwrap();
    let out = captar().args(["copy", "--no-same-owner"]).arg(sg.join("src")).arg(sg.join("into/copy")).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "{}", out.stdout_text());
    let md = std::fs::metadata(sg.join("into/copy/f")).unwrap();
    assert_eq!((md.gid(), md.mode() & 0o7777), (50, 0o755));
    assert_eq!(std::fs::metadata(dst.join("d/ping")).unwrap().uid(), 0);
    assert_eq!(std::fs::metadata(dst.join("d/ping")).unwrap().mode() & 0o7777, 0o755);
    assert_eq!(util::getcap_n_r(&dst).len(), 1, "the capability survives the copier's chown");
    // Owners kept (the default as root): compared, and equal.
    let out = captar().arg("copy").arg(&src).arg(tmp.path().join("dst2")).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "{}", out.stdout_text());
    assert_eq!(std::fs::metadata(tmp.path().join("dst2/d/ping")).unwrap().uid(), 65534);
    // A destination that is a file is named as such (it said "File exists").
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let err = captar().arg("copy").arg(&src).arg(&file).code(2).stderr_text();
    assert!(err.contains("the destination is not a directory") && err.lines().count() == 1, "{err}");
    // A source that is a file: what to do instead (it said no more than that).
    let err = captar().arg("copy").arg(&file).arg(tmp.path().join("new")).code(2).stderr_text();
    assert!(
        err.contains("the source is not a directory (copy copies a directory's contents; for one file, use cp -a"),
        "{err}"
    );
}

/// Holes stay holes, as with `cp -a`: a 1 GiB file with two data runs copies into a 64 MiB
/// tmpfs (written as data it fills it: ENOSPC), the same bytes, verified, in a few blocks; its
/// capability, set after its data, survives.
#[test]
fn copy_keeps_holes() {
    use std::io::{Seek, SeekFrom, Write};
    use std::os::unix::fs::MetadataExt;
    let Some(mnt) = util::mount_tmp("tmpfs", "size=64m") else { return };
    let tmp = util::tempdir();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let mut f = std::fs::File::create(src.join("holes")).unwrap();
    f.seek(SeekFrom::Start(300 << 20)).unwrap();
    f.write_all(&[b'A'; 70_000]).unwrap();
    f.set_len(1 << 30).unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    f.write_all(b"start").unwrap();
    drop(f);
    std::fs::copy("/bin/true", src.join("tool")).unwrap();
    std::fs::OpenOptions::new().write(true).open(src.join("tool")).unwrap().set_len(200 << 20).unwrap();
    util::cmd("setcap").arg("cap_net_raw+ep").arg(src.join("tool")).ok();
    let dst = mnt.path().join("copy");
    let out = captar().arg("copy").arg(&src).arg(&dst).ok();
    assert!(out.stdout_text().contains(" 0 differences"), "{}", out.stdout_text());
    for name in ["holes", "tool"] {
        let (a, b) = (std::fs::metadata(src.join(name)).unwrap(), std::fs::metadata(dst.join(name)).unwrap());
        assert_eq!(a.len(), b.len(), "{name}");
        assert!(b.blocks() <= a.blocks() + 64, "{name}: {} blocks against {}", b.blocks(), a.blocks());
    }
    assert_eq!(util::getcap_n_r(&src).len(), 1);
    assert_eq!(util::getcap_n_r(&dst).len(), 1, "the sparse tool keeps its capability");
    // The same bytes, compared outside captar.
    util::cmd("cmp").arg(src.join("holes")).arg(dst.join("holes")).ok();
    util::cmd("cmp").arg(src.join("tool")).arg(dst.join("tool")).ok();
}

/// Under an open-file limit too low for the archiving thread to start, the copy fails at once,
/// naming the cause: it waited for ever on its own pipe, whose writing end the failed create
/// still held (found by review, `ulimit -n 6`).
#[test]
fn a_create_that_cannot_start_ends_the_copy() {
    let tmp = util::tempdir();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("f"), "x").unwrap();
    let line = format!(
        "ulimit -n 6; exec timeout 60 {} copy {} {}",
        env!("CARGO_BIN_EXE_captar"),
        src.display(),
        tmp.path().join("dst").display()
    );
    let out = util::cmd("bash").args(["-c", &line]).code(2);
    assert!(out.stderr_text().contains("Too many open files"), "{}", out.stderr_text());
}

/// What is in the way in DST is said with what to do by hand: copy takes neither `-U` nor
/// `--recursive-unlink`, so its errors name neither (found by review: they did).
#[test]
fn what_is_in_the_way_is_said_in_copy_s_terms() {
    let tmp = util::tempdir();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), b"new\n").unwrap();
    let dst = tmp.path().join("dst");
    std::fs::create_dir_all(dst.join("f")).unwrap();
    std::fs::write(dst.join("f/old"), b"old\n").unwrap();
    let err = captar().arg("copy").arg(&src).arg(&dst).code(2).stderr_text();
    assert!(
        err.contains("./f: link into place: a directory that is not empty has that name (remove it from the destination, or copy into an empty directory)"),
        "{err}"
    );
    assert!(!err.contains("--recursive-unlink") && !err.contains("extract"), "{err}");
    // A hard link made once its file is written (a worker's) gets the same advice (it was a
    // bare "a directory that is not empty has that name"; found by review).
    std::fs::remove_dir_all(dst.join("f")).unwrap();
    std::fs::hard_link(src.join("f"), src.join("ld")).unwrap();
    std::fs::create_dir_all(dst.join("ld/ne")).unwrap();
    let err = captar().arg("copy").arg(&src).arg(&dst).code(2).stderr_text();
    assert!(
        err.contains("./ld: create hard link: a directory that is not empty has that name (remove it from the destination, or copy into an empty directory)"),
        "{err}"
    );
    let a = tmp.path().join("l.tar");
    captar().args(["create", "-f"]).arg(&a).arg("-C").arg(&src).args(["f", "ld"]).ok();
    let err = captar().args(["extract", "-f"]).arg(&a).arg("-C").arg(&dst).code(2).stderr_text();
    assert_eq!(
        err,
        "captar: ld: create hard link: a directory that is not empty has that name (remove it first; extract --recursive-unlink removes one that was there before the extraction)\n"
    );
    std::fs::remove_file(src.join("ld")).unwrap();
    // A full filesystem while replacing a file: the new one is written beside the old one.
    let Some(mnt) = util::mount_tmp("tmpfs", "size=1m") else { return };
    let big: Vec<u8> = (0..700_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(src.join("f"), &big).unwrap();
    std::fs::write(mnt.path().join("f"), &big).unwrap();
    let err = captar().arg("copy").arg(&src).arg(mnt.path()).code(2).stderr_text();
    // (Without the mount's random name, which may hold `-U`: the check below failed so.)
    let err = err.replace(&mnt.path().display().to_string(), "DST");
    assert!(
        err.contains("so both need room; free space, remove the old files first, or copy into an empty directory)"),
        "{err}"
    );
    assert!(!err.contains("-U") && !err.contains("extract"), "{err}");
}

/// A file of fewer blocks than its size and no hole (sysfs's: 4096 bytes in no block) is read
/// from its start: the hole probe moved its position to its end, and copy (and `create
/// --sparse`) archived it as zeros, "file shrank by 4096 bytes", while copy's verify compared
/// those zeros with zeros (found by review). Each warning of the source is said once, not
/// again by the verify's second reading of it ("file shrank" twice, counted twice).
#[test]
fn a_file_of_no_block_and_no_hole_is_copied_whole_and_warned_once() {
    let dir = std::path::Path::new("/sys/kernel");
    let (Ok(data), true) =
        (std::fs::read(dir.join("profiling")), dir.join("mm/transparent_hugepage/khugepaged").is_dir())
    else {
        if std::env::var_os("CI").is_some() {
            panic!("CI: /sys/kernel/profiling and /sys/kernel/mm/transparent_hugepage/khugepaged are needed");
        }
        eprintln!("SKIP: no /sys/kernel/profiling or /sys/kernel/mm/transparent_hugepage/khugepaged");
        return;
    };
    let tmp = util::tempdir();
    let a = tmp.path().join("a.tar");
    captar().args(["create", "--sparse", "-f"]).arg(&a).arg("-C").arg(dir).arg("profiling").code(1);
    let out = captar().args(["-xOf"]).arg(&a).ok().stdout;
    assert_eq!(&out[..data.len()], &data[..]);
    // copy takes a directory: one of sysfs's small ones.
    let dst = tmp.path().join("dst");
    let out = captar().arg("copy").arg(dir.join("mm/transparent_hugepage/khugepaged")).arg(&dst).run();
    if out.status.code() != Some(1) {
        panic!("copy of khugepaged: {:?}\n{}", out.status, out.stderr_text());
    }
    let err = out.stderr_text();
    let lines: Vec<&str> = err.lines().collect();
    let mut unique = lines.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), lines.len(), "a warning said twice: {err}");
    assert!(out.stdout_text().contains(&format!("; {} warnings (on stderr)", lines.len())), "{}", out.stdout_text());
    for f in std::fs::read_dir(&dst).unwrap() {
        let f = f.unwrap();
        if f.file_type().unwrap().is_file() {
            let copied = std::fs::read(f.path()).unwrap();
            let now = std::fs::read(dir.join("mm/transparent_hugepage/khugepaged").join(f.file_name())).unwrap();
            assert!(copied.starts_with(&now[..now.len().min(1)]), "{:?}: {copied:?}", f.file_name());
            assert_ne!(copied[0], 0, "{:?} copied as zeros", f.file_name());
        }
    }
}
