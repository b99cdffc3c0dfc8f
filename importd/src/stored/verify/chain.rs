//! What a tenant's audit chain says about its outputs: whether the chain holds
//! ([`verify_lines`] with every key of the ring), and, per output path, the import whose
//! `committed` record named it and the last SHA-256 the chain gives it (the `committed`
//! record's, or the latest `subject_erased` record's `sha256_after`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::daemon::audit::{verify_lines, AuditKey, Verdict};

/// One output as the audit chain tells it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trail {
    /// The imports whose `committed` records name the output (one, unless the chain is wrong).
    pub committed_by: Vec<String>,
    /// Every SHA-256 the chain gave the output, first to last: the `committed` record's,
    /// then each `subject_erased` record's `sha256_after`.
    pub history: Vec<String>,
    /// How many `subject_erased` records name it.
    pub erasures: u64,
}

impl Trail {
    /// The last SHA-256 the chain gives the output.
    pub fn last(&self) -> Option<&str> {
        self.history.last().map(String::as_str)
    }
}

/// A tenant's chain, read.
#[derive(Debug, Default)]
pub struct Chain {
    pub records: u64,
    /// The first broken record: (1-based line, its `seq` if readable, why).
    pub broken: Option<(u64, Option<u64>, &'static str)>,
    pub outputs: BTreeMap<String, Trail>,
}

/// Reads a chain given as its records' lines, first to last. Records after a break are still
/// read for what they say about outputs (the break itself is reported): one changed record
/// should not turn into a difference for every output committed after it.
pub fn read(lines: &[Vec<u8>], keys: &[AuditKey]) -> std::io::Result<Chain> {
    let mut chain = Chain { records: lines.len() as u64, ..Chain::default() };
    if let Verdict::Broken { line, seq, why } = verify_lines(lines.iter().cloned().map(Ok), keys)? {
        chain.broken = Some((line, seq, why));
    }
    for line in lines {
        let Ok(Value::Object(rec)) = serde_json::from_slice::<Value>(line) else { continue };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        match rec.get("event").and_then(Value::as_str) {
            Some("committed") => {
                let id = text(rec.get("import_id")).unwrap_or_default();
                for out in rec.get("outputs").and_then(Value::as_array).into_iter().flatten() {
                    let Some(path) = text(out.get("path")) else { continue };
                    let trail = chain.outputs.entry(path).or_default();
                    trail.committed_by.push(id.clone());
                    trail.history.extend(text(out.get("sha256")));
                }
            }
            Some("subject_erased") => {
                let Some(path) = text(rec.get("output")) else { continue };
                let trail = chain.outputs.entry(path).or_default();
                trail.history.extend(text(rec.get("sha256_after")));
                trail.erasures += 1;
            }
            _ => {}
        }
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::audit::seal;
    use serde_json::json;

    fn key() -> AuditKey {
        AuditKey { id: "k1".into(), key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[1u8; 32]) }
    }

    fn chain_of(records: &[(&str, Value)]) -> Vec<Vec<u8>> {
        let mut prev = [0u8; 32];
        let mut out = Vec::new();
        for (seq, (event, body)) in (1u64..).zip(records) {
            let body = body.as_object().cloned().unwrap_or_default();
            let (line, mac) = seal(&key(), &prev, seq, event, body);
            prev = mac;
            out.push(line.into_bytes());
        }
        out
    }

    #[test]
    fn the_last_sha256_of_an_output_is_its_latest_erasures() -> std::io::Result<()> {
        let lines = chain_of(&[
            ("daemon_started", json!({})),
            ("committed", json!({"import_id": "i1", "outputs": [{"path": "t/d/p/i1.parquet", "sha256": "s1"}]})),
            ("committed", json!({"import_id": "i2", "outputs": [{"path": "t/d/p/i2.parquet", "sha256": "s2"}]})),
            (
                "subject_erased",
                json!({"import_id": "i1", "output": "t/d/p/i1.parquet", "sha256_before": "s1", "sha256_after": "s1b"}),
            ),
            (
                "subject_erased",
                json!({"import_id": "i1", "output": "t/d/p/i1.parquet", "sha256_before": "s1b", "sha256_after": "s1c"}),
            ),
        ]);
        let chain = read(&lines, &[key()])?;
        assert_eq!((chain.records, chain.broken), (5, None));
        let i1 = &chain.outputs["t/d/p/i1.parquet"];
        assert_eq!((i1.committed_by.clone(), i1.last(), i1.erasures), (vec!["i1".to_string()], Some("s1c"), 2));
        assert_eq!(chain.outputs["t/d/p/i2.parquet"].last(), Some("s2"));
        // A changed record is named, and the records after it are still read.
        let mut bad = lines.clone();
        bad[1] = String::from_utf8_lossy(&bad[1]).replace("\"s1\"", "\"s9\"").into_bytes();
        let chain = read(&bad, &[key()])?;
        assert_eq!(chain.broken.map(|(line, seq, _)| (line, seq)), Some((2, Some(2))));
        assert_eq!(chain.outputs["t/d/p/i2.parquet"].last(), Some("s2"));
        Ok(())
    }
}
