/*!
`captar caps decode HEX...`: a 64-bit capability mask (as /proc/PID/status, Docker or a kernel log
show one) decoded exactly as `capsh --decode=HEX` prints it, or a raw `security.capability` value
(as `getfattr -e hex` shows it) decoded to its revision, getcap text and rootid.

The length of the hex digits decides which (after an optional `0x` and any whitespace): 24, 40 or
48 digits are a v1, v2 or v3 value; 1–16 digits (after any zeros) are a mask. Unlike capsh, which reads `zz` as 0,
anything else is an error.
*/

use std::io::Write;

use super::{hex, write_error};
use crate::caps::{FileCaps, Revision, mask_text};
use crate::error::{Outcome, Report, Result};

/// What to decode.
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// The hex arguments, in order (any bytes: one that is not text is that argument's error).
    pub values: Vec<std::ffi::OsString>,
}

/// One decoded argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A capability mask (bit N = capability N).
    Mask(u64),
    /// A raw `security.capability` value and its decoding.
    Value { raw: Vec<u8>, caps: FileCaps },
}

/// An argument as an error message shows it: quoted, and cut short past 64 bytes (a message
/// is one line; an argument of 100,000 bytes was copied in whole; found by review).
fn shown(arg: &str) -> String {
    const MAX: usize = 64;
    if arg.len() <= MAX {
        return format!("{arg:?}");
    }
    let cut = (0..=MAX).rev().find(|&i| arg.is_char_boundary(i)).unwrap_or(0);
    format!("{:?}... ({} bytes)", &arg[..cut], arg.len())
}

/// The hex digits of an argument: an optional `0x`/`0X`, whitespace anywhere ignored.
fn digits(arg: &str) -> Result<String, String> {
    let compact: String = arg.chars().filter(|c| !c.is_whitespace()).collect();
    let body = compact.strip_prefix("0x").or_else(|| compact.strip_prefix("0X")).unwrap_or(&compact);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_hexdigit()) {
        // getfattr's default form of a binary value: base64 after `0s`.
        if compact.starts_with("0s") {
            return Err(format!(
                "{} is getfattr's base64 form, not hexadecimal; print the value in hex: getfattr -e hex -n security.capability FILE",
                shown(arg)
            ));
        }
        return Err(format!("{} is not hexadecimal", shown(arg)));
    }
    Ok(body.to_ascii_lowercase())
}

/// A capability mask of 1–16 hex digits (and any zeros before them, as capsh takes them), with
/// or without `0x` (`a80425fb`, `0x00000000a80425fb`).
pub fn parse_mask(arg: &str) -> Result<u64, String> {
    // Whitespace inside is two masks joined, not one (`--beyond "a 1"` was 0xa1; found by
    // review); around, it is no matter.
    if arg.trim().contains(char::is_whitespace) {
        return Err(format!("{} holds whitespace: give each capability mask as an argument of its own", shown(arg)));
    }
    let d = digits(arg)?;
    let significant = d.trim_start_matches('0').len();
    if significant > 16 {
        return Err(format!("{} has {significant} hex digits; a capability mask has at most 16", shown(arg)));
    }
    u64::from_str_radix(&d, 16).map_err(|e| format!("{}: {e}", shown(arg)))
}

/// Parses one argument of `caps decode`.
pub fn parse(arg: &str) -> Result<Decoded, String> {
    let d = digits(arg)?;
    match d.len() {
        // Zeros before a mask's digits are no matter, as to capsh (`00000000000000000001`
        // was refused for its 20 digits; found by review), also to 24, 40 or 48 digits (read as
        // a value, "unknown revision 0x00"; found by audit): no value has so few, as its magic
        // number comes first.
        _ if d.trim_start_matches('0').len() <= 16 => parse_mask(arg).map(Decoded::Mask),
        // Whitespace inside a mask is two masks joined, not one (`"1 2"` decoded as 0x12;
        // capsh --decode reads the first): whitespace is for the raw values of getfattr -e hex
        // split over lines (found by review).
        24 | 40 | 48 => {
            // `digits` took only hex digits.
            let raw = crate::list::unhex(&d).unwrap_or_default();
            let caps = FileCaps::decode(&raw).map_err(|e| format!("{d}: {e}"))?;
            Ok(Decoded::Value { raw, caps })
        }
        n => Err(format!(
            "{} has {n} hex digits: expected a capability mask (1 to 16 digits) or a security.capability \
             value (24, 40 or 48 digits for v1, v2, v3)",
            shown(arg)
        )),
    }
}

