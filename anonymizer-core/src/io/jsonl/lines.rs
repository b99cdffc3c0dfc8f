//! Lines of a JSON Lines input, the same for both passes: numbered from 1, blank ones
//! skipped, none longer than the limit (at most one byte past it is ever read, so a huge
//! line never sits in memory); and the spool a stream is copied to during the first pass.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};

use super::problem;
use crate::error::{Error, InputProblem};
use crate::io::source::from_io;

/// Where a line was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Line {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of its start in the (decoded) input.
    pub offset: u64,
}

/// Reads lines from `R`.
#[derive(Debug)]
pub(super) struct Lines<R> {
    src: BufReader<R>,
    max_line_bytes: usize,
    line: u64,
    offset: u64,
}

impl<R: Read> Lines<R> {
    pub(super) fn new(src: R, max_line_bytes: usize) -> Self {
        Lines { src: BufReader::with_capacity(1 << 20, src), max_line_bytes, line: 0, offset: 0 }
    }

    /// Appends the next line that is not blank to `buf`, ending in `\n`; `None` at the end.
    pub(super) fn next_into(&mut self, buf: &mut Vec<u8>) -> Result<Option<Line>, Error> {
        loop {
            let start = buf.len();
            let limit = self.max_line_bytes as u64 + 1;
            let n = (&mut self.src).take(limit).read_until(b'\n', buf).map_err(|e| problem(from_io(&e)))?;
            if n == 0 {
                return Ok(None);
            }
            let at = Line { number: self.line + 1, offset: self.offset };
            self.line += 1;
            self.offset += n as u64;
            if n as u64 == limit && buf.last() != Some(&b'\n') {
                return Err(problem(InputProblem::RecordTooLong { line: at.number, limit: self.max_line_bytes }));
            }
            if buf[start..].iter().all(u8::is_ascii_whitespace) {
                buf.truncate(start);
                continue;
            }
            if buf.last() != Some(&b'\n') {
                buf.push(b'\n');
            }
            return Ok(Some(at));
        }
    }

    /// Bytes read so far.
    pub(super) fn bytes(&self) -> u64 {
        self.offset
    }

    pub(super) fn into_inner(self) -> R {
        self.src.into_inner()
    }
}

/// `line` (the text of the line found `at`) as UTF-8, or the position of its first invalid
/// byte. Decoding already turned other encodings into UTF-8.
pub(super) fn utf8(line: &[u8], at: Line) -> Result<&str, Error> {
    simdutf8::compat::from_utf8(line).map_err(|e| {
        let good = e.valid_up_to() as u64;
        problem(InputProblem::InvalidUtf8 { line: at.number, column: good + 1, offset: at.offset + good })
    })
}

/// A reader that copies everything read through it to an anonymous temporary file.
pub(super) struct Spooling<R> {
    inner: R,
    spool: BufWriter<File>,
}

impl<R> std::fmt::Debug for Spooling<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Spooling")
    }
}

impl<R: Read> Spooling<R> {
    /// `inner`, copied to a new temporary file (unlinked at once: it disappears with its
    /// handle, even when the process dies).
    pub(super) fn new(inner: R) -> Result<Self, Error> {
        let file = tempfile::tempfile().map_err(|e| problem(InputProblem::Io(e.kind())))?;
        Ok(Spooling { inner, spool: BufWriter::with_capacity(1 << 20, file) })
    }

    /// The spool, from its start: what was read through it.
    pub(super) fn replay(self) -> Result<File, Error> {
        let mut file = self.spool.into_inner().map_err(|e| problem(InputProblem::Io(e.error().kind())))?;
        file.rewind().map_err(|e| problem(InputProblem::Io(e.kind())))?;
        Ok(file)
    }
}

impl<R: Read> Read for Spooling<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.spool.write_all(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &[u8], max: usize) -> Result<Vec<(u64, u64, String)>, Error> {
        let mut lines = Lines::new(text, max);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Some(at) = lines.next_into(&mut buf)? {
            out.push((at.number, at.offset, String::from_utf8_lossy(&buf).into_owned()));
            buf.clear();
        }
        Ok(out)
    }

    #[test]
    fn blank_lines_are_skipped_but_counted_and_the_last_line_needs_no_newline() {
        let got = all(b"{}\n\n  \r\n{\"a\":1}", 100).unwrap();
        assert_eq!(got, [(1, 0, "{}\n".into()), (4, 8, "{\"a\":1}\n".into())]);
    }

    #[test]
    fn a_line_one_byte_past_the_limit_is_refused_with_its_number() {
        assert_eq!(all(b"{}\n12345\n", 5).unwrap().len(), 2);
        let e = all(b"{}\n123456\n", 5).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn invalid_utf8_is_placed_exactly() {
        let at = Line { number: 3, offset: 100 };
        let e = utf8(b"{\"a\":\"\xff\"}", at).unwrap_err();
        assert!(e.to_string().contains("line 3, column 7 (byte offset 106)"), "{e}");
    }

    #[test]
    fn the_spool_replays_what_was_read() {
        let mut s = Spooling::new(&b"abc\ndef\n"[..]).unwrap();
        let mut first = String::new();
        s.read_to_string(&mut first).unwrap();
        let mut again = String::new();
        s.replay().unwrap().read_to_string(&mut again).unwrap();
        assert_eq!((first.as_str(), again.as_str()), ("abc\ndef\n", "abc\ndef\n"));
    }
}
