//! The pax record parser: never panics, and what it accepts survives `push` → `parse` unchanged.
#![no_main]

use captar::format::pax;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(records) = pax::parse(data) else { return };
    let mut out = Vec::new();
    for r in &records {
        pax::push(&mut out, r.key, r.value);
    }
    let again = pax::parse(&out).expect("records written by push parse");
    assert_eq!(records, again);
});
