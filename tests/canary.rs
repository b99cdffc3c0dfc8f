//! The PII canary: a unique value in every column of inputs that fail in every way the
//! one-file path knows. No canary may reach stdout, stderr, or any file but the intended
//! output; and on failure there is no output at all.

use crate::support::*;

const CANARY: &str = "CANARY7f3a";

fn canary(i: usize) -> String {
    format!("{CANARY}{i:03}x")
}

/// A row of canaries, one per column.
fn canary_row(cols: usize, base: usize) -> String {
    (0..cols).map(|c| canary(base + c)).collect::<Vec<_>>().join(",")
}

fn assert_no_canary_outside(s: &Sandbox, out: &std::process::Output, allowed: &[&str]) {
    let text = format!("{}{}", stdout(out), stderr(out));
    assert!(!text.contains(CANARY), "a canary reached stdout/stderr:\n{text}");
    for name in s.files() {
        if allowed.contains(&name.as_str()) {
            continue;
        }
        let bytes = std::fs::read(s.path(&name)).unwrap();
        let content = String::from_utf8_lossy(&bytes);
        assert!(!content.contains(CANARY), "a canary reached {name}");
    }
}

#[test]
fn failing_paths_never_echo_values() {
    let header = "id,email,born,amount,notes";
    let rules_fail = r#"version = 1
[types]
born = "date"
amount = "decimal(8,2)"
[columns]
id = "pseudonymize"
email = { action = "mask", keep_last = 2 }
born = { action = "generalize", to = "year", on_invalid = "fail" }
amount = { action = "noise", relative = 0.1, on_invalid = "fail" }
notes = "drop"
"#;
    let cases: Vec<(&str, String, &str)> = vec![
        // invalid cell with on_invalid = "fail": the canary *is* the bad date
        ("invalid-cell", format!("{header}\n{}\n", canary_row(5, 0)), rules_fail),
        // ragged row full of canaries
        ("ragged", format!("{header}\n1,a@b.c,1990-01-01,1.00,ok\n{}\n", canary_row(3, 10)), rules_fail),
        // unterminated quote swallowing canaries
        (
            "unterminated",
            format!("{header}\n1,a@b.c,1990-01-01,1.00,\"{}\n{}\n", canary(20), canary_row(5, 21)),
            rules_fail,
        ),
        // invalid UTF-8 next to canaries
        ("utf8", format!("{header}\n{},\u{0}{}\n", canary_row(4, 30), canary(34)), rules_fail),
        // rules that do not fit the header (a canary-named column is only a name, but the data rows hold canaries too)
        ("schema", format!("id,mail,born,amount,notes\n{}\n", canary_row(5, 40)), rules_fail),
        // a rule file that does not validate, with canary data waiting
        ("rules", format!("{header}\n{}\n", canary_row(5, 50)), "version = 1\n[columns]\nid = \"pseudonymise\"\n"),
    ];
    for (name, input, rules) in cases {
        let s = Sandbox::new();
        s.write("rules.toml", rules);
        let mut bytes = input.into_bytes();
        if name == "utf8" {
            let at = bytes.iter().position(|b| *b == 0).unwrap();
            bytes[at] = 0xff;
        }
        s.write("in.csv", &bytes);
        let out = s.anonymize("rules.toml", "in.csv", "out.parquet");
        assert!(!out.status.success(), "{name} should fail");
        assert!(!s.path("out.parquet").exists(), "{name}: no output on failure");
        assert_no_canary_outside(&s, &out, &["in.csv"]);
    }
}

#[test]
fn successful_runs_keep_canaries_of_protected_columns_out_of_everything() {
    let s = Sandbox::new();
    s.write(
        "rules.toml",
        r#"version = 1
on_invalid = "null"
[types]
born = "date"
[columns]
id = "pseudonymize"
email = { action = "mask", keep_last = 2 }
born = { action = "generalize", to = "year" }
notes = "drop"
kept = "keep"
"#,
    );
    let mut input = String::from("id,email,born,notes,kept\n");
    for r in 0..200 {
        // born holds a canary, so it is invalid → null; the kept column legitimately passes through.
        input.push_str(&format!(
            "{},{},{},\"{}, with comma\",plain{r}\n",
            canary(r * 4),
            canary(r * 4 + 1),
            canary(r * 4 + 2),
            canary(r * 4 + 3)
        ));
    }
    s.write("in.csv", &input);
    for output in ["out.csv", "out.parquet"] {
        let out = s.anonymize("rules.toml", "in.csv", output);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("born") && stderr(&out).contains("200"),
            "invalid counts are reported: {}",
            stderr(&out)
        );
    }
    let out = s.anonymize("rules.toml", "in.csv", "out.csv");
    assert_no_canary_outside(&s, &out, &["in.csv"]);
    // No file other than the input holds a canary: the outputs neither.
}
