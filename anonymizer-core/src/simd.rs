//! The AVX-512 witness, and the one byte search the CSV splitters share.
//!
//! [`Avx512`] exists only where a runtime check found AVX-512F, AVX-512BW and AVX-512 VBMI2
//! (its field is private to this module), so the `#[target_feature]` functions called
//! through it run only on a CPU that has them: here [`Avx512::any_of3`], in
//! `transform/sha_x16.rs` the sixteen-lane HMAC. `IMPORTD_NO_AVX512` set (to anything) turns
//! both off, for measuring and for comparing outputs.

use std::sync::OnceLock;

/// Witness that this CPU has AVX-512F, AVX-512BW and AVX-512 VBMI2. Its field is private to
/// this module: only [`Avx512::detect`] creates one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx512(());

impl Avx512 {
    /// `Some` where the AVX-512 paths can run, unless `IMPORTD_NO_AVX512` is set. Checked
    /// once per process: the CSV splitters ask for every record.
    pub(crate) fn detect() -> Option<Avx512> {
        static FOUND: OnceLock<Option<Avx512>> = OnceLock::new();
        *FOUND.get_or_init(|| {
            if std::env::var_os("IMPORTD_NO_AVX512").is_some() {
                return None;
            }
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vbmi2")
            {
                return Some(Avx512(()));
            }
            None
        })
    }

    /// Where any of the three `needles` occurs in `window`: bit `i` for byte `i`. One load
    /// and three compares into mask registers, where 128-bit vectors take four loads, twelve
    /// compares and four mask moves.
    #[inline]
    pub(crate) fn any_of3(self, window: &[u8; 64], needles: [u8; 3]) -> u64 {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `self` exists only where `detect` found the features `any_of3` is compiled
        // for; it reads the 64 bytes of the array it is given.
        #[allow(unsafe_code)]
        return unsafe { x86::any_of3(window, needles) };
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("no Avx512 witness exists off x86_64")
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) fn any_of3(window: &[u8; 64], [a, b, c]: [u8; 3]) -> u64 {
        // SAFETY: an unaligned load of exactly the array's 64 bytes.
        #[allow(unsafe_code)]
        let v = unsafe { _mm512_loadu_si512(window.as_ptr().cast()) };
        _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(a as i8))
            | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b as i8))
            | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(c as i8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The mask is the bytes equal to a needle, compared one by one: any bytes (NUL and
        /// 0x80-0xFF included), needles often taken from the window itself.
        #[test]
        fn any_of3_finds_each_needle_byte(
            window in proptest::collection::vec(proptest::num::u8::ANY, 64),
            picks in proptest::array::uniform3(0usize..96),
        ) {
            let Some(x) = Avx512::detect() else {
                assert!(std::env::var_os("IMPORTD_CI").is_none(), "CI runs on a CPU with AVX-512");
                eprintln!("SKIPPED any_of3_finds_each_needle_byte: no AVX-512 on this CPU");
                return Ok(());
            };
            let w: [u8; 64] = window.try_into().unwrap();
            // A pick past the window is a byte that may not occur in it.
            let needles = picks.map(|i| w.get(i).copied().unwrap_or((i as u8).wrapping_mul(3)));
            let want = w.iter().enumerate().fold(0u64, |m, (i, b)| m | u64::from(needles.contains(b)) << i);
            proptest::prop_assert_eq!(x.any_of3(&w, needles), want);
        }
    }
}
