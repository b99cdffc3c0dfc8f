//! `importd verify`: a tenant's storage against the ledger and the audit chain (the recovery
//! test after a backup restore). Differences, by [`Kind`]: an output the ledger lists that
//! storage lacks (`missing`) or holds with other bytes (`changed`); a file no import committed
//! (`unexpected`), told apart from a temporary file an interrupted import or erasure left
//! (`leftover`: hidden, `.*.tmp`, in a partition folder, as `publish` stages them, and no
//! unfinished import or pending rewrite in the ledger accounts for it); a broken
//! audit chain (`audit_broken`); and an audit chain that disagrees with the ledger
//! (`audit_missing`: the ledger knows a commit or erasure the chain does not, as after the
//! log was truncated; `audit_differs`).
//!
//! It runs beside a working daemon, so the reads are ordered (ARCHITECTURE.md, "Verify"):
//! storage is walked first, then the ledger is read, then each output is hashed from its own
//! path, then the audit chain is read. Whatever looks wrong is looked at again after a second
//! ledger read, audit read and ledger read ([`settle`]): a file an import published after the
//! walk, a temporary file renamed meanwhile, an erasure under way, a commit not yet audited is
//! "in flight", counted but not a difference. So is the temporary file of an import a crash
//! cut short: the ledger holds the import unfinished and recovery settles it at the next start.
//!
//! - `walk`: what storage holds; `digest`: one output's SHA-256, streamed
//! - `chain`: what the audit chain says about outputs; `agree`: where it and the ledger part
//! - `report`: the lines, the JSON report and the Prometheus text file

pub mod agree;
pub mod chain;
pub mod digest;
pub mod report;
pub mod walk;

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;

use crate::daemon::audit::AuditKey;
use crate::daemon::config::{Settings, Tenant};
use crate::daemon::ledger::{ImportId, StoredOutput};
use crate::daemon::places::{LedgerKind, Place};
use crate::daemon::records::Records;
use crate::exit::Failure;
use crate::store::s3::ObjectDir;
use crate::store::Dir;
use agree::{disagreements, Side};
use digest::Held;
use walk::{Found, What};

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Missing,
    Changed,
    Unexpected,
    Leftover,
    AuditBroken,
    AuditMissing,
    AuditDiffers,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Missing,
        Kind::Changed,
        Kind::Unexpected,
        Kind::Leftover,
        Kind::AuditBroken,
        Kind::AuditMissing,
        Kind::AuditDiffers,
    ];

    /// The word in lines, JSON and metric labels.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Missing => "missing",
            Kind::Changed => "changed",
            Kind::Unexpected => "unexpected",
            Kind::Leftover => "leftover",
            Kind::AuditBroken => "audit_broken",
            Kind::AuditMissing => "audit_missing",
            Kind::AuditDiffers => "audit_differs",
        }
    }
}

/// One difference: names, hashes and counts, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub tenant: String,
    pub kind: Kind,
    /// A storage path (relative to the storage root) or an audit record (`line N (seq S)`).
    pub path: String,
    pub detail: String,
}

/// One tenant's result.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TenantReport {
    pub tenant: String,
    /// Committed outputs the ledger lists.
    pub outputs: u64,
    /// Of those, found with the recorded SHA-256 (or the pending rewrite's).
    pub intact: u64,
    /// Of the intact, those with a rewrite pending (storage may hold either version).
    pub pending: u64,
    /// Files and records of imports or erasures under way during the run: not differences.
    pub in_flight: u64,
    pub audit_records: u64,
    pub differences: Vec<Difference>,
}

/// Where a tenant's outputs are.
enum Storage {
    Local(Dir),
    Object(ObjectDir),
}

impl Storage {
    fn of(t: &Tenant) -> Result<Storage, Failure> {
        match (&t.places.storage, &t.places.storage_store) {
            (_, Some(store)) => Ok(Storage::Object(store.clone())),
            (Place::Local(path), None) => Dir::open(path).map(Storage::Local).map_err(|e| {
                Failure::runtime(format!(
                    "error: {}: the storage folder cannot be opened ({})",
                    path.display(),
                    e.kind()
                ))
            }),
            (Place::Object(u), None) => Err(Failure::runtime(format!("error: {u}: the object store is not open"))),
        }
    }

