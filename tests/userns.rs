//! Namespaced (v3) capabilities in a real user namespace: uid 0 inside is host uid 100000, so
//! the kernel stores what root inside writes as v3 with rootid 100000, shows it as v2 inside,
//! and refuses (EOVERFLOW) a rootid that does not map. What captar writes and reads must match
//! `getcap -n` on both sides.

mod util;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use util::{OutputExt, captar, cmd};

const NS_ROOT: u32 = 100_000;

/// Runs `script` with `sh -c` as uid 0 of a new user namespace mapping 0..65536 to
/// NS_ROOT..NS_ROOT+65536. The process enters as host uid NS_ROOT so that, once the map is
/// written, it is the namespace's root and keeps its capabilities across exec.
fn in_userns(script: &str) -> std::process::Output {
    let runner = r#"
set -e
root=$1; shift
go=$(mktemp -u); mkfifo -m 666 "$go"
setpriv --reuid=$root --regid=$root --clear-groups unshare --user sh -c 'read x < "$0"; exec sh -c "$1"' "$go" "$1" &
pid=$!
for i in $(seq 200); do [ "$(readlink /proc/$pid/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break; sleep 0.01; done
echo "0 $root 65536" > /proc/$pid/uid_map; echo deny > /proc/$pid/setgroups; echo "0 $root 65536" > /proc/$pid/gid_map
echo > "$go"; rm -f "$go"
wait $pid
"#;
    cmd("bash").args(["-c", runner, "nsrun", &NS_ROOT.to_string(), script]).run()
}

struct Env {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

fn env() -> Option<Env> {
    let tmp = util::tempdir();
    if !util::require_root("user namespaces with a uid map and setcap need root")
        || !util::require_tool("unshare")
        || !util::require_tool("setpriv")
        || !util::require_tool("setcap")
        || !util::require_xattr_fs(tmp.path())
    {
        return None;
    }
    // The namespace's root is host uid 100000: it must reach the files and the binary.
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut p = Path::new(env!("CARGO_BIN_EXE_captar")).to_path_buf();
    while let Some(parent) = p.parent() {
        let mode = std::fs::metadata(parent).unwrap().permissions().mode();
        if mode & 0o001 == 0 {
            util::skip(&format!(
                "{} is not searchable by other users; the namespace cannot run captar",
                parent.display()
            ));
            return None;
        }
        p = parent.to_path_buf();
    }
    let dir = tmp.path().to_path_buf();
    Some(Env { _tmp: tmp, dir })
}

fn chown_ns(path: &Path) {
    cmd("chown").args(["-R", &format!("{NS_ROOT}:{NS_ROOT}")]).arg(path).ok();
}

/// `src/ping` in the test's directory, given cap_net_raw, and `a.tar`, captar's archive of it.
fn capped_source(e: &Env) -> (PathBuf, PathBuf) {
    let src = e.dir.join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("ping"), b"binary").unwrap();
    cmd("setcap").arg("cap_net_raw=ep").arg(src.join("ping")).ok();
    let a = e.dir.join("a.tar");
    captar().args(["create", "-f"]).arg(&a).arg("-C").arg(&src).arg(".").ok();
    (src, a)
}

/// `capped_source`'s archive, readable from the namespace, and `dst`, an empty directory its
/// root owns.
fn archive_and_ns_destination(e: &Env) -> (PathBuf, PathBuf) {
    let (_, a) = capped_source(e);
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o644)).unwrap();
    let dst = e.dir.join("dst");
    std::fs::create_dir(&dst).unwrap();
    chown_ns(&dst);
    (a, dst)
}

fn getcap_n(path: &Path) -> String {
    cmd("getcap").arg("-n").arg(path).ok().stdout_text()
}

