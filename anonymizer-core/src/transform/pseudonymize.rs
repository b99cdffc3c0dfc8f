//! `pseudonymize`: `prefix + base32_lower_nopad(HMAC-SHA256(K, domain || 0x00 || value))[..length]`.

use super::hmac_sha256::PrefixedHmac;
use super::sha_ni::ShaNi;
use super::sha_x16::{lane_tag, Avx512, LANES};

/// A keyed tokenizer for one domain, with the `domain || 0x00` prefix already absorbed.
#[derive(Clone)]
pub struct Pseudonymizer {
    mac: PrefixedHmac,
    prefix: String,
    length: usize,
    /// Two tokens at once on the SHA unit, where the CPU has one.
    ni: Option<ShaNi>,
    /// Sixteen tokens at once in AVX-512 registers, where the CPU has them.
    x16: Option<Avx512>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pseudonymizer(prefix={:?}, length={})", self.prefix, self.length)
    }
}

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Where tokens are appended: a `String`, or bytes that their user validates once as a whole
/// (a column's values: one check for the column instead of one per token).
pub trait TokenSink {
    /// Appends text.
    fn push_text(&mut self, s: &str);
    /// Appends base32 characters (ASCII).
    fn push_ascii(&mut self, ascii: &[u8]);
    /// Appends the first `n` of `chars` (ASCII): a sink may copy all 32 and keep `n`, which
    /// is one fixed-size store instead of a copy of variable length.
    fn push_ascii_prefix(&mut self, chars: &[u8; 32], n: usize) {
        self.push_ascii(&chars[..n]);
    }
}

impl TokenSink for String {
    fn push_text(&mut self, s: &str) {
        self.push_str(s);
    }
    fn push_ascii(&mut self, ascii: &[u8]) {
        debug_assert!(ascii.is_ascii());
        self.push_str(std::str::from_utf8(ascii).unwrap_or_default());
    }
}

impl TokenSink for Vec<u8> {
    fn push_text(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
    fn push_ascii(&mut self, ascii: &[u8]) {
        debug_assert!(ascii.is_ascii());
        self.extend_from_slice(ascii);
    }
    fn push_ascii_prefix(&mut self, chars: &[u8; 32], n: usize) {
        debug_assert!(chars.is_ascii());
        assert!(n <= 32, "{n} of 32 characters");
        let end = self.len() + n;
        self.extend_from_slice(chars);
        self.truncate(end);
    }
}

impl Pseudonymizer {
    /// `length` is clamped to 1..=52 (52 base32 characters hold all 256 bits).
    /// `key` is the pseudonymization sub-key (HKDF info `importd/v1/pseudonymize`).
    pub fn new(key: &[u8; 32], domain: &str, prefix: &str, length: usize) -> Self {
        let mut absorbed = domain.as_bytes().to_vec();
        absorbed.push(0);
        Pseudonymizer {
            mac: PrefixedHmac::new(key, &absorbed),
            prefix: prefix.to_string(),
            length: length.clamp(1, 52),
            ni: ShaNi::detect(),
            x16: Avx512::detect(),
        }
    }

    /// Appends the token for `value` to `out`.
    pub fn token_into(&self, value: &[u8], out: &mut impl TokenSink) {
        self.push_token(self.mac.mac_words(value), out);
    }

    /// Appends the token for `a`, then the token for `b`, to `out`: the same as two calls of
    /// [`token_into`](Self::token_into), computed side by side where the CPU can.
    pub fn token_pair_into(&self, a: &[u8], b: &[u8], out: &mut impl TokenSink) {
        match self.ni {
            Some(ni) => {
                let [wa, wb] = self.mac.mac_words2(ni, a, b);
                self.push_token(wa, out);
                self.push_token(wb, out);
            }
            None => {
                self.token_into(a, out);
                self.token_into(b, out);
            }
        }
    }

    /// Appends the tokens of `values`, in order, to `out`: the same as a call of
    /// [`token_into`](Self::token_into) per value, computed sixteen at a time in AVX-512
    /// registers and then two at a time on the SHA unit, where the CPU can.
    pub fn tokens_into(&self, values: &[&[u8]], out: &mut impl TokenSink) {
        let mut rest = values;
        if let Some(x) = self.x16 {
            let (sixteens, after) = values.as_chunks::<LANES>();
            for chunk in sixteens {
                let tags = self.mac.mac_words16(x, chunk);
                if self.length <= 25 {
                    for (lane, chars) in x.base32_16(&tags).iter().enumerate() {
                        debug_assert_eq!(
                            chars[..self.length],
                            base32_first_32(words128(&lane_tag(&tags, lane)))[..self.length],
                            "the sixteen-lane base32 differs from the word-wise one"
                        );
                        self.push_short(chars, out);
                    }
                } else {
                    for w in (0..LANES).map(|lane| lane_tag(&tags, lane)) {
                        self.push_token(w, out);
                    }
                }
            }
            rest = after;
        }
        let (pairs, last) = rest.as_chunks::<2>();
        for [a, b] in pairs {
            self.token_pair_into(a, b, out);
        }
        for value in last {
            self.token_into(value, out);
        }
    }

