//! Rules → rule-file text. Every part of the model is written out, with defaults made
//! explicit (but for the `[input]` settings sniffed when absent, written only when given), so `parse(render(rules))` gives the same model (the fuzzer checks that
//! `render ∘ parse` is a fixpoint on everything the parser accepts).

use std::fmt::Write as _;

use super::model::*;
use super::region::Region;

/// A TOML basic string.
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(", "))
}

fn float(x: f64) -> String {
    let s = format!("{x:?}");
    if s.contains(['.', 'e', 'E']) || s.contains("inf") || s.contains("nan") {
        s
    } else {
        format!("{s}.0")
    }
}

fn on_invalid_word(o: OnInvalid) -> &'static str {
    match o {
        OnInvalid::Null => "null",
        OnInvalid::DropRow => "drop_row",
        OnInvalid::Fail => "fail",
    }
}

fn unit_word(u: DateUnit) -> &'static str {
    match u {
        DateUnit::Year => "year",
        DateUnit::Quarter => "quarter",
        DateUnit::Month => "month",
        DateUnit::Week => "week",
        DateUnit::Day => "day",
        DateUnit::Hour => "hour",
    }
}

/// `action = "…", option = …` pairs of a rule.
fn rule_pairs(rule: &Rule) -> Vec<String> {
    let mut p = vec![format!("action = {}", q(rule.action.name()))];
    let opt = |p: &mut Vec<String>, k: &str, v: &Option<String>| {
        if let Some(v) = v {
            p.push(format!("{k} = {}", q(v)));
        }
    };
    match &rule.action {
        Action::Keep | Action::Drop | Action::Null => {}
        Action::Replace { value } => p.push(format!("value = {}", q(value))),
        Action::Pseudonymize { domain, prefix, length } => {
            opt(&mut p, "domain", domain);
            p.push(format!("prefix = {}", q(prefix)));
            p.push(format!("length = {length}"));
        }
        Action::Encrypt { alphabet, domain } => {
            p.push(format!("alphabet = {}", q(alphabet)));
            opt(&mut p, "domain", domain);
        }
        Action::Mask { keep_first, keep_last, ch, preserve } => {
            p.push(format!("keep_first = {keep_first}"));
            p.push(format!("keep_last = {keep_last}"));
            p.push(format!("char = {}", q(&ch.to_string())));
            p.push(format!("preserve = {}", q(&preserve.iter().collect::<String>())));
        }
        Action::Truncate { keep_first } => p.push(format!("keep_first = {keep_first}")),
        Action::Generalize(g) => p.push(match g {
            Generalize::To(u) => format!("to = {}", q(unit_word(*u))),
            Generalize::Step(s) => format!("step = {}", float(*s)),
            Generalize::Round(r) => format!("round = {r}"),
            Generalize::Bands(b) => format!("bands = {}", list(b.iter().map(|x| x.to_string()))),
        }),
        Action::ShiftDate { max_days, by, domain } => {
            p.push(format!("max_days = {max_days}"));
            opt(&mut p, "by", by);
            opt(&mut p, "domain", domain);
        }
        Action::Redact { detect, with } => {
            p.push(format!("detect = {}", list(detect.iter().map(|d| q(d)))));
            p.push(match with {
                RedactWith::Template(t) => format!("with = {}", q(t)),
                RedactWith::Pseudonym => "with = \"pseudonym\"".into(),
                RedactWith::Fake(locale) => format!("with = \"fake\", locale = {}", q(locale.name())),
            });
        }
        Action::Fake { kind, locale, domain } => {
            p.push(format!("kind = {}", q(kind.name())));
            p.push(format!("locale = {}", q(locale.name())));
            opt(&mut p, "domain", domain);
        }
        Action::Noise { noise, domain } => {
            p.push(match noise {
                Noise::Relative(x) => format!("relative = {}", float(*x)),
                Noise::Absolute(x) => format!("absolute = {}", float(*x)),
            });
            opt(&mut p, "domain", domain);
        }
    }
    if let Some(o) = rule.on_invalid {
        p.push(format!("on_invalid = {}", q(on_invalid_word(o))));
    }
    p
}

fn type_text(t: &ColumnType) -> String {
    match t {
        ColumnType::Date(Some(f)) => format!("{{ type = \"date\", format = {} }}", q(f)),
        ColumnType::Timestamp(Some(f)) => format!("{{ type = \"timestamp\", format = {} }}", q(f)),
        t => q(&t.name()),
    }
}