#[test]
fn extract_inside_a_namespace_writes_v3_for_the_host() {
    let Some(e) = env() else { return };
    let (a, dst) = archive_and_ns_destination(&e);
    let cap = env!("CARGO_BIN_EXE_captar");
    let out = in_userns(&format!(
        "{cap} extract -f {a} -C {d} && getcap -n {d}/ping && {cap} verify -f {a} -C {d} && {cap} caps scan -n {d}",
        a = a.display(),
        d = dst.display()
    ));
    let text = out.stdout_text();
    assert!(out.status.success(), "{text}\n{}", out.stderr_text());
    // Said: on the host it takes effect only in such a namespace (it was said nothing).
    let err = out.stderr_text();
    assert!(
        err.contains(&format!("captar: 1 capability was written from inside a user namespace: the kernel keeps them for this namespace's root (host uid {NS_ROOT}), so they take effect in this namespace, not on the host")),
        "{err}"
    );
    // Inside, the value reads as v2: no rootid.
    assert!(text.contains(&format!("{}/ping cap_net_raw=ep\n", dst.display())), "{text}");
    assert!(text.contains("0 differences"), "{text}");
    // On the host it is v3 with the namespace's root.
    assert_eq!(getcap_n(&dst.join("ping")), format!("{}/ping cap_net_raw=ep [rootid={NS_ROOT}]\n", dst.display()));
    // captar on the host reads the same rootid as getcap -n, and archives it.
    let b = e.dir.join("b.tar");
    captar().args(["create", "-f"]).arg(&b).arg("-C").arg(&dst).arg(".").ok();
    let listing = captar().args(["list", "--caps", "-f"]).arg(&b).ok().stdout_text();
    assert!(listing.contains(&format!("./ping cap_net_raw=ep [rootid={NS_ROOT}]")), "{listing}");
    let scan = captar().args(["caps", "scan", "-n"]).arg(&dst).ok().stdout_text();
    assert_eq!(scan, getcap_n(&dst.join("ping")));

    // --cap-rootid: keep (as archived), host (v2), or another rootid.
    for (policy, want) in
        [("keep", format!(" [rootid={NS_ROOT}]")), ("host", String::new()), ("200000", " [rootid=200000]".to_string())]
    {
        let out_dir = e.dir.join(format!("host-{policy}"));
        std::fs::create_dir(&out_dir).unwrap();
        let err =
            captar().args(["extract", "--cap-rootid", policy, "-f"]).arg(&b).arg("-C").arg(&out_dir).ok().stderr_text();
        // What the policy changed is counted, once, at the end.
        let note = match policy {
            // As archived: a capability for the namespace's root, which takes effect only there.
            "keep" => format!(
                "captar: 1 capability was written as archived, namespaced (v3 with rootid {NS_ROOT}): such a capability takes effect only in a user namespace whose root is that uid, not here; --cap-rootid host writes capabilities that take effect here\n"
            ),
            "host" => {
                "captar: 1 capability was written as v2, for the host, not as archived (--cap-rootid host)\n".into()
            }
            _ => "captar: 1 capability was written as v3 with rootid 200000, not as archived (--cap-rootid 200000)\n"
                .into(),
        };
        assert_eq!(err, note, "{policy}");
        assert_eq!(
            getcap_n(&out_dir.join("ping")),
            format!("{}/ping cap_net_raw=ep{want}\n", out_dir.display()),
            "{policy}"
        );
        // verify compares what a reader here sees: the archive's v3 value against the disk's,
        // or, with the same --cap-rootid, what extract wrote for it.
        let code = if policy == "keep" { 0 } else { 1 };
        let out = captar().args(["verify", "-f"]).arg(&b).arg("-C").arg(&out_dir).code(code);
        // A difference of the rootid alone is said to be one, with the option that compares
        // as extracted (found by audit: the same sets on both sides, and nothing said).
        let (disk, whom) = match policy {
            "keep" => (String::new(), String::new()),
            "host" => ("none".to_string(), "the host".to_string()),
            r => (r.to_string(), format!("the user namespace whose root is uid {r}")),
        };
        let rootid_note = match policy {
            "keep" => String::new(),
            _ => format!(
                "captar: 1 capability differs only in the rootid of a namespaced (v3) value: the archive's {NS_ROOT}, the disk's {disk}; where the files were restored for {whom}, --cap-rootid {policy} compares the archive's value as that option rewrites it\n"
            ),
        };
        assert_eq!(out.stderr_text(), rootid_note, "{policy}");
        captar().args(["verify", "--cap-rootid", policy, "-f"]).arg(&b).arg("-C").arg(&out_dir).ok();
        // copy checks its copy the same way.
        let copied = e.dir.join(format!("copy-{policy}"));
        let err = captar().args(["copy", "--cap-rootid", policy]).arg(&dst).arg(&copied).ok().stderr_text();
        assert_eq!(err, note, "copy {policy}");
        assert_eq!(
            getcap_n(&copied.join("ping")),
            format!("{}/ping cap_net_raw=ep{want}\n", copied.display()),
            "copy {policy}"
        );
    }
    // `host` inside the namespace: the kernel stores the v2 value for the namespace's root,
    // and the note says so, not "for the host" (found by review).
    let inside = e.dir.join("host-inside");
    std::fs::create_dir(&inside).unwrap();
    chown_ns(&inside);
    let c = e.dir.join("c.tar");
    cmd("setcap").args(["-n", "200000", "cap_net_raw=ep"]).arg(e.dir.join("host-keep/ping")).ok();
    captar().args(["create", "-f"]).arg(&c).arg("-C").arg(e.dir.join("host-keep")).arg(".").ok();
    std::fs::set_permissions(&c, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = in_userns(&format!(
        "{cap} extract --no-same-owner --cap-rootid host -f {} -C {}",
        c.display(),
        inside.display()
    ));
    assert_eq!(
        out.stderr_text(),
        "captar: 1 capability was written as v2, which the kernel stores for this user namespace's root, not as archived (--cap-rootid host; a capability for the host can be written only from the initial namespace)\n"
    );
    assert_eq!(
        getcap_n(&inside.join("ping")),
        format!("{}/ping cap_net_raw=ep [rootid={NS_ROOT}]\n", inside.display())
    );
}

/// In a user namespace whose root is the host's root (`unshare -U -r` run by root: uid map
/// `0 0 1`), the kernel stores what root writes there as v2, for the host: nothing is said of a
/// namespace, with `keep` or `host` (found by audit: such a copy was said to take effect only
/// in the namespace, "host uid 0").
#[test]
fn a_namespace_whose_root_is_the_hosts_writes_for_the_host() {
    let Some(e) = env() else { return };
    let (src, a) = capped_source(&e);
    let cap = env!("CARGO_BIN_EXE_captar");
    for (i, args) in ["extract -f A -C D", "extract --cap-rootid host -f A -C D", "copy SRC D"].iter().enumerate() {
        let d = e.dir.join(format!("d{i}"));
        std::fs::create_dir(&d).unwrap();
        let line = args.replace("A", &a.display().to_string()).replace("SRC", &src.display().to_string());
        let line = line.replace(" D", &format!(" {}", d.display()));
        let out =
            cmd("unshare").args(["-U", "-r", "sh", "-c"]).arg(format!("cat /proc/self/uid_map && {cap} {line}")).run();
        let text = out.stdout_text();
        assert!(
            out.status.success() && text.split_whitespace().take(3).eq(["0", "0", "1"]),
            "{line}: {text}{}",
            out.stderr_text()
        );
        assert!(!out.stderr_text().contains("namespace"), "{line}: {}", out.stderr_text());
        assert_eq!(getcap_n(&d.join("ping")), format!("{}/ping cap_net_raw=ep\n", d.display()), "{line}");
    }
}

/// `--cap-rootid N` with a uid the namespace does not map is refused before anything is
/// written, naming the map (found by audit: every file failed, with a guess at why).
#[test]
fn a_cap_rootid_the_namespace_does_not_map_is_refused() {
    let Some(e) = env() else { return };
    let (a, dst) = archive_and_ns_destination(&e);
    let cap = env!("CARGO_BIN_EXE_captar");
    let out = in_userns(&format!("{cap} extract --cap-rootid 70000 -f {} -C {}", a.display(), dst.display()));
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr_text());
    let want = format!(
        "70000 is no uid of this user namespace (its uid map: 0 {NS_ROOT} 65536), so the kernel takes no capability with that rootid here"
    );
    assert!(out.stderr_text().contains(&want), "{}", out.stderr_text());
    assert_eq!(std::fs::read_dir(&dst).unwrap().count(), 0);
    // One it maps is taken: stored as the host uid it is.
    let out = in_userns(&format!("{cap} extract --cap-rootid 1000 -f {} -C {}", a.display(), dst.display()));
    assert!(out.status.success(), "{}", out.stderr_text());
    let want = format!("{}/ping cap_net_raw=ep [rootid={}]\n", dst.display(), NS_ROOT + 1000);
    assert_eq!(getcap_n(&dst.join("ping")), want);
}

