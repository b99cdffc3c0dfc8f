//! `mask`: replaces characters (Unicode scalar values) with a mask character, keeping
//! `keep_first`/`keep_last` and leaving `preserve` characters untouched and uncounted.

/// Appends the masked `value` to `out`.
pub fn mask(value: &str, keep_first: usize, keep_last: usize, ch: char, preserve: &[char], out: &mut String) {
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
    }
}
