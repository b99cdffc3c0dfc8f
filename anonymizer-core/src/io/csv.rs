//! CSV/TSV → Arrow `RecordBatch`es of text columns, built directly from `csv-core`'s output.
//!
//! We drive `csv-core` (the engine under rust-csv, csv-async and arrow-csv) ourselves rather
//! than arrow-csv's `Decoder`: arrow-csv counts records, not lines, gives no byte offset for
//! invalid UTF-8, silently accepts an unterminated quote at the end of the input, and puts
//! cell values into some error texts. Here every error is a kind plus a location.

use std::io::Read;
use std::sync::{Arc, Mutex};

use arrow_schema::{DataType, Field, Schema, SchemaRef};
use csv_core::{ReadRecordResult, ReaderBuilder};

use super::csv_columns::{Buffers, Chunk};
use super::transcode::decoded_reader;
use super::{BatchSource, InputBatch};
use crate::detect::ColumnLabels;
use crate::error::{Error, ErrorKind, InputProblem};
use crate::rule::{InputFormat, InputOptions};

/// How to read one CSV/TSV input.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub input: InputOptions,
    /// Rows per batch.
    pub batch_size: usize,
    /// Longest record (one row, all fields) in bytes.
    pub max_record_bytes: usize,
    /// Longest field in bytes.
    pub max_field_bytes: usize,
    /// Most columns.
    pub max_columns: usize,
}

impl CsvOptions {
    /// Options from a rule file's `[input]`, with default limits.
    pub fn new(input: &InputOptions) -> Self {
        CsvOptions {
            input: input.clone(),
            batch_size: 8192,
            max_record_bytes: 16 << 20,
            max_field_bytes: 8 << 20,
            max_columns: 10_000,
        }
    }

    fn delimiter(&self) -> u8 {
        match (self.input.delimiter, self.input.format) {
            (Some(d), _) => d,
            (None, InputFormat::Tsv) => b'\t',
            _ => b',',
        }
    }
}

/// Reads CSV from any byte stream, batch by batch; memory is bounded by the batch size.
pub struct CsvReader {
    src: Box<dyn Read + Send>,
    core: csv_core::Reader,
    opts: CsvOptions,
    schema: SchemaRef,
    ncols: usize,
    // Raw input: [0, pos) consumed, [pos, end) pending; the current record starts at rec_start.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    rec_start: usize,
    eof: bool,
    // UTF-8 validation of the raw stream, with positions for messages.
    validated: usize,
    buf_offset: u64,
    newlines: u64,
    last_newline: Option<u64>,
    // The current batch, row-major: field bytes, and each field's absolute start and end
    // (csv-core writes fields back to back; the fast path copies whole lines and points
    // into them, so starts are kept explicitly).
    data: Vec<u8>,
    data_len: usize,
    ends: Vec<usize>,
    starts: Vec<usize>,
    ends_len: usize,
    /// Index in `buf` of the first `\r` at or after `pos` (`end` if none); stale once `pos`
    /// passes it, and forgotten by every refill.
    next_cr: Option<usize>,
    lines: Vec<u64>,
    rows_read: u64,
    null_values: Arc<Vec<String>>,
    spare: Arc<Mutex<Vec<Buffers>>>,
    done: bool,
}

impl std::fmt::Debug for CsvReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvReader").field("columns", &self.ncols).field("rows_read", &self.rows_read).finish()
    }
}

enum Next {
    Record(u64),
    End,
}

