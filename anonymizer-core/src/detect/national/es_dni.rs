//! `es_dni`: the Spanish DNI (the NIF of a Spanish citizen), 8 digits (7 when a leading zero
//! is left out) and a control letter, glued or after a dash: `12345678Z`, `1234567-L`.
//! Decided by the letter, `TRWAGMYFPDXBNJZSQVHLCKE` at the number mod 23.

use super::digits;

pub(crate) const PATTERN: &str = r"(?-u:\b)[0-9]{7,8}-?[A-Z](?-u:\b)";

/// The control letters, indexed by the number mod 23.
pub(crate) const LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// Whether `letter` is the control letter of `number`.
pub(crate) fn letter_holds(number: u32, letter: u8) -> bool {
    LETTERS[(number % 23) as usize] == letter
}

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    let Some((&letter, number)) = s.split_last() else {
        return false;
    };
    let number = number.strip_suffix(b"-").unwrap_or(number);
    let n = match number.len() {
        7 => digits::<7>(number).map(|d| d.iter().fold(0u32, |n, &x| n * 10 + u32::from(x))),
        _ => digits::<8>(number).map(|d| d.iter().fold(0u32, |n, &x| n * 10 + u32::from(x))),
    };
    n.is_some_and(|n| letter_holds(n, letter))
}
