//! Publishing a file atomically: write to a temporary name in the target directory, fsync,
//! rename over the final name, fsync the directory. A reader sees the old file, the new
//! file, or nothing, never a partial one; a crash leaves at most a hidden `.tmp` file.
//!
//! Write-behind: while a large output is written, a background thread fdatasyncs what is
//! already there every [`SYNC_EVERY`] bytes, so the commit's fsync waits only for the last
//! part instead of the whole file (the disk works while the CPU does). A background sync's
//! failure fails the commit: Linux reports a write-back error to one fsync of an open file
//! description only, and the background syncs share the staged file's description.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

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
    /// The write-behind syncs of [`Staged::writer_behind`]'s writers.
    behind: Arc<Behind>,
}

/// Bytes written between two write-behind syncs.
pub const SYNC_EVERY: u64 = 8 << 20;

/// The background syncs of one staged file: how many run, and the first failure.
#[derive(Debug, Default)]
struct Behind {
    state: Mutex<BehindState>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct BehindState {
    running: bool,
    failed: Option<io::ErrorKind>,
    /// Syncs finished, failed or not.
    syncs: u64,
}

impl Behind {
    /// Waits for a running sync; the first failure of any, if one failed.
    fn settle(&self) -> io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.running {
            state = self.done.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        match state.failed {
            Some(kind) => Err(io::Error::new(kind, "a write-behind fdatasync of the output failed")),
            None => Ok(()),
        }
    }
}

/// A staged file's writer that starts its write-back early: after every [`SYNC_EVERY`]
/// bytes (when no sync is running) a background thread fdatasyncs the file. It writes
/// through at once: give it few, large writes (the Parquet writer's pages, or an
/// [`io::BufWriter`]); the commit waits for the last sync and fails if any did.
#[derive(Debug)]
pub struct WriteBehind {
    file: File,
    unsynced: u64,
    every: u64,
    behind: Arc<Behind>,
}

impl WriteBehind {
    fn start_sync(&mut self) -> io::Result<()> {
        {
            let mut state = self.behind.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.running {
                return Ok(()); // the next write past the threshold tries again
            }
            state.running = true;
        }
        self.unsynced = 0;
        let (file, behind) = (self.file.try_clone(), self.behind.clone());
        let spawned = file.and_then(|file| {
            let behind = behind.clone();
            std::thread::Builder::new().name("write-behind".into()).spawn(move || {
                // Whatever ends the sync, a panic included, ends it as a failure unless it
                // returned: a commit never waits forever nor trusts an unfinished sync.
                let mut done = SyncDone { behind, result: Err(io::ErrorKind::Other) };
                done.result = injected_write_behind_failure().and_then(|()| file.sync_data()).map_err(|e| e.kind());
            })
        });
        if let Err(e) = spawned {
            // No thread: nothing runs, and the commit's own fsync covers these bytes.
            let mut state = behind.state.lock().unwrap_or_else(|e| e.into_inner());
            state.running = false;
            drop(state);
            behind.done.notify_all();
            return Err(e);
        }
        Ok(())
    }
}

/// The end of one background sync, recorded when it is dropped (also by a panic).
struct SyncDone {
    behind: Arc<Behind>,
    result: Result<(), io::ErrorKind>,
}

impl Drop for SyncDone {
    fn drop(&mut self) {
        let mut state = self.behind.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(kind) = self.result {
            state.failed.get_or_insert(kind);
        }
        state.running = false;
        state.syncs += 1;
        self.behind.done.notify_all();
    }
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unsynced += n as u64;
        if self.unsynced >= self.every {
            // Only an optimization: a failure to start one is not the write's failure.
            let _ = self.start_sync();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
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
        Ok(Staged {
            dir,
            temp,
            target: name.to_os_string(),
            file,
            published: false,
            no_replace: false,
            behind: Arc::default(),
        })
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

    /// A writer that syncs behind itself every [`SYNC_EVERY`] bytes (see [`WriteBehind`]);
    /// `sync_every` `None` writes without it (a file that is uploaded, not kept).
    pub fn writer_behind(&self, sync_every: Option<u64>) -> io::Result<WriteBehind> {
        Ok(WriteBehind {
            file: self.file.try_clone()?,
            unsynced: 0,
            every: sync_every.unwrap_or(u64::MAX),
            behind: self.behind.clone(),
        })
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
    /// A write-behind sync still running is waited for, and its failure is the commit's.
    pub fn commit(mut self) -> Result<(), PublishError> {
        let before = |error| PublishError { error, published: false };
        self.behind.settle().map_err(before)?;
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

/// Fault injection for the tests (crash-point builds only): `publish.write_behind=return`
/// makes write-behind syncs fail as if the disk had reported an I/O error.
fn injected_write_behind_failure() -> io::Result<()> {
    #[cfg(all(feature = "failpoints", debug_assertions))]
    if fail::eval("publish.write_behind", |_| ()).is_some() {
        return Err(io::Error::other("injected write-behind failure"));
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

    /// Writes 1 MiB of numbered lines through a write-behind writer syncing every 4 KiB.
    fn write_mib(staged: &Staged) -> io::Result<Vec<u8>> {
        let mut expected = Vec::new();
        let mut out = io::BufWriter::with_capacity(1000, staged.writer_behind(Some(4096))?);
        for i in 0..60_000 {
            let line = format!("{i:016}\n");
            out.write_all(line.as_bytes())?;
            expected.extend_from_slice(line.as_bytes());
        }
        out.flush()?;
        Ok(expected)
    }

    #[test]
    fn write_behind_syncs_while_writing_and_the_commit_publishes_every_byte() -> Result<(), Box<dyn std::error::Error>>
    {
        // Serialized with the test that makes these syncs fail (fail points are global).
        #[cfg(all(feature = "failpoints", debug_assertions))]
        let _scenario = fail::FailScenario::setup();
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("out.parquet");
        let staged = Staged::new(&target)?;
        let expected = write_mib(&staged)?;
        let behind = staged.behind.clone();
        staged.commit()?;
        assert!(behind.state.lock().unwrap().syncs > 0, "no sync ran behind the writer");
        assert_eq!(std::fs::read(&target)?, expected);
        Ok(())
    }

    /// Writes 1 MiB with every write-behind sync doing `action` (a fail point action) and
    /// commits: the commit must fail before the rename and leave no file.
    #[cfg(all(feature = "failpoints", debug_assertions))]
    fn commit_with_syncs_that(action: &str) -> Result<(), Box<dyn std::error::Error>> {
        let _scenario = fail::FailScenario::setup();
        let dir = tempfile::tempdir()?;
        let staged = Staged::new(&dir.path().join("out.parquet"))?;
        fail::cfg("publish.write_behind", action)?;
        let written = write_mib(&staged);
        // Removed only after the commit: a sync still starting must fail too.
        let committed = written.map(|_| staged.commit());
        fail::remove("publish.write_behind");
        let err = committed?.expect_err("the commit trusted a failed write-behind sync");
        assert!(!err.published);
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 0, "the failed output was left behind");
        Ok(())
    }

    #[test]
    #[cfg(all(feature = "failpoints", debug_assertions))]
    fn a_failed_write_behind_sync_fails_the_commit_and_publishes_nothing() -> Result<(), Box<dyn std::error::Error>> {
        // The failure a background fdatasync saw is reported by no later fsync of the same
        // file description: only the recorded failure stops the rename.
        commit_with_syncs_that("return")
    }

    #[test]
    #[cfg(all(feature = "failpoints", debug_assertions))]
    fn a_panicking_write_behind_sync_fails_the_commit_instead_of_hanging_it() -> Result<(), Box<dyn std::error::Error>>
    {
        commit_with_syncs_that("panic")
    }
}
