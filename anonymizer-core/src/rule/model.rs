//! The validated rule model: what the code uses after `validate`. No serde, no spans
//! beyond the line each rule came from (for messages).

use arrow_schema::DataType;
use regex::Regex;

pub use super::detector::{Checksum, CustomDetector, CHECKSUMS};
pub use super::fake_kind::{FakeKind, FakeLocale};
use super::file_type::language_type;
use super::region::Region;

/// What happens to a column no rule names.
// The JSON Schema of rule files (`schema.rs`) describes these with the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum Unlisted {
    Drop,
    Keep,
    Reject,
}

/// What happens to a cell an action cannot transform.
// The JSON Schema of rule files (`schema.rs`) describes these with the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum OnInvalid {
    /// The cell becomes null.
    Null,
    /// The whole row is dropped (counted, never shown).
    DropRow,
    /// The import fails, naming the row and column.
    Fail,
}

/// A rule names a column the file lacks.
// The JSON Schema of rule files (`schema.rs`) describes these with the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum OnMissing {
    Error,
    Ignore,
}

/// Text encodings of CSV/TSV input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Not named in the rule file: sniffed from the input's first bytes.
    Auto,
    Utf8,
    /// UTF-16 with a byte-order mark (little-endian without one).
    Utf16,
    Windows1252,
    Latin1,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Auto,
    Csv,
    Tsv,
    Jsonl,
    Parquet,
}

/// `[input]`: how to read files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputOptions {
    pub format: InputFormat,
    /// `None`: by format (`,` for CSV, tab for TSV).
    pub delimiter: Option<u8>,
    /// `None`: not given, so sniffed from the input's first lines (`'` when they quote fields
    /// with it and hold no `"`, else `"`). A quote the rule file names is used as written.
    pub quote: Option<u8>,
    pub header: bool,
    pub encoding: Encoding,
    pub null_values: Vec<String>,
    pub trim_headers: bool,
    /// Whose national writing of phone numbers the data uses.
    pub region: Region,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            format: InputFormat::Auto,
            delimiter: None,
            quote: None,
            header: true,
            encoding: Encoding::Auto,
            null_values: vec![String::new()],
            trim_headers: true,
            region: Region::DE,
        }
    }
}

/// A column type from `[types]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    String,
    Int,
    Float,
    Decimal {
        precision: u8,
        scale: i8,
    },
    Bool,
    /// Optional strftime format; ISO 8601 when `None`.
    Date(Option<String>),
    Timestamp(Option<String>),
}

impl ColumnType {
    /// The name used in messages.
    pub fn name(&self) -> String {
        match self {
            ColumnType::String => "string".into(),
            ColumnType::Int => "int".into(),
            ColumnType::Float => "float".into(),
            ColumnType::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
            ColumnType::Bool => "bool".into(),
            ColumnType::Date(_) => "date".into(),
            ColumnType::Timestamp(_) => "timestamp".into(),
        }
    }

    pub(crate) fn is_numeric(&self) -> bool {
        matches!(self, ColumnType::Int | ColumnType::Float | ColumnType::Decimal { .. })
    }

    pub(crate) fn is_temporal(&self) -> bool {
        matches!(self, ColumnType::Date(_) | ColumnType::Timestamp(_))
    }
}

/// Truncation units of `generalize` on dates and timestamps.
// The JSON Schema of rule files (`schema.rs`) describes these with the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, schemars::JsonSchema)]
#[schemars(rename_all = "snake_case")]
pub enum DateUnit {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    Hour,
}

/// The ways `generalize` coarsens a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Generalize {
    /// Dates and timestamps: truncate to a unit.
    To(DateUnit),
    /// Numbers: bucket width; the value becomes the bucket's lower bound.
    Step(f64),
    /// Numbers: significant digits kept.
    Round(u32),
    /// Ages: ascending band limits, labels `"<18"`, `"18-29"`, …, `"65+"`.
    Bands(Vec<i64>),
}

/// `noise`: relative or absolute amplitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Noise {
    Relative(f64),
    Absolute(f64),
}

/// `redact` replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedactWith {
    Template(String),
    Pseudonym,
    /// A `fake` of each finding's kind in this locale (domain = the detector's name).
    Fake(FakeLocale),
}

