//! `date_of_birth`: a date right after a birth word ("geb. 12.03.1985", "born on March 12,
//! 1985", "né le 12 mars 1985", "Geburtsdatum: 1985-03-12", "doğum tarihi 12.03.1985"). The
//! search finds birth words; a date follows within a few filler words ("am", "on", "le",
//! "tarihi", `:`); the finding is the date alone. A date without a birth word is not found.
//!
//! Dates: `d.m.yyyy`, `d/m/yyyy`, `d-m-yyyy` (two-digit years too; `m/d` read as well), ISO
//! `yyyy-mm-dd`, and written ones with a month name of the eight languages: `12. März 1985`,
//! `12 mars 1985`, `12 de marzo de 1985`, `March 12, 1985`, `12th March 1985`. Days are
//! 1–31, months 1–12, four-digit years 1880–2099.

use super::names::word::{char_at, char_before, skip_blanks, word_end};
use super::READ_SPAN;

/// Birth words, matched case-insensitively; the check refuses those glued to letters.
pub(crate) const PATTERN: &str = r"(?i)(?:geb\.|geboren|geburtsdatum|geburtstag|born|birth|birthdate|birthday|d\.?o\.?b\.?|née|né|naissance|nat[oa]|nascita|nacid[oa]|nacimiento|urodzon[ya]|urodzenia|urodzin|ur\.|geboortedatum|doğum|doğumlu)";

/// Words between a birth word and the date.
#[rustfmt::skip]
const FILLERS: &[&str] = &[
    "am", "den", "on", "the", "of", "is", "was", "ist", "le", "il", "el", "op", "tarihi", "dnia", "w", "de", "du",
    "date", "data", "datum", "fecha", "in", "a", "à", "en", "at",
];

/// Month names and abbreviations of de, en, fr, es, it, nl, pl, tr, lower case, with their number.
#[rustfmt::skip]
const MONTHS: &[(&str, u8)] = &[
    ("januar", 1), ("jänner", 1), ("january", 1), ("janvier", 1), ("enero", 1), ("gennaio", 1), ("januari", 1),
    ("stycznia", 1), ("styczeń", 1), ("ocak", 1), ("jan", 1), ("februar", 2), ("february", 2), ("février", 2),
    ("febrero", 2), ("febbraio", 2), ("februari", 2), ("lutego", 2), ("luty", 2), ("şubat", 2), ("feb", 2), ("märz", 3),
    ("march", 3), ("mars", 3), ("marzo", 3), ("maart", 3), ("marca", 3), ("marzec", 3), ("mart", 3), ("mar", 3),
    ("mär", 3), ("april", 4), ("avril", 4), ("abril", 4), ("aprile", 4), ("kwietnia", 4), ("kwiecień", 4), ("nisan", 4),
    ("apr", 4), ("mai", 5), ("may", 5), ("mayo", 5), ("maggio", 5), ("mei", 5), ("maja", 5), ("maj", 5), ("mayıs", 5),
    ("juni", 6), ("june", 6), ("juin", 6), ("junio", 6), ("giugno", 6), ("czerwca", 6), ("czerwiec", 6), ("haziran", 6),
    ("jun", 6), ("juli", 7), ("july", 7), ("juillet", 7), ("julio", 7), ("luglio", 7), ("lipca", 7), ("lipiec", 7),
    ("temmuz", 7), ("jul", 7), ("august", 8), ("août", 8), ("agosto", 8), ("augustus", 8), ("sierpnia", 8),
    ("sierpień", 8), ("ağustos", 8), ("aug", 8), ("september", 9), ("septembre", 9), ("septiembre", 9),
    ("setiembre", 9), ("settembre", 9), ("września", 9), ("wrzesień", 9), ("eylül", 9), ("sep", 9), ("sept", 9),
    ("oktober", 10), ("october", 10), ("octobre", 10), ("octubre", 10), ("ottobre", 10), ("października", 10),
    ("październik", 10), ("ekim", 10), ("oct", 10), ("okt", 10), ("november", 11), ("novembre", 11), ("noviembre", 11),
    ("listopada", 11), ("listopad", 11), ("kasım", 11), ("nov", 11), ("dezember", 12), ("december", 12),
    ("décembre", 12), ("diciembre", 12), ("dicembre", 12), ("grudnia", 12), ("grudzień", 12), ("aralık", 12),
    ("dec", 12), ("dez", 12),
];

