//! `url`: http(s)/ftp URLs and `www.` hosts, without the sentence's trailing punctuation.

pub(crate) const PATTERN: &str = r#"(?i)(?-u:\b)(?:(?:https?|ftp)://|www\.)[^\s<>"'`]+"#;

/// Trims trailing punctuation (keeping a `)` that closes a `(` inside the URL).
pub(crate) fn trim(text: &str, start: usize, mut end: usize) -> Option<(usize, usize)> {
    loop {
        let s = &text[start..end];
        let last = s.chars().next_back()?;
        let unbalanced_paren = last == ')' && s.matches('(').count() < s.matches(')').count();
        if ".,;:!?]}'\"".contains(last) || unbalanced_paren {
            end -= last.len_utf8();
        } else {
            break;
        }
    }
    let s = &text[start..end];
    let host = s.split_once("://").map_or(s, |(_, rest)| rest);
    // "www.example" alone is no host: a `www.` candidate needs a dot after it too.
    let named = host.get(4..).filter(|_| host[..4].eq_ignore_ascii_case("www.")).map_or(host, |rest| rest);
    let host_name = named.split(['/', '?', '#']).next().unwrap_or(named);
    (host_name.contains('.') || host.starts_with("localhost")).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use crate::detect::Scanner;

    #[test]
    fn urls_without_sentence_punctuation() {
        let s = Scanner::builtin_only(&["url"]).unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("see https://example.com/a?b=c.", &["https://example.com/a?b=c"]),
            ("(www.example.org/x)", &["www.example.org/x"]),
            ("wiki https://en.wikipedia.org/wiki/Foo_(bar), ok", &["https://en.wikipedia.org/wiki/Foo_(bar)"]),
            ("no http:// here", &[]),
            ("mail a@b.de", &[]),
            ("www.microsoft alone", &[]),
            ("http://microsoft and http://localhost:8080/x", &["http://localhost:8080/x"]),
        ];
        s.assert_cases(cases);
    }
}
