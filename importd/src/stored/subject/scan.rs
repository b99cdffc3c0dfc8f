//! Reading a stored Parquet output with the parquet crate, finding the rows that hold the
//! subject's stored forms, and writing the same file without them (same schema, same footer
//! metadata, the daemon's Parquet settings).

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

use anonymizer_core::io::{BatchSink, ParquetOptions, ParquetWriter};
use arrow_array::{BooleanArray, RecordBatch};
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::bounds;
use super::forms::{texts, Search};

/// The footer key that names the key an output was written under.
pub const KEY_ID: &str = "importd.key_id";

/// An opened output: its schema, its footer metadata and a reader of its rows.
#[derive(Debug)]
pub struct Opened {
    pub schema: SchemaRef,
    /// The footer's key-value metadata, without the Arrow schema the writer adds itself.
    pub metadata: Vec<(String, String)>,
    pub reader: ParquetRecordBatchReader,
}

impl Opened {
    pub fn key_id(&self) -> Option<&str> {
        self.metadata.iter().find(|(k, _)| k == KEY_ID).map(|(_, v)| v.as_str())
    }
}

/// Opens a Parquet file from its start.
pub fn open(file: &File) -> Result<Opened, String> {
    let mut f = file.try_clone().map_err(|e| format!("it cannot be read ({})", e.kind()))?;
    f.seek(SeekFrom::Start(0)).map_err(|e| format!("it cannot be read ({})", e.kind()))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(f).map_err(|_| "it is not a readable Parquet file".to_string())?;
    let metadata = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .filter(|k| k.key != "ARROW:schema")
                .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(|_| "it is not a readable Parquet file".to_string())?;
    Ok(Opened { schema, metadata, reader })
}

/// How a row matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    No,
    /// Through a one-to-one stored form (or a token in free text): the subject's row.
    Sure,
    /// Only through a many-to-one stored form (fake, noise, shift_date): maybe another's.
    Ambiguous,
}

/// What to look for, per column of one file: stored forms equal to the cell, or inside it.
#[derive(Debug, Default)]
pub struct Matcher {
    /// (column index, exact forms, forms inside the text, many-to-one)
    columns: Vec<(usize, HashSet<String>, Vec<String>, bool)>,
    /// Erase removes rows matched only through a many-to-one column too.
    pub include_ambiguous: bool,
}

/// Rows found in one file: through one-to-one forms, and only through many-to-one ones.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub sure: u64,
    pub ambiguous: u64,
}

impl Found {
    pub fn total(&self) -> u64 {
        self.sure + self.ambiguous
    }
}

impl Matcher {
    pub fn add(&mut self, column: usize, how: &Search, form: String, ambiguous: bool) {
        let at = match self.columns.iter().position(|(c, ..)| *c == column) {
            Some(i) => i,
            None => {
                self.columns.push((column, HashSet::new(), Vec::new(), ambiguous));
                self.columns.len() - 1
            }
        };
        let entry = &mut self.columns[at];
        match how {
            Search::Exact => {
                entry.1.insert(form);
            }
            Search::Within if !entry.2.contains(&form) => entry.2.push(form),
            _ => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The columns searched, by index.
    pub fn searched(&self) -> BTreeSet<usize> {
        self.columns.iter().map(|(c, ..)| *c).collect()
    }

    /// How each row of `batch` matched.
    pub fn rows(&self, batch: &RecordBatch) -> Result<Vec<Hit>, String> {
        let mut hit = vec![Hit::No; batch.num_rows()];
        for (c, exact, within, ambiguous) in &self.columns {
            let Some(col) = batch.columns().get(*c) else { continue };
            for (i, cell) in texts(col)?.into_iter().enumerate() {
                let Some(cell) = cell else { continue };
                if exact.contains(&cell) || within.iter().any(|w| bounds::within(&cell, w)) {
                    hit[i] = match (hit[i], ambiguous) {
                        (Hit::Sure, _) | (_, false) => Hit::Sure,
                        _ => Hit::Ambiguous,
                    };
                }
            }
        }
        Ok(hit)
    }

    /// Whether an erasure removes a row that matched so.
    pub fn removes(&self, hit: Hit) -> bool {
        hit == Hit::Sure || (hit == Hit::Ambiguous && self.include_ambiguous)
    }
}

/// Counts the matching rows of an opened file, handing each matching row's batch slice (and
/// whether it matched only through a many-to-one column) to `each`.
pub fn count(
    opened: Opened,
    m: &Matcher,
    mut each: impl FnMut(&RecordBatch, bool) -> Result<(), String>,
) -> Result<Found, String> {
    let mut n = Found::default();
    for batch in opened.reader {
        let batch = batch.map_err(|_| "a row group cannot be read".to_string())?;
        for (i, hit) in m.rows(&batch)?.into_iter().enumerate() {
            match hit {
                Hit::No => continue,
                Hit::Sure => n.sure += 1,
                Hit::Ambiguous => n.ambiguous += 1,
            }
            each(&batch.slice(i, 1), hit == Hit::Ambiguous)?;
        }
    }
    Ok(n)
}

/// Writes `opened`'s rows that `m` does not match into `out` with the same schema and footer
/// metadata; returns the rows left out. `out` is fsynced.
pub fn write_without(opened: Opened, m: &Matcher, out: &File, parquet: &ParquetOptions) -> Result<u64, String> {
    let mut opts = parquet.clone();
    opts.metadata = opened.metadata.clone();
    let writer = out.try_clone().map_err(|e| format!("the new file cannot be written ({})", e.kind()))?;
    let mut sink: Box<dyn BatchSink> = Box::new(
        ParquetWriter::new(BufWriter::with_capacity(1 << 20, writer), opened.schema.clone(), &opts)
            .map_err(|e| format!("the new file cannot be written ({e})"))?,
    );
    let mut removed = 0;
    for batch in opened.reader {
        let batch = batch.map_err(|_| "a row group cannot be read".to_string())?;
        let hits = m.rows(&batch)?;
        let gone: Vec<bool> = hits.into_iter().map(|h| m.removes(h)).collect();
        removed += gone.iter().filter(|g| **g).count() as u64;
        let keep = BooleanArray::from(gone.into_iter().map(|g| !g).collect::<Vec<_>>());
        let kept = arrow_select::filter::filter_record_batch(&batch, &keep)
            .map_err(|_| "the rows cannot be filtered".to_string())?;
        if kept.num_rows() > 0 {
            sink.write(&kept).map_err(|e| format!("the new file cannot be written ({e})"))?;
        }
    }
    sink.finish().map_err(|e| format!("the new file cannot be written ({e})"))?;
    let mut f = out.try_clone().map_err(|e| format!("the new file cannot be written ({})", e.kind()))?;
    f.flush().and_then(|()| f.sync_all()).map_err(|e| format!("the new file cannot be made durable ({})", e.kind()))?;
    Ok(removed)
}