/// The date a birth word `text[start..end]` introduces.
pub(crate) fn find(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    // The check reads at most READ_SPAN bytes from the birth word.
    let mut limit = (start + READ_SPAN).min(text.len());
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let text = &text[..limit];
    let glued = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    if glued(char_before(text, start)) || (!text[..end].ends_with('.') && glued(char_at(text, end))) {
        return None;
    }
    let mut at = end;
    for _ in 0..5 {
        at = skip_blanks(text, at);
        while matches!(text.as_bytes().get(at), Some(b':' | b',' | b'-' | b'(' | b'\n')) {
            at = skip_blanks(text, at + 1);
        }
        if let Some(e) = date(text, at) {
            return Some((at, e));
        }
        let e = word_end(text, at);
        let word = text.get(at..e)?;
        if e == at || !FILLERS.iter().any(|f| f.eq_ignore_ascii_case(word)) {
            return None;
        }
        at = if text[e..].starts_with('.') { e + 1 } else { e };
    }
    None
}

/// The end of a date starting at `at`, if one does.
fn date(text: &str, at: usize) -> Option<usize> {
    if let Some((first, e1)) = number(text, at) {
        return day_first(text, at, first, e1);
    }
    // "March 12, 1985", "March 12th 1985".
    let (_, m_end) = month(text, at)?;
    let d_at = skip_blanks(text, m_end);
    let (_, mut e) = number(text, d_at).filter(|&(d, e)| d_at > m_end && e - d_at <= 2 && (1..=31).contains(&d))?;
    for suffix in ["st", "nd", "rd", "th"] {
        if text[e..].starts_with(suffix) {
            e += 2;
            break;
        }
    }
    if text[e..].starts_with(',') {
        e += 1;
    }
    let y_at = skip_blanks(text, e);
    let (y, end) = number(text, y_at).filter(|_| y_at > e)?;
    (end - y_at == 4 && year(y, 4) && !char_at(text, end).is_some_and(char::is_alphanumeric)).then_some(end)
}

/// A date starting with the number `first` at `at..e1`: numeric, or day and month name.
fn day_first(text: &str, at: usize, first: u32, e1: usize) -> Option<usize> {
    let b = text.as_bytes();
    let sep = b.get(e1).copied();
    // Numeric: d.m.y, d/m/y, d-m-y (or m/d/y), y-m-d.
    if let Some(s @ (b'.' | b'/' | b'-')) = sep {
        if let Some((second, e2)) = number(text, e1 + 1) {
            if b.get(e2) == Some(&s) {
                let (third, e3) = number(text, e2 + 1)?;
                let glued = char_at(text, e3).is_some_and(char::is_alphanumeric);
                let more =
                    matches!(b.get(e3), Some(b'.' | b'/' | b'-')) && b.get(e3 + 1).is_some_and(u8::is_ascii_digit);
                let ends = !glued && !more;
                let (l1, l3) = (e1 - at, e3 - e2 - 1);
                let ok = if l1 == 4 {
                    s == b'-' && l3 <= 2 && year(first, 4) && day_month(third, second)
                } else {
                    l1 <= 2
                        && (l3 == 4 || l3 == 2)
                        && year(third, l3)
                        && (day_month(first, second) || day_month(second, first))
                };
                return (ends && ok).then_some(e3);
            }
        }
    }
    // Written: "12. März 1985", "12 mars 1985", "12th March 1985", "12 de marzo de 1985".
    if e1 - at <= 2 && (1..=31).contains(&first) {
        let mut p = e1;
        for suffix in ["st", "nd", "rd", "th", "er", "."] {
            if text[p..].starts_with(suffix) {
                p += suffix.len();
                break;
            }
        }
        p = skip_word(text, p, "of").unwrap_or(p);
        p = skip_word(text, p, "de").unwrap_or(p);
        let (_, m_end) = month(text, skip_blanks(text, p)).filter(|_| b.get(p) == Some(&b' '))?;
        let mut q = skip_word(text, m_end, "de").unwrap_or(m_end);
        if text[q..].starts_with(',') {
            q += 1;
        }
        let y_at = skip_blanks(text, q);
        let (y, e) = number(text, y_at).filter(|_| y_at > q)?;
        return (e - y_at == 4 && year(y, 4) && !char_at(text, e).is_some_and(char::is_alphanumeric)).then_some(e);
    }
    None
}

