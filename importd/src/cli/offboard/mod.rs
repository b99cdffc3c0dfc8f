//! `importd tenant offboard`: crypto-shredding and deletion of one tenant.
//!
//! In this order, each step recorded in `<report>/progress.json` when it is done, so a run
//! cut short is run again with the same `--report` and carries on where it stopped:
//! 1. delete the tenant's data (`data.rs`): storage, quarantine, archive, kept rule file
//!    versions (`<state>/rules/<tenant>/`), claimed and
//!    outgoing files, files waiting in its drop folders (local folders through handles; S3
//!    prefixes), its lines in an earlier version's ledger;
//! 2. write the final audit record (`tenant_offboarded`, counts only) and copy the audit
//!    chain into the report folder, where it stays as the proof (names, counts and hashes,
//!    no values) once its key is gone;
//! 3. forget the tenant in the ledger and remove its audit log;
//! 4. destroy every key (`shred.rs`). From here on the configuration no longer loads for the
//!    tenant (its keys are going), so a rerun takes what it needs from `progress.json`.
//!
//! With the embedded ledger the daemon must be stopped (the state lock is taken). With a
//! shared ledger, the tenant must already be gone from every running daemon's configuration.

mod data;
mod shred;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map};

use crate::cli::keys::configured;
use crate::daemon::config::Settings;
use crate::daemon::keyring::{sync_dir, KeySource};
use crate::daemon::places::LedgerKind;
use crate::daemon::records::Records;
use crate::exit::Failure;

/// How far an offboarding got, and what it deleted so far (`progress.json`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Progress {
    tenant: String,
    /// The last step done: 0 none, 1 data deleted, 2 audited, 3 forgotten, 4 keys destroyed.
    step: u8,
    /// Files and bytes per area, summed over runs.
    areas: BTreeMap<String, (u64, u64)>,
    key_file: Option<PathBuf>,
    key_dir: Option<PathBuf>,
    key_ids: Vec<String>,
    ledger_rows: u64,
    audit_copy: Option<String>,
    audit_records: usize,
}

pub fn offboard(config: &Path, tenant: &str, confirm: Option<&str>, report_dir: Option<&Path>) -> Result<(), Failure> {
    if confirm != Some(tenant) {
        return Err(Failure::usage(format!(
            "error: offboarding deletes every file and key of tenant `{t}` for good; repeat its name with --confirm {t}",
            t = tenant.escape_debug()
        )));
    }
    let report_dir = report_dir.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(format!("offboard-{tenant}")));
    std::fs::create_dir_all(&report_dir).map_err(|e| {
        Failure::runtime(format!("error: {}: cannot create the report folder ({})", report_dir.display(), e.kind()))
    })?;
    let progress_path = report_dir.join("progress.json");
    let mut p = read_progress(&progress_path, tenant)?;
    if p.step < 3 {
        let settings = Settings::load(config)?;
        forget(&settings, config, tenant, &report_dir, &mut p, &progress_path)?;
    }
    let source = match (&p.key_file, &p.key_dir) {
        (Some(f), _) => KeySource::File(f.clone()),
        (_, Some(d)) => KeySource::Dir(d.clone()),
        _ => return Err(Failure::runtime(format!("error: {}: names no keys", progress_path.display()))),
    };
    let found = shred::destroy_keys(&source).map_err(|(path, e)| {
        Failure::runtime(format!("error: {path}: destroying the key failed ({e}); run the command again"))
    })?;
    for id in found {
        if !p.key_ids.contains(&id) {
            p.key_ids.push(id);
        }
    }
    p.step = 4;
    save(&progress_path, &p)?;
    report(&report_dir, &p)
}

