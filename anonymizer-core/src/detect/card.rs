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

/// Luhn check over 13–19 digits with one kind of separator.
pub(crate) fn valid(candidate: &str) -> bool {
    let has_space = candidate.contains(' ');
    let has_dash = candidate.contains('-');
    if has_space && has_dash {
        return false;
    }
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    if has_space || has_dash {
        // Groups of 4 (a last shorter group allowed), or Amex 4-6-5.
        let sep = if has_space { ' ' } else { '-' };
        let groups: Vec<usize> = candidate.split(sep).map(str::len).collect();
        let fours =
            groups.iter().rev().skip(1).all(|&g| g == 4) && groups.last().is_some_and(|&g| (1..=4).contains(&g));
        if !(fours || groups == [4, 6, 5]) {
            return false;
        }
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
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
