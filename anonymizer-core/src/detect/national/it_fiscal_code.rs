//! `it_fiscal_code`: the Italian codice fiscale of a person, 16 characters: 3 + 3 letters
//! of surname and name, year, month letter, day (plus 40 for women), the place code, and a
//! check letter (`RSSMRA85T10A562S`). Digits may be replaced by the letters `LMNPQRSTUV`
//! (omocodia). Decided by the check letter, a day 1–31, and at least one digit left (the
//! scanner's one cheap pass counts digits).

pub(crate) const PATTERN: &str =
    r"(?-u:\b)[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?-u:\b)";

/// Values of characters at odd places (1st, 3rd, …), digits 0–9 then A–Z.
const ODD: [u8; 26] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/// The digit an omocodia letter (or a digit) stands for.
fn date_digit(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        _ => b"LMNPQRSTUV".iter().position(|&l| l == b).unwrap_or(0) as u8,
    }
}

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    if s.len() != 16 || !s.iter().any(u8::is_ascii_digit) {
        return false;
    }
    let day = (date_digit(s[9]) * 10 + date_digit(s[10])) % 40;
    if !(1..=31).contains(&day) {
        return false;
    }
    let sum: u32 = s[..15]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let (digit, letter) = (b.wrapping_sub(b'0'), b.wrapping_sub(b'A'));
            let value = if b.is_ascii_digit() { digit } else { letter };
            u32::from(if i % 2 == 0 { ODD[usize::from(value)] } else { value })
        })
        .sum();
    u32::from(s[15] - b'A') == sum % 26
}
