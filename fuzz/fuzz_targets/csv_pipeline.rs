//! CSV decode → plan → output on arbitrary bytes with a fixed rule file: never panics, and
//! rows in = rows out + deleted + dropped.
#![no_main]

use std::sync::Arc;

use anonymizer_core::io::{BatchSource, CsvOptions, CsvReader};
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

fuzz_target!(|data: &[u8]| {
    let rules = Arc::new(parse_rules(RULES, "fuzz.toml").expect("fixed rules are valid"));
    let mut opts = CsvOptions::new(&rules.input);
    opts.batch_size = 7;
    opts.max_record_bytes = 1 << 16;
    let Ok(mut reader) = CsvReader::new(std::io::Cursor::new(data.to_vec()), opts) else { return };
    let Ok(plan) = RulePlan::new(rules, &MasterKey::test_key().key_set(), &reader.header()) else { return };
    while let Ok(Some(batch)) = reader.next_batch() {
        let Ok(rows) = batch.decode() else { return };
        if let Ok(applied) = plan.apply(&rows) {
            let s = &applied.stats;
            assert_eq!(s.rows_in, s.rows_out + s.rows_deleted + s.rows_dropped_invalid);
        }
    }
});
