//! Fault injection in the daemon: a full disk while writing output (a small tmpfs), a
//! failing fsync (debug-build hook), the state directory read-only, the storage directory
//! removed while running, a graceful stop while a published import's commit is put off. Each ends with no partial output, the import retried, a clear log
//! line, and every row stored exactly once in the end. The mount tests need root; CI runs as
//! root: they are `#[ignore]`d with the reason, and CI runs them (`--include-ignored`, where
//! `IMPORTD_CI=1` makes a missing need a failure).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::site::*;
use crate::support::{has, skipped, stderr, Need};

/// Unmounts on drop.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Mounts for `test`; `None` (with a SKIPPED line, or a failure under CI) when it cannot.
fn mount(test: &str, args: &[&str], dir: &Path) -> Option<Mount> {
    if !has(test, Need::Root) {
        return None;
    }
    std::fs::create_dir_all(dir).unwrap();
    let ok = Command::new("mount").args(args).arg(dir).status().is_ok_and(|s| s.success());
    if !ok {
        skipped(test, "a working `mount` (root, but mounting failed: a container without CAP_SYS_ADMIN?)");
        return None;
    }
    Some(Mount(dir.to_path_buf()))
}

fn remount(dir: &Path, opts: &str) {
    let ok = Command::new("mount").args(["-o", opts]).arg(dir).status().unwrap().success();
    assert!(ok, "remount {opts} failed");
}

fn no_temp_or_partial_output(site: &Site, tenant: &str) {
    let visible: Vec<_> = site.files(&format!("storage/{tenant}"));
    assert!(
        visible.iter().all(|p| p.extension().is_some_and(|e| e == "parquet")),
        "temporary files visible: {visible:?}"
    );
}

#[test]
#[ignore = "needs root (mounts a small tmpfs); CI runs it (--include-ignored)"]
fn a_full_disk_while_writing_output_rolls_back_and_retries() {
    let site = Site::new("workers = 1\nmin_free_mb = 0\nmax_attempts = 50");
    let storage = site.path("storage");
    let Some(_m) = mount(
        "a_full_disk_while_writing_output_rolls_back_and_retries",
        &["-t", "tmpfs", "-o", "size=256k", "tmpfs"],
        &storage,
    ) else {
        return;
    };
    let mut child = site.spawn();
    site.drop_file("acme", "big.csv", &orders_csv("acme-big", 60_000));
    assert!(
        wait_until(Duration::from_secs(60), || site.logs().contains("writing the output failed (no storage space)")),
        "no log line about the full disk:\n{}",
        site.logs()
    );
    assert!(site.outputs("acme").is_empty(), "a partial output is visible");
    no_temp_or_partial_output(&site, "acme");
    remount(&storage, "remount,size=64m");
    assert!(
        wait_until(Duration::from_secs(60), || site.outputs("acme").len() == 1),
        "never committed after space came back"
    );
    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(30)).success());
    let stored = site.stored_ids("acme");
    assert_eq!(stored.len(), 60_000);
    assert!(stored.values().all(|n| *n == 1));
    no_temp_or_partial_output(&site, "acme");
    assert!(site.logs().contains("rolled back and retried"));
}

/// The state filesystem (shared by drop, state and storage) fills up while files arrive: the
/// ledger, audit and output writes fail and are rolled back; once space is freed every file
/// lands exactly once and the daemon never stopped.
#[test]
#[ignore = "needs root (mounts a small tmpfs and fills it); CI runs it (--include-ignored)"]
fn a_full_state_disk_mid_import_then_space_freed_lands_every_file_once() {
    let test = "a_full_state_disk_mid_import_then_space_freed_lands_every_file_once";
    let root = tempfile::tempdir().unwrap();
    let Some(_m) = mount(test, &["-t", "tmpfs", "-o", "size=24m", "tmpfs"], root.path()) else { return };
    let site = Site::in_dir(root, "workers = 2\nmin_free_mb = 0\nmax_attempts = 1000");
    // The daemon's log lives outside the filesystem that fills up.
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("serve.log");
    let mut child = Command::new(crate::support::importd_path())
        .args(["serve", "--config", "importd.toml"])
        .current_dir(site.dir.path())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(wait_until(Duration::from_secs(30), || read_log().contains("importd is running")), "{}", read_log());
    // Uploads in progress (never taken) while there is room ...
    let mut expected: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for n in 0..6 {
        let t = TENANTS[n % 2];
        let prefix = format!("{t}-full{n}");
        std::fs::write(site.drop_dir(t).join(format!("f{n}.csv.part")), orders_csv(&prefix, 3000)).unwrap();
        expected.entry(t).or_default().extend(expected_ids(&prefix, 3000));
    }
    // ... then the disk fills up ...
    let filler = site.path("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 << 10];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    }
    // ... and the uploads complete (a rename needs no space).
    for n in 0..6 {
        let dir = site.drop_dir(TENANTS[n % 2]);
        std::fs::rename(dir.join(format!("f{n}.csv.part")), dir.join(format!("f{n}.csv"))).unwrap();
    }
    let failed =
        |l: &str| l.contains("could not be written") || l.contains("no storage space") || l.contains("could not claim");
    assert!(
        wait_until(Duration::from_secs(60), || failed(&read_log())),
        "no write failed on the full disk:\n{}",
        read_log()
    );
    assert!(child.try_wait().unwrap().is_none(), "the daemon died on a full disk:\n{}", read_log());
    std::fs::remove_file(&filler).unwrap();
    let landed = || TENANTS.iter().map(|t| site.outputs(t).len()).sum::<usize>() == 6;
    assert!(
        wait_until(Duration::from_secs(120), landed),
        "not every file landed after space was freed:\n{}",
        read_log()
    );
    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(30)).success(), "{}", read_log());
    for (t, ids) in &expected {
        let stored = site.stored_ids(t);
        assert_eq!(stored.len(), ids.len(), "{t}: rows stored");
        assert!(stored.values().all(|n| *n == 1), "{t}: a row stored twice");
        assert_eq!(site.audit_terminals(t).get("committed"), Some(&3), "{t}: committed audit records");
        no_temp_or_partial_output(&site, t);
    }
    assert!(site.files("state/processing").is_empty());
}

