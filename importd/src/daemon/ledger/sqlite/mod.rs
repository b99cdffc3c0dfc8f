//! The embedded ledger: `<state_dir>/ledger.sqlite` (SQLite through `rusqlite`, bundled; WAL
//! journal, `synchronous = FULL`, so a step is on disk when `append` returns). One
//! transaction per step: the import's row moves to its next state (the pure [`step`]
//! function), a committed identity is indexed, and the step is kept in `steps` as history.
//! Opening reads nothing but the schema version: unfinished imports are one indexed query.
//!
//! The schema is versioned by `PRAGMA user_version`, and [`MIGRATIONS`] brings an older file
//! up to date in one transaction each; a file from a newer importd is refused. A JSON Lines
//! ledger of an earlier version is imported once (marked in `meta` in the same transaction,
//! then renamed aside).

use std::path::Path;

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior};

use super::{
    jsonl, not_pending, step, Entry, Identity, ImportId, ImportState, Ledger, LedgerError, Phase, Rewrite, StoredOutput,
};

/// Schema migrations; entry `i` takes `user_version` from `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: imports by id (their current state), committed identities, the history of steps.
    "CREATE TABLE imports (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        dataset TEXT NOT NULL,
        file TEXT NOT NULL,
        claimed_at_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        sha256 TEXT,
        size INTEGER,
        phase TEXT NOT NULL,
        state TEXT NOT NULL,
        finished INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX imports_unfinished ON imports (id) WHERE finished = 0;
     CREATE TABLE committed (
        tenant TEXT NOT NULL,
        dataset TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        import_id TEXT NOT NULL,
        PRIMARY KEY (tenant, dataset, sha256)
     ) WITHOUT ROWID;
     CREATE TABLE steps (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        import_id TEXT NOT NULL,
        ev TEXT NOT NULL,
        entry TEXT NOT NULL
     );
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
    // 2: where in the tenant's audit log an import's records start (bounded audit reads at start).
    "ALTER TABLE imports ADD COLUMN audit_offset INTEGER NOT NULL DEFAULT 0;",
    // 3: the drop object an import was claimed from (object-store drop folders), as JSON.
    "ALTER TABLE imports ADD COLUMN source TEXT;",
    // 4: every committed output as storage should hold it (`verify`), and rewrites of them
    // (`subject erase`); filled from the committed steps already recorded.
    "CREATE TABLE outputs (
        path TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        dataset TEXT NOT NULL,
        import_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        pending TEXT
     ) WITHOUT ROWID;
     CREATE INDEX outputs_tenant ON outputs (tenant);
     CREATE TABLE rewrites (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant TEXT NOT NULL,
        path TEXT NOT NULL,
        before TEXT NOT NULL,
        after TEXT NOT NULL,
        rows_removed INTEGER NOT NULL,
        cause TEXT NOT NULL,
        begun_at_ms INTEGER NOT NULL,
        ended_sha256 TEXT,
        ended_at_ms INTEGER
     );
     INSERT OR IGNORE INTO outputs (path, tenant, dataset, import_id, sha256)
        SELECT json_extract(s.entry, '$.output'), i.tenant, i.dataset, s.import_id,
               json_extract(s.entry, '$.audit.outputs[0].sha256')
        FROM steps s JOIN imports i ON i.id = s.import_id
        WHERE s.ev = 'committed' AND json_extract(s.entry, '$.audit.outputs[0].sha256') IS NOT NULL;",
];

/// The SQLite ledger.
#[derive(Debug)]
pub struct SqliteLedger {
    conn: Connection,
    /// Set after a failed fsync: every later write is refused with this message.
    poisoned: Option<String>,
}

/// Sorts a SQLite error: a failed fsync is a durability failure, a full disk or other I/O
/// failure a write that did not happen (SQLite rolled it back), a malformed file corruption.
fn classify(e: rusqlite::Error) -> LedgerError {
    const SQLITE_IOERR_FSYNC: i32 = 10 | (4 << 8);
    const SQLITE_IOERR_DIR_FSYNC: i32 = 10 | (5 << 8);
    match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            _ if f.extended_code == SQLITE_IOERR_FSYNC || f.extended_code == SQLITE_IOERR_DIR_FSYNC => {
                LedgerError::Durability(format!("fsync failed: {e}"))
            }
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => LedgerError::Corrupt(e.to_string()),
            _ => LedgerError::Write(e.to_string()),
        },
        _ => LedgerError::Write(e.to_string()),
    }
}

/// Why one attempt to open the ledger failed: busy (try again) or anything else.
enum Opening {
    Busy(rusqlite::Error),
    Failed(LedgerError),
}

