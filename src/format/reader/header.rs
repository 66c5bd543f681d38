/*!
The fields of a ustar header block that hold numbers, and its checksum, read as GNU tar reads
them: octal or base-256, and never half read.
*/

use crate::format::BLOCK;

pub(super) fn trim_nul(b: &[u8]) -> &[u8] {
    match memchr::memchr(0, b) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Header fields holding numbers (ustar offsets).
pub(super) const MODE: std::ops::Range<usize> = 100..108;
pub(super) const UID: std::ops::Range<usize> = 108..116;
pub(super) const GID: std::ops::Range<usize> = 116..124;
pub(super) const SIZE: std::ops::Range<usize> = 124..136;
pub(super) const MTIME: std::ops::Range<usize> = 136..148;
pub(super) const DEV_MAJOR: std::ops::Range<usize> = 329..337;
pub(super) const DEV_MINOR: std::ops::Range<usize> = 337..345;

/// The largest size accepted: `off_t` is signed, so no file is larger.
pub(super) const MAX_SIZE: u64 = i64::MAX as u64;

/// A numeric header field as GNU tar reads it (src/list.c, `from_header`): octal digits after
/// optional spaces, ended by the field's end, a space or a NUL; or base-256 when the first byte is 0x80
/// (positive) or 0xff (negative, two's complement). `None` for anything else, so a field is
/// never half read: the `tar` crate reads only the last 8 bytes of a base-256 field, which lets
/// a 12-byte size mean one thing to it and another to GNU tar.
pub(super) fn numeric(field: &[u8]) -> Option<i128> {
    // What tars write, read in one pass: octal digits from the first byte, ended by a NUL or a
    // space or by the field's end. Anything else takes the full reading below.
    if field.len() <= 21 && field.first().is_some_and(u8::is_ascii_digit) {
        let mut n = 0u64;
        let mut digits = 0;
        // One compare per digit (a byte below `0` wraps above 7).
        for &b in field {
            let d = b.wrapping_sub(b'0');
            if d > 7 {
                break;
            }
            n = (n << 3) | u64::from(d);
            digits += 1;
        }
        if field.get(digits).is_none_or(|&b| b == 0 || c_space(b)) {
            return Some(i128::from(n));
        }
    }
    numeric_full(field)
}

/// C's `isspace` in the C locale, which GNU tar's numeric fields allow around the digits: a
/// space, a tab, a newline, a vertical tab, a form feed, a carriage return (found by review:
/// a size field ended by a tab stopped the read).
fn c_space(b: u8) -> bool {
    b == b' ' || (b'\t'..=b'\r').contains(&b)
}

/// `numeric`'s full reading, for any field.
pub(super) fn numeric_full(field: &[u8]) -> Option<i128> {
    match field.first() {
        Some(0x80) | Some(0xff) => {
            let mut value: i128 = if field[0] == 0xff { -1 } else { 0 };
            for &b in &field[1..] {
                value = (value << 8) | i128::from(b);
            }
            Some(value)
        }
        _ => {
            // As GNU tar: one leading NUL is skipped (an old tar's overflow of the field
            // before), then white space (C's isspace: a tab too); a field that is only white
            // space is invalid, and one whose text ends before any digit (GNU tar's label
            // header leaves fields all NUL) is 0.
            let field = field.strip_prefix(b"\0").unwrap_or(field);
            let text = &field[field.iter().position(|&b| !c_space(b))?..];
            let digits = text.iter().take_while(|b| (b'0'..=b'7').contains(b)).count();
            if text.get(digits).is_some_and(|&b| b != 0 && !c_space(b)) {
                return None;
            }
            if digits == 0 {
                return Some(0);
            }
            let digits = &text[..digits];
            if digits.len() <= 21 {
                // 21 octal digits are 63 bits: no overflow (header fields hold at most 12).
                return Some(i128::from(digits.iter().fold(0u64, |n, &d| (n << 3) | u64::from(d - b'0'))));
            }
            digits.iter().try_fold(0i128, |n, &d| n.checked_mul(8).map(|n| n + i128::from(d - b'0')))
        }
    }
}

/// Whether the header's magic is POSIX's `ustar\0` (its version field aside, as GNU tar reads
/// it).
pub(super) fn posix_magic(block: &[u8; BLOCK]) -> bool {
    &block[257..263] == b"ustar\0"
}

/// Whether the header's magic and version are GNU's `ustar  \0` (GNU and old GNU format).
pub(super) fn gnu_magic(block: &[u8; BLOCK]) -> bool {
    &block[257..265] == b"ustar  \0"
}

/// The header's name: with the ustar `prefix` field before it when the magic is POSIX's
/// `ustar\0`, whatever the version field says, as GNU tar (which compares the magic only) and
/// bsdtar read it; the tar crate wants version `00` too, and a header with another version
/// was read by its last part alone (found by fuzzing). GNU's `ustar  ` headers keep other
/// fields there.
pub(super) fn header_name(block: &[u8; BLOCK]) -> std::borrow::Cow<'_, [u8]> {
    let prefix = trim_nul(&block[345..500]);
    if !posix_magic(block) || prefix.is_empty() {
        // What the tar crate's `path_bytes` gives here, without its look for a `\` in the
        // whole field (which only makes it copy the same bytes).
        return std::borrow::Cow::Borrowed(trim_nul(&block[..100]));
    }
    let mut name = prefix.to_vec();
    name.push(b'/');
    name.extend_from_slice(trim_nul(&block[..100]));
    std::borrow::Cow::Owned(name)
}

