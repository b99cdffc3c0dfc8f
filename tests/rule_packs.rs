//! The shipped rule packs validate and their own [[examples]] pass.

use crate::support::*;

#[test]
fn every_rule_pack_passes_rules_check() {
    let dir = repo().join("rules").join("examples");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(files.len() >= 3, "at least three rule packs: {files:?}");
    let s = Sandbox::new();
    let mut args = vec!["rules", "check"];
    args.extend(files.iter().map(String::as_str));
    let out = s.run(&args);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    for f in &files {
        assert!(stdout(&out).contains(&format!("{f}: ok")), "{}", stdout(&out));
    }
}

/// Every rule pack validates against the committed JSON Schema, and a misspelt action and
/// value do not (Python's `jsonschema`, an implementation independent of ours; `.ci/run`
/// installs it and makes this required).
#[test]
#[ignore = "needs the Python module jsonschema; CI runs it (--include-ignored)"]
fn rule_packs_validate_against_the_json_schema() {
    if !has("rule_packs_validate_against_the_json_schema", Need::PythonModule("jsonschema")) {
        return;
    }
    let python = python();
    let script = r#"
import json, sys, tomllib, glob, jsonschema
root = sys.argv[1]
v = jsonschema.Draft202012Validator(json.load(open(root + "/rules/schema/rules-v1.json")))
files = sorted(glob.glob(root + "/rules/examples/*.toml"))
assert len(files) >= 5, files
for f in files:
    errors = [e.message for e in v.iter_errors(tomllib.load(open(f, "rb")))]
    assert not errors, (f, errors)
bad = {"version": 1, "unlisted": "dorp", "columns": {"a": {"action": "pseudonymise"}}}
assert len(list(v.iter_errors(bad))) == 2
print("ok", len(files))
"#;
    let out = std::process::Command::new(&python).args(["-c", script, &repo().display().to_string()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
