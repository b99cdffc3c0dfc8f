//! What one committed output's path holds now: its SHA-256, streamed (a local file in 1 MiB
//! reads, an object a piece at a time as it arrives), never a file in memory whole.

use std::ffi::OsStr;
use std::io;

use rustix::fs::FileType;
use rustix::io::Errno;

use crate::daemon::publish::sha256_of;
use crate::store::s3::ObjectDir;
use crate::store::{Dir, DirError, Refusal};

/// What is at an output's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    Missing,
    /// A regular file (or object) with this SHA-256 (hex).
    Sha256(String),
    /// Something that is not the file: why.
    NotAFile(&'static str),
}

/// The output at `rel` (`<tenant>/<dataset>/date=…/<id>.parquet`) below a local root.
pub fn local(root: &Dir, rel: &str) -> io::Result<Held> {
    let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let dir = if folder.is_empty() {
        root.try_clone()?
    } else {
        match root.open_dir(folder) {
            Ok(d) => d,
            Err(DirError::Missing) => return Ok(Held::Missing),
            Err(DirError::Refused(Refusal::Symlink)) => {
                return Ok(Held::NotAFile("a folder on its way is a symbolic link (not followed)"))
            }
            Err(DirError::Refused(Refusal::NotADirectory)) => {
                return Ok(Held::NotAFile("a folder on its way is not a folder"))
            }
            Err(e) => return Err(e.into()),
        }
    };
    let mut file = match dir.open_file(OsStr::new(name)) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Held::Missing),
        Err(e) if e.raw_os_error() == Some(Errno::LOOP.raw_os_error()) => {
            return Ok(Held::NotAFile("it is a symbolic link (not followed)"))
        }
        Err(e) => return Err(e),
    };
    let st = rustix::fs::fstat(&file)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Ok(Held::NotAFile("it is not a regular file"));
    }
    Ok(Held::Sha256(sha256_of(&mut file)?))
}

/// The output object at `rel` below an object-store prefix.
pub fn object(store: &ObjectDir, rel: &str) -> io::Result<Held> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    Ok(match store.stream(rel, |piece| ctx.update(piece))? {
        None => Held::Missing,
        Some(_) => Held::Sha256(data_encoding::HEXLOWER.encode(ctx.finish().as_ref())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_local_output_is_hashed_and_links_are_not_followed() -> io::Result<()> {
        let t = tempfile::tempdir()?;
        let r = t.path();
        std::fs::create_dir_all(r.join("a/d/p"))?;
        std::fs::write(r.join("a/d/p/x.parquet"), b"abc")?;
        symlink(r.join("a/d/p/x.parquet"), r.join("a/d/p/y.parquet"))?;
        symlink(r.join("a/d/p"), r.join("a/d/q"))?;
        let root = Dir::open(r)?;
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(local(&root, "a/d/p/x.parquet")?, Held::Sha256(abc.into()));
        assert!(matches!(local(&root, "a/d/p/y.parquet")?, Held::NotAFile(_)));
        assert!(matches!(local(&root, "a/d/q/x.parquet")?, Held::NotAFile(_)));
        assert_eq!(local(&root, "a/d/p/z.parquet")?, Held::Missing);
        assert_eq!(local(&root, "a/none/p/z.parquet")?, Held::Missing);
        Ok(())
    }
}
