//! `nl_bsn`: the Dutch burgerservicenummer, 9 digits passing the 11-proof (weights 9…2 on
//! the first eight digits, −1 on the last; the sum a multiple of 11). Written `1234.56.782`
//! it is found on its own; as `123 456 782` or a plain run (shared with `us_ssn`, see
//! [`super::bare_claims`]) only with a context word near (`BSN`, `burgerservicenummer`, …).

use super::{bare_claims, digits, near, Kind};

pub(crate) const PATTERN: &str =
    r"(?-u:\b)(?:[0-9]{4}\.[0-9]{2}\.[0-9]{3}|[0-9]{3} [0-9]{3} [0-9]{3}|[0-9]{9})(?-u:\b)";

pub(crate) const CONTEXT: &[&str] = &["bsn", "burgerservicenummer", "sofinummer", "sofi-nummer", "sofi"];

pub(crate) fn check(d: &[u8]) -> bool {
    if d.len() != 9 || d.iter().all(|&x| x == 0) {
        return false;
    }
    let sum: i32 = d[..8].iter().enumerate().map(|(i, &x)| (9 - i as i32) * i32::from(x)).sum();
    (sum - i32::from(d[8])).rem_euclid(11) == 0
}

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    let Some(d) = digits::<9>(s) else {
        return false;
    };
    if s.len() == 9 {
        bare_claims(Kind::NlBsn, text, start, end, &d)
    } else if s[4] == b'.' {
        check(&d)
    } else {
        check(&d) && near(text, start, end, CONTEXT)
    }
}
