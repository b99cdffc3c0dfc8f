//! Finding complete files. A periodic scan of every configured drop folder is the inventory;
//! file notifications (`notify`) only wake a scan early, and an overflow of their queue just
//! means the next scan is the full rescan it always is. A file is ready once two scans at
//! least `settle` apart saw the same size, mtime and inode.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::daemon::config::{DatasetId, Settings, TenantId};
use crate::daemon::intake::{escape_name, is_upload_in_progress};
use crate::daemon::ledger::Source;
use crate::daemon::telemetry::metrics::Metrics;
use crate::store::{is_dir, stamp, Dir, DirError, Stamp};

/// A file that held still long enough to be claimed.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub tenant: TenantId,
    pub dataset: DatasetId,
    /// `<drop>/<tenant>/<dataset>/<name>`: a key for queues and logs, never opened.
    pub path: PathBuf,
    pub name: OsString,
    /// The dataset folder's (device, inode) when the scan saw the file: the claim refuses a
    /// folder that is not the same one any more.
    pub folder: (u64, u64),
    /// The file's stamp when it was found settled: the claim re-checks it.
    pub stamp: Stamp,
    /// When a scan first saw it (for the oldest-pending metric and fairness).
    pub first_seen: Instant,
    /// An object-store drop file: its key and the version that settled.
    pub object: Option<Source>,
}

#[derive(Debug)]
struct Seen {
    stamp: Stamp,
    since: Instant,
    first_seen: Instant,
}

/// What one scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Ready files, oldest first within each dataset.
    pub ready: Vec<Candidate>,
    /// Files seen but still settling.
    pub settling: usize,
    /// When the earliest settling file could become ready.
    pub next_ready: Option<Instant>,
    /// First sighting of the oldest file not yet claimed.
    pub oldest: Option<Instant>,
}

/// The scanner's memory between scans.
#[derive(Debug)]
pub struct Scanner {
    settle: Duration,
    seen: HashMap<PathBuf, Seen>,
    /// Entries warned about, with what was wrong: one warning per appearance, not per scan.
    warned: HashMap<PathBuf, &'static str>,
}

impl Scanner {
    pub fn new(settle: Duration) -> Scanner {
        Scanner { settle, seen: HashMap::new(), warned: HashMap::new() }
    }

    /// Scans every configured `<drop>/<tenant>/<dataset>/` through directory handles,
    /// warning once about folders and entries the configuration does not name and about
    /// tenant or dataset folders that are symlinks, not directories, or other mounts (those
    /// are never read; `metrics` counts them).
    pub fn scan(&mut self, settings: &Settings, metrics: &Metrics) -> Scan {
        let now = Instant::now();
        let mut scan = Scan::default();
        let mut present = HashSet::new();
        let mut warned_now = HashSet::new();
        self.scan_objects(settings, now, &mut scan, &mut present);
        if settings.tenants.values().all(|t| t.places.drop_store.is_some()) {
            self.retain(&present, &warned_now);
            return scan;
        }
        let root = match Dir::open(&settings.drop_dir) {
            Ok(d) => d,
            Err(e) => {
                let key = settings.drop_dir.clone();
                if self.warn_once(&key, "unreadable", &mut warned_now) {
                    tracing::warn!(folder = %settings.drop_dir.display(), error = %e.kind(), "the drop folder cannot be read");
                }
                self.retain(&present, &warned_now);
                return scan;
            }
        };
        self.warn_unknown(&root, &settings.drop_dir, |name| settings.tenant(name).is_some(), "tenant", &mut warned_now);
        for (tid, tenant) in &settings.tenants {
            if tenant.places.drop_store.is_some() {
                continue;
            }
            let tpath = settings.drop_dir.join(tid.as_str());
            let Some(tdir) = self.open_folder(&root, tid.as_str(), &tpath, tid, metrics, &mut warned_now) else {
                continue;
            };
            let known = |name: &str| tenant.datasets.keys().any(|d| d.as_str() == name);
            self.warn_unknown(&tdir, &tpath, known, "dataset", &mut warned_now);
            for did in tenant.datasets.keys() {
                let dpath = tpath.join(did.as_str());
                let Some(ddir) = self.open_folder(&tdir, did.as_str(), &dpath, tid, metrics, &mut warned_now) else {
                    continue;
                };
                let Ok(entries) = ddir.entries() else { continue };
                let mut ready: Vec<Candidate> = Vec::new();
                for entry in entries {
                    let name = entry.name;
                    if is_upload_in_progress(&name) {
                        continue;
                    }
                    let path = dpath.join(&name);
                    if is_dir(&entry.stat) {
                        if self.warn_once(&path, "directory", &mut warned_now) {
                            tracing::warn!(tenant = %tid, dataset = %did, file = %escape_name(&name), "a directory in a drop folder is never imported; drop files only");
                        }
                        continue;
                    }
                    present.insert(path.clone());
                    let stamp = stamp(&entry.stat);
                    if let Some(first_seen) = self.settled(&path, stamp, now, &mut scan) {
                        ready.push(Candidate {
                            tenant: tid.clone(),
                            dataset: did.clone(),
                            path,
                            name,
                            folder: ddir.id(),
                            stamp,
                            first_seen,
                            object: None,
                        });
                    }
                }
                ready.sort_by_key(|c| c.first_seen);
                scan.ready.extend(ready);
            }
        }
        self.retain(&present, &warned_now);
        scan
    }

