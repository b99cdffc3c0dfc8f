//! Typed inputs stay typed (issue 13, item 4): Parquet and Arrow columns kept by the rules
//! come out as the very arrays that went in; actions that need text see each type's
//! canonical text; types the pipeline cannot read are refused naming the column; decoded
//! bytes count against the decompression limits; a cut Arrow file or stream is damaged,
//! never a shorter success.

use std::io::Write;
use std::sync::{Arc, Mutex};

use anonymizer_core::error::{ErrorKind, InputProblem};
use anonymizer_core::io::{open_source, BatchSink, Input, ParquetCodec, ParquetOptions, ParquetWriter, SourceOptions};
use anonymizer_core::{parse_rules, run, MasterKey, RulePlan, RunOptions};
use arrow_array::types::Int32Type;
use arrow_array::*;
use arrow_buffer::i256;
use arrow_schema::{DataType, Field, Schema};

fn file(bytes: &[u8]) -> std::fs::File {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(bytes).unwrap();
    std::io::Seek::rewind(&mut f).unwrap();
    f
}

/// Collects what `run` writes.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<RecordBatch>>>);

impl BatchSink for Collect {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), anonymizer_core::Error> {
        self.0.lock().unwrap().push(batch.clone());
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), anonymizer_core::Error> {
        Ok(())
    }
}

/// Batches of two rows, so every reader's batch boundaries are crossed.
fn small_batches() -> SourceOptions {
    SourceOptions { batch_size: 2, ..SourceOptions::default() }
}

/// Opens `input`, plans `rules` for it as the daemon does, runs it; the output as one batch.
fn anonymize(input: Input, name: &str, rules: &str, so: &SourceOptions) -> Result<RecordBatch, anonymizer_core::Error> {
    let rules = parse_rules(rules, "typed.toml").unwrap();
    let source = open_source(input, name, &rules.input, so)?;
    let rules = rules.with_file_types(&source.types);
    let plan = Arc::new(RulePlan::new(Arc::new(rules), &MasterKey::test_key().key_set(), &source.header)?);
    let sink = Collect::default();
    let opts = RunOptions { threads: 2, ..Default::default() };
    run(plan.clone(), source.reader, Box::new(sink.clone()), &opts)?;
    let batches = sink.0.lock().unwrap().clone();
    Ok(arrow_select::concat::concat_batches(plan.output_schema(), &batches).unwrap())
}

fn parquet_of(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let opts = ParquetOptions { row_group_rows: 2, ..Default::default() };
    let mut w = Box::new(ParquetWriter::new(&mut out, batch.schema(), &opts).unwrap());
    w.write(batch).unwrap();
    w.finish().unwrap();
    out
}

fn ipc_file_of(batches: &[RecordBatch]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = arrow_ipc::writer::FileWriter::try_new(&mut out, &batches[0].schema()).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.finish().unwrap();
    drop(w);
    out
}

fn ipc_stream_of(batches: &[RecordBatch]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &batches[0].schema()).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.finish().unwrap();
    drop(w);
    out
}

const NINES_76: &str = "9999999999999999999999999999999999999999999999999999999999999999999999999999";

