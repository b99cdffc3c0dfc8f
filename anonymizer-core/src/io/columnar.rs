//! Typed columnar inputs: Parquet (read row group by row group, never whole) and Arrow IPC
//! (file and stream). Nested structs are flattened to `a.b` columns; lists and maps are
//! refused naming the column. Upstream error texts are dropped (they may echo data).

use std::fs::File;
use std::io::{BufReader, Read};

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::nested::{flat_schema, flatten};
use super::{BatchSource, InputBatch};
use crate::error::{Error, ErrorKind, InputProblem};

/// Runs a decoder step, turning a panic inside a third-party decoder on hostile bytes into
/// an error (a damaged file must never take the process down).
fn guarded<T, E>(f: impl FnOnce() -> Result<T, E>) -> Result<T, ()> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        _ => Err(()),
    }
}

/// The largest Arrow IPC message (metadata or body) read from a stream; from a file, also
/// never more than the file holds.
const MAX_IPC_MESSAGE: u64 = 2 << 30;

/// Passes an Arrow IPC stream through, message by message, after checking each message's
/// declared metadata and body sizes: a hostile length prefix would otherwise make the reader
/// allocate gigabytes before it finds out the bytes are not there.
struct IpcGuard<R> {
    inner: R,
    limit: u64,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> IpcGuard<R> {
    fn bad(what: &str) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
    }

    /// Reads the next whole message into `out` (or ends the stream).
    fn next_message(&mut self) -> std::io::Result<()> {
        self.out.clear();
        self.pos = 0;
        let mut word = [0u8; 4];
        if self.inner.read_exact(&mut word).is_err() {
            self.done = true;
            return Ok(());
        }
        let mut prefix = word.to_vec();
        if word == [0xFF; 4] {
            self.inner.read_exact(&mut word)?;
            prefix.extend_from_slice(&word);
        }
        let meta_len = i32::from_le_bytes(word);
        self.out.extend_from_slice(&prefix);
        if meta_len <= 0 {
            self.done = true; // end of stream
            return Ok(());
        }
        if meta_len as u64 > self.limit {
            return Err(Self::bad("message metadata larger than the input"));
        }
        let mut meta = vec![0u8; meta_len as usize];
        self.inner.read_exact(&mut meta)?;
        let body =
            arrow_ipc::root_as_message(&meta).map_err(|_| Self::bad("message metadata unreadable"))?.bodyLength();
        if body < 0 || body as u64 > self.limit {
            return Err(Self::bad("message body larger than the input"));
        }
        self.out.extend_from_slice(&meta);
        let start = self.out.len();
        self.out.resize(start + body as usize, 0);
        self.inner.read_exact(&mut self.out[start..])?;
        Ok(())
    }
}

impl<R: Read> Read for IpcGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.next_message()?;
            if self.out.is_empty() {
                return Ok(0);
            }
        }
        let n = (self.out.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

/// Batches from a Parquet or Arrow reader.
pub struct ColumnarSource {
    batches: Batches,
    schema: SchemaRef,
    rows: u64,
    what: &'static str,
}

fn corrupt(what: &'static str) -> Error {
    Error::new(ErrorKind::Input { path: None, problem: InputProblem::Corrupt { what } })
}

impl ColumnarSource {
    fn new(batches: Batches, schema: SchemaRef, what: &'static str) -> Result<Self, Error> {
        let schema = flat_schema(&schema).map_err(|problem| Error::new(ErrorKind::Input { path: None, problem }))?;
        if schema.fields().is_empty() {
            return Err(Error::new(ErrorKind::Input { path: None, problem: InputProblem::Empty }));
        }
        Ok(ColumnarSource { batches, schema, rows: 0, what })
    }

    pub fn parquet(file: File, batch_size: usize) -> Result<Self, Error> {
        const WHAT: &str = "Parquet file (its footer or pages are damaged)";
        let open = || ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(batch_size).build();
        let reader = guarded(open).map_err(|_| corrupt(WHAT))?;
        let schema = arrow_array::RecordBatchReader::schema(&reader);
        Self::new(Box::new(reader), schema, WHAT)
    }

    /// An Arrow IPC file is the magic, the stream format, and a footer: it is read as the
    /// stream after its first 8 bytes, through the same message-size guard.
    pub fn arrow_file(mut file: File) -> Result<Self, Error> {
        const WHAT: &str = "Arrow IPC file (damaged)";
        let size = file.metadata().map(|m| m.len()).map_err(|_| corrupt(WHAT))?;
        let mut magic = [0u8; 8];
        file.read_exact(&mut magic).map_err(|_| corrupt(WHAT))?;
        if &magic[..6] != b"ARROW1" {
            return Err(corrupt(WHAT));
        }
        // Writers pad the magic to their alignment (8 or 64 bytes) with zeros.
        let mut word = [0u8; 4];
        let mut skipped = 8u64;
        loop {
            file.read_exact(&mut word).map_err(|_| corrupt(WHAT))?;
            if word != [0; 4] || skipped >= 64 {
                break;
            }
            skipped += 4;
        }
        let rest = std::io::Cursor::new(word).chain(file);
        Self::arrow_messages(Box::new(rest), size.saturating_sub(skipped), WHAT)
    }

    pub fn arrow_stream(src: Box<dyn Read + Send>) -> Result<Self, Error> {
        Self::arrow_messages(src, MAX_IPC_MESSAGE, "Arrow IPC stream (damaged)")
    }

    fn arrow_messages(src: Box<dyn Read + Send>, limit: u64, what: &'static str) -> Result<Self, Error> {
        let guard = IpcGuard {
            inner: BufReader::new(src),
            limit: limit.min(MAX_IPC_MESSAGE),
            out: Vec::new(),
            pos: 0,
            done: false,
        };
        let reader = guarded(|| arrow_ipc::reader::StreamReader::try_new(guard, None)).map_err(|_| corrupt(what))?;
        let schema = reader.schema();
        Self::new(Box::new(reader), schema, what)
    }
}

impl BatchSource for ColumnarSource {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn next_batch(&mut self) -> Result<Option<InputBatch>, Error> {
        let next = guarded(|| Ok::<_, ()>(self.batches.next())).map_err(|_| corrupt(self.what))?;
        let Some(batch) = next else { return Ok(None) };
        let batch = batch.map_err(|_| corrupt(self.what))?;
        let batch = flatten(&batch).map_err(|_| corrupt(self.what))?;
        let first = self.rows;
        self.rows += batch.num_rows() as u64;
        Ok(Some(InputBatch::ready(batch, first, Vec::new())))
    }
}
