//! Data-subject requests (`importd subject find | export | erase`): from one identifier
//! value, what the rules stored for it ([`forms`]: the stored form under every key of the
//! tenant's ring, by the import's own plan; [`forms::ambiguous`]: the many-to-one actions),
//! where it is ([`outputs`]: every committed output of the tenant, under the rule file
//! version its footer names; [`scan`]: read with the parquet crate, through [`place`]: local
//! or object storage), the raw copies the daemon keeps ([`raw`]: archived and quarantined
//! inputs, matched by value as whole words: [`bounds`]), and erasure ([`rewrite`]: each affected output rewritten without the rows,
//! crash-safe, in ledger and audit with counts only). The value is never printed, logged or
//! recorded; neither are its stored forms.

pub mod bounds;
pub mod forms;
pub mod outputs;
pub mod place;
pub mod raw;
pub mod rewrite;
pub mod scan;

use std::collections::BTreeMap;
use std::io::Write;

use arrow_array::RecordBatch;
use serde_json::{json, Map, Value};

use self::forms::{ambiguous, search_for, texts, Search};
use self::outputs::Versions;
use self::place::Storage;
use crate::daemon::config::{Settings, Tenant};
use crate::daemon::records::Records;
use crate::exit::Failure;

/// What the request does with what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Find,
    Export,
    Erase { dry_run: bool },
}

/// One request about one subject.
pub struct Request<'a> {
    pub tenant: &'a Tenant,
    pub column: &'a str,
    pub dataset: Option<&'a str>,
    /// The identifier; never shown.
    pub value: &'a str,
    pub mode: Mode,
    /// Erase also removes rows matched only through a many-to-one column (fake, noise,
    /// shift_date), which may belong to others.
    pub include_ambiguous: bool,
}

impl std::fmt::Debug for Request<'_> {
    /// Never the value: its length only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("tenant", &self.tenant.id)
            .field("column", &self.column)
            .field("dataset", &self.dataset)
            .field("value", &format_args!("<redacted len={}>", self.value.len()))
            .field("mode", &self.mode)
            .finish()
    }
}

/// What the request found and did: lines to show (names, paths and counts only).
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
    pub rows: u64,
    pub outputs: u64,
    pub raw_copies: u64,
    pub rewritten: u64,
    pub deleted: u64,
    /// Outputs and raw copies that could not be searched: the answer is incomplete.
    pub unsearched: u64,
    /// Imports of the searched datasets still running, or committed while the command ran:
    /// they may hold the subject and were not searched.
    pub running: u64,
    /// Rows found only through a many-to-one column (they may belong to others).
    pub ambiguous: u64,
    /// Of those, rows an erasure left in place (no `--include-ambiguous`).
    pub ambiguous_kept: u64,
}

pub(crate) fn runtime(message: String) -> Failure {
    Failure::runtime(format!("error: {message}"))
}

