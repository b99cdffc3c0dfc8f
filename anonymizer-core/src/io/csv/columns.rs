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
        let mut columns = self.columns(selector)?;
        let n = self.ncols;
        for (r, (row_starts, row_ends)) in
            self.starts[..self.fields].chunks_exact(n).zip(self.ends[..self.fields].chunks_exact(n)).enumerate()
        {
            columns.push_row(
                &self.data,
                row_starts,
                row_ends,
                r,
                self.lines.get(r).copied().unwrap_or(self.first_line),
            )?;
        }
        self.finish(columns)
    }

    /// Empty column builders for this chunk's rows.
    pub(super) fn columns<'s>(&self, selector: Option<&'s dyn RowSelector>) -> Result<Columns<'s>, Error> {
        let (rows, ncols) = (self.rows, self.ncols);
        if self.used > i32::MAX as usize {
            // A column holds a subset of these bytes: below this, no offset can overflow.
            return Err(input(InputProblem::RecordTooLong { line: self.first_line, limit: i32::MAX as usize }));
        }
        let build: Vec<bool> = (0..ncols).map(|c| selector.is_none_or(|s| s.reads(c))).collect();
        let built = build.iter().filter(|b| **b).count().max(1);
        let per_column = self.used / built + 16;
        let values = build
            .iter()
            .map(|&b| if b { Vec::with_capacity(per_column + per_column / 4) } else { Vec::new() })
            .collect();
        let offsets = build
            .iter()
            .map(|&b| {
                let mut o = Vec::with_capacity(if b { rows + 1 } else { 0 });
                o.push(0);
                o
            })
            .collect();
        let nulls = build.iter().map(|&b| NullBufferBuilder::new(if b { rows } else { 0 })).collect();
        let empty_is_null = self.null_values.len() == 1 && self.null_values[0].is_empty();
        Ok(Columns {
            build,
            values,
            offsets,
            nulls,
            empty_is_null,
            null_values: self.null_values.clone(),
            selected: selector.is_some(),
            deletes: selector.filter(|s| s.deletes_rows()),
            kept: Vec::new(),
            max_field_bytes: self.max_field_bytes,
        })
    }

    /// The batch from the built columns; the row buffers go back to the reader.
    pub(super) fn finish(self, columns: Columns<'_>) -> Result<Decoded, Error> {
        let rows = self.rows;
        let selected = columns.selected;
        let out_rows = if columns.deletes.is_some() { columns.kept.len() } else { rows };
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.ncols);
        for (((v, o), mut n), b) in
            columns.values.into_iter().zip(columns.offsets).zip(columns.nulls).zip(&columns.build)
        {
            let column =
                if *b { validated_column(o, v, n.finish(), self.checked) } else { StringArray::new_null(out_rows) };
            arrays.push(Arc::new(column));
        }
        let kept = columns.kept;
        let batch = RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(out_rows)),
        )
        .map_err(|_| Error::new(ErrorKind::Option("building an input batch failed".into())))
        .map(|batch| Decoded { batch, selected, rows_in: rows, kept: (out_rows < rows).then_some(kept) });
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

/// A batch's text columns while they are built, row by row.
pub(super) struct Columns<'s> {
    /// Whether each column is built (read by the selector).
    build: Vec<bool>,
    values: Vec<Vec<u8>>,
    offsets: Vec<Vec<i32>>,
    nulls: Vec<NullBufferBuilder>,
    empty_is_null: bool,
    null_values: Arc<Vec<String>>,
    /// Whether a selector chose the columns and rows.
    selected: bool,
    deletes: Option<&'s dyn RowSelector>,
    /// Rows not deleted, by index, when the selector deletes.
    kept: Vec<usize>,
    max_field_bytes: usize,
}

impl Columns<'_> {
    fn is_null(&self, f: &[u8]) -> bool {
        if self.empty_is_null {
            f.is_empty()
        } else {
            self.null_values.iter().any(|n| n.as_bytes() == f)
        }
    }

    /// Appends row `r` (starting on `line`), whose fields are `data[starts[c]..ends[c]]`,
    /// unless the selector deletes it.
    pub(super) fn push_row(
        &mut self,
        data: &[u8],
        starts: &[usize],
        ends: &[usize],
        r: usize,
        line: u64,
    ) -> Result<(), Error> {
        for (c, (&start, &end)) in starts.iter().zip(ends).enumerate() {
            if end - start > self.max_field_bytes {
                return Err(input(InputProblem::FieldTooLong { line, column: c + 1, limit: self.max_field_bytes }));
            }
        }
        if let Some(s) = self.deletes {
            let cell = |c: usize| {
                let f = &data[starts[c]..ends[c]];
                // Validated as UTF-8 when read; a field ends at a delimiter or quote (ASCII).
                if self.is_null(f) {
                    None
                } else {
                    std::str::from_utf8(f).ok()
                }
            };
            if s.deletes(&cell) {
                return Ok(());
            }
            self.kept.push(r);
        }
        for (c, (&start, &end)) in starts.iter().zip(ends).enumerate() {
            if !self.build[c] {
                continue;
            }
            let f = &data[start..end];
            if self.is_null(f) {
                self.nulls[c].append_null();
            } else {
                self.nulls[c].append_non_null();
                self.values[c].extend_from_slice(f);
            }
            self.offsets[c].push(self.values[c].len() as i32);
        }
        Ok(())
    }
}
