//! Text and IPC writers: CSV with a header row, JSON Lines, Arrow IPC file.

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use super::output_problem;
use crate::error::{Error, ErrorKind, OutputProblem};
use crate::io::BatchSink;

/// Writes CSV with a header row.
pub struct CsvWriter<W: Write + Send> {
    inner: arrow_csv::Writer<W>,
}

impl<W: Write + Send> std::fmt::Debug for CsvWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsvWriter")
    }
}

impl<W: Write + Send> CsvWriter<W> {
    pub fn new(out: W) -> Self {
        CsvWriter { inner: arrow_csv::WriterBuilder::new().with_header(true).build(out) }
    }
}

impl<W: Write + Send> BatchSink for CsvWriter<W> {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        self.inner.write(batch).map_err(|e| {
            let problem = match e {
                arrow_schema::ArrowError::IoError(_, io) => OutputProblem::Io(io.kind()),
                _ => OutputProblem::Csv,
            };
            Error::new(ErrorKind::Output(problem))
        })
    }

    fn finish(self: Box<Self>) -> Result<(), Error> {
        let mut w = self.inner.into_inner();
        w.flush().map_err(|e| Error::new(ErrorKind::Output(OutputProblem::Io(e.kind()))))
    }
}

/// Writes JSON Lines: one object per row, nulls left out.
pub(super) struct JsonlWriter<W: Write + Send> {
    inner: arrow_json::LineDelimitedWriter<W>,
}

impl<W: Write + Send> BatchSink for JsonlWriter<W> {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        self.inner.write(batch).map_err(|e| Error::new(ErrorKind::Output(output_problem(e, OutputProblem::Json))))
    }

    fn finish(mut self: Box<Self>) -> Result<(), Error> {
        self.inner.finish().map_err(|e| Error::new(ErrorKind::Output(output_problem(e, OutputProblem::Json))))?;
        let mut w = self.inner.into_inner();
        w.flush().map_err(|e| Error::new(ErrorKind::Output(OutputProblem::Io(e.kind()))))
    }
}

/// Writes an Arrow IPC file.
pub(super) struct ArrowFileWriter<W: Write + Send> {
    inner: arrow_ipc::writer::FileWriter<W>,
}

impl<W: Write + Send> BatchSink for ArrowFileWriter<W> {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        self.inner.write(batch).map_err(|e| Error::new(ErrorKind::Output(output_problem(e, OutputProblem::Arrow))))
    }

    fn finish(mut self: Box<Self>) -> Result<(), Error> {
        self.inner.finish().map_err(|e| Error::new(ErrorKind::Output(output_problem(e, OutputProblem::Arrow))))?;
        let mut w = self
            .inner
            .into_inner()
            .map_err(|e| Error::new(ErrorKind::Output(output_problem(e, OutputProblem::Arrow))))?;
        w.flush().map_err(|e| Error::new(ErrorKind::Output(OutputProblem::Io(e.kind()))))
    }
}

impl<W: Write + Send> JsonlWriter<W> {
    pub(super) fn new(out: W) -> Self {
        JsonlWriter { inner: arrow_json::LineDelimitedWriter::new(out) }
    }
}

impl<W: Write + Send> ArrowFileWriter<W> {
    pub(super) fn new(out: W, schema: &SchemaRef) -> Result<Self, Error> {
        let inner = arrow_ipc::writer::FileWriter::try_new(out, schema)
            .map_err(|e| Error::new(ErrorKind::Output(output_problem(e, OutputProblem::Arrow))))?;
        Ok(ArrowFileWriter { inner })
    }
}
