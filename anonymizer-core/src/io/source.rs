//! Opening an input of any supported format: compression by magic bytes (gzip, zstd; limits on
//! decompressed size and ratio stop a bomb), then the format from `[input]`, the name's
//! extension, or the content (Parquet and Arrow magics, `{` for JSON Lines, else CSV with its
//! delimiter sniffed). Typed inputs (Parquet, Arrow) report their column types so a plan can
//! keep them.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use super::columnar::ColumnarSource;
use super::csv::{CsvOptions, CsvReader};
use super::jsonl::JsonlSource;
use super::transcode::sniff_encoding;
use super::BatchSource;
use crate::detect::column_label;
use crate::error::{Error, ErrorKind, InputProblem};
use crate::rule::{ColumnType, Encoding, InputFormat, InputOptions};

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
    pub batch_size: usize,
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
    pub max_columns: usize,
    pub max_rows: u64,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            batch_size: 8192,
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
    /// Types the file itself declares (Parquet, Arrow), for columns that are not text.
    pub types: Vec<(String, ColumnType)>,
    /// What was detected, e.g. `"csv (gzip)"`: for messages.
    pub format: String,
    /// The `[input]` options in effect, with the sniffed delimiter and encoding filled in.
    pub input: InputOptions,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The header's names come from the file and may be data: only their number is shown.
        f.debug_struct("Source").field("columns", &self.header.len()).field("format", &self.format).finish()
    }
}

fn problem(p: InputProblem) -> Error {
    Error::new(ErrorKind::Input { path: None, problem: p })
}

fn io_problem(e: io::Error) -> Error {
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

fn open_format(input: Input, name: &str, opts: &InputOptions, so: &SourceOptions) -> Result<Source, Error> {
    let mut lower = name.to_ascii_lowercase();
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
            if input_opts.quote == b'"' {
                input_opts.quote = sniff_quote(&head, input_opts.delimiter.unwrap_or(b','));
            }
            if input_opts.encoding == Encoding::Auto {
                input_opts.encoding = sniff_encoding(&head);
            }
            let mut csv = CsvOptions::new(&input_opts);
            csv.batch_size = so.batch_size.max(1);
            csv.max_record_bytes = so.max_line_bytes;
            csv.max_field_bytes = so.max_field_bytes;
            csv.max_columns = so.max_columns;
            let reader = CsvReader::new(into_read(input), csv)?;
            let header = reader.header();
            let format = format!("{}{suffix}", if tsv { "tsv" } else { "csv" });
            Ok(Source { reader: Box::new(reader), header, types: Vec::new(), format, input: input_opts })
        }
        Detected::Jsonl => {
            let src = JsonlSource::new(into_read(input), &head, so, &opts.null_values)?;
            let header = src.header();
            Ok(Source {
                reader: Box::new(src),
                header,
                types: Vec::new(),
                format: format!("jsonl{suffix}"),
                input: opts.clone(),
            })
        }
        Detected::Parquet | Detected::ArrowFile => {
            let Input::File(file) = input else {
                return Err(problem(InputProblem::Unsupported(
                    "a compressed or streamed Parquet or Arrow file (they must be read from a plain file)",
                )));
            };
            let src = if format == Detected::Parquet {
                ColumnarSource::parquet(file, so.batch_size.max(1))?
            } else {
                ColumnarSource::arrow_file(file)?
            };
            typed(src, if format == Detected::Parquet { "parquet" } else { "arrow" }, opts)
        }
        Detected::ArrowStream => typed(ColumnarSource::arrow_stream(into_read(input))?, "arrow stream", opts),
    }
}

fn typed(src: ColumnarSource, format: &str, opts: &InputOptions) -> Result<Source, Error> {
    let schema = src.schema();
    let header = schema.fields().iter().map(|f| f.name().clone()).collect();
    let types =
        schema.fields().iter().filter_map(|f| column_type(f.data_type()).map(|t| (f.name().clone(), t))).collect();
    Ok(Source { reader: Box::new(src), header, types, format: format.to_string(), input: opts.clone() })
}

