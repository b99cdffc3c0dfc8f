//! Rules bound to an input header: every column resolved to one operation, every filter to
//! a column index, the output schema fixed. Built once per (rules, key, header) and shared
//! by `Arc`; checked completely before any row is read.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};

use super::diagnostic::did_you_mean;
use super::file_type::{arrow_type, is_wide_decimal, language_type};
use super::model::*;
use crate::detect::{ColumnLabels, Scanner};
use crate::error::{Error, ErrorKind, SchemaProblem};
use crate::key::KeySet;
use crate::transform::{DateShifter, Encryptor, Faker, Noiser, Pseudonymizer};

/// What one output column does.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Keep,
    Null,
    Replace(String),
    Pseudonymize(Pseudonymizer),
    Mask { keep_first: usize, keep_last: usize, ch: char, preserve: Vec<char> },
    Truncate(usize),
    GeneralizeDate(DateUnit),
    Step(f64),
    Round(u32),
    Bands(Vec<i64>),
    ShiftDate { shifter: DateShifter, by: Option<usize> },
    Noise(Noiser),
    Fake(Faker),
    Encrypt(Arc<Encryptor>),
    Redact { scanner: Arc<Scanner>, with: Arc<Redaction> },
}

/// What `redact` puts in place of a finding.
#[derive(Debug)]
pub(crate) enum Redaction {
    /// The template with `{kind}` replaced by each detector's name (indexed like the
    /// scanner's detectors).
    Template(Vec<String>),
    /// A keyed token per detector (indexed like the scanner's detectors).
    Pseudonym(Vec<Pseudonymizer>),
    /// A fake per detector, or the default template `<{kind}>` for a detector without a
    /// fake kind (indexed like the scanner's detectors).
    Fake(Vec<Result<Faker, String>>),
}

/// One output column: where it comes from and what is done to it.
#[derive(Debug, Clone)]
pub(crate) struct ColumnPlan {
    pub(crate) name: String,
    /// How messages and reports show the column (`column N` when its name looks like data).
    pub(crate) label: String,
    pub(crate) input: usize,
    pub(crate) ty: ColumnType,
    pub(crate) op: Op,
    pub(crate) on_invalid: OnInvalid,
    pub(crate) action: &'static str,
    /// `keep` on a typed input's column whose type the rule file leaves as the file has it:
    /// the output is the input array itself, of this (the file's) Arrow type.
    pub(crate) passthrough: Option<DataType>,
}

/// A `[[delete_rows]]` filter bound to an input column.
#[derive(Debug, Clone)]
pub(crate) struct FilterPlan {
    pub(crate) input: usize,
    pub(crate) matcher: RowMatch,
}

/// A rule file compiled against one input header. `apply` it to batches.
#[derive(Debug, Clone)]
pub struct RulePlan {
    pub(crate) rules: Arc<Rules>,
    pub(crate) input_names: Vec<String>,
    pub(crate) labels: ColumnLabels,
    pub(crate) columns: Vec<ColumnPlan>,
    pub(crate) filters: Vec<FilterPlan>,
    pub(crate) output_schema: SchemaRef,
    pub(crate) key_id: String,
    /// Per input column: whether some output column reads it.
    pub(crate) reads: Vec<bool>,
    /// Per input column: whether an action or a `[[delete_rows]]` filter reads its text
    /// (a column only passed through is never turned into text).
    pub(crate) reads_text: Vec<bool>,
    /// Per input column: whether some output passes it through as it is.
    pub(crate) passes: Vec<bool>,
    /// Set from outside to stop `apply` early ([`RulePlan::with_cancel`]).
    pub(crate) cancel: Option<Arc<AtomicBool>>,
}

