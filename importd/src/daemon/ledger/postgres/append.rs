//! The write path of the shared ledger: a claim inserts the import's row with a new lease
//! (or finds the drop object [`LedgerError::Taken`]); every later step locks the row and is
//! recorded only while this daemon holds the lease with the same fencing token, all of it in
//! one transaction with its history row, or nothing of it.

use postgres::Client;

use super::schema::{row_state, COLUMNS};
use super::{json, to_i64, violates, Failed, PostgresLedger};
use crate::daemon::ledger::{step, Entry, ImportId, ImportState, LedgerError};

impl PostgresLedger {
    /// The claim: the row, with this daemon's lease and a new fencing token, held from now on.
    pub(super) fn claim(&mut self, client: &mut Client, entry: &Entry, next: &ImportState) -> Result<(), Failed> {
        let Entry::Claimed { id, at_ms, .. } = entry else { return Ok(()) };
        let source = next.source.as_ref().map(json).transpose()?;
        let (key, etag) = next.source.as_ref().map(|s| (s.key.as_str(), s.etag.as_str())).unzip();
        let mut tx = client.transaction()?;
        let row = tx.query_opt(
            "INSERT INTO imports (id, tenant, dataset, file, claimed_at_ms, attempts, phase, state, finished,
                audit_offset, source, source_key, source_etag, owner, lease_token, lease_until)
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7, false, $8, $9, $10, $11, $12,
                nextval('importd_lease_tokens'), now() + $13::bigint * interval '1 millisecond')
             ON CONFLICT (id) DO NOTHING
             RETURNING lease_token",
            &[
                &id.as_str(),
                &next.tenant,
                &next.dataset,
                &next.file,
                &to_i64(*at_ms),
                &next.phase.word(),
                &json(&next.phase)?,
                &to_i64(next.audit_offset),
                &source,
                &key,
                &etag,
                &self.node,
                &self.lease_ms(),
            ],
        );
        let row = match row.map_err(Failed::from) {
            Err(e) if violates(&e, "imports_source") => return Err(Failed::Ledger(LedgerError::Taken)),
            other => other?,
        };
        // An id is claimed once: a second claim of it records nothing.
        let Some(row) = row else { return Ok(()) };
        let token: i64 = row.try_get(0)?;
        history(&mut tx, id, entry, &self.node)?;
        tx.commit()?;
        self.held.insert(id.clone(), token);
        Ok(())
    }

    /// Every step after the claim, under the row lock, if this daemon still holds the lease.
    pub(super) fn advance(&mut self, client: &mut Client, entry: &Entry) -> Result<(), Failed> {
        let id = entry.id();
        let mut tx = client.transaction()?;
        let row = tx.query_opt(
            &format!("SELECT {COLUMNS}, owner, lease_token, lease_until > now() FROM imports WHERE id = $1 FOR UPDATE"),
            &[&id.as_str()],
        )?;
        let Some(row) = row else { return Err(Failed::Ledger(LedgerError::Fenced)) };
        let owner: Option<String> = row.try_get(9)?;
        let token: Option<i64> = row.try_get(10)?;
        let alive: Option<bool> = row.try_get(11)?;
        let ours = self.token(id).is_some_and(|t| token == Some(t)) && owner.as_deref() == Some(self.node.as_str());
        if !ours {
            self.held.remove(id);
            return Err(Failed::Ledger(LedgerError::Fenced));
        }
        if matches!(entry, Entry::Publishing { .. } | Entry::Committed { .. }) && alive != Some(true) {
            return Err(Failed::Ledger(LedgerError::Fenced));
        }
        let current = row_state(&row, 0)?;
        let Some(next) = step(Some(&current), entry) else { return Ok(()) };
        let finished = next.phase.is_finished();
        let updated = tx.execute(
            "UPDATE imports SET attempts = $2, sha256 = $3, size = $4, phase = $5, state = $6, finished = $7,
                owner = CASE WHEN $7 THEN NULL ELSE owner END,
                lease_token = CASE WHEN $7 THEN NULL ELSE lease_token END,
                lease_until = CASE WHEN $7 THEN NULL ELSE lease_until END
             WHERE id = $1",
            &[
                &id.as_str(),
                &i32::try_from(next.attempts).unwrap_or(i32::MAX),
                &next.sha256,
                &next.size.map(to_i64),
                &next.phase.word(),
                &json(&next.phase)?,
                &finished,
            ],
        );
        match updated.map_err(Failed::from) {
            Err(e) if violates(&e, "imports_publishing") => return Err(Failed::Ledger(LedgerError::Busy)),
            other => other?,
        };
        if let Entry::Publishing { reimport: false, .. } = entry {
            // Another daemon may have committed the same content since this one looked.
            let twin = tx.query_opt(
                "SELECT 1 FROM committed WHERE tenant = $1 AND dataset = $2 AND sha256 = $3 AND import_id <> $4",
                &[&next.tenant, &next.dataset, &next.sha256, &id.as_str()],
            )?;
            if twin.is_some() {
                return Err(Failed::Ledger(LedgerError::Busy));
            }
        }
        if let Entry::Committed { sha256, output, audit, .. } = entry {
            tx.execute(
                "INSERT INTO committed (tenant, dataset, sha256, import_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                &[&next.tenant, &next.dataset, sha256, &id.as_str()],
            )?;
            if let Some(output_sha) = crate::daemon::ledger::output_sha256(audit) {
                tx.execute(
                    "INSERT INTO outputs (path, tenant, dataset, import_id, sha256) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT DO NOTHING",
                    &[output, &next.tenant, &next.dataset, &id.as_str(), &output_sha],
                )?;
            }
        }
        history(&mut tx, id, entry, &self.node)?;
        tx.commit()?;
        if finished {
            self.held.remove(id);
        }
        Ok(())
    }
}

/// Keeps the step in the history, naming the daemon that recorded it.
fn history(tx: &mut postgres::Transaction<'_>, id: &ImportId, entry: &Entry, node: &str) -> Result<(), Failed> {
    tx.execute(
        "INSERT INTO steps (import_id, ev, entry, node) VALUES ($1, $2, $3, $4)",
        &[&id.as_str(), &entry.word(), &json(entry)?, &node],
    )?;
    Ok(())
}