/// One column per type the Parquet writer supports, three rows each, one of them null, and
/// each column's canonical texts written out by hand.
fn every_type() -> (RecordBatch, Vec<[Option<&'static str>; 3]>) {
    let nines = i256::from_string(NINES_76).unwrap();
    let columns: Vec<(&str, ArrayRef, [Option<&'static str>; 3])> = vec![
        ("i8", Arc::new(Int8Array::from(vec![Some(i8::MIN), None, Some(i8::MAX)])), [Some("-128"), None, Some("127")]),
        ("i16", Arc::new(Int16Array::from(vec![Some(-1), Some(i16::MAX), None])), [Some("-1"), Some("32767"), None]),
        (
            "i32",
            Arc::new(Int32Array::from(vec![None, Some(i32::MIN), Some(0)])),
            [None, Some("-2147483648"), Some("0")],
        ),
        (
            "i64",
            Arc::new(Int64Array::from(vec![Some(i64::MAX), None, Some(i64::MIN)])),
            [Some("9223372036854775807"), None, Some("-9223372036854775808")],
        ),
        ("u8", Arc::new(UInt8Array::from(vec![Some(u8::MAX), None, Some(0)])), [Some("255"), None, Some("0")]),
        ("u16", Arc::new(UInt16Array::from(vec![Some(u16::MAX), Some(1), None])), [Some("65535"), Some("1"), None]),
        (
            "u32",
            Arc::new(UInt32Array::from(vec![None, Some(u32::MAX), Some(7)])),
            [None, Some("4294967295"), Some("7")],
        ),
        (
            "u64",
            Arc::new(UInt64Array::from(vec![Some(u64::MAX), None, Some(1 << 63)])),
            [Some("18446744073709551615"), None, Some("9223372036854775808")],
        ),
        ("f32", Arc::new(Float32Array::from(vec![Some(f32::NAN), Some(-0.0), None])), [Some("NaN"), Some("-0"), None]),
        (
            "f64",
            Arc::new(Float64Array::from(vec![Some(0.1), None, Some(f64::NEG_INFINITY)])),
            [Some("0.1"), None, Some("-inf")],
        ),
        (
            "f64_nan",
            Arc::new(Float64Array::from(vec![Some(f64::NAN), Some(-0.0), Some(1e21)])),
            [Some("NaN"), Some("-0"), Some("1000000000000000000000")],
        ),
        (
            "dec128",
            Arc::new(
                Decimal128Array::from(vec![Some(10i128.pow(38) - 1), None, Some(-5)])
                    .with_precision_and_scale(38, 10)
                    .unwrap(),
            ),
            [Some("9999999999999999999999999999.9999999999"), None, Some("-0.0000000005")],
        ),
        (
            "dec256",
            Arc::new(
                Decimal256Array::from(vec![Some(nines), None, Some(nines.wrapping_neg())])
                    .with_precision_and_scale(76, 20)
                    .unwrap(),
            ),
            [
                Some("99999999999999999999999999999999999999999999999999999999.99999999999999999999"),
                None,
                Some("-99999999999999999999999999999999999999999999999999999999.99999999999999999999"),
            ],
        ),
        (
            "date32",
            Arc::new(Date32Array::from(vec![Some(19_782), None, Some(-719_529)])),
            [Some("2024-02-29"), None, Some("-0001-12-31")],
        ),
        (
            "date64",
            Arc::new(Date64Array::from(vec![None, Some(0), Some(19_782 * 86_400_000)])),
            [None, Some("1970-01-01"), Some("2024-02-29")],
        ),
        (
            "ts_s",
            Arc::new(TimestampSecondArray::from(vec![Some(1_709_164_800), None, Some(-1)])),
            [Some("2024-02-29T00:00:00"), None, Some("1969-12-31T23:59:59")],
        ),
        (
            "ts_s_utc",
            Arc::new(TimestampSecondArray::from(vec![Some(1_709_164_800), None, Some(0)]).with_timezone("UTC")),
            [Some("2024-02-29T00:00:00Z"), None, Some("1970-01-01T00:00:00Z")],
        ),
        (
            "ts_ms",
            Arc::new(TimestampMillisecondArray::from(vec![Some(1_500), Some(-1), None])),
            [Some("1970-01-01T00:00:01.500"), Some("1969-12-31T23:59:59.999"), None],
        ),
        (
            "ts_ms_berlin",
            Arc::new(
                TimestampMillisecondArray::from(vec![Some(1_709_164_800_001), None, Some(0)])
                    .with_timezone("Europe/Berlin"),
            ),
            [Some("2024-02-29T00:00:00.001Z"), None, Some("1970-01-01T00:00:00.000Z")],
        ),
        (
            "ts_us",
            Arc::new(TimestampMicrosecondArray::from(vec![None, Some(1_709_164_800_123_456), Some(1)])),
            [None, Some("2024-02-29T00:00:00.123456"), Some("1970-01-01T00:00:00.000001")],
        ),
        (
            "ts_us_offset",
            Arc::new(TimestampMicrosecondArray::from(vec![Some(0), None, Some(-1)]).with_timezone("+05:30")),
            [Some("1970-01-01T00:00:00.000000Z"), None, Some("1969-12-31T23:59:59.999999Z")],
        ),
        (
            "ts_ns",
            Arc::new(TimestampNanosecondArray::from(vec![Some(1_709_164_800_123_456_789), None, Some(i64::MIN)])),
            [Some("2024-02-29T00:00:00.123456789"), None, Some("1677-09-21T00:12:43.145224192")],
        ),
        (
            "ts_ns_zoned",
            Arc::new(
                TimestampNanosecondArray::from(vec![Some(1), Some(i64::MAX), None]).with_timezone("America/New_York"),
            ),
            [Some("1970-01-01T00:00:00.000000001Z"), Some("2262-04-11T23:47:16.854775807Z"), None],
        ),
        (
            "time32_s",
            Arc::new(Time32SecondArray::from(vec![Some(49_530), None, Some(0)])),
            [Some("13:45:30"), None, Some("00:00:00")],
        ),
        (
            "time32_ms",
            Arc::new(Time32MillisecondArray::from(vec![None, Some(49_530_007), Some(86_399_999)])),
            [None, Some("13:45:30.007"), Some("23:59:59.999")],
        ),
        (
            "time64_us",
            Arc::new(Time64MicrosecondArray::from(vec![Some(1), None, Some(86_399_999_999)])),
            [Some("00:00:00.000001"), None, Some("23:59:59.999999")],
        ),
        (
            "time64_ns",
            Arc::new(Time64NanosecondArray::from(vec![Some(86_399_999_999_999), Some(5), None])),
            [Some("23:59:59.999999999"), Some("00:00:00.000000005"), None],
        ),
        (
            "flag",
            Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
            [Some("true"), None, Some("false")],
        ),
        ("text", Arc::new(StringArray::from(vec![Some("Straße"), None, Some("")])), [Some("Straße"), None, Some("")]),
        (
            "large_text",
            Arc::new(LargeStringArray::from(vec![None, Some("anna@example.com"), Some("x")])),
            [None, Some("anna@example.com"), Some("x")],
        ),
        (
            "bytes",
            Arc::new(BinaryArray::from(vec![Some(&[0x00u8, 0xAB, 0xFF][..]), None, Some(&[][..])])),
            [Some("00abff"), None, Some("")],
        ),
        (
            "large_bytes",
            Arc::new(LargeBinaryArray::from(vec![Some(&b"A"[..]), Some(&[0x80u8][..]), None])),
            [Some("41"), Some("80"), None],
        ),
        (
            "fixed_bytes",
            Arc::new(
                FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                    vec![Some(vec![0xDEu8, 0xAD, 0x01]), None, Some(vec![0, 0, 0])].into_iter(),
                    3,
                )
                .unwrap(),
            ),
            [Some("dead01"), None, Some("000000")],
        ),
    ];
    let fields: Vec<Field> = columns.iter().map(|(n, a, _)| Field::new(*n, a.data_type().clone(), true)).collect();
    let texts = columns.iter().map(|(_, _, t)| *t).collect();
    let batch =
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns.into_iter().map(|(_, a, _)| a).collect()).unwrap();
    (batch, texts)
}