/// The rule-language type of a file column type; `None` for text.
fn column_type(t: &DataType) -> Option<ColumnType> {
    use DataType::*;
    Some(match t {
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => ColumnType::Int,
        Float16 | Float32 | Float64 => ColumnType::Float,
        Decimal128(p, s) | Decimal256(p, s) => ColumnType::Decimal { precision: *p, scale: *s },
        Boolean => ColumnType::Bool,
        Date32 | Date64 => ColumnType::Date(None),
        Timestamp(..) => ColumnType::Timestamp(None),
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detected {
    Csv(bool),
    Jsonl,
    Parquet,
    ArrowFile,
    ArrowStream,
}

impl From<InputFormat> for Detected {
    fn from(f: InputFormat) -> Self {
        match f {
            InputFormat::Tsv => Detected::Csv(true),
            InputFormat::Jsonl => Detected::Jsonl,
            InputFormat::Parquet => Detected::Parquet,
            InputFormat::Auto | InputFormat::Csv => Detected::Csv(false),
        }
    }
}

fn by_extension(name: &str) -> Option<Detected> {
    Some(match name.rsplit_once('.')?.1 {
        "csv" | "txt" => Detected::Csv(false),
        "tsv" | "tab" => Detected::Csv(true),
        "jsonl" | "ndjson" | "json" => Detected::Jsonl,
        "parquet" | "pq" => Detected::Parquet,
        "arrow" | "feather" | "ipc" => Detected::ArrowFile,
        "arrows" => Detected::ArrowStream,
        _ => return None,
    })
}

fn by_content(head: &[u8]) -> Detected {
    if head.starts_with(b"PAR1") {
        Detected::Parquet
    } else if head.starts_with(b"ARROW1") {
        Detected::ArrowFile
    } else if head.starts_with(&[0xFF, 0xFF, 0xFF, 0xFF]) {
        Detected::ArrowStream
    } else if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        Detected::Jsonl
    } else {
        Detected::Csv(false)
    }
}

/// The delimiter among `, ; \t |` that splits the first lines most often and most evenly
/// (outside double quotes).
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let lines: Vec<&[u8]> = head.split(|b| *b == b'\n').take(20).filter(|l| !l.is_empty()).collect();
    let complete = if lines.len() > 1 { &lines[..lines.len() - 1] } else { &lines[..] };
    let count = |line: &[u8], d: u8| {
        let mut quoted = false;
        line.iter()
            .filter(|b| {
                if **b == b'"' {
                    quoted = !quoted;
                }
                !quoted && **b == d
            })
            .count()
    };
    let score = |d: u8| -> usize {
        let counts: Vec<usize> = complete.iter().map(|l| count(l, d)).collect();
        match counts.first() {
            Some(&first) if first > 0 && counts.iter().all(|c| *c == first) => 1000 + first,
            Some(&first) => first,
            None => 0,
        }
    };
    [b',', b';', b'\t', b'|'].into_iter().max_by_key(|d| (score(*d), *d == b',')).unwrap_or(b',')
}

/// `'` when the first lines quote fields with single quotes and hold no `"` at all (some
/// database exports do), else `"`.
pub fn sniff_quote(head: &[u8], delimiter: u8) -> u8 {
    if head.contains(&b'"') {
        return b'"';
    }
    let (mut opens, mut closes) = (0, 0);
    let fields = head
        .split(|b| *b == b'\n')
        .take(20)
        .flat_map(|line| line.strip_suffix(b"\r").unwrap_or(line).split(move |b| *b == delimiter));
    for field in fields {
        opens += usize::from(field.starts_with(b"'"));
        closes += usize::from(field.len() >= 2 && field.ends_with(b"'"));
    }
    // A field may hold the delimiter, so opening and closing quotes can sit in different pieces.
    if opens > 0 && opens == closes {
        b'\''
    } else {
        b'"'
    }
}

/// Reads up to `n` bytes without consuming them.
fn peek(input: &mut Input, n: usize) -> Result<Vec<u8>, Error> {
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

fn into_read(input: Input) -> Box<dyn Read + Send> {
    match input {
        Input::File(f) => Box::new(f),
        Input::Stream(s) => s,
    }
}

type Decompressed = (Input, Option<&'static str>, Option<String>);

/// Unwraps gzip, zstd or a zip archive of one file (by magic bytes; a `.gz`/`.zst`/`.zip`
/// name without them is an error). Also returns the zipped file's name.
fn decompress(mut input: Input, name: &str, so: &SourceOptions) -> Result<Decompressed, Error> {
    let magic = peek(&mut input, 4)?;
    let kind = if magic.starts_with(&[0x1F, 0x8B]) {
        "gzip"
    } else if magic.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        "zstd"
    } else if magic.starts_with(b"PK\x03\x04") {
        "zip"
    } else {
        if [".gz", ".zst", ".zstd", ".zip"].iter().any(|e| name.ends_with(e)) {
            return Err(problem(InputProblem::Corrupt {
                what: "compressed input (its name says so, its first bytes do not)",
            }));
        }
        return Ok((input, None, None));
    };
    let consumed = Arc::new(AtomicU64::new(0));
    let mut inner_name = None;
    let decoded: Box<dyn Read + Send> = match kind {
        "gzip" => {
            let raw = Counted { inner: into_read(input), count: consumed.clone() };
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(raw)))
        }
        "zstd" => {
            let raw = Counted { inner: into_read(input), count: consumed.clone() };
            Box::new(zstd::stream::read::Decoder::new(raw).map_err(io_problem)?)
        }
        _ => {
            let Input::File(file) = input else {
                return Err(problem(InputProblem::Unsupported("a zip archive read from a stream")));
            };
            let entry = zip_entry(file)?;
            inner_name = Some(entry.name);
            let raw = Counted { inner: entry.data, count: consumed.clone() };
            if entry.deflated {
                Box::new(flate2::read::DeflateDecoder::new(BufReader::new(raw)))
            } else {
                Box::new(raw)
            }
        }
    };
    let limited = Limited {
        inner: decoded,
        out: 0,
        consumed,
        max_bytes: so.max_decompressed_bytes,
        max_ratio: so.max_ratio,
        ratio_after: so.ratio_after,
        kind,
    };
    Ok((Input::Stream(Box::new(limited)), Some(kind), inner_name))
}

