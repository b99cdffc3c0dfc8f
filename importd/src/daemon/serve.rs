//! `importd serve`: validate the configuration, recover, then loop: scan the drop folders
//! (woken early by notifications), reload changed rule files, hand ready files to workers
//! fairly across tenants, and on SIGTERM/SIGINT stop intake, let running imports finish
//! within the grace period (or roll them back), and exit 0.
//!
//! The loop runs on tokio; each import runs on a blocking thread and transforms on the shared
//! rayon pool, never on the async runtime.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, Notify};

use crate::daemon::config::{FileStamp, LoadedRules, Settings};
use crate::daemon::job::{run_job, Work};
use crate::daemon::kept_rules;
use crate::daemon::ledger::ImportId;
use crate::daemon::outcome::Outcome;
use crate::daemon::state::Daemon;
use crate::daemon::watch::{FairQueue, Scanner};
use crate::exit::Failure;

/// Runs the daemon on validated settings until a signal (or, with `once`, until the drop
/// folders are empty).
pub fn run(settings: Settings, once: bool) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(settings.workers + 8)
        .thread_name("importd-io")
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("error: cannot start the runtime ({})", e.kind())))?;
    runtime.block_on(serve(settings, once))
}

async fn serve(settings: Settings, once: bool) -> Result<(), Failure> {
    crate::daemon::watch::create_drop_folders(&settings)
        .map_err(|e| Failure::runtime(format!("error: cannot create the drop folders ({})", e.kind())))?;
    // Off the async threads: the ledger and the object store block (the PostgreSQL client
    // runs its own small runtime, which must not start inside this one).
    let d = Arc::new(tokio::task::block_in_place(|| Daemon::open(settings))?);
    let rd = d.clone();
    let resume = tokio::task::spawn_blocking(move || crate::daemon::recover::recover(&rd))
        .await
        .map_err(|_| Failure::runtime("error: recovery stopped with an internal error"))?
        .map_err(|e| {
            Failure::runtime(format!(
                "error: recovery failed ({}); nothing was changed by it that a restart cannot redo",
                e.kind()
            ))
        })?;
    tokio::task::block_in_place(|| d.audit_all("daemon_started"));
    tracing::info!(
        tenants = d.settings.tenants.len(),
        workers = d.settings.workers,
        resumed = resume.len(),
        once,
        "importd is running"
    );
    if let Some(addr) = d.settings.metrics_addr {
        let metrics = d.metrics.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::daemon::telemetry::metrics::serve(addr, metrics).await {
                tracing::error!(addr = %addr, error = %e.kind(), "cannot serve metrics");
            }
        });
    }
    let wake = Arc::new(Notify::new());
    let rescan = Arc::new(AtomicBool::new(true));
    let _watcher = crate::daemon::watch::start_notify(&d.settings.drop_dir, wake.clone(), rescan.clone());
    let mut sigterm =
        signal(SignalKind::terminate()).map_err(|e| Failure::runtime(format!("error: signals ({})", e.kind())))?;
    let mut sigint =
        signal(SignalKind::interrupt()).map_err(|e| Failure::runtime(format!("error: signals ({})", e.kind())))?;

    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(Option<PathBuf>, Outcome)>();
    let mut scanner = Scanner::new(d.settings.settle);
    let mut queue = FairQueue::default();
    let mut claiming: HashSet<PathBuf> = HashSet::new();
    let now = Instant::now();
    let mut resumes: Vec<(Instant, ImportId)> = resume.into_iter().map(|id| (now, id)).collect();
    let mut refused_rules: HashMap<PathBuf, FileStamp> = HashMap::new();
    // Files whose claim failed: not offered again before the instant, backoff doubling.
    let mut held: HashMap<PathBuf, (Instant, Duration)> = HashMap::new();
    let mut running = 0usize;
    let mut quarantined = 0usize;
    let mut settling = usize::MAX; // unknown until the first scan
    let mut next_scan = now;
    let mut last_scan = now;
    // Retention runs at the first scan, then hourly.
    let mut last_prune: Option<Instant> = None;
    let mut stopping: Option<tokio::time::Instant> = None;
    // Whether `resumes` holds only finishing imports (looked up once the stop began).
    let mut filtered = false;
    let mut paused = false;
    let mut disk_paused = false;
    let shared = d.shared();
    d.metrics.ledger_up.store(true, Ordering::Relaxed);
    d.metrics.ready.store(true, Ordering::Relaxed);
    if shared {
        // Leases are renewed a few times per lease by a task of their own, so a long scan
        // (a slow object store, many datasets) never lets them run out; one round at a time.
        let rd = d.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(rd.settings.cluster.lease / 4);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let r = rd.clone();
                let _ = tokio::task::spawn_blocking(move || renew(&r)).await;
            }
        });
    }

    loop {
        let now = Instant::now();
        if stopping.is_none() && now >= next_scan {
            if rescan.swap(false, Ordering::Relaxed) {
                d.metrics.rescans.fetch_add(1, Ordering::Relaxed);
            }
            let scan = tokio::task::block_in_place(|| {
                reload_rings(&d);
                reload_rules(&d, &mut refused_rules);
                scanner.scan(&d.settings, &d.metrics)
            });
            d.metrics.scans.fetch_add(1, Ordering::Relaxed);
            last_scan = now;
            // Local files that are gone need no backoff; an object's key is kept until its
            // backoff ends (it cannot be looked up from here).
            held.retain(|p, (until, _)| if p.starts_with("s3:") { *until > now } else { p.exists() });
            let mut busy = claiming.clone();
            busy.extend(held.iter().filter(|(_, (until, _))| *until > now).map(|(p, _)| p.clone()));
            queue.extend(scan.ready, &busy);
            settling = scan.settling;
            d.metrics.queue_depth.store((queue.len() + scan.settling) as u64, Ordering::Relaxed);
            let oldest = scan.oldest.map_or(0, |t| t.elapsed().as_millis() as u64);
            d.metrics.oldest_pending_ms.store(oldest, Ordering::Relaxed);
            next_scan = now + d.settings.scan_interval;
            if let Some(t) = scan.next_ready {
                next_scan = next_scan.min(t);
            }
            let low = tokio::task::block_in_place(|| disk_low(&d));
            if low != disk_paused {
                disk_paused = low;
                d.metrics.intake_paused.store(low, Ordering::Relaxed);
                if low {
                    tracing::warn!(
                        min_free_mb = d.settings.min_free_bytes >> 20,
                        "free disk space is below the reserve; intake is paused"
                    );
                } else {
                    tracing::info!("free disk space is back above the reserve; intake resumes");
                }
            }
            if shared {
                let up = tokio::task::block_in_place(|| d.ping());
                if up != d.metrics.ledger_up.swap(up, Ordering::Relaxed) {
                    if up {
                        tracing::info!("the ledger answers again; intake resumes");
                    } else {
                        tracing::warn!("the ledger does not answer; intake is paused until it does");
                    }
                }
                if up && running < d.settings.workers && !disk_paused {
                    let limit = d.settings.workers - running;
                    match tokio::task::block_in_place(|| d.take_over(limit)) {
                        Ok(taken) => {
                            d.metrics.takeovers.fetch_add(taken.len() as u64, Ordering::Relaxed);
                            for id in taken.into_iter().filter(|id| id.is_safe()) {
                                tracing::info!(import_id = %id, "took over an import whose daemon's lease ran out");
                                resumes.push((now, id));
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "could not look for imports to take over"),
                    }
                }
            }
            paused = disk_paused || (shared && !d.metrics.ledger_up.load(Ordering::Relaxed));
            d.metrics.ready.store(!paused, Ordering::Relaxed);
            if last_prune.is_none_or(|t| now.duration_since(t) > Duration::from_secs(3600)) {
                last_prune = Some(now);
                tokio::task::block_in_place(|| crate::daemon::dispose::prune_kept(&d));
            }
        }
        if stopping.is_none() && d.fatal_problem().is_some() {
            // A durability failure: take no more files; running imports are cancelled.
            stopping = Some(begin_shutdown(&d, "a durability failure", running));
        }
        if stopping.is_some() {
            // Only imports that are past their commit point's record go on: they finish
            // (commit, audit, dispose) within the grace period. The others wait for the
            // next start's recovery. Looked up once, and again after a retry is queued.
            if !filtered {
                tokio::task::block_in_place(|| {
                    resumes
                        .retain(|(_, id)| d.import(id).ok().flatten().is_some_and(|st| st.phase.past_commit_record()))
                });
                filtered = true;
            }
        }
        let taking = match stopping {
            None => !paused,
            Some(_) => !d.cancel.load(Ordering::Relaxed),
        };
        if taking {
            while running < d.settings.workers {
                let due = resumes.iter().position(|(t, _)| *t <= now);
                let work = match (due, stopping.is_some()) {
                    (Some(i), true) => Work::Finish(resumes.swap_remove(i).1),
                    (Some(i), false) => Work::Resume(resumes.swap_remove(i).1),
                    (None, false) => match queue.pop() {
                        Some(c) => {
                            claiming.insert(c.path.clone());
                            Work::New(c)
                        }
                        None => break,
                    },
                    (None, true) => break,
                };
                let path = match &work {
                    Work::New(c) => Some(c.path.clone()),
                    Work::Resume(_) | Work::Finish(_) => None,
                };
                running += 1;
                let (dj, tx) = (d.clone(), done_tx.clone());
                tokio::task::spawn_blocking(move || {
                    let outcome = run_job(&dj, work);
                    let _ = tx.send((path, outcome));
                });
            }
        }
        d.metrics.running.store(running as u64, Ordering::Relaxed);
        if stopping.is_some() && running == 0 && (resumes.is_empty() || d.cancel.load(Ordering::Relaxed)) {
            break;
        }
        if once && stopping.is_none() && running == 0 && queue.is_empty() && resumes.is_empty() && settling == 0 {
            break;
        }
        if once && disk_paused && running == 0 {
            tokio::task::block_in_place(|| d.audit_all("daemon_stopped"));
            return Err(Failure::runtime(
                "error: free disk space is below the reserve (min_free_mb); nothing more was imported",
            ));
        }
        // A resume can only start in a free worker (whose end wakes the loop anyway).
        let can_start = running < d.settings.workers && !d.cancel.load(Ordering::Relaxed);
        let next_resume = resumes.iter().map(|r| r.0).min().filter(|_| can_start).unwrap_or(next_scan);
        // While stopping, no scans: only a finishing import's resume wakes the loop.
        let deadline =
            tokio::time::Instant::from_std(if stopping.is_some() { next_resume } else { next_scan.min(next_resume) });
        let resume_timer = stopping.is_none() || (can_start && !resumes.is_empty());
        let grace_over = stopping.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400));
        tokio::select! {
            Some((path, outcome)) = done_rx.recv() => {
                running -= 1;
                if let Some(p) = &path {
                    claiming.remove(p);
                }
                match (outcome, path) {
                    (Outcome::Retry { id, delay }, _) => {
                        resumes.push((Instant::now() + delay, id));
                        filtered = false;
                    }
                    (Outcome::Quarantined, _) => quarantined += 1,
                    (Outcome::NotClaimed(why), Some(p)) => hold(&mut held, p, &why),
                    _ => {}
                }
            }
            _ = wake.notified(), if stopping.is_none() => {
                // Debounce: a burst of events (our own claims included) becomes one scan, and
                // scans stay at least 100 ms apart.
                let soonest = (Instant::now() + Duration::from_millis(20)).max(last_scan + Duration::from_millis(100));
                next_scan = next_scan.min(soonest);
            }
            _ = tokio::time::sleep_until(deadline), if resume_timer => {}
            _ = sigterm.recv(), if stopping.is_none() => stopping = Some(begin_shutdown(&d, "SIGTERM", running)),
            _ = sigint.recv(), if stopping.is_none() => stopping = Some(begin_shutdown(&d, "SIGINT", running)),
            _ = tokio::time::sleep_until(grace_over), if stopping.is_some() && !d.cancel.load(Ordering::Relaxed) => {
                tracing::warn!(running, "the shutdown grace period is over; running imports are rolled back");
                d.cancel.store(true, Ordering::Relaxed);
            }
        }
    }
    if let Some(problem) = d.fatal_problem() {
        return Err(Failure::runtime(format!(
            "error: {problem}; importd stopped without taking more files. Fix the cause and start it again: recovery finishes every interrupted import"
        )));
    }
    tokio::task::block_in_place(|| d.audit_all("daemon_stopped"));
    tracing::info!(quarantined, "importd stopped");
    if once && !held.is_empty() {
        return Err(Failure::runtime(format!(
            "error: {} file(s) could not be claimed (is {} writable?); they stay in the drop folders",
            held.len(),
            d.settings.state_dir.display()
        )));
    }
    if once && quarantined > 0 {
        return Err(Failure::runtime(format!(
            "error: {quarantined} file(s) could not be imported and were quarantined under {}",
            d.settings.state_dir.join("quarantine").display()
        )));
    }
    Ok(())
}

