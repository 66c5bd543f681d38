//! The capability model against the installed libcap: for each text, `setcap TEXT FILE` writes a
//! value, and captar must agree on everything the tools show. `parse_text(TEXT).encode()` must be
//! the bytes setcap wrote (or fail where setcap fails), and `FileCaps::decode(bytes).text()` must
//! be what getcap prints. Needs root (CAP_SETFCAP), setcap and getcap; skips otherwise (a failure
//! when `CI` is set).

mod util;

use std::path::{Path, PathBuf};

use captar::caps::{FileCaps, LAST_KNOWN_CAP, Revision, cap_label, parse_text};
use util::{OutputExt, cmd, hex};

/// A temporary directory holding one empty file to set capabilities on; `None` after a skip.
fn target() -> Option<(tempfile::TempDir, PathBuf)> {
    let dir = util::tempdir();
    if !util::require_root("set file capabilities")
        || !util::require_tool("setcap")
        || !util::require_tool("getcap")
        || !util::require_xattr_fs(dir.path())
    {
        return None;
    }
    let file = dir.path().join("f");
    std::fs::write(&file, b"").unwrap();
    Some((dir, file))
}

/// `setcap [-n ROOTID] TEXT FILE`, then the raw value it wrote; `Err` with setcap's message when
/// it refuses the text.
fn setcap(text: &str, rootid: Option<u32>, file: &Path) -> Result<Vec<u8>, String> {
    let mut c = cmd("setcap");
    if let Some(r) = rootid {
        c = c.args(["-n", &r.to_string()]);
    }
    let out = c.arg(text).arg(file).run();
    if !out.status.success() {
        return Err(out.stderr_text());
    }
    Ok(captar::xattr::get_path(file, "security.capability".as_ref())
        .expect("reading security.capability")
        .expect("setcap succeeded but wrote no security.capability"))
}

/// What getcap prints after the file name (`getcap -n` with `rootid`).
fn getcap(file: &Path, rootid: bool) -> String {
    let mut c = cmd("getcap");
    if rootid {
        c = c.arg("-n");
    }
    let out = c.arg(file).ok().stdout_text();
    let prefix = format!("{} ", file.display());
    out.strip_suffix('\n')
        .and_then(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("unexpected getcap output {out:?}"))
        .to_string()
}

/// Checks captar against setcap and getcap for one text.
fn check(text: &str, file: &Path) {
    match (setcap(text, None, file), parse_text(text)) {
        (Ok(raw), Ok(caps)) => {
            assert_eq!(hex(&caps.encode()), hex(&raw), "parse_text({text:?}).encode() differs from setcap's value");
            let decoded = FileCaps::decode(&raw).unwrap_or_else(|e| panic!("{text:?}: decode({}): {e}", hex(&raw)));
            assert_eq!(decoded.text(), getcap(file, false), "text() of setcap {text:?} ({})", hex(&raw));
        }
        (Err(_), Err(_)) => {}
        (Ok(raw), Err(e)) => panic!("setcap accepts {text:?} (writing {}), captar rejects it: {e}", hex(&raw)),
        (Err(msg), Ok(caps)) => {
            panic!("setcap rejects {text:?} ({}), captar accepts it as {caps:?}", msg.trim())
        }
    }
}

#[test]
fn every_capability_alone() {
    let Some((_dir, file)) = target() else { return };
    for n in 0..=LAST_KNOWN_CAP {
        for flags in ["ep", "p", "i", "eip"] {
            check(&format!("{}={flags}", cap_label(n)), &file);
        }
    }
}

