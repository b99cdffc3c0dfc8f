//! The shared ledger: PostgreSQL (`ledger = "postgres://…"`), so several daemons on several
//! machines share one drop area. Each import row carries a lease: the daemon (`owner`, its
//! node name) that works on it, a fencing token from a sequence, and `lease_until`. A claim
//! inserts the row with a new lease (a second claim of the same drop object — tenant,
//! dataset, key, ETag — is refused by a unique index: [`LedgerError::Taken`]); every later
//! step locks the row and is recorded only if this daemon still holds it with the same token
//! ([`LedgerError::Fenced`] otherwise, nothing written), and `publishing`/`committed` only
//! while the lease has not run out. An import whose lease ran out (its daemon died or
//! stalled) is taken over by another daemon with a new token, so the old one can never
//! record another step of it. At most one import of the same content per dataset is
//! `publishing` at a time (a partial unique index: [`LedgerError::Busy`]).
//!
//! One connection per ledger, synchronous (the import threads call it like the SQLite
//! ledger). A lost connection is opened again on the next call: calls fail with
//! [`LedgerError::Write`] while the server is away and work again when it is back. Errors
//! name the server by host and database only, never the URL (it may hold a password), and
//! carry SQLSTATE codes rather than the server's messages (which may quote values).
//!
//! `schema.rs` holds the migrations, `audit.rs` the tenants' audit chains kept in the same
//! database under the same fencing rules.

mod append;
mod audit;
mod outputs;
mod own;
mod schema;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use postgres::config::Host;
use postgres::{Client, Config, NoTls};

use super::{step, Entry, Identity, ImportId, ImportState, Ledger, LedgerError, Rewrite, StoredOutput};
use schema::{row_state, COLUMNS};

/// The PostgreSQL ledger of one daemon.
pub struct PostgresLedger {
    config: Config,
    /// Host and database, for messages.
    place: String,
    /// `None` after the connection broke: the next call opens a new one.
    client: Option<Client>,
    node: String,
    lease: Duration,
    /// The leases this daemon holds: import → fencing token.
    held: HashMap<ImportId, i64>,
    /// The tenant whose subject lock (a session advisory lock) this process holds: taken
    /// again on a new connection, or the call fails.
    subject_lock: Option<String>,
}

impl fmt::Debug for PostgresLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresLedger")
            .field("place", &self.place)
            .field("node", &self.node)
            .field("connected", &self.client.is_some())
            .field("held", &self.held.len())
            .finish()
    }
}

/// Why an operation failed, before it is told as a [`LedgerError`]: a client error may mean
/// the connection is gone.
enum Failed {
    Pg(postgres::Error),
    Ledger(LedgerError),
}

impl From<postgres::Error> for Failed {
    fn from(e: postgres::Error) -> Failed {
        Failed::Pg(e)
    }
}

impl From<LedgerError> for Failed {
    fn from(e: LedgerError) -> Failed {
        Failed::Ledger(e)
    }
}

/// Whether the connection cannot be used after `e`: not a server's answer to a statement, or
/// an answer that ends the session (connection exceptions, server shutting down).
fn broken(e: &postgres::Error) -> bool {
    match e.as_db_error() {
        None => true,
        Some(db) => {
            let code = db.code().code();
            code.starts_with("08") || code.starts_with("57P") || code == "25P03"
        }
    }
}

/// A client error as one sentence: its kind, or the SQLSTATE code of the server's answer
/// (the server's message may quote values, so it is left out).
fn describe(place: &str, e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("PostgreSQL at {place} answered SQLSTATE {}", db.code().code()),
        None => match std::error::Error::source(e) {
            Some(io) if io.is::<std::io::Error>() => format!("PostgreSQL at {place}: {e} ({io})"),
            _ => format!("PostgreSQL at {place}: {e}"),
        },
    }
}

