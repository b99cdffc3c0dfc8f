//! A Parquet file whose page header lies about its size, shared by the core's size-claim
//! tests and the hostile-sizes suite (`tests/hostile.rs`, which includes this file).

use std::io::Write;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::{ParquetMetaDataReader, ParquetMetaDataWriter};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

fn temp_file(bytes: &[u8]) -> std::fs::File {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(bytes).unwrap();
    std::io::Seek::rewind(&mut f).unwrap();
    f
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// A small valid Parquet file (one Int64 column, one row group, one page, `codec`) whose
/// only page header says its page decompresses to `claim` bytes (`None`: what it does); the
/// footer is rewritten so the file is otherwise whole.
pub fn lying_parquet(codec: Compression, claim: Option<i32>) -> Vec<u8> {
    let ids: Int64Array = (0..1000).map(Some).collect();
    let batch = RecordBatch::try_from_iter(vec![("id", Arc::new(ids) as ArrayRef)]).unwrap();
    let props = WriterProperties::builder()
        .set_compression(codec)
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_offset_index_disabled(true)
        .build();
    let mut bytes = Vec::new();
    let mut w = ArrowWriter::try_new(&mut bytes, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();

    let meta = ParquetMetaDataReader::new().parse_and_finish(&temp_file(&bytes)).unwrap();
    let chunk = meta.row_group(0).column(0).clone();
    // The page header: field 1 (type, i32), field 2 (uncompressed_page_size, i32), ...
    let mut at = chunk.data_page_offset() as usize;
    assert_eq!(bytes[at], 0x15, "field 1, i32");
    at += 2; // DATA_PAGE is 0: a one-byte varint
    assert_eq!(bytes[at], 0x15, "field 2, i32");
    at += 1;
    let old_len = bytes[at..].iter().position(|b| b & 0x80 == 0).unwrap() + 1;
    let new = match claim {
        Some(claim) => varint(((i64::from(claim) << 1) ^ (i64::from(claim) >> 63)) as u64),
        None => bytes[at..at + old_len].to_vec(),
    };
    let grown = (new.len() - old_len) as i64;

    let n = bytes.len();
    let footer_len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(&new);
    out.extend_from_slice(&bytes[at + old_len..n - 8 - footer_len]);
    let chunk = chunk.into_builder().set_total_compressed_size(chunk_size(&meta) + grown).build().unwrap();
    let group = meta.row_group(0).clone().into_builder().set_column_metadata(vec![chunk]).build().unwrap();
    let meta = meta.into_builder().set_row_groups(vec![group]).build();
    ParquetMetaDataWriter::new(&mut out, &meta).finish().unwrap();
    out
}

fn chunk_size(meta: &parquet::file::metadata::ParquetMetaData) -> i64 {
    meta.row_group(0).column(0).compressed_size()
}
