//! The shared PostgreSQL ledger and S3 drop and storage, with a daemon running all along:
//! a subject in two outputs, two archived inputs and a quarantined original (object copies)
//! is found and erased; the audit chain in PostgreSQL holds; the daemon keeps importing.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::*;
use crate::servers::postgres::Postgres;
use crate::servers::s3::S3Server;
use crate::site::{orders_csv, read_column, wait_until, Site};
use crate::support::stderr;
use importd::store::s3::{ObjectDir, S3Url};

const BUCKET: &str = "importd-subject";

/// The `id`s stored in every output object of acme, read back through a scratch file.
fn stored_ids(storage: &ObjectDir, scratch: &std::path::Path) -> Vec<String> {
    let mut ids = Vec::new();
    for (key, _) in storage.list_all("acme").expect("list storage") {
        if !key.ends_with(".parquet") {
            continue;
        }
        let local = scratch.join("read.parquet");
        std::fs::write(&local, storage.read(&key).expect("read output")).expect("scratch");
        ids.extend(read_column(&local, "id"));
    }
    ids.sort();
    ids
}

fn run(site: &Site, s3: &S3Server, verb: &str, value: &str) -> std::process::Output {
    let env: Vec<(String, String)> = s3.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    subject(site, verb, value, &[], &env)
}

#[test]
#[ignore = "needs PostgreSQL and an S3-compatible server (.ci/run installs them)"]
fn beside_a_running_daemon_on_postgres_and_s3_a_subject_is_found_and_erased() {
    let Some(pg) = Postgres::start() else { return };
    let Some(s3) = S3Server::start() else { return };
    s3.create_bucket(BUCKET);
    let site = Site::new(&format!(
        "drop_dir = \"s3://{BUCKET}/in\"\nstorage_dir = \"s3://{BUCKET}/out\"\nkeep_input_days = 7\nledger = \"{}\"\nnode = \"d0\"",
        pg.url("importd")
    ));
    let url = |p: &str| S3Url::parse(&format!("s3://{BUCKET}/{p}")).expect("url");
    let drop = ObjectDir::open_with(&url("in"), &s3.env()).expect("drop");
    let storage = ObjectDir::open_with(&url("out"), &s3.env()).expect("storage");
    let value = "canary.acme-a.3@example.com";
    drop.put("acme/orders/a.csv", orders_csv("acme-a", 10)).expect("upload");
    drop.put("acme/orders/b.csv", orders_csv("acme-a", 5)).expect("upload"); // acme-a-3 again, other content
    drop.put("acme/orders/c.csv", orders_csv("acme-c", 4)).expect("upload");
    drop.put("acme/orders/bad.csv", format!("id,email\n\"x,{value}\n").into_bytes()).expect("upload");
    let env = s3.env();
    let log = std::fs::File::create(site.path("daemon.log")).expect("log");
    let mut daemon = Command::new(crate::support::importd_path())
        .args(["serve", "--config", "importd.toml"])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(site.dir.path())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn serve");
    let scratch = tempfile::tempdir().expect("scratch");
    let settled = wait_until(Duration::from_secs(60), || {
        stored_ids(&storage, scratch.path()).len() == 19
            && drop.list_all("acme/orders/.importd/quarantine").map(|l| l.len() == 2).unwrap_or(false)
            && drop.list_all("acme/orders/.importd/archive").map(|l| l.len() == 3).unwrap_or(false)
    });
    assert!(
        settled,
        "the daemon did not import the files:\n{}",
        std::fs::read_to_string(site.path("daemon.log")).unwrap_or_default()
    );

    let out = run(&site, &s3, "find", value);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("found: 2 rows in 2 outputs, 3 raw copies"), "{text}");
    assert!(text.contains("(object store)"), "{text}");

    // The daemon keeps importing while the erasure runs.
    drop.put("acme/orders/d.csv", orders_csv("acme-d", 3)).expect("upload");
    let out = run(&site, &s3, "erase", value);
    assert!(super::beside_imports(&out), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("erased: 2 rows in 2 outputs, 3 raw copies"), "{}", stdout(&out));
    assert!(wait_until(Duration::from_secs(30), || stored_ids(&storage, scratch.path()).len() == 20));
    let ids = stored_ids(&storage, scratch.path());
    assert!(!ids.contains(&"acme-a-3".to_string()), "{ids:?}");
    assert_eq!(ids.iter().filter(|i| i.starts_with("acme-a-")).count(), 13);
    assert!(drop.list_all("acme/orders/.importd/quarantine").expect("list").is_empty());
    let archived = drop.list_all("acme/orders/.importd/archive").expect("list");
    assert_eq!(archived.len(), 2, "c.csv and d.csv stay archived: {archived:?}");
    assert!(storage.list_all("acme").expect("list").iter().all(|(k, _)| k.ends_with(".parquet")), "a note was left");

    let mut sql = postgres::Client::connect(&pg.url("importd"), postgres::NoTls).expect("connect");
    let pending: i64 = sql.query_one("SELECT count(*) FROM outputs WHERE pending IS NOT NULL", &[]).expect("q").get(0);
    assert_eq!(pending, 0);
    let erased: i64 =
        sql.query_one("SELECT count(*) FROM audit_records WHERE event = 'subject_erased'", &[]).expect("q").get(0);
    let raw: i64 =
        sql.query_one("SELECT count(*) FROM audit_records WHERE event = 'raw_copy_erased'", &[]).expect("q").get(0);
    assert_eq!((erased, raw), (2, 3));
    let out = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", "acme"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = run(&site, &s3, "erase", value);
    assert!(stdout(&out).contains("erased: 0 rows in 0 outputs, 0 raw copies"), "{}", stdout(&out));
    let _ = daemon.kill();
    let _ = daemon.wait();
}

