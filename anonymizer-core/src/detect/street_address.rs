//! `street_address`: a street with its house number, and a postal code with its city, for
//! DE, AT, CH, FR, UK, US and NL. Every number starting a word is a candidate; what is
//! around it decides:
//!
//! - after a street: a word ending in a street type ("Hauptstraße 12", "Kerkstraat 12a",
//!   "Hauptstr. 5"), a street type with the words before it ("Lange Straße 5", "Frankfurter
//!   Allee 3"), or a street word with the words after it ("Am Markt 3a", "rue de Rivoli 10",
//!   "Via Roma 1"; German prepositions only when the number ends the phrase);
//! - before a street: "12 Baker Street", "221B Baker St.", "1600 Pennsylvania Avenue NW",
//!   "10 rue de Rivoli", "8, boulevard Petit" (a French street word, or a US/UK street type
//!   after one to three capitalized words; "Apt. 4", "Suite 4" join);
//! - a postal code before its city: five digits (DE, FR) or four (AT, CH), optionally with
//!   a country prefix ("D-10115"), four digits and two letters (NL "1012 AB"), before a city
//!   of the list ("10115 Berlin") or any city after a comma or at a line's start
//!   (", 10115 Teststadt"); a US state and ZIP code ("New York, NY 10001"); a UK postcode
//!   ("SW1A 1AA", and its city after it).
//!
//! A street with its postal code and city ("Hauptstraße 12, 10115 Berlin") is two adjacent
//! findings. Page, article and version numbers, amounts and order numbers have no street or
//! city around them.

use super::names::lexicon::{lexicon, STOP};
use super::names::word::{
    after_space, capitalized, char_at, char_before, ends_phrase, run_start, word_end, word_start,
};
use super::READ_SPAN;

mod words;
use words::{
    ABBREVIATED, DIRECTIONS, FLATS, FR_STREETS, ID_WORDS, LEADS, NOT_STREETS, PREPOSITIONS, SECONDARY, SUFFIXES, TYPES,
    US_STATES,
};

/// A number starting a word. [`search`] finds what it matches, without a regex call per number.
pub(crate) const PATTERN: &str = r"(?-u:\b)[0-9]{1,5}";

/// The first match of [`PATTERN`] at or after `from`: up to five digits starting at an ASCII
/// word boundary (no ASCII letter, digit or `_` before them). A number is the most common
/// token of a cell, and a regex call costs more than this loop over a sentence.
pub(crate) fn search(text: &str, from: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = from;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            if i == 0 || !word(b[i - 1]) {
                let run = b[i..].iter().take(5).take_while(|c| c.is_ascii_digit()).count();
                return Some((i, i + run));
            }
            // Inside a word or a longer number: past its digits.
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    None
}

/// How far before a number its check reads: the street name.
pub(crate) const READ_BEFORE: usize = 40;

/// The address part around the number `text[start..end]`.
pub(crate) fn find(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    // The check reads at most READ_BEFORE bytes before the number and READ_SPAN from it.
    let mut from = start.saturating_sub(READ_BEFORE);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let mut limit = (start + READ_SPAN).min(text.len());
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let text = &text[..limit];
    if char_before(text, start).is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | ',' | '/' | '+')) {
        return None;
    }
    street_before(text, from, start, end)
        .or_else(|| street_after(text, start, end))
        .or_else(|| postal_code(text, from, start, end))
        .or_else(|| us_zip(text, from, start, end))
        .or_else(|| uk_postcode(text, from, start, end))
}

/// The end of a house number "12", "12a", "221B", "12-14", "1/4" whose digits end at `end`.
fn house_number(text: &str, start: usize, end: usize) -> Option<usize> {
    if end - start > 4 || text[start..].starts_with('0') {
        return None;
    }
    let b = text.as_bytes();
    let mut e = end;
    if matches!(b.get(e), Some(b'-' | b'/')) && b.get(e + 1).is_some_and(u8::is_ascii_digit) {
        e += 1;
        while b.get(e).is_some_and(u8::is_ascii_digit) && e - end < 5 {
            e += 1;
        }
    }
    if b.get(e).is_some_and(u8::is_ascii_alphabetic) && !char_at(text, e + 1).is_some_and(char::is_alphanumeric) {
        e += 1;
    }
    (!char_at(text, e).is_some_and(char::is_alphanumeric)).then_some(e)
}

