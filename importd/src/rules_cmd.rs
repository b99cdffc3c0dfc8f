//! `importd rules check`: validate rule files and run their `[[examples]]`.

use std::io::Read;
use std::path::{Path, PathBuf};

use anonymizer_core::io::{BatchSource, CsvOptions, CsvReader};
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

/// Prints a starter rule file drafted from the first `rows` rows of `input`.
pub fn suggest(input: &Path, rows: usize) -> Result<(), Failure> {
    let fail = |what: String| Failure::runtime(format!("error: {}: {what}", input.display()));
    let mut head = Vec::new();
    std::fs::File::open(input)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(|e| fail(format!("cannot read it ({})", e.kind())))?;
    let mut opts = InputOptions { delimiter: Some(sniff_delimiter(&head)), ..InputOptions::default() };
    if std::str::from_utf8(&head).is_err() && !head.is_empty() {
        opts.encoding = anonymizer_core::rule::Encoding::Windows1252;
    }
    let mut csv = CsvOptions::new(&opts);
    csv.batch_size = rows.max(1);
    let file = std::fs::File::open(input).map_err(|e| fail(format!("cannot read it ({})", e.kind())))?;
    let mut reader =
        CsvReader::new(file, csv).map_err(|e| Failure::runtime(format!("error: {}", e.with_input_path(input))))?;
    let batch = reader
        .next_batch()
        .and_then(|b| b.ok_or_else(|| anonymizer_core::Error::from(ErrorKind::Option("no rows".into()))))
        .and_then(|b| b.decode())
        .map_err(|e| Failure::runtime(format!("error: {}", e.with_input_path(input))))?;
    let text = draft(&batch, &input.display().to_string(), &opts);
    // The draft must always validate.
    parse_rules(&text, "suggestion")
        .map_err(|d| Failure::runtime(format!("internal error: the draft does not validate:\n{d}")))?;
    print!("{text}");
    Ok(())
}

/// The most frequent of `,` `;` tab `|` on the first line.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    [b',', b';', b'\t', b'|'].into_iter().max_by_key(|d| line.iter().filter(|b| *b == d).count()).unwrap_or(b',')
}
