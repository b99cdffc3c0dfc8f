//! Accuracy of the built-in detectors on the project's labelled corpus (German, English and
//! French sentences with personal data and decoys): precision and recall per detector, with
//! floors of recall ≥ 0.99 and precision ≥ 0.98. Run with `--nocapture` to see the table.

use anonymizer_core::detect::Scanner;
use importd_bench::corpus::{corpus, KINDS};

#[test]
fn every_builtin_detector_meets_its_floors() {
    let scanner = Scanner::builtin_only(&KINDS).unwrap();
    let sentences = corpus(7_000, 20_261_127);
    let mut tp = [0u32; KINDS.len()];
    let mut fp = [0u32; KINDS.len()];
    let mut fn_ = [0u32; KINDS.len()];
    let mut found = Vec::new();
    let mut misses = Vec::new();
    for s in &sentences {
        scanner.scan(&s.text, &mut found);
        for f in &found {
            let kind = scanner.names()[f.detector].as_str();
            let k = KINDS.iter().position(|x| *x == kind).unwrap();
            if s.spans.iter().any(|&(a, b, want)| a == f.start && b == f.end && want == kind) {
                tp[k] += 1;
            } else {
                fp[k] += 1;
                misses.push(format!("false {kind}: {:?} in {:?}", &s.text[f.start..f.end], s.text));
            }
        }
        for &(a, b, want) in &s.spans {
            let hit = found.iter().any(|f| f.start == a && f.end == b && scanner.names()[f.detector] == want);
            if !hit {
                fn_[KINDS.iter().position(|x| *x == want).unwrap()] += 1;
                misses.push(format!("missed {want}: {:?} in {:?}", &s.text[a..b], s.text));
            }
        }
    }
    println!("{:<12} {:>6} {:>6} {:>6} {:>9} {:>9}", "detector", "tp", "fp", "fn", "precision", "recall");
    let mut ok = true;
    for (k, kind) in KINDS.iter().enumerate() {
        let precision = f64::from(tp[k]) / f64::from((tp[k] + fp[k]).max(1));
        let recall = f64::from(tp[k]) / f64::from((tp[k] + fn_[k]).max(1));
        println!("{kind:<12} {:>6} {:>6} {:>6} {precision:>9.4} {recall:>9.4}", tp[k], fp[k], fn_[k]);
        ok &= precision >= 0.98 && recall >= 0.99;
    }
    for m in misses.iter().take(25) {
        println!("  {m}");
    }
    assert!(ok, "a detector is below its floor (recall ≥ 0.99, precision ≥ 0.98); see the table");
}
