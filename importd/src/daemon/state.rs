//! What every import shares: the validated settings, the ledger, the tenants' audit logs,
//! the set of identities being imported right now, the transform pool, the metrics, and the
//! lock that keeps a second daemon off the same `state_dir`.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

use crate::daemon::audit::{AuditKey, AuditLog};
use crate::daemon::config::{Dataset, Settings, Tenant, TenantId};
use crate::daemon::ledger::{
    Entry, Identity, ImportId, ImportState, Ledger, LedgerError, PostgresLedger, SqliteLedger,
};
use crate::daemon::places::LedgerKind;
use crate::daemon::telemetry::metrics::Metrics;
use crate::exit::Failure;
use crate::store::Dir;

/// The daemon's shared state.
#[derive(Debug)]
pub struct Daemon {
    pub settings: Settings,
    ledger: Mutex<Books>,
    /// Set when something failed that makes carrying on unsafe (a failed fsync): intake
    /// stops and the daemon exits non-zero with this message.
    fatal: Mutex<Option<String>>,
    /// The tenants' audit logs under `state_dir` (embedded ledger); with a shared ledger the
    /// chains live in it and this is empty.
    audits: BTreeMap<TenantId, Mutex<AuditLog>>,
    inflight: Mutex<HashSet<Identity>>,
    /// Shared ledger: a flag per running import, raised when its lease is found lost, so the
    /// import stops at its next batch instead of running to a commit it cannot record.
    leases: Mutex<std::collections::HashMap<ImportId, Arc<AtomicBool>>>,
    /// Claims that found nothing to import and whose `abandoned` record the ledger refused:
    /// their runs only record that again, never import (see `claim::abandon`).
    abandoning: Mutex<HashSet<ImportId>>,
    pub metrics: Arc<Metrics>,
    /// Set when the shutdown grace period is over: running imports roll back.
    pub cancel: Arc<AtomicBool>,
    pub pool: Arc<rayon::ThreadPool>,
    /// Bytes of batches in flight, shared by every import (`max_memory_mb`).
    pub memory: Arc<anonymizer_core::pipeline::MemoryBudget>,
    _lock: File,
}

/// The ledger, embedded or shared. The shared one also keeps the tenants' audit chains, so
/// several daemons append to one chain per tenant.
#[derive(Debug)]
enum Books {
    Embedded(SqliteLedger),
    Shared(Box<PostgresLedger>),
}

impl Books {
    fn ledger(&mut self) -> &mut dyn Ledger {
        match self {
            Books::Embedded(l) => l,
            Books::Shared(l) => l.as_mut(),
        }
    }
}

/// Takes the `flock` on `<state_dir>/importd.lock` that keeps one process at a time on an
/// embedded ledger (the daemon, or a command that must not run beside it); `busy` says what
/// holds it when it is taken.
pub fn state_lock(state: &Path, busy: &str) -> Result<File, Failure> {
    let path = state.join("importd.lock");
    let file = File::options().create(true).truncate(false).write(true).open(&path).map_err(|e| {
        Failure::runtime(format!("error: {}: cannot open the lock file ({})", path.display(), e.kind()))
    })?;
    if file.try_lock().is_err() {
        return Err(Failure::runtime(format!("error: {}: {busy}", path.display())));
    }
    Ok(file)
}

/// Whether an error from [`Daemon::record`] means this daemon lost the import's lease.
pub fn is_fenced(e: &io::Error) -> bool {
    ledger_error(e).is_some_and(|l| matches!(l, LedgerError::Fenced))
}

