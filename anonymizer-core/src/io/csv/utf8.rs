//! UTF-8: the raw stream is validated before any record is parsed from it, and only that
//! validation can hand out the [`Utf8Checked`] witness that column building requires before
//! it skips Arrow's second validation.

use arrow_array::StringArray;
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};

use super::input;
use super::reader::CsvReader;
use crate::error::{Error, InputProblem};

/// Witness that a reader's raw input was checked as UTF-8 before records were cut from it.
/// Its field is private to this module: only [`CsvReader::validate`] creates one.
#[derive(Debug, Clone, Copy)]
pub(super) struct Utf8Checked(());

impl CsvReader {
    /// Validates the raw bytes read since the last call; the witness says they were.
    pub(super) fn validate(&mut self) -> Result<Utf8Checked, Error> {
        let chunk = &self.buf[self.validated..self.end];
        let (good, bad) = match simdutf8::compat::from_utf8(chunk) {
            Ok(_) => (chunk.len(), false),
            Err(e) if e.error_len().is_none() && !self.eof => (e.valid_up_to(), false),
            Err(e) => (e.valid_up_to(), true),
        };
        let start = self.buf_offset + self.validated as u64;
        // Line and column of an invalid byte are only needed for the error, but the buffer
        // moves on, so newlines are counted as they pass (vectorized search, not a byte loop).
        let valid = &chunk[..good];
        self.newlines += memchr::memchr_iter(b'\n', valid).count() as u64;
        if let Some(i) = memchr::memrchr(b'\n', valid) {
            self.last_newline = Some(start + i as u64);
        }
        if bad {
            let offset = start + good as u64;
            let column = offset - self.last_newline.map_or(0, |n| n + 1) + 1;
            return Err(input(InputProblem::InvalidUtf8 { line: self.newlines + 1, column, offset }));
        }
        self.validated += good;
        Ok(Utf8Checked(()))
    }
}

/// A text column of fields cut from the reader's input, without validating it again.
///
/// The reader checks every input byte as UTF-8 before it parses a record from it (with the
/// exact position for the error), and cuts fields only at its delimiter, quote and line
/// ends, which it requires to be ASCII (`CsvReader::new`): a field of valid UTF-8 cut at
/// ASCII bytes, with ASCII quotes removed, is valid UTF-8 and starts and ends on character
/// boundaries. Arrow's `try_new` would validate every byte a second time (≈ 4 % of the CPU
/// of an anonymization); debug builds (tests, fuzzing) still do, and fail loudly.
pub(super) fn validated_column(
    offsets: Vec<i32>,
    values: Vec<u8>,
    nulls: Option<NullBuffer>,
    _checked: Utf8Checked,
) -> StringArray {
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    let values = Buffer::from_vec(values);
    debug_assert!(StringArray::try_new(offsets.clone(), values.clone(), nulls.clone()).is_ok());
    // SAFETY: as above, the values are valid UTF-8 and every offset is a character boundary;
    // offsets start at 0, never decrease and end at `values.len()` (pushed as fields are
    // appended), which is everything `try_new` checks.
    #[allow(unsafe_code)]
    unsafe {
        StringArray::new_unchecked(offsets, values, nulls)
    }
}