#[test]
fn unmappable_rootid_is_reported_not_crashed_on() {
    let Some(e) = env() else { return };
    let tree = e.dir.join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("foreign"), b"x").unwrap();
    std::fs::write(tree.join("plain"), b"y").unwrap();
    // chown first: it clears capabilities.
    chown_ns(&tree);
    cmd("setcap").args(["-n", "300000", "cap_net_raw=ep"]).arg(tree.join("foreign")).ok();
    let a = e.dir.join("host.tar");
    captar().args(["create", "-f"]).arg(&a).arg("-C").arg(&tree).arg(".").ok();
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cap = env!("CARGO_BIN_EXE_captar");
    // Inside a namespace whose root is 100000, rootid 300000 does not map. Ask the kernel what
    // a reader there gets: EOVERFLOW (documented), or no attribute at all (what 6.x kernels
    // answer through getxattr).
    let probe = in_userns(&format!("getfattr -n security.capability {}", tree.join("foreign").display()));
    let eoverflow = probe.stderr_text().contains("Value too large");
    assert!(eoverflow || probe.stderr_text().contains("No such attribute"), "{}", probe.stderr_text());
    let cases = [
        (format!("{cap} caps scan -n {}", tree.display()), if eoverflow { 2 } else { 0 }),
        // The archive says cap_net_raw=ep [rootid=300000]; a reader here cannot see it.
        (format!("{cap} verify -f {} -C {}", a.display(), tree.display()), if eoverflow { 2 } else { 1 }),
        (format!("cd {t} && {cap} create -f - . > /dev/null", t = tree.display()), if eoverflow { 2 } else { 0 }),
    ];
    for (script, code) in cases {
        let out = in_userns(&script);
        let err = out.stderr_text();
        assert_eq!(out.status.code(), Some(code), "{script}\n{err}\n{}", out.stdout_text());
        assert!(!err.contains("panicked"), "{err}");
        if eoverflow {
            assert!(err.contains("foreign") && err.contains("EOVERFLOW"), "{script}\n{err}");
        } else if script.contains("verify") {
            assert!(
                out.stdout_text()
                    .contains("./foreign: capabilities missing on disk (archive cap_net_raw=ep [rootid=300000])"),
                "{}",
                out.stdout_text()
            );
        }
    }
    // --extra does not read a member again: its error was reported twice (found by review).
    let out = in_userns(&format!("{cap} verify --extra --json -f {} -C {}", a.display(), tree.display()));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let about_foreign = json["errors"].as_array().unwrap().iter().filter(|e| e.to_string().contains("foreign")).count();
    assert_eq!(about_foreign, usize::from(eoverflow), "{json}");
}