impl Rules {
    /// The rules as rule-file text, every default written out.
    pub fn render(&self) -> String {
        let mut s = String::from("version = 1\n");
        if let Some(n) = &self.name {
            let _ = writeln!(s, "name = {}", q(n));
        }
        if let Some(d) = &self.description {
            let _ = writeln!(s, "description = {}", q(d));
        }
        let unlisted = match self.unlisted {
            Unlisted::Drop => "drop",
            Unlisted::Keep => "keep",
            Unlisted::Reject => "reject",
        };
        let on_missing = match self.on_missing {
            OnMissing::Error => "error",
            OnMissing::Ignore => "ignore",
        };
        let _ = writeln!(
            s,
            "unlisted = {}\non_invalid = {}\non_missing = {}",
            q(unlisted),
            q(on_invalid_word(self.on_invalid)),
            q(on_missing)
        );

        let i = &self.input;
        let format = match i.format {
            InputFormat::Auto => "auto",
            InputFormat::Csv => "csv",
            InputFormat::Tsv => "tsv",
            InputFormat::Jsonl => "jsonl",
            InputFormat::Parquet => "parquet",
        };
        let _ = writeln!(s, "\n[input]\nformat = {}", q(format));
        if let Some(d) = i.delimiter {
            let _ = writeln!(s, "delimiter = {}", q(&char::from(d).to_string()));
        }
        // An absent quote is sniffed, a written one is not: only a given one is written out.
        if let Some(c) = i.quote {
            let _ = writeln!(s, "quote = {}", q(&char::from(c).to_string()));
        }
        let _ = writeln!(s, "header = {}", i.header);
        let encoding = match i.encoding {
            Encoding::Auto => None,
            Encoding::Utf8 => Some("utf-8"),
            Encoding::Utf16 => Some("utf-16"),
            Encoding::Windows1252 => Some("windows-1252"),
            Encoding::Latin1 => Some("latin-1"),
        };
        if let Some(e) = encoding {
            let _ = writeln!(s, "encoding = {}", q(e));
        }
        let _ = writeln!(
            s,
            "null_values = {}\ntrim_headers = {}",
            list(i.null_values.iter().map(|v| q(v))),
            i.trim_headers
        );
        if i.region != Region::default() {
            let _ = writeln!(s, "region = {}", q(i.region.as_str()));
        }

        if !self.types.is_empty() {
            s.push_str("\n[types]\n");
            for (name, t, _) in &self.types {
                let _ = writeln!(s, "{} = {}", q(name), type_text(t));
            }
        }
        if !self.columns.is_empty() {
            s.push_str("\n[columns]\n");
            for (name, rule) in &self.columns {
                let _ = writeln!(s, "{} = {{ {} }}", q(name), rule_pairs(rule).join(", "));
            }
        }
        for p in &self.patterns {
            let _ = writeln!(s, "\n[[patterns]]\ncolumns = {}", q(p.columns.as_str()));
            for pair in rule_pairs(&p.rule) {
                let _ = writeln!(s, "{pair}");
            }
        }
        for f in &self.delete_rows {
            let _ = writeln!(s, "\n[[delete_rows]]\ncolumn = {}", q(&f.column));
            let _ = match &f.matcher {
                RowMatch::Equals(v) => writeln!(s, "equals = {}", q(v)),
                RowMatch::In(vs) => writeln!(s, "in = {}", list(vs.iter().map(|v| q(v)))),
                RowMatch::Matches(r) => writeln!(s, "matches = {}", q(r.as_str())),
                RowMatch::IsNull(b) => writeln!(s, "is_null = {b}"),
            };
        }
        for d in &self.detectors {
            let _ = writeln!(s, "\n[detectors.{}]\npattern = {}", q(&d.name), q(d.pattern.as_str()));
            if let Some((name, _)) = d.validate.and_then(|v| CHECKSUMS.iter().find(|(_, c)| *c == v)) {
                let _ = writeln!(s, "validate = {}", q(name));
            }
            if !d.context.is_empty() {
                let _ = writeln!(s, "context = {}", list(d.context.iter().map(|w| q(w))));
            }
        }
        for e in &self.examples {
            let input = e.input.iter().map(|(k, v)| format!("{} = {}", q(k), q(v))).collect::<Vec<_>>().join(", ");
            let _ = writeln!(s, "\n[[examples]]\ninput = {{ {input} }}");
            match &e.expect {
                Expect::Deleted => s.push_str("expect = \"deleted\"\n"),
                Expect::Columns(cols) => {
                    let values: Vec<String> =
                        cols.iter().filter_map(|(k, v)| v.as_ref().map(|v| format!("{} = {}", q(k), q(v)))).collect();
                    let nulls: Vec<String> = cols.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| q(k)).collect();
                    if !values.is_empty() {
                        let _ = writeln!(s, "expect = {{ {} }}", values.join(", "));
                    }
                    if !nulls.is_empty() {
                        let _ = writeln!(s, "expect_null = {}", list(nulls));
                    }
                }
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use crate::rule::parse_rules;

    /// A quote the file leaves to sniffing stays absent when rendered (writing the default
    /// out would turn sniffing off); a quote the file gives, even the default one, stays.
    #[test]
    fn a_sniffed_quote_is_not_rendered_as_an_explicit_one() {
        let absent = parse_rules("version = 1\n[input]\nheader = true\n", "r.toml").unwrap();
        assert_eq!(absent.input.quote, None);
        assert!(!absent.render().contains("quote ="), "{}", absent.render());
        let given = parse_rules("version = 1\n[input]\nquote = '\"'\n", "r.toml").unwrap();
        assert_eq!(given.input.quote, Some(b'"'));
        let again = parse_rules(&given.render(), "rendered.toml").unwrap();
        assert_eq!(again.input.quote, Some(b'"'), "{}", given.render());
    }

    /// Every shipped rule pack survives parse → render → parse unchanged.
    #[test]
    fn rule_packs_render_to_a_fixpoint() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/examples");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let Ok(rules) = parse_rules(&text, "pack.toml") else {
                panic!("{} does not parse", entry.path().display())
            };
            let once = rules.render();
            let again = parse_rules(&once, "rendered.toml").unwrap_or_else(|d| panic!("{once}\n{d}"));
            assert_eq!(again.render(), once, "{}", entry.path().display());
            assert_eq!(
                again.columns,
                rules
                    .columns
                    .iter()
                    .map(|(n, r)| (
                        n.clone(),
                        crate::rule::Rule { line: again.column_rule(n).map_or(0, |r| r.line), ..r.clone() }
                    ))
                    .collect::<Vec<_>>()
            );
            n += 1;
        }
        assert!(n >= 5);
    }
}
