//! What the rules stored for one value: the column's action decides how it can be searched
//! (the stored form itself, the stored form inside free text, or not at all), and the stored
//! form is computed by the import's own code path, a [`RulePlan`] applied to a one-row batch,
//! under each key of the tenant's ring.

use std::collections::BTreeMap;
use std::sync::Arc;

use anonymizer_core::rule::{Action, OnMissing, RedactWith, Unlisted};
use anonymizer_core::{ErrorKind, KeySet, RulePlan, Rules};
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

/// How a column's stored values can be searched for the subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// The cell equals the stored form (keep, pseudonymize, encrypt, fake, noise, shift_date;
    /// the last three are many-to-one: [`ambiguous`]).
    Exact,
    /// The stored form appears inside the cell's text (redact with pseudonyms).
    Within,
    /// The stored form cannot single the person out (or nothing is stored): the sentence says why.
    Not(String),
}

/// How `column` is searched under `rules`; `named` is the column the request names (its
/// action is judged whatever it is; other columns count only as free text with pseudonyms).
pub fn search_for(rules: &Rules, column: &str, named: bool) -> Search {
    let Some(rule) = rules.rule_for(column) else {
        return match rules.unlisted {
            Unlisted::Keep if named => Search::Exact,
            _ => Search::Not("no rule names the column, so it is not stored".into()),
        };
    };
    let not = |why: &str| Search::Not(format!("its action `{}` {why}", rule.action.name()));
    match &rule.action {
        Action::Redact { with: RedactWith::Pseudonym, .. } => Search::Within,
        _ if !named => Search::Not("is not free text redacted with pseudonyms".into()),
        Action::Keep
        | Action::Pseudonymize { .. }
        | Action::Encrypt { .. }
        | Action::Fake { .. }
        | Action::Noise { .. }
        | Action::ShiftDate { by: None, .. } => Search::Exact,
        Action::ShiftDate { by: Some(_), .. } => {
            not("shifts by another column's value, which the request does not give, so it cannot be recomputed")
        }
        Action::Drop => not("removes the column: nothing of it is stored"),
        Action::Null | Action::Replace { .. } => {
            not("stores the same value for everyone: it cannot single the person out")
        }
        Action::Mask { .. } | Action::Truncate { .. } | Action::Generalize(_) => {
            not("stores a coarsened value that many people share: it cannot single the person out")
        }
        Action::Redact { .. } => not("replaces findings by a template or a fake: it cannot single the person out"),
    }
}

/// Whether the column's stored form is many-to-one: `fake` (a phone fake has about a
/// thousand values), `noise` and `shift_date` give the same stored value to many people, so
/// a row holding the subject's form may be someone else's. Returns the action's name.
/// Pseudonymize (HMAC, 20 base32 characters), encrypt (FF1, a permutation) and keep are
/// one-to-one enough.
pub fn ambiguous(rules: &Rules, column: &str) -> Option<&'static str> {
    let rule = rules.rule_for(column)?;
    match rule.action {
        Action::Fake { .. } | Action::Noise { .. } | Action::ShiftDate { .. } => Some(rule.action.name()),
        _ => None,
    }
}

/// The stored form of `value` in `column` under `keys`, as text (typed outputs in the text a
/// cast to UTF-8 gives, the same cast the search applies to the stored cells); `None` when
/// the rules store nothing for it (null, an invalid cell, a dropped row).
pub fn stored_form(rules: &Rules, keys: &KeySet, column: &str, value: &str) -> Result<Option<String>, String> {
    // The dataset's rules, bound to a header of this one column: other columns' rules and
    // the row filters do not apply to a single cell.
    let mut one = rules.clone();
    one.on_missing = OnMissing::Ignore;
    one.delete_rows.clear();
    one.input.header = false;
    one.file_types.clear();
    let plan = RulePlan::new(Arc::new(one), keys, &[column.to_string()])
        .map_err(|e| format!("the rules cannot be applied to column `{column}` alone ({e})"))?;
    let schema = Arc::new(Schema::new(vec![Field::new(column, DataType::Utf8, true)]));
    let cells: ArrayRef = Arc::new(StringArray::from(vec![Some(value)]));
    let batch = RecordBatch::try_new(schema, vec![cells]).map_err(|_| "a one-row batch cannot be built".to_string())?;
    let applied = match plan.apply(&batch) {
        Ok(a) => a,
        Err(e) if matches!(e.kind(), ErrorKind::InvalidCell { .. }) => return Ok(None),
        Err(e) => return Err(format!("the rules failed on the value ({e})")),
    };
    let out = &applied.batch;
    let Ok(j) = out.schema().index_of(column) else { return Ok(None) };
    if out.num_rows() != 1 || applied.stats.invalid_cells.get(j).copied().unwrap_or(0) > 0 {
        return Ok(None);
    }
    Ok(texts(out.column(j)).ok().and_then(|t| t.into_iter().next().flatten()))
}

