//! The shared PostgreSQL ledger against a real server: claims race across daemons, leases
//! run out and are taken over, a fenced daemon records nothing, twins never publish together,
//! takeovers under contention, a server restart, the audit chain of many daemons, migrations.

use std::collections::HashSet;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use importd::daemon::audit::{verify_lines, AuditKey, Verdict};
use importd::daemon::ledger::{Entry, ImportId, Ledger, LedgerError, Phase, PostgresLedger, Source};
use postgres::{Client, NoTls};
use ring::hmac;
use serde_json::{json, Map, Value};

use crate::servers::postgres::Postgres;

const LONG: Duration = Duration::from_secs(60);
const SHORT: Duration = Duration::from_millis(300);

fn ledger(url: &str, node: &str, lease: Duration) -> PostgresLedger {
    PostgresLedger::connect(url, node, lease).expect("connect the ledger")
}

fn claimed(key: &str, etag: &str) -> (ImportId, Entry) {
    let id = ImportId::new().expect("import id");
    let entry = Entry::Claimed {
        id: id.clone(),
        tenant: "acme".into(),
        dataset: "orders".into(),
        file: key.rsplit('/').next().unwrap_or(key).into(),
        at_ms: 1,
        audit_offset: 0,
        source: Some(Source { key: key.into(), etag: etag.into(), size: 10 }),
    };
    (id, entry)
}

fn started(id: &ImportId, sha: &str) -> Entry {
    Entry::Started { id: id.clone(), sha256: sha.into(), size: 10, output: format!("out/{id}.parquet") }
}

fn publishing(id: &ImportId) -> Entry {
    Entry::Publishing {
        id: id.clone(),
        output: format!("out/{id}.parquet"),
        output_sha256: "o".into(),
        audit: Value::Null,
        reimport: false,
    }
}

fn committed(id: &ImportId, sha: &str) -> Entry {
    Entry::Committed { id: id.clone(), sha256: sha.into(), output: format!("out/{id}.parquet"), audit: Value::Null }
}

fn identity(sha: &str) -> (String, String, String) {
    ("acme".into(), "orders".into(), sha.into())
}

/// Daemons `a` and `b`, each with an import of the same content (`same`) started: `x` on
/// `a`, `y` on `b`.
fn twins_started(url: &str) -> (PostgresLedger, PostgresLedger, ImportId, ImportId) {
    let mut a = ledger(url, "a", LONG);
    let mut b = ledger(url, "b", LONG);
    let (x, claim) = claimed("acme/orders/x.csv", "e");
    a.append(&claim).unwrap();
    let (y, claim) = claimed("acme/orders/y.csv", "e");
    b.append(&claim).unwrap();
    a.append(&started(&x, "same")).unwrap();
    b.append(&started(&y, "same")).unwrap();
    (a, b, x, y)
}

fn sql(url: &str) -> Client {
    Client::connect(url, NoTls).expect("connect for inspection")
}

