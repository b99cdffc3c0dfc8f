//! `ipv4` (dotted quad, octets ≤ 255, not part of a longer dotted version number) and `ipv6`
//! (every compressed form, checked by the standard library's parser).

use std::net::Ipv6Addr;

pub(crate) const V4_PATTERN: &str = r"(?-u:\b)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?-u:\b)";
pub(crate) const V6_PATTERN: &str = r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3}(?:%[0-9a-z]+)?";

pub(crate) fn valid_v4(text: &str, start: usize, end: usize) -> bool {
    let octets_ok = text[start..end]
        .split('.')
        .all(|o| o.parse::<u16>().is_ok_and(|n| n <= 255) && (o == "0" || !o.starts_with('0')));
    // "1.2.3.4.5" is a version, not an address.
    let dotted_before =
        text[..start].ends_with('.') && text[..start.saturating_sub(1)].ends_with(|c: char| c.is_ascii_digit());
    let dotted_after = text[end..].starts_with('.') && text[end + 1..].starts_with(|c: char| c.is_ascii_digit());
    octets_ok && !dotted_before && !dotted_after
}

/// The candidate, trimmed of trailing `.`/`:` that belong to the sentence, if it parses.
pub(crate) fn valid_v6(text: &str, start: usize, mut end: usize) -> Option<(usize, usize)> {
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == ':');
    if glued(text[..start].chars().next_back()) || glued(text[end..].chars().next()) {
        return None;
    }
    loop {
        let cand = &text[start..end];
        let addr = cand.split('%').next().unwrap_or(cand);
        if addr.bytes().filter(|b| b.is_ascii_hexdigit()).count() >= 1 && addr.parse::<Ipv6Addr>().is_ok() {
            return Some((start, end));
        }
        if cand.ends_with(['.', ':']) && end > start + 2 {
            end -= 1;
        } else {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::Scanner;

    #[test]
    fn ipv4_addresses_not_versions_or_dates() {
        let s = Scanner::builtin_only(&["ipv4"]).unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("from 192.168.1.10 at noon", &["192.168.1.10"]),
            ("gw 10.0.0.1.", &["10.0.0.1"]),
            ("version 1.2.3.4.5", &[]),
            ("bad 256.1.1.1 and 01.2.3.4", &[]),
            ("date 1.10.2024, v2.1", &[]),
        ];
        s.assert_cases(cases);
    }

    #[test]
    fn ipv6_in_every_compressed_form() {
        let s = Scanner::builtin_only(&["ipv6"]).unwrap();
        for addr in [
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "2001:db8:85a3::8a2e:370:7334",
            "2001:db8::1",
            "::1",
            "fe80::1%eth0",
            "::ffff:192.0.2.128",
            "2001:db8::",
        ] {
            let text = format!("peer {addr}, then");
            assert_eq!(s.found(&text), [addr], "{text}");
        }
        assert!(s.found("at 10:30:45 or 12:00").is_empty());
        assert!(s.found("ratio 1:2:3").is_empty());
    }
}
