//! The CSV reader against rust-csv (an independent parser over the same csv-core rules) on
//! arbitrary bytes, batch size from the first byte: never panics, and whenever the reader
//! accepts the input, it reads exactly the records rust-csv reads. This checks the SIMD
//! fast path (plain, quoted, multi-line and `""`-escaped fields) and the csv-core fallback.
//! It also reads the input both ways, split on workers after a block scan and split by the
//! reader thread, in reads of a size from the second byte, and requires the same batches
//! (rows, lines, values) and the same error. Where the input is not UTF-8, only that both
//! fail: the invalid byte is reported when the read that brings it is validated, and the
//! block scan reads further ahead than the serial reader (a ragged row earlier in the same
//! read may go unnamed, in either).
#![no_main]

use anonymizer_core::io::{BatchSource, CsvOptions, CsvReader};
use anonymizer_core::rule::{Encoding, InputOptions};
use arrow_array::{Array, StringArray};
use libfuzzer_sys::fuzz_target;

type Rows = Vec<Vec<String>>;

/// Every batch (first row, lines, rows), and the error that ended reading.
fn read(text: &[u8], step: usize, opts: CsvOptions) -> (Vec<(u64, Vec<u64>, Rows)>, Option<String>) {
    let mut batches = Vec::new();
    let mut reader = match CsvReader::new(Trickle { text: text.to_vec(), at: 0, step }, opts) {
        Ok(r) => r,
        Err(e) => return (batches, Some(format!("{:?}", e.kind()))),
    };
    loop {
        let batch = match reader.next_batch() {
            Ok(Some(b)) => b,
            Ok(None) => return (batches, None),
            Err(e) => return (batches, Some(format!("{:?}", e.kind()))),
        };
        let (first, lines) = (batch.first_row, batch.lines.clone());
        let batch = match batch.decode() {
            Ok(b) => b,
            Err(e) => return (batches, Some(format!("{:?}", e.kind()))),
        };
        let rows = (0..batch.num_rows())
            .map(|i| {
                let text = |c: &arrow_array::ArrayRef| {
                    c.as_any().downcast_ref::<StringArray>().expect("text").value(i).to_string()
                };
                batch.columns().iter().map(text).collect()
            })
            .collect();
        batches.push((first, lines, rows));
    }
}

/// At most `step` bytes per read.
struct Trickle {
    text: Vec<u8>,
    at: usize,
    step: usize,
}

impl std::io::Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step).min(self.text.len() - self.at);
        buf[..n].copy_from_slice(&self.text[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let [b, s, text @ ..] = data else { return };
    let (b, step) = (*b, 1 + usize::from(*s));
    // UTF-8 named, so bytes reach the parser as they are (no sniffing or transcoding).
    let input = InputOptions { encoding: Encoding::Utf8, null_values: Vec::new(), ..InputOptions::default() };
    let mut opts = CsvOptions::new(&input);
    opts.batch_size = 1 + usize::from(b % 16);
    opts.batch_bytes = 64 + 32 * usize::from(b / 16);
    opts.max_field_bytes = if s % 4 == 0 { 8 } else { opts.max_field_bytes };
    let (batches, error) = read(text, step, opts.clone());
    let serial = read(text, step, CsvOptions { split_on_workers: false, ..opts });
    if std::str::from_utf8(text).is_ok() {
        assert_eq!((&batches, &error), (&serial.0, &serial.1), "split on workers vs by the reader");
    } else {
        assert!(error.is_some() && serial.1.is_some(), "not UTF-8, read by one: {error:?} {:?}", serial.1);
    }
    if error.is_some() {
        return;
    }
    let ours: Rows = batches.into_iter().flat_map(|(_, _, rows)| rows).collect();
    // Our reader skips a leading BOM and rust-csv does not.
    let body = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut theirs = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(body);
    let header = theirs.headers().expect("accepted by ours").clone();
    let Ok(reader) = CsvReader::new(std::io::Cursor::new(text.to_vec()), CsvOptions::new(&input)) else { return };
    assert_eq!(header.len(), reader.header().len(), "header width");
    let theirs: Rows =
        theirs.records().map(|r| r.expect("accepted by ours").iter().map(String::from).collect()).collect();
    assert_eq!(ours, theirs);
});
