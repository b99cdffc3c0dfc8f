//! `pl_pesel`: the Polish PESEL, 11 digits written as one run: a date of birth YYMMDD (the
//! month plus 20 for births 2000–2099), a serial and a check digit (weights 1-3-7-9). Decided
//! by the check digit and a real date from 1900 to 2099. Shared with `de_tax_id` and
//! `be_national_number` (see [`super::bare_claims`]).

use super::{bare_claims, digits, two, Kind};

pub(crate) const PATTERN: &str = r"(?-u:\b)[0-9]{11}(?-u:\b)";

pub(crate) const CONTEXT: &[&str] = &["pesel"];

pub(crate) fn check(d: &[u8]) -> bool {
    if d.len() != 11 {
        return false;
    }
    let (yy, mm, dd) = (u32::from(two(&d[0..2])), two(&d[2..4]), two(&d[4..6]));
    let (year, month) = match mm {
        1..=12 => (1900 + yy, mm),
        21..=32 => (2000 + yy, mm - 20),
        _ => return false,
    };
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if dd == 0 || dd > days {
        return false;
    }
    let weights = [1u32, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let sum: u32 = weights.iter().zip(d).map(|(w, &x)| w * u32::from(x)).sum();
    (10 - sum % 10) % 10 == u32::from(d[10])
}

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    digits::<11>(&text.as_bytes()[start..end]).is_some_and(|d| bare_claims(Kind::PlPesel, text, start, end, &d))
}
