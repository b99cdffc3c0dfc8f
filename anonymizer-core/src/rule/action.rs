//! Rules for one column: an action name or a table of an action and its options, each
//! option checked with its position (the per-action half of `validate`).

use std::ops::Range;

use toml::de::DeValue;

use super::diagnostic::did_you_mean;
use super::model::*;
use super::syntax::{type_name, Reader, Table, Value};
use super::validate::{expand_detectors, Walker, ACTIONS, ALPHABETS, BUILTIN_DETECTORS, DETECTOR_GROUPS, ON_INVALID};
use crate::detect::Scanner;

/// Edits (Levenshtein) within which an `alphabet` of lowercase letters is a misspelt name.
const ALPHABET_TYPO_EDITS: usize = 3;

/// Whether an `alphabet` value that is no named alphabet is a misspelt name rather than a
/// custom alphabet: it is made only of lowercase ASCII letters and `_`, and it contains `_`,
/// repeats a letter, or is within [`ALPHABET_TYPO_EDITS`] edits of a name (`"digts"`,
/// `"leters"`, `"upper_alnum"`). `"abcdef"` or `"0123456789ABCDEF"` stay custom alphabets.
fn is_misspelt_alphabet_name(a: &str) -> bool {
    if a.is_empty() || !a.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return false;
    }
    let mut seen = std::collections::HashSet::new();
    let repeats = !a.chars().all(|c| seen.insert(c));
    a.contains('_') || repeats || ALPHABETS.iter().any(|(n, _)| strsim::levenshtein(a, n) <= ALPHABET_TYPO_EDITS)
}

/// The named alphabet closest to a misspelt one: by edit distance when within
/// [`ALPHABET_TYPO_EDITS`], else the most similar by Jaro-Winkler when similar enough.
fn closest_alphabet_name(a: &str) -> Option<&'static str> {
    let nearest = ALPHABETS.iter().map(|(n, _)| (strsim::levenshtein(a, n), *n)).min_by_key(|(d, _)| *d);
    match nearest {
        Some((d, n)) if d <= ALPHABET_TYPO_EDITS => Some(n),
        _ => ALPHABETS
            .iter()
            .map(|(n, _)| (strsim::jaro_winkler(a, n), *n))
            .filter(|(s, _)| *s > 0.8)
            .max_by(|x, y| x.0.total_cmp(&y.0))
            .map(|(_, n)| n),
    }
}

