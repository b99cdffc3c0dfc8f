//! Key rings: `keys ring`, `keys rotate`, `keys list`; imports under the active key, earlier
//! outputs still readable under theirs, audit chains verified across generations. Expected
//! key ids and pseudonyms come from Python's hashlib/hmac (the spec's algorithm), not from
//! importd.

use std::fs::File;
use std::path::Path;
use std::process::Command;

use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::site::{read_column, Site};
use crate::support::{python, stderr, stdout};

/// The spec's pseudonym (`length` 20, prefix `u_`, domain `email`) and key id, by Python.
const ORACLE: &str = r#"
import base64, hashlib, hmac, sys
key = bytes.fromhex(open(sys.argv[1]).read().strip())
prk = hmac.new(b"\0" * 32, key, hashlib.sha256).digest()
sub = hmac.new(prk, b"importd/v1/pseudonymize" + b"\x01", hashlib.sha256).digest()
token = base64.b32encode(hmac.new(sub, b"email\0" + sys.argv[2].encode(), hashlib.sha256).digest()).decode().lower().rstrip("=")
print(hashlib.sha256(key).hexdigest()[:16], "u_" + token[:20])
"#;

fn oracle(key_file: &Path, value: &str) -> (String, String) {
    let out = Command::new(python()).arg("-c").arg(ORACLE).arg(key_file).arg(value).output().expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf8");
    let mut parts = text.split_whitespace().map(String::from);
    (parts.next().expect("key id"), parts.next().expect("token"))
}

fn footer(path: &Path, key: &str) -> Option<String> {
    let reader = SerializedFileReader::new(File::open(path).expect("open")).expect("parquet");
    let kv = reader.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
    kv.into_iter().find(|e| e.key == key).and_then(|e| e.value)
}

