//! The `security.capability` codec: any bytes decode or fail cleanly, and a value that decodes
//! encodes back to the same bytes (a round trip that changed a byte would change a grant).
#![no_main]

use captar::caps::FileCaps;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(caps) = FileCaps::decode(data) else { return };
    assert_eq!(caps.encode(), data, "decode → encode changed the value");
    assert_eq!(FileCaps::decode(&caps.encode()), Ok(caps));
    let _ = caps.text();
    let _ = caps.rootid_suffix();
});
