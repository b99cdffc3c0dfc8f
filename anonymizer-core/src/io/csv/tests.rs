//! Unit tests of the CSV reader: values, line numbers and errors.

use super::*;
use crate::io::BatchSource;
use arrow_array::Array;
use arrow_array::StringArray;

/// Header, rows (None = null) and each row's line.
type Read = (Vec<String>, Vec<Vec<Option<String>>>, Vec<u64>);

fn read(text: &[u8], batch_size: usize) -> Result<Read, Error> {
    // UTF-8 named, as `[input] encoding = "utf-8"` does: these tests are about its validation.
    let input = InputOptions { encoding: crate::rule::Encoding::Utf8, ..InputOptions::default() };
    let mut opts = CsvOptions::new(&input);
    opts.batch_size = batch_size;
    let mut r = CsvReader::new(std::io::Cursor::new(text.to_vec()), opts)?;
    let header = r.header();
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    while let Some(b) = r.next_batch()? {
        lines.extend(b.lines.iter().copied());
        let batch = b.decode()?;
        for i in 0..batch.num_rows() {
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| {
                        let s = c.as_any().downcast_ref::<StringArray>().unwrap();
                        (!s.is_null(i)).then(|| s.value(i).to_string())
                    })
                    .collect(),
            );
        }
    }
    Ok((header, rows, lines))
}

fn problem(text: &[u8]) -> InputProblem {
    match read(text, 2).unwrap_err().kind() {
        ErrorKind::Input { problem, .. } => problem.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn reads_quotes_newlines_and_nulls() {
    let (h, rows, lines) = read(b"\xEF\xBB\xBF id , note\n1,\"a, \"\"b\"\"\nc\"\n2,\n3,x", 2).unwrap();
    assert_eq!(h, ["id", "note"]);
    assert_eq!(rows[0], [Some("1".into()), Some("a, \"b\"\nc".into())]);
    assert_eq!(rows[1], [Some("2".into()), None]);
    assert_eq!(rows[2], [Some("3".into()), Some("x".into())]);
    assert_eq!(lines, [2, 4, 5]);
}

#[test]
fn quoted_fields_spanning_lines_keep_line_numbers() {
    // The fast path takes these (quotes without inner quotes); lines count every break.
    let (_, rows, lines) = read(b"id,note\n1,\"a\nb\nc\"\n2,\"x\"\n3,\"\n\"\n4,y\n", 8).unwrap();
    assert_eq!(rows[0], [Some("1".into()), Some("a\nb\nc".into())]);
    assert_eq!(rows[2], [Some("3".into()), Some("\n".into())]);
    assert_eq!(lines, [2, 5, 6, 8]);
    assert_eq!(problem(b"id,note\n1,\"a\nb\"\n2\n"), InputProblem::Ragged { line: 4, expected: 2, found: 1 });
    assert_eq!(problem(b"id,note\n1,\"a\nb\n"), InputProblem::UnterminatedQuote { line: 2 });
}

#[test]
fn escaped_quotes_are_unescaped_in_every_position() {
    // Each field as csv-core reads it; the fast path now takes these records.
    let text = b"a,b,c\n\"\"\"x\"\"\",\"\",\"p\"\"q\nr\"\"\"\n\"\"\"\",2,\"\"\"\"\"\"\n4,\"\"\"\",\"a,\"\"b\"\"\"\n";
    let (_, rows, lines) = read(text, 8).unwrap();
    let row = |v: [&str; 3]| v.map(|s| (!s.is_empty()).then(|| s.to_string())).to_vec();
    assert_eq!(rows[0], row(["\"x\"", "", "p\"q\nr\""]));
    assert_eq!(rows[1], row(["\"", "2", "\"\""]));
    assert_eq!(rows[2], row(["4", "\"", "a,\"b\""]));
    assert_eq!(lines, [2, 4, 5]);
    assert_eq!(problem(b"a\n\"x\"\"y\n"), InputProblem::UnterminatedQuote { line: 2 });
}

#[test]
fn bad_inputs_name_their_place() {
    assert_eq!(problem(b""), InputProblem::Empty);
    assert_eq!(problem(b"a,b\n"), InputProblem::HeaderOnly);
    assert_eq!(problem(b"a,b\n1,2\n3\n"), InputProblem::Ragged { line: 3, expected: 2, found: 1 });
    assert_eq!(problem(b"a,b\n1,2\n3,\"open\nmore\n"), InputProblem::UnterminatedQuote { line: 3 });
    assert_eq!(problem(b"a,a\n1,2\n"), InputProblem::DuplicateColumn { name: "a".into(), first: 1, second: 2 });
    assert_eq!(problem(b"a,\n1,2\n"), InputProblem::EmptyColumnName { index: 2 });
    assert_eq!(problem(b"a,b\n1,2\n3,x\xffy\n"), InputProblem::InvalidUtf8 { line: 3, column: 4, offset: 11 });
}

#[test]
fn unusable_header_rows_that_look_like_data_are_refused_as_such_without_values() {
    // An empty cell or a repeated value in a headerless file's first row: the hint to set
    // `header = false` is what helps, and no value is shown.
    let cases: &[(&[u8], Option<InputProblem>)] = &[
        (b"anna.meier@example.com,,+49 170 1234567\n", None),
        (b"anna.meier@example.com,anna.meier@example.com\n", None),
        // An ordinary header keeps its problem; a repeated name that looks like data is
        // shown by position.
        (b"id,,zip\n", Some(InputProblem::EmptyColumnName { index: 2 })),
        (b"id,anna.meier@example.com,zip,anna.meier@example.com,name\n", None),
        (
            b"id,80331,zip,80331,name\n",
            Some(InputProblem::DuplicateColumn { name: "column 2".into(), first: 2, second: 4 }),
        ),
        (b"id,,id\n", Some(InputProblem::EmptyColumnName { index: 2 })),
        (b"id,zip,id,\n", Some(InputProblem::DuplicateColumn { name: "id".into(), first: 1, second: 3 })),
    ];
    for (text, want) in cases {
        let mut text = text.to_vec();
        text.extend_from_slice(b"1,2,3,4,5\n");
        let e = read(&text, 2).unwrap_err();
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains("anna") && !shown.contains("170"), "{shown}");
        }
        match (want, e.kind()) {
            (None, ErrorKind::HeaderLooksLikeData { .. }) => {}
            (Some(want), ErrorKind::Input { problem, .. }) => assert_eq!(problem, want),
            (_, other) => panic!("{}: {other:?}", String::from_utf8_lossy(&text)),
        }
    }
}

