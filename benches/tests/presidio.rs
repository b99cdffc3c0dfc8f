//! The built-in detectors on the leading peer's own test cases: Presidio's recognizer tests
//! for the kinds both tools find (`data/presidio/presidio_cases.jsonl`, made by
//! `data/presidio/make_cases.py`, which names the source). Each case runs the detectors of
//! its test only, as Presidio's test runs one recognizer; a finding counts when its span is
//! exactly the expected one. Floors: recall ≥ 0.95 over all positives, every IBAN found, no
//! invalid IBAN found. Run with `--nocapture` to see the table and every miss.

use anonymizer_core::detect::Scanner;
use anonymizer_core::rule::Region;
use importd_bench::labelled::{load, Table};

/// The detectors a Presidio test's recognizer corresponds to.
fn detectors(test: &str) -> &'static [&'static str] {
    match test {
        "email" => &["email"],
        "credit_card" => &["credit_card"],
        "url" => &["url"],
        "phone" => &["phone"],
        "ip" => &["ipv4", "ipv6"],
        "iban" => &["iban"],
        other => panic!("no detectors for Presidio test `{other}`"),
    }
}

#[test]
fn presidio_recognizer_cases() {
    let mut table = Table::default();
    let mut misses = Vec::new();
    let mut found = Vec::new();
    for case in load("presidio/presidio_cases.jsonl") {
        let test = case.test.as_deref().expect("each case names its test");
        let mut scanner = Scanner::builtin_only(detectors(test)).expect("built-in detectors");
        if let Some(region) = &case.region {
            scanner = scanner.with_region(Region::new(region).expect("a known region"));
        }
        let text = case.text.as_str();
        scanner.scan(text, &mut found);
        let want: Vec<(usize, usize)> = case.spans.iter().map(|s| (s.0, s.1)).collect();
        let t = table.get(test);
        for g in found.iter().map(|f| (f.start, f.end)) {
            if want.contains(&g) {
                t.tp += 1;
            } else if !case.low.contains(&g) {
                t.fp += 1;
                misses.push(format!("{test}: false {:?} in {text:?}", &text[g.0..g.1]));
            }
        }
        for w in want.iter().filter(|w| !found.iter().any(|f| (f.start, f.end) == **w)) {
            t.fn_ += 1;
            misses.push(format!("{test}: missed {:?} in {text:?}", &text[w.0..w.1]));
        }
    }
    let all = table.print("Presidio test");
    for m in &misses {
        println!("  {m}");
    }
    let iban = *table.get("iban");
    assert!(all.recall() >= 0.95, "recall {:.3} on Presidio's positives is below 0.95", all.recall());
    assert_eq!((iban.fn_, iban.fp), (0, 0), "every valid IBAN found and no invalid one");
}
