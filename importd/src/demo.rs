//! `importd demo`: a self-contained tour on generated data. Until the daemon lands it runs
//! the one-file path: sample CSV + rule file + key → anonymized Parquet, with a before/after
//! sample. The data is synthetic, so showing it is fine.

use std::fs::File;
use std::path::Path;

use anonymizer_core::io::{BatchSource, CsvOptions, CsvReader};
use anonymizer_core::rule::InputOptions;
use anonymizer_core::MasterKey;
use arrow_array::RecordBatch;
use arrow_cast::pretty::pretty_format_batches;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::anonymize::{anonymize, summary, Job};
use crate::cli::DemoArgs;
use crate::exit::Failure;

const RULES: &str = include_str!("../../rules/examples/crm-customers.toml");
const SAMPLE_ROWS: usize = 5;
const SHOWN: [&str; 8] = ["customer_id", "first_name", "email", "phone", "credit_card", "birth_date", "zip", "status"];

pub fn run(args: &DemoArgs) -> Result<(), Failure> {
    let dir = &args.dir;
    let io = |what: &str, e: std::io::Error| Failure::runtime(format!("error: {what}: {}", e.kind()));
    std::fs::create_dir_all(dir.join("out")).map_err(|e| io(&format!("creating {}", dir.display()), e))?;
    let input = dir.join("customers.csv");
    let rules = dir.join("customers.toml");
    let key = dir.join("demo.key");
    let output = dir.join("out").join("customers.parquet");

    let f = File::create(&input).map_err(|e| io(&format!("writing {}", input.display()), e))?;
    importd_bench::write_csv(std::io::BufWriter::new(f), args.rows, 42)
        .map_err(|e| io(&format!("writing {}", input.display()), e))?;
    std::fs::write(&rules, RULES).map_err(|e| io(&format!("writing {}", rules.display()), e))?;
    if !key.exists() {
        crate::keys::write_key(&MasterKey::generate().map_err(|e| Failure::runtime(format!("error: {e}")))?, &key)?;
    }

    println!("importd demo: {} generated customer rows in {}\n", args.rows, input.display());
    let job = Job {
        rules: &rules,
        key_file: &key,
        input: &input,
        output: &output,
        format: None,
        batch_size: 8192,
        threads: 0,
        progress: false,
    };
    let report = anonymize(&job)?;
    print!("{}", summary(&report, &input, &output));

    println!("\nbefore (first {SAMPLE_ROWS} rows of {}, some columns):", input.display());
    println!("{}", before_table(&input)?);
    println!("after ({}; the rule file {} dropped names, street and notes):", output.display(), rules.display());
    println!("{}", after_table(&output)?);
    println!(
        "\nTry it yourself:\n  importd rules check {r}\n  importd anonymize --rules {r} --key-file {k} {i} -o {o}",
        r = rules.display(),
        k = key.display(),
        i = input.display(),
        o = dir.join("out").join("customers.csv").display()
    );
    Ok(())
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
