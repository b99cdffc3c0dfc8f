//! `de_tax_id`: the German Steuerliche Identifikationsnummer (Steuer-IdNr), 11 digits, the
//! first not 0, plain or in groups of 2-3-3-3 (`12 345 678 903`). Decided by ISO 7064
//! MOD 11,10 and the digit rule of the BZSt: among the first ten digits exactly one occurs
//! twice or three times and no other more than once. A plain run is shared with `pl_pesel`
//! and `be_national_number` (see [`super::bare_claims`]).

use super::{bare_claims, digits, Kind};
use crate::detect::checksum::iso7064_mod11_10;

pub(crate) const PATTERN: &str = r"(?-u:\b)[1-9][0-9](?: ?[0-9]{3}){3}(?-u:\b)";

pub(crate) const CONTEXT: &[&str] =
    &["steuer", "idnr", "id-nr", "identifikationsnummer", "tin", "tax id", "tax-id", "taxid", "tax identification"];

/// The check digit and the digit rule over 11 digit values.
pub(crate) fn check(d: &[u8]) -> bool {
    if d.len() != 11 || d[0] == 0 {
        return false;
    }
    let mut counts = [0u8; 10];
    for &x in &d[..10] {
        counts[usize::from(x)] += 1;
    }
    let mut many = counts.iter().filter(|&&c| c > 1);
    let rule = matches!((many.next(), many.next()), (Some(2 | 3), None));
    rule && iso7064_mod11_10(d.iter().copied())
}

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    let Some(d) = digits::<11>(s) else {
        return false;
    };
    match s.len() {
        11 => bare_claims(Kind::DeTaxId, text, start, end, &d),
        14 => check(&d),
        _ => false,
    }
}
