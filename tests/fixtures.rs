//! Archives made by GNU tar, bsdtar and by hand (fixtures/make.sh), read by captar. The listing
//! tests need no root: they compare `captar list --json` with fixtures/EXPECTED, which the
//! script wrote from the source tree, not by hand.

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use util::{OutputExt, captar};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// EXPECTED, as archive name → lines.
fn expected() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(fixtures().join("EXPECTED")).unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = None;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.to_string());
            out.entry(name.to_string()).or_default();
        } else {
            out.get_mut(current.as_ref().unwrap()).unwrap().push(line.to_string());
        }
    }
    out
}

/// captar's listing in EXPECTED's line format.
fn listing(archive: &Path) -> Vec<String> {
    let out = captar().args(["list", "--json", "-f"]).arg(archive).ok();
    assert!(out.stderr.is_empty(), "{}", out.stderr_text());
    out.stdout_text()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().map(str::to_string);
            let kind = match s("type").unwrap().as_str() {
                "hardlink" => "hardlink".to_string(),
                other => other.to_string(),
            };
            format!(
                "{}\t{}\t{}\t{}:{}\t{}\t{}\t{}",
                s("path").unwrap().trim_end_matches('/'),
                kind,
                s("mode").unwrap(),
                v["uid"],
                v["gid"],
                s("mtime").unwrap(),
                s("caps_hex").unwrap_or_else(|| "-".into()),
                s("link").unwrap_or_else(|| "-".into()),
            )
        })
        .collect()
}

#[test]
fn every_fixture_lists_as_expected() {
    let all = expected();
    assert!(all.len() >= 8, "EXPECTED has {} sections", all.len());
    for (name, want) in &all {
        let got = listing(&fixtures().join(name));
        assert_eq!(&got, want, "{name}");
    }
}

#[test]
fn gnu_tar_compare_of_listing_names() {
    if !util::require_tool("tar") {
        return;
    }
    for name in ["gnutar-pax-xattrs.tar", "gnutar-gnu.tar", "gnutar-ustar.tar", "bsdtar-pax.tar"] {
        let a = fixtures().join(name);
        let ours = captar().args(["list", "-f"]).arg(&a).ok().stdout;
        let gnu = util::cmd("tar").args(["--warning=no-unknown-keyword", "-tf"]).arg(&a).ok().stdout;
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&gnu), "{name}");
    }
}

/// Extracting each pax fixture restores every capability EXPECTED names, byte for byte — v1
/// values converted to v2, which is all the kernel accepts.
#[test]
fn pax_fixtures_restore_their_capabilities() {
    let all = expected();
    for name in [
        "gnutar-pax-xattrs.tar",
        "gnutar-pax-xattrs.tar.zst",
        "bsdtar-pax.tar",
        "bsdtar-pax.tar.gz",
        "v1-capability.tar",
        "libarchive-key-only.tar",
    ] {
        let dst = util::tempdir();
        if !util::require_root("setting security.capability needs CAP_SETFCAP") || !util::require_xattr_fs(dst.path()) {
            return;
        }
        let err =
            captar().args(["extract", "-f"]).arg(fixtures().join(name)).arg("-C").arg(dst.path()).ok().stderr_text();
        // The conversion is counted at the end; nothing else is said.
        let v1s = all[name].iter().filter(|l| l.split('\t').nth(5).is_some_and(|v| v.len() == 24)).count();
        let mut note = match v1s {
            0 => String::new(),
            1 => "captar: 1 capability was archived as v1 and written as v2 (the kernel takes no v1)\n".into(),
            n => format!("captar: {n} capabilities were archived as v1 and written as v2 (the kernel takes no v1)\n"),
        };
        // A v3 value (24 bytes) with a rootid that is not 0 takes effect only in another
        // namespace: said once, with its rootids.
        let mut rootids: Vec<String> = Vec::new();
        let mut namespaced = 0;
        for line in &all[name] {
            let Some(v) = line.split('\t').nth(5).filter(|v| v.len() == 48) else { continue };
            let rootid = u32::from_le_bytes(std::array::from_fn(|i| {
                u8::from_str_radix(&v[40 + 2 * i..42 + 2 * i], 16).unwrap()
            }));
            if rootid != 0 {
                namespaced += 1;
                if !rootids.contains(&rootid.to_string()) {
                    rootids.push(rootid.to_string());
                }
            }
        }
        if namespaced > 0 {
            let what = if namespaced == 1 {
                "1 capability was".to_string()
            } else {
                format!("{namespaced} capabilities were")
            };
            let ids = if rootids.len() == 1 { "rootid" } else { "rootids" };
            note += &format!(
                "captar: {what} written as archived, namespaced (v3 with {ids} {}): such a capability takes effect only in a user namespace whose root is that uid, not here; --cap-rootid host writes capabilities that take effect here\n",
                rootids.join(", ")
            );
        }
        // Xattrs besides the capability (list's `xattrs`), which no option asked for: said once.
        let listed = captar().args(["list", "--json", "-f"]).arg(fixtures().join(name)).ok().stdout_text();
        let with_xattrs = listed
            .lines()
            .filter(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["xattrs"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty())
            })
            .count();
        if with_xattrs > 0 {
            let members = if with_xattrs == 1 { "1 member".to_string() } else { format!("{with_xattrs} members") };
            note += &format!(
                "captar: the archive holds xattrs or ACLs besides capabilities ({members}), not restored: pass --xattrs (user.*) or --xattrs-include='*' (all), and --acls, to restore them (GNU tar restores them only so too; bsdtar -p restores them)\n"
            );
        }
        assert_eq!(err, note, "{name}");
        for line in &all[name] {
            let f: Vec<&str> = line.split('\t').collect();
            if f[1] != "file" {
                continue;
            }
            let got = captar::xattr::get_path(&dst.path().join(f[0]), "security.capability".as_ref()).unwrap();
            let got = got.map(|v| util::hex(&v)).unwrap_or_else(|| "-".into());
            let want = match f[5] {
                // A v1 value (revision byte 01) is restored as the same set in v2.
                v1 if v1.len() == 24 => format!("{}02{}00000000{}", &v1[..6], &v1[8..24], "00000000"),
                other => other.to_string(),
            };
            assert_eq!(got, want, "{name}: {}", f[0]);
        }
    }
}
