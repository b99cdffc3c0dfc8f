//! PII detectors for free text, one per file, and the [`Scanner`] that runs the detectors a
//! rule names over a cell: one pass over the bytes says which detectors can match at all
//! (most cells: none), then only those search, each candidate is validated (checksums,
//! parsers, context), and overlapping findings are resolved: checksum-validated kinds win,
//! then the longer finding. Patterns use ASCII word boundaries so the regex engine's lazy DFA
//! also runs on non-ASCII text. `header` runs the built-in detectors over the file's own
//! column names, which may be data too.

mod card;
pub(crate) mod checksum;
mod date_of_birth;
mod email;
mod header;
mod iban;
mod ip;
mod names;
mod national;
mod phone;
mod scanner;
mod street_address;
#[cfg(test)]
mod testing;
mod url;

pub use header::{column_label, header_looks_like_data, is_plain_name, looks_like_data, ColumnLabels};
pub(crate) use national::CONTEXT_CHARS;
pub use scanner::{Finding, Scanner};

use crate::rule::Region;

/// How a detector decides whether a candidate is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// The pattern alone decides (custom detectors).
    Pattern,
    Email,
    /// ISO 13616 mod-97 with the country's IBAN length.
    Iban,
    /// Luhn over 13–19 digits with consistent grouping.
    Card,
    Ipv4,
    Ipv6,
    Url,
    Phone,
    /// A custom detector with `validate` or `context`: the scanner checks its matches.
    Checked,
    /// A national identifier (`national/`).
    National(national::Kind),
    // The `person` group: their searches and checks read words around a candidate (see
    // `READ_SPAN`); person_name's search is code, not a pattern.
    PersonName,
    StreetAddress,
    DateOfBirth,
}

/// How far the checks of the `person` group read from the start of a candidate (a
/// salutation, a number, a birth word): names, streets and dates that follow it.
pub(crate) const READ_SPAN: usize = names::READ_SPAN;

/// How far `person_name` reads before a candidate, in bytes (see [`names::READ_BACK`]).
pub(crate) const READ_BACK: usize = names::READ_BACK;

impl Check {
    /// Detectors of digit groups, whose candidates may swallow a neighbouring number.
    pub(crate) fn numeric(self) -> bool {
        matches!(self, Check::Iban | Check::Card | Check::Phone | Check::Ipv4 | Check::National(_))
    }

    /// Whether a search of this detector over a whole text may resume at any position: its
    /// candidates never fail validation, so a search is never inside a match it dropped.
    pub(crate) fn resumes_anywhere(self) -> bool {
        matches!(self, Check::Pattern)
    }

    /// Whether a search over a whole text is never in the middle of a failed match right
    /// after byte `b`: numbers resume after the group separators of [`scanner`]'s
    /// `next_group`; URL candidates end at whitespace, `<`, `>`, quotes; e-mail candidates
    /// at whitespace; IPv6 candidates at what no address holds.
    /// Candidates of the `person` group are single words or numbers (a failed one resumes
    /// at its end): never inside one after whitespace.
    pub(crate) fn resumes_after(self, b: u8) -> bool {
        match self {
            Check::PersonName | Check::StreetAddress | Check::DateOfBirth => b.is_ascii_whitespace(),
            Check::Pattern => true,
            Check::Email => b.is_ascii_whitespace(),
            Check::Iban | Check::Card | Check::Phone | Check::Ipv4 | Check::National(_) => {
                matches!(b, b' ' | b'-' | b'/' | b'.')
            }
            // A failed match resumes at its end: after whitespace, the search is between
            // matches unless the pattern matches across whitespace.
            Check::Checked => b.is_ascii_whitespace(),
            Check::Url => b.is_ascii_whitespace() || matches!(b, b'<' | b'>' | b'"' | b'\'' | b'`'),
            Check::Ipv6 => b.is_ascii() && !(b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'%')),
        }
    }

    /// Checksum-validated findings win overlaps.
    pub(crate) fn priority(self) -> u8 {
        match self {
            // A national identifier is more specific than a card number of the same digits
            // (an AHV number that also passes Luhn).
            Check::National(_) => 4,
            Check::Iban | Check::Card => 3,
            Check::Email | Check::Url => 2,
            _ => 1,
        }
    }
}

/// A built-in detector: its candidate pattern and its check.
pub(crate) fn builtin(name: &str) -> Option<(&'static str, Check)> {
    Some(match name {
        "email" => (email::PATTERN, Check::Email),
        "iban" => (iban::PATTERN, Check::Iban),
        "credit_card" => (card::PATTERN, Check::Card),
        "ipv4" => (ip::V4_PATTERN, Check::Ipv4),
        "ipv6" => (ip::V6_PATTERN, Check::Ipv6),
        "url" => (url::PATTERN, Check::Url),
        "phone" => (phone::PATTERN, Check::Phone),
        // No pattern: `search` finds its candidates.
        "person_name" => ("", Check::PersonName),
        "street_address" => (street_address::PATTERN, Check::StreetAddress),
        "date_of_birth" => (date_of_birth::PATTERN, Check::DateOfBirth),
        _ => return national::builtin(name).map(|(p, k)| (p, Check::National(k))),
    })
}

/// Validates a candidate `text[start..end]`; may shrink it (e.g. trailing punctuation).
/// `region` is the rule's `[input] region`, for national forms.
pub(crate) fn validate(check: Check, text: &str, start: usize, end: usize, region: Region) -> Option<(usize, usize)> {
    match check {
        Check::Pattern | Check::Checked => Some((start, end)),
        Check::Email => email::find(text, start, end),
        Check::Iban => iban::find(text, start, end),
        Check::Card => card::find(text, start, end),
        Check::Ipv4 => ip::find_v4(text, start, end),
        Check::Ipv6 => ip::valid_v6(text, start, end),
        Check::Url => url::trim(text, start, end),
        Check::Phone => phone::find(text, start, end, region),
        Check::National(kind) => national::find(kind, text, start, end),
        Check::PersonName => names::find(text, start, end),
        Check::StreetAddress => street_address::find(text, start, end),
        Check::DateOfBirth => date_of_birth::find(text, start, end),
    }
}

/// The next candidate at or after `from` of a detector whose search is code, not a pattern.
pub(crate) fn search(check: Check, text: &str, from: usize) -> Option<Option<(usize, usize)>> {
    match check {
        Check::PersonName => Some(names::search(text, from)),
        Check::StreetAddress => Some(street_address::search(text, from)),
        Check::Phone => Some(phone::search::search(text, from)),
        Check::Card => Some(card::search::search(text, from)),
        _ => None,
    }
}

/// Not glued to a letter or digit on either side.
pub(crate) fn isolated(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(|c| c.is_alphanumeric()) && !after.is_some_and(|c| c.is_alphanumeric())
}