/// Digits at `at` (one to four): their value and end.
fn number(text: &str, at: usize) -> Option<(u32, usize)> {
    let b = text.as_bytes();
    let mut e = at;
    let mut v = 0u32;
    while e < b.len() && b[e].is_ascii_digit() && e - at < 5 {
        v = v * 10 + u32::from(b[e] - b'0');
        e += 1;
    }
    (e > at && e - at <= 4).then_some((v, e))
}

fn day_month(day: u32, month: u32) -> bool {
    (1..=31).contains(&day) && (1..=12).contains(&month)
}

fn year(y: u32, digits: usize) -> bool {
    digits == 2 || (1880..=2099).contains(&y)
}

/// A month name at `at` (abbreviations may end in `.`): its number and end.
fn month(text: &str, at: usize) -> Option<(u8, usize)> {
    let e = word_end(text, at);
    let word = text.get(at..e)?;
    if word.len() < 3 || word.len() > 24 {
        return None;
    }
    let lower = word.to_lowercase();
    let (_, m) = MONTHS.iter().find(|(name, _)| *name == lower)?;
    let e = if word.len() <= 4 && text[e..].starts_with('.') { e + 1 } else { e };
    Some((*m, e))
}

/// Past ` word` at `at`, if it is there.
fn skip_word(text: &str, at: usize, word: &str) -> Option<usize> {
    let w = at + 1;
    (text.as_bytes().get(at) == Some(&b' ') && text[w..].starts_with(word) && word_end(text, w) == w + word.len())
        .then_some(w + word.len())
}

#[cfg(test)]
mod tests {
    use crate::detect::Scanner;

    #[test]
    fn dates_next_to_a_birth_word_in_eight_languages() {
        let s = Scanner::builtin_only(&["date_of_birth"]).unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("Anna Meier, geb. 12.03.1985, wohnt in Köln", &["12.03.1985"]),
            ("geboren am 12. März 1985 in Ulm", &["12. März 1985"]),
            ("Geburtsdatum: 1985-03-12", &["1985-03-12"]),
            ("born on March 12, 1985 in Leeds", &["March 12, 1985"]),
            ("DOB 03/12/1985", &["03/12/1985"]),
            ("Date of birth: 12th March 1985.", &["12th March 1985"]),
            ("née le 12 mars 1985 à Lyon", &["12 mars 1985"]),
            ("nato il 12/03/1985 a Roma", &["12/03/1985"]),
            ("nacida el 12 de marzo de 1985", &["12 de marzo de 1985"]),
            ("urodzony 12 marca 1985 r.", &["12 marca 1985"]),
            ("geboren op 12-03-1985", &["12-03-1985"]),
            ("Doğum tarihi: 12.03.1985", &["12.03.1985"]),
        ];
        s.assert_cases(cases);
    }

    #[test]
    fn dates_without_birth_words_and_near_misses_are_not_found() {
        let s = Scanner::builtin_only(&["date_of_birth"]).unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("Termin am 12.03.1985 um 10 Uhr", &[]),
            ("Rechnung vom 12. März 2024, Version 2.3.1", &[]),
            ("unborn 12.03.1985", &[]),
            ("geboren in Ulm, seit 12.03.1985 verheiratet", &[]),
            ("born 45.13.1985 or 12.03.19856", &[]),
            ("NATO 2024-13-01", &[]),
            ("born 1.2.3.4", &[]),
        ];
        s.assert_cases(cases);
    }
}
