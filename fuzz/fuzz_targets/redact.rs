//! Every built-in detector and the redaction scanner on arbitrary UTF-8: never panics,
//! findings lie on character boundaries inside the text, and redaction with every detector
//! (`detect = ["all"]` and custom ones, with and without `validate`/`context`) is idempotent
//! (redacting the output again changes nothing).
#![no_main]

use std::sync::Arc;

use anonymizer_core::detect::Scanner;
use anonymizer_core::rule::BUILTIN_DETECTORS;
use anonymizer_core::{parse_rules, MasterKey, RulePlan};
use arrow_array::{cast::AsArray, RecordBatch, StringArray};
use libfuzzer_sys::fuzz_target;

const RULES: &str = r#"version = 1
[columns]
t = { action = "redact", detect = ["all", "k", "kc"] }
[detectors.k]
pattern = "K-[0-9]{4}"
[detectors.kc]
pattern = "C[0-9]{6}"
validate = "luhn"
context = ["kunde"]
"#;

fn redact(plan: &RulePlan, text: &str) -> String {
    let batch = RecordBatch::try_from_iter([("t", Arc::new(StringArray::from(vec![text])) as _)]).unwrap();
    let out = plan.apply(&batch).expect("redact never fails");
    out.batch.column(0).as_string::<i32>().value(0).to_string()
}

/// Compiled once: one scanner per detector, and the redaction plan.
fn fixtures() -> &'static (Vec<(&'static str, Scanner)>, RulePlan) {
    static FIXTURES: std::sync::OnceLock<(Vec<(&'static str, Scanner)>, RulePlan)> = std::sync::OnceLock::new();
    FIXTURES.get_or_init(|| {
        let scanners =
            BUILTIN_DETECTORS.iter().map(|d| (*d, Scanner::builtin_only(&[d]).expect("built-in detector"))).collect();
        let rules = parse_rules(RULES, "fuzz.toml").expect("fixed rules are valid");
        let plan = RulePlan::new(Arc::new(rules), &MasterKey::test_key().key_set(), &["t".to_string()]).unwrap();
        (scanners, plan)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (scanners, plan) = fixtures();
    for (d, scanner) in scanners {
        let mut found = Vec::new();
        scanner.scan(text, &mut found);
        for f in &found {
            assert!(f.start < f.end && f.end <= text.len(), "{d}: finding outside the text");
            assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end), "{d}: finding splits a character");
        }
    }
    let once = redact(plan, text);
    let twice = redact(plan, &once);
    assert_eq!(once, twice, "redaction is not idempotent");
});
