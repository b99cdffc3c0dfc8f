//! How an import ended, and why a file was quarantined: typed words from our own vocabulary
//! (they become log fields, metric labels and `reason.json`), never values from a file.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::daemon::import_id::ImportId;

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Committed,
    Duplicate,
    Quarantined,
    /// Still claimed; resume after `delay`.
    Retry {
        id: ImportId,
        delay: Duration,
    },
    /// Rolled back because the daemon is shutting down; resumed on the next start.
    Cancelled,
    /// Nothing to do: the file vanished before it was claimed.
    Vanished,
    /// A durability failure (a failed fsync) stopped the daemon; recovery finishes the
    /// import on the next start.
    Stopped,
    /// The claim failed (the state directory is not writable, …); the file stays in the drop
    /// folder and is tried again after a backoff.
    /// The claim failed (why: an I/O or ledger error, never a value).
    NotClaimed(String),
    /// Shared ledger: this daemon lost the import's lease (it stalled past it) and stopped
    /// without recording more; the daemon that took it over finishes it.
    LostLease,
}

impl Outcome {
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Committed => "committed",
            Outcome::Duplicate => "duplicate",
            Outcome::Quarantined => "quarantined",
            Outcome::Retry { .. } => "retried",
            Outcome::Cancelled => "rolled_back",
            Outcome::Vanished => "vanished",
            Outcome::Stopped => "stopped",
            Outcome::NotClaimed(_) => "not_claimed",
            Outcome::LostLease => "lost_lease",
        }
    }
}

/// Why an import was quarantined: a kind and a location, never values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub kind: ReasonKind,
    /// One value-free sentence.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// A column name from the rule file, or `column N` for a name from the file that may be data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

impl Reason {
    pub fn new(kind: ReasonKind, message: impl Into<String>) -> Reason {
        Reason { kind, message: message.into(), line: None, column: None }
    }
}

/// The stable word `reason.json`, the ledger, the audit log and the logs carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// The file cannot be read as its format (broken quoting, invalid UTF-8, limits, …).
    Input,
    /// A cell could not be transformed and its rule says `on_invalid = "fail"`.
    InvalidCell,
    /// The rules do not fit the file's columns.
    Schema,
    /// The header row looks like a data row (`[input] header = false` is the fix).
    HeaderLooksLikeData,
    RefusedSymlink,
    RefusedFifo,
    RefusedDevice,
    RefusedSocket,
    RefusedDirectory,
    RefusedHardlink,
    TooLarge,
    /// The file changed while it was imported.
    ChangedDuringImport,
    /// The tenant or dataset left the configuration while the import was unfinished.
    UnknownDataset,
    /// Transient failures (or crashes) `max_attempts` times in a row.
    AttemptsExhausted,
    /// A contained panic.
    Internal,
    #[serde(other)]
    Other,
}

impl ReasonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonKind::Input => "input",
            ReasonKind::InvalidCell => "invalid_cell",
            ReasonKind::Schema => "schema",
            ReasonKind::HeaderLooksLikeData => "header_looks_like_data",
            ReasonKind::RefusedSymlink => "refused_symlink",
            ReasonKind::RefusedFifo => "refused_fifo",
            ReasonKind::RefusedDevice => "refused_device",
            ReasonKind::RefusedSocket => "refused_socket",
            ReasonKind::RefusedDirectory => "refused_directory",
            ReasonKind::RefusedHardlink => "refused_hardlink",
            ReasonKind::TooLarge => "too_large",
            ReasonKind::ChangedDuringImport => "changed_during_import",
            ReasonKind::UnknownDataset => "unknown_dataset",
            ReasonKind::AttemptsExhausted => "attempts_exhausted",
            ReasonKind::Internal => "internal",
            ReasonKind::Other => "other",
        }
    }
}

impl std::fmt::Display for ReasonKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
