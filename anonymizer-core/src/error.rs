//! Errors of the library: typed, with locations (file, line, column, row, column name),
//! never with cell values. Upstream error texts that may echo data are dropped at the
//! boundary and replaced by a kind and a location.

use std::fmt;
use std::path::PathBuf;

use crate::rule::Diagnostics;

/// The library's error: a boxed [`ErrorKind`], so `Result<T, Error>` stays one word wide.
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Attaches the input's path to an input error that has none yet.
    pub fn with_input_path(mut self, path: impl Into<PathBuf>) -> Self {
        if let ErrorKind::Input { path: p @ None, .. } = &mut *self.0 {
            *p = Some(path.into());
        }
        self
    }

    /// True for errors caused by the input file's content (as opposed to I/O or rules).
    pub fn is_input_error(&self) -> bool {
        matches!(
            *self.0,
            ErrorKind::Input { .. } | ErrorKind::InvalidCell { .. } | ErrorKind::HeaderLooksLikeData { .. }
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

/// Every kind of failure. Messages name files, lines, columns and counts, never values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The rule file has problems; all of them, compiler-style.
    #[error("{0}")]
    Rules(Diagnostics),
    /// The rules do not fit the input's columns.
    #[error("the rules do not fit the input's columns:\n{}", render_schema(.0))]
    Schema(Vec<SchemaProblem>),
    /// A key file could not be used.
    #[error("key file {}: {problem}", path.display())]
    Key { path: PathBuf, problem: KeyProblem },
    /// The input could not be read.
    #[error("{}{problem}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Input { path: Option<PathBuf>, problem: InputProblem },
    /// The header row looks like a data row (at least half of its names look like values:
    /// e-mail addresses, phone numbers, amounts, dates), so the file probably has no header
    /// and its first row would be taken for column names. Names none of them.
    #[error("the header row looks like a data row ({data_like} of {columns} column names look like values such as e-mail addresses, numbers or dates); set [input] header = false if the file has no header row")]
    HeaderLooksLikeData { columns: usize, data_like: usize },
    /// A cell could not be transformed and its rule says `on_invalid = "fail"`. `column` is
    /// the column's label: its name, or `column N` when a name from the file looks like data.
    #[error("row {row}{}, column `{column}`: the value cannot be {what} (on_invalid = \"fail\")", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    InvalidCell { row: u64, line: Option<u64>, column: String, what: &'static str },
    /// Writing the output failed.
    #[error("writing the output failed: {0}")]
    Output(OutputProblem),
    /// An I/O error outside the input's content.
    #[error("{op}: {source}")]
    Io { op: String, source: std::io::Error },
    /// A transform panicked; the run was stopped and nothing was written.
    #[error("internal error while transforming batch {batch}; nothing was written")]
    Panic { batch: u64 },
    /// The operating system's random source failed.
    #[error("the operating system's random number generator failed")]
    Random,
    /// Cancellation was requested ([`RulePlan::with_cancel`](crate::RulePlan::with_cancel)),
    /// so the batch was not finished.
    #[error("stopped: cancellation was requested")]
    Cancelled,
    /// A configuration value is out of range.
    #[error("invalid option: {0}")]
    Option(String),
}

/// One way the rules do not fit the input's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    /// The column concerned: a name from the rule file, or a header name from the file as
    /// [`ColumnLabels`](crate::detect::ColumnLabels) shows it (`column N` when it looks like data).
    pub column: String,
    /// One sentence.
    pub message: String,
    /// Where the rule is, when known: `rules.toml:12:1`.
    pub location: Option<String>,
    /// A suggestion, e.g. a close header name.
    pub hint: Option<String>,
}

fn render_schema(problems: &[SchemaProblem]) -> String {
    let mut out = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if let Some(loc) = &p.location {
            out.push_str(loc);
            out.push_str(": ");
        }
        out.push_str("error: ");
        out.push_str(&p.message);
        if let Some(h) = &p.hint {
            out.push_str("\n  = help: ");
            out.push_str(h);
        }
    }
    out
}

/// Why a key file could not be used. Never carries the file's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyProblem {
    #[error("cannot read it ({0})")]
    Unreadable(std::io::ErrorKind),
    #[error("it is not a regular file")]
    NotAFile,
    /// The mode is not exactly 0600 or 0400 (`key::KEY_FILE_MODES`).
    #[error("its mode is {mode:04o}, but a key file must have mode 0600 (owner read/write) or 0400 (owner read-only); run `chmod 600` on it")]
    WrongMode { mode: u32 },
    #[error("expected 64 hex digits (32 bytes), found {hex_digits} characters")]
    Malformed { hex_digits: usize },
    #[error("expected 64 hex digits (32 bytes), found a character that is not a hex digit")]
    NotHex,
    #[error("it already exists; refusing to overwrite a key")]
    Exists,
}

