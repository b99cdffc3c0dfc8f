//! Column names are data until shown otherwise (spec guarantee 6): a headerless CSV of e-mails
//! and phone numbers, and JSON Lines keyed by e-mails, under `unlisted = "reject"`, are
//! quarantined as `header_looks_like_data` and no value reaches a log line, `reason.json`,
//! the ledger, the audit log or the metrics.

use std::io::Write;
use std::time::Duration;

use crate::site::*;

const REJECT: &str = "version = 1\nunlisted = \"reject\"\n[columns]\nid = \"keep\"\n";

/// Rows of canary e-mails and phone numbers, no header row.
fn headerless_csv() -> Vec<u8> {
    let mut out = Vec::new();
    for n in 0..20 {
        writeln!(out, "canary.anna{n}@example.com,+49 170 555{n:04},canary street {n}").expect("write");
    }
    out
}

/// Objects keyed by e-mail addresses.
fn keyed_jsonl() -> Vec<u8> {
    let mut out = Vec::new();
    for n in 0..20 {
        writeln!(out, "{{\"canary.bert{n}@example.com\": {{\"visits\": {n}}}, \"canary.cleo{n}@example.org\": 1}}")
            .expect("write");
    }
    out
}

#[test]
fn a_header_row_of_data_is_quarantined_and_no_value_leaks_anywhere() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let site = Site::new(&format!("metrics_addr = \"127.0.0.1:{port}\""));
    site.replace_rules("acme", REJECT);
    let mut child = site.spawn();
    site.drop_file("acme", "contacts.csv", &headerless_csv());
    site.drop_file("acme", "visits.jsonl", &keyed_jsonl());
    assert!(wait_until(Duration::from_secs(60), || site.reasons("acme").len() == 2), "{}", site.logs());
    assert!(wait_until(Duration::from_secs(10), || http_get(port, "/healthz").is_ok()), "metrics never served");
    let quarantined = || http_get(port, "/metrics").is_ok_and(|m| m.contains("outcome=\"quarantined\"} 2"));
    assert!(wait_until(Duration::from_secs(10), quarantined), "the metrics never counted both");
    let metrics = http_get(port, "/metrics").expect("metrics");
    assert!(!metrics.to_lowercase().contains("canary"), "a value in the metrics:\n{metrics}");
    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(30)).success());

    for reason in site.reasons("acme") {
        assert_eq!(reason["kind"], "header_looks_like_data", "{reason}");
        assert!(reason["message"].as_str().unwrap_or_default().contains("[input] header = false"), "{reason}");
    }
    assert!(site.outputs("acme").is_empty());
    let audit = std::fs::read_to_string(site.path("state/audit/acme.jsonl")).expect("audit log");
    assert_eq!(audit.matches("\"event\":\"quarantined\"").count(), 2, "{audit}");
    assert!(site.logs().contains("header_looks_like_data"), "{}", site.logs());
    // Logs, reason.json, the ledger (SQLite file and WAL) and the audit log: no canary.
    assert_no_canary(&site);
}

#[test]
fn names_from_the_file_are_shown_by_position_unless_plain() {
    let site = Site::new("");
    site.replace_rules("acme", REJECT);
    // A real header with a value-shaped name and a person's name among ordinary ones: the
    // schema problem (unlisted columns under "reject") names them `column 3`, `column 4`.
    site.drop_file("acme", "odd.csv", b"id,amount,4711234,Canarydora,note\n1,2,3,4,5\n");
    // A headerless row of a customer: quarantined as data, none of it shown.
    let row = "4711,Canaryanna,Meier,Canarystra\u{df}e 5,80331,M\u{fc}nchen,canary.anna@example.com\n\
               4712,B,C,D,80332,E,f@example.com\n";
    site.drop_file("acme", "row.csv", row.as_bytes());
    let out = site.run_once();
    assert_eq!(out.status.code(), Some(1));
    let mut reasons: Vec<String> = site.reasons("acme").iter().map(|r| r.to_string()).collect();
    reasons.sort();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    let schema = reasons.iter().find(|r| r.contains("\"kind\":\"schema\"")).expect("a schema reason");
    assert!(schema.contains("`amount`, `column 3`, `column 4`, `note`"), "{schema}");
    assert!(!schema.contains("4711234"), "{schema}");
    assert!(reasons.iter().any(|r| r.contains("header_looks_like_data")), "{reasons:?}");
    for r in &reasons {
        assert!(!r.contains("Meier") && !r.contains("80331") && !r.contains("4711"), "{r}");
    }
    assert_no_canary(&site);
}