/// The history rows of an import: (event, node), in order.
fn history(db: &mut Client, id: &ImportId) -> Vec<(String, String)> {
    let rows = db.query("SELECT ev, node FROM steps WHERE import_id = $1 ORDER BY seq", &[&id.to_string()]).unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn two_daemons_racing_for_one_drop_object_claim_it_once() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("race");
    let daemons: Vec<_> = ["a", "b"].iter().map(|n| Arc::new(Mutex::new(ledger(&url, n, LONG)))).collect::<Vec<_>>();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (daemon, barrier) = (Arc::clone(&daemons[i % 2]), Arc::clone(&barrier));
            thread::spawn(move || {
                let (id, entry) = claimed("acme/orders/f.csv", "\"etag-1\"");
                barrier.wait();
                (id, daemon.lock().unwrap().append(&entry))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let won: Vec<_> = results.iter().filter(|(_, r)| r.is_ok()).collect();
    assert_eq!(won.len(), 1, "exactly one claim wins: {results:?}");
    assert!(results.iter().all(|(_, r)| matches!(r, Ok(()) | Err(LedgerError::Taken))), "{results:?}");
    let winner = &won[0].0;
    let mut db = sql(&url);
    let rows: i64 = db.query_one("SELECT count(*) FROM imports", &[]).unwrap().get(0);
    assert_eq!(rows, 1, "a lost claim leaves no row");
    let holders: Vec<_> = daemons.iter().map(|d| d.lock().unwrap().unfinished().unwrap()).collect();
    assert_eq!(holders.iter().map(Vec::len).sum::<usize>(), 1, "one daemon holds the claim");
    assert!(holders.iter().flatten().any(|(id, _)| id == winner));
    // A new version of the same object (another ETag) is a new claim.
    let (_, again) = claimed("acme/orders/f.csv", "\"etag-2\"");
    daemons[1].lock().unwrap().append(&again).expect("a new ETag is claimed again");
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn a_daemon_whose_lease_ran_out_is_taken_over_and_fenced_without_a_trace() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("fence");
    let mut old = ledger(&url, "old", SHORT);
    let mut new = ledger(&url, "new", LONG);
    let (id, claim) = claimed("acme/orders/a.csv", "e");
    old.append(&claim).unwrap();
    old.append(&started(&id, "h")).unwrap();
    assert_eq!(new.take_over(10).unwrap(), Vec::<ImportId>::new(), "a live lease is not taken");
    thread::sleep(SHORT + Duration::from_millis(200));
    assert_eq!(new.take_over(10).unwrap(), vec![id.clone()]);
    assert!(!old.holds(&id, Duration::ZERO).unwrap());
    assert!(new.holds(&id, Duration::from_secs(10)).unwrap());

    let mut db = sql(&url);
    let before = history(&mut db, &id);
    for entry in [publishing(&id), committed(&id, "h"), started(&id, "h"), Entry::Done { id: id.clone() }] {
        assert!(matches!(old.append(&entry), Err(LedgerError::Fenced)), "{} by the fenced daemon", entry.word());
    }
    assert_eq!(history(&mut db, &id), before, "the fenced daemon left no step behind");
    assert_eq!(old.get(&id).unwrap().unwrap().phase, Phase::Started { output: format!("out/{id}.parquet") });
    assert!(old.unfinished().unwrap().is_empty());
    assert_eq!(old.committed(&identity("h")).unwrap(), None);
    let taken = &before[2];
    assert_eq!(taken, &("taken_over".to_string(), "new".to_string()));
    let from: String = db
        .query_one(
            "SELECT entry::json->>'from' FROM steps WHERE import_id = $1 AND ev = 'taken_over'",
            &[&id.to_string()],
        )
        .unwrap()
        .get(0);
    assert_eq!(from, "old", "the history names the daemon that lost the lease");

    assert_eq!(new.unfinished().unwrap().len(), 1);
    for entry in [started(&id, "h"), publishing(&id), committed(&id, "h"), Entry::Done { id: id.clone() }] {
        new.append(&entry).unwrap();
    }
    assert_eq!(new.committed(&identity("h")).unwrap(), Some(id.clone()));
    let st = new.get(&id).unwrap().unwrap();
    assert_eq!((st.phase, st.attempts), (Phase::Done, 2));
    let owner: Option<String> =
        db.query_one("SELECT owner FROM imports WHERE id = $1", &[&id.to_string()]).unwrap().get(0);
    assert_eq!(owner, None, "done releases the lease");
    assert!(new.unfinished().unwrap().is_empty());

    // Publishing needs a lease that has not run out, even when no one took it yet.
    let (id2, claim) = claimed("acme/orders/b.csv", "e");
    old.append(&claim).unwrap();
    old.append(&started(&id2, "h2")).unwrap();
    thread::sleep(SHORT + Duration::from_millis(100));
    assert!(matches!(old.append(&publishing(&id2)), Err(LedgerError::Fenced)));
    assert_eq!(old.renew().unwrap(), Vec::<ImportId>::new(), "no one took it: the lease is renewed");
    old.append(&publishing(&id2)).unwrap();
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn renewing_keeps_a_lease_past_its_length_and_reports_it_lost_after_a_takeover() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("renew");
    let mut a = ledger(&url, "a", SHORT);
    let mut b = ledger(&url, "b", LONG);
    let (id, claim) = claimed("acme/orders/a.csv", "e");
    a.append(&claim).unwrap();
    for _ in 0..8 {
        thread::sleep(Duration::from_millis(100));
        assert_eq!(a.renew().unwrap(), Vec::<ImportId>::new());
        assert!(b.take_over(10).unwrap().is_empty(), "a renewed lease is not taken over");
    }
    assert!(a.holds(&id, Duration::from_millis(100)).unwrap(), "800 ms later, a 300 ms lease still holds");
    assert!(!a.holds(&id, Duration::from_secs(1)).unwrap(), "but not with a margin longer than the lease");
    thread::sleep(SHORT + Duration::from_millis(200));
    assert_eq!(b.take_over(10).unwrap(), vec![id.clone()]);
    assert_eq!(a.renew().unwrap(), vec![id.clone()], "the lost lease is reported");
    assert_eq!(a.renew().unwrap(), Vec::<ImportId>::new(), "and forgotten");
    assert!(a.unfinished().unwrap().is_empty());
    assert_eq!(b.renew().unwrap(), Vec::<ImportId>::new());
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn two_imports_of_the_same_content_are_never_publishing_together() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("twins");
    let (mut a, mut b, x, y) = twins_started(&url);
    a.append(&publishing(&x)).unwrap();
    assert!(matches!(b.append(&publishing(&y)), Err(LedgerError::Busy)));
    assert!(matches!(b.get(&y).unwrap().unwrap().phase, Phase::Started { .. }), "the refused step left nothing");
    assert_eq!(b.publishing(&identity("same")).unwrap(), Some(x.clone()));
    a.append(&Entry::RolledBack { id: x.clone(), cause: "not published".into(), cancelled: false }).unwrap();
    b.append(&publishing(&y)).unwrap();
    assert_eq!(a.publishing(&identity("same")).unwrap(), Some(y.clone()));
    b.append(&committed(&y, "same")).unwrap();
    assert_eq!(a.committed(&identity("same")).unwrap(), Some(y));
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn takeovers_under_contention_give_each_expired_import_to_exactly_one_daemon() {
    const SOURCES: usize = 2000;
    const DAEMONS: usize = 4;
    const THREADS: usize = 2;
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("contention");
    let lease = Duration::from_millis(500);
    let claimers: Vec<_> =
        (0..DAEMONS).map(|i| Arc::new(Mutex::new(ledger(&url, &format!("claimer-{i}"), lease)))).collect();
    // Every source is tried by two daemons: one claim wins, the other is Taken.
    let t0 = Instant::now();
    let handles: Vec<_> = (0..DAEMONS * THREADS)
        .map(|t| {
            let daemon = Arc::clone(&claimers[t % DAEMONS]);
            thread::spawn(move || {
                let (mut won, mut taken) = (0, 0);
                for s in (t / 2..SOURCES).step_by(DAEMONS * THREADS / 2) {
                    let (_, entry) = claimed(&format!("acme/orders/{s}.csv"), "e");
                    match daemon.lock().unwrap().append(&entry) {
                        Ok(()) => won += 1,
                        Err(LedgerError::Taken) => taken += 1,
                        Err(e) => panic!("claim failed: {e}"),
                    }
                }
                (won, taken)
            })
        })
        .collect();
    let (won, taken) = handles.into_iter().map(|h| h.join().unwrap()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let claiming = t0.elapsed();
    assert_eq!((won, taken), (SOURCES, SOURCES), "each source claimed once, each second try Taken");
    eprintln!(
        "PostgreSQL claims/s under contention: {:.0} ({SOURCES} sources, each tried by 2 of {DAEMONS} daemons on {} threads, {claiming:.2?})",
        SOURCES as f64 / claiming.as_secs_f64(),
        DAEMONS * THREADS
    );
    drop(claimers);
    thread::sleep(lease + Duration::from_millis(200));

    let takers: Vec<_> =
        (0..DAEMONS).map(|i| Arc::new(Mutex::new(ledger(&url, &format!("taker-{i}"), LONG)))).collect();
    let barrier = Arc::new(Barrier::new(DAEMONS * THREADS));
    let t0 = Instant::now();
    let handles: Vec<_> = (0..DAEMONS * THREADS)
        .map(|t| {
            let (daemon, barrier) = (Arc::clone(&takers[t % DAEMONS]), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                let mut got = Vec::new();
                loop {
                    let batch = daemon.lock().unwrap().take_over(8).expect("take over");
                    if batch.is_empty() {
                        return got;
                    }
                    got.extend(batch);
                }
            })
        })
        .collect();
    let all: Vec<ImportId> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    let taking = t0.elapsed();
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (SOURCES, SOURCES), "every import taken over exactly once");
    let held: usize = takers.iter().map(|d| d.lock().unwrap().unfinished().unwrap().len()).sum();
    assert_eq!(held, SOURCES, "each import held by the daemon that took it");
    eprintln!(
        "PostgreSQL takeovers/s under contention: {:.0} ({SOURCES} expired imports, {DAEMONS} daemons on {} threads, take_over(8), {taking:.2?})",
        SOURCES as f64 / taking.as_secs_f64(),
        DAEMONS * THREADS
    );
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn a_postgresql_restart_fails_calls_while_down_and_the_same_ledger_carries_on() {
    let Some(mut pg) = Postgres::start() else { return };
    // Trust authentication never asks for the password: it is there to be kept out of errors.
    let url = pg.url("restart").replacen("postgres@", "postgres:s3cret-pw@", 1);
    let mut a = ledger(&url, "a", LONG);
    let (id, claim) = claimed("acme/orders/a.csv", "e");
    a.append(&claim).unwrap();
    a.append(&started(&id, "h")).unwrap();
    pg.stop();
    for result in [a.append(&publishing(&id)), a.get(&id).map(drop), a.renew().map(drop), a.ping()] {
        let Err(LedgerError::Write(m)) = result else { panic!("expected a failed write while down: {result:?}") };
        assert!(!m.contains("s3cret"), "the password is in an error: {m}");
        assert!(m.contains("(database restart)"), "the error names the database: {m}");
    }
    assert!(!a.healthy());
    pg.restart();
    assert!(a.healthy(), "the same ledger reconnects");
    a.append(&publishing(&id)).unwrap();
    a.append(&committed(&id, "h")).unwrap();
    let mut b = ledger(&url, "b", LONG);
    assert_eq!(b.committed(&identity("h")).unwrap(), Some(id.clone()));
    let st = b.get(&id).unwrap().unwrap();
    assert!(matches!(st.phase, Phase::Committed { .. }), "nothing recorded before the restart was lost");
    let events: Vec<String> = history(&mut sql(&url), &id).into_iter().map(|(e, _)| e).collect();
    assert_eq!(events, ["claimed", "started", "publishing", "committed"], "the failed step was not half-recorded");
}

fn audit_key() -> AuditKey {
    AuditKey { id: "k9".into(), key: hmac::Key::new(hmac::HMAC_SHA256, &[9u8; 32]) }
}

fn body(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn four_daemons_appending_to_one_audit_chain_keep_it_one_verifiable_chain() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("audit");
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|d| {
            let (url, barrier) = (url.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                let mut l = ledger(&url, &format!("d{d}"), LONG);
                barrier.wait();
                for n in 0..100 {
                    l.audit_append(
                        "acme",
                        &audit_key(),
                        "rules_reloaded",
                        body(&[("daemon", json!(d)), ("n", json!(n))]),
                    )
                    .expect("audit append");
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    let mut l = ledger(&url, "reader", LONG);
    assert_eq!(l.audit_len("acme").unwrap(), 400);
    assert_eq!(l.audit_len("other").unwrap(), 0);
    let lines = l.audit_lines("acme").unwrap();
    let seqs: Vec<u64> =
        lines.iter().map(|line| serde_json::from_slice::<Value>(line).unwrap()["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=400).collect::<Vec<_>>());
    let verdict = verify_lines(lines.into_iter().map(Ok), &[audit_key()]).unwrap();
    assert_eq!(verdict, Verdict::Intact { records: 400 });

    let changed = sql(&url)
        .execute(
            "UPDATE audit_records SET line = replace(line, '\"n\":', '\"n\":1') WHERE tenant = 'acme' AND seq = 123",
            &[],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let verdict = verify_lines(l.audit_lines("acme").unwrap().into_iter().map(Ok), &[audit_key()]).unwrap();
    assert!(matches!(verdict, Verdict::Broken { line: 123, seq: Some(123), .. }), "{verdict:?}");
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn a_daemon_that_lost_an_imports_lease_cannot_write_its_audit_records() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("audit_fence");
    let mut old = ledger(&url, "old", SHORT);
    let mut new = ledger(&url, "new", LONG);
    let (id, claim) = claimed("acme/orders/a.csv", "e");
    old.append(&claim).unwrap();
    let of = |id: &ImportId| body(&[("import_id", json!(id.to_string()))]);
    old.audit_append("acme", &audit_key(), "import_started", of(&id)).unwrap();
    thread::sleep(SHORT + Duration::from_millis(200));
    assert_eq!(new.take_over(1).unwrap(), vec![id.clone()]);
    // With its stale token, and again once it has forgotten the lease: refused both times.
    for _ in 0..2 {
        let r = old.audit_append("acme", &audit_key(), "committed", of(&id));
        assert!(matches!(r, Err(LedgerError::Fenced)), "{r:?}");
    }
    assert!(!old.audit_has("acme", id.as_str(), "committed").unwrap());
    new.audit_append("acme", &audit_key(), "committed", of(&id)).unwrap();
    assert!(old.audit_has("acme", id.as_str(), "committed").unwrap());
    // Records about no held import (daemon events) are anyone's to write.
    old.audit_append("acme", &audit_key(), "daemon_stopped", Map::new()).unwrap();
    assert_eq!(old.audit_len("acme").unwrap(), 3);
    let verdict = verify_lines(old.audit_lines("acme").unwrap().into_iter().map(Ok), &[audit_key()]).unwrap();
    assert_eq!(verdict, Verdict::Intact { records: 3 });
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn migrations_run_once_across_daemons_and_a_newer_schema_is_refused() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("migrations");
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|d| {
            let (url, barrier) = (url.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                PostgresLedger::connect(&url, &format!("d{d}"), LONG).map(drop)
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().expect("daemons starting together all connect");
    }
    let mut db = sql(&url);
    let applied = |db: &mut Client| -> Vec<(i32, String)> {
        let rows = db.query("SELECT version, applied_at::text FROM importd_migrations ORDER BY version", &[]).unwrap();
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    };
    let first = applied(&mut db);
    assert_eq!(first.iter().map(|(v, _)| *v).collect::<Vec<_>>(), [1, 2]);
    drop(ledger(&url, "later", LONG));
    assert_eq!(applied(&mut db), first, "a second connect migrates nothing");

    db.execute("INSERT INTO importd_migrations (version, applied_at) VALUES (99, now())", &[]).unwrap();
    let refused = PostgresLedger::connect(&url, "old-importd", LONG);
    assert!(matches!(&refused, Err(LedgerError::Corrupt(m)) if m.contains("newer")), "{refused:?}");
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn the_same_object_uploaded_again_after_its_import_is_done_is_claimed_anew() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("again");
    let mut a = ledger(&url, "a", LONG);
    let mut b = ledger(&url, "b", LONG);
    let (first, claim) = claimed("acme/orders/x.csv", "\"e1\"");
    a.append(&claim).expect("first claim");
    // While the first import of this key and ETag is unfinished, nobody claims it again.
    let (_, again) = claimed("acme/orders/x.csv", "\"e1\"");
    assert!(matches!(b.append(&again), Err(LedgerError::Taken)));
    a.append(&Entry::Abandoned { id: first }).expect("abandoned");
    // Done with it (the object was deleted): the same bytes under the same name are a new file.
    let (second, claim) = claimed("acme/orders/x.csv", "\"e1\"");
    b.append(&claim).expect("a new upload of the same object is claimed");
    assert!(b.get(&second).expect("get").is_some());
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn a_file_claimed_from_a_local_drop_folder_is_resumed_only_by_its_own_node() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("local");
    let mut a = ledger(&url, "a", SHORT);
    let (id, mut claim) = claimed("unused", "unused");
    if let Entry::Claimed { source, .. } = &mut claim {
        *source = None; // a local drop file: it lives in a's processing/ only
    }
    a.append(&claim).expect("claim");
    thread::sleep(SHORT * 2);
    let mut b = ledger(&url, "b", LONG);
    assert_eq!(b.take_over(10).expect("take over"), Vec::<ImportId>::new(), "another node took a local claim");
    // The node itself, restarted, takes it back at once.
    let mut a2 = ledger(&url, "a", LONG);
    assert_eq!(a2.resume_own().expect("resume own"), vec![id.clone()]);
    // The old incarnation's token is stale: it records nothing more.
    assert!(matches!(a.append(&started(&id, "h")), Err(LedgerError::Fenced)));
    a2.append(&Entry::Abandoned { id }).expect("the restarted node holds it");
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn content_another_daemon_committed_meanwhile_is_not_published_again() {
    // The attack: identical files on two daemons, both past their duplicate check; one
    // commits, then the other reaches `publishing`.
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("twins_committed");
    let (mut a, mut b, x, y) = twins_started(&url);
    a.append(&publishing(&x)).unwrap();
    a.append(&committed(&x, "same")).unwrap();
    assert!(matches!(b.append(&publishing(&y)), Err(LedgerError::Busy)), "a committed twin was published again");
    // Unless the dataset imports duplicates on purpose.
    let mut again = publishing(&y);
    if let Entry::Publishing { reimport, .. } = &mut again {
        *reimport = true;
    }
    b.append(&again).unwrap();
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn a_lease_that_ran_short_is_given_up_and_never_taken_over_under_a_running_import() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("short");
    let mut a = ledger(&url, "a", SHORT);
    let (id, claim) = claimed("acme/orders/x.csv", "e");
    a.append(&claim).unwrap();
    thread::sleep(SHORT * 2);
    // Its own running import is not taken over by the same daemon (the run would inherit
    // the new token and never be fenced).
    assert_eq!(a.take_over(10).unwrap(), Vec::<ImportId>::new());
    // Given up: taken over at once, and the old token is fenced.
    a.release(&id).unwrap();
    let mut b = ledger(&url, "b", LONG);
    assert_eq!(b.take_over(10).unwrap(), vec![id.clone()]);
    assert!(matches!(a.append(&started(&id, "h")), Err(LedgerError::Fenced)));
    b.append(&started(&id, "h")).unwrap();
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn a_stale_daemon_cannot_add_records_to_an_import_another_daemon_finished() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("audit_after_done");
    let mut old = ledger(&url, "old", SHORT);
    let mut new = ledger(&url, "new", LONG);
    let (id, claim) = claimed("acme/orders/a.csv", "e");
    old.append(&claim).unwrap();
    let of = |id: &ImportId| body(&[("import_id", json!(id.to_string()))]);
    thread::sleep(SHORT + Duration::from_millis(200));
    assert_eq!(new.take_over(1).unwrap(), vec![id.clone()]);
    new.audit_append("acme", &audit_key(), "committed", of(&id)).unwrap();
    new.append(&Entry::Abandoned { id: id.clone() }).unwrap();
    let r = old.audit_append("acme", &audit_key(), "committed", of(&id));
    assert!(matches!(r, Err(LedgerError::Fenced)), "{r:?}");
    // And no daemon writes one import's record twice.
    let (other, claim) = claimed("acme/orders/b.csv", "e");
    new.append(&claim).unwrap();
    new.audit_append("acme", &audit_key(), "import_started", of(&other)).unwrap();
    assert!(new.audit_append("acme", &audit_key(), "import_started", of(&other)).is_err());
    assert_eq!(new.audit_len("acme").unwrap(), 2);
}

#[test]
#[ignore = "needs PostgreSQL (.ci/run installs it)"]
fn committed_outputs_rewrites_and_a_forgotten_tenant_on_the_shared_ledger() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url("outputs");
    let mut a = ledger(&url, "a", LONG);
    let (id, claim) = claimed("acme/orders/x.csv", "\"e1\"");
    let path = format!("acme/orders/date=2026-12-02/{id}.parquet");
    let audit = json!({ "outputs": [{ "path": path, "sha256": "s1" }] });
    a.append(&claim).expect("claim");
    a.append(&started(&id, "h1")).expect("started");
    let publish = Entry::Publishing {
        id: id.clone(),
        output: path.clone(),
        output_sha256: "s1".into(),
        audit: audit.clone(),
        reimport: false,
    };
    a.append(&publish).expect("publishing");
    a.append(&Entry::Committed { id: id.clone(), sha256: "h1".into(), output: path.clone(), audit })
        .expect("committed");
    let outs = a.outputs("acme").expect("outputs");
    assert_eq!(outs.len(), 1);
    assert_eq!(
        (outs[0].path.as_str(), outs[0].sha256.as_str(), outs[0].pending.as_deref()),
        (path.as_str(), "s1", None)
    );

    // A rewrite from another process: pending until ended; a second one meanwhile is Busy.
    let mut b = ledger(&url, "b", LONG);
    let rw = importd::daemon::ledger::Rewrite {
        path: path.clone(),
        before: "s1".into(),
        after: "s2".into(),
        rows_removed: 1,
        cause: "subject_erase".into(),
    };
    b.begin_rewrite("acme", &rw).expect("begin");
    assert!(matches!(a.begin_rewrite("acme", &rw), Err(LedgerError::Busy)));
    assert_eq!(a.outputs("acme").expect("outputs")[0].pending.as_deref(), Some("s2"));
    // Ending is conditional on the pending rewrite: a settle that expects another is
    // refused and changes nothing.
    assert!(matches!(a.end_rewrite("acme", &path, "s9", "s1"), Err(LedgerError::Write(_))));
    assert_eq!(a.outputs("acme").expect("outputs")[0].pending.as_deref(), Some("s2"));
    b.end_rewrite("acme", &path, "s2", "s2").expect("end");
    assert_eq!(a.outputs("acme").expect("outputs")[0].sha256, "s2");
    // Another node settling the same rewrite afterwards (to `before`) cannot undo it.
    assert!(matches!(a.end_rewrite("acme", &path, "s2", "s1"), Err(LedgerError::Write(_))));
    assert_eq!(a.outputs("acme").expect("outputs")[0].sha256, "s2");

    // The subject lock is per tenant across nodes: b holds acme's; a is refused until b goes.
    b.lock_subject("acme").expect("b takes acme's subject lock");
    assert!(matches!(a.lock_subject("acme"), Err(LedgerError::Write(m)) if m.contains("another subject command")));
    a.lock_subject("globex").expect("another tenant's lock is free");
    drop(b);
    assert!(
        crate::site::wait_until(Duration::from_secs(10), || a.lock_subject("acme").is_ok()),
        "the lock goes with b's connection"
    );

    // Forgetting acme removes its rows and its audit chain; another tenant's chain stays.
    a.audit_append("acme", &audit_key(), "committed", body(&[("import_id", json!(id.as_str()))])).expect("audit");
    a.audit_append("globex", &audit_key(), "daemon_started", Map::new()).expect("audit");
    assert!(a.forget_tenant("acme").expect("forget") >= 5);
    assert!(a.outputs("acme").expect("outputs").is_empty());
    assert!(a.get(&id).expect("get").is_none());
    assert!(a.audit_lines("acme").expect("lines").is_empty());
    let globex = a.audit_lines("globex").expect("lines");
    assert_eq!(
        verify_lines(globex.into_iter().map(Ok), &[audit_key()]).expect("verify"),
        Verdict::Intact { records: 1 }
    );
}
