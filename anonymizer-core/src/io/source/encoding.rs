//! Byte-stream adapters in front of the CSV reader: skip a UTF-8 BOM, and transcode
//! Windows-1252 or UTF-16 (with `encoding_rs`) or Latin-1 to UTF-8. When the rule file does
//! not name an encoding, it is sniffed from the first 64 KiB: a UTF-16 byte-order mark means
//! UTF-16, valid UTF-8 means UTF-8, anything else Windows-1252 (what Excel writes).

use std::io::{self, Read};

use encoding_rs::{Decoder, UTF_16LE, WINDOWS_1252};

use crate::rule::Encoding;

/// Wraps `inner` so that it yields UTF-8 (or, for `Utf8`, the bytes as they are, to be
/// validated by the reader with exact positions). A leading UTF-8 BOM is skipped.
pub fn decoded_reader<R: Read + Send + 'static>(inner: R, encoding: Encoding) -> Box<dyn Read + Send> {
    match encoding {
        Encoding::Auto => sniffed(inner),
        // `new_decoder` sniffs the byte-order mark: UTF-16LE or UTF-16BE, the mark removed.
        Encoding::Utf16 => Box::new(Transcode::new(inner, Some(UTF_16LE.new_decoder()))),
        Encoding::Utf8 => Box::new(SkipBom { inner, checked: false, pending: Vec::new() }),
        Encoding::Windows1252 => Box::new(Transcode::new(
            SkipBom { inner, checked: false, pending: Vec::new() },
            Some(WINDOWS_1252.new_decoder_without_bom_handling()),
        )),
        Encoding::Latin1 => Box::new(Transcode::new(SkipBom { inner, checked: false, pending: Vec::new() }, None)),
    }
}

/// The encoding a sample of the input's first bytes suggests.
pub fn sniff_encoding(head: &[u8]) -> Encoding {
    match head {
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => Encoding::Utf16,
        [0xEF, 0xBB, 0xBF, ..] => Encoding::Utf8,
        // A sequence cut off at the end of the sample is not a fault (`error_len` is None).
        _ => match std::str::from_utf8(head) {
            Ok(_) => Encoding::Utf8,
            Err(e) if e.error_len().is_none() => Encoding::Utf8,
            Err(_) => Encoding::Windows1252,
        },
    }
}

fn sniffed<R: Read + Send + 'static>(mut inner: R) -> Box<dyn Read + Send> {
    let mut head = Vec::with_capacity(64 * 1024);
    let sniff = (&mut inner).take(64 * 1024).read_to_end(&mut head);
    let encoding = match sniff {
        Ok(_) => sniff_encoding(&head),
        Err(_) => Encoding::Utf8, // the error comes again from the reader, with its position
    };
    // Boxed, so `decoded_reader` is instantiated for one more type only (not recursively).
    let chained: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(inner));
    decoded_reader(chained, encoding)
}

struct SkipBom<R> {
    inner: R,
    checked: bool,
    pending: Vec<u8>,
}

impl<R: Read> Read for SkipBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.checked {
            self.checked = true;
            let mut head = [0u8; 3];
            let mut n = 0;
            while n < 3 {
                match self.inner.read(&mut head[n..])? {
                    0 => break,
                    k => n += k,
                }
            }
            if head[..n] != [0xEF, 0xBB, 0xBF] {
                self.pending.extend_from_slice(&head[..n]);
            }
        }
        if !self.pending.is_empty() {
            let n = self.pending.len().min(buf.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

/// Windows-1252 through `encoding_rs`; Latin-1 (ISO 8859-1, every byte is the code point of
/// the same number) by hand, since WHATWG maps the label "latin1" to Windows-1252.
struct Transcode<R> {
    inner: R,
    decoder: Option<Decoder>,
    raw: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    out_end: usize,
    eof: bool,
}

impl<R: Read> Transcode<R> {
    fn new(inner: R, decoder: Option<Decoder>) -> Self {
        Transcode {
            inner,
            decoder,
            raw: vec![0; 64 * 1024],
            out: vec![0; 3 * 64 * 1024 + 16],
            out_pos: 0,
            out_end: 0,
            eof: false,
        }
    }

    /// Decodes the next raw chunk into `out`; `false` at the end of the stream.
    fn refill(&mut self) -> io::Result<bool> {
        loop {
            if self.eof {
                return Ok(false);
            }
            let n = self.inner.read(&mut self.raw)?;
            self.eof = n == 0;
            let src = &self.raw[..n];
            let written = match &mut self.decoder {
                Some(d) => {
                    // `out` holds 3 bytes per input byte plus slack: one call always consumes all.
                    let (_, read, written, _) = d.decode_to_utf8(src, &mut self.out, self.eof);
                    debug_assert_eq!(read, n);
                    written
                }
                None => {
                    let mut w = 0;
                    for &b in src {
                        if b < 0x80 {
                            self.out[w] = b;
                            w += 1;
                        } else {
                            self.out[w] = 0xC0 | (b >> 6);
                            self.out[w + 1] = 0x80 | (b & 0x3F);
                            w += 2;
                        }
                    }
                    w
                }
            };
            self.out_pos = 0;
            self.out_end = written;
            if written > 0 {
                return Ok(true);
            }
        }
    }
}

impl<R: Read> Read for Transcode<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out_end && !self.refill()? {
            return Ok(0);
        }
        let n = (self.out_end - self.out_pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8], enc: Encoding) -> String {
        let mut s = String::new();
        decoded_reader(std::io::Cursor::new(bytes.to_vec()), enc).read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn windows_1252_and_latin1_differ_only_in_c1() {
        // 0xFC = ü in both; 0x80 = € in Windows-1252, U+0080 in Latin-1.
        assert_eq!(all(b"M\xfcller \x80", Encoding::Windows1252), "Müller €");
        assert_eq!(all(b"M\xfcller \x80", Encoding::Latin1), "Müller \u{80}");
    }

    #[test]
    fn bom_is_skipped_once() {
        assert_eq!(all(b"\xEF\xBB\xBFa,b", Encoding::Utf8), "a,b");
        assert_eq!(all(b"ab", Encoding::Utf8), "ab");
        // Sniffed: Excel's Windows-1252, UTF-16 with either byte order, UTF-8 with or without BOM.
        assert_eq!(all(b"Name;Stra\xdfe\nM\xfcller;x", Encoding::Auto), "Name;Straße\nMüller;x");
        assert_eq!(all(b"\xFF\xFEa\x00;\x00\xFC\x00", Encoding::Auto), "a;ü");
        assert_eq!(all(b"\xFE\xFF\x00a\x00;\x00\xFC", Encoding::Auto), "a;ü");
        assert_eq!(all("\u{feff}Müller".as_bytes(), Encoding::Auto), "Müller");
        assert_eq!(all("Müller".as_bytes(), Encoding::Auto), "Müller");
        assert_eq!(all(b"", Encoding::Utf8), "");
    }
}
