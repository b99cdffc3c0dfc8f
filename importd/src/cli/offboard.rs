//! `importd tenant offboard`: crypto-shredding and deletion of one tenant.
//!
//! In this order, each step idempotent so a run cut short is simply run again:
//! 1. delete the tenant's data: storage, quarantine, archive, claimed files in `processing/`
//!    and files waiting in its drop folders (local folders through handles; S3 prefixes);
//! 2. write the final audit record (`tenant_offboarded`, counts only) and copy the audit
//!    chain into the report folder, where it stays as the proof (names, counts and hashes,
//!    no values) once its key is gone;
//! 3. forget the tenant in the ledger and remove its audit log;
//! 4. destroy every key of its ring: each key file overwritten with zeros, fsynced, unlinked,
//!    its folder fsynced; then the ring file and folder.
//!
//! With the embedded ledger the daemon must be stopped (the state lock is taken). With a
//! shared ledger, the tenant must already be gone from every running daemon's configuration.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::cli::keys::configured;
use crate::daemon::config::{Settings, Tenant};
use crate::daemon::keyring::{sync_dir, KeySource};
use crate::daemon::places::{LedgerKind, Place};
use crate::daemon::records::Records;
use crate::exit::Failure;
use crate::store::tree::{remove_tree, Removed};
use crate::store::Dir;

/// What went, per area.
#[derive(Debug, Default)]
struct Report {
    areas: Vec<(&'static str, Removed)>,
}

pub fn offboard(config: &Path, tenant: &str, confirm: Option<&str>, report_dir: Option<&Path>) -> Result<(), Failure> {
    let settings = Settings::load(config)?;
    let t = configured(&settings, config, tenant)?;
    if confirm != Some(tenant) {
        return Err(Failure::usage(format!(
            "error: offboarding deletes every file and key of tenant `{tenant}` for good; repeat its name with \
             --confirm {tenant}"
        )));
    }
    let _lock = match settings.ledger {
        LedgerKind::Sqlite => Some(state_lock(&settings)?),
        LedgerKind::Postgres(_) => None,
    };
    let report_dir = report_dir.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(format!("offboard-{tenant}")));
    std::fs::create_dir_all(&report_dir).map_err(|e| {
        Failure::runtime(format!("error: {}: cannot create the report folder ({})", report_dir.display(), e.kind()))
    })?;
    let ring = t.ring();
    let key_ids: Vec<String> = ring.all().iter().map(|k| k.id().to_string()).collect();

    let mut records = Records::open(&settings, "offboard")?;
    let mut report = Report::default();
    delete_data(&settings, t, &mut records, &mut report)?;

    let (files, bytes) = report.areas.iter().fold((0, 0), |(f, b), (_, r)| (f + r.files, b + r.bytes));
    let mut body = Map::new();
    body.insert("files_deleted".into(), json!(files));
    body.insert("bytes_deleted".into(), json!(bytes));
    body.insert("keys_destroyed".into(), json!(key_ids));
    records.audit(t, "tenant_offboarded", body)?;
    let chain = records.audit_lines(t)?;
    // A run cut short and run again finds the first copy there: it is never overwritten.
    let audit_copy = (1..)
        .map(|n| report_dir.join(if n == 1 { "audit.jsonl".to_string() } else { format!("audit.{n}.jsonl") }))
        .find(|p| !p.exists())
        .unwrap_or_else(|| report_dir.join("audit.jsonl"));
    write_file(&audit_copy, &chain.join(&b'\n')).map_err(|e| {
        Failure::runtime(format!("error: {}: cannot write the audit chain ({})", audit_copy.display(), e.kind()))
    })?;

    let rows = records
        .ledger()
        .forget_tenant(tenant)
        .map_err(|e| Failure::runtime(format!("error: the ledger could not forget tenant {tenant} ({e})")))?;
    if matches!(settings.ledger, LedgerKind::Sqlite) {
        let log = settings.audit_path(&t.id);
        match std::fs::remove_file(&log) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Failure::runtime(format!("error: {}: cannot remove it ({})", log.display(), e.kind())))
            }
        }
        let _ = sync_dir(&settings.state_dir.join("audit"));
    }
    destroy_keys(&ring.source)?;

    let summary = json!({
        "tenant": tenant,
        "at": crate::daemon::audit::now_rfc3339(),
        "areas": report.areas.iter().map(|(a, r)| json!({ "area": a, "files": r.files, "bytes": r.bytes })).collect::<Vec<Value>>(),
        "files_deleted": files,
        "bytes_deleted": bytes,
        "ledger_rows_deleted": rows,
        "keys_destroyed": key_ids,
        "audit_records": chain.len(),
        "audit_chain": audit_copy.file_name().map(|n| n.to_string_lossy().into_owned()),
    });
    let report_file = report_dir.join("report.json");
    let text = serde_json::to_string_pretty(&summary).unwrap_or_default();
    write_file(&report_file, text.as_bytes()).map_err(|e| {
        Failure::runtime(format!("error: {}: cannot write the report ({})", report_file.display(), e.kind()))
    })?;
    println!("tenant {tenant} offboarded:");
    for (area, r) in &report.areas {
        println!("  {area:<12} {:>8} files {:>14} bytes deleted", r.files, r.bytes);
    }
    println!("  keys         {} destroyed: {}", key_ids.len(), key_ids.join(", "));
    println!("  ledger       {rows} rows deleted");
    println!(
        "  report       {} (the audit chain, {} records, is kept beside it as {})",
        report_file.display(),
        chain.len(),
        audit_copy.display()
    );
    Ok(())
}

