//! `importd subject find | export | erase`: a subject in four datasets (pseudonymized,
//! encrypted, faked, masked) and in free text redacted with pseudonyms, over two key
//! generations, in archived inputs and in a quarantined original, is found, exported and
//! erased; a second erase changes nothing; tokens are checked against the Python reference;
//! a crash at every step of an erasure leaves the old file or the new one, and the next run
//! completes it.

mod attacks; // review attacks: other people in raw copies, stored-form collisions, old rule files
mod crash; // a crash at every step of an erasure: old or new file, completed by the next run
mod generations; // four datasets, two key generations, free text, archive and quarantine
mod shared; // PostgreSQL ledger and S3 storage, beside a running daemon

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::site::{files_under, read_column, Site};
use crate::support::{importd_path, repo, set_mode, stderr, stdout};

pub const ANNA: &str = "anna@example.com";
pub const KEY_A: &str = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";
pub const KEY_B: &str = "0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf0";

pub const CUSTOMERS: &str = r#"version = 1
[columns]
id = "keep"
email = { action = "pseudonymize", prefix = "u_" }
notes = { action = "redact", detect = ["email"], with = "pseudonym" }
"#;
pub const PAYMENTS: &str = r#"version = 1
[columns]
id = "keep"
email = { action = "encrypt", alphabet = "lower_alphanumeric" }
amount = "keep"
"#;
pub const NEWSLETTER: &str = r#"version = 1
[columns]
id = "keep"
email = { action = "fake", kind = "email" }
"#;
pub const SUPPORT: &str = r#"version = 1
[columns]
id = "keep"
email = { action = "mask", keep_last = 4 }
"#;

/// The Python reference (tests/reference/importd_ref.py): key id and pseudonym.
pub fn reference(call: &str) -> String {
    let code =
        format!("import sys; sys.path.insert(0, sys.argv[1]); import importd_ref as r; print({call})", call = call);
    let out = Command::new("python3")
        .args(["-c", &code])
        .arg(repo().join("tests/reference"))
        .output()
        .expect("python3 is needed for the reference cross-check");
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_string()
}

pub fn key_id(hex: &str) -> String {
    reference(&format!("r.key_id(bytes.fromhex('{hex}'))"))
}

pub fn token(hex: &str, domain: &str, value: &str, prefix: &str) -> String {
    reference(&format!("r.pseudonymize(bytes.fromhex('{hex}'), '{domain}', '{value}', '{prefix}')"))
}

/// A one-tenant site whose ring lives in `keys/acme/` (ring.json + `<id>.key`).
pub struct Ring {
    pub site: Site,
}

impl Ring {
    pub fn new(extra: &str) -> Ring {
        let site = Site::new("");
        let mut cfg = String::from(
            "drop_dir = \"drop\"\nstorage_dir = \"storage\"\nstate_dir = \"state\"\nsettle_ms = 100\nscan_interval_ms = 100\nmin_free_mb = 1\nkeep_input_days = 30\n",
        );
        cfg.push_str(extra);
        cfg.push_str("[tenants.acme]\nkey_dir = \"keys/acme\"\n");
        for (ds, rules) in
            [("customers", CUSTOMERS), ("payments", PAYMENTS), ("newsletter", NEWSLETTER), ("support", SUPPORT)]
        {
            site.write(&format!("rules/{ds}.toml"), rules);
            cfg.push_str(&format!("[tenants.acme.datasets.{ds}]\nrules = \"rules/{ds}.toml\"\n"));
            std::fs::create_dir_all(site.path(&format!("drop/acme/{ds}"))).expect("drop dir");
        }
        site.write("importd.toml", cfg);
        let ring = Ring { site };
        ring.keys(&[(KEY_A, "active")]);
        ring
    }