impl From<rusqlite::Error> for Opening {
    fn from(e: rusqlite::Error) -> Opening {
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
            {
                Opening::Busy(e)
            }
            _ => Opening::Failed(classify(e)),
        }
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl SqliteLedger {
    /// Opens (or creates) `<state_dir>/ledger.sqlite`, migrates it, and imports a JSON Lines
    /// ledger of an earlier version if one is there. Two processes opening a new ledger at
    /// once (the daemon and a command beside it) can be told "busy" where SQLite does not
    /// wait by itself (the switch to WAL): opening is tried again for up to 10 s.
    pub fn open(state_dir: &Path) -> Result<SqliteLedger, LedgerError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match SqliteLedger::open_once(state_dir) {
                Ok(ledger) => return Ok(ledger),
                Err(Opening::Busy(_)) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                Err(Opening::Busy(e)) => return Err(classify(e)),
                Err(Opening::Failed(e)) => return Err(e),
            }
        }
    }

    fn open_once(state_dir: &Path) -> Result<SqliteLedger, Opening> {
        let conn = Connection::open(state_dir.join("ledger.sqlite")).map_err(Opening::from)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(Opening::from)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Opening::Failed(LedgerError::Write(format!(
                "the ledger could not use a WAL journal (got {mode})"
            ))));
        }
        conn.pragma_update(None, "synchronous", "FULL").map_err(Opening::from)?;
        let mut ledger = SqliteLedger { conn, poisoned: None };
        ledger.migrate()?;
        ledger.import_jsonl(state_dir).map_err(Opening::Failed)?;
        Ok(ledger)
    }

    /// One migration per transaction, each taking the write lock first and reading the
    /// version under it: a command opening the ledger while the daemon does (`verify`,
    /// `subject`) waits for the other's step instead of running the same one again.
    fn migrate(&mut self) -> Result<(), Opening> {
        let known = MIGRATIONS.len() as i64;
        loop {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(Opening::from)?;
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(Opening::from)?;
            if version > known {
                return Err(Opening::Failed(LedgerError::Corrupt(format!(
                    "schema version {version} was written by a newer importd (this one knows up to {known})"
                ))));
            }
            let Some(sql) = MIGRATIONS.get(usize::try_from(version).unwrap_or(usize::MAX)) else {
                return Ok(()); // up to date (the transaction ends unused)
            };
            tx.execute_batch(sql).map_err(Opening::from)?;
            tx.pragma_update(None, "user_version", version + 1).map_err(Opening::from)?;
            tx.commit().map_err(Opening::from)?;
        }
    }

    /// Moves the entries of `<state_dir>/ledger.jsonl` (importd before the SQLite ledger) in,
    /// in one transaction that also marks the import done, then renames the file aside.
    fn import_jsonl(&mut self, state_dir: &Path) -> Result<(), LedgerError> {
        let path = state_dir.join("ledger.jsonl");
        if !path.exists() {
            return Ok(());
        }
        let done: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'jsonl_imported'", [], |r| r.get(0))
            .optional()
            .map_err(classify)?;
        if done.is_none() {
            let entries = jsonl::read(&path)?;
            let tx = self.conn.transaction().map_err(classify)?;
            for entry in &entries {
                apply(&tx, entry)?;
            }
            tx.execute("INSERT INTO meta (key, value) VALUES ('jsonl_imported', ?1)", [entries.len().to_string()])
                .map_err(classify)?;
            tx.commit().map_err(classify)?;
            tracing::info!(entries = entries.len(), "the JSON Lines ledger of an earlier version was imported");
        }
        let aside = state_dir.join("ledger.jsonl.imported");
        let moved = std::fs::rename(&path, aside).and_then(|()| std::fs::File::open(state_dir)?.sync_all());
        moved.map_err(|e| LedgerError::Write(format!("ledger.jsonl could not be renamed aside ({})", e.kind())))
    }

    /// Refuses writes after a failed fsync.
    fn writable(&self) -> Result<(), LedgerError> {
        match &self.poisoned {
            Some(why) => Err(LedgerError::Durability(why.clone())),
            None => Ok(()),
        }
    }

    /// Remembers a failed fsync.
    fn note(&mut self, result: Result<(), LedgerError>) -> Result<(), LedgerError> {
        if let Err(LedgerError::Durability(why)) = &result {
            self.poisoned = Some(why.clone());
        }
        result
    }

    fn append_tx(&mut self, entry: &Entry) -> Result<(), LedgerError> {
        let tx = self.conn.transaction().map_err(classify)?;
        apply(&tx, entry)?;
        tx.commit().map_err(classify)
    }
}

