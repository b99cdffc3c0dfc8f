//! The shapes of composed fakes per locale: street lines, phone numbers from ranges kept free
//! for fiction, postal codes, and IBANs with a fictitious bank code and valid check digits.
//! `rules/README.md` ("fake") states each one with its source.

use std::fmt::Write;

use crate::rule::FakeLocale;

/// A street line: the name, its type where the locale's names come without, the number.
pub(super) fn street(locale: FakeLocale, name: &str, ty: &str, number: u64, out: &mut String) {
    // Writing to a String cannot fail.
    let _ = match locale {
        FakeLocale::De | FakeLocale::Nl => write!(out, "{name} {number}"),
        FakeLocale::En => write!(out, "{number} {name} {ty}"),
        FakeLocale::Fr => write!(out, "{number} {ty} {name}"),
        FakeLocale::Es => write!(out, "{ty} {name}, {number}"),
        FakeLocale::It | FakeLocale::Pl => write!(out, "{ty} {name} {number}"),
        FakeLocale::Tr => write!(out, "{name} {ty} {number}"),
    };
}

/// US area codes for `en` phone numbers (each with 555-0100 to 555-0199, which NANPA keeps
/// for fiction).
const US_AREAS: [u32; 10] = [201, 202, 212, 213, 305, 312, 404, 415, 617, 702];

/// The Bundesnetzagentur's drama numbers (Mitteilung 148/2021): 1,000 numbers each in
/// Berlin, Frankfurt am Main, Hamburg, Köln and München.
const DE_BLOCKS: [(&str, &str); 5] =
    [("30", "23125"), ("69", "90009"), ("40", "66969"), ("221", "4710"), ("89", "99998")];

/// ARCEP's numbers for audiovisual works (plan national de numérotation, 2.5.12): 10,000
/// each in the five regions and for mobiles.
const FR_BLOCKS: [&str; 6] = ["1 99 00", "2 61 91", "3 53 01", "4 65 71", "5 36 49", "6 39 98"];

/// A phone number, international form, from a range kept free for fiction. Locales whose
/// regulator publishes none (es, it, nl, pl, tr) get Ofcom's drama mobile range
/// +44 7700 900000–900999 rather than a number someone may have.
pub(super) fn phone(locale: FakeLocale, i: u64, out: &mut String) {
    let _ = match locale {
        FakeLocale::En => {
            let n = i % 1000;
            write!(out, "+1 {} 555 {:04}", US_AREAS[(n / 100) as usize], 100 + n % 100)
        }
        FakeLocale::De => {
            let n = i % 5000;
            let (area, block) = DE_BLOCKS[(n / 1000) as usize];
            write!(out, "+49 {area} {block}{:03}", n % 1000)
        }
        FakeLocale::Fr => {
            let n = i % 60_000;
            let rest = n % 10_000;
            write!(out, "+33 {} {:02} {:02}", FR_BLOCKS[(n / 10_000) as usize], rest / 100, rest % 100)
        }
        _ => write!(out, "+44 7700 900{:03}", i % 1000),
    };
}

/// Dutch postal codes do not use the letter pairs SA, SD and SS.
const NL_SKIPPED: [&str; 3] = ["SA", "SD", "SS"];

/// A postal code of the locale's shape, within its first and last code.
pub(super) fn postal_code(locale: FakeLocale, i: u64, out: &mut String) {
    // Five digits from `lo` to `hi`.
    let five = |out: &mut String, lo: u64, hi: u64| write!(out, "{:05}", lo + i % (hi - lo + 1));
    let _ = match locale {
        FakeLocale::De => five(out, 1001, 99998),
        FakeLocale::En => five(out, 501, 99950),
        FakeLocale::Fr => five(out, 1000, 95999),
        FakeLocale::Es => five(out, 1001, 52999),
        FakeLocale::It => five(out, 10, 98168),
        FakeLocale::Tr => five(out, 1000, 81999),
        FakeLocale::Pl => {
            let n = i % 99_999 + 1;
            write!(out, "{:02}-{:03}", n / 1000, n % 1000)
        }
        FakeLocale::Nl => {
            // 1000 AA to 9999 ZZ: the number from i mod 9000, the letters from the rest.
            let digits = 1000 + i % 9000;
            let pairs = (0..26u16 * 26)
                .map(|p| [b'A' + (p / 26) as u8, b'A' + (p % 26) as u8])
                .filter(|p| !NL_SKIPPED.iter().any(|s| s.as_bytes() == p));
            let k = (i / 9000) % (26 * 26 - NL_SKIPPED.len() as u64);
            let pair = pairs.into_iter().nth(k as usize).unwrap_or(*b"AA");
            write!(out, "{digits} {}{}", char::from(pair[0]), char::from(pair[1]))
        }
    };
}

