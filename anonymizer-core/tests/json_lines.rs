//! Nothing read from a JSON Lines file is silently lost (spec guarantee 6): a key first seen
//! late in the file (line 5,001, far past any sample) is a column like the others, so
//! `unlisted` keeps it, drops it or fails the import; from a plain or compressed file (read
//! twice) and from gzip on stdin (spooled). And `[input]` applies as for CSV: the BOM,
//! `encoding`, `null_values`, `trim_headers`. Real bytes through `open_source` and
//! `RulePlan::new`, as the daemon and the CLI do.

use std::io::Write;
use std::sync::Arc;

use anonymizer_core::error::InputProblem;
use anonymizer_core::io::{open_source, Input, Source, SourceOptions};
use anonymizer_core::{parse_rules, Error, ErrorKind, MasterKey, RulePlan};
use arrow_array::{Array, RecordBatch, StringArray};

/// The line the late key first appears on.
const LATE: usize = 5_001;

/// `LATE + 99` lines of `{"id", "email"}`; line `LATE` also holds `late_key` = `late_value`
/// (a JSON value, written as it is).
fn late_key(late_key: &str, late_value: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in 1..LATE + 100 {
        write!(out, r#"{{"id":"C{line}","email":"u{line}@example.com""#).unwrap();
        if line == LATE {
            write!(out, r#","{late_key}":{late_value}"#).unwrap();
        }
        out.extend_from_slice(b"}\n");
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    w.start_file(name, opts).unwrap();
    w.write_all(bytes).unwrap();
    w.finish().unwrap().into_inner()
}

fn file(bytes: &[u8]) -> std::fs::File {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(bytes).unwrap();
    std::io::Seek::rewind(&mut f).unwrap();
    f
}

fn stdin(bytes: Vec<u8>) -> Input {
    Input::Stream(Box::new(std::io::Cursor::new(bytes)))
}

/// `text` as every input the reader must read twice or spool: a plain, gzip, zstd and
/// zipped file, and gzip on stdin (named `-`, as the CLI names it).
fn every_input(text: &[u8]) -> Vec<(&'static str, Input)> {
    vec![
        ("in.jsonl", Input::File(file(text))),
        ("in.jsonl.gz", Input::File(file(&gzip(text)))),
        ("in.jsonl.zst", Input::File(file(&zstd::encode_all(text, 3).unwrap()))),
        ("in.zip", Input::File(file(&zip_of("data.jsonl", text)))),
        ("-", stdin(gzip(text))),
    ]
}

/// Batches of 1,000 rows, so the late key arrives five batches in.
fn options() -> SourceOptions {
    SourceOptions { batch_size: 1000, ..SourceOptions::default() }
}

/// Opens `input` under `rules` (a `[input] format = "jsonl"` section is added unless the
/// rules have one) and binds the plan.
fn bind(rules: &str, name: &str, input: Input, so: &SourceOptions) -> Result<(RulePlan, Source), Error> {
    let input_section = if rules.contains("[input]") { "" } else { "[input]\nformat = \"jsonl\"\n" };
    let rules = parse_rules(&format!("version = 1\n{rules}\n{input_section}"), "r.toml").unwrap();
    let source = open_source(input, name, &rules.input, so)?;
    let rules = rules.with_file_types(&source.types);
    let plan = RulePlan::new(Arc::new(rules), &MasterKey::test_key().key_set(), &source.header)?;
    Ok((plan, source))
}

/// Every anonymized row of `input`, as one batch.
fn anonymize(rules: &str, name: &str, input: Input) -> Result<RecordBatch, Error> {
    let (plan, mut source) = bind(rules, name, input, &options())?;
    let mut out = Vec::new();
    while let Some(b) = source.reader.next_batch()? {
        out.push(plan.apply(&b.decode()?)?.batch);
    }
    Ok(arrow_select::concat::concat_batches(plan.output_schema(), &out).unwrap())
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> &'a StringArray {
    let i = batch.schema().index_of(name).unwrap_or_else(|_| panic!("no column {name}"));
    batch.column(i).as_any().downcast_ref::<StringArray>().unwrap()
}

fn assert_only_late_row_holds(batch: &RecordBatch, name: &str, value: &str) {
    let col = column(batch, name);
    assert_eq!(col.len(), LATE + 99);
    assert_eq!(col.value(LATE - 1), value);
    assert_eq!(col.null_count(), LATE + 98, "{name} holds a value on line {LATE} only");
}

const LISTED: &str = "[columns]\nid = \"keep\"\nemail = { action = \"pseudonymize\", prefix = \"u_\" }\n";

#[test]
fn a_late_key_is_kept_under_unlisted_keep() {
    for (name, input) in every_input(&late_key("tax_id", "\"12345678901\"")) {
        let out =
            anonymize(&format!("unlisted = \"keep\"\n{LISTED}"), name, input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let names: Vec<_> = out.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["id", "email", "tax_id"], "{name}");
        assert_only_late_row_holds(&out, "tax_id", "12345678901");
    }
}

#[test]
fn a_late_key_is_dropped_under_unlisted_drop() {
    for (name, input) in every_input(&late_key("tax_id", "\"12345678901\"")) {
        let (plan, source) = bind(&format!("unlisted = \"drop\"\n{LISTED}"), name, input, &options()).unwrap();
        assert_eq!(source.header, ["id", "email", "tax_id"], "{name}: the reader sees it");
        let out: Vec<_> = plan.output_schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(out, ["id", "email"], "{name}: the plan drops it");
    }
}

#[test]
fn a_late_key_fails_the_import_under_unlisted_reject() {
    for (name, input) in every_input(&late_key("tax_id", "\"12345678901\"")) {
        let Err(e) = anonymize(&format!("unlisted = \"reject\"\n{LISTED}"), name, input) else {
            panic!("{name}: the late key passed a reject")
        };
        assert!(e.to_string().contains("no rule names column `tax_id`"), "{name}: {e}");
    }
}

#[test]
fn a_late_key_that_looks_like_data_is_named_only_by_position() {
    const CANARY: &str = "anna.meier@example.com";
    let text = late_key(CANARY, "\"x\"");
    let no_canary = |e: &Error| {
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains(CANARY) && !shown.contains("anna"), "leaked: {shown}");
        }
    };
    for (name, input) in every_input(&text) {
        // With header = false, the reject names it by its position.
        let rules = format!("unlisted = \"reject\"\n{LISTED}[input]\nformat = \"jsonl\"\nheader = false\n");
        let Err(e) = anonymize(&rules, name, input) else { panic!("{name}: bound") };
        no_canary(&e);
        assert!(e.to_string().contains("no rule names column `column 3`"), "{name}: {e}");
    }
    // With header = true, such a key makes the header look like data: refused as well.
    let Err(e) = anonymize(&format!("unlisted = \"reject\"\n{LISTED}"), "in.jsonl", Input::File(file(&text))) else {
        panic!("bound")
    };
    no_canary(&e);
    assert!(matches!(e.kind(), ErrorKind::HeaderLooksLikeData { .. }), "{e:?}");
}

#[test]
fn a_late_nested_key_is_a_column_beside_its_siblings() {
    let mut text = Vec::new();
    for line in 1..LATE + 100 {
        let city = if line == LATE { r#","city":"München""# } else { "" };
        writeln!(text, r#"{{"id":"C{line}","address":{{"zip":"{:05}"{city}}},"email":null}}"#, line * 7).unwrap();
    }
    for (name, input) in [("in.jsonl", Input::File(file(&text))), ("-", stdin(gzip(&text)))] {
        let out = anonymize("unlisted = \"keep\"\n", name, input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let names: Vec<_> = out.schema().fields().iter().map(|f| f.name().clone()).collect();
        assert_eq!(names, ["id", "address.zip", "address.city", "email"], "{name}");
        assert_only_late_row_holds(&out, "address.city", "München");
    }
}

/// The header and first batch of `text` read under `[input]` lines `input`.
fn read(input: &str, name: &str, bytes: Vec<u8>) -> Result<(Vec<String>, RecordBatch), Error> {
    let rules = parse_rules(&format!("version = 1\nunlisted = \"keep\"\n[input]\n{input}\n"), "r.toml").unwrap();
    let mut source = open_source(Input::File(file(&bytes)), name, &rules.input, &SourceOptions::default())?;
    let batch = source.reader.next_batch()?.expect("a batch").decode()?;
    Ok((source.header, batch))
}

#[test]
fn a_utf8_bom_is_skipped_also_when_the_format_is_sniffed() {
    let text = b"\xEF\xBB\xBF{\"id\":\"1\",\"name\":\"x\"}\n{\"id\":\"2\"}\n".to_vec();
    for name in ["in.jsonl", "no-extension"] {
        let (header, batch) = read("", name, text.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(header, ["id", "name"], "{name}");
        assert_eq!(batch.num_rows(), 2);
    }
    // The BOM is skipped on stdin too.
    let rules = parse_rules("version = 1\n[input]\nformat = \"jsonl\"\n", "r.toml").unwrap();
    let source = open_source(stdin(text), "-", &rules.input, &SourceOptions::default()).unwrap();
    assert_eq!(source.header, ["id", "name"]);
}

#[test]
fn windows_1252_and_latin_1_keys_and_values_are_decoded() {
    let text = "{\"Straße\":\"Müller €\",\"id\":\"1\"}\n";
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    for input in ["encoding = \"windows-1252\"", ""] {
        let (header, batch) = read(input, "in.jsonl", cp1252.to_vec()).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(header, ["Straße", "id"], "{input:?}");
        assert_eq!(column(&batch, "Straße").value(0), "Müller €", "{input:?}");
    }
    // Latin-1: 0x80 is U+0080, not €.
    let (header, batch) = read("encoding = \"latin-1\"", "in.jsonl", cp1252.to_vec()).unwrap();
    assert_eq!(header, ["Straße", "id"]);
    assert_eq!(column(&batch, "Straße").value(0), "Müller \u{80}");
}

#[test]
fn null_values_make_equal_strings_null_and_empty_strings_by_default() {
    let text =
        b"{\"a\":\"\",\"b\":\"n/a\",\"c\":null,\"d\":\"x\"}\n{\"a\":\"NULL\",\"b\":\"y\",\"c\":\"\",\"d\":\"x\"}\n";
    let nulls = |batch: &RecordBatch| -> Vec<Vec<bool>> {
        ["a", "b", "c", "d"].iter().map(|c| (0..2).map(|r| column(batch, c).is_null(r)).collect()).collect()
    };
    let (_, batch) = read("", "in.jsonl", text.to_vec()).unwrap();
    assert_eq!(nulls(&batch), [[true, false], [false, false], [true, true], [false, false]]);
    let (_, batch) = read("null_values = [\"n/a\", \"NULL\"]", "in.jsonl", text.to_vec()).unwrap();
    assert_eq!(nulls(&batch), [[false, true], [true, false], [true, false], [false, false]]);
    let (_, batch) = read("null_values = []", "in.jsonl", text.to_vec()).unwrap();
    assert_eq!(column(&batch, "a").value(0), "");
}

#[test]
fn trim_headers_trims_every_key_unless_turned_off() {
    let text = b"{\" name \":\"x\",\" a \":{\" b \":\"y\"}}\n".to_vec();
    let (header, batch) = read("", "in.jsonl", text.clone()).unwrap();
    assert_eq!(header, ["name", "a.b"]);
    assert_eq!(column(&batch, "a.b").value(0), "y");
    let (header, _) = read("trim_headers = false", "in.jsonl", text).unwrap();
    assert_eq!(header, [" name ", " a . b "]);
}

#[test]
fn keys_that_collide_once_trimmed_or_flattened_are_refused_as_duplicates() {
    for text in [&b"{\"name\":\"x\"}\n{\" name\":\"y\"}\n"[..], b"{\"a.b\":\"x\",\"a\":{\"b\":\"y\"}}\n"] {
        let e = read("", "in.jsonl", text.to_vec()).unwrap_err();
        assert!(
            matches!(
                e.kind(),
                ErrorKind::Input { problem: InputProblem::DuplicateColumn { first: 1, second: 2, .. }, .. }
            ),
            "{e:?}"
        );
    }
}

#[test]
fn a_key_holding_an_object_on_one_line_and_a_value_on_another_is_refused_with_the_line() {
    let text = b"{\"id\":\"1\",\"address\":{\"zip\":\"1\"}}\n\n{\"address\":\"Hauptstr. 1\"}\n".to_vec();
    let e = read("", "in.jsonl", text).unwrap_err().to_string();
    assert!(
        e.contains("line 3: key `address` holds a plain value on one line and a nested object") && !e.contains("Haupt"),
        "{e}"
    );
}

#[test]
fn batches_end_at_the_byte_budget_and_carry_their_raw_size() {
    let text = late_key("tax_id", "\"12345678901\"");
    let so = SourceOptions { batch_size: 100_000, batch_bytes: 64 << 10, ..SourceOptions::default() };
    let rules = parse_rules("version = 1\n", "r.toml").unwrap();
    let mut source = open_source(Input::File(file(&text)), "in.jsonl", &rules.input, &so).unwrap();
    let (mut batches, mut bytes, mut rows) = (0, 0, 0);
    while let Some(b) = source.reader.next_batch().unwrap() {
        assert!(b.bytes() < (64 << 10) + 100, "{} bytes", b.bytes());
        batches += 1;
        bytes += b.bytes();
        rows += b.decode().unwrap().num_rows();
    }
    assert_eq!((bytes, rows), (text.len() as u64, LATE + 99));
    assert!(batches > 3, "{batches} batches");
}

#[test]
fn numbers_and_booleans_are_read_as_their_text_even_beyond_a_float() {
    let (header, batch) =
        read("", "in.jsonl", b"{\"n\":1e400,\"b\":true,\"i\":12345678901234567890123}\n".to_vec()).unwrap();
    assert_eq!(header, ["n", "b", "i"]);
    assert_eq!(column(&batch, "n").value(0), "1e400");
    assert_eq!(column(&batch, "b").value(0), "true");
    assert_eq!(column(&batch, "i").value(0), "12345678901234567890123");
}

#[test]
fn a_key_twice_in_one_object_fails_instead_of_losing_a_value() {
    for text in [
        "{\"a\":\"1\",\"b\":\"2\"}\n{\"a\":\"VALUE_ONE\",\"a\":\"VALUE_TWO\"}\n",
        "{\"a\":{\"b\":\"1\"}}\n{\"a\":{\"b\":\"VALUE_ONE\",\"c\":\"2\",\"b\":\"VALUE_TWO\"}}\n",
    ] {
        let err = read("format = \"jsonl\"", "d.jsonl", text.as_bytes().to_vec()).unwrap_err();
        assert!(err.to_string().contains("line 2: key") && err.to_string().contains("appears twice"), "{err}");
        assert!(!err.to_string().contains("VALUE"), "a value leaked: {err}");
    }
}

#[test]
fn keys_longer_together_than_a_line_are_refused_like_an_overlong_header() {
    // 300 distinct keys of 100 bytes: 30,000 bytes of header against a 16 KiB line limit.
    let text: String = (0..300).map(|i| format!("{{\"{i:0>100}\":\"v\"}}\n")).collect();
    let rules = parse_rules("version = 1\nunlisted = \"keep\"\n[input]\nformat = \"jsonl\"\n", "r.toml").unwrap();
    let so = SourceOptions { max_line_bytes: 16 << 10, ..SourceOptions::default() };
    let err = open_source(Input::File(file(text.as_bytes())), "k.jsonl", &rules.input, &so).unwrap_err();
    assert!(err.to_string().contains("keys together are longer than the limit of 16384 bytes"), "{err}");
}

#[test]
fn rows_of_many_keys_make_smaller_batches() {
    // 2,000 keys, each on a line of its own: every row costs every column, so a batch of
    // 8 MiB holds about 8 MiB / (2,000 × 16) rows, not 8,192.
    let text: String = (0..5000).map(|i| format!("{{\"k{}\":\"v\"}}\n", i % 2000)).collect();
    let rules = parse_rules("version = 1\nunlisted = \"keep\"\n[input]\nformat = \"jsonl\"\n", "r.toml").unwrap();
    let mut source =
        open_source(Input::File(file(text.as_bytes())), "k.jsonl", &rules.input, &SourceOptions::default()).unwrap();
    let mut sizes = Vec::new();
    while let Some(b) = source.reader.next_batch().unwrap() {
        sizes.push(b.rows_hint());
        assert!(b.bytes() >= (b.rows_hint() * 2000) as u64, "charged {} for {} rows", b.bytes(), b.rows_hint());
    }
    assert_eq!(sizes.iter().sum::<usize>(), 5000);
    assert!(sizes.iter().all(|&n| n <= (8 << 20) / (2000 * 16)), "{sizes:?}");
}
