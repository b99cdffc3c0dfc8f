//! `importd demo`: a self-contained tour of the daemon on generated data. It writes a
//! configuration with two tenants, their keys and rule files, drops generated customer files
//! (and one broken file) into their folders, runs `serve --once`, and prints where the
//! cleaned Parquet, the audit log and the quarantined file are, with a before/after sample.
//! The data is synthetic, so showing it is fine.

use std::fs::File;
use std::path::{Path, PathBuf};

use anonymizer_core::io::{BatchSource, CsvOptions, CsvReader};
use anonymizer_core::rule::InputOptions;
use anonymizer_core::MasterKey;
use arrow_array::RecordBatch;
use arrow_cast::pretty::pretty_format_batches;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::cli::args::{DemoArgs, ServeArgs};
use crate::exit::Failure;

const RULES: &str = include_str!("../../../rules/examples/crm-customers.toml");
const SAMPLE_ROWS: usize = 5;
const SHOWN: [&str; 8] = ["customer_id", "first_name", "email", "phone", "credit_card", "birth_date", "zip", "status"];
const TENANTS: [(&str, u64); 2] = [("acme", 42), ("globex", 7)];

pub fn run(args: &DemoArgs) -> Result<(), Failure> {
    let dir = &args.dir;
    let io = |what: &Path, e: std::io::Error| Failure::runtime(format!("error: {}: {}", what.display(), e.kind()));
    // A fresh run each time: the demo's own drop, storage and state folders start empty.
    for sub in ["drop", "storage", "state"] {
        let p = dir.join(sub);
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(|e| io(&p, e))?;
        }
    }
    let mut config = String::from(
        "# importd demo configuration; relative paths are relative to this file\n\
         drop_dir = \"drop\"\nstorage_dir = \"storage\"\nstate_dir = \"state\"\n\
         settle_ms = 200\nscan_interval_ms = 100\nmin_free_mb = 16\n",
    );
    for (tenant, seed) in TENANTS {
        let key = dir.join("keys").join(format!("{tenant}.key"));
        let rules = dir.join("rules").join(format!("{tenant}-customers.toml"));
        let sample = dir.join("samples").join(format!("{tenant}-customers.csv"));
        let drop = dir.join("drop").join(tenant).join("customers");
        for d in [key.parent(), rules.parent(), sample.parent(), Some(drop.as_path())].into_iter().flatten() {
            std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
        }
        if !key.exists() {
            let k = MasterKey::generate().map_err(|e| Failure::runtime(format!("error: {e}")))?;
            crate::cli::keys::write_key(&k, &key)?;
        }
        std::fs::write(&rules, RULES).map_err(|e| io(&rules, e))?;
        let f = File::create(&sample).map_err(|e| io(&sample, e))?;
        importd_bench::write_csv(std::io::BufWriter::new(f), args.rows, seed).map_err(|e| io(&sample, e))?;
        std::fs::copy(&sample, drop.join("customers.csv")).map_err(|e| io(&drop, e))?;
        config.push_str(&format!(
            "\n[tenants.{tenant}]\nkey_file = \"keys/{tenant}.key\"\n[tenants.{tenant}.datasets.customers]\nrules = \"rules/{tenant}-customers.toml\"\n"
        ));
    }
    // One broken upload: the sample's first rows, then a row with a field too many.
    let broken = dir.join("drop/globex/customers/broken.csv");
    let sample = std::fs::read_to_string(dir.join("samples/globex-customers.csv")).map_err(|e| io(&broken, e))?;
    let mut text: String = sample.lines().take(4).map(|l| format!("{l}\n")).collect();
    text.push_str(&format!("{},one field too many\n", sample.lines().nth(4).unwrap_or_default()));
    std::fs::write(&broken, text).map_err(|e| io(&broken, e))?;
    let config_path = dir.join("importd.toml");
    std::fs::write(&config_path, config).map_err(|e| io(&config_path, e))?;

    println!("importd demo: two tenants, {} generated customer rows each, one broken file\n", args.rows);
    println!("  configuration   {}", config_path.display());
    println!("  drop folders    {}/<tenant>/<dataset>/\n", dir.join("drop").display());
    println!("running `importd serve --config {} --once` (log below):\n", config_path.display());
    let serve = ServeArgs { config: config_path.clone(), once: true, log_format: None };
    match crate::cli::serve::command(&serve) {
        Ok(()) => {}
        Err(f) if f.code == 1 && f.message.contains("quarantined") => {} // the broken file, as planned
        Err(f) => return Err(f),
    }
    tour(dir, &config_path)
}

