//! Column building for the CSV reader: a batch's rows arrive row-major (field bytes with
//! each field's start and end) and leave as Arrow text columns, on a worker thread.

use std::sync::{Arc, Mutex};

use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions, StringArray};
use arrow_buffer::NullBufferBuilder;
use arrow_schema::SchemaRef;

use super::input;
use super::utf8::{validated_column, Utf8Checked};
use crate::error::{Error, ErrorKind, InputProblem};
use crate::io::{Decoded, RowSelector};
/// Row buffers handed from the reader to a batch and back.
#[derive(Default)]
pub(super) struct Buffers {
    pub(super) data: Vec<u8>,
    pub(super) starts: Vec<usize>,
    pub(super) ends: Vec<usize>,
}

/// The rows of one batch, row-major: field bytes and each field's start and end.
pub(super) struct Chunk {
    pub(super) data: Vec<u8>,
    /// Bytes of `data` in use.
    pub(super) used: usize,
    pub(super) starts: Vec<usize>,
    pub(super) ends: Vec<usize>,
    /// Entries of `starts` and `ends` in use (`rows × ncols`).
    pub(super) fields: usize,
    pub(super) ncols: usize,
    pub(super) rows: usize,
    pub(super) first_line: u64,
    /// The line each row starts on, for the field-length limit's message.
    pub(super) lines: Vec<u64>,
    pub(super) max_field_bytes: usize,
    pub(super) null_values: Arc<Vec<String>>,
    pub(super) schema: SchemaRef,
    pub(super) spare: Arc<Mutex<Vec<Buffers>>>,
    /// The reader validated the bytes these fields were cut from.
    pub(super) checked: Utf8Checked,
    /// Row buffers larger than this in bytes (grown for a huge row, or for a row of very
    /// many fields) are freed, not recycled.
    pub(super) recycle_up_to: usize,
}

impl Chunk {
    /// Builds the text columns in one pass over the row-major buffer: with a selector, only
    /// the columns it reads (the others are all null) and only the rows it does not delete.
    /// Field limits are checked on every field either way.
    pub(super) fn into_batch(self, selector: Option<&dyn RowSelector>) -> Result<Decoded, Error> {
        let (rows, ncols) = (self.rows, self.ncols);
        if self.used > i32::MAX as usize {
            // A column holds a subset of these bytes: below this, no offset can overflow.
            return Err(input(InputProblem::RecordTooLong { line: self.first_line, limit: i32::MAX as usize }));
        }
        let build: Vec<bool> = (0..ncols).map(|c| selector.is_none_or(|s| s.reads(c))).collect();
        let built = build.iter().filter(|b| **b).count().max(1);
        let per_column = self.used / built + 16;
        let mut values: Vec<Vec<u8>> = build
            .iter()
            .map(|&b| if b { Vec::with_capacity(per_column + per_column / 4) } else { Vec::new() })
            .collect();
        let mut offsets: Vec<Vec<i32>> = build
            .iter()
            .map(|&b| {
                let mut o = Vec::with_capacity(if b { rows + 1 } else { 0 });
                o.push(0);
                o
            })
            .collect();
        let mut nulls: Vec<NullBufferBuilder> =
            build.iter().map(|&b| NullBufferBuilder::new(if b { rows } else { 0 })).collect();
        let empty_is_null = self.null_values.len() == 1 && self.null_values[0].is_empty();
        let nulls_list: Vec<&[u8]> = self.null_values.iter().map(|s| s.as_bytes()).collect();
        let is_null = |f: &[u8]| if empty_is_null { f.is_empty() } else { nulls_list.contains(&f) };
        let deletes = selector.filter(|s| s.deletes_rows());
        let mut kept: Vec<usize> = Vec::new();
        for (r, (row_starts, row_ends)) in
            self.starts[..self.fields].chunks_exact(ncols).zip(self.ends[..self.fields].chunks_exact(ncols)).enumerate()
        {
            for (c, (&start, &end)) in row_starts.iter().zip(row_ends).enumerate() {
                if end - start > self.max_field_bytes {
                    let line = self.lines.get(r).copied().unwrap_or(self.first_line);
                    return Err(input(InputProblem::FieldTooLong { line, column: c + 1, limit: self.max_field_bytes }));
                }
            }
            if let Some(s) = deletes {
                let cell = |c: usize| {
                    let f = &self.data[row_starts[c]..row_ends[c]];
                    // Validated as UTF-8 when read; a field ends at a delimiter or quote (ASCII).
                    if is_null(f) {
                        None
                    } else {
                        std::str::from_utf8(f).ok()
                    }
                };
                if s.deletes(&cell) {
                    continue;
                }
                kept.push(r);
            }
            for (c, (&start, &end)) in row_starts.iter().zip(row_ends).enumerate() {
                if !build[c] {
                    continue;
                }
                let f = &self.data[start..end];
                if is_null(f) {
                    nulls[c].append_null();
                } else {
                    nulls[c].append_non_null();
                    values[c].extend_from_slice(f);
                }
                offsets[c].push(values[c].len() as i32);
            }
        }
        let out_rows = if deletes.is_some() { kept.len() } else { rows };
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(ncols);
        for (((v, o), mut n), b) in values.into_iter().zip(offsets).zip(nulls).zip(&build) {
            let column =
                if *b { validated_column(o, v, n.finish(), self.checked) } else { StringArray::new_null(out_rows) };
            columns.push(Arc::new(column));
        }
        let batch = RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(out_rows)),
        )
        .map_err(|_| Error::new(ErrorKind::Option("building an input batch failed".into())))
        .map(|batch| Decoded {
            batch,
            selected: selector.is_some(),
            rows_in: rows,
            kept: (out_rows < rows).then_some(kept),
        });
        // Give the row buffers back to the reader for the next batch.
        if let Ok(mut spare) = self.spare.lock() {
            if spare.len() < 4
                && self.data.len() <= self.recycle_up_to
                && self.ends.len() * std::mem::size_of::<usize>() <= self.recycle_up_to
            {
                spare.push(Buffers { data: self.data, starts: self.starts, ends: self.ends });
            }
        }
        batch
    }
}
