//! Parquet page headers, checked before the parquet reader decodes a page: the reader sizes
//! its decompression buffer from the header's `uncompressed_page_size` (and for snappy fills
//! it with zeros), so a header claiming 2 GiB costs 2 GiB before anything finds the page
//! short. Every page of every column chunk is walked once, reading only its header (the
//! crate keeps its header decoder private, so this reads the few Thrift compact-protocol
//! fields it needs and skips the rest without allocating).
//!
//! A page claiming more than its codec can produce from its bytes is damage; the sum of the
//! claims counts against the decompression limits as decoded bytes do (size, ratio).

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use parquet::basic::Compression;
use parquet::file::metadata::ParquetMetaData;

use super::DecodedLimit;
use crate::error::InputProblem;

const DAMAGED: InputProblem =
    InputProblem::Corrupt { what: "Parquet file (a page header is damaged or claims more than its page holds)" };

/// Checks every page header of `meta`'s column chunks in `file` (`size` bytes long).
pub(super) fn check_pages(
    file: &File,
    meta: &ParquetMetaData,
    size: u64,
    limit: &DecodedLimit,
) -> Result<(), InputProblem> {
    let mut file = file.try_clone().map_err(|e| InputProblem::Io(e.kind()))?;
    let mut claimed = 0u64;
    for group in meta.row_groups() {
        for chunk in group.columns() {
            // Bytes the codec can make of one compressed byte at most (snappy: a 3-byte copy
            // of 64 bytes; zstd: a 4-byte RLE block of 128 KiB), plus a frame's slack.
            let expansion: u64 = match chunk.compression() {
                Compression::UNCOMPRESSED => 1,
                Compression::SNAPPY => 22,
                Compression::ZSTD(_) => 32 * 1024,
                _ => {
                    return Err(InputProblem::Unsupported(
                        "a Parquet file compressed other than with snappy or zstd (or uncompressed)",
                    ))
                }
            };
            let slack = if expansion == 1 { 0 } else { 1024 };
            // As the reader finds a chunk's pages: from its dictionary page (if any) on.
            let start = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset());
            let (Ok(mut at), Ok(mut left)) = (u64::try_from(start), u64::try_from(chunk.compressed_size())) else {
                return Err(DAMAGED);
            };
            if at.checked_add(left).is_none_or(|end| end > size) {
                return Err(DAMAGED);
            }
            while left > 0 {
                file.seek(SeekFrom::Start(at)).map_err(|e| InputProblem::Io(e.kind()))?;
                let mut header = Counted { inner: BufReader::with_capacity(256, (&mut file).take(left)), read: 0 };
                let (uncompressed, compressed) = page_sizes(&mut header).ok_or(DAMAGED)?;
                let (Ok(uncompressed), Ok(compressed)) = (u64::try_from(uncompressed), u64::try_from(compressed))
                else {
                    return Err(DAMAGED);
                };
                let page = header.read.checked_add(compressed).filter(|&p| p <= left).ok_or(DAMAGED)?;
                if uncompressed > compressed.saturating_mul(expansion).saturating_add(slack) {
                    return Err(DAMAGED);
                }
                claimed = claimed.saturating_add(uncompressed);
                limit.check(claimed, size)?;
                at += page;
                left -= page;
            }
        }
    }
    Ok(())
}

struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Counted<R> {
    fn byte(&mut self) -> Option<u8> {
        let mut b = [0u8; 1];
        self.inner.read_exact(&mut b).ok()?;
        self.read += 1;
        Some(b[0])
    }

    fn skip(&mut self, n: u64) -> Option<()> {
        let copied = io::copy(&mut (&mut self.inner).take(n), &mut io::sink()).ok()?;
        self.read += copied;
        (copied == n).then_some(())
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7F).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn zigzag(&mut self) -> Option<i64> {
        let v = self.varint()?;
        Some((v >> 1) as i64 ^ -((v & 1) as i64))
    }
}

// Thrift compact protocol type codes.
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;
const UUID: u8 = 13;

/// Nesting a page header never comes near (statistics sit two levels down).
const MAX_DEPTH: u32 = 16;

/// A `PageHeader`'s `uncompressed_page_size` (field 2) and `compressed_page_size` (field 3),
/// reading the whole header; `None` when it is not a well-formed header holding both.
fn page_sizes<R: Read>(r: &mut Counted<R>) -> Option<(i64, i64)> {
    let (mut uncompressed, mut compressed) = (None, None);
    let mut id: i16 = 0;
    loop {
        let head = r.byte()?;
        if head == 0 {
            break;
        }
        let kind = head & 0x0F;
        id = match head >> 4 {
            0 => i16::try_from(r.zigzag()?).ok()?,
            delta => id.checked_add(i16::from(delta))?,
        };
        match (id, kind) {
            (2, I32) => uncompressed = Some(r.zigzag()?),
            (3, I32) => compressed = Some(r.zigzag()?),
            _ => skip(r, kind, 0)?,
        }
    }
    Some((uncompressed?, compressed?))
}