#[test]
fn without_a_header_columns_are_numbered_and_the_first_row_is_data() {
    let opts =
        CsvOptions { batch_size: 1, ..CsvOptions::new(&InputOptions { header: false, ..InputOptions::default() }) };
    let mut r = CsvReader::new(std::io::Cursor::new(b"a,b\nc,d\n".to_vec()), opts).unwrap();
    assert_eq!(r.header(), ["column_1", "column_2"]);
    let mut rows = Vec::new();
    while let Some(b) = r.next_batch().unwrap() {
        let lines = b.lines.clone();
        let b = b.decode().unwrap();
        let s = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        rows.push((s.value(0).to_string(), lines));
    }
    assert_eq!(rows, [("b".to_string(), vec![1]), ("d".to_string(), vec![2])]);
}

#[test]
fn delimiters_and_quotes_are_ascii() {
    // Rule files only allow ASCII ones; the library refuses others (a field cut at the
    // byte 0xC3 could split a character, and columns are built trusting it does not).
    for (delimiter, quote) in [(Some(0xC3), None), (None, Some(0xA7))] {
        let input = InputOptions { delimiter, quote, ..InputOptions::default() };
        let err = CsvReader::new(std::io::Cursor::new("a\u{e9}b\n".as_bytes().to_vec()), CsvOptions::new(&input))
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Option(_)), "{err}");
    }
}

#[test]
fn literal_quotes_inside_fields_are_not_unterminated() {
    let (_, rows, _) = read(b"a,b\n5\" pipe,2", 8).unwrap();
    assert_eq!(rows[0][0].as_deref(), Some("5\" pipe"));
}

#[test]
fn record_limit_stops_huge_fields() {
    let mut opts = CsvOptions::new(&InputOptions::default());
    opts.max_record_bytes = 1000;
    let mut text = b"a\n\"".to_vec();
    text.extend(std::iter::repeat_n(b'x', 5000));
    text.extend_from_slice(b"\"\n");
    let err = CsvReader::new(std::io::Cursor::new(text), opts).and_then(|mut r| r.next_batch()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Input { problem: InputProblem::RecordTooLong { line: 2, .. }, .. }),
        "{err}"
    );
}

#[test]
fn batches_do_not_change_content() {
    let mut text = b"n,v\n".to_vec();
    for i in 0..1000 {
        text.extend_from_slice(format!("{i},\"v {i}\nx\"\n").as_bytes());
    }
    let a = read(&text, 7).unwrap();
    let b = read(&text, 1000).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.1.len(), 1000);
}

