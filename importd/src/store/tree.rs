//! Removing a whole folder below a root, through directory handles: entries are unlinked
//! (a symlink's name, never what it points to), subfolders are opened without following
//! links or crossing mounts (such a folder is an error, never followed), and every folder
//! emptied is fsynced before its own name goes.

use std::ffi::OsStr;
use std::io;

use super::local::{is_dir, Dir, DirError};

/// What a removal took away.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    pub files: u64,
    pub bytes: u64,
}

impl Removed {
    pub fn add(&mut self, other: Removed) {
        self.files += other.files;
        self.bytes += other.bytes;
    }
}

/// Removes `name` below `parent` and everything in it; a missing `name` removes nothing.
/// The parent is fsynced at the end.
pub fn remove_tree(parent: &Dir, name: &str) -> io::Result<Removed> {
    let dir = match parent.open_dir(name) {
        Ok(d) => d,
        Err(DirError::Missing) => return Ok(Removed::default()),
        Err(DirError::Io(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(Removed::default()),
        Err(e) => return Err(io::Error::from(e)),
    };
    let removed = empty(&dir)?;
    parent.remove_dir(OsStr::new(name))?;
    parent.sync()?;
    Ok(removed)
}

/// Removes everything inside `dir` (which stays), depth first.
pub fn empty(dir: &Dir) -> io::Result<Removed> {
    let mut removed = Removed::default();
    for entry in dir.entries()? {
        if is_dir(&entry.stat) {
            let sub = dir.open_entry_dir(&entry.name).map_err(io::Error::from)?;
            removed.add(empty(&sub)?);
            dir.remove_dir(&entry.name)?;
        } else {
            removed.files += 1;
            removed.bytes += u64::try_from(entry.stat.st_size).unwrap_or(0);
            dir.remove_file(&entry.name)?;
        }
    }
    dir.sync()?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_goes_with_its_files_counted_and_a_symlink_inside_is_unlinked_not_followed() -> io::Result<()> {
        let root = tempfile::tempdir()?;
        let outside = tempfile::tempdir()?;
        std::fs::write(outside.path().join("keep.txt"), b"not ours")?;
        std::fs::create_dir_all(root.path().join("t/a/b"))?;
        std::fs::write(root.path().join("t/a/b/one"), b"12345")?;
        std::fs::write(root.path().join("t/two"), b"123")?;
        std::os::unix::fs::symlink(outside.path(), root.path().join("t/a/link"))?;
        let dir = Dir::open(root.path())?;
        let removed = remove_tree(&dir, "t")?;
        // Two files and the link's own name (its size is its target path's length).
        assert_eq!(removed.files, 3);
        assert!(removed.bytes > 8);
        assert!(!root.path().join("t").exists());
        assert!(outside.path().join("keep.txt").exists(), "the link's target is untouched");
        assert_eq!(remove_tree(&dir, "t")?, Removed::default(), "a missing folder removes nothing");
        Ok(())
    }
}
