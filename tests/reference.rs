//! importd's output equals an independent implementation of the spec's algorithms
//! (tests/reference/importd_ref.py, Python standard library only) on generated data run
//! through rules/examples/crm-customers.toml.

use std::process::Command;

use crate::support::*;

#[test]
fn crm_output_matches_the_python_reference_row_by_row() {
    let s = Sandbox::new();
    let mut input = Vec::new();
    importd_bench::write_csv(&mut input, 3000, 11).unwrap();
    s.write("customers.csv", &input);
    let rules = repo().join("rules/examples/crm-customers.toml");
    let rules = rules.to_str().unwrap();
    let out = s.anonymize(rules, "customers.csv", "out.csv");
    assert!(out.status.success(), "{}", stderr(&out));
    let check = Command::new("python3")
        .arg(repo().join("tests/reference/check_crm.py"))
        .args([s.path("customers.csv"), s.path("out.csv")])
        .arg("ab".repeat(32))
        .output()
        .expect("python3 is needed for the reference cross-check");
    assert!(check.status.success(), "{}\n{}", stdout(&check), stderr(&check));
    assert!(stdout(&check).contains("rows compared: "), "{}", stdout(&check));
}
