//! Section 1: nothing lands outside the destination and nothing is written through a symlink.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use super::*;

#[test]
fn dotdot_in_names_is_refused() {
    let c = case();
    let tar = Tar::new()
        .file("../escape", b"out\n")
        .file("a/../../sentinel/file", b"overwritten\n")
        .file("ok/../../../escape2", b"out\n")
        .file("..", b"x")
        .file("fine", b"in\n")
        .end();
    let out = c.extract(&tar, &[], 2);
    for entry in ["../escape", "a/../../sentinel/file", "ok/../../../escape2"] {
        refusal(&out, &format!("captar: {entry}:"), "'..'");
    }
    assert!(!c.root.join("escape").exists() && !c.root.join("escape2").exists());
    // The rest of the archive is still extracted.
    assert_eq!(read(&c.dest("fine")), b"in\n");
    assert_eq!(lkind(&c.dest("a")), None, "nothing of a refused member is created");
}

/// GNU tar CVE-2007-4131: `//..` was not seen as `..` once the leading slashes were stripped.
#[test]
fn double_slash_dotdot_is_refused() {
    let c = case();
    let tar = Tar::new().file("//../escape", b"out\n").file("///..//sentinel/file", b"overwritten\n").end();
    let out = c.extract(&tar, &[], 2);
    refusal(&out, "//../escape", "'..'");
    refusal(&out, "///..//sentinel/file", "'..'");
    assert!(!c.root.join("escape").exists());
}

