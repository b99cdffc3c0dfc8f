//! The fast path for the common record: one SIMD search finds its fields and its end.

use super::reader::{CsvReader, Next};
use crate::error::Error;
use crate::simd::Avx512;

/// A record the fast path split: where it ends and what its fields need.
pub(super) struct Simple {
    /// Index of the line feed that ends it.
    pub(super) newline: usize,
    /// Its bytes before the line feed, without a CR right before it.
    pub(super) len: usize,
    /// Some field holds `""`, to be unescaped.
    pub(super) escapes: bool,
    /// Line feeds in it, its own included.
    pub(super) line_breaks: u64,
}

/// Positions of the delimiter, the quote and the line feed in a haystack, in order: each
/// 64-byte window is compared at once into a bit mask (one AVX-512 load and three compares
/// where the CPU has them, [`Avx512::any_of3`]; else `wide`'s 128-bit vectors, safe code),
/// and hits are taken from the mask. Per hit this costs a few instructions where a
/// `memchr3` iterator restarts its search (it was a third of the workers' splitting).
/// It holds no reference, so the haystack may change behind it (unescaping moves bytes
/// before the hits already taken, never after).
pub(super) struct Hits {
    /// Start of the window `mask` covers.
    base: usize,
    mask: u64,
    needles: [u8; 3],
    simd: Option<Avx512>,
}

impl Hits {
    /// Hits in `hay` from `from` on.
    pub(super) fn new(hay: &[u8], from: usize, needles: [u8; 3]) -> Self {
        let mut hits = Hits { base: from, mask: 0, needles, simd: Avx512::detect() };
        hits.mask = hits.window(hay, from);
        hits
    }

    fn window(&self, hay: &[u8], base: usize) -> u64 {
        use wide::u8x16;
        let [x, y, z] = self.needles;
        let Some(w) = hay.get(base..base.saturating_add(64)) else {
            let tail = hay.get(base..).unwrap_or_default();
            return tail.iter().enumerate().fold(0u64, |m, (i, &c)| m | u64::from(c == x || c == y || c == z) << i);
        };
        if let (Some(simd), Ok(w)) = (self.simd, <&[u8; 64]>::try_from(w)) {
            let mask = simd.any_of3(w, self.needles);
            debug_assert_eq!(mask, Hits { simd: None, ..*self }.window(hay, base), "at {base}");
            return mask;
        }
        let (x, y, z) = (u8x16::splat(x), u8x16::splat(y), u8x16::splat(z));
        w.chunks_exact(16).enumerate().fold(0u64, |m, (k, c)| {
            let v = u8x16::new(c.try_into().unwrap_or_default());
            let e = v.cmp_eq(x) | v.cmp_eq(y) | v.cmp_eq(z);
            m | u64::from(e.move_mask() as u16) << (16 * k)
        })
    }

    /// The next hit in `hay` (the haystack it was made for).
    #[inline]
    pub(super) fn next_in(&mut self, hay: &[u8]) -> Option<usize> {
        while self.mask == 0 {
            self.base += 64;
            if self.base >= hay.len() {
                return None;
            }
            self.mask = self.window(hay, self.base);
        }
        let i = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.base + i)
    }

    /// Drops the hits before `pos`, which is past every hit taken.
    pub(super) fn seek(&mut self, hay: &[u8], pos: usize) {
        if pos >= self.base + 64 {
            self.base = pos;
            self.mask = self.window(hay, pos);
        } else if pos > self.base {
            self.mask &= !0u64 << (pos - self.base);
        }
    }
}

/// Whether the fast path can read CSV with this delimiter and quote.
pub(super) fn fast_path_applies(delimiter: u8, quote: u8) -> bool {
    quote != delimiter && [quote, delimiter].iter().all(|b| *b != b'\n' && *b != b'\r')
}

