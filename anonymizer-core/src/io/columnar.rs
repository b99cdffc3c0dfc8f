//! Typed columnar inputs: Parquet (read row group by row group, never whole) and Arrow IPC
//! (file and stream). Nested structs are flattened to `a.b` columns; lists and maps are
//! refused naming the column. Upstream error texts are dropped (they may echo data).

use std::fs::File;
use std::io::{BufReader, Read};

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::source::{flat_schema, flatten};
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
        let schema = flat_schema(&schema)
            .map_err(|column| Error::new(ErrorKind::Input { path: None, problem: InputProblem::Nested { column } }))?;
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

    pub fn arrow_file(file: File) -> Result<Self, Error> {
        const WHAT: &str = "Arrow IPC file (damaged)";
        let reader = guarded(|| arrow_ipc::reader::FileReader::try_new(BufReader::new(file), None))
            .map_err(|_| corrupt(WHAT))?;
        let schema = reader.schema();
        Self::new(Box::new(reader), schema, WHAT)
    }

    pub fn arrow_stream(src: Box<dyn Read + Send>) -> Result<Self, Error> {
        const WHAT: &str = "Arrow IPC stream (damaged)";
        let reader = guarded(|| arrow_ipc::reader::StreamReader::try_new(BufReader::new(src), None))
            .map_err(|_| corrupt(WHAT))?;
        let schema = reader.schema();
        Self::new(Box::new(reader), schema, WHAT)
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
