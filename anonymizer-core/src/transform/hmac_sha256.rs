//! HMAC-SHA256 (RFC 2104) from precomputed states, for the pseudonym hot path.
//!
//! A pseudonym is one HMAC of a short value under a fixed key and a fixed `domain || 0x00`
//! prefix. The key's padded blocks and the prefix's full blocks are compressed once, so a
//! token of a value under 55 bytes costs exactly two SHA-256 compressions and no allocation.
//! ring computes the same function (the tests compare both) but offers no way to keep a
//! midstate, and its per-call context setup cost more than the compressions themselves.

use sha2::block_api::compress256;

use super::sha_ni::ShaNi;
use super::sha_x16::{lane_tag, Avx512, Tags16, Tail, LANES};
use zeroize::Zeroize;

const BLOCK: usize = 64;
const IV: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// HMAC-SHA256 under one key, with a message prefix already absorbed.
#[derive(Clone)]
pub(crate) struct PrefixedHmac {
    /// Inner hash state after `key ^ ipad` and the prefix's full blocks.
    inner: [u32; 8],
    /// Outer hash state after `key ^ opad`.
    outer: [u32; 8],
    /// Bytes already compressed into `inner` (a multiple of 64).
    absorbed: u64,
    /// The prefix's bytes after its last full block.
    tail: [u8; BLOCK],
    tail_len: usize,
}

impl PrefixedHmac {
    /// `key` is at most one block long (the sub-keys are 32 bytes), so it is used as is.
    pub(crate) fn new(key: &[u8; 32], prefix: &[u8]) -> Self {
        let mut pad = [0u8; BLOCK];
        pad[..key.len()].copy_from_slice(key);
        let mut inner = IV;
        let mut outer = IV;
        let mut block = pad.map(|b| b ^ 0x36);
        compress256(&mut inner, &[block]);
        block = pad.map(|b| b ^ 0x5c);
        compress256(&mut outer, &[block]);
        block.zeroize();
        pad.zeroize();
        let (full, rest) = prefix.as_chunks::<BLOCK>();
        compress256(&mut inner, full);
        let mut tail = [0u8; BLOCK];
        tail[..rest.len()].copy_from_slice(rest);
        PrefixedHmac { inner, outer, absorbed: (BLOCK + full.len() * BLOCK) as u64, tail, tail_len: rest.len() }
    }

    /// HMAC(key, prefix || value).
    #[cfg(test)]
    pub(crate) fn mac(&self, value: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.mac_words(value)) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// HMAC(key, prefix || value) as SHA-256's eight state words (the tag is their
    /// big-endian bytes), for callers that take bits from it without the byte copy.
    pub(crate) fn mac_words(&self, value: &[u8]) -> [u32; 8] {
        let mut state = self.inner;
        let total = self.absorbed + (self.tail_len + value.len()) as u64;
        // `tail` is zero after the prefix's bytes, so a short value leaves the block's
        // remainder zero already: no zeroing per call.
        let mut block = self.tail;
        let mut fill = self.tail_len;
        let mut rest = value;
        if fill + rest.len() >= BLOCK {
            let take = BLOCK - fill;
            block[fill..].copy_from_slice(&rest[..take]);
            compress256(&mut state, &[block]);
            let (full, after) = rest[take..].as_chunks::<BLOCK>();
            compress256(&mut state, full);
            rest = after;
            fill = 0;
            block = [0; BLOCK];
        }
        block[fill..fill + rest.len()].copy_from_slice(rest);
        fill += rest.len();
        finish(&mut state, &mut block, fill, total);

        // The outer message is the 32-byte inner digest: one block, its padding fixed.
        let mut outer_block = OUTER_PADDING;
        for (chunk, word) in outer_block.chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        let mut outer = self.outer;
        compress256(&mut outer, &[outer_block]);
        outer
    }
}

impl PrefixedHmac {
    /// [`mac_words`](Self::mac_words) of two values at once: where both end within the
    /// prefix's last block, their four compressions run as two pairs on the SHA unit
    /// ([`ShaNi`]); otherwise one after the other.
    pub(crate) fn mac_words2(&self, ni: ShaNi, a: &[u8], b: &[u8]) -> [[u32; 8]; 2] {
        let (Some(block_a), Some(block_b)) = (self.last_block(a), self.last_block(b)) else {
            return [self.mac_words(a), self.mac_words(b)];
        };
        ni.hmac_finish2(&self.inner, &self.outer, &block_a, &block_b)
    }

    /// [`mac_words`](Self::mac_words) of sixteen values at once, transposed (`tags[i][lane]`
    /// is word `i` of that value's tag): those that end within the prefix's last block take
    /// one lane each of the sixteen-lane compression ([`Avx512`]); a longer value is
    /// computed alone into its lane. Debug builds compute every lane alone and compare.
    pub(crate) fn mac_words16(&self, x: Avx512, values: &[&[u8]; LANES]) -> Tags16 {
        let tail = Tail { bytes: &self.tail, len: self.tail_len, absorbed: self.absorbed };
        let mut tags = x.hmac16(&self.inner, &self.outer, &tail, values);
        for (lane, value) in values.iter().enumerate() {
            let fits = self.ends_in_last_block(value);
            if !fits {
                for (i, word) in self.mac_words(value).into_iter().enumerate() {
                    tags[i][lane] = word;
                }
            } else if cfg!(debug_assertions) {
                // Compared, not replaced: the tests see the lanes' own tags.
                let alone = self.mac_words(value);
                assert_eq!(lane_tag(&tags, lane), alone, "the sixteen-lane HMAC differs from sha2's compression");
            }
        }
        tags
    }

