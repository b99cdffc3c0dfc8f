//! National identifiers, one per file: candidates found by a pattern of their usual written
//! forms, then decided by their check digits (and dates, and number ranges) where they have
//! them. Context words, where a form needs them, must begin a word within
//! [`CONTEXT_CHARS`] characters before or after the candidate.
//!
//! Plain digit runs of the same length are shared by several kinds (11 digits: `de_tax_id`,
//! `pl_pesel`, `be_national_number`; 10: `uk_nhs`, `at_social_security`; 9: `nl_bsn`,
//! `us_ssn`). [`bare_claims`] gives such a run to one kind only: among the kinds whose check
//! holds, the first with one of its context words near (in the order just listed). Without
//! a context word a plain run is none of them: one random 11-digit order number in about 25
//! passes one of the three checks, too many for free text full of order numbers.

mod at_social_security;
mod be_national_number;
mod ch_ahv;
mod de_id_card;
mod de_social_security;
mod de_tax_id;
mod de_vat_id;
mod es_dni;
mod es_nie;
mod fr_nir;
mod it_fiscal_code;
mod nl_bsn;
mod pl_pesel;
mod uk_nhs;
mod uk_nino;
mod us_ssn;

#[cfg(test)]
mod tests;

/// Characters before and after a candidate in which its context words are looked for.
pub(crate) const CONTEXT_CHARS: usize = 40;

/// A national identifier kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    DeTaxId,
    DeVatId,
    DeSocialSecurity,
    DeIdCard,
    AtSocialSecurity,
    ChAhv,
    FrNir,
    UkNino,
    UkNhs,
    UsSsn,
    NlBsn,
    EsDni,
    EsNie,
    ItFiscalCode,
    PlPesel,
    BeNationalNumber,
}

/// Name, candidate pattern and kind of every national identifier.
const KINDS: &[(&str, &str, Kind)] = &[
    ("de_tax_id", de_tax_id::PATTERN, Kind::DeTaxId),
    ("de_vat_id", de_vat_id::PATTERN, Kind::DeVatId),
    ("de_social_security", de_social_security::PATTERN, Kind::DeSocialSecurity),
    ("de_id_card", de_id_card::PATTERN, Kind::DeIdCard),
    ("at_social_security", at_social_security::PATTERN, Kind::AtSocialSecurity),
    ("ch_ahv", ch_ahv::PATTERN, Kind::ChAhv),
    ("fr_nir", fr_nir::PATTERN, Kind::FrNir),
    ("uk_nino", uk_nino::PATTERN, Kind::UkNino),
    ("uk_nhs", uk_nhs::PATTERN, Kind::UkNhs),
    ("us_ssn", us_ssn::PATTERN, Kind::UsSsn),
    ("nl_bsn", nl_bsn::PATTERN, Kind::NlBsn),
    ("es_dni", es_dni::PATTERN, Kind::EsDni),
    ("es_nie", es_nie::PATTERN, Kind::EsNie),
    ("it_fiscal_code", it_fiscal_code::PATTERN, Kind::ItFiscalCode),
    ("pl_pesel", pl_pesel::PATTERN, Kind::PlPesel),
    ("be_national_number", be_national_number::PATTERN, Kind::BeNationalNumber),
];

/// The candidate pattern and kind of a national identifier detector.
pub(crate) fn builtin(name: &str) -> Option<(&'static str, Kind)> {
    KINDS.iter().find(|(n, _, _)| *n == name).map(|&(_, p, k)| (p, k))
}

impl Kind {
    /// Digits every finding of this kind holds: the scanner skips the kind in cells with
    /// fewer (one cheap count for all of them).
    pub(crate) fn min_digits(self) -> usize {
        match self {
            Kind::DeIdCard | Kind::ItFiscalCode => 1,
            Kind::UkNino => 6,
            Kind::EsDni | Kind::EsNie => 7,
            Kind::DeVatId | Kind::UsSsn | Kind::NlBsn => 9,
            Kind::AtSocialSecurity | Kind::UkNhs => 10,
            Kind::DeTaxId | Kind::DeSocialSecurity | Kind::PlPesel | Kind::BeNationalNumber | Kind::FrNir => 11,
            Kind::ChAhv => 13,
        }
    }
}

/// Validates the candidate `text[start..end]` of `kind`: the found range, or `None`.
pub(crate) fn find(kind: Kind, text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    if !super::isolated(text, start, end) || glued_to_number(text.as_bytes(), start, end) {
        return None;
    }
    let ok = match kind {
        Kind::DeTaxId => de_tax_id::valid(text, start, end),
        Kind::DeVatId => de_vat_id::valid(text, start, end),
        Kind::DeSocialSecurity => de_social_security::valid(text, start, end),
        Kind::DeIdCard => de_id_card::valid(text, start, end),
        Kind::AtSocialSecurity => at_social_security::valid(text, start, end),
        Kind::ChAhv => ch_ahv::valid(text, start, end),
        Kind::FrNir => fr_nir::valid(text, start, end),
        Kind::UkNino => uk_nino::valid(text, start, end),
        Kind::UkNhs => uk_nhs::valid(text, start, end),
        Kind::UsSsn => us_ssn::valid(text, start, end),
        Kind::NlBsn => nl_bsn::valid(text, start, end),
        Kind::EsDni => es_dni::valid(text, start, end),
        Kind::EsNie => es_nie::valid(text, start, end),
        Kind::ItFiscalCode => it_fiscal_code::valid(text, start, end),
        Kind::PlPesel => pl_pesel::valid(text, start, end),
        Kind::BeNationalNumber => be_national_number::valid(text, start, end),
    };
    ok.then_some((start, end))
}

