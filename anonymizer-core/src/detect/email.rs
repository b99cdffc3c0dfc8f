//! `email`: local part, `@`, dotted domain with a letter TLD of 2+ characters.

pub(crate) const PATTERN: &str = r"(?i)(?-u:\b)[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*\.[a-z]{2,24}(?-u:\b)";

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
            ("", &[]),
        ];
        s.assert_cases(cases);
    }
}