#[test]
fn wide_rows_end_a_batch_at_the_byte_budget_and_a_row_wider_than_it_is_a_batch_alone() {
    // Rows of 1,100, 10 and 5,000 field bytes with a 2,048-byte budget and a 100-row count.
    let row = |n: usize, c: char| format!("{},{}\n", c, c.to_string().repeat(n));
    let text = format!("a,b\n{}{}{}{}{}", row(1100, 'x'), row(1100, 'y'), row(10, 'z'), row(5000, 'w'), row(10, 'v'));
    let input = InputOptions { encoding: crate::rule::Encoding::Utf8, ..InputOptions::default() };
    let mut opts = CsvOptions::new(&input);
    opts.batch_size = 100;
    opts.batch_bytes = 2048;
    let mut r = CsvReader::new(std::io::Cursor::new(text.into_bytes()), opts).unwrap();
    let mut lines = Vec::new();
    while let Some(b) = r.next_batch().unwrap() {
        assert!(b.bytes() > 0, "a CSV batch knows its bytes");
        lines.push(b.lines.clone());
    }
    // The first two rows reach the budget; the third opens a batch that the 5,000-byte row
    // overfills on its own; the last row is left for a batch of its own.
    assert_eq!(lines, vec![vec![2, 3], vec![4, 5], vec![6]]);
}

#[test]
fn a_reader_stopped_by_invalid_utf8_never_cuts_a_batch_from_the_unvalidated_bytes() {
    // The invalid byte comes after the first raw buffer (256 KiB), so the reader opens, reads
    // batches, and meets it on a refill. Calling on after the error must not hand out the
    // bytes the validator stopped at (the column builder trusts them as UTF-8).
    let mut text = b"a,b\n".to_vec();
    text.extend(std::iter::repeat_n(b"1,x\n".as_slice(), 80_000).flatten());
    text.extend_from_slice(b"3,\xff\n");
    text.extend(std::iter::repeat_n(b"5,w\n".as_slice(), 1000).flatten());
    let input = InputOptions { encoding: crate::rule::Encoding::Utf8, ..InputOptions::default() };
    let mut opts = CsvOptions::new(&input);
    opts.batch_size = 1000;
    let mut r = CsvReader::new(std::io::Cursor::new(text), opts).unwrap();
    let first = loop {
        match r.next_batch() {
            Ok(Some(b)) => b.decode().map(drop).unwrap(),
            Ok(None) => panic!("the invalid byte was never reported"),
            Err(e) => break e,
        }
    };
    assert!(matches!(first.kind(), ErrorKind::Input { problem: InputProblem::InvalidUtf8 { .. }, .. }), "{first}");
    for _ in 0..3 {
        let again = r.next_batch().map(|b| b.map(|b| b.lines.len())).unwrap_err();
        assert!(again.to_string().contains("stopped by an earlier error"), "{again}");
    }
}

/// Hands out at most `step` bytes per read, so a block scan stops and resumes everywhere.
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

/// Every batch as (first row, lines, rows), then the error that ended reading, if any:
/// from opening, from the reader, or from decoding a batch (where a worker finds it).
type Batches = (Vec<(u64, Vec<u64>, Vec<Vec<Option<String>>>)>, Option<String>);

fn batches(text: &[u8], step: usize, opts: CsvOptions) -> Batches {
    let mut out = Vec::new();
    let src = Trickle { text: text.to_vec(), at: 0, step };
    let mut r = match CsvReader::new(src, opts) {
        Ok(r) => r,
        Err(e) => return (out, Some(format!("{:?}", e.kind()))),
    };
    loop {
        let b = match r.next_batch() {
            Ok(Some(b)) => b,
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(format!("{:?}", e.kind()))),
        };
        let (first_row, lines) = (b.first_row, b.lines.clone());
        let batch = match b.decode() {
            Ok(batch) => batch,
            Err(e) => return (out, Some(format!("{:?}", e.kind()))),
        };
        let rows = (0..batch.num_rows())
            .map(|i| {
                let cell = |c: &arrow_array::ArrayRef| {
                    let s = c.as_any().downcast_ref::<StringArray>().unwrap();
                    (!s.is_null(i)).then(|| s.value(i).to_string())
                };
                batch.columns().iter().map(cell).collect()
            })
            .collect();
        out.push((first_row, lines, rows));
    }
}

/// Both ways of reading, on one input.
fn both_ways(text: &[u8], step: usize, batch_size: usize, batch_bytes: usize) -> (Batches, Batches) {
    both_ways_with(text, step, |o| (o.batch_size, o.batch_bytes, o.max_columns) = (batch_size, batch_bytes, 6))
}

