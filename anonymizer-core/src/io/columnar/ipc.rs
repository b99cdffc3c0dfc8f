//! Arrow IPC framing, checked before arrow's reader sees it: each message's declared sizes
//! (a hostile length prefix would make the reader allocate gigabytes before it finds out the
//! bytes are not there) and the end of the data (a cut stream or file must fail, not end
//! early as if it were whole).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The largest Arrow IPC message (metadata or body) read from a stream; from a file, also
/// never more than the file holds.
pub(super) const MAX_MESSAGE: u64 = 2 << 30;

/// How a message sequence may end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// A stream: only with its end-of-stream marker (continuation, then length 0). Without
    /// it, the writer stopped or the copy was cut, and the rows read so far are not the file.
    Marker,
    /// The messages of an Arrow file, whose footer was found whole: the marker, or the end
    /// of the bytes before the footer at a message boundary.
    MarkerOrBoundary,
}

/// Passes an Arrow IPC stream through to arrow's reader, one whole message at a time, after
/// checking its declared metadata and body sizes; counts the bytes it consumed.
pub(super) struct IpcGuard<R> {
    inner: R,
    limit: u64,
    end: End,
    out: Vec<u8>,
    pos: usize,
    done: bool,
    consumed: Arc<AtomicU64>,
}

fn bad(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl<R: Read> IpcGuard<R> {
    pub(super) fn new(inner: R, limit: u64, end: End) -> Self {
        IpcGuard {
            inner,
            limit: limit.min(MAX_MESSAGE),
            end,
            out: Vec::new(),
            pos: 0,
            done: false,
            consumed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Bytes consumed so far (shared: the reader owns the guard).
    pub(super) fn consumed(&self) -> Arc<AtomicU64> {
        self.consumed.clone()
    }

    /// Fills `buf` as far as the input goes; how many bytes that was.
    fn read_full(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match self.inner.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn read_exact_counted(&mut self, buf: &mut [u8], what: &'static str) -> io::Result<()> {
        if self.read_full(buf)? < buf.len() {
            return Err(bad(what));
        }
        Ok(())
    }

    /// Appends exactly `n` bytes to `out`, growing it as they arrive: a declared size is
    /// never allocated ahead of the bytes that back it.
    fn append_counted(&mut self, n: u64, out: &mut Vec<u8>, what: &'static str) -> io::Result<()> {
        let read = (&mut self.inner).take(n).read_to_end(out)? as u64;
        self.consumed.fetch_add(read, Ordering::Relaxed);
        if read < n {
            return Err(bad(what));
        }
        Ok(())
    }

    /// Reads the next whole message into `out` (or ends the stream).
    fn next_message(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        let mut word = [0u8; 4];
        match self.read_full(&mut word)? {
            0 if self.end == End::MarkerOrBoundary => {
                self.done = true;
                return Ok(());
            }
            0 => return Err(bad("the stream ends without its end-of-stream marker (truncated)")),
            4 => {}
            _ => return Err(bad("the stream ends inside a message prefix (truncated)")),
        }
        let mut prefix = word.to_vec();
        if word == [0xFF; 4] {
            self.read_exact_counted(&mut word, "the stream ends inside a message prefix (truncated)")?;
            prefix.extend_from_slice(&word);
        }
        let meta_len = i32::from_le_bytes(word);
        self.out.extend_from_slice(&prefix);
        if meta_len == 0 {
            self.done = true; // the end-of-stream marker
            return Ok(());
        }
        if meta_len < 0 {
            return Err(bad("a message prefix declares a negative length"));
        }
        if meta_len as u64 > self.limit {
            return Err(bad("message metadata larger than the input"));
        }
        let mut meta = Vec::new();
        self.append_counted(meta_len as u64, &mut meta, "the stream ends inside a message (truncated)")?;
        let body = arrow_ipc::root_as_message(&meta).map_err(|_| bad("message metadata unreadable"))?.bodyLength();
        if body < 0 || body as u64 > self.limit {
            return Err(bad("message body larger than the input"));
        }
        self.out.extend_from_slice(&meta);
        let mut out = std::mem::take(&mut self.out);
        let read = self.append_counted(body as u64, &mut out, "the stream ends inside a message body (truncated)");
        self.out = out;
        read
    }
}

impl<R: Read> Read for IpcGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.next_message()?;
            if self.out.is_empty() {
                return Ok(0);
            }
        }
        let n = (self.out.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The messages of an Arrow IPC file.
pub(super) struct FileMessages {
    /// Positioned after the leading magic and padding, ending where the footer starts.
    pub(super) bytes: io::Chain<io::Cursor<[u8; 4]>, io::Take<File>>,
    pub(super) len: u64,
    /// Record batches the footer lists: the messages must hold exactly these.
    pub(super) batches: usize,
}

/// The messages of an Arrow IPC file (`ARROW1`, padding, the stream format, the footer, its
/// length, `ARROW1`). `None` when the file is not whole: a missing trailing magic, or a
/// footer that does not fit or does not parse, is a cut or damaged file.
pub(super) fn file_messages(mut file: File) -> Option<FileMessages> {
    const MAGIC: &[u8; 6] = b"ARROW1";
    let size = file.metadata().ok()?.len();
    // Leading magic padded to 8, a message prefix, the footer's length and the magic.
    if size < 8 + 4 + 10 {
        return None;
    }
    let mut tail = [0u8; 10];
    file.seek(SeekFrom::Start(size - 10)).ok()?;
    file.read_exact(&mut tail).ok()?;
    if &tail[4..] != MAGIC {
        return None;
    }
    let footer_len = u64::try_from(i32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]])).ok()?;
    let footer_start = (size - 10).checked_sub(footer_len)?;
    if footer_len == 0 || footer_start < 8 {
        return None;
    }
    let mut footer = vec![0u8; footer_len as usize];
    file.seek(SeekFrom::Start(footer_start)).ok()?;
    file.read_exact(&mut footer).ok()?;
    let batches = arrow_ipc::root_as_footer(&footer).ok()?.recordBatches().map_or(0, |b| b.len());

    file.seek(SeekFrom::Start(0)).ok()?;
    let mut magic = [0u8; 8];
    file.read_exact(&mut magic).ok()?;
    if &magic[..6] != MAGIC {
        return None;
    }
    // Writers pad the magic to their alignment (8 or 64 bytes) with zeros; the first
    // message's prefix follows.
    let mut word = [0u8; 4];
    let mut at = 8u64;
    loop {
        file.read_exact(&mut word).ok()?;
        at += 4;
        if word != [0; 4] || at > 64 {
            break;
        }
    }
    let rest = footer_start.checked_sub(at)?;
    Some(FileMessages { bytes: io::Cursor::new(word).chain(file.take(rest)), len: rest + 4, batches })
}
