//! Writers: Parquet (zstd, each column's encoder fed through its lane, `lanes`; `parquet`,
//! with its per-column encoding decision in `dictionary`), and the text and IPC formats
//! (`text`). Upstream error texts are dropped (they may echo data).

mod dictionary;
mod lanes;
mod parquet;
mod text;

use std::io::Write;

use arrow_schema::SchemaRef;

pub use self::parquet::{ParquetCodec, ParquetOptions, ParquetWriter};
pub use text::CsvWriter;

use super::BatchSink;
use crate::error::{Error, OutputProblem};
use text::{ArrowFileWriter, JsonlWriter};

/// Output formats, picked by the output file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Parquet,
    Csv,
    Jsonl,
    Arrow,
}

impl OutputFormat {
    /// By extension: `.parquet`, `.csv`, `.jsonl` (`.ndjson`) or `.arrow` (Arrow IPC file).
    pub fn from_extension(path: &std::path::Path) -> Option<OutputFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Some(OutputFormat::Parquet),
            "csv" => Some(OutputFormat::Csv),
            "jsonl" | "ndjson" => Some(OutputFormat::Jsonl),
            "arrow" | "feather" | "ipc" => Some(OutputFormat::Arrow),
            _ => None,
        }
    }

    /// A sink of this format writing to `out`.
    pub fn sink<W: Write + Send + 'static>(
        self,
        out: W,
        schema: SchemaRef,
        parquet: &ParquetOptions,
    ) -> Result<Box<dyn BatchSink>, Error> {
        Ok(match self {
            OutputFormat::Parquet => Box::new(ParquetWriter::new(out, schema, parquet)?),
            OutputFormat::Csv => Box::new(CsvWriter::new(out)),
            OutputFormat::Jsonl => Box::new(JsonlWriter::new(out)),
            OutputFormat::Arrow => Box::new(ArrowFileWriter::new(out, &schema)?),
        })
    }
}

pub(super) fn output_problem(e: arrow_schema::ArrowError, otherwise: OutputProblem) -> OutputProblem {
    match e {
        arrow_schema::ArrowError::IoError(_, io) => OutputProblem::Io(io.kind()),
        _ => otherwise,
    }
}
