//! The durable record of every import: an append-only JSON Lines file under `state_dir`,
//! each entry fsynced before the step it records is taken (or after, for steps that are
//! themselves durable, like a renamed output). Replaying it on start tells recovery where
//! every unfinished import stopped. A torn last line (a crash mid-append) is cut off; any
//! other damage stops the daemon rather than guessing.
//!
//! The life of an import, as entries:
//! `claimed` → (`started` → `rolled_back`)* → `started` → `committed` | `quarantined` | `duplicate` → `done`,
//! or `claimed` → `abandoned` when the file vanished before the claim's rename.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::daemon::import_id::ImportId;
use crate::daemon::outcome::Reason;

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
    RolledBack {
        id: ImportId,
        cause: String,
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
    pub fn id(&self) -> &ImportId {
        match self {
            Entry::Claimed { id, .. }
            | Entry::Abandoned { id }
            | Entry::Started { id, .. }
            | Entry::RolledBack { id, .. }
            | Entry::Committed { id, .. }
            | Entry::Duplicate { id, .. }
            | Entry::Quarantined { id, .. }
            | Entry::Done { id } => id,
        }
    }
}

/// Where an import stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Claimed,
    Started { output: String },
    RolledBack { cause: String },
    Committed { audit: serde_json::Value },
    Duplicate { of: ImportId },
    Quarantined(Reason),
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
}

/// (tenant, dataset, SHA-256 of the content): what makes two files the same import.
pub type Identity = (String, String, String);

/// The open ledger and the state replayed from it.
#[derive(Debug)]
pub struct Ledger {
    file: File,
    imports: HashMap<ImportId, ImportState>,
    committed: HashMap<Identity, ImportId>,
}

/// The ledger could not be read; the daemon does not start on a damaged ledger.
#[derive(Debug)]
pub enum LedgerError {
    Io(io::Error),
    Corrupt { line: usize },
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::Io(e) => write!(f, "I/O error ({})", e.kind()),
            LedgerError::Corrupt { line } => write!(f, "line {line} is not a ledger entry; the ledger is damaged"),
        }
    }
}

impl std::error::Error for LedgerError {}

