//! Tenants never mix through folders: a tenant or dataset folder that is a symlink (to another
//! tenant's folder, or anywhere outside `drop_dir`) is refused with a warning and a metric and
//! never read, and a folder swapped for a symlink between the scan and the claim is caught at
//! the claim. The last test drives the daemon's library in process to hit that window exactly.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

use importd::daemon::{claim, config::Settings, state::Daemon, watch::Candidate, watch::Scanner};

use crate::site::*;
use crate::support::stderr;

/// Replaces a (fresh, empty) folder by a symlink to `target`.
fn swap_for_symlink(folder: &Path, target: &Path) {
    std::fs::remove_dir_all(folder).expect("remove folder");
    symlink(target, folder).expect("symlink");
}

/// What every refused-folder test checks: nothing stored for acme, the target untouched,
/// one warning naming the folder.
fn assert_refused(site: &Site, target_file: &Path, content: &[u8], log: &str) {
    assert!(site.outputs("acme").is_empty(), "acme stored a file read through a symlinked folder");
    assert!(site.files("state/quarantine/acme").is_empty(), "something was claimed through the link");
    assert_eq!(std::fs::read(target_file).expect("target file"), content, "the target file was touched");
    assert_eq!(log.matches("is a symbolic link").count(), 1, "one warning about the symlinked folder:\n{log}");
    assert_no_canary(site);
}

#[test]
fn a_dataset_folder_symlinked_into_another_tenants_folder_is_refused() {
    let site = Site::new("");
    // A folder of globex's that globex's configuration does not watch, holding its data.
    let content = orders_csv("globex-private", 4);
    let target = site.write("drop/globex/archive/g.csv", &content);
    swap_for_symlink(&site.drop_dir("acme"), Path::new("../globex/archive"));
    let out = site.run_once();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_refused(&site, &target, &content, &stderr(&out));
}

#[test]
fn a_dataset_folder_symlinked_outside_the_drop_dir_is_refused() {
    let site = Site::new("");
    let outside = tempfile::tempdir().expect("tempdir");
    let content = orders_csv("outside", 4);
    let target = outside.path().join("o.csv");
    std::fs::write(&target, &content).expect("write");
    swap_for_symlink(&site.drop_dir("acme"), outside.path());
    let out = site.run_once();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_refused(&site, &target, &content, &stderr(&out));
}

#[test]
fn a_tenant_folder_symlinked_elsewhere_is_refused() {
    let site = Site::new("");
    let content = orders_csv("elsewhere", 4);
    let target = site.write("other/orders/e.csv", &content);
    swap_for_symlink(&site.path("drop/acme"), &site.path("other"));
    let out = site.run_once();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_refused(&site, &target, &content, &stderr(&out));
    // globex is unaffected.
    site.drop_file("globex", "g.csv", &orders_csv("globex-g", 3));
    assert!(site.run_once().status.success());
    assert_eq!(site.stored_ids("globex").len(), 3);
}

#[test]
fn a_refused_folder_is_counted_in_the_metrics() {
    let site = Site::new("metrics_addr = \"127.0.0.1:0\"");
    swap_for_symlink(&site.drop_dir("acme"), &site.path("drop/globex/orders"));
    let settings = Settings::load(&site.path("importd.toml")).expect("settings");
    let metrics = importd::daemon::telemetry::metrics::Metrics::default();
    let mut scanner = Scanner::new(Duration::from_millis(0));
    scanner.scan(&settings, &metrics);
    scanner.scan(&settings, &metrics);
    let text = metrics.render();
    let line = text.lines().find(|l| l.starts_with("importd_refused_folders_total{")).unwrap_or_default();
    assert!(line.contains("tenant=\"acme\"") && line.contains("kind=\"symlink\""), "{text}");
    assert!(line.ends_with(" 1"), "counted once, not once per scan: {line}");
}

