//! The end of an import, after its outcome is recorded in the ledger: write the audit record,
//! move the input to quarantine or dispose of it, record `done`. Every step is idempotent, so
//! recovery finishes an interrupted ending by running it again.

use std::ffi::OsStr;
use std::io;

use serde_json::{json, Map, Value};

use crate::daemon::config::TenantId;
use crate::daemon::ledger::{Entry, ImportId, ImportState, Phase};
use crate::daemon::outcome::{Outcome, Reason};
use crate::daemon::publish::Staged;
use crate::daemon::state::Daemon;

/// Records the quarantine decision, then finishes it.
pub fn quarantine(d: &Daemon, id: &ImportId, st: &ImportState, reason: Reason) -> Outcome {
    tracing::warn!(tenant = %st.tenant, dataset = %st.dataset, import_id = %id, file = %st.file, kind = %reason.kind, line = %reason.line.map(|l| l.to_string()).unwrap_or_default(), "the file is quarantined: {}", first_line(&reason.message));
    if let Err(e) = d.record(Entry::Quarantined { id: id.clone(), reason }) {
        if crate::daemon::state::is_fenced(&e) {
            return Outcome::LostLease;
        }
        tracing::error!(import_id = %id, error = %e, "the ledger could not be written; the import is retried");
        return Outcome::Retry { id: id.clone(), delay: std::time::Duration::from_secs(5) };
    }
    crash_point!("dispose.after_quarantined_recorded");
    match d.import(id) {
        Ok(Some(st)) => finish(d, id, &st),
        Ok(None) => Outcome::Vanished,
        Err(_) => Outcome::Retry { id: id.clone(), delay: std::time::Duration::from_secs(2) },
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
        Phase::Quarantined { reason } => finish_quarantined(d, &tenant, id, st, reason).map(|()| Outcome::Quarantined),
        _ => return Outcome::Vanished,
    };
    let done = result.and_then(|o| {
        crash_point!("dispose.before_done");
        d.record(Entry::Done { id: id.clone() }).map(|()| o)
    });
    match done {
        Ok(o) => {
            d.audit_forget(&tenant, id);
            o
        }
        Err(e) if crate::daemon::state::is_fenced(&e) => Outcome::LostLease,
        Err(e) => {
            tracing::error!(tenant = %st.tenant, import_id = %id, error = %e, "finishing the import failed; it is tried again");
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
    crash_point!("dispose.after_audit");
    dispose_input(d, tenant, id, _st)
}

fn finish_duplicate(d: &Daemon, tenant: &TenantId, id: &ImportId, st: &ImportState, of: &ImportId) -> io::Result<()> {
    if !d.audited(tenant, id, "duplicate_skipped") {
        let mut body = import_fields(id, st);
        body.insert("duplicate_of".into(), json!(of));
        d.audit(tenant, "duplicate_skipped", body)?;
    }
    crash_point!("dispose.after_audit");
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
    let rules_name = dataset.and_then(|ds| ds.current().shown_name());
    let mut record = import_fields(id, st);
    record.insert("tenant".into(), json!(st.tenant));
    record.insert("kind".into(), json!(reason.kind));
    record.insert("message".into(), json!(reason.message));
    record.insert("line".into(), json!(reason.line));
    record.insert("column".into(), json!(reason.column));
    record.insert("rules_sha256".into(), json!(rules_sha256));
    record.insert("attempts".into(), json!(st.attempts));
    record.insert("at".into(), json!(crate::daemon::audit::now_rfc3339()));
    let object = st.source.as_ref().zip(d.tenant(tenant.as_str()).filter(|t| t.places.drop_store.is_some()));
    if let Some((source, t)) = object {
        let text = serde_json::to_string_pretty(&Value::Object(record)).map_err(io::Error::other)?;
        let json = format!("{text}\n").into_bytes();
        crate::daemon::objects::quarantine_object(d, t, id, st, source, &input_name(&st.file), json)?;
        return audit_quarantined(d, tenant, id, st, reason, rules_sha256, rules_name);
    }
    let folder = match dataset {
        Some(ds) => format!("quarantine/{tenant}/{}/{id}", ds.id),
        None => format!("quarantine/{tenant}/_unknown/{id}"),
    };
    let dir = d.state_dir()?.create_dir_all(&folder)?;
    if missing(dir.stat(OsStr::new("reason.json")))? {
        let staged = Staged::in_dir(dir.try_clone()?, OsStr::new("reason.json"))?;
        let text = serde_json::to_string_pretty(&Value::Object(record)).map_err(io::Error::other)?;
        std::io::Write::write_all(&mut staged.writer()?, format!("{text}\n").as_bytes())?;
        staged.commit()?;
    }
    crash_point!("dispose.after_reason");
    let processing = d.processing_dir()?;
    let entry = OsStr::new(id.as_str());
    if let Ok(meta) = processing.stat(entry) {
        let kind = rustix::fs::FileType::from_raw_mode(meta.st_mode);
        let one_file = kind == rustix::fs::FileType::RegularFile && meta.st_nlink == 1;
        if one_file || kind == rustix::fs::FileType::Directory {
            processing.rename(entry, &dir, OsStr::new(&input_name(&st.file)))?;
            dir.sync()?;
        } else {
            // A link or special file: its name is removed, what it points to is never touched.
            processing.remove_file(entry)?;
        }
        processing.sync()?;
    }
    crash_point!("dispose.after_quarantine_move");
    audit_quarantined(d, tenant, id, st, reason, rules_sha256, rules_name)
}

fn audit_quarantined(
    d: &Daemon,
    tenant: &TenantId,
    id: &ImportId,
    st: &ImportState,
    reason: &Reason,
    rules_sha256: Option<String>,
    rules_name: Option<String>,
) -> io::Result<()> {
    if !d.audited(tenant, id, "quarantined") {
        let mut body = import_fields(id, st);
        body.insert("kind".into(), json!(reason.kind));
        body.insert("line".into(), json!(reason.line));
        body.insert("rules_sha256".into(), json!(rules_sha256));
        body.insert("rules_name".into(), json!(rules_name));
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
    let object = st.source.as_ref().zip(d.tenant(tenant.as_str()).filter(|t| t.places.drop_store.is_some()));
    if let Some((source, t)) = object {
        return crate::daemon::objects::dispose_object(d, t, id, st, source);
    }
    let processing = d.processing_dir()?;
    let entry = OsStr::new(id.as_str());
    if missing(processing.stat(entry))? {
        return Ok(()); // already disposed
    }
    match (d.settings.keep_input_days, d.dataset(&st.tenant, &st.dataset)) {
        (Some(_), Some((_, ds))) => {
            let dir = d.state_dir()?.create_dir_all(&format!("archive/{tenant}/{}", ds.id))?;
            processing.rename(entry, &dir, entry)?;
            dir.sync()?;
        }
        _ => processing.remove_file(entry)?,
    }
    crash_point!("dispose.after_input");
    processing.sync()
}

/// `Ok(true)` for a missing entry, its error for anything else that failed.
fn missing<T>(r: io::Result<T>) -> io::Result<bool> {
    match r {
        Ok(_) => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Retention: removes archived inputs older than `keep_input_days` and quarantined imports
/// older than `keep_quarantine_days` (judged by ctime: the rename into the archive or the
/// quarantine set it; mtime is still the upload's), local and object-store alike. Folders are
/// walked through handles.
pub fn prune_kept(d: &Daemon) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    // An archived input is a file; a quarantined import is a folder (the original and its reason).
    for (kind, days, folders) in
        [("archive", d.settings.keep_input_days, false), ("quarantine", d.settings.keep_quarantine_days, true)]
    {
        let Some(days) = days else { continue };
        let max_age = i64::from(days) * 86_400;
        crate::daemon::objects::prune_object_kept(d, kind, max_age * 1000);
        let root = d.state_dir().and_then(|s| s.open_dir(kind).map_err(io::Error::from));
        for tenant in root.iter().flat_map(|r| r.subfolders()) {
            for dataset in tenant.subfolders() {
                for entry in dataset.entries().unwrap_or_default() {
                    #[allow(clippy::unnecessary_cast)] // the field type differs between architectures
                    let kept_since = entry.stat.st_ctime as i64;
                    if crate::store::is_dir(&entry.stat) != folders || now.saturating_sub(kept_since) <= max_age {
                        continue;
                    }
                    let removed = match entry.name.to_str() {
                        Some(name) if folders => crate::store::tree::remove_tree(&dataset, name).map(|_| ()),
                        _ => dataset.remove_file(&entry.name),
                    };
                    if let Err(e) = removed {
                        tracing::warn!(kind, error = %e.kind(), "a kept input past its retention could not be removed");
                    }
                }
            }
        }
    }
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
