//! The capability text parser: never panics, and parse → text → parse is a fixed point (what
//! getcap prints for a value, setcap reads back as the same value).
//!
//! One value has no text of its own: the effective bit over empty sets (`=e`, which setcap
//! writes as 0x02000001 and getcap prints as `=`). For it only emptiness must survive.
#![no_main]

use captar::caps::parse_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(caps) = parse_text(text) else { return };
    let printed = caps.text();
    let again = parse_text(&printed).unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which fails: {e}"));
    if caps.is_empty() {
        assert!(again.is_empty(), "{text:?} printed as {printed:?}");
    } else {
        assert_eq!(again, caps, "{text:?} printed as {printed:?}");
    }
    assert_eq!(again.text(), printed);
});