/// One round of lease renewals; the imports whose lease was lost are told to stop.
fn renew(d: &Daemon) {
    match d.renew() {
        Ok(lost) => {
            d.metrics.lease_renewals.fetch_add(1, Ordering::Relaxed);
            for id in lost {
                tracing::warn!(import_id = %id, "the lease of a running import was lost to another daemon; it stops without publishing");
            }
        }
        Err(e) => tracing::warn!(error = %e, "the leases could not be renewed"),
    }
}

/// Holds back a file whose claim failed, with a doubling backoff (1 s … 60 s); warns on the
/// first failure and whenever the backoff doubles, not on every scan.
fn hold(held: &mut HashMap<PathBuf, (Instant, Duration)>, path: PathBuf, why: &str) {
    let backoff = held.get(&path).map_or(Duration::from_secs(1), |(_, b)| (*b * 2).min(Duration::from_secs(60)));
    let name = path.file_name().map(crate::daemon::intake::escape_name).unwrap_or_default();
    tracing::warn!(file = %name, error = %why, retry_in_s = backoff.as_secs(), "could not claim the file; it stays in the drop folder and is tried again");
    held.insert(path, (Instant::now() + backoff, backoff));
}

fn begin_shutdown(d: &Daemon, signal: &str, running: usize) -> tokio::time::Instant {
    d.metrics.ready.store(false, Ordering::Relaxed);
    tracing::info!(
        signal,
        running,
        grace_ms = d.settings.shutdown_grace.as_millis() as u64,
        "stopping: no new files are taken; running imports may finish"
    );
    tokio::time::Instant::now() + d.settings.shutdown_grace
}

