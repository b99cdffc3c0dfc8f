//! Accuracy of the `person` detectors (person_name, street_address, date_of_birth) on a
//! labelled corpus made with Python's Faker (`benches/data/person_corpus.py`, seeded; the
//! detectors' name lists come from mimesis, a different source): sentences of eight
//! languages with names after salutations, in greetings and signatures and in running text,
//! addresses of seven countries, birth dates, and sentences full of capitalized nouns,
//! months, places and name-like words. Prints precision, recall and n per locale and
//! detector; a finding counts only with its exact span. Run with `--nocapture`.

use std::collections::BTreeMap;

use anonymizer_core::detect::Scanner;

const KINDS: [&str; 3] = ["person_name", "street_address", "date_of_birth"];

/// Floors: person_name as the issue asks; the others at what the corpus reaches, with a
/// little room.
const FLOORS: [(f64, f64); 3] = [(0.90, 0.90), (0.90, 0.90), (0.95, 0.95)];

#[derive(Default, Clone, Copy)]
struct Count {
    tp: u32,
    fp: u32,
    fn_: u32,
}

impl Count {
    fn precision(self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fp).max(1))
    }
    fn recall(self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }
}

#[test]
fn person_detectors_meet_their_floors() {
    let corpus = include_str!("../data/person_corpus.jsonl");
    let scanner = Scanner::builtin_only(&KINDS).unwrap();
    let mut counts: BTreeMap<(String, usize), Count> = BTreeMap::new();
    let mut totals = [Count::default(); 3];
    let mut misses = Vec::new();
    let mut found = Vec::new();
    for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let locale = v["locale"].as_str().unwrap().to_string();
        let text = v["text"].as_str().unwrap();
        let spans: Vec<(usize, usize, &str)> = v["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s[0].as_u64().unwrap() as usize, s[1].as_u64().unwrap() as usize, s[2].as_str().unwrap()))
            .collect();
        scanner.scan(text, &mut found);
        for f in &found {
            let kind = scanner.names()[f.detector].as_str();
            let k = KINDS.iter().position(|x| *x == kind).unwrap();
            let c = counts.entry((locale.clone(), k)).or_default();
            if spans.iter().any(|&(a, b, want)| a == f.start && b == f.end && want == kind) {
                c.tp += 1;
                totals[k].tp += 1;
            } else {
                c.fp += 1;
                totals[k].fp += 1;
                misses.push(format!("false {kind} [{locale}]: {:?} in {text:?}", &text[f.start..f.end]));
            }
        }
        for &(a, b, want) in &spans {
            let hit = found.iter().any(|f| f.start == a && f.end == b && scanner.names()[f.detector] == want);
            if !hit {
                let k = KINDS.iter().position(|x| *x == want).unwrap();
                counts.entry((locale.clone(), k)).or_default().fn_ += 1;
                totals[k].fn_ += 1;
                misses.push(format!("missed {want} [{locale}]: {:?} in {text:?}", &text[a..b]));
            }
        }
    }
    println!(
        "{:<15} {:<7} {:>5} {:>5} {:>5} {:>9} {:>7}",
        "detector", "locale", "n", "fp", "fn", "precision", "recall"
    );
    for (k, kind) in KINDS.iter().enumerate() {
        for ((locale, _), c) in counts.iter().filter(|((_, kk), _)| *kk == k) {
            let n = c.tp + c.fn_;
            println!(
                "{kind:<15} {locale:<7} {n:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
                c.fp,
                c.fn_,
                c.precision(),
                c.recall()
            );
        }
        let c = totals[k];
        println!(
            "{kind:<15} {:<7} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
            "all",
            c.tp + c.fn_,
            c.fp,
            c.fn_,
            c.precision(),
            c.recall()
        );
    }
    let limit = std::env::var("PERSON_MISSES").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    for m in misses.iter().take(limit) {
        println!("  {m}");
    }
    for (k, kind) in KINDS.iter().enumerate() {
        let (p, r) = FLOORS[k];
        let c = totals[k];
        assert!(
            c.precision() >= p && c.recall() >= r,
            "{kind}: precision {:.3} (floor {p}), recall {:.3} (floor {r}); see the table",
            c.precision(),
            c.recall()
        );
    }
}
