//! Drop and storage folders in an object store (`s3://…`). Object stores have no rename, so:
//!
//! - a drop object is claimed by its ledger row, (tenant, dataset, key, ETag), once across
//!   every daemon sharing the ledger, then downloaded with its ETag pinned into
//!   `<state_dir>/processing/<import_id>` (the spool): from there the import is the same as
//!   for a local file. A daemon that takes an import over downloads it again;
//! - an output is written to a local file under `<state_dir>/outgoing/` and published by one
//!   multipart upload straight to its final key, visible only when complete. That upload is
//!   the commit point; right before it the daemon checks that it still holds the import's
//!   lease with half a lease to spare;
//! - the input is disposed of by deleting its object; archive and quarantine are object
//!   copies below the dataset's prefix, `<tenant>/<dataset>/.importd/{archive,quarantine}/`
//!   (a `.` name is never picked up), so they stay inside the tenant's own area.

use std::ffi::OsStr;
use std::io;

use crate::daemon::config::Tenant;
use crate::daemon::import_id::ImportId;
use crate::daemon::ledger::{ImportState, LedgerError, Source};
use crate::daemon::publish::{PublishError, Staged, WriteBehind, SYNC_EVERY};
use crate::daemon::state::{ledger_error, Daemon};
use crate::daemon::watch::Candidate;
use crate::store::s3::{Fetch, ObjectDir};

/// The folder below a dataset's drop prefix where its archived and quarantined inputs go.
pub const KEPT: &str = ".importd";

/// Claims a settled drop object: records the claim (a daemon that lost the race to another
/// gets `None`), then spools it. `None` also when the object vanished or changed since the
/// listing (the new version is listed and claimed on its own).
pub fn claim(d: &Daemon, c: &Candidate, source: &Source) -> io::Result<Option<ImportId>> {
    let id = ImportId::new()?;
    let claimed = d.record(crate::daemon::claim::claimed(d, c, &id)?);
    match claimed {
        Ok(()) => d.metrics.claims_won.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        Err(e) if ledger_error(&e).is_some_and(|l| matches!(l, LedgerError::Taken)) => {
            d.metrics.claims_lost.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    crash_point!("claim.after_record");
    match spool(d, &id, &c.tenant, source) {
        Ok(true) => Ok(Some(id)),
        Ok(false) => Ok(crate::daemon::claim::abandon(d, id)),
        // Claimed but not spooled: resumed later, when the download is tried again.
        Err(e) => {
            tracing::warn!(tenant = %c.tenant, dataset = %c.dataset, import_id = %id, error = %e.kind(), "the claimed object could not be downloaded yet; it is tried again");
            Ok(Some(id))
        }
    }
}

/// Downloads the import's drop object, pinned to the claimed ETag, into
/// `processing/<id>` unless it is there already. `Ok(false)`: the object is gone or was
/// replaced (nothing to import under this claim).
pub fn spool(d: &Daemon, id: &ImportId, tenant: &crate::daemon::config::TenantId, source: &Source) -> io::Result<bool> {
    let processing = d.processing_dir()?;
    let name = OsStr::new(id.as_str());
    if processing.stat(name).is_ok() {
        return Ok(true);
    }
    if injected_vanished_object() {
        return Ok(false);
    }
    let Some(store) = d.tenant(tenant.as_str()).and_then(|t| t.places.drop_store.clone()) else {
        return Err(io::Error::other("the tenant's drop folder is no longer an object store"));
    };
    let temp = format!(".{id}.download");
    let _ = processing.remove_file(OsStr::new(&temp));
    let mut file = processing.create_new(OsStr::new(&temp), 0o600)?;
    let fetched = store.download(&source.key, &source.etag, &mut file);
    drop(file);
    match fetched {
        Ok(_) => {
            processing.rename(OsStr::new(&temp), &processing, name)?;
            processing.sync()?;
            Ok(true)
        }
        Err(why) => {
            let _ = processing.remove_file(OsStr::new(&temp));
            match why {
                Fetch::Missing | Fetch::Changed => {
                    tracing::info!(tenant = %tenant, import_id = %id, "the claimed object is gone or was replaced; nothing is imported under this claim");
                    Ok(false)
                }
                Fetch::Io(e) => Err(e),
            }
        }
    }
}

/// Fault injection for the tests (crash-point builds only): `objects.vanished=1*return`
/// makes the next download find the claimed object gone.
fn injected_vanished_object() -> bool {
    #[cfg(all(feature = "failpoints", debug_assertions))]
    if fail::eval("objects.vanished", |_| ()).is_some() {
        return true;
    }
    false
}

/// Where an import's output is written before it is published.
#[derive(Debug)]
pub enum Output {
    /// A local storage folder: a temporary file next to the final name, renamed.
    Local(Staged),
    /// An object store: a local file under `outgoing/`, uploaded to `key`.
    Object { staged: Staged, store: ObjectDir, key: String },
}

impl Output {
    /// The output's writer: a local output syncs behind itself (its commit is an fsync);
    /// an object's local copy is uploaded, not kept, so it is written without.
    pub fn writer(&self) -> io::Result<WriteBehind> {
        match self {
            Output::Local(s) => s.writer_behind(Some(SYNC_EVERY)),
            Output::Object { staged, .. } => staged.writer_behind(None),
        }
    }

    pub fn sha256(&self) -> io::Result<String> {
        self.staged().sha256()
    }

    fn staged(&self) -> &Staged {
        match self {
            Output::Local(s) | Output::Object { staged: s, .. } => s,
        }
    }

    /// Publishes the output: the commit point. An object is uploaded only while this daemon
    /// holds the import's lease with half a lease to spare (a daemon that stalled past its
    /// lease never publishes).
    pub fn commit(self, d: &Daemon, id: &ImportId) -> Result<(), PublishError> {
        let before = |error| PublishError { error, published: false };
        match self {
            Output::Local(staged) => staged.commit(),
            Output::Object { staged, store, key } => {
                if !d.holds(id, d.settings.cluster.lease / 2).map_err(before)? {
                    return Err(before(io::Error::other(LedgerError::Fenced)));
                }
                crash_point!("publish.before_rename");
                let mut file = staged.writer().map_err(before)?;
                std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0)).map_err(before)?;
                store.upload(&key, &mut file).map_err(before)?;
                crash_point!("publish.after_rename");
                Ok(()) // the local file is removed when `staged` drops
            }
        }
    }
}

