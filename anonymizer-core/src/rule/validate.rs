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

const ACTIONS: &[&str] = &[
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

const ON_INVALID: &[(&str, OnInvalid)] =
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

struct Walker<'a, 's> {
    r: Reader<'a, 's>,
    custom: Vec<String>,
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
                ("windows-1252", Encoding::Windows1252),
                ("cp1252", Encoding::Windows1252),
                ("latin-1", Encoding::Latin1),
                ("iso-8859-1", Encoding::Latin1),
            ];
            o.encoding = self.r.choice(v, "encoding", &encs).unwrap_or(Encoding::Utf8);
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
                                self.custom.push(name.clone());
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

    /// A rule: `"action"` or `{ action = "...", ... }`.
    fn rule(&mut self, v: &Value<'_>, extra_keys: &[&str]) -> Option<Rule> {
        match v.get_ref() {
            DeValue::String(s) => {
                let line = self.r.sink.line_of(v.span().start);
                let action = self.bare_action(v.span(), s)?;
                Some(Rule { action, on_invalid: None, line })
            }
            DeValue::Table(t) => self.rule_table(v.span(), t, extra_keys),
            other => {
                self.r.error(v.span(), format!("a rule must be an action name like \"drop\" or a table like {{ action = \"mask\", keep_last = 4 }}, found {}", type_name(other)), None);
                None
            }
        }
    }

    fn action_name(&mut self, span: Range<usize>, s: &str) -> Option<&'static str> {
        if let Some(a) = ACTIONS.iter().find(|a| **a == s) {
            return Some(a);
        }
        let hint = did_you_mean(s, ACTIONS.iter().copied())
            .unwrap_or_else(|| format!("expected one of: {}", ACTIONS.join(", ")));
        self.r.error(span, format!("unknown action \"{s}\""), Some(hint));
        None
    }

    fn bare_action(&mut self, span: Range<usize>, s: &str) -> Option<Action> {
        let name = self.action_name(span.clone(), s)?;
        let action = match name {
            "keep" => Action::Keep,
            "drop" => Action::Drop,
            "null" => Action::Null,
            "pseudonymize" => Action::Pseudonymize { domain: None, prefix: String::new(), length: 20 },
            "mask" => Action::Mask { keep_first: 0, keep_last: 0, ch: '*', preserve: Vec::new() },
            other => {
                let example = match other {
                    "replace" => "{ action = \"replace\", value = \"***\" }",
                    "encrypt" => "{ action = \"encrypt\", alphabet = \"digits\" }",
                    "truncate" => "{ action = \"truncate\", keep_first = 3 }",
                    "generalize" => "{ action = \"generalize\", to = \"year\" }",
                    "shift_date" => "{ action = \"shift_date\", max_days = 30 }",
                    "redact" => "{ action = \"redact\", detect = [\"email\", \"phone\"] }",
                    _ => "{ action = \"noise\", relative = 0.05 }",
                };
                self.r.error(
                    span,
                    format!("action \"{other}\" needs options"),
                    Some(format!("write it as a table, e.g. {example}")),
                );
                return None;
            }
        };
        Some(action)
    }

    fn rule_table(&mut self, span: Range<usize>, t: &Table<'_>, extra_keys: &[&str]) -> Option<Rule> {
        let line = self.r.sink.line_of(span.start);
        let Some(av) = Reader::get(t, "action") else {
            self.r.error(span, "a rule table needs `action`", Some(format!("one of: {}", ACTIONS.join(", "))));
            return None;
        };
        let name = self.r.string(av, "`action`").and_then(|s| self.action_name(av.span(), &s))?;
        let options: &[&str] = match name {
            "replace" => &["value"],
            "pseudonymize" => &["domain", "prefix", "length"],
            "encrypt" => &["alphabet", "domain"],
            "mask" => &["keep_first", "keep_last", "char", "preserve"],
            "truncate" => &["keep_first"],
            "generalize" => &["to", "step", "round", "bands"],
            "shift_date" => &["max_days", "by", "domain"],
            "redact" => &["detect", "with"],
            "noise" => &["relative", "absolute", "domain"],
            _ => &[],
        };
        let mut allowed = vec!["action", "on_invalid"];
        allowed.extend_from_slice(options);
        allowed.extend_from_slice(extra_keys);
        self.r.check_keys(t, &allowed, &format!("a `{name}` rule"));
        let on_invalid = Reader::get(t, "on_invalid").and_then(|v| self.r.choice(v, "`on_invalid` value", ON_INVALID));
        let action = self.action_options(name, av.span(), t)?;
        Some(Rule { action, on_invalid, line })
    }

    fn opt_string(&mut self, t: &Table<'_>, key: &str) -> Option<Option<String>> {
        match Reader::get(t, key) {
            None => Some(None),
            Some(v) => self.r.string(v, &format!("`{key}`")).map(Some),
        }
    }

    fn required<'t, 'i>(
        &mut self,
        t: &'t Table<'i>,
        key: &str,
        action: &str,
        span: &Range<usize>,
        example: &str,
    ) -> Option<&'t Value<'i>> {
        let v = Reader::get(t, key);
        if v.is_none() {
            self.r.error(
                span.clone(),
                format!("action \"{action}\" needs `{key}`"),
                Some(format!("for example: {example}")),
            );
        }
        v
    }

    fn action_options(&mut self, name: &str, span: Range<usize>, t: &Table<'_>) -> Option<Action> {
        let usize_opt = |w: &mut Self, key: &str, max: i64| -> Option<Option<usize>> {
            match Reader::get(t, key) {
                None => Some(None),
                Some(v) => w.r.integer(v, &format!("`{key}`"), 0..max + 1).map(|n| Some(n as usize)),
            }
        };
        Some(match name {
            "keep" => Action::Keep,
            "drop" => Action::Drop,
            "null" => Action::Null,
            "replace" => {
                let v = self.required(t, "value", name, &span, "value = \"***\"")?;
                Action::Replace { value: self.r.string(v, "`value`")? }
            }
            "pseudonymize" => {
                let domain = self.opt_string(t, "domain");
                let prefix = self.opt_string(t, "prefix");
                let length = match Reader::get(t, "length") {
                    None => Some(20),
                    Some(v) => self.r.integer(v, "`length`", 8..53).map(|n| n as usize),
                };
                Action::Pseudonymize { domain: domain?, prefix: prefix?.unwrap_or_default(), length: length? }
            }
            "encrypt" => {
                let av = self.required(t, "alphabet", name, &span, "alphabet = \"digits\"")?;
                let a = self.r.string(av, "`alphabet`")?;
                let alphabet = match ALPHABETS.iter().find(|(n, _)| *n == a) {
                    Some((_, chars)) => chars.to_string(),
                    None => {
                        let mut seen = std::collections::HashSet::new();
                        let distinct = a.chars().all(|c| seen.insert(c));
                        let looks_like_name = a.chars().all(|c| c.is_ascii_lowercase() || c == '_') && a.len() > 3;
                        if looks_like_name && !distinct {
                            let hint = did_you_mean(&a, ALPHABETS.iter().map(|(n, _)| *n)).unwrap_or_else(|| {
                                format!(
                                    "named alphabets: {}",
                                    ALPHABETS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                                )
                            });
                            self.r.error(av.span(), format!("unknown alphabet \"{a}\""), Some(hint));
                            return None;
                        }
                        if !distinct || a.chars().count() < 2 {
                            self.r.error(
                                av.span(),
                                "a custom alphabet needs at least 2 characters, each only once",
                                None,
                            );
                            return None;
                        }
                        a
                    }
                };
                let domain = self.opt_string(t, "domain")?;
                Action::Encrypt { alphabet, domain }
            }
            "mask" => {
                let keep_first = usize_opt(self, "keep_first", 1_000_000);
                let keep_last = usize_opt(self, "keep_last", 1_000_000);
                let ch = match Reader::get(t, "char") {
                    None => Some('*'),
                    Some(v) => self.r.string(v, "`char`").and_then(|s| {
                        let mut it = s.chars();
                        match (it.next(), it.next()) {
                            (Some(c), None) => Some(c),
                            _ => {
                                self.r.error(v.span(), "`char` must be exactly one character", None);
                                None
                            }
                        }
                    }),
                };
                let preserve = self.opt_string(t, "preserve");
                Action::Mask {
                    keep_first: keep_first?.unwrap_or(0),
                    keep_last: keep_last?.unwrap_or(0),
                    ch: ch?,
                    preserve: preserve?.unwrap_or_default().chars().collect(),
                }
            }
            "truncate" => {
                let v = self.required(t, "keep_first", name, &span, "keep_first = 3")?;
                Action::Truncate { keep_first: self.r.integer(v, "`keep_first`", 0..1_000_001)? as usize }
            }
            "generalize" => self.generalize(span, t)?,
            "shift_date" => {
                let v = self.required(t, "max_days", name, &span, "max_days = 30")?;
                let max_days = self.r.integer(v, "`max_days`", 1..36_501);
                let by = self.opt_string(t, "by");
                let domain = self.opt_string(t, "domain");
                Action::ShiftDate { max_days: max_days? as u32, by: by?, domain: domain? }
            }
            "redact" => {
                let v = self.required(t, "detect", name, &span, "detect = [\"email\", \"phone\"]")?;
                let detect = self.r.string_list(v, "`detect`")?;
                if detect.is_empty() {
                    self.r.error(v.span(), "`detect` names no detector", None);
                }
                let mut names = Vec::new();
                for d in detect {
                    let known = BUILTIN_DETECTORS.contains(&d.get_ref().as_str())
                        || self.custom.iter().any(|c| c == d.get_ref());
                    if !known {
                        let all: Vec<&str> =
                            BUILTIN_DETECTORS.iter().copied().chain(self.custom.iter().map(String::as_str)).collect();
                        let hint = did_you_mean(d.get_ref(), all.iter().copied())
                            .unwrap_or_else(|| format!("known detectors: {}", all.join(", ")));
                        self.r.error(d.span(), format!("unknown detector \"{}\"", d.get_ref()), Some(hint));
                    }
                    names.push(d.into_inner());
                }
                let with = match Reader::get(t, "with") {
                    None => RedactWith::Template("<{kind}>".into()),
                    Some(v) => match self.r.string(v, "`with`")? {
                        s if s == "pseudonym" => RedactWith::Pseudonym,
                        s => RedactWith::Template(s),
                    },
                };
                Action::Redact { detect: names, with }
            }
            _ => {
                let rel = Reader::get(t, "relative");
                let abs = Reader::get(t, "absolute");
                let noise = match (rel, abs) {
                    (Some(v), None) => Noise::Relative(self.positive(v, "`relative`")?),
                    (None, Some(v)) => Noise::Absolute(self.positive(v, "`absolute`")?),
                    _ => {
                        self.r.error(
                            span,
                            "action \"noise\" needs exactly one of `relative` or `absolute`",
                            Some("for example: relative = 0.05".into()),
                        );
                        return None;
                    }
                };
                Action::Noise { noise, domain: self.opt_string(t, "domain")? }
            }
        })
    }

    fn positive(&mut self, v: &Value<'_>, what: &str) -> Option<f64> {
        let n = self.r.number(v, what)?;
        if n <= 0.0 {
            self.r.error(v.span(), format!("{what} must be greater than 0"), None);
            return None;
        }
        Some(n)
    }

    fn generalize(&mut self, span: Range<usize>, t: &Table<'_>) -> Option<Action> {
        let given: Vec<&str> =
            ["to", "step", "round", "bands"].into_iter().filter(|k| Reader::get(t, k).is_some()).collect();
        if given.len() != 1 {
            self.r.error(
                span,
                "action \"generalize\" needs exactly one of `to`, `step`, `round`, `bands`",
                Some("for example: to = \"year\" (dates), step = 10 (numbers), bands = [18, 30, 45, 65] (ages)".into()),
            );
            return None;
        }
        let v = Reader::get(t, given[0])?;
        let g = match given[0] {
            "to" => {
                let units = [
                    ("year", DateUnit::Year),
                    ("quarter", DateUnit::Quarter),
                    ("month", DateUnit::Month),
                    ("week", DateUnit::Week),
                    ("day", DateUnit::Day),
                    ("hour", DateUnit::Hour),
                ];
                Generalize::To(self.r.choice(v, "unit for `to`", &units)?)
            }
            "step" => Generalize::Step(self.positive(v, "`step`")?),
            "round" => Generalize::Round(self.r.integer(v, "`round`", 1..16)? as u32),
            _ => {
                let DeValue::Array(items) = v.get_ref() else {
                    self.r.error(
                        v.span(),
                        format!("`bands` must be a list of whole numbers, found {}", type_name(v.get_ref())),
                        None,
                    );
                    return None;
                };
                let bands: Vec<i64> =
                    items.iter().filter_map(|i| self.r.integer(i, "each band limit", 0..100_000)).collect();
                if bands.len() != items.len() {
                    return None;
                }
                if bands.is_empty() || bands.windows(2).any(|w| w[0] >= w[1]) {
                    self.r.error(
                        v.span(),
                        "`bands` must be a non-empty list of ascending numbers",
                        Some("for example: bands = [18, 30, 45, 65]".into()),
                    );
                    return None;
                }
                Generalize::Bands(bands)
            }
        };
        Some(Action::Generalize(g))
    }
}
