//! A subject in four datasets over two key generations, in free text, archived inputs and a
//! quarantined original: found, exported, erased once.

use std::path::PathBuf;

use super::*;
use crate::site::{files_under, read_column};
use crate::support::stderr;

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
    let footers: Vec<_> = outputs.iter().map(|p| footer(p)).collect();
    assert!(footers.iter().all(|f| f.contains_key("importd.import_id")), "{footers:?}");

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
    // The fake is many-to-one: its row is flagged as maybe someone else's; the others are not.
    for l in &stored {
        let flagged = l.get("may_belong_to_others") == Some(&serde_json::json!(true));
        assert_eq!(flagged, l["dataset"] == "newsletter", "{l}");
    }
    assert!(lines.iter().any(|l| l["raw_copy"] == "archive" && l["row"]["email"] == ANNA), "raw rows are exported too");

    // erase --dry-run changes nothing; without --include-ambiguous the faked row stays.
    let before = (snapshot(site, "storage"), snapshot(site, "state"), ledger_rows(site));
    let out = r.subject("erase", ANNA, &["--dry-run"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("would erase: 5 rows in 4 outputs, 7 raw copies"), "{text}");
    assert!(text.contains("1 row matched only through the many-to-one column left in place"), "{text}");
    assert!(text.contains("--include-ambiguous"), "{text}");
    let out = r.subject("erase", ANNA, &["--dry-run", "--include-ambiguous"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("would erase: 6 rows in 5 outputs, 7 raw copies"), "{}", stdout(&out));
    assert_eq!(
        before,
        (snapshot(site, "storage"), snapshot(site, "state"), ledger_rows(site)),
        "a dry run changed something"
    );

    // erase (the operator checked the faked row: it is Anna's).
    let out = r.subject("erase", ANNA, &["--include-ambiguous"], &[]);
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
    let after: Vec<_> = outputs.iter().map(|p| footer(p)).collect();
    assert_eq!(footers, after, "a rewritten output lost its schema or footer metadata");
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
    // Storage agrees with the ledger and the chain: the rewritten outputs are the ones recorded.
    let out = site.run(&["verify", "--config", "importd.toml"]);
    assert!(out.status.success(), "verify after the erasure: {}{}", stdout(&out), stderr(&out));

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
