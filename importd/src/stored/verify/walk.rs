//! What a tenant's storage holds: every entry below `<storage>/<tenant>/`, local or in an
//! object store, and what each is. Local folders are walked through directory handles: a
//! symbolic link is described, never followed, and a folder on another mount is not entered.

use std::ffi::OsStr;
use std::io;

use rustix::fs::FileType;

use crate::store::s3::ObjectDir;
use crate::store::{Dir, DirError, Refusal};

/// One entry found in storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Relative to the storage root (`<tenant>/…`); a name that is not UTF-8 has its bytes
    /// replaced (it can never be a committed output's path).
    pub path: String,
    pub what: What,
    /// Every name on the way was UTF-8: `path` names the entry exactly (and it can be looked
    /// up again).
    pub exact: bool,
}

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    File,
    /// A symbolic link (never followed).
    Link,
    /// A FIFO, socket or device.
    Special,
    /// A folder that was not entered (another mount, or unreadable).
    Closed(&'static str),
}

impl What {
    /// Why an entry that no import committed is what it is, for the difference's detail.
    pub fn describe(self) -> &'static str {
        match self {
            What::File => "a file",
            What::Link => "a symbolic link (not followed)",
            What::Special => "not a regular file (a FIFO, socket or device)",
            What::Closed(why) => why,
        }
    }
}

/// Folders deeper than this below the tenant's are not entered (outputs are three deep).
const MAX_DEPTH: usize = 32;

/// Every entry below `<root>/<tenant>/` (nothing when that folder does not exist). Folders
/// are walked with a stack, never recursion, so a deep hostile tree cannot exhaust it.
pub fn local(root: &Dir, tenant: &str) -> io::Result<Vec<Found>> {
    let top = match root.open_dir(tenant) {
        Ok(d) => d,
        Err(DirError::Missing) => return Ok(Vec::new()),
        Err(DirError::Refused(r)) => {
            return Ok(vec![Found { path: tenant.to_string(), what: refused(r), exact: true }])
        }
        Err(DirError::Io(e)) => return Err(e),
    };
    let mut out = Vec::new();
    let mut stack = vec![(top, tenant.to_string(), true, 0usize)];
    while let Some((dir, at, exact_so_far, depth)) = stack.pop() {
        for entry in dir.entries()? {
            let exact = exact_so_far && entry.name.to_str().is_some();
            let path = format!("{at}/{}", entry.name.to_string_lossy());
            let what = match FileType::from_raw_mode(entry.stat.st_mode) {
                FileType::Directory if depth >= MAX_DEPTH => What::Closed("a folder nested too deep to be walked"),
                FileType::Directory => match open_below(&dir, &entry.name) {
                    Ok(sub) => {
                        stack.push((sub, path, exact, depth + 1));
                        continue;
                    }
                    Err(DirError::Missing) => continue, // removed while walking
                    Err(DirError::Refused(r)) => refused(r),
                    Err(DirError::Io(_)) => What::Closed("a folder that cannot be read"),
                },
                FileType::RegularFile => What::File,
                FileType::Symlink => What::Link,
                _ => What::Special,
            };
            out.push(Found { path, what, exact });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// A folder below `dir` by its name, UTF-8 or not (`Dir::open_dir` takes text paths).
fn open_below(dir: &Dir, name: &OsStr) -> Result<Dir, DirError> {
    match name.to_str() {
        Some(n) => dir.open_dir(n),
        None => Err(DirError::Io(io::Error::from(io::ErrorKind::InvalidData))),
    }
}

fn refused(r: Refusal) -> What {
    match r {
        Refusal::Symlink => What::Link,
        Refusal::MountCrossing => What::Closed("a folder on another mount (not entered)"),
        Refusal::NotADirectory => What::Special,
        Refusal::OutsideRoot => What::Closed("a folder whose name is not a plain path"),
    }
}

/// Every object below `<prefix>/<tenant>/`.
pub fn object(store: &ObjectDir, tenant: &str) -> io::Result<Vec<Found>> {
    Ok(store.list_all(tenant)?.into_iter().map(|(path, _)| Found { path, what: What::File, exact: true }).collect())
}

/// Whether `path` (`<tenant>/…`) lies in the drop area that shares the storage place: files
/// directly in a dataset's folder (inputs not yet taken) and its `.importd/` folder (archived
/// and quarantined inputs of an object-store drop).
pub fn in_drop_area(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() == 3 || parts.get(2) == Some(&crate::daemon::objects::KEPT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::symlink;

    #[test]
    fn the_walk_describes_links_and_fifos_and_never_follows_a_link() -> io::Result<()> {
        let t = tempfile::tempdir()?;
        let r = t.path();
        std::fs::create_dir_all(r.join("acme/orders/date=2026-01-01"))?;
        std::fs::create_dir_all(r.join("outside"))?;
        std::fs::write(r.join("outside/secret.parquet"), b"x")?;
        std::fs::write(r.join("acme/orders/date=2026-01-01/a.parquet"), b"x")?;
        symlink(r.join("outside"), r.join("acme/orders/date=2026-01-02"))?;
        symlink(r.join("outside/secret.parquet"), r.join("acme/orders/date=2026-01-01/b.parquet"))?;
        rustix::fs::mkfifoat(rustix::fs::CWD, r.join("acme/fifo"), rustix::fs::Mode::from_raw_mode(0o600))?;
        std::fs::write(r.join("acme/odd\nname"), b"x")?;
        let found = local(&Dir::open(r)?, "acme")?;
        let got: Vec<(&str, What)> = found.iter().map(|f| (f.path.as_str(), f.what)).collect();
        assert!(found.iter().all(|f| f.exact));
        assert_eq!(
            got,
            vec![
                ("acme/fifo", What::Special),
                ("acme/odd\nname", What::File),
                ("acme/orders/date=2026-01-01/a.parquet", What::File),
                ("acme/orders/date=2026-01-01/b.parquet", What::Link),
                ("acme/orders/date=2026-01-02", What::Link),
            ]
        );
        assert!(local(&Dir::open(r)?, "nobody")?.is_empty());
        symlink(r.join("outside"), r.join("linked"))?;
        assert_eq!(
            local(&Dir::open(r)?, "linked")?,
            vec![Found { path: "linked".into(), what: What::Link, exact: true }]
        );
        // A name that is not UTF-8 is found, and marked as not exactly named.
        std::fs::write(r.join("acme").join(std::ffi::OsStr::from_bytes(b"bad\xffname")), b"x")?;
        let odd: Vec<Found> = local(&Dir::open(r)?, "acme")?.into_iter().filter(|f| !f.exact).collect();
        assert_eq!(odd.len(), 1, "{odd:?}");
        assert_eq!(odd[0].path, "acme/bad\u{fffd}name");
        Ok(())
    }

    #[test]
    fn the_drop_area_is_the_dataset_folders_files_and_kept_inputs() {
        assert!(in_drop_area("acme/orders/in.csv"));
        assert!(in_drop_area("acme/orders/.importd/archive/x"));
        assert!(!in_drop_area("acme/orders/date=2026-01-01/x.parquet"));
        assert!(!in_drop_area("acme/stray"));
    }
}
