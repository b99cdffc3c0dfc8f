//! `person_name`: names of people in running text, without a language model. The search
//! hashes each capitalized word once against one map ([`lexicon`]: first names and surnames
//! of de, en, fr, es, it, nl, pl, tr from mimesis, salutations, greetings, closings, labels);
//! a word of the map starts a candidate, and what follows it decides:
//!
//! - a salutation or title ("Frau", "Mr", "Dr.", "Sig.ra", "Pan", more titles after it):
//!   the capitalized word after it is a name ("Frau Meier" → "Meier"); a weak salutation
//!   that is also a common word ("Bay", "Miss", "M.", "Don") only before a known name;
//! - a greeting ("Hallo", "Dear", "Bonjour", "Guten Tag"): a known name, or capitalized
//!   words ending the phrase ("Hallo Anna," → "Anna");
//! - a closing ("Viele Grüße", "Best regards", "Cordialement"), then a line break or a space:
//!   a known first name, or two or three capitalized words ending the line;
//! - a label and a colon ("Name: …", "Nom : …");
//! - a known first name before a capitalized word ("Anna Schulz"); a first name that is also
//!   a common word ("Frank", "Rose", "Mai", "Paris") only before a known surname.
//!
//! A name runs on over capitalized words that are known names or follow a first name, over
//! particles ("van der", "de la") and middle initials, within one line: at most four words
//! and 64 bytes. A single capitalized word, or a known name alone, is never a finding; nor
//! are pronouns, articles, weekdays, months and words like "Team" ([`lexicon`]'s stop list).
//! The finding is the name alone, without the salutation or greeting.

pub(crate) mod lexicon;
mod place;
pub(crate) mod word;

use lexicon::{
    closings, lexicon, Kind, AMBIGUOUS, CLOSE, FIRST, GREET, LABEL, LAST, LOWER_SALUTE, NAME_TRIGGER, PARTICLE, SALUTE,
    STOP, WEAK,
};
use place::{after_place_prefix, capped_run_start, in_place_name, DETERMINERS};
use word::{after_space, capitalized, char_at, char_before, ends_phrase, line_ends, word_end, word_start};

/// How far a candidate's check reads from the start of the word that started it (the
/// redaction windows rely on it: see `pipeline/redact.rs`).
pub(crate) const READ_SPAN: usize = 112;

/// How far a candidate's check reads before the word that started it, in bytes: three words
/// of at most [`capped_run_start`]'s 44 bytes and the spaces and dots between them.
pub(crate) const READ_BACK: usize = 3 * (lexicon::LONGEST_WORD + 4 + 2);

/// The longest name, in bytes and in words.
const NAME_BYTES: usize = 64;
const NAME_WORDS: usize = 4;

/// Lower-case words inside names ("Jan van der Berg", "José de la Cruz"); also capitalized
/// before another part ("Giuseppe Di Stefano").
#[rustfmt::skip]
pub(crate) const PARTICLES: &[&str] = &[
    "van", "von", "vom", "zu", "der", "den", "de", "del", "della", "dei", "degli", "di", "da", "das", "dos", "du",
    "des", "la", "le", "ter", "ten", "te", "y", "bin", "ibn", "al", "el", "'t",
];

/// Lower-case academic abbreviations after a title ("Dr. med.", "Dr. rer. nat.").
const TITLE_ABBREVIATIONS: &[&str] =
    &["med", "dent", "vet", "rer", "nat", "phil", "jur", "habil", "oec", "pol", "h", "c"];

/// Two-word greetings: the first word and what may follow it.
#[rustfmt::skip]
const GREETING_PAIRS: &[(&str, &[&str])] = &[
    ("Guten", &["Tag", "Morgen", "Abend"]), ("Good", &["morning", "afternoon", "evening", "day"]),
    ("Dzień", &["dobry"]), ("Buenos", &["días", "dias"]), ("Buenas", &["tardes", "noches"]),
];