impl CsvReader {
    /// Opens a CSV stream and reads its header. Fails on an empty file, an unusable header
    /// or any read error, before any data row is read.
    pub fn new<R: Read + Send + 'static>(src: R, opts: CsvOptions) -> Result<CsvReader, Error> {
        if !opts.delimiter().is_ascii() || !opts.input.quote.is_ascii() {
            // Fields are cut at these bytes; a non-ASCII byte could cut a character in two.
            return Err(Error::new(ErrorKind::Option("the CSV delimiter and quote must be ASCII characters".into())));
        }
        let core = ReaderBuilder::new().delimiter(opts.delimiter()).quote(opts.input.quote).build();
        let mut r = CsvReader {
            src: decoded_reader(src, opts.input.encoding),
            core,
            schema: Arc::new(Schema::empty()),
            ncols: 0,
            buf: vec![0; 256 * 1024],
            pos: 0,
            end: 0,
            rec_start: 0,
            eof: false,
            validated: 0,
            next_cr: None,
            buf_offset: 0,
            newlines: 0,
            last_newline: None,
            data: Vec::new(),
            data_len: 0,
            ends: Vec::new(),
            starts: Vec::new(),
            ends_len: 0,
            lines: Vec::new(),
            rows_read: 0,
            null_values: Arc::new(opts.input.null_values.clone()),
            spare: Arc::new(Mutex::new(Vec::new())),
            done: false,
            opts,
        };
        let line = match r.next_record()? {
            Next::End => return Err(input(InputProblem::Empty)),
            Next::Record(line) => line,
        };
        let width = r.ends_len;
        let names: Vec<String> = if r.opts.input.header {
            let names: Vec<String> = (0..width)
                .map(|i| {
                    let s = String::from_utf8_lossy(r.field(i));
                    if r.opts.input.trim_headers {
                        s.trim().to_string()
                    } else {
                        s.to_string()
                    }
                })
                .collect();
            check_header(&names)?;
            r.data_len = 0;
            r.ends_len = 0;
            names
        } else {
            // No header: the record just read stays in the buffer as the first data row.
            r.lines.push(line);
            (1..=width).map(|i| format!("column_{i}")).collect()
        };
        r.ncols = names.len();
        r.schema = Arc::new(Schema::new(names.iter().map(|n| Field::new(n, DataType::Utf8, true)).collect::<Vec<_>>()));
        Ok(r)
    }

    /// The column names, in file order.
    pub fn header(&self) -> Vec<String> {
        self.schema.fields().iter().map(|f| f.name().clone()).collect()
    }

    /// Bytes of raw input consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.buf_offset + self.pos as u64
    }

    fn field(&self, i: usize) -> &[u8] {
        &self.data[self.starts[i]..self.ends[i]]
    }

    /// Reads one record into `data`/`ends`, checking its width against the header.
    fn next_record(&mut self) -> Result<Next, Error> {
        if self.ncols > 0 {
            if let Some(next) = self.simple_record()? {
                return Ok(next);
            }
        }
        let row_data_start = self.data_len;
        let row_ends_start = self.ends_len;
        let line = self.core.line();
        self.rec_start = self.pos;
        loop {
            if self.pos == self.end && !self.eof {
                self.fill()?;
            }
            if self.data_len - row_data_start > self.opts.max_record_bytes {
                return Err(input(InputProblem::RecordTooLong { line, limit: self.opts.max_record_bytes }));
            }
            if self.ends_len - row_ends_start > self.opts.max_columns {
                return Err(input(InputProblem::TooManyColumns { line, limit: self.opts.max_columns }));
            }
            self.reserve(4096, 2);
            let (res, nin, nout, nend) = self.core.read_record(
                &self.buf[self.pos..self.end],
                &mut self.data[self.data_len..],
                &mut self.ends[self.ends_len..],
            );
            for k in self.ends_len..self.ends_len + nend {
                self.ends[k] += row_data_start;
                self.starts[k] = if k == row_ends_start { row_data_start } else { self.ends[k - 1] };
            }
            self.pos += nin;
            self.data_len += nout;
            self.ends_len += nend;
            if self.data_len - row_data_start > self.opts.max_record_bytes {
                return Err(input(InputProblem::RecordTooLong { line, limit: self.opts.max_record_bytes }));
            }
            match res {
                ReadRecordResult::InputEmpty | ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {
                    continue
                }
                ReadRecordResult::End => {
                    self.data_len = row_data_start;
                    self.ends_len = row_ends_start;
                    return Ok(Next::End);
                }
                ReadRecordResult::Record => {
                    let found = self.ends_len - row_ends_start;
                    if self.eof
                        && self.pos == self.end
                        && ends_inside_quote(
                            &self.buf[self.rec_start..self.end],
                            self.opts.delimiter(),
                            self.opts.input.quote,
                        )
                    {
                        return Err(input(InputProblem::UnterminatedQuote { line }));
                    }
                    if self.ncols > 0 && found != self.ncols {
                        return Err(input(InputProblem::Ragged { line, expected: self.ncols, found }));
                    }
                    return Ok(Next::Record(line));
                }
            }
        }
    }

    /// The fast path for the common record: complete lines (LF or CRLF), whose fields are
    /// plain or quoted (a quoted field may span lines and hold `""` for a quote). One SIMD
    /// search for delimiters, quotes and line feeds locates the fields and the record's end
    /// (a `\r` elsewhere is left to csv-core); the record is copied once and fields with
    /// `""` are unescaped in place. Such a record parses exactly as csv-core would parse it
    /// (tested and fuzzed against rust-csv); anything else returns `None`, changes nothing,
    /// and goes through csv-core.
    fn simple_record(&mut self) -> Result<Option<Next>, Error> {
        let (quote, delimiter) = (self.opts.input.quote, self.opts.delimiter());
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
    fn reserve(&mut self, bytes: usize, fields: usize) {
        if self.data.len() - self.data_len < bytes {
            let grown = (self.data.len() * 2).max(self.data_len + bytes + 64 * 1024);
            self.data.resize(grown, 0);
        }
        if self.ends.len() - self.ends_len < fields {
            let grown = self.ends.len() * 2 + fields + 64;
            self.ends.resize(grown, 0);
            self.starts.resize(grown, 0);
        }
    }

    /// Unescapes `""` in the record just copied to `data[base..]` whose fields are
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

    /// Refills the raw buffer, keeping the current record's raw bytes, and validates UTF-8.
    fn fill(&mut self) -> Result<(), Error> {
        if self.rec_start > 0 {
            self.buf.copy_within(self.rec_start..self.end, 0);
            self.buf_offset += self.rec_start as u64;
            self.pos -= self.rec_start;
            self.end -= self.rec_start;
            self.validated -= self.rec_start;
            self.rec_start = 0;
        }
        if self.end == self.buf.len() {
            // One record fills the buffer: grow it, within the record limit.
            let new_len = (self.buf.len() * 2).min(self.opts.max_record_bytes + 64 * 1024);
            if new_len <= self.buf.len() {
                return Err(input(InputProblem::RecordTooLong {
                    line: self.core.line(),
                    limit: self.opts.max_record_bytes,
                }));
            }
            self.buf.resize(new_len, 0);
        }
        let n = loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(input(super::source::from_io(&e))),
            }
        };
        self.end += n;
        self.eof = n == 0;
        self.next_cr = None;
        self.validate()
    }

    fn validate(&mut self) -> Result<(), Error> {
        let chunk = &self.buf[self.validated..self.end];
        let (good, bad) = match simdutf8::compat::from_utf8(chunk) {
            Ok(_) => (chunk.len(), false),
            Err(e) if e.error_len().is_none() && !self.eof => (e.valid_up_to(), false),
            Err(e) => (e.valid_up_to(), true),
        };
        let start = self.buf_offset + self.validated as u64;
        // Line and column of an invalid byte are only needed for the error, but the buffer
        // moves on, so newlines are counted as they pass (vectorized search, not a byte loop).
        let valid = &chunk[..good];
        self.newlines += memchr::memchr_iter(b'\n', valid).count() as u64;
        if let Some(i) = memchr::memrchr(b'\n', valid) {
            self.last_newline = Some(start + i as u64);
        }
        if bad {
            let offset = start + good as u64;
            let column = offset - self.last_newline.map_or(0, |n| n + 1) + 1;
            return Err(input(InputProblem::InvalidUtf8 { line: self.newlines + 1, column, offset }));
        }
        self.validated += good;
        Ok(())
    }
}