    /// Writes the ring: each key file (0600) and ring.json naming them.
    pub fn keys(&self, keys: &[(&str, &str)]) {
        let mut entries = Vec::new();
        for (hex, status) in keys {
            let id = key_id(hex);
            let p = self.site.write(&format!("keys/acme/{id}.key"), format!("{hex}\n"));
            set_mode(&p, 0o600);
            let mut e = serde_json::json!({"id": id, "file": format!("{id}.key"), "created": "2026-01-01T00:00:00Z", "status": status});
            if *status == "retired" {
                e["retired"] = serde_json::json!("2026-02-01T00:00:00Z");
            }
            entries.push(e);
        }
        self.site.write("keys/acme/ring.json", serde_json::json!({"version": 1, "keys": entries}).to_string());
    }

    pub fn drop(&self, ds: &str, name: &str, content: &str) {
        let p = self.site.path(&format!("drop/acme/{ds}/{name}"));
        std::fs::write(p.with_extension("part"), content).expect("write");
        std::fs::rename(p.with_extension("part"), p).expect("rename");
    }

    pub fn subject(&self, verb: &str, value: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
        subject(&self.site, verb, value, extra, env)
    }
}

/// `importd subject VERB --tenant acme --column email`, the value on stdin.
pub fn subject(site: &Site, verb: &str, value: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    subject_on(site, verb, "email", value, extra, env)
}

