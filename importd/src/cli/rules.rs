//! `importd rules check`: validate rule files and run their `[[examples]]`.

use std::path::{Path, PathBuf};

use anonymizer_core::io::{open_source, Input, SourceOptions};
use anonymizer_core::rule::{suggest as draft, InputOptions};
use anonymizer_core::{load_rules, parse_rules, run_examples, ErrorKind};

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

/// Prints a starter rule file drafted from the first `rows` rows of `input` (any format).
pub fn suggest(input: &Path, rows: usize) -> Result<(), Failure> {
    let file = std::fs::File::open(input)
        .map_err(|e| Failure::runtime(format!("error: {}: cannot read it ({})", input.display(), e.kind())))?;
    let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let so = SourceOptions { batch_size: rows.max(1), ..SourceOptions::default() };
    let fail = |e: anonymizer_core::Error| Failure::runtime(format!("error: {}", e.with_input_path(input)));
    let mut source = open_source(Input::File(file), &name, &InputOptions::default(), &so).map_err(fail)?;
    let batch = source
        .reader
        .next_batch()
        .and_then(|b| b.ok_or_else(|| anonymizer_core::Error::from(ErrorKind::Option("no rows".into()))))
        .and_then(|b| b.decode())
        .map_err(fail)?;
    let text = draft(&batch, &input.display().to_string(), &source.input);
    // The draft must always validate.
    parse_rules(&text, "suggestion")
        .map_err(|d| Failure::runtime(format!("internal error: the draft does not validate:\n{d}")))?;
    print!("{text}");
    Ok(())
}
