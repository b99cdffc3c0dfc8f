//! `plan.apply(batch)`: the pure function of (plan, keys, batch) that everything else
//! (tests, benches, fuzzing, the parallel runner) is built on.

use std::sync::atomic::Ordering;

use arrow_array::{new_null_array, Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, StringArray};
use arrow_schema::DataType;
use arrow_select::filter::{filter, filter_record_batch};

use super::canonical::canonical_text;
use super::kernel::run_column;
use crate::error::{Error, ErrorKind};
use crate::io::{Decoded, RowSelector};
use crate::rule::{FilterPlan, OnInvalid, RowMatch, RulePlan};

/// A transformed batch and what happened to it.
#[derive(Debug, Clone)]
pub struct Applied {
    /// Rows that survived, in input order, with the plan's output schema.
    pub batch: RecordBatch,
    pub stats: BatchStats,
}

/// Counts for one batch. Counts only: never values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchStats {
    pub rows_in: u64,
    pub rows_out: u64,
    /// Deleted by `[[delete_rows]]`.
    pub rows_deleted: u64,
    /// Dropped because a cell was invalid and its rule says `on_invalid = "drop_row"`.
    pub rows_dropped_invalid: u64,
    /// Invalid cells per output column (same order as the output schema).
    pub invalid_cells: Vec<u64>,
    /// `redact` findings per output column and detector (empty for other actions).
    pub findings: Vec<Vec<u64>>,
}

impl RulePlan {
    /// Transforms one batch whose columns are the header this plan was bound to.
    pub fn apply(&self, batch: &RecordBatch) -> Result<Applied, Error> {
        self.apply_at(batch, 0, None)
    }

    /// Like [`apply`](Self::apply), for a batch starting at data row `first_row` (0-based)
    /// whose rows start on the given 1-based file `lines`: used in error messages only.
    pub fn apply_at(&self, batch: &RecordBatch, first_row: u64, lines: Option<&[u64]>) -> Result<Applied, Error> {
        self.check_width(batch)?;
        let texts = self.texts(batch)?;
        self.filter_and_transform(batch, texts, first_row, lines)
    }

    /// Transforms a batch from [`InputBatch::decode_selected`](crate::io::InputBatch::decode_selected)
    /// with this plan as the selector: deletions the decoder applied are counted, not redone.
    pub fn apply_decoded(&self, decoded: Decoded, first_row: u64, lines: Option<&[u64]>) -> Result<Applied, Error> {
        let Decoded { batch, selected, rows_in, kept } = decoded;
        if !selected {
            return self.apply_at(&batch, first_row, lines);
        }
        self.check_width(&batch)?;
        let texts = self.texts(&batch)?;
        self.transform(batch.columns().to_vec(), texts, kept, rows_in, first_row, lines)
    }

    /// The text of each column an action or filter reads (typed columns in their canonical
    /// text form); an empty placeholder for the others, which nothing reads as text.
    fn texts(&self, batch: &RecordBatch) -> Result<Vec<StringArray>, Error> {
        let read = |i: usize| self.reads_text.get(i).copied().unwrap_or(true);
        batch.columns().iter().enumerate().map(|(i, a)| if read(i) { as_text(a) } else { Ok(placeholder()) }).collect()
    }

    fn check_width(&self, batch: &RecordBatch) -> Result<(), Error> {
        if batch.num_columns() != self.input_names.len() {
            return Err(Error::new(ErrorKind::Option(format!(
                "the batch has {} columns but the plan was bound to {}",
                batch.num_columns(),
                self.input_names.len()
            ))));
        }
        Ok(())
    }

    fn filter_and_transform(
        &self,
        batch: &RecordBatch,
        texts: Vec<StringArray>,
        first_row: u64,
        lines: Option<&[u64]>,
    ) -> Result<Applied, Error> {
        let rows_in = batch.num_rows();
        // 1. Row filters see the raw values, before any action.
        let keep = delete_mask(&self.filters, &texts, rows_in);
        let (raw, texts, origin) = match &keep {
            Some(mask) => {
                let failed = |_| Error::new(ErrorKind::Option("filtering a batch failed".into()));
                // Only the columns some output reads are filtered; dropped ones are left out.
                let texts = texts
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        if !self.reads_text[i] {
                            return Ok(placeholder());
                        }
                        filter(a, mask)
                            .map(|a| a.as_any().downcast_ref::<StringArray>().cloned().unwrap_or_else(placeholder))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(failed)?;
                let raw = batch
                    .columns()
                    .iter()
                    .enumerate()
                    .map(|(i, a)| if self.passes[i] { filter(a, mask) } else { Ok(new_null_array(&DataType::Null, 0)) })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(failed)?;
                let origin = mask.iter().enumerate().filter(|(_, k)| k == &Some(true)).map(|(i, _)| i).collect();
                (raw, texts, Some(origin))
            }
            None => (batch.columns().to_vec(), texts, None),
        };
        self.transform(raw, texts, origin, rows_in, first_row, lines)
    }

