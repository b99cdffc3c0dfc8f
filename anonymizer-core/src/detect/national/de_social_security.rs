//! `de_social_security`: the German Rentenversicherungsnummer (also on the
//! Sozialversicherungsausweis), 12 characters: area (2 digits), date of birth DDMMYY (the day
//! plus 50 for a second number of the same date), the birth name's initial, a serial (2
//! digits) and a check digit: `15070649C103`, or spaced `15 070649 C 103`. Decided by the
//! check digit of VKVV § 4 (the letter as its two-digit place in the alphabet, weights
//! 2-1-2-5-7-1-2-1-2-1-2-1, the digit sums of the products, mod 10) and a plausible date.

use super::{plausible_date, two};

pub(crate) const PATTERN: &str = r"(?-u:\b)[0-9]{2} ?[0-9]{6} ?[A-Z] ?[0-9]{2} ?[0-9](?-u:\b)";

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let mut v = [0u8; 13];
    let mut n = 0;
    for &b in &text.as_bytes()[start..end] {
        let (hi, lo) = match b {
            b'0'..=b'9' => (None, b - b'0'),
            b'A'..=b'Z' => {
                let place = b - b'A' + 1;
                (Some(place / 10), place % 10)
            }
            _ => continue,
        };
        for x in hi.into_iter().chain([lo]) {
            let Some(slot) = v.get_mut(n) else {
                return false;
            };
            *slot = x;
            n += 1;
        }
    }
    let day = two(&v[2..4]);
    let day = if day > 50 { day - 50 } else { day };
    if n != 13 || !plausible_date(day, two(&v[4..6])) {
        return false;
    }
    let weights = [2u8, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1];
    let sum: u32 = weights.iter().zip(&v).map(|(w, x)| w * x).map(|p| u32::from(p / 10 + p % 10)).sum();
    sum % 10 == u32::from(v[12])
}
