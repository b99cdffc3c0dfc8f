//! Splitting on workers: the reader thread only finds where batches end, and the workers
//! split the fields.
//!
//! The reader follows the quote state over quotes, line feeds and carriage returns alone
//! (one SIMD search; delimiters, the densest byte, are skipped). That is exact for the
//! quoting csv-core reads the same way the fast path does: a quote opens a field only at
//! its start, closes it only before a delimiter or the line end, and is doubled inside it;
//! every CR outside quotes belongs to a CRLF. Under those, a line feed outside quotes ends a
//! record, and the reader counts records, their lines and their field bytes exactly as the
//! serial reader would, so a batch ends at the same record and the output is the same. Any
//! other input (a stray quote, a bare CR, a record over the size limit, an input ending
//! without a line feed or inside quotes) is speculation that failed: that batch is read
//! again, serially, from its first record. The raw block is handed to a worker as it is:
//! the worker splits its fields in place (no copy of the line) and builds the columns from
//! it. Reading a batch ahead, the scan may meet invalid UTF-8 (or a read error) before a
//! ragged row earlier in the same batch is found; that error is the one reported, as the
//! serial reader does when both come in one read.

use super::columns::Chunk;
use super::fast_path::{split_simple, unescape, Hits};
use super::input;
use super::reader::{CsvReader, FIELD_OVERHEAD, RAW_BUFFER, READ_CHUNK};
use crate::error::{Error, InputProblem};
use crate::io::{Decoded, InputBatch, RowSelector};

/// What a batch's reader knows of it: where each record starts and how big it is.
pub(super) struct BlockScan {
    /// Next byte to scan, relative to the block's start.
    p: usize,
    /// Start of the record being scanned.
    rec: usize,
    quoted: bool,
    /// The line of byte `p`.
    line: u64,
    rec_line: u64,
    /// Quotes the current record's fields lose when read (open, close, one of each pair).
    removed: usize,
    rows: usize,
    /// Field bytes of the rows, as the serial reader counts them.
    data_bytes: usize,
    lines: Vec<u64>,
}

/// The limits a scan cuts a batch at.
pub(super) struct ScanLimits {
    pub(super) delimiter: u8,
    pub(super) quote: u8,
    pub(super) ncols: usize,
    pub(super) batch_size: usize,
    pub(super) batch_bytes: usize,
    pub(super) max_record_bytes: usize,
}

pub(super) enum Step {
    /// The batch ends before this offset (a record boundary).
    Cut(usize),
    /// Scanned to the end of the bytes at hand; more input is needed.
    More,
    /// Not what the workers can split exactly: read this batch serially.
    Serial,
}

impl BlockScan {
    pub(super) fn new(line: u64, lines: Vec<u64>) -> Self {
        BlockScan { p: 0, rec: 0, quoted: false, line, rec_line: line, removed: 0, rows: 0, data_bytes: 0, lines }
    }

    /// Scans `block` (the batch's bytes so far, from its first record) on from `p`.
    pub(super) fn scan(&mut self, block: &[u8], eof: bool, l: &ScanLimits) -> Step {
        let (q, d) = (l.quote, l.delimiter);
        let at = |k: usize| block.get(k).copied();
        // A look-ahead past the bytes at hand: wait for more, or at the end, the input ends
        // without a line feed (the serial reader decides what that record is).
        let stall = |s: &mut BlockScan, i: usize| {
            if eof {
                Step::Serial
            } else {
                s.p = i;
                Step::More
            }
        };
        let mut skip = None;
        let from = self.p;
        for h in memchr::memchr3_iter(q, b'\n', b'\r', &block[from..]) {
            let i = from + h;
            if skip == Some(i) {
                continue;
            }
            let b = block[i];
            if self.quoted {
                if b == q {
                    match at(i + 1) {
                        None => return stall(self, i),
                        Some(n) if n == q => {
                            skip = Some(i + 1); // `""`: one quote of the pair is kept
                            self.removed += 1;
                        }
                        Some(n) if n == d || n == b'\n' => {
                            self.quoted = false;
                            self.removed += 1;
                        }
                        Some(b'\r') => match at(i + 2) {
                            None => return stall(self, i),
                            Some(b'\n') => {
                                self.quoted = false;
                                self.removed += 1;
                            }
                            Some(_) => return Step::Serial,
                        },
                        Some(_) => return Step::Serial, // text after a closing quote
                    }
                } else if b == b'\n' {
                    self.line += 1; // a line break inside quotes is data; CR too
                }
            } else if b == q {
                if i != self.rec && block[i - 1] != d {
                    return Step::Serial; // a quote inside an unquoted field
                }
                self.quoted = true;
                self.removed += 1;
            } else if b == b'\r' {
                match at(i + 1) {
                    None => return stall(self, i),
                    Some(b'\n') => {}               // CRLF: the line feed ends the record
                    Some(_) => return Step::Serial, // a bare CR ends a record: csv-core's call
                }
            } else {
                // A line feed outside quotes: a record ends, or an empty line is skipped.
                self.line += 1;
                let term = if i > self.rec && block[i - 1] == b'\r' { i - 1 } else { i };
                if term > self.rec {
                    if i - self.rec > l.max_record_bytes {
                        return Step::Serial; // the serial reader names the limit
                    }
                    self.rows += 1;
                    self.lines.push(self.rec_line);
                    // Its fields' bytes, exact for a record of `ncols` fields (a ragged one
                    // fails its batch anyway): the serial reader's budget counts the same.
                    self.data_bytes += (term - self.rec).saturating_sub(l.ncols - 1 + self.removed);
                    if self.rows >= l.batch_size
                        || self.data_bytes + self.rows * l.ncols * FIELD_OVERHEAD >= l.batch_bytes
                    {
                        self.p = i + 1;
                        return Step::Cut(i + 1);
                    }
                }
                self.rec = i + 1;
                self.rec_line = self.line;
                self.removed = 0;
            }
        }
        self.p = block.len();
        if block.len() - self.rec > l.max_record_bytes {
            return Step::Serial;
        }
        match (eof, self.rec == block.len()) {
            (false, _) => Step::More,
            (true, true) => Step::Cut(block.len()),
            (true, false) => Step::Serial, // the last record has no line feed, or no closing quote
        }
    }
}

