//! JSON Lines: one object per line. Every scalar is read as text (`[types]` decides types,
//! as for CSV), nested objects become `a.b` columns, lists are refused naming the column
//! (`column N` when the key looks like data: JSON keys may be values). A line that is not a
//! JSON object is reported with its line number, never its content.
//!
//! **Two passes.** The columns are every key of the file, not of its first lines: a rule
//! plan is bound to the full header before the first row is read (so `unlisted = "keep"`,
//! `"drop"` and `"reject"` apply to a key first seen on line 5,001 as to one on line 1), and
//! a key missing from the header would be dropped silently. So the input is read twice: the
//! first pass (`keys`) collects the key paths in first-seen order, keeping nothing else, at
//! most `max_columns` of them; the second decodes batches with arrow-json against a schema
//! holding every key (a row without a key gives null; strict mode makes a key the first
//! pass did not see an error rather than a loss). A file is read again from its start, its
//! decompression started over with the same limits. A stream (stdin) cannot be read twice:
//! the first pass copies it, decompressed and decoded to UTF-8, to an anonymous temporary
//! file (`tempfile::tempfile`, in the system's temp dir, unlinked when created), which the
//! second pass reads. That spool holds the raw input, so it lives only as long as the
//! reader; disk use is the decompressed input's size, memory stays bounded by the batch.
//!
//! Rooms: `keys` (the first pass), `lines` (line splitting for both passes, the spool).

mod keys;
mod lines;

use std::io::Read;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchOptions, StringArray};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use arrow_json::reader::Decoder;
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use self::keys::Keys;
use self::lines::{utf8, Line, Lines, Spooling};
use super::nested::flatten;
use super::source::decoded_reader;
use super::{BatchSource, InputBatch, SourceOptions};
use crate::detect::ColumnLabels;
use crate::error::{Error, ErrorKind, InputProblem};
use crate::rule::InputOptions;

/// The input again, for the second pass.
pub(crate) enum Replay {
    /// A file: opens it again from its start (decompressing again, within the same limits).
    Reopen(Box<dyn FnOnce() -> Result<Box<dyn Read + Send>, Error> + Send>),
    /// A stream: the first pass spools it to a temporary file.
    Spool,
}

/// Batches of a JSON Lines input.
pub struct JsonlSource {
    lines: Lines<Box<dyn Read + Send>>,
    decoder: Decoder,
    /// The flattened columns, keys trimmed as `[input] trim_headers` says.
    flat: SchemaRef,
    batch_size: usize,
    batch_bytes: usize,
    null_values: Vec<String>,
    text: Vec<u8>,
    rows: u64,
    done: bool,
}

impl std::fmt::Debug for JsonlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonlSource").field("columns", &self.flat.fields().len()).field("rows", &self.rows).finish()
    }
}

fn problem(p: InputProblem) -> Error {
    Error::new(ErrorKind::Input { path: None, problem: p })
}

impl JsonlSource {
    /// Reads `src` (the input, decompressed) once for its keys, then opens it again through
    /// `replay` for the rows. `input.encoding` should be resolved (`Auto` sniffs each pass).
    pub(crate) fn open(
        src: Box<dyn Read + Send>,
        replay: Replay,
        input: &InputOptions,
        so: &SourceOptions,
    ) -> Result<Self, Error> {
        let mut keys = Keys::new(so.max_columns, input.trim_headers).with_key_bytes(so.max_line_bytes);
        let text = decoded_reader(src, input.encoding);
        let again: Box<dyn Read + Send> = match replay {
            Replay::Reopen(reopen) => {
                collect_keys(Lines::new(text, so.max_line_bytes), &mut keys)?;
                decoded_reader(reopen()?, input.encoding)
            }
            Replay::Spool => {
                let spooled = collect_keys(Lines::new(Spooling::new(text)?, so.max_line_bytes), &mut keys)?;
                // Already decoded: read as it is.
                Box::new(spooled.replay()?)
            }
        };
        let names = keys.columns().map_err(problem)?;
        check_names(&names)?;
        let schema = Arc::new(Schema::new(keys.fields()));
        let flat = Arc::new(Schema::new(names.iter().map(|n| Field::new(n, DataType::Utf8, true)).collect::<Vec<_>>()));
        // Every row holds every column (an offset and a null bit, and the decoder's tape
        // position), however few keys its line has: many keys mean fewer rows a batch.
        let per_row = 16 * names.len().max(1);
        let batch_size = so.batch_size.min(so.batch_bytes / per_row).max(1);
        let decoder = arrow_json::ReaderBuilder::new(schema)
            .with_batch_size(batch_size)
            .with_coerce_primitive(true)
            .with_strict_mode(true)
            .build_decoder()
            .map_err(|_| problem(InputProblem::Json { line: 1 }))?;
        Ok(JsonlSource {
            lines: Lines::new(again, so.max_line_bytes),
            decoder,
            flat,
            batch_size,
            batch_bytes: so.batch_bytes.max(1),
            null_values: input.null_values.clone(),
            text: Vec::new(),
            rows: 0,
            done: false,
        })
    }

