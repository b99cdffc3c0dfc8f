//! `iban`: ISO 13616 IBANs of every country of the registry, in capitals as banks print
//! them or all in lower case as people type them (not mixed: `GI75 aWBK …` is no IBAN),
//! grouped in fours by spaces or by dashes, or not grouped. A candidate is a finding
//! when its country is in the registry, it has the country's length and BBAN structure
//! (which positions are digits, letters, or either) and a valid mod-97 check, and it is not
//! glued to a letter or digit. Mixed separators and groups of other sizes are not IBANs.

/// Two capitals, two check digits, then the BBAN: groups of four by one kind of separator
/// (the last group 1–4 characters), or one run. The longest IBAN has 34 characters.
pub(crate) const PATTERN: &str = r"(?i)(?-u:\b)[A-Z]{2}[0-9]{2}(?:(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?|(?:-[A-Z0-9]{4}){2,7}(?:-[A-Z0-9]{1,4})?|[A-Z0-9]{11,30})(?-u:\b)";

/// The most characters of an IBAN (ISO 13616).
const MAX_LEN: usize = 34;

/// The SWIFT IBAN registry: country and BBAN structure (`n` digits, `a` capitals, `c`
/// either, each after its count), sorted by country. Generated from the `iban_validate`
/// crate's copy of the registry (5.0.1), plus Pakistan and Honduras, which that copy lacks;
/// `tests::the_table_agrees_with_iban_validate` checks every other row against the crate.
const REGISTRY: &[([u8; 2], &str)] = &[
    (*b"AD", "4n4n12c"),
    (*b"AE", "3n16n"),
    (*b"AL", "8n16c"),
    (*b"AT", "5n11n"),
    (*b"AZ", "4a20c"),
    (*b"BA", "3n3n8n2n"),
    (*b"BE", "3n7n2n"),
    (*b"BG", "4a4n2n8c"),
    (*b"BH", "4a14c"),
    (*b"BI", "5n5n11n2n"),
    (*b"BR", "8n5n10n1a1c"),
    (*b"BY", "4c4n16c"),
    (*b"CH", "5n12c"),
    (*b"CR", "4n14n"),
    (*b"CY", "3n5n16c"),
    (*b"CZ", "4n6n10n"),
    (*b"DE", "8n10n"),
    (*b"DJ", "5n5n11n2n"),
    (*b"DK", "4n9n1n"),
    (*b"DO", "4c20n"),
    (*b"EE", "2n2n11n1n"),
    (*b"EG", "4n4n17n"),
    (*b"ES", "4n4n1n1n10n"),
    (*b"FI", "3n11n"),
    (*b"FK", "2a12n"),
    (*b"FO", "4n9n1n"),
    (*b"FR", "5n5n11c2n"),
    (*b"GB", "4a6n8n"),
    (*b"GE", "2a16n"),
    (*b"GI", "4a15c"),
    (*b"GL", "4n9n1n"),
    (*b"GR", "3n4n16c"),
    (*b"GT", "4c20c"),
    (*b"HN", "4a20n"),
    (*b"HR", "7n10n"),
    (*b"HU", "3n4n1n15n1n"),
    (*b"IE", "4a6n8n"),
    (*b"IL", "3n3n13n"),
    (*b"IQ", "4a3n12n"),
    (*b"IS", "4n2n6n10n"),
    (*b"IT", "1a5n5n12c"),
    (*b"JO", "4a4n18c"),
    (*b"KW", "4a22c"),
    (*b"KZ", "3n13c"),
    (*b"LB", "4n20c"),
    (*b"LC", "4a24c"),
    (*b"LI", "5n12c"),
    (*b"LT", "5n11n"),
    (*b"LU", "3n13c"),
    (*b"LV", "4a13c"),
    (*b"LY", "3n3n15n"),
    (*b"MC", "5n5n11c2n"),
    (*b"MD", "2c18c"),
    (*b"ME", "3n13n2n"),
    (*b"MK", "3n10c2n"),
    (*b"MN", "4n12n"),
    (*b"MR", "5n5n11n2n"),
    (*b"MT", "4a5n18c"),
    (*b"MU", "4a2n2n12n3n3a"),
    (*b"NI", "4a20n"),
    (*b"NL", "4a10n"),
    (*b"NO", "4n6n1n"),
    (*b"OM", "3n16c"),
    (*b"PK", "4a16c"),
    (*b"PL", "8n16n"),
    (*b"PS", "4a21c"),
    (*b"PT", "4n4n11n2n"),
    (*b"QA", "4a21c"),
    (*b"RO", "4a16c"),
    (*b"RS", "3n13n2n"),
    (*b"RU", "9n5n15c"),
    (*b"SA", "2n18c"),
    (*b"SC", "4a2n2n16n3a"),
    (*b"SD", "2n12n"),
    (*b"SE", "3n16n1n"),
    (*b"SI", "5n8n2n"),
    (*b"SK", "4n6n10n"),
    (*b"SM", "1a5n5n12c"),
    (*b"SO", "4n3n12n"),
    (*b"ST", "4n4n11n2n"),
    (*b"SV", "4a20n"),
    (*b"TL", "3n14n2n"),
    (*b"TN", "2n3n13n2n"),
    (*b"TR", "5n1n16c"),
    (*b"UA", "6n19c"),
    (*b"VA", "3n15n"),
    (*b"VG", "4a16n"),
    (*b"XK", "4n10n2n"),
    (*b"YE", "4a4n18c"),
];

