//! Sixteen HMAC-SHA256 tags at once with AVX-512: one message per 32-bit lane.
//!
//! With the SHA extensions a block costs ≈ 109 cycles, the SHA unit's throughput
//! (`sha_ni.rs`). FIPS 180-4's rounds written in plain vector arithmetic, sixteen messages
//! side by side, use the two 512-bit ALUs instead: a round is nine ternary-logic, rotate and
//! add instructions for sixteen blocks. Each value's last block is built in a register (the
//! value expand-loaded after the prefix's tail, the padding and the length set by mask),
//! sixteen blocks are transposed so that a register holds one word of every block, and the
//! inner digest stays in registers as the outer block's first eight words. The tags' base32
//! characters are computed in registers too and transposed back, 32 per token.
//!
//! Three `unsafe` kinds: calling the `#[target_feature]` functions, which only [`Avx512`]
//! does (that witness, in `simd.rs`, exists only where the CPU was asked and has the features);
//! unaligned loads and stores of whole registers from and to arrays of exactly their size;
//! and the masked expand-load, which reads only a value's bytes (its mask has at most as many
//! set bits as the value has bytes). Debug builds (tests, fuzzing) recompute every
//! token on the one-at-a-time path (`sha2`'s compression) and fail loudly
//! (`PrefixedHmac::mac_words16`, `Pseudonymizer::tokens_into`).

/// Messages per call: one per 32-bit lane of a 512-bit register.
pub(crate) const LANES: usize = 16;

/// Sixteen tags, transposed: `tags[i][lane]` is SHA-256 state word `i` of that lane's tag.
pub(crate) type Tags16 = [[u32; LANES]; 8];

/// Lane `lane`'s tag out of sixteen.
pub(crate) fn lane_tag(tags: &Tags16, lane: usize) -> [u32; 8] {
    std::array::from_fn(|i| tags[i][lane])
}

/// What a value's last inner block holds besides the value: the prefix's bytes after its
/// last full block (`bytes[..len]`, zeros after them), and how many bytes the inner hash
/// compressed before them.
pub(crate) struct Tail<'a> {
    pub(crate) bytes: &'a [u8; 64],
    pub(crate) len: usize,
    pub(crate) absorbed: u64,
}

pub(crate) use crate::simd::Avx512;

/// The sixteen-lane HMAC, called only through the witness (`crate::simd`).
impl Avx512 {
    /// HMAC-SHA256 of `prefix || value` for sixteen values under one key, from the inner
    /// state after the prefix's full blocks (`inner`), the outer state (`outer`) and the
    /// prefix's `tail`. A value must end within the last block (`tail.len + value.len() + 9
    /// <= 64`); the tag of a lane whose value does not is meaningless, and still nothing
    /// outside its value is read.
    pub(crate) fn hmac16(self, inner: &[u32; 8], outer: &[u32; 8], tail: &Tail, values: &[&[u8]; LANES]) -> Tags16 {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `self` exists only where `detect` found the features `hmac16` is compiled
        // for; it reads only through the references it is given.
        #[allow(unsafe_code)]
        return unsafe { x86::hmac16(inner, outer, tail, values) };
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("no Avx512 witness exists off x86_64")
    }

    /// The base32 characters (RFC 4648, lower case) of each tag's first 125 bits, by lane:
    /// the first 25 are those bits'; the other 7 bytes are zero.
    pub(crate) fn base32_16(self, tags: &Tags16) -> [[u8; 32]; LANES] {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in `hmac16`.
        #[allow(unsafe_code)]
        return unsafe { x86::base32_16(tags) };
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("no Avx512 witness exists off x86_64")
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    use super::{Tags16, Tail, LANES};
    use crate::transform::sha_ni::x86::K;

    // No closures below: a closure does not inherit `target_feature`, and its intrinsics
    // would become calls.

    /// The last inner block of `value` after the prefix's `tail` (see [`super::Tail`]), as
    /// its sixteen big-endian words, the first in the low lane: the tail, the value, `0x80`,
    /// zeros, the message's length in bits.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi2")]
    fn last_block(tail: __m512i, tail_len: usize, absorbed: u64, value: &[u8]) -> __m512i {
        let len = value.len().min(64);
        let ones = if len == 64 { u64::MAX } else { (1u64 << len) - 1 };
        // Bytes tail_len.. take the value's bytes in order: never more bits set than the
        // value has bytes (shifting can only drop some).
        let place = ones.checked_shl(tail_len as u32).unwrap_or(0);
        // SAFETY: the expand-load reads `place.count_ones()` bytes from the start of
        // `value`, which has at least that many; masked-off bytes are not read.
        #[allow(unsafe_code)]
        let v = unsafe { _mm512_maskz_expandloadu_epi8(place, value.as_ptr().cast()) };
        let block = _mm512_or_si512(tail, v);
        let end = tail_len + value.len();
        let block = _mm512_mask_set1_epi8(block, 1u64.checked_shl(end as u32).unwrap_or(0), 0x80u8 as i8);
        let bits = (absorbed + end as u64).wrapping_mul(8);
        // The last eight bytes: the length, big-endian.
        let block = _mm512_mask_set1_epi64(block, 0x80, bits.swap_bytes() as i64);
        // Each word's bytes reversed (the same pattern in each 128-bit quarter).
        let swap = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
        _mm512_shuffle_epi8(block, swap)
    }

    /// 64 bytes (a tail's bytes, sixteen words) as a register, the first in the low lane.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn load<T: Copy, const N: usize>(x: &[T; N]) -> __m512i {
        const { assert!(size_of::<[T; N]>() == 64) };
        // SAFETY: `x` is 64 readable bytes (checked above when compiled), and the
        // unaligned load needs no more.
        #[allow(unsafe_code)]
        unsafe {
            _mm512_loadu_si512(x.as_ptr().cast())
        }
    }