/// "Hauptstraße 12", "Lange Straße 5", "Am Markt 3a", "rue de Rivoli 10".
fn street_before(text: &str, from: usize, start: usize, end: usize) -> Option<(usize, usize)> {
    let e = house_number(text, start, end)?;
    let before = text.get(from..start)?.strip_suffix(' ')?;
    let (words, n) = words_back(before);
    let words = &words[..n];
    let (last_start, last) = *words.first()?;
    if last.ends_with('.') && !ends_with_ci(last, "str.") {
        return None;
    }
    // A street type: the word, or the word and capitalized words before it.
    if last.starts_with(char::is_uppercase) && SUFFIXES.iter().any(|s| ends_with_ci(last, s)) {
        let mut s = last_start;
        let bare = SUFFIXES.iter().any(|x| last.len() == x.len() && ends_with_ci(last, x));
        for &(ws, w) in words.iter().skip(1).filter(|_| bare) {
            if LEADS.contains(&w) {
                s = ws;
                break;
            }
            if !capitalized(w) || lexicon().kind(w) & STOP != 0 {
                break;
            }
            s = ws;
        }
        return Some((from + s, e));
    }
    // A street word leading: the words after it capitalized or particles.
    for (i, &(ws, w)) in words.iter().enumerate().skip(1) {
        if LEADS.contains(&w) {
            let name = &words[..i];
            let names_ok = name.iter().all(|(_, n)| {
                capitalized(n)
                    || matches!(*n, "der" | "den" | "dem" | "de" | "du" | "des" | "la" | "le" | "di" | "del" | "della")
            });
            let first = name.last().map_or("", |(_, n)| n);
            if !names_ok
                || !capitalized(first) && !matches!(first, "de" | "du" | "des" | "la" | "le" | "der" | "den" | "dem")
            {
                return None;
            }
            if PREPOSITIONS.contains(&w) {
                let time = name.iter().any(|(_, n)| NOT_STREETS.contains(n) || lexicon().kind(n) & STOP != 0);
                if time || !ends_phrase(text, e) {
                    return None;
                }
            }
            return Some((from + ws, e));
        }
    }
    None
}

/// "12 Baker Street", "1600 Pennsylvania Avenue NW", "10 rue de Rivoli", "8, boulevard Petit".
fn street_after(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    if end - start > 5 {
        return None;
    }
    let b = text.as_bytes();
    let mut e = end;
    if b.get(e).is_some_and(u8::is_ascii_uppercase) && !char_at(text, e + 1).is_some_and(char::is_alphanumeric) {
        e += 1;
    }
    for ext in [" bis", " ter"] {
        if text[e..].starts_with(ext) && !char_at(text, e + ext.len()).is_some_and(char::is_alphanumeric) {
            e += ext.len();
        }
    }
    let comma = text[e..].starts_with(',');
    let w = after_space(text, e + usize::from(comma))?;
    let we = word_end(text, w);
    if FR_STREETS.contains(&&text[w..we]) {
        // The name: capitalized words and particles, up to five.
        let mut last = None;
        let mut at = we;
        for _ in 0..6 {
            let Some(n) = after_space(text, at).or_else(|| text[at..].starts_with(" l'").then_some(at + 1)) else {
                break;
            };
            let ne = word_end(text, n);
            let word = &text[n..ne];
            if capitalized(word) || word.starts_with("l'") || word.starts_with("d'") {
                last = Some(ne);
            } else if !matches!(word, "de" | "du" | "des" | "la" | "le" | "l") {
                break;
            }
            at = ne;
        }
        return last.map(|l| (start, l));
    }
    // "Flat 5, Janice Road": the flat starts the finding.
    let flat = text[..start]
        .strip_suffix(' ')
        .and_then(|b| FLATS.iter().find(|f| b.ends_with(*f)).map(|f| start - 1 - f.len()));
    let start = match flat {
        Some(f) if comma && word_start(text, f) => f,
        _ if comma => return None,
        _ => start,
    };
    // One to three capitalized words, then a street type.
    let mut at = w;
    for _ in 0..4 {
        let ne = word_end(text, at);
        let word = &text[at..ne];
        if is_type(word) && at > w {
            let abbreviated = ABBREVIATED.contains(&word) && text[ne..].starts_with('.');
            let mut end = if abbreviated { ne + 1 } else { ne };
            if let Some(d) = after_space(text, end) {
                let de = word_end(text, d);
                if DIRECTIONS.contains(&&text[d..de]) && !char_at(text, de).is_some_and(char::is_alphanumeric) {
                    end = de;
                }
            }
            return Some((start, secondary(text, end)));
        }
        if !capitalized(word) || lexicon().kind(word) & STOP != 0 {
            return None;
        }
        at = after_space(text, ne)?;
    }
    None
}

