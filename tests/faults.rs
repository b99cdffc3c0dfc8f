//! Fault injection in the daemon: a full disk while writing output (a small tmpfs), a
//! failing fsync (debug-build hook), the state directory read-only, the storage directory
//! removed while running. Each ends with no partial output, the import retried, a clear log
//! line, and every row stored exactly once in the end. The mount tests need root; CI runs as
//! root (`IMPORTD_CI=1` makes them required).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::site::*;
use crate::support::stderr;

/// Unmounts on drop.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn mount(args: &[&str], dir: &Path) -> Option<Mount> {
    std::fs::create_dir_all(dir).unwrap();
    let ok = Command::new("mount").args(args).arg(dir).status().is_ok_and(|s| s.success());
    if !ok {
        assert!(std::env::var("IMPORTD_CI").is_err(), "mounting failed but CI requires the fault tests");
        eprintln!("skipped: cannot mount (not root?)");
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
fn a_full_disk_while_writing_output_rolls_back_and_retries() {
    let site = Site::new("workers = 1\nmin_free_mb = 0\nmax_attempts = 50");
    let storage = site.path("storage");
    let Some(_m) = mount(&["-t", "tmpfs", "-o", "size=256k", "tmpfs"], &storage) else { return };
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

#[test]
fn a_failing_fsync_never_publishes_and_the_import_is_retried() {
    let site = Site::new("");
    site.drop_file("acme", "a.csv", &orders_csv("acme-a", 500));
    let out = Command::new(crate::support::importd_path())
        .args(["serve", "--config", "importd.toml", "--once"])
        .env("IMPORTD_TEST_FAIL_FSYNC", "2")
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
fn a_read_only_state_directory_stops_the_start_and_loses_nothing() {
    let root = tempfile::tempdir().unwrap();
    let Some(_m) = mount(&["-t", "tmpfs", "-o", "size=64m", "tmpfs"], root.path()) else { return };
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
fn a_state_directory_on_another_mount_is_refused_at_start() {
    let site = Site::new("");
    let state = site.path("state");
    let state_arg = state.display().to_string();
    // The same filesystem, mounted a second time: a rename between the mounts fails.
    let Some(_m) = mount(&["--bind", &state_arg], &state) else { return };
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
