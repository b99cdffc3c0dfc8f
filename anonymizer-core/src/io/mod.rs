//! Readers (bytes → `RecordBatch`es) and writers (`RecordBatch`es → bytes). Readers and
//! writers are synchronous and generic over `Read`/`Write`: the core has no async I/O.

mod columnar;
mod csv;
mod jsonl;
mod nested;
mod source;
mod writer;

pub use self::csv::{CsvOptions, CsvReader};
pub use source::{decoded_reader, open_source, sniff_delimiter, sniff_encoding, Input, Source, SourceOptions};
pub use writer::{CsvWriter, OutputFormat, ParquetCodec, ParquetOptions, ParquetWriter};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::error::Error;

/// One batch of input rows and where they came from. The rows may still be undecoded:
/// readers hand out the cheap serial part (splitting records) and leave the costly part
/// (building columns) to [`InputBatch::decode`], which the runner calls on a worker thread.
pub struct InputBatch {
    rows: Pending,
    /// 0-based index of the batch's first data row in the input.
    pub first_row: u64,
    /// 1-based file line each row starts on (empty when the format has no lines).
    pub lines: Vec<u64>,
    /// The batch's size in memory as read (0: unknown until decoded), for byte budgets.
    bytes: u64,
}

type Decode = Box<dyn FnOnce(Option<&dyn RowSelector>) -> Result<Decoded, Error> + Send>;

/// What the consumer of a batch needs, so a decoder can skip the rest: columns nobody reads
/// are not built, deleted rows are not copied. The pipeline's plan is one.
pub trait RowSelector: Sync {
    /// Whether input column `column` is read by some output.
    fn reads(&self, column: usize) -> bool;
    /// Whether `deletes` can ever be true (a plan without `[[delete_rows]]` says no).
    fn deletes_rows(&self) -> bool;
    /// Whether a row is deleted; `cell(i)` is the raw text of its column `i` (`None`: null).
    fn deletes<'a>(&self, cell: &dyn Fn(usize) -> Option<&'a str>) -> bool;
}

/// A decoded batch, possibly already selected.
#[derive(Debug)]
pub struct Decoded {
    /// The rows. When `selected`, columns nobody reads are all null.
    pub batch: RecordBatch,
    /// Whether the selector's deletions were applied (otherwise the consumer applies them).
    pub selected: bool,
    /// Rows before deletion.
    pub rows_in: usize,
    /// For each row of `batch`, its index among the `rows_in` rows; `None` when none was deleted.
    pub kept: Option<Vec<usize>>,
}

enum Pending {
    Ready(RecordBatch),
    Deferred(Decode),
}

impl std::fmt::Debug for InputBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputBatch").field("first_row", &self.first_row).field("rows", &self.lines.len()).finish()
    }
}

impl InputBatch {
    /// A decoded batch.
    pub fn ready(batch: RecordBatch, first_row: u64, lines: Vec<u64>) -> Self {
        let bytes = batch.get_array_memory_size() as u64;
        InputBatch { rows: Pending::Ready(batch), first_row, lines, bytes }
    }

    /// A batch decoded later by `decode`.
    pub fn deferred(
        decode: impl FnOnce() -> Result<RecordBatch, Error> + Send + 'static,
        first_row: u64,
        lines: Vec<u64>,
    ) -> Self {
        let decode = move |_: Option<&dyn RowSelector>| {
            decode().map(|batch| Decoded { rows_in: batch.num_rows(), batch, selected: false, kept: None })
        };
        InputBatch { rows: Pending::Deferred(Box::new(decode)), first_row, lines, bytes: 0 }
    }

    /// A batch decoded later by `decode` or `decode_selected`, by a decoder that can skip
    /// what the selector does not need.
    pub(crate) fn selectable(
        decode: impl FnOnce(Option<&dyn RowSelector>) -> Result<Decoded, Error> + Send + 'static,
        first_row: u64,
        lines: Vec<u64>,
    ) -> Self {
        InputBatch { rows: Pending::Deferred(Box::new(decode)), first_row, lines, bytes: 0 }
    }

    /// The same batch, `bytes` large in memory (its reader knows; the default is 0 for a
    /// deferred batch and the arrays' size for a decoded one).
    pub fn with_bytes(mut self, bytes: u64) -> Self {
        self.bytes = bytes;
        self
    }

    /// The batch's size in memory as read, for byte budgets.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Rows in the batch when known without decoding (typed batches; text batches have `lines`).
    pub fn rows_hint(&self) -> usize {
        match &self.rows {
            Pending::Ready(b) => b.num_rows(),
            Pending::Deferred(_) => self.lines.len(),
        }
    }

    /// The rows as a `RecordBatch`.
    pub fn decode(self) -> Result<RecordBatch, Error> {
        match self.rows {
            Pending::Ready(b) => Ok(b),
            Pending::Deferred(f) => f(None).map(|d| d.batch),
        }
    }

    /// The rows `selector` needs: a decoder that can may leave out unread columns (as nulls)
    /// and deleted rows (`selected` says whether it did).
    pub fn decode_selected(self, selector: &dyn RowSelector) -> Result<Decoded, Error> {
        match self.rows {
            Pending::Ready(batch) => Ok(Decoded { rows_in: batch.num_rows(), batch, selected: false, kept: None }),
            Pending::Deferred(f) => f(Some(selector)),
        }
    }
}

/// A source of input batches, all with the same schema.
pub trait BatchSource: Send {
    /// The input's columns.
    fn schema(&self) -> SchemaRef;
    /// The next batch, `None` at the end.
    fn next_batch(&mut self) -> Result<Option<InputBatch>, Error>;
    /// Raw bytes consumed so far, for progress.
    fn bytes_read(&self) -> u64 {
        0
    }
}

/// A sink for output batches. `finish` completes the output (footer, flush); a sink that
/// is dropped without `finish` has written an incomplete output, which callers discard.
pub trait BatchSink: Send {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error>;
    fn finish(self: Box<Self>) -> Result<(), Error>;
}
