//! The fast path for the common record: one SIMD search finds its fields and its end.

use super::reader::{CsvReader, Next};
use crate::error::Error;

impl CsvReader {
    /// The fast path for the common record: complete lines (LF or CRLF), whose fields are
    /// plain or quoted (a quoted field may span lines and hold `""` for a quote). One SIMD
    /// search for delimiters, quotes and line feeds locates the fields and the record's end
    /// (a `\r` elsewhere is left to csv-core); the record is copied once and fields with
    /// `""` are unescaped in place. Such a record parses exactly as csv-core would parse it
    /// (tested and fuzzed against rust-csv); anything else returns `None`, changes nothing,
    /// and goes through csv-core.
    pub(super) fn simple_record(&mut self) -> Result<Option<Next>, Error> {
        let (quote, delimiter) = (self.opts.quote(), self.opts.delimiter());
        if quote == delimiter || [quote, delimiter].iter().any(|b| *b == b'\n' || *b == b'\r') {
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
        let avail = &self.buf[self.pos..self.end];
        let base = self.data_len;
        let first = self.ends_len;
        let limit = first + self.ncols;
        let mut e = first;
        let (mut field_start, mut in_quotes, mut closed_at) = (0usize, false, None::<usize>);
        // `""` inside quotes: the second quote is skipped by the scan, the pair unescaped below.
        let (mut escaped_quote, mut escapes, mut line_breaks) = (None::<usize>, false, 1u64);
        // One pass over delimiters, quotes and line feeds; the record ends at the first line
        // feed outside quotes.
        let mut record_end = None;
        for p in memchr::memchr3_iter(delimiter, quote, b'\n', avail) {
            if p > self.opts.max_record_bytes {
                return Ok(None);
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
                        _ => return Ok(None), // text after the closing quote, or more input needed
                    }
                } else if b == b'\n' {
                    line_breaks += 1; // a line break inside a quoted field is data
                }
                continue; // a delimiter inside quotes is data
            }
            if b == quote {
                if p != field_start || closed_at.is_some() {
                    return Ok(None); // a quote inside an unquoted field
                }
                in_quotes = true;
                continue;
            }
            if b == b'\n' {
                record_end = Some(p);
                break;
            }
            if e == limit {
                return Ok(None); // more fields than the header: csv-core reports it
            }
            let (start, end) = match closed_at.take() {
                Some(close) => (field_start + 1, close),
                None => (field_start, p),
            };
            self.starts[e] = base + start;
            self.ends[e] = base + end;
            e += 1;
            field_start = p + 1;
        }
        let Some(nl) = record_end else { return Ok(None) };
        // A `\r` is only ours right before the record's line feed (CRLF); csv-core decides
        // every other one (a bare CR ends a record there).
        let cr = next_cr - self.pos;
        if cr < nl && cr + 1 != nl {
            return Ok(None);
        }
        let len = if cr + 1 == nl { nl - 1 } else { nl };
        if len == 0 || e != limit - 1 {
            return Ok(None); // an empty line or too few fields: csv-core decides
        }
        let (start, end) = match closed_at {
            Some(close) => (field_start + 1, close),
            None if field_start <= len => (field_start, len),
            None => return Ok(None),
        };
        self.starts[e] = base + start;
        self.ends[e] = base + end;
        e += 1;
        self.reserve(len, 0);
        self.data[base..base + len].copy_from_slice(&self.buf[self.pos..self.pos + len]);
        self.data_len += if escapes { self.unescape(base, first..e, quote) } else { len };
        self.ends_len = e;
        let line = self.core.line();
        self.pos += nl + 1;
        self.core.set_line(line + line_breaks);
        Ok(Some(Next::Record(line)))
    }

    /// Makes room for `bytes` more field bytes and `fields` more field bounds (buffers only
    /// grow, doubling, so a recycled buffer is zeroed once in its life).
    /// `starts`/`ends[fields]`, moving fields left as they shrink; returns the record's new
    /// length. On the fast path every quote inside a field's content is half of a pair.
    fn unescape(&mut self, base: usize, fields: std::ops::Range<usize>, quote: u8) -> usize {
        let mut w = base;
        for e in fields {
            let (start, end) = (self.starts[e], self.ends[e]);
            self.starts[e] = w;
            let mut r = start;
            while let Some(q) = memchr::memchr(quote, &self.data[r..end]) {
                // Keep up to and including the first quote of the pair, skip the second.
                self.data.copy_within(r..r + q + 1, w);
                w += q + 1;
                r += q + 2;
            }
            self.data.copy_within(r..end, w);
            w += end - r;
            self.ends[e] = w;
        }
        w - base
    }
}
