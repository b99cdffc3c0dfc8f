//! `importd verify` after real `serve --once` runs: it passes on untouched storage and names a
//! deleted output, a flipped byte, an extra file, a leftover temporary file and a truncated or
//! changed audit log; JSON report, metrics file, exit codes. (`verify_live.rs`: with writers
//! at work, and on S3.)

use std::path::Path;
use std::process::{Command, Output};

use crate::site::{orders_csv, Site, TENANTS};
use crate::support::{stderr, stdout};

/// A site with `files` inputs per tenant, imported by one `serve --once`.
pub fn imported(files: usize) -> Site {
    let site = Site::new("");
    for t in TENANTS {
        for f in 0..files {
            site.drop_file(t, &format!("o{f}.csv"), &orders_csv(&format!("{t}-{f}"), 5));
        }
    }
    let out = site.run_once();
    assert!(out.status.success(), "serve --once: {}", stderr(&out));
    for t in TENANTS {
        assert_eq!(site.outputs(t).len(), files, "{t}");
    }
    site
}

pub fn verify(site: &Site, extra: &[&str]) -> Output {
    let mut args = vec!["verify", "--config", "importd.toml"];
    args.extend_from_slice(extra);
    site.run(&args)
}

/// `storage/…` → the path verify names (relative to the storage root).
pub fn rel(site: &Site, p: &Path) -> String {
    p.strip_prefix(site.path("storage")).expect("below storage").to_string_lossy().into_owned()
}

/// SHA-256 of a file by `sha256sum`, not by importd.
pub fn sha256sum(p: &Path) -> String {
    let out = Command::new("sha256sum").arg(p).output().expect("sha256sum");
    String::from_utf8_lossy(&out.stdout).split(' ').next().unwrap_or_default().to_string()
}

pub fn assert_no_canary(out: &Output) {
    let all = format!("{}{}", stdout(out), stderr(out)).to_lowercase();
    assert!(!all.contains("canary") && !all.contains("@example.com"), "a value leaked: {all}");
}

