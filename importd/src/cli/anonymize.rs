//! `importd anonymize`: one file through one rule file, no daemon. The output appears
//! atomically or not at all.

use std::fs::File;
use std::io::{BufWriter, IsTerminal};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anonymizer_core::io::{open_source, Input, OutputFormat, ParquetOptions, SourceOptions};
use anonymizer_core::{run, RulePlan, RunOptions, RunReport};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::args::{AnonymizeArgs, FormatArg};
use crate::daemon::publish::{Staged, SYNC_EVERY};
use crate::exit::Failure;

/// What one anonymization needs.
#[derive(Debug)]
pub struct Job<'a> {
    pub rules: &'a Path,
    pub key_file: &'a Path,
    pub input: &'a Path,
    pub output: &'a Path,
    pub format: Option<FormatArg>,
    pub threads: usize,
    /// Bytes of batches in flight (`--max-memory-mb`).
    pub memory_bytes: u64,
    pub progress: bool,
    pub parquet: ParquetOptions,
    pub source: SourceOptions,
}

pub fn command(args: &AnonymizeArgs) -> Result<(), Failure> {
    let job = Job {
        rules: &args.rules,
        key_file: &args.key_file,
        input: &args.input,
        output: &args.output,
        format: args.format,
        threads: args.threads,
        memory_bytes: args.max_memory_mb.max(1) << 20,
        progress: !args.quiet && std::io::stderr().is_terminal(),
        parquet: args.parquet_options(),
        source: {
            let mut so = SourceOptions { batch_size: args.batch_size.max(1), ..SourceOptions::default() };
            args.limits.apply(&mut so);
            so
        },
    };
    let report = anonymize(&job)?;
    if !args.quiet {
        eprint!("{}", summary(&report, &args.input, &args.output));
    }
    Ok(())
}

/// Runs one job; on any failure nothing is left at the output path.
pub fn anonymize(job: &Job<'_>) -> Result<RunReport, Failure> {
    let rules = crate::exit::rules(job.rules)?;
    let key = crate::exit::key(job.key_file)?;
    let out_format = OutputFormat::from_extension(job.output).ok_or_else(|| {
        Failure::usage(format!(
            "error: {}: unknown output format; use a .parquet, .csv, .jsonl or .arrow extension",
            job.output.display()
        ))
    })?;
    let is_stdin = job.input.as_os_str() == "-";
    let mut input_opts = rules.input.clone();
    if let Some(f) = job.format {
        input_opts.format = f.into();
    }
    let (input, size) = if is_stdin {
        (Input::Stream(Box::new(std::io::stdin())), None)
    } else {
        let f = File::open(job.input).map_err(|e| {
            Failure::runtime(format!("error: {}: cannot open the input ({})", job.input.display(), e.kind()))
        })?;
        let size = f.metadata().ok().map(|m| m.len());
        (Input::File(f), size)
    };
    let input_err = |e: anonymizer_core::Error| Failure::runtime(format!("error: {}", e.with_input_path(job.input)));
    let name = job.input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let source = open_source(input, &name, &input_opts, &job.source).map_err(input_err)?;
    let keys = key.key_set();
    let rules = rules.with_file_types(&source.types);
    let plan = RulePlan::new(Arc::new(rules), &keys, &source.header)
        .map_err(|e| Failure::runtime(format!("error: {}: {e}", job.input.display())))?;
    let plan = Arc::new(plan);

    let staged = Staged::new(job.output).map_err(|e| {
        Failure::runtime(format!("error: {}: cannot create the output ({})", job.output.display(), e.kind()))
    })?;
    let file = staged
        .writer_behind(Some(SYNC_EVERY))
        .map_err(|e| Failure::runtime(format!("error: {}: {}", job.output.display(), e.kind())))?;
    // The Parquet writer buffers small writes itself and hands over its pages whole: a
    // buffer of ours would only copy every byte once more. The other formats write rows.
    let sink = match out_format {
        OutputFormat::Parquet => out_format.sink(file, plan.output_schema().clone(), &job.parquet),
        _ => out_format.sink(BufWriter::with_capacity(1 << 20, file), plan.output_schema().clone(), &job.parquet),
    }
    .map_err(|e| Failure::runtime(format!("error: {e}")))?;
    let bar = job.progress.then(|| progress_bar(size));
    let opts = RunOptions {
        threads: job.threads,
        in_flight: 0,
        progress: bar.clone().map(|b| {
            Arc::new(move |_rows: u64, bytes: u64| b.set_position(bytes)) as Arc<dyn Fn(u64, u64) + Send + Sync>
        }),
        pool: None,
        memory: Some(Arc::new(anonymizer_core::pipeline::MemoryBudget::new(job.memory_bytes))),
    };
    let result = run(plan, source.reader, sink, &opts);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = result
        .map_err(|e| Failure::runtime(format!("error: {}; no output was written", e.with_input_path(job.input))))?;
    staged.commit().map_err(|e| {
        let what = if e.published {
            "the output was written, but its folder could not be fsynced: it may not survive a crash"
        } else {
            "no output was written"
        };
        Failure::runtime(format!(
            "error: {}: publishing the output failed ({}); {what}",
            job.output.display(),
            e.error.kind()
        ))
    })?;
    Ok(report)
}

fn progress_bar(size: Option<u64>) -> ProgressBar {
    let bar = match size {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The one-screen summary: counts, never values.
pub fn summary(r: &RunReport, input: &Path, output: &Path) -> String {
    let secs = r.elapsed.as_secs_f64().max(1e-9);
    let mut s = format!(
        "anonymized {} → {}\n  rows in       {:>12}\n  rows out      {:>12}\n  deleted       {:>12}   (by [[delete_rows]])\n",
        input.display(),
        output.display(),
        r.rows_in,
        r.rows_out,
        r.rows_deleted
    );
    if r.rows_dropped_invalid > 0 {
        s.push_str(&format!(
            "  dropped       {:>12}   (invalid cells, on_invalid = \"drop_row\")\n",
            r.rows_dropped_invalid
        ));
    }
    let invalid: Vec<_> = r.invalid_cells.iter().filter(|(_, n)| *n > 0).collect();
    if invalid.is_empty() {
        s.push_str("  invalid cells            0\n");
    } else {
        s.push_str(&format!("  invalid cells {:>12}\n", r.invalid_total()));
        for (col, n) in invalid {
            s.push_str(&format!("    {col:<24} {n:>8}\n"));
        }
    }
    if !r.findings.is_empty() {
        s.push_str(&format!("  redacted      {:>12}\n", r.findings.iter().map(|f| f.2).sum::<u64>()));
        for (col, det, n) in r.findings.iter().filter(|f| f.2 > 0) {
            s.push_str(&format!("    {:<24} {n:>8}\n", format!("{col} ({det})")));
        }
    }
    s.push_str(&format!(
        "  time          {:>10.2} s   ({:.1} MB/s, {:.0} rows/s)\n  key id        {}\n",
        secs,
        r.bytes_in as f64 / 1e6 / secs,
        r.rows_in as f64 / secs,
        r.key_id,
    ));
    // The author's own words (one line each, capped by the core), not data.
    if let Some(name) = &r.rules_name {
        s.push_str(&format!("  rules         {name}\n"));
    }
    if let Some(description) = &r.rules_description {
        s.push_str(&format!("  description   {description}\n"));
    }
    s.push_str(&format!("  rules sha256  {}\n", &r.rules_sha256[..16.min(r.rules_sha256.len())]));
    if let Some(v) = &r.fake_lists {
        s.push_str(&format!("  fake lists    {v}\n"));
    }
    s
}