/// A site whose tenant `acme` uses a key ring started from its key file.
pub fn ring_site() -> Site {
    let site = Site::new("");
    let out = site.run(&["keys", "ring", "--dir", "keys/acme-ring", "--from", "keys/acme.key"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let cfg = std::fs::read_to_string(site.path("importd.toml")).expect("config");
    site.write("importd.toml", cfg.replace("key_file = \"keys/acme.key\"", "key_dir = \"keys/acme-ring\""));
    site
}

#[test]
fn a_rotated_key_writes_new_imports_while_earlier_outputs_and_the_audit_chain_stay_verifiable() {
    let site = ring_site();
    site.drop_file("acme", "before.csv", b"id,email\n1,anna@example.com\n");
    assert!(site.run_once().status.success());

    let out = site.run(&["keys", "rotate", "--config", "importd.toml", "--tenant", "acme"]);
    assert!(out.status.success(), "{}", stderr(&out));
    site.drop_file("acme", "after.csv", b"id,email\n2,anna@example.com\n");
    assert!(site.run_once().status.success(), "{}", site.logs());

    let ring: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.path("keys/acme-ring/ring.json")).expect("ring")).expect("json");
    let keys = ring["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 2);
    assert_eq!((keys[0]["status"].as_str(), keys[1]["status"].as_str()), (Some("retired"), Some("active")));
    let old_file = site.path("keys/acme.key");
    let new_file = site.path(&format!("keys/acme-ring/{}", keys[1]["file"].as_str().expect("file")));
    let (old_id, old_token) = oracle(&old_file, "anna@example.com");
    let (new_id, new_token) = oracle(&new_file, "anna@example.com");
    assert_eq!(keys[0]["id"].as_str(), Some(old_id.as_str()));
    assert_eq!(keys[1]["id"].as_str(), Some(new_id.as_str()));
    assert_ne!(old_token, new_token);

    // Each output names its key and holds that key's pseudonym.
    let mut seen = Vec::new();
    for f in site.outputs("acme") {
        let id = footer(&f, "importd.key_id").expect("importd.key_id");
        let token = read_column(&f, "email").pop().expect("a row");
        let import_id = footer(&f, "importd.import_id").expect("importd.import_id");
        assert!(f.to_string_lossy().contains(&import_id));
        assert_eq!(footer(&f, "importd.version").as_deref(), Some(env!("CARGO_PKG_VERSION")));
        assert_eq!(footer(&f, "importd.rules_sha256").map(|s| s.len()), Some(64));
        seen.push((id, token));
    }
    seen.sort();
    let mut want = vec![(old_id.clone(), old_token), (new_id.clone(), new_token)];
    want.sort();
    assert_eq!(seen, want);

    // The chain goes on under the new key and verifies with the ring; the rotation is in it.
    let out = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", "acme"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = std::fs::read_to_string(site.path("state/audit/acme.jsonl")).expect("audit");
    let records: Vec<serde_json::Value> = audit.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    let rotated = records.iter().find(|r| r["event"] == "key_rotated").expect("key_rotated");
    assert_eq!(rotated["key_id"].as_str(), Some(new_id.as_str()));
    assert_eq!(rotated["mac_key"].as_str(), Some(new_id.as_str()));
    let retired = records.iter().find(|r| r["event"] == "key_retired").expect("key_retired");
    assert_eq!(retired["key_id"].as_str(), Some(old_id.as_str()));
    let last = records.last().expect("records");
    assert_eq!(last["mac_key"].as_str(), Some(new_id.as_str()));

    let listed = stdout(&site.run(&["keys", "list", "--config", "importd.toml", "--tenant", "acme"]));
    assert!(listed.contains(&format!("{old_id}  created")) && listed.contains("retired"), "{listed}");
    assert!(listed.lines().any(|l| l.starts_with(&new_id) && l.ends_with("active")), "{listed}");
    assert!(!audit.contains("anna"), "no value in the audit log");
}

#[test]
fn a_running_daemon_takes_up_a_rotation_and_keeps_one_chain() {
    let site = ring_site();
    let mut daemon = site.spawn();
    site.drop_file("acme", "one.csv", b"id,email\n1,a@example.com\n");
    assert!(crate::site::wait_until(std::time::Duration::from_secs(20), || site.outputs("acme").len() == 1));
    let out = site.run(&["keys", "rotate", "--config", "importd.toml", "--tenant", "acme"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The scan after the rotation re-reads the ring; a file dropped later uses the new key.
    std::thread::sleep(std::time::Duration::from_millis(500));
    site.drop_file("acme", "two.csv", b"id,email\n2,b@example.com\n");
    assert!(crate::site::wait_until(std::time::Duration::from_secs(20), || site.outputs("acme").len() == 2));
    crate::site::signal(&daemon, "TERM");
    assert!(crate::site::wait_exit(&mut daemon, std::time::Duration::from_secs(20)).success());

    let ids: std::collections::BTreeSet<String> =
        site.outputs("acme").iter().map(|f| footer(f, "importd.key_id").expect("key id")).collect();
    assert_eq!(ids.len(), 2, "the second import used the new key");
    let out = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", "acme"]);
    assert!(out.status.success(), "the daemon's and the command's records form one chain: {}", stderr(&out));
}

#[test]
fn a_single_key_file_cannot_rotate_and_says_how_to_start_a_ring() {
    let site = Site::new("");
    let out = site.run(&["keys", "rotate", "--config", "importd.toml", "--tenant", "acme"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("cannot rotate") && err.contains("importd keys ring --dir"), "{err}");
    assert_eq!(std::fs::read_dir(site.path("keys")).expect("keys").count(), 2, "nothing written");
}

#[test]
fn a_broken_ring_is_refused_at_start_naming_the_file() {
    let site = ring_site();
    let ring = site.path("keys/acme-ring/ring.json");
    let text = std::fs::read_to_string(&ring).expect("ring");
    std::fs::write(&ring, text.replace("\"active\"", "\"retired\"")).expect("write");
    let out = site.run_once();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("ring.json") && err.contains("0 keys are active"), "{err}");
}

#[test]
fn reveal_picks_the_key_a_value_was_encrypted_under_from_the_ring() {
    let site = ring_site();
    let rules = "version = 1\n[columns]\nid = \"keep\"\nemail = { action = \"encrypt\", alphabet = \"digits\" }\n";
    site.replace_rules("acme", rules);
    site.drop_file("acme", "a.csv", b"id,email\n1,4111 1111 1111 1111\n");
    assert!(site.run_once().status.success(), "{}", site.logs());
    assert!(site.run(&["keys", "rotate", "--config", "importd.toml", "--tenant", "acme"]).status.success());
    site.drop_file("acme", "b.csv", b"id,email\n2,4111 1111 1111 1111\n");
    assert!(site.run_once().status.success(), "{}", site.logs());

    let outputs = site.outputs("acme");
    assert_eq!(outputs.len(), 2);
    for f in &outputs {
        let key_id = footer(f, "importd.key_id").expect("key id");
        let cipher = read_column(f, "email").pop().expect("row");
        assert_ne!(cipher, "4111 1111 1111 1111");
        let args = ["reveal", "--key-file", "keys/acme-ring", "--rules", "rules/acme.toml", "--column", "email"];
        let r = site.run(&[&args[..], &["--key-id", &key_id, &cipher]].concat());
        assert!(r.status.success(), "{}", stderr(&r));
        assert_eq!(stdout(&r).trim_end(), "4111 1111 1111 1111");
    }
    // Two keys and no id: refused rather than guessed (a wrong key decrypts to noise).
    let cipher = read_column(&outputs[0], "email").pop().expect("row");
    let args = ["reveal", "--key-file", "keys/acme-ring", "--rules", "rules/acme.toml", "--column", "email", &cipher];
    let r = site.run(&args);
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("--key-id"), "{}", stderr(&r));
}

#[test]
fn a_rotation_killed_after_the_ring_is_written_is_still_in_the_audit_chain() {
    use std::os::unix::process::ExitStatusExt;
    let site = ring_site();
    let out = Command::new(crate::support::importd_path())
        .args(["keys", "rotate", "--config", "importd.toml", "--tenant", "acme"])
        .env("FAILPOINTS", "keys.after_ring_written=return")
        .current_dir(site.dir.path())
        .output()
        .expect("rotate");
    assert_eq!(out.status.signal(), Some(6), "the crash point was reached: {}", stderr(&out));
    let ring: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.path("keys/acme-ring/ring.json")).expect("ring")).expect("json");
    let active = ring["keys"][1]["id"].as_str().expect("the new key is active").to_string();
    let audit = std::fs::read_to_string(site.path("state/audit/acme.jsonl")).expect("audit");
    let started: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .filter(|r| r["event"] == "key_rotation_started")
        .collect();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["key_id"].as_str(), Some(active.as_str()), "the intent names the key now active");
    let out = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", "acme"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
