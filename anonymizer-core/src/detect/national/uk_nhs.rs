//! `uk_nhs`: the NHS number of England and Wales, 10 digits grouped 3-3-4 by spaces or
//! dashes (`943 476 5919`) or plain. Decided by its mod-11 check (weights 10…2, see
//! [`mod11`]). Grouped numbers in the ranges England and Wales allocate (400–499,
//! 600–799) that cannot be North American phone numbers (their exchange starts with 0 or 1)
//! are found on their own; every other one, and plain runs (shared with
//! `at_social_security`, see [`super::bare_claims`]), only with a context word near (`NHS`).

use super::{bare_claims, digits, near, separators, Kind};
use crate::detect::checksum::mod11;

pub(crate) const PATTERN: &str = r"(?-u:\b)[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}(?-u:\b)";

pub(crate) const CONTEXT: &[&str] = &["nhs", "national health", "health service"];

pub(crate) fn check(d: &[u8]) -> bool {
    d.len() == 10 && mod11(d.iter().copied())
}

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    let Some(d) = digits::<10>(s) else {
        return false;
    };
    match separators(s) {
        (0, _) => bare_claims(Kind::UkNhs, text, start, end, &d),
        (2, true) => {
            let distinct = matches!(d[0], 4 | 6 | 7) && d[3] <= 1;
            check(&d) && (distinct || near(text, start, end, CONTEXT))
        }
        _ => false,
    }
}
