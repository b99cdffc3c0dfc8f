//! What storage should hold (`verify`), rewrites of committed outputs (`subject erase`), and
//! forgetting a tenant (`tenant offboard`), on the shared ledger.

use postgres::Client;

use super::Failed;
use crate::daemon::ledger::{ImportId, LedgerError, Rewrite, StoredOutput};

pub(super) fn outputs(client: &mut Client, tenant: &str) -> Result<Vec<StoredOutput>, Failed> {
    let rows = client.query(
        "SELECT tenant, dataset, import_id, path, sha256, pending FROM outputs WHERE tenant = $1 ORDER BY path",
        &[&tenant],
    )?;
    rows.iter()
        .map(|r| {
            Ok(StoredOutput {
                tenant: r.try_get(0)?,
                dataset: r.try_get(1)?,
                import_id: ImportId(r.try_get(2)?),
                path: r.try_get(3)?,
                sha256: r.try_get(4)?,
                pending: r.try_get(5)?,
            })
        })
        .collect()
}

pub(super) fn begin_rewrite(client: &mut Client, tenant: &str, rw: &Rewrite) -> Result<(), Failed> {
    let mut tx = client.transaction()?;
    let now = tx.query_opt(
        "SELECT sha256, pending FROM outputs WHERE tenant = $1 AND path = $2 FOR UPDATE",
        &[&tenant, &rw.path],
    )?;
    let Some(now) = now else {
        return Err(Failed::Ledger(LedgerError::Write(format!("no committed output {} is recorded", rw.path))));
    };
    if now.try_get::<_, Option<String>>(1)?.is_some() {
        return Err(Failed::Ledger(LedgerError::Busy));
    }
    if now.try_get::<_, String>(0)? != rw.before {
        return Err(Failed::Ledger(LedgerError::Write(format!(
            "the output {} is recorded with another SHA-256",
            rw.path
        ))));
    }
    tx.execute("UPDATE outputs SET pending = $3 WHERE tenant = $1 AND path = $2", &[&tenant, &rw.path, &rw.after])?;
    let removed = i64::try_from(rw.rows_removed).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO rewrites (tenant, path, before, after, rows_removed, cause) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&tenant, &rw.path, &rw.before, &rw.after, &removed, &rw.cause],
    )?;
    tx.commit()?;
    Ok(())
}

pub(super) fn end_rewrite(
    client: &mut Client,
    tenant: &str,
    path: &str,
    pending: &str,
    sha256: &str,
) -> Result<(), Failed> {
    let mut tx = client.transaction()?;
    let n = tx.execute(
        "UPDATE outputs SET sha256 = $3, pending = NULL WHERE tenant = $1 AND path = $2 AND pending = $4",
        &[&tenant, &path, &sha256, &pending],
    )?;
    if n != 1 {
        // Dropped without commit: rolled back, nothing changes.
        return Err(Failed::Ledger(LedgerError::Write(super::super::not_pending(path))));
    }
    tx.execute(
        "UPDATE rewrites SET ended_sha256 = $3, ended_at = now()
         WHERE tenant = $1 AND path = $2 AND ended_sha256 IS NULL",
        &[&tenant, &path, &sha256],
    )?;
    tx.commit()?;
    Ok(())
}

pub(super) fn forget_tenant(client: &mut Client, tenant: &str) -> Result<u64, Failed> {
    let mut tx = client.transaction()?;
    let mut n = 0;
    for sql in [
        "DELETE FROM steps WHERE import_id IN (SELECT id FROM imports WHERE tenant = $1)",
        "DELETE FROM imports WHERE tenant = $1",
        "DELETE FROM committed WHERE tenant = $1",
        "DELETE FROM outputs WHERE tenant = $1",
        "DELETE FROM rewrites WHERE tenant = $1",
        "DELETE FROM audit_records WHERE tenant = $1",
        "DELETE FROM audit_heads WHERE tenant = $1",
    ] {
        n += tx.execute(sql, &[&tenant])?;
    }
    tx.commit()?;
    Ok(n)
}

/// A subject command of the same tenant holds the lock on another node (or process).
pub(super) const SUBJECT_BUSY: &str =
    "another subject command for this tenant is running (on this or another node sharing the ledger); run this one when it has finished";
/// The connection holding the subject lock broke and the lock could not be taken again.
pub(super) const SUBJECT_LOST: &str =
    "the tenant's subject lock in the shared ledger was lost with its connection and is held by another command now; run this one again";

/// Takes the tenant's subject lock for this session (released when it ends); says whether
/// it was free.
pub(super) fn try_subject_lock(client: &mut Client, tenant: &str) -> Result<bool, Failed> {
    let row = client.query_one("SELECT pg_try_advisory_lock(hashtext('importd.subject'), hashtext($1))", &[&tenant])?;
    Ok(row.try_get(0)?)
}

/// The tenant's imports not finished, by any node: (id, dataset).
pub(super) fn in_progress(client: &mut Client, tenant: &str) -> Result<Vec<(ImportId, String)>, Failed> {
    let rows =
        client.query("SELECT id, dataset FROM imports WHERE NOT finished AND tenant = $1 ORDER BY id", &[&tenant])?;
    rows.iter().map(|r| Ok((ImportId(r.try_get(0)?), r.try_get(1)?))).collect()
}
