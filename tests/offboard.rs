//! `importd tenant offboard`: every file and key of one tenant goes, the other tenant's files
//! stay byte for byte, and what may live on in backups can no longer be linked: its key is gone.

use std::collections::BTreeMap;
use std::path::Path;

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use crate::keys::ring_site;
use crate::site::{files_under, orders_csv, Site};
use crate::support::{importd_path, stderr, stdout};

/// Every file below the site whose path mentions no `acme`, with its bytes.
fn everything_but_acme(site: &Site) -> BTreeMap<String, Vec<u8>> {
    files_under(site.dir.path())
        .into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(site.dir.path()).ok()?.to_string_lossy().into_owned();
            // The shared ledger file changes (acme's rows go); logs and the config are ours.
            let shared = rel.starts_with("state/ledger.sqlite")
                || rel.starts_with("logs/")
                || rel.starts_with("gone/") // the deletion report
                || rel == "importd.toml";
            (!rel.contains("acme") && !shared).then(|| (rel, std::fs::read(&p).expect("read")))
        })
        .collect()
}

fn acme_site() -> Site {
    let site = ring_site();
    let cfg = std::fs::read_to_string(site.path("importd.toml")).expect("config");
    site.write("importd.toml", format!("keep_input_days = 7\n{cfg}\n[limits]\nmax_rows = 50\n"));
    site
}