/// Equal arrays of equal types, floats compared by their bits (NaN, -0.0).
fn assert_same_array(got: &ArrayRef, want: &ArrayRef, column: &str) {
    assert_eq!(got.data_type(), want.data_type(), "{column}: type");
    assert_eq!(got.to_data(), want.to_data(), "{column}: values");
    let bits = |a: &ArrayRef| -> Option<Vec<u64>> {
        match a.data_type() {
            DataType::Float32 => Some(
                a.as_any().downcast_ref::<Float32Array>()?.values().iter().map(|v| u64::from(v.to_bits())).collect(),
            ),
            DataType::Float64 => {
                Some(a.as_any().downcast_ref::<Float64Array>()?.values().iter().map(|v| v.to_bits()).collect())
            }
            _ => None,
        }
    };
    if let (Some(g), Some(w)) = (bits(got), bits(want)) {
        let valid = |i: usize| want.is_valid(i);
        let g: Vec<u64> = g.into_iter().enumerate().filter(|(i, _)| valid(*i)).map(|(_, b)| b).collect();
        let w: Vec<u64> = w.into_iter().enumerate().filter(|(i, _)| valid(*i)).map(|(_, b)| b).collect();
        assert_eq!(g, w, "{column}: float bits");
    }
}

#[test]
fn keep_passes_every_parquet_type_through_as_the_same_array() {
    let (batch, _) = every_type();
    let bytes = parquet_of(&batch);
    let got =
        anonymize(Input::File(file(&bytes)), "all.parquet", "version = 1\nunlisted = \"keep\"\n", &small_batches())
            .unwrap();
    assert_eq!(got.num_rows(), batch.num_rows());
    for (i, field) in batch.schema().fields().iter().enumerate() {
        assert_eq!(got.schema().field(i).data_type(), field.data_type(), "{}: output schema", field.name());
        assert_same_array(got.column(i), batch.column(i), field.name());
    }
}