    fn walk(&self, tenant: &str) -> io::Result<Vec<Found>> {
        match self {
            Storage::Local(root) => walk::local(root, tenant),
            Storage::Object(store) => walk::object(store, tenant),
        }
    }

    fn held(&self, rel: &str) -> io::Result<Held> {
        match self {
            Storage::Local(root) => digest::local(root, rel),
            Storage::Object(store) => digest::object(store, rel),
        }
    }

    /// Whether anything is still at `rel` (a name that cannot be looked up counts as there).
    fn still_there(&self, rel: &str) -> bool {
        match self {
            Storage::Local(root) => {
                let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
                match root.open_dir(folder) {
                    Ok(dir) => dir.stat(std::ffi::OsStr::new(name)).is_ok(),
                    Err(crate::store::DirError::Missing) => false,
                    Err(_) => true,
                }
            }
            Storage::Object(store) => !matches!(store.head(rel), Ok(None)),
        }
    }
}

/// Verifies one tenant; `Err` only when something cannot be read at all (exit 1).
pub fn tenant(settings: &Settings, records: &mut Records, t: &Tenant) -> Result<TenantReport, Failure> {
    let name = t.id.as_str();
    let storage = Storage::of(t)?;
    let unreadable = |e: io::Error| Failure::runtime(format!("error: tenant {name}: the storage cannot be read ({e})"));
    let mut report = TenantReport { tenant: name.to_string(), ..TenantReport::default() };

    // 1. Storage first: an output the walk sees is in the ledger read after it, unless its
    //    import is still between its publish and its ledger record (in flight).
    let shares_drop = t.places.drop == t.places.storage;
    let found: Vec<Found> = storage
        .walk(name)
        .map_err(unreadable)?
        .into_iter()
        .filter(|f| !(shares_drop && walk::in_drop_area(&f.path)))
        .collect();
    // 2. The ledger.
    let first = ledger_outputs(records, name)?;
    report.outputs = first.len() as u64;
    // 3. Each output from its own path (one published after the walk is found all the same).
    let mut suspects = Vec::new();
    for o in first.values() {
        let held = storage.held(&o.path).map_err(unreadable)?;
        match judge(&held, o) {
            Ok(pending) => {
                report.intact += 1;
                report.pending += u64::from(pending);
            }
            Err(d) => suspects.push(d),
        }
    }
    // 4. The audit chain, after the ledger.
    let chain = read_chain(settings, records, t)?;
    report.audit_records = chain.records;
    if let Some((line, seq, why)) = chain.broken {
        let at = seq.map(|s| format!(" (seq {s})")).unwrap_or_default();
        report.differences.push(Difference {
            tenant: name.to_string(),
            kind: Kind::AuditBroken,
            path: format!("audit record at line {line}{at}"),
            detail: why.to_string(),
        });
    }
    let strays: Vec<&Found> = found.iter().filter(|f| !first.contains_key(&f.path)).collect();
    if suspects.is_empty() && strays.is_empty() && disagreements(&first, &chain).is_empty() {
        return Ok(report);
    }
    settle(settings, records, t, &storage, &mut report, suspects, &strays, &chain)?;
    Ok(report)
}

