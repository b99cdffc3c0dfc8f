//! The daemon's configuration: a serde mirror of `importd.toml` (unknown keys are errors),
//! validated once, at start, into [`Settings`]. Every rule file is parsed, every key read and
//! its mode checked (0600 or 0400: `MasterKey::load`, the check `anonymize` uses), names
//! checked, drop and state on one filesystem; the first problem found is reported naming the
//! file and, where there is one, the line.

use std::collections::BTreeMap;
use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anonymizer_core::Rules;
use serde::Deserialize;

mod file;
mod ring;

use file::{CodecName, ConfigFile};

use crate::daemon::keyring::KeySource;
use crate::daemon::places::{check_apart, Cluster, LedgerKind, Place, TenantPlaces};
use crate::exit::Failure;
use ring::keys_apart;
pub use ring::LoadedRing;

/// What a file whose content was already committed for its dataset does.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    /// Skipped and recorded as a duplicate.
    #[default]
    Skip,
    /// Imported again.
    Import,
}

/// Log line format.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// What `max_memory_mb` leaves for batches in flight once every worker's own buffers are
/// set aside: a reader holds a line of raw input and a batch of rows (a batch's bytes plus
/// one line) with two spare batches, a writer one row group, and the process itself about
/// 32 MiB. `Err` with the least workable `max_memory_mb` when that leaves less than the
/// widest row costs in flight (see `anonymizer_core::pipeline::MemoryBudget`).
pub fn batch_budget(max_memory: u64, workers: usize, max_line: u64, row_group: u64) -> Result<u64, u64> {
    let batch_bytes = 8u64 << 20;
    let per_worker = 2 * max_line + 3 * batch_bytes + row_group;
    let reserved = (workers as u64).saturating_mul(per_worker).saturating_add(32 << 20);
    let widest = 3 * (max_line + batch_bytes);
    match max_memory.checked_sub(reserved) {
        Some(left) if left >= widest => Ok(left),
        _ => Err((reserved + widest).div_ceil(1 << 20)),
    }
}

/// A tenant name from the configuration (`[a-z0-9][a-z0-9_-]{0,62}`), never from a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenantId(String);

/// A dataset name from the configuration, same alphabet as tenants.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DatasetId(String);

