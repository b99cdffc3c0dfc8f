//! `ipv4` (dotted quad, octets ≤ 255, not part of a longer dotted version number) and `ipv6`
//! (every compressed form, IPv4-mapped and -embedded ones too, checked by the standard
//! library's parser), each with its CIDR prefix length when one follows (`10.0.0.0/8`,
//! `2001:db8::/32`): a prefix length out of range (`/33`, `/129`) is left out of the finding.

use std::net::Ipv6Addr;

pub(crate) const V4_PATTERN: &str = r"(?-u:\b)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?-u:\b)(?:/[0-9]+)?";
pub(crate) const V6_PATTERN: &str =
    r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3}(?:%[0-9a-z]+)?(?:/[0-9]+)?";

/// The address, with its prefix length when that is in range.
pub(crate) fn find_v4(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let (addr_end, end) = cidr(text, start, end, 32);
    let octets_ok = text[start..addr_end]
        .split('.')
        .all(|o| o.parse::<u16>().is_ok_and(|n| n <= 255) && (o == "0" || !o.starts_with('0')));
    // "1.2.3.4.5" is a version, not an address.
    let dotted_before =
        text[..start].ends_with('.') && text[..start.saturating_sub(1)].ends_with(|c: char| c.is_ascii_digit());
    let dotted_after =
        text[addr_end..].starts_with('.') && text[addr_end + 1..].starts_with(|c: char| c.is_ascii_digit());
    (octets_ok && !dotted_before && !dotted_after).then_some((start, end))
}

/// Where the address of candidate `text[start..end]` ends, and where the finding ends: after
/// a `/` prefix length of at most `max` (and no more digits), or at the address.
fn cidr(text: &str, start: usize, end: usize, max: u16) -> (usize, usize) {
    let Some(slash) = text[start..end].rfind('/').map(|i| start + i) else { return (end, end) };
    let len = &text[slash + 1..end];
    let in_range =
        len.len() <= 3 && len.parse::<u16>().is_ok_and(|n| n <= max) && (len == "0" || !len.starts_with('0'));
    let glued = text[end..].starts_with(|c: char| c.is_alphanumeric());
    (slash, if in_range && !glued { end } else { slash })
}

/// The candidate, trimmed of trailing `.`/`:` that belong to the sentence, if it parses.
pub(crate) fn valid_v6(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let (addr_end, found_end) = cidr(text, start, end, 128);
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == ':');
    if glued(text[..start].chars().next_back()) || glued(text[found_end..].chars().next()) {
        return None;
    }
    if addr_end < found_end {
        // A prefix length in range: the address before it must parse whole.
        let addr = &text[start..addr_end];
        let addr = addr.split('%').next().unwrap_or(addr);
        return addr.parse::<Ipv6Addr>().is_ok().then_some((start, found_end));
    }
    let mut end = addr_end;
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
            ("route 10.0.0.0/8, host 192.168.1.1/32.", &["10.0.0.0/8", "192.168.1.1/32"]),
            ("bad prefix 10.0.0.0/33 or 10.0.0.0/123", &["10.0.0.0", "10.0.0.0"]),
            ("path 10.1.2.3/admin", &["10.1.2.3"]),
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
        assert_eq!(s.found("nets 2001:db8::/32, fe80::1%eth0/64."), ["2001:db8::/32", "fe80::1%eth0/64"]);
        assert_eq!(s.found("bad 2001:db8::/129 and 2001:db8::/9999"), ["2001:db8::", "2001:db8::"]);
        assert_eq!(
            s.found("embedded 64:ff9b::192.0.2.1 and 0:0:0:0:0:FFFF:129.144.52.38"),
            ["64:ff9b::192.0.2.1", "0:0:0:0:0:FFFF:129.144.52.38"]
        );
    }
}
