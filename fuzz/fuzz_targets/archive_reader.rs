//! The archive reader on any bytes: decompression detection, headers, pax records, GNU long
//! names, data. Every input must end in `Ok(None)` or an error, never a panic or a hang.
#![no_main]

use std::io::Cursor;

use captar::format::compress::{Origin, decoder};
use captar::format::reader::Reader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((_, src)) = decoder(Origin::Stream(Box::new(Cursor::new(data.to_vec())))) else { return };
    let mut reader = Reader::new(src, "fuzz");
    let mut buf = [0u8; 4096];
    // Each entry consumes at least one 512-byte header, so this bounds the loop too.
    for _ in 0..data.len() / 512 + 2 {
        match reader.next_entry() {
            Ok(Some(entry)) => {
                // Read half of the members' data, skip the rest: both paths must hold.
                if entry.offset % 1024 == 0 {
                    while let Ok(n) = reader.read_data(&mut buf) {
                        if n == 0 {
                            break;
                        }
                    }
                }
            }
            Ok(None) | Err(_) => return,
        }
    }
});
