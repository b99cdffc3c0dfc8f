//! Every input format and compression gives the same anonymized rows as the CSV path:
//! the same generated table is written as CSV, TSV, JSON Lines (nested object), Parquet,
//! Arrow IPC file and stream, and gzip/zstd of the text formats, then run through one plan.

use std::io::Write;
use std::sync::Arc;

use anonymizer_core::io::{open_source, Input, SourceOptions};
use anonymizer_core::{parse_rules, MasterKey, RulePlan};
use arrow_array::{Array, ArrayRef, Date32Array, Float64Array, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType, Field, Fields, Schema};

const RULES: &str = r#"version = 1
[columns]
id = "keep"
email = { action = "pseudonymize", prefix = "u_" }
"address.zip" = { action = "truncate", keep_first = 2 }
amount = { action = "generalize", step = 10 }
born = { action = "generalize", to = "year" }
[types]
amount = "float"
born = "date"
"#;

const ROWS: usize = 1000;

fn row(i: usize) -> (String, Option<String>, String, f64, i32) {
    let email = (!i.is_multiple_of(7)).then(|| format!("user{i}@example.com"));
    (format!("C{i:04}"), email, format!("{:05}", (i * 7919) % 100_000), (i as f64) * 1.25, 3000 + (i as i32) * 3)
}

fn date_text(days: i32) -> String {
    (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(days as i64))
        .format("%Y-%m-%d")
        .to_string()
}

fn delimited(sep: char) -> Vec<u8> {
    let mut out = format!("id{sep}email{sep}address.zip{sep}amount{sep}born\n").into_bytes();
    for i in 0..ROWS {
        let (id, email, zip, amount, born) = row(i);
        writeln!(out, "{id}{sep}{}{sep}{zip}{sep}{amount}{sep}{}", email.unwrap_or_default(), date_text(born)).unwrap();
    }
    out
}

fn jsonl() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..ROWS {
        let (id, email, zip, amount, born) = row(i);
        let email = email.map_or("null".to_string(), |e| format!("\"{e}\""));
        writeln!(
            out,
            r#"{{"id":"{id}","email":{email},"address":{{"zip":"{zip}"}},"amount":{amount},"born":"{}"}}"#,
            date_text(born)
        )
        .unwrap();
    }
    out
}

fn typed_batch() -> RecordBatch {
    let rows: Vec<_> = (0..ROWS).map(row).collect();
    let zip: ArrayRef = Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2.clone())));
    let address = StructArray::new(Fields::from(vec![Field::new("zip", DataType::Utf8, true)]), vec![zip], None);
    let schema = Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("email", DataType::Utf8, true),
        Field::new("address", address.data_type().clone(), true),
        Field::new("amount", DataType::Float64, false),
        Field::new("born", DataType::Date32, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0.clone()))),
            Arc::new(StringArray::from(rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>())),
            Arc::new(address),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.3))),
            Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.4))),
        ],
    )
    .unwrap()
}

fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A zip archive of `(name, bytes)` entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn file(bytes: &[u8]) -> std::fs::File {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(bytes).unwrap();
    std::io::Seek::rewind(&mut f).unwrap();
    f
}

/// Opens, plans and applies; the anonymized rows as one batch.
fn anonymize(input: Input, name: &str) -> Result<RecordBatch, anonymizer_core::Error> {
    anonymize_with(input, name, &SourceOptions { batch_size: 300, ..Default::default() })
}

fn anonymize_with(input: Input, name: &str, so: &SourceOptions) -> Result<RecordBatch, anonymizer_core::Error> {
    let rules = parse_rules(RULES, "formats.toml").unwrap();
    let mut src = open_source(input, name, &rules.input, so)?;
    let rules = rules.with_file_types(&src.types);
    let plan = RulePlan::new(Arc::new(rules), &MasterKey::test_key().key_set(), &src.header)?;
    let mut out = Vec::new();
    while let Some(b) = src.reader.next_batch()? {
        out.push(plan.apply(&b.decode()?)?.batch);
    }
    Ok(arrow_select::concat::concat_batches(plan.output_schema(), &out).unwrap())
}

/// The CSV path's output, the reference every other format must equal.
fn expected() -> RecordBatch {
    let got = anonymize(Input::File(file(&delimited(','))), "in.csv").unwrap();
    assert_eq!(got.num_rows(), ROWS);
    assert_eq!(got.schema().field(3).data_type(), &DataType::Float64);
    got
}