fn both_ways_with(text: &[u8], step: usize, set: impl Fn(&mut CsvOptions)) -> (Batches, Batches) {
    let input = InputOptions { encoding: crate::rule::Encoding::Utf8, ..InputOptions::default() };
    let mut opts = CsvOptions::new(&input);
    set(&mut opts);
    let serial = CsvOptions { split_on_workers: false, ..opts.clone() };
    (batches(text, step, opts), batches(text, step, serial))
}

#[test]
fn split_on_workers_names_the_error_the_serial_reader_names() {
    // A field over the limit, then a ragged row in the same batch: the serial reader meets
    // the ragged row before any field length is checked.
    let (block, serial) = both_ways_with(b"a,b\n1,2345\n3\n", 1, |o| o.max_field_bytes = 3);
    assert_eq!(block, serial);
    assert!(block.1.as_deref().is_some_and(|e| e.contains("Ragged")), "{block:?}");
    // A record of 85,000 escaped quotes: 85,000 field bytes, within a 100,000-byte limit,
    // but 170,002 raw bytes, over what a record may take of the buffer (the limit + 64 KiB),
    // however far a block scan grew the buffer before handing the batch back.
    let mut text = b"a\n\"".to_vec();
    text.extend(std::iter::repeat_n(b"\"\"".as_slice(), 85_000).flatten());
    text.extend_from_slice(b"\"\n1\n");
    for step in [4096, 1 << 20] {
        let (block, serial) = both_ways_with(&text, step, |o| o.max_record_bytes = 100_000);
        assert_eq!(block, serial);
        assert!(block.1.as_deref().is_some_and(|e| e.contains("RecordTooLong")), "{block:?}");
    }
    // No rows per batch is read as one, both ways.
    let (block, serial) = both_ways_with(b"a\n1\n2\n", 1, |o| o.batch_size = 0);
    assert_eq!(block, serial);
    assert_eq!(block.0.len(), 2);
}

#[test]
fn split_on_workers_reads_every_batch_as_the_serial_reader_does() {
    // The cases speculation must get right, and the ones it must hand back: records after
    // empty lines (LF and CRLF), a quoted CR, a record ending at the input's end without a
    // line feed, a stray quote, text after a closing quote, a bare CR.
    let cases: &[&[u8]] = &[
        b"a,b\n1,2\n\n\n3,4\r\n\r\n5,\"x\r\ny\"\r\n6,7\n",
        b"a,b\n1,\"p\"\"q\"\n2,\"\n\"\n3,4",
        b"a,b\n1,2\n3,x\"y\n4,5\n",
        b"a,b\n1,2\n3,\"x\"y\n4,5\n",
        b"a,b\n1,2\r3,4\n5,6\n",
        b"a,b\n1,2\n3\n4,5\n",
        b"a,b\n1,2\n3,4,5,6,7,8,9\n",
        b"a,b\n1,2\n3,\"open\n4,5\n",
        // A stray quote that a scan taking it for an opening one would close on line 3.
        b"a,b\n1,x\"y\n2,\"\n3,4\n",
    ];
    for text in cases {
        for (step, batch) in [(1, 1), (3, 2), (64, 100)] {
            let (block, serial) = both_ways(text, step, batch, 1 << 20);
            assert_eq!(block, serial, "{:?} in steps of {step}", String::from_utf8_lossy(text));
        }
    }
    // The byte budget counts field bytes: `"p""q",x` holds 4 (and costs 2 × 16 besides), so
    // 73 bytes take two rows and end the batch with the third.
    let text = format!("a,b\n{}", "\"p\"\"q\",x\n".repeat(7));
    let (block, serial) = both_ways(text.as_bytes(), 5, 100, 73);
    assert_eq!(block, serial);
    let sizes: Vec<usize> = block.0.iter().map(|(_, _, rows)| rows.len()).collect();
    assert_eq!(sizes, [3, 3, 1]);
}

