//! The failpoint matrix: the daemon is crashed (process abort, as `kill -9` would: no
//! destructor runs, nothing is flushed) at every crash point between claim and done, then
//! restarted, and the invariants are checked: exactly one output or quarantine per file,
//! one terminal audit record per import, audit chains intact, no orphan outputs or
//! temporary files, every input disposed, no unfinished import left in the ledger.
//! The crash points are `crash_point!` in importd's source (compiled into test builds only),
//! switched on through the `FAILPOINTS` environment variable of the `fail` crate.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output};

use crate::site::*;
use crate::support::{importd_path, stderr};

/// Each row: what is crashed, and the `FAILPOINTS` of each run that must crash (a clean run
/// follows). `N*off->return` crashes at the (N+1)-th time the point is reached.
const MATRIX: &[(&str, &[&str])] = &[
    ("after the claim is recorded, before the rename", &["claim.after_record=return"]),
    ("after the claim is recorded, right before the rename", &["claim.before_rename=return"]),
    ("after the claim's rename", &["claim.after_rename=return"]),
    ("after `started` is recorded", &["job.after_started=return"]),
    ("after `publishing` is recorded, before the rename", &["job.before_publish=return"]),
    ("output fsynced, before the rename", &["publish.before_rename=return"]),
    ("right after the publish rename (the commit point)", &["publish.after_rename=return"]),
    ("published, before `committed` is recorded", &["job.after_publish=return"]),
    ("after `committed` is recorded", &["job.after_committed=return"]),
    ("after the terminal audit record", &["dispose.after_audit=return"]),
    ("after the input is disposed", &["dispose.after_input=return"]),
    ("before `done` is recorded", &["dispose.before_done=return"]),
    ("after `quarantined` is recorded", &["dispose.after_quarantined_recorded=return"]),
    ("after reason.json is written", &["dispose.after_reason=return"]),
    ("after the input moved to quarantine", &["dispose.after_quarantine_move=return"]),
    ("after the 1st ledger step", &["ledger.after_append=return"]),
    ("after the 4th ledger step", &["ledger.after_append=3*off->return"]),
    ("after the 9th ledger step", &["ledger.after_append=8*off->return"]),
    ("after the 14th ledger step", &["ledger.after_append=13*off->return"]),
    ("before the 6th ledger step is written", &["ledger.append=5*off->return(abort)"]),
    // The first record of each tenant's log is `daemon_started`; import records follow.
    ("after the first audit record of an import", &["audit.after_append=2*off->return"]),
    ("after the 4th audit record of the run", &["audit.after_append=3*off->return"]),
    ("after the 6th audit record of the run", &["audit.after_append=5*off->return"]),
    ("during recovery, after its first step", &["job.after_started=return", "recover.after_step=return"]),
    (
        "twice in a row: before publishing, then at the commit point",
        &["job.before_publish=return", "publish.after_rename=return"],
    ),
];

fn serve_once(site: &Site, failpoints: Option<&str>) -> Output {
    let mut cmd = Command::new(importd_path());
    cmd.args(["serve", "--config", "importd.toml", "--once"]).current_dir(site.dir.path());
    match failpoints {
        Some(f) => cmd.env("FAILPOINTS", f),
        None => cmd.env_remove("FAILPOINTS"),
    };
    let out = cmd.output().expect("run serve --once");
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    site.write(&format!("logs/crash-{n}.log"), &out.stderr);
    out
}

/// Restarts without crash points: the first run finishes what is left (exit 1 if it
/// quarantined the broken file), a second one must find nothing to do.
fn restart(site: &Site, what: &str) {
    let out = serve_once(site, None);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{what}: the restart failed:\n{}", stderr(&out));
    let again = serve_once(site, None);
    assert_eq!(again.status.code(), Some(0), "{what}: a second restart still had work:\n{}", stderr(&again));
}

/// acme: a good file, a byte-identical duplicate of it, a broken file; globex: a good file.
fn drop_files(site: &Site) {
    let good = orders_csv("acme-a", 30);
    site.drop_file("acme", "a.csv", &good);
    site.drop_file("acme", "b.csv", &good);
    let mut broken = orders_csv("acme-c", 3);
    broken.extend_from_slice(b"ragged\n");
    site.drop_file("acme", "c.csv", &broken);
    site.drop_file("globex", "g.csv", &orders_csv("globex-g", 20));
}

