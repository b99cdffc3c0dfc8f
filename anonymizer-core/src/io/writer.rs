//! Writers: Parquet (zstd, columns encoded in parallel) and CSV. Upstream error texts are
//! dropped (they may echo data).

use std::io::Write;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnWriter, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowSchemaConverter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterPropertiesPtr};
use parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;

use super::BatchSink;
use crate::error::{Error, ErrorKind, OutputProblem};

/// Output formats, picked by the output file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Parquet,
    Csv,
}

impl OutputFormat {
    /// By extension: `.parquet` or `.csv`.
    pub fn from_extension(path: &std::path::Path) -> Option<OutputFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Some(OutputFormat::Parquet),
            "csv" => Some(OutputFormat::Csv),
            _ => None,
        }
    }
}

/// Parquet writer settings.
#[derive(Debug, Clone)]
pub struct ParquetOptions {
    /// zstd level (1–22).
    pub zstd_level: i32,
    /// Rows per row group.
    pub row_group_rows: usize,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions { zstd_level: 1, row_group_rows: 128 * 1024 }
    }
}

/// Writes Parquet with zstd. Each column of a row group has its own encoder; a batch's
/// columns are encoded in parallel on the current rayon pool (the runner's), and finished
/// row groups are appended to the file in order.
pub struct ParquetWriter<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    columns: Vec<ArrowColumnWriter>,
    rows_in_group: usize,
    row_groups: usize,
    row_group_rows: usize,
}

impl<W: Write + Send> std::fmt::Debug for ParquetWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetWriter").field("row_groups", &self.row_groups).finish()
    }
}

impl<W: Write + Send> ParquetWriter<W> {
    pub fn new(out: W, schema: SchemaRef, opts: &ParquetOptions) -> Result<Self, Error> {
        let level = ZstdLevel::try_new(opts.zstd_level).map_err(|_| {
            Error::new(ErrorKind::Option(format!("zstd level {} is out of range 1-22", opts.zstd_level)))
        })?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_created_by(format!("importd {}", env!("CARGO_PKG_VERSION")))
            .build();
        // Readers restore the exact Arrow types (e.g. timestamps without zone) from this.
        parquet::arrow::add_encoded_arrow_schema_to_metadata(&schema, &mut props);
        let props: WriterPropertiesPtr = Arc::new(props);
        let parquet_schema = ArrowSchemaConverter::new()
            .with_coerce_types(props.coerce_types())
            .convert(&schema)
            .map_err(parquet_err)?;
        let file = SerializedFileWriter::new(out, parquet_schema.root_schema_ptr(), props).map_err(parquet_err)?;
        let factory = ArrowRowGroupWriterFactory::new(&file, schema.clone());
        let columns = factory.create_column_writers(0).map_err(parquet_err)?;
        Ok(ParquetWriter {
            file,
            factory,
            schema,
            columns,
            rows_in_group: 0,
            row_groups: 0,
            row_group_rows: opts.row_group_rows.max(1),
        })
    }

    fn write_slice(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        let mut leaves = Vec::with_capacity(self.columns.len());
        for (field, array) in self.schema.fields().iter().zip(batch.columns()) {
            leaves.extend(compute_leaves(field, array).map_err(parquet_err)?);
        }
        self.columns
            .par_iter_mut()
            .zip(leaves.par_iter())
            .try_for_each(|(w, leaf)| w.write(leaf))
            .map_err(parquet_err)?;
        self.rows_in_group += batch.num_rows();
        if self.rows_in_group >= self.row_group_rows {
            self.flush_row_group()?;
        }
        Ok(())
    }

    fn flush_row_group(&mut self) -> Result<(), Error> {
        if self.rows_in_group == 0 {
            return Ok(());
        }
        self.row_groups += 1;
        let next = self.factory.create_column_writers(self.row_groups).map_err(parquet_err)?;
        let writers = std::mem::replace(&mut self.columns, next);
        let chunks = writers.into_par_iter().map(|w| w.close()).collect::<Result<Vec<_>, _>>().map_err(parquet_err)?;
        let mut group = self.file.next_row_group().map_err(parquet_err)?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group).map_err(parquet_err)?;
        }
        group.close().map_err(parquet_err)?;
        self.rows_in_group = 0;
        Ok(())
    }
}

fn parquet_err(e: parquet::errors::ParquetError) -> Error {
    let problem = match e {
        parquet::errors::ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => OutputProblem::Io(io.kind()),
            Err(_) => OutputProblem::Parquet,
        },
        _ => OutputProblem::Parquet,
    };
    Error::new(ErrorKind::Output(problem))
}

impl<W: Write + Send> BatchSink for ParquetWriter<W> {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        let mut offset = 0;
        while offset < batch.num_rows() || (batch.num_rows() == 0 && offset == 0) {
            let room = self.row_group_rows - self.rows_in_group;
            let n = room.min(batch.num_rows() - offset);
            self.write_slice(&batch.slice(offset, n))?;
            if n == 0 {
                break;
            }
            offset += n;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), Error> {
        self.flush_row_group()?;
        let mut w = self.file.into_inner().map_err(parquet_err)?;
        w.flush().map_err(|e| Error::new(ErrorKind::Output(OutputProblem::Io(e.kind()))))
    }
}

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
