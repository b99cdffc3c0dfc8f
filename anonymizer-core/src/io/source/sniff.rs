//! Sniffing a CSV's delimiter and quote character from its first lines.

/// The delimiter among `, ; \t |` that splits the first lines most often and most evenly
/// (outside double quotes).
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let lines: Vec<&[u8]> = head.split(|b| *b == b'\n').take(20).filter(|l| !l.is_empty()).collect();
    let complete = if lines.len() > 1 { &lines[..lines.len() - 1] } else { &lines[..] };
    let count = |line: &[u8], d: u8| {
        let mut quoted = false;
        line.iter()
            .filter(|b| {
                if **b == b'"' {
                    quoted = !quoted;
                }
                !quoted && **b == d
            })
            .count()
    };
    let score = |d: u8| -> usize {
        let counts: Vec<usize> = complete.iter().map(|l| count(l, d)).collect();
        match counts.first() {
            Some(&first) if first > 0 && counts.iter().all(|c| *c == first) => 1000 + first,
            Some(&first) => first,
            None => 0,
        }
    };
    [b',', b';', b'\t', b'|'].into_iter().max_by_key(|d| (score(*d), *d == b',')).unwrap_or(b',')
}

/// `'` when the first lines quote fields with single quotes and hold no `"` at all (some
/// database exports do), else `"`.
pub fn sniff_quote(head: &[u8], delimiter: u8) -> u8 {
    if head.contains(&b'"') {
        return b'"';
    }
    let (mut opens, mut closes) = (0, 0);
    let fields = head
        .split(|b| *b == b'\n')
        .take(20)
        .flat_map(|line| line.strip_suffix(b"\r").unwrap_or(line).split(move |b| *b == delimiter));
    for field in fields {
        opens += usize::from(field.starts_with(b"'"));
        closes += usize::from(field.len() >= 2 && field.ends_with(b"'"));
    }
    // A field may hold the delimiter, so opening and closing quotes can sit in different pieces.
    if opens > 0 && opens == closes {
        b'\''
    } else {
        b'"'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1;2,5;3\n4;5;6\n"), b';');
        assert_eq!(sniff_delimiter(b"a,b\n\"x;y\",2\n"), b',');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b\n1|2\n"), b'|');
        assert_eq!(sniff_delimiter(b"single\n1\n"), b',');
    }

    #[test]
    fn quotes_are_sniffed() {
        assert_eq!(sniff_quote(b"id;name\n1;'M\xfcller; Hans'\n", b';'), b'\'');
        assert_eq!(sniff_quote(b"id,name\n1,\"O'Brien\"\n2,'x'\n", b','), b'"');
        assert_eq!(sniff_quote(b"id,name\n1,O'Brien\n", b','), b'"');
    }
}
