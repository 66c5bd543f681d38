/*!
Which compression an archive has: from its first bytes when reading (a valid tar header first:
then none), from its name's suffix when writing, as GNU tar names them.
*/

use std::io;
use std::path::Path;

/// A compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
    /// The legacy `.lzma` format (LZMA_Alone), GNU tar's `--lzma`.
    Lzma,
    /// lzip: read by liblzma, written in members on every core as plzip writes it.
    Lzip,
}

pub(super) const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
pub(super) const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0];
pub(super) const BZIP2_MAGIC: &[u8] = b"BZh";
const LZ4_MAGIC: &[u8] = &[0x04, 0x22, 0x4d, 0x18];
const LZIP_MAGIC: &[u8] = b"LZIP";
const COMPRESS_MAGIC: &[u8] = &[0x1f, 0x9d];
/// The bytes detection looks at: a whole tar header, whose valid checksum makes the input a
/// plain archive whatever its first bytes say (a first name may start with `BZh` or `LZIP`), as
/// GNU tar decides.
pub(super) const MAGIC_MAX: usize = 512;

/// A zstd skippable frame (magic 0x184D2A50 to 0x184D2A5F, little-endian), which pzstd's output
/// starts with; zstd's decoder passes over it.
fn is_zstd_skippable(head: &[u8]) -> bool {
    head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18]
}

/// A bzip2 stream: `BZh`, then the block size, `1` to `9`.
fn is_bzip2(head: &[u8]) -> bool {
    head.starts_with(BZIP2_MAGIC) && head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b))
}

/// What an archive name's suffix says: a compression captar writes, or the tool of one it does
/// not write.
type Said = Result<Compression, &'static str>;

/// GNU tar's suffixes (src/suffixes.c), matched as it matches them: the text after the last dot,
/// case and all.
const GNU_SUFFIXES: [(&str, Said); 17] = [
    ("gz", Ok(Compression::Gzip)),
    ("tgz", Ok(Compression::Gzip)),
    ("taz", Ok(Compression::Gzip)),
    ("Z", Err("compress")),
    ("taZ", Err("compress")),
    ("bz2", Ok(Compression::Bzip2)),
    ("tbz", Ok(Compression::Bzip2)),
    ("tbz2", Ok(Compression::Bzip2)),
    ("tz2", Ok(Compression::Bzip2)),
    ("lz", Ok(Compression::Lzip)),
    ("lzma", Ok(Compression::Lzma)),
    ("tlz", Ok(Compression::Lzma)),
    ("lzo", Err("lzop")),
    ("xz", Ok(Compression::Xz)),
    ("txz", Ok(Compression::Xz)),
    ("zst", Ok(Compression::Zstd)),
    ("tzst", Ok(Compression::Zstd)),
];

/// captar's own, after GNU tar's and in any case (`A.TAR.GZ`, `a.tb2`, `a.lz4`): a name that says
/// a compression is never given a plain archive.
const OTHER_SUFFIXES: [(&str, Said); 4] =
    [("tb2", Ok(Compression::Bzip2)), ("lz4", Err("lz4")), ("tzo", Err("lzop")), ("z", Err("compress"))];

/// Formats captar does not read: (magic, name of the tool).
const UNSUPPORTED: [(&[u8], &str); 2] = [(LZ4_MAGIC, "lz4"), (COMPRESS_MAGIC, "uncompress")];

/// A legacy lzma stream's header, as liblzma's own format detection checks it (its "picky"
/// lzma_alone decoder): the properties byte (lc, lp, pb) below 225 with lc + lp at most 4; a
/// dictionary size of 2^n or 2^n + 2^(n-1) (or all ones); an uncompressed size unknown (all
/// ones) or below 256 GiB; and, as libarchive also checks, the range coder's first byte, which
/// is always 0. GNU tar has no test for it (it goes by the name), and `5d 00 00` alone takes
/// other data for lzma. A dictionary of 0 bytes, which liblzma lets through, is refused: zeros
/// would pass every other test (tar's empty archive, end-of-archive blocks only, was read as an
/// empty lzma stream).
fn is_lzma(head: &[u8]) -> bool {
    let (Some(props), Some(dict), Some(size), Some(&first)) = (
        head.first(),
        head.get(1..5).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes),
        head.get(5..13).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes),
        head.get(13),
    ) else {
        return false;
    };
    let mut d = dict.wrapping_sub(1);
    for shift in [2, 3, 4, 8, 16] {
        d |= d >> shift;
    }
    let dict_ok = dict == u32::MAX || (dict != 0 && d.wrapping_add(1) == dict);
    let (lc, lp) = (props % 9, props / 9 % 5);
    *props < 225 && lc + lp <= 4 && dict_ok && (size == u64::MAX || size < 1 << 38) && first == 0
}

