//! The Parquet writer: one encoder per column of a row group, each fed in batch order
//! through its lane on the current rayon pool, finished row groups appended in order.

use std::io::Write;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_writer::{compute_leaves, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowSchemaConverter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesPtr, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;

use super::dictionary::{dictionary_plan, statistics_pay, DictionaryPlan};
use super::lanes::Lanes;
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
    /// Only PLAIN and dictionary encodings in data pages v1, for readers older than Spark 3.4
    /// (whose vectorized reader refused a column of DELTA_LENGTH_BYTE_ARRAY alone, SPARK-40128).
    /// By default a text column of unique values (pseudonyms, timestamps) is written
    /// DELTA_LENGTH_BYTE_ARRAY (its lengths apart from its bytes, which compresses smaller and
    /// faster), in data pages v2 (whose values are compressed without being copied first).
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

/// Writes Parquet with zstd. Each column of a row group has its own encoder, fed in batch
/// order through its lane (`lanes.rs`) on the current rayon pool (the runner's), without a
/// barrier between batches; finished row groups are appended to the file in order.
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
    columns: Lanes,
    rows_in_group: usize,
    /// Arrow bytes of the slices written into the row group: once they reach
    /// `row_group_bytes`, the encoders' exact size is read after every batch (at a barrier).
    bytes_in_group: usize,
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
            // Data pages v2 compress the values straight from the encoder's buffer; v1 pages
            // first copy them into one buffer with the levels, then grow the compressed buffer
            // by a copy of its whole capacity (parquet 59): two copies of every page saved.
            .set_writer_version(match self.legacy_encodings {
                false => WriterVersion::PARQUET_2_0,
                true => WriterVersion::PARQUET_1_0,
            })
            // The version also picks the encodings nobody chose (v2: RLE booleans, delta
            // integers and DELTA_BYTE_ARRAY text once a dictionary overflows): PLAIN as in v1,
            // which every reader reads; the encodings chosen are set per column below.
            .set_encoding(Encoding::PLAIN)
            .set_created_by(format!("importd {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata((!self.metadata.is_empty()).then(|| {
                self.metadata
                    .iter()
                    .map(|(k, v)| parquet::file::metadata::KeyValue::new(k.clone(), v.clone()))
                    .collect()
            }));
        for (field, array) in self.schema.fields().iter().zip(first.columns()) {
            let path = ColumnPath::from(field.name().as_str());
            if !statistics_pay(array) {
                // Values in no order (tokens, names): min/max of a row group span the whole
                // column, so they help no reader and only cost two comparisons per value.
                builder = builder.set_column_statistics_enabled(path.clone(), EnabledStatistics::None);
            }
            match dictionary_plan(array, self.row_group_rows) {
                DictionaryPlan::Default => {}
                DictionaryPlan::Plain => {
                    // Tokens and unique text: a dictionary never pays off.
                    builder = builder.set_column_dictionary_enabled(path.clone(), false);
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
        let columns = Lanes::new(factory.create_column_writers(0).map_err(parquet_err)?);
        Ok(OpenFile { file, factory, columns, rows_in_group: 0, bytes_in_group: 0, row_groups: 0 })
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
    /// Hands a slice of a batch to the encoders; returns its Arrow bytes.
    fn write_slice(&mut self, schema: &SchemaRef, batch: &RecordBatch, limits: (usize, usize)) -> Result<usize, Error> {
        let (row_group_rows, row_group_bytes) = limits;
        let mut leaves = Vec::with_capacity(batch.num_columns());
        let mut bytes = 0;
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            let size = array.to_data().get_slice_memory_size().unwrap_or_else(|_| array.get_array_memory_size());
            let of_field = compute_leaves(field, array).map_err(parquet_err)?;
            let each = size / of_field.len().max(1);
            leaves.extend(of_field.into_iter().map(|l| (l, each)));
            bytes += size;
        }
        self.columns.feed(leaves);
        self.rows_in_group += batch.num_rows();
        self.bytes_in_group += bytes;
        if self.rows_in_group >= row_group_rows {
            return self.flush_row_group().map(|()| bytes);
        }
        // The encoders hold no more than the Arrow bytes written into them (their pages are
        // compressed, their dictionaries hold each value once), so only past that is the
        // exact size worth a wait for every lane: the cut the encoders' size after every
        // batch gave, and never dependent on timing.
        if self.bytes_in_group >= row_group_bytes {
            self.columns.wait(0).map_err(parquet_err)?;
            if self.columns.memory_size() >= row_group_bytes {
                return self.flush_row_group().map(|()| bytes);
            }
        }
        Ok(bytes)
    }

    fn flush_row_group(&mut self) -> Result<(), Error> {
        if self.rows_in_group == 0 {
            return Ok(());
        }
        self.row_groups += 1;
        let next = Lanes::new(self.factory.create_column_writers(self.row_groups).map_err(parquet_err)?);
        let writers = std::mem::replace(&mut self.columns, next).into_writers().map_err(parquet_err)?;
        let chunks = writers.into_par_iter().map(|w| w.close()).collect::<Result<Vec<_>, _>>().map_err(parquet_err)?;
        let mut group = self.file.next_row_group().map_err(parquet_err)?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group).map_err(parquet_err)?;
        }
        group.close().map_err(parquet_err)?;
        self.rows_in_group = 0;
        self.bytes_in_group = 0;
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
            let bytes = file.write_slice(&schema, &batch.slice(offset, n), (row_group_rows, row_group_bytes))?;
            offset += n;
            if offset >= batch.num_rows() {
                // Slices of up to one batch's bytes may still be encoding when the next
                // batch arrives: the slowest column no longer holds up the others.
                return file.columns.wait(bytes.max(1)).map_err(parquet_err);
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
        // `finish` keeps the kind of an I/O error in flushing the footer (a full disk stays
        // a full disk); `into_inner` would turn it into a generic Parquet error.
        file.file.finish().map_err(parquet_err)?;
        file.file.inner_mut().flush().map_err(|e| Error::new(ErrorKind::Output(OutputProblem::Io(e.kind()))))
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

    /// Encodings of each column chunk of a Parquet file written from `batch`, and the kinds of
    /// its pages.
    fn encodings(batches: &[RecordBatch], legacy_encodings: bool) -> Encodings {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let file = tempfile::tempfile().unwrap();
        let opts = ParquetOptions { legacy_encodings, ..ParquetOptions::default() };
        let mut w = Box::new(ParquetWriter::new(file.try_clone().unwrap(), batches[0].schema(), &opts).unwrap());
        for batch in batches {
            w.write(batch).unwrap();
        }
        w.finish().unwrap();
        let reader = SerializedFileReader::new(file).unwrap();
        let rg = reader.metadata().row_group(0);
        let encodings = rg.columns().iter().map(|c| (c.column_path().string(), c.encodings().collect())).collect();
        let group = reader.get_row_group(0).unwrap();
        let pages = (0..rg.num_columns())
            .map(|i| {
                group.get_column_page_reader(i).unwrap().map(|p| p.unwrap()).map(|p| (p.page_type(), p.encoding()))
            })
            .map(|pages| pages.filter(|(t, _)| *t != parquet::basic::PageType::DICTIONARY_PAGE).collect())
            .collect();
        (encodings, pages)
    }

    /// Each column's encodings, and the kind and encoding of each of its data pages.
    type Encodings =
        (Vec<(String, Vec<parquet::basic::Encoding>)>, Vec<Vec<(parquet::basic::PageType, parquet::basic::Encoding)>>);

    /// A disk that is full from the first byte on.
    struct FullDisk;

    impl Write for FullDisk {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::StorageFull.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_under_a_small_file_is_reported_as_a_full_disk() {
        // A file smaller than the writer's own buffer fails only when its footer is flushed:
        // the daemon retries a full disk later but quarantines a file the encoder refused.
        let batch = RecordBatch::try_from_iter([("id", column(20, |r| format!("{r}")))]).unwrap();
        let mut w = Box::new(ParquetWriter::new(FullDisk, batch.schema(), &ParquetOptions::default()).unwrap());
        w.write(&batch).unwrap();
        let err = w.finish().expect_err("a full disk was not reported");
        assert!(matches!(err.kind(), ErrorKind::Output(OutputProblem::Io(std::io::ErrorKind::StorageFull))), "{err:?}");
    }

    #[test]
    fn unique_text_is_delta_length_encoded_in_v2_pages_unless_legacy_encodings_are_asked_for() {
        use parquet::basic::{Encoding, PageType};
        let tokens = column(8192, |r| format!("tok{r:x}"));
        let cities = column(8192, |r| ["Berlin", "Wien", "Zürich"][(r % 3) as usize].to_string());
        let flags: ArrayRef = Arc::new(arrow_array::BooleanArray::from_iter((0..8192).map(|i| Some(i % 3 == 0))));
        let batch = RecordBatch::try_from_iter([("token", tokens), ("city", cities), ("flag", flags)]).unwrap();
        let (modern, pages) = encodings(std::slice::from_ref(&batch), false);
        assert!(modern[0].1.contains(&Encoding::DELTA_LENGTH_BYTE_ARRAY), "{modern:?}");
        assert!(modern[1].1.contains(&Encoding::RLE_DICTIONARY), "{modern:?}");
        assert!(pages.iter().flatten().all(|(t, _)| *t == PageType::DATA_PAGE_V2), "{pages:?}");
        // Nobody chose the booleans' encoding: PLAIN, as in v1 pages, not v2's default RLE.
        assert!(pages[2].iter().all(|(_, e)| *e == Encoding::PLAIN), "{pages:?}");
        let (legacy, pages) = encodings(std::slice::from_ref(&batch), true);
        assert!(legacy.iter().all(|(_, e)| !e.contains(&Encoding::DELTA_LENGTH_BYTE_ARRAY)), "{legacy:?}");
        assert!(legacy[0].1.contains(&Encoding::PLAIN), "{legacy:?}");
        assert!(pages.iter().flatten().all(|(t, _)| *t == PageType::DATA_PAGE), "{pages:?}");
        assert!(pages[2].iter().all(|(_, e)| *e == Encoding::PLAIN), "{pages:?}");
    }

    #[test]
    fn statistics_are_written_for_ordered_text_and_numbers_only() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::file::statistics::Statistics;
        // Tokens and cities in no order, dates rising, amounts in no order (not text).
        let tokens = column(8192, |r| format!("{r:016x}"));
        let cities = column(8192, |r| ["Berlin", "Wien", "Zürich"][(r % 3) as usize].to_string());
        let dates: ArrayRef = Arc::new(arrow_array::StringArray::from_iter_values(
            (0..8192).map(|i| format!("2024-{:02}-{:02}", 1 + i / 700, 1 + i % 28)),
        ));
        let amounts: ArrayRef =
            Arc::new(arrow_array::Int64Array::from_iter_values((0..8192).map(|i| (i * 7919) % 1000)));
        // Unique and rising (written without a dictionary): log timestamps.
        let times: ArrayRef = Arc::new(arrow_array::StringArray::from_iter_values(
            (0..8192).map(|i| format!("2024-03-01T{:02}:{:02}:{:02}.{:03}Z", i / 3600, i / 60 % 60, i % 60, i % 1000)),
        ));
        let batch = RecordBatch::try_from_iter([
            ("token", tokens),
            ("city", cities),
            ("day", dates),
            ("amount", amounts),
            ("at", times),
        ])
        .unwrap();
        let text = |s: &Statistics| match s {
            Statistics::ByteArray(s) => (
                s.min_opt().map(|v| v.as_utf8().unwrap().to_string()),
                s.max_opt().map(|v| v.as_utf8().unwrap().to_string()),
            ),
            other => panic!("{other:?}"),
        };
        for legacy_encodings in [false, true] {
            let file = tempfile::tempfile().unwrap();
            let opts = ParquetOptions { legacy_encodings, ..ParquetOptions::default() };
            let mut w = Box::new(ParquetWriter::new(file.try_clone().unwrap(), batch.schema(), &opts).unwrap());
            w.write(&batch).unwrap();
            w.finish().unwrap();
            let reader = SerializedFileReader::new(file).unwrap();
            let chunks = reader.metadata().row_group(0).columns();
            assert!(chunks[0].statistics().is_none(), "{:?}", chunks[0].statistics());
            assert!(chunks[1].statistics().is_none(), "{:?}", chunks[1].statistics());
            let day = chunks[2].statistics().expect("the rising dates lost their statistics");
            assert_eq!(text(day), (Some("2024-01-01".into()), Some("2024-12-28".into())));
            match chunks[3].statistics() {
                Some(Statistics::Int64(s)) => assert_eq!((s.min_opt(), s.max_opt()), (Some(&0), Some(&999))),
                other => panic!("the numbers lost their statistics: {other:?}"),
            }
            let at = chunks[4].statistics().expect("the rising timestamps lost their statistics");
            assert_eq!(text(at), (Some("2024-03-01T00:00:00.000Z".into()), Some("2024-03-01T02:16:31.191Z".into())));
            let dictionary = chunks[4].encodings().any(|e| e == parquet::basic::Encoding::RLE_DICTIONARY);
            assert!(!dictionary, "the unique timestamps were given a dictionary");
            // Readers skip by the column index too: none is written for columns without statistics.
            assert!(chunks[0].column_index_offset().is_none() && chunks[2].column_index_offset().is_some());
        }
    }

    #[test]
    fn a_dictionary_that_overflows_falls_back_to_plain_in_v2_pages_too() {
        use parquet::basic::Encoding;
        // Repeating values get a dictionary sized for the first batch's estimate; values that
        // turn unique after it overflow it, and the rest of the chunk is written without.
        let repeating = column(8192, |r| format!("city{}", r % 16));
        let unique = column(65_536, |r| format!("a fairly long value, nearly always unique: {r:020}"));
        let schema = Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
            "c",
            arrow_schema::DataType::Utf8,
            true,
        )]));
        let batches = [repeating, unique].map(|c| RecordBatch::try_new(schema.clone(), vec![c]).unwrap());
        let (_, pages) = encodings(&batches, false);
        let data_pages: Vec<Encoding> = pages[0].iter().map(|(_, e)| *e).collect();
        assert!(data_pages.contains(&Encoding::RLE_DICTIONARY), "{data_pages:?}");
        assert!(data_pages.contains(&Encoding::PLAIN), "no fallback happened: {data_pages:?}");
        assert!(!data_pages.contains(&Encoding::DELTA_BYTE_ARRAY), "{data_pages:?}");
    }

    fn in_file(bytes: &[u8]) -> std::fs::File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    /// `batches` written with `opts` on a rayon pool of `threads`, the file's bytes.
    fn written(batches: &[RecordBatch], opts: &ParquetOptions, threads: usize) -> Vec<u8> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut w = Box::new(ParquetWriter::new(Vec::new(), batches[0].schema(), opts).unwrap());
            for b in batches {
                w.write(b).unwrap();
            }
            let State::Open(mut file) = std::mem::replace(&mut w.state, State::Failed) else { panic!("not open") };
            file.flush_row_group().unwrap();
            file.file.into_inner().unwrap()
        })
    }

    /// `n` batches of a cheap id column beside a slow free-text one.
    fn notes_batches(n: usize) -> Vec<RecordBatch> {
        (0..n)
            .map(|b| {
                let rows = 500 + b * 37;
                let text = column(rows, |r| format!("{b}: {}", "free text ".repeat((r % 40) as usize)));
                let ids = Arc::new(arrow_array::StringArray::from_iter_values((0..rows).map(|i| format!("{b}-{i}"))));
                RecordBatch::try_from_iter([("id", ids as ArrayRef), ("notes", text)]).unwrap()
            })
            .collect()
    }

    /// Attack: a file dropped unfinished (its import failed elsewhere) while its lanes still
    /// hold slices: nothing hangs or aborts, and the pool goes on to write the next file.
    #[test]
    fn a_writer_dropped_with_slices_still_queued_neither_hangs_nor_aborts() {
        let batches = notes_batches(30);
        let opts = ParquetOptions::default();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        pool.install(|| {
            let mut w = Box::new(ParquetWriter::new(Vec::new(), batches[0].schema(), &opts).unwrap());
            for b in &batches {
                w.write(b).unwrap();
            }
            drop(w);
        });
        let again = pool.install(|| written(&batches, &opts, 2));
        assert!(again == written(&batches, &opts, 1), "the next file is written as usual");
    }

    /// Many batches of a slow free-text column beside cheap ones: each column's lane encodes
    /// its slices in batch order whatever the other lanes do, so the rows read back are the
    /// rows written, in order, and the bytes do not depend on the number of threads.
    #[test]
    fn lanes_keep_every_column_in_batch_order_and_the_bytes_do_not_depend_on_threads() {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let batches = notes_batches(40);
        let opts = ParquetOptions { row_group_rows: 3000, ..ParquetOptions::default() };
        let one = written(&batches, &opts, 1);
        for threads in [2, 4] {
            assert!(written(&batches, &opts, threads) == one, "{threads} threads wrote other bytes");
        }
        let reader = ParquetRecordBatchReaderBuilder::try_new(in_file(&one)).unwrap();
        assert!(reader.metadata().num_row_groups() > 5);
        let back: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
        let back = arrow_select::concat::concat_batches(&back[0].schema(), &back).unwrap();
        let sent = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap();
        assert_eq!(back, sent);
    }

    /// A row group ends once the slices written into it hold `row_group_bytes` of Arrow
    /// data, so wide rows cannot pile up `row_group_rows` of them in the encoders.
    #[test]
    fn wide_rows_end_a_row_group_at_its_byte_limit() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let wide = column(64, |r| format!("{r}{}", "x".repeat(100_000)));
        let batch = RecordBatch::try_from_iter([("wide", wide)]).unwrap();
        let opts = ParquetOptions { row_group_bytes: 1 << 20, ..ParquetOptions::default() };
        let file = written(&[batch.clone(), batch], &opts, 2);
        let reader = SerializedFileReader::new(in_file(&file)).unwrap();
        let groups: Vec<i64> = reader.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
        // 64 rows of ≈ 100 kB are ≈ 6.4 MB: each batch is one row group of its own.
        assert_eq!(groups, vec![64, 64]);
    }
}