/// Answers `req`; exported rows go to `export` as JSON Lines (`Mode::Export` only).
pub fn answer(settings: &Settings, req: &Request<'_>, export: &mut dyn Write) -> Result<Report, Failure> {
    let tenant = req.tenant;
    let _lock = lock(settings, tenant)?;
    let mut records = Records::open(settings, "subject")?;
    // With a shared ledger, the lock is the ledger's too: a node's local lock does not keep
    // another node from settling this one's rewrite.
    records.ledger().lock_subject(tenant.id.as_str()).map_err(|e| runtime(format!("tenant {}: {e}", tenant.id)))?;
    let storage = Storage::of(tenant).map_err(runtime)?;
    let mut report = Report::default();
    let all = records.ledger().outputs(tenant.id.as_str()).map_err(|e| runtime(format!("the ledger: {e}")))?;
    report.lines.extend(rewrite::settle(&mut records, tenant, &storage, &all)?);
    let outputs = records.ledger().outputs(tenant.id.as_str()).map_err(|e| runtime(format!("the ledger: {e}")))?;
    let ring = tenant.ring();
    let key_ids: Vec<&str> = ring.all().iter().map(|k| k.id()).collect();
    let erase = matches!(req.mode, Mode::Erase { dry_run: false });
    let mut searched = Vec::new();
    for (ds_id, ds) in &tenant.datasets {
        let dataset = ds_id.as_str();
        if req.dataset.is_some_and(|d| d != dataset) {
            continue;
        }
        searched.push(dataset);
        let rules = ds.current();
        let named = search_for(&rules, req.column, true);
        let free_text = free_text_columns(&rules);
        let about = match &named {
            Search::Exact => format!("the stored form under each key ({})", key_ids.join(", ")),
            Search::Within => format!("the token inside its text under each key ({})", key_ids.join(", ")),
            Search::Not(why) => format!("not searched: {why}"),
        };
        report.lines.push(format!("dataset {dataset}: column {}: {about}", req.column.escape_debug()));
        let many_to_one = ambiguous(&rules, req.column).filter(|_| named == Search::Exact);
        if let Some(action) = many_to_one {
            report.lines.push(format!(
                "dataset {dataset}: warning: column {}: its action `{action}` gives the same stored value to many people: rows found through it may belong to others{}",
                req.column.escape_debug(),
                if erase && !req.include_ambiguous { "; erase leaves them unless --include-ambiguous is given" } else { "" }
            ));
        }
        if !free_text.is_empty() {
            report.lines.push(format!(
                "dataset {dataset}: free text redacted with pseudonyms ({}): searched for the tokens",
                free_text.join(", ")
            ));
        }
        // Every output is read: its footer names the rule file version it was written
        // under, which may search the column where the rules in force do not. Raw copies
        // hold the raw value of every column of the input, named by a rule or not
        // (`unlisted = "drop"`), so they are always searched.
        let mut versions = Versions::new(settings, tenant, dataset, rules.clone());
        let mine = outputs.iter().filter(|o| o.dataset == dataset);
        outputs::search(settings, &mut records, (req, &storage), &mut versions, mine, &mut report, &mut *export)?;
        raw_copies(settings, &mut records, req, dataset, &rules, &mut report, &mut *export, erase)?;
    }
    running(&mut records, tenant, &searched, &outputs, &mut report)?;
    let verb = match req.mode {
        Mode::Erase { dry_run: false } => "erased",
        Mode::Erase { dry_run: true } => "would erase",
        _ => "found",
    };
    report.lines.push(format!(
        "{verb}: {} row{} in {} output{}, {} raw cop{}",
        report.rows,
        if report.rows == 1 { "" } else { "s" },
        report.outputs,
        if report.outputs == 1 { "" } else { "s" },
        report.raw_copies,
        if report.raw_copies == 1 { "y" } else { "ies" },
    ));
    if report.ambiguous_kept > 0 {
        report.lines.push(format!(
            "not erased: {} matched only through a many-to-one column (fake, noise, shift_date) and may belong to others; check them (`subject export`) and run erase again with --include-ambiguous to remove them",
            rows_word(report.ambiguous_kept)
        ));
    } else if report.ambiguous > 0 && !erase {
        report.lines.push(format!(
            "warning: {} matched only through a many-to-one column and may belong to others",
            rows_word(report.ambiguous)
        ));
    }
    if report.running > 0 {
        report.lines.push(format!(
            "incomplete: {} import{} of the searched datasets ran beside this command (named above); run it again when they have committed",
            report.running,
            if report.running == 1 { "" } else { "s" },
        ));
    }
    if report.unsearched > 0 {
        report.lines.push(format!(
            "incomplete: {} stored file{} (outputs or raw copies) could not be searched (named above)",
            report.unsearched,
            if report.unsearched == 1 { "" } else { "s" },
        ));
    }
    Ok(report)
}

/// Imports a running daemon has not finished (it may publish the subject's rows after the
/// search), and outputs committed since the search began: named, counted in `running`.
fn running(
    records: &mut Records<'_>,
    tenant: &Tenant,
    searched: &[&str],
    before: &[crate::daemon::ledger::StoredOutput],
    report: &mut Report,
) -> Result<(), Failure> {
    let t = tenant.id.as_str();
    let ledger = records.ledger();
    for (id, dataset) in ledger.in_progress(t).map_err(|e| runtime(format!("the ledger: {e}")))? {
        if searched.contains(&dataset.as_str()) {
            report.lines.push(format!("dataset {dataset}: import {id} is still running; its output was not searched"));
            report.running += 1;
        }
    }
    for o in ledger.outputs(t).map_err(|e| runtime(format!("the ledger: {e}")))? {
        if searched.contains(&o.dataset.as_str()) && !before.iter().any(|b| b.path == o.path) {
            report.lines.push(format!("{}: committed while this command ran; not searched", o.path));
            report.running += 1;
        }
    }
    Ok(())
}

/// `1 row`, `2 rows`.
pub(crate) fn rows_word(n: u64) -> String {
    format!("{n} row{}", if n == 1 { "" } else { "s" })
}