/// An archive of `./tool`, setuid, owned by uid 70000 (which the namespace does not map), with
/// the capability `setcap` gives it with `args`; and an empty destination the namespace's root
/// owns.
fn foreign_tool(e: &Env, args: &[&str]) -> (PathBuf, PathBuf) {
    let src = e.dir.join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("tool"), b"binary").unwrap();
    cmd("chown").arg("70000:0").arg(src.join("tool")).ok();
    std::fs::set_permissions(src.join("tool"), std::fs::Permissions::from_mode(0o4755)).unwrap();
    cmd("setcap").args(args).arg(src.join("tool")).ok();
    let a = e.dir.join("a.tar");
    captar().args(["create", "-f"]).arg(&a).arg("-C").arg(&src).arg("./tool").ok();
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o644)).unwrap();
    let dst = e.dir.join("dst");
    std::fs::create_dir(&dst).unwrap();
    chown_ns(&dst);
    (a, dst)
}

/// An owner this namespace does not map (uid 70000; the map covers 0..65536) cannot be set:
/// as GNU tar, that is an error of the member and the file is still extracted, with its
/// capability; unlike GNU tar (as libarchive) without its setuid bit, since it is not owned by
/// whom the archive says.
#[test]
fn an_owner_the_namespace_does_not_map_keeps_the_file_and_its_capability() {
    let Some(e) = env() else { return };
    let (a, dst) = foreign_tool(&e, &["cap_net_raw=ep"]);
    let cap = env!("CARGO_BIN_EXE_captar");
    let out = in_userns(&format!("{cap} extract -f {} -C {}", a.display(), dst.display()));
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr_text());
    let err = out.stderr_text();
    assert!(
        err.contains("./tool: cannot set owner 70000:0") && err.contains("without its setuid/setgid bits"),
        "{err}"
    );
    let md = std::fs::metadata(dst.join("tool")).unwrap();
    assert_eq!((md.permissions().mode() & 0o7777, std::os::unix::fs::MetadataExt::uid(&md)), (0o755, NS_ROOT));
    assert_eq!(getcap_n(&dst.join("tool")), format!("{}/tool cap_net_raw=ep [rootid={NS_ROOT}]\n", dst.display()));
}

