//! Labelled text from outside the project (Presidio's test cases, the Faker/stdnum corpus in
//! `data/`): one JSON object per line with `text`, `spans` as `[start, end]` or
//! `[start, end, kind]` in code points (as Python counts them), and optionally `region`,
//! `lang`, `test` and `low` (spans that count neither way). Offsets become byte ranges here.

use serde_json::Value;

/// One labelled text, offsets in bytes.
#[derive(Debug, Clone)]
pub struct Case {
    pub text: String,
    /// (start, end, kind); kind is empty when the file names it per case (`test`).
    pub spans: Vec<(usize, usize, String)>,
    pub low: Vec<(usize, usize)>,
    pub region: Option<String>,
    pub lang: Option<String>,
    pub test: Option<String>,
}

/// The cases of a JSON Lines file under `benches/data/`.
pub fn load(relative: &str) -> Vec<Case> {
    let path = format!("{}/data/{relative}", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    data.lines().map(|line| parse(line).unwrap_or_else(|| panic!("{path}: a malformed line"))).collect()
}

fn parse(line: &str) -> Option<Case> {
    let v: Value = serde_json::from_str(line).ok()?;
    let text = v.get("text")?.as_str()?.to_string();
    let at: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    let range = |s: &Value| -> Option<(usize, usize)> {
        Some((*at.get(s.get(0)?.as_u64()? as usize)?, *at.get(s.get(1)?.as_u64()? as usize)?))
    };
    let list = |key: &str| v.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut spans = Vec::new();
    for s in list("spans") {
        let (a, b) = range(&s)?;
        spans.push((a, b, s.get(2).and_then(Value::as_str).unwrap_or("").to_string()));
    }
    let low = list("low").iter().map(range).collect::<Option<Vec<_>>>()?;
    let field = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    Some(Case { region: field("region"), lang: field("lang"), test: field("test"), text, spans, low })
}

/// True and false positives and negatives of one detector (or test).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Tally {
    pub fn precision(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fp).max(1))
    }

    pub fn recall(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }

    /// Positives in the data.
    pub fn n(&self) -> u32 {
        self.tp + self.fn_
    }

    pub fn add(&mut self, other: Tally) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }
}

/// Tallies by name, in first-seen order.
#[derive(Debug, Default)]
pub struct Table(pub Vec<(String, Tally)>);

impl Table {
    pub fn get(&mut self, name: &str) -> &mut Tally {
        let i = match self.0.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.0.push((name.to_string(), Tally::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }

    /// Prints one row per name and a total row; returns the total.
    pub fn print(&self, title: &str) -> Tally {
        println!("{title:<20} {:>5} {:>5} {:>5} {:>5} {:>9} {:>7}", "n", "tp", "fp", "fn", "precision", "recall");
        let mut all = Tally::default();
        for (name, t) in &self.0 {
            println!(
                "{name:<20} {:>5} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
                t.n(),
                t.tp,
                t.fp,
                t.fn_,
                t.precision(),
                t.recall()
            );
            all.add(*t);
        }
        println!(
            "{:<20} {:>5} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
            "all",
            all.n(),
            all.tp,
            all.fp,
            all.fn_,
            all.precision(),
            all.recall()
        );
        all
    }
}
