//! The record loop: raw bytes in a growing buffer, `csv-core` (or the fast path) cutting
//! records into a row-major batch buffer, batches handed out at a row or byte budget.

use std::io::Read;
use std::sync::{Arc, Mutex};

use arrow_schema::{DataType, Field, Schema, SchemaRef};
use csv_core::{ReadRecordResult, ReaderBuilder};

use super::blocks::Scanned;
use super::columns::{Buffers, Chunk};
use super::fast_path::fast_path_applies;
use super::utf8::Utf8Checked;
use super::{check_header, ends_inside_quote, input, CsvOptions};
use crate::error::{Error, ErrorKind, InputProblem};
use crate::io::source::decoded_reader;
use crate::io::{BatchSource, InputBatch};

/// Reads CSV from any byte stream, batch by batch; memory is bounded by the batch size.
pub struct CsvReader {
    pub(super) src: Box<dyn Read + Send>,
    pub(super) core: csv_core::Reader,
    pub(super) opts: CsvOptions,
    pub(super) schema: SchemaRef,
    pub(super) ncols: usize,
    // Raw input: [0, pos) consumed, [pos, end) pending; the current record starts at rec_start.
    pub(super) buf: Vec<u8>,
    pub(super) pos: usize,
    pub(super) end: usize,
    pub(super) rec_start: usize,
    pub(super) eof: bool,
    // UTF-8 validation of the raw stream, with positions for messages.
    pub(super) validated: usize,
    pub(super) buf_offset: u64,
    pub(super) newlines: u64,
    pub(super) last_newline: Option<u64>,
    // The current batch, row-major: field bytes, and each field's absolute start and end
    // (csv-core writes fields back to back; the fast path copies whole lines and points
    // into them, so starts are kept explicitly).
    pub(super) data: Vec<u8>,
    pub(super) data_len: usize,
    pub(super) ends: Vec<usize>,
    pub(super) starts: Vec<usize>,
    pub(super) ends_len: usize,
    /// Index in `buf` of the first `\r` at or after `pos` (`end` if none); stale once `pos`
    /// passes it, and forgotten by every refill.
    pub(super) next_cr: Option<usize>,
    pub(super) lines: Vec<u64>,
    pub(super) rows_read: u64,
    pub(super) null_values: Arc<Vec<String>>,
    pub(super) spare: Arc<Mutex<Vec<Buffers>>>,
    pub(super) done: bool,
    /// Set once the raw input was validated: what column building requires.
    pub(super) checked: Option<Utf8Checked>,
    /// An error ended reading; every later call fails too.
    pub(super) failed: bool,
}

impl std::fmt::Debug for CsvReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvReader").field("columns", &self.ncols).field("rows_read", &self.rows_read).finish()
    }
}

/// Bytes a field costs in a batch beside its text: its start and end, its column offset.
pub(super) const FIELD_OVERHEAD: usize = 16;

/// The raw input buffer's first size; it grows to hold a batch's block, or a longer record.
pub(super) const RAW_BUFFER: usize = 256 * 1024;

/// Most bytes one read asks for. A block is cut in the last read's bytes (or up to two bytes
/// before them, where the scan waited for a look-ahead), so about this much moves to the
/// next block's buffer.
pub(super) const READ_CHUNK: usize = 128 * 1024;

pub(super) enum Next {
    Record(u64),
    End,
}