#[test]
fn split_on_workers_unescapes_a_pair_of_quotes_across_a_window_edge() {
    // The workers find fields 64 bytes at a time: a `""` pair whose quotes fall in two
    // windows, at every offset, and a line feed in quotes right after it.
    for k in 0..140 {
        for tail in ["y", "\ny"] {
            let text = format!("a,b\n1,\"{}\"\"{tail}\"\n", "x".repeat(k));
            let (block, serial) = both_ways(text.as_bytes(), 1 << 20, 100, 1 << 20);
            assert_eq!(block, serial, "{k}");
            let want = format!("{}\"{tail}", "x".repeat(k));
            assert_eq!(block.0[0].2[0][1].as_deref(), Some(want.as_str()), "{k}");
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 400, ..Default::default() })]
    /// Inputs built from the pieces speculation decides on (quotes, escapes, line breaks in
    /// and out of quotes, CR, empty lines, ragged rows, a missing final line feed), read in
    /// small batches and small reads: the same batches, lines, values and error.
    #[test]
    fn split_on_workers_agrees_with_the_serial_reader(
        rows in proptest::collection::vec(proptest::collection::vec(0usize..15, 1..5), 0..40),
        ends in proptest::collection::vec(0usize..5, 40),
        last_newline in proptest::bool::ANY,
        step in 1usize..300,
        batch_size in 1usize..9,
        batch_bytes in 40usize..600,
    ) {
        // The last three are long enough to put quotes, pairs and line breaks on both sides
        // of the workers' 64-byte windows.
        const FIELDS: [&str; 15] = [
            "x", "", "\"a,b\"", "\"l\nm\"", "\"c\r\nd\"", "\"p\"\"q\"", "\"\"", "\u{e9}\u{4e2d}",
            "s\"t", "\"u\"v", "w\rz", "\"\"\"\"",
            "\"a long, quoted field\"\" that holds \"\"pairs\"\",\n line feeds\r\n and commas\"",
            "an unquoted field of some sixty bytes, long enough to span a window",
            "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\",\"\"\n\"",
        ];
        const ENDS: [&str; 5] = ["\n", "\r\n", "\n\n", "\r\n\r\n", "\n"];
        let mut text = b"h1,h2,h3\n".to_vec();
        for (r, row) in rows.iter().enumerate() {
            let row: Vec<&str> = row.iter().map(|&f| FIELDS[f]).collect();
            text.extend_from_slice(row.join(",").as_bytes());
            if r + 1 < rows.len() || last_newline {
                text.extend_from_slice(ENDS[ends[r]].as_bytes());
            }
        }
        let (block, serial) = both_ways(&text, step, batch_size, batch_bytes);
        proptest::prop_assert_eq!(block, serial, "{:?}", String::from_utf8_lossy(&text));
    }
}

#[test]
fn a_buffer_grown_for_a_huge_record_is_given_back_on_both_paths() {
    // A 3 MiB record, then small ones in batches of 100: once it has passed, neither path
    // keeps a raw buffer sized for it.
    let mut text = format!("a,b\n1,{}\n", "x".repeat(3 << 20)).into_bytes();
    text.extend((0..2000).flat_map(|i| format!("{i},y\n").into_bytes()));
    for split_on_workers in [true, false] {
        let input = InputOptions { encoding: crate::rule::Encoding::Utf8, ..InputOptions::default() };
        let opts = CsvOptions { batch_size: 100, split_on_workers, ..CsvOptions::new(&input) };
        let mut r = CsvReader::new(std::io::Cursor::new(text.clone()), opts).unwrap();
        let mut rows = 0;
        while let Some(b) = r.next_batch().unwrap() {
            rows += b.decode().unwrap().num_rows(); // decoded at once: its buffers come back
        }
        assert_eq!(rows, 2001);
        assert!(r.buf.len() <= 1 << 20, "split_on_workers {split_on_workers}: {} bytes kept", r.buf.len());
    }
}

proptest::proptest! {
    /// The bit-mask search finds what `memchr3` finds, in order, from any start, across
    /// window edges and the haystack's end, and `seek` drops exactly the hits before it.
    #[test]
    fn hits_find_what_memchr3_finds(
        hay in proptest::collection::vec(proptest::sample::select(b"ab,\"\n\r".to_vec()), 0..300),
        from in 0usize..300,
        seek_by in 0usize..150,
    ) {
        use super::fast_path::Hits;
        let from = from.min(hay.len());
        let want: Vec<usize> = memchr::memchr3_iter(b',', b'"', b'\n', &hay[from..]).map(|i| from + i).collect();
        let mut hits = Hits::new(&hay, from, [b',', b'"', b'\n']);
        let got: Vec<usize> = std::iter::from_fn(|| hits.next_in(&hay)).collect();
        proptest::prop_assert_eq!(&got, &want);
        // Take the first hit, then seek past it by `seek_by`.
        let mut hits = Hits::new(&hay, from, [b',', b'"', b'\n']);
        let first = hits.next_in(&hay);
        let to = first.map_or(from, |f| f + 1) + seek_by;
        hits.seek(&hay, to);
        let rest: Vec<usize> = std::iter::from_fn(|| hits.next_in(&hay)).collect();
        let want_rest: Vec<usize> = want.iter().copied().filter(|&i| i >= to).collect();
        proptest::prop_assert_eq!(rest, want_rest);
    }
}
