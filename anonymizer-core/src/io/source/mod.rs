//! Opening an input of any supported format: compression by magic bytes (gzip, zstd; limits on
//! decompressed size and ratio stop a bomb), then the format from `[input]`, the name's
//! extension, or the content (Parquet and Arrow magics, `{` for JSON Lines, else CSV with its
//! delimiter sniffed). Typed inputs (Parquet, Arrow) report their column types so a plan can
//! keep them (`Rules::with_file_types`). JSON Lines is read twice (its keys, then its rows): a file is opened again from
//! where it started, decompression and its limits included; a stream is spooled.
//!
//! Rooms: `detect` (which format), `sniff` (delimiter, quote), `compression` (gzip, zstd, zip
//! and their bomb limits), `encoding` (text encodings and the byte-order mark).

mod compression;
mod detect;
mod encoding;
mod sniff;

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use arrow_schema::{DataType, SchemaRef};

use compression::decompress;
pub(crate) use compression::{from_io, limit_problem};
use detect::{by_content, by_extension, Detected};
pub use encoding::{decoded_reader, sniff_encoding};
pub use sniff::{sniff_delimiter, sniff_quote};

use super::columnar::ColumnarSource;
use super::csv::{CsvOptions, CsvReader};
use super::jsonl::{JsonlSource, Replay};
use super::BatchSource;
use crate::error::{Error, ErrorKind, InputProblem};
use crate::rule::{Encoding, InputFormat, InputOptions};

/// Where the bytes come from: a file (seekable: every format) or a stream (no Parquet or
/// Arrow file format, which keep their index at the end).
pub enum Input {
    File(File),
    Stream(Box<dyn Read + Send>),
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::File(file) => f.debug_tuple("File").field(file).finish(),
            Input::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// Limits and batch size for opening inputs.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// Rows per batch.
    pub batch_size: usize,
    /// Bytes of text (CSV fields, JSON lines) per batch: a batch ends at `batch_size` rows or
    /// this many bytes, whichever comes first (a single larger row is a batch of its own).
    pub batch_bytes: usize,
    /// Decompressed bytes a compressed input may expand to.
    pub max_decompressed_bytes: u64,
    /// Decompressed ÷ compressed bytes beyond which an input is treated as a bomb (checked
    /// once more than `ratio_after` bytes came out).
    pub max_ratio: u64,
    pub ratio_after: u64,
    /// Longest line (CSV record, JSON line) in bytes.
    pub max_line_bytes: usize,
    /// Longest CSV field in bytes.
    pub max_field_bytes: usize,
    /// Most columns (for JSON Lines: most distinct key paths, objects counted too).
    pub max_columns: usize,
    pub max_rows: u64,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            batch_size: 8192,
            batch_bytes: 8 << 20,
            max_decompressed_bytes: 64 << 30,
            max_ratio: 200,
            ratio_after: 16 << 20,
            max_line_bytes: 16 << 20,
            max_field_bytes: 8 << 20,
            max_columns: 10_000,
            max_rows: 10_000_000_000,
        }
    }
}

/// An opened input.
pub struct Source {
    pub reader: Box<dyn BatchSource>,
    /// Column names, in order (nested fields flattened to `a.b`).
    pub header: Vec<String>,
    /// Every column's Arrow type as a typed file (Parquet, Arrow) has it, dictionaries and
    /// view types unpacked; empty for text formats. For
    /// [`Rules::with_file_types`](crate::rule::Rules::with_file_types).
    pub types: Vec<(String, DataType)>,
    /// What was detected, e.g. `"csv (gzip)"`: for messages.
    pub format: String,
    /// The `[input]` options in effect, with the sniffed delimiter, quote and encoding filled in.
    pub input: InputOptions,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The header's names come from the file and may be data: only their number is shown.
        f.debug_struct("Source").field("columns", &self.header.len()).field("format", &self.format).finish()
    }
}

pub(super) fn problem(p: InputProblem) -> Error {
    Error::new(ErrorKind::Input { path: None, problem: p })
}

pub(super) fn io_problem(e: io::Error) -> Error {
    problem(from_io(&e))
}

/// Opens `input` named `name` (its extension is a hint) under the rule file's `[input]`,
/// within the limits of `so` (columns checked here, rows counted as batches arrive).
pub fn open_source(input: Input, name: &str, opts: &InputOptions, so: &SourceOptions) -> Result<Source, Error> {
    let mut source = open_format(input, name, opts, so)?;
    if source.header.len() > so.max_columns {
        return Err(problem(InputProblem::TooManyColumns { line: 1, limit: so.max_columns }));
    }
    source.reader = Box::new(RowLimit { inner: source.reader, rows: 0, limit: so.max_rows });
    Ok(source)
}

/// Fails once more than `limit` rows were read.
struct RowLimit {
    inner: Box<dyn BatchSource>,
    rows: u64,
    limit: u64,
}

impl BatchSource for RowLimit {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn next_batch(&mut self) -> Result<Option<super::InputBatch>, Error> {
        let batch = self.inner.next_batch()?;
        if let Some(b) = &batch {
            self.rows += b.lines.len().max(b.rows_hint()) as u64;
            if self.rows > self.limit {
                return Err(problem(InputProblem::TooManyRows { limit: self.limit }));
            }
        }
        Ok(batch)
    }

    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }
}

