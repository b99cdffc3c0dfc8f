//! `credit_card`: 13–19 digits, grouped by spaces or dashes or not at all, Luhn-valid, with
//! a length the card networks issue for its first digits (ISO/IEC 7812 issuer ranges: a
//! 15-digit number starting with 2 or a 16-digit one starting with 7 is no card), and not
//! the tail of a longer chain of groups (an IBAN whose check failed: "DE64 9893 0249 3465 …").

pub(crate) const PATTERN: &str = r"(?-u:\b)[0-9](?:[ -]?[0-9]){12,18}(?-u:\b)";

pub(crate) mod search;

/// The longest valid card number at the start of a candidate that may run on into a
/// following number, cut back at separators.
pub(crate) fn find(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    (start + 13..=end)
        .rev()
        .filter(|&e| e == end || (bytes[e - 1].is_ascii_digit() && matches!(bytes[e], b' ' | b'-')))
        .find(|&e| {
            valid(&text[start..e])
                && super::isolated(text, start, e)
                && !continues_group(text, start, e)
                && (bytes[start] != b'1' || super::national::near(text, start, e, CARD_WORDS))
        })
        .map(|e| (start, e))
}

/// Words that say a card number is near: a 15-digit number starting with 1 (UATP, e.g.
/// AirPlus) needs one, as French social security numbers have the same shape.
const CARD_WORDS: &[&str] =
    &["card", "karte", "carte", "tarjeta", "carta", "kaart", "karta", "kart", "credit", "kredit", "uatp", "airplus"];

/// Whether a grouped candidate continues a chain of groups before it: "9893 " before
/// "0249 3465 2503 27" (3–4 letters and digits, at least one a digit, then the candidate's
/// own separator) makes it part of something longer (a failed IBAN, an account number),
/// not a card.
fn continues_group(text: &str, start: usize, end: usize) -> bool {
    let candidate = &text[start..end];
    let Some(sep) = candidate.bytes().find(|b| matches!(b, b' ' | b'-')) else { return false };
    let Some(before) = text[..start].strip_suffix(char::from(sep)) else { return false };
    let rest = before.trim_end_matches(|c: char| c.is_ascii_alphanumeric());
    let group = &before[rest.len()..];
    // The group itself follows the same separator, or starts the text or a word: a card
    // after another card written with dashes ("…-1881 4012 8888 …") is no chain.
    let starts_chain = rest.is_empty()
        || rest.ends_with(char::from(sep))
        || rest.ends_with(|c: char| !c.is_alphanumeric() && !matches!(c, '-' | ' '));
    (3..=4).contains(&group.len()) && group.bytes().any(|b| b.is_ascii_digit()) && starts_chain
}

/// Whether card networks issue numbers of `len` digits that start with `prefix` (the
/// number's first four digits): Visa 4 (13, 16, 19), Mastercard 51–55 and 2221–2720 (16),
/// Mir 2200–2204, Amex 34/37 (15), Diners 300–305/3095/36/38/39, JCB 35 (16–19) and
/// 2131/1800 (15), UATP 1 (15), Maestro 50/56–59/6, Discover 6011/644–649/65, UnionPay 62, RuPay 60/65/81/82, Troy
/// 9792.
fn issued(prefix: u32, len: u32) -> bool {
    let (p1, p2, p3) = (prefix / 1000, prefix / 100, prefix / 10);
    match p1 {
        1 => len == 15,
        2 if prefix == 2131 => len == 15,
        2 => (2200..=2204).contains(&prefix) || ((2221..=2720).contains(&prefix) && len == 16),
        3 => {
            (matches!(p2, 34 | 37) && len == 15)
                || ((300..=305).contains(&p3) || prefix == 3095 || matches!(p2, 36 | 38 | 39)) && len >= 14
                || p2 == 35 && len >= 16
        }
        4 => matches!(len, 13 | 16 | 19),
        5 => ((51..=55).contains(&p2) && len == 16) || matches!(p2, 50 | 56..=59),
        6 => true,
        8 => matches!(p2, 81 | 82) && len == 16,
        9 => prefix == 9792 && len == 16,
        _ => false,
    }
}

/// Luhn check over 13–19 digits with one kind of separator. Allocation-free: it runs once
/// per candidate end in digit-dense text.
pub(crate) fn valid(candidate: &str) -> bool {
    let has_space = candidate.contains(' ');
    let has_dash = candidate.contains('-');
    if has_space && has_dash {
        return false;
    }
    let prefix = candidate.bytes().filter(u8::is_ascii_digit).take(4).fold(0u32, |p, d| p * 10 + u32::from(d - b'0'));
    // Luhn from the right: every second digit doubled.
    let (mut digits, mut sum) = (0u32, 0u32);
    for d in candidate.chars().rev().filter_map(|c| c.to_digit(10)) {
        sum += match (digits % 2 == 1, d * 2) {
            (true, x) if x > 9 => x - 9,
            (true, x) => x,
            (false, _) => d,
        };
        digits += 1;
    }
    if !(13..=19).contains(&digits) || !issued(prefix, digits) {
        return false;
    }
    if has_space || has_dash {
        // Groups of 4 (a last shorter group allowed), or Amex 4-6-5.
        let sep = if has_space { ' ' } else { '-' };
        let (mut count, mut first, mut fours, mut last) = (0usize, [0usize; 3], true, 0usize);
        for g in candidate.split(sep).map(str::len) {
            if count > 0 && last != 4 {
                fours = false;
            }
            if count < 3 {
                first[count] = g;
            }
            count += 1;
            last = g;
        }
        let fours = fours && (1..=4).contains(&last);
        if !(fours || (count == 3 && first == [4, 6, 5])) {
            return false;
        }
    }
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use crate::detect::Scanner;

    #[test]
    fn luhn_decides() {
        let s = Scanner::builtin_only(&["credit_card"]).unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("card 4111 1111 1111 1111 exp 12/27", &["4111 1111 1111 1111"]),
            ("paid with 5500-0000-0000-0004.", &["5500-0000-0000-0004"]),
            ("amex 3782 822463 10005", &["3782 822463 10005"]),
            ("raw 4012888888881881 ok", &["4012888888881881"]),
            ("order number 4111111111111112", &[]),
            ("mixed 4111 1111-1111 1111", &[]),
            ("phone +49 170 1234567", &[]),
            ("4111 1111 1111 1111 2024", &["4111 1111 1111 1111"]),
            // Luhn-valid, but no network issues these: 15 digits after a 2, 16 after a 7 or 0.
            ("ref 269014101853528 and 7000000000000002 and 0000000000000000", &[]),
            (
                "airplus 122000000000003, diners 30569309025904, mir 2200 0000 0000 0004",
                &["122000000000003", "30569309025904", "2200 0000 0000 0004"],
            ),
            // The tail of an IBAN whose check failed is not a card.
            ("Konto DE64 9893 0249 3465 2503 27 bitte", &[]),
            ("IT58-A096-1880-4999-3844-9213-639", &[]),
            // Three cards in a row, written three ways (Presidio's case).
            (
                "4012888888881881 4012-8888-8888-1881 4012 8888 8888 1881",
                &["4012888888881881", "4012-8888-8888-1881", "4012 8888 8888 1881"],
            ),
        ];
        s.assert_cases(cases);
    }
}