    pub fn header(&self) -> Vec<String> {
        self.flat.fields().iter().map(|f| f.name().clone()).collect()
    }
}

/// The first pass: every line's keys into `keys`; gives the reader back at its end.
fn collect_keys<R: Read>(mut lines: Lines<R>, keys: &mut Keys) -> Result<R, Error> {
    let mut buf = Vec::new();
    while let Some(at) = lines.next_into(&mut buf)? {
        keys.add_line(utf8(&buf, at)?, at.number).map_err(problem)?;
        buf.clear();
    }
    Ok(lines.into_inner())
}

/// Every column named, and no name twice (trimmed keys, or a key `a.b` beside an object `a`
/// holding `b`, can collide). A name that looks like data is shown as `column N`.
fn check_names(names: &[String]) -> Result<(), Error> {
    if names.is_empty() {
        return Err(problem(InputProblem::Empty));
    }
    if let Some(i) = names.iter().position(String::is_empty) {
        return Err(problem(InputProblem::EmptyColumnName { index: i + 1 }));
    }
    let mut seen = std::collections::HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        if let Some(first) = seen.insert(n.as_str(), i) {
            let name = ColumnLabels::new(names).label(first).into_owned();
            return Err(problem(InputProblem::DuplicateColumn { name, first: first + 1, second: i + 1 }));
        }
    }
    Ok(())
}

/// The number of the first line in `text` (lines numbered by `lines`) that is not a JSON
/// object; the first line when each is (arrow-json refused the batch for another reason).
fn bad_line(text: &[u8], lines: &[u64]) -> u64 {
    let first = lines.first().copied().unwrap_or(1);
    text.split(|b| *b == b'\n')
        .zip(lines)
        .find(|(l, _)| !matches!(serde_json::from_slice::<serde_json::Value>(l), Ok(serde_json::Value::Object(_))))
        .map_or(first, |(_, n)| *n)
}

impl BatchSource for JsonlSource {
    fn schema(&self) -> SchemaRef {
        self.flat.clone()
    }

    fn bytes_read(&self) -> u64 {
        self.lines.bytes()
    }

    fn next_batch(&mut self) -> Result<Option<InputBatch>, Error> {
        if self.done {
            return Ok(None);
        }
        // A batch ends at a row count or a byte size, whichever comes first.
        self.text.clear();
        let mut lines = Vec::with_capacity(self.batch_size.min(1 << 16));
        while lines.len() < self.batch_size && self.text.len() < self.batch_bytes {
            match self.lines.next_into(&mut self.text)? {
                Some(Line { number, .. }) => lines.push(number),
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let text = &self.text;
        let bad = || problem(InputProblem::Json { line: bad_line(text, &lines) });
        let consumed = self.decoder.decode(text).map_err(|_| bad())?;
        let batch = self.decoder.flush().map_err(|_| bad())?;
        if consumed != text.len() {
            return Err(bad());
        }
        let Some(batch) = batch else { return Ok(None) };
        let batch = flatten(&batch).map_err(problem)?;
        let batch = named_with_nulls(&batch, &self.flat, &self.null_values)?;
        let first = self.rows;
        self.rows += batch.num_rows() as u64;
        // The larger of the text and its columns (a line of one key still costs every column).
        let bytes = (text.len() as u64).max(batch.get_array_memory_size() as u64);
        Ok(Some(InputBatch::ready(batch, first, lines).with_bytes(bytes)))
    }
}

/// The flattened batch under the header's names (trimmed keys), text cells equal to a
/// configured null value made null (JSON `null` already is).
fn named_with_nulls(batch: &RecordBatch, flat: &SchemaRef, null_values: &[String]) -> Result<RecordBatch, Error> {
    let broken = || problem(InputProblem::Corrupt { what: "JSON Lines batch (its columns do not match the keys)" });
    let columns =
        batch.columns().iter().map(|a| with_nulls(a, null_values).ok_or_else(broken)).collect::<Result<_, _>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(flat.clone(), columns, &options).map_err(|_| broken())
}

/// `a` with its cells equal to a null value made null; its text buffers are shared, not copied.
fn with_nulls(a: &ArrayRef, null_values: &[String]) -> Option<ArrayRef> {
    let Some(s) = a.as_any().downcast_ref::<StringArray>() else { return Some(a.clone()) };
    let is_null_value = |v: &str| null_values.iter().any(|n| n == v);
    if !s.iter().any(|v| v.is_some_and(is_null_value)) {
        return Some(a.clone());
    }
    let valid = BooleanBuffer::collect_bool(s.len(), |i| s.is_valid(i) && !is_null_value(s.value(i)));
    let (offsets, values, _) = s.clone().into_parts();
    StringArray::try_new(offsets, values, Some(NullBuffer::new(valid))).ok().map(|s| Arc::new(s) as ArrayRef)
}
