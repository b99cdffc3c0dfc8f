//! Writers: Parquet (zstd) and CSV. Upstream error texts are dropped (they may echo data).

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

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
        ParquetOptions {
            zstd_level: 1,
            row_group_rows: 1 << 20,
        }
    }
}

/// Writes Parquet with zstd.
pub struct ParquetWriter<W: Write + Send> {
    inner: ArrowWriter<W>,
}

impl<W: Write + Send> std::fmt::Debug for ParquetWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParquetWriter")
    }
}

impl<W: Write + Send> ParquetWriter<W> {
    pub fn new(out: W, schema: SchemaRef, opts: &ParquetOptions) -> Result<Self, Error> {
        let level = ZstdLevel::try_new(opts.zstd_level).map_err(|_| {
            Error::new(ErrorKind::Option(format!(
                "zstd level {} is out of range 1-22",
                opts.zstd_level
            )))
        })?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_max_row_group_row_count(Some(opts.row_group_rows.max(1)))
            .set_created_by(format!("importd {}", env!("CARGO_PKG_VERSION")))
            .build();
        let inner = ArrowWriter::try_new(out, schema, Some(props)).map_err(parquet_err)?;
        Ok(ParquetWriter { inner })
    }
}

fn parquet_err(e: parquet::errors::ParquetError) -> Error {
    let problem = match e {
        parquet::errors::ParquetError::External(inner) => {
            match inner.downcast::<std::io::Error>() {
                Ok(io) => OutputProblem::Io(io.kind()),
                Err(_) => OutputProblem::Parquet,
            }
        }
        _ => OutputProblem::Parquet,
    };
    Error::new(ErrorKind::Output(problem))
}

impl<W: Write + Send> BatchSink for ParquetWriter<W> {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        self.inner.write(batch).map_err(parquet_err)
    }

    fn finish(self: Box<Self>) -> Result<(), Error> {
        let mut w = self.inner.into_inner().map_err(parquet_err)?;
        w.flush()
            .map_err(|e| Error::new(ErrorKind::Output(OutputProblem::Io(e.kind()))))
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
        CsvWriter {
            inner: arrow_csv::WriterBuilder::new().with_header(true).build(out),
        }
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
        w.flush()
            .map_err(|e| Error::new(ErrorKind::Output(OutputProblem::Io(e.kind()))))
    }
}