/// `importd subject VERB --tenant acme --column COLUMN`, the value on stdin.
pub fn subject_on(site: &Site, verb: &str, column: &str, value: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(importd_path())
        .args(["subject", verb, "--config", "importd.toml", "--tenant", "acme", "--column", column])
        .args(extra)
        .envs(env.iter().copied())
        .current_dir(site.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run importd subject");
    child.stdin.take().expect("stdin").write_all(format!("{value}\n").as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// A subject command beside a daemon that is importing: exit 0, or exit 1 because an import
/// of the searched dataset ran beside it (and said so), with nothing else incomplete.
pub fn beside_imports(out: &Output) -> bool {
    let text = stdout(out);
    out.status.success()
        || (out.status.code() == Some(1)
            && text.contains("ran beside this command")
            && !text.contains("could not be searched"))
}

/// Footer key id of an output.
pub fn footer_key(path: &Path) -> String {
    footer(path).get("importd.key_id").cloned().unwrap_or_default()
}

/// An output's footer metadata (importd's keys) and its Arrow schema.
pub fn footer(path: &Path) -> BTreeMap<String, String> {
    let b = ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("open")).expect("parquet");
    let kv = b.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
    let mut m: BTreeMap<String, String> = kv
        .iter()
        .filter(|k| k.key.starts_with("importd."))
        .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
        .collect();
    m.insert("schema".into(), format!("{:?}", b.schema().fields()));
    m
}

pub fn rows(path: &Path) -> usize {
    read_column(path, "id").len()
}

/// Every file under `rel` with its bytes.
pub fn snapshot(site: &Site, rel: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(&site.path(rel))
        .into_iter()
        .filter(|p| {
            let s = p.to_string_lossy();
            !s.contains("/subject/") && !s.contains("ledger.sqlite")
        })
        .map(|p| {
            let b = std::fs::read(&p).unwrap_or_default();
            (p, b)
        })
        .collect()
}

/// The ledger's outputs (path, SHA-256, pending) and, as a last row, how many rewrites it holds.
pub fn ledger_rows(site: &Site) -> Vec<(String, String, Option<String>)> {
    let db = rusqlite::Connection::open(site.path("state/ledger.sqlite")).expect("ledger");
    let mut st = db.prepare("SELECT path, sha256, pending FROM outputs ORDER BY path").expect("query");
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).expect("rows");
    let mut out: Vec<(String, String, Option<String>)> = rows.map(|r| r.expect("row")).collect();
    let n: i64 = db.query_row("SELECT count(*) FROM rewrites", [], |r| r.get(0)).expect("rewrites");
    out.push(("rewrites".into(), n.to_string(), None));
    out
}

pub fn audit(site: &Site) -> Vec<serde_json::Value> {
    std::fs::read_to_string(site.path("state/audit/acme.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("an audit record is JSON"))
        .collect()
}

/// The expected matching rows per (dataset, key): written below.
pub fn expected(a: &str, b: &str) -> BTreeMap<(String, String), usize> {
    let mut m = BTreeMap::new();
    m.insert(("customers".to_string(), a.to_string()), 2); // email + notes-only row
    m.insert(("customers".to_string(), b.to_string()), 1);
    m.insert(("payments".to_string(), a.to_string()), 1);
    m.insert(("payments".to_string(), b.to_string()), 1);
    m.insert(("newsletter".to_string(), a.to_string()), 1);
    m
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

#[test]
fn the_identifier_comes_from_stdin_only_and_bad_requests_are_refused() {
    let site = Site::new("");
    for (value, needle) in [("", "empty"), ("a@x.de\nb@x.de", "more than one line")] {
        let mut child = Command::new(importd_path())
            .args(["subject", "find", "--tenant", "acme", "--column", "email"])
            .current_dir(site.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child.stdin.take().expect("stdin").write_all(value.as_bytes()).expect("stdin");
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{}", stderr(&out));
    }
    let out = subject(&site, "find", "a@x.de", &["--dataset", "nope"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no dataset `nope`"), "{}", stderr(&out));
    let out = subject(&site, "find", "a@x.de", &["--dry-run"], &[]);
    assert_eq!(out.status.code(), Some(2));
    // A positional value is not accepted at all.
    let out = site.run(&["subject", "find", "--tenant", "acme", "--column", "email", "a@x.de"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_storage_folder_swapped_for_a_symlink_is_not_followed_and_the_answer_says_it_is_incomplete() {
    let site = Site::new("");
    site.drop_file("acme", "a.csv", &crate::site::orders_csv("acme-a", 10));
    assert!(site.run_once().status.success());
    let output = site.outputs("acme").pop().expect("an output");
    let folder = output.parent().expect("folder").to_path_buf();
    let elsewhere = site.path("elsewhere");
    std::fs::rename(&folder, &elsewhere).expect("move the folder away");
    std::os::unix::fs::symlink(&elsewhere, &folder).expect("symlink it back");
    let moved = elsewhere.join(output.file_name().expect("name"));
    let before = std::fs::read(&moved).expect("read");
    let out = subject(&site, "erase", "canary.acme-a.3@example.com", &[], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("refused") && text.contains("not searched") && text.contains("incomplete"), "{text}");
    assert_eq!(std::fs::read(&moved).expect("read"), before, "the file behind the link was changed");
    assert!(!audit(&site).iter().any(|r| r["event"] == "subject_erased"));
}

#[test]
fn an_erasure_beside_a_running_daemon_on_the_embedded_ledger_keeps_one_audit_chain() {
    use std::time::Duration;
    let site = Site::new("");
    let mut daemon = site.spawn();
    site.drop_file("acme", "a.csv", &crate::site::orders_csv("acme-a", 10));
    assert!(crate::site::wait_until(Duration::from_secs(30), || site.outputs("acme").len() == 1), "{}", site.logs());
    // The daemon imports another file while the erasure runs.
    site.drop_file("acme", "b.csv", &crate::site::orders_csv("acme-b", 10));
    let out = subject(&site, "erase", "canary.acme-a.3@example.com", &[], &[]);
    assert!(beside_imports(&out), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("erased: 1 row in 1 output"), "{}", stdout(&out));
    assert!(crate::site::wait_until(Duration::from_secs(30), || site.outputs("acme").len() == 2), "{}", site.logs());
    crate::site::signal(&daemon, "TERM");
    crate::site::wait_exit(&mut daemon, Duration::from_secs(30));
    let ids = site.stored_ids("acme");
    assert_eq!(ids.len(), 19, "{ids:?}");
    assert!(!ids.contains_key("acme-a-3"));
    let out = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", "acme"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let events: Vec<String> = audit(&site).iter().map(|r| r["event"].as_str().unwrap_or("").to_string()).collect();
    assert!(
        events.contains(&"subject_erased".to_string()) && events.contains(&"daemon_stopped".to_string()),
        "{events:?}"
    );
}