#[test]
fn verify_passes_on_untouched_storage_with_one_line_per_tenant() {
    let site = imported(3);
    let out = verify(&site, &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for (line, t) in lines.iter().zip(TENANTS) {
        assert!(line.starts_with(&format!("{t}: 3 outputs intact;")), "{line}");
        assert!(line.contains("audit chain of") && line.contains("intact and in agreement"), "{line}");
    }
    // The ledger's SHA-256 is the file's, computed independently.
    let out = verify(&site, &["--json", "--tenant", "acme"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON report");
    assert_eq!(report["ok"], true);
    assert_eq!(report["tenants"].as_array().map(Vec::len), Some(1));
    assert_eq!((report["tenants"][0]["outputs"].as_u64(), report["tenants"][0]["intact"].as_u64()), (Some(3), Some(3)));
    assert!(report["duration_ms"].is_u64() && report["differences"].as_array().is_some_and(Vec::is_empty));
    let db = rusqlite::Connection::open(site.path("state/ledger.sqlite")).expect("ledger");
    for f in site.outputs("acme") {
        let recorded: String = db
            .query_row("SELECT sha256 FROM outputs WHERE path = ?1", [rel(&site, &f)], |r| r.get(0))
            .expect("the output is in the ledger");
        assert_eq!(recorded, sha256sum(&f), "{}", f.display());
    }
}

#[test]
fn verify_names_a_deleted_output_a_flipped_byte_an_extra_file_and_a_leftover() {
    let site = imported(3);
    let acme = site.outputs("acme");
    let (deleted, flipped) = (&acme[0], &acme[1]);
    std::fs::remove_file(deleted).expect("delete an output");
    let mut bytes = std::fs::read(flipped).expect("read");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(flipped, &bytes).expect("flip a byte");
    let partition = flipped.parent().expect("partition");
    let extra = partition.join("20260101T000000000Z-ffffffffff.parquet");
    std::fs::write(&extra, b"PAR1 not committed by anyone").expect("extra");
    let stray = site.write("storage/globex/notes.txt", "foreign");
    let leftover = partition.join(".20260101T000000000Z-eeeeeeeeee.parquet.0a1b2c3d4e5f.tmp");
    std::fs::write(&leftover, b"half an output").expect("leftover");
    let outside = site.write("elsewhere/secret.parquet", "x");
    std::os::unix::fs::symlink(&outside, partition.join("linked.parquet")).expect("symlink");
    std::fs::write(partition.join("odd\nname"), b"x").expect("hostile name");
    let not_utf8 = partition.join(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"bad\xffname"));
    std::fs::write(&not_utf8, b"x").expect("a name that is not UTF-8");

    let out = verify(&site, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_no_canary(&out);
    let text = stdout(&out);
    let want = [
        format!("acme: missing: {}: ", rel(&site, deleted)),
        format!(
            "acme: changed: {}: its SHA-256 is {}…, the ledger's {}…",
            rel(&site, flipped),
            &sha256sum(flipped)[..16],
            &sha256sum_of(&bytes, at)[..16]
        ),
        format!("acme: unexpected: {}: a file that no import committed", rel(&site, &extra)),
        format!("acme: leftover: {}: a temporary file", rel(&site, &leftover)),
        format!("acme: unexpected: {}/linked.parquet: a symbolic link (not followed)", rel(&site, partition)),
        format!("acme: unexpected: {}/odd\\nname: a file", rel(&site, partition)),
        format!("acme: unexpected: {}/bad\u{fffd}name: a file", rel(&site, partition)),
        format!("globex: unexpected: {}: a file that no import committed", rel(&site, &stray)),
    ];
    for w in &want {
        assert!(text.lines().any(|l| l.starts_with(w.as_str())), "no line starts with {w:?}:\n{text}");
    }
    assert_eq!(text.lines().count(), want.len(), "one line per difference, nothing else:\n{text}");
    assert!(stderr(&out).contains("verify found 8 differences"), "{}", stderr(&out));
    assert!(outside.exists(), "the link's target is untouched");

    // The same as JSON, and as a metrics file.
    let prom = site.path("textfile/importd_verify.prom");
    std::fs::create_dir_all(prom.parent().expect("folder")).expect("mkdir");
    let out = verify(&site, &["--json", "--metrics-file", prom.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON report");
    assert_eq!(report["ok"], false);
    assert_eq!(report["counts"]["missing"], 1);
    assert_eq!(report["counts"]["changed"], 1);
    assert_eq!(report["counts"]["unexpected"], 5);
    assert_eq!(report["counts"]["leftover"], 1);
    let diffs = report["differences"].as_array().expect("differences");
    assert_eq!(diffs.len(), 8);
    let missing = diffs.iter().find(|d| d["kind"] == "missing").expect("missing");
    assert_eq!(
        (missing["tenant"].as_str(), missing["path"].as_str()),
        (Some("acme"), Some(rel(&site, deleted).as_str()))
    );
    assert!(missing["detail"].as_str().is_some_and(|d| d.contains("storage has no such file")));
    let metrics = std::fs::read_to_string(&prom).expect("metrics file");
    for line in [
        "importd_verify_ok 0",
        "importd_verify_differences{tenant=\"acme\",kind=\"missing\"} 1",
        "importd_verify_differences{tenant=\"acme\",kind=\"changed\"} 1",
        "importd_verify_differences{tenant=\"acme\",kind=\"unexpected\"} 4",
        "importd_verify_differences{tenant=\"acme\",kind=\"leftover\"} 1",
        "importd_verify_differences{tenant=\"globex\",kind=\"unexpected\"} 1",
        "importd_verify_differences{tenant=\"globex\",kind=\"audit_missing\"} 0",
        "importd_verify_outputs{tenant=\"acme\"} 3",
    ] {
        assert!(metrics.lines().any(|l| l == line), "no line {line:?} in:\n{metrics}");
    }
    assert!(metrics.contains("# TYPE importd_verify_ok gauge"), "{metrics}");
    assert!(metrics.lines().any(|l| l.starts_with("importd_verify_last_run_timestamp_seconds 1")), "{metrics}");
    assert!(metrics.lines().any(|l| l.starts_with("importd_verify_duration_seconds ")), "{metrics}");
    let in_folder: Vec<_> = std::fs::read_dir(prom.parent().expect("folder")).expect("list").collect();
    assert_eq!(in_folder.len(), 1, "the temporary metrics file is gone");

    // Put right, it passes again, and the metrics file says so.
    for p in [&extra, &stray, &leftover, &partition.join("linked.parquet"), &partition.join("odd\nname"), &not_utf8] {
        std::fs::remove_file(p).expect("remove");
    }
    std::fs::write(flipped, {
        bytes[at] ^= 0x01;
        &bytes
    })
    .expect("unflip");
    let out = verify(&site, &["--tenant", "globex", "--metrics-file", prom.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(std::fs::read_to_string(&prom).expect("metrics").lines().any(|l| l == "importd_verify_ok 1"));
}

/// SHA-256 of `bytes` with the byte at `at` flipped back: what the output held when committed.
fn sha256sum_of(bytes: &[u8], at: usize) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut original = bytes.to_vec();
    original[at] ^= 0x01;
    let p = dir.path().join("original");
    std::fs::write(&p, original).expect("write");
    sha256sum(&p)
}

/// The audit log's lines.
pub fn audit_lines(site: &Site, tenant: &str) -> Vec<String> {
    let text = std::fs::read_to_string(site.path(&format!("state/audit/{tenant}.jsonl"))).expect("audit log");
    text.lines().map(str::to_string).collect()
}

#[test]
fn verify_catches_a_truncated_audit_log_and_names_a_changed_record() {
    let site = imported(3);
    // Cut the log right before its last `committed` record: what is left is an intact chain.
    let lines = audit_lines(&site, "acme");
    let last = lines.iter().rposition(|l| l.contains("\"event\":\"committed\"")).expect("a committed record");
    let record: serde_json::Value = serde_json::from_str(&lines[last]).expect("json");
    let lost = record["outputs"][0]["path"].as_str().expect("its output").to_string();
    let kept: String = lines[..last].iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(site.path("state/audit/acme.jsonl"), kept).expect("truncate");
    let audit = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", "acme"]);
    assert!(audit.status.success(), "the shortened chain is intact by itself: {}", stderr(&audit));

    let out = verify(&site, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    let want = format!("acme: audit_missing: {lost}: the ledger lists it committed by import ");
    assert!(text.lines().any(|l| l.starts_with(&want)), "{text}");
    assert_eq!(text.lines().count(), 2, "one difference, and globex's summary:\n{text}");
    assert!(text.lines().any(|l| l.starts_with("globex: 3 outputs intact")), "{text}");

    // A changed record in globex's chain: named by line and seq.
    let mut lines = audit_lines(&site, "globex");
    let n = lines.iter().position(|l| l.contains("\"event\":\"committed\"")).expect("a committed record");
    lines[n] = lines[n].replace("\"rows_in\":5", "\"rows_in\":6");
    std::fs::write(site.path("state/audit/globex.jsonl"), lines.iter().map(|l| format!("{l}\n")).collect::<String>())
        .expect("write");
    let out = verify(&site, &["--tenant", "globex"]);
    assert_eq!(out.status.code(), Some(1));
    let want = format!("globex: audit_broken: audit record at line {} (seq {}): its MAC does not match", n + 1, n + 1);
    assert!(stdout(&out).lines().any(|l| l.starts_with(&want)), "{}", stdout(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "the records after it still agree: {}", stdout(&out));
}

#[test]
fn verify_usage_and_configuration_errors_exit_2() {
    let site = imported(1);
    let out = verify(&site, &["--tenant", "nobody"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no tenant `nobody`"), "{}", stderr(&out));
    let out = verify(&site, &["--metrics-file", "no/such/folder/x.prom"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = site.run(&["verify", "--config", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
