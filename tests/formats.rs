//! Formats end to end: Excel's Windows-1252 semicolon CSV without `[input]`, JSON Lines and
//! gzip through the CLI, every output format read back, Parquet read by DuckDB (when the
//! Python package is there; `.ci/run` installs it and makes it required), and decompression
//! bombs failing clearly in the CLI and quarantined by the daemon.

use std::io::Write;
use std::process::Command;

use crate::site::{orders_csv, Site};
use crate::support::*;

const RULES: &str = "version = 1\n[columns]\nid = \"keep\"\nemail = { action = \"pseudonymize\", prefix = \"u_\" }\n";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = Vec::new();
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    gz.extend_from_slice(&out.stdout);
    gz
}

#[test]
fn an_excel_windows_1252_semicolon_csv_needs_no_input_section() {
    let s = Sandbox::new();
    s.write(
        "rules.toml",
        "version = 1\n[columns]\nKunde = \"keep\"\n\"Straße\" = { action = \"mask\", keep_first = 3 }\n",
    );
    // "Kunde;Straße\r\nMüller;Bäckerweg 2\r\n" as Excel saves it: Windows-1252, semicolons, CRLF.
    s.write("export.csv", b"Kunde;Stra\xdfe\r\nM\xfcller;B\xe4ckerweg 2\r\nJ\xfcrgen;\xd6lweg 1\r\n");
    let out = s.anonymize("rules.toml", "export.csv", "out.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(s.path("out.csv")).unwrap(),
        "Kunde,Straße\nMüller,Bäc********\nJürgen,Ölw****\n"
    );
}

#[test]
fn json_lines_gzip_and_every_output_format_agree() {
    let s = Sandbox::new();
    s.write("rules.toml", RULES);
    let csv = orders_csv("a", 50);
    s.write("in.csv", &csv);
    let jsonl: String = String::from_utf8(csv.clone())
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.splitn(3, ',').collect();
            format!("{{\"id\":\"{}\",\"email\":\"{}\",\"note\":\"{}\"}}\n", f[0], f[1], f[2])
        })
        .collect();
    s.write("in.jsonl", &jsonl);
    s.write("in.csv.gz", gzip(&csv));
    for (input, output) in [
        ("in.csv", "a.csv"),
        ("in.jsonl", "b.csv"),
        ("in.csv.gz", "c.csv"),
        ("in.csv", "d.jsonl"),
        ("in.csv", "e.arrow"),
        ("in.csv", "f.parquet"),
    ] {
        let out = s.anonymize("rules.toml", input, output);
        assert!(out.status.success(), "{input} → {output}: {}", stderr(&out));
    }
    let a = std::fs::read_to_string(s.path("a.csv")).unwrap();
    assert_eq!(std::fs::read_to_string(s.path("b.csv")).unwrap(), a, "JSON Lines differs from CSV");
    assert_eq!(std::fs::read_to_string(s.path("c.csv")).unwrap(), a, "gzip differs from CSV");
    // Each output format read back as input gives the same rows again (keep-all rules).
    s.write("keep.toml", KEEP_ALL);
    for (input, output) in [("d.jsonl", "d.csv"), ("e.arrow", "e.csv"), ("f.parquet", "f.csv")] {
        let out = s.anonymize("keep.toml", input, output);
        assert!(out.status.success(), "{input}: {}", stderr(&out));
        assert_eq!(std::fs::read_to_string(s.path(output)).unwrap(), a, "{input} read back differs");
    }
}

/// DuckDB, a reader independent of ours, reads the Parquet output.
#[test]
#[ignore = "needs the Python module duckdb; CI runs it (--include-ignored)"]
fn duckdb_reads_the_parquet_output() {
    if !has("duckdb_reads_the_parquet_output", Need::PythonModule("duckdb")) {
        return;
    }
    let s = Sandbox::new();
    s.write("rules.toml", RULES);
    s.write("in.csv", orders_csv("a", 50));
    let out = s.anonymize("rules.toml", "in.csv", "f.parquet");
    assert!(out.status.success(), "{}", stderr(&out));
    let python = python();
    let q = format!(
        "import duckdb; print(duckdb.sql(\"select count(*), count(distinct id), min(email like 'u_%') from read_parquet('{}')\").fetchall()[0])",
        s.path("f.parquet").display()
    );
    let out = Command::new(&python).args(["-c", &q]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "(50, 50, True)");
}

