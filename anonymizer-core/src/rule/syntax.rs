//! The rule file as TOML text: a spanned document tree, and typed readers for its values
//! that report every mistake with its position instead of stopping at the first.
//!
//! We walk `toml`'s spanned `DeTable` by hand rather than deriving serde: serde stops at the
//! first error and its messages can echo input, while authors need every problem at once.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::diagnostic::{did_you_mean, Sink};

/// A spanned TOML value.
pub(crate) type Value<'i> = Spanned<DeValue<'i>>;
/// A TOML table.
pub(crate) type Table<'i> = DeTable<'i>;

/// Parses TOML text into a spanned tree, reporting every syntax error.
pub(crate) fn parse_document<'i>(src: &'i str, sink: &mut Sink<'_>) -> Option<Spanned<Table<'i>>> {
    let (doc, errors) = DeTable::parse_recoverable(src);
    if errors.is_empty() {
        return Some(doc);
    }
    for e in errors {
        let span = e.span().unwrap_or(0..0);
        let msg = e.message().trim().trim_end_matches('.').to_string();
        sink.error(span, format!("this is not valid TOML: {msg}"), None);
    }
    None
}

/// The TOML type of a value, for messages.
pub(crate) fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

/// Typed readers that record a diagnostic and return `None` on mismatch.
pub(crate) struct Reader<'a, 's> {
    pub(crate) sink: &'a mut Sink<'s>,
}

impl Reader<'_, '_> {
    pub(crate) fn error(&mut self, span: Range<usize>, msg: impl Into<String>, hint: Option<String>) {
        self.sink.error(span, msg, hint);
    }

    /// Reports every key of `table` not in `allowed`.
    pub(crate) fn check_keys(&mut self, table: &Table<'_>, allowed: &[&str], context: &str) {
        for (k, _) in table.iter() {
            if !allowed.contains(&k.get_ref().as_ref()) {
                let hint = did_you_mean(k.get_ref(), allowed.iter().copied())
                    .or_else(|| Some(format!("{context} takes: {}", allowed.join(", "))));
                self.error(k.span(), format!("unknown key `{}` in {context}", k.get_ref()), hint);
            }
        }
    }

    pub(crate) fn get<'t, 'i>(table: &'t Table<'i>, key: &str) -> Option<&'t Value<'i>> {
        table.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
    }

    pub(crate) fn string(&mut self, v: &Value<'_>, what: &str) -> Option<String> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.error(v.span(), format!("{what} must be a string, found {}", type_name(other)), None);
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, v: &Value<'_>, what: &str) -> Option<bool> {
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                self.error(v.span(), format!("{what} must be true or false, found {}", type_name(other)), None);
                None
            }
        }
    }

    pub(crate) fn integer(&mut self, v: &Value<'_>, what: &str, range: Range<i64>) -> Option<i64> {
        let parsed = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok(),
            other => {
                self.error(v.span(), format!("{what} must be a whole number, found {}", type_name(other)), None);
                return None;
            }
        };
        match parsed {
            Some(n) if range.contains(&n) => Some(n),
            _ => {
                self.error(v.span(), format!("{what} must be between {} and {}", range.start, range.end - 1), None);
                None
            }
        }
    }

    pub(crate) fn number(&mut self, v: &Value<'_>, what: &str) -> Option<f64> {
        let n = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok().map(|n| n as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            other => {
                self.error(v.span(), format!("{what} must be a number, found {}", type_name(other)), None);
                return None;
            }
        };
        match n {
            Some(n) if n.is_finite() => Some(n),
            _ => {
                self.error(v.span(), format!("{what} must be a finite number"), None);
                None
            }
        }
    }

    pub(crate) fn string_list(&mut self, v: &Value<'_>, what: &str) -> Option<Vec<Spanned<String>>> {
        match v.get_ref() {
            DeValue::Array(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for item in items.iter() {
                    match self.string(item, &format!("each entry of {what}")) {
                        Some(s) => out.push(Spanned::new(item.span(), s)),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            other => {
                self.error(v.span(), format!("{what} must be a list of strings, found {}", type_name(other)), None);
                None
            }
        }
    }

    pub(crate) fn table<'t, 'i>(&mut self, v: &'t Value<'i>, what: &str) -> Option<&'t Table<'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.error(v.span(), format!("{what} must be a table, found {}", type_name(other)), None);
                None
            }
        }
    }

    /// A string that must be one of `choices`.
    pub(crate) fn choice<T: Copy>(&mut self, v: &Value<'_>, what: &str, choices: &[(&str, T)]) -> Option<T> {
        let s = self.string(v, what)?;
        if let Some((_, t)) = choices.iter().find(|(name, _)| *name == s) {
            return Some(*t);
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let hint =
            did_you_mean(&s, names.iter().copied()).unwrap_or_else(|| format!("expected one of: {}", names.join(", ")));
        self.error(v.span(), format!("unknown {what} \"{s}\""), Some(hint));
        None
    }

    /// A list of tables (`[[x]]` or an inline array of tables).
    pub(crate) fn tables<'t, 'i>(&mut self, v: &'t Value<'i>, what: &str) -> Vec<(Range<usize>, &'t Table<'i>)> {
        match v.get_ref() {
            DeValue::Array(items) => {
                items.iter().filter_map(|item| self.table(item, what).map(|t| (item.span(), t))).collect()
            }
            other => {
                self.error(
                    v.span(),
                    format!("{what} must be written as [[{what}]] tables, found {}", type_name(other)),
                    None,
                );
                Vec::new()
            }
        }
    }
}