/// A US or UK street type, or its plural ("Groves").
pub(crate) fn is_type(word: &str) -> bool {
    TYPES.contains(&word) || word.strip_suffix('s').is_some_and(|w| TYPES.contains(&w))
}

/// Past " Apt. 4", " Suite 12" after a street.
fn secondary(text: &str, end: usize) -> usize {
    for s in SECONDARY {
        let rest = &text[end..];
        if let Some(after) = rest.strip_prefix(' ').and_then(|r| r.strip_prefix(s)).and_then(|r| r.strip_prefix(' ')) {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 && !char_at(after, digits).is_some_and(char::is_alphanumeric) {
                return text.len() - after.len() + digits;
            }
        }
    }
    end
}

/// "10115 Berlin", "D-10115 Berlin", "1010 Wien", "1012 AB Amsterdam", ", 75001 Paris".
fn postal_code(text: &str, from: usize, start: usize, end: usize) -> Option<(usize, usize)> {
    let digits = end - start;
    if !(4..=5).contains(&digits) {
        return None;
    }
    let b = text.as_bytes();
    let mut s = start;
    // A country prefix: "D-", "A-", "CH-", "F-", "NL-".
    let before = &text[from..start];
    let prefixed = ["D-", "A-", "CH-", "F-", "NL-", "B-", "L-"].iter().find(|p| {
        before.ends_with(*p) && !char_before(before, before.len() - p.len()).is_some_and(char::is_alphanumeric)
    });
    if let Some(p) = prefixed {
        s -= p.len();
    }
    let mut e = end;
    // NL: "1012 AB", "1012AB".
    if digits == 4 {
        let gap = usize::from(b.get(e) == Some(&b' '));
        let l = &b[e + gap..];
        if l.len() >= 2
            && l[0].is_ascii_uppercase()
            && l[1].is_ascii_uppercase()
            && !l.get(2).is_some_and(u8::is_ascii_alphanumeric)
        {
            e += gap + 2;
        }
    }
    let city = after_space(text, e)?;
    let city_end = city_end(text, city)?;
    let prev = before.trim_end_matches(' ');
    let after_break = prev.is_empty() && from == 0 || prev.ends_with([',', '\n', ';']) || before.ends_with('\n');
    let label = prev
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .is_some_and(|w| ID_WORDS.iter().any(|x| w.eq_ignore_ascii_case(x)) || ends_with_ci(w, "nummer"));
    let (known, known_end) = city_end;
    let ok = !label && (known || prefixed.is_some() || (after_break && ends_phrase(text, known_end)));
    ok.then_some((s, known_end))
}

/// The city at `at`: whether it is a known city, and its end (the longest known name of up
/// to four words, else the capitalized words there).
fn city_end(text: &str, at: usize) -> Option<(bool, usize)> {
    let lex = lexicon();
    let first = word_end(text, at);
    let article = matches!(&text[at..first], "La" | "Le" | "Les" | "De" | "Den" | "L")
        && after_space(text, first).is_some_and(|n| char_at(text, n).is_some_and(char::is_uppercase));
    if !capitalized(&text[at..first]) || (lex.kind(&text[at..first]) & STOP != 0 && !article) {
        return None;
    }
    let mut ends = [first; 4];
    let mut e = first;
    for slot in ends.iter_mut().skip(1) {
        let Some(n) = after_space(text, e).or_else(|| text[e..].starts_with(". ").then(|| e + 2)) else { break };
        e = word_end(text, n);
        *slot = e;
    }
    let known = ends.iter().rev().find(|&&e| lex.is_city(&text[at..e])).copied();
    // Unknown: the capitalized words (with "am", "an der", "sur", "en" between).
    let mut end = first;
    let mut at2 = first;
    for _ in 0..3 {
        let Some(n) = after_space(text, at2) else { break };
        let ne = word_end(text, n);
        let w = &text[n..ne];
        if capitalized(w) && lex.kind(w) & STOP == 0 {
            end = ne;
        } else if !matches!(
            w,
            "am" | "an" | "der" | "im" | "in" | "bei" | "sur" | "en" | "le" | "la" | "ob" | "aan" | "de"
        ) {
            break;
        }
        at2 = ne;
    }
    match known {
        // A known city, or a longer name it starts that ends the phrase ("Zell am See").
        Some(k) if end <= k || !ends_phrase(text, end) => Some((true, k)),
        Some(_) => Some((true, end)),
        None => Some((false, end)),
    }
}