    /// Column actions and `drop_row` over rows that survived `[[delete_rows]]`; `origin`
    /// maps each to its index among the batch's `rows_in` rows (`None`: all survived).
    /// `raw` holds the input arrays of the columns passed through, `texts` the text of those
    /// the actions read.
    fn transform(
        &self,
        raw: Vec<ArrayRef>,
        texts: Vec<StringArray>,
        origin: Option<Vec<usize>>,
        rows_in: usize,
        first_row: u64,
        lines: Option<&[u64]>,
    ) -> Result<Applied, Error> {
        let rows_kept = origin.as_ref().map_or(rows_in, Vec::len);
        let rows_deleted = (rows_in - rows_kept) as u64;
        let refs: Vec<&StringArray> = texts.iter().collect();

        // 2. Column actions.
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
        let mut invalid_cells = Vec::with_capacity(self.columns.len());
        let mut findings = Vec::with_capacity(self.columns.len());
        let mut drop_rows: Vec<usize> = Vec::new();
        let cancel = self.cancel.as_deref();
        for c in &self.columns {
            if cancel.is_some_and(|f| f.load(Ordering::Relaxed)) {
                return Err(Error::new(ErrorKind::Cancelled));
            }
            if c.passthrough.is_some() {
                arrays.push(raw[c.input].clone());
                invalid_cells.push(0);
                findings.push(Vec::new());
                continue;
            }
            let out = run_column(c, &refs, cancel).map_err(|_| Error::new(ErrorKind::Cancelled))?;
            invalid_cells.push(out.invalid.len() as u64);
            findings.push(out.findings);
            if let Some(&first) = out.invalid.first() {
                match c.on_invalid {
                    OnInvalid::Null => {}
                    OnInvalid::DropRow => drop_rows.extend_from_slice(&out.invalid),
                    OnInvalid::Fail => {
                        let original = origin.as_ref().map_or(first, |o| o[first]);
                        return Err(Error::new(ErrorKind::InvalidCell {
                            row: first_row + original as u64 + 1,
                            line: lines.and_then(|l| l.get(original).copied()),
                            column: c.label.clone(),
                            what: what_for(c.action),
                        }));
                    }
                }
            }
            arrays.push(out.array);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(rows_kept));
        let mut out = RecordBatch::try_new_with_options(self.output_schema.clone(), arrays, &options)
            .map_err(|_| Error::new(ErrorKind::Option("building the output batch failed".into())))?;

        // 3. Rows whose invalid cells say drop_row.
        let mut rows_dropped_invalid = 0;
        if !drop_rows.is_empty() {
            let mut mask = vec![true; rows_kept];
            for r in drop_rows {
                mask[r] = false;
            }
            rows_dropped_invalid = mask.iter().filter(|k| !**k).count() as u64;
            out = filter_record_batch(&out, &BooleanArray::from(mask))
                .map_err(|_| Error::new(ErrorKind::Option("filtering a batch failed".into())))?;
        }
        Ok(Applied {
            stats: BatchStats {
                rows_in: rows_in as u64,
                rows_out: out.num_rows() as u64,
                rows_deleted,
                rows_dropped_invalid,
                invalid_cells,
                findings,
            },
            batch: out,
        })
    }
}

impl RowSelector for RulePlan {
    fn reads(&self, column: usize) -> bool {
        self.reads.get(column).copied().unwrap_or(true)
    }

    fn deletes_rows(&self) -> bool {
        !self.filters.is_empty()
    }

    fn deletes<'a>(&self, cell: &dyn Fn(usize) -> Option<&'a str>) -> bool {
        self.filters.iter().any(|f| row_matches(&f.matcher, cell(f.input)))
    }
}

/// Whether a `[[delete_rows]]` matcher matches a cell (`None`: null).
fn row_matches(matcher: &RowMatch, v: Option<&str>) -> bool {
    match (matcher, v) {
        (RowMatch::IsNull(want), v) => v.is_none() == *want,
        (_, None) => false,
        (RowMatch::Equals(e), Some(v)) => v == e,
        (RowMatch::In(list), Some(v)) => list.iter().any(|e| e == v),
        (RowMatch::Matches(re), Some(v)) => re.is_match(v),
    }
}

fn what_for(action: &str) -> &'static str {
    match action {
        "keep" | "null" | "replace" | "pseudonymize" | "mask" | "truncate" => "read as its declared type",
        "generalize" => "generalized",
        "shift_date" => "date-shifted",
        "noise" => "noised",
        "encrypt" => "encrypted safely (too few characters of the alphabet)",
        _ => "transformed",
    }
}

/// Any column as text: strings as they are, other types in their canonical text form
/// (`canonical.rs`).
fn as_text(a: &ArrayRef) -> Result<StringArray, Error> {
    canonical_text(a).ok_or_else(|| {
        // The type's name only: a nested type's Display would show its field names.
        Error::new(ErrorKind::Option("a column of a type without a text form cannot be read as text".into()))
    })
}

/// Stands in for a column nothing reads as text.
fn placeholder() -> StringArray {
    StringArray::new_null(0)
}

/// `Some(keep mask)` when any of the `n` rows is deleted.
fn delete_mask(filters: &[FilterPlan], texts: &[StringArray], n: usize) -> Option<BooleanArray> {
    if filters.is_empty() {
        return None;
    }
    let mut keep = vec![true; n];
    for f in filters {
        let col = &texts[f.input];
        for (row, k) in keep.iter_mut().enumerate() {
            if !*k {
                continue;
            }
            if row_matches(&f.matcher, (!col.is_null(row)).then(|| col.value(row))) {
                *k = false;
            }
        }
    }
    keep.iter().any(|k| !k).then(|| BooleanArray::from(keep))
}