/// libarchive CVE-2015-2304: absolute names are made relative (and said so once), not followed.
#[test]
fn absolute_names_are_stripped_once() {
    let c = case();
    let abs = c.sentinel_abs("file");
    let tar = Tar::new().file(&abs, b"overwritten\n").file("/abs/two", b"2\n").file("//abs/three", b"3\n").end();
    let out = c.extract(&tar, &[], 0);
    let err = out.stderr_text();
    assert_eq!(err.matches("removing leading '/'").count(), 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let inside = c.dest.join(c.sentinel.join("file").strip_prefix("/").unwrap());
    assert_eq!(read(&inside), b"overwritten\n");
    assert_eq!(read(&c.dest("abs/two")), b"2\n");
    assert_eq!(read(&c.dest("abs/three")), b"3\n");
}

/// libarchive CVE-2016-5418: a hard link whose target is outside. The sentinel's link count is
/// in its snapshot, so a link made to it anywhere shows.
#[test]
fn hard_link_targets_cannot_escape() {
    let c = case();
    let tar = Tar::new()
        .hardlink("up", "../sentinel/file")
        .hardlink("deep", "a/../../sentinel/file")
        .hardlink("dots", "//../sentinel/file")
        .hardlink("inner", "a/../up")
        .hardlink("root", "/")
        .hardlink("dot", ".")
        .end();
    let out = c.extract(&tar, &[], 2);
    // Said as it is, as for a member name: `a/../up` does not leave (found by audit: "leaves the
    // destination" was said of it).
    for (entry, target) in [
        ("up", "../sentinel/file"),
        ("deep", "a/../../sentinel/file"),
        ("dots", "//../sentinel/file"),
        ("inner", "a/../up"),
    ] {
        refusal(&out, &format!("captar: {entry}: hard link target {target} contains '..'; skipped"), "");
    }
    for entry in ["root", "dot"] {
        refusal(&out, &format!("captar: {entry}:"), "is the destination directory itself");
    }
    for entry in ["up", "deep", "dots", "inner", "root", "dot"] {
        assert_eq!(lkind(&c.dest(entry)), None, "{entry}");
    }
}

/// An absolute hard-link target is read beneath the destination, like the member names: the real
/// file at that absolute path is never linked.
#[test]
fn absolute_hard_link_target_is_resolved_beneath() {
    let c = case();
    let abs = c.sentinel_abs("file");
    let out = c.extract(&Tar::new().hardlink("grab", &abs).end(), &[], 2);
    refusal(&out, "captar: grab:", "does not exist");
    assert_eq!(lkind(&c.dest("grab")), None);

    // With the same path present inside the destination, the link is made to that one.
    let inside = c.dest.join(c.sentinel.join("file").strip_prefix("/").unwrap());
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::write(&inside, b"inside\n").unwrap();
    let out = c.extract(&Tar::new().hardlink("grab", &abs).hardlink("grab2", &abs).end(), &[], 0);
    assert_eq!(read(&c.dest("grab")), b"inside\n");
    // Said once, as GNU tar says it (it went unsaid; found by audit).
    assert_eq!(out.stderr_text(), "captar: removing leading '/' from hard link targets\n");
}

/// RUSTSEC-2018-0002, GNU tar CVE-2025-45582: a symlink planted by one entry, then written
/// through as a parent by a later one.
#[test]
fn planted_symlink_is_never_a_parent() {
    planted_symlinks(&case(), captar());
}

/// Where a seccomp filter refuses openat2 (container runtimes older than the syscall), parents
/// are opened one component at a time without following symlinks: the same refusals.
#[test]
fn planted_symlink_is_never_a_parent_without_openat2() {
    const OPENAT2: u32 = 437; // x86-64 and aarch64
    let Some(filtered) = util::captar_with_syscalls_refused(&[OPENAT2]) else { return };
    planted_symlinks(&case(), filtered);
}

/// Symlinks planted by earlier members, then used as parents: every such member is refused,
/// the members beside them are written.
fn planted_symlinks(c: &Case, captar: util::Cmd) {
    let abs = c.sentinel_abs("");
    let tar = Tar::new()
        .file("ok/a", b"a\n")
        .symlink("link", "../sentinel")
        .file("link/file", b"overwritten\n")
        .file("link/new", b"planted\n")
        .dir("link/newdir/")
        .symlink("abs", &abs)
        .file("abs/file", b"overwritten\n")
        .file("abs/dir/inner", b"overwritten\n")
        .file("ok/deeper/b", b"b\n")
        .end();
    let out = c.extract_by(captar, &tar, &[], 2);
    for entry in ["link/file", "link/new", "link/newdir/", "abs/file", "abs/dir/inner"] {
        refusal(&out, &format!("captar: {entry}:"), "symlink");
    }
    // The symlinks themselves are data: they exist, pointing where the archive said.
    assert_eq!(std::fs::read_link(c.dest("link")).unwrap(), Path::new("../sentinel"));
    assert_eq!(lkind(&c.dest("abs")), Some("symlink"));
    assert_eq!(read(&c.dest("ok/a")), b"a\n");
    assert_eq!(read(&c.dest("ok/deeper/b")), b"b\n");
}

/// Rust tar CVE-2021-38511: `create_dir_all` through a `..` symlink.
#[test]
fn dotdot_symlink_is_never_a_parent() {
    let c = case();
    let tar = Tar::new()
        .symlink("up", "..")
        .file("up/sentinel/file", b"overwritten\n")
        .dir("up/made/")
        .file("up/made/x", b"x")
        .symlink("here", ".")
        .file("here/x", b"x")
        .end();
    let out = c.extract(&tar, &[], 2);
    for entry in ["up/sentinel/file", "up/made/", "up/made/x", "here/x"] {
        refusal(&out, &format!("captar: {entry}:"), "symlink");
    }
    assert!(!c.root.join("made").exists());
    assert_eq!(lkind(&c.dest("x")), None);
}

/// A symlink pointing inside the destination is not followed either: captar never resolves
/// through any symlink, wherever it points.
#[test]
fn symlink_inside_destination_is_not_a_parent() {
    let c = case();
    let tar = Tar::new().dir("real/").symlink("alias", "real").file("alias/x", b"x").end();
    let out = c.extract(&tar, &[], 2);
    refusal(&out, "captar: alias/x:", "symlink");
    assert_eq!(lkind(&c.dest("real/x")), None);
}

/// The final component: a regular member named like an earlier symlink replaces the symlink; it
/// never opens it and writes the target.
#[test]
fn member_replaces_a_planted_symlink_as_final_component() {
    let c = case();
    let abs = c.sentinel_abs("file");
    let tar = Tar::new()
        .symlink("rel", "../sentinel/file")
        .file("rel", b"replaced\n")
        .symlink("abs", &abs)
        .file("abs", b"replaced\n")
        .symlink("fifo", "../sentinel/file")
        .header(Header::new(b'6', "fifo"))
        .symlink("link", "../sentinel/file")
        .symlink("link", "../sentinel/dir")
        .symlink("hard", "../sentinel/file")
        .hardlink("hard", "rel")
        .end();
    c.extract(&tar, &[], 0);
    assert_eq!(lkind(&c.dest("rel")), Some("file"));
    assert_eq!(read(&c.dest("rel")), b"replaced\n");
    assert_eq!(read(&c.dest("abs")), b"replaced\n");
    assert_eq!(lkind(&c.dest("fifo")), Some("other"));
    assert_eq!(std::fs::read_link(c.dest("link")).unwrap(), Path::new("../sentinel/dir"));
    assert_eq!(std::fs::metadata(c.dest("hard")).unwrap().ino(), std::fs::metadata(c.dest("rel")).unwrap().ino());
}

/// With --keep-old-files a planted symlink is "an existing file": an error, never followed.
#[test]
fn keep_old_files_does_not_follow_a_planted_symlink() {
    let c = case();
    let tar = Tar::new().symlink("link", "../sentinel/file").file("link", b"overwritten\n").end();
    let out = c.extract(&tar, &["--keep-old-files"], 2);
    refusal(&out, "captar: link:", "already exists");
    assert_eq!(lkind(&c.dest("link")), Some("symlink"));
}

/// A symlink entry does not replace a directory (that would orphan what is in it, and let the
/// next member under that name go through the symlink).
#[test]
fn symlink_does_not_replace_a_directory() {
    let c = case();
    let tar =
        Tar::new().dir("d/").file("d/keep", b"keep\n").symlink("d", "../sentinel").file("d/file", b"inside\n").end();
    let out = c.extract(&tar, &[], 2);
    refusal(&out, "captar: d:", "directory");
    assert_eq!(lkind(&c.dest("d")), Some("dir"));
    assert_eq!(read(&c.dest("d/file")), b"inside\n");
    assert_eq!(read(&c.dest("d/keep")), b"keep\n");
}

/// Rust tar CVE-2026-33056: a directory entry over a planted symlink must not chmod (or chown,
/// or touch) the symlink's target; the symlink is replaced by a real directory.
#[test]
fn directory_entry_over_a_symlink_never_touches_its_target() {
    let c = case();
    let abs = c.sentinel_abs("dir");
    let tar = Tar::new()
        .symlink("d", "../sentinel")
        .header(Header::new(b'5', "d/").mode(0o777).owner(4242, 4242))
        .symlink("e", &abs)
        .header(Header::new(b'5', "e").mode(0o1777).owner(4242, 4242))
        .file("e/new", b"in e\n")
        .end();
    c.extract(&tar, &[], 0);
    assert_eq!(lkind(&c.dest("d")), Some("dir"));
    assert_eq!(lkind(&c.dest("e")), Some("dir"));
    assert_eq!(read(&c.dest("e/new")), b"in e\n");
    if rustix::process::geteuid().is_root() {
        let md = std::fs::metadata(c.dest("d")).unwrap();
        assert_eq!((md.permissions().mode() & 0o7777, md.uid()), (0o777, 4242));
    }
}

/// libarchive CVE-2021-23177: metadata of a symlink member (owner, mode, times, xattrs, a
/// capability) goes on the symlink or nowhere, never on its target.
#[test]
fn symlink_metadata_never_lands_on_the_target() {
    let c = case();
    let cap = [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let abs = c.sentinel_abs("file");
    let evil_xattrs: &[(&str, &[u8])] = &[
        ("SCHILY.xattr.user.evil", b"evil"),
        ("SCHILY.xattr.security.capability", &cap),
        ("mtime", b"1234.5"),
        ("uid", b"4242"),
    ];
    let tar = Tar::new()
        .pax(evil_xattrs)
        .header(Header::new(b'2', "rel").link("../sentinel/file").mode(0o6777).owner(4242, 4242))
        .pax(evil_xattrs)
        .header(Header::new(b'2', "abs").link(&abs).mode(0o6777).owner(4242, 4242))
        .pax(evil_xattrs)
        .header(Header::new(b'2', "dir").link("../sentinel/dir").mode(0o6777).owner(4242, 4242))
        // A hard link to the symlink, with its own metadata.
        .pax(evil_xattrs)
        .header(Header::new(b'1', "hard").link("rel").mode(0o6777).owner(4343, 4343))
        .end();
    // The kernel takes no user.* xattr on a symlink: an error of each member, as on a file.
    let out = c.extract(&tar, &["--xattrs-include=*"], 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in ["rel", "abs", "dir"] {
        assert!(stderr.contains(&format!("captar: {name}: cannot set xattr user.evil")), "{stderr}");
    }
    assert_eq!(lkind(&c.dest("rel")), Some("symlink"));
    assert_eq!(lkind(&c.dest("hard")), Some("symlink"));
    if rustix::process::geteuid().is_root() {
        // lchown and the capability land on the symlink itself (the sentinels are checked
        // unchanged by `extract`).
        assert_eq!(std::fs::symlink_metadata(c.dest("abs")).unwrap().uid(), 4242);
        for name in ["rel", "abs", "dir"] {
            let value = xattr_nofollow(&c.dest(name), "security.capability");
            assert_eq!(value.as_deref(), Some(&cap[..]), "{name}");
        }
    }
}

/// An xattr of `path` itself, never of what a symlink there points to.
fn xattr_nofollow(path: &std::path::Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    let n = rustix::fs::lgetxattr(path, name, &mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// A hard link to a symlink links the symlink, and what is linked is still never followed.
#[test]
fn hard_link_to_a_symlink_links_the_symlink() {
    let c = case();
    let tar = Tar::new()
        .symlink("s", "../sentinel")
        .hardlink("h", "s")
        .file("h/file", b"overwritten\n")
        .hardlink("h2", "s")
        .file("h2", b"replaced\n")
        .end();
    let out = c.extract(&tar, &[], 2);
    refusal(&out, "captar: h/file:", "symlink");
    assert_eq!(lkind(&c.dest("h")), Some("symlink"));
    let (s, h) = (std::fs::symlink_metadata(c.dest("s")).unwrap(), std::fs::symlink_metadata(c.dest("h")).unwrap());
    assert_eq!(s.ino(), h.ino());
    assert_eq!(read(&c.dest("h2")), b"replaced\n");
    assert_eq!(lkind(&c.dest("s")), Some("symlink"));
}

/// Duplicates: the last one wins for files; a directory with something in it in the way of a
/// file is an error, an empty one is replaced (as GNU tar and bsdtar do); a file in the way of a
/// directory is replaced by it.
#[test]
fn duplicate_entries() {
    let c = case();
    let tar = Tar::new()
        .file("a", b"one\n")
        .file("a", b"two\n")
        .dir("d/")
        .header(Header::new(b'5', "d/").mode(0o750))
        .file("d/in", b"in\n")
        .file("f", b"file\n")
        .dir("f/")
        .file("f/x", b"x\n")
        .dir("g/")
        .file("g/in", b"in\n")
        .file("g", b"over a dir\n")
        .dir("e/")
        .file("e", b"over an empty dir\n")
        // A hard link named twice, and one to itself: renaming a link over a link of the same
        // inode does nothing, which must not leave the temporary behind.
        .hardlink("h", "a")
        .hardlink("h", "a")
        .hardlink("a", "a")
        .end();
    let out = c.extract(&tar, &[], 2);
    refusal(&out, "captar: g:", "directory");
    assert_eq!(read(&c.dest("a")), b"two\n");
    assert_eq!(read(&c.dest("d/in")), b"in\n");
    assert_eq!(lkind(&c.dest("f")), Some("dir"));
    assert_eq!(read(&c.dest("f/x")), b"x\n");
    assert_eq!(lkind(&c.dest("g")), Some("dir"));
    assert_eq!(read(&c.dest("e")), b"over an empty dir\n");
    if rustix::process::geteuid().is_root() {
        assert_eq!(std::fs::metadata(c.dest("d")).unwrap().permissions().mode() & 0o7777, 0o750);
    }
}

/// A pre-existing symlink in the destination (not from the archive) is treated the same way.
#[test]
fn existing_symlink_in_destination_is_not_followed() {
    let c = case();
    std::os::unix::fs::symlink("../sentinel", c.dest("pre")).unwrap();
    std::os::unix::fs::symlink("../sentinel/file", c.dest("prefile")).unwrap();
    let tar = Tar::new().file("pre/file", b"overwritten\n").file("prefile", b"replaced\n").end();
    let out = c.extract(&tar, &[], 2);
    refusal(&out, "captar: pre/file:", "symlink");
    assert_eq!(read(&c.dest("prefile")), b"replaced\n");
}

/// Names longer than PATH_MAX (4096): 30 nested directories of 200 bytes. captar works with
/// directory fds, so depth is no limit; the file is checked through fds too (no path that long
/// can be opened).
#[test]
fn names_longer_than_path_max_are_extracted() {
    let c = case();
    let comp = |i: usize| format!("{i:02}{}", "d".repeat(198));
    let dir: Vec<String> = (0..30).map(comp).collect();
    let dir = dir.join("/");
    assert!(dir.len() > 4096);
    let file = format!("{dir}/file");
    let link = format!("{dir}/hard");
    let tar = Tar::new()
        .pax(&[("path", file.as_bytes())])
        .header(Header::new(b'0', "placeholder").size(5).mode(0o600))
        .data(b"deep\n")
        .pax(&[("path", link.as_bytes()), ("linkpath", file.as_bytes())])
        .header(Header::new(b'1', "placeholder2").link("placeholder"))
        .pax(&[("path", format!("{dir}/up").as_bytes())])
        .header(Header::new(b'2', "placeholder3").link("../../../../sentinel"))
        .pax(&[("path", format!("{dir}/up/file").as_bytes())])
        .header(Header::new(b'0', "placeholder4").size(3))
        .data(b"no\n")
        .end();
    let out = c.extract(&tar, &[], 2);
    refusal(&out, "/up/file:", "symlink");
    // Walk down by fd.
    let mut fd = rustix::fs::open(&c.dest, rustix::fs::OFlags::DIRECTORY, rustix::fs::Mode::empty()).unwrap();
    for i in 0..30 {
        fd = rustix::fs::openat(&fd, comp(i).as_str(), rustix::fs::OFlags::DIRECTORY, rustix::fs::Mode::empty())
            .unwrap_or_else(|e| panic!("level {i}: {e}"));
    }
    let f = rustix::fs::openat(&fd, "file", rustix::fs::OFlags::RDONLY, rustix::fs::Mode::empty()).unwrap();
    let mut buf = [0u8; 16];
    let n = rustix::io::read(&f, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"deep\n");
    let st = rustix::fs::fstat(&f).unwrap();
    assert_eq!((st.st_nlink, st.st_mode & 0o7777), (2, 0o600));
    let up = rustix::fs::readlinkat(&fd, "up", Vec::new()).unwrap();
    assert_eq!(up.as_bytes(), b"../../../../sentinel");
}

/// Directories that members replace or remove, as GNU tar 1.34 leaves them (found in review):
/// one whose inode number a later directory reuses does not take that directory's metadata or
/// lose it; cached handles of a removed directory are not written into; removals made by the
/// workers are known to the directory fix-up (no false "replaced" error).
#[test]
fn replaced_directories_leave_the_right_metadata() {
    let mode = |p: &std::path::Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777;
    // p/d is removed for a symlink; p/z (which may get its inode number) keeps its own metadata.
    for _ in 0..5 {
        let c = case();
        let tar = Tar::new()
            .header(Header::new(b'5', "p/").mode(0o750))
            .header(Header::new(b'5', "p/d/").mode(0o750))
            .symlink("p/d", "x")
            .header(Header::new(b'5', "p/z/").mode(0o751))
            .end();
        c.extract(&tar, &[], 0);
        assert_eq!(mode(&c.dest("p/z")), 0o751);
        assert_eq!(lkind(&c.dest("p/d")), Some("symlink"));
    }
    // d/, a file d over it, d/ again: the second directory gets its metadata, exit 0.
    let c = case();
    let tar = Tar::new()
        .header(Header::new(b'5', "d/").mode(0o700))
        .file("d", b"f\n")
        .header(Header::new(b'5', "d/").mode(0o751))
        .file("d/y", b"y\n")
        .end();
    c.extract(&tar, &[], 0);
    assert_eq!(mode(&c.dest("d")), 0o751);
    // d/x made as a directory for a link (refused: its target is a directory), then replaced by
    // a file, then a directory again: d/x/z lands in the new one.
    let c = case();
    let tar = Tar::new()
        .dir("e/")
        .hardlink("d/x/y", "e")
        .file("d/x", b"x\n")
        .file("d/x/late", b"l\n")
        .dir("d/x/")
        .file("d/x/z", b"z\n")
        .end();
    let out = c.extract(&tar, &[], 2);
    refusal(&out, "captar: d/x/y:", "cannot hard link to e: it is a directory");
    assert_eq!(read(&c.dest("d/x/z")), b"z\n");
}

/// `-U`, `--recursive-unlink`, `--keep-newer-files`, `--no-overwrite-dir` where a directory is
/// named twice, with the destination's own `./` member, and with `--keep-directory-symlink`,
/// each as GNU tar 1.34 leaves the tree (found in review).
#[test]
fn unlink_options_on_directories_named_again_as_gnu_tar() {
    let mode = |p: &std::path::Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777;
    let twice = |x: &[u8]| {
        Tar::new()
            .header(Header::new(b'5', "d/").mode(0o750))
            .file("d/x", x)
            .header(Header::new(b'5', "d/").mode(0o711))
            .end()
    };
    // -U: the second d/ cannot be removed (d/x is in it): an error, and d keeps the first's.
    let c = case();
    let out = c.extract(&twice(b"x"), &["-U"], 2);
    refusal(&out, "captar: d/:", "not empty");
    assert_eq!(mode(&c.dest("d")), 0o750);
    // --no-overwrite-dir: the second finds d there and leaves it as the first made it.
    let c = case();
    c.extract(&twice(b"x"), &["--no-overwrite-dir"], 0);
    assert_eq!(mode(&c.dest("d")), 0o750);
    // --keep-newer-files: d (there, empty) is made anew by the first; the second finds d/x
    // in it and keeps it, however long the workers take to write d/x.
    for x in [&b"x"[..], &vec![b'x'; 3 << 20]] {
        let c = case();
        std::fs::create_dir(c.dest("d")).unwrap();
        c.extract(&twice(x), &["--keep-newer-files"], 0);
        assert_eq!(mode(&c.dest("d")), 0o750, "{} bytes", x.len());
    }
    // d/sub/, then a file d, over a d that was there: d and what the extraction put in it go.
    let c = case();
    std::fs::create_dir_all(c.dest("d/old")).unwrap();
    let tar = Tar::new().dir("d/sub/").file("d", b"d\n").end();
    c.extract(&tar, &["--recursive-unlink"], 0);
    assert_eq!(read(&c.dest("d")), b"d\n");
    // The destination's own member: its metadata stays, as GNU tar leaves it.
    for args in [&["-U"][..], &["--recursive-unlink"], &["--keep-newer-files"]] {
        let c = case();
        std::fs::set_permissions(&c.dest, std::fs::Permissions::from_mode(0o755)).unwrap();
        let tar = Tar::new().header(Header::new(b'5', "./").mode(0o700)).file("./a", b"a\n").end();
        c.extract(&tar, args, 0);
        assert_eq!(mode(&c.dest), 0o755, "{args:?}");
    }
    // --keep-directory-symlink with -U or --recursive-unlink: the symlink goes first, as in GNU
    // tar, and d is a directory.
    for args in [&["--keep-directory-symlink", "-U"][..], &["--keep-directory-symlink", "--recursive-unlink"]] {
        let c = case();
        std::fs::create_dir(c.dest("real")).unwrap();
        std::os::unix::fs::symlink("real", c.dest("d")).unwrap();
        c.extract(&Tar::new().dir("d/").file("d/x", b"x\n").end(), args, 0);
        assert_eq!(lkind(&c.dest("d")), Some("dir"), "{args:?}");
        assert!(!c.dest("real/x").exists(), "{args:?}");
    }
}

/// Hard links to files a worker is still writing are made once the file is done, while the
/// members after them go on (`extract::links`). What comes out is what one member at a time
/// makes, GNU tar's: a link to a link, a file named again after a link to it (the link keeps
/// the first), and a link's name taken by a later file, directory or symlink (one out of the
/// destination, and a file through it refused), or with a file beneath it (an error). Many
/// pairs before them, so that the workers are busy when each link comes.
#[test]
fn hard_links_to_files_in_flight_end_as_one_member_at_a_time() {
    let tar = busy_with_links()
        .file("a", b"a\n")
        .hardlink("la", "a")
        .hardlink("lla", "la")
        .file("b", b"b1\n")
        .hardlink("lb", "b")
        .file("b", b"b2\n")
        .file("c", b"c\n")
        .hardlink("lc", "c")
        .file("lc", b"later\n")
        .file("e", b"e\n")
        .hardlink("le", "e")
        .dir("le")
        .file("g", b"g\n")
        .hardlink("lg", "g")
        .symlink("lg", "../sentinel")
        .file("h", b"h\n")
        .hardlink("lh", "h")
        .file("lh/x", b"beneath\n")
        .end();
    let c = case();
    let out = c.extract(&tar, &[], 2);
    assert!(out.stderr_text().contains("lh/x"), "{}", out.stderr_text());
    assert_eq!(read(&c.dest("lb")), b"b1\n");
    assert_eq!(read(&c.dest("lla")), b"a\n");
    let ino = |p: &str| std::fs::symlink_metadata(c.dest(p)).unwrap().ino();
    assert_eq!(ino("lla"), ino("a"));
    assert_eq!(ino("d/l299"), ino("d/f299"));
    same_as_gnu(&c, "gnu", &[], 2, &util::CompareOpts::extracted());
    // Through the symlink that took a link's name, nothing is written.
    let tar = Tar::new().file("g", b"g\n").hardlink("lg", "g").symlink("lg", "../sentinel").file("lg/file", b"x\n");
    c.empty_dest();
    let out = c.extract(&tar.end(), &[], 2);
    assert!(out.stderr_text().contains("lg/file"), "{}", out.stderr_text());
    // A link's directories are made in its turn, not when it is made (found by review): a
    // later file named as one of them fails; --no-overwrite-dir keeps the mode of the one the
    // link made; -G's listing of it removes the link. `a` is large, still in flight.
    let large = vec![b'a'; 900_000];
    let listing = b"Nkeep\0\0";
    let cases: [(Tar, &[&str], i32); 3] = [
        (busy_with_links().file("a", &large).hardlink("x/y/la", "a").file("x", b"file x\n"), &[], 2),
        (
            busy_with_links().file("a", &large).hardlink("x/la", "a").header(Header::new(b'5', "x").mode(0o700)),
            &["--no-overwrite-dir"],
            0,
        ),
        (
            busy_with_links().file("a", &large).hardlink("x/la", "a").raw(&gnu_dumpdir("x", listing)).data(listing),
            &["-G"],
            0,
        ),
    ];
    for (i, (tar, args, code)) in cases.into_iter().enumerate() {
        let tar = tar.end();
        c.empty_dest();
        c.extract(&tar, args, code);
        match i {
            0 => assert_eq!(read(&c.dest("x/y/la")), large),
            1 => assert_eq!(std::fs::metadata(c.dest("x")).unwrap().permissions().mode() & 0o7777, 0o755),
            _ => assert_eq!(std::fs::symlink_metadata(c.dest("a")).unwrap().nlink(), 1, "x/la removed by -G"),
        }
        // Directories made for a member (not archived) have the time they were made.
        let opts = util::CompareOpts { ignore_dir_mtimes: true, ..util::CompareOpts::extracted() };
        same_as_gnu(&c, &format!("gnu{i}"), args, code, &opts);
    }
}

/// GNU tar extracts the case's archive with `args` into `name` beside the destination (exit
/// `code`), and the two trees are the same; nothing where GNU tar is missing.
#[track_caller]
fn same_as_gnu(c: &Case, name: &str, args: &[&str], code: i32, opts: &util::CompareOpts) {
    if util::require_tool("tar") {
        let gnu = c.root.join(name);
        std::fs::create_dir(&gnu).unwrap();
        util::cmd("tar").args(args).arg("-xf").arg(c.archive_path()).arg("-C").arg(&gnu).code(code);
        util::assert_same_dirs(&gnu, &c.dest, opts);
    }
}

/// A GNU incremental directory header (`D`, GNU's magic) for `listing`, which follows it.
fn gnu_dumpdir(name: &str, listing: &[u8]) -> [u8; BLOCK] {
    Header::new(b'D', name).mode(0o755).size(listing.len() as u64).patched(&[(257, b"ustar  \0")])
}

/// 300 small files in `d`, each followed by a hard link to it: the extraction workers are busy
/// when what follows comes.
fn busy_with_links() -> Tar {
    let mut tar = Tar::new().dir("d");
    for i in 0..300 {
        tar = tar
            .file(format!("d/f{i}"), format!("file {i}\n").as_bytes())
            .hardlink(format!("d/l{i}"), format!("d/f{i}"));
    }
    tar
}

/// `-G`: a directory's listing removes what it does not name only from a GNU header (`D` under
/// GNU's magic, or `GNU.dumpdir` in pax); a `D` header of POSIX's magic, which GNU tar never
/// writes, is a directory whose data GNU tar passes over, removing nothing (captar removed
/// what GNU tar keeps; found by review).
#[test]
fn only_a_gnu_directory_listing_removes_files() {
    let listing = b"Nkeep\0\0";
    let posix = Header::new(b'D', "x").mode(0o755).size(listing.len() as u64);
    for (header, kept) in [(posix.bytes(), "keep old"), (gnu_dumpdir("x", listing), "keep")] {
        let tar = Tar::new().raw(&header).data(listing).file("after", b"after\n").end();
        let mut tools = vec![None];
        if util::require_tool("tar") {
            tools.push(Some("tar"));
        }
        for tool in tools {
            let c = case();
            std::fs::create_dir(c.dest("x")).unwrap();
            std::fs::write(c.dest("x/old"), b"old\n").unwrap();
            std::fs::write(c.dest("x/keep"), b"keep\n").unwrap();
            match tool {
                None => drop(c.extract(&tar, &["-G"], 0)),
                Some(t) => {
                    drop(util::cmd(t).args(["-G", "-xf"]).arg(write_archive(&c, &tar)).arg("-C").arg(&c.dest).ok())
                }
            }
            let mut names: Vec<String> = std::fs::read_dir(c.dest("x"))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            assert_eq!(names.join(" "), kept, "{tool:?}");
            assert_eq!(read(&c.dest("after")), b"after\n", "{tool:?}");
        }
    }
}

/// Writes `bytes` as the case's archive, for a peer to read; its path.
fn write_archive(c: &Case, bytes: &[u8]) -> PathBuf {
    std::fs::write(c.archive_path(), bytes).unwrap();
    c.archive_path()
}

/// On a usrmerged destination (`bin -> usr/bin`), a member beneath `bin/` with no `bin/`
/// member is refused, and the message names the option that takes it through the symlink
/// (found by audit: it did not); with it, the file lands in usr/bin.
#[test]
fn a_symlinked_parent_names_keep_directory_symlink() {
    let c = case();
    std::fs::create_dir_all(c.dest("usr/bin")).unwrap();
    std::os::unix::fs::symlink("usr/bin", c.dest("bin")).unwrap();
    let tar = Tar::new().file("bin/foo", b"foo\n").end();
    let out = c.extract(&tar, &[], 2);
    let line = one_line(&out);
    assert!(
        line.ends_with("bin/foo: open parent directory: a symlink or non-directory stands in its parent path; captar never extracts through symlinks (but with --keep-directory-symlink, through one to a directory within the destination, as bin -> usr/bin)"),
        "{line}"
    );
    assert!(!c.dest("usr/bin/foo").exists());
    c.extract(&tar, &["--keep-directory-symlink"], 0);
    assert_eq!(std::fs::read(c.dest("usr/bin/foo")).unwrap(), b"foo\n");
}
