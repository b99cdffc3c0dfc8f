//! The end of an import, after its outcome is recorded in the ledger: write the audit record,
//! move the input to quarantine or dispose of it, record `done`. Every step is idempotent, so
//! recovery finishes an interrupted ending by running it again.

use std::io;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::daemon::config::TenantId;
use crate::daemon::intake::sync_dir;
use crate::daemon::ledger::{Entry, ImportId, ImportState, Phase};
use crate::daemon::outcome::{Outcome, Reason};
use crate::daemon::publish::{ensure_dir, Staged};
use crate::daemon::state::Daemon;

/// Records the quarantine decision, then finishes it.
pub fn quarantine(d: &Daemon, id: &ImportId, st: &ImportState, reason: Reason) -> Outcome {
    tracing::warn!(tenant = %st.tenant, dataset = %st.dataset, import_id = %id, file = %st.file, kind = %reason.kind, line = %reason.line.map(|l| l.to_string()).unwrap_or_default(), "the file is quarantined: {}", first_line(&reason.message));
    if let Err(e) = d.record(Entry::Quarantined { id: id.clone(), reason }) {
        tracing::error!(import_id = %id, error = %e.kind(), "the ledger could not be written; the import is retried");
        return Outcome::Retry { id: id.clone(), delay: std::time::Duration::from_secs(5) };
    }
    match d.ledger(|l| l.get(id).cloned()) {
        Some(st) => finish(d, id, &st),
        None => Outcome::Vanished,
    }
}

/// Finishes an import whose outcome is in the ledger. On an I/O error it asks to be resumed.
pub fn finish(d: &Daemon, id: &ImportId, st: &ImportState) -> Outcome {
    let Some(tenant) = d.tenant(&st.tenant).map(|t| t.id.clone()) else {
        tracing::error!(import_id = %id, "the tenant is no longer configured; the import's ending waits");
        return Outcome::Retry { id: id.clone(), delay: std::time::Duration::from_secs(60) };
    };
    let result = match &st.phase {
        Phase::Committed { audit } => finish_committed(d, &tenant, id, st, audit).map(|()| Outcome::Committed),
        Phase::Duplicate { of } => finish_duplicate(d, &tenant, id, st, of).map(|()| Outcome::Duplicate),
        Phase::Quarantined(reason) => finish_quarantined(d, &tenant, id, st, reason).map(|()| Outcome::Quarantined),
        _ => return Outcome::Vanished,
    };
    match result.and_then(|o| d.record(Entry::Done { id: id.clone() }).map(|()| o)) {
        Ok(o) => {
            d.audit_forget(&tenant, id);
            o
        }
        Err(e) => {
            tracing::error!(tenant = %st.tenant, import_id = %id, error = %e.kind(), "finishing the import failed; it is tried again");
            Outcome::Retry { id: id.clone(), delay: std::time::Duration::from_secs(2) }
        }
    }
}