    /// Records a sighting of `path` with `stamp`: its first sighting when it held still for
    /// `settle` across two scans (ready), `None` while it settles (counted in `scan`).
    fn settled(&mut self, path: &Path, stamp: Stamp, now: Instant, scan: &mut Scan) -> Option<Instant> {
        let seen = self.seen.entry(path.to_path_buf()).or_insert(Seen { stamp, since: now, first_seen: now });
        if seen.stamp != stamp {
            seen.stamp = stamp;
            seen.since = now;
        }
        scan.oldest = Some(scan.oldest.map_or(seen.first_seen, |o: Instant| o.min(seen.first_seen)));
        let due = seen.since + self.settle;
        if seen.since < now && now >= due {
            return Some(seen.first_seen);
        }
        scan.settling += 1;
        let due = due.max(now + Duration::from_millis(1));
        scan.next_ready = Some(scan.next_ready.map_or(due, |n: Instant| n.min(due)));
        None
    }

    /// Lists every object-store dataset prefix: only `<prefix>/<tenant>/<dataset>/<name>` of
    /// configured names is ever listed. An object is ready once two listings at least
    /// `settle` apart saw the same size, ETag and last-modified time.
    fn scan_objects(&mut self, settings: &Settings, now: Instant, scan: &mut Scan, present: &mut HashSet<PathBuf>) {
        for (tid, tenant) in &settings.tenants {
            let Some(store) = &tenant.places.drop_store else { continue };
            for did in tenant.datasets.keys() {
                let folder = format!("{tid}/{did}");
                let entries = match store.list(&folder) {
                    Ok(e) => e,
                    Err(e) => {
                        let key = PathBuf::from(format!("{}/{folder}", store.url()));
                        if self.warn_once(&key, "unreadable", &mut HashSet::new()) {
                            tracing::warn!(tenant = %tid, dataset = %did, error = %e, "the drop prefix cannot be listed");
                        }
                        continue;
                    }
                };
                let mut ready: Vec<Candidate> = Vec::new();
                for entry in entries {
                    let name = OsString::from(&entry.name);
                    if is_upload_in_progress(&name) {
                        continue;
                    }
                    let path = PathBuf::from(format!("{}/{folder}/{}", store.url(), entry.name));
                    present.insert(path.clone());
                    let etag = u64::from_le_bytes(
                        ring::digest::digest(&ring::digest::SHA256, entry.etag.as_bytes()).as_ref()[..8]
                            .try_into()
                            .unwrap_or_default(),
                    );
                    let stamp: Stamp = (entry.size, entry.last_modified_ms, 0, etag);
                    if let Some(first_seen) = self.settled(&path, stamp, now, scan) {
                        let key = format!("{folder}/{}", entry.name);
                        ready.push(Candidate {
                            tenant: tid.clone(),
                            dataset: did.clone(),
                            path,
                            name,
                            folder: (0, 0),
                            stamp,
                            first_seen,
                            object: Some(Source { key, etag: entry.etag, size: entry.size }),
                        });
                    }
                }
                ready.sort_by_key(|c| c.first_seen);
                scan.ready.extend(ready);
            }
        }
    }

