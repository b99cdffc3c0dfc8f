//! Attacks on a subject request found in review: each test names the attack and asserts
//! that the request answers for the subject only, and says when its answer is incomplete.

use super::*;
use crate::site::{files_under, read_column, Site};
use crate::support::{stderr, stdout};

/// `importd subject VERB --column COLUMN` on tenant acme, the value on stdin.
fn on_column(site: &Site, verb: &str, column: &str, value: &str, extra: &[&str]) -> Output {
    subject_on(site, verb, column, value, extra, &[])
}

/// Another person's address that holds the subject's as a substring (`joanna@…` ⊃ `anna@…`)
/// in a raw copy's free text: her row is not exported to the requester, her archived inputs
/// are not deleted; the subject's own raw copy is.
#[test]
fn a_raw_copy_of_someone_whose_address_contains_the_subjects_is_neither_exported_nor_deleted() {
    let site = Site::new("keep_input_days = 30");
    site.replace_rules(
        "acme",
        "version = 1\n[columns]\nid = \"keep\"\nemail = { action = \"pseudonymize\", prefix = \"u_\" }\nnote = { action = \"redact\", detect = [\"email\"] }\n",
    );
    site.drop_file("acme", "a.csv", b"id,email,note\nj-1,joanna@example.com,write to joanna@example.com\n");
    site.drop_file("acme", "c.csv", b"id,email,note\nj-2,joanna@example.com,hello\n");
    assert!(site.run_once().status.success());
    let out = subject(&site, "export", ANNA, &[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("joanna"), "Joanna's row was exported to Anna: {}", stdout(&out));
    assert!(stderr(&out).contains("0 raw copies"), "{}", stderr(&out));
    let out = subject(&site, "erase", ANNA, &[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(files_under(&site.path("state/archive")).len(), 2, "Joanna's archives were deleted: {}", stdout(&out));

    // Anna's own, in free text with punctuation around it: found and deleted.
    site.drop_file(
        "acme",
        "d.csv",
        format!("id,email,note\na-1,x@example.com,\"write to ({ANNA}), now\"\n").as_bytes(),
    );
    assert!(site.run_once().status.success());
    let out = subject(&site, "erase", ANNA, &[], &[]);
    assert!(stdout(&out).contains("1 raw copy"), "{}", stdout(&out));
    assert_eq!(files_under(&site.path("state/archive")).len(), 2);
}

/// A quarantined original the reader cannot read is searched by its bytes, with the same
/// boundaries; a match exports no row (none is known) and says so.
#[test]
fn an_unreadable_raw_copy_is_matched_by_whole_words_and_no_row_of_it_is_exported() {
    let site = Site::new("");
    site.drop_file("acme", "j.csv", b"id,email\nj-1,joanna@example.com\nragged\n");
    site.drop_file("acme", "a.csv", format!("id,email\na-1,{ANNA}\nragged\n").as_bytes());
    assert_eq!(site.run_once().status.code(), Some(1), "both are quarantined");
    assert_eq!(files_under(&site.path("state/quarantine")).len(), 4, "two originals, two reasons");
    let out = subject(&site, "export", ANNA, &[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "no row of a byte match is exported");
    let report = stderr(&out);
    assert!(report.contains("1 raw copy") && report.contains("none is exported"), "{report}");
    let out = subject(&site, "erase", ANNA, &[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let left = files_under(&site.path("state/quarantine"));
    assert_eq!(left.len(), 2, "Joanna's original and its reason stay: {left:?}");
    assert!(left.iter().any(|p| std::fs::read(p).unwrap_or_default().windows(6).any(|w| w == b"joanna")));
}

/// A column no rule names is not stored (`unlisted = "drop"`), but the archived input holds
/// it raw: the raw copy is searched whenever its header has the column, and erased.
#[test]
fn a_raw_copy_of_a_column_no_rule_names_is_searched_and_erased() {
    let site = Site::new("keep_input_days = 30");
    site.drop_file("acme", "a.csv", format!("id,email,note\na-1,x@example.com,{ANNA}\n").as_bytes());
    site.drop_file("acme", "b.csv", b"id,email,note\nb-1,y@example.com,joanna@example.com\n");
    assert!(site.run_once().status.success());
    let out = on_column(&site, "find", "note", ANNA, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("found: 0 rows in 0 outputs, 1 raw copy"), "{}", stdout(&out));
    let out = on_column(&site, "erase", "note", ANNA, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(files_under(&site.path("state/archive")).len(), 1, "only Anna's archive goes: {}", stdout(&out));
}

/// `fake` is many-to-one (a phone fake has about a thousand values): another person whose
/// value got the same fake is found too. Find and export flag the rows; erase leaves rows
/// matched only through such a column, says why and fails, unless `--include-ambiguous`.
#[test]
fn another_person_with_the_same_fake_is_flagged_and_not_erased_without_include_ambiguous() {
    let rules = "version = 1\n[columns]\nid = \"keep\"\nemail = { action = \"fake\", kind = \"phone\" }\n";
    let parsed = anonymizer_core::parse_rules(rules, "r.toml").expect("rules");
    // Site::new's key for acme: 32 bytes of 0x01.
    let keys = anonymizer_core::MasterKey::from_bytes([1u8; 32]).key_set();
    let mut seen = BTreeMap::new();
    let mut pair = None;
    for i in 0..5000 {
        let v = format!("p{i}@example.com");
        let f = importd::stored::subject::forms::stored_form(&parsed, &keys, "email", &v).expect("form").expect("some");
        if let Some(prev) = seen.insert(f, v.clone()) {
            pair = Some((prev, v));
            break;
        }
    }
    let (anna, other) = pair.expect("two values with the same fake");
    let site = Site::new("");
    site.replace_rules("acme", rules);
    site.drop_file("acme", "a.csv", format!("id,email\nanna,{anna}\nother,{other}\n").as_bytes());
    assert!(site.run_once().status.success());
    let ids = || -> Vec<String> { site.outputs("acme").iter().flat_map(|p| read_column(p, "id")).collect() };
    let emails: Vec<String> = site.outputs("acme").iter().flat_map(|p| read_column(p, "email")).collect();
    assert!(emails.len() == 2 && emails[0] == emails[1], "the daemon stored the same fake for both: {emails:?}");

    let out = subject(&site, "find", &anna, &[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("`fake` gives the same stored value to many people"), "{text}");
    assert!(text.contains("2 rows only through the many-to-one column (may belong to others)"), "{text}");

    let out = subject(&site, "erase", &anna, &[], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("--include-ambiguous"), "{}", stderr(&out));
    assert!(stdout(&out).contains("not erased: 2 rows matched only through a many-to-one column"), "{}", stdout(&out));
    assert_eq!(ids(), ["anna", "other"], "nothing removed without --include-ambiguous");

    let out = subject(&site, "erase", &anna, &["--include-ambiguous"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(ids().is_empty(), "the operator chose to remove both");
}

/// An output written under an earlier rule file (another prefix) is searched under the
/// version its footer names, which the daemon kept under `state/rules/`; an output whose
/// version is neither in force nor kept is reported as not searched (exit 1).
#[test]
fn an_output_written_under_an_earlier_rule_file_is_searched_under_that_version() {
    let site = Site::new("");
    site.drop_file("acme", "a.csv", format!("id,email\na-1,{ANNA}\n").as_bytes());
    assert!(site.run_once().status.success());
    let first = std::fs::read(site.path("rules/acme.toml")).expect("rules");
    let kept = site.path(&format!("state/rules/acme/orders/{}.toml", sha256_hex(&first)));
    assert_eq!(std::fs::read(&kept).ok(), Some(first), "the version in force is kept by its SHA-256");
    site.replace_rules(
        "acme",
        "version = 1\n[columns]\nid = \"keep\"\nemail = { action = \"pseudonymize\", prefix = \"c_\" }\n",
    );
    site.drop_file("acme", "b.csv", format!("id,email\nb-1,{ANNA}\nb-2,bob@example.com\n").as_bytes());
    assert!(site.run_once().status.success());
    assert_eq!(files_under(&site.path("state/rules/acme/orders")).len(), 2, "both versions kept");
    let ids = || -> Vec<String> {
        let mut v: Vec<String> = site.outputs("acme").iter().flat_map(|p| read_column(p, "id")).collect();
        v.sort();
        v
    };

    // Without the earlier version: the answer is incomplete, and says which output.
    let aside = site.path("kept-aside.toml");
    std::fs::rename(&kept, &aside).expect("move aside");
    let out = subject(&site, "find", ANNA, &[], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("neither in force nor kept") && stdout(&out).contains("incomplete"),
        "{}",
        stdout(&out)
    );
    std::fs::rename(&aside, &kept).expect("move back");

    let out = subject(&site, "erase", ANNA, &[], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("under its rule file version"), "{}", stdout(&out));
    assert_eq!(ids(), ["b-2"], "Anna's rows under both versions are gone");
}

/// A daemon that has claimed an import and not finished it may publish the subject's rows
/// after the search: the command names the import and ends "incomplete" (exit 1); once the
/// import is committed, the same request finds the row.
#[test]
fn an_import_still_running_makes_the_answer_incomplete_until_it_commits() {
    let site = Site::new("");
    site.drop_file("acme", "a.csv", format!("id,email\na-1,{ANNA}\n").as_bytes());
    let out = Command::new(importd_path())
        .args(["serve", "--config", "importd.toml", "--once"])
        .env("FAILPOINTS", "job.after_started=return")
        .current_dir(site.dir.path())
        .output()
        .expect("serve");
    assert!(!out.status.success(), "the daemon stops in the middle of the import: {}", stderr(&out));
    let out = subject(&site, "erase", ANNA, &[], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("is still running") && text.contains("run it again when they have committed"), "{text}");
    assert!(stderr(&out).contains("incomplete"), "{}", stderr(&out));

    assert!(site.run_once().status.success(), "the next start finishes the import: {}", site.logs());
    let out = subject(&site, "erase", ANNA, &[], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("erased: 1 row in 1 output"), "{}", stdout(&out));
}

/// An erasure interrupted after its ledger record leaves its new file as a hidden temporary;
/// a daemon starting meanwhile (recovery removes stray `.tmp` files) leaves it alone, and
/// the next subject command settles the erasure.
#[test]
fn daemon_recovery_leaves_an_interrupted_erasures_temporary_to_the_next_subject_command() {
    let site = Site::new("");
    site.drop_file("acme", "a.csv", format!("id,email\na-1,{ANNA}\nb-1,bob@example.com\n").as_bytes());
    assert!(site.run_once().status.success());
    let out = subject(&site, "erase", ANNA, &[], &[("FAILPOINTS", "subject.after_begin=return")]);
    assert!(!out.status.success(), "the erasure stops after begin_rewrite");
    let temps = || -> Vec<std::path::PathBuf> {
        files_under(&site.path("storage"))
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".subject.tmp"))
            .collect()
    };
    assert_eq!(temps().len(), 1, "the new file waits beside the output");
    assert!(site.run_once().status.success(), "{}", site.logs());
    assert_eq!(temps().len(), 1, "daemon recovery left the erasure's temporary");
    let out = subject(&site, "erase", ANNA, &[], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("settled"), "{}", stdout(&out));
    assert!(temps().is_empty());
    assert_eq!(site.outputs("acme").iter().flat_map(|p| read_column(p, "id")).collect::<Vec<_>>(), ["b-1"]);
}