/// Every invariant of the matrix, for the files of [`drop_files`].
fn assert_invariants(site: &Site, what: &str) {
    for (tenant, prefix, rows) in [("acme", "acme-a", 30), ("globex", "globex-g", 20)] {
        let stored = site.stored_ids(tenant);
        let expected: BTreeMap<String, usize> = expected_ids(prefix, rows).map(|id| (id, 1)).collect();
        assert_eq!(stored, expected, "{what}: {tenant}'s stored rows are not each file's rows exactly once");
        assert_eq!(site.outputs(tenant).len(), 1, "{what}: {tenant} has orphan or duplicate outputs");
        let out = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", tenant]);
        assert!(out.status.success(), "{what}: {tenant}'s audit chain: {}", stderr(&out));
        assert!(site.files(&format!("drop/{tenant}")).is_empty(), "{what}: {tenant}'s input was not disposed");
    }
    let acme = site.audit_terminals("acme");
    let want: BTreeMap<String, usize> =
        [("committed", 1), ("duplicate_skipped", 1), ("quarantined", 1)].map(|(k, v)| (k.to_string(), v)).into();
    assert_eq!(acme, want, "{what}: acme's terminal audit records");
    assert_eq!(site.audit_terminals("globex").get("committed"), Some(&1), "{what}: globex's terminal audit records");
    let reasons = site.reasons("acme");
    assert_eq!(reasons.len(), 1, "{what}: quarantine");
    assert_eq!(reasons[0]["kind"], "input", "{what}: {}", reasons[0]);
    let quarantined: Vec<_> = site.files("state/quarantine");
    assert_eq!(quarantined.len(), 2, "{what}: quarantine holds reason.json and the input only: {quarantined:?}");
    assert!(site.files("state/processing").is_empty(), "{what}: processing/ is not empty");
    let stray: Vec<_> =
        site.files("storage").into_iter().filter(|p| p.extension().is_none_or(|e| e != "parquet")).collect();
    assert!(stray.is_empty(), "{what}: temporary files in storage: {stray:?}");
    let db = rusqlite::Connection::open(site.path("state/ledger.sqlite")).expect("ledger");
    let unfinished: i64 = db.query_row("SELECT count(*) FROM imports WHERE finished = 0", [], |r| r.get(0)).expect("q");
    assert_eq!(unfinished, 0, "{what}: unfinished imports left in the ledger");
    assert_no_canary(site);
}

/// Every stored output with its inode.
fn inodes(site: &Site) -> BTreeMap<std::path::PathBuf, u64> {
    use std::os::unix::fs::MetadataExt;
    TENANTS
        .iter()
        .flat_map(|t| site.outputs(t))
        .map(|p| {
            let ino = std::fs::metadata(&p).expect("stat output").ino();
            (p, ino)
        })
        .collect()
}

#[test]
fn a_crash_at_every_crash_point_then_a_restart_keeps_every_promise() {
    for (what, runs) in MATRIX {
        let site = Site::new("workers = 2");
        drop_files(&site);
        for failpoints in runs.iter() {
            let out = serve_once(&site, Some(failpoints));
            assert_eq!(
                out.status.signal(),
                Some(6),
                "{what}: `{failpoints}` was never reached (exit {:?}); the row proves nothing:\n{}",
                out.status.code(),
                stderr(&out)
            );
        }
        // Whatever was published before the crash is never deleted or replaced afterwards.
        let published = inodes(&site);
        restart(&site, what);
        let after = inodes(&site);
        for (path, ino) in &published {
            assert_eq!(
                after.get(path),
                Some(ino),
                "{what}: {} was deleted or replaced after the crash",
                path.display()
            );
        }
        assert_invariants(&site, what);
    }
}

/// A panic (contained, the daemon goes on) once an output may be published never turns the
/// import into a quarantined one: it is settled or finished again.
#[test]
fn a_panic_after_publishing_is_finished_not_quarantined() {
    for point in ["job.after_publish", "job.after_committed", "dispose.after_audit", "dispose.before_done"] {
        let what = format!("a panic at {point}");
        let site = Site::new("workers = 2");
        drop_files(&site);
        let out = serve_once(&site, Some(&format!("{point}=1*panic->off")));
        assert!(matches!(out.status.code(), Some(0 | 1)), "{what}: {}", stderr(&out));
        assert!(stderr(&out).contains("internal error (panic) while finishing an import"), "{what}: {}", stderr(&out));
        restart(&site, &what);
        assert_invariants(&site, &what);
    }
}

