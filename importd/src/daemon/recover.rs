//! Recovery on start, before any file is watched: every import the ledger shows unfinished is
//! finished or rolled back. Each step is recorded or idempotent, so an interrupted recovery is
//! simply run again on the next start.

use std::io;
use std::path::{Component, Path};

use crate::daemon::intake::sync_dir;
use crate::daemon::ledger::{Entry, ImportId, Phase};
use crate::daemon::state::Daemon;

/// Returns the imports to resume (re-run, or finish), oldest first.
pub fn recover(d: &Daemon) -> io::Result<Vec<ImportId>> {
    let removed = remove_stray_temps(&d.settings.storage_dir);
    if removed > 0 {
        tracing::info!(files = removed, "removed temporary output files left by an interrupted run");
    }
    let mut resume = Vec::new();
    for (id, st) in d.ledger(|l| l.unfinished()) {
        if !id.is_safe() {
            tracing::error!("the ledger holds an import id that is not a plain name; it is left alone");
            continue;
        }
        let present = std::fs::symlink_metadata(d.processing_path(&id)).is_ok();
        match &st.phase {
            Phase::Claimed | Phase::RolledBack { .. } if present => resume.push(id),
            Phase::Claimed | Phase::RolledBack { .. } => {
                // The claim's rename never happened: the file (if any) is still in the drop folder.
                d.record(Entry::Abandoned { id })?;
            }
            Phase::Started { output } => {
                if let Some(out) = safe_relative(output).map(|p| d.settings.storage_dir.join(p)) {
                    if std::fs::symlink_metadata(&out).is_ok() {
                        std::fs::remove_file(&out)?;
                        if let Some(dir) = out.parent() {
                            sync_dir(dir)?;
                        }
                        tracing::warn!(tenant = %st.tenant, dataset = %st.dataset, import_id = %id, "removed the output of an import that was interrupted before it was recorded as committed");
                    }
                }
                d.record(Entry::RolledBack {
                    id: id.clone(),
                    cause: "interrupted: the daemon stopped during the import".into(),
                })?;
                if present {
                    tracing::info!(tenant = %st.tenant, dataset = %st.dataset, import_id = %id, attempts = st.attempts, "an interrupted import is rolled back and will run again");
                    resume.push(id);
                } else {
                    tracing::error!(tenant = %st.tenant, import_id = %id, "an interrupted import's claimed file is gone from processing/");
                    d.record(Entry::Abandoned { id })?;
                }
            }
            Phase::Committed { .. } | Phase::Duplicate { .. } | Phase::Quarantined(_) => resume.push(id),
            Phase::Done | Phase::Abandoned => {}
        }
    }
    for entry in std::fs::read_dir(d.settings.processing_dir())?.flatten() {
        let name = entry.file_name();
        let known = name.to_str().is_some_and(|n| resume.iter().any(|id| id.as_str() == n));
        if !known {
            tracing::warn!(entry = %crate::daemon::intake::escape_name(&name), "processing/ holds an entry the ledger does not know; it is left alone");
        }
    }
    Ok(resume)
}

/// A ledger output path, if it is a plain relative path (no `..`, not absolute).
fn safe_relative(p: &str) -> Option<&Path> {
    let path = Path::new(p);
    path.components().all(|c| matches!(c, Component::Normal(_))).then_some(path)
}

/// Removes `.*.tmp` files under `<storage>/<tenant>/<dataset>/<partition>/`: outputs that
/// were never published. Nobody else writes there while we hold the state lock.
fn remove_stray_temps(storage: &Path) -> usize {
    let mut removed = 0;
    let dirs = |p: &Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(p).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect()
    };
    for tenant in dirs(storage) {
        for dataset in dirs(&tenant) {
            for part in dirs(&dataset) {
                for f in std::fs::read_dir(&part).into_iter().flatten().flatten() {
                    let name = f.file_name();
                    let n = name.to_string_lossy();
                    if n.starts_with('.') && n.ends_with(".tmp") && std::fs::remove_file(f.path()).is_ok() {
                        removed += 1;
                    }
                }
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_must_stay_inside_storage() {
        assert!(safe_relative("acme/customers/date=2026-11-27/x.parquet").is_some());
        assert!(safe_relative("../x").is_none());
        assert!(safe_relative("/etc/passwd").is_none());
        assert!(safe_relative("a/../../b").is_none());
    }
}