/// Whether `e` is a unique violation of the index `name`.
fn violates(e: &Failed, name: &str) -> bool {
    match e {
        Failed::Pg(e) => e.as_db_error().is_some_and(|db| db.code().code() == "23505" && db.constraint() == Some(name)),
        Failed::Ledger(_) => false,
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, Failed> {
    serde_json::to_string(value).map_err(|_| Failed::Ledger(LedgerError::Write("a step could not be encoded".into())))
}

impl PostgresLedger {
    /// Connects to the database at `url` (anything `postgres::Config` parses, e.g.
    /// `postgres://importd@db.internal/importd` or `postgres://importd@/importd?host=/run/postgresql`
    /// for a Unix socket; no TLS) as daemon `node`, with leases of length `lease`, and brings
    /// the schema up to date.
    pub fn connect(url: &str, node: &str, lease: Duration) -> Result<PostgresLedger, LedgerError> {
        let mut config = Config::from_str(url)
            .map_err(|_| LedgerError::Write("the ledger URL is not a PostgreSQL connection string".into()))?;
        config
            .connect_timeout(Duration::from_secs(5))
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3)
            .tcp_user_timeout(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("importd");
        }
        let place = place(&config);
        let mut ledger = PostgresLedger {
            config,
            place,
            client: None,
            node: node.to_string(),
            lease,
            held: HashMap::new(),
            subject_lock: None,
        };
        ledger.with(|_, client| schema::migrate(client))?;
        Ok(ledger)
    }

    /// Whether the database answers now.
    pub fn healthy(&mut self) -> bool {
        self.ping().is_ok()
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX)
    }

    /// Runs `op` on the connection, opening one first if there is none; a connection that
    /// broke is dropped, so the next call opens a new one.
    fn with<T>(&mut self, op: impl FnOnce(&mut Self, &mut Client) -> Result<T, Failed>) -> Result<T, LedgerError> {
        let mut client = match self.client.take() {
            Some(c) if !c.is_closed() => c,
            _ => match open(&self.config) {
                Ok(mut c) => {
                    // A session lock goes with the connection it was taken on.
                    if let Some(t) = &self.subject_lock {
                        if !matches!(outputs::try_subject_lock(&mut c, t), Ok(true)) {
                            return Err(LedgerError::Write(outputs::SUBJECT_LOST.into()));
                        }
                    }
                    c
                }
                Err(e) => return Err(LedgerError::Write(describe(&self.place, &e))),
            },
        };
        let result = op(self, &mut client);
        let keep = !client.is_closed() && !matches!(&result, Err(Failed::Pg(e)) if broken(e));
        if keep {
            self.client = Some(client);
        }
        result.map_err(|e| match e {
            Failed::Pg(e) => LedgerError::Write(describe(&self.place, &e)),
            Failed::Ledger(e) => e,
        })
    }

    /// Keeps the leases in `rows` (id, fencing token) as this daemon's; returns the ids.
    fn hold(&mut self, rows: &[postgres::Row]) -> Result<Vec<ImportId>, Failed> {
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            let id = ImportId(row.try_get(0)?);
            self.held.insert(id.clone(), row.try_get(1)?);
            ids.push(id);
        }
        Ok(ids)
    }

    /// The fencing token of an import this daemon holds.
    fn token(&self, id: &ImportId) -> Option<i64> {
        self.held.get(id).copied()
    }
}

/// Opens a connection with the session limits the ledger relies on: no statement waits for a
/// lock or runs for long, and no transaction is left open by a stalled daemon.
fn open(config: &Config) -> Result<Client, postgres::Error> {
    let mut client = config.connect(NoTls)?;
    client.batch_execute(
        "SET lock_timeout = '10s'; SET statement_timeout = '30s'; SET idle_in_transaction_session_timeout = '60s'",
    )?;
    Ok(client)
}

/// `host[,host…] (database d)`: where the ledger is, without user or password.
fn place(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let hosts = if hosts.is_empty() { "localhost".to_string() } else { hosts.join(",") };
    let db = config.get_dbname().or(config.get_user()).unwrap_or("postgres");
    format!("{hosts} (database {db})")
}

impl Ledger for PostgresLedger {
    fn outputs(&mut self, tenant: &str) -> Result<Vec<StoredOutput>, LedgerError> {
        self.with(|_, client| outputs::outputs(client, tenant))
    }

    fn begin_rewrite(&mut self, tenant: &str, rewrite: &Rewrite) -> Result<(), LedgerError> {
        self.with(|_, client| outputs::begin_rewrite(client, tenant, rewrite))
    }

    fn end_rewrite(&mut self, tenant: &str, path: &str, pending: &str, sha256: &str) -> Result<(), LedgerError> {
        self.with(|_, client| outputs::end_rewrite(client, tenant, path, pending, sha256))
    }

