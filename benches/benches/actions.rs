//! Criterion benches of `plan.apply` per action on 16,384 generated rows, and of the CSV
//! reader (ours and arrow-csv's Decoder on the same bytes). Run: `cargo bench -p importd-bench --bench actions`.

use std::sync::Arc;

use anonymizer_core::io::{BatchSource, CsvOptions, CsvReader};
use anonymizer_core::rule::InputOptions;
use anonymizer_core::{parse_rules, MasterKey, RulePlan};
use arrow_array::RecordBatch;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const ROWS: u64 = 16_384;

fn sample() -> (Vec<u8>, RecordBatch, Vec<String>) {
    let mut csv = Vec::new();
    importd_bench::write_csv(&mut csv, ROWS, 3).unwrap();
    let mut opts = CsvOptions::new(&InputOptions::default());
    opts.batch_size = ROWS as usize;
    let mut r = CsvReader::new(std::io::Cursor::new(csv.clone()), opts).unwrap();
    let header = r.header();
    let batch = r.next_batch().unwrap().unwrap().decode().unwrap();
    (csv, batch, header)
}

fn actions(c: &mut Criterion) {
    let (csv, batch, header) = sample();
    let key = MasterKey::from_bytes([9; 32]).key_set();
    let cases: &[(&str, &str, &str)] = &[
        ("keep", "email", "\"keep\""),
        ("null", "email", "\"null\""),
        ("replace", "email", "{ action = \"replace\", value = \"x\" }"),
        ("pseudonymize", "email", "\"pseudonymize\""),
        ("mask", "credit_card", "{ action = \"mask\", keep_last = 4, preserve = \" \" }"),
        ("truncate", "zip", "{ action = \"truncate\", keep_first = 2 }"),
        ("generalize_year_text", "birth_date", "{ action = \"generalize\", to = \"year\" }"),
        ("generalize_step", "amount", "{ action = \"generalize\", step = 100 }"),
        ("shift_date", "birth_date", "{ action = \"shift_date\", max_days = 30, by = \"customer_id\" }"),
        ("noise", "amount", "{ action = \"noise\", relative = 0.05 }"),
    ];
    let mut g = c.benchmark_group("apply");
    g.throughput(Throughput::Elements(ROWS));
    for (name, column, rule) in cases {
        let rules = parse_rules(&format!("version = 1\n[columns]\n{column} = {rule}\n"), "bench.toml").unwrap();
        let plan = RulePlan::new(Arc::new(rules), &key, &header).unwrap();
        g.bench_function(*name, |b| b.iter(|| plan.apply(&batch).unwrap()));
    }
    let typed = parse_rules("version = 1\n[types]\nbirth_date = \"date\"\n[columns]\nbirth_date = { action = \"generalize\", to = \"year\" }\n", "b.toml").unwrap();
    let plan = RulePlan::new(Arc::new(typed), &key, &header).unwrap();
    g.bench_function("generalize_year_date_type", |b| b.iter(|| plan.apply(&batch).unwrap()));
    let filter = parse_rules(
        "version = 1\nunlisted = \"keep\"\n[[delete_rows]]\ncolumn = \"status\"\nequals = \"test\"\n",
        "b.toml",
    )
    .unwrap();
    let plan = RulePlan::new(Arc::new(filter), &key, &header).unwrap();
    g.bench_function("delete_rows_equals", |b| b.iter(|| plan.apply(&batch).unwrap()));
    g.finish();

    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Bytes(csv.len() as u64));
    g.bench_function("csv_decode", |b| {
        b.iter_batched(
            || csv.clone(),
            |bytes| {
                let mut r =
                    CsvReader::new(std::io::Cursor::new(bytes), CsvOptions::new(&InputOptions::default())).unwrap();
                while let Some(b) = r.next_batch().unwrap() {
                    b.decode().unwrap();
                }
            },
            BatchSize::LargeInput,
        )
    });
    // The alternative the design considered: arrow-csv's push Decoder building the same
    // all-text columns (it reports record numbers rather than lines and no byte offsets).
    let schema = Arc::new(arrow_schema::Schema::new(
        header.iter().map(|h| arrow_schema::Field::new(h, arrow_schema::DataType::Utf8, true)).collect::<Vec<_>>(),
    ));
    g.bench_function("arrow_csv_decoder", |b| {
        b.iter(|| {
            let mut decoder =
                arrow_csv::ReaderBuilder::new(schema.clone()).with_header(true).with_batch_size(8192).build_decoder();
            let mut buf = csv.as_slice();
            loop {
                let n = decoder.decode(buf).unwrap();
                buf = &buf[n..];
                if (n == 0 || decoder.capacity() == 0) && decoder.flush().unwrap().is_none() && buf.is_empty() {
                    break;
                }
            }
        })
    });
    g.finish();
}

