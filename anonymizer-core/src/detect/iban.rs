//! `iban`: ISO 13616, grouped in fours or not, accepted only with the country's length and a
//! valid mod-97 check.

pub(crate) const PATTERN: &str = r"(?-u:\b)[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}(?-u:\b)";

/// IBAN lengths of the SEPA countries and a few common others (ISO 13616 registry).
const LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("VA", 22),
    ("XK", 20),
    ("AL", 28),
    ("BA", 20),
    ("ME", 22),
    ("MK", 19),
    ("RS", 22),
    ("TR", 26),
    ("UA", 29),
    ("IL", 23),
    ("AE", 23),
    ("SA", 24),
];

/// The IBAN at the start of a candidate that may run on into following text: cut at the
/// country's length, then checked.
pub(crate) fn find(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let cand = &text[start..end];
    let &(_, len) = LENGTHS.iter().find(|(cc, _)| cand.starts_with(cc))?;
    let mut count = 0;
    let mut cut = None;
    for (i, c) in cand.char_indices() {
        if c != ' ' {
            count += 1;
            if count == len {
                cut = Some(i + c.len_utf8());
                break;
            }
        }
    }
    let e = start + cut?;
    let next = text[e..].chars().next();
    (!next.is_some_and(|c| c.is_ascii_alphanumeric()) && valid(&text[start..e])).then_some((start, e))
}

/// Country length and mod-97 check of a candidate (spaces ignored).
pub(crate) fn valid(candidate: &str) -> bool {
    let compact: Vec<u8> = candidate.bytes().filter(|b| *b != b' ').collect();
    let Some(&(_, len)) = LENGTHS.iter().find(|(cc, _)| cc.as_bytes() == &compact[..2.min(compact.len())]) else {
        return false;
    };
    if compact.len() != len {
        return false;
    }
    // Grouped IBANs are grouped in fours.
    if candidate.contains(' ') && candidate.split(' ').rev().skip(1).any(|g| g.len() != 4) {
        return false;
    }
    let mut r: u32 = 0;
    for &b in compact[4..].iter().chain(&compact[..4]) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        r = if v >= 10 { (r * 100 + v) % 97 } else { (r * 10 + v) % 97 };
    }
    r == 1
}

#[cfg(test)]
mod tests {
    use super::valid;
    use crate::detect::Scanner;

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
    }
}
