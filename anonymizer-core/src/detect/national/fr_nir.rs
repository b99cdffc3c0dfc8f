//! `fr_nir`: the French numéro de sécurité sociale (NIR, INSEE number), 13 characters and a
//! 2-digit key: sex, year, month, department (`2A`/`2B` for Corsica), commune, serial, key;
//! plain (`185057800608436`) or spaced as printed (`1 85 05 78 006 084 36`). Decided by the
//! key, 97 − the 13-digit number mod 97 (Corsica's `2A` counted as 19, `2B` as 18).

pub(crate) const PATTERN: &str =
    r"(?-u:\b)[12378](?: ?[0-9]{2}){2} ?(?:[0-9]{2}|2[AB])(?: ?[0-9]{3}){2} ?[0-9]{2}(?-u:\b)";

pub(crate) fn valid(text: &str, start: usize, end: usize) -> bool {
    let mut c = [0u8; 15];
    let mut n = 0;
    for &b in text.as_bytes()[start..end].iter().filter(|&&b| b != b' ') {
        let Some(slot) = c.get_mut(n) else {
            return false;
        };
        *slot = b;
        n += 1;
    }
    if n != 15 {
        return false;
    }
    match &c[5..7] {
        b"2A" => c[5..7].copy_from_slice(b"19"),
        b"2B" => c[5..7].copy_from_slice(b"18"),
        _ => {}
    }
    if !c.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let value = |r: &[u8]| r.iter().fold(0u64, |n, &b| n * 10 + u64::from(b - b'0'));
    97 - value(&c[..13]) % 97 == value(&c[13..])
}
