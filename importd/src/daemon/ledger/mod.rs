//! The durable record of every import, behind the [`Ledger`] trait: embedded SQLite by
//! default (`sqlite.rs`: WAL, `synchronous = FULL`, one transaction per step); PostgreSQL
//! for many daemons sharing one ledger (`postgres/`: row leases with fencing tokens). `jsonl.rs` reads the JSON Lines
//! ledger of earlier versions once, for the one-time import.
//!
//! The life of an import is the state machine in [`step`] (ARCHITECTURE.md draws it with
//! every crash point):
//! `claimed` → (`started` → [`publishing`] → `rolled_back`)* → `started` → `publishing` →
//! `committed` | `quarantined` | `duplicate` → `done`, or `claimed` → `abandoned` when the
//! file vanished before the claim's rename. The rename that publishes an output is the
//! commit point: it happens between `publishing` and `committed`.
//!
//! A failed write leaves nothing of the step behind and is reported as
//! [`LedgerError::Write`] (the import is retried); a failed fsync is
//! [`LedgerError::Durability`], after which the ledger refuses every write and the daemon
//! stops: nothing may be trusted to be durable any more.

pub mod jsonl;
pub mod postgres;
pub mod sqlite;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use self::postgres::PostgresLedger;
pub use crate::daemon::import_id::ImportId;
use crate::daemon::outcome::Reason;
pub use sqlite::SqliteLedger;

/// One ledger line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum Entry {
    Claimed {
        id: ImportId,
        tenant: String,
        dataset: String,
        file: String,
        at_ms: u64,
        /// The tenant's audit log length at the claim: this import's records come after it
        /// (0 in ledgers of earlier versions: the whole log is searched).
        #[serde(default)]
        audit_offset: u64,
        /// An object-store drop file: its key and the version claimed (ETag). A shared
        /// ledger claims each (tenant, dataset, key, ETag) once across daemons.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<Source>,
    },
    Abandoned {
        id: ImportId,
    },
    Started {
        id: ImportId,
        sha256: String,
        size: u64,
        output: String,
    },
    /// Before the publish rename (the commit point): everything recovery needs to record
    /// the commit of an output it finds published.
    Publishing {
        id: ImportId,
        output: String,
        output_sha256: String,
        audit: serde_json::Value,
        /// The dataset imports content again (`on_duplicate = "import"`): a committed twin
        /// does not stop this one. Otherwise a shared ledger refuses (`Busy`) to publish
        /// content another daemon committed meanwhile, and the import becomes a duplicate.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reimport: bool,
    },
    RolledBack {
        id: ImportId,
        cause: String,
        /// Rolled back for a shutdown: not a failed attempt.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        cancelled: bool,
    },
    /// `audit` is the body of the tenant's `committed` audit record, kept so recovery can write it.
    Committed {
        id: ImportId,
        sha256: String,
        output: String,
        audit: serde_json::Value,
    },
    Duplicate {
        id: ImportId,
        sha256: String,
        of: ImportId,
    },
    Quarantined {
        id: ImportId,
        reason: Reason,
    },
    Done {
        id: ImportId,
    },
}

impl Entry {
    /// The entry's tag (`ev` in its JSON): the word the ledger's history keeps.
    pub fn word(&self) -> &'static str {
        match self {
            Entry::Claimed { .. } => "claimed",
            Entry::Abandoned { .. } => "abandoned",
            Entry::Started { .. } => "started",
            Entry::Publishing { .. } => "publishing",
            Entry::RolledBack { .. } => "rolled_back",
            Entry::Committed { .. } => "committed",
            Entry::Duplicate { .. } => "duplicate",
            Entry::Quarantined { .. } => "quarantined",
            Entry::Done { .. } => "done",
        }
    }

    pub fn id(&self) -> &ImportId {
        match self {
            Entry::Claimed { id, .. }
            | Entry::Abandoned { id }
            | Entry::Started { id, .. }
            | Entry::Publishing { id, .. }
            | Entry::RolledBack { id, .. }
            | Entry::Committed { id, .. }
            | Entry::Duplicate { id, .. }
            | Entry::Quarantined { id, .. }
            | Entry::Done { id } => id,
        }
    }
}

