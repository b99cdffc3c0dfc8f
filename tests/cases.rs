//! The bad-input corpus, `tests/cases/<name>/`: every hostile or broken file and rule file
//! that matters, each with what must happen. One runner:
//!
//! - `rules.toml` alone: `importd rules check` must fail as `expected.txt` says.
//! - `rules.toml` + `input.<ext>`: `importd anonymize` (with `limits.toml` as `--max-…`
//!   flags) must either write `expected.csv` exactly, or fail as `expected.txt` says and write
//!   nothing; and the daemon, given the same file, must commit it or quarantine it with a
//!   `reason.json` whose message holds the same sentences.
//!
//! `expected.txt`: first line `exit N`, then one required substring per line. A regression
//! is a new folder named after its issue.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::site::files_under;
use crate::support::*;

struct Case {
    name: String,
    dir: PathBuf,
    input: Option<PathBuf>,
    limits: BTreeMap<String, i64>,
    expected_exit: Option<i32>,
    expected_text: Vec<String>,
    expected_csv: Option<Vec<u8>>,
}

fn load() -> Vec<Case> {
    let root = repo().join("tests").join("cases");
    let mut cases: Vec<Case> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let input = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("input."));
            let limits = std::fs::read_to_string(dir.join("limits.toml"))
                .map(|t| {
                    t.lines()
                        .filter_map(|l| l.split_once('='))
                        .map(|(k, v)| (k.trim().to_string(), v.trim().parse().unwrap()))
                        .collect()
                })
                .unwrap_or_default();
            let (expected_exit, expected_text) = match std::fs::read_to_string(dir.join("expected.txt")) {
                Ok(t) => {
                    let mut lines = t.lines();
                    let exit = lines.next().and_then(|l| l.strip_prefix("exit ")).map(|n| n.parse().unwrap());
                    (exit, lines.filter(|l| !l.is_empty()).map(String::from).collect())
                }
                Err(_) => (None, Vec::new()),
            };
            let expected_csv = std::fs::read(dir.join("expected.csv")).ok();
            assert!(expected_exit.is_some() != expected_csv.is_some(), "{name}: needs expected.txt or expected.csv");
            Case { name, dir, input, limits, expected_exit, expected_text, expected_csv }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn run_in(dir: &Path, args: &[String]) -> std::process::Output {
    Command::new(importd_path()).args(args).current_dir(dir).output().unwrap()
}

#[test]
fn the_corpus_has_at_least_40_cases() {
    let cases = load();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    assert!(cases.iter().filter(|c| c.input.is_none()).count() >= 10, "rule-file cases");
}