    fn lock_subject(&mut self, tenant: &str) -> Result<(), LedgerError> {
        if !self.with(|_, client| outputs::try_subject_lock(client, tenant))? {
            return Err(LedgerError::Write(outputs::SUBJECT_BUSY.into()));
        }
        self.subject_lock = Some(tenant.to_string());
        Ok(())
    }

    fn forget_tenant(&mut self, tenant: &str) -> Result<u64, LedgerError> {
        self.with(|_, client| outputs::forget_tenant(client, tenant))
    }

    fn append(&mut self, entry: &Entry) -> Result<(), LedgerError> {
        match entry {
            Entry::Claimed { .. } => {
                let Some(next) = step(None, entry) else { return Ok(()) };
                self.with(|me, client| me.claim(client, entry, &next))
            }
            _ => self.with(|me, client| me.advance(client, entry)),
        }
    }

    fn get(&mut self, id: &ImportId) -> Result<Option<ImportState>, LedgerError> {
        self.with(|_, client| {
            let row = client.query_opt(&format!("SELECT {COLUMNS} FROM imports WHERE id = $1"), &[&id.as_str()])?;
            row.map(|r| row_state(&r, 0)).transpose()
        })
    }

    fn committed(&mut self, identity: &Identity) -> Result<Option<ImportId>, LedgerError> {
        let (tenant, dataset, sha256) = identity;
        self.with(|_, client| {
            let row = client.query_opt(
                "SELECT import_id FROM committed WHERE tenant = $1 AND dataset = $2 AND sha256 = $3",
                &[tenant, dataset, sha256],
            )?;
            Ok(row.map(|r| r.try_get(0).map(ImportId)).transpose()?)
        })
    }

    fn publishing(&mut self, identity: &Identity) -> Result<Option<ImportId>, LedgerError> {
        let (tenant, dataset, sha256) = identity;
        self.with(|_, client| {
            let row = client.query_opt(
                "SELECT id FROM imports WHERE phase = 'publishing' AND NOT finished
                   AND tenant = $1 AND dataset = $2 AND sha256 = $3 LIMIT 1",
                &[tenant, dataset, sha256],
            )?;
            Ok(row.map(|r| r.try_get(0).map(ImportId)).transpose()?)
        })
    }

    fn unfinished(&mut self) -> Result<Vec<(ImportId, ImportState)>, LedgerError> {
        self.with(|me, client| {
            let rows = client.query(
                &format!(
                    "SELECT id, lease_token, {COLUMNS} FROM imports WHERE NOT finished AND owner = $1 ORDER BY id"
                ),
                &[&me.node],
            )?;
            let mut mine = Vec::new();
            for row in rows {
                let id = ImportId(row.try_get(0)?);
                if me.token(&id).is_some() && me.token(&id) == row.try_get(1)? {
                    mine.push((id, row_state(&row, 2)?));
                }
            }
            Ok(mine)
        })
    }

    fn in_progress(&mut self, tenant: &str) -> Result<Vec<(ImportId, String)>, LedgerError> {
        self.with(|_, client| outputs::in_progress(client, tenant))
    }

    fn shared(&self) -> bool {
        true
    }

    fn renew(&mut self) -> Result<Vec<ImportId>, LedgerError> {
        if self.held.is_empty() {
            return Ok(Vec::new());
        }
        self.with(|me, client| {
            let (ids, tokens): (Vec<String>, Vec<i64>) = me.held.iter().map(|(id, t)| (id.0.clone(), *t)).unzip();
            let rows = client.query(
                "UPDATE imports i SET lease_until = now() + $3::bigint * interval '1 millisecond'
                 FROM unnest($1::text[], $2::bigint[]) AS h(id, token)
                 WHERE i.id = h.id AND i.lease_token = h.token AND i.owner = $4 AND NOT i.finished
                 RETURNING i.id",
                &[&ids, &tokens, &me.lease_ms(), &me.node],
            )?;
            let kept = rows.iter().map(|r| r.try_get::<_, String>(0)).collect::<Result<Vec<_>, _>>()?;
            let mut lost: Vec<ImportId> = me.held.keys().filter(|id| !kept.contains(&id.0)).cloned().collect();
            lost.sort();
            for id in &lost {
                me.held.remove(id);
            }
            Ok(lost)
        })
    }

