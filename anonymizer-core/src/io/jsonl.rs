//! JSON Lines: one object per line. The schema is inferred from the first 64 KiB; every
//! scalar is read as text (`[types]` decides types, as for CSV), nested objects become `a.b`
//! columns, lists are refused naming the column (`column N` when the key looks like data:
//! JSON keys may be values). A line that is not a JSON object is reported with its line
//! number, never its content.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use arrow_json::reader::Decoder;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};

use super::nested::{flat_schema, flatten};
use super::source::from_io;
use super::{BatchSource, InputBatch};
use crate::error::{Error, ErrorKind, InputProblem};

/// Batches of a JSON Lines input.
pub struct JsonlSource {
    src: BufReader<Box<dyn Read + Send>>,
    decoder: Decoder,
    flat: SchemaRef,
    batch_size: usize,
    max_line_bytes: usize,
    null_values: Vec<String>,
    line: u64,
    rows: u64,
    done: bool,
}

fn problem(p: InputProblem) -> Error {
    Error::new(ErrorKind::Input { path: None, problem: p })
}

/// The inferred schema with every scalar as text. Lists stay lists, for `flat_schema` to
/// refuse once the columns are in file order (it names a column by its position there when
/// the key looks like data).
fn as_text(fields: &Fields) -> Fields {
    fields
        .iter()
        .map(|f| match f.data_type() {
            DataType::Struct(children) => Arc::new(Field::new(f.name(), DataType::Struct(as_text(children)), true)),
            DataType::List(_) | DataType::LargeList(_) => f.clone(),
            _ => Arc::new(Field::new(f.name(), DataType::Utf8, true)),
        })
        .collect()
}

impl JsonlSource {
    /// `head` is the input's first bytes (still part of `src`), used to infer the schema.
    pub fn new(
        src: Box<dyn Read + Send>,
        head: &[u8],
        so: &super::SourceOptions,
        null_values: &[String],
    ) -> Result<Self, Error> {
        let batch_size = so.batch_size.max(1);
        // Only complete lines of the sample.
        let end = head.iter().rposition(|b| *b == b'\n').map_or(head.len(), |i| i + 1);
        let sample = &head[..end];
        let (inferred, _) =
            arrow_json::reader::infer_json_schema(std::io::Cursor::new(sample), None).map_err(|_| {
                let line = first_bad_line(sample, 1).unwrap_or(1);
                problem(InputProblem::Json { line })
            })?;
        let fields = in_file_order(&as_text(inferred.fields()), &key_order(sample), "");
        if fields.is_empty() {
            return Err(problem(InputProblem::Empty));
        }
        let schema = Arc::new(Schema::new(fields));
        let flat = flat_schema(&schema).map_err(problem)?;
        let decoder = arrow_json::ReaderBuilder::new(schema)
            .with_batch_size(batch_size)
            .with_coerce_primitive(true)
            .build_decoder()
            .map_err(|_| problem(InputProblem::Json { line: 1 }))?;
        Ok(JsonlSource {
            src: BufReader::with_capacity(1 << 20, src),
            decoder,
            flat,
            batch_size,
            max_line_bytes: so.max_line_bytes,
            null_values: null_values.iter().filter(|v| !v.is_empty()).cloned().collect(),
            line: 0,
            rows: 0,
            done: false,
        })
    }

    pub fn header(&self) -> Vec<String> {
        self.flat.fields().iter().map(|f| f.name().clone()).collect()
    }
}

/// Each key path (`a`, `a.b`) → the position it first appears at in the sample's objects.
fn key_order(sample: &[u8]) -> std::collections::HashMap<String, usize> {
    fn walk(v: &serde_json::Value, prefix: &str, order: &mut std::collections::HashMap<String, usize>) {
        if let serde_json::Value::Object(m) = v {
            for (k, child) in m {
                let path = format!("{prefix}{k}");
                let next = order.len();
                order.entry(path.clone()).or_insert(next);
                walk(child, &format!("{path}."), order);
            }
        }
    }
    let mut order = std::collections::HashMap::new();
    for line in sample.split(|b| *b == b'\n') {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) {
            walk(&v, "", &mut order);
        }
    }
    order
}

