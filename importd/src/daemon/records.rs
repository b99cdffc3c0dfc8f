//! The ledger and the audit chains for commands that run beside the daemon (`verify`,
//! `subject`, `keys rotate`, `tenant offboard`): the embedded SQLite ledger (WAL, so a running
//! daemon and a command share it) or the shared PostgreSQL one, and a tenant's audit chain,
//! which such a command extends under the ring's active key (the log file's `flock` keeps a
//! running daemon's appends and the command's in one chain).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};

use serde_json::{Map, Value};

use crate::daemon::audit::{AuditKey, AuditLog};
use crate::daemon::config::{Settings, Tenant};
use crate::daemon::ledger::{Ledger, PostgresLedger, SqliteLedger};
use crate::daemon::places::LedgerKind;
use crate::exit::Failure;

/// The ledger, opened for a command.
#[derive(Debug)]
pub struct Records<'a> {
    settings: &'a Settings,
    ledger: Opened,
}

#[derive(Debug)]
enum Opened {
    Embedded(SqliteLedger),
    Shared(Box<PostgresLedger>),
}

impl<'a> Records<'a> {
    /// Opens the configured ledger; `purpose` names the command in a shared ledger's history.
    pub fn open(settings: &'a Settings, purpose: &str) -> Result<Records<'a>, Failure> {
        let ledger = match &settings.ledger {
            LedgerKind::Sqlite => {
                let state = &settings.state_dir;
                std::fs::create_dir_all(state).map_err(|e| {
                    Failure::runtime(format!("error: {}: cannot create it ({})", state.display(), e.kind()))
                })?;
                Opened::Embedded(
                    SqliteLedger::open(state)
                        .map_err(|e| Failure::runtime(format!("error: {}/ledger.sqlite: {e}", state.display())))?,
                )
            }
            LedgerKind::Postgres(url) => {
                let node = format!("{}:{purpose}", settings.cluster.node);
                Opened::Shared(Box::new(
                    PostgresLedger::connect(url, &node, settings.cluster.lease)
                        .map_err(|e| Failure::runtime(format!("error: the PostgreSQL ledger: {e}")))?,
                ))
            }
        };
        Ok(Records { settings, ledger })
    }

    pub fn ledger(&mut self) -> &mut dyn Ledger {
        match &mut self.ledger {
            Opened::Embedded(l) => l,
            Opened::Shared(l) => l.as_mut(),
        }
    }

    /// Appends one record to the tenant's audit chain under its active key; durable when
    /// this returns. Records hold names, counts and hashes, never values.
    pub fn audit(&mut self, tenant: &Tenant, event: &str, body: Map<String, Value>) -> Result<(), Failure> {
        let key = AuditKey::of(&tenant.keys());
        match &mut self.ledger {
            Opened::Embedded(_) => {
                let path = self.settings.audit_path(&tenant.id);
                let fail = |e: std::io::Error| {
                    Failure::runtime(format!(
                        "error: {}: the audit log could not be written ({})",
                        path.display(),
                        e.kind()
                    ))
                };
                let mut log = AuditLog::open(&path, key, &HashSet::new(), u64::MAX).map_err(fail)?;
                log.append(event, body).map_err(|(e, _)| fail(e))
            }
            Opened::Shared(pg) => pg
                .audit_append_beside(tenant.id.as_str(), &key, event, body)
                .map_err(|e| Failure::runtime(format!("error: the ledger's audit chain of tenant {}: {e}", tenant.id))),
        }
    }

    /// The tenant's audit chain, one record per line, first to last (empty if there is none).
    pub fn audit_lines(&mut self, tenant: &Tenant) -> Result<Vec<Vec<u8>>, Failure> {
        match &mut self.ledger {
            Opened::Embedded(_) => {
                let path = self.settings.audit_path(&tenant.id);
                let fail = |e: std::io::Error| {
                    Failure::runtime(format!("error: {}: cannot read the audit log ({})", path.display(), e.kind()))
                };
                let file = match std::fs::File::open(&path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(fail(e)),
                };
                BufReader::new(file).split(b'\n').collect::<std::io::Result<Vec<_>>>().map_err(fail)
            }
            Opened::Shared(pg) => pg
                .audit_lines(tenant.id.as_str())
                .map_err(|e| Failure::runtime(format!("error: the ledger's audit chain of tenant {}: {e}", tenant.id))),
        }
    }
}