    /// Opens a tenant or dataset folder below `parent`; a refused one is warned about once
    /// (and counted) and skipped, a missing one skipped silently.
    fn open_folder(
        &mut self,
        parent: &Dir,
        name: &str,
        path: &Path,
        tenant: &TenantId,
        metrics: &Metrics,
        warned_now: &mut HashSet<PathBuf>,
    ) -> Option<Dir> {
        match parent.open_dir(name) {
            Ok(d) => Some(d),
            Err(DirError::Missing) => None,
            Err(DirError::Refused(r)) => {
                if self.warn_once(path, r.word(), warned_now) {
                    metrics.refused_folder(tenant.as_str(), r.word());
                    tracing::warn!(tenant = %tenant, folder = %path.display(), refusal = r.word(), "the folder is refused and never read: {r}; make it a plain directory");
                }
                None
            }
            Err(DirError::Io(e)) => {
                if self.warn_once(path, "unreadable", warned_now) {
                    tracing::warn!(tenant = %tenant, folder = %path.display(), error = %e.kind(), "the folder cannot be opened");
                }
                None
            }
        }
    }

    /// Whether `path` is newly wrong in this way (then the caller warns); keeps it warned.
    fn warn_once(&mut self, path: &Path, what: &'static str, warned_now: &mut HashSet<PathBuf>) -> bool {
        warned_now.insert(path.to_path_buf());
        self.warned.insert(path.to_path_buf(), what) != Some(what)
    }

    /// Forgets files no longer present and warnings whose cause went away.
    fn retain(&mut self, present: &HashSet<PathBuf>, warned_now: &HashSet<PathBuf>) {
        self.seen.retain(|p, _| present.contains(p));
        self.warned.retain(|p, _| warned_now.contains(p));
    }

    fn warn_unknown(
        &mut self,
        dir: &Dir,
        path: &Path,
        known: impl Fn(&str) -> bool,
        what: &str,
        warned_now: &mut HashSet<PathBuf>,
    ) {
        let Ok(entries) = dir.entries() else { return };
        for entry in entries {
            let name = entry.name;
            if name.to_str().is_some_and(&known) || is_upload_in_progress(&name) {
                continue;
            }
            if self.warn_once(&path.join(&name), "unknown", warned_now) {
                tracing::warn!(folder = %path.display(), name = %escape_name(&name), "`{}` is not a {what} in the configuration; it is ignored", escape_name(&name));
            }
        }
    }
}

