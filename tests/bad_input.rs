//! Bad input gets one clear sentence naming the file and the place, exit 1, and no output
//! (not even a temporary file).

use crate::support::*;

/// Runs a keep-all anonymization of `input` and checks the failure.
fn fails(input: &[u8], expected: &[&str]) {
    let s = Sandbox::new();
    s.write("rules.toml", KEEP_ALL);
    s.write("in.csv", input);
    let before = s.files();
    let out = s.anonymize("rules.toml", "in.csv", "out.parquet");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("in.csv"), "the message names the file: {err}");
    for e in expected {
        assert!(err.contains(e), "expected {e:?} in: {err}");
    }
    assert!(err.contains("no output was written") || !err.is_empty());
    assert_eq!(s.files(), before, "nothing is written on failure");
}

#[test]
fn unterminated_quote_names_its_line() {
    fails(b"a,b\n1,2\n3,\"never closed\n4,5\n", &["line 3", "unterminated quote"]);
}

#[test]
fn ragged_row_names_its_line() {
    fails(b"a,b,c\n1,2,3\n4,5\n", &["line 3", "expected 3 fields", "found 2"]);
}

#[test]
fn invalid_utf8_names_line_and_byte_offset() {
    // With `encoding = "utf-8"` named; without it, such a file is read as Windows-1252.
    let s = Sandbox::new();
    s.write("rules.toml", "version = 1\nunlisted = \"keep\"\n[input]\nencoding = \"utf-8\"\n");
    s.write("in.csv", b"a,b\n1,2\n3,x\xffy\n");
    let out = s.anonymize("rules.toml", "in.csv", "out.parquet");
    assert_eq!(out.status.code(), Some(1));
    for e in ["in.csv", "line 3", "byte offset 11", "invalid UTF-8"] {
        assert!(stderr(&out).contains(e), "expected {e:?} in: {}", stderr(&out));
    }
    assert!(!s.path("out.parquet").exists());
}

#[test]
fn empty_file() {
    fails(b"", &["empty"]);
}

#[test]
fn header_only() {
    fails(b"a,b\n", &["header but no data rows"]);
}

#[test]
fn duplicate_column_names() {
    fails(b"id,email,id\n1,2,3\n", &["`id` twice"]);
}

#[test]
fn a_100_mb_field_is_refused_without_reading_it_all() {
    let mut input = b"id,notes\n1,\"".to_vec();
    input.resize(input.len() + 100 * 1024 * 1024, b'x');
    input.extend_from_slice(b"\"\n");
    fails(&input, &["line 2", "longer than the limit"]);
}

#[test]
fn missing_input_file() {
    let s = Sandbox::new();
    s.write("rules.toml", KEEP_ALL);
    let out = s.anonymize("rules.toml", "nope.csv", "out.parquet");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope.csv"));
    assert!(!s.path("out.parquet").exists());
}

#[test]
fn a_failed_run_leaves_an_existing_output_untouched() {
    let s = Sandbox::new();
    s.write("rules.toml", KEEP_ALL);
    s.write("out.csv", "previous,result\n");
    s.write("in.csv", "a,b\n1,2\n3\n");
    let out = s.anonymize("rules.toml", "in.csv", "out.csv");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(s.path("out.csv")).unwrap(), "previous,result\n");
}

#[test]
fn key_file_missing_malformed_or_not_mode_0600_or_0400_is_a_configuration_error() {
    let s = Sandbox::new();
    s.write("rules.toml", KEEP_ALL);
    s.write("in.csv", "a\n1\n");
    let (zz, ab) = ("zz".repeat(32), "ab".repeat(32));
    // (key file, its content and mode or None for missing, expected message)
    type Case<'a> = (&'a str, Option<(&'a str, u32)>, &'a str);
    let cases: Vec<Case> = vec![
        ("missing.key", None, "cannot read it"),
        ("short.key", Some(("abcd", 0o600)), "expected 64 hex digits"),
        ("nothex.key", Some((&zz, 0o600)), "not a hex digit"),
        ("open.key", Some((&ab, 0o644)), "its mode is 0644"),
        // Owner-executable: no bit for others, and still not a key file's mode.
        ("exec.key", Some((&ab, 0o700)), "its mode is 0700"),
    ];
    for (name, content, expected) in cases {
        if let Some((hex, mode)) = content {
            let p = s.write(name, hex);
            set_mode(&p, mode);
        }
        let out = s.run(&["anonymize", "--rules", "rules.toml", "--key-file", name, "in.csv", "-o", "out.csv"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(name) && err.contains(expected), "{name}: {err}");
        if expected.contains("mode") {
            assert!(err.contains("chmod 600"), "{name}: {err}");
        }
        assert!(!err.contains("zzzz") && !err.contains("abab"), "key content never printed: {err}");
        assert!(!s.path("out.csv").exists());
    }
}

#[test]
fn rules_that_do_not_fit_the_header_name_every_column() {
    let s = Sandbox::new();
    s.write("rules.toml", "version = 1\nunlisted = \"reject\"\n[columns]\nemial = \"pseudonymize\"\nid = \"keep\"\n");
    s.write("in.csv", "id,email,phone\n1,a@example.com,123\n");
    let out = s.anonymize("rules.toml", "in.csv", "out.csv");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("`emial`") && err.contains("did you mean \"email\"?"), "{err}");
    assert!(err.contains("`email`") && err.contains("`phone`") && err.contains("reject"), "{err}");
    assert!(err.contains("rules.toml:4"), "the rule's line is named: {err}");
    assert!(!s.path("out.csv").exists());
}
