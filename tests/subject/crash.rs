//! A crash (process abort, as `kill -9`) at every step of an erasure leaves the old file or
//! the new one at the output's path, never both or neither; the next run completes it.

use std::path::PathBuf;

use super::*;
use crate::site::{files_under, read_column, Site};
use crate::support::{stderr, stdout};

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
        let verify = site.run(&["verify", "--config", "importd.toml"]);
        assert!(verify.status.success(), "{point}: verify: {}{}", stdout(&verify), stderr(&verify));
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
