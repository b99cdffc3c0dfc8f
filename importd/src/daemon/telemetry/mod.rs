//! Logs and metrics in one place: log lines are sentences with structured fields (tenant,
//! dataset, import id, counts), never values; metric labels are tenant names and our own words.

pub mod metrics;

use std::time::Duration;

use crate::daemon::import_id::ImportId;
use crate::daemon::outcome::Outcome;
use metrics::Metrics;

/// A job for `(tenant, dataset)` ended with `outcome` after `elapsed`.
pub fn finished(metrics: &Metrics, id: &ImportId, owner: &(String, String), outcome: &Outcome, elapsed: Duration) {
    let (tenant, dataset) = owner;
    let ms = elapsed.as_millis() as u64;
    match outcome {
        Outcome::Committed => {
            tracing::info!(tenant = %tenant, dataset = %dataset, import_id = %id, ms, "import committed")
        }
        Outcome::Duplicate => {
            tracing::info!(tenant = %tenant, dataset = %dataset, import_id = %id, "the content was already imported for this dataset; skipped as a duplicate")
        }
        Outcome::Quarantined => {} // logged with its reason where it was decided
        Outcome::Retry { delay, .. } => {
            tracing::debug!(tenant = %tenant, dataset = %dataset, import_id = %id, delay_ms = delay.as_millis() as u64, "import will be resumed")
        }
        Outcome::Cancelled => {
            tracing::info!(tenant = %tenant, dataset = %dataset, import_id = %id, "import rolled back for shutdown; it resumes on the next start")
        }
        Outcome::LostLease => {
            metrics.leases_lost.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(tenant = %tenant, dataset = %dataset, import_id = %id, "this daemon lost the import's lease (it stalled past it); it stopped without publishing or recording more, and the daemon that took it over finishes it");
            return;
        }
        Outcome::Vanished | Outcome::NotClaimed(_) | Outcome::Stopped => return,
    }
    if matches!(outcome, Outcome::Committed | Outcome::Duplicate | Outcome::Quarantined) {
        metrics.observe_duration(elapsed);
    }
    metrics.file(tenant, outcome.word());
}

/// Logs go to stderr, as text or JSON lines, with `RUST_LOG`-free defaults (info and up).
pub fn init_logging(format: crate::daemon::config::LogFormat) {
    let builder =
        tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).with_max_level(tracing::Level::INFO);
    let _ = match format {
        crate::daemon::config::LogFormat::Text => builder.with_ansi(false).try_init(),
        crate::daemon::config::LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