fn same_as_csv(name: &str, input: Input) {
    let got = anonymize(input, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(got, expected(), "{name} differs from the CSV path");
}

fn parquet_bytes() -> Vec<u8> {
    let batch = typed_batch();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

#[test]
fn tsv_and_sniffed_delimiters() {
    same_as_csv("in.tsv", Input::File(file(&delimited('\t'))));
    same_as_csv("semicolons.txt", Input::File(file(&delimited(';'))));
    same_as_csv("pipes", Input::File(file(&delimited('|'))));
    same_as_csv("no-extension", Input::File(file(&delimited(','))));
    same_as_csv("stdin", Input::Stream(Box::new(std::io::Cursor::new(delimited(',')))));
}

#[test]
fn json_lines_with_a_nested_object() {
    same_as_csv("in.jsonl", Input::File(file(&jsonl())));
    same_as_csv("sniffed-json", Input::File(file(&jsonl())));
}

#[test]
fn parquet_keeps_its_types() {
    same_as_csv("in.parquet", Input::File(file(&parquet_bytes())));
    same_as_csv("sniffed-parquet", Input::File(file(&parquet_bytes())));
}

#[test]
fn arrow_ipc_file_and_stream() {
    let batch = typed_batch();
    let mut arrow_file = Vec::new();
    let mut w = arrow_ipc::writer::FileWriter::try_new(&mut arrow_file, &batch.schema()).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    drop(w);
    let mut arrow_stream = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut arrow_stream, &batch.schema()).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    drop(w);
    same_as_csv("in.arrow", Input::File(file(&arrow_file)));
    same_as_csv("in.arrows", Input::Stream(Box::new(std::io::Cursor::new(arrow_stream))));
}

#[test]
fn gzip() {
    same_as_csv("in.csv.gz", Input::File(file(&gzip_bytes(&delimited(',')))));
    same_as_csv("in.jsonl.gz", Input::Stream(Box::new(std::io::Cursor::new(gzip_bytes(&jsonl())))));
}

#[test]
fn zstd() {
    same_as_csv("in.csv.zst", Input::File(file(&zstd::encode_all(&delimited(',')[..], 3).unwrap())));
}

#[test]
fn zip_of_one_file() {
    same_as_csv("export.zip", Input::File(file(&zip_of(&[("kunden.csv", &delimited(','))]))));
    same_as_csv("export-json.zip", Input::File(file(&zip_of(&[("data.jsonl", &jsonl())]))));
}

#[test]
fn excel_windows_1252_semicolons_need_no_input_section() {
    let text = "Kunde;Straße;PLZ\r\nMüller;Hauptstraße 1;80331\r\nJürgen;Bäckerweg 2;10115\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let rules = parse_rules("version = 1\nunlisted = \"keep\"\n", "r.toml").unwrap();
    let mut src =
        open_source(Input::File(file(&bytes)), "export.csv", &rules.input, &SourceOptions::default()).unwrap();
    assert_eq!(src.header, ["Kunde", "Straße", "PLZ"]);
    let batch = src.reader.next_batch().unwrap().unwrap().decode().unwrap();
    let col = batch.column(1).as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(col.value(0), "Hauptstraße 1");
    assert_eq!(col.value(1), "Bäckerweg 2");
}

/// The first column of the first batch of `bytes` read under `rules`, and the quote in effect.
fn first_column(rules: &str, bytes: &[u8]) -> (Vec<String>, Option<u8>) {
    let rules = parse_rules(rules, "r.toml").unwrap();
    let mut src = open_source(Input::File(file(bytes)), "in.csv", &rules.input, &SourceOptions::default()).unwrap();
    let batch = src.reader.next_batch().unwrap().unwrap().decode().unwrap();
    let col = batch.column(1).as_any().downcast_ref::<StringArray>().unwrap();
    ((0..col.len()).map(|i| col.value(i).to_string()).collect(), src.input.quote)
}

// Single quotes around every field and no `"` anywhere: what sniffing reads as `'`-quoted.
const SINGLE_QUOTED: &[u8] = b"id,note\n1,'a'\n2,'b'\n";

#[test]
fn an_explicit_double_quote_is_not_overridden_by_sniffing() {
    let rules = "version = 1\nunlisted = \"keep\"\n[input]\nquote = '\"'\n";
    let (notes, quote) = first_column(rules, SINGLE_QUOTED);
    assert_eq!(quote, Some(b'"'));
    assert_eq!(notes, ["'a'", "'b'"], "the `'` are data under an explicit `\"`");
}

#[test]
fn an_absent_quote_is_sniffed() {
    let (notes, quote) = first_column("version = 1\nunlisted = \"keep\"\n", SINGLE_QUOTED);
    assert_eq!(quote, Some(b'\''));
    assert_eq!(notes, ["a", "b"]);
    let (notes, quote) = first_column("version = 1\nunlisted = \"keep\"\n", b"id,note\n1,\"a\"\n2,'b'\n");
    assert_eq!(quote, Some(b'"'));
    assert_eq!(notes, ["a", "'b'"]);
}