impl BatchSource for CsvReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn bytes_read(&self) -> u64 {
        CsvReader::bytes_read(self)
    }

    fn next_batch(&mut self) -> Result<Option<InputBatch>, Error> {
        if self.done && self.lines.is_empty() {
            return Ok(None);
        }
        while !self.done && self.lines.len() < self.opts.batch_size {
            match self.next_record()? {
                Next::Record(line) => self.lines.push(line),
                Next::End => self.done = true,
            }
        }
        let rows = self.lines.len();
        if rows == 0 {
            if self.rows_read == 0 {
                return Err(input(InputProblem::HeaderOnly));
            }
            return Ok(None);
        }
        // Hand the filled buffers to the batch and continue in recycled ones. Recycled buffers
        // keep their length: old bytes are overwritten, never zeroed again.
        let spare = self.spare.lock().ok().and_then(|mut s| s.pop()).unwrap_or_default();
        let fit = |mut v: Vec<usize>, n: usize| {
            if v.len() < n {
                v.resize(n, 0);
            }
            v
        };
        let mut next_data = spare.data;
        if next_data.len() < self.data.len() {
            next_data.resize(self.data.len(), 0);
        }
        // Handed over at full length (only the first `used`/`fields` entries count), so that
        // a recycled buffer is never resized, and so never zeroed, again.
        let data = std::mem::replace(&mut self.data, next_data);
        let n = self.ends.len();
        let ends = std::mem::replace(&mut self.ends, fit(spare.ends, n));
        let starts = std::mem::replace(&mut self.starts, fit(spare.starts, n));
        let chunk = Chunk {
            data,
            used: self.data_len,
            starts,
            ends,
            fields: self.ends_len,
            ncols: self.ncols,
            rows,
            first_line: self.lines[0],
            lines: self.lines.clone(),
            max_field_bytes: self.opts.max_field_bytes,
            null_values: self.null_values.clone(),
            schema: self.schema.clone(),
            spare: self.spare.clone(),
        };
        let first_row = self.rows_read;
        self.rows_read += rows as u64;
        self.data_len = 0;
        self.ends_len = 0;
        let lines = std::mem::take(&mut self.lines);
        Ok(Some(InputBatch::selectable(move |selector| chunk.into_batch(selector), first_row, lines)))
    }
}