impl RulePlan {
    /// Binds `rules` to the input's header, deriving the keyed operations from `keys`.
    /// Every problem (missing columns, rejected unlisted columns, actions that cannot apply
    /// to a declared type) is reported at once, naming the columns; a header name from the
    /// file that looks like data is named `column N` (see [`ColumnLabels`]). With `[input]
    /// header = true`, a header row that looks like a data row is refused first
    /// ([`ErrorKind::HeaderLooksLikeData`]): the file probably has no header.
    pub fn new(rules: Arc<Rules>, keys: &KeySet, header: &[String]) -> Result<RulePlan, Error> {
        // Names the rule file writes are the customer's own; the others came with the file.
        let labels = ColumnLabels::trusting(header, |name| rules.lists_column(name));
        if rules.input.header && labels.header_looks_like_data() {
            return Err(Error::new(ErrorKind::HeaderLooksLikeData {
                columns: header.len(),
                data_like: labels.data_like(),
            }));
        }
        // Header names a did-you-mean hint may offer: those safe to show.
        let shown: Vec<&str> =
            header.iter().enumerate().filter(|(i, _)| !labels.is_data(*i)).map(|(_, h)| h.as_str()).collect();
        let mut problems = Vec::new();
        let loc = |line: usize| Some(format!("{}:{line}", rules.origin));
        let index_of = |name: &str| header.iter().position(|h| h == name);
        let missing = |problems: &mut Vec<SchemaProblem>, name: &str, line: usize, what: &str| {
            if rules.on_missing == OnMissing::Error {
                problems.push(SchemaProblem {
                    column: name.to_string(),
                    message: format!("{what} column `{name}`, which the input does not have"),
                    location: loc(line),
                    hint: did_you_mean(name, shown.iter().copied())
                        .or_else(|| Some("set on_missing = \"ignore\" if the column is optional".into())),
                });
            }
        };
        for (name, rule) in &rules.columns {
            if index_of(name).is_none() {
                missing(&mut problems, name, rule.line, "a rule names");
            }
        }
        for (name, _, line) in &rules.types {
            if index_of(name).is_none() {
                missing(&mut problems, name, *line, "[types] declares");
            }
        }
        let mut filters = Vec::new();
        for f in &rules.delete_rows {
            match index_of(&f.column) {
                Some(i) => filters.push(FilterPlan { input: i, matcher: f.matcher.clone() }),
                None => missing(&mut problems, &f.column, f.line, "a [[delete_rows]] filter reads"),
            }
        }
        let mut rejected = Vec::new();
        let mut columns = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let rule = match rules.rule_for(name) {
                Some(r) => r.clone(),
                None => match rules.unlisted {
                    Unlisted::Drop => continue,
                    Unlisted::Keep => Rule { action: Action::Keep, on_invalid: None, line: 0 },
                    Unlisted::Reject => {
                        rejected.push(labels.label(i).into_owned());
                        continue;
                    }
                },
            };
            let ty = rules.type_of(name).cloned().unwrap_or(ColumnType::String);
            let domain = |d: &Option<String>| d.clone().unwrap_or_else(|| name.clone());
            let label = labels.label(i).into_owned();
            let mut bad = |why: String| {
                problems.push(SchemaProblem {
                    column: label.clone(),
                    message: format!("column `{label}`: {why}"),
                    location: (rule.line > 0).then(|| format!("{}:{}", rules.origin, rule.line)),
                    hint: None,
                })
            };
            let numeric_or_text = ty.is_numeric() || ty == ColumnType::String;
            // Number actions compute on i128 at scale ≥ 0 (or f64): a file's wider decimals
            // are refused rather than cut.
            let wide = |what: &str, bad: &mut dyn FnMut(String)| {
                let refused = is_wide_decimal(&ty);
                if refused {
                    bad(format!(
                        "{what} works on decimals of up to 38 digits and a scale of 0 or more, but the column is {}",
                        ty.name()
                    ));
                }
                refused
            };
            let temporal_or_text = ty.is_temporal() || ty == ColumnType::String;
            let op = match &rule.action {
                Action::Drop => continue,
                Action::Keep => Op::Keep,
                Action::Null => Op::Null,
                Action::Replace { value } => Op::Replace(value.clone()),
                Action::Pseudonymize { domain: d, prefix, length } => {
                    Op::Pseudonymize(Pseudonymizer::new(&keys.pseudonymize, &domain(d), prefix, *length))
                }
                Action::Mask { keep_first, keep_last, ch, preserve } => {
                    Op::Mask { keep_first: *keep_first, keep_last: *keep_last, ch: *ch, preserve: preserve.clone() }
                }
                Action::Truncate { keep_first } => Op::Truncate(*keep_first),
                Action::Generalize(Generalize::To(unit)) => {
                    if !temporal_or_text {
                        bad(format!("generalize with `to` needs a date or timestamp, but the column is {}", ty.name()));
                        continue;
                    }
                    if *unit == DateUnit::Hour && matches!(ty, ColumnType::Date(_)) {
                        bad("generalize to \"hour\" needs a timestamp, but the column is a date".into());
                        continue;
                    }
                    Op::GeneralizeDate(*unit)
                }
                Action::Generalize(g) => {
                    if !numeric_or_text {
                        bad(format!("generalize with a number option needs a number, but the column is {}", ty.name()));
                        continue;
                    }
                    if wide("generalize with a number option", &mut bad) {
                        continue;
                    }
                    match g {
                        Generalize::Step(s) => Op::Step(*s),
                        Generalize::Round(r) => Op::Round(*r),
                        Generalize::Bands(b) => Op::Bands(b.clone()),
                        Generalize::To(_) => unreachable!("handled above"), // ok: match arm above
                    }
                }
                Action::ShiftDate { max_days, by, domain: d } => {
                    if !temporal_or_text {
                        bad(format!("shift_date needs a date or timestamp, but the column is {}", ty.name()));
                        continue;
                    }
                    let by_index = match by {
                        None => None,
                        Some(b) => match index_of(b) {
                            Some(i) => Some(i),
                            None => {
                                bad(format!("shift_date reads the subject from `{b}`, which the input does not have"));
                                continue;
                            }
                        },
                    };
                    Op::ShiftDate { shifter: DateShifter::new(&keys.perturb, &domain(d), *max_days), by: by_index }
                }
                Action::Noise { noise, domain: d } => {
                    if !numeric_or_text {
                        bad(format!("noise needs numbers, but the column is {}", ty.name()));
                        continue;
                    }
                    if wide("noise", &mut bad) {
                        continue;
                    }
                    Op::Noise(Noiser::new(&keys.perturb, &domain(d), *noise))
                }
                Action::Fake { kind, locale, domain: d } => {
                    Op::Fake(Faker::new(&keys.fake, *kind, *locale, &domain(d)))
                }
                Action::Encrypt { alphabet, domain: d } => match Encryptor::new(&keys.encrypt, alphabet, &domain(d)) {
                    Some(e) => Op::Encrypt(Arc::new(e)),
                    None => {
                        bad("the alphabet of `encrypt` cannot be used (2 to 65,535 characters)".into());
                        continue;
                    }
                },
                Action::Redact { detect, with } => match Scanner::new(detect, &rules.detectors) {
                    Ok(scanner) => {
                        let scanner = scanner.with_region(rules.input.region);
                        let with = match with {
                            RedactWith::Template(t) => {
                                Redaction::Template(detect.iter().map(|d| t.replace("{kind}", d)).collect())
                            }
                            // Same algorithm as `pseudonymize`, domain = the detector's name.
                            RedactWith::Pseudonym => Redaction::Pseudonym(
                                detect.iter().map(|d| Pseudonymizer::new(&keys.pseudonymize, d, "", 20)).collect(),
                            ),
                            // The `fake` algorithm, domain = the detector's name.
                            RedactWith::Fake(locale) => Redaction::Fake(
                                detect
                                    .iter()
                                    .map(|d| match FakeKind::for_detector(d) {
                                        Some(kind) => Ok(Faker::new(&keys.fake, kind, *locale, d)),
                                        None => Err(format!("<{d}>")),
                                    })
                                    .collect(),
                            ),
                        };
                        Op::Redact { scanner: Arc::new(scanner), with: Arc::new(with) }
                    }
                    Err(e) => {
                        bad(format!("the detectors of `redact` cannot be used: {e}"));
                        continue;
                    }
                },
            };
            // A typed file's column, kept as the file has it, is not read through text; an
            // action that makes text of it gets its canonical text, a valid value of the
            // file's type by construction, so it is not checked against the type (a UInt64
            // past i64::MAX is no `int` the parser takes, and still a value).
            let file_typed = rules.file_type_of(name).filter(|file| language_type(file) == ty);
            let passthrough = match (&op, file_typed) {
                (Op::Keep, Some(file)) => Some(file.clone()),
                _ => None,
            };
            let ty = match op {
                Op::Replace(_)
                | Op::Pseudonymize(_)
                | Op::Fake(_)
                | Op::Mask { .. }
                | Op::Truncate(_)
                | Op::Encrypt(_)
                | Op::Redact { .. }
                    if file_typed.is_some() =>
                {
                    ColumnType::String
                }
                _ => ty,
            };
            columns.push(ColumnPlan {
                name: name.clone(),
                label,
                input: i,
                on_invalid: rule.on_invalid.unwrap_or(rules.on_invalid),
                action: rule.action.name(),
                ty,
                op,
                passthrough,
            });
        }
        if !rejected.is_empty() {
            problems.push(SchemaProblem {
                column: rejected.join(", "),
                message: format!(
                    "unlisted = \"reject\" and no rule names column{} {}",
                    if rejected.len() == 1 { "" } else { "s" },
                    rejected.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                ),
                location: None,
                hint: Some("add a rule for each column to [columns] (\"drop\" if it is not needed)".into()),
            });
        }
        if !problems.is_empty() {
            return Err(Error::new(ErrorKind::Schema(problems)));
        }
        let fields: Vec<Field> = columns.iter().map(|c| Field::new(&c.name, output_type(c), true)).collect();
        let mut reads = vec![false; header.len()];
        let mut reads_text = vec![false; header.len()];
        let mut passes = vec![false; header.len()];
        for c in &columns {
            reads[c.input] = true;
            if c.passthrough.is_some() {
                passes[c.input] = true;
            } else {
                reads_text[c.input] = true;
            }
            if let Op::ShiftDate { by: Some(b), .. } = c.op {
                reads[b] = true;
                reads_text[b] = true;
            }
        }
        for f in &filters {
            reads_text[f.input] = true;
        }
        Ok(RulePlan {
            key_id: keys.key_id().to_string(),
            rules,
            input_names: header.to_vec(),
            labels,
            columns,
            filters,
            output_schema: Arc::new(Schema::new(fields)),
            reads,
            reads_text,
            passes,
            cancel: None,
        })
    }

    /// This plan, stopping `apply` with [`ErrorKind::Cancelled`] soon after `flag` is set:
    /// before each column, and every 64 KiB searched inside long `redact` cells (a cell of
    /// megabytes of text must not hold a worker after a shutdown was asked for).
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> RulePlan {
        self.cancel = Some(flag);
        self
    }

    /// The schema of every batch `apply` returns.
    pub fn output_schema(&self) -> &SchemaRef {
        &self.output_schema
    }

    /// The input header this plan was bound to, as in the file: the names may be data, so
    /// messages use [`column_labels`](Self::column_labels) instead.
    pub fn input_names(&self) -> &[String] {
        &self.input_names
    }

    /// How messages show each input column: its name, or `column N` when a name from the
    /// file looks like data. Callers that name an input column use these, not the names.
    pub fn column_labels(&self) -> &ColumnLabels {
        &self.labels
    }

    /// The rules this plan was compiled from.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The key id of the key the plan was compiled with.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