/// The next word from `from` that may start a name: a capitalized word (or a salutation
/// like "M", "LG") of the lexicon. One pass over the bytes; only words starting with an
/// upper-case letter are read to their end and hashed.
pub(crate) fn search(text: &str, from: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let lex = lexicon();
    let mut i = from;
    while i < b.len() {
        let c = b[i];
        if (c.is_ascii_uppercase() || c >= 0xC3) && word_start(text, i) {
            let end = word_end(text, i);
            if char_at(text, i).is_some_and(char::is_uppercase)
                && (lex.kind(&text[i..end]) & NAME_TRIGGER != 0 || lower_salutation_before(text, i).is_some())
            {
                return Some((i, end));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    None
}

/// The name that the word `text[start..end]` (found by [`search`]) introduces or starts.
pub(crate) fn find(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    // Everything below reads this much of the text and no more.
    let mut limit = (start + READ_SPAN).min(text.len());
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let text = &text[..limit];
    let word = text.get(start..end)?;
    let kind = lexicon().kind(word);
    if is_particle(word) && kind & (SALUTE | WEAK | GREET | CLOSE | LABEL) == 0 {
        // "Di", "De", "Van" capitalized: part of a name after another part, never one alone.
        return None;
    }
    let mut found = None;
    if kind & (SALUTE | WEAK | STOP) == 0 && capitalized(word) {
        if let Some(s) = lower_salutation_before(text, start) {
            found = Some((s, strong_run(text, s, end, kind)));
        }
    }
    if found.is_none() && kind & CLOSE != 0 {
        found = closing(text, start, word);
    }
    if found.is_none() && kind & (SALUTE | WEAK) != 0 {
        found = salutation(text, end, kind & SALUTE == 0);
    }
    if found.is_none() && kind & GREET != 0 {
        found = greeting(text, end, word);
    }
    if found.is_none() && kind & LABEL != 0 {
        found = label(text, end);
    }
    if found.is_none() && kind & FIRST != 0 {
        found = first_name(text, start, end, kind);
    }
    if found.is_none() && kind & LAST != 0 && kind & (FIRST | AMBIGUOUS | STOP) == 0 {
        found = before_surname(text, start, end);
    }
    found.filter(|&(s, e)| !in_place_name(text, s, e))
}

/// Where a name starts whose word at `at` follows a salutation written in lower case
/// ("señora García", "meneer van Dijk": then the particles start it).
fn lower_salutation_before(text: &str, at: usize) -> Option<usize> {
    let mut start = at;
    let mut p = at;
    for _ in 0..3 {
        let before = text[..p].strip_suffix(' ')?;
        let core = before.strip_suffix('.').unwrap_or(before);
        // Most words before a capitalized one are neither: one hash look-up tells.
        let w = capped_run_start(core, |c| c.is_alphabetic() || c == '\'')?;
        let word = &core[w..];
        let kind = lexicon().kind(word);
        if core.len() == before.len() && kind & PARTICLE != 0 {
            (start, p) = (w, w);
            continue;
        }
        let ok = kind & LOWER_SALUTE != 0 && !char_before(text, w).is_some_and(char::is_alphanumeric);
        return ok.then_some(start);
    }
    None
}

/// An unknown capitalized word before a known surname ("Branko Haase"): a name, unless the
/// word looks like a noun or a function word.
fn before_surname(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let before = text[..start].strip_suffix(' ')?;
    let w = capped_run_start(before, |c| c.is_alphabetic() || c == '-' || c == '\'')?;
    let word = &before[w..];
    let k = lexicon().kind(word);
    const NOUN_ENDINGS: &[&str] =
        &["ung", "heit", "keit", "schaft", "tion", "tät", "ei", "nis", "chen", "ment", "ismus", "ität"];
    if !capitalized(word) || k != 0 || NOUN_ENDINGS.iter().any(|e| word.ends_with(e)) || word.len() < 3 {
        return None;
    }
    if char_before(text, w).is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '.') {
        return None;
    }
    // Not after an article or a word that makes it a noun phrase ("der Wagner", "dem
    // Artikel Wiese"), nor in a place's name ("San Marco Rossi").
    if let Some(prev) = text[..w].strip_suffix(' ') {
        let p = capped_run_start(prev, char::is_alphabetic)?;
        let prev_word = &prev[p..];
        if lexicon().kind(prev_word) & STOP != 0 && prev_word.starts_with(char::is_uppercase)
            || DETERMINERS.contains(&prev_word)
        {
            return None;
        }
    }
    if after_place_prefix(text, w) {
        return None;
    }
    Some((w, extend(text, w, end, LAST)))
}

/// A name in a slot that holds one (after a salutation, a label and colon, a closing): its
/// first part ends at `end`; a second capitalized part joins unless the first is a surname.
fn strong_run(text: &str, start: usize, end: usize, kind: Kind) -> usize {
    let first_like = kind & FIRST != 0 || kind & LAST == 0;
    extend(text, start, end, if first_like { kind | FIRST } else { kind })
}

/// After a salutation ending at `at`: its dot and abbreviation ("Sig.ra"), more titles
/// ("Frau Dr. Prof."), then the name.
fn salutation(text: &str, at: usize, weak: bool) -> Option<(usize, usize)> {
    let lex = lexicon();
    let mut at = skip_dot(text, at);
    for _ in 0..4 {
        let w = after_space(text, at)?;
        let e = word_end(text, w);
        let word = &text[w..e];
        let k = lex.kind(word);
        let title = k & SALUTE != 0 && k & (FIRST | LAST) == 0;
        if title || (TITLE_ABBREVIATIONS.contains(&word) && text[e..].starts_with('.')) {
            at = skip_dot(text, e);
            continue;
        }
        if is_particle(word) {
            // "Herr van der Berg".
            let (_, _, end) = next_part(text, w.saturating_sub(1))?;
            return Some((w, extend(text, w, end, LAST)));
        }
        if !capitalized(word) || k & STOP != 0 || (weak && k & (FIRST | LAST) == 0) {
            return None;
        }
        return Some((w, strong_run(text, w, e, k)));
    }
    None
}

/// After a greeting ending at `at`: a known name, or a capitalized name ending the phrase
/// ("Hallo Anna,", "Dear John Smith!"); or a salutation ("Liebe Frau Meier").
fn greeting(text: &str, at: usize, word: &str) -> Option<(usize, usize)> {
    let lex = lexicon();
    let mut at = at;
    if let Some((_, seconds)) = GREETING_PAIRS.iter().find(|(first, _)| *first == word) {
        let w = after_space(text, at)?;
        let e = word_end(text, w);
        if !seconds.contains(&&text[w..e]) {
            return None;
        }
        at = e;
    }
    if text[at..].starts_with(',') {
        at += 1;
    }
    let w = after_space(text, at)?;
    let e = word_end(text, w);
    let k = lex.kind(&text[w..e]);
    if k & (SALUTE | WEAK) != 0 && k & (FIRST | LAST) == 0 {
        return salutation(text, e, k & SALUTE == 0);
    }
    if !capitalized(&text[w..e]) || k & STOP != 0 {
        return None;
    }
    let end = extend(text, w, e, k);
    (k & (FIRST | LAST) != 0 || ends_phrase(text, end)).then_some((w, end))
}

/// After a closing starting at `start` with `word` ("Viele Grüße", "Best regards"), its
/// punctuation and a line break or space: the signature's name.
fn closing(text: &str, start: usize, word: &str) -> Option<(usize, usize)> {
    let lex = lexicon();
    let b = text.as_bytes();
    'phrase: for phrase in closings(word) {
        let mut at = start + word.len();
        for next in &phrase[1..] {
            match after_space(text, at) {
                Some(w) if word_end(text, w) == w + next.len() && text[w..].starts_with(next) => at = w + next.len(),
                _ => continue 'phrase,
            }
        }
        if matches!(b.get(at), Some(b',' | b'!' | b'.' | b'-')) {
            at += 1;
        }
        let blank = at;
        while at < b.len() && at - blank < 6 && matches!(b[at], b' ' | b'\t' | b'\n' | b'\r') {
            at += 1;
        }
        if at == blank || !word_start(text, at) {
            continue;
        }
        let newline = text[blank..at].contains('\n');
        let e = word_end(text, at);
        let k = lex.kind(&text[at..e]);
        if !capitalized(&text[at..e]) || k & STOP != 0 {
            continue;
        }
        let end = strong_run(text, at, e, k);
        let known_first = k & FIRST != 0 && k & AMBIGUOUS == 0;
        if known_first || line_ends(text, end) || (newline && k & (FIRST | LAST) != 0) {
            return Some((at, end));
        }
    }
    None
}

/// After a label ("Name", "Kunde", "Ad Soyad", "Imię i nazwisko"): with a colon, any
/// capitalized name; without, a known one.
fn label(text: &str, at: usize) -> Option<(usize, usize)> {
    let lex = lexicon();
    let line = &text[at..text[at..].find('\n').map_or(text.len(), |i| at + i)];
    let colon = line.find(':').filter(|&i| {
        i <= 24
            && line[..i]
                .split(' ')
                .all(|w| w.is_empty() || w.starts_with(char::is_lowercase) || lex.kind(w) & LABEL != 0)
    });
    let at = colon.map_or(at, |i| at + i + 1);
    let w = after_space(text, at)?;
    let e = word_end(text, w);
    let k = lex.kind(&text[w..e]);
    if !capitalized(&text[w..e]) || k & (STOP | SALUTE) != 0 || (colon.is_none() && k & (FIRST | LAST) == 0) {
        return None;
    }
    Some((w, if colon.is_some() { strong_run(text, w, e, k) } else { extend(text, w, e, k) }))
}

/// A known first name before another part of a name ("Anna Schulz", "Jan van Dijk"); an
/// ambiguous one only before a known surname.
fn first_name(text: &str, start: usize, end: usize, kind: Kind) -> Option<(usize, usize)> {
    let (k, particle, _) = next_part(text, end)?;
    if k & STOP != 0 || kind & STOP != 0 {
        return None;
    }
    // A street named after a person is a street ("rue Nicole Allard", "Janice Road").
    let street = text[..start].strip_suffix(' ').is_some_and(|b| {
        ["rue", "avenue", "boulevard", "place", "allée", "impasse", "chemin", "quai", "Via", "via", "Calle", "calle"]
            .iter()
            .any(|w| b.ends_with(w) && !char_before(b, b.len() - w.len()).is_some_and(char::is_alphabetic))
    });
    let typed = after_space(text, end).is_some_and(|w| super::street_address::is_type(&text[w..word_end(text, w)]));
    if street || typed || after_place_prefix(text, start) {
        return None;
    }
    let ok = if kind & AMBIGUOUS != 0 { k & LAST != 0 && k & AMBIGUOUS == 0 } else { true };
    (ok || particle).then(|| (start, extend(text, start, end, kind)))
}

/// The next part of a name after a single space at `at`: its kind, whether particles or an
/// initial led to it, and its end.
fn next_part(text: &str, at: usize) -> Option<(Kind, bool, usize)> {
    let mut p = after_space(text, at)?;
    let mut led = false;
    for _ in 0..4 {
        let e = word_end(text, p);
        let word = &text[p..e];
        if is_particle(word) {
            p = after_space(text, e)?;
            led = true;
            continue;
        }
        // A middle initial: "John F. Kennedy".
        if !led && e == p + 1 && word.chars().all(char::is_uppercase) && text[e..].starts_with(". ") {
            p = after_space(text, e + 1)?;
            led = true;
            continue;
        }
        return capitalized(word).then(|| (lexicon().kind(word), led, e));
    }
    None
}

/// The end of a name starting at `start` whose first part ends at `end` with kind `prev`:
/// parts after a first name, known names and particle-led parts join, up to four words and
/// 64 bytes.
fn extend(text: &str, start: usize, end: usize, prev: Kind) -> usize {
    let (mut end, mut prev) = (end, prev);
    for _ in 1..NAME_WORDS {
        let Some((k, led, e)) = next_part(text, end) else { break };
        let joins = k & STOP == 0 && (k & (FIRST | LAST) != 0 || led || prev & FIRST != 0);
        if !joins || e - start > NAME_BYTES {
            break;
        }
        (end, prev) = (e, k);
    }
    end
}

fn is_particle(word: &str) -> bool {
    PARTICLES.iter().any(|p| p.eq_ignore_ascii_case(word))
}

/// Past the dot of an abbreviation and what is glued after it ("Dr.", "Sig.ra", "Dott.ssa").
fn skip_dot(text: &str, at: usize) -> usize {
    if !text[at..].starts_with('.') {
        return at;
    }
    if char_at(text, at + 1).is_some_and(char::is_lowercase) {
        let e = word_end(text, at + 1);
        return if text[e..].starts_with('.') { e + 1 } else { e };
    }
    at + 1
}

#[cfg(test)]
mod tests;
