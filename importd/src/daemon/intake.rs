//! Taking a file from a drop folder: claim by an atomic rename into `<state_dir>/processing/`
//! (after which the customer cannot change the name under us), then open it without
//! following links and without blocking, and check with `fstat` that it is one regular file
//! within the size limit. Everything else is refused, never followed or read.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustix::fs::{FileType, Stat};

use crate::daemon::outcome::{Reason, ReasonKind};
use crate::store::Dir;

/// Why a claimed entry is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Symlink,
    Fifo,
    Device,
    Socket,
    Directory,
    Hardlink {
        links: u64,
    },
    TooLarge {
        size: u64,
        limit: u64,
    },
    /// Its size or modification time changed after the claim (someone still writing through an open handle).
    Changed,
}

impl Refusal {
    pub fn reason(&self) -> Reason {
        let (kind, message) = match self {
            Refusal::Symlink => (ReasonKind::RefusedSymlink, "the entry is a symbolic link; links are never followed".to_string()),
            Refusal::Fifo => (ReasonKind::RefusedFifo, "the entry is a FIFO (named pipe), not a file".to_string()),
            Refusal::Device => (ReasonKind::RefusedDevice, "the entry is a device node, not a file".to_string()),
            Refusal::Socket => (ReasonKind::RefusedSocket, "the entry is a socket, not a file".to_string()),
            Refusal::Directory => (ReasonKind::RefusedDirectory, "the entry is a directory, not a file".to_string()),
            Refusal::Hardlink { links } => (
                ReasonKind::RefusedHardlink,
                format!("the file has {links} hard links; only a file with one name is imported"),
            ),
            Refusal::TooLarge { size, limit } => {
                (ReasonKind::TooLarge, format!("the file has {size} bytes, more than the limit of {limit} bytes"))
            }
            Refusal::Changed => (
                ReasonKind::ChangedDuringImport,
                "the file was changed while it was being imported (it was still being written); upload under a temporary name, then rename".to_string(),
            ),
        };
        Reason::new(kind, message)
    }
}

/// Refuses anything but a regular file with one link, judged from an `lstat`/`fstat`.
#[allow(clippy::unnecessary_cast)] // the field types differ between architectures
pub fn check(st: &Stat, limit: u64) -> Result<(), Refusal> {
    match FileType::from_raw_mode(st.st_mode) {
        FileType::Symlink => return Err(Refusal::Symlink),
        FileType::Fifo => return Err(Refusal::Fifo),
        FileType::BlockDevice | FileType::CharacterDevice => return Err(Refusal::Device),
        FileType::Socket => return Err(Refusal::Socket),
        FileType::Directory => return Err(Refusal::Directory),
        FileType::RegularFile => {}
        FileType::Unknown => return Err(Refusal::Device),
    }
    let (links, size) = (st.st_nlink as u64, st.st_size as u64);
    if links != 1 {
        return Err(Refusal::Hardlink { links });
    }
    if size > limit {
        return Err(Refusal::TooLarge { size, limit });
    }
    Ok(())
}

/// What opening a claimed entry gave.
#[derive(Debug)]
pub enum Opened {
    File(File, Metadata),
    Refused(Refusal),
}

/// Opens a claimed entry in `dir`: `lstat` first (a special file is never opened at all),
/// then `openat(O_NOFOLLOW | O_NONBLOCK)` and `fstat` on the handle, which must be the same
/// inode.
pub fn open_claimed(dir: &Dir, name: &OsStr, limit: u64) -> io::Result<Opened> {
    let before = dir.stat(name)?;
    if let Err(r) = check(&before, limit) {
        return Ok(Opened::Refused(r));
    }
    let file = match dir.open_file(name) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Ok(Opened::Refused(Refusal::Symlink))
        }
        Err(e) => return Err(e),
    };
    let after = rustix::fs::fstat(&file)?;
    if let Err(r) = check(&after, limit) {
        return Ok(Opened::Refused(r));
    }
    if after.st_ino != before.st_ino || after.st_dev != before.st_dev {
        return Ok(Opened::Refused(Refusal::Changed));
    }
    let meta = file.metadata()?;
    Ok(Opened::File(file, meta))
}