/// A batch as raw bytes: `chunk.data[start..end]` holds exactly `chunk.rows` records (and
/// maybe empty lines), each ending in a line feed, whose quoting the reader found regular.
pub(super) struct Block {
    pub(super) chunk: Chunk,
    pub(super) start: usize,
    pub(super) end: usize,
    /// The line `start` is on (empty lines may come before the first record).
    pub(super) start_line: u64,
    pub(super) delimiter: u8,
    pub(super) quote: u8,
    pub(super) max_columns: usize,
}

impl Block {
    /// Splits each record's fields in place and appends them to the columns at once, while
    /// the record is in the cache (one pass; the serial reader's batches take two).
    pub(super) fn into_batch(mut self, selector: Option<&dyn RowSelector>) -> Result<Decoded, Error> {
        let mut columns = self.chunk.columns(selector)?;
        let (q, d, end) = (self.quote, self.delimiter, self.end);
        let c = &mut self.chunk;
        let n = c.ncols;
        // One record's bounds at a time.
        let (mut starts, mut ends) = (vec![0usize; n], vec![0usize; n]);
        let mut p = self.start;
        let mut line = self.start_line;
        let mut hits = Hits::new(&c.data[..end], p, [d, q, b'\n']);
        for r in 0..c.rows {
            let (next, skipped) = skip_empty_lines(&c.data, p);
            (p, line) = (next, line + skipped);
            debug_assert_eq!(c.lines[r], line, "the reader's line for row {r}");
            hits.seek(&c.data[..end], p);
            let Some(s) =
                split_simple(&c.data[..end], p, &mut hits, d, q, usize::MAX, usize::MAX, p, &mut starts, &mut ends)
            else {
                return Err(self.width_error(p, r));
            };
            if s.escapes {
                unescape(&mut c.data, &mut starts, &mut ends, p, q);
            }
            p += s.newline + 1;
            if let Err(e) = columns.push_row(&c.data, &starts, &ends, r, line) {
                // The serial reader finds a ragged row later in the batch before it checks
                // field lengths (on a worker): so does this.
                return Err(self.width_error_after(p, r + 1, &mut hits).unwrap_or(e));
            }
            line += s.line_breaks;
        }
        self.chunk.finish(columns)
    }

    /// The width error of the first record from row `from` on (at `p`) that has not the
    /// header's field count, if any.
    fn width_error_after(&self, mut p: usize, from: usize, hits: &mut Hits) -> Option<Error> {
        let (q, d, end, c) = (self.quote, self.delimiter, self.end, &self.chunk);
        let n = c.ncols;
        let (mut starts, mut ends) = (vec![0usize; n], vec![0usize; n]);
        for r in from..c.rows {
            p = skip_empty_lines(&c.data, p).0;
            hits.seek(&c.data[..end], p);
            match split_simple(&c.data[..end], p, hits, d, q, usize::MAX, usize::MAX, p, &mut starts, &mut ends) {
                Some(s) => p += s.newline + 1,
                None => return Some(self.width_error(p, r)),
            }
        }
        None
    }

    /// The error for row `r`, at `p`, whose field count is not the header's.
    fn width_error(&self, p: usize, r: usize) -> Error {
        let found = count_fields(&self.chunk.data[p..self.end], self.delimiter, self.quote);
        let line = self.chunk.lines[r];
        input(if found > self.max_columns {
            InputProblem::TooManyColumns { line, limit: self.max_columns }
        } else {
            InputProblem::Ragged { line, expected: self.chunk.ncols, found }
        })
    }
}

/// Skips the empty lines at `p`, which the reader counted as no row (a CR there is part of
/// a CRLF: the reader checked); returns where the record starts and the line feeds passed.
fn skip_empty_lines(data: &[u8], mut p: usize) -> (usize, u64) {
    let mut lines = 0;
    while let Some(&b) = data.get(p).filter(|b| matches!(b, b'\n' | b'\r')) {
        lines += u64::from(b == b'\n');
        p += 1;
    }
    (p, lines)
}