/// An IBAN of the locale's country (GB for `en`: the US has none): the country's BBAN
/// structure with a bank code no bank has (all zeros; `XXXX` where the code is letters), an
/// account number of `i mod 10^len` and the country's own check digits where it has them
/// (France's RIB key, Spain's two control digits, Italy's CIN), then ISO 7064 mod 97-10
/// check digits. Written without spaces.
pub(super) fn iban(locale: FakeLocale, i: u64, out: &mut String) {
    let account = |len: u32| format!("{:0width$}", i % 10u64.pow(len), width = len as usize);
    let (country, bban) = match locale {
        FakeLocale::De => ("DE", format!("00000000{}", account(10))),
        FakeLocale::En => ("GB", format!("XXXX000000{}", account(8))),
        FakeLocale::Nl => ("NL", format!("XXXX{}", account(10))),
        FakeLocale::Pl => ("PL", format!("00000000{}", account(16))),
        FakeLocale::Tr => ("TR", format!("000000{}", account(16))),
        FakeLocale::Fr => {
            let (bank, branch, acc) = ("00000", "00000", account(11));
            ("FR", format!("{bank}{branch}{acc}{:02}", rib_key(bank, branch, &acc)))
        }
        FakeLocale::Es => {
            let (entity, office, acc) = ("0000", "0000", account(10));
            let first = ccc_digit(&format!("00{entity}{office}"));
            ("ES", format!("{entity}{office}{first}{}{acc}", ccc_digit(&acc)))
        }
        FakeLocale::It => {
            let rest = format!("0000000000{}", account(12));
            ("IT", format!("{}{rest}", cin(&rest)))
        }
    };
    let check = 98 - mod97(&format!("{bban}{country}00"));
    let _ = write!(out, "{country}{check:02}{bban}");
}

/// ISO 7064 mod 97-10 of digits and letters (A = 10 … Z = 35).
pub(super) fn mod97(s: &str) -> u64 {
    s.chars().fold(0, |r, c| match c.to_digit(36) {
        Some(v) if v >= 10 => (r * 100 + u64::from(v)) % 97,
        Some(v) => (r * 10 + u64::from(v)) % 97,
        None => r,
    })
}

/// The French RIB key: `97 − (89·bank + 15·branch + 3·account) mod 97`, of digits.
fn rib_key(bank: &str, branch: &str, account: &str) -> u64 {
    let n = |s: &str| s.parse::<u64>().unwrap_or(0) % 97;
    97 - (89 * n(bank) + 15 * n(branch) + 3 * n(account)) % 97
}

/// A Spanish CCC control digit over ten digits: weights 1, 2, 4, 8, 5, 10, 9, 7, 3, 6;
/// `11 − sum mod 11`, where 11 is 0 and 10 is 1.
fn ccc_digit(ten: &str) -> u64 {
    const W: [u64; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
    let sum: u64 = ten.bytes().zip(W).map(|(b, w)| u64::from(b.wrapping_sub(b'0')) * w).sum();
    match 11 - sum % 11 {
        11 => 0,
        10 => 1,
        d => d,
    }
}

/// The Italian CIN over ABI, CAB and account (22 characters): characters in odd places
/// (1st, 3rd, …) count by the table below, in even places by their value (digits as such,
/// A = 0 … Z = 25); the letter of the sum mod 26.
fn cin(s: &str) -> char {
    const ODD: [u32; 26] =
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
    let value = |c: char| match c {
        '0'..='9' => c as u32 - '0' as u32,
        'A'..='Z' => c as u32 - 'A' as u32,
        _ => 0,
    };
    let sum: u32 = s.chars().enumerate().map(|(k, c)| if k % 2 == 0 { ODD[value(c) as usize] } else { value(c) }).sum();
    char::from(b'A' + (sum % 26) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Published examples: the European Banking Federation's / banks' sample IBANs.
    #[test]
    fn national_check_digits_match_published_ibans() {
        // IT60 X054 2811 1010 0000 0123 456: CIN X.
        assert_eq!(cin("0542811101000000123456"), 'X');
        // FR76 3000 6000 0112 3456 7890 189: RIB key 89.
        assert_eq!(rib_key("30006", "00001", "12345678901"), 89);
        // ES91 2100 0418 4502 0005 1332: control digits 45.
        assert_eq!((ccc_digit("0021000418"), ccc_digit("0200051332")), (4, 5));
        // DE89 3704 0044 0532 0130 00.
        assert_eq!(98 - mod97("370400440532013000DE00"), 89);
    }
}