/// The header's size field, within what a file can hold.
pub(super) fn size_field(block: &[u8; BLOCK]) -> std::result::Result<u64, String> {
    let raw = &block[SIZE];
    match numeric(raw) {
        Some(n) if (0..=i128::from(MAX_SIZE)).contains(&n) => Ok(n as u64),
        // A base-256 number (or a long octal one) out of range: said as the number, not as
        // its bytes (`"\200\177\377..."`).
        Some(n) => Err(format!(
            "invalid size field: it says {n} bytes, {} what a file can hold (0 to {MAX_SIZE}); the header is corrupt",
            if n < 0 { "below" } else { "beyond" }
        )),
        None => Err(format!("invalid size field {}", crate::error::quoted(trim_nul(raw)))),
    }
}

pub(crate) fn header_checksum_ok(block: &[u8; BLOCK]) -> Option<bool> {
    let stored = checksum_field(&block[148..156])?;
    // The sum with the checksum field read as eight spaces, both as unsigned and (old tars)
    // signed bytes. Summed whole, then corrected: a loop without a branch per byte.
    let field = &block[148..156];
    let unsigned = byte_sum(block) - field.iter().map(|&b| u32::from(b)).sum::<u32>() + 8 * u32::from(b' ');
    if stored == unsigned {
        return Some(true);
    }
    let signed = block.iter().map(|&b| i32::from(b as i8)).sum::<i32>()
        - field.iter().map(|&b| i32::from(b as i8)).sum::<i32>()
        + 8 * i32::from(b' ');
    Some(stored as i32 == signed)
}

/// The sum of a block's bytes, eight at a time: each word's even and odd bytes are added in
/// 16-bit lanes, which cannot overflow (64 words of at most 255 per lane). Summed as `u32` one
/// by one, each byte was widened twice: four times the instructions, and the checksum a tenth
/// of the work of reading a plain archive's headers.
fn byte_sum(block: &[u8; BLOCK]) -> u32 {
    const LOW: u64 = 0x00ff_00ff_00ff_00ff;
    let (mut even, mut odd) = (0u64, 0u64);
    for word in block.chunks_exact(8) {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        even += w & LOW;
        odd += (w >> 8) & LOW;
    }
    let lanes = even + odd; // at most 2 * 64 * 255 per lane: still no overflow
    (0..4).map(|i| ((lanes >> (16 * i)) & 0xffff) as u32).sum()
}

