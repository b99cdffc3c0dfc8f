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
