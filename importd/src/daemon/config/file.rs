//! `importd.toml` as written: the serde mirror (unknown keys are errors) that `Settings::load`
//! validates, and the defaults of the keys left out.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::{LogFormat, OnDuplicate};

/// `importd.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigFile {
    /// A folder, or `s3://bucket/prefix`.
    pub(super) drop_dir: String,
    /// A folder, or `s3://bucket/prefix`.
    pub(super) storage_dir: String,
    pub(super) state_dir: PathBuf,
    /// `"sqlite"` (default) or `"postgres://…"`, shared by several daemons.
    pub(super) ledger: Option<String>,
    /// This daemon's name in a shared ledger.
    pub(super) node: Option<String>,
    /// How long a claim in a shared ledger holds without renewal.
    pub(super) lease_ms: Option<u64>,
    #[serde(default = "default_settle_ms")]
    pub(super) settle_ms: u64,
    #[serde(default)]
    pub(super) workers: usize,
    pub(super) metrics_addr: Option<String>,
    /// How often the drop folders are scanned (the scan is the inventory; notifications only wake it).
    #[serde(default = "default_scan_interval_ms")]
    pub(super) scan_interval_ms: u64,
    /// Keep disposed inputs under `<state_dir>/archive/` for this many days instead of deleting them.
    pub(super) keep_input_days: Option<u32>,
    /// Delete quarantined originals (and their reasons) this many days after quarantine;
    /// unset keeps them until an operator removes them.
    pub(super) keep_quarantine_days: Option<u32>,
    /// Intake pauses while the storage or state filesystem has less free space than this.
    #[serde(default = "default_min_free_mb")]
    pub(super) min_free_mb: u64,
    /// All imports together: batches in flight, readers' and writers' buffers.
    #[serde(default = "default_max_memory_mb")]
    pub(super) max_memory_mb: u64,
    /// Running imports get this long to finish after SIGTERM before they are rolled back.
    #[serde(default = "default_grace_ms")]
    pub(super) shutdown_grace_ms: u64,
    /// Attempts of one import (crashes and transient errors) before it is quarantined.
    #[serde(default = "default_max_attempts")]
    pub(super) max_attempts: u32,
    #[serde(default)]
    pub(super) log_format: LogFormat,
    #[serde(default)]
    pub(super) limits: LimitsConfig,
    #[serde(default)]
    pub(super) output: OutputConfig,
    #[serde(default)]
    pub(super) tenants: BTreeMap<String, TenantConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TenantConfig {
    /// One key file (a ring of one key, which cannot rotate) …
    pub(super) key_file: Option<PathBuf>,
    /// … or a key ring folder (`ring.json` and one key file per generation).
    pub(super) key_dir: Option<PathBuf>,
    /// This tenant's own object-store drop prefix (`s3://…`), instead of the global one.
    pub(super) drop_dir: Option<String>,
    /// This tenant's own object-store storage prefix (`s3://…`), instead of the global one.
    pub(super) storage_dir: Option<String>,
    #[serde(default)]
    pub(super) datasets: BTreeMap<String, DatasetConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DatasetConfig {
    pub(super) rules: PathBuf,
    #[serde(default)]
    pub(super) on_duplicate: OnDuplicate,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LimitsConfig {
    pub(super) max_file_bytes: Option<u64>,
    /// A compressed input may expand to this many bytes.
    pub(super) max_decompressed_bytes: Option<u64>,
    /// Decompressed ÷ compressed beyond this is refused as a decompression bomb.
    pub(super) max_compression_ratio: Option<u64>,
    /// Longest line (CSV record, JSON line) in bytes.
    pub(super) max_line_bytes: Option<usize>,
    /// Longest CSV field in bytes.
    pub(super) max_field_bytes: Option<usize>,
    pub(super) max_columns: Option<usize>,
    pub(super) max_rows: Option<u64>,
}

/// `[output]`: how the Parquet files in storage are written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OutputConfig {
    /// `zstd` (default), `snappy` or `none`.
    pub(super) compression: Option<CodecName>,
    /// 1–22 (default 1).
    pub(super) zstd_level: Option<i32>,
    /// Rows per row group (default 131072).
    pub(super) row_group_rows: Option<usize>,
    /// Only PLAIN and dictionary encodings in data pages v1, for readers older than Spark 3.4
    /// (default false: data pages v2, unique text DELTA_LENGTH_BYTE_ARRAY).
    pub(super) legacy_encodings: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum CodecName {
    Zstd,
    Snappy,
    None,
}

fn default_settle_ms() -> u64 {
    2000
}

fn default_scan_interval_ms() -> u64 {
    1000
}

fn default_max_memory_mb() -> u64 {
    1024
}

fn default_min_free_mb() -> u64 {
    256
}

fn default_grace_ms() -> u64 {
    30_000
}

fn default_max_attempts() -> u32 {
    5
}