/// A file made in a setgid directory whose group this namespace does not map (host gid 0; the
/// map covers host 100000..165536) takes that group, and the kernel then refuses its capability
/// with EPERM, whatever the writer holds: the error names the unmapped group, where it said
/// CAP_SETFCAP was missing, which the namespace's root held (found by audit).
#[test]
fn a_group_the_namespace_does_not_map_is_named_when_a_capability_is_refused() {
    let Some(e) = env() else { return };
    let (a, dst) = archive_and_ns_destination(&e);
    std::os::unix::fs::chown(&dst, Some(NS_ROOT), Some(0)).unwrap();
    std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o2777)).unwrap();
    let cap = env!("CARGO_BIN_EXE_captar");
    let out = in_userns(&format!("{cap} extract --no-same-owner -f {} -C {}", a.display(), dst.display()));
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr_text());
    let err = out.stderr_text();
    assert!(
        err.starts_with(
            "captar: ./ping: cannot restore cap_net_raw=ep: the file's group is none of this user namespace's (shown here as 65534), and the kernel sets a capability only on a file whose owner and group both map, whatever the writer holds;"
        ),
        "{err}"
    );
    assert!(!err.contains("CAP_SETFCAP"), "{err}");
    // Extracted by the namespace's uid 65534 (which it maps; it holds CAP_SETFCAP as an
    // ambient capability), the file's owner shows as 65534 too: the group outside the map is
    // still the one named (found by review: the owner was blamed).
    let dst2 = e.dir.join("dst2");
    std::fs::create_dir(&dst2).unwrap();
    std::os::unix::fs::chown(&dst2, Some(NS_ROOT + 65534), Some(0)).unwrap();
    std::fs::set_permissions(&dst2, std::fs::Permissions::from_mode(0o2777)).unwrap();
    let as_nobody = "setpriv --reuid=65534 --regid=65534 --keep-groups --inh-caps=+setfcap --ambient-caps=+setfcap";
    let out = in_userns(&format!("{as_nobody} {cap} extract --no-same-owner -f {} -C {}", a.display(), dst2.display()));
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr_text());
    let err = out.stderr_text();
    assert!(
        err.starts_with("captar: ./ping: cannot restore cap_net_raw=ep: the file's group is none of this user namespace's (shown here as 65534)"),
        "{err}"
    );
}

