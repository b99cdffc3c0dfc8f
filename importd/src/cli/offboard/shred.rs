//! Destroying a tenant's keys: each key file overwritten with zeros, fsynced, unlinked, its
//! folder fsynced; for a ring, every file of the ring folder (the keys it lists, `ring.json`,
//! a key a crashed rotation wrote but never listed), then the folder.

use std::io::Write;
use std::path::Path;

use crate::daemon::keyring::{is_ring_file, sync_dir, KeySource};

/// Refuses a ring folder holding anything but ring files (`is_ring_file`), links or folders:
/// offboarding destroys everything in it, so it must be the tenant's own. Checked before
/// anything is deleted.
pub fn check_ring(source: &KeySource) -> Result<(), String> {
    let KeySource::Dir(dir) = source else { return Ok(()) };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("key ring {}: cannot be read ({})", dir.display(), e.kind())),
    };
    for entry in entries {
        let entry = entry.map_err(|e| format!("key ring {}: cannot be read ({})", dir.display(), e.kind()))?;
        let name = entry.file_name();
        let plain = entry.file_type().is_ok_and(|k| k.is_file());
        if !plain || !name.to_str().is_some_and(is_ring_file) {
            return Err(format!(
                "key ring {}: it holds {}, which is not one of the ring's key files; offboarding destroys \
                 everything in the ring folder and refuses while anything else is there",
                dir.display(),
                entry.path().display()
            ));
        }
    }
    Ok(())
}

/// Destroys the keys; returns the ids of key files found besides the listed ones (named
/// `<id>.key`), so the report names every key to look for in backups.
pub fn destroy_keys(source: &KeySource) -> Result<Vec<String>, (String, std::io::Error)> {
    let at = |p: &Path| p.display().to_string();
    match source {
        KeySource::File(path) => {
            // A key file may be a link (a secret mounted elsewhere): the key is what it points
            // to, destroyed first, then the link.
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                match std::fs::canonicalize(path) {
                    Ok(target) => shred(&target).map_err(|e| (at(&target), e))?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {} // destroyed before
                    Err(e) => return Err((at(path), e)),
                }
                std::fs::remove_file(path).map_err(|e| (at(path), e))?;
                return Ok(Vec::new());
            }
            shred(path).map(|()| Vec::new()).map_err(|e| (at(path), e))
        }
        KeySource::Dir(dir) => {
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err((at(dir), e)),
            };
            let mut ids = Vec::new();
            let mut manifest = None;
            for entry in entries {
                let entry = entry.map_err(|e| (at(dir), e))?;
                let path = entry.path();
                if entry.file_name() == crate::daemon::keyring::RING_FILE {
                    manifest = Some(path); // last: a rerun still finds what to destroy
                    continue;
                }
                if let Some(id) = entry.file_name().to_str().and_then(|n| n.strip_suffix(".key")) {
                    ids.push(id.to_string());
                }
                shred(&path).map_err(|e| (at(&path), e))?;
                crash_point!("offboard.after_one_key");
            }
            if let Some(path) = manifest {
                shred(&path).map_err(|e| (at(&path), e))?;
            }
            std::fs::remove_dir(dir).map_err(|e| (at(dir), e))?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent).map_err(|e| (at(parent), e))?;
            }
            Ok(ids)
        }
    }
}

/// Overwrites a file with zeros, fsyncs it, unlinks it and fsyncs its folder. A missing file
/// is already gone; a link is refused (what it points to is not ours to destroy, and
/// removing only the link would leave the key).
fn shred(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(std::io::Error::other("it is a symbolic link; destroy the file it points to by hand"))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    }
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    let len = usize::try_from(f.metadata()?.len()).unwrap_or(0);
    f.write_all(&vec![0u8; len])?;
    f.sync_all()?;
    drop(f);
    std::fs::remove_file(path)?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    sync_dir(parent)
}