fn finish_committed(d: &Daemon, tenant: &TenantId, id: &ImportId, _st: &ImportState, audit: &Value) -> io::Result<()> {
    if !d.audited(tenant, id, "committed") {
        let body = match audit {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        d.audit(tenant, "committed", body)?;
    }
    dispose_input(d, tenant, id, _st)
}

fn finish_duplicate(d: &Daemon, tenant: &TenantId, id: &ImportId, st: &ImportState, of: &ImportId) -> io::Result<()> {
    if !d.audited(tenant, id, "duplicate_skipped") {
        let mut body = import_fields(id, st);
        body.insert("duplicate_of".into(), json!(of));
        d.audit(tenant, "duplicate_skipped", body)?;
    }
    dispose_input(d, tenant, id, st)
}

fn finish_quarantined(
    d: &Daemon,
    tenant: &TenantId,
    id: &ImportId,
    st: &ImportState,
    reason: &Reason,
) -> io::Result<()> {
    let dataset = d.dataset(&st.tenant, &st.dataset).map(|(_, ds)| ds);
    let rules_sha256 = dataset.map(|ds| ds.current().sha256.clone());
    let dir = match dataset {
        Some(ds) => d.settings.quarantine_dir(tenant, &ds.id),
        None => d.settings.state_dir.join("quarantine").join(tenant.as_str()).join("_unknown"),
    }
    .join(id.as_str());
    ensure_dir(&dir)?;
    let mut record = import_fields(id, st);
    record.insert("tenant".into(), json!(st.tenant));
    record.insert("kind".into(), json!(reason.kind));
    record.insert("message".into(), json!(reason.message));
    record.insert("line".into(), json!(reason.line));
    record.insert("column".into(), json!(reason.column));
    record.insert("rules_sha256".into(), json!(rules_sha256));
    record.insert("attempts".into(), json!(st.attempts));
    record.insert("at".into(), json!(crate::daemon::audit::now_rfc3339()));
    let reason_path = dir.join("reason.json");
    if !reason_path.exists() {
        let staged = Staged::new(&reason_path)?;
        let text = serde_json::to_string_pretty(&Value::Object(record)).map_err(io::Error::other)?;
        std::io::Write::write_all(&mut staged.writer()?, format!("{text}\n").as_bytes())?;
        staged.commit()?;
    }
    let entry = d.processing_path(id);
    if let Ok(meta) = std::fs::symlink_metadata(&entry) {
        let keep = meta.is_file() && std::os::unix::fs::MetadataExt::nlink(&meta) == 1 || meta.is_dir();
        if keep {
            std::fs::rename(&entry, dir.join(input_name(&st.file)))?;
            sync_dir(&dir)?;
        } else {
            // A link or special file: its name is removed, what it points to is never touched.
            std::fs::remove_file(&entry)?;
        }
        sync_dir(&d.settings.processing_dir())?;
    }
    if !d.audited(tenant, id, "quarantined") {
        let mut body = import_fields(id, st);
        body.insert("kind".into(), json!(reason.kind));
        body.insert("line".into(), json!(reason.line));
        body.insert("rules_sha256".into(), json!(rules_sha256));
        d.audit(tenant, "quarantined", body)?;
    }
    Ok(())
}

/// The fields every record about one import starts with: names, sizes and hashes only.
fn import_fields(id: &ImportId, st: &ImportState) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("import_id".into(), json!(id));
    m.insert("dataset".into(), json!(st.dataset));
    m.insert("file".into(), json!(st.file));
    m.insert("size".into(), json!(st.size));
    m.insert("sha256".into(), json!(st.sha256));
    m
}

/// `input` plus the original extension when it is a plain one (`input.csv`), so operators
/// can open it; the original name itself is only recorded, escaped, in `reason.json`.
fn input_name(file: &str) -> String {
    match file.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() && ext.len() <= 8 && ext.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            format!("input.{ext}")
        }
        _ => "input".into(),
    }
}

/// Deletes the claimed input, or moves it to the archive when `keep_input_days` is set.
fn dispose_input(d: &Daemon, tenant: &TenantId, id: &ImportId, st: &ImportState) -> io::Result<()> {
    let entry = d.processing_path(id);
    if std::fs::symlink_metadata(&entry).is_err() {
        return Ok(()); // already disposed
    }
    match (d.settings.keep_input_days, d.dataset(&st.tenant, &st.dataset)) {
        (Some(_), Some((_, ds))) => {
            let dir = d.settings.archive_dir(tenant, &ds.id);
            ensure_dir(&dir)?;
            std::fs::rename(&entry, dir.join(id.as_str()))?;
            sync_dir(&dir)?;
        }
        _ => std::fs::remove_file(&entry)?,
    }
    sync_dir(&d.settings.processing_dir())
}

/// Removes archived inputs older than `keep_input_days`.
pub fn prune_archive(d: &Daemon) {
    let Some(days) = d.settings.keep_input_days else { return };
    let max_age = std::time::Duration::from_secs(u64::from(days) * 86_400);
    let root = d.settings.state_dir.join("archive");
    for tenant in read_dirs(&root) {
        for dataset in read_dirs(&tenant) {
            for file in std::fs::read_dir(&dataset).into_iter().flatten().flatten() {
                // ctime: the rename into the archive set it; mtime is still the upload's.
                let archived = file.metadata().ok().map(|m| std::os::unix::fs::MetadataExt::ctime(&m));
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                if archived.is_some_and(|t| now.saturating_sub(t) > max_age.as_secs() as i64) {
                    let _ = std::fs::remove_file(file.path());
                }
            }
        }
    }
}

fn read_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect()
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarantined_input_names() {
        assert_eq!(input_name("kunden.csv"), "input.csv");
        assert_eq!(input_name("a.b.TSV"), "input.TSV");
        assert_eq!(input_name("noext"), "input");
        assert_eq!(input_name("x.c\\nsv"), "input");
    }
}
