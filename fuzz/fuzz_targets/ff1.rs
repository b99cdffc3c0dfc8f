//! FF1 format-preserving encryption on arbitrary values and alphabets: encryption keeps the
//! length and every character outside the alphabet in place, and decryption gives the value back.
#![no_main]

use anonymizer_core::rule::ALPHABETS;
use anonymizer_core::transform::Encryptor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(rest) = std::str::from_utf8(rest) else { return };
    // Either a named alphabet and the whole rest as the value, or "alphabet\u{0}value".
    let (alphabet, value) = match (selector as usize) % (ALPHABETS.len() + 1) {
        i if i < ALPHABETS.len() => (ALPHABETS[i].1.to_string(), rest.to_string()),
        _ => match rest.split_once('\0') {
            Some((a, v)) => (a.to_string(), v.to_string()),
            None => return,
        },
    };
    let Some(enc) = Encryptor::new(&[7u8; 32], &alphabet, "fuzz") else { return };
    let Some(cipher) = enc.encrypt(&value) else { return };
    assert_eq!(cipher.chars().count(), value.chars().count(), "length changed");
    let chars = enc.alphabet_chars();
    for (a, b) in value.chars().zip(cipher.chars()) {
        assert_eq!(chars.contains(&a), chars.contains(&b), "a character crossed the alphabet boundary");
        if !chars.contains(&a) {
            assert_eq!(a, b, "a character outside the alphabet moved");
        }
    }
    assert_eq!(enc.decrypt(&cipher).as_deref(), Some(value.as_str()), "decryption did not round-trip");
});
