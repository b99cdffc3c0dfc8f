//! The JSON Schema of rule files, for editors (completion, hover docs, validation while
//! typing). The validator itself walks the spanned TOML (`syntax.rs` → `validate.rs`) so every
//! diagnostic has an exact position; these types only describe the same file, and their doc
//! comments become the schema's descriptions. `rules/schema/rules-v1.json` is generated from
//! them (`importd rules schema`); a test fails when it is stale, and CI validates every example
//! rule pack against it.

#![allow(dead_code)] // the fields are read by the schema derive only

use std::collections::BTreeMap;

use schemars::JsonSchema;

use super::model::{DateUnit, OnInvalid, OnMissing, Unlisted};

/// An importd rule file (version 1): how one dataset's columns are made unrecognizable.
/// Columns no rule names are dropped unless `unlisted` says otherwise.
#[derive(JsonSchema)]
#[schemars(title = "importd rule file", deny_unknown_fields)]
struct RuleFile {
    /// The rule language version; always 1.
    #[schemars(range(min = 1, max = 1))]
    version: u32,
    /// A short name for the rule file.
    name: Option<String>,
    /// What the dataset is and why these rules.
    description: Option<String>,
    /// What happens to columns no rule names: `drop` (default), `keep`, or `reject` the file.
    unlisted: Option<Unlisted>,
    /// What happens to a value an action cannot transform: `null` (default), `drop_row`, or `fail` the import.
    on_invalid: Option<OnInvalid>,
    /// A rule names a column the file lacks: `error` (default) or `ignore`.
    on_missing: Option<OnMissing>,
    /// How to read files; sniffed when absent.
    input: Option<InputSection>,
    /// Exact column name → rule.
    columns: Option<BTreeMap<String, RuleSpec>>,
    /// Rules for columns whose name matches a regex; an exact name in `columns` wins, then the first matching pattern.
    patterns: Option<Vec<Pattern>>,
    /// Row filters: a row is deleted when any filter matches its raw values.
    delete_rows: Option<Vec<DeleteRow>>,
    /// Custom detectors for `redact`: name → pattern.
    detectors: Option<BTreeMap<String, Detector>>,
    /// Column name → the type it is read and written as.
    types: Option<BTreeMap<String, TypeSpec>>,
    /// Tests that live in the rule file, run by `importd rules check` with the all-zero test key.
    examples: Option<Vec<Example>>,
}

/// `[input]`: how to read files.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct InputSection {
    /// `auto` (default: by extension and content), `csv`, `tsv`, `jsonl` or `parquet`.
    format: Option<Format>,
    /// One ASCII character; sniffed among `,` `;` tab `|` when absent.
    #[schemars(length(min = 1, max = 1))]
    delimiter: Option<String>,
    /// One ASCII character, used as written; sniffed when absent (`'` when the first lines quote
    /// fields with it and hold no `"`, else `"`).
    #[schemars(length(min = 1, max = 1))]
    quote: Option<String>,
    /// Whether the first row names the columns (default true).
    header: Option<bool>,
    /// Text encoding; sniffed when absent (a UTF-16 byte-order mark, valid UTF-8, else Windows-1252).
    encoding: Option<EncodingName>,
    /// Strings read as null (default `[""]`).
    null_values: Option<Vec<String>>,
    /// Trim spaces around header names (default true).
    trim_headers: Option<bool>,
    /// ISO 3166 alpha-2 country whose national writing of phone numbers (and identifiers) the
    /// data uses (default `DE`).
    #[schemars(length(min = 2, max = 2))]
    region: Option<String>,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
enum Format {
    Auto,
    Csv,
    Tsv,
    Jsonl,
    Parquet,
}

#[derive(JsonSchema)]
enum EncodingName {
    #[schemars(rename = "utf-8")]
    Utf8,
    #[schemars(rename = "utf-16")]
    Utf16,
    #[schemars(rename = "windows-1252")]
    Windows1252,
    #[schemars(rename = "latin-1")]
    Latin1,
}

/// A rule: an action name, or a table with `action` and its options.
#[derive(JsonSchema)]
#[schemars(untagged)]
enum RuleSpec {
    /// An action without options, or with its defaults.
    Name(ActionName),
    Table(Action),
}