/// A backup made on the host of a rootless container's files holds rootid 100000 (or 101000,
/// a capability for the container's uid 1000), the host's uids; extracted inside the container
/// as archived, the kernel reads a rootid as one of the namespace's uids and refuses it. The
/// error says so, not as a guess, and names the `--cap-rootid` that writes the same stored
/// value; verify then says which difference is only the namespace's view of it.
#[test]
fn a_host_rootid_refused_inside_names_the_policy_that_writes_it() {
    let Some(e) = env() else { return };
    let cap = env!("CARGO_BIN_EXE_captar");
    for (rootid, policy) in [(NS_ROOT, "host".to_string()), (NS_ROOT + 1000, "1000".to_string())] {
        let src = e.dir.join(format!("src{rootid}"));
        std::fs::create_dir(&src).unwrap();
        std::fs::write(src.join("tool"), b"binary").unwrap();
        cmd("setcap").args(["-n", &rootid.to_string(), "cap_net_raw=ep"]).arg(src.join("tool")).ok();
        let a = e.dir.join(format!("{rootid}.tar"));
        captar().args(["create", "-f"]).arg(&a).arg("-C").arg(&src).arg("./tool").ok();
        std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o644)).unwrap();
        let dst = e.dir.join(format!("dst{rootid}"));
        std::fs::create_dir(&dst).unwrap();
        chown_ns(&dst);
        let (a, d) = (a.display(), dst.display());
        let out = in_userns(&format!("{cap} extract -f {a} -C {d}"));
        assert_eq!(out.status.code(), Some(2), "{}", out.stderr_text());
        let inside = rootid - NS_ROOT;
        let whom = if inside == 0 { "this namespace's root".to_string() } else { format!("its uid {inside}") };
        let want = format!(
            "captar: ./tool: cannot restore cap_net_raw=ep [rootid={rootid}]: its rootid, {rootid}, is no uid of this user namespace (its uid map: 0 {NS_ROOT} 65536), so the kernel takes no such value here; if the archive was made outside, uid {rootid} there is {whom}: --cap-rootid {policy} writes the same value\n"
        );
        let err = out.stderr_text();
        assert!(err.starts_with(&want), "{err}");
        // As the error says: stored as archived.
        let out = in_userns(&format!("{cap} extract -q --cap-rootid {policy} -f {a} -C {d}"));
        assert!(out.status.success(), "{}", out.stderr_text());
        assert_eq!(getcap_n(&dst.join("tool")), format!("{d}/tool cap_net_raw=ep [rootid={rootid}]\n"));
        // verify as archived: the disk reads the value as this namespace sees it; the note
        // says which policy compares it as stored.
        let out = in_userns(&format!("{cap} verify -f {a} -C {d}"));
        assert_eq!(out.status.code(), Some(1), "{}", out.stdout_text());
        let shown = if inside == 0 { String::new() } else { format!(" [rootid={inside}]") };
        assert!(
            out.stdout_text().contains(&format!(
                "./tool: capabilities differ: archive cap_net_raw=ep [rootid={rootid}], disk cap_net_raw=ep{shown}"
            )),
            "{}",
            out.stdout_text()
        );
        assert!(
            out.stderr_text().contains(&format!(
                "captar: 1 capability differs only as this user namespace reads it: the archive's rootid {rootid} is {} as seen from outside (uid map: 0 {NS_ROOT} 65536); if the archive was made outside, --cap-rootid {policy} compares it as stored",
                if inside == 0 { "this namespace's root".to_string() } else { format!("this namespace's uid {inside}") }
            )),
            "{}",
            out.stderr_text()
        );
        let out = in_userns(&format!("{cap} verify --cap-rootid {policy} -f {a} -C {d}"));
        assert!(out.status.success(), "{}{}", out.stdout_text(), out.stderr_text());
    }
}

/// Many rootids that differ only as the namespace reads them: a line for each of the first
/// four, the others counted in one.
#[test]
fn many_rootids_seen_from_inside_are_said_in_a_few_lines() {
    let Some(e) = env() else { return };
    let src = e.dir.join("src");
    std::fs::create_dir(&src).unwrap();
    for i in 1..=6 {
        let f = src.join(format!("t{i}"));
        std::fs::write(&f, b"binary").unwrap();
        cmd("setcap").args(["-n", &(NS_ROOT + i).to_string(), "cap_net_raw=ep"]).arg(&f).ok();
    }
    let a = e.dir.join("a.tar");
    captar().args(["create", "-f"]).arg(&a).arg("-C").arg(&src).arg(".").ok();
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cap = env!("CARGO_BIN_EXE_captar");
    let out = in_userns(&format!("{cap} verify -f {} -C {}", a.display(), src.display()));
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout_text());
    let err = out.stderr_text();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 5, "{err}");
    for (line, i) in lines.iter().zip(1..=4) {
        assert!(
            line.contains(&format!("the archive's rootid {} is this namespace's uid {i} as seen", NS_ROOT + i)),
            "{err}"
        );
    }
    assert_eq!(
        lines[4],
        "captar: and 2 more capabilities differ only as this user namespace reads them, of other rootids"
    );
}

