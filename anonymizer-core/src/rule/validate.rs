//! Rule file text → validated [`Rules`], with every problem reported at once.

use std::ops::Range;

use regex::Regex;
use ring::digest;
use toml::de::DeValue;

use super::diagnostic::{did_you_mean, Diagnostics, Sink};
use super::model::*;
use super::syntax::{parse_document, type_name, Reader, Table, Value};

/// Built-in detector names for `redact`.
pub const BUILTIN_DETECTORS: &[&str] = &["email", "phone", "iban", "credit_card", "ipv4", "ipv6", "url"];

/// Named alphabets for `encrypt`.
pub const ALPHABETS: &[(&str, &str)] = &[
    ("digits", "0123456789"),
    ("upper_alphanumeric", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    ("lower_alphanumeric", "0123456789abcdefghijklmnopqrstuvwxyz"),
    ("alphanumeric", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
    ("letters", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
];

pub(super) const ACTIONS: &[&str] = &[
    "keep",
    "drop",
    "null",
    "replace",
    "pseudonymize",
    "encrypt",
    "mask",
    "truncate",
    "generalize",
    "shift_date",
    "redact",
    "noise",
];

const TOP_KEYS: &[&str] = &[
    "version",
    "name",
    "description",
    "unlisted",
    "on_invalid",
    "on_missing",
    "input",
    "columns",
    "patterns",
    "delete_rows",
    "detectors",
    "types",
    "examples",
];

pub(super) const ON_INVALID: &[(&str, OnInvalid)] =
    &[("null", OnInvalid::Null), ("drop_row", OnInvalid::DropRow), ("fail", OnInvalid::Fail)];

/// Limits of the one bounded regex constructor used for every customer-written pattern.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Nesting limit of customer-written patterns.
pub const REGEX_NEST_LIMIT: u32 = 32;

/// Compiles a customer-written regex with size and nesting limits.
pub fn bounded_regex(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => {
                format!("the pattern is too large (compiled size limit {limit} bytes)")
            }
            other => other.to_string().lines().last().unwrap_or("invalid pattern").trim().to_string(),
        })
}

/// Parses and validates a rule file. `origin` names it in messages.
pub fn parse_rules(src: &str, origin: &str) -> Result<Rules, Diagnostics> {
    let mut sink = Sink::new(src);
    let rules = match parse_document(src, &mut sink) {
        Some(doc) => Walker { r: Reader { sink: &mut sink }, custom: Vec::new() }.rules(doc.get_ref()),
        None => None,
    };
    let diags = sink.finish(origin);
    match rules {
        Some(mut rules) if diags.is_empty() => {
            rules.origin = origin.to_string();
            rules.sha256 =
                digest::digest(&digest::SHA256, src.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect();
            Ok(rules)
        }
        _ => Err(diags),
    }
}

pub(super) struct Walker<'a, 's> {
    pub(super) r: Reader<'a, 's>,
    /// The custom detectors read so far (`[detectors]` comes before the rules using them).
    pub(super) custom: Vec<CustomDetector>,
}

impl Walker<'_, '_> {
    fn rules(&mut self, doc: &Table<'_>) -> Option<Rules> {
        self.r.check_keys(doc, TOP_KEYS, "a rule file");
        let get = |k| Reader::get(doc, k);
        match get("version") {
            None => self.r.error(
                0..0,
                "missing `version = 1` at the top of the rule file",
                Some("add `version = 1` as the first line".into()),
            ),
            Some(v) => {
                if let Some(n) = self.r.integer(v, "`version`", 0..i64::MAX) {
                    if n != 1 {
                        self.r.error(
                            v.span(),
                            format!("unsupported rule file version {n}"),
                            Some("this importd reads version 1".into()),
                        );
                    }
                }
            }
        }
        let mut rules = Rules {
            name: get("name").and_then(|v| self.r.string(v, "`name`")),
            description: get("description").and_then(|v| self.r.string(v, "`description`")),
            unlisted: get("unlisted")
                .and_then(|v| {
                    self.r.choice(
                        v,
                        "`unlisted` value",
                        &[("drop", Unlisted::Drop), ("keep", Unlisted::Keep), ("reject", Unlisted::Reject)],
                    )
                })
                .unwrap_or(Unlisted::Drop),
            on_invalid: get("on_invalid")
                .and_then(|v| self.r.choice(v, "`on_invalid` value", ON_INVALID))
                .unwrap_or(OnInvalid::Null),
            on_missing: get("on_missing")
                .and_then(|v| {
                    self.r.choice(
                        v,
                        "`on_missing` value",
                        &[("error", OnMissing::Error), ("ignore", OnMissing::Ignore)],
                    )
                })
                .unwrap_or(OnMissing::Error),
            input: get("input").and_then(|v| self.r.table(v, "[input]")).map(|t| self.input(t)).unwrap_or_default(),
            columns: Vec::new(),
            patterns: Vec::new(),
            delete_rows: Vec::new(),
            detectors: Vec::new(),
            types: Vec::new(),
            examples: Vec::new(),
            origin: String::new(),
            sha256: String::new(),
        };
        // Detectors first: `redact` rules refer to them.
        if let Some(t) = get("detectors").and_then(|v| self.r.table(v, "[detectors]")) {
            rules.detectors = self.detectors(t);
            self.custom = rules.detectors.clone();
        }
        if let Some(t) = get("columns").and_then(|v| self.r.table(v, "[columns]")) {
            for (k, v) in t.iter() {
                if k.get_ref().trim().is_empty() {
                    self.r.error(k.span(), "a column name in [columns] is empty", None);
                    continue;
                }
                if let Some(rule) = self.rule(v, &[]) {
                    rules.columns.push((k.get_ref().to_string(), rule));
                }
            }
        }
        if let Some(v) = get("patterns") {
            for (span, t) in self.r.tables(v, "patterns") {
                if let Some(p) = self.pattern(span, t) {
                    rules.patterns.push(p);
                }
            }
        }
        if let Some(v) = get("delete_rows") {
            for (span, t) in self.r.tables(v, "delete_rows") {
                if let Some(f) = self.filter(span, t) {
                    rules.delete_rows.push(f);
                }
            }
        }
        if let Some(t) = get("types").and_then(|v| self.r.table(v, "[types]")) {
            for (k, v) in t.iter() {
                if let Some(ty) = self.column_type(v) {
                    let line = self.r.sink.line_of(k.span().start);
                    rules.types.push((k.get_ref().to_string(), ty, line));
                }
            }
        }
        if let Some(v) = get("examples") {
            for (span, t) in self.r.tables(v, "examples") {
                if let Some(e) = self.example(span, t) {
                    rules.examples.push(e);
                }
            }
        }
        Some(rules)
    }

    fn input(&mut self, t: &Table<'_>) -> InputOptions {
        self.r.check_keys(
            t,
            &["format", "delimiter", "quote", "header", "encoding", "null_values", "trim_headers"],
            "[input]",
        );
        let mut o = InputOptions::default();
        let get = |k| Reader::get(t, k);
        if let Some(v) = get("format") {
            let formats = [
                ("auto", InputFormat::Auto),
                ("csv", InputFormat::Csv),
                ("tsv", InputFormat::Tsv),
                ("jsonl", InputFormat::Jsonl),
                ("parquet", InputFormat::Parquet),
            ];
            o.format = self.r.choice(v, "input format", &formats).unwrap_or(o.format);
        }
        if let Some(v) = get("delimiter") {
            o.delimiter = self.single_byte(v, "`delimiter`");
        }
        if let Some(v) = get("quote") {
            o.quote = self.single_byte(v, "`quote`").unwrap_or(b'"');
        }
        if let Some(v) = get("header") {
            o.header = self.r.boolean(v, "`header`").unwrap_or(true);
        }
        if let Some(v) = get("encoding") {
            let encs = [
                ("utf-8", Encoding::Utf8),
                ("utf8", Encoding::Utf8),
                ("utf-16", Encoding::Utf16),
                ("windows-1252", Encoding::Windows1252),
                ("cp1252", Encoding::Windows1252),
                ("latin-1", Encoding::Latin1),
                ("iso-8859-1", Encoding::Latin1),
            ];
            o.encoding = self.r.choice(v, "encoding", &encs).unwrap_or(Encoding::Auto);
        }
        if let Some(v) = get("null_values") {
            o.null_values = self
                .r
                .string_list(v, "`null_values`")
                .map(|l| l.into_iter().map(|s| s.into_inner()).collect())
                .unwrap_or_default();
        }
        if let Some(v) = get("trim_headers") {
            o.trim_headers = self.r.boolean(v, "`trim_headers`").unwrap_or(true);
        }
        o
    }

    fn single_byte(&mut self, v: &Value<'_>, what: &str) -> Option<u8> {
        let s = self.r.string(v, what)?;
        match s.as_bytes() {
            [b] if b.is_ascii() && *b != b'\n' && *b != b'\r' => Some(*b),
            _ => {
                self.r.error(
                    v.span(),
                    format!("{what} must be one ASCII character other than a line break"),
                    Some("for a tab write \"\\t\"".into()),
                );
                None
            }
        }
    }

    fn detectors(&mut self, t: &Table<'_>) -> Vec<CustomDetector> {
        let mut out = Vec::new();
        for (k, v) in t.iter() {
            let name = k.get_ref().to_string();
            if BUILTIN_DETECTORS.contains(&name.as_str()) {
                self.r.error(
                    k.span(),
                    format!("detector `{name}` is built in and cannot be redefined"),
                    Some("choose another name".into()),
                );
                continue;
            }
            let valid_name = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_name {
                self.r.error(
                    k.span(),
                    format!(
                        "detector name `{name}` must be lower-case letters, digits and `_`, starting with a letter"
                    ),
                    None,
                );
            }
            let Some(dt) = self.r.table(v, &format!("[detectors.{name}]")) else {
                continue;
            };
            self.r.check_keys(dt, &["pattern"], &format!("[detectors.{name}]"));
            match Reader::get(dt, "pattern") {
                None => self.r.error(
                    k.span(),
                    format!("[detectors.{name}] needs a `pattern`"),
                    Some("for example: pattern = \"K-[0-9]{8}\"".into()),
                ),
                Some(p) => {
                    if let Some(s) = self.r.string(p, "`pattern`") {
                        match bounded_regex(&s) {
                            Ok(re) if re.is_match("") => self.r.error(
                                p.span(),
                                "the pattern matches the empty string, so it would find something everywhere",
                                None,
                            ),
                            Ok(re) => {
                                out.push(CustomDetector { name, pattern: re });
                            }
                            Err(e) => self.r.error(p.span(), format!("invalid pattern: {e}"), None),
                        }
                    }
                }
            }
        }
        out
    }

    fn pattern(&mut self, span: Range<usize>, t: &Table<'_>) -> Option<PatternRule> {
        let Some(cv) = Reader::get(t, "columns") else {
            self.r.error(
                span,
                "a [[patterns]] entry needs `columns`, a regex on column names",
                Some("for example: columns = \"(?i)^e-?mail$\"".into()),
            );
            return None;
        };
        let re = self.r.string(cv, "`columns`").and_then(|s| match bounded_regex(&s) {
            Ok(re) => Some(re),
            Err(e) => {
                self.r.error(cv.span(), format!("invalid regex in `columns`: {e}"), None);
                None
            }
        });
        let rule = self.rule_table(span, t, &["columns"]);
        Some(PatternRule { columns: re?, rule: rule? })
    }

    fn filter(&mut self, span: Range<usize>, t: &Table<'_>) -> Option<RowFilter> {
        const KINDS: &[&str] = &["equals", "in", "matches", "is_null"];
        self.r.check_keys(t, &["column", "equals", "in", "matches", "is_null"], "[[delete_rows]]");
        let line = self.r.sink.line_of(span.start);
        let column = match Reader::get(t, "column") {
            Some(v) => self.r.string(v, "`column`"),
            None => {
                self.r.error(span.clone(), "a [[delete_rows]] filter needs `column`", None);
                None
            }
        };
        let given: Vec<&str> = KINDS.iter().copied().filter(|k| Reader::get(t, k).is_some()).collect();
        if given.len() != 1 {
            self.r.error(
                span,
                format!(
                    "a [[delete_rows]] filter needs exactly one of `equals`, `in`, `matches`, `is_null` (found {})",
                    given.len()
                ),
                None,
            );
            return None;
        }
        let v = Reader::get(t, given[0])?;
        let matcher = match given[0] {
            "equals" => RowMatch::Equals(self.r.string(v, "`equals`")?),
            "in" => RowMatch::In(self.r.string_list(v, "`in`")?.into_iter().map(|s| s.into_inner()).collect()),
            "matches" => {
                let s = self.r.string(v, "`matches`")?;
                match bounded_regex(&s) {
                    Ok(re) => RowMatch::Matches(re),
                    Err(e) => {
                        self.r.error(v.span(), format!("invalid regex in `matches`: {e}"), None);
                        return None;
                    }
                }
            }
            _ => RowMatch::IsNull(self.r.boolean(v, "`is_null`")?),
        };
        Some(RowFilter { column: column?, matcher, line })
    }

    fn column_type(&mut self, v: &Value<'_>) -> Option<ColumnType> {
        let (name_v, format) = match v.get_ref() {
            DeValue::String(_) => (v, None),
            DeValue::Table(t) => {
                self.r.check_keys(t, &["type", "format"], "a type");
                let Some(tv) = Reader::get(t, "type") else {
                    self.r.error(
                        v.span(),
                        "a type table needs `type`",
                        Some("for example: { type = \"date\", format = \"%d.%m.%Y\" }".into()),
                    );
                    return None;
                };
                let format = match Reader::get(t, "format") {
                    Some(fv) => {
                        let f = self.r.string(fv, "`format`")?;
                        let bad =
                            chrono::format::StrftimeItems::new(&f).any(|i| matches!(i, chrono::format::Item::Error));
                        if bad || f.is_empty() {
                            self.r.error(
                                fv.span(),
                                "`format` is not a valid strftime format",
                                Some("for example \"%d.%m.%Y\" or \"%Y-%m-%d %H:%M:%S\"".into()),
                            );
                            return None;
                        }
                        Some((fv.span(), f))
                    }
                    None => None,
                };
                (tv, format)
            }
            other => {
                self.r.error(
                    v.span(),
                    format!("a type must be a string like \"int\" or a table, found {}", type_name(other)),
                    None,
                );
                return None;
            }
        };
        let name = self.r.string(name_v, "a type")?;
        let ty = match name.as_str() {
            "string" => ColumnType::String,
            "int" => ColumnType::Int,
            "float" => ColumnType::Float,
            "bool" => ColumnType::Bool,
            "date" => ColumnType::Date(None),
            "timestamp" => ColumnType::Timestamp(None),
            s if s.starts_with("decimal(") && s.ends_with(')') => {
                let inner = &s[8..s.len() - 1];
                let parts: Vec<_> = inner.split(',').map(|p| p.trim().parse::<u8>().ok()).collect();
                match parts.as_slice() {
                    [Some(p), Some(sc)] if (1..=38).contains(p) && sc <= p => {
                        ColumnType::Decimal { precision: *p, scale: *sc as i8 }
                    }
                    _ => {
                        self.r.error(
                            name_v.span(),
                            format!("bad decimal type \"{s}\""),
                            Some("write decimal(p,s) with 1 ≤ p ≤ 38 and 0 ≤ s ≤ p, e.g. decimal(12,2)".into()),
                        );
                        return None;
                    }
                }
            }
            other => {
                let names = ["string", "int", "float", "decimal(p,s)", "bool", "date", "timestamp"];
                let hint = if matches!(other, "datetime" | "time" | "datetime64") {
                    "use \"timestamp\" for a date with a time of day".to_string()
                } else {
                    did_you_mean(other, names).unwrap_or_else(|| format!("expected one of: {}", names.join(", ")))
                };
                self.r.error(name_v.span(), format!("unknown type \"{other}\""), Some(hint));
                return None;
            }
        };
        match (ty, format) {
            (ColumnType::Date(_), Some((_, f))) => Some(ColumnType::Date(Some(f))),
            (ColumnType::Timestamp(_), Some((_, f))) => Some(ColumnType::Timestamp(Some(f))),
            (ty, Some((span, _))) => {
                self.r.error(span, format!("`format` only applies to date and timestamp, not {}", ty.name()), None);
                None
            }
            (ty, None) => Some(ty),
        }
    }

    fn example(&mut self, span: Range<usize>, t: &Table<'_>) -> Option<Example> {
        self.r.check_keys(t, &["input", "expect", "expect_null"], "[[examples]]");
        let line = self.r.sink.line_of(span.start);
        let (Some(iv), Some(ev)) = (Reader::get(t, "input"), Reader::get(t, "expect")) else {
            self.r.error(
                span,
                "an [[examples]] entry needs `input` and `expect`",
                Some("expect = {} checks only `expect_null`".into()),
            );
            return None;
        };
        let input = self.r.table(iv, "`input`").map(|it| self.example_cells(it, "`input`"));
        let nulls = match Reader::get(t, "expect_null") {
            None => Some(Vec::new()),
            Some(nv) => {
                self.r.string_list(nv, "`expect_null`").map(|l| l.into_iter().map(|s| s.into_inner()).collect())
            }
        };
        let expect = match ev.get_ref() {
            DeValue::String(s) if s == "deleted" => {
                if nulls.as_ref().is_some_and(|n| !n.is_empty()) {
                    self.r.error(ev.span(), "an example that expects \"deleted\" cannot also have `expect_null`", None);
                    return None;
                }
                Some(Expect::Deleted)
            }
            DeValue::String(_) => {
                self.r.error(ev.span(), "`expect` must be a table of column values or the string \"deleted\"", None);
                None
            }
            _ => self.r.table(ev, "`expect`").map(|et| {
                let mut cells: Vec<(String, Option<String>)> =
                    self.example_cells(et, "`expect`").into_iter().map(|(k, v)| (k, Some(v))).collect();
                cells.extend(nulls.clone().unwrap_or_default().into_iter().map(|n| (n, None)));
                Expect::Columns(cells)
            }),
        };
        nulls?;
        Some(Example { input: input?, expect: expect?, line })
    }

    fn example_cells(&mut self, t: &Table<'_>, what: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in t.iter() {
            let text = match v.get_ref() {
                DeValue::String(s) => s.to_string(),
                DeValue::Integer(i) => i.as_str().replace('_', ""),
                DeValue::Float(f) => f.as_str().replace('_', ""),
                DeValue::Boolean(b) => b.to_string(),
                other => {
                    self.r.error(
                        v.span(),
                        format!("values in {what} must be strings or numbers, found {}", type_name(other)),
                        None,
                    );
                    continue;
                }
            };
            out.push((k.get_ref().to_string(), text));
        }
        out
    }
}