/// The BBAN structure of a country, if it is in the registry.
fn structure(country: &[u8]) -> Option<&'static str> {
    let i = REGISTRY.binary_search_by(|(cc, _)| cc[..].cmp(country)).ok()?;
    Some(REGISTRY[i].1)
}

/// The IBAN length of a BBAN structure: the counts plus four.
fn length(structure: &str) -> usize {
    let mut len = 4;
    let mut count = 0;
    for b in structure.bytes() {
        if b.is_ascii_digit() {
            count = count * 10 + usize::from(b - b'0');
        } else {
            len += count;
            count = 0;
        }
    }
    len
}

/// The IBAN at the start of a candidate, which may run on into following groups ("VG96 VPVG
/// 0000 0123 4567 8901 X"): cut at the end of the group where the country's length is
/// reached, then checked.
pub(crate) fn find(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let cand = &text.as_bytes()[start..end];
    let country = [cand.first()?.to_ascii_uppercase(), cand.get(1)?.to_ascii_uppercase()];
    let len = length(structure(&country)?);
    let mut compact = [0u8; MAX_LEN];
    let mut n = 0;
    // Letters all in capitals or all in lower case; the check reads them in capitals.
    let lower = cand[..2].iter().all(u8::is_ascii_lowercase);
    for (i, &b) in cand.iter().enumerate() {
        if b == b' ' || b == b'-' {
            continue;
        }
        if b.is_ascii_alphabetic() && b.is_ascii_lowercase() != lower {
            return None;
        }
        compact[n] = b.to_ascii_uppercase();
        n += 1;
        if n == len {
            let at = i + 1;
            let ends_group = at == cand.len() || matches!(cand[at], b' ' | b'-');
            return (ends_group && valid(&compact[..n])).then_some((start, start + at));
        }
    }
    None
}