impl Compression {
    /// From the archive's name, by GNU tar's suffixes (`.tar.gz`, `.tgz`, `.tar.zst`, `.tar.bz2`,
    /// `.tar.xz`, `.txz`, `.tar.lzma`, ...); a name that says a compression captar does not write
    /// (`.lz4`, `.Z`, `.lzo`) is an error naming it, never a plain archive under a
    /// compressed name.
    pub fn from_name(path: &Path) -> Result<Compression, String> {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some((_, ext)) = name.rsplit_once('.') else { return Ok(Compression::None) };
        let lower = ext.to_ascii_lowercase();
        let said = GNU_SUFFIXES
            .iter()
            .find(|(s, _)| *s == ext)
            .or_else(|| GNU_SUFFIXES.iter().chain(&OTHER_SUFFIXES).find(|(s, _)| s.to_ascii_lowercase() == lower));
        match said.map(|(_, said)| *said) {
            None => Ok(Compression::None),
            Some(Ok(kind)) => Ok(kind),
            Some(Err(tool)) => Err(format!(
                "the name says {tool} compression, which captar does not write; name it .tar.xz, .tar.zst or .tar.gz, or pipe: `captar create -f - ... | {tool} > ARCHIVE`"
            )),
        }
    }

    /// The compression levels `--level` may choose: gzip's and bzip2's 1 to 9, xz's and lzma's
    /// presets 0 to 9 (lzip's too), zstd's 1 to 19 (20 to 22 need `zstd --ultra` and a larger window from
    /// every reader; negative levels barely compress); none without compression.
    pub fn levels(self) -> Option<std::ops::RangeInclusive<i32>> {
        match self {
            Compression::None => None,
            Compression::Gzip | Compression::Bzip2 => Some(1..=9),
            Compression::Xz | Compression::Lzma | Compression::Lzip => Some(0..=9),
            Compression::Zstd => Some(1..=19),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "no compression",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
            Compression::Lzma => "lzma",
            Compression::Lzip => "lzip",
        }
    }

    /// "an xz-compressed archive", "a gzip-compressed archive" (found by audit: "a xz").
    pub fn compressed_archive(self) -> String {
        let name = self.name();
        let article = if name.starts_with(['x', 'l']) { "an" } else { "a" };
        format!("{article} {name}-compressed archive")
    }

    /// From the first bytes of a stream. Formats captar cannot read are an error that says how
    /// to read them.
    pub fn detect(head: &[u8]) -> Result<Compression, String> {
        let header: Option<&[u8; 512]> = head.get(..512).and_then(|h| h.try_into().ok());
        if header.is_some_and(|h| crate::format::reader::header_checksum_ok(h) == Some(true)) {
            Ok(Compression::None)
        } else if head.starts_with(GZIP_MAGIC) {
            Ok(Compression::Gzip)
        } else if head.starts_with(ZSTD_MAGIC) || is_zstd_skippable(head) {
            Ok(Compression::Zstd)
        } else if head.starts_with(XZ_MAGIC) {
            Ok(Compression::Xz)
        } else if is_bzip2(head) {
            Ok(Compression::Bzip2)
        } else if head.starts_with(LZIP_MAGIC) {
            Ok(Compression::Lzip)
        } else if is_lzma(head) {
            Ok(Compression::Lzma)
        } else if let Some((_, tool)) = UNSUPPORTED.iter().find(|(magic, _)| head.starts_with(magic)) {
            let name = if *tool == "uncompress" { "compress (.Z)" } else { tool };
            // Advice every command can take: append, update, delete and concatenate refuse
            // `-f -` (it advised a pipe to them too; found by review).
            Err(format!(
                "{name}-compressed archives are not supported; decompress it first, `{tool} -dc ARCHIVE > plain.tar` \
                 (to read it only, `{tool} -dc ARCHIVE | captar ... -f -`)"
            ))
        } else {
            Ok(Compression::None)
        }
    }
}

