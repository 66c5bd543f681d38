/*!
GNU's argmatch, as GNU tar reads the values of `--warning`, `--backup` and $VERSION_CONTROL: a
value is one of a table's words, or an unambiguous start of one (`num` for `numbered`); words
that mean the same count as one (`n` is ambiguous between `none` and `numbered`, not between two
spellings of one control).
*/

/// Why a value matched no word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// No word starts with it.
    Invalid,
    /// Words of different meanings start with it.
    Ambiguous,
}

impl Mismatch {
    /// `invalid` or `ambiguous`, as GNU's messages say.
    pub fn word(self) -> &'static str {
        match self {
            Mismatch::Invalid => "invalid",
            Mismatch::Ambiguous => "ambiguous",
        }
    }
}

/// The meaning of `arg` in `table` (word, meaning).
pub fn argmatch<T: Copy + PartialEq>(arg: &str, table: &[(&str, T)]) -> Result<T, Mismatch> {
    if let Some((_, meaning)) = table.iter().find(|(word, _)| *word == arg) {
        return Ok(*meaning);
    }
    let mut found = None;
    for (_, meaning) in table.iter().filter(|(word, _)| !arg.is_empty() && word.starts_with(arg)) {
        match found {
            None => found = Some(*meaning),
            Some(f) if f == *meaning => {}
            Some(_) => return Err(Mismatch::Ambiguous),
        }
    }
    found.ok_or(Mismatch::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_unambiguous_starts() {
        let table = [("none", 0), ("off", 0), ("numbered", 1), ("t", 1), ("nil", 2)];
        assert_eq!(argmatch("t", &table), Ok(1));
        assert_eq!(argmatch("num", &table), Ok(1));
        assert_eq!(argmatch("o", &table), Ok(0));
        assert_eq!(argmatch("n", &table), Err(Mismatch::Ambiguous));
        assert_eq!(argmatch("x", &table), Err(Mismatch::Invalid));
        assert_eq!(argmatch("", &table), Err(Mismatch::Invalid));
        assert_eq!(argmatch("no", &table), Ok(0));
        // Words of one meaning are one: `ne` starts both spellings of simple.
        assert_eq!(argmatch("ne", &[("never", 3), ("newly", 3), ("nil", 2)]), Ok(3));
    }
}
