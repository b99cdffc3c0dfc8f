//! The search for card candidates: what [`super::PATTERN`] matches, found by code (its
//! regex starts each search with a literal prefilter over digits, costly on digit-dense text).

fn word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The first match of `\b[0-9](?:[ -]?[0-9]){12,18}\b` (ASCII boundaries) at or after
/// `from`, as the regex finds it: the leftmost start, then the most digits that end at a
/// boundary.
pub(crate) fn search(text: &str, from: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut s = from;
    while s < b.len() {
        if !digit(s) || (s > 0 && word(b[s - 1])) {
            s += 1;
            continue;
        }
        // The digits after the first, each right after the last or after one `[ -]`.
        let (mut last, mut found) = (s, None);
        for n in 1..=18 {
            let next = if digit(last + 1) {
                last + 1
            } else if matches!(b.get(last + 1), Some(b' ' | b'-')) && digit(last + 2) {
                last + 2
            } else {
                break;
            };
            last = next;
            if n >= 12 && !b.get(last + 1).is_some_and(|&c| word(c)) {
                found = Some(last + 1);
            }
        }
        if let Some(end) = found {
            return Some((s, end));
        }
        s += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_finds_what_the_pattern_finds() {
        let alphabet = ["0", "1", "4", "9", "1", "7", "3", " ", " ", "-", "-", ".", "a", "_", "é"];
        crate::detect::testing::assert_search_finds_what_the_pattern_finds(
            super::super::PATTERN,
            super::search,
            &alphabet,
            48,
            20_000,
        );
    }
}
