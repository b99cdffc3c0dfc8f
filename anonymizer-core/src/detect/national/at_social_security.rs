//! `at_social_security`: the Austrian Sozialversicherungsnummer, a 4-digit serial with its
//! check digit last, then the date of birth DDMMYY, usually written `1237 010180`. Decided by
//! the check digit (weights 3-7-9-·-5-8-4-2-1-6, sum mod 11, at the fourth place) and a
//! plausible date. Plain 10-digit runs (shared with `uk_nhs`, see [`super::bare_claims`])
//! need a context word near (`SVNR`, `Sozialversicherung`, …).

use super::{bare_claims, digits, plausible_date, two, Kind};

pub(crate) const PATTERN: &str = r"(?-u:\b)[1-9][0-9]{3} ?[0-9]{6}(?-u:\b)";

pub(crate) const CONTEXT: &[&str] =
    &["svnr", "sv-nr", "sv nr", "sv-nummer", "sozialversicherung", "versicherungsnummer", "vsnr", "e-card"];

pub(crate) fn check(d: &[u8]) -> bool {
    if d.len() != 10 || d[0] == 0 || !plausible_date(two(&d[4..6]), two(&d[6..8])) {
        return false;
    }
    let weights = [3u32, 7, 9, 0, 5, 8, 4, 2, 1, 6];
    let sum: u32 = weights.iter().zip(d).map(|(w, &x)| w * u32::from(x)).sum();
    sum % 11 == u32::from(d[3])
}

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    let Some(d) = digits::<10>(s) else {
        return false;
    };
    if s.len() == 10 {
        return bare_claims(Kind::AtSocialSecurity, text, start, end, &d);
    }
    check(&d)
}
