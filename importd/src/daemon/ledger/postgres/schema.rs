//! The shared ledger's schema: the versioned [`MIGRATIONS`], applied under a transaction-level
//! advisory lock so daemons starting together migrate once, and the reading of an import's
//! row back into an [`ImportState`].
//!
//! `importd_migrations` lists the versions applied; a database holding a version this
//! importd does not know was migrated by a newer one and is refused.

use postgres::{Client, Row};

use super::Failed;
use crate::daemon::ledger::{ImportState, LedgerError, Phase};

/// Schema migrations; entry `i` is version `i + 1`, applied in one transaction.
const MIGRATIONS: &[&str] = &[
    // 1: imports (current state, source object, lease), committed identities, the history of
    // steps, fencing tokens, and the tenants' audit chains.
    "CREATE TABLE imports (
        id text PRIMARY KEY,
        tenant text NOT NULL,
        dataset text NOT NULL,
        file text NOT NULL,
        claimed_at_ms bigint NOT NULL,
        attempts integer NOT NULL,
        sha256 text,
        size bigint,
        phase text NOT NULL,
        state text NOT NULL,
        finished boolean NOT NULL,
        audit_offset bigint NOT NULL,
        source text,
        source_key text,
        source_etag text,
        owner text,
        lease_token bigint,
        lease_until timestamptz
     );
     CREATE INDEX imports_unfinished ON imports (id) WHERE NOT finished;
     -- A drop object is claimed once while an import of it is unfinished; once that one is
     -- done (the object deleted), the same key and ETag uploaded again is a new file.
     CREATE UNIQUE INDEX imports_source ON imports (tenant, dataset, source_key, source_etag)
        WHERE source_key IS NOT NULL AND NOT finished;
     CREATE UNIQUE INDEX imports_publishing ON imports (tenant, dataset, sha256) WHERE phase = 'publishing';
     CREATE TABLE committed (
        tenant text NOT NULL,
        dataset text NOT NULL,
        sha256 text NOT NULL,
        import_id text NOT NULL,
        PRIMARY KEY (tenant, dataset, sha256)
     );
     CREATE TABLE steps (
        seq bigserial PRIMARY KEY,
        import_id text NOT NULL,
        ev text NOT NULL,
        entry text NOT NULL,
        node text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
     );
     CREATE INDEX steps_import ON steps (import_id);
     CREATE SEQUENCE importd_lease_tokens;
     CREATE TABLE audit_records (
        tenant text NOT NULL,
        seq bigint NOT NULL,
        import_id text,
        event text NOT NULL,
        line text NOT NULL,
        PRIMARY KEY (tenant, seq)
     );
     -- One record per import and event, whatever the daemons do.
     CREATE UNIQUE INDEX audit_records_import ON audit_records (tenant, import_id, event) WHERE import_id IS NOT NULL;
     CREATE TABLE audit_heads (tenant text PRIMARY KEY, seq bigint NOT NULL, mac bytea NOT NULL);",
    // 2: every committed output as storage should hold it (`verify`), and rewrites of them
    // (`subject erase`); filled from the committed steps already recorded.
    "CREATE TABLE outputs (
        path text PRIMARY KEY,
        tenant text NOT NULL,
        dataset text NOT NULL,
        import_id text NOT NULL,
        sha256 text NOT NULL,
        pending text
     );
     CREATE INDEX outputs_tenant ON outputs (tenant);
     CREATE TABLE rewrites (
        seq bigserial PRIMARY KEY,
        tenant text NOT NULL,
        path text NOT NULL,
        before text NOT NULL,
        after text NOT NULL,
        rows_removed bigint NOT NULL,
        cause text NOT NULL,
        begun_at timestamptz NOT NULL DEFAULT now(),
        ended_sha256 text,
        ended_at timestamptz
     );
     INSERT INTO outputs (path, tenant, dataset, import_id, sha256)
        SELECT s.entry::jsonb ->> 'output', i.tenant, i.dataset, s.import_id,
               s.entry::jsonb -> 'audit' -> 'outputs' -> 0 ->> 'sha256'
        FROM steps s JOIN imports i ON i.id = s.import_id
        WHERE s.ev = 'committed' AND s.entry::jsonb -> 'audit' -> 'outputs' -> 0 ->> 'sha256' IS NOT NULL
        ON CONFLICT DO NOTHING;",
];

/// The advisory lock that serializes migrations across daemons ("importd" in ASCII).
const MIGRATION_LOCK: i64 = 0x0069_6d70_6f72_7464;

/// Brings the database up to this importd's schema, in one transaction that holds the
/// migration lock (a daemon starting at the same time waits, then finds nothing to do).
pub(super) fn migrate(client: &mut Client) -> Result<(), Failed> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS importd_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)",
    )?;
    let version: i32 = tx.query_one("SELECT coalesce(max(version), 0) FROM importd_migrations", &[])?.try_get(0)?;
    let known = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
    if version > known {
        return Err(Failed::Ledger(LedgerError::Corrupt(format!(
            "schema version {version} was written by a newer importd (this one knows up to {known})"
        ))));
    }
    for (v, sql) in (1..).zip(MIGRATIONS).skip(usize::try_from(version).unwrap_or(0)) {
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO importd_migrations (version, applied_at) VALUES ($1, now())", &[&v])?;
    }
    tx.commit()?;
    Ok(())
}

/// The columns [`row_state`] reads, in its order.
pub(super) const COLUMNS: &str = "tenant, dataset, file, attempts, sha256, size, state, audit_offset, source";

/// The import state in the [`COLUMNS`] of `row` starting at column `at`.
pub(super) fn row_state(row: &Row, at: usize) -> Result<ImportState, Failed> {
    let damaged = |what: &str| Failed::Ledger(LedgerError::Corrupt(format!("an import's {what} cannot be read")));
    let state: String = row.try_get(at + 6)?;
    let phase: Phase = serde_json::from_str(&state).map_err(|_| damaged("state"))?;
    let source = match row.try_get::<_, Option<String>>(at + 8)? {
        Some(json) => Some(serde_json::from_str(&json).map_err(|_| damaged("source"))?),
        None => None,
    };
    Ok(ImportState {
        tenant: row.try_get(at)?,
        dataset: row.try_get(at + 1)?,
        file: row.try_get(at + 2)?,
        attempts: u32::try_from(row.try_get::<_, i32>(at + 3)?).unwrap_or(0),
        sha256: row.try_get(at + 4)?,
        size: row.try_get::<_, Option<i64>>(at + 5)?.map(|n| u64::try_from(n).unwrap_or(0)),
        phase,
        audit_offset: u64::try_from(row.try_get::<_, i64>(at + 7)?).unwrap_or(0),
        source,
    })
}