/// Every header name present and distinct. A header row that breaks this and looks like a
/// data row (an empty cell, the same value twice) is refused as such, the hint being more
/// useful than the empty or duplicate name; a duplicate name that looks like data is shown
/// by position. The plan judges every other header row, with the rules' names trusted.
fn check_header(names: &[String]) -> Result<(), Error> {
    let empty = names.iter().position(String::is_empty);
    let duplicate = names.iter().enumerate().find_map(|(i, n)| names[..i].iter().position(|m| m == n).map(|f| (f, i)));
    if empty.is_none() && duplicate.is_none() {
        return Ok(());
    }
    let labels = ColumnLabels::new(names);
    if labels.header_looks_like_data() {
        return Err(Error::new(ErrorKind::HeaderLooksLikeData { columns: names.len(), data_like: labels.data_like() }));
    }
    // The first problem in field order, as before.
    match (empty, duplicate) {
        (Some(e), Some((_, second))) if e < second => Err(input(InputProblem::EmptyColumnName { index: e + 1 })),
        (Some(e), None) => Err(input(InputProblem::EmptyColumnName { index: e + 1 })),
        (_, Some((first, second))) => Err(input(InputProblem::DuplicateColumn {
            name: labels.label(first).into_owned(),
            first: first + 1,
            second: second + 1,
        })),
        (None, None) => Ok(()),
    }
}

pub(super) fn input(problem: InputProblem) -> Error {
    Error::new(ErrorKind::Input { path: None, problem })
}

/// Whether a record's raw bytes end inside a quoted field (RFC 4180 quoting, as csv-core
/// parses it: a quote opens a quoted field only at the field's start; `""` inside is a quote).
fn ends_inside_quote(raw: &[u8], delimiter: u8, quote: u8) -> bool {
    let mut at_field_start = true;
    let mut quoted = false;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if quoted {
            if b == quote {
                if raw.get(i + 1) == Some(&quote) {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if b == quote && at_field_start {
            quoted = true;
            at_field_start = false;
        } else {
            at_field_start = b == delimiter || b == b'\n' || b == b'\r';
        }
        i += 1;
    }
    quoted
}

#[cfg(test)]
mod tests;