/// Splits the common record at `hay[from..]` (`hits` positioned there): a complete line (LF or CRLF) of exactly
/// `starts.len()` fields, plain or quoted (a quoted field may span lines and hold `""` for a
/// quote). One SIMD search for delimiters, quotes and line feeds locates the fields and the
/// record's end; each field's bounds go to `starts`/`ends`, offset by `base`, quotes
/// excluded (still escaped). A `\r` before index `first_cr` is left to csv-core (a bare CR
/// ends a record there); callers that know every `\r` outside quotes is part of a CRLF
/// pass `usize::MAX`. Such a record parses exactly as csv-core would parse it (tested and
/// fuzzed against rust-csv); anything else returns `None`: an empty line, another field
/// count, a quote inside an unquoted field, text after a closing quote, more input needed,
/// a record longer than `max_record_bytes`.
#[allow(clippy::too_many_arguments)]
pub(super) fn split_simple(
    hay: &[u8],
    from: usize,
    hits: &mut Hits,
    delimiter: u8,
    quote: u8,
    first_cr: usize,
    max_record_bytes: usize,
    base: usize,
    starts: &mut [usize],
    ends: &mut [usize],
) -> Option<Simple> {
    let avail = &hay[from..];
    let limit = starts.len();
    let mut e = 0;
    let (mut field_start, mut in_quotes, mut closed_at) = (0usize, false, None::<usize>);
    // `""` inside quotes: the second quote is skipped by the scan, the pair unescaped later.
    let (mut escaped_quote, mut escapes, mut line_breaks) = (None::<usize>, false, 1u64);
    // One pass over delimiters, quotes and line feeds; the record ends at the first line
    // feed outside quotes.
    let mut record_end = None;
    while let Some(at) = hits.next_in(hay) {
        let p = at - from;
        if p > max_record_bytes {
            return None;
        }
        if escaped_quote == Some(p) {
            continue;
        }
        let b = avail[p];
        if in_quotes {
            if b == quote {
                match (avail.get(p + 1), avail.get(p + 2)) {
                    (Some(&q), _) if q == quote => {
                        escaped_quote = Some(p + 1);
                        escapes = true;
                    }
                    (Some(&d), _) if d == delimiter || d == b'\n' => {
                        in_quotes = false;
                        closed_at = Some(p);
                    }
                    (Some(b'\r'), Some(b'\n')) => {
                        in_quotes = false;
                        closed_at = Some(p);
                    }
                    _ => return None, // text after the closing quote, or more input needed
                }
            } else if b == b'\n' {
                line_breaks += 1; // a line break inside a quoted field is data
            }
            continue; // a delimiter inside quotes is data
        }
        if b == quote {
            if p != field_start || closed_at.is_some() {
                return None; // a quote inside an unquoted field
            }
            in_quotes = true;
            continue;
        }
        if b == b'\n' {
            record_end = Some(p);
            break;
        }
        if e == limit {
            return None; // more fields than the header: csv-core reports it
        }
        let (start, end) = match closed_at.take() {
            Some(close) => (field_start + 1, close),
            None => (field_start, p),
        };
        starts[e] = base + start;
        ends[e] = base + end;
        e += 1;
        field_start = p + 1;
    }
    let newline = record_end?;
    // A `\r` is only ours right before the record's line feed (CRLF).
    let len = if newline > 0 && avail[newline - 1] == b'\r' { newline - 1 } else { newline };
    if first_cr < len || len == 0 || e + 1 != limit {
        return None; // a bare CR, an empty line or too few fields: csv-core decides
    }
    let (start, end) = match closed_at {
        Some(close) => (field_start + 1, close),
        None if field_start <= len => (field_start, len),
        None => return None,
    };
    starts[e] = base + start;
    ends[e] = base + end;
    Some(Simple { newline, len, escapes, line_breaks })
}

/// Unescapes `""` in the fields bounded by `starts`/`ends` (in order, from `base` on),
/// moving fields left as they shrink and updating their bounds; returns the bytes from
/// `base` to the last field's new end. On the fast path every quote inside a field's
/// content is half of a pair.
pub(super) fn unescape(data: &mut [u8], starts: &mut [usize], ends: &mut [usize], base: usize, quote: u8) -> usize {
    let mut w = base;
    for (s, e) in starts.iter_mut().zip(ends.iter_mut()) {
        let (start, end) = (*s, *e);
        *s = w;
        let mut r = start;
        while let Some(q) = memchr::memchr(quote, &data[r..end]) {
            // Keep up to and including the first quote of the pair, skip the second.
            data.copy_within(r..r + q + 1, w);
            w += q + 1;
            r += q + 2;
        }
        data.copy_within(r..end, w);
        w += end - r;
        *e = w;
    }
    w - base
}

impl CsvReader {
    /// The fast path on the serial reader: [`split_simple`] on the raw buffer, then the
    /// record is copied once into the batch buffer and unescaped there. Returns `None`,
    /// changing nothing, for csv-core to read the record.
    pub(super) fn simple_record(&mut self) -> Result<Option<Next>, Error> {
        let (quote, delimiter) = (self.opts.quote(), self.opts.delimiter());
        if !fast_path_applies(delimiter, quote) {
            return Ok(None);
        }
        self.reserve(0, self.ncols);
        // The first `\r` at or after `pos`, searched once per buffer while there is none
        // (LF files), else once per record (CRLF files).
        let next_cr = match self.next_cr {
            Some(cr) if cr >= self.pos => cr,
            _ => memchr::memchr(b'\r', &self.buf[self.pos..self.end]).map_or(self.end, |i| self.pos + i),
        };
        self.next_cr = Some(next_cr);
        let (base, first) = (self.data_len, self.ends_len);
        let fields = first..first + self.ncols;
        let hay = &self.buf[..self.end];
        let mut hits = Hits::new(hay, self.pos, [delimiter, quote, b'\n']);
        let Some(s) = split_simple(
            hay,
            self.pos,
            &mut hits,
            delimiter,
            quote,
            next_cr - self.pos,
            self.opts.max_record_bytes,
            base,
            &mut self.starts[fields.clone()],
            &mut self.ends[fields.clone()],
        ) else {
            return Ok(None);
        };
        self.reserve(s.len, 0);
        self.data[base..base + s.len].copy_from_slice(&self.buf[self.pos..self.pos + s.len]);
        self.data_len += if s.escapes {
            unescape(&mut self.data, &mut self.starts[fields.clone()], &mut self.ends[fields.clone()], base, quote)
        } else {
            s.len
        };
        self.ends_len = fields.end;
        let line = self.core.line();
        self.pos += s.newline + 1;
        self.core.set_line(line + s.line_breaks);
        Ok(Some(Next::Record(line)))
    }
}
