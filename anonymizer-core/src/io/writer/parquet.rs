//! The Parquet writer: one encoder per column of a row group, a batch's columns encoded in
//! parallel on the current rayon pool, finished row groups appended in order.

use std::io::Write;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnWriter, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowSchemaConverter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesPtr};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;

use super::dictionary::{dictionary_plan, DictionaryPlan};
use crate::error::{Error, ErrorKind, OutputProblem};
use crate::io::BatchSink;

/// Parquet page compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParquetCodec {
    /// zstd at a level 1–22.
    Zstd(i32),
    Snappy,
    Uncompressed,
}

/// Parquet writer settings.
#[derive(Debug, Clone)]
pub struct ParquetOptions {
    pub codec: ParquetCodec,
    /// Rows per row group.
    pub row_group_rows: usize,
    /// Buffered bytes per row group: a row group is also flushed once its column writers
    /// hold this much, so wide rows cannot pile up `row_group_rows` of them in memory.
    pub row_group_bytes: usize,
    /// Only PLAIN and dictionary encodings, for readers older than Spark 3.3. By default a
    /// text column of unique values (pseudonyms, timestamps) is written DELTA_LENGTH_BYTE_ARRAY:
    /// its lengths apart from its bytes, which compresses smaller and faster.
    pub legacy_encodings: bool,
    /// Key-value pairs written into the file's footer (who wrote it, from what).
    pub metadata: Vec<(String, String)>,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            codec: ParquetCodec::Zstd(1),
            row_group_rows: 128 * 1024,
            row_group_bytes: 64 << 20,
            legacy_encodings: false,
            metadata: Vec::new(),
        }
    }
}

/// Writes Parquet with zstd. Each column of a row group has its own encoder; a batch's
/// columns are encoded in parallel on the current rayon pool (the runner's), and finished
/// row groups are appended to the file in order.
///
/// Dictionary encoding is decided per text column from the first batch: the number of
/// distinct values in a row group is estimated from a sample, and a column expected to hold
/// more than an eighth of a row group's rows as distinct values (pseudonyms, timestamps,
/// masked cards, free text) is written plain, since a dictionary there costs more time than
/// it saves bytes ([`DICT_MAX_DISTINCT_SHARE`](super::dictionary::DICT_MAX_DISTINCT_SHARE)).
/// A column that repeats (cities, streets, statuses) gets a dictionary page large enough for
/// its estimate, so it does not fall back mid-chunk.
pub struct ParquetWriter<W: Write + Send> {
    state: State<W>,
    schema: SchemaRef,
    compression: Compression,
    row_group_rows: usize,
    row_group_bytes: usize,
    legacy_encodings: bool,
    metadata: Vec<(String, String)>,
}

enum State<W: Write + Send> {
    /// Not started: the file writer is created with the first batch.
    Pending(W),
    Open(Box<OpenFile<W>>),
    Failed,
}

struct OpenFile<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    columns: Vec<ArrowColumnWriter>,
    rows_in_group: usize,
    row_groups: usize,
}

impl<W: Write + Send> std::fmt::Debug for ParquetWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetWriter").field("row_group_rows", &self.row_group_rows).finish()
    }
}

/// Rows of the first batch looked at for the dictionary decision.
impl<W: Write + Send> ParquetWriter<W> {
    pub fn new(out: W, schema: SchemaRef, opts: &ParquetOptions) -> Result<Self, Error> {
        let compression = match opts.codec {
            ParquetCodec::Zstd(level) => Compression::ZSTD(
                ZstdLevel::try_new(level)
                    .map_err(|_| Error::new(ErrorKind::Option(format!("zstd level {level} is out of range 1-22"))))?,
            ),
            ParquetCodec::Snappy => Compression::SNAPPY,
            ParquetCodec::Uncompressed => Compression::UNCOMPRESSED,
        };
        Ok(ParquetWriter {
            state: State::Pending(out),
            schema,
            compression,
            row_group_rows: opts.row_group_rows.max(1),
            row_group_bytes: opts.row_group_bytes.max(1),
            legacy_encodings: opts.legacy_encodings,
            metadata: opts.metadata.clone(),
        })
    }