/// Whether a `-`, `.` or `/` joins the candidate to a digit on either side: it is part of a
/// longer number (`123-45-6789-0`, `2024/12345678903`).
fn glued_to_number(b: &[u8], start: usize, end: usize) -> bool {
    let joint = |x: Option<&u8>| x.is_some_and(|x| matches!(x, b'-' | b'.' | b'/'));
    let digit = |x: Option<&u8>| x.is_some_and(u8::is_ascii_digit);
    (start >= 2 && joint(b.get(start - 1)) && digit(b.get(start - 2))) || (joint(b.get(end)) && digit(b.get(end + 1)))
}

/// The digit values of `s` when it holds exactly `N` ASCII digits and otherwise only the
/// separators space, `.`, `-` and `/`.
pub(crate) fn digits<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    let mut n = 0;
    for &b in s {
        match b {
            b'0'..=b'9' => {
                *out.get_mut(n)? = b - b'0';
                n += 1;
            }
            b' ' | b'.' | b'-' | b'/' => {}
            _ => return None,
        }
    }
    (n == N).then_some(out)
}

/// The separators of a candidate: how many, and whether they are all the same byte.
pub(crate) fn separators(s: &[u8]) -> (usize, bool) {
    let mut seps = s.iter().filter(|b| matches!(b, b' ' | b'.' | b'-' | b'/'));
    let first = seps.next();
    let rest = seps.clone().count();
    (first.map_or(0, |_| 1 + rest), seps.all(|b| Some(b) == first))
}

/// A date of birth as numbers print it: day 1–31, month 1–12. No calendar: 31 February passes, as the issuers' own checks let it.
pub(crate) fn plausible_date(day: u8, month: u8) -> bool {
    (1..=31).contains(&day) && (1..=12).contains(&month)
}

/// The value of two digits.
pub(crate) fn two(d: &[u8]) -> u8 {
    d[0] * 10 + d[1]
}

/// Whether one of `words` (lower-case) begins a word within [`CONTEXT_CHARS`] characters
/// before `start` or after `end`, compared case-insensitively. Reads at most
/// `CONTEXT_CHARS` characters each side and the one before each.
pub(crate) fn near<W: AsRef<str>>(text: &str, start: usize, end: usize, words: &[W]) -> bool {
    let mut from = start;
    for (i, _) in text[..start].char_indices().rev().take(CONTEXT_CHARS) {
        from = i;
    }
    let to = text[end..].char_indices().nth(CONTEXT_CHARS).map_or(text.len(), |(i, _)| end + i);
    [(from, start), (end, to)].iter().any(|&(a, b)| {
        text[a..b].char_indices().any(|(i, c)| {
            let at = a + i;
            c.is_alphanumeric()
                && !text[..at].chars().next_back().is_some_and(char::is_alphanumeric)
                && words.iter().any(|w| begins_with_ci(&text[at..b], w.as_ref()))
        })
    })
}

/// Whether `hay` starts with the lower-case `word`, ignoring case.
fn begins_with_ci(hay: &str, word: &str) -> bool {
    if word.is_ascii() {
        return hay.as_bytes().get(..word.len()).is_some_and(|h| h.eq_ignore_ascii_case(word.as_bytes()));
    }
    let mut hay = hay.chars().flat_map(char::to_lowercase);
    word.chars().all(|w| hay.next() == Some(w))
}

/// Plain digit runs shared by several kinds, in the order ties go.
const BARE: &[&[Kind]] = &[
    &[Kind::NlBsn, Kind::UsSsn],
    &[Kind::UkNhs, Kind::AtSocialSecurity],
    &[Kind::DeTaxId, Kind::PlPesel, Kind::BeNationalNumber],
];

/// Whether the plain digit run `text[start..end]` (its values `d`) is `kind`'s: see the
/// module documentation.
pub(crate) fn bare_claims(kind: Kind, text: &str, start: usize, end: usize, d: &[u8]) -> bool {
    let Some(kinds) = BARE.iter().find(|k| k.contains(&kind)) else {
        return false;
    };
    let holds = |k: Kind| match k {
        Kind::NlBsn => nl_bsn::check(d),
        Kind::UsSsn => us_ssn::check(d),
        Kind::UkNhs => uk_nhs::check(d),
        Kind::AtSocialSecurity => at_social_security::check(d),
        Kind::DeTaxId => de_tax_id::check(d),
        Kind::PlPesel => pl_pesel::check(d),
        Kind::BeNationalNumber => be_national_number::check(d),
        _ => false,
    };
    if !holds(kind) {
        return false;
    }
    let context = |k: Kind| match k {
        Kind::NlBsn => nl_bsn::CONTEXT,
        Kind::UsSsn => us_ssn::CONTEXT,
        Kind::UkNhs => uk_nhs::CONTEXT,
        Kind::AtSocialSecurity => at_social_security::CONTEXT,
        Kind::DeTaxId => de_tax_id::CONTEXT,
        Kind::PlPesel => pl_pesel::CONTEXT,
        _ => be_national_number::CONTEXT,
    };
    kinds.iter().copied().filter(|&k| holds(k)).find(|&k| near(text, start, end, context(k))) == Some(kind)
}
