//! Publishing a file atomically: write to a temporary name in the target directory, fsync,
//! rename over the final name, fsync the directory. A reader sees the old file, the new
//! file, or nothing, never a partial one; a crash leaves at most a hidden `.tmp` file.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::store::Dir;

/// A file being written under a temporary name next to its final name, in a held folder.
#[derive(Debug)]
pub struct Staged {
    dir: Dir,
    temp: OsString,
    target: OsString,
    file: File,
    published: bool,
    /// Refuse to publish over an existing file (daemon outputs: never replaced).
    no_replace: bool,
}

impl Staged {
    /// Stages `target` in its folder, which is opened by its path (the CLI's `-o`).
    pub fn new(target: &Path) -> io::Result<Staged> {
        let name = target.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
        Staged::in_dir(Dir::open(parent_dir(target))?, name)
    }

    /// Creates `.<name>.<random>.tmp` in `dir` (mode 0600, never an existing file or a link).
    pub fn in_dir(dir: Dir, name: &OsStr) -> io::Result<Staged> {
        use ring::rand::SecureRandom;
        let mut r = [0u8; 6];
        ring::rand::SystemRandom::new().fill(&mut r).map_err(|_| io::Error::other("random source failed"))?;
        let mut temp = OsString::from(".");
        temp.push(name);
        temp.push(format!(".{}.tmp", data_encoding::HEXLOWER.encode(&r)));
        let file = dir.create_new(&temp, 0o600)?;
        Ok(Staged { dir, temp, target: name.to_os_string(), file, published: false, no_replace: false })
    }

    /// Publishing fails (`AlreadyExists`) rather than replace an existing file.
    pub fn never_replacing(mut self) -> Staged {
        self.no_replace = true;
        self
    }

    /// A second handle to write through (the staged file keeps its own for the commit).
    pub fn writer(&self) -> io::Result<File> {
        self.file.try_clone()
    }

    /// SHA-256 (hex) of what was written so far, read back from the file.
    pub fn sha256(&self) -> io::Result<String> {
        let mut f = self.file.try_clone()?;
        f.seek(SeekFrom::Start(0))?;
        sha256_of(&mut f)
    }

    /// The final name.
    pub fn name(&self) -> &OsStr {
        &self.target
    }

    /// fsync → rename over the final name → fsync the folder. The rename is the commit
    /// point: once it happened the file is published even if the folder's fsync then fails
    /// (the error is returned, the file stays). Dropping a `Staged` unpublished removes it.
    pub fn commit(mut self) -> Result<(), PublishError> {
        let before = |error| PublishError { error, published: false };
        injected_fsync_failure().map_err(before)?;
        self.file.sync_all().map_err(before)?;
        crash_point!("publish.before_rename");
        let renamed = if self.no_replace {
            self.dir.rename_new(&self.temp, &self.dir, &self.target)
        } else {
            self.dir.rename(&self.temp, &self.dir, &self.target)
        };
        renamed.map_err(before)?;
        self.published = true;
        crash_point!("publish.after_rename");
        self.dir.sync().map_err(|error| PublishError { error, published: true })
    }
}

/// Publishing failed; `published` says whether the rename (the commit point) happened.
#[derive(Debug)]
pub struct PublishError {
    pub error: io::Error,
    pub published: bool,
}

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let when = if self.published { "after" } else { "before" };
        write!(f, "publishing failed {when} the rename ({})", self.error.kind())
    }
}

impl std::error::Error for PublishError {}

impl From<PublishError> for io::Error {
    fn from(e: PublishError) -> io::Error {
        e.error
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.published && self.dir.remove_file(&self.temp).is_ok() {
            // A rollback made durable: the temporary file does not come back after a crash.
            let _ = self.dir.sync();
        }
    }
}

/// SHA-256 (hex) of a file's content from where it is positioned.
pub fn sha256_of(f: &mut File) -> io::Result<String> {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(data_encoding::HEXLOWER.encode(ctx.finish().as_ref()))
}

/// Fault injection for the tests (crash-point builds only): `FAILPOINTS="publish.fsync=2*return"`
/// makes the next two output fsyncs fail as if the disk had reported an I/O error.
fn injected_fsync_failure() -> io::Result<()> {
    #[cfg(all(feature = "failpoints", debug_assertions))]
    if fail::eval("publish.fsync", |_| ()).is_some() {
        return Err(io::Error::other("injected fsync failure"));
    }
    Ok(())
}

fn parent_dir(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn uncommitted_output_leaves_nothing() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("out.parquet");
        {
            let staged = Staged::new(&target)?;
            staged.writer()?.write_all(b"partial")?;
        }
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 0);
        let staged = Staged::new(&target)?;
        staged.writer()?.write_all(b"whole")?;
        staged.commit()?;
        assert_eq!(std::fs::read(&target)?, b"whole");
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }
}