    fn open(&self, out: W, first: &RecordBatch) -> Result<OpenFile<W>, Error> {
        let mut builder = WriterProperties::builder()
            .set_compression(self.compression)
            .set_created_by(format!("importd {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata((!self.metadata.is_empty()).then(|| {
                self.metadata
                    .iter()
                    .map(|(k, v)| parquet::file::metadata::KeyValue::new(k.clone(), v.clone()))
                    .collect()
            }));
        for (field, array) in self.schema.fields().iter().zip(first.columns()) {
            let path = ColumnPath::from(field.name().as_str());
            match dictionary_plan(array, self.row_group_rows) {
                DictionaryPlan::Default => {}
                DictionaryPlan::Plain => {
                    // Tokens and unique text: a dictionary never pays off, and min/max statistics
                    // of random tokens help no reader (they only cost a comparison per value).
                    builder = builder
                        .set_column_dictionary_enabled(path.clone(), false)
                        .set_column_statistics_enabled(path.clone(), EnabledStatistics::None);
                    if !self.legacy_encodings {
                        builder = builder.set_column_encoding(path, Encoding::DELTA_LENGTH_BYTE_ARRAY);
                    }
                }
                DictionaryPlan::Dictionary { page_bytes } => {
                    builder = builder.set_column_dictionary_page_size_limit(path, page_bytes);
                }
            }
        }
        let mut props = builder.build();
        // Readers restore the exact Arrow types (e.g. timestamps without zone) from this.
        parquet::arrow::add_encoded_arrow_schema_to_metadata(&self.schema, &mut props);
        let props: WriterPropertiesPtr = Arc::new(props);
        let parquet_schema = ArrowSchemaConverter::new()
            .with_coerce_types(props.coerce_types())
            .convert(&self.schema)
            .map_err(parquet_err)?;
        let file = SerializedFileWriter::new(out, parquet_schema.root_schema_ptr(), props).map_err(parquet_err)?;
        let factory = ArrowRowGroupWriterFactory::new(&file, self.schema.clone());
        let columns = factory.create_column_writers(0).map_err(parquet_err)?;
        Ok(OpenFile { file, factory, columns, rows_in_group: 0, row_groups: 0 })
    }

    fn file(&mut self, first: &RecordBatch) -> Result<&mut OpenFile<W>, Error> {
        if let State::Pending(_) = self.state {
            let State::Pending(out) = std::mem::replace(&mut self.state, State::Failed) else { unreachable!() };
            self.state = State::Open(Box::new(self.open(out, first)?));
        }
        match &mut self.state {
            State::Open(f) => Ok(f),
            _ => Err(Error::new(ErrorKind::Output(OutputProblem::Parquet))),
        }
    }
}

impl<W: Write + Send> OpenFile<W> {
    fn write_slice(&mut self, schema: &SchemaRef, batch: &RecordBatch, limits: (usize, usize)) -> Result<(), Error> {
        let (row_group_rows, row_group_bytes) = limits;
        let mut leaves = Vec::with_capacity(self.columns.len());
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            leaves.extend(compute_leaves(field, array).map_err(parquet_err)?);
        }
        self.columns
            .par_iter_mut()
            .zip(leaves.par_iter())
            .try_for_each(|(w, leaf)| w.write(leaf))
            .map_err(parquet_err)?;
        self.rows_in_group += batch.num_rows();
        let buffered: usize = self.columns.iter().map(ArrowColumnWriter::memory_size).sum();
        if self.rows_in_group >= row_group_rows || buffered >= row_group_bytes {
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
        let schema = self.schema.clone();
        let (row_group_rows, row_group_bytes) = (self.row_group_rows, self.row_group_bytes);
        let file = self.file(batch)?;
        let mut offset = 0;
        loop {
            let room = row_group_rows - file.rows_in_group;
            let n = room.min(batch.num_rows() - offset);
            file.write_slice(&schema, &batch.slice(offset, n), (row_group_rows, row_group_bytes))?;
            offset += n;
            if offset >= batch.num_rows() {
                return Ok(());
            }
        }
    }

    fn finish(mut self: Box<Self>) -> Result<(), Error> {
        if let State::Pending(_) = self.state {
            let empty = RecordBatch::new_empty(self.schema.clone());
            self.file(&empty)?;
        }
        let State::Open(mut file) = std::mem::replace(&mut self.state, State::Failed) else {
            return Err(Error::new(ErrorKind::Output(OutputProblem::Parquet)));
        };
        file.flush_row_group()?;
        let mut w = file.file.into_inner().map_err(parquet_err)?;
        w.flush().map_err(|e| Error::new(ErrorKind::Output(OutputProblem::Io(e.kind()))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::ArrayRef;

    /// `rows` values drawn by a fixed linear congruential generator, `value(i)` each.
    fn column(rows: usize, value: impl Fn(u64) -> String) -> ArrayRef {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        Arc::new(arrow_array::StringArray::from_iter_values((0..rows).map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            value(x >> 33)
        })))
    }

    /// Encodings of each column chunk of a Parquet file written from `batch`.
    fn encodings(batch: &RecordBatch, legacy_encodings: bool) -> Vec<(String, Vec<parquet::basic::Encoding>)> {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let file = tempfile::tempfile().unwrap();
        let opts = ParquetOptions { legacy_encodings, ..ParquetOptions::default() };
        let mut w = Box::new(ParquetWriter::new(file.try_clone().unwrap(), batch.schema(), &opts).unwrap());
        w.write(batch).unwrap();
        w.finish().unwrap();
        let reader = SerializedFileReader::new(file).unwrap();
        let rg = reader.metadata().row_group(0);
        rg.columns().iter().map(|c| (c.column_path().string(), c.encodings().collect())).collect()
    }

    #[test]
    fn unique_text_is_delta_length_encoded_unless_legacy_encodings_are_asked_for() {
        use parquet::basic::Encoding;
        let tokens = column(8192, |r| format!("tok{r:x}"));
        let cities = column(8192, |r| ["Berlin", "Wien", "Zürich"][(r % 3) as usize].to_string());
        let batch = RecordBatch::try_from_iter([("token", tokens), ("city", cities)]).unwrap();
        let modern = encodings(&batch, false);
        assert!(modern[0].1.contains(&Encoding::DELTA_LENGTH_BYTE_ARRAY), "{modern:?}");
        assert!(modern[1].1.contains(&Encoding::RLE_DICTIONARY), "{modern:?}");
        let legacy = encodings(&batch, true);
        assert!(legacy.iter().all(|(_, e)| !e.contains(&Encoding::DELTA_LENGTH_BYTE_ARRAY)), "{legacy:?}");
        assert!(legacy[0].1.contains(&Encoding::PLAIN), "{legacy:?}");
    }
}