/// Fields of the record at the start of `rec`, whose quoting is regular (every quote opens,
/// closes or is half of a pair, so toggling on each is exact).
fn count_fields(rec: &[u8], delimiter: u8, quote: u8) -> usize {
    let mut quoted = false;
    let mut n = 1;
    for &b in rec {
        if b == quote {
            quoted = !quoted;
        } else if !quoted && b == delimiter {
            n += 1;
        } else if !quoted && b == b'\n' {
            break;
        }
    }
    n
}

/// What [`CsvReader::scan_block`] made of the next batch.
pub(super) enum Scanned {
    /// A batch for a worker to split.
    Batch(InputBatch),
    /// The input ended without another record.
    End,
    /// Speculation failed: read this batch serially, from the same record.
    Serial,
}

impl CsvReader {
    /// The raw bytes a block may grow to before its batch is read serially instead: two
    /// batch budgets (quotes and delimiters are not field bytes) and one longest record.
    fn block_cap(&self) -> usize {
        self.ordinary_raw().saturating_add(self.opts.max_record_bytes)
    }

    /// Reads ahead to the end of the next batch, following the quote state only, and hands
    /// the raw block to a worker; the bytes after it move to the next block's buffer.
    pub(super) fn scan_block(&mut self) -> Result<Scanned, Error> {
        let (delimiter, quote) = (self.opts.delimiter(), self.opts.quote());
        let start_line = self.core.line();
        let Some(checked) = self.checked else { return Ok(Scanned::Serial) };
        let limits = ScanLimits {
            delimiter,
            quote,
            ncols: self.ncols,
            batch_size: self.opts.batch_size.max(1),
            batch_bytes: self.opts.batch_bytes.max(1),
            max_record_bytes: self.opts.max_record_bytes,
        };
        let mut s = BlockScan::new(start_line, std::mem::take(&mut self.lines));
        // `fill` keeps everything from `rec_start`: the whole block.
        self.rec_start = self.pos;
        let cut = loop {
            match s.scan(&self.buf[self.pos..self.end], self.eof, &limits) {
                Step::Cut(cut) => break cut,
                Step::More if self.end - self.pos < self.block_cap() => self.fill_up_to(self.block_cap())?,
                Step::More | Step::Serial => {
                    s.lines.clear();
                    self.lines = s.lines;
                    return Ok(Scanned::Serial);
                }
            }
        };
        let (start, end) = (self.pos, self.pos + cut);
        self.core.set_line(s.line);
        if s.rows == 0 {
            // Only empty lines were left before the end.
            (self.pos, self.rec_start, self.done) = (end, end, true);
            s.lines.clear();
            self.lines = s.lines;
            return Ok(Scanned::End);
        }
        // The bytes after the cut open the next block, in a recycled buffer.
        let spare = self.spare.lock().ok().and_then(|mut s| s.pop()).unwrap_or_default();
        let mut next = spare.data;
        let tail = self.end - end;
        // Room for a block a quarter larger than this one, and a read; a buffer kept from a
        // wider batch is cut down, so that what a batch holds stays near what it is charged
        // for (a larger block grows the buffer while it is scanned).
        let want = (cut + cut / 4 + 2 * READ_CHUNK).clamp(RAW_BUFFER, self.ordinary_raw()).max(tail);
        if next.len() > want + want / 2 {
            next.truncate(want);
            next.shrink_to_fit();
        } else if next.len() < want {
            next.resize(want, 0);
        }
        next[..tail].copy_from_slice(&self.buf[end..self.end]);
        let block = std::mem::replace(&mut self.buf, next);
        self.buf_offset += end as u64;
        self.validated -= end; // the cut follows a line feed, so it was validated
        (self.pos, self.rec_start, self.end, self.next_cr) = (0, 0, tail, None);
        self.done = self.eof && tail == 0;
        let rows = s.rows;
        let chunk = Chunk {
            data: block,
            used: cut,
            starts: spare.starts,
            ends: spare.ends,
            fields: 0, // set by the split
            ncols: self.ncols,
            rows,
            first_line: s.lines[0],
            lines: s.lines.clone(),
            max_field_bytes: self.opts.max_field_bytes,
            null_values: self.null_values.clone(),
            schema: self.schema.clone(),
            spare: self.spare.clone(),
            checked,
            recycle_up_to: self.ordinary_raw(),
        };
        let first_row = self.rows_read;
        self.rows_read += rows as u64;
        let block = Block { chunk, start, end, start_line, delimiter, quote, max_columns: self.opts.max_columns };
        // Charged for the bytes in use, as the serial reader's batches: the buffer is at
        // most four times the block before (cut down above), or 256 KiB.
        let bytes = (cut + rows * self.ncols * FIELD_OVERHEAD) as u64;
        Ok(Scanned::Batch(
            InputBatch::selectable(move |selector| block.into_batch(selector), first_row, s.lines).with_bytes(bytes),
        ))
    }
}