/// The object a drop file was read from (object-store drop folders): the key relative to
/// the drop prefix (`<tenant>/<dataset>/<name>`), pinned to the version claimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub key: String,
    pub etag: String,
    pub size: u64,
}

/// Where an import stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    Claimed,
    Started { output: String },
    Publishing { output: String, output_sha256: String, audit: serde_json::Value },
    RolledBack { cause: String },
    Committed { audit: serde_json::Value },
    Duplicate { of: ImportId },
    Quarantined { reason: Reason },
    Done,
    Abandoned,
}

/// What the ledger knows about one import.
#[derive(Debug, Clone)]
pub struct ImportState {
    pub tenant: String,
    pub dataset: String,
    /// The drop file's name, escaped for display.
    pub file: String,
    /// How many times processing started.
    pub attempts: u32,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub phase: Phase,
    /// The tenant's audit log length when the import was claimed.
    pub audit_offset: u64,
    /// The drop object it was claimed from (object-store drop folders only).
    pub source: Option<Source>,
}

/// One committed output, as storage should hold it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOutput {
    pub tenant: String,
    pub dataset: String,
    pub import_id: ImportId,
    /// Relative to the storage root: `<tenant>/<dataset>/date=<day>/<import id>.parquet`.
    pub path: String,
    /// The SHA-256 of the bytes it holds: the committed output's, or the last finished
    /// rewrite's (an erasure).
    pub sha256: String,
    /// A rewrite was begun and not ended: the SHA-256 the output holds once it is replaced.
    /// Until the rewrite is ended, storage may hold either.
    pub pending: Option<String>,
}

/// A committed output replaced by a new version of itself (`subject erase`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewrite {
    pub path: String,
    pub before: String,
    pub after: String,
    pub rows_removed: u64,
    /// Why (`subject_erase`): a word, never a value.
    pub cause: String,
}

/// (tenant, dataset, SHA-256 of the content): what makes two files the same import.
pub type Identity = (String, String, String);

/// The durable record of imports.
pub trait Ledger: Send + fmt::Debug {
    /// Records one step durably, all of it or nothing of it.
    fn append(&mut self, entry: &Entry) -> Result<(), LedgerError>;

    /// What the ledger knows about one import.
    fn get(&mut self, id: &ImportId) -> Result<Option<ImportState>, LedgerError>;

    /// The import that committed this content for this dataset, if any.
    fn committed(&mut self, identity: &Identity) -> Result<Option<ImportId>, LedgerError>;

    /// An unfinished import of this content for this dataset whose output may already be
    /// published (`publishing`): until it is settled, a twin must wait, not import again.
    fn publishing(&mut self, identity: &Identity) -> Result<Option<ImportId>, LedgerError>;

    /// Every import that is not finished, oldest first. A shared ledger returns only the
    /// imports this daemon holds the lease of.
    fn unfinished(&mut self) -> Result<Vec<(ImportId, ImportState)>, LedgerError>;

    /// The tenant's imports that are not finished, by any daemon sharing the ledger: (id,
    /// dataset). A subject command checks them: an import still running may publish the
    /// subject's rows after it searched.
    fn in_progress(&mut self, tenant: &str) -> Result<Vec<(ImportId, String)>, LedgerError> {
        Ok(self
            .unfinished()?
            .into_iter()
            .filter(|(_, st)| st.tenant == tenant)
            .map(|(id, st)| (id, st.dataset))
            .collect())
    }

    // After the import: what storage should hold (`verify`), rewrites of committed outputs
    // (`subject erase`), and forgetting a tenant (`tenant offboard`).

    /// Every committed output of the tenant, by path.
    fn outputs(&mut self, tenant: &str) -> Result<Vec<StoredOutput>, LedgerError>;

    /// Records that the output at `rewrite.path` is about to be replaced: it must hold
    /// `rewrite.before` now and no other rewrite may be pending on it (`Busy`). From here
    /// until [`Ledger::end_rewrite`], storage may hold either version.
    fn begin_rewrite(&mut self, tenant: &str, rewrite: &Rewrite) -> Result<(), LedgerError>;