impl Walker<'_, '_> {
    /// A rule: `"action"` or `{ action = "...", ... }`.
    pub(super) fn rule(&mut self, v: &Value<'_>, extra_keys: &[&str]) -> Option<Rule> {
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
                    "fake" => "{ action = \"fake\", kind = \"full_name\", locale = \"de\" }",
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

    pub(super) fn rule_table(&mut self, span: Range<usize>, t: &Table<'_>, extra_keys: &[&str]) -> Option<Rule> {
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
            "redact" => &["detect", "with", "locale"],
            "noise" => &["relative", "absolute", "domain"],
            "fake" => &["kind", "locale", "domain"],
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
                        if is_misspelt_alphabet_name(&a) {
                            let names = ALPHABETS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
                            let hint = match closest_alphabet_name(&a) {
                                Some(name) => format!("did you mean \"{name}\"? The named alphabets are: {names}"),
                                None => format!("the named alphabets are: {names}"),
                            };
                            self.r.error(
                                av.span(),
                                format!("unknown alphabet \"{a}\" (lowercase letters like these are read as a misspelt name, not as a custom alphabet)"),
                                Some(hint),
                            );
                            return None;
                        }
                        let mut seen = std::collections::HashSet::new();
                        if !a.chars().all(|c| seen.insert(c)) || a.chars().count() < 2 {
                            self.r.error(
                                av.span(),
                                "a custom alphabet needs at least 2 characters, each only once",
                                did_you_mean(&a, ALPHABETS.iter().map(|(n, _)| *n)),
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
                let mut all_known = true;
                for d in detect {
                    let known = BUILTIN_DETECTORS.contains(&d.get_ref().as_str())
                        || DETECTOR_GROUPS.iter().any(|(g, _)| g == d.get_ref())
                        || self.custom.iter().any(|c| c.name == *d.get_ref());
                    if !known {
                        let all: Vec<&str> = BUILTIN_DETECTORS
                            .iter()
                            .copied()
                            .chain(self.custom.iter().map(|c| c.name.as_str()))
                            .collect();
                        let groups: Vec<&str> = DETECTOR_GROUPS.iter().map(|(g, _)| *g).collect();
                        let hint = did_you_mean(d.get_ref(), all.iter().chain(&groups).copied()).unwrap_or_else(|| {
                            format!("known detectors: {}; groups: {}", all.join(", "), groups.join(", "))
                        });
                        self.r.error(d.span(), format!("unknown detector \"{}\"", d.get_ref()), Some(hint));
                        all_known = false;
                    }
                    names.push(d.into_inner());
                }
                // Groups (`contact`, `all`, …) stand for their members.
                let names = expand_detectors(&names);
                let locale = self.fake_locale(t);
                let with = match Reader::get(t, "with") {
                    None => RedactWith::Template("<{kind}>".into()),
                    Some(v) => match self.r.string(v, "`with`")? {
                        s if s == "pseudonym" => RedactWith::Pseudonym,
                        s if s == "fake" => RedactWith::Fake(locale?),
                        s => {
                            if all_known {
                                self.check_template(v.span(), &s, &names);
                            }
                            RedactWith::Template(s)
                        }
                    },
                };
                if let (Some(v), false) = (Reader::get(t, "locale"), matches!(with, RedactWith::Fake(_))) {
                    self.r.error(
                        v.span(),
                        "`locale` only applies with `with = \"fake\"`",
                        Some("remove `locale`, or write with = \"fake\"".into()),
                    );
                }
                let fakeable = names.iter().any(|d| FakeKind::for_detector(d).is_some());
                if let (Some(v), RedactWith::Fake(_), false) = (Reader::get(t, "with"), &with, fakeable) {
                    self.r.error(
                        v.span(),
                        "`with = \"fake\"` needs a detector with a fake (person_name, email, phone, iban, street_address): for these detectors it would be the default template",
                        Some("name one of those detectors, or use a template or \"pseudonym\"".into()),
                    );
                }
                Action::Redact { detect: names, with }
            }
            "fake" => {
                let v = self.required(t, "kind", name, &span, "kind = \"full_name\"")?;
                let kind = self.r.choice(v, "fake `kind`", &FakeKind::ALL);
                let locale = self.fake_locale(t);
                let domain = self.opt_string(t, "domain");
                Action::Fake { kind: kind?, locale: locale?, domain: domain? }
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

    /// Refuses a `redact` template that the rule's own detectors find (alone, between
    /// spaces, twice in a row, next to digits): every pass would find its own replacements
    /// again, so redaction would never settle.
    fn check_template(&mut self, span: Range<usize>, template: &str, detect: &[String]) {
        let Ok(scanner) = Scanner::new(detect, &self.custom) else {
            return;
        };
        let mut found = Vec::new();
        for kind in detect {
            let t = template.replace("{kind}", kind);
            let probes = [
                (t.clone(), "on its own"),
                (format!(" {t} "), "between spaces"),
                (format!("{t} {t}"), "twice in a row"),
                (format!("0{t}0"), "between digits"),
                (format!("0 {t} 0"), "between digits and spaces"),
            ];
            for (probe, how) in probes {
                scanner.scan(&probe, &mut found);
                if let Some(f) = found.first() {
                    let by = &scanner.names()[f.detector];
                    let shown = if template.contains("{kind}") { format!(" (for \"{kind}\")") } else { String::new() };
                    self.r.error(
                        span,
                        format!(
                            "the `with` text \"{t}\"{shown} is itself found by detector \"{by}\" ({how}), so redaction would replace its own replacements and never settle"
                        ),
                        Some("write a replacement no detector finds, such as the default \"<{kind}>\"".into()),
                    );
                    return;
                }
            }
        }
    }

    /// `locale` of `fake` and of `redact` with `with = "fake"`: default `en`.
    fn fake_locale(&mut self, t: &Table<'_>) -> Option<FakeLocale> {
        match Reader::get(t, "locale") {
            None => Some(FakeLocale::En),
            Some(v) => self.r.choice(v, "fake `locale`", &FakeLocale::ALL),
        }
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

#[cfg(test)]
mod tests;
