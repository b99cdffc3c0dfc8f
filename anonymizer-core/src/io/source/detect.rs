//! Which format an input is: by `[input] format`, else by the name's extension, else by its
//! first bytes. A new input format is added here and gets its own folder under `io/`.

use crate::rule::InputFormat;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Detected {
    Csv(bool),
    Jsonl,
    Parquet,
    ArrowFile,
    ArrowStream,
}

impl From<InputFormat> for Detected {
    fn from(f: InputFormat) -> Self {
        match f {
            InputFormat::Tsv => Detected::Csv(true),
            InputFormat::Jsonl => Detected::Jsonl,
            InputFormat::Parquet => Detected::Parquet,
            InputFormat::Auto | InputFormat::Csv => Detected::Csv(false),
        }
    }
}

pub(super) fn by_extension(name: &str) -> Option<Detected> {
    Some(match name.rsplit_once('.')?.1 {
        "csv" | "txt" => Detected::Csv(false),
        "tsv" | "tab" => Detected::Csv(true),
        "jsonl" | "ndjson" | "json" => Detected::Jsonl,
        "parquet" | "pq" => Detected::Parquet,
        "arrow" | "feather" | "ipc" => Detected::ArrowFile,
        "arrows" => Detected::ArrowStream,
        _ => return None,
    })
}

pub(super) fn by_content(head: &[u8]) -> Detected {
    if head.starts_with(b"PAR1") {
        Detected::Parquet
    } else if head.starts_with(b"ARROW1") {
        Detected::ArrowFile
    } else if head.starts_with(&[0xFF, 0xFF, 0xFF, 0xFF]) {
        Detected::ArrowStream
    } else if starts_with_brace(head) {
        Detected::Jsonl
    } else {
        Detected::Csv(false)
    }
}

/// Whether the first byte after a UTF-8 BOM and whitespace is `{`.
fn starts_with_brace(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognized_by_content() {
        assert_eq!(by_content(b"PAR1...."), Detected::Parquet);
        assert_eq!(by_content(b"ARROW1\0\0"), Detected::ArrowFile);
        assert_eq!(by_content(b"  {\"a\":1}\n"), Detected::Jsonl);
        assert_eq!(by_content(b"\xEF\xBB\xBF{\"a\":1}\n"), Detected::Jsonl); // after a UTF-8 BOM
        assert_eq!(by_content(b"a,b\n"), Detected::Csv(false));
    }
}