/// A site with acme's `f.csv` dropped, the daemon's shared state opened in this process, and
/// the file scanned until it is ready to be claimed: the moment between a scan and a claim.
fn scanned_file() -> (Site, Daemon, Candidate) {
    let site = Site::new("settle_ms = 0");
    site.drop_file("acme", "f.csv", &orders_csv("acme-f", 3));
    let d = Daemon::open(Settings::load(&site.path("importd.toml")).expect("settings")).expect("daemon");
    let mut scanner = Scanner::new(Duration::from_millis(0));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(c) = scanner.scan(&d.settings, &d.metrics).ready.into_iter().next() {
            return (site, d, c);
        }
        assert!(Instant::now() < deadline, "the file never became ready");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The window between a scan and a claim: the dataset folder is swapped for a symlink to
/// another tenant's folder holding a file of the same name. The claim must not take it.
#[test]
fn a_folder_swapped_for_a_symlink_between_scan_and_claim_is_not_claimed() {
    let (site, d, candidate) = scanned_file();
    // Swap: acme's folder moves aside, a symlink to globex's folder takes its place, and
    // globex's folder holds a file under the same name.
    let globex_content = orders_csv("globex-f", 3);
    let globex_file = site.write("drop/globex/orders/f.csv", &globex_content);
    std::fs::rename(site.drop_dir("acme"), site.path("drop/acme/aside")).expect("move aside");
    symlink("../globex/orders", site.drop_dir("acme")).expect("symlink");

    let claimed = claim::claim(&d, &candidate).expect("claim");
    assert!(claimed.is_none(), "a file was claimed through the swapped folder");
    assert_eq!(std::fs::read(&globex_file).expect("globex file"), globex_content, "globex's file was taken");
    assert!(site.path("drop/acme/aside/f.csv").exists(), "acme's file moved");
    assert!(site.files("state/processing").is_empty(), "processing/ holds a claimed file");
}

/// A queued file is claimed only if it still has the stamp it settled with: one appended to
/// after the scan stays in the drop folder and settles again.
#[test]
fn a_file_changed_between_scan_and_claim_is_not_claimed() {
    let (site, d, candidate) = scanned_file();
    let path = site.drop_dir("acme").join("f.csv");
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).expect("open");
    std::io::Write::write_all(&mut f, b"late,row,appended\n").expect("append");
    drop(f);
    assert!(claim::claim(&d, &candidate).expect("claim").is_none(), "a changed file was claimed");
    assert!(path.exists(), "the file left the drop folder");
    assert!(site.files("state/processing").is_empty());
}

/// A file swapped for a directory between the claim's check and its rename (the window is
/// widened with a failpoint that sleeps there): the directory goes back to the drop folder,
/// nothing of it reaches state_dir.
#[test]
fn a_file_swapped_for_a_directory_during_the_claim_goes_back() {
    let (site, d, candidate) = scanned_file();
    fail::cfg("claim.before_rename", "1*sleep(400)").expect("failpoint");
    let dir = site.drop_dir("acme");
    let swapper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        std::fs::rename(dir.join("f.csv"), dir.join("aside.csv.part")).expect("move the file aside");
        std::fs::create_dir(dir.join("f.csv")).expect("a directory in its place");
        std::fs::write(dir.join("f.csv/inside.txt"), b"tenant data").expect("write inside");
    });
    let claimed = claim::claim(&d, &candidate).expect("claim");
    swapper.join().expect("swapper");
    let _ = fail::cfg("claim.before_rename", "off");
    assert!(claimed.is_none(), "a swapped-in directory was claimed");
    // The swap landed inside the window: the claim was recorded, then abandoned.
    assert_eq!((site.ledger_steps("claimed"), site.ledger_steps("abandoned")), (1, 1));
    assert!(site.drop_dir("acme").join("f.csv/inside.txt").exists(), "the directory did not go back");
    assert!(site.files("state/processing").is_empty(), "something stayed in processing/");
    assert!(site.files("state/quarantine").is_empty());
}
