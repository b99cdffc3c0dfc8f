//! Whole-word matching of a value inside text or bytes: a match counts only when the
//! characters on both sides are not part of a longer identifier (letters, digits, `.`, `_`,
//! `-`, `+`, `@`), so `anna@example.com` is not found inside `joanna@example.com` and a token
//! is not found inside a longer token.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// Whether `c` can continue an identifier (an address, a token, a number).
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '@')
}

/// Whether `hay` holds `needle` with a boundary on both sides.
pub fn within(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// Context bytes kept on each side of a match (the longest UTF-8 character).
const CONTEXT: usize = 4;

/// The last character of `ctx` (bytes before a match); `None` at the start of the file.
/// Bytes that are not UTF-8 count as part of a word (no boundary).
fn last_char(ctx: &[u8]) -> Option<char> {
    if ctx.is_empty() {
        return None;
    }
    (0..ctx.len())
        .rev()
        .find_map(|k| std::str::from_utf8(&ctx[k..]).ok().and_then(|s| s.chars().next_back()))
        .or(Some('a'))
}

/// The first character of `ctx` (bytes after a match); `None` at the end of the file.
fn first_char(ctx: &[u8]) -> Option<char> {
    if ctx.is_empty() {
        return None;
    }
    (1..=ctx.len()).find_map(|k| std::str::from_utf8(&ctx[..k]).ok().and_then(|s| s.chars().next())).or(Some('a'))
}

/// Whether the file's bytes hold `needle` with a boundary on both sides, read a block at a
/// time (`block` bytes; a match across blocks and its context are kept).
pub fn file_holds(file: &File, needle: &[u8], block: usize) -> Result<bool, String> {
    let io = |e: std::io::Error| format!("the copy cannot be read ({})", e.kind());
    if needle.is_empty() {
        return Ok(false);
    }
    let finder = memchr::memmem::Finder::new(needle);
    let mut f = file.try_clone().map_err(io)?;
    f.seek(SeekFrom::Start(0)).map_err(io)?;
    let keep = needle.len() + 2 * CONTEXT;
    let mut buf = vec![0u8; block.max(1) + keep];
    let mut kept = 0;
    // Absolute offset of buf[0], and the first match start not judged yet.
    let mut base = 0u64;
    let mut judged = 0u64;
    loop {
        let n = f.read(&mut buf[kept..]).map_err(io)?;
        let eof = n == 0;
        let end = kept + n;
        let mut next = (base + end as u64).saturating_sub(needle.len() as u64 - 1);
        for p in finder.find_iter(&buf[..end]) {
            let at = base + p as u64;
            if at < judged {
                continue;
            }
            let stop = p + needle.len();
            if !eof && stop + CONTEXT > end {
                next = next.min(at);
                break;
            }
            let before = last_char(&buf[p.saturating_sub(CONTEXT)..p]);
            let after = first_char(&buf[stop..(stop + CONTEXT).min(end)]);
            if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
                return Ok(true);
            }
        }
        if eof {
            return Ok(false);
        }
        judged = judged.max(next);
        let tail = keep.min(end);
        buf.copy_within(end - tail..end, 0);
        base += (end - tail) as u64;
        kept = tail;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_value_inside_a_longer_identifier_is_not_a_match() {
        let v = "anna@example.com";
        assert!(within("write to anna@example.com", v));
        assert!(within("anna@example.com", v));
        assert!(within("(anna@example.com), thanks", v));
        assert!(within("«anna@example.com»", v));
        for other in [
            "joanna@example.com",
            "anna@example.com.au",
            "x.anna@example.com",
            "anna@example.community",
            "éanna@example.com",
        ] {
            assert!(!within(other, v), "{other}");
        }
        assert!(!within("u_ABCDEFGHIJu_ABC", "u_ABC"), "a token inside a longer token");
        assert!(!within("", v) && !within(v, ""));
    }

    fn file(bytes: &[u8]) -> File {
        let mut f = tempfile::tempfile().expect("temp");
        f.write_all(bytes).expect("write");
        f
    }

    #[test]
    fn the_byte_search_keeps_boundaries_across_blocks() {
        let v = b"anna@example.com";
        for block in [1, 3, 7, 16, 17, 20, 64, 1 << 20] {
            for pre in [&b""[..], b"x,", b"jo", b"\xc3\xa9", b"\xff"] {
                for post in [&b""[..], b",y\n", b".au", b"\xc3\xa9"] {
                    let mut bytes = b"id,email\n1,".to_vec();
                    bytes.extend_from_slice(&b"z".repeat(block.min(40)));
                    bytes.extend_from_slice(b",");
                    bytes.extend_from_slice(pre);
                    bytes.extend_from_slice(v);
                    bytes.extend_from_slice(post);
                    let word = |c: &u8| c.is_ascii_alphanumeric() || *c == b'.' || *c >= 0x80;
                    let want = !pre.last().is_some_and(word) && !post.first().is_some_and(word);
                    assert_eq!(
                        file_holds(&file(&bytes), v, block),
                        Ok(want),
                        "block {block} pre {pre:?} post {post:?}"
                    );
                }
            }
        }
        // A near miss first, the real one later in another block.
        let mut bytes = b"joanna@example.com ".repeat(50);
        bytes.extend_from_slice(b"anna@example.com");
        assert_eq!(file_holds(&file(&bytes), v, 5), Ok(true));
        assert_eq!(file_holds(&file(b"joanna@example.com"), v, 5), Ok(false));
        assert_eq!(file_holds(&file(b""), v, 5), Ok(false));
    }
}
