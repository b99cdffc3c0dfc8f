//! `be_national_number`: the Belgian Rijksregisternummer / numéro de registre national,
//! `YY.MM.DD-XXX.CC` (also `YYMMDD-XXX-CC`, `YYMMDD XXX CC`, or plain). Decided by the
//! mod-97 check (97 − the first nine digits mod 97; for births from 2000, with a 2 put
//! before them) and a month 00–12 (00: unknown). A plain run is shared with `de_tax_id` and
//! `pl_pesel` (see [`super::bare_claims`]).

use super::{bare_claims, digits, two, Kind};

pub(crate) const PATTERN: &str = r"(?-u:\b)[0-9]{2}\.?[0-9]{2}\.?[0-9]{2}[ .-]?[0-9]{3}[ .-]?[0-9]{2}(?-u:\b)";

pub(crate) const CONTEXT: &[&str] = &[
    "rijksregister",
    "registre national",
    "national number",
    "national register",
    "numéro national",
    "insz",
    "niss",
    "nn",
    "rrn",
];

pub(crate) fn check(d: &[u8]) -> bool {
    if d.len() != 11 || two(&d[2..4]) > 12 || d.iter().all(|&x| x == 0) {
        return false;
    }
    let n = d[..9].iter().fold(0u64, |n, &x| n * 10 + u64::from(x));
    let cc = u64::from(two(&d[9..]));
    97 - n % 97 == cc || 97 - (2_000_000_000 + n) % 97 == cc
}

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    let Some(d) = digits::<11>(s) else {
        return false;
    };
    if s.len() == 11 {
        return bare_claims(Kind::BeNationalNumber, text, start, end, &d);
    }
    check(&d)
}
