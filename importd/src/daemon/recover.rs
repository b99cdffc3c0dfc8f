//! Recovery on start, before any file is watched: every import the ledger shows unfinished is
//! finished or rolled back, following the commit state machine (ARCHITECTURE.md). The publish
//! rename is the commit point, so recovery never deletes a published output: an import found
//! in `publishing` whose output is visible is recorded as committed. Each step is recorded or
//! idempotent, so an interrupted recovery is simply run again on the next start.

use std::ffi::OsStr;
use std::io;

use serde_json::json;

use crate::daemon::job::{output_visible, settle_publishing};
use crate::daemon::ledger::{Entry, ImportId, ImportState, Phase};
use crate::daemon::state::Daemon;
use crate::store::Dir;

/// Returns the imports to resume (re-run, or finish), oldest first.
pub fn recover(d: &Daemon) -> io::Result<Vec<ImportId>> {
    // Outputs never published (`<tenant>/<dataset>/<partition>/`) and reason.json files never
    // published (`quarantine/<tenant>/<dataset>/<id>/`).
    let mut removed = remove_stray_temps(&d.storage_dir()?);
    if let Ok(quarantine) = d.state_dir()?.open_dir("quarantine") {
        removed += remove_stray_temps(&quarantine);
    }
    if removed > 0 {
        tracing::info!(files = removed, "removed temporary output files left by an interrupted run");
    }
    if let Ok(outgoing) = d.state_dir()?.open_dir("outgoing") {
        // Outputs for an object store that were never uploaded.
        for entry in outgoing.entries()? {
            let _ = outgoing.remove_file(&entry.name);
        }
    }
    let processing = d.processing_dir()?;
    let mut resume = Vec::new();
    let unfinished = if d.shared() {
        // A shared ledger: this node's own imports (a restart of the same daemon), taken
        // back at once; other daemons' imports only once their lease ran out (the loop).
        let mut own = Vec::new();
        for id in d.resume_own()? {
            if let Some(st) = d.import(&id)? {
                own.push((id, st));
            }
        }
        own
    } else {
        d.unfinished()?
    };
    for (id, st) in unfinished {
        if !id.is_safe() {
            tracing::error!("the ledger holds an import id that is not a plain name; it is left alone");
            continue;
        }
        let present = match processing.stat(OsStr::new(id.as_str())) {
            Ok(_) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        let runnable = match &st.phase {
            Phase::Claimed | Phase::RolledBack { .. } => true,
            Phase::Started { output } => {
                if output_visible(d, output)? {
                    // Only a ledger written before the `publishing` step can show this.
                    record_found_output(d, &id, &st, output)?;
                    resume.push(id);
                    continue;
                }
                d.record(Entry::RolledBack {
                    id: id.clone(),
                    cause: "interrupted: the daemon stopped during the import".into(),
                    cancelled: false,
                })?;
                tracing::info!(tenant = %st.tenant, dataset = %st.dataset, import_id = %id, attempts = st.attempts, "an interrupted import is rolled back and will run again");
                true
            }
            Phase::Publishing { .. } => !settle_publishing(d, &id, &st)?,
            Phase::Committed { .. } | Phase::Duplicate { .. } | Phase::Quarantined { .. } => false,
            Phase::Done | Phase::Abandoned => continue,
        };
        crash_point!("recover.after_step");
        if runnable && !present && st.source.is_none() {
            // The claim's rename never happened (the file is still in the drop folder), or
            // the claimed file is gone: nothing to import under this id.
            if !matches!(st.phase, Phase::Claimed) {
                tracing::error!(tenant = %st.tenant, import_id = %id, "an interrupted import's claimed file is gone from processing/");
            }
            d.record(Entry::Abandoned { id })?;
            continue;
        }
        resume.push(id);
    }
    for entry in processing.entries()? {
        let known = entry.name.to_str().is_some_and(|n| resume.iter().any(|id| id.as_str() == n));
        if entry.name.to_str().is_some_and(|n| n.starts_with('.') && n.ends_with(".download")) {
            let _ = processing.remove_file(&entry.name); // a download cut short
        } else if !known && d.shared() {
            // A spooled copy of an object-store drop file whose import another daemon took
            // over while this one was down: the object is the original; the copy goes.
            let id = entry.name.to_str().map(|n| ImportId(n.to_string()));
            let spooled = match &id {
                Some(id) if id.is_safe() => d.import(id)?.is_some_and(|st| st.source.is_some()),
                _ => false,
            };
            if spooled {
                let _ = processing.remove_file(&entry.name);
            }
        } else if !known {
            tracing::warn!(entry = %crate::daemon::intake::escape_name(&entry.name), "processing/ holds an entry the ledger does not know; it is left alone");
        }
    }
    Ok(resume)
}

/// A `started` import whose output is in storage (ledgers from before `publishing`): the
/// output is kept and its commit recorded with what can be known now.
fn record_found_output(d: &Daemon, id: &ImportId, st: &ImportState, output: &str) -> io::Result<()> {
    let (folder, name) = output.rsplit_once('/').unwrap_or(("", output));
    let mut file = d.storage_dir()?.open_dir(folder)?.open_file(OsStr::new(name))?;
    let output_sha256 = crate::daemon::publish::sha256_of(&mut file)?;
    let audit = json!({
        "import_id": id, "dataset": st.dataset, "file": st.file, "size": st.size, "sha256": st.sha256,
        "outputs": [{ "path": output, "sha256": output_sha256 }], "recovered": true,
    });
    let sha256 = st.sha256.clone().unwrap_or_default();
    d.record(Entry::Committed { id: id.clone(), sha256, output: output.to_string(), audit })?;
    tracing::warn!(tenant = %st.tenant, dataset = %st.dataset, import_id = %id, "an output published before its commit was recorded is kept and recorded as committed");
    Ok(())
}

/// Removes `.*.tmp` files three folders below `root` (`<tenant>/<dataset>/<partition>/` in
/// storage, `<tenant>/<dataset>/<id>/` in quarantine): files that were never published.
/// No other daemon writes there while we hold the state lock, but a subject erasure may run
/// beside us: its temporaries (`.<output>.subject.tmp`, [`SUBJECT_TEMP`]) are its own, and
/// the next subject command settles them. Folders are walked through handles; links are
/// never followed.
fn remove_stray_temps(storage: &Dir) -> usize {
    let mut removed = 0;
    for tenant in storage.subfolders() {
        for dataset in tenant.subfolders() {
            for part in dataset.subfolders() {
                let mut here = 0;
                for entry in part.entries().unwrap_or_default() {
                    let n = entry.name.to_string_lossy();
                    let ours = n.starts_with('.') && n.ends_with(".tmp") && !n.ends_with(SUBJECT_TEMP);
                    if ours && part.remove_file(&entry.name).is_ok() {
                        here += 1;
                    }
                }
                if here > 0 {
                    let _ = part.sync();
                }
                removed += here;
            }
        }
    }
    removed
}

/// How the temporary of a subject erasure beside an output ends (`.<name>.subject.tmp`).
pub const SUBJECT_TEMP: &str = ".subject.tmp";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_removes_import_temporaries_and_leaves_an_erasures_own() -> std::io::Result<()> {
        let root = tempfile::tempdir()?;
        let part = root.path().join("acme/orders/date=2026-12-02");
        std::fs::create_dir_all(&part)?;
        for name in [".x.parquet.tmp", ".y.parquet.subject.tmp", ".y.parquet.subject.json", "y.parquet"] {
            std::fs::write(part.join(name), b"x")?;
        }
        assert_eq!(remove_stray_temps(&Dir::open(root.path())?), 1);
        let mut left: Vec<String> = std::fs::read_dir(&part)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".y.parquet.subject.json", ".y.parquet.subject.tmp", "y.parquet"]);
        Ok(())
    }
}
