//! `de_id_card`: the document number of the German Personalausweis (since 2010), 9
//! characters of `CFGHJKLMNPRTVWXYZ0-9`, a letter first and a digit among them, as printed
//! (`L01X00T47`), or followed by its check digit (ICAO 9303: weights 7-3-1, letters
//! A = 10 … Z = 35) and the `D` of the machine-readable zone (`L01X00T471`, `L01X00T471D`).
//! Such tokens are also product and order codes, so only with a context word near
//! (`Personalausweis`, `Ausweis`, `ID card`, …), and a check digit written must hold.

use super::near;

pub(crate) const PATTERN: &str = r"(?-u:\b)[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}(?:[0-9]D?)?(?-u:\b)";

pub(crate) const CONTEXT: &[&str] = &[
    "personalausweis",
    "ausweis",
    "id card",
    "id-card",
    "identity card",
    "identitätskarte",
    "dokumentennummer",
    "document number",
];

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    if !s[..9].iter().any(u8::is_ascii_digit) {
        return false;
    }
    if let Some(&check) = s.get(9) {
        let weights = [7u32, 3, 1];
        let sum: u32 = s[..9]
            .iter()
            .zip(weights.iter().cycle())
            .map(|(&b, w)| w * u32::from(if b.is_ascii_digit() { b - b'0' } else { b - b'A' + 10 }))
            .sum();
        if sum % 10 != u32::from(check - b'0') {
            return false;
        }
    }
    near(text, start, end, CONTEXT)
}