    /// Whether the prefix's tail, `value`, `0x80` and the 8-byte length fit in one block.
    fn ends_in_last_block(&self, value: &[u8]) -> bool {
        self.tail_len + value.len() + 9 <= BLOCK
    }

    /// The inner hash's one remaining block for `value`, padded, when the prefix's tail,
    /// the value, `0x80` and the 8-byte length fit in it.
    fn last_block(&self, value: &[u8]) -> Option<[u8; BLOCK]> {
        if !self.ends_in_last_block(value) {
            return None;
        }
        let fill = self.tail_len + value.len();
        let mut block = self.tail;
        block[self.tail_len..fill].copy_from_slice(value);
        block[fill] = 0x80;
        let total = self.absorbed + fill as u64;
        block[BLOCK - 8..].copy_from_slice(&(total * 8).to_be_bytes());
        Some(block)
    }
}

/// The outer hash's last block after the 32-byte inner digest: `0x80`, zeros, and the
/// message length in bits (key block + digest = 96 bytes = 768 bits), big-endian.
const OUTER_PADDING: [u8; BLOCK] = {
    let mut b = [0u8; BLOCK];
    b[32] = 0x80;
    let bits = ((BLOCK + 32) as u64 * 8).to_be_bytes();
    let mut i = 0;
    while i < 8 {
        b[BLOCK - 8 + i] = bits[i];
        i += 1;
    }
    b
};

/// Pads the message's last bytes `block[..fill]` (zero after them; `total` bytes in all)
/// and compresses what is left into `state`.
fn finish(state: &mut [u32; 8], block: &mut [u8; BLOCK], fill: usize, total: u64) {
    block[fill] = 0x80;
    if fill + 1 > BLOCK - 8 {
        compress256(state, &[*block]);
        *block = [0; BLOCK];
    }
    block[BLOCK - 8..].copy_from_slice(&(total * 8).to_be_bytes());
    compress256(state, &[*block]);
}

impl Drop for PrefixedHmac {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ring::hmac;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    #[test]
    fn rfc4231_case_2() {
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        // A 32-byte key padded with zeros is the same HMAC key as "Jefe" (keys are zero-padded
        // to the block size), so RFC 4231's expected tag applies.
        let mac = PrefixedHmac::new(&key, b"what do ya ").mac(b"want for nothing?");
        assert_eq!(hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    proptest! {
        // Two values at once (the SHA unit's two lanes where the CPU has them) give ring's
        // tags for both, whether they fit the last block or not.
        #[test]
        fn two_at_once_equal_ring(
            key in prop::array::uniform32(any::<u8>()),
            prefix in prop::collection::vec(any::<u8>(), 0..90),
            a in prop::collection::vec(any::<u8>(), 0..80),
            b in prop::collection::vec(any::<u8>(), 0..80),
        ) {
            let Some(ni) = ShaNi::detect() else {
                assert!(std::env::var_os("IMPORTD_CI").is_none(), "CI runs on a CPU with the SHA extensions");
                eprintln!("SKIPPED two_at_once_equal_ring: this CPU has no SHA extensions");
                return Ok(());
            };
            let ring_key = hmac::Key::new(hmac::HMAC_SHA256, &key);
            let mac = PrefixedHmac::new(&key, &prefix);
            let [wa, wb] = mac.mac_words2(ni, &a, &b);
            for (words, value) in [(wa, &a), (wb, &b)] {
                let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
                let expected = hmac::sign(&ring_key, &[prefix.as_slice(), value].concat());
                prop_assert_eq!(bytes.as_slice(), expected.as_ref());
            }
        }

        // Sixteen values at once (AVX-512 lanes where the CPU has them) give ring's tags for
        // each, whether they fit the last block or not.
        #[test]
        fn sixteen_at_once_equal_ring(
            key in prop::array::uniform32(any::<u8>()),
            prefix in prop::collection::vec(any::<u8>(), 0..90),
            values in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 16),
        ) {
            let Some(x) = Avx512::detect() else {
                assert!(std::env::var_os("IMPORTD_CI").is_none(), "CI runs on a CPU with AVX-512");
                eprintln!("SKIPPED sixteen_at_once_equal_ring: this CPU has no AVX-512F/BW/VBMI2");
                return Ok(());
            };
            let ring_key = hmac::Key::new(hmac::HMAC_SHA256, &key);
            let mac = PrefixedHmac::new(&key, &prefix);
            let refs: [&[u8]; LANES] = std::array::from_fn(|i| values[i].as_slice());
            let tags = mac.mac_words16(x, &refs);
            for (lane, value) in values.iter().enumerate() {
                let bytes: Vec<u8> = (0..8).flat_map(|i| tags[i][lane].to_be_bytes()).collect();
                let expected = hmac::sign(&ring_key, &[prefix.as_slice(), value].concat());
                prop_assert_eq!(bytes.as_slice(), expected.as_ref());
            }
        }

        // ring's HMAC is the independent implementation; lengths cover every block boundary.
        #[test]
        fn equals_ring_for_any_prefix_and_value(
            key in prop::array::uniform32(any::<u8>()),
            prefix in prop::collection::vec(any::<u8>(), 0..150),
            value in prop::collection::vec(any::<u8>(), 0..200),
        ) {
            let expected = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), &[prefix.as_slice(), &value].concat());
            let mac = PrefixedHmac::new(&key, &prefix).mac(&value);
            prop_assert_eq!(mac.as_slice(), expected.as_ref());
        }
    }
}