/// Prints where everything went, a before/after sample, the audit log and the quarantine.
fn tour(dir: &Path, config: &Path) -> Result<(), Failure> {
    println!();
    for (tenant, _) in TENANTS {
        for out in files_with(&dir.join("storage").join(tenant), "parquet") {
            println!("  {tenant:<8} cleaned Parquet  {}", out.display());
        }
    }
    let acme_out = files_with(&dir.join("storage/acme"), "parquet")
        .into_iter()
        .next()
        .ok_or_else(|| Failure::runtime("error: the demo import produced no output"))?;
    let sample = dir.join("samples/acme-customers.csv");
    println!("\nbefore (first {SAMPLE_ROWS} rows of {}, some columns):", sample.display());
    println!("{}", before_table(&sample)?);
    println!("after ({}; names, street and notes were dropped):", acme_out.display());
    println!("{}", after_table(&acme_out)?);

    let audit = dir.join("state/audit/acme.jsonl");
    println!("\naudit log of acme ({}), one HMAC-chained record per event:", audit.display());
    let text = std::fs::read_to_string(&audit)
        .map_err(|e| Failure::runtime(format!("error: {}: {}", audit.display(), e.kind())))?;
    for line in text.lines() {
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(line) {
            let get = |k: &str| m.get(k).map(|v| v.to_string().trim_matches('"').to_string()).unwrap_or_default();
            let rows = if m.contains_key("rows_in") {
                format!(" rows in {} out {}", get("rows_in"), get("rows_out"))
            } else {
                String::new()
            };
            println!("  #{:<3} {:<16} {}{rows}", get("seq"), get("event"), get("file"));
        }
    }
    for reason in files_with(&dir.join("state/quarantine"), "json") {
        println!("\nquarantined: {}", reason.parent().map(|p| p.display().to_string()).unwrap_or_default());
        println!("{}", std::fs::read_to_string(&reason).unwrap_or_default().trim_end());
    }
    println!(
        "\nTry it yourself:\n  importd audit verify --config {c} --tenant acme\n  importd serve --config {c}     # then drop files into {d}/acme/customers/",
        c = config.display(),
        d = dir.join("drop").display()
    );
    Ok(())
}

/// Files under `dir` (recursively) with the extension `ext`, sorted.
fn files_with(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_with(&p, ext));
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn before_table(input: &Path) -> Result<String, Failure> {
    let fail = |e: anonymizer_core::Error| Failure::runtime(format!("error: {}", e.with_input_path(input)));
    let file = File::open(input).map_err(|e| Failure::runtime(format!("error: {}: {}", input.display(), e.kind())))?;
    let mut opts = CsvOptions::new(&InputOptions::default());
    opts.batch_size = SAMPLE_ROWS;
    let mut reader = CsvReader::new(file, opts).map_err(fail)?;
    let batch = reader.next_batch().map_err(fail)?.ok_or_else(|| Failure::runtime("error: the sample has no rows"))?;
    table(batch.decode().map_err(fail)?)
}

fn after_table(output: &Path) -> Result<String, Failure> {
    let f = File::open(output).map_err(|e| Failure::runtime(format!("error: {}: {}", output.display(), e.kind())))?;
    let mut reader =
        ParquetRecordBatchReaderBuilder::try_new(f)
            .and_then(|b| b.with_batch_size(SAMPLE_ROWS).build())
            .map_err(|_| Failure::runtime(format!("error: {}: cannot read the output back", output.display())))?;
    let batch = reader
        .next()
        .transpose()
        .map_err(|_| Failure::runtime("error: reading the output failed"))?
        .ok_or_else(|| Failure::runtime("error: the output has no rows"))?;
    table(batch)
}

/// The demo's columns of a sample batch as a text table.
fn table(batch: RecordBatch) -> Result<String, Failure> {
    let shown: Vec<usize> = SHOWN.iter().filter_map(|c| batch.schema().index_of(c).ok()).collect();
    let batch = batch.project(&shown).map_err(|_| Failure::runtime("error: projecting the sample failed"))?;
    pretty_format_batches(&[batch])
        .map(|t| t.to_string())
        .map_err(|_| Failure::runtime("error: formatting the sample failed"))
}
