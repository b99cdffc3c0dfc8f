//! `importd rules check`: validate rule files and run their `[[examples]]`.

use std::path::PathBuf;

use anonymizer_core::{load_rules, run_examples, ErrorKind};

use crate::exit::Failure;

/// Checks every file; reports all problems of all files before failing.
pub fn check(files: &[PathBuf]) -> Result<(), Failure> {
    let mut invalid = 0;
    let mut failing = 0;
    for f in files {
        match load_rules(f) {
            Err(e) => {
                invalid += 1;
                match e.kind() {
                    ErrorKind::Rules(d) => eprintln!("{d}"),
                    _ => eprintln!("error: {e}"),
                }
            }
            Ok(rules) => {
                let failures = run_examples(&rules);
                if failures.is_empty() {
                    println!(
                        "{}: ok ({} example{} passed)",
                        f.display(),
                        rules.examples.len(),
                        if rules.examples.len() == 1 { "" } else { "s" }
                    );
                } else {
                    failing += 1;
                    for fail in &failures {
                        eprintln!("{}:{}: error: {fail}", f.display(), fail.line);
                    }
                    eprintln!("{}: {} of {} examples failed", f.display(), failures.len(), rules.examples.len());
                }
            }
        }
    }
    match (invalid, failing) {
        (0, 0) => Ok(()),
        (0, n) => {
            Err(Failure::runtime(format!("error: examples failed in {n} rule file{}", if n == 1 { "" } else { "s" })))
        }
        (n, _) => {
            Err(Failure::config(format!("error: {n} rule file{} did not validate", if n == 1 { "" } else { "s" })))
        }
    }
}
