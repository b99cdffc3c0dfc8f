//! `uk_nino`: the UK National Insurance number, two letters, six digits and a suffix A–D
//! (`AB 12 34 56 C`, `AB123456C`), all upper or all lower case. No check digit: decided by
//! HMRC's allocation rules: the first letter is not D, F, I, Q, U or V, the second not D, F,
//! I, O, Q, U or V, and the prefix is not BG, GB, KN, NK, NT, TN or ZZ.

pub(crate) const PATTERN: &str =
    r"(?-u:\b)(?:[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]|[a-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[a-d])(?-u:\b)";

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let s = &text.as_bytes()[start..end];
    let (a, b) = (s[0].to_ascii_uppercase(), s[1].to_ascii_uppercase());
    !b"DFIQUV".contains(&a)
        && !b"DFIOQUV".contains(&b)
        && ![*b"BG", *b"GB", *b"KN", *b"NK", *b"NT", *b"TN", *b"ZZ"].contains(&[a, b])
}