/// A file that crashes the daemon on every attempt (as one that exhausts memory would) stops
/// crash-looping: after `max_attempts` interrupted attempts it is quarantined, kept whole, with
/// a reason that says so, and the next start does not run it again. (Crashes from outside
/// count the same, which is why the kill -9 tests raise `max_attempts`.)
#[test]
fn a_file_that_crashes_the_daemon_every_time_is_quarantined_after_max_attempts() {
    let site = Site::new("workers = 1\nmax_attempts = 3");
    let body = orders_csv("acme-p", 12);
    site.drop_file("acme", "p.csv", &body);
    for n in 1..=3 {
        let out = serve_once(&site, Some("job.after_started=return"));
        assert_eq!(out.status.signal(), Some(6), "attempt {n} did not crash: {}", stderr(&out));
    }
    // The crash point is still armed: the file is quarantined before it could run again.
    let out = serve_once(&site, Some("job.after_started=return"));
    assert_eq!(out.status.code(), Some(1), "the fourth start: {}", stderr(&out));
    let reasons = site.reasons("acme");
    assert_eq!(reasons.len(), 1, "quarantine: {reasons:?}");
    assert_eq!(reasons[0]["kind"], "attempts_exhausted", "{}", reasons[0]);
    let message = reasons[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("started 3 times") && message.contains("interrupted"), "{message}");
    let kept: Vec<_> = site.files("state/quarantine").into_iter().filter(|p| !p.ends_with("reason.json")).collect();
    assert_eq!(kept.len(), 1, "the original is kept: {kept:?}");
    assert_eq!(std::fs::read(&kept[0]).expect("read the kept original"), body, "the original is kept whole");
    assert!(site.outputs("acme").is_empty(), "a crashing file published output");
    assert_eq!(site.ledger_steps("started"), 3, "the file ran again after it was quarantined");
    restart(&site, "after the quarantine");
    assert_no_canary(&site);
}

/// A crash while reason.json is being written leaves its temporary file; recovery removes it.
#[test]
fn a_crash_while_writing_a_reason_leaves_no_temporary_file() {
    let site = Site::new("");
    let mut broken = orders_csv("acme-c", 3);
    broken.extend_from_slice(b"ragged\n");
    site.drop_file("acme", "c.csv", &broken);
    let out = serve_once(&site, Some("publish.before_rename=return"));
    assert_eq!(out.status.signal(), Some(6), "the crash point was never reached: {}", stderr(&out));
    assert!(
        site.files("state/quarantine").iter().any(|p| p.to_string_lossy().ends_with(".tmp")),
        "no temp file to clean"
    );
    restart(&site, "a crash while writing reason.json");
    let left: Vec<_> = site.files("state/quarantine");
    assert_eq!(left.len(), 2, "reason.json and the input only: {left:?}");
    assert_eq!(site.reasons("acme").len(), 1);
}

/// Runs the files of [`drop_files`] with `points`, expects the run to end with one of
/// `codes` and to say each of `says`, then restarts and checks every invariant.
fn fail_then_restart(what: &str, points: &str, codes: &[i32], says: &[&str]) {
    let site = Site::new("workers = 2");
    drop_files(&site);
    let out = serve_once(&site, Some(points));
    let code = out.status.code().unwrap_or(-1);
    assert!(codes.contains(&code), "{what}: exit {code}:\n{}", stderr(&out));
    for text in says {
        assert!(stderr(&out).contains(text), "{what}: never said {text:?}:\n{}", stderr(&out));
    }
    restart(&site, what);
    assert_invariants(&site, what);
}

/// `point=N*off->action` (the (N+1)-th time), or `point=action` for the first.
fn nth(point: &str, n: usize, action: &str) -> String {
    if n == 0 {
        format!("{point}={action}")
    } else {
        format!("{point}={n}*off->{action}")
    }
}

#[test]
fn a_failed_folder_fsync_stops_the_daemon_and_a_restart_finishes() {
    // A folder's fsync fails (after a claim, a publish, a move to quarantine, …): the daemon
    // stops at once, exit 1, and a restart finishes everything.
    for n in [0, 2, 5, 8] {
        let what = format!("a failed folder fsync, number {}", n + 1);
        fail_then_restart(&what, &nth("store.dir_sync", n, "return"), &[1], &["a folder could not be fsynced"]);
    }
}

#[test]
fn a_failed_ledger_write_is_retried_and_a_failed_fsync_stops_the_daemon() {
    // The first two writes fail (disk full, say): nothing of them is recorded, the claims
    // wait in the drop folder.
    let what = "failed ledger writes";
    fail_then_restart(what, "ledger.append=2*return(write)", &[0, 1], &["the ledger could not be written"]);
    // One write fails in the middle of the imports (a start, a publishing, a commit, a done):
    // the step is not recorded, the import is rolled back or resumed, and lands once.
    for n in [2, 4, 6, 8, 10, 12, 14, 16] {
        let what = format!("a failed write at ledger step {}", n + 1);
        fail_then_restart(&what, &nth("ledger.append", n, "1*return(write)"), &[0, 1], &["injected write failure"]);
    }
    // The N-th step's fsync fails (claims, starts, publishing, committed, done: all come by
    // in these runs): the daemon stops at once, exit 1, loudly; a restart finishes everything.
    for n in [0, 2, 4, 6, 8, 10, 12, 14] {
        let what = format!("a failed fsync at ledger step {}", n + 1);
        let says = ["importd stopped without taking more files", "injected fsync failure"];
        fail_then_restart(&what, &nth("ledger.append", n, "return(fsync)"), &[1], &says);
    }
}
