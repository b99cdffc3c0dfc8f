//! Publishing a file atomically: write to a temporary name in the target directory, fsync,
//! rename over the final name, fsync the directory. A reader sees the old file, the new
//! file, or nothing, never a partial one; a crash leaves at most a hidden `.tmp` file.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// An output file being written under a temporary name next to its final path.
#[derive(Debug)]
pub struct Staged {
    temp: NamedTempFile,
    target: PathBuf,
}

impl Staged {
    /// Creates `.<name>.<random>.tmp` in `target`'s directory.
    pub fn new(target: &Path) -> io::Result<Staged> {
        let dir = parent_dir(target);
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(dir)?;
        Ok(Staged { temp, target: target.to_path_buf() })
    }

    /// A second handle to write through (the staged file keeps its own for the commit).
    pub fn writer(&self) -> io::Result<File> {
        self.temp.as_file().try_clone()
    }

    /// fsync → rename → fsync the directory. Dropping a `Staged` instead removes the file.
    pub fn commit(self) -> io::Result<PathBuf> {
        injected_fsync_failure()?;
        self.temp.as_file().sync_all()?;
        self.temp.persist(&self.target).map_err(|e| e.error)?;
        File::open(parent_dir(&self.target))?.sync_all()?;
        Ok(self.target)
    }
}

/// Creates `dir` and any missing parents, fsyncing each parent a directory was created in,
/// so a published file's path survives a crash.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        ensure_dir(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => File::open(parent_dir(dir))?.sync_all(),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// SHA-256 of a file's content, hex.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let mut f = File::open(path)?;
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

/// Fault injection for the end-to-end tests, in debug builds only: with
/// `IMPORTD_TEST_FAIL_FSYNC=N` the first N output fsyncs of the process fail as if the disk
/// had reported an I/O error. Release builds have no such hook.
fn injected_fsync_failure() -> io::Result<()> {
    #[cfg(debug_assertions)]
    {
        use std::sync::atomic::{AtomicU64, Ordering};
        static FAILED: AtomicU64 = AtomicU64::new(0);
        let wanted = std::env::var("IMPORTD_TEST_FAIL_FSYNC").ok().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        if FAILED.load(Ordering::Relaxed) < wanted {
            FAILED.fetch_add(1, Ordering::Relaxed);
            return Err(io::Error::other("injected fsync failure"));
        }
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
