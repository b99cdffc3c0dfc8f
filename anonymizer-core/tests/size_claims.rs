//! Sizes a typed file declares but does not hold: a Parquet page header claiming a 2 GiB
//! page (the parquet reader sizes, and for snappy zero-fills, its decompression buffer from
//! the claim before finding the page short), an Arrow stream message claiming a 2 GiB body.
//! Each must fail as damaged, quickly, without the process's peak memory growing by
//! anything like the claim. Its own test binary, the tests one at a time, so no other
//! test's memory shows in the process's peak (`VmHWM`).

use std::io::Write;

#[path = "support/lying_parquet.rs"]
mod lying_parquet;
use lying_parquet::lying_parquet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anonymizer_core::error::{ErrorKind, InputProblem};
use anonymizer_core::io::{open_source, Input, SourceOptions};
use anonymizer_core::parse_rules;
use arrow_array::{ArrayRef, Int64Array, RecordBatch};
use parquet::basic::Compression;

/// Held by each test: the peak memory measured is this test's alone.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn file(bytes: &[u8]) -> std::fs::File {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(bytes).unwrap();
    std::io::Seek::rewind(&mut f).unwrap();
    f
}

/// Peak resident memory of this process so far, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn open(bytes: &[u8]) -> Result<(), anonymizer_core::Error> {
    open_as(Input::File(file(bytes)), "lying.parquet")
}

fn open_as(input: Input, name: &str) -> Result<(), anonymizer_core::Error> {
    let rules = parse_rules("version = 1\nunlisted = \"keep\"\n", "r.toml").unwrap();
    let mut source = open_source(input, name, &rules.input, &SourceOptions::default())?;
    while source.reader.next_batch()?.is_some() {}
    Ok(())
}

#[test]
fn a_page_header_claiming_2_gib_fails_as_damaged_without_allocating_it() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    for codec in [Compression::SNAPPY, Compression::UNCOMPRESSED] {
        // Rewritten with its honest claim, the file reads.
        open(&lying_parquet(codec, None)).unwrap();
    }
    for codec in [Compression::SNAPPY, Compression::UNCOMPRESSED, Compression::ZSTD(Default::default())] {
        let lying = lying_parquet(codec, Some(i32::MAX));
        let before = peak_rss_kib();
        let started = Instant::now();
        let e = open(&lying).unwrap_err();
        let took = started.elapsed();
        let grown_kib = peak_rss_kib().saturating_sub(before);
        eprintln!("{codec:?}: refused in {took:?}; peak RSS grew by {grown_kib} KiB (VmHWM {before} KiB before)");
        assert!(
            matches!(e.kind(), ErrorKind::Input { problem: InputProblem::Corrupt { what }, .. } if what.starts_with("Parquet file")),
            "{codec:?}: {e:?}"
        );
        assert!(e.to_string().contains("claims more than its page holds"), "{e}");
        assert!(grown_kib < 64 * 1024, "{codec:?}: peak RSS grew by {grown_kib} KiB");
        assert!(took < Duration::from_secs(2), "{codec:?}: took {took:?}");
    }
}

#[test]
fn an_arrow_stream_message_claiming_a_2_gib_body_fails_as_damaged_without_allocating_it() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let ids: Int64Array = (0..1000).map(Some).collect();
    let batch = RecordBatch::try_from_iter(vec![("id", Arc::new(ids) as ArrayRef)]).unwrap();
    let mut stream = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut stream, &batch.schema()).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    drop(w);
    // The record batch message follows the schema message; its metadata declares the body's
    // length as an i64, which is patched to just under the 2 GiB a stream message may have.
    let schema_meta = i32::from_le_bytes(stream[4..8].try_into().unwrap()) as usize;
    let at = 8 + schema_meta;
    let meta_len = i32::from_le_bytes(stream[at + 4..at + 8].try_into().unwrap()) as usize;
    let meta = at + 8..at + 8 + meta_len;
    let body = arrow_ipc::root_as_message(&stream[meta.clone()]).unwrap().bodyLength();
    let claim: i64 = (2 << 30) - 8;
    // The same 8 bytes may also be a buffer's length: patch the one that is the body's.
    let patched = (meta.start..meta.end - 8).filter(|&i| stream[i..i + 8] == body.to_le_bytes()).find_map(|i| {
        let mut s = stream.clone();
        s[i..i + 8].copy_from_slice(&claim.to_le_bytes());
        let m = arrow_ipc::root_as_message(&s[meta.clone()]).ok()?;
        (m.bodyLength() == claim).then_some(s)
    });
    let stream = patched.expect("the body length is in the metadata");

    let before = peak_rss_kib();
    let started = Instant::now();
    let e = open_as(Input::Stream(Box::new(std::io::Cursor::new(stream))), "lying.arrows").unwrap_err();
    let took = started.elapsed();
    let grown_kib = peak_rss_kib().saturating_sub(before);
    eprintln!("Arrow stream: refused in {took:?}; peak RSS grew by {grown_kib} KiB (VmHWM {before} KiB before)");
    assert!(
        matches!(e.kind(), ErrorKind::Input { problem: InputProblem::Corrupt { what }, .. } if what.starts_with("Arrow IPC stream")),
        "{e:?}"
    );
    assert!(grown_kib < 64 * 1024, "peak RSS grew by {grown_kib} KiB");
    assert!(took < Duration::from_secs(2), "took {took:?}");
}