pub(super) fn detect_io(head: &[u8]) -> io::Result<Compression> {
    Compression::detect(head).map_err(|m| io::Error::new(io::ErrorKind::InvalidData, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compressed_archive_takes_its_article() {
        let said: Vec<String> =
            [Compression::Gzip, Compression::Xz, Compression::Lzip, Compression::Lzma, Compression::Zstd]
                .into_iter()
                .map(Compression::compressed_archive)
                .collect();
        let want = ["a gzip", "an xz", "an lzip", "an lzma", "a zstd"].map(|a| format!("{a}-compressed archive"));
        assert_eq!(said, want);
    }

    /// GNU tar's suffixes as GNU tar 1.34 reads them (case and all), captar's own after them in
    /// any case, and the ones captar does not write refused.
    #[test]
    fn suffixes_say_what_gnu_tar_says() {
        let said = |name: &str| Compression::from_name(Path::new(name));
        for (name, want) in [
            ("a.tar.gz", Compression::Gzip),
            ("a.tgz", Compression::Gzip),
            ("a.taz", Compression::Gzip),
            ("A.TAR.GZ", Compression::Gzip),
            ("a.tar.bz2", Compression::Bzip2),
            ("a.tbz", Compression::Bzip2),
            ("a.tbz2", Compression::Bzip2),
            ("a.tz2", Compression::Bzip2),
            ("a.tb2", Compression::Bzip2),
            ("a.tar.xz", Compression::Xz),
            ("a.txz", Compression::Xz),
            ("a.tar.lzma", Compression::Lzma),
            ("a.tar.lz", Compression::Lzip),
            ("a.tlz", Compression::Lzma),
            ("a.tar.zst", Compression::Zstd),
            ("a.tzst", Compression::Zstd),
            ("a.tar", Compression::None),
            ("a.gz.tar", Compression::None),
            ("noext", Compression::None),
        ] {
            assert_eq!(said(name), Ok(want), "{name}");
        }
        for (name, says) in [
            ("a.tar.Z", "compress"),
            ("a.taZ", "compress"),
            ("a.tar.z", "compress"),
            ("a.tar.lzo", "lzop"),
            ("a.tzo", "lzop"),
            ("a.tar.lz4", "lz4"),
        ] {
            let e = said(name).unwrap_err();
            assert!(e.contains(&format!("the name says {says}")), "{name}: {e}");
        }
    }

    #[test]
    fn lzma_is_told_by_its_header() {
        let header = |props: u8, dict: u32, size: u64, first: u8| {
            let mut h = vec![props];
            h.extend(dict.to_le_bytes());
            h.extend(size.to_le_bytes());
            h.push(first);
            h.extend([0u8; 20]);
            h
        };
        assert!(is_lzma(&header(0x5d, 8 << 20, u64::MAX, 0)));
        assert!(is_lzma(&header(0, 4096, 1000, 0)));
        assert!(is_lzma(&header(0x5d, 3 << 20, u64::MAX, 0)), "2^n + 2^(n-1)");
        assert!(is_lzma(&header(0x5d, u32::MAX, u64::MAX, 0)));
        assert!(!is_lzma(&header(225, 8 << 20, u64::MAX, 0)), "properties past pb=4, lp=4, lc=8");
        assert!(!is_lzma(&header(0x5d, 5 << 20, u64::MAX, 0)), "5 MiB is no lzma dictionary size");
        assert!(is_lzma(&header(0x5d, 2048, u64::MAX, 0)), "liblzma raises a small dictionary");
        assert!(!is_lzma(&header(8, 8 << 20, u64::MAX, 0)), "lc=8: lc + lp over 4");
        assert!(!is_lzma(&header(9 * 4 + 1, 8 << 20, u64::MAX, 0)), "lc=1, lp=4");
        assert!(!is_lzma(&header(0x5d, 8 << 20, 1 << 40, 0)), "256 GiB and over");
        assert!(!is_lzma(&header(0x5d, 8 << 20, u64::MAX, 1)), "the range coder starts with 0");
        assert!(!is_lzma(&[0x5d, 0, 0]), "too short to tell");
        assert!(!is_lzma(&[0; 512]), "zeros: tar's empty archive");
        assert_eq!(Compression::detect(&[0; 512]), Ok(Compression::None));
    }
}
