//! Compressed inputs: gzip, zstd and a zip archive of one file, recognized by magic bytes,
//! with limits on decompressed size and ratio that stop a bomb.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{into_read, io_problem, peek, problem, Input, SourceOptions};
use crate::error::{Error, InputProblem};

type Decompressed = (Input, Option<&'static str>, Option<String>);

/// Unwraps gzip, zstd or a zip archive of one file (by magic bytes; a `.gz`/`.zst`/`.zip`
/// name without them is an error). Also returns the zipped file's name.
pub(super) fn decompress(mut input: Input, name: &str, so: &SourceOptions) -> Result<Decompressed, Error> {
    let magic = peek(&mut input, 4)?;
    let kind = if magic.starts_with(&[0x1F, 0x8B]) {
        "gzip"
    } else if magic.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        "zstd"
    } else if magic.starts_with(b"PK\x03\x04") {
        "zip"
    } else {
        if [".gz", ".zst", ".zstd", ".zip"].iter().any(|e| name.ends_with(e)) {
            return Err(problem(InputProblem::Corrupt {
                what: "compressed input (its name says so, its first bytes do not)",
            }));
        }
        return Ok((input, None, None));
    };
    let consumed = Arc::new(AtomicU64::new(0));
    let mut inner_name = None;
    let decoded: Box<dyn Read + Send> = match kind {
        "gzip" => {
            let raw = Counted { inner: into_read(input), count: consumed.clone() };
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(raw)))
        }
        "zstd" => {
            let raw = Counted { inner: into_read(input), count: consumed.clone() };
            Box::new(zstd::stream::read::Decoder::new(raw).map_err(io_problem)?)
        }
        _ => {
            let Input::File(file) = input else {
                return Err(problem(InputProblem::Unsupported("a zip archive read from a stream")));
            };
            let entry = zip_entry(file)?;
            inner_name = Some(entry.name);
            let raw = Counted { inner: entry.data, count: consumed.clone() };
            if entry.deflated {
                Box::new(flate2::read::DeflateDecoder::new(BufReader::new(raw)))
            } else {
                Box::new(raw)
            }
        }
    };
    let limited = Limited {
        inner: decoded,
        out: 0,
        consumed,
        max_bytes: so.max_decompressed_bytes,
        max_ratio: so.max_ratio,
        ratio_after: so.ratio_after,
        kind,
    };
    Ok((Input::Stream(Box::new(limited)), Some(kind), inner_name))
}

/// The one data file of a zip archive.
struct ZipEntry {
    name: String,
    /// Its stored bytes (deflated or not).
    data: std::io::Take<File>,
    deflated: bool,
}

fn zip_entry(file: File) -> Result<ZipEntry, Error> {
    let damaged = || problem(InputProblem::Corrupt { what: "zip archive (damaged)" });
    let mut archive = zip::ZipArchive::new(file.try_clone().map_err(io_problem)?).map_err(|_| damaged())?;
    let mut found = None;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| damaged())?;
        if entry.is_dir() || entry.name().starts_with("__MACOSX/") {
            continue;
        }
        if found.is_some() {
            return Err(problem(InputProblem::Unsupported("a zip archive holding more than one file")));
        }
        found = Some((entry.name().to_string(), entry.data_start(), entry.compressed_size(), entry.compression()));
    }
    let Some((name, start, size, method)) = found else {
        return Err(problem(InputProblem::Empty));
    };
    let deflated = if method == zip::CompressionMethod::Stored {
        false
    } else if method == zip::CompressionMethod::DEFLATE {
        true
    } else {
        return Err(problem(InputProblem::Unsupported("a zip entry compressed other than with deflate")));
    };
    let mut data = file;
    data.seek(SeekFrom::Start(start)).map_err(io_problem)?;
    Ok(ZipEntry { name, data: data.take(size), deflated })
}

struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Stops a decompression bomb: fails past `max_bytes`, or past `max_ratio` once more than
/// `ratio_after` bytes came out. The failure is an `io::Error` carrying a [`InputProblem`] so readers
/// report it as such.
struct Limited {
    inner: Box<dyn Read + Send>,
    out: u64,
    consumed: Arc<AtomicU64>,
    max_bytes: u64,
    max_ratio: u64,
    ratio_after: u64,
    kind: &'static str,
}

impl Read for Limited {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::InvalidInput
                || e.kind() == io::ErrorKind::InvalidData
                || e.kind() == io::ErrorKind::UnexpectedEof
                || e.kind() == io::ErrorKind::Other
            {
                io::Error::new(io::ErrorKind::InvalidData, LimitError(InputProblem::Corrupt { what: self.kind_text() }))
            } else {
                e
            }
        })?;
        self.out += n as u64;
        if self.out > self.max_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                LimitError(InputProblem::DecompressedTooLarge { limit: self.max_bytes }),
            ));
        }
        let consumed = self.consumed.load(Ordering::Relaxed).max(1);
        if self.out > self.ratio_after && self.out / consumed > self.max_ratio {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                LimitError(InputProblem::CompressionRatio { limit: self.max_ratio }),
            ));
        }
        Ok(n)
    }
}

impl Limited {
    fn kind_text(&self) -> &'static str {
        if self.kind == "gzip" {
            "gzip stream (damaged or truncated)"
        } else {
            "zstd stream (damaged or truncated)"
        }
    }
}

/// An input problem found below a `Read` (decompression); readers unwrap it with [`from_io`].
#[derive(Debug)]
pub(crate) struct LimitError(pub InputProblem);

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for LimitError {}

/// The input problem behind an I/O error: a decompression limit or damage, else the kind.
pub(crate) fn from_io(e: &io::Error) -> InputProblem {
    limit_problem(e).unwrap_or(InputProblem::Io(e.kind()))
}

/// The decompression limit or damage behind an I/O error, if that is what it carries.
pub(crate) fn limit_problem(e: &io::Error) -> Option<InputProblem> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<LimitError>()).map(|LimitError(p)| p.clone())
}
