//! Erasing rows from one committed output, so that a crash at any point leaves the old file
//! or the new one at its path, never both or neither, and the next run finishes the record:
//!
//! 1. the new file (same schema, same footer) is written to a hidden name beside the output
//!    (an object: a temporary file here) and fsynced;
//! 2. a hidden note beside the output keeps the audit body (names, hashes, counts);
//! 3. the ledger records `begin_rewrite` (before, after, rows removed, `subject_erase`);
//! 4. the rename over the output (an object: one upload to its key): the commit point;
//! 5. the audit record `subject_erased`; 6. `end_rewrite(after)`; 7. the note goes.
//!
//! [`settle`] finishes what a crash left: storage holds `after` → the audit record if it is
//! missing, `end_rewrite(after)`; storage holds `before` → the temporary goes,
//! `end_rewrite(before)`.

use serde_json::{json, Map, Value};

use super::place::{Held, Storage};
use super::scan::{open, write_without, Matcher};
use crate::daemon::config::{Settings, Tenant};
use crate::daemon::ledger::{Rewrite, StoredOutput};
use crate::daemon::publish::sha256_of;
use crate::daemon::records::Records;
use crate::exit::Failure;

/// The event of the audit record of one rewritten output.
pub const EVENT: &str = "subject_erased";
/// The ledger's word for why an output was rewritten.
pub const CAUSE: &str = "subject_erase";

fn runtime(message: String) -> Failure {
    Failure::runtime(format!("error: {message}"))
}

/// Rewrites `output` (whose bytes `held` are, checked against the ledger) without the rows
/// `m` matches; returns the rows removed.
pub fn erase(
    settings: &Settings,
    records: &mut Records<'_>,
    (tenant, storage): (&Tenant, &Storage<'_>),
    output: &StoredOutput,
    held: &Held,
    (m, column): (&Matcher, &str),
) -> Result<u64, Failure> {
    let path = output.path.as_str();
    let staging = storage.stage(path).map_err(runtime)?;
    let opened = open(&held.file).map_err(|e| runtime(format!("{path}: {e}")))?;
    let removed =
        write_without(opened, m, &staging.file, &settings.parquet).map_err(|e| runtime(format!("{path}: {e}")))?;
    let mut f = staging.file.try_clone().map_err(|e| runtime(format!("{path}: the new file ({})", e.kind())))?;
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(0))
        .map_err(|e| runtime(format!("{path}: the new file ({})", e.kind())))?;
    let after = sha256_of(&mut f).map_err(|e| runtime(format!("{path}: the new file ({})", e.kind())))?;
    crash_point!("subject.after_temp");
    let body = audit_body(output, &after, removed, Some(column));
    let note = serde_json::to_vec(&Value::Object(body.clone())).map_err(|e| runtime(format!("{path}: {e}")))?;
    storage.write_note(path, note).map_err(runtime)?;
    crash_point!("subject.after_note");
    let rewrite = Rewrite {
        path: path.to_string(),
        before: output.sha256.clone(),
        after: after.clone(),
        rows_removed: removed,
        cause: CAUSE.into(),
    };
    if let Err(e) = records.ledger().begin_rewrite(&output.tenant, &rewrite) {
        let _ = storage.clear(path);
        return Err(runtime(format!("{path}: the ledger refused the rewrite ({e})")));
    }
    crash_point!("subject.after_begin");
    if let Err(e) = storage.publish(path, staging) {
        // Not published (a failed rename or upload leaves the old file): roll back.
        let still_before = storage.fetch(path).ok().flatten().is_some_and(|h| h.sha256 == output.sha256);
        if still_before {
            let _ = storage.clear(path);
            let _ = records.ledger().end_rewrite(&output.tenant, path, &after, &output.sha256);
        }
        return Err(runtime(e));
    }
    records.audit(tenant, EVENT, body)?;
    crash_point!("subject.after_audit");
    records
        .ledger()
        .end_rewrite(&output.tenant, path, &after, &after)
        .map_err(|e| runtime(format!("{path}: the ledger cannot end the rewrite ({e})")))?;
    crash_point!("subject.after_end");
    storage.clear(path).map_err(runtime)?;
    Ok(removed)
}

/// The agreed body of a `subject_erased` record: names, hashes and counts, never a value.
fn audit_body(output: &StoredOutput, after: &str, removed: u64, column: Option<&str>) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("dataset".into(), json!(output.dataset));
    body.insert("import_id".into(), json!(output.import_id));
    body.insert("output".into(), json!(output.path));
    body.insert("sha256_before".into(), json!(output.sha256));
    body.insert("sha256_after".into(), json!(after));
    body.insert("rows_removed".into(), json!(removed));
    body.insert("column".into(), json!(column));
    body
}

/// Finishes every rewrite a crash left pending and removes leftovers of rewrites that never
/// began; returns one line per output it settled.
pub fn settle(
    records: &mut Records<'_>,
    tenant: &Tenant,
    storage: &Storage<'_>,
    outputs: &[StoredOutput],
) -> Result<Vec<String>, Failure> {
    let mut lines = Vec::new();
    let mut audit: Option<Vec<Value>> = None;
    for o in outputs {
        let path = o.path.as_str();
        let Some(after) = &o.pending else {
            // A folder that cannot be reached is reported by the search that follows.
            if storage.clear(path).unwrap_or(false) {
                lines.push(format!("settled {path}: removed what an interrupted erasure left beside it"));
            }
            continue;
        };
        let now = match storage.fetch(path) {
            Ok(h) => h.map(|h| h.sha256),
            Err(e) => {
                lines.push(format!("cannot settle {path}: {e}"));
                continue;
            }
        };
        if now.as_deref() == Some(after.as_str()) {
            let records_now = match &mut audit {
                Some(r) => r,
                None => audit.insert(parse(records.audit_lines(tenant)?)),
            };
            let recorded = records_now
                .iter()
                .any(|r| r["event"] == EVENT && r["output"] == path && r["sha256_after"] == after.as_str());
            if !recorded {
                let body = match storage.read_note(path).map_err(runtime)? {
                    Some(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                        Ok(Value::Object(m)) if m.get("sha256_after").and_then(Value::as_str) == Some(after) => m,
                        _ => audit_body(o, after, 0, None),
                    },
                    None => audit_body(o, after, 0, None),
                };
                records.audit(tenant, EVENT, body)?;
            }
            records
                .ledger()
                .end_rewrite(&o.tenant, path, after, after)
                .map_err(|e| runtime(format!("{path}: the ledger cannot end the rewrite ({e})")))?;
            storage.clear(path).map_err(runtime)?;
            lines.push(format!("settled {path}: the interrupted erasure had replaced it; its record is complete"));
        } else if now.as_deref() == Some(o.sha256.as_str()) {
            storage.clear(path).map_err(runtime)?;
            records
                .ledger()
                .end_rewrite(&o.tenant, path, after, &o.sha256)
                .map_err(|e| runtime(format!("{path}: the ledger cannot end the rewrite ({e})")))?;
            lines.push(format!("settled {path}: the interrupted erasure had not replaced it; it was rolled back"));
        } else {
            lines.push(format!(
                "cannot settle {path}: storage holds neither the old nor the new version (run `importd verify`)"
            ));
        }
    }
    Ok(lines)
}

fn parse(lines: Vec<Vec<u8>>) -> Vec<Value> {
    lines.iter().filter_map(|l| serde_json::from_slice(l).ok()).collect()
}