/// Registry (country, length, BBAN structure) and mod-97 check of an IBAN without separators.
pub(crate) fn valid(iban: &[u8]) -> bool {
    let Some(structure) = iban.get(..2).and_then(structure) else {
        return false;
    };
    if iban.len() != length(structure) || !iban[2..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut bban = iban[4..].iter();
    let mut count = 0;
    for k in structure.bytes() {
        if k.is_ascii_digit() {
            count = count * 10 + usize::from(k - b'0');
            continue;
        }
        let fits = |b: &u8| match k {
            b'n' => b.is_ascii_digit(),
            b'a' => b.is_ascii_uppercase(),
            _ => b.is_ascii_digit() || b.is_ascii_uppercase(),
        };
        if !bban.by_ref().take(count).all(fits) {
            return false;
        }
        count = 0;
    }
    let mut r: u32 = 0;
    for &b in iban[4..].iter().chain(&iban[..4]) {
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
    use std::str::FromStr;

    use super::{length, valid, REGISTRY};
    use crate::detect::Scanner;

    /// The whole text is found as one IBAN.
    fn found_whole(text: &str) -> bool {
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
            assert!(found_whole(ok), "{ok}");
        }
        for bad in [
            "DE89370400440532013001",
            "GB82 WEST 1234 5698 7654 3",
            "XX89370400440532013000",
            "DE8937 0400 4405 3201 3000",
        ] {
            assert!(!found_whole(bad), "{bad}");
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
            // Mixed case: Presidio's invalid cases.
            "GI75 aWBK 0000 0000 7099 453",
            "De89370400440532013000",
        ] {
            assert!(s.found(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn ibans_typed_in_lower_case_are_found() {
        let s = Scanner::builtin_only(&["iban"]).unwrap();
        for iban in ["de89 3704 0044 0532 0130 00", "gb29nwbk60161331926819", "lv80-bank-0000-4351-9500-1"] {
            assert_eq!(s.found(&format!("Konto {iban}.")), [iban], "{iban}");
        }
        // Lower case with a broken check stays no IBAN.
        assert!(s.found("de89 3704 0044 0532 0130 01").is_empty());
    }

    /// A seeded IBAN of a country's structure, with its check digits; `wrong` puts a letter
    /// where a digit belongs or a digit where a letter does.
    fn make(cc: [u8; 2], structure: &str, seed: &mut u64, wrong: bool) -> Vec<u8> {
        let mut next = |n: u64| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed % n
        };
        let mut bban = Vec::new();
        let mut count = 0;
        for k in structure.bytes() {
            if k.is_ascii_digit() {
                count = count * 10 + usize::from(k - b'0');
                continue;
            }
            for _ in 0..count {
                let digit = match k {
                    b'n' => true,
                    b'a' => false,
                    _ => next(2) == 0,
                };
                bban.push(if digit { b'0' + next(10) as u8 } else { b'A' + next(26) as u8 });
            }
            count = 0;
        }
        if wrong {
            // The first position that is not `c`.
            let mut at = 0;
            let mut count = 0;
            for k in structure.bytes() {
                if k.is_ascii_digit() {
                    count = count * 10 + usize::from(k - b'0');
                } else if k == b'c' {
                    at += count;
                    count = 0;
                } else {
                    bban[at] = if k == b'n' { b'X' } else { b'7' };
                    break;
                }
            }
        }
        let digits: String = bban
            .iter()
            .chain(&cc)
            .chain(b"00")
            .map(|&b| if b.is_ascii_digit() { (b - b'0').to_string() } else { (b - b'A' + 10).to_string() })
            .collect();
        let r = digits.bytes().fold(0u32, |r, d| (r * 10 + u32::from(d - b'0')) % 97);
        let check = 98 - r;
        let mut iban = cc.to_vec();
        iban.extend(format!("{check:02}").bytes());
        iban.extend(bban);
        iban
    }

    #[test]
    fn the_table_agrees_with_iban_validate() {
        assert!(REGISTRY.windows(2).all(|w| w[0].0 < w[1].0), "sorted for the binary search");
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for &(cc, structure) in REGISTRY {
            for _ in 0..20 {
                let iban = make(cc, structure, &mut seed, false);
                assert_eq!(iban.len(), length(structure));
                let text = std::str::from_utf8(&iban).unwrap();
                assert!(valid(&iban), "{text}");
                // iban_validate 5.0.1 lacks Pakistan and Honduras (both in SWIFT's registry).
                let crate_knows = !matches!(&cc, b"PK" | b"HN");
                assert_eq!(iban::Iban::from_str(text).is_ok(), crate_knows, "{text}");
                let bad = make(cc, structure, &mut seed, true);
                let text = std::str::from_utf8(&bad).unwrap();
                if structure.bytes().any(|k| k == b'n' || k == b'a') {
                    assert!(!valid(&bad), "{text}");
                    assert!(iban::Iban::from_str(text).is_err(), "{text}");
                }
            }
        }
    }
}