macro_rules! name_type {
    ($t:ident) => {
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
name_type!(TenantId);
name_type!(DatasetId);

/// True for `[a-z0-9][a-z0-9_-]{0,62}`.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// The sentence for a tenant or dataset name that is not allowed.
fn check_name(what: &str, name: &str) -> Result<(), String> {
    if valid_name(name) {
        return Ok(());
    }
    Err(format!(
        "{what} `{}` is not allowed; use 1–63 characters a-z, 0-9, `_` and `-`, starting with a letter or digit",
        name.escape_debug()
    ))
}

/// The validated configuration the daemon runs on.
#[derive(Debug)]
pub struct Settings {
    /// The local drop folder (tenants whose drop is an object store do not use it).
    pub drop_dir: PathBuf,
    /// The local storage folder (tenants whose storage is an object store do not use it).
    pub storage_dir: PathBuf,
    pub state_dir: PathBuf,
    pub ledger: LedgerKind,
    pub cluster: Cluster,
    pub settle: Duration,
    pub scan_interval: Duration,
    pub workers: usize,
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub keep_input_days: Option<u32>,
    pub keep_quarantine_days: Option<u32>,
    pub min_free_bytes: u64,
    /// Bytes of batches in flight, all imports together: see [`batch_budget`].
    pub batch_budget: u64,
    pub shutdown_grace: Duration,
    pub max_attempts: u32,
    pub max_file_bytes: u64,
    /// Batch size and decompression limits for opening inputs.
    pub source: anonymizer_core::io::SourceOptions,
    /// How outputs are written.
    pub parquet: anonymizer_core::io::ParquetOptions,
    pub log_format: LogFormat,
    pub tenants: BTreeMap<TenantId, Tenant>,
}

/// One tenant: its keys and datasets.
#[derive(Debug)]
pub struct Tenant {
    pub id: TenantId,
    /// Every key the tenant has used; re-read when `ring.json` changes (`keys rotate`).
    pub ring: RwLock<LoadedRing>,
    /// Where its drop folders and storage are.
    pub places: TenantPlaces,
    pub datasets: BTreeMap<DatasetId, Dataset>,
}

/// One dataset: its rule file, re-read when it changes.
#[derive(Debug)]
pub struct Dataset {
    pub id: DatasetId,
    pub rules_path: PathBuf,
    pub on_duplicate: OnDuplicate,
    /// The rules in force and the (size, mtime) of the file they were read from.
    pub rules: RwLock<LoadedRules>,
}

/// A rule file version in force.
#[derive(Debug, Clone)]
pub struct LoadedRules {
    pub rules: Arc<Rules>,
    pub stamp: FileStamp,
    /// The bytes the rules were parsed from (their SHA-256 is `rules.sha256`), kept by the
    /// daemon under `<state_dir>/rules/` ([`crate::daemon::kept_rules`]).
    pub source: Arc<[u8]>,
}

/// What tells a changed file from an unchanged one without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub len: u64,
    pub mtime: Option<SystemTime>,
    pub ino: u64,
}

impl FileStamp {
    pub fn of(path: &Path) -> std::io::Result<FileStamp> {
        let m = std::fs::metadata(path)?;
        Ok(FileStamp { len: m.len(), mtime: m.modified().ok(), ino: m.ino() })
    }
}

impl Dataset {
    /// The rules in force now.
    pub fn current(&self) -> Arc<Rules> {
        match self.rules.read() {
            Ok(g) => g.rules.clone(),
            Err(poisoned) => poisoned.into_inner().rules.clone(),
        }
    }
}

impl Settings {
    /// Reads and validates `path`; every problem is a configuration error (exit 2).
    pub fn load(path: &Path) -> Result<Settings, Failure> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::config(format!("error: {shown}: cannot read the configuration ({})", e.kind())))?;
        let raw: ConfigFile = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(":{line}")
                })
                .unwrap_or_default();
            Failure::config(format!("error: {shown}{at}: {}", e.message().trim_end()))
        })?;
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let base = std::fs::canonicalize(base)
            .map_err(|e| Failure::config(format!("error: {shown}: cannot resolve its directory ({})", e.kind())))?;
        let abs = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
        let cfg_err = |msg: String| Failure::config(format!("error: {shown}: {msg}"));

        let state_dir = abs(&raw.state_dir);
        let place = |key: &str, raw: &str| Place::parse(raw, &base).map_err(|e| cfg_err(format!("{key}: {e}")));
        let drop_place = place("drop_dir", &raw.drop_dir)?;
        let storage_place = place("storage_dir", &raw.storage_dir)?;
        let local = |p: &Place, unused: &str| match p {
            Place::Local(path) => path.clone(),
            Place::Object(_) => state_dir.join(unused),
        };
        let drop_dir = local(&drop_place, "unused-drop");
        let storage_dir = local(&storage_place, "unused-storage");
        let ledger = LedgerKind::parse(raw.ledger.as_deref()).map_err(cfg_err)?;
        let cluster = Cluster::new(raw.node.clone(), raw.lease_ms, &state_dir).map_err(cfg_err)?;
        for (key, dir) in [("drop_dir", &drop_dir), ("storage_dir", &storage_dir), ("state_dir", &state_dir)] {
            std::fs::create_dir_all(dir)
                .map_err(|e| cfg_err(format!("{key} {} cannot be created ({})", dir.display(), e.kind())))?;
        }
        let dev = |d: &Path| std::fs::metadata(d).map(|m| m.dev()).ok();
        if matches!(drop_place, Place::Local(_)) && dev(&drop_dir) != dev(&state_dir) {
            return Err(cfg_err(format!(
                "drop_dir {} and state_dir {} are on different filesystems; files are claimed by an atomic rename, so they must share one",
                drop_dir.display(),
                state_dir.display()
            )));
        }
        let metrics_addr = match &raw.metrics_addr {
            None => None,
            Some(a) => Some(
                a.parse()
                    .map_err(|_| cfg_err(format!("metrics_addr `{a}` is not an address like \"127.0.0.1:9464\"")))?,
            ),
        };
        if raw.tenants.is_empty() {
            return Err(cfg_err("no [tenants.<name>] is configured; there is nothing to watch".into()));
        }
        let mut tenants = BTreeMap::new();
        for (name, t) in raw.tenants {
            check_name("tenant name", &name).map_err(cfg_err)?;
            let source = match (&t.key_file, &t.key_dir) {
                (Some(f), None) => KeySource::File(abs(f)),
                (None, Some(d)) => KeySource::Dir(abs(d)),
                _ => return Err(cfg_err(format!("tenant `{name}` needs exactly one of key_file and key_dir"))),
            };
            let ring = LoadedRing::load(&source).map_err(|e| cfg_err(format!("tenant `{name}`: {e}")))?;
            if t.datasets.is_empty() {
                return Err(cfg_err(format!("tenant `{name}` has no [tenants.{name}.datasets.<name>]")));
            }
            let mut datasets = BTreeMap::new();
            for (dname, d) in t.datasets {
                check_name(&format!("dataset name (tenant `{name}`)"), &dname).map_err(cfg_err)?;
                let rules_path = abs(&d.rules);
                let stamp = FileStamp::of(&rules_path).map_err(|e| {
                    cfg_err(format!(
                        "tenant `{name}`, dataset `{dname}`: rule file {} cannot be read ({})",
                        rules_path.display(),
                        e.kind()
                    ))
                })?;
                let (rules, source) = crate::daemon::kept_rules::read(&rules_path).map_err(|message| {
                    Failure::config(format!(
                        "error: {shown}: tenant `{name}`, dataset `{dname}`: the rule file has errors:\n{}",
                        message.trim_end()
                    ))
                })?;
                let id = DatasetId(dname);
                datasets.insert(
                    id.clone(),
                    Dataset {
                        id,
                        rules_path,
                        on_duplicate: d.on_duplicate,
                        rules: RwLock::new(LoadedRules { rules: Arc::new(rules), stamp, source }),
                    },
                );
            }
            let own = |key: &str, raw: &Option<String>, global: &Place| {
                match raw {
                None => Ok(global.clone()),
                Some(url) if url.starts_with("s3://") => place(&format!("tenant `{name}`: {key}"), url),
                Some(_) => Err(cfg_err(format!(
                    "tenant `{name}`: {key} must be an s3:// URL (a tenant's own local folder is not supported; use the global {key})"
                ))),
            }
            };
            let places = TenantPlaces::new(
                own("drop_dir", &t.drop_dir, &drop_place)?,
                own("storage_dir", &t.storage_dir, &storage_place)?,
            )
            .map_err(|e| cfg_err(format!("tenant `{name}`: {e}")))?;
            let id = TenantId(name);
            tenants.insert(id.clone(), Tenant { id, ring: RwLock::new(ring), places, datasets });
        }
        keys_apart(&tenants).map_err(cfg_err)?;
        let apart: Vec<(&str, &TenantPlaces)> = tenants.values().map(|t: &Tenant| (t.id.as_str(), &t.places)).collect();
        check_apart(&apart).map_err(cfg_err)?;
        if matches!(ledger, LedgerKind::Postgres(_)) {
            // A daemon that takes an import over must see what the one before it published.
            let local_out =
                |t: &Tenant| matches!(t.places.drop, Place::Object(_)) && matches!(t.places.storage, Place::Local(_));
            if let Some(t) = tenants.values().find(|t| local_out(t)) {
                return Err(cfg_err(format!(
                    "tenant `{}`: with a shared ledger an s3:// drop_dir needs an s3:// storage_dir (another daemon that takes an import over must see its output)",
                    t.id
                )));
            }
        }
        let workers =
            if raw.workers == 0 { std::thread::available_parallelism().map_or(2, |n| n.get()) } else { raw.workers };
        let max_memory_bytes = raw.max_memory_mb.saturating_mul(1 << 20);
        let max_line =
            raw.limits.max_line_bytes.unwrap_or(anonymizer_core::io::SourceOptions::default().max_line_bytes);
        // Each import's writer buffers a row group outside the batch budget.
        let row_group = |workers: usize| (max_memory_bytes / 4 / workers as u64).clamp(1 << 20, 64 << 20);
        // A line of the most columns costs their bounds too (16 bytes a field).
        let max_columns = raw.limits.max_columns.unwrap_or(anonymizer_core::io::SourceOptions::default().max_columns);
        let line_cost = max_line as u64 + 16 * max_columns as u64;
        let fits = |workers: usize| batch_budget(max_memory_bytes, workers, line_cost, row_group(workers));
        // `workers = 0` means one per core, as many as the memory allows.
        let mut workers = workers;
        if raw.workers == 0 {
            while workers > 1 && fits(workers).is_err() {
                workers -= 1;
            }
        }
        let batch_budget = fits(workers).map_err(|needed_mb| {
            cfg_err(format!(
                "max_memory_mb = {} is too small for {workers} worker(s) and lines of up to {} MiB: it needs at least {needed_mb}",
                raw.max_memory_mb,
                max_line >> 20
            ))
        })?;
        let row_group_bytes = row_group(workers) as usize;
        Ok(Settings {
            drop_dir,
            storage_dir,
            state_dir,
            ledger,
            cluster,
            settle: Duration::from_millis(raw.settle_ms),
            scan_interval: Duration::from_millis(raw.scan_interval_ms.max(10)),
            workers,
            metrics_addr,
            keep_input_days: raw.keep_input_days,
            keep_quarantine_days: raw.keep_quarantine_days,
            min_free_bytes: raw.min_free_mb.saturating_mul(1 << 20),
            batch_budget,
            shutdown_grace: Duration::from_millis(raw.shutdown_grace_ms),
            max_attempts: raw.max_attempts.max(1),
            max_file_bytes: raw.limits.max_file_bytes.unwrap_or(64 << 30),
            source: {
                let d = anonymizer_core::io::SourceOptions::default();
                anonymizer_core::io::SourceOptions {
                    max_decompressed_bytes: raw.limits.max_decompressed_bytes.unwrap_or(d.max_decompressed_bytes),
                    max_ratio: raw.limits.max_compression_ratio.unwrap_or(d.max_ratio),
                    max_line_bytes: raw.limits.max_line_bytes.unwrap_or(d.max_line_bytes),
                    max_field_bytes: raw.limits.max_field_bytes.unwrap_or(d.max_field_bytes),
                    max_columns: raw.limits.max_columns.unwrap_or(d.max_columns),
                    max_rows: raw.limits.max_rows.unwrap_or(d.max_rows),
                    ..d
                }
            },
            parquet: {
                use anonymizer_core::io::{ParquetCodec, ParquetOptions};
                let d = ParquetOptions::default();
                let level = raw.output.zstd_level.unwrap_or(1);
                if !(1..=22).contains(&level) {
                    return Err(cfg_err(format!("[output] zstd_level {level} is out of range 1–22")));
                }
                ParquetOptions {
                    codec: match raw.output.compression {
                        None | Some(CodecName::Zstd) => ParquetCodec::Zstd(level),
                        Some(CodecName::Snappy) => ParquetCodec::Snappy,
                        Some(CodecName::None) => ParquetCodec::Uncompressed,
                    },
                    row_group_rows: raw.output.row_group_rows.unwrap_or(d.row_group_rows).max(1),
                    legacy_encodings: raw.output.legacy_encodings.unwrap_or(d.legacy_encodings),
                    row_group_bytes,
                    metadata: Vec::new(),
                }
            },
            log_format: raw.log_format,
            tenants,
        })
    }

    pub fn tenant(&self, id: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|(k, _)| k.as_str() == id).map(|(_, t)| t)
    }

    pub fn processing_dir(&self) -> PathBuf {
        self.state_dir.join("processing")
    }

    pub fn quarantine_dir(&self, t: &TenantId, d: &DatasetId) -> PathBuf {
        self.state_dir.join("quarantine").join(t.as_str()).join(d.as_str())
    }

    pub fn archive_dir(&self, t: &TenantId, d: &DatasetId) -> PathBuf {
        self.state_dir.join("archive").join(t.as_str()).join(d.as_str())
    }

    pub fn audit_path(&self, t: &TenantId) -> PathBuf {
        self.state_dir.join("audit").join(format!("{}.jsonl", t.as_str()))
    }
}

#[cfg(test)]
pub fn test_tenant(name: &str) -> TenantId {
    TenantId(name.into())
}

#[cfg(test)]
pub fn test_dataset(name: &str) -> DatasetId {
    DatasetId(name.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["acme", "a", "0x", "acme-gmbh_2", &"a".repeat(63)] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "Acme", "-a", "_a", "a.b", "a/b", "..", "ä", &"a".repeat(64), "a b"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