#[test]
fn offboarding_deletes_every_file_and_key_of_the_tenant_and_leaves_the_other_byte_for_byte() {
    let site = acme_site();
    for t in ["acme", "globex"] {
        site.drop_file(t, "one.csv", &orders_csv(&format!("{t}-one"), 5));
        site.drop_file(t, "big.csv", &orders_csv(&format!("{t}-big"), 80)); // quarantined: max_rows
    }
    assert_eq!(site.run_once().status.code(), Some(1), "two quarantined");
    assert!(site.run(&["keys", "rotate", "--config", "importd.toml", "--tenant", "acme"]).status.success());
    site.drop_file("acme", "two.csv", &orders_csv("acme-two", 5));
    assert!(site.run_once().status.success(), "{}", site.logs());
    site.drop_file("acme", "waiting.csv", &orders_csv("acme-waiting", 5)); // never imported
    assert_eq!(site.outputs("acme").len(), 2);
    assert_eq!(site.files("state/archive/acme/orders").len(), 2);
    assert_eq!(site.reasons("acme").len(), 1);
    let before = everything_but_acme(&site);
    assert!(before.keys().any(|k| k.starts_with("storage/globex/")), "{:?}", before.keys());
    let ring: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.path("keys/acme-ring/ring.json")).expect("ring")).expect("json");
    let key_ids: Vec<String> =
        ring["keys"].as_array().expect("keys").iter().map(|k| k["id"].as_str().expect("id").to_string()).collect();

    // Not without repeating the name; not beside a running daemon.
    let out = site.run(&["tenant", "offboard", "--config", "importd.toml", "--tenant", "acme"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--confirm acme"), "{}", stderr(&out));
    let mut daemon = site.spawn();
    assert!(crate::site::wait_until(std::time::Duration::from_secs(10), || site.logs().contains("daemon_started")
        || site.path("state/importd.lock").exists()));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = site.run(&["tenant", "offboard", "-c", "importd.toml", "-t", "acme", "--confirm", "acme"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("a daemon is running"), "{}", stderr(&out));
    crate::site::signal(&daemon, "TERM");
    assert!(crate::site::wait_exit(&mut daemon, std::time::Duration::from_secs(20)).success());
    // The daemon imported the waiting file meanwhile; it goes like the rest.
    let before = everything_but_acme(&site);

    let out =
        site.run(&["tenant", "offboard", "-c", "importd.toml", "-t", "acme", "--confirm", "acme", "--report", "gone"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    for id in &key_ids {
        assert!(printed.contains(id.as_str()), "the report names destroyed key {id}: {printed}");
    }

    // Nothing of acme under storage, state, drop or its key ring; the ledger file holds no
    // trace of it either (secure delete, WAL truncated).
    // Left: the rule file (configuration, no data) and the key file the ring was started from
    // (`keys ring --from` copies it; the ring never knew that path, and says to destroy it).
    assert_acme_gone(&site);
    for f in ["state/ledger.sqlite", "state/ledger.sqlite-wal"] {
        let bytes = std::fs::read(site.path(f)).unwrap_or_default();
        assert!(!bytes.windows(4).any(|w| w == b"acme"), "{f} still mentions the tenant");
    }
    let after = everything_but_acme(&site);
    let changed: Vec<&String> = before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).collect();
    assert!(changed.is_empty(), "the other tenant's files are untouched, byte for byte: {changed:?}");

    // The report and the audit chain it keeps: counts and ids, the final record last.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.path("gone/report.json")).expect("report")).expect("json");
    assert_eq!(report["keys_destroyed"].as_array().map(Vec::len), Some(2));
    assert!(report["files_deleted"].as_u64().unwrap_or(0) >= 6, "{report}");
    let chain = std::fs::read_to_string(site.path("gone/audit.jsonl")).expect("chain");
    let last: serde_json::Value = serde_json::from_str(chain.lines().last().expect("records")).expect("json");
    assert_eq!(last["event"], "tenant_offboarded");
    assert!(!chain.contains("example.com"), "no value in the chain");

    // What may live on in backups is unlinkable: no key to recompute or decrypt with.
    let out = site.run(&["keys", "list", "--config", "importd.toml", "--tenant", "acme"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("acme-ring"), "{}", stderr(&out));
    let out =
        site.run(&["reveal", "--key-file", "keys/acme-ring", "--rules", "rules/acme.toml", "--column", "email", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let mut find = Command::new(importd_path())
        .args(["subject", "find", "-c", "importd.toml", "-t", "acme", "--column", "email"])
        .current_dir(site.dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("subject find");
    std::io::Write::write_all(&mut find.stdin.take().expect("stdin"), b"canary.acme-one.1@example.com\n")
        .expect("write");
    let out = find.wait_with_output().expect("subject find");
    assert_eq!(out.status.code(), Some(2), "no key to recompute pseudonyms with: {}", stderr(&out));
    assert!(stderr(&out).contains("acme-ring"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("canary"), "the identifier is never echoed");

    // The daemon runs on for the other tenant once acme is out of the configuration.
    let cfg = std::fs::read_to_string(site.path("importd.toml")).expect("config");
    let cut = cfg.find("[tenants.acme]").expect("acme");
    let end = cfg.find("[tenants.globex]").expect("globex");
    site.write("importd.toml", format!("{}{}", &cfg[..cut], &cfg[end..]));
    site.drop_file("globex", "three.csv", &orders_csv("globex-three", 3));
    assert!(site.run_once().status.success(), "{}", site.logs());
    assert!(site.run(&["audit", "verify", "-c", "importd.toml", "-t", "globex"]).status.success());
    let out = site.run(&["verify", "-c", "importd.toml"]);
    assert!(out.status.success(), "the other tenant's storage agrees with the ledger: {}", stdout(&out));
    assert!(!Path::new(&site.path("drop/acme")).exists());
}

/// A site where acme has outputs under two keys, an archived input, a quarantined one and a
/// file still waiting; returns how many of acme's data files there are.
fn acme_with_data() -> (Site, usize) {
    let site = acme_site();
    site.drop_file("acme", "one.csv", &orders_csv("acme-one", 5));
    site.drop_file("acme", "big.csv", &orders_csv("acme-big", 80));
    assert_eq!(site.run_once().status.code(), Some(1));
    assert!(site.run(&["keys", "rotate", "--config", "importd.toml", "--tenant", "acme"]).status.success());
    site.drop_file("acme", "two.csv", &orders_csv("acme-two", 5));
    assert!(site.run_once().status.success(), "{}", site.logs());
    site.drop_file("acme", "waiting.csv", &orders_csv("acme-waiting", 5));
    let count = ["storage/acme", "state/archive/acme", "state/quarantine/acme", "state/rules/acme", "drop/acme"]
        .iter()
        .map(|d| files_under(&site.path(d)).len())
        .sum();
    (site, count)
}

fn offboard(site: &Site, failpoints: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(importd_path());
    cmd.args(["tenant", "offboard", "-c", "importd.toml", "-t", "acme", "--confirm", "acme", "--report", "gone"]);
    if let Some(f) = failpoints {
        cmd.env("FAILPOINTS", f);
    }
    cmd.current_dir(site.dir.path()).output().expect("offboard")
}

/// Nothing of acme is left but its rule file and the key file its ring was started from.
fn assert_acme_gone(site: &Site) {
    let left: Vec<String> = files_under(site.dir.path())
        .into_iter()
        .map(|p| p.strip_prefix(site.dir.path()).expect("below").to_string_lossy().into_owned())
        .filter(|rel| rel.contains("acme") && !rel.starts_with("gone/") && !rel.starts_with("logs/"))
        .collect();
    assert_eq!(left, vec!["keys/acme.key".to_string(), "rules/acme.toml".to_string()]);
}

#[test]
fn an_offboarding_killed_at_every_step_finishes_when_run_again_and_reports_everything() {
    for point in ["offboard.after_data", "offboard.after_audit", "offboard.after_forget", "offboard.after_one_key"] {
        let (site, files) = acme_with_data();
        let out = offboard(&site, Some(&format!("{point}=return")));
        assert_eq!(out.status.signal(), Some(6), "{point} was never reached: {}", stderr(&out));
        let out = offboard(&site, None);
        assert!(out.status.success(), "{point}: the run after the crash: {}", stderr(&out));
        assert_acme_gone(&site);
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(site.path("gone/report.json")).expect("report")).expect("json");
        assert_eq!(report["files_deleted"].as_u64(), Some(files as u64), "{point}: {report}");
        assert_eq!(report["keys_destroyed"].as_array().map(Vec::len), Some(2), "{point}: {report}");
        let chain = std::fs::read_to_string(site.path("gone/audit.jsonl")).expect("chain");
        assert!(chain.contains("\"tenant_offboarded\""), "{point}");
    }
}

#[test]
fn a_ring_folder_holding_another_tenants_key_is_never_emptied_and_nothing_is_deleted() {
    let (site, _) = acme_with_data();
    std::fs::copy(site.path("keys/globex.key"), site.path("keys/acme-ring/globex.key")).expect("copy");
    let out = offboard(&site, None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("globex.key") && stderr(&out).contains("refuses"), "{}", stderr(&out));
    assert_eq!(site.outputs("acme").len(), 2, "nothing deleted");
    assert!(site.path("keys/acme-ring/globex.key").exists());

    // Nor can a ring be started in a folder that holds other files, or two tenants share keys.
    let out = site.run(&["keys", "ring", "--dir", "keys", "--from", "keys/acme.key"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    let cfg = std::fs::read_to_string(site.path("importd.toml")).expect("config");
    site.write(
        "importd.toml",
        cfg.replace("key_file = \"keys/globex.key\"", "key_file = \"keys/acme-ring/globex.key\""),
    );
    let out = site.run_once();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("share keys"), "{}", stderr(&out));
}

#[test]
fn a_symlinked_ring_folder_is_refused_at_start() {
    let site = ring_site();
    std::fs::rename(site.path("keys/acme-ring"), site.path("keys/real")).expect("move");
    std::os::unix::fs::symlink(site.path("keys/real"), site.path("keys/acme-ring")).expect("link");
    let out = site.run_once();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
}

#[test]
fn a_drop_folder_with_a_name_that_is_not_utf8_does_not_stop_offboarding() {
    use std::os::unix::ffi::OsStrExt;
    let (site, _) = acme_with_data();
    let odd = site.drop_dir("acme").join(std::ffi::OsStr::from_bytes(b"bad\xff"));
    std::fs::create_dir_all(&odd).expect("mkdir");
    std::fs::write(odd.join("x.csv"), b"id\n1\n").expect("write");
    let out = offboard(&site, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_acme_gone(&site);
}
