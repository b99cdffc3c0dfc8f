//! `importd verify` after real `serve --once` runs: it passes on untouched storage and names a
//! deleted output, a flipped byte, an extra file, a leftover temporary file and a truncated or
//! changed audit log; JSON report, metrics file, exit codes; beside a running daemon it finds
//! nothing wrong while files commit; on S3 storage with the PostgreSQL ledger.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::site::{orders_csv, Site, TENANTS};
use crate::support::{importd_path, stderr, stdout};

/// A site with `files` inputs per tenant, imported by one `serve --once`.
fn imported(files: usize) -> Site {
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

fn verify(site: &Site, extra: &[&str]) -> Output {
    let mut args = vec!["verify", "--config", "importd.toml"];
    args.extend_from_slice(extra);
    site.run(&args)
}

/// `storage/…` → the path verify names (relative to the storage root).
fn rel(site: &Site, p: &Path) -> String {
    p.strip_prefix(site.path("storage")).expect("below storage").to_string_lossy().into_owned()
}

/// SHA-256 of a file by `sha256sum`, not by importd.
fn sha256sum(p: &Path) -> String {
    let out = Command::new("sha256sum").arg(p).output().expect("sha256sum");
    String::from_utf8_lossy(&out.stdout).split(' ').next().unwrap_or_default().to_string()
}

fn assert_no_canary(out: &Output) {
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
fn audit_lines(site: &Site, tenant: &str) -> Vec<String> {
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

#[test]
fn verify_beside_a_running_daemon_finds_nothing_wrong_while_files_commit() {
    let site = Site::new("");
    let mut daemon = site.spawn();
    let (mut runs, mut in_flight, mut seen) = (0, 0, std::collections::BTreeSet::new());
    for round in 0..6 {
        for t in TENANTS {
            for f in 0..4 {
                site.drop_file(t, &format!("r{round}-{f}.csv"), &orders_csv(&format!("{t}-{round}-{f}"), 200));
            }
        }
        for _ in 0..3 {
            let out = verify(&site, &["--json"]);
            runs += 1;
            assert_eq!(out.status.code(), Some(0), "run {runs}:\n{}{}", stdout(&out), stderr(&out));
            let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
            for t in report["tenants"].as_array().expect("tenants") {
                in_flight += t["in_flight"].as_u64().unwrap_or(0);
                seen.insert(t["outputs"].as_u64().unwrap_or(0));
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    }
    // The runs saw storage grow (they ran while imports committed); how many saw an import
    // under way is up to timing.
    eprintln!("{runs} runs beside the daemon saw {} output counts and {in_flight} entries in flight", seen.len());
    assert!(seen.len() > 2, "{seen:?}");
    let all = crate::site::wait_until(Duration::from_secs(60), || TENANTS.iter().all(|t| site.outputs(t).len() == 24));
    assert!(all, "{:?}\n{}", TENANTS.map(|t| site.outputs(t).len()), site.logs());
    crate::site::signal(&daemon, "TERM");
    crate::site::wait_exit(&mut daemon, Duration::from_secs(30));
    let out = verify(&site, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(report["tenants"][0]["outputs"], 24);
    assert_eq!(report["tenants"][0]["in_flight"], 0, "nothing is under way after the daemon stopped");
}

/// An S3 bucket and PostgreSQL: the daemon imports into S3 storage with the shared ledger and
/// verify reads both (the audit chain lives in PostgreSQL too).
#[test]
#[ignore = "needs PostgreSQL and an S3-compatible server (.ci/run installs them)"]
fn verify_on_s3_storage_with_the_postgresql_ledger_names_each_difference() {
    use crate::servers::postgres::Postgres;
    use crate::servers::s3::S3Server;
    use importd::store::s3::{ObjectDir, S3Url};
    let Some(pg) = Postgres::start() else { return };
    let Some(s3) = S3Server::start() else { return };
    let bucket = "importd-verify";
    s3.create_bucket(bucket);
    let site = Site::new(&format!(
        "drop_dir = \"s3://{bucket}/in\"\nstorage_dir = \"s3://{bucket}/out\"\nledger = \"{}\"",
        pg.url("verify")
    ));
    let url = |p: &str| S3Url::parse(&format!("s3://{bucket}/{p}")).expect("url");
    let drop = ObjectDir::open_with(&url("in"), &s3.env()).expect("drop");
    let storage = ObjectDir::open_with(&url("out"), &s3.env()).expect("storage");
    for t in TENANTS {
        for f in 0..3 {
            drop.put(&format!("{t}/orders/o{f}.csv"), orders_csv(&format!("{t}-{f}"), 5)).expect("upload");
        }
    }
    let run = |args: &[&str]| -> Output {
        Command::new(importd_path()).args(args).envs(s3.env()).current_dir(site.dir.path()).output().expect("run")
    };
    let out = run(&["serve", "--config", "importd.toml", "--once"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["verify", "--config", "importd.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).lines().all(|l| l.contains(": 3 outputs intact;")), "{}", stdout(&out));

    let keys: Vec<String> = storage
        .list_all("acme")
        .expect("list")
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.ends_with(".parquet"))
        .collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    storage.delete(&keys[0]).expect("delete");
    let scratch = tempfile::tempdir().expect("scratch");
    let mut bytes = storage.read(&keys[1]).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x80;
    storage.put(&keys[1], bytes.clone()).expect("replace with a flipped byte");
    let local: PathBuf = scratch.path().join("flipped");
    std::fs::write(&local, &bytes).expect("write");
    let extra = format!("acme/orders/date=2026-01-01/{}", "x.parquet");
    storage.put(&extra, b"nobody committed this".to_vec()).expect("extra");
    // The shared chain loses its last records: globex's last committed record and after.
    let mut db = postgres::Client::connect(&pg.url("verify"), postgres::NoTls).expect("connect");
    let last: i64 = db
        .query_one("SELECT max(seq) FROM audit_records WHERE tenant = 'globex' AND event = 'committed'", &[])
        .expect("last committed")
        .get(0);
    db.execute("DELETE FROM audit_records WHERE tenant = 'globex' AND seq >= $1", &[&last]).expect("truncate");

    let out = run(&["verify", "--config", "importd.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_no_canary(&out);
    let text = stdout(&out);
    for want in [
        format!("acme: missing: {}: ", keys[0]),
        format!("acme: changed: {}: its SHA-256 is {}…", keys[1], &sha256sum(&local)[..16]),
        format!("acme: unexpected: {extra}: a file that no import committed"),
        "globex: audit_missing: globex/orders/".to_string(),
    ] {
        assert!(text.lines().any(|l| l.starts_with(&want)), "no line starts with {want:?}:\n{text}");
    }
    assert_eq!(text.lines().count(), 4, "{text}");
}

/// An erasure as `subject erase` records it (ledger rewrite begun, file replaced, audit record,
/// rewrite ended), step by step: verify accepts either version while the rewrite is pending,
/// and names an erasure whose audit record was lost.
#[test]
fn verify_follows_an_erasure_through_each_step_and_names_one_the_audit_lost() {
    use importd::daemon::config::Settings;
    use importd::daemon::ledger::Rewrite;
    use importd::daemon::records::Records;
    let site = imported(2);
    let file = site.outputs("acme")[0].clone();
    let path = rel(&site, &file);
    let before = sha256sum(&file);
    let mut rewritten = std::fs::read(&file).expect("read");
    rewritten.extend_from_slice(b"a rewritten version");
    let aside = site.write("rewritten.bin", &rewritten);
    let after = sha256sum(&aside);
    let settings = Settings::load(&site.path("importd.toml")).expect("settings");
    let tenant = settings.tenant("acme").expect("acme");
    let mut records = Records::open(&settings, "test").expect("records");
    let import_id = path.rsplit('/').next().and_then(|n| n.strip_suffix(".parquet")).expect("id").to_string();
    let pending = |site: &Site| -> (Option<i32>, serde_json::Value) {
        let out = verify(site, &["--json", "--tenant", "acme"]);
        let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
        (out.status.code(), report["tenants"][0]["pending"].clone())
    };

    let rewrite = Rewrite {
        path: path.clone(),
        before: before.clone(),
        after: after.clone(),
        rows_removed: 1,
        cause: "subject_erase".into(),
    };
    records.ledger().begin_rewrite("acme", &rewrite).expect("begin");
    assert_eq!(pending(&site), (Some(0), serde_json::json!(0)), "storage still holds the version before");
    std::fs::rename(&aside, &file).expect("replace the output");
    assert_eq!(pending(&site), (Some(0), serde_json::json!(1)), "storage holds the pending version");
    let body = serde_json::json!({
        "dataset": "orders", "import_id": import_id, "output": path,
        "sha256_before": before, "sha256_after": after, "rows_removed": 1, "column": "email",
    });
    records.audit(tenant, "subject_erased", body.as_object().cloned().expect("object")).expect("audit");
    assert_eq!(pending(&site), (Some(0), serde_json::json!(1)));
    records.ledger().end_rewrite("acme", &path, &after).expect("end");
    let out = verify(&site, &["--tenant", "acme"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!stdout(&out).contains("pending"), "{}", stdout(&out));

    // The log loses its last record, the erasure's: the ledger knows an erasure the chain does not.
    let lines = audit_lines(&site, "acme");
    assert!(lines.last().is_some_and(|l| l.contains("\"event\":\"subject_erased\"")));
    let kept: String = lines[..lines.len() - 1].iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(site.path("state/audit/acme.jsonl"), kept).expect("truncate");
    let out = verify(&site, &["--tenant", "acme"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let want = format!("acme: audit_missing: {path}: the ledger records SHA-256 {}…", &after[..16]);
    assert!(stdout(&out).lines().any(|l| l.starts_with(&want)), "{}", stdout(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
}