    /// Rows `r[lane]` (a lane's sixteen words) into columns (word `t` of every lane), in
    /// four steps of sixteen shuffles: pairs of 32-bit words, of 64-bit words, then of
    /// 128-bit quarters twice.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn transpose(r: [__m512i; 16]) -> [__m512i; 16] {
        let zero = _mm512_setzero_si512();
        // t[2g], t[2g+1]: words 4q, 4q+1 and 4q+2, 4q+3 of rows 2g and 2g+1, interleaved.
        let mut t = [zero; 16];
        for g in 0..8 {
            t[2 * g] = _mm512_unpacklo_epi32(r[2 * g], r[2 * g + 1]);
            t[2 * g + 1] = _mm512_unpackhi_epi32(r[2 * g], r[2 * g + 1]);
        }
        // u[4g + c], quarter q: word 4q + c of rows 4g..4g+3.
        let mut u = [zero; 16];
        for g in 0..4 {
            let (lo, hi) = (t[4 * g], t[4 * g + 1]);
            let (lo2, hi2) = (t[4 * g + 2], t[4 * g + 3]);
            u[4 * g] = _mm512_unpacklo_epi64(lo, lo2);
            u[4 * g + 1] = _mm512_unpackhi_epi64(lo, lo2);
            u[4 * g + 2] = _mm512_unpacklo_epi64(hi, hi2);
            u[4 * g + 3] = _mm512_unpackhi_epi64(hi, hi2);
        }
        // Column 4q + c is quarter q of u[c], u[4 + c], u[8 + c], u[12 + c].
        let mut out = [zero; 16];
        for c in 0..4 {
            let x01 = _mm512_shuffle_i32x4::<0x44>(u[c], u[4 + c]);
            let x23 = _mm512_shuffle_i32x4::<0xee>(u[c], u[4 + c]);
            let y01 = _mm512_shuffle_i32x4::<0x44>(u[8 + c], u[12 + c]);
            let y23 = _mm512_shuffle_i32x4::<0xee>(u[8 + c], u[12 + c]);
            out[c] = _mm512_shuffle_i32x4::<0x88>(x01, y01);
            out[4 + c] = _mm512_shuffle_i32x4::<0xdd>(x01, y01);
            out[8 + c] = _mm512_shuffle_i32x4::<0x88>(x23, y23);
            out[12 + c] = _mm512_shuffle_i32x4::<0xdd>(x23, y23);
        }
        out
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn xor3(a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        _mm512_ternarylogic_epi32::<0x96>(a, b, c)
    }