#[test]
fn keep_passes_every_arrow_type_through_from_files_and_streams() {
    let (batch, _) = every_type();
    let (a, b) = (batch.slice(0, 2), batch.slice(2, 1));
    for (name, bytes) in [("all.arrow", ipc_file_of(&[a.clone(), b.clone()])), ("all.arrows", ipc_stream_of(&[a, b]))] {
        let got = anonymize(Input::File(file(&bytes)), name, "version = 1\nunlisted = \"keep\"\n", &small_batches())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for (i, field) in batch.schema().fields().iter().enumerate() {
            assert_same_array(got.column(i), batch.column(i), &format!("{name} {}", field.name()));
        }
    }
}

#[test]
fn pseudonymize_keys_on_the_canonical_text_of_every_type() {
    const RULES: &str = "version = 1\n[[patterns]]\ncolumns = \".\"\naction = \"pseudonymize\"\nprefix = \"p_\"\n";
    let (batch, texts) = every_type();
    let got = anonymize(Input::File(file(&parquet_of(&batch))), "all.parquet", RULES, &small_batches()).unwrap();

    // The other route: the hand-written canonical texts as a CSV-like text batch.
    let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    let text_columns: Vec<(String, ArrayRef)> = names
        .iter()
        .zip(&texts)
        .map(|(n, t)| (n.clone(), Arc::new(StringArray::from(t.to_vec())) as ArrayRef))
        .collect();
    let text_batch = RecordBatch::try_from_iter(text_columns).unwrap();
    let rules = parse_rules(RULES, "typed.toml").unwrap();
    let plan = RulePlan::new(Arc::new(rules), &MasterKey::test_key().key_set(), &names).unwrap();
    let want = plan.apply(&text_batch).unwrap().batch;

    for (i, name) in names.iter().enumerate() {
        assert_eq!(got.schema().field(i).data_type(), &DataType::Utf8, "{name}");
        assert_eq!(got.column(i).as_ref(), want.column(i).as_ref(), "{name}: the pseudonyms of its canonical texts");
        assert_eq!(got.column(i).null_count(), texts[i].iter().filter(|t| t.is_none()).count(), "{name}");
    }
}

#[test]
fn declared_types_that_differ_from_the_files_are_still_parsed_and_converted() {
    let batch = RecordBatch::try_from_iter(vec![
        ("n", Arc::new(Int32Array::from(vec![Some(7), None])) as ArrayRef),
        ("m", Arc::new(Int32Array::from(vec![Some(7), None])) as ArrayRef),
        (
            "d",
            Arc::new(Decimal256Array::from(vec![Some(i256::from(123)), None]).with_precision_and_scale(76, 2).unwrap()),
        ),
    ])
    .unwrap();
    let rules = "version = 1\nunlisted = \"keep\"\n[types]\nn = \"float\"\nm = \"int\"\n[columns]\nd = \"null\"\n";
    let got = anonymize(Input::File(file(&parquet_of(&batch))), "t.parquet", rules, &small_batches()).unwrap();
    // A different declared type: parsed from the canonical text, built as that type.
    assert_eq!(got.column(0).as_ref(), &Float64Array::from(vec![Some(7.0), None]) as &dyn Array);
    // The same type the file has: the file's own array.
    assert_eq!(got.column(1).as_ref(), batch.column(1).as_ref());
    // `null` on a decimal past 38 digits: a null column of that decimal, no panic.
    assert_eq!(got.schema().field(2).data_type(), &DataType::Decimal256(76, 2));
    assert_eq!(got.column(2).null_count(), 2);

    // Number actions compute on i128: a 76-digit decimal is refused before any row is read.
    let e = anonymize(
        Input::File(file(&parquet_of(&batch))),
        "t.parquet",
        "version = 1\n[columns]\nd = { action = \"noise\", relative = 0.1 }\n",
        &small_batches(),
    )
    .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Schema(_)), "{e:?}");
    assert!(e.to_string().contains("up to 38 digits") && e.to_string().contains("decimal(76,2)"), "{e}");
}