#[test]
fn sets_and_odd_texts() {
    let Some((_dir, file)) = target() else { return };
    let texts = [
        "=ep",
        "=",
        "",
        "cap_net_raw=p",
        "cap_net_raw=i",
        "cap_net_raw+ep",
        "cap_net_admin,cap_net_raw=eip",
        "cap_setuid=i cap_net_raw+p",
        "cap_chown,cap_kill=ep cap_sys_admin+i",
        "cap_chown,cap_kill=ep cap_sys_admin+ei",
        "cap_chown,cap_kill=ep cap_sys_admin=i",
        "all=p",
        "ALL=eip",
        "=ep cap_sys_admin-ep",
        "=eip cap_chown-i",
        "=p cap_chown+i cap_kill-p",
        "=i cap_setfcap-i cap_bpf+p",
        "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20=p",
        "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19=p",
        "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20=ep 21,22=i",
        // 0x0A bytes in the value.
        "cap_dac_override,cap_fowner=ep",
        "cap_dac_override,cap_fowner=i",
        "cap_mac_admin,cap_wake_alarm=p",
        "cap_dac_override,cap_fowner,cap_mac_admin,cap_wake_alarm=eip",
        // Numbers, bits without a name.
        "45=ep",
        "41+p",
        "63=i",
        "=ep 41,42+ep",
        "cap_chown=i 45+p",
        "0x2d=ep",
        "0X3F=p",
        "010=ep",
        "077=p",
        "64=p",
        "0x40=p",
        "08=p",
        "0x=p",
        "all,45=p",
        "45,all=p",
        // Case, whitespace, several actions.
        "CAP_CHOWN=ep",
        "Cap_Net_Raw=eip",
        "cap_chown=EP",
        "cap_chown=p\tcap_kill=i",
        "  cap_chown=p \n ",
        "cap_chown=p+e",
        "cap_chown=p=e",
        "cap_chown=+p",
        "cap_chown=-p",
        "cap_chown=",
        "cap_chown=pp",
        "cap_chown=p++e",
        "=+p",
        "cap_chown",
        "cap_chown =p",
        "cap_chown,=p",
        ",cap_chown=p",
        "cap_chown=p,",
        "cap_chown+",
        "cap_chown=p-",
        "=p-e",
        "=p+e",
        // The effective bit: empty, or a superset of permitted|inheritable.
        "cap_chown=e",
        "=e",
        "cap_chown=ep cap_kill=e",
        "cap_chown=ep cap_chown-p",
        "cap_chown+e cap_kill+p",
        "=ep 45+i",
        "=ep cap_net_raw-e",
        "all=ep all-p",
        // Names that are not.
        "foo=p",
        "cap_chown2=p",
        "all_x=p",
        "_cap=p",
        "cap_chöwn=p",
    ];
    for text in texts {
        check(text, &file);
    }
}

/// A small deterministic generator (SplitMix64), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Random texts from the grammar's pieces, valid and not, each checked against setcap.
#[test]
fn random_texts() {
    let Some((_dir, file)) = target() else { return };
    let mut rng = Rng(0x5eed_cafe);
    let flags = ["", "e", "i", "p", "ep", "ip", "eip", "pe", "x", "E"];
    for _ in 0..300 {
        let mut text = String::new();
        for c in 0..=rng.below(3) {
            if c > 0 {
                text.push_str(rng.pick(&[" ", "\t", "  "]));
            }
            for i in 0..rng.below(4) {
                if i > 0 {
                    text.push(',');
                }
                let item = match rng.below(10) {
                    0 => "all".to_string(),
                    1 => (rng.below(70)).to_string(),
                    2 => format!("{:#x}", rng.below(70)),
                    3 => cap_label(rng.below(41) as u32).to_ascii_uppercase(),
                    _ => cap_label(rng.below(41) as u32).into_owned(),
                };
                text.push_str(&item);
            }
            text.push_str(rng.pick(&["=", "=", "+", "-", "=+", "=-"]));
            text.push_str(rng.pick(&flags));
            for _ in 0..rng.below(3) {
                text.push_str(rng.pick(&["+", "-"]));
                text.push_str(rng.pick(&flags));
            }
        }
        if text.starts_with('-') {
            // setcap would read these as options; captar must reject them as texts.
            assert!(parse_text(&text).is_err(), "{text:?}");
            continue;
        }
        check(&text, &file);
    }
}

#[test]
fn rootid_like_setcap_n_and_getcap_n() {
    let Some((_dir, file)) = target() else { return };
    for (text, rootid) in
        [("cap_net_raw=ep", 100000), ("cap_chown=p", 10), ("=ep", 65534), ("cap_kill=i", 3_000_000_000)]
    {
        let raw = setcap(text, Some(rootid), &file).unwrap_or_else(|e| panic!("setcap -n {rootid} {text}: {e}"));
        let caps = FileCaps::decode(&raw).unwrap();
        assert_eq!((caps.revision, caps.rootid), (Revision::V3, Some(rootid)), "{}", hex(&raw));
        assert_eq!(hex(&parse_text(text).unwrap().with_rootid(rootid).encode()), hex(&raw));
        assert_eq!(caps.text(), getcap(&file, false));
        assert_eq!(format!("{}{}", caps.text(), caps.rootid_suffix()), getcap(&file, true), "rootid {rootid}");
    }
    // setcap refuses `-n 0`; a v3 value with rootid 0, written directly, is the host's root: the
    // kernel shows it as v2.
    let v3 = parse_text("cap_net_raw=ep").unwrap().with_rootid(0).encode();
    captar::xattr::set_path(&file, "security.capability".as_ref(), &v3).unwrap();
    let raw = captar::xattr::get_path(&file, "security.capability".as_ref()).unwrap().unwrap();
    assert_eq!(FileCaps::decode(&raw).unwrap(), parse_text("cap_net_raw=ep").unwrap());
}
