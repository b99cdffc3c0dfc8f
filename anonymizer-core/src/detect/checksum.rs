//! Check-digit algorithms shared by the built-in detectors and by custom detectors'
//! `validate`. Each works on values: digits 0–9, and for the alphanumeric ones letters
//! A–Z as 10–35. None allocates: they run once per candidate in digit-dense text.

use crate::rule::Checksum;

/// Luhn (ISO/IEC 7812): from the right, every second digit doubled (minus 9 above 9); the
/// sum is a multiple of 10.
pub(crate) fn luhn(digits: impl DoubleEndedIterator<Item = u8>) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.rev().enumerate() {
        let d = u32::from(d);
        sum += if i % 2 == 1 {
            if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        } else {
            d
        };
    }
    sum.is_multiple_of(10)
}

/// Mod 11 with weights 1, 2, 3, … from the right (the check digit weighs 1): the weighted
/// sum is a multiple of 11. The same as the UK NHS number's check (weights 10…2 on the
/// first nine digits, check = 11 − sum mod 11, 11 → 0, 10 impossible) and ISBN-10 without
/// `X`.
pub(crate) fn mod11(digits: impl DoubleEndedIterator<Item = u8>) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.rev().enumerate() {
        sum = (sum + (i as u32 % 11 + 1) * u32::from(d)) % 11;
    }
    sum == 0
}

/// ISO 7064 MOD 11,10 (hybrid), check digit last: the German tax id and VAT id.
pub(crate) fn iso7064_mod11_10(digits: impl Iterator<Item = u8>) -> bool {
    let mut check = 5u32;
    for d in digits {
        let c = if check == 0 { 10 } else { check };
        check = ((c * 2) % 11 + u32::from(d)) % 10;
    }
    check == 1
}

/// ISO 7064 MOD 97-10 over values in order (letters A = 10 … Z = 35, written as two
/// digits): the number is 1 mod 97 (LEI, ISO 11649 creditor references after their
/// rearrangement).
pub(crate) fn iso7064_mod97_10(values: impl Iterator<Item = u8>) -> bool {
    let mut r = 0u32;
    for v in values {
        r = if v >= 10 { (r * 100 + u32::from(v)) % 97 } else { (r * 10 + u32::from(v)) % 97 };
    }
    r == 1
}

/// EAN-13 / GTIN: weights 1, 3, 1, … from the right; the sum is a multiple of 10.
pub(crate) fn ean(digits: impl DoubleEndedIterator<Item = u8>) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.rev().enumerate() {
        sum += if i % 2 == 1 { 3 * u32::from(d) } else { u32::from(d) };
    }
    sum.is_multiple_of(10)
}

/// The ASCII digits of `text` as values.
fn digit_values(text: &str) -> impl DoubleEndedIterator<Item = u8> + '_ {
    text.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0')
}

/// The ASCII letters and digits of `text` as values (either case; A = 10 … Z = 35).
fn alnum_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'Z' => Some(b - b'A' + 10),
        b'a'..=b'z' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Whether a custom detector's `validate` holds for its match: luhn, mod11 and
/// iso7064_mod11_10 run over the ASCII digits of the match; mod97 and iso7064_mod97_10
/// over its ASCII letters and digits; every other character is skipped. Fewer than two
/// characters to run over never hold.
pub(crate) fn holds(checksum: Checksum, text: &str) -> bool {
    match checksum {
        Checksum::Luhn | Checksum::Mod11 | Checksum::Iso7064Mod11_10 => {
            if digit_values(text).nth(1).is_none() {
                return false;
            }
            match checksum {
                Checksum::Luhn => luhn(digit_values(text)),
                Checksum::Mod11 => mod11(digit_values(text)),
                _ => iso7064_mod11_10(digit_values(text)),
            }
        }
        Checksum::Mod97 | Checksum::Iso7064Mod97_10 => {
            let values = || text.bytes().filter_map(alnum_value);
            if values().nth(1).is_none() {
                return false;
            }
            if checksum == Checksum::Iso7064Mod97_10 {
                return iso7064_mod97_10(values());
            }
            // The first four values moved to the end, without a buffer.
            values().count() > 4 && iso7064_mod97_10(values().skip(4).chain(values().take(4)))
        }
    }
}

#[cfg(test)]
mod tests;
