//! A run's result for people (one line per difference, or a summary line per tenant), for
//! programs (one JSON object) and for Prometheus (a text file for node_exporter's textfile
//! collector, replaced atomically). Names, kinds, counts and hashes only.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use serde_json::{json, Value};

use crate::stored::verify::{Kind, TenantReport};

/// A whole run.
#[derive(Debug, Clone)]
pub struct Run {
    pub tenants: Vec<TenantReport>,
    pub duration_ms: u64,
    /// When it ended, seconds since the epoch.
    pub finished_at: f64,
}

impl Run {
    pub fn differences(&self) -> usize {
        self.tenants.iter().map(|t| t.differences.len()).sum()
    }

    pub fn ok(&self) -> bool {
        self.differences() == 0
    }

    fn count(t: &TenantReport, kind: Kind) -> usize {
        t.differences.iter().filter(|d| d.kind == kind).count()
    }

    /// `<tenant>: <kind>: <path or record>: <why>` per difference; a summary line for each
    /// tenant without any.
    pub fn lines(&self) -> String {
        let mut out = String::new();
        for t in &self.tenants {
            for d in &t.differences {
                let _ = writeln!(out, "{}: {}: {}: {}", d.tenant, d.kind.word(), d.path, d.detail);
            }
            if t.differences.is_empty() {
                let _ = writeln!(out, "{}", summary(t));
            }
        }
        out
    }

    /// The JSON report.
    pub fn json(&self) -> Value {
        let counts = |of: &dyn Fn(Kind) -> usize| -> Value {
            Kind::ALL
                .iter()
                .map(|k| (k.word().to_string(), Value::from(of(*k))))
                .collect::<serde_json::Map<_, _>>()
                .into()
        };
        let tenants: Vec<Value> = self
            .tenants
            .iter()
            .map(|t| {
                json!({
                    "tenant": t.tenant,
                    "ok": t.differences.is_empty(),
                    "outputs": t.outputs,
                    "intact": t.intact,
                    "pending": t.pending,
                    "in_flight": t.in_flight,
                    "audit_records": t.audit_records,
                    "counts": counts(&|k| Run::count(t, k)),
                })
            })
            .collect();
        let differences: Vec<&crate::stored::verify::Difference> =
            self.tenants.iter().flat_map(|t| t.differences.iter()).collect();
        json!({
            "ok": self.ok(),
            "tenants": tenants,
            "counts": counts(&|k| self.tenants.iter().map(|t| Run::count(t, k)).sum()),
            "differences": differences,
            "duration_ms": self.duration_ms,
        })
    }

    /// The Prometheus text format.
    pub fn metrics(&self) -> String {
        let mut m = String::new();
        let help = |m: &mut String, name: &str, text: &str| {
            let _ = writeln!(m, "# HELP {name} {text}\n# TYPE {name} gauge");
        };
        help(
            &mut m,
            "importd_verify_ok",
            "1 if the last `importd verify` found storage, ledger and audit chains in agreement.",
        );
        let _ = writeln!(m, "importd_verify_ok {}", u8::from(self.ok()));
        help(&mut m, "importd_verify_differences", "Differences the last run found, by tenant and kind.");
        for t in &self.tenants {
            for k in Kind::ALL {
                let _ = writeln!(
                    m,
                    "importd_verify_differences{{tenant=\"{}\",kind=\"{}\"}} {}",
                    t.tenant,
                    k.word(),
                    Run::count(t, k)
                );
            }
        }
        help(
            &mut m,
            "importd_verify_outputs",
            "Committed outputs the ledger lists, by tenant, as the last run checked them.",
        );
        for t in &self.tenants {
            let _ = writeln!(m, "importd_verify_outputs{{tenant=\"{}\"}} {}", t.tenant, t.outputs);
        }
        help(&mut m, "importd_verify_last_run_timestamp_seconds", "When the last run ended.");
        let _ = writeln!(m, "importd_verify_last_run_timestamp_seconds {:.3}", self.finished_at);
        help(&mut m, "importd_verify_duration_seconds", "How long the last run took.");
        let _ = writeln!(m, "importd_verify_duration_seconds {:.3}", self.duration_ms as f64 / 1000.0);
        m
    }
}

/// `acme: 1000 outputs intact (2 with a rewrite pending: either version is accepted); audit chain of 2003 records intact and in agreement; 1 in flight`.
pub fn summary(t: &TenantReport) -> String {
    let mut s = format!("{}: {} output{} intact", t.tenant, t.intact, if t.intact == 1 { "" } else { "s" });
    if t.pending > 0 {
        let _ = write!(s, " ({} with a rewrite pending: either version is accepted)", t.pending);
    }
    let _ = write!(s, "; audit chain of {} records intact and in agreement with the ledger", t.audit_records);
    if t.in_flight > 0 {
        let _ = write!(
            s,
            "; {} in flight (imports or erasures the ledger holds unfinished: under way, or finished by recovery at the daemon's next start)",
            t.in_flight
        );
    }
    s
}

/// The metrics text for a run that could not finish (the ledger or storage unreadable):
/// `importd_verify_ok 0`, so an alert on it fires.
pub fn failed_metrics(finished_at: f64, duration_ms: u64) -> String {
    let run = Run { tenants: Vec::new(), duration_ms, finished_at };
    run.metrics().replace("importd_verify_ok 1", "importd_verify_ok 0")
}

/// Replaces `path` with `text` atomically: a temporary file beside it (a name node_exporter's
/// `*.prom` glob skips), fsync, rename, fsync of the folder.
pub fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new().prefix(".importd-verify.").suffix(".tmp").tempfile_in(dir)?;
    temp.write_all(text.as_bytes())?;
    // Readable by node_exporter; it holds names and counts only.
    std::fs::set_permissions(temp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stored::verify::Difference;

    #[test]
    fn every_kind_has_a_gauge_per_tenant_and_a_failed_run_is_not_ok() -> io::Result<()> {
        let t = TenantReport {
            tenant: "acme".into(),
            outputs: 3,
            intact: 2,
            differences: vec![Difference {
                tenant: "acme".into(),
                kind: Kind::Changed,
                path: "acme/orders/date=2026-01-01/x.parquet".into(),
                detail: "its SHA-256 is …".into(),
            }],
            ..TenantReport::default()
        };
        let run = Run { tenants: vec![t], duration_ms: 1500, finished_at: 1_700_000_000.0 };
        let m = run.metrics();
        assert!(m.contains("importd_verify_ok 0\n"), "{m}");
        assert!(m.contains("importd_verify_differences{tenant=\"acme\",kind=\"changed\"} 1\n"), "{m}");
        assert_eq!(m.matches("importd_verify_differences{").count(), Kind::ALL.len());
        assert!(
            m.contains("importd_verify_outputs{tenant=\"acme\"} 3\n")
                && m.contains("importd_verify_duration_seconds 1.500\n")
        );
        assert_eq!(run.lines(), "acme: changed: acme/orders/date=2026-01-01/x.parquet: its SHA-256 is …\n");
        assert_eq!(run.json()["counts"]["changed"], 1);
        assert!(failed_metrics(1.0, 2).contains("importd_verify_ok 0\n"));
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("importd_verify.prom");
        write_atomically(&path, &m)?;
        write_atomically(&path, &m)?;
        assert_eq!(std::fs::read_to_string(&path)?, m);
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 1, "no temporary file is left");
        Ok(())
    }
}