#[test]
fn a_failing_fsync_never_publishes_and_the_import_is_retried() {
    let site = Site::new("");
    site.drop_file("acme", "a.csv", &orders_csv("acme-a", 500));
    let out = Command::new(crate::support::importd_path())
        .args(["serve", "--config", "importd.toml", "--once"])
        .env("FAILPOINTS", "publish.fsync=2*return")
        .current_dir(site.dir.path())
        .output()
        .unwrap();
    site.write("logs/fsync.log", &out.stderr);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert_eq!(log.matches("publishing the output failed").count(), 2, "{log}");
    assert_eq!(site.ledger_steps("rolled_back"), 2);
    assert_eq!(site.stored_ids("acme").len(), 500);
    assert_eq!(site.outputs("acme").len(), 1);
    no_temp_or_partial_output(&site, "acme");
}

#[test]
#[ignore = "needs root (mounts a tmpfs and remounts it read-only); CI runs it (--include-ignored)"]
fn a_read_only_state_directory_stops_the_start_and_loses_nothing() {
    let root = tempfile::tempdir().unwrap();
    let test = "a_read_only_state_directory_stops_the_start_and_loses_nothing";
    let Some(_m) = mount(test, &["-t", "tmpfs", "-o", "size=64m", "tmpfs"], root.path()) else { return };
    let mount_point = root.path().to_path_buf();
    let site = Site::in_dir(root, "");
    site.drop_file("acme", "first.csv", &orders_csv("acme-first", 10));
    assert!(site.run_once().status.success());
    site.drop_file("acme", "held.csv", &orders_csv("acme-held", 20));
    remount(&mount_point, "remount,ro");
    // Not `site.run_once()`: it keeps its log inside the site, which is read-only now.
    let out = Command::new(crate::support::importd_path())
        .args(["serve", "--config", "importd.toml", "--once"])
        .current_dir(site.dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("read-only filesystem"), "{}", stderr(&out));
    assert!(site.drop_dir("acme").join("held.csv").exists(), "the file left the drop folder");
    remount(&mount_point, "remount,rw");
    let out = site.run_once();
    assert!(out.status.success(), "{}", stderr(&out));
    let stored = site.stored_ids("acme");
    assert_eq!(stored.len(), 30);
    assert!(stored.values().all(|n| *n == 1));
}

#[test]
#[ignore = "needs root (bind-mounts the state folder); CI runs it (--include-ignored)"]
fn a_state_directory_on_another_mount_is_refused_at_start() {
    let site = Site::new("");
    let state = site.path("state");
    let state_arg = state.display().to_string();
    // The same filesystem, mounted a second time: a rename between the mounts fails.
    let test = "a_state_directory_on_another_mount_is_refused_at_start";
    let Some(_m) = mount(test, &["--bind", &state_arg], &state) else { return };
    let out = site.run_once();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("must be writable and on one filesystem"), "{}", stderr(&out));
}

#[test]
fn the_storage_directory_removed_while_running_is_recreated() {
    let site = Site::new("");
    let mut child = site.spawn();
    site.drop_file("acme", "one.csv", &orders_csv("acme-one", 10));
    assert!(wait_until(Duration::from_secs(30), || site.outputs("acme").len() == 1));
    std::fs::remove_dir_all(site.path("storage")).unwrap();
    site.drop_file("acme", "two.csv", &orders_csv("acme-two", 10));
    assert!(wait_until(Duration::from_secs(30), || site.outputs("acme").len() == 1), "{}", site.logs());
    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(30)).success());
    let stored = site.stored_ids("acme");
    assert_eq!(stored.len(), 10);
    assert!(stored.keys().all(|k| k.starts_with("acme-two")));
    no_temp_or_partial_output(&site, "acme");
}

/// A graceful stop while a published import waits to record its commit (a panic right after
/// the rename, contained, resumes it 5 s later): the daemon finishes it before it exits, so
/// nothing is left under way for the next start.
#[test]
fn a_graceful_stop_finishes_a_published_import_whose_commit_was_put_off() {
    let site = Site::new("");
    let mut child = site.spawn_with_env(&[("FAILPOINTS", "job.after_publish=1*panic")]);
    site.drop_file("acme", "a.csv", &orders_csv("acme-a", 50));
    let put_off =
        wait_until(Duration::from_secs(60), || site.logs().contains("while finishing an import; it is resumed"));
    assert!(put_off, "{}", site.logs());
    assert_eq!(site.outputs("acme").len(), 1, "published before the panic");
    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(30)).success(), "{}", site.logs());
    assert_eq!(site.audit_terminals("acme").get("committed"), Some(&1), "{}", site.logs());
    assert!(site.files("state/processing").is_empty(), "the claimed file was disposed of");
    let out = crate::verify::verify(&site, &["--json"]);
    let report: serde_json::Value = serde_json::from_str(&crate::support::stdout(&out)).expect("json");
    assert_eq!(report["tenants"][0]["in_flight"], 0, "nothing is under way after the stop\n{}", site.logs());
}
