//! Prometheus metrics and the health endpoints, served on `metrics_addr`. Labels are tenant
//! names and outcome words from our own vocabulary, never values or file names.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Seconds; the import duration histogram's upper bounds.
const BUCKETS: [f64; 12] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0];

/// Counters and gauges, updated by `events`, read by `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// (tenant, outcome) → files.
    files: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// (tenant, refusal) → tenant or dataset folders refused (symlink, not a directory, …).
    refused_folders: Mutex<BTreeMap<(String, &'static str), u64>>,
    pub rows_in: AtomicU64,
    pub rows_out: AtomicU64,
    pub bytes_in: AtomicU64,
    duration_buckets: [AtomicU64; BUCKETS.len()],
    duration_count: AtomicU64,
    duration_sum_us: AtomicU64,
    pub queue_depth: AtomicU64,
    pub running: AtomicU64,
    pub oldest_pending_ms: AtomicU64,
    pub rescans: AtomicU64,
    pub scans: AtomicU64,
    /// Shared ledger: drop objects this daemon claimed, and claims another daemon won first.
    pub claims_won: AtomicU64,
    pub claims_lost: AtomicU64,
    /// Shared ledger: lease renewal rounds, leases lost (this daemon stalled past one),
    /// imports taken over from daemons whose lease ran out.
    pub lease_renewals: AtomicU64,
    pub leases_lost: AtomicU64,
    pub takeovers: AtomicU64,
    /// Whether the ledger answered the last check.
    pub ledger_up: AtomicBool,
    /// Set once recovery finished and intake is not paused.
    pub ready: AtomicBool,
    pub intake_paused: AtomicBool,
}

impl Metrics {
    pub fn file(&self, tenant: &str, outcome: &'static str) {
        if let Ok(mut m) = self.files.lock() {
            *m.entry((tenant.to_string(), outcome)).or_default() += 1;
        }
    }

    /// A tenant or dataset folder was refused (counted once per appearance, not per scan).
    pub fn refused_folder(&self, tenant: &str, kind: &'static str) {
        if let Ok(mut m) = self.refused_folders.lock() {
            *m.entry((tenant.to_string(), kind)).or_default() += 1;
        }
    }

    pub fn observe_duration(&self, d: Duration) {
        let s = d.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if s <= *b {
                self.duration_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.duration_count.fetch_add(1, Ordering::Relaxed);
        self.duration_sum_us.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        s.push_str(
            "# HELP importd_files_total Imported files by tenant and outcome.\n# TYPE importd_files_total counter\n",
        );
        if let Ok(m) = self.files.lock() {
            for ((tenant, outcome), n) in m.iter() {
                let _ = writeln!(s, "importd_files_total{{tenant=\"{tenant}\",outcome=\"{outcome}\"}} {n}");
            }
        }
        s.push_str("# HELP importd_refused_folders_total Tenant or dataset folders refused (a symlink, not a directory, another mount).\n# TYPE importd_refused_folders_total counter\n");
        if let Ok(m) = self.refused_folders.lock() {
            for ((tenant, kind), n) in m.iter() {
                let _ = writeln!(s, "importd_refused_folders_total{{tenant=\"{tenant}\",kind=\"{kind}\"}} {n}");
            }
        }
        for (name, help, v) in [
            ("importd_rows_in_total", "Rows read from committed imports.", r(&self.rows_in)),
            ("importd_rows_out_total", "Rows written by committed imports.", r(&self.rows_out)),
            ("importd_bytes_in_total", "Input bytes of committed imports.", r(&self.bytes_in)),
            (
                "importd_rescans_total",
                "Full rescans forced by a notification overflow or error, and at start.",
                r(&self.rescans),
            ),
            ("importd_scans_total", "Scans of the drop folders.", r(&self.scans)),
            ("importd_claims_won_total", "Drop objects this daemon claimed (shared ledger).", r(&self.claims_won)),
            ("importd_claims_lost_total", "Drop objects another daemon claimed first.", r(&self.claims_lost)),
            ("importd_lease_renewals_total", "Lease renewal rounds (shared ledger).", r(&self.lease_renewals)),
            (
                "importd_leases_lost_total",
                "Imports whose lease this daemon lost (it stalled past it).",
                r(&self.leases_lost),
            ),
            ("importd_takeovers_total", "Imports taken over from daemons whose lease ran out.", r(&self.takeovers)),
        ] {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        }
        for (name, help, v) in [
            ("importd_queue_depth", "Files seen in drop folders and not yet claimed.", r(&self.queue_depth) as f64),
            ("importd_running_imports", "Imports running now.", r(&self.running) as f64),
            (
                "importd_oldest_pending_seconds",
                "Age of the oldest file seen and not yet claimed.",
                r(&self.oldest_pending_ms) as f64 / 1000.0,
            ),
            (
                "importd_intake_paused",
                "1 while intake is paused for lack of free disk space.",
                f64::from(u8::from(self.intake_paused.load(Ordering::Relaxed))),
            ),
            (
                "importd_ledger_up",
                "1 while the ledger answers; intake pauses while it does not.",
                f64::from(u8::from(self.ledger_up.load(Ordering::Relaxed))),
            ),
        ] {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        s.push_str("# HELP importd_import_duration_seconds Time from claim to commit or quarantine.\n# TYPE importd_import_duration_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ =
                writeln!(s, "importd_import_duration_seconds_bucket{{le=\"{b}\"}} {}", r(&self.duration_buckets[i]));
        }
        let count = r(&self.duration_count);
        let _ = writeln!(s, "importd_import_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(s, "importd_import_duration_seconds_sum {}", r(&self.duration_sum_us) as f64 / 1e6);
        let _ = writeln!(s, "importd_import_duration_seconds_count {count}");
        s
    }
}

/// Serves `/metrics`, `/healthz` (the process answers) and `/readyz` (recovered, intake running).
pub async fn serve(addr: SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(addr = %addr, "serving /metrics, /healthz and /readyz");
    loop {
        let Ok((mut conn, _)) = listener.accept().await else { continue };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            // Read up to the end of the request head (a client may send it in pieces).
            let mut buf = Vec::with_capacity(1024);
            let mut chunk = [0u8; 1024];
            let head = async {
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 8192 {
                    match conn.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
            };
            if tokio::time::timeout(Duration::from_secs(5), head).await.is_err() {
                return;
            }
            let n = buf.len();
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split_whitespace().nth(1).unwrap_or("");
            let (status, body) = match path {
                "/metrics" => ("200 OK", metrics.render()),
                "/healthz" => ("200 OK", "ok\n".to_string()),
                "/readyz" if metrics.ready.load(Ordering::Relaxed) => ("200 OK", "ready\n".to_string()),
                "/readyz" => ("503 Service Unavailable", "not ready\n".to_string()),
                _ => ("404 Not Found", "not found\n".to_string()),
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(response.as_bytes()).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.observe_duration(Duration::from_millis(30));
        m.observe_duration(Duration::from_secs(3));
        m.file("acme", "committed");
        let text = m.render();
        assert!(text.contains("importd_import_duration_seconds_bucket{le=\"0.025\"} 0\n"));
        assert!(text.contains("importd_import_duration_seconds_bucket{le=\"0.05\"} 1\n"));
        assert!(text.contains("importd_import_duration_seconds_bucket{le=\"5\"} 2\n"));
        assert!(text.contains("importd_import_duration_seconds_count 2\n"));
        assert!(text.contains("importd_files_total{tenant=\"acme\",outcome=\"committed\"} 1\n"));
    }
}
