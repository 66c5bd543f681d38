//! The capability model against data taken from the real tools: every row was made by `setcap TEXT`
//! on ext4 (libcap 2.66, Linux 6.18), the raw value read back with getfattr, and `getcap` run on it.
//! tests/caps_libcap.rs re-checks the same kind of rows against the installed tools.

use super::risk::{DOCKER_DEFAULT, RiskClass, describe, describe_mask, highest, risk_of};
use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// (text given to setcap, raw xattr value in hex, what getcap prints).
const TABLE: &[(&str, &str, &str)] = &[
    ("cap_net_raw=ep", "01000002 00200000 00000000 00000000 00000000", "cap_net_raw=ep"),
    ("cap_net_raw+ep", "01000002 00200000 00000000 00000000 00000000", "cap_net_raw=ep"),
    (
        "cap_dac_override,cap_fowner=ep",
        "01000002 0a000000 00000000 00000000 00000000",
        "cap_dac_override,cap_fowner=ep",
    ),
    ("=ep", "01000002 ffffffff 00000000 ff010000 00000000", "=ep"),
    ("=", "00000002 00000000 00000000 00000000 00000000", "="),
    ("", "00000002 00000000 00000000 00000000 00000000", "="),
    (" ", "00000002 00000000 00000000 00000000 00000000", "="),
    ("cap_net_raw=p", "00000002 00200000 00000000 00000000 00000000", "cap_net_raw=p"),
    ("cap_net_raw=i", "00000002 00000000 00200000 00000000 00000000", "cap_net_raw=i"),
    ("cap_net_raw=eip", "01000002 00200000 00200000 00000000 00000000", "cap_net_raw=eip"),
    ("cap_net_admin,cap_net_raw=eip", "01000002 00300000 00300000 00000000 00000000", "cap_net_admin,cap_net_raw=eip"),
    ("cap_setuid=i cap_net_raw+p", "00000002 00200000 80000000 00000000 00000000", "cap_setuid=i cap_net_raw+p"),
    (
        "cap_chown,cap_kill=ep cap_sys_admin+ei",
        "01000002 21000000 00002000 00000000 00000000",
        "cap_sys_admin=ei cap_chown,cap_kill+ep",
    ),
    ("all=p", "00000002 ffffffff 00000000 ff010000 00000000", "=p"),
    ("ALL=ep", "01000002 ffffffff 00000000 ff010000 00000000", "=ep"),
    ("=ep cap_sys_admin-ep", "01000002 ffffdfff 00000000 ff010000 00000000", "=ep cap_sys_admin-ep"),
    ("=eip cap_chown-i", "01000002 ffffffff feffffff ff010000 ff010000", "=eip cap_chown-i"),
    ("=p cap_chown+i cap_kill-p", "00000002 dfffffff 01000000 ff010000 00000000", "=p cap_chown+i cap_kill-p"),
    // 21 of the 41 named caps: the most common state is p.
    (
        "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20=p",
        "00000002 ffff1f00 00000000 00000000 00000000",
        "=p cap_sys_admin,cap_sys_boot,cap_sys_nice,cap_sys_resource,cap_sys_time,cap_sys_tty_config,\
         cap_mknod,cap_lease,cap_audit_write,cap_audit_control,cap_setfcap,cap_mac_override,cap_mac_admin,\
         cap_syslog,cap_wake_alarm,cap_block_suspend,cap_audit_read,cap_perfmon,cap_bpf,cap_checkpoint_restore-p",
    ),
    // 20 of 41: "none" is the most common state, and `= names+p` is written `names=p`.
    (
        "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19=p",
        "00000002 ffff0f00 00000000 00000000 00000000",
        "cap_chown,cap_dac_override,cap_dac_read_search,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,\
         cap_setpcap,cap_linux_immutable,cap_net_bind_service,cap_net_broadcast,cap_net_admin,cap_net_raw,\
         cap_ipc_lock,cap_ipc_owner,cap_sys_module,cap_sys_rawio,cap_sys_chroot,cap_sys_ptrace=p",
    ),
    // Bits above the last named capability print as numbers, always with `+`.
    ("45=ep", "01000002 00000000 00000000 00200000 00000000", "= 45+ep"),
    ("63+p", "00000002 00000000 00000000 00000080 00000000", "= 63+p"),
    ("cap_chown=i 45+p", "00000002 00000000 01000000 00200000 00000000", "cap_chown=i 45+p"),
    ("0x2d=ep", "01000002 00000000 00000000 00200000 00000000", "= 45+ep"),
    ("0x3f=p", "00000002 00000000 00000000 00000080 00000000", "= 63+p"),
    ("077=p", "00000002 00000000 00000000 00000080 00000000", "= 63+p"),
    ("010=ep", "01000002 00010000 00000000 00000000 00000000", "cap_setpcap=ep"),
    ("=ep 41,42+ep", "01000002 ffffffff 00000000 ff070000 00000000", "=ep 41,42+ep"),
    ("all,45=p", "00000002 ffffffff 00000000 ff210000 00000000", "=p 45+p"),
    ("45,all=p", "00000002 ffffffff 00000000 ff010000 00000000", "=p"),
    ("CAP_CHOWN=ep", "01000002 01000000 00000000 00000000 00000000", "cap_chown=ep"),
    ("Cap_Net_Raw=eip", "01000002 00200000 00200000 00000000 00000000", "cap_net_raw=eip"),
    // 0x0A bytes (a newline) in the high words and in the low word.
    (
        "cap_mac_admin,cap_wake_alarm=p",
        "00000002 00000000 00000000 0a000000 00000000",
        "cap_mac_admin,cap_wake_alarm=p",
    ),
    ("cap_dac_override,cap_fowner=i", "00000002 00000000 0a000000 00000000 00000000", "cap_dac_override,cap_fowner=i"),
    // The effective bit over empty sets: accepted by setcap, shown as "=".
    ("cap_chown=e", "01000002 00000000 00000000 00000000 00000000", "="),
    ("=e", "01000002 00000000 00000000 00000000 00000000", "="),
    ("cap_chown=ep cap_chown-p", "01000002 00000000 00000000 00000000 00000000", "="),
    ("cap_sys_admin=ep cap_sys_admin-p", "01000002 00000000 00000000 00000000 00000000", "="),
    ("all=ep all-p", "01000002 00000000 00000000 00000000 00000000", "="),
    // Several actions in one clause, `=+`, `=-`, a bare `=`.
    ("cap_chown=p+e", "01000002 01000000 00000000 00000000 00000000", "cap_chown=ep"),
    ("cap_chown=+p", "00000002 01000000 00000000 00000000 00000000", "cap_chown=p"),
    ("cap_chown=-p", "00000002 00000000 00000000 00000000 00000000", "="),
    ("cap_chown=", "00000002 00000000 00000000 00000000 00000000", "="),
    ("cap_chown=pp", "00000002 01000000 00000000 00000000 00000000", "cap_chown=p"),
    ("cap_chown=ep cap_kill=e", "01000002 01000000 00000000 00000000 00000000", "cap_chown=ep"),
    (
        "cap_net_raw,cap_net_admin=p cap_sys_admin=i",
        "00000002 00300000 00002000 00000000 00000000",
        "cap_sys_admin=i cap_net_admin,cap_net_raw+p",
    ),
    ("=i cap_setfcap-i cap_bpf+p", "00000002 00000000 ffffff7f 80000000 ff010000", "=i cap_bpf+p cap_setfcap-i"),
    ("cap_checkpoint_restore=eip", "01000002 00000000 00000000 00010000 00010000", "cap_checkpoint_restore=eip"),
    ("cap_chown=p\tcap_kill=i", "00000002 01000000 20000000 00000000 00000000", "cap_kill=i cap_chown+p"),
    ("cap_chown=p\x0bcap_kill=i", "00000002 01000000 20000000 00000000 00000000", "cap_kill=i cap_chown+p"),
];

