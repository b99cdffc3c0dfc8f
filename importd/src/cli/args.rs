//! The command line (clap). Each subcommand's doc comment is its `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// importd makes personal data in imported files unrecognizable, by rules each customer writes.
#[derive(Debug, Parser)]
#[command(name = "importd", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a self-contained demo under ./importd-demo/ and run it: sample data, a rule
    /// file, a key, the anonymized Parquet output and a before/after sample.
    Demo(DemoArgs),
    /// Anonymize one file by a rule file (no daemon).
    Anonymize(AnonymizeArgs),
    /// Work with rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Manage tenant keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Decrypt one `encrypt`ed value (authorized re-identification).
    Reveal(RevealArgs),
    /// Run the daemon: watch every tenant's drop folders and import each complete file.
    Serve(ServeArgs),
    /// Work with the tenants' audit logs.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Tenants' lifecycle.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Answer a data-subject request: the identifier is read from standard input.
    #[command(subcommand)]
    Subject(SubjectCommand),
    /// Check storage against the ledger and the audit chain (after a backup restore, or
    /// daily): exit 1 naming each difference.
    Verify(VerifyArgs),
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Crypto-shredding: delete every file of the tenant (storage, quarantine, archive, drop
    /// folders), write a final audit record, forget it in the ledger and destroy every key of
    /// its ring; prints a deletion report and keeps the audit chain beside it.
    Offboard {
        /// The daemon's configuration file (it must still name the tenant).
        #[arg(long, short = 'c', default_value = "importd.toml")]
        config: PathBuf,
        /// The tenant to offboard.
        #[arg(long, short = 't')]
        tenant: String,
        /// The tenant's name again: offboarding cannot be undone.
        #[arg(long)]
        confirm: Option<String>,
        /// Where to write report.json and the audit chain (default ./offboard-<tenant>/).
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubjectCommand {
    /// List the outputs (and raw copies) that hold the subject, with row counts.
    Find(SubjectArgs),
    /// Write the subject's stored rows as JSON Lines (an access request).
    Export(SubjectArgs),
    /// Rewrite every affected output without the subject's rows and delete matching raw
    /// copies; recorded in ledger and audit with counts only.
    Erase(SubjectArgs),
}

/// The identifier is read from standard input (one line), never from the command line.
#[derive(Debug, Args)]
pub struct SubjectArgs {
    /// The daemon's configuration file.
    #[arg(long, short = 'c', default_value = "importd.toml")]
    pub config: PathBuf,
    /// The tenant whose data is searched.
    #[arg(long, short = 't')]
    pub tenant: String,
    /// The column (as the input had it) the identifier belongs to, e.g. `email`.
    #[arg(long)]
    pub column: String,
    /// Only this dataset (default: every dataset of the tenant).
    #[arg(long, short = 'd')]
    pub dataset: Option<String>,
    /// erase: say what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// erase: also remove rows matched only through a many-to-one column (fake, noise,
    /// shift_date): they may belong to others.
    #[arg(long)]
    pub include_ambiguous: bool,
    /// export: write the rows to this new file (mode 0600) instead of standard output.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The daemon's configuration file.
    #[arg(long, short = 'c', default_value = "importd.toml")]
    pub config: PathBuf,
    /// Check only this tenant (every configured tenant otherwise).
    #[arg(long, short = 't')]
    pub tenant: Option<String>,
    /// Print one JSON report on stdout instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Also write the result as a Prometheus text file (node_exporter's textfile collector),
    /// replaced atomically.
    #[arg(long)]
    pub metrics_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The daemon's configuration file.
    #[arg(long, short = 'c', default_value = "importd.toml")]
    pub config: PathBuf,
    /// Process what is in the drop folders now, then exit (non-zero if any file was quarantined).
    #[arg(long)]
    pub once: bool,
    /// Log format (overrides `log_format` in the configuration).
    #[arg(long, value_enum)]
    pub log_format: Option<crate::daemon::config::LogFormat>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check a tenant's audit chain; names the first broken record.
    Verify {
        /// The daemon's configuration file.
        #[arg(long, short = 'c', default_value = "importd.toml")]
        config: PathBuf,
        /// The tenant whose log to check.
        #[arg(long, short = 't')]
        tenant: String,
    },
}

#[derive(Debug, Args)]
pub struct RevealArgs {
    /// The tenant's key file, or its key ring folder (`key_dir`).
    #[arg(long, short = 'k')]
    pub key_file: PathBuf,
    /// With a key ring: the key the value was encrypted under (an output's `importd.key_id`).
    /// Needed when the ring holds more than one key.
    #[arg(long)]
    pub key_id: Option<String>,
    /// The rule file that encrypted the column.
    #[arg(long, short = 'r')]
    pub rules: PathBuf,
    /// The column the value came from.
    #[arg(long, short = 'c')]
    pub column: String,
    /// The encrypted value.
    pub value: String,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the demo.
    #[arg(long, default_value = "importd-demo")]
    pub dir: PathBuf,
    /// Rows of generated customer data.
    #[arg(long, default_value_t = 5000)]
    pub rows: u64,
}

#[derive(Debug, Args)]
pub struct AnonymizeArgs {
    /// The rule file.
    #[arg(long, short = 'r')]
    pub rules: PathBuf,
    /// The tenant's key file (64 hex digits, mode 0600 or 0400).
    #[arg(long, short = 'k')]
    pub key_file: PathBuf,
    /// The input file, or `-` for standard input.
    pub input: PathBuf,
    /// The output file; its extension picks the format (.parquet, .csv, .jsonl or .arrow).
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    /// Input format (otherwise from the rule file, the extension, or the content).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Parquet output: rows per row group.
    #[arg(long, default_value_t = 128 * 1024)]
    pub row_group_rows: usize,
    /// Parquet output: page compression.
    #[arg(long, value_enum, default_value_t = CompressionArg::Zstd)]
    pub compression: CompressionArg,
    /// Parquet output: zstd level (1–22).
    #[arg(long, default_value_t = 1)]
    pub zstd_level: i32,
    /// Parquet output: only PLAIN and dictionary encodings, in data pages v1, for readers older
    /// than Spark 3.4.
    #[arg(long)]
    pub legacy_encodings: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Rows per batch.
    #[arg(long, default_value_t = 8192)]
    pub batch_size: usize,
    /// Transform threads (0 = number of cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Memory for batches in flight, in MiB (each is counted three times its bytes: as read,
    /// decoded, transformed); a row wider than a third of it cannot be read.
    #[arg(long, default_value_t = 128)]
    pub max_memory_mb: u64,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Limits on the input (defaults as in the daemon's `[limits]`).
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Longest line (CSV record, JSON line) in bytes.
    #[arg(long)]
    pub max_line_bytes: Option<usize>,
    /// Longest CSV field in bytes.
    #[arg(long)]
    pub max_field_bytes: Option<usize>,
    #[arg(long)]
    pub max_columns: Option<usize>,
    #[arg(long)]
    pub max_rows: Option<u64>,
    /// Bytes a compressed input may expand to.
    #[arg(long)]
    pub max_decompressed_bytes: Option<u64>,
    /// Decompressed ÷ compressed beyond this is refused as a bomb.
    #[arg(long)]
    pub max_compression_ratio: Option<u64>,
}

impl LimitArgs {
    pub fn apply(&self, so: &mut anonymizer_core::io::SourceOptions) {
        so.max_line_bytes = self.max_line_bytes.unwrap_or(so.max_line_bytes);
        so.max_field_bytes = self.max_field_bytes.unwrap_or(so.max_field_bytes);
        so.max_columns = self.max_columns.unwrap_or(so.max_columns);
        so.max_rows = self.max_rows.unwrap_or(so.max_rows);
        so.max_decompressed_bytes = self.max_decompressed_bytes.unwrap_or(so.max_decompressed_bytes);
        so.max_ratio = self.max_compression_ratio.unwrap_or(so.max_ratio);
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Tsv,
    Jsonl,
    Parquet,
}

impl From<FormatArg> for anonymizer_core::rule::InputFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Csv => Self::Csv,
            FormatArg::Tsv => Self::Tsv,
            FormatArg::Jsonl => Self::Jsonl,
            FormatArg::Parquet => Self::Parquet,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    Zstd,
    Snappy,
    None,
}

impl AnonymizeArgs {
    pub fn parquet_options(&self) -> anonymizer_core::io::ParquetOptions {
        use anonymizer_core::io::ParquetCodec;
        anonymizer_core::io::ParquetOptions {
            codec: match self.compression {
                CompressionArg::Zstd => ParquetCodec::Zstd(self.zstd_level),
                CompressionArg::Snappy => ParquetCodec::Snappy,
                CompressionArg::None => ParquetCodec::Uncompressed,
            },
            row_group_rows: self.row_group_rows,
            legacy_encodings: self.legacy_encodings,
            metadata: Vec::new(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate rule files and run their [[examples]]; exit 0 only if all pass.
    Check {
        /// Rule files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show what the rules do to the first rows of INPUT: before and after, column by column.
    Preview(PreviewArgs),
    /// Print the JSON Schema of rule files (for editor completion and validation).
    Schema,
    /// Draft a rule file from a sample of INPUT: one commented rule per column.
    Suggest {
        /// A CSV or TSV file (the delimiter is sniffed from the header line).
        input: PathBuf,
        /// Rows to sample.
        #[arg(long, default_value_t = 1000)]
        rows: usize,
    },
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The rule file.
    pub rules: PathBuf,
    /// A sample input in any supported format.
    pub input: PathBuf,
    /// Rows to show.
    #[arg(short = 'n', long, default_value_t = 10)]
    pub rows: usize,
    /// The tenant's key, for the real tokens (a throwaway key otherwise).
    #[arg(long, short = 'k')]
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a fresh 32-byte master key (hex, mode 0600); refuses to overwrite.
    New {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Start a key ring folder (for `key_dir`): one active key, fresh or taken from a key file.
    Ring {
        /// The folder to create.
        #[arg(long)]
        dir: PathBuf,
        /// A tenant's existing key file, to keep using it as the ring's first key.
        #[arg(long)]
        from: Option<PathBuf>,
    },
    /// Add a new active key to a tenant's ring; the previous one is retired (kept for
    /// `reveal`, `subject` and audit verification, never used to write again).
    Rotate {
        /// The daemon's configuration file.
        #[arg(long, short = 'c', default_value = "importd.toml")]
        config: PathBuf,
        /// The tenant whose key to rotate.
        #[arg(long, short = 't')]
        tenant: String,
    },
    /// List a tenant's keys: id, created, active or retired.
    List {
        /// The daemon's configuration file.
        #[arg(long, short = 'c', default_value = "importd.toml")]
        config: PathBuf,
        /// The tenant whose keys to list.
        #[arg(long, short = 't')]
        tenant: String,
    },
}