    /// Ends the pending rewrite of `path` whose `after` is `pending`: the output holds
    /// `sha256` now (the rewrite's `after` when the new file was published, its `before`
    /// when it was not). Conditional: when the output's pending rewrite is not `pending`
    /// (another process ended it, or began another), nothing changes and the call fails
    /// with [`LedgerError::Write`] saying so; it never overwrites another's outcome.
    fn end_rewrite(&mut self, tenant: &str, path: &str, pending: &str, sha256: &str) -> Result<(), LedgerError>;

    /// Takes the tenant's lock for a subject command (find, export, erase), held until this
    /// ledger is dropped. A ledger shared by several nodes takes it in the ledger itself (a
    /// second node's command is refused); the embedded ledger belongs to one state folder,
    /// whose local lock the command takes anyway.
    fn lock_subject(&mut self, _tenant: &str) -> Result<(), LedgerError> {
        Ok(())
    }

    /// Deletes every record of the tenant (imports, steps, outputs, rewrites, and the audit
    /// chain of a shared ledger); returns how many rows went. Offboarding only.
    fn forget_tenant(&mut self, tenant: &str) -> Result<u64, LedgerError>;

    // Leases: only a ledger shared by several daemons has them. The embedded ledger is
    // owned by one daemon (the state lock), so every import is always its own.

    /// Whether several daemons share this ledger (leases, takeovers, fencing apply).
    fn shared(&self) -> bool {
        false
    }

    /// Renews the lease of every import this daemon holds; returns those it lost (another
    /// daemon took them over after the lease ran out: they must stop without recording more).
    fn renew(&mut self) -> Result<Vec<ImportId>, LedgerError> {
        Ok(Vec::new())
    }

    /// Takes over up to `limit` unfinished imports whose lease ran out (their daemon died or
    /// stalled), each with a new fencing token; returns them, oldest first.
    fn take_over(&mut self, _limit: usize) -> Result<Vec<ImportId>, LedgerError> {
        Ok(Vec::new())
    }

    /// Gives up this daemon's lease on an import it stopped working on (its lease ran short):
    /// any daemon, this one included, may take it over at once.
    fn release(&mut self, _id: &ImportId) -> Result<(), LedgerError> {
        Ok(())
    }

    /// Whether this daemon still holds the import's lease with at least `margin` left:
    /// asked right before a step that cannot be undone (publishing an object).
    fn holds(&mut self, _id: &ImportId, _margin: std::time::Duration) -> Result<bool, LedgerError> {
        Ok(true)
    }

    /// Whether the ledger answers now (`/readyz`).
    fn ping(&mut self) -> Result<(), LedgerError> {
        Ok(())
    }
}

/// Why the ledger could not do what was asked.
#[derive(Debug)]
pub enum LedgerError {
    /// The step was not recorded (disk full, I/O error); nothing of it remains. Retry later.
    Write(String),
    /// An fsync failed: whether earlier steps are durable is unknown. The ledger refuses
    /// every further write; the daemon stops.
    Durability(String),
    /// The ledger cannot be read as a ledger (damaged, or from a newer importd).
    Corrupt(String),
    /// Shared ledger: this daemon no longer holds the import's lease (its fencing token is
    /// stale); the step was not recorded and the import belongs to another daemon now.
    Fenced,
    /// Shared ledger: the drop object (this key and ETag) was already claimed by a daemon.
    Taken,
    /// Shared ledger: another import of the same content for the same dataset is publishing
    /// right now; try again after it settled.
    Busy,
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::Write(m) => write!(f, "the ledger could not be written ({m})"),
            LedgerError::Durability(m) => write!(f, "the ledger could not be made durable ({m})"),
            LedgerError::Corrupt(m) => write!(f, "the ledger is damaged ({m})"),
            LedgerError::Fenced => write!(f, "this daemon lost the import's lease to another daemon"),
            LedgerError::Taken => write!(f, "another daemon claimed the file first"),
            LedgerError::Busy => write!(f, "another import of the same content is publishing"),
        }
    }
}

impl std::error::Error for LedgerError {}

/// The message of an `end_rewrite` whose rewrite is no longer the one pending.
pub fn not_pending(path: &str) -> String {
    format!("the rewrite of {path} is no longer the one pending (another process ended it or began another); nothing was changed")
}

/// The SHA-256 of the (first) output named in a `committed` audit body.
pub fn output_sha256(audit: &serde_json::Value) -> Option<&str> {
    audit.get("outputs")?.get(0)?.get("sha256")?.as_str()
}