/// Deletes storage, quarantine, archive, claimed files and waiting drop files of the tenant.
fn delete_data(settings: &Settings, t: &Tenant, records: &mut Records<'_>, report: &mut Report) -> Result<(), Failure> {
    let tenant = t.id.as_str();
    let fail = |what: &str, e: std::io::Error| {
        Failure::runtime(format!(
            "error: tenant {tenant}: deleting {what} failed ({}); run the command again",
            e.kind()
        ))
    };
    let storage = match (&t.places.storage, &t.places.storage_store) {
        (_, Some(store)) => delete_objects(store, tenant).map_err(|e| fail("the storage objects", e))?,
        (Place::Local(root), None) => local_tree(root, tenant).map_err(|e| fail("the storage folder", e))?,
        (Place::Object(_), None) => Removed::default(),
    };
    report.areas.push(("storage", storage));
    let state = &settings.state_dir;
    for area in ["quarantine", "archive"] {
        let removed = local_tree(&state.join(area), tenant).map_err(|e| fail(area, e))?;
        report.areas.push((area, removed));
    }
    let drop = match (&t.places.drop, &t.places.drop_store) {
        // Waiting files and the object copies under `<tenant>/<dataset>/.importd/`.
        (_, Some(store)) => delete_objects(store, tenant).map_err(|e| fail("the drop objects", e))?,
        (Place::Local(root), None) => local_tree(root, tenant).map_err(|e| fail("the drop folder", e))?,
        (Place::Object(_), None) => Removed::default(),
    };
    report.areas.push(("drop", drop));
    let unfinished = records.ledger().unfinished().map_err(|e| fail("claimed files", std::io::Error::other(e)))?;
    let mut claimed = Removed::default();
    if let Ok(processing) = Dir::open(&settings.processing_dir()) {
        for (id, _) in unfinished.iter().filter(|(_, st)| st.tenant == tenant) {
            let name = std::ffi::OsStr::new(id.as_str());
            if let Ok(st) = processing.stat(name) {
                processing.remove_file(name).map_err(|e| fail("claimed files", e))?;
                claimed.add(Removed { files: 1, bytes: u64::try_from(st.st_size).unwrap_or(0) });
            }
        }
        processing.sync().map_err(|e| fail("claimed files", e))?;
    }
    report.areas.push(("processing", claimed));
    Ok(())
}

/// Removes `<root>/<tenant>` through handles (nothing if the root or folder is missing).
fn local_tree(root: &Path, tenant: &str) -> std::io::Result<Removed> {
    match Dir::open(root) {
        Ok(dir) => remove_tree(&dir, tenant),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Removed::default()),
        Err(e) => Err(e),
    }
}

fn delete_objects(store: &crate::store::s3::ObjectDir, tenant: &str) -> std::io::Result<Removed> {
    let mut removed = Removed::default();
    for (key, entry) in store.list_all(tenant)? {
        store.delete(&key)?;
        removed.add(Removed { files: 1, bytes: entry.size });
    }
    Ok(removed)
}

/// Destroys every key file of the ring: overwritten with zeros, fsynced, unlinked, the folder
/// fsynced; then the ring file and the (then empty) ring folder. Copies elsewhere (backups)
/// are not reachable from here: the report says which key ids must be destroyed there too.
fn destroy_keys(source: &KeySource) -> Result<(), Failure> {
    let fail = |p: &Path, e: std::io::Error| {
        Failure::runtime(format!(
            "error: {}: destroying the key failed ({}); run the command again",
            p.display(),
            e.kind()
        ))
    };
    match source {
        KeySource::File(path) => shred(path).map_err(|e| fail(path, e)),
        KeySource::Dir(dir) => {
            // Every file of the ring folder: the keys it lists, ring.json, and anything else
            // (a leftover temporary, a key a crashed rotation wrote but never listed).
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(fail(dir, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| fail(dir, e))?;
                let path = entry.path();
                let kind = entry.file_type().map_err(|e| fail(&path, e))?;
                if kind.is_file() {
                    shred(&path).map_err(|e| fail(&path, e))?;
                } else {
                    // A link or a folder is removed, never followed.
                    let removed =
                        if kind.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
                    removed.map_err(|e| fail(&path, e))?;
                }
            }
            std::fs::remove_dir(dir).map_err(|e| fail(dir, e))?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent).map_err(|e| fail(parent, e))?;
            }
            Ok(())
        }
    }
}

/// Overwrites a file with zeros, fsyncs it, unlinks it and fsyncs its folder. A missing file
/// is already gone.
fn shred(path: &Path) -> std::io::Result<()> {
    let mut f = match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let len = usize::try_from(f.metadata()?.len()).unwrap_or(0);
    f.write_all(&vec![0u8; len])?;
    f.sync_all()?;
    drop(f);
    std::fs::remove_file(path)?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    sync_dir(parent)
}

/// The embedded ledger's lock: offboarding never runs beside a daemon on the same state.
fn state_lock(settings: &Settings) -> Result<std::fs::File, Failure> {
    let path = settings.state_dir.join("importd.lock");
    let file = std::fs::File::options().create(true).truncate(false).write(true).open(&path).map_err(|e| {
        Failure::runtime(format!("error: {}: cannot open the lock file ({})", path.display(), e.kind()))
    })?;
    if file.try_lock().is_err() {
        return Err(Failure::runtime(format!(
            "error: {}: a daemon is running on this state_dir; stop it before offboarding a tenant",
            path.display()
        )));
    }
    Ok(file)
}

/// Writes a new file (0600) and fsyncs it.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        f.write_all(b"\n")?;
    }
    f.sync_all()
}