    fn take_over(&mut self, limit: usize) -> Result<Vec<ImportId>, LedgerError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let running: Vec<String> = self.held.keys().map(|id| id.0.clone()).collect();
        self.with(|me, client| {
            // One statement, so one transaction: lock the expired rows no other daemon is
            // taking right now, give each a new lease, and keep who had it in the history.
            let rows = client.query(
                "WITH expired AS (
                    SELECT id, owner FROM imports
                    WHERE NOT finished AND (lease_until IS NULL OR lease_until < now())
                        -- a file claimed from a local drop folder is only in its daemon's
                        -- processing/: only that node can resume it
                        AND (source_key IS NOT NULL OR owner = $2)
                        -- never one this daemon still runs (its lease ran short): that run
                        -- would inherit the new token
                        AND NOT (id = ANY($4::text[]))
                    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
                 ), taken AS (
                    UPDATE imports i SET owner = $2, lease_token = nextval('importd_lease_tokens'),
                        lease_until = now() + $3::bigint * interval '1 millisecond'
                    FROM expired e WHERE i.id = e.id
                    RETURNING i.id, i.lease_token, e.owner AS previous
                 ), history AS (
                    INSERT INTO steps (import_id, ev, entry, node)
                    SELECT id, 'taken_over', json_build_object('ev', 'taken_over', 'id', id, 'from', previous)::text, $2
                    FROM taken
                 )
                 SELECT id, lease_token FROM taken ORDER BY id",
                &[&i64::try_from(limit).unwrap_or(i64::MAX), &me.node, &me.lease_ms(), &running],
            )?;
            me.hold(&rows)
        })
    }

    fn release(&mut self, id: &ImportId) -> Result<(), LedgerError> {
        let Some(token) = self.held.remove(id) else { return Ok(()) };
        self.with(|me, client| {
            client.execute(
                "UPDATE imports SET lease_until = now() - interval '1 millisecond'
                 WHERE id = $1 AND owner = $2 AND lease_token = $3 AND NOT finished",
                &[&id.as_str(), &me.node, &token],
            )?;
            Ok(())
        })
    }

    fn holds(&mut self, id: &ImportId, margin: Duration) -> Result<bool, LedgerError> {
        let Some(token) = self.token(id) else { return Ok(false) };
        let margin_ms = i64::try_from(margin.as_millis()).unwrap_or(i64::MAX);
        self.with(|me, client| {
            let row = client.query_opt(
                "SELECT owner = $2 AND lease_token = $3
                    AND lease_until - now() > $4::bigint * interval '1 millisecond'
                 FROM imports WHERE id = $1",
                &[&id.as_str(), &me.node, &token, &margin_ms],
            )?;
            Ok(row.map(|r| r.try_get::<_, Option<bool>>(0)).transpose()?.flatten() == Some(true))
        })
    }

    fn ping(&mut self) -> Result<(), LedgerError> {
        self.with(|_, client| Ok(client.batch_execute("SELECT 1")?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_place_names_host_and_database_never_the_password() -> Result<(), Box<dyn std::error::Error>> {
        let c = Config::from_str("postgres://importd:s3cret@db.internal:5433/ledger")?;
        assert_eq!(place(&c), "db.internal (database ledger)");
        let c = Config::from_str("postgres://importd@/ledger?host=/tmp/sock")?;
        assert_eq!(place(&c), "/tmp/sock (database ledger)");
        Ok(())
    }

    #[test]
    fn a_bad_url_is_not_echoed() {
        let e = PostgresLedger::connect("postgres://u:s3cret@host:notaport/db", "n", Duration::from_secs(1));
        let Err(e) = e else { panic!("a bad URL connected") };
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }

    #[test]
    fn a_server_that_is_not_there_is_a_failed_write_naming_host_and_database() {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        let e = PostgresLedger::connect("postgres://u:s3cret@127.0.0.1:1/db", "n", Duration::from_secs(1));
        let Err(LedgerError::Write(m)) = e else { panic!("expected a failed write") };
        assert!(m.contains("127.0.0.1 (database db)") && !m.contains("s3cret"), "{m}");
    }
}