/// Looks again at what looked wrong: ledger (L2), audit chain (A2), ledger (L3), in that order.
#[allow(clippy::too_many_arguments)] // the run's state, handed over once
fn settle(
    settings: &Settings,
    records: &mut Records,
    t: &Tenant,
    storage: &Storage,
    report: &mut TenantReport,
    suspects: Vec<Suspect>,
    strays: &[&Found],
    first_chain: &chain::Chain,
) -> Result<(), Failure> {
    let name = t.id.as_str();
    let diff = |kind, path: &str, detail: String| Difference {
        tenant: name.to_string(),
        kind,
        path: path.to_string(),
        detail,
    };
    let second = ledger_outputs(records, name)?;
    // Outputs whose record changed since the first read (an erasure under way) are judged
    // again against the new record.
    for s in suspects {
        match second.get(&s.path) {
            Some(o) if (&o.sha256, &o.pending) != (&s.recorded.0, &s.recorded.1) => {
                let held = storage.held(&s.path).map_err(|e| Failure::runtime(format!("error: tenant {name}: {e}")))?;
                match judge(&held, o) {
                    Ok(pending) => {
                        report.intact += 1;
                        report.pending += u64::from(pending);
                    }
                    Err(again) => report.differences.push(diff(again.kind, &again.path, again.detail)),
                }
            }
            _ => report.differences.push(diff(s.kind, &s.path, s.detail)),
        }
    }
    // Each stray's own look-up first, then the ledger once more, then storage: an import
    // that committed and finished before its look-up is listed in that later read, and a
    // temporary file renamed into its output meanwhile is gone from storage by then.
    let mut unexplained = Vec::new();
    for f in strays {
        // Only a regular file can be ours: a link or a FIFO named like an output is never
        // an import's, whatever the ledger says of that import.
        let ours = f.what == What::File && under_way(records, &second, f)?;
        if second.contains_key(&f.path) || ours {
            report.in_flight += 1;
        } else {
            unexplained.push(*f);
        }
    }
    let later = if unexplained.is_empty() { BTreeMap::new() } else { ledger_outputs(records, name)? };
    for f in unexplained {
        // A name that is not UTF-8 cannot be looked up again by its shown path: it stays.
        let gone = f.exact && !storage.still_there(&f.path);
        if later.contains_key(&f.path) || gone {
            report.in_flight += 1;
            continue;
        }
        let shown = f.path.escape_debug().to_string();
        if f.what == What::File && is_temporary(&f.path) {
            let detail = "a temporary file of an interrupted import or erasure (never published); the daemon (a .tmp) or the next subject command (an erasure's) removes it, or delete it";
            report.differences.push(diff(Kind::Leftover, &shown, detail.to_string()));
        } else {
            report.differences.push(diff(
                Kind::Unexpected,
                &shown,
                format!("{} that no import committed", f.what.describe()),
            ));
        }
    }
    // The ledger read before the chain tells what the chain is missing (what the ledger shows
    // done was audited before it was done); the ledger read after it, what the ledger is.
    // Only imports the chain already read lacks can lack a record in the next read.
    let mut done = BTreeMap::new();
    for d in disagreements(&second, first_chain) {
        if d.kind == Kind::AuditMissing && !done.contains_key(&d.import_id) {
            let st = records.ledger().get(&ImportId(d.import_id.clone())).map_err(|e| ledger_failure(name, &e))?;
            done.insert(d.import_id, st.is_some_and(|s| s.phase.is_finished()));
        }
    }
    let chain = read_chain(settings, records, t)?;
    let third = ledger_outputs(records, name)?;
    for d in disagreements(&second, &chain).into_iter().filter(|d| d.side == Side::LedgerAhead) {
        if d.kind == Kind::AuditMissing && !done.get(&d.import_id).copied().unwrap_or(false) {
            report.in_flight += 1; // committed, its audit record not written yet
            continue;
        }
        report.differences.push(diff(d.kind, &d.path, d.detail));
    }
    for d in disagreements(&third, &chain).into_iter().filter(|d| d.side == Side::AuditAhead) {
        report.differences.push(diff(d.kind, &d.path, d.detail));
    }
    report.differences.sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
    report.differences.dedup();
    Ok(())
}

/// Whether an entry the ledger does not list belongs to an import or erasure under way: an
/// output or temporary file of an unfinished import, or a temporary file beside an output
/// with a pending rewrite.
fn under_way(records: &mut Records, outputs: &BTreeMap<String, StoredOutput>, f: &Found) -> Result<bool, Failure> {
    let (folder, name) = f.path.rsplit_once('/').unwrap_or(("", &f.path));
    let output_name = name.strip_prefix('.').and_then(|n| n.find(".parquet").map(|at| &n[..at + ".parquet".len()]));
    let output_name = output_name.unwrap_or(name);
    if outputs.get(&format!("{folder}/{output_name}")).is_some_and(|o| o.pending.is_some()) {
        return Ok(true);
    }
    let Some(id) = output_name.strip_suffix(".parquet").map(|id| ImportId(id.to_string())) else { return Ok(false) };
    if !id.is_safe() {
        return Ok(false);
    }
    let st = records.ledger().get(&id).map_err(|e| ledger_failure(&f.path, &e))?;
    Ok(st.is_some_and(|s| !s.phase.is_finished()))
}