/// The one data file of a zip archive.
struct ZipEntry {
    name: String,
    /// Its stored bytes (deflated or not).
    data: std::io::Take<File>,
    deflated: bool,
}

fn zip_entry(file: File) -> Result<ZipEntry, Error> {
    let damaged = || problem(InputProblem::Corrupt { what: "zip archive (damaged)" });
    let mut archive = zip::ZipArchive::new(file.try_clone().map_err(io_problem)?).map_err(|_| damaged())?;
    let mut found = None;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| damaged())?;
        if entry.is_dir() || entry.name().starts_with("__MACOSX/") {
            continue;
        }
        if found.is_some() {
            return Err(problem(InputProblem::Unsupported("a zip archive holding more than one file")));
        }
        found = Some((entry.name().to_string(), entry.data_start(), entry.compressed_size(), entry.compression()));
    }
    let Some((name, start, size, method)) = found else {
        return Err(problem(InputProblem::Empty));
    };
    let deflated = if method == zip::CompressionMethod::Stored {
        false
    } else if method == zip::CompressionMethod::DEFLATE {
        true
    } else {
        return Err(problem(InputProblem::Unsupported("a zip entry compressed other than with deflate")));
    };
    let mut data = file;
    data.seek(SeekFrom::Start(start)).map_err(io_problem)?;
    Ok(ZipEntry { name, data: data.take(size), deflated })
}

struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Stops a decompression bomb: fails past `max_bytes`, or past `max_ratio` once more than
/// `ratio_after` bytes came out. The failure is an `io::Error` carrying a [`InputProblem`] so readers
/// report it as such.
struct Limited {
    inner: Box<dyn Read + Send>,
    out: u64,
    consumed: Arc<AtomicU64>,
    max_bytes: u64,
    max_ratio: u64,
    ratio_after: u64,
    kind: &'static str,
}

impl Read for Limited {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::InvalidInput
                || e.kind() == io::ErrorKind::InvalidData
                || e.kind() == io::ErrorKind::UnexpectedEof
                || e.kind() == io::ErrorKind::Other
            {
                io::Error::new(io::ErrorKind::InvalidData, LimitError(InputProblem::Corrupt { what: self.kind_text() }))
            } else {
                e
            }
        })?;
        self.out += n as u64;
        if self.out > self.max_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                LimitError(InputProblem::DecompressedTooLarge { limit: self.max_bytes }),
            ));
        }
        let consumed = self.consumed.load(Ordering::Relaxed).max(1);
        if self.out > self.ratio_after && self.out / consumed > self.max_ratio {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                LimitError(InputProblem::CompressionRatio { limit: self.max_ratio }),
            ));
        }
        Ok(n)
    }
}

