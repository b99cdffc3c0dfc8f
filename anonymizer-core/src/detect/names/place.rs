//! What `person_name` reads around a candidate besides the name: the place a name may be
//! part of ("San Costantino Calabro", "Hong Kong"), a saint's or place's prefix before it, and
//! the article that makes a capitalized word a noun. Every read is bounded (see
//! [`capped_run_start`] and `READ_BACK`).

use super::lexicon::{self, lexicon};
use super::word::{after_space, run_start, word_end};

/// Places named after people, or whose words are names ("San Costantino Calabro", "Hong
/// Kong", "Saudi Arabia", "Svalbard and Jan Mayen"): the found words, alone or with up to two
/// words before or after them, are a known country or city of two words or more. Reads two
/// words each side.
pub(super) fn in_place_name(text: &str, s: usize, e: usize) -> bool {
    let lex = lexicon();
    let word_before = |at: usize| {
        text[..at]
            .strip_suffix(' ')
            .and_then(|b| capped_run_start(b, |c| c.is_alphabetic() || c == '\'' || c == '&').filter(|&w| w < b.len()))
    };
    let word_after = |at: usize| after_space(text, at).map(|w| word_end(text, w)).filter(|&w| w > at + 1);
    let prev = word_before(s);
    let starts = [Some(s), prev, prev.and_then(word_before)];
    let next = word_after(e);
    let ends = [Some(e), next, next.and_then(word_after)];
    starts.iter().flatten().any(|&a| {
        // Two words at least: "Allen", "Charlotte", "Davis" are names and towns.
        ends.iter().flatten().any(|&b| {
            let name = &text[a..b];
            name.contains(' ') && lex.is_place(&name.replace(" & ", " and ").replace(" et ", " and "))
        })
    })
}

/// Where the run of characters for which `keep` holds that ends `text` starts, when it is at
/// most [`LONGEST_WORD`](lexicon::LONGEST_WORD) bytes long: what the detector reads behind a
/// word is bounded, as the redaction windows need.
pub(super) fn capped_run_start(text: &str, keep: impl Fn(char) -> bool) -> Option<usize> {
    let mut from = text.len().saturating_sub(lexicon::LONGEST_WORD + 4);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let w = from + run_start(&text[from..], keep);
    // A run reaching the cap may go on before it: a word too long to be a name's.
    (w > from || from == 0).then_some(w)
}

/// Words a place's name starts with: a name after them is a place or a saint's ("San
/// Costantino", "Sankt Peter", "St. Anna").
const PLACE_PREFIXES: &[&str] =
    &["San", "Santa", "Santo", "Sant", "Saint", "Sainte", "St", "Sankt", "São", "Bad", "Port", "Fort", "Mount"];

/// Whether the word ending right before `at` (and a space) is a [`PLACE_PREFIXES`] word.
pub(super) fn after_place_prefix(text: &str, at: usize) -> bool {
    let Some(b) = text[..at].strip_suffix(' ') else { return false };
    let b = b.strip_suffix('.').or_else(|| b.strip_suffix('\'')).unwrap_or(b);
    let w = capped_run_start(b, char::is_alphabetic).unwrap_or(b.len());
    PLACE_PREFIXES.contains(&&b[w..])
}

/// Lower-case words that make the capitalized word after them a noun ("dem Artikel", "the
/// Baker", "le Boulanger"), not a first name.
#[rustfmt::skip]
pub(super) const DETERMINERS: &[&str] = &[
    "der", "die", "das", "dem", "den", "des", "ein", "eine", "einem", "einen", "einer", "eines", "unser", "unsere",
    "the", "a", "an", "our", "your", "this", "that", "le", "la", "les", "un", "une", "du", "notre", "el", "los", "las",
    "una", "il", "lo", "gli", "uno", "nostro", "het", "een", "onze", "nasz", "nasza", "bir",
];
