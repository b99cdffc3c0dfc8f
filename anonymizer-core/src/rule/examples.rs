//! Runs a rule file's own `[[examples]]` with the fixed test key (32 zero bytes).

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::{DataType, Field, Schema};

use super::model::{Expect, Rules};
use super::plan::RulePlan;
use crate::key::MasterKey;

/// A failing example. Example values are the author's own test data, so they may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    /// 1-based index among the file's examples.
    pub index: usize,
    /// Line of the example in the rule file.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "example {} (line {}): {}", self.index, self.line, self.message)
    }
}

/// Runs every example; returns the failures (empty when all pass).
pub fn run_examples(rules: &Rules) -> Vec<ExampleFailure> {
    let keys = MasterKey::test_key().key_set();
    let rules = Arc::new(rules.clone());
    let mut failures = Vec::new();
    for (i, ex) in rules.examples.iter().enumerate() {
        let fail = |message: String| ExampleFailure { index: i + 1, line: ex.line, message };
        // Every column the rules mention is present; those the example omits are null.
        let mut header: Vec<String> = ex.input.iter().map(|(k, _)| k.clone()).collect();
        let mentioned = rules
            .columns
            .iter()
            .map(|(n, _)| n.clone())
            .chain(rules.types.iter().map(|(n, _, _)| n.clone()))
            .chain(rules.delete_rows.iter().map(|f| f.column.clone()))
            .chain(rules.columns.iter().filter_map(|(_, r)| match &r.action {
                super::Action::ShiftDate { by: Some(b), .. } => Some(b.clone()),
                _ => None,
            }));
        for name in mentioned {
            if !header.contains(&name) {
                header.push(name);
            }
        }
        let plan = match RulePlan::new(rules.clone(), &keys, &header) {
            Ok(p) => p,
            Err(e) => {
                failures.push(fail(e.to_string()));
                continue;
            }
        };
        let columns: Vec<ArrayRef> = header
            .iter()
            .map(|h| {
                let v = ex.input.iter().find(|(k, _)| k == h).map(|(_, v)| v.as_str());
                Arc::new(StringArray::from(vec![v])) as ArrayRef
            })
            .collect();
        let schema = Schema::new(header.iter().map(|h| Field::new(h, DataType::Utf8, true)).collect::<Vec<_>>());
        let batch = match RecordBatch::try_new(Arc::new(schema), columns) {
            Ok(b) => b,
            Err(_) => {
                failures.push(fail("could not build the example row".into()));
                continue;
            }
        };
        let applied = match plan.apply(&batch) {
            Ok(a) => a,
            Err(e) => {
                failures.push(fail(e.to_string()));
                continue;
            }
        };
        let out = applied.batch;
        match &ex.expect {
            Expect::Deleted => {
                if out.num_rows() != 0 {
                    failures.push(fail("expected the row to be deleted, but it was kept".into()));
                }
            }
            Expect::Columns(expected) => {
                if out.num_rows() == 0 {
                    let why = if applied.stats.rows_deleted > 0 {
                        "deleted by [[delete_rows]]"
                    } else {
                        "dropped (on_invalid = \"drop_row\")"
                    };
                    failures.push(fail(format!("expected a row, but it was {why}")));
                    continue;
                }
                for (col, want) in expected {
                    let Some(idx) = out.schema().index_of(col).ok() else {
                        failures.push(fail(format!("column `{col}` is not in the output (dropped or unlisted)")));
                        continue;
                    };
                    let got = cell_text(out.column(idx));
                    if got != *want {
                        let show = |v: &Option<String>| v.as_ref().map_or("null".to_string(), |g| format!("{g:?}"));
                        failures.push(fail(format!("column `{col}`: expected {}, got {}", show(want), show(&got))));
                    }
                }
            }
        }
    }
    failures
}

fn cell_text(a: &ArrayRef) -> Option<String> {
    if a.is_null(0) {
        return None;
    }
    let f = ArrayFormatter::try_new(a.as_ref(), &FormatOptions::default()).ok()?;
    Some(f.value(0).to_string())
}
