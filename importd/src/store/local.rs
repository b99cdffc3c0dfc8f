//! Local folders through directory handles. A [`Dir`] is an open directory; every path below
//! it is resolved from the handle with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
//! RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS)`, so a symlinked folder, a `..` or a mount
//! crossing is refused by the kernel instead of followed. Only a configured root
//! (`drop_dir`, `state_dir`, `storage_dir`, a CLI output's folder) is opened by path: that
//! path is the operator's choice. Files are opened with `O_NOFOLLOW | O_NONBLOCK`, renames go
//! between held handles (`renameat`), and nothing here ever follows a link.
//!
//! Kernels before 5.6 have no `openat2`; there the same walk is done one component at a time
//! (`openat(O_NOFOLLOW | O_DIRECTORY)`, the device compared with the root's), which refuses
//! exactly what the flags refuse.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

use rustix::fs::{self as rfs, AtFlags, Mode, OFlags, RenameFlags, ResolveFlags};
use rustix::io::Errno;

/// An open directory.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    dev: u64,
    ino: u64,
}

/// Why a folder below a root is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The folder (or one on the way to it) is a symbolic link.
    Symlink,
    /// It is a file, a FIFO, a device: anything but a directory.
    NotADirectory,
    /// It is (or the way to it crosses) another mount.
    MountCrossing,
    /// The path is not a plain relative path (`..`, absolute, empty).
    OutsideRoot,
}

impl Refusal {
    /// A stable word for logs and metric labels.
    pub fn word(self) -> &'static str {
        match self {
            Refusal::Symlink => "symlink",
            Refusal::NotADirectory => "not_a_directory",
            Refusal::MountCrossing => "mount_crossing",
            Refusal::OutsideRoot => "outside_root",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::Symlink => "it is a symbolic link (folders are never followed)",
            Refusal::NotADirectory => "it is not a directory",
            Refusal::MountCrossing => "it is on another mount",
            Refusal::OutsideRoot => "the path leaves its root",
        })
    }
}

/// Opening a folder below a root failed.
#[derive(Debug)]
pub enum DirError {
    Missing,
    Refused(Refusal),
    Io(io::Error),
}

impl DirError {
    fn from_errno(e: Errno) -> DirError {
        match e {
            Errno::NOENT => DirError::Missing,
            Errno::LOOP => DirError::Refused(Refusal::Symlink),
            Errno::NOTDIR => DirError::Refused(Refusal::NotADirectory),
            Errno::XDEV => DirError::Refused(Refusal::MountCrossing),
            other => DirError::Io(other.into()),
        }
    }
}

impl From<DirError> for io::Error {
    fn from(e: DirError) -> io::Error {
        match e {
            DirError::Missing => io::Error::from(io::ErrorKind::NotFound),
            DirError::Refused(r) => io::Error::other(format!("refused folder: {r}")),
            DirError::Io(e) => e,
        }
    }
}

impl fmt::Display for DirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirError::Missing => f.write_str("it does not exist"),
            DirError::Refused(r) => r.fmt(f),
            DirError::Io(e) => write!(f, "{}", e.kind()),
        }
    }
}

const RESOLVE: ResolveFlags = ResolveFlags::BENEATH
    .union(ResolveFlags::NO_SYMLINKS)
    .union(ResolveFlags::NO_XDEV)
    .union(ResolveFlags::NO_MAGICLINKS);
const DIR_FLAGS: OFlags = OFlags::RDONLY.union(OFlags::DIRECTORY).union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);

static SYNC_FAILURE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The first failed folder fsync of this process, if any.
pub fn sync_failure() -> Option<&'static str> {
    SYNC_FAILURE.get().map(String::as_str)
}

/// What settles a file: (size, mtime seconds, mtime nanoseconds, inode). A file that kept
/// the same stamp across two scans is complete; a claim re-checks it.
pub type Stamp = (u64, i64, i64, u64);

/// The stamp of an `lstat`/`fstat`.
#[allow(clippy::unnecessary_cast)] // the field types differ between architectures
pub fn stamp(st: &rfs::Stat) -> Stamp {
    (st.st_size as u64, st.st_mtime as i64, st.st_mtime_nsec as i64, st.st_ino as u64)
}

/// Whether an `lstat` describes a directory (a link to one is not).
pub fn is_dir(st: &rfs::Stat) -> bool {
    rfs::FileType::from_raw_mode(st.st_mode) == rfs::FileType::Directory
}

/// One entry of a directory listing, with its `lstat`.
#[derive(Debug)]
pub struct Entry {
    pub name: OsString,
    pub stat: rfs::Stat,
}

