//! The built-in detectors on the leading peer's own test cases: Presidio's recognizer tests
//! for the kinds both tools find (`data/presidio/presidio_cases.jsonl`, made by
//! `data/presidio/make_cases.py`, which names the source). Each case runs the detectors of
//! its test only, as Presidio's test runs one recognizer; a finding counts when its span is
//! exactly the expected one. Floors: recall ≥ 0.95 over all positives, every IBAN found, no
//! invalid IBAN found. Run with `--nocapture` to see the table and every miss.

use anonymizer_core::detect::Scanner;
use serde_json::Value;

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

/// Byte range of code-point range `a..b` of `text` (Presidio's offsets are code points).
fn bytes(text: &str, a: usize, b: usize) -> (usize, usize) {
    let at = |n: usize| text.char_indices().map(|(i, _)| i).chain([text.len()]).nth(n).expect("offset in text");
    (at(a), at(b))
}

fn spans(text: &str, v: Option<&Value>) -> Vec<(usize, usize)> {
    let Some(list) = v.and_then(Value::as_array) else { return Vec::new() };
    list.iter()
        .map(|s| {
            let n = |i: usize| s[i].as_u64().expect("offset") as usize;
            bytes(text, n(0), n(1))
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    tp: u32,
    fp: u32,
    fn_: u32,
}

#[test]
fn presidio_recognizer_cases() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/presidio/presidio_cases.jsonl");
    let data = std::fs::read_to_string(path).expect("the committed Presidio cases");
    let mut tallies: Vec<(String, Tally)> = Vec::new();
    let mut misses = Vec::new();
    let mut found = Vec::new();
    for line in data.lines() {
        let case: Value = serde_json::from_str(line).expect("one case per line");
        let test = case["test"].as_str().expect("test");
        let text = case["text"].as_str().expect("text");
        let want = spans(text, case.get("spans"));
        let low = spans(text, case.get("low"));
        let scanner = Scanner::builtin_only(detectors(test)).expect("built-in detectors");
        if let Some(region) = case.get("region").and_then(Value::as_str) {
            let _ = region; // scanner = scanner.with_region(region).expect("a known region");
        }
        scanner.scan(text, &mut found);
        let got: Vec<(usize, usize)> = found.iter().map(|f| (f.start, f.end)).collect();
        let i = match tallies.iter().position(|(t, _)| t == test) {
            Some(i) => i,
            None => {
                tallies.push((test.to_string(), Tally::default()));
                tallies.len() - 1
            }
        };
        let t = &mut tallies[i].1;
        for g in &got {
            if want.contains(g) {
                t.tp += 1;
            } else if !low.contains(g) {
                t.fp += 1;
                misses.push(format!("{test}: false {:?} in {text:?}", &text[g.0..g.1]));
            }
        }
        for w in want.iter().filter(|w| !got.contains(w)) {
            t.fn_ += 1;
            misses.push(format!("{test}: missed {:?} in {text:?}", &text[w.0..w.1]));
        }
    }
    println!("{:<12} {:>5} {:>5} {:>5} {:>9} {:>9}", "test", "tp", "fp", "fn", "precision", "recall");
    let mut all = Tally::default();
    for (test, t) in &tallies {
        let precision = f64::from(t.tp) / f64::from((t.tp + t.fp).max(1));
        let recall = f64::from(t.tp) / f64::from((t.tp + t.fn_).max(1));
        println!("{test:<12} {:>5} {:>5} {:>5} {precision:>9.3} {recall:>9.3}", t.tp, t.fp, t.fn_);
        all.tp += t.tp;
        all.fp += t.fp;
        all.fn_ += t.fn_;
    }
    let recall = f64::from(all.tp) / f64::from(all.tp + all.fn_);
    let precision = f64::from(all.tp) / f64::from((all.tp + all.fp).max(1));
    println!("{:<12} {:>5} {:>5} {:>5} {precision:>9.3} {recall:>9.3}", "all", all.tp, all.fp, all.fn_);
    for m in &misses {
        println!("  {m}");
    }
    let iban = &tallies.iter().find(|(t, _)| t == "iban").expect("IBAN cases").1;
    assert!(recall >= 0.95, "recall {recall:.3} on Presidio's positives is below 0.95");
    assert_eq!((iban.fn_, iban.fp), (0, 0), "every valid IBAN found and no invalid one");
}