impl CsvReader {
    /// Opens a CSV stream and reads its header. Fails on an empty file, an unusable header
    /// or any read error, before any data row is read.
    pub fn new<R: Read + Send + 'static>(src: R, opts: CsvOptions) -> Result<CsvReader, Error> {
        if !opts.delimiter().is_ascii() || !opts.quote().is_ascii() {
            // Fields are cut at these bytes; a non-ASCII byte could cut a character in two.
            return Err(Error::new(ErrorKind::Option("the CSV delimiter and quote must be ASCII characters".into())));
        }
        let core = ReaderBuilder::new().delimiter(opts.delimiter()).quote(opts.quote()).build();
        let mut r = CsvReader {
            src: decoded_reader(src, opts.input.encoding),
            core,
            schema: Arc::new(Schema::empty()),
            ncols: 0,
            buf: vec![0; RAW_BUFFER],
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
            checked: None,
            failed: false,
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

    pub(super) fn field(&self, i: usize) -> &[u8] {
        &self.data[self.starts[i]..self.ends[i]]
    }

    /// The bytes of the fields `range` in the batch buffer.
    fn field_bytes(&self, range: std::ops::Range<usize>) -> usize {
        self.starts[range.clone()].iter().zip(&self.ends[range]).map(|(s, e)| e - s).sum()
    }

    /// Raw bytes a buffer holds in ordinary use: a block of two batch budgets (quotes and
    /// delimiters are not field bytes) and one read. A buffer grown past it for one huge
    /// record is given back, not kept or recycled.
    pub(super) fn ordinary_raw(&self) -> usize {
        self.opts.batch_bytes.saturating_mul(2).saturating_add(2 * READ_CHUNK).max(RAW_BUFFER)
    }

    /// Reads one record into `data`/`ends`, checking its width against the header.
    pub(super) fn next_record(&mut self) -> Result<Next, Error> {
        if self.ncols > 0 {
            // Empty lines are skipped here, not by csv-core, so that a record's line is the
            // one it starts on (csv-core's count would include the empty lines before it,
            // and the line feed of a CRLF it read).
            self.skip_empty_lines()?;
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
                            self.opts.quote(),
                        )
                    {
                        return Err(input(InputProblem::UnterminatedQuote { line }));
                    }
                    if self.ncols > 0 && found > self.opts.max_columns {
                        return Err(input(InputProblem::TooManyColumns { line, limit: self.opts.max_columns }));
                    }
                    if self.ncols > 0 && found != self.ncols {
                        return Err(input(InputProblem::Ragged { line, expected: self.ncols, found }));
                    }
                    return Ok(Next::Record(line));
                }
            }
        }
    }

    /// Makes room for `bytes` more field bytes and `fields` more field bounds (buffers only
    /// grow, doubling, so a recycled buffer is zeroed once in its life).
    pub(super) fn reserve(&mut self, bytes: usize, fields: usize) {
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

    /// Skips line feeds and carriage returns at the start of a record (csv-core would too).
    fn skip_empty_lines(&mut self) -> Result<(), Error> {
        loop {
            if self.pos == self.end {
                if self.eof {
                    return Ok(());
                }
                self.rec_start = self.pos;
                self.fill()?;
                continue;
            }
            match self.buf[self.pos] {
                b'\n' => self.core.set_line(self.core.line() + 1),
                b'\r' => {}
                _ => return Ok(()),
            }
            self.pos += 1;
        }
    }

    /// Refills the raw buffer, keeping the current record's raw bytes, and validates UTF-8.
    fn fill(&mut self) -> Result<(), Error> {
        self.fill_up_to(self.opts.max_record_bytes + 64 * 1024)
    }

    /// As `fill`, growing the buffer up to `cap` bytes when the kept bytes fill it.
    pub(super) fn fill_up_to(&mut self, cap: usize) -> Result<(), Error> {
        if self.rec_start > 0 {
            self.buf.copy_within(self.rec_start..self.end, 0);
            self.buf_offset += self.rec_start as u64;
            self.pos -= self.rec_start;
            self.end -= self.rec_start;
            self.validated -= self.rec_start;
            self.rec_start = 0;
        }
        // A buffer larger than ordinary use needs (a batch's block when workers split, else
        // the first size) grew for a huge record, which has passed: give its room back
        // rather than keep it for good.
        let ordinary = if self.opts.split_on_workers { self.ordinary_raw() } else { RAW_BUFFER };
        if self.buf.len() > ordinary && self.end <= RAW_BUFFER / 2 {
            self.buf.truncate(RAW_BUFFER);
            self.buf.shrink_to_fit();
        }
        if self.end >= cap {
            // The kept bytes (one record) reached the limit, whatever the buffer's size (a
            // block scan may have grown it further before this batch went serial).
            return Err(input(InputProblem::RecordTooLong {
                line: self.core.line(),
                limit: self.opts.max_record_bytes,
            }));
        }
        if self.end == self.buf.len() {
            // One record fills the buffer: grow it, within the limit.
            self.buf.resize((self.buf.len() + self.buf.len() / 2).min(cap), 0);
        }
        let n = loop {
            let stop = self.buf.len().min(self.end + READ_CHUNK).min(cap);
            match self.src.read(&mut self.buf[self.end..stop]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(input(crate::io::source::from_io(&e))),
            }
        };
        self.end += n;
        self.eof = n == 0;
        self.next_cr = None;
        self.checked = Some(self.validate()?);
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
        // After an error the reader is spent: its buffer may hold bytes that were never
        // validated (the invalid UTF-8 it stopped at), which no batch may be cut from.
        if self.failed {
            return Err(input(InputProblem::Corrupt { what: "CSV input (reading was stopped by an earlier error)" }));
        }
        let result = self.read_batch();
        if result.is_err() {
            self.failed = true;
            self.checked = None;
        }
        result
    }
}

