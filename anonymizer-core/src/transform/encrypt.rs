//! `encrypt`: NIST SP 800-38G FF1 with AES-256 (the `fpe` crate), radix = alphabet size,
//! tweak = utf8(domain), applied to the characters of the value that are in the alphabet, in
//! order; the others stay in place. If `radix^n < 1,000,000` for the n characters to encrypt,
//! the value is too short to encrypt safely and is invalid.

use std::collections::HashMap;

use aes::Aes256;
use fpe::ff1::{FlexibleNumeralString, FF1};

/// The smallest domain size the spec allows: `radix^n ≥ 1,000,000`.
pub const MIN_DOMAIN: f64 = 1_000_000.0;

/// A format-preserving cipher for one alphabet and domain.
pub struct Encryptor {
    ff1: FF1<Aes256>,
    alphabet: Vec<char>,
    ascii: [u16; 128],
    others: HashMap<char, u16>,
    tweak: Vec<u8>,
}

impl std::fmt::Debug for Encryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Encryptor(radix={})", self.alphabet.len())
    }
}

const NOT_IN_ALPHABET: u16 = u16::MAX;

impl Encryptor {
    /// `key` is the 32-byte AES-256 key; `alphabet` has 2..=65535 distinct characters
    /// (`None` otherwise: a repeated character would make decryption ambiguous).
    pub fn new(key: &[u8; 32], alphabet: &str, domain: &str) -> Option<Encryptor> {
        let chars: Vec<char> = alphabet.chars().collect();
        let mut seen = std::collections::HashSet::new();
        if !chars.iter().all(|c| seen.insert(*c)) {
            return None;
        }
        let ff1 = FF1::<Aes256>::new(key, u32::try_from(chars.len()).ok()?).ok()?;
        let mut ascii = [NOT_IN_ALPHABET; 128];
        let mut others = HashMap::new();
        for (i, c) in chars.iter().enumerate() {
            let n = u16::try_from(i).ok()?;
            match usize::try_from(u32::from(*c)).ok().filter(|&u| u < 128) {
                Some(u) => ascii[u] = n,
                None => {
                    others.insert(*c, n);
                }
            }
        }
        Some(Encryptor { ff1, alphabet: chars, ascii, others, tweak: domain.as_bytes().to_vec() })
    }

    fn numeral(&self, c: char) -> Option<u16> {
        let n = if (c as u32) < 128 { self.ascii[c as usize] } else { *self.others.get(&c)? };
        (n != NOT_IN_ALPHABET).then_some(n)
    }

    /// The alphabet's characters; a character's numeral is its index.
    pub fn alphabet_chars(&self) -> &[char] {
        &self.alphabet
    }

    /// Encrypts `value`; `None` when it is too short to encrypt safely.
    pub fn encrypt(&self, value: &str) -> Option<String> {
        self.apply(value, true)
    }

    /// Decrypts what `encrypt` produced; `None` when it is too short.
    pub fn decrypt(&self, value: &str) -> Option<String> {
        self.apply(value, false)
    }