/// Re-reads rule files whose size, mtime or inode changed; a valid new version is swapped in
/// and audited, a broken one is refused (once per version) and the old one stays.
fn reload_rules(d: &Daemon, refused: &mut HashMap<PathBuf, FileStamp>) {
    for tenant in d.settings.tenants.values() {
        for ds in tenant.datasets.values() {
            let Ok(stamp) = FileStamp::of(&ds.rules_path) else { continue };
            let loaded = ds.rules.read().map(|g| g.clone()).unwrap_or_else(|p| p.into_inner().clone());
            if stamp == loaded.stamp || refused.get(&ds.rules_path) == Some(&stamp) {
                continue;
            }
            match crate::daemon::kept_rules::read(&ds.rules_path) {
                Ok((rules, source)) => {
                    refused.remove(&ds.rules_path);
                    let (old, new) = (loaded.rules.sha256.clone(), rules.sha256.clone());
                    let name = rules.shown_name();
                    // Kept before it is in force: an output written under it can be searched.
                    let kept = kept_rules::path(&d.settings.state_dir, tenant.id.as_str(), ds.id.as_str(), &new);
                    if let Err(e) = kept_rules::keep(&kept, &source) {
                        tracing::error!(tenant = %tenant.id, dataset = %ds.id, file = %kept.display(), error = %e.kind(), "the rule file version cannot be kept; the previous rules stay in force");
                        continue;
                    }
                    let next = LoadedRules { rules: Arc::new(rules), stamp, source };
                    match ds.rules.write() {
                        Ok(mut g) => *g = next,
                        Err(p) => *p.into_inner() = next,
                    }
                    if old == new {
                        continue; // touched, not changed
                    }
                    tracing::info!(tenant = %tenant.id, dataset = %ds.id, rules_sha256 = %new, "the rule file changed; the new version is in force");
                    let mut body = Map::new();
                    body.insert("dataset".into(), json!(ds.id.as_str()));
                    body.insert("rules_sha256".into(), json!(new));
                    body.insert("previous_rules_sha256".into(), json!(old));
                    body.insert("rules_name".into(), json!(name));
                    if let Err(e) = d.audit(&tenant.id, "rules_reloaded", body) {
                        tracing::error!(tenant = %tenant.id, error = %e.kind(), "could not write the audit record `rules_reloaded`");
                    }
                }
                Err(text) => {
                    refused.insert(ds.rules_path.clone(), stamp);
                    // Headlines only (`file:line:col: error: …`): the source excerpts below
                    // them may quote an author's example values.
                    let headlines: Vec<&str> = text.lines().filter(|l| l.contains("error:")).collect();
                    tracing::error!(tenant = %tenant.id, dataset = %ds.id, file = %ds.rules_path.display(), problems = %headlines.join(" | "), "the changed rule file has errors and is refused; the previous rules stay in force");
                }
            }
        }
    }
}

/// Re-reads key rings whose `ring.json` changed (`keys rotate`): new imports use the new
/// active key, and the audit chain goes on under it. A ring that no longer loads is refused
/// (once per version) and the one in force stays.
fn reload_rings(d: &Daemon) {
    for tenant in d.settings.tenants.values() {
        match tenant.refresh_ring() {
            Ok(None) => {}
            Ok(Some((before, after))) => {
                tracing::info!(tenant = %tenant.id, key_id = %after, previous_key_id = %before, "the key ring changed; new imports use the new active key");
            }
            Err(e) => {
                tracing::error!(tenant = %tenant.id, problem = %e, "the changed key ring cannot be used and is refused; the keys in force stay");
            }
        }
    }
}

/// Whether the storage or state filesystem has less free space than the reserve.
fn disk_low(d: &Daemon) -> bool {
    [&d.settings.storage_dir, &d.settings.state_dir].iter().any(|dir| {
        rustix::fs::statvfs(dir.as_path())
            .map(|s| s.f_bavail.saturating_mul(s.f_frsize) < d.settings.min_free_bytes)
            .unwrap_or(false)
    })
}
