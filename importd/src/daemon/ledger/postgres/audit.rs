//! The tenants' audit chains in the shared ledger: the same records as a log file (built by
//! [`audit::seal`], checked by [`audit::verify_lines`]), one row each in `audit_records`,
//! and the chain's head (last sequence number and MAC) in `audit_heads`. An append locks the
//! tenant's head row, so the appends of every daemon to one tenant's chain take turns and
//! the chain stays one line.
//!
//! A record about an import (`import_id` in its body) whose lease is held by a daemon is
//! written only by that daemon with its current fencing token, checked in the same
//! transaction: a daemon that lost the lease cannot add records to the import's history.

use serde_json::{Map, Value};

use super::{Failed, PostgresLedger};
use crate::daemon::audit;
use crate::daemon::ledger::{ImportId, LedgerError};

impl PostgresLedger {
    /// Appends one record to `tenant`'s chain, keyed with the tenant's audit key: `seq`, `at`
    /// and `event`, then the fields of `body`, sealed onto the chain's head.
    pub fn audit_append(
        &mut self,
        tenant: &str,
        key: &audit::AuditKey,
        event: &str,
        body: Map<String, Value>,
    ) -> Result<(), LedgerError> {
        let import_id = body.get("import_id").and_then(Value::as_str).map(|s| ImportId(s.to_string()));
        self.append_record(tenant, key, event, body, import_id)
    }

    /// Appends a record written by a command beside the daemons (`subject erase`): it may
    /// name an import (`import_id` in its body) long finished, so no lease is checked and the
    /// row is not indexed as that import's (several erasures may touch one import's output).
    pub fn audit_append_beside(
        &mut self,
        tenant: &str,
        key: &audit::AuditKey,
        event: &str,
        body: Map<String, Value>,
    ) -> Result<(), LedgerError> {
        self.append_record(tenant, key, event, body, None)
    }

    fn append_record(
        &mut self,
        tenant: &str,
        key: &audit::AuditKey,
        event: &str,
        body: Map<String, Value>,
        import_id: Option<ImportId>,
    ) -> Result<(), LedgerError> {
        self.with(|me, client| {
            let mut tx = client.transaction()?;
            if let Some(id) = &import_id {
                // FOR SHARE: a takeover cannot slip in between this check and the commit.
                let row =
                    tx.query_opt("SELECT owner, lease_token FROM imports WHERE id = $1 FOR SHARE", &[&id.as_str()])?;
                if let Some(row) = row {
                    let owner: Option<String> = row.try_get(0)?;
                    let token: Option<i64> = row.try_get(1)?;
                    let ours = owner.as_deref() == Some(me.node.as_str()) && token.is_some() && me.token(id) == token;
                    // A finished import (no owner) gets no more records: they were written
                    // before its `done` by whoever finished it.
                    if !ours {
                        me.held.remove(id);
                        return Err(Failed::Ledger(LedgerError::Fenced));
                    }
                }
            }
            tx.execute(
                "INSERT INTO audit_heads (tenant, seq, mac) VALUES ($1, 0, $2) ON CONFLICT (tenant) DO NOTHING",
                &[&tenant, &vec![0u8; 32]],
            )?;
            let head = tx.query_one("SELECT seq, mac FROM audit_heads WHERE tenant = $1 FOR UPDATE", &[&tenant])?;
            let seq: i64 = head.try_get(0)?;
            let mac: Vec<u8> = head.try_get(1)?;
            let (Ok(seq), Ok(prev)) = (u64::try_from(seq), <[u8; 32]>::try_from(mac.as_slice())) else {
                return Err(Failed::Ledger(LedgerError::Corrupt(format!(
                    "the audit chain head of tenant {tenant} is damaged"
                ))));
            };
            let (line, mac) = audit::seal(key, &prev, seq + 1, event, body);
            let next = i64::try_from(seq + 1).unwrap_or(i64::MAX);
            tx.execute(
                "INSERT INTO audit_records (tenant, seq, import_id, event, line) VALUES ($1, $2, $3, $4, $5)",
                &[&tenant, &next, &import_id.as_ref().map(ImportId::as_str), &event, &line],
            )?;
            tx.execute(
                "UPDATE audit_heads SET seq = $2, mac = $3 WHERE tenant = $1",
                &[&tenant, &next, &mac.as_slice()],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// How many records `tenant`'s chain holds.
    pub fn audit_len(&mut self, tenant: &str) -> Result<u64, LedgerError> {
        self.with(|_, client| {
            let row = client.query_opt("SELECT seq FROM audit_heads WHERE tenant = $1", &[&tenant])?;
            let seq: i64 = match row {
                Some(row) => row.try_get(0)?,
                None => 0,
            };
            Ok(u64::try_from(seq).unwrap_or(0))
        })
    }

    /// Whether `tenant`'s chain holds a record of `event` for `import_id`.
    pub fn audit_has(&mut self, tenant: &str, import_id: &str, event: &str) -> Result<bool, LedgerError> {
        self.with(|_, client| {
            let row = client.query_one(
                "SELECT EXISTS (SELECT 1 FROM audit_records WHERE tenant = $1 AND import_id = $2 AND event = $3)",
                &[&tenant, &import_id, &event],
            )?;
            Ok(row.try_get(0)?)
        })
    }

    /// Every record of `tenant`'s chain, first to last, as the lines of a log file (without
    /// line feeds): what [`audit::verify_lines`] checks.
    pub fn audit_lines(&mut self, tenant: &str) -> Result<Vec<Vec<u8>>, LedgerError> {
        self.with(|_, client| {
            let rows = client.query("SELECT line FROM audit_records WHERE tenant = $1 ORDER BY seq", &[&tenant])?;
            let lines = rows.iter().map(|r| r.try_get::<_, String>(0).map(String::into_bytes));
            Ok(lines.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