    fn apply(&self, value: &str, encrypt: bool) -> Option<String> {
        let chars: Vec<char> = value.chars().collect();
        let mut positions = Vec::with_capacity(chars.len());
        let mut numerals = Vec::with_capacity(chars.len());
        for (i, c) in chars.iter().enumerate() {
            if let Some(n) = self.numeral(*c) {
                positions.push(i);
                numerals.push(n);
            }
        }
        let radix = self.alphabet.len() as f64;
        if radix.powi(i32::try_from(numerals.len()).unwrap_or(i32::MAX)) < MIN_DOMAIN {
            return None;
        }
        let ns = FlexibleNumeralString::from(numerals);
        let out = if encrypt { self.ff1.encrypt(&self.tweak, &ns) } else { self.ff1.decrypt(&self.tweak, &ns) };
        let out: Vec<u16> = out.ok()?.into();
        let mut result = chars;
        for (pos, n) in positions.into_iter().zip(out) {
            result[pos] = *self.alphabet.get(usize::from(n))?;
        }
        Some(result.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::ALPHABETS;
    use proptest::prelude::*;

    // NIST SP 800-38G, FF1 samples 7–9 (AES-256), published at
    // csrc.nist.gov/CSRC/media/Projects/Cryptographic-Standards-and-Guidelines/documents/examples/FF1samples.pdf
    const NIST_KEY: [u8; 32] = [
        0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6, 0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C, 0xEF, 0x43,
        0x59, 0xD8, 0xD5, 0x80, 0xAA, 0x4F, 0x7F, 0x03, 0x6D, 0x6F, 0x04, 0xFC, 0x6A, 0x94,
    ];

    fn with_tweak(alphabet: &str, tweak: &[u8]) -> Encryptor {
        let mut e = Encryptor::new(&NIST_KEY, alphabet, "").unwrap();
        e.tweak = tweak.to_vec();
        e
    }

    #[test]
    fn nist_ff1_aes256_samples() {
        // Sample 7: radix 10, empty tweak.
        assert_eq!(with_tweak("0123456789", b"").encrypt("0123456789").as_deref(), Some("6657667009"));
        // Sample 8: radix 10, tweak 39383736353433323130.
        let t8 = [0x39, 0x38, 0x37, 0x36, 0x35, 0x34, 0x33, 0x32, 0x31, 0x30];
        assert_eq!(with_tweak("0123456789", &t8).encrypt("0123456789").as_deref(), Some("1001623463"));
        // Sample 9: radix 36 (0-9a-z), tweak 3737373770717273373737.
        let t9 = [0x37, 0x37, 0x37, 0x37, 0x70, 0x71, 0x72, 0x73, 0x37, 0x37, 0x37];
        let e9 = with_tweak("0123456789abcdefghijklmnopqrstuvwxyz", &t9);
        assert_eq!(e9.encrypt("0123456789abcdefghi").as_deref(), Some("xs8a0azh2avyalyzuwd"));
        assert_eq!(e9.decrypt("xs8a0azh2avyalyzuwd").as_deref(), Some("0123456789abcdefghi"));
    }

    #[test]
    fn characters_outside_the_alphabet_stay_in_place() {
        let e = Encryptor::new(&[3; 32], "0123456789", "iban").unwrap();
        let ct = e.encrypt("DE89 3704 0044 0532 0130 00").unwrap();
        assert_eq!(&ct[..2], "DE");
        assert_eq!(
            ct.char_indices().filter(|(_, c)| *c == ' ').map(|(i, _)| i).collect::<Vec<_>>(),
            [4, 9, 14, 19, 24]
        );
        assert_ne!(ct, "DE89 3704 0044 0532 0130 00");
        assert_eq!(e.decrypt(&ct).as_deref(), Some("DE89 3704 0044 0532 0130 00"));
    }

    #[test]
    fn too_short_values_are_refused() {
        let e = Encryptor::new(&[3; 32], "0123456789", "x").unwrap();
        assert_eq!(e.encrypt("12345"), None, "10^5 < 1,000,000");
        assert!(e.encrypt("123456").is_some(), "10^6 is enough");
        assert_eq!(e.encrypt("ab-cd"), None, "no numerals at all");
    }

    #[test]
    fn domains_change_the_ciphertext() {
        let a = Encryptor::new(&[3; 32], "0123456789", "a").unwrap().encrypt("1234567890");
        let b = Encryptor::new(&[3; 32], "0123456789", "b").unwrap().encrypt("1234567890");
        assert_ne!(a, b);
    }

    proptest! {
        #[test]
        fn round_trips_and_keeps_the_format_on_every_alphabet(
            which in 0usize..6, idx in prop::collection::vec(0usize..1000, 6..40), noise in "[ -/.]{0,4}"
        ) {
            let custom = "αβγδεζηθ";
            let alphabet = if which < ALPHABETS.len() { ALPHABETS[which].1 } else { custom };
            let chars: Vec<char> = alphabet.chars().collect();
            let mut value: String = idx.iter().map(|i| chars[i % chars.len()]).collect();
            let mid = value.char_indices().nth(value.chars().count() / 2).map_or(value.len(), |(i, _)| i);
            value.insert_str(mid, &noise);
            let e = Encryptor::new(&[5; 32], alphabet, "col").unwrap();
            let ct = e.encrypt(&value);
            prop_assume!(ct.is_some());
            let ct = ct.unwrap();
            prop_assert_eq!(ct.chars().count(), value.chars().count());
            for (a, b) in value.chars().zip(ct.chars()) {
                prop_assert_eq!(chars.contains(&a), chars.contains(&b));
                if !chars.contains(&a) { prop_assert_eq!(a, b); }
            }
            prop_assert_eq!(e.decrypt(&ct), Some(value));
        }
    }

    /// Found by the `ff1` fuzz target (fuzz/corpus/ff1/regression-duplicate-alphabet): an
    /// alphabet with a repeated character encrypted, but could not decrypt.
    #[test]
    fn alphabets_with_repeated_characters_are_refused() {
        assert!(Encryptor::new(&[7u8; 32], "\u{3}AqiMMM\u{7f}", "fuzz").is_none());
        assert!(Encryptor::new(&[7u8; 32], "aa", "d").is_none());
        assert!(Encryptor::new(&[7u8; 32], "ab", "d").is_some());
    }
}