impl CsvReader {
    fn read_batch(&mut self) -> Result<Option<InputBatch>, Error> {
        if self.done && self.lines.is_empty() {
            return Ok(None);
        }
        if self.lines.is_empty()
            && self.opts.split_on_workers
            && fast_path_applies(self.opts.delimiter(), self.opts.quote())
        {
            match self.scan_block()? {
                Scanned::Batch(batch) => return Ok(Some(batch)),
                Scanned::End | Scanned::Serial => {}
            }
        }
        // A batch ends at a row count or a byte size, whichever comes first.
        let batch_bytes = self.opts.batch_bytes.max(1);
        // A field costs its bytes and its bounds (two words, and an offset in its column), so
        // many tiny fields end a batch as surely as a few wide ones. The bytes are the
        // fields' own, whichever path read them (the fast path keeps a record's delimiters
        // in `data`), so that a batch ends at the same row as a block scan would end it.
        let mut field_bytes = self.field_bytes(0..self.ends_len); // a headerless file's first row
        while !self.done
            && self.lines.len() < self.opts.batch_size.max(1)
            && field_bytes + self.ends_len * FIELD_OVERHEAD < batch_bytes
        {
            let first = self.ends_len;
            match self.next_record()? {
                Next::Record(line) => {
                    self.lines.push(line);
                    field_bytes += self.field_bytes(first..self.ends_len);
                }
                Next::End => self.done = true,
            }
        }
        let rows = self.lines.len();
        let Some(checked) = self.checked else {
            return Err(input(InputProblem::Empty)); // nothing was read, so nothing was validated
        };
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
        // Sized for an ordinary batch: a buffer grown for one huge row is not kept growing
        // (nor recycled, see `Chunk::recycle_up_to`), so wide rows cost memory only while
        // they are in flight.
        let ordinary = self.opts.batch_bytes.saturating_add(64 * 1024);
        let mut next_data = spare.data;
        if next_data.len() < self.data.len().min(ordinary) {
            next_data.resize(self.data.len().min(ordinary), 0);
        }
        // Handed over at full length (only the first `used`/`fields` entries count), so that
        // a recycled buffer is never resized, and so never zeroed, again.
        let data = std::mem::replace(&mut self.data, next_data);
        let n = self.ends.len().min(ordinary / FIELD_OVERHEAD);
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
            checked,
            recycle_up_to: ordinary,
        };
        let first_row = self.rows_read;
        self.rows_read += rows as u64;
        self.data_len = 0;
        self.ends_len = 0;
        let lines = std::mem::take(&mut self.lines);
        let bytes = (chunk.used + chunk.fields * FIELD_OVERHEAD) as u64;
        Ok(Some(InputBatch::selectable(move |selector| chunk.into_batch(selector), first_row, lines).with_bytes(bytes)))
    }
}