/// The state machine: the state `entry` leads `current` to, or `None` when the entry does
/// not apply (a step for an import the ledger does not know).
pub fn step(current: Option<&ImportState>, entry: &Entry) -> Option<ImportState> {
    if let Entry::Claimed { tenant, dataset, file, audit_offset, source, .. } = entry {
        if current.is_some() {
            return None; // an id is claimed once
        }
        return Some(ImportState {
            tenant: tenant.clone(),
            dataset: dataset.clone(),
            file: file.clone(),
            attempts: 0,
            sha256: None,
            size: None,
            phase: Phase::Claimed,
            audit_offset: *audit_offset,
            source: source.clone(),
        });
    }
    let mut st = current?.clone();
    if !allowed(&st.phase, entry) {
        return None;
    }
    st.phase = match entry {
        Entry::Claimed { .. } => return None,
        Entry::Abandoned { .. } => Phase::Abandoned,
        Entry::Started { sha256, size, output, .. } => {
            st.attempts += 1;
            st.sha256 = Some(sha256.clone());
            st.size = Some(*size);
            Phase::Started { output: output.clone() }
        }
        Entry::Publishing { output, output_sha256, audit, .. } => {
            Phase::Publishing { output: output.clone(), output_sha256: output_sha256.clone(), audit: audit.clone() }
        }
        Entry::RolledBack { cause, cancelled, .. } => {
            if *cancelled {
                // A shutdown is not a failed attempt.
                st.attempts = st.attempts.saturating_sub(1);
            }
            Phase::RolledBack { cause: cause.clone() }
        }
        Entry::Committed { audit, .. } => Phase::Committed { audit: audit.clone() },
        Entry::Duplicate { of, sha256, .. } => {
            st.sha256 = Some(sha256.clone());
            Phase::Duplicate { of: of.clone() }
        }
        Entry::Quarantined { reason, .. } => Phase::Quarantined { reason: reason.clone() },
        Entry::Done { .. } => Phase::Done,
    };
    Some(st)
}

/// The legal moves of the state machine. A recorded outcome only leads to `done`, nothing
/// follows `done` or `abandoned`, and an import whose output may be published (`publishing`)
/// is either committed or rolled back (after its output was found not published).
fn allowed(from: &Phase, entry: &Entry) -> bool {
    match (from, entry) {
        (Phase::Done | Phase::Abandoned, _) => false,
        (Phase::Committed { .. } | Phase::Duplicate { .. } | Phase::Quarantined { .. }, e) => {
            matches!(e, Entry::Done { .. })
        }
        (Phase::Publishing { .. }, e) => matches!(e, Entry::Committed { .. } | Entry::RolledBack { .. }),
        (_, Entry::Done { .. } | Entry::Publishing { .. } | Entry::Committed { .. }) => {
            // `committed` straight from `started`: an output found published by recovery in a
            // ledger written before the `publishing` step existed.
            matches!((from, entry), (Phase::Started { .. }, Entry::Publishing { .. } | Entry::Committed { .. }))
        }
        _ => true,
    }
}

impl Phase {
    /// Done or abandoned: nothing more will happen to the import.
    pub fn is_finished(&self) -> bool {
        matches!(self, Phase::Done | Phase::Abandoned)
    }

    /// Past the record of its commit point (`publishing` or later, not done): finishing it
    /// needs no more processing, and a panic from here on never quarantines it.
    pub fn past_commit_record(&self) -> bool {
        matches!(
            self,
            Phase::Publishing { .. } | Phase::Committed { .. } | Phase::Duplicate { .. } | Phase::Quarantined { .. }
        )
    }

    /// The word the ledger stores for it.
    pub fn word(&self) -> &'static str {
        match self {
            Phase::Claimed => "claimed",
            Phase::Started { .. } => "started",
            Phase::Publishing { .. } => "publishing",
            Phase::RolledBack { .. } => "rolled_back",
            Phase::Committed { .. } => "committed",
            Phase::Duplicate { .. } => "duplicate",
            Phase::Quarantined { .. } => "quarantined",
            Phase::Done => "done",
            Phase::Abandoned => "abandoned",
        }
    }
}
