//! CSV decode → plan → CSV and Parquet writers on arbitrary bytes with a fixed rule file:
//! never panics, and rows in = rows out + deleted + dropped, batch by batch and in total;
//! the selecting decoder (unread columns and deleted rows skipped) gives what decoding
//! everything gives.
#![no_main]

use std::sync::Arc;

use anonymizer_core::io::{
    open_source, BatchSink, CsvWriter, Input, ParquetOptions, ParquetWriter, Source, SourceOptions,
};
use anonymizer_core::{parse_rules, MasterKey, RulePlan};
use libfuzzer_sys::fuzz_target;

const RULES: &str = r#"version = 1
unlisted = "keep"
[types]
b = "date"
[columns]
a = "pseudonymize"
b = { action = "generalize", to = "year", on_invalid = "drop_row" }
c = { action = "mask", keep_last = 2 }
[[delete_rows]]
column = "a"
equals = "x"
"#;

fn open(data: &[u8], rules: &anonymizer_core::Rules) -> Option<Source> {
    let so = SourceOptions { batch_size: 7, ..SourceOptions::default() };
    let input = Input::Stream(Box::new(std::io::Cursor::new(data.to_vec())));
    open_source(input, "fuzz.csv", &rules.input, &so).ok()
}

fuzz_target!(|data: &[u8]| {
    let rules = parse_rules(RULES, "fuzz.toml").expect("fixed rules are valid");
    let Some(mut source) = open(data, &rules) else { return };
    let Ok(plan) = RulePlan::new(Arc::new(rules.clone()), &MasterKey::test_key().key_set(), &source.header) else {
        return;
    };
    // The runner's path: the plan selects while decoding. Collected while it succeeds.
    let mut selected = Vec::new();
    if let Some(mut again) = open(data, &rules) {
        while let Ok(Some(batch)) = again.reader.next_batch() {
            let Ok(rows) = batch.decode_selected(&plan) else { break };
            let Ok(applied) = plan.apply_decoded(rows, 0, None) else { break };
            selected.push((applied.batch, applied.stats));
        }
    }
    let mut everything = Vec::new();
    let mut csv = Box::new(CsvWriter::new(Vec::new()));
    let mut parquet =
        Box::new(ParquetWriter::new(Vec::new(), plan.output_schema().clone(), &ParquetOptions::default()).unwrap());
    let (mut rows_in, mut rows_out, mut removed) = (0, 0, 0);
    while let Ok(Some(batch)) = source.reader.next_batch() {
        let Ok(rows) = batch.decode() else { break };
        let n = rows.num_rows() as u64;
        let Ok(applied) = plan.apply(&rows) else { break };
        everything.push((applied.batch.clone(), applied.stats.clone()));
        let s = &applied.stats;
        assert_eq!(s.rows_in, n);
        assert_eq!(s.rows_in, s.rows_out + s.rows_deleted + s.rows_dropped_invalid);
        assert_eq!(applied.batch.num_rows() as u64, s.rows_out);
        csv.write(&applied.batch).expect("CSV writer");
        parquet.write(&applied.batch).expect("Parquet writer");
        rows_in += s.rows_in;
        rows_out += s.rows_out;
        removed += s.rows_deleted + s.rows_dropped_invalid;
    }
    // Both paths stop at the same batch (the same error) and agree on everything before it.
    assert_eq!(selected, everything, "selected decoding differs from decoding everything");
    assert_eq!(rows_in, rows_out + removed);
    csv.finish().expect("CSV finish");
    parquet.finish().expect("Parquet finish");
});
