//! CSV/TSV → Arrow `RecordBatch`es of text columns, built directly from `csv-core`'s output.
//!
//! We drive `csv-core` (the engine under rust-csv, csv-async and arrow-csv) ourselves rather
//! than arrow-csv's `Decoder`: arrow-csv counts records, not lines, gives no byte offset for
//! invalid UTF-8, silently accepts an unterminated quote at the end of the input, and puts
//! cell values into some error texts. Here every error is a kind plus a location.//!
//! Rooms: `reader` (the record loop, batches, buffers), `blocks` (the reader thread only finds
//! where a batch ends, following the quote state; workers split its fields), `fast_path`
//! (the common record in one SIMD pass), `utf8` (validation of the raw stream, and the
//! witness that it happened), `columns` (row-major fields → Arrow columns, on a worker thread).

mod blocks;
mod columns;
mod fast_path;
mod reader;
mod utf8;

pub use reader::CsvReader;

use crate::detect::ColumnLabels;
use crate::error::{Error, ErrorKind, InputProblem};
use crate::rule::{InputFormat, InputOptions};

/// How to read one CSV/TSV input.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub input: InputOptions,
    /// Rows per batch.
    pub batch_size: usize,
    /// Field bytes per batch: a batch ends at `batch_size` rows or this many bytes, whichever
    /// comes first (a single larger row is a batch of its own).
    pub batch_bytes: usize,
    /// Longest record (one row, all fields) in bytes.
    pub max_record_bytes: usize,
    /// Longest field in bytes.
    pub max_field_bytes: usize,
    /// Most columns.
    pub max_columns: usize,
    /// Whether workers split the fields (the reader thread only finds where batches end),
    /// or the reader thread splits every record. Both read the same rows and errors.
    pub split_on_workers: bool,
}

impl CsvOptions {
    /// Options from a rule file's `[input]`, with default limits.
    pub fn new(input: &InputOptions) -> Self {
        CsvOptions {
            input: input.clone(),
            batch_size: 8192,
            batch_bytes: 8 << 20,
            max_record_bytes: 16 << 20,
            max_field_bytes: 8 << 20,
            max_columns: 10_000,
            split_on_workers: true,
        }
    }

    pub(super) fn delimiter(&self) -> u8 {
        match (self.input.delimiter, self.input.format) {
            (Some(d), _) => d,
            (None, InputFormat::Tsv) => b'\t',
            _ => b',',
        }
    }

    /// The quote character: the one given, else `"` (`open_source` fills in a sniffed one).
    pub(super) fn quote(&self) -> u8 {
        self.input.quote.unwrap_or(b'"')
    }
}

/// Every header name present and distinct. A header row that breaks this and looks like a
/// data row (an empty cell, the same value twice) is refused as such, the hint being more
/// useful than the empty or duplicate name; a duplicate name that looks like data is shown
/// by position. The plan judges every other header row, with the rules' names trusted.
pub(super) fn check_header(names: &[String]) -> Result<(), Error> {
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

pub(crate) fn input(problem: InputProblem) -> Error {
    Error::new(ErrorKind::Input { path: None, problem })
}

/// Whether a record's raw bytes end inside a quoted field (RFC 4180 quoting, as csv-core
/// parses it: a quote opens a quoted field only at the field's start; `""` inside is a quote).
pub(super) fn ends_inside_quote(raw: &[u8], delimiter: u8, quote: u8) -> bool {
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
