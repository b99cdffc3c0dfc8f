//! The search for phone candidates: what [`super::PATTERN`] matches, found by code. Digits
//! are the most common bytes of PII-dense text, and the pattern's regex starts each search
//! with a literal prefilter over them that costs more than this loop.

/// The bytes between a phone number's first and last digit: `[0-9 ./()\-]`.
fn inner(c: u8) -> bool {
    c.is_ascii_digit() || matches!(c, b' ' | b'.' | b'/' | b'(' | b')' | b'-')
}

/// The first match of `(?:\+|\()?[0-9][0-9 ./()\-]{5,22}[0-9]` at or after `from`, as the
/// regex finds it: the leftmost start, and from there the longest match (the greedy
/// repetition backs off to its last digit).
pub(crate) fn search(text: &str, from: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut s = from;
    while s < b.len() {
        let digit = match b[s] {
            b'0'..=b'9' => s,
            b'+' | b'(' if b.get(s + 1).is_some_and(u8::is_ascii_digit) => s + 1,
            _ => {
                s += 1;
                continue;
            }
        };
        // The inner run after the first digit, at most 22 bytes and the last digit.
        let max = (digit + 23).min(b.len() - 1);
        let mut run_end = digit + 1;
        while run_end <= max && inner(b[run_end]) {
            run_end += 1;
        }
        // The last digit at least 6 bytes after the first one.
        if let Some(k) = (digit + 6..run_end).rev().find(|&k| b[k].is_ascii_digit()) {
            return Some((s, k + 1));
        }
        s += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_finds_what_the_pattern_finds() {
        let alphabet = ["0", "1", "2", "9", "9", "7", " ", ".", "/", "(", ")", "-", "+", "a", "é", "\n"];
        crate::detect::testing::assert_search_finds_what_the_pattern_finds(
            super::super::PATTERN,
            super::search,
            &alphabet,
            40,
            20_000,
        );
    }
}
