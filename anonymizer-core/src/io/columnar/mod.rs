//! Typed columnar inputs: Parquet (read row group by row group, never whole) and Arrow IPC
//! (file and stream). Nested structs are flattened to `a.b` columns; lists and maps are
//! refused naming the column, and so is any column of a type the pipeline cannot read
//! (`types`). Upstream error texts are dropped (they may echo data).
//!
//! Decoded bytes count against the decompression limits of [`SourceOptions`] as a
//! compressed text input's do: a Parquet file's page headers before any page is decoded
//! (`pages`), every format's batches as they are read. A truncated Arrow file or stream is
//! damaged, never a shorter success (`ipc`).

mod ipc;
mod pages;
mod types;

use std::fs::File;
use std::io::{BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use self::ipc::{file_messages, End, IpcGuard, MAX_MESSAGE};
use self::pages::check_pages;
use self::types::{decoded_bytes, read_as, read_schema, unpacked_bytes};
use super::nested::{flat_schema, flatten};
use super::source::limit_problem;
use super::{BatchSource, InputBatch, SourceOptions};
use crate::error::{Error, ErrorKind, InputProblem};

/// Runs a decoder step, turning a panic inside a third-party decoder on hostile bytes into
/// an error (a damaged file must never take the process down).
fn guarded<T, E>(f: impl FnOnce() -> Result<T, E>) -> Result<T, ()> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        _ => Err(()),
    }
}

/// The input's bytes a ratio is taken against.
enum InputBytes {
    /// A whole file's size.
    File(u64),
    /// Bytes consumed from a stream so far.
    Read(Arc<AtomicU64>),
}

/// The decompression limits applied to decoded bytes: at most `max_bytes`, and at most
/// `max_ratio` times the input once more than `ratio_after` bytes were decoded.
pub(super) struct DecodedLimit {
    max_bytes: u64,
    max_ratio: u64,
    ratio_after: u64,
    batch_bytes: u64,
}

impl DecodedLimit {
    /// The ratio allowed is [`COLUMNAR_RATIO_FACTOR`] times the text formats': dictionary and
    /// run-length encodings legitimately shrink a low-cardinality column far more than gzip
    /// shrinks text (a status column of ten million rows is a few bytes of runs, and its Arrow
    /// form counts offsets too), and the batch size and memory budget bound memory anyway.
    fn new(so: &SourceOptions) -> Self {
        DecodedLimit {
            max_bytes: so.max_decompressed_bytes,
            max_ratio: so.max_ratio.saturating_mul(COLUMNAR_RATIO_FACTOR),
            ratio_after: so.ratio_after,
            batch_bytes: so.batch_bytes.max(1) as u64,
        }
    }

    /// Whether `decoded` bytes from `input` bytes are within the limits.
    fn check(&self, decoded: u64, input: u64) -> Result<(), InputProblem> {
        if decoded > self.max_bytes {
            return Err(InputProblem::DecompressedTooLarge { limit: self.max_bytes });
        }
        if decoded > self.ratio_after && decoded / input.max(1) > self.max_ratio {
            return Err(InputProblem::CompressionRatio { limit: self.max_ratio });
        }
        Ok(())
    }
}

/// How much more a typed input may expand than a compressed text one (see [`DecodedLimit::new`]).
const COLUMNAR_RATIO_FACTOR: u64 = 10;

type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

/// Batches from a Parquet or Arrow reader.
pub struct ColumnarSource {
    batches: Batches,
    /// The columns as batches are handed out (flattened, dictionaries unpacked).
    schema: SchemaRef,
    rows: u64,
    what: &'static str,
    limit: DecodedLimit,
    input: InputBytes,
    decoded: u64,
    /// Batches read, and those an Arrow file's footer lists (a file whose messages end early
    /// at a message boundary, before its footer, holds fewer).
    batches_read: usize,
    batches_listed: Option<usize>,
    /// Slices of a read batch whose unpacked size is over `batch_bytes`, unpacked one by one.
    pending: std::collections::VecDeque<RecordBatch>,
}

fn input_error(problem: InputProblem) -> Error {
    Error::new(ErrorKind::Input { path: None, problem })
}

fn corrupt(what: &'static str) -> Error {
    input_error(InputProblem::Corrupt { what })
}

/// A reader's error as an input problem: a decompression limit hit below the reader (a
/// compressed Arrow stream) as itself, anything else as damage (arrow's text is dropped).
fn reader_error(e: &ArrowError, what: &'static str) -> Error {
    match e {
        ArrowError::IoError(_, io) => limit_problem(io).map_or_else(|| corrupt(what), input_error),
        _ => corrupt(what),
    }
}

impl ColumnarSource {
    fn new(
        batches: Batches,
        schema: SchemaRef,
        what: &'static str,
        limit: DecodedLimit,
        input: InputBytes,
    ) -> Result<Self, Error> {
        let schema = flat_schema(&schema).and_then(|flat| read_schema(&flat)).map_err(input_error)?;
        if schema.fields().is_empty() {
            return Err(input_error(InputProblem::Empty));
        }
        Ok(ColumnarSource {
            batches,
            schema,
            rows: 0,
            what,
            limit,
            input,
            decoded: 0,
            batches_read: 0,
            batches_listed: None,
            pending: Default::default(),
        })
    }

