//! A restarted daemon's own imports: the state lock on its `state_dir` proves that the
//! process which held them (same `node`) is gone, so they are taken back at once with new
//! fencing tokens instead of waiting for their leases to run out.

use super::PostgresLedger;
use crate::daemon::ledger::{ImportId, LedgerError};

impl PostgresLedger {
    /// Takes every unfinished import owned by this node under new fencing tokens and
    /// returns them, oldest first.
    pub fn resume_own(&mut self) -> Result<Vec<ImportId>, LedgerError> {
        self.with(|me, client| {
            let rows = client.query(
                "WITH mine AS (
                    UPDATE imports SET lease_token = nextval('importd_lease_tokens'),
                        lease_until = now() + $2::bigint * interval '1 millisecond'
                    WHERE owner = $1 AND NOT finished
                    RETURNING id, lease_token, claimed_at_ms
                 ), history AS (
                    INSERT INTO steps (import_id, ev, entry, node)
                    SELECT id, 'resumed', json_build_object('ev', 'resumed', 'id', id)::text, $1 FROM mine
                 )
                 SELECT id, lease_token FROM mine ORDER BY claimed_at_ms, id",
                &[&me.node, &me.lease_ms()],
            )?;
            me.hold(&rows)
        })
    }
}
