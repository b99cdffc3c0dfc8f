//! `importd subject find | export | erase`: a subject in four datasets (pseudonymized,
//! encrypted, faked, masked) and in free text redacted with pseudonyms, over two key
//! generations, in archived inputs and in a quarantined original, is found, exported and
//! erased; a second erase changes nothing; tokens are checked against the Python reference;
//! a crash at every step of an erasure leaves the old file or the new one, and the next run
//! completes it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::site::{files_under, read_column, Site};
use crate::support::{importd_path, repo, set_mode, stderr, stdout};

const ANNA: &str = "anna@example.com";
const KEY_A: &str = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";
const KEY_B: &str = "0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf0";

const CUSTOMERS: &str = r#"version = 1
[columns]
id = "keep"
email = { action = "pseudonymize", prefix = "u_" }
notes = { action = "redact", detect = ["email"], with = "pseudonym" }
"#;
const PAYMENTS: &str = r#"version = 1
[columns]
id = "keep"
email = { action = "encrypt", alphabet = "lower_alphanumeric" }
amount = "keep"
"#;
const NEWSLETTER: &str = r#"version = 1
[columns]
id = "keep"
email = { action = "fake", kind = "email" }
"#;
const SUPPORT: &str = r#"version = 1
[columns]
id = "keep"
email = { action = "mask", keep_last = 4 }
"#;