/// Creates every configured drop folder, so customers see where to upload. A tenant or
/// dataset folder that exists as a symlink is left alone (the scan refuses it).
pub fn create_drop_folders(settings: &Settings) -> std::io::Result<()> {
    std::fs::create_dir_all(&settings.drop_dir)?;
    let root = Dir::open(&settings.drop_dir)?;
    for (tid, tenant) in settings.tenants.iter().filter(|(_, t)| t.places.drop_store.is_none()) {
        for did in tenant.datasets.keys() {
            match root.create_dir_all(&format!("{tid}/{did}")) {
                Ok(_) | Err(DirError::Refused(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

/// Starts the notification hint: any event wakes the scanner; an overflow or an error sets
/// `rescan` (counted as a full rescan). Without notifications the periodic scan still works.
pub fn start_notify(
    drop_dir: &Path,
    wake: Arc<tokio::sync::Notify>,
    rescan: Arc<AtomicBool>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let handler = move |res: notify::Result<notify::Event>| {
        match res {
            Ok(ev) if !ev.need_rescan() => {}
            _ => rescan.store(true, Ordering::Relaxed),
        }
        wake.notify_one();
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "file notifications are unavailable; relying on periodic scans");
            return None;
        }
    };
    if let Err(e) = watcher.watch(drop_dir, notify::RecursiveMode::Recursive) {
        tracing::warn!(error = %e, "file notifications are unavailable; relying on periodic scans");
        return None;
    }
    Some(watcher)
}

/// Ready candidates queued per tenant, handed out round-robin so a burst from one tenant
/// does not starve another. Bounded: past `PER_TENANT` queued files a tenant's further ready
/// files simply stay in its drop folder (the real queue) until a later scan.
#[derive(Debug, Default)]
pub struct FairQueue {
    queues: BTreeMap<TenantId, std::collections::VecDeque<Candidate>>,
    queued: HashSet<PathBuf>,
    last: Option<TenantId>,
}

const PER_TENANT: usize = 1024;

impl FairQueue {
    /// Adds candidates not queued already and not in `busy`, up to the per-tenant bound.
    pub fn extend(&mut self, ready: Vec<Candidate>, busy: &HashSet<PathBuf>) {
        for c in ready {
            let q = self.queues.entry(c.tenant.clone()).or_default();
            if q.len() >= PER_TENANT || busy.contains(&c.path) || !self.queued.insert(c.path.clone()) {
                continue;
            }
            q.push_back(c);
        }
    }

    /// The next candidate: the next tenant after the last one served that has work.
    pub fn pop(&mut self) -> Option<Candidate> {
        let next = match &self.last {
            Some(last) => self
                .queues
                .range((std::ops::Bound::Excluded(last.clone()), std::ops::Bound::Unbounded))
                .chain(self.queues.range(..=last.clone()))
                .find(|(_, q)| !q.is_empty())
                .map(|(t, _)| t.clone()),
            None => self.queues.iter().find(|(_, q)| !q.is_empty()).map(|(t, _)| t.clone()),
        }?;
        let c = self.queues.get_mut(&next)?.pop_front()?;
        self.queued.remove(&c.path);
        self.last = Some(next);
        Some(c)
    }

    pub fn len(&self) -> usize {
        self.queued.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queued.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(t: &str, n: &str) -> Candidate {
        Candidate {
            tenant: crate::daemon::config::test_tenant(t),
            dataset: crate::daemon::config::test_dataset("d"),
            path: PathBuf::from(format!("/{t}/{n}")),
            name: n.into(),
            folder: (0, 0),
            stamp: (0, 0, 0, 0),
            first_seen: Instant::now(),
            object: None,
        }
    }

    #[test]
    fn fair_queue_alternates_tenants() {
        let mut q = FairQueue::default();
        let mut ready: Vec<_> = (0..5).map(|i| cand("a", &i.to_string())).collect();
        ready.push(cand("b", "x"));
        ready.push(cand("b", "y"));
        q.extend(ready.clone(), &HashSet::new());
        q.extend(ready, &HashSet::new()); // queued once
        let order: Vec<String> = std::iter::from_fn(|| q.pop()).map(|c| c.path.display().to_string()).collect();
        assert_eq!(order, ["/a/0", "/b/x", "/a/1", "/b/y", "/a/2", "/a/3", "/a/4"]);
    }

    #[test]
    fn fair_queue_is_bounded_per_tenant() {
        let mut q = FairQueue::default();
        q.extend((0..PER_TENANT + 10).map(|i| cand("a", &i.to_string())).collect(), &HashSet::new());
        q.extend(vec![cand("b", "x")], &HashSet::new());
        assert_eq!(q.len(), PER_TENANT + 1);
    }
}
