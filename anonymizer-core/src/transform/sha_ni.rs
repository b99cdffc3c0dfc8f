//! Two SHA-256 block compressions at once with the x86 SHA extensions.
//!
//! One compression is a chain of 32 `sha256rnds2` instructions, each waiting for the one
//! before: a token (two chained compressions) leaves most of the SHA unit idle. Two
//! independent tokens, their rounds interleaved instruction by instruction, fill it; the
//! pseudonym kernel hands them over in pairs. The arithmetic is FIPS 180-4's, as in the
//! `sha2` crate's SHA-NI backend; only the interleaving is ours.
//!
//! The one `unsafe` is calling the `#[target_feature]` function, and only [`ShaNi`] does it:
//! that witness exists only where the CPU was asked and has the features. Debug builds
//! (tests, fuzzing) recompute every pair with `sha2`'s own compression and fail loudly.

/// Witness that this CPU has the SHA extensions, SSSE3 and SSE4.1. Its field is private to
/// this module: only [`ShaNi::detect`] creates one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShaNi(());

impl ShaNi {
    /// `Some` where the two-lane compression can run; `IMPORTD_NO_SHA_NI` set (to anything)
    /// turns it off, for measuring and for comparing outputs.
    pub(crate) fn detect() -> Option<ShaNi> {
        if std::env::var_os("IMPORTD_NO_SHA_NI").is_some() {
            return None;
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("sha")
            && std::is_x86_feature_detected!("ssse3")
            && std::is_x86_feature_detected!("sse4.1")
        {
            return Some(ShaNi(()));
        }
        None
    }

    /// The last two compressions of HMAC-SHA256 for two messages under one key: each
    /// message's last inner block (`block_a`, `block_b`, padded) from the `inner` state, then
    /// the outer hash of each digest from the `outer` state. Returns the two tags as SHA-256
    /// state words.
    pub(crate) fn hmac_finish2(
        self,
        inner: &[u32; 8],
        outer: &[u32; 8],
        block_a: &[u8; 64],
        block_b: &[u8; 64],
    ) -> [[u32; 8]; 2] {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `self` exists only where `detect` found every feature `hmac_finish2` is
        // compiled for; it takes references only and reads nothing else.
        #[allow(unsafe_code)]
        let tags = unsafe { x86::hmac_finish2(inner, outer, block_a, block_b) };
        #[cfg(not(target_arch = "x86_64"))]
        let tags = [scalar(inner, outer, block_a), scalar(inner, outer, block_b)];
        #[cfg(debug_assertions)]
        assert_eq!(
            tags,
            [scalar(inner, outer, block_a), scalar(inner, outer, block_b)],
            "the two-lane HMAC differs from sha2's compression"
        );
        tags
    }
}

/// [`ShaNi::hmac_finish2`] for one message with `sha2`'s compression.
#[cfg(any(debug_assertions, not(target_arch = "x86_64")))]
fn scalar(inner: &[u32; 8], outer: &[u32; 8], block: &[u8; 64]) -> [u32; 8] {
    use sha2::block_api::compress256;
    let mut state = *inner;
    compress256(&mut state, &[*block]);
    let mut digest = [0u8; 64];
    for (chunk, word) in digest.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    digest[32] = 0x80;
    digest[62..].copy_from_slice(&768u16.to_be_bytes());
    let mut tag = *outer;
    compress256(&mut tag, &[digest]);
    tag
}

#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use core::arch::x86_64::*;

    /// FIPS 180-4's round constants.
    pub(crate) const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    /// A hash state as SHA-NI holds it: (a, b, e, f) and (c, d, g, h), top lane first.
    #[derive(Clone, Copy)]
    struct State {
        abef: __m128i,
        cdgh: __m128i,
    }

    #[inline]
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    fn state(s: &[u32; 8]) -> State {
        let s = |i: usize| s[i] as i32;
        State { abef: _mm_set_epi32(s(0), s(1), s(4), s(5)), cdgh: _mm_set_epi32(s(2), s(3), s(6), s(7)) }
    }