#[test]
fn decompression_bombs_and_damage_fail_clearly() {
    let mut repeated = b"id,email,address.zip,amount,born\n".to_vec();
    for _ in 0..200_000 {
        repeated.extend_from_slice(b"C0000,,00000,0,1970-01-01\n");
    }
    let zeros = gzip_bytes(&repeated);
    let tight = SourceOptions { max_ratio: 50, ratio_after: 1 << 20, ..Default::default() };
    let e = anonymize_with(Input::File(file(&zeros)), "bomb.csv.gz", &tight).unwrap_err().to_string();
    assert!(e.contains("expands more than 50 times"), "{e}");
    let small = SourceOptions { max_decompressed_bytes: 1 << 20, ..Default::default() };
    let e = anonymize_with(Input::File(file(&zeros)), "big.csv.gz", &small).unwrap_err().to_string();
    assert!(e.contains("more than 1048576 bytes"), "{e}");
    let e = anonymize_with(Input::File(file(&zip_of(&[("bomb.csv", &repeated)]))), "bomb.zip", &tight)
        .unwrap_err()
        .to_string();
    assert!(e.contains("expands more than 50 times"), "{e}");
    let two = zip_of(&[("a.csv", b"id\n1\n"), ("b.csv", b"id\n2\n")]);
    let e = anonymize(Input::File(file(&two)), "two.zip").unwrap_err().to_string();
    assert!(e.contains("more than one file"), "{e}");
    let csv = gzip_bytes(&delimited(','));
    let truncated = &csv[..csv.len() / 2];
    let e = anonymize(Input::File(file(truncated)), "cut.csv.gz").unwrap_err().to_string();
    assert!(e.contains("gzip stream (damaged or truncated)"), "{e}");
    let e = anonymize(Input::File(file(b"a,b\n1,2\n")), "plain.csv.gz").unwrap_err().to_string();
    assert!(e.contains("its name says so"), "{e}");
}

#[test]
fn broken_json_lines_and_parquet_are_named_without_values() {
    let mut j = jsonl();
    j.extend_from_slice(b"{\"id\":\"SECRET-VALUE\", broken\n");
    let e = anonymize(Input::File(file(&j)), "x.jsonl").unwrap_err().to_string();
    assert!(e.contains(&format!("line {}", ROWS + 1)) && !e.contains("SECRET"), "{e}");
    let e = anonymize(Input::File(file(b"{\"id\":[1,2]}\n")), "x.jsonl").unwrap_err().to_string();
    assert!(e.contains("column `id` holds lists"), "{e}");
    let mut lying = parquet_bytes();
    let n = lying.len();
    lying[n - 8..n - 4].copy_from_slice(&9_999_999u32.to_le_bytes()); // footer length lies
    let e = anonymize(Input::File(file(&lying)), "x.parquet").unwrap_err().to_string();
    assert!(e.contains("Parquet file"), "{e}");
}

#[test]
fn every_limit_stops_a_file_with_a_clear_error() {
    let limited = |f: fn(&mut SourceOptions)| {
        let mut so = SourceOptions { batch_size: 4, ..Default::default() };
        f(&mut so);
        so
    };
    let csv = delimited(',');
    let run = |bytes: &[u8], name: &str, so: &SourceOptions| {
        anonymize_with(Input::File(file(bytes)), name, so).unwrap_err().to_string()
    };

    let e = run(&csv, "in.csv", &limited(|s| s.max_line_bytes = 30));
    assert!(e.contains("line 3") && e.contains("longer than the limit of 30 bytes"), "{e}");
    let e = run(&jsonl(), "in.jsonl", &limited(|s| s.max_line_bytes = 60));
    assert!(e.contains("line 1") && e.contains("longer than the limit of 60 bytes"), "{e}");
    let e = run(&csv, "in.csv", &limited(|s| s.max_field_bytes = 12));
    assert!(e.contains("line 3, field 2: the field is longer than the limit of 12 bytes"), "{e}");
    let e = run(&csv, "in.csv", &limited(|s| s.max_columns = 4));
    assert!(e.contains("more than 4 columns"), "{e}");
    let e = run(&parquet_bytes(), "in.parquet", &limited(|s| s.max_columns = 4));
    assert!(e.contains("more than 4 columns"), "{e}");
    let e = run(&csv, "in.csv", &limited(|s| s.max_rows = 10));
    assert!(e.contains("more than 10 rows"), "{e}");
    let e = run(&parquet_bytes(), "in.parquet", &limited(|s| s.max_rows = 999));
    assert!(e.contains("more than 999 rows"), "{e}");
    // At the limit, everything passes.
    let so = limited(|s| {
        s.max_rows = ROWS as u64;
        s.max_columns = 5;
    });
    assert_eq!(anonymize_with(Input::File(file(&csv)), "in.csv", &so).unwrap().num_rows(), ROWS);
}