/// One pseudonym alone (HMAC-SHA256 from precomputed states, base32), on the batch's emails:
/// what `apply/pseudonymize` costs beyond building the column.
fn token(c: &mut Criterion) {
    use anonymizer_core::key::INFO_PSEUDONYMIZE;
    use anonymizer_core::transform::pseudonymize::Pseudonymizer;
    use arrow_array::{Array, StringArray};
    let (_, batch, header) = sample();
    let email = header.iter().position(|h| h == "email").unwrap();
    let emails = batch.column(email).as_any().downcast_ref::<StringArray>().unwrap().clone();
    let key = MasterKey::from_bytes([9; 32]).derive(INFO_PSEUDONYMIZE);
    let p = Pseudonymizer::new(&key, "email", "", 20);
    let mut g = c.benchmark_group("pseudonym");
    g.throughput(Throughput::Elements(emails.len() as u64));
    g.bench_function("token_into", |b| {
        let mut out = String::with_capacity(32);
        b.iter(|| {
            let mut n = 0;
            for v in emails.iter().flatten() {
                out.clear();
                p.token_into(v.as_bytes(), &mut out);
                n += out.len();
            }
            n
        })
    });
    // Two at a time, as the pseudonym kernel calls it: the SHA unit's two lanes where the
    // CPU has them (IMPORTD_NO_SHA_NI=1 measures the one-after-the-other path).
    g.bench_function("token_pair_into", |b| {
        let mut out = String::with_capacity(64);
        let values: Vec<&str> = emails.iter().flatten().collect();
        b.iter(|| {
            let mut n = 0;
            for pair in values.chunks(2) {
                out.clear();
                match pair {
                    [a, b] => p.token_pair_into(a.as_bytes(), b.as_bytes(), &mut out),
                    [a] => p.token_into(a.as_bytes(), &mut out),
                    _ => {}
                }
                n += out.len();
            }
            n
        })
    });
    // Sixteen at a time, as the pseudonym kernel calls it: AVX-512 lanes where the CPU has
    // them (IMPORTD_NO_AVX512=1 measures the pairs).
    g.bench_function("tokens_into", |b| {
        let mut out = String::with_capacity(16 * 32);
        let values: Vec<&[u8]> = emails.iter().flatten().map(str::as_bytes).collect();
        b.iter(|| {
            let mut n = 0;
            for chunk in values.chunks(16) {
                out.clear();
                p.tokens_into(chunk, &mut out);
                n += out.len();
            }
            n
        })
    });
    g.finish();
}

/// The redaction scanner over free text: MB/s per core with every built-in detector
/// (`detect = ["all"]`), on PII-dense sentences (the project's corpus; the independent
/// Faker/stdnum corpus) and on clean ones.
fn scanner(c: &mut Criterion) {
    use anonymizer_core::detect::Scanner;
    use anonymizer_core::rule::BUILTIN_DETECTORS;
    let sentences = importd_bench::corpus::corpus(20_000, 5);
    let independent = importd_bench::labelled::load("faker/corpus.jsonl");
    let clean: Vec<String> = (0..20_000)
        .map(|i| format!("Kunde {i} hat angerufen, wünscht Rückruf am Nachmittag wegen der Lieferung."))
        .collect();
    // Every built-in detector, the `person` group's too. The first scan unpacks the name
    // lists: its time is printed once.
    let scanner = Scanner::builtin_only(BUILTIN_DETECTORS).unwrap();
    let t = std::time::Instant::now();
    scanner.scan("Frau Anna Meier", &mut Vec::new());
    eprintln!("scanner: first scan (name lists unpacked) {:?}", t.elapsed());
    let mut g = c.benchmark_group("scanner");
    for (name, texts) in [
        ("pii_sentences", sentences.iter().map(|s| s.text.clone()).collect::<Vec<_>>()),
        ("independent_sentences", independent.into_iter().map(|c| c.text).collect()),
        ("clean_sentences", clean),
    ] {
        let bytes: usize = texts.iter().map(String::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(name, |b| {
            let mut found = Vec::new();
            b.iter(|| {
                let mut n = 0;
                for t in &texts {
                    scanner.scan(t, &mut found);
                    n += found.len();
                }
                n
            })
        });
    }
    g.finish();
}

criterion_group!(benches, actions, token, scanner);
criterion_main!(benches);