/// The stored checksum: up to a NUL, trimmed of spaces and NULs, octal.
pub(super) fn checksum_field(field: &[u8]) -> Option<u32> {
    let field = trim_nul(field);
    // Digits up to the NUL, as tars write them, read directly (at most 8: no overflow).
    if (1..=8).contains(&field.len()) && field.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return Some(field.iter().fold(0u32, |n, &d| (n << 3) | u32::from(d - b'0')));
    }
    let text = std::str::from_utf8(field).ok()?.trim_matches(|c: char| c == ' ' || c == '\0');
    u32::from_str_radix(text, 8).ok()
}

#[cfg(test)]
mod tests {
    use super::{byte_sum, checksum_field, numeric, numeric_full, trim_nul};

    /// Every field of up to 5 bytes, and of 8 and 12 from the same bytes repeated, over the
    /// bytes that matter: the one-pass reading gives what the full one gives.
    #[test]
    fn the_fast_readings_of_numbers_give_the_full_ones() {
        const BYTES: &[u8] = b"0178 \0+x\x80\xff";
        let mut fields: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=5 {
            let mut n = BYTES.len().pow(len);
            while n > 0 {
                n -= 1;
                let mut k = n;
                let f: Vec<u8> = (0..len).map(|_| (BYTES[k % BYTES.len()], k /= BYTES.len()).0).collect();
                fields.push(f.iter().cycle().take(8).copied().collect());
                fields.push(f.iter().cycle().take(12).copied().collect());
                fields.push(f);
            }
        }
        fields.extend([b"0000644\0".to_vec(), b"00000001750 ".to_vec(), b"7777777777777777777777".to_vec()]);
        for f in &fields {
            assert_eq!(numeric(f), numeric_full(f), "{}", f.escape_ascii());
            let full = std::str::from_utf8(trim_nul(f))
                .ok()
                .and_then(|t| u32::from_str_radix(t.trim_matches(|c: char| c == ' ' || c == '\0'), 8).ok());
            assert_eq!(checksum_field(f), full, "{}", f.escape_ascii());
        }
    }

    /// The lane sum is the plain sum, for blocks of every byte value (all 0xff: the largest).
    #[test]
    fn blocks_sum_as_bytes_do() {
        let mut block = [0u8; crate::format::BLOCK];
        for seed in 0..=256u32 {
            for (i, b) in block.iter_mut().enumerate() {
                *b = if seed == 256 { 0xff } else { (seed.wrapping_mul(31).wrapping_add(i as u32 * 7919) % 256) as u8 };
            }
            assert_eq!(byte_sum(&block), block.iter().map(|&b| u32::from(b)).sum::<u32>());
        }
    }

    #[test]
    fn numeric_fields_read_as_gnu_tar_reads_them() {
        let cases: &[(&[u8], Option<i128>)] = &[
            (b"0000644\0", Some(0o644)),
            (b"  644 \0\0", Some(0o644)),
            (b"00000000017\0", Some(0o17)),
            // Twelve digits, no terminator (GNU tar writes these for 8 GiB and more).
            (b"777777777777", Some(0o777777777777)),
            // Whatever follows the terminator is not read.
            (b"644\0garbage", Some(0o644)),
            (b"", None),
            (b"\0\0\0\0", Some(0)),
            (b"\0", None),
            (b"\x000000005\0", Some(5)),
            (b"   \0    ", Some(0)),
            (b"        ", None),
            // C's white space around the digits, as GNU tar's isspace (found by review).
            (b"00000000005\t", Some(5)),
            (b"\t1750\0", Some(0o1750)),
            (b"\n\x0b\x0c\r 7\r\0", Some(7)),
            (b"\t\t\t\t", None),
            (b"644\x0e", None),
            (b"64x4\0", None),
            (b"-644\0", None),
            (b"0o644\0", None),
            (&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00], Some(256)),
            (&[0xff; 12], Some(-1)),
            (&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], Some(-2)),
            // Every byte counts: the tar crate would read only the last 8 of these.
            (&[0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3], Some((1 << 64) + 3)),
            // Only 0x80 and 0xff mark base-256.
            (&[0x81, 0, 0, 0, 0, 0, 0, 1], None),
        ];
        for (field, want) in cases {
            assert_eq!(numeric(field), *want, "{}", field.escape_ascii());
        }
    }
}
