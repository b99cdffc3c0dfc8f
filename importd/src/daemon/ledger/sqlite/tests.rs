//! The embedded ledger's own tests.

use super::*;
use crate::daemon::outcome::{Reason, ReasonKind};

fn id(s: &str) -> ImportId {
    ImportId(s.to_string())
}

fn claimed(i: &str) -> Entry {
    Entry::Claimed {
        id: id(i),
        tenant: "t".into(),
        dataset: "d".into(),
        file: "f".into(),
        at_ms: 1,
        audit_offset: 7,
        source: None,
    }
}

fn started(i: &str) -> Entry {
    Entry::Started { id: id(i), sha256: "h".into(), size: 3, output: "o".into() }
}

fn committed(i: &str) -> Entry {
    Entry::Committed { id: id(i), sha256: "h".into(), output: "o".into(), audit: serde_json::Value::Null }
}

#[test]
fn steps_survive_a_reopen_and_finished_imports_leave_the_unfinished_list() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    {
        let mut l = SqliteLedger::open(dir.path())?;
        for e in [claimed("a"), started("a"), committed("a"), claimed("b"), started("b")] {
            l.append(&e)?;
        }
    }
    let mut l = SqliteLedger::open(dir.path())?;
    let a = l.get(&id("a"))?.ok_or("a is missing")?;
    assert_eq!(a.phase, Phase::Committed { audit: serde_json::Value::Null });
    assert_eq!(a.attempts, 1);
    assert_eq!(l.committed(&("t".into(), "d".into(), "h".into()))?, Some(id("a")));
    assert_eq!(l.unfinished()?.iter().map(|(i, _)| i.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    l.append(&Entry::Done { id: id("a") })?;
    assert_eq!(l.unfinished()?.len(), 1);
    assert!(l.committed(&("t".into(), "d".into(), "h".into()))?.is_some(), "the identity outlives the import");
    Ok(())
}

#[test]
fn shutdown_rollbacks_are_not_attempts_but_crashes_are() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut l = SqliteLedger::open(dir.path())?;
    l.append(&claimed("a"))?;
    for _ in 0..3 {
        l.append(&started("a"))?;
        l.append(&Entry::RolledBack { id: id("a"), cause: "shutdown".into(), cancelled: true })?;
    }
    assert_eq!(l.get(&id("a"))?.ok_or("a")?.attempts, 0);
    l.append(&started("a"))?;
    l.append(&Entry::RolledBack { id: id("a"), cause: "interrupted".into(), cancelled: false })?;
    assert_eq!(l.get(&id("a"))?.ok_or("a")?.attempts, 1);
    Ok(())
}

#[test]
fn the_history_word_is_the_json_tag() -> Result<(), Box<dyn std::error::Error>> {
    let reason = Reason::new(ReasonKind::Input, "x");
    let entries = [
        claimed("a"),
        started("a"),
        committed("a"),
        Entry::Abandoned { id: id("a") },
        Entry::Publishing {
            id: id("a"),
            output: "o".into(),
            output_sha256: "s".into(),
            audit: serde_json::Value::Null,
            reimport: false,
        },
        Entry::RolledBack { id: id("a"), cause: "c".into(), cancelled: true },
        Entry::Duplicate { id: id("a"), sha256: "h".into(), of: id("b") },
        Entry::Quarantined { id: id("a"), reason },
        Entry::Done { id: id("a") },
    ];
    for e in &entries {
        assert_eq!(serde_json::to_value(e)?["ev"], e.word());
    }
    Ok(())
}

#[test]
fn illegal_moves_are_not_recorded() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut l = SqliteLedger::open(dir.path())?;
    for e in [claimed("a"), started("a"), committed("a")] {
        l.append(&e)?;
    }
    // A committed import is never quarantined afterwards, nor started again.
    l.append(&Entry::Quarantined { id: id("a"), reason: Reason::new(ReasonKind::Internal, "x") })?;
    l.append(&started("a"))?;
    assert!(matches!(l.get(&id("a"))?.ok_or("a")?.phase, Phase::Committed { .. }));
    l.append(&Entry::Done { id: id("a") })?;
    l.append(&claimed("a"))?; // an id is claimed once: a second claim resets nothing
    assert_eq!(l.get(&id("a"))?.ok_or("a")?.phase, Phase::Done);
    // `publishing` only ends committed or rolled back.
    for e in [claimed("b"), started("b")] {
        l.append(&e)?;
    }
    let publishing = Entry::Publishing {
        id: id("b"),
        output: "o".into(),
        output_sha256: "s".into(),
        audit: serde_json::Value::Null,
        reimport: false,
    };
    l.append(&publishing)?;
    l.append(&Entry::Quarantined { id: id("b"), reason: Reason::new(ReasonKind::Internal, "x") })?;
    assert!(matches!(l.get(&id("b"))?.ok_or("b")?.phase, Phase::Publishing { .. }));
    Ok(())
}

#[test]
fn a_json_lines_ledger_is_imported_once() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let reason = Reason::new(ReasonKind::Input, "broken");
    let lines: Vec<String> = [
        claimed("a"),
        started("a"),
        committed("a"),
        Entry::Done { id: id("a") },
        claimed("b"),
        started("b"),
        Entry::Quarantined { id: id("b"), reason },
    ]
    .iter()
    .map(|e| serde_json::to_string(e).map(|s| s + "\n"))
    .collect::<Result<_, _>>()?;
    std::fs::write(dir.path().join("ledger.jsonl"), lines.concat() + "{\"ev\":\"done\",\"id\":\"b")?;
    let mut l = SqliteLedger::open(dir.path())?;
    assert!(!dir.path().join("ledger.jsonl").exists(), "renamed aside");
    assert!(dir.path().join("ledger.jsonl.imported").exists());
    assert_eq!(l.committed(&("t".into(), "d".into(), "h".into()))?, Some(id("a")));
    let unfinished = l.unfinished()?;
    assert_eq!(unfinished.len(), 1);
    assert!(matches!(unfinished[0].1.phase, Phase::Quarantined { .. }));
    drop(l);
    // A crash after the import's transaction, before the rename: not imported twice.
    std::fs::rename(dir.path().join("ledger.jsonl.imported"), dir.path().join("ledger.jsonl"))?;
    let l = SqliteLedger::open(dir.path())?;
    let steps: i64 = l.conn.query_row("SELECT count(*) FROM steps", [], |r| r.get(0))?;
    assert_eq!(steps, 7);
    Ok(())
}