/// "NY 10001", "New York, NY 10001-1234".
fn us_zip(text: &str, from: usize, start: usize, end: usize) -> Option<(usize, usize)> {
    let before = text.get(from..start)?.strip_suffix(' ')?;
    let state = before.get(before.len().checked_sub(2)?..)?;
    if end - start != 5
        || !US_STATES.contains(&state)
        || char_before(before, before.len() - 2).is_some_and(char::is_alphanumeric)
    {
        return None;
    }
    let mut s = from + before.len() - 2;
    // "City, ".
    if let Some(city) = before[..before.len() - 2].strip_suffix(", ") {
        let (words, n) = words_back(city);
        let mut c = None;
        for &(ws, w) in &words[..n.min(3)] {
            if !capitalized(w) {
                break;
            }
            c = Some(ws);
        }
        if let Some(c) = c {
            s = from + c;
        }
    }
    let b = text.as_bytes();
    let mut e = end;
    if b.get(e) == Some(&b'-') && b.get(e + 1..e + 5).is_some_and(|x| x.len() == 4 && x.iter().all(u8::is_ascii_digit))
    {
        e += 5;
    }
    (!char_at(text, e).is_some_and(char::is_alphanumeric)).then_some((s, e))
}

/// A UK postcode "SW1A 1AA" (its inward part "1AA" is the number found), and a city after it.
fn uk_postcode(text: &str, from: usize, start: usize, end: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    if end - start != 1
        || !(b.get(end..end + 2)?.iter().all(u8::is_ascii_uppercase))
        || char_at(text, end + 2).is_some_and(char::is_alphanumeric)
    {
        return None;
    }
    let before = text.get(from..start)?.strip_suffix(' ')?;
    let out_start = run_start(before, |c| c.is_ascii_alphanumeric());
    let out = &before.as_bytes()[out_start..];
    let letters = out.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let rest = &out[letters..];
    let shape = (1..=2).contains(&letters)
        && matches!(rest.len(), 1 | 2)
        && rest[0].is_ascii_digit()
        && rest.get(1).is_none_or(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    if !shape || out_start == 0 && from > 0 {
        return None;
    }
    let s = from + out_start;
    let e = end + 2;
    match after_space(text, e).and_then(|c| city_end(text, c)) {
        Some((known, ce)) if known || ends_phrase(text, ce) => Some((s, ce)),
        _ => Some((s, e)),
    }
}

/// Whether `word` ends in the lower-case `suffix`, ASCII letters in any case.
fn ends_with_ci(word: &str, suffix: &str) -> bool {
    word.len() >= suffix.len() && word.as_bytes()[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Up to four words of `text` back from its end, last first: (start, word), and how many.
/// Words are separated by single spaces; a trailing `.` stays on its word ("Hauptstr.").
fn words_back(text: &str) -> ([(usize, &str); 4], usize) {
    let mut out = [(0, ""); 4];
    let mut n = 0;
    let mut end = text.len();
    while n < 4 && end > 0 {
        let start = text[..end].rfind(' ').map_or(0, |i| i + 1);
        let w = &text[start..end];
        let core = w.strip_suffix('.').unwrap_or(w);
        if core.is_empty() || !word_start(text, start) || word_end(text, start) != start + core.len() {
            break;
        }
        out[n] = (start, w);
        n += 1;
        if start == 0 {
            break;
        }
        end = start - 1;
    }
    (out, n)
}

#[cfg(test)]
mod tests;
