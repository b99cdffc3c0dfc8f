//! `credit_card`: 13–19 digits, grouped by spaces or dashes or not at all, Luhn-valid.

pub(crate) const PATTERN: &str = r"(?-u:\b)[0-9](?:[ -]?[0-9]){12,18}(?-u:\b)";

/// The longest valid card number at the start of a candidate that may run on into a
/// following number, cut back at separators.
pub(crate) fn find(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    (start + 13..=end)
        .rev()
        .filter(|&e| e == end || (bytes[e - 1].is_ascii_digit() && matches!(bytes[e], b' ' | b'-')))
        .find(|&e| valid(&text[start..e]) && super::isolated(text, start, e))
        .map(|e| (start, e))
}

/// Luhn check over 13–19 digits with one kind of separator. Allocation-free: it runs once
/// per candidate end in digit-dense text.
pub(crate) fn valid(candidate: &str) -> bool {
    let has_space = candidate.contains(' ');
    let has_dash = candidate.contains('-');
    if has_space && has_dash {
        return false;
    }
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
    if !(13..=19).contains(&digits) {
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
        ];
        s.assert_cases(cases);
    }
}
