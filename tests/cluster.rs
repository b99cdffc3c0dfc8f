//! Many daemons, one PostgreSQL ledger, one S3 server: the promises of one daemon kept by
//! three. Real servers (tests/servers), real processes, real `kill -9`, `SIGSTOP` past a
//! lease, and a PostgreSQL restart in the middle; every stored row is checked one by one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use importd::store::s3::{ObjectDir, S3Url};

use crate::servers::postgres::Postgres;
use crate::servers::s3::S3Server;
use crate::site::{http_get, orders_csv, signal, wait_until, RULES, TENANTS};
use crate::support::{importd_path, set_mode};

const BUCKET: &str = "importd-cluster";
const LEASE_MS: u64 = 3000;

/// A folder with keys, rules and one configuration per daemon (`d0.toml`, …), all on the
/// same ledger and the same drop and storage prefixes.
struct Cluster {
    dir: tempfile::TempDir,
    pg_url: String,
    env: Vec<(String, String)>,
    daemons: Vec<Option<Child>>,
    kills: usize,
    spawns: usize,
}

impl Cluster {
    fn new(pg: &Postgres, s3: &S3Server, n: usize, extra: &str) -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let pg_url = pg.url("importd");
        let mut tenants = String::new();
        for (i, t) in TENANTS.iter().enumerate() {
            let key = dir.path().join(format!("keys/{t}.key"));
            std::fs::create_dir_all(key.parent().expect("keys")).expect("mkdir keys");
            std::fs::write(&key, format!("{}\n", format!("{:02x}", i + 1).repeat(32))).expect("key");
            set_mode(&key, 0o600);
            std::fs::create_dir_all(dir.path().join("rules")).expect("mkdir rules");
            std::fs::write(dir.path().join(format!("rules/{t}.toml")), RULES).expect("rules");
            tenants.push_str(&format!(
                "[tenants.{t}]\nkey_file = \"keys/{t}.key\"\n[tenants.{t}.datasets.orders]\nrules = \"rules/{t}.toml\"\n"
            ));
        }
        for i in 0..n {
            let cfg = format!(
                "drop_dir = \"s3://{BUCKET}/drop\"\nstorage_dir = \"s3://{BUCKET}/storage\"\nstate_dir = \"state-{i}\"\n\
                 ledger = \"{pg_url}\"\nnode = \"d{i}\"\nlease_ms = {LEASE_MS}\nsettle_ms = 200\nscan_interval_ms = 200\n\
                 workers = 2\nmin_free_mb = 1\nmetrics_addr = \"127.0.0.1:0\"\n{extra}\n{tenants}"
            );
            std::fs::write(dir.path().join(format!("d{i}.toml")), cfg).expect("config");
        }
        Cluster { dir, pg_url, env: s3.env(), daemons: (0..n).map(|_| None).collect(), kills: 0, spawns: 0 }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn start(&mut self, i: usize) {
        let log = self.path(&format!("logs/d{i}-{}.log", self.spawns));
        self.spawns += 1;
        std::fs::create_dir_all(log.parent().expect("logs")).expect("mkdir logs");
        let child = Command::new(importd_path())
            .args(["serve", "--config", &format!("d{i}.toml")])
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("log file"))
            .spawn()
            .expect("spawn serve");
        self.daemons[i] = Some(child);
    }

    fn kill9(&mut self, i: usize) {
        if let Some(mut child) = self.daemons[i].take() {
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
            self.kills += 1;
        }
    }

    fn child(&self, i: usize) -> &Child {
        self.daemons[i].as_ref().expect("the daemon runs")
    }

    fn logs(&self) -> String {
        let mut all = String::new();
        for f in crate::site::files_under(&self.path("logs")) {
            all.push_str(&std::fs::read_to_string(f).unwrap_or_default());
        }
        all
    }

    fn sql(&self) -> postgres::Client {
        postgres::Client::connect(&self.pg_url, postgres::NoTls).expect("connect to the test PostgreSQL")
    }

    fn stop_all(&mut self) {
        for i in 0..self.daemons.len() {
            if let Some(mut child) = self.daemons[i].take() {
                signal(&child, "TERM");
                let _ = child.wait();
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self.daemons.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One daemon's site on a new bucket (the embedded ledger): drop `s3://<bucket>/in`, storage
/// `s3://<bucket>/out`, `extra` configuration; the site and both prefixes as the test sees them.
fn single_daemon(s3: &S3Server, bucket: &str, extra: &str) -> (crate::site::Site, ObjectDir, ObjectDir) {
    s3.create_bucket(bucket);
    let site = crate::site::Site::new(&format!(
        "drop_dir = \"s3://{bucket}/in\"\nstorage_dir = \"s3://{bucket}/out\"\n{extra}"
    ));
    let url = |p: &str| S3Url::parse(&format!("s3://{bucket}/{p}")).expect("url");
    let drop = ObjectDir::open_with(&url("in"), &s3.env()).expect("drop");
    let storage = ObjectDir::open_with(&url("out"), &s3.env()).expect("storage");
    (site, drop, storage)
}

/// The object store as the test sees it (the same prefixes the daemons use).
fn store(s3: &S3Server, prefix: &str) -> ObjectDir {
    let url = S3Url::parse(&format!("s3://{BUCKET}/{prefix}")).expect("url");
    ObjectDir::open_with(&url, &s3.env()).expect("open the test bucket")
}

/// Every stored `id` of a tenant, with how often it appears, read from the Parquet objects.
fn stored_ids(storage: &ObjectDir, tenant: &str, scratch: &Path) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for (key, _) in storage.list_all(tenant).expect("list storage") {
        assert!(key.ends_with(".parquet"), "storage holds {key}, which is no output");
        let local = scratch.join("read.parquet");
        std::fs::write(&local, storage.read(&key).expect("read output")).expect("write scratch");
        for id in crate::site::read_column(&local, "id") {
            *ids.entry(id).or_insert(0) += 1;
        }
    }
    ids
}

fn rows_of(tenant: &str, file: usize) -> usize {
    // Mostly small files, every 50th a larger one, so imports overlap kills and stops.
    if file % 50 == 7 {
        4000
    } else {
        5 + (file * 7 + tenant.len()) % 20
    }
}

fn prefix(tenant: &str, file: usize) -> String {
    format!("{tenant}-f{file}")
}

#[test]
#[ignore = "needs PostgreSQL and an S3-compatible server (.ci/run installs them)"]
fn three_daemons_kill9_sigstop_and_a_postgres_restart_store_every_row_exactly_once() {
    let Some(mut pg) = Postgres::start() else { return };
    let Some(s3) = S3Server::start() else { return };
    s3.create_bucket(BUCKET);
    // A kill every ~0.65 s hits the daemon holding a large import five times in a row often
    // enough to quarantine it as a crash-looping file (`max_attempts`, 5; its own test is
    // crash::a_file_that_crashes_the_daemon_every_time_is_quarantined_after_max_attempts).
    // Here every file must land, so the limit is out of the way, as in serve's kill -9 test.
    let mut c = Cluster::new(&pg, &s3, 3, "max_attempts = 100000");
    let drop = store(&s3, "drop");
    let storage = store(&s3, "storage");
    for i in 0..3 {
        c.start(i);
    }
    const FILES: usize = 260; // per tenant: 520 in all
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let upload = |t: &str, f: usize| {
        let body = orders_csv(&prefix(t, f), rows_of(t, f));
        drop.put(&format!("{t}/orders/orders-{f}.csv"), body).expect("upload");
    };
    // Files arrive in waves while daemons are killed (-9) and restarted at random.
    let mut file = 0;
    let mut pg_restarted = false;
    while file < FILES || c.kills < 30 {
        for _ in 0..8 {
            if file < FILES {
                for t in TENANTS {
                    upload(t, file);
                }
                file += 1;
            }
        }
        let victim = (next() % 3) as usize;
        std::thread::sleep(Duration::from_millis(150 + next() % 400));
        c.kill9(victim);
        std::thread::sleep(Duration::from_millis(next() % 300));
        c.start(victim);
        if file >= FILES / 2 && !pg_restarted {
            // PostgreSQL goes away and comes back while imports run.
            pg.restart();
            pg_restarted = true;
        }
    }
    assert!(c.kills >= 30, "only {} kills", c.kills);
    let mut db = c.sql();
    let settled = |db: &mut postgres::Client, secs: u64| {
        wait_until(Duration::from_secs(secs), || {
            let left: usize = TENANTS.iter().map(|t| drop.list(&format!("{t}/orders")).map_or(1, |l| l.len())).sum();
            let open: i64 =
                db.query_one("SELECT count(*) FROM imports WHERE NOT finished", &[]).map_or(1, |r| r.get(0));
            left == 0 && open == 0
        })
    };
    assert!(settled(&mut db, 300), "files were left unprocessed after the kills; logs:\n{}", tail(&c.logs()));

    // One daemon stalls (SIGSTOP) while it holds an import, past its lease; the import must
    // land once through another daemon, and the stalled one must not commit after SIGCONT.
    let big = FILES; // a large file, so the import is still running when the daemon stops
    let big_rows = 200_000;
    drop.put(&format!("acme/orders/orders-{big}.csv"), orders_csv(&prefix("acme", big), big_rows)).expect("upload");
    let mut stalled = None;
    let held = wait_until(Duration::from_secs(60), || {
        let rows = db
            .query(
                "SELECT id, owner FROM imports WHERE NOT finished AND file = $1 AND owner IS NOT NULL",
                &[&format!("orders-{big}.csv")],
            )
            .unwrap_or_default();
        if let Some(r) = rows.first() {
            let owner: String = r.get(1);
            stalled = Some((r.get::<_, String>(0), owner));
            return true;
        }
        false
    });
    assert!(held, "no daemon claimed the large file; logs:\n{}", tail(&c.logs()));
    let (big_id, owner) = stalled.expect("held");
    let n: usize = owner.trim_start_matches('d').parse().expect("node name d<i>");
    signal(c.child(n), "STOP");
    let stopped_at = Instant::now();
    let taken = wait_until(Duration::from_secs(90), || {
        db.query_one("SELECT phase FROM imports WHERE id = $1", &[&big_id])
            .map(|r| r.get::<_, String>(0) == "done")
            .unwrap_or(false)
    });
    assert!(taken, "the stalled daemon's import was not finished by another daemon");
    assert!(stopped_at.elapsed() > Duration::from_millis(LEASE_MS), "finished before the lease could run out");
    signal(c.child(n), "CONT");
    // Give the woken daemon time to try to go on with what it held.
    std::thread::sleep(Duration::from_millis(3 * LEASE_MS));
    let committers: Vec<String> = db
        .query("SELECT node FROM steps WHERE import_id = $1 AND ev = 'committed'", &[&big_id])
        .expect("steps")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(committers.len(), 1, "the import was committed {} times: {committers:?}", committers.len());
    assert_ne!(committers[0], owner, "the daemon that stalled past its lease committed");

    // Everything settles: no drop object left, no unfinished import.
    assert!(settled(&mut db, 120), "files were left unprocessed; logs:\n{}", tail(&c.logs()));
    c.stop_all();
    let logs = c.logs();

    // Row by row: every expected id exactly once, nothing else, per tenant.
    let scratch = tempfile::tempdir().expect("scratch");
    for t in TENANTS {
        let ids = stored_ids(&storage, t, scratch.path());
        let mut expected: BTreeMap<String, usize> = BTreeMap::new();
        for f in 0..FILES {
            for id in crate::site::expected_ids(&prefix(t, f), rows_of(t, f)) {
                expected.insert(id, 1);
            }
        }
        if t == "acme" {
            for id in crate::site::expected_ids(&prefix(t, big), big_rows) {
                expected.insert(id, 1);
            }
        }
        let missing: Vec<&String> = expected.keys().filter(|k| !ids.contains_key(*k)).collect();
        let doubled = ids.values().filter(|n| **n > 1).count();
        let foreign = ids.keys().filter(|k| !expected.contains_key(*k)).count();
        assert_eq!(
            (missing.len(), doubled, foreign),
            (0, 0, 0),
            "{t}: rows missing, doubled, or not this tenant's\n{}",
            diagnose(&mut db, &drop, t, &missing, &logs)
        );
        // The tenant's audit chain in the ledger holds, checked by the CLI.
        let out = Command::new(importd_path())
            .args(["audit", "verify", "--config", "d0.toml", "--tenant", t])
            .envs(c.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(c.dir.path())
            .output()
            .expect("audit verify");
        assert!(out.status.success(), "{t}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let about_it: Vec<&str> = logs.lines().filter(|l| l.contains(&big_id)).collect();
    assert!(
        about_it
            .iter()
            .any(|l| l.contains("lost the import's lease") || l.contains("lease of a running import was lost")),
        "the woken daemon did not notice it lost its lease:\n{}",
        about_it.join("\n")
    );
    eprintln!(
        "cluster: {} files, {} kill -9, PostgreSQL restarted once, one SIGSTOP past the lease",
        2 * FILES + 1,
        c.kills
    );
}

#[test]
fn a_tenant_prefix_pointing_into_another_tenants_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg =
        format!("drop_dir = \"s3://{BUCKET}/drop\"\nstorage_dir = \"s3://{BUCKET}/storage\"\nstate_dir = \"state\"\n");
    for (i, t) in TENANTS.iter().enumerate() {
        let key = dir.path().join(format!("{t}.key"));
        std::fs::write(&key, format!("{}\n", format!("{:02x}", i + 1).repeat(32))).expect("key");
        set_mode(&key, 0o600);
        std::fs::write(dir.path().join(format!("{t}.toml")), RULES).expect("rules");
        cfg.push_str(&format!("[tenants.{t}]\nkey_file = \"{t}.key\"\n"));
        if i == 1 {
            // globex's storage prefix points into acme's area.
            cfg.push_str(&format!("storage_dir = \"s3://{BUCKET}/storage/{}\"\n", TENANTS[0]));
        }
        cfg.push_str(&format!("[tenants.{t}.datasets.orders]\nrules = \"{t}.toml\"\n"));
    }
    std::fs::write(dir.path().join("importd.toml"), cfg).expect("config");
    let out = Command::new(importd_path())
        .args(["serve", "--config", "importd.toml", "--once"])
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .output()
        .expect("run serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("overlap") && err.contains("`acme`") && err.contains("`globex`"), "{err}");
}

/// What the ledger, the drop's kept objects and the logs say about the files whose rows are
/// missing: enough to tell a wrong quarantine from a lost commit after one failed run.
fn diagnose(db: &mut postgres::Client, drop: &ObjectDir, tenant: &str, missing: &[&String], logs: &str) -> String {
    let mut files: Vec<String> = missing
        .iter()
        .filter_map(|id| id.strip_prefix(&format!("{tenant}-f"))?.split('-').next().map(|f| format!("orders-{f}.csv")))
        .collect();
    files.dedup();
    let mut out = format!("files with missing rows: {files:?}\n");
    for file in files.iter().take(5) {
        let imports = db
            .query(
                "SELECT id, phase, state, attempts, coalesce(owner, ''), finished FROM imports WHERE tenant = $1 AND file = $2",
                &[&tenant, file],
            )
            .unwrap_or_default();
        for r in imports {
            let id: String = r.get(0);
            out.push_str(&format!(
                "{file}: import {id} phase {} state {} attempts {} owner {:?} finished {}\n",
                r.get::<_, String>(1),
                r.get::<_, String>(2),
                r.get::<_, i32>(3),
                r.get::<_, String>(4),
                r.get::<_, bool>(5)
            ));
            for s in db
                .query("SELECT ev, node, entry FROM steps WHERE import_id = $1 ORDER BY seq", &[&id])
                .unwrap_or_default()
            {
                out.push_str(&format!(
                    "  step {} on {}: {}\n",
                    r_str(&s, 0),
                    r_str(&s, 1),
                    r_str(&s, 2).chars().take(300).collect::<String>()
                ));
            }
            for l in logs.lines().filter(|l| l.contains(&id)) {
                out.push_str(&format!("  log: {}\n", l.chars().take(300).collect::<String>()));
            }
        }
    }
    for (key, _) in drop.list_all(tenant).unwrap_or_default() {
        if key.contains("quarantine") && key.ends_with(".json") {
            let reason = drop.read(&key).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            out.push_str(&format!("quarantined: {key}: {}\n", reason.chars().take(400).collect::<String>()));
        }
    }
    out
}

fn r_str(row: &postgres::Row, i: usize) -> String {
    row.get::<_, String>(i)
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

#[test]
#[ignore = "needs an S3-compatible server (.ci/run installs it)"]
fn one_daemon_imports_from_an_s3_drop_into_s3_storage_and_quarantines_as_object_copies() {
    let Some(s3) = S3Server::start() else { return };
    let (site, drop, storage) = single_daemon(&s3, "importd-single", "keep_input_days = 7");
    for t in TENANTS {
        for f in 0..3 {
            drop.put(&format!("{t}/orders/o{f}.csv"), orders_csv(&prefix(t, f), 10)).expect("upload");
        }
        drop.put(&format!("{t}/orders/x.csv.part"), b"an upload in progress".to_vec()).expect("upload");
    }
    drop.put("acme/orders/broken.csv", b"id,email\n\"unterminated\n".to_vec()).expect("upload");
    let out = Command::new(importd_path())
        .args(["serve", "--config", "importd.toml", "--once"])
        .envs(s3.env())
        .current_dir(site.dir.path())
        .output()
        .expect("serve --once");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "one file is quarantined: {err}");
    let scratch = tempfile::tempdir().expect("scratch");
    for t in TENANTS {
        let ids = stored_ids(&storage, t, scratch.path());
        let expected: Vec<String> =
            (0..3).flat_map(|f| crate::site::expected_ids(&prefix(t, f), 10).collect::<Vec<_>>()).collect();
        assert_eq!(ids.len(), expected.len(), "{t}: {ids:?}");
        assert!(expected.iter().all(|id| ids.get(id) == Some(&1)), "{t}: a row is missing or doubled");
        // Imported inputs are gone from the drop prefix (archived as copies), uploads in
        // progress stay.
        let left: Vec<String> = drop.list(&format!("{t}/orders")).expect("list").into_iter().map(|e| e.name).collect();
        assert_eq!(left, vec!["x.csv.part".to_string()], "{t}");
        let archived = drop.list_all(&format!("{t}/orders/.importd/archive")).expect("list archive");
        assert_eq!(archived.len(), 3, "{t}: {archived:?}");
    }
    let quarantined: Vec<String> =
        drop.list_all("acme/orders/.importd/quarantine").expect("list").into_iter().map(|(k, _)| k).collect();
    assert_eq!(quarantined.len(), 2, "{quarantined:?}");
    let reason = quarantined.iter().find(|k| k.ends_with("/reason.json")).expect("reason.json");
    let reason: serde_json::Value = serde_json::from_slice(&drop.read(reason).expect("read")).expect("json");
    assert_eq!(reason["kind"], "input", "{reason}");
    assert!(quarantined.iter().any(|k| k.ends_with("/input.csv")), "{quarantined:?}");
    // The audit log is local with the embedded ledger, and it holds.
    for t in TENANTS {
        let out = site.run(&["audit", "verify", "--config", "importd.toml", "--tenant", t]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    // Offboarding acme deletes its objects in both prefixes (inputs waiting, archive and
    // quarantine copies, outputs); globex's stay, each with its ETag.
    let objects = |dir: &ObjectDir| -> Vec<(String, String)> {
        dir.list_all("").expect("list").into_iter().map(|(k, e)| (k, e.etag)).collect()
    };
    let globex = |all: Vec<(String, String)>| -> Vec<(String, String)> {
        all.into_iter().filter(|(k, _)| k.starts_with("globex/")).collect()
    };
    let (drop_before, storage_before) = (globex(objects(&drop)), globex(objects(&storage)));
    assert!(!drop_before.is_empty() && !storage_before.is_empty());
    let out = Command::new(importd_path())
        .args(["tenant", "offboard", "-c", "importd.toml", "-t", "acme", "--confirm", "acme", "--report", "gone"])
        .envs(s3.env())
        .current_dir(site.dir.path())
        .output()
        .expect("offboard");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for dir in [&drop, &storage] {
        let left: Vec<String> = objects(dir).into_iter().map(|(k, _)| k).filter(|k| k.starts_with("acme/")).collect();
        assert!(left.is_empty(), "{left:?}");
    }
    assert_eq!(globex(objects(&drop)), drop_before);
    assert_eq!(globex(objects(&storage)), storage_before);
}

#[test]
#[ignore = "needs PostgreSQL and an S3-compatible server (.ci/run installs them)"]
fn readyz_is_false_while_postgres_is_down_and_intake_resumes_when_it_is_back() {
    let Some(mut pg) = Postgres::start() else { return };
    let Some(s3) = S3Server::start() else { return };
    s3.create_bucket(BUCKET);
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut c = Cluster::new(&pg, &s3, 1, "");
    let cfg = std::fs::read_to_string(c.path("d0.toml")).expect("config");
    std::fs::write(c.path("d0.toml"), cfg.replace("127.0.0.1:0", &format!("127.0.0.1:{port}"))).expect("config");
    let drop = store(&s3, "drop");
    let storage = store(&s3, "storage");
    c.start(0);
    let ready = |want: bool| {
        wait_until(Duration::from_secs(30), || {
            http_get(port, "/readyz").is_ok_and(|r| r.starts_with(if want { "HTTP/1.1 200" } else { "HTTP/1.1 503" }))
        })
    };
    assert!(ready(true), "never ready; logs:\n{}", tail(&c.logs()));
    drop.put("acme/orders/before.csv", orders_csv("before", 5)).expect("upload");
    let stored =
        |n: usize| wait_until(Duration::from_secs(60), || storage.list_all("acme").is_ok_and(|o| o.len() == n));
    assert!(stored(1), "the first file was not imported; logs:\n{}", tail(&c.logs()));

    pg.stop();
    assert!(ready(false), "/readyz stayed ready while PostgreSQL was down");
    let metrics = http_get(port, "/metrics").expect("metrics");
    assert!(metrics.contains("importd_ledger_up 0"), "{metrics}");
    drop.put("acme/orders/during.csv", orders_csv("during", 5)).expect("upload");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(storage.list_all("acme").expect("list").len(), 1, "imported while the ledger was down");

    pg.restart();
    assert!(ready(true), "not ready again after PostgreSQL came back; logs:\n{}", tail(&c.logs()));
    assert!(stored(2), "the file dropped during the outage was not imported; logs:\n{}", tail(&c.logs()));
    let scratch = tempfile::tempdir().expect("scratch");
    let ids = stored_ids(&storage, "acme", scratch.path());
    assert_eq!(ids.len(), 10, "{ids:?}");
    assert!(ids.values().all(|n| *n == 1), "a row was stored twice: {ids:?}");
    c.stop_all();
    // Daemon events go into the shared chains too.
    let started: i64 = c
        .sql()
        .query_one("SELECT count(*) FROM audit_records WHERE event = 'daemon_started' AND tenant = 'acme'", &[])
        .expect("count")
        .get(0);
    assert!(started >= 1, "daemon_started is missing from the shared audit chain");
}

#[test]
#[ignore = "needs an S3-compatible server (.ci/run installs it)"]
fn local_folders_and_s3_mix_an_s3_drop_into_local_storage_and_a_local_drop_into_s3() {
    let Some(s3) = S3Server::start() else { return };
    let bucket = "importd-mixed";
    s3.create_bucket(bucket);
    let url = |p: &str| S3Url::parse(&format!("s3://{bucket}/{p}")).expect("url");
    // acme: the global local drop, its own S3 storage; globex: its own S3 drop, the global
    // local storage.
    let site = crate::site::Site::new("");
    let cfg = std::fs::read_to_string(site.path("importd.toml")).expect("config");
    let cfg = cfg
        .replace(
            "[tenants.acme]\nkey_file = \"keys/acme.key\"\n",
            &format!("[tenants.acme]\nkey_file = \"keys/acme.key\"\nstorage_dir = \"s3://{bucket}/out\"\n"),
        )
        .replace(
            "[tenants.globex]\nkey_file = \"keys/globex.key\"\n",
            &format!("[tenants.globex]\nkey_file = \"keys/globex.key\"\ndrop_dir = \"s3://{bucket}/in\"\n"),
        );
    site.write("importd.toml", cfg);
    let globex_drop = ObjectDir::open_with(&url("in"), &s3.env()).expect("drop");
    let storage = ObjectDir::open_with(&url("out"), &s3.env()).expect("storage");
    site.drop_file("acme", "a.csv", &orders_csv("acme-local", 7));
    globex_drop.put("globex/orders/g.csv", orders_csv("globex-s3", 9)).expect("upload");
    let out = Command::new(importd_path())
        .args(["serve", "--config", "importd.toml", "--once"])
        .envs(s3.env())
        .current_dir(site.dir.path())
        .output()
        .expect("serve --once");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let scratch = tempfile::tempdir().expect("scratch");
    let want =
        |p: &str, n: usize| -> BTreeMap<String, usize> { crate::site::expected_ids(p, n).map(|i| (i, 1)).collect() };
    assert_eq!(stored_ids(&storage, "acme", scratch.path()), want("acme-local", 7), "acme in S3");
    assert_eq!(site.stored_ids("globex"), want("globex-s3", 9), "globex in the local storage");
    assert!(site.outputs("acme").is_empty(), "acme's output went to the local storage");
    assert!(storage.list_all("globex").expect("list").is_empty(), "globex's output went to S3");
    assert!(site.files("drop/acme/orders").is_empty(), "the local input stayed");
    assert!(globex_drop.list("globex/orders").expect("list").is_empty(), "the S3 input stayed");
}

#[test]
#[ignore = "needs an S3-compatible server (.ci/run installs it)"]
fn a_claim_whose_object_vanished_and_whose_abandonment_the_ledger_refused_is_settled_not_held() {
    // The claim is recorded, the download finds the object gone, and recording the claim
    // abandoned fails (the ledger went away). The claim stands, with its lease in a shared
    // ledger: it must be run to a settled state, not dropped by this daemon and kept by the
    // ledger, where nobody would ever finish it (the object would never be imported again).
    let Some(s3) = S3Server::start() else { return };
    let (site, drop, storage) = single_daemon(&s3, "importd-abandon", "");
    drop.put("acme/orders/o0.csv", orders_csv(&prefix("acme", 0), 10)).expect("upload");
    let serve = |failpoints: &str| {
        let out = Command::new(importd_path())
            .args(["serve", "--config", "importd.toml", "--once"])
            .envs(s3.env())
            .env("FAILPOINTS", failpoints)
            .current_dir(site.dir.path())
            .output()
            .expect("serve --once");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, first) = serve("objects.vanished=1*return;ledger.abandoned=1*return");
    assert_eq!(code, Some(0), "{first}");
    // The claim was settled as abandoned, not imported (its object "vanished"), and let go:
    // the next run claims the object anew and stores it, once, taking it out of the drop.
    let (code, err) = serve("");
    assert_eq!(code, Some(0), "{err}");
    let scratch = tempfile::tempdir().expect("scratch");
    let ids = stored_ids(&storage, "acme", scratch.path());
    let expected: Vec<String> = crate::site::expected_ids(&prefix("acme", 0), 10).collect();
    assert_eq!(ids.len(), expected.len(), "{ids:?}\n{err}");
    assert!(expected.iter().all(|id| ids.get(id) == Some(&1)), "a row is missing or doubled: {ids:?}");
    let left: Vec<String> = drop.list("acme/orders").expect("list").into_iter().map(|e| e.name).collect();
    assert!(left.is_empty(), "{left:?}\n{err}");
    assert!(first.contains("could not be recorded as abandoned"), "the injected faults were not hit: {first}");
}