/// Whether the file behind `file` still has the size, mtime, ctime and link count it had
/// when opened (ctime catches a rewrite whose mtime was set back).
pub fn unchanged(file: &File, opened: &Metadata) -> io::Result<bool> {
    let now = file.metadata()?;
    Ok(now.len() == opened.len()
        && now.mtime() == opened.mtime()
        && now.mtime_nsec() == opened.mtime_nsec()
        && now.ctime() == opened.ctime()
        && now.ctime_nsec() == opened.ctime_nsec()
        && now.nlink() == opened.nlink())
}

/// fsyncs a directory so the renames and creations in it are durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Names customers' upload tools use while a file is still being written.
pub fn is_upload_in_progress(name: &OsStr) -> bool {
    let b = name.as_bytes();
    const SUFFIXES: [&[u8]; 5] = [b".tmp", b".part", b".partial", b".filepart", b".crdownload"];
    b.first() == Some(&b'.')
        || SUFFIXES.iter().any(|s| b.len() >= s.len() && b[b.len() - s.len()..].eq_ignore_ascii_case(s))
}

/// A file name for logs and records: printable ASCII and UTF-8 letters kept, everything else
/// (control characters, invalid UTF-8, quotes, backslashes) escaped. Names are opaque bytes.
/// Bidirectional overrides, zero-width and other invisible format characters: in a log line
/// they could make a name read as something else.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

pub fn escape_name(name: &OsStr) -> String {
    let mut out = String::new();
    for chunk in name.as_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() || is_invisible_format(c) || c == '\\' || c == '"' {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn upload_names() -> Result<(), Box<dyn std::error::Error>> {
        for n in [".x.csv", "a.csv.part", "a.CSV.TMP", "a.partial", "b.filepart", "c.crdownload", "a.tmp"] {
            assert!(is_upload_in_progress(OsStr::new(n)), "{n}");
        }
        for n in ["a.csv", "tmp.csv", "part", "a.parts", "x.csv.gz"] {
            assert!(!is_upload_in_progress(OsStr::new(n)), "{n}");
        }
        Ok(())
    }

    #[test]
    fn names_are_escaped() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(escape_name(OsStr::from_bytes(b"a\nb\xff\"c.csv")), "a\\nb\\xff\\\"c.csv");
        assert_eq!(escape_name(OsStr::new("Müller.csv")), "Müller.csv");
        assert_eq!(escape_name(OsStr::new("a\u{202E}vsc.exe")), "a\\u{202e}vsc.exe");
        Ok(())
    }

    #[test]
    fn special_files_are_refused_without_blocking() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("t.csv");
        std::fs::write(&target, "a\n1\n")?;
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&target, &link)?;
        let hard = dir.path().join("hard.csv");
        std::fs::hard_link(&target, &hard)?;
        let fifo = dir.path().join("fifo.csv");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from_raw_mode(0o600))?;
        let sub = dir.path().join("x.csv");
        std::fs::create_dir(&sub)?;
        assert_eq!(refused(&link, 1 << 20)?, Some(Refusal::Symlink));
        assert_eq!(refused(&hard, 1 << 20)?, Some(Refusal::Hardlink { links: 2 }));
        assert_eq!(refused(&fifo, 1 << 20)?, Some(Refusal::Fifo));
        assert_eq!(refused(&sub, 1 << 20)?, Some(Refusal::Directory));
        std::fs::remove_file(&hard)?;
        assert_eq!(refused(&target, 1 << 20)?, None);
        assert_eq!(refused(&target, 3)?, Some(Refusal::TooLarge { size: 4, limit: 3 }));
        Ok(())
    }

    /// Why `open_claimed` refused `p`, or `None` if it opened it.
    fn refused(p: &Path, limit: u64) -> std::io::Result<Option<Refusal>> {
        let (Some(parent), Some(name)) = (p.parent(), p.file_name()) else { return Ok(None) };
        Ok(match open_claimed(&Dir::open(parent)?, name, limit)? {
            Opened::Refused(r) => Some(r),
            Opened::File(..) => None,
        })
    }
}