#[test]
fn dictionaries_and_view_types_are_read_as_their_values() {
    let dict: DictionaryArray<Int32Type> = vec![Some("a"), None, Some("a")].into_iter().collect();
    let view = StringViewArray::from(vec![Some("x"), Some("a long string that is not inlined"), None]);
    let batch =
        RecordBatch::try_from_iter(vec![("dict", Arc::new(dict) as ArrayRef), ("view", Arc::new(view) as ArrayRef)])
            .unwrap();
    let got = anonymize(
        Input::File(file(&ipc_file_of(&[batch]))),
        "d.arrow",
        "version = 1\nunlisted = \"keep\"\n",
        &small_batches(),
    )
    .unwrap();
    assert_eq!(got.column(0).as_ref(), &StringArray::from(vec![Some("a"), None, Some("a")]) as &dyn Array);
    assert_eq!(
        got.column(1).as_ref(),
        &StringArray::from(vec![Some("x"), Some("a long string that is not inlined"), None]) as &dyn Array
    );
}

#[test]
fn unsupported_types_are_refused_when_opened_naming_column_and_type() {
    let cases: Vec<(&str, ArrayRef, &str)> = vec![
        ("duration", Arc::new(DurationSecondArray::from(vec![1])), "Duration(Second)"),
        ("half", arrow_cast::cast(&Float32Array::from(vec![1.0]), &DataType::Float16).unwrap(), "Float16"),
        (
            "interval",
            Arc::new(IntervalMonthDayNanoArray::from(vec![arrow_buffer::IntervalMonthDayNano::new(1, 2, 3)])),
            "Interval(MonthDayNano)",
        ),
        (
            "runs",
            Arc::new(RunArray::<Int32Type>::try_new(&Int32Array::from(vec![1]), &Int64Array::from(vec![5])).unwrap()),
            "RunEndEncoded(Int64)",
        ),
        // A name that looks like data is shown by position.
        ("anna.meier@example.com", Arc::new(DurationSecondArray::from(vec![1])), "Duration(Second)"),
    ];
    for (name, array, type_name) in cases {
        let batch =
            RecordBatch::try_from_iter(vec![("id", Arc::new(Int32Array::from(vec![1])) as ArrayRef), (name, array)])
                .unwrap();
        let e = anonymize(Input::File(file(&ipc_file_of(&[batch]))), "u.arrow", "version = 1\n", &small_batches())
            .unwrap_err();
        let ErrorKind::Input { problem: InputProblem::UnsupportedType { column, type_name: t }, .. } = e.kind() else {
            panic!("{name}: {e:?}");
        };
        let label = if name.contains('@') { "column 2" } else { name };
        assert_eq!((column.as_str(), t.as_str()), (label, type_name));
        let text = e.to_string();
        assert!(text.contains(&format!("column `{label}`")) && text.contains(type_name), "{text}");
        assert!(!text.contains("anna.meier"), "{text}");
        assert!(e.is_input_error());
    }
}

#[test]
fn decoded_bytes_count_against_the_decompression_limits() {
    // Repetitive text compresses far: 200,000 rows of the same 40 characters.
    let rows = 200_000;
    let same: StringArray = std::iter::repeat_n(Some("the same forty characters in every row!!"), rows).collect();
    let batch = RecordBatch::try_from_iter(vec![("s", Arc::new(same) as ArrayRef)]).unwrap();
    let mut parquet = Vec::new();
    let opts = ParquetOptions { codec: ParquetCodec::Zstd(3), ..Default::default() };
    let mut w = Box::new(ParquetWriter::new(&mut parquet, batch.schema(), &opts).unwrap());
    w.write(&batch).unwrap();
    w.finish().unwrap();
    let stream = ipc_stream_of(std::slice::from_ref(&batch));
    let zstd_stream = zstd::encode_all(&stream[..], 3).unwrap();
    let arrow_file = ipc_file_of(&[batch]);
    let keep = "version = 1\nunlisted = \"keep\"\n";

    // Typed inputs may expand ten times more than compressed text (dictionaries and runs).
    let ratio = SourceOptions { max_ratio: 20, ratio_after: 1 << 20, ..small_batches() };
    let ratio = SourceOptions { batch_size: 8192, ..ratio };
    let e = anonymize(Input::File(file(&parquet)), "r.parquet", keep, &ratio).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Input { problem: InputProblem::CompressionRatio { limit: 200 }, .. }), "{e}");

    let small = SourceOptions { max_decompressed_bytes: 1 << 20, batch_size: 8192, ..small_batches() };
    for (name, input) in [
        ("s.parquet", Input::File(file(&parquet))),
        ("s.arrow", Input::File(file(&arrow_file))),
        ("s.arrows", Input::Stream(Box::new(std::io::Cursor::new(stream.clone())))),
        // Below the stream, the decompressor's own limit stops it with the same problem.
        ("s.arrows.zst", Input::File(file(&zstd_stream))),
    ] {
        let e = anonymize(input, name, keep, &small).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Input { problem: InputProblem::DecompressedTooLarge { limit: 1048576 }, .. }),
            "{name}: {e}"
        );
    }
    // Within the limits, everything passes.
    let roomy = SourceOptions { batch_size: 8192, ..small_batches() };
    assert_eq!(anonymize(Input::File(file(&parquet)), "ok.parquet", keep, &roomy).unwrap().num_rows(), rows);
    assert_eq!(anonymize(Input::File(file(&arrow_file)), "ok.arrow", keep, &roomy).unwrap().num_rows(), rows);
}

