//! `mask`: replaces characters (Unicode scalar values) with a mask character, keeping
//! `keep_first`/`keep_last` and leaving `preserve` characters untouched and uncounted.

/// Appends the masked `value` to `out`.
pub fn mask(value: &str, keep_first: usize, keep_last: usize, ch: char, preserve: &[char], out: &mut String) {
    if preserve.is_empty() && value.is_ascii() {
        // One byte per character: kept head, masked middle, kept tail.
        let n = value.len();
        let head = keep_first.min(n);
        let tail = n.saturating_sub(keep_last).max(head);
        out.push_str(&value[..head]);
        out.extend(std::iter::repeat_n(ch, tail - head));
        out.push_str(&value[tail..]);
        return;
    }
    let counted = value.chars().filter(|c| !preserve.contains(c)).count();
    let mut i = 0;
    for c in value.chars() {
        if preserve.contains(&c) {
            out.push(c);
            continue;
        }
        let keep = i < keep_first || i + keep_last >= counted;
        out.push(if keep { c } else { ch });
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: &str, f: usize, l: usize, p: &str) -> String {
        let mut s = String::new();
        mask(v, f, l, '*', &p.chars().collect::<Vec<_>>(), &mut s);
        s
    }

    #[test]
    fn spec_examples() {
        assert_eq!(m("Müller", 1, 0, ""), "M*****");
        assert_eq!(m("1234-5678-9012-3456", 0, 4, " -"), "****-****-****-3456");
    }

    #[test]
    fn edge_cases() {
        assert_eq!(m("", 2, 2, ""), "");
        assert_eq!(m("abc", 5, 5, ""), "abc");
        assert_eq!(m("abcdef", 0, 0, ""), "******");
        assert_eq!(m("😀😀😀", 1, 1, ""), "😀*😀");
        assert_eq!(m("a b", 0, 0, " "), "* *");
        assert_eq!(m("abcdef", 4, 4, ""), "abcdef");
        assert_eq!(m("abcdef", 2, 1, ""), "ab***f");
        assert_eq!(m("abcdef", 0, 6, ""), "abcdef");
    }

    /// The character-by-character definition, for comparison with the ASCII shortcut.
    fn by_definition(value: &str, keep_first: usize, keep_last: usize, ch: char) -> String {
        let n = value.chars().count();
        value.chars().enumerate().map(|(i, c)| if i < keep_first || i + keep_last >= n { c } else { ch }).collect()
    }

    proptest::proptest! {
        #[test]
        fn ascii_shortcut_equals_the_definition(v in "[ -~]{0,24}|[a-zäöü€]{0,8}", f in 0usize..10, l in 0usize..10) {
            let mut out = String::new();
            mask(&v, f, l, '#', &[], &mut out);
            proptest::prop_assert_eq!(out, by_definition(&v, f, l, '#'));
        }
    }
}
