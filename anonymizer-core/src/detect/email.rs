//! `email`: a local part, `@`, a dotted domain whose last label is a top-level domain of two or
//! more letters or a punycode one (`xn--p1ai`). Labels and local parts may be Unicode
//! (`info@bücher.de`, `почта@пример.рф`) or punycode (`a@xn--d1acufc.xn--p1ai`). A candidate is
//! a finding when it is not glued to a letter or `_` on either side (a digit after it, as in
//! `anna@example.com2`, is left out of the finding: privacy first).

/// Unbounded runs: bounded repetitions of Unicode classes would make a large automaton; the
/// limits are checked on the candidate. No word boundaries: an ASCII one is wrong next to a
/// Unicode letter and a Unicode one keeps the regex engine off its DFA on non-ASCII text, so
/// the neighbours are checked on the candidate too. The punycode top-level domain comes first
/// (leftmost-first: `xn` alone must not win).
pub(crate) const PATTERN: &str = r"[\p{L}\p{N}][\p{L}\p{N}._%+\-]*@[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)*\.(?:[xX][nN]--[a-zA-Z0-9]+|\p{L}{2,})";

/// The candidate as it is, when nothing glues it to its neighbours. Privacy comes first where
/// an address is malformed: one glued to a digit after its top-level domain
/// (`anna@example.com2`) is still found, without the digit, and so is one whose local part
/// is longer than the 64 characters an address may have.
pub(crate) fn find(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let glued = |c: char| c.is_alphanumeric() || c == '_';
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    (!before.is_some_and(glued) && !after.is_some_and(|c| glued(c) && !c.is_ascii_digit())).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use crate::detect::Scanner;

    #[test]
    fn finds_addresses_and_not_lookalikes() {
        let s = Scanner::builtin_only(&["email"]).unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("contact anna.mueller@example.com today", &["anna.mueller@example.com"]),
            ("<Zoe+news@mail.example.co.uk>", &["Zoe+news@mail.example.co.uk"]),
            ("schreib an a@b.de, danke", &["a@b.de"]),
            ("twitter @handle and user@localhost", &[]),
            ("price 5@3.50 each", &[]),
            ("a@xn--d1acufc.xn--p1ai", &["a@xn--d1acufc.xn--p1ai"]),
            ("Mail: info@bücher.de.", &["info@bücher.de"]),
            ("почта@пример.рф или", &["почта@пример.рф"]),
            ("(müller@straße.de)", &["müller@straße.de"]),
            ("snake_anna@example.com", &["snake_anna@example.com"]),
            ("user@example.com_x", &[]),
            // Malformed, but an address all the same: found (without the digit).
            ("anna@example.com5", &["anna@example.com"]),
            (
                "x aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
                &["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com"],
            ),
            ("a@b.de,c@d.de", &["a@b.de", "c@d.de"]),
            ("my email is info@presidio.", &[]),
            ("", &[]),
        ];
        s.assert_cases(cases);
    }
}