/// A validated action with its options. Domains are resolved later (default: column name).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Keep,
    Drop,
    Null,
    Replace { value: String },
    Pseudonymize { domain: Option<String>, prefix: String, length: usize },
    Encrypt { alphabet: String, domain: Option<String> },
    Mask { keep_first: usize, keep_last: usize, ch: char, preserve: Vec<char> },
    Truncate { keep_first: usize },
    Generalize(Generalize),
    ShiftDate { max_days: u32, by: Option<String>, domain: Option<String> },
    Redact { detect: Vec<String>, with: RedactWith },
    Noise { noise: Noise, domain: Option<String> },
    Fake { kind: FakeKind, locale: FakeLocale, domain: Option<String> },
}

impl Action {
    /// The action's name as written in rule files.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::Null => "null",
            Action::Replace { .. } => "replace",
            Action::Pseudonymize { .. } => "pseudonymize",
            Action::Encrypt { .. } => "encrypt",
            Action::Mask { .. } => "mask",
            Action::Truncate { .. } => "truncate",
            Action::Generalize(_) => "generalize",
            Action::ShiftDate { .. } => "shift_date",
            Action::Redact { .. } => "redact",
            Action::Noise { .. } => "noise",
            Action::Fake { .. } => "fake",
        }
    }
}

/// One rule: an action, its `on_invalid` override and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub action: Action,
    pub on_invalid: Option<OnInvalid>,
    /// 1-based line in the rule file.
    pub line: usize,
}

/// `[[patterns]]`: a rule for columns whose name matches a regex.
#[derive(Debug, Clone)]
pub struct PatternRule {
    pub columns: Regex,
    pub rule: Rule,
}

/// How a `[[delete_rows]]` filter matches a raw value.
#[derive(Debug, Clone)]
pub enum RowMatch {
    Equals(String),
    In(Vec<String>),
    Matches(Regex),
    IsNull(bool),
}

/// `[[delete_rows]]`: a row is deleted when any filter matches.
#[derive(Debug, Clone)]
pub struct RowFilter {
    pub column: String,
    pub matcher: RowMatch,
    pub line: usize,
}

/// What an example expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The row is deleted.
    Deleted,
    /// Output column → expected text, or `None` for an expected null (from `expect_null`).
    /// Only the listed columns are compared.
    Columns(Vec<(String, Option<String>)>),
}

/// `[[examples]]`: a test that lives in the rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub input: Vec<(String, String)>,
    pub expect: Expect,
    pub line: usize,
}

/// Characters of a rule file's `name` that reports and audit records show.
pub const NAME_SHOWN_CHARS: usize = 100;
/// Characters of a rule file's `description` that reports and audit records show.
pub const DESCRIPTION_SHOWN_CHARS: usize = 300;

/// A validated rule file.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Free text by the rule file's author, shown in reports: see [`Rules::shown_name`].
    pub name: Option<String>,
    /// Free text by the rule file's author, shown in reports: see [`Rules::shown_description`].
    pub description: Option<String>,
    pub unlisted: Unlisted,
    pub on_invalid: OnInvalid,
    pub on_missing: OnMissing,
    pub input: InputOptions,
    /// Exact column name → rule, in file order.
    pub columns: Vec<(String, Rule)>,
    pub patterns: Vec<PatternRule>,
    pub delete_rows: Vec<RowFilter>,
    pub detectors: Vec<CustomDetector>,
    /// Column name → type, in file order, with the line it was declared on.
    pub types: Vec<(String, ColumnType, usize)>,
    /// Column name → the Arrow type a typed input (Parquet, Arrow) has for it: never from the
    /// rule file, only from [`with_file_types`](Self::with_file_types).
    pub file_types: Vec<(String, DataType)>,
    pub examples: Vec<Example>,
    /// Where the rules came from (for messages), e.g. `rules/acme/customers.toml`.
    pub origin: String,
    /// SHA-256 of the rule file's bytes, hex: recorded in reports and audit records.
    pub sha256: String,
}

impl Rules {
    /// The `name` as reports, summaries and audit records show it: on one line, at most
    /// [`NAME_SHOWN_CHARS`] characters (see [`shown_text`]); `None` when absent or blank.
    pub fn shown_name(&self) -> Option<String> {
        self.name.as_deref().and_then(|n| shown_text(n, NAME_SHOWN_CHARS))
    }

    /// The `description` as reports show it: on one line, at most [`DESCRIPTION_SHOWN_CHARS`]
    /// characters; `None` when absent or blank.
    pub fn shown_description(&self) -> Option<String> {
        self.description.as_deref().and_then(|d| shown_text(d, DESCRIPTION_SHOWN_CHARS))
    }