impl Limited {
    fn kind_text(&self) -> &'static str {
        if self.kind == "gzip" {
            "gzip stream (damaged or truncated)"
        } else {
            "zstd stream (damaged or truncated)"
        }
    }
}

/// An input problem found below a `Read` (decompression); readers unwrap it with [`from_io`].
#[derive(Debug)]
pub(crate) struct LimitError(pub InputProblem);

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for LimitError {}

/// The input problem behind an I/O error: a decompression limit or damage, else the kind.
pub(crate) fn from_io(e: &io::Error) -> InputProblem {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<LimitError>()) {
        Some(LimitError(p)) => p.clone(),
        None => InputProblem::Io(e.kind()),
    }
}

/// Flattens struct columns into `parent.child` columns; a list or map column is refused as
/// [`InputProblem::Nested`], named by its label (`column N` when the name looks like data:
/// JSON keys may be values).
pub(crate) fn flatten(batch: &RecordBatch) -> Result<RecordBatch, InputProblem> {
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for (f, a) in batch.schema().fields().iter().zip(batch.columns()) {
        push_flat(f.name(), f, a, &mut fields, &mut arrays)
            .map_err(|name| InputProblem::Nested { column: column_label(&name, fields.len()).into_owned() })?;
    }
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
        .map_err(|_| InputProblem::Corrupt { what: "nested columns (their fields do not line up)" })
}

/// Appends the leaf columns of `f` (named `name`) to `fields`/`arrays`; `Err(name)` of the
/// first list or map column, which is then the next column the flattened header would have.
fn push_flat(
    name: &str,
    f: &Field,
    a: &ArrayRef,
    fields: &mut Vec<Field>,
    arrays: &mut Vec<ArrayRef>,
) -> Result<(), String> {
    match f.data_type() {
        DataType::Struct(children) => {
            let s = a.as_any().downcast_ref::<StructArray>().ok_or_else(|| name.to_string())?;
            for (i, child) in children.iter().enumerate() {
                let mut col = s.column(i).clone();
                if let Some(nulls) = s.nulls() {
                    // A null parent makes its fields null.
                    let merged = arrow_buffer::NullBuffer::union(Some(nulls), col.nulls());
                    col = arrow_array::make_array(
                        col.to_data().into_builder().nulls(merged).build().map_err(|_| name.to_string())?,
                    );
                }
                push_flat(&format!("{name}.{}", child.name()), child, &col, fields, arrays)?;
            }
            Ok(())
        }
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::FixedSizeList(..)
        | DataType::Map(..)
        | DataType::ListView(_)
        | DataType::LargeListView(_) => Err(name.to_string()),
        t => {
            fields.push(Field::new(name, t.clone(), true));
            arrays.push(a.clone());
            Ok(())
        }
    }
}

/// The flattened schema of `schema`, or the first list or map column as `Nested`.
pub(crate) fn flat_schema(schema: &SchemaRef) -> Result<SchemaRef, InputProblem> {
    let empty = RecordBatch::new_empty(schema.clone());
    flatten(&empty).map(|b| b.schema())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1;2,5;3\n4;5;6\n"), b';');
        assert_eq!(sniff_delimiter(b"a,b\n\"x;y\",2\n"), b',');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b\n1|2\n"), b'|');
        assert_eq!(sniff_delimiter(b"single\n1\n"), b',');
    }

    #[test]
    fn quotes_are_sniffed() {
        assert_eq!(sniff_quote(b"id;name\n1;'M\xfcller; Hans'\n", b';'), b'\'');
        assert_eq!(sniff_quote(b"id,name\n1,\"O'Brien\"\n2,'x'\n", b','), b'"');
        assert_eq!(sniff_quote(b"id,name\n1,O'Brien\n", b','), b'"');
    }

    #[test]
    fn formats_are_recognized_by_content() {
        assert_eq!(by_content(b"PAR1...."), Detected::Parquet);
        assert_eq!(by_content(b"ARROW1\0\0"), Detected::ArrowFile);
        assert_eq!(by_content(b"  {\"a\":1}\n"), Detected::Jsonl);
        assert_eq!(by_content(b"a,b\n"), Detected::Csv(false));
    }
}