impl Dir {
    /// Opens a configured root by its path (symlinks in that path are the operator's choice).
    pub fn open(path: &Path) -> io::Result<Dir> {
        let fd = rfs::open(path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
        Dir::from_fd(fd).map_err(io::Error::from)
    }

    fn from_fd(fd: OwnedFd) -> Result<Dir, Errno> {
        let st = rfs::fstat(&fd)?;
        Ok(Dir { fd, dev: st.st_dev, ino: st.st_ino })
    }

    /// The folder's (device, inode): two handles with the same id are the same folder.
    pub fn id(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }

    /// Opens the folder `rel` (one or more plain components) below this one, refusing
    /// symlinks, mount crossings and anything that is not a directory.
    pub fn open_dir(&self, rel: &str) -> Result<Dir, DirError> {
        if !is_plain(rel) {
            return Err(DirError::Refused(Refusal::OutsideRoot));
        }
        match rfs::openat2(&self.fd, rel, DIR_FLAGS, Mode::empty(), RESOLVE) {
            Ok(fd) => Dir::from_fd(fd).map_err(DirError::from_errno),
            Err(Errno::NOSYS) => self.open_dir_by_components(rel),
            Err(e) => Err(self.not_a_dir(rel, e)),
        }
    }

    /// `open_dir` without `openat2`: one `openat(O_NOFOLLOW | O_DIRECTORY)` per component,
    /// each on this folder's device.
    fn open_dir_by_components(&self, rel: &str) -> Result<Dir, DirError> {
        let mut cur: Option<Dir> = None;
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            let parent = cur.as_ref().unwrap_or(self);
            let fd = rfs::openat(&parent.fd, part, DIR_FLAGS, Mode::empty()).map_err(|e| parent.not_a_dir(part, e))?;
            let next = Dir::from_fd(fd).map_err(DirError::from_errno)?;
            if next.dev != self.dev {
                return Err(DirError::Refused(Refusal::MountCrossing));
            }
            cur = Some(next);
        }
        cur.ok_or(DirError::Refused(Refusal::OutsideRoot))
    }

    /// Opens the subfolder `name` (one component, any bytes) without following a link or
    /// crossing a mount.
    pub fn open_entry_dir(&self, name: &OsStr) -> Result<Dir, DirError> {
        one_component(name).map_err(DirError::Io)?;
        let fd = rfs::openat(&self.fd, name, DIR_FLAGS, Mode::empty()).map_err(DirError::from_errno)?;
        let dir = Dir::from_fd(fd).map_err(DirError::from_errno)?;
        if dir.dev != self.dev {
            return Err(DirError::Refused(Refusal::MountCrossing));
        }
        Ok(dir)
    }

    /// `O_DIRECTORY | O_NOFOLLOW` on a symlink says ENOTDIR: tell the two apart by `lstat`.
    fn not_a_dir(&self, rel: &str, e: Errno) -> DirError {
        if e == Errno::NOTDIR {
            if let Ok(st) = rfs::statat(&self.fd, rel, AtFlags::SYMLINK_NOFOLLOW) {
                if rfs::FileType::from_raw_mode(st.st_mode) == rfs::FileType::Symlink {
                    return DirError::Refused(Refusal::Symlink);
                }
            }
        }
        DirError::from_errno(e)
    }

