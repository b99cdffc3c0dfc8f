//! Pseudonyms two at a time (the SHA unit's two lanes) and sixteen at a time (AVX-512 lanes),
//! the token path's two `unsafe` calls, against ring's HMAC-SHA256 and data-encoding's
//! base32, on arbitrary keys, lengths and values; fuzz builds also compare every pair and
//! every sixteen with sha2's compression (debug assertions).
#![no_main]

use anonymizer_core::transform::Pseudonymizer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((key, rest)) = data.split_first_chunk::<32>() else { return };
    let Some((&[length, split, domain], rest)) = rest.split_first_chunk::<3>() else { return };
    let length = 1 + usize::from(length) % 52;
    let (a, b) = rest.split_at(usize::from(split).min(rest.len()));
    // Domains of 0 to 139 bytes: every length of the prefix's tail in the last block.
    let domain = "d".repeat(usize::from(domain) % 140);
    let domain = domain.as_str();
    let p = Pseudonymizer::new(key, domain, "t_", length);
    let mut pair = String::new();
    p.token_pair_into(a, b, &mut pair);
    let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let expected = |v: &[u8]| {
        let tag = ring::hmac::sign(&ring_key, &[domain.as_bytes(), &[0], v].concat());
        let b32 = data_encoding::BASE32_NOPAD.encode(tag.as_ref()).to_lowercase();
        format!("t_{}", &b32[..length])
    };
    assert_eq!(pair, expected(a) + &expected(b), "a pair of tokens differs from ring's HMAC");
    // The same bytes as values of 0 to 79 bytes, each after its length byte: any count, so
    // sixteens, a pair and a last one, with long values mixed into the sixteens.
    let mut values = Vec::new();
    let mut input = rest;
    while let Some((&n, after)) = input.split_first() {
        let (value, after) = after.split_at(usize::from(n % 80).min(after.len()));
        values.push(value);
        input = after;
    }
    let mut all = String::new();
    p.tokens_into(&values, &mut all);
    let alone: String = values.iter().map(|v| expected(v)).collect();
    assert_eq!(all, alone, "tokens of {} values differ from ring's HMAC", values.len());
});