    /// The prefix and the first `length` base32 characters of the tag `w` (SHA-256's state
    /// words; the tag is their big-endian bytes).
    fn push_token(&self, w: [u32; 8], out: &mut impl TokenSink) {
        if self.length <= 25 {
            // 25 characters are 125 bits: all from the tag's first 16 bytes.
            self.push_short(&base32_first_32(words128(&w)), out);
        } else {
            if !self.prefix.is_empty() {
                out.push_text(&self.prefix);
            }
            let mut tag = [0u8; 32];
            for (chunk, word) in tag.chunks_exact_mut(4).zip(w) {
                chunk.copy_from_slice(&word.to_be_bytes());
            }
            base32_lower_into(&tag, self.length, out);
        }
    }

    /// The prefix and the first `length` (at most 25) of `chars`, a tag's base32 characters.
    fn push_short(&self, chars: &[u8; 32], out: &mut impl TokenSink) {
        if !self.prefix.is_empty() {
            out.push_text(&self.prefix);
        }
        out.push_ascii_prefix(chars, self.length);
    }

    /// The token for `value`.
    pub fn token(&self, value: &[u8]) -> String {
        let mut s = String::with_capacity(self.prefix.len() + self.length);
        self.token_into(value, &mut s);
        s
    }

    /// Length of every token in bytes.
    pub fn token_len(&self) -> usize {
        self.prefix.len() + self.length
    }
}

/// A tag's first four words as one 128-bit number (the tag's first 16 bytes).
fn words128(w: &[u32; 8]) -> u128 {
    (u128::from(w[0]) << 96) | (u128::from(w[1]) << 64) | (u128::from(w[2]) << 32) | u128::from(w[3])
}

/// The base32 characters of the 128 bits `v` (the first 25 are `v`'s; the rest, from the
/// bits after it taken as zeros, are not used), eight at a time in a 64-bit word: five bits
/// spread into each byte by three halvings, then mapped to the alphabet in every byte at
/// once (`a`–`z` for 0–25, `2`–`7` for 26–31).
fn base32_first_32(v: u128) -> [u8; 32] {
    let mut out = [0u8; 32];
    // Groups of 40 bits (eight characters), the first from the top; the last holds 8 bits.
    let groups = [(v >> 88) as u64, (v >> 48) as u64, (v >> 8) as u64, (v << 32) as u64];
    for (chunk, group) in out.chunks_exact_mut(8).zip(groups) {
        let x = group & 0xff_ffff_ffff;
        // 20-bit halves into 32-bit slots, 10-bit quarters into 16-bit ones, 5-bit eighths
        // into bytes: the first character in the lowest byte.
        let x = ((x >> 20) & 0xf_ffff) | ((x & 0xf_ffff) << 32);
        let x = ((x >> 10) & 0x0000_03ff_0000_03ff) | ((x & 0x0000_03ff_0000_03ff) << 16);
        let x = ((x >> 5) & 0x001f_001f_001f_001f) | ((x & 0x001f_001f_001f_001f) << 8);
        // Every byte is 0–31: its top bit after adding 102 says "26 or more" (no carry
        // leaves a byte: 31 + 102 < 256), and such a byte maps 73 lower than 'a' + value.
        let high = ((x + 0x6666_6666_6666_6666) >> 7) & 0x0101_0101_0101_0101;
        chunk.copy_from_slice(&(x + 0x6161_6161_6161_6161 - high * 73).to_le_bytes());
    }
    out
}

/// RFC 4648 base32, lower case, no padding, first `chars` characters only.
fn base32_lower_into(bytes: &[u8], chars: usize, out: &mut impl TokenSink) {
    let mut buf = [0u8; 64];
    let mut n = 0;
    // 5 bytes → 8 characters at a time.
    for group in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..group.len()].copy_from_slice(group);
        let v = block.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let in_group = (group.len() * 8).div_ceil(5);
        for k in 0..in_group {
            buf[n] = ALPHABET[((v >> (35 - 5 * k)) & 31) as usize];
            n += 1;
        }
        if n >= chars {
            break;
        }
    }
    let n = n.min(chars);
    // Every byte of `buf[..n]` is from the ASCII alphabet above.
    out.push_ascii(&buf[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{MasterKey, INFO_PSEUDONYMIZE};

    fn key() -> [u8; 32] {
        let mut b = [0u8; 32];
        for (i, x) in b.iter_mut().enumerate() {
            *x = i as u8;
        }
        *MasterKey::from_bytes(b).derive(INFO_PSEUDONYMIZE)
    }

    // Expected tokens from Python (independent of this code):
    //   import hmac,base64; ikm=bytes(range(32)); prk=hmac.new(b'\0'*32,ikm,'sha256').digest()
    //   k=hmac.new(prk,b'importd/v1/pseudonymize\x01','sha256').digest()
    //   t=lambda d,v,n: base64.b32encode(hmac.new(k,d+b'\0'+v,'sha256').digest()).decode().lower().rstrip('=')[:n]
    #[test]
    fn tokens_match_python() {
        let k = key();
        assert_eq!(Pseudonymizer::new(&k, "email", "", 20).token(b"anna@example.com"), "a2ge2kaj2nggnenauret");
        assert_eq!(Pseudonymizer::new(&k, "customer_id", "cus_", 8).token(b"C-000123"), "cus_fuvsjxwc");
        assert_eq!(
            Pseudonymizer::new(&k, "name", "", 52).token("Jürgen Müller".as_bytes()),
            "74ww5uoh4uzuywbuhasawy7yhck57n2jqzvghcb63ppvgds66ggq"
        );
        assert_eq!(Pseudonymizer::new(&k, "x", "", 20).token(b""), "zddlwglnspjlx3st55ag");
    }

    #[test]
    fn domains_separate_tokens() {
        let k = key();
        let a = Pseudonymizer::new(&k, "a", "", 20).token(b"v");
        let b = Pseudonymizer::new(&k, "b", "", 20).token(b"v");
        assert_ne!(a, b);
        // domain || 0x00 || value is unambiguous: ("ab", "c") differs from ("a", "bc").
        assert_ne!(Pseudonymizer::new(&k, "ab", "", 20).token(b"c"), Pseudonymizer::new(&k, "a", "", 20).token(b"bc"));
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        // RFC 4648 section 10: BASE32("foobar") = "MZXW6YTBOI======"
        let mut s = String::new();
        base32_lower_into(b"foobar", 52, &mut s);
        assert_eq!(s, "mzxw6ytboi");
        s.clear();
        base32_lower_into(b"f", 52, &mut s);
        assert_eq!(s, "my");
        s.clear();
        base32_lower_into(b"foobar", 3, &mut s);
        assert_eq!(s, "mzx");
    }

    #[test]
    fn the_word_wise_base32_equals_the_rfc_encoder() {
        // The first 25 characters of any 16 bytes, against the RFC-checked encoder above;
        // the bytes walk every 5-bit value through every character position.
        let mut bytes = [0u8; 16];
        for seed in 0..2000u32 {
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = (seed.wrapping_mul(2_654_435_761).rotate_left(i as u32 * 5) >> 7) as u8
                    ^ (seed as u8).wrapping_mul(i as u8);
            }
            let mut expected = String::new();
            base32_lower_into(&bytes, 25, &mut expected);
            let chars = base32_first_32(u128::from_be_bytes(bytes));
            assert_eq!(std::str::from_utf8(&chars[..25]).unwrap(), expected, "bytes {bytes:02x?}");
        }
    }

    #[test]
    fn a_pair_gives_the_tokens_of_each_value_alone() {
        // "email\0" leaves 6 bytes in the inner hash's last block, so values of up to 49 bytes
        // end in it (6 + 49 + 9 = 64): around that limit, on either side, and far past it.
        let k = key();
        for length in [8, 20, 25, 26, 52] {
            let p = Pseudonymizer::new(&k, "email", "e_", length);
            for (a, b) in [(0, 0), (1, 40), (48, 49), (49, 50), (50, 49), (50, 51), (100, 3), (3, 200)] {
                let (a, b) = (vec![b'a'; a], vec![b'b'; b]);
                let mut pair = String::new();
                p.token_pair_into(&a, &b, &mut pair);
                assert_eq!(pair, p.token(&a) + &p.token(&b), "length {length}, values of {} and {}", a.len(), b.len());
            }
        }
    }

    #[test]
    fn any_count_of_values_gives_the_tokens_of_each_value_alone() {
        // Sixteen at a time, then pairs, then one: every count up to three registers' worth,
        // values on both sides of the one-block limit (49 bytes after "email\0") mixed in one
        // register, so lanes computed alone sit between lanes of the register.
        let k = key();
        let values: Vec<Vec<u8>> =
            (0..50).map(|i| vec![b'a' + (i % 26) as u8; [3, 49, 50, 0, 120, 17, 48][i % 7]]).collect();
        for length in [8, 20, 25, 26, 52] {
            let p = Pseudonymizer::new(&k, "email", "e_", length);
            for n in 0..=values.len() {
                let refs: Vec<&[u8]> = values[..n].iter().map(Vec::as_slice).collect();
                let mut all = String::new();
                p.tokens_into(&refs, &mut all);
                let alone: String = refs.iter().map(|v| p.token(v)).collect();
                assert_eq!(all, alone, "length {length}, {n} values");
            }
        }
    }

    #[test]
    fn every_length_is_a_prefix_of_the_whole_tag() {
        // Up to 25 characters come from a shortcut over the tag's first 128 bits; 52 go
        // through the RFC-checked encoder above and match Python (`tokens_match_python`).
        let k = key();
        for value in [&b""[..], b"a", b"anna@example.com", &[0xff; 100]] {
            let whole = Pseudonymizer::new(&k, "d", "p_", 52).token(value);
            for n in 1..=52 {
                assert_eq!(Pseudonymizer::new(&k, "d", "p_", n).token(value), whole[..n + 2], "length {n}");
            }
        }
    }
}