/// DuckDB reads a larger output whole: two row groups of data pages v2, unique tokens
/// (DELTA_LENGTH_BYTE_ARRAY), booleans, integers and a column of nulls, zstd and snappy.
#[test]
#[ignore = "needs the Python module duckdb; CI runs it (--include-ignored)"]
fn duckdb_reads_every_column_kind_of_a_larger_parquet_output() {
    if !has("duckdb_reads_every_column_kind_of_a_larger_parquet_output", Need::PythonModule("duckdb")) {
        return;
    }
    let s = Sandbox::new();
    s.write(
        "rules.toml",
        "version = 1\n[columns]\nid = \"keep\"\nemail = { action = \"pseudonymize\", prefix = \"u_\" }\n\
         vip = \"keep\"\nvisits = \"keep\"\nempty = \"keep\"\n[types]\nvip = \"bool\"\nvisits = \"int\"\n",
    );
    let rows = 200_000u64;
    let mut csv = b"id,email,vip,visits,empty\n".to_vec();
    let (mut visits, mut vips) = (0u64, 0u64);
    for n in 0..rows {
        let (vip, v) = (n % 7 == 0, n * 13 % 1000);
        (visits, vips) = (visits + v, vips + u64::from(vip));
        writeln!(csv, "{n},person.{n}@example.com,{vip},{v},").unwrap();
    }
    s.write("in.csv", &csv);
    let python = python();
    for codec in ["zstd", "snappy"] {
        let out = s.run(&[
            "anonymize",
            "--rules",
            "rules.toml",
            "--key-file",
            "k.key",
            "--compression",
            codec,
            "in.csv",
            "-o",
            "f.parquet",
        ]);
        assert!(out.status.success(), "{codec}: {}", stderr(&out));
        let q = format!(
            "import duckdb; print(duckdb.sql(\"select count(*), count(distinct id), count(distinct email), \
             min(email like 'u_%'), count_if(vip), sum(visits), count(empty) from read_parquet('{}')\").fetchall()[0])",
            s.path("f.parquet").display()
        );
        let out = Command::new(&python).args(["-c", &q]).output().unwrap();
        assert!(out.status.success(), "{codec}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("({rows}, {rows}, {rows}, True, {vips}, {visits}, 0)"),
            "{codec}"
        );
    }
}

#[test]
fn a_decompression_bomb_fails_clearly_in_the_cli_and_is_quarantined_by_the_daemon() {
    let mut repeated = b"id,email,note\n".to_vec();
    for _ in 0..1_200_000 {
        repeated.extend_from_slice(b"x,y@example.com,z\n");
    }
    let bomb = gzip(&repeated);
    assert!(bomb.len() * 200 < repeated.len(), "the test input is not a bomb");
    let zip_bomb = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        w.start_file("data.csv", opts).unwrap();
        w.write_all(&repeated).unwrap();
        w.finish().unwrap().into_inner()
    };
    assert!(zip_bomb.len() * 200 < repeated.len(), "the zip is not a bomb");
    let s = Sandbox::new();
    s.write("rules.toml", RULES);
    for name in ["bomb.csv.gz", "bomb.zip"] {
        s.write(name, if name.ends_with(".zip") { &zip_bomb } else { &bomb });
        let out = s.anonymize("rules.toml", name, "out.parquet");
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains(name) && stderr(&out).contains("decompression bomb"), "{}", stderr(&out));
        assert!(!s.path("out.parquet").exists());
    }

    let site = Site::new("");
    site.drop_file("acme", "bomb.csv.gz", &bomb);
    site.drop_file("acme", "bomb.zip", &zip_bomb);
    site.drop_file("acme", "fine.csv.gz", &gzip(&orders_csv("acme-fine", 10)));
    let out = site.run_once();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let reasons = site.reasons("acme");
    assert_eq!(reasons.len(), 2);
    for r in &reasons {
        assert_eq!(r["kind"], "input");
        assert!(r["message"].as_str().unwrap().contains("decompression bomb"), "{r}");
    }
    assert_eq!(site.stored_ids("acme").len(), 10);
}

#[test]
fn rules_preview_shows_before_and_after_with_deleted_rows_and_invalid_cells() {
    let s = Sandbox::new();
    s.write(
        "r.toml",
        "version = 1\n[columns]\nid = \"keep\"\nemail = { action = \"pseudonymize\", prefix = \"u_\" }\nstatus = \"keep\"\namount = { action = \"generalize\", step = 10 }\n[types]\namount = \"float\"\n[[delete_rows]]\ncolumn = \"status\"\nequals = \"test\"\n",
    );
    s.write("in.csv", "id,email,status,amount,notes\n1,anna@example.com,active,12.5,hello\n2,bob@example.com,test,3,x\n3,,active,abc,y\n4,d@example.com,active,1,z\n");
    let out = s.run(&["rules", "preview", "r.toml", "in.csv", "-n", "3", "--key-file", "k.key"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("row 1, line 2") && text.contains("anna@example.com") && text.contains("u_"), "{text}");
    assert!(text.contains("row 2, line 3  — deleted by [[delete_rows]]"), "{text}");
    assert!(text.contains("abc") && text.contains("(invalid)"), "{text}");
    assert!(text.contains("(dropped)"), "notes is unlisted: {text}");
    assert!(!text.contains("row 4"), "-n 3 shows three rows: {text}");
    // The tokens are the real ones with --key-file: the same as `anonymize` writes.
    let out = s.anonymize("r.toml", "in.csv", "out.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    let token = std::fs::read_to_string(s.path("out.csv"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .to_string();
    assert!(text.contains(&token), "{token} not in {text}");
}

/// A rule file's `name` and `description` appeared in no report: `preview` heads its table
/// with them.
#[test]
fn rules_preview_names_the_rule_files_name_and_description() {
    let s = Sandbox::new();
    s.write(
        "r.toml",
        "version = 1\nname = \"CRM customers\"\ndescription = \"Customer master data\"\n[columns]\nid = \"keep\"\n",
    );
    s.write("in.csv", "id\n1\n");
    let out = s.run(&["rules", "preview", "r.toml", "in.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("\nrules: CRM customers\n       Customer master data\n"), "{text}");
}