#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
enum ActionName {
    /// Passes the value through.
    Keep,
    /// Removes the column.
    Drop,
    /// Every value becomes null; the column stays.
    Null,
    /// Keyed, deterministic token (HMAC-SHA256, base32).
    Pseudonymize,
    /// Replaces characters with `*`.
    Mask,
    /// Replaces personal data found inside free text with `<kind>`.
    Redact,
}

/// An action with options.
#[derive(JsonSchema)]
#[schemars(tag = "action", rename_all = "snake_case")]
enum Action {
    /// Passes the value through.
    Keep { on_invalid: Option<OnInvalid> },
    /// Removes the column.
    Drop {},
    /// Every value becomes null; the column stays.
    Null {},
    /// Every non-null value becomes a constant.
    Replace {
        /// The constant.
        value: String,
        on_invalid: Option<OnInvalid>,
    },
    /// Keyed, deterministic token: prefix + base32(HMAC-SHA256(key, domain 0x00 value))[..length].
    Pseudonymize {
        /// Columns with the same domain give the same token for the same value (joins keep working). Default: the column's name.
        domain: Option<String>,
        /// Text put before the token.
        prefix: Option<String>,
        /// Base32 characters of the token, 8–52 (default 20).
        #[schemars(range(min = 8, max = 52))]
        length: Option<u32>,
        on_invalid: Option<OnInvalid>,
    },
    /// Format-preserving encryption (FF1, AES-256), reversible with `importd reveal`.
    Encrypt {
        /// `digits`, `upper_alphanumeric`, `lower_alphanumeric`, `alphanumeric`, `letters`, or a custom string of ≥ 2 distinct characters.
        /// A value of lowercase letters and `_` that contains `_`, repeats a letter or is within 3 edits of a name is refused as a misspelt name.
        alphabet: String,
        /// The FF1 tweak; default: the column's name.
        domain: Option<String>,
        on_invalid: Option<OnInvalid>,
    },
    /// Replaces characters with a mask character.
    Mask {
        /// Characters left visible at the start (default 0).
        keep_first: Option<u32>,
        /// Characters left visible at the end (default 0).
        keep_last: Option<u32>,
        /// The mask character (default `*`).
        #[schemars(length(min = 1, max = 1))]
        char: Option<String>,
        /// Characters left untouched and not counted, e.g. `" -"`.
        preserve: Option<String>,
        on_invalid: Option<OnInvalid>,
    },
    /// Keeps a prefix.
    Truncate {
        /// Characters kept.
        keep_first: u32,
        on_invalid: Option<OnInvalid>,
    },
    /// Coarsens a value: dates with `to`, numbers with `step` or `round`, ages with `bands`.
    Generalize {
        /// Truncate a date or timestamp to this unit.
        to: Option<DateUnit>,
        /// Bucket width; the value becomes the bucket's lower bound.
        step: Option<f64>,
        /// Significant digits kept.
        round: Option<u32>,
        /// Band limits, e.g. `[18, 30, 45, 65]` → `"<18"`, `"18-29"`, …, `"65+"`.
        bands: Option<Vec<i64>>,
        on_invalid: Option<OnInvalid>,
    },
    /// Moves dates by a keyed per-subject offset, so intervals within one subject survive.
    ShiftDate {
        /// The largest shift in days either way.
        max_days: u32,
        /// The column whose input value identifies the subject (default: the cell's own value).
        by: Option<String>,
        /// Default: the column's name.
        domain: Option<String>,
        on_invalid: Option<OnInvalid>,
    },
    /// Finds personal data inside free text and replaces each finding.
    Redact {
        /// Detector names or groups: `email`, `phone`, `url` (group `contact`); `iban`, `credit_card` (`financial`); `ipv4`, `ipv6` (`network`); the national identifiers `de_tax_id`, `us_ssn`, … (`national_id`); `person_name`, `street_address`, `date_of_birth` (`person`); `all` for every built-in; or custom ones from `[detectors]`.
        detect: Option<Vec<String>>,
        /// A template such as `"<{kind}>"` (default), `"pseudonym"` for a keyed token of the found value, or `"fake"` for a realistic fake of its kind.
        with: Option<String>,
        /// With `with = "fake"`: the locale of the fakes (default `en`).
        locale: Option<FakeLocale>,
        on_invalid: Option<OnInvalid>,
    },
    /// Adds keyed, deterministic noise to numbers (`relative` or `absolute`).
    Noise {
        /// e.g. 0.05 for ±5 %.
        relative: Option<f64>,
        /// Largest change either way.
        absolute: Option<f64>,
        /// Default: the column's name.
        domain: Option<String>,
        on_invalid: Option<OnInvalid>,
    },
    /// A realistic, keyed, deterministic replacement of the same kind (lists `fake-v1`).
    Fake {
        /// What to make.
        kind: FakeKind,
        /// Default `en`.
        locale: Option<FakeLocale>,
        /// Columns with the same domain give the same fake for the same value. Default: the column's name.
        domain: Option<String>,
        on_invalid: Option<OnInvalid>,
    },
}