impl Ledger {
    /// Opens (or creates) `<state_dir>/ledger.jsonl` and replays it.
    pub fn open(state_dir: &Path) -> Result<Ledger, LedgerError> {
        let path = state_dir.join("ledger.jsonl");
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(&path).map_err(LedgerError::Io)?;
        let mut ledger = Ledger {
            file: file.try_clone().map_err(LedgerError::Io)?,
            imports: HashMap::new(),
            committed: HashMap::new(),
        };
        let mut good_len = 0u64;
        let mut reader = BufReader::new(&mut file);
        let mut line = Vec::new();
        let mut n = 0usize;
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line).map_err(LedgerError::Io)?;
            if read == 0 {
                break;
            }
            n += 1;
            let complete = line.last() == Some(&b'\n');
            match serde_json::from_slice::<Entry>(&line) {
                Ok(entry) if complete => {
                    ledger.apply(entry);
                    good_len += read as u64;
                }
                // A torn last line: the append it belonged to never finished, so never counted.
                _ if !complete => break,
                _ => return Err(LedgerError::Corrupt { line: n }),
            }
        }
        drop(reader);
        if file.metadata().map_err(LedgerError::Io)?.len() != good_len {
            file.set_len(good_len).map_err(LedgerError::Io)?;
            file.sync_all().map_err(LedgerError::Io)?;
        }
        ledger.file.seek(SeekFrom::End(0)).map_err(LedgerError::Io)?;
        Ok(ledger)
    }

    /// Writes `entry` durably (fdatasync), then applies it.
    pub fn append(&mut self, entry: Entry) -> io::Result<()> {
        let mut line = serde_json::to_vec(&entry).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()?;
        self.apply(entry);
        Ok(())
    }

    fn apply(&mut self, entry: Entry) {
        if let Entry::Claimed { id, tenant, dataset, file, .. } = entry {
            self.imports.insert(
                id,
                ImportState { tenant, dataset, file, attempts: 0, sha256: None, size: None, phase: Phase::Claimed },
            );
            return;
        }
        let id = entry.id().clone();
        let Some(state) = self.imports.get_mut(&id) else { return };
        state.phase = match entry {
            Entry::Claimed { .. } => return,
            Entry::Abandoned { .. } => Phase::Abandoned,
            Entry::Started { sha256, size, output, .. } => {
                state.attempts += 1;
                state.sha256 = Some(sha256);
                state.size = Some(size);
                Phase::Started { output }
            }
            Entry::RolledBack { cause, .. } => Phase::RolledBack { cause },
            Entry::Committed { sha256, audit, .. } => {
                self.committed.insert((state.tenant.clone(), state.dataset.clone(), sha256), id.clone());
                Phase::Committed { audit }
            }
            Entry::Duplicate { of, sha256, .. } => {
                state.sha256 = Some(sha256);
                Phase::Duplicate { of }
            }
            Entry::Quarantined { reason, .. } => Phase::Quarantined(reason),
            Entry::Done { .. } => Phase::Done,
        };
        if matches!(state.phase, Phase::Done | Phase::Abandoned) {
            // Only the identity of a committed import is needed once it is finished.
            self.imports.remove(&id);
        }
    }

    pub fn get(&self, id: &ImportId) -> Option<&ImportState> {
        self.imports.get(id)
    }

    /// The import that committed this content for this dataset, if any.
    pub fn committed(&self, identity: &Identity) -> Option<&ImportId> {
        self.committed.get(identity)
    }

    /// Every import that is not finished, oldest first.
    pub fn unfinished(&self) -> Vec<(ImportId, ImportState)> {
        let mut v: Vec<_> = self.imports.iter().map(|(k, s)| (k.clone(), s.clone())).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ImportId {
        ImportId(s.to_string())
    }

    /// Claims, starts and commits import `a` of content `h`.
    fn commit_a(l: &mut Ledger) -> io::Result<()> {
        l.append(Entry::Claimed { id: id("a"), tenant: "t".into(), dataset: "d".into(), file: "f".into(), at_ms: 1 })?;
        l.append(Entry::Started { id: id("a"), sha256: "h".into(), size: 3, output: "o".into() })?;
        l.append(Entry::Committed {
            id: id("a"),
            sha256: "h".into(),
            output: "o".into(),
            audit: serde_json::Value::Null,
        })
    }

    #[test]
    fn replays_and_cuts_a_torn_last_line() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        commit_a(&mut Ledger::open(dir.path())?)?;
        let path = dir.path().join("ledger.jsonl");
        let whole = std::fs::read(&path)?;
        std::fs::write(&path, [&whole[..], b"{\"ev\":\"done\",\"id\":\"a"].concat())?;
        let l = Ledger::open(dir.path())?;
        assert_eq!(std::fs::read(&path)?, whole, "the torn line is cut off");
        let a = l.get(&id("a")).ok_or("import a was not replayed")?;
        assert_eq!(a.phase, Phase::Committed { audit: serde_json::Value::Null });
        assert_eq!(a.attempts, 1);
        assert_eq!(l.committed(&("t".into(), "d".into(), "h".into())), Some(&id("a")));
        Ok(())
    }

    #[test]
    fn damage_in_the_middle_is_an_error() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("ledger.jsonl"), "garbage\n{\"ev\":\"done\",\"id\":\"a\"}\n")?;
        assert!(matches!(Ledger::open(dir.path()), Err(LedgerError::Corrupt { line: 1 })));
        Ok(())
    }

    #[test]
    fn finished_imports_keep_only_their_identity() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut l = Ledger::open(dir.path())?;
        commit_a(&mut l)?;
        l.append(Entry::Done { id: id("a") })?;
        assert!(l.unfinished().is_empty());
        assert!(l.committed(&("t".into(), "d".into(), "h".into())).is_some());
        Ok(())
    }
}
