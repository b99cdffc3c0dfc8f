//! Words in running text, as the `person` detectors read them: letters with inner `-` or `'`
//! ("Hans-Jürgen", "O'Brien"), found by a byte scan that decodes only non-ASCII letters.

/// The character ending `text[..at]`, if any.
pub(crate) fn char_before(text: &str, at: usize) -> Option<char> {
    text.get(..at).and_then(|t| t.chars().next_back())
}

/// The character starting `text[at..]`, if any.
pub(crate) fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|t| t.chars().next())
}

/// Whether a word can start at `at`: a letter there, and before it neither a letter, a digit
/// nor a joining `-`, `'`, `’`, `.` or `@`.
pub(crate) fn word_start(text: &str, at: usize) -> bool {
    char_at(text, at).is_some_and(char::is_alphabetic)
        && !char_before(text, at)
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '\'' | '’' | '.' | '@' | '_'))
}

/// The end of the word starting at `at`: letters, with a `-`, `'` or `’` between letters.
pub(crate) fn word_end(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let mut i = at;
    loop {
        // ASCII letters fast; anything else decoded.
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        match char_at(text, i) {
            Some(c) if c.is_alphabetic() => i += c.len_utf8(),
            Some(c @ ('-' | '\'' | '’')) if char_at(text, i + c.len_utf8()).is_some_and(char::is_alphabetic) => {
                i += c.len_utf8();
            }
            _ => return i,
        }
    }
}

/// A capitalized word starts at `at`: an upper-case letter, then at least one lower-case
/// letter and no second upper-case letter before it ("Anna", "McBride" yes; "DHL", "A" no).
pub(crate) fn capitalized(word: &str) -> bool {
    let mut cs = word.chars();
    if !cs.next().is_some_and(char::is_uppercase) {
        return false;
    }
    match cs.next() {
        Some(c) if c.is_lowercase() => true,
        // "O'Brien", "D'Angelo".
        Some('\'' | '’') => cs.next().is_some_and(char::is_uppercase) && cs.next().is_some_and(char::is_lowercase),
        _ => false,
    }
}

/// Where the next word starts after a single space at `at` (`None` when `at` holds no space
/// followed by a letter).
pub(crate) fn after_space(text: &str, at: usize) -> Option<usize> {
    (text.as_bytes().get(at) == Some(&b' ') && char_at(text, at + 1).is_some_and(char::is_alphabetic)).then_some(at + 1)
}

/// Skips spaces and tabs (not line breaks) from `at`.
pub(crate) fn skip_blanks(text: &str, mut at: usize) -> usize {
    let b = text.as_bytes();
    while at < b.len() && matches!(b[at], b' ' | b'\t') {
        at += 1;
    }
    at
}

/// Whether `at` ends a line or the text (after blanks), or holds punctuation that ends a
/// name: `,` `.` `;` `!` `?` `:` `)`.
pub(crate) fn ends_phrase(text: &str, at: usize) -> bool {
    let at = skip_blanks(text, at);
    match text.as_bytes().get(at) {
        None | Some(b'\n' | b'\r' | b',' | b';' | b'!' | b'?' | b':' | b')') => true,
        // A full stop, not an initial or abbreviation followed by more of the name.
        Some(b'.') => true,
        _ => false,
    }
}

/// Whether the line holding `at` ends at or after `at` with only blanks between.
pub(crate) fn line_ends(text: &str, at: usize) -> bool {
    let at = skip_blanks(text, at);
    matches!(text.as_bytes().get(at), None | Some(b'\n' | b'\r'))
}

/// Where the run of characters for which `keep` holds that ends `text` starts.
pub(crate) fn run_start(text: &str, keep: impl Fn(char) -> bool) -> usize {
    text.char_indices().rev().find(|&(_, c)| !keep(c)).map_or(0, |(i, c)| i + c.len_utf8())
}