    /// Round `t` with its message word `wt`. The state rotates by one place per round, so
    /// the round reads its registers at offsets rather than moving eight of them; with `t`
    /// a constant (every call below is unrolled) the offsets are constants too.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn round(s: &mut [__m512i; 8], t: usize, wt: __m512i) {
        let at = 8 - t % 8;
        let (a, b, c, d) = (s[at % 8], s[(at + 1) % 8], s[(at + 2) % 8], s[(at + 3) % 8]);
        let (e, f, g, h) = (s[(at + 4) % 8], s[(at + 5) % 8], s[(at + 6) % 8], s[(at + 7) % 8]);
        let s1 = xor3(_mm512_ror_epi32::<6>(e), _mm512_ror_epi32::<11>(e), _mm512_ror_epi32::<25>(e));
        // Ch(e, f, g) = e ? f : g.
        let ch = _mm512_ternarylogic_epi32::<0xca>(e, f, g);
        let kw = _mm512_add_epi32(wt, _mm512_set1_epi32(K[t] as i32));
        let t1 = _mm512_add_epi32(_mm512_add_epi32(h, s1), _mm512_add_epi32(ch, kw));
        let s0 = xor3(_mm512_ror_epi32::<2>(a), _mm512_ror_epi32::<13>(a), _mm512_ror_epi32::<22>(a));
        // Maj(a, b, c): the majority of the three bits.
        let maj = _mm512_ternarylogic_epi32::<0xe8>(a, b, c);
        // The new e is d + T1 and the new a is T1 + T2, in the places of d and h.
        s[(at + 3) % 8] = _mm512_add_epi32(d, t1);
        s[(at + 7) % 8] = _mm512_add_epi32(t1, _mm512_add_epi32(s0, maj));
    }

    /// W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], into W[t-16]'s place of a ring
    /// of sixteen.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn schedule(w: &mut [__m512i; 16], t: usize) -> __m512i {
        let (w2, w7, w15, w16) = (w[(t - 2) % 16], w[(t - 7) % 16], w[(t - 15) % 16], w[t % 16]);
        let s0 = xor3(_mm512_ror_epi32::<7>(w15), _mm512_ror_epi32::<18>(w15), _mm512_srli_epi32::<3>(w15));
        let s1 = xor3(_mm512_ror_epi32::<17>(w2), _mm512_ror_epi32::<19>(w2), _mm512_srli_epi32::<10>(w2));
        w[t % 16] = _mm512_add_epi32(_mm512_add_epi32(s1, w7), _mm512_add_epi32(s0, w16));
        w[t % 16]
    }

    /// One compression of sixteen blocks (`w`, transposed) into the sixteen states `from`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn compress(from: &[__m512i; 8], mut w: [__m512i; 16]) -> [__m512i; 8] {
        let mut s = *from;
        macro_rules! rounds {
            ($($t:literal)*) => {$(
                let wt = if $t < 16 { w[$t % 16] } else { schedule(&mut w, $t) };
                round(&mut s, $t, wt);
            )*};
        }
        rounds!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        rounds!(16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
        rounds!(32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47);
        rounds!(48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63);
        for i in 0..8 {
            s[i] = _mm512_add_epi32(s[i], from[i]);
        }
        s
    }

    /// See [`super::Avx512::hmac16`].
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi2")]
    pub(super) fn hmac16(inner: &[u32; 8], outer: &[u32; 8], tail: &Tail, values: &[&[u8]; LANES]) -> Tags16 {
        let zero = _mm512_setzero_si512();
        let tail_bytes = load(tail.bytes);
        let mut rows = [zero; 16];
        for lane in 0..LANES {
            rows[lane] = last_block(tail_bytes, tail.len, tail.absorbed, values[lane]);
        }
        let w = transpose(rows);
        let mut state = [zero; 8];
        for i in 0..8 {
            state[i] = _mm512_set1_epi32(inner[i] as i32);
        }
        let digest = compress(&state, w);
        // The outer message: the 32-byte digest, 0x80, zeros, 768 bits in the last word.
        let mut w = [zero; 16];
        w[..8].copy_from_slice(&digest);
        w[8] = _mm512_set1_epi32(0x8000_0000u32 as i32);
        w[15] = _mm512_set1_epi32(768);
        for i in 0..8 {
            state[i] = _mm512_set1_epi32(outer[i] as i32);
        }
        let tag = compress(&state, w);
        let mut out = [[0u32; LANES]; 8];
        for i in 0..8 {
            // SAFETY: `out[i]` is 64 writable bytes, and the unaligned store needs no more.
            #[allow(unsafe_code)]
            unsafe {
                _mm512_storeu_si512(out[i].as_mut_ptr().cast(), tag[i])
            };
        }
        out
    }

    /// See [`super::Avx512::base32_16`]. Character `k` of every lane is bits 5k..5k+5 of
    /// the lanes' 128 bits: a funnel shift of the word holding them and the next one; four
    /// characters go into each 32-bit word, and the words are transposed back to lanes.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi2")]
    pub(super) fn base32_16(tags: &Tags16) -> [[u8; 32]; LANES] {
        let zero = _mm512_setzero_si512();
        let w = [load(&tags[0]), load(&tags[1]), load(&tags[2]), load(&tags[3]), zero];
        let (a, twenty_five, seventy_three) = (_mm512_set1_epi32(97), _mm512_set1_epi32(25), _mm512_set1_epi32(73));
        let mut packed = [zero; 16];
        macro_rules! chars {
            ($($k:literal)*) => {$(
                let five = _mm512_srli_epi32::<27>(_mm512_shldi_epi32::<{ ($k * 5) % 32 }>(
                    w[($k * 5) / 32],
                    w[($k * 5) / 32 + 1],
                ));
                // 'a'..'z' for 0..25, '2'..'7' (73 lower) for 26..31.
                let ascii = _mm512_add_epi32(five, a);
                let high = _mm512_cmpgt_epu32_mask(five, twenty_five);
                let ascii = _mm512_mask_sub_epi32(ascii, high, ascii, seventy_three);
                packed[$k / 4] = _mm512_or_si512(packed[$k / 4], _mm512_slli_epi32::<{ ($k % 4) * 8 }>(ascii));
            )*};
        }
        chars!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24);
        let rows = transpose(packed);
        let mut out = [[0u8; 32]; LANES];
        for lane in 0..LANES {
            // SAFETY: `out[lane]` is 32 writable bytes, and the unaligned store needs no more.
            #[allow(unsafe_code)]
            unsafe {
                _mm256_storeu_si256(out[lane].as_mut_ptr().cast(), _mm512_castsi512_si256(rows[lane]))
            };
        }
        out
    }
}
