//! `[types]` (column name → type, with its format) and `[[examples]]` (the rule file's own
//! tests), walked into their validated model.

use std::ops::Range;

use toml::de::DeValue;

use super::diagnostic::did_you_mean;
use super::model::*;
use super::syntax::{type_name, Reader, Table, Value};
use super::validate::Walker;

impl Walker<'_, '_> {
    pub(super) fn column_type(&mut self, v: &Value<'_>) -> Option<ColumnType> {
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

    pub(super) fn example(&mut self, span: Range<usize>, t: &Table<'_>) -> Option<Example> {
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

    pub(super) fn example_cells(&mut self, t: &Table<'_>, what: &str) -> Vec<(String, String)> {
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
