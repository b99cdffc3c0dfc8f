//! `us_ssn`: the US Social Security number, 3-2-4 digits with one kind of separator
//! (`078-05-1123`, `078 05 1123`, `078.05.1123`). No check digit: decided by the SSA's
//! exclusions (area 000, 666 and 900–999, group 00, serial 0000, and the numbers made public
//! in advertising, 078-05-1120 and 219-09-9999). Spaced with a leading 0 (the shape of a
//! European phone number) or plain (shared with `nl_bsn`, see [`super::bare_claims`]) it
//! needs a context word near (`SSN`, `social security`).

use super::{bare_claims, digits, near, separators, Kind};

pub(crate) const PATTERN: &str = r"(?-u:\b)[0-9]{3}[ .-]?[0-9]{2}[ .-]?[0-9]{4}(?-u:\b)";

pub(crate) const CONTEXT: &[&str] = &["ssn", "social security", "soc. sec", "soc sec"];

pub(crate) fn check(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let n = |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |n, &x| n * 10 + u32::from(x));
    let (area, group, serial) = (n(0..3), n(3..5), n(5..9));
    let excluded = area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0;
    let advertised = matches!((area, group, serial), (78, 5, 1120) | (219, 9, 9999));
    !excluded && !advertised
}

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    let Some(d) = digits::<9>(s) else {
        return false;
    };
    match separators(s) {
        (0, _) => bare_claims(Kind::UsSsn, text, start, end, &d),
        (2, true) if s[3] == b' ' && d[0] == 0 => check(&d) && near(text, start, end, CONTEXT),
        (2, true) => check(&d),
        _ => false,
    }
}