/// `capsh --decode` output for a mask: `0x00000000a80425fb=cap_chown,...`.
pub fn mask_line(mask: u64) -> String {
    format!("0x{mask:016x}={}", mask_text(mask))
}

/// The line for a raw value: `HEX: vREV TEXT`, and for v3 ` [rootid=N]` (always, even 0, as the
/// value's bytes hold it; N signed, as `getcap -n` and `caps scan -n` print it: it was
/// unsigned here, 4294901760 where they print -65536; found by review):
/// `0100000200200000000000000000000000000000: v2 cap_net_raw=ep`.
pub fn value_line(raw: &[u8], caps: &FileCaps) -> String {
    let rootid = match (caps.revision, caps.rootid) {
        (Revision::V3, Some(r)) => format!(" [rootid={}]", r.cast_signed()),
        _ => String::new(),
    };
    format!("{}: v{} {}{rootid}", hex(raw), caps.revision.number(), caps.text())
}

/// Decodes every argument, one line each; a bad argument is reported and the rest go on.
pub fn run(opts: &DecodeOptions, report: &Report, out: &mut dyn Write) -> Result<Outcome> {
    for arg in &opts.values {
        // Not text, it is not hex either: that argument's error, as any other's (found by
        // review: clap refused the whole command line, the valid arguments undecoded).
        let parsed = arg
            .to_str()
            .map_or_else(|| Err(format!("\"{}\" is not hexadecimal", arg.as_encoded_bytes().escape_ascii())), parse);
        match parsed {
            Ok(Decoded::Mask(mask)) => writeln!(out, "{}", mask_line(mask)).map_err(write_error)?,
            Ok(Decoded::Value { raw, caps }) => writeln!(out, "{}", value_line(&raw, &caps)).map_err(write_error)?,
            Err(msg) => report.error(format_args!("decode: {msg}")),
        }
    }
    out.flush().map_err(write_error)?;
    Ok(report.outcome())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_values() {
        assert_eq!(parse("0x00000000a80425fb"), Ok(Decoded::Mask(0xa80425fb)));
        assert_eq!(parse("A80425FB"), Ok(Decoded::Mask(0xa80425fb)));
        assert_eq!(mask_line(0), "0x0000000000000000=");
        assert_eq!(mask_line(1 << 41 | 1), "0x0000020000000001=cap_chown,41");
        let Ok(Decoded::Value { raw, caps }) = parse("01000003 00200000 00000000 00000000 00000000 a0860100") else {
            panic!("not a value")
        };
        assert_eq!(
            value_line(&raw, &caps),
            "0100000300200000000000000000000000000000a0860100: v3 cap_net_raw=ep [rootid=100000]"
        );
        assert!(parse("010000020020000000000000").is_err(), "24 digits read as v1 of the wrong revision");
        assert!(matches!(parse("010000010020000000000000"), Ok(Decoded::Value { .. })));
        for bad in ["", "0x", "zz", "-1", "12345678901234567", "01000002000000000000"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        // Zeros before a mask's 16 digits, as capsh --decode takes them.
        assert_eq!(parse("00000000000000000"), Ok(Decoded::Mask(0)));
        assert_eq!(parse("0x0000000000000000001"), Ok(Decoded::Mask(1)));
        assert_eq!(parse("0000ffffffffffffffff"), Ok(Decoded::Mask(u64::MAX)));
        // Also as long as a value (found by audit: "unknown revision 0x00").
        for n in [24, 40, 48] {
            assert_eq!(parse(&format!("{}1", "0".repeat(n - 1))), Ok(Decoded::Mask(1)), "{n}");
        }
        // The rootid signed, as getcap -n prints it.
        let Ok(Decoded::Value { raw, caps }) = parse("01000003002000000000000000000000000000000000ffff") else {
            panic!("not a value")
        };
        assert!(value_line(&raw, &caps).ends_with(" [rootid=-65536]"), "{}", value_line(&raw, &caps));
        // A long argument is cut short in the message.
        let long = "z".repeat(100_000);
        let msg = parse(&long).unwrap_err();
        assert!(msg.len() < 120 && msg.ends_with("... (100000 bytes) is not hexadecimal"), "{msg}");
    }
}