/// A hidden `.…tmp` file in a partition folder (`<tenant>/<dataset>/<partition>/`): how
/// `publish` stages an output (`.<name>.<random>.tmp`) and an erasure a rewritten one, and
/// what recovery removes at the daemon's next start; or an erasure's pending record
/// (`.<name>.subject.json`), which the next subject command settles.
fn is_temporary(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let name = parts.last().copied().unwrap_or(path);
    let suffix = [".tmp", ".subject.json"].into_iter().find(|s| name.ends_with(s));
    parts.len() == 4 && name.starts_with('.') && suffix.is_some_and(|s| name.len() > s.len() + 1)
}

/// An output that did not hold what the ledger records, and the record it was judged against.
struct Suspect {
    path: String,
    kind: Kind,
    detail: String,
    recorded: (String, Option<String>),
}

/// Whether `held` is what the ledger records for `o`: `Ok(true)` when it is the pending
/// rewrite's version.
fn judge(held: &Held, o: &StoredOutput) -> Result<bool, Suspect> {
    let recorded = (o.sha256.clone(), o.pending.clone());
    let id = &o.import_id;
    let (kind, why) = match held {
        Held::Sha256(sha) if *sha == o.sha256 => return Ok(false),
        Held::Sha256(sha) if o.pending.as_deref() == Some(sha) => return Ok(true),
        Held::Missing => {
            (Kind::Missing, format!("the ledger lists it, committed by import {id}; storage has no such file"))
        }
        Held::NotAFile(what) => (Kind::Changed, format!("{what}; the ledger lists a file committed by import {id}")),
        Held::Sha256(sha) => {
            let pending = o
                .pending
                .as_deref()
                .map(|p| format!(" (or {}…, a rewrite pending)", agree::short(p)))
                .unwrap_or_default();
            (
                Kind::Changed,
                format!("its SHA-256 is {}…, the ledger's {}…{pending}", agree::short(sha), agree::short(&o.sha256)),
            )
        }
    };
    Err(Suspect { path: o.path.clone(), kind, detail: why, recorded })
}

fn ledger_outputs(records: &mut Records, tenant: &str) -> Result<BTreeMap<String, StoredOutput>, Failure> {
    let outputs = records.ledger().outputs(tenant).map_err(|e| ledger_failure(tenant, &e))?;
    Ok(outputs.into_iter().map(|o| (o.path.clone(), o)).collect())
}

/// The tenant's chain. A local log is read under a shared `flock`, so a record the daemon is
/// appending (under the exclusive one) is read whole or not at all, never torn.
fn read_chain(settings: &Settings, records: &mut Records, t: &Tenant) -> Result<chain::Chain, Failure> {
    let lines = match settings.ledger {
        LedgerKind::Sqlite => {
            let path = settings.audit_path(&t.id);
            locked_lines(&path).map_err(|e| {
                Failure::runtime(format!("error: {}: cannot read the audit log ({})", path.display(), e.kind()))
            })?
        }
        LedgerKind::Postgres(_) => records.audit_lines(t)?,
    };
    chain::read(&lines, &AuditKey::ring(&t.ring()))
        .map_err(|e| Failure::runtime(format!("error: tenant {}: the audit chain cannot be read ({})", t.id, e.kind())))
}

/// A log file's lines under a shared lock (none when there is no log yet).
fn locked_lines(path: &std::path::Path) -> io::Result<Vec<Vec<u8>>> {
    use std::io::BufRead;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    file.lock_shared()?;
    let lines = io::BufReader::new(&file).split(b'\n').collect::<io::Result<Vec<_>>>();
    let _ = file.unlock();
    lines
}

fn ledger_failure(what: &str, e: &crate::daemon::ledger::LedgerError) -> Failure {
    Failure::runtime(format!("error: the ledger cannot be read for {what} ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_is_a_hidden_tmp_file_in_a_partition_folder() {
        assert!(is_temporary("acme/orders/date=2026-01-01/.x.parquet.0a1b.tmp"));
        assert!(is_temporary("acme/orders/date=2026-01-01/.x.parquet.subject.json"), "an erasure's record");
        assert!(!is_temporary("acme/orders/date=2026-01-01/.x.parquet.json"));
        assert!(!is_temporary("acme/orders/date=2026-01-01/x.parquet.tmp"), "not hidden");
        assert!(!is_temporary("acme/orders/date=2026-01-01/.tmp"), "no name before the suffix");
        assert!(!is_temporary("acme/.x.tmp"), "not in a partition folder");
        assert!(!is_temporary("acme/orders/date=2026-01-01/deeper/.x.tmp"));
    }
}