fn open_format(mut input: Input, name: &str, opts: &InputOptions, so: &SourceOptions) -> Result<Source, Error> {
    let mut lower = name.to_ascii_lowercase();
    // A file can be read again from here (JSON Lines reads twice): another handle on it.
    let start = match &mut input {
        Input::File(f) => Some((f.try_clone().map_err(io_problem)?, f.stream_position().map_err(io_problem)?)),
        Input::Stream(_) => None,
    };
    let (mut input, compression, inner) = decompress(input, &lower, so)?;
    if let Some(inner) = inner {
        lower = inner.to_ascii_lowercase();
    }
    let base = lower.trim_end_matches(".gz").trim_end_matches(".zst").trim_end_matches(".zstd");
    let head = peek(&mut input, 64 * 1024)?;
    let format = match opts.format {
        InputFormat::Auto => by_extension(base).unwrap_or_else(|| by_content(&head)),
        f => Detected::from(f),
    };
    let suffix = compression.map(|c| format!(" ({c})")).unwrap_or_default();
    match format {
        Detected::Csv(tsv) => {
            let mut input_opts = opts.clone();
            if input_opts.delimiter.is_none() {
                input_opts.delimiter = Some(if tsv { b'\t' } else { sniff_delimiter(&head) });
            }
            if input_opts.quote.is_none() {
                input_opts.quote = Some(sniff_quote(&head, input_opts.delimiter.unwrap_or(b',')));
            }
            if input_opts.encoding == Encoding::Auto {
                input_opts.encoding = sniff_encoding(&head);
            }
            let mut csv = CsvOptions::new(&input_opts);
            csv.batch_size = so.batch_size.max(1);
            csv.batch_bytes = so.batch_bytes.max(1);
            csv.max_record_bytes = so.max_line_bytes;
            csv.max_field_bytes = so.max_field_bytes;
            csv.max_columns = so.max_columns;
            let reader = CsvReader::new(into_read(input), csv)?;
            let header = reader.header();
            let format = format!("{}{suffix}", if tsv { "tsv" } else { "csv" });
            Ok(Source { reader: Box::new(reader), header, types: Vec::new(), format, input: input_opts })
        }
        Detected::Jsonl => {
            let mut input_opts = opts.clone();
            if input_opts.encoding == Encoding::Auto {
                input_opts.encoding = sniff_encoding(&head);
            }
            let replay = match start {
                Some((mut file, at)) => {
                    let (name, so) = (name.to_ascii_lowercase(), so.clone());
                    Replay::Reopen(Box::new(move || {
                        file.seek(SeekFrom::Start(at)).map_err(io_problem)?;
                        let (again, _, _) = decompress(Input::File(file), &name, &so)?;
                        Ok(into_read(again))
                    }))
                }
                None => Replay::Spool,
            };
            let src = JsonlSource::open(into_read(input), replay, &input_opts, so)?;
            let header = src.header();
            let format = format!("jsonl{suffix}");
            Ok(Source { reader: Box::new(src), header, types: Vec::new(), format, input: input_opts })
        }
        Detected::Parquet | Detected::ArrowFile => {
            let Input::File(file) = input else {
                return Err(problem(InputProblem::Unsupported(
                    "a compressed or streamed Parquet or Arrow file (they must be read from a plain file)",
                )));
            };
            let src = if format == Detected::Parquet {
                ColumnarSource::parquet(file, so)?
            } else {
                ColumnarSource::arrow_file(file, so)?
            };
            typed(src, if format == Detected::Parquet { "parquet" } else { "arrow" }, opts)
        }
        Detected::ArrowStream => typed(ColumnarSource::arrow_stream(into_read(input), so)?, "arrow stream", opts),
    }
}

fn typed(src: ColumnarSource, format: &str, opts: &InputOptions) -> Result<Source, Error> {
    let schema = src.schema();
    let header = schema.fields().iter().map(|f| f.name().clone()).collect();
    let types = schema.fields().iter().map(|f| (f.name().clone(), f.data_type().clone())).collect();
    Ok(Source { reader: Box::new(src), header, types, format: format.to_string(), input: opts.clone() })
}

/// Reads up to `n` bytes without consuming them.
pub(super) fn peek(input: &mut Input, n: usize) -> Result<Vec<u8>, Error> {
    let mut head = Vec::with_capacity(n.min(1 << 16));
    match input {
        Input::File(f) => {
            let at = f.stream_position().map_err(io_problem)?;
            f.take(n as u64).read_to_end(&mut head).map_err(io_problem)?;
            f.seek(SeekFrom::Start(at)).map_err(io_problem)?;
        }
        Input::Stream(s) => {
            s.take(n as u64).read_to_end(&mut head).map_err(io_problem)?;
            let rest = std::mem::replace(s, Box::new(io::empty()));
            *s = Box::new(io::Cursor::new(head.clone()).chain(rest));
        }
    }
    Ok(head)
}

pub(super) fn into_read(input: Input) -> Box<dyn Read + Send> {
    match input {
        Input::File(f) => Box::new(f),
        Input::Stream(s) => s,
    }
}