    /// A block's sixteen big-endian words, four to a register, the first in the low lane.
    #[inline]
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    fn message(block: &[u8; 64]) -> [__m128i; 4] {
        let word =
            |i: usize| u32::from_be_bytes([block[4 * i], block[4 * i + 1], block[4 * i + 2], block[4 * i + 3]]) as i32;
        core::array::from_fn(|j| _mm_set_epi32(word(4 * j + 3), word(4 * j + 2), word(4 * j + 1), word(4 * j)))
    }

    /// The state's words a..h as two registers, a and e in the low lanes: the outer hash's
    /// first message words, and the form the tag is read from.
    #[inline]
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    fn words(s: State) -> [__m128i; 2] {
        let feba = _mm_shuffle_epi32::<0x1b>(s.abef);
        let dchg = _mm_shuffle_epi32::<0xb1>(s.cdgh);
        [_mm_blend_epi16::<0xf0>(feba, dchg), _mm_alignr_epi8::<8>(dchg, feba)]
    }

    #[inline]
    #[target_feature(enable = "sse4.1")]
    fn lanes(v: __m128i) -> [u32; 4] {
        [
            _mm_extract_epi32::<0>(v) as u32,
            _mm_extract_epi32::<1>(v) as u32,
            _mm_extract_epi32::<2>(v) as u32,
            _mm_extract_epi32::<3>(v) as u32,
        ]
    }

    /// Four rounds with message words `w` (already scheduled).
    #[inline]
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    fn rounds4(s: &mut State, r: usize, w: __m128i) {
        let k = _mm_set_epi32(K[4 * r + 3] as i32, K[4 * r + 2] as i32, K[4 * r + 1] as i32, K[4 * r] as i32);
        let wk = _mm_add_epi32(w, k);
        s.cdgh = _mm_sha256rnds2_epu32(s.cdgh, s.abef, wk);
        s.abef = _mm_sha256rnds2_epu32(s.abef, s.cdgh, _mm_shuffle_epi32::<0x0e>(wk));
    }

    /// The next four message words of a schedule, into slot `i`.
    #[inline]
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    fn schedule(w: &mut [__m128i; 4], i: usize) -> __m128i {
        let (w0, w1, w2, w3) = (w[i], w[(i + 1) % 4], w[(i + 2) % 4], w[(i + 3) % 4]);
        let t = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8::<4>(w3, w2));
        w[i] = _mm_sha256msg2_epu32(t, w3);
        w[i]
    }

    /// Two compressions, their rounds interleaved four at a time.
    #[inline]
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    fn compress2(from: [State; 2], mut wa: [__m128i; 4], mut wb: [__m128i; 4]) -> [State; 2] {
        let [mut a, mut b] = from;
        for r in 0..4 {
            rounds4(&mut a, r, wa[r]);
            rounds4(&mut b, r, wb[r]);
        }
        for r in 4..16 {
            let x = schedule(&mut wa, r % 4);
            rounds4(&mut a, r, x);
            let y = schedule(&mut wb, r % 4);
            rounds4(&mut b, r, y);
        }
        let add =
            |s: State, f: State| State { abef: _mm_add_epi32(s.abef, f.abef), cdgh: _mm_add_epi32(s.cdgh, f.cdgh) };
        [add(a, from[0]), add(b, from[1])]
    }

    /// See [`super::ShaNi::hmac_finish2`]: everything between the blocks and the tags stays
    /// in registers.
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    pub(super) fn hmac_finish2(
        inner: &[u32; 8],
        outer: &[u32; 8],
        block_a: &[u8; 64],
        block_b: &[u8; 64],
    ) -> [[u32; 8]; 2] {
        let inner = state(inner);
        let [da, db] = compress2([inner, inner], message(block_a), message(block_b));
        // The outer message: the 32-byte digest, 0x80, zeros, 768 bits in the last word.
        let pad = [_mm_set_epi32(0, 0, 0, 0x8000_0000u32 as i32), _mm_set_epi32(768, 0, 0, 0)];
        let [wa0, wa1] = words(da);
        let [wb0, wb1] = words(db);
        let outer = state(outer);
        let [ta, tb] = compress2([outer, outer], [wa0, wa1, pad[0], pad[1]], [wb0, wb1, pad[0], pad[1]]);
        let tag = |t: State| {
            let [lo, hi] = words(t);
            let (lo, hi) = (lanes(lo), lanes(hi));
            [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3]]
        };
        [tag(ta), tag(tb)]
    }
}
