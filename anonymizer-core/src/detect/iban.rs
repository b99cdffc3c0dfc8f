//! `iban`: ISO 13616 IBANs of every country of the registry, in capitals as banks print
//! them, grouped in fours by spaces or by dashes, or not grouped. A candidate is a finding
//! when the country is in the registry and the IBAN has its length and BBAN structure and a
//! valid mod-97 check (the `iban_validate` crate's copy of the SWIFT registry decides), and
//! it is not glued to a letter or digit. Mixed separators and groups of other sizes are not
//! IBANs.

use std::str::FromStr;

/// Two capitals, two check digits, then the BBAN: groups of four by one kind of separator
/// (the last group 1–4 characters), or one run. The longest IBAN has 34 characters.
pub(crate) const PATTERN: &str = r"(?-u:\b)[A-Z]{2}[0-9]{2}(?:(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?|(?:-[A-Z0-9]{4}){2,7}(?:-[A-Z0-9]{1,4})?|[A-Z0-9]{11,30})(?-u:\b)";

/// The most characters of an IBAN (ISO 13616).
const MAX_LEN: usize = 34;

/// The IBAN at the start of a candidate, which may run on into following groups ("VG96 VPVG
/// 0000 0123 4567 8901 X"): the longest prefix ending at a group's end that is valid.
pub(crate) fn find(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let cand = &text.as_bytes()[start..end];
    let mut compact = [0u8; MAX_LEN + 8];
    // Compact length and candidate offset at the end of each group.
    let mut ends = [(0usize, 0usize); 10];
    let (mut n, mut groups) = (0, 0);
    for (i, &b) in cand.iter().enumerate() {
        if b == b' ' || b == b'-' {
            if groups == ends.len() {
                return None;
            }
            ends[groups] = (n, i);
            groups += 1;
        } else if n < compact.len() {
            compact[n] = b;
            n += 1;
        } else {
            return None;
        }
    }
    if groups < ends.len() {
        ends[groups] = (n, cand.len());
        groups += 1;
    }
    ends[..groups]
        .iter()
        .rev()
        .filter(|(len, _)| (15..=MAX_LEN).contains(len))
        .find(|(len, _)| valid(&compact[..*len]))
        .map(|&(_, at)| (start, start + at))
}

/// Registry (country, length, BBAN structure) and mod-97 check of an IBAN without separators.
pub(crate) fn valid(compact: &[u8]) -> bool {
    std::str::from_utf8(compact).is_ok_and(|s| iban::Iban::from_str(s).is_ok())
}

#[cfg(test)]
mod tests {
    use crate::detect::Scanner;

    /// The whole text is found as one IBAN.
    fn valid(text: &str) -> bool {
        Scanner::builtin_only(&["iban"]).unwrap().found(text) == [text]
    }

    #[test]
    fn published_examples_validate_and_near_misses_do_not() {
        // Examples from the ECBS/Wikipedia IBAN articles.
        for ok in [
            "DE89370400440532013000",
            "GB82 WEST 1234 5698 7654 32",
            "FR1420041010050500013M02606",
            "CH9300762011623852957",
            "AT611904300234573201",
        ] {
            assert!(valid(ok), "{ok}");
        }
        for bad in [
            "DE89370400440532013001",
            "GB82 WEST 1234 5698 7654 3",
            "XX89370400440532013000",
            "DE8937 0400 4405 3201 3000",
        ] {
            assert!(!valid(bad), "{bad}");
        }
    }

    #[test]
    fn found_in_text_grouped_or_not() {
        let s = Scanner::builtin_only(&["iban"]).unwrap();
        assert_eq!(s.found("IBAN: DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX"), ["DE89 3704 0044 0532 0130 00"]);
        assert_eq!(s.found("Konto DE89370400440532013000."), ["DE89370400440532013000"]);
        assert!(s.found("Ref DE89370400440532013001 (typo)").is_empty());
        assert_eq!(s.found("DE89 3704 0044 0532 0130 00 4111 1111"), ["DE89 3704 0044 0532 0130 00"]);
        assert_eq!(s.found("IBAN DE89-3704-0044-0532-0130-00."), ["DE89-3704-0044-0532-0130-00"]);
    }

    #[test]
    fn mixed_separators_odd_groups_and_glued_letters_are_not_ibans() {
        let s = Scanner::builtin_only(&["iban"]).unwrap();
        for bad in [
            "DE89-3704 0044 0532 0130 00",
            "DE89 3704-0044-0532-0130-00",
            "DE89 37040 044 0532 0130 00",
            "DE89/3704/0044/0532/0130/00",
            "XDE89370400440532013000",
            "DE89370400440532013000X",
            "de89 3704 0044 0532 0130 00",
        ] {
            assert!(s.found(bad).is_empty(), "{bad}");
        }
    }
}