    /// Opens `rel` below this folder, creating missing folders (each new one made durable by
    /// an fsync of its parent). Existing symlinks on the way are refused, never followed.
    pub fn create_dir_all(&self, rel: &str) -> Result<Dir, DirError> {
        if !is_plain(rel) {
            return Err(DirError::Refused(Refusal::OutsideRoot));
        }
        let mut cur: Option<Dir> = None;
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            let parent = cur.as_ref().unwrap_or(self);
            let next = match parent.open_dir(part) {
                Ok(d) => d,
                Err(DirError::Missing) => {
                    match rfs::mkdirat(&parent.fd, part, Mode::from_raw_mode(0o750)) {
                        Ok(()) => parent.sync().map_err(DirError::Io)?,
                        Err(Errno::EXIST) => {}
                        Err(e) => return Err(DirError::from_errno(e)),
                    }
                    parent.open_dir(part)?
                }
                Err(e) => return Err(e),
            };
            cur = Some(next);
        }
        cur.ok_or(DirError::Refused(Refusal::OutsideRoot))
    }

    /// Every entry but `.` and `..`, with its `lstat` (links are described, never followed).
    /// An entry that vanishes during the listing is left out.
    pub fn entries(&self) -> io::Result<Vec<Entry>> {
        let mut out = Vec::new();
        let mut dir = rfs::Dir::read_from(&self.fd)?;
        while let Some(entry) = dir.read() {
            let entry = entry?;
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let name = OsStr::from_bytes(name).to_os_string();
            match rfs::statat(&self.fd, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => out.push(Entry { name, stat }),
                Err(Errno::NOENT) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// The plain subfolders (links, other mounts and unreadable ones are left out).
    pub fn subfolders(&self) -> Vec<Dir> {
        let entries = self.entries().unwrap_or_default();
        entries
            .into_iter()
            .filter(|e| is_dir(&e.stat))
            .filter_map(|e| e.name.to_str().and_then(|n| self.open_dir(n).ok()))
            .collect()
    }

    /// `lstat` of one entry.
    pub fn stat(&self, name: &OsStr) -> io::Result<rfs::Stat> {
        one_component(name)?;
        Ok(rfs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW)?)
    }

    /// Opens an entry for reading without following a link and without blocking (a FIFO
    /// or device never holds the caller); what it is must still be checked with `fstat`.
    pub fn open_file(&self, name: &OsStr) -> io::Result<File> {
        one_component(name)?;
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        Ok(File::from(rfs::openat(&self.fd, name, flags, Mode::empty())?))
    }

    /// Creates a new file (never an existing one, never through a link) for writing and
    /// reading back.
    pub fn create_new(&self, name: &OsStr, mode: u32) -> io::Result<File> {
        one_component(name)?;
        let flags = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(File::from(rfs::openat(&self.fd, name, flags, Mode::from_raw_mode(mode))?))
    }

    /// Renames `from` in this folder to `to` in `dest`, replacing an existing `to`.
    pub fn rename(&self, from: &OsStr, dest: &Dir, to: &OsStr) -> io::Result<()> {
        one_component(from)?;
        one_component(to)?;
        Ok(rfs::renameat(&self.fd, from, &dest.fd, to)?)
    }

    /// Renames `from` in this folder to `to` in `dest`; fails (`AlreadyExists`) if `to` exists.
    pub fn rename_new(&self, from: &OsStr, dest: &Dir, to: &OsStr) -> io::Result<()> {
        one_component(from)?;
        one_component(to)?;
        Ok(rfs::renameat_with(&self.fd, from, &dest.fd, to, RenameFlags::NOREPLACE)?)
    }

    /// Removes a file's name (a link's name, never what it points to).
    pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
        one_component(name)?;
        Ok(rfs::unlinkat(&self.fd, name, AtFlags::empty())?)
    }

    /// Removes an empty folder.
    pub fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
        one_component(name)?;
        Ok(rfs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR)?)
    }

    /// fsyncs the folder, so the creations, renames and removals in it are durable. A
    /// failure is also remembered for the whole process ([`sync_failure`]): after it, what is
    /// on disk can no longer be trusted, and the daemon stops instead of carrying on.
    pub fn sync(&self) -> io::Result<()> {
        #[cfg(all(feature = "failpoints", debug_assertions))]
        let injected = fail::eval("store.dir_sync", |_| ()).map(|()| Errno::IO);
        #[cfg(not(all(feature = "failpoints", debug_assertions)))]
        let injected: Option<Errno> = None;
        injected.map_or_else(|| rfs::fsync(&self.fd), Err).map_err(|e| {
            let e = io::Error::from(e);
            let _ = SYNC_FAILURE.set(format!("a folder could not be fsynced ({})", e.kind()));
            e
        })
    }

    /// Free bytes for unprivileged users on this folder's filesystem.
    pub fn free_bytes(&self) -> io::Result<u64> {
        let s = rfs::fstatvfs(&self.fd)?;
        Ok(s.f_bavail.saturating_mul(s.f_frsize))
    }

    /// A second handle on the same folder.
    pub fn try_clone(&self) -> io::Result<Dir> {
        Ok(Dir { fd: self.fd.as_fd().try_clone_to_owned()?, dev: self.dev, ino: self.ino })
    }
}

/// A relative path of plain components (no `..`, `.`, root or empty component).
fn is_plain(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.starts_with('/')
        && Path::new(rel).components().all(|c| matches!(c, Component::Normal(_)))
        && rel.split('/').all(|p| !p.is_empty() && p != "." && p != "..")
}

