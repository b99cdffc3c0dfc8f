//! The run report: counts and timings only, never values.

use std::time::Duration;

use super::apply::BatchStats;
use crate::rule::{Op, RulePlan};

/// What a run did. Safe to print, log and put into audit records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    pub rows_in: u64,
    pub rows_out: u64,
    /// Deleted by `[[delete_rows]]`.
    pub rows_deleted: u64,
    /// Dropped because an invalid cell's rule says `drop_row`.
    pub rows_dropped_invalid: u64,
    /// Output column → invalid cells (nulled or dropped), in output order. Columns are named
    /// by their labels: a name from the file that looks like data is `column N`.
    pub invalid_cells: Vec<(String, u64)>,
    /// `redact` findings: (column label, detector, count), for every redacted column and detector.
    pub findings: Vec<(String, String, u64)>,
    pub bytes_in: u64,
    pub elapsed: Duration,
    /// Time the reader spent decoding input (serial part).
    pub read_time: Duration,
    /// Time spent encoding and writing output.
    pub write_time: Duration,
    pub key_id: String,
    pub rules_sha256: String,
    /// The rule file's `name` and `description`, one line each and capped
    /// ([`Rules::shown_name`](crate::rule::Rules::shown_name)): the author's text, not data.
    pub rules_name: Option<String>,
    pub rules_description: Option<String>,
    /// The version of the lists fakes came from ([`FAKE_LISTS_VERSION`](crate::transform::FAKE_LISTS_VERSION)),
    /// when the rules make fakes.
    pub fake_lists: Option<String>,
}

impl RunReport {
    pub(crate) fn new(plan: &RulePlan) -> Self {
        let mut findings = Vec::new();
        for c in &plan.columns {
            if let Op::Redact { scanner, .. } = &c.op {
                findings.extend(scanner.names().iter().map(|d| (c.label.clone(), d.clone(), 0)));
            }
        }
        RunReport {
            // Labels, not names: a name from the file that looks like data is `column N`.
            invalid_cells: plan.columns.iter().map(|c| (c.label.clone(), 0)).collect(),
            findings,
            ..Default::default()
        }
    }

    pub(crate) fn add(&mut self, s: &BatchStats) {
        self.rows_in += s.rows_in;
        self.rows_out += s.rows_out;
        self.rows_deleted += s.rows_deleted;
        self.rows_dropped_invalid += s.rows_dropped_invalid;
        for (slot, n) in self.invalid_cells.iter_mut().zip(&s.invalid_cells) {
            slot.1 += n;
        }
        let mut slots = self.findings.iter_mut();
        for counts in &s.findings {
            for n in counts {
                if let Some(slot) = slots.next() {
                    slot.2 += n;
                }
            }
        }
    }

    /// Total invalid cells.
    pub fn invalid_total(&self) -> u64 {
        self.invalid_cells.iter().map(|(_, n)| n).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::key::MasterKey;
    use crate::rule::parse_rules;

    #[test]
    fn columns_are_reported_by_label_never_by_a_name_that_looks_like_data() {
        let rules = parse_rules(
            "version = 1\nunlisted = \"keep\"\n[[patterns]]\ncolumns = \"^80\"\naction = \"redact\"\ndetect = [\"email\"]\n",
            "r.toml",
        )
        .unwrap();
        let header: Vec<String> = ["id", "80331", "zip"].map(String::from).to_vec();
        let plan = RulePlan::new(Arc::new(rules), &MasterKey::test_key().key_set(), &header).unwrap();
        let report = RunReport::new(&plan);
        let names: Vec<&str> = report.invalid_cells.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(names, ["id", "column 2", "zip"]);
        assert_eq!(report.findings, [("column 2".to_string(), "email".to_string(), 0)]);
    }
}