/// Why the input could not be read. Locations only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputProblem {
    #[error("the file is empty (no header row)")]
    Empty,
    #[error("the file has a header but no data rows")]
    HeaderOnly,
    #[error("line {line}: a quoted field starts here and is never closed (unterminated quote)")]
    UnterminatedQuote { line: u64 },
    #[error("line {line}: expected {expected} fields like the header, found {found}")]
    Ragged { line: u64, expected: usize, found: usize },
    #[error("line {line}, column {column} (byte offset {offset}): invalid UTF-8; set [input] encoding if the file is not UTF-8")]
    InvalidUtf8 { line: u64, column: u64, offset: u64 },
    /// `name` is shown as `column {first}` when it looks like data.
    #[error("the header names column `{name}` twice (fields {first} and {second})")]
    DuplicateColumn { name: String, first: usize, second: usize },
    #[error("header field {index} is empty; every column needs a name")]
    EmptyColumnName { index: usize },
    #[error("line {line}: the record is longer than the limit of {limit} bytes (a huge field, or a quote that is never closed)")]
    RecordTooLong { line: u64, limit: usize },
    #[error("line {line}: more than {limit} columns")]
    TooManyColumns { line: u64, limit: usize },
    #[error("line {line}, field {column}: the field is longer than the limit of {limit} bytes")]
    FieldTooLong { line: u64, column: usize, limit: usize },
    #[error("data row {row}: the batch starting here needs {needed_mb} MiB in memory, more than the whole memory budget of {limit_mb} MiB (the daemon's max_memory_mb, anonymize's --max-memory-mb): the rows are too wide for it")]
    TooWideForMemory { row: u64, needed_mb: u64, limit_mb: u64 },
    #[error("line {line}: the file's keys together are longer than the limit of {limit} bytes (the limit for a line: the keys are the file's header row)")]
    KeysTooLong { line: u64, limit: usize },
    /// `column` is the flattened name (`a.b`), or `column N` when it looks like data.
    #[error("line {line}: key `{column}` appears twice in one object; one of its values would be lost")]
    DuplicateKey { line: u64, column: String },
    #[error("the file has more than {limit} rows (the limit for one file)")]
    TooManyRows { limit: u64 },
    #[error("reading failed: {0}")]
    Io(std::io::ErrorKind),
    #[error("it expands to more than {limit} bytes when decompressed (the limit for compressed inputs)")]
    DecompressedTooLarge { limit: u64 },
    #[error("it expands more than {limit} times when decompressed; a decompression bomb is refused")]
    CompressionRatio { limit: u64 },
    #[error("the {what} cannot be read")]
    Corrupt { what: &'static str },
    #[error("{0} is not supported")]
    Unsupported(&'static str),
    #[error("line {line}: not a JSON object (JSON Lines holds one object per line)")]
    Json { line: u64 },
    /// `column` is the flattened name (`a.b`), or `column N` when it looks like data.
    #[error("column `{column}` holds lists or maps; only flat values and nested objects (read as `a.b` columns) can be imported")]
    Nested { column: String },
    /// `column` is the flattened name (`a.b`), or `column N` when it looks like data.
    #[error("line {line}: key `{column}` holds a plain value on one line and a nested object on another; it must hold one kind on every line")]
    ObjectAndValue { line: u64, column: String },
    /// A typed input (Parquet, Arrow) has a column of a type the pipeline cannot read.
    /// `column` is shown as `column N` when its name looks like data; `type_name` is the
    /// Arrow type's kind as importd names it (never a field name, zone or value).
    #[error("column `{column}` has the type {type_name}, which cannot be imported; convert it to a supported type (text, number, decimal, date, time, timestamp, boolean or binary) first")]
    UnsupportedType { column: String, type_name: String },
}

/// Why writing the output failed. The upstream text is dropped (it may echo data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutputProblem {
    #[error("I/O error ({0})")]
    Io(std::io::ErrorKind),
    #[error("the Parquet encoder refused a batch")]
    Parquet,
    #[error("the CSV encoder refused a batch")]
    Csv,
    #[error("the JSON Lines encoder refused a batch")]
    Json,
    #[error("the Arrow IPC encoder refused a batch")]
    Arrow,
}

/// Wraps a value that must never be printed: `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T: AsRef<[u8]>>(pub T);

impl<T: AsRef<[u8]>> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted len={}>", self.0.as_ref().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_debug_hides_value() {
        let s = Sensitive("anna@example.com".to_string());
        assert_eq!(format!("{s:?}"), "<redacted len=16>");
    }

    #[test]
    fn error_is_one_word() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