/// One step inside a transaction.
fn apply(tx: &Transaction<'_>, entry: &Entry) -> Result<(), LedgerError> {
    let id = entry.id();
    let current = load(tx, id)?;
    let Some(next) = step(current.as_ref(), entry) else { return Ok(()) };
    let claimed_at = match entry {
        Entry::Claimed { at_ms, .. } => to_i64(*at_ms),
        _ => 0,
    };
    let state = serde_json::to_string(&next.phase).map_err(|e| LedgerError::Write(e.to_string()))?;
    let source = match &next.source {
        Some(s) => Some(serde_json::to_string(s).map_err(|e| LedgerError::Write(e.to_string()))?),
        None => None,
    };
    tx.execute(
        "INSERT INTO imports (id, tenant, dataset, file, claimed_at_ms, attempts, sha256, size, phase, state, finished,
            audit_offset, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, sha256 = excluded.sha256,
            size = excluded.size, phase = excluded.phase, state = excluded.state, finished = excluded.finished",
        params![
            id.as_str(),
            next.tenant,
            next.dataset,
            next.file,
            claimed_at,
            next.attempts,
            next.sha256,
            next.size.map(to_i64),
            next.phase.word(),
            state,
            next.phase.is_finished(),
            to_i64(next.audit_offset),
            source,
        ],
    )
    .map_err(classify)?;
    if let Entry::Committed { sha256, output, audit, .. } = entry {
        tx.execute(
            "INSERT OR IGNORE INTO committed (tenant, dataset, sha256, import_id) VALUES (?1, ?2, ?3, ?4)",
            params![next.tenant, next.dataset, sha256, id.as_str()],
        )
        .map_err(classify)?;
        if let Some(output_sha) = super::output_sha256(audit) {
            tx.execute(
                "INSERT OR IGNORE INTO outputs (path, tenant, dataset, import_id, sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![output, next.tenant, next.dataset, id.as_str(), output_sha],
            )
            .map_err(classify)?;
        }
    }
    let json = serde_json::to_string(entry).map_err(|e| LedgerError::Write(e.to_string()))?;
    tx.execute(
        "INSERT INTO steps (import_id, ev, entry) VALUES (?1, ?2, ?3)",
        params![id.as_str(), entry.word(), json],
    )
    .map_err(classify)?;
    Ok(())
}

const COLUMNS: &str = "tenant, dataset, file, attempts, sha256, size, state, audit_offset, source";

fn row_state(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<ImportState> {
    let state: String = r.get(at + 6)?;
    let phase: Phase = serde_json::from_str(&state)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(at + 6, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(ImportState {
        tenant: r.get(at)?,
        dataset: r.get(at + 1)?,
        file: r.get(at + 2)?,
        attempts: r.get(at + 3)?,
        sha256: r.get(at + 4)?,
        size: r.get::<_, Option<i64>>(at + 5)?.map(|n| u64::try_from(n).unwrap_or(0)),
        phase,
        audit_offset: u64::try_from(r.get::<_, i64>(at + 7)?).unwrap_or(0),
        source: match r.get::<_, Option<String>>(at + 8)? {
            Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(at + 8, rusqlite::types::Type::Text, Box::new(e))
            })?),
            None => None,
        },
    })
}

fn load(conn: &Connection, id: &ImportId) -> Result<Option<ImportState>, LedgerError> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM imports WHERE id = ?1"), [id.as_str()], |r| row_state(r, 0))
        .optional()
        .map_err(classify)
}

impl Ledger for SqliteLedger {
    fn append(&mut self, entry: &Entry) -> Result<(), LedgerError> {
        if let Some(why) = &self.poisoned {
            return Err(LedgerError::Durability(why.clone()));
        }
        #[cfg(all(feature = "failpoints", debug_assertions))]
        if let Some(what) = fail::eval("ledger.append", |arg| arg.unwrap_or_default()) {
            match what.as_str() {
                "abort" => std::process::abort(),
                "fsync" => {
                    let why = "injected fsync failure".to_string();
                    self.poisoned = Some(why.clone());
                    return Err(LedgerError::Durability(why));
                }
                _ => return Err(LedgerError::Write("injected write failure".into())),
            }
        }
        let result = self.append_tx(entry);
        if let Err(LedgerError::Durability(why)) = &result {
            self.poisoned = Some(why.clone());
        }
        result
    }

    fn get(&mut self, id: &ImportId) -> Result<Option<ImportState>, LedgerError> {
        load(&self.conn, id)
    }