/// Skips one value of compact type `kind` (a struct field's booleans carry their value in
/// the type code; in a collection they are one byte, which `element` says).
fn skip<R: Read>(r: &mut Counted<R>, kind: u8, depth: u32) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    match kind {
        BOOL_TRUE | BOOL_FALSE => Some(()),
        BYTE => r.skip(1),
        I16 | I32 | I64 => r.varint().map(drop),
        DOUBLE => r.skip(8),
        UUID => r.skip(16),
        BINARY => {
            let n = r.varint()?;
            r.skip(n)
        }
        LIST | SET => {
            let head = r.byte()?;
            let n = match head >> 4 {
                15 => r.varint()?,
                n => u64::from(n),
            };
            (0..n).try_for_each(|_| element(r, head & 0x0F, depth + 1))
        }
        MAP => {
            let n = r.varint()?;
            if n == 0 {
                return Some(());
            }
            let kinds = r.byte()?;
            (0..n).try_for_each(|_| {
                element(r, kinds >> 4, depth + 1)?;
                element(r, kinds & 0x0F, depth + 1)
            })
        }
        STRUCT => loop {
            let head = r.byte()?;
            if head == 0 {
                return Some(());
            }
            if head >> 4 == 0 {
                r.zigzag()?;
            }
            skip(r, head & 0x0F, depth + 1)?;
        },
        _ => None,
    }
}

/// Skips one element of a list, set or map.
fn element<R: Read>(r: &mut Counted<R>, kind: u8, depth: u32) -> Option<()> {
    match kind {
        BOOL_TRUE | BOOL_FALSE => r.skip(1),
        _ => skip(r, kind, depth),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(bytes: &[u8]) -> Option<(i64, i64, u64)> {
        let mut r = Counted { inner: bytes, read: 0 };
        page_sizes(&mut r).map(|(u, c)| (u, c, r.read))
    }

    #[test]
    fn page_headers_are_read_and_damage_is_found() {
        // type = DATA_PAGE (0), uncompressed = 100, compressed = 60, a data_page_header
        // struct holding an i32, a binary and a list of booleans, then STOP.
        let header = [
            0x15, 0x00, // field 1, i32 0
            0x15, 0xC8, 0x01, // field 2, i32 100
            0x15, 0x78, // field 3, i32 60
            0x2C, // field 5 (delta 2), struct
            0x15, 0x02, // field 1, i32 1
            0x18, 0x03, b'a', b'b', b'c', // field 2, binary "abc"
            0x19, 0x21, 0x01, 0x02, // field 3, list of 2 booleans
            0x00, // end of struct
            0x00, // STOP
        ];
        assert_eq!(sizes(&header), Some((100, 60, header.len() as u64)));
        // Cut anywhere, it is damaged.
        for cut in 0..header.len() {
            assert_eq!(sizes(&header[..cut]), None, "cut at {cut}");
        }
        // A binary claiming more bytes than there are.
        assert_eq!(sizes(&[0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00]), None);
        // Missing sizes.
        assert_eq!(sizes(&[0x15, 0x00, 0x00]), None);
        // Nesting past any real header.
        let deep: Vec<u8> = std::iter::repeat_n(0x1C, 40).chain(std::iter::repeat_n(0, 41)).collect();
        assert_eq!(sizes(&deep), None);
    }

    #[test]
    fn data_page_v2_headers_are_read_whether_compressed_or_not() {
        // type = DATA_PAGE_V2 (3), uncompressed = 100, compressed = 60, then field 8, the
        // data_page_header_v2: values 10, nulls 0, rows 10, encoding 6, definition levels 2
        // bytes, repetition levels 0, then is_compressed (a boolean carried in the type
        // nibble: 0x11 true, 0x12 false), the struct's end and STOP.
        let start = [
            0x15, 0x06, // field 1, i32 3
            0x15, 0xC8, 0x01, // field 2, i32 100
            0x15, 0x78, // field 3, i32 60
            0x5C, // field 8 (delta 5), struct
            0x15, 0x14, 0x15, 0x00, 0x15, 0x14, 0x15, 0x0C, 0x15, 0x04, 0x15, 0x00, // its fields 1-6
        ];
        for is_compressed in [0x11, 0x12] {
            let header = [&start[..], &[is_compressed, 0x00, 0x00]].concat();
            assert_eq!(sizes(&header), Some((100, 60, header.len() as u64)), "{is_compressed:#x}");
            for cut in 0..header.len() {
                assert_eq!(sizes(&header[..cut]), None, "cut at {cut}");
            }
        }
    }
}