#[test]
#[ignore = "needs an S3-compatible server (.ci/run installs it)"]
fn a_crash_during_an_erasure_on_s3_storage_leaves_old_or_new_and_the_next_run_completes_it() {
    let Some(s3) = S3Server::start() else { return };
    s3.create_bucket(BUCKET);
    let value = "canary.acme-a.3@example.com";
    let env = s3.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for (i, point) in
        ["subject.after_note", "subject.after_begin", "subject.after_rename", "subject.after_audit"].iter().enumerate()
    {
        let site = Site::new(&format!("storage_dir = \"s3://{BUCKET}/out{i}\""));
        let storage = ObjectDir::open_with(&S3Url::parse(&format!("s3://{BUCKET}/out{i}")).expect("url"), &s3.env())
            .expect("storage");
        site.drop_file("acme", "a.csv", &orders_csv("acme-a", 10));
        let out = Command::new(crate::support::importd_path())
            .args(["serve", "--config", "importd.toml", "--once"])
            .envs(env.iter().copied())
            .current_dir(site.dir.path())
            .output()
            .expect("serve --once");
        assert!(out.status.success(), "{}", stderr(&out));
        let scratch = tempfile::tempdir().expect("scratch");
        let mut crash_env = env.clone();
        let fp = format!("{point}=return");
        crash_env.push(("FAILPOINTS", &fp));
        let out = subject(&site, "erase", value, &[], &crash_env);
        assert_eq!(std::os::unix::process::ExitStatusExt::signal(&out.status), Some(6), "{point}: {}", stderr(&out));
        let n = stored_ids(&storage, scratch.path()).len();
        assert!(n == 10 || n == 9, "{point}: the object holds {n} rows");
        let out = subject(&site, "erase", value, &[], &env);
        assert!(out.status.success(), "{point}: {}", stderr(&out));
        let ids = stored_ids(&storage, scratch.path());
        assert_eq!(ids.len(), 9, "{point}");
        assert!(!ids.contains(&"acme-a-3".to_string()), "{point}");
        let keys: Vec<String> = storage.list_all("acme").expect("list").into_iter().map(|(k, _)| k).collect();
        assert!(keys.iter().all(|k| k.ends_with(".parquet")), "{point}: a note was left: {keys:?}");
        let erased = audit(&site).iter().filter(|r| r["event"] == "subject_erased").count();
        assert_eq!(erased, 1, "{point}");
        let verify = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", "acme"]);
        assert!(verify.status.success(), "{point}: {}", stderr(&verify));
        assert!(ledger_rows(&site).iter().all(|(_, _, pending)| pending.is_none()), "{point}");
    }
}