    fn committed(&mut self, identity: &Identity) -> Result<Option<ImportId>, LedgerError> {
        let (tenant, dataset, sha256) = identity;
        self.conn
            .query_row(
                "SELECT import_id FROM committed WHERE tenant = ?1 AND dataset = ?2 AND sha256 = ?3",
                params![tenant, dataset, sha256],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map(|id| id.map(ImportId))
            .map_err(classify)
    }

    fn publishing(&mut self, identity: &Identity) -> Result<Option<ImportId>, LedgerError> {
        let (tenant, dataset, sha256) = identity;
        self.conn
            .query_row(
                "SELECT id FROM imports WHERE finished = 0 AND phase = 'publishing'
                   AND tenant = ?1 AND dataset = ?2 AND sha256 = ?3 LIMIT 1",
                params![tenant, dataset, sha256],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map(|id| id.map(ImportId))
            .map_err(classify)
    }

    fn unfinished(&mut self) -> Result<Vec<(ImportId, ImportState)>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT id, {COLUMNS} FROM imports WHERE finished = 0 ORDER BY id"))
            .map_err(classify)?;
        let rows = stmt
            .query_map([], |r| Ok((ImportId(r.get(0)?), row_state(r, 1)?)))
            .map_err(classify)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(classify)?;
        Ok(rows)
    }

    fn outputs(&mut self, tenant: &str) -> Result<Vec<StoredOutput>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT tenant, dataset, import_id, path, sha256, pending FROM outputs WHERE tenant = ?1 ORDER BY path",
            )
            .map_err(classify)?;
        let rows = stmt
            .query_map([tenant], |r| {
                Ok(StoredOutput {
                    tenant: r.get(0)?,
                    dataset: r.get(1)?,
                    import_id: ImportId(r.get(2)?),
                    path: r.get(3)?,
                    sha256: r.get(4)?,
                    pending: r.get(5)?,
                })
            })
            .map_err(classify)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(classify)?;
        Ok(rows)
    }

    fn begin_rewrite(&mut self, tenant: &str, rw: &Rewrite) -> Result<(), LedgerError> {
        self.writable()?;
        let tx = self.conn.transaction().map_err(classify)?;
        let now: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT sha256, pending FROM outputs WHERE tenant = ?1 AND path = ?2",
                params![tenant, rw.path],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(classify)?;
        match now {
            None => return Err(LedgerError::Write(format!("no committed output {} is recorded", rw.path))),
            Some((_, Some(_))) => return Err(LedgerError::Busy),
            Some((sha, None)) if sha != rw.before => {
                return Err(LedgerError::Write(format!("the output {} is recorded with another SHA-256", rw.path)))
            }
            Some(_) => {}
        }
        tx.execute(
            "UPDATE outputs SET pending = ?3 WHERE tenant = ?1 AND path = ?2",
            params![tenant, rw.path, rw.after],
        )
        .map_err(classify)?;
        tx.execute(
            "INSERT INTO rewrites (tenant, path, before, after, rows_removed, cause, begun_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![tenant, rw.path, rw.before, rw.after, to_i64(rw.rows_removed), rw.cause, to_i64(now_ms())],
        )
        .map_err(classify)?;
        let result = tx.commit().map_err(classify);
        self.note(result)
    }

    fn end_rewrite(&mut self, tenant: &str, path: &str, pending: &str, sha256: &str) -> Result<(), LedgerError> {
        self.writable()?;
        let tx = self.conn.transaction().map_err(classify)?;
        let n = tx
            .execute(
                "UPDATE outputs SET sha256 = ?3, pending = NULL WHERE tenant = ?1 AND path = ?2 AND pending = ?4",
                params![tenant, path, sha256, pending],
            )
            .map_err(classify)?;
        if n != 1 {
            // Dropped without commit: nothing changes.
            return Err(LedgerError::Write(not_pending(path)));
        }
        tx.execute(
            "UPDATE rewrites SET ended_sha256 = ?3, ended_at_ms = ?4
             WHERE tenant = ?1 AND path = ?2 AND ended_sha256 IS NULL",
            params![tenant, path, sha256, to_i64(now_ms())],
        )
        .map_err(classify)?;
        let result = tx.commit().map_err(classify);
        self.note(result)
    }

    fn forget_tenant(&mut self, tenant: &str) -> Result<u64, LedgerError> {
        self.writable()?;
        // Deleted rows are overwritten, the file is rebuilt (VACUUM: free space in pages
        // still holds earlier versions of updated rows) and the WAL emptied: nothing of the
        // tenant stays in the file.
        self.conn.pragma_update(None, "secure_delete", "ON").map_err(classify)?;
        let tx = self.conn.transaction().map_err(classify)?;
        let mut n = 0;
        for sql in [
            "DELETE FROM steps WHERE import_id IN (SELECT id FROM imports WHERE tenant = ?1)",
            "DELETE FROM imports WHERE tenant = ?1",
            "DELETE FROM committed WHERE tenant = ?1",
            "DELETE FROM outputs WHERE tenant = ?1",
            "DELETE FROM rewrites WHERE tenant = ?1",
        ] {
            n += tx.execute(sql, [tenant]).map_err(classify)? as u64;
        }
        let result = tx.commit().map_err(classify);
        self.note(result)?;
        self.conn.execute_batch("VACUUM").map_err(classify)?;
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(classify)?;
        Ok(n)
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests;