    /// Whether any rule makes fakes (`fake`, or `redact` with `with = "fake"`): reports and
    /// audit records then name the version of the lists the fakes come from.
    pub fn uses_fake(&self) -> bool {
        let fakes =
            |r: &Rule| matches!(r.action, Action::Fake { .. } | Action::Redact { with: RedactWith::Fake(_), .. });
        self.columns.iter().any(|(_, r)| fakes(r)) || self.patterns.iter().any(|p| fakes(&p.rule))
    }

    /// The rule for an exact column name, if any.
    pub fn column_rule(&self, name: &str) -> Option<&Rule> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, r)| r)
    }

    /// The rule that applies to `name`: exact names win over patterns; the first pattern wins.
    pub fn rule_for(&self, name: &str) -> Option<&Rule> {
        self.column_rule(name).or_else(|| self.patterns.iter().find(|p| p.columns.is_match(name)).map(|p| &p.rule))
    }

    /// Whether the rule file itself writes this exact column name: in `[columns]`, `[types]`,
    /// a `[[delete_rows]]` filter or `shift_date`'s `by`. Such names are the customer's own,
    /// so they are shown in messages as written (a `[[patterns]]` match is not enough).
    pub fn lists_column(&self, name: &str) -> bool {
        let by = |r: &Rule| matches!(&r.action, Action::ShiftDate { by: Some(b), .. } if b == name);
        self.columns.iter().any(|(n, r)| n == name || by(r))
            || self.patterns.iter().any(|p| by(&p.rule))
            // Line 0: a type the input file declared (`with_file_types`), not the rule file.
            || self.types.iter().any(|(n, _, line)| n == name && *line > 0)
            || self.delete_rows.iter().any(|f| f.column == name)
    }

    /// These rules plus the column types of a typed input (Parquet, Arrow;
    /// [`Source::types`](crate::io::Source::types)): a column the rule file gives no type
    /// counts as the type the file says (numbers, decimals, booleans, dates, timestamps; other
    /// types are text), and `keep` passes such a column through as the file's own array.
    pub fn with_file_types(&self, types: &[(String, DataType)]) -> Rules {
        let mut rules = self.clone();
        for (name, t) in types {
            rules.file_types.push((name.clone(), t.clone()));
            let ty = language_type(t);
            if ty != ColumnType::String && rules.type_of(name).is_none() {
                rules.types.push((name.clone(), ty, 0));
            }
        }
        rules
    }

    /// The Arrow type a typed input has for a column (see [`with_file_types`](Self::with_file_types)).
    pub fn file_type_of(&self, name: &str) -> Option<&DataType> {
        self.file_types.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// The declared type of a column.
    pub fn type_of(&self, name: &str) -> Option<&ColumnType> {
        self.types.iter().find(|(n, _, _)| n == name).map(|(_, t, _)| t)
    }
}

/// An author's free text made safe to print on one line: control characters (line breaks,
/// terminal escapes) and bidirectional overrides become spaces, runs of spaces one space, and
/// text longer than `max_chars` characters is cut, ending in `…`. `None` when nothing is left.
pub fn shown_text(text: &str, max_chars: usize) -> Option<String> {
    let bidi =
        |c: char| matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    let mut clean = String::with_capacity(text.len().min(max_chars * 4));
    for c in text.chars().map(|c| if c.is_control() || bidi(c) { ' ' } else { c }) {
        if !(c == ' ' && (clean.is_empty() || clean.ends_with(' '))) {
            clean.push(c);
        }
    }
    let clean = clean.trim_end();
    if clean.is_empty() || max_chars == 0 {
        return None;
    }
    if clean.chars().count() <= max_chars {
        return Some(clean.to_string());
    }
    let mut cut: String = clean.chars().take(max_chars - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    Some(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_or_multi_line_name_is_shown_on_one_capped_line() {
        assert_eq!(shown_text("HR employees", 100).as_deref(), Some("HR employees"));
        assert_eq!(shown_text("  two\nlines\r\n\tand\u{1b}[31m red ", 100).as_deref(), Some("two lines and [31m red"));
        assert_eq!(shown_text("evil\u{202E}txt", 100).as_deref(), Some("evil txt"));
        assert_eq!(shown_text(" \n ", 100), None);
        let long = "é".repeat(500);
        let shown = shown_text(&long, NAME_SHOWN_CHARS).unwrap_or_default();
        assert_eq!(shown.chars().count(), NAME_SHOWN_CHARS);
        assert!(shown.ends_with('…'));
        assert_eq!(shown_text("abcdef", 4).as_deref(), Some("abc…"));
    }
}
