/*!
JSON output that is safe on a terminal: serde_json escapes the C0 controls (below U+0020) in
strings, as JSON requires, but writes DEL and the C1 controls (U+0080 to U+009F) as they are,
and a terminal that honours C1 (xterm, VTE) takes U+009B for CSI, U+009D for OSC: a member name
in a hostile archive could set colours or the window title through `list --json` (found by
fuzzing). Here they are written `\u007f`, `\u009b`..., which every JSON reader decodes to the
same string.
*/

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

/// Whether `c` is DEL or a C1 control.
fn unsafe_on_a_terminal(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}')
}

/// A string fragment with DEL and the C1 controls escaped.
fn write_fragment<W: ?Sized + Write>(writer: &mut W, fragment: &str) -> io::Result<()> {
    let mut rest = fragment;
    while let Some(at) = rest.find(unsafe_on_a_terminal) {
        writer.write_all(&rest.as_bytes()[..at])?;
        let c = rest[at..].chars().next().unwrap_or_default();
        write!(writer, "\\u{:04x}", u32::from(c))?;
        rest = &rest[at + c.len_utf8()..];
    }
    writer.write_all(rest.as_bytes())
}

/// serde_json's compact form (its `CompactFormatter`: the trait's defaults), with
/// `write_fragment`.
struct Compact;

impl Formatter for Compact {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        write_fragment(writer, fragment)
    }
}

/// serde_json's pretty form (two spaces), with `write_fragment`.
struct Pretty(PrettyFormatter<'static>);

impl Formatter for Pretty {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        write_fragment(writer, fragment)
    }
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }
    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }
    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

/// `value` as one line of JSON.
pub fn to_writer<W: Write, T: ?Sized + Serialize>(writer: W, value: &T) -> io::Result<()> {
    value.serialize(&mut serde_json::Serializer::with_formatter(writer, Compact)).map_err(io::Error::from)
}

/// `value` as indented JSON.
pub fn to_writer_pretty<W: Write, T: ?Sized + Serialize>(writer: W, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, Pretty(PrettyFormatter::new()));
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// `value` as one line of JSON, in a String.
pub fn to_string<T: ?Sized + Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    // Writing to a Vec fails only for a value serde cannot represent (a map with non-string
    // keys): none of captar's.
    let _ = to_writer(&mut out, value);
    String::from_utf8(out).unwrap_or_default()
}

/// Bytes from the system or an archive (a path, a process name) for a JSON string: as they
/// are when they are UTF-8; otherwise with U+FFFD for what is not, and the exact bytes in hex
/// beside them (the `*_hex` fields, left out for UTF-8), so the JSON loses nothing and two
/// names never read the same.
pub fn text_and_hex(bytes: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), None),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), Some(crate::list::hex(bytes))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DEL and C1 are escaped, C0 as serde_json escapes it, the rest as it is; every form
    /// reads back to the same strings.
    #[test]
    fn terminal_controls_are_escaped() {
        let name = "a\u{9b}31mRED\u{9b}0m\u{9d}0;title\u{9c}\u{7f}\u{1b}[1m é\u{a0}\u{80}\u{9f}";
        let v = serde_json::json!({ "name": name, "list": [name] });
        let compact = to_string(&v);
        assert!(!compact.chars().any(|c| ('\u{7f}'..='\u{9f}').contains(&c) || c < ' '), "{compact}");
        assert!(compact.contains(r"a\u009b31mRED\u009b0m\u009d0;title\u009c\u007f\u001b[1m é"), "{compact}");
        let mut pretty = Vec::new();
        to_writer_pretty(&mut pretty, &v).unwrap();
        let pretty = String::from_utf8(pretty).unwrap();
        assert!(pretty.contains("\n  \"list\": [\n    \"a\\u009b31m"), "{pretty}");
        for text in [&compact, &pretty] {
            assert_eq!(serde_json::from_str::<serde_json::Value>(text).unwrap(), v);
        }
        // Nothing to escape: serde_json's own bytes.
        let plain = serde_json::json!({ "name": "plain é", "n": [1, 2] });
        assert_eq!(to_string(&plain), serde_json::to_string(&plain).unwrap());
    }
}