/// Texts setcap refuses ("fatal error: Invalid argument" or the effective-set NOTE).
const REJECTED: &[&str] = &[
    "cap_chown=EP",
    "08=ep",
    "cap_chown=p=e",
    "=+p",
    "=p+e",
    "=p-e",
    "cap_chown",
    "cap_chown,=p",
    "cap_chown=p+",
    "cap_chown=p-",
    "cap_chown=ep+",
    "cap_chown+",
    "cap_chown=p++e",
    "cap_chown=p+-e",
    "+p",
    "-p",
    "cap_chown=ep,",
    "cap_chown+p,",
    "cap_chown=p,",
    ",cap_chown=p",
    "64=p",
    "0x40=p",
    "1000000000000000000000=p",
    "0x=p",
    "all=p -e",
    "cap_chown+e cap_kill+p",
    "=ep 45+i",
    "=ep cap_net_raw-e",
    "cap_chown,cap_kill=ep cap_sys_admin+i",
    "foo=p",
    "cap_chown=x",
    "cap_chown =p",
    "cap_chown=e p",
    "_cap=p",
    "cap_chown,,cap_kill=p",
    "all_x=p",
    "cap_chown2=p",
    "cap_chöwn=p",
    "cap_chown=ep\0",
];

#[test]
fn table_drives_encode_decode_format_and_parse() {
    for &(text, raw, getcap) in TABLE {
        let raw = hex(raw);
        let parsed = parse_text(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(parsed.encode(), raw, "parse_text({text:?}).encode()");
        let decoded = FileCaps::decode(&raw).unwrap();
        assert_eq!(decoded, parsed, "{text:?}");
        assert_eq!(decoded.text(), getcap, "text() of {text:?}");
        assert_eq!(decoded.encode(), raw, "{text:?}");
        // getcap's own output parses back to the same value, except that the effective bit over
        // empty sets prints as "=" (the text form cannot say "effective, but nothing").
        let reparsed = parse_text(getcap).unwrap();
        if decoded.effective && decoded.is_empty() {
            assert_eq!(reparsed, FileCaps::empty(), "{getcap:?}");
        } else {
            assert_eq!(reparsed, decoded, "parse_text({getcap:?})");
        }
    }
}

#[test]
fn texts_setcap_rejects_are_rejected() {
    for text in REJECTED {
        assert!(parse_text(text).is_err(), "{text:?} was accepted as {:?}", parse_text(text));
    }
}

#[test]
fn every_single_capability() {
    for n in 0..64u32 {
        let label = cap_label(n);
        for (flags, effective, p, i) in
            [("ep", true, true, false), ("p", false, true, false), ("i", false, false, true)]
        {
            let caps = parse_text(&format!("{label}={flags}")).unwrap();
            let bit = 1u64 << n;
            let want = FileCaps {
                revision: Revision::V2,
                effective,
                permitted: if p { bit } else { 0 },
                inheritable: if i { bit } else { 0 },
                rootid: None,
            };
            assert_eq!(caps, want, "{label}={flags}");
            let text = if n <= LAST_KNOWN_CAP { format!("{label}={flags}") } else { format!("= {label}+{flags}") };
            assert_eq!(caps.text(), text);
            assert_eq!(FileCaps::decode(&caps.encode()).unwrap(), caps);
        }
    }
}

#[test]
fn v3_rootid() {
    let raw = hex("01000003 00200000 00000000 00000000 00000000 a0860100");
    let caps = FileCaps::decode(&raw).unwrap();
    assert_eq!(caps.revision, Revision::V3);
    assert_eq!(caps.rootid, Some(100000));
    assert_eq!(caps.text(), "cap_net_raw=ep");
    assert_eq!(caps.rootid_suffix(), " [rootid=100000]");
    assert_eq!(parse_text("cap_net_raw=ep").unwrap().with_rootid(100000).encode(), raw);
    assert_eq!(caps.to_v2().encode(), hex("01000002 00200000 00000000 00000000 00000000"));
    // getcap -n prints the rootid with %d, and nothing for 0 and -1.
    assert_eq!(caps.with_rootid(3_000_000_000).rootid_suffix(), " [rootid=-1294967296]");
    assert_eq!(caps.with_rootid(0).rootid_suffix(), "");
    assert_eq!(caps.with_rootid(u32::MAX).rootid_suffix(), " [rootid=-1]", "only an archive or a manifest holds it");
    // A rootid holding a newline byte.
    let caps = FileCaps::decode(&hex("00000003 00000000 00000000 00000000 00000000 0a000000")).unwrap();
    assert_eq!((caps.text().as_str(), caps.rootid), ("=", Some(10)));
}

#[test]
fn v1_values() {
    let raw = hex("01000001 00200000 00000000");
    let caps = FileCaps::decode(&raw).unwrap();
    assert_eq!(caps.revision, Revision::V1);
    assert_eq!(caps.text(), "cap_net_raw=ep");
    assert_eq!(caps.encode(), raw);
    assert!(caps.same_grant(&caps.to_v2()));
    // The effective flag counts only where something is granted.
    let empty = FileCaps { permitted: 0, inheritable: 0, effective: false, ..caps };
    assert!(empty.same_grant(&FileCaps { effective: true, ..empty }));
    assert!(!caps.same_grant(&FileCaps { effective: !caps.effective, ..caps }));
    assert_eq!(caps.to_v2().encode(), hex("01000002 00200000 00000000 00000000 00000000"));
}

#[test]
fn v1_v2_and_rootid_zero_are_seen_here_alike() {
    let v2 = parse_text("cap_net_raw=ep").unwrap();
    let v1 = FileCaps { revision: Revision::V1, ..v2 };
    assert!(v1.as_seen_here().same_grant(&v2.as_seen_here()));
    assert!(v2.with_rootid(0).as_seen_here().same_grant(&v2.as_seen_here()));
    assert!(!v2.with_rootid(100000).as_seen_here().same_grant(&v2.as_seen_here()));
    assert!(v1.same_here(&v2.with_rootid(0)) && !v2.same_here(&v2.with_rootid(100000)));
    assert_eq!(v2.with_rootid(100000).as_seen_here().rootid, Some(100000));
}

#[test]
fn malformed_values_are_typed_errors() {
    assert_eq!(FileCaps::decode(&[0; 3]), Err(CapError::Size(3)));
    assert_eq!(FileCaps::decode(&[0; 21]), Err(CapError::Size(21)));
    assert_eq!(FileCaps::decode(&hex("00000004 00000000 00000000 00000000 00000000")), Err(CapError::Revision(4)));
    assert!(matches!(FileCaps::decode(&hex("00000002 00000000 00000000")), Err(CapError::SizeForRevision { .. })));
    assert!(matches!(
        FileCaps::decode(&hex("00000003 00000000 00000000 00000000 00000000")),
        Err(CapError::SizeForRevision { revision: 3, size: 20, expected: 24 })
    ));
    assert_eq!(FileCaps::decode(&hex("02000002 00000000 00000000 00000000 00000000")), Err(CapError::Flags(2)));
}

#[test]
fn names_and_masks_as_capsh_decode_prints_them() {
    assert_eq!(
        mask_text(DOCKER_DEFAULT),
        "cap_chown,cap_dac_override,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,cap_setpcap,\
         cap_net_bind_service,cap_net_raw,cap_sys_chroot,cap_mknod,cap_audit_write,cap_setfcap"
    );
    assert_eq!(mask_text(0), "");
    assert_eq!(mask_text(1 << 41 | 1 << 63), "41,63");
    assert_eq!(mask_text(KNOWN_MASK).split(',').count(), 41);
    assert_eq!(cap_number("CAP_NET_RAW"), Some(13));
    assert_eq!(cap_number("63"), Some(63));
    assert_eq!(cap_number("64"), None);
}

#[test]
fn risk_classes() {
    let root_equivalent = "cap_chown,cap_dac_override,cap_dac_read_search,cap_fowner,cap_setgid,cap_setuid,\
                           cap_setpcap,cap_sys_module,cap_sys_rawio,cap_sys_ptrace,cap_sys_admin,cap_sys_boot,\
                           cap_mknod,cap_setfcap,cap_bpf";
    let listed: Vec<u32> = root_equivalent.split(',').map(|n| cap_number(n).unwrap()).collect();
    for n in 0..=LAST_KNOWN_CAP {
        assert_eq!(risk_of(n) == RiskClass::RootEquivalent, listed.contains(&n), "{}", cap_label(n));
    }
    assert_eq!(risk_of(45), RiskClass::High);
    assert_eq!(highest(0), None);
    assert_eq!(highest(1 << 10), Some(RiskClass::Low));
    assert_eq!(describe(&parse_text("cap_net_bind_service=ep").unwrap()), None);
    assert_eq!(
        describe(&parse_text("cap_setuid,cap_net_raw,cap_net_admin,cap_net_bind_service=ep").unwrap()).as_deref(),
        Some("root-equivalent:cap_setuid high:cap_net_admin moderate:cap_net_raw")
    );
    assert_eq!(describe_mask(1 << 45).as_deref(), Some("high:45"));
}