/// The raw copies of one dataset's inputs: matched by value, exported, deleted.
#[allow(clippy::too_many_arguments)]
fn raw_copies(
    settings: &Settings,
    records: &mut Records<'_>,
    req: &Request<'_>,
    dataset: &str,
    rules: &anonymizer_core::Rules,
    report: &mut Report,
    export: &mut dyn Write,
    erase: bool,
) -> Result<(), Failure> {
    let drop_store = req.tenant.places.drop_store.as_ref();
    for copy in raw::copies(settings, req.tenant, dataset).map_err(runtime)? {
        let label = copy.label();
        let (file, bytes) = match raw::open(&copy, drop_store) {
            Ok(x) => x,
            Err(e) => {
                report.lines.push(format!("{e}; not searched"));
                report.unsearched += 1;
                continue;
            }
        };
        let mut rows = Vec::new();
        let method =
            raw::matches(&file, &raw::reader_name(&copy), rules, &settings.source, (req.column, req.value), |r| {
                if req.mode == Mode::Export {
                    rows.push(row_json(r));
                }
            })
            .map_err(|e| runtime(format!("{label}: {e}")))?;
        if !method.found() {
            continue;
        }
        report.raw_copies += 1;
        // A copy matched by its bytes has no known row: nothing of it is exported.
        if req.mode == Mode::Export && matches!(method, raw::Method::Read { .. }) {
            for row in rows {
                let row = row.map_err(|e| runtime(format!("{label}: {e}")))?;
                let line = json!({"dataset": dataset, "import_id": copy.import_id, "raw_copy": copy.kind, "row": row});
                writeln!(export, "{line}")
                    .map_err(|e| runtime(format!("the export cannot be written ({})", e.kind())))?;
            }
        }
        let found = method.describe();
        match req.mode {
            Mode::Erase { dry_run: true } => {
                report.lines.push(format!("{label}: holds {found}; would be deleted whole"))
            }
            Mode::Erase { dry_run: false } if erase => {
                // Recorded first: a crash before the deletion leaves a record and the copy,
                // which the next run finds and deletes (with a second record), never a
                // deletion without its record.
                let mut body = Map::new();
                body.insert("dataset".into(), json!(dataset));
                body.insert("import_id".into(), json!(copy.import_id));
                body.insert("kind".into(), json!(copy.kind));
                body.insert("bytes".into(), json!(bytes));
                records.audit(req.tenant, "raw_copy_erased", body)?;
                crash_point!("subject.raw_after_audit");
                raw::delete(&copy, drop_store).map_err(runtime)?;
                report.deleted += 1;
                report.lines.push(format!("{label}: held {found}; deleted whole"));
            }
            _ => report.lines.push(format!("{label}: holds {found}")),
        }
    }
    Ok(())
}

/// The exact names of the columns redacted with pseudonyms (pattern rules are found by the
/// columns of each output file).
fn free_text_columns(rules: &anonymizer_core::Rules) -> Vec<String> {
    let mut names: Vec<String> = rules
        .columns
        .iter()
        .filter(|(n, _)| search_for(rules, n, false) == Search::Within)
        .map(|(n, _)| n.clone())
        .collect();
    if rules.patterns.iter().any(|p| {
        matches!(
            p.rule.action,
            anonymizer_core::rule::Action::Redact { with: anonymizer_core::rule::RedactWith::Pseudonym, .. }
        )
    }) {
        names.push("columns matching [[patterns]]".into());
    }
    names
}

/// One row as a JSON object of its cells as text.
pub(crate) fn row_json(row: &RecordBatch) -> Result<Value, String> {
    let mut m = BTreeMap::new();
    for (field, col) in row.schema().fields().iter().zip(row.columns()) {
        let v = texts(col)?.into_iter().next().flatten();
        m.insert(field.name().clone(), json!(v));
    }
    Ok(json!(m))
}

/// One subject command at a time per tenant (on this state folder): a second one would see
/// the first's rewrite as one to settle.
fn lock(settings: &Settings, tenant: &Tenant) -> Result<std::fs::File, Failure> {
    let dir = settings.state_dir.join("subject");
    let fail = |e: std::io::Error| runtime(format!("{}: cannot take the subject lock ({})", dir.display(), e.kind()));
    std::fs::create_dir_all(&dir).map_err(fail)?;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{}.lock", tenant.id.as_str())))
        .map_err(fail)?;
    f.lock().map_err(fail)?;
    Ok(f)
}
