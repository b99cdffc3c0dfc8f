//! `de_vat_id`: the German Umsatzsteuer-Identifikationsnummer (USt-IdNr), `DE` and 9 digits,
//! the first not 0: `DE136695976`, `DE 136695976`, `DE 136 695 976` (spaces, dots or dashes
//! between the groups); a lower-case `de` only glued to the digits. Decided by its ISO 7064
//! MOD 11,10 check digit.

use super::digits;
use crate::detect::checksum::iso7064_mod11_10;

pub(crate) const PATTERN: &str = r"(?-u:\b)(?:DE[ .-]?[0-9]{3}[ .-]?[0-9]{3}[ .-]?[0-9]{3}|de[0-9]{9})(?-u:\b)";

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    digits::<9>(&s[2..]).is_some_and(|d| d[0] != 0 && iso7064_mod11_10(d.iter().copied()))
}