/// Names passed to the `*at` calls are single components: no `/`, not `.` or `..`.
fn one_component(name: &OsStr) -> io::Result<()> {
    let b = name.as_bytes();
    if b.is_empty() || b == b"." || b == b".." || b.contains(&b'/') || b.contains(&0) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a single path component"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// `root/{real/inner, file, link -> real, up -> .., abs -> /tmp}`.
    fn tree() -> io::Result<(tempfile::TempDir, Dir)> {
        let t = tempfile::tempdir()?;
        let r = t.path();
        std::fs::create_dir_all(r.join("real/inner"))?;
        std::fs::write(r.join("file"), b"x")?;
        symlink(r.join("real"), r.join("link"))?;
        symlink("..", r.join("up"))?;
        symlink("/tmp", r.join("abs"))?;
        symlink("../file", r.join("real/to_file"))?;
        let d = Dir::open(r)?;
        Ok((t, d))
    }

    fn refusal(r: Result<Dir, DirError>) -> Option<Refusal> {
        match r {
            Err(DirError::Refused(x)) => Some(x),
            _ => None,
        }
    }

    #[test]
    fn folders_below_a_root_never_follow_links_or_leave_it() -> io::Result<()> {
        let (_t, root) = tree()?;
        for open in [Dir::open_dir, Dir::open_dir_by_components] {
            assert!(open(&root, "real").is_ok());
            assert!(open(&root, "real/inner").is_ok());
            assert_eq!(refusal(open(&root, "link")), Some(Refusal::Symlink));
            assert_eq!(refusal(open(&root, "up")), Some(Refusal::Symlink));
            assert_eq!(refusal(open(&root, "abs")), Some(Refusal::Symlink));
            assert_eq!(refusal(open(&root, "link/inner")), Some(Refusal::Symlink));
            assert_eq!(refusal(open(&root, "file")), Some(Refusal::NotADirectory));
            assert!(matches!(open(&root, "missing"), Err(DirError::Missing)));
        }
        assert_eq!(refusal(root.open_dir("../x")), Some(Refusal::OutsideRoot));
        assert_eq!(refusal(root.open_dir("/etc")), Some(Refusal::OutsideRoot));
        assert_eq!(refusal(root.open_dir("real/./inner")), Some(Refusal::OutsideRoot));
        assert_eq!(refusal(root.create_dir_all("link/new")), Some(Refusal::Symlink));
        assert_ne!(root.open_dir("real").map_err(io::Error::from)?.id(), root.id());
        Ok(())
    }

    #[test]
    fn create_dir_all_makes_missing_folders_only_below_the_root() -> io::Result<()> {
        let (t, root) = tree()?;
        let d = root.create_dir_all("a/b/c").map_err(io::Error::from)?;
        assert!(t.path().join("a/b/c").is_dir());
        assert_eq!(root.open_dir("a/b/c").map_err(io::Error::from)?.id(), d.id());
        assert!(root.create_dir_all("real/inner").is_ok());
        assert!(!Path::new("/tmp/new-from-importd-test").exists());
        assert_eq!(refusal(root.create_dir_all("abs/new-from-importd-test")), Some(Refusal::Symlink));
        assert!(!Path::new("/tmp/new-from-importd-test").exists());
        Ok(())
    }

    #[test]
    fn files_are_opened_and_renamed_without_following_links() -> io::Result<()> {
        let (t, root) = tree()?;
        let real = root.open_dir("real").map_err(io::Error::from)?;
        assert_eq!(
            real.open_file(OsStr::new("to_file")).map_err(|e| e.raw_os_error()).err(),
            Some(Some(Errno::LOOP.raw_os_error()))
        );
        assert!(real.open_file(OsStr::new("../file")).is_err());
        let names: Vec<_> = root.entries()?.into_iter().map(|e| e.name).collect();
        assert_eq!(names.len(), 5, "{names:?}");
        let link = root.stat(OsStr::new("link"))?;
        assert_eq!(link.st_mode & 0o170000, 0o120000, "lstat describes the link itself");
        root.rename_new(OsStr::new("file"), &real, OsStr::new("moved"))?;
        assert!(t.path().join("real/moved").is_file());
        std::fs::write(t.path().join("again"), b"y")?;
        let e = root.rename_new(OsStr::new("again"), &real, OsStr::new("moved")).err().map(|e| e.kind());
        assert_eq!(e, Some(io::ErrorKind::AlreadyExists));
        let mut f = real.create_new(OsStr::new("new"), 0o600)?;
        io::Write::write_all(&mut f, b"z")?;
        assert!(real.create_new(OsStr::new("new"), 0o600).is_err(), "never an existing file");
        assert!(real.create_new(OsStr::new("to_file"), 0o600).is_err(), "never through a link");
        real.remove_file(OsStr::new("to_file"))?;
        assert!(t.path().join("file").exists() || t.path().join("real/moved").exists());
        Ok(())
    }
}
