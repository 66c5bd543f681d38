use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn reference_examples_decode_and_format() {
    // (raw hex of the xattr, getcap text) from ../shared/REFERENCE.md §1
    let table = [
        ("01000002 00200000 00000000 00000000 00000000", "cap_net_raw=ep"),
        ("01000002 0a000000 00000000 00000000 00000000", "cap_dac_override,cap_fowner=ep"),
        ("01000002 ffffffff 00000000 ff010000 00000000", "=ep"),
        ("00000002 00000000 00000000 00000000 00000000", "="),
    ];
    for (raw, text) in table {
        let caps = FileCaps::decode(&hex(raw)).unwrap();
        assert_eq!(caps.text(), text, "{raw}");
        assert_eq!(caps.encode(), hex(raw));
        assert_eq!(parse_text(text).unwrap().encode(), hex(raw), "{text}");
    }
}

#[test]
fn v3_rootid() {
    let caps = FileCaps::decode(&hex("01000003 00200000 00000000 00000000 00000000 a0860100")).unwrap();
    assert_eq!(caps.rootid, Some(100000));
    assert_eq!(caps.rootid_suffix(), " [rootid=100000]");
}

#[test]
fn malformed_values_are_typed_errors() {
    assert_eq!(FileCaps::decode(&[0; 3]), Err(CapError::Size(3)));
    assert_eq!(FileCaps::decode(&hex("00000004 00000000 00000000 00000000 00000000")), Err(CapError::Revision(4)));
    assert!(matches!(FileCaps::decode(&hex("00000002 00000000 00000000")), Err(CapError::SizeForRevision { .. })));
    assert_eq!(FileCaps::decode(&hex("02000002 00000000 00000000 00000000 00000000")), Err(CapError::Flags(2)));
}

#[test]
fn mixed_groups() {
    let c = parse_text("cap_setuid=i cap_net_raw+p").unwrap();
    assert_eq!(c.text(), "cap_setuid=i cap_net_raw+p");
    assert!(parse_text("cap_net_raw+e cap_chown+p").is_err());
}
