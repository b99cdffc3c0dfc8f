//! The CSV reader against rust-csv (an independent parser over the same csv-core rules) on
//! arbitrary bytes, batch size from the first byte: never panics, and whenever the reader
//! accepts the input, it reads exactly the records rust-csv reads. This checks the memchr
//! fast path (plain, quoted, multi-line and `""`-escaped fields) and the csv-core fallback.
#![no_main]

use anonymizer_core::io::{BatchSource, CsvOptions, CsvReader};
use anonymizer_core::rule::{Encoding, InputOptions};
use arrow_array::{Array, StringArray};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&b, text)) = data.split_first() else { return };
    // UTF-8 named, so bytes reach the parser as they are (no sniffing or transcoding).
    let input = InputOptions { encoding: Encoding::Utf8, null_values: Vec::new(), ..InputOptions::default() };
    let mut opts = CsvOptions::new(&input);
    opts.batch_size = 1 + usize::from(b % 16);
    let Ok(mut reader) = CsvReader::new(std::io::Cursor::new(text.to_vec()), opts) else { return };
    let mut ours: Vec<Vec<String>> = Vec::new();
    loop {
        match reader.next_batch() {
            Ok(Some(batch)) => {
                let Ok(batch) = batch.decode() else { return };
                for i in 0..batch.num_rows() {
                    ours.push(
                        batch
                            .columns()
                            .iter()
                            .map(|c| c.as_any().downcast_ref::<StringArray>().expect("text").value(i).to_string())
                            .collect(),
                    );
                }
            }
            Ok(None) => break,
            Err(_) => return,
        }
    }
    // Our reader skips a leading BOM and rust-csv does not.
    let body = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut theirs = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(body);
    let header = theirs.headers().expect("accepted by ours").clone();
    assert_eq!(header.len(), reader.header().len(), "header width");
    let theirs: Vec<Vec<String>> =
        theirs.records().map(|r| r.expect("accepted by ours").iter().map(String::from).collect()).collect();
    assert_eq!(ours, theirs);
});