/// A column's cells as text (`None` for nulls), by the cast to UTF-8 both sides of a
/// comparison go through.
pub fn texts(a: &ArrayRef) -> Result<Vec<Option<String>>, String> {
    let cast = arrow_cast::cast(a, &DataType::Utf8).map_err(|_| "a column cannot be read as text".to_string())?;
    let s = cast.as_any().downcast_ref::<StringArray>().ok_or_else(|| "a column cannot be read as text".to_string())?;
    Ok((0..s.len()).map(|i| (!s.is_null(i)).then(|| s.value(i).to_string())).collect())
}

/// What to look for in one dataset's outputs, per rule file version, key id and column: the
/// stored forms, computed once each.
#[derive(Debug, Default)]
pub struct Terms {
    /// (rule file version, key id, column) → (how, the stored form; `None`: nothing stored
    /// for the value).
    cache: BTreeMap<(String, String, String), Option<(Search, String)>>,
}

impl Terms {
    /// The term for `column` under the key `key_id`, computed on first use.
    pub fn get(
        &mut self,
        rules: &Rules,
        (key_id, keys): (&str, &KeySet),
        column: &str,
        named: bool,
        value: &str,
    ) -> Result<Option<(Search, String)>, String> {
        let k = (rules.sha256.clone(), key_id.to_string(), column.to_string());
        if let Some(t) = self.cache.get(&k) {
            return Ok(t.clone());
        }
        let how = search_for(rules, column, named);
        let term = match how {
            Search::Not(_) => None,
            Search::Exact => stored_form(rules, keys, column, value)?.map(|f| (Search::Exact, f)),
            // Free text: only a value the column's detectors find is replaced by a token; a
            // value left as it is would be searched as itself, which is not what was asked.
            Search::Within => stored_form(rules, keys, column, value)?
                .filter(|f| f != value && !f.is_empty())
                .map(|f| (Search::Within, f)),
        };
        self.cache.insert(k, term.clone());
        Ok(term)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anonymizer_core::{parse_rules, MasterKey};

    fn rules(text: &str) -> Rules {
        parse_rules(text, "test.toml").expect("valid rules")
    }

    #[test]
    fn each_action_says_how_it_is_searched() {
        let r = rules(
            r#"version = 1
[columns]
a = "keep"
b = "pseudonymize"
c = { action = "mask", keep_last = 2 }
d = "drop"
e = { action = "redact", detect = ["email"], with = "pseudonym" }
f = { action = "redact", detect = ["email"] }
g = { action = "shift_date", max_days = 10, by = "a" }
"#,
        );
        assert_eq!(search_for(&r, "a", true), Search::Exact);
        assert_eq!(search_for(&r, "b", true), Search::Exact);
        assert!(matches!(search_for(&r, "c", true), Search::Not(s) if s.contains("mask") && s.contains("single")));
        assert!(matches!(search_for(&r, "d", true), Search::Not(s) if s.contains("nothing")));
        assert_eq!(search_for(&r, "e", false), Search::Within);
        assert!(matches!(search_for(&r, "f", true), Search::Not(_)));
        assert!(matches!(search_for(&r, "g", true), Search::Not(s) if s.contains("another column")));
        assert!(matches!(search_for(&r, "a", false), Search::Not(_)));
        assert!(matches!(search_for(&r, "zz", true), Search::Not(_)));
    }

    #[test]
    fn stored_forms_come_from_the_plan_and_ignore_other_columns() {
        // Another column with on_missing = error and a row filter that would delete a row
        // with a null `other`: neither applies to the one-cell batch.
        let r = rules(
            r#"version = 1
[columns]
email = { action = "pseudonymize", prefix = "u_" }
other = "keep"
notes = { action = "redact", detect = ["email"], with = "pseudonym" }
[[delete_rows]]
column = "other"
is_null = true
"#,
        );
        let key = MasterKey::from_bytes([7u8; 32]);
        let keys = key.key_set();
        let token = stored_form(&r, &keys, "email", "anna@example.com").ok().flatten().unwrap_or_default();
        assert!(token.starts_with("u_") && token.len() == 22, "{token}");
        let within = stored_form(&r, &keys, "notes", "anna@example.com").ok().flatten().unwrap_or_default();
        assert!(!within.contains("anna") && !within.is_empty(), "{within}");
        let mut terms = Terms::default();
        let none = terms.get(&r, ("k", &keys), "notes", false, "not an address").ok().flatten();
        assert_eq!(none, None, "text the detectors leave alone is not searched as itself");
    }
}