/// The output for `<tenant>/<dataset>/date=…/<id>.parquet` in the tenant's object store.
pub fn stage_object(d: &Daemon, store: &ObjectDir, output: &str) -> io::Result<Output> {
    let outgoing = d.state_dir()?.create_dir_all("outgoing")?;
    let name = output.rsplit('/').next().unwrap_or(output);
    let staged = Staged::in_dir(outgoing, OsStr::new(name))?;
    Ok(Output::Object { staged, store: store.clone(), key: output.to_string() })
}

/// Whether the output object exists.
pub fn object_visible(store: &ObjectDir, output: &str) -> io::Result<bool> {
    Ok(store.head(output)?.is_some())
}

/// Disposes of an import's drop object after its commit or duplicate: deleted, or copied
/// to `.importd/archive/<id>` first when inputs are kept. Idempotent. The local spool goes too.
pub fn dispose_object(d: &Daemon, tenant: &Tenant, id: &ImportId, st: &ImportState, source: &Source) -> io::Result<()> {
    let store = drop_store(tenant)?;
    // A daemon that stalled past its lease must not delete what may be a new upload.
    if !d.holds(id, std::time::Duration::ZERO)? {
        return Err(io::Error::other(LedgerError::Fenced));
    }
    if still_claimed(store, source)? {
        if d.settings.keep_input_days.is_some() {
            store.copy(&source.key, &format!("{}/{}/{KEPT}/archive/{id}", st.tenant, st.dataset))?;
        }
        store.delete(&source.key)?;
    }
    crash_point!("dispose.after_input");
    remove_spool(d, id)
}

/// Quarantines an import's drop object: the original and `reason.json` under
/// `.importd/quarantine/<id>/`, then the drop object is deleted. Idempotent.
pub fn quarantine_object(
    d: &Daemon,
    tenant: &Tenant,
    id: &ImportId,
    st: &ImportState,
    source: &Source,
    input_name: &str,
    reason_json: Vec<u8>,
) -> io::Result<()> {
    let store = drop_store(tenant)?;
    let folder = format!("{}/{}/{KEPT}/quarantine/{id}", st.tenant, st.dataset);
    store.put(&format!("{folder}/reason.json"), reason_json)?;
    crash_point!("dispose.after_reason");
    if still_claimed(store, source)? {
        store.copy(&source.key, &format!("{folder}/{input_name}"))?;
        store.delete(&source.key)?;
    }
    crash_point!("dispose.after_quarantine_move");
    remove_spool(d, id)
}

/// Removes archived inputs (`kind` "archive") or quarantined objects ("quarantine") older
/// than `max_age_ms` from every object-store drop prefix.
pub fn prune_object_kept(d: &Daemon, kind: &str, max_age_ms: i64) {
    let now = chrono::Utc::now().timestamp_millis();
    for tenant in d.settings.tenants.values() {
        let Some(store) = &tenant.places.drop_store else { continue };
        for ds in tenant.datasets.keys() {
            let folder = format!("{}/{ds}/{KEPT}/{kind}", tenant.id);
            for (key, entry) in store.list_all(&folder).unwrap_or_default() {
                if now.saturating_sub(entry.last_modified_ms) > max_age_ms {
                    let _ = store.delete(&key);
                }
            }
        }
    }
}

/// After a run that did not finish the import here (its lease was lost or ran short, or
/// another daemon finished it): the lease is given up and a spooled copy removed.
pub fn let_go(d: &Daemon, id: &ImportId) {
    if let Err(e) = d.release(id) {
        tracing::warn!(import_id = %id, error = %e, "the import's lease could not be given up; it is taken over when it runs out");
    }
    if d.import(id).ok().flatten().is_some_and(|st| st.source.is_some()) {
        let _ = remove_spool(d, id);
    }
}

/// Whether the drop key still holds the version that was claimed: a new upload under the
/// same name since then is a new file, claimed on its own, never deleted with the old one.
/// (S3 has no conditional delete; a new upload between this look and the delete is the one
/// window left, milliseconds wide.)
fn still_claimed(store: &ObjectDir, source: &Source) -> io::Result<bool> {
    Ok(store.head(&source.key)?.is_some_and(|now| now.etag == source.etag))
}

fn drop_store(tenant: &Tenant) -> io::Result<&ObjectDir> {
    tenant.places.drop_store.as_ref().ok_or_else(|| io::Error::other("the tenant's drop folder is not an object store"))
}

fn remove_spool(d: &Daemon, id: &ImportId) -> io::Result<()> {
    let processing = d.processing_dir()?;
    match processing.remove_file(OsStr::new(id.as_str())) {
        Ok(()) => processing.sync(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}
