//! Claiming a ready file: the claim is recorded in the ledger first, then the file is moved
//! by one atomic rename into `<state_dir>/processing/<import_id>`, after which the customer
//! can no longer change it under its name.

use std::ffi::OsStr;
use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::daemon::import_id::ImportId;
use crate::daemon::intake::escape_name;
use crate::daemon::ledger::Entry;
use crate::daemon::state::{is_fenced, Daemon};
use crate::daemon::watch::Candidate;
use crate::store::{stamp, Dir, DirError};

/// Claims a ready file: re-opens its dataset folder through handles (a folder that became a
/// symlink, or is not the folder the scan saw, is refused), re-checks the file's stamp
/// (size, mtime, inode), records the claim, then renames the file into `processing/<id>`
/// (never over an existing entry). `None`: nothing was claimed and the file, if any, stays.
pub fn claim(d: &Daemon, c: &Candidate) -> io::Result<Option<ImportId>> {
    let Some(folder) = open_dataset_folder(d, c) else { return Ok(None) };
    let seen = match folder.stat(&c.name) {
        Ok(st) if stamp(&st) == c.stamp => st,
        Ok(_) => {
            tracing::debug!(tenant = %c.tenant, dataset = %c.dataset, file = %escape_name(&c.name), "the file changed since the scan; it settles again");
            return Ok(None);
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let processing = d.processing_dir()?;
    let id = ImportId::new()?;
    d.record(claimed(d, c, &id)?)?;
    crash_point!("claim.after_record");
    crash_point!("claim.before_rename");
    match folder.rename_new(&c.name, &processing, OsStr::new(id.as_str())) {
        Ok(()) => {
            crash_point!("claim.after_rename");
            let claimed = processing.stat(OsStr::new(id.as_str()))?;
            if (claimed.st_dev, claimed.st_ino) != (seen.st_dev, seen.st_ino) {
                // Swapped between the check and the rename (a directory, another file): it
                // goes back to the drop folder, never into state_dir.
                give_back(&processing, &folder, &id, &c.name);
                tracing::warn!(tenant = %c.tenant, dataset = %c.dataset, file = %escape_name(&c.name), "the file was replaced while it was claimed; it is left in the drop folder");
                return Ok(abandon(d, id));
            }
            // The claim happened; a failed directory fsync only makes it less durable (after
            // a crash, recovery sees `claimed` and finds the file in one place or the other).
            if let Err(e) = processing.sync().and_then(|()| folder.sync()) {
                tracing::warn!(import_id = %id, error = %e.kind(), "fsync of the drop or processing folder failed after the claim");
            }
            tracing::debug!(tenant = %c.tenant, dataset = %c.dataset, import_id = %id, file = %escape_name(&c.name), "claimed");
            Ok(Some(id))
        }
        Err(e) => match abandon(d, id) {
            Some(id) => Ok(Some(id)),
            None if e.kind() == io::ErrorKind::NotFound => Ok(None),
            None => Err(e),
        },
    }
}

/// Gives up a recorded claim that found nothing to import: `None` once it is recorded
/// abandoned (or another daemon fenced it off). If the ledger refuses that, the claim still
/// stands (and, in a shared ledger, its lease), so it is returned to be run, marked to
/// only record `abandoned` again until the ledger takes it, then give the lease up. It is
/// never imported: what sits in `processing/<id>` now may be an entry swapped in that could
/// not be given back. Dropped here instead, the claim would be held with nobody to finish it
/// and the file would never be claimed again.
pub fn abandon(d: &Daemon, id: ImportId) -> Option<ImportId> {
    match d.record(Entry::Abandoned { id: id.clone() }) {
        Ok(()) => None,
        Err(e) if is_fenced(&e) => None,
        Err(e) => {
            d.mark_abandoning(&id);
            tracing::warn!(import_id = %id, error = %e, "a claim with nothing to import could not be recorded as abandoned; it is tried again");
            Some(id)
        }
    }
}

/// The `claimed` step for a candidate under a new id (its drop object, if it is one).
pub fn claimed(d: &Daemon, c: &Candidate, id: &ImportId) -> io::Result<Entry> {
    Ok(Entry::Claimed {
        id: id.clone(),
        tenant: c.tenant.to_string(),
        dataset: c.dataset.to_string(),
        file: escape_name(&c.name),
        at_ms: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |t| t.as_millis() as u64),
        audit_offset: d.audit_len(&c.tenant)?,
        source: c.object.clone(),
    })
}

/// Moves a wrongly claimed entry back into the drop folder: under its name, or, if that is
/// taken again, a hidden one (`.importd-returned-<id>`, never picked up) the tenant can see.
fn give_back(processing: &Dir, folder: &Dir, id: &ImportId, name: &OsStr) {
    let entry = OsStr::new(id.as_str());
    let hidden = format!(".importd-returned-{id}");
    let back = processing
        .rename_new(entry, folder, name)
        .or_else(|_| processing.rename_new(entry, folder, OsStr::new(&hidden)));
    if back.is_err() {
        tracing::error!(import_id = %id, "a replaced entry could not be moved back out of processing/; it is left there for an operator");
    }
    let _ = folder.sync().and_then(|()| processing.sync());
}

/// `<drop>/<tenant>/<dataset>` opened afresh through handles, if it is still the plain
/// directory the scan listed.
fn open_dataset_folder(d: &Daemon, c: &Candidate) -> Option<Dir> {
    let opened = Dir::open(&d.settings.drop_dir)
        .map_err(DirError::Io)
        .and_then(|root| root.open_dir(&format!("{}/{}", c.tenant, c.dataset)));
    let refused = match opened {
        Ok(dir) if dir.id() == c.folder => return Some(dir),
        Ok(_) => "replaced",
        Err(DirError::Refused(r)) => r.word(),
        Err(DirError::Missing) => return None,
        Err(DirError::Io(e)) => {
            tracing::warn!(tenant = %c.tenant, dataset = %c.dataset, error = %e.kind(), "the dataset folder cannot be opened; nothing is claimed");
            return None;
        }
    };
    d.metrics.refused_folder(c.tenant.as_str(), refused);
    tracing::warn!(tenant = %c.tenant, dataset = %c.dataset, refusal = refused, "the dataset folder changed between the scan and the claim (replaced or now a symbolic link); nothing is claimed from it");
    None
}
