//! The run report: counts and timings only, never values.

use std::time::Duration;

use arrow_schema::SchemaRef;

use super::apply::BatchStats;

/// What a run did. Safe to print, log and put into audit records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    pub rows_in: u64,
    pub rows_out: u64,
    /// Deleted by `[[delete_rows]]`.
    pub rows_deleted: u64,
    /// Dropped because an invalid cell's rule says `drop_row`.
    pub rows_dropped_invalid: u64,
    /// Output column name → invalid cells (nulled or dropped), in output order.
    pub invalid_cells: Vec<(String, u64)>,
    pub bytes_in: u64,
    pub elapsed: Duration,
    /// Time the reader spent decoding input (serial part).
    pub read_time: Duration,
    /// When the reader reached the end of the input, since the start.
    pub read_done: Duration,
    /// Time spent encoding and writing output.
    pub write_time: Duration,
    pub key_id: String,
    pub rules_sha256: String,
}

impl RunReport {
    pub(crate) fn new(schema: &SchemaRef) -> Self {
        RunReport {
            invalid_cells: schema.fields().iter().map(|f| (f.name().clone(), 0)).collect(),
            ..Default::default()
        }
    }

    pub(crate) fn add(&mut self, s: &BatchStats) {
        self.rows_in += s.rows_in;
        self.rows_out += s.rows_out;
        self.rows_deleted += s.rows_deleted;
        self.rows_dropped_invalid += s.rows_dropped_invalid;
        for (slot, n) in self.invalid_cells.iter_mut().zip(&s.invalid_cells) {
            slot.1 += n;
        }
    }

    /// Total invalid cells.
    pub fn invalid_total(&self) -> u64 {
        self.invalid_cells.iter().map(|(_, n)| n).sum()
    }
}