/// Steps 1–3, with the configuration (and so the tenant's keys) still loadable.
fn forget(
    settings: &Settings,
    config: &Path,
    tenant: &str,
    report_dir: &Path,
    p: &mut Progress,
    progress_path: &Path,
) -> Result<(), Failure> {
    let t = configured(settings, config, tenant)?;
    let _lock = match settings.ledger {
        // Offboarding never runs beside a daemon on the same embedded ledger.
        LedgerKind::Sqlite => Some(crate::daemon::state::state_lock(
            &settings.state_dir,
            "a daemon is running on this state_dir; stop it before offboarding a tenant",
        )?),
        LedgerKind::Postgres(_) => None,
    };
    let ring = t.ring();
    shred::check_ring(&ring.source).map_err(|e| Failure::runtime(format!("error: {e}")))?;
    match &ring.source {
        KeySource::File(f) => p.key_file = Some(std::path::absolute(f).unwrap_or_else(|_| f.clone())),
        KeySource::Dir(d) => p.key_dir = Some(std::path::absolute(d).unwrap_or_else(|_| d.clone())),
    }
    p.key_ids = ring.all().iter().map(|k| k.id().to_string()).collect();
    let mut records = Records::open(settings, "offboard")?;
    if p.step < 1 {
        for (area, r) in data::delete_data(settings, t, &mut records)? {
            let e = p.areas.entry(area.to_string()).or_default();
            (e.0, e.1) = (e.0 + r.files, e.1 + r.bytes);
        }
        p.step = 1;
        save(progress_path, p)?;
        crash_point!("offboard.after_data");
    }
    if p.step < 2 {
        let (files, bytes) = totals(p);
        let mut body = Map::new();
        body.insert("files_deleted".into(), json!(files));
        body.insert("bytes_deleted".into(), json!(bytes));
        body.insert("keys_destroyed".into(), json!(p.key_ids));
        records.audit(t, "tenant_offboarded", body)?;
        let chain = records.audit_lines(t)?;
        let copy = report_dir.join("audit.jsonl");
        write_file(&copy, &chain.join(&b'\n')).map_err(|e| {
            Failure::runtime(format!("error: {}: cannot write the audit chain ({})", copy.display(), e.kind()))
        })?;
        p.audit_copy = Some("audit.jsonl".into());
        p.audit_records = chain.len();
        p.step = 2;
        save(progress_path, p)?;
        crash_point!("offboard.after_audit");
    }
    p.ledger_rows += records
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
    p.step = 3;
    save(progress_path, p)?;
    crash_point!("offboard.after_forget");
    Ok(())
}

fn totals(p: &Progress) -> (u64, u64) {
    p.areas.iter().filter(|(a, _)| a.as_str() != "old_ledger_lines").fold((0, 0), |(f, b), (_, r)| (f + r.0, b + r.1))
}

/// Prints the deletion report and writes it as `report.json`.
fn report(report_dir: &Path, p: &Progress) -> Result<(), Failure> {
    let (files, bytes) = totals(p);
    let summary = json!({
        "tenant": p.tenant,
        "at": crate::daemon::audit::now_rfc3339(),
        "areas": p.areas.iter().map(|(a, r)| json!({ "area": a, "files": r.0, "bytes": r.1 })).collect::<Vec<_>>(),
        "files_deleted": files,
        "bytes_deleted": bytes,
        "ledger_rows_deleted": p.ledger_rows,
        "keys_destroyed": p.key_ids,
        "audit_records": p.audit_records,
        "audit_chain": p.audit_copy,
    });
    let path = report_dir.join("report.json");
    let text = serde_json::to_string_pretty(&summary).unwrap_or_default();
    write_file(&path, text.as_bytes())
        .map_err(|e| Failure::runtime(format!("error: {}: cannot write the report ({})", path.display(), e.kind())))?;
    println!("tenant {} offboarded:", p.tenant);
    for (area, r) in &p.areas {
        if area == "old_ledger_lines" {
            println!("  {area:<16} {:>8} lines removed", r.1);
        } else {
            println!("  {area:<16} {:>8} files {:>14} bytes deleted", r.0, r.1);
        }
    }
    println!("  keys             {} destroyed: {}", p.key_ids.len(), p.key_ids.join(", "));
    println!("  ledger           {} rows deleted", p.ledger_rows);
    println!(
        "  report           {} (the audit chain, {} records, is kept beside it as {})",
        path.display(),
        p.audit_records,
        p.audit_copy.as_deref().unwrap_or("-")
    );
    Ok(())
}

fn read_progress(path: &Path, tenant: &str) -> Result<Progress, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Progress { tenant: tenant.to_string(), ..Progress::default() })
        }
        Err(e) => return Err(Failure::runtime(format!("error: {}: cannot read it ({})", path.display(), e.kind()))),
    };
    let p: Progress = serde_json::from_str(&text)
        .map_err(|_| Failure::runtime(format!("error: {}: not an offboarding's progress file", path.display())))?;
    if p.tenant != tenant {
        return Err(Failure::usage(format!(
            "error: {}: it is the offboarding of tenant `{}`; use another --report folder",
            path.display(),
            p.tenant
        )));
    }
    Ok(p)
}

fn save(path: &Path, p: &Progress) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(p).unwrap_or_default();
    let tmp = path.with_extension("json.tmp");
    write_file(&tmp, text.as_bytes())
        .and_then(|()| std::fs::rename(&tmp, path))
        .and_then(|()| sync_dir(path.parent().unwrap_or(Path::new("."))))
        .map_err(|e| Failure::runtime(format!("error: {}: cannot write it ({})", path.display(), e.kind())))
}

/// Writes a file (0600) and fsyncs it.
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