/// The inferred fields (which arrive sorted by name) in the order keys appear in the file.
fn in_file_order(fields: &Fields, order: &std::collections::HashMap<String, usize>, prefix: &str) -> Fields {
    let mut v: Vec<Arc<Field>> = fields
        .iter()
        .map(|f| match f.data_type() {
            DataType::Struct(children) => {
                let children = in_file_order(children, order, &format!("{prefix}{}.", f.name()));
                Arc::new(Field::new(f.name(), DataType::Struct(children), true))
            }
            _ => f.clone(),
        })
        .collect();
    v.sort_by_key(|f| order.get(&format!("{prefix}{}", f.name())).copied().unwrap_or(usize::MAX));
    v.into()
}

/// The first line of `text` (numbered from `first`) that is not a JSON object.
fn first_bad_line(text: &[u8], first: u64) -> Option<u64> {
    text.split(|b| *b == b'\n').enumerate().find_map(|(i, l)| {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        if l.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        match serde_json::from_slice::<serde_json::Value>(l) {
            Ok(serde_json::Value::Object(_)) => None,
            _ => Some(first + i as u64),
        }
    })
}

impl BatchSource for JsonlSource {
    fn schema(&self) -> SchemaRef {
        self.flat.clone()
    }

    fn next_batch(&mut self) -> Result<Option<InputBatch>, Error> {
        if self.done {
            return Ok(None);
        }
        let mut text = Vec::new();
        let mut lines = Vec::with_capacity(self.batch_size);
        let first_line = self.line + 1;
        while lines.len() < self.batch_size {
            let start = text.len();
            // At most one byte past the limit is read, so a huge line never sits in memory.
            let limit = self.max_line_bytes as u64 + 1;
            let n = (&mut self.src).take(limit).read_until(b'\n', &mut text).map_err(|e| problem(from_io(&e)))?;
            if n == 0 {
                self.done = true;
                break;
            }
            self.line += 1;
            if n as u64 == limit && text.last() != Some(&b'\n') {
                return Err(problem(InputProblem::RecordTooLong { line: self.line, limit: self.max_line_bytes }));
            }
            if text[start..].iter().all(u8::is_ascii_whitespace) {
                text.truncate(start);
                continue;
            }
            if text.last() != Some(&b'\n') {
                text.push(b'\n');
            }
            lines.push(self.line);
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let bad =
            |text: &[u8]| problem(InputProblem::Json { line: first_bad_line(text, first_line).unwrap_or(first_line) });
        let consumed = self.decoder.decode(&text).map_err(|_| bad(&text))?;
        let batch = self.decoder.flush().map_err(|_| bad(&text))?;
        if consumed != text.len() {
            return Err(bad(&text));
        }
        let Some(batch) = batch else { return Ok(None) };
        let batch = flatten(&batch).map_err(problem)?;
        let batch = if self.null_values.is_empty() { batch } else { nulls_for(&batch, &self.null_values)? };
        let first = self.rows;
        self.rows += batch.num_rows() as u64;
        Ok(Some(InputBatch::ready(batch, first, lines)))
    }
}

/// Text cells equal to a configured null value become null (JSON `null` already is).
fn nulls_for(batch: &arrow_array::RecordBatch, null_values: &[String]) -> Result<arrow_array::RecordBatch, Error> {
    use arrow_array::{Array, StringArray};
    let columns = batch
        .columns()
        .iter()
        .map(|a| match a.as_any().downcast_ref::<StringArray>() {
            Some(s) => {
                Arc::new(s.iter().map(|v| v.filter(|v| !null_values.iter().any(|n| n == v))).collect::<StringArray>())
                    as arrow_array::ArrayRef
            }
            None => a.clone(),
        })
        .collect();
    arrow_array::RecordBatch::try_new(batch.schema(), columns)
        .map_err(|_| Error::new(ErrorKind::Option("rebuilding a JSON batch failed".into())))
}