/// The ledger's own error inside an I/O error from the daemon's ledger calls.
pub fn ledger_error(e: &io::Error) -> Option<&LedgerError> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<LedgerError>())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave the ledger half-written (each
    // append is one write), so the data behind a poisoned lock is still sound.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Daemon {
    /// Takes the state lock, opens the ledger and every tenant's audit log.
    pub fn open(settings: Settings) -> Result<Daemon, Failure> {
        let state = &settings.state_dir;
        for sub in ["processing", "quarantine", "audit"] {
            std::fs::create_dir_all(state.join(sub)).map_err(|e| {
                Failure::runtime(format!("error: {}: cannot create it ({})", state.join(sub).display(), e.kind()))
            })?;
        }
        let lock_file = state_lock(state, "another importd is already running on this state_dir")?;
        // The rule file versions in force are kept: outputs name theirs in their footer.
        let in_force = settings.tenants.values().flat_map(|t| {
            t.datasets.values().map(move |ds| {
                let l = ds.rules.read().map(|g| g.clone()).unwrap_or_else(|p| p.into_inner().clone());
                (t.id.as_str(), ds.id.as_str(), l.rules, l.source)
            })
        });
        crate::daemon::kept_rules::keep_all(state, in_force).map_err(Failure::runtime)?;
        if settings.tenants.values().any(|t| matches!(t.places.drop, crate::daemon::places::Place::Local(_))) {
            probe_rename(&settings)?;
        }
        let (books, unfinished) = match &settings.ledger {
            LedgerKind::Sqlite => {
                let mut ledger = SqliteLedger::open(state)
                    .map_err(|e| Failure::runtime(format!("error: {}/ledger.sqlite: {e}", state.display())))?;
                let unfinished = ledger
                    .unfinished()
                    .map_err(|e| Failure::runtime(format!("error: {}/ledger.sqlite: {e}", state.display())))?;
                (Books::Embedded(ledger), unfinished)
            }
            LedgerKind::Postgres(url) => {
                let ledger = PostgresLedger::connect(url, &settings.cluster.node, settings.cluster.lease)
                    .map_err(|e| Failure::runtime(format!("error: the PostgreSQL ledger: {e}")))?;
                (Books::Shared(Box::new(ledger)), Vec::new())
            }
        };
        let mut audits = BTreeMap::new();
        for (tid, tenant) in &settings.tenants {
            if matches!(books, Books::Shared(_)) {
                break;
            }
            let path = settings.audit_path(tid);
            // Only the records of this tenant's unfinished imports need indexing: they all
            // come after the log's length at the oldest one's claim.
            let mine: Vec<_> = unfinished.iter().filter(|(_, st)| st.tenant == tid.as_str()).collect();
            let ids: HashSet<String> = mine.iter().map(|(id, _)| id.as_str().to_string()).collect();
            let scan_from = mine.iter().map(|(_, st)| st.audit_offset).min().unwrap_or(u64::MAX);
            let log = AuditLog::open(&path, AuditKey::of(&tenant.keys()), &ids, scan_from).map_err(|e| {
                Failure::runtime(format!("error: {}: cannot open the audit log ({})", path.display(), e.kind()))
            })?;
            audits.insert(tid.clone(), Mutex::new(log));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
            .thread_name(|i| format!("importd-transform-{i}"))
            .build()
            .map_err(|_| Failure::runtime("error: could not start the transform threads"))?;
        let memory = Arc::new(anonymizer_core::pipeline::MemoryBudget::new(settings.batch_budget));
        Ok(Daemon {
            settings,
            ledger: Mutex::new(books),
            fatal: Mutex::new(None),
            audits,
            inflight: Mutex::new(HashSet::new()),
            leases: Mutex::new(std::collections::HashMap::new()),
            abandoning: Mutex::new(HashSet::new()),
            metrics: Arc::new(Metrics::default()),
            cancel: Arc::new(AtomicBool::new(false)),
            pool: Arc::new(pool),
            memory,
            _lock: lock_file,
        })
    }

    /// Records a step durably. A failed fsync makes the daemon stop (see [`Daemon::fatal`]).
    pub fn record(&self, entry: Entry) -> io::Result<()> {
        // Fault injection for the tests (crash-point builds only): `ledger.abandoned=1*return`
        // makes the next `abandoned` record fail as if the ledger had gone away.
        #[cfg(all(feature = "failpoints", debug_assertions))]
        if matches!(entry, Entry::Abandoned { .. }) && fail::eval("ledger.abandoned", |_| ()).is_some() {
            return Err(io::Error::other("injected ledger failure"));
        }
        let result = lock(&self.ledger).ledger().append(&entry);
        self.ledger_result(result)?;
        crash_point!("ledger.after_append");
        Ok(())
    }

    /// What the ledger knows about one import.
    pub fn import(&self, id: &ImportId) -> io::Result<Option<ImportState>> {
        let result = lock(&self.ledger).ledger().get(id);
        self.ledger_result(result)
    }

    /// The import that committed this content for this dataset, if any.
    pub fn committed(&self, identity: &Identity) -> io::Result<Option<ImportId>> {
        let result = lock(&self.ledger).ledger().committed(identity);
        self.ledger_result(result)
    }

    /// An import of this content whose output may be published but is not yet recorded.
    pub fn publishing(&self, identity: &Identity) -> io::Result<Option<ImportId>> {
        let result = lock(&self.ledger).ledger().publishing(identity);
        self.ledger_result(result)
    }

    /// Every unfinished import, oldest first.
    pub fn unfinished(&self) -> io::Result<Vec<(ImportId, ImportState)>> {
        let result = lock(&self.ledger).ledger().unfinished();
        self.ledger_result(result)
    }

    fn ledger_result<T>(&self, result: Result<T, LedgerError>) -> io::Result<T> {
        result.map_err(|e| {
            if matches!(e, LedgerError::Durability(_) | LedgerError::Corrupt(_)) {
                self.fatal(e.to_string());
            }
            io::Error::other(e)
        })
    }

    /// Whether several daemons share the ledger (leases, takeovers and fencing apply).
    pub fn shared(&self) -> bool {
        matches!(*lock(&self.ledger), Books::Shared(_))
    }

    /// Renews this daemon's leases; returns the imports whose lease was lost (their running
    /// imports are told to stop).
    pub fn renew(&self) -> io::Result<Vec<ImportId>> {
        let result = lock(&self.ledger).ledger().renew();
        let lost = self.ledger_result(result)?;
        let leases = lock(&self.leases);
        for id in &lost {
            if let Some(flag) = leases.get(id) {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        Ok(lost)
    }

    /// Gives up this daemon's lease on an import it stopped working on.
    pub fn release(&self, id: &ImportId) -> io::Result<()> {
        let result = lock(&self.ledger).ledger().release(id);
        self.ledger_result(result)
    }

    /// The flag a running import watches: raised when its lease is lost.
    pub fn lease_flag(&self, id: &ImportId) -> Arc<AtomicBool> {
        lock(&self.leases).entry(id.clone()).or_default().clone()
    }

    /// Marks a claim whose `abandoned` record failed: its runs only record that again.
    pub fn mark_abandoning(&self, id: &ImportId) {
        lock(&self.abandoning).insert(id.clone());
    }

    /// The marked claim is settled (recorded abandoned, or fenced off by another daemon).
    pub fn abandon_settled(&self, id: &ImportId) {
        lock(&self.abandoning).remove(id);
    }

    /// Whether a run of this import is only to record it abandoned.
    pub fn is_abandoning(&self, id: &ImportId) -> bool {
        lock(&self.abandoning).contains(id)
    }

    /// The import stopped running here.
    pub fn lease_released(&self, id: &ImportId) {
        lock(&self.leases).remove(id);
    }

    /// Takes over up to `limit` imports whose daemon's lease ran out.
    pub fn take_over(&self, limit: usize) -> io::Result<Vec<ImportId>> {
        let result = lock(&self.ledger).ledger().take_over(limit);
        self.ledger_result(result)
    }

    /// Resumes this node's own unfinished imports after a restart (shared ledger): the
    /// state lock proves the daemon that held them is gone.
    pub fn resume_own(&self) -> io::Result<Vec<ImportId>> {
        let result = match &mut *lock(&self.ledger) {
            Books::Embedded(_) => Ok(Vec::new()),
            Books::Shared(l) => l.resume_own(),
        };
        self.ledger_result(result)
    }

    /// Whether this daemon still holds the import's lease with `margin` to spare.
    pub fn holds(&self, id: &ImportId, margin: std::time::Duration) -> io::Result<bool> {
        let result = lock(&self.ledger).ledger().holds(id, margin);
        self.ledger_result(result)
    }

    /// Whether the ledger answers now.
    pub fn ping(&self) -> bool {
        lock(&self.ledger).ledger().ping().is_ok()
    }

    /// Something failed that makes carrying on unsafe: intake stops, running imports roll
    /// back, and the daemon exits 1 with the first such message.
    pub fn fatal(&self, message: String) {
        let mut f = lock(&self.fatal);
        if f.is_none() {
            tracing::error!(problem = %message, "importd must stop: a durability guarantee can no longer be kept");
            *f = Some(message);
        }
        self.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The first fatal problem, if any (a failed folder fsync anywhere counts).
    pub fn fatal_problem(&self) -> Option<String> {
        if let Some(why) = crate::store::sync_failure() {
            self.fatal(why.to_string());
        }
        lock(&self.fatal).clone()
    }

    /// Appends one record to the tenant's audit log. A failed fsync makes the daemon stop.
    pub fn audit(&self, tenant: &TenantId, event: &str, body: Map<String, Value>) -> io::Result<()> {
        if let Books::Shared(l) = &mut *lock(&self.ledger) {
            let key = self.tenant(tenant.as_str()).map(|t| t.keys());
            let Some(keys) = key else { return Err(io::Error::other("no audit key for this tenant")) };
            let result = l.audit_append(tenant.as_str(), &AuditKey::of(&keys), event, body);
            return self.ledger_result(result);
        }
        let Some(log) = self.audits.get(tenant) else {
            return Err(io::Error::other("no audit log for this tenant"));
        };
        let mut log = lock(log);
        if let Some(keys) = self.tenant(tenant.as_str()).map(|t| t.keys()) {
            // After `keys rotate` the chain goes on under the new active key.
            if log.key_id() != keys.key_id() {
                log.set_key(AuditKey::of(&keys));
            }
        }
        let result = log.append(event, body);
        result.map_err(|(e, durability)| {
            if durability {
                self.fatal(format!("the audit log of tenant {tenant} could not be fsynced ({})", e.kind()));
            }
            e
        })?;
        crash_point!("audit.after_append");
        Ok(())
    }

    /// The tenant's audit log length now.
    pub fn audit_len(&self, tenant: &TenantId) -> io::Result<u64> {
        if let Books::Shared(l) = &mut *lock(&self.ledger) {
            let result = l.audit_len(tenant.as_str());
            return self.ledger_result(result);
        }
        match self.audits.get(tenant) {
            Some(log) => lock(log).size(),
            None => Err(io::Error::other("no audit log for this tenant")),
        }
    }

    /// Whether the tenant's audit log holds `event` for the unfinished import `import_id`.
    pub fn audited(&self, tenant: &TenantId, import_id: &ImportId, event: &str) -> bool {
        if let Books::Shared(l) = &mut *lock(&self.ledger) {
            // Unknown counts as not written: the append that follows fails the same way and is retried.
            return l.audit_has(tenant.as_str(), import_id.as_str(), event).unwrap_or(false);
        }
        self.audits.get(tenant).is_some_and(|log| lock(log).has(import_id.as_str(), event))
    }

    /// The import is finished: its audit records need not be remembered.
    pub fn audit_forget(&self, tenant: &TenantId, import_id: &ImportId) {
        if let Some(log) = self.audits.get(tenant) {
            lock(log).forget(import_id.as_str());
        }
    }

    /// Appends `event` to every tenant's audit log (daemon started/stopped); failures are logged.
    pub fn audit_all(&self, event: &str) {
        for tid in self.settings.tenants.keys() {
            if let Err(e) = self.audit(tid, event, Map::new()) {
                tracing::error!(tenant = %tid, error = %e.kind(), "could not write the audit record `{event}`");
            }
        }
    }

    /// Reserves an identity for one running import; `None` if the same content is being
    /// imported right now for the same dataset.
    pub fn reserve(&self, identity: Identity) -> Option<Reservation<'_>> {
        let mut set = lock(&self.inflight);
        if !set.insert(identity.clone()) {
            return None;
        }
        Some(Reservation { daemon: self, identity })
    }

    pub fn tenant(&self, name: &str) -> Option<&Tenant> {
        self.settings.tenant(name)
    }

    pub fn dataset(&self, tenant: &str, dataset: &str) -> Option<(&Tenant, &Dataset)> {
        let t = self.tenant(tenant)?;
        let d = t.datasets.iter().find(|(k, _)| k.as_str() == dataset).map(|(_, d)| d)?;
        Some((t, d))
    }

    /// `<state_dir>/processing`, through a handle.
    pub fn processing_dir(&self) -> io::Result<Dir> {
        Ok(self.state_dir()?.open_dir("processing")?)
    }

    /// `state_dir` itself (the operator's path), opened afresh so a folder recreated under
    /// the daemon is found.
    pub fn state_dir(&self) -> io::Result<Dir> {
        Dir::open(&self.settings.state_dir)
    }

    /// `storage_dir`, created if it went missing, opened afresh.
    pub fn storage_dir(&self) -> io::Result<Dir> {
        std::fs::create_dir_all(&self.settings.storage_dir)?;
        Dir::open(&self.settings.storage_dir)
    }

    pub fn processing_path(&self, id: &ImportId) -> PathBuf {
        self.settings.processing_dir().join(id.as_str())
    }
}

/// Claims are renames from the drop folders into `processing/`: try one now, so a state
/// directory on another filesystem (or another mount of the same one) or a read-only one is
/// found at start, not at the first file.
fn probe_rename(settings: &Settings) -> Result<(), Failure> {
    let fail = |what: &str, e: io::Error| {
        let msg = format!(
            "error: {what} ({}); drop_dir {} and state_dir {} must be writable and on one filesystem",
            e.kind(),
            settings.drop_dir.display(),
            settings.state_dir.display()
        );
        if e.raw_os_error() == Some(rustix::io::Errno::XDEV.raw_os_error()) {
            Failure::config(msg)
        } else {
            Failure::runtime(msg)
        }
    };
    // Through handles, under a random name, created O_EXCL | O_NOFOLLOW: a link or FIFO a
    // tenant planted in drop_dir is never followed, truncated or opened.
    let name = {
        use ring::rand::SecureRandom;
        let mut r = [0u8; 8];
        ring::rand::SystemRandom::new()
            .fill(&mut r)
            .map_err(|_| Failure::runtime("error: the random source failed"))?;
        std::ffi::OsString::from(format!(".importd-probe-{}", data_encoding::HEXLOWER.encode(&r)))
    };
    let drop_dir = Dir::open(&settings.drop_dir).map_err(|e| fail("cannot open drop_dir", e))?;
    let processing = Dir::open(&settings.state_dir)
        .and_then(|s| s.open_dir("processing").map_err(io::Error::from))
        .map_err(|e| fail("cannot open state_dir/processing", e))?;
    drop_dir.create_new(&name, 0o600).map_err(|e| fail("cannot create a file in drop_dir", e))?;
    let renamed = drop_dir
        .rename_new(&name, &processing, &name)
        .map_err(|e| fail("cannot move a file from drop_dir into state_dir", e));
    let _ = drop_dir.remove_file(&name);
    let _ = processing.remove_file(&name);
    renamed
}

/// An identity held by a running import; released on drop.
#[derive(Debug)]
pub struct Reservation<'a> {
    daemon: &'a Daemon,
    identity: Identity,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        lock(&self.daemon.inflight).remove(&self.identity);
    }
}