fn three_batches() -> Vec<RecordBatch> {
    (0..3)
        .map(|b| {
            let ids: Int64Array = (0..100).map(|i| Some(b * 100 + i)).collect();
            RecordBatch::try_from_iter(vec![("id", Arc::new(ids) as ArrayRef)]).unwrap()
        })
        .collect()
}

fn assert_damaged(result: Result<RecordBatch, anonymizer_core::Error>, what: &str, case: &str) {
    match result {
        Ok(b) => panic!("{case}: a cut input succeeded with {} rows", b.num_rows()),
        Err(e) => {
            assert!(
                matches!(e.kind(), ErrorKind::Input { problem: InputProblem::Corrupt { what: w }, .. } if w.contains(what)),
                "{case}: {e:?}"
            );
            assert!(e.to_string().contains("damaged or truncated"), "{case}: {e}");
        }
    }
}

#[test]
fn a_truncated_arrow_file_is_damaged_never_a_shorter_success() {
    let whole = ipc_file_of(&three_batches());
    let keep = "version = 1\nunlisted = \"keep\"\n";
    let all = anonymize(Input::File(file(&whole)), "whole.arrow", keep, &small_batches()).unwrap();
    assert_eq!(all.num_rows(), 300);
    let n = whole.len();
    // Without the trailing magic, the footer's length, the footer, the end-of-stream marker,
    // inside a record batch, right after the first message.
    for cut in [n - 1, n - 6, n - 10, n - 40, n * 2 / 3, n / 2, 300] {
        let case = format!("cut at {cut} of {n}");
        assert_damaged(
            anonymize(Input::File(file(&whole[..cut])), "cut.arrow", keep, &small_batches()),
            "Arrow IPC file",
            &case,
        );
    }
    // A whole footer after messages cut short: inside a message, or right after the second
    // record batch (a message boundary: the footer lists three).
    let footer = &whole[n - 10 - footer_len(&whole)..];
    let first = (8..n).step_by(4).find(|&i| whole[i..i + 4] == [0xFF; 4]).unwrap(); // after the padding
    let third_batch = first + message_starts(&whole[first..])[3];
    for cut in [n / 2, third_batch] {
        let mut holed = whole[..cut].to_vec();
        holed.extend_from_slice(footer);
        let case = format!("messages cut at {cut}, footer kept");
        assert_damaged(
            anonymize(Input::File(file(&holed)), "holed.arrow", keep, &small_batches()),
            "Arrow IPC file",
            &case,
        );
    }
}

fn footer_len(arrow_file: &[u8]) -> usize {
    let n = arrow_file.len();
    i32::from_le_bytes(arrow_file[n - 10..n - 6].try_into().unwrap()) as usize
}