/// Without /proc (a rescue chroot made by hand), the uid map cannot be read: the process is
/// taken to be the host's, as the kernel wrote v2 for it, and nothing is said of a namespace
/// (found by audit: "written from inside a user namespace" was said of every capability).
#[test]
fn without_proc_capabilities_are_not_said_to_be_namespaced() {
    let Some(e) = env() else { return };
    let (a, dst) = archive_and_ns_destination(&e);
    let cap = env!("CARGO_BIN_EXE_captar");
    let copied = e.dir.join("copied");
    let out = cmd("unshare")
        .args(["-m", "sh", "-c"])
        .arg(format!(
            "mount -t tmpfs none /proc && {cap} extract -f {} -C {} && {cap} copy {} {}",
            a.display(),
            dst.display(),
            dst.display(),
            copied.display()
        ))
        .run();
    assert!(out.status.success(), "{}", out.stderr_text());
    assert_eq!(out.stderr_text(), "");
    for d in [&dst, &copied] {
        assert_eq!(getcap_n(&d.join("ping")), format!("{}/ping cap_net_raw=ep\n", d.display()));
    }
}

/// A member whose owner and capability both fail (inside the namespace: owner 70000 and rootid
/// 100000, a host id, do not map) is named for both with `--keep-going`: the owner's error was
/// dropped when the capability failed too.
#[test]
fn an_owner_and_a_capability_that_both_fail_are_both_named() {
    let Some(e) = env() else { return };
    let (a, dst) = foreign_tool(&e, &["-n", &NS_ROOT.to_string(), "cap_net_raw=ep"]);
    let cap = env!("CARGO_BIN_EXE_captar");
    let out = in_userns(&format!("{cap} extract --keep-going -f {} -C {}", a.display(), dst.display()));
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr_text());
    let err = out.stderr_text();
    assert!(err.contains("./tool: cannot set owner 70000:0"), "{err}");
    assert!(err.contains("./tool: cannot restore cap_net_raw=ep [rootid=100000]"), "{err}");
    assert!(err.contains("1 capability was not restored"), "{err}");
}

/// `caps scan --risk` inside the namespace: a file of host root's shows as the overflow uid
/// (65534), an owner the namespace cannot see: `owner-unmapped`, not `owner-not-root` as before
/// (found by review). A file of the namespace's root passes; one of its uid 5 is flagged.
#[test]
fn scan_risk_names_an_owner_the_namespace_does_not_map() {
    let Some(e) = env() else { return };
    let d = e.dir.join("scan");
    std::fs::create_dir(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    for (name, owner) in [("hostroot", 0), ("nsroot", NS_ROOT), ("ns5", NS_ROOT + 5)] {
        let f = d.join(name);
        std::fs::write(&f, b"").unwrap();
        std::os::unix::fs::chown(&f, Some(owner), None).unwrap();
        cmd("setcap").arg("cap_net_raw=ep").arg(&f).ok();
    }
    let cap = env!("CARGO_BIN_EXE_captar");
    let out = in_userns(&format!("cd {} && {cap} caps scan --risk . | sort", d.display()));
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr_text());
    let risk = "[risk=moderate:cap_net_raw]";
    assert_eq!(
        out.stdout_text(),
        format!(
            "./hostroot cap_net_raw=ep {risk} [file-risk=owner-unmapped]\n\
             ./ns5 cap_net_raw=ep {risk} [file-risk=owner-not-root]\n\
             ./nsroot cap_net_raw=ep {risk}\n"
        )
    );
    // The same where /proc is not mounted, which cannot tell the namespace: it is allowed for
    // (found by review: host root's file was flagged owner-not-root there).
    let hidden = format!(
        "unshare -m sh -c 'mount -t tmpfs none /proc && cd {} && {cap} caps scan --risk . | sort'",
        d.display()
    );
    let out_hidden = in_userns(&hidden);
    assert_eq!((out_hidden.stdout_text(), out_hidden.stderr_text()), (out.stdout_text(), String::new()));
    // In the initial namespace, the same files as they are: uid 100005's is not root's, and
    // 100000's neither (a v2 capability: its root is host root).
    let out = captar().current_dir(&d).args(["caps", "scan", "--risk", "."]).ok();
    let mut lines: Vec<&str> = out.stdout_text().leak().lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("./hostroot cap_net_raw=ep {risk}"),
            format!("./ns5 cap_net_raw=ep {risk} [file-risk=owner-not-root]"),
            format!("./nsroot cap_net_raw=ep {risk} [file-risk=owner-not-root]"),
        ]
    );
}