fn output_type(c: &ColumnPlan) -> DataType {
    if let Some(t) = &c.passthrough {
        return t.clone();
    }
    match &c.op {
        Op::Keep
        | Op::Null
        | Op::GeneralizeDate(_)
        | Op::Step(_)
        | Op::Round(_)
        | Op::ShiftDate { .. }
        | Op::Noise(_) => arrow_type(&c.ty),
        Op::Replace(_)
        | Op::Pseudonymize(_)
        | Op::Fake(_)
        | Op::Mask { .. }
        | Op::Truncate(_)
        | Op::Bands(_)
        | Op::Encrypt(_)
        | Op::Redact { .. } => DataType::Utf8,
    }
}

/// Decrypts one value of an `encrypt`ed column (authorized re-identification): finds the
/// column's rule (exact name, then patterns), checks it is `encrypt`, and runs FF1 backwards
/// with the key's encryption sub-key.
pub fn reveal(rules: &Rules, keys: &KeySet, column: &str, value: &str) -> Result<String, Error> {
    let option = |m: String| Error::new(ErrorKind::Option(m));
    let rule =
        rules.rule_for(column).ok_or_else(|| option(format!("no rule in {} names column `{column}`", rules.origin)))?;
    let Action::Encrypt { alphabet, domain } = &rule.action else {
        return Err(option(format!(
            "column `{column}` is not encrypted by {} (its action is \"{}\"), so it cannot be revealed",
            rules.origin,
            rule.action.name()
        )));
    };
    let e = Encryptor::new(&keys.encrypt, alphabet, domain.as_deref().unwrap_or(column))
        .ok_or_else(|| option("the alphabet of `encrypt` cannot be used".into()))?;
    e.decrypt(value).ok_or_else(|| option("the value is too short to have been encrypted (radix^n < 1,000,000)".into()))
}

#[cfg(test)]
mod tests;