/// The kinds `fake` makes.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
enum FakeKind {
    FirstName,
    LastName,
    FullName,
    Email,
    Phone,
    Street,
    City,
    PostalCode,
    Iban,
    Company,
}

/// The locales `fake` has lists for.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
enum FakeLocale {
    De,
    En,
    Fr,
    Es,
    It,
    Nl,
    Pl,
    Tr,
}

/// `[[patterns]]`: a rule for every column whose name matches `columns`.
#[derive(JsonSchema)]
struct Pattern {
    /// A regular expression on the column name, e.g. `"(?i)^e-?mail$"`.
    columns: String,
    /// The action, with its options next to it as in a rule table.
    action: ActionName2,
}

/// Any action name (options go next to `action`).
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
enum ActionName2 {
    Keep,
    Drop,
    Null,
    Replace,
    Pseudonymize,
    Encrypt,
    Mask,
    Truncate,
    Generalize,
    ShiftDate,
    Redact,
    Noise,
    Fake,
}

/// `[[delete_rows]]`: one of `equals`, `in`, `matches`, `is_null` on a column's raw value.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct DeleteRow {
    column: String,
    equals: Option<String>,
    #[schemars(rename = "in")]
    in_: Option<Vec<String>>,
    /// A regular expression.
    matches: Option<String>,
    is_null: Option<bool>,
}

/// `[detectors.NAME]`: a custom detector for `redact`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Detector {
    /// A regular expression (size and nesting are limited).
    pattern: String,
    /// A check a match must pass: `luhn`, `mod11` and `iso7064_mod11_10` over its digits,
    /// `mod97` (as IBAN) and `iso7064_mod97_10` over its letters and digits.
    validate: Option<ChecksumName>,
    /// Words (case-insensitive) of which one must begin a word within 40 characters before
    /// or after a match.
    context: Option<Vec<String>>,
}

/// A custom detector's `validate`.
#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
#[allow(dead_code)]
enum ChecksumName {
    Luhn,
    Mod97,
    Mod11,
    #[schemars(rename = "iso7064_mod11_10")]
    Iso7064Mod11x10,
    #[schemars(rename = "iso7064_mod97_10")]
    Iso7064Mod97x10,
}

/// A type name, or a table with a strftime `format` for dates and timestamps.
#[derive(JsonSchema)]
#[schemars(untagged)]
enum TypeSpec {
    Name(TypeName),
    Table(TypeTable),
}

/// `string`, `int`, `float`, `bool`, `date`, `timestamp`, or `decimal(p,s)`.
#[derive(JsonSchema)]
#[schemars(transparent)]
struct TypeName(#[schemars(pattern(r"^(string|int|float|bool|date|timestamp|decimal\(\d+, ?\d+\))$"))] String);

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct TypeTable {
    #[schemars(rename = "type")]
    kind: String,
    /// strftime syntax, e.g. `"%d.%m.%Y"`; ISO 8601 when absent.
    format: Option<String>,
}

/// `[[examples]]`: an input row and what the rules must make of it.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Example {
    /// Column → input value.
    input: BTreeMap<String, String>,
    /// Column → expected output (only listed columns are compared), or `"deleted"`.
    expect: Option<Expect>,
    /// Columns expected to be null.
    expect_null: Option<Vec<String>>,
}

#[derive(JsonSchema)]
#[schemars(untagged)]
enum Expect {
    Columns(BTreeMap<String, String>),
    Deleted(DeletedWord),
}

#[derive(JsonSchema)]
#[schemars(rename_all = "snake_case")]
enum DeletedWord {
    Deleted,
}

/// The JSON Schema of rule files, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RuleFile);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_schema_is_fresh() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/schema/rules-v1.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed.trim_end() == super::json_schema().trim_end(),
            "rules/schema/rules-v1.json is stale: run `cargo run -p importd -- rules schema > rules/schema/rules-v1.json`"
        );
    }
}