    pub fn parquet(file: File, so: &SourceOptions) -> Result<Self, Error> {
        const WHAT: &str = "Parquet file (its footer or pages are damaged)";
        let size = file.metadata().map(|m| m.len()).map_err(|_| corrupt(WHAT))?;
        let pages = file.try_clone().map_err(|e| input_error(InputProblem::Io(e.kind())))?;
        let builder = guarded(|| ParquetRecordBatchReaderBuilder::try_new(file)).map_err(|_| corrupt(WHAT))?;
        let limit = DecodedLimit::new(so);
        check_pages(&pages, builder.metadata(), size, &limit).map_err(input_error)?;
        let rows = rows_per_batch(builder.metadata(), so);
        let reader = guarded(|| builder.with_batch_size(rows).build()).map_err(|_| corrupt(WHAT))?;
        let schema = arrow_array::RecordBatchReader::schema(&reader);
        Self::new(Box::new(reader), schema, WHAT, limit, InputBytes::File(size))
    }

    /// An Arrow IPC file is the magic, the stream format, and a footer: its footer is checked
    /// (a file without one was cut), then its messages are read as a stream through the
    /// same message-size guard, up to the footer.
    pub fn arrow_file(file: File, so: &SourceOptions) -> Result<Self, Error> {
        const WHAT: &str = "Arrow IPC file (damaged or truncated)";
        let size = file.metadata().map(|m| m.len()).map_err(|_| corrupt(WHAT))?;
        let messages = file_messages(file).ok_or_else(|| corrupt(WHAT))?;
        let guard = IpcGuard::new(BufReader::new(messages.bytes), messages.len, End::MarkerOrBoundary);
        let mut source = Self::arrow_messages(guard, WHAT, so, InputBytes::File(size))?;
        source.batches_listed = Some(messages.batches);
        Ok(source)
    }

    pub fn arrow_stream(src: Box<dyn Read + Send>, so: &SourceOptions) -> Result<Self, Error> {
        let guard = IpcGuard::new(BufReader::new(src), MAX_MESSAGE, End::Marker);
        let consumed = guard.consumed();
        Self::arrow_messages(guard, "Arrow IPC stream (damaged or truncated)", so, InputBytes::Read(consumed))
    }

    fn arrow_messages<R: Read + Send + 'static>(
        guard: IpcGuard<R>,
        what: &'static str,
        so: &SourceOptions,
        input: InputBytes,
    ) -> Result<Self, Error> {
        let reader = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            arrow_ipc::reader::StreamReader::try_new(guard, None)
        })) {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(reader_error(&e, what)),
            Err(_) => return Err(corrupt(what)),
        };
        let schema = reader.schema();
        Self::new(Box::new(reader), schema, what, DecodedLimit::new(so), input)
    }
}

impl BatchSource for ColumnarSource {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn next_batch(&mut self) -> Result<Option<InputBatch>, Error> {
        let input = || match &self.input {
            InputBytes::File(size) => *size,
            InputBytes::Read(n) => n.load(Ordering::Relaxed),
        };
        let batch = match self.pending.pop_front() {
            Some(slice) => slice,
            None => {
                let next = guarded(|| Ok::<_, ()>(self.batches.next())).map_err(|_| corrupt(self.what))?;
                let Some(batch) = next else {
                    if self.batches_listed.is_some_and(|listed| listed != self.batches_read) {
                        return Err(corrupt(self.what));
                    }
                    return Ok(None);
                };
                self.batches_read += 1;
                let batch = batch.map_err(|e| reader_error(&e, self.what))?;
                let batch = flatten(&batch).map_err(|_| corrupt(self.what))?;
                // Dictionaries and views expand when unpacked: a few bytes of keys or views
                // can point at one long value many times. Their size is known beforehand,
                // so it counts against the limits before anything is unpacked, and a batch
                // that would unpack past `batch_bytes` is unpacked a slice at a time.
                let unpacked = unpacked_bytes(&batch, &self.schema);
                self.limit.check(self.decoded.saturating_add(unpacked), input()).map_err(input_error)?;
                let slices =
                    unpacked.div_ceil(self.limit.batch_bytes).clamp(1, batch.num_rows().max(1) as u64) as usize;
                let rows = batch.num_rows().div_ceil(slices);
                self.pending.extend((0..slices).map(|i| {
                    let start = (i * rows).min(batch.num_rows());
                    batch.slice(start, rows.min(batch.num_rows() - start))
                }));
                self.pending.pop_front().unwrap_or(batch)
            }
        };
        let batch = read_as(&batch, &self.schema).ok_or_else(|| corrupt(self.what))?;
        let bytes = decoded_bytes(&batch);
        self.decoded = self.decoded.saturating_add(bytes);
        self.limit.check(self.decoded, input()).map_err(input_error)?;
        let first = self.rows;
        self.rows += batch.num_rows() as u64;
        Ok(Some(InputBatch::ready(batch, first, Vec::new()).with_bytes(bytes)))
    }
}

/// Rows per Parquet batch: `batch_size`, or fewer where the widest row group's rows (by its
/// uncompressed size, as the footer claims it) would make a batch larger than `batch_bytes`.
/// A footer that understates is caught by the decoded-bytes limit and the memory budget.
fn rows_per_batch(meta: &parquet::file::metadata::ParquetMetaData, so: &SourceOptions) -> usize {
    let widest = meta
        .row_groups()
        .iter()
        .filter(|g| g.num_rows() > 0)
        .map(|g| g.total_byte_size().max(0) as u64 / g.num_rows() as u64)
        .max()
        .unwrap_or(0)
        .max(1);
    let by_bytes = (so.batch_bytes as u64 / widest).max(1);
    (so.batch_size.max(1) as u64).min(by_bytes) as usize
}
