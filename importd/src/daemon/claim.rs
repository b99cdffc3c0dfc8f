//! Claiming a ready file: the claim is recorded in the ledger first, then the file is moved
//! by one atomic rename into `<state_dir>/processing/<import_id>`, after which the customer
//! can no longer change it under its name.

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::daemon::import_id::ImportId;
use crate::daemon::intake::{self, escape_name};
use crate::daemon::ledger::Entry;
use crate::daemon::state::Daemon;
use crate::daemon::watch::Candidate;

/// Records the claim, then renames the file into `processing/<id>`.
pub fn claim(d: &Daemon, c: &Candidate) -> io::Result<Option<ImportId>> {
    let id = ImportId::new()?;
    let at_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |t| t.as_millis() as u64);
    d.record(Entry::Claimed {
        id: id.clone(),
        tenant: c.tenant.to_string(),
        dataset: c.dataset.to_string(),
        file: escape_name(&c.name),
        at_ms,
    })?;
    let target = d.processing_path(&id);
    match std::fs::rename(&c.path, &target) {
        Ok(()) => {
            // The claim happened; a failed directory fsync only makes it less durable (after
            // a crash, recovery sees `claimed` and finds the file in one place or the other).
            let synced = intake::sync_dir(&d.settings.processing_dir())
                .and_then(|()| c.path.parent().map_or(Ok(()), intake::sync_dir));
            if let Err(e) = synced {
                tracing::warn!(import_id = %id, error = %e.kind(), "fsync of the drop or processing folder failed after the claim");
            }
            tracing::debug!(tenant = %c.tenant, dataset = %c.dataset, import_id = %id, file = %escape_name(&c.name), "claimed");
            Ok(Some(id))
        }
        Err(e) => {
            d.record(Entry::Abandoned { id })?;
            if e.kind() == io::ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}