#[test]
fn every_case_fails_clearly_or_imports_exactly_through_the_cli() {
    let s = Sandbox::new();
    let mut failures = Vec::new();
    for case in load() {
        let work = s.path(&case.name);
        std::fs::create_dir_all(&work).unwrap();
        for f in files_under(&case.dir) {
            std::fs::copy(&f, work.join(f.file_name().unwrap())).unwrap();
        }
        let key = s.path("k.key").display().to_string();
        let out = match &case.input {
            None => run_in(&work, &["rules".into(), "check".into(), "rules.toml".into()]),
            Some(input) => {
                let mut args: Vec<String> =
                    ["anonymize", "--rules", "rules.toml", "--key-file", &key].map(String::from).to_vec();
                args.push(input.file_name().unwrap().to_string_lossy().into_owned());
                args.extend(["-o".to_string(), "out.csv".to_string()]);
                for (k, v) in &case.limits {
                    args.push(format!("--{}", k.replace('_', "-")));
                    args.push(v.to_string());
                }
                run_in(&work, &args)
            }
        };
        let err = stderr(&out);
        let problem = match (&case.expected_csv, case.expected_exit) {
            (Some(csv), _) if !out.status.success() => Some(format!("expected success, got: {err}")),
            (Some(csv), _) if std::fs::read(work.join("out.csv")).ok().as_ref() != Some(csv) => Some(format!(
                "output differs: {:?}",
                String::from_utf8_lossy(&std::fs::read(work.join("out.csv")).unwrap_or_default())
            )),
            (None, Some(code)) if out.status.code() != Some(code) => {
                Some(format!("expected exit {code}, got {:?}: {err}", out.status.code()))
            }
            (None, Some(_)) if work.join("out.csv").exists() => Some("an output was written".into()),
            (None, Some(_)) => {
                case.expected_text.iter().find(|t| !err.contains(t.as_str())).map(|t| format!("`{t}` not in: {err}"))
            }
            _ => None,
        };
        if let Some(p) = problem {
            failures.push(format!("{}: {p}", case.name));
        }
        if case.expected_exit.is_some() {
            assert!(err.lines().count() <= 40, "{}: the error is not short: {err}", case.name);
            assert!(!err.contains("panicked"), "{}: panic: {err}", case.name);
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_input_case_is_committed_or_quarantined_with_its_reason_by_the_daemon() {
    let cases: Vec<Case> = load().into_iter().filter(|c| c.input.is_some()).collect();
    // One daemon site per set of limits; one dataset per case.
    let mut groups: BTreeMap<String, Vec<&Case>> = BTreeMap::new();
    for c in &cases {
        groups.entry(format!("{:?}", c.limits)).or_default().push(c);
    }
    let mut failures = Vec::new();
    for group in groups.values() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path();
        let key = root.join("t.key");
        std::fs::write(&key, format!("{}\n", "cd".repeat(32))).unwrap();
        set_mode(&key, 0o600);
        let mut cfg = "drop_dir = \"drop\"\nstorage_dir = \"storage\"\nstate_dir = \"state\"\nsettle_ms = 50\nscan_interval_ms = 50\nmin_free_mb = 1\n".to_string();
        cfg.push_str("[limits]\n");
        for (k, v) in &group[0].limits {
            cfg.push_str(&format!("{k} = {v}\n"));
        }
        cfg.push_str("[tenants.t]\nkey_file = \"t.key\"\n");
        for c in group {
            std::fs::copy(c.dir.join("rules.toml"), root.join(format!("{}.toml", c.name))).unwrap();
            cfg.push_str(&format!("[tenants.t.datasets.{0}]\nrules = \"{0}.toml\"\n", c.name));
            let drop = root.join("drop/t").join(&c.name);
            std::fs::create_dir_all(&drop).unwrap();
            let input = c.input.as_ref().unwrap();
            std::fs::copy(input, drop.join(input.file_name().unwrap())).unwrap();
        }
        std::fs::write(root.join("importd.toml"), cfg).unwrap();
        let out = run_in(root, &["serve".into(), "--config".into(), "importd.toml".into(), "--once".into()]);
        let log = stderr(&out);
        assert!(!log.contains("panicked"), "{log}");
        for c in group {
            let stored = files_under(&root.join("storage/t").join(&c.name))
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
                .count();
            let reasons: Vec<serde_json::Value> = files_under(&root.join("state/quarantine/t").join(&c.name))
                .iter()
                .filter(|p| p.file_name().is_some_and(|n| n == "reason.json"))
                .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
                .collect();
            let problem = if c.expected_csv.is_some() {
                (stored != 1 || !reasons.is_empty())
                    .then(|| format!("expected a commit, got {stored} outputs and reasons {reasons:?}"))
            } else if stored != 0 || reasons.len() != 1 {
                Some(format!("expected one quarantine, got {stored} outputs and {} reasons; log: {log}", reasons.len()))
            } else {
                let message = reasons[0]["message"].as_str().unwrap_or_default();
                c.expected_text
                    .iter()
                    .find(|t| !message.contains(t.as_str()))
                    .map(|t| format!("`{t}` not in reason: {message}"))
            };
            if let Some(p) = problem {
                failures.push(format!("{}: {p}", c.name));
            }
        }
        assert!(files_under(&root.join("state/processing")).is_empty());
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}