#[test]
fn a_ledger_from_a_newer_version_is_refused() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    drop(SqliteLedger::open(dir.path())?);
    let c = Connection::open(dir.path().join("ledger.sqlite"))?;
    c.pragma_update(None, "user_version", 99)?;
    drop(c);
    assert!(matches!(SqliteLedger::open(dir.path()), Err(LedgerError::Corrupt(m)) if m.contains("newer")));
    Ok(())
}

#[test]
fn committed_outputs_are_listed_and_a_rewrite_is_pending_until_ended() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut l = SqliteLedger::open(dir.path())?;
    let audit = serde_json::json!({ "outputs": [{ "path": "t/d/date=2026-01-01/a.parquet", "sha256": "s1" }] });
    for e in [
        claimed("a"),
        started("a"),
        Entry::Committed { id: id("a"), sha256: "h".into(), output: "t/d/date=2026-01-01/a.parquet".into(), audit },
    ] {
        l.append(&e)?;
    }
    let outs = l.outputs("t")?;
    assert_eq!(outs.len(), 1);
    assert_eq!((outs[0].sha256.as_str(), outs[0].pending.as_deref()), ("s1", None));
    assert!(l.outputs("other")?.is_empty());

    let rw = |before: &str| Rewrite {
        path: "t/d/date=2026-01-01/a.parquet".into(),
        before: before.into(),
        after: "s2".into(),
        rows_removed: 3,
        cause: "subject_erase".into(),
    };
    assert!(matches!(l.begin_rewrite("t", &rw("wrong")), Err(LedgerError::Write(_))));
    l.begin_rewrite("t", &rw("s1"))?;
    assert!(matches!(l.begin_rewrite("t", &rw("s1")), Err(LedgerError::Busy)));
    assert_eq!(l.outputs("t")?[0].pending.as_deref(), Some("s2"));
    drop(l);
    let mut l = SqliteLedger::open(dir.path())?;
    let path = "t/d/date=2026-01-01/a.parquet";
    // Conditional on the pending rewrite: another's (or none) is refused and changes nothing.
    let refused = l.end_rewrite("t", path, "s9", "s1");
    assert!(matches!(&refused, Err(LedgerError::Write(m)) if m.contains("no longer the one pending")), "{refused:?}");
    assert_eq!((l.outputs("t")?[0].sha256.as_str(), l.outputs("t")?[0].pending.as_deref()), ("s1", Some("s2")));
    l.end_rewrite("t", path, "s2", "s2")?;
    assert_eq!((l.outputs("t")?[0].sha256.as_str(), l.outputs("t")?[0].pending.as_deref()), ("s2", None));
    // Ended once: a second process settling the same rewrite (to `before`) cannot undo it.
    assert!(matches!(l.end_rewrite("t", path, "s2", "s1"), Err(LedgerError::Write(_))));
    assert_eq!((l.outputs("t")?[0].sha256.as_str(), l.outputs("t")?[0].pending.as_deref()), ("s2", None));

    assert!(l.forget_tenant("t")? >= 4);
    assert!(l.outputs("t")?.is_empty() && l.get(&id("a"))?.is_none());
    Ok(())
}

#[test]
fn migration_4_lists_the_outputs_an_earlier_ledger_committed() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut l = SqliteLedger::open(dir.path())?;
    let audit = serde_json::json!({ "outputs": [{ "path": "t/d/date=2026-01-01/a.parquet", "sha256": "s1" }] });
    l.append(&claimed("a"))?;
    l.append(&started("a"))?;
    l.append(&Entry::Committed {
        id: id("a"),
        sha256: "h".into(),
        output: "t/d/date=2026-01-01/a.parquet".into(),
        audit,
    })?;
    l.append(&Entry::Done { id: id("a") })?;
    // The ledger as importd before migration 4 left it.
    l.conn.execute_batch("DROP TABLE outputs; DROP TABLE rewrites; PRAGMA user_version = 3;")?;
    drop(l);
    let mut l = SqliteLedger::open(dir.path())?;
    let outs = l.outputs("t")?;
    assert_eq!(outs.len(), 1);
    assert_eq!(
        (outs[0].path.as_str(), outs[0].sha256.as_str(), outs[0].import_id.as_str()),
        ("t/d/date=2026-01-01/a.parquet", "s1", "a")
    );
    Ok(())
}

#[test]
fn processes_opening_a_new_ledger_at_once_each_migrate_it_once() -> Result<(), Box<dyn std::error::Error>> {
    // The daemon and a command beside it (`verify`) on a fresh state folder: before each
    // migration took the write lock first, one of them failed ("table … already exists").
    for _ in 0..200 {
        let dir = tempfile::tempdir()?;
        let opened: Vec<String> = std::thread::scope(|s| {
            let all: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| SqliteLedger::open(dir.path()).map(|_| String::new()).unwrap_or_else(|e| e.to_string()))
                })
                .collect();
            all.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        assert_eq!(opened, vec![String::new(); 4]);
        let conn = Connection::open(dir.path().join("ledger.sqlite"))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
    Ok(())
}
