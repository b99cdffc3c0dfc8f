//! The commands as a user runs them: outputs, exit codes and summaries.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::*;

const RULES: &str = r#"version = 1
[types]
born = "date"
[columns]
id    = { action = "pseudonymize", prefix = "id_", length = 10 }
name  = "drop"
email = { action = "mask", keep_first = 1, preserve = "@." }
born  = { action = "generalize", to = "year" }
zip   = { action = "truncate", keep_first = 2 }
status = "keep"
[[delete_rows]]
column = "status"
equals = "test"
"#;

const INPUT: &str = "id,name,email,born,zip,status\n\
1,Jürgen Müller,jm@example.com,1987-03-14,80331,active\n\
2,Zoë,\"zo,e\"\"@x.org\",n/a,1010,active\n\
3,Test User,t@t.t,2000-01-01,99999,test\n\
4,,,,,active\n";

#[test]
fn anonymize_writes_csv_in_input_order_with_a_summary() {
    let s = Sandbox::new();
    s.write("rules.toml", RULES);
    s.write("in.csv", INPUT);
    let out = s.anonymize("rules.toml", "in.csv", "out.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(s.path("out.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,email,born,zip,status");
    assert!(lines[1].starts_with("id_") && lines[1].ends_with(",j*@*******.***,1987-01-01,80,active"), "{csv}");
    // "n/a" is not a date: invalid → null (the default on_invalid).
    assert!(lines[2].ends_with(",10,active") && lines[2].contains(",,"), "{csv}");
    assert_eq!(lines.len(), 4, "the test row is deleted: {csv}");
    assert!(lines[3].starts_with("id_") && lines[3].ends_with(",,,,active"), "nulls stay null: {csv}");
    let err = stderr(&out);
    for needle in
        ["rows in                  4", "rows out                 3", "deleted                  1", "born", "key id"]
    {
        assert!(err.contains(needle), "{needle:?} in summary:\n{err}");
    }
}

/// A rule file's `name` and `description` appeared in no report. The summary shows both,
/// each on one line and capped (the description below is multi-line and 600 characters).
#[test]
fn anonymize_summary_names_the_rule_files_name_and_description() {
    let s = Sandbox::new();
    let description = format!("Orders from the\\nwebshop {}", "x".repeat(600));
    let named = RULES.replacen(
        "version = 1\n",
        &format!("version = 1\nname = \"Webshop orders\"\ndescription = \"{description}\"\n"),
        1,
    );
    s.write("rules.toml", &named);
    s.write("in.csv", INPUT);
    let out = s.anonymize("rules.toml", "in.csv", "out.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("  rules         Webshop orders\n"), "{err}");
    let line = err.lines().find(|l| l.starts_with("  description   ")).unwrap_or_else(|| panic!("{err}"));
    let shown = line.trim_start_matches("  description   ");
    assert!(shown.starts_with("Orders from the webshop xxx") && shown.ends_with('…'), "{line}");
    assert_eq!(shown.chars().count(), 300, "{line}");
    // Without them, no empty lines for them.
    s.write("plain.toml", RULES);
    let out = s.anonymize("plain.toml", "in.csv", "out2.csv");
    assert!(!stderr(&out).contains("  rules         ") && !stderr(&out).contains("description"), "{}", stderr(&out));
}

#[test]
fn anonymize_reads_stdin_and_tsv() {
    let s = Sandbox::new();
    s.write("rules.toml", "version = 1\n[columns]\na = \"keep\"\n");
    let mut child = Command::new(importd_path())
        .args([
            "anonymize",
            "--rules",
            "rules.toml",
            "--key-file",
            "k.key",
            "-",
            "--format",
            "tsv",
            "-o",
            "out.csv",
            "-q",
        ])
        .current_dir(s.dir.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a\tb\nx,y\t2\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(s.path("out.csv")).unwrap(), "a\n\"x,y\"\n");
    assert!(stderr(&out).is_empty(), "-q prints nothing");
}

#[test]
fn windows_1252_semicolon_input_with_an_input_section() {
    let s = Sandbox::new();
    s.write(
        "rules.toml",
        "version = 1\nunlisted = \"keep\"\n[input]\ndelimiter = \";\"\nencoding = \"windows-1252\"\n",
    );
    s.write("in.csv", b"name;city\nM\xfcller;K\xf6ln \x80\n");
    let out = s.anonymize("rules.toml", "in.csv", "out.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(s.path("out.csv")).unwrap(), "name,city\nMüller,Köln €\n");
}

#[test]
fn on_invalid_fail_names_row_line_and_column_but_not_the_value() {
    let s = Sandbox::new();
    s.write("rules.toml", "version = 1\n[types]\nborn = \"date\"\n[columns]\nborn = { action = \"generalize\", to = \"year\", on_invalid = \"fail\" }\n");
    s.write("in.csv", "id,born\n1,1990-01-01\n2,\"multi\nline\"\n3,31.12.1999\n");
    let out = s.anonymize("rules.toml", "in.csv", "out.parquet");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("row 2 (line 3)") && err.contains("`born`"), "{err}");
    assert!(!err.contains("multi"), "{err}");
    assert!(!s.path("out.parquet").exists());
}

#[test]
fn drop_row_counts_dropped_rows() {
    let s = Sandbox::new();
    s.write("rules.toml", "version = 1\non_invalid = \"drop_row\"\n[types]\nn = \"int\"\n[columns]\nn = \"keep\"\n");
    s.write("in.csv", "n\n1\nx\n3\n");
    let out = s.anonymize("rules.toml", "in.csv", "out.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(s.path("out.csv")).unwrap(), "n\n1\n3\n");
    assert!(stderr(&out).contains("dropped                  1"), "{}", stderr(&out));
}

#[test]
fn parquet_output_is_readable_with_declared_types() {
    use arrow_array::cast::AsArray;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let s = Sandbox::new();
    s.write("rules.toml", RULES);
    s.write("in.csv", INPUT);
    let out = s.anonymize("rules.toml", "in.csv", "out.parquet");
    assert!(out.status.success(), "{}", stderr(&out));
    let f = std::fs::File::open(s.path("out.parquet")).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(f).unwrap().build().unwrap();
    let batches: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 3);
    let b = &batches[0];
    assert_eq!(b.schema().field_with_name("born").unwrap().data_type().to_string(), "Date32");
    assert_eq!(b.column_by_name("zip").unwrap().as_string::<i32>().value(0), "80");
}

#[test]
fn rules_check_reports_every_problem_with_position_and_hint() {
    let s = Sandbox::new();
    s.write(
        "bad.toml",
        "version = 1\nunlisted = \"dorp\"\n[columns]\nemail = \"pseudonymise\"\nzip = { action = \"truncate\", keep_frist = 2 }\n[[delete_rows]]\ncolumn = \"status\"\n",
    );
    let out = s.run(&["rules", "check", "bad.toml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for needle in [
        "bad.toml:2:12: error: unknown `unlisted` value \"dorp\"",
        "did you mean \"drop\"?",
        "bad.toml:4:9: error: unknown action \"pseudonymise\"",
        "did you mean \"pseudonymize\"?",
        "unknown key `keep_frist`",
        "did you mean \"keep_first\"?",
        "needs `keep_first`",
        "exactly one of `equals`, `in`, `matches`, `is_null`",
        "problems found",
    ] {
        assert!(err.contains(needle), "{needle:?} in:\n{err}");
    }
}

#[test]
fn rules_check_runs_examples_and_shows_the_difference() {
    let s = Sandbox::new();
    s.write("r.toml", "version = 1\n[columns]\nzip = { action = \"truncate\", keep_first = 2 }\n[[examples]]\ninput = { zip = \"80331\" }\nexpect = { zip = \"803\" }\n");
    let out = s.run(&["rules", "check", "r.toml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("example 1 (line 4)") && err.contains("expected \"803\", got \"80\""), "{err}");
    s.write("ok.toml", "version = 1\n[columns]\nzip = { action = \"truncate\", keep_first = 2 }\n[[examples]]\ninput = { zip = \"80331\" }\nexpect = { zip = \"80\" }\n");
    let out = s.run(&["rules", "check", "ok.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 example passed"));
    s.write(
        "nulls.toml",
        "version = 1\n[types]\nborn = \"date\"\n[columns]\nborn = { action = \"generalize\", to = \"year\" }\nzip = \"keep\"\n\
         [[examples]]\ninput = { born = \"n/a\", zip = \"1\" }\nexpect = {}\nexpect_null = [\"born\"]\n\
         [[examples]]\ninput = { zip = \"1\" }\nexpect = {}\nexpect_null = [\"zip\"]\n",
    );
    let out = s.run(&["rules", "check", "nulls.toml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("example 2") && err.contains("column `zip`: expected null, got \"1\""), "{err}");
    assert!(!err.contains("example 1"), "an invalid date is nulled, as expected: {err}");
}

#[test]
fn redact_replaces_findings_and_counts_them_without_showing_them() {
    let s = Sandbox::new();
    s.write(
        "r.toml",
        "version = 1\n[detectors.customer_number]\npattern = \"K-[0-9]{8}\"\n[columns]\n\
         notes = { action = \"redact\", detect = [\"email\", \"phone\", \"iban\", \"credit_card\", \"customer_number\"] }\n\
         memo = { action = \"redact\", detect = [\"email\"], with = \"pseudonym\" }\n",
    );
    s.write(
        "in.csv",
        "notes,memo\n\
         \"Mail anna@example.com, Tel +49 170 1234567, IBAN DE89 3704 0044 0532 0130 00, Kunde K-12345678\",write anna@example.com\n\
         \"Order 4111111111111112 on 1.10.2024 for 332,89 EUR (v2.1)\",nothing\n",
    );
    let out = s.anonymize("r.toml", "in.csv", "out.csv");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let csv = std::fs::read_to_string(s.path("out.csv")).unwrap();
    assert!(csv.contains("Mail <email>, Tel <phone>, IBAN <iban>, Kunde <customer_number>"), "{csv}");
    assert!(csv.contains("Order 4111111111111112 on 1.10.2024 for 332,89 EUR (v2.1)"), "decoys are kept: {csv}");
    // `with = "pseudonym"` gives the token `pseudonymize` gives with domain = "email".
    s.write("p.toml", "version = 1\n[columns]\nmemo = { action = \"pseudonymize\", domain = \"email\" }\n");
    s.write("p.csv", "memo\nanna@example.com\n");
    assert!(s.anonymize("p.toml", "p.csv", "p-out.csv").status.success());
    let token = std::fs::read_to_string(s.path("p-out.csv")).unwrap().lines().nth(1).unwrap().to_string();
    assert!(csv.contains(&format!("write {token}")), "{csv} / {token}");
    assert!(
        err.contains("notes (email)") && err.contains("notes (customer_number)") && !err.contains("anna@"),
        "{err}"
    );
}

#[test]
fn encrypt_keeps_the_format_and_reveal_round_trips() {
    let s = Sandbox::new();
    s.write(
        "r.toml",
        "version = 1\n[columns]\niban = { action = \"encrypt\", alphabet = \"digits\" }\n\
         code = { action = \"encrypt\", alphabet = \"upper_alphanumeric\", domain = \"customer_code\" }\npin = { action = \"encrypt\", alphabet = \"digits\" }\n",
    );
    s.write("in.csv", "iban,code,pin\nDE89 3704 0044 0532 0130 00,K-ABC123,1234\n");
    let out = s.anonymize("r.toml", "in.csv", "out.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(s.path("out.csv")).unwrap();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert!(row[0].starts_with("DE") && row[0].len() == 27 && row[0] != "DE89 3704 0044 0532 0130 00", "{csv}");
    assert!(row[1].len() == 8 && &row[1][1..2] == "-" && row[1] != "K-ABC123", "{csv}");
    assert_eq!(row[2], "", "a 4-digit PIN is too short to encrypt safely: invalid → null");
    assert!(stderr(&out).contains("pin"), "the invalid cell is counted: {}", stderr(&out));
    for (column, cipher, plain) in [("iban", row[0], "DE89 3704 0044 0532 0130 00"), ("code", row[1], "K-ABC123")] {
        let r = s.run(&["reveal", "--key-file", "k.key", "--rules", "r.toml", "--column", column, cipher]);
        assert!(r.status.success(), "{}", stderr(&r));
        assert_eq!(stdout(&r).trim_end(), plain);
    }
    let wrong = s.run(&["reveal", "--key-file", "k.key", "--rules", "r.toml", "--column", "nope", "123456"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(stderr(&wrong).contains("no rule") && stderr(&wrong).contains("`nope`"), "{}", stderr(&wrong));
}

#[test]
fn keys_new_writes_an_owner_only_key_and_never_overwrites() {
    let s = Sandbox::new();
    let out = s.run(&["keys", "new", "--out", "t.key"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let key = std::fs::read_to_string(s.path("t.key")).unwrap();
    assert_eq!(key.trim().len(), 64);
    assert!(!stdout(&out).contains(key.trim()), "the key is never printed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(s.path("t.key")).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let again = s.run(&["keys", "new", "--out", "t.key"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("refusing to overwrite"));
    assert_eq!(std::fs::read_to_string(s.path("t.key")).unwrap(), key);
}

#[test]
fn demo_runs_on_built_in_defaults() {
    let s = Sandbox::new();
    let out = s.run(&["demo", "--rows", "500"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    for t in ["acme", "globex"] {
        let stored = std::fs::read_dir(s.path(&format!("importd-demo/storage/{t}/customers"))).unwrap().count();
        assert_eq!(stored, 1, "one date partition for {t}");
    }
    assert!(text.contains("before") && text.contains("after") && text.contains(".parquet"), "{text}");
    assert!(text.contains("committed") && text.contains("\"kind\": \"input\""), "{text}");
    let verify = s.run(&["audit", "verify", "--config", "importd-demo/importd.toml", "--tenant", "globex"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    // Running it again starts afresh and works again.
    assert!(s.run(&["demo", "--rows", "500"]).status.success());
}
