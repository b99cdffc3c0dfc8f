//! `es_nie`: the Spanish NIE (foreigners' identity number), X, Y or Z, 7 digits and a
//! control letter (`X1234567L`, `Y-1234567-X`). Decided by the letter, as the DNI's with X,
//! Y, Z read as 0, 1, 2.

use super::digits;
use super::es_dni::letter_holds;

pub(crate) const PATTERN: &str = r"(?-u:\b)[XYZ]-?[0-9]{7}-?[A-Z](?-u:\b)";

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    let Some((&letter, rest)) = s.split_last() else {
        return false;
    };
    let lead = u32::from(s[0] - b'X');
    let body = rest[1..].strip_prefix(b"-").unwrap_or(&rest[1..]);
    let body = body.strip_suffix(b"-").unwrap_or(body);
    digits::<7>(body).is_some_and(|d| letter_holds(d.iter().fold(lead, |n, &x| n * 10 + u32::from(x)), letter))
}
