//! The rule file's sections other than `[columns]`: `[input]`, `[detectors.*]`,
//! `[[patterns]]` and `[[delete_rows]]`, each walked into its validated model.

use std::ops::Range;

use super::model::*;
use super::region::Region;
use super::syntax::{Reader, Table, Value};
use super::validate::{bounded_regex, Walker, BUILTIN_DETECTORS, DETECTOR_GROUPS};

impl Walker<'_, '_> {
    pub(super) fn input(&mut self, t: &Table<'_>) -> InputOptions {
        self.r.check_keys(
            t,
            &["format", "delimiter", "quote", "header", "encoding", "null_values", "trim_headers", "region"],
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
            o.quote = self.single_byte(v, "`quote`");
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
        if let Some(v) = get("region") {
            if let Some(code) = self.r.string(v, "`region`") {
                match Region::new(&code) {
                    Some(region) => o.region = region,
                    None => self.r.error(
                        v.span(),
                        "`region` is not an ISO 3166 country with a numbering plan",
                        Some("two letters, for example \"DE\", \"AT\", \"CH\", \"FR\", \"GB\", \"US\", \"CN\"".into()),
                    ),
                }
            }
        }
        o
    }

    pub(super) fn single_byte(&mut self, v: &Value<'_>, what: &str) -> Option<u8> {
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

    pub(super) fn detectors(&mut self, t: &Table<'_>) -> Vec<CustomDetector> {
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
            if DETECTOR_GROUPS.iter().any(|(g, _)| *g == name) {
                self.r.error(
                    k.span(),
                    format!("`{name}` names a group of built-in detectors and cannot be a detector's name"),
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
            self.r.check_keys(dt, &["pattern", "validate", "context"], &format!("[detectors.{name}]"));
            let validate = Reader::get(dt, "validate").and_then(|v| self.r.choice(v, "`validate` check", CHECKSUMS));
            let context = match Reader::get(dt, "context") {
                None => Vec::new(),
                Some(v) => {
                    let words = self.r.string_list(v, "`context`").unwrap_or_default();
                    if words.is_empty() {
                        self.r.error(
                            v.span(),
                            format!("[detectors.{name}] `context` needs words, none of them empty"),
                            Some("for example: context = [\"Kundennr\", \"customer\"]".into()),
                        );
                    }
                    let mut out = Vec::new();
                    for w in words {
                        let span = w.span();
                        let word = w.into_inner().trim().to_lowercase();
                        // A word is looked for where a word begins, within 40 characters.
                        let starts_word = word.chars().next().is_some_and(char::is_alphanumeric);
                        if !starts_word || word.chars().count() > crate::detect::CONTEXT_CHARS {
                            self.r.error(
                                span,
                                format!(
                                    "[detectors.{name}] context word \"{word}\" could never be found: a context word starts with a letter or digit and has at most {} characters",
                                    crate::detect::CONTEXT_CHARS
                                ),
                                Some("for example: context = [\"Kundennr\", \"customer\"]".into()),
                            );
                        }
                        out.push(word);
                    }
                    out
                }
            };
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
                                out.push(CustomDetector { name, pattern: re, validate, context });
                            }
                            Err(e) => self.r.error(p.span(), format!("invalid pattern: {e}"), None),
                        }
                    }
                }
            }
        }
        out
    }

    pub(super) fn pattern(&mut self, span: Range<usize>, t: &Table<'_>) -> Option<PatternRule> {
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

    pub(super) fn filter(&mut self, span: Range<usize>, t: &Table<'_>) -> Option<RowFilter> {
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
}

#[cfg(test)]
mod tests;