/// The Python reference (tests/reference/importd_ref.py): key id and pseudonym.
fn reference(call: &str) -> String {
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

fn key_id(hex: &str) -> String {
    reference(&format!("r.key_id(bytes.fromhex('{hex}'))"))
}

fn token(hex: &str, domain: &str, value: &str, prefix: &str) -> String {
    reference(&format!("r.pseudonymize(bytes.fromhex('{hex}'), '{domain}', '{value}', '{prefix}')"))
}

/// A one-tenant site whose ring lives in `keys/acme/` (ring.json + `<id>.key`).
struct Ring {
    site: Site,
}

impl Ring {
    fn new(extra: &str) -> Ring {
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
    fn keys(&self, keys: &[(&str, &str)]) {
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

    fn drop(&self, ds: &str, name: &str, content: &str) {
        let p = self.site.path(&format!("drop/acme/{ds}/{name}"));
        std::fs::write(p.with_extension("part"), content).expect("write");
        std::fs::rename(p.with_extension("part"), p).expect("rename");
    }

    fn subject(&self, verb: &str, value: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
        subject(&self.site, verb, value, extra, env)
    }
}

/// `importd subject VERB --tenant acme --column email`, the value on stdin.
fn subject(site: &Site, verb: &str, value: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(importd_path())
        .args(["subject", verb, "--config", "importd.toml", "--tenant", "acme", "--column", "email"])
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

/// Footer key id of an output.
fn footer_key(path: &Path) -> String {
    let b = ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("open")).expect("parquet");
    let kv = b.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
    kv.iter().find(|k| k.key == "importd.key_id").and_then(|k| k.value.clone()).unwrap_or_default()
}

fn rows(path: &Path) -> usize {
    read_column(path, "id").len()
}

/// Every file under `rel` with its bytes.
fn snapshot(site: &Site, rel: &str) -> BTreeMap<PathBuf, Vec<u8>> {
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
fn ledger_rows(site: &Site) -> Vec<(String, String, Option<String>)> {
    let db = rusqlite::Connection::open(site.path("state/ledger.sqlite")).expect("ledger");
    let mut st = db.prepare("SELECT path, sha256, pending FROM outputs ORDER BY path").expect("query");
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).expect("rows");
    let mut out: Vec<(String, String, Option<String>)> = rows.map(|r| r.expect("row")).collect();
    let n: i64 = db.query_row("SELECT count(*) FROM rewrites", [], |r| r.get(0)).expect("rewrites");
    out.push(("rewrites".into(), n.to_string(), None));
    out
}

fn audit(site: &Site) -> Vec<serde_json::Value> {
    std::fs::read_to_string(site.path("state/audit/acme.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("an audit record is JSON"))
        .collect()
}

/// The expected matching rows per (dataset, key): written below.
fn expected(a: &str, b: &str) -> BTreeMap<(String, String), usize> {
    let mut m = BTreeMap::new();
    m.insert(("customers".to_string(), a.to_string()), 2); // email + notes-only row
    m.insert(("customers".to_string(), b.to_string()), 1);
    m.insert(("payments".to_string(), a.to_string()), 1);
    m.insert(("payments".to_string(), b.to_string()), 1);
    m.insert(("newsletter".to_string(), a.to_string()), 1);
    m
}

#[test]
fn a_subject_over_two_key_generations_is_found_exported_and_erased_once() {
    let r = Ring::new("");
    let site = &r.site;
    let (a, b) = (key_id(KEY_A), key_id(KEY_B));
    // Generation A.
    r.drop("customers", "c1.csv", &format!("id,email,notes\n1,{ANNA},call {ANNA} today\n2,bob@example.com,nothing\n3,carl@example.com,cc {ANNA}\n4,dora@example.com,cc bob@example.com\n"));
    r.drop("payments", "p1.csv", &format!("id,email,amount\n1,{ANNA},10\n2,bob@example.com,20\n"));
    r.drop("newsletter", "n1.csv", &format!("id,email\n1,{ANNA}\n2,dora@example.com\n"));
    r.drop("support", "s1.csv", &format!("id,email\n1,{ANNA}\n"));
    // Ragged: quarantined; the original holds the value.
    r.drop("customers", "bad.csv", &format!("id,email,notes\n9,{ANNA},x\nragged\n"));
    let out = site.run_once();
    assert_eq!(out.status.code(), Some(1), "one file is quarantined: {}", stderr(&out));
    // Generation B: B active, A retired.
    r.keys(&[(KEY_A, "retired"), (KEY_B, "active")]);
    r.drop("customers", "c2.csv", &format!("id,email,notes\n5,{ANNA},\n6,eve@example.com,hi\n"));
    r.drop("payments", "p2.csv", &format!("id,email,amount\n3,{ANNA},30\n4,eve@example.com,40\n"));
    let out = site.run_once();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let outputs = site.outputs("acme");
    assert_eq!(outputs.len(), 6, "{outputs:?}");
    let want = expected(&a, &b);
    let per_output: Vec<(PathBuf, String, String, usize, usize)> = outputs
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(site.path("storage")).expect("below storage").to_string_lossy().into_owned();
            let ds = rel.split('/').nth(1).expect("dataset").to_string();
            let k = footer_key(p);
            let n = want.get(&(ds.clone(), k.clone())).copied().unwrap_or(0);
            (p.clone(), rel, ds, n, rows(p))
        })
        .collect();
    assert!(per_output.iter().any(|(_, _, _, n, _)| *n == 0), "the support output holds a masked value only");

    // The stored pseudonyms are the Python reference's, under each key.
    let (tok_a, tok_b) = (token(KEY_A, "email", ANNA, "u_"), token(KEY_B, "email", ANNA, "u_"));
    let text_a = token(KEY_A, "email", ANNA, "");
    for (p, _, ds, _, _) in &per_output {
        if ds == "customers" {
            let want_tok = if footer_key(p) == a { &tok_a } else { &tok_b };
            assert!(read_column(p, "email").contains(want_tok), "{} lacks the reference token", p.display());
        }
    }

    // find: every output with its count, the masked dataset said, raw copies found.
    let out = r.subject("find", ANNA, &[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for (_, rel, _, n, _) in &per_output {
        if *n > 0 {
            let s = if *n == 1 { "" } else { "s" };
            assert!(text.contains(&format!("{rel}: {n} row{s} (key ")), "{rel} with {n} rows missing in:\n{text}");
        } else {
            assert!(!text.contains(rel.as_str()), "{rel} listed though it does not hold the subject:\n{text}");
        }
    }
    assert!(text.contains("dataset support: column email: not searched: its action `mask`"), "{text}");
    assert!(text.contains("archive copy customers/") && text.contains("read with the dataset's reader"), "{text}");
    assert!(text.contains("quarantine copy customers/") && text.contains("byte search"), "{text}");
    // 6 archived inputs hold the value (c1, c2, p1, p2, n1, s1), and the quarantined one.
    assert!(text.contains("found: 6 rows in 5 outputs, 7 raw copies"), "{text}");
    assert!(!text.contains(ANNA) && !text.contains(&tok_a) && !stderr(&out).contains(ANNA), "the value was echoed");

    // export: the stored rows, with the reference tokens.
    let out = r.subject("export", ANNA, &["--out", "export.jsonl"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(site.path("export.jsonl")).expect("export").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(site.path("export.jsonl"))
        .expect("export")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let stored: Vec<&serde_json::Value> = lines.iter().filter(|l| l.get("output").is_some()).collect();
    assert_eq!(stored.len(), 6, "{lines:?}");
    let customers: Vec<(String, String, String)> = stored
        .iter()
        .filter(|l| l["dataset"] == "customers")
        .map(|l| {
            let row = &l["row"];
            (
                row["id"].as_str().unwrap_or("").into(),
                row["email"].as_str().unwrap_or("").into(),
                row["notes"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert!(customers.contains(&("1".into(), tok_a.clone(), format!("call {text_a} today"))), "{customers:?}");
    assert!(customers.iter().any(|(id, _, notes)| id == "3" && notes == &format!("cc {text_a}")), "{customers:?}");
    assert!(customers.iter().any(|(id, email, _)| id == "5" && email == &tok_b), "{customers:?}");
    let ids = |ds: &str| -> Vec<String> {
        let mut v: Vec<String> = stored
            .iter()
            .filter(|l| l["dataset"] == ds)
            .map(|l| l["row"]["id"].as_str().unwrap_or("").to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids("payments"), ["1", "3"]);
    assert_eq!(ids("newsletter"), ["1"]);
    assert!(lines.iter().any(|l| l["raw_copy"] == "archive" && l["row"]["email"] == ANNA), "raw rows are exported too");

    // erase --dry-run changes nothing.
    let before = (snapshot(site, "storage"), snapshot(site, "state"), ledger_rows(site));
    let out = r.subject("erase", ANNA, &["--dry-run"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("would erase: 6 rows in 5 outputs, 7 raw copies"), "{}", stdout(&out));
    assert_eq!(
        before,
        (snapshot(site, "storage"), snapshot(site, "state"), ledger_rows(site)),
        "a dry run changed something"
    );

    // erase.
    let out = r.subject("erase", ANNA, &[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("erased: 6 rows in 5 outputs, 7 raw copies"), "{}", stdout(&out));
    for (p, rel, _, n, was) in &per_output {
        assert_eq!(rows(p), was - n, "{rel}: {n} of {was} rows should be gone");
        assert!(!read_column(p, "email").contains(&tok_a) && !read_column(p, "email").contains(&tok_b), "{rel}");
        if rel.contains("/customers/") {
            assert!(
                read_column(p, "notes").iter().all(|t| !t.contains(&text_a)),
                "{rel} still holds the token in text"
            );
        }
    }
    // Rows of others are untouched: bob stays in customers (A) and payments.
    let all_ids: Vec<String> = outputs.iter().flat_map(|p| read_column(p, "id")).collect();
    for id in ["2", "4", "6"] {
        assert!(all_ids.contains(&id.to_string()), "{id} was removed: {all_ids:?}");
    }
    // Anna's rows were ids 1, 3 (customers, A), 5 (customers, B), 1 and 3 (payments), 1
    // (newsletter); only the masked support row 1 remains.
    let mut gone = all_ids.clone();
    gone.retain(|i| i == "1" || i == "3" || i == "5");
    assert_eq!(gone, ["1"], "{all_ids:?}");
    assert!(files_under(&site.path("state/archive")).is_empty(), "every archived input held the value");
    assert!(files_under(&site.path("state/quarantine/acme")).is_empty(), "the quarantined original is gone whole");
    assert!(ledger_rows(site).iter().all(|(_, _, pending)| pending.is_none()));
    let recs = audit(site);
    let erased: Vec<&serde_json::Value> = recs.iter().filter(|r| r["event"] == "subject_erased").collect();
    assert_eq!(erased.len(), 5);
    for e in &erased {
        assert_eq!(e["column"], "email");
        assert!(e["rows_removed"].as_u64().unwrap_or(0) >= 1);
        let path = site.path("storage").join(e["output"].as_str().unwrap_or(""));
        let now = sha256_hex(&std::fs::read(&path).expect("output"));
        assert_eq!(e["sha256_after"], now.as_str(), "the record names the bytes now stored");
        assert_ne!(e["sha256_before"], e["sha256_after"]);
    }
    let raw: Vec<&serde_json::Value> = recs.iter().filter(|r| r["event"] == "raw_copy_erased").collect();
    assert_eq!(raw.len(), 7);
    assert_eq!(raw.iter().filter(|r| r["kind"] == "quarantine").count(), 1);
    let all_audit = std::fs::read_to_string(site.path("state/audit/acme.jsonl")).expect("audit");
    assert!(
        !all_audit.contains(ANNA) && !all_audit.contains(&tok_a) && !all_audit.contains(&tok_b),
        "a value reached the audit log"
    );
    let out = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", "acme"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Again: nothing found, nothing changed.
    let before = (snapshot(site, "storage"), snapshot(site, "state"), ledger_rows(site));
    let out = r.subject("erase", ANNA, &[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("erased: 0 rows in 0 outputs, 0 raw copies"), "{}", stdout(&out));
    assert_eq!(
        before,
        (snapshot(site, "storage"), snapshot(site, "state"), ledger_rows(site)),
        "a second erase changed something"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
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

/// Each crash point of an erasure, in order.
const CRASHES: &[&str] = &[
    "subject.after_temp",
    "subject.after_note",
    "subject.after_begin",
    "subject.after_rename",
    "subject.after_audit",
    "subject.after_end",
    "subject.raw_after_audit",
];

#[test]
fn a_crash_at_every_step_of_an_erasure_leaves_old_or_new_and_the_next_run_completes_it() {
    let value = "canary.acme-a.3@example.com";
    for point in CRASHES {
        let site = Site::new("keep_input_days = 30");
        site.drop_file("acme", "a.csv", &crate::site::orders_csv("acme-a", 10));
        assert!(site.run_once().status.success());
        let outputs = site.outputs("acme");
        assert_eq!(outputs.len(), 1);
        let path = &outputs[0];
        let out = subject(&site, "erase", value, &[], &[("FAILPOINTS", &format!("{point}=return"))]);
        let aborted = std::os::unix::process::ExitStatusExt::signal(&out.status) == Some(6);
        assert!(aborted, "{point}: the erase did not crash there: {}{}", stdout(&out), stderr(&out));
        // Old or new at the path, never both or neither; a temporary is hidden.
        let n = rows(path);
        assert!(n == 10 || n == 9, "{point}: the output holds {n} rows");
        let visible: Vec<PathBuf> = files_under(&site.path("storage"))
            .into_iter()
            .filter(|p| !p.file_name().is_some_and(|f| f.to_string_lossy().starts_with('.')))
            .collect();
        assert_eq!(visible, outputs, "{point}: storage shows other files");
        // The next run settles and completes it; the one after changes nothing.
        let out = subject(&site, "erase", value, &[], &[]);
        assert!(out.status.success(), "{point}: {}", stderr(&out));
        assert_eq!(rows(path), 9, "{point}");
        assert!(!read_column(path, "id").contains(&"acme-a-3".to_string()), "{point}");
        assert_eq!(files_under(&site.path("storage")), outputs, "{point}: a leftover beside the output");
        assert!(files_under(&site.path("state/archive")).is_empty(), "{point}: the archived input stays");
        let recs = audit(&site);
        let erased: Vec<&serde_json::Value> = recs.iter().filter(|r| r["event"] == "subject_erased").collect();
        assert_eq!(erased.len(), 1, "{point}: {erased:?}");
        assert_eq!(erased[0]["sha256_after"], sha256_hex(&std::fs::read(path).expect("output")).as_str(), "{point}");
        assert!(recs.iter().any(|r| r["event"] == "raw_copy_erased"), "{point}");
        let ledger = ledger_rows(&site);
        assert!(
            ledger
                .iter()
                .filter(|(p, _, _)| p != "rewrites")
                .all(|(_, sha, pending)| pending.is_none() && *sha == erased[0]["sha256_after"]),
            "{point}: {ledger:?}"
        );
        let verify = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", "acme"]);
        assert!(verify.status.success(), "{point}: {}", stderr(&verify));
        let before = (snapshot(&site, "storage"), snapshot(&site, "state"));
        let again = subject(&site, "erase", value, &[], &[]);
        assert!(stdout(&again).contains("erased: 0 rows"), "{point}: {}", stdout(&again));
        assert_eq!(
            before,
            (snapshot(&site, "storage"), snapshot(&site, "state")),
            "{point}: a third run changed something"
        );
    }
}