#[test]
fn a_truncated_arrow_stream_is_damaged_never_a_shorter_success() {
    let whole = ipc_stream_of(&three_batches());
    let keep = "version = 1\nunlisted = \"keep\"\n";
    let read = |bytes: &[u8]| {
        anonymize(Input::Stream(Box::new(std::io::Cursor::new(bytes.to_vec()))), "s.arrows", keep, &small_batches())
    };
    assert_eq!(read(&whole).unwrap().num_rows(), 300);
    let n = whole.len();
    assert_eq!(&whole[n - 8..], &[0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0], "the stream ends with its marker");
    // Without the end-of-stream marker (all three batches whole), inside the marker, inside
    // the last batch's body, inside a message prefix.
    let last_batch_start = message_starts(&whole).into_iter().rev().nth(1).unwrap();
    for cut in [n - 8, n - 4, n - 12, last_batch_start + 2, last_batch_start + 20] {
        assert_damaged(read(&whole[..cut]), "Arrow IPC stream", &format!("cut at {cut} of {n}"));
    }
}

/// Offsets of each message prefix (continuation marker) of an Arrow stream, the final
/// end-of-stream marker included.
fn message_starts(stream: &[u8]) -> Vec<usize> {
    let mut at = 0;
    let mut starts = Vec::new();
    while at + 8 <= stream.len() {
        starts.push(at);
        let meta = i32::from_le_bytes(stream[at + 4..at + 8].try_into().unwrap()) as usize;
        if meta == 0 {
            break;
        }
        let message = arrow_ipc::root_as_message(&stream[at + 8..at + 8 + meta]).unwrap();
        at += 8 + meta + message.bodyLength() as usize;
    }
    starts
}

#[test]
fn parquet_batches_of_wide_rows_end_at_the_byte_budget_not_at_8192_rows() {
    // 64 rows of 256 KiB in one row group; a 1 MiB batch budget reads them 4 at a time.
    // Varied text (a linear congruential generator), so it does not compress past the ratio limit.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut text = || -> String {
        (0..(256 << 10) / 16)
            .map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                format!("{x:016x}")
            })
            .collect()
    };
    let wide: ArrayRef = Arc::new(StringArray::from_iter_values((0..64).map(|_| text())));
    let batch = RecordBatch::try_from_iter([("wide", wide)]).unwrap();
    let so = SourceOptions { batch_bytes: 1 << 20, ..SourceOptions::default() };
    let source = open_source(Input::File(file(&parquet_of(&batch))), "w.parquet", &Default::default(), &so).unwrap();
    let mut reader = source.reader;
    let mut rows = Vec::new();
    while let Some(b) = reader.next_batch().unwrap() {
        assert!(b.bytes() <= 2 << 20, "a batch of {} bytes", b.bytes());
        rows.push(b.rows_hint());
    }
    assert_eq!(rows.iter().sum::<usize>(), 64);
    assert!(rows.iter().all(|&r| r <= 4), "{rows:?}");
}

#[test]
fn a_dictionary_of_one_long_value_repeated_is_counted_before_it_is_unpacked() {
    // One 1 MiB value, 255 keys pointing at it: a small stream that unpacks to 255 MiB.
    let keys = arrow_array::Int8Array::from(vec![0i8; 255]);
    let values: ArrayRef = Arc::new(StringArray::from(vec!["v".repeat(1 << 20)]));
    let dict: ArrayRef = Arc::new(DictionaryArray::<arrow_array::types::Int8Type>::try_new(keys, values).unwrap());
    let batch = RecordBatch::try_from_iter([("d", dict)]).unwrap();
    let stream = ipc_stream_of(std::slice::from_ref(&batch));
    let open = |so: &SourceOptions| {
        open_source(Input::Stream(Box::new(std::io::Cursor::new(stream.clone()))), "d.arrows", &Default::default(), so)
    };
    // Over the decompressed-size limit: refused before the 255 MiB exist.
    let small = SourceOptions { max_decompressed_bytes: 64 << 20, max_ratio: 1 << 40, ..SourceOptions::default() };
    let mut reader = open(&small).unwrap().reader;
    let e = reader.next_batch().unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Input { problem: InputProblem::DecompressedTooLarge { .. }, .. }), "{e}");
    // Within the limits: unpacked a slice of about `batch_bytes` at a time.
    let roomy = SourceOptions { max_ratio: 1 << 40, batch_bytes: 8 << 20, ..SourceOptions::default() };
    let mut reader = open(&roomy).unwrap().reader;
    let (mut rows, mut batches) = (0, 0);
    while let Some(b) = reader.next_batch().unwrap() {
        assert!(b.bytes() <= 16 << 20, "a batch of {} bytes", b.bytes());
        rows += b.rows_hint();
        batches += 1;
    }
    assert_eq!(rows, 255);
    assert!(batches >= 255 / 8, "{batches} batches");
}
