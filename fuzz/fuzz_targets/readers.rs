//! The JSON Lines, Parquet and Arrow readers (and gzip/zstd/zip unwrapping) on arbitrary
//! bytes: never panic, never hang; every batch has the header's columns.
#![no_main]

use std::io::Write;

use anonymizer_core::io::{open_source, Input, SourceOptions};
use anonymizer_core::rule::InputOptions;
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 6] = ["x.jsonl", "x.parquet", "x.arrow", "x.arrows", "x.csv.gz", "x.zip"];

fuzz_target!(|data: &[u8]| {
    // The Parquet crate can panic on hostile pages; the reader contains that (catch_unwind →
    // "damaged file" error), which is the property checked here. libFuzzer's own hook aborts on
    // any panic, even a contained one, so a silent hook is installed; a panic that escapes
    // still fails the run (libfuzzer-sys aborts when the target unwinds).
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Some((&selector, bytes)) = data.split_first() else { return };
    let name = NAMES[selector as usize % NAMES.len()];
    let mut file = tempfile::tempfile().expect("temp file");
    file.write_all(bytes).expect("write");
    std::io::Seek::rewind(&mut file).expect("rewind");
    // Small batches reach more reader states; the row and size limits bound the work a tiny
    // hostile file can declare (a 433-byte Parquet file may claim millions of null rows).
    let so = SourceOptions { batch_size: 64, max_decompressed_bytes: 1 << 24, max_rows: 200_000, ..SourceOptions::default() };
    let Ok(mut source) = open_source(Input::File(file), name, &InputOptions::default(), &so) else { return };
    let columns = source.header.len();
    for _ in 0..10_000 {
        match source.reader.next_batch() {
            Ok(Some(b)) => {
                if let Ok(batch) = b.decode() {
                    assert_eq!(batch.num_columns(), columns, "{name}: a batch lost or gained columns");
                }
            }
            _ => return,
        }
    }
});
