//! Inputs the fuzzers (fuzz/) found, kept so what they showed stays true.

use captar::caps::{FileCaps, parse_text};

/// cap_text: `=e` is the effective bit over empty sets (setcap writes 0x02000001); getcap prints
/// it as `=`, which reads back without the bit. The text cannot hold that value; what must
/// survive is that nothing is granted.
#[test]
fn effective_bit_over_empty_sets_prints_as_empty() {
    let caps = parse_text("=e").unwrap();
    assert!(caps.effective && caps.is_empty());
    assert_eq!(caps.text(), "=");
    let again = parse_text(&caps.text()).unwrap();
    assert!(again.is_empty() && !again.effective);
    assert_eq!(FileCaps::decode(&caps.encode()), Ok(caps));
}
